#!/usr/bin/env bash
# test_web_workers.sh - the dashboard's service thread never waits on
# PostgreSQL, and downloads are bounded.
#  1. `siphon run` with 2 query workers and a queue of 1 captures a replay
#     in a test network namespace while PostgreSQL holds an exclusive lock
#     on `calls` (a real slow query, no test hook): a search waits on it,
#     yet another client's session check, a registrations query and the front
#     end answer at once, the live feed delivers the replayed calls, and a
#     request beyond the queue gets 503 with Retry-After, counted in
#     /status (lib/check_web_workers.py).
#  2. `siphon web` with web.max_download=1MiB over a packet store holding a
#     short call and a 100 s call: the short call's pcap (several chunks)
#     and audio are the bytes of `siphon pcap` / `siphon audio`, the long
#     call's pcap and audio are refused with 413 and counted; with the
#     default cap the long pcap streams whole and equals `siphon pcap`'s.
# Needs root (namespaces) and tcpreplay (packaging/deps.sh test).
set -uo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
if [ "$(id -u)" -ne 0 ]; then echo "FAIL: needs root (run packaging/test.sh as root)"; exit 1; fi
for need in ip tcpreplay; do
    command -v "$need" >/dev/null || { echo "FAIL: $need missing (packaging/deps.sh test)"; exit 1; }
done
lib="$TESTS_DIR/integration/lib"
work="$TEST_TMP/web_workers"
rm -rf "$work" && mkdir -p "$work"
. "$lib/pg.sh"
. "$lib/web_setup.sh"
ns="siphon-ww$$" vh="sww$$h" vn="sww$$n"
pid=""
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    ip link del "$vh" 2>/dev/null
    web_stop
    pg_cleanup
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
ip netns add "$ns" || fail "cannot create a network namespace"
ip link add "$vh" type veth peer name "$vn" netns "$ns" &&
    sysctl -qw "net.ipv6.conf.$vh.disable_ipv6=1" &&
    ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$vn.disable_ipv6=1" &&
    ip link set "$vh" up && ip -n "$ns" link set "$vn" up || fail "cannot set up the veth pair"
pg_start "$work/pg" || fail "cannot start PostgreSQL"
"$SIPHON" db migrate --storage.dsn="$PG_DSN" >/dev/null || fail "migrate"
printf 'alice-password-1\n' | "$SIPHON" user add alice --role admin --storage.dsn="$PG_DSN" >/dev/null

# the packet store of part 2: a short call and a long one
now=$(date +%s)
"$SIPHON_GEN" -q -o "$work/short.pcap" --calls 1 --duration 4 --seed 41 --start-time $((now - 900)) &&
    "$SIPHON_GEN" -q -o "$work/long.pcap" --calls 1 --duration 100 --seed 42 --start-time $((now - 600)) ||
    fail "siphon-gen"
"$SIPHON" analyze --store --no-progress --storage.dsn="$PG_DSN" --record.dir="$work/store" \
    "$work/short.pcap" "$work/long.pcap" >/dev/null 2>"$work/import.err" || fail "import: $(tail -3 "$work/import.err")"

# part 1: siphon run, a replay, a locked table
"$SIPHON_GEN" -q -o "$work/live.pcap" --calls 3 --concurrency 3 --duration 3 --seed 43 \
    --start-time "$(date +%s)" || fail "siphon-gen"
port=$(web_free_port)
"$SIPHON" run --allow-root --capture.interfaces="$vh" --storage.dsn="$PG_DSN" \
    --storage.spool_dir="$work/spool" --correlator.call_linger=1s --record.enabled=false \
    --web.listen="127.0.0.1:$port" --web.state_dir="$work/state" --web.ui_dir="$work/no-ui" \
    --web.query_workers=2 --web.query_queue=1 >"$work/run.out" 2>"$work/run.err" &
pid=$!
for _ in $(seq 100); do curl -sk -o /dev/null "https://127.0.0.1:$port/" && break; sleep 0.1; done
curl -sk -o /dev/null "https://127.0.0.1:$port/" || fail "siphon run's dashboard did not start: $(head -5 "$work/run.err")"
PG_PSQL="$PG_BIN/psql -X -q -A -t -h $PG_SOCK -U siphon -d siphon" \
    REPLAY="ip netns exec $ns tcpreplay -q -i $vn $work/live.pcap" \
    timeout 60 python3 "$lib/check_web_workers.py" "https://127.0.0.1:$port" || {
    tail -5 "$work/run.err"
    exit 1
}
kill -INT "$pid"; wait "$pid"; runrc=$?; pid=""
[ $runrc -eq 0 ] || fail "siphon run exit $runrc: $(grep -E "ERROR|runtime error" "$work/run.err" | head -5)"

# part 2: bounded downloads
login() {
    curl -sk -c "$work/jar" -H 'X-CSRF-Token: login' -d 'user=alice&password=alice-password-1' \
        -o /dev/null "$WEB_URL/api/v1/login"
}
get() { # PATH OUT -> "code bytes"
    curl -sk -b "$work/jar" -o "$2" -w '%{http_code} %{size_download}' "$WEB_URL$1"
}
start_web() {
    port=$(web_free_port)
    WEB_URL="https://127.0.0.1:$port"
    "$SIPHON" web --storage.dsn="$PG_DSN" --record.dir="$work/store" --web.listen="127.0.0.1:$port" \
        --web.state_dir="$work/state" --web.ui_dir="$work/no-ui" "$@" >"$work/web.log" 2>&1 &
    WEB_PID=$!
    for _ in $(seq 50); do curl -sk -o /dev/null "$WEB_URL/" && break; sleep 0.1; done
    login
}
short_id=$(grep -a -m1 -o 'Call-ID: [^[:cntrl:]]*' "$work/short.pcap" | head -1 | cut -d' ' -f2)
long_id=$(grep -a -m1 -o 'Call-ID: [^[:cntrl:]]*' "$work/long.pcap" | head -1 | cut -d' ' -f2)
short=$(pg_psql -c "SELECT call_uuid FROM calls WHERE call_id = '$short_id'")
long=$(pg_psql -c "SELECT call_uuid FROM calls WHERE call_id = '$long_id'")
[ -n "$short" ] && [ -n "$long" ] || fail "stored calls '$short_id' '$long_id' not found"
"$SIPHON" pcap --record.dir="$work/store" -o "$work/cli-short.pcap" "$short_id" >/dev/null &&
    "$SIPHON" pcap --record.dir="$work/store" -o "$work/cli-long.pcap" "$long_id" >/dev/null || fail "siphon pcap"
"$SIPHON" audio "$short_id" --pcap "$work/cli-short.pcap" -o "$work/cli-short.wav" 2>/dev/null ||
    fail "siphon audio"
ss=$(stat -c %s "$work/cli-short.pcap") ls=$(stat -c %s "$work/cli-long.pcap")
[ "$ss" -gt 32768 ] && [ "$ls" -gt 1048576 ] || fail "recordings too small for the test: $ss $ls"
start_web --web.max_download=1MiB
r=$(get "/api/v1/calls/$short/pcap" "$work/web-short.pcap")
[ "$r" = "200 $ss" ] || fail "short pcap: $r (expected 200 $ss)"
cmp "$work/web-short.pcap" "$work/cli-short.pcap" || fail "the short pcap differs from siphon pcap's"
r=$(get "/api/v1/calls/$short/audio" "$work/web-short.wav")
[ "${r%% *}" = 200 ] || fail "short audio: $r"
cmp "$work/web-short.wav" "$work/cli-short.wav" || fail "the short audio differs from siphon audio's"
r=$(get "/api/v1/calls/$long/pcap" "$work/web-long.json")
[ "${r%% *}" = 413 ] && grep -q max_download "$work/web-long.json" || fail "long pcap over the cap: $r $(cat "$work/web-long.json")"
r=$(get "/api/v1/calls/$long/audio" "$work/web-long.json")
[ "${r%% *}" = 413 ] || fail "long audio over the cap: $r"
r=$(get /api/v1/status "$work/status.json")
python3 -c 'import json,sys; w=json.load(open(sys.argv[1]))["web"]; assert w["downloads_refused"] == 2, w' \
    "$work/status.json" || fail "downloads_refused not 2"
leftover=$(find "$work/state" -name 'pcap-*' -o -name 'audio-*' | wc -l)
[ "$leftover" = 0 ] || fail "$leftover temporary files left in web.state_dir"
web_stop
echo "downloads: short pcap $ss bytes and its audio equal the CLI's under a 1 MiB cap; long pcap ($ls bytes) and audio refused (413, counted)"
start_web
r=$(get "/api/v1/calls/$long/pcap" "$work/web-long.pcap")
[ "$r" = "200 $ls" ] || fail "long pcap with the default cap: $r"
cmp "$work/web-long.pcap" "$work/cli-long.pcap" || fail "the long pcap differs from siphon pcap's"
web_stop
echo "downloads: long pcap streamed whole ($ls bytes), equal to siphon pcap's"
echo "test_web_workers: ok (${SECONDS}s)"
