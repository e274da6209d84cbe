#!/usr/bin/env bash
# bench_web_scale.sh [BUILD_DIR] - the dashboard at the issue's scale:
#  * 1,000,000 stored calls (web_setup.sh's imported calls plus rows of
#    lib/search_rows.sql over 7 days): the first page (50 calls) of every
#    search filter, end to end over HTTPS (lib/bench_web_scale.py);
#  * a 500-message call (lib/web_scale_pcap.py ladder, imported by analyze
#    --store): /api/v1/calls/{id} time, and its ladder rendered in headless
#    Chromium (lib/bench_web_scale.mjs);
#  * 1,000 calls in progress: `siphon run` captures lib/web_scale_pcap.py's
#    1,000 SIP calls replayed into a test network namespace while Chromium
#    holds the Live page (frames measured with requestAnimationFrame) and
#    4 clients send API requests (requests/s while capture runs).
# Needs root, tcpreplay, chromium and web/ui/node_modules (deps.sh test).
# BENCH_CALLS (default 1000000), BENCH_LIVE (default 1000); BENCH_ONLY=live
# measures the Live page only (no 1,000,000 rows, no search, no ladder
# render; the API load during the replay still runs).
# BENCH_API_ONLY=1: no Chromium; during the replay lib/bench_web_load.py
# measures each API route in turn (requests/s, p50/p99, server and
# PostgreSQL CPU per request).  BENCH_PEER=/path/to/siphon: then the same
# (search timings and API during a replay) with that binary, same database,
# same run.
set -uo pipefail
b=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
export SIPHON=$(realpath "$b/app/siphon") SIPHON_GEN=$(realpath "$b/tests/gen/siphon-gen")
export TESTS_DIR=$here TEST_TMP=$(realpath "$b")/tests/tmp UI_DIR=$here/../web/ui
N=${BENCH_CALLS:-1000000} LIVE=${BENCH_LIVE:-1000} ONLY=${BENCH_ONLY:-}
work="$TEST_TMP/bench_web_scale"
rm -rf "$work" && mkdir -p "$work"
. "$here/integration/lib/pg.sh"
. "$here/integration/lib/web_setup.sh"
ns="siphon-bws$$" vh="bws$$h" vn="bws$$n" pid=""
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    ip link del "$vh" 2>/dev/null
    web_stop
    pg_cleanup
    rm -rf "$work"
}
trap cleanup EXIT
pg_start "$work/pg"
web_setup "$work" || exit 1
web_stop
python3 "$here/bench/lib/web_scale_pcap.py" ladder "$work/ladder.pcap" $(($(date +%s) - 7200))
"$SIPHON" analyze --store --no-progress --storage.dsn="$PG_DSN" "$work/ladder.pcap" >/dev/null 2>&1
have=$(pg_psql -c "SELECT count(*) FROM calls")
t0=$(date +%s)
if [ "$ONLY" != live ]; then
    pg_psql -v n=$((N - have)) -v days=7 -f "$here/bench/lib/search_rows.sql" >/dev/null || exit 1
    pg_psql -c "VACUUM ANALYZE calls" >/dev/null
fi
echo "calls stored: $(pg_psql -c 'SELECT count(*) FROM calls') (rows loaded in $(($(date +%s) - t0)) s)"
ladder=$(pg_psql -c "SELECT call_uuid FROM calls WHERE call_id = 'bench-ladder-500@h'")
echo "ladder call: $(pg_psql -c "SELECT sip_messages FROM calls WHERE call_uuid = '$ladder'") messages"

ip netns add "$ns" && ip link add "$vh" type veth peer name "$vn" netns "$ns" &&
    sysctl -qw "net.ipv6.conf.$vh.disable_ipv6=1" &&
    ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$vn.disable_ipv6=1" &&
    ip link set "$vh" up && ip -n "$ns" link set "$vn" up || { echo "veth setup failed"; exit 1; }
api() { # BINARY: siphon run with it, the search timings, the API during a replay
    local bin=$1 port url npid lpid
    port=$(web_free_port)
    url="https://127.0.0.1:$port"
    "$bin" run --allow-root --capture.interfaces="$vh" --storage.dsn="$PG_DSN" \
        --storage.spool_dir="$work/spool" --record.enabled=false --correlator.call_linger=1s \
        --web.listen="127.0.0.1:$port" --web.state_dir="$work/state" >"$work/run.out" 2>"$work/run.err" &
    pid=$!
    for _ in $(seq 100); do curl -sk -o /dev/null "$url/" && break; sleep 0.1; done
    echo "== $bin (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    [ "$ONLY" = live ] || python3 "$here/bench/lib/bench_web_scale.py" search "$url" "$ladder"
    python3 "$here/bench/lib/web_scale_pcap.py" live "$work/live.pcap" "$LIVE" "$(($(date +%s) + 25))" 20
    if [ -n "${BENCH_API_ONLY:-}" ]; then
        (ip netns exec "$ns" tcpreplay -q -i "$vn" "$work/live.pcap" >/dev/null 2>&1) &
        lpid=$!
        echo "API while capturing $LIVE calls (each route in turn, 4 client processes):"
        python3 "$here/bench/lib/bench_web_load.py" "$url" "${SECONDS_PER_ROUTE:-6}" "$pid" "$work/pg" \
            "session (no database)=/api/v1/session" "status=/api/v1/status" \
            "overview=/api/v1/overview" "newest page of 50=/api/v1/calls?limit=50" \
            "caller prefix page=/api/v1/calls?caller=1234*&limit=50" \
            "500-message call=/api/v1/calls/$ladder"
        wait "$lpid"
    else
        HOME="$work" node "$here/bench/lib/bench_web_scale.mjs" "$url" \
            "$([ "$ONLY" = live ] && echo - || echo "$ladder")" "$work/ready" "$LIVE" &
        npid=$!
        for _ in $(seq 300); do [ -f "$work/ready" ] && break; sleep 0.1; done
        python3 "$here/bench/lib/bench_web_scale.py" load "$url" "$ladder" 12 &
        lpid=$!
        ip netns exec "$ns" tcpreplay -q -i "$vn" "$work/live.pcap" >/dev/null 2>&1
        wait "$npid"
        wait "$lpid"
    fi
    kill -INT "$pid"; wait "$pid"; pid=""
    grep -E "web:|dropped" "$work/run.err" | tail -3
    rm -f "$work/ready"
}
api "$SIPHON"
if [ -n "${BENCH_PEER:-}" ]; then api "$(realpath "$BENCH_PEER")"; fi
