/* fmt_leef.c - an alert as one IBM QRadar LEEF 2.0 record.
 *
 *   LEEF:2.0|siphon|siphon|VERSION|<alert_type>|x09|cat=flood<TAB>devTime=...<TAB>sev=8...
 *
 * The sixth header field names the delimiter (the character itself when
 * printable, else xHH); attributes are key=value separated by it.  LEEF
 * has no escape syntax, so values lose the delimiter, CR, LF and other
 * controls (escape.c); '=' inside a value is fine, as a LEEF parser
 * splits each attribute at its first '='.  Keys are LEEF's predefined
 * ones (cat, devTime with devTimeFormat, sev 1-10, src, dst, srcPort,
 * dstPort, usrName) and, for what LEEF has no key for, our own (incidentId,
 * phase, count, startTime, msg, evidence).
 */
#include "alert_internal.h"

#include <string.h>
#include <time.h>

static void alert__leef_kv(buf_t *out, char d, const char *k, const char *v, size_t n)
{
    buf_putc(out, d);
    buf_printf(out, "%s=", k);
    alert__escape(out, v, n, ALERT__ESC_LEEF, d);
}

/* devTimeFormat "MMM dd yyyy HH:mm:ss.SSS z" (Java SimpleDateFormat, UTC). */
static void alert__leef_time(buf_t *out, int64_t ns)
{
    static const char *const mon[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(ns / NS_PER_SEC);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) tm = (struct tm){.tm_mday = 1, .tm_year = 70};
    buf_printf(out, "%s %02d %04d %02d:%02d:%02d.%03d UTC", mon[tm.tm_mon % 12], tm.tm_mday,
               tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
               (int)((ns % NS_PER_SEC) / 1000000));
}

static void alert__leef_ip(buf_t *out, char d, const endpoint_t *e, bool src)
{
    if (e->ip.family == IP_NONE) return;
    char ip[IP_STR_MAX];
    size_t n = ip_addr_format(&e->ip, ip, sizeof ip);
    alert__leef_kv(out, d, src ? "src" : "dst", ip, n);
    if (e->port) buf_printf(out, "%c%s=%u", d, src ? "srcPort" : "dstPort", e->port);
}

void alert__fmt_leef(buf_t *out, const alert_t *a, char d)
{
    buf_append(out, "LEEF:2.0|", 9);
    alert__escape_cstr(out, "siphon", ALERT__ESC_LEEF_HDR, 0);
    buf_putc(out, '|');
    alert__escape_cstr(out, "siphon", ALERT__ESC_LEEF_HDR, 0);
    buf_putc(out, '|');
    alert__escape_cstr(out, alert__version, ALERT__ESC_LEEF_HDR, 0);
    buf_putc(out, '|');
    alert__escape_cstr(out, alert_type_name(a->type), ALERT__ESC_LEEF_HDR, 0);
    if (d > 0x20 && d < 0x7f)
        buf_printf(out, "|%c|", d);
    else
        buf_printf(out, "|x%02x|", (unsigned char)d);
    buf_printf(out, "cat=%s", alert_type_name(a->type));
    int64_t last = a->last_ts_ns > 0 ? a->last_ts_ns : clock_real_ns();
    buf_printf(out, "%cdevTimeFormat=MMM dd yyyy HH:mm:ss.SSS z%cdevTime=", d, d);
    alert__leef_time(out, last);
    buf_printf(out, "%csev=%d", d, alert__sev_ten(a->severity));
    alert__leef_ip(out, d, &a->src, true);
    alert__leef_ip(out, d, &a->dst, false);
    if (a->target_user && a->target_user[0])
        alert__leef_kv(out, d, "usrName", a->target_user, strlen(a->target_user));
    buf_printf(out, "%cincidentId=%llu%cphase=%s%ccount=%llu", d,
               (unsigned long long)a->incident_id, d, alert_phase_name(a->phase), d,
               (unsigned long long)a->count);
    if (a->first_ts_ns > 0) {
        buf_printf(out, "%cstartTime=", d);
        alert__leef_time(out, a->first_ts_ns);
    }
    if (a->summary && a->summary[0]) alert__leef_kv(out, d, "msg", a->summary, strlen(a->summary));
    const char *ev = a->evidence_json && a->evidence_json[0] ? a->evidence_json : "{}";
    alert__leef_kv(out, d, "evidence", ev, strlen(ev));
}
