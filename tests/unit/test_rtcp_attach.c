/* test_rtcp_attach.c - RTCP contents attached to streams (rtcp_attach.c):
 * SR/RR report blocks by SSRC, RTT from LSR/DLSR against the captured SR,
 * SDES CNAME, BYE, XR VoIP Metrics / Statistics Summary, RTCP on port+1
 * and multiplexed (a=rtcp-mux), orphan RTCP, and the nDPI capture with
 * several RTCP packets per datagram. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "corr_pcapfeed.h"
#include "corr_testlib.h"

static test_sink_t sink;

/* byte builder */
typedef struct {
    uint8_t b[512];
    size_t n;
} pk_t;

static void u8(pk_t *p, unsigned v)
{
    p->b[p->n++] = (uint8_t)v;
}
static void u16(pk_t *p, unsigned v)
{
    u8(p, v >> 8), u8(p, v);
}
static void u32(pk_t *p, uint32_t v)
{
    u16(p, v >> 16), u16(p, v & 0xffff);
}
/* fixes the length field of the packet that starts at off */
static void close_pkt(pk_t *p, size_t off)
{
    size_t words = (p->n - off) / 4 - 1;
    p->b[off + 2] = (uint8_t)(words >> 8);
    p->b[off + 3] = (uint8_t)words;
}

#define NTP_MSW 0x12345678u
#define NTP_LSW 0x9abcdef0u
#define MID32   0x56789abcu

static void sr_with_cname(pk_t *p, uint32_t ssrc, const char *cname)
{
    size_t o = p->n;
    u8(p, 0x80), u8(p, 200), u16(p, 0), u32(p, ssrc);
    u32(p, NTP_MSW), u32(p, NTP_LSW), u32(p, 160000), u32(p, 50), u32(p, 8000);
    close_pkt(p, o);
    o = p->n;
    u8(p, 0x81), u8(p, 202), u16(p, 0), u32(p, ssrc);
    size_t l = strlen(cname);
    u8(p, 1), u8(p, (unsigned)l);
    memcpy(p->b + p->n, cname, l), p->n += l;
    u8(p, 0);
    while (p->n % 4)
        u8(p, 0);
    close_pkt(p, o);
}

static void rr(pk_t *p, uint32_t ssrc, uint32_t about, uint8_t fraction, uint32_t cum,
               uint32_t jitter, uint32_t lsr, uint32_t dlsr)
{
    size_t o = p->n;
    u8(p, 0x81), u8(p, 201), u16(p, 0), u32(p, ssrc);
    u32(p, about), u8(p, fraction), u8(p, cum >> 16), u16(p, cum & 0xffff);
    u32(p, 0x00010064), u32(p, jitter), u32(p, lsr), u32(p, dlsr);
    close_pkt(p, o);
}

static void xr_voip(pk_t *p, uint32_t ssrc, uint32_t about, uint8_t r, uint8_t mos)
{
    size_t o = p->n;
    u8(p, 0x80), u8(p, 207), u16(p, 0), u32(p, ssrc);
    u8(p, 7), u8(p, 0), u16(p, 8), u32(p, about);
    u8(p, 13), u8(p, 0), u8(p, 0), u8(p, 0); /* loss 13/256 */
    u16(p, 0), u16(p, 400), u16(p, 60), u16(p, 35);
    u8(p, 127), u8(p, 127), u8(p, 127), u8(p, 16);
    u8(p, r), u8(p, 127), u8(p, mos), u8(p, 127);
    u8(p, 0xf0), u8(p, 0), u16(p, 40), u16(p, 80), u16(p, 200);
    close_pkt(p, o);
}

static void xr_stats(pk_t *p, uint32_t ssrc, uint32_t about)
{
    size_t o = p->n;
    u8(p, 0x80), u8(p, 207), u16(p, 0), u32(p, ssrc);
    u8(p, 6), u8(p, 0xe0), u16(p, 9), u32(p, about); /* L D J flags */
    u16(p, 100), u16(p, 150), u32(p, 3), u32(p, 1);
    u32(p, 8), u32(p, 80), u32(p, 40), u32(p, 16), u32(p, 0); /* jitter, TTL */
    close_pkt(p, o);
}

/* an empty RR (a compound starts with SR/RR) and a BYE */
static void bye(pk_t *p, uint32_t ssrc)
{
    size_t o = p->n;
    u8(p, 0x80), u8(p, 201), u16(p, 0), u32(p, ssrc);
    close_pkt(p, o);
    o = p->n;
    u8(p, 0x81), u8(p, 203), u16(p, 0), u32(p, ssrc);
    close_pkt(p, o);
}

static void send(corr_t *c, double ms, const char *sip, uint16_t sp, const char *dip, uint16_t dp,
                 const pk_t *p)
{
    ts_feed(c, AT(ms), ts_ep(sip, sp), ts_ep(dip, dp), TRANSPORT_UDP, p->b, p->n);
}

static void setup_call(corr_t *c, const char *cid, const char *extra)
{
    char sa[512], sb[512];
    ts_invite(c, 0, cid, 1, "ft", NULL, "b1", ts_sdp(sa, sizeof sa, "10.0.0.1", 40000, extra));
    ts_resp(c, 1000, 200, "OK", cid, 1, "INVITE", "ft", "tt", NULL,
            ts_sdp(sb, sizeof sb, "10.0.0.2", 50000, extra));
    ts_req_caller(c, 1010, "ACK", cid, 1, "ft", "tt", NULL, NULL);
}

static const corr_stream_t *by_ssrc(const corr_call_t *k, uint32_t ssrc)
{
    for (uint32_t i = 0; i < k->stream_count; i++)
        if (k->streams[i].ssrc == ssrc) return &k->streams[i];
    return NULL;
}

/* A sends RTP and an SR; B answers with an RR about A 150 ms later whose
 * DLSR says it held the SR 100 ms: RTT 50 ms at the capture point. */
static void run_call(bool mux)
{
    corr_t *c = ts_new(&sink, NULL);
    setup_call(c, "rtcp1", mux ? "a=rtcp-mux\n" : NULL);
    uint16_t pa = mux ? 40000 : 40001, pb = mux ? 50000 : 50001;
    ts_rtp_run(c, 1100, "10.0.0.1", 40000, "10.0.0.2", 50000, 0xAAAA, 100, 100);
    ts_rtp_run(c, 1105, "10.0.0.2", 50000, "10.0.0.1", 40000, 0xBBBB, 7000, 100);
    pk_t p = {.n = 0};
    sr_with_cname(&p, 0xAAAA, "alice@host-a");
    send(c, 2000, "10.0.0.1", pa, "10.0.0.2", pb, &p);
    p.n = 0;
    rr(&p, 0xBBBB, 0xAAAA, 64, 3, 80, MID32, 6554);
    xr_voip(&p, 0xBBBB, 0xAAAA, 85, 41);
    xr_stats(&p, 0xBBBB, 0xAAAA);
    send(c, 2150, "10.0.0.2", pb, "10.0.0.1", pa, &p);
    /* an RR whose LSR matches no captured SR: figures, but no RTT */
    p.n = 0;
    rr(&p, 0xBBBB, 0xAAAA, 0, 4, 160, 0x11112222, 100);
    send(c, 3150, "10.0.0.2", pb, "10.0.0.1", pa, &p);
    p.n = 0;
    bye(&p, 0xAAAA);
    send(c, 3200, "10.0.0.1", pa, "10.0.0.2", pb, &p);
    ts_req_caller(c, 4000, "BYE", "rtcp1", 2, "ft", "tt", NULL, NULL);
    corr_flush(c);

    assert_int_equal(sink.ncalls, 1);
    const corr_call_t *k = &sink.calls[0];
    assert_int_equal(k->rtcp_packets, 4);
    const corr_stream_t *a = by_ssrc(k, 0xAAAA), *b = by_ssrc(k, 0xBBBB);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->rtcp.sender_reports, 1);
    assert_int_equal(a->rtcp.reports, 2);
    assert_string_equal(a->rtcp.cname, "alice@host-a");
    assert_int_equal(a->rtcp.cumulative_lost, 4); /* the last block */
    assert_true(a->rtcp.fraction_lost_pct == 0.0);
    assert_true(a->rtcp.jitter_ms > 19.99 && a->rtcp.jitter_ms < 20.01); /* 160 / 8 kHz */
    assert_int_equal(a->rtcp.rtt_count, 1);
    assert_true(a->rtcp.rtt_last_ms > 49.9 && a->rtcp.rtt_last_ms < 50.1);
    assert_true(a->rtcp_rtt_ms > 49.9 && a->rtcp_rtt_ms < 50.1);
    assert_int_equal(a->rtcp.byes, 1);
    assert_true(a->rtcp.have_xr_voip);
    assert_int_equal(a->rtcp.xr_voip.r_factor, 85);
    assert_int_equal(a->rtcp.xr_voip.ext_r_factor, -1);
    assert_true(a->rtcp.xr_voip.mos_lq > 4.09 && a->rtcp.xr_voip.mos_lq < 4.11);
    assert_true(a->rtcp.xr_voip.mos_cq < 0); /* 127: unavailable */
    assert_true(a->rtcp.xr_voip.loss_rate_pct > 5.0 && a->rtcp.xr_voip.loss_rate_pct < 5.1);
    assert_int_equal(a->rtcp.xr_voip.round_trip_ms, 60);
    assert_int_equal(a->rtcp.xr_voip.jb_nominal_ms, 40);
    assert_true(a->rtcp.have_xr_stats);
    assert_int_equal(a->rtcp.xr_stats.lost_packets, 3);
    assert_true(a->rtcp.xr_stats.max_jitter_ms > 9.99 && a->rtcp.xr_stats.max_jitter_ms < 10.01);
    assert_int_equal(b->rtcp.receiver_reports, 2);
    assert_int_equal(b->rtcp.xr_packets, 2);
    assert_int_equal(b->rtcp.reports, 0);
    assert_true(b->rtcp_rtt_ms < 0);
    corr_free(c);
}

static void test_port_plus_one(void **state)
{
    (void)state;
    run_call(false);
}

static void test_rtcp_mux(void **state)
{
    (void)state;
    run_call(true);
}

/* RTCP to an address no SDP named: RTCP-only orphan entries that still
 * carry the report blocks and the round trip. */
static void test_orphan_rtcp(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    pk_t p = {.n = 0};
    sr_with_cname(&p, 0xA1, "a");
    send(c, 0, "192.0.2.1", 7001, "192.0.2.2", 9001, &p);
    p.n = 0;
    rr(&p, 0xB2, 0xA1, 128, 10, 0, MID32, 65536); /* held 1 s, sent 1.02 s later */
    send(c, 1020, "192.0.2.2", 9001, "192.0.2.1", 7001, &p);
    corr_flush(c);
    assert_int_equal(corr_stats(c)->rtcp_orphan, 2);
    assert_int_equal(sink.norphans, 2);
    const corr_stream_t *a = sink.orphans[0].ssrc == 0xA1 ? &sink.orphans[0] : &sink.orphans[1];
    assert_int_equal(a->ssrc, 0xA1);
    assert_string_equal(a->orphan_proto, "RTCP");
    assert_int_equal(a->stats.packets, 0);
    assert_int_equal(a->rtcp.reports, 1);
    assert_true(a->rtcp.fraction_lost_pct == 50.0);
    assert_true(a->rtcp.jitter_ms < 0); /* no clock without RTP */
    assert_true(a->rtcp_rtt_ms > 19.9 && a->rtcp_rtt_ms < 20.1);
    corr_free(c);
}

/* A packet whose report count does not fit its length after a valid one:
 * the valid part is used, the datagram counted invalid. */
static void test_truncated_compound(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    setup_call(c, "rtcp1", NULL);
    ts_rtp_run(c, 1100, "10.0.0.1", 40000, "10.0.0.2", 50000, 0xAAAA, 100, 10);
    pk_t p = {.n = 0};
    rr(&p, 0xBBBB, 0xAAAA, 0, 1, 8, 0, 0);
    size_t bad = p.n;
    rr(&p, 0xBBBB, 0xAAAA, 0, 1, 8, 0, 0);
    p.b[bad] = 0x82; /* RC 2, room for one block */
    send(c, 2000, "10.0.0.2", 50001, "10.0.0.1", 40001, &p);
    corr_flush(c);
    assert_int_equal(corr_stats(c)->rtcp_invalid, 1);
    const corr_stream_t *a = by_ssrc(&sink.calls[0], 0xAAAA);
    assert_non_null(a);
    assert_int_equal(a->rtcp.reports, 1);
    corr_free(c);
}

/* nDPI's capture: SR+SDES and RR+SDES compounds, RTCP only.  The RR at
 * +4.028 s answers the SR at 0 s (DLSR 263452/65536 s): RTT ~8.16 ms. */
static void test_ndpi_capture(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    long n = pf_feed(c, SHARED_DIR "/data/pcaps/ndpi_rtcp_multiple_pkts_in_the_same_datagram.pcap");
    assert_int_equal(n, 5);
    assert_int_equal(sink.norphans, 2);
    const corr_stream_t *sr = NULL, *rr_ = NULL;
    for (int i = 0; i < sink.norphans; i++) {
        if (sink.orphans[i].ssrc == 0x5d931534) sr = &sink.orphans[i];
        if (sink.orphans[i].ssrc == 0x01932db4) rr_ = &sink.orphans[i];
    }
    assert_non_null(sr);
    assert_non_null(rr_);
    assert_int_equal(sr->rtcp.sender_reports, 3);
    assert_int_equal(sr->rtcp.reports, 1);
    assert_int_equal(sr->rtcp.rtt_count, 1);
    assert_true(sr->rtcp_rtt_ms > 8.1 && sr->rtcp_rtt_ms < 8.2);
    assert_string_equal(sr->rtcp.cname, "5d931534");
    assert_int_equal(rr_->rtcp.receiver_reports, 2);
    assert_int_equal(rr_->rtcp.reports, 2); /* blocks inside the SRs */
    assert_string_equal(rr_->rtcp.cname, "1932db4");
    corr_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_port_plus_one), cmocka_unit_test(test_rtcp_mux),
        cmocka_unit_test(test_orphan_rtcp),   cmocka_unit_test(test_truncated_compound),
        cmocka_unit_test(test_ndpi_capture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
