#!/usr/bin/env bash
# test_detect_benign.sh - ordinary SIP traffic raises no alert.
#
# On loopback, captured by dumpcap, for about 25 s:
#   - a sustained call load: SIPp placing 40 calls (2 per second, 3 s each,
#     a desk phone's User-Agent, lib/sipp/benign_uac.xml) to SIPp's UAS;
#   - ten phones (each its own address 127.0.1.10-19) registering with
#     digest authentication to Kamailio (lib/detect_registrar.sh) at start
#     and again at the end, one of them once with a wrong password first
#     (lib/sipp/benign_register.xml);
#   - the same ten phones sending OPTIONS keep-alives once a second
#     (lib/sipp/benign_options.xml).
# `siphon analyze --alerts --json` of the capture must write no alert at
# all (no security alert, and no quality alert: there is no media), while
# the traffic really was there (calls answered, registrations, options),
# and the detector must have judged every message (summary "detect").
set -euo pipefail
: "${SIPHON:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
work="$TEST_TMP/detect_benign"
rm -rf "$work" && mkdir -p "$work"
lib="$TESTS_DIR/integration/lib"
source "$lib/detect_registrar.sh"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    registrar_stop
}
trap cleanup EXIT
kport=$(free_udp_port)
registrar_start "$work" "$kport"
uport=$(free_udp_port)
[ "$uport" != "$kport" ] || uport=$((kport + 1))
dumpcap -q -i lo -f "udp port $kport or udp port $uport" -w "$work/benign.pcapng" -a duration:60 \
    >/dev/null 2>&1 &
cap_pid=$!
pids+=($cap_pid)
sleep 1
timeout 45 sipp -sn uas -i 127.0.0.1 -p "$uport" -m 40 -nostdin >"$work/uas.log" 2>&1 &
pids+=($!)
sleep 0.3
timeout 45 sipp -sf "$lib/sipp/benign_uac.xml" 127.0.0.1:"$uport" -i 127.0.0.31 -p 0 -r 2 -m 40 \
    -l 10 -nostdin >"$work/uac.log" 2>&1 &
uac_pid=$!
pids+=($uac_pid)
register() { # IP ACCOUNT PASSWORD
    timeout 10 sipp -sf "$lib/sipp/benign_register.xml" 127.0.0.1:"$kport" -i "$1" -p 0 -s "$2" \
        -au "$2" -ap "$3" -m 1 -nostdin >>"$work/register.log" 2>&1 || true
}
for n in $(seq 0 9); do
    ip=127.0.1.$((10 + n)) acct=$((110 + n))
    [ $n -eq 9 ] && register "$ip" "$acct" wrong-password
    register "$ip" "$acct" "pw$acct"
    timeout 40 sipp -sf "$lib/sipp/benign_options.xml" 127.0.0.1:"$kport" -i "$ip" -p 0 -s "$acct" \
        -r 1 -m 20 -nostdin >"$work/options.$n.log" 2>&1 &
    pids+=($!)
done
wait "$uac_pid" || true
sleep 2
for n in $(seq 0 9); do register 127.0.1.$((10 + n)) $((110 + n)) pw$((110 + n)); done
sleep 1
kill -INT $cap_pid; wait $cap_pid 2>/dev/null || true

"$SIPHON" analyze --alerts --json --no-progress "$work/benign.pcapng" >"$work/out.ndjson"
# the wrong password was tried: one 401 more than the routine one per registration
n401=$(tshark -n -r "$work/benign.pcapng" -Y 'sip.Status-Code==401' 2>/dev/null | wc -l)
n200=$(tshark -n -r "$work/benign.pcapng" -Y 'sip.Status-Code==200 and sip.CSeq.method=="REGISTER"' \
    2>/dev/null | wc -l)
echo "REGISTER: $n401 challenges, $n200 accepted"
[ "$n401" -gt "$n200" ] || { echo "FAIL: no failed authentication in the load"; exit 1; }
python3 - "$work/out.ndjson" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
alerts = [r for r in recs if r["type"] == "alert"]
calls = [r for r in recs if r["type"] == "call"]
s = recs[-1]
answered = sum(1 for c in calls if c["state"] == "answered")
print("benign load: %d calls (%d answered), %d registrations (%d challenged), %d OPTIONS, "
      "%d SIP messages judged, alerts %d" % (
          len(calls), answered, s["correlate"]["registrations"],
          s["correlate"]["registrations_challenged"], s["correlate"]["options"],
          s["detect"]["messages"], len(alerts)))
for a in alerts:
    print("unexpected alert:", a["alert_type"], a["src_ip"], a["summary"])
assert answered >= 38, "the call load did not happen (%d answered)" % answered
assert s["correlate"]["registrations"] >= 20, s["correlate"]
assert s["correlate"]["options"] >= 150, s["correlate"]
assert s["detect"]["messages"] == s["correlate"]["sip_messages"], s["detect"]
assert not alerts, "%d alerts on benign traffic" % len(alerts)
print("PASS: no alert on the benign load")
PY
