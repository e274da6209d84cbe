/* consumer.c - storage as a consumer of the fan-out (st_consumer).
 *
 * Per shard: the callbacks turn each record into rows (rows.c) in the
 * shard's own chunk, with no lock; a chunk goes to a writer's queue
 * (fan_worker_t, one queue per shard) once it holds ST__CHUNK_ROWS rows or
 * ST__CHUNK_BYTES bytes, and when the shard runs dry.  With several
 * writers (storage.writers) a shard hands its chunks to them in turn, so
 * even one correlator thread keeps every writer's connection busy; a
 * chunk never changes writer once pushed, and each writer keeps the order
 * of what it got (writer.c).  Alerts, recordings and SIPREC sessions go to
 * writer 0.  The correlator
 * never waits for the database: a full queue makes a file import wait
 * (lossless) and live capture drop the chunk and count it with its rows.
 *
 * Wanted: call records (with their streams and quality intervals), orphan
 * streams, every SIP message, registrations.  storage.skip_methods drops
 * chosen methods' messages (requests and, by their CSeq method, their
 * responses) and counts them.
 *
 * start connects (and checks or migrates the schema: a database newer than
 * this binary is refused), runs maintenance when asked, opens the spool and
 * starts the writer threads; a database that cannot be reached at start is
 * not an error: batches are spooled until it can.
 */
#include "st_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <unistd.h>

#define ST__CHUNK_ROWS  256
#define ST__CHUNK_BYTES (256u << 10)

typedef struct {
    struct st *st;
    uint32_t index;
    st__chunk_t *chunk; /* being filled; NULL until the first row */
    uint32_t next;      /* the writer its next chunk goes to */
    st__rowctx_t x;
} st__shard_t;

struct st {
    fan_env_t env;
    char *dsn, *probe, *spool_dir;
    char *skip[ST_SKIP_METHODS_MAX];
    uint32_t n_skip;
    bool maintain_at_start;
    uint32_t queue;
    st__shard_t *shards;
    st__shard_t alerts; /* rows from other threads (st_alert_listener,
                           st_recording_add): the queue after the shards' */
    pthread_mutex_t alert_lock;
    uint32_t n_writers;
    fan_worker_t **workers; /* one per writer */
    st__writer_t *w;
    st__shared_t shared;
    bool shared_ready;
    st__counters_t c;
    uint64_t spool_max;
    st_fsync_t spool_fsync;
};

const char *const st_stats_names[] = {
#define ST__NAME(name) #name,
    ST_STATS_COUNTERS(ST__NAME)
#undef ST__NAME
};

void st_config_default(st_config_t *c)
{
    *c = (st_config_t){
        .dsn = "",
        .data_dir = "/var/lib/siphon/pgdata",
        .run_dir = "/run/siphon",
        .pg_user = "siphon",
        .pg_bin = "/usr/lib/postgresql/15/bin",
        .probe = "",
        .auto_migrate = ST_MIGRATE_EMBEDDED,
        .retention_ns = 30 * 86400 * NS_PER_SEC,
        .maintenance_interval_ns = 3600 * NS_PER_SEC,
        .batch_rows = 5000,
        .batch_delay_ns = 500 * NS_PER_MSEC,
        .queue = 4096,
        .writers = 2,
        .spool_dir = "/var/lib/siphon/spool",
        .spool_max = 1ull << 30,
        .spool_fsync = ST_FSYNC_BATCH,
        .connect_timeout_ns = 5 * NS_PER_SEC,
    };
}

static void st__chunk_release(void *user, void *rec)
{
    (void)user;
    st__chunk_free(rec);
    free(rec);
}

static void st__work(void *user, uint32_t shard, void *rec)
{
    (void)shard;
    st__writer_work(user, rec);
}

static void st__tick(void *user, bool stop)
{
    st__writer_tick(user, stop);
}

/* Hands the shard's chunk to the writer. */
static void st__push(st__shard_t *sh)
{
    st__chunk_t *c = sh->chunk;
    if (!c || !c->total) return;
    uint32_t rows = c->total;
    sh->chunk = NULL;
    fan_worker_t *to = sh->st->workers[sh->next];
    if (++sh->next == sh->st->n_writers || sh->index == sh->st->env.shards) sh->next = 0;
    if (fan_worker_push(to, sh->index, c)) {
        atomic_fetch_add(&sh->st->c.rows_queued, rows);
    } else {
        atomic_fetch_add(&sh->st->c.chunks_dropped, 1);
        atomic_fetch_add(&sh->st->c.rows_dropped, rows);
    }
}

/* The chunk to add one record's rows to (a record adds at most one day). */
static st__chunk_t *st__room(st__shard_t *sh)
{
    if (sh->chunk && sh->chunk->n_days == ST__DAYS_MAX) st__push(sh);
    if (!sh->chunk) {
        sh->chunk = malloc(sizeof *sh->chunk);
        if (!sh->chunk) return NULL;
        st__chunk_init(sh->chunk);
    }
    return sh->chunk;
}

static void st__after(st__shard_t *sh)
{
    if (sh->chunk->total >= ST__CHUNK_ROWS || st__chunk_bytes(sh->chunk) >= ST__CHUNK_BYTES)
        st__push(sh);
}

static void st__on_call(void *user, const corr_call_t *call)
{
    st__shard_t *sh = user;
    st__chunk_t *c = st__room(sh);
    if (!c) return;
    st__rows_call(&sh->x, c, call);
    st__after(sh);
}

static void st__on_orphan(void *user, const corr_stream_t *stream)
{
    st__shard_t *sh = user;
    st__chunk_t *c = st__room(sh);
    if (!c) return;
    st__rows_orphan(&sh->x, c, stream);
    st__after(sh);
}

static bool st__skipped(const struct st *s, const corr_sip_message_t *m)
{
    sv_t method = m->is_request ? m->method : m->cseq_method;
    for (uint32_t i = 0; i < s->n_skip; i++)
        if (method.len == strlen(s->skip[i]) && strncasecmp(method.p, s->skip[i], method.len) == 0)
            return true;
    return false;
}

static void st__on_message(void *user, const corr_sip_message_t *m)
{
    st__shard_t *sh = user;
    if (sh->st->n_skip && st__skipped(sh->st, m)) {
        atomic_fetch_add(&sh->st->c.messages_skipped, 1);
        return;
    }
    st__chunk_t *c = st__room(sh);
    if (!c) return;
    st__rows_message(&sh->x, c, m);
    st__after(sh);
}

static void st__on_registration(void *user, const corr_registration_t *r)
{
    st__shard_t *sh = user;
    st__chunk_t *c = st__room(sh);
    if (!c) return;
    st__rows_registration(&sh->x, c, r);
    st__after(sh);
}

static char *st__dup(const char *s)
{
    return strdup(s ? s : "");
}

static void st__free(void *self);

static void *st__create(const void *config, const fan_env_t *env, char *err, size_t errlen)
{
    const st_config_t *cfg = config;
    if (env->shards >= FAN_WORKER_MAX_SHARDS) {
        snprintf(err, errlen, "storage: at most %d correlator threads", FAN_WORKER_MAX_SHARDS - 1);
        return NULL;
    }
    struct st *s = calloc(1, sizeof *s);
    if (!s) goto oom;
    s->env = *env;
    char host[256] = "siphon";
    if (!cfg->probe || !cfg->probe[0]) {
        if (gethostname(host, sizeof host) != 0 || !host[0]) snprintf(host, sizeof host, "siphon");
        host[sizeof host - 1] = '\0';
    }
    s->dsn = st__dup(cfg->dsn);
    s->probe = st__dup(cfg->probe && cfg->probe[0] ? cfg->probe : host);
    s->spool_dir = st__dup(cfg->spool_dir);
    if (!s->dsn || !s->probe || !s->spool_dir) goto oom;
    for (uint32_t i = 0; i < cfg->n_skip_methods && i < ST_SKIP_METHODS_MAX; i++) {
        s->skip[i] = st__dup(cfg->skip_methods[i]);
        if (!s->skip[i]) goto oom;
        s->n_skip++;
    }
    s->maintain_at_start = cfg->maintain_at_start;
    s->queue = cfg->queue ? cfg->queue : 4096;
    s->spool_max = cfg->spool_max;
    s->spool_fsync = cfg->spool_fsync;
    s->shards = calloc(env->shards, sizeof *s->shards);
    if (!s->shards) goto oom;
    for (uint32_t i = 0; i < env->shards; i++) {
        s->shards[i] = (st__shard_t){.st = s, .index = i, .x = {.probe = s->probe}};
        buf_init(&s->shards[i].x.json);
        buf_init(&s->shards[i].x.z);
        s->shards[i].x.sipz = st__sipz_new(); /* NULL: messages stored uncompressed */
    }
    s->alerts = (st__shard_t){.st = s, .index = env->shards, .x = {.probe = s->probe}};
    buf_init(&s->alerts.x.json);
    buf_init(&s->alerts.x.z);
    pthread_mutex_init(&s->alert_lock, NULL);
    s->n_writers = cfg->writers ? cfg->writers : 1;
    if (s->n_writers > ST_WRITERS_MAX) s->n_writers = ST_WRITERS_MAX;
    if (st__shared_init(&s->shared) != 0) goto oom;
    s->shared_ready = true;
    s->w = calloc(s->n_writers, sizeof *s->w);
    s->workers = calloc(s->n_writers, sizeof *s->workers);
    if (!s->w || !s->workers) goto oom;
    for (uint32_t i = 0; i < s->n_writers; i++) {
        st__writer_t *w = &s->w[i];
        w->index = i;
        w->sh = &s->shared;
        w->dsn = s->dsn;
        w->spool_dir = s->spool_dir;
        w->probe = s->probe;
        w->migrate = cfg->auto_migrate == ST_MIGRATE_ALWAYS ||
                     (cfg->auto_migrate == ST_MIGRATE_EMBEDDED && cfg->embedded);
        w->connect_timeout_ns = cfg->connect_timeout_ns;
        w->batch_delay_ns = cfg->batch_delay_ns;
        w->batch_rows = cfg->batch_rows ? cfg->batch_rows : 5000;
        w->retention_ns = cfg->retention_ns;
        w->maintenance_interval_ns = cfg->maintenance_interval_ns;
        w->st = &s->c;
        st__chunk_init(&w->batch);
        st__chunk_init(&w->replay);
        buf_init(&w->ser);
        /* storage.queue bounds a shard's chunks in flight whatever the
         * number of writers: each writer's queue holds its share */
        uint32_t cap = (s->queue + s->n_writers - 1) / s->n_writers;
        fan_worker_config_t wc = {.name = "st-writer",
                                  .shards = env->shards + 1, /* + the alerts' */
                                  .capacity = cap,
                                  .lossless = env->lossless,
                                  .work = st__work,
                                  .release = st__chunk_release,
                                  .user = w,
                                  .tick = st__tick,
                                  .tick_ns = 100 * NS_PER_MSEC};
        s->workers[i] = fan_worker_new(&wc, err, errlen);
        if (!s->workers[i]) {
            st__free(s);
            return NULL;
        }
    }
    return s;
oom:
    snprintf(err, errlen, "storage: out of memory");
    st__free(s);
    return NULL;
}

static uint32_t st__wants(const void *self)
{
    (void)self;
    return FAN_WANT_CALLS | FAN_WANT_ORPHAN_STREAMS | FAN_WANT_SIP_MESSAGES |
           FAN_WANT_REGISTRATIONS;
}

static corr_sink_t st__shard_sink(void *self, uint32_t shard)
{
    struct st *s = self;
    return (corr_sink_t){.user = &s->shards[shard],
                         .on_call = st__on_call,
                         .on_orphan_stream = st__on_orphan,
                         .on_sip_message = st__on_message,
                         .on_registration = st__on_registration};
}

static void st__shard_idle(void *self, uint32_t shard)
{
    struct st *s = self;
    st__push(&s->shards[shard]);
}

static int st__start(void *self, char *err, size_t errlen)
{
    struct st *s = self;
    s->shared.spool = st__spool_open(s->spool_dir, s->spool_max, s->spool_fsync, err, errlen);
    if (!s->shared.spool) return -1;
    atomic_store(&s->c.spool_bytes, st__spool_bytes(s->shared.spool));
    /* writer 0 first: it checks (or migrates) the schema and runs the
     * maintenance at start before the others connect */
    for (uint32_t i = 0; i < s->n_writers; i++) {
        st__writer_t *w = &s->w[i];
        char cerr[512];
        if (st__writer_connect(w, true, cerr, sizeof cerr) != 0) {
            if (w->schema_refused) {
                snprintf(err, errlen, "storage: %s", cerr);
                return -1;
            }
            if (i == 0)
                log_warn("storage: %s: batches are spooled in %s until it is reachable", cerr,
                         s->spool_dir);
            w->outage = true;
            w->next_connect_ns = clock_mono_ns() + NS_PER_SEC;
        } else if (i == 0 && s->maintain_at_start) {
            st__writer_maintain(w);
        }
        w->next_maintenance_ns = clock_mono_ns() + w->maintenance_interval_ns;
    }
    for (uint32_t i = 0; i < s->n_writers; i++)
        if (fan_worker_start(s->workers[i], err, errlen) != 0) return -1;
    return 0;
}

void st_alert_listener(void *user, const alert_t *a)
{
    struct st *s = user;
    pthread_mutex_lock(&s->alert_lock);
    st__chunk_t *c = st__room(&s->alerts);
    if (c) {
        st__rows_alert(&s->alerts.x, c, a);
        st__push(&s->alerts); /* alerts are few: each goes at once */
    }
    pthread_mutex_unlock(&s->alert_lock);
}

void st_recording_add(st_t *self, const st_recording_t *r)
{
    struct st *s = (struct st *)self;
    pthread_mutex_lock(&s->alert_lock);
    st__chunk_t *c = st__room(&s->alerts);
    if (c) {
        st__rows_recording(&s->alerts.x, c, r);
        st__push(&s->alerts);
    }
    pthread_mutex_unlock(&s->alert_lock);
}

void st_siprec_add(st_t *self, const srs_session_t *ss)
{
    struct st *s = (struct st *)self;
    pthread_mutex_lock(&s->alert_lock);
    st__chunk_t *c = st__room(&s->alerts);
    if (c) {
        st__rows_siprec(&s->alerts.x, c, ss);
        st__push(&s->alerts);
    }
    pthread_mutex_unlock(&s->alert_lock);
}

static void st__stop(void *self)
{
    struct st *s = self;
    for (uint32_t i = 0; i < s->env.shards; i++)
        st__push(&s->shards[i]);
    pthread_mutex_lock(&s->alert_lock);
    st__push(&s->alerts);
    pthread_mutex_unlock(&s->alert_lock);
    /* writer 0 last: its final tick ANALYZEs the days every writer wrote */
    for (uint32_t i = s->n_writers; i-- > 0;)
        fan_worker_stop(s->workers[i]);
}

void st_stats(const st_t *self, st_stats_t *out)
{
    struct st *s = (struct st *)self;
#define ST__LOAD(name) out->name = atomic_load(&s->c.name);
    ST_STATS_COUNTERS(ST__LOAD)
#undef ST__LOAD
    out->queue_depth = out->queue_waits = 0;
    for (uint32_t i = 0; i < s->n_writers; i++) {
        fan_worker_stats_t ws;
        fan_worker_stats(s->workers[i], &ws);
        out->queue_depth += ws.pushed - ws.worked;
        out->queue_waits += ws.waits;
    }
}

static void st__fan_stats(const void *self, fan_stats_t *out)
{
    st_stats_t st;
    st_stats(self, &st);
    *out = (fan_stats_t){.records = st.rows_queued + st.rows_dropped,
                         .queued = st.rows_queued,
                         .dropped = st.chunks_dropped,
                         .waits = st.queue_waits};
}

static void st__free(void *self)
{
    struct st *s = self;
    if (!s) return;
    for (uint32_t i = 0; s->workers && i < s->n_writers; i++)
        fan_worker_free(s->workers[i]);
    for (uint32_t i = 0; s->shards && i < s->env.shards; i++) {
        if (s->shards[i].chunk) st__chunk_release(NULL, s->shards[i].chunk);
        buf_free(&s->shards[i].x.json);
        buf_free(&s->shards[i].x.z);
        st__sipz_free(s->shards[i].x.sipz);
    }
    if (s->alerts.chunk) st__chunk_release(NULL, s->alerts.chunk);
    buf_free(&s->alerts.x.json);
    buf_free(&s->alerts.x.z);
    pthread_mutex_destroy(&s->alert_lock);
    for (uint32_t i = 0; s->w && i < s->n_writers; i++)
        st__writer_close(&s->w[i]);
    if (s->shared_ready) st__shared_free(&s->shared);
    free(s->w);
    free(s->workers);
    free(s->shards);
    free(s->dsn), free(s->probe), free(s->spool_dir);
    for (uint32_t i = 0; i < s->n_skip; i++)
        free(s->skip[i]);
    free(s);
}

const fan_consumer_ops_t st_consumer = {
    .name = "storage",
    .create = st__create,
    .wants = st__wants,
    .shard_sink = st__shard_sink,
    .shard_idle = st__shard_idle,
    .start = st__start,
    .stop = st__stop,
    .stats = st__fan_stats,
    .free = st__free,
};
