/* test_vq_report.c - unit tests of the RFC 6035 vq-rtcpxr report parser
 * (proto/vq_report.c): the real snom 821 PUBLISH (with its glued
 * "JBM=20JBX=240" tokens), an RFC 6035-style session report with both
 * metrics sections, interval/alert reports, LF-only lines, bad values and
 * every truncation of a report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"

#define PCAPS SHARED_DIR "/data/pcaps/"

/* Parses an exact-size heap copy (kept until the next call: views point
 * into it). */
static char *last_copy;
static proto_status_t parse(const char *text, size_t len, vq_report_t *r)
{
    free(last_copy);
    last_copy = malloc(len ? len : 1);
    if (len) memcpy(last_copy, text, len);
    return vq_report_parse(sv_make(last_copy, len), r);
}
static proto_status_t parse_str(const char *text, vq_report_t *r)
{
    return parse(text, strlen(text), r);
}

static void assert_sv(sv_t v, const char *s)
{
    if (v.len != strlen(s) || (v.len && memcmp(v.p, s, v.len) != 0))
        fail_msg("got \"%.*s\", want \"%s\"", SV_FMT(v), s);
}

static void assert_val(vq_value_t v, double want)
{
    if (!v.present) fail_msg("value absent, want %g", want);
    if (v.v < want - 1e-9 || v.v > want + 1e-9) fail_msg("got %g, want %g", v.v, want);
}

static void test_snom821(void **state)
{
    (void)state;
    static uint8_t buf[4096];
    FILE *f = fopen(PCAPS "heplify-xrcollector_vq-rtcpxr_publish_snom821.sip", "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    static sip_msg_t msg;
    assert_int_equal(sip_parse_message(buf, n, &msg), PROTO_OK);
    assert_int_equal(msg.method, SIP_PUBLISH);
    assert_true(sv_ieq_cstr(msg.content_type, "application/vq-rtcpxr"));
    assert_int_equal(msg.body.len, 804);

    vq_report_t r;
    assert_int_equal(parse(msg.body.p, msg.body.len, &r), PROTO_OK);
    assert_int_equal(r.type, VQ_SESSION_REPORT);
    assert_true(r.call_term);
    assert_sv(r.type_value, "CallTerm");
    assert_sv(r.call_id, "825962570309-8ds5sl3mca99");
    assert_sv(r.local_id, "<sip:5004@10.0.3.252>");
    assert_sv(r.remote_id, "<sip:520@10.0.3.252;user=phone>");
    assert_sv(r.orig_id, "<sip:5004@10.0.3.252>");
    assert_sv(r.local_mac, "0004135310DB");
    assert_sv(r.local_addr.ip_text, "10.0.3.13");
    assert_int_equal(r.local_addr.ip.family, IP_V4);
    assert_memory_equal(r.local_addr.ip.bytes, ((uint8_t[]){10, 0, 3, 13}), 4);
    assert_val(r.local_addr.port, 57460);
    assert_true(r.local_addr.has_ssrc);
    assert_int_equal(r.local_addr.ssrc, 0x014EA261);
    assert_sv(r.remote_addr.ip_text, "10.0.3.252");
    assert_val(r.remote_addr.port, 10034);
    assert_int_equal(r.remote_addr.ssrc, 0x1F634EA2);
    assert_sv(r.dialog_id, "825962570309-8ds5sl3mca99;to-tag=gqj87t0stF-M8g.kPREKLthaGl030mze;"
                           "from-tag=2ygtpy7bgk");

    const vq_metrics_t *m = &r.local;
    assert_true(m->present);
    assert_false(r.remote.present);
    assert_sv(m->start, "2016-06-16T07:47:14Z");
    assert_sv(m->stop, "2016-06-16T07:47:21Z");
    assert_val(m->pt, 8);
    assert_sv(m->pd, "PCMA");
    assert_val(m->sr, 8000);
    assert_val(m->pps, 50);
    assert_false(m->fd.present);
    assert_false(m->fpp.present);
    assert_sv(m->ssup, "off");
    assert_val(m->jba, 3);
    assert_val(m->jbr, 2);
    assert_val(m->jbn, 20);
    assert_val(m->jbm, 20); /* "JBM=20JBX=240": split on the next key */
    assert_val(m->jbx, 240);
    assert_val(m->nlr, 3.0);
    assert_val(m->jdr, 3.0);
    assert_val(m->bld, 0);
    assert_val(m->bd, 0);
    assert_val(m->gld, 0);
    assert_val(m->gd, 5930);
    assert_val(m->gmin, 16);
    assert_val(m->rtd, 0);
    assert_val(m->esd, 0);
    assert_val(m->iaj, 11);
    assert_false(m->sowd.present);
    assert_false(m->maj.present);
    assert_val(m->moslq, 4.1);
    assert_val(m->moscq, 4.1);
    assert_false(m->rlq.present);
    assert_int_equal(r.bad_tokens, 0);
}

static const char rfc_style[] =
    "VQSessionReport: CallTerm\r\n"
    "CallID: 6dg37f1890463\r\n"
    "LocalID: Alice <sip:alice@example.org>\r\n"
    "RemoteID: Bill <sip:bill@example.net>\r\n"
    "OrigID: Alice <sip:alice@example.org>\r\n"
    "LocalGroup: example-phone-55671\r\n"
    "RemoteGroup: example-gateway-09871\r\n"
    "LocalAddr: IP=10.10.1.100 PORT=5000 SSRC=0x2468abcd\r\n"
    "LocalMAC: 00:1f:5b:cc:21:0f\r\n"
    "RemoteAddr:IP=[2001:db8::1] PORT=5002 SSRC=324398079\r\n"
    "RemoteMAC: 00:26:08:8e:95:02\r\n"
    "LocalMetrics:\r\n"
    "Timestamps:START=2004-10-10T18:23:43Z STOP=2004-10-10T18:24:43Z\r\n"
    "SessionDesc:PT=18 PD=G729 SR=8000 FD=20 FPP=2 PPS=50 PLC=3 SSUP=on\r\n"
    "JitterBuffer:JBA=3 JBR=2 JBN=40 JBM=80 JBX=120\r\n"
    "PacketLoss:NLR=5.0 JDR=2.0\r\n"
    "BurstGapLoss:BLD=12.5 BD=60 GLD=2.0 GD=500 GMIN=16\r\n"
    "Delay:RTD=200 ESD=140 SOWD=200 IAJ=21 MAJ=49\r\n"
    "Signal:SL=-21 NL=-50 RERL=55\r\n"
    "QualityEst:RLQ=88 RCQ=85 EXTRI=90 MOSLQ=3.7 MOSCQ=3.5 QoEEstAlg=P.564\r\n"
    "RemoteMetrics:\r\n"
    "Timestamps:START=2004-10-10T18:23:43Z STOP=2004-10-10T18:24:43Z\r\n"
    "SessionDesc:PT=18 PD=G729 SR=8000 FD=20 FPP=2 PPS=50 PLC=3 SSUP=on\r\n"
    "JitterBuffer:JBA=3 JBR=2 JBN=40 JBM=80 JBX=120\r\n"
    "PacketLoss:NLR=1.5 JDR=0.0\r\n"
    "Delay:RTD=200 ESD=130 SOWD=200 IAJ=17\r\n"
    "QualityEst:MOSLQ=4.0 MOSCQ=3.9\r\n"
    "DialogID:38419823470834;to-tag=8472761;from-tag=9123dh311\r\n";

static void test_rfc_style(void **state)
{
    (void)state;
    vq_report_t r;
    assert_int_equal(parse_str(rfc_style, &r), PROTO_OK);
    assert_int_equal(r.type, VQ_SESSION_REPORT);
    assert_true(r.call_term);
    assert_sv(r.local_id, "Alice <sip:alice@example.org>");
    assert_sv(r.local_group, "example-phone-55671");
    assert_sv(r.remote_group, "example-gateway-09871");
    assert_sv(r.local_mac, "00:1f:5b:cc:21:0f");
    assert_sv(r.remote_mac, "00:26:08:8e:95:02");
    assert_int_equal(r.local_addr.ssrc, 0x2468abcd);
    assert_int_equal(r.remote_addr.ip.family, IP_V6);
    assert_int_equal(r.remote_addr.ssrc, 324398079);
    assert_val(r.remote_addr.port, 5002);
    assert_sv(r.dialog_id, "38419823470834;to-tag=8472761;from-tag=9123dh311");

    const vq_metrics_t *l = &r.local, *rm = &r.remote;
    assert_true(l->present && rm->present);
    assert_val(l->pt, 18);
    assert_sv(l->pd, "G729");
    assert_val(l->fd, 20);
    assert_val(l->fpp, 2);
    assert_val(l->plc, 3);
    assert_sv(l->ssup, "on");
    assert_val(l->jbn, 40);
    assert_val(l->jbx, 120);
    assert_val(l->nlr, 5.0);
    assert_val(l->bld, 12.5);
    assert_val(l->bd, 60);
    assert_val(l->sowd, 200);
    assert_val(l->maj, 49);
    assert_val(l->sl, -21);
    assert_val(l->nl, -50);
    assert_val(l->rerl, 55);
    assert_val(l->rlq, 88);
    assert_val(l->rcq, 85);
    assert_val(l->extri, 90);
    assert_false(l->extro.present);
    assert_val(l->moslq, 3.7);
    assert_sv(l->qoe_alg, "P.564");
    assert_val(rm->nlr, 1.5);
    assert_val(rm->jdr, 0.0);
    assert_val(rm->esd, 130);
    assert_val(rm->moslq, 4.0);
    assert_val(rm->moscq, 3.9);
    assert_false(rm->bd.present);
    assert_false(rm->sl.present);
    assert_int_equal(r.bad_tokens, 0);
}

/* Every prefix: never crashes; OK once the type line is complete. */
static void test_truncations(void **state)
{
    (void)state;
    size_t type_line = strlen("VQSessionReport:");
    vq_report_t r;
    for (size_t n = 0; n <= sizeof rfc_style - 1; n++) {
        proto_status_t st = parse(rfc_style, n, &r);
        assert_int_equal(st, n >= type_line ? PROTO_OK : PROTO_INVALID);
    }
}

static void test_lf_glued_bare_metrics(void **state)
{
    (void)state;
    vq_report_t r;
    const char *t = "vqintervalreport:\n"
                    "callid:abc\n"
                    "Metrics:\n"
                    "SessionDesc:PT=0PD=PCMUSR=8000 FD=20FPP=1\n"
                    "JitterBuffer:JBA=2JBR=0JBN=60JBM=60JBX=60\n"
                    "BurstGapLoss:BD=0GLD=0.5 GD=100GMIN=16\n"
                    "Signal:SL=-20NL=-70RERL=60\n"
                    "QualityEst:RCQ=80MOSLQ=4.2MOSCQ=4.1\n";
    assert_int_equal(parse_str(t, &r), PROTO_OK);
    assert_int_equal(r.type, VQ_INTERVAL_REPORT);
    assert_false(r.call_term);
    assert_int_equal(r.type_value.len, 0);
    assert_sv(r.call_id, "abc");
    assert_true(r.local.present);
    assert_false(r.remote.present);
    assert_val(r.local.pt, 0);
    assert_sv(r.local.pd, "PCMU"); /* "PCMUSR=8000": SR= is a key of this line */
    assert_val(r.local.sr, 8000);
    assert_val(r.local.fd, 20);
    assert_val(r.local.fpp, 1);
    assert_val(r.local.jba, 2);
    assert_val(r.local.jbr, 0);
    assert_val(r.local.jbn, 60);
    assert_val(r.local.jbm, 60);
    assert_val(r.local.jbx, 60);
    assert_val(r.local.bd, 0);
    assert_val(r.local.gld, 0.5);
    assert_val(r.local.gd, 100);
    assert_val(r.local.gmin, 16);
    assert_val(r.local.sl, -20);
    assert_val(r.local.nl, -70);
    assert_val(r.local.rerl, 60);
    assert_val(r.local.rcq, 80);
    assert_val(r.local.moslq, 4.2);
    assert_val(r.local.moscq, 4.1);
    assert_int_equal(r.bad_tokens, 0);
}

static void test_alert_and_bad_values(void **state)
{
    (void)state;
    vq_report_t r;
    const char *t = "\r\n  VQAlertReport: Type=MOSLQ Severity=Warning Dir=local\r\n"
                    "CallID: x\r\n"
                    "LocalAddr: IP=host.example PORT=99999999999 SSRC=0xZZ\r\n"
                    "RemoteAddr: IP=192.0.2.1 PORT=7078 SSRC=0x123456789\r\n"
                    "LocalMetrics:\r\n"
                    "PacketLoss:NLR=3.0% JDR=abc X-FOO=1 JDR\r\n"
                    "Delay:RTD= ESD=-.5 IAJ=1.2.3 MAJ=+7\r\n"
                    "QualityEst:MOSLQ=3.9\r\n"
                    "garbage line without colon\r\n"
                    ": value without key\r\n"
                    "X-Vendor: ignored\r\n"
                    "RemoteMetrics:\r\n"
                    "QualityEst:MOSLQ=4.4\r\n";
    assert_int_equal(parse_str(t, &r), PROTO_OK);
    assert_int_equal(r.type, VQ_ALERT_REPORT);
    assert_false(r.call_term);
    assert_sv(r.type_value, "Type=MOSLQ Severity=Warning Dir=local");
    assert_sv(r.local_addr.ip_text, "host.example");
    assert_int_equal(r.local_addr.ip.family, IP_NONE);
    assert_val(r.local_addr.port, 99999999999.0); /* numbers are not range-checked */
    assert_false(r.local_addr.has_ssrc);
    assert_int_equal(r.remote_addr.ip.family, IP_V4);
    assert_false(r.remote_addr.has_ssrc); /* 9 hex digits */
    assert_false(r.local.nlr.present);
    assert_false(r.local.jdr.present);
    assert_false(r.local.rtd.present);
    assert_val(r.local.esd, -0.5);
    assert_false(r.local.iaj.present);
    assert_val(r.local.maj, 7);
    assert_val(r.local.moslq, 3.9);
    assert_val(r.remote.moslq, 4.4);
    /* SSRC=0xZZ, SSRC 9 digits, NLR=3.0%, JDR=abc, RTD=, IAJ=1.2.3 */
    assert_int_equal(r.bad_tokens, 6);
}

static void test_invalid(void **state)
{
    (void)state;
    vq_report_t r;
    assert_int_equal(parse("", 0, &r), PROTO_INVALID);
    assert_int_equal(parse_str("\r\n\r\n  \n", &r), PROTO_INVALID);
    assert_int_equal(parse_str("CallID: abc\r\nVQSessionReport\r\n", &r), PROTO_INVALID);
    assert_int_equal(parse_str("VQSessionReport\r\n", &r), PROTO_INVALID); /* no colon */
    assert_int_equal(parse_str("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n", &r), PROTO_INVALID);
    assert_int_equal(parse_str("VQReport: CallTerm\r\n", &r), PROTO_INVALID);
    /* a report type alone is a (useless) report */
    assert_int_equal(parse_str("VQSessionReport :  callterm ", &r), PROTO_OK);
    assert_true(r.call_term);
    assert_false(r.local.present);
}

/* Metrics before any section header land in local; a lone "=" and keys at
 * the very end of the line are handled. */
static void test_edge_tokens(void **state)
{
    (void)state;
    vq_report_t r;
    const char *t = "VQSessionReport:\nDelay:RTD=5 = ==  IAJ=\nQualityEst:MOSCQ";
    assert_int_equal(parse_str(t, &r), PROTO_OK);
    assert_true(r.local.present);
    assert_val(r.local.rtd, 5);
    assert_false(r.local.iaj.present);
    assert_int_equal(r.bad_tokens, 1);
    assert_int_equal(parse_str("VQSessionReport:\nJitterBuffer:JBN=JBM=4", &r), PROTO_OK);
    assert_false(r.local.jbn.present);
    assert_val(r.local.jbm, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snom821),
        cmocka_unit_test(test_rfc_style),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_lf_glued_bare_metrics),
        cmocka_unit_test(test_alert_and_bad_values),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_edge_tokens),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(last_copy);
    return rc;
}
