/* test_correlator_orphan.c - orphan media (correlator/orphan.c): UDP flows
 * with no SIP/SDP classified by nDPI and reported as orphan streams.  Uses
 * hand-made RTP and the RTP-only capture sipp_g711a.pcap from the shared
 * data (read here with a minimal classic-pcap/Ethernet/IPv4/UDP reader),
 * whose figures are checked against tshark 4.0.17:
 *   tshark -n -q -r sipp_g711a.pcap -o rtp.heuristic_rtp:TRUE -z rtp,streams
 *   10.1.3.143:5000 -> 10.1.6.18:2006 0xDEE0EE8F g711A 236 pkts, lost 0,
 *   delta 25.112/29.998/34.829, jitter 0.002/0.350/0.829 ms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "../../correlator/correlator_internal.h"
#include "corr_testlib.h"

static test_sink_t sink;

static uint32_t rd32(const uint8_t *p, bool swap)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return swap ? __builtin_bswap32(v) : v;
}

/* Feeds every Ethernet/IPv4/UDP packet of a classic pcap; returns count. */
static int feed_pcap(corr_t *c, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    uint8_t gh[24], ph[16];
    static uint8_t pkt[65536];
    int n = 0;
    if (fread(gh, 1, 24, f) != 24) goto out;
    bool swap = rd32(gh, false) == 0xd4c3b2a1;
    bool nano = rd32(gh, swap) == 0xa1b23c4d;
    while (fread(ph, 1, 16, f) == 16) {
        uint32_t caplen = rd32(ph + 8, swap);
        if (caplen > sizeof pkt || fread(pkt, 1, caplen, f) != caplen) break;
        int64_t ts = (int64_t)rd32(ph, swap) * NS_PER_SEC +
                     (int64_t)rd32(ph + 4, swap) * (nano ? 1 : NS_PER_USEC);
        if (caplen < 14 + 20 + 8 || pkt[12] != 0x08 || pkt[13] != 0x00) continue;
        const uint8_t *ip = pkt + 14;
        size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
        if ((ip[0] >> 4) != 4 || ip[9] != 17 || 14 + ihl + 8 > caplen) continue;
        const uint8_t *udp = ip + ihl;
        size_t ulen = (size_t)(udp[4] << 8 | udp[5]);
        if (ulen < 8 || 14 + ihl + ulen > caplen) continue;
        endpoint_t src, dst;
        memset(&src, 0, sizeof src);
        memset(&dst, 0, sizeof dst);
        ip_addr_set_v4(&src.ip, ip + 12);
        ip_addr_set_v4(&dst.ip, ip + 16);
        src.port = (uint16_t)(udp[0] << 8 | udp[1]);
        dst.port = (uint16_t)(udp[2] << 8 | udp[3]);
        ts_feed(c, ts, src, dst, TRANSPORT_UDP, udp + 8, ulen - 8);
        n++;
    }
out:
    fclose(f);
    return n;
}

static void test_sipp_g711a_orphan(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    int n = feed_pcap(c, SHARED_DIR "/data/pcaps/sipp_g711a.pcap");
    assert_int_equal(n, 236);
    corr_flush(c);
    assert_int_equal(sink.ncalls, 0);
    assert_int_equal(sink.norphans, 1);
    const corr_stream_t *s = &sink.orphans[0];
    assert_string_equal(s->orphan_proto, "RTP");
    assert_string_equal(s->call_id, "");
    assert_int_equal(s->ssrc, 0xDEE0EE8F);
    assert_string_equal(s->codec, "PCMA");
    assert_int_equal(s->stats.packets, 236);
    assert_int_equal(rtp_stats_lost_wireshark(&s->stats), 0);
    assert_true(fabs(s->stats.delta_min_ms - 25.112) < 0.0015);
    assert_true(fabs(rtp_stats_delta_mean_ms(&s->stats) - 29.998) < 0.0015);
    assert_true(fabs(s->stats.delta_max_ms - 34.829) < 0.0015);
    assert_true(fabs(s->stats.jitter_min_ms - 0.002) < 0.0015);
    assert_true(fabs(rtp_stats_jitter_mean_ms(&s->stats) - 0.350) < 0.0015);
    assert_true(fabs(s->stats.jitter_max_ms - 0.829) < 0.0015);
    const corr_stats_t *st = corr_stats(c);
    assert_int_equal(st->orphan_streams, 1);
    assert_int_equal(st->orphan_flows_media, 1);
    corr_free(c);
}

/* Hand-made RTP between unknown endpoints, and a non-RTP flow. */
static void test_crafted_orphan_and_junk(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    ts_rtp_run(c, 0, "192.0.2.10", 16384, "198.51.100.7", 17000, 0x1234, 500, 40);
    for (int i = 0; i < 20; i++) {
        char junk[64];
        int len = snprintf(junk, sizeof junk, "hello %d, this is not media at all", i);
        ts_feed(c, AT(i * 10), ts_ep("192.0.2.20", 9999), ts_ep("192.0.2.21", 9998), TRANSPORT_UDP,
                junk, (size_t)len);
    }
    corr_flush(c);
    assert_int_equal(sink.norphans, 1);
    assert_int_equal(sink.orphans[0].stats.packets, 40);
    assert_string_equal(sink.orphans[0].codec, "PCMU");
    assert_true(sink.orphans[0].orphan_proto[0] != '\0');
    assert_true(corr_stats(c)->udp_unclaimed >= 20);
    corr_free(c);
}

/* An orphan stream is emitted once silent for orphan_idle_timeout_ns. */
static void test_orphan_idle(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    ts_rtp_run(c, 0, "192.0.2.10", 16384, "198.51.100.7", 17000, 0x99, 1, 30);
    corr_expire(c, AT(580 + 59000));
    assert_int_equal(sink.norphans, 0);
    corr_expire(c, AT(580 + 60000));
    assert_int_equal(sink.norphans, 1);
    corr_flush(c);
    assert_int_equal(sink.norphans, 1);
    corr_free(c);
}

/* Classification off: unclaimed UDP is only counted. */
static void test_classification_off(void **state)
{
    (void)state;
    corr_config_t cfg;
    corr_config_default(&cfg);
    cfg.max_calls = cfg.max_streams = cfg.max_media_endpoints = cfg.max_orphan_flows = 16;
    cfg.classify_orphans = false;
    corr_t *c = ts_new(&sink, &cfg);
    ts_rtp_run(c, 0, "192.0.2.10", 16384, "198.51.100.7", 17000, 0x99, 1, 30);
    corr_flush(c);
    assert_int_equal(sink.norphans, 0);
    assert_int_equal(corr_stats(c)->udp_unclaimed, 30);
    corr_free(c);
}

/* nDPI's detection module (~100,000 allocations, ~45 ms of CPU to load)
 * is opened by the first unclaimed datagram: a call whose media all
 * matches its SDP never pays for it, and the first orphan still gets
 * classified from its first packet. */
static void test_ndpi_opened_on_demand(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    assert_null(c->ndpi);
    char sa[512], sb[512];
    ts_invite(c, 0, "od", 1, "ft", NULL, "b1", ts_sdp(sa, sizeof sa, "10.0.0.1", 40000, NULL));
    ts_resp(c, 100, 200, "OK", "od", 1, "INVITE", "ft", "tt", NULL,
            ts_sdp(sb, sizeof sb, "10.0.0.2", 50000, NULL));
    ts_req_caller(c, 150, "ACK", "od", 1, "ft", "tt", NULL, NULL);
    ts_rtp_run(c, 200, "10.0.0.1", 40000, "10.0.0.2", 50000, 0x11, 1, 50);
    ts_rtp_run(c, 200, "10.0.0.2", 50000, "10.0.0.1", 40000, 0x22, 1, 50);
    ts_req_caller(c, 1300, "BYE", "od", 2, "ft", "tt", NULL, NULL);
    ts_resp(c, 1310, 200, "OK", "od", 2, "BYE", "ft", "tt", NULL, NULL);
    assert_int_equal(corr_stats(c)->rtp_packets, 100);
    assert_int_equal(corr_stats(c)->udp_unclaimed, 0);
    assert_null(c->ndpi);

    ts_rtp_run(c, 2000, "192.0.2.10", 16384, "198.51.100.7", 17000, 0x1234, 500, 40);
    assert_non_null(c->ndpi);
    corr_flush(c);
    assert_int_equal(sink.ncalls, 1);
    assert_int_equal(sink.norphans, 1);
    assert_int_equal(sink.orphans[0].stats.packets, 40);
    assert_string_equal(sink.orphans[0].orphan_proto, "RTP");
    corr_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sipp_g711a_orphan),
        cmocka_unit_test(test_crafted_orphan_and_junk),
        cmocka_unit_test(test_orphan_idle),
        cmocka_unit_test(test_classification_off),
        cmocka_unit_test(test_ndpi_opened_on_demand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
