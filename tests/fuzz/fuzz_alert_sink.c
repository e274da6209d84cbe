/* fuzz_alert_sink.c - libFuzzer target for the alert sinks' input side:
 * the sink URL parser (alert_sink_parse) and the SIEM formatters with
 * attacker-chosen values.
 *
 * The input is split at its first NUL: the part before is a sink URL
 * (parsed from an exact-size heap copy); the rest is cut at NULs into the
 * target user, the summary and the evidence of an alert.  Invariants:
 *  - the parser either refuses with a terminated, non-empty message, or
 *    gives a spec whose name, host, port and path are sane for its kind;
 *  - the hub's copy of the alert always holds one well-formed JSON object
 *    as evidence;
 *  - every RFC 5424, CEF and LEEF record of the alert is one line (no CR,
 *    LF or NUL); the SD-PARAM values have no unescaped '"' or ']'; a LEEF
 *    record has its delimiter exactly between its attributes; the ECS
 *    document is one well-formed JSON object.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alert_internal.h"

static void one_line(const buf_t *b)
{
    for (size_t i = 0; i < b->len; i++)
        if (b->data[i] == '\n' || b->data[i] == '\r' || b->data[i] == '\0') abort();
}

/* Inside the SD element every unescaped '"' opens or closes a value, and
 * the first ']' outside a value ends the element. */
static void sd_balanced(const buf_t *b)
{
    const char *p = memchr(b->data, '[', b->len);
    if (!p) abort();
    const char *end = b->data + b->len;
    bool in = false;
    for (p++; p < end; p++) {
        if (in && *p == '\\' && p + 1 < end && strchr("\"\\]", p[1])) {
            p++;
            continue;
        }
        if (in && *p == ']') abort();
        if (*p == '"') in = !in;
        if (!in && *p == ']') return;
    }
    abort();
}

static void check_url(const uint8_t *data, size_t un)
{
    char *url = malloc(un + 1);
    memcpy(url, data, un);
    url[un] = '\0';
    alert_sink_spec_t spec;
    char err[256];
    if (alert_sink_parse(url, &spec, err, sizeof err) != 0) {
        if (!memchr(err, '\0', sizeof err) || !err[0]) abort();
    } else if (!spec.name[0]) {
        abort();
    } else if (spec.kind == ALERT_SINK_ECS_FILE) {
        if (spec.path[0] != '/') abort();
    } else {
        if (!spec.host[0] || spec.port == 0) abort();
        if ((spec.kind == ALERT_SINK_WEBHOOK || spec.kind == ALERT_SINK_HEC) && spec.path[0] != '/')
            abort();
    }
    free(url);
}

static void check_formats(const alert_t *a)
{
    static const char *const urls[] = {"syslog+udp://h?format=rfc5424", "syslog+udp://h?format=cef",
                                       "syslog+udp://h?format=leef",
                                       "syslog+udp://h?format=leef&delimiter=^"};
    char err[256];
    buf_t b;
    buf_init(&b);
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        alert_sink_spec_t sp;
        if (alert_sink_parse(urls[i], &sp, err, sizeof err) != 0) abort();
        alert__sink_env_t env = {.spec = &sp, .facility = 13, .hostname = "fuzz"};
        buf_reset(&b);
        alert__fmt_syslog(&b, a, &env);
        one_line(&b);
        if (sp.format == ALERT_FMT_RFC5424) sd_balanced(&b);
        if (sp.format == ALERT_FMT_LEEF) {
            size_t n = 0;
            for (size_t k = 0; k < b.len; k++)
                n += b.data[k] == sp.leef_delim;
            size_t attrs =
                8 + (a->first_ts_ns > 0) + (a->target_user[0] != 0) + (a->summary[0] != 0);
            if (n != attrs - 1 + (sp.leef_delim != '\t')) abort(); /* '^' also names itself */
        }
    }
    buf_reset(&b);
    alert__fmt_ecs(&b, a, "fuzz");
    one_line(&b);
    if (!alert__json_object_valid(b.data, b.len)) abort();
    buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t un = nul ? (size_t)(nul - data) : size;
    check_url(data, un);

    /* the rest: three strings, each ended by a NUL or the input's end */
    size_t rn = nul ? size - un - 1 : 0;
    char *s = malloc(rn + 3);
    if (rn) memcpy(s, nul + 1, rn);
    s[rn] = s[rn + 1] = s[rn + 2] = '\0';
    char *user = s;
    char *summary = user + strlen(user) + 1;
    char *evidence = summary + strlen(summary) + 1;
    alert_t a = {.type = (alert_type_t)(rn % (ALERT_TYPE_COUNT + 1)),
                 .severity = (alert_severity_t)(rn % (ALERT_SEV_COUNT + 1)),
                 .phase = (alert_phase_t)(rn % 4),
                 .incident_id = rn + 1,
                 .target_user = user,
                 .first_ts_ns = (int64_t)rn * 1000003,
                 .last_ts_ns = (int64_t)rn * 7777777,
                 .summary = summary,
                 .evidence_json = evidence};
    alert__rec_t *r = alert__rec_copy(&a);
    if (!r) abort();
    if (!alert__json_object_valid(r->a.evidence_json, strlen(r->a.evidence_json))) abort();
    check_formats(&r->a);
    free(r);
    free(s);
    return 0;
}
