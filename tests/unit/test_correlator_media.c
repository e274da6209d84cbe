/* test_correlator_media.c - unit tests of the correlator's media side: SDP
 * endpoints (media.c), stream attachment and caps (stream.c), RTCP
 * counting, re-INVITE/hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "corr_testlib.h"

static test_sink_t sink;

/* Offer from A (10.0.0.1:40000), answer from B (10.0.0.2:50000). */
static void setup_call(corr_t *c, const char *cid)
{
    char sa[512], sb[512];
    ts_invite(c, 0, cid, 1, "ft", NULL, "b1", ts_sdp(sa, sizeof sa, "10.0.0.1", 40000, NULL));
    ts_resp(c, 50, 180, "Ringing", cid, 1, "INVITE", "ft", "tt", NULL, NULL);
    ts_resp(c, 1000, 200, "OK", cid, 1, "INVITE", "ft", "tt", NULL,
            ts_sdp(sb, sizeof sb, "10.0.0.2", 50000, NULL));
    ts_req_caller(c, 1010, "ACK", cid, 1, "ft", "tt", NULL, NULL);
}

static void test_answered_two_streams(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    setup_call(c, "media1");
    ts_rtp_run(c, 1100, "10.0.0.1", 40000, "10.0.0.2", 50000, 0xAAAA, 100, 50);
    ts_rtp_run(c, 1105, "10.0.0.2", 50000, "10.0.0.1", 40000, 0xBBBB, 7000, 40);
    /* two RTCP SRs from A to B's RTCP port (50001), sender SSRC 0xAAAA */
    uint8_t sr[28] = {0x80, 200, 0, 6, 0, 0, 0xAA, 0xAA};
    ts_feed(c, AT(2000), ts_ep("10.0.0.1", 40001), ts_ep("10.0.0.2", 50001), TRANSPORT_UDP, sr,
            sizeof sr);
    ts_feed(c, AT(3000), ts_ep("10.0.0.1", 40001), ts_ep("10.0.0.2", 50001), TRANSPORT_UDP, sr,
            sizeof sr);
    ts_req_caller(c, 5000, "BYE", "media1", 2, "ft", "tt", NULL, NULL);
    ts_resp(c, 5010, 200, "OK", "media1", 2, "BYE", "ft", "tt", NULL, NULL);
    ts_rtp(c, 5020, "10.0.0.2", 50000, "10.0.0.1", 40000, 0xBBBB, 7040, 1000 + 160 * 40, 0);
    corr_flush(c);

    assert_int_equal(sink.ncalls, 1);
    const corr_call_t *k = &sink.calls[0];
    assert_int_equal(k->state, CORR_CALL_ANSWERED);
    assert_int_equal(k->stream_count, 2);
    assert_int_equal(k->rtcp_packets, 2);
    const corr_stream_t *a = NULL, *b = NULL;
    for (uint32_t i = 0; i < k->stream_count; i++) {
        if (k->streams[i].ssrc == 0xAAAA) a = &k->streams[i];
        if (k->streams[i].ssrc == 0xBBBB) b = &k->streams[i];
    }
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->stats.packets, 50);
    assert_int_equal(b->stats.packets, 41); /* the trailing packet in the linger */
    assert_string_equal(a->codec, "PCMU");
    assert_int_equal(a->payload_type, 0);
    assert_int_equal(a->stats.clock_rate, 8000);
    assert_true(a->from_caller);
    assert_false(b->from_caller);
    assert_int_equal(a->media_index, 0);
    assert_int_equal(a->rtcp_packets, 2);
    assert_int_equal(rtp_stats_lost_wireshark(&a->stats), 0);
    assert_string_equal(a->call_id, "media1");
    assert_int_equal(a->dst.port, 50000);
    assert_int_equal(corr_stats(c)->rtp_packets, 91);
    assert_int_equal(corr_stats(c)->rtcp_packets, 2);
    assert_int_equal(sink.norphans, 0);
    corr_free(c);
}

/* Symmetric RTP: B sends from its SDP port to an address A never announced
 * (NAT): the source matches. */
static void test_symmetric_source_match(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    setup_call(c, "sym");
    ts_rtp_run(c, 1100, "10.0.0.2", 50000, "192.0.2.9", 3333, 0xCCCC, 1, 10);
    corr_flush(c);
    assert_int_equal(sink.calls[0].stream_count, 1);
    assert_false(sink.calls[0].streams[0].from_caller);
    corr_free(c);
}

/* telephone-event packets on the same SSRC keep the codec PCMU and get no
 * jitter samples. */
static void test_dtmf_codec(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    setup_call(c, "dtmf");
    ts_rtp_run(c, 1100, "10.0.0.1", 40000, "10.0.0.2", 50000, 0xD, 1, 10);
    for (int i = 0; i < 3; i++)
        ts_rtp(c, 1300 + 20 * i, "10.0.0.1", 40000, "10.0.0.2", 50000, 0xD, (uint16_t)(11 + i),
               2600, 101);
    corr_flush(c);
    const corr_stream_t *s = &sink.calls[0].streams[0];
    assert_string_equal(s->codec, "PCMU");
    assert_int_equal(s->stats.packets, 13);
    assert_int_equal(s->stats.jitter_count, 9);
    corr_free(c);
}

/* re-INVITE from A moves its RTP port to 40002; B's RTP to it attaches. */
static void test_reinvite_new_port(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    char s[512];
    setup_call(c, "re");
    ts_invite(c, 2000, "re", 2, "ft", "tt", "r2", ts_sdp(s, sizeof s, "10.0.0.1", 40002, NULL));
    ts_resp(c, 2050, 200, "OK", "re", 2, "INVITE", "ft", "tt", NULL,
            ts_sdp(s, sizeof s, "10.0.0.2", 50000, NULL));
    ts_rtp_run(c, 2100, "10.0.0.2", 50000, "10.0.0.1", 40002, 0xEEEE, 1, 10);
    corr_flush(c);
    assert_int_equal(sink.ncalls, 1);
    const corr_call_t *k = &sink.calls[0];
    assert_int_equal(k->reinvites, 1);
    assert_int_equal(k->invites, 1);
    assert_int_equal(k->answer_ts_ns, AT(1000));
    assert_int_equal(k->stream_count, 1);
    assert_int_equal(k->streams[0].dst.port, 40002);
    assert_false(k->streams[0].from_caller);
    assert_int_equal(sink.norphans, 0);
    corr_free(c);
}

/* Hold: re-INVITE with a=sendonly, then c=0.0.0.0. */
static void test_hold(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    char s[512];
    setup_call(c, "hold");
    ts_invite(c, 2000, "hold", 2, "ft", "tt", "h2",
              ts_sdp(s, sizeof s, "10.0.0.1", 40000, "a=sendonly\n"));
    ts_resp(c, 2050, 200, "OK", "hold", 2, "INVITE", "ft", "tt", NULL,
            ts_sdp(s, sizeof s, "10.0.0.2", 50000, "a=recvonly\n"));
    ts_invite(c, 3000, "hold", 3, "ft", "tt", "h3", ts_sdp(s, sizeof s, "0.0.0.0", 40000, NULL));
    ts_rtp_run(c, 3100, "10.0.0.1", 40000, "10.0.0.2", 50000, 0xF, 1, 5);
    corr_flush(c);
    const corr_call_t *k = &sink.calls[0];
    assert_int_equal(k->reinvites, 2);
    assert_int_equal(k->holds, 3);
    assert_int_equal(k->stream_count, 1); /* the old endpoints still attach */
    corr_free(c);
}

/* Per-call cap and table cap. */
static void test_stream_caps(void **state)
{
    (void)state;
    corr_config_t cfg;
    corr_config_default(&cfg);
    cfg.max_calls = 8;
    cfg.max_streams = 3;
    cfg.max_media_endpoints = 16;
    cfg.max_orphan_flows = 4;
    cfg.max_streams_per_call = 2;
    corr_t *c = ts_new(&sink, &cfg);
    setup_call(c, "cap");
    for (uint32_t ssrc = 1; ssrc <= 4; ssrc++)
        ts_rtp_run(c, 1100 + ssrc, "10.0.0.1", 40000, "10.0.0.2", 50000, ssrc, 1, 3);
    assert_int_equal(corr_stats(c)->rtp_dropped_stream_cap, 6); /* 2 SSRCs x 3 packets */
    /* orphan flows fill the table: the call's least recent stream goes */
    ts_rtp_run(c, 1200, "192.0.2.1", 20000, "192.0.2.2", 30000, 77, 1, 3);
    ts_rtp_run(c, 1300, "192.0.2.3", 20000, "192.0.2.4", 30000, 78, 1, 3);
    assert_true(corr_stats(c)->streams_evicted >= 1);
    corr_flush(c);
    assert_true(sink.calls[0].stream_count <= 2);
    /* every entry is a record written or counted as not written */
    const corr_stats_t *st = corr_stats(c);
    assert_int_equal(st->call_streams, sink.calls[0].stream_count);
    assert_int_equal(st->orphan_streams, (uint64_t)sink.norphans);
    assert_true(st->streams_unwritten >= 1); /* the evicted call stream */
    assert_int_equal(st->streams_tracked,
                     st->call_streams + st->orphan_streams + st->streams_unwritten);
    corr_free(c);
}

/* on_packet names a media packet's call by key and Call-ID (the SIP's
 * Call-ID, the call record's key); an orphan stream's packets by neither. */
typedef struct {
    int rtp, rtcp, sip, orphan_media, wrong;
    uint64_t key;
} pkt_seen_t;

static void on_packet_check(void *user, const corr_packet_t *p)
{
    pkt_seen_t *s = user;
    if (p->kind == CORR_PKT_SIP) {
        s->sip++;
        return;
    }
    if (p->call_key == 0) {
        s->orphan_media++;
        if (p->call_id.len != 0) s->wrong++;
        return;
    }
    p->kind == CORR_PKT_RTP ? s->rtp++ : s->rtcp++;
    if (!sv_eq(p->call_id, sv_from_cstr("media-cid@10.0.0.1"))) s->wrong++;
    if (s->key && s->key != p->call_key) s->wrong++;
    s->key = p->call_key;
}

static void on_call_key(void *user, const corr_call_t *call)
{
    pkt_seen_t *s = user;
    if (call->call_key != s->key) s->wrong++;
}

static void test_packet_call_id(void **state)
{
    (void)state;
    corr_config_t cfg;
    corr_config_default(&cfg);
    cfg.max_calls = 64;
    cfg.max_streams = 256;
    cfg.max_media_endpoints = 256;
    cfg.max_orphan_flows = 64;
    pkt_seen_t seen = {0};
    corr_sink_t s = {.user = &seen, .on_packet = on_packet_check, .on_call = on_call_key};
    corr_t *c = corr_new(&cfg, &s);
    assert_non_null(c);
    setup_call(c, "media-cid@10.0.0.1");
    ts_rtp_run(c, 1100, "10.0.0.1", 40000, "10.0.0.2", 50000, 0xAAAA, 100, 20);
    ts_rtp_run(c, 1105, "10.0.0.2", 50000, "10.0.0.1", 40000, 0xBBBB, 7000, 10);
    uint8_t sr[28] = {0x80, 200, 0, 6, 0, 0, 0xAA, 0xAA};
    ts_feed(c, AT(2000), ts_ep("10.0.0.1", 40001), ts_ep("10.0.0.2", 50001), TRANSPORT_UDP, sr,
            sizeof sr);
    /* a stream no SDP names: an orphan */
    ts_rtp_run(c, 1200, "10.9.9.9", 30000, "10.9.9.8", 30002, 0xCCCC, 1, 5);
    ts_req_caller(c, 5000, "BYE", "media-cid@10.0.0.1", 2, "ft", "tt", NULL, NULL);
    ts_resp(c, 5010, 200, "OK", "media-cid@10.0.0.1", 2, "BYE", "ft", "tt", NULL, NULL);
    corr_flush(c);
    assert_int_equal(seen.rtp, 30);
    assert_int_equal(seen.rtcp, 1);
    assert_true(seen.sip >= 5);
    assert_true(seen.orphan_media >= 4); /* after the orphan's first packet */
    assert_int_equal(seen.wrong, 0);
    assert_true(seen.key != 0);
    corr_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answered_two_streams),
        cmocka_unit_test(test_symmetric_source_match),
        cmocka_unit_test(test_dtmf_codec),
        cmocka_unit_test(test_reinvite_new_port),
        cmocka_unit_test(test_hold),
        cmocka_unit_test(test_stream_caps),
        cmocka_unit_test(test_packet_call_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
