/* fmt_syslog.c - an alert as one RFC 5424 syslog message.
 *
 *   <PRI>1 TIMESTAMP HOSTNAME siphon PROCID MSGID [siphon@32473 k="v" ...] summary
 *
 * PRI is facility * 8 + severity; TIMESTAMP the packet time of the latest
 * evidence; MSGID the alert type.  format=rfc5424 puts every field of the
 * alert in one SD-ELEMENT (parameter names those of the NDJSON contract,
 * values escaped by RFC 5424 6.3.3) and the summary in MSG.  format=cef
 * and format=leef put NILVALUE for the structured data and the CEF or
 * LEEF record as MSG, the way ArcSight and QRadar connectors read
 * syslog.  The SD-ID uses PEN 32473, reserved for documentation (RFC
 * 5612): a site with its own enterprise number rewrites nothing else.
 * Framing (octet counting on TCP and TLS) is the transport's.
 */
#include "alert_internal.h"

#include <string.h>
#include <unistd.h>

static void alert__sd_param(buf_t *out, const char *name, const char *v, size_t n)
{
    buf_printf(out, " %s=\"", name);
    alert__escape(out, v, n, ALERT__ESC_SD, 0);
    buf_putc(out, '"');
}

static void alert__sd_ip(buf_t *out, const char *name, const endpoint_t *e, const char *pname)
{
    if (e->ip.family == IP_NONE) return;
    char ip[IP_STR_MAX];
    size_t n = ip_addr_format(&e->ip, ip, sizeof ip);
    alert__sd_param(out, name, ip, n);
    if (e->port) buf_printf(out, " %s=\"%u\"", pname, e->port);
}

static void alert__sd_ts(buf_t *out, const char *name, int64_t ts)
{
    if (ts <= 0) return;
    buf_printf(out, " %s=\"", name);
    alert__ts_rfc3339(out, ts);
    buf_putc(out, '"');
}

void alert__fmt_syslog(buf_t *out, const alert_t *a, const alert__sink_env_t *env)
{
    const alert_sink_spec_t *sp = env->spec;
    buf_printf(out, "<%d>1 ", env->facility * 8 + alert__sev_syslog(a->severity));
    alert__ts_rfc3339(out, a->last_ts_ns);
    buf_printf(out, " %s siphon %ld %s ", env->hostname, (long)getpid(), alert_type_name(a->type));
    if (sp->format == ALERT_FMT_CEF) {
        buf_append(out, "- ", 2);
        alert__fmt_cef(out, a);
        return;
    }
    if (sp->format == ALERT_FMT_LEEF) {
        buf_append(out, "- ", 2);
        alert__fmt_leef(out, a, sp->leef_delim);
        return;
    }
    buf_printf(out,
               "[siphon@32473 alert_type=\"%s\" severity=\"%s\" phase=\"%s\" incident_id=\"%llu\"",
               alert_type_name(a->type), alert_severity_name(a->severity),
               alert_phase_name(a->phase), (unsigned long long)a->incident_id);
    alert__sd_ip(out, "src_ip", &a->src, "src_port");
    alert__sd_ip(out, "dst_ip", &a->dst, "dst_port");
    if (a->target_user && a->target_user[0])
        alert__sd_param(out, "target_user", a->target_user, strlen(a->target_user));
    alert__sd_ts(out, "first_ts", a->first_ts_ns);
    alert__sd_ts(out, "last_ts", a->last_ts_ns);
    buf_printf(out, " count=\"%llu\"", (unsigned long long)a->count);
    const char *ev = a->evidence_json && a->evidence_json[0] ? a->evidence_json : "{}";
    alert__sd_param(out, "evidence", ev, strlen(ev));
    buf_putc(out, ']');
    if (a->summary && a->summary[0]) {
        buf_putc(out, ' ');
        alert__escape_cstr(out, a->summary, ALERT__ESC_MSG, 0);
    }
}
