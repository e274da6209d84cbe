/* test_storage_query_args.c - the words of `siphon calls`
 * (storage/query_args.c): durations back from now and RFC 3339 times
 * (offsets, fractions, dates alone, leap days, refusals), '*' patterns and
 * their escapes, states, codes and classes, addresses and networks, MOS
 * thresholds; every refusal says what was expected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "storage.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define NOW (1765000000LL * NS_PER_SEC) /* 2025-12-06T05:46:40Z */

static int64_t when(const char *s)
{
    int64_t v = -1;
    char err[256] = "";
    assert_int_equal(st_parse_when(s, NOW, &v, err, sizeof err), 0);
    assert_string_equal(err, "");
    return v;
}

static void refused_when(const char *s)
{
    int64_t v = 12345;
    char err[256] = "";
    assert_int_equal(st_parse_when(s, NOW, &v, err, sizeof err), -1);
    assert_int_equal(v, 12345);
    assert_non_null(strstr(err, "RFC 3339"));
}

/* The same instant from the C library (UTC). */
static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = s};
    return (int64_t)timegm(&tm) * NS_PER_SEC;
}

static void test_durations(void **state)
{
    assert_int_equal(when("90s"), NOW - 90 * NS_PER_SEC);
    assert_int_equal(when("15m"), NOW - 900 * NS_PER_SEC);
    assert_int_equal(when("1h"), NOW - 3600 * NS_PER_SEC);
    assert_int_equal(when("1h30m"), NOW - 5400 * NS_PER_SEC);
    assert_int_equal(when("2d"), NOW - 2 * 86400 * NS_PER_SEC);
    assert_int_equal(when("1w"), NOW - 7 * 86400 * NS_PER_SEC);
    assert_int_equal(when("250ms"), NOW - 250 * NS_PER_MSEC);
    assert_int_equal(when("0s"), NOW);
    assert_int_equal(when("now"), NOW);
    assert_int_equal(when("10000w"), 0); /* before 1970: the start of time */
    refused_when("");
    refused_when("1"); /* a unit is needed */
    refused_when("1x");
    refused_when("h");
    refused_when("-1h");
    refused_when("1h ");
    refused_when("99999999999999999999s");
}

static void test_rfc3339(void **state)
{
    assert_int_equal(when("2026-12-07T13:00:00Z"), utc(2026, 12, 7, 13, 0, 0));
    assert_int_equal(when("2026-12-07t13:00:00z"), utc(2026, 12, 7, 13, 0, 0));
    assert_int_equal(when("2026-12-07 13:00:00Z"), utc(2026, 12, 7, 13, 0, 0));
    assert_int_equal(when("2026-12-07T13:00Z"), utc(2026, 12, 7, 13, 0, 0));
    assert_int_equal(when("2026-12-07T13:00:00"), utc(2026, 12, 7, 13, 0, 0)); /* UTC */
    assert_int_equal(when("2026-12-07"), utc(2026, 12, 7, 0, 0, 0));
    assert_int_equal(when("2026-12-07T13:00:00+01:30"), utc(2026, 12, 7, 11, 30, 0));
    assert_int_equal(when("2026-12-07T13:00:00-05:00"), utc(2026, 12, 7, 18, 0, 0));
    assert_int_equal(when("2026-12-07T13:00:00.25Z"),
                     utc(2026, 12, 7, 13, 0, 0) + 250 * NS_PER_MSEC);
    assert_int_equal(when("2026-12-07T13:00:00.123456789123Z"),
                     utc(2026, 12, 7, 13, 0, 0) + 123456789);
    assert_int_equal(when("2024-02-29T00:00:00Z"), utc(2024, 2, 29, 0, 0, 0));
    assert_int_equal(when("2000-02-29"), utc(2000, 2, 29, 0, 0, 0));
    assert_int_equal(when("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(when("2105-12-31"), utc(2105, 12, 31, 0, 0, 0));
    refused_when("2025-02-29");
    refused_when("1900-02-29");
    refused_when("2026-13-01");
    refused_when("2026-00-01");
    refused_when("2026-12-32");
    refused_when("2026-12-07T24:00:00Z");
    refused_when("2026-12-07T13:60:00Z");
    refused_when("2026-12-07T13:00:00.Z");
    refused_when("2026-12-07T13:00:00+1:00");
    refused_when("2026-12-07T13:00:00Zjunk");
    refused_when("1969-12-31T23:59:59Z");
    refused_when("9999-12-31");
    refused_when("26-12-07");
}

static st_pattern_t pat(const char *s)
{
    st_pattern_t p;
    char err[256] = "";
    assert_int_equal(st_parse_pattern(s, &p, err, sizeof err), 0);
    return p;
}

static void test_patterns(void **state)
{
    st_pattern_t p = pat("1000");
    assert_int_equal(p.kind, ST_PAT_EXACT);
    assert_string_equal(p.text, "1000");
    p = pat("1000*");
    assert_int_equal(p.kind, ST_PAT_PREFIX);
    assert_string_equal(p.text, "1000");
    p = pat("*555");
    assert_int_equal(p.kind, ST_PAT_SUFFIX);
    assert_string_equal(p.text, "555");
    p = pat("*55*");
    assert_int_equal(p.kind, ST_PAT_CONTAINS);
    assert_string_equal(p.text, "55");
    p = pat("10*55");
    assert_int_equal(p.kind, ST_PAT_PREFIX_SUFFIX);
    assert_string_equal(p.text, "10");
    assert_string_equal(p.suffix, "55");
    p = pat("10**55");
    assert_int_equal(p.kind, ST_PAT_PREFIX_SUFFIX);
    p = pat("1000**");
    assert_int_equal(p.kind, ST_PAT_PREFIX);
    assert_string_equal(p.text, "1000");
    assert_int_equal(pat("*").kind, ST_PAT_ANY);
    assert_int_equal(pat("**").kind, ST_PAT_ANY);
    /* escapes: a literal star (feature codes such as *69), a backslash */
    p = pat("\\*69");
    assert_int_equal(p.kind, ST_PAT_EXACT);
    assert_string_equal(p.text, "*69");
    p = pat("\\*69*");
    assert_int_equal(p.kind, ST_PAT_PREFIX);
    assert_string_equal(p.text, "*69");
    p = pat("a\\**b"); /* a literal star, then a wildcard in the middle */
    assert_int_equal(p.kind, ST_PAT_PREFIX_SUFFIX);
    assert_string_equal(p.text, "a*");
    assert_string_equal(p.suffix, "b");
    p = pat("a\\\\b");
    assert_string_equal(p.text, "a\\b");
    p = pat("a\\b"); /* a backslash before anything else is itself */
    assert_string_equal(p.text, "a\\b");
    p = pat("50%_x'"); /* SQL's own wildcards and quotes are plain text here */
    assert_int_equal(p.kind, ST_PAT_EXACT);
    assert_string_equal(p.text, "50%_x'");

    char err[256];
    st_pattern_t q;
    assert_int_equal(st_parse_pattern("", &q, err, sizeof err), -1);
    assert_int_equal(st_parse_pattern("a*b*c", &q, err, sizeof err), -1);
    assert_non_null(strstr(err, "once in the middle"));
    assert_int_equal(st_parse_pattern("*a*b", &q, err, sizeof err), -1);
    assert_int_equal(st_parse_pattern("a*b*", &q, err, sizeof err), -1);
    char big[ST_PATTERN_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(st_parse_pattern(big, &q, err, sizeof err), -1);
    big[ST_PATTERN_MAX] = '\0';
    assert_int_equal(st_parse_pattern(big, &q, err, sizeof err), 0);
}

static void test_state_code_ip_mos(void **state)
{
    st_calls_filter_t f = {0};
    char err[256];
    assert_int_equal(st_parse_state("rejected", &f, err, sizeof err), 0);
    assert_int_equal(f.state, CORR_CALL_REJECTED + 1);
    assert_int_equal(st_parse_state("unanswered", &f, err, sizeof err), 0);
    assert_int_equal(f.state, CORR_CALL_UNANSWERED + 1);
    assert_int_equal(st_parse_state("failed", &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "answered, rejected"));

    assert_int_equal(st_parse_code("503", &f, err, sizeof err), 0);
    assert_int_equal(f.code_lo, 503);
    assert_int_equal(f.code_hi, 503);
    assert_int_equal(st_parse_code("4xx", &f, err, sizeof err), 0);
    assert_int_equal(f.code_lo, 400);
    assert_int_equal(f.code_hi, 499);
    assert_int_equal(st_parse_code("6XX", &f, err, sizeof err), 0);
    assert_int_equal(f.code_lo, 600);
    assert_int_equal(st_parse_code("99", &f, err, sizeof err), -1);
    assert_int_equal(st_parse_code("700", &f, err, sizeof err), -1);
    assert_int_equal(st_parse_code("7xx", &f, err, sizeof err), -1);
    assert_int_equal(st_parse_code("5x", &f, err, sizeof err), -1);
    assert_int_equal(st_parse_code("-503", &f, err, sizeof err), -1);

    assert_int_equal(st_parse_ip("10.0.0.1", &f, err, sizeof err), 0);
    assert_true(f.has_ip);
    assert_string_equal(f.ip, "10.0.0.1");
    assert_int_equal(st_parse_ip("10.0.0.0/24", &f, err, sizeof err), 0);
    assert_string_equal(f.ip, "10.0.0.0/24");
    assert_int_equal(st_parse_ip("2001:DB8::1", &f, err, sizeof err), 0);
    assert_string_equal(f.ip, "2001:db8::1");
    assert_int_equal(st_parse_ip("2001:db8::/32", &f, err, sizeof err), 0);
    assert_int_equal(st_parse_ip("10.0.0.0/33", &f, err, sizeof err), -1);
    assert_int_equal(st_parse_ip("10.0.0.0/", &f, err, sizeof err), -1);
    assert_int_equal(st_parse_ip("host.example", &f, err, sizeof err), -1);
    assert_int_equal(st_parse_ip("10.0.0.1'; drop table calls; --", &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "not an IP address"));

    assert_int_equal(st_parse_mos("3.5", &f, err, sizeof err), 0);
    assert_true(f.has_mos_below);
    assert_true(f.mos_below == 3.5);
    assert_int_equal(st_parse_mos("5", &f, err, sizeof err), 0);
    assert_int_equal(st_parse_mos("1", &f, err, sizeof err), -1);
    assert_int_equal(st_parse_mos("5.1", &f, err, sizeof err), -1);
    assert_int_equal(st_parse_mos("nan", &f, err, sizeof err), -1);
    assert_int_equal(st_parse_mos("3.5x", &f, err, sizeof err), -1);
    assert_int_equal(st_parse_mos("", &f, err, sizeof err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_patterns),
        cmocka_unit_test(test_state_code_ip_mos),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
