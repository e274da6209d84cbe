/* capture_test_util.h - helpers for the capture unit tests: build frames by
 * hand, wrapping a payload layer by layer from the inside out (each *_wrap
 * prepends one header and fills its length fields), run them through a
 * decoder and collect the datagrams it delivers (copied, so they outlive
 * the callback). */
#ifndef SIPHON_CAPTURE_TEST_UTIL_H
#define SIPHON_CAPTURE_TEST_UTIL_H

#include "capture.h"

#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* ------------------------------------------------------------------------ */
/* Packet builder                                                            */
/* ------------------------------------------------------------------------ */

#define PKT_MAX 140000

typedef struct {
    uint8_t *p;
    size_t n;
} pkt_t;

static inline pkt_t pkt_new(const void *payload, size_t len)
{
    pkt_t k = {malloc(PKT_MAX), len};
    if (len) memcpy(k.p, payload, len);
    return k;
}

static inline pkt_t pkt_str(const char *s)
{
    return pkt_new(s, strlen(s));
}

static inline void pkt_free(pkt_t *k)
{
    free(k->p);
}

static inline void pkt_prepend(pkt_t *k, const void *hdr, size_t hlen)
{
    memmove(k->p + hlen, k->p, k->n);
    memcpy(k->p, hdr, hlen);
    k->n += hlen;
}

static inline void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static inline void udp_wrap(pkt_t *k, uint16_t sport, uint16_t dport)
{
    uint8_t h[8] = {0};
    put16(h, sport);
    put16(h + 2, dport);
    put16(h + 4, (uint16_t)(k->n + 8));
    pkt_prepend(k, h, 8);
}

enum { TH_FIN = 1, TH_SYN = 2, TH_RST = 4, TH_PSH = 8, TH_ACK = 16 };

static inline void tcp_wrap(pkt_t *k, uint16_t sport, uint16_t dport, uint32_t seq, uint8_t flags)
{
    uint8_t h[20] = {0};
    put16(h, sport);
    put16(h + 2, dport);
    put32(h + 4, seq);
    put32(h + 8, 1);
    h[12] = 5 << 4;
    h[13] = flags;
    put16(h + 14, 65535);
    pkt_prepend(k, h, 20);
}

/* IPv4 header; addresses as 0xC0A80001 style host-order integers.  frag is
 * the raw flags+offset field (0x2000 = MF, offset in 8-byte units). */
static inline void ipv4_wrap_frag(pkt_t *k, uint32_t src, uint32_t dst, uint8_t proto, uint16_t id,
                                  uint16_t frag)
{
    uint8_t h[20] = {0x45, 0};
    put16(h + 2, (uint16_t)(k->n + 20));
    put16(h + 4, id);
    put16(h + 6, frag);
    h[8] = 64;
    h[9] = proto;
    put32(h + 12, src);
    put32(h + 16, dst);
    pkt_prepend(k, h, 20);
}

static inline void ipv4_wrap(pkt_t *k, uint32_t src, uint32_t dst, uint8_t proto)
{
    ipv4_wrap_frag(k, src, dst, proto, 0x1234, 0x4000 /* DF */);
}

/* IPv6 header; src/dst are 16-byte arrays. */
static inline void ipv6_wrap(pkt_t *k, const uint8_t *src, const uint8_t *dst, uint8_t nh)
{
    uint8_t h[40] = {0x60, 0};
    put16(h + 4, (uint16_t)k->n);
    h[6] = nh;
    h[7] = 64;
    memcpy(h + 8, src, 16);
    memcpy(h + 24, dst, 16);
    pkt_prepend(k, h, 40);
}

static inline void eth_wrap(pkt_t *k, uint16_t type)
{
    uint8_t h[14] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb};
    put16(h + 12, type);
    pkt_prepend(k, h, 14);
}

/* A VLAN tag: the tag goes between the outer header and the current
 * Ethertype, so call it on a frame already wrapped with eth_wrap: it inserts
 * tpid/tci at offset 12 and keeps the inner Ethertype after it. */
static inline void vlan_insert(pkt_t *k, uint16_t tpid, uint16_t vid)
{
    uint8_t t[4];
    put16(t, tpid);
    put16(t + 2, vid);
    memmove(k->p + 16, k->p + 12, k->n - 12);
    memcpy(k->p + 12, t, 4);
    k->n += 4;
}

/* ------------------------------------------------------------------------ */
/* Decoding and collecting                                                   */
/* ------------------------------------------------------------------------ */

#define MAX_DG 4096

typedef struct {
    datagram_t dg; /* data points at copy */
    uint8_t *copy;
} got_dg_t;

typedef struct {
    got_dg_t dg[MAX_DG];
    size_t n;
} got_t;

static inline void got_cb(void *user, const datagram_t *dg)
{
    got_t *g = user;
    if (g->n >= MAX_DG) return;
    got_dg_t *x = &g->dg[g->n++];
    x->dg = *dg;
    x->copy = malloc(dg->len ? dg->len : 1);
    if (dg->len) memcpy(x->copy, dg->data, dg->len);
    x->dg.data = x->copy;
}

static inline void got_reset(got_t *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->dg[i].copy);
    g->n = 0;
}

/* Decodes one frame from an exact-size heap copy (so ASan sees over-reads). */
static inline void feed(cap_decoder_t *d, int linktype, const uint8_t *p, size_t n, int64_t ts)
{
    static uint64_t frame_no;
    uint8_t *copy = malloc(n ? n : 1);
    if (n) memcpy(copy, p, n);
    cap_frame_t f = {.linktype = linktype,
                     .ts_ns = ts,
                     .data = copy,
                     .caplen = (uint32_t)n,
                     .wirelen = (uint32_t)n,
                     .frame_no = ++frame_no,
                     .file = "test"};
    cap_decode_frame(d, &f);
    free(copy);
}

static inline void feed_pkt(cap_decoder_t *d, int linktype, const pkt_t *k, int64_t ts)
{
    feed(d, linktype, k->p, k->n, ts);
}

static inline bool dg_is(const got_dg_t *x, const char *s)
{
    return x->dg.len == strlen(s) && memcmp(x->dg.data, s, x->dg.len) == 0;
}

static inline uint32_t v4_of(const ip_addr_t *a)
{
    return (uint32_t)a->bytes[0] << 24 | (uint32_t)a->bytes[1] << 16 | (uint32_t)a->bytes[2] << 8 |
           a->bytes[3];
}

/* ------------------------------------------------------------------------ */
/* Files and commands                                                        */
/* ------------------------------------------------------------------------ */

/* Runs a shell command built printf-style; its exit status (-1 when it did
 * not exit normally). */
static inline int test_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int test_sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Copies the capture src to dst with every frame written twice, the copy
 * gap_us microseconds after the original (a capture taken from two SPAN
 * sources).  Returns the frames read from src, -1 when a file cannot be
 * opened. */
static inline long pcap_write_doubled(const char *src, const char *dst, long gap_us)
{
    char eb[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(src, eb);
    if (!p) return -1;
    pcap_dumper_t *d = pcap_dump_open(p, dst);
    if (!d) {
        pcap_close(p);
        return -1;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    long n = 0;
    while (pcap_next_ex(p, &h, &data) == 1) {
        pcap_dump((u_char *)d, h, data);
        struct pcap_pkthdr h2 = *h;
        h2.ts.tv_usec += gap_us;
        while (h2.ts.tv_usec >= 1000000) {
            h2.ts.tv_usec -= 1000000;
            h2.ts.tv_sec++;
        }
        pcap_dump((u_char *)d, &h2, data);
        n++;
    }
    pcap_dump_close(d);
    pcap_close(p);
    return n;
}

#endif /* SIPHON_CAPTURE_TEST_UTIL_H */
