/* test_stream_quality.c - unit tests of quality/stream_quality.c: a clean
 * stream scores the E-model's no-loss value with the delay estimate; loss,
 * late packets (discards, not loss), duplicates, sequence wrap, intervals
 * and their cap, unknown codec/clock, and bursty vs random loss; a sender
 * clock that drifts (+-150..1000 ppm, 10 minutes, no jitter) costs no
 * discards while real delay spikes on the drifting stream still do. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "quality.h"

#define T0    (1700000000LL * 1000000000LL)
#define MS(x) ((int64_t)((x)*1000000.0))

static void near(double got, double want, double eps)
{
    if (fabs(got - want) > eps) {
        print_error("got %.6f want %.6f\n", got, want);
        fail();
    }
}

/* n packets of 20 ms G.711 from seq0; drop(k) says packet k is lost;
 * extra_ms(k) delays its arrival.  Packets are fed in arrival order. */
typedef bool (*drop_pt)(int k);
typedef double (*delay_pt)(int k);

static void run(sq_t *q, const sq_config_t *cfg, const char *codec, uint32_t clock, int n,
                uint16_t seq0, drop_pt drop, delay_pt delay)
{
    int order[4096];
    double at[4096];
    int m = 0;
    for (int k = 0; k < n; k++) {
        if (drop && drop(k)) continue;
        order[m] = k;
        at[m++] = k * 20.0 + (delay ? delay(k) : 0);
    }
    for (int i = 1; i < m; i++) /* insertion sort by arrival (stable) */
        for (int j = i; j > 0 && at[j] < at[j - 1]; j--) {
            double t = at[j];
            at[j] = at[j - 1], at[j - 1] = t;
            int o = order[j];
            order[j] = order[j - 1], order[j - 1] = o;
        }
    sq_set_codec(q, codec);
    for (int i = 0; i < m; i++) {
        int k = order[i];
        sq_update(q, cfg, (uint16_t)(seq0 + k), 1000u + (uint32_t)k * 160, k == 0, clock,
                  T0 + MS(at[i]));
    }
}

static bool every20(int k)
{
    return k % 20 == 10;
}
static bool pairs40(int k)
{
    return k % 40 == 10 || k % 40 == 11;
}
static double late100(int k)
{
    return k == 100 ? 100 : 0;
}
static double late30(int k)
{
    return k == 100 ? 30 : 0;
}

static void test_clean(void **st)
{
    (void)st;
    sq_t q;
    sq_init(&q, NULL);
    run(&q, NULL, "PCMU", 8000, 1000, 100, NULL, NULL);
    sq_result_t r;
    sq_finish(&q, NULL, -1, &r);
    assert_true(r.scored);
    assert_int_equal(r.expected, 1000);
    assert_int_equal(r.lost, 0);
    assert_int_equal(r.discards, 0);
    assert_int_equal(r.discards_adaptive, 0);
    near(r.ptime_ms, 20, 1e-9);
    near(r.delay_ms, 80, 1e-9); /* 60 ms buffer + 20 ms packet */
    near(r.r_factor, 93.2 - 0.024 * 80, 1e-9);
    near(r.mos, emodel_mos(93.2 - 1.92), 1e-9);
    near(r.mos_min, r.mos, 1e-6);
    assert_string_equal(r.mos_scale, "narrowband");
    assert_int_equal(r.n_intervals, 4); /* 0..19.98 s in 5 s intervals */
    assert_int_equal(r.intervals[0].packets, 250);
    assert_int_equal(r.intervals[3].packets, 250);
    near(r.intervals[1].jitter_ms, 0, 1e-9);
    sq_free(&q);

    /* RTT known: half of it is added to the delay */
    sq_init(&q, NULL);
    run(&q, NULL, "PCMU", 8000, 100, 100, NULL, NULL);
    sq_finish(&q, NULL, 100, &r);
    near(r.delay_ms, 130, 1e-9);
    sq_free(&q);
}

static void test_random_loss(void **st)
{
    (void)st;
    sq_t q;
    sq_init(&q, NULL);
    run(&q, NULL, "PCMA", 8000, 1000, 65500, every20, NULL); /* wraps at 65535 */
    sq_result_t r;
    sq_finish(&q, NULL, -1, &r);
    assert_int_equal(r.expected, 1000);
    assert_int_equal(r.lost, 50);
    near(r.effective_loss_pct, 5, 1e-9);
    assert_int_equal(r.bm.runs[LOSS_RUN_1], 50);
    near(r.bm.burst_r, 1, 1e-9);
    near(r.r_factor, emodel_r(80, 0, 25.1, 5, 1), 1e-9);
    /* per interval: 12 or 13 lost of 250 */
    uint32_t lost = 0;
    for (uint32_t i = 0; i < r.n_intervals; i++)
        lost += r.intervals[i].lost;
    assert_int_equal(lost, 50);
    assert_true(r.mos_min <= r.mos + 0.02);
    sq_free(&q);
}

static void test_bursty_scores_lower(void **st)
{
    (void)st;
    sq_t a, b;
    sq_result_t ra, rb;
    sq_init(&a, NULL);
    sq_init(&b, NULL);
    run(&a, NULL, "PCMU", 8000, 1000, 1, every20, NULL);
    run(&b, NULL, "PCMU", 8000, 1000, 1, pairs40, NULL);
    sq_finish(&a, NULL, -1, &ra);
    sq_finish(&b, NULL, -1, &rb);
    near(ra.effective_loss_pct, rb.effective_loss_pct, 1e-9);
    assert_true(rb.bm.burst_r > 1.5);
    assert_true(rb.mos < ra.mos);
    assert_int_equal(rb.bm.runs[LOSS_RUN_2], 25);
    near(rb.bm.burst_mean_len, 2, 1e-9);
    sq_free(&a);
    sq_free(&b);
}

static void test_late_is_discard(void **st)
{
    (void)st;
    sq_t q;
    sq_result_t r;
    sq_init(&q, NULL);
    run(&q, NULL, "PCMU", 8000, 500, 1, NULL, late100); /* 100 ms > 60 ms buffer */
    sq_finish(&q, NULL, -1, &r);
    assert_int_equal(r.lost, 0);
    assert_int_equal(r.discards, 1);
    near(r.effective_loss_pct, 0.2, 1e-9);
    assert_int_equal(r.bm.runs[LOSS_RUN_1], 1);
    sq_free(&q);

    /* reordered but within the buffer: neither lost nor discarded */
    sq_init(&q, NULL);
    run(&q, NULL, "PCMU", 8000, 500, 1, NULL, late30);
    sq_finish(&q, NULL, -1, &r);
    assert_int_equal(r.lost, 0);
    assert_int_equal(r.discards, 0);
    assert_int_equal(r.bm.runs[LOSS_RUN_1], 0);
    sq_free(&q);
}

static void test_duplicates_and_stale(void **st)
{
    (void)st;
    sq_t q;
    sq_result_t r;
    sq_init(&q, NULL);
    sq_set_codec(&q, "PCMU");
    for (int k = 0; k < 200; k++) {
        sq_update(&q, NULL, (uint16_t)k, (uint32_t)k * 160, false, 8000, T0 + MS(k * 20));
        if (k == 50)
            sq_update(&q, NULL, (uint16_t)k, (uint32_t)k * 160, false, 8000, T0 + MS(k * 20));
    }
    sq_update(&q, NULL, 10, 1600, false, 8000, T0 + MS(4000)); /* 189 behind: stale */
    sq_finish(&q, NULL, -1, &r);
    assert_int_equal(r.duplicates, 1);
    assert_int_equal(r.expected, 200);
    assert_int_equal(r.lost, 0);
    assert_int_equal(r.discards, 0);
    assert_int_equal(q.stale, 1);
    sq_free(&q);
}

static void test_unknown(void **st)
{
    (void)st;
    sq_t q;
    sq_result_t r;
    sq_init(&q, NULL);
    run(&q, NULL, "nonesuch", 8000, 100, 1, every20, NULL); /* codec not in the table */
    sq_finish(&q, NULL, -1, &r);
    assert_false(r.scored);
    assert_true(r.have_clock);
    assert_int_equal(r.lost, 5);
    sq_free(&q);

    sq_init(&q, NULL);
    run(&q, NULL, "PCMU", 0, 100, 1, every20, NULL); /* clock unknown */
    sq_finish(&q, NULL, -1, &r);
    assert_false(r.scored);
    assert_false(r.have_clock);
    assert_int_equal(r.lost, 5);
    sq_free(&q);

    sq_init(&q, NULL); /* nothing fed */
    sq_finish(&q, NULL, -1, &r);
    assert_false(r.scored);
    assert_int_equal(r.expected, 0);
    sq_free(&q);
}

static void test_interval_cap_and_wideband(void **st)
{
    (void)st;
    sq_config_t cfg;
    sq_config_default(&cfg);
    cfg.max_intervals = 2;
    cfg.interval_ms = 5000;
    sq_t q;
    sq_result_t r;
    sq_init(&q, &cfg);
    run(&q, &cfg, "G722", 8000, 1000, 1, NULL, NULL);
    /* a silence of an hour: empty intervals beyond the cap are counted */
    sq_update(&q, &cfg, 1000, 1000u + 1000 * 160, true, 8000, T0 + MS(3600000));
    sq_finish(&q, &cfg, -1, &r);
    assert_int_equal(r.n_intervals, 2);
    assert_true(r.intervals_dropped > 700);
    assert_string_equal(r.mos_scale, "narrowband-equivalent");
    sq_free(&q);
}

/* A drifting stream (10,000 ppm: a capture replayed 1 % fast or slow): n packets of 20 ms G.711
 * whose sender clock runs ppm fast (< 0: slow): packet k is sent at k * 20 ms * (1 - ppm 1e-6) of
 * real time, so arrival gaps differ from the RTP timestamp gaps by ppm.  spike(k) adds a one-packet
 * delay (ms).  Fed in arrival order. */
typedef struct {
    int64_t at;
    int k;
} drift_pkt_t;

static int by_arrival(const void *a, const void *b)
{
    const drift_pkt_t *x = a, *y = b;
    return x->at < y->at ? -1 : x->at > y->at ? 1 : x->k - y->k;
}

static void run_drift(sq_t *q, const sq_config_t *cfg, int n, double ppm, double (*spike)(int))
{
    drift_pkt_t *p = malloc((size_t)n * sizeof *p);
    assert_non_null(p);
    for (int k = 0; k < n; k++) {
        double ms = k * 20.0 * (1.0 - ppm * 1e-6) + (spike ? spike(k) : 0);
        p[k] = (drift_pkt_t){T0 + (int64_t)llround(ms * 1e6), k};
    }
    qsort(p, (size_t)n, sizeof *p, by_arrival);
    sq_set_codec(q, "PCMU");
    for (int i = 0; i < n; i++) {
        int k = p[i].k;
        sq_update(q, cfg, (uint16_t)(7 + k), 5000u + (uint32_t)k * 160, k == 0, 8000, p[i].at);
    }
    free(p);
}

#define DRIFT_PKTS 30000 /* 10 minutes of 20 ms packets */

static void test_drift_clean(void **st)
{
    (void)st;
    const double ppms[] = {-1000, -300, -150, 150, 300, 1000, 10000, -10000};
    for (size_t i = 0; i < sizeof ppms / sizeof ppms[0]; i++) {
        sq_t q;
        sq_result_t r;
        sq_init(&q, NULL);
        run_drift(&q, NULL, DRIFT_PKTS, ppms[i], NULL);
        sq_finish(&q, NULL, -1, &r);
        print_message("drift %+.0f ppm: discards %llu adaptive %llu mos %.3f mos_min %.3f\n",
                      ppms[i], (unsigned long long)r.discards,
                      (unsigned long long)r.discards_adaptive, r.mos, r.mos_min);
        assert_int_equal(r.expected, DRIFT_PKTS);
        assert_int_equal(r.lost, 0);
        assert_int_equal(r.discards, 0);
        assert_int_equal(r.discards_adaptive, 0);
        assert_true(r.mos >= 4.3);
        assert_true(r.mos_min >= 4.3);
        for (uint32_t v = 0; v < r.n_intervals; v++)
            assert_int_equal(r.intervals[v].discards, 0);
        sq_free(&q);
    }
}

static double spike100(int k)
{
    return k % 100 == 50 ? 100 : 0;
}
static double spike40(int k)
{
    return k % 100 == 50 ? 40 : k % 100 == 80 ? 15 : 0;
}

/* Real jitter on a drifting stream is still jitter: each 100 ms spike
 * misses the 60 ms buffer, each 40 ms spike a 20 ms one (15 ms spikes do
 * not), at every drift as without drift. */
static void test_drift_keeps_jitter(void **st)
{
    (void)st;
    const double ppms[] = {0, -1000, -300, 300, 1000};
    sq_config_t small;
    sq_config_default(&small);
    small.jb_fixed_ms = 20;
    for (size_t i = 0; i < sizeof ppms / sizeof ppms[0]; i++) {
        sq_t q;
        sq_result_t r;
        sq_init(&q, NULL);
        run_drift(&q, NULL, DRIFT_PKTS, ppms[i], spike100);
        sq_finish(&q, NULL, -1, &r);
        print_message("drift %+.0f ppm, 100 ms spikes: discards %llu adaptive %llu mos %.3f\n",
                      ppms[i], (unsigned long long)r.discards,
                      (unsigned long long)r.discards_adaptive, r.mos);
        assert_int_equal(r.lost, 0);
        assert_int_equal(r.discards, DRIFT_PKTS / 100);
        assert_true(r.mos < 4.3);
        uint32_t sum = 0;
        for (uint32_t v = 0; v < r.n_intervals; v++)
            sum += r.intervals[v].discards;
        assert_int_equal(sum, DRIFT_PKTS / 100);
        sq_free(&q);

        sq_init(&q, &small);
        run_drift(&q, &small, DRIFT_PKTS, ppms[i], spike40);
        sq_finish(&q, &small, -1, &r);
        print_message("drift %+.0f ppm, 40 ms spikes, 20 ms buffer: discards %llu\n", ppms[i],
                      (unsigned long long)r.discards);
        assert_int_equal(r.discards, DRIFT_PKTS / 100);
        sq_free(&q);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean),
        cmocka_unit_test(test_random_loss),
        cmocka_unit_test(test_bursty_scores_lower),
        cmocka_unit_test(test_late_is_discard),
        cmocka_unit_test(test_duplicates_and_stale),
        cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_interval_cap_and_wideband),
        cmocka_unit_test(test_drift_clean),
        cmocka_unit_test(test_drift_keeps_jitter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
