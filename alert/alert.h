/* alert.h - the alert model and the hub that delivers alerts.
 *
 *   detect/ (detectors) ──alert_t──▶ alert_hub_publish ──┬─▶ SIEM sinks (syslog, CEF, LEEF, ECS,
 *                                                        │    webhook, Splunk HEC): each its own
 *                                                        │    bounded queue and thread
 *                                                        └─▶ listeners (storage's alerts table,
 *                                                             NDJSON output, the web feed)
 *
 * An alert is one update of an incident: a flood is one incident (one
 * stable incident_id) opened once, updated periodically while it lasts and
 * closed when it stops, not a million alerts.  The detectors decide when an
 * incident opens, updates and closes; the hub only delivers.
 *
 * alert_hub_publish never blocks: every sink copies the alert into its own
 * bounded queue (full: dropped and counted), and listeners are called on
 * the publisher's thread and must not block either (they copy and queue).
 *
 * Public prefix alert_; internal alert__.
 */
#ifndef SIPHON_ALERT_H
#define SIPHON_ALERT_H

#include "core.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The `alert_type` of the NDJSON contract, in this order. */
typedef enum {
    ALERT_FLOOD = 0,            /* "flood" */
    ALERT_DISTRIBUTION_ANOMALY, /* "distribution_anomaly" */
    ALERT_SCANNER,              /* "scanner" */
    ALERT_ENUMERATION,          /* "enumeration" */
    ALERT_BRUTEFORCE,           /* "bruteforce" */
    ALERT_TOLL_FRAUD,           /* "toll_fraud" */
    ALERT_SPIT,                 /* "spit" */
    ALERT_QUALITY,              /* "quality" */
    ALERT_TYPE_COUNT
} alert_type_t;

typedef enum {
    ALERT_SEV_INFO = 0, /* "info" */
    ALERT_SEV_LOW,      /* "low" */
    ALERT_SEV_MEDIUM,   /* "medium" */
    ALERT_SEV_HIGH,     /* "high" */
    ALERT_SEV_CRITICAL, /* "critical" */
    ALERT_SEV_COUNT
} alert_severity_t;

/* Where the incident is in its life. */
typedef enum {
    ALERT_PHASE_OPEN = 0, /* "open": first alert of the incident */
    ALERT_PHASE_UPDATE,   /* "update": still going, counts grew */
    ALERT_PHASE_CLOSED,   /* "closed": quiet for the detector's window */
} alert_phase_t;

#define ALERT_USER_MAX 128 /* target_user bytes kept */

/* One incident update.  Strings are views valid for the duration of the
 * call that hands the alert over; a sink or listener copies what it keeps. */
typedef struct {
    alert_type_t type;
    alert_severity_t severity;
    alert_phase_t phase;
    uint64_t incident_id;      /* stable for the incident's life; never 0 */
    endpoint_t src, dst;       /* port 0: unknown / any; family 0: none */
    const char *target_user;   /* "" when none (account, extension, callee) */
    int64_t first_ts_ns;       /* packet time of the first evidence */
    int64_t last_ts_ns;        /* packet time of the latest evidence */
    uint64_t count;            /* events counted so far (requests, calls...) */
    const char *summary;       /* one readable line, e.g. "INVITE flood: 4,210
                                  requests in 1 s from 10.0.0.9" */
    const char *evidence_json; /* one JSON object (already valid JSON text,
                                  strings escaped): counts, windows, distinct
                                  targets, example messages */
} alert_t;

const char *alert_type_name(alert_type_t t);         /* "flood", ... */
const char *alert_severity_name(alert_severity_t s); /* "info", ... */
const char *alert_phase_name(alert_phase_t p);       /* "open", ... */

/* ------------------------------------------------------------------------
 * The hub: every configured SIEM sink plus in-process listeners.
 * ------------------------------------------------------------------------ */

typedef struct alert_hub alert_hub_t;

/* A listener: called on the publisher's thread for every alert; copies and
 * queues, never blocks. */
typedef void (*alert_listener_fn)(void *user, const alert_t *a);

/* Appends the alert's object of the NDJSON contract (encode's
 * enc_alert_json) to out: the webhook body and the Splunk HEC event.  alert/
 * sits below encode/ (which takes alert_t), so the encoder is handed in. */
typedef void (*alert_encode_fn)(buf_t *out, const alert_t *a);

/* Where and how a sink delivers: one item of `alerts.sinks`, a URL
 *
 *   syslog+udp://HOST:PORT[?format=rfc5424|cef|leef]   RFC 5424 over UDP (RFC 5426)
 *   syslog+tcp://HOST:PORT[?...]                      octet counting (RFC 6587)
 *   syslog+tls://HOST:PORT[?...]                      RFC 5425 (server certificate verified)
 *   ecs:/PATH                                         ECS JSON lines appended to a file
 *   webhook+https://HOST[:PORT]/PATH                  HMAC-SHA256 signed JSON POST
 *   hec+https://HOST[:PORT][/PATH]                    Splunk HEC (/services/collector/event)
 *
 * Query parameters (each at most once): format (syslog), delimiter (LEEF:
 * one printable character or xHH, default x09), facility (syslog, 0..23),
 * ca, cert, key (TLS and HTTPS: files, overriding alerts.tls_*),
 * secret_file (webhook), token_file (HEC), index and sourcetype (HEC),
 * queue (alerts queued, overriding alerts.sink_queue).  Secrets are never
 * written in the URL: they are read from files (kept out of the dump and
 * of the process arguments). */
typedef enum {
    ALERT_SINK_SYSLOG_UDP = 0,
    ALERT_SINK_SYSLOG_TCP,
    ALERT_SINK_SYSLOG_TLS,
    ALERT_SINK_ECS_FILE,
    ALERT_SINK_WEBHOOK,
    ALERT_SINK_HEC,
} alert_sink_kind_t;

typedef enum { ALERT_FMT_RFC5424 = 0, ALERT_FMT_CEF, ALERT_FMT_LEEF } alert_format_t;

#define ALERT_SINKS_MAX    16
#define ALERT_HOST_MAX     256 /* bytes of a host name, NUL included */
#define ALERT_PATH_MAX     512 /* bytes of a file name or URL path, NUL included */
#define ALERT_URL_MAX      1024
#define ALERT_QUEUE_MAX    (1u << 20)
#define ALERT_FACILITY_DEF 13 /* log audit (RFC 5424 table 1) */

typedef struct {
    alert_sink_kind_t kind;
    alert_format_t format; /* syslog kinds */
    char leef_delim;       /* LEEF's delimiter */
    int facility;          /* -1: alerts.syslog_facility */
    uint32_t queue;        /* 0: alerts.sink_queue */
    char host[ALERT_HOST_MAX];
    uint16_t port;
    char path[ALERT_PATH_MAX]; /* ECS: the file; HTTP: the path (starts with /) */
    char ca[ALERT_PATH_MAX], cert[ALERT_PATH_MAX], key[ALERT_PATH_MAX]; /* "": [alerts] */
    char secret_file[ALERT_PATH_MAX], token_file[ALERT_PATH_MAX];       /* "": [alerts] */
    char index[128], sourcetype[128];                                   /* HEC; "": none */
    char name[ALERT_URL_MAX]; /* the URL without its query: statistics, logs */
} alert_sink_spec_t;

/* Parses one sink URL.  0, or -1 with a message naming what is wrong (an
 * unknown scheme, a missing port, a bad parameter...). */
int alert_sink_parse(const char *text, alert_sink_spec_t *out, char *err, size_t errlen);
const char *alert_sink_kind_name(alert_sink_kind_t k); /* "syslog+udp", ... */
const char *alert_format_name(alert_format_t f);       /* "rfc5424", "cef", "leef" */

/* The hub's configuration (app/config_map.c fills it from [alerts]).
 * Strings are read during alert_hub_new only. */
typedef struct {
    alert_sink_spec_t sinks[ALERT_SINKS_MAX];
    uint32_t sink_count;
    const char *tls_ca;              /* CA file to verify servers against ("": system store) */
    const char *tls_cert;            /* client certificate ("" none) */
    const char *tls_key;             /* its key ("" none: in tls_cert) */
    const char *webhook_secret_file; /* HMAC key of every webhook sink */
    const char *hec_token_file;      /* HEC token of every HEC sink */
    uint32_t queue;                  /* alerts queued per sink (>= 1) */
    int64_t retry_min_ns;            /* first back-off after a failure */
    int64_t retry_max_ns;            /* back-off doubles up to this */
    int64_t timeout_ns;              /* connect / send / HTTP request */
    int64_t drain_ns;                /* stop: longest wait for queued alerts */
    int facility;                    /* syslog facility 0..23 */
    const char *hostname;            /* NULL/"": gethostname() */
    alert_encode_fn encode;          /* needed by webhook and HEC sinks */
} alert_config_t;

void alert_config_default(alert_config_t *c);

/* A sink's counters.  queued: accepted into its queue; sent: delivered;
 * dropped: lost (queue full at publish, refused by the receiver for good,
 * or still queued when stop's drain time ran out); retries: deliveries
 * tried again after a failure; failures: failed attempts (connect, write,
 * HTTP status). */
typedef struct {
    uint64_t queued, sent, dropped, retries, failures;
    uint32_t depth; /* in the queue now */
} alert_sink_stats_t;

/* Sinks are created (secrets and keys read, nothing connected): NULL with
 * err set on a bad configuration. */
alert_hub_t *alert_hub_new(const alert_config_t *cfg, char *err, size_t errlen);
/* In-process listeners, before start; called in order on the publisher's
 * thread.  -1 when ALERT_SINKS_MAX listeners are there already. */
int alert_hub_subscribe(alert_hub_t *h, alert_listener_fn fn, void *user);
/* One thread per sink. */
int alert_hub_start(alert_hub_t *h, char *err, size_t errlen);
/* Hands the alert to every listener and queues a copy for every sink;
 * never blocks (a full queue drops and counts).  Any thread. */
void alert_hub_publish(alert_hub_t *h, const alert_t *a);
/* alert_listener_fn adapter: user is the alert_hub_t. */
void alert_hub_listener(void *hub, const alert_t *a);
/* No more publishing: each sink delivers what is queued (retrying) for at
 * most drain_ns, drops the rest, and its thread ends. */
void alert_hub_stop(alert_hub_t *h);
uint32_t alert_hub_sink_count(const alert_hub_t *h);
const char *alert_hub_sink_name(const alert_hub_t *h, uint32_t i);
void alert_hub_sink_stats(alert_hub_t *h, uint32_t i, alert_sink_stats_t *out);
/* All sinks summed; published: alerts handed to the hub. */
void alert_hub_stats(alert_hub_t *h, alert_sink_stats_t *sum, uint64_t *published);
/* Stops it if running. */
void alert_hub_free(alert_hub_t *h);

#endif
