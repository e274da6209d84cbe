#!/usr/bin/env bash
# test_storage_hostile.sh - hostile values reach the database intact.
#
# lib/hostile_sip.py writes SIP messages with quotes and backslashes, a
# body of every byte but NUL, invalid UTF-8 in From/To/User-Agent, a
# 63,000-byte header, a lone CR and control bytes.  After `analyze
# --store` into a throwaway PostgreSQL (lib/pg.sh):
#  - every message's raw bytes read back (bytea, decompressed as
#    lib/sip_raw.py does when raw_format says so) equal the bytes sent,
#    byte for byte, and some were stored compressed;
#  - each text column (call_id, from_user, to_user, user_agent, method)
#    equals the same field of `analyze --json --messages` (one contract:
#    quotes and backslashes as they are, bytes that are not UTF-8 as U+FFFD);
#  - len is the message length;
#  - with storage.skip_methods = options the two OPTIONS are not stored and
#    counted (messages_skipped=2), the three MESSAGEs are.
set -uo pipefail
: "${SIPHON:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
work="$TEST_TMP/storage_hostile"
rm -rf "$work" && mkdir -p "$work"
lib="$TESTS_DIR/integration/lib"
. "$lib/pg.sh"
trap pg_cleanup EXIT
failed=()
fail() { echo "FAIL: $*"; failed+=("$1"); }
pg_start "$work/pg" || { echo "FAIL: cannot start PostgreSQL"; exit 1; }
"$SIPHON" db migrate --storage.dsn="$PG_DSN" >/dev/null || { echo "FAIL: migrate"; exit 1; }
python3 "$lib/hostile_sip.py" "$work/h.pcap" "$work/h.hex" || { echo "FAIL: crafting"; exit 1; }
"$SIPHON" analyze --json --messages --no-progress "$work/h.pcap" >"$work/h.ndjson" 2>/dev/null
"$SIPHON" analyze --store --no-progress --storage.dsn="$PG_DSN" --storage.spool_dir="$work/spool" \
    "$work/h.pcap" >"$work/store.out" 2>"$work/store.err" ||
    fail store "analyze --store failed: $(tail -3 "$work/store.err")"
grep '^storage:' "$work/store.out"
pg_psql -c "SELECT json_agg(t ORDER BY t.ts) FROM (SELECT ts, encode(raw, 'hex') AS hex, raw_format, len, call_id,
    from_user, to_user, user_agent, method FROM sip_messages) t" >"$work/rows.json"
python3 - "$work/h.hex" "$work/h.ndjson" "$work/rows.json" "$lib" <<'PY' || fail values "stored values"
import json, sys
sys.path.insert(0, sys.argv[4])
from sip_raw import unpack
sent = [l.strip() for l in open(sys.argv[1])]
recs = [json.loads(l) for l in open(sys.argv[2])]
recs = [r for r in recs if r["type"] == "sip_message"]
rows = json.loads(open(sys.argv[3]).read() or "[]") or []
assert len(rows) == len(sent) == len(recs), "%d rows, %d sent, %d records" % (len(rows), len(sent), len(recs))
bad = 0
packed = 0
for i, (row, hx, rec) in enumerate(zip(rows, sent, recs)):
    packed += row["raw_format"] == 2
    row["hex"] = unpack(row["raw_format"], bytes.fromhex(row["hex"]), row["len"]).hex()
    if row["hex"] != hx:
        bad += 1
        print("message %d: raw bytes differ (%d stored, %d sent)" % (i, len(row["hex"]) // 2, len(hx) // 2))
    if row["len"] != len(hx) // 2:
        bad += 1
        print("message %d: len %d, sent %d" % (i, row["len"], len(hx) // 2))
    for k in ("call_id", "from_user", "to_user", "user_agent", "method"):
        if row[k] != rec.get(k):
            bad += 1
            print("message %d: %s stored %r, record %r" % (i, k, row[k], rec.get(k)))
print("%d messages (%d bytes, %d stored compressed) read back; e.g. from_user %r, user_agent %r" %
      (len(rows), sum(len(h) // 2 for h in sent), packed, rows[0]["from_user"], rows[2]["user_agent"]))
if not packed:
    bad += 1
    print("no message was stored compressed (raw_format 2)")
sys.exit(1 if bad else 0)
PY
pg_psql -c "TRUNCATE sip_messages"
"$SIPHON" analyze --store --no-progress --storage.dsn="$PG_DSN" --storage.spool_dir="$work/spool" \
    --storage.skip_methods=options "$work/h.pcap" >"$work/skip.out" 2>&1
grep '^storage:' "$work/skip.out"
grep -q 'messages_skipped=2' "$work/skip.out" || fail skip-count "messages_skipped is not 2"
[ "$(pg_psql -c "SELECT string_agg(DISTINCT method, ',') || ' ' || count(*) FROM sip_messages")" = "MESSAGE 3" ] ||
    fail skip-rows "stored: $(pg_psql -c "SELECT method FROM sip_messages")"

if ((${#failed[@]})); then echo "FAILED: ${failed[*]}"; exit 1; fi
echo "PASS"
