#!/usr/bin/env bash
# test_detect_quality.sh - quality alerts from real RTP: siphon-gen writes
# 8 calls (12 s of G.711 each) with 12 % random loss per direction, and the
# same calls without loss.  `siphon analyze --alerts --json` must open a
# quality incident (rule sustained_loss_jitter, loss above quality_loss_pct)
# on the lossy capture, one per direction's route, and raise nothing at all
# on the clean one.
set -euo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${TEST_TMP:?}"
work="$TEST_TMP/detect_quality"
rm -rf "$work" && mkdir -p "$work"
"$SIPHON_GEN" -o "$work/bad.pcap" --calls 8 --concurrency 4 --duration 12 --loss 12 --seed 3 -q
"$SIPHON_GEN" -o "$work/good.pcap" --calls 8 --concurrency 4 --duration 12 --seed 3 -q
"$SIPHON" analyze --alerts --json --no-progress "$work/bad.pcap" >"$work/bad.ndjson"
"$SIPHON" analyze --alerts --json --no-progress "$work/good.pcap" >"$work/good.ndjson"
python3 - "$work/bad.ndjson" "$work/good.ndjson" <<'PY'
import json, sys
def alerts(p):
    return [r for r in map(json.loads, open(p)) if r["type"] == "alert"]
bad, good = alerts(sys.argv[1]), alerts(sys.argv[2])
opened = [a for a in bad if a["phase"] == "open"]
for a in opened:
    print(a["summary"])
assert len(opened) == 2 and all(a["alert_type"] == "quality" for a in opened), opened
for a in opened:
    e = a["evidence"]
    assert e["rule"] == "sustained_loss_jitter" and e["max_loss_pct"] >= 5, e
    assert e["bad_intervals"] >= 3, e
assert not good, "alerts on clean calls: %s" % [a["summary"] for a in good]
print("PASS: lossy routes reported, clean calls not")
PY
