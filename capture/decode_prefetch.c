/* decode_prefetch.c - the decoder's look-ahead: a frame that will be decoded
 * a few frames from now is glanced at today, so that the memory its decode
 * will need is already on its way to the cache when its turn comes.
 *
 * Why: on RTP-heavy traffic with thousands of streams, the work per packet
 * is small and most of its time is spent waiting for memory that no other
 * recent packet touched: the duplicate table's set (dedup.c), the
 * correlator's stream index slot and stream entry.  Those loads are
 * independent from one packet to the next, so issuing them a few packets
 * early lets them overlap with useful work instead of following one
 * another (the technique of packet-processing frameworks that decode in
 * batches with a prefetch stage).
 *
 * Design:
 *  - Only the plain case is glanced at: Ethernet (with up to two VLAN
 *    tags) or raw IP, an IPv4 packet that is not a fragment or an IPv6
 *    packet whose next header is UDP, carrying UDP.  Anything else returns
 *    false and simply is not prefetched; nothing here changes what the
 *    decode will do or count.
 *  - What the glance finds is kept in the frame's cap__ahead_t, a small
 *    direct-mapped array indexed by frame number, with the frame's
 *    address and length: the duplicate-check hash of the IP packet (the
 *    same function and inputs as the decode's: dedup.c), whose table set
 *    is prefetched, and for a plain UDP frame the datagram.  The decode
 *    uses them only when frame number, address and length all match (the
 *    frame's bytes are the same bytes): then dedup.c takes the hash, and
 *    cap_decode_frame emits the datagram with the counters the layered
 *    walk would have moved (frames, bytes, ipv4/ipv6, udp, datagrams_out)
 *    instead of walking the layers again.  Otherwise the frame is decoded
 *    from scratch: the entry is a cache, never a source of truth, and
 *    tests/unit/test_lookahead.c and fuzz_decode check that both ways give
 *    the same datagrams and counters.
 *  - The UDP datagram the frame will give is returned, so the caller can
 *    hand it to the next stage's own prefetch (corr_prefetch).
 *  - Bounds: every read is checked against the captured length, as in the
 *    decode itself; a short or odd frame returns false.
 */
#include "capture_internal.h"

static inline uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

bool cap_decoder_prefetch(cap_decoder_t *d, const cap_frame_t *frame, datagram_t *out)
{
    const uint8_t *p = frame->data;
    size_t len = frame->caplen;
    if (!p) return false;
    if (frame->linktype == 1) { /* Ethernet */
        if (len < 14) return false;
        uint16_t type = be16(p + 12);
        size_t off = 14;
        for (int tags = 0; tags < 2 && (type == 0x8100 || type == 0x88A8); tags++) {
            if (len < off + 4) return false;
            type = be16(p + off + 2);
            off += 4;
        }
        if (type != 0x0800 && type != 0x86DD) return false;
        p += off;
        len -= off;
    } else if (frame->linktype != 101 && frame->linktype != 12 && frame->linktype != 14) {
        return false;
    }
    if (len < 20) return false;
    size_t hl, total;
    uint8_t proto;
    /* up to its frame (left unset: the decode names the frame it is
     * handed): 88 bytes are zeroed in a few stores, 96 take a string op */
    memset(out, 0, offsetof(datagram_t, frame));
    if (p[0] >> 4 == 4) {
        hl = (size_t)(p[0] & 0x0f) * 4;
        total = be16(p + 2);
        if (total == 0) total = len > 0xFFFF ? 0xFFFF : len; /* offload, as decode_ip.c */
        if (hl < 20 || total < hl || total > len) return false;
        if ((be16(p + 6) & 0x3fff) != 0) return false; /* a fragment */
        proto = p[9];
        out->src.ip.family = out->dst.ip.family = IP_V4;
        memcpy(out->src.ip.bytes, p + 12, 4);
        memcpy(out->dst.ip.bytes, p + 16, 4);
    } else if (p[0] >> 4 == 6) {
        if (len < 40) return false;
        hl = 40;
        size_t plen = be16(p + 4);
        total = plen ? 40 + plen : len;
        if (total > len) return false;
        proto = p[6];
        out->src.ip.family = out->dst.ip.family = IP_V6;
        memcpy(out->src.ip.bytes, p + 8, 16);
        memcpy(out->dst.ip.bytes, p + 24, 16);
    } else {
        return false;
    }
    cap__ahead_t *a = &d->ahead[frame->frame_no % CAP__AHEAD];
    a->frame_no = frame->frame_no;
    a->frame_data = frame->data;
    a->caplen = frame->caplen;
    a->ip = p;
    a->ip_len = total;
    a->hashed = d->dedup != NULL;
    a->hash = cap__dedup_prepare(d, p, total);
    a->plain = false;
    a->v6 = p[0] >> 4 == 6;
    if (proto != 17 || total < hl + 8) return false;
    const uint8_t *u = p + hl;
    size_t ulen = be16(u + 4);
    if (ulen < 8 || ulen > total - hl) return false;
    out->ts_ns = cap__ts_clamp(frame->ts_ns); /* as cap_decode_frame will */
    out->src.port = be16(u);
    out->dst.port = be16(u + 2);
    out->transport = TRANSPORT_UDP;
    out->data = u + 8;
    out->len = ulen - 8;
    out->frame_no = frame->frame_no;
    /* the decode takes this datagram as it is, but for VXLAN (decoded
     * further by decode_tunnel.c) */
    a->plain = out->dst.port != CAP__VXLAN_PORT;
    a->dg = *out;
    return true;
}
