/* test_capture_sctp.c - SIP over SCTP in the capture decoder
 * (capture/sctp.c): single DATA chunks, bundled chunks between control
 * chunks, fragmented user messages (in order, with a gap, without a
 * beginning, over the size cap, evicted, timed out), I-DATA with two
 * messages interleaved, the CRC32c check (counted, never dropped), non-SIP
 * payloads, IPv6, and malformed chunk lengths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "capture_test_util.h"

#define SRC 0x0a000001u
#define DST 0x0a000002u
#define SIP_A                                                                                      \
    "OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/SCTP 10.0.0.1;branch=z9hG4bK1\r\n"        \
    "Call-ID: a@10.0.0.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
#define SIP_B                                                                                      \
    "SIP/2.0 200 OK\r\nCall-ID: a@10.0.0.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
#define T0 (1700000000 * NS_PER_SEC)

static const uint8_t V6A[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t V6B[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

static got_t got;

static cap_decoder_t *new_decoder(const cap_limits_t *lim)
{
    cap_limits_t l;
    cap_limits_default(&l);
    if (lim) l = *lim;
    l.dedup_slots = 0; /* some tests send one packet twice on purpose */
    got_reset(&got);
    cap_decoder_t *d = cap_decoder_new(&l, got_cb, &got);
    assert_non_null(d);
    return d;
}

static const cap_stats_t *st(const cap_decoder_t *d)
{
    return cap_decoder_stats(d);
}

/* Chunks are appended to a buffer, then wrapped in the common header. */
typedef struct {
    uint8_t b[8192];
    size_t n;
} chunks_t;

static void add_chunk(chunks_t *c, uint8_t type, uint8_t flags, const void *body, size_t len)
{
    uint8_t *h = c->b + c->n;
    h[0] = type;
    h[1] = flags;
    put16(h + 2, (uint16_t)(4 + len));
    memcpy(h + 4, body, len);
    c->n += 4 + len;
    while (c->n % 4)
        c->b[c->n++] = 0;
}

enum { E = 1, B = 2, U = 4 };

static void add_data(chunks_t *c, uint8_t flags, uint32_t tsn, uint16_t sid, uint16_t ssn,
                     const void *data, size_t len)
{
    uint8_t body[4096];
    put32(body, tsn);
    put16(body + 4, sid);
    put16(body + 6, ssn);
    put32(body + 8, 0); /* PPID: not specified, as SIP sends */
    memcpy(body + 12, data, len);
    add_chunk(c, 0, flags, body, 12 + len);
}

static void add_idata(chunks_t *c, uint8_t flags, uint32_t tsn, uint16_t sid, uint32_t mid,
                      uint32_t fsn, const void *data, size_t len)
{
    uint8_t body[4096];
    put32(body, tsn);
    put16(body + 4, sid);
    put16(body + 6, 0);
    put32(body + 8, mid);
    put32(body + 12, (flags & B) ? 0 : fsn); /* PPID in the first fragment */
    memcpy(body + 16, data, len);
    add_chunk(c, 64, flags, body, 16 + len);
}

static uint32_t crc32c(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    }
    return c ^ 0xffffffffu;
}

typedef enum { CK_GOOD, CK_ZERO, CK_BAD } ck_t;

/* An Ethernet/IPv4 (or IPv6) frame carrying the chunks, ports 5060. */
static pkt_t sctp_pkt(const chunks_t *c, ck_t ck, bool v6)
{
    pkt_t k = pkt_new(c->b, c->n);
    uint8_t h[12] = {0};
    put16(h, 5060);
    put16(h + 2, 5061);
    put32(h + 4, 0xdeadbeef);
    pkt_prepend(&k, h, 12);
    uint32_t crc = ck == CK_ZERO ? 0 : crc32c(k.p, k.n) ^ (ck == CK_BAD ? 1 : 0);
    k.p[8] = (uint8_t)crc; /* little-endian on the wire (RFC 9260 appendix A) */
    k.p[9] = (uint8_t)(crc >> 8);
    k.p[10] = (uint8_t)(crc >> 16);
    k.p[11] = (uint8_t)(crc >> 24);
    if (v6) {
        ipv6_wrap(&k, V6A, V6B, 132);
        eth_wrap(&k, 0x86dd);
    } else {
        ipv4_wrap(&k, SRC, DST, 132);
        eth_wrap(&k, 0x0800);
    }
    return k;
}

static void send_chunks(cap_decoder_t *d, const chunks_t *c, ck_t ck, int64_t ts)
{
    pkt_t k = sctp_pkt(c, ck, false);
    feed_pkt(d, 1, &k, ts);
    pkt_free(&k);
}

static void test_single_chunk(void **state)
{
    (void)state;
    cap_decoder_t *d = new_decoder(NULL);
    chunks_t c = {.n = 0};
    add_data(&c, B | E, 1, 0, 0, SIP_A, strlen(SIP_A));
    send_chunks(d, &c, CK_GOOD, T0);
    assert_int_equal(got.n, 1);
    assert_true(dg_is(&got.dg[0], SIP_A));
    assert_int_equal(got.dg[0].dg.transport, TRANSPORT_SCTP);
    assert_int_equal(got.dg[0].dg.src.port, 5060);
    assert_int_equal(got.dg[0].dg.dst.port, 5061);
    assert_int_equal(v4_of(&got.dg[0].dg.src.ip), SRC);
    assert_int_equal(v4_of(&got.dg[0].dg.dst.ip), DST);
    assert_int_equal(st(d)->sctp, 1);
    assert_int_equal(st(d)->sctp_messages, 1);
    assert_int_equal(st(d)->sctp_bad_checksum, 0);

    /* a bad checksum is counted, the message still delivered; 0 (offload)
     * is not counted */
    send_chunks(d, &c, CK_BAD, T0 + 1);
    send_chunks(d, &c, CK_ZERO, T0 + 2);
    assert_int_equal(got.n, 3);
    assert_int_equal(st(d)->sctp_bad_checksum, 1);

    /* IPv6 */
    pkt_t k = sctp_pkt(&c, CK_GOOD, true);
    feed_pkt(d, 1, &k, T0 + 3);
    pkt_free(&k);
    assert_int_equal(got.n, 4);
    assert_int_equal(got.dg[3].dg.src.ip.family, IP_V6);
    assert_int_equal(got.dg[3].dg.transport, TRANSPORT_SCTP);
    assert_int_equal(st(d)->sctp_bad_checksum, 1);
    cap_decoder_free(d);
}

/* SACK, DATA, HEARTBEAT, DATA, non-SIP DATA in one packet. */
static void test_bundled(void **state)
{
    (void)state;
    cap_decoder_t *d = new_decoder(NULL);
    chunks_t c = {.n = 0};
    uint8_t sack[12] = {0};
    add_chunk(&c, 3, 0, sack, sizeof sack);
    add_data(&c, B | E, 7, 0, 1, SIP_A, strlen(SIP_A));
    add_chunk(&c, 4, 0, "hbhb", 4);
    add_data(&c, B | E | U, 8, 1, 0, SIP_B, strlen(SIP_B));
    add_data(&c, B | E, 9, 2, 0, "\x01\x00\x00\x10 diameter-ish", 17);
    send_chunks(d, &c, CK_GOOD, T0);
    assert_int_equal(got.n, 2);
    assert_true(dg_is(&got.dg[0], SIP_A));
    assert_true(dg_is(&got.dg[1], SIP_B));
    assert_int_equal(st(d)->sctp_data_chunks, 3);
    assert_int_equal(st(d)->sctp_messages, 2);
    assert_int_equal(st(d)->sctp_non_sip, 1);
    assert_int_equal(st(d)->truncated + st(d)->invalid, 0);
    cap_decoder_free(d);
}

/* SIP_A cut in three fragments with consecutive TSNs, in three packets,
 * with a complete message of another stream in between. */
static void test_fragmented(void **state)
{
    (void)state;
    cap_decoder_t *d = new_decoder(NULL);
    const char *m = SIP_A;
    size_t n = strlen(m), a = 40, b = 90;
    chunks_t c = {.n = 0};
    add_data(&c, B, 100, 3, 5, m, a);
    send_chunks(d, &c, CK_GOOD, T0);
    c.n = 0;
    add_data(&c, B | E, 50, 4, 0, SIP_B, strlen(SIP_B)); /* another stream */
    add_data(&c, 0, 101, 3, 5, m + a, b - a);
    send_chunks(d, &c, CK_GOOD, T0 + 1);
    assert_int_equal(got.n, 1);
    c.n = 0;
    add_data(&c, E, 102, 3, 5, m + b, n - b);
    send_chunks(d, &c, CK_GOOD, T0 + 2);
    assert_int_equal(got.n, 2);
    assert_true(dg_is(&got.dg[0], SIP_B));
    assert_true(dg_is(&got.dg[1], SIP_A));
    assert_int_equal(got.dg[1].dg.ts_ns, T0 + 2);
    assert_int_equal(st(d)->sctp_reassembled, 1);
    assert_int_equal(st(d)->sctp_reasm_dropped, 0);
    cap_decoder_free(d);
}

/* A gap (TSN 101 missing), a middle and an end without a beginning, a
 * beginning that restarts an unfinished message: dropped and counted. */
static void test_fragment_gaps(void **state)
{
    (void)state;
    cap_decoder_t *d = new_decoder(NULL);
    const char *m = SIP_A;
    size_t n = strlen(m);
    chunks_t c = {.n = 0};
    add_data(&c, B, 100, 0, 0, m, 40);
    add_data(&c, E, 102, 0, 0, m + 40, n - 40);
    send_chunks(d, &c, CK_GOOD, T0);
    assert_int_equal(got.n, 0);
    assert_int_equal(st(d)->sctp_reasm_dropped, 1);
    c.n = 0;
    add_data(&c, 0, 200, 0, 0, m, 40);
    add_data(&c, E, 201, 0, 0, m + 40, n - 40);
    send_chunks(d, &c, CK_GOOD, T0 + 1);
    assert_int_equal(got.n, 0);
    assert_int_equal(st(d)->sctp_reasm_dropped, 3);
    c.n = 0;
    add_data(&c, B, 300, 0, 0, "garbage", 7);
    add_data(&c, B, 301, 0, 0, m, 40); /* the first never ended */
    add_data(&c, E, 302, 0, 0, m + 40, n - 40);
    send_chunks(d, &c, CK_GOOD, T0 + 2);
    assert_int_equal(got.n, 1);
    assert_true(dg_is(&got.dg[0], SIP_A));
    assert_int_equal(st(d)->sctp_reasm_dropped, 4);
    assert_int_equal(st(d)->sctp_reassembled, 1);
    cap_decoder_free(d);
}

/* The caps: a message over max_sctp_message_bytes, more partial messages
 * than max_sctp_messages (the oldest is evicted), a partial message older
 * than the fragment timeout. */
static void test_caps_and_timeout(void **state)
{
    (void)state;
    cap_limits_t l;
    cap_limits_default(&l);
    l.max_sctp_message_bytes = 64;
    l.max_sctp_messages = 1;
    cap_decoder_t *d = new_decoder(&l);
    const char *m = SIP_A;
    size_t n = strlen(m);
    assert_true(n > 64);
    chunks_t c = {.n = 0};
    add_data(&c, B, 1, 0, 0, m, 40);
    add_data(&c, E, 2, 0, 0, m + 40, n - 40);
    send_chunks(d, &c, CK_GOOD, T0);
    assert_int_equal(got.n, 0);
    assert_int_equal(st(d)->sctp_reasm_dropped, 1);

    c.n = 0;
    add_data(&c, B, 10, 1, 0, "SIP/2.0 ", 8);
    add_data(&c, B, 20, 2, 0, SIP_B, 10); /* evicts stream 1's */
    add_data(&c, E, 11, 1, 0, "200 OK", 6);
    send_chunks(d, &c, CK_GOOD, T0 + 1);
    assert_int_equal(got.n, 0);
    assert_int_equal(st(d)->sctp_reasm_dropped, 3);
    c.n = 0;
    add_data(&c, E, 21, 2, 0, &SIP_B[10], 20);
    send_chunks(d, &c, CK_GOOD, T0 + 2);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.dg[0].dg.len, 30);
    cap_decoder_free(d);

    cap_limits_default(&l);
    d = new_decoder(&l);
    c.n = 0;
    add_data(&c, B, 1, 0, 0, m, 40);
    send_chunks(d, &c, CK_GOOD, T0);
    cap_decoder_expire(d, T0 + l.frag_timeout_ns + 1);
    assert_int_equal(st(d)->sctp_reasm_dropped, 1);
    c.n = 0;
    add_data(&c, E, 2, 0, 0, m + 40, n - 40);
    send_chunks(d, &c, CK_GOOD, T0 + l.frag_timeout_ns + 2);
    assert_int_equal(got.n, 0);
    assert_int_equal(st(d)->sctp_reasm_dropped, 2);

    /* no slots at all: every fragmented message is dropped */
    cap_decoder_free(d);
    l.max_sctp_messages = 0;
    d = new_decoder(&l);
    c.n = 0;
    add_data(&c, B, 1, 0, 0, m, 40);
    add_data(&c, E, 2, 0, 0, m + 40, n - 40);
    add_data(&c, B | E, 3, 0, 0, m, n);
    send_chunks(d, &c, CK_GOOD, T0);
    assert_int_equal(got.n, 1);
    assert_int_equal(st(d)->sctp_reasm_dropped, 2);
    cap_decoder_free(d);
}

/* I-DATA (RFC 8260): two messages of one stream interleaved, told apart by
 * MID, fragments in FSN order. */
static void test_idata(void **state)
{
    (void)state;
    cap_decoder_t *d = new_decoder(NULL);
    const char *a = SIP_A, *b = SIP_B;
    size_t na = strlen(a), nb = strlen(b);
    chunks_t c = {.n = 0};
    add_idata(&c, B, 1, 0, 7, 0, a, 30);
    add_idata(&c, B, 2, 0, 8, 0, b, 20);
    add_idata(&c, 0, 3, 0, 7, 1, a + 30, 30);
    add_idata(&c, E, 4, 0, 8, 1, b + 20, nb - 20);
    add_idata(&c, E, 5, 0, 7, 2, a + 60, na - 60);
    send_chunks(d, &c, CK_GOOD, T0);
    assert_int_equal(got.n, 2);
    assert_true(dg_is(&got.dg[0], SIP_B));
    assert_true(dg_is(&got.dg[1], SIP_A));
    assert_int_equal(st(d)->sctp_reassembled, 2);
    /* an FSN out of order drops the message */
    c.n = 0;
    add_idata(&c, B, 6, 0, 9, 0, a, 30);
    add_idata(&c, E, 7, 0, 9, 2, a + 30, na - 30);
    add_idata(&c, B | E, 8, 0, 10, 0, a, na);
    send_chunks(d, &c, CK_GOOD, T0 + 1);
    assert_int_equal(got.n, 3);
    assert_int_equal(st(d)->sctp_reasm_dropped, 1);
    cap_decoder_free(d);
}

/* Malformed: a chunk length past the packet, below 4, a DATA chunk shorter
 * than its header, a packet shorter than the common header. */
static void test_malformed(void **state)
{
    (void)state;
    cap_decoder_t *d = new_decoder(NULL);
    chunks_t c = {.n = 0};
    add_data(&c, B | E, 1, 0, 0, SIP_A, strlen(SIP_A));
    put16(c.b + 2, (uint16_t)(c.n + 4)); /* past the end */
    send_chunks(d, &c, CK_GOOD, T0);
    assert_int_equal(st(d)->truncated, 1);
    put16(c.b + 2, 2); /* below 4 */
    send_chunks(d, &c, CK_GOOD, T0);
    assert_int_equal(st(d)->truncated, 2);
    put16(c.b + 2, 12); /* DATA shorter than its 16-byte header */
    send_chunks(d, &c, CK_GOOD, T0);
    assert_int_equal(st(d)->invalid, 1);
    assert_int_equal(got.n, 0);
    pkt_t k = pkt_new("\x13\xc4\x13\xc5\0\0", 6);
    ipv4_wrap(&k, SRC, DST, 132);
    eth_wrap(&k, 0x0800);
    feed_pkt(d, 1, &k, T0);
    pkt_free(&k);
    assert_int_equal(st(d)->truncated, 3);
    assert_int_equal(st(d)->sctp, 3);
    cap_decoder_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_chunk),     cmocka_unit_test(test_bundled),
        cmocka_unit_test(test_fragmented),       cmocka_unit_test(test_fragment_gaps),
        cmocka_unit_test(test_caps_and_timeout), cmocka_unit_test(test_idata),
        cmocka_unit_test(test_malformed),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    got_reset(&got);
    return rc;
}
