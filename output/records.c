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
 * Table order: calls are finished (and handed here) in the order they end,
 * but people read a table by start time.  A table writer therefore keeps
 * where each buffered record lies in buf with its start time (a call's
 * first INVITE, an orphan stream's first packet) and writes a flush's
 * records sorted by it: rows are in start-time order within what one
 * flush holds (offline, 64 KiB of text at a time; live, what a
 * shard finished since it last ran dry).  NDJSON keeps the order the
 * correlator gave.  The table's width is fixed when the consumer is
 * created (output.h, out_table_width).
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
 * written once, before the first call row any writer flushes.  Records of
 * different shards interleave in the order they are flushed.  The summary
 * is written by the main writer after the shards stopped.
 */
#include "output.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define RECORDS_FLUSH_AT (1 << 16)

/* What the writers of one output share. */
typedef struct {
    pthread_mutex_t lock;
    bool header_done;
} out__shared_t;

/* A table record buffered for a flush: its bytes in the writer's buf and
 * the time it is ordered by. */
typedef struct {
    int64_t key;     /* the call's start, the orphan stream's first packet */
    uint32_t seq;    /* formatting order, for equal keys */
    bool call;       /* a call row: the header goes before the first */
    size_t off, len; /* in buf */
} out__row_t;

/* One writer: formats into buf, writes to cfg.out. */
typedef struct {
    out_config_t cfg;
    out_table_layout_t layout;
    buf_t buf;
    uint64_t calls_written;
    out__shared_t *shared;
    out__row_t *rows; /* table: the records in buf, sorted at a flush */
    uint32_t nrows, rows_cap;
    bool loose_call; /* a call row in buf with no out__row_t (no memory) */
} out__writer_t;

struct out {
    out_config_t cfg;
    out__writer_t main;   /* inline: the only writer; else the summary's */
    out__writer_t *shard; /* with correlator threads: one per shard */
    uint32_t shards;
    out__shared_t shared;
};

static int row_cmp(const void *a, const void *b)
{
    const out__row_t *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Writes what buf holds under the shared lock: a table's records in
 * start-time order (after the header, before the first call row ever),
 * anything else as it is. */
static void writer_flush(out__writer_t *r)
{
    if (!r->buf.len) {
        r->nrows = 0;
        return;
    }
    bool calls = r->loose_call;
    for (uint32_t i = 0; i < r->nrows; i++)
        calls |= r->rows[i].call;
    if (r->nrows > 1) qsort(r->rows, r->nrows, sizeof *r->rows, row_cmp);
    pthread_mutex_lock(&r->shared->lock);
    if (r->cfg.format == OUT_TABLE && calls && !r->shared->header_done) {
        buf_t h;
        buf_init(&h);
        out_table_header(&h, &r->layout);
        fwrite(h.data, 1, h.len, r->cfg.out);
        buf_free(&h);
        r->shared->header_done = true;
    }
    if (r->nrows)
        for (uint32_t i = 0; i < r->nrows; i++)
            fwrite(r->buf.data + r->rows[i].off, 1, r->rows[i].len, r->cfg.out);
    else
        fwrite(r->buf.data, 1, r->buf.len, r->cfg.out);
    fflush(r->cfg.out);
    pthread_mutex_unlock(&r->shared->lock);
    r->nrows = 0;
    r->loose_call = false;
    buf_reset(&r->buf);
}

static void maybe_flush(out__writer_t *r)
{
    if (r->buf.len > RECORDS_FLUSH_AT) writer_flush(r);
}

/* Room for one more table record; false (nothing buffered) when there is
 * no memory for it, and the record is then written on its own. */
static bool row_reserve(out__writer_t *r)
{
    if (r->nrows < r->rows_cap) return true;
    uint32_t cap = r->rows_cap ? 2 * r->rows_cap : 64;
    out__row_t *n = realloc(r->rows, cap * sizeof *n);
    if (n) {
        r->rows = n;
        r->rows_cap = cap;
        return true;
    }
    writer_flush(r);
    return r->nrows < r->rows_cap;
}

/* After a table record was formatted at buf offset off. */
static void row_add(out__writer_t *r, bool have_row, int64_t key, bool call, size_t off)
{
    if (have_row) {
        r->rows[r->nrows] = (out__row_t){
            .key = key, .seq = r->nrows, .call = call, .off = off, .len = r->buf.len - off};
        r->nrows++;
        maybe_flush(r);
    } else {
        r->loose_call |= call;
        writer_flush(r);
    }
}

static void on_call(void *user, const corr_call_t *call)
{
    out__writer_t *r = user;
    r->calls_written++;
    if (r->cfg.format == OUT_JSON) {
        enc_call_json(&r->buf, call);
        maybe_flush(r);
        return;
    }
    bool have_row = row_reserve(r);
    size_t off = r->buf.len;
    out_call_table(&r->buf, call, r->cfg.streams_in_table, &r->layout);
    row_add(r, have_row, call->start_ts_ns, true, off);
}

static void on_orphan(void *user, const corr_stream_t *s)
{
    out__writer_t *r = user;
    if (r->cfg.format == OUT_JSON) {
        enc_stream_json(&r->buf, s, true);
        buf_putc(&r->buf, '\n');
        maybe_flush(r);
        return;
    }
    bool have_row = row_reserve(r);
    size_t off = r->buf.len;
    buf_printf(&r->buf, "orphan stream (");
    text_inert_cstr(&r->buf, s->orphan_proto[0] ? s->orphan_proto : "RTP");
    buf_printf(&r->buf, ", no signalling seen):\n");
    out_stream_table(&r->buf, s, "  ", &r->layout);
    row_add(r, have_row, s->stats.first_ts_ns, false, off);
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
    out_table_layout_t layout;
    out_table_layout(&layout, o->cfg.width ? o->cfg.width : out_table_width(o->cfg.out));
    pthread_mutex_init(&o->shared.lock, NULL);
    o->main = (out__writer_t){.cfg = o->cfg, .layout = layout, .shared = &o->shared};
    buf_init(&o->main.buf);
    if (!env->threaded) return o;
    o->shard = calloc(env->shards, sizeof *o->shard);
    if (!o->shard) goto oom;
    o->shards = env->shards;
    for (uint32_t i = 0; i < o->shards; i++) {
        o->shard[i] = (out__writer_t){.cfg = o->cfg, .layout = layout, .shared = &o->shared};
        buf_init(&o->shard[i].buf);
    }
    return o;
oom:
    if (o) {
        buf_free(&o->main.buf);
        pthread_mutex_destroy(&o->shared.lock);
    }
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
    free(o->main.rows);
    for (uint32_t i = 0; i < o->shards; i++) {
        buf_free(&o->shard[i].buf);
        free(o->shard[i].rows);
    }
    pthread_mutex_destroy(&o->shared.lock);
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
    writer_flush(r); /* the records before it */
    if (r->cfg.format == OUT_JSON) {
        out_summary_t t = *s;
        t.events = r->cfg.events;
        out_summary_json(&r->buf, &t);
    } else {
        if (out_calls_written(o) == 0) buf_printf(&r->buf, "no calls found\n");
        out_summary_text(&r->buf, s, r->layout.width);
    }
    writer_flush(r);
}

void out_siprec_session(void *user, const srs_session_t *s)
{
    out_t *o = user;
    buf_t b;
    buf_init(&b);
    if (o->cfg.format == OUT_JSON) {
        enc_siprec_session_json(&b, s);
    } else {
        uint64_t packets = 0;
        int64_t lost = 0;
        for (uint32_t i = 0; i < s->n_streams; i++) {
            packets += s->streams[i].packets;
            lost += s->streams[i].lost;
        }
        char ip[IP_STR_MAX];
        ip_addr_format(&s->src.ip, ip, sizeof ip);
        buf_printf(&b, "siprec "); /* the Call-ID is the SRC's: made inert */
        text_inert_cstr(&b, s->call_id);
        buf_printf(&b, " from %s: %s, %u participant%s, %u stream%s, %llu packets (%lld lost)\n",
                   ip, s->state, s->n_participants, s->n_participants == 1 ? "" : "s", s->n_streams,
                   s->n_streams == 1 ? "" : "s", (unsigned long long)packets, (long long)lost);
    }
    pthread_mutex_lock(&o->shared.lock);
    fwrite(b.data, 1, b.len, o->cfg.out);
    fflush(o->cfg.out);
    pthread_mutex_unlock(&o->shared.lock);
    buf_free(&b);
}

/* An alert (alert.h) from the detection thread: formatted on that thread
 * and written at once under the writers' lock (alerts are rare next to
 * records, and a person watching wants them now). */
void out_alert(void *self, const alert_t *a)
{
    out_t *o = self;
    buf_t b;
    buf_init(&b);
    if (o->cfg.format == OUT_JSON)
        enc_alert_json(&b, a);
    else
        out_alert_text(&b, a);
    pthread_mutex_lock(&o->shared.lock);
    fwrite(b.data, 1, b.len, o->cfg.out);
    fflush(o->cfg.out);
    pthread_mutex_unlock(&o->shared.lock);
    buf_free(&b);
}
