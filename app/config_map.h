/* config_map.h - app-private: turns siphon_config_t into each component's
 * own settings, and reads the configuration options every subcommand
 * shares (-c FILE and --section.key=value). */
#ifndef SIPHON_APP_CONFIG_MAP_H
#define SIPHON_APP_CONFIG_MAP_H

#include "alert.h"
#include "capture.h"
#include "config.h"
#include "correlator.h"
#include "storage.h"
#include "siprec.h"
#include "detect.h"
#include "record.h"
#include "web.h"

/* Copy the configuration's values into the component structs.  Only the
 * fields the configuration knows are written: call cap_limits_default() /
 * corr_config_default() first. */
void app_config_to_cap_limits(const siphon_config_t *cfg, cap_limits_t *l);
void app_config_to_corr_config(const siphon_config_t *cfg, corr_config_t *c);
/* [alerts] detection keys onto det_config_t; its lists point into cfg
 * (keep cfg alive while the detector runs). */
void app_config_to_det_config(const siphon_config_t *cfg, det_config_t *d);
/* One capture ring on ifname: block_size, block_count (ring_size /
 * block_size, rounded down, at least 1), promisc and bpf ("" -> NULL);
 * "any" (every interface) takes the libpcap backend.  The
 * strings are borrowed from cfg and ifname.  Call cap_ring_config_default()
 * first; the backend and fanout are the caller's choice. */
void app_config_to_ring_config(const siphon_config_t *cfg, const char *ifname,
                               cap_ring_config_t *r);

/* The [alerts] sink keys onto the alert hub's configuration (after
 * alert_config_default): every alerts.sinks URL parsed.  The strings are
 * borrowed from cfg.  0, or -1 with err naming the key, the item and what
 * is wrong with it. */
int app_config_to_alert_config(const siphon_config_t *cfg, alert_config_t *ac, char *err,
                               size_t errlen);
/* The [storage] section; st_config_default() first. */
void app_config_to_st_config(const siphon_config_t *cfg, st_config_t *s);
/* The packet store's settings ([record]); strings borrowed from cfg.  Call
 * rec_config_default() first. */
void app_config_to_rec_config(const siphon_config_t *cfg, rec_config_t *r);

/* True when section.name was set by the file or an override. */
bool app_config_is_set(const siphon_config_t *cfg, const char *section, const char *name);
/* [web] -> web_config_t (strings borrowed from cfg). */
void app_config_to_web_config(const siphon_config_t *cfg, web_config_t *w);

/* The log level: log.level raised one step per -v. */
log_level_t app_config_log_level(const siphon_config_t *cfg, int verbosity);

enum { APP_CONFIG_OK = 0, APP_CONFIG_INVALID = -1, APP_CONFIG_USAGE = -2 };

/* Takes the configuration options out of argv before getopt sees them:
 * "-c FILE", "-cFILE", "--config FILE", "--config=FILE" (the last one
 * given counts) and every "--section.key=value", up to a "--".  cfg (from
 * config_defaults) gets the file first, default_path when no -c was given
 * and default_path is not NULL, then the overrides in command-line order.
 * argv is compacted in place and *argc updated.  Every error is printed to
 * stderr as "FILE:LINE: message".  Returns APP_CONFIG_OK, APP_CONFIG_INVALID
 * (errors printed) or APP_CONFIG_USAGE (-c without a file name).  *path_used
 * (if not NULL) gets the file read, or NULL. */
int app_config_from_args(const char *cmd, int *argc, char **argv, const char *default_path,
                         siphon_config_t *cfg, const char **path_used);

/* The configuration against this host (preflight.c): the BPF filter
 * compiles, capture.user exists and is not root, every capture interface
 * exists ("any" allowed).  Appends one "SECTION.KEY: message\n" line per
 * problem to out and returns how many there were. */
unsigned app_preflight(const siphon_config_t *cfg, buf_t *out);

/* [siprec] into srs_config_t (pointers into cfg): the number of problems,
 * each one line "siprec.KEY: message" appended to errs. */
unsigned app_config_to_srs_config(const siphon_config_t *cfg, srs_config_t *c, buf_t *errs);

#endif /* SIPHON_APP_CONFIG_MAP_H */
