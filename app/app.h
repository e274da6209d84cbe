/* app.h - the siphon command line: subcommands that wire the components
 * together.
 *
 * The app owns no protocol logic and no formatting: it reads options and
 * the configuration, registers the consumers with the fan-out (fanout.h;
 * the table/NDJSON writer is output.h), and drives capture -> correlator.
 */
#ifndef SIPHON_APP_H
#define SIPHON_APP_H

#include "alert.h"
#include "capture.h"
#include "config.h"
#include "core.h"
#include "correlator.h"
#include "fanout.h"
#include "output.h"
#include "pipeline.h"
#include "proto.h"

#include <stdio.h>

/* Subcommands: argc/argv start at the subcommand's own name. */
int cmd_analyze(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
int cmd_run(int argc, char **argv);
/* siphon audio (audio.c): one call's voice as an audio file */
int cmd_audio(int argc, char **argv);

/* The alert hub in analyze and run (alerts.c): created from [alerts] when
 * sinks are configured (*hub stays NULL otherwise), started before the
 * pipeline, stopped after the consumers (draining), its counters logged.
 * Every call takes NULL.  0, or -1 with err set. */
int app_alerts_new(const siphon_config_t *cfg, alert_hub_t **hub, char *err, size_t errlen);
int app_alerts_start(alert_hub_t *hub, char *err, size_t errlen);
void app_alerts_stop(alert_hub_t *hub);

#endif /* SIPHON_APP_H */
