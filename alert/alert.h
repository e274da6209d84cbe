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

#endif
