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
#include "storage.h"
#include "record.h"

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
int app_alerts_new(const siphon_config_t *cfg, bool detecting, alert_hub_t **hub, char *err,
                   size_t errlen);
/* The hub's listeners, before app_alerts_start: the output writer and the
 * storage consumer (either may be NULL). */
void app_alerts_listen(alert_hub_t *hub, out_t *out, st_t *st);
int app_alerts_start(alert_hub_t *hub, char *err, size_t errlen);
void app_alerts_stop(alert_hub_t *hub);
int cmd_db(int argc, char **argv);
/* The dashboard (web.c). */
int cmd_web(int argc, char **argv);
int cmd_user(int argc, char **argv);

/* Storage wiring shared by run, analyze and db (db.c). */
typedef struct {
    st_server_t *server; /* the embedded server, when no storage.dsn */
    st_t *st;            /* the consumer, when added */
    st_stats_t snap;
    out_counter_group_t group;
} app_storage_t;
/* With no dsn, starts the embedded server and points sc->dsn at it (before
 * dropping privileges).  0, or -1 with err. */
int app_storage_server(app_storage_t *a, st_config_t *sc, char *err, size_t errlen);
int app_storage_add(app_storage_t *a, fan_t *fan, const st_config_t *sc, char *err, size_t errlen);
/* The consumer's counters for the summary / stats lines (NULL: none). */
const out_counter_group_t *app_storage_group(app_storage_t *a);
/* Stops the embedded server (after fan_stop: the writer is done). */
void app_storage_stop(app_storage_t *a);

/* Searching the stored calls (calls.c, show.c, search_db.c). */
int cmd_calls(int argc, char **argv);
int cmd_show(int argc, char **argv);

typedef struct {
    app_storage_t storage; /* the embedded server, when it was started for us */
    st_search_t *search;
} app_search_db_t;

/* Connects to the configured database (storage.dsn, else the embedded
 * server); -1 with the reason on stderr. */
int app_search_db_open(const char *cmd, const siphon_config_t *cfg, app_search_db_t *db);
void app_search_db_close(app_search_db_t *db);
int cmd_pcap(int argc, char **argv);
/* `siphon siprec list|show` (siprec_cmd.c). */
int cmd_siprec(int argc, char **argv);

/* The packet store tells storage where each recording is (recordings.c):
 * sets rcfg's listener when st is not NULL. */
void app_recordings_to_storage(rec_config_t *rcfg, st_t *st);

/* The SIPREC recording server's listener and hooks (siprec_wire.c): ended
 * sessions to the output writer, the packet store and storage; SIP and
 * media to the packet store.  Any of out, st and the record consumer may
 * be NULL.  Wire before srs_start; unwire after srs_stop, before fan_stop
 * (the store's source writes through the record consumer). */
typedef struct {
    out_t *out;
    st_t *st;
    rec_source_t *rec;
} app_siprec_t;
int app_siprec_wire(app_siprec_t *a, srs_t *srs, void *rec_consumer_self, char *err, size_t errlen);
void app_siprec_unwire(app_siprec_t *a);
/* `siphon audio` of a recording session (siprec_audio.c): whether a store
 * recording of call_id is the SRS's, and its streams into the renderer on
 * the sides its metadata gives.  0, or -1 with err. */
struct aud_renderer;
bool app_siprec_is_session(const rec_recording_t *rec, const char *call_id);
int app_siprec_audio_feed(rec_store_t *store, const rec_recording_t *rec, struct aud_renderer *r,
                          char *err, size_t errlen);
/* An ended session as rows of storage's siprec tables (siprec_rows.c in
 * storage/ writes them). */
void app_siprec_to_storage(st_t *st, const srs_session_t *s);

#endif /* SIPHON_APP_H */
