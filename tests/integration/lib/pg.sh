# pg.sh - a throwaway PostgreSQL cluster for a test (source it).
#
#   . "$TESTS_DIR/integration/lib/pg.sh"
#   pg_start "$work/pg"        # initdb + start; sets PG_DSN, PG_SOCK, PG_DATA
#   pg_psql -c 'select 1'      # psql on it (-X -q -A -t, stops on error)
#   pg_stop / pg_start_again   # outage tests: stop it, start the same cluster
#   pg_cleanup                 # stops it and removes the directory (also
#                              # from the EXIT trap pg_start installs when the
#                              # test has none: call it from your own trap)
#
# The cluster listens only on a Unix socket in its own directory (no TCP
# port, so tests running in parallel never collide).  PostgreSQL refuses to
# run as root: as root the server runs as user `siphon` when it exists, else
# `nobody`, in a directory that user owns.  Authentication is `trust` on the
# socket for the superuser role `siphon`; the database is `siphon`.
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_DATA="" PG_SOCK="" PG_DIR="" PG_DSN="" PG_RUNAS=""

pg__as() {
    if [ -n "$PG_RUNAS" ]; then runuser -u "$PG_RUNAS" -- "$@"; else "$@"; fi
}

pg_start() {
    PG_DIR=$1
    rm -rf "$PG_DIR" && mkdir -p "$PG_DIR/data" "$PG_DIR/sock" || return 1
    if [ "$(id -u)" -eq 0 ]; then
        if id siphon >/dev/null 2>&1; then PG_RUNAS=siphon; else PG_RUNAS=nobody; fi
        # every directory above must be traversable by that user
        local d=$PG_DIR
        while [ "$d" != / ] && [ -n "$d" ]; do chmod o+x "$d" 2>/dev/null; d=$(dirname "$d"); done
        chown -R "$PG_RUNAS" "$PG_DIR" || return 1
    fi
    PG_DATA=$PG_DIR/data PG_SOCK=$PG_DIR/sock
    pg__as "$PG_BIN/initdb" -D "$PG_DATA" -U siphon -A trust -E UTF8 --locale=C.UTF-8 \
        >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log"; return 1; }
    cat >>"$PG_DATA/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$PG_SOCK'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 32MB
max_connections = 20
logging_collector = off
CONF
    pg_start_again || return 1
    pg__as "$PG_BIN/createdb" -h "$PG_SOCK" -U siphon siphon || return 1
    PG_DSN="postgresql:///siphon?host=$PG_SOCK&user=siphon"
    export PG_DSN PG_SOCK PG_DATA
    if [ -z "$(trap -p EXIT)" ]; then trap pg_cleanup EXIT; fi
}

pg_start_again() {
    pg__as "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DIR/server.log" -w -t 30 start >/dev/null ||
        { echo "pg.sh: cannot start PostgreSQL:"; tail -20 "$PG_DIR/server.log"; return 1; }
}

pg_stop() {
    [ -n "$PG_DATA" ] && [ -f "$PG_DATA/postmaster.pid" ] &&
        pg__as "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop >/dev/null 2>&1
    true
}

pg_psql() {
    "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_SOCK" -U siphon -d siphon "$@"
}

pg_cleanup() {
    pg_stop
    [ -n "$PG_DIR" ] && rm -rf "$PG_DIR"
    true
}
