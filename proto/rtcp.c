/* rtcp.c - RTCP compound packets: probe and decoder (RFC 3550 section 6,
 * RFC 3611 extended reports, RFC 4585 feedback headers, RFC 5761 demux).
 *
 * rtcp_probe() tells RTCP from RTP on a shared or adjacent port: every
 * header must have V=2 and a packet type in 192..223 (RFC 5761 4), and the
 * lengths must add up to the datagram exactly.
 *
 * rtcp_parse_compound() decodes the datagram into a fixed-size
 * rtcp_compound_t: SR/RR sender info and report blocks, SDES CNAMEs, BYE
 * SSRCs and reason, APP name/subtype/data, feedback SSRCs/FCI and the XR
 * blocks a quality monitor needs (4 RRT, 5 DLRR, 6 Statistics Summary,
 * 7 VoIP Metrics; others are described by type and bytes only).
 *
 * Design (tcpdump/Suricata style):
 *  - zero-copy: text (CNAME, BYE reason, APP name) are views into the
 *    datagram, opaque payloads are pointer + length;
 *  - every read goes through be16()/be32() after a length check written as
 *    "need <= avail" with avail computed by subtraction that cannot
 *    underflow;
 *  - no recursion; every loop advances by at least 2 bytes (SDES items) or
 *    4 bytes (packets, chunks, XR blocks), so work is bounded by len;
 *  - storage is bounded by the RTCP_MAX_* constants; what does not fit is
 *    counted (packet count fields, total, block_count) and skipped;
 *  - a malformed packet stops the walk with PROTO_INVALID; packets before
 *    it stay valid (out->count), so a monitor can still use a good SR
 *    followed by a broken vendor extension.  Status is per datagram, not
 *    per packet: no partial packet is ever counted.
 */
#include <string.h>

#include "proto.h"

static inline uint16_t be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Contract in proto.h. */
bool rtcp_probe(const uint8_t *data, size_t len)
{
    if (len < 4 || (len & 3) != 0) return false;
    size_t off = 0;
    while (off < len) {
        if (len - off < 4) return false;
        const uint8_t *h = data + off;
        if ((h[0] >> 6) != 2 || h[1] < 192 || h[1] > 223) return false;
        size_t plen = ((size_t)((h[2] << 8) | h[3]) + 1) * 4;
        if (plen > len - off) return false;
        off += plen;
    }
    return true;
}

/* ----------------------------- packet bodies ----------------------------- */

/* Each parser gets the body after the 4-byte common header, padding
 * already removed, and returns false when the body contradicts the count
 * field or the block lengths. */

static void parse_report_block(const uint8_t *b, rtcp_report_block_t *rb)
{
    rb->ssrc = be32(b);
    rb->fraction_lost = b[4];
    uint32_t cum = be32(b + 4) & 0xffffff;
    rb->cumulative_lost = (int32_t)(cum ^ 0x800000) - 0x800000; /* sign-extend 24 bits */
    rb->ext_highest_seq = be32(b + 8);
    rb->jitter = be32(b + 12);
    rb->lsr = be32(b + 16);
    rb->dlsr = be32(b + 20);
}

static bool parse_sr_rr(const uint8_t *b, size_t blen, rtcp_packet_t *pk)
{
    size_t fixed = pk->pt == RTCP_PT_SR ? 24 : 4;
    size_t need = fixed + (size_t)pk->count * 24;
    if (blen < need) return false;
    pk->ssrc = be32(b);
    if (pk->pt == RTCP_PT_SR) {
        pk->u.rr.sender.ntp_msw = be32(b + 4);
        pk->u.rr.sender.ntp_lsw = be32(b + 8);
        pk->u.rr.sender.rtp_ts = be32(b + 12);
        pk->u.rr.sender.packet_count = be32(b + 16);
        pk->u.rr.sender.octet_count = be32(b + 20);
    }
    uint8_t n = pk->count < RTCP_MAX_REPORTS ? pk->count : RTCP_MAX_REPORTS;
    for (uint8_t i = 0; i < n; i++)
        parse_report_block(b + fixed + (size_t)i * 24, &pk->u.rr.blocks[i]);
    pk->u.rr.stored = n;
    pk->u.rr.ext_len = blen - need; /* profile-specific extensions */
    return true;
}

/* SDES (RFC 3550 6.5): SC chunks of SSRC + items, each chunk ended by a
 * null item and padded to a 32-bit boundary.  The last chunk may end with
 * the body instead of a null item (seen from some stacks). */
static bool parse_sdes(const uint8_t *b, size_t blen, rtcp_packet_t *pk)
{
    size_t off = 0;
    for (unsigned c = 0; c < pk->count; c++) {
        if (blen - off < 4) return false;
        uint32_t ssrc = be32(b + off);
        off += 4;
        sv_t cname = SV_NULL;
        while (off < blen && b[off] != 0) {
            if (blen - off < 2) return false;
            uint8_t type = b[off], ilen = b[off + 1];
            if (ilen > blen - off - 2) return false;
            if (type == 1 && cname.p == NULL) cname = sv_make(b + off + 2, ilen);
            off += 2 + (size_t)ilen;
        }
        if (off >= blen) {
            if (c + 1 != pk->count) return false; /* later chunks are missing */
        } else {
            off = (off + 4) & ~(size_t)3; /* null item, then pad to a word */
            if (off > blen) off = blen;
        }
        if (c == 0) pk->ssrc = ssrc;
        if (c < RTCP_MAX_SDES) {
            pk->u.sdes.chunks[c].ssrc = ssrc;
            pk->u.sdes.chunks[c].cname = cname;
            pk->u.sdes.stored = (uint8_t)(c + 1);
        }
    }
    return true;
}

/* BYE (RFC 3550 6.6): SC SSRCs, then an optional length-prefixed reason. */
static bool parse_bye(const uint8_t *b, size_t blen, rtcp_packet_t *pk)
{
    size_t need = (size_t)pk->count * 4;
    if (blen < need) return false;
    for (unsigned i = 0; i < pk->count && i < RTCP_MAX_BYE; i++) {
        pk->u.bye.ssrcs[i] = be32(b + (size_t)i * 4);
        pk->u.bye.stored = (uint8_t)(i + 1);
    }
    if (pk->count) pk->ssrc = pk->u.bye.ssrcs[0];
    if (blen > need) {
        uint8_t rlen = b[need];
        if (rlen > blen - need - 1) return false;
        if (rlen) pk->u.bye.reason = sv_make(b + need + 1, rlen);
    }
    return true;
}

static bool parse_app(const uint8_t *b, size_t blen, rtcp_packet_t *pk)
{
    if (blen < 8) return false;
    pk->ssrc = be32(b);
    pk->u.app.name = sv_make(b + 4, 4);
    pk->u.app.data = b + 8;
    pk->u.app.data_len = blen - 8;
    return true;
}

/* RFC 4585 6.1: sender SSRC, media SSRC, feedback control information. */
static bool parse_fb(const uint8_t *b, size_t blen, rtcp_packet_t *pk)
{
    if (blen < 8) return false;
    pk->ssrc = be32(b);
    pk->u.fb.media_ssrc = be32(b + 4);
    pk->u.fb.fci = b + 8;
    pk->u.fb.fci_len = blen - 8;
    return true;
}

/* RFC 3611 4.7, fixed size 32 bytes after the block header. */
static void parse_xr_voip(const uint8_t *d, rtcp_xr_voip_t *v)
{
    v->ssrc = be32(d);
    v->loss_rate = d[4];
    v->discard_rate = d[5];
    v->burst_density = d[6];
    v->gap_density = d[7];
    v->burst_duration = be16(d + 8);
    v->gap_duration = be16(d + 10);
    v->round_trip_delay = be16(d + 12);
    v->end_system_delay = be16(d + 14);
    v->signal_level = (int8_t)d[16];
    v->noise_level = (int8_t)d[17];
    v->rerl = d[18];
    v->gmin = d[19];
    v->r_factor = d[20];
    v->ext_r_factor = d[21];
    v->mos_lq = d[22];
    v->mos_cq = d[23];
    v->rx_config = d[24];
    v->plc = d[24] >> 6;
    v->jba = (d[24] >> 4) & 3;
    v->jb_rate = d[24] & 15;
    /* d[25] reserved */
    v->jb_nominal = be16(d + 26);
    v->jb_max = be16(d + 28);
    v->jb_abs_max = be16(d + 30);
}

/* RFC 3611 4.6, fixed size 36 bytes after the block header. */
static void parse_xr_stats(uint8_t ts, const uint8_t *d, rtcp_xr_stats_t *s)
{
    s->loss_flag = (ts & 0x80) != 0;
    s->dup_flag = (ts & 0x40) != 0;
    s->jitter_flag = (ts & 0x20) != 0;
    s->ttl_or_hl = (ts >> 3) & 3;
    s->ssrc = be32(d);
    s->begin_seq = be16(d + 4);
    s->end_seq = be16(d + 6);
    if (s->loss_flag) s->lost_packets = be32(d + 8);
    if (s->dup_flag) s->dup_packets = be32(d + 12);
    if (s->jitter_flag) {
        s->min_jitter = be32(d + 16);
        s->max_jitter = be32(d + 20);
        s->mean_jitter = be32(d + 24);
        s->dev_jitter = be32(d + 28);
    }
    if (s->ttl_or_hl) {
        s->min_ttl = d[32];
        s->max_ttl = d[33];
        s->mean_ttl = d[34];
        s->dev_ttl = d[35];
    }
}

/* One XR block's contents; false when too short for its type. */
static bool parse_xr_block(rtcp_xr_block_t *xb)
{
    const uint8_t *d = xb->data;
    size_t n = xb->data_len;
    switch (xb->bt) {
    case RTCP_XR_RRT:
        if (n < 8) return false;
        xb->u.rrt.ntp_msw = be32(d);
        xb->u.rrt.ntp_lsw = be32(d + 4);
        return true;
    case RTCP_XR_DLRR: {
        if (n % 12 != 0) return false;
        size_t items = n / 12; /* <= 65535 * 4 / 12 */
        xb->u.dlrr.count = items > 255 ? 255 : (uint8_t)items;
        for (size_t i = 0; i < items && i < RTCP_MAX_DLRR; i++) {
            xb->u.dlrr.items[i].ssrc = be32(d + i * 12);
            xb->u.dlrr.items[i].lrr = be32(d + i * 12 + 4);
            xb->u.dlrr.items[i].dlrr = be32(d + i * 12 + 8);
            xb->u.dlrr.stored = (uint8_t)(i + 1);
        }
        return true;
    }
    case RTCP_XR_STATS:
        if (n < 36) return false;
        parse_xr_stats(xb->type_specific, d, &xb->u.stats);
        return true;
    case RTCP_XR_VOIP:
        if (n < 32) return false;
        parse_xr_voip(d, &xb->u.voip);
        return true;
    default:
        return true; /* described by data/data_len only */
    }
}

/* XR (RFC 3611 2): sender SSRC, then blocks of BT, type-specific, length
 * (words after the block header).  The blocks must tile the body. */
static bool parse_xr(const uint8_t *b, size_t blen, rtcp_packet_t *pk)
{
    if (blen < 4) return false;
    pk->ssrc = be32(b);
    size_t off = 4;
    unsigned nblocks = 0;
    rtcp_xr_block_t scratch;
    while (off < blen) {
        if (blen - off < 4) return false;
        size_t dlen = (size_t)be16(b + off + 2) * 4;
        if (dlen > blen - off - 4) return false;
        rtcp_xr_block_t *xb = nblocks < RTCP_MAX_XR_BLOCKS ? &pk->u.xr.blocks[nblocks] : &scratch;
        memset(xb, 0, sizeof *xb);
        xb->bt = b[off];
        xb->type_specific = b[off + 1];
        xb->length_words = be16(b + off + 2);
        xb->data = b + off + 4;
        xb->data_len = dlen;
        if (!parse_xr_block(xb)) return false;
        if (nblocks < 255) nblocks++;
        off += 4 + dlen;
    }
    pk->u.xr.block_count = (uint8_t)nblocks;
    pk->u.xr.stored = nblocks < RTCP_MAX_XR_BLOCKS ? (uint8_t)nblocks : RTCP_MAX_XR_BLOCKS;
    return true;
}

/* Decodes the packet of plen bytes at p (plen fits the datagram and is
 * the header's length).  False when it is malformed. */
static bool parse_packet(const uint8_t *p, size_t plen, rtcp_packet_t *pk)
{
    memset(pk, 0, sizeof *pk);
    if ((p[0] >> 6) != 2 || p[1] < 192 || p[1] > 223) return false;
    pk->pt = p[1];
    pk->count = p[0] & 0x1f;
    pk->padding = (p[0] & 0x20) != 0;
    pk->length = plen;
    size_t blen = plen - 4;
    if (pk->padding) {
        uint8_t pad = p[plen - 1];
        if (pad == 0 || pad > blen) return false;
        pk->pad_len = pad;
        blen -= pad;
    }
    const uint8_t *b = p + 4;
    switch (pk->pt) {
    case RTCP_PT_SR:
    case RTCP_PT_RR:
        return parse_sr_rr(b, blen, pk);
    case RTCP_PT_SDES:
        return parse_sdes(b, blen, pk);
    case RTCP_PT_BYE:
        return parse_bye(b, blen, pk);
    case RTCP_PT_APP:
        return parse_app(b, blen, pk);
    case RTCP_PT_RTPFB:
    case RTCP_PT_PSFB:
        return parse_fb(b, blen, pk);
    case RTCP_PT_XR:
        return parse_xr(b, blen, pk);
    default:
        if (blen >= 4) pk->ssrc = be32(b);
        return true;
    }
}

/* Contract in proto.h. */
proto_status_t rtcp_parse_compound(const uint8_t *data, size_t len, rtcp_compound_t *out)
{
    out->count = 0;
    out->total = 0;
    out->error_offset = 0;
    if (len == 0) return PROTO_INVALID;
    rtcp_packet_t scratch; /* validates packets beyond RTCP_MAX_PACKETS */
    size_t off = 0;
    while (off < len) {
        out->error_offset = off;
        if (len - off < 4) return PROTO_INVALID; /* trailing bytes */
        const uint8_t *p = data + off;
        size_t plen = ((size_t)be16(p + 2) + 1) * 4;
        if (plen > len - off) return PROTO_INVALID;
        rtcp_packet_t *pk = out->count < RTCP_MAX_PACKETS ? &out->pkt[out->count] : &scratch;
        if (!parse_packet(p, plen, pk)) return PROTO_INVALID;
        pk->offset = off;
        if (out->count < RTCP_MAX_PACKETS) out->count++;
        if (out->total < UINT16_MAX) out->total++;
        off += plen;
    }
    out->error_offset = 0;
    return PROTO_OK;
}

/* Contract in proto.h. */
uint32_t rtcp_ntp_middle32(uint32_t msw, uint32_t lsw)
{
    return (msw << 16) | (lsw >> 16);
}

/* Contract in proto.h.  A - LSR is the time since the SR was sent, modulo
 * 2^32 (about 18 hours); if it is "negative" (>= 2^31) or smaller than the
 * receiver's hold time DLSR, the clocks or values are inconsistent. */
double rtcp_rtt_ms(uint32_t arrival_mid32, uint32_t lsr, uint32_t dlsr)
{
    if (lsr == 0) return -1.0;
    uint32_t since_sr = arrival_mid32 - lsr;
    if (since_sr >= 0x80000000u || since_sr < dlsr) return -1.0;
    return (double)(since_sr - dlsr) * 1000.0 / 65536.0;
}
