#!/usr/bin/env bash
# test_detect_flood.sh - a flood from a million source addresses keeps the
# detection within its memory bound and is still seen.
#
# lib/flood_sources.py writes 70 s of ordinary call signalling (20 calls/s,
# enough for the distribution anomaly to learn its 12 slots of 5 s) and
# then FLOOD_N (default 1,000,000) INVITEs, each from its own address,
# towards one server at 50,000/s.  `siphon analyze --alerts --json` with
# alerts.memory = 16 MiB must:
#   - report detect.memory_bytes <= 16 MiB, and evict at least
#     FLOOD_N - 100,000 per-source entries (counted, sources_evicted);
#   - judge every message (detect.messages = sip_messages: lossless);
#   - open a flood incident towards the server (rule target) within 1 s
#     of packet time of the flood's start, and a distribution_anomaly
#     incident at the end of the first slot the flood is in (<= 5 s), and
#     no per-source flood (no source sent twice);
#   - stay within a peak RSS of test_flood.sh's bound for the correlator
#     (--max-calls 10000: 10,000 x 2,056 B x 2.5 for ASan + 100 MB) plus
#     the detection's: its 16 MiB bound and its queue (8,192 records of
#     < 1 KiB).  Measured: ~11 MB more than the same analysis without
#     --alerts (release build).
set -uo pipefail
: "${SIPHON:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
n=${FLOOD_N:-1000000}
work="$TEST_TMP/detect_flood"
rm -rf "$work" && mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
start=1709294000
python3 "$TESTS_DIR/integration/lib/flood_sources.py" "$work/flood.pcap" "$n" "$start" 70 ||
    { echo "FAIL: flood_sources.py"; exit 1; }
/usr/bin/time -f "%M" -o "$work/rss" "$SIPHON" analyze --alerts --json --no-progress \
    --max-calls 10000 --alerts.memory=16MiB "$work/flood.pcap" >"$work/out.ndjson" ||
    { echo "FAIL: analyze --alerts"; exit 1; }
rm -f "$work/flood.pcap"
python3 - "$work/out.ndjson" "$n" "$start" "$(cat "$work/rss")" <<'PY'
import json, sys
from datetime import datetime
path, n, start, rss = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
flood_start = start + 70 + 2.5
recs = [json.loads(l) for l in open(path) if '"type":"call"' not in l]
s = recs[-1]
d = s["detect"]
alerts = [r for r in recs if r["type"] == "alert"]
def ts(x):
    return datetime.strptime(x.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
bound = 16 << 20
limit_kb = (10000 * 2056 * 5 // 2 + 100 * 1024 * 1024 + bound + 8192 * 1024) // 1024
print("detect: %s" % d)
print("peak RSS %d kB (bound %d kB)" % (rss, limit_kb))
assert d["memory_limit"] == bound and d["memory_bytes"] <= bound, d
assert d["sources_evicted"] >= n - 100000, d
assert d["messages"] == s["sip_messages"], (d["messages"], s["sip_messages"])
assert rss <= limit_kb, "peak RSS %d kB > %d kB" % (rss, limit_kb)
opens = {}
for a in alerts:
    if a["phase"] == "open":
        opens.setdefault(a["alert_type"], []).append(a)
for t in ("flood", "distribution_anomaly"):
    assert t in opens, "no %s incident; opened: %s" % (t, sorted(opens))
target = [a for a in opens["flood"] if a["evidence"].get("rule") == "target"]
assert target and not [a for a in opens["flood"] if a["src_ip"]], opens["flood"]
for t, a, most in (("flood", target[0], 1.0),
                   ("distribution_anomaly", opens["distribution_anomaly"][0], 5.0)):
    lat = ts(a["last_ts"]) - flood_start
    print("%s opened %.3f s into the flood: %s" % (t, lat, a["summary"]))
    assert -0.001 <= lat <= most, lat
print("PASS: a %d-source flood within the 16 MiB bound, seen as flood and anomaly" % n)
PY
