# web_setup.sh - a dashboard to test (source it after pg.sh): a throwaway
# PostgreSQL loaded by `siphon analyze --store` from generated calls (with
# loss, so quality intervals and MOS vary), the hostile calls of
# web_hostile_pcap.py, the related legs, DTMF and scanner call of
# web_legs_pcap.py (with detection on, so its alert is stored); three users (admin alice,
# listener lena, viewer victor); `siphon web` on a free loopback port with
# its self-signed certificate made under $work/state.
#
#   web_setup "$work" [--web.session_idle=3s ...]   sets WEB_URL, WEB_PID
#   web_stop                                          stops siphon web
WEB_URL="" WEB_PID=""

web_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

web_setup() {
    local work=$1
    shift
    local lib="$TESTS_DIR/integration/lib" now
    now=$(date +%s)
    "$SIPHON_GEN" -q -o "$work/gen.pcap" --truth "$work/gen.truth" --seed 21 --calls 12 \
        --concurrency 4 --duration 3 --loss 5 --start-time $((now - 1200)) \
        --fail-mix busy=10,reject=10
    python3 "$lib/web_hostile_pcap.py" "$work/hostile.pcap"
    python3 "$lib/web_legs_pcap.py" "$work/legs.pcap"
    "$SIPHON" db migrate --storage.dsn="$PG_DSN" >"$work/migrate.log" 2>&1 ||
        { cat "$work/migrate.log"; return 1; }
    "$SIPHON" analyze --store --no-progress --storage.dsn="$PG_DSN" "$work/gen.pcap" \
        "$work/hostile.pcap" >"$work/import.out" 2>"$work/import.err" ||
        { tail -5 "$work/import.err"; return 1; }
    "$SIPHON" analyze --store --alerts --no-progress --storage.dsn="$PG_DSN" "$work/legs.pcap" \
        >>"$work/import.out" 2>>"$work/import.err" || { tail -5 "$work/import.err"; return 1; }
    printf 'alice-password-1\n' | "$SIPHON" user add alice --role admin --storage.dsn="$PG_DSN" >/dev/null
    printf 'lena-password-1\n' | "$SIPHON" user add lena --role listener --storage.dsn="$PG_DSN" >/dev/null
    printf 'victor-password-1\n' | "$SIPHON" user add victor --role viewer --storage.dsn="$PG_DSN" >/dev/null
    local port
    for _ in 1 2 3; do
        port=$(web_free_port)
        "$SIPHON" web --storage.dsn="$PG_DSN" --web.listen="127.0.0.1:$port" \
            --web.state_dir="$work/state" --web.ui_dir="$work/no-ui" "$@" >"$work/web.log" 2>&1 &
        WEB_PID=$!
        WEB_URL="https://127.0.0.1:$port"
        for _ in $(seq 1 50); do
            curl -sk -o /dev/null "$WEB_URL/" && return 0
            kill -0 "$WEB_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill "$WEB_PID" 2>/dev/null; wait "$WEB_PID" 2>/dev/null
    done
    echo "siphon web did not start:"; cat "$work/web.log"
    return 1
}

web_stop() {
    if [ -n "$WEB_PID" ]; then
        kill "$WEB_PID" 2>/dev/null
        wait "$WEB_PID" 2>/dev/null
        WEB_PID=""
    fi
    return 0
}
