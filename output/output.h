/* output.h - the table / NDJSON writer: one consumer of the fan-out
 * (fanout.h) among equals.
 *
 * out_consumer turns every finished call, orphan stream and unattached
 * RFC 6035 report, and with events on the lifecycle events, into text on
 * one FILE: a fixed-width table for people or NDJSON in the record
 * contract of encode.h.  It does no slow work (it formats into memory and
 * writes in large pieces), so it needs no worker thread: each shard
 * formats into its own buffer on its own thread, and a flush writes whole
 * records under one lock.  At the end the app asks it for the summary
 * (out_summary), written after every record.
 *
 * Public prefix out_; internal out__ (output/ has no internal header).
 */
#ifndef SIPHON_OUTPUT_H
#define SIPHON_OUTPUT_H

#include "alert.h"
#include "capture.h"
#include "core.h"
#include "correlator.h"
#include "detect.h"
#include "encode.h"
#include "fanout.h"
#include "pipeline.h"
#include "siprec.h"

#include <stdio.h>

typedef enum { OUT_TABLE = 0, OUT_JSON } out_format_t;

/* The consumer's configuration (fan_add's config). */
typedef struct {
    out_format_t format;
    bool streams_in_table; /* table: each call's streams below it */
    bool events;           /* JSON: lifecycle events among the records */
    bool messages;         /* JSON: every SIP message among the records */
    FILE *out;
    unsigned width; /* table: the columns to fit; 0: out_table_width(out) */
} out_config_t;

/* The ops table to register: fan_add(fan, &out_consumer, &out_config, ...)
 * returns the out_t the calls below take. */
extern const fan_consumer_ops_t out_consumer;

typedef struct out out_t;

/* Writes what the shards buffered (inline: shard 0) and fflushes. */
void out_flush(out_t *o);
/* Calls written so far, summed over shards (exact once they stopped). */
uint64_t out_calls_written(const out_t *o);

/* An alert_listener_fn (alert.h), user = the out_t: one incident update,
 * NDJSON (enc_alert_json) or one readable line (out_alert_text), written at
 * once under the writers' lock; callable from any thread. */
void out_alert(void *out, const alert_t *a);

/* One live interface in the summary of `siphon run`. */
typedef struct {
    const char *ifname;
    cap_ring_stats_t ring;   /* cap_ring_stats at the end */
    cap_iface_stats_t iface; /* /sys counters at the end (when has_iface) */
    bool has_iface;
} out_iface_summary_t;

/* A consumer's own counters (storage, ...): one object `name` in the JSON
 * summary, one "name: counter=value ..." line in the text summary and the
 * stats lines (counters that are not 0).  names/values: n each. */
typedef struct {
    const char *name;
    const char *const *names;
    const uint64_t *values;
    uint32_t n;
} out_counter_group_t;

/* The figures of a finished (or interrupted) run. */
typedef struct {
    int files;
    int read_errors;
    double elapsed_s;
    const cap_stats_t *cap;
    const corr_stats_t *corr;
    /* live capture only (analyze leaves them 0/NULL and the summary then has
     * no "interfaces" member) */
    const out_iface_summary_t *ifaces;
    int n_ifaces;
    /* with correlator threads (else NULL/0): the summary gets "pipeline" */
    const pl_stats_t *pipeline;
    uint32_t shards, capture_threads;
    /* the SIPREC recording server's counters (siprec.enabled; else NULL):
     * the summary gets "siprec" */
    const srs_stats_t *siprec;
    /* detection ran (analyze --alerts, run with alerts): the summary gets
     * "detect" (else NULL) */
    const det_stats_t *detect;
    /* lifecycle events were written (out_summary sets it): the correlate
     * section then has the registration counters */
    bool events;
    /* consumers' counters (NULL/0: none) */
    const out_counter_group_t *groups;
    int n_groups;
} out_summary_t;

/* After the shards stopped: the summary (JSON object, or text line after
 * "no calls found" in a table with no call), then a flush. */
void out_summary(out_t *o, const out_summary_t *s);

/* An srs_session_fn (siprec.h), user = the out_t: an ended SIPREC
 * recording session, written at once under the writers' lock (it comes
 * from the SRS's SIP thread): a "siprec_session" object in JSON, one line
 * in a table. */
void out_siprec_session(void *o, const srs_session_t *s);

/* The formatters (table.c), for people.  Every wire-controlled string
 * (Call-ID, caller, callee, User-Agent, rtpmap names) goes through
 * text_inert/text_cell (core.h), so no byte from the network reaches a
 * terminal as a control. */

#define OUT_TABLE_WIDTH_DEFAULT 120 /* not a terminal and no COLUMNS */
#define OUT_TABLE_WIDTH_MAX     1000

/* The columns of the table for one output width. */
typedef struct {
    unsigned width;      /* what rows and wrapped detail lines fit */
    unsigned name_w;     /* CALLER and CALLEE */
    unsigned id_w;       /* CALL-ID, the last column (cut with '~') */
    bool date;           /* START has the date (else the time of day) */
    bool setup, streams; /* the SETUP ms and STREAMS columns are shown */
} out_table_layout_t;

/* The width to fit: COLUMNS when set to a number (POSIX: it overrides the
 * terminal's), else the terminal's (TIOCGWINSZ) when out is one, else
 * OUT_TABLE_WIDTH_DEFAULT.  Read once: a live table keeps its layout. */
unsigned out_table_width(FILE *out);
/* Columns for width: every column when it fits (103 and more), else
 * without SETUP ms, then STREAMS, then the date; below 75 the narrowest
 * layout, wider than width. */
void out_table_layout(out_table_layout_t *l, unsigned width);
void out_table_header(buf_t *out, const out_table_layout_t *l);
/* One call's row; under it its problems (with direction), and with
 * with_streams the full Call-ID, User-Agent, From and To URIs and stream
 * lines (detail lines wrap at the layout's width). */
void out_call_table(buf_t *out, const corr_call_t *call, bool with_streams,
                    const out_table_layout_t *l);
void out_stream_table(buf_t *out, const corr_stream_t *s, const char *indent,
                      const out_table_layout_t *l);
void out_summary_json(buf_t *out, const out_summary_t *s);
/* width: the table's columns, counter lines wrapped to it (0: not wrapped). */
void out_summary_text(buf_t *out, const out_summary_t *s, unsigned width);
/* An alert as one line for people: "ALERT phase severity type src -> dst
 * [user] count, the summary", every wire-controlled string through
 * text_inert. */
void out_alert_text(buf_t *out, const alert_t *a);
/* One line per counter group (decode, correlate, pipeline), "name=value"
 * for each counter that is not 0, each line starting with prefix. */
void out_counters_text(buf_t *out, const char *prefix, const out_summary_t *s);

/* The progress line of an import (progress.c), for a terminal: a bar,
 * bytes read of the total, packets, calls, with storage the rows stored,
 * and the rate of calls.  Starts with '\r' and rewrites the line; final
 * ends it with a newline. */
typedef struct {
    uint64_t bytes_read, bytes_total, packets, calls;
    bool storing;    /* the figures below mean something */
    uint64_t stored; /* rows the database took */
    double elapsed_s;
} out_progress_t;

void out_progress_line(buf_t *out, const out_progress_t *p, bool final);

#endif /* SIPHON_OUTPUT_H */
