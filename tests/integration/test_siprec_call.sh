#!/usr/bin/env bash
# test_siprec_call.sh - a passively observed call shows the SIPREC session
# that recorded it: `siphon show CALL`, the dashboard's call detail and its
# call page.
#
# A throwaway PostgreSQL (lib/pg.sh); the call as a probe saw it imported
# by `siphon analyze --store` (Call-ID e9fffff2..., the one the Cisco
# metadata names); siphon run as a pure recording server with storage and
# the packet store on; SIPp records one session of that call with the
# Cisco scenario made hostile (a participant's name is markup, the
# metadata carries a <script> element, the SRS Call-ID has a quote).
# lib/check_siprec_call.py checks `siphon show` (the SIPREC section: SRS
# Call-ID, SRC, participants, streams as stored, the audio command line,
# which then renders the session), `siphon siprec show` naming the call,
# and, for three calls (linked by Call-ID, by participants -- the Oracle
# session names no Call-ID -- and none), the sessions shown equal the
# siprec_session_calls view's;
# the API of `siphon web` (viewer: participants and streams but no
# metadata, 403 on the session audio; listener: the metadata and a WAV;
# both audio attempts audited).  lib/siprec_call_ui.mjs (headless
# Chromium) checks the call page's "SIPREC recording" section for both
# roles with the hostile text inert.  Free ports, loopback only, servers
# stopped in a trap.
set -euo pipefail
: "${SIPHON:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
work="$TEST_TMP/siprec_call"
rm -rf "$work" && mkdir -p "$work"
cd "$work"
lib="$TESTS_DIR/integration/lib"
scen="$TESTS_DIR/siprec"
. "$lib/pg.sh"
. "$lib/web_setup.sh"
srs_pid=""
cleanup() {
    [ -n "$srs_pid" ] && kill "$srs_pid" 2>/dev/null
    web_stop
    pg_cleanup
}
trap cleanup EXIT

pg_start "$work/pg" || { echo "FAIL: cannot start PostgreSQL"; exit 1; }
st=(--storage.dsn="$PG_DSN" --storage.spool_dir="$work/spool" --storage.batch_delay=100ms)
echo "PostgreSQL up (${SECONDS}s)"
"$SIPHON" db migrate "${st[@]}" >migrate.out
observed=e9fffff2020a598b86962867715db0cf
python3 "$lib/siprec_observed_call.py" observed.pcap "$observed"
python3 "$lib/siprec_observed_call.py" unrecorded.pcap unrecorded@10.0.0.1 1234 5678 1
python3 "$lib/siprec_observed_call.py" byparts.pcap oracle-leg-1@10.0.0.1 9000 1002 120
"$SIPHON" analyze --store --no-progress "${st[@]}" observed.pcap unrecorded.pcap byparts.pcap \
    >analyze.out 2>&1 ||
    { echo "FAIL: analyze --store: $(tail -3 analyze.out)"; exit 1; }

# the Cisco session, hostile: markup in a participant's name, a script
# element in the metadata (kept verbatim)
sed -e 's|<name xml:lang="en">7300</name>|<name xml:lang="en">\&lt;img src=/xss-siprec-name onerror=alert(1)\&gt; Bob</name>|' \
    -e 's|</recording>|<script xmlns="urn:x-hostile">fetch("/xss-siprec-xml")</script></recording>|' \
    "$scen/cisco_cube.xml" >hostile.xml
grep -q xss-siprec-name hostile.xml && grep -q xss-siprec-xml hostile.xml ||
    { echo "FAIL: hostile scenario not made"; exit 1; }

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
print(free([U, T]), free([U, T]), free([U], 4), free([U], 20))
PY
)
python3 "$scen/make_rtp_pcap.py" pcmu2.pcap 0 2 50 tones=440,1000

: >empty.conf
"$SIPHON" run -c empty.conf --allow-root --json --log.stats_interval=0 \
    --siprec.enabled=true --siprec.listen="udp:127.0.0.1:$sip" \
    --siprec.rtp_ports=$rtp_lo-$((rtp_lo + 19)) --record.enabled=true --record.dir="$work/store" \
    --storage.enabled=true "${st[@]}" >run.ndjson 2>run.stderr &
srs_pid=$!
for _ in $(seq 100); do grep -q "SIPREC recording server on" run.stderr && break; sleep 0.1; done
grep -q "SIPREC recording server on" run.stderr || { echo "FAIL: no server: $(cat run.stderr)"; exit 1; }
for s in "hostile.xml:o'src" "$scen/oracle_acme.xml:oracle"; do
    timeout 30 sipp "127.0.0.1:$sip" -sf "${s%%:*}" -m 1 -i 127.0.0.1 -p "$sipp_port" \
        -mp "$sipp_media" -cid_str "${s#*:}-%u-%p@%s" -nostdin >sipp.out 2>&1 ||
        { echo "FAIL: SIPp $s: $(tail -3 sipp.out | tr '\n' ' ')"; exit 1; }
done
kill -TERM $srs_pid
rc=0; wait $srs_pid || rc=$?
srs_pid=""
[ $rc -eq 0 ] || { echo "FAIL: siphon run exited $rc: $(tail -5 run.stderr)"; exit 1; }

echo "sessions recorded (${SECONDS}s)"
cfg=(-c empty.conf "${st[@]}")
"$SIPHON" show "$observed" "${cfg[@]}" >show.txt 2>show.err ||
    { echo "FAIL: siphon show: $(cat show.err)"; exit 1; }

printf 'lena-password-1\n' | "$SIPHON" user add lena --role listener "${st[@]}" >/dev/null
printf 'victor-password-1\n' | "$SIPHON" user add victor --role viewer "${st[@]}" >/dev/null
for _ in 1 2 3; do
    port=$(web_free_port)
    "$SIPHON" web -c empty.conf "${st[@]}" --web.listen="127.0.0.1:$port" \
        --web.state_dir="$work/state" --web.ui_dir="$work/no-ui" --record.enabled=true \
        --record.dir="$work/store" >web.log 2>&1 &
    WEB_PID=$! WEB_URL="https://127.0.0.1:$port"
    for _ in $(seq 1 50); do
        curl -sk -o /dev/null "$WEB_URL/" && break 2
        kill -0 "$WEB_PID" 2>/dev/null || break
        sleep 0.1
    done
    web_stop
done
[ -n "$WEB_PID" ] || { echo "FAIL: siphon web did not start: $(cat web.log)"; exit 1; }

python3 "$lib/check_siprec_call.py" "$SIPHON" "$PG_DSN" "$work" "$observed" "$WEB_URL"
echo "show and API checked (${SECONDS}s)"
uuid=$(pg_psql -c "SELECT call_uuid FROM calls WHERE call_id = '$observed'")
export UI_DIR="$TESTS_DIR/../web/ui"
if [ -d "$UI_DIR/node_modules/playwright-core" ] && [ -x /usr/bin/chromium ]; then
    HOME="$work" timeout 60 node "$lib/siprec_call_ui.mjs" "$WEB_URL" "$work" "$uuid"
else
    echo "FAIL: web/ui/node_modules or chromium missing: run packaging/deps.sh test"
    exit 1
fi
web_stop
echo "test_siprec_call: ok (${SECONDS}s)"
