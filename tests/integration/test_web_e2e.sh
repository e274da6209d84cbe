#!/usr/bin/env bash
# test_web_e2e.sh - the dashboard end to end in headless Chromium (Debian's
# chromium, playwright-core from web/ui/node_modules): log in, search, the
# ladder's arrows against the messages, raw text by click and keyboard,
# charts, hostile display names and User-Agents inert (lib/web_e2e.mjs).
# Screenshots are kept under the build tree: tests/artifacts/web/.
set -euo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${TESTS_DIR:?}" "${TEST_TMP:?}"
lib="$TESTS_DIR/integration/lib"
export UI_DIR="$TESTS_DIR/../web/ui"
[ -d "$UI_DIR/node_modules/playwright-core" ] ||
    { echo "web/ui/node_modules missing: run packaging/deps.sh test"; exit 1; }
[ -x /usr/bin/chromium ] || { echo "chromium missing: run packaging/deps.sh test"; exit 1; }
work="$TEST_TMP/web_e2e"
art="$TEST_TMP/../artifacts/web"
rm -rf "$work" "$art"
mkdir -p "$work" "$art"
. "$lib/pg.sh"
. "$lib/web_setup.sh"
cleanup() { web_stop; pg_cleanup; rm -rf "$work"; }
trap cleanup EXIT
pg_start "$work/pg"
web_setup "$work"
lossy=$(pg_psql -c "SELECT call_uuid FROM quality_intervals GROUP BY call_uuid ORDER BY count(*) DESC, call_uuid LIMIT 1")
hostile=$(pg_psql -c "SELECT string_agg(call_uuid::text, ',') FROM calls WHERE call_id LIKE 'web-xss-%'")
total=$(pg_psql -c "SELECT count(*) FROM calls")
legs=$(pg_psql -c "SELECT string_agg(call_uuid::text, ',' ORDER BY call_id) FROM calls WHERE call_id IN ('web-leg-a@h', 'web-leg-b@h', 'web-scan-call@h')")
HOME="$work" timeout 80 node "$lib/web_e2e.mjs" "$WEB_URL" "$art" "$lossy" "$hostile" "$total" "$legs"
web_stop
echo "test_web_e2e: ok (${SECONDS}s)"
