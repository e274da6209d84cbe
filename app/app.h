/* app.h - the siphon command line: subcommands that wire the components
 * together.
 *
 * The app owns no protocol logic and no formatting: it reads options and
 * the configuration, registers the consumers with the fan-out (fanout.h;
 * the table/NDJSON writer is output.h), and drives capture -> correlator.
 */
#ifndef SIPHON_APP_H
#define SIPHON_APP_H

#include "capture.h"
#include "config.h"
#include "core.h"
#include "correlator.h"
#include "fanout.h"
#include "output.h"
#include "pipeline.h"
#include "proto.h"
#include "storage.h"

#include <stdio.h>

/* Subcommands: argc/argv start at the subcommand's own name. */
int cmd_analyze(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
int cmd_run(int argc, char **argv);

/* Searching the stored calls (calls.c, show.c, search_db.c). */
int cmd_calls(int argc, char **argv);
int cmd_show(int argc, char **argv);

typedef struct {
    st_search_t *search;
} app_search_db_t;

/* Connects to the configured database; -1 with the reason on stderr. */
int app_search_db_open(const char *cmd, const siphon_config_t *cfg, app_search_db_t *db);
void app_search_db_close(app_search_db_t *db);

#endif /* SIPHON_APP_H */
