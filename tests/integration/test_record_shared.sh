#!/usr/bin/env bash
# test_record_shared.sh - the packet store on every shared capture with
# calls: each call's `siphon pcap` equals tshark's filtering of the source
# (its SIP by Call-ID, its RTP/RTCP flows), frame for frame
# (lib/record_oracle.py; the frames it explains are listed: SIP siphon
# could not parse, SIP before its call existed, SIP long after it ended).
# The generated captures, headers mode, rules and disk limits:
# test_record.sh.
set -uo pipefail
: "${SIPHON:?}" "${SHARED_DIR:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
work="$TEST_TMP/record_shared"
rm -rf "$work" && mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
oracle="$TESTS_DIR/integration/lib/record_oracle.py"
failed=()
fail() { echo "FAIL: $1: $2"; failed+=("$1"); }

analyze() {
    local name=$1 pcap=$2 store=$3
    shift 3
    "$SIPHON" analyze --json --messages --no-progress --capture.dedup_slots=0 \
        --record.dir="$store" "$@" "$pcap" >"$work/$name.json" 2>"$work/$name.err" ||
        fail "$name-analyze" "exit $?: $(tail -3 "$work/$name.err")"
}

shared=0
for f in "$SHARED_DIR"/data/pcaps/*; do
    case "$f" in *.pcap | *.pcapng) ;; *) continue ;; esac
    name=$(basename "$f")
    analyze "$name" "$f" "$work/st.$name"
    grep -q '"type":"call"' "$work/$name.json" || { rm -rf "$work/st.$name"; continue; }
    shared=$((shared + 1))
    python3 "$oracle" "$f" "$work/$name.json" "$work/st.$name" "$SIPHON" ||
        fail "$name" "per-call pcaps differ from tshark"
    rm -rf "$work/st.$name"
done
[ "$shared" -ge 15 ] || fail shared "only $shared shared captures with calls"
grep -q '"streams":\[{' "$work/ndpi_FAX-Call-t38-CA-TDM-SIP-FB-1.pcap.json" ||
    fail shared-rtp "the shared capture with SIP and RTP was not compared"


if [ ${#failed[@]} -gt 0 ]; then
    echo "FAIL: ${failed[*]}"
    exit 1
fi
echo "PASS: $shared shared captures: every call's pcap equals tshark's filtering"
