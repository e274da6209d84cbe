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
#include "core.h"
#include "correlator.h"
#include "fanout.h"
#include "output.h"
#include "pipeline.h"
#include "proto.h"
#include "record.h"

#include <stdio.h>

/* Subcommands: argc/argv start at the subcommand's own name. */
int cmd_analyze(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_pcap(int argc, char **argv);

#endif /* SIPHON_APP_H */
