#!/usr/bin/env bash
# test_web_status.sh - /api/v1/status and /api/v1/overview from their 5 s
# snapshots (web/snapshot.c) over a throwaway PostgreSQL (lib/web_setup.sh):
#  1. a second status and overview right after the first come from the
#     snapshot: age_ms > 0 and no query worker ran (web.queries unchanged);
#     the small tables' totals are exact (count(*) of the database, none
#     named in `estimated`);
#  2. calls stored after that show within the snapshot's bound: once 5 s
#     passed, calls_total, calls_last_hour and the overview's calls grow by
#     the calls stored;
#  3. a calls partition of over 128 pages (tests/bench/lib/
#     search_rows.sql rows, analysed) is estimated from its statistics:
#     calls_total named in `estimated` and within 10 % of count(*).
set -uo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
lib="$TESTS_DIR/integration/lib"
work="$TEST_TMP/web_status"
rm -rf "$work" && mkdir -p "$work"
. "$lib/pg.sh"
. "$lib/web_setup.sh"
cleanup() { web_stop; pg_cleanup; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
pg_start "$work/pg" || fail "postgres"
web_setup "$work" || fail "web_setup"
cookie=$(curl -sk -i -X POST -H 'X-CSRF-Token: login' -d 'user=alice&password=alice-password-1' \
    "$WEB_URL/api/v1/login" | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \(siphon_session=[^;]*\).*/\1/p')
[ -n "$cookie" ] || fail "log-in"
get() { curl -sk -b "$cookie" "$WEB_URL$1"; }
# field PATH of the JSON on stdin (a.b for nested keys; lists as JSON)
field() { python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v=v[k]
print(json.dumps(v) if isinstance(v, list) else v)' "$1"; }
count() { pg_psql -c "SELECT count(*) FROM calls $1"; }

get /api/v1/status >"$work/s1.json"
t1=$(date +%s.%N)
get /api/v1/overview >"$work/o1.json"
get /api/v1/status >"$work/s2.json"
get /api/v1/overview >"$work/o2.json"
q1=$(field web.queries <"$work/s1.json") q2=$(field web.queries <"$work/s2.json")
[ "$(field age_ms <"$work/s2.json")" -gt 0 ] && [ "$q2" = $((q1 + 2)) ] ||
    fail "the second status did not come from the snapshot: $(cat "$work/s2.json")"
[ "$(field age_ms <"$work/o2.json")" -gt 0 ] && [ "$(field health.query_busy <"$work/o2.json")" = 0 ] ||
    fail "the second overview did not come from the snapshot: age $(field age_ms <"$work/o2.json")"
[ "$(field calls_total <"$work/s1.json")" = "$(count "")" ] &&
    [ "$(field estimated <"$work/s1.json")" = "[]" ] || fail "small tables not counted exactly: $(cat "$work/s1.json")"
echo "ok: the second status and overview came from the snapshot (age_ms > 0; queries $q1 -> $q2: the first status and overview only)"

before=$(count "") hour=$(field calls_last_hour <"$work/s1.json") ov=$(field totals.calls <"$work/o1.json")
"$SIPHON_GEN" -q -o "$work/new.pcap" --seed 9 --calls 7 --concurrency 7 --duration 1 \
    --start-time $(($(date +%s) - 120))
"$SIPHON" analyze --store --no-progress --storage.dsn="$PG_DSN" "$work/new.pcap" >/dev/null 2>&1 ||
    fail "import"
after=$(count "")
[ "$after" -gt "$before" ] || fail "the import stored no call"
python3 -c "import time,sys; time.sleep(max(0, $t1 + 5.2 - time.time()))"
get /api/v1/status >"$work/s3.json"
get /api/v1/overview >"$work/o3.json"
[ "$(field calls_total <"$work/s3.json")" = "$after" ] ||
    fail "calls_total $(field calls_total <"$work/s3.json") 5 s later, $after stored"
[ "$(field calls_last_hour <"$work/s3.json")" = $((hour + after - before)) ] ||
    fail "calls_last_hour $(field calls_last_hour <"$work/s3.json"), expected $((hour + after - before))"
[ "$(field totals.calls <"$work/o3.json")" = $((ov + after - before)) ] ||
    fail "the overview's calls $(field totals.calls <"$work/o3.json"), expected $((ov + after - before))"
echo "ok: $((after - before)) calls stored show within 5 s: status $before -> $after calls, overview $ov -> $((ov + after - before))"

pg_psql -v n=6000 -v days=0 -f "$TESTS_DIR/bench/lib/search_rows.sql" >/dev/null || fail "rows"
pg_psql -c "VACUUM ANALYZE calls" >/dev/null
exact=$(count "")
sleep 5.2
get /api/v1/status >"$work/s4.json"
est=$(field calls_total <"$work/s4.json")
field estimated <"$work/s4.json" | grep -q '"calls_total"' || fail "calls_total not estimated: $(cat "$work/s4.json")"
python3 -c "import sys; sys.exit(0 if abs($est - $exact) <= 0.1 * $exact else 1)" ||
    fail "estimate $est vs $exact rows"
echo "ok: a large partition estimated: about $est calls, $exact stored"
echo "test_web_status: ok (${SECONDS}s)"
