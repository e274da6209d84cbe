#!/usr/bin/env bash
# test_calls_show.sh - `siphon calls` and `siphon show` over a real
# PostgreSQL (lib/pg.sh: a throwaway cluster on a Unix socket).
#
# Imported with `siphon analyze --store`: two generated captures with
# their truth (40 calls half an hour ago, 60 calls three days ago with loss
# so some MOS are low; busy, cancelled, rejected and unanswered calls
# mixed in), the hostile calls of lib/table_pcap.py (terminal escapes, C1,
# bidi overrides, invalid UTF-8 in From, To, Call-ID, User-Agent) and every
# real capture of ../shared/data/pcaps.  `siphon analyze --json --messages`
# of the same files gives the records and messages the database holds;
# lib/check_calls_show.py checks every search filter against them (and the
# generated calls against the truth), every ladder against the messages,
# and that nothing from the wire reaches the terminal raw.
set -euo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${TESTS_DIR:?}" "${TEST_TMP:?}" "${SHARED_DIR:?}"
lib="$TESTS_DIR/integration/lib"
work="$TEST_TMP/calls_show"
rm -rf "$work"
mkdir -p "$work"
. "$lib/pg.sh"
cleanup() { pg_cleanup; rm -rf "$work"; }
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap pg_stop EXIT
pg_start "$work/pg"

now=$(date +%s)
"$SIPHON_GEN" -q -o "$work/recent.pcap" --truth "$work/recent.truth" --seed 11 --calls 40 \
    --concurrency 6 --duration 2 --start-time $((now - 1800)) \
    --fail-mix busy=10,cancel=10,reject=15,noanswer=5
"$SIPHON_GEN" -q -o "$work/old.pcap" --truth "$work/old.truth" --seed 12 --calls 60 \
    --concurrency 8 --duration 3 --loss 6 --start-time $((now - 3 * 86400)) \
    --fail-mix busy=10,cancel=5,reject=10
python3 "$lib/table_pcap.py" hostile "$work/hostile.pcap"
files=("$work/recent.pcap" "$work/old.pcap" "$work/hostile.pcap")
for f in "$SHARED_DIR"/data/pcaps/*.pcap "$SHARED_DIR"/data/pcaps/*.pcapng; do
    [ -f "$f" ] && files+=("$f")
done

"$SIPHON" db migrate --storage.dsn="$PG_DSN" >"$work/migrate.log" 2>&1 ||
    { cat "$work/migrate.log"; exit 1; }
"$SIPHON" analyze --store --no-progress --storage.dsn="$PG_DSN" "${files[@]}" \
    >"$work/import.out" 2>"$work/import.err" || {
    rc=$?
    # exit 1: a real capture that is damaged on purpose; the rest is read
    [ "$rc" -eq 1 ] || { tail -5 "$work/import.err"; exit 1; }
}
"$SIPHON" analyze --json --messages "${files[@]}" >"$work/records.ndjson" 2>/dev/null || true

echo "import done: ${SECONDS}s"
python3 "$lib/check_calls_show.py" "$SIPHON" "$PG_DSN" "$work/records.ndjson" \
    "$work/recent.truth" "$work/old.truth"
