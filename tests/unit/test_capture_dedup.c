/* test_capture_dedup.c - duplicate-packet suppression in the capture decoder
 * (capture/dedup.c): it is on by default (cap_limits_default and a decoder
 * made without limits); a copy of an IP packet within the window is dropped
 * and counted whatever its link layer, TTL or hop limit, a copied fragment
 * before reassembly; packets further apart, SIP retransmissions, network
 * duplicates as siphon-gen writes them (new IPv4 ID, IPv6 copy after the
 * window), different payloads and a disabled table all go through; and a
 * real capture with every frame written twice decodes to the same
 * datagrams as the original. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include <pcap/pcap.h>
#include <unistd.h>

#include "capture_test_util.h"

#define SRC 0x0a000001u
#define DST 0x0a000002u
#define SIP_MSG                                                                                    \
    "OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n"         \
    "Call-ID: abc@10.0.0.1\r\nCSeq: 1 OPTIONS\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:bob@x>\r\n"     \
    "Content-Length: 0\r\n\r\n"
#define PCAPS     SHARED_DIR "/data/pcaps/"
#define DLT_ETHER 1 /* DLT_EN10MB */
#define T0        (1700000000 * NS_PER_SEC)

static const uint8_t V6A[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t V6B[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

static got_t got;

/* The defaults, which have the table switched on (test_default_on). */
static cap_limits_t on(void)
{
    cap_limits_t l;
    cap_limits_default(&l);
    return l;
}

static cap_decoder_t *new_decoder(const cap_limits_t *lim)
{
    cap_limits_t l = lim ? *lim : on();
    got_reset(&got);
    cap_decoder_t *d = cap_decoder_new(&l, got_cb, &got);
    assert_non_null(d);
    return d;
}

/* An Ethernet frame carrying msg over UDP/IPv4 with the given TTL. */
static pkt_t udp_v4(const char *msg, uint8_t ttl)
{
    pkt_t k = pkt_str(msg);
    udp_wrap(&k, 5060, 5080);
    ipv4_wrap(&k, SRC, DST, 17);
    k.p[8] = ttl;
    eth_wrap(&k, 0x0800);
    return k;
}

static uint64_t dups(const cap_decoder_t *d)
{
    return cap_decoder_stats(d)->duplicates_dropped;
}

static void test_same_frame_twice(void **state)
{
    (void)state;
    cap_decoder_t *d = new_decoder(NULL);
    pkt_t k = udp_v4(SIP_MSG, 64);
    feed_pkt(d, DLT_ETHER, &k, T0);
    feed_pkt(d, DLT_ETHER, &k, T0 + 20 * 1000);  /* 20 us later */
    feed_pkt(d, DLT_ETHER, &k, T0 + 500 * 1000); /* a third copy */
    assert_int_equal(got.n, 1);
    assert_true(dg_is(&got.dg[0], SIP_MSG));
    assert_int_equal(dups(d), 2);
    const cap_stats_t *st = cap_decoder_stats(d);
    assert_int_equal(st->frames, 3);
    assert_int_equal(st->ipv4, 1);
    assert_int_equal(st->udp, 1);
    assert_int_equal(st->datagrams_out, 1);
    pkt_free(&k);
    cap_decoder_free(d);
}

/* The copy from the other SPAN source: a hop further (TTL and checksum
 * differ), another VLAN, other MACs. */
static void test_different_link_and_ttl(void **state)
{
    (void)state;
    cap_decoder_t *d = new_decoder(NULL);
    pkt_t a = udp_v4(SIP_MSG, 64);
    a.p[14 + 10] = 0x12; /* some checksum */
    pkt_t b = udp_v4(SIP_MSG, 63);
    b.p[14 + 10] = 0x34;
    b.p[0] = 0xde;  /* destination MAC */
    b.p[11] = 0xef; /* source MAC */
    vlan_insert(&b, 0x8100, 42);
    feed_pkt(d, DLT_ETHER, &a, T0);
    feed_pkt(d, DLT_ETHER, &b, T0 + 100 * 1000);
    assert_int_equal(got.n, 1);
    assert_int_equal(dups(d), 1);

    /* the same IP packet in a raw-IP capture is a duplicate too */
    feed(d, 101 /* DLT_RAW */, a.p + 14, a.n - 14, T0 + 200 * 1000);
    assert_int_equal(got.n, 1);
    assert_int_equal(dups(d), 2);
    pkt_free(&a);
    pkt_free(&b);
    cap_decoder_free(d);
}

static void test_outside_window(void **state)
{
    (void)state;
    cap_limits_t l = on();
    cap_decoder_t *d = new_decoder(&l);
    pkt_t k = udp_v4(SIP_MSG, 64);
    feed_pkt(d, DLT_ETHER, &k, T0);
    feed_pkt(d, DLT_ETHER, &k, T0 + l.dedup_window_ns + 1);
    assert_int_equal(got.n, 2);
    assert_int_equal(dups(d), 0);
    /* the window restarts at the second sighting */
    feed_pkt(d, DLT_ETHER, &k, T0 + l.dedup_window_ns + 2);
    assert_int_equal(got.n, 2);
    assert_int_equal(dups(d), 1);
    pkt_free(&k);
    cap_decoder_free(d);
}

/* A SIP request retransmitted over UDP after T1 is byte-identical (same IP
 * ID from a stack that reuses it) but 500 ms later: both are delivered. */
static void test_sip_retransmission(void **state)
{
    (void)state;
    cap_decoder_t *d = new_decoder(NULL);
    pkt_t k = udp_v4(SIP_MSG, 64);
    feed_pkt(d, DLT_ETHER, &k, T0);
    feed_pkt(d, DLT_ETHER, &k, T0 + 500 * NS_PER_MSEC);
    feed_pkt(d, DLT_ETHER, &k, T0 + 1500 * NS_PER_MSEC);
    assert_int_equal(got.n, 3);
    assert_int_equal(dups(d), 0);
    pkt_free(&k);
    cap_decoder_free(d);
}

static void test_different_packets(void **state)
{
    (void)state;
    cap_decoder_t *d = new_decoder(NULL);
    pkt_t a = udp_v4(SIP_MSG, 64);
    pkt_t b = udp_v4(SIP_MSG, 64);
    b.p[14 + 28 + 1] ^= 1; /* one payload byte */
    pkt_t c = udp_v4(SIP_MSG, 64);
    c.p[14 + 5] ^= 1; /* IPv4 ID */
    pkt_t e = udp_v4("short", 64);
    feed_pkt(d, DLT_ETHER, &a, T0);
    feed_pkt(d, DLT_ETHER, &b, T0 + 1000);
    feed_pkt(d, DLT_ETHER, &c, T0 + 2000);
    feed_pkt(d, DLT_ETHER, &e, T0 + 3000);
    assert_int_equal(got.n, 4);
    assert_int_equal(dups(d), 0);
    pkt_free(&a);
    pkt_free(&b);
    pkt_free(&c);
    pkt_free(&e);
    cap_decoder_free(d);
}

static pkt_t udp_v6(const char *msg, uint8_t hop_limit)
{
    pkt_t k = pkt_str(msg);
    udp_wrap(&k, 5060, 5080);
    ipv6_wrap(&k, V6A, V6B, 17);
    k.p[7] = hop_limit;
    eth_wrap(&k, 0x86dd);
    return k;
}

static void test_ipv6(void **state)
{
    (void)state;
    cap_decoder_t *d = new_decoder(NULL);
    pkt_t a = udp_v6(SIP_MSG, 64), b = udp_v6(SIP_MSG, 60);
    vlan_insert(&b, 0x8100, 7);
    feed_pkt(d, DLT_ETHER, &a, T0);
    feed_pkt(d, DLT_ETHER, &b, T0 + 50 * 1000);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.dg[0].dg.src.ip.family, IP_V6);
    assert_int_equal(dups(d), 1);
    assert_int_equal(cap_decoder_stats(d)->ipv6, 1);
    feed_pkt(d, DLT_ETHER, &a, T0 + 3 * NS_PER_MSEC); /* outside */
    assert_int_equal(got.n, 2);
    pkt_t c = udp_v6(SIP_MSG, 64);
    c.p[14 + 8 + 15] = 9; /* another source */
    feed_pkt(d, DLT_ETHER, &c, T0 + 3 * NS_PER_MSEC + 10);
    assert_int_equal(got.n, 3);
    assert_int_equal(dups(d), 1);
    pkt_free(&a);
    pkt_free(&b);
    pkt_free(&c);
    cap_decoder_free(d);
}

/* On by default: the limits say so, and a decoder made from them, or
 * without limits at all, drops a copy. */
static void test_default_on(void **state)
{
    (void)state;
    cap_limits_t l;
    cap_limits_default(&l);
    assert_true(l.dedup_slots >= 16384);
    assert_int_equal(l.dedup_window_ns, 2 * NS_PER_MSEC);
    pkt_t k = udp_v4(SIP_MSG, 64);
    for (int i = 0; i < 2; i++) {
        got_reset(&got);
        cap_decoder_t *d = cap_decoder_new(i == 0 ? &l : NULL, got_cb, &got);
        assert_non_null(d);
        feed_pkt(d, DLT_ETHER, &k, T0);
        feed_pkt(d, DLT_ETHER, &k, T0 + 100 * 1000);
        assert_int_equal(got.n, 1);
        assert_int_equal(dups(d), 1);
        assert_int_equal(cap_decoder_stats(d)->frames, 2);
        cap_decoder_free(d);
    }
    pkt_free(&k);
}

/* A fragment captured twice is dropped before reassembly: the reassembler
 * sees no overlap and the datagram comes out once. */
static void test_fragment_copy(void **state)
{
    (void)state;
    cap_decoder_t *d = new_decoder(NULL);
    char body[2000];
    memset(body, 'x', sizeof body);
    pkt_t u = pkt_new(body, sizeof body);
    udp_wrap(&u, 5060, 5080);
    pkt_t f1 = pkt_new(u.p, 1000), f2 = pkt_new(u.p + 1000, u.n - 1000);
    ipv4_wrap_frag(&f1, SRC, DST, 17, 77, 0x2000);
    ipv4_wrap_frag(&f2, SRC, DST, 17, 77, 1000 / 8);
    eth_wrap(&f1, 0x0800);
    eth_wrap(&f2, 0x0800);
    feed_pkt(d, DLT_ETHER, &f1, T0);
    feed_pkt(d, DLT_ETHER, &f1, T0 + 10 * 1000);
    feed_pkt(d, DLT_ETHER, &f2, T0 + 20 * 1000);
    feed_pkt(d, DLT_ETHER, &f2, T0 + 30 * 1000);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.dg[0].dg.len, sizeof body);
    const cap_stats_t *st = cap_decoder_stats(d);
    assert_int_equal(dups(d), 2);
    assert_int_equal(st->frag_fragments, 2);
    assert_int_equal(st->frag_overlaps, 0);
    assert_int_equal(st->frag_reassembled, 1);
    pkt_free(&u);
    pkt_free(&f1);
    pkt_free(&f2);
    cap_decoder_free(d);
}

/* Network duplicates as siphon-gen writes them (tests/gen/gen_rtp.c): an
 * RTP packet sent twice is a new IPv4 packet (the next IP ID) 1..2000 us
 * later, or, over IPv6 which has no ID, the same bytes 5..7 ms later.  Both
 * reach the RTP layer, which counts the duplicate. */
static void test_network_duplicates(void **state)
{
    (void)state;
    cap_decoder_t *d = new_decoder(NULL);
    uint8_t rtp[12 + 160] = {0x80, 0x00, 0x12, 0x34, 0, 0, 0x10, 0, 0xca, 0xfe, 0xba, 0xbe};
    pkt_t a = pkt_new(rtp, sizeof rtp);
    udp_wrap(&a, 16384, 20000);
    ipv4_wrap(&a, SRC, DST, 17);
    pkt_t b = pkt_new(a.p, a.n);
    put16(b.p + 4, 0x4243); /* the next IP ID */
    eth_wrap(&a, 0x0800);
    eth_wrap(&b, 0x0800);
    feed_pkt(d, DLT_ETHER, &a, T0);
    feed_pkt(d, DLT_ETHER, &b, T0 + 1000 * 1000); /* 1 ms later */
    assert_int_equal(got.n, 2);
    assert_int_equal(dups(d), 0);

    pkt_t c = pkt_new(rtp, sizeof rtp);
    udp_wrap(&c, 16384, 20000);
    ipv6_wrap(&c, V6A, V6B, 17);
    eth_wrap(&c, 0x86dd);
    feed_pkt(d, DLT_ETHER, &c, T0 + 10 * NS_PER_MSEC);
    feed_pkt(d, DLT_ETHER, &c, T0 + 15 * NS_PER_MSEC); /* 5 ms later */
    assert_int_equal(got.n, 4);
    assert_int_equal(dups(d), 0);
    /* the same copy 1 ms later would be a capture duplicate */
    feed_pkt(d, DLT_ETHER, &c, T0 + 16 * NS_PER_MSEC);
    assert_int_equal(got.n, 4);
    assert_int_equal(dups(d), 1);
    pkt_free(&a);
    pkt_free(&b);
    pkt_free(&c);
    cap_decoder_free(d);
}

/* Switched off: dedup_slots 0 (the configuration's way) or a window of 0. */
static void test_disabled(void **state)
{
    (void)state;
    cap_limits_t l = on();
    l.dedup_slots = 0;
    cap_decoder_t *d = new_decoder(&l);
    pkt_t k = udp_v4(SIP_MSG, 64);
    feed_pkt(d, DLT_ETHER, &k, T0);
    feed_pkt(d, DLT_ETHER, &k, T0);
    assert_int_equal(got.n, 2);
    assert_int_equal(dups(d), 0);
    cap_decoder_free(d);

    l = on();
    l.dedup_window_ns = 0;
    d = new_decoder(&l);
    feed_pkt(d, DLT_ETHER, &k, T0);
    feed_pkt(d, DLT_ETHER, &k, T0);
    assert_int_equal(got.n, 2);
    assert_int_equal(dups(d), 0);
    pkt_free(&k);
    cap_decoder_free(d);
}

/* A tiny table (2 slots = one set of two ways): a third packet evicts the
 * oldest, whose copy then goes through; nothing breaks. */
static void test_small_table(void **state)
{
    (void)state;
    cap_limits_t l = on();
    l.dedup_slots = 1;
    cap_decoder_t *d = new_decoder(&l);
    pkt_t a = udp_v4("first", 64), b = udp_v4("second", 64), c = udp_v4("third", 64);
    feed_pkt(d, DLT_ETHER, &a, T0);
    feed_pkt(d, DLT_ETHER, &b, T0 + 1);
    feed_pkt(d, DLT_ETHER, &b, T0 + 2);
    assert_int_equal(got.n, 2);
    assert_int_equal(dups(d), 1);
    feed_pkt(d, DLT_ETHER, &c, T0 + 3);
    feed_pkt(d, DLT_ETHER, &a, T0 + 4); /* evicted: delivered again */
    assert_int_equal(got.n, 4);
    pkt_free(&a);
    pkt_free(&b);
    pkt_free(&c);
    cap_decoder_free(d);
}

/* Decodes a capture file; the stats are copied into *st. */
static void decode_file(const char *path, cap_stats_t *st)
{
    char err[256];
    cap_files_t *f = cap_files_open(&path, 1, err, sizeof err);
    assert_non_null(f);
    cap_decoder_t *d = new_decoder(NULL);
    cap_frame_t fr;
    while (cap_files_next(f, &fr, err, sizeof err) == 1)
        cap_decode_frame(d, &fr);
    *st = *cap_decoder_stats(d);
    cap_decoder_free(d);
    cap_files_close(f);
    got_reset(&got);
}

/* Every frame of a real capture written twice (as two SPAN ports would
 * deliver it): the same datagrams come out, and every copy is counted. */
static void check_doubled(const char *src)
{
    char dst[] = "/tmp/siphon_dedup_XXXXXX";
    close(mkstemp(dst));
    long n = pcap_write_doubled(src, dst, 0);
    assert_true(n > 0);

    cap_stats_t one, two;
    decode_file(src, &one);
    decode_file(dst, &two);
    unlink(dst);
    assert_true(one.datagrams_out > 0);
    assert_int_equal(one.duplicates_dropped, 0);
    assert_int_equal(two.frames, 2 * n);
    assert_int_equal(two.datagrams_out, one.datagrams_out);
    assert_int_equal(two.udp, one.udp);
    assert_int_equal(two.tcp, one.tcp);
    assert_int_equal(two.ipv4, one.ipv4);
    assert_int_equal(two.ipv6, one.ipv6);
    /* every copy of an IP frame is dropped (captures without tunnels) */
    assert_int_equal(one.tunnels, 0);
    assert_int_equal(two.duplicates_dropped, one.ipv4 + one.ipv6);
}

static void test_doubled_capture(void **state)
{
    (void)state;
    check_doubled(PCAPS "sngrep_aaa.pcap");
    check_doubled(PCAPS "heplify_sip_ipv6_udp.pcap");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_frame_twice),   cmocka_unit_test(test_different_link_and_ttl),
        cmocka_unit_test(test_outside_window),     cmocka_unit_test(test_sip_retransmission),
        cmocka_unit_test(test_different_packets),  cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_default_on),         cmocka_unit_test(test_fragment_copy),
        cmocka_unit_test(test_network_duplicates), cmocka_unit_test(test_disabled),
        cmocka_unit_test(test_small_table),        cmocka_unit_test(test_doubled_capture),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    got_reset(&got);
    return rc;
}
