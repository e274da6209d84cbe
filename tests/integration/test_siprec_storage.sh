#!/usr/bin/env bash
# test_siprec_storage.sh - SIPREC sessions in PostgreSQL and `siphon siprec`.
#
# A throwaway PostgreSQL (lib/pg.sh) takes the schema (`siphon db migrate`,
# migration 0004: siprec_sessions, siprec_participants, siprec_streams, the
# siprec_session_calls view).  Two passively captured calls are imported
# (`siphon analyze --store`): one whose Call-ID the Cisco metadata names,
# one from 9000 to 1002, the Oracle session's participants (its metadata
# names no Call-ID), still up when the session starts.  Then siphon
# run is a pure recording server with storage on, and SIPp records three
# sessions (Cisco CUBE, Oracle/Acme, one cancelled before the answer).
# lib/check_siprec_storage.py compares the rows with the siprec_session
# NDJSON records (state, source, participants, per stream label, codec,
# packets, sender; the raw metadata kept), checks `siphon siprec list
# --json` (every session, the Cisco one linked to its observed call by
# Call-ID, the Oracle one to the other by participants, the cancelled one
# to none; --since in the future lists none), the text list
# (every Call-ID, no control character), `siphon siprec show` by Call-ID
# (text and JSON) and an unknown one (exit 3).  Free ports, loopback only,
# servers stopped in a trap.
set -euo pipefail
: "${SIPHON:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
work="$TEST_TMP/siprec_storage"
rm -rf "$work" && mkdir -p "$work"
cd "$work"
lib="$TESTS_DIR/integration/lib"
scen="$TESTS_DIR/siprec"
. "$lib/pg.sh"
srs_pid=""
cleanup() { [ -n "$srs_pid" ] && kill "$srs_pid" 2>/dev/null; pg_cleanup; }
trap cleanup EXIT

pg_start "$work/pg" || { echo "FAIL: cannot start PostgreSQL"; exit 1; }
st=(--storage.dsn="$PG_DSN" --storage.spool_dir="$work/spool" --storage.batch_delay=100ms)
"$SIPHON" db migrate "${st[@]}"

python3 "$lib/siprec_observed_call.py" observed.pcap e9fffff2020a598b86962867715db0cf
python3 "$lib/siprec_observed_call.py" observed2.pcap oracle-leg-1@10.0.0.1 9000 1002 120
for f in observed.pcap observed2.pcap; do
    "$SIPHON" analyze --store --no-progress "${st[@]}" $f >analyze.out 2>&1 ||
        { echo "FAIL: analyze --store $f: $(tail -3 analyze.out)"; exit 1; }
done

read -r sip sipp_port sipp_media rtp_lo < <(python3 - <<'PY'
import random, socket
def free(types, n=1):
    for _ in range(200):
        p = random.randrange(20000, 60000, 2)
        socks = []
        try:
            for q in range(p, p + n):
                for t in types:
                    s = socket.socket(socket.AF_INET, t); s.bind(('127.0.0.1', q)); socks.append(s)
            return p
        except OSError:
            pass
        finally:
            for s in socks: s.close()
    raise SystemExit('no free port')
U, T = socket.SOCK_DGRAM, socket.SOCK_STREAM
print(free([U, T]), free([U, T]), free([U], 4), free([U], 100))
PY
)
python3 "$scen/make_rtp_pcap.py" pcmu2.pcap 0 2 50

: >empty.conf
"$SIPHON" run -c empty.conf --allow-root --json --log.stats_interval=0 \
    --siprec.enabled=true --siprec.listen="udp:127.0.0.1:$sip" \
    --siprec.rtp_ports=$rtp_lo-$((rtp_lo + 99)) --siprec.answer_delay=300ms \
    --record.enabled=false --storage.enabled=true "${st[@]}" >run.ndjson 2>run.stderr &
srs_pid=$!
for _ in $(seq 100); do grep -q "SIPREC recording server on" run.stderr && break; sleep 0.1; done
grep -q "SIPREC recording server on" run.stderr || { echo "FAIL: no server: $(cat run.stderr)"; exit 1; }

failed=()
for s in cisco:cisco_cube oracle:oracle_acme cancel:cancel; do
    name=${s%%:*} sc=${s#*:}
    timeout 30 sipp "127.0.0.1:$sip" -sf "$scen/$sc.xml" -m 1 -i 127.0.0.1 -p "$sipp_port" \
        -mp "$sipp_media" -cid_str "$name-%u-%p@%s" -nostdin >"sipp_$name.out" 2>&1 ||
        { echo "FAIL: SIPp $sc: $(tail -3 "sipp_$name.out" | tr '\n' ' ')"; failed+=("$name"); }
done
kill -TERM $srs_pid
rc=0; wait $srs_pid || rc=$?
srs_pid=""
[ $rc -eq 0 ] || { echo "FAIL: siphon run exited $rc: $(tail -5 run.stderr)"; exit 1; }

q() { pg_psql -c "SELECT coalesce(json_agg(t), '[]') FROM ($1) t"; }
q "SELECT call_id, state, host(src_ip) AS src_ip, src_port, transport, participant_count,
   stream_count, packets, recorded_call_ids, metadata_updates, metadata_xml_bytes,
   length(metadata_xml) AS xml_len, position('recording' in metadata_xml) > 0 AS xml_ok
   FROM siprec_sessions" >sessions.json
q "SELECT s.call_id, p.idx, p.aor, p.name, p.role FROM siprec_participants p
   JOIN siprec_sessions s USING (session_uuid, start_ts) ORDER BY s.call_id, p.idx" >parts.json
q "SELECT s.call_id, t.idx, t.label, t.codec, t.port, t.packets, t.lost, t.sender_aor, t.srtp
   FROM siprec_streams t JOIN siprec_sessions s USING (session_uuid, start_ts)
   ORDER BY s.call_id, t.idx" >streams.json
q "SELECT call_uuid::text, call_id FROM calls" >calls.json
q "SELECT s.call_id AS session, v.call_id, v.matched_by FROM siprec_session_calls v
   JOIN siprec_sessions s ON s.session_uuid = v.session_uuid" >links.json
cfg=(-c empty.conf "${st[@]}")
"$SIPHON" siprec list --json "${cfg[@]}" >list.ndjson
"$SIPHON" siprec list "${cfg[@]}" >list.txt
"$SIPHON" siprec list --json --since=2099-01-01 "${cfg[@]}" >list_future.ndjson
cid=$(python3 -c "import json,sys
for l in open('run.ndjson'):
    r=json.loads(l)
    if r['type']=='siprec_session' and r['call_id'].startswith('cisco'): print(r['call_id'])")
"$SIPHON" siprec show "$cid" "${cfg[@]}" >show.txt
"$SIPHON" siprec show "$cid" --json "${cfg[@]}" >show.json
rc=0; "$SIPHON" siprec show no-such-session "${cfg[@]}" >/dev/null 2>show_missing.err || rc=$?
echo "$rc" >show_missing.rc
python3 "$lib/check_siprec_storage.py" . || failed+=(rows)
if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED: ${failed[*]}"
    exit 1
fi
echo "PASS"
