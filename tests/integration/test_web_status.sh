#!/usr/bin/env bash
# test_web_status.sh - /api/v1/status and /api/v1/overview from their 5 s
# snapshots (web/snapshot.c) over a throwaway PostgreSQL (lib/web_setup.sh):
#  1. a second status and overview right after the first come from the
#     snapshot: age_ms > 0 and no query worker ran (web.queries unchanged);
#     the small tables' totals are exact (count(*) of the database, none
#     named in `estimated`);
#  2. calls stored after that show within the snapshot's bound: within 5 s
#     and a refresh of the first snapshot (an expired one answers while a
#     worker refreshes it), calls_total, calls_last_hour and the overview's
#     calls grow by the calls stored;
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
# an expired snapshot still answers and its refresh goes to a worker: poll
# until an answer's figures were computed after the import (now - age_ms)
fresh() { # PATH OUT: polls PATH until an answer's snapshot was computed after
    # the import (now - age_ms > t_import); prints how long after the import
    python3 - "$WEB_URL$1" "$cookie" "$t_import" "$2" <<'PY'
import json, ssl, sys, time, urllib.request
url, cookie, t_import, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
ctx = ssl._create_unverified_context()
for _ in range(300):
    t0 = time.time()
    body = urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": cookie}),
                                  context=ctx).read()
    made = t0 - json.loads(body)["age_ms"] / 1000
    if made > t_import:
        open(out, "wb").write(body)
        print(round(made - t_import, 1))
        sys.exit(0)
    time.sleep(0.1)
sys.exit(1)
PY
}
t_import=$(date +%s.%N)
took=$(fresh /api/v1/status "$work/s3.json") || fail "no status computed after the import"
fresh /api/v1/overview "$work/o3.json" >/dev/null || fail "no overview computed after the import"
python3 -c "import sys; sys.exit(0 if $took <= 5 + 2 else 1)" ||
    fail "the status figures were computed $took s after the import (bound: 5 s and a refresh)"
[ "$(field calls_total <"$work/s3.json")" = "$after" ] ||
    fail "calls_total $(field calls_total <"$work/s3.json") 5 s later, $after stored"
[ "$(field calls_last_hour <"$work/s3.json")" = $((hour + after - before)) ] ||
    fail "calls_last_hour $(field calls_last_hour <"$work/s3.json"), expected $((hour + after - before))"
[ "$(field totals.calls <"$work/o3.json")" = $((ov + after - before)) ] ||
    fail "the overview's calls $(field totals.calls <"$work/o3.json"), expected $((ov + after - before))"
echo "ok: $((after - before)) calls stored show in a snapshot computed $took s after they were stored: status $before -> $after calls, overview $ov -> $((ov + after - before))"

pg_psql -v n=6000 -v days=0 -f "$TESTS_DIR/bench/lib/search_rows.sql" >/dev/null || fail "rows"
pg_psql -c "VACUUM ANALYZE calls" >/dev/null
exact=$(count "")
t_import=$(date +%s.%N)
fresh /api/v1/status "$work/s4.json" >/dev/null || fail "no status computed after the rows"
est=$(field calls_total <"$work/s4.json")
field estimated <"$work/s4.json" | grep -q '"calls_total"' || fail "calls_total not estimated: $(cat "$work/s4.json")"
python3 -c "import sys; sys.exit(0 if abs($est - $exact) <= 0.1 * $exact else 1)" ||
    fail "estimate $est vs $exact rows"
echo "ok: a large partition estimated: about $est calls, $exact stored"
echo "test_web_status: ok (${SECONDS}s)"
