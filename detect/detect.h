/* detect.h - threat and quality detection: floods, distribution anomaly,
 * scanners, extension enumeration, password guessing, toll-fraud probing,
 * SPIT and bad quality, raised as alerts (alert.h).
 *
 *   shard s: on_sip_message / on_call / on_call_event / on_quality_interval
 *            / on_clock ─ compact owned record ─▶ fan_worker queue s ─┐
 *                                                                     ▼
 *            the detection thread (one for all shards): every detector,
 *            the incident table ─ alert_t ─▶ the listener given at creation
 *
 * A source's messages are spread over the shards by Call-ID, so every
 * detector runs on one thread that sees them all.  The shard callbacks only
 * summarise (a SIP message is reduced to a ~700-byte record: times,
 * endpoints, method or status, CSeq, users, tags, Via branch, bounded
 * User-Agent, the Authorization's user, nonce and response) and push; the
 * detection thread never blocks capture: analyze waits for room (lossless),
 * run drops and counts (fan_worker_t).
 *
 * Alerts are incident updates: a detector reports its condition each time
 * it holds; the incident table (incident.c) opens an incident once (stable
 * incident_id), publishes an update every update_interval while its count
 * grows, and closes it after close_after of quiet.  Per-type rate limits and
 * the trusted CIDR list apply before anything is published.  All state lives
 * in capped tables with LRU eviction sized from one memory bound
 * (det_config_t.memory_bytes); evictions are counted, nothing grows with the
 * number of sources.
 *
 * Public prefix det_; internal det__ (det_internal.h).
 */
#ifndef SIPHON_DETECT_H
#define SIPHON_DETECT_H

#include "alert.h"
#include "core.h"
#include "correlator.h"
#include "fanout.h"

#define DET_LIST_MAX 64 /* items of each list setting kept */

/* Thresholds and windows; det_config_default gives the defaults of the
 * [alerts] section (config/schema.c).  Durations in ns. */
typedef struct {
    /* memory and delivery */
    uint64_t memory_bytes;      /* all detector tables together */
    uint32_t queue_size;        /* records per shard queue to the detection thread */
    int64_t update_interval;    /* an open incident is updated at most this often */
    int64_t close_after;        /* an incident quiet this long is closed */
    uint32_t rate_limit;        /* incidents opened per type per minute (0: no limit) */
    const char *const *trusted; /* CIDRs whose traffic is never an attacker's */
    uint32_t n_trusted;
    /* floods */
    uint32_t flood_requests;        /* per source, pike-like: per window */
    int64_t flood_window;           /* pike's sampling time */
    uint32_t flood_method_requests; /* per source and method (INVITE, REGISTER,
                                       OPTIONS, other) per method window */
    int64_t flood_method_window;
    uint32_t flood_target_requests; /* towards one destination per window */
    uint32_t flood_target_sources;  /* ... from at least this many sources */
    int64_t flood_target_window;
    /* distribution anomaly (Hellinger distance per slot) */
    int64_t anomaly_slot;
    uint32_t anomaly_threshold_pct; /* distance x 100 */
    uint32_t anomaly_min_messages;  /* in a slot, to judge it */
    uint32_t anomaly_training_slots;
    /* scanners */
    uint32_t scan_targets; /* distinct destinations per window without a call */
    int64_t scan_window;
    const char *const *scanner_user_agents; /* substrings, case-insensitive */
    uint32_t n_scanner_user_agents;
    /* extension enumeration */
    uint32_t enum_users; /* distinct To users per window */
    int64_t enum_window;
    uint32_t enum_failure_pct; /* answered 404/401/403, % of final answers */
    /* password guessing */
    uint32_t brute_short; /* 401/407 per (source, account) in the short window */
    int64_t brute_short_window;
    uint32_t brute_long;
    int64_t brute_long_window;
    /* toll fraud */
    uint32_t toll_prefix_len; /* digits of a dialled number that make its prefix */
    uint32_t toll_prefixes;   /* distinct prefixes per window from one source */
    int64_t toll_window;
    const char *const *toll_premium_prefixes; /* dialled numbers to report */
    uint32_t n_toll_premium_prefixes;
    uint32_t toll_max_concurrent; /* calls at once per source */
    /* SPIT */
    int64_t spit_window;
    uint32_t spit_min_calls;
    uint32_t spit_threshold_pct; /* score x 100 */
    int64_t spit_short_call;
    /* quality */
    uint32_t quality_mos_x100;  /* a call below this MOS x 100 is bad */
    uint32_t quality_bad_calls; /* bad calls on a route per window */
    uint32_t quality_loss_pct;  /* an interval losing this much is bad */
    int64_t quality_jitter;     /* ... or with this much jitter */
    uint32_t quality_bad_intervals;
    int64_t quality_window;
} det_config_t;

void det_config_default(det_config_t *c);

/* fan_add's config for det_consumer. */
typedef struct {
    det_config_t cfg;
    alert_listener_fn listener; /* every alert, on the detection thread */
    void *listener_user;
} det_consumer_config_t;

/* The ops table to register with the fan-out. */
extern const fan_consumer_ops_t det_consumer;

typedef struct det det_t;

/* The detection's counters, one X(name) each. */
#define DET_STATS_COUNTERS(X)                                                                      \
    X(messages)          /* SIP message records seen by the detectors */                           \
    X(calls)             /* call records */                                                        \
    X(intervals)         /* quality intervals */                                                   \
    X(records_dropped)   /* live: the detection queue was full */                                  \
    X(trusted_skipped)   /* messages from or to a trusted address, not judged */                   \
    X(alerts)            /* alerts published (open, update, closed) */                             \
    X(incidents)         /* incidents opened */                                                    \
    X(rate_limited)      /* incidents not published: their type's rate limit */                    \
    X(sources_evicted)   /* per-source entries evicted (table full) */                             \
    X(targets_evicted)   /* per-destination entries evicted */                                     \
    X(accounts_evicted)  /* per-(source, account) entries evicted */                               \
    X(callers_evicted)   /* per-caller entries evicted */                                          \
    X(pairs_evicted)     /* caller-callee pairs forgotten */                                       \
    X(routes_evicted)    /* per-route entries evicted */                                           \
    X(incidents_evicted) /* incidents closed early: table full */

typedef struct {
#define DET_STATS_FIELD(name) uint64_t name;
    DET_STATS_COUNTERS(DET_STATS_FIELD)
#undef DET_STATS_FIELD
    uint64_t memory_bytes; /* allocated by the detector tables (<= the bound) */
    uint64_t memory_limit; /* the configured bound */
} det_stats_t;

/* Exact once the consumer stopped. */
void det_stats(const det_t *d, det_stats_t *out);

#endif
