/* alerts.c - the alert hub's place in analyze and run.
 *
 * The hub (alert.h) is created from [alerts] when detection runs or sinks
 * are configured: secrets and keys are read then, so run creates it before
 * it drops root (like output.file) and starts its threads after.  The
 * detectors publish into it through alert_hub_listener; its listeners are
 * the output writer (NDJSON or a line) and, with storage, the `alerts`
 * table; it starts before the pipeline and stops after the consumers, so
 * an incident a detector closes while the pipeline drains still reaches
 * every sink, each sink draining its queue for at most alerts.sink_drain.
 */
#include "app.h"
#include "config_map.h"
#include "encode.h"

#include <stdio.h>

int app_alerts_new(const siphon_config_t *cfg, bool detecting, alert_hub_t **hub, char *err,
                   size_t errlen)
{
    *hub = NULL;
    if (cfg->alerts.sinks.count == 0 && !detecting) return 0;
    static alert_config_t ac; /* ~80 KiB: kept off the stack */
    alert_config_default(&ac);
    if (app_config_to_alert_config(cfg, &ac, err, errlen) != 0) return -1;
    ac.encode = enc_alert_json;
    *hub = alert_hub_new(&ac, err, errlen);
    return *hub ? 0 : -1;
}

void app_alerts_listen(alert_hub_t *hub, out_t *out, st_t *st)
{
    if (!hub) return;
    if (out) alert_hub_subscribe(hub, out_alert, out);
    if (st) alert_hub_subscribe(hub, st_alert_listener, st);
}

int app_alerts_start(alert_hub_t *hub, char *err, size_t errlen)
{
    if (!hub) return 0;
    if (alert_hub_start(hub, err, errlen) != 0) return -1;
    for (uint32_t i = 0; i < alert_hub_sink_count(hub); i++)
        log_info("alerts to %s", alert_hub_sink_name(hub, i));
    return 0;
}

void app_alerts_stop(alert_hub_t *hub)
{
    if (!hub) return;
    alert_hub_stop(hub);
    for (uint32_t i = 0; i < alert_hub_sink_count(hub); i++) {
        alert_sink_stats_t s;
        alert_hub_sink_stats(hub, i, &s);
        if (s.dropped)
            log_warn("alert sink %s: queued %llu sent %llu dropped %llu retries %llu failures %llu",
                     alert_hub_sink_name(hub, i), (unsigned long long)s.queued,
                     (unsigned long long)s.sent, (unsigned long long)s.dropped,
                     (unsigned long long)s.retries, (unsigned long long)s.failures);
        else
            log_info("alert sink %s: queued %llu sent %llu dropped 0 retries %llu failures %llu",
                     alert_hub_sink_name(hub, i), (unsigned long long)s.queued,
                     (unsigned long long)s.sent, (unsigned long long)s.retries,
                     (unsigned long long)s.failures);
    }
}
