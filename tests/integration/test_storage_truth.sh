#!/usr/bin/env bash
# test_storage_truth.sh - `siphon analyze --store` stores exactly what the
# capture holds, and a second import adds nothing.
#
# A throwaway PostgreSQL (lib/pg.sh) takes the schema (`siphon db migrate`),
# then four captures are imported with --store: two from siphon-gen (UDP
# with failures, challenges, forks and orphan streams; TCP over IPv6) whose
# truth files say what every call and stream is, and two shared captures
# with REGISTER transactions (none sharing a Call-ID: identical traffic in
# two files is the same rows), whose `analyze --json --events --messages`
# records say which registrations and messages there are.
# lib/check_storage.py compares the tables with them: every call once with
# its fields, its streams with SSRC and packet counts, each call's SIP
# messages, every registration, every message; the probe has its row.  Importing everything a
# second time must leave every table's row count unchanged, and the
# storage summary must say every row was a duplicate.
set -uo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${SHARED_DIR:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
work="$TEST_TMP/storage_truth"
rm -rf "$work" && mkdir -p "$work"
lib="$TESTS_DIR/integration/lib"
. "$lib/pg.sh"
trap pg_cleanup EXIT
failed=()
fail() { echo "FAIL: $*"; failed+=("$1"); }

pg_start "$work/pg" || { echo "FAIL: cannot start PostgreSQL"; exit 1; }
st=(--storage.dsn="$PG_DSN" --storage.spool_dir="$work/spool" --storage.batch_rows=500)
"$SIPHON" db migrate "${st[@]}" || fail migrate "siphon db migrate failed"

"$SIPHON_GEN" -q -o "$work/a.pcap" --truth "$work/a.truth" --seed 61 --calls 60 --duration 1 \
    --challenge 20 --fork --fail-mix busy=10,cancel=10,reject=10,noanswer=5 --orphan 3 ||
    fail gen "siphon-gen a"
"$SIPHON_GEN" -q -o "$work/b.pcap" --truth "$work/b.truth" --seed 62 --calls 25 --duration 1 \
    --tcp --ipv6 --start-time 1709400000 || fail gen "siphon-gen b"
shared=("$SHARED_DIR/data/pcaps/ndpi_sip.pcap" "$SHARED_DIR/data/pcaps/ndpi_sip_hello.pcapng"
    "$SHARED_DIR/data/pcaps/heplify_sip_ipv4_tcp_retrans.pcap")
records=()
for f in "${shared[@]}"; do
    r="$work/$(basename "$f").ndjson"
    "$SIPHON" analyze --json --events --messages --no-progress "$f" >"$r" 2>/dev/null
    records+=("$r")
done

import() { # NAME: every capture, --store; the summary's storage line to $work/NAME.sum
    : >"$work/$1.sum"
    for f in "$work/a.pcap" "$work/b.pcap" "${shared[@]}"; do
        "$SIPHON" analyze --store --no-progress "${st[@]}" "$f" >"$work/$1.out" 2>"$work/$1.err" ||
            fail "$1-exit" "analyze --store $(basename "$f") failed: $(tail -3 "$work/$1.err")"
        grep '^storage:' "$work/$1.out" >>"$work/$1.sum"
    done
}
dump() { # DIR: the tables as JSON
    mkdir -p "$1"
    pg_psql -c "SELECT coalesce(json_agg(t), '[]') FROM (SELECT call_uuid, call_id, caller, callee,
        state, final_code, host(src_ip) AS src_ip, src_port, host(dst_ip) AS dst_ip, dst_port,
        transport, from_uri, to_uri, ended_by, stream_count, sip_messages FROM calls) t" >"$1/calls.json"
    pg_psql -c "SELECT coalesce(json_agg(t), '[]') FROM (SELECT call_uuid, orphan, ssrc, src_port,
        host(src_ip) AS src_ip, host(dst_ip) AS dst_ip, dst_port, packets, lost, payload_type, codec,
        clock_rate, duplicates, lost_wireshark FROM streams) t" >"$1/streams.json"
    pg_psql -c "SELECT coalesce(json_agg(t), '[]') FROM (SELECT call_uuid, msg_id FROM sip_messages) t" \
        >"$1/messages.json"
    pg_psql -c "SELECT coalesce(json_agg(t), '[]') FROM (SELECT call_id, \"user\", final_code, expires,
        attempts, challenged FROM registrations) t" >"$1/registrations.json"
    pg_psql -c "SELECT (SELECT count(*) FROM calls), (SELECT count(*) FROM streams),
        (SELECT count(*) FROM quality_intervals), (SELECT count(*) FROM sip_messages),
        (SELECT count(*) FROM registrations)" >"$1/counts"
}

import first
cat "$work/first.sum"
grep -q 'rows_written=' "$work/first.sum" || fail first-written "the first import wrote nothing"
if grep -qE 'rows_duplicate|rows_dropped|batch_failures|spooled' "$work/first.sum"; then
    fail first-clean "the first import had duplicates, drops or failures"
fi
dump "$work/d1"
python3 "$lib/check_storage.py" "$work/d1" "$work/a.truth" "$work/b.truth" -- "${records[@]}" ||
    fail truth "stored rows differ from the truth"
echo "counts after the first import: $(cat "$work/d1/counts")"

[ "$(pg_psql -c "SELECT count(*) FROM probes WHERE probe = '$(hostname)'")" = 1 ] ||
    fail probe "no probes row for this host"

import second
cat "$work/second.sum"
dump "$work/d2"
[ "$(cat "$work/d1/counts")" = "$(cat "$work/d2/counts")" ] ||
    fail second-counts "a second import changed the counts: $(cat "$work/d2/counts")"
if grep -q 'rows_written=' "$work/second.sum"; then fail second-written "the second import wrote rows"; fi
while read -r line; do
    q=$(sed -n 's/.*rows_queued=\([0-9]*\).*/\1/p' <<<"$line")
    d=$(sed -n 's/.*rows_duplicate=\([0-9]*\).*/\1/p' <<<"$line")
    [ -n "$q" ] && [ "$q" = "$d" ] || fail second-dups "not every row a duplicate: $line"
done <"$work/second.sum"

# Recordings (60 calls): analyze --store --record.dir puts one `recordings` row per
# recorded call, linked to the call's row by its call_uuid; again, nothing.
ncalls=$("$SIPHON" analyze --json --no-progress "$work/a.pcap" 2>/dev/null | grep -c '^{"type":"call"')
for pass in 1 2; do
    "$SIPHON" analyze --store --no-progress "${st[@]}" --record.dir="$work/store" "$work/a.pcap" \
        >/dev/null 2>"$work/rec$pass.err" || fail "rec-exit$pass" "$(tail -3 "$work/rec$pass.err")"
done
nrec=$(pg_psql -c "SELECT count(*) FROM recordings WHERE kind = 'packets'")
[ "$ncalls" -gt 0 ] || fail rec-calls "no calls in a.pcap"
[ "$nrec" = "$ncalls" ] || fail rec-count "recordings: $nrec rows for $ncalls recorded calls"
nlinked=$(pg_psql -c "SELECT count(*) FROM recordings r JOIN calls c USING (call_uuid)
                      WHERE r.call_id = c.call_id AND r.start_ts >= c.start_ts - interval '1 s'")
[ "$nlinked" = "$ncalls" ] || fail rec-link "recordings linked to their calls: $nlinked of $ncalls"
npk=$(pg_psql -c "SELECT count(*) FROM recordings WHERE (locations->>'packets')::int > 0
                  AND jsonb_array_length(locations->'segments') > 0 AND bytes > 0")
[ "$npk" = "$ncalls" ] || fail rec-where "recordings with packets, segments and bytes: $npk of $ncalls"

# Alerts: analyze --store --alerts of the bundled attacks keeps every
# incident update the NDJSON shows as one `alerts` row; again, nothing.
attacks="$TESTS_DIR/../packaging/samples/attacks.pcapng"
nalerts=$("$SIPHON" analyze --alerts --json --no-progress "$attacks" 2>/dev/null | grep -c '^{"type":"alert"')
[ "$nalerts" -gt 0 ] || fail alert-none "no alerts from $attacks"
for pass in 1 2; do
    "$SIPHON" analyze --store --alerts --no-progress "${st[@]}" "$attacks" >/dev/null \
        2>"$work/alerts$pass.err" || fail "alert-exit$pass" "$(tail -3 "$work/alerts$pass.err")"
done
nrows=$(pg_psql -c "SELECT count(*) FROM alerts")
[ "$nrows" = "$nalerts" ] || fail alert-rows "alerts: $nrows rows for $nalerts alert updates"
ntypes=$(pg_psql -c "SELECT count(DISTINCT alert_type) FROM alerts WHERE alert_type IN
                     ('scanner', 'enumeration', 'bruteforce', 'flood')")
[ "$ntypes" = 4 ] || fail alert-types "alert types stored: $ntypes of scanner, enumeration, bruteforce, flood"

if ((${#failed[@]})); then echo "FAILED: ${failed[*]}"; exit 1; fi
echo "PASS"
