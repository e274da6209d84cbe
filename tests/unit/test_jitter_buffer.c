/* test_jitter_buffer.c - unit tests of quality/jitter_buffer.c: the fixed
 * buffer's deadline (played when relative transit <= delay), and the
 * adaptive buffer's bounds, slow shrink, fast growth and talkspurt step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "quality.h"

#define MS(x) ((int64_t)(x)*1000000)

static void test_fixed(void **st)
{
    (void)st;
    jbuf_t j;
    jbuf_bounds_t b = jbuf_bounds(MS(60), MS(60)); /* fixed */
    jbuf_init(&j, &b, MS(60));
    assert_true(jbuf_offer(&j, &b, 0, false));
    assert_true(jbuf_offer(&j, &b, MS(-30), false)); /* early: buffered */
    assert_true(jbuf_offer(&j, &b, MS(59), false));
    assert_true(jbuf_offer(&j, &b, MS(60), false)); /* exactly on the deadline */
    assert_false(jbuf_offer(&j, &b, MS(60) + 1, false));
    assert_false(jbuf_offer(&j, &b, MS(500), true)); /* talkspurt changes nothing */
    assert_int_equal(j.discards, 2);
    assert_int_equal(j.delay_ns, MS(60));
}

static void test_adaptive_bounds(void **st)
{
    (void)st;
    jbuf_t j;
    jbuf_bounds_t b = jbuf_bounds(MS(20), MS(200));
    jbuf_init(&j, &b, MS(60));
    assert_int_equal(j.delay_ns, MS(60));
    /* no jitter: shrinks slowly towards the lower bound, never below */
    for (int i = 0; i < 50; i++)
        jbuf_offer(&j, &b, 0, false);
    assert_true(j.delay_ns > MS(20) && j.delay_ns < MS(60));
    for (int i = 0; i < 2000; i++)
        jbuf_offer(&j, &b, 0, false);
    assert_true(j.delay_ns >= MS(20) && j.delay_ns < MS(21));
    assert_int_equal(j.discards, 0);
    /* spikes are discarded, and the buffer grows as soon as its target
     * (d + 4v) passes the current delay: one 100 ms spike moves the target
     * to 15 ms (below the bound), a second to ~29 ms */
    int64_t before = j.delay_ns;
    assert_false(jbuf_offer(&j, &b, MS(100), false));
    assert_int_equal(j.delay_ns, before);
    assert_false(jbuf_offer(&j, &b, MS(100), false));
    assert_true(j.delay_ns > MS(25));
    /* sustained large jitter: capped at the upper bound */
    for (int i = 0; i < 500; i++)
        jbuf_offer(&j, &b, (i & 1) ? MS(1000) : 0, false);
    assert_int_equal(j.delay_ns, MS(200));
    assert_int_equal(j.delay_max_ns, MS(200));
}

static void test_adaptive_covers_jitter(void **st)
{
    (void)st;
    /* uniform 0..80 ms relative transit: after learning, the adaptive
     * buffer discards far fewer packets than a fixed 40 ms one */
    jbuf_t a, f;
    jbuf_bounds_t ab = jbuf_bounds(MS(20), MS(200)), fb = jbuf_bounds(MS(40), MS(40));
    jbuf_init(&a, &ab, MS(40));
    jbuf_init(&f, &fb, MS(40));
    uint64_t x = 12345;
    for (int i = 0; i < 3000; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int64_t rel = (int64_t)((x >> 33) % 80000) * 1000;
        jbuf_offer(&a, &ab, rel, false);
        jbuf_offer(&f, &fb, rel, false);
    }
    assert_true(f.discards > 1000);
    assert_true(a.discards < f.discards / 10);
    assert_true(a.delay_ns <= MS(200) && a.delay_ns >= MS(60));
}

static void test_talkspurt(void **st)
{
    (void)st;
    jbuf_t j;
    jbuf_bounds_t b = jbuf_bounds(MS(20), MS(200));
    jbuf_init(&j, &b, MS(150));
    jbuf_offer(&j, &b, 0, false);
    assert_true(j.delay_ns > MS(100)); /* shrinking slowly */
    jbuf_offer(&j, &b, 0, true);
    assert_int_equal(j.delay_ns, MS(20)); /* takes the target at once */
    /* bounds given upside down: max raised to min */
    b = jbuf_bounds(MS(50), MS(10));
    jbuf_init(&j, &b, MS(5));
    assert_int_equal(b.min_ns, MS(50));
    assert_int_equal(b.max_ns, MS(50));
    assert_int_equal(j.delay_ns, MS(50));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed),
        cmocka_unit_test(test_adaptive_bounds),
        cmocka_unit_test(test_adaptive_covers_jitter),
        cmocka_unit_test(test_talkspurt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
