#!/usr/bin/env bash
# test_storage_crash.sh - what reached the spool survives a kill -9 of
# siphon, and a torn spool segment costs only its torn record.
#
#  1. kill -9 while spooling: PostgreSQL (lib/pg.sh) is down while
#     `siphon run` captures 60 calls replayed through a veth pair; once
#     every call record was written and the spool holds them, siphon is
#     killed with SIGKILL.  PostgreSQL starts again, a new `siphon run`
#     (no traffic) replays the spool: every call of the truth is stored
#     exactly once, with every SIP message; the spool ends empty.
#  2. torn segment: with PostgreSQL down, two `analyze --store` imports
#     spool two segments (several batches each); the first segment's last
#     record loses its last 7 bytes, as a write cut by a crash would.  An
#     import with the database back reports the corrupt segment (file and
#     offset), replays everything else: the tables hold exactly the rows of
#     the intact records (lib/spool_records.py counts them) plus the third
#     import's, and the summary counts one corrupt record.
set -uo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
if [ "$(id -u)" -ne 0 ]; then echo "FAIL: needs root (run packaging/test.sh as root)"; exit 1; fi
for tool in ip tcpreplay python3; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool missing (packaging/deps.sh test)"; exit 1; }
done
work="$TEST_TMP/storage_crash"
rm -rf "$work" && mkdir -p "$work"
lib="$TESTS_DIR/integration/lib"
. "$lib/pg.sh"
ns="siphon-sc$$" vh="ssc$$h" vn="ssc$$n"
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
rows_total() {
    pg_psql -c "SELECT (SELECT count(*) FROM calls) + (SELECT count(*) FROM streams) +
        (SELECT count(*) FROM quality_intervals) + (SELECT count(*) FROM sip_messages) +
        (SELECT count(*) FROM registrations)"
}

ip netns add "$ns" || { echo "FAIL: cannot create a network namespace"; exit 1; }
ip link add "$vh" type veth peer name "$vn" netns "$ns" &&
    sysctl -qw "net.ipv6.conf.$vh.disable_ipv6=1" &&
    ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$vn.disable_ipv6=1" &&
    ip link set "$vh" up && ip -n "$ns" link set "$vn" up ||
    { echo "FAIL: cannot set up the veth pair"; exit 1; }
pg_start "$work/pg" || { echo "FAIL: cannot start PostgreSQL"; exit 1; }
"$SIPHON" db migrate --storage.dsn="$PG_DSN" || { echo "FAIL: siphon db migrate"; exit 1; }
st=(--storage.dsn="$PG_DSN" --storage.retention=0 --storage.batch_delay=100ms)

# 1. kill -9 while spooling ----------------------------------------------------
pcap="$work/k.pcap" truth="$work/k.truth"
"$SIPHON_GEN" -q -o "$pcap" --truth "$truth" --calls 60 --concurrency 30 --duration 1 --seed 81 \
    --start-time "$(date +%s)" || { echo "FAIL: siphon-gen"; exit 1; }
pg_stop
run() { # OUT ARGS...
    local out=$1; shift
    "$SIPHON" run -c /dev/null --allow-root --json -v --capture.interfaces="$vh" "${st[@]}" \
        --record.dir="$work/record" --web.enabled=false \
        --storage.spool_dir="$work/spool1" --log.stats_interval=1s --correlator.call_linger=1s \
        "$@" >"$out.ndjson" 2>"$out.err" &
    pid=$!
    for i in $(seq 100); do grep -q "capturing on $vh" "$out.err" && return 0; sleep 0.1; done
    echo "FAIL: siphon run did not start: $(head -5 "$out.err")"
    exit 1
}
run "$work/k1"
timeout 60 ip netns exec "$ns" tcpreplay -q -i "$vn" --pps=4000 "$pcap" >/dev/null 2>&1 ||
    fail replay "tcpreplay failed"
for i in $(seq 150); do
    [ "$(grep -c '"type":"call"' "$work/k1.ndjson")" -ge 60 ] && break
    sleep 0.1
done
sleep 1 # the last batch: batch_delay, then the spool
spooled=$(du -sb "$work/spool1" | cut -f1)
echo "calls written before the kill: $(grep -c '"type":"call"' "$work/k1.ndjson"); spool: $spooled bytes"
[ "$(grep -c '"type":"call"' "$work/k1.ndjson")" -eq 60 ] || fail k1-calls "not every call was written"
grep -q 'spooled_batches=' "$work/k1.err" || fail k1-spooling "siphon was not spooling"
kill -KILL "$pid"; wait "$pid" 2>/dev/null; pid=""
pg_start_again || fail restart "PostgreSQL did not start again"
run "$work/k2"
for i in $(seq 100); do grep -q 'replayed_batches=' "$work/k2.err" && break; sleep 0.1; done
sleep 1
kill -INT "$pid"; wait "$pid"; rc=$?; pid=""
[ $rc -eq 0 ] || fail k2-exit "the second siphon run exit $rc"
grep -E 'spool|database' "$work/k2.err" | grep -v 'stats counters' | head -4
python3 - "$truth" "$PG_BIN/psql" "$PG_SOCK" <<'PY' || fail k2-counts "stored rows after the crash"
import json, subprocess, sys
def q(sql):
    return subprocess.run([sys.argv[2], "-X", "-A", "-t", "-h", sys.argv[3], "-U", "siphon", "-d",
                           "siphon", "-c", sql], capture_output=True, text=True).stdout.strip()
truth = [json.loads(l) for l in open(sys.argv[1])]
calls = {o["call_id"] for o in truth if o["type"] == "call"}
ids = q("SELECT call_id FROM calls").split()
print("after the crash: %d calls stored (%d distinct), truth %d" % (len(ids), len(set(ids)), len(calls)))
assert sorted(ids) == sorted(calls), "calls differ"
n = int(q("SELECT count(*) FROM sip_messages"))
print("messages: %d stored, truth %d" % (n, truth[-1]["sip_messages"]))
assert n == truth[-1]["sip_messages"]
PY
left=$(find "$work/spool1" -name '*.seg' | wc -l)
[ "$left" -eq 0 ] || fail k2-spool "$left spool segments left after the replay"

# 2. a torn segment ------------------------------------------------------------
pg_psql -c "TRUNCATE calls, streams, quality_intervals, sip_messages, registrations"
pg_stop
"$SIPHON_GEN" -q -o "$work/a.pcap" --calls 40 --duration 1 --seed 82 || fail gen "siphon-gen a"
"$SIPHON_GEN" -q -o "$work/b.pcap" --calls 30 --duration 1 --seed 83 || fail gen "siphon-gen b"
"$SIPHON_GEN" -q -o "$work/c.pcap" --calls 5 --duration 1 --seed 84 || fail gen "siphon-gen c"
sp=(--storage.spool_dir="$work/spool2" --storage.batch_rows=100 --no-progress)
"$SIPHON" analyze --store "${st[@]}" "${sp[@]}" "$work/a.pcap" >"$work/a.out" 2>&1
"$SIPHON" analyze --store "${st[@]}" "${sp[@]}" "$work/b.pcap" >"$work/b.out" 2>&1
segs=("$work"/spool2/*.seg)
echo "spooled: ${#segs[@]} segments, records of rows: $(python3 "$lib/spool_records.py" rows "${segs[@]}" | tr '\n' ' ')"
[ "${#segs[@]}" -eq 2 ] || fail segments "want 2 spool segments, got ${#segs[@]}"
all=$(($(python3 "$lib/spool_records.py" rows "${segs[@]}" | paste -sd+)))
torn=$(python3 "$lib/spool_records.py" tear "${segs[0]}" 7)
want=$((all - torn))
c_rows=$("$SIPHON" analyze --json --messages --events --no-progress "$work/c.pcap" | python3 -c '
import json, sys
n = 0
for l in sys.stdin:
    o = json.loads(l)
    if o["type"] == "call":
        n += 1 + len(o["streams"]) + sum(len(s["intervals"]) for s in o["streams"])
    elif o["type"] == "stream":
        n += 1 + len(o["intervals"])
    elif o["type"] in ("sip_message", "registration"):
        n += 1
print(n)')
pg_start_again || fail restart2 "PostgreSQL did not start again"
"$SIPHON" analyze --store "${st[@]}" "${sp[@]}" "$work/c.pcap" >"$work/c.out" 2>"$work/c.err"
grep -E 'corrupt|spool' "$work/c.err" | head -3
grep -q "spool segment ${segs[0]} is corrupt at offset" "$work/c.err" ||
    fail torn-report "the torn segment was not reported"
grep -q 'spool_corrupt=1' "$work/c.out" || fail torn-count "spool_corrupt is not 1"
got=$(rows_total)
echo "rows: $got stored; intact spooled records $want + third import $c_rows (torn record: $torn rows)"
[ "$got" -eq $((want + c_rows)) ] || fail torn-rows "stored $got rows, want $((want + c_rows))"
[ -z "$(find "$work/spool2" -name '*.seg')" ] || fail torn-left "spool segments left"

if ((${#failed[@]})); then echo "FAILED: ${failed[*]}"; exit 1; fi
echo "PASS"
