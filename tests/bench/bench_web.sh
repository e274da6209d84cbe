#!/usr/bin/env bash
# bench_web.sh [BUILD_DIR] - the dashboard API's throughput: `siphon web`
# over a throwaway PostgreSQL loaded with generated calls (lib/web_setup.sh
# plus CALLS more, default 2000), then lib/bench_web.py: 4 keep-alive TLS
# connections sending 250 requests each of /api/v1/status, a search
# page (50 calls) and one call's detail; requests/s and latency percentiles.
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
echo "calls stored: $(pg_psql -c 'SELECT count(*) FROM calls')"
python3 "$here/bench/bench_web.py" "$WEB_URL" "$(pg_psql -c 'SELECT call_uuid FROM calls LIMIT 1')"
