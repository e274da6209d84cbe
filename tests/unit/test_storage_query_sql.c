/* test_storage_query_sql.c - the SQL of `siphon calls` (storage/query.c
 * st_calls_sql) without a database: every filter becomes its indexable
 * predicate with a numbered parameter, values (quotes, LIKE wildcards,
 * UTF-8) never appear in the SQL text, LIKE's own wildcards are escaped,
 * a suffix is reversed by characters, and the newest calls are taken. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "storage.h"

#include <stdio.h>
#include <string.h>

static void pattern(st_pattern_t *p, const char *s)
{
    char err[256];
    assert_int_equal(st_parse_pattern(s, p, err, sizeof err), 0);
}

/* The value of parameter $k (1-based) of q. */
static const char *param(const st_sql_t *q, int k)
{
    assert_true(k >= 1 && k <= q->n);
    return q->values[k - 1];
}

static void test_no_filter(void **state)
{
    st_calls_filter_t f = {0};
    st_sql_t q;
    assert_int_equal(st_calls_sql(&f, &q), 0);
    assert_int_equal(q.n, 0);
    assert_non_null(strstr(q.sql.data, "FROM calls WHERE true ORDER BY start_ts DESC"));
    assert_null(strstr(q.sql.data, "LIMIT"));
    st_sql_free(&q);
    f.limit = 25;
    assert_int_equal(st_calls_sql(&f, &q), 0);
    assert_int_equal(q.n, 1);
    assert_non_null(strstr(q.sql.data, "LIMIT $1::bigint"));
    assert_string_equal(param(&q, 1), "25");
    st_sql_free(&q);
}

static void test_every_filter(void **state)
{
    st_calls_filter_t f = {0};
    char err[256];
    f.has_since = f.has_until = true;
    f.since_ns = 1765000000LL * NS_PER_SEC;
    f.until_ns = f.since_ns + 3600 * NS_PER_SEC + 250 * NS_PER_MSEC;
    pattern(&f.caller, "1000*");
    pattern(&f.callee, "*555");
    pattern(&f.call_id, "abc@host");
    assert_int_equal(st_parse_ip("10.0.0.1", &f, err, sizeof err), 0);
    assert_int_equal(st_parse_state("rejected", &f, err, sizeof err), 0);
    assert_int_equal(st_parse_code("503", &f, err, sizeof err), 0);
    assert_int_equal(st_parse_mos("3.5", &f, err, sizeof err), 0);
    f.limit = 100;
    st_sql_t q;
    assert_int_equal(st_calls_sql(&f, &q), 0);
    const char *sql = q.sql.data;
    assert_non_null(strstr(sql, "start_ts >= $1::timestamptz"));
    assert_string_equal(param(&q, 1), "2025-12-06T05:46:40.000000Z");
    assert_non_null(strstr(sql, "start_ts < $2::timestamptz"));
    assert_string_equal(param(&q, 2), "2025-12-06T06:46:40.250000Z");
    assert_non_null(strstr(sql, "caller LIKE $3"));
    assert_string_equal(param(&q, 3), "1000%");
    assert_non_null(strstr(sql, "reverse(callee) LIKE $4"));
    assert_string_equal(param(&q, 4), "555%");
    assert_non_null(strstr(sql, "call_id = $5"));
    assert_string_equal(param(&q, 5), "abc@host");
    assert_non_null(strstr(sql, "(src_ip = $6::inet OR dst_ip = $6::inet)"));
    assert_string_equal(param(&q, 6), "10.0.0.1");
    assert_non_null(strstr(sql, "state = $7"));
    assert_string_equal(param(&q, 7), "rejected");
    assert_non_null(strstr(sql, "final_code = $8::smallint"));
    assert_string_equal(param(&q, 8), "503");
    assert_non_null(strstr(sql, "mos < $9::float8"));
    assert_string_equal(param(&q, 9), "3.5");
    assert_non_null(strstr(sql, "LIMIT $10::bigint"));
    assert_int_equal(q.n, 10);
    st_sql_free(&q);
}

static void test_values_stay_out(void **state)
{
    st_calls_filter_t f = {0};
    char err[256];
    pattern(&f.caller, "o'brien%_\\\\x*");    /* prefix o'brien%_\x */
    pattern(&f.callee, "*\xc3\xa9t\xc3\xa9"); /* suffix "été" */
    pattern(&f.call_id, "*'; drop table calls; --*");
    assert_int_equal(st_parse_ip("10.1.0.0/16", &f, err, sizeof err), 0);
    assert_int_equal(st_parse_code("4xx", &f, err, sizeof err), 0);
    st_sql_t q;
    assert_int_equal(st_calls_sql(&f, &q), 0);
    const char *sql = q.sql.data;
    assert_null(strstr(sql, "brien"));
    assert_null(strstr(sql, "drop table"));
    assert_null(strstr(sql, "10.1"));
    assert_string_equal(param(&q, 1), "o'brien\\%\\_\\\\x%"); /* LIKE's wildcards escaped */
    assert_string_equal(param(&q, 2), "\xc3\xa9t\xc3\xa9%");  /* reversed by characters */
    assert_non_null(strstr(sql, "call_id LIKE $3"));
    assert_string_equal(param(&q, 3), "%'; drop table calls; --%");
    assert_non_null(strstr(sql, "(src_ip <<= $4::inet OR dst_ip <<= $4::inet)"));
    assert_non_null(strstr(sql, "final_code BETWEEN $5::smallint AND $6::smallint"));
    assert_string_equal(param(&q, 5), "400");
    assert_string_equal(param(&q, 6), "499");
    st_sql_free(&q);

    memset(&f, 0, sizeof f);
    pattern(&f.callee, "*ab\xe2\x82\xac"); /* suffix "ab€": "€ba" reversed */
    pattern(&f.caller, "10*55");
    assert_int_equal(st_calls_sql(&f, &q), 0);
    assert_string_equal(param(&q, 1), "10%55");
    assert_string_equal(param(&q, 2), "\xe2\x82\xac"
                                      "ba%");
    st_sql_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_filter),
        cmocka_unit_test(test_every_filter),
        cmocka_unit_test(test_values_stay_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
