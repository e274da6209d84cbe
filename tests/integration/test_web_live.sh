#!/usr/bin/env bash
# test_web_live.sh - the dashboard inside `siphon run`: a siphon-gen capture
# (6 answered calls of 4 s with their RTP) replayed in real time by
# tcpreplay into a veth pair of a test network namespace while headless
# Chromium watches the Live page (lib/web_live.mjs): calls appear in
# progress over the WebSocket feed and all 6 end with their MOS; the feed
# dropped nothing; then 200 SIP-only calls in progress together
# (tests/bench/lib/web_scale_pcap.py live): the page holds a window of rows
# while counting them all, and End shows the last one; a call's pcap
# downloaded from the dashboard equals `siphon pcap`'s and its audio
# `siphon audio`'s, both in the audit log.  Needs root (namespaces),
# tcpreplay, chromium and web/ui/node_modules (packaging/deps.sh test).
set -uo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
if [ "$(id -u)" -ne 0 ]; then echo "FAIL: needs root (run packaging/test.sh as root)"; exit 1; fi
export UI_DIR="$TESTS_DIR/../web/ui"
for need in ip tcpreplay node /usr/bin/chromium "$UI_DIR/node_modules/playwright-core"; do
    command -v "$need" >/dev/null || [ -e "$need" ] || { echo "FAIL: $need missing (packaging/deps.sh test)"; exit 1; }
done
lib="$TESTS_DIR/integration/lib"
work="$TEST_TMP/web_live"
art="$TEST_TMP/../artifacts/web"
rm -rf "$work" && mkdir -p "$work" "$art"
. "$lib/pg.sh"
. "$lib/web_setup.sh"
ns="siphon-wl$$" vh="swl$$h" vn="swl$$n"
pid="" npid=""
cleanup() {
    [ -n "$npid" ] && kill "$npid" 2>/dev/null
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    ip link del "$vh" 2>/dev/null
    web_stop
    pg_cleanup
    rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns" || { echo "FAIL: cannot create a network namespace"; exit 1; }
ip link add "$vh" type veth peer name "$vn" netns "$ns" &&
    sysctl -qw "net.ipv6.conf.$vh.disable_ipv6=1" &&
    ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$vn.disable_ipv6=1" &&
    ip link set "$vh" up && ip -n "$ns" link set "$vn" up ||
    { echo "FAIL: cannot set up the veth pair"; exit 1; }
pg_start "$work/pg" || { echo "FAIL: cannot start PostgreSQL"; exit 1; }
"$SIPHON" db migrate --storage.dsn="$PG_DSN" >/dev/null || { echo "FAIL: migrate"; exit 1; }
printf 'alice-password-1\n' | "$SIPHON" user add alice --role admin --storage.dsn="$PG_DSN" >/dev/null
"$SIPHON_GEN" -q -o "$work/live.pcap" --truth "$work/live.truth" --calls 6 --concurrency 3 \
    --duration 4 --seed 31 --start-time "$(date +%s)" || { echo "FAIL: siphon-gen"; exit 1; }
port=$(web_free_port)
"$SIPHON" run --allow-root -v --capture.interfaces="$vh" --storage.dsn="$PG_DSN" \
    --storage.spool_dir="$work/spool" --correlator.call_linger=1s \
    --record.dir="$work/rec" --web.listen="127.0.0.1:$port" --web.state_dir="$work/state" --web.ui_dir="$work/no-ui" \
    >"$work/run.out" 2>"$work/run.err" &
pid=$!
for _ in $(seq 100); do curl -sk -o /dev/null "https://127.0.0.1:$port/" && break; sleep 0.1; done
curl -sk -o /dev/null "https://127.0.0.1:$port/" ||
    { echo "FAIL: the dashboard of siphon run did not start: $(head -5 "$work/run.err")"; exit 1; }
HOME="$work" timeout 110 node "$lib/web_live.mjs" "https://127.0.0.1:$port" "$art" "$work/ready" 6 200 &
npid=$!
for _ in $(seq 300); do [ -f "$work/ready" ] && break; kill -0 "$npid" 2>/dev/null || break; sleep 0.1; done
[ -f "$work/ready" ] || { echo "FAIL: the Live page did not connect"; wait "$npid"; exit 1; }
timeout 60 ip netns exec "$ns" tcpreplay -q -i "$vn" "$work/live.pcap" >"$work/replay.out" 2>&1 ||
    { echo "FAIL: tcpreplay: $(cat "$work/replay.out")"; exit 1; }
for _ in $(seq 600); do [ -f "$work/ready.many" ] && break; kill -0 "$npid" 2>/dev/null || break; sleep 0.1; done
if [ -f "$work/ready.many" ]; then
    python3 "$TESTS_DIR/bench/lib/web_scale_pcap.py" live "$work/many.pcap" 200 "$(date +%s)" 10 &&
        timeout 60 ip netns exec "$ns" tcpreplay -q -i "$vn" "$work/many.pcap" >"$work/replay.out" 2>&1 ||
        { echo "FAIL: tcpreplay of the 200 calls: $(cat "$work/replay.out")"; exit 1; }
fi
wait "$npid"; rc=$?
npid=""
kill -INT "$pid"; wait "$pid"; runrc=$?; pid=""
[ $runrc -eq 0 ] || { echo "FAIL: siphon run exit $runrc"; grep -E "ERROR|runtime error" -A5 "$work/run.err" | head -20; exit 1; }
[ $rc -eq 0 ] || { echo "FAIL: web_live.mjs exit $rc"; tail -5 "$work/run.err"; exit 1; }
# the packet store closes a recording after later packets or at stop: now
# `siphon web` over the same database and store serves the call's pcap,
# which equals siphon pcap's; the download is in the audit log
port=$(web_free_port)
"$SIPHON" web --storage.dsn="$PG_DSN" --record.dir="$work/rec" --web.listen="127.0.0.1:$port" \
    --web.state_dir="$work/state" >"$work/web.log" 2>&1 &
WEB_PID=$!
for _ in $(seq 50); do curl -sk -o /dev/null "https://127.0.0.1:$port/" && break; sleep 0.1; done
cid=$(cat "$work/web.callid")
uuid=$(pg_psql -c "SELECT call_uuid FROM calls WHERE call_id = '$cid'")
curl -sk -c "$work/jar" -H 'X-CSRF-Token: login' -d 'user=alice&password=alice-password-1' \
    -o /dev/null "https://127.0.0.1:$port/api/v1/login"
code=$(curl -sk -b "$work/jar" -o "$work/web.pcap" -w '%{http_code} %{content_type}' \
    "https://127.0.0.1:$port/api/v1/calls/$uuid/pcap")
acode=$(curl -sk -b "$work/jar" -o "$work/web.wav" -w '%{http_code} %{content_type}' \
    "https://127.0.0.1:$port/api/v1/calls/$uuid/audio")
web_stop
[ "$code" = "200 application/vnd.tcpdump.pcap" ] || { echo "FAIL: pcap download: $code"; exit 1; }
"$SIPHON" pcap --record.dir="$work/rec" -o "$work/cli.pcap" "$cid" || { echo "FAIL: siphon pcap"; exit 1; }
cmp "$work/web.pcap" "$work/cli.pcap" || { echo "FAIL: the downloaded pcap differs from siphon pcap's"; exit 1; }
echo "pcap: $(stat -c %s "$work/web.pcap") bytes, equal to siphon pcap's"
# its audio equals siphon audio's rendering of that pcap
[ "$acode" = "200 audio/wav" ] || { echo "FAIL: audio download: $acode"; exit 1; }
"$SIPHON" audio "$cid" --pcap "$work/cli.pcap" -o "$work/cli.wav" 2>"$work/audio.err" ||
    { echo "FAIL: siphon audio: $(cat "$work/audio.err")"; exit 1; }
cmp "$work/web.wav" "$work/cli.wav" || { echo "FAIL: the audio differs from siphon audio's"; exit 1; }
echo "audio: $(stat -c %s "$work/web.wav") bytes, equal to siphon audio's ($(cat "$work/audio.err"))"
n=$(pg_psql -c "SELECT count(*) FROM web_audit WHERE action = 'audio' AND username = 'alice' AND object = '$uuid'")
[ "$n" = 1 ] || { echo "FAIL: $n audit rows for the audio"; exit 1; }
n=$(pg_psql -c "SELECT count(*) FROM web_audit WHERE action = 'pcap' AND username = 'alice' AND object = '$uuid' AND source = '127.0.0.1'")
[ "$n" = 1 ] || { echo "FAIL: $n audit rows for the pcap download"; exit 1; }
echo "test_web_live: ok (${SECONDS}s)"
