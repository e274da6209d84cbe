#!/usr/bin/env bash
# test_storage_schema.sh - migrations, the schema version check, retention.
#
# Against a throwaway PostgreSQL (lib/pg.sh), one database per case:
#  1. from empty: `siphon db migrate` applies every migration (version 0 ->
#     the newest), every table exists, a second run says "up to date";
#  2. from the previous version: schema/0001 applied by hand with a call
#     row in it; `siphon db migrate` goes 1 -> 2 and the row is still there;
#     before that, `analyze --store` refuses the older schema (an external
#     server is migrated only when told: storage.auto_migrate = always
#     does it);
#  3. a schema newer than siphon knows is refused by `analyze --store` and
#     by `siphon db migrate`, naming both versions;
#  4. retention: partitions of today-40, today-31, today-30, today-29 and
#     today, one call in each; `siphon db maintain --storage.retention=30d`
#     drops exactly the days before today-30 (2 days x 7 tables), keeps the
#     others and makes tomorrow's; with retention 0 nothing is dropped.
set -uo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
work="$TEST_TMP/storage_schema"
rm -rf "$work" && mkdir -p "$work"
lib="$TESTS_DIR/integration/lib"
schema="$TESTS_DIR/../schema"
. "$lib/pg.sh"
trap pg_cleanup EXIT
failed=()
fail() { echo "FAIL: $*"; failed+=("$1"); }
pg_start "$work/pg" || { echo "FAIL: cannot start PostgreSQL"; exit 1; }
dsn() { echo "postgresql:///$1?host=$PG_SOCK&user=siphon"; }
psql_db() { local db=$1; shift; "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_SOCK" -U siphon -d "$db" "$@"; }
"$SIPHON_GEN" -q -o "$work/a.pcap" --calls 3 --duration 1 --seed 95 || fail gen "siphon-gen"
newest=$(ls "$schema"/[0-9][0-9][0-9][0-9]_*.sql | tail -1 | xargs basename | cut -c1-4 | sed 's/^0*//')
st=(--storage.spool_dir="$work/spool" --no-progress)

# 1. from empty ---------------------------------------------------------------
out=$("$SIPHON" db migrate --storage.dsn="$(dsn siphon)" 2>&1); echo "$out"
[ "$out" = "schema: migrated from version 0 to $newest" ] || fail empty "unexpected: $out"
tables=$(pg_psql -c "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relkind IN ('p','r')
    AND relname IN ('calls','streams','quality_intervals','sip_messages','registrations','alerts',
    'recordings','probes','siphon_schema')")
[ "$tables" = "alerts,calls,probes,quality_intervals,recordings,registrations,sip_messages,siphon_schema,streams" ] ||
    fail empty-tables "tables: $tables"
out=$("$SIPHON" db migrate --storage.dsn="$(dsn siphon)" 2>&1)
[ "$out" = "schema: version $newest, up to date" ] || fail empty-again "unexpected: $out"

# 2. from the previous version -------------------------------------------------
pg_psql -c "CREATE DATABASE prev"
psql_db prev -f "$schema/0001_initial.sql" >/dev/null || fail prev-apply "0001 does not apply"
psql_db prev -c "INSERT INTO siphon_schema (version, name) VALUES (1, '0001_initial.sql');
    SELECT siphon_ensure_partitions(date '2024-03-01');
    INSERT INTO calls (call_uuid, start_ts, probe, call_id, call_key, state)
    VALUES ('00000000-0000-8000-8000-000000000001', '2024-03-01 12:00:00+00', 'p', 'old-call', 1,
            'answered')" >/dev/null
"$SIPHON" analyze --store "${st[@]}" --storage.dsn="$(dsn prev)" "$work/a.pcap" >/dev/null 2>"$work/prev.err" &&
    fail prev-refuse "analyze --store wrote into an older schema"
grep -q "schema is version 1, this siphon needs $newest: run \`siphon db migrate\`" "$work/prev.err" ||
    fail prev-msg "no clear refusal: $(cat "$work/prev.err")"
out=$("$SIPHON" db migrate --storage.dsn="$(dsn prev)" 2>&1); echo "$out"
[ "$out" = "schema: migrated from version 1 to $newest" ] || fail prev "unexpected: $out"
[ "$(psql_db prev -c "SELECT call_id FROM calls")" = old-call ] || fail prev-row "the old row is gone"
[ "$(psql_db prev -c "SELECT count(*) FROM siphon_partitions")" -ge 7 ] || fail prev-view "no partition view"
psql_db prev -c "DELETE FROM siphon_schema WHERE version > 1; DROP VIEW siphon_partitions" >/dev/null
"$SIPHON" analyze --store "${st[@]}" --storage.dsn="$(dsn prev)" --storage.auto_migrate=always \
    "$work/a.pcap" >/dev/null 2>&1 || fail prev-always "auto_migrate = always did not migrate"
[ "$(psql_db prev -c "SELECT max(version) FROM siphon_schema")" = "$newest" ] || fail prev-always-v "not migrated"

# 3. newer than known ------------------------------------------------------------
pg_psql -c "CREATE DATABASE newer"
psql_db newer -c "CREATE TABLE siphon_schema (version integer PRIMARY KEY, name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()); INSERT INTO siphon_schema VALUES (99, 'future')" >/dev/null
"$SIPHON" analyze --store "${st[@]}" --storage.dsn="$(dsn newer)" --storage.auto_migrate=always \
    "$work/a.pcap" >/dev/null 2>"$work/newer.err" && fail newer-refuse "analyze --store accepted a newer schema"
grep -q "schema is version 99, newer than this siphon knows ($newest)" "$work/newer.err" ||
    fail newer-msg "no clear refusal: $(cat "$work/newer.err")"
"$SIPHON" db migrate --storage.dsn="$(dsn newer)" >/dev/null 2>&1 && fail newer-migrate "db migrate accepted it"

# 4. retention ---------------------------------------------------------------------
for back in 40 31 30 29 0; do
    day=$(date -u -d "-$back days" +%F)
    pg_psql -c "SELECT siphon_ensure_partitions('$day');
        INSERT INTO calls (call_uuid, start_ts, probe, call_id, call_key, state)
        VALUES (gen_random_uuid(), '$day 12:00:00+00', 'p', 'day-$back', $back, 'answered')" >/dev/null
done
"$SIPHON" db maintain --storage.dsn="$(dsn siphon)" --storage.retention=0 >"$work/keep.out" 2>&1
[ "$(pg_psql -c "SELECT count(*) FROM calls")" = 5 ] || fail keep "retention 0 dropped rows"
out=$("$SIPHON" db maintain --storage.dsn="$(dsn siphon)" --storage.retention=30d 2>&1); echo "$out"
ntab=$(pg_psql -c "SELECT count(*) FROM siphon_partitioned") # two old days of each
[[ "$out" == *"$((2 * ntab)) dropped"* ]] || fail drop-count "want $((2 * ntab)) partitions dropped: $out"
left=$(pg_psql -c "SELECT string_agg(call_id, ',' ORDER BY call_key DESC) FROM calls")
[ "$left" = "day-30,day-29,day-0" ] || fail drop-rows "calls left: $left"
days=$(pg_psql -c "SELECT string_agg(DISTINCT day::text, ',') FROM siphon_partitions")
want="$(date -u -d '-30 days' +%F),$(date -u -d '-29 days' +%F),$(date -u +%F),$(date -u -d '+1 day' +%F)"
[ "$days" = "$want" ] || fail drop-days "days left: $days, want $want"

if ((${#failed[@]})); then echo "FAILED: ${failed[*]}"; exit 1; fi
echo "PASS"
