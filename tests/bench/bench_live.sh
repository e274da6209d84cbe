#!/usr/bin/env bash
# bench_live.sh - live capture throughput of the AF_PACKET ring (ring only:
# capture + decode + count, no correlator yet).
#
# Makes a network namespace and a veth pair (cleaned up on exit), runs
# ring_count (tests/bench/ring_count.c) on the host end, and replays the
# calls1k capture (1,000 G.711 calls, ~2 M frames; generated with siphon-gen
# when missing) into the namespace end with tcpreplay at each rate of
# BENCH_RATES.  For each step it prints the rate tcpreplay achieved, the
# frames ring_count got, the kernel's ring drops, the veth's own drops, the
# CPU ring_count used (per second of traffic and per frame), and the busy
# cores of the whole machine (tcpreplay and the kernel's veth delivery,
# which runs in the sender's softirq, included).  At the end: the highest
# achieved rate with zero drops.
#
# Environment:
#   RING_COUNT     ring_count binary (default ./build-release/tests/bench/ring_count)
#   SIPHON_GEN     siphon-gen binary (default ./build-release/tests/gen/siphon-gen)
#   BENCH_DATA     capture cache dir (default ./bench-data)
#   BENCH_RATES    packets/s steps (default "100000 200000 300000 500000 topspeed")
#   BENCH_THREADS  capture threads, one fanout group (default 1)
#   BENCH_ARGS     extra ring_count arguments (e.g. --libpcap, --blocks 128)
#   BENCH_LIMIT    frames per step (default: the whole file)
# Needs root, iproute2 and tcpreplay.  Missing binaries are built into
# ./build-release (CMAKE_BUILD_TYPE=Release).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RING_COUNT=${RING_COUNT:-$root/build-release/tests/bench/ring_count}
SIPHON_GEN=${SIPHON_GEN:-$root/build-release/tests/gen/siphon-gen}
DATA=${BENCH_DATA:-./bench-data}
RATES=${BENCH_RATES:-100000 200000 300000 500000 topspeed}
THREADS=${BENCH_THREADS:-1}
ARGS=${BENCH_ARGS:-}
LIMIT=${BENCH_LIMIT:-}

[ "$(id -u)" = 0 ] || { echo "bench_live: needs root (netns, veth, AF_PACKET)" >&2; exit 1; }
for t in ip tcpreplay; do
    command -v $t >/dev/null || { echo "bench_live: $t missing (packaging/deps.sh test)" >&2; exit 1; }
done
if [ ! -x "$RING_COUNT" ] || [ ! -x "$SIPHON_GEN" ]; then
    echo "building release binaries in $root/build-release ..." >&2
    cmake -S "$root" -B "$root/build-release" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$root/build-release" -j"$(nproc)" --target ring_count siphon-gen >/dev/null
fi
mkdir -p "$DATA"
pcap=$DATA/calls1k.pcap
if [ ! -f "$pcap" ]; then
    echo "generating $pcap ..." >&2
    "$SIPHON_GEN" -q -o "$pcap" --truth "$DATA/calls1k.truth.ndjson" \
        --calls 1000 --concurrency 1000 --duration 20 --seed 1
fi

ns=siphon-bench$$ vh=spb$$h vn=spb$$n
work=$(mktemp -d /tmp/siphon-bench-live.XXXXXX)
rc_pid=
cleanup() {
    [ -n "$rc_pid" ] && kill "$rc_pid" 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    ip link del "$vh" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$ns"
ip link add "$vh" type veth peer name "$vn" netns "$ns"
sysctl -qw "net.ipv6.conf.$vh.disable_ipv6=1"
ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$vn.disable_ipv6=1"
ip link set "$vh" up
ip -n "$ns" link set "$vn" up

cpu_snapshot() { awk '/^cpu /{print $2+$3, $4, $7+$8, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }
ifdrops() { cat "/sys/class/net/$vh/statistics/rx_dropped"; }
kv() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }

ncpu=$(nproc)
echo "capture: $pcap ($(stat -c %s "$pcap") bytes); threads: $THREADS; ring_count $ARGS; $ncpu CPUs"
echo
echo "| target pps | sent pps | frames sent | frames got | ring drops | veth drops | ring_count CPU % of a core | ns CPU/frame | machine cores busy (irq) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
best=0
for rate in $RATES; do
    "$RING_COUNT" -i "$vh" -t "$THREADS" --idle-ms 1500 $ARGS >"$work/rc.out" 2>"$work/rc.err" &
    rc_pid=$!
    for _ in $(seq 100); do grep -q ready "$work/rc.err" 2>/dev/null && break; sleep 0.05; done
    grep -q ready "$work/rc.err" || { cat "$work/rc.err" >&2; exit 1; }
    if [ "$rate" = topspeed ]; then speed=--topspeed; else speed=--pps=$rate; fi
    d0=$(ifdrops)
    read -r u0 s0 i0 t0 < <(cpu_snapshot)
    ip netns exec "$ns" tcpreplay -K -i "$vn" $speed ${LIMIT:+--limit=$LIMIT} "$pcap" >"$work/tr.out" 2>&1 \
        || { cat "$work/tr.out" >&2; exit 1; }
    read -r u1 s1 i1 t1 < <(cpu_snapshot)
    wait "$rc_pid" || true
    rc_pid=
    d1=$(ifdrops)
    line=$(cat "$work/rc.out")
    [ -n "${BENCH_DEBUG:-}" ] && cat "$work/tr.out" "$work/rc.out" >&2
    sent=$(sed -n 's/.*Actual: \([0-9]*\) packets.*/\1/p' "$work/tr.out")
    secs=$(sed -n 's/.*Actual: .* in \([0-9.]*\) seconds.*/\1/p' "$work/tr.out")
    pps=$(awk -v n="$sent" -v s="$secs" 'BEGIN{printf "%.0f", (s > 0 ? n / s : 0)}')
    frames=$(kv frames "$line") drops=$(kv drops "$line")
    cu=$(kv cpu_user_s "$line") cs=$(kv cpu_sys_s "$line")
    vdrops=$((d1 - d0))
    cpu_pct=$(awk -v u="$cu" -v s="$cs" -v t="$secs" 'BEGIN{printf "%.0f", (t > 0 ? 100 * (u + s) / t : 0)}')
    ns_frame=$(awk -v u="$cu" -v s="$cs" -v f="$frames" 'BEGIN{printf "%.0f", (f > 0 ? 1e9 * (u + s) / f : 0)}')
    busy=$(awk -v a="$((u1 + s1 + i1 - u0 - s0 - i0))" -v b="$((t1 - t0))" -v n="$ncpu" \
        'BEGIN{printf "%.2f", (b > 0 ? n * a / b : 0)}')
    irq=$(awk -v a="$((i1 - i0))" -v b="$((t1 - t0))" -v n="$ncpu" 'BEGIN{printf "%.2f", (b > 0 ? n * a / b : 0)}')
    echo "| $rate | $pps | $sent | $frames | $drops | $vdrops | $cpu_pct | $ns_frame | $busy ($irq) |"
    if [ "$drops" = 0 ] && [ "$vdrops" = 0 ] && [ "$frames" = "$sent" ] && [ "$pps" -gt "$best" ]; then
        best=$pps
    fi
done
echo
echo "highest rate with zero drops: $best pps"
