/* test_rtp.c - unit tests of the RTP header parser, the RFC 3551 static
 * payload table (proto/rtp.c) and the RTCP probe (proto/rtcp.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"

/* Parses an exact-size heap copy of the bytes. */
static proto_status_t parse(const uint8_t *bytes, size_t len, rtp_header_t *h)
{
    uint8_t *b = malloc(len ? len : 1);
    if (len) memcpy(b, bytes, len);
    proto_status_t st = rtp_parse_header(b, len, h);
    free(b);
    return st;
}

static bool probe(const uint8_t *bytes, size_t len)
{
    uint8_t *b = malloc(len ? len : 1);
    if (len) memcpy(b, bytes, len);
    bool r = rtcp_probe(b, len);
    free(b);
    return r;
}

static void test_basic(void **state)
{
    (void)state;
    uint8_t p[172] = {0x80, 0x88, 0x12, 0x34, 0x00, 0x01, 0xe2, 0x40, 0xde, 0xad, 0xbe, 0xef};
    rtp_header_t h;
    assert_int_equal(parse(p, sizeof p, &h), PROTO_OK);
    assert_int_equal(h.version, 2);
    assert_int_equal(h.padding, 0);
    assert_int_equal(h.extension, 0);
    assert_int_equal(h.csrc_count, 0);
    assert_int_equal(h.marker, 1);
    assert_int_equal(h.payload_type, 8);
    assert_int_equal(h.seq, 0x1234);
    assert_int_equal(h.timestamp, 123456);
    assert_int_equal(h.ssrc, 0xdeadbeef);
    assert_int_equal(h.header_len, 12);
    assert_int_equal(h.payload_len, 160);
    /* header only */
    assert_int_equal(parse(p, 12, &h), PROTO_OK);
    assert_int_equal(h.payload_len, 0);
}

static void test_csrc_extension_padding(void **state)
{
    (void)state;
    uint8_t p[64] = {0};
    p[0] = 0x80 | 0x20 | 0x10 | 2; /* P, X, CC=2 */
    p[1] = 96;
    /* CSRCs at 12..19, extension header at 20: profile 0xBEDE, 1 word */
    p[20] = 0xbe, p[21] = 0xde, p[22] = 0, p[23] = 1;
    p[63] = 4; /* 4 bytes of padding */
    rtp_header_t h;
    assert_int_equal(parse(p, sizeof p, &h), PROTO_OK);
    assert_int_equal(h.csrc_count, 2);
    assert_int_equal(h.extension, 1);
    assert_int_equal(h.padding, 1);
    assert_int_equal(h.header_len, 12 + 8 + 4 + 4);
    assert_int_equal(h.payload_len, 64 - 28 - 4);

    /* padding count 0, or larger than the payload */
    p[63] = 0;
    assert_int_equal(parse(p, sizeof p, &h), PROTO_INVALID);
    p[63] = 37;
    assert_int_equal(parse(p, sizeof p, &h), PROTO_INVALID);
    p[63] = 36; /* exactly the bytes after the header */
    assert_int_equal(parse(p, sizeof p, &h), PROTO_OK);
    assert_int_equal(h.payload_len, 0);
    /* padding bit set but nothing after the header */
    assert_int_equal(parse(p, 28, &h), PROTO_INVALID);
    /* extension longer than the packet */
    p[23] = 200;
    assert_int_equal(parse(p, sizeof p, &h), PROTO_INVALID);
    /* extension header itself truncated */
    assert_int_equal(parse(p, 22, &h), PROTO_INVALID);
    /* 15 CSRCs need 72 bytes */
    uint8_t q[71] = {0x8f, 0};
    assert_int_equal(parse(q, sizeof q, &h), PROTO_INVALID);
    uint8_t r[72] = {0x8f, 0};
    assert_int_equal(parse(r, sizeof r, &h), PROTO_OK);
    assert_int_equal(h.header_len, 72);
}

static void test_invalid(void **state)
{
    (void)state;
    rtp_header_t h;
    uint8_t p[12] = {0x80, 0x00};
    assert_int_equal(parse(p, 11, &h), PROTO_INVALID);
    assert_int_equal(parse(p, 0, &h), PROTO_INVALID);
    p[0] = 0x40; /* version 1 */
    assert_int_equal(parse(p, 12, &h), PROTO_INVALID);
    p[0] = 0x00; /* version 0 (STUN, ZRTP...) */
    assert_int_equal(parse(p, 12, &h), PROTO_INVALID);
    p[0] = 0x80;
    /* RTCP SR/RR/SDES/BYE/APP seen as RTP: PT 72..76 with the marker set */
    for (int b = 200; b <= 204; b++) {
        p[1] = (uint8_t)b;
        assert_int_equal(parse(p, 12, &h), PROTO_INVALID);
    }
    p[1] = 71;
    assert_int_equal(parse(p, 12, &h), PROTO_OK);
    p[1] = 77;
    assert_int_equal(parse(p, 12, &h), PROTO_OK);
    p[1] = 72; /* without the marker too: the PT range itself is reserved */
    assert_int_equal(parse(p, 12, &h), PROTO_INVALID);
}

static void test_static_codecs(void **state)
{
    (void)state;
    static const struct {
        uint8_t pt;
        const char *name;
        uint32_t clock;
    } want[] = {
        {0, "PCMU", 8000},   {3, "GSM", 8000},    {4, "G723", 8000},   {5, "DVI4", 8000},
        {6, "DVI4", 16000},  {7, "LPC", 8000},    {8, "PCMA", 8000},   {9, "G722", 8000},
        {10, "L16", 44100},  {11, "L16", 44100},  {12, "QCELP", 8000}, {13, "CN", 8000},
        {14, "MPA", 90000},  {15, "G728", 8000},  {16, "DVI4", 11025}, {17, "DVI4", 22050},
        {18, "G729", 8000},  {25, "CelB", 90000}, {26, "JPEG", 90000}, {28, "nv", 90000},
        {31, "H261", 90000}, {32, "MPV", 90000},  {33, "MP2T", 90000}, {34, "H263", 90000},
    };
    const char *name = NULL;
    uint32_t clock = 0;
    unsigned found = 0;
    for (unsigned pt = 0; pt < 256; pt++) {
        bool ok = rtp_static_codec((uint8_t)pt, &name, &clock);
        bool expect = false;
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
            if (want[i].pt != pt) continue;
            expect = true;
            assert_true(ok);
            assert_string_equal(name, want[i].name);
            assert_int_equal(clock, want[i].clock);
        }
        if (!expect) assert_false(ok);
        found += ok;
    }
    assert_int_equal(found, sizeof want / sizeof want[0]);
}

static void test_rtcp_probe(void **state)
{
    (void)state;
    /* RR (no report blocks) + SDES with one CNAME chunk: 8 + 12 bytes */
    uint8_t c[20] = {0x80, 201, 0, 1, 1, 2, 3, 4, 0x81, 202, 0, 2, 1, 2, 3, 4, 1, 1, 'x', 0};
    assert_true(probe(c, sizeof c));
    assert_true(probe(c, 8));   /* RR alone */
    assert_false(probe(c, 12)); /* second header cut short */
    assert_false(probe(c, 19)); /* not a multiple of 4 */
    assert_false(probe(c, 0));
    uint8_t bad[20];
    memcpy(bad, c, sizeof c);
    bad[11] = 3; /* SDES length runs past the end */
    assert_false(probe(bad, sizeof bad));
    memcpy(bad, c, sizeof c);
    bad[9] = 96; /* second packet type not RTCP */
    assert_false(probe(bad, sizeof bad));
    memcpy(bad, c, sizeof c);
    bad[0] = 0x40; /* version 1 */
    assert_false(probe(bad, sizeof bad));
    /* an RTP packet is not RTCP */
    uint8_t rtp[12] = {0x80, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1};
    assert_false(probe(rtp, sizeof rtp));
    /* RTPFB (205) alone is fine (RFC 5506 reduced size) */
    uint8_t fb[12] = {0x81, 205, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2};
    assert_true(probe(fb, sizeof fb));
}

static void test_regress_rtcp_files(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        bool is_rtcp;
        bool rtp_ok; /* PT 205..207 map to RTP PT 77..79, outside 72..76 */
    } files[] = {
        {"pjproject_rtcp_1.rtcp", true, false},
        {"pjproject_rtcp_2.rtcp", true, false},
        {"pjproject_rtcp_3.rtcp", true, false},
        {"pjproject_rtcp_4.rtcp", true, false},
        {"pjproject_rtcp_7.rtcp", true, true},
        {"pjproject_rtcp_seed-rtcp-fb-nack.bin", true, true},
        {"pjproject_rtcp_seed-rtcp-fb-pli.bin", true, false}, /* CC=1 needs 16 bytes */
        {"captagent_rtcp_sr_truncated.bin", false, false},
        {"captagent_rtcp_rr_malformed.bin", false, false},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/data/regress/%s", SHARED_DIR, files[i].file);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        uint8_t buf[2048];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        if (probe(buf, n) != files[i].is_rtcp) fail_msg("%s: rtcp_probe wrong", files[i].file);
        rtp_header_t h;
        if ((parse(buf, n, &h) == PROTO_OK) != files[i].rtp_ok)
            fail_msg("%s: rtp_parse_header wrong", files[i].file);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),      cmocka_unit_test(test_csrc_extension_padding),
        cmocka_unit_test(test_invalid),    cmocka_unit_test(test_static_codecs),
        cmocka_unit_test(test_rtcp_probe), cmocka_unit_test(test_regress_rtcp_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
