#!/usr/bin/env bash
# test_sipp_live.sh - real SIP peers on loopback: SIPp's built-in UAS and its
# uac_pcap UAC (INVITE with SDP, 236 G.711A packets played from a pcap, RFC
# 2833 DTMF, BYE) place CALLS calls while dumpcap captures the loopback
# traffic; siphon must rebuild every call, and its RTP figures must match
# tshark's on the same capture.
# Traffic: loopback only, CALLS calls, bounded by timeouts.
set -euo pipefail
: "${SIPHON:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
CALLS=3
work="$TEST_TMP/sipp_live"
rm -rf "$work" && mkdir -p "$work/pcap"
cp /usr/share/sip-tester/g711a.pcap /usr/share/sip-tester/dtmf_2833_1.pcap "$work/pcap/"
cd "$work"
sip_uas=15070 sip_uac=15071 media_uas=26100 media_uac=26200
filter="udp and host 127.0.0.1 and (port $sip_uas or port $sip_uac or portrange $media_uas-$((media_uas+9)) or portrange $media_uac-$((media_uac+99)))"
dumpcap -q -i lo -f "$filter" -w "$work/live.pcapng" -a duration:60 >/dev/null 2>&1 &
cap_pid=$!
trap 'kill $cap_pid 2>/dev/null || true; pkill -f "sipp.*-p $sip_uas" 2>/dev/null || true' EXIT
sleep 1.5
timeout 60 sipp -sn uas -i 127.0.0.1 -p $sip_uas -mp $media_uas -m $CALLS -nostdin >/dev/null 2>&1 &
uas_pid=$!
sleep 0.5
timeout 60 sipp -sn uac_pcap 127.0.0.1:$sip_uas -i 127.0.0.1 -p $sip_uac -mp $media_uac \
    -m $CALLS -l $CALLS -r $CALLS -nostdin >/dev/null 2>&1
wait $uas_pid || true
sleep 1
kill -INT $cap_pid; wait $cap_pid 2>/dev/null || true
trap - EXIT

"$SIPHON" analyze --json --no-progress "$work/live.pcapng" > "$work/siphon.ndjson"
tshark -n -q -z rtp,streams -r "$work/live.pcapng" > "$work/tshark.txt" 2>/dev/null
python3 "$TESTS_DIR/integration/lib/check_sipp_live.py" "$work/siphon.ndjson" "$work/tshark.txt" $CALLS
