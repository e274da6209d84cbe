/* test_sdp.c - unit tests of the SDP parser (proto/sdp.c): connection data
 * at both levels, m= variants, rtpmap/ptime/rtcp/rtcp-mux/direction/crypto/
 * label attributes, limits and hostile numbers. */
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

static sdp_t sdp;
static char *copy;

static proto_status_t parse(const char *text)
{
    size_t n = strlen(text);
    free(copy);
    copy = malloc(n ? n : 1);
    memcpy(copy, text, n);
    return sdp_parse(sv_make(copy, n), &sdp);
}

static void assert_ip(const ip_addr_t *a, const char *text)
{
    char buf[IP_STR_MAX];
    ip_addr_format(a, buf, sizeof buf);
    assert_string_equal(buf, text);
}

static void test_two_streams(void **state)
{
    (void)state;
    assert_int_equal(parse("v=0\r\n"
                           "o=alice 2890844526 2890844527 IN IP4 host.example.com\r\n"
                           "s=Call\r\n"
                           "c=IN IP4 192.0.2.10\r\n"
                           "t=0 0\r\n"
                           "a=sendonly\r\n"
                           "m=audio 49170 RTP/AVP 0 8 97 101\r\n"
                           "a=rtpmap:97 opus/48000/2\r\n"
                           "a=rtpmap:101 telephone-event/8000\r\n"
                           "a=fmtp:101 0-15\r\n"
                           "a=ptime:20\r\n"
                           "a=rtcp:53020 IN IP6 2001:db8::5\r\n"
                           "m=video 51372/2 RTP/SAVP 31 32\r\n"
                           "c=IN IP6 2001:db8::1\r\n"
                           "a=recvonly\r\n"
                           "a=rtcp-mux\r\n"
                           "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
                           "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32\r\n"
                           "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:abc\r\n"
                           "a=label:main-video\r\n"),
                     PROTO_OK);
    assert_sv(sdp.origin, "alice 2890844526 2890844527 IN IP4 host.example.com");
    assert_sv(sdp.session_name, "Call");
    assert_ip(&sdp.conn, "192.0.2.10");
    assert_int_equal(sdp.direction, SDP_SENDONLY);
    assert_int_equal(sdp.media_count, 2);
    assert_false(sdp.media_truncated);

    const sdp_media_t *a = &sdp.media[0];
    assert_sv(a->media, "audio");
    assert_int_equal(a->port, 49170);
    assert_int_equal(a->port_count, 1);
    assert_sv(a->proto, "RTP/AVP");
    assert_int_equal(a->fmt_count, 4);
    assert_int_equal(a->fmts[0], 0);
    assert_int_equal(a->fmts[3], 101);
    assert_ip(&a->conn, "192.0.2.10");            /* session level */
    assert_int_equal(a->direction, SDP_SENDONLY); /* inherited */
    assert_int_equal(a->ptime, 20);
    assert_int_equal(a->rtcp_port, 53020);
    assert_ip(&a->rtcp_addr, "2001:db8::5");
    assert_false(a->rtcp_mux);
    assert_int_equal(a->rtpmap_count, 2);
    assert_int_equal(a->rtpmap[0].pt, 97);
    assert_sv(a->rtpmap[0].encoding, "opus");
    assert_int_equal(a->rtpmap[0].clock_rate, 48000);
    assert_int_equal(a->rtpmap[0].channels, 2);
    assert_int_equal(a->rtpmap[1].channels, 1);
    assert_int_equal(a->crypto_count, 0);
    assert_int_equal(a->label.len, 0);

    const sdp_media_t *v = &sdp.media[1];
    assert_sv(v->media, "video");
    assert_int_equal(v->port, 51372);
    assert_int_equal(v->port_count, 2);
    assert_sv(v->proto, "RTP/SAVP");
    assert_ip(&v->conn, "2001:db8::1");
    assert_int_equal(v->direction, SDP_RECVONLY);
    assert_true(v->rtcp_mux);
    assert_int_equal(v->rtcp_port, 0);
    assert_int_equal(v->rtcp_addr.family, IP_NONE);
    assert_int_equal(v->crypto_count, 2);
    assert_sv(
        v->crypto[0],
        "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32");
    assert_sv(v->label, "main-video");
    assert_int_equal(v->ptime, 0);

    sv_t enc = {0};
    uint32_t clock = 0;
    assert_true(sdp_media_codec(a, 97, &enc, &clock));
    assert_sv(enc, "opus");
    assert_int_equal(clock, 48000);
    assert_true(sdp_media_codec(a, 8, &enc, &clock)); /* static fallback */
    assert_sv(enc, "PCMA");
    assert_int_equal(clock, 8000);
    assert_false(sdp_media_codec(a, 98, &enc, &clock));
    assert_false(sdp_media_codec(a, 2, &enc, &clock));
}

static void test_port_zero_rtcp_plain_lf(void **state)
{
    (void)state;
    assert_int_equal(parse("v=0\n"
                           "o=- 1 1 IN IP4 10.0.0.1\n"
                           "s=-\n"
                           "t=0 0\n"
                           "m=audio 0 RTP/AVP 0\n"
                           "c=IN IP4 10.0.0.1\n"
                           "m=audio 5004 RTP/AVP 0\n"
                           "c=IN IP4 10.0.0.2/127\n"
                           "a=rtcp:5005\n"
                           "a=inactive\n"),
                     PROTO_OK);
    assert_int_equal(sdp.conn.family, IP_NONE);
    assert_int_equal(sdp.media_count, 2);
    assert_int_equal(sdp.media[0].port, 0);
    assert_ip(&sdp.media[0].conn, "10.0.0.1");
    assert_int_equal(sdp.media[0].direction, SDP_SENDRECV);
    assert_ip(&sdp.media[1].conn, "10.0.0.2");
    assert_int_equal(sdp.media[1].rtcp_port, 5005);
    assert_int_equal(sdp.media[1].rtcp_addr.family, IP_NONE);
    assert_int_equal(sdp.media[1].direction, SDP_INACTIVE);
}

static void test_hostile_numbers(void **state)
{
    (void)state;
    /* AST-2018-002: format 4294967296; plus other out-of-range values */
    assert_int_equal(
        parse("v=0\r\n"
              "c=IN IP4 127.0.0.1\r\n"
              "m=audio 99999 RTP/AVP 4294967296 128 -1 0x8 9 18446744073709551617 8\r\n"
              "a=rtpmap:4294967296 PCMU/8000\r\n"
              "a=rtpmap:96 opus/99999999999/2\r\n"
              "a=rtpmap:97 AMR/8000/300\r\n"
              "a=rtpmap:98 noclock\r\n"
              "a=ptime:99999999\r\n"
              "a=rtcp:70000 IN IP4 1.2.3.4\r\n"
              "m=audio 1000/0 RTP/AVP 0\r\n"
              "m=audio 1000/x RTP/AVP 0\r\n"
              "m=\r\n"),
        PROTO_OK);
    assert_int_equal(sdp.media_count, 4);
    const sdp_media_t *m = &sdp.media[0];
    assert_int_equal(m->port, 0);
    assert_int_equal(m->fmt_count, 2);
    assert_int_equal(m->fmts[0], 9);
    assert_int_equal(m->fmts[1], 8);
    assert_int_equal(m->rtpmap_count, 1);
    assert_int_equal(m->rtpmap[0].pt, 97);
    assert_int_equal(m->rtpmap[0].channels, 1);
    assert_int_equal(m->ptime, 0);
    assert_int_equal(m->rtcp_port, 0);
    assert_int_equal(sdp.media[1].port, 1000);
    assert_int_equal(sdp.media[1].port_count, 1);
    assert_int_equal(sdp.media[2].port_count, 1);
    assert_int_equal(sdp.media[3].media.len, 0);

    /* 1024-byte media type and a 512-digit address (sngrep advisories) */
    static char buf[4096];
    size_t n = (size_t)snprintf(buf, sizeof buf, "v=0\r\nc=IN IP4 127.0.0.1");
    for (int i = 0; i < 512; i++)
        buf[n++] = '1';
    n += (size_t)snprintf(buf + n, sizeof buf - n, "\r\nm=");
    for (int i = 0; i < 1024; i++)
        buf[n++] = 'A';
    snprintf(buf + n, sizeof buf - n, " 1 RTP/AVP 0\r\n");
    assert_int_equal(parse(buf), PROTO_OK);
    assert_int_equal(sdp.conn.family, IP_NONE);
    assert_int_equal(sdp.media[0].media.len, 1024);
}

static void test_limits(void **state)
{
    (void)state;
    static char buf[16384];
    size_t n = (size_t)snprintf(buf, sizeof buf, "v=0\r\n");
    for (int i = 0; i < SDP_MAX_MEDIA + 3; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n,
                              "m=audio %d RTP/AVP 0\r\na=label:%d\r\na=sendonly\r\n", 1000 + 2 * i,
                              i);
    n += (size_t)snprintf(buf + n, sizeof buf - n, "m=audio 9 RTP/AVP");
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, " %d", i);
    snprintf(buf + n, sizeof buf - n, "\r\n");
    assert_int_equal(parse(buf), PROTO_OK);
    assert_int_equal(sdp.media_count, SDP_MAX_MEDIA);
    assert_true(sdp.media_truncated);
    assert_sv(sdp.media[SDP_MAX_MEDIA - 1].label, "7");
    assert_int_equal(sdp.media[SDP_MAX_MEDIA - 1].direction, SDP_SENDONLY);

    n = (size_t)snprintf(buf, sizeof buf, "v=0\r\nm=audio 9 RTP/AVP");
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, " %d", i);
    n += (size_t)snprintf(buf + n, sizeof buf - n, "\r\n");
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "a=rtpmap:%d X/8000\r\na=crypto:%d k\r\n",
                              96 + i % 32, i);
    assert_int_equal(parse(buf), PROTO_OK);
    assert_int_equal(sdp.media[0].fmt_count, SDP_MAX_FMTS);
    assert_int_equal(sdp.media[0].rtpmap_count, SDP_MAX_RTPMAP);
    assert_int_equal(sdp.media[0].crypto_count, SDP_MAX_CRYPTO);
}

static void test_invalid(void **state)
{
    (void)state;
    assert_int_equal(parse(""), PROTO_INVALID);
    assert_int_equal(parse("m=audio 1 RTP/AVP 0\r\n"), PROTO_INVALID);     /* no v= */
    assert_int_equal(parse("v=0\r\nc=IN IP4 1.2.3.4\r\n"), PROTO_INVALID); /* no m= */
    assert_int_equal(parse("hello world\r\n"), PROTO_INVALID);
    assert_int_equal(sdp_parse(SV_NULL, &sdp), PROTO_INVALID);
    /* odd but acceptable: attributes without values, NUL bytes, junk lines */
    static const char nul[] =
        "v=0\r\nm=audio 1 RTP/AVP 0\r\na=fmtp\0:101\r\na=rtpmap\r\na=rtcp\r\nxyz\r\n=\r\n";
    free(copy);
    copy = malloc(sizeof nul - 1);
    memcpy(copy, nul, sizeof nul - 1);
    assert_int_equal(sdp_parse(sv_make(copy, sizeof nul - 1), &sdp), PROTO_OK);
    assert_int_equal(sdp.media[0].rtpmap_count, 0);
}

static void test_direction_names(void **state)
{
    (void)state;
    assert_string_equal(sdp_direction_name(SDP_SENDRECV), "sendrecv");
    assert_string_equal(sdp_direction_name(SDP_SENDONLY), "sendonly");
    assert_string_equal(sdp_direction_name(SDP_RECVONLY), "recvonly");
    assert_string_equal(sdp_direction_name(SDP_INACTIVE), "inactive");
    /* media-level direction overrides the session level */
    assert_int_equal(parse("v=0\r\na=inactive\r\nm=audio 1 RTP/AVP 0\r\na=sendrecv\r\n"
                           "m=audio 3 RTP/AVP 0\r\n"),
                     PROTO_OK);
    assert_int_equal(sdp.media[0].direction, SDP_SENDRECV);
    assert_int_equal(sdp.media[1].direction, SDP_INACTIVE);
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
        cmocka_unit_test(test_two_streams),     cmocka_unit_test(test_port_zero_rtcp_plain_lf),
        cmocka_unit_test(test_hostile_numbers), cmocka_unit_test(test_limits),
        cmocka_unit_test(test_invalid),         cmocka_unit_test(test_direction_names),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
