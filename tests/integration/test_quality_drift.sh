#!/usr/bin/env bash
# test_quality_drift.sh - a drifting sender clock is not jitter.
#
# siphon-gen --drift-ppm makes both RTP senders' clocks run fast or slow:
# arrival gaps differ from the RTP timestamp gaps by that many ppm, with no
# jitter and no loss.  For each drift, one 10-minute G.711 call:
#   - tshark (the oracle) sees a clean stream: 0 lost, jitter max no more
#     than the drift's own 20 ms x ppm per packet (0.003 ms at 150 ppm), and
#     siphon's jitter equals tshark's (the drift is in the capture);
#   - siphon scores it as clean: 0 fixed and adaptive discards, in every
#     interval too, and MOS >= 4.3 per stream and per call.
# Then real jitter on a drifting call is still jitter: --jitter 100 with
# -300 ppm gives discards within 5 % of the same call without drift
# (the same seed draws the same delays).
set -uo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
work="$TEST_TMP/quality_drift"
rm -rf "$work" && mkdir -p "$work"
lib="$TESTS_DIR/integration/lib"
failed=()

gen_analyze() { # name gen-options...
    local name=$1; shift
    "$SIPHON_GEN" -q --seed 3 --calls 1 --duration 600 -o "$work/$name.pcap" "$@" ||
        { echo "$name: FAIL: generator"; failed+=("$name"); return 1; }
    "$SIPHON" analyze --json --no-progress "$work/$name.pcap" >"$work/$name.json" ||
        { echo "$name: FAIL: siphon"; failed+=("$name"); return 1; }
}

for ppm in -1000 -300 -150 150 300 1000 10000; do
    name="drift_$ppm"
    gen_analyze "$name" --codec pcmu --drift-ppm "$ppm" || continue
    python3 "$lib/tshark_rtp.py" "$work/$name.pcap" >"$work/$name.tshark" ||
        { echo "$name: FAIL: tshark"; failed+=("$name"); continue; }
    python3 - "$work/$name.json" "$work/$name.tshark" "$ppm" <<'EOF' || failed+=("$name")
import json, sys
calls = [json.loads(l) for l in open(sys.argv[1])]
calls = [c for c in calls if c.get("type") == "call"]
oracle = {(s["src_ip"], s["src_port"], s["ssrc"]): s for s in map(json.loads, open(sys.argv[2]))}
ppm = sys.argv[3]
bad = []
if len(calls) != 1:
    bad.append("%d calls, want 1" % len(calls))
streams = [s for c in calls for s in c["streams"]]
if len(streams) != 2:
    bad.append("%d streams, want 2" % len(streams))
for s in streams:
    o = oracle.get((s["src_ip"], s["src_port"], s["ssrc"].lower()))
    tag = "%s:%d %s" % (s["src_ip"], s["src_port"], s["ssrc"])
    if o is None:
        bad.append("%s: not in tshark's table" % tag)
        continue
    # the drift's own D per packet: 20 ms x ppm (0.2 ms at 1 %)
    if o["lost"] != 0 or o["jitter_max_ms"] > 20 * abs(int(ppm)) * 1e-6 + 0.01:
        bad.append("%s: tshark lost %d jitter max %.3f: not a clean stream" % (tag, o["lost"], o["jitter_max_ms"]))
    if abs(s["jitter_max_ms"] - o["jitter_max_ms"]) > 0.001:
        bad.append("%s: jitter max %.3f, tshark %.3f" % (tag, s["jitter_max_ms"], o["jitter_max_ms"]))
    iv = sum(v["discards"] for v in s["intervals"])
    print("drift %s ppm %s: tshark jitter max %.3f ms lost %d; siphon mos %s discards %s adaptive %s "
          "interval discards %d" % (ppm, tag, o["jitter_max_ms"], o["lost"], s["mos"], s["discards"],
                                    s["discards_adaptive"], iv))
    if s["discards"] != 0 or s["discards_adaptive"] != 0 or iv != 0:
        bad.append("%s: discards %s/%s/%d on a jitter-free stream" % (tag, s["discards"], s["discards_adaptive"], iv))
    if s["mos"] is None or s["mos"] < 4.3 or s["mos_min"] < 4.3:
        bad.append("%s: mos %s mos_min %s < 4.3" % (tag, s["mos"], s["mos_min"]))
for c in calls:
    if c["mos"] is None or c["mos"] < 4.3:
        bad.append("call mos %s < 4.3" % c["mos"])
for b in bad:
    print("FAIL: drift %s ppm: %s" % (ppm, b))
sys.exit(1 if bad else 0)
EOF
done

gen_analyze jitter --codec pcmu --jitter 100 &&
    gen_analyze jitter_drift --codec pcmu --jitter 100 --drift-ppm -300 &&
    python3 - "$work/jitter.json" "$work/jitter_drift.json" <<'EOF' || failed+=("jitter_drift")
import json, sys
def discards(path):
    calls = [json.loads(l) for l in open(path)]
    return sorted(s["discards"] for c in calls if c.get("type") == "call" for s in c["streams"])
a, b = discards(sys.argv[1]), discards(sys.argv[2])
print("jitter 0..100 ms: discards without drift %s, at -300 ppm %s" % (a, b))
ok = len(a) == 2 and len(b) == 2 and all(x > 1000 for x in a) and \
    all(abs(x - y) <= 0.05 * x for x, y in zip(a, b))
if not ok:
    print("FAIL: real jitter on a drifting call is not counted as without drift")
sys.exit(0 if ok else 1)
EOF

if [ ${#failed[@]} -ne 0 ]; then
    echo "FAILED: ${failed[*]}"
    exit 1
fi
echo "all drift cases passed"
