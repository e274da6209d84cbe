/* records.c - the correlator sink shared by `siphon analyze` and `siphon run`:
 * turns every finished call, orphan stream and unattached RFC 6035 report
 * into text (table or NDJSON) and writes the final summary.
 *
 * Design: the sink only formats into one growing buf_t and writes it out in
 * 64 KiB pieces, so a long offline run does one write per few hundred
 * records.  A live run calls app_records_flush after each batch of packets
 * so records appear as calls end.  The formatting itself is output.c.
 *
 * Events: with app_records_want_events (JSON only) the sink also takes the
 * correlator's lifecycle events (call_started, call_answered, registration,
 * quality_interval) and writes each as its own NDJSON line, in the order
 * the correlator raised them, between the records; without it those
 * callbacks stay NULL and the correlator keeps nothing for them.  Messages
 * (app_records_want_messages) likewise: every SIP message as a line.
 */
#include "app.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define RECORDS_FLUSH_AT (1 << 16)

void app_records_init(app_records_t *r, output_format_t format, bool streams_in_table, FILE *out)
{
    *r = (app_records_t){.format = format, .streams_in_table = streams_in_table, .out = out};
    buf_init(&r->buf);
}

void app_records_free(app_records_t *r)
{
    buf_free(&r->buf);
}

/* What shard writers share (app_shard_records_t). */
struct app_out_shared {
    pthread_mutex_t lock;
    bool header_done;
};

void app_records_flush(app_records_t *r)
{
    if (r->shared) {
        if (!r->buf.len) return;
        pthread_mutex_lock(&r->shared->lock);
        if (r->format == OUTPUT_TABLE && r->pending_rows && !r->shared->header_done) {
            buf_t h;
            buf_init(&h);
            output_table_header(&h);
            fwrite(h.data, 1, h.len, r->out);
            buf_free(&h);
            r->shared->header_done = true;
        }
        fwrite(r->buf.data, 1, r->buf.len, r->out);
        fflush(r->out);
        pthread_mutex_unlock(&r->shared->lock);
        r->pending_rows = false;
        buf_reset(&r->buf);
        return;
    }
    if (r->buf.len) {
        fwrite(r->buf.data, 1, r->buf.len, r->out);
        fflush(r->out);
    }
    buf_reset(&r->buf);
}

static void maybe_flush(app_records_t *r)
{
    if (r->buf.len > RECORDS_FLUSH_AT) app_records_flush(r);
}

static void on_call(void *user, const corr_call_t *call)
{
    app_records_t *r = user;
    if (r->format == OUTPUT_JSON) {
        output_call_json(&r->buf, call);
    } else {
        if (r->shared)
            r->pending_rows = true; /* the header comes with the flush */
        else if (r->calls_written == 0)
            output_table_header(&r->buf);
        output_call_table(&r->buf, call, r->streams_in_table);
    }
    r->calls_written++;
    maybe_flush(r);
}

static void on_orphan(void *user, const corr_stream_t *s)
{
    app_records_t *r = user;
    if (r->format == OUTPUT_JSON) {
        output_stream_json(&r->buf, s, true);
        buf_putc(&r->buf, '\n');
    } else {
        buf_printf(&r->buf, "orphan stream (%s, no signalling seen):\n",
                   s->orphan_proto[0] ? s->orphan_proto : "RTP");
        output_stream_table(&r->buf, s, "  ");
    }
    maybe_flush(r);
}

static void on_vq_report(void *user, const corr_vq_report_t *rep)
{
    app_records_t *r = user;
    if (r->format == OUTPUT_JSON) output_vq_report_json(&r->buf, rep);
    maybe_flush(r);
}

static void on_call_event(void *user, const corr_call_event_t *ev)
{
    app_records_t *r = user;
    output_call_event_json(&r->buf, ev);
    maybe_flush(r);
}

static void on_registration(void *user, const corr_registration_t *reg)
{
    app_records_t *r = user;
    output_registration_json(&r->buf, reg);
    maybe_flush(r);
}

static void on_interval(void *user, const corr_interval_event_t *ev)
{
    app_records_t *r = user;
    output_interval_json(&r->buf, ev);
    maybe_flush(r);
}

static void on_sip_message(void *user, const corr_sip_message_t *m)
{
    app_records_t *r = user;
    output_sip_message_json(&r->buf, m);
    maybe_flush(r);
}

void app_records_want_messages(app_records_t *r, bool on)
{
    r->messages = on;
}

void app_records_want_events(app_records_t *r, bool on)
{
    r->events = on;
}

corr_sink_t app_records_sink(app_records_t *r)
{
    corr_sink_t s = {
        .on_call = on_call, .on_orphan_stream = on_orphan, .user = r, .on_vq_report = on_vq_report};
    if (r->events && r->format == OUTPUT_JSON) {
        s.on_call_event = on_call_event;
        s.on_registration = on_registration;
        s.on_quality_interval = on_interval;
    }
    if (r->messages && r->format == OUTPUT_JSON) s.on_sip_message = on_sip_message;
    return s;
}

void app_records_summary(app_records_t *r, const run_summary_t *s)
{
    if (r->format == OUTPUT_JSON) {
        run_summary_t t = *s;
        t.events = r->events;
        output_summary_json(&r->buf, &t);
    } else {
        if (r->calls_written == 0) buf_printf(&r->buf, "no calls found\n");
        output_summary_text(&r->buf, s);
    }
    app_records_flush(r);
}

/* ------------------------- one writer per shard ------------------------- */

bool app_shard_records_init(app_shard_records_t *set, uint32_t n, const app_records_t *like)
{
    *set = (app_shard_records_t){.n = n};
    set->recs = calloc(n, sizeof *set->recs);
    set->shared = calloc(1, sizeof *set->shared);
    if (!set->recs || !set->shared) {
        free(set->recs);
        free(set->shared);
        return false;
    }
    pthread_mutex_init(&set->shared->lock, NULL);
    for (uint32_t i = 0; i < n; i++) {
        set->recs[i] = *like;
        buf_init(&set->recs[i].buf);
        set->recs[i].calls_written = 0;
        set->recs[i].pending_rows = false;
        set->recs[i].shared = set->shared;
    }
    return true;
}

corr_sink_t app_shard_records_sink(void *set, uint32_t shard)
{
    app_shard_records_t *s = set;
    return app_records_sink(&s->recs[shard]);
}

void app_shard_records_idle(void *set, uint32_t shard)
{
    app_shard_records_t *s = set;
    app_records_flush(&s->recs[shard]);
}

uint64_t app_shard_records_calls(const app_shard_records_t *set)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < set->n; i++)
        n += set->recs[i].calls_written;
    return n;
}

void app_shard_records_free(app_shard_records_t *set)
{
    for (uint32_t i = 0; i < set->n; i++)
        app_records_free(&set->recs[i]);
    if (set->shared) pthread_mutex_destroy(&set->shared->lock);
    free(set->shared);
    free(set->recs);
    *set = (app_shard_records_t){0};
}
