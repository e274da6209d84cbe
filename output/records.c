/* records.c - the output consumer (output.h): turns every finished call,
 * orphan stream and unattached RFC 6035 report into text (table or NDJSON)
 * and writes the final summary.
 *
 * Design: a writer only formats into one growing buf_t and writes it out in
 * 64 KiB pieces, so a long offline run does one write per few hundred
 * records.  A live run flushes whenever a shard runs dry (shard_idle) so
 * records appear as calls end.  The formatting itself is encode/ (JSON) and
 * table.c.
 *
 * Events: with out_config_t.events (JSON only) the consumer also wants the
 * correlator's lifecycle events (call_started, call_answered, registration,
 * quality_interval) and writes each as its own NDJSON line, in the order
 * the correlator raised them, between the records; without it it does not
 * want them, so the fan-out leaves those callbacks NULL and the correlator
 * keeps nothing for them.  Messages (out_config_t.messages, JSON only)
 * likewise: every SIP message as a line, in the order the correlator saw
 * them.
 *
 * Shards: inline (one unthreaded shard) one writer does everything.  With
 * correlator threads each shard has its own writer on its own thread, all
 * writing to one FILE: a flush writes whole records under one lock
 * (records are per call, not per packet).  In a table, the header is
 * written once, before the first call row any shard flushes.  Records of
 * different shards interleave in the order they are flushed.  The summary
 * is written by the main writer after the shards stopped.
 */
#include "output.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define RECORDS_FLUSH_AT (1 << 16)

/* What shard writers share. */
typedef struct {
    pthread_mutex_t lock;
    bool header_done;
} out__shared_t;

/* One writer: formats into buf, writes to cfg.out. */
typedef struct {
    out_config_t cfg;
    buf_t buf;
    uint64_t calls_written;
    out__shared_t *shared; /* NULL: the only writer of out */
    bool pending_rows;     /* table rows buffered, header not sure */
} out__writer_t;

struct out {
    out_config_t cfg;
    out__writer_t main;   /* inline: the only writer; else the summary's */
    out__writer_t *shard; /* with correlator threads: one per shard */
    uint32_t shards;
    out__shared_t shared;
};

static void writer_flush(out__writer_t *r)
{
    if (r->shared) {
        if (!r->buf.len) return;
        pthread_mutex_lock(&r->shared->lock);
        if (r->cfg.format == OUT_TABLE && r->pending_rows && !r->shared->header_done) {
            buf_t h;
            buf_init(&h);
            out_table_header(&h);
            fwrite(h.data, 1, h.len, r->cfg.out);
            buf_free(&h);
            r->shared->header_done = true;
        }
        fwrite(r->buf.data, 1, r->buf.len, r->cfg.out);
        fflush(r->cfg.out);
        pthread_mutex_unlock(&r->shared->lock);
        r->pending_rows = false;
        buf_reset(&r->buf);
        return;
    }
    if (r->buf.len) {
        fwrite(r->buf.data, 1, r->buf.len, r->cfg.out);
        fflush(r->cfg.out);
    }
    buf_reset(&r->buf);
}

static void maybe_flush(out__writer_t *r)
{
    if (r->buf.len > RECORDS_FLUSH_AT) writer_flush(r);
}

static void on_call(void *user, const corr_call_t *call)
{
    out__writer_t *r = user;
    if (r->cfg.format == OUT_JSON) {
        enc_call_json(&r->buf, call);
    } else {
        if (r->shared)
            r->pending_rows = true; /* the header comes with the flush */
        else if (r->calls_written == 0)
            out_table_header(&r->buf);
        out_call_table(&r->buf, call, r->cfg.streams_in_table);
    }
    r->calls_written++;
    maybe_flush(r);
}

static void on_orphan(void *user, const corr_stream_t *s)
{
    out__writer_t *r = user;
    if (r->cfg.format == OUT_JSON) {
        enc_stream_json(&r->buf, s, true);
        buf_putc(&r->buf, '\n');
    } else {
        buf_printf(&r->buf, "orphan stream (%s, no signalling seen):\n",
                   s->orphan_proto[0] ? s->orphan_proto : "RTP");
        out_stream_table(&r->buf, s, "  ");
    }
    maybe_flush(r);
}

static void on_vq_report(void *user, const corr_vq_report_t *rep)
{
    out__writer_t *r = user;
    if (r->cfg.format == OUT_JSON) enc_vq_report_json(&r->buf, rep);
    maybe_flush(r);
}

static void on_call_event(void *user, const corr_call_event_t *ev)
{
    out__writer_t *r = user;
    enc_call_event_json(&r->buf, ev);
    maybe_flush(r);
}

static void on_registration(void *user, const corr_registration_t *reg)
{
    out__writer_t *r = user;
    enc_registration_json(&r->buf, reg);
    maybe_flush(r);
}

static void on_interval(void *user, const corr_interval_event_t *ev)
{
    out__writer_t *r = user;
    enc_interval_json(&r->buf, ev);
    maybe_flush(r);
}

static void on_sip_message(void *user, const corr_sip_message_t *m)
{
    out__writer_t *r = user;
    enc_sip_message_json(&r->buf, m);
    maybe_flush(r);
}

/* ------------------------------ the consumer ----------------------------- */

static out__writer_t *writer_of(out_t *o, uint32_t shard)
{
    return o->shard ? &o->shard[shard] : &o->main;
}

static void *out_create(const void *config, const fan_env_t *env, char *err, size_t errlen)
{
    out_t *o = calloc(1, sizeof *o);
    if (!o) goto oom;
    o->cfg = *(const out_config_t *)config;
    o->main = (out__writer_t){.cfg = o->cfg};
    buf_init(&o->main.buf);
    if (!env->threaded) return o;
    o->shard = calloc(env->shards, sizeof *o->shard);
    if (!o->shard) goto oom;
    o->shards = env->shards;
    pthread_mutex_init(&o->shared.lock, NULL);
    for (uint32_t i = 0; i < o->shards; i++) {
        o->shard[i] = (out__writer_t){.cfg = o->cfg, .shared = &o->shared};
        buf_init(&o->shard[i].buf);
    }
    return o;
oom:
    if (o) buf_free(&o->main.buf);
    free(o);
    snprintf(err, errlen, "output: out of memory");
    return NULL;
}

static uint32_t out_wants(const void *self)
{
    const out_t *o = self;
    uint32_t w = FAN_WANT_CALLS | FAN_WANT_ORPHAN_STREAMS;
    if (o->cfg.format == OUT_JSON) w |= FAN_WANT_VQ_REPORTS;
    if (o->cfg.events && o->cfg.format == OUT_JSON)
        w |= FAN_WANT_CALL_EVENTS | FAN_WANT_REGISTRATIONS | FAN_WANT_INTERVALS;
    if (o->cfg.messages && o->cfg.format == OUT_JSON) w |= FAN_WANT_SIP_MESSAGES;
    return w;
}

static corr_sink_t out_shard_sink(void *self, uint32_t shard)
{
    return (corr_sink_t){.on_call = on_call,
                         .on_orphan_stream = on_orphan,
                         .user = writer_of(self, shard),
                         .on_vq_report = on_vq_report,
                         .on_call_event = on_call_event,
                         .on_registration = on_registration,
                         .on_quality_interval = on_interval,
                         .on_sip_message = on_sip_message};
}

static void out_shard_idle(void *self, uint32_t shard)
{
    writer_flush(writer_of(self, shard));
}

static void out_stats(const void *self, fan_stats_t *st)
{
    st->records = out_calls_written(self);
}

static void out_free(void *self)
{
    out_t *o = self;
    buf_free(&o->main.buf);
    for (uint32_t i = 0; i < o->shards; i++)
        buf_free(&o->shard[i].buf);
    if (o->shard) pthread_mutex_destroy(&o->shared.lock);
    free(o->shard);
    free(o);
}

const fan_consumer_ops_t out_consumer = {.name = "output",
                                         .create = out_create,
                                         .wants = out_wants,
                                         .shard_sink = out_shard_sink,
                                         .shard_idle = out_shard_idle,
                                         .stats = out_stats,
                                         .free = out_free};

void out_flush(out_t *o)
{
    writer_flush(&o->main);
}

uint64_t out_calls_written(const out_t *o)
{
    uint64_t n = o->main.calls_written;
    for (uint32_t i = 0; i < o->shards; i++)
        n += o->shard[i].calls_written;
    return n;
}

void out_summary(out_t *o, const out_summary_t *s)
{
    out__writer_t *r = &o->main;
    if (r->cfg.format == OUT_JSON) {
        out_summary_t t = *s;
        t.events = r->cfg.events;
        out_summary_json(&r->buf, &t);
    } else {
        if (out_calls_written(o) == 0) buf_printf(&r->buf, "no calls found\n");
        out_summary_text(&r->buf, s);
    }
    writer_flush(r);
}
