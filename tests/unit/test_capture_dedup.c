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

/* Two INVITEs that differ only past the first 16 bytes of their payload
 * (the Call-ID), same hosts, ports and length. */
#define INVITE_A                                                                                   \
    "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKaa\r\n"         \
    "Call-ID: call-aaaa@10.0.0.1\r\nCSeq: 1 INVITE\r\nFrom: <sip:a@x>;tag=1\r\n"                   \
    "To: <sip:bob@x>\r\nContent-Length: 0\r\n\r\n"
#define INVITE_B                                                                                   \
    "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKbb\r\n"         \
    "Call-ID: call-bbbb@10.0.0.1\r\nCSeq: 1 INVITE\r\nFrom: <sip:a@x>;tag=1\r\n"                   \
    "To: <sip:bob@x>\r\nContent-Length: 0\r\n\r\n"

/* Ones-complement sum of n bytes (n even or odd), unfolded. */
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t acc)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        acc += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1) acc += (uint32_t)p[n - 1] << 8;
    return acc;
}

static uint16_t fold(uint32_t acc)
{
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return (uint16_t)acc;
}

typedef enum { CK_ZERO, CK_PSEUDO, CK_REAL } cksum_kind_t;

/* Fills the UDP checksum of the IP packet at ip (v4 or v6, no options or
 * extension headers): 0, only the pseudo-header sum (what a capture on the
 * sending host sees with TX checksum offload: the NIC adds the rest), or
 * the real one. */
static void set_udp_cksum(uint8_t *ip, cksum_kind_t kind)
{
    bool v6 = ip[0] >> 4 == 6;
    size_t hl = v6 ? 40 : 20;
    uint8_t *u = ip + hl;
    size_t ulen = (size_t)(u[4] << 8 | u[5]);
    put16(u + 6, 0);
    if (kind == CK_ZERO) return;
    uint32_t acc = v6 ? sum16(ip + 8, 32, 0) : sum16(ip + 12, 8, 0);
    acc += 17 + (uint32_t)ulen;
    if (kind == CK_PSEUDO) {
        put16(u + 6, fold(acc));
        return;
    }
    uint16_t c = (uint16_t)~fold(sum16(u, ulen, acc));
    put16(u + 6, c ? c : 0xffff);
}

/* msg over UDP/IPv4 (IP ID id) or IPv6 with the given checksum kind. */
static pkt_t udp_ck(const char *msg, bool v6, uint16_t id, cksum_kind_t kind)
{
    pkt_t k = pkt_str(msg);
    udp_wrap(&k, 5060, 5060);
    if (v6) {
        ipv6_wrap(&k, V6A, V6B, 17);
    } else {
        ipv4_wrap(&k, SRC, DST, 17);
        put16(k.p + 4, id);
    }
    set_udp_cksum(k.p, kind);
    eth_wrap(&k, v6 ? 0x86dd : 0x0800);
    return k;
}

/* Two distinct INVITEs 0.5 ms apart, for each way a sender fills the UDP
 * checksum and IP ID, over IPv4 and IPv6: both are delivered; a true copy
 * of either is still dropped. */
static void test_distinct_messages_kept(void **state)
{
    (void)state;
    assert_int_equal(strlen(INVITE_A), strlen(INVITE_B));
    static const cksum_kind_t kinds[] = {CK_ZERO, CK_PSEUDO, CK_REAL};
    for (int v6 = 0; v6 < 2; v6++) {
        for (size_t k = 0; k < 3; k++) {
            for (int idz = 0; idz < 2; idz++) {
                if (v6 && (idz || kinds[k] == CK_ZERO)) continue; /* no ID; 0 not allowed */
                uint16_t id = idz ? 0 : 0x1234;
                cap_decoder_t *d = new_decoder(NULL);
                pkt_t a = udp_ck(INVITE_A, v6, id, kinds[k]);
                pkt_t b = udp_ck(INVITE_B, v6, id, kinds[k]);
                feed_pkt(d, DLT_ETHER, &a, T0);
                feed_pkt(d, DLT_ETHER, &b, T0 + 500 * 1000);
                print_message("v6=%d checksum=%zu id=%u: %zu delivered, %llu dropped\n", v6, k, id,
                              got.n, (unsigned long long)dups(d));
                assert_int_equal(got.n, 2);
                assert_true(dg_is(&got.dg[0], INVITE_A));
                assert_true(dg_is(&got.dg[1], INVITE_B));
                assert_int_equal(dups(d), 0);
                /* the copy of each from a second SPAN source */
                feed_pkt(d, DLT_ETHER, &a, T0 + 600 * 1000);
                feed_pkt(d, DLT_ETHER, &b, T0 + 700 * 1000);
                assert_int_equal(got.n, 2);
                assert_int_equal(dups(d), 2);
                pkt_free(&a);
                pkt_free(&b);
                cap_decoder_free(d);
            }
        }
    }
}

/* Two messages with the same valid checksum: swapping two aligned 16-bit
 * words keeps the ones-complement sum.  IP ID 0 (Linux DF datagrams), so
 * only the payload tells them apart. */
static void test_same_checksum_kept(void **state)
{
    (void)state;
    char other[] = INVITE_A;
    char *cid = strstr(other, "call-aaaa");
    assert_non_null(cid);
    size_t off = (size_t)(cid - other);
    if (off & 1) off++; /* word-aligned in the UDP payload (the header is 8 bytes) */
    char t0 = other[off], t1 = other[off + 1];
    other[off] = 'x';
    other[off + 1] = 'y';
    other[off + 2] = t0;
    other[off + 3] = t1; /* words (t0 t1)(x y) became (x y)(t0 t1) */
    char orig[] = INVITE_A;
    orig[off + 0] = t0;
    orig[off + 1] = t1;
    orig[off + 2] = 'x';
    orig[off + 3] = 'y';
    for (int v6 = 0; v6 < 2; v6++) {
        cap_decoder_t *d = new_decoder(NULL);
        pkt_t a = udp_ck(orig, v6, 0, CK_REAL), b = udp_ck(other, v6, 0, CK_REAL);
        size_t ck = 14 + (v6 ? 40 : 20) + 6;
        assert_memory_equal(a.p + ck, b.p + ck, 2); /* same checksum */
        assert_memory_not_equal(a.p, b.p, a.n);
        feed_pkt(d, DLT_ETHER, &a, T0);
        feed_pkt(d, DLT_ETHER, &b, T0 + 500 * 1000);
        assert_int_equal(got.n, 2);
        assert_int_equal(dups(d), 0);
        pkt_free(&a);
        pkt_free(&b);
        cap_decoder_free(d);
    }
}

/* RTP with a real UDP checksum takes the short key (dedup.c; over IPv4
 * its straight-line copy, v4_rtp_hash): a copy is still dropped, and two
 * packets with the same RTP header but other audio (so another checksum)
 * are both kept; with checksum 0 or only the pseudo-header sum (which the
 * short key must refuse) the same, over IPv4 and IPv6. */
static void test_rtp_real_checksum(void **state)
{
    (void)state;
    static const cksum_kind_t kinds[] = {CK_REAL, CK_ZERO, CK_PSEUDO};
    for (int v6 = 0; v6 < 2; v6++) {
        for (size_t k = 0; k < 3; k++) {
            if (v6 && kinds[k] == CK_ZERO) continue; /* not allowed over IPv6 */
            cap_decoder_t *d = new_decoder(NULL);
            char rtp[12 + 160 + 1];
            memset(rtp, 'a', sizeof rtp - 1);
            rtp[sizeof rtp - 1] = 0;
            memcpy(rtp, "\x80\x08\x12\x34\x01\x02\x10\x03\xca\xfe\xba\xbe",
                   12); /* no NUL: a C string */
            pkt_t a = udp_ck(rtp, v6, 0, kinds[k]);
            rtp[100] = 'b'; /* other audio, same header */
            pkt_t b = udp_ck(rtp, v6, 0, kinds[k]);
            feed_pkt(d, DLT_ETHER, &a, T0);
            feed_pkt(d, DLT_ETHER, &b, T0 + 20 * 1000);
            feed_pkt(d, DLT_ETHER, &a, T0 + 40 * 1000); /* a copy */
            assert_int_equal(got.n, 2);
            assert_int_equal(dups(d), 1);
            pkt_free(&a);
            pkt_free(&b);
            cap_decoder_free(d);
        }
    }
}

/* TCP: a capture copy of a segment is dropped (the reassembly would take
 * it for a retransmission); a segment with the same sequence number but
 * other bytes (a retransmission that repacketised) is not a copy. */
static void test_tcp_copy_and_resend(void **state)
{
    (void)state;
    cap_limits_t l = on();
    cap_decoder_t *d = new_decoder(&l);
    pkt_t a = pkt_str(INVITE_A), b = pkt_str(INVITE_B);
    tcp_wrap(&a, 5060, 5060, 1000, TH_ACK | TH_PSH);
    tcp_wrap(&b, 5060, 5060, 1000, TH_ACK | TH_PSH);
    ipv4_wrap(&a, SRC, DST, 6);
    ipv4_wrap(&b, SRC, DST, 6);
    put16(a.p + 4, 0);
    put16(b.p + 4, 0);
    eth_wrap(&a, 0x0800);
    eth_wrap(&b, 0x0800);
    feed_pkt(d, DLT_ETHER, &a, T0);
    feed_pkt(d, DLT_ETHER, &a, T0 + 100 * 1000);
    assert_int_equal(dups(d), 1);
    feed_pkt(d, DLT_ETHER, &b, T0 + 200 * 1000);
    assert_int_equal(dups(d), 0 + 1);
    assert_int_equal(cap_decoder_stats(d)->tcp, 2);
    pkt_free(&a);
    pkt_free(&b);
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
        cmocka_unit_test(test_same_frame_twice),
        cmocka_unit_test(test_different_link_and_ttl),
        cmocka_unit_test(test_outside_window),
        cmocka_unit_test(test_sip_retransmission),
        cmocka_unit_test(test_different_packets),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_default_on),
        cmocka_unit_test(test_fragment_copy),
        cmocka_unit_test(test_network_duplicates),
        cmocka_unit_test(test_disabled),
        cmocka_unit_test(test_small_table),
        cmocka_unit_test(test_doubled_capture),
        cmocka_unit_test(test_distinct_messages_kept),
        cmocka_unit_test(test_same_checksum_kept),
        cmocka_unit_test(test_tcp_copy_and_resend),
        cmocka_unit_test(test_rtp_real_checksum),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    got_reset(&got);
    return rc;
}
