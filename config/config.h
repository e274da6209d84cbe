/* config.h - siphon's configuration: a typed struct, the schema of every key,
 * and the INI parser that fills one from a file and command-line overrides.
 *
 * The file format (see packaging/siphon.conf):
 *
 *     # comment                      ; comment too
 *     [correlator]
 *     max_calls = 100000             # inline comment after whitespace
 *     call_idle_timeout = 5m
 *     [capture]
 *     interfaces = eth1, eth2        # a list: comma-separated
 *     bpf_filter = "udp or tcp port 5060"   # quotes keep # ; , and spaces
 *
 * Every key has a type: bool (true/false, yes/no, on/off, 1/0), uint
 * (decimal, with a range), duration ("250ms", "300s", "5m", "2h", "1d", or
 * plain seconds), size ("512KiB", "64MiB", "1GiB", "64M", or plain bytes;
 * KB/MB/GB are refused as ambiguous), string, list of strings, or one word
 * from a fixed set (log.level).  The schema (config/schema.c) gives each
 * key its type, range, default and a one-line help.
 *
 * Rules, chosen so a mistake in the file never goes unnoticed:
 *  - unknown sections and keys are errors (with a "did you mean" hint);
 *  - a key given twice in one file is an error (naming the first line); a
 *    section header may appear more than once;
 *  - command-line overrides (--section.key=value) replace the file's value
 *    and each other (the last one wins);
 *  - control characters other than TAB are errors, NUL included; other
 *    bytes (non-UTF-8 too) are kept as they are in strings;
 *  - bounds: a line is at most CONFIG_LINE_MAX bytes, a value at most
 *    CONFIG_VALUE_MAX, a file at most CONFIG_FILE_MAX bytes, a list at most
 *    CONFIG_LIST_MAX items, and at most CONFIG_ERRORS_MAX errors are kept
 *    (parsing stops there).  The value bound is well under half the line
 *    bound so that config_dump's lines, quoted and escaped, always parse.
 *
 * This component depends only on core/: app/ maps siphon_config_t onto each
 * component's own settings (cap_limits_t, corr_config_t, ...).
 */
#ifndef SIPHON_CONFIG_H
#define SIPHON_CONFIG_H

#include "core.h"

#define CONFIG_DEFAULT_PATH "/etc/siphon/siphon.conf"

#define CONFIG_LINE_MAX 8192 /* bytes per line, line ending excluded */
#define CONFIG_VALUE_MAX                                                                           \
    3072                            /* bytes of one value once unquoted (all                       \
                                       items of a list together) */
#define CONFIG_FILE_MAX   (1 << 20) /* bytes per file */
#define CONFIG_LIST_MAX   64        /* items in one list value */
#define CONFIG_ERRORS_MAX 50        /* errors kept; parsing stops after */
#define CONFIG_KEYS_MAX   256       /* room for schema keys (checked) */

/* ------------------------------------------------------------------------ */
/* The configuration                                                         */
/* ------------------------------------------------------------------------ */

typedef struct {
    char **items; /* count heap strings, NUL-terminated */
    uint32_t count;
} config_list_t;

/* Typed values of every section.  Strings and lists are owned by the struct
 * (config_free); a string is never NULL after config_defaults. Durations are
 * in ns, sizes in bytes.
 *
 * storage, web, siprec and alerts are reserved for the components that
 * will read them; the keys exist now so one file serves every
 * release and each part can be switched off. */
typedef struct {
    struct {
        config_list_t interfaces; /* live capture (siphon run) */
        config_list_t files;      /* capture files (analyze uses them when
                                     given no FILE argument) */
        char *bpf_filter;
        bool promiscuous;
        uint64_t ring_size, block_size; /* TPACKET_V3 ring, per thread */
        uint32_t threads;               /* 0: one per CPU */
        char *user;                     /* drop privileges to ("": stay) */
        bool allow_root;                /* siphon run may keep running as root */
        /* decoder limits (cap_limits_t) */
        uint32_t max_frag_datagrams;
        uint64_t max_frag_bytes;
        int64_t frag_timeout_ns;
        uint32_t max_tcp_streams;
        uint64_t max_tcp_stream_bytes;
        uint64_t max_tcp_total_bytes;
        int64_t tcp_idle_timeout_ns;
        uint64_t max_sip_header_bytes;
        uint32_t max_sctp_messages;
        uint64_t max_sctp_message_bytes;
        uint64_t max_sctp_total_bytes;
        int64_t dedup_window_ns;
        uint32_t dedup_slots; /* 0: duplicate suppression off */
    } capture;
    struct { /* corr_config_t */
        uint32_t max_calls, max_streams, max_media_endpoints, max_orphan_flows,
            max_streams_per_call;
        int64_t call_idle_timeout_ns, call_linger_ns, orphan_idle_timeout_ns;
        bool classify_orphans;
        uint32_t max_dtmf_events, max_vq_reports, max_rtcp_streams, max_registrations;
        uint32_t shards;     /* correlator threads (pipeline/); 0: default */
        uint64_t queue_size; /* capture thread -> shard ring bytes */
    } correlator;
    struct { /* corr_config_t.quality (sq_config_t) */
        int64_t jb_fixed_delay_ns, jb_min_delay_ns, jb_max_delay_ns, interval_ns;
        uint32_t max_intervals;
    } quality;
    struct {
        char *file; /* siphon run's records; "" = stdout */
    } output;
    struct {
        uint32_t level;            /* a log_level_t value */
        int64_t stats_interval_ns; /* siphon run's capture statistics (0: off) */
        char *file;                /* "" = stderr */
    } log;
    struct { /* storage/storage.h st_config_t */
        bool enabled;
        char *dsn; /* PostgreSQL connection string; "" = embedded server */
        char *data_dir, *run_dir, *pg_user, *pg_bin;
        uint32_t auto_migrate; /* 0 embedded, 1 always, 2 never */
        char *probe;
        int64_t retention_ns, maintenance_interval_ns;
        uint32_t batch_rows;
        int64_t batch_delay_ns;
        uint32_t queue;
        char *spool_dir;
        uint64_t spool_max;
        uint32_t spool_fsync; /* 0 always, 1 batch, 2 never */
        config_list_t skip_methods;
        int64_t connect_timeout_ns;
        uint32_t writers;
    } storage;
    struct { /* web/web.h web_config_t */
        bool enabled;
        char *listen; /* host:port */
        char *tls_cert, *tls_key, *state_dir, *ui_dir;
        bool plain_http;
        uint32_t max_clients, ws_queue, max_sessions;
        uint64_t max_body;
        int64_t request_timeout_ns, session_idle_ns, session_max_ns;
        uint32_t query_workers, query_queue;
        int64_t query_timeout_ns;
        uint64_t max_download;
    } web;
    struct { /* the SIPREC recording server (siprec/, srs_config_t) */
        bool enabled;
        config_list_t listen; /* udp:|tcp:|tls:ADDRESS:PORT */
        char *tls_cert, *tls_key, *tls_ca;
        bool verify_client;
        config_list_t allow; /* ADDRESS[/PREFIX] */
        uint32_t max_sessions;
        char *rtp_ports; /* LOW-HIGH */
        uint32_t rtp_threads;
        uint64_t rcvbuf, max_message, max_metadata;
        uint32_t max_connections;
        int64_t answer_delay_ns, idle_timeout_ns;
        char *media_address;
    } siprec;
    struct {
        bool enabled;
        /* the SIEM sinks (alert/ hub; app_config_to_alert_config) */
        config_list_t sinks; /* sink URLs (alert.h) */
        char *tls_ca, *tls_cert, *tls_key;
        char *webhook_secret_file, *hec_token_file;
        uint32_t sink_queue;
        int64_t sink_retry_min_ns, sink_retry_max_ns, sink_timeout_ns, sink_drain_ns;
        uint32_t syslog_facility;
        char *hostname;
        /* detection (detect/, det_config_t): memory, incidents, trust */
        uint64_t memory;
        uint32_t queue_size;
        int64_t update_interval_ns, close_after_ns;
        uint32_t rate_limit;
        config_list_t trusted;
        /* detectors: thresholds and windows */
        uint32_t flood_requests, flood_method_requests, flood_target_requests, flood_target_sources;
        int64_t flood_window_ns, flood_method_window_ns, flood_target_window_ns;
        int64_t anomaly_slot_ns;
        uint32_t anomaly_threshold, anomaly_min_messages, anomaly_training_slots;
        uint32_t scan_targets;
        int64_t scan_window_ns;
        config_list_t scanner_user_agents;
        uint32_t enum_users, enum_failure_pct;
        int64_t enum_window_ns;
        uint32_t brute_short, brute_long;
        int64_t brute_short_window_ns, brute_long_window_ns;
        uint32_t toll_prefix_len, toll_prefixes, toll_max_concurrent;
        int64_t toll_window_ns;
        config_list_t toll_premium_prefixes;
        int64_t spit_window_ns, spit_short_call_ns;
        uint32_t spit_min_calls, spit_threshold;
        uint32_t quality_mos, quality_bad_calls, quality_loss_pct, quality_bad_intervals;
        int64_t quality_jitter_ns, quality_window_ns;
    } alerts;
    struct { /* the packet store (record/, rec_config_t) */
        bool enabled;
        char *dir;
        uint32_t calls; /* rec_calls_t: all|none|rules */
        config_list_t rules;
        bool sip;
        uint32_t rtp; /* rec_rtp_t: none|headers|full */
        uint64_t max_disk, min_free;
        int64_t retention_ns;
        int64_t segment_time_ns;
        uint64_t segment_size, queue_size;
        uint32_t max_calls;
        bool audio_at_end;
        uint32_t audio_format; /* aud_format_t: wav|flac|opus */
        uint32_t audio_queue;
    } record;

    /* Where each key's value came from (config_source_t), by schema index. */
    uint8_t source[CONFIG_KEYS_MAX];
} siphon_config_t;

typedef enum { CONFIG_SRC_DEFAULT = 0, CONFIG_SRC_FILE, CONFIG_SRC_OVERRIDE } config_source_t;

/* ------------------------------------------------------------------------ */
/* The schema                                                                */
/* ------------------------------------------------------------------------ */

typedef enum {
    CONFIG_BOOL,     /* bool */
    CONFIG_UINT,     /* uint32_t, min..max */
    CONFIG_DURATION, /* int64_t ns, min..max in ns */
    CONFIG_SIZE,     /* uint64_t bytes, min..max */
    CONFIG_STRING,   /* char * */
    CONFIG_LIST,     /* config_list_t */
    CONFIG_ENUM,     /* uint32_t index into choices */
} config_type_t;

typedef struct {
    const char *section, *name;
    config_type_t type;
    size_t offset;       /* of the value in siphon_config_t */
    uint64_t min, max;   /* UINT, DURATION (ns), SIZE */
    const char *choices; /* ENUM: "error|warn|info|debug" */
    bool listen;         /* STRING: an ADDRESS:PORT to listen on (IPv4, or
                            [IPv6], and a port 1..65535) */
    const char *def;     /* default, written as in a config file */
    const char *help;    /* one line */
} config_key_t;

/* The whole schema, in file order (sections grouped). */
const config_key_t *config_schema(size_t *count);
/* The key, or NULL. */
const config_key_t *config_find(const char *section, const char *name);
const char *config_type_name(config_type_t t);

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

typedef struct {
    char where[128]; /* file name, or "command line" */
    uint32_t line;   /* 1-based; 0 when not about a line */
    uint32_t column; /* 1-based byte column; 0 when not known */
    char msg[320];
} config_error_t;

typedef struct {
    config_error_t items[CONFIG_ERRORS_MAX];
    uint32_t count;
    bool truncated; /* more errors were found than kept */
} config_errors_t;

void config_errors_init(config_errors_t *e);
/* "WHERE:LINE: message" (or "WHERE: message" when line is 0). */
void config_error_format(const config_error_t *err, buf_t *out);

/* ------------------------------------------------------------------------ */
/* Loading                                                                   */
/* ------------------------------------------------------------------------ */

/* Fills cfg with every key's default.  cfg's previous contents are ignored
 * (not freed): call it once on a fresh struct, config_free at the end. */
void config_defaults(siphon_config_t *cfg);
void config_free(siphon_config_t *cfg);

/* Parses a config file held in memory; name is used in error messages.
 * Every problem is appended to errs.  Returns 0 when the file had no
 * errors, -1 otherwise; the keys that were valid are applied either way
 * (callers treat -1 as fatal). data need not be NUL-terminated. */
int config_load_buffer(siphon_config_t *cfg, const char *name, const char *data, size_t len,
                       config_errors_t *errs);

/* Reads and parses path.  A file that cannot be opened or read, that is not
 * a regular file, or that is larger than CONFIG_FILE_MAX is one error. */
int config_load_file(siphon_config_t *cfg, const char *path, config_errors_t *errs);

/* Applies one override "section.key=value" (a leading "--" is skipped).
 * The value is read as in a file, except that # and ; are not comments.
 * Returns 0, or -1 with the error appended to errs. */
int config_set_override(siphon_config_t *cfg, const char *arg, config_errors_t *errs);

/* True when arg looks like an override: "--" then a '.' before any '='. */
bool config_is_override(const char *arg);

/* Keys whose value came from a file or an override. */
unsigned config_keys_set(const siphon_config_t *cfg);

/* Appends the effective configuration as a config file: every section and
 * key with its help as a comment.  Parsing the result gives cfg back. */
void config_dump(const siphon_config_t *cfg, buf_t *out);

/* Writes one value as it would appear in a file (no comment). */
void config_format_value(const siphon_config_t *cfg, const config_key_t *k, buf_t *out);

#endif /* SIPHON_CONFIG_H */
