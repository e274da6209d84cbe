/* consumer.c - detection as a fan-out consumer: the shard callbacks, the
 * queue to the detection thread, the tables sized from the memory bound,
 * and the dispatch of each record to the detectors.
 *
 * Every shard's callbacks reduce what they are given to a det__rec_t
 * (summary.c) in the shard's current batch of DET__BATCH records, handed to
 * one fan_worker_t when full or when the shard runs dry (shard_idle; live
 * capture runs dry often, so alerts wait for no batch to fill): one queue
 * operation and wake-up per batch, not per message; whose single thread runs all
 * detectors: a source's requests reach different shards (they are routed by
 * Call-ID), and only one place that sees them all can count them.  The
 * worker waits for room with files (every message judged, the same alerts
 * with any thread count, given the same record order) and drops and counts
 * on live capture, so detection never stalls capture.  on_clock is taken
 * from shard 0 only: every shard raises the same times.
 *
 * Memory: det_config_t.memory_bytes is split among the tables in fixed
 * shares (sources half, the rest to destinations, accounts, callers,
 * caller-callee pairs, routes and incidents), each table's entry count
 * being its share over its per-entry cost; det_stats reports what was
 * allocated, which never exceeds the bound.
 */
#include "det_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void det_config_default(det_config_t *c)
{
    *c = (det_config_t){
        .memory_bytes = 64ull << 20,
        .queue_size = 8192,
        .update_interval = 10 * NS_PER_SEC,
        .close_after = 60 * NS_PER_SEC,
        .rate_limit = 60,
        .flood_requests = 30,
        .flood_window = 2 * NS_PER_SEC,
        .flood_method_requests = 100,
        .flood_method_window = 60 * NS_PER_SEC,
        .flood_target_requests = 2000,
        .flood_target_sources = 50,
        .flood_target_window = 2 * NS_PER_SEC,
        .anomaly_slot = 5 * NS_PER_SEC,
        .anomaly_threshold_pct = 40,
        .anomaly_min_messages = 50,
        .anomaly_training_slots = 12,
        .scan_targets = 10,
        .scan_window = 60 * NS_PER_SEC,
        .enum_users = 20,
        .enum_window = 60 * NS_PER_SEC,
        .enum_failure_pct = 80,
        .brute_short = 5,
        .brute_short_window = 360 * NS_PER_SEC,
        .brute_long = 10,
        .brute_long_window = 600 * NS_PER_SEC,
        .toll_prefix_len = 5,
        .toll_prefixes = 10,
        .toll_window = 10 * NS_PER_SEC,
        .toll_max_concurrent = 50,
        .spit_window = 3600 * NS_PER_SEC,
        .spit_min_calls = 10,
        .spit_threshold_pct = 60,
        .spit_short_call = 10 * NS_PER_SEC,
        .quality_mos_x100 = 310,
        .quality_bad_calls = 3,
        .quality_loss_pct = 5,
        .quality_jitter = 30 * NS_PER_MSEC,
        .quality_bad_intervals = 3,
        .quality_window = 300 * NS_PER_SEC,
    };
}

/* ------------------------------------------------------------------------ */
/* Helpers shared by the detectors                                           */
/* ------------------------------------------------------------------------ */

void det__fmt_ip(const ip_addr_t *a, char *buf, size_t n)
{
    if (!ip_addr_format(a, buf, n)) snprintf(buf, n, "?");
}

void det__json_ep(json_writer_t *w, const char *key, const endpoint_t *e)
{
    char ip[IP_STR_MAX];
    det__fmt_ip(&e->ip, ip, sizeof ip);
    char b[IP_STR_MAX + 8];
    snprintf(b, sizeof b, e->ip.family == IP_V6 ? "[%s]:%u" : "%s:%u", ip, e->port);
    json_key(w, key);
    json_cstr(w, b);
}

void det__ev_begin(det_t *d, json_writer_t *w)
{
    buf_reset(&d->ev);
    buf_reset(&d->sm);
    json_init(w, &d->ev);
    json_obj_begin(w);
}

void det__ev_end(det_t *d, json_writer_t *w)
{
    (void)d;
    json_obj_end(w);
}

bool det__ci_contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (!n) return false;
    for (const char *p = hay; *p; p++)
        if (strncasecmp(p, needle, n) == 0) return true;
    return false;
}

bool det__trusted(const det_t *d, const ip_addr_t *a)
{
    for (uint32_t i = 0; i < d->n_trusted; i++)
        if (det__cidr_match(&d->trusted[i], a)) return true;
    return false;
}

/* ------------------------------------------------------------------------ */
/* The detection thread                                                      */
/* ------------------------------------------------------------------------ */

static void stat_add(det_t *d, uint64_t *field)
{
    pthread_mutex_lock(&d->st_lock);
    (*field)++;
    pthread_mutex_unlock(&d->st_lock);
}

static void advance(det_t *d, int64_t ts)
{
    if (ts > d->now) d->now = ts;
    det__anomaly_tick(d, d->now);
    if (d->now >= d->next_sweep) {
        det__incident_sweep(d, d->now);
        d->next_sweep = d->now + NS_PER_SEC;
    }
}

void det__on_msg(det_t *d, const det__msg_t *m)
{
    stat_add(d, &d->st.messages);
    advance(d, m->ts_ns);
    /* the party a message speaks for: a request's sender, a response's
     * receiver (the one that asked) */
    const ip_addr_t *party = m->is_request ? &m->src.ip : &m->dst.ip;
    bool trusted = det__trusted(d, party);
    det__anomaly_msg(d, m); /* the distribution counts everything */
    if (trusted) {
        stat_add(d, &d->st.trusted_skipped);
        return;
    }
    if (m->is_request) det__flood_target(d, m);
    bool created;
    det__src_t *s = det__table_get(&d->sources, det__key_ip(0x737263, party), &created);
    if (created) {
        s->ip = *party;
        s->first_ts = m->ts_ns;
    }
    s->last_ts = m->ts_ns;
    if (m->is_request) {
        s->last_port = m->src.port;
        s->requests++;
        det__flood_msg(d, s, m);
        det__scanner_msg(d, s, m);
        det__enum_msg(d, s, m);
        det__toll_msg(d, s, m);
    } else {
        if (m->cseq_method == SIP_INVITE && m->status >= 200 && m->status < 300)
            s->call_ok_ts = m->ts_ns;
        det__enum_response(d, s, m);
    }
    det__brute_msg(d, m);
}

void det__on_call(det_t *d, const det__call_t *c)
{
    stat_add(d, &d->st.calls);
    det__quality_call(d, c);
    if (det__trusted(d, &c->src.ip)) return;
    det__toll_call(d, c);
    det__spit_call(d, c);
}

void det__on_started(det_t *d, const det__started_t *s)
{
    advance(d, s->ts_ns);
    if (det__trusted(d, &s->src.ip)) return;
    det__toll_started(d, s);
}

void det__on_interval(det_t *d, const det__interval_t *iv)
{
    stat_add(d, &d->st.intervals);
    advance(d, iv->ts_ns);
    det__quality_interval(d, iv);
}

void det__on_clock(det_t *d, int64_t now)
{
    advance(d, now);
}

static void work_one(det_t *d, const det__rec_t *r)
{
    switch (r->kind) {
    case DET__REC_MSG:
        det__on_msg(d, &r->u.msg);
        break;
    case DET__REC_CALL:
        det__on_call(d, &r->u.call);
        break;
    case DET__REC_STARTED:
        det__on_started(d, &r->u.started);
        break;
    case DET__REC_INTERVAL:
        det__on_interval(d, &r->u.interval);
        break;
    case DET__REC_CLOCK:
        det__on_clock(d, r->u.clock_ns);
        break;
    }
}

static void work(void *user, uint32_t shard, void *rec)
{
    (void)shard;
    det__batch_t *b = rec;
    for (uint32_t i = 0; i < b->n; i++)
        work_one(user, &b->recs[i]);
}

/* ------------------------------------------------------------------------ */
/* The shard callbacks                                                       */
/* ------------------------------------------------------------------------ */

typedef struct {
    det_t *d;
    uint32_t shard;
    det__batch_t *batch; /* being filled on the shard's thread */
} det__shard_t;

static det__shard_t *shard_ctx(det_t *d, uint32_t s);

/* Batches are recycled through a small pool (a batch is 46 KB: allocating
 * and freeing one per 64 messages made the heap grow and shrink, a page
 * fault storm). */
static det__batch_t *batch_take(det_t *d)
{
    det__batch_t *b = NULL;
    pthread_mutex_lock(&d->pool_lock);
    if (d->npool) b = d->pool[--d->npool];
    pthread_mutex_unlock(&d->pool_lock);
    return b ? b : malloc(sizeof *b);
}

static void batch_release(void *user, void *rec)
{
    det_t *d = user;
    pthread_mutex_lock(&d->pool_lock);
    if (d->npool < DET__POOL) {
        d->pool[d->npool++] = rec;
        rec = NULL;
    }
    pthread_mutex_unlock(&d->pool_lock);
    free(rec);
}

/* Hands the shard's batch to the detection thread (full, the shard ran
 * dry, or a clock point). */
static void flush(det__shard_t *x)
{
    det__batch_t *b = x->batch;
    if (!b) return;
    x->batch = NULL;
    if (!fan_worker_push(x->d->worker, x->shard, b)) {
        pthread_mutex_lock(&x->d->st_lock);
        x->d->st.records_dropped += b->n;
        pthread_mutex_unlock(&x->d->st_lock);
    }
}

/* The next record of the shard's batch (a new batch when there is none). */
static det__rec_t *rec_new(det__shard_t *x, uint8_t kind)
{
    if (!x->batch) {
        x->batch = batch_take(x->d);
        if (!x->batch) {
            stat_add(x->d, &x->d->st.records_dropped);
            return NULL;
        }
        x->batch->n = 0;
    }
    det__rec_t *r = &x->batch->recs[x->batch->n++];
    r->kind = kind;
    return r;
}

static void done(det__shard_t *x)
{
    if (x->batch && x->batch->n == DET__BATCH) flush(x);
}

static void on_sip_message(void *user, const corr_sip_message_t *m)
{
    det__shard_t *x = user;
    det__rec_t *r = rec_new(x, DET__REC_MSG);
    if (r) det__summarise_msg(m, &r->u.msg);
    done(x);
}

static void on_call(void *user, const corr_call_t *c)
{
    det__shard_t *x = user;
    det__rec_t *r = rec_new(x, DET__REC_CALL);
    if (r) det__summarise_call(c, &r->u.call);
    done(x);
}

static void on_call_event(void *user, const corr_call_event_t *ev)
{
    if (ev->type != CORR_EV_CALL_STARTED) return;
    det__shard_t *x = user;
    det__rec_t *r = rec_new(x, DET__REC_STARTED);
    if (r) {
        r->u.started.ts_ns = ev->ts_ns;
        r->u.started.src = ev->src;
        r->u.started.dst = ev->dst;
        snprintf(r->u.started.caller, sizeof r->u.started.caller, "%s",
                 ev->caller ? ev->caller : "");
    }
    done(x);
}

static void on_interval(void *user, const corr_interval_event_t *ev)
{
    det__shard_t *x = user;
    det__rec_t *r = rec_new(x, DET__REC_INTERVAL);
    if (r)
        r->u.interval = (det__interval_t){.ts_ns = ev->ts_ns,
                                          .src = ev->src,
                                          .dst = ev->dst,
                                          .packets = ev->packets,
                                          .lost = ev->lost,
                                          .jitter_ms = ev->jitter_ms,
                                          .mos = ev->mos};
    done(x);
}

static void on_clock(void *user, int64_t now)
{
    det__shard_t *x = user;
    if (x->shard != 0) return;
    det__rec_t *r = rec_new(x, DET__REC_CLOCK);
    if (r) r->u.clock_ns = now;
    done(x);
}

/* ------------------------------------------------------------------------ */
/* The consumer                                                              */
/* ------------------------------------------------------------------------ */

typedef struct {
    det_t det;
    det__shard_t shards[FAN_WORKER_MAX_SHARDS];
} det__instance_t;

static det__shard_t *shard_ctx(det_t *d, uint32_t s)
{
    return &((det__instance_t *)d)->shards[s];
}

static bool tables_init(det_t *d)
{
    uint64_t budget = d->cfg.memory_bytes, mem = 0;
    struct {
        det__table_t *t;
        size_t size;
        unsigned share; /* per mille of the budget */
        uint64_t *evicted;
    } plan[] = {
        {&d->sources, sizeof(det__src_t), 480, &d->st.sources_evicted},
        {&d->targets, sizeof(det__target_t), 60, &d->st.targets_evicted},
        {&d->accounts, sizeof(det__acct_t), 100, &d->st.accounts_evicted},
        {&d->callers, sizeof(det__caller_t), 150, &d->st.callers_evicted},
        {&d->pairs, 1, 60, &d->st.pairs_evicted},
        {&d->routes, sizeof(det__route_t), 50, &d->st.routes_evicted},
        {&d->incidents, sizeof(det__incident_t), 100, &d->st.incidents_evicted},
    };
    for (size_t i = 0; i < sizeof plan / sizeof plan[0]; i++) {
        uint64_t share = budget / 1000 * plan[i].share;
        uint64_t n = share / det__table_entry_cost(plan[i].size);
        if (n < 16) n = 16;
        if (n > (1u << 24)) n = 1u << 24;
        if (!det__table_init(plan[i].t, (uint32_t)n, plan[i].size, plan[i].evicted, &mem))
            return false;
    }
    d->st.memory_bytes = mem;
    d->st.memory_limit = budget;
    return true;
}

static void tables_free(det_t *d)
{
    det__table_free(&d->sources);
    det__table_free(&d->targets);
    det__table_free(&d->accounts);
    det__table_free(&d->callers);
    det__table_free(&d->pairs);
    det__table_free(&d->routes);
    det__table_free(&d->incidents);
}

static void det_free(void *self);

static void *det_create(const void *config, const fan_env_t *env, char *err, size_t errlen)
{
    const det_consumer_config_t *cc = config;
    det__instance_t *x = calloc(1, sizeof *x);
    if (!x) {
        snprintf(err, errlen, "detect: out of memory");
        return NULL;
    }
    det_t *d = &x->det;
    d->cfg = cc->cfg;
    d->listener = cc->listener;
    d->listener_user = cc->listener_user;
    d->env = *env;
    pthread_mutex_init(&d->st_lock, NULL);
    pthread_mutex_init(&d->pool_lock, NULL);
    buf_init(&d->ev);
    buf_init(&d->sm);
    for (uint32_t i = 0; i < cc->cfg.n_trusted && d->n_trusted < DET_LIST_MAX; i++) {
        if (!det__cidr_parse(cc->cfg.trusted[i], &d->trusted[d->n_trusted])) {
            snprintf(err, errlen, "alerts.trusted: '%s' is not an address or CIDR",
                     cc->cfg.trusted[i]);
            det_free(d);
            return NULL;
        }
        d->n_trusted++;
    }
    /* scanner User-Agents, lower-cased once (matched against a lower-cased
     * User-Agent with strstr) */
    for (uint32_t i = 0; i < cc->cfg.n_scanner_user_agents && d->n_ua < DET_LIST_MAX; i++) {
        const char *u = cc->cfg.scanner_user_agents[i];
        size_t k = 0;
        for (; u[k] && k + 1 < sizeof d->ua[0]; k++)
            d->ua[d->n_ua][k] = (char)tolower((unsigned char)u[k]);
        d->ua[d->n_ua][k] = '\0';
        if (k) d->n_ua++;
    }
    /* the other lists are the caller's; only their pointers are kept */
    if (!tables_init(d)) {
        snprintf(err, errlen, "detect: out of memory for %llu bytes of tables",
                 (unsigned long long)d->cfg.memory_bytes);
        det_free(d);
        return NULL;
    }
    for (uint32_t s = 0; s < FAN_WORKER_MAX_SHARDS; s++)
        x->shards[s] = (det__shard_t){d, s, NULL};
    uint32_t shards = env->shards ? env->shards : 1;
    if (shards > FAN_WORKER_MAX_SHARDS) shards = FAN_WORKER_MAX_SHARDS;
    fan_worker_config_t wc = {
        .name = "detect",
        .shards = shards,
        .capacity = d->cfg.queue_size / DET__BATCH ? d->cfg.queue_size / DET__BATCH : 1,
        .lossless = env->lossless,
        .work = work,
        .release = batch_release,
        .user = d};
    d->worker = fan_worker_new(&wc, err, errlen);
    if (!d->worker) {
        det_free(d);
        return NULL;
    }
    return d;
}

static uint32_t det_wants(const void *self)
{
    (void)self;
    return FAN_WANT_SIP_MESSAGES | FAN_WANT_CALLS | FAN_WANT_CALL_EVENTS | FAN_WANT_INTERVALS |
           FAN_WANT_CLOCK;
}

static corr_sink_t det_shard_sink(void *self, uint32_t shard)
{
    det_t *d = self;
    if (shard >= FAN_WORKER_MAX_SHARDS) shard = FAN_WORKER_MAX_SHARDS - 1;
    return (corr_sink_t){.user = shard_ctx(d, shard),
                         .on_call = on_call,
                         .on_call_event = on_call_event,
                         .on_quality_interval = on_interval,
                         .on_sip_message = on_sip_message,
                         .on_clock = on_clock};
}

/* Shard s ran dry (and after its final flush): what it batched goes now. */
static void det_shard_idle(void *self, uint32_t shard)
{
    det_t *d = self;
    if (shard >= FAN_WORKER_MAX_SHARDS) shard = FAN_WORKER_MAX_SHARDS - 1;
    flush(shard_ctx(d, shard));
}

static int det_start(void *self, char *err, size_t errlen)
{
    det_t *d = self;
    return fan_worker_start(d->worker, err, errlen);
}

static void det_stop(void *self)
{
    det_t *d = self;
    det__instance_t *x = (det__instance_t *)d;
    for (uint32_t s = 0; s < FAN_WORKER_MAX_SHARDS; s++) /* the shards have stopped */
        flush(&x->shards[s]);
    fan_worker_stop(d->worker);
    det__incident_close_all(d); /* end of input: every incident ends */
}

static void det_fan_stats(const void *self, fan_stats_t *out)
{
    const det_t *d = self;
    fan_worker_stats_t ws;
    fan_worker_stats(d->worker, &ws);
    *out = (fan_stats_t){.records = ws.pushed + ws.dropped,
                         .queued = ws.pushed,
                         .dropped = ws.dropped,
                         .waits = ws.waits};
}

static void det_free(void *self)
{
    det_t *d = self;
    if (!d) return;
    if (d->worker) fan_worker_free(d->worker);
    det__instance_t *x = (det__instance_t *)d;
    for (uint32_t s = 0; s < FAN_WORKER_MAX_SHARDS; s++)
        free(x->shards[s].batch);
    for (uint32_t i = 0; i < d->npool; i++)
        free(d->pool[i]);
    pthread_mutex_destroy(&d->pool_lock);
    tables_free(d);
    buf_free(&d->ev);
    buf_free(&d->sm);
    pthread_mutex_destroy(&d->st_lock);
    free(d); /* d is the first member of its det__instance_t */
}

const fan_consumer_ops_t det_consumer = {.name = "detect",
                                         .create = det_create,
                                         .wants = det_wants,
                                         .shard_sink = det_shard_sink,
                                         .shard_idle = det_shard_idle,
                                         .start = det_start,
                                         .stop = det_stop,
                                         .stats = det_fan_stats,
                                         .free = det_free};

void det_stats(const det_t *d, det_stats_t *out)
{
    pthread_mutex_lock((pthread_mutex_t *)&d->st_lock);
    *out = d->st;
    pthread_mutex_unlock((pthread_mutex_t *)&d->st_lock);
}
