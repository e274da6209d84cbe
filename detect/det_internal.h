/* det_internal.h - what the files of detect/ share: the records the shards
 * hand to the detection thread, the capped tables, the sketches, the
 * incident table and each detector's entry points.
 *
 * Only the detection thread touches anything here except det__rec_t (built
 * on a shard's thread, then owned by the queue).
 */
#ifndef SIPHON_DET_INTERNAL_H
#define SIPHON_DET_INTERNAL_H

#include "detect.h"
#include "proto.h"

#include <pthread.h>

/* ------------------------------------------------------------------------ */
/* Records (summary.c)                                                       */
/* ------------------------------------------------------------------------ */

enum { DET__REC_MSG = 1, DET__REC_CALL, DET__REC_STARTED, DET__REC_INTERVAL, DET__REC_CLOCK };

#define DET__USER_MAX 48
#define DET__TAG_MAX  72
#define DET__UA_MAX   72
#define DET__CID_MAX  48

/* One SIP message, reduced to what the detectors read. */
typedef struct {
    int64_t ts_ns;
    endpoint_t src, dst;
    bool is_request;
    uint8_t method;      /* sip_method_t (requests) */
    uint8_t cseq_method; /* sip_method_t */
    uint16_t status;     /* responses */
    uint32_t cseq;
    uint64_t call_id_hash;
    uint64_t auth_nonce_hash, auth_response_hash; /* 0: no Authorization */
    bool has_auth;
    bool subject_perf_test; /* Subject: Performance Test (SIPp's default) */
    bool contact_123;       /* Contact sip:123@1.1.1.1 (svcrack's first REGISTER) */
    char call_id[DET__CID_MAX];
    char from_user[DET__USER_MAX], to_user[DET__USER_MAX], ruri_user[DET__USER_MAX];
    char auth_user[DET__USER_MAX];
    char from_display[DET__USER_MAX];
    char from_tag[DET__TAG_MAX], via_branch[DET__TAG_MAX];
    char user_agent[DET__UA_MAX];
} det__msg_t;

/* A finished call, reduced. */
typedef struct {
    int64_t start_ns, answer_ns, end_ns;
    endpoint_t src, dst;
    int final_code;
    uint8_t state; /* corr_call_state_t */
    bool one_way_audio;
    double mos; /* < 0: not scored */
    char caller[DET__USER_MAX], callee[DET__USER_MAX];
    char call_id[DET__CID_MAX];
} det__call_t;

/* A call started (its INVITE): concurrency. */
typedef struct {
    int64_t ts_ns;
    endpoint_t src, dst;
    char caller[DET__USER_MAX];
} det__started_t;

typedef struct {
    int64_t ts_ns;
    endpoint_t src, dst;
    uint32_t packets, lost;
    double jitter_ms, mos;
} det__interval_t;

typedef struct {
    uint8_t kind;
    union {
        det__msg_t msg;
        det__call_t call;
        det__started_t started;
        det__interval_t interval;
        int64_t clock_ns;
    } u;
} det__rec_t;

/* Records travel to the detection thread in batches (one queue operation
 * and wake-up per DET__BATCH records). */
#define DET__BATCH 64
#define DET__POOL  64 /* spare batches kept */
typedef struct {
    uint32_t n;
    det__rec_t recs[DET__BATCH];
} det__batch_t;

void det__summarise_msg(const corr_sip_message_t *m, det__msg_t *out);
void det__summarise_call(const corr_call_t *c, det__call_t *out);

/* ------------------------------------------------------------------------ */
/* Sketches and windows (sketch.c)                                           */
/* ------------------------------------------------------------------------ */

/* Pike's two sampling windows: hits in the previous and the current one. */
typedef struct {
    int64_t start;
    uint32_t prev, cur;
} det__win_t;

/* Counts one hit at ts in windows of w; returns the pike figure: the
 * largest of prev, cur and their mean. */
uint32_t det__win_hit(det__win_t *win, int64_t ts, int64_t w, uint32_t n);
uint32_t det__win_value(const det__win_t *win);

/* Distinct items in the previous and current window of w: linear counting
 * over 256 bits per window (good to a few hundred items, then it reports
 * "at least ~1,400"). */
#define DET__SET_WORDS 4
typedef struct {
    int64_t start;
    uint64_t prev[DET__SET_WORDS], cur[DET__SET_WORDS];
} det__wset_t;

/* Adds an item (its hash); returns the estimate over both windows. */
uint32_t det__wset_add(det__wset_t *s, int64_t ts, int64_t w, uint64_t h);
uint32_t det__wset_count(const det__wset_t *s);
/* Linear counting over an arbitrary bitmap. */
uint32_t det__lc_estimate(const uint64_t *bits, uint32_t words);

/* The trusted list: CIDRs. */
typedef struct {
    ip_addr_t net;
    uint8_t bits;
} det__cidr_t;
bool det__cidr_parse(const char *text, det__cidr_t *out);
bool det__cidr_match(const det__cidr_t *c, const ip_addr_t *a);

/* ------------------------------------------------------------------------ */
/* Capped tables with LRU eviction (table.c)                                 */
/* ------------------------------------------------------------------------ */

typedef struct {
    tbl_pool_t pool;
    uint64_t *keys; /* the entry's key hash (its identity) */
    uint8_t *entries;
    size_t entry_size;
    uint64_t *evicted; /* the counter in det_stats_t */
} det__table_t;

/* cap entries of entry_size; the bytes it takes go to *mem. */
bool det__table_init(det__table_t *t, uint32_t cap, size_t entry_size, uint64_t *evicted,
                     uint64_t *mem);
void det__table_free(det__table_t *t);
/* Bytes per entry, bookkeeping included (to size tables from a budget). */
size_t det__table_entry_cost(size_t entry_size);
/* The entry of key (moved to the LRU head), or NULL. */
void *det__table_find(det__table_t *t, uint64_t key);
/* The entry of key, created zeroed (evicting the least recently used one
 * when full: counted) when absent; *created says which. */
void *det__table_get(det__table_t *t, uint64_t key, bool *created);
/* Calls fn on every entry (no change to the LRU). */
void det__table_each(det__table_t *t, void (*fn)(void *ctx, void *entry, uint64_t key), void *ctx);
void det__table_remove(det__table_t *t, uint64_t key);

/* ------------------------------------------------------------------------ */
/* Incidents (incident.c)                                                    */
/* ------------------------------------------------------------------------ */

#define DET__SUMMARY_MAX  200
#define DET__EVIDENCE_MAX 2048
#define DET__REFRESH_NS   NS_PER_MSEC /* evidence rebuilt at most this often */

typedef struct {
    uint64_t id;
    int64_t first_ts, last_ts, last_emit_ts, refresh_ts;
    uint64_t count, emitted_count, refresh_count;
    uint8_t type, severity;
    bool suppressed; /* its type was over the rate limit when it opened */
    endpoint_t src, dst;
    char user[DET__USER_MAX];
    char summary[DET__SUMMARY_MAX];
    uint16_t evidence_len;
    char evidence[DET__EVIDENCE_MAX];
} det__incident_t;

/* What a detector reports when its condition holds. */
typedef struct {
    alert_type_t type;
    alert_severity_t severity;
    uint64_t key; /* the incident's identity within its type */
    endpoint_t src, dst;
    const char *user;
    int64_t first_ts, ts;
    uint64_t count;
} det__report_t;

/* ------------------------------------------------------------------------ */
/* The detector state                                                        */
/* ------------------------------------------------------------------------ */

/* Per source address: floods, scanning, enumeration, toll-fraud probing. */
typedef struct {
    ip_addr_t ip;
    uint16_t last_port;
    int64_t first_ts, last_ts;
    det__win_t pike;
    det__win_t method[4]; /* INVITE, REGISTER, OPTIONS, other */
    int64_t method_first[4];
    int64_t pike_first;
    det__wset_t targets;  /* distinct destination endpoints */
    det__wset_t hosts;    /* distinct destination addresses */
    int64_t call_ok_ts;   /* last 2xx to one of its INVITEs (a real call) */
    det__wset_t users;    /* distinct To users of its requests */
    det__win_t finals;    /* final answers to its requests */
    det__win_t failures;  /* ... of which 404/401/403 */
    det__wset_t prefixes; /* distinct dialled prefixes */
    uint32_t premium_calls;
    int32_t active_calls;
    uint32_t max_active;
    uint32_t fingerprints; /* DET__FP_* seen */
    uint32_t requests;
    char example_user[DET__USER_MAX];
    char example_ua[DET__UA_MAX];
    char example_prefix[DET__USER_MAX];
} det__src_t;

enum {
    DET__FP_UA = 1u << 0,        /* a scanner's User-Agent */
    DET__FP_SV_FROM = 1u << 1,   /* From "sipvicious" */
    DET__FP_SV_BRANCH = 1u << 2, /* Via branch z9hG4bK-<digits> */
    DET__FP_SV_TAG = 1u << 3,    /* a tag that hex-decodes to ip:port / user */
    DET__FP_SVCRACK = 1u << 4,   /* tag 3206210844 / Contact sip:123@1.1.1.1 */
    DET__FP_SIPP = 1u << 5,      /* SIPp's defaults */
};

/* Per destination endpoint: floods towards one target. */
typedef struct {
    endpoint_t ep;
    det__win_t reqs;
    int64_t src_start;
    uint64_t srcs_prev[16], srcs_cur[16]; /* distinct sources, 1,024 bits */
} det__target_t;

/* Per (source address, account): password guessing. */
#define DET__PW_EXAMPLES 6
#define DET__AUTHED_KEPT 4
typedef struct {
    ip_addr_t ip;
    endpoint_t dst;
    char user[DET__USER_MAX];
    int64_t first_ts, last_ts;
    int64_t short_start, long_start;
    uint32_t short_n, long_n, total;
    uint64_t nonces[2], responses[2]; /* distinct (linear counting, 128 bits) */
    uint32_t auth_requests;
    uint64_t authed[DET__AUTHED_KEPT]; /* Call-ID and CSeq of its last authenticated requests */
    uint8_t authed_next;
    int64_t last_challenge_ts;
    int64_t min_gap_ns;
    uint32_t passwords; /* guesses decoded from tags */
    uint8_t pw_next;
    char pw[DET__PW_EXAMPLES][24];
} det__acct_t;

/* Per caller (source address, From user): SPIT. */
typedef struct {
    ip_addr_t ip;
    char user[DET__USER_MAX];
    int64_t first_ts, last_ts;
    uint32_t calls, answered, short_calls, declined, callbacks;
    uint32_t last_scored_calls;
    double dur_sum, dur_sumsq;
    uint64_t callees[4]; /* distinct callees, linear counting */
} det__caller_t;

/* Per route (source /24 or /64 to destination's): quality. */
typedef struct {
    ip_addr_t src_net, dst_net;
    endpoint_t src, dst;
    int64_t start, first_ts;
    uint32_t calls, bad_calls, one_way, intervals, bad_intervals;
    double worst_mos, max_jitter_ms, max_loss_pct;
    char example_call[DET__CID_MAX];
} det__route_t;

/* The distribution anomaly's state. */
enum { DET__D_INVITE = 0, DET__D_1XX, DET__D_2XX, DET__D_ACK, DET__D_BYE, DET__D_4XX, DET__D_N };
typedef struct {
    int64_t slot_start;
    uint32_t cur[DET__D_N];
    double learned[DET__D_N];
    uint32_t trained; /* slots learnt */
    int64_t first_anomalous;
    uint64_t anomalous_messages;
} det__anomaly_t;

struct det {
    det_config_t cfg;
    alert_listener_fn listener;
    void *listener_user;
    fan_env_t env;
    fan_worker_t *worker;
    det__cidr_t trusted[DET_LIST_MAX];
    uint32_t n_trusted;
    char ua[DET_LIST_MAX][64]; /* scanner User-Agents, lower case */
    uint32_t n_ua;
    /* the detection thread's state */
    det__table_t sources, targets, accounts, callers, pairs, routes, incidents;
    det__anomaly_t anomaly;
    int64_t now;        /* the largest packet time seen */
    int64_t next_sweep; /* closing quiet incidents */
    int64_t rl_minute[ALERT_TYPE_COUNT];
    uint32_t rl_count[ALERT_TYPE_COUNT];
    buf_t ev; /* evidence being built */
    buf_t sm; /* summary being built */
    /* shared with the shards (atomics) and the worker */
    uint64_t dropped;
    det_stats_t st;
    pthread_mutex_t st_lock;
    /* spare batches (recycled by the worker's release) */
    pthread_mutex_t pool_lock;
    det__batch_t *pool[DET__POOL];
    uint32_t npool;
};

/* The detection thread's entry points, one per record kind. */
void det__on_msg(det_t *d, const det__msg_t *m);
void det__on_call(det_t *d, const det__call_t *c);
void det__on_started(det_t *d, const det__started_t *s);
void det__on_interval(det_t *d, const det__interval_t *iv);
void det__on_clock(det_t *d, int64_t now);

/* incident.c: true when an alert is due for this report (opened, or an
 * update interval passed with a grown count): the caller then builds
 * d->sm (summary) and d->ev (evidence object) and calls det__publish. */
bool det__incident_due(det_t *d, const det__report_t *r);
void det__publish(det_t *d, const det__report_t *r);
/* Closes incidents quiet since close_after (at clock points). */
void det__incident_sweep(det_t *d, int64_t now);
/* Closes every incident (end of input). */
void det__incident_close_all(det_t *d);
uint64_t det__key_ip(uint64_t type_salt, const ip_addr_t *ip);

bool det__trusted(const det_t *d, const ip_addr_t *a);

/* The detectors (one file each). */
void det__flood_msg(det_t *d, det__src_t *s, const det__msg_t *m);
void det__flood_target(det_t *d, const det__msg_t *m);
void det__anomaly_msg(det_t *d, const det__msg_t *m);
void det__anomaly_tick(det_t *d, int64_t now);
void det__scanner_msg(det_t *d, det__src_t *s, const det__msg_t *m);
void det__enum_msg(det_t *d, det__src_t *s, const det__msg_t *m);
void det__enum_response(det_t *d, det__src_t *s, const det__msg_t *m);
void det__brute_msg(det_t *d, const det__msg_t *m);
void det__toll_msg(det_t *d, det__src_t *s, const det__msg_t *m);
void det__toll_started(det_t *d, const det__started_t *st);
void det__toll_call(det_t *d, const det__call_t *c);
void det__spit_call(det_t *d, const det__call_t *c);
void det__quality_call(det_t *d, const det__call_t *c);
void det__quality_interval(det_t *d, const det__interval_t *iv);

/* Evidence helpers: a JSON writer over d->ev, started with det__ev_begin. */
void det__ev_begin(det_t *d, json_writer_t *w);
void det__ev_end(det_t *d, json_writer_t *w);
void det__json_ep(json_writer_t *w, const char *key, const endpoint_t *e);
void det__fmt_ip(const ip_addr_t *a, char *buf, size_t n);
bool det__ci_contains(const char *hay, const char *needle);
/* A tag that hex-decodes to printable text (sipvicious's encoding). */
bool det__hex_text(const char *tag, char *out, size_t n);

#endif
