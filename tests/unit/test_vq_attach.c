/* test_vq_attach.c - RFC 6035 PUBLISH bodies (vq_attach.c): attached to
 * the call named by CallID while it is in memory (once, however often the
 * PUBLISH is seen), handed to on_vq_report when the call is unknown, and
 * the snom capture with a standalone report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "corr_pcapfeed.h"
#include "corr_testlib.h"
#include "proto.h"

static test_sink_t sink;

static const char *body_fmt =
    "VQSessionReport: CallTerm\r\nCallID: %s\r\nLocalID: <sip:alice@example.com>\r\n"
    "RemoteID: <sip:bob@example.com>\r\nOrigID: <sip:alice@example.com>\r\n"
    "LocalAddr: IP=10.0.0.1 PORT=40000 SSRC=0x0000AAAA\r\n"
    "RemoteAddr: IP=10.0.0.2 PORT=50000 SSRC=0x0000BBBB\r\n"
    "LocalMetrics:\r\nTimestamps: START=2023-11-14T22:13:20Z STOP=2023-11-14T22:13:30Z\r\n"
    "SessionDesc: PT=0 PD=PCMU SR=8000 FD=20 FPP=1 PPS=50 PLC=3 SSUP=off\r\n"
    "JitterBuffer: JBA=3 JBR=2 JBN=40 JBM=80 JBX=200\r\nPacketLoss: NLR=2.5 JDR=0.5\r\n"
    "BurstGapLoss: BLD=0 BD=0 GLD=2.5 GD=5000 GMIN=16\r\nDelay: RTD=60 ESD=35 IAJ=4 MAJ=12\r\n"
    "QualityEst: RLQ=88 MOSLQ=4.2 MOSCQ=4.1\r\n";

static void publish(corr_t *c, double ms, const char *pub_cid, const char *reported_cid)
{
    char body[2048], msg[4096];
    int bl = snprintf(body, sizeof body, body_fmt, reported_cid);
    int n = snprintf(msg, sizeof msg,
                     "PUBLISH sip:collector@10.0.0.9 SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKpub\r\n"
                     "From: <sip:alice@example.com>;tag=p1\r\nTo: <sip:collector@example.com>\r\n"
                     "Call-ID: %s\r\nCSeq: 1 PUBLISH\r\nEvent: vq-rtcpxr\r\n"
                     "Content-Type: application/vq-rtcpxr\r\nContent-Length: %d\r\n\r\n%s",
                     pub_cid, bl, body);
    ts_feed(c, AT(ms), ts_ep("10.0.0.1", 5060), ts_ep("10.0.0.9", 5060), TRANSPORT_UDP, msg,
            (size_t)n);
}

static void test_attached_to_call(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    char sa[512], sb[512];
    ts_invite(c, 0, "call-vq", 1, "ft", NULL, "b1", ts_sdp(sa, sizeof sa, "10.0.0.1", 40000, NULL));
    ts_resp(c, 1000, 200, "OK", "call-vq", 1, "INVITE", "ft", "tt", NULL,
            ts_sdp(sb, sizeof sb, "10.0.0.2", 50000, NULL));
    ts_req_caller(c, 11000, "BYE", "call-vq", 2, "ft", "tt", NULL, NULL);
    publish(c, 11100, "pub-1", "call-vq");
    publish(c, 11600, "pub-1", "call-vq"); /* retransmission */
    publish(c, 11700, "pub-2", "other-call");
    corr_flush(c);

    const corr_stats_t *st = corr_stats(c);
    assert_int_equal(st->vq_reports, 3);
    assert_int_equal(st->vq_attached, 2);
    assert_int_equal(st->vq_unattached, 1);
    assert_int_equal(st->other_transactions, 3); /* PUBLISH stays a transaction */
    assert_int_equal(st->calls, 1);
    const corr_call_t *k = ts_find(&sink, "call-vq");
    assert_non_null(k);
    assert_int_equal(k->vq_count, 1);
    const corr_vq_report_t *r = &k->vq[0];
    assert_int_equal(r->type, VQ_SESSION_REPORT);
    assert_true(r->call_term);
    assert_string_equal(r->call_id, "call-vq");
    assert_int_equal(r->local_addr.port, 40000);
    assert_true(r->has_remote_ssrc);
    assert_int_equal(r->remote_ssrc, 0xBBBB);
    assert_true(r->local.present);
    assert_false(r->remote.present);
    assert_true(r->local.nlr_pct == 2.5);
    assert_true(r->local.moslq == 4.2);
    assert_true(r->local.rcq < 0); /* absent */
    assert_true(r->local.rtd_ms == 60);
    assert_string_equal(r->local.pd, "PCMU");

    assert_int_equal(sink.nvq, 1);
    assert_string_equal(sink.vqs[0].call_id, "other-call");
    corr_free(c);
}

static void test_snom_capture(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    assert_int_equal(pf_feed(c, SHARED_DIR "/data/pcaps/DERIVED_vq-rtcpxr_publish_snom821.pcap"),
                     1);
    assert_int_equal(sink.nvq, 1);
    const corr_vq_report_t *r = &sink.vqs[0];
    assert_string_equal(r->call_id, "825962570309-8ds5sl3mca99");
    assert_int_equal(r->type, VQ_SESSION_REPORT);
    assert_string_equal(r->local.pd, "PCMA");
    assert_true(r->local.moslq > 4.09 && r->local.moslq < 4.11);
    assert_true(r->local.nlr_pct == 3.0);
    assert_int_equal(corr_stats(c)->vq_unattached, 1);
    corr_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attached_to_call),
        cmocka_unit_test(test_snom_capture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
