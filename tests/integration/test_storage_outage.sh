#!/usr/bin/env bash
# test_storage_outage.sh - the database goes away in the middle of a live
# ingest and comes back: nothing is lost and nothing is stored twice.
#
# A network namespace with a veth pair carries a siphon-gen capture
# (120 calls with their RTP) replayed by tcpreplay at 2,000 packets/s
# (about 8 s) while `siphon run` captures the host end and stores into a
# throwaway PostgreSQL (lib/pg.sh).  Two seconds into the replay the
# server is stopped (fast shutdown), three seconds later started again.
# After the replay and SIGINT: the calls table holds every call of the
# truth exactly once, sip_messages every message (the truth's count), every
# call's stored messages match its record's sip_messages; the storage
# summary shows batches were spooled and replayed, and that no chunk was
# dropped and no batch refused; the kernel dropped no frame.
# Needs root (namespaces) and tcpreplay: packaging/test.sh provides both.
set -uo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
if [ "$(id -u)" -ne 0 ]; then echo "FAIL: needs root (run packaging/test.sh as root)"; exit 1; fi
for tool in ip tcpreplay python3; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool missing (packaging/deps.sh test)"; exit 1; }
done
work="$TEST_TMP/storage_outage"
rm -rf "$work" && mkdir -p "$work"
lib="$TESTS_DIR/integration/lib"
. "$lib/pg.sh"
ns="siphon-so$$" vh="sso$$h" vn="sso$$n"
pid=""
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    ip link del "$vh" 2>/dev/null
    pg_cleanup
}
trap cleanup EXIT
failed=()
fail() { echo "FAIL: $*"; failed+=("$1"); }

ip netns add "$ns" || { echo "FAIL: cannot create a network namespace"; exit 1; }
ip link add "$vh" type veth peer name "$vn" netns "$ns" &&
    sysctl -qw "net.ipv6.conf.$vh.disable_ipv6=1" &&
    ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$vn.disable_ipv6=1" &&
    ip link set "$vh" up && ip -n "$ns" link set "$vn" up ||
    { echo "FAIL: cannot set up the veth pair"; exit 1; }

pg_start "$work/pg" || { echo "FAIL: cannot start PostgreSQL"; exit 1; }
pcap="$work/o.pcap" truth="$work/o.truth"
"$SIPHON_GEN" -q -o "$pcap" --truth "$truth" --calls 120 --concurrency 30 --duration 1 --seed 71 \
    --start-time "$(date +%s)" || { echo "FAIL: siphon-gen"; exit 1; }
printf '[storage]\nbatch_delay = 100ms\nretention = 0\n' >"$work/s.conf"
"$SIPHON" db migrate --storage.dsn="$PG_DSN" || { echo "FAIL: siphon db migrate"; exit 1; }

"$SIPHON" run -c "$work/s.conf" --allow-root --json -v --capture.interfaces="$vh" \
    --record.dir="$work/record" --web.enabled=false \
    --storage.dsn="$PG_DSN" --storage.spool_dir="$work/spool" --log.stats_interval=1s \
    --correlator.call_linger=1s >"$work/run.ndjson" 2>"$work/run.err" &
pid=$!
for i in $(seq 100); do grep -q "capturing on $vh" "$work/run.err" && break; sleep 0.1; done
grep -q "capturing on $vh" "$work/run.err" ||
    { echo "FAIL: siphon run did not start: $(head -5 "$work/run.err")"; exit 1; }
timeout 60 ip netns exec "$ns" tcpreplay -q -i "$vn" --pps=2000 "$pcap" >"$work/replay.out" 2>&1 &
rp=$!
sleep 2
pg_stop
echo "PostgreSQL stopped at $(date +%T)"
pg_psql -c 'select 1' >/dev/null 2>&1 && fail stop "PostgreSQL still answers after pg_stop"
sleep 3
pg_start_again || fail restart "PostgreSQL did not start again"
echo "PostgreSQL started at $(date +%T)"
wait "$rp" || fail replay "tcpreplay failed: $(cat "$work/replay.out")"
sleep 3 # call_linger, the last batches
kill -INT "$pid"
for i in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && { fail stop-siphon "siphon run still running 30 s after SIGINT"; kill -KILL "$pid"; }
wait "$pid"; rc=$?
pid=""
[ $rc -eq 0 ] || fail exit "siphon run exit $rc"
grep -E 'storage|spool|database' "$work/run.err" | grep -v 'stats counters' | head -8
tail -1 "$work/run.ndjson" | python3 -c '
import json, sys
s = json.loads(sys.stdin.read())
st = s.get("storage", {})
print("summary storage:", {k: v for k, v in st.items() if v})
assert s["kernel_drops"] == 0, "kernel drops"
assert st.get("spooled_batches", 0) > 0, "nothing was spooled: the outage was not seen"
assert st.get("replayed_batches", 0) == st["spooled_batches"], "not every spooled batch replayed"
for k in ("chunks_dropped", "rows_dropped", "spool_refused", "spool_corrupt"):
    assert st.get(k, 0) == 0, "%s = %d" % (k, st[k])
assert st["spool_bytes"] == 0, "the spool is not empty"
' || fail summary "storage summary"
python3 - "$truth" <<PY || fail counts "stored rows"
import json, subprocess, sys
def q(sql):
    return subprocess.run(["$PG_BIN/psql", "-X", "-A", "-t", "-h", "$PG_SOCK", "-U", "siphon",
                           "-d", "siphon", "-c", sql], capture_output=True, text=True).stdout.strip()
truth = [json.loads(l) for l in open(sys.argv[1])]
calls = {o["call_id"]: o for o in truth if o["type"] == "call"}
summ = truth[-1]
stored = q("SELECT call_id || ' ' || state FROM calls").splitlines()
ids = [l.split()[0] for l in stored]
print("calls: %d stored, %d distinct, truth %d" % (len(ids), len(set(ids)), len(calls)))
assert len(ids) == len(set(ids)), "a call stored twice"
assert set(ids) == set(calls), "calls differ: missing %s" % sorted(set(calls) - set(ids))[:3]
for l in stored:
    cid, state = l.split()
    assert state == calls[cid]["state"], "call %s state %s, truth %s" % (cid, state, calls[cid]["state"])
n = int(q("SELECT count(*) FROM sip_messages"))
print("messages: %d stored, truth %d" % (n, summ["sip_messages"]))
assert n == summ["sip_messages"], "messages"
bad = q("SELECT count(*) FROM calls c WHERE c.sip_messages <> (SELECT count(*) FROM sip_messages m "
        "WHERE m.call_uuid = c.call_uuid)")
assert bad == "0", "%s calls whose stored messages differ from their record" % bad
s = int(q("SELECT count(*) FROM streams"))
assert s == summ["streams"], "streams %d, truth %d" % (s, summ["streams"])
PY

if ((${#failed[@]})); then echo "FAILED: ${failed[*]}"; exit 1; fi
echo "PASS"
