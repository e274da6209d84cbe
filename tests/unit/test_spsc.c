/* test_spsc.c - the SPSC ring (core/spsc.c): records come out in order and
 * intact across wrap-around and padding, a full ring refuses records
 * instead of overwriting, and a producer and a consumer thread moving a
 * million records of random sizes agree on every byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>

#include "core.h"

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed * 31 + i * 7);
}

static bool check(const uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (uint8_t)(seed * 31 + i * 7)) return false;
    return true;
}

static void test_order_and_wrap(void **state)
{
    (void)state;
    spsc_t q;
    assert_true(spsc_init(&q, 4096));
    assert_int_equal(q.cap, 4096);
    uint8_t buf[600];
    uint32_t next_in = 0, next_out = 0;
    /* many laps of the buffer with sizes that never divide it evenly */
    for (int round = 0; round < 2000; round++) {
        size_t len = (size_t)(round * 37 % 600);
        fill(buf, len, next_in);
        if (!spsc_push(&q, next_in % 7 + 1, buf, len)) {
            /* full: drain everything, then it must fit */
            uint32_t type;
            size_t n;
            const uint8_t *rec;
            while ((rec = spsc_peek(&q, &type, &n)) != NULL) {
                assert_int_equal(type, next_out % 7 + 1);
                assert_int_equal(n, (size_t)(next_out * 37 % 600));
                assert_true(check(rec, n, next_out));
                spsc_next(&q);
                next_out++;
            }
            spsc_release(&q);
            assert_true(spsc_empty(&q));
            assert_true(spsc_push(&q, next_in % 7 + 1, buf, len));
        }
        next_in++;
    }
    spsc_free(&q);
}

static void test_full_refuses(void **state)
{
    (void)state;
    spsc_t q;
    assert_true(spsc_init(&q, 4096));
    uint8_t buf[256] = {0};
    int pushed = 0;
    while (spsc_push(&q, 1, buf, sizeof buf))
        pushed++;
    /* 4096 / (256 + 8) = 15 records fit, not one more */
    assert_int_equal(pushed, 4096 / (256 + 8));
    assert_null(spsc_reserve(&q, 1, sizeof buf));
    /* consuming one without release frees nothing; releasing does */
    uint32_t type;
    size_t n;
    assert_non_null(spsc_peek(&q, &type, &n));
    spsc_next(&q);
    assert_false(spsc_push(&q, 1, buf, sizeof buf));
    spsc_release(&q);
    assert_true(spsc_push(&q, 1, buf, sizeof buf));
    /* a record larger than half the ring never fits */
    assert_true(spsc_max_record(&q) < 4096 / 2);
    spsc_free(&q);
}

#define STRESS_N 1000000u

typedef struct {
    spsc_t q;
    uint64_t bad;
} stress_t;

static void *consumer(void *arg)
{
    stress_t *s = arg;
    uint32_t expect = 0;
    while (expect < STRESS_N) {
        uint32_t type;
        size_t n;
        const uint8_t *rec;
        int got = 0;
        while (got < 64 && (rec = spsc_peek(&s->q, &type, &n)) != NULL) {
            uint32_t seq;
            memcpy(&seq, rec, sizeof seq);
            if (seq != expect || type != (seq & 0xff) + 1 || n != 4 + seq % 300 ||
                !check(rec + 4, n - 4, seq))
                s->bad++;
            spsc_next(&s->q);
            expect++;
            got++;
        }
        if (got) spsc_release(&s->q);
    }
    return NULL;
}

static void test_two_threads(void **state)
{
    (void)state;
    stress_t s = {0};
    assert_true(spsc_init(&s.q, 1 << 16));
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, consumer, &s), 0);
    for (uint32_t seq = 0; seq < STRESS_N; seq++) {
        size_t n = 4 + seq % 300;
        uint8_t *p;
        while ((p = spsc_reserve(&s.q, (seq & 0xff) + 1, n)) == NULL)
            ;
        memcpy(p, &seq, 4);
        fill(p + 4, n - 4, seq);
        spsc_commit(&s.q);
    }
    pthread_join(t, NULL);
    assert_int_equal(s.bad, 0);
    assert_true(spsc_empty(&s.q));
    spsc_free(&s.q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_wrap),
        cmocka_unit_test(test_full_refuses),
        cmocka_unit_test(test_two_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
