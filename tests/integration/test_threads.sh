#!/usr/bin/env bash
# test_threads.sh - correlator threads give the same answer as one thread.
#
# `siphon analyze --threads N` reads and decodes in one thread and
# correlates in N (pipeline/: calls split by Call-ID, media routed to the
# shard whose SDP named it, the correlators' expiry replayed at the same
# packet times).  For every capture below, --threads 1, 2 and 3 must give
# exactly the records and summary counters of --threads 0 (lib/
# compare_runs.py: same records in any order; summary equal but for the
# elapsed time and the pipeline's own counters), and `siphon run` replaying
# the file with 2 correlator threads the same calls and streams:
#  - generated: a mix of everything (failures, challenges, forks,
#    re-INVITEs, loss, jitter, duplicates, orphans, 200 calls at once), SIP
#    over TCP, IPv6 with fragments, G.729 with SSRC changes and reordering,
#    VXLAN-tunnelled SIP on port 5080;
#  - crafted (lib/craft_threads.py, two seeds each): calls whose SDP names
#    the same media endpoints (one UAS media port for every call, callers
#    reusing each other's ports), and captures whose time jumps to 0, to
#    2^32-1 s, backwards and forwards (a call seen far ahead, then calls
#    ringing in the present that time passes by); these run --threads 2
#    and 3 three times each, since shard assignment changes from run to run
#    (the hash seed is random);
#  - every capture in $SHARED_DIR/data/pcaps (real third-party traffic: RTCP,
#    RFC 6035 PUBLISH, WebSocket, orphan RTP, T.38, ...).
# The pipeline counters of a threaded run must show SIP and media actually
# routed, and no datagram dropped (files are lossless).
# THREADS_QUICK=1 (set by the ThreadSanitizer build, where every start of
# siphon costs a CPU-second): the generated captures only, --threads 2 and 3.
set -uo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${SHARED_DIR:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
work="$TEST_TMP/threads"
rm -rf "$work" && mkdir -p "$work"
lib="$TESTS_DIR/integration/lib"
failed=()
counts=(1 2 3)
[ "${THREADS_QUICK:-0}" = 1 ] && counts=(2 3)

gen() { # gen NAME ARGS...
    local name=$1; shift
    "$SIPHON_GEN" -q -o "$work/$name.pcap" "$@" || { echo "FAIL: siphon-gen $*"; failed+=("gen-$name"); }
}
gen mix --seed 31 --calls 200 --concurrency 200 --duration 3 --loss 2 --jitter 30 --duplicate 1 \
    --fail-mix busy=10,cancel=10,reject=5,noanswer=5 --challenge 20 --fork --reinvite --orphan 6
gen tcp --seed 32 --calls 40 --duration 3 --tcp --challenge 30
gen v6frag --seed 33 --calls 30 --duration 3 --ipv6 --fragment --burst-loss 5,30
gen g729 --seed 34 --calls 30 --duration 3 --codec g729 --ssrc-change --reorder 2
gen vxlan --seed 35 --calls 30 --duration 3 --encap vxlan --sip-port 5080

for seed in 1 2; do
    for kind in shared_sdp ts_jumps; do
        python3 "$lib/craft_threads.py" "$kind" "$work/craft_${kind}_$seed.pcap" "$seed" ||
            failed+=("craft-$kind-$seed")
    done
done

captures=("$work"/*.pcap)
for f in "$SHARED_DIR"/data/pcaps/*; do
    [ "${THREADS_QUICK:-0}" = 1 ] && break
    case "$f" in *.pcap | *.pcapng) captures+=("$f") ;; esac
done

checked=0
for pcap in "${captures[@]}"; do
    name=$(basename "$pcap")
    base="$work/$name"
    runs=(0 "${counts[@]}")
    case "$name" in craft_*) runs+=(2b 3b 2c 3c) ;; esac
    for t in "${runs[@]}"; do
        "$SIPHON" analyze --json --no-progress --threads "${t:0:1}" "$pcap" >"$base.t$t" 2>"$base.t$t.err"
        echo $? >"$base.t$t.rc"
    done
    rc0=$(cat "$base.t0.rc")
    others=()
    for t in "${runs[@]:1}"; do
        others+=("$base.t$t")
        [ "$(cat "$base.t$t.rc")" = "$rc0" ] ||
            { echo "$name: FAIL: exit $(cat "$base.t$t.rc") with --threads $t, $rc0 with 0"; failed+=("$name-rc$t"); }
    done
    python3 "$lib/compare_runs.py" --label "$name" "$base.t0" "${others[@]}" ||
        failed+=("$name")
    # siphon run replaying the file, 2 correlator threads: the same calls
    printf '[storage]\nenabled = false\n' >"$work/empty.conf" # these runs store nothing
    "$SIPHON" run --record.enabled=false -c "$work/empty.conf" --allow-root --json --capture.file="$pcap" \
        --correlator.shards=2 >"$base.run" 2>"$base.run.err"
    python3 "$lib/compare_runs.py" --records-only --label "$name run" "$base.t0" "$base.run" ||
        failed+=("$name-run")
    checked=$((checked + 1))
done

# the threaded runs really used the pipeline
python3 - "$work/mix.pcap.t3" <<'PY' || failed+=("pipeline-counters")
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]
p = s["pipeline"]
print("mix --threads 3 pipeline:", p)
assert p["correlator_threads"] == 3, p
assert p["routed_sip"] > 1000 and p["routed_media_by_sdp"] > 30000, p
assert p["queue_drops"] == 0 and p["oversize_drops"] == 0 and p["held"] == 0, p
PY

if [ ${#failed[@]} -ne 0 ]; then
    echo "FAIL: ${#failed[@]} of $checked captures differ: ${failed[*]}"
    exit 1
fi
echo "PASS: $checked captures, --threads ${counts[*]} and run with 2 correlator threads equal to one thread"
