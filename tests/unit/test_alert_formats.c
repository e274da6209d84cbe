/* test_alert_formats.c - the SIEM formats of alert/: each one's escaping
 * of a hostile value (quotes, pipes, equals signs, backslashes, brackets,
 * CR/LF/TAB, an ill-formed UTF-8 byte, a C1 control, a bidi override),
 * the whole RFC 5424, CEF and LEEF records of one alert byte for byte,
 * the ECS document and the HEC envelope as JSON, the webhook's HMAC
 * against Python's hmac, the evidence check, and the sink URL parser's
 * accepted and refused forms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alert_internal.h"

/* a"b|c=d\e]f<LF>g<CR>h<FF>i<NEL>j<RLO>k<TAB>l */
#define HOSTILE "a\"b|c=d\\e]f\ng\rh\xffi\xc2\x85j\xe2\x80\xaek\tl"
#define FFFD    "\xef\xbf\xbd"

static const char *esc(alert__esc_t how, char delim)
{
    static buf_t b;
    buf_reset(&b);
    alert__escape_cstr(&b, HOSTILE, how, delim);
    buf_putc(&b, '\0');
    return b.data;
}

static void test_escaping(void **state)
{
    (void)state;
    assert_string_equal(esc(ALERT__ESC_SD, 0), "a\\\"b|c=d\\\\e\\]f" FFFD "g" FFFD "h" FFFD "i" FFFD
                                               "j" FFFD "k" FFFD "l");
    assert_string_equal(esc(ALERT__ESC_MSG, 0),
                        "a\"b|c=d\\e]f" FFFD "g" FFFD "h" FFFD "i" FFFD "j" FFFD "k" FFFD "l");
    assert_string_equal(esc(ALERT__ESC_CEF_HDR, 0),
                        "a\"b\\|c=d\\\\e]f" FFFD "g" FFFD "h" FFFD "i" FFFD "j" FFFD "k" FFFD "l");
    assert_string_equal(esc(ALERT__ESC_CEF_EXT, 0),
                        "a\"b|c\\=d\\\\e]f\\ng\\rh" FFFD "i" FFFD "j" FFFD "k" FFFD "l");
    assert_string_equal(esc(ALERT__ESC_LEEF, '\t'), "a\"b|c=d\\e]fgh" FFFD "ijkl");
    assert_string_equal(esc(ALERT__ESC_LEEF, '^'), "a\"b|c=d\\e]fgh" FFFD "ijkl");
    buf_t b;
    buf_init(&b);
    alert__escape_cstr(&b, "x^y|z", ALERT__ESC_LEEF, '^');
    alert__escape_cstr(&b, "|p|", ALERT__ESC_LEEF_HDR, 0);
    buf_putc(&b, '\0');
    assert_string_equal(b.data, "xy|zp");
    /* well-formed UTF-8 passes; overlong and surrogate forms do not */
    buf_reset(&b);
    alert__escape_cstr(&b, "\xc3\xa9\xe2\x82\xac\xc0\xaf\xed\xa0\x80", ALERT__ESC_SD, 0);
    buf_putc(&b, '\0');
    assert_string_equal(b.data, "\xc3\xa9\xe2\x82\xac" FFFD FFFD FFFD FFFD FFFD);
    buf_free(&b);
}

static alert_t hostile_alert(void)
{
    alert_t a = {.type = ALERT_FLOOD,
                 .severity = ALERT_SEV_HIGH,
                 .phase = ALERT_PHASE_OPEN,
                 .incident_id = 42,
                 .target_user = HOSTILE,
                 .first_ts_ns = 1765000000123456789LL,
                 .last_ts_ns = 1765000002500000000LL,
                 .count = 1234,
                 .summary = HOSTILE,
                 .evidence_json = "{\"ua\":\"x\\\"y=|]\"}"};
    ip_addr_parse(sv_from_cstr("192.0.2.7"), &a.src.ip);
    a.src.port = 5060;
    ip_addr_parse(sv_from_cstr("2001:db8::1"), &a.dst.ip);
    a.dst.port = 5080;
    return a;
}

static alert__sink_env_t env_of(alert_sink_spec_t *sp, const char *url)
{
    char err[256];
    assert_int_equal(alert_sink_parse(url, sp, err, sizeof err), 0);
    return (alert__sink_env_t){.spec = sp, .facility = 13, .hostname = "probe-1"};
}

static void test_rfc5424(void **state)
{
    (void)state;
    alert_sink_spec_t sp;
    alert__sink_env_t env = env_of(&sp, "syslog+udp://127.0.0.1:514");
    alert_t a = hostile_alert();
    buf_t b, want;
    buf_init(&b), buf_init(&want);
    alert__fmt_syslog(&b, &a, &env);
    buf_printf(&want,
               "<107>1 2025-12-06T05:46:42.500000Z probe-1 siphon %ld flood [siphon@32473 "
               "alert_type=\"flood\" severity=\"high\" phase=\"open\" incident_id=\"42\" "
               "src_ip=\"192.0.2.7\" src_port=\"5060\" dst_ip=\"2001:db8::1\" dst_port=\"5080\" "
               "target_user=\"%s\" first_ts=\"2025-12-06T05:46:40.123456Z\" "
               "last_ts=\"2025-12-06T05:46:42.500000Z\" count=\"1234\" "
               "evidence=\"{\\\"ua\\\":\\\"x\\\\\\\"y=|\\]\\\"}\"] %s",
               (long)getpid(), esc(ALERT__ESC_SD, 0), "");
    /* the summary (MSG) */
    alert__escape_cstr(&want, HOSTILE, ALERT__ESC_MSG, 0);
    assert_int_equal(b.len, want.len);
    assert_memory_equal(b.data, want.data, b.len);
    assert_null(memchr(b.data, '\n', b.len));
    /* facility from the URL; no address, user or times: the parameters are left out */
    alert_t bare = {.type = ALERT_SCANNER, .severity = ALERT_SEV_INFO, .incident_id = 7};
    env = env_of(&sp, "syslog+tcp://h?facility=4");
    env.facility = sp.facility;
    buf_reset(&b);
    alert__fmt_syslog(&b, &bare, &env);
    buf_putc(&b, '\0');
    assert_true(strncmp(b.data, "<38>1 ", 6) == 0);
    char tail[160];
    snprintf(tail, sizeof tail,
             " scanner [siphon@32473 alert_type=\"scanner\" severity=\"info\" phase=\"open\" "
             "incident_id=\"7\" count=\"0\" evidence=\"{}\"]");
    assert_non_null(strstr(b.data, tail));
    assert_int_equal(strlen(strstr(b.data, tail)), strlen(tail));
    buf_free(&b), buf_free(&want);
}

static void test_cef(void **state)
{
    (void)state;
    alert_t a = hostile_alert();
    buf_t b, want;
    buf_init(&b), buf_init(&want);
    alert__fmt_cef(&b, &a);
    buf_printf(&want,
               "CEF:0|siphon|siphon|%s|flood|SIP request flood|8|rt=1765000002500 "
               "start=1765000000123 end=1765000002500 cat=flood externalId=42 cnt=1234 "
               "src=192.0.2.7 spt=5060 c6a3Label=Destination IPv6 Address c6a3=2001:db8::1 "
               "dpt=5080 duser=%s",
               alert__version, esc(ALERT__ESC_CEF_EXT, 0));
    buf_printf(&want, " cs2Label=phase cs2=open cs1Label=evidence cs1={\"ua\":\"x\\\\\"y\\=|]\"}");
    buf_printf(&want, " msg=%s", esc(ALERT__ESC_CEF_EXT, 0));
    assert_int_equal(b.len, want.len);
    assert_memory_equal(b.data, want.data, b.len);
    assert_null(memchr(b.data, '\n', b.len));
    assert_null(memchr(b.data, '\r', b.len));
    /* the record inside syslog: NILVALUE structured data, CEF as MSG */
    alert_sink_spec_t sp;
    alert__sink_env_t env = env_of(&sp, "syslog+tls://siem.example?format=cef");
    buf_reset(&b);
    alert__fmt_syslog(&b, &a, &env);
    buf_putc(&b, '\0');
    assert_non_null(strstr(b.data, " flood - CEF:0|siphon|"));
    buf_free(&b), buf_free(&want);
}

static void test_leef(void **state)
{
    (void)state;
    alert_t a = hostile_alert();
    buf_t b, want;
    buf_init(&b), buf_init(&want);
    alert__fmt_leef(&b, &a, '\t');
    buf_printf(&want,
               "LEEF:2.0|siphon|siphon|%s|flood|x09|cat=flood\tdevTimeFormat=MMM dd yyyy "
               "HH:mm:ss.SSS z\tdevTime=Dec 06 2025 05:46:42.500 UTC\tsev=8\tsrc=192.0.2.7\t"
               "srcPort=5060\tdst=2001:db8::1\tdstPort=5080\tusrName=%s\tincidentId=42\t"
               "phase=open\tcount=1234\tstartTime=Dec 06 2025 05:46:40.123 UTC\tmsg=",
               alert__version, esc(ALERT__ESC_LEEF, '\t'));
    buf_printf(&want, "%s\tevidence={\"ua\":\"x\\\"y=|]\"}", esc(ALERT__ESC_LEEF, '\t'));
    assert_int_equal(b.len, want.len);
    assert_memory_equal(b.data, want.data, b.len);
    /* every attribute is one delimiter-separated key=value */
    buf_putc(&b, '\0');
    char *attrs = strstr(b.data, "|x09|") + 5;
    int n = 0;
    for (char *save, *t = strtok_r(attrs, "\t", &save); t; t = strtok_r(NULL, "\t", &save), n++)
        assert_non_null(strchr(t, '='));
    assert_int_equal(n, 15);
    /* a printable delimiter is named as itself */
    buf_reset(&b);
    alert__fmt_leef(&b, &a, '^');
    buf_putc(&b, '\0');
    assert_true(strncmp(b.data + strlen("LEEF:2.0|siphon|siphon|") + strlen(alert__version),
                        "|flood|^|cat=flood^", 19) == 0);
    buf_free(&b), buf_free(&want);
}

static void contract(buf_t *out, const alert_t *a)
{
    buf_printf(out, "{\"type\":\"alert\",\"incident_id\":%llu}\n",
               (unsigned long long)a->incident_id);
}

static void test_json_formats(void **state)
{
    (void)state;
    alert_t a = hostile_alert();
    buf_t b;
    buf_init(&b);
    alert__fmt_ecs(&b, &a, "probe-1");
    assert_true(alert__json_object_valid(b.data, b.len));
    assert_null(memchr(b.data, '\n', b.len));
    buf_putc(&b, '\0');
    const char *want[] = {
        "\"@timestamp\":\"2025-12-06T05:46:42.500000Z\"",
        "\"kind\":\"alert\",\"category\":[\"network\",\"intrusion_detection\"]",
        "\"action\":\"flood\",\"severity\":8",
        "\"rule\":{\"id\":\"siphon.flood\",\"name\":\"SIP request flood\"}",
        "\"source\":{\"ip\":\"192.0.2.7\",\"port\":5060}",
        "\"destination\":{\"ip\":\"2001:db8::1\",\"port\":5080}",
        "\"network\":{\"protocol\":\"sip\"}",
        ("\"user\":{\"target\":{\"name\":\"a\\\"b|c=d\\\\e]f\\u000ag\\u000dh" FFFD
         "i\\u0085j\\u202ek\\u0009l\"}}"),
        ("\"incident_id\":42,\"phase\":\"open\",\"severity\":\"high\",\"count\":1234,"
         "\"evidence\":{\"ua\":\"x\\\"y=|]\"}}}"),
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (!strstr(b.data, want[i])) fprintf(stderr, "missing %s in %s\n", want[i], b.data);
        assert_non_null(strstr(b.data, want[i]));
    }
    /* a well-formed evidence spread over lines still gives one ECS line */
    a.evidence_json = "{\r\n \"a\": [1,\n2]\n}";
    buf_reset(&b);
    alert__fmt_ecs(&b, &a, "probe-1");
    assert_true(alert__json_object_valid(b.data, b.len));
    assert_null(memchr(b.data, '\n', b.len));
    assert_null(memchr(b.data, '\r', b.len));
    buf_putc(&b, '\0');
    assert_non_null(strstr(b.data, "\"evidence\":{   \"a\": [1, 2] }}}"));
    a = hostile_alert();
    alert_sink_spec_t sp;
    alert__sink_env_t env =
        env_of(&sp, "hec+https://splunk:8088?index=voip&sourcetype=siphon:alert");
    env.encode = contract;
    buf_reset(&b);
    alert__fmt_hec(&b, &a, &env);
    buf_putc(&b, '\0');
    assert_string_equal(b.data,
                        "{\"time\":1765000002.500,\"host\":\"probe-1\",\"source\":\"siphon\","
                        "\"sourcetype\":\"siphon:alert\",\"index\":\"voip\",\"event\":"
                        "{\"type\":\"alert\",\"incident_id\":42}}");
    buf_free(&b);
}

static void test_hmac(void **state)
{
    (void)state;
    char hex[65];
    const char *body = "{\"a\":1}";
    alert__hmac_hex("k3y", 3, "1700000000", body, strlen(body), hex);
    /* python3: hmac.new(b'k3y', b'1700000000.{"a":1}', hashlib.sha256).hexdigest() */
    assert_string_equal(hex, "fd5a70e965043f7df6309c2c3b5ff5a8ffa99b1f5175e9a311459e73c4634d4a");
}

static void test_json_check(void **state)
{
    (void)state;
    const char *good[] = {"{}", " {\"a\":[1,-2.5e3,true,false,null,{\"b\":\"\\u00e9\\n\"}]} ",
                          "{\"x\":{\"y\":{}}}"};
    const char *bad[] = {"",
                         "[]",
                         "{",
                         "{\"a\":}",
                         "{\"a\":1,}",
                         "{\"a\" 1}",
                         "{} {}",
                         "{\"a\":01}",
                         "{\"a\":\"\x01\"}",
                         "{\"a\":\"\\x\"}",
                         "{\"a\":tru}",
                         "{\"a\":\"unterminated}"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(alert__json_object_valid(good[i], strlen(good[i])));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(alert__json_object_valid(bad[i], strlen(bad[i])));
    char deep[80];
    memset(deep, '[', sizeof deep);
    memcpy(deep, "{\"a\":", 5);
    assert_false(alert__json_object_valid(deep, sizeof deep));
    /* a broken evidence is replaced in the copy, a long one summarised */
    alert_t a = {.evidence_json = "{\"a\":", .summary = "s"};
    alert__rec_t *r = alert__rec_copy(&a);
    assert_string_equal(r->a.evidence_json, "{\"invalid_evidence\":true}");
    assert_string_equal(r->a.target_user, "");
    free(r);
    static char big[ALERT__EVIDENCE_MAX + 100];
    memset(big, ' ', sizeof big - 1);
    big[0] = '{', big[sizeof big - 2] = '}';
    a.evidence_json = big;
    r = alert__rec_copy(&a);
    assert_string_equal(r->a.evidence_json, "{\"truncated\":true,\"bytes\":6243}");
    free(r);
}

static void test_sink_url(void **state)
{
    (void)state;
    alert_sink_spec_t s;
    char err[256];
    assert_int_equal(
        alert_sink_parse("syslog+udp://127.0.0.1:5514?format=rfc5424", &s, err, sizeof err), 0);
    assert_int_equal(s.kind, ALERT_SINK_SYSLOG_UDP);
    assert_string_equal(s.host, "127.0.0.1");
    assert_int_equal(s.port, 5514);
    assert_string_equal(s.name, "syslog+udp://127.0.0.1:5514");
    assert_int_equal(alert_sink_parse("syslog+tls://[::1]?format=leef&delimiter=x5e&ca=/etc/ca.pem",
                                      &s, err, sizeof err),
                     0);
    assert_int_equal(s.port, 6514);
    assert_string_equal(s.host, "::1");
    assert_int_equal(s.leef_delim, '^');
    assert_string_equal(s.ca, "/etc/ca.pem");
    assert_string_equal(s.name, "syslog+tls://[::1]:6514");
    assert_int_equal(alert_sink_parse("syslog+tcp://logs/", &s, err, sizeof err), 0);
    assert_int_equal(s.port, 514);
    assert_int_equal(alert_sink_parse("ecs:/var/log/siphon/alerts.json", &s, err, sizeof err), 0);
    assert_string_equal(s.path, "/var/log/siphon/alerts.json");
    assert_int_equal(
        alert_sink_parse("webhook+https://hooks.example/siem/in?secret_file=/k&queue=9", &s, err,
                         sizeof err),
        0);
    assert_string_equal(s.path, "/siem/in");
    assert_string_equal(s.secret_file, "/k");
    assert_int_equal(s.queue, 9);
    assert_int_equal(s.port, 443);
    assert_int_equal(alert_sink_parse("hec+https://splunk:8088", &s, err, sizeof err), 0);
    assert_string_equal(s.path, "/services/collector/event");
    assert_int_equal(alert_sink_parse("hec+https://splunk/services/collector", &s, err, sizeof err),
                     0);
    assert_string_equal(s.path, "/services/collector");

    static const struct {
        const char *url, *why;
    } bad[] = {
        {"syslog://h", "unknown scheme 'syslog'"},
        {"h:514", "unknown scheme"},
        {"localhost", "no scheme"},
        {"syslog+udp:h", "expected //"},
        {"syslog+udp://", "no host"},
        {"syslog+udp://h:0", "port"},
        {"syslog+udp://h:65536", "port"},
        {"syslog+udp://h:x", "port"},
        {"syslog+udp://h/path", "no path"},
        {"syslog+udp://h?format=json", "expected rfc5424, cef or leef"},
        {"syslog+udp://h?format=cef&format=leef", "given twice"},
        {"syslog+udp://h?delimiter=x09", "delimiter is for format=leef"},
        {"syslog+udp://h?format=leef&delimiter==", "delimiter"},
        {"syslog+udp://h?format=leef&delimiter=x0a", "delimiter"},
        {"syslog+udp://h?facility=24", "0..23"},
        {"syslog+udp://h?ca=/x", "for TLS and HTTPS"},
        {"syslog+udp://h?colour=red", "unknown parameter 'colour'"},
        {"syslog+udp://h?format", "no value"},
        {"syslog+udp://h?queue=0", "1..1048576"},
        {"syslog+udp://h\"x", "unexpected character"},
        {"syslog+udp://[::1", "unclosed"},
        {"syslog+udp://[fe80::1%eth0]", "IPv6"},
        {"ecs:relative.json", "absolute"},
        {"ecs:/var/log/", "directory"},
        {"webhook+https://h/a|b", "bad character in the path"},
        {"webhook+https://h?token_file=/t", "for hec sinks"},
        {"hec+https://h?index=a;b", "letters"},
        {"syslog+udp://h x", "space"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = alert_sink_parse(bad[i].url, &s, err, sizeof err);
        if (rc == 0 || !strstr(err, bad[i].why))
            fprintf(stderr, "%s: rc %d, '%s' (want '%s')\n", bad[i].url, rc, err, bad[i].why);
        assert_int_equal(rc, -1);
        assert_non_null(strstr(err, bad[i].why));
    }
    char long_url[1100] = "ecs:/";
    memset(long_url + 5, 'a', sizeof long_url - 6);
    long_url[sizeof long_url - 1] = '\0';
    assert_int_equal(alert_sink_parse(long_url, &s, err, sizeof err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escaping),     cmocka_unit_test(test_rfc5424),
        cmocka_unit_test(test_cef),          cmocka_unit_test(test_leef),
        cmocka_unit_test(test_json_formats), cmocka_unit_test(test_hmac),
        cmocka_unit_test(test_json_check),   cmocka_unit_test(test_sink_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
