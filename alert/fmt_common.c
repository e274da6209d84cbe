/* fmt_common.c - what every SIEM format says the same way: the severity
 * on each format's scale, a fixed human-readable title per alert type, and
 * times.
 *
 * Severities map one to one so a SIEM rule written against one format
 * matches the others: RFC 5424 severity 6 informational, 5 notice,
 * 4 warning, 3 error, 2 critical; CEF, LEEF and ECS 1, 3, 5, 8, 10 (CEF's
 * Low 0-3, Medium 4-6, High 7-8, Very-High 9-10 bands).  Titles are ours
 * (never attacker text), so a CEF header's Name field is always plain.
 */
#include "alert_internal.h"

#include <time.h>

#ifndef ALERT_VERSION
#define ALERT_VERSION "0"
#endif

const char alert__version[] = ALERT_VERSION;

int alert__sev_syslog(alert_severity_t s)
{
    static const int map[ALERT_SEV_COUNT] = {6, 5, 4, 3, 2};
    return (unsigned)s < ALERT_SEV_COUNT ? map[s] : 4;
}

int alert__sev_ten(alert_severity_t s)
{
    static const int map[ALERT_SEV_COUNT] = {1, 3, 5, 8, 10};
    return (unsigned)s < ALERT_SEV_COUNT ? map[s] : 5;
}

const char *alert__type_title(alert_type_t t)
{
    static const char *const titles[ALERT_TYPE_COUNT] = {
        [ALERT_FLOOD] = "SIP request flood",
        [ALERT_DISTRIBUTION_ANOMALY] = "SIP traffic distribution anomaly",
        [ALERT_SCANNER] = "SIP scanner",
        [ALERT_ENUMERATION] = "SIP extension enumeration",
        [ALERT_BRUTEFORCE] = "SIP password guessing",
        [ALERT_TOLL_FRAUD] = "Toll fraud",
        [ALERT_SPIT] = "Spam over IP telephony",
        [ALERT_QUALITY] = "Voice quality degradation",
    };
    return (unsigned)t < ALERT_TYPE_COUNT ? titles[t] : "SIP alert";
}

void alert__ts_rfc3339(buf_t *out, int64_t ts_ns)
{
    char t[40];
    size_t n = ts_format_rfc3339(ts_ns > 0 ? ts_ns : clock_real_ns(), t, sizeof t);
    buf_append(out, t, n);
}
