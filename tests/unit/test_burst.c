/* test_burst.c - unit tests of quality/burst.c: the RFC 3611 A.2 burst/gap
 * state machine on hand sequences (counters and report-time figures worked
 * out in the comments), Gmin behaviour, the loss-run histogram and the
 * Gilbert BurstR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "quality.h"

/* 'R' received, 'L' lost; a digit before a letter repeats it (e.g. "20R"). */
static void feed(burst_t *b, const char *s)
{
    while (*s) {
        unsigned n = 0;
        while (*s >= '0' && *s <= '9')
            n = n * 10 + (unsigned)(*s++ - '0');
        if (n == 0) n = 1;
        char k = *s++;
        for (unsigned i = 0; i < n; i++)
            k == 'R' ? burst_received(b) : burst_lost(b);
    }
}

static void near(double got, double want)
{
    if (fabs(got - want) > 1e-9) {
        print_error("got %.9f want %.9f\n", got, want);
        fail();
    }
}

/* Two isolated losses after long gaps.  20R: pkt 20.  L: pkt >= 16, lost
 * is 0 (start) -> c13 1, lost 1, c11 20.  20R, L: lost == 1 -> c14 1,
 * c11 40.  c31 = 1, c32 = 0, ctotal = 40+1+1+1 = 43; p32 = 0, p23 = 1 ->
 * burst density 100 %; gap density 1/41; gap duration 42*20/1 = 840 ms,
 * burst duration 43*20 - 840 = 20 ms. */
static void test_isolated(void **st)
{
    (void)st;
    burst_t b;
    burst_init(&b, BURST_GMIN);
    feed(&b, "20RL20RL");
    assert_int_equal(b.c11, 40);
    assert_int_equal(b.c13, 1);
    assert_int_equal(b.c14, 1);
    assert_int_equal(b.c22 + b.c23 + b.c33, 0);
    burst_metrics_t m;
    burst_metrics(&b, 20, &m);
    near(m.burst_density, 100);
    near(m.gap_density, 100.0 / 41);
    near(m.gap_duration_ms, 840);
    near(m.burst_duration_ms, 20);
    assert_int_equal(m.runs[LOSS_RUN_1], 2);
    near(m.burst_mean_len, 1);
}

/* 20R L R L L 20R L: first L c13 1, c11 20; R pkt 1; L (pkt 1 < 16):
 * lost 2, c23 1, c22 += 0; L (pkt 0): lost 3, c33 1; 20R; L (pkt 20,
 * lost 3): c13 2, c11 40.  c31 2, c32 1, ctotal = 40+0+2+0+1+2+1+1 = 47;
 * p32 = 1/4, p23 = 1 -> density 100/1.25 = 80 %; gap density 0; gap
 * duration 42*20/2 = 420, burst 47*20/2 - 420 = 50 ms.  Runs: 1, 2, 1.
 * Gilbert: 41 received, 4 lost; R->L 3 of 41 transitions out of R, L->R 2
 * of 3 out of L -> BurstR = 1/(3/41 + 2/3). */
static void test_burst(void **st)
{
    (void)st;
    burst_t b;
    burst_init(&b, BURST_GMIN);
    feed(&b, "20RLRLL20RL");
    assert_int_equal(b.c11, 40);
    assert_int_equal(b.c13, 2);
    assert_int_equal(b.c14, 0);
    assert_int_equal(b.c22, 0);
    assert_int_equal(b.c23, 1);
    assert_int_equal(b.c33, 1);
    burst_metrics_t m;
    burst_metrics(&b, 20, &m);
    near(m.burst_density, 80);
    near(m.gap_density, 0);
    near(m.gap_duration_ms, 420);
    near(m.burst_duration_ms, 50);
    assert_int_equal(m.runs[LOSS_RUN_1], 2);
    assert_int_equal(m.runs[LOSS_RUN_2], 1);
    near(m.burst_mean_len, 4.0 / 3);
    near(m.burst_r, 1.0 / (3.0 / 41 + 2.0 / 3));
    near(burst_r(&b), m.burst_r);
}

/* Gmin: 15 received between losses keep them in one burst (c23/c22), 16
 * end it (c14/c13/c11). */
static void test_gmin(void **st)
{
    (void)st;
    burst_t b;
    burst_init(&b, BURST_GMIN);
    feed(&b, "L15RL");
    assert_int_equal(b.c33, 1); /* first L at pkt 0 */
    assert_int_equal(b.c23, 1);
    assert_int_equal(b.c22, 14);
    assert_int_equal(b.lost, 2);
    assert_int_equal(b.c11 + b.c13 + b.c14, 0);
    /* p23 = 1 - 14/15, p32 = 1/2 -> density (1/15)/(1/15 + 1/2) */
    burst_metrics_t m;
    burst_metrics(&b, 20, &m);
    near(m.burst_density, 100.0 * (1.0 / 15) / (1.0 / 15 + 0.5));
    near(m.burst_duration_ms, 0); /* c13 == 0: durations guarded */

    burst_init(&b, BURST_GMIN);
    feed(&b, "L16RL");
    assert_int_equal(b.c14, 1);
    assert_int_equal(b.c11, 16);
    assert_int_equal(b.c23, 0);

    burst_init(&b, 4); /* another Gmin */
    feed(&b, "L4RL");
    assert_int_equal(b.c14, 1);
}

static void test_runs_histogram(void **st)
{
    (void)st;
    burst_t b;
    burst_init(&b, BURST_GMIN);
    feed(&b, "RLR2LR3LR4LR5LR9LR10LR30L"); /* last run still open */
    burst_metrics_t m;
    burst_metrics(&b, 20, &m);
    assert_int_equal(m.runs[LOSS_RUN_1], 1);
    assert_int_equal(m.runs[LOSS_RUN_2], 1);
    assert_int_equal(m.runs[LOSS_RUN_3], 1);
    assert_int_equal(m.runs[LOSS_RUN_4], 1);
    assert_int_equal(m.runs[LOSS_RUN_5_9], 2);
    assert_int_equal(m.runs[LOSS_RUN_10P], 2);
    near(m.burst_mean_len, (1 + 2 + 3 + 4 + 5 + 9 + 10 + 30) / 8.0);
}

static void test_no_loss_and_random(void **st)
{
    (void)st;
    burst_t b;
    burst_init(&b, BURST_GMIN);
    feed(&b, "500R");
    burst_metrics_t m;
    burst_metrics(&b, 20, &m);
    near(m.burst_density, 0);
    near(m.gap_density, 0);
    near(m.burst_r, 1);
    near(m.burst_mean_len, 0);
    /* regularly spaced single losses are smoother than random: floored at 1 */
    burst_init(&b, BURST_GMIN);
    for (int i = 0; i < 50; i++)
        feed(&b, "19RL");
    near(burst_r(&b), 1);
    /* long bursts: BurstR well above 1 */
    burst_init(&b, BURST_GMIN);
    for (int i = 0; i < 10; i++)
        feed(&b, "95R5L");
    assert_true(burst_r(&b) > 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isolated),
        cmocka_unit_test(test_burst),
        cmocka_unit_test(test_gmin),
        cmocka_unit_test(test_runs_histogram),
        cmocka_unit_test(test_no_loss_and_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
