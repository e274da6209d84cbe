/* test_rtp_stats.c - unit tests of quality/rtp_stats.c: RFC 3550 A.1/A.3
 * sequence and loss accounting, and the Wireshark 4.0 jitter/delta/loss
 * figures, with expected values worked out by hand in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "correlator.h"

#define MS(x) ((int64_t)((x)*1000000.0))
#define EPS   1e-9

typedef struct {
    double t_ms;
    uint16_t seq;
    uint32_t ts;
    bool marker;
    bool cn;
} pkt_t;

static void feed(rtp_stats_t *s, const pkt_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        rtp_stats_update(s, p[i].seq, p[i].ts, p[i].marker, p[i].cn, 160,
                         1700000000LL * NS_PER_SEC + MS(p[i].t_ms));
}

/* n packets every 20 ms, seq from seq0, ts +160 */
static void feed_regular(rtp_stats_t *s, uint16_t seq0, uint32_t ts0, int n)
{
    for (int i = 0; i < n; i++) {
        pkt_t p = {20.0 * i, (uint16_t)(seq0 + i), ts0 + 160u * (uint32_t)i, false, false};
        feed(s, &p, 1);
    }
}

static void feed_seqs(rtp_stats_t *s, const uint16_t *seqs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        pkt_t p = {20.0 * i, seqs[i], 160u * (uint16_t)(seqs[i] - seqs[0]), false, false};
        feed(s, &p, 1);
    }
}

static void test_in_order(void **state)
{
    (void)state;
    rtp_stats_t s;
    rtp_stats_init(&s, 8000);
    feed_regular(&s, 1000, 5000, 10);
    assert_int_equal(s.packets, 10);
    assert_int_equal(s.bytes, 1600);
    assert_int_equal(s.received, 10);
    assert_int_equal(rtp_stats_lost(&s), 0);
    assert_int_equal(rtp_stats_lost_wireshark(&s), 0);
    assert_int_equal(s.duplicates, 0);
    assert_int_equal(s.out_of_order, 0);
    assert_int_equal(s.seq_errors, 0);
    assert_int_equal(s.jitter_count, 9);
    assert_true(s.jitter_max_ms < EPS);
    assert_true(s.jitter_rfc < 1e-6);
    assert_true(fabs(s.delta_min_ms - 20.0) < 1e-6);
    assert_true(fabs(s.delta_max_ms - 20.0) < 1e-6);
    assert_true(fabs(rtp_stats_delta_mean_ms(&s) - 20.0) < 1e-6);
    assert_int_equal(s.first_ts_ns, 1700000000LL * NS_PER_SEC);
    assert_int_equal(s.last_ts_ns, 1700000000LL * NS_PER_SEC + MS(180));
}

static void test_loss(void **state)
{
    (void)state;
    rtp_stats_t s;
    rtp_stats_init(&s, 8000);
    static const uint16_t seqs[] = {1, 2, 3, 6, 7, 8, 9, 10};
    feed_seqs(&s, seqs, 8);
    assert_int_equal(s.packets, 8);
    assert_int_equal(rtp_stats_lost(&s), 2);
    assert_int_equal(rtp_stats_lost_wireshark(&s), 2);
    assert_int_equal(s.seq_errors, 1);
}

static void test_duplicates(void **state)
{
    (void)state;
    rtp_stats_t s;
    rtp_stats_init(&s, 8000);
    static const uint16_t seqs[] = {1, 2, 3, 3, 4, 2};
    feed_seqs(&s, seqs, 6);
    assert_int_equal(s.packets, 6);
    assert_int_equal(s.duplicates, 2);
    assert_int_equal(s.out_of_order, 0);
    /* RFC: expected 4, received 6 (duplicates count as received) */
    assert_int_equal(rtp_stats_lost(&s), -2);
    /* Wireshark: last received 2: 2 - 1 + 1 - 6 */
    assert_int_equal(rtp_stats_lost_wireshark(&s), -4);
    assert_int_equal(s.seq_errors, 2);
}

static void test_reordering(void **state)
{
    (void)state;
    rtp_stats_t s;
    rtp_stats_init(&s, 8000);
    static const uint16_t seqs[] = {1, 2, 4, 3, 5, 6};
    feed_seqs(&s, seqs, 6);
    assert_int_equal(s.out_of_order, 1);
    assert_int_equal(s.duplicates, 0);
    assert_int_equal(rtp_stats_lost(&s), 0);
    assert_int_equal(rtp_stats_lost_wireshark(&s), 0);
    assert_int_equal(s.seq_errors, 2); /* the jump to 4, then the late 3 */
}

/* A final late packet: Wireshark 4.0 counts from the last received seq. */
static void test_wireshark_vs_rfc_final_reorder(void **state)
{
    (void)state;
    rtp_stats_t s;
    rtp_stats_init(&s, 8000);
    static const uint16_t seqs[] = {1, 2, 3, 5, 4};
    feed_seqs(&s, seqs, 5);
    assert_int_equal(rtp_stats_lost(&s), 0);
    assert_int_equal(rtp_stats_lost_wireshark(&s), -1);
    assert_int_equal(s.highest_ext_seq, 5);
    assert_int_equal(s.last_ext_seq, 4);
}

static void test_seq_wrap(void **state)
{
    (void)state;
    rtp_stats_t s;
    rtp_stats_init(&s, 8000);
    feed_regular(&s, 65533, 0, 6); /* 65533 65534 65535 0 1 2 */
    assert_int_equal(s.packets, 6);
    assert_int_equal(rtp_stats_lost(&s), 0);
    assert_int_equal(rtp_stats_lost_wireshark(&s), 0);
    assert_int_equal(s.highest_ext_seq, 65536 + 2);
    assert_int_equal(s.last_ext_seq, 65536 + 2);
    assert_int_equal(s.seq_errors, 0);

    /* losing the packet at the wrap */
    rtp_stats_init(&s, 8000);
    static const uint16_t seqs[] = {65534, 65535, 1, 2};
    feed_seqs(&s, seqs, 4);
    assert_int_equal(rtp_stats_lost(&s), 1);
    assert_int_equal(rtp_stats_lost_wireshark(&s), 1);

    /* probation run straddling the wrap */
    rtp_stats_init(&s, 8000);
    feed_regular(&s, 65535, 0, 3);
    assert_int_equal(rtp_stats_lost(&s), 0);
    assert_int_equal(s.received, 3);
}

/* A jump of more than MAX_DROPOUT: the first packet after it is dropped
 * from the RFC accounting, the second confirms a restart (A.1 bad_seq). */
static void test_big_jump_restart(void **state)
{
    (void)state;
    rtp_stats_t s;
    rtp_stats_init(&s, 8000);
    static const uint16_t seqs[] = {100, 101, 102, 103, 104, 20000, 20001, 20002};
    feed_seqs(&s, seqs, 8);
    assert_int_equal(s.packets, 8);
    assert_int_equal(s.base_seq, 20001);
    assert_int_equal(s.received, 2);
    assert_int_equal(rtp_stats_lost(&s), 0);
    assert_int_equal(rtp_stats_lost_wireshark(&s), 20002 - 100 + 1 - 8);
    assert_int_equal(s.seq_errors, 1);

    /* a single stray packet far away is ignored by the RFC figures */
    rtp_stats_init(&s, 8000);
    static const uint16_t seqs2[] = {100, 101, 102, 9000, 103, 104};
    feed_seqs(&s, seqs2, 6);
    assert_int_equal(s.received, 5);
    assert_int_equal(rtp_stats_lost(&s), 0);
    assert_int_equal(s.base_seq, 100);
}

/* Jitter by hand (clock 8000, 20 ms per 160 samples):
 *   t (ms):  0    20   45   61   80
 *   ts:      0   160  320  480  640
 *   D (ms):  -     0    5    4    1
 *   J:       0     0  5/16=.3125  (15*.3125+4)/16=.54296875
 *                                (15*.54296875+1)/16=.571533203125
 *   mean = (mean * (n-1) + J) / n, n = packets before this one:
 *     0, (0+.3125)/2=.15625, (.15625*2+.54296875)/3=.28515625,
 *     (.28515625*3+.571533203125)/4=.356750488...
 *   deltas 20 25 16 19: running mean 20, 22.5, 20.333.., 20.0
 *   RFC J (timestamp units, D*8 = 0 40 32 8): 2.5, 4.34375, 4.572265625 */
static const pkt_t hand[] = {
    {0, 1, 0, false, false},    {20, 2, 160, false, false}, {45, 3, 320, false, false},
    {61, 4, 480, false, false}, {80, 5, 640, false, false},
};

static void test_jitter_by_hand(void **state)
{
    (void)state;
    rtp_stats_t s;
    rtp_stats_init(&s, 8000);
    feed(&s, hand, 5);
    assert_int_equal(s.jitter_count, 4);
    assert_true(fabs(s.jitter_ms - 0.571533203125) < 1e-9);
    assert_true(fabs(s.jitter_min_ms - 0.0) < 1e-9);
    assert_true(fabs(s.jitter_max_ms - 0.571533203125) < 1e-9);
    double m = 0;
    m = (m * 0 + 0) / 1;
    m = (m * 1 + 0.3125) / 2;
    m = (m * 2 + 0.54296875) / 3;
    m = (m * 3 + 0.571533203125) / 4;
    assert_true(fabs(rtp_stats_jitter_mean_ms(&s) - m) < 1e-9);
    assert_true(fabs(m - 0.35675048828125) < 1e-9);
    assert_true(fabs(s.delta_min_ms - 16.0) < 1e-6);
    assert_true(fabs(s.delta_max_ms - 25.0) < 1e-6);
    assert_true(fabs(rtp_stats_delta_mean_ms(&s) - 20.0) < 1e-6);
    assert_true(fabs(s.jitter_rfc - 4.572265625) < 1e-6);
}

/* Same packets, the third with the marker bit: J still moves, but that
 * packet is not a min/max/mean sample. */
static void test_marker_exclusion(void **state)
{
    (void)state;
    rtp_stats_t s;
    pkt_t p[5];
    memcpy(p, hand, sizeof p);
    p[2].marker = true;
    rtp_stats_init(&s, 8000);
    feed(&s, p, 5);
    assert_int_equal(s.jitter_count, 3);
    assert_int_equal(s.delta_count, 3);
    assert_true(fabs(s.jitter_ms - 0.571533203125) < 1e-9);
    double m = 0;
    m = (m * 0 + 0) / 1;
    m = (m * 2 + 0.54296875) / 3;
    m = (m * 3 + 0.571533203125) / 4;
    assert_true(fabs(rtp_stats_jitter_mean_ms(&s) - m) < 1e-9);
    assert_true(fabs(s.delta_max_ms - 20.0) < 1e-6); /* the 25 ms gap was the marker's */

    /* comfort noise and the packet after it are excluded too */
    memcpy(p, hand, sizeof p);
    p[2].cn = true;
    rtp_stats_init(&s, 8000);
    feed(&s, p, 5);
    assert_int_equal(s.jitter_count, 2);
}

/* telephone-event / unknown clock: no jitter, deltas still there */
static void test_unknown_clock(void **state)
{
    (void)state;
    rtp_stats_t s;
    rtp_stats_init(&s, 0);
    feed(&s, hand, 5);
    assert_int_equal(s.jitter_count, 0);
    assert_int_equal(s.delta_count, 4);
    assert_true(s.jitter_ms == 0.0);
    assert_true(s.jitter_rfc == 0.0);
    assert_int_equal(rtp_stats_lost_wireshark(&s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_loss),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_reordering),
        cmocka_unit_test(test_wireshark_vs_rfc_final_reorder),
        cmocka_unit_test(test_seq_wrap),
        cmocka_unit_test(test_big_jump_restart),
        cmocka_unit_test(test_jitter_by_hand),
        cmocka_unit_test(test_marker_exclusion),
        cmocka_unit_test(test_unknown_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
