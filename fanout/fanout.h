/* fanout.h - the correlator's records and events reach every consumer.
 *
 *   correlator shard s ─ corr_sink_t (built here) ─┬─▶ output   (table / NDJSON)
 *                                                  ├─▶ storage  (its own thread)
 *                                                  └─▶ ...
 *
 * A consumer (output, storage, recording, detection, web) is one ops table
 * (fan_consumer_ops_t, as nginx's ngx_event_actions_t): it is created from
 * its own configuration, gives a sink per correlator shard, starts, stops
 * (draining), reports statistics and is freed.  It declares which records
 * and events it wants (fan_want_t).  fan_shard_sink builds each shard's
 * corr_sink_t from the consumers' sinks, as Suricata's output registry
 * runs only the active loggers:
 *   - a record or event nobody wants gets a NULL callback: the correlator
 *     skips it (and, for events, keeps nothing for it), so a consumer that
 *     is registered but wants nothing costs nothing per packet;
 *   - when every wanted callback comes from one consumer, the shard's sink
 *     is that consumer's own: the correlator calls it directly;
 *   - otherwise each kind with one taker calls it directly through one
 *     trampoline, and a kind with several takers calls them in
 *     registration order, each with its own per-shard user pointer.
 * Callbacks run on the shard's thread; a consumer's per-shard state needs
 * no lock unless it writes somewhere shared.
 *
 * Slow work (a database, a disk, the network) must not run on a shard's
 * thread.  Such a consumer copies what it needs into an owned record and
 * hands it to a fan_worker_t (modelled on Redis bio.c): one thread of its
 * own, fed by a bounded queue per shard.  A full queue makes the shard
 * wait when the input is a file (lossless: analyze gives every record to
 * every consumer) and drops and counts the record on live capture (a slow
 * database must not stall correlation, and with it capture).
 *
 * Order.  Start: consumers (fan_start), then the pipeline (its shards ask
 * for their sinks), then the capture sources.  Stop the reverse, draining
 * on the way: sources end, the pipeline flushes every call in flight into
 * the sinks and joins, then fan_stop stops the consumers in reverse order,
 * each working off its queue before its thread ends.
 *
 * Public prefix fan_; internal fan__ (fanout/ has no internal header).
 */
#ifndef SIPHON_FANOUT_H
#define SIPHON_FANOUT_H

#include "core.h"
#include "correlator.h"

/* What a consumer wants: one bit per corr_sink_t callback. */
typedef enum {
    FAN_WANT_CALLS = 1u << 0,          /* on_call */
    FAN_WANT_ORPHAN_STREAMS = 1u << 1, /* on_orphan_stream */
    FAN_WANT_VQ_REPORTS = 1u << 2,     /* on_vq_report: reports with no call */
    FAN_WANT_CALL_EVENTS = 1u << 3,    /* on_call_event: started, answered */
    FAN_WANT_REGISTRATIONS = 1u << 4,  /* on_registration */
    FAN_WANT_INTERVALS = 1u << 5,      /* on_quality_interval */
    FAN_WANT_SIP_MESSAGES = 1u << 6,   /* on_sip_message: every SIP message */
    FAN_WANT_CLOCK = 1u << 7,          /* on_clock: packet time at expiry points */
    FAN_WANT_PACKETS = 1u << 8,        /* on_packet: every SIP/RTP/RTCP packet and
                                          its frame (the pipeline then carries
                                          frames: pl_stage_config_t.frames) */
} fan_want_t;

#define FAN_MAX_CONSUMERS 16

/* Where the consumers run, the same for all of them. */
typedef struct {
    uint32_t shards; /* sinks asked for: 1 inline, else the pipeline's shards */
    bool threaded;   /* the sinks are called on `shards` threads at once */
    bool lossless;   /* files: full worker queues wait; live: drop and count */
} fan_env_t;

/* A consumer's statistics (fields it has no use for stay 0). */
typedef struct {
    uint64_t records; /* records and events taken from the shards */
    uint64_t queued;  /* handed to its worker thread */
    uint64_t dropped; /* live: its worker queue was full */
    uint64_t waits;   /* files: a shard waited for room in its queue */
} fan_stats_t;

/* A consumer's operations.  create and shard_sink are required; the rest
 * may be NULL. */
typedef struct {
    const char *name;
    /* An instance from the consumer's own configuration (NULL: *err says
     * why). */
    void *(*create)(const void *config, const fan_env_t *env, char *err, size_t errlen);
    /* fan_want_t bits; asked once per shard sink, after start. */
    uint32_t (*wants)(const void *self);
    /* Shard s's callbacks and their user pointer; only the wanted ones are
     * used.  Called on shard s's thread, after start. */
    corr_sink_t (*shard_sink)(void *self, uint32_t shard);
    /* Shard s ran dry (and once after its final flush): write out what it
     * buffered.  On shard s's thread. */
    void (*shard_idle)(void *self, uint32_t shard);
    /* Threads, connections, files: before any record arrives. */
    int (*start)(void *self, char *err, size_t errlen);
    /* No record arrives any more: drain (work off queues) and stop. */
    void (*stop)(void *self);
    void (*stats)(const void *self, fan_stats_t *out);
    void (*free)(void *self);
} fan_consumer_ops_t;

typedef struct fan fan_t;

fan_t *fan_new(const fan_env_t *env);
/* Creates a consumer (ops->create) and registers it; callbacks of several
 * consumers run in the order they were added.  Returns its instance (for
 * the consumer's own calls, e.g. a final summary), NULL on error. */
void *fan_add(fan_t *f, const fan_consumer_ops_t *ops, const void *config, char *err,
              size_t errlen);
/* Starts every consumer in order; on failure the started ones are stopped
 * and -1 returned. */
int fan_start(fan_t *f, char *err, size_t errlen);
/* pl_make_sink_fn and pl_idle_fn (pipeline.h), user = the fan_t; inline,
 * call them with shard 0. */
corr_sink_t fan_shard_sink(void *f, uint32_t shard);
void fan_shard_idle(void *f, uint32_t shard);
/* Bits of fan_want_t someone wants. */
uint32_t fan_wanted(const fan_t *f);
/* Stops every started consumer, in reverse order, each draining. */
void fan_stop(fan_t *f);
uint32_t fan_consumer_count(const fan_t *f);
const char *fan_consumer_name(const fan_t *f, uint32_t i);
void fan_consumer_stats(const fan_t *f, uint32_t i, fan_stats_t *out);
/* Stops (if started) and frees every consumer, in reverse order. */
void fan_free(fan_t *f);

/* ------------------------------------------------------------------------
 * The consumer worker: a thread of its own fed by one bounded queue per
 * shard (each queue has one producer, that shard's thread).  Records are
 * owned pointers: push hands one over; the worker calls work on it and then
 * release; a dropped record is released at once.  Order is kept within a
 * shard; the worker takes the shards' queues round-robin in batches.
 * ------------------------------------------------------------------------ */

typedef struct fan_worker fan_worker_t;

#define FAN_WORKER_MAX_SHARDS 64

typedef struct {
    const char *name;  /* thread name (15 characters are kept) */
    uint32_t shards;   /* queues, 1..FAN_WORKER_MAX_SHARDS */
    uint32_t capacity; /* records per queue, >= 1 */
    bool lossless;     /* full: wait for room (files) / drop and count (live) */
    /* On the worker thread, records of one shard in push order. */
    void (*work)(void *user, uint32_t shard, void *rec);
    /* Frees a record after work, when dropped, or left at fan_worker_free;
     * NULL: free(). */
    void (*release)(void *user, void *rec);
    void *user;
    /* Optional (NULL: none): on the worker thread, when its queues ran dry
     * after some work, every tick_ns without work, and once with stop true
     * after fan_worker_stop's drain, before the thread ends (batching by
     * time, retries, a final flush). */
    void (*tick)(void *user, bool stop);
    int64_t tick_ns;
} fan_worker_config_t;

typedef struct {
    uint64_t pushed;     /* accepted into a queue */
    uint64_t worked;     /* done by the worker */
    uint64_t dropped;    /* lossy: a queue was full */
    uint64_t waits;      /* lossless: a push waited for room */
    uint32_t high_water; /* most records one queue held */
} fan_worker_stats_t;

fan_worker_t *fan_worker_new(const fan_worker_config_t *cfg, char *err, size_t errlen);
int fan_worker_start(fan_worker_t *w, char *err, size_t errlen);
/* From shard s's thread, between start and stop.  Takes rec; false: it was
 * dropped (and released), the queue was full and the worker is lossy. */
bool fan_worker_push(fan_worker_t *w, uint32_t shard, void *rec);
/* No more pushes: the worker works off every queued record, then ends. */
void fan_worker_stop(fan_worker_t *w);
void fan_worker_stats(fan_worker_t *w, fan_worker_stats_t *out);
/* Stops it if running; releases records left (a worker never started). */
void fan_worker_free(fan_worker_t *w);

#endif /* SIPHON_FANOUT_H */
