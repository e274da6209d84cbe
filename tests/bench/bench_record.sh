#!/usr/bin/env bash
# bench_record.sh - what recording every packet costs `siphon analyze`, and
# what it costs on disk.
#
# Generates once (cached) a G.711 capture with siphon-gen: 200 calls, about
# 100 at once, 60 s of media both ways (~1.2 M RTP packets, one call-minute
# each), then, alternating in the same run on the same file, times
#   siphon analyze --json FILE >/dev/null                    (recording off)
#   siphon analyze --json --record.dir=STORE FILE >/dev/null (record.rtp=full)
#   siphon analyze --json --record.dir=STORE --record.rtp=headers FILE
# best wall time of $BENCH_RUNS each with /usr/bin/time (the store is
# emptied before every recording run; its writer thread's draining at the
# end is included), and prints a markdown table: packets/s by wall time,
# the cost of recording in % of the off throughput, the CPU time of that
# run (user + system, every thread), and the store's bytes per
# call-minute (segment files + indexes, du --apparent-size) against the
# capture's own.
#
# Environment:
#   SIPHON      siphon binary      (default ./build-release/app/siphon)
#   SIPHON_GEN  siphon-gen binary  (default ./build-release/tests/gen/siphon-gen)
#   BENCH_DATA  capture cache dir  (default ./bench-data); the store goes there too
#   BENCH_RUNS  runs per variant, best kept (default 5)
#   BENCH_THREADS  siphon --threads value (default 0)
# Missing release binaries are built into ./build-release (CMAKE_BUILD_TYPE=Release).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SIPHON=${SIPHON:-$root/build-release/app/siphon}
SIPHON_GEN=${SIPHON_GEN:-$root/build-release/tests/gen/siphon-gen}
DATA=${BENCH_DATA:-./bench-data}
RUNS=${BENCH_RUNS:-5}
THREADS=${BENCH_THREADS:-0}

if [ ! -x "$SIPHON" ] || [ ! -x "$SIPHON_GEN" ]; then
    echo "building release binaries in $root/build-release ..." >&2
    cmake -S "$root" -B "$root/build-release" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$root/build-release" -j"$(nproc)" --target siphon siphon-gen >/dev/null
fi
mkdir -p "$DATA"
pcap="$DATA/record200.pcap"
if [ ! -s "$pcap" ]; then
    echo "generating $pcap ..." >&2
    "$SIPHON_GEN" -q -o "$pcap" --calls 200 --concurrency 100 --duration 60 --seed 21
fi
store="$DATA/record-store"
trap 'rm -rf "$store"' EXIT

# run VARIANT: "wall cpu" seconds of one analyze (cpu: user + system, all threads)
run() {
    local args=()
    rm -rf "$store"
    case $1 in
        full) args=(--record.dir="$store" --record.min_free=0) ;;
        headers) args=(--record.dir="$store" --record.min_free=0 --record.rtp=headers) ;;
    esac
    /usr/bin/time -f "%e %U %S" -o "$DATA/record.time" "$SIPHON" analyze --json --no-progress \
        --threads "$THREADS" "${args[@]}" "$pcap" >/dev/null 2>"$DATA/record.err"
    awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$DATA/record.time"
}

declare -A best cpu bytes
for v in off full headers; do best[$v]=999999; done
for ((i = 0; i < RUNS; i++)); do
    for v in off full headers; do
        read -r s c < <(run "$v")
        if (($(echo "$s < ${best[$v]}" | bc -l))); then best[$v]=$s cpu[$v]=$c; fi
        if [ "$v" != off ]; then bytes[$v]=$(du -sb --apparent-size "$store" | cut -f1); fi
    done
done
summary=$("$SIPHON" analyze --json --no-progress "$pcap" | tail -1)
packets=$(echo "$summary" | python3 -c 'import json,sys; print(json.load(sys.stdin)["packets"])')
minutes=$("$SIPHON" analyze --json --no-progress "$pcap" | python3 -c '
import json, sys
print(sum(r.get("duration_s") or 0 for r in map(json.loads, sys.stdin) if r.get("type") == "call") / 60)')
src=$(stat -c %s "$pcap")

printf '\ncapture %s: %s packets, %.1f call-minutes, %s bytes (%.0f bytes per call-minute)\n' \
    "$(basename "$pcap")" "$packets" "$minutes" "$src" "$(echo "$src / $minutes" | bc -l)"
printf '%s, --threads %s, best of %s\n\n' "$("$SIPHON" version | head -1)" "$THREADS" "$RUNS"
echo "| recording | wall s | Mpps | cost vs off | CPU s (all threads) | store bytes | bytes per call-minute |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for v in off full headers; do
    mpps=$(echo "$packets / ${best[$v]} / 1000000" | bc -l)
    cost=$(echo "(${best[$v]} - ${best[off]}) / ${best[$v]} * 100" | bc -l)
    if [ "$v" = off ]; then
        printf '| off | %.2f | %.2f | - | %s | - | - |\n' "${best[$v]}" "$mpps" "${cpu[$v]}"
    else
        printf '| rtp=%s | %.2f | %.2f | %.1f %% | %s | %s | %.0f |\n' "$v" "${best[$v]}" "$mpps" \
            "$cost" "${cpu[$v]}" "${bytes[$v]}" "$(echo "${bytes[$v]} / $minutes" | bc -l)"
    fi
done
