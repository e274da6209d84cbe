#!/usr/bin/env bash
# test_call_semantics.sh - setup time, post-dial delay, registrations, fax
# calls and MOS on too few packets mean what a user reads into them, with
# tshark as the oracle on shared captures (lib/check_call_semantics.py):
# ndpi_sip/sngrep_aaa have INVITEs challenged by 407 and retried (setup from
# the retry: 193.853 ms, not 51,527.9), REGISTERs challenged by 401;
# ndpi_FAX-Call-t38 re-INVITEs to T.38; ndpi_fuzz has one-packet orphans.
set -euo pipefail
: "${SIPHON:?}" "${SHARED_DIR:?}" "${TESTS_DIR:?}"
p=$SHARED_DIR/data/pcaps
python3 "$TESTS_DIR/integration/lib/check_call_semantics.py" "$SIPHON" \
    "$p/ndpi_sip.pcap" "$p/sngrep_aaa.pcap" "$p/ndpi_FAX-Call-t38-CA-TDM-SIP-FB-1.pcap" \
    "$p/heplify_sip_ipv4_tcp.pcap" "$p/suricata-verify_sip-body-frames__public-cloudshark-sip-s0.pcap" \
    "$p/sipp_g711a.pcap" "mos:$p/ndpi_fuzz-2006-06-26-2594.pcap" "mos:$p/ndpi_rtp.pcapng" \
    "mos:$p/srtp_decoder_WebRTC_PCMA_p2p_SDES_Call_1.pcap"
