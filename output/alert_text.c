/* alert_text.c - an alert (alert.h) as one line for people:
 *
 *   ALERT open high flood 10.0.0.9:5060 -> 10.0.0.1:5060 user=100 count=4210
 *         2026-03-01T10:00:00.120Z..10:00:01.020Z INVITE flood: 4,210 requests ...
 *
 * Addresses are the program's own text; the target user and the summary
 * carry bytes from the wire (User-Agents, user names, Call-IDs) and go
 * through text_inert, so nothing an attacker sends reaches a terminal as a
 * control.  The evidence is left to the JSON output.
 */
#include "output.h"

#include <stdio.h>

static void ep(buf_t *out, const endpoint_t *e)
{
    if (e->ip.family == IP_NONE) {
        buf_printf(out, "-");
        return;
    }
    char ip[IP_STR_MAX];
    ip_addr_format(&e->ip, ip, sizeof ip);
    if (!e->port)
        buf_printf(out, "%s", ip);
    else if (e->ip.family == IP_V6)
        buf_printf(out, "[%s]:%u", ip, e->port);
    else
        buf_printf(out, "%s:%u", ip, e->port);
}

static void ts(buf_t *out, int64_t ns)
{
    char t[64];
    if (ns <= 0 || !ts_format_rfc3339(ns, t, sizeof t))
        buf_printf(out, "-");
    else
        buf_printf(out, "%s", t);
}

void out_alert_text(buf_t *out, const alert_t *a)
{
    buf_printf(out, "ALERT %s %s %s ", alert_phase_name(a->phase), alert_severity_name(a->severity),
               alert_type_name(a->type));
    ep(out, &a->src);
    buf_printf(out, " -> ");
    ep(out, &a->dst);
    if (a->target_user && a->target_user[0]) {
        buf_printf(out, " user=");
        text_inert_cstr(out, a->target_user);
    }
    buf_printf(out, " count=%llu ", (unsigned long long)a->count);
    ts(out, a->first_ts_ns);
    buf_printf(out, "..");
    ts(out, a->last_ts_ns);
    buf_printf(out, " ");
    text_inert_cstr(out, a->summary);
    buf_putc(out, '\n');
}
