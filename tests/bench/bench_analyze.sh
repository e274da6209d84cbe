#!/usr/bin/env bash
# bench_analyze.sh - throughput and memory of `siphon analyze` against tshark.
#
# Generates once (cached) G.711 captures with siphon-gen:
#   calls1k   1,000 concurrent calls x 20 s of media both ways (~2 M RTP packets)
#   calls10k 10,000 concurrent calls x  6 s of media both ways (~6 M RTP packets)
# and three that look like the field, 1 % random loss and 0-3 ms of jitter per
# packet (which reorders some packets) in each direction:
#   field100  1,000 calls, about 100 at once, 20 s of media (~2 M RTP packets)
#   field1k   1,000 calls, all at once, 20 s of media        (~2 M RTP packets)
#   field100s   100 calls, all at once, 60 s of media        (~0.6 M RTP packets:
#             a short file, where the cost of starting up weighs)
# (about 2.9 GB of disk together; fixed seeds, so every run measures the same
# bytes), then on each file times
#   tshark -n -q -z rtp,streams -r FILE >/dev/null   once (it is slow)
#   siphon analyze --json --threads N FILE >/dev/null  for each N of
#       $BENCH_THREADS (default "0 1 2": one thread; a reader + 1 correlator
#       thread; a reader + 2), best wall and best CPU time of $BENCH_RUNS (7)
# with /usr/bin/time (wall, user + system CPU, peak RSS) and prints a
# markdown table: packets/s by wall time and per CPU-second (the "per core"
# figure), CPU ns/packet, peak RSS, and the speed ratio to tshark.
#
# Environment:
#   SIPHON      siphon binary      (default ./build-release/app/siphon)
#   SIPHON_GEN  siphon-gen binary  (default ./build-release/tests/gen/siphon-gen)
#   BENCH_DATA  capture cache dir  (default ./bench-data)
#   BENCH_RUNS  siphon runs per file, best kept (default 7: this VM is noisy)
#   BENCH_SETS  which captures (default "calls1k calls10k field100 field1k field100s")
#   BENCH_THREADS  siphon --threads values (default "0 1 2")
#   BENCH_NO_TSHARK=1  skip tshark
# Missing release binaries are built into ./build-release (CMAKE_BUILD_TYPE=Release).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SIPHON=${SIPHON:-$root/build-release/app/siphon}
SIPHON_GEN=${SIPHON_GEN:-$root/build-release/tests/gen/siphon-gen}
DATA=${BENCH_DATA:-./bench-data}
RUNS=${BENCH_RUNS:-7}
SETS=${BENCH_SETS:-calls1k calls10k field100 field1k field100s}
THREADS=${BENCH_THREADS:-0 1 2}

if [ ! -x /usr/bin/time ]; then
    echo "installing GNU time (/usr/bin/time)..." >&2
    apt-get install -y time >/dev/null || { echo "bench: need /usr/bin/time (apt-get install time)" >&2; exit 1; }
fi
if [ ! -x "$SIPHON" ] || [ ! -x "$SIPHON_GEN" ]; then
    echo "building release binaries in $root/build-release ..." >&2
    cmake -S "$root" -B "$root/build-release" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$root/build-release" -j"$(nproc)" --target siphon siphon-gen >/dev/null
fi
if [ -z "${BENCH_NO_TSHARK:-}" ] && ! command -v tshark >/dev/null; then
    echo "bench: tshark not found (set BENCH_NO_TSHARK=1 to skip it)" >&2; exit 1
fi
mkdir -p "$DATA"

set_args() {
    case $1 in
        calls1k)  echo "--calls 1000 --concurrency 1000 --duration 20 --seed 1" ;;
        calls10k) echo "--calls 10000 --concurrency 10000 --duration 6 --seed 2" ;;
        field100) echo "--calls 1000 --concurrency 100 --duration 20 --loss 1 --jitter 3 --seed 11" ;;
        field1k)  echo "--calls 1000 --concurrency 1000 --duration 20 --loss 1 --jitter 3 --seed 12" ;;
        field100s) echo "--calls 100 --concurrency 100 --duration 60 --loss 1 --jitter 3 --seed 13" ;;
        smoke)    echo "--calls 100 --concurrency 100 --duration 5 --seed 3" ;;
        *) echo "bench: unknown set $1" >&2; exit 1 ;;
    esac
}

# ensure_capture NAME: generate $DATA/NAME.pcap unless the cached one was made
# with the same arguments by the same generator binary.
ensure_capture() {
    local name=$1 args stamp
    args=$(set_args "$name")
    stamp="$args $(sha256sum "$SIPHON_GEN" | cut -c1-16)"
    if [ -f "$DATA/$name.pcap" ] && [ "$(cat "$DATA/$name.stamp" 2>/dev/null)" = "$stamp" ]; then
        return
    fi
    echo "generating $name ($args)..." >&2
    # shellcheck disable=SC2086
    "$SIPHON_GEN" $args -o "$DATA/$name.pcap" --truth "$DATA/$name.truth.ndjson"
    echo "$stamp" >"$DATA/$name.stamp"
}

# timed cmd...: runs cmd with stdout discarded; sets T_WALL (s), T_CPU (user +
# system s) and T_RSS (KB); fails if cmd fails.
timed() {
    local tf u sy
    tf=$(mktemp)
    if ! /usr/bin/time -f "%e %U %S %M" -o "$tf" "$@" >/dev/null 2>"$tf.err"; then
        echo "bench: failed: $* ($(head -c 300 "$tf.err"))" >&2
        rm -f "$tf" "$tf.err"; return 1
    fi
    read -r T_WALL u sy T_RSS <"$tf"
    T_CPU=$(awk -v a="$u" -v b="$sy" 'BEGIN{printf "%.2f", a + b}')
    rm -f "$tf" "$tf.err"
}

rows=()
for name in $SETS; do
    ensure_capture "$name"
    pcap="$DATA/$name.pcap"
    frames=$(tail -1 "$DATA/$name.truth.ndjson" | python3 -c 'import json,sys; print(json.load(sys.stdin)["frames"])')
    size_mb=$(( $(stat -c %s "$pcap") / 1048576 ))
    cat "$pcap" >/dev/null # warm the page cache for both tools alike
    if [ -z "${BENCH_NO_TSHARK:-}" ]; then
        timed tshark -n -q -z rtp,streams -r "$pcap"
        t_wall=$T_WALL t_cpu=$T_CPU t_rss=$T_RSS
    else
        t_wall=0 t_cpu=0 t_rss=0
    fi
    rows+=("$(awk -v n="$name" -v f="$frames" -v mb="$size_mb" -v w="$t_wall" -v c="$t_cpu" -v r="$t_rss" 'BEGIN {
        if (w <= 0) { printf "| %s | %d | %d | tshark | - | - | - | - | - | - | - |", n, f, mb; exit }
        printf "| %s | %d | %d | tshark | %.2f | %.3f | %.2f | %.3f | %.0f | %.0f | 1.0x |", n, f, mb, w, f / w / 1e6, c, f / c / 1e6, c * 1e9 / f, r / 1024 }')")
    for threads in $THREADS; do
        best=""; best_cpu=""; rss=0
        for _ in $(seq "$RUNS"); do
            timed "$SIPHON" analyze --json --no-progress --threads "$threads" "$pcap"
            if [ -z "$best" ] || awk "BEGIN{exit !($T_WALL < $best)}"; then best=$T_WALL; fi
            if [ -z "$best_cpu" ] || awk "BEGIN{exit !($T_CPU < $best_cpu)}"; then best_cpu=$T_CPU; fi
            [ "$T_RSS" -gt "$rss" ] && rss=$T_RSS
        done
        label="siphon --threads $threads"
        [ "$threads" = 0 ] && label="siphon (1 thread)"
        rows+=("$(awk -v n="$name" -v f="$frames" -v mb="$size_mb" -v l="$label" -v w="$best" -v c="$best_cpu" \
            -v r="$rss" -v tw="$t_wall" 'BEGIN {
            w = (w > 0) ? w : 0.001; c = (c > 0) ? c : 0.001
            ratio = (tw > 0) ? sprintf("%.1fx", tw / w) : "-"
            printf "| %s | %d | %d | %s | %.2f | %.3f | %.2f | %.3f | %.0f | %.0f | %s |", n, f, mb, l, w, f / w / 1e6, c, f / c / 1e6, c * 1e9 / f, r / 1024, ratio }')")
        echo "measured $name: siphon --threads $threads ${best}s wall, ${best_cpu}s CPU; tshark ${t_wall}s" >&2
    done
done

echo
echo "siphon: $SIPHON (best of $RUNS), tshark: $(tshark --version 2>/dev/null | head -1 || echo -), $(nproc) CPUs, $(date -u +%Y-%m-%d)"
echo
echo "| capture | frames | MB | tool | wall s | Mpkt/s (wall) | CPU s | Mpkt/s per CPU-second | CPU ns/pkt | RSS MB | speed vs tshark (wall) |"
echo "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
