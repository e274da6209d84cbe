#!/usr/bin/env bash
# test_tshark_oracle.sh - siphon's RTP statistics and call states against
# tshark (Wireshark 4.0), the reference oracle (see
# $SHARED_DIR/reference/quality.md, "tshark as the reference oracle").
#
# RTP (lib/oracle_rtp.py): for every stream `tshark -z rtp,streams` decodes,
# siphon must report the same (src, dst, SSRC) with equal packets, lost
# (tshark's Lost is compared with siphon's lost_wireshark, the exact analogue
# of Wireshark 4.0's "last received seq - first + 1 - packets"; siphon's
# RFC 3550 `lost` differs when a stream's last packet is late and is checked
# against the generator's truth in test_gen_truth.sh), and jitter mean/max
# and max delta within 0.01 ms.
#   - generated captures with loss, bursts, jitter, reordering, duplicates,
#     a sequence wrap, other codecs and ptimes;
#   - the real captures that carry RTP: the T.38 fax call (G.711A with CN and
#     dynamic types, then a huge sequence jump), sngrep's aaa.pcap, heplify's
#     SIP-over-TCP call, nDPI's sip.pcap;
#   - SIPp's g711a.pcap, which has no signalling: tshark decodes it only with
#     -o rtp.heuristic_rtp:TRUE and siphon must report it as an orphan stream.
#   Each generated capture is first checked against tshark on its own
#   (lib/truth_vs_tshark.py: streams, packets, Lost, SIP message count), so a
#   failure can be blamed on the generator or on siphon.
#   Not used: the suricata-verify captures (no RTP in any of them), and
#   nDPI's rtp/stun_dtls_rtp captures, where only tshark's RTP heuristic
#   finds "streams" - WebRTC SRTP and STUN-multiplexed packets without any
#   signalling, a handful of packets each, so not a fair oracle.
# Known principled difference, avoided here on purpose: Wireshark counts the
# sequence cycles with a heuristic (a packet below the first sequence number
# starts a new cycle unless its timestamp is older), so when a packet from
# before a 65535->0 wrap arrives after the wrap, tshark's Lost is off by
# 65536.  The wrap capture therefore has loss but no reordering.
#
# Calls (lib/sip_states.py): on the real captures, the outcome of every
# INVITE dialog derived from tshark's SIP dissection must equal siphon's
# state (sngrep_aaa: INVITE/CANCEL -> cancelled, 407 then 403/480 ->
# rejected; the fax and TCP calls -> answered; the SIP-over-SCTP call ->
# rejected, with as many SIP messages as tshark dissects), pinned by hand as
# well.
#
# Duplicate suppression.  siphon drops capture duplicates by default (the
# same IP packet, TTL/hop limit and checksum aside, within 2 ms: capture/
# dedup.c); tshark has no such step and counts every frame.  So every
# comparison with tshark above runs siphon with --capture.dedup_slots=0:
# like with like.  The suppression itself is checked separately against an
# independent count (lib/dedup_oracle.py: whole IP packets compared byte for
# byte after masking, no hashing, no table) on
#   - the fax capture, which holds 23 SIP messages captured twice 0.3 to
#     1.4 ms apart (same IPv4 ID): the default run must report exactly that
#     many in decode.duplicates_dropped, and the summary's and the call's
#     sip_messages, and every RTP stream's packets, must be lower than with
#     dedup off by exactly the copies the count attributes to them;
#   - a generated capture with network duplicates (--duplicate, a new IPv4
#     ID each) and a second "SPAN" copy of every 7th frame written 50 us
#     later one hop further: the same, plus every stream's packets and RTP
#     duplicates and every call's sip_messages equal to siphon's figures on
#     the capture without the copies.
set -uo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}" "${SHARED_DIR:?}"
for tool in tshark python3 "$SIPHON" "$SIPHON_GEN"; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool not found"; exit 1; }
done
tshark --version | head -1
work="$TEST_TMP/tshark_oracle"
rm -rf "$work" && mkdir -p "$work"
lib="$TESTS_DIR/integration/lib"
pcaps="$SHARED_DIR/data/pcaps"
failed=()

analyze() { # name pcap [siphon args...] -> $work/name.ndjson; false on error
    # tshark counts every frame: compare with duplicate suppression off
    # unless the caller says otherwise (a later option wins)
    local name=$1 pcap=$2; shift 2
    "$SIPHON" analyze --json --no-progress --capture.dedup_slots=0 "$@" "$pcap" \
        >"$work/$name.ndjson" 2>"$work/$name.stderr"
    local rc=$?
    if [ $rc -ne 0 ]; then
        echo "$name: FAIL: siphon exited $rc on $pcap: $(head -c 400 "$work/$name.stderr")"
        failed+=("$name"); return 1
    fi
}

rtp_case() { # name pcap min_streams [--heuristic]
    local name=$1 pcap=$2 min=$3; shift 3
    [ -f "$pcap" ] || { echo "$name: FAIL: $pcap missing"; failed+=("$name"); return; }
    analyze "$name" "$pcap" || return
    python3 "$lib/oracle_rtp.py" --label "$name" --min-streams "$min" "$@" \
        "$pcap" "$work/$name.ndjson" || failed+=("$name")
}

gen_case() { # name seed generator-args...
    local name=$1 seed=$2; shift 2
    if ! "$SIPHON_GEN" -q --seed "$seed" -o "$work/$name.pcap" --truth "$work/$name.truth" "$@"; then
        echo "$name: FAIL: generator failed"; failed+=("$name"); return
    fi
    # first the generator itself against tshark, so a failure below is
    # siphon's and not the generator's
    python3 "$lib/truth_vs_tshark.py" --label "$name-gen" "$work/$name.pcap" "$work/$name.truth" ||
        failed+=("$name-gen")
    local n
    n=$(grep -o '"ssrc"' "$work/$name.truth" | wc -l)
    rtp_case "$name" "$work/$name.pcap" "$n"
}

base=(--calls 16 --concurrency 6 --duration 4)
gen_case gen_loss        11 "${base[@]}" --loss 5
gen_case gen_burst       12 "${base[@]}" --burst-loss 4,20
gen_case gen_jitter      13 "${base[@]}" --jitter 50
gen_case gen_reorder     14 "${base[@]}" --reorder 4
gen_case gen_duplicate   15 "${base[@]}" --duplicate 4
gen_case gen_wrap_loss   16 "${base[@]}" --seq-start 65400 --loss 3
gen_case gen_all         17 "${base[@]}" --loss 3 --jitter 35 --reorder 2 --duplicate 2
gen_case gen_g729_ptime  18 "${base[@]}" --codec g729 --ptime 30 --jitter 20 --loss 2
gen_case gen_g722        19 "${base[@]}" --codec g722 --jitter 10 --reorder 2
gen_case gen_ssrc_reinv  20 "${base[@]}" --ssrc-change --reinvite --jitter 15

# The fax call re-INVITEs to T.38 (m=image udptl) and is refused with 488,
# then goes on with G.711A on the same ports.  Wireshark registers the T.38
# conversation from the SDP *offer* and decodes the 27 RTP packets that
# follow the refusal as T.38, so plain tshark counts 132 packets instead of
# 159.  siphon keeps them (the offer was rejected); tshark agrees exactly
# once T.38 is disabled and heuristic RTP picks those packets up.
rtp_case real_fax   "$pcaps/ndpi_FAX-Call-t38-CA-TDM-SIP-FB-1.pcap" 2 \
    --heuristic --tshark-arg=--disable-protocol --tshark-arg=t38
rtp_case real_aaa   "$pcaps/sngrep_aaa.pcap" 1
rtp_case real_tcp   "$pcaps/heplify_sip_ipv4_tcp.pcap" 2
rtp_case real_ndpi  "$pcaps/ndpi_sip.pcap" 1
rtp_case sipp_g711a /usr/share/sip-tester/g711a.pcap 1 --heuristic
if [ -s "$work/sipp_g711a.ndjson" ] &&
   ! grep -q '"type":"stream","call_id":null' "$work/sipp_g711a.ndjson"; then
    echo "sipp_g711a: FAIL: no orphan stream record in siphon's output"
    failed+=("sipp_g711a_orphan")
fi

state_case() { # name pcap min_calls [--expect PREFIX=STATE]...
    local name=$1 pcap=$2 min=$3; shift 3
    [ -s "$work/$name.ndjson" ] || analyze "$name" "$pcap" || return
    python3 "$lib/sip_states.py" --label "$name-states" --min-calls "$min" "$@" \
        "$pcap" "$work/$name.ndjson" || failed+=("$name-states")
}
state_case real_aaa  "$pcaps/sngrep_aaa.pcap" 4 \
    --expect 105090259-=cancelled --expect 11894297-=rejected \
    --expect 24487391-=rejected --expect 85216695-=rejected
state_case real_fax  "$pcaps/ndpi_FAX-Call-t38-CA-TDM-SIP-FB-1.pcap" 2 \
    --expect SD4909701-=answered --expect 00e9d4a5=answered
state_case real_tcp  "$pcaps/heplify_sip_ipv4_tcp.pcap" 1 --expect 1589366569=answered
state_case real_ndpi "$pcaps/ndpi_sip.pcap" 4
# SIP over SCTP (capture/sctp.c): the call's state, and as many SIP messages
# as tshark dissects (an INVITE from two DATA fragments, 100, 403, ACK)
state_case real_sctp "$pcaps/heplify_sip_sctp.pcap" 1 --expect 717B2539AD2002C9=rejected
sctp_want=$(tshark -n -r "$pcaps/heplify_sip_sctp.pcap" -Y sip -T fields -e sip.CSeq | grep -c .)
sctp_got=$(grep '"type":"summary"' "$work/real_sctp.ndjson" | grep -o '"sip_messages":[0-9]*' | head -n 1 | cut -d: -f2)
echo "real_sctp: tshark $sctp_want SIP messages, siphon ${sctp_got:-none}"
if [ "$sctp_want" -lt 4 ] || [ "$sctp_got" != "$sctp_want" ] ||
   ! grep -q '"transport":"sctp"' "$work/real_sctp.ndjson"; then
    echo "real_sctp: FAIL: SIP messages or transport differ from tshark's"; failed+=("real_sctp")
fi

dedup_case() { # name pcap [dedup_oracle args...]: default run vs dedup off
    local name=$1 pcap=$2; shift 2
    analyze "$name-dedup-on" "$pcap" --capture.dedup_slots=16384 || return
    analyze "$name-dedup-off" "$pcap" || return
    grep -q '"duplicates_dropped"' "$work/$name-dedup-on.ndjson" || {
        echo "$name-dedup: FAIL: no duplicates_dropped in the summary"; failed+=("$name-dedup"); return; }
    python3 "$lib/dedup_oracle.py" --label "$name-dedup" "$@" \
        "$pcap" "$work/$name-dedup-on.ndjson" "$work/$name-dedup-off.ndjson" ||
        failed+=("$name-dedup")
}
# the default must be on: the run without any option equals the run above
"$SIPHON" analyze --json --no-progress "$pcaps/ndpi_FAX-Call-t38-CA-TDM-SIP-FB-1.pcap" \
    >"$work/fax-default.ndjson" 2>/dev/null
dedup_case real_fax "$pcaps/ndpi_FAX-Call-t38-CA-TDM-SIP-FB-1.pcap"
if ! cmp -s <(grep -v '"type":"summary"' "$work/fax-default.ndjson") \
            <(grep -v '"type":"summary"' "$work/real_fax-dedup-on.ndjson") ||
   [ "$(grep -o '"duplicates_dropped":[0-9]*' "$work/fax-default.ndjson")" != \
     "$(grep -o '"duplicates_dropped":[0-9]*' "$work/real_fax-dedup-on.ndjson")" ]; then
    echo "real_fax-default: FAIL: siphon's default differs from --capture.dedup_slots=16384"
    failed+=("real_fax-default")
fi
if [ -s "$work/gen_duplicate.pcap" ] &&
   python3 "$lib/dedup_oracle.py" --span-copies 7 "$work/gen_duplicate.pcap" "$work/gen_span.pcap" &&
   analyze gen_duplicate-nocopies "$work/gen_duplicate.pcap" --capture.dedup_slots=16384; then
    dedup_case gen_span "$work/gen_span.pcap" --original "$work/gen_duplicate-nocopies.ndjson"
else
    echo "gen_span: FAIL: could not build the capture with SPAN copies"; failed+=("gen_span")
fi

if [ ${#failed[@]} -ne 0 ]; then
    echo "FAIL: ${#failed[@]} case(s): ${failed[*]}"
    exit 1
fi
echo "PASS: siphon agrees with tshark"
