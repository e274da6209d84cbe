/* test_pipeline.c - pipeline/ on its own: a call whose RTP reaches the
 * pipeline through another capture thread before its SDP still ends up
 * whole in its call (the hold-back of unnamed media), held media keeps its
 * order when its SDP is learnt while the hold is being passed, and a live pipeline
 * whose correlator stalls drops and counts datagrams instead of blocking,
 * with delivered + dropped = submitted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "corr_testlib.h" /* ts_ep, AT */
#include "pipeline.h"

typedef struct {
    pthread_mutex_t lock;
    int calls, orphans;
    uint32_t stream_count;
    uint64_t stream_packets;
    int64_t stream_lost;      /* RFC 3550 loss, summed over the calls' streams */
    uint64_t stream_reorders; /* packets older than the highest seen */
    int sleep_ms_on_call;
} sink_t;

static void on_call(void *user, const corr_call_t *call)
{
    sink_t *s = user;
    if (s->sleep_ms_on_call) {
        struct timespec ts = {0, (long)s->sleep_ms_on_call * 1000000L};
        nanosleep(&ts, NULL);
    }
    pthread_mutex_lock(&s->lock);
    s->calls++;
    s->stream_count += call->stream_count;
    for (uint32_t i = 0; i < call->stream_count; i++)
        s->stream_packets += call->streams[i].stats.packets,
            s->stream_lost += rtp_stats_lost(&call->streams[i].stats),
            s->stream_reorders += call->streams[i].stats.out_of_order;
    pthread_mutex_unlock(&s->lock);
}

static void on_orphan(void *user, const corr_stream_t *st)
{
    sink_t *s = user;
    pthread_mutex_lock(&s->lock);
    s->orphans++;
    pthread_mutex_unlock(&s->lock);
}

static corr_sink_t make_sink(void *user, uint32_t shard)
{
    (void)shard;
    return (corr_sink_t){.on_call = on_call, .on_orphan_stream = on_orphan, .user = user};
}

static void submit(pl_t *pl, uint32_t producer, int64_t ts, endpoint_t src, endpoint_t dst,
                   const void *data, size_t len)
{
    datagram_t dg = {
        .ts_ns = ts, .src = src, .dst = dst, .transport = TRANSPORT_UDP, .data = data, .len = len};
    pl_submit(pl, producer, &dg);
}

static void sip(pl_t *pl, uint32_t producer, int64_t ts, bool from_a, const char *start,
                const char *cid, const char *cseq, const char *sdp_ip, int sdp_port)
{
    char sdp[256] = "", msg[2048];
    if (sdp_ip)
        snprintf(sdp, sizeof sdp,
                 "v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
                 "m=audio %d RTP/AVP 0\r\n",
                 sdp_ip, sdp_ip, sdp_port);
    int n = snprintf(msg, sizeof msg,
                     "%s\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK%s\r\n"
                     "From: <sip:alice@x>;tag=a1\r\nTo: <sip:bob@y>%s\r\nCall-ID: %s\r\n"
                     "CSeq: %s\r\n%sContent-Length: %zu\r\n\r\n%s",
                     start, cseq, strncmp(start, "INVITE", 6) ? ";tag=b1" : "", cid, cseq,
                     sdp_ip ? "Content-Type: application/sdp\r\n" : "", strlen(sdp), sdp);
    endpoint_t a = ts_ep("10.0.0.1", 5060), b = ts_ep("10.0.0.2", 5060);
    submit(pl, producer, ts, from_a ? a : b, from_a ? b : a, msg, (size_t)n);
}

static void rtp_len(pl_t *pl, uint32_t producer, int64_t ts, endpoint_t src, endpoint_t dst,
                    uint16_t seq, size_t len)
{
    uint8_t p[2048];
    memset(p, 0xd5, len);
    p[0] = 0x80, p[1] = 0;
    p[2] = (uint8_t)(seq >> 8), p[3] = (uint8_t)seq;
    uint32_t t = (uint32_t)seq * 160;
    p[4] = (uint8_t)(t >> 24), p[5] = (uint8_t)(t >> 16), p[6] = (uint8_t)(t >> 8),
    p[7] = (uint8_t)t;
    p[8] = 0x12, p[9] = 0x34, p[10] = 0x56, p[11] = 0x78;
    submit(pl, producer, ts, src, dst, p, len);
}

static void rtp(pl_t *pl, uint32_t producer, int64_t ts, endpoint_t src, endpoint_t dst,
                uint16_t seq)
{
    rtp_len(pl, producer, ts, src, dst, seq, 172);
}

static pl_config_t small_config(uint32_t shards, uint32_t producers, bool lossless)
{
    pl_config_t c = {.shards = shards, .producers = producers, .lossless = lossless};
    corr_config_default(&c.corr);
    c.corr.max_calls = 64;
    c.corr.max_streams = 256;
    c.corr.max_media_endpoints = 256;
    c.corr.max_orphan_flows = 64;
    c.corr.call_linger_ns = 0;
    return c;
}

/* Capture thread 0, which gets the SIP, runs behind capture thread 1,
 * which gets the RTP: thread 1 has the first 20 RTP packets of both
 * directions (t = 10..200 ms) before thread 0 has read the INVITE (t = 0)
 * and the 200 OK (t = 5) whose SDPs name their endpoints.  Routed at once
 * they would be orphans on the flow's shard; held back until thread 0 has
 * passed their capture time (or a new SDP was learnt), they reach the
 * call's shard: one call, two streams with every packet, no orphan.  The
 * route counters count each datagram once, by its final route. */
static void test_early_rtp_on_another_thread(void **state)
{
    (void)state;
    for (int round = 0; round < 20; round++) { /* different Call-IDs, shards */
        sink_t s = {.lock = PTHREAD_MUTEX_INITIALIZER};
        pl_config_t cfg = small_config(4, 2, true);
        char err[256], cid[32];
        snprintf(cid, sizeof cid, "early-%d@test", round);
        pl_t *pl = pl_new(&cfg, make_sink, NULL, &s, err, sizeof err);
        assert_non_null(pl);
        endpoint_t bm = ts_ep("10.2.0.2", 30000), am = ts_ep("10.1.0.1", 20000);
        for (int i = 0; i < 20; i++) {
            rtp(pl, 1, AT(10 + 10 * i), bm, am, (uint16_t)(100 + i));
            rtp(pl, 1, AT(11 + 10 * i), am, bm, (uint16_t)(500 + i));
        }
        pl_idle(pl, 1, AT(210)); /* thread 1 idle; thread 0 has shown nothing */
        sip(pl, 0, AT(0), true, "INVITE sip:bob@y SIP/2.0", cid, "1 INVITE", "10.1.0.1", 20000);
        sip(pl, 0, AT(5), false, "SIP/2.0 200 OK", cid, "1 INVITE", "10.2.0.2", 30000);
        sip(pl, 0, AT(6), true, "ACK sip:bob@y SIP/2.0", cid, "1 ACK", NULL, 0);
        pl_idle(pl, 1, AT(220)); /* new SDPs were learnt: the held packets go */
        sip(pl, 0, AT(300), true, "BYE sip:bob@y SIP/2.0", cid, "2 BYE", NULL, 0);
        sip(pl, 0, AT(301), false, "SIP/2.0 200 OK", cid, "2 BYE", NULL, 0);
        pl_producer_done(pl, 0);
        pl_producer_done(pl, 1);
        pl_join(pl);
        pl_stats_t ps;
        pl_stats(pl, &ps);
        assert_int_equal(s.calls, 1);
        assert_int_equal(s.orphans, 0);
        assert_int_equal(s.stream_count, 2);
        assert_int_equal(s.stream_packets, 40);
        assert_int_equal(ps.held, 40);
        assert_int_equal(ps.queue_drops, 0);
        assert_int_equal(ps.hold_overflows, 0);
        /* each datagram counts once, under its final route: the 40 held
         * RTP packets by SDP (not also by flow when they were held) */
        assert_int_equal(ps.datagrams, 45);
        assert_int_equal(ps.route.sip, 5);
        assert_int_equal(ps.route.media_by_sdp, 40);
        assert_int_equal(ps.route.by_flow, 0);
        assert_int_equal(ps.route.sip + ps.route.media_by_sdp + ps.route.by_flow, ps.datagrams);
        pl_free(pl);
    }
}

/* Capture thread 0 holds X1, Y and X2 (RTP no SDP named yet: X1 and X2
 * of flow X, Y of flow Y, whose time thread 1 has already passed) and is
 * passing its hold (an SDP of another call was learnt) when thread 1
 * learns the SDP of X's call: X1 went back (not named, not passed), Y is
 * being routed (by its flow), and X2 comes next.  Y's ring is full and
 * the shard waits for thread 1 (its merge), so thread 0 waits inside the
 * pass while thread 1's INVITE is routed.  X2, now named, must not
 * overtake X1: the call's stream sees 1, 2, 3, ... -- no reorder, no
 * negative loss. */
typedef struct {
    pl_t *pl;
    endpoint_t xa, xb, ya, yb;
} reorder_t;

static void *reorder_producer0(void *arg)
{
    reorder_t *r = arg;
    pl_t *pl = r->pl;
    rtp(pl, 0, AT(100), r->xa, r->xb, 1);         /* held: past the watermark */
    rtp_len(pl, 0, AT(50), r->ya, r->yb, 7, 400); /* held: no SDP yet */
    rtp(pl, 0, AT(101), r->xa, r->xb, 2);         /* held behind X1 */
    uint8_t filler[880];                          /* Y's flow, not RTP */
    memset(filler, 0, sizeof filler);
    for (int i = 0; i < 4; i++) /* fill Y's 4 KiB ring but for less than Y */
        submit(pl, 0, AT(102 + i), r->ya, r->yb, filler, sizeof filler);
    /* an SDP of another call: the pass starts, and waits on Y's ring */
    sip(pl, 0, AT(106), true, "INVITE sip:bob@y SIP/2.0", "other@test", "1 INVITE", "10.9.0.9",
        46000);
    for (int i = 3; i <= 10; i++)
        rtp(pl, 0, AT(100 + 10 * i), r->xa, r->xb, (uint16_t)i);
    pl_producer_done(pl, 0);
    return NULL;
}

static void test_hold_keeps_flow_order_when_sdp_learnt_mid_pass(void **state)
{
    (void)state;
    sink_t s = {.lock = PTHREAD_MUTEX_INITIALIZER};
    pl_config_t cfg = small_config(2, 2, true);
    cfg.queue_bytes = 4096;
    char err[256];
    pl_t *pl = pl_new(&cfg, make_sink, NULL, &s, err, sizeof err);
    assert_non_null(pl);
    reorder_t r = {pl, ts_ep("10.3.0.1", 40000), ts_ep("10.4.0.1", 41000), ts_ep("10.5.0.1", 42000),
                   ts_ep("10.6.0.1", 43000)};
    pl_idle(pl, 1, AT(60)); /* the watermark: Y (t = 50) is passed, X (100) not */
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, reorder_producer0, &r), 0);
    struct timespec nap = {0, 200 * 1000000L}; /* thread 0 waits in its pass */
    nanosleep(&nap, NULL);
    sip(pl, 1, AT(61), true, "INVITE sip:bob@y SIP/2.0", "x@test", "1 INVITE", "10.3.0.1", 40000);
    pl_idle(pl, 1, AT(150)); /* the shard takes thread 0's ring: Y goes, then X2 */
    assert_int_equal(pthread_join(t, NULL), 0);
    sip(pl, 1, AT(62), false, "SIP/2.0 200 OK", "x@test", "1 INVITE", "10.4.0.1", 41000);
    sip(pl, 1, AT(300), true, "BYE sip:bob@y SIP/2.0", "x@test", "2 BYE", NULL, 0);
    sip(pl, 1, AT(301), false, "SIP/2.0 200 OK", "x@test", "2 BYE", NULL, 0);
    pl_producer_done(pl, 1);
    pl_join(pl);
    pl_stats_t ps;
    pl_stats(pl, &ps);
    print_message("held %llu, stream packets %llu, lost %lld, reordered %llu\n",
                  (unsigned long long)ps.held, (unsigned long long)s.stream_packets,
                  (long long)s.stream_lost, (unsigned long long)s.stream_reorders);
    assert_true(ps.held >= 3);
    assert_int_equal(s.stream_packets, 10); /* X's 10 packets in x@test */
    assert_int_equal(s.stream_reorders, 0);
    assert_int_equal(s.stream_lost, 0);
    /* each datagram once, by its final route: Y and the fillers by flow */
    assert_int_equal(ps.datagrams, 20);
    assert_int_equal(ps.route.sip, 5);
    assert_int_equal(ps.route.media_by_sdp, 10);
    assert_int_equal(ps.route.by_flow, 5);
    pl_free(pl);
}

/* Live (not lossless), one 64 KiB ring, a correlator that stalls 400 ms
 * writing a call: the producer never waits, the datagrams that do not fit
 * are counted, and every datagram is either correlated or counted. */
static void test_stalled_shard_drops_and_counts(void **state)
{
    (void)state;
    sink_t s = {.lock = PTHREAD_MUTEX_INITIALIZER, .sleep_ms_on_call = 400};
    pl_config_t cfg = small_config(1, 1, false);
    cfg.queue_bytes = 64 << 10;
    char err[256];
    pl_t *pl = pl_new(&cfg, make_sink, NULL, &s, err, sizeof err);
    assert_non_null(pl);
    sip(pl, 0, AT(0), true, "INVITE sip:bob@y SIP/2.0", "stall", "1 INVITE", NULL, 0);
    sip(pl, 0, AT(1), false, "SIP/2.0 486 Busy Here", "stall", "1 INVITE", NULL, 0);
    uint64_t submitted = 2;
    /* the next expiry point (100 ms later) ends the call: the shard sleeps */
    int64_t t0 = clock_mono_ns();
    for (int i = 0; i < 20000; i++) {
        char cid[32];
        snprintf(cid, sizeof cid, "opt-%d", i);
        sip(pl, 0, AT(200), true, "OPTIONS sip:bob@y SIP/2.0", cid, "1 OPTIONS", NULL, 0);
        submitted++;
    }
    int64_t took = clock_mono_ns() - t0;
    pl_producer_done(pl, 0);
    pl_join(pl);
    pl_stats_t ps;
    pl_stats(pl, &ps);
    corr_stats_t cs;
    pl_corr_stats(pl, &cs);
    print_message("submitted %llu, correlated %llu SIP messages, dropped %llu, producer %.1f ms\n",
                  (unsigned long long)submitted, (unsigned long long)cs.sip_messages,
                  (unsigned long long)ps.queue_drops, (double)took / 1e6);
    assert_int_equal(s.calls, 1);
    assert_true(ps.queue_drops > 0);
    assert_int_equal(cs.sip_messages + ps.queue_drops, submitted);
    assert_int_equal(ps.datagrams, submitted);
    assert_true(took < 400 * NS_PER_MSEC); /* it never waited for the shard */
    pl_free(pl);
}

static void test_bad_config(void **state)
{
    (void)state;
    char err[256];
    pl_config_t cfg = small_config(0, 1, true);
    assert_null(pl_new(&cfg, make_sink, NULL, NULL, err, sizeof err));
    assert_non_null(strstr(err, "shards"));
    cfg = small_config(1, PL_MAX_THREADS + 1, true);
    assert_null(pl_new(&cfg, make_sink, NULL, NULL, err, sizeof err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_early_rtp_on_another_thread),
        cmocka_unit_test(test_hold_keeps_flow_order_when_sdp_learnt_mid_pass),
        cmocka_unit_test(test_stalled_shard_drops_and_counts),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
