#!/usr/bin/env bash
# bench_storage.sh - storing calls in the embedded PostgreSQL, and searching
# them.
#
# 1. Ingest.  siphon-gen writes (once, cached) $BENCH_CALLS answered calls,
#    each with its 7 SIP messages (INVITE, 100, 180, 200, ACK, BYE, 200) and
#    two RTP streams (G.729, 2 s at ptime 100 ms: 20 packets each way, so the
#    capture stays small and the figure is about storing, not RTP).
#    `siphon analyze --store` imports it into the embedded server (its
#    cluster initialised and migrated beforehand, not timed).  Measured:
#    calls/s and SIP messages/s over the import (the summary's elapsed
#    time: from the first packet to the writer's last commit), siphon's
#    own CPU (its /proc/PID/stat utime+stime, sampled every 50 ms until it
#    exits) and PostgreSQL's (the postmaster's utime+stime+cutime+cstime
#    plus its live children's, sampled the same way: backends that exited
#    were reaped into the postmaster's cutime), both as CPU-seconds and
#    as a share of the wall time.
# 2. Size.  pg_total_relation_size (heap, TOAST, indexes) of calls,
#    streams, quality_intervals and sip_messages over the calls stored,
#    against the raw bytes of their SIP messages (sum of sip_messages.len).
# 3. Search.  Rows generated in the database (lib/search_rows.sql: a PBX's
#    distributions, spread over the last 7 days) bring `calls` to
#    $BENCH_SEARCH_CALLS (default 1,000,000) beside the imported ones;
#    then every `siphon calls` filter is run $BENCH_RUNS times (default 5)
#    and reported: the median wall time of the whole command (process
#    start, connection, query, output), the median time the server spent
#    on the query in that new session (parse, bind with the planning,
#    execute, as log_min_duration_statement logs them: a new backend reads
#    every partition's and index's catalog entries while planning), the
#    planning and execution time of the same query (its WHERE, ORDER BY and
#    LIMIT, as `siphon calls -vv` logs it, selecting *) run a second time
#    in one session (what a long-lived client pays), and the calls printed.
#
# Environment:
#   SIPHON, SIPHON_GEN   binaries (default ./bg/app/siphon, ./bg/tests/gen/siphon-gen:
#                        a RelWithDebInfo build, built when missing)
#   BENCH_DATA           work directory (default ./bench-data/storage; the
#                        capture is cached there, the cluster rebuilt)
#   BENCH_CALLS          calls imported (default 50000)
#   BENCH_SEARCH_CALLS   calls in the table for the searches (default 1000000;
#                        0: no search section)
#   BENCH_RUNS           runs per search filter (default 5)
#   BENCH_OPTS           more options for the import (e.g. --storage.writers=1)
#   BENCH_PGCONF         lines for the cluster's postgresql.conf before the import
#                        (settings siphon does not pass on the server's command line)
# Runs as root (the embedded server then runs as storage.pg_user, siphon).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SIPHON=${SIPHON:-$root/bg/app/siphon}
SIPHON_GEN=${SIPHON_GEN:-$root/bg/tests/gen/siphon-gen}
DATA=${BENCH_DATA:-./bench-data/storage}
CALLS=${BENCH_CALLS:-50000}
SEARCH_CALLS=${BENCH_SEARCH_CALLS:-1000000}
RUNS=${BENCH_RUNS:-5}
PG_BIN=/usr/lib/postgresql/15/bin

if [ ! -x "$SIPHON" ] || [ ! -x "$SIPHON_GEN" ]; then
    cmake -S "$root" -B "$root/bg" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_C_COMPILER_LAUNCHER=ccache >/dev/null
    cmake --build "$root/bg" -j2 --target siphon siphon-gen >/dev/null
fi
mkdir -p "$DATA"
DATA=$(cd "$DATA" && pwd)
cap="$DATA/ingest-$CALLS.pcap"
pg="$DATA/pgdata" run="$DATA/run" spool="$DATA/spool"
opts=(--storage.data_dir="$pg" --storage.run_dir="$run" --storage.spool_dir="$spool")
dsn="postgresql:///siphon?host=$run&user=siphon"

stop_server() {
    if [ -f "$pg/postmaster.pid" ]; then
        runuser -u siphon -- "$PG_BIN/pg_ctl" -D "$pg" -m fast -w stop >/dev/null 2>&1 || true
    fi
}
trap stop_server EXIT

if [ ! -f "$cap" ]; then
    "$SIPHON_GEN" -q -o "$cap" --seed 42 --calls "$CALLS" --concurrency 2000 --duration 2 \
        --ptime 100 --codec g729 --start-time $(($(date +%s) - 86400))
fi
rm -rf "$pg" "$run" "$spool"
mkdir -p "$run" && chmod 755 "$run"
"$SIPHON" db migrate "${opts[@]}" >/dev/null
if [ -n "${BENCH_PGCONF:-}" ]; then printf '%s\n' "$BENCH_PGCONF" >>"$pg/postgresql.conf"; fi

echo "== ingest: $CALLS calls ($(du -h "$cap" | cut -f1) capture), $(nproc) cores," \
     "machine shared with other work (load $(cut -d' ' -f1-3 /proc/loadavg))"
read -r -a extra <<<"${BENCH_OPTS:-}"
python3 - "$SIPHON" "$cap" "${opts[@]}" "${extra[@]}" <<'PY'
import os, re, subprocess, sys, time

TICK = os.sysconf("SC_CLK_TCK")

def stat(pid):
    try:
        f = open("/proc/%d/stat" % pid).read()
    except OSError:
        return None
    rest = f[f.rindex(")") + 2:].split()
    # after the comm: state ppid ... utime(14) stime(15) cutime(16) cstime(17), 1-based fields
    return {"ppid": int(rest[1]), "comm": f[f.index("(") + 1:f.rindex(")")],
            "u": int(rest[11]), "s": int(rest[12]), "cu": int(rest[13]), "cs": int(rest[14])}

def kind(pid):
    # a PostgreSQL process by its title: "postgres: walwriter", "postgres: siphon siphon [local] COPY"
    try:
        t = open("/proc/%d/cmdline" % pid, "rb").read().split(b"\0")[0].decode("utf-8", "replace")
    except OSError:
        return "?"
    if t.startswith("postgres: siphon ") or t.startswith("postgres: postgres "):
        return "backends"
    return t.replace("postgres: ", "").split(" ")[0] if t.startswith("postgres: ") else "other"

def children(ppid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = stat(int(d))
            if st and st["ppid"] == ppid:
                out.append((int(d), st))
    return out

siphon, cap = sys.argv[1], sys.argv[2]
t0 = time.monotonic()
out = open(cap + ".table", "w+b")  # the table and its summary
p = subprocess.Popen([siphon, "analyze", "--store", "--no-progress"] + sys.argv[3:] + [cap],
                     stdout=out, stderr=subprocess.PIPE)
own = pgcpu = 0
per = {}  # PostgreSQL child pid -> (kind, most CPU seen)
while p.poll() is None:
    me = stat(p.pid)
    if me:
        own = max(own, me["u"] + me["s"])
        for pid, st in children(p.pid):
            if st["comm"] == "postgres":
                tot = st["u"] + st["s"] + st["cu"] + st["cs"]
                for cpid, c in children(pid):
                    tot += c["u"] + c["s"]
                    k = per.get(cpid, (kind(cpid), 0))
                    per[cpid] = (k[0], max(k[1], c["u"] + c["s"]))
                pgcpu = max(pgcpu, tot)
    time.sleep(0.05)
wall = time.monotonic() - t0
err = p.stderr.read().decode("utf-8", "replace")
if p.returncode != 0:
    sys.exit("siphon analyze --store failed (%d): %s" % (p.returncode, err[-500:]))
out.seek(0)
err = out.read().decode("utf-8", "replace")[-20000:]
m = re.search(r"summary: [\d,]+ packets? in ([\d.]+) s, (\d+) calls?", err)
el, calls = float(m.group(1)), int(m.group(2))
msgs = int(re.search(r"(\d+) SIP messages", err).group(1))
stor = re.search(r"storage:.*", err)
own_s, pg_s = own / TICK, pgcpu / TICK
print("calls %d, SIP messages %d, import %.2f s (siphon's whole run %.2f s: server start and stop included)"
      % (calls, msgs, el, wall))
print("ingest: %.0f calls/s, %.0f SIP messages/s" % (calls / el, msgs / el))
print("CPU: siphon %.2f s (%.0f %% of a core over the import), PostgreSQL %.2f s (%.0f %%)"
      % (own_s, 100 * own_s / el, pg_s, 100 * pg_s / el))
print("CPU per call: siphon %.0f us, PostgreSQL %.0f us" % (1e6 * own_s / calls, 1e6 * pg_s / calls))
kinds = {}
for k, v in per.values():
    kinds[k] = kinds.get(k, 0) + v
print("PostgreSQL CPU per call by process (seen live): " + ", ".join(
    "%s %.0f us" % (k, 1e6 * v / TICK / calls) for k, v in sorted(kinds.items(), key=lambda x: -x[1])))
if stor:
    print(stor.group(0)[:300])
PY

# the server again, by hand, for the sizes and the searches
runuser -u siphon -- "$PG_BIN/pg_ctl" -D "$pg" -w -l "$pg/bench-server.log" \
    -o "-c listen_addresses='' -c unix_socket_directories='$run' -c log_min_duration_statement=0" \
    start >/dev/null
log="$pg/bench-server.log"
psql() { "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$dsn" "$@"; }
echo "== size"
psql -F ' ' -c "
  SELECT (SELECT count(*) FROM calls) AS calls,
         (SELECT count(*) FROM sip_messages) AS messages,
         (SELECT sum(len) FROM sip_messages) AS raw,
         (SELECT sum(bytes) FROM siphon_partitions
            WHERE parent IN ('calls', 'streams', 'quality_intervals', 'sip_messages')) AS disk" |
    while read -r calls msgs raw disk; do
        awk -v c="$calls" -v m="$msgs" -v r="$raw" -v d="$disk" 'BEGIN {
            printf "%d calls, %d messages: raw SIP %.0f B per call, on disk %.0f B per call (%.2fx the raw bytes)\n",
                   c, m, r / c, d / c, d / r }'
    done
echo "table: B per call, table (heap and TOAST) + indexes"
psql -F ' ' -c "
  SELECT p.parent, round(sum(p.bytes) / c.n), round(sum(pg_table_size(p.partition::regclass)) / c.n),
         round(sum(pg_indexes_size(p.partition::regclass)) / c.n)
  FROM siphon_partitions p, (SELECT count(*) AS n FROM calls) c
  GROUP BY p.parent, c.n HAVING sum(p.bytes) / c.n >= 100 ORDER BY 1"

echo "index: B per call, over every partition"
psql -F ' ' -c "
  SELECT pi.relname, round(sum(pg_relation_size(t.relid)) / (SELECT count(*) FROM calls))
  FROM pg_class pi, pg_partition_tree(pi.oid) t
  WHERE pi.relkind = 'I' AND pi.relname ~ '^(calls|streams|quality_intervals|sip_messages)_'
  GROUP BY pi.relname ORDER BY 1"

# A new `siphon calls` process over the imported calls only: what an
# operator at a terminal waits for, start to exit (median of RUNS).
median() { sort -n | sed -n "$(((RUNS + 1) / 2))p"; }
fresh() {
    local times=()
    for _ in $(seq "$RUNS"); do
        local a=$(date +%s%N)
        "$SIPHON" calls --storage.dsn="$dsn" "$@" >/dev/null
        times+=($((($(date +%s%N) - a) / 1000000)))
    done
    printf '| `%s` | %s |\n' "$*" "$(printf '%s\n' "${times[@]}" | median)"
}
echo "== a new siphon calls process, $(psql -c 'SELECT count(*) FROM calls') calls stored"
echo "| filter | command ms (median) |"
echo "|---|---:|"
fresh --limit 100
fresh --call-id "$(psql -c "SELECT call_id FROM calls LIMIT 1")"
fresh --since 1h

have=$(psql -c "SELECT count(*) FROM calls")
add=$((SEARCH_CALLS - have))
if [ "$SEARCH_CALLS" -le 0 ]; then exit 0; fi
echo "== search: $have imported calls + $add generated rows (lib/search_rows.sql)"
t0=$(date +%s)
psql -v n="$add" -v days=7 -f "$root/tests/bench/lib/search_rows.sql" >/dev/null
psql -c "VACUUM ANALYZE calls" >/dev/null
echo "loaded in $(($(date +%s) - t0)) s; calls: $(psql -c 'SELECT count(*) FROM calls')," \
     "table and indexes $(psql -c "SELECT pg_size_pretty(sum(bytes)::bigint) FROM siphon_partitions WHERE parent = 'calls'")"
cid=$(psql -c "SELECT call_id FROM calls ORDER BY start_ts DESC OFFSET 5000 LIMIT 1")
caller=$(psql -c "SELECT caller FROM calls WHERE probe = 'bench' ORDER BY start_ts DESC OFFSET 777 LIMIT 1")
ip=$(psql -c "SELECT host(src_ip) FROM calls WHERE probe = 'bench' LIMIT 1")
# One filter: the median wall time of the whole `siphon calls` command and
# the median time the server spent on its query (parse, bind with the
# planning, execute: the durations log_min_duration_statement logs).
search() {
    local times=() server=() out n at
    for _ in $(seq "$RUNS"); do
        at=$(stat -c %s "$log")
        local a=$(date +%s%N)
        out=$("$SIPHON" calls --storage.dsn="$dsn" "$@")
        times+=($((($(date +%s%N) - a) / 1000000)))
        sleep 0.2 # the log line is written after the reply
        server+=("$(tail -c +$((at + 1)) "$log" |
            awk '/duration: .* (parse|bind|execute) <unnamed>/ { for (i = 1; i < NF; i++)
                 if ($i == "duration:") s += $(i + 1) } END { printf "%.1f", s }')")
    done
    n=$(printf '%s\n' "$out" | tail -1)
    # warm: the same query (siphon calls -vv logs it) planned and run again
    # in one session, the second time
    "$SIPHON" calls -vv --storage.dsn="$dsn" "$@" 2>&1 >/dev/null | python3 -c '
import re, sys
for l in sys.stdin:
    m = re.search(r"search: (.*); parameters:(.*)$", l)
    if m:
        vals = re.findall(r" \$\d+=(\x27[^\x27]*\x27)", m.group(2))
        ex = "EXPLAIN (ANALYZE, SUMMARY) EXECUTE q%s;" % ("(%s)" % ", ".join(vals) if vals else "")
        print("PREPARE q AS %s;\n%s\n%s" % (m.group(1).replace("SELECT ...", "SELECT *", 1), ex, ex))' >"$DATA/warm.sql"
    warm=$(psql -f "$DATA/warm.sql" | awk '/Planning Time|Execution Time/ { t[++k] = $3 }
        END { printf "%.1f", t[3] + t[4] }')
    printf '| `%s` | %s | %s | %s | %s |\n' "$*" "$(printf '%s\n' "${times[@]}" | median)" \
        "$(printf '%s\n' "${server[@]}" | median)" "$warm" "${n%% (*}"
}
echo "| filter | command ms (median) | server ms, new session (median) | server ms, warm | found |"
echo "|---|---:|---:|---:|---|"
search --call-id no-such-call
search --limit 100
search --since 1h
search --since 2d --until 1d
search --caller "${caller:0:4}*"
search --caller "$caller"
search --callee '*555'
search --callee '*55*'
search --ip "$ip"
search --ip 10.1.0.0/16
search --state rejected
search --code 503
search --code 5xx
search --mos-below 3.5
search --call-id "$cid"
search --since 1d --callee '*555' --state answered
search --limit 0 --since 10m
