/* fmt_cef.c - an alert as one ArcSight CEF record.
 *
 *   CEF:0|siphon|siphon|VERSION|<alert_type>|<title>|<0-10>|rt=... src=... msg=...
 *
 * Header fields escape '|' and '\'; extension values escape '=' and '\'
 * and write CR/LF as \r \n (the CEF implementation standard).  The
 * extension uses the dictionary's keys: rt/start/end (ms since the epoch),
 * src/spt/dst/dpt (IPv4; an IPv6 address goes to c6a2/c6a3, labelled, as
 * src and dst are IPv4 fields), duser (the targeted account or number),
 * cnt, externalId (the incident), cat (the alert type), msg (the summary),
 * cs1 the evidence JSON and cs2 the incident's phase, with their labels.
 */
#include "alert_internal.h"

#include <string.h>

static void alert__cef_kv(buf_t *out, const char *k, const char *v, size_t n)
{
    buf_printf(out, " %s=", k);
    alert__escape(out, v, n, ALERT__ESC_CEF_EXT, 0);
}

static void alert__cef_ip(buf_t *out, const endpoint_t *e, bool src)
{
    if (e->ip.family == IP_NONE) return;
    char ip[IP_STR_MAX];
    size_t n = ip_addr_format(&e->ip, ip, sizeof ip);
    if (e->ip.family == IP_V4) {
        alert__cef_kv(out, src ? "src" : "dst", ip, n);
    } else {
        buf_printf(out,
                   src ? " c6a2Label=Source IPv6 Address" : " c6a3Label=Destination IPv6 Address");
        alert__cef_kv(out, src ? "c6a2" : "c6a3", ip, n);
    }
    if (e->port) buf_printf(out, " %s=%u", src ? "spt" : "dpt", e->port);
}

static int64_t alert__ms(int64_t ns)
{
    return ns > 0 ? ns / 1000000 : 0;
}

void alert__fmt_cef(buf_t *out, const alert_t *a)
{
    buf_append(out, "CEF:0|", 6);
    alert__escape_cstr(out, "siphon", ALERT__ESC_CEF_HDR, 0);
    buf_putc(out, '|');
    alert__escape_cstr(out, "siphon", ALERT__ESC_CEF_HDR, 0);
    buf_putc(out, '|');
    alert__escape_cstr(out, alert__version, ALERT__ESC_CEF_HDR, 0);
    buf_putc(out, '|');
    alert__escape_cstr(out, alert_type_name(a->type), ALERT__ESC_CEF_HDR, 0);
    buf_putc(out, '|');
    alert__escape_cstr(out, alert__type_title(a->type), ALERT__ESC_CEF_HDR, 0);
    buf_printf(out, "|%d|", alert__sev_ten(a->severity));
    int64_t last = a->last_ts_ns > 0 ? a->last_ts_ns : clock_real_ns();
    buf_printf(out, "rt=%lld", (long long)alert__ms(last));
    if (a->first_ts_ns > 0) buf_printf(out, " start=%lld", (long long)alert__ms(a->first_ts_ns));
    buf_printf(out, " end=%lld", (long long)alert__ms(last));
    buf_printf(out, " cat=%s externalId=%llu cnt=%llu", alert_type_name(a->type),
               (unsigned long long)a->incident_id, (unsigned long long)a->count);
    alert__cef_ip(out, &a->src, true);
    alert__cef_ip(out, &a->dst, false);
    if (a->target_user && a->target_user[0])
        alert__cef_kv(out, "duser", a->target_user, strlen(a->target_user));
    buf_printf(out, " cs2Label=phase cs2=%s", alert_phase_name(a->phase));
    const char *ev = a->evidence_json && a->evidence_json[0] ? a->evidence_json : "{}";
    buf_append(out, " cs1Label=evidence", 18);
    alert__cef_kv(out, "cs1", ev, strlen(ev));
    if (a->summary && a->summary[0]) alert__cef_kv(out, "msg", a->summary, strlen(a->summary));
}
