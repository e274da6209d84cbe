/* config_map.c - from the configuration (config/) to the settings of each
 * component, and the -c / --section.key=value options of every subcommand.
 *
 * Design: config/ knows nothing of capture or the correlator, and they know
 * nothing of configuration files; this file is the only place the two
 * meet.  A mapping writes only the fields the schema has, on top of the
 * component's own defaults, so a field a component adds keeps its default
 * until a key is added here and in config/schema.c.  Values are already
 * range-checked by the schema; the clamps below only protect the narrower
 * uint32_t fields should a range be widened one day.
 *
 * Configuration options are taken out of argv before getopt_long runs (it
 * cannot accept arbitrary --section.key names), in two passes: the first
 * finds -c so that the file is read before any override, the second applies
 * overrides in order and compacts argv.
 */
#include "config_map.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static uint32_t u32(uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static uint32_t ms(int64_t ns)
{
    return ns <= 0 ? 0 : u32((uint64_t)ns / NS_PER_MSEC);
}

void app_config_to_cap_limits(const siphon_config_t *cfg, cap_limits_t *l)
{
    l->max_frag_datagrams = cfg->capture.max_frag_datagrams;
    l->max_frag_bytes = u32(cfg->capture.max_frag_bytes);
    l->frag_timeout_ns = cfg->capture.frag_timeout_ns;
    l->max_tcp_streams = cfg->capture.max_tcp_streams;
    l->max_tcp_stream_bytes = u32(cfg->capture.max_tcp_stream_bytes);
    l->max_tcp_total_bytes = cfg->capture.max_tcp_total_bytes;
    l->tcp_idle_ns = cfg->capture.tcp_idle_timeout_ns;
    l->max_sip_header_bytes = u32(cfg->capture.max_sip_header_bytes);
    l->max_sctp_messages = cfg->capture.max_sctp_messages;
    l->max_sctp_message_bytes = u32(cfg->capture.max_sctp_message_bytes);
    l->max_sctp_total_bytes = cfg->capture.max_sctp_total_bytes;
    l->dedup_window_ns = cfg->capture.dedup_window_ns;
    l->dedup_slots = cfg->capture.dedup_slots;
}

void app_config_to_corr_config(const siphon_config_t *cfg, corr_config_t *c)
{
    c->max_calls = cfg->correlator.max_calls;
    c->max_streams = cfg->correlator.max_streams;
    c->max_media_endpoints = cfg->correlator.max_media_endpoints;
    c->max_orphan_flows = cfg->correlator.max_orphan_flows;
    c->max_streams_per_call = cfg->correlator.max_streams_per_call;
    c->call_idle_timeout_ns = cfg->correlator.call_idle_timeout_ns;
    c->call_linger_ns = cfg->correlator.call_linger_ns;
    c->orphan_idle_timeout_ns = cfg->correlator.orphan_idle_timeout_ns;
    c->classify_orphans = cfg->correlator.classify_orphans;
    c->max_dtmf_events = cfg->correlator.max_dtmf_events;
    c->max_vq_reports = cfg->correlator.max_vq_reports;
    c->max_rtcp_streams = cfg->correlator.max_rtcp_streams;
    c->max_registrations = cfg->correlator.max_registrations;
    c->quality.jb_fixed_ms = ms(cfg->quality.jb_fixed_delay_ns);
    c->quality.jb_min_ms = ms(cfg->quality.jb_min_delay_ns);
    c->quality.jb_max_ms = ms(cfg->quality.jb_max_delay_ns);
    c->quality.interval_ms = ms(cfg->quality.interval_ns);
    c->quality.max_intervals = cfg->quality.max_intervals;
}

void app_config_to_ring_config(const siphon_config_t *cfg, const char *ifname, cap_ring_config_t *r)
{
    uint64_t block = cfg->capture.block_size ? cfg->capture.block_size : 1;
    uint64_t count = cfg->capture.ring_size / block;
    r->ifname = ifname;
    /* "any" is libpcap's cooked capture on every interface; the AF_PACKET
     * ring binds one device */
    if (strcmp(ifname, "any") == 0) r->use_libpcap = true;
    r->block_size = u32(block);
    r->block_count = count ? u32(count) : 1;
    r->promisc = cfg->capture.promiscuous;
    r->bpf = cfg->capture.bpf_filter && cfg->capture.bpf_filter[0] ? cfg->capture.bpf_filter : NULL;
}

log_level_t app_config_log_level(const siphon_config_t *cfg, int verbosity)
{
    int level = (int)cfg->log.level + (verbosity > 0 ? verbosity : 0);
    return level > LOG_LVL_DEBUG ? LOG_LVL_DEBUG : (log_level_t)level;
}

/* 1 for "-c"/"--config" (a file name follows), 2 for "-cFILE" and
 * "--config=FILE" (*path set), 0 otherwise. */
static int config_option(const char *a, const char **path)
{
    if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) return 1;
    if (strncmp(a, "--config=", 9) == 0) return *path = a + 9, 2;
    if (a[0] == '-' && a[1] == 'c' && a[2]) return *path = a + 2, 2;
    return 0;
}

int app_config_from_args(const char *cmd, int *argc, char **argv, const char *default_path,
                         siphon_config_t *cfg, const char **path_used)
{
    int n = *argc;
    const char *path = NULL;
    if (path_used) *path_used = NULL;
    for (int i = 1; i < n && strcmp(argv[i], "--") != 0; i++) {
        int kind = config_option(argv[i], &path);
        if (kind == 1) {
            if (i + 1 >= n) {
                fprintf(stderr, "siphon %s: %s needs a file name\n", cmd, argv[i]);
                return APP_CONFIG_USAGE;
            }
            path = argv[++i];
        }
    }
    if (!path && default_path) {
        if (access(default_path, F_OK) != 0 && errno == ENOENT) {
            fprintf(stderr, "siphon %s: no configuration file at %s (give one with -c FILE)\n", cmd,
                    default_path);
            return APP_CONFIG_INVALID;
        }
        path = default_path;
    }

    static config_errors_t errs; /* ~23 KiB: kept off the stack */
    config_errors_init(&errs);
    int rc = APP_CONFIG_OK;
    if (path && config_load_file(cfg, path, &errs) != 0) rc = APP_CONFIG_INVALID;

    int out = 1;
    bool ended = false;
    for (int i = 1; i < n; i++) {
        const char *a = argv[i], *ignored;
        if (!ended && strcmp(a, "--") == 0) {
            ended = true;
        } else if (!ended) {
            int kind = config_option(a, &ignored);
            if (kind) {
                i += kind == 1;
                continue;
            }
            if (config_is_override(a)) {
                if (config_set_override(cfg, a, &errs) != 0) rc = APP_CONFIG_INVALID;
                continue;
            }
        }
        argv[out++] = argv[i];
    }
    argv[out] = NULL;
    *argc = out;

    buf_t b;
    buf_init(&b);
    for (uint32_t i = 0; i < errs.count; i++) {
        config_error_format(&errs.items[i], &b);
        buf_putc(&b, '\n');
    }
    if (errs.truncated)
        buf_printf(&b, "siphon %s: more than %d errors, the rest are not shown\n", cmd,
                   CONFIG_ERRORS_MAX);
    if (b.len) fwrite(b.data, 1, b.len, stderr);
    buf_free(&b);
    if (path_used) *path_used = path;
    return rc;
}

/* [storage] -> st_config_t (strings borrowed from cfg).  maintenance and
 * the embedded flag are the subcommand's choice. */
void app_config_to_st_config(const siphon_config_t *cfg, st_config_t *s)
{
    s->dsn = cfg->storage.dsn;
    s->data_dir = cfg->storage.data_dir;
    s->run_dir = cfg->storage.run_dir;
    s->pg_user = cfg->storage.pg_user;
    s->pg_bin = cfg->storage.pg_bin;
    s->client_user = cfg->capture.user;
    s->probe = cfg->storage.probe;
    s->auto_migrate = (st_migrate_t)cfg->storage.auto_migrate;
    s->retention_ns = cfg->storage.retention_ns;
    s->maintenance_interval_ns = cfg->storage.maintenance_interval_ns;
    s->batch_rows = cfg->storage.batch_rows;
    s->batch_delay_ns = cfg->storage.batch_delay_ns;
    s->queue = cfg->storage.queue;
    s->spool_dir = cfg->storage.spool_dir;
    s->spool_max = cfg->storage.spool_max;
    s->spool_fsync = (st_fsync_t)cfg->storage.spool_fsync;
    s->n_skip_methods = 0;
    for (uint32_t i = 0; i < cfg->storage.skip_methods.count && i < ST_SKIP_METHODS_MAX; i++)
        s->skip_methods[s->n_skip_methods++] = cfg->storage.skip_methods.items[i];
    s->connect_timeout_ns = cfg->storage.connect_timeout_ns;
}

/* [web] -> web_config_t (strings borrowed from cfg). */
void app_config_to_web_config(const siphon_config_t *cfg, web_config_t *w)
{
    w->listen = cfg->web.listen;
    w->tls_cert = cfg->web.tls_cert;
    w->tls_key = cfg->web.tls_key;
    w->state_dir = cfg->web.state_dir;
    w->ui_dir = cfg->web.ui_dir;
    w->plain_http = cfg->web.plain_http;
    w->max_clients = cfg->web.max_clients;
    w->ws_queue = cfg->web.ws_queue;
    w->max_sessions = cfg->web.max_sessions;
    w->max_body = cfg->web.max_body;
    w->request_timeout_ns = cfg->web.request_timeout_ns;
    w->session_idle_ns = cfg->web.session_idle_ns;
    w->session_max_ns = cfg->web.session_max_ns;
}
