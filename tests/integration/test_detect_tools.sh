#!/usr/bin/env bash
# test_detect_tools.sh - real attack tools against a real registrar, on
# loopback: Kamailio with digest authentication (lib/detect_registrar.sh),
# then, each captured by dumpcap into its own capture:
#   svmap   (sipvicious) scanning 127.0.0.1-20 from 127.0.0.11
#   svwar   enumerating extensions 100-150 with REGISTER
#   svcrack guessing account 100's password (numeric range)
#   SIPp    an INVITE flood (built-in uac, 200 calls/s, 127.0.0.21)
#   SIPp    a REGISTER flood (lib/sipp/register_flood.xml, 200/s, 127.0.0.22)
# `siphon analyze --alerts --json` of each capture must open the incident
# the attack is (scanner, enumeration, bruteforce with the passwords tried,
# flood), within 1 s of packet time of the tool's first packet, close it at
# the end, and explain it in the evidence (lib/check_alerts.py).
# Bounded: each tool by timeout and a fixed number of requests; every
# server and capture is killed by its pid on exit.
set -euo pipefail
: "${SIPHON:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
work="$TEST_TMP/detect_tools"
rm -rf "$work" && mkdir -p "$work"
lib="$TESTS_DIR/integration/lib"
source "$lib/detect_registrar.sh"
cap_pid=
cleanup() {
    [ -n "$cap_pid" ] && kill "$cap_pid" 2>/dev/null
    registrar_stop
}
trap cleanup EXIT
port=$(free_udp_port)
registrar_start "$work" "$port"
lat="${DETECT_LATENCY_OUT:-$work/latency.txt}"

# capture NAME CMD...: runs CMD while dumpcap captures the registrar's port
# (and svmap's other targets), then analyses the capture.
capture() {
    local name=$1; shift
    dumpcap -q -i lo -f "udp port $port" -w "$work/$name.pcapng" -a duration:60 >/dev/null 2>&1 &
    cap_pid=$!
    sleep 1
    "$@" >"$work/$name.tool.log" 2>&1 || true
    sleep 1
    kill -INT $cap_pid; wait $cap_pid 2>/dev/null || true
    cap_pid=
    "$SIPHON" analyze --alerts --json --no-progress "$work/$name.pcapng" >"$work/$name.ndjson"
}

capture svmap timeout 20 svmap -b 127.0.0.11 127.0.0.1-127.0.0.20 -p "$port"
python3 "$lib/check_alerts.py" "$work/svmap.ndjson" "$work/svmap.pcapng" scanner 127.0.0.11 \
    --max-latency 1 --evidence tool=sipvicious --evidence fingerprints=user_agent \
    --evidence fingerprints=sipvicious_tag --latency-out "$lat"

capture svwar timeout 20 svwar -e100-150 -m REGISTER 127.0.0.1 -p "$port"
python3 "$lib/check_alerts.py" "$work/svwar.ndjson" "$work/svwar.pcapng" enumeration 127.0.0.1 \
    --max-latency 1 --evidence "distinct_users>=20" --latency-out "$lat"

capture svcrack timeout 30 svcrack -u 100 -r 1000-1060 127.0.0.1 -p "$port"
python3 "$lib/check_alerts.py" "$work/svcrack.ndjson" "$work/svcrack.pcapng" bruteforce 127.0.0.1 \
    --max-latency 1 --evidence verdict=cracker --evidence "passwords_tried>=40" \
    --evidence passwords=1060 --summary-has "account '100'" --latency-out "$lat"
python3 "$lib/check_alerts.py" "$work/svcrack.ndjson" "$work/svcrack.pcapng" scanner 127.0.0.1 \
    --evidence fingerprints=svcrack_first

capture sipp_invite timeout 20 sipp -sn uac 127.0.0.1:"$port" -i 127.0.0.21 -p 0 -r 200 -m 400 \
    -timeout 6 -nostdin
python3 "$lib/check_alerts.py" "$work/sipp_invite.ndjson" "$work/sipp_invite.pcapng" flood \
    127.0.0.21 --max-latency 1 --latency-out "$lat"
python3 "$lib/check_alerts.py" "$work/sipp_invite.ndjson" "$work/sipp_invite.pcapng" scanner \
    127.0.0.21 --evidence tool=sipp

capture sipp_register timeout 20 sipp -sf "$lib/sipp/register_flood.xml" 127.0.0.1:"$port" \
    -i 127.0.0.22 -p 0 -r 200 -m 400 -timeout 6 -nostdin
python3 "$lib/check_alerts.py" "$work/sipp_register.ndjson" "$work/sipp_register.pcapng" flood \
    127.0.0.22 --max-latency 1 --evidence "by_method.REGISTER>=30" --latency-out "$lat"
echo "PASS: scanner, enumeration, password guessing and floods detected from the real tools"
