/* storage.h - PostgreSQL persistence (placeholder head; the storage core
 * owns everything above the search block). */
#ifndef SIPHON_STORAGE_H
#define SIPHON_STORAGE_H

#include "core.h"
#include "correlator.h"

#include <stdbool.h>
#include <stdint.h>

/* ======================================================================== */
/* Searching stored calls and drawing one call's SIP flow                    */
/* (query_args.c, query.c, ladder.c): what `siphon calls` and `siphon show`  */
/* run.  Parsing and SQL building are pure functions; values always travel  */
/* as PQexecParams parameters, never inside the SQL text.                   */
/* ======================================================================== */

/* --since / --until: a duration back from now_ns ("90s", "15m", "1h30m",
 * "2d", "1w"; units ms s m h d w) or an RFC 3339 time
 * ("2026-12-07T13:00:00Z", "...T13:00:00.250+01:00"; a date alone is its
 * midnight UTC, a time without offset is UTC).  0, or -1 with err set. */
int st_parse_when(const char *s, int64_t now_ns, int64_t *out_ns, char *err, size_t errlen);

/* A user or Call-ID pattern: '*' at the start and/or the end is a
 * wildcard, "\*" a literal star and "\\" a backslash.  "1000*" starts
 * with 1000, "*555" ends with 555, "*55*" contains 55, "10*55" starts
 * with 10 and ends with 55, no star: equal. */
typedef enum {
    ST_PAT_ANY = 0, /* "*" (or "**"): no condition */
    ST_PAT_EXACT,
    ST_PAT_PREFIX,
    ST_PAT_SUFFIX,
    ST_PAT_CONTAINS,
    ST_PAT_PREFIX_SUFFIX,
} st_pattern_kind_t;

#define ST_PATTERN_MAX 256 /* bytes of literal text */

typedef struct {
    st_pattern_kind_t kind;
    char text[ST_PATTERN_MAX + 1];   /* EXACT, PREFIX, SUFFIX, CONTAINS: the literal */
    char suffix[ST_PATTERN_MAX + 1]; /* PREFIX_SUFFIX: text is the prefix */
} st_pattern_t;

int st_parse_pattern(const char *s, st_pattern_t *p, char *err, size_t errlen);

/* What `siphon calls` asks for; unset filters are ignored. */
typedef struct {
    bool has_since, has_until;
    int64_t since_ns, until_ns; /* the call started in [since, until) */
    st_pattern_t caller, callee, call_id;
    bool has_ip;
    char ip[64]; /* address, or address/prefix length: the INVITE's source or destination */
    int state;   /* corr_call_state_t + 1; 0: any */
    int code_lo, code_hi; /* final code in [lo, hi]; 0: any */
    bool has_mos_below;
    double mos_below; /* a scored call with MOS below it */
    uint32_t limit;   /* the newest calls, at most; 0: all */
} st_calls_filter_t;

/* --state NAME, --code 503 or 5xx, --ip ADDR[/LEN], --mos-below X into f.
 * 0, or -1 with err set. */
int st_parse_state(const char *s, st_calls_filter_t *f, char *err, size_t errlen);
int st_parse_code(const char *s, st_calls_filter_t *f, char *err, size_t errlen);
int st_parse_ip(const char *s, st_calls_filter_t *f, char *err, size_t errlen);
int st_parse_mos(const char *s, st_calls_filter_t *f, char *err, size_t errlen);

/* One SIP message of a ladder.  Strings are NUL-terminated wire text (the
 * renderer makes them inert); data/len the raw message, NULL when unknown
 * (then no "(SDP)" mark and retransmissions are told by their fields). */
typedef struct {
    int64_t ts_ns;
    endpoint_t src, dst;
    bool is_request;
    const char *method; /* requests */
    int status_code;    /* responses */
    const char *reason; /* responses: reason phrase */
    uint32_t cseq;
    const char *cseq_method;
    const uint8_t *data;
    size_t len;
} st_ladder_msg_t;

typedef struct {
    unsigned width; /* columns to aim for (lanes narrow down to fit); 0: 120 */
    bool raw;       /* after the ladder, every message's text (made inert) */
} st_ladder_opts_t;

/* A text ladder (sngrep's call flow): one lane per host ip:port in order of
 * first appearance, one arrow per message, in the order given, with its
 * number, its offset from the first message and the time since the previous
 * one, method (or status and reason) and "(SDP)" when it carries one;
 * a message equal to an earlier one (same hosts, method or status, CSeq,
 * and bytes when known) is marked "retransmission".  Pure: no database. */
void st_ladder_render(buf_t *out, const st_ladder_msg_t *msgs, size_t n,
                      const st_ladder_opts_t *opts);
/* Whether message i repeats an earlier one (the renderer's rule). */
bool st_ladder_is_retransmission(const st_ladder_msg_t *msgs, size_t i);

/* The SQL of a search: text with $1..$n placeholders and the n parameter
 * values (owned), for PQexecParams.  No value ever enters the text. */
#define ST_SQL_PARAMS_MAX 16
typedef struct {
    buf_t sql;
    int n;
    char *values[ST_SQL_PARAMS_MAX];
} st_sql_t;

/* The search of f: the newest f->limit matching calls, newest first (the
 * columns st_calls_row reads).  Patterns become index-friendly predicates:
 * a prefix `x LIKE 'p%'`, a suffix `reverse(x) LIKE 'reversed%'` (the
 * reversed-text indexes of schema/README.md), with LIKE's own wildcards
 * escaped.  0, or -1 (out of memory).  st_sql_free after either. */
int st_calls_sql(const st_calls_filter_t *f, st_sql_t *q);
void st_sql_free(st_sql_t *q);

/* A connection for searching (`siphon calls`, `siphon show`) and what the
 * last search or show found. */
typedef struct st_search st_search_t;

st_search_t *st_search_open(const char *dsn, char *err, size_t errlen);
void st_search_close(st_search_t *s);

/* Runs the search of f; returns the calls found (oldest first), or -1 with
 * err. */
long st_calls_find(st_search_t *s, const st_calls_filter_t *f, char *err, size_t errlen);
/* Call i of the last search as a record for the table (output.h): no
 * streams (stream_count says how many), flags without their evidence. */
void st_calls_row(const st_search_t *s, size_t i, corr_call_t *c);
/* Call i as one NDJSON line: the call object of the `analyze --json`
 * contract (flags, dtmf, vq_reports as stored) with "call_uuid", "probe"
 * and "stream_count" instead of the "streams" list. */
void st_calls_row_json(const st_search_t *s, size_t i, buf_t *out);
/* The uuid of call i ("" when out of range). */
const char *st_calls_row_uuid(const st_search_t *s, size_t i);

/* `siphon show`: loads the call whose call_uuid is id, else the newest
 * call with Call-ID id, with its streams and its SIP messages (at most
 * ST_SHOW_MESSAGES_MAX, in capture order).  1 found, 0 not found, -1 with
 * err.  *same_id: how many stored calls have that Call-ID. */
#define ST_SHOW_MESSAGES_MAX 5000
int st_show_load(st_search_t *s, const char *id, corr_call_t *c, long *same_id, char *err,
                 size_t errlen);
/* The loaded call's uuid and probe, then the ladder of its messages
 * (st_ladder_render).  Wire text made inert.  The call's streams are in
 * the record st_show_load filled (c->streams, valid until the next load or
 * st_search_close), for the table's stream lines. */
void st_show_render(const st_search_t *s, const st_ladder_opts_t *opts, buf_t *out);

#endif /* SIPHON_STORAGE_H */
