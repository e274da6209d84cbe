/* storage.h - every call, stream, SIP message and registration in
 * PostgreSQL, written without ever slowing capture.
 *
 *   shard s: corr_sink_t ─▶ st shard s: COPY rows into an owned chunk ─▶ fan_worker queue s
 *                                                                              │
 *   writer thread (fan_worker_t): chunks ─▶ batch (rows / delay) ─▶ libpq: COPY into temp
 *     staging tables, INSERT ... ON CONFLICT DO NOTHING, one transaction per batch
 *                          └─ database away or batch failed ─▶ spool (segment files,
 *                             CRC per record) ─▶ replayed in order once it is back
 *
 * Three parts, one header:
 *  - the consumer (st_consumer, a fan_consumer_ops_t): per-shard sinks turn
 *    records into rows of the schema (schema/README.md) in PostgreSQL's COPY
 *    text format, with stable keys (st_ids.c) so a replay or a second
 *    import never duplicates a row; a writer thread batches them.  The
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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { ST_MIGRATE_EMBEDDED = 0, ST_MIGRATE_ALWAYS, ST_MIGRATE_NEVER } st_migrate_t;
typedef enum { ST_FSYNC_ALWAYS = 0, ST_FSYNC_BATCH, ST_FSYNC_NEVER } st_fsync_t;

#define ST_SKIP_METHODS_MAX 16

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
    uint32_t queue; /* chunks per shard queue */
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

#endif /* SIPHON_STORAGE_H */
