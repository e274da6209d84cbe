/* alert_internal.h - what the hub, the formats and the transports of alert/
 * share: the owned copy of an alert, a sink and its ops table, the
 * formatters and the escaping rules.
 *
 * A sink is an ops table (as nginx's ngx_event_actions_t): open (connect,
 * open the file), send a batch, close.  The hub's thread per sink calls
 * them and owns queueing, retry, back-off and counting, so a new format or
 * transport is one file with one ops table.
 */
#ifndef SIPHON_ALERT_INTERNAL_H
#define SIPHON_ALERT_INTERNAL_H

#include "alert.h"

#include <pthread.h>
#include <stdatomic.h>

/* Bytes of each attacker-influenced string kept in a copy: every record of
 * every format stays well under a UDP datagram and rsyslog's 8 KiB
 * default after escaping, and a queue's memory is capacity x this. */
#define ALERT__SUMMARY_MAX  1024
#define ALERT__EVIDENCE_MAX 6144

/* An owned copy of an alert: strings in the same allocation. */
typedef struct {
    alert_t a;
    char *strings; /* target_user, summary, evidence_json, each NUL-ended */
} alert__rec_t;

alert__rec_t *alert__rec_copy(const alert_t *a);

/* Per-sink settings resolved from the spec and the hub's configuration. */
typedef struct {
    const alert_sink_spec_t *spec;
    const char *ca, *cert, *key; /* NULL: none; read by the ops' create only */
    char *secret;                /* webhook HMAC key or HEC token (owned) */
    size_t secret_len;
    int64_t timeout_ns;
    int facility;
    const char *hostname; /* RFC 5424 HOSTNAME, printable ASCII */
    alert_encode_fn encode;
} alert__sink_env_t;

typedef struct alert__sink alert__sink_t;

/* What a transport does.  send returns how many of the first n alerts were
 * delivered; fewer than n is a failure (err says why): the hub closes the
 * sink, backs off and sends the rest again.  perm set on a failure: the
 * receiver refused the first undelivered alert for good (an HTTP 4xx), it
 * is dropped instead of retried. */
typedef struct {
    const char *name;
    uint32_t max_batch;
    void *(*create)(const alert__sink_env_t *env, char *err, size_t errlen);
    int (*open)(void *self, char *err, size_t errlen);
    uint32_t (*send)(void *self, alert__rec_t *const *recs, uint32_t n, bool *perm, char *err,
                     size_t errlen);
    void (*close)(void *self);
    void (*free)(void *self);
} alert__sink_ops_t;

extern const alert__sink_ops_t alert__syslog_ops; /* UDP, TCP and TLS */
extern const alert__sink_ops_t alert__ecs_file_ops;
extern const alert__sink_ops_t alert__webhook_ops;
extern const alert__sink_ops_t alert__hec_ops;

/* ---- Formats (each appends one record, no framing, no newline) ---- */

/* siphon's version, as the CEF and LEEF headers and the HTTP User-Agent
 * name the product. */
extern const char alert__version[];

/* Severity on the scales the formats use. */
int alert__sev_syslog(alert_severity_t s);     /* RFC 5424: 2 critical .. 6 informational */
int alert__sev_ten(alert_severity_t s);        /* CEF 0-10 / LEEF 1-10 / ECS: 1, 3, 5, 8, 10 */
const char *alert__type_title(alert_type_t t); /* "SIP request flood", ... */

/* A whole RFC 5424 message: header, then by format the structured data
 * and the summary (rfc5424) or NILVALUE and a CEF or LEEF record. */
void alert__fmt_syslog(buf_t *out, const alert_t *a, const alert__sink_env_t *env);
void alert__fmt_cef(buf_t *out, const alert_t *a);
void alert__fmt_leef(buf_t *out, const alert_t *a, char delim);
/* One ECS document. */
void alert__fmt_ecs(buf_t *out, const alert_t *a, const char *hostname);
/* One HEC event envelope around encode's object. */
void alert__fmt_hec(buf_t *out, const alert_t *a, const alert__sink_env_t *env);

/* ---- Escaping: values walked as UTF-8, ill-formed bytes become U+FFFD ---- */

typedef enum {
    ALERT__ESC_SD,       /* RFC 5424 PARAM-VALUE: \" \\ \]; controls -> U+FFFD */
    ALERT__ESC_MSG,      /* RFC 5424 MSG: controls -> U+FFFD */
    ALERT__ESC_CEF_HDR,  /* CEF header: \| \\; controls -> U+FFFD */
    ALERT__ESC_CEF_EXT,  /* CEF extension value: \= \\ \n \r; other controls -> U+FFFD */
    ALERT__ESC_LEEF,     /* LEEF value: delimiter, CR, LF and other controls removed */
    ALERT__ESC_LEEF_HDR, /* LEEF header: '|' and controls removed */
} alert__esc_t;

void alert__escape(buf_t *out, const char *s, size_t len, alert__esc_t how, char delim);
void alert__escape_cstr(buf_t *out, const char *s, alert__esc_t how, char delim);

/* One well-formed JSON object (json_check.c). */
bool alert__json_object_valid(const char *s, size_t n);

/* Times: RFC 3339 with microseconds (now when ts <= 0). */
void alert__ts_rfc3339(buf_t *out, int64_t ts_ns);

/* HMAC-SHA256 of "timestamp.body" as 64 lower-case hex digits (+ NUL). */
void alert__hmac_hex(const void *key, size_t key_len, const char *timestamp, const void *body,
                     size_t body_len, char hex[65]);

#endif
