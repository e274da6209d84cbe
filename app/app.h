/* app.h - the siphon command line: subcommands and output formatting.
 *
 * The app owns no protocol logic; it drives capture -> correlator and turns
 * the correlator's records into text (a readable table or NDJSON).
 */
#ifndef SIPHON_APP_H
#define SIPHON_APP_H

#include "capture.h"
#include "core.h"
#include "correlator.h"
#include "pipeline.h"
#include "proto.h"

#include <stdio.h>

/* Subcommands: argc/argv start at the subcommand's own name. */
int cmd_analyze(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
int cmd_run(int argc, char **argv);

/* Output formats for call and stream records (output.c). */
typedef enum { OUTPUT_TABLE = 0, OUTPUT_JSON } output_format_t;

void output_call_json(buf_t *out, const corr_call_t *call);
void output_stream_json(buf_t *out, const corr_stream_t *s, bool orphan);
void output_call_table(buf_t *out, const corr_call_t *call, bool with_streams);
void output_stream_table(buf_t *out, const corr_stream_t *s, const char *indent);
void output_table_header(buf_t *out);
/* An RFC 6035 report whose call is not in the capture (or already written). */
void output_vq_report_json(buf_t *out, const corr_vq_report_t *r);
/* Lifecycle events (README.md, "Events"): call_started / call_answered,
 * registration, quality_interval; one NDJSON line each. */
void output_call_event_json(buf_t *out, const corr_call_event_t *ev);
void output_registration_json(buf_t *out, const corr_registration_t *r);
void output_interval_json(buf_t *out, const corr_interval_event_t *ev);
/* One SIP message (README.md, "Messages"): one NDJSON line. */
void output_sip_message_json(buf_t *out, const corr_sip_message_t *m);

/* One live interface in the summary of `siphon run`. */
typedef struct {
    const char *ifname;
    cap_ring_stats_t ring;   /* cap_ring_stats at the end */
    cap_iface_stats_t iface; /* /sys counters at the end (when has_iface) */
    bool has_iface;
} run_iface_summary_t;

typedef struct {
    int files;
    int read_errors;
    double elapsed_s;
    const cap_stats_t *cap;
    const corr_stats_t *corr;
    /* live capture only (analyze leaves them 0/NULL and the summary then has
     * no "interfaces" member) */
    const run_iface_summary_t *ifaces;
    int n_ifaces;
    /* with correlator threads (else NULL/0): the summary gets "pipeline" */
    const pl_stats_t *pipeline;
    uint32_t shards, capture_threads;
    /* appended: lifecycle events were written (app_records_summary sets it):
     * the correlate section then has the registration counters */
    bool events;
} run_summary_t;

void output_summary_json(buf_t *out, const run_summary_t *s);
void output_summary_text(buf_t *out, const run_summary_t *s);

/* The correlator sink both subcommands use (records.c): formats each record
 * as it arrives into buf and writes it to out in 64 KiB pieces. */
typedef struct {
    output_format_t format;
    bool streams_in_table;
    FILE *out;
    buf_t buf;
    uint64_t calls_written;
    bool events;                   /* appended: lifecycle events too (app_records_want_events) */
    struct app_out_shared *shared; /* appended: several writers, one out */
    bool pending_rows;             /* table rows buffered, header not sure */
    bool messages;                 /* every SIP message too (app_records_want_messages) */
} app_records_t;

void app_records_init(app_records_t *r, output_format_t format, bool streams_in_table, FILE *out);
/* Lifecycle events (call started/answered, registrations, quality
 * intervals) as NDJSON lines among the records; JSON format only, off by
 * default.  Call before app_records_sink. */
void app_records_want_events(app_records_t *r, bool on);
/* Every SIP message as an NDJSON line (type "sip_message") among the
 * records; JSON format only, off by default.  Call before app_records_sink. */
void app_records_want_messages(app_records_t *r, bool on);
/* A sink whose user pointer is r (r must outlive the correlator). */
corr_sink_t app_records_sink(app_records_t *r);
/* Writes what is buffered and fflushes out. */
void app_records_flush(app_records_t *r);
/* The summary (JSON object or text line, after "no calls found" in a table
 * with no call), then a flush. */
void app_records_summary(app_records_t *r, const run_summary_t *s);
void app_records_free(app_records_t *r);

/* One app_records_t per correlator shard (pipeline.h), all writing to one
 * FILE: each shard formats into its own buffer on its own thread, and a
 * flush writes whole records under one lock (records are per call, not per
 * packet).  In a table, the header is written once, before the first call
 * row any shard flushes.  Records of different shards interleave in the
 * order they are flushed. */
typedef struct {
    app_records_t *recs;
    uint32_t n;
    struct app_out_shared *shared;
} app_shard_records_t;

/* n copies of like's settings (format, streams, events, out). */
bool app_shard_records_init(app_shard_records_t *set, uint32_t n, const app_records_t *like);
/* pl_make_sink_fn and pl_idle_fn (user = the set). */
corr_sink_t app_shard_records_sink(void *set, uint32_t shard);
void app_shard_records_idle(void *set, uint32_t shard);
uint64_t app_shard_records_calls(const app_shard_records_t *set);
void app_shard_records_free(app_shard_records_t *set);

/* The correlation stage (correlate.c): one correlator inline (shards = 0)
 * or the pipeline's shard threads; analyze and run drive both alike. */
typedef struct {
    corr_config_t corr;
    uint32_t shards;    /* 0: inline, in the producer's thread */
    uint32_t producers; /* threads that feed datagrams (0 = 1) */
    size_t queue_bytes; /* pipeline ring per producer and shard */
    bool lossless;      /* files: wait for room; live: drop and count */
} app_corr_config_t;

typedef struct app_corr app_corr_t;
typedef struct {
    app_corr_t *a;
    uint32_t producer;
} app_corr_feed_t; /* the user pointer of app_corr_on_datagram */

struct app_corr {
    corr_t *corr; /* inline */
    pl_t *pl;     /* or shards */
    app_records_t *rec;
    app_shard_records_t shard_recs;
    app_corr_feed_t *feeds; /* one per producer */
    uint32_t producers;
    bool finished;
    corr_stats_t sum;
    corr_lookahead_t la; /* inline: corr_prefetch's ring */
};

int app_corr_open(app_corr_t *a, const app_corr_config_t *cfg, app_records_t *rec, char *err,
                  size_t errlen);
/* datagram_cb_pt: user is &a->feeds[producer]. */
void app_corr_on_datagram(void *feed, const datagram_t *dg);
/* Look-ahead: frame (NULL: none) will be decoded by dec and fed to the
 * correlation stage CORR_LOOKAHEAD_DIST frames from now; called once per
 * frame decoded.  Starts loading what both will need (cap_decoder_prefetch,
 * corr_prefetch inline; shards look ahead in their own rings). */
void app_corr_prefetch(app_corr_t *a, cap_decoder_t *dec, const cap_frame_t *frame);
/* One frame of a producer through dec into the stage, with the expiry rule
 * analyze and run share: at the first frame of each new second of packet
 * time the decoder and the stage expire first.  *next_expire is the
 * producer's own (0 before its first frame). */
void app_corr_frame(app_corr_t *a, uint32_t producer, cap_decoder_t *dec, int64_t *next_expire,
                    const cap_frame_t *f);
void app_corr_expire(app_corr_t *a, uint32_t producer, int64_t now_ns);
/* Producer has nothing to submit (live, between polls): pl_idle. */
void app_corr_idle(app_corr_t *a, uint32_t producer, int64_t now_ns);
/* End of input: every call in flight is emitted (shards: joined). */
void app_corr_finish(app_corr_t *a);
const corr_stats_t *app_corr_stats(app_corr_t *a);
uint64_t app_corr_calls_written(app_corr_t *a);
void app_corr_close(app_corr_t *a);

#endif /* SIPHON_APP_H */
