#!/usr/bin/env bash
# test_time_extremes.sh - capture times at the ends of the int64 range.
# A generated capture is rewritten as pcapng with an
# interface counting whole seconds and absurd timestamps on every third
# record (lib/pcapng_extreme_ts.py: 1 s below INT64_MAX ns, saturating,
# negative, 0).  `siphon analyze`, inline and with 2 and 3 correlator
# threads, table and NDJSON, must finish (exit 0, a summary) without a
# sanitizer report: in the sanitizer build (-fno-sanitize-recover) a signed
# overflow in the time arithmetic aborts.
set -uo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
work="$TEST_TMP/time_extremes"
rm -rf "$work" && mkdir -p "$work"
failed=()

"$SIPHON_GEN" -q --seed 5 --calls 6 --duration 3 --concurrency 3 -o "$work/in.pcap" ||
    { echo "FAIL: generator"; exit 1; }
python3 "$TESTS_DIR/integration/lib/pcapng_extreme_ts.py" "$work/in.pcap" "$work/extreme.pcapng" ||
    { echo "FAIL: rewrite"; exit 1; }

for threads in 0 2 3; do
    for fmt in "" --json; do
        name="threads=$threads${fmt:+ $fmt}"
        "$SIPHON" analyze --no-progress --threads "$threads" $fmt "$work/extreme.pcapng" \
            >"$work/out" 2>"$work/err"
        rc=$?
        if [ $rc -ne 0 ] || grep -q "runtime error\|Sanitizer" "$work/err" ||
            ! grep -q "summary" "$work/out" "$work/err"; then
            echo "FAIL: $name: exit $rc"; head -5 "$work/err"; failed+=("$name")
        else
            echo "ok: $name"
        fi
    done
done

if [ ${#failed[@]} -ne 0 ]; then
    echo "FAILED: ${failed[*]}"
    exit 1
fi
echo "all extreme-time analyses passed"
