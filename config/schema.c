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
    BOOL(storage, enabled, "false", "write calls and streams to PostgreSQL"),
    STRING(storage, dsn, "", "PostgreSQL connection string, e.g. \"host=db dbname=siphon\""),
    BOOL(web, enabled, "false", "serve the web interface and HTTP API"),
    LISTEN(web, listen, "127.0.0.1:8080", "address:port the web interface listens on"),
    BOOL(siprec, enabled, "false", "accept SIPREC recording sessions (RFC 7866 SRS)"),
    LISTEN(siprec, listen, "0.0.0.0:5060", "address:port the SIPREC SRS listens on"),
    BOOL(alerts, enabled, "false", "evaluate alert rules"),

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
