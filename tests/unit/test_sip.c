/* test_sip.c - unit tests of the SIP parser (proto/sip.c, proto/sip_uri.c):
 * start lines, header forms (compact, folded, repeated, comma lists),
 * name-addr values, parameters, probe, TCP framing and SDP lookup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"

#include "proto_testlib.h"

static sip_msg_t msg;

/* Parses a C string through an exact-size heap copy (so ASan sees over-reads).
 * The copy is kept until the next call. */
static uint8_t *copy;
static proto_status_t parse(const char *text)
{
    size_t n = strlen(text);
    free(copy);
    copy = malloc(n ? n : 1);
    memcpy(copy, text, n);
    return sip_parse_message(copy, n, &msg);
}

static const char invite[] =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;rport\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
    "User-Agent: softphone/1.2\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 142\r\n"
    "\r\n"
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 pc33.atlanta.example.com\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.101\r\n"
    "t=0 0\r\n"
    "m=audio 49172 RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n";

static void test_invite_basic(void **state)
{
    (void)state;
    assert_int_equal(parse(invite), PROTO_OK);
    assert_true(msg.is_request);
    assert_int_equal(msg.method, SIP_INVITE);
    assert_sv(msg.method_name, "INVITE");
    assert_sv(msg.request_uri, "sip:bob@biloxi.example.com");
    assert_int_equal(msg.status_code, 0);
    assert_sv(msg.call_id, "a84b4c76e66710@pc33.atlanta.example.com");
    assert_int_equal(msg.cseq, 314159);
    assert_int_equal(msg.cseq_method, SIP_INVITE);
    assert_sv(msg.cseq_method_name, "INVITE");
    assert_sv(msg.from.display, "Alice");
    assert_sv(msg.from.uri, "sip:alice@atlanta.example.com");
    assert_sv(msg.from.scheme, "sip");
    assert_sv(msg.from.user, "alice");
    assert_sv(msg.from.host, "atlanta.example.com");
    assert_int_equal(msg.from.port, 0);
    assert_sv(msg.from.tag, "1928301774");
    assert_sv(msg.to.display, "Bob");
    assert_null(msg.to.tag.p);
    assert_sv(msg.via, "SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;rport");
    assert_sv(msg.via_branch, "z9hG4bK776asdhds");
    assert_sv(msg.via_transport, "UDP");
    assert_sv(msg.contact, "<sip:alice@pc33.atlanta.example.com>");
    assert_sv(msg.user_agent, "softphone/1.2");
    assert_sv(msg.content_type, "application/sdp");
    assert_int_equal(msg.content_length, 142);
    assert_int_equal(msg.body.len, 142);
    assert_memory_equal(msg.body.p, "v=0\r\n", 5);
    assert_int_equal(msg.header_count, 10);
    assert_sv(sip_header_get(&msg, "max-forwards", 0), "70");
    assert_null(sip_header_get(&msg, "Max-Forwards", 1).p);

    sv_t sdp;
    assert_true(sip_find_sdp(&msg, &sdp));
    assert_int_equal(sdp.len, 142);
    sdp_t s;
    assert_int_equal(sdp_parse(sdp, &s), PROTO_OK);
    assert_int_equal(s.media_count, 1);
    assert_int_equal(s.media[0].port, 49172);
}

static void test_response(void **state)
{
    (void)state;
    assert_int_equal(parse("SIP/2.0 486 Busy Here\r\n"
                           "Via: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bKabc\r\n"
                           "From: <sip:a@example.com>;tag=1\r\n"
                           "To: <sip:b@example.com>;tag=2\r\n"
                           "Call-ID: resp1\r\n"
                           "CSeq: 7 INVITE\r\n"
                           "Server: PBX 9\r\n"
                           "Reason: Q.850;cause=17;text=\"User busy\"\r\n"
                           "Content-Length: 0\r\n\r\n"),
                     PROTO_OK);
    assert_false(msg.is_request);
    assert_int_equal(msg.status_code, 486);
    assert_sv(msg.reason_phrase, "Busy Here");
    assert_int_equal(msg.method, SIP_METHOD_UNKNOWN);
    assert_int_equal(msg.cseq_method, SIP_INVITE);
    assert_sv(msg.server, "PBX 9");
    assert_sv(msg.reason, "Q.850;cause=17;text=\"User busy\"");
    assert_sv(sip_param_get(msg.reason, "cause"), "17");
    assert_sv(sip_param_get(msg.reason, "text"), "User busy");
    assert_sv(msg.via_transport, "TCP");
    assert_sv(msg.to.tag, "2");
    assert_int_equal(msg.body.len, 0);
    assert_non_null(msg.body.p);

    /* empty reason phrase, with and without the SP */
    assert_int_equal(parse("SIP/2.0 100 \r\nf: <sip:a@b>\r\nt: <sip:c@d>\r\ni: x\r\n"
                           "CSeq: 1 INVITE\r\n\r\n"),
                     PROTO_OK);
    assert_int_equal(msg.status_code, 100);
    assert_int_equal(msg.reason_phrase.len, 0);
    assert_int_equal(parse("SIP/2.0 100\r\nf: <sip:a@b>\r\nt: <sip:c@d>\r\ni: x\r\n"
                           "CSeq: 1 INVITE\r\n\r\n"),
                     PROTO_OK);
}

static void test_compact_forms(void **state)
{
    (void)state;
    assert_int_equal(parse("BYE sip:x@192.0.2.1 SIP/2.0\r\n"
                           "v: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKc1\r\n"
                           "f: <sip:a@example.com>;tag=ft\r\n"
                           "t: <sip:x@example.com>;tag=tt\r\n"
                           "i: compact-1\r\n"
                           "CSeq: 2 BYE\r\n"
                           "m: <sip:a@192.0.2.2>\r\n"
                           "k: timer, 100rel\r\n"
                           "s: hello\r\n"
                           "e: gzip\r\n"
                           "o: dialog\r\n"
                           "u: presence\r\n"
                           "r: <sip:c@example.com>\r\n"
                           "b: <sip:a@example.com>\r\n"
                           "x: 1800;refresher=uac\r\n"
                           "y: abc.def\r\n"
                           "c: text/plain\r\n"
                           "l: 5\r\n"
                           "\r\n"
                           "hello"),
                     PROTO_OK);
    assert_int_equal(msg.method, SIP_BYE);
    assert_sv(msg.call_id, "compact-1");
    assert_sv(msg.from.tag, "ft");
    assert_sv(msg.to.tag, "tt");
    assert_sv(msg.via_branch, "z9hG4bKc1");
    assert_sv(msg.contact, "<sip:a@192.0.2.2>");
    assert_sv(msg.content_type, "text/plain");
    assert_int_equal(msg.content_length, 5);
    assert_sv(msg.body, "hello");
    /* the full name finds the compact header and vice versa */
    assert_sv(sip_header_get(&msg, "Supported", 0), "timer, 100rel");
    assert_sv(sip_header_get(&msg, "Subject", 0), "hello");
    assert_sv(sip_header_get(&msg, "Content-Encoding", 0), "gzip");
    assert_sv(sip_header_get(&msg, "EVENT", 0), "dialog");
    assert_sv(sip_header_get(&msg, "allow-events", 0), "presence");
    assert_sv(sip_header_get(&msg, "Refer-To", 0), "<sip:c@example.com>");
    assert_sv(sip_header_get(&msg, "Referred-By", 0), "<sip:a@example.com>");
    assert_sv(sip_header_get(&msg, "Session-Expires", 0), "1800;refresher=uac");
    assert_sv(sip_header_get(&msg, "Identity", 0), "abc.def");
    assert_sv(sip_header_get(&msg, "Call-ID", 0), "compact-1");
    assert_sv(sip_header_get(&msg, "i", 0), "compact-1");
    /* and the compact letter finds full names */
    assert_int_equal(parse(invite), PROTO_OK);
    assert_sv(sip_header_get(&msg, "l", 0), "142");
    assert_sv(sip_header_get(&msg, "F", 0),
              "\"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774");
    assert_null(sip_header_get(&msg, "X-Nope", 0).p);
}

static void test_case_and_folding(void **state)
{
    (void)state;
    /* RFC 4475 3.1.1.1 style: odd case, LWS before the colon, folded
     * CSeq/Via/From, LWS around '=' and inside the Via sent-protocol. */
    assert_int_equal(parse("OPTIONS sip:u@example.com SIP/2.0\r\n"
                           "TO :\r\n sip:u@example.com ;   tag    = 1918\r\n"
                           "from   : \"J R \\\\\\\"\"       <sip:j@example.com>\r\n"
                           "  ;\r\n  tag = 98asjd8\r\n"
                           "CALL-id: fold-1\r\n"
                           "cseq: 0009\r\n  OPTIONS\r\n"
                           "Via  : SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw\r\n"
                           "NewFangledHeader:   newfangled value\r\n continued newfangled value\r\n"
                           "\r\n"),
                     PROTO_OK);
    assert_sv(msg.call_id, "fold-1");
    assert_int_equal(msg.cseq, 9);
    assert_int_equal(msg.cseq_method, SIP_OPTIONS);
    assert_sv(msg.cseq_method_name, "OPTIONS");
    assert_sv(msg.to.tag, "1918");
    assert_sv(msg.to.host, "example.com");
    assert_sv(msg.from.tag, "98asjd8");
    assert_sv(msg.from.display, "J R \\\\\\\"");
    assert_sv(msg.via_transport, "UDP");
    assert_sv(msg.via_branch, "390skdjuw");
    assert_sv(sip_header_get(&msg, "newfangledheader", 0),
              "newfangled value\r\n continued newfangled value");
}

static void test_lf_only(void **state)
{
    (void)state;
    assert_int_equal(parse("INVITE sip:bob@example.com SIP/2.0\n"
                           "Via: SIP/2.0/UDP h;branch=z9hG4bKlf\n"
                           "From: <sip:a@example.com>;tag=lf\n"
                           "To: <sip:bob@example.com>\n"
                           "Call-ID: lf-only\n"
                           "CSeq: 1\n INVITE\n"
                           "Content-Type: application/sdp\n"
                           "Content-Length: 4\n"
                           "\n"
                           "v=0\nEXTRA"),
                     PROTO_OK);
    assert_sv(msg.call_id, "lf-only");
    assert_int_equal(msg.cseq_method, SIP_INVITE);
    assert_sv(msg.body, "v=0\n");
}

static void test_multi_value_headers(void **state)
{
    (void)state;
    assert_int_equal(
        parse("SIP/2.0 200 OK\r\n"
              "Via: SIP/2.0/TLS top.example.com:5061;branch=z9hG4bKtop;received=\"1,2\","
              " SIP/2.0/UDP second.example.com;branch=z9hG4bK2\r\n"
              "Via: SIP/2.0/UDP third.example.com;branch=z9hG4bK3\r\n"
              "v: SIP/2.0/SCTP fourth.example.com;branch=z9hG4bK4\r\n"
              "From: sip:a@example.com;tag=a1\r\n"
              "To: sip:b@example.com;tag=b1\r\n"
              "Call-ID: multi-1\r\n"
              "CSeq: 1 INVITE\r\n"
              "Contact: \"A, B\" <sip:a@10.0.0.1>;expires=60, <sip:a@10.0.0.2>\r\n"
              "\r\n"),
        PROTO_OK);
    assert_sv(msg.via, "SIP/2.0/TLS top.example.com:5061;branch=z9hG4bKtop;received=\"1,2\"");
    assert_sv(msg.via_branch, "z9hG4bKtop");
    assert_sv(msg.via_transport, "TLS");
    assert_sv(sip_header_get(&msg, "via", 1), "SIP/2.0/UDP third.example.com;branch=z9hG4bK3");
    assert_sv(sip_header_get(&msg, "via", 2), "SIP/2.0/SCTP fourth.example.com;branch=z9hG4bK4");
    assert_null(sip_header_get(&msg, "via", 3).p);
    assert_sv(msg.contact, "\"A, B\" <sip:a@10.0.0.1>;expires=60");
    sip_name_addr_t na;
    assert_true(sip_parse_name_addr(msg.contact, &na));
    assert_sv(na.display, "A, B");
    assert_sv(na.host, "10.0.0.1");
    /* addr-spec form: ;tag is a header parameter, not part of the URI */
    assert_sv(msg.from.uri, "sip:a@example.com");
    assert_sv(msg.from.tag, "a1");
}

static void test_name_addr(void **state)
{
    (void)state;
    sip_name_addr_t na;
    assert_true(sip_parse_name_addr(
        SV_LIT("\"Bob \\\"the\\\" Builder\" <sips:bob@[2001:db8::1]:5061;transport=tcp>;tag=x9"),
        &na));
    assert_sv(na.display, "Bob \\\"the\\\" Builder");
    assert_sv(na.uri, "sips:bob@[2001:db8::1]:5061;transport=tcp");
    assert_sv(na.scheme, "sips");
    assert_sv(na.user, "bob");
    assert_sv(na.host, "[2001:db8::1]");
    assert_int_equal(na.port, 5061);
    assert_sv(na.tag, "x9");

    assert_true(sip_parse_name_addr(SV_LIT("<sip:[2001:db8::1]:5060>"), &na));
    assert_sv(na.host, "[2001:db8::1]");
    assert_int_equal(na.port, 5060);
    assert_int_equal(na.user.len, 0);
    assert_int_equal(na.display.len, 0);

    /* token display name without LWS before '<' (RFC 4475 3.1.1.6) */
    assert_true(sip_parse_name_addr(SV_LIT("caller<sip:caller@example.com>;tag=323"), &na));
    assert_sv(na.display, "caller");
    assert_sv(na.tag, "323");

    /* tag inside the URI is a URI parameter, not the header tag */
    assert_true(sip_parse_name_addr(SV_LIT("<sip:a@h;tag=uri>;tag=hdr"), &na));
    assert_sv(na.tag, "hdr");
    assert_true(sip_parse_name_addr(SV_LIT("<sip:a@h;tag=uri>"), &na));
    assert_null(na.tag.p);

    /* user part with ';' (RFC 4475 3.1.1.9), password, port */
    assert_true(sip_parse_name_addr(SV_LIT("<sip:user;par=u%40example.net@example.com>"), &na));
    assert_sv(na.user, "user;par=u%40example.net");
    assert_sv(na.host, "example.com");
    assert_true(sip_parse_name_addr(SV_LIT("<sip:alice:secret@10.1.2.3:5080;lr>"), &na));
    assert_sv(na.user, "alice");
    assert_sv(na.host, "10.1.2.3");
    assert_int_equal(na.port, 5080);

    /* tel URI */
    assert_true(sip_parse_name_addr(SV_LIT("<tel:+15551234567;phone-context=x>;tag=t"), &na));
    assert_sv(na.scheme, "tel");
    assert_sv(na.user, "+15551234567");
    assert_sv(na.tag, "t");

    /* LWS inside <> is tolerated; empty tag stays an empty view */
    assert_true(sip_parse_name_addr(SV_LIT("\"W\" < sip:t@example.org >;tag="), &na));
    assert_sv(na.uri, "sip:t@example.org");
    assert_non_null(na.tag.p);
    assert_int_equal(na.tag.len, 0);

    /* port out of range -> 0 */
    assert_true(sip_parse_name_addr(SV_LIT("<sip:a@h:99999>"), &na));
    assert_int_equal(na.port, 0);

    /* failures */
    assert_false(sip_parse_name_addr(SV_LIT(""), &na));
    assert_false(sip_parse_name_addr(SV_LIT("   "), &na));
    assert_false(sip_parse_name_addr(SV_LIT("\"unterminated <sip:a@b>"), &na));
    assert_false(sip_parse_name_addr(SV_LIT("\"x\" sip:a@b"), &na));
    assert_false(sip_parse_name_addr(SV_LIT("<sip:a@b"), &na));
    assert_false(sip_parse_name_addr(SV_LIT("<no-scheme>"), &na));
    assert_false(sip_parse_name_addr(SV_LIT("Bell, Alexander <sip:a.g.bell@example.com>"), &na));
}

static void test_param_get(void **state)
{
    (void)state;
    sv_t v = SV_LIT("SIP/2.0/UDP h ; branch = z9hG4bK1 ;rport; received=10.0.0.1;x=\"a;b\"");
    assert_sv(sip_param_get(v, "branch"), "z9hG4bK1");
    assert_sv(sip_param_get(v, "BRANCH"), "z9hG4bK1");
    sv_t rport = sip_param_get(v, "rport");
    assert_non_null(rport.p);
    assert_int_equal(rport.len, 0);
    assert_sv(sip_param_get(v, "received"), "10.0.0.1");
    assert_sv(sip_param_get(v, "x"), "a;b");
    assert_null(sip_param_get(v, "bran").p);
    assert_null(sip_param_get(v, "maddr").p);
    /* only the first element of a comma list is searched */
    assert_null(sip_param_get(SV_LIT("<sip:a>;q=1, <sip:b>;expires=5"), "expires").p);
    /* parameters inside <> are not header parameters */
    assert_null(sip_param_get(SV_LIT("<sip:a;lr>"), "lr").p);
    assert_null(sip_param_get(SV_NULL, "x").p);
    assert_null(sip_param_get(SV_LIT(";x=\"open"), "x").p);
}

static void test_methods(void **state)
{
    (void)state;
    for (int m = 1; m < SIP_METHOD_COUNT; m++)
        assert_int_equal(sip_method_from_sv(sv_from_cstr(sip_method_name((sip_method_t)m))), m);
    assert_int_equal(sip_method_from_sv(SV_LIT("invite")), SIP_METHOD_UNKNOWN);
    assert_int_equal(sip_method_from_sv(SV_LIT("INVITEX")), SIP_METHOD_UNKNOWN);
    assert_int_equal(sip_method_from_sv(SV_NULL), SIP_METHOD_UNKNOWN);
    assert_string_equal(sip_method_name(SIP_METHOD_COUNT), "UNKNOWN");
    assert_string_equal(sip_method_name(SIP_PRACK), "PRACK");

    assert_int_equal(parse("FOO-BAR sip:x@y SIP/2.0\r\nf: <sip:a@b>\r\nt: <sip:c@d>\r\n"
                           "i: m\r\nCSeq: 1 FOO-BAR\r\n\r\n"),
                     PROTO_OK);
    assert_int_equal(msg.method, SIP_METHOD_UNKNOWN);
    assert_sv(msg.method_name, "FOO-BAR");
}

static void test_invalid(void **state)
{
    (void)state;
    const char *tail = "\r\nf: <sip:a@b>;tag=1\r\nt: <sip:c@d>\r\ni: x\r\nCSeq: 1 INVITE\r\n\r\n";
    char buf[512];
#define START_LINE(s) (snprintf(buf, sizeof buf, "%s%s", (s), tail), buf)
    assert_int_equal(parse(START_LINE("INVITE sip:a@b SIP/2.0")), PROTO_OK);
    assert_int_equal(parse(START_LINE("INVITE  sip:a@b  SIP/2.0 ")), PROTO_OK); /* robust */
    assert_int_equal(parse(START_LINE("INVITE sip:a@b sip/2.0")), PROTO_OK);    /* ABNF literal */
    assert_int_equal(parse(START_LINE("INVITE sip:a@b SIP/7.0")), PROTO_INVALID);
    assert_int_equal(parse(START_LINE("INVITE sip:a@b SIP/2.0X")), PROTO_INVALID);
    assert_int_equal(parse(START_LINE("INVITE <sip:a@b> SIP/2.0")), PROTO_INVALID);
    assert_int_equal(parse(START_LINE("INVITE sip:a@b; lr SIP/2.0")), PROTO_INVALID);
    assert_int_equal(parse(START_LINE("INVITE sip:a@b")), PROTO_INVALID);
    assert_int_equal(parse(START_LINE("INV(TE sip:a@b SIP/2.0")), PROTO_INVALID);
    assert_int_equal(parse(START_LINE("GET / HTTP/1.1")), PROTO_INVALID);
    assert_int_equal(parse(START_LINE("HTTP/1.1 200 OK")), PROTO_INVALID);
    assert_int_equal(parse(START_LINE("SIP/2.0 4294967301 big")), PROTO_INVALID);
    assert_int_equal(parse(START_LINE("SIP/2.0 099 low")), PROTO_INVALID);
    assert_int_equal(parse(START_LINE("SIP/2.0 700 high")), PROTO_INVALID);
    assert_int_equal(parse(START_LINE("SIP/2.0 20 short")), PROTO_INVALID);
    assert_int_equal(parse(START_LINE("SIP/2.0 200OK")), PROTO_INVALID);
    assert_int_equal(parse(""), PROTO_INVALID);
    assert_int_equal(parse("\r\n\r\n"), PROTO_INVALID);
    assert_int_equal(sip_parse_message(NULL, 0, &msg), PROTO_INVALID);

    /* required headers */
    assert_int_equal(parse("INVITE sip:a@b SIP/2.0\r\nf: <sip:a@b>\r\nt: <sip:c@d>\r\n"
                           "CSeq: 1 INVITE\r\n\r\n"),
                     PROTO_INVALID); /* no Call-ID */
    assert_int_equal(parse("INVITE sip:a@b SIP/2.0\r\nf: <sip:a@b>\r\ni: x\r\n"
                           "CSeq: 1 INVITE\r\n\r\n"),
                     PROTO_INVALID); /* no To */
    assert_int_equal(parse("INVITE sip:a@b SIP/2.0\r\nf: <sip:a@b>\r\nt: <sip:c@d>\r\ni: x\r\n"
                           "CSeq: 36893488147419103232 INVITE\r\n\r\n"),
                     PROTO_INVALID);
    assert_int_equal(parse("INVITE sip:a@b SIP/2.0\r\nf: <sip:a@b>\r\nt: <sip:c@d>\r\ni: x\r\n"
                           "CSeq: 1\r\n\r\n"),
                     PROTO_INVALID);
    assert_int_equal(parse("INVITE sip:a@b SIP/2.0\r\nf: <sip:a@b>\r\nt: <sip:c@d>\r\ni: x\r\n"
                           "CSeq: 4294967295 INVITE\r\n\r\n"),
                     PROTO_OK);
    assert_int_equal(msg.cseq, 4294967295u);
    assert_int_equal(parse("INVITE sip:a@b SIP/2.0\r\nf: \"open <sip:a@b>\r\nt: <sip:c@d>\r\n"
                           "i: x\r\nCSeq: 1 INVITE\r\n\r\n"),
                     PROTO_INVALID);
    /* a header line without a colon is skipped, not fatal */
    assert_int_equal(parse("INVITE sip:a@b SIP/2.0\r\nFoobar roobar\r\nf: <sip:a@b>\r\n"
                           "t: <sip:c@d>\r\ni: x\r\nCSeq: 1 INVITE\r\n\r\n"),
                     PROTO_OK);
    assert_int_equal(msg.header_count, 4);
#undef START_LINE
}

static void test_incomplete_and_body(void **state)
{
    (void)state;
    const char *hdrs = "INVITE sip:a@b SIP/2.0\r\nf: <sip:a@b>\r\nt: <sip:c@d>\r\ni: x\r\n"
                       "CSeq: 1 INVITE\r\n";
    char buf[512];
    /* no blank line */
    snprintf(buf, sizeof buf, "%s", hdrs);
    assert_int_equal(parse(buf), PROTO_INCOMPLETE);
    assert_sv(msg.call_id, "x");
    /* start line only */
    assert_int_equal(parse("INVITE sip:a@b SIP/2.0"), PROTO_INCOMPLETE);
    /* Content-Length larger than the body */
    snprintf(buf, sizeof buf, "%sContent-Length: 10\r\n\r\nabc", hdrs);
    assert_int_equal(parse(buf), PROTO_INCOMPLETE);
    assert_sv(msg.body, "abc");
    /* Content-Length smaller: extra bytes ignored (UDP) */
    snprintf(buf, sizeof buf, "%sContent-Length: 2\r\n\r\nabc", hdrs);
    assert_int_equal(parse(buf), PROTO_OK);
    assert_sv(msg.body, "ab");
    /* absent: rest of the datagram */
    snprintf(buf, sizeof buf, "%s\r\nabc", hdrs);
    assert_int_equal(parse(buf), PROTO_OK);
    assert_int_equal(msg.content_length, -1);
    assert_sv(msg.body, "abc");
    /* garbage or negative: -1, rest of the datagram */
    snprintf(buf, sizeof buf, "%sl: -5\r\n\r\nabc", hdrs);
    assert_int_equal(parse(buf), PROTO_OK);
    assert_int_equal(msg.content_length, -1);
    assert_sv(msg.body, "abc");
    /* leading CRLFs are ignored (RFC 3261 7.5) */
    snprintf(buf, sizeof buf, "\r\n\r\n%s\r\n", hdrs);
    assert_int_equal(parse(buf), PROTO_OK);
}

static void test_many_headers(void **state)
{
    (void)state;
    static char buf[8192];
    size_t n = (size_t)snprintf(buf, sizeof buf, "OPTIONS sip:a@b SIP/2.0\r\n");
    for (int i = 0; i < 120; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "X-H%d: %d\r\n", i, i);
    snprintf(
        buf + n, sizeof buf - n,
        "From: <sip:a@b>;tag=late\r\nTo: <sip:c@d>\r\nCall-ID: late\r\nCSeq: 1 OPTIONS\r\n\r\n");
    assert_int_equal(parse(buf), PROTO_OK);
    assert_int_equal(msg.header_count, SIP_MAX_HEADERS);
    assert_true(msg.headers_truncated);
    /* well-known headers beyond the table are still decoded */
    assert_sv(msg.call_id, "late");
    assert_sv(msg.from.tag, "late");
}

static void test_probe(void **state)
{
    (void)state;
#define PROBE(s) sip_probe((const uint8_t *)(s), strlen(s))
    assert_true(PROBE("INVITE sip:bob@example.com SIP/2.0\r\nVia: x\r\n"));
    assert_true(PROBE("OPTIONS sip:example.com SIP/2.0\r\n"));
    assert_true(PROBE("FOO tel:+123 SIP/2.0\n"));
    assert_true(PROBE("SIP/2.0 200 OK\r\n"));
    assert_true(PROBE("SIP/2.0 180 Ringing"));
    assert_true(PROBE("\r\nSIP/2.0 180 Ringing\r\n"));
    assert_false(PROBE("GET / HTTP/1.1\r\nHost: x\r\n"));
    assert_false(PROBE("GET http://example.com/ HTTP/1.1\r\n"));
    assert_false(PROBE("HTTP/1.1 200 OK\r\n"));
    assert_false(PROBE("POST /sip:x SIP/2.0\r\n"));
    assert_false(PROBE("INVITE sip:bob@example.com SIP/3.0\r\n"));
    assert_false(PROBE("SIP/2.0 2x0 OK\r\n"));
    assert_false(PROBE("SIP/2.0"));
    assert_false(PROBE(""));
    assert_false(PROBE("\x80\x00\x12\x34\x00\x00\x00\x00\x00\x00\x00\x01"));
    assert_false(sip_probe(NULL, 0));
#undef PROBE
}

static proto_status_t frame(const char *s, size_t max_hdr, size_t *n, bool *ka)
{
    size_t len = strlen(s);
    uint8_t *b = malloc(len ? len : 1);
    memcpy(b, s, len);
    proto_status_t st = sip_frame_message(b, len, max_hdr, n, ka);
    free(b);
    return st;
}

static void test_frame(void **state)
{
    (void)state;
    size_t n;
    bool ka;
    const char *m1 = "INVITE sip:a@b SIP/2.0\r\nCall-ID: 1\r\nContent-Length: 3\r\n\r\nabc";
    char buf[1024];
    snprintf(buf, sizeof buf, "%sSIP/2.0 200 OK\r\nl: 0\r\n\r\n", m1);
    assert_int_equal(frame(buf, 0, &n, &ka), PROTO_OK);
    assert_int_equal(n, strlen(m1));
    assert_false(ka);
    assert_int_equal(frame(buf + n, 0, &n, &ka), PROTO_OK);
    assert_int_equal(n, strlen("SIP/2.0 200 OK\r\nl: 0\r\n\r\n"));

    /* every proper prefix is incomplete */
    for (size_t cut = 1; cut < strlen(m1); cut++) {
        memcpy(buf, m1, cut);
        buf[cut] = '\0';
        assert_int_equal(frame(buf, 0, &n, &ka), PROTO_INCOMPLETE);
    }
    /* LF-only, folded Content-Length */
    assert_int_equal(frame("SIP/2.0 200 OK\nContent-Length:\n 2\n\nxyZZ", 0, &n, &ka), PROTO_OK);
    assert_int_equal(n, strlen("SIP/2.0 200 OK\nContent-Length:\n 2\n\nxy"));
    /* Content-Length absent on a stream: empty body (decision in sip.c) */
    assert_int_equal(frame("BYE sip:a@b SIP/2.0\r\nCall-ID: 1\r\n\r\nNEXT", 0, &n, &ka), PROTO_OK);
    assert_int_equal(n, strlen("BYE sip:a@b SIP/2.0\r\nCall-ID: 1\r\n\r\n"));
    /* broken Content-Length */
    assert_int_equal(frame("BYE sip:a@b SIP/2.0\r\nl: abc\r\n\r\n", 0, &n, &ka), PROTO_INVALID);
    assert_int_equal(frame("BYE sip:a@b SIP/2.0\r\nl: -1\r\n\r\n", 0, &n, &ka), PROTO_INVALID);
    assert_int_equal(frame("BYE sip:a@b SIP/2.0\r\nl: 99999999999\r\n\r\n", 0, &n, &ka),
                     PROTO_INVALID);
    /* keep-alives */
    assert_int_equal(frame("\r\n\r\nINVITE", 0, &n, &ka), PROTO_OK);
    assert_int_equal(n, 4);
    assert_true(ka);
    assert_int_equal(frame("\r\nSIP/2.0", 0, &n, &ka), PROTO_OK);
    assert_int_equal(n, 2);
    assert_true(ka);
    assert_int_equal(frame("\r\n\r", 0, &n, &ka), PROTO_INCOMPLETE);
    assert_int_equal(frame("\r", 0, &n, &ka), PROTO_INCOMPLETE);
    assert_int_equal(frame("", 0, &n, &ka), PROTO_INCOMPLETE);
    /* not SIP */
    assert_int_equal(frame("GET / HTTP/1.1\r\n\r\n", 0, &n, &ka), PROTO_INVALID);
    assert_int_equal(frame("\x16\x03\x01\x02\x00", 0, &n, &ka), PROTO_INVALID);
    /* header block longer than the limit */
    assert_int_equal(
        frame("OPTIONS sip:a@b SIP/2.0\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaaaa\r\n", 32, &n, &ka),
        PROTO_INVALID);
    assert_int_equal(frame("OPTIONS sip:a@b SIP/2.0\r\nX-Long: a", 64, &n, &ka), PROTO_INCOMPLETE);
}

static const char siprec[] =
    "INVITE sip:srs@192.0.2.50 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKrec\r\n"
    "From: <sip:src@192.0.2.10>;tag=r1\r\n"
    "To: <sip:srs@192.0.2.50>\r\n"
    "Call-ID: siprec-1\r\n"
    "CSeq: 1 INVITE\r\n"
    "Require: siprec\r\n"
    "Content-Type: multipart/mixed;boundary=\"uniqueBoundary\"\r\n"
    "\r\n"
    "--uniqueBoundary\r\n"
    "Content-Type: application/sdp\r\n"
    "\r\n"
    "v=0\r\n"
    "o=SRC 1 1 IN IP4 192.0.2.10\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\n"
    "m=audio 10000 RTP/AVP 0\r\n"
    "a=label:1\r\n"
    "a=sendonly\r\n"
    "m=audio 10002 RTP/AVP 0\r\n"
    "a=label:2\r\n"
    "a=sendonly\r\n"
    "\r\n"
    "--uniqueBoundary\r\n"
    "Content-Type: application/rs-metadata+xml\r\n"
    "Content-Disposition: recording-session\r\n"
    "\r\n"
    "<?xml version=\"1.0\"?><recording xmlns=\"urn:ietf:params:xml:ns:recording:1\"/>\r\n"
    "--uniqueBoundary--\r\n";

static void test_find_sdp_siprec(void **state)
{
    (void)state;
    assert_int_equal(parse(siprec), PROTO_OK);
    sv_t sdp;
    assert_true(sip_find_sdp(&msg, &sdp));
    assert_true(sv_istarts_with(sdp, "v=0\r\n"));
    assert_int_equal(sdp.p[sdp.len - 1], '\n'); /* "a=sendonly\r\n" + blank line, no delimiter */
    sdp_t s;
    assert_int_equal(sdp_parse(sdp, &s), PROTO_OK);
    assert_int_equal(s.media_count, 2);
    assert_sv(s.media[0].label, "1");
    assert_sv(s.media[1].label, "2");
    assert_int_equal(s.media[1].direction, SDP_SENDONLY);
}

static void test_find_sdp_nested_and_none(void **state)
{
    (void)state;
    assert_int_equal(parse("INVITE sip:a@b SIP/2.0\r\nf: <sip:a@b>\r\nt: <sip:c@d>\r\ni: n\r\n"
                           "CSeq: 1 INVITE\r\n"
                           "Content-Type: multipart/mixed; boundary=outer\r\n\r\n"
                           "--outer\r\n"
                           "Content-Type: application/isup; version=itu-t92+\r\n\r\n"
                           "\x01\x02\x03\r\n"
                           "--outer\r\n"
                           "Content-Type: multipart/alternative; boundary=\"in ner\"\r\n\r\n"
                           "--in ner\r\n"
                           "Content-Type: text/plain\r\n\r\n"
                           "hi\r\n"
                           "--in ner\r\n"
                           "c: Application/SDP\r\n\r\n"
                           "v=0\r\nm=audio 4000 RTP/AVP 8\r\n"
                           "--in ner--\r\n"
                           "--outer--\r\n"),
                     PROTO_OK);
    sv_t sdp;
    assert_true(sip_find_sdp(&msg, &sdp));
    assert_sv(sdp, "v=0\r\nm=audio 4000 RTP/AVP 8");

    /* no body, other types, and the RFC 2543 "no Content-Type" case */
    assert_int_equal(parse("BYE sip:a@b SIP/2.0\r\nf: <sip:a@b>\r\nt: <sip:c@d>\r\ni: n\r\n"
                           "CSeq: 1 BYE\r\n\r\n"),
                     PROTO_OK);
    assert_false(sip_find_sdp(&msg, &sdp));
    assert_int_equal(parse("MESSAGE sip:a@b SIP/2.0\r\nf: <sip:a@b>\r\nt: <sip:c@d>\r\ni: n\r\n"
                           "CSeq: 1 MESSAGE\r\nc: text/plain\r\n\r\nv=0 hello"),
                     PROTO_OK);
    assert_false(sip_find_sdp(&msg, &sdp));
    assert_int_equal(parse("INVITE sip:a@b SIP/2.0\r\nf: <sip:a@b>\r\nt: <sip:c@d>\r\ni: n\r\n"
                           "CSeq: 1 INVITE\r\n\r\nv=0\r\n"),
                     PROTO_OK);
    assert_true(sip_find_sdp(&msg, &sdp));
    assert_sv(sdp, "v=0\r\n");
    assert_int_equal(parse("INVITE sip:a@b SIP/2.0\r\nf: <sip:a@b>\r\nt: <sip:c@d>\r\ni: n\r\n"
                           "CSeq: 1 INVITE\r\nContent-Type: application/sdp;charset=x\r\n\r\nv=0"),
                     PROTO_OK);
    assert_true(sip_find_sdp(&msg, &sdp));
}

static void test_find_sdp_depth_bound(void **state)
{
    (void)state;
    /* five levels of multipart: the SDP at the bottom is deeper than the
     * bound and is not found (no unbounded recursion) */
    assert_int_equal(parse("INVITE sip:a@b SIP/2.0\r\nf: <sip:a@b>\r\nt: <sip:c@d>\r\ni: n\r\n"
                           "CSeq: 1 INVITE\r\nContent-Type: multipart/mixed;boundary=a\r\n\r\n"
                           "--a\r\nContent-Type: multipart/mixed;boundary=b\r\n\r\n"
                           "--b\r\nContent-Type: multipart/mixed;boundary=c\r\n\r\n"
                           "--c\r\nContent-Type: multipart/mixed;boundary=d\r\n\r\n"
                           "--d\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n"
                           "--d--\r\n--c--\r\n--b--\r\n--a--\r\n"),
                     PROTO_OK);
    sv_t sdp;
    assert_false(sip_find_sdp(&msg, &sdp));
}

static int teardown(void **state)
{
    (void)state;
    free(copy);
    copy = NULL;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invite_basic),
        cmocka_unit_test(test_response),
        cmocka_unit_test(test_compact_forms),
        cmocka_unit_test(test_case_and_folding),
        cmocka_unit_test(test_lf_only),
        cmocka_unit_test(test_multi_value_headers),
        cmocka_unit_test(test_name_addr),
        cmocka_unit_test(test_param_get),
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_incomplete_and_body),
        cmocka_unit_test(test_many_headers),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_frame),
        cmocka_unit_test(test_find_sdp_siprec),
        cmocka_unit_test(test_find_sdp_nested_and_none),
        cmocka_unit_test(test_find_sdp_depth_bound),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
