#!/usr/bin/env bash
# bench_detect.sh - what detection costs and how well it does.
#
#  1. Latency, in packet time, from the first packet of an attack to the
#     open alert of its incident, the tools at their default rates against
#     Kamailio with digest auth on loopback: svmap, svwar, svcrack
#     (sipvicious 0.3.3 defaults), a SIPp INVITE stream at SIPp's default
#     10 calls/s and the floods of test_detect_tools.sh (SIPp at 200/s).
#  2. False alerts on the benign load of test_detect_benign.sh.
#  3. SPIT on the generated population of test_detect_spit.sh (3,000
#     callers, one hour), for BENCH_SPIT_SEEDS (default "1 2 3").
#  4. The cost of --alerts on `siphon analyze` packets/s, same run,
#     alternating with and without, best of BENCH_RUNS (default 5): a
#     siphon-gen capture with RTP (300 calls, 100 at once, 20 s of media,
#     1 % loss) and the SIP-only SPIT capture (every packet a SIP message:
#     the worst case).  Wall time and CPU time (the detection thread runs
#     beside the reader: wall hides what CPU shows).
#
# Environment: SIPHON, SIPHON_GEN (default ./build-release/...), BENCH_DATA
# (default ./bench-data), BENCH_RUNS, BENCH_SPIT_SEEDS, BENCH_PARTS (default
# "1 2 3 4").
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SIPHON=${SIPHON:-$root/build-release/app/siphon}
SIPHON_GEN=${SIPHON_GEN:-$root/build-release/tests/gen/siphon-gen}
DATA=${BENCH_DATA:-./bench-data}
RUNS=${BENCH_RUNS:-5}
SEEDS=${BENCH_SPIT_SEEDS:-1 2 3}
PARTS=${BENCH_PARTS:-1 2 3 4}
part() { [[ " $PARTS " == *" $1 "* ]]; }
tests="$root/tests"
lib="$tests/integration/lib"
mkdir -p "$DATA"
DATA=$(cd "$DATA" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SIPHON TEST_TMP=$tmp TESTS_DIR=$tests

if part 1; then
echo "## 1. latency (packet time, attack start to open alert)"
lat="$tmp/latency.txt"
DETECT_LATENCY_OUT=$lat bash "$tests/integration/test_detect_tools.sh" >"$tmp/tools.log" 2>&1 ||
    { echo "test_detect_tools failed:"; tail -5 "$tmp/tools.log"; }
(
    source "$lib/detect_registrar.sh"
    port=$(free_udp_port)
    mkdir -p "$tmp/reg"
    registrar_start "$tmp/reg" "$port" >/dev/null
    dumpcap -q -i lo -f "udp port $port" -w "$tmp/sipp10.pcapng" -a duration:40 >/dev/null 2>&1 &
    cap=$!
    sleep 1
    timeout 30 sipp -sn uac 127.0.0.1:"$port" -i 127.0.0.23 -p 0 -m 100 -timeout 15 -nostdin \
        >/dev/null 2>&1 || true
    sleep 1
    kill -INT $cap; wait $cap 2>/dev/null || true
    registrar_stop
)
"$SIPHON" analyze --alerts --json --no-progress "$tmp/sipp10.pcapng" >"$tmp/sipp10.ndjson"
for t in flood scanner; do
    python3 "$lib/check_alerts.py" "$tmp/sipp10.ndjson" "$tmp/sipp10.pcapng" "$t" 127.0.0.23 \
        --latency-out "$tmp/lat10.txt" >/dev/null || echo "no $t alert for SIPp at 10 calls/s"
done
echo "| attack, rate | alert | latency s |"
echo "|---|---|---|"
while read -r t src l; do
    case $src in
        127.0.0.11) what="svmap scan of 20 hosts, default rate" ;;
        127.0.0.21) what="SIPp INVITE flood, 200 calls/s" ;;
        127.0.0.22) what="SIPp REGISTER flood, 200/s" ;;
        *) case $t in enumeration) what="svwar, default rate" ;; *) what="svcrack, default rate" ;; esac ;;
    esac
    echo "| $what | $t | $l |"
done <"$lat"
while read -r t src l; do echo "| SIPp uac, its default 10 calls/s | $t | $l |"; done <"$tmp/lat10.txt"
fi

if part 2; then
echo
echo "## 2. false alerts on the benign load"
bash "$tests/integration/test_detect_benign.sh" 2>&1 | grep -E "benign load|PASS|FAIL|unexpected" || true
fi

if part 3; then
echo
echo "## 3. SPIT"
for s in $SEEDS; do
    SPIT_SEED=$s bash "$tests/integration/test_detect_spit.sh" 2>&1 | grep -E "robocallers|FAIL|Error" |
        sed "s/^/seed $s: /" || true
done
fi

part 4 || exit 0
echo
echo "## 4. cost of --alerts on analyze"
[ -f "$DATA/detect_rtp.pcap" ] || "$SIPHON_GEN" -o "$DATA/detect_rtp.pcap" --calls 300 \
    --concurrency 100 --duration 20 --loss 1 --jitter 3 --seed 21 >/dev/null
[ -f "$DATA/detect_sip.pcap" ] || python3 "$lib/spit_population.py" "$DATA/detect_sip.pcap" \
    "$DATA/detect_sip.json" 2700 150 150 1
measure() { # FILE ARGS... -> "wall cpu" best of RUNS, each
    local f=$1; shift
    /usr/bin/time -f "%e %U %S" -o "$tmp/t" "$SIPHON" analyze --json --no-progress "$@" "$f" >/dev/null
    awk '{printf "%s %.2f\n", $1, $2 + $3}' "$tmp/t"
}
echo "| capture | packets | without: pkt/s wall | with --alerts: pkt/s wall | cost wall | without: CPU s | with: CPU s | cost CPU |"
echo "|---|---|---|---|---|---|---|---|"
for f in detect_rtp detect_sip; do
    pk=$("$SIPHON" analyze --json --no-progress "$DATA/$f.pcap" | tail -1 |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["packets"])')
    bw0=999999 bw1=999999 bc0=999999 bc1=999999
    for _ in $(seq "$RUNS"); do
        read -r w c < <(measure "$DATA/$f.pcap")
        bw0=$(python3 -c "print(min($bw0, $w))"); bc0=$(python3 -c "print(min($bc0, $c))")
        read -r w c < <(measure "$DATA/$f.pcap" --alerts)
        bw1=$(python3 -c "print(min($bw1, $w))"); bc1=$(python3 -c "print(min($bc1, $c))")
    done
    python3 - "$f" "$pk" "$bw0" "$bw1" "$bc0" "$bc1" <<'PY'
import sys
f, pk, w0, w1, c0, c1 = sys.argv[1], int(sys.argv[2]), *map(float, sys.argv[3:])
print("| %s | %d | %.0f | %.0f | %+.1f %% | %.2f | %.2f | %+.1f %% |" % (
    f, pk, pk / w0, pk / w1, 100 * (w1 - w0) / w0, c0, c1, 100 * (c1 - c0) / c0))
PY
done
