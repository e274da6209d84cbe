/* storage.h - every call, stream, SIP message and registration in
 * PostgreSQL, written without ever slowing capture.
 *
 *   shard s: corr_sink_t ─▶ st shard s: COPY rows into an owned chunk ─▶ fan_worker queue s
 *                                                                              │
 *   writer threads (storage.writers fan_worker_t, a connection each; a shard's chunks go to
 *   them in turn): chunks ─▶ batch (rows / delay) ─▶ libpq: COPY into temp
 *     staging tables, INSERT ... ON CONFLICT DO NOTHING, one transaction per batch
 *                          └─ database away or batch failed ─▶ spool (segment files,
 *                             CRC per record) ─▶ replayed in order once it is back
 *
 * Three parts, one header:
 *  - the consumer (st_consumer, a fan_consumer_ops_t): per-shard sinks turn
 *    records into rows of the schema (schema/README.md) in PostgreSQL's COPY
 *    text format, with stable keys (st_ids.c) so a replay or a second
 *    import never duplicates a row; writer threads batch them.  The
 *    correlator never waits for the database: files wait for room in the
 *    bounded queue (lossless), live capture drops and counts.
 *  - the schema (migrate.c): the migrations of schema/, embedded at build
 *    time, applied by `siphon db migrate` or at start-up (auto_migrate);
 *    `siphon db status`.
 *  - the embedded server (server.c): with no dsn, a private PostgreSQL
 *    cluster (Debian's binaries) under data_dir, listening only on a Unix
 *    socket in run_dir, a child of siphon that stops with it, also when
 *    siphon is killed (parent-death signal).
 *
 * Public prefix st_; internal st__ (st_internal.h).
 */
#ifndef SIPHON_STORAGE_H
#define SIPHON_STORAGE_H

#include "alert.h"
#include "core.h"
#include "fanout.h"
#include "siprec.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { ST_MIGRATE_EMBEDDED = 0, ST_MIGRATE_ALWAYS, ST_MIGRATE_NEVER } st_migrate_t;
typedef enum { ST_FSYNC_ALWAYS = 0, ST_FSYNC_BATCH, ST_FSYNC_NEVER } st_fsync_t;

#define ST_SKIP_METHODS_MAX 16
#define ST_WRITERS_MAX      16

/* The [storage] section (app/config_map.c fills it; strings borrowed). */
typedef struct {
    const char *dsn;         /* "" = the embedded server (st_server_t gives the dsn) */
    bool embedded;           /* dsn came from st_server_dsn (auto_migrate "embedded") */
    const char *data_dir;    /* embedded cluster */
    const char *run_dir;     /* embedded socket directory */
    const char *pg_user;     /* embedded server's user when siphon is root */
    const char *pg_bin;      /* initdb, postgres */
    const char *client_user; /* embedded: the user siphon connects as after dropping
                                privileges (capture.user; "" = this process's user) */
    const char *probe;       /* "" = host name */
    st_migrate_t auto_migrate;
    int64_t retention_ns;            /* 0 = keep everything */
    int64_t maintenance_interval_ns; /* 0 = no periodic maintenance (analyze) */
    bool maintain_at_start;          /* run: partitions ahead + retention at start */
    uint32_t batch_rows;
    int64_t batch_delay_ns;
    uint32_t queue;   /* chunks per shard queue (shared by the writers' queues) */
    uint32_t writers; /* writer threads, each with its own connection (1..ST_WRITERS_MAX) */
    const char *spool_dir;
    uint64_t spool_max;
    st_fsync_t spool_fsync;
    const char *skip_methods[ST_SKIP_METHODS_MAX];
    uint32_t n_skip_methods;
    int64_t connect_timeout_ns;
} st_config_t;

void st_config_default(st_config_t *c);

/* ------------------------------------------------------------------------
 * The consumer.  fan_add(fan, &st_consumer, &st_config, ...) returns the
 * st_t; the app asks it for its counters (st_stats) for the stats lines
 * and the summary.
 * ------------------------------------------------------------------------ */

extern const fan_consumer_ops_t st_consumer;
typedef struct st st_t;

/* The writer's counters, one X(name) each; the summary's "storage" object
 * and the stats lines expand this one list. */
#define ST_STATS_COUNTERS(X)                                                                       \
    X(rows_queued)        /* rows handed to the writer */                                          \
    X(chunks_dropped)     /* live: the writer's queue was full (chunks) */                         \
    X(rows_dropped)       /* ... and the rows in them */                                           \
    X(queue_waits)        /* files: a shard waited for room */                                     \
    X(queue_depth)        /* chunks waiting for the writer now */                                  \
    X(batches)            /* batches committed to the database */                                  \
    X(rows_written)       /* rows inserted */                                                      \
    X(rows_duplicate)     /* rows already there (replay, second import) */                         \
    X(batch_failures)     /* batches the database refused or could not take */                     \
    X(messages_skipped)   /* SIP messages of storage.skip_methods */                               \
    X(spooled_batches)    /* batches written to the spool */                                       \
    X(spool_bytes)        /* bytes in the spool now */                                             \
    X(spool_refused)      /* batches refused: spool_max reached (their rows are lost) */           \
    X(spool_rows_refused) /* ... rows in them */                                                   \
    X(replayed_batches)   /* spooled batches written after the database came back */               \
    X(spool_corrupt)      /* spool records with a bad length or checksum, skipped */               \
    X(reconnects)         /* connections made after a failure */                                   \
    X(partitions_created) /* daily partitions made */                                              \
    X(partitions_dropped) /* daily partitions dropped by retention */

typedef struct {
#define ST_STATS_FIELD(name) uint64_t name;
    ST_STATS_COUNTERS(ST_STATS_FIELD)
#undef ST_STATS_FIELD
} st_stats_t;

#define ST_STATS_ONE(name) +1
enum { ST_STATS_N = 0 ST_STATS_COUNTERS(ST_STATS_ONE) };
#undef ST_STATS_ONE

/* The counters' names, in ST_STATS_COUNTERS order (ST_STATS_N). */
extern const char *const st_stats_names[];

/* A snapshot (any thread). */
void st_stats(const st_t *s, st_stats_t *out);

/* An alert_listener_fn (alert.h) for the alert hub, user = the st_t (after
 * fan_start): every incident update becomes a row of `alerts`.  Any
 * thread; it copies the alert into the writer's alert queue (live: full
 * means dropped and counted in chunks_dropped/rows_dropped). */
void st_alert_listener(void *user, const alert_t *a);

/* A recording of a call (the packet store, the SIPREC server): a row of
 * `recordings`, linked to the call by call_key (the same call_uuid as the
 * call's row).  locations_json is one JSON value saying where it is (the
 * store's segments and offsets).  Any thread, after fan_start; copied. */
typedef struct {
    uint64_t call_key;
    const char *call_id;
    int64_t start_ns; /* its first packet */
    const char *kind; /* "packets", "audio", "siprec" */
    const char *locations_json;
    uint64_t bytes;
} st_recording_t;
void st_recording_add(st_t *s, const st_recording_t *r);

/* An ended SIPREC recording session (siprec.h, the SRS's session listener):
 * rows of siprec_sessions, siprec_participants and siprec_streams
 * (siprec_rows.c), through the writer like every other row.  Any thread,
 * after fan_start; copied. */
void st_siprec_add(st_t *s, const srs_session_t *session);

/* `siphon siprec list`: the newest limit sessions (0: all) that started in
 * [since, until), oldest first, as text (values made inert) or NDJSON
 * (one object per session: ids, times, state, source, counts, the
 * participants' AORs, the recorded Call-IDs and the uuids of the observed
 * calls they name).  Sessions found, or -1 with err (siprec_query.c). */
typedef struct {
    bool has_since, has_until;
    int64_t since_ns, until_ns;
    uint32_t limit;
} st_siprec_filter_t;
long st_siprec_list(const char *dsn, const st_siprec_filter_t *f, bool json, buf_t *out, char *err,
                    size_t errlen);
/* `siphon siprec show ID`: the session whose uuid is id, else the newest
 * with that Call-ID, with its participants and streams (and, with xml, its
 * last metadata document).  1 found, 0 not found, -1 with err. */
int st_siprec_show(const char *dsn, const char *id, bool json, bool xml, buf_t *out, char *err,
                   size_t errlen);

/* ------------------------------------------------------------------------
 * The schema (migrate.c)
 * ------------------------------------------------------------------------ */

/* The newest schema version this binary knows. */
int st_schema_version_known(void);

/* Connects to dsn and applies every migration newer than the database's
 * version, each in one transaction.  Refuses a database whose version is
 * newer than known.  0, or -1 with err. *from / *to: versions before and
 * after (may be NULL). */
int st_migrate(const char *dsn, int *from, int *to, char *err, size_t errlen);

/* `siphon db status`: version, partitions, row counts and sizes, as text
 * (or JSON when json) appended to out.  0, or -1 with err. */
int st_status(const char *dsn, bool json, buf_t *out, char *err, size_t errlen);

/* Maintenance once (`siphon db maintain`, and the writer's periodic run):
 * partitions of today and tomorrow made ahead, partitions older than
 * retention_ns dropped (0: none).  Counts in *made / *dropped. */
int st_maintain(const char *dsn, int64_t retention_ns, int64_t now_ns, uint32_t *made,
                uint32_t *dropped, char *err, size_t errlen);

/* ------------------------------------------------------------------------
 * The embedded server (server.c)
 * ------------------------------------------------------------------------ */

typedef struct st_server st_server_t;

/* Starts the embedded PostgreSQL (initdb on first use, database `siphon`
 * created) or joins one that another live siphon started on data_dir; an
 * orphaned or stale postmaster of a dead siphon is stopped first.  Call it
 * before dropping privileges.  NULL with err on failure. */
st_server_t *st_server_start(const st_config_t *cfg, char *err, size_t errlen);
/* Makes storage.spool_dir (owned by client_user when root): call it
 * before dropping privileges.  0, or -1 with err. */
int st_prepare_spool(const st_config_t *cfg, char *err, size_t errlen);
/* The libpq connection string of the server (valid until st_server_stop). */
const char *st_server_dsn(const st_server_t *s);
/* Fast shutdown and wait, when this process started it; then frees it. */
void st_server_stop(st_server_t *s);

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

/* `siphon show`: the SIPREC sessions that recorded the loaded call
 * (siprec_session_calls) as a "SIPREC" section: each session's SRS
 * Call-ID, SRC, times, state, participants, streams and the commands that
 * give its metadata, audio and pcap; wire text made inert, nothing when
 * none.  Sessions found, or -1 with err (siprec_query.c). */
int st_show_siprec(st_search_t *s, buf_t *out, char *err, size_t errlen);
/* The dashboard: the SIPREC sessions that recorded call call_uuid (since:
 * its start as PostgreSQL text, NULL or "" read from calls) appended to out
 * as one JSON array of objects: session_uuid, call_id (the SRS's), start_ts,
 * end_ts, state, src_ip, src_port, transport, matched_by, recorded_call_ids,
 * packets, lost, mos_min, metadata_updates, metadata_xml_bytes,
 * metadata_xml (null unless with_xml), participants [{id, aor, name, role}],
 * streams [{label, codec, port, packets, lost, jitter_ms, mos, srtp,
 * srtp_suite, sender, sender_id}].  0, or -1 with err (siprec_query.c). */
int st_siprec_call_json(st_search_t *s, const char *call_uuid, const char *since, bool with_xml,
                        buf_t *out, char *err, size_t errlen);

/* sip_messages.raw as stored (schema/0005, 0006): raw_format 0, the
 * message's bytes as captured; 1, a raw deflate stream (RFC 1951) with the
 * preset dictionary storage/sip_dictionary.txt (LF line ends made CRLF); 2,
 * a zstd frame (RFC 8878) without its 4-byte magic number, compressed with
 * the dictionary storage/sip_zstd.dict.  len is the message's length
 * (sip_messages.len).  The message into out (reset first): 0, or -1 when
 * the stored value does not decode to exactly len bytes (corrupt, trailing
 * bytes, or a format this siphon does not know). */
#define ST_RAW_LEN_MAX (1u << 20)
int st_raw_unpack(int raw_format, const void *stored, size_t n, size_t len, buf_t *out);

/* The dashboard's ladder: the messages of call call_uuid (at most
 * ST_SHOW_MESSAGES_MAX, in capture order; since: the call's start time as
 * PostgreSQL text, so only the partitions from it on are read; NULL or ""
 * all) appended to b as one JSON array
 * of objects: msg_id, ts (RFC 3339), ts_us, src_ip, src_port, dst_ip,
 * dst_port, transport, is_request, method, status_code, reason, cseq,
 * cseq_method, user_agent, parse, raw (the message's text; invalid UTF-8
 * as U+FFFD).  0, or -1 with err. */
int st_call_messages_json(st_search_t *s, const char *call_uuid, const char *since, buf_t *b,
                          char *err, size_t errlen);

#endif /* SIPHON_STORAGE_H */
