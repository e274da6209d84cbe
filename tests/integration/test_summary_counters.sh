#!/usr/bin/env bash
# test_summary_counters.sh - nothing vanishes without a trace: every counter
# of cap_stats_t, corr_stats_t and pl_stats_t (read from the headers) is in
# the JSON summary, the same with and without correlator threads, every
# non-zero one in the text summary, and the summary's stream/call counts are
# the records written (lib/summary_counters.py).
set -euo pipefail
: "${SIPHON:?}" "${SHARED_DIR:?}" "${TESTS_DIR:?}"
p=$SHARED_DIR/data/pcaps
python3 "$TESTS_DIR/integration/lib/summary_counters.py" "$SIPHON" "$TESTS_DIR/.." \
    "$p/sngrep_aaa.pcap" "$p/ndpi_fuzz-2006-06-26-2594.pcap" "$p/ndpi_FAX-Call-t38-CA-TDM-SIP-FB-1.pcap" \
    "$p/ndpi_rtp.pcapng" "$p/heplify_sip_tcp_websocket.pcap" "$p/ndpi_rtcp_multiple_pkts_in_the_same_datagram.pcap"
