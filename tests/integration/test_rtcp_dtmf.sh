#!/usr/bin/env bash
# test_rtcp_dtmf.sh - `siphon analyze --json` end to end on RTCP, DTMF and
# RFC 6035 captures (lib/check_rtcp_dtmf.py asserts the fields):
#   - SIPp's dtmf_2833_{0..9,pound,star}.pcap (RFC 4733 events, no
#     signalling): one orphan stream each carrying its one digit;
#   - nDPI's RTCP capture (SR+SDES / RR+SDES compounds, RTCP only): the
#     report blocks, CNAMEs and the ~8.16 ms round trip;
#   - the snom vq-rtcpxr PUBLISH: a standalone vq_report record.
set -euo pipefail
: "${SIPHON:?}" "${SHARED_DIR:?}" "${TESTS_DIR:?}"
work="${TEST_TMP:-/tmp}/rtcp_dtmf.$$"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

sipp_dir=/usr/share/sip-tester
for d in 0 1 2 3 4 5 6 7 8 9 pound star; do
    f="$sipp_dir/dtmf_2833_$d.pcap"
    [ -f "$f" ] || { echo "skip: $f missing"; continue; }
    "$SIPHON" analyze --json --no-progress "$f" > "$work/dtmf_$d.ndjson"
    python3 "$TESTS_DIR/integration/lib/check_rtcp_dtmf.py" dtmf "$d" "$work/dtmf_$d.ndjson"
done

"$SIPHON" analyze --json --no-progress \
    "$SHARED_DIR/data/pcaps/ndpi_rtcp_multiple_pkts_in_the_same_datagram.pcap" > "$work/rtcp.ndjson"
python3 "$TESTS_DIR/integration/lib/check_rtcp_dtmf.py" rtcp - "$work/rtcp.ndjson"

"$SIPHON" analyze --json --no-progress \
    "$SHARED_DIR/data/pcaps/DERIVED_vq-rtcpxr_publish_snom821.pcap" > "$work/vq.ndjson"
python3 "$TESTS_DIR/integration/lib/check_rtcp_dtmf.py" vq - "$work/vq.ndjson"
echo "ok"
