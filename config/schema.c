/* schema.c - every configuration key siphon knows: section, name, type,
 * range, default and a one-line help, with the offset of its value in
 * siphon_config_t.
 *
 * Design: the table is the single source of truth.  Defaults are written
 * as text, the way a user would write them, and config_defaults() parses
 * them with the same code as a file (a default that does not parse aborts
 * at start-up, and the unit tests call it), so the dump of the defaults
 * (packaging/siphon.conf) cannot disagree with the code.  Each offset is
 * checked at compile time against the C type of the field its key type
 * expects (the FIELD_* macros below), so a key cannot write a uint64_t
 * into a uint32_t field.
 *
 * The [capture] limits and the [correlator] and [quality] keys carry the
 * defaults of cap_limits_default() and corr_config_default(); a unit test
 * compares them through app/config_map.c.  [storage], [web], [siprec] and [alerts] are
 * reserved for the components that will read them: today they only switch
 * a part on or off and name its address, so one file serves every release.
 */
#include "config_internal.h"

#include <stddef.h>
#include <string.h>

/* offsetof(siphon_config_t, sec.f), refused at compile time unless the
 * field has type T (_Generic with no matching association fails). */
#define FIELD_OF(T, sec, f)                                                                        \
    (offsetof(siphon_config_t, sec.f) + 0 * _Generic(((siphon_config_t *)0)->sec.f, T : 1))
#define F_BOOL(sec, f) FIELD_OF(bool, sec, f)
#define F_U32(sec, f)  FIELD_OF(uint32_t, sec, f)
#define F_U64(sec, f)  FIELD_OF(uint64_t, sec, f)
#define F_NS(sec, f)   FIELD_OF(int64_t, sec, f)
#define F_STR(sec, f)  FIELD_OF(char *, sec, f)
#define F_LIST(sec, f) FIELD_OF(config_list_t, sec, f)

#define SEC(n)  ((uint64_t)(n) * (uint64_t)NS_PER_SEC)
#define MSEC(n) ((uint64_t)(n) * (uint64_t)NS_PER_MSEC)
#define KIB     1024ull
#define MIB     (1024ull * 1024)
#define GIB     (1024ull * 1024 * 1024)

#define BOOL(sec, n, d, h)                                                                         \
    {                                                                                              \
        .section = #sec, .name = #n, .type = CONFIG_BOOL, .offset = F_BOOL(sec, n), .def = d,      \
        .help = h                                                                                  \
    }
#define UINT(sec, n, lo, hi, d, h)                                                                 \
    {                                                                                              \
        .section = #sec, .name = #n, .type = CONFIG_UINT, .offset = F_U32(sec, n), .min = lo,      \
        .max = hi, .def = d, .help = h                                                             \
    }
#define SIZE(sec, n, lo, hi, d, h)                                                                 \
    {                                                                                              \
        .section = #sec, .name = #n, .type = CONFIG_SIZE, .offset = F_U64(sec, n), .min = lo,      \
        .max = hi, .def = d, .help = h                                                             \
    }
#define DURATION(sec, n, f, lo, hi, d, h)                                                          \
    {                                                                                              \
        .section = #sec, .name = #n, .type = CONFIG_DURATION, .offset = F_NS(sec, f), .min = lo,   \
        .max = hi, .def = d, .help = h                                                             \
    }
#define STRING(sec, n, d, h)                                                                       \
    {                                                                                              \
        .section = #sec, .name = #n, .type = CONFIG_STRING, .offset = F_STR(sec, n), .def = d,     \
        .help = h                                                                                  \
    }
#define LISTEN(sec, n, d, h)                                                                       \
    {                                                                                              \
        .section = #sec, .name = #n, .type = CONFIG_STRING, .offset = F_STR(sec, n), .def = d,     \
        .listen = true, .help = h                                                                  \
    }
#define LIST(sec, n, f, d, h)                                                                      \
    {                                                                                              \
        .section = #sec, .name = #n, .type = CONFIG_LIST, .offset = F_LIST(sec, f), .def = d,      \
        .help = h                                                                                  \
    }

static const config_key_t schema[] = {
    /* [capture] -------------------------------------------------------- */
    LIST(capture, interfaces, interfaces, "",
         "network interfaces to capture on, e.g. eth1, eth2 (siphon run)"),
    LIST(capture, file, files, "",
         "capture files to read; analyze reads these when given no FILE argument"),
    STRING(capture, bpf_filter, "", "BPF filter for live capture (empty: all traffic)"),
    BOOL(capture, promiscuous, "true", "put capture interfaces in promiscuous mode"),
    SIZE(capture, ring_size, 1 * MIB, 64 * GIB, "64MiB",
         "TPACKET_V3 ring buffer per interface and capture thread"),
    SIZE(capture, block_size, 4 * KIB, 256 * MIB, "1MiB",
         "ring block size (a multiple of the page size)"),
    UINT(capture, threads, 0, 256, "0", "capture threads per interface (0: one per CPU)"),
    STRING(capture, user, "",
           "drop root privileges to this user once capture is open (empty: stay)"),
    BOOL(capture, allow_root, "false",
         "let siphon run keep running as root when no user is set (--allow-root)"),
    UINT(capture, max_frag_datagrams, 1, 1u << 24, "4096",
         "IP datagrams being reassembled from fragments at once"),
    SIZE(capture, max_frag_bytes, 64 * KIB, 4 * GIB - 1, "16MiB",
         "bytes buffered for IP fragment reassembly"),
    DURATION(capture, frag_timeout, frag_timeout_ns, MSEC(100), SEC(3600), "30s",
             "drop an incompletely reassembled datagram after this"),
    UINT(capture, max_tcp_streams, 1, 1u << 24, "65536", "TCP flows followed at once"),
    SIZE(capture, max_tcp_stream_bytes, 1 * KIB, 1 * GIB, "256KiB",
         "bytes buffered per direction of a TCP flow"),
    SIZE(capture, max_tcp_total_bytes, 64 * KIB, 1024 * GIB, "256MiB",
         "bytes buffered across all TCP flows"),
    DURATION(capture, tcp_idle_timeout, tcp_idle_timeout_ns, SEC(1), SEC(7 * 86400), "30m",
             "forget a TCP flow quiet for this long"),
    SIZE(capture, max_sip_header_bytes, 1 * KIB, 16 * MIB, "64KiB",
         "a SIP header block larger than this on a stream is a framing error"),
    UINT(capture, max_sctp_messages, 0, 1u << 20, "1024",
         "fragmented SCTP messages being reassembled at once (0: drop fragmented ones)"),
    SIZE(capture, max_sctp_message_bytes, 1 * KIB, 1 * GIB, "256KiB",
         "largest SCTP message reassembled from fragments"),
    SIZE(capture, max_sctp_total_bytes, 64 * KIB, 1024 * GIB, "16MiB",
         "bytes buffered for SCTP reassembly across all messages"),
    DURATION(capture, dedup_window, dedup_window_ns, MSEC(1), SEC(1), "2ms",
             "an IP packet seen again within this is a capture duplicate (SPAN copies)"),
    UINT(capture, dedup_slots, 0, 1u << 24, "16384",
         "duplicate-suppression table entries, 16 bytes each (0: off)"),

    /* [correlator] ----------------------------------------------------- */
    UINT(correlator, max_calls, 1, 1u << 24, "65536", "concurrent calls tracked"),
    UINT(correlator, max_streams, 1, 1u << 26, "262144", "concurrent RTP streams tracked"),
    UINT(correlator, max_media_endpoints, 1, 1u << 26, "262144",
         "SDP media endpoints remembered in the media table"),
    UINT(correlator, max_orphan_flows, 1, 1u << 24, "16384",
         "unattributed UDP flows being classified at once"),
    UINT(correlator, max_streams_per_call, 1, 1024, "16", "RTP streams (SSRCs) kept per call"),
    DURATION(correlator, call_idle_timeout, call_idle_timeout_ns, SEC(1), SEC(7 * 86400), "5m",
             "a call with neither SIP nor RTP for this long is over"),
    DURATION(correlator, call_linger, call_linger_ns, 0, SEC(3600), "5s",
             "keep a finished call this long for late messages and RTP"),
    DURATION(correlator, orphan_idle_timeout, orphan_idle_timeout_ns, SEC(1), SEC(86400), "1m",
             "an orphan RTP stream silent for this long is reported"),
    BOOL(correlator, classify_orphans, "true",
         "classify UDP flows without signalling with nDPI (orphan streams)"),
    UINT(correlator, max_dtmf_events, 1, 1u << 24, "65536",
         "DTMF events kept for all live calls and streams (a shared pool)"),
    UINT(correlator, max_vq_reports, 1, 1u << 24, "4096",
         "RFC 6035 voice-quality reports kept on live calls (a shared pool)"),
    UINT(correlator, max_rtcp_streams, 1, 1u << 26, "65536",
         "live streams whose RTCP contents are kept (a shared pool)"),
    UINT(correlator, max_registrations, 1, 1u << 24, "8192",
         "REGISTER transactions awaiting their final response"),
    UINT(correlator, shards, 0, 64, "0",
         "correlator threads, calls split by Call-ID (0: analyze correlates in its reading "
         "thread, run uses one)"),
    SIZE(correlator, queue_size, 64 * KIB, 1 * GIB, "32MiB",
         "each capture thread -> correlator thread queue (full: live datagrams are dropped "
         "and counted)"),

    /* [quality] -------------------------------------------------------- */
    DURATION(quality, jb_fixed_delay, jb_fixed_delay_ns, 0, SEC(10), "60ms",
             "fixed jitter buffer delay used for scoring (discards count as loss)"),
    DURATION(quality, jb_min_delay, jb_min_delay_ns, 0, SEC(10), "20ms",
             "adaptive jitter buffer: smallest delay"),
    DURATION(quality, jb_max_delay, jb_max_delay_ns, MSEC(1), SEC(10), "200ms",
             "adaptive jitter buffer: largest delay (not below jb_min_delay)"),
    DURATION(quality, interval, interval_ns, SEC(1), SEC(86400), "5s",
             "length of a quality-over-time interval"),
    UINT(quality, max_intervals, 1, 1u << 20, "720", "intervals kept per stream"),

    /* [output] --------------------------------------------------------- */
    STRING(output, file, "",
           "siphon run appends its records (NDJSON or the table) to this file instead of "
           "stdout (SIGHUP reopens it: logrotate)"),

    /* [log] ------------------------------------------------------------ */
    {.section = "log",
     .name = "level",
     .type = CONFIG_ENUM,
     .offset = F_U32(log, level),
     .choices = "error|warn|info|debug",
     .def = "warn",
     .help = "least severe messages logged (-v raises it by one step); siphon run's start-up "
             "and statistics lines are written at every level"},
    STRING(log, file, "",
           "append log lines to this file instead of stderr (SIGHUP reopens it: logrotate)"),
    DURATION(log, stats_interval, stats_interval_ns, 0, SEC(86400), "60s",
             "siphon run logs capture statistics this often (0: never)"),

    /* reserved: [storage] [web] [siprec] [alerts] ----------------------- */
    /* [storage] (storage/storage.h) ----------------------------------- */
    BOOL(storage, enabled, "true",
         "siphon run stores calls, streams, SIP messages and registrations in PostgreSQL "
         "(siphon analyze stores only with --store)"),
    STRING(storage, dsn, "",
           "PostgreSQL connection string of an external server, e.g. "
           "\"postgresql://siphon@db/siphon?sslmode=verify-full\" (empty: the embedded server)"),
    STRING(storage, data_dir, "/var/lib/siphon/pgdata",
           "embedded server: its cluster directory (initialised on first use)"),
    STRING(storage, run_dir, "/run/siphon",
           "embedded server: directory of its Unix socket (it listens on no TCP port)"),
    STRING(storage, pg_user, "siphon",
           "embedded server: the user it runs as when siphon runs as root"),
    STRING(storage, pg_bin, "/usr/lib/postgresql/15/bin",
           "embedded server: directory of initdb and postgres"),
    {.section = "storage",
     .name = "auto_migrate",
     .type = CONFIG_ENUM,
     .offset = F_U32(storage, auto_migrate),
     .choices = "embedded|always|never",
     .def = "embedded",
     .help = "migrate an older schema at start-up: for the embedded server only, always, or "
             "never (then `siphon db migrate`)"},
    STRING(storage, probe, "", "this probe's name in stored rows (empty: the host name)"),
    DURATION(storage, retention, retention_ns, 0, SEC(86400) * 36500, "30d",
             "drop daily partitions older than this (0: keep everything)"),
    DURATION(storage, maintenance_interval, maintenance_interval_ns, SEC(1), SEC(86400), "1h",
             "siphon run makes partitions ahead and applies retention this often"),
    UINT(storage, batch_rows, 1, 1u << 20, "5000", "rows written per batch at most"),
    DURATION(storage, batch_delay, batch_delay_ns, MSEC(1), SEC(60), "500ms",
             "a batch is written at the latest this long after its first row"),
    UINT(storage, queue, 16, 1u << 20, "4096",
         "record chunks queued per correlator thread for the writer (full: live capture drops "
         "and counts, files wait)"),
    STRING(storage, spool_dir, "/var/lib/siphon/spool",
           "batches the database could not take wait here, replayed in order when it is back"),
    SIZE(storage, spool_max, 1 * MIB, 1024 * GIB, "1GiB",
         "the spool's size at most (beyond: batches are refused and counted)"),
    {.section = "storage",
     .name = "spool_fsync",
     .type = CONFIG_ENUM,
     .offset = F_U32(storage, spool_fsync),
     .choices = "always|batch|never",
     .def = "batch",
     .help = "spool durability: fsync after every record, once per spooled batch, or never"},
    LIST(storage, skip_methods, skip_methods, "",
         "SIP methods whose messages are not stored (counted), e.g. OPTIONS, NOTIFY"),
    DURATION(storage, connect_timeout, connect_timeout_ns, SEC(1), SEC(300), "5s",
             "give up connecting to the database after this (then spool)"),
    /* [web] (web/web.h) ------------------------------------------------ */
    BOOL(web, enabled, "true",
         "siphon run serves the dashboard and its JSON API (siphon web serves them alone)"),
    LISTEN(web, listen, "127.0.0.1:8443",
           "address:port of the dashboard (HTTPS unless web.plain_http)"),
    STRING(web, tls_cert, "",
           "PEM certificate of the dashboard (empty: a self-signed one made under web.state_dir)"),
    STRING(web, tls_key, "", "PEM private key of web.tls_cert"),
    STRING(web, state_dir, "/var/lib/siphon/web",
           "where the self-signed certificate is generated on first start"),
    STRING(web, ui_dir, "/usr/share/siphon/web",
           "the built front end (index.html, app.js, app.css)"),
    BOOL(web, plain_http, "false", "serve plain HTTP instead of HTTPS (only behind a TLS proxy)"),
    UINT(web, max_clients, 1, 100000, "256", "HTTP and WebSocket connections at most"),
    UINT(web, ws_queue, 16, 1u << 20, "1024",
         "live events queued per WebSocket client (full: the client is dropped)"),
    UINT(web, max_sessions, 1, 1u << 20, "1024", "logged-in sessions at most (oldest evicted)"),
    SIZE(web, max_body, 1 * KIB, 64 * MIB, "64KiB", "request body size at most (larger: 413)"),
    DURATION(web, request_timeout, request_timeout_ns, SEC(1), SEC(3600), "30s",
             "a request not received completely within this is closed"),
    DURATION(web, session_idle, session_idle_ns, SEC(1), SEC(86400) * 30, "30m",
             "a session unused this long ends"),
    DURATION(web, session_max, session_max_ns, SEC(1), SEC(86400) * 365, "12h",
             "a session ends this long after log-in, used or not"),
    BOOL(siprec, enabled, "false", "accept SIPREC recording sessions (RFC 7866 SRS)"),
    LISTEN(siprec, listen, "0.0.0.0:5060", "address:port the SIPREC SRS listens on"),
    BOOL(alerts, enabled, "false", "evaluate alert rules"),
};

_Static_assert(sizeof schema / sizeof schema[0] <= CONFIG_KEYS_MAX,
               "CONFIG_KEYS_MAX is too small for the schema");

const config_key_t *config_schema(size_t *count)
{
    *count = sizeof schema / sizeof schema[0];
    return schema;
}

const config_key_t *config_find(const char *section, const char *name)
{
    for (size_t i = 0; i < sizeof schema / sizeof schema[0]; i++)
        if (strcmp(schema[i].section, section) == 0 && strcmp(schema[i].name, name) == 0)
            return &schema[i];
    return NULL;
}

const char *config_type_name(config_type_t t)
{
    switch (t) {
    case CONFIG_BOOL:
        return "bool";
    case CONFIG_UINT:
        return "uint";
    case CONFIG_DURATION:
        return "duration";
    case CONFIG_SIZE:
        return "size";
    case CONFIG_STRING:
        return "string";
    case CONFIG_LIST:
        return "list";
    case CONFIG_ENUM:
        return "enum";
    }
    return "?";
}
