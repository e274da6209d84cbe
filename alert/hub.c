/* hub.c - the alert hub: every configured sink and in-process listener.
 *
 *   alert_hub_publish ─┬─▶ listener 1..n            (publisher's thread, in order)
 *                      ├─▶ copy ─▶ queue ─▶ thread ─▶ sink 1 (syslog+tls ...)
 *                      └─▶ copy ─▶ queue ─▶ thread ─▶ sink n (webhook ...)
 *
 * Publishing never blocks: each sink takes its own deep copy of the alert
 * (strings included, bounded in size; the evidence checked once) into its
 * own bounded queue under a mutex held only to copy and store it, never
 * across I/O; a full queue drops the alert, without copying it, and
 * counts it.  One thread per sink, so a SIEM that is down or slow delays
 * only its own alerts, never capture, detection or the other sinks.
 *
 * The thread takes a batch from the head of its queue without removing
 * it, opens the transport if needed and sends; delivered alerts leave the
 * queue.  On a failure (connect refused, write error, HTTP 5xx) the
 * transport is closed and the rest is tried again after an exponential
 * back-off (retry_min doubling up to retry_max, with up to a quarter of
 * jitter so many appliances do not hit a recovering SIEM in step); the
 * queue meanwhile fills, then drops.  A receiver's definitive refusal
 * (HTTP 4xx other than 408/429) drops that alert instead of retrying it
 * forever.  Stop drains: each thread keeps delivering (and retrying) for
 * at most drain_ns, then drops and counts what is left; all sinks drain
 * at once.
 *
 * Counters are atomics read at any time: queued, sent, dropped, retries,
 * failures (alert.h).  A failure is logged once when it starts and once
 * when the sink delivers again, not per attempt.
 */
#include "alert_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ALERT__BATCH_MAX 64

struct alert__sink {
    alert_hub_t *hub;
    const alert__sink_ops_t *ops;
    void *impl;
    alert_sink_spec_t spec;
    alert__sink_env_t env;
    pthread_t thread;
    bool started;

    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC */
    alert__rec_t **ring;
    uint32_t cap, head, count;
    bool stopping;
    bool idle;           /* the thread waits for alerts (not backing off) */
    int64_t deadline_ns; /* stopping: monotonic end of the drain */

    _Atomic uint64_t queued, sent, dropped, retries, failures;
};

struct alert_hub {
    alert__sink_t *sinks[ALERT_SINKS_MAX];
    uint32_t n;
    struct {
        alert_listener_fn fn;
        void *user;
    } listeners[ALERT_SINKS_MAX];
    uint32_t nl;
    _Atomic uint64_t published;
    int64_t retry_min_ns, retry_max_ns, drain_ns;
    char hostname[256];
    bool started;
};

void alert_config_default(alert_config_t *c)
{
    memset(c, 0, sizeof *c);
    c->tls_ca = c->tls_cert = c->tls_key = "";
    c->webhook_secret_file = c->hec_token_file = "";
    c->queue = 4096;
    c->retry_min_ns = 500 * (int64_t)NS_PER_MSEC;
    c->retry_max_ns = 60 * NS_PER_SEC;
    c->timeout_ns = 5 * NS_PER_SEC;
    c->drain_ns = 5 * NS_PER_SEC;
    c->facility = ALERT_FACILITY_DEF;
}

/* ---- the owned copy ---------------------------------------------------- */

static size_t alert__cut(const char *s, size_t max)
{
    return s ? strnlen(s, max) : 0;
}

/* The evidence a copy keeps: the alert's own when it is one well-formed
 * JSON object within ALERT__EVIDENCE_MAX, else a note (written to note). */
static const char *alert__evidence(const alert_t *a, char note[64], size_t *len)
{
    size_t ne = alert__cut(a->evidence_json, ALERT__EVIDENCE_MAX + 1);
    if (ne == 0) return *len = 2, "{}";
    if (ne > ALERT__EVIDENCE_MAX) {
        *len = (size_t)snprintf(note, 64, "{\"truncated\":true,\"bytes\":%zu}",
                                strlen(a->evidence_json));
        return note;
    }
    if (!alert__json_object_valid(a->evidence_json, ne)) {
        static const char bad[] = "{\"invalid_evidence\":true}";
        return *len = sizeof bad - 1, bad;
    }
    return *len = ne, a->evidence_json;
}

static alert__rec_t *alert__copy_with(const alert_t *a, const char *ev, size_t ne)
{
    size_t nu = alert__cut(a->target_user, ALERT_USER_MAX);
    size_t ns = alert__cut(a->summary, ALERT__SUMMARY_MAX);
    alert__rec_t *r = malloc(sizeof *r + nu + ns + ne + 3);
    if (!r) return NULL;
    r->a = *a;
    char *p = (char *)(r + 1);
    r->strings = p;
    memcpy(p, a->target_user ? a->target_user : "", nu), p[nu] = '\0';
    r->a.target_user = p, p += nu + 1;
    memcpy(p, a->summary ? a->summary : "", ns), p[ns] = '\0';
    r->a.summary = p, p += ns + 1;
    memcpy(p, ev, ne), p[ne] = '\0';
    r->a.evidence_json = p;
    return r;
}

alert__rec_t *alert__rec_copy(const alert_t *a)
{
    char note[64];
    size_t ne;
    const char *ev = alert__evidence(a, note, &ne);
    return alert__copy_with(a, ev, ne);
}

/* ---- time -------------------------------------------------------------- */

static void alert__abstime(int64_t mono_ns, struct timespec *ts)
{
    ts->tv_sec = (time_t)(mono_ns / NS_PER_SEC);
    ts->tv_nsec = (long)(mono_ns % NS_PER_SEC);
}

/* ---- creation ---------------------------------------------------------- */

/* Reads a secret file: at most 4 KiB, the trailing line end dropped. */
static char *alert__read_secret(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *s = malloc(4097);
    size_t n = s ? fread(s, 1, 4097, f) : 0;
    fclose(f);
    if (!s) return snprintf(err, errlen, "out of memory"), NULL;
    if (n > 4096) {
        free(s);
        snprintf(err, errlen, "%s: longer than 4096 bytes", path);
        return NULL;
    }
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    s[n] = '\0';
    if (n == 0) {
        free(s);
        snprintf(err, errlen, "%s: empty", path);
        return NULL;
    }
    *len = n;
    return s;
}

static const alert__sink_ops_t *alert__ops_of(alert_sink_kind_t k)
{
    switch (k) {
    case ALERT_SINK_SYSLOG_UDP:
    case ALERT_SINK_SYSLOG_TCP:
    case ALERT_SINK_SYSLOG_TLS:
        return &alert__syslog_ops;
    case ALERT_SINK_ECS_FILE:
        return &alert__ecs_file_ops;
    case ALERT_SINK_WEBHOOK:
        return &alert__webhook_ops;
    case ALERT_SINK_HEC:
        return &alert__hec_ops;
    }
    return NULL;
}

static const char *alert__or(const char *spec_value, const char *cfg_value)
{
    if (spec_value && spec_value[0]) return spec_value;
    return cfg_value && cfg_value[0] ? cfg_value : NULL;
}

static void alert__sink_free(alert__sink_t *s)
{
    if (!s) return;
    if (s->impl) s->ops->free(s->impl);
    for (uint32_t i = 0; i < s->count; i++)
        free(s->ring[(s->head + i) % s->cap]);
    free(s->ring);
    if (s->env.secret) {
        memset(s->env.secret, 0, s->env.secret_len);
        free(s->env.secret);
    }
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}

static alert__sink_t *alert__sink_new(alert_hub_t *h, const alert_config_t *cfg,
                                      const alert_sink_spec_t *spec, char *err, size_t errlen)
{
    alert__sink_t *s = calloc(1, sizeof *s);
    if (!s) return snprintf(err, errlen, "out of memory"), NULL;
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    s->hub = h;
    s->spec = *spec;
    s->ops = alert__ops_of(spec->kind);
    s->cap = spec->queue ? spec->queue : cfg->queue;
    if (s->cap == 0) s->cap = 1;
    s->ring = calloc(s->cap, sizeof *s->ring);
    if (!s->ops || !s->ring) {
        snprintf(err, errlen, "%s: out of memory", spec->name);
        alert__sink_free(s);
        return NULL;
    }
    alert__sink_env_t *e = &s->env;
    e->spec = &s->spec;
    e->ca = alert__or(s->spec.ca, cfg->tls_ca);
    e->cert = alert__or(s->spec.cert, cfg->tls_cert);
    e->key = alert__or(s->spec.key, cfg->tls_key);
    e->timeout_ns = cfg->timeout_ns > 0 ? cfg->timeout_ns : 5 * NS_PER_SEC;
    e->facility = spec->facility >= 0 ? spec->facility : cfg->facility;
    e->hostname = h->hostname;
    e->encode = cfg->encode;
    char why[320];
    if (spec->kind == ALERT_SINK_WEBHOOK || spec->kind == ALERT_SINK_HEC) {
        bool hook = spec->kind == ALERT_SINK_WEBHOOK;
        const char *file = alert__or(hook ? spec->secret_file : spec->token_file,
                                     hook ? cfg->webhook_secret_file : cfg->hec_token_file);
        if (!file) {
            snprintf(err, errlen, "%s: needs %s", spec->name,
                     hook ? "alerts.webhook_secret_file (or ?secret_file=)"
                          : "alerts.hec_token_file (or ?token_file=)");
            alert__sink_free(s);
            return NULL;
        }
        e->secret = alert__read_secret(file, &e->secret_len, why, sizeof why);
        if (!e->secret) {
            snprintf(err, errlen, "%s: %s %s", spec->name, hook ? "secret" : "token", why);
            alert__sink_free(s);
            return NULL;
        }
        for (size_t i = 0; !hook && i < e->secret_len; i++)
            if ((unsigned char)e->secret[i] <= 0x20 || (unsigned char)e->secret[i] >= 0x7f) {
                snprintf(err, errlen, "%s: the HEC token holds a space or a control byte",
                         spec->name);
                alert__sink_free(s);
                return NULL;
            }
        if (!cfg->encode) {
            snprintf(err, errlen, "%s: no alert JSON encoder was given to the hub", spec->name);
            alert__sink_free(s);
            return NULL;
        }
    }
    s->impl = s->ops->create(e, why, sizeof why);
    e->ca = e->cert = e->key = NULL; /* the configuration's strings: read by create only */
    if (!s->impl) {
        snprintf(err, errlen, "%s: %s", spec->name, why);
        alert__sink_free(s);
        return NULL;
    }
    return s;
}

alert_hub_t *alert_hub_new(const alert_config_t *cfg, char *err, size_t errlen)
{
    if (cfg->sink_count > ALERT_SINKS_MAX) {
        snprintf(err, errlen, "more than %d alert sinks", ALERT_SINKS_MAX);
        return NULL;
    }
    alert_hub_t *h = calloc(1, sizeof *h);
    if (!h) return snprintf(err, errlen, "out of memory"), NULL;
    h->retry_min_ns = cfg->retry_min_ns > 0 ? cfg->retry_min_ns : NS_PER_MSEC;
    h->retry_max_ns = cfg->retry_max_ns > h->retry_min_ns ? cfg->retry_max_ns : h->retry_min_ns;
    h->drain_ns = cfg->drain_ns > 0 ? cfg->drain_ns : 0;
    /* RFC 5424 HOSTNAME: printable ASCII without spaces, at most 255 */
    char raw[256] = "";
    if (cfg->hostname && cfg->hostname[0])
        snprintf(raw, sizeof raw, "%s", cfg->hostname);
    else if (gethostname(raw, sizeof raw - 1) != 0)
        raw[0] = '\0';
    size_t k = 0;
    for (size_t i = 0; raw[i] && k < sizeof h->hostname - 1; i++)
        if (raw[i] > 0x20 && raw[i] < 0x7f) h->hostname[k++] = raw[i];
    if (k == 0) h->hostname[k++] = '-';
    h->hostname[k] = '\0';
    for (uint32_t i = 0; i < cfg->sink_count; i++) {
        h->sinks[i] = alert__sink_new(h, cfg, &cfg->sinks[i], err, errlen);
        if (!h->sinks[i]) {
            alert_hub_free(h);
            return NULL;
        }
        h->n++;
    }
    return h;
}

int alert_hub_subscribe(alert_hub_t *h, alert_listener_fn fn, void *user)
{
    if (h->nl >= ALERT_SINKS_MAX || !fn) return -1;
    h->listeners[h->nl].fn = fn;
    h->listeners[h->nl].user = user;
    h->nl++;
    return 0;
}

/* ---- the sink's thread ------------------------------------------------- */

/* Sleeps for ns, or until stop's drain deadline when that comes first. */
static void alert__backoff(alert__sink_t *s, int64_t ns)
{
    int64_t until = clock_mono_ns() + ns;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        int64_t end = s->stopping && s->deadline_ns < until ? s->deadline_ns : until;
        if (clock_mono_ns() >= end) break;
        struct timespec ts;
        alert__abstime(end, &ts);
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
    }
    pthread_mutex_unlock(&s->mu);
}

/* Removes the first n queued alerts (they were delivered or refused). */
static void alert__pop(alert__sink_t *s, uint32_t n)
{
    alert__rec_t *gone[ALERT__BATCH_MAX];
    pthread_mutex_lock(&s->mu);
    for (uint32_t i = 0; i < n; i++) {
        gone[i] = s->ring[s->head];
        s->ring[s->head] = NULL;
        s->head = (s->head + 1) % s->cap;
    }
    s->count -= n;
    pthread_mutex_unlock(&s->mu);
    for (uint32_t i = 0; i < n; i++)
        free(gone[i]);
}

static void *alert__sink_main(void *arg)
{
    alert__sink_t *s = arg;
    alert_hub_t *h = s->hub;
    alert__rec_t *batch[ALERT__BATCH_MAX];
    uint32_t max = s->ops->max_batch ? s->ops->max_batch : 1;
    if (max > ALERT__BATCH_MAX) max = ALERT__BATCH_MAX;
    bool open = false;
    int64_t backoff = 0;
    uint64_t failing = 0;  /* failures in a row */
    bool refusing = false; /* the last attempt was refused */
    unsigned seed = (unsigned)clock_mono_ns() ^ (unsigned)(uintptr_t)s;
    char err[320];
    for (;;) {
        pthread_mutex_lock(&s->mu);
        while (s->count == 0 && !s->stopping) {
            s->idle = true;
            pthread_cond_wait(&s->cv, &s->mu);
            s->idle = false;
        }
        if (s->count == 0 || (s->stopping && clock_mono_ns() >= s->deadline_ns)) {
            /* stopped, and drained or out of time: what is left is lost */
            uint32_t left = s->count;
            pthread_mutex_unlock(&s->mu);
            if (left) {
                atomic_fetch_add(&s->dropped, left);
                log_warn("alert sink %s: stopped with %u alerts undelivered", s->spec.name, left);
                while (left) {
                    uint32_t k = left < ALERT__BATCH_MAX ? left : ALERT__BATCH_MAX;
                    alert__pop(s, k);
                    left -= k;
                }
            }
            break;
        }
        uint32_t n = s->count < max ? s->count : max;
        for (uint32_t i = 0; i < n; i++)
            batch[i] = s->ring[(s->head + i) % s->cap];
        pthread_mutex_unlock(&s->mu);

        if (failing) atomic_fetch_add(&s->retries, 1);
        uint32_t done = 0;
        bool perm = false;
        err[0] = '\0';
        if (!open && s->ops->open(s->impl, err, sizeof err) == 0) open = true;
        if (open) done = s->ops->send(s->impl, batch, n, &perm, err, sizeof err);
        if (done) {
            atomic_fetch_add(&s->sent, done);
            alert__pop(s, done);
        }
        if (done == n) {
            if (failing)
                log_warn("alert sink %s: delivering again after %llu failed attempts", s->spec.name,
                         (unsigned long long)failing);
            failing = 0, backoff = 0, refusing = false;
            continue;
        }
        atomic_fetch_add(&s->failures, 1);
        if (perm) { /* refused for good: drop it, the connection is fine */
            atomic_fetch_add(&s->dropped, 1);
            alert__pop(s, 1);
            if (!refusing) log_warn("alert sink %s: alert refused: %s", s->spec.name, err);
            refusing = true;
            continue;
        }
        if (open) s->ops->close(s->impl);
        open = false;
        backoff = backoff ? backoff * 2 : h->retry_min_ns;
        if (backoff > h->retry_max_ns) backoff = h->retry_max_ns;
        if (failing++ == 0)
            log_warn("alert sink %s: %s (retrying with back-off up to %lld ms)", s->spec.name,
                     err[0] ? err : "delivery failed", (long long)(h->retry_max_ns / NS_PER_MSEC));
        int64_t jitter = backoff / 4 ? (int64_t)(rand_r(&seed) % (backoff / 4 + 1)) : 0;
        alert__backoff(s, backoff - jitter);
    }
    if (open) s->ops->close(s->impl);
    return NULL;
}

int alert_hub_start(alert_hub_t *h, char *err, size_t errlen)
{
    for (uint32_t i = 0; i < h->n; i++) {
        alert__sink_t *s = h->sinks[i];
        int rc = pthread_create(&s->thread, NULL, alert__sink_main, s);
        if (rc != 0) {
            snprintf(err, errlen, "alert sink %s: thread: %s", s->spec.name, strerror(rc));
            alert_hub_stop(h);
            return -1;
        }
        char name[16];
        snprintf(name, sizeof name, "alert-%u", i);
        pthread_setname_np(s->thread, name);
        s->started = true;
    }
    h->started = true;
    return 0;
}

/* ---- publishing -------------------------------------------------------- */

void alert_hub_publish(alert_hub_t *h, const alert_t *a)
{
    atomic_fetch_add(&h->published, 1);
    for (uint32_t i = 0; i < h->nl; i++)
        h->listeners[i].fn(h->listeners[i].user, a);
    if (h->n == 0) return;
    char note[64];
    size_t ne;
    const char *ev = alert__evidence(a, note, &ne); /* checked once for every sink */
    for (uint32_t i = 0; i < h->n; i++) {
        alert__sink_t *s = h->sinks[i];
        bool taken = false;
        /* the copy is made under the lock, and only when there is room: a
         * full queue (a receiver that is down) costs no allocation */
        pthread_mutex_lock(&s->mu);
        if (s->count < s->cap && !s->stopping) {
            alert__rec_t *r = alert__copy_with(a, ev, ne);
            if (r) {
                s->ring[(s->head + s->count) % s->cap] = r;
                s->count++;
                taken = true;
                /* wake the thread only when it waits for work: one backing
                 * off sleeps on (its time is the back-off's, not ours) */
                if (s->idle) pthread_cond_signal(&s->cv);
            }
        }
        pthread_mutex_unlock(&s->mu);
        atomic_fetch_add(taken ? &s->queued : &s->dropped, 1);
    }
}

void alert_hub_listener(void *hub, const alert_t *a)
{
    alert_hub_publish(hub, a);
}

/* ---- stop, statistics, free -------------------------------------------- */

void alert_hub_stop(alert_hub_t *h)
{
    int64_t deadline = clock_mono_ns() + h->drain_ns;
    for (uint32_t i = 0; i < h->n; i++) {
        alert__sink_t *s = h->sinks[i];
        pthread_mutex_lock(&s->mu);
        s->stopping = true;
        s->deadline_ns = deadline;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
    }
    for (uint32_t i = 0; i < h->n; i++) {
        alert__sink_t *s = h->sinks[i];
        if (s->started) pthread_join(s->thread, NULL);
        s->started = false;
    }
    h->started = false;
}

uint32_t alert_hub_sink_count(const alert_hub_t *h)
{
    return h->n;
}

const char *alert_hub_sink_name(const alert_hub_t *h, uint32_t i)
{
    return i < h->n ? h->sinks[i]->spec.name : NULL;
}

void alert_hub_sink_stats(alert_hub_t *h, uint32_t i, alert_sink_stats_t *o)
{
    memset(o, 0, sizeof *o);
    if (i >= h->n) return;
    alert__sink_t *s = h->sinks[i];
    o->queued = atomic_load(&s->queued);
    o->sent = atomic_load(&s->sent);
    o->dropped = atomic_load(&s->dropped);
    o->retries = atomic_load(&s->retries);
    o->failures = atomic_load(&s->failures);
    pthread_mutex_lock(&s->mu);
    o->depth = s->count;
    pthread_mutex_unlock(&s->mu);
}

void alert_hub_stats(alert_hub_t *h, alert_sink_stats_t *sum, uint64_t *published)
{
    memset(sum, 0, sizeof *sum);
    for (uint32_t i = 0; i < h->n; i++) {
        alert_sink_stats_t one;
        alert_hub_sink_stats(h, i, &one);
        sum->queued += one.queued, sum->sent += one.sent, sum->dropped += one.dropped;
        sum->retries += one.retries, sum->failures += one.failures, sum->depth += one.depth;
    }
    if (published) *published = atomic_load(&h->published);
}

void alert_hub_free(alert_hub_t *h)
{
    if (!h) return;
    alert_hub_stop(h);
    for (uint32_t i = 0; i < h->n; i++)
        alert__sink_free(h->sinks[i]);
    free(h);
}
