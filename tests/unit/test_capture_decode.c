/* test_capture_decode.c - the capture decoder on hand-built frames: every
 * link type and encapsulation (VLAN, QinQ, MPLS, SLL/SLL2, raw, BSD
 * loopback, IPv4 options, IPv6 extension headers, IP-in-IP, GRE with all
 * flags and PPP, ERSPAN I/II/III, VXLAN), truncation at every byte, limits
 * on depth, and the cost of the plain UDP path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "capture_test_util.h"

#define SRC 0x0a000001u
#define DST 0x0a000002u
#define SIP_MSG                                                                                    \
    "OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n"         \
    "Call-ID: abc@10.0.0.1\r\nCSeq: 1 OPTIONS\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:bob@x>\r\n"     \
    "Content-Length: 0\r\n\r\n"

static const uint8_t V6A[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t V6B[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

static got_t got;

static cap_decoder_t *new_decoder(void)
{
    got_reset(&got);
    cap_decoder_t *d = cap_decoder_new(NULL, got_cb, &got);
    assert_non_null(d);
    return d;
}

/* For tests that feed one IP packet again and again under different link
 * layers or tunnel wrappers within a few nanoseconds: with the default
 * limits duplicate suppression (on by default, capture/dedup.c) would
 * rightly drop every copy after the first, whatever its link layer or
 * tunnel (the inner packet is checked on its own).  These tests are about
 * the encapsulations, so they switch it off. */
static cap_decoder_t *new_decoder_replay(void)
{
    cap_limits_t l;
    cap_limits_default(&l);
    l.dedup_slots = 0;
    got_reset(&got);
    cap_decoder_t *d = cap_decoder_new(&l, got_cb, &got);
    assert_non_null(d);
    return d;
}

/* SIP over UDP 5060 inside IPv4 (not yet wrapped in a link layer). */
static pkt_t sip_ipv4(void)
{
    pkt_t k = pkt_str(SIP_MSG);
    udp_wrap(&k, 5060, 5080);
    ipv4_wrap(&k, SRC, DST, 17);
    return k;
}

static void assert_one_sip_v4(cap_decoder_t *d)
{
    assert_int_equal(got.n, 1);
    assert_true(dg_is(&got.dg[0], SIP_MSG));
    assert_int_equal(got.dg[0].dg.transport, TRANSPORT_UDP);
    assert_int_equal(got.dg[0].dg.src.ip.family, IP_V4);
    assert_int_equal(v4_of(&got.dg[0].dg.src.ip), SRC);
    assert_int_equal(v4_of(&got.dg[0].dg.dst.ip), DST);
    assert_int_equal(got.dg[0].dg.src.port, 5060);
    assert_int_equal(got.dg[0].dg.dst.port, 5080);
    assert_int_equal(cap_decoder_stats(d)->datagrams_out, 1);
}

static void test_ethernet_ipv4_udp(void **state)
{
    cap_decoder_t *d = new_decoder();
    pkt_t k = sip_ipv4();
    eth_wrap(&k, 0x0800);
    /* Ethernet padding after the IP packet must be trimmed away. */
    memset(k.p + k.n, 0xEE, 6);
    k.n += 6;
    feed_pkt(d, 1, &k, 1000);
    assert_one_sip_v4(d);
    const cap_stats_t *s = cap_decoder_stats(d);
    assert_int_equal(s->frames, 1);
    assert_int_equal(s->ipv4, 1);
    assert_int_equal(s->udp, 1);
    assert_int_equal(got.dg[0].dg.ts_ns, 1000);
    pkt_free(&k);
    cap_decoder_free(d);
}

static void test_vlan_qinq(void **state)
{
    cap_decoder_t *d = new_decoder_replay();
    pkt_t k = sip_ipv4();
    eth_wrap(&k, 0x0800);
    vlan_insert(&k, 0x8100, 100);
    feed_pkt(d, 1, &k, 1);
    assert_one_sip_v4(d);
    /* 802.1ad outer + 802.1Q inner, then a third (0x9100) tag. */
    got_reset(&got);
    vlan_insert(&k, 0x88A8, 200);
    vlan_insert(&k, 0x9100, 300);
    feed_pkt(d, 1, &k, 2);
    assert_int_equal(got.n, 1);
    assert_true(dg_is(&got.dg[0], SIP_MSG));
    pkt_free(&k);
    cap_decoder_free(d);
}

static void test_mpls(void **state)
{
    cap_decoder_t *d = new_decoder_replay();
    /* two labels, bottom of stack, then IPv4 */
    pkt_t k = sip_ipv4();
    uint8_t labels[8] = {0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x40};
    pkt_prepend(&k, labels, 8);
    eth_wrap(&k, 0x8847);
    feed_pkt(d, 1, &k, 1);
    assert_one_sip_v4(d);
    pkt_free(&k);

    /* pseudowire: label, control word, Ethernet, VLAN, IPv4 */
    got_reset(&got);
    k = sip_ipv4();
    eth_wrap(&k, 0x0800);
    vlan_insert(&k, 0x8100, 7);
    uint8_t pw[8] = {0x00, 0x03, 0x01, 0x40, 0x00, 0x00, 0x00, 0x00};
    pkt_prepend(&k, pw, 8);
    eth_wrap(&k, 0x8847);
    feed_pkt(d, 1, &k, 2);
    assert_int_equal(got.n, 1);
    assert_true(dg_is(&got.dg[0], SIP_MSG));
    pkt_free(&k);

    /* IPv6 after the label stack */
    got_reset(&got);
    k = pkt_str(SIP_MSG);
    udp_wrap(&k, 5060, 5060);
    ipv6_wrap(&k, V6A, V6B, 17);
    uint8_t l1[4] = {0x00, 0x05, 0x01, 0x40};
    pkt_prepend(&k, l1, 4);
    eth_wrap(&k, 0x8847);
    feed_pkt(d, 1, &k, 3);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.dg[0].dg.src.ip.family, IP_V6);
    assert_memory_equal(got.dg[0].dg.dst.ip.bytes, V6B, 16);
    pkt_free(&k);

    /* a label stack that never ends is truncated, not an over-read */
    uint8_t endless[14 + 12];
    memset(endless, 0, sizeof endless);
    endless[12] = 0x88;
    endless[13] = 0x47;
    uint64_t trunc = cap_decoder_stats(d)->truncated;
    feed(d, 1, endless, sizeof endless, 4);
    assert_int_equal(cap_decoder_stats(d)->truncated, trunc + 1);
    cap_decoder_free(d);
}

static void test_sll_sll2(void **state)
{
    cap_decoder_t *d = new_decoder_replay();
    pkt_t k = sip_ipv4();
    uint8_t sll[16] = {0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00};
    pkt_prepend(&k, sll, 16);
    feed_pkt(d, 113, &k, 1);
    assert_one_sip_v4(d);
    pkt_free(&k);

    got_reset(&got);
    k = sip_ipv4();
    uint8_t sll2[20] = {0x08, 0x00, 0, 0, 0, 0, 0, 2, 0x00, 0x01, 0x00, 6, 1, 2, 3, 4, 5, 6, 0, 0};
    pkt_prepend(&k, sll2, 20);
    feed_pkt(d, 276, &k, 1);
    assert_int_equal(got.n, 1);
    assert_true(dg_is(&got.dg[0], SIP_MSG));
    pkt_free(&k);
    cap_decoder_free(d);
}

static void test_raw_and_loopback(void **state)
{
    cap_decoder_t *d = new_decoder_replay();
    pkt_t k = sip_ipv4();
    int raws[] = {12, 14, 101, 228};
    for (size_t i = 0; i < sizeof raws / sizeof raws[0]; i++)
        feed_pkt(d, raws[i], &k, 1);
    assert_int_equal(got.n, 4);

    /* DLT_NULL in little-endian host order, DLT_LOOP in network order */
    got_reset(&got);
    uint8_t le_inet[4] = {2, 0, 0, 0}, be_inet[4] = {0, 0, 0, 2};
    pkt_t a = pkt_new(k.p, k.n), b = pkt_new(k.p, k.n);
    pkt_prepend(&a, le_inet, 4);
    pkt_prepend(&b, be_inet, 4);
    feed_pkt(d, 0, &a, 1);
    feed_pkt(d, 108, &b, 1);
    feed_pkt(d, 0, &b, 1); /* NULL written by a big-endian host */
    assert_int_equal(got.n, 3);
    pkt_free(&a);
    pkt_free(&b);
    pkt_free(&k);

    /* IPv6 on DLT_IPV6 and BSD loopback with each AF_INET6 value */
    got_reset(&got);
    k = pkt_str(SIP_MSG);
    udp_wrap(&k, 5060, 5060);
    ipv6_wrap(&k, V6A, V6B, 17);
    feed_pkt(d, 229, &k, 1);
    uint8_t fams[] = {10, 24, 28, 30};
    for (size_t i = 0; i < sizeof fams; i++) {
        pkt_t x = pkt_new(k.p, k.n);
        uint8_t h[4] = {fams[i], 0, 0, 0};
        pkt_prepend(&x, h, 4);
        feed_pkt(d, 0, &x, 1);
        pkt_free(&x);
    }
    assert_int_equal(got.n, 5);
    pkt_free(&k);

    /* unknown link type, non-IP Ethertype */
    uint8_t arp[42] = {[12] = 0x08, [13] = 0x06};
    feed(d, 1, arp, sizeof arp, 1);
    feed(d, 147, arp, sizeof arp, 1);
    assert_int_equal(cap_decoder_stats(d)->non_ip, 1);
    assert_int_equal(cap_decoder_stats(d)->unsupported_link, 1);
    cap_decoder_free(d);
}

static void test_ipv4_options_and_invalid(void **state)
{
    cap_decoder_t *d = new_decoder();
    pkt_t k = pkt_str(SIP_MSG);
    udp_wrap(&k, 5060, 5080);
    /* IHL 7: 8 bytes of options (NOPs and an EOL) */
    uint8_t opts[8] = {1, 1, 1, 1, 1, 1, 1, 0};
    pkt_prepend(&k, opts, 8);
    ipv4_wrap(&k, SRC, DST, 17);
    k.p[0] = 0x47;
    feed_pkt(d, 101, &k, 1);
    assert_one_sip_v4(d);

    /* IHL below 5, total length below IHL, UDP length below 8 */
    uint64_t inval = cap_decoder_stats(d)->invalid;
    k.p[0] = 0x44;
    feed_pkt(d, 101, &k, 1);
    k.p[0] = 0x47;
    put16(k.p + 2, 20);
    feed_pkt(d, 101, &k, 1);
    put16(k.p + 2, (uint16_t)k.n);
    put16(k.p + 28 + 4, 7);
    feed_pkt(d, 101, &k, 1);
    assert_int_equal(cap_decoder_stats(d)->invalid, inval + 3);
    /* UDP length beyond the packet: truncated */
    uint64_t tr = cap_decoder_stats(d)->truncated;
    put16(k.p + 28 + 4, 60000);
    feed_pkt(d, 101, &k, 1);
    assert_int_equal(cap_decoder_stats(d)->truncated, tr + 1);
    assert_int_equal(got.n, 1);
    pkt_free(&k);
    cap_decoder_free(d);
}

static void test_ipv6_extension_headers(void **state)
{
    cap_decoder_t *d = new_decoder();
    pkt_t k = pkt_str(SIP_MSG);
    udp_wrap(&k, 5062, 5060);
    /* innermost first: AH(->UDP), dest-opts(->AH), routing(->dest), hop(->routing) */
    uint8_t ah[16] = {17, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd};
    pkt_prepend(&k, ah, sizeof ah); /* (2+2)*4 = 16 bytes */
    uint8_t dst_opts[8] = {51, 0, 1, 4, 0, 0, 0, 0};
    pkt_prepend(&k, dst_opts, 8);
    uint8_t routing[24] = {60, 2, 0, 0};
    pkt_prepend(&k, routing, 24);
    uint8_t hop[8] = {43, 0, 1, 4, 0, 0, 0, 0};
    pkt_prepend(&k, hop, 8);
    ipv6_wrap(&k, V6A, V6B, 0);
    eth_wrap(&k, 0x86DD);
    feed_pkt(d, 1, &k, 1);
    assert_int_equal(got.n, 1);
    assert_true(dg_is(&got.dg[0], SIP_MSG));
    assert_int_equal(got.dg[0].dg.src.port, 5062);
    assert_memory_equal(got.dg[0].dg.src.ip.bytes, V6A, 16);
    assert_int_equal(cap_decoder_stats(d)->ipv6, 1);
    pkt_free(&k);

    /* no next header; SCTP (a common header without chunks) */
    k = pkt_str("xxxxxxxxxxxx"); /* 12 bytes: an SCTP common header */
    ipv6_wrap(&k, V6A, V6B, 59);
    feed_pkt(d, 229, &k, 1);
    k.p[6] = 132;
    feed_pkt(d, 229, &k, 1);
    assert_int_equal(cap_decoder_stats(d)->other_l4, 1);
    assert_int_equal(cap_decoder_stats(d)->sctp, 1);
    pkt_free(&k);
    cap_decoder_free(d);
}

static void test_ip_in_ip(void **state)
{
    cap_decoder_t *d = new_decoder();
    pkt_t k = sip_ipv4();
    ipv4_wrap(&k, 0xc0a80001, 0xc0a80002, 4); /* IPv4 in IPv4 */
    eth_wrap(&k, 0x0800);
    feed_pkt(d, 1, &k, 1);
    assert_one_sip_v4(d);
    assert_int_equal(cap_decoder_stats(d)->tunnels, 1);
    pkt_free(&k);

    got_reset(&got);
    k = pkt_str(SIP_MSG);
    udp_wrap(&k, 5060, 5060);
    ipv6_wrap(&k, V6A, V6B, 17);
    ipv4_wrap(&k, SRC, DST, 41); /* IPv6 in IPv4 (6in4) */
    ipv6_wrap(&k, V6B, V6A, 4);  /* IPv4 in IPv6 */
    feed_pkt(d, 229, &k, 1);
    assert_int_equal(got.n, 1);
    assert_memory_equal(got.dg[0].dg.src.ip.bytes, V6A, 16);
    assert_int_equal(cap_decoder_stats(d)->tunnels, 3);
    pkt_free(&k);

    /* nesting deeper than the limit is refused, not recursed into */
    k = sip_ipv4();
    for (int i = 0; i < 20; i++)
        ipv4_wrap(&k, SRC, DST, 4);
    uint64_t inval = cap_decoder_stats(d)->invalid;
    feed_pkt(d, 101, &k, 1);
    assert_int_equal(got.n, 1);
    assert_int_equal(cap_decoder_stats(d)->invalid, inval + 1);
    pkt_free(&k);
    cap_decoder_free(d);
}

static void gre_wrap(pkt_t *k, uint16_t flags, uint16_t proto, int extra_words)
{
    uint8_t h[20] = {0}; /* the 4-byte base header and up to 4 optional words */
    if (extra_words < 0 || extra_words > 4) abort(); /* a bug in the test itself */
    put16(h, flags);
    put16(h + 2, proto);
    for (int i = 0; i < extra_words; i++)
        put32(h + 4 + 4 * i, 0x11111111u * (unsigned)(i + 1));
    pkt_prepend(k, h, 4 + 4 * (size_t)extra_words);
    ipv4_wrap(k, 0xc0a80001, 0xc0a80002, 47);
    eth_wrap(k, 0x0800);
}

static void test_gre(void **state)
{
    cap_decoder_t *d = new_decoder_replay();
    struct {
        uint16_t flags;
        int words;
    } variants[] = {{0x0000, 0}, {0x8000, 1}, {0x2000, 1}, {0x1000, 1}, {0xB000, 3}};
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        got_reset(&got);
        pkt_t k = sip_ipv4();
        gre_wrap(&k, variants[i].flags, 0x0800, variants[i].words);
        feed_pkt(d, 1, &k, 1);
        assert_int_equal(got.n, 1);
        assert_true(dg_is(&got.dg[0], SIP_MSG));
        assert_int_equal(v4_of(&got.dg[0].dg.src.ip), SRC);
        pkt_free(&k);
    }
    /* IPv6 payload */
    got_reset(&got);
    pkt_t k = pkt_str(SIP_MSG);
    udp_wrap(&k, 5060, 5060);
    ipv6_wrap(&k, V6A, V6B, 17);
    gre_wrap(&k, 0x2000, 0x86DD, 1);
    feed_pkt(d, 1, &k, 1);
    assert_int_equal(got.n, 1);
    pkt_free(&k);
    /* transparent Ethernet bridging */
    got_reset(&got);
    k = sip_ipv4();
    eth_wrap(&k, 0x0800);
    gre_wrap(&k, 0x2000, 0x6558, 1);
    feed_pkt(d, 1, &k, 1);
    assert_int_equal(got.n, 1);
    pkt_free(&k);
    /* PPP with address/control, then PPTP enhanced GRE with compressed
     * protocol field */
    got_reset(&got);
    k = sip_ipv4();
    uint8_t ppp[4] = {0xFF, 0x03, 0x00, 0x21};
    pkt_prepend(&k, ppp, 4);
    gre_wrap(&k, 0x0000, 0x880B, 0);
    feed_pkt(d, 1, &k, 1);
    pkt_free(&k);
    k = sip_ipv4();
    uint8_t ppp_c[1] = {0x21};
    pkt_prepend(&k, ppp_c, 1);
    gre_wrap(&k, 0x3081, 0x880B, 3); /* K, S, A, version 1 */
    feed_pkt(d, 1, &k, 1);
    assert_int_equal(got.n, 2);
    pkt_free(&k);
    /* source routing (obsolete) and version 2 are invalid */
    uint64_t inval = cap_decoder_stats(d)->invalid;
    k = sip_ipv4();
    gre_wrap(&k, 0x4000, 0x0800, 0);
    feed_pkt(d, 1, &k, 1);
    pkt_free(&k);
    k = sip_ipv4();
    gre_wrap(&k, 0x0002, 0x0800, 0);
    feed_pkt(d, 1, &k, 1);
    pkt_free(&k);
    assert_int_equal(cap_decoder_stats(d)->invalid, inval + 2);
    assert_int_equal(got.n, 2);
    cap_decoder_free(d);
}

static void test_erspan(void **state)
{
    cap_decoder_t *d = new_decoder_replay();
    /* type II: GRE S bit, 8-byte header version 1 */
    pkt_t k = sip_ipv4();
    eth_wrap(&k, 0x0800);
    uint8_t e2[8] = {0x10, 0x64, 0x00, 0x01, 0, 0, 0, 0};
    pkt_prepend(&k, e2, 8);
    gre_wrap(&k, 0x1000, 0x88BE, 1);
    feed_pkt(d, 1, &k, 1);
    assert_one_sip_v4(d);
    pkt_free(&k);

    /* type I: no S bit, Ethernet right after GRE */
    got_reset(&got);
    k = sip_ipv4();
    eth_wrap(&k, 0x0800);
    gre_wrap(&k, 0x0000, 0x88BE, 0);
    feed_pkt(d, 1, &k, 1);
    assert_int_equal(got.n, 1);
    pkt_free(&k);

    /* type III, without and with the platform-specific sub-header */
    for (int o = 0; o <= 1; o++) {
        got_reset(&got);
        k = sip_ipv4();
        eth_wrap(&k, 0x0800);
        if (o) {
            uint8_t plat[8] = {0x0c, 0, 0, 0, 0, 0, 0, 0};
            pkt_prepend(&k, plat, 8);
        }
        uint8_t e3[12] = {0x20, 0x64, 0x00, 0x01, 1, 2, 3, 4, 0, 0, 0x00, (uint8_t)o};
        pkt_prepend(&k, e3, 12);
        gre_wrap(&k, 0x1000, 0x22EB, 1);
        feed_pkt(d, 1, &k, 1);
        assert_int_equal(got.n, 1);
        assert_true(dg_is(&got.dg[0], SIP_MSG));
        pkt_free(&k);
    }
    /* type III carrying IP directly (frame type 2) */
    got_reset(&got);
    k = sip_ipv4();
    uint8_t e3ip[12] = {0x20, 0x64, 0x00, 0x01, 1, 2, 3, 4, 0, 0, 2 << 2, 0};
    pkt_prepend(&k, e3ip, 12);
    gre_wrap(&k, 0x1000, 0x22EB, 1);
    feed_pkt(d, 1, &k, 1);
    assert_int_equal(got.n, 1);
    pkt_free(&k);
    assert_int_equal(cap_decoder_stats(d)->tunnels, 5);
    cap_decoder_free(d);
}

static void test_vxlan(void **state)
{
    cap_decoder_t *d = new_decoder();
    pkt_t k = sip_ipv4();
    eth_wrap(&k, 0x0800);
    vlan_insert(&k, 0x8100, 42);
    uint8_t vx[8] = {0x08, 0, 0, 0, 0x00, 0x12, 0x34, 0x00};
    pkt_prepend(&k, vx, 8);
    udp_wrap(&k, 49152, 4789);
    ipv4_wrap(&k, 0xc0a80001, 0xc0a80002, 17);
    eth_wrap(&k, 0x0800);
    feed_pkt(d, 1, &k, 1);
    assert_one_sip_v4(d);
    assert_int_equal(cap_decoder_stats(d)->tunnels, 1);
    assert_int_equal(cap_decoder_stats(d)->udp, 2);
    /* without the I flag it is just a datagram to port 4789 */
    got_reset(&got);
    k.p[14 + 20 + 8] = 0;
    feed_pkt(d, 1, &k, 1);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.dg[0].dg.dst.port, 4789);
    pkt_free(&k);
    cap_decoder_free(d);
}

/* Every prefix of every kind of frame: no delivery of a partial datagram,
 * and (under ASan) no read past the exact-size copy. */
static void test_truncation_everywhere(void **state)
{
    cap_decoder_t *d = new_decoder();
    pkt_t frames[4];
    frames[0] = sip_ipv4();
    eth_wrap(&frames[0], 0x0800);
    vlan_insert(&frames[0], 0x8100, 1);
    frames[1] = sip_ipv4();
    eth_wrap(&frames[1], 0x0800);
    uint8_t e3[12] = {0x20, 0x64, 0x00, 0x01, 1, 2, 3, 4, 0, 0, 0x00, 1};
    uint8_t plat[8] = {0};
    pkt_prepend(&frames[1], plat, 8);
    pkt_prepend(&frames[1], e3, 12);
    gre_wrap(&frames[1], 0xB000, 0x22EB, 3);
    frames[2] = pkt_str(SIP_MSG);
    udp_wrap(&frames[2], 5060, 5060);
    uint8_t hop[8] = {17, 0, 1, 4, 0, 0, 0, 0};
    pkt_prepend(&frames[2], hop, 8);
    ipv6_wrap(&frames[2], V6A, V6B, 0);
    eth_wrap(&frames[2], 0x86DD);
    frames[3] = pkt_str(SIP_MSG);
    tcp_wrap(&frames[3], 5060, 5060, 1000, TH_ACK | TH_PSH);
    ipv4_wrap(&frames[3], SRC, DST, 6);
    eth_wrap(&frames[3], 0x0800);
    for (int f = 0; f < 4; f++) {
        for (size_t n = 0; n < frames[f].n; n++)
            feed(d, 1, frames[f].p, n, 1);
        pkt_free(&frames[f]);
    }
    assert_int_equal(got.n, 0);
    assert_true(cap_decoder_stats(d)->truncated > 0);
    cap_decoder_free(d);
}

/* The hot path: Ethernet/IPv4/UDP RTP to the callback, many times over,
 * every frame delivered.  Its speed is measured by tests/bench, not here
 * (a timed assertion fails on a loaded CI machine and proves nothing).
 * The default limits keep duplicate suppression on, as in production; each
 * packet carries the next sequence number and timestamp like a real stream,
 * so none may be taken for a duplicate (200,000 distinct packets through a
 * 65,536-slot table: no false positive). */
static uint64_t sink;
static void count_cb(void *user, const datagram_t *dg)
{
    sink += dg->len + dg->src.port;
}

static void test_udp_fast_path_many(void **state)
{
    cap_decoder_t *d = cap_decoder_new(NULL, count_cb, NULL);
    uint8_t rtp[172] = {0x80, 0x08};
    pkt_t k = pkt_new(rtp, sizeof rtp);
    udp_wrap(&k, 40000, 40002);
    ipv4_wrap(&k, SRC, DST, 17);
    eth_wrap(&k, 0x0800);
    const int N = 200000;
    cap_frame_t f = {.linktype = 1,
                     .ts_ns = 0,
                     .data = k.p,
                     .caplen = (uint32_t)k.n,
                     .wirelen = (uint32_t)k.n,
                     .frame_no = 1,
                     .file = "fast-path"};
    for (int i = 0; i < N; i++) {
        f.ts_ns = i * 20 * NS_PER_MSEC / 1000;
        put16(k.p + 14 + 28 + 2, (uint16_t)i);        /* RTP sequence number */
        put32(k.p + 14 + 28 + 4, (uint32_t)i * 160u); /* RTP timestamp */
        cap_decode_frame(d, &f);
    }
    assert_int_equal(cap_decoder_stats(d)->duplicates_dropped, 0);
    assert_int_equal(cap_decoder_stats(d)->datagrams_out, (uint64_t)N);
    assert_int_equal(cap_decoder_stats(d)->udp, (uint64_t)N);
    assert_int_equal(sink, (uint64_t)N * (sizeof rtp + 40000));
    pkt_free(&k);
    cap_decoder_free(d);
}

static void test_limits_default(void **state)
{
    cap_limits_t l;
    cap_limits_default(&l);
    assert_true(l.max_frag_datagrams > 0 && l.max_frag_bytes > 0 && l.frag_timeout_ns > 0);
    assert_true(l.max_tcp_streams > 0 && l.tcp_idle_ns > 0);
    assert_true(l.max_tcp_stream_bytes > 65536 + l.max_sip_header_bytes / 2);
    assert_true(l.max_tcp_total_bytes >= l.max_tcp_stream_bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ethernet_ipv4_udp),
        cmocka_unit_test(test_vlan_qinq),
        cmocka_unit_test(test_mpls),
        cmocka_unit_test(test_sll_sll2),
        cmocka_unit_test(test_raw_and_loopback),
        cmocka_unit_test(test_ipv4_options_and_invalid),
        cmocka_unit_test(test_ipv6_extension_headers),
        cmocka_unit_test(test_ip_in_ip),
        cmocka_unit_test(test_gre),
        cmocka_unit_test(test_erspan),
        cmocka_unit_test(test_vxlan),
        cmocka_unit_test(test_truncation_everywhere),
        cmocka_unit_test(test_udp_fast_path_many),
        cmocka_unit_test(test_limits_default),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    got_reset(&got);
    return rc;
}
