/* fanout.c - the consumer registry and the sink each shard gets from it.
 *
 * Every corr_sink_t callback is one "kind" in FAN__KINDS: its fan_want_t
 * bit, its field and its record type.  For each shard and kind the fan
 * keeps the list of (callback, user) pairs of the consumers that want it;
 * fan_shard_sink then picks, per kind, NULL (nobody), a trampoline that
 * calls the one taker, or one that calls every taker in order; or, when a
 * single consumer takes every wanted kind, returns that consumer's own sink
 * (no trampoline at all).  The trampolines are generated from FAN__KINDS,
 * so a new corr_sink_t callback is one line there and one fan_want_t bit.
 *
 * Lifecycle: consumers are created by fan_add, started in order by
 * fan_start, stopped in reverse by fan_stop and freed in reverse by
 * fan_free.  A shard's lists are written only by fan_shard_sink on that
 * shard's thread and read only by its callbacks there: no lock.
 */
#include "fanout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* X(bit, corr_sink_t field, record type): one line per corr_sink_t callback. */
#define FAN__KINDS(X)                                                                              \
    X(FAN_WANT_CALLS, on_call, const corr_call_t *)                                                \
    X(FAN_WANT_ORPHAN_STREAMS, on_orphan_stream, const corr_stream_t *)                            \
    X(FAN_WANT_VQ_REPORTS, on_vq_report, const corr_vq_report_t *)                                 \
    X(FAN_WANT_CALL_EVENTS, on_call_event, const corr_call_event_t *)                              \
    X(FAN_WANT_REGISTRATIONS, on_registration, const corr_registration_t *)                        \
    X(FAN_WANT_INTERVALS, on_quality_interval, const corr_interval_event_t *)                      \
    X(FAN_WANT_SIP_MESSAGES, on_sip_message, const corr_sip_message_t *)                           \
    X(FAN_WANT_CLOCK, on_clock, int64_t)                                                           \
    X(FAN_WANT_PACKETS, on_packet, const corr_packet_t *)

/* One shard's takers of each kind. */
typedef struct {
#define FAN__LIST(bit, field, type)                                                                \
    struct {                                                                                       \
        uint32_t n;                                                                                \
        void (*fn[FAN_MAX_CONSUMERS])(void *, type);                                               \
        void *user[FAN_MAX_CONSUMERS];                                                             \
    } field;
    FAN__KINDS(FAN__LIST)
#undef FAN__LIST
} fan__shard_t;

typedef struct {
    const fan_consumer_ops_t *ops;
    void *self;
    bool started;
} fan__consumer_t;

struct fan {
    fan_env_t env;
    fan__consumer_t c[FAN_MAX_CONSUMERS];
    uint32_t n;
    fan__shard_t *shards; /* env.shards */
};

/* The trampolines: fan__one_<field> calls the single taker, fan__all_<field>
 * every taker in registration order. */
#define FAN__TRAMPOLINES(bit, field, type)                                                         \
    static void fan__one_##field(void *user, type rec)                                             \
    {                                                                                              \
        fan__shard_t *s = user;                                                                    \
        s->field.fn[0](s->field.user[0], rec);                                                     \
    }                                                                                              \
    static void fan__all_##field(void *user, type rec)                                             \
    {                                                                                              \
        fan__shard_t *s = user;                                                                    \
        for (uint32_t i = 0; i < s->field.n; i++)                                                  \
            s->field.fn[i](s->field.user[i], rec);                                                 \
    }
FAN__KINDS(FAN__TRAMPOLINES)
#undef FAN__TRAMPOLINES

fan_t *fan_new(const fan_env_t *env)
{
    if (env->shards == 0) return NULL;
    fan_t *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->env = *env;
    f->shards = calloc(env->shards, sizeof *f->shards);
    if (!f->shards) {
        free(f);
        return NULL;
    }
    return f;
}

void *fan_add(fan_t *f, const fan_consumer_ops_t *ops, const void *config, char *err, size_t errlen)
{
    if (f->n == FAN_MAX_CONSUMERS) {
        snprintf(err, errlen, "%s: more than %d consumers", ops->name, FAN_MAX_CONSUMERS);
        return NULL;
    }
    void *self = ops->create(config, &f->env, err, errlen);
    if (!self) return NULL;
    f->c[f->n++] = (fan__consumer_t){.ops = ops, .self = self};
    return self;
}

int fan_start(fan_t *f, char *err, size_t errlen)
{
    for (uint32_t i = 0; i < f->n; i++) {
        fan__consumer_t *c = &f->c[i];
        if (c->ops->start && c->ops->start(c->self, err, errlen) != 0) {
            fan_stop(f);
            return -1;
        }
        c->started = true;
    }
    return 0;
}

static uint32_t fan__wants(const fan__consumer_t *c)
{
    return c->ops->wants ? c->ops->wants(c->self) : 0;
}

uint32_t fan_wanted(const fan_t *f)
{
    uint32_t w = 0;
    for (uint32_t i = 0; i < f->n; i++)
        w |= fan__wants(&f->c[i]);
    return w;
}

corr_sink_t fan_shard_sink(void *fan, uint32_t shard)
{
    fan_t *f = fan;
    fan__shard_t *s = &f->shards[shard];
    memset(s, 0, sizeof *s);
    /* Collect every consumer's wanted callbacks; remember whether a single
     * consumer is the only taker of everything. */
    corr_sink_t only = {0};
    int takers = 0; /* consumers with at least one wanted callback */
    for (uint32_t i = 0; i < f->n; i++) {
        fan__consumer_t *c = &f->c[i];
        uint32_t want = fan__wants(c);
        if (!want) continue;
        corr_sink_t cs = c->ops->shard_sink(c->self, shard);
        corr_sink_t kept = {.user = cs.user};
        bool any = false;
#define FAN__COLLECT(bit, field, type)                                                             \
    if ((want & (bit)) && cs.field) {                                                              \
        s->field.fn[s->field.n] = cs.field;                                                        \
        s->field.user[s->field.n++] = cs.user;                                                     \
        kept.field = cs.field;                                                                     \
        any = true;                                                                                \
    }
        FAN__KINDS(FAN__COLLECT)
#undef FAN__COLLECT
        if (any) {
            takers++;
            only = kept;
        }
    }
    if (takers <= 1) return only; /* the consumer's own sink, or nothing */
    corr_sink_t sink = {.user = s};
#define FAN__PICK(bit, field, type)                                                                \
    if (s->field.n == 1)                                                                           \
        sink.field = fan__one_##field;                                                             \
    else if (s->field.n > 1)                                                                       \
        sink.field = fan__all_##field;
    FAN__KINDS(FAN__PICK)
#undef FAN__PICK
    return sink;
}

void fan_shard_idle(void *fan, uint32_t shard)
{
    fan_t *f = fan;
    for (uint32_t i = 0; i < f->n; i++)
        if (f->c[i].ops->shard_idle) f->c[i].ops->shard_idle(f->c[i].self, shard);
}

void fan_stop(fan_t *f)
{
    for (uint32_t i = f->n; i-- > 0;) {
        fan__consumer_t *c = &f->c[i];
        if (!c->started) continue;
        if (c->ops->stop) c->ops->stop(c->self);
        c->started = false;
    }
}

uint32_t fan_consumer_count(const fan_t *f)
{
    return f->n;
}

const char *fan_consumer_name(const fan_t *f, uint32_t i)
{
    return i < f->n ? f->c[i].ops->name : NULL;
}

void fan_consumer_stats(const fan_t *f, uint32_t i, fan_stats_t *out)
{
    *out = (fan_stats_t){0};
    if (i < f->n && f->c[i].ops->stats) f->c[i].ops->stats(f->c[i].self, out);
}

void fan_free(fan_t *f)
{
    if (!f) return;
    fan_stop(f);
    for (uint32_t i = f->n; i-- > 0;)
        if (f->c[i].ops->free) f->c[i].ops->free(f->c[i].self);
    free(f->shards);
    free(f);
}
