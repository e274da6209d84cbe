#!/usr/bin/env bash
# test_storage_embedded.sh - the embedded PostgreSQL: storage with no
# storage.dsn.
#
#  1. `analyze --store` with a fresh storage.data_dir initialises a cluster,
#     stores the capture's calls and leaves no server running behind it;
#     `siphon db status` (which starts it again) counts them.
#  2. `siphon run` starts it as user siphon (PostgreSQL refuses root),
#     listening on no TCP port, only on its socket in storage.run_dir;
#     SIGTERM stops siphon and the server with it (gone when siphon exits).
#  3. kill -9 of `siphon run`: the server follows (parent-death signal)
#     within 10 s: no orphaned postmaster, no stale lock; the next start
#     works and adds a second capture's calls.
#  4. a postmaster left running on the cluster by something else (an
#     orphan, not a child of a siphon) is shut down at start and siphon
#     goes on with its own.
# As root (packaging/test.sh); needs the user siphon (packaging/deps.sh).
set -uo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
if [ "$(id -u)" -ne 0 ]; then echo "FAIL: needs root (run packaging/test.sh as root)"; exit 1; fi
id siphon >/dev/null 2>&1 || { echo "FAIL: no user siphon (packaging/deps.sh creates it)"; exit 1; }
work="$TEST_TMP/storage_embedded"
rm -rf "$work" && mkdir -p "$work"
d=$work; while [ "$d" != / ]; do chmod o+x "$d" 2>/dev/null; d=$(dirname "$d"); done
pid=""
data="$work/pgdata"
server_pids() { pgrep -f -- "postgres -D $data" || true; }
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    for p in $(server_pids); do kill -INT "$p" 2>/dev/null; done
    sleep 0.5
    for p in $(server_pids); do kill -KILL "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
failed=()
fail() { echo "FAIL: $*"; failed+=("$1"); }
emb=(--storage.data_dir="$data" --storage.run_dir="$work/run" --storage.spool_dir="$work/spool"
     --storage.retention=0)
calls_stored() { "$SIPHON" db status --json "${emb[@]}" | python3 -c '
import json, sys
print({t["table"]: t["rows"] for t in json.loads(sys.stdin.read())["tables"]}["calls"])'; }

# 1. first use --------------------------------------------------------------------
"$SIPHON_GEN" -q -o "$work/a.pcap" --calls 25 --duration 1 --seed 91 || fail gen "siphon-gen"
"$SIPHON_GEN" -q -o "$work/b.pcap" --calls 15 --duration 1 --seed 92 || fail gen "siphon-gen"
"$SIPHON" analyze --store --no-progress -v "${emb[@]}" "$work/a.pcap" >"$work/a.out" 2>"$work/a.err" ||
    fail first "analyze --store: $(tail -3 "$work/a.err")"
grep -q 'initialised the embedded PostgreSQL cluster' "$work/a.err" || fail initdb "no initdb message"
[ -f "$data/PG_VERSION" ] || fail initdb-dir "no cluster in storage.data_dir"
[ -z "$(server_pids)" ] || fail first-left "a server is still running after analyze"
n=$(calls_stored); echo "after the first import: $n calls"
[ "$n" = 25 ] || fail first-count "$n calls stored, want 25"

# 2. siphon run, SIGTERM -------------------------------------------------------------
start_run() {
    "$SIPHON" run -c /dev/null --allow-root -v -i lo --capture.bpf_filter='udp port 9' "${emb[@]}" \
        --record.dir="$work/record" --web.enabled=false \
        --log.stats_interval=0 >"$work/run.out" 2>"$work/run.err" &
    pid=$!
    for i in $(seq 200); do grep -q 'capturing on lo' "$work/run.err" && return 0; sleep 0.1; done
    fail "$1-start" "siphon run did not start: $(head -5 "$work/run.err")"
    return 1
}
if start_run run; then
    pm=$(server_pids | head -1)
    echo "siphon $pid, postmaster $pm ($(ps -o user= -p "$pm"))"
    [ "$(ps -o user= -p "$pm" | tr -d ' ')" = siphon ] || fail user "the server does not run as siphon"
    [ -S "$work/run/.s.PGSQL.5432" ] || fail socket "no socket in storage.run_dir"
    if ss -ltnp 2>/dev/null | grep -q "pid=$pm,"; then fail tcp "the server listens on TCP"; fi
    kill -TERM "$pid"; wait "$pid"; rc=$?; pid=""
    [ $rc -eq 0 ] || fail term-exit "siphon run exit $rc after SIGTERM"
    [ -z "$(server_pids)" ] || fail term-left "the server outlived siphon after SIGTERM"
    grep -q 'embedded PostgreSQL stopped' "$work/run.err" || fail term-msg "no stop message"
fi

# 3. kill -9 -----------------------------------------------------------------------
if start_run kill; then
    pm=$(server_pids | head -1)
    kill -KILL "$pid"; wait "$pid" 2>/dev/null; pid=""
    for i in $(seq 100); do [ -z "$(server_pids)" ] && break; sleep 0.1; done
    [ -z "$(server_pids)" ] && echo "postmaster $pm gone after kill -9 of siphon" ||
        fail orphan "postmaster $pm still running 10 s after siphon was killed"
fi
"$SIPHON" analyze --store --no-progress "${emb[@]}" "$work/b.pcap" >"$work/b.out" 2>"$work/b.err" ||
    fail after-kill "analyze --store after the kill: $(tail -3 "$work/b.err")"
n=$(calls_stored); echo "after the second import: $n calls"
[ "$n" = 40 ] || fail second-count "$n calls stored, want 40"

# 4. an orphaned postmaster ------------------------------------------------------------
runuser -u siphon -- setsid /usr/lib/postgresql/15/bin/postgres -D "$data" -c listen_addresses= \
    -c unix_socket_directories="$work/run" >"$work/orphan.log" 2>&1 &
for i in $(seq 100); do [ -f "$data/postmaster.pid" ] && [ -S "$work/run/.s.PGSQL.5432" ] && break; sleep 0.1; done
orphan=$(server_pids | head -1)
echo "orphan postmaster $orphan"
n=$(calls_stored 2>"$work/orphan.err")
grep -q 'orphaned embedded PostgreSQL' "$work/orphan.err" || fail orphan-msg "the orphan was not reported"
[ "$n" = 40 ] || fail orphan-count "after the orphan: $n calls"
kill -0 "$orphan" 2>/dev/null && fail orphan-left "the orphan is still running"
[ -z "$(server_pids)" ] || fail orphan-after "a server left running"

if ((${#failed[@]})); then echo "FAILED: ${failed[*]}"; exit 1; fi
echo "PASS"
