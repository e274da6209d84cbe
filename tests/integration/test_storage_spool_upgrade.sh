#!/usr/bin/env bash
# test_storage_spool_upgrade.sh - batches spooled by a siphon older than
# schema 5 are replayed after an upgrade, their messages intact.
#
# With PostgreSQL (lib/pg.sh) unreachable, `analyze --store` spools a
# capture of 6 calls; lib/spool_records.py then rewrites every spooled
# sip_messages row as a siphon before schema 5 wrote it (the raw message
# as captured, no raw_format field).  With the database back, an import of
# a second capture replays the spool first: every old-layout message is
# stored (raw_format 0) with exactly its bytes, the new capture's messages
# are stored compressed (raw_format 2), nothing is dropped or duplicated,
# and the spool ends empty.
set -uo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
work="$TEST_TMP/storage_spool_upgrade"
rm -rf "$work" && mkdir -p "$work"
lib="$TESTS_DIR/integration/lib"
. "$lib/pg.sh"
trap pg_cleanup EXIT
failed=()
fail() { echo "FAIL: $*"; failed+=("$1"); }
pg_start "$work/pg" || { echo "FAIL: cannot start PostgreSQL"; exit 1; }
"$SIPHON" db migrate --storage.dsn="$PG_DSN" >/dev/null || { echo "FAIL: migrate"; exit 1; }
"$SIPHON_GEN" -q -o "$work/a.pcap" --calls 6 --duration 1 --seed 61 || fail gen "siphon-gen a"
"$SIPHON_GEN" -q -o "$work/b.pcap" --calls 4 --duration 1 --seed 62 || fail gen "siphon-gen b"
sp=(--storage.spool_dir="$work/spool" --no-progress)
"$SIPHON" analyze --store --storage.dsn="postgresql:///siphon?host=$work/nowhere" "${sp[@]}" \
    "$work/a.pcap" >"$work/a.out" 2>&1
segs=("$work"/spool/*.seg)
[ -f "${segs[0]}" ] || { echo "FAIL: nothing spooled: $(tail -3 "$work/a.out")"; exit 1; }
python3 "$lib/spool_records.py" old "${segs[@]}" >"$work/old.txt" || fail rewrite "spool rewrite"
echo "spooled $(wc -l <"$work/old.txt") messages, rewritten in the old layout"
[ "$(wc -l <"$work/old.txt")" -eq 42 ] || fail old-count "want 42 messages (6 calls of 7)"
"$SIPHON" analyze --store --storage.dsn="$PG_DSN" "${sp[@]}" "$work/b.pcap" >"$work/b.out" 2>&1 ||
    fail replay "analyze --store with the spool failed: $(tail -3 "$work/b.out")"
grep '^storage:' "$work/b.out"
grep -q 'replayed_batches=[1-9]' "$work/b.out" || fail replayed "no batch replayed"
grep -q 'rows_dropped' "$work/b.out" && fail dropped "rows dropped: $(grep '^storage:' "$work/b.out")"
pg_psql -c "SELECT msg_id || ' ' || encode(raw, 'hex') FROM sip_messages WHERE raw_format = 0
    ORDER BY 1" >"$work/stored0.txt"
sort "$work/old.txt" | cmp -s - <(sort "$work/stored0.txt") ||
    fail bytes "the old-layout messages stored differ from the spooled ones"
n1=$(pg_psql -c "SELECT count(*) FROM sip_messages WHERE raw_format = 2")
[ "$n1" -eq 28 ] || fail new-count "want the 28 messages of b.pcap compressed, got $n1"
[ "$(pg_psql -c "SELECT count(*) FROM calls")" -eq 10 ] || fail calls "want 10 calls"
left=$(find "$work/spool" -name '*.seg' | wc -l)
[ "$left" -eq 0 ] || fail spool-left "$left segments left"
[ ${#failed[@]} -eq 0 ] && echo "ok: old-layout spool replayed byte for byte" && exit 0
echo "FAILED: ${failed[*]}"
exit 1
