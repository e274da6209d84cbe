/* gen_pcap.c - frame building and the pcap writer of siphon-gen.
 *
 * Every frame is built in one static buffer: the IP packet (IPv4 or IPv6,
 * with UDP or TCP and correct checksums) is written at a fixed offset and
 * the link and tunnel headers are then prepended in front of it, so any
 * encapsulation wraps any packet without copying:
 *   vlan    Ethernet / 802.1Q (VLAN 100) / IP
 *   qinq    Ethernet / 802.1ad (S-VLAN 200) / 802.1Q (100) / IP
 *   mpls    Ethernet / MPLS label 1000 / label 2000 (bottom) / IP
 *   gre     Ethernet / IPv4 / GRE (RFC 2784) / IP
 *   ipip    Ethernet / IPv4 (protocol 4, or 41 for IPv6) / IP
 *   vxlan   Ethernet / IPv4 / UDP 4789 / VXLAN (RFC 7348) / Ethernet / IP
 *   erspan2 Ethernet / IPv4 / GRE+seq (0x88BE) / ERSPAN II / Ethernet / IP
 *   erspan3 Ethernet / IPv4 / GRE+seq (0x22EB) / ERSPAN III / Ethernet / IP
 * UDP datagrams larger than the 1500-byte MTU are fragmented (IPv4 flags and
 * offsets, or the IPv6 Fragment header) when --fragment is given, optionally
 * last fragment first.  Records go through libpcap's pcap_dump into a stdio
 * stream with a large buffer; nothing is allocated per packet.
 */
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

#define HEAD      256 /* room for link and tunnel headers */
#define MTU       1500
#define FRAME_MAX (HEAD + 70000)

struct gen_pcap {
    pcap_t *pd;
    pcap_dumper_t *dumper;
    FILE *f;
    char *iobuf;
    const gen_opts_t *o;
    uint64_t frames;
    uint32_t ip_id;
    uint32_t gre_seq;
    uint8_t frame[FRAME_MAX];
    uint8_t l4[70000];
    uint8_t payload[2048]; /* codec payload bytes, pseudo-random */
};

static inline void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t acc)
{
    size_t i = 0;
    for (; i + 1 < n; i += 2)
        acc += (uint32_t)p[i] << 8 | p[i + 1];
    if (i < n) acc += (uint32_t)p[i] << 8;
    return acc;
}
static uint16_t fold(uint32_t acc)
{
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return (uint16_t)~acc;
}

/* Internet checksum of an L4 segment with the IPv4/IPv6 pseudo header. */
static uint16_t l4_checksum(const ip_addr_t *src, const ip_addr_t *dst, uint8_t proto,
                            const uint8_t *seg, size_t len)
{
    uint32_t acc = 0;
    size_t alen = src->family == IP_V6 ? 16 : 4;
    acc = sum16(src->bytes, alen, acc);
    acc = sum16(dst->bytes, alen, acc);
    acc += proto;
    acc += (uint32_t)(len & 0xffff) + (uint32_t)(len >> 16);
    acc = sum16(seg, len, acc);
    uint16_t c = fold(acc);
    return c == 0 ? 0xffff : c;
}

gen_pcap_t *gen_pcap_open(const char *path, const gen_opts_t *o)
{
    gen_pcap_t *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->o = o;
    w->f = fopen(path, "wb");
    if (!w->f) {
        free(w);
        return NULL;
    }
    w->iobuf = malloc(8u << 20);
    if (w->iobuf) setvbuf(w->f, w->iobuf, _IOFBF, 8u << 20);
    w->pd = pcap_open_dead(DLT_EN10MB, 65535);
    w->dumper = w->pd ? pcap_dump_fopen(w->pd, w->f) : NULL;
    if (!w->dumper) {
        fclose(w->f);
        free(w->iobuf);
        free(w);
        return NULL;
    }
    uint64_t r = o->seed ^ 0x5eed;
    for (size_t i = 0; i < sizeof w->payload; i++)
        w->payload[i] = (uint8_t)gen_rand(&r);
    w->ip_id = (uint32_t)o->seed;
    return w;
}

uint64_t gen_pcap_frames(const gen_pcap_t *w)
{
    return w->frames;
}

int gen_pcap_close(gen_pcap_t *w)
{
    int rc = 0;
    pcap_dump_flush(w->dumper);
    if (ferror(w->f)) rc = -1;
    pcap_dump_close(w->dumper); /* closes w->f */
    pcap_close(w->pd);
    free(w->iobuf);
    free(w);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Link and tunnel headers                                                   */
/* ------------------------------------------------------------------------ */

static uint8_t *push(uint8_t **p, size_t n)
{
    *p -= n;
    return *p;
}

static void eth_header(uint8_t *e, uint16_t type, uint8_t a, uint8_t b)
{
    static const uint8_t mac[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x00};
    memcpy(e, mac, 6);
    e[5] = a;
    memcpy(e + 6, mac, 6);
    e[11] = b;
    put16(e + 12, type);
}

static void outer_ipv4(gen_pcap_t *w, uint8_t *h, uint8_t proto, size_t total)
{
    static const uint8_t src[4] = {192, 0, 2, 1}, dst[4] = {192, 0, 2, 2};
    h[0] = 0x45;
    h[1] = 0;
    put16(h + 2, (uint16_t)total);
    put16(h + 4, (uint16_t)w->ip_id++);
    put16(h + 6, 0x4000); /* DF */
    h[8] = 64;
    h[9] = proto;
    put16(h + 10, 0);
    memcpy(h + 12, src, 4);
    memcpy(h + 16, dst, 4);
    put16(h + 10, fold(sum16(h, 20, 0)));
}

/* Wraps the IP packet at p (len bytes, version 4 or 6) and writes a record. */
static void emit(gen_pcap_t *w, int64_t t, uint8_t *p, size_t len, int version)
{
    uint16_t ethertype = version == 6 ? 0x86dd : 0x0800;
    uint8_t *s = p;
    switch (w->o->encap) {
    case ENCAP_NONE:
        eth_header(push(&s, 14), ethertype, 1, 2);
        break;
    case ENCAP_VLAN: {
        uint8_t *v = push(&s, 4);
        put16(v, 100);
        put16(v + 2, ethertype);
        eth_header(push(&s, 14), 0x8100, 1, 2);
        break;
    }
    case ENCAP_QINQ: {
        uint8_t *v = push(&s, 8);
        put16(v, 200);
        put16(v + 2, 0x8100);
        put16(v + 4, 100);
        put16(v + 6, ethertype);
        eth_header(push(&s, 14), 0x88a8, 1, 2);
        break;
    }
    case ENCAP_MPLS: {
        uint8_t *m = push(&s, 8);
        put32(m, 1000u << 12 | 0u << 8 | 64);
        put32(m + 4, 2000u << 12 | 1u << 8 | 64);
        eth_header(push(&s, 14), 0x8847, 1, 2);
        break;
    }
    case ENCAP_GRE: {
        uint8_t *g = push(&s, 4);
        put16(g, 0);
        put16(g + 2, ethertype);
        outer_ipv4(w, push(&s, 20), 47, len + 24);
        eth_header(push(&s, 14), 0x0800, 3, 4);
        break;
    }
    case ENCAP_IPIP:
        outer_ipv4(w, push(&s, 20), version == 6 ? 41 : 4, len + 20);
        eth_header(push(&s, 14), 0x0800, 3, 4);
        break;
    case ENCAP_VXLAN: {
        eth_header(push(&s, 14), ethertype, 1, 2);
        uint8_t *x = push(&s, 8);
        put32(x, 0x08000000);
        put32(x + 4, 4242u << 8);
        uint8_t *u = push(&s, 8);
        size_t ulen = len + 14 + 16;
        put16(u, (uint16_t)(49152 + (w->frames & 0x3fff)));
        put16(u + 2, 4789);
        put16(u + 4, (uint16_t)ulen);
        put16(u + 6, 0); /* zero UDP checksum is allowed for VXLAN over IPv4 */
        outer_ipv4(w, push(&s, 20), 17, ulen + 20);
        eth_header(push(&s, 14), 0x0800, 3, 4);
        break;
    }
    case ENCAP_ERSPAN2:
    case ENCAP_ERSPAN3: {
        bool v3 = w->o->encap == ENCAP_ERSPAN3;
        eth_header(push(&s, 14), ethertype, 1, 2);
        uint8_t *e = push(&s, v3 ? 12 : 8);
        if (v3) {
            put16(e, 2u << 12 | 100);                          /* version 2 (type III), VLAN */
            put16(e + 2, 0u << 13 | 0u << 11 | 0u << 10 | 77); /* COS, BSO, T, session */
            put32(e + 4, (uint32_t)(t & 0xffffffff));          /* timestamp */
            put16(e + 8, 0);                                   /* SGT */
            put16(e + 10, 0);                                  /* P FT HWID D Gra O=0 */
        } else {
            put16(e, 1u << 12 | 100);               /* version 1 (type II), VLAN */
            put16(e + 2, 0u << 13 | 3u << 11 | 77); /* COS, En, T, session */
            put32(e + 4, 0);                        /* reserved, index */
        }
        uint8_t *g = push(&s, 8);
        put16(g, 0x1000); /* S: sequence number present */
        put16(g + 2, v3 ? 0x22eb : 0x88be);
        put32(g + 4, w->gre_seq++);
        size_t inner = len + 14 + (v3 ? 12 : 8) + 8;
        outer_ipv4(w, push(&s, 20), 47, inner + 20);
        eth_header(push(&s, 14), 0x0800, 3, 4);
        break;
    }
    }
    size_t flen = (size_t)(p + len - s);
    struct pcap_pkthdr h;
    h.ts.tv_sec = (time_t)(t / 1000000);
    h.ts.tv_usec = (suseconds_t)(t % 1000000);
    h.caplen = h.len = (bpf_u_int32)flen;
    pcap_dump((u_char *)w->dumper, &h, s);
    w->frames++;
}

/* ------------------------------------------------------------------------ */
/* IP                                                                        */
/* ------------------------------------------------------------------------ */

static size_t ipv4_header(gen_pcap_t *w, uint8_t *h, const ip_addr_t *src, const ip_addr_t *dst,
                          uint8_t proto, size_t payload, uint16_t id, uint16_t frag)
{
    (void)w;
    h[0] = 0x45;
    h[1] = 0xb8; /* DSCP EF */
    put16(h + 2, (uint16_t)(20 + payload));
    put16(h + 4, id);
    put16(h + 6, frag);
    h[8] = 64;
    h[9] = proto;
    put16(h + 10, 0);
    memcpy(h + 12, src->bytes, 4);
    memcpy(h + 16, dst->bytes, 4);
    put16(h + 10, fold(sum16(h, 20, 0)));
    return 20;
}

static size_t ipv6_header(uint8_t *h, const ip_addr_t *src, const ip_addr_t *dst, uint8_t next,
                          size_t payload)
{
    put32(h, 0x60000000u | 0xb8u << 20);
    put16(h + 4, (uint16_t)payload);
    h[6] = next;
    h[7] = 64;
    memcpy(h + 8, src->bytes, 16);
    memcpy(h + 24, dst->bytes, 16);
    return 40;
}

/* Emits the L4 segment in w->l4 as one IP packet or as fragments. */
static void emit_ip(gen_pcap_t *w, int64_t t, const ip_addr_t *src, const ip_addr_t *dst,
                    uint8_t proto, size_t l4len, bool reverse)
{
    uint8_t *p = w->frame + HEAD;
    bool v6 = src->family == IP_V6;
    size_t hlen = v6 ? 40 : 20;
    if (hlen + l4len <= MTU || !w->o->fragment) {
        if (v6)
            ipv6_header(p, src, dst, proto, l4len);
        else
            ipv4_header(w, p, src, dst, proto, l4len, (uint16_t)w->ip_id++, 0x4000);
        memcpy(p + hlen, w->l4, l4len);
        emit(w, t, p, hlen + l4len, v6 ? 6 : 4);
        return;
    }
    size_t chunk = v6 ? (MTU - 48) & ~(size_t)7 : (MTU - 20) & ~(size_t)7;
    size_t nfrag = (l4len + chunk - 1) / chunk;
    uint32_t id = w->ip_id++;
    for (size_t k = 0; k < nfrag; k++) {
        size_t i = reverse ? nfrag - 1 - k : k;
        size_t off = i * chunk;
        size_t n = l4len - off < chunk ? l4len - off : chunk;
        bool more = i + 1 < nfrag;
        size_t h;
        if (v6) {
            h = ipv6_header(p, src, dst, 44, n + 8);
            p[h] = proto;
            p[h + 1] = 0;
            put16(p + h + 2, (uint16_t)(off | (more ? 1 : 0)));
            put32(p + h + 4, id);
            h += 8;
        } else {
            h = ipv4_header(w, p, src, dst, proto, n, (uint16_t)id,
                            (uint16_t)((more ? 0x2000 : 0) | (off / 8)));
        }
        memcpy(p + h, w->l4 + off, n);
        emit(w, t, p, h + n, v6 ? 6 : 4);
    }
}

void gen_pcap_udp(gen_pcap_t *w, int64_t t, const ip_addr_t *src, uint16_t sport,
                  const ip_addr_t *dst, uint16_t dport, const uint8_t *data, size_t len,
                  bool reverse)
{
    uint8_t *u = w->l4;
    put16(u, sport);
    put16(u + 2, dport);
    put16(u + 4, (uint16_t)(8 + len));
    put16(u + 6, 0);
    memcpy(u + 8, data, len);
    put16(u + 6, l4_checksum(src, dst, 17, u, 8 + len));
    emit_ip(w, t, src, dst, 17, 8 + len, reverse);
}

void gen_pcap_rtp(gen_pcap_t *w, int64_t t, const ip_addr_t *src, uint16_t sport,
                  const ip_addr_t *dst, uint16_t dport, uint8_t pt, bool marker, uint16_t seq,
                  uint32_t ts, uint32_t ssrc, uint32_t payload_len)
{
    uint8_t *u = w->l4;
    size_t len = 12 + payload_len;
    put16(u, sport);
    put16(u + 2, dport);
    put16(u + 4, (uint16_t)(8 + len));
    put16(u + 6, 0);
    uint8_t *r = u + 8;
    r[0] = 0x80;
    r[1] = (uint8_t)((marker ? 0x80 : 0) | pt);
    put16(r + 2, seq);
    put32(r + 4, ts);
    put32(r + 8, ssrc);
    /* payload bytes vary with the sequence number but need no generation */
    memcpy(r + 12, w->payload + (seq & 511), payload_len);
    put16(u + 6, l4_checksum(src, dst, 17, u, 8 + len));
    emit_ip(w, t, src, dst, 17, 8 + len, false);
}

void gen_pcap_tcp(gen_pcap_t *w, int64_t t, const ip_addr_t *src, uint16_t sport,
                  const ip_addr_t *dst, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                  const uint8_t *data, size_t len)
{
    uint8_t *h = w->l4;
    put16(h, sport);
    put16(h + 2, dport);
    put32(h + 4, seq);
    put32(h + 8, ack);
    h[12] = 5 << 4;
    h[13] = flags;
    put16(h + 14, 65535);
    put16(h + 16, 0);
    put16(h + 18, 0);
    if (len) memcpy(h + 20, data, len);
    put16(h + 16, l4_checksum(src, dst, 6, h, 20 + len));
    emit_ip(w, t, src, dst, 6, 20 + len, false);
}
