#!/usr/bin/env bash
# test_gen_truth.sh - siphon against the generator's truth.
#
# siphon-gen writes a capture plus a truth file stating every call (Call-ID,
# state, final code, who hung up, caller/callee, SIP endpoints, transport,
# start/answer/end times to the microsecond) and every RTP stream (packets,
# RFC 3550 lost, duplicates).  For each capture in the matrix below,
# `siphon analyze --json` must report exactly that (lib/compare_truth.py).
# The matrix covers plain UDP, the failure mix, digest challenges, forking,
# re-INVITE, SIP over TCP (split and coalesced segments), IPv4 and IPv6
# fragmentation, IPv6, every encapsulation, a non-5060 SIP port, the four
# codecs, RTP loss (random and bursty), jitter with reordering, adjacent
# swaps, duplicates, sequence wrap, SSRC change, orphan streams, 400
# simultaneous calls, and a mix of everything.  The generator's determinism
# (same seed, same bytes) is checked first.
# Each case is small (tens of calls, a few seconds of media) so the whole
# matrix runs in well under two minutes under AddressSanitizer.
# Every case runs; the test fails if any case fails.  Reproduce one case by
# hand with the command lines printed for it.  When a case fails and tshark
# is installed, the capture is also checked against the truth with tshark
# (lib/truth_vs_tshark.py), which says whether the generator is at fault.
set -uo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
for tool in python3 "$SIPHON" "$SIPHON_GEN"; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool not found"; exit 1; }
done
work="$TEST_TMP/gen_truth"
rm -rf "$work" && mkdir -p "$work"
lib="$TESTS_DIR/integration/lib"
failed=()
seed=100

run_case() {
    local name=$1; shift
    seed=$((seed + 1))
    local pcap="$work/$name.pcap" truth="$work/$name.truth.ndjson" out="$work/$name.siphon.ndjson"
    local gen=("$SIPHON_GEN" -q --seed "$seed" -o "$pcap" --truth "$truth" "$@")
    if ! "${gen[@]}"; then
        echo "$name: FAIL: generator failed: ${gen[*]}"
        failed+=("$name"); return
    fi
    "$SIPHON" analyze --json --no-progress "$pcap" >"$out" 2>"$work/$name.stderr"
    local rc=$?
    if [ $rc -ne 0 ]; then
        echo "$name: FAIL: siphon exited $rc: $(head -c 400 "$work/$name.stderr")"
        echo "  reproduce: ${gen[*]}"
        failed+=("$name"); return
    fi
    if ! python3 "$lib/compare_truth.py" --label "$name" "$truth" "$out"; then
        echo "  reproduce: ${gen[*]} && $SIPHON analyze --json $pcap"
        # who is wrong? tshark's view of the capture against the truth
        if command -v tshark >/dev/null; then
            python3 "$lib/truth_vs_tshark.py" --heuristic --label "  $name generator" "$pcap" "$truth" |
                tail -3
        fi
        failed+=("$name")
    fi
}

# the generator is deterministic: the same seed gives the same bytes
"$SIPHON_GEN" -q --seed 5 --calls 8 --duration 1 --jitter 20 --loss 3 --tcp -o "$work/det1.pcap" \
    --truth "$work/det1.truth" && "$SIPHON_GEN" -q --seed 5 --calls 8 --duration 1 --jitter 20 \
    --loss 3 --tcp -o "$work/det2.pcap" --truth "$work/det2.truth" &&
    cmp -s "$work/det1.pcap" "$work/det2.pcap" && cmp -s "$work/det1.truth" "$work/det2.truth" ||
    { echo "determinism: FAIL: same seed, different output"; failed+=(determinism); }

base=(--calls 24 --concurrency 8 --duration 3)
run_case plain          "${base[@]}"
run_case pcma_ptime30   "${base[@]}" --codec pcma --ptime 30
run_case g729           "${base[@]}" --codec g729
run_case g722           "${base[@]}" --codec g722
run_case fail_mix       --calls 50 --concurrency 10 --duration 2 \
                        --fail-mix busy=15,cancel=15,reject=15,noanswer=10
run_case challenge      "${base[@]}" --challenge 50
run_case fork           "${base[@]}" --fork
run_case reinvite       "${base[@]}" --reinvite
run_case tcp            "${base[@]}" --tcp --challenge 25 --fail-mix busy=10,cancel=10,reject=10
run_case tcp_ipv6       --calls 12 --concurrency 4 --duration 2 --tcp --ipv6
run_case fragment       "${base[@]}" --fragment --challenge 30
run_case ipv6           "${base[@]}" --ipv6 --fail-mix busy=10,cancel=10
run_case ipv6_fragment  --calls 12 --concurrency 4 --duration 2 --ipv6 --fragment
for e in vlan qinq mpls gre ipip vxlan erspan2 erspan3; do
    run_case "encap_$e" --calls 10 --concurrency 5 --duration 2 --encap "$e"
done
run_case encap_gre_ipv6 --calls 10 --concurrency 5 --duration 2 --encap gre --ipv6
run_case sip_port_5080  "${base[@]}" --sip-port 5080
run_case loss           "${base[@]}" --loss 5
run_case burst_loss     "${base[@]}" --burst-loss 3,25
run_case jitter         "${base[@]}" --jitter 60
run_case reorder        "${base[@]}" --reorder 3
run_case duplicate      "${base[@]}" --duplicate 3
# network duplicates over IPv6 (no IP ID: written 5..7 ms after the
# original, outside the 2 ms capture-duplicate window, tests/gen/gen_rtp.c)
# are counted as RTP duplicates with duplicate suppression on (the default)
run_case duplicate_ipv6 "${base[@]}" --duplicate 3 --ipv6
run_case seq_wrap       "${base[@]}" --seq-start 65450 --loss 2
run_case ssrc_change    "${base[@]}" --ssrc-change
run_case orphans        --calls 6 --concurrency 3 --duration 3 --orphan 6
run_case concurrency    --calls 400 --concurrency 400 --duration 2 --fail-mix busy=5,cancel=5
run_case mixed          --calls 40 --concurrency 12 --duration 3 --loss 2 --jitter 30 \
                        --reorder 1 --duplicate 1 --reinvite --ssrc-change --challenge 20 \
                        --fork --fail-mix busy=10,cancel=10,reject=5,noanswer=5 --orphan 3

if [ ${#failed[@]} -ne 0 ]; then
    echo "FAIL: ${#failed[@]} case(s): ${failed[*]}"
    exit 1
fi
echo "PASS: all cases match the truth"
