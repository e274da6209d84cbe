/* writer.c - a writer thread's side: batches into PostgreSQL, or into
 * the spool while it cannot take them.
 *
 * A writer is the work and tick of one of the consumer's fan_worker_t (a
 * thread each).  Chunks from the shards are merged into a batch, written when
 * it holds batch_rows rows or batch_delay after its first row (or at stop).
 * A batch is one transaction:
 *
 *   SELECT siphon_ensure_partitions(day)     for each day not seen yet on this connection
 *   BEGIN
 *   SAVEPOINT; COPY <table> FROM STDIN       new rows: done (RELEASE)
 *   or, when a key exists: ROLLBACK TO SAVEPOINT;
 *     COPY st_<table> (columns) FROM STDIN   temp staging table, ON COMMIT DELETE ROWS
 *     INSERT INTO <table> SELECT ... FROM st_<table> ON CONFLICT DO NOTHING
 *   ... each table with rows ...
 *   COMMIT
 *
 * COPY is the fast path into PostgreSQL (one round trip per table, no
 * per-row statements), but COPY cannot skip rows that already exist.  So
 * each table's rows are first COPY'd straight into the table inside a
 * savepoint (new rows, the usual case: one COPY); when a key already
 * exists (a replay, a second import) the savepoint is rolled back and the
 * rows fill the staging table, from which one INSERT ... SELECT ... ON
 * CONFLICT DO NOTHING moves the new ones across (st__copy_table).
 * Either way a row is stored once.
 *
 * Several writers.  storage.writers threads do this side by side, each
 * with its own connection (so its own PostgreSQL backend: the database's
 * work per batch, parsing, heap and index inserts, WAL, runs on as many
 * cores), each fed its share of the shards' chunks (consumer.c).  Rows
 * need no order among themselves: every row has a stable key, and no row
 * refers to another by anything the database enforces.  What is kept is
 * each writer's order: its batches reach the database, directly or
 * through the spool, in the order it made them.
 *
 * Outage.  When the database cannot be reached or a batch fails, the batch
 * is serialised into the spool (spool.c, one for every writer, behind a
 * lock) and, while the spool holds anything, every later batch of every
 * writer goes there too, so a writer's rows reach the database in the
 * order it made them.  Each tick the writer reconnects when due
 * (every second, then up to every 5 s) and replays spooled batches, oldest
 * first, a bounded amount per tick so the queue keeps moving; one writer
 * at a time replays (the others keep appending behind it).  A spooled
 * batch the database refuses although the connection is fine (not an
 * outage: a row it will never take) is tried twice, then logged and
 * skipped, so one bad batch cannot block the spool forever.
 */
#include "st_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ST__RECONNECT_MIN_NS (1 * NS_PER_SEC)
#define ST__RECONNECT_MAX_NS (5 * NS_PER_SEC)
#define ST__REPLAY_SLICE_NS  (200 * NS_PER_MSEC)

static void st__day_text(int32_t day, char *buf, size_t n)
{
    time_t t = (time_t)day * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%d", &tm);
}

/* libpq's messages span lines (detail, hint): the log keeps the first. */
static void st__oneline(char *err)
{
    err[strcspn(err, "\n")] = '\0';
}

static void st__disconnect(st__writer_t *w)
{
    if (w->conn) PQfinish(w->conn);
    w->conn = NULL;
    w->n_known_days = 0;
}

int st__shared_init(st__shared_t *sh)
{
    memset(sh, 0, sizeof *sh);
    pthread_rwlockattr_t a;
    pthread_rwlockattr_init(&a);
    /* a writer waiting to make a partition is not starved by the others'
     * back-to-back batches */
    pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    int rc = pthread_rwlock_init(&sh->ddl, &a);
    pthread_rwlockattr_destroy(&a);
    if (rc != 0) return -1;
    pthread_mutex_init(&sh->lock, NULL);
    pthread_mutex_init(&sh->replay, NULL);
    return 0;
}

void st__shared_free(st__shared_t *sh)
{
    st__spool_close(sh->spool);
    sh->spool = NULL;
    pthread_mutex_destroy(&sh->lock);
    pthread_mutex_destroy(&sh->replay);
    pthread_rwlock_destroy(&sh->ddl);
}

/* The shared spool, each call under its lock. */
static bool st__spooled(st__writer_t *w)
{
    pthread_mutex_lock(&w->sh->lock);
    bool any = !st__spool_empty(w->sh->spool);
    pthread_mutex_unlock(&w->sh->lock);
    return any;
}

static void st__spool_gauge(st__writer_t *w)
{
    pthread_mutex_lock(&w->sh->lock);
    atomic_store(&w->st->spool_bytes, st__spool_bytes(w->sh->spool));
    pthread_mutex_unlock(&w->sh->lock);
}

/* The staging tables of this connection. */
static int st__stage(st__writer_t *w, char *err, size_t errlen)
{
    for (int t = 0; t < ST__NTABLES; t++) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "CREATE TEMP TABLE IF NOT EXISTS %s (LIKE %s INCLUDING DEFAULTS) ON COMMIT "
                 "DELETE ROWS",
                 st__tables[t].stage, st__tables[t].name);
        if (st__exec(w->conn, sql, err, errlen) != 0) return -1;
    }
    return 0;
}

int st__writer_connect(st__writer_t *w, bool at_start, char *err, size_t errlen)
{
    if (w->conn && PQstatus(w->conn) == CONNECTION_OK) return 0;
    st__disconnect(w);
    w->conn = st__connect(w->dsn, w->connect_timeout_ns, err, errlen);
    if (!w->conn) return -1;
    pthread_rwlock_wrlock(&w->sh->ddl); /* one writer migrates, the others wait and see it done */
    int rc = st__check_schema(w->conn, w->migrate, err, errlen);
    pthread_rwlock_unlock(&w->sh->ddl);
    if (rc != 0 || st__stage(w, err, errlen) != 0) {
        st__disconnect(w);
        w->schema_refused = true;
        return -1;
    }
    w->schema_refused = false;
    if (!at_start) atomic_fetch_add(&w->st->reconnects, 1);
    /* this probe in `probes`: first seen once, last seen at every connection */
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    const char *vals[2] = {w->probe, host};
    PGresult *r = PQexecParams(w->conn,
                               "INSERT INTO probes (probe, hostname) VALUES ($1, $2) ON CONFLICT "
                               "(probe) DO UPDATE SET last_seen = now(), hostname = $2",
                               2, NULL, vals, NULL, NULL, 0);
    PQclear(r); /* a probe row is bookkeeping: its failure is not the batches' */
    return 0;
}

/* Tries to (re)connect when due; true when connected. */
static bool st__ensure_conn(st__writer_t *w)
{
    if (w->conn && PQstatus(w->conn) == CONNECTION_OK) return true;
    int64_t now = clock_mono_ns();
    if (now < w->next_connect_ns) return false;
    char err[512];
    if (st__writer_connect(w, false, err, sizeof err) == 0) {
        log_warn("storage: the database is reachable again%s",
                 st__spooled(w) ? ": replaying the spool" : "");
        w->backoff_ns = 0;
        w->outage = false;
        return true;
    }
    w->backoff_ns = w->backoff_ns ? w->backoff_ns * 2 : ST__RECONNECT_MIN_NS;
    if (w->backoff_ns > ST__RECONNECT_MAX_NS) w->backoff_ns = ST__RECONNECT_MAX_NS;
    w->next_connect_ns = now + w->backoff_ns;
    st__oneline(err);
    if (!w->outage || w->schema_refused) log_error("storage: %s: spooling batches", err);
    log_debug("storage: reconnecting failed (%s); next try in %lld ms", err,
              (long long)(w->backoff_ns / NS_PER_MSEC));
    w->outage = true;
    return false;
}

static bool st__day_known(const st__writer_t *w, int32_t d)
{
    for (uint32_t i = 0; i < w->n_known_days; i++)
        if (w->known_days[i] == d) return true;
    return false;
}

/* Notes a day written, for the ANALYZE at stop. */
static void st__day_written(st__writer_t *w, int32_t d)
{
    st__shared_t *sh = w->sh;
    pthread_mutex_lock(&sh->lock);
    bool have = false;
    for (uint32_t i = 0; i < sh->n_days && !have; i++)
        have = sh->days[i] == d;
    if (!have && sh->n_days < ST__KNOWN_DAYS) sh->days[sh->n_days++] = d;
    pthread_mutex_unlock(&sh->lock);
}

static int st__partitions_locked(st__writer_t *w, const st__chunk_t *b, char *err, size_t errlen)
{
    for (uint32_t i = 0; i < b->n_days; i++) {
        if (st__day_known(w, b->days[i])) continue;
        char day[16], sql[96];
        st__day_text(b->days[i], day, sizeof day);
        snprintf(sql, sizeof sql, "SELECT siphon_ensure_partitions('%s')", day);
        PGresult *r = PQexec(w->conn, sql);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            snprintf(err, errlen, "making the partitions of %s: %s", day, PQresultErrorMessage(r));
            PQclear(r);
            return -1;
        }
        atomic_fetch_add(&w->st->partitions_created, (uint64_t)atoi(PQgetvalue(r, 0, 0)));
        PQclear(r);
        if (w->n_known_days == ST__KNOWN_DAYS) w->n_known_days = 0; /* forget, recheck */
        w->known_days[w->n_known_days++] = b->days[i];
        st__day_written(w, b->days[i]);
    }
    return 0;
}

/* The partitions of the batch's days this connection has not seen yet,
 * made holding the DDL lock for writing (st__shared_t). */
static int st__partitions(st__writer_t *w, const st__chunk_t *b, char *err, size_t errlen)
{
    bool all_known = true;
    for (uint32_t i = 0; i < b->n_days && all_known; i++)
        all_known = st__day_known(w, b->days[i]);
    if (all_known) return 0;
    pthread_rwlock_wrlock(&w->sh->ddl);
    int rc = st__partitions_locked(w, b, err, errlen);
    pthread_rwlock_unlock(&w->sh->ddl);
    return rc;
}

static size_t st__count(const char *p, size_t n, char c)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += p[i] == c;
    return k;
}

/* The column list rows were written with: the current one, or the one of
 * an older siphon when the first row has its number of fields (a spooled
 * batch replayed after an upgrade; the columns added since take their
 * defaults). */
static const char *st__row_columns(const st__table_def_t *d, const buf_t *rows)
{
    if (!d->old_columns || !rows->len) return d->columns;
    const char *nl = memchr(rows->data, '\n', rows->len);
    size_t line = nl ? (size_t)(nl - rows->data) : rows->len;
    size_t fields = st__count(rows->data, line, '\t') + 1;
    size_t old = st__count(d->old_columns, strlen(d->old_columns), ',') + 1;
    return fields == old ? d->old_columns : d->columns;
}

/* COPY of one table's rows into `into`.  0; 1 when a row's key already
 * exists (unique violation: only from the direct COPY); -1 with err. */
static int st__copy_rows(st__writer_t *w, const st__chunk_t *b, int t, const char *into, char *err,
                         size_t errlen)
{
    const st__table_def_t *d = &st__tables[t];
    char sql[1024];
    snprintf(sql, sizeof sql, "COPY %s (%s) FROM STDIN", into, st__row_columns(d, &b->rows[t]));
    PGresult *r = PQexec(w->conn, sql);
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        snprintf(err, errlen, "COPY %s: %s", d->name, PQresultErrorMessage(r));
        PQclear(r);
        return -1;
    }
    PQclear(r);
    const char *p = b->rows[t].data;
    size_t left = b->rows[t].len;
    while (left) {
        int n = left > (1u << 20) ? 1 << 20 : (int)left;
        if (PQputCopyData(w->conn, p, n) != 1) break;
        p += n, left -= (size_t)n;
    }
    if (PQputCopyEnd(w->conn, left ? "siphon: sending failed" : NULL) != 1) {
        snprintf(err, errlen, "COPY %s: %s", d->name, PQerrorMessage(w->conn));
        return -1;
    }
    int rc = 0;
    while ((r = PQgetResult(w->conn)) != NULL) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == 0) {
            const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
            rc = state && strcmp(state, "23505") == 0 ? 1 : -1;
            snprintf(err, errlen, "COPY %s: %s", d->name, PQresultErrorMessage(r));
        }
        PQclear(r);
    }
    return rc;
}

/* One table's rows, idempotently.  Fast path: COPY straight into the
 * table inside a savepoint; new rows (the usual case) cost one COPY.  When
 * a key already exists the savepoint is rolled back and the rows go the
 * safe way: COPY into the staging table, then INSERT ... SELECT ... ON
 * CONFLICT DO NOTHING; the next ST__SAFE_BATCHES batches of that table
 * take the safe way at once (a replay or a second import is mostly
 * duplicates, and a failed COPY is wasted work). */
#define ST__SAFE_BATCHES 16
static int st__copy_table(st__writer_t *w, const st__chunk_t *b, int t, uint64_t *inserted,
                          char *err, size_t errlen)
{
    const st__table_def_t *d = &st__tables[t];
    if (w->safe[t] == 0) {
        if (st__exec(w->conn, "SAVEPOINT st_fast", err, errlen) != 0) return -1;
        int rc = st__copy_rows(w, b, t, d->name, err, errlen);
        if (rc == 0) {
            *inserted += b->n[t];
            return st__exec(w->conn, "RELEASE SAVEPOINT st_fast", err, errlen);
        }
        if (rc < 0) return -1;
        if (st__exec(w->conn, "ROLLBACK TO SAVEPOINT st_fast", err, errlen) != 0) return -1;
        w->safe[t] = ST__SAFE_BATCHES;
    } else {
        w->safe[t]--;
    }
    if (st__copy_rows(w, b, t, d->stage, err, errlen) != 0) return -1;
    char sql[1024];
    snprintf(sql, sizeof sql, "INSERT INTO %s (%s) SELECT %s FROM %s ON CONFLICT DO NOTHING",
             d->name, d->columns, d->columns, d->stage);
    PGresult *r = PQexec(w->conn, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        snprintf(err, errlen, "INSERT INTO %s: %s", d->name, PQresultErrorMessage(r));
        PQclear(r);
        return -1;
    }
    *inserted += strtoull(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return 0;
}

/* One batch in one transaction.  0, or -1 with err (rolled back).
 * durable: the batch comes from the spool, whose record is deleted once
 * this returns, so its commit waits for the WAL flush whatever the
 * server's synchronous_commit (the embedded server's is off: see
 * ARCHITECTURE.md, "Storage: durability"). */
static int st__write_tx(st__writer_t *w, const st__chunk_t *b, bool durable, char *err,
                        size_t errlen)
{
    if (st__exec(w->conn, "BEGIN", err, errlen) != 0) return -1;
    if (durable && st__exec(w->conn, "SET LOCAL synchronous_commit = on", err, errlen) != 0) {
        char ignore[64];
        if (PQstatus(w->conn) == CONNECTION_OK) st__exec(w->conn, "ROLLBACK", ignore, 64);
        return -1;
    }
    uint64_t inserted = 0;
    for (int t = 0; t < ST__NTABLES; t++) {
        if (!b->n[t]) continue;
        if (st__copy_table(w, b, t, &inserted, err, errlen) != 0) {
            char ignore[64];
            if (PQstatus(w->conn) == CONNECTION_OK) st__exec(w->conn, "ROLLBACK", ignore, 64);
            w->n_known_days = 0; /* a partition may have been dropped under us */
            return -1;
        }
    }
    if (st__exec(w->conn, "COMMIT", err, errlen) != 0) return -1;
    atomic_fetch_add(&w->st->batches, 1);
    atomic_fetch_add(&w->st->rows_written, inserted);
    atomic_fetch_add(&w->st->rows_duplicate, b->total >= inserted ? b->total - inserted : 0);
    return 0;
}

static int st__write(st__writer_t *w, const st__chunk_t *b, bool durable, char *err, size_t errlen)
{
    if (st__partitions(w, b, err, errlen) != 0) return -1;
    pthread_rwlock_rdlock(&w->sh->ddl);
    int rc = st__write_tx(w, b, durable, err, errlen);
    pthread_rwlock_unlock(&w->sh->ddl);
    return rc;
}

static void st__to_spool(st__writer_t *w, const st__chunk_t *b)
{
    buf_reset(&w->ser);
    st__chunk_serialize(b, &w->ser);
    pthread_mutex_lock(&w->sh->lock);
    int rc = st__spool_append(w->sh->spool, w->ser.data, w->ser.len);
    atomic_store(&w->st->spool_bytes, st__spool_bytes(w->sh->spool));
    pthread_mutex_unlock(&w->sh->lock);
    if (rc == 0) {
        atomic_fetch_add(&w->st->spooled_batches, 1);
    } else {
        if (!w->spool_full_logged)
            log_error("storage: %s: batches are lost until the database is back",
                      rc > 0 ? "the spool is full (storage.spool_max)"
                             : "the spool cannot be written");
        w->spool_full_logged = true;
        atomic_fetch_add(&w->st->spool_refused, 1);
        atomic_fetch_add(&w->st->spool_rows_refused, b->total);
    }
}

/* Replays spooled batches while connected, for at most slice_ns (0: until
 * the spool is empty or the database fails).  Another writer replaying
 * already: nothing to do here. */
static void st__replay(st__writer_t *w, int64_t slice_ns)
{
    if (pthread_mutex_trylock(&w->sh->replay) != 0) return;
    st__shared_t *sh = w->sh;
    int64_t until = clock_mono_ns() + slice_ns;
    while (st__spooled(w) && st__ensure_conn(w)) {
        uint64_t corrupt = 0;
        pthread_mutex_lock(&sh->lock);
        int got = st__spool_peek(sh->spool, &w->ser, &corrupt);
        pthread_mutex_unlock(&sh->lock);
        if (corrupt) atomic_fetch_add(&w->st->spool_corrupt, corrupt);
        if (!got) break;
        if (!st__chunk_parse(&w->replay, (const uint8_t *)w->ser.data, w->ser.len)) {
            log_error("storage: a spooled batch does not parse (checksum fine): skipped");
            atomic_fetch_add(&w->st->spool_corrupt, 1);
            pthread_mutex_lock(&sh->lock);
            st__spool_commit(sh->spool);
            pthread_mutex_unlock(&sh->lock);
            continue;
        }
        char err[512];
        if (st__write(w, &w->replay, true, err, sizeof err) == 0) {
            pthread_mutex_lock(&sh->lock);
            st__spool_commit(sh->spool);
            pthread_mutex_unlock(&sh->lock);
            atomic_fetch_add(&w->st->replayed_batches, 1);
            w->replay_failures = 0;
        } else {
            atomic_fetch_add(&w->st->batch_failures, 1);
            st__oneline(err);
            if (PQstatus(w->conn) != CONNECTION_OK) {
                log_error("storage: replaying the spool: %s", err);
                st__disconnect(w);
                break;
            }
            if (++w->replay_failures >= 2) {
                log_error("storage: the database refuses a spooled batch of %u rows (%s): "
                          "skipped",
                          w->replay.total, err);
                atomic_fetch_add(&w->st->rows_dropped, w->replay.total);
                pthread_mutex_lock(&sh->lock);
                st__spool_commit(sh->spool);
                pthread_mutex_unlock(&sh->lock);
                w->replay_failures = 0;
            }
        }
        st__spool_gauge(w);
        if (slice_ns && clock_mono_ns() >= until) break;
    }
    st__spool_gauge(w);
    pthread_mutex_unlock(&sh->replay);
}

static void st__flush(st__writer_t *w)
{
    st__chunk_t *b = &w->batch;
    if (!b->total) return;
    if (st__spooled(w)) st__replay(w, ST__REPLAY_SLICE_NS);
    if (!st__spooled(w) && st__ensure_conn(w)) {
        char err[512];
        if (st__write(w, b, false, err, sizeof err) == 0) {
            st__chunk_reset(b);
            return;
        }
        atomic_fetch_add(&w->st->batch_failures, 1);
        st__oneline(err);
        log_error("storage: writing a batch of %u rows: %s: spooled", b->total, err);
        if (PQstatus(w->conn) != CONNECTION_OK) {
            st__disconnect(w);
            w->outage = true;
            w->next_connect_ns = clock_mono_ns() + ST__RECONNECT_MIN_NS;
        }
    }
    st__to_spool(w, b);
    st__chunk_reset(b);
}

void st__writer_work(st__writer_t *w, st__chunk_t *c)
{
    if (!c->total) return;
    if (!w->batch.total) w->batch_first_ns = clock_mono_ns();
    if (!st__chunk_merge(&w->batch, c)) {
        st__flush(w);
        w->batch_first_ns = clock_mono_ns();
        st__chunk_merge(&w->batch, c);
    }
    if (w->batch.total >= w->batch_rows) st__flush(w);
}

/* At stop: statistics for the calls partitions this connection wrote.
 * Autovacuum analyzes a new partition only some time after its first rows
 * (a minute or more), and until then the planner has none: `siphon calls`
 * right after an import then read and sorted a whole day of calls for the
 * newest 100 instead of walking the start_ts index (BENCHMARKS.md,
 * "Storage").  ANALYZE samples a bounded number of rows, and only the
 * columns searches filter and sort on: a fraction of a second per day. */
static void st__analyze_days(st__writer_t *w)
{
    if (!w->conn || PQstatus(w->conn) != CONNECTION_OK) return;
    int32_t days[ST__KNOWN_DAYS];
    pthread_mutex_lock(&w->sh->lock);
    uint32_t n = w->sh->n_days;
    memcpy(days, w->sh->days, n * sizeof days[0]);
    pthread_mutex_unlock(&w->sh->lock);
    for (uint32_t i = 0; i < n; i++) {
        char day[16], sql[192], err[256];
        st__day_text(days[i], day, sizeof day);
        snprintf(sql, sizeof sql, "ANALYZE calls_p%.4s%.2s%.2s (%s)", day, day + 5, day + 8,
                 "start_ts, caller, callee, src_ip, dst_ip, call_id, state, final_code, mos");
        if (st__exec(w->conn, sql, err, sizeof err) != 0)
            log_debug("storage: %s: %s", sql, err); /* a dropped partition: nothing to do */
    }
}

void st__writer_tick(st__writer_t *w, bool stop)
{
    int64_t now = clock_mono_ns();
    if (stop) w->next_connect_ns = 0; /* one more try, whatever the back-off says */
    if (w->batch.total && (stop || now - w->batch_first_ns >= w->batch_delay_ns)) st__flush(w);
    if (st__spooled(w)) st__replay(w, stop ? 0 : ST__REPLAY_SLICE_NS);
    if (w->index == 0 && w->maintenance_interval_ns > 0 && now >= w->next_maintenance_ns && !stop) {
        w->next_maintenance_ns = now + w->maintenance_interval_ns;
        st__writer_maintain(w);
    }
    pthread_mutex_lock(&w->sh->lock);
    st__spool_sync(w->sh->spool);
    pthread_mutex_unlock(&w->sh->lock);
    /* writer 0 stops last (consumer.c): every day any writer wrote is known */
    if (stop && w->index == 0) st__analyze_days(w);
    if (stop && w->index == 0 && st__spooled(w)) {
        pthread_mutex_lock(&w->sh->lock);
        uint64_t left = st__spool_bytes(w->sh->spool);
        pthread_mutex_unlock(&w->sh->lock);
        log_warn("storage: %llu bytes stay in the spool (%s) for the next start",
                 (unsigned long long)left, w->spool_dir);
    }
}

void st__writer_maintain(st__writer_t *w)
{
    int64_t now = clock_real_ns();
    uint32_t made = 0, dropped = 0;
    char err[512];
    pthread_rwlock_wrlock(&w->sh->ddl); /* no batch of another writer open meanwhile */
    int rc = st_maintain(w->dsn, w->retention_ns, now, &made, &dropped, err, sizeof err);
    pthread_rwlock_unlock(&w->sh->ddl);
    if (rc != 0) {
        log_warn("storage: maintenance: %s", err);
        return;
    }
    atomic_fetch_add(&w->st->partitions_created, made);
    atomic_fetch_add(&w->st->partitions_dropped, dropped);
    if (dropped) w->n_known_days = 0;
}

void st__writer_close(st__writer_t *w)
{
    st__disconnect(w);
    st__chunk_free(&w->batch);
    st__chunk_free(&w->replay);
    buf_free(&w->ser);
}
