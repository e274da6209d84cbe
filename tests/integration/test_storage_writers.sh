#!/usr/bin/env bash
# test_storage_writers.sh - several writer connections (storage.writers)
# store exactly the rows one writer does, and a second import adds nothing.
#
# A throwaway PostgreSQL (lib/pg.sh) with two databases: the same captures
# are imported with `siphon analyze --store` and --storage.writers=1 into
# one, --storage.writers=4 into the other.  The captures: siphon-gen calls
# with failures, challenges, forks and orphan streams, one of them starting
# a minute before midnight (its rows fall on two days: the writers make
# partitions concurrently), and a shared capture with REGISTER transactions.
# Every row of every table the import fills must be the same in both
# databases, column by column (a digest of each table's rows in a fixed
# order; created_at excluded).  Then everything is imported again into the
# four-writer database: every row a duplicate, no table changed.
set -uo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${SHARED_DIR:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
work="$TEST_TMP/storage_writers"
rm -rf "$work" && mkdir -p "$work"
lib="$TESTS_DIR/integration/lib"
. "$lib/pg.sh"
trap pg_cleanup EXIT
failed=()
fail() { echo "FAIL: $*"; failed+=("$1"); }

pg_start "$work/pg" || { echo "FAIL: cannot start PostgreSQL"; exit 1; }
pg__as "$PG_BIN/createdb" -h "$PG_SOCK" -U siphon siphon_w4 || { echo "FAIL: createdb"; exit 1; }
dsn1=$PG_DSN
dsn4="postgresql:///siphon_w4?host=$PG_SOCK&user=siphon"
psql_db() { local db=$1; shift; "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_SOCK" -U siphon -d "$db" "$@"; }

"$SIPHON_GEN" -q -o "$work/a.pcap" --seed 71 --calls 300 --duration 1 --challenge 20 --fork \
    --fail-mix busy=10,cancel=10,reject=10,noanswer=5 --orphan 3 || fail gen "siphon-gen a"
# 2024-03-02 23:59:00 UTC: the calls run past midnight
"$SIPHON_GEN" -q -o "$work/b.pcap" --seed 72 --calls 200 --duration 1 --concurrency 2 \
    --start-time 1709423940 || fail gen "siphon-gen b"
caps=("$work/a.pcap" "$work/b.pcap" "$SHARED_DIR/data/pcaps/ndpi_sip.pcap")

import() { # DSN WRITERS NAME: every capture, --store; the summaries' storage lines to $work/NAME.sum
    : >"$work/$3.sum"
    for f in "${caps[@]}"; do
        "$SIPHON" analyze --store --no-progress --storage.dsn="$1" --storage.writers="$2" \
            --storage.spool_dir="$work/spool-$3" --storage.batch_rows=400 "$f" \
            >"$work/$3.out" 2>"$work/$3.err" ||
            fail "$3-exit" "analyze --store $(basename "$f") failed: $(tail -3 "$work/$3.err")"
        grep '^storage:' "$work/$3.out" >>"$work/$3.sum"
    done
}
tables=(calls streams quality_intervals sip_messages registrations)
digest() { # DB: per table, its row count and a digest of its rows
    for t in "${tables[@]}"; do
        psql_db "$1" -c "SELECT '$t', count(*), md5(coalesce(string_agg(r, E'\n' ORDER BY r), ''))
            FROM (SELECT (to_jsonb(x) - 'created_at')::text AS r FROM $t x) s"
    done
}

psql_db siphon_w4 -c "SELECT 1" >/dev/null || fail db "the second database"
"$SIPHON" db migrate --storage.dsn="$dsn1" >/dev/null || fail migrate "migrate (1 writer)"
"$SIPHON" db migrate --storage.dsn="$dsn4" >/dev/null || fail migrate "migrate (4 writers)"
import "$dsn1" 1 one
import "$dsn4" 4 four
cat "$work/four.sum"
for s in one four; do
    grep -q 'rows_written=' "$work/$s.sum" || fail "$s-written" "the import ($s) wrote nothing"
    if grep -qE 'rows_duplicate|rows_dropped|batch_failures|spooled' "$work/$s.sum"; then
        fail "$s-clean" "the import ($s) had duplicates, drops or failures"
    fi
done
digest siphon >"$work/d1"
digest siphon_w4 >"$work/d4"
cat "$work/d4"
diff "$work/d1" "$work/d4" >/dev/null || fail same "four writers stored other rows than one: $(diff "$work/d1" "$work/d4")"
ncalls=$(awk -F'|' '$1 == "calls" { print $2 }' "$work/d4")
[ "${ncalls:-0}" -ge 500 ] || fail calls "calls stored: ${ncalls:-none} (want >= 500)"
nreg=$(awk -F'|' '$1 == "registrations" { print $2 }' "$work/d4")
[ "${nreg:-0}" -gt 0 ] || fail registrations "no registrations stored"
ndays=$(psql_db siphon_w4 -c "SELECT count(DISTINCT start_ts::date) FROM calls WHERE start_ts >= '2024-03-02' AND start_ts < '2024-03-04'")
[ "$ndays" = 2 ] || fail days "the calls around midnight fall on $ndays days (want 2)"

import "$dsn4" 4 again
digest siphon_w4 >"$work/d4b"
diff "$work/d4" "$work/d4b" >/dev/null || fail again "a second import changed rows: $(diff "$work/d4" "$work/d4b")"
if grep -q 'rows_written=' "$work/again.sum"; then fail again-written "the second import wrote rows"; fi
while read -r line; do
    q=$(sed -n 's/.*rows_queued=\([0-9]*\).*/\1/p' <<<"$line")
    d=$(sed -n 's/.*rows_duplicate=\([0-9]*\).*/\1/p' <<<"$line")
    [ -n "$q" ] && [ "$q" = "$d" ] || fail again-dups "not every row a duplicate: $line"
done <"$work/again.sum"

if ((${#failed[@]})); then echo "FAILED: ${failed[*]}"; exit 1; fi
echo "PASS"
