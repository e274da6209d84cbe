#!/usr/bin/env bash
# bench_compare.sh - two siphon binaries on the same captures in the same run:
# the instructions callgrind counts (deterministic, independent of the
# machine's load) and the time of `siphon analyze --json` (one thread),
# runs of the two binaries interleaved so that a change of load hits both.
#
# For each capture it prints one markdown row per binary: instructions (M)
# and per frame, best and median wall and CPU (user + system) time of
# $BENCH_RUNS runs, and packets per CPU-second from the best CPU time.
# Outputs are compared too (every NDJSON record but the summary, field by
# field; fields only the second binary writes are listed): a difference is
# reported, since the two binaries then did different work.
#
# Environment:
#   SIPHON_BASE  the "before" binary (required)
#   SIPHON       the "after" binary  (default ./build-release/app/siphon)
#   BENCH_DATA   capture directory   (default ./bench-data; bench_analyze.sh
#                makes calls1k calls10k field100 field1k field100s there)
#   BENCH_SETS   captures, NAME (BENCH_DATA/NAME.pcap) or a path
#                (default "field100s calls1k field100 field1k calls10k")
#   BENCH_RUNS   timed runs per binary and capture (default 7)
#   BENCH_NO_CALLGRIND=1  skip the instruction counts
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BASE=${SIPHON_BASE:?set SIPHON_BASE to the binary to compare against}
NEW=${SIPHON:-$root/build-release/app/siphon}
DATA=${BENCH_DATA:-./bench-data}
SETS=${BENCH_SETS:-field100s calls1k field100 field1k calls10k}
RUNS=${BENCH_RUNS:-7}
for b in "$BASE" "$NEW"; do [ -x "$b" ] || { echo "bench: no binary $b" >&2; exit 1; }; done
[ -x /usr/bin/time ] || { echo "bench: need /usr/bin/time (apt-get install time)" >&2; exit 1; }
if [ -z "${BENCH_NO_CALLGRIND:-}" ] && ! command -v valgrind >/dev/null; then
    echo "bench: need valgrind (or BENCH_NO_CALLGRIND=1)" >&2; exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# instructions BIN PCAP: prints the Ir total of one run under callgrind.
instructions() {
    valgrind --tool=callgrind --callgrind-out-file="$work/cg" "$1" analyze --json --no-progress "$2" \
        >/dev/null 2>"$work/cg.err"
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$work/cg.err"
}

# timed BIN PCAP: appends "wall cpu" of one run to $work/t.BIN-TAG.
timed() {
    /usr/bin/time -f "%e %U %S" -o "$work/time" "$1" analyze --json --no-progress "$2" >/dev/null
    awk '{printf "%s %.3f\n", $1, $2 + $3}' "$work/time" >>"$3"
}

# stats FILE COLUMN: "best median" of a column.
stats() {
    cut -d' ' -f"$2" "$1" | sort -g | awk '{v[NR] = $1} END {
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f %.3f", v[1], m }'
}

rows=()
for set in $SETS; do
    pcap=$set
    [ -f "$pcap" ] || pcap="$DATA/$set.pcap"
    [ -f "$pcap" ] || { echo "bench: no capture $set" >&2; exit 1; }
    name=$(basename "$pcap" .pcap)
    # same records from both (the summary's elapsed time aside)?
    "$BASE" analyze --json --no-progress "$pcap" | grep -v '"type":"summary"' >"$work/out.base"
    "$NEW" analyze --json --no-progress "$pcap" >"$work/out.new.all"
    grep -v '"type":"summary"' "$work/out.new.all" >"$work/out.new" || true
    frames=$(tail -1 "$work/out.new.all" | python3 -c 'import json,sys; print(json.load(sys.stdin)["decode"]["frames"])')
    same=$(python3 - "$work/out.base" "$work/out.new" <<'PY'
import json, sys
b = [json.loads(l) for l in open(sys.argv[1])]
n = [json.loads(l) for l in open(sys.argv[2])]
added = set()


def same(x, y, path):
    """every value of x is in y, recursively; y's extra keys go to added"""
    if isinstance(x, dict) and isinstance(y, dict):
        added.update(path + k for k in set(y) - set(x))
        return all(k in y and same(x[k], y[k], path + k + ".") for k in x)
    if isinstance(x, list) and isinstance(y, list):
        return len(x) == len(y) and all(same(u, v, path) for u, v in zip(x, y))
    return x == y


if len(b) != len(n):
    print(f"differ ({len(b)} vs {len(n)} records)")
elif not all(same(x, y, "") for x, y in zip(b, n)):
    print("differ")
else:
    print("identical" + (f" (new: {', '.join(sorted(added))})" if added else ""))
PY
)
    cat "$pcap" >/dev/null # the page cache warm for both alike
    ir_base=0 ir_new=0
    if [ -z "${BENCH_NO_CALLGRIND:-}" ]; then
        ir_base=$(instructions "$BASE" "$pcap")
        ir_new=$(instructions "$NEW" "$pcap")
    fi
    : >"$work/t.base"
    : >"$work/t.new"
    for _ in $(seq "$RUNS"); do
        timed "$BASE" "$pcap" "$work/t.base"
        timed "$NEW" "$pcap" "$work/t.new"
    done
    for which in base new; do
        bin=$BASE ir=$ir_base
        [ $which = new ] && bin=$NEW ir=$ir_new
        read -r wbest wmed <<<"$(stats "$work/t.$which" 1)"
        read -r cbest cmed <<<"$(stats "$work/t.$which" 2)"
        rows+=("$(awk -v n="$name" -v f="$frames" -v b="$bin" -v ir="$ir" -v wb="$wbest" -v wm="$wmed" \
            -v cb="$cbest" -v cm="$cmed" -v s="$same" 'BEGIN {
            cb = (cb > 0) ? cb : 0.001
            printf "| %s | %d | %s | %.1f | %.0f | %.3f / %.3f | %.3f / %.3f | %.2f | %s |", n, f, b,
                ir / 1e6, ir / f, wb, wm, cb, cm, f / cb / 1e6, s }')")
    done
    echo "measured $name ($frames frames): outputs $same" >&2
done

echo
echo "$RUNS interleaved runs each, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end, $(date -u '+%Y-%m-%d %H:%M') UTC"
echo
echo "| capture | frames | binary | instructions (M) | per frame | wall s best / median | CPU s best / median | Mpkt per CPU-second (best) | records |"
echo "|---|---:|---|---:|---:|---:|---:|---:|---|"
printf '%s\n' "${rows[@]}"
