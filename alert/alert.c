/* alert.c - names of the alert model's enums, as the NDJSON contract and
 * every SIEM format spell them.
 *
 * The tables are indexed by the enums of alert.h; a value outside them (a
 * corrupted record) names itself "unknown" rather than reading past the
 * table.
 */
#include "alert.h"

static const char *const alert__type_names[ALERT_TYPE_COUNT] = {
    [ALERT_FLOOD] = "flood",
    [ALERT_DISTRIBUTION_ANOMALY] = "distribution_anomaly",
    [ALERT_SCANNER] = "scanner",
    [ALERT_ENUMERATION] = "enumeration",
    [ALERT_BRUTEFORCE] = "bruteforce",
    [ALERT_TOLL_FRAUD] = "toll_fraud",
    [ALERT_SPIT] = "spit",
    [ALERT_QUALITY] = "quality",
};

static const char *const alert__severity_names[ALERT_SEV_COUNT] = {
    [ALERT_SEV_INFO] = "info", [ALERT_SEV_LOW] = "low",           [ALERT_SEV_MEDIUM] = "medium",
    [ALERT_SEV_HIGH] = "high", [ALERT_SEV_CRITICAL] = "critical",
};

const char *alert_type_name(alert_type_t t)
{
    return (unsigned)t < ALERT_TYPE_COUNT ? alert__type_names[t] : "unknown";
}

const char *alert_severity_name(alert_severity_t s)
{
    return (unsigned)s < ALERT_SEV_COUNT ? alert__severity_names[s] : "unknown";
}

const char *alert_phase_name(alert_phase_t p)
{
    switch (p) {
    case ALERT_PHASE_OPEN:
        return "open";
    case ALERT_PHASE_UPDATE:
        return "update";
    case ALERT_PHASE_CLOSED:
        return "closed";
    }
    return "unknown";
}
