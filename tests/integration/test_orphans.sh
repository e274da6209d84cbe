#!/usr/bin/env bash
# test_orphans.sh - RTP without signalling.  siphon classifies UDP flows it
# could not attribute with nDPI (plus its own RTP checks when nDPI has no
# verdict) and reports the media ones as orphan streams.  tshark in heuristic
# RTP mode is the oracle: every stream it finds in these captures must be an
# orphan stream in siphon's output with the same packet count and loss, and
# jitter mean/max within 0.01 ms where tshark computes jitter.
set -euo pipefail
: "${SIPHON:?}" "${SHARED_DIR:?}" "${TESTS_DIR:?}"
fail=0
check() { # FILE [tshark stream keys to ignore...]
    local f=$1
    shift
    if python3 "$TESTS_DIR/integration/lib/check_orphans.py" "$SIPHON" "$f" "$@"; then
        :
    else
        fail=1
    fi
}
check "$SHARED_DIR/data/pcaps/ndpi_rtp.pcapng"
check "$SHARED_DIR/data/pcaps/sipp_g711a.pcap"
check /usr/share/sip-tester/g711a.pcap
# WebRTC: STUN/DTLS/SRTP on one 5-tuple.  tshark also "finds" two streams in
# TURN-relayed STUN traffic on port 3478 that are not RTP (its heuristic
# matches STUN attribute bytes); those are excluded by source port.
check "$SHARED_DIR/data/pcaps/ndpi_stun_dtls_rtp.pcapng" --ignore-port 3478
exit $fail
