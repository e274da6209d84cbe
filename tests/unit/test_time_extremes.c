/* test_time_extremes.c - packet times at the ends of the int64 range never
 * overflow the time arithmetic (deadlines, timeouts, deltas) of the
 * correlator, its expiry clock and the quality tracker.
 *
 * A capture time is whatever the file or the kernel said, saturated to
 * int64 nanoseconds: a pcapng record with timestamp 0xffffffffffffffff
 * arrives as INT64_MAX, a negative one as INT64_MIN.  Whole calls (INVITE
 * with SDP, answer, RTP both ways with DTMF and RTCP, a REGISTER, an orphan
 * flow, BYE) are fed at INT64_MAX - 1, INT64_MIN + 1 and 0, and with every
 * message jumping between those and a normal time; expiry runs at each of
 * them.  Built with -DSIPHON_SANITIZE=ON (UBSan, no recovery) a signed
 * overflow aborts the test; the assertions check the calls still come out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "corr_testlib.h"

static test_sink_t sink;

static const int64_t extremes[] = {INT64_MAX - 1, INT64_MIN + 1, 0, T0, INT64_MAX, INT64_MIN};
#define N_EXTREMES (sizeof extremes / sizeof extremes[0])

/* The time of the k-th event ms after base; jumping: every event takes the
 * next extreme instead. */
typedef struct {
    int64_t base;
    bool jumping;
    bool mid_expiry; /* expiry at every extreme during the calls, not only after */
    unsigned k;
} tclock_t;

static int64_t when(tclock_t *t, int64_t ms)
{
    if (t->jumping) return extremes[t->k++ % N_EXTREMES];
    return ts_add_sat(t->base, ms * NS_PER_MSEC);
}

static void sip_at(corr_t *c, int64_t ts, int dir, const char *sdp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ts_sip_vat(c, ts, dir, sdp, fmt, ap);
    va_end(ap);
}

static void rtp_at(corr_t *c, int64_t ts, const char *sip, uint16_t sport, const char *dip,
                   uint16_t dport, uint32_t ssrc, uint16_t seq, uint32_t rtp_ts, uint8_t pt,
                   bool marker)
{
    uint8_t p[172];
    memset(p, 0xd5, sizeof p);
    p[0] = 0x80;
    p[1] = (uint8_t)((pt & 0x7f) | (marker ? 0x80 : 0));
    p[2] = (uint8_t)(seq >> 8), p[3] = (uint8_t)seq;
    p[4] = (uint8_t)(rtp_ts >> 24), p[5] = (uint8_t)(rtp_ts >> 16);
    p[6] = (uint8_t)(rtp_ts >> 8), p[7] = (uint8_t)rtp_ts;
    p[8] = (uint8_t)(ssrc >> 24), p[9] = (uint8_t)(ssrc >> 16);
    p[10] = (uint8_t)(ssrc >> 8), p[11] = (uint8_t)ssrc;
    size_t len = sizeof p;
    if (pt == 101) { /* RFC 4733 event: digit 5, end bit on the last */
        p[12] = 5, p[13] = marker ? 0x0a : 0x8a, p[14] = 0, p[15] = 160;
        len = 16;
    }
    ts_feed(c, ts, ts_ep(sip, sport), ts_ep(dip, dport), TRANSPORT_UDP, p, len);
}

/* An RTCP SR with one report block (RTT: LSR/DLSR set). */
static void rtcp_at(corr_t *c, int64_t ts, const char *sip, uint16_t sport, const char *dip,
                    uint16_t dport, uint32_t ssrc, uint32_t about)
{
    uint8_t p[52] = {0x81, 200, 0, 12};
    uint32_t w[12] = {ssrc,  0x12345678, 0x9abcdef0, 16000, 50,         8000,
                      about, 0,          100,        40,    0x56789abc, 0x00010000};
    for (int i = 0; i < 12; i++)
        for (int b = 0; b < 4; b++)
            p[4 + 4 * i + b] = (uint8_t)(w[i] >> (24 - 8 * b));
    ts_feed(c, ts, ts_ep(sip, sport), ts_ep(dip, dport), TRANSPORT_UDP, p, sizeof p);
}

static void expire_everywhere(corr_t *c, tclock_t *t, int64_t ms)
{
    corr_expire(c, when(t, ms));
    corr_clock_t k = {0};
    for (size_t i = 0; i < N_EXTREMES; i++) {
        corr_expire(c, extremes[i]);
        (void)corr_clock_due(&k, extremes[i]);
    }
}

static void one_call(corr_t *c, tclock_t *t, const char *cid)
{
    char sa[256], sb[256];
    sip_at(c, when(t, 0), A_TO_B, ts_sdp(sa, sizeof sa, "10.0.0.1", 40000, NULL),
           "INVITE sip:bob@10.0.0.2 SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\n"
           "From: <sip:alice@example.com>;tag=ft\nTo: <sip:bob@example.com>\nCall-ID: %s\n"
           "CSeq: 1 INVITE\n",
           cid);
    sip_at(c, when(t, 100), B_TO_A, NULL,
           "SIP/2.0 180 Ringing\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\n"
           "From: <sip:alice@example.com>;tag=ft\nTo: <sip:bob@example.com>;tag=tt\n"
           "Call-ID: %s\nCSeq: 1 INVITE\n",
           cid);
    sip_at(c, when(t, 1000), B_TO_A, ts_sdp(sb, sizeof sb, "10.0.0.2", 50000, NULL),
           "SIP/2.0 200 OK\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\n"
           "From: <sip:alice@example.com>;tag=ft\nTo: <sip:bob@example.com>;tag=tt\n"
           "Call-ID: %s\nCSeq: 1 INVITE\n",
           cid);
    sip_at(c, when(t, 1010), A_TO_B, NULL,
           "ACK sip:bob@10.0.0.2 SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK2\n"
           "From: <sip:alice@example.com>;tag=ft\nTo: <sip:bob@example.com>;tag=tt\n"
           "Call-ID: %s\nCSeq: 1 ACK\n",
           cid);
    for (int i = 0; i < 300; i++) {
        int64_t ms = 1100 + 20 * i;
        uint16_t seq = (uint16_t)(100 + i);
        uint32_t rts = 1000u + 160u * (uint32_t)i;
        bool dtmf = i >= 100 && i < 104;
        rtp_at(c, when(t, ms), "10.0.0.1", 40000, "10.0.0.2", 50000, 0xa1, seq, rts, dtmf ? 101 : 0,
               i == 0 || i == 103);
        if (i % 7 != 3) /* some loss, and comfort noise (PT 13) for a while */
            rtp_at(c, when(t, ms + 3), "10.0.0.2", 50000, "10.0.0.1", 40000, 0xb2, seq, rts,
                   i >= 200 && i < 220 ? 13 : 0, i == 0);
        if (i % 50 == 0) {
            rtcp_at(c, when(t, ms + 5), "10.0.0.1", 40001, "10.0.0.2", 50001, 0xa1, 0xb2);
            rtcp_at(c, when(t, ms + 9), "10.0.0.2", 50001, "10.0.0.1", 40001, 0xb2, 0xa1);
            /* an orphan flow: RTP nobody signalled */
            rtp_at(c, when(t, ms + 11), "10.9.9.9", 7000, "10.9.9.8", 7002, 0xc3, (uint16_t)i,
                   (uint32_t)i * 160, 8, false);
        }
        if (i % 100 == 0 && t->mid_expiry) expire_everywhere(c, t, ms);
    }
    sip_at(c, when(t, 8000), A_TO_B, NULL,
           "REGISTER sip:example.com SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKr\n"
           "From: <sip:alice@example.com>;tag=rt\nTo: <sip:alice@example.com>\n"
           "Call-ID: reg-%s\nCSeq: 1 REGISTER\nContact: <sip:alice@10.0.0.1>\n",
           cid);
    sip_at(c, when(t, 8001), B_TO_A, NULL,
           "SIP/2.0 200 OK\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKr\n"
           "From: <sip:alice@example.com>;tag=rt\nTo: <sip:alice@example.com>;tag=x\n"
           "Call-ID: reg-%s\nCSeq: 1 REGISTER\nExpires: 3600\n",
           cid);
    sip_at(c, when(t, 9000), A_TO_B, NULL,
           "BYE sip:bob@10.0.0.2 SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK3\n"
           "From: <sip:alice@example.com>;tag=ft\nTo: <sip:bob@example.com>;tag=tt\n"
           "Call-ID: %s\nCSeq: 2 BYE\n",
           cid);
    sip_at(c, when(t, 9010), B_TO_A, NULL,
           "SIP/2.0 200 OK\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK3\n"
           "From: <sip:alice@example.com>;tag=ft\nTo: <sip:bob@example.com>;tag=tt\n"
           "Call-ID: %s\nCSeq: 2 BYE\n",
           cid);
    expire_everywhere(c, t, 9100);
}

static unsigned n_events, n_regs, n_intervals;

static void on_event(void *user, const corr_call_event_t *ev)
{
    (void)user, (void)ev;
    n_events++;
}
static void on_reg(void *user, const corr_registration_t *r)
{
    (void)user, (void)r;
    n_regs++;
}
static void on_interval(void *user, const corr_interval_event_t *ev)
{
    (void)user, (void)ev;
    n_intervals++;
}

static void run_one(int64_t base, bool jumping, bool mid_expiry)
{
    corr_config_t cfg;
    corr_config_default(&cfg);
    cfg.max_calls = 64;
    cfg.max_streams = 256;
    cfg.max_media_endpoints = 256;
    cfg.max_orphan_flows = 64;
    cfg.quality.interval_ms = 1000;
    memset(&sink, 0, sizeof sink);
    corr_sink_t sk = {.on_call = ts_on_call,
                      .on_orphan_stream = ts_on_orphan,
                      .on_vq_report = ts_on_vq,
                      .on_call_event = on_event,
                      .on_registration = on_reg,
                      .on_quality_interval = on_interval,
                      .user = &sink};
    n_events = n_regs = n_intervals = 0;
    corr_t *c = corr_new(&cfg, &sk);
    assert_non_null(c);
    tclock_t t = {.base = base, .jumping = jumping, .mid_expiry = mid_expiry};
    one_call(c, &t, "x1");
    one_call(c, &t, "x2"); /* the same endpoints again: SDP replaced */
    corr_flush(c);
    assert_non_null(ts_find(&sink, "x1"));
    assert_non_null(ts_find(&sink, "x2"));
    /* media reached its call, unless an expiry at the same saturated
     * instant (INT64_MAX: every later event is at it too) ended the call
     * before its RTP came, or time jumped past the idle timeout */
    if (!jumping && (!mid_expiry || base < INT64_MAX / 2)) {
        assert_true(ts_find(&sink, "x1")->stream_count >= 1);
        assert_true(ts_find(&sink, "x2")->stream_count >= 1);
    }
    assert_true(n_events >= 2);
    corr_free(c);
}

static void run_at(int64_t base, bool jumping)
{
    run_one(base, jumping, false);
    run_one(base, jumping, true);
}

static void test_at_int64_max(void **st)
{
    (void)st;
    run_at(INT64_MAX - 1, false);
}

static void test_at_int64_min(void **st)
{
    (void)st;
    run_at(INT64_MIN + 1, false);
}

static void test_at_zero(void **st)
{
    (void)st;
    run_at(0, false);
}

static void test_jumping(void **st)
{
    (void)st;
    run_at(T0, true);
}

/* The quality tracker alone, with intervals and live peeks. */
static void test_tracker(void **st)
{
    (void)st;
    for (size_t e = 0; e <= N_EXTREMES; e++) {
        sq_t q;
        sq_result_t r;
        sq_interval_t v;
        sq_init(&q, NULL);
        sq_set_codec(&q, "PCMU");
        for (int i = 0; i < 600; i++) {
            int64_t at = e < N_EXTREMES ? ts_add_sat(extremes[e], (int64_t)i * 20 * NS_PER_MSEC)
                                        : extremes[(size_t)i % N_EXTREMES];
            if (i % 9 == 4) continue; /* loss */
            (void)sq_interval_due(&q, at);
            sq_update(&q, NULL, (uint16_t)(65000 + i), 7u + 160u * (uint32_t)i, i % 100 == 0, 8000,
                      at);
            sq_interval_peek(&q, NULL, &v);
        }
        sq_finish(&q, NULL, 20, &r);
        assert_true(r.expected >= 540);
        assert_true(r.scored);
        sq_free(&q);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_at_int64_max), cmocka_unit_test(test_at_int64_min),
        cmocka_unit_test(test_at_zero),      cmocka_unit_test(test_jumping),
        cmocka_unit_test(test_tracker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
