#!/usr/bin/env bash
# test_messages.sh - `siphon analyze --json --messages` writes every SIP
# message the capture holds, once.
#
# For every capture in $SHARED_DIR/data/pcaps and a few generated ones
# (UDP with challenges and forks, TCP with split and merged segments), the
# sip_message lines are compared frame by frame with tshark's SIP messages
# (lib/compare_messages.py: a TCP segment may carry several; the few
# frames where tshark and siphon disagree for a named reason are listed),
# with duplicate suppression off (--capture.dedup_slots=0: tshark shows
# capture copies too).  They must come in capture order with --threads 0,
# and --threads 2 must give the same multiset of lines, call_key included.
# Each call's call_key must be the one its messages carry.
set -uo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${SHARED_DIR:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
work="$TEST_TMP/messages"
rm -rf "$work" && mkdir -p "$work"
lib="$TESTS_DIR/integration/lib"
failed=()

"$SIPHON_GEN" -q -o "$work/gen_udp.pcap" --seed 41 --calls 40 --duration 1 --challenge 30 --fork \
    --fail-mix busy=10,cancel=10 --reinvite || failed+=(gen-udp)
"$SIPHON_GEN" -q -o "$work/gen_tcp.pcap" --seed 42 --calls 30 --duration 1 --tcp --challenge 30 ||
    failed+=(gen-tcp)

captures=("$work"/*.pcap)
for f in "$SHARED_DIR"/data/pcaps/*; do
    case "$f" in *.pcap | *.pcapng) captures+=("$f") ;; esac
done
total=0
for pcap in "${captures[@]}"; do
    name=$(basename "$pcap")
    for t in 0 2; do
        "$SIPHON" analyze --json --messages --no-progress --capture.dedup_slots=0 --threads "$t" \
            "$pcap" >"$work/$name.t$t" 2>"$work/$name.t$t.err"
    done
    python3 "$lib/compare_messages.py" "$pcap" "$work/$name.t0" "$work/$name.t2" || failed+=("$name")
    n=$(grep -c '"type":"sip_message"' "$work/$name.t0")
    total=$((total + n))
done

# every call's key is carried by its messages, and keys differ between calls
python3 - "$work/gen_udp.pcap.t0" <<'PY' || failed+=(call-key)
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
calls = [r for r in recs if r.get("type") == "call"]
msgs = [r for r in recs if r.get("type") == "sip_message"]
keys = {c["call_key"] for c in calls}
assert len(calls) == 40 and len(keys) == 40 and None not in keys, (len(calls), len(keys))
by_cid = {c["call_id"]: c["call_key"] for c in calls}
n = 0
for m in msgs:
    if m["call_key"] is not None:
        assert by_cid[m["call_id"]] == m["call_key"], m
        n += 1
assert n == sum(c["sip_messages"] for c in calls), (n, sum(c["sip_messages"] for c in calls))
print("call_key: %d calls, %d messages carry their call's key" % (len(calls), n))
PY
[ "$total" -gt 1000 ] || { echo "FAIL: only $total messages in all captures"; failed+=(total); }

if [ ${#failed[@]} -ne 0 ]; then
    echo "FAIL: ${failed[*]}"
    exit 1
fi
echo "PASS: ${#captures[@]} captures, $total SIP messages, as tshark counts them; --threads 2 the same"
