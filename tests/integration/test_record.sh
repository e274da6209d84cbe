#!/usr/bin/env bash
# test_record.sh - the packet store: `siphon analyze --record.dir` records
# every call's packets, `siphon pcap CALL_ID` gives each one back.
#
#  1. Per-call pcaps equal tshark's filtering of the source capture (the
#     call's SIP by Call-ID and its RTP/RTCP flows; lib/record_oracle.py),
#     frame for frame (ns timestamps, link type, lengths, bytes): 100
#     generated calls (challenges, forks, re-INVITEs, failures) with one
#     thread and with --threads 2, SIP over TCP, fragmented INVITEs, IPv6
#     in VLANs (the shared captures: test_record_shared.sh).
#  2. record.rtp = headers: RTP frames cut right after the RTP header, wire
#     length kept, SIP and RTCP whole; the store is smaller.
#  3. record.calls = rules: exactly the calls a rule selects (caller glob,
#     IP prefix, a header and its value) are recorded.
#  4. siphon run (replaying capture.file) records by default, and siphon
#     pcap finds the store through the configuration file (-c).
#  5. A small record.max_disk is never exceeded while a long capture is
#     recorded (sampled during the run and after), old segments are
#     deleted and counted, and a call in them is reported gone.
set -uo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${SHARED_DIR:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
work="$TEST_TMP/record"
rm -rf "$work" && mkdir -p "$work"
sampler=
cleanup() { [ -n "$sampler" ] && kill "$sampler" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
oracle="$TESTS_DIR/integration/lib/record_oracle.py"
failed=()
fail() { echo "FAIL: $1: $2"; failed+=("$1"); }

# analyze NAME PCAP STORE [options...]: JSON with messages into $work/NAME.json
analyze() {
    local name=$1 pcap=$2 store=$3
    shift 3
    "$SIPHON" analyze --json --messages --no-progress --capture.dedup_slots=0 \
        --record.dir="$store" "$@" "$pcap" >"$work/$name.json" 2>"$work/$name.err" ||
        fail "$name-analyze" "exit $?: $(tail -3 "$work/$name.err")"
}

# 1. generated and shared captures against tshark -------------------------
"$SIPHON_GEN" -q -o "$work/g100.pcap" --seed 12 --calls 100 --duration 2 --challenge 20 --fork \
    --reinvite --fail-mix busy=10,cancel=10 || fail gen "g100"
"$SIPHON_GEN" -q -o "$work/gtcp.pcap" --seed 13 --calls 30 --duration 1 --tcp --challenge 30 ||
    fail gen "gtcp"
"$SIPHON_GEN" -q -o "$work/gfrag.pcap" --seed 14 --calls 20 --duration 1 --fragment || fail gen gfrag
"$SIPHON_GEN" -q -o "$work/gv6.pcap" --seed 15 --calls 20 --duration 1 --ipv6 --encap vlan ||
    fail gen gv6
analyze g100.t0 "$work/g100.pcap" "$work/st.g100.t0"
python3 "$oracle" "$work/g100.pcap" "$work/g100.t0.json" "$work/st.g100.t0" "$SIPHON" \
    --min-calls 100 || fail g100-t0 "per-call pcaps differ from tshark"
analyze g100.t2 "$work/g100.pcap" "$work/st.g100.t2" --threads 2
python3 "$oracle" "$work/g100.pcap" "$work/g100.t2.json" "$work/st.g100.t2" "$SIPHON" \
    --every 4 --min-calls 25 || fail g100-t2 "per-call pcaps differ from tshark"
[ "$(awk '$1 == "C" { $8 = $9 = $10 = ""; print }' "$work/st.g100.t0/calls.idx" | sort)" = \
    "$(awk '$1 == "C" { $8 = $9 = $10 = ""; print }' "$work/st.g100.t2/calls.idx" | sort)" ] ||
    fail g100-t2-index "--threads 2 recorded other calls, times, packets or bytes"
for g in gtcp gfrag gv6; do
    analyze "$g" "$work/$g.pcap" "$work/st.$g" --threads 2
    python3 "$oracle" "$work/$g.pcap" "$work/$g.json" "$work/st.$g" "$SIPHON" --min-calls 20 ||
        fail "$g" "per-call pcaps differ from tshark"
done
# 2. record.rtp = headers ------------------------------------------------
analyze g100.hdr "$work/g100.pcap" "$work/st.hdr" --record.rtp=headers
python3 "$oracle" "$work/g100.pcap" "$work/g100.hdr.json" "$work/st.hdr" "$SIPHON" --headers \
    --every 4 --min-calls 25 || fail headers "headers-mode pcaps differ from the cut source frames"
full=$(du -sb "$work/st.g100.t0" | cut -f1)
hdr=$(du -sb "$work/st.hdr" | cut -f1)
echo "store: full $full bytes, headers $hdr bytes"
[ "$hdr" -lt $((full / 2)) ] || fail headers-size "headers store $hdr not under half of $full"

# 3. record.calls = rules ------------------------------------------------
# rules_check NAME EXPR RULES...: the calls recorded are those EXPR (python,
# over c = the call record) selects
rules_check() {
    local name=$1 expr=$2
    shift 2
    analyze "rules.$name" "$work/g100.pcap" "$work/st.rules.$name" --record.calls=rules "$@"
    python3 - "$work/rules.$name.json" "$work/st.rules.$name/calls.idx" "$expr" <<'EOF' ||
import fnmatch, json, sys
calls = [json.loads(l) for l in open(sys.argv[1])]
calls = [c for c in calls if c.get("type") == "call"]
want = {c["call_id"] for c in calls if eval(sys.argv[3])}
got = {l.split()[10] for l in open(sys.argv[2]) if l.startswith("C ")}
print("rules %s: %d calls selected, %d recorded" % (sys.argv[3], len(want), len(got)))
sys.exit(0 if want == got and 0 < len(want) < len(calls) or
         (sys.argv[3] == "False" and not got) else 1)
EOF
        fail "rules-$name" "recorded calls are not the selected ones"
}
rules_check caller 'fnmatch.fnmatchcase(c["caller"], "1*") or fnmatch.fnmatchcase(c["callee"], "*7")' \
    '--record.rules=caller=1*,callee=*7'
rules_check ip '(c["src_ip"].startswith("10.16.") or c["dst_ip"].startswith("10.16.")) and fnmatch.fnmatchcase(c["caller"], "*[05]")' \
    '--record.rules=ip=10.16.0.0/16 & caller=*[05]'
rules_check header 'c["user_agent"] == "siphon-gen/1.0" and c["callee"][-1] in "12"' \
    '--record.rules=header=User-Agent: SIPHON-GEN/1.0 & callee=*[12]'
rules_check none 'False' '--record.rules=header=X-Record: yes'
"$SIPHON" analyze --no-progress --record.dir="$work/st.bad" --record.calls=rules \
    --record.rules=colour=red "$work/g100.pcap" >/dev/null 2>"$work/bad.err" &&
    fail rules-bad "a bad rule was accepted"
grep -q 'unknown key' "$work/bad.err" || fail rules-bad-words "$(cat "$work/bad.err")"

# 4. siphon run records by default; siphon pcap reads the configured store -
printf '[record]\ndir = %s\nmin_free = 0\n[storage]\nenabled = false\n' "$work/st.run" >"$work/run.conf"
"$SIPHON" run -c "$work/run.conf" --allow-root --capture.file="$work/gtcp.pcap" \
    --correlator.shards=2 --capture.dedup_slots=0 >"$work/run.out" 2>"$work/run.err" ||
    fail run "siphon run exit $?: $(tail -3 "$work/run.err")"
cid=$(awk '$1 == "C" { print $11; exit }' "$work/st.run/calls.idx" 2>/dev/null)
[ -n "$cid" ] || fail run-store "siphon run recorded nothing"
"$SIPHON" pcap -c "$work/run.conf" -o "$work/run1.pcap" "$cid" || fail run-pcap "exit $?"
"$SIPHON" pcap --record.dir="$work/st.gtcp" -o "$work/an1.pcap" "$cid" || fail an-pcap "exit $?"
cmp -s "$work/run1.pcap" "$work/an1.pcap" || fail run-same "run and analyze stored $cid differently"
"$SIPHON" pcap -c "$work/run.conf" --list "$cid" | grep -q "packets=" || fail list "--list"
"$SIPHON" pcap -c "$work/run.conf" -o "$work/x.pcap" no-such-call-id 2>/dev/null &&
    fail unknown "an unknown Call-ID gave a pcap"

# 5. record.max_disk on a long capture ---------------------------------------
"$SIPHON_GEN" -q -o "$work/long.pcap" --seed 16 --calls 60 --concurrency 10 --duration 20 ||
    fail gen long
max=$((3 * 1024 * 1024))
store="$work/st.long"
mkdir -p "$store"
(
    peak=0
    while :; do
        s=$(find "$store" -type f -printf '%s\n' 2>/dev/null | awk '{ t += $1 } END { print t + 0 }')
        [ "$s" -gt "$peak" ] && peak=$s && echo "$peak" >"$work/peak"
        sleep 0.02
    done
) &
sampler=$!
analyze long "$work/long.pcap" "$store" --record.max_disk=$max --record.segment_time=2s \
    --record.min_free=0
kill "$sampler" 2>/dev/null
wait "$sampler" 2>/dev/null
sampler=
peak=$(cat "$work/peak" 2>/dev/null || echo 0)
final=$(find "$store" -type f -printf '%s\n' | awk '{ t += $1 } END { print t + 0 }')
deleted=$(sed -n 's/.*, \([0-9]*\) segments deleted.*/\1/p' "$work/long.err")
src=$(stat -c %s "$work/long.pcap")
echo "max_disk $max: peak $peak, final $final bytes, $deleted segments deleted (capture $src bytes)"
[ "$peak" -gt 0 ] && [ "$peak" -le "$max" ] || fail disk-peak "store reached $peak > $max"
[ "$final" -le "$max" ] || fail disk-final "store is $final > $max"
[ "${deleted:-0}" -gt 0 ] || fail disk-deleted "no segment deleted"
grep -q '^G ' "$store/calls.idx" || fail disk-gone-lines "calls.idx marks no segment gone"
first=$(python3 -c 'import json,sys
c=[json.loads(l) for l in open(sys.argv[1]) if "\"type\":\"call\"" in l]
c.sort(key=lambda r: r["start_ts"]); print(c[0]["call_id"], c[-1]["call_id"])' "$work/long.json")
set -- $first
"$SIPHON" pcap --record.dir="$store" -o "$work/first.pcap" "$1" 2>"$work/first.err" &&
    fail disk-first "the first call's pcap came out whole"
grep -q gone "$work/first.err" || fail disk-first-gone "$(cat "$work/first.err")"
"$SIPHON" pcap --record.dir="$store" --list "$1" | grep -q ' gone$' || fail disk-list-gone "--list"
"$SIPHON" pcap --record.dir="$store" -o "$work/last.pcap" "$2" || fail disk-last "exit $?"

if [ ${#failed[@]} -gt 0 ]; then
    echo "FAIL: ${failed[*]}"
    exit 1
fi
echo "PASS: per-call pcaps equal tshark's filtering; headers, rules, run, max_disk hold"
