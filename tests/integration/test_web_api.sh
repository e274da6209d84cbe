#!/usr/bin/env bash
# test_web_api.sh - the dashboard's JSON API against `siphon web` over a
# real PostgreSQL loaded from captures (lib/web_setup.sh): every route of
# the binary's route table answers 401 without a session, roles (viewer
# 403 on audio/pcap/users), CSRF, body limit, logout and idle expiry,
# log-in rate limit, security headers, and the search and call detail
# compared with `siphon calls` and the database (lib/check_web_api.py).
set -euo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${TESTS_DIR:?}" "${TEST_TMP:?}"
lib="$TESTS_DIR/integration/lib"
work="$TEST_TMP/web_api"
rm -rf "$work"
mkdir -p "$work"
. "$lib/pg.sh"
. "$lib/web_setup.sh"
cleanup() { web_stop; pg_cleanup; rm -rf "$work"; }
trap cleanup EXIT
pg_start "$work/pg"
web_setup "$work" --web.session_idle=3s
python3 "$lib/check_web_api.py" "$WEB_URL" "$SIPHON" "$PG_DSN" "$work/state"
web_stop
echo "test_web_api: ok (${SECONDS}s)"
