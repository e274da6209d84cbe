#!/usr/bin/env bash
# bench_web.sh [BUILD_DIR] - the dashboard API's throughput per route:
# `siphon web` over a throwaway PostgreSQL loaded with generated calls
# (lib/web_setup.sh plus CALLS more, default 2000), then
# lib/bench_web_load.py: 4 client processes, each a keep-alive TLS
# connection, sending one route's requests back to back for SECONDS
# (default 10) per route: requests/s, p50/p99, server and PostgreSQL CPU
# per request, load average.  BENCH_PEER=/path/to/other/siphon: the same
# load, same database, same run, against that binary's `siphon web` too
# (a before/after comparison).
set -euo pipefail
b=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
export SIPHON=$(realpath "$b/app/siphon") SIPHON_GEN=$(realpath "$b/tests/gen/siphon-gen")
export TESTS_DIR=$here TEST_TMP=$(realpath "$b")/tests/tmp
work="$TEST_TMP/bench_web"
rm -rf "$work" && mkdir -p "$work"
. "$here/integration/lib/pg.sh"
. "$here/integration/lib/web_setup.sh"
cleanup() { web_stop; pg_cleanup; rm -rf "$work"; }
trap cleanup EXIT
pg_start "$work/pg"
web_setup "$work"
"$SIPHON_GEN" -q -o "$work/more.pcap" --seed 5 --calls "${CALLS:-2000}" --concurrency 50 \
    --duration 2 --start-time $(($(date +%s) - 3000))
"$SIPHON" analyze --store --no-progress --storage.dsn="$PG_DSN" "$work/more.pcap" >/dev/null 2>&1
pg_psql -c "VACUUM ANALYZE" >/dev/null
echo "calls stored: $(pg_psql -c 'SELECT count(*) FROM calls')"
uuid=$(pg_psql -c 'SELECT call_uuid FROM calls LIMIT 1')
web_stop
load() { # BINARY: its `siphon web` on a free port under the same load
    local port pid
    port=$(web_free_port)
    "$1" web --storage.dsn="$PG_DSN" --web.listen="127.0.0.1:$port" --web.state_dir="$work/state" \
        --web.ui_dir="$work/no-ui" >"$work/web.log" 2>&1 &
    WEB_PID=$!
    for _ in $(seq 1 100); do curl -sk -o /dev/null "https://127.0.0.1:$port/" && break; sleep 0.1; done
    echo "== $1 (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    python3 "$here/bench/lib/bench_web_load.py" "https://127.0.0.1:$port" "${SECONDS_PER_ROUTE:-10}" \
        "$WEB_PID" "$work/pg" "session (no database)=/api/v1/session" "status=/api/v1/status" \
        "overview=/api/v1/overview" "newest page of 50=/api/v1/calls?limit=50" \
        "caller prefix page=/api/v1/calls?caller=1*&limit=50" "call detail=/api/v1/calls/$uuid"
    web_stop
}
load "$SIPHON"
if [ -n "${BENCH_PEER:-}" ]; then load "$(realpath "$BENCH_PEER")"; fi
