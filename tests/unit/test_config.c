/* test_config.c - unit tests of config/: every value type (good and bad),
 * the INI reader's errors with their line numbers, "did you mean" hints,
 * comments, quotes and escapes, CRLF, bounds (long lines, huge files, many
 * errors), overrides, dump -> parse round trips, the example file
 * packaging/siphon.conf, and app/config_map.c (the schema's defaults equal
 * cap_limits_default() and corr_config_default(); argv handling). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
/* app/ is an executable, not a library: its config glue is compiled in. */
#include "../../app/config_map.c"

static siphon_config_t cfg;
static config_errors_t errs;

static int load(const char *text)
{
    config_free(&cfg);
    config_defaults(&cfg);
    config_errors_init(&errs);
    return config_load_buffer(&cfg, "t.conf", text, strlen(text), &errs);
}

static int setup(void **state)
{
    (void)state;
    config_defaults(&cfg);
    config_errors_init(&errs);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    config_free(&cfg);
    return 0;
}

/* Error i formatted as the user sees it. */
static const char *err_text(uint32_t i)
{
    static buf_t b;
    buf_free(&b);
    assert_true(i < errs.count);
    config_error_format(&errs.items[i], &b);
    return b.data;
}

#define assert_err(i, ln, needle)                                                                  \
    do {                                                                                           \
        assert_true((i) < errs.count);                                                             \
        assert_int_equal(errs.items[i].line, (ln));                                                \
        if (!strstr(err_text(i), (needle)))                                                        \
            fail_msg("error '%s' lacks '%s'", err_text(i), needle);                                \
    } while (0)

/* One key set from a one-line [section] file; returns load's result. */
static int set1(const char *section, const char *line)
{
    char text[CONFIG_LINE_MAX + 64];
    snprintf(text, sizeof text, "[%s]\n%s\n", section, line);
    return load(text);
}

/* ------------------------------------------------------------------------ */

static void test_defaults(void **state)
{
    (void)state;
    assert_int_equal(config_keys_set(&cfg), 0);
    assert_int_equal(cfg.correlator.max_calls, 65536);
    assert_int_equal(cfg.correlator.call_idle_timeout_ns, 300 * NS_PER_SEC);
    assert_int_equal(cfg.capture.max_tcp_total_bytes, 256ull << 20);
    assert_true(cfg.capture.promiscuous);
    assert_true(cfg.storage.enabled); /* siphon run stores, into the embedded server */
    assert_true(cfg.web.enabled); /* siphon run serves the dashboard, on loopback */
    assert_false(cfg.siprec.enabled);
    assert_false(cfg.alerts.enabled);
    assert_string_equal(cfg.web.listen, "127.0.0.1:8443");
    assert_int_equal(cfg.siprec.listen.count, 2);
    assert_string_equal(cfg.siprec.listen.items[0], "udp:0.0.0.0:5060");
    assert_string_equal(cfg.siprec.listen.items[1], "tcp:0.0.0.0:5060");
    assert_string_equal(cfg.siprec.rtp_ports, "20000-29999");
    assert_int_equal(cfg.siprec.max_sessions, 1000);
    assert_string_equal(cfg.storage.dsn, "");
    assert_int_equal(cfg.capture.interfaces.count, 0);
    assert_int_equal(cfg.log.level, LOG_LVL_WARN);

    /* schema sanity: unique names, ranges, help */
    size_t n;
    const config_key_t *s = config_schema(&n);
    assert_true(n > 30 && n <= CONFIG_KEYS_MAX);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(s[i].help);
        assert_true(s[i].help[0] != '\0');
        assert_true(s[i].min <= s[i].max);
        assert_ptr_equal(config_find(s[i].section, s[i].name), &s[i]);
        for (size_t j = 0; j < i; j++)
            assert_false(strcmp(s[i].section, s[j].section) == 0 &&
                         strcmp(s[i].name, s[j].name) == 0);
    }
    assert_null(config_find("correlator", "nope"));
}

/* The schema's defaults are the components' defaults. */
static void test_defaults_match_components(void **state)
{
    (void)state;
    cap_limits_t want_l, got_l;
    memset(&want_l, 0, sizeof want_l);
    memset(&got_l, 0, sizeof got_l);
    cap_limits_default(&want_l);
    cap_limits_default(&got_l);
    got_l.max_frag_datagrams = got_l.max_frag_bytes = got_l.max_tcp_streams = 1;
    got_l.max_tcp_stream_bytes = got_l.max_sip_header_bytes = 1;
    got_l.max_tcp_total_bytes = 1;
    got_l.max_sctp_messages = got_l.max_sctp_message_bytes = 7;
    got_l.max_sctp_total_bytes = 7;
    got_l.frag_timeout_ns = got_l.tcp_idle_ns = 1;
    app_config_to_cap_limits(&cfg, &got_l);
    assert_memory_equal(&want_l, &got_l, sizeof want_l);

    corr_config_t want_c, got_c;
    corr_config_default(&want_c);
    corr_config_default(&got_c);
    got_c.max_calls = got_c.max_streams = got_c.max_media_endpoints = 1;
    got_c.max_orphan_flows = got_c.max_streams_per_call = 1;
    got_c.call_idle_timeout_ns = got_c.call_linger_ns = got_c.orphan_idle_timeout_ns = 1;
    got_c.classify_orphans = false;
    got_c.max_dtmf_events = got_c.max_vq_reports = got_c.max_rtcp_streams = 1;
    got_c.max_registrations = 1;
    got_c.quality.jb_fixed_ms = got_c.quality.jb_min_ms = got_c.quality.jb_max_ms = 1;
    got_c.quality.interval_ms = got_c.quality.max_intervals = 1;
    app_config_to_corr_config(&cfg, &got_c);
    assert_memory_equal(&want_c, &got_c, sizeof want_c);

    /* [storage]: the keys' defaults are st_config_default's */
    st_config_t want_s, got_s;
    st_config_default(&want_s);
    memset(&got_s, 0, sizeof got_s);
    app_config_to_st_config(&cfg, &got_s);
    assert_string_equal(got_s.dsn, want_s.dsn);
    assert_string_equal(got_s.data_dir, want_s.data_dir);
    assert_string_equal(got_s.run_dir, want_s.run_dir);
    assert_string_equal(got_s.pg_user, want_s.pg_user);
    assert_string_equal(got_s.pg_bin, want_s.pg_bin);
    assert_string_equal(got_s.spool_dir, want_s.spool_dir);
    assert_int_equal(got_s.auto_migrate, want_s.auto_migrate);
    assert_int_equal(got_s.retention_ns, want_s.retention_ns);
    assert_int_equal(got_s.maintenance_interval_ns, want_s.maintenance_interval_ns);
    assert_int_equal(got_s.batch_rows, want_s.batch_rows);
    assert_int_equal(got_s.batch_delay_ns, want_s.batch_delay_ns);
    assert_int_equal(got_s.queue, want_s.queue);
    assert_int_equal(got_s.spool_max, want_s.spool_max);
    assert_int_equal(got_s.spool_fsync, want_s.spool_fsync);
    assert_int_equal(got_s.n_skip_methods, 0);
    assert_int_equal(got_s.connect_timeout_ns, want_s.connect_timeout_ns);

    cap_ring_config_t want_r, got_r;
    cap_ring_config_default(&want_r);
    cap_ring_config_default(&got_r);
    app_config_to_ring_config(&cfg, "eth1", &got_r);
    assert_string_equal(got_r.ifname, "eth1");
    assert_int_equal(got_r.block_size, want_r.block_size);
    assert_int_equal(got_r.block_count, want_r.block_count);
    assert_null(got_r.bpf);
    assert_true(got_r.promisc); /* a SPAN port needs it; the ring's own default is off */
    assert_int_equal(config_set_override(&cfg, "--capture.ring_size=10MiB", &errs), 0);
    assert_int_equal(config_set_override(&cfg, "--capture.block_size=4MiB", &errs), 0);
    assert_int_equal(config_set_override(&cfg, "--capture.bpf_filter=udp", &errs), 0);
    app_config_to_ring_config(&cfg, "eth1", &got_r);
    assert_int_equal(got_r.block_size, 4u << 20);
    assert_int_equal(got_r.block_count, 2);
    assert_string_equal(got_r.bpf, "udp");

    assert_int_equal(app_config_log_level(&cfg, 0), LOG_LVL_WARN);
    assert_int_equal(app_config_log_level(&cfg, 1), LOG_LVL_INFO);
    assert_int_equal(app_config_log_level(&cfg, 5), LOG_LVL_DEBUG);
}

static void test_bool(void **state)
{
    (void)state;
    const char *yes[] = {"true", "YES", "On", "1"}, *no[] = {"false", "no", "OFF", "0"};
    char line[64];
    for (int i = 0; i < 4; i++) {
        snprintf(line, sizeof line, "enabled = %s", yes[i]);
        assert_int_equal(set1("alerts", line), 0);
        assert_true(cfg.alerts.enabled);
        snprintf(line, sizeof line, "promiscuous = %s", no[i]);
        assert_int_equal(set1("capture", line), 0);
        assert_false(cfg.capture.promiscuous);
    }
    assert_int_equal(set1("alerts", "enabled = maybe"), -1);
    assert_err(0, 2, "t.conf:2: alerts.enabled: 'maybe' is not a boolean (expected true or false");
    assert_false(cfg.alerts.enabled); /* unchanged */
    assert_int_equal(set1("alerts", "enabled ="), -1);
    assert_err(0, 2, "no value (expected true or false)");
    assert_int_equal(set1("alerts", "enabled = truex"), -1);
}

static void test_uint(void **state)
{
    (void)state;
    assert_int_equal(set1("correlator", "max_calls = 1000"), 0);
    assert_int_equal(cfg.correlator.max_calls, 1000);
    assert_int_equal(set1("correlator", "max_calls = 16777216"), 0); /* max */
    assert_int_equal(set1("capture", "threads = 0"), 0);             /* min */
    assert_int_equal(set1("correlator", "max_calls = 0"), -1);
    assert_err(0, 2, "correlator.max_calls: 0 is out of range (expected 1..16777216)");
    assert_int_equal(cfg.correlator.max_calls, 65536);
    assert_int_equal(set1("correlator", "max_calls = 16777217"), -1);
    assert_err(0, 2, "out of range");
    assert_int_equal(set1("correlator", "max_calls = 99999999999999999999999"), -1);
    assert_err(0, 2, "out of range");
    assert_int_equal(set1("correlator", "max_calls = lots"), -1);
    assert_err(0, 2, "'lots' is not a whole number (expected 1..16777216)");
    const char *bad[] = {"-1", "1e3", "10k", "0x10", "1 000", "+5", "1.0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char line[64];
        snprintf(line, sizeof line, "max_calls = %s", bad[i]);
        assert_int_equal(set1("correlator", line), -1);
        assert_err(0, 2, "correlator.max_calls");
    }
}

static void test_duration(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t ns;
    } good[] = {
        {"300s", 300 * NS_PER_SEC}, {"5m", 300 * NS_PER_SEC},     {"45", 45 * NS_PER_SEC},
        {"2h", 7200 * NS_PER_SEC},  {"1d", 86400 * NS_PER_SEC},   {"1500ms", 1500 * NS_PER_MSEC},
        {"5 m", 300 * NS_PER_SEC},  {"\"90s\"", 90 * NS_PER_SEC},
    };
    char line[64];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        snprintf(line, sizeof line, "call_idle_timeout = %s", good[i].text);
        assert_int_equal(set1("correlator", line), 0);
        assert_int_equal(cfg.correlator.call_idle_timeout_ns, good[i].ns);
    }
    assert_int_equal(set1("correlator", "call_linger = 250ms"), 0);
    assert_int_equal(cfg.correlator.call_linger_ns, 250 * NS_PER_MSEC);
    assert_int_equal(set1("correlator", "call_linger = 0"), 0); /* min 0 */

    const char *bad[] = {"5x", "1.5s", "-1s", "s", "5M", "5mins", "5s5", "1m30s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(line, sizeof line, "call_idle_timeout = %s", bad[i]);
        assert_int_equal(set1("correlator", line), -1);
        assert_err(0, 2, "is not a duration (expected a whole number and a unit: 250ms, 30s, 5m");
    }
    assert_int_equal(set1("correlator", "call_idle_timeout = 8d"), -1);
    assert_err(0, 2, "8d is out of range (expected 1s..7d)");
    assert_int_equal(set1("correlator", "call_idle_timeout = 500ms"), -1);
    assert_err(0, 2, "out of range");
    assert_int_equal(set1("correlator", "call_idle_timeout = 99999999999999999d"), -1);
    assert_err(0, 2, "out of range");
    assert_int_equal(cfg.correlator.call_idle_timeout_ns, 300 * NS_PER_SEC);
}

static void test_size(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t bytes;
    } good[] = {
        {"64MiB", 64ull << 20}, {"1GiB", 1ull << 30}, {"512KiB", 512ull << 10},
        {"64M", 64ull << 20},   {"2g", 2ull << 30},   {"1048576", 1ull << 20},
        {"1 GiB", 1ull << 30},  {"100000B", 100000},  {"1TiB", 1ull << 40},
    };
    char line[64];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        snprintf(line, sizeof line, "max_tcp_total_bytes = %s", good[i].text);
        assert_int_equal(set1("capture", line), 0);
        assert_int_equal(cfg.capture.max_tcp_total_bytes, good[i].bytes);
    }
    assert_int_equal(set1("capture", "max_tcp_total_bytes = 64MB"), -1);
    assert_err(0, 2, "KB/MB/GB are ambiguous, write KiB, MiB or GiB");
    const char *bad[] = {"64XiB", "1.5GiB", "-1", "MiB", "64 MiBs"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(line, sizeof line, "max_tcp_total_bytes = %s", bad[i]);
        assert_int_equal(set1("capture", line), -1);
        assert_err(0, 2, "is not a size (expected a whole number and a unit: 512KiB, 64MiB");
    }
    assert_int_equal(set1("capture", "max_frag_bytes = 4GiB"), -1); /* uint32_t field */
    assert_err(0, 2, "4GiB is out of range (expected 64KiB..4294967295)");
    assert_int_equal(set1("capture", "max_frag_bytes = 17179869184TiB"), -1);
    assert_err(0, 2, "out of range");
}

static void test_string_quotes_escapes(void **state)
{
    (void)state;
    assert_int_equal(set1("storage", "dsn = host=db password=a;b#c   # comment"), 0);
    assert_string_equal(cfg.storage.dsn, "host=db password=a;b#c");
    assert_int_equal(set1("storage", "dsn = \"a \\\"quoted\\\" \\\\ value # ; kept\"  ; c"), 0);
    assert_string_equal(cfg.storage.dsn, "a \"quoted\" \\ value # ; kept");
    assert_int_equal(set1("storage", "dsn = \"  padded \""), 0);
    assert_string_equal(cfg.storage.dsn, "  padded ");
    assert_int_equal(set1("storage", "dsn ="), 0);
    assert_string_equal(cfg.storage.dsn, "");
    assert_int_equal(set1("storage", "dsn = # only a comment"), 0);
    assert_string_equal(cfg.storage.dsn, "");
    assert_int_equal(set1("storage", "dsn=#not a comment? it is: at the start"), 0);
    assert_string_equal(cfg.storage.dsn, "");
    assert_int_equal(set1("storage", "dsn = a\"b\\c"), 0); /* unquoted: as written */
    assert_string_equal(cfg.storage.dsn, "a\"b\\c");
    assert_int_equal(set1("storage", "dsn = x\tinner\ttab\t"), 0);
    assert_string_equal(cfg.storage.dsn, "x\tinner\ttab");
    assert_int_equal(set1("storage", "dsn = caf\xc3\xa9 \xff\xfe"), 0); /* bytes kept */
    assert_string_equal(cfg.storage.dsn, "caf\xc3\xa9 \xff\xfe");

    assert_int_equal(set1("storage", "dsn = \"abc"), -1);
    assert_err(0, 2, "storage.dsn: missing closing quote");
    assert_int_equal(set1("storage", "dsn = \"abc\\"), -1);
    assert_err(0, 2, "missing closing quote");
    assert_int_equal(set1("storage", "dsn = \"a\\nb\""), -1);
    assert_err(0, 2, "unknown escape '\\n'");
    assert_int_equal(set1("storage", "dsn = \"abc\" def"), -1);
    assert_err(0, 2, "unexpected text after the closing quote");
    assert_int_equal(errs.items[0].column, 7);
    assert_string_equal(cfg.storage.dsn, ""); /* unchanged */
}

static void test_list(void **state)
{
    (void)state;
    assert_int_equal(set1("capture", "interfaces = eth1, eth2 ,eth3  # three"), 0);
    assert_int_equal(cfg.capture.interfaces.count, 3);
    assert_string_equal(cfg.capture.interfaces.items[0], "eth1");
    assert_string_equal(cfg.capture.interfaces.items[1], "eth2");
    assert_string_equal(cfg.capture.interfaces.items[2], "eth3");
    assert_int_equal(set1("capture", "file = \"a, b.pcap\", c#d.pcap, \"\""), 0);
    assert_int_equal(cfg.capture.files.count, 3);
    assert_string_equal(cfg.capture.files.items[0], "a, b.pcap");
    assert_string_equal(cfg.capture.files.items[1], "c#d.pcap");
    assert_string_equal(cfg.capture.files.items[2], "");
    assert_int_equal(set1("capture", "interfaces ="), 0);
    assert_int_equal(cfg.capture.interfaces.count, 0);

    assert_int_equal(set1("capture", "interfaces = eth1, , eth2"), -1);
    assert_err(0, 2, "capture.interfaces: empty item in the list");
    assert_int_equal(set1("capture", "interfaces = eth1,"), -1);
    assert_err(0, 2, "empty item after ','");
    assert_int_equal(set1("capture", "interfaces = \"eth1\" eth2"), -1);
    assert_err(0, 2, "separate items with ','");

    char line[512] = "interfaces = i0";
    for (int i = 1; i < CONFIG_LIST_MAX; i++)
        snprintf(line + strlen(line), sizeof line - strlen(line), ",i%d", i);
    assert_int_equal(set1("capture", line), 0);
    assert_int_equal(cfg.capture.interfaces.count, CONFIG_LIST_MAX);
    strcat(line, ",one-too-many");
    assert_int_equal(set1("capture", line), -1);
    assert_err(0, 2, "more than 64 items");
}

static void test_enum(void **state)
{
    (void)state;
    assert_int_equal(set1("log", "level = debug"), 0);
    assert_int_equal(cfg.log.level, LOG_LVL_DEBUG);
    assert_int_equal(set1("log", "level = ERROR"), 0);
    assert_int_equal(cfg.log.level, LOG_LVL_ERROR);
    assert_int_equal(set1("log", "level = loud"), -1);
    assert_err(0, 2, "log.level: 'loud' is not one of error|warn|info|debug");
}

static void test_line_numbers_and_structure(void **state)
{
    (void)state;
    const char *text = "# siphon\n"                    /* 1 */
                       "; another comment\n"           /* 2 */
                       "max_calls = 5\n"               /* 3: outside a section */
                       "\n"                            /* 4 */
                       "  [correlator]   # calls\n"    /* 5 */
                       "  max_calls=10\n"              /* 6 */
                       "max_cals = 3\n"                /* 7: typo */
                       "call_linger = soon\n"          /* 8: bad value */
                       "this is not a setting\n"       /* 9 */
                       " = 4\n"                        /* 10 */
                       "max calls = 4\n"               /* 11 */
                       "[capture\n"                    /* 12 */
                       "[capture] x\n"                 /* 13 */
                       "[]\n"                          /* 14 */
                       "[corelator]\n"                 /* 15 */
                       "max_calls = 7\n"               /* 16: ignored */
                       "whatever = 1\n"                /* 17: ignored */
                       "[correlator]\n"                /* 18: again: fine */
                       "max_calls = 12\n"              /* 19: duplicate */
                       "max_streams = 99\n"            /* 20 */
                       "[capture]\n"                   /* 21 */
                       "max_calls = 1\n"               /* 22 */
                       "correlator.max_streams = 1\n"; /* 23 */
    assert_int_equal(load(text), -1);
    assert_int_equal(errs.count, 13);
    assert_err(0, 3,
               "t.conf:3: key 'max_calls' is outside any [section] (it belongs in [correlator])");
    assert_err(1, 7, "unknown key 'max_cals' in [correlator] (did you mean 'max_calls'?)");
    assert_int_equal(errs.items[1].column, 1);
    assert_err(2, 8, "correlator.call_linger: 'soon' is not a duration");
    assert_int_equal(errs.items[2].column, 15);
    assert_err(3, 9, "expected 'key = value' or '[section]'");
    assert_err(4, 10, "missing key name before '='");
    assert_err(5, 11, "bad key name 'max calls'");
    assert_err(6, 12, "missing ']' in the section header");
    assert_err(7, 13, "unexpected text after the section header");
    assert_err(8, 14, "empty section name");
    assert_err(9, 15, "unknown section [corelator] (did you mean [correlator]?)");
    assert_err(10, 19, "duplicate key 'max_calls' in [correlator] (first set on line 6)");
    assert_err(11, 22, "unknown key 'max_calls' in [capture] (it belongs in [correlator])");
    assert_err(12, 23, "(in a file, write 'max_streams = ...' under [correlator])");
    assert_false(errs.truncated);
    /* valid lines were applied; the first of a duplicate is kept */
    assert_int_equal(cfg.correlator.max_calls, 10);
    assert_int_equal(cfg.correlator.max_streams, 99);
    assert_int_equal(config_keys_set(&cfg), 2);

    assert_int_equal(load("[correlator]\nMax-Calls = 1\nmax_kalls = 1\nxyzzy = 1\n"), -1);
    assert_err(0, 2, "(did you mean 'max_calls'?)");
    assert_err(1, 3, "(did you mean 'max_calls'?)");
    assert_err(2, 4, "unknown key 'xyzzy' in [correlator]");
    assert_null(strstr(err_text(2), "did you mean"));
    assert_int_equal(load("[web]\nmax_stream = 1\n"), -1);
    assert_err(0, 2, "(did you mean 'max_streams' in [correlator]?)");
    assert_int_equal(load("[zzzzzzz]\n"), -1);
    assert_null(strstr(err_text(0), "did you mean"));
}

static void test_comments_whitespace_crlf_bom(void **state)
{
    (void)state;
    const char *text = "\xEF\xBB\xBF# BOM first\r\n"
                       "\t[web]\t; tabbed\r\n"
                       "\t enabled\t=\tyes\t# on\r\n"
                       "   ; indented comment\r\n"
                       "listen = \"[::1]:8080\"\r\n"
                       "[log]\r\n"
                       "level = info"; /* no final newline */
    assert_int_equal(load(text), 0);
    assert_true(cfg.web.enabled);
    assert_string_equal(cfg.web.listen, "[::1]:8080");
    assert_int_equal(cfg.log.level, LOG_LVL_INFO);
    assert_int_equal(config_keys_set(&cfg), 3);
    assert_int_equal(load(""), 0);
    assert_int_equal(load("\n\n\r\n"), 0);
}

static void test_control_chars(void **state)
{
    (void)state;
    const char text[] = "[web]\nlisten = a\0b\nenabled = \x01yes\nlisten = x\ry\n[log]\nlevel = "
                        "\x7f\nlevel = info\n";
    config_free(&cfg);
    config_defaults(&cfg);
    config_errors_init(&errs);
    assert_int_equal(config_load_buffer(&cfg, "t.conf", text, sizeof text - 1, &errs), -1);
    assert_int_equal(errs.count, 4);
    assert_err(0, 2, "NUL byte (column 11)");
    assert_int_equal(errs.items[0].column, 11);
    assert_err(1, 3, "control character 0x01 (column 11)");
    assert_err(2, 4, "control character 0x0d");
    assert_err(3, 6, "control character 0x7f");
    assert_int_equal(cfg.log.level, LOG_LVL_INFO); /* line 7 still read */
}

static void test_bounds(void **state)
{
    (void)state;
    /* a line one byte too long is skipped, the next one read */
    size_t n = CONFIG_LINE_MAX + 200;
    char *text = malloc(n);
    int k = snprintf(text, n, "[storage]\ndsn = ");
    memset(text + k, 'x', CONFIG_LINE_MAX - 6 + 1);
    k += CONFIG_LINE_MAX - 6 + 1;
    k += snprintf(text + k, n - (size_t)k, "\nenabled = true\n");
    config_free(&cfg);
    config_defaults(&cfg);
    config_errors_init(&errs);
    assert_int_equal(config_load_buffer(&cfg, "t.conf", text, (size_t)k, &errs), -1);
    assert_int_equal(errs.count, 1);
    assert_err(0, 2, "line longer than 8192 bytes");
    assert_true(cfg.storage.enabled);
    /* at the limit: fine as a line, too long as a value */
    text[10 + CONFIG_LINE_MAX] = '\n';
    assert_int_equal(config_load_buffer(&cfg, "t.conf", text, 11 + CONFIG_LINE_MAX, &errs), -1);
    assert_err(1, 2, "storage.dsn: value longer than 3072 bytes");
    free(text);
    char line[CONFIG_VALUE_MAX + 32];
    k = snprintf(line, sizeof line, "dsn = ");
    memset(line + k, 'y', CONFIG_VALUE_MAX);
    line[k + CONFIG_VALUE_MAX] = '\0';
    assert_int_equal(set1("storage", line), 0);
    assert_int_equal(strlen(cfg.storage.dsn), CONFIG_VALUE_MAX);

    /* a file over the size bound is one error, nothing is read */
    size_t big = (size_t)CONFIG_FILE_MAX + 1;
    char *huge = malloc(big);
    memset(huge, '\n', big);
    memcpy(huge, "[alerts]\nenabled = true\n", 24);
    config_errors_init(&errs);
    config_free(&cfg);
    config_defaults(&cfg);
    assert_int_equal(config_load_buffer(&cfg, "big.conf", huge, big, &errs), -1);
    assert_int_equal(errs.count, 1);
    assert_err(0, 0, "big.conf: file is larger than 1048576 bytes");
    assert_false(cfg.alerts.enabled);
    /* exactly at the bound is fine */
    assert_int_equal(config_load_buffer(&cfg, "big.conf", huge, big - 1, NULL), 0);
    assert_true(cfg.alerts.enabled);

    /* many errors: the list is bounded and reading stops */
    memset(huge, '\n', big);
    for (size_t i = 0; i + 4 < big / 2; i += 4)
        memcpy(huge + i, "x=1\n", 4);
    config_errors_init(&errs);
    assert_int_equal(config_load_buffer(&cfg, "many.conf", huge, big - 1, &errs), -1);
    assert_int_equal(errs.count, CONFIG_ERRORS_MAX);
    assert_true(errs.truncated);
    assert_err(CONFIG_ERRORS_MAX - 1, CONFIG_ERRORS_MAX, "outside any [section]");
    free(huge);
}

static void test_overrides(void **state)
{
    (void)state;
    assert_true(config_is_override("--correlator.max_calls=5"));
    assert_true(config_is_override("--a.b"));
    assert_false(config_is_override("--max-calls=5"));
    assert_false(config_is_override("--codec-table=x.tbl"));
    assert_false(config_is_override("--.x=1"));
    assert_false(config_is_override("-c"));
    assert_false(config_is_override("--"));
    assert_false(config_is_override("x.pcap"));

    assert_int_equal(load("[correlator]\nmax_calls = 100\n"), 0);
    assert_int_equal(config_set_override(&cfg, "--correlator.max_calls=200", &errs), 0);
    assert_int_equal(cfg.correlator.max_calls, 200);
    assert_int_equal(config_set_override(&cfg, "correlator.max_calls=300", &errs), 0);
    assert_int_equal(cfg.correlator.max_calls, 300); /* last wins */
    assert_int_equal(config_set_override(&cfg, "--capture.bpf_filter=udp # x ; y", &errs), 0);
    assert_string_equal(cfg.capture.bpf_filter, "udp # x ; y"); /* no comments */
    assert_int_equal(config_set_override(&cfg, "--capture.interfaces=eth1,eth2", &errs), 0);
    assert_int_equal(cfg.capture.interfaces.count, 2);
    assert_int_equal(config_set_override(&cfg, "--storage.dsn=\"a b\"", &errs), 0);
    assert_string_equal(cfg.storage.dsn, "a b");
    assert_int_equal(config_keys_set(&cfg), 4);
    size_t n;
    const config_key_t *k = config_find("correlator", "max_calls");
    assert_int_equal(cfg.source[k - config_schema(&n)], CONFIG_SRC_OVERRIDE);
    assert_int_equal(errs.count, 0);

    assert_int_equal(config_set_override(&cfg, "--correlator.max_calls=abc", &errs), -1);
    assert_err(0, 0, "command line: --correlator.max_calls: 'abc' is not a whole number");
    assert_int_equal(cfg.correlator.max_calls, 300);
    assert_int_equal(config_set_override(&cfg, "--correlator.max_cals=1", &errs), -1);
    assert_err(1, 0, "unknown key 'max_cals' in [correlator] (did you mean 'max_calls'?)");
    assert_int_equal(config_set_override(&cfg, "--corelator.max_calls=1", &errs), -1);
    assert_err(2, 0, "unknown section [corelator] (did you mean [correlator]?)");
    assert_int_equal(config_set_override(&cfg, "--correlator.max_calls", &errs), -1);
    assert_err(3, 0, "'--correlator.max_calls' needs a value");
    assert_int_equal(config_set_override(&cfg, "--nodot=1", &errs), -1);
    assert_err(4, 0, "expected --section.key=value");
    assert_int_equal(config_set_override(&cfg, "--web.listen=a\x01", &errs), -1);
    assert_err(5, 0, "control character 0x01");
    assert_int_equal(config_set_override(&cfg, "--\x1b[31m.x=1", &errs), -1);
    assert_null(strchr(err_text(6), '\x1b'));

    /* listen keys: ADDRESS:PORT, IPv4 or [IPv6], port 1..65535 */
    config_errors_init(&errs);
    assert_int_equal(config_set_override(&cfg, "--web.listen=[::1]:8443", &errs), 0);
    assert_string_equal(cfg.web.listen, "[::1]:8443");
    assert_int_equal(config_set_override(&cfg, "--siprec.listen=udp:10.0.0.1:65535", &errs), 0);
    assert_int_equal(config_set_override(&cfg, "--web.listen=256.1.1.1:99999", &errs), -1);
    assert_err(0, 0, "--web.listen: '256.1.1.1:99999' is not ADDRESS:PORT: not an IPv4 address");
    assert_int_equal(config_set_override(&cfg, "--web.listen=1.2.3.4:65536", &errs), -1);
    assert_err(1, 0, "the port is out of range 1..65535");
    assert_int_equal(config_set_override(&cfg, "--web.listen=1.2.3.4:0", &errs), -1);
    assert_err(2, 0, "the port is out of range 1..65535");
    assert_int_equal(config_set_override(&cfg, "--web.listen=1.2.3.4", &errs), -1);
    assert_int_equal(config_set_override(&cfg, "--web.listen=::1:80", &errs), -1);
    assert_int_equal(config_set_override(&cfg, "--web.listen=[::1]:8x", &errs), -1);
    assert_int_equal(config_set_override(&cfg, "--web.listen=", &errs), -1);
    assert_string_equal(cfg.web.listen, "[::1]:8443"); /* bad values change nothing */
}

/* Values that need quoting survive dump -> parse; the second dump is the
 * same text. */
static void test_dump_round_trip(void **state)
{
    (void)state;
    assert_int_equal(config_set_override(&cfg, "--storage.dsn=\" lead#;\\\"q\\\\\"", &errs), 0);
    assert_int_equal(config_set_override(&cfg, "--capture.file=\"a,b\", \"#c\", \"\", d e", &errs),
                     0);
    assert_int_equal(config_set_override(&cfg, "--capture.user=\"\"", &errs), 0);
    assert_int_equal(config_set_override(&cfg, "--capture.bpf_filter=a\"b", &errs), 0);
    assert_int_equal(config_set_override(&cfg, "--correlator.call_linger=1500ms", &errs), 0);
    assert_int_equal(config_set_override(&cfg, "--capture.max_frag_bytes=100000", &errs), 0);
    assert_int_equal(config_set_override(&cfg, "--log.level=Debug", &errs), 0);
    assert_int_equal(errs.count, 0);
    buf_t a, b;
    buf_init(&a), buf_init(&b);
    config_dump(&cfg, &a);
    assert_non_null(strstr(a.data, "dsn = \" lead#;\\\"q\\\\\"\n"));
    assert_non_null(strstr(a.data, "file = \"a,b\", \"#c\", \"\", d e\n"));
    assert_non_null(strstr(a.data, "call_linger = 1500ms\n"));
    assert_non_null(strstr(a.data, "level = debug\n"));
    assert_non_null(strstr(a.data, "interfaces =\n"));

    siphon_config_t c2;
    config_defaults(&c2);
    config_errors_init(&errs);
    assert_int_equal(config_load_buffer(&c2, "dump", a.data, a.len, &errs), 0);
    size_t n;
    config_schema(&n);
    assert_int_equal(config_keys_set(&c2), n);
    assert_string_equal(c2.storage.dsn, " lead#;\"q\\");
    assert_int_equal(c2.capture.files.count, 4);
    assert_string_equal(c2.capture.files.items[3], "d e");
    config_dump(&c2, &b);
    assert_string_equal(a.data, b.data);
    config_free(&c2);

    /* the defaults too */
    config_free(&cfg);
    config_defaults(&cfg);
    buf_reset(&a), buf_reset(&b);
    config_dump(&cfg, &a);
    config_defaults(&c2);
    assert_int_equal(config_load_buffer(&c2, "dump", a.data, a.len, &errs), 0);
    config_dump(&c2, &b);
    assert_string_equal(a.data, b.data);
    config_free(&c2);
    buf_free(&a), buf_free(&b);
}

/* packaging/siphon.conf: valid, every key present, every value the default. */
static void test_example_file(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/../packaging/siphon.conf", TEST_SRC_DIR);
    siphon_config_t ex;
    config_defaults(&ex);
    config_errors_init(&errs);
    int rc = config_load_file(&ex, path, &errs);
    for (uint32_t i = 0; i < errs.count; i++)
        print_message("%s\n", err_text(i));
    assert_int_equal(rc, 0);
    size_t n;
    const config_key_t *s = config_schema(&n);
    assert_int_equal(config_keys_set(&ex), n);
    for (size_t i = 0; i < n; i++) {
        buf_t a, b;
        buf_init(&a), buf_init(&b);
        config_format_value(&cfg, &s[i], &a);
        config_format_value(&ex, &s[i], &b);
        if (strcmp(a.data ? a.data : "", b.data ? b.data : "") != 0)
            fail_msg("%s.%s is '%s' in siphon.conf, default '%s'", s[i].section, s[i].name,
                     b.data ? b.data : "", a.data ? a.data : "");
        buf_free(&a), buf_free(&b);
    }
    config_free(&ex);
}

static void test_load_file_errors(void **state)
{
    (void)state;
    assert_int_equal(config_load_file(&cfg, "/nonexistent/siphon.conf", &errs), -1);
    assert_err(0, 0, "/nonexistent/siphon.conf: cannot open: No such file or directory");
    assert_int_equal(config_load_file(&cfg, "/", &errs), -1);
    assert_err(1, 0, "is a directory");

    char path[] = "/tmp/siphon-test-config-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "[correlator]\nmax_calls = 77\nbogus = 1\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    config_errors_init(&errs);
    assert_int_equal(config_load_file(&cfg, path, &errs), -1);
    assert_int_equal(errs.count, 1);
    assert_int_equal(errs.items[0].line, 3);
    assert_string_equal(errs.items[0].where, path);
    assert_int_equal(cfg.correlator.max_calls, 77);
    unlink(path);
}

/* app_config_from_args: the file first, overrides in order, argv compacted. */
static void test_app_args(void **state)
{
    (void)state;
    char path[] = "/tmp/siphon-test-config-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "[correlator]\nmax_calls = 77\nmax_streams = 5\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);

    char *argv[] = {"analyze",
                    "--correlator.max_calls=5",
                    "--json",
                    "-c",
                    path,
                    "x.pcap",
                    "--correlator.max_calls=6",
                    "--",
                    "--web.listen=x",
                    NULL};
    int argc = 9;
    const char *used = NULL;
    assert_int_equal(app_config_from_args("analyze", &argc, argv, NULL, &cfg, &used), 0);
    assert_string_equal(used, path);
    assert_int_equal(argc, 5);
    assert_string_equal(argv[1], "--json");
    assert_string_equal(argv[2], "x.pcap");
    assert_string_equal(argv[3], "--");
    assert_string_equal(argv[4], "--web.listen=x");
    assert_null(argv[5]);
    assert_int_equal(cfg.correlator.max_calls, 6);
    assert_int_equal(cfg.correlator.max_streams, 5);
    assert_string_equal(cfg.web.listen, "127.0.0.1:8443");

    char *argv2[] = {"analyze", "x.pcap", "-c", NULL};
    argc = 3;
    assert_int_equal(app_config_from_args("analyze", &argc, argv2, NULL, &cfg, NULL),
                     APP_CONFIG_USAGE);
    char *argv3[] = {"check-config", NULL};
    argc = 1;
    assert_int_equal(
        app_config_from_args("check-config", &argc, argv3, "/nonexistent/x.conf", &cfg, NULL),
        APP_CONFIG_INVALID);
    char *argv4[] = {"analyze", "--config=/nonexistent/y.conf", "--log.level=nope", NULL};
    argc = 3;
    assert_int_equal(app_config_from_args("analyze", &argc, argv4, NULL, &cfg, NULL),
                     APP_CONFIG_INVALID);
    assert_int_equal(argc, 1);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_defaults_match_components, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bool, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_string_quotes_escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_line_numbers_and_structure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_comments_whitespace_crlf_bom, setup, teardown),
        cmocka_unit_test_setup_teardown(test_control_chars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overrides, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dump_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_example_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_file_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_app_args, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
