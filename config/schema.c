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
    UINT(storage, writers, 1, 16, "2",
         "writer threads, each with its own database connection: the database's work on "
         "batches runs on as many cores"),
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
    UINT(web, query_workers, 1, 64, "4",
         "threads running the dashboard's database queries (the server thread never waits)"),
    UINT(web, query_queue, 1, 100000, "64",
         "requests waiting for a query worker at most (more: 503 with Retry-After)"),
    DURATION(web, query_timeout, query_timeout_ns, SEC(1), SEC(3600), "30s",
             "a dashboard query running longer is cancelled (PostgreSQL statement_timeout)"),
    SIZE(web, max_download, 1 * KIB, 1024 * GIB, "256MiB",
         "a pcap or audio download larger than this is refused (413)"),
    BOOL(alerts, enabled, "false", "evaluate alert rules"),

    /* [alerts] SIEM sinks (alert/ hub) --------------------------------- */
    LIST(alerts, sinks, sinks, "",
         "where alerts go, any number of URLs: syslog+udp|tcp|tls://HOST:PORT?format=rfc5424|"
         "cef|leef, ecs:/FILE, webhook+https://HOST/PATH, hec+https://HOST:PORT"),
    STRING(alerts, tls_ca, "",
           "CA file the syslog+tls and HTTPS receivers' certificates are verified against "
           "(empty: the system store)"),
    STRING(alerts, tls_cert, "", "client certificate for TLS and HTTPS sinks (empty: none)"),
    STRING(alerts, tls_key, "", "its private key (empty: in tls_cert)"),
    STRING(alerts, webhook_secret_file, "",
           "file holding the HMAC-SHA256 key that signs webhook requests"),
    STRING(alerts, hec_token_file, "", "file holding the Splunk HEC token"),
    UINT(alerts, sink_queue, 1, 1u << 20, "4096",
         "alerts queued per sink while it is slow or down (full: dropped and counted)"),
    DURATION(alerts, sink_retry_min, sink_retry_min_ns, MSEC(10), SEC(60), "500ms",
             "first wait before a failed delivery is tried again (then doubling)"),
    DURATION(alerts, sink_retry_max, sink_retry_max_ns, MSEC(10), SEC(3600), "60s",
             "longest wait between delivery attempts"),
    DURATION(alerts, sink_timeout, sink_timeout_ns, MSEC(100), SEC(300), "5s",
             "connect, TLS handshake, write and HTTP request time limit"),
    DURATION(alerts, sink_drain, sink_drain_ns, 0, SEC(600), "5s",
             "at stop, keep delivering queued alerts this long, then drop the rest"),
    UINT(alerts, syslog_facility, 0, 23, "13", "syslog facility (13: log audit, 4: auth)"),
    STRING(alerts, hostname, "", "HOSTNAME in syslog and host in HEC (empty: this host's name)"),
    /* [alerts] detection (detect/): memory, incidents, trust, detectors - */
    SIZE(alerts, memory, 1 * MIB, 64 * GIB, "64MiB",
         "memory bound of all detector state (per-source, account, caller, route and incident "
         "tables; least recently active entries are evicted and counted)"),
    UINT(alerts, queue_size, 16, 1u << 22, "8192",
         "records queued per correlator shard for the detection thread (live: full drops and "
         "counts)"),
    DURATION(alerts, update_interval, update_interval_ns, SEC(1), SEC(86400), "10s",
             "an open incident is re-published at most this often while its count grows"),
    DURATION(alerts, close_after, close_after_ns, SEC(1), SEC(86400), "60s",
             "an incident with no new evidence for this long is closed"),
    UINT(alerts, rate_limit, 0, 1000000, "60",
         "incidents opened per alert type per minute (0: no limit)"),
    LIST(alerts, trusted, trusted, "",
         "addresses or CIDRs whose traffic is never judged as an attack (trunks, proxies), e.g. "
         "10.0.0.0/8, 2001:db8::/32"),
    UINT(alerts, flood_requests, 0, 1u << 30, "30",
         "requests from one source per flood_window, pike-like (0: off)"),
    DURATION(alerts, flood_window, flood_window_ns, MSEC(100), SEC(3600), "2s",
             "pike's sampling window for flood_requests"),
    UINT(alerts, flood_method_requests, 0, 1u << 30, "100",
         "INVITE, REGISTER, OPTIONS or other requests from one source per flood_method_window"),
    DURATION(alerts, flood_method_window, flood_method_window_ns, SEC(1), SEC(86400), "60s",
             "window of flood_method_requests"),
    UINT(alerts, flood_target_requests, 0, 1u << 30, "2000",
         "requests towards one destination per flood_target_window (0: off)"),
    UINT(alerts, flood_target_sources, 1, 1u << 20, "50",
         "... from at least this many distinct sources"),
    DURATION(alerts, flood_target_window, flood_target_window_ns, MSEC(100), SEC(3600), "2s",
             "window of flood_target_requests"),
    DURATION(alerts, anomaly_slot, anomaly_slot_ns, MSEC(100), SEC(3600), "5s",
             "time slot of the call-signalling distribution (Hellinger distance)"),
    UINT(alerts, anomaly_threshold, 1, 100, "40",
         "Hellinger distance x 100 from the learned distribution that is an anomaly"),
    UINT(alerts, anomaly_min_messages, 1, 1u << 30, "50",
         "call-signalling messages a slot needs to be judged or learnt"),
    UINT(alerts, anomaly_training_slots, 1, 1u << 20, "12",
         "slots learnt before the distribution is judged"),
    UINT(alerts, scan_targets, 0, 1u << 20, "10",
         "distinct destinations one source touches per scan_window without a call (0: off)"),
    DURATION(alerts, scan_window, scan_window_ns, SEC(1), SEC(86400), "60s",
             "window of scan_targets"),
    LIST(alerts, scanner_user_agents, scanner_user_agents,
         "friendly-scanner, sipvicious, sipcli, VaxSIPUserAgent, sip-scan, sundayddr, iWar, "
         "SIVuS, smap",
         "User-Agent substrings (case-insensitive) of scanning tools"),
    UINT(alerts, enum_users, 0, 1u << 20, "20",
         "distinct To users one source asks for per enum_window (0: off)"),
    DURATION(alerts, enum_window, enum_window_ns, SEC(1), SEC(86400), "60s",
             "window of enum_users"),
    UINT(alerts, enum_failure_pct, 0, 100, "80",
         "share of its final answers that are 404/401/403/407 for enumeration"),
    UINT(alerts, brute_short, 0, 1u << 20, "5",
         "failed authentications per (source, account) in brute_short_window: a warning (0: off)"),
    DURATION(alerts, brute_short_window, brute_short_window_ns, SEC(1), SEC(86400 * 7), "360s",
             "window of brute_short"),
    UINT(alerts, brute_long, 0, 1u << 20, "10",
         "failed authentications per (source, account) in brute_long_window: brute force"),
    DURATION(alerts, brute_long_window, brute_long_window_ns, SEC(1), SEC(86400 * 7), "600s",
             "window of brute_long"),
    UINT(alerts, toll_prefix_len, 1, 32, "5",
         "leading digits of a dialled number that are its prefix"),
    UINT(alerts, toll_prefixes, 0, 1u << 20, "10",
         "distinct prefixes one source dials per toll_window (0: off)"),
    DURATION(alerts, toll_window, toll_window_ns, SEC(1), SEC(86400), "10s",
             "window of toll_prefixes"),
    LIST(alerts, toll_premium_prefixes, toll_premium_prefixes, "",
         "dialled-number prefixes (premium, international) whose every call is reported, e.g. "
         "+882, 00881, 1900"),
    UINT(alerts, toll_max_concurrent, 0, 1u << 20, "50",
         "calls at once from one source above which it is reported (0: off)"),
    DURATION(alerts, spit_window, spit_window_ns, SEC(60), SEC(86400 * 7), "3600s",
             "window of a caller's SPIT features"),
    UINT(alerts, spit_min_calls, 1, 1u << 20, "10", "calls before a caller is judged for SPIT"),
    UINT(alerts, spit_threshold, 1, 100, "60", "SPIT score x 100 that is reported"),
    DURATION(alerts, spit_short_call, spit_short_call_ns, SEC(1), SEC(3600), "10s",
             "an answered call shorter than this is short (SPIT feature)"),
    UINT(alerts, quality_mos, 100, 450, "310", "a call with MOS x 100 below this is bad"),
    UINT(alerts, quality_bad_calls, 0, 1u << 20, "3",
         "bad calls on one route (source /24 to destination /24) per quality_window (0: off)"),
    UINT(alerts, quality_loss_pct, 1, 100, "5", "a stream interval losing this share is bad"),
    DURATION(alerts, quality_jitter, quality_jitter_ns, MSEC(1), SEC(10), "30ms",
             "a stream interval with this much jitter is bad"),
    UINT(alerts, quality_bad_intervals, 0, 1u << 20, "3",
         "bad intervals on one route per quality_window: sustained loss or jitter (0: off)"),
    DURATION(alerts, quality_window, quality_window_ns, SEC(10), SEC(86400), "300s",
             "window of the quality rules"),
    /* [siprec]: the SIPREC recording server (siprec/) ------------------- */
    BOOL(siprec, enabled, "false",
         "accept SIPREC recording sessions (RFC 7866 SRS); siphon run without capture "
         "interfaces is then a pure recording server"),
    LIST(siprec, listen, listen, "udp:0.0.0.0:5060, tcp:0.0.0.0:5060",
         "where the SRS takes SIP: udp:|tcp:|tls:ADDRESS:PORT, comma-separated"),
    STRING(siprec, tls_cert, "", "PEM certificate (chain) of tls: listeners"),
    STRING(siprec, tls_key, "", "PEM private key of tls_cert"),
    STRING(siprec, tls_ca, "", "PEM CA file client certificates are verified against"),
    BOOL(siprec, verify_client, "false",
         "TLS: require a client certificate signed by tls_ca (mutual TLS with the SBC)"),
    LIST(siprec, allow, allow, "",
         "sources (ADDRESS[/PREFIX], comma-separated) that may record; others get 403 "
         "(empty: any)"),
    UINT(siprec, max_sessions, 1, 1000000, "1000",
         "recording sessions at once; more are answered 503 with Retry-After"),
    STRING(siprec, rtp_ports, "20000-29999",
           "RTP ports of recorded streams (LOW-HIGH): even RTP port, RTCP +1"),
    UINT(siprec, rtp_threads, 1, 64, "1", "threads receiving recorded media"),
    SIZE(siprec, rcvbuf, 4 * KIB, 64 * MIB, "256KiB",
         "receive buffer of each media socket (absorbs bursts while a thread is busy)"),
    SIZE(siprec, max_message, 1 * KIB, 16 * MIB, "128KiB",
         "largest SIP message taken; larger ones are answered 413"),
    SIZE(siprec, max_metadata, 1 * KIB, 16 * MIB, "64KiB",
         "largest recording metadata document; larger ones are answered 400"),
    UINT(siprec, max_connections, 1, 65536, "256", "TCP/TLS connections at once"),
    DURATION(siprec, answer_delay, answer_delay_ns, 0, SEC(60), "0s",
             "hold the 200 to a recording INVITE this long (a CANCEL can still end it)"),
    DURATION(siprec, idle_timeout, idle_timeout_ns, 0, SEC(7 * 86400), "14400s",
             "a session with no SIP and no media this long ends (state timeout; 0: never)"),
    STRING(siprec, media_address, "",
           "address in the answers' c= lines (empty: the address the SIP request came to)"),
    /* [record]: the packet store (record/) ------------------------------ */
    BOOL(record, enabled, "true",
         "siphon run records calls' packets into record.dir (analyze: when --record.dir is "
         "given)"),
    STRING(record, dir, "/var/lib/siphon/record", "directory of the packet store"),
    {.section = "record",
     .name = "calls",
     .type = CONFIG_ENUM,
     .offset = F_U32(record, calls),
     .choices = "all|none|rules",
     .def = "all",
     .help = "which calls are recorded (rules: record.rules)"},
    LIST(record, rules, rules, "",
         "record.calls = rules: a call is recorded when one rule holds; a rule is "
         "caller=GLOB, callee=GLOB, ip=ADDR[/LEN] or header=NAME[: VALUE], joined with &"),
    BOOL(record, sip, "true", "record the calls' SIP messages"),
    {.section = "record",
     .name = "rtp",
     .type = CONFIG_ENUM,
     .offset = F_U32(record, rtp),
     .choices = "none|headers|full",
     .def = "full",
     .help = "record RTP and RTCP: not at all, cut after the RTP header, or whole"},
    SIZE(record, max_disk, 0, 1ull << 62, "0",
         "the store's size limit: oldest segments are deleted first (0: no limit)"),
    SIZE(record, min_free, 0, 1ull << 62, "1GiB",
         "free space left on the store's filesystem: oldest segments are deleted first"),
    DURATION(record, retention, retention_ns, 0, SEC(86400) * 36500, "0",
             "delete segments older than this (0: only when space runs out)"),
    DURATION(record, segment_time, segment_time_ns, SEC(1), SEC(86400), "60s",
             "a segment file holds this much packet time"),
    SIZE(record, segment_size, 64 * KIB, 64 * GIB, "256MiB", "largest segment file"),
    SIZE(record, queue_size, MIB, 16 * GIB, "64MiB",
         "packets waiting for the writer, per correlator thread (live: beyond it they are "
         "dropped and counted)"),
    UINT(record, max_calls, 1, 1u << 24, "65536", "calls being recorded at once"),
    BOOL(record, audio_at_end, "false",
         "render each recorded call's audio into the store when it ends (siphon audio "
         "renders any call on demand without it)"),
    {.section = "record",
     .name = "audio_format",
     .type = CONFIG_ENUM,
     .offset = F_U32(record, audio_format),
     .choices = "wav|flac|opus",
     .def = "wav",
     .help = "record.audio_at_end: 16-bit PCM WAV, FLAC or Ogg/Opus"},
    UINT(record, audio_queue, 1, 1u << 20, "256",
         "record.audio_at_end: calls waiting to be rendered (beyond it they are not rendered, "
         "and counted)"),
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
