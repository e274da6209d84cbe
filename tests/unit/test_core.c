/* test_core.c - unit tests of core/: string views, addresses, hashing,
 * timestamps and the JSON writer (escaping of hostile bytes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "core.h"

static void test_sv_basics(void **state)
{
    (void)state;
    assert_true(sv_eq(SV_LIT("abc"), sv_from_cstr("abc")));
    assert_false(sv_eq(SV_LIT("abc"), SV_LIT("abd")));
    assert_true(sv_ieq(SV_LIT("Call-ID"), SV_LIT("call-id")));
    assert_true(sv_istarts_with(SV_LIT("SIP/2.0 200 OK"), "sip/2.0"));
    assert_false(sv_istarts_with(SV_LIT("SI"), "SIP"));
    sv_t t = sv_trim(SV_LIT(" \t value\r\n"));
    assert_true(sv_eq(t, SV_LIT("value")));
    assert_int_equal(sv_index_of(SV_LIT("a;b"), ';'), 1);
    assert_int_equal(sv_index_of(SV_LIT("ab"), ';'), -1);
    assert_int_equal(sv_ifind(SV_LIT("xxBoundaryyy"), SV_LIT("BOUNDARY")), 2);
    assert_int_equal(sv_ifind(SV_LIT("ab"), SV_LIT("abc")), -1);
    char buf[4];
    assert_int_equal(sv_copy_cstr(SV_LIT("hello"), buf, sizeof buf), 3);
    assert_string_equal(buf, "hel");
}

static void test_sv_to_u64(void **state)
{
    (void)state;
    uint64_t v;
    assert_true(sv_to_u64(SV_LIT(" 1234 "), UINT32_MAX, &v));
    assert_int_equal(v, 1234);
    assert_false(sv_to_u64(SV_LIT("4294967296"), UINT32_MAX, &v)); /* 2^32 */
    assert_true(sv_to_u64(SV_LIT("4294967295"), UINT32_MAX, &v));
    assert_false(sv_to_u64(SV_LIT("12a"), UINT32_MAX, &v));
    assert_false(sv_to_u64(SV_LIT(""), UINT32_MAX, &v));
    assert_false(sv_to_u64(SV_LIT("-1"), UINT32_MAX, &v));
    assert_false(sv_to_u64(SV_LIT("99999999999999999999999"), UINT64_MAX, &v));
}

static void test_ip_addr(void **state)
{
    (void)state;
    ip_addr_t a, b;
    char text[IP_STR_MAX];
    assert_true(ip_addr_parse(SV_LIT("192.0.2.10"), &a));
    assert_int_equal(a.family, IP_V4);
    ip_addr_format(&a, text, sizeof text);
    assert_string_equal(text, "192.0.2.10");
    assert_true(ip_addr_parse(SV_LIT("[2001:DB8::1]"), &b));
    assert_int_equal(b.family, IP_V6);
    ip_addr_format(&b, text, sizeof text);
    assert_string_equal(text, "2001:db8::1");
    assert_false(ip_addr_eq(&a, &b));
    assert_false(ip_addr_parse(SV_LIT("example.com"), &a));
    assert_false(
        ip_addr_parse(SV_LIT("127.0.0.1111111111111111111111111111111111111111111111111"), &a));
    assert_false(ip_addr_parse(SV_LIT("1.2.3.256"), &a));
    endpoint_t e1 = {.port = 5060}, e2 = {.port = 5060};
    ip_addr_parse(SV_LIT("10.0.0.1"), &e1.ip);
    ip_addr_parse(SV_LIT("10.0.0.1"), &e2.ip);
    assert_true(endpoint_eq(&e1, &e2));
    assert_true(endpoint_hash(&e1) == endpoint_hash(&e2));
    e2.port = 5061;
    assert_false(endpoint_eq(&e1, &e2));
    assert_true(endpoint_hash(&e1) != endpoint_hash(&e2));
}

static void test_hash_spreads(void **state)
{
    (void)state;
    /* 4096 sequential keys into 256 buckets: no bucket should be wildly
     * overfull (expected 16 per bucket). */
    int buckets[256] = {0};
    for (uint32_t i = 0; i < 4096; i++)
        buckets[hash_bytes(&i, sizeof i, 1) & 255]++;
    for (int i = 0; i < 256; i++)
        assert_true(buckets[i] < 48);
    assert_true(hash_bytes("abc", 3, 1) != hash_bytes("abc", 3, 2));
}

static void test_ts_format(void **state)
{
    (void)state;
    char t[40];
    ts_format_rfc3339(1466063242LL * NS_PER_SEC + 123456789LL, t, sizeof t);
    assert_string_equal(t, "2016-06-16T07:47:22.123456Z");
    ts_format_rfc3339(0, t, sizeof t);
    assert_string_equal(t, "1970-01-01T00:00:00.000000Z");
}

static void test_json_escaping(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b);
    json_writer_t w;
    json_init(&w, &b);
    json_obj_begin(&w);
    json_key(&w, "s"), json_str(&w, SV_LIT("a\"b\\c\n\x01"));
    json_key(&w, "bad"), json_str(&w, sv_make("\xff\xc3(\xe2\x82\xac", 6));
    json_key(&w, "n"), json_null(&w);
    json_key(&w, "arr");
    json_arr_begin(&w);
    json_int(&w, -5), json_uint(&w, 7), json_double(&w, 1.23456, 2), json_bool(&w, true);
    json_arr_end(&w);
    json_key(&w, "nan"), json_double(&w, 0.0 / 0.0, 2);
    json_obj_end(&w);
    assert_string_equal(b.data, "{\"s\":\"a\\\"b\\\\c\\u000a\\u0001\","
                                "\"bad\":\"\xef\xbf\xbd\xef\xbf\xbd(\xe2\x82\xac\","
                                "\"n\":null,\"arr\":[-5,7,1.23,true],\"nan\":null}");
    buf_free(&b);
}

/* json_double writes "%.*f" itself when it can prove the text equal:
 * compared with snprintf on values of every kind (exact ties such as
 * 0.125 and 2.5, values one ulp either side, negative zero, tiny and huge
 * magnitudes, random doubles, millisecond-like figures), 0..9 decimals,
 * and a key that needs escaping still gets it. */
static void test_json_double_like_printf(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b);
    json_writer_t w;
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    const double fixed[] = {0.0,      -0.0,   0.125,  2.5,    1.0005,  0.0005,
                            1e-300,   -1e-12, 1e15,   4.5e15, 9.9e15,  1e300,
                            123.4565, 0.045,  -0.045, 99.995, 0.99995, 12345.6785};
    char want[512];
    unsigned long checked = 0;
    for (int i = 0; i < 2000000; i++) {
        double v;
        if (i < (int)(sizeof fixed / sizeof *fixed) * 3) {
            v = fixed[i / 3];
            if (i % 3 == 1) v = nextafter(v, INFINITY);
            if (i % 3 == 2) v = nextafter(v, -INFINITY);
        } else {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            switch (i % 4) {
            case 0: /* any bit pattern */
                memcpy(&v, &x, sizeof v);
                if (!isfinite(v)) continue;
                break;
            case 1: /* ms figures, and halves of the last decimal */
                v = (double)(x % 100000000) / 1000.0;
                break;
            case 2:
                v = ((double)(x % 2000001) - 1000000.0) / 2000.0;
                break;
            default:
                v = (double)(int64_t)(x >> 11) * 1e-9;
                break;
            }
        }
        int dec = (int)(x >> 60) % 10;
        buf_reset(&b);
        json_init(&w, &b);
        json_double(&w, v, dec);
        snprintf(want, sizeof want, "%.*f", dec, v);
        if (strcmp(b.data, want) != 0)
            fail_msg("%.17g with %d decimals: %s, want %s", v, dec, b.data, want);
        checked++;
    }
    assert_true(checked > 1500000);
    buf_reset(&b);
    json_init(&w, &b);
    json_obj_begin(&w);
    json_key(&w, "a\"b"), json_uint(&w, 1);
    json_obj_end(&w);
    assert_string_equal(b.data, "{\"a\\\"b\":1}");
    buf_free(&b);
}

static const char *inert(const char *s, size_t len, size_t *cols)
{
    static buf_t b;
    buf_reset(&b);
    size_t c = text_inert(&b, s, len);
    if (cols) *cols = c;
    buf_putc(&b, '\0');
    return b.data;
}

/* Wire text shown to a person can never drive the terminal. */
static void test_text_inert(void **state)
{
    (void)state;
    size_t cols;
    assert_string_equal(inert("alice", 5, &cols), "alice");
    assert_int_equal(cols, 5);
    /* CSI clear screen, OSC title with BEL, OSC 8 hyperlink with ST */
    assert_string_equal(inert("\x1b[2Jx", 5, NULL), "\\x1b[2Jx");
    assert_string_equal(inert("\x1b]0;pwned\x07", 10, NULL), "\\x1b]0;pwned\\x07");
    assert_string_equal(inert("a\r\nb\t\x7f", 6, NULL), "a\\x0d\\x0ab\\x09\\x7f");
    /* C1 CSI as a UTF-8 code point (U+009B) and as a raw byte */
    assert_string_equal(inert("\xc2\x9b"
                              "2J",
                              4, NULL),
                        "\\xc2\\x9b2J");
    assert_string_equal(inert("\x9b"
                              "2J",
                              3, NULL),
                        "\\x9b2J");
    /* bidi override (Trojan Source), zero-width space */
    assert_string_equal(inert("a\xe2\x80\xae"
                              "b",
                              5, NULL),
                        "a\\xe2\\x80\\xaeb");
    assert_string_equal(inert("\xe2\x80\x8b", 3, NULL), "\\xe2\\x80\\x8b");
    /* well-formed UTF-8 passes, one column per code point */
    assert_string_equal(inert("J\xc3\xbcrgen \xe6\x9d\x8e", 11, &cols),
                        "J\xc3\xbcrgen \xe6\x9d\x8e");
    assert_int_equal(cols, 8);
    /* ill-formed: overlong, surrogate, truncated, above U+10FFFF */
    assert_string_equal(inert("\xc0\xaf", 2, NULL), "\\xc0\\xaf");
    assert_string_equal(inert("\xed\xa0\x80", 3, NULL), "\\xed\\xa0\\x80");
    assert_string_equal(inert("x\xe6\x9d", 3, NULL), "x\\xe6\\x9d");
    assert_string_equal(inert("\xf4\x90\x80\x80", 4, NULL), "\\xf4\\x90\\x80\\x80");
    /* a backslash is escaped, so an escape shown is never ambiguous; NUL too */
    assert_string_equal(inert("a\\x1b", 5, NULL), "a\\\\x1b");
    assert_string_equal(inert("a\0b", 3, NULL), "a\\x00b");
    /* every output byte is printable ASCII or part of a passed sequence:
     * no byte below 0x20 and no ESC ever, whatever the input */
    uint64_t seed = 88172645463325252ULL;
    char in[64];
    for (int round = 0; round < 20000; round++) {
        for (size_t i = 0; i < sizeof in; i++) {
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            in[i] = (char)(seed & 0xff);
        }
        const char *o = inert(in, sizeof in, NULL);
        for (const char *q = o; *q; q++)
            assert_true((uint8_t)*q >= 0x20 && *q != 0x7f);
    }
}

/* A log line quoting wire text stays one inert line. */
static void test_log_inert(void **state)
{
    (void)state;
    char path[] = "/tmp/siphon_test_log_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char err[128];
    assert_int_equal(log_open(path, err, sizeof err), 0);
    log_error("bad User-Agent '%s'", "x\x1b[2J\nsiphon: error: forged");
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[512];
    int lines = 0;
    while (fgets(line, sizeof line, f)) {
        lines++;
        assert_string_equal(
            line, "siphon: error: bad User-Agent 'x\\x1b[2J\\x0asiphon: error: forged'\n");
    }
    fclose(f);
    unlink(path);
    assert_int_equal(lines, 1);
}

static void test_text_cell(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b);
    text_cell(&b, "bob", 6, true);
    text_cell(&b, "1.5", 5, false);
    buf_putc(&b, '\0');
    assert_string_equal(b.data, "bob     1.5");
    buf_reset(&b);
    text_cell(&b, "a-very-long-caller-name", 8, true);
    buf_putc(&b, '\0');
    assert_string_equal(b.data, "a-very-~");
    buf_reset(&b);
    /* an escape is never cut in half; width counts columns, not bytes */
    text_cell(&b, "ab\x1b[2J", 6, true);
    buf_putc(&b, '\0');
    assert_string_equal(b.data, "ab~   ");
    buf_reset(&b);
    text_cell(&b, "\xc3\xbc\xc3\xbc\xc3\xbc", 4, true);
    buf_putc(&b, '\0');
    assert_string_equal(b.data, "\xc3\xbc\xc3\xbc\xc3\xbc ");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_inert),    cmocka_unit_test(test_text_cell),
        cmocka_unit_test(test_log_inert),     cmocka_unit_test(test_sv_basics),
        cmocka_unit_test(test_sv_to_u64),     cmocka_unit_test(test_ip_addr),
        cmocka_unit_test(test_hash_spreads),  cmocka_unit_test(test_ts_format),
        cmocka_unit_test(test_json_escaping), cmocka_unit_test(test_json_double_like_printf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
