/* test_router.c - corr_route (correlator/router.c): which shard owns a
 * datagram.  Every message of a Call-ID lands on one shard; the media an
 * SDP names (RTP port, RTCP on port+1 or a=rtcp, rtcp-mux) follows its
 * call whichever direction it flows; flows nobody named are spread by a
 * hash that both directions share; an RTP stream stays on the shard its
 * first packet went to; an RFC 6035 report follows the call it
 * reports on; with one shard everything is shard 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "corr_testlib.h" /* ts_ep */

#define SHARDS 7

static datagram_t dg_of(const char *text, endpoint_t src, endpoint_t dst)
{
    return (datagram_t){.ts_ns = 1,
                        .src = src,
                        .dst = dst,
                        .transport = TRANSPORT_UDP,
                        .data = (const uint8_t *)text,
                        .len = strlen(text)};
}

static char msgbuf[4096];

/* An INVITE (or 200) of call cid whose SDP offers media at ip:port. */
static const char *sip_with_sdp(const char *start, const char *cid, const char *ip, int port,
                                const char *extra)
{
    char sdp[512];
    snprintf(sdp, sizeof sdp,
             "v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
             "m=audio %d RTP/AVP 0\r\n%s",
             ip, ip, port, extra);
    snprintf(msgbuf, sizeof msgbuf,
             "%s\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\n"
             "To: <sip:b@y>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\n"
             "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
             start, cid, strlen(sdp), sdp);
    return msgbuf;
}

static const char *sip_plain(const char *start, const char *cid, const char *cseq)
{
    snprintf(msgbuf, sizeof msgbuf,
             "%s\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK2\r\nFrom: <sip:a@x>;tag=1\r\n"
             "To: <sip:b@y>;tag=2\r\nCall-ID: %s\r\nCSeq: %s\r\nContent-Length: 0\r\n\r\n",
             start, cid, cseq);
    return msgbuf;
}

static const uint8_t rtp_pkt[12] = {0x80, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 42};
/* an RR with one report block (RTCP shorter than 12 bytes is not media) */
static const uint8_t rtcp_rr[32] = {0x81, 201, 0, 7, 0, 0, 0, 42, 0, 0, 0, 43};

static uint32_t route_bytes(corr_route_ctx_t *x, const uint8_t *p, size_t n, endpoint_t s,
                            endpoint_t d)
{
    datagram_t dg = {
        .ts_ns = 1, .src = s, .dst = d, .transport = TRANSPORT_UDP, .data = p, .len = n};
    return corr_route(x, &dg);
}

static uint32_t route_text(corr_route_ctx_t *x, const char *t, endpoint_t s, endpoint_t d)
{
    datagram_t dg = dg_of(t, s, d);
    return corr_route(x, &dg);
}

static void test_call_and_media_meet(void **state)
{
    (void)state;
    corr_router_t *r = corr_router_new(SHARDS, 1024);
    corr_route_ctx_t *x = corr_route_ctx_new(r), *y = corr_route_ctx_new(r);
    endpoint_t pa = ts_ep("10.0.0.1", 5060), pb = ts_ep("10.0.0.2", 5060);
    int hits[SHARDS] = {0};
    for (int i = 0; i < 40; i++) {
        char cid[32];
        snprintf(cid, sizeof cid, "call-%d@test", i);
        uint16_t port_a = (uint16_t)(20000 + 4 * i), port_b = (uint16_t)(30000 + 4 * i);
        uint32_t s = route_text(
            x, sip_with_sdp("INVITE sip:b@y SIP/2.0", cid, "10.1.0.1", port_a, ""), pa, pb);
        assert_true(s < SHARDS);
        hits[s]++;
        /* the answer, an ACK and a BYE: same shard, whichever thread routes */
        assert_int_equal(
            route_text(y, sip_with_sdp("SIP/2.0 200 OK", cid, "10.2.0.1", port_b, "a=rtcp-mux\r\n"),
                       pb, pa),
            s);
        assert_int_equal(route_text(x, sip_plain("ACK sip:b@y SIP/2.0", cid, "1 ACK"), pa, pb), s);
        assert_int_equal(route_text(y, sip_plain("BYE sip:a@x SIP/2.0", cid, "2 BYE"), pb, pa), s);
        /* media both ways (by destination, and symmetric-RTP by source) */
        endpoint_t ma = ts_ep("10.1.0.1", port_a), mb = ts_ep("10.2.0.1", port_b);
        endpoint_t nat = ts_ep("192.0.2.9", 40000); /* a NATed source nobody advertised */
        assert_int_equal(route_bytes(y, rtp_pkt, sizeof rtp_pkt, mb, ma), s);
        assert_int_equal(route_bytes(x, rtp_pkt, sizeof rtp_pkt, ma, mb), s);
        assert_int_equal(route_bytes(x, rtp_pkt, sizeof rtp_pkt, nat, ma), s);
        assert_int_equal(route_bytes(x, rtp_pkt, sizeof rtp_pkt, ma, nat), s);
        /* RTCP: the offer's port+1; the answer uses rtcp-mux (same port) */
        assert_int_equal(
            route_bytes(x, rtcp_rr, sizeof rtcp_rr, nat, ts_ep("10.1.0.1", port_a + 1)), s);
        assert_int_equal(route_bytes(x, rtcp_rr, sizeof rtcp_rr, nat, mb), s);
    }
    /* 40 calls over 7 shards: the hash spreads them */
    int used = 0;
    for (int i = 0; i < SHARDS; i++)
        used += hits[i] > 0;
    assert_true(used >= 5);
    assert_int_equal(corr_route_ctx_stats(x)->endpoints_replaced, 0);
    assert_true(corr_route_ctx_stats(x)->media_by_sdp >= 40 * 5);
    corr_route_ctx_free(x);
    corr_route_ctx_free(y);
    corr_router_free(r);
}

static void test_a_rtcp_and_latest_sdp_wins(void **state)
{
    (void)state;
    corr_router_t *r = corr_router_new(SHARDS, 64);
    corr_route_ctx_t *x = corr_route_ctx_new(r);
    endpoint_t pa = ts_ep("10.0.0.1", 5060), pb = ts_ep("10.0.0.2", 5060),
               far = ts_ep("10.9.9.9", 7000);
    uint32_t s1 = route_text(
        x, sip_with_sdp("INVITE sip:b@y SIP/2.0", "one", "10.1.0.1", 4000, "a=rtcp:4100\r\n"), pa,
        pb);
    assert_int_equal(route_bytes(x, rtcp_rr, sizeof rtcp_rr, far, ts_ep("10.1.0.1", 4100)), s1);
    /* find a second call on another shard that reuses the port */
    char cid[32];
    uint32_t s2 = s1;
    for (int i = 0; s2 == s1; i++) {
        snprintf(cid, sizeof cid, "two-%d", i);
        s2 = route_text(x, sip_plain("OPTIONS sip:b@y SIP/2.0", cid, "1 OPTIONS"), pa, pb);
    }
    assert_int_equal(
        route_text(x, sip_with_sdp("INVITE sip:b@y SIP/2.0", cid, "10.1.0.1", 4000, ""), pa, pb),
        s2);
    assert_int_equal(route_bytes(x, rtp_pkt, sizeof rtp_pkt, far, ts_ep("10.1.0.1", 4000)), s2);
    corr_route_ctx_free(x);
    corr_router_free(r);
}

static void test_flows_and_vq(void **state)
{
    (void)state;
    corr_router_t *r = corr_router_new(SHARDS, 64);
    corr_route_ctx_t *x = corr_route_ctx_new(r);
    /* unnamed flows: both directions agree, for RTP and for other UDP */
    for (int i = 0; i < 50; i++) {
        endpoint_t a = ts_ep("172.16.0.1", (uint16_t)(1000 + i)), b = ts_ep("172.16.5.5", 9999);
        assert_int_equal(route_bytes(x, rtp_pkt, sizeof rtp_pkt, a, b),
                         route_bytes(x, rtp_pkt, sizeof rtp_pkt, b, a));
        static const uint8_t junk[20] = "hello, not SIP at al";
        assert_int_equal(route_bytes(x, junk, sizeof junk, a, b),
                         route_bytes(x, junk, sizeof junk, b, a));
    }
    /* an RFC 6035 PUBLISH goes where the reported call is */
    endpoint_t pa = ts_ep("10.0.0.1", 5060), pb = ts_ep("10.0.0.2", 5060);
    uint32_t call_shard =
        route_text(x, sip_plain("BYE sip:b@y SIP/2.0", "reported-call", "2 BYE"), pa, pb);
    const char *body = "VQSessionReport: CallTerm\r\nCallID: reported-call\r\n"
                       "LocalID: <sip:a@x>\r\nRemoteID: <sip:b@y>\r\n"
                       "OrigID: <sip:a@x>\r\nLocalAddr: IP=10.1.0.1 PORT=4000 SSRC=0x1\r\n"
                       "RemoteAddr: IP=10.2.0.1 PORT=5000 SSRC=0x2\r\n";
    char pub[2048];
    uint32_t own = call_shard;
    char cid[32];
    for (int i = 0; own == call_shard; i++) { /* the PUBLISH's own Call-ID elsewhere */
        snprintf(cid, sizeof cid, "publish-%d", i);
        own = route_text(x, sip_plain("OPTIONS sip:b@y SIP/2.0", cid, "1 OPTIONS"), pa, pb);
    }
    snprintf(pub, sizeof pub,
             "PUBLISH sip:collector@x SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK9\r\n"
             "From: <sip:a@x>;tag=1\r\nTo: <sip:collector@x>\r\nCall-ID: %s\r\n"
             "CSeq: 1 PUBLISH\r\nEvent: vq-rtcpxr\r\nContent-Type: application/vq-rtcpxr\r\n"
             "Content-Length: %zu\r\n\r\n%s",
             cid, strlen(body), body);
    assert_int_equal(route_text(x, pub, pa, pb), call_shard);
    corr_route_ctx_free(x);
    corr_router_free(r);
}

/* A UAS answering every call from one media port: once a stream of the
 * first call has its shard, a later SDP naming that port for a call on
 * another shard takes the new call's streams, not the old one's (as the
 * correlator keeps a stream with the call it was attached to). */
static void test_stream_stays(void **state)
{
    (void)state;
    corr_router_t *r = corr_router_new(SHARDS, 64);
    corr_route_ctx_t *x = corr_route_ctx_new(r);
    endpoint_t pa = ts_ep("10.0.0.1", 5060), pb = ts_ep("10.0.0.2", 5060),
               uas = ts_ep("10.9.9.9", 30000), ua = ts_ep("10.1.0.1", 4000),
               ub = ts_ep("10.1.0.2", 4000);
    uint32_t s1 =
        route_text(x, sip_with_sdp("SIP/2.0 200 OK", "one", "10.9.9.9", 30000, ""), pb, pa);
    uint8_t a[12] = {0x80, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0xa1};
    uint8_t b[12] = {0x80, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0xb2};
    assert_int_equal(route_bytes(x, a, sizeof a, uas, ua), s1);
    char cid[32];
    uint32_t s2 = s1;
    for (int i = 0; s2 == s1; i++) {
        snprintf(cid, sizeof cid, "two-%d", i);
        s2 = route_text(x, sip_plain("OPTIONS sip:b@y SIP/2.0", cid, "1 OPTIONS"), pa, pb);
    }
    assert_int_equal(
        route_text(x, sip_with_sdp("SIP/2.0 200 OK", cid, "10.9.9.9", 30000, ""), pb, pa), s2);
    assert_int_equal(route_bytes(x, a, sizeof a, uas, ua), s1); /* placed before */
    assert_int_equal(route_bytes(x, b, sizeof b, uas, ub), s2); /* new: the latest SDP */
    assert_int_equal(route_bytes(x, b, sizeof b, uas, ub), s2);
    corr_route_ctx_free(x);
    corr_router_free(r);
}

static void test_full_table_counts(void **state)
{
    (void)state;
    /* room for 16 endpoints (2 buckets of 8): 100 calls must replace some */
    corr_router_t *r = corr_router_new(3, 8);
    corr_route_ctx_t *x = corr_route_ctx_new(r);
    endpoint_t pa = ts_ep("10.0.0.1", 5060), pb = ts_ep("10.0.0.2", 5060);
    for (int i = 0; i < 100; i++) {
        char cid[32];
        snprintf(cid, sizeof cid, "c%d", i);
        /* rtcp-mux: one endpoint per SDP, so nothing learnt after the last
         * one can push it out */
        route_text(
            x,
            sip_with_sdp("INVITE sip:b@y SIP/2.0", cid, "10.1.0.1", 2000 + 2 * i, "a=rtcp-mux\r\n"),
            pa, pb);
    }
    assert_true(corr_route_ctx_stats(x)->endpoints_replaced > 0);
    assert_int_equal(corr_route_ctx_stats(x)->endpoints_learnt, 100);
    /* the latest call's media still finds its shard */
    uint32_t last = route_text(x, sip_plain("BYE sip:b@y SIP/2.0", "c99", "2 BYE"), pa, pb);
    assert_int_equal(route_bytes(x, rtp_pkt, sizeof rtp_pkt, pb, ts_ep("10.1.0.1", 2198)), last);
    corr_route_ctx_free(x);
    corr_router_free(r);
}

/* What on_sip_message showed, as strings, and whether its views lay in the
 * bytes the correlator was handed. */
typedef struct {
    int n;
    char text[6][128];
    bool inside;
    const uint8_t *bytes;
    size_t len;
    int parse;
} seen_msg_t;

static void keep_sv(char *out, sv_t v)
{
    snprintf(out, 128, "%.*s", (int)v.len, v.p ? v.p : "");
}

static bool sv_in(sv_t v, const uint8_t *p, size_t n)
{
    return !v.p || ((const uint8_t *)v.p >= p && (const uint8_t *)v.p + v.len <= p + n);
}

static void on_msg(void *user, const corr_sip_message_t *m)
{
    seen_msg_t *s = user;
    s->n++;
    s->parse = m->parse;
    sv_t v[6] = {m->method, m->call_id, m->cseq_method, m->from_user, m->to_user, m->user_agent};
    s->inside = true;
    for (int i = 0; i < 6; i++) {
        keep_sv(s->text[i], v[i]);
        s->inside = s->inside && sv_in(v[i], s->bytes, s->len);
    }
}

/* The parse the router made reaches a correlator on another thread as if
 * it had parsed the message itself (views rebased into its own copy of the
 * bytes); a damaged parse record is ignored and the message parsed. */
static void test_parse_carried(void **state)
{
    (void)state;
    corr_router_t *r = corr_router_new(SHARDS, 64);
    corr_route_ctx_t *x = corr_route_ctx_new(r);
    const char *text = sip_with_sdp("INVITE sip:b@y SIP/2.0", "carried-1", "10.1.0.1", 4000, "");
    char orig[4096], copy[4096];
    snprintf(orig, sizeof orig, "%s", text);
    snprintf(copy, sizeof copy, "%s", text);
    datagram_t dg = dg_of(orig, ts_ep("10.0.0.1", 5060), ts_ep("10.0.0.2", 5060));
    corr_route(x, &dg);
    size_t n = corr_route_parse_size(x);
    assert_true(n > 0);
    uint8_t blob[8192];
    assert_true(n <= sizeof blob);
    corr_route_parse_write(x, blob);
    /* media routed afterwards makes no parse */
    assert_int_equal(route_bytes(x, rtp_pkt, sizeof rtp_pkt, ts_ep("10.1.0.9", 1),
                                 ts_ep("10.1.0.1", 4000)) < SHARDS,
                     1);
    assert_int_equal(corr_route_parse_size(x), 0);

    seen_msg_t a = {.bytes = (const uint8_t *)orig, .len = strlen(orig)};
    seen_msg_t b = {.bytes = (const uint8_t *)copy, .len = strlen(copy)};
    seen_msg_t c2 = b;
    corr_sink_t sa = {.user = &a, .on_sip_message = on_msg};
    corr_sink_t sb = {.user = &b, .on_sip_message = on_msg};
    corr_sink_t sc = {.user = &c2, .on_sip_message = on_msg};
    corr_t *ca = corr_new(NULL, &sa), *cb = corr_new(NULL, &sb), *cc = corr_new(NULL, &sc);
    corr_on_datagram(ca, &dg);
    datagram_t dc = dg_of(copy, dg.src, dg.dst);
    corr_on_datagram_parsed(cb, &dc, blob, n);
    corr_on_datagram_parsed(cc, &dc, blob, n - 1); /* damaged: parsed anew */
    assert_int_equal(a.n, 1);
    assert_int_equal(b.n, 1);
    assert_int_equal(c2.n, 1);
    assert_true(a.inside && b.inside && c2.inside);
    assert_int_equal(b.parse, a.parse);
    for (int i = 0; i < 6; i++) {
        assert_string_equal(b.text[i], a.text[i]);
        assert_string_equal(c2.text[i], a.text[i]);
    }
    assert_string_equal(a.text[1], "carried-1");
    assert_int_equal(corr_stats(cb)->calls, 1);
    assert_int_equal(corr_stats(cc)->calls, 1);
    corr_free(ca);
    corr_free(cb);
    corr_free(cc);
    corr_route_ctx_free(x);
    corr_router_free(r);
}

static void test_one_shard(void **state)
{
    (void)state;
    corr_router_t *r = corr_router_new(1, 16);
    corr_route_ctx_t *x = corr_route_ctx_new(r);
    assert_int_equal(route_text(x, sip_plain("OPTIONS sip:b@y SIP/2.0", "z", "1 OPTIONS"),
                                ts_ep("1.2.3.4", 5060), ts_ep("5.6.7.8", 5060)),
                     0);
    assert_null(corr_router_new(0, 16));
    assert_null(corr_router_new(256, 16));
    corr_route_ctx_free(x);
    corr_router_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_call_and_media_meet),
        cmocka_unit_test(test_a_rtcp_and_latest_sdp_wins),
        cmocka_unit_test(test_flows_and_vq),
        cmocka_unit_test(test_stream_stays),
        cmocka_unit_test(test_full_table_counts),
        cmocka_unit_test(test_parse_carried),
        cmocka_unit_test(test_one_shard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
