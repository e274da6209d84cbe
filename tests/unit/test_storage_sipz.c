/* test_storage_sipz.c - sip_messages.raw packed and read back
 * (storage/sipz.c): hostile messages (every byte value, NULs, invalid
 * UTF-8, a lone CR, a 63,000-byte header) come back byte for byte through
 * format 2 (zstd with the SIP dictionary); an ordinary INVITE takes well
 * under half its bytes; a stored value with a byte more or less, a len one
 * off, garbage, or a format siphon does not know is refused; rows of
 * format 1 (raw deflate with the preset dictionary, made here with zlib as
 * earlier siphons wrote them) and format 0 still read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "st_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const char INVITE[] =
    "INVITE sip:+15551234567@carrier.example.net SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.1.2.3:5060;branch=z9hG4bK-524287-1---7d1f5a0c9b3e2a11;rport\r\n"
    "Max-Forwards: 70\r\n"
    "Contact: <sip:1001@10.1.2.3:5060;transport=udp>\r\n"
    "To: <sip:+15551234567@carrier.example.net>\r\n"
    "From: \"Front Desk\" <sip:1001@pbx.example.com>;tag=8f2c1e7a\r\n"
    "Call-ID: 5b7e0d7c1a9f4e2d8c3b6a5f4e3d2c1b@10.1.2.3\r\n"
    "CSeq: 2 INVITE\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE\r\n"
    "Content-Type: application/sdp\r\n"
    "Supported: replaces, timer\r\n"
    "User-Agent: Yealink SIP-T46S 66.86.0.15\r\n"
    "Content-Length: 229\r\n"
    "\r\n"
    "v=0\r\n"
    "o=- 20519 20519 IN IP4 10.1.2.3\r\n"
    "s=SDP data\r\n"
    "c=IN IP4 10.1.2.3\r\n"
    "t=0 0\r\n"
    "m=audio 11796 RTP/AVP 0 8 18 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:18 G729/8000\r\n"
    "a=fmtp:18 annexb=no\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=sendrecv\r\n";

/* Packs m (format 2 or 0) and reads it back: must be m, byte for byte. */
static int round_trip(const unsigned char *m, size_t n, size_t *stored)
{
    st__sipz_t *z = st__sipz_new();
    assert_non_null(z);
    buf_t packed, out;
    buf_init(&packed), buf_init(&out);
    int format = st__sipz_pack(z, m, n, &packed);
    assert_true(format == ST__RAW_ZSTD || format == ST__RAW_PLAIN);
    const void *p = format == ST__RAW_PLAIN ? (const void *)m : packed.data;
    size_t pn = format == ST__RAW_PLAIN ? n : packed.len;
    if (format == ST__RAW_ZSTD) assert_true(packed.len < n);
    assert_int_equal(st_raw_unpack(format, p, pn, n, &out), 0);
    assert_int_equal(out.len, n);
    assert_memory_equal(out.data, m, n);
    *stored = pn;
    buf_free(&packed), buf_free(&out);
    st__sipz_free(z);
    return format;
}

static void test_invite_small(void **state)
{
    (void)state;
    size_t stored;
    assert_int_equal(round_trip((const unsigned char *)INVITE, strlen(INVITE), &stored),
                     ST__RAW_ZSTD);
    /* the dictionary does the work: far below deflate's ~40 % */
    assert_true(stored * 100 < strlen(INVITE) * 40);
}

static void test_hostile_byte_exact(void **state)
{
    (void)state;
    size_t stored;
    /* every byte value, NULs included, in a SIP-looking message */
    unsigned char all[1024];
    size_t n = (size_t)snprintf((char *)all, sizeof all,
                                "MESSAGE sip:x@y SIP/2.0\r\nFrom: \"\\\"q\\\"\" "
                                "<sip:\xff\xfe@a>\r\nUser-Agent: \xc3\x28\r\nX: a\rb\r\n\r\n");
    for (int i = 0; i < 256; i++)
        all[n++] = (unsigned char)i;
    round_trip(all, n, &stored);
    /* a 63,000-byte header */
    size_t big = 63000 + 64;
    unsigned char *h = malloc(big);
    assert_non_null(h);
    size_t k = (size_t)snprintf((char *)h, big, "OPTIONS sip:a@b SIP/2.0\r\nX-Long: ");
    while (k < big - 4)
        h[k] = (unsigned char)('a' + k % 26), k++;
    memcpy(h + k, "\r\n\r\n", 4);
    assert_int_equal(round_trip(h, big, &stored), ST__RAW_ZSTD);
    /* random bytes do not shrink: stored as they came */
    srand(7);
    for (size_t i = 0; i < big; i++)
        h[i] = (unsigned char)rand();
    assert_int_equal(round_trip(h, 4000, &stored), ST__RAW_PLAIN);
    free(h);
    /* too short to be worth it */
    assert_int_equal(round_trip((const unsigned char *)"SIP/2.0 200 OK\r\n", 16, &stored) >= 0, 1);
}

static void test_refused(void **state)
{
    (void)state;
    st__sipz_t *z = st__sipz_new();
    assert_non_null(z);
    buf_t packed, out;
    buf_init(&packed), buf_init(&out);
    size_t n = strlen(INVITE);
    assert_int_equal(st__sipz_pack(z, INVITE, n, &packed), ST__RAW_ZSTD);
    assert_int_equal(st_raw_unpack(ST__RAW_ZSTD, packed.data, packed.len, n, &out), 0);
    assert_int_equal(st_raw_unpack(ST__RAW_ZSTD, packed.data, packed.len, n - 1, &out), -1);
    assert_int_equal(out.len, 0);
    assert_int_equal(st_raw_unpack(ST__RAW_ZSTD, packed.data, packed.len, n + 1, &out), -1);
    assert_int_equal(st_raw_unpack(ST__RAW_ZSTD, packed.data, packed.len - 1, n, &out), -1);
    assert_int_equal(st_raw_unpack(3, packed.data, packed.len, n, &out), -1);
    assert_int_equal(st_raw_unpack(ST__RAW_DEFLATE, packed.data, packed.len, n, &out), -1);
    assert_int_equal(st_raw_unpack(ST__RAW_ZSTD, INVITE, n, n, &out), -1);
    assert_int_equal(st_raw_unpack(ST__RAW_ZSTD, "", 0, 0, &out), -1);
    assert_int_equal(st_raw_unpack(ST__RAW_ZSTD, packed.data, packed.len, ST_RAW_LEN_MAX + 1, &out),
                     -1);
    /* a second frame after the first: trailing bytes */
    size_t one = packed.len;
    unsigned char *copy = malloc(one);
    assert_non_null(copy);
    memcpy(copy, packed.data, one);
    buf_append(&packed, "\x28\xb5\x2f\xfd", 4);
    buf_append(&packed, copy, one);
    free(copy);
    assert_int_equal(st_raw_unpack(ST__RAW_ZSTD, packed.data, packed.len, n, &out), -1);
    assert_int_equal(st_raw_unpack(ST__RAW_ZSTD, packed.data, packed.len, 2 * n, &out), -1);
    /* a corrupt byte: refused or, if zstd cannot tell, still exactly n bytes */
    packed.len = one;
    packed.data[one / 2] ^= 0x5a;
    int rc = st_raw_unpack(ST__RAW_ZSTD, packed.data, packed.len, n, &out);
    assert_true(rc == -1 || out.len == n);
    /* plain: the stored bytes are the message, so their length is len */
    assert_int_equal(st_raw_unpack(ST__RAW_PLAIN, INVITE, n, n - 1, &out), -1);
    buf_free(&packed), buf_free(&out);
    st__sipz_free(z);
}

/* Rows of format 1 (what siphon wrote before format 2) read back. */
static void test_deflate_rows(void **state)
{
    (void)state;
    size_t n = strlen(INVITE);
    unsigned char o[4096];
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    assert_int_equal(deflateSetDictionary(&z, st__sip_dictionary, (uInt)st__sip_dictionary_len),
                     Z_OK);
    z.next_in = (Bytef *)(uintptr_t)INVITE;
    z.avail_in = (uInt)n;
    z.next_out = o;
    z.avail_out = sizeof o;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t k = sizeof o - z.avail_out;
    deflateEnd(&z);
    buf_t out;
    buf_init(&out);
    assert_int_equal(st_raw_unpack(ST__RAW_DEFLATE, o, k, n, &out), 0);
    assert_int_equal(out.len, n);
    assert_memory_equal(out.data, INVITE, n);
    assert_int_equal(st_raw_unpack(ST__RAW_DEFLATE, o, k, n - 1, &out), -1);
    assert_int_equal(st_raw_unpack(ST__RAW_DEFLATE, o, k - 1, n, &out), -1);
    assert_int_equal(st_raw_unpack(ST__RAW_PLAIN, INVITE, n, n, &out), 0);
    assert_memory_equal(out.data, INVITE, n);
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invite_small),
        cmocka_unit_test(test_hostile_byte_exact),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_deflate_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
