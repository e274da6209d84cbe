#!/usr/bin/env bash
# bench_analyze.sh - throughput and memory of `siphon analyze` against tshark.
#
# Generates once (cached) two G.711 captures with siphon-gen:
#   calls1k   1,000 concurrent calls x 20 s of media both ways (~2 M RTP packets)
#   calls10k 10,000 concurrent calls x  6 s of media both ways (~6 M RTP packets)
# (about 1.9 GB of disk together), then on each file times
#   siphon analyze --json FILE >/dev/null        best wall time of $BENCH_RUNS (3)
#   tshark -n -q -z rtp,streams -r FILE >/dev/null   once (it is slow)
# with /usr/bin/time (wall time, peak RSS) and prints a markdown table:
# packets/s, ns/packet, peak RSS, and the siphon/tshark ratios.
#
# Environment:
#   SIPHON      siphon binary      (default ./build-release/app/siphon)
#   SIPHON_GEN  siphon-gen binary  (default ./build-release/tests/gen/siphon-gen)
#   BENCH_DATA  capture cache dir  (default ./bench-data)
#   BENCH_RUNS  siphon runs per file, best kept (default 3)
#   BENCH_SETS  which captures (default "calls1k calls10k")
#   BENCH_NO_TSHARK=1  skip tshark
# Missing release binaries are built into ./build-release (CMAKE_BUILD_TYPE=Release).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SIPHON=${SIPHON:-$root/build-release/app/siphon}
SIPHON_GEN=${SIPHON_GEN:-$root/build-release/tests/gen/siphon-gen}
DATA=${BENCH_DATA:-./bench-data}
RUNS=${BENCH_RUNS:-3}
SETS=${BENCH_SETS:-calls1k calls10k}

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

# timed OUTFILE cmd...: runs cmd with stdout discarded; sets T_WALL (s) and
# T_RSS (KB); fails if cmd fails.
timed() {
    local tf
    tf=$(mktemp)
    if ! /usr/bin/time -f "%e %M" -o "$tf" "$@" >/dev/null 2>"$tf.err"; then
        echo "bench: failed: $* ($(head -c 300 "$tf.err"))" >&2
        rm -f "$tf" "$tf.err"; return 1
    fi
    read -r T_WALL T_RSS <"$tf"
    rm -f "$tf" "$tf.err"
}

rows=()
for name in $SETS; do
    ensure_capture "$name"
    pcap="$DATA/$name.pcap"
    frames=$(tail -1 "$DATA/$name.truth.ndjson" | python3 -c 'import json,sys; print(json.load(sys.stdin)["frames"])')
    size_mb=$(( $(stat -c %s "$pcap") / 1048576 ))
    cat "$pcap" >/dev/null # warm the page cache for both tools alike
    best=""; rss=0
    for _ in $(seq "$RUNS"); do
        timed "$SIPHON" analyze --json --no-progress "$pcap"
        if [ -z "$best" ] || awk "BEGIN{exit !($T_WALL < $best)}"; then best=$T_WALL; fi
        [ "$T_RSS" -gt "$rss" ] && rss=$T_RSS
    done
    s_wall=$best s_rss=$rss
    if [ -z "${BENCH_NO_TSHARK:-}" ]; then
        timed tshark -n -q -z rtp,streams -r "$pcap"
        t_wall=$T_WALL t_rss=$T_RSS
    else
        t_wall=0 t_rss=0
    fi
    rows+=("$(awk -v n="$name" -v f="$frames" -v mb="$size_mb" -v sw="$s_wall" -v sr="$s_rss" \
        -v tw="$t_wall" -v tr="$t_rss" 'BEGIN {
        sw = (sw > 0) ? sw : 0.001
        spps = f / sw; tpps = (tw > 0) ? f / tw : 0
        ts = "-"; tp = "-"; trm = "-"; rp = "-"; rr = "-"
        if (tw > 0) { ts = sprintf("%.2f", tw); tp = sprintf("%.3f", tpps / 1e6); rp = sprintf("%.1fx", spps / tpps) }
        if (tr > 0) { trm = sprintf("%.0f", tr / 1024); rr = sprintf("%.2f", sr / tr) }
        printf "| %s | %d | %d | %.2f | %.2f | %.0f | %.0f | %s | %s | %s | %s | %s |", n, f, mb, sw, spps / 1e6, sw * 1e9 / f, sr / 1024, ts, tp, trm, rp, rr }')")
    echo "measured $name: siphon ${s_wall}s, tshark ${t_wall}s" >&2
done

echo
echo "siphon: $SIPHON (best of $RUNS), tshark: $(tshark --version 2>/dev/null | head -1 || echo -), $(nproc) CPUs, $(date -u +%Y-%m-%d)"
echo
echo "| capture | frames | MB | siphon s | siphon Mpkt/s | siphon ns/pkt | siphon RSS MB | tshark s | tshark Mpkt/s | tshark RSS MB | pkt/s siphon/tshark | RSS siphon/tshark |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
