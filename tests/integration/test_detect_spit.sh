#!/usr/bin/env bash
# test_detect_spit.sh - SPIT detection on a generated population
# (lib/spit_population.py: 2,700 people calling their contacts, 150 busy
# call-centre lines, 150 robocallers, one hour of signalling, each caller
# with the behaviour its kind has, seeded).  `siphon analyze --alerts
# --json` must report at least 95 % of the robocallers as spit and at most
# 1 % of the legitimate callers (people and busy lines), every spit
# incident explained (score and features), and raise nothing else.
set -euo pipefail
: "${SIPHON:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
work="$TEST_TMP/detect_spit"
rm -rf "$work" && mkdir -p "$work"
trap 'rm -f "$work/spit.pcap"' EXIT
python3 "$TESTS_DIR/integration/lib/spit_population.py" "$work/spit.pcap" "$work/truth.json" \
    2700 150 150 "${SPIT_SEED:-1}"
"$SIPHON" analyze --alerts --json --no-progress "$work/spit.pcap" >"$work/out.ndjson"
python3 - "$work/truth.json" "$work/out.ndjson" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
alerts = [json.loads(l) for l in open(sys.argv[2]) if '"type":"alert"' in l]
other = sorted({a["alert_type"] for a in alerts if a["alert_type"] != "spit"})
spit = [a for a in alerts if a["alert_type"] == "spit"]
for a in spit:
    assert 0 < a["evidence"]["score"] <= 1 and "features" in a["evidence"], a
flagged = {a["target_user"] for a in spit}
spam, legit = set(t["spammers"]), set(t["benign"]) | set(t["busy"])
caught = len(flagged & spam) / len(spam)
false = len(flagged & legit) / len(legit)
print("%d calls, %d frames: %d of %d robocallers reported (%.1f %%), %d of %d legitimate "
      "callers (%.2f %%: %d people, %d busy lines)" % (
          t["calls"], t["frames"], len(flagged & spam), len(spam), 100 * caught,
          len(flagged & legit), len(legit), 100 * false, len(flagged & set(t["benign"])),
          len(flagged & set(t["busy"]))))
assert not other, "other alerts on the population: %s" % other
assert caught >= 0.95, caught
assert false <= 0.01, false
print("PASS: SPIT >= 95 % caught, <= 1 % of legitimate callers flagged")
PY
