#!/usr/bin/env bash
# test_flood.sh - bounded memory under an INVITE flood.
#
# lib/flood_pcap.py writes FLOOD_N (default 1,000,000) INVITEs, each with
# its own Call-ID and never answered, at 500 per second of packet time
# (2000 s for a million); siphon-gen writes 20 normal calls starting 900 s
# into the flood.  `siphon analyze --json --max-calls 10000` reads both
# files (merged by timestamp) and must:
#   - keep peak RSS under the bound below,
#   - evict at least FLOOD_N - 10000 calls (calls_evicted),
#   - report the 20 normal calls exactly as their truth says.
# With 10,000 call slots and 500 INVITEs/s, a call is evicted after ~20 s
# without SIP (RTP refreshes a call's activity), longer than any ringing
# phase of the normal calls, shorter than the 300 s idle timeout.
#
# RSS bound: max_calls x bytes per call, 2,056 B (tests/unit/
# test_corr_memory.c: corr__call_t and its string blob + 2 corr__stream_t + 2 media
# endpoint entries and 2 descriptors + table bookkeeping), x 2.5 for
# AddressSanitizer's redzones, shadow memory and quarantine, + 100 MB fixed
# (the other tables and pools are calloc'ed but only touched as used; ASan
# runtime, nDPI, libraries): 149 MiB with the defaults.  Measured: ~73 MB
# under ASan, 22 MB release.  Without the cap the flood would need
# 1,000,000 x ~0.6 KB (a flood call) = 0.6 GB.
set -uo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
for tool in python3 "$SIPHON" "$SIPHON_GEN" /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool not found"; exit 1; }
done
n=${FLOOD_N:-1000000}
max_calls=10000
per_call=2056
bound_kb=$(( (max_calls * per_call * 5 / 2 + 100 * 1024 * 1024) / 1024 ))
work="$TEST_TMP/flood"
rm -rf "$work" && mkdir -p "$work"
lib="$TESTS_DIR/integration/lib"
start=1709294000

python3 "$lib/flood_pcap.py" "$work/flood.pcap" "$n" "$start" 500 ||
    { echo "FAIL: flood_pcap.py"; exit 1; }
"$SIPHON_GEN" -o "$work/n.pcap" --truth "$work/n.ndjson" --calls 20 --duration 3 --seed 5 \
    --start-time $((start + 900)) >/dev/null || { echo "FAIL: siphon-gen"; exit 1; }

echo "+ /usr/bin/time -v $SIPHON analyze --json --max-calls $max_calls $work/flood.pcap $work/n.pcap"
/usr/bin/time -v "$SIPHON" analyze --json --max-calls $max_calls "$work/flood.pcap" \
    "$work/n.pcap" >"$work/out.ndjson" 2>"$work/time.txt"
rc=$?
rm -f "$work/flood.pcap"
if [ $rc -ne 0 ]; then
    echo "FAIL: siphon analyze exited $rc"; tail -20 "$work/time.txt"; exit 1
fi
rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$work/time.txt")
wall=$(sed -n 's/.*Elapsed (wall clock).*: //p' "$work/time.txt")
evicted=$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    if line.startswith("{\"type\":\"summary\""):
        print(json.loads(line)["correlate"]["calls_evicted"])' "$work/out.ndjson")
need=$((n - max_calls)) # the normal calls end and free their slots
echo "flood of $n INVITEs: peak RSS ${rss_kb} kB (bound ${bound_kb} kB), calls_evicted $evicted (need >= $need), wall $wall"
fail=0
[ -n "$rss_kb" ] && [ "$rss_kb" -lt "$bound_kb" ] || { echo "FAIL: peak RSS ${rss_kb} kB >= ${bound_kb} kB"; fail=1; }
[ -n "$evicted" ] && [ "$evicted" -ge "$need" ] || { echo "FAIL: calls_evicted $evicted < $need"; fail=1; }

# The normal calls, without the flood's, against their truth.
python3 -c '
import json, sys
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as o:
    for line in f:
        if "\"call_id\":\"flood-" not in line:
            o.write(line)' "$work/out.ndjson" "$work/normal.ndjson"
python3 "$lib/compare_truth.py" --label flood-normal "$work/n.ndjson" "$work/normal.ndjson" ||
    { echo "FAIL: normal calls differ from their truth"; fail=1; }
[ $fail -eq 0 ] && echo "PASS: flood"
exit $fail
