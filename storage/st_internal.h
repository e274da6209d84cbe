/* st_internal.h - storage/'s own types: the embedded migrations, the
 * tables as the writer sees them, chunks of COPY rows, stable ids, the
 * COPY text encoders, the spool and the writer.  Not for other components.
 */
#ifndef SIPHON_ST_INTERNAL_H
#define SIPHON_ST_INTERNAL_H

#include "correlator.h"
#include "encode.h"
#include "storage.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>

/* --- the migrations of schema/ (st_migrations.c, generated) --- */
typedef struct {
    int version;
    const char *name;
    const char *sql;
} st__migration_t;
extern const st__migration_t st__migrations[];
extern const size_t st__n_migrations;

/* --- the tables the writer fills (tables.c) --- */
typedef enum {
    ST__CALLS = 0,
    ST__STREAMS,
    ST__INTERVALS,
    ST__MESSAGES,
    ST__REGISTRATIONS,
    ST__ALERTS,
    ST__RECORDINGS,
    ST__SIPREC_SESSIONS, /* siprec_rows.c */
    ST__SIPREC_PARTICIPANTS,
    ST__SIPREC_STREAMS,
    ST__NTABLES
} st__table_t;

typedef struct {
    const char *name;    /* the partitioned table */
    const char *stage;   /* its temp staging table */
    const char *columns; /* the COPY column list, in the order rows are written */
    /* the list an older siphon wrote (rows spooled before an upgrade), told
     * apart by its number of columns; NULL: none */
    const char *old_columns;
} st__table_def_t;
extern const st__table_def_t st__tables[ST__NTABLES];
/* The siprec tables' COPY columns (siprec_rows.c writes them in this order). */
#define ST__SIPREC_SESSIONS_COLUMNS                                                                \
    "session_uuid,start_ts,probe,call_id,end_ts,state,src_ip,src_port,transport,"                  \
    "recorded_call_ids,participant_count,stream_count,packets,lost,mos_min,metadata_updates,"      \
    "metadata_truncated,metadata_xml,metadata_xml_bytes,extensions"
#define ST__SIPREC_PARTICIPANTS_COLUMNS "session_uuid,start_ts,idx,participant_id,aor,name,role"
#define ST__SIPREC_STREAMS_COLUMNS                                                                 \
    "session_uuid,start_ts,idx,label,stream_id,codec,payload_type,clock_rate,port,srtp,"           \
    "srtp_suite,packets,bytes,rtcp_packets,lost,jitter_ms,mos,srtp_auth_failures,malformed,"       \
    "socket_drops,first_ts,last_ts,pauses,sender_id,sender_aor"

/* --- chunks of rows (chunk.c) ---
 * A chunk holds rows of every table in COPY text format (one line per row)
 * and the UTC days (days since 1970-01-01) they fall on, so the writer can
 * make those days' partitions first.  A shard fills one and hands it to
 * the writer; the writer merges chunks into a batch; a spooled batch is a
 * serialised chunk. */
#define ST__DAYS_MAX 32
typedef struct {
    buf_t rows[ST__NTABLES];
    uint32_t n[ST__NTABLES];
    uint32_t total;
    uint32_t n_days;
    int32_t days[ST__DAYS_MAX];
} st__chunk_t;

void st__chunk_init(st__chunk_t *c);
void st__chunk_free(st__chunk_t *c);
void st__chunk_reset(st__chunk_t *c);
size_t st__chunk_bytes(const st__chunk_t *c);
/* Notes the day of ts_ns; false when the chunk already has ST__DAYS_MAX
 * other days (hand it over first). */
bool st__chunk_day(st__chunk_t *c, int64_t ts_ns);
/* Appends src's rows to dst; false when their days do not fit. */
bool st__chunk_merge(st__chunk_t *dst, const st__chunk_t *src);
/* The spool's record payload and back; false: malformed (counted as
 * corrupt by the caller). */
void st__chunk_serialize(const st__chunk_t *c, buf_t *out);
bool st__chunk_parse(st__chunk_t *c, const uint8_t *p, size_t len);
/* The UTC day of a time in ns (floor). */
int32_t st__day_of(int64_t ts_ns);

/* --- stable ids (ids.c) --- */
typedef struct {
    uint8_t b[16];
} st__uuid_t;
/* A UUIDv8 (RFC 9562) from a keyed 128-bit hash of (probe, kind, key bytes). */
st__uuid_t st__uuid(const char *probe, const char *kind, const void *key, size_t len);
/* 64-bit id (signed for PostgreSQL bigint) of some bytes. */
int64_t st__id64(const void *key, size_t len, uint64_t seed);

/* --- COPY text format (copy.c): one value each, tab-separated --- */
void st__copy_sep(buf_t *b);  /* a tab */
void st__copy_end(buf_t *b);  /* the row's newline */
void st__copy_null(buf_t *b); /* \N */
/* Text: bytes that are not well-formed UTF-8 become U+FFFD, NUL too
 * (PostgreSQL text can hold neither); backslash, tab, newline and CR are
 * escaped.  NULL or "" with null_empty writes \N. */
void st__copy_text(buf_t *b, const char *p, size_t n);
void st__copy_cstr(buf_t *b, const char *s, bool null_empty);
void st__copy_sv(buf_t *b, sv_t s, bool null_empty);
void st__copy_ts(buf_t *b, int64_t ts_ns); /* <= 0: \N */
void st__copy_int(buf_t *b, int64_t v);
/* decimals as the JSON contract rounds (< 0: full precision); NaN/inf, and
 * negative values when null_negative (the contract's "unknown"): \N */
void st__copy_double(buf_t *b, double v, int decimals, bool null_negative);
void st__copy_bool(buf_t *b, bool v);
void st__copy_inet(buf_t *b, const ip_addr_t *a); /* IP_NONE: \N */
void st__copy_port(buf_t *b, const endpoint_t *e);
void st__copy_bytea(buf_t *b, const void *p, size_t n);     /* escape format */
void st__copy_bytea_hex(buf_t *b, const void *p, size_t n); /* hex format */
void st__copy_uuid(buf_t *b, const st__uuid_t *u);

/* --- raw SIP messages compressed (sipz.c) --- */
extern const unsigned char st__sip_dictionary[];
extern const size_t st__sip_dictionary_len;
extern const unsigned char st__sip_zstd_dict[]; /* storage/sip_zstd.dict */
extern const size_t st__sip_zstd_dict_len;
#define ST__RAW_PLAIN   0
#define ST__RAW_DEFLATE 1 /* read only */
#define ST__RAW_ZSTD    2
typedef struct st__sipz st__sipz_t;
st__sipz_t *st__sipz_new(void); /* NULL: out of memory (then stored plain) */
void st__sipz_free(st__sipz_t *z);
/* Compresses p into out (reset first); the raw_format to store: 2, or 0
 * (out then empty) when compressing does not make it smaller or z is NULL. */
int st__sipz_pack(st__sipz_t *z, const void *p, size_t n, buf_t *out);

/* --- a stream's quality object as streams.quality stores it (quality_row.c) --- */
void st__quality_json(buf_t *out, const corr_stream_t *s);
/* The E-model source sentences stored by key (schema/0006
 * siphon_emodel_sources: the same list). */
typedef struct {
    const char *key, *source;
} st__emodel_source_t;
extern const st__emodel_source_t st__emodel_sources[];
extern const size_t st__n_emodel_sources;

/* --- rows of the records (rows.c) --- */
typedef struct {
    const char *probe;
    buf_t json; /* scratch for the JSON columns */
    buf_t z;    /* scratch for a compressed message */
    st__sipz_t *sipz;
} st__rowctx_t;
/* A call with its streams and their quality intervals. */
void st__rows_call(st__rowctx_t *x, st__chunk_t *c, const corr_call_t *call);
void st__rows_orphan(st__rowctx_t *x, st__chunk_t *c, const corr_stream_t *s);
void st__rows_message(st__rowctx_t *x, st__chunk_t *c, const corr_sip_message_t *m);
void st__rows_registration(st__rowctx_t *x, st__chunk_t *c, const corr_registration_t *r);
void st__rows_alert(st__rowctx_t *x, st__chunk_t *c, const alert_t *a);
void st__rows_recording(st__rowctx_t *x, st__chunk_t *c, const st_recording_t *r);
/* An ended SIPREC session with its participants and streams (siprec_rows.c). */
void st__rows_siprec(st__rowctx_t *x, st__chunk_t *c, const srs_session_t *s);

/* --- database helpers (db.c) --- */
/* Connects (connect_timeout) and sets the session up; NULL with err. */
PGconn *st__connect(const char *dsn, int64_t timeout_ns, char *err, size_t errlen);
/* Runs sql (no result rows wanted); 0 or -1 with err. */
int st__exec(PGconn *c, const char *sql, char *err, size_t errlen);
/* The schema version of the database (0: none). 0 or -1. */
int st__version(PGconn *c, int *v, char *err, size_t errlen);
int st__migrate_conn(PGconn *c, int *from, int *to, char *err, size_t errlen);
/* Schema check at start-up: refuses a newer schema, migrates an older one
 * when migrate, else refuses it too. */
int st__check_schema(PGconn *c, bool migrate, char *err, size_t errlen);

/* --- the search connection (query.c), for show-side readers --- */
PGconn *st__search_conn(st_search_t *s);
/* The uuid of the call st_show_load loaded (NULL when none). */
const char *st__show_uuid(const st_search_t *s);

/* --- the spool (spool.c) --- */
typedef struct st__spool st__spool_t;
st__spool_t *st__spool_open(const char *dir, uint64_t max_bytes, st_fsync_t fsync_policy, char *err,
                            size_t errlen);
void st__spool_close(st__spool_t *s);
/* Appends one record; 0, 1 refused (spool_max reached), -1 I/O error. */
int st__spool_append(st__spool_t *s, const void *p, size_t n);
/* The oldest record not yet committed into out: 1, or 0 when the spool is
 * empty.  Records with a bad length or checksum are skipped, logged and
 * counted in *corrupt. */
int st__spool_peek(st__spool_t *s, buf_t *out, uint64_t *corrupt);
/* The record peek returned was stored: the next peek gives the one after
 * (a segment whose records are all committed is deleted). */
void st__spool_commit(st__spool_t *s);
bool st__spool_empty(const st__spool_t *s);
/* spool_fsync = batch: makes what was appended since the last call durable. */
void st__spool_sync(st__spool_t *s);
uint64_t st__spool_bytes(const st__spool_t *s);

/* --- the counters, shared by the shards and the writer thread --- */
typedef struct {
#define ST__ATOMIC_FIELD(name) _Atomic uint64_t name;
    ST_STATS_COUNTERS(ST__ATOMIC_FIELD)
#undef ST__ATOMIC_FIELD
} st__counters_t;

/* --- the writers (writer.c) ---
 * storage.writers threads, each a fan_worker_t with a connection of its
 * own, so PostgreSQL's work per batch runs on as many backends in
 * parallel.  What they share: */
#define ST__KNOWN_DAYS 256
typedef struct {
    /* the spool (one for all: while it holds anything every writer appends
     * there, so a writer's batches stay in order) and the days written */
    pthread_mutex_t lock;
    st__spool_t *spool;
    int32_t days[ST__KNOWN_DAYS]; /* the days batches touched, ANALYZEd at stop */
    uint32_t n_days;
    pthread_mutex_t replay; /* held by the one writer replaying the spool */
    /* DDL against batches: a writer makes partitions, migrates or runs
     * maintenance holding it for writing, with no transaction of its own
     * open; batches hold it for reading.  A batch's COPY into a parent
     * table never waits on a CREATE TABLE ... PARTITION OF of another
     * writer's connection that itself waits on that batch (a deadlock
     * PostgreSQL would break by failing one of them). */
    pthread_rwlock_t ddl;
} st__shared_t;

/* Sets the locks up; 0 or -1. */
int st__shared_init(st__shared_t *sh);
void st__shared_free(st__shared_t *sh);

/* --- a writer: the state of one worker thread --- */
typedef struct {
    const char *dsn;
    const char *spool_dir;
    const char *probe; /* this probe's row in `probes` */
    bool migrate;      /* an older schema may be migrated at (re)connection */
    int64_t connect_timeout_ns, batch_delay_ns, retention_ns, maintenance_interval_ns;
    uint32_t batch_rows;
    st__counters_t *st;
    PGconn *conn;
    bool outage, schema_refused, spool_full_logged;
    int64_t next_connect_ns, backoff_ns, next_maintenance_ns;
    int32_t known_days[ST__KNOWN_DAYS]; /* days whose partitions exist (this connection) */
    uint32_t n_known_days;
    st__chunk_t batch, replay;
    int64_t batch_first_ns;
    uint32_t replay_failures;
    uint32_t safe[ST__NTABLES]; /* batches left that skip the direct COPY */
    buf_t ser;
    uint32_t index; /* 0: also maintenance and the ANALYZE at stop */
    st__shared_t *sh;
} st__writer_t;

/* Connects and checks (or migrates) the schema; 0 or -1 with err. */
int st__writer_connect(st__writer_t *w, bool at_start, char *err, size_t errlen);
/* A chunk from a shard (on the worker thread). */
void st__writer_work(st__writer_t *w, st__chunk_t *c);
/* The worker's tick: batch delay, spool replay, maintenance; stop: final flush. */
void st__writer_tick(st__writer_t *w, bool stop);
void st__writer_maintain(st__writer_t *w);
void st__writer_close(st__writer_t *w);

#endif /* SIPHON_ST_INTERNAL_H */
