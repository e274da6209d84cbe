/* test_capture_frag.c - IPv4 and IPv6 fragment reassembly: in order, out of
 * order, duplicates, overlaps (first wins), inconsistent ends, timeouts,
 * LRU eviction under the datagram and byte limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "capture_test_util.h"

#define SRC 0x0a000001u
#define DST 0x0a000002u

static const uint8_t V6A[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t V6B[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

static got_t got;
static uint8_t body[3000];

/* The UDP datagram (header + body) that the tests fragment. */
static pkt_t udp_datagram(size_t body_len)
{
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = (uint8_t)('A' + i % 26);
    pkt_t k = pkt_new(body, body_len);
    udp_wrap(&k, 5060, 5060);
    return k;
}

/* Ethernet/IPv4 frame carrying bytes [off, off+len) of the UDP datagram u. */
static pkt_t frag4(const pkt_t *u, size_t off, size_t len, bool more, uint16_t id)
{
    pkt_t k = pkt_new(u->p + off, len);
    ipv4_wrap_frag(&k, SRC, DST, 17, id, (uint16_t)((more ? 0x2000 : 0) | (off / 8)));
    eth_wrap(&k, 0x0800);
    return k;
}

static void send4(cap_decoder_t *d, const pkt_t *u, size_t off, size_t len, bool more, uint16_t id,
                  int64_t ts)
{
    pkt_t k = frag4(u, off, len, more, id);
    feed_pkt(d, 1, &k, ts);
    pkt_free(&k);
}

static cap_decoder_t *new_decoder(const cap_limits_t *l)
{
    got_reset(&got);
    cap_decoder_t *d = cap_decoder_new(l, got_cb, &got);
    assert_non_null(d);
    return d;
}

static void assert_body(size_t body_len)
{
    assert_int_equal(got.n, 1);
    assert_int_equal(got.dg[0].dg.len, body_len);
    assert_memory_equal(got.dg[0].dg.data, body, body_len);
    assert_int_equal(got.dg[0].dg.transport, TRANSPORT_UDP);
    if (got.dg[0].dg.src.ip.family == IP_V4) assert_int_equal(v4_of(&got.dg[0].dg.src.ip), SRC);
}

static void test_ipv4_in_order(void **state)
{
    cap_decoder_t *d = new_decoder(NULL);
    pkt_t u = udp_datagram(2000); /* 2008 bytes: 1000 + 1000 + 8 */
    send4(d, &u, 0, 1000, true, 1, 1);
    send4(d, &u, 1000, 1000, true, 1, 2);
    assert_int_equal(got.n, 0);
    send4(d, &u, 2000, 8, false, 1, 3);
    assert_body(2000);
    assert_int_equal(got.dg[0].dg.ts_ns, 3);
    const cap_stats_t *s = cap_decoder_stats(d);
    assert_int_equal(s->frag_fragments, 3);
    assert_int_equal(s->frag_reassembled, 1);
    assert_int_equal(s->frag_overlaps, 0);
    pkt_free(&u);
    cap_decoder_free(d);
}

static void test_ipv4_out_of_order_dup_overlap(void **state)
{
    /* The exact duplicate fragment below is a capture copy as far as
     * duplicate suppression (on by default, capture/dedup.c) can tell, and
     * would be dropped before it reached the reassembler; this test is about
     * the reassembler's overlap rule, so suppression is off here
     * (test_capture_dedup.c covers the fragment being dropped). */
    cap_limits_t l;
    cap_limits_default(&l);
    l.dedup_slots = 0;
    cap_decoder_t *d = new_decoder(&l);
    pkt_t u = udp_datagram(2400);         /* 2408 bytes */
    send4(d, &u, 2000, 408, false, 7, 1); /* last first */
    send4(d, &u, 800, 800, true, 7, 2);   /* middle */
    send4(d, &u, 800, 800, true, 7, 3);   /* exact duplicate */
    /* overlapping [400, 1200) with different bytes: first wins, so the
     * bytes [800, 1200) already held are kept */
    pkt_t evil = pkt_new(u.p, u.n);
    memset(evil.p + 400, 'Z', 800);
    send4(d, &evil, 400, 800, true, 7, 4);
    assert_int_equal(got.n, 0);
    send4(d, &u, 1600, 400, true, 7, 5);
    send4(d, &u, 0, 400, true, 7, 6);
    assert_int_equal(got.n, 1);
    /* bytes 400..799 came only from the overlapping fragment ('Z'),
     * everything else is the original */
    const uint8_t *p = got.dg[0].dg.data; /* UDP payload = datagram[8..] */
    assert_int_equal(got.dg[0].dg.len, 2400);
    assert_memory_equal(p, u.p + 8, 392);
    for (size_t i = 392; i < 792; i++)
        assert_int_equal(p[i], 'Z');
    assert_memory_equal(p + 792, u.p + 800, 2400 - 792);
    const cap_stats_t *s = cap_decoder_stats(d);
    assert_int_equal(s->frag_overlaps, 2); /* the duplicate and the overlap */
    assert_int_equal(s->frag_reassembled, 1);
    pkt_free(&evil);
    pkt_free(&u);
    cap_decoder_free(d);
}

static void test_ipv4_inconsistent(void **state)
{
    cap_decoder_t *d = new_decoder(NULL);
    pkt_t u = udp_datagram(2000);
    send4(d, &u, 1000, 1008, false, 9, 1);
    uint64_t inval = cap_decoder_stats(d)->invalid;
    send4(d, &u, 1000, 504, false, 9, 2); /* a second, different end */
    send4(d, &u, 0, 1004, true, 9, 3);    /* not a multiple of 8 */
    assert_int_equal(cap_decoder_stats(d)->invalid, inval + 2);
    send4(d, &u, 0, 1000, true, 9, 4);
    assert_body(2000);
    /* offset + length beyond 65535 */
    uint8_t big[1000] = {0};
    pkt_t k = pkt_new(big, sizeof big);
    ipv4_wrap_frag(&k, SRC, DST, 17, 10, 0x1fff);
    feed_pkt(d, 101, &k, 5);
    assert_int_equal(cap_decoder_stats(d)->invalid, inval + 3);
    pkt_free(&k);
    pkt_free(&u);
    cap_decoder_free(d);
}

static void test_ipv4_timeout_and_eviction(void **state)
{
    cap_limits_t l;
    cap_limits_default(&l);
    l.max_frag_datagrams = 4;
    l.frag_timeout_ns = 10 * NS_PER_SEC;
    cap_decoder_t *d = new_decoder(&l);
    pkt_t u = udp_datagram(2000);
    /* six datagrams started, only four fit: the two oldest are evicted */
    for (uint16_t id = 1; id <= 6; id++)
        send4(d, &u, 0, 1000, true, id, id);
    assert_int_equal(cap_decoder_stats(d)->frag_evicted, 2);
    send4(d, &u, 1000, 1008, false, 1, 7); /* id 1 was evicted: incomplete */
    assert_int_equal(got.n, 0);
    assert_int_equal(cap_decoder_stats(d)->frag_evicted, 3); /* id 1 anew pushed out id 3 */
    send4(d, &u, 1000, 1008, false, 6, 8);
    assert_body(2000);
    /* ids 4, 5 and the new 1 are pending; expire them all */
    cap_decoder_expire(d, 20 * NS_PER_SEC);
    assert_int_equal(cap_decoder_stats(d)->frag_timeouts, 3);
    /* lazy expiry from packet time: a fragment, then one 31 s later */
    send4(d, &u, 0, 1000, true, 20, 30 * NS_PER_SEC);
    send4(d, &u, 0, 1000, true, 21, 61 * NS_PER_SEC);
    send4(d, &u, 1000, 1008, false, 20, 61 * NS_PER_SEC + 1);
    assert_int_equal(got.n, 1); /* id 20 timed out before its end came */
    assert_int_equal(cap_decoder_stats(d)->frag_timeouts, 4);
    pkt_free(&u);
    cap_decoder_free(d);
}

/* The entry cap reached over and over: every datagram past the cap evicts
 * exactly one, and entries taken back from evicted datagrams start clean
 * (the last ones complete, an evicted one does not). */
static void test_ipv4_cap_reuse(void **state)
{
    cap_limits_t l;
    cap_limits_default(&l);
    l.max_frag_datagrams = 8;
    cap_decoder_t *d = new_decoder(&l);
    pkt_t u = udp_datagram(2000);
    for (uint16_t id = 1; id <= 1000; id++)
        send4(d, &u, 0, 1000, true, id, id);
    assert_int_equal(cap_decoder_stats(d)->frag_evicted, 992);
    send4(d, &u, 1000, 1008, false, 1, 1001); /* id 1 is long gone */
    assert_int_equal(got.n, 0);
    assert_int_equal(cap_decoder_stats(d)->frag_evicted, 993); /* id 1 pushed out id 993 */
    for (uint16_t id = 994; id <= 1000; id++)
        send4(d, &u, 1000, 1008, false, id, 1001 + id);
    assert_int_equal(got.n, 7);
    for (size_t i = 0; i < got.n; i++) {
        assert_int_equal(got.dg[i].dg.len, 2000);
        assert_memory_equal(got.dg[i].dg.data, body, 2000);
    }
    assert_int_equal(cap_decoder_stats(d)->frag_reassembled, 7);
    assert_int_equal(cap_decoder_stats(d)->frag_evicted, 993);
    pkt_free(&u);
    cap_decoder_free(d);
}

static void test_ipv4_byte_limit(void **state)
{
    cap_limits_t l;
    cap_limits_default(&l);
    l.max_frag_bytes = 3000;
    cap_decoder_t *d = new_decoder(&l);
    pkt_t u = udp_datagram(2400);
    send4(d, &u, 0, 1200, true, 1, 1);
    send4(d, &u, 0, 1200, true, 2, 2);
    send4(d, &u, 0, 1200, true, 3, 3); /* pushes out id 1 */
    assert_int_equal(cap_decoder_stats(d)->frag_evicted, 1);
    send4(d, &u, 1200, 1208, false, 3, 4); /* pushes out id 2 */
    assert_int_equal(got.n, 1);
    assert_int_equal(cap_decoder_stats(d)->frag_evicted, 2);
    pkt_free(&u);
    cap_decoder_free(d);
}

/* IPv6: hop-by-hop (unfragmentable) + fragment header; out of order. */
static pkt_t frag6(const pkt_t *u, size_t off, size_t len, bool more, uint32_t id)
{
    pkt_t k = pkt_new(u->p + off, len);
    uint8_t fh[8] = {17, 0};
    put16(fh + 2, (uint16_t)(off | (more ? 1 : 0)));
    put32(fh + 4, id);
    pkt_prepend(&k, fh, 8);
    uint8_t hop[8] = {44, 0, 1, 4, 0, 0, 0, 0};
    pkt_prepend(&k, hop, 8);
    ipv6_wrap(&k, V6A, V6B, 0);
    eth_wrap(&k, 0x86DD);
    return k;
}

static void test_ipv6_fragments(void **state)
{
    cap_decoder_t *d = new_decoder(NULL);
    pkt_t u = udp_datagram(2400);
    size_t offs[] = {1232, 0, 616, 1848};
    size_t lens[] = {616, 616, 616, 560};
    for (int i = 0; i < 4; i++) {
        pkt_t k = frag6(&u, offs[i], lens[i], offs[i] != 1848, 0xdeadbeef);
        feed_pkt(d, 1, &k, i);
        pkt_free(&k);
    }
    assert_body(2400);
    assert_int_equal(got.dg[0].dg.src.ip.family, IP_V6);
    assert_memory_equal(got.dg[0].dg.dst.ip.bytes, V6B, 16);
    assert_int_equal(cap_decoder_stats(d)->frag_reassembled, 1);
    /* an atomic fragment (offset 0, M clear) is decoded directly */
    got_reset(&got);
    pkt_t a = frag6(&u, 0, u.n, false, 5);
    feed_pkt(d, 1, &a, 9);
    assert_body(2400);
    assert_int_equal(cap_decoder_stats(d)->frag_reassembled, 1);
    pkt_free(&a);
    pkt_free(&u);
    cap_decoder_free(d);
}

/* Many tiny overlapping fragments must stay bounded and not crash. */
static void test_fragment_flood(void **state)
{
    cap_limits_t l;
    cap_limits_default(&l);
    l.max_frag_bytes = 64 * 1024;
    l.max_frag_datagrams = 16;
    cap_decoder_t *d = new_decoder(&l);
    pkt_t u = udp_datagram(2400);
    for (int i = 0; i < 5000; i++) {
        size_t off = (size_t)(i * 8) % 2400;
        send4(d, &u, off, 8, true, (uint16_t)(i % 40), i);
    }
    assert_int_equal(got.n, 0);
    assert_true(cap_decoder_stats(d)->frag_evicted > 0);
    pkt_free(&u);
    cap_decoder_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_in_order),
        cmocka_unit_test(test_ipv4_out_of_order_dup_overlap),
        cmocka_unit_test(test_ipv4_inconsistent),
        cmocka_unit_test(test_ipv4_timeout_and_eviction),
        cmocka_unit_test(test_ipv4_byte_limit),
        cmocka_unit_test(test_ipv4_cap_reuse),
        cmocka_unit_test(test_ipv6_fragments),
        cmocka_unit_test(test_fragment_flood),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    got_reset(&got);
    return rc;
}
