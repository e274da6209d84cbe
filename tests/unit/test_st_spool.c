/* test_st_spool.c - storage's pieces that need no database: the spool
 * (storage/spool.c: records come back in order, a record not committed
 * comes back again, a torn tail and a checksum mismatch are skipped and
 * counted while the next segment is still replayed, spool_max refuses),
 * chunks (serialise and parse back, malformed payloads refused), COPY text
 * (escapes, U+FFFD for invalid UTF-8 and NUL, bytea hex) and stable ids
 * (same input, same UUIDv8 with version and variant bits). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "st_internal.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/test_st_spool.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void put(st__spool_t *s, const char *text)
{
    assert_int_equal(st__spool_append(s, text, strlen(text)), 0);
}

static void expect(st__spool_t *s, const char *text, uint64_t *corrupt)
{
    buf_t b;
    buf_init(&b);
    assert_int_equal(st__spool_peek(s, &b, corrupt), 1);
    assert_int_equal(b.len, strlen(text));
    assert_memory_equal(b.data, text, b.len);
    st__spool_commit(s);
    buf_free(&b);
}

static void test_order_and_retry(void **state)
{
    (void)state;
    char err[256];
    uint64_t corrupt = 0;
    st__spool_t *s = st__spool_open(dir, 1 << 20, ST_FSYNC_NEVER, err, sizeof err);
    assert_non_null(s);
    assert_true(st__spool_empty(s));
    put(s, "one"), put(s, "two"), put(s, "three");
    assert_false(st__spool_empty(s));
    buf_t b;
    buf_init(&b);
    assert_int_equal(st__spool_peek(s, &b, &corrupt), 1); /* not committed: again */
    expect(s, "one", &corrupt);
    expect(s, "two", &corrupt);
    put(s, "four"); /* appended while replaying */
    expect(s, "three", &corrupt);
    expect(s, "four", &corrupt);
    assert_int_equal(st__spool_peek(s, &b, &corrupt), 0);
    assert_true(st__spool_empty(s));
    assert_int_equal(st__spool_bytes(s), 0);
    assert_int_equal(corrupt, 0);
    buf_free(&b);
    st__spool_close(s);
}

static void test_reopen_torn_and_crc(void **state)
{
    (void)state;
    char err[256], path[400];
    uint64_t corrupt = 0;
    st__spool_t *s = st__spool_open(dir, 1 << 20, ST_FSYNC_ALWAYS, err, sizeof err);
    assert_non_null(s);
    put(s, "a1"), put(s, "a2"), put(s, "a3");
    st__spool_close(s);
    /* a crash mid-write: the last record loses its last byte */
    snprintf(path, sizeof path, "%s/spool-0000000000000001.seg", dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(truncate(path, st.st_size - 1), 0);
    /* the next run appends to a new segment, never after the torn tail */
    s = st__spool_open(dir, 1 << 20, ST_FSYNC_BATCH, err, sizeof err);
    assert_non_null(s);
    put(s, "b1"), put(s, "b2");
    st__spool_sync(s);
    st__spool_close(s);
    /* and a flipped byte in b1's payload */
    snprintf(path, sizeof path, "%s/spool-0000000000000002.seg", dir);
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "X", 1, 12), 1);
    close(fd);
    s = st__spool_open(dir, 1 << 20, ST_FSYNC_NEVER, err, sizeof err);
    expect(s, "a1", &corrupt);
    expect(s, "a2", &corrupt);
    /* a3 torn: skipped; segment 2 starts with the bad b1: the rest of it goes */
    buf_t b;
    buf_init(&b);
    assert_int_equal(st__spool_peek(s, &b, &corrupt), 0);
    assert_int_equal(corrupt, 2);
    assert_true(st__spool_empty(s));
    buf_free(&b);
    st__spool_close(s);
}

static void test_max(void **state)
{
    (void)state;
    char err[256], big[600];
    memset(big, 'x', sizeof big - 1), big[sizeof big - 1] = '\0';
    st__spool_t *s = st__spool_open(dir, 1024, ST_FSYNC_NEVER, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(st__spool_append(s, big, strlen(big)), 0);
    assert_int_equal(st__spool_append(s, big, strlen(big)), 1); /* refused */
    assert_int_equal(st__spool_bytes(s), 12 + strlen(big));
    uint64_t corrupt = 0;
    expect(s, big, &corrupt);
    st__spool_close(s);
}

static void test_chunk_roundtrip(void **state)
{
    (void)state;
    st__chunk_t c, d;
    st__chunk_init(&c), st__chunk_init(&d);
    buf_append(&c.rows[ST__CALLS], "a\tb\n", 4), c.n[ST__CALLS] = 1;
    buf_append(&c.rows[ST__MESSAGES], "m\n", 2), c.n[ST__MESSAGES] = 1;
    c.total = 2;
    assert_true(st__chunk_day(&c, 1709294400LL * NS_PER_SEC));
    assert_true(st__chunk_day(&c, -1)); /* 1969-12-31 */
    assert_int_equal(c.days[1], -1);
    buf_t b;
    buf_init(&b);
    st__chunk_serialize(&c, &b);
    assert_true(st__chunk_parse(&d, (const uint8_t *)b.data, b.len));
    assert_int_equal(d.total, 2);
    assert_int_equal(d.n_days, 2);
    assert_int_equal(d.days[0], 19783);
    assert_string_equal(d.rows[ST__CALLS].data, "a\tb\n");
    for (size_t cut = 0; cut < b.len; cut++) /* every truncation is refused */
        assert_false(st__chunk_parse(&d, (const uint8_t *)b.data, cut));
    b.data[0] = 42; /* no such table */
    assert_false(st__chunk_parse(&d, (const uint8_t *)b.data, b.len));
    buf_free(&b);
    st__chunk_free(&c), st__chunk_free(&d);
}

static void test_copy_text(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b);
    st__copy_text(&b, "a\\b\tc\nd\re\"f'", 12);
    assert_string_equal(b.data, "a\\\\b\\tc\\nd\\re\"f'");
    buf_reset(&b);
    st__copy_text(&b, "x\xff\xc0\xaf\xe2\x82\xac\0y", 9);
    assert_string_equal(b.data, "x\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xe2\x82\xac\xef\xbf\xbdy");
    buf_reset(&b);
    st__copy_bytea(&b, "\x00\xff\\", 3);
    assert_string_equal(b.data, "\\\\000\\\\377\\\\\\\\");
    buf_reset(&b);
    st__copy_ts(&b, 1709294400123456789LL);
    assert_string_equal(b.data, "2024-03-01 12:00:00.123456+00");
    buf_reset(&b);
    st__copy_double(&b, -1, 2, true);
    st__copy_double(&b, 4.371, 2, true);
    assert_string_equal(b.data, "\\N4.37");
    buf_free(&b);
}

/* Integers and timestamps are formatted by hand: the same text as printf
 * and strftime, across the extremes and when the second changes between
 * values (each thread keeps the last second's text). */
static void test_copy_int_ts(void **state)
{
    (void)state;
    int64_t ints[] = {0, 1, -1, 9, 10, -10, 65535, 1234567890123LL, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        buf_t b;
        buf_init(&b);
        st__copy_int(&b, ints[i]);
        char want[32];
        snprintf(want, sizeof want, "%lld", (long long)ints[i]);
        assert_int_equal(b.len, strlen(want));
        assert_memory_equal(b.data, want, b.len);
        buf_free(&b);
    }
    int64_t ts[] = {1000,
                    1709294400123456789LL,
                    1709294400999999999LL,
                    1709294401000000001LL,
                    1709294400000000000LL,
                    951782400000000000LL,
                    4102444799999999000LL,
                    INT64_MAX};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        buf_t b;
        buf_init(&b);
        st__copy_ts(&b, ts[i]);
        time_t sec = (time_t)(ts[i] / 1000000000LL);
        struct tm tm;
        gmtime_r(&sec, &tm);
        char day[32], want[64];
        strftime(day, sizeof day, "%Y-%m-%d %H:%M:%S", &tm);
        snprintf(want, sizeof want, "%s.%06lld+00", day, (long long)(ts[i] % 1000000000LL / 1000));
        assert_int_equal(b.len, strlen(want));
        assert_memory_equal(b.data, want, b.len);
        buf_free(&b);
    }
    buf_t b;
    buf_init(&b);
    st__copy_ts(&b, 0);
    assert_int_equal(b.len, 2);
    assert_memory_equal(b.data, "\\N", 2);
    buf_free(&b);
}

static void test_ids(void **state)
{
    (void)state;
    uint64_t key = 0x1234;
    st__uuid_t a = st__uuid("probe", "call", &key, sizeof key);
    st__uuid_t b = st__uuid("probe", "call", &key, sizeof key);
    st__uuid_t c = st__uuid("probe2", "call", &key, sizeof key);
    assert_memory_equal(a.b, b.b, 16);
    assert_memory_not_equal(a.b, c.b, 16);
    assert_int_equal(a.b[6] >> 4, 8); /* version 8 */
    assert_int_equal(a.b[8] >> 6, 2); /* variant 10 */
    assert_int_equal(st__id64("x", 1, 7), st__id64("x", 1, 7));
    assert_true(st__id64("x", 1, 7) != st__id64("y", 1, 7));
    /* a storage format: the values never change (SipHash-2-4, fixed keys) */
    buf_t s;
    buf_init(&s);
    st__copy_uuid(&s, &a);
    assert_int_equal(s.len, 36);
    assert_int_equal(s.data[14], '8');
    buf_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_order_and_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_torn_and_crc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max, setup, teardown),
        cmocka_unit_test(test_chunk_roundtrip),
        cmocka_unit_test(test_copy_text),
        cmocka_unit_test(test_copy_int_ts),
        cmocka_unit_test(test_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
