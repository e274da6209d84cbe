#!/usr/bin/env bash
# bench_live.sh - live capture ceiling: the highest replay rate into a veth
# at which the receiver loses nothing, and the CPU it uses.
#
# Makes a network namespace and a veth pair (cleaned up on exit), runs a
# receiver on the host end and replays the calls1k capture (1,000
# concurrent G.711 calls, 2,007,000 frames, RTP-heavy; generated with
# siphon-gen when missing) into the namespace end.  Receivers:
#   ring_count   tests/bench/ring_count.c: AF_PACKET ring + decode + count
#                (BENCH_THREADS rings in one fanout group)
#   siphon       the daemon, `siphon run --json --allow-root` with
#                capture.interfaces=<veth>, one run per value of
#                BENCH_SIPHON_THREADS (capture.threads)
# Senders:
#   blast        tests/bench/blast.c (sendmmsg + PACKET_QDISC_BYPASS,
#                BENCH_BLAST_THREADS threads pinned to CPU 0.., flows dealt by
#                hash), paced with --pps R or --topspeed
#   tcpreplay    tcpreplay -K --pps=R / --topspeed
# Each step sends BENCH_COUNT frames (the file is looped when that is more
# than it holds) and reports: the rate the sender achieved, the frames the
# receiver got, ring drops (tp_drops), interface drops (veth rx_dropped),
# backlog drops (/proc/net/softnet_stat), for siphon with the threaded
# pipeline its queue drops (capture thread -> correlator shard: queue_drops
# + oversize_drops), the receiver's CPU (user+system)
# as % of one core over the sending time, and the busy cores of the whole
# machine.  A step is clean when every frame sent was received and every
# drop counter is 0.  At the end of each sweep: the highest clean rate.
#
# On a veth the receive path (skb, AF_PACKET copy into the ring) runs in
# the sender's softirq, on the sender's CPU; on this 2-core machine the
# sender, that kernel work and the receiver all share two cores.
#
# Environment:
#   BENCH_BUILD          build tree with the binaries (default ./build-release;
#                        built there, Release, when missing)
#   BENCH_DATA           capture cache dir (default ./bench-data)
#   BENCH_RECEIVERS      default "ring_count siphon"
#   BENCH_SENDERS        default "blast tcpreplay"
#   BENCH_RATES          pps steps for blast (default
#                        "200000 300000 400000 500000 600000 800000 1000000 topspeed")
#   BENCH_TCPREPLAY_RATES  pps steps for tcpreplay (default "topspeed")
#   BENCH_COUNT          frames per step (default 1000000)
#   BENCH_BLAST_THREADS  sender threads (default 2)
#   BENCH_THREADS        ring_count capture threads (default 1)
#   BENCH_SIPHON_THREADS capture.threads values for siphon (default "1")
#   BENCH_ARGS           extra ring_count arguments (e.g. --libpcap)
#   BENCH_SIPHON_ARGS    extra siphon run arguments (--section.key=value)
#   BENCH_DEBUG=1        print the raw sender/receiver output
# Needs root, iproute2, python3 and (for that sender) tcpreplay.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BENCH_BUILD:-$root/build-release}
RING_COUNT=$BUILD/tests/bench/ring_count
BLAST=$BUILD/tests/bench/blast
SIPHON=$BUILD/app/siphon
SIPHON_GEN=$BUILD/tests/gen/siphon-gen
DATA=${BENCH_DATA:-./bench-data}
RECEIVERS=${BENCH_RECEIVERS:-ring_count siphon}
SENDERS=${BENCH_SENDERS:-blast tcpreplay}
RATES=${BENCH_RATES:-200000 300000 400000 500000 600000 800000 1000000 topspeed}
TR_RATES=${BENCH_TCPREPLAY_RATES:-topspeed}
COUNT=${BENCH_COUNT:-1000000}
BLAST_THREADS=${BENCH_BLAST_THREADS:-2}
THREADS=${BENCH_THREADS:-1}
SIPHON_THREADS=${BENCH_SIPHON_THREADS:-1}
ARGS=${BENCH_ARGS:-}
SIPHON_ARGS=${BENCH_SIPHON_ARGS:-}

[ "$(id -u)" = 0 ] || { echo "bench_live: needs root (netns, veth, AF_PACKET)" >&2; exit 1; }
for t in ip python3; do
    command -v $t >/dev/null || { echo "bench_live: $t missing (packaging/deps.sh test)" >&2; exit 1; }
done
[[ " $SENDERS " != *" tcpreplay "* ]] || command -v tcpreplay >/dev/null ||
    { echo "bench_live: tcpreplay missing (packaging/deps.sh test)" >&2; exit 1; }
if [ ! -x "$RING_COUNT" ] || [ ! -x "$BLAST" ] || [ ! -x "$SIPHON" ] || [ ! -x "$SIPHON_GEN" ]; then
    echo "building release binaries in $BUILD ..." >&2
    cmake -S "$root" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$BUILD" -j"$(nproc)" --target ring_count blast siphon siphon-gen >/dev/null
fi
mkdir -p "$DATA"
pcap=$DATA/calls1k.pcap
if [ ! -f "$pcap" ]; then
    echo "generating $pcap ..." >&2
    "$SIPHON_GEN" -q -o "$pcap" --truth "$DATA/calls1k.truth.ndjson" \
        --calls 1000 --concurrency 1000 --duration 20 --seed 1
fi
file_frames=$(python3 -c '
import struct, sys
f = open(sys.argv[1], "rb"); f.read(24); n = 0
while True:
    h = f.read(16)
    if len(h) < 16: break
    f.seek(struct.unpack("<IIII", h)[2], 1); n += 1
print(n)' "$pcap")

ns=siphon-bench$$ vh=spb$$h vn=spb$$n
work=$(mktemp -d /tmp/siphon-bench-live.XXXXXX)
rx_pid=
cleanup() {
    [ -n "$rx_pid" ] && kill -KILL "$rx_pid" 2>/dev/null || true
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
for _ in $(seq 50); do # both ends running, or the first frames are lost
    [ "$(cat "/sys/class/net/$vh/operstate")" = up ] && break
    sleep 0.1
done
: >"$work/empty.conf"

cpu_snapshot() { awk '/^cpu /{print $2+$3, $4, $7+$8, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }
ifdrops() { cat "/sys/class/net/$vh/statistics/rx_dropped"; }
softnet_drops() { python3 -c '
print(sum(int(l.split()[1], 16) for l in open("/proc/net/softnet_stat")))'; }
proc_cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
kv() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }
hz=$(getconf CLK_TCK)
ncpu=$(nproc)

# start_receiver KIND THREADS: start it on $vh, set rx_pid, wait until ready.
start_receiver() {
    local i
    if [ "$1" = ring_count ]; then
        # stopped by SIGINT after the step (an idle timeout would end it
        # early if the sender stalls, and the rest would count as nothing)
        "$RING_COUNT" -i "$vh" -t "$2" --idle-ms 3600000 $ARGS >"$work/rx.out" 2>"$work/rx.err" &
        rx_pid=$!
        for i in $(seq 200); do grep -q ready "$work/rx.err" 2>/dev/null && return 0; sleep 0.05; done
    else
        "$SIPHON" run --record.enabled=false -c "$work/empty.conf" --json --allow-root --capture.interfaces="$vh" \
            --capture.promiscuous=true --capture.threads="$2" --log.stats_interval=1s \
            $SIPHON_ARGS >"$work/rx.out" 2>"$work/rx.err" &
        rx_pid=$!
        for i in $(seq 200); do
            # the first stats line (written whatever log.level says): rings open
            grep -q "stats $vh:" "$work/rx.err" 2>/dev/null && return 0
            sleep 0.05
        done
    fi
    cat "$work/rx.err" >&2
    exit 1
}

# siphon_frames: frames on $vh in siphon's latest stats line
siphon_frames() { sed -n "s/.*stats $vh: \([0-9]*\) frames.*/\1/p" "$work/rx.err" | tail -1; }

# stop_receiver KIND SENT: wait for it to take every frame (or stall), then
# set got, drops, cpu_s from its own report.
stop_receiver() {
    local line
    if [ "$1" = ring_count ]; then
        sleep 1.5 # blocks are handed over after 10 ms; the reader is far ahead
        kill -INT "$rx_pid"
        wait "$rx_pid" || true
        rx_pid=
        line=$(cat "$work/rx.out")
        got=$(kv frames "$line") drops=$(kv drops "$line") qdrops=-
        cpu_s=$(awk -v u="$(kv cpu_user_s "$line")" -v s="$(kv cpu_sys_s "$line")" \
            'BEGIN{print u + s}')
        return
    fi
    # siphon: stats lines every second; done when it has every frame or
    # its count stopped moving for 3 s (it may still be working through
    # the ring's backlog after the sender ends).
    local prev=-1 same=0 n i
    for i in $(seq 120); do
        sleep 1
        n=$(siphon_frames)
        n=${n:-0}
        [ "$n" -ge "$2" ] && break
        if [ "$n" = "$prev" ]; then same=$((same + 1)); else same=0; fi
        [ $same -ge 3 ] && break
        prev=$n
    done
    cpu_s=$(awk -v a="$(proc_cpu_ticks "$rx_pid")" -v b="$cpu0" -v hz="$hz" 'BEGIN{print (a - b) / hz}')
    kill -INT "$rx_pid"
    wait "$rx_pid" || true
    rx_pid=
    # frames and ring drops of $vh; with the threaded pipeline, datagrams
    # dropped between capture threads and correlator shards (full queue,
    # oversize) are drops too
    read -r got drops qdrops < <(python3 - "$work/rx.out" "$vh" <<'PY'
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]
i = {f["name"]: f for f in s["interfaces"]}[sys.argv[2]]
p = s.get("pipeline")
q = p["queue_drops"] + p["oversize_drops"] if p else "-"
print(i["frames"], s["kernel_drops"], q)
PY
    )
}

# send KIND RATE: replay COUNT frames into $vn; sets sent, pps, secs.
send() {
    local speed
    if [ "$1" = blast ]; then
        if [ "$2" = topspeed ]; then speed=--topspeed; else speed="--pps $2"; fi
        ip netns exec "$ns" "$BLAST" -i "$vn" -t "$BLAST_THREADS" --cpu 0 $speed -n "$COUNT" \
            "$pcap" >"$work/tx.out" 2>"$work/tx.err" || { cat "$work/tx.err" >&2; exit 1; }
        local line
        line=$(cat "$work/tx.out")
        sent=$(kv if_tx "$line") secs=$(kv secs "$line") pps=$(kv pps "$line")
    else
        if [ "$2" = topspeed ]; then speed=--topspeed; else speed=--pps=$2; fi
        local loops=$(((COUNT + file_frames - 1) / file_frames))
        ip netns exec "$ns" tcpreplay -K -i "$vn" $speed --loop="$loops" --limit="$COUNT" \
            "$pcap" >"$work/tx.out" 2>&1 || { cat "$work/tx.out" >&2; exit 1; }
        sent=$(sed -n 's/.*Actual: \([0-9]*\) packets.*/\1/p' "$work/tx.out")
        secs=$(sed -n 's/.*Actual: .* in \([0-9.]*\) seconds.*/\1/p' "$work/tx.out")
        pps=$(awk -v n="$sent" -v s="$secs" 'BEGIN{printf "%.0f", (s > 0 ? n / s : 0)}')
    fi
}

echo "capture: $pcap ($file_frames frames); $COUNT frames per step; $ncpu CPUs;" \
    "blast threads: $BLAST_THREADS; $(git -C "$root" rev-parse --short HEAD 2>/dev/null || true)"
# sweep RECEIVER RX_THREADS SENDER RATES...
sweep() {
    local rx=$1 rxt=$2 tx=$3 rate best=0
    shift 3
    echo
    echo "receiver: $rx (threads $rxt); sender: $tx"
    echo
    echo "| target pps | sender | sent pps | frames sent | frames got | ring drops | veth drops | backlog drops | queue drops | receiver CPU % of a core | ns CPU/frame | machine cores busy |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for rate in "$@"; do
        start_receiver "$rx" "$rxt"
        cpu0=$(proc_cpu_ticks "$rx_pid")
        d0=$(ifdrops) b0=$(softnet_drops)
        read -r u0 s0 i0 t0 < <(cpu_snapshot)
        send "$tx" "$rate"
        read -r u1 s1 i1 t1 < <(cpu_snapshot)
        stop_receiver "$rx" "$sent"
        vdrops=$(($(ifdrops) - d0)) bdrops=$(($(softnet_drops) - b0))
        [ -n "${BENCH_DEBUG:-}" ] && cat "$work/tx.out" "$work/rx.out" "$work/rx.err" >&2
        cpu_pct=$(awk -v c="$cpu_s" -v t="$secs" 'BEGIN{printf "%.0f", (t > 0 ? 100 * c / t : 0)}')
        ns_frame=$(awk -v c="$cpu_s" -v f="$got" 'BEGIN{printf "%.0f", (f > 0 ? 1e9 * c / f : 0)}')
        busy=$(awk -v a="$((u1 + s1 + i1 - u0 - s0 - i0))" -v b="$((t1 - t0))" -v n="$ncpu" \
            'BEGIN{printf "%.2f", (b > 0 ? n * a / b : 0)}')
        echo "| $rate | $tx | $pps | $sent | $got | $drops | $vdrops | $bdrops | $qdrops | $cpu_pct | $ns_frame | $busy |"
        if [ "$drops" = 0 ] && [ "$vdrops" = 0 ] && [ "$bdrops" = 0 ] && [ "$got" = "$sent" ] &&
            [ "$sent" = "$COUNT" ] && { [ "$qdrops" = - ] || [ "$qdrops" = 0 ]; } &&
            [ "${pps%.*}" -gt "$best" ]; then
            best=${pps%.*}
        fi
    done
    echo
    echo "highest rate with zero drops ($rx threads $rxt, $tx): $best pps"
}

for rx in $RECEIVERS; do
    if [ "$rx" = ring_count ]; then rxts=$THREADS; else rxts=$SIPHON_THREADS; fi
    for rxt in $rxts; do
        for tx in $SENDERS; do
            if [ "$tx" = blast ]; then sweep "$rx" "$rxt" "$tx" $RATES; else sweep "$rx" "$rxt" "$tx" $TR_RATES; fi
        done
    done
done
