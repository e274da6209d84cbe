/* test_rtcp.c - unit tests of the RTCP compound decoder (proto/rtcp.c):
 * real captures and raw packets from other projects, hand-built SR/RR/
 * SDES/BYE/APP/XR packets with exact expected fields, and truncated or
 * corrupt variants.
 *
 * Expected values of the capture were read with
 *   tshark -r ndpi_rtcp_multiple_pkts_in_the_same_datagram.pcap -V -Y rtcp
 * and those of pjproject_rtcp_7.rtcp (XR: RRT, DLRR, Statistics Summary,
 * VoIP Metrics) by hand with xxd and cross-checked with tshark after
 * wrapping it with text2pcap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "proto.h"

#define REGRESS SHARED_DIR "/data/regress/"
#define PCAPS   SHARED_DIR "/data/pcaps/"

/* Parses an exact-size heap copy so ASan sees over-reads; the copy is
 * kept (views point into it) until the next call. */
static uint8_t *last_copy;
static proto_status_t parse(const uint8_t *bytes, size_t len, rtcp_compound_t *c)
{
    free(last_copy);
    last_copy = malloc(len ? len : 1);
    if (len) memcpy(last_copy, bytes, len);
    return rtcp_parse_compound(last_copy, len, c);
}

static size_t read_file(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void assert_sv(sv_t v, const char *s)
{
    if (v.len != strlen(s) || (v.len && memcmp(v.p, s, v.len) != 0))
        fail_msg("got \"%.*s\", want \"%s\"", SV_FMT(v), s);
}

/* ------------------------------ a builder ------------------------------- */

typedef struct {
    uint8_t b[1500];
    size_t len;
    size_t hdr; /* offset of the packet being built */
} pkt_t;

static void put8(pkt_t *p, uint8_t v)
{
    p->b[p->len++] = v;
}
static void put16(pkt_t *p, uint16_t v)
{
    put8(p, (uint8_t)(v >> 8));
    put8(p, (uint8_t)v);
}
static void put32(pkt_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p, (uint16_t)v);
}
static void puts_(pkt_t *p, const char *s)
{
    while (*s)
        put8(p, (uint8_t)*s++);
}
/* Starts a packet: V=2, count, pt; the length is filled in by end(). */
static void begin(pkt_t *p, uint8_t count, uint8_t pt)
{
    p->hdr = p->len;
    put8(p, (uint8_t)(0x80 | count));
    put8(p, pt);
    put16(p, 0);
}
static void end(pkt_t *p)
{
    while ((p->len - p->hdr) % 4)
        put8(p, 0);
    uint16_t words = (uint16_t)((p->len - p->hdr) / 4 - 1);
    p->b[p->hdr + 2] = (uint8_t)(words >> 8);
    p->b[p->hdr + 3] = (uint8_t)words;
}
static void report_block(pkt_t *p, uint32_t ssrc, uint8_t frac, uint32_t cum24, uint32_t ehs,
                         uint32_t jit, uint32_t lsr, uint32_t dlsr)
{
    put32(p, ssrc);
    put32(p, (uint32_t)frac << 24 | (cum24 & 0xffffff));
    put32(p, ehs);
    put32(p, jit);
    put32(p, lsr);
    put32(p, dlsr);
}

/* SR (RC=2) + SDES (2 chunks, CNAME after NAME in the first). */
static void build_sr_sdes(pkt_t *p)
{
    memset(p, 0, sizeof *p);
    begin(p, 2, RTCP_PT_SR);
    put32(p, 0x11223344);
    put32(p, 0xe0000001), put32(p, 0x80000000), put32(p, 160000), put32(p, 1000), put32(p, 160000);
    report_block(p, 0xaabbccdd, 25, 0xfffffe, 0x0001ffff, 77, 0x12345678, 0x00018000);
    report_block(p, 0x01020304, 255, 0x7fffff, 0x00020010, 0, 0, 0);
    end(p);
    begin(p, 2, RTCP_PT_SDES);
    put32(p, 0x11223344);
    put8(p, 2), put8(p, 3), puts_(p, "bob");          /* NAME */
    put8(p, 1), put8(p, 11), puts_(p, "bob@example"); /* CNAME */
    put8(p, 0);                                       /* END */
    while ((p->len - p->hdr) % 4)
        put8(p, 0);
    put32(p, 0x55667788);
    put8(p, 1), put8(p, 4), puts_(p, "mix1"), put8(p, 0); /* CNAME, END */
    end(p);
}

static void test_sr_sdes(void **state)
{
    (void)state;
    pkt_t p;
    build_sr_sdes(&p);
    rtcp_compound_t c;
    assert_int_equal(parse(p.b, p.len, &c), PROTO_OK);
    assert_int_equal(c.count, 2);
    assert_int_equal(c.total, 2);
    const rtcp_packet_t *sr = &c.pkt[0];
    assert_int_equal(sr->pt, RTCP_PT_SR);
    assert_int_equal(sr->count, 2);
    assert_int_equal(sr->offset, 0);
    assert_int_equal(sr->length, 4 + 4 + 20 + 48);
    assert_int_equal(sr->ssrc, 0x11223344);
    assert_int_equal(sr->u.rr.sender.ntp_msw, 0xe0000001);
    assert_int_equal(sr->u.rr.sender.ntp_lsw, 0x80000000);
    assert_int_equal(sr->u.rr.sender.rtp_ts, 160000);
    assert_int_equal(sr->u.rr.sender.packet_count, 1000);
    assert_int_equal(sr->u.rr.sender.octet_count, 160000);
    assert_int_equal(sr->u.rr.stored, 2);
    assert_int_equal(sr->u.rr.ext_len, 0);
    const rtcp_report_block_t *rb = &sr->u.rr.blocks[0];
    assert_int_equal(rb->ssrc, 0xaabbccdd);
    assert_int_equal(rb->fraction_lost, 25);
    assert_int_equal(rb->cumulative_lost, -2); /* 0xfffffe as signed 24 bits */
    assert_int_equal(rb->ext_highest_seq, 0x0001ffff);
    assert_int_equal(rb->jitter, 77);
    assert_int_equal(rb->lsr, 0x12345678);
    assert_int_equal(rb->dlsr, 0x00018000);
    rb = &sr->u.rr.blocks[1];
    assert_int_equal(rb->fraction_lost, 255);
    assert_int_equal(rb->cumulative_lost, 0x7fffff);
    assert_int_equal(rb->ext_highest_seq, 0x00020010);

    const rtcp_packet_t *sd = &c.pkt[1];
    assert_int_equal(sd->pt, RTCP_PT_SDES);
    assert_int_equal(sd->offset, sr->length);
    assert_int_equal(sd->ssrc, 0x11223344);
    assert_int_equal(sd->u.sdes.stored, 2);
    assert_int_equal(sd->u.sdes.chunks[0].ssrc, 0x11223344);
    assert_sv(sd->u.sdes.chunks[0].cname, "bob@example");
    assert_int_equal(sd->u.sdes.chunks[1].ssrc, 0x55667788);
    assert_sv(sd->u.sdes.chunks[1].cname, "mix1");
}

/* Every prefix that is not a packet boundary is INVALID and keeps the
 * complete packets before it; every byte flip must be handled safely. */
static void test_truncations_and_flips(void **state)
{
    (void)state;
    pkt_t p;
    build_sr_sdes(&p);
    size_t first = 4 + 4 + 20 + 48;
    rtcp_compound_t c;
    for (size_t n = 0; n < p.len; n++) {
        proto_status_t st = parse(p.b, n, &c);
        if (n == first) {
            assert_int_equal(st, PROTO_OK);
            assert_int_equal(c.count, 1);
        } else {
            assert_int_equal(st, PROTO_INVALID);
            assert_int_equal(c.count, n > first ? 1 : 0);
            assert_int_equal(c.error_offset, n > first ? first : 0);
        }
    }
    /* flips must never crash (ASan) and must keep count <= 2 */
    for (size_t i = 0; i < p.len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            pkt_t q = p;
            q.b[i] ^= (uint8_t)(1u << bit);
            (void)parse(q.b, q.len, &c);
            assert_true(c.count <= 2);
        }
    }
}

static void test_rr_bye(void **state)
{
    (void)state;
    pkt_t p = {0};
    begin(&p, 1, RTCP_PT_RR);
    put32(&p, 0xcafe0001);
    report_block(&p, 0xbeef0002, 0, 0x000010, 65536 + 100, 12, 0, 0);
    end(&p);
    begin(&p, 2, RTCP_PT_BYE);
    put32(&p, 0xcafe0001), put32(&p, 0xcafe0003);
    put8(&p, 9), puts_(&p, "hangup ok");
    end(&p);
    rtcp_compound_t c;
    assert_int_equal(parse(p.b, p.len, &c), PROTO_OK);
    assert_int_equal(c.count, 2);
    assert_int_equal(c.pkt[0].pt, RTCP_PT_RR);
    assert_int_equal(c.pkt[0].ssrc, 0xcafe0001);
    assert_int_equal(c.pkt[0].u.rr.stored, 1);
    assert_int_equal(c.pkt[0].u.rr.blocks[0].ssrc, 0xbeef0002);
    assert_int_equal(c.pkt[0].u.rr.blocks[0].cumulative_lost, 16);
    assert_int_equal(c.pkt[0].u.rr.blocks[0].ext_highest_seq, 65636);
    assert_int_equal(c.pkt[0].u.rr.blocks[0].jitter, 12);
    const rtcp_packet_t *bye = &c.pkt[1];
    assert_int_equal(bye->pt, RTCP_PT_BYE);
    assert_int_equal(bye->count, 2);
    assert_int_equal(bye->u.bye.stored, 2);
    assert_int_equal(bye->u.bye.ssrcs[0], 0xcafe0001);
    assert_int_equal(bye->u.bye.ssrcs[1], 0xcafe0003);
    assert_int_equal(bye->ssrc, 0xcafe0001);
    assert_sv(bye->u.bye.reason, "hangup ok");

    /* reason length beyond the packet */
    p.b[p.hdr + 12] = 200;
    assert_int_equal(parse(p.b, p.len, &c), PROTO_INVALID);
    assert_int_equal(c.count, 1);
    assert_int_equal(c.error_offset, p.hdr);
    /* SC larger than the SSRCs present */
    p.b[p.hdr + 12] = 9;
    p.b[p.hdr] = 0x80 | 6;
    assert_int_equal(parse(p.b, p.len, &c), PROTO_INVALID);
    assert_int_equal(c.count, 1);
}

/* XR with RRT, DLRR (2 items), Statistics Summary (all flags, IPv6 hop
 * limit), VoIP Metrics and an unknown block type. */
static void build_xr(pkt_t *p)
{
    memset(p, 0, sizeof *p);
    begin(p, 0, RTCP_PT_XR);
    put32(p, 0x0a0b0c0d);
    put8(p, 4), put8(p, 0), put16(p, 2), put32(p, 0xe1000000), put32(p, 0x40000000);
    put8(p, 5), put8(p, 0), put16(p, 6);
    put32(p, 0x1111), put32(p, 0x2222), put32(p, 0x3333);
    put32(p, 0x4444), put32(p, 0x5555), put32(p, 0x6666);
    put8(p, 6), put8(p, 0xe0 | (2 << 3)), put16(p, 9);
    put32(p, 0x77777777), put16(p, 100), put16(p, 1100);
    put32(p, 12), put32(p, 3), put32(p, 1), put32(p, 90), put32(p, 20), put32(p, 7);
    put8(p, 60), put8(p, 64), put8(p, 62), put8(p, 1);
    put8(p, 7), put8(p, 0), put16(p, 8);
    put32(p, 0x88888888);
    put8(p, 13), put8(p, 5), put8(p, 128), put8(p, 2); /* loss, discard, densities */
    put16(p, 120), put16(p, 3000);                     /* burst, gap duration */
    put16(p, 150), put16(p, 40);                       /* RTD, ESD */
    put8(p, (uint8_t)-20), put8(p, (uint8_t)-65), put8(p, 127), put8(p, 16);
    put8(p, 87), put8(p, 127), put8(p, 41), put8(p, 39);
    put8(p, 0xb7), put8(p, 0), put16(p, 40);
    put16(p, 80), put16(p, 200);
    put8(p, 42), put8(p, 1), put16(p, 1), put32(p, 0xdeadbeef); /* unknown BT 42 */
    end(p);
}

static void test_xr(void **state)
{
    (void)state;
    pkt_t p;
    build_xr(&p);
    rtcp_compound_t c;
    assert_int_equal(parse(p.b, p.len, &c), PROTO_OK);
    assert_int_equal(c.count, 1);
    const rtcp_packet_t *x = &c.pkt[0];
    assert_int_equal(x->pt, RTCP_PT_XR);
    assert_int_equal(x->ssrc, 0x0a0b0c0d);
    assert_int_equal(x->u.xr.block_count, 5);
    assert_int_equal(x->u.xr.stored, 5);
    const rtcp_xr_block_t *b = x->u.xr.blocks;
    assert_int_equal(b[0].bt, RTCP_XR_RRT);
    assert_int_equal(b[0].u.rrt.ntp_msw, 0xe1000000);
    assert_int_equal(b[0].u.rrt.ntp_lsw, 0x40000000);
    assert_int_equal(b[1].bt, RTCP_XR_DLRR);
    assert_int_equal(b[1].u.dlrr.count, 2);
    assert_int_equal(b[1].u.dlrr.stored, 2);
    assert_int_equal(b[1].u.dlrr.items[1].ssrc, 0x4444);
    assert_int_equal(b[1].u.dlrr.items[1].lrr, 0x5555);
    assert_int_equal(b[1].u.dlrr.items[1].dlrr, 0x6666);
    const rtcp_xr_stats_t *s = &b[2].u.stats;
    assert_int_equal(b[2].bt, RTCP_XR_STATS);
    assert_true(s->loss_flag && s->dup_flag && s->jitter_flag);
    assert_int_equal(s->ttl_or_hl, 2);
    assert_int_equal(s->ssrc, 0x77777777);
    assert_int_equal(s->begin_seq, 100);
    assert_int_equal(s->end_seq, 1100);
    assert_int_equal(s->lost_packets, 12);
    assert_int_equal(s->dup_packets, 3);
    assert_int_equal(s->min_jitter, 1);
    assert_int_equal(s->max_jitter, 90);
    assert_int_equal(s->mean_jitter, 20);
    assert_int_equal(s->dev_jitter, 7);
    assert_int_equal(s->min_ttl, 60);
    assert_int_equal(s->max_ttl, 64);
    assert_int_equal(s->mean_ttl, 62);
    assert_int_equal(s->dev_ttl, 1);
    const rtcp_xr_voip_t *v = &b[3].u.voip;
    assert_int_equal(b[3].bt, RTCP_XR_VOIP);
    assert_int_equal(v->ssrc, 0x88888888);
    assert_int_equal(v->loss_rate, 13);
    assert_int_equal(v->discard_rate, 5);
    assert_int_equal(v->burst_density, 128);
    assert_int_equal(v->gap_density, 2);
    assert_int_equal(v->burst_duration, 120);
    assert_int_equal(v->gap_duration, 3000);
    assert_int_equal(v->round_trip_delay, 150);
    assert_int_equal(v->end_system_delay, 40);
    assert_int_equal(v->signal_level, -20);
    assert_int_equal(v->noise_level, -65);
    assert_int_equal(v->rerl, RTCP_XR_UNAVAILABLE);
    assert_int_equal(v->gmin, 16);
    assert_int_equal(v->r_factor, 87);
    assert_int_equal(v->ext_r_factor, RTCP_XR_UNAVAILABLE);
    assert_int_equal(v->mos_lq, 41);
    assert_int_equal(v->mos_cq, 39);
    assert_int_equal(v->rx_config, 0xb7);
    assert_int_equal(v->plc, 2);
    assert_int_equal(v->jba, 3);
    assert_int_equal(v->jb_rate, 7);
    assert_int_equal(v->jb_nominal, 40);
    assert_int_equal(v->jb_max, 80);
    assert_int_equal(v->jb_abs_max, 200);
    assert_int_equal(b[4].bt, 42);
    assert_int_equal(b[4].type_specific, 1);
    assert_int_equal(b[4].length_words, 1);
    assert_int_equal(b[4].data_len, 4);
    assert_int_equal(b[4].data[0], 0xde);
}

static void test_xr_corrupt(void **state)
{
    (void)state;
    pkt_t p;
    rtcp_compound_t c;
    /* Statistics Summary with the flags clear: values not reported */
    build_xr(&p);
    p.b[8 + 12 + 28 + 1] = 0;
    assert_int_equal(parse(p.b, p.len, &c), PROTO_OK);
    assert_int_equal(c.pkt[0].u.xr.blocks[2].u.stats.lost_packets, 0);
    assert_int_equal(c.pkt[0].u.xr.blocks[2].u.stats.max_jitter, 0);
    assert_int_equal(c.pkt[0].u.xr.blocks[2].u.stats.max_ttl, 0);
    assert_int_equal(c.pkt[0].u.xr.blocks[2].u.stats.end_seq, 1100);
    /* DLRR length not a multiple of 3 words: the next block's header is
     * read as data, so the blocks no longer tile the packet */
    build_xr(&p);
    p.b[8 + 12 + 3] = 5;
    assert_int_equal(parse(p.b, p.len, &c), PROTO_INVALID);
    assert_int_equal(c.count, 0);
    /* a block longer than the packet */
    build_xr(&p);
    p.b[8 + 12 + 3] = 0xff;
    assert_int_equal(parse(p.b, p.len, &c), PROTO_INVALID);
    /* a VoIP Metrics block too short for its fixed fields */
    pkt_t q = {0};
    begin(&q, 0, RTCP_PT_XR);
    put32(&q, 1);
    put8(&q, 7), put8(&q, 0), put16(&q, 7);
    for (int i = 0; i < 7; i++)
        put32(&q, 0);
    end(&q);
    assert_int_equal(parse(q.b, q.len, &c), PROTO_INVALID);
    /* 2 stray bytes after the last block: possible only with padding */
    q = (pkt_t){0};
    begin(&q, 0, RTCP_PT_XR);
    q.b[q.hdr] |= 0x20;
    put32(&q, 1);
    put8(&q, 9), put8(&q, 0), put16(&q, 0);
    put16(&q, 0xffff), put8(&q, 0), put8(&q, 2);
    end(&q);
    assert_int_equal(parse(q.b, q.len, &c), PROTO_INVALID);
    q.b[q.len - 1] = 4; /* the stray bytes are padding too: fine */
    assert_int_equal(parse(q.b, q.len, &c), PROTO_OK);
    assert_int_equal(c.pkt[0].u.xr.block_count, 1);
    /* XR without SSRC */
    uint8_t bare[4] = {0x80, RTCP_PT_XR, 0, 0};
    assert_int_equal(parse(bare, 4, &c), PROTO_INVALID);
}

static void test_xr_caps(void **state)
{
    (void)state;
    /* 10 blocks and a DLRR with 6 items: stored up to the caps, counted */
    pkt_t p = {0};
    begin(&p, 0, RTCP_PT_XR);
    put32(&p, 1);
    put8(&p, 5), put8(&p, 0), put16(&p, 18);
    for (uint32_t i = 0; i < 18; i++)
        put32(&p, i);
    for (int i = 0; i < 9; i++)
        put8(&p, 99), put8(&p, 0), put16(&p, 0);
    end(&p);
    rtcp_compound_t c;
    assert_int_equal(parse(p.b, p.len, &c), PROTO_OK);
    assert_int_equal(c.pkt[0].u.xr.block_count, 10);
    assert_int_equal(c.pkt[0].u.xr.stored, RTCP_MAX_XR_BLOCKS);
    assert_int_equal(c.pkt[0].u.xr.blocks[0].u.dlrr.count, 6);
    assert_int_equal(c.pkt[0].u.xr.blocks[0].u.dlrr.stored, RTCP_MAX_DLRR);
    assert_int_equal(c.pkt[0].u.xr.blocks[0].u.dlrr.items[3].ssrc, 9);
}

static void test_report_cap_and_many_packets(void **state)
{
    (void)state;
    /* RR with RC=31: 16 stored */
    pkt_t p = {0};
    begin(&p, 31, RTCP_PT_RR);
    put32(&p, 7);
    for (uint32_t i = 0; i < 31; i++)
        report_block(&p, 1000 + i, 0, 0, 0, 0, 0, 0);
    end(&p);
    rtcp_compound_t c;
    assert_int_equal(parse(p.b, p.len, &c), PROTO_OK);
    assert_int_equal(c.pkt[0].count, 31);
    assert_int_equal(c.pkt[0].u.rr.stored, RTCP_MAX_REPORTS);
    assert_int_equal(c.pkt[0].u.rr.blocks[15].ssrc, 1015);
    /* 12 RR packets: 8 stored, 12 counted; a bad 12th still fails */
    p = (pkt_t){0};
    for (uint32_t i = 0; i < 12; i++) {
        begin(&p, 0, RTCP_PT_RR);
        put32(&p, i);
        end(&p);
    }
    assert_int_equal(parse(p.b, p.len, &c), PROTO_OK);
    assert_int_equal(c.count, RTCP_MAX_PACKETS);
    assert_int_equal(c.total, 12);
    assert_int_equal(c.pkt[7].ssrc, 7);
    assert_int_equal(c.pkt[7].offset, 7 * 8);
    p.b[11 * 8] = 0x40; /* version 1 */
    assert_int_equal(parse(p.b, p.len, &c), PROTO_INVALID);
    assert_int_equal(c.count, RTCP_MAX_PACKETS);
    assert_int_equal(c.total, 11);
    assert_int_equal(c.error_offset, 11 * 8);
    /* RR with profile-specific extension bytes after the blocks */
    p = (pkt_t){0};
    begin(&p, 0, RTCP_PT_RR);
    put32(&p, 9), put32(&p, 0xabcdef01);
    end(&p);
    assert_int_equal(parse(p.b, p.len, &c), PROTO_OK);
    assert_int_equal(c.pkt[0].u.rr.ext_len, 4);
}

static void test_padding(void **state)
{
    (void)state;
    /* RR + BYE with 8 bytes of padding (P bit on the last packet) */
    pkt_t p = {0};
    begin(&p, 0, RTCP_PT_RR);
    put32(&p, 5);
    end(&p);
    begin(&p, 1, RTCP_PT_BYE);
    p.b[p.hdr] |= 0x20;
    put32(&p, 5);
    for (int i = 0; i < 7; i++)
        put8(&p, 0);
    put8(&p, 8);
    end(&p);
    rtcp_compound_t c;
    assert_int_equal(parse(p.b, p.len, &c), PROTO_OK);
    assert_int_equal(c.count, 2);
    assert_true(c.pkt[1].padding);
    assert_int_equal(c.pkt[1].pad_len, 8);
    assert_int_equal(c.pkt[1].length, 16);
    assert_int_equal(c.pkt[1].u.bye.reason.len, 0); /* padding is not a reason */
    /* padding count 0 */
    p.b[p.len - 1] = 0;
    assert_int_equal(parse(p.b, p.len, &c), PROTO_INVALID);
    assert_int_equal(c.count, 1);
    /* padding larger than the body */
    p.b[p.len - 1] = 13;
    assert_int_equal(parse(p.b, p.len, &c), PROTO_INVALID);
    /* padding that eats the SSRC BYE's count requires */
    p.b[p.len - 1] = 12;
    assert_int_equal(parse(p.b, p.len, &c), PROTO_INVALID);
    /* with SC=0 the whole body may be padding */
    p.b[p.hdr] = 0xa0;
    assert_int_equal(parse(p.b, p.len, &c), PROTO_OK);
    assert_int_equal(c.pkt[1].pad_len, 12);
}

static void test_app_fb_other(void **state)
{
    (void)state;
    pkt_t p = {0};
    begin(&p, 3, RTCP_PT_APP);
    put32(&p, 0x42), puts_(&p, "QOS1"), put32(&p, 0x01020304);
    end(&p);
    begin(&p, 1, RTCP_PT_RTPFB);
    put32(&p, 0x42), put32(&p, 0x43), put16(&p, 100), put16(&p, 0x0003);
    end(&p);
    begin(&p, 0, 195); /* IJ (RFC 5450): header only */
    put32(&p, 0x99);
    end(&p);
    rtcp_compound_t c;
    assert_int_equal(parse(p.b, p.len, &c), PROTO_OK);
    assert_int_equal(c.count, 3);
    assert_int_equal(c.pkt[0].count, 3);
    assert_int_equal(c.pkt[0].ssrc, 0x42);
    assert_sv(c.pkt[0].u.app.name, "QOS1");
    assert_int_equal(c.pkt[0].u.app.data_len, 4);
    assert_int_equal(c.pkt[0].u.app.data[3], 4);
    assert_int_equal(c.pkt[1].u.fb.media_ssrc, 0x43);
    assert_int_equal(c.pkt[1].u.fb.fci_len, 4);
    assert_int_equal(c.pkt[2].pt, 195);
    assert_int_equal(c.pkt[2].ssrc, 0x99);
}

static void test_corrupt_headers(void **state)
{
    (void)state;
    rtcp_compound_t c;
    assert_int_equal(parse(NULL, 0, &c), PROTO_INVALID);
    assert_int_equal(c.count, 0);
    uint8_t rtp[12] = {0x80, 0x00, 0, 1}; /* PT 0: RTP, not RTCP */
    assert_int_equal(parse(rtp, sizeof rtp, &c), PROTO_INVALID);
    uint8_t rr[8] = {0x81, RTCP_PT_RR, 0, 1, 0, 0, 0, 1}; /* RC=1, no block */
    assert_int_equal(parse(rr, sizeof rr, &c), PROTO_INVALID);
    rr[0] = 0x80;
    assert_int_equal(parse(rr, sizeof rr, &c), PROTO_OK);
    assert_int_equal(parse(rr, 7, &c), PROTO_INVALID); /* length beyond buffer */
    uint8_t trail[10] = {0x80, RTCP_PT_RR, 0, 1, 0, 0, 0, 1, 0x80, 0};
    assert_int_equal(parse(trail, sizeof trail, &c), PROTO_INVALID);
    assert_int_equal(c.count, 1);
    assert_int_equal(c.error_offset, 8);
    /* SDES: item running past the packet, missing chunk */
    uint8_t sdes[12] = {0x81, RTCP_PT_SDES, 0, 2, 0, 0, 0, 1, 1, 5, 'a', 'b'};
    assert_int_equal(parse(sdes, sizeof sdes, &c), PROTO_INVALID);
    sdes[9] = 2; /* fits; no END item at the end of the last chunk: tolerated */
    assert_int_equal(parse(sdes, sizeof sdes, &c), PROTO_OK);
    assert_sv(c.pkt[0].u.sdes.chunks[0].cname, "ab");
    sdes[0] = 0x82; /* SC=2 but one chunk */
    assert_int_equal(parse(sdes, sizeof sdes, &c), PROTO_INVALID);
    /* APP too short for its name */
    uint8_t app[8] = {0x80, RTCP_PT_APP, 0, 1, 0, 0, 0, 1};
    assert_int_equal(parse(app, sizeof app, &c), PROTO_INVALID);
}

/* ------------------------- third-party inputs --------------------------- */

static void test_pjproject_sr(void **state)
{
    (void)state;
    uint8_t b[256];
    size_t n = read_file(REGRESS "pjproject_rtcp_1.rtcp", b, sizeof b);
    rtcp_compound_t c;
    assert_int_equal(parse(b, n, &c), PROTO_OK);
    assert_int_equal(c.count, 1);
    const rtcp_packet_t *sr = &c.pkt[0];
    assert_int_equal(sr->pt, RTCP_PT_SR);
    assert_int_equal(sr->ssrc, 0x66f00c9a);
    assert_int_equal(sr->u.rr.sender.ntp_msw, 0xe796981d);
    assert_int_equal(sr->u.rr.sender.ntp_lsw, 0x7bc3f811);
    assert_int_equal(sr->u.rr.sender.rtp_ts, 0x0008e72e);
    assert_int_equal(sr->u.rr.sender.packet_count, 147);
    assert_int_equal(sr->u.rr.sender.octet_count, 0x1ef45);
    assert_int_equal(sr->u.rr.blocks[0].ssrc, 0x73332166);
    assert_int_equal(sr->u.rr.blocks[0].ext_highest_seq, 0x54d5);
    assert_int_equal(sr->u.rr.blocks[0].jitter, 0x80);
    assert_int_equal(sr->u.rr.blocks[0].lsr, 0x98188b46);
    assert_int_equal(sr->u.rr.blocks[0].dlsr, 0x0004b85d);

    n = read_file(REGRESS "pjproject_rtcp_3.rtcp", b, sizeof b);
    assert_int_equal(parse(b, n, &c), PROTO_OK);
    assert_sv(c.pkt[0].u.sdes.chunks[0].cname, "7b1f2a873b214437");
    n = read_file(REGRESS "pjproject_rtcp_4.rtcp", b, sizeof b);
    assert_int_equal(parse(b, n, &c), PROTO_OK);
    assert_int_equal(c.pkt[0].pt, RTCP_PT_BYE);
    assert_int_equal(c.pkt[0].u.bye.ssrcs[0], 0x66f00c9a);
    n = read_file(REGRESS "pjproject_rtcp_5.rtcp", b, sizeof b); /* generic NACK */
    assert_int_equal(parse(b, n, &c), PROTO_OK);
    assert_int_equal(c.pkt[0].pt, RTCP_PT_RTPFB);
    assert_int_equal(c.pkt[0].count, 1);
    assert_int_equal(c.pkt[0].ssrc, 0x1378ce71);
    assert_int_equal(c.pkt[0].u.fb.fci_len, 4);
    n = read_file(REGRESS "pjproject_rtcp_6.rtcp", b, sizeof b); /* PLI */
    assert_int_equal(parse(b, n, &c), PROTO_OK);
    assert_int_equal(c.pkt[0].pt, RTCP_PT_PSFB);
    assert_int_equal(c.pkt[0].u.fb.fci_len, 0);
}

/* 112-byte XR from pjproject: RRT, DLRR, Statistics Summary, VoIP Metrics.
 * Decoded by hand (xxd) and by tshark. */
static void test_pjproject_xr(void **state)
{
    (void)state;
    uint8_t b[256];
    size_t n = read_file(REGRESS "pjproject_rtcp_7.rtcp", b, sizeof b);
    assert_int_equal(n, 112);
    rtcp_compound_t c;
    assert_int_equal(parse(b, n, &c), PROTO_OK);
    assert_int_equal(c.count, 1);
    const rtcp_packet_t *x = &c.pkt[0];
    assert_int_equal(x->pt, RTCP_PT_XR);
    assert_int_equal(x->ssrc, 0x0eb9f2b8);
    assert_int_equal(x->u.xr.block_count, 4);
    const rtcp_xr_block_t *bl = x->u.xr.blocks;
    assert_int_equal(bl[0].bt, RTCP_XR_RRT);
    assert_int_equal(bl[0].u.rrt.ntp_msw, 0xe79f16df);
    assert_int_equal(bl[0].u.rrt.ntp_lsw, 0xe97fe8ee);
    assert_int_equal(bl[1].bt, RTCP_XR_DLRR);
    assert_int_equal(bl[1].u.dlrr.count, 1);
    assert_int_equal(bl[1].u.dlrr.items[0].ssrc, 0x540df5a9);
    assert_int_equal(bl[1].u.dlrr.items[0].lrr, 383635627);
    assert_int_equal(bl[1].u.dlrr.items[0].dlrr, 141579);
    const rtcp_xr_stats_t *s = &bl[2].u.stats;
    assert_int_equal(bl[2].bt, RTCP_XR_STATS);
    assert_true(s->loss_flag && s->dup_flag && s->jitter_flag);
    assert_int_equal(s->ttl_or_hl, 0);
    assert_int_equal(s->ssrc, 0x540df5a9);
    assert_int_equal(s->begin_seq, 9696);
    assert_int_equal(s->end_seq, 10470);
    assert_int_equal(s->lost_packets, 0);
    assert_int_equal(s->dup_packets, 0);
    assert_int_equal(s->min_jitter, 0);
    assert_int_equal(s->max_jitter, 2);
    assert_int_equal(s->mean_jitter, 1);
    assert_int_equal(s->dev_jitter, 0);
    const rtcp_xr_voip_t *v = &bl[3].u.voip;
    assert_int_equal(bl[3].bt, RTCP_XR_VOIP);
    assert_int_equal(v->ssrc, 0x540df5a9);
    assert_int_equal(v->loss_rate, 0);
    assert_int_equal(v->discard_rate, 0);
    assert_int_equal(v->round_trip_delay, 0);
    assert_int_equal(v->end_system_delay, 290);
    assert_int_equal(v->signal_level, 127);
    assert_int_equal(v->noise_level, 127);
    assert_int_equal(v->rerl, 127);
    assert_int_equal(v->gmin, 16);
    assert_int_equal(v->r_factor, 127);
    assert_int_equal(v->ext_r_factor, 127);
    assert_int_equal(v->mos_lq, 127);
    assert_int_equal(v->mos_cq, 127);
    assert_int_equal(v->plc, 2);
    assert_int_equal(v->jba, 3);
    assert_int_equal(v->jb_rate, 7);
    assert_int_equal(v->jb_nominal, 20);
    assert_int_equal(v->jb_max, 20);
    assert_int_equal(v->jb_abs_max, 500);
}

static void test_regress_files(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        proto_status_t st;
        uint8_t count;
    } cases[] = {
        {"pjproject_rtcp_2.rtcp", PROTO_OK, 1},
        {"pjproject_rtcp_seed-rtcp-fb-nack.bin", PROTO_OK, 1},
        {"pjproject_rtcp_seed-rtcp-fb-pli.bin", PROTO_OK, 1},
        {"pjproject_rtcp_seed-rtcp-fb-rpsi.bin", PROTO_OK, 1},
        {"pjproject_rtcp_seed-rtcp-fb-sli.bin", PROTO_OK, 1},
        {"captagent_rtcp_rr_to_json.bin", PROTO_OK, 1},
        {"captagent_rtcp_rr_malformed.bin", PROTO_INVALID, 0}, /* 32 declared, 29 there */
        {"captagent_rtcp_sr_truncated.bin", PROTO_INVALID, 0}, /* 28 declared, 25 there */
    };
    uint8_t b[2048];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, REGRESS "%s", cases[i].name);
        size_t n = read_file(path, b, sizeof b);
        rtcp_compound_t c;
        proto_status_t st = parse(b, n, &c);
        if (st != cases[i].st || c.count != cases[i].count)
            fail_msg("%s: status %d count %u", cases[i].name, st, c.count);
        assert_int_equal(st == PROTO_OK, rtcp_probe(b, n));
    }
    uint8_t b2[64];
    size_t n = read_file(REGRESS "captagent_rtcp_rr_to_json.bin", b2, sizeof b2);
    rtcp_compound_t c;
    assert_int_equal(parse(b2, n, &c), PROTO_OK);
    assert_int_equal(c.pkt[0].ssrc, 1);
    assert_int_equal(c.pkt[0].u.rr.blocks[0].ssrc, 2);
}

/* Five SR/RR + SDES datagrams (Linux SLL link layer), checked field by field
 * against tshark -V. */
static void test_ndpi_capture(void **state)
{
    (void)state;
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(PCAPS "ndpi_rtcp_multiple_pkts_in_the_same_datagram.pcap", err);
    if (!pc) fail_msg("%s", err);
    assert_int_equal(pcap_datalink(pc), DLT_LINUX_SLL);
    static const struct {
        uint8_t pt;
        uint32_t ssrc, msw, lsw, rtp_ts, pkts, octets;
        uint32_t blk_ssrc;
        uint8_t frac;
        int32_t cum;
        uint32_t ehs, jitter, lsr, dlsr;
        const char *cname;
    } want[5] = {
        {200, 0x5d931534, 3711615344u, 1298222584u, 32000, 200, 32000, 0, 0, 1, 0, 0, 0, 0,
         "5d931534"},
        {201, 0x01932db4, 0, 0, 0, 0, 0, 0, 1, 1, 48834, 1, 0, 0, "1932db4"},
        {200, 0x5d931534, 3711615348u, 1384156290u, 64160, 401, 64160, 0x01932db4, 0, 1, 0, 0, 0, 0,
         "5d931534"},
        {201, 0x01932db4, 0, 0, 0, 0, 0, 0x5d931534, 0, 1, 49035, 6, 3245362529u, 263452,
         "1932db4"},
        {200, 0x5d931534, 3711615352u, 1469918197u, 96320, 602, 96320, 0x01932db4, 0, 1, 0, 0, 0, 0,
         "5d931534"},
    };
    struct pcap_pkthdr *h;
    const u_char *d;
    int i = 0;
    while (pcap_next_ex(pc, &h, &d) == 1) {
        assert_true(i < 5);
        /* SLL (16) + IPv4 (IHL) + UDP (8) */
        size_t ip = 16, ihl = (size_t)(d[ip] & 0x0f) * 4;
        size_t udp = ip + ihl, pl = udp + 8;
        size_t plen = (size_t)((d[udp + 4] << 8) | d[udp + 5]) - 8;
        assert_true(pl + plen <= h->caplen);
        rtcp_compound_t c;
        assert_int_equal(parse(d + pl, plen, &c), PROTO_OK);
        assert_int_equal(c.count, 2);
        const rtcp_packet_t *r = &c.pkt[0];
        assert_int_equal(r->pt, want[i].pt);
        assert_int_equal(r->ssrc, want[i].ssrc);
        if (r->pt == RTCP_PT_SR) {
            assert_int_equal(r->u.rr.sender.ntp_msw, want[i].msw);
            assert_int_equal(r->u.rr.sender.ntp_lsw, want[i].lsw);
            assert_int_equal(r->u.rr.sender.rtp_ts, want[i].rtp_ts);
            assert_int_equal(r->u.rr.sender.packet_count, want[i].pkts);
            assert_int_equal(r->u.rr.sender.octet_count, want[i].octets);
        }
        assert_int_equal(r->u.rr.stored, 1);
        const rtcp_report_block_t *rb = &r->u.rr.blocks[0];
        assert_int_equal(rb->ssrc, want[i].blk_ssrc);
        assert_int_equal(rb->fraction_lost, want[i].frac);
        assert_int_equal(rb->cumulative_lost, want[i].cum);
        assert_int_equal(rb->ext_highest_seq, want[i].ehs);
        assert_int_equal(rb->jitter, want[i].jitter);
        assert_int_equal(rb->lsr, want[i].lsr);
        assert_int_equal(rb->dlsr, want[i].dlsr);
        const rtcp_packet_t *s = &c.pkt[1];
        assert_int_equal(s->pt, RTCP_PT_SDES);
        assert_int_equal(s->u.sdes.stored, 1);
        assert_int_equal(s->u.sdes.chunks[0].ssrc, want[i].ssrc);
        assert_sv(s->u.sdes.chunks[0].cname, want[i].cname);
        if (i == 3) {
            /* the RR's arrival in NTP middle 32 bits gives RTT ~27.3 ms */
            uint64_t ntp_sec = (uint64_t)h->ts.tv_sec + 2208988800u;
            uint32_t frac = (uint32_t)(((uint64_t)h->ts.tv_usec << 32) / 1000000);
            uint32_t a = rtcp_ntp_middle32((uint32_t)ntp_sec, frac);
            double rtt = rtcp_rtt_ms(a, rb->lsr, rb->dlsr);
            assert_true(rtt > 27.0 && rtt < 27.6);
        }
        i++;
    }
    assert_int_equal(i, 5);
    pcap_close(pc);
}

static void test_ntp_rtt(void **state)
{
    (void)state;
    assert_int_equal(rtcp_ntp_middle32(0xdd3ac174, 0x52808c82), 0xc1745280);
    assert_int_equal(rtcp_ntp_middle32(0xffffffff, 0xffffffff), 0xffffffff);
    /* A = 10 s, LSR = 9 s, DLSR = 0.5 s -> 500 ms */
    assert_true(rtcp_rtt_ms(10u << 16, 9u << 16, 1u << 15) == 500.0);
    /* across the 32-bit wrap: A = 0.25 s after wrap, LSR = 0.25 s before */
    assert_true(rtcp_rtt_ms(1u << 14, 0u - (1u << 14), 0) == 500.0);
    assert_true(rtcp_rtt_ms(100, 0, 0) < 0);      /* no SR yet */
    assert_true(rtcp_rtt_ms(100, 90, 20) < 0);    /* DLSR longer than elapsed */
    assert_true(rtcp_rtt_ms(90, 100, 0) < 0);     /* arrival before the SR */
    assert_true(rtcp_rtt_ms(100, 90, 10) == 0.0); /* exactly zero is valid */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sr_sdes),
        cmocka_unit_test(test_truncations_and_flips),
        cmocka_unit_test(test_rr_bye),
        cmocka_unit_test(test_xr),
        cmocka_unit_test(test_xr_corrupt),
        cmocka_unit_test(test_xr_caps),
        cmocka_unit_test(test_report_cap_and_many_packets),
        cmocka_unit_test(test_padding),
        cmocka_unit_test(test_app_fb_other),
        cmocka_unit_test(test_corrupt_headers),
        cmocka_unit_test(test_pjproject_sr),
        cmocka_unit_test(test_pjproject_xr),
        cmocka_unit_test(test_regress_files),
        cmocka_unit_test(test_ndpi_capture),
        cmocka_unit_test(test_ntp_rtt),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(last_copy);
    return rc;
}
