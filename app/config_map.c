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

void app_config_to_det_config(const siphon_config_t *cfg, det_config_t *d)
{
    d->memory_bytes = cfg->alerts.memory;
    d->queue_size = cfg->alerts.queue_size;
    d->update_interval = cfg->alerts.update_interval_ns;
    d->close_after = cfg->alerts.close_after_ns;
    d->rate_limit = cfg->alerts.rate_limit;
    d->trusted = (const char *const *)cfg->alerts.trusted.items;
    d->n_trusted = cfg->alerts.trusted.count;
    d->flood_requests = cfg->alerts.flood_requests;
    d->flood_window = cfg->alerts.flood_window_ns;
    d->flood_method_requests = cfg->alerts.flood_method_requests;
    d->flood_method_window = cfg->alerts.flood_method_window_ns;
    d->flood_target_requests = cfg->alerts.flood_target_requests;
    d->flood_target_sources = cfg->alerts.flood_target_sources;
    d->flood_target_window = cfg->alerts.flood_target_window_ns;
    d->anomaly_slot = cfg->alerts.anomaly_slot_ns;
    d->anomaly_threshold_pct = cfg->alerts.anomaly_threshold;
    d->anomaly_min_messages = cfg->alerts.anomaly_min_messages;
    d->anomaly_training_slots = cfg->alerts.anomaly_training_slots;
    d->scan_targets = cfg->alerts.scan_targets;
    d->scan_window = cfg->alerts.scan_window_ns;
    d->scanner_user_agents = (const char *const *)cfg->alerts.scanner_user_agents.items;
    d->n_scanner_user_agents = cfg->alerts.scanner_user_agents.count;
    d->enum_users = cfg->alerts.enum_users;
    d->enum_window = cfg->alerts.enum_window_ns;
    d->enum_failure_pct = cfg->alerts.enum_failure_pct;
    d->brute_short = cfg->alerts.brute_short;
    d->brute_short_window = cfg->alerts.brute_short_window_ns;
    d->brute_long = cfg->alerts.brute_long;
    d->brute_long_window = cfg->alerts.brute_long_window_ns;
    d->toll_prefix_len = cfg->alerts.toll_prefix_len;
    d->toll_prefixes = cfg->alerts.toll_prefixes;
    d->toll_window = cfg->alerts.toll_window_ns;
    d->toll_premium_prefixes = (const char *const *)cfg->alerts.toll_premium_prefixes.items;
    d->n_toll_premium_prefixes = cfg->alerts.toll_premium_prefixes.count;
    d->toll_max_concurrent = cfg->alerts.toll_max_concurrent;
    d->spit_window = cfg->alerts.spit_window_ns;
    d->spit_min_calls = cfg->alerts.spit_min_calls;
    d->spit_threshold_pct = cfg->alerts.spit_threshold;
    d->spit_short_call = cfg->alerts.spit_short_call_ns;
    d->quality_mos_x100 = cfg->alerts.quality_mos;
    d->quality_bad_calls = cfg->alerts.quality_bad_calls;
    d->quality_loss_pct = cfg->alerts.quality_loss_pct;
    d->quality_jitter = cfg->alerts.quality_jitter_ns;
    d->quality_bad_intervals = cfg->alerts.quality_bad_intervals;
    d->quality_window = cfg->alerts.quality_window_ns;
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

int app_config_to_alert_config(const siphon_config_t *cfg, alert_config_t *ac, char *err,
                               size_t errlen)
{
    const config_list_t *l = &cfg->alerts.sinks;
    if (l->count > ALERT_SINKS_MAX) {
        snprintf(err, errlen, "alerts.sinks: %u sinks, at most %d", l->count, ALERT_SINKS_MAX);
        return -1;
    }
    for (uint32_t i = 0; i < l->count; i++) {
        char why[256];
        if (alert_sink_parse(l->items[i], &ac->sinks[i], why, sizeof why) != 0) {
            snprintf(err, errlen, "alerts.sinks: item %u (%.200s): %s", i + 1, l->items[i], why);
            return -1;
        }
    }
    ac->sink_count = l->count;
    ac->tls_ca = cfg->alerts.tls_ca;
    ac->tls_cert = cfg->alerts.tls_cert;
    ac->tls_key = cfg->alerts.tls_key;
    ac->webhook_secret_file = cfg->alerts.webhook_secret_file;
    ac->hec_token_file = cfg->alerts.hec_token_file;
    ac->queue = cfg->alerts.sink_queue;
    ac->retry_min_ns = cfg->alerts.sink_retry_min_ns;
    ac->retry_max_ns = cfg->alerts.sink_retry_max_ns;
    ac->timeout_ns = cfg->alerts.sink_timeout_ns;
    ac->drain_ns = cfg->alerts.sink_drain_ns;
    ac->facility = (int)cfg->alerts.syslog_facility;
    ac->hostname = cfg->alerts.hostname;
    return 0;
}

void app_config_to_rec_config(const siphon_config_t *cfg, rec_config_t *r)
{
    r->dir = cfg->record.dir;
    r->calls = (rec_calls_t)cfg->record.calls;
    r->rules = (const char *const *)cfg->record.rules.items;
    r->rule_count = cfg->record.rules.count;
    r->sip = cfg->record.sip;
    r->rtp = (rec_rtp_t)cfg->record.rtp;
    r->max_disk = cfg->record.max_disk;
    r->min_free = cfg->record.min_free;
    r->retention_ns = cfg->record.retention_ns;
    r->segment_ns = cfg->record.segment_time_ns;
    r->segment_bytes = cfg->record.segment_size;
    r->queue_bytes = cfg->record.queue_size;
    r->max_calls = cfg->record.max_calls;
    r->audio_at_end = cfg->record.audio_at_end;
    r->audio_format = (aud_format_t)cfg->record.audio_format;
    r->audio_queue = cfg->record.audio_queue;
}

bool app_config_is_set(const siphon_config_t *cfg, const char *section, const char *name)
{
    size_t n;
    const config_key_t *base = config_schema(&n);
    const config_key_t *k = config_find(section, name);
    return k && cfg->source[k - base] != CONFIG_SRC_DEFAULT;
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

    /* [alerts] sink URLs: a value the schema's types cannot check */
    static alert_config_t ac; /* ~80 KiB: kept off the stack */
    char aerr[512];
    alert_config_default(&ac);
    if (rc == APP_CONFIG_OK && app_config_to_alert_config(cfg, &ac, aerr, sizeof aerr) != 0) {
        fprintf(stderr, "siphon %s: %s\n", cmd, aerr);
        rc = APP_CONFIG_INVALID;
    }

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
    s->writers = cfg->storage.writers;
}

/* [web] -> web_config_t (strings borrowed from cfg). */
void app_config_to_web_config(const siphon_config_t *cfg, web_config_t *w)
{
    w->listen = cfg->web.listen;
    w->tls_cert = cfg->web.tls_cert;
    w->tls_key = cfg->web.tls_key;
    w->state_dir = cfg->web.state_dir;
    w->ui_dir = cfg->web.ui_dir;
    w->record_dir = cfg->record.enabled ? cfg->record.dir : "";
    w->plain_http = cfg->web.plain_http;
    w->max_clients = cfg->web.max_clients;
    w->ws_queue = cfg->web.ws_queue;
    w->max_sessions = cfg->web.max_sessions;
    w->max_body = cfg->web.max_body;
    w->request_timeout_ns = cfg->web.request_timeout_ns;
    w->session_idle_ns = cfg->web.session_idle_ns;
    w->session_max_ns = cfg->web.session_max_ns;
    w->query_workers = cfg->web.query_workers;
    w->query_queue = cfg->web.query_queue;
    w->query_timeout_ns = cfg->web.query_timeout_ns;
    w->max_download = cfg->web.max_download;
}

/* ------------------------------ [siprec] -------------------------------- */

unsigned app_config_to_srs_config(const siphon_config_t *cfg, srs_config_t *c, buf_t *errs)
{
    unsigned bad = 0;
    char err[256];
    srs_config_default(c);
    const config_list_t *l = &cfg->siprec.listen;
    if (l->count > SRS_MAX_LISTEN) {
        buf_printf(errs, "siprec.listen: at most %d listeners\n", SRS_MAX_LISTEN);
        bad++;
    }
    for (uint32_t i = 0; i < l->count && i < SRS_MAX_LISTEN; i++) {
        if (srs_parse_listen(l->items[i], &c->listen[c->n_listen], err, sizeof err) != 0) {
            buf_printf(errs, "siprec.listen: %s\n", err);
            bad++;
            continue;
        }
        if (c->listen[c->n_listen].transport == SRS_TLS &&
            (!cfg->siprec.tls_cert[0] || !cfg->siprec.tls_key[0])) {
            buf_printf(errs, "siprec.listen: %s needs siprec.tls_cert and siprec.tls_key\n",
                       l->items[i]);
            bad++;
        }
        c->n_listen++;
    }
    const config_list_t *a = &cfg->siprec.allow;
    if (a->count > SRS_MAX_ALLOW) {
        buf_printf(errs, "siprec.allow: at most %d entries\n", SRS_MAX_ALLOW);
        bad++;
    }
    for (uint32_t i = 0; i < a->count && i < SRS_MAX_ALLOW; i++) {
        if (srs_parse_cidr(a->items[i], &c->allow[c->n_allow], err, sizeof err) != 0) {
            buf_printf(errs, "siprec.allow: %s\n", err);
            bad++;
            continue;
        }
        c->n_allow++;
    }
    if (srs_parse_port_range(cfg->siprec.rtp_ports, &c->rtp_port_min, &c->rtp_port_max, err,
                             sizeof err) != 0) {
        buf_printf(errs, "siprec.rtp_ports: %s\n", err);
        bad++;
    }
    if (cfg->siprec.verify_client && !cfg->siprec.tls_ca[0]) {
        buf_printf(errs, "siprec.verify_client: needs siprec.tls_ca\n");
        bad++;
    }
    c->tls_cert = cfg->siprec.tls_cert;
    c->tls_key = cfg->siprec.tls_key;
    c->tls_ca = cfg->siprec.tls_ca;
    c->verify_client = cfg->siprec.verify_client;
    c->max_sessions = cfg->siprec.max_sessions;
    c->rtp_threads = cfg->siprec.rtp_threads;
    c->rcvbuf = u32(cfg->siprec.rcvbuf);
    c->max_message = u32(cfg->siprec.max_message);
    c->max_metadata = u32(cfg->siprec.max_metadata);
    c->max_connections = cfg->siprec.max_connections;
    c->answer_delay_ns = cfg->siprec.answer_delay_ns;
    c->idle_timeout_ns = cfg->siprec.idle_timeout_ns;
    c->media_address = cfg->siprec.media_address;
    return bad;
}
