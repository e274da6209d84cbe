/* decode_ip.c - the network layer: IPv4 (RFC 791) with options and IPv6
 * (RFC 8200) with extension headers, handing the payload to decode_l4.c.
 *
 * Design:
 *  - IPv4: the header length (IHL) covers the options, which are skipped
 *    unread; Total Length trims link-layer padding.  A total length of 0 is
 *    taken as "segmentation offload on the capturing host" and the captured
 *    length is used instead (as Wireshark does).  Checksums are not verified:
 *    captures taken on the sending host routinely carry offloaded, unfilled
 *    checksums.
 *  - IPv6: hop-by-hop (0), routing (43), destination options (60), fragment
 *    (44) and AH (51, RFC 4302: length in 4-byte units minus 2) are walked,
 *    at most CAP__IPV6_MAX_EXT of them; 59 (no next header) ends the packet.
 *    An atomic fragment (offset 0, M clear; RFC 6946) is decoded in place.
 *  - Before anything is counted or reassembled, a packet already seen within
 *    the duplicate window (dedup.c) is dropped; fragments are checked one
 *    by one, so a duplicated fragment never reaches ip_frag.c.
 *  - Fragments of either family go to ip_frag.c; a completed datagram is
 *    decoded from the reassembly buffer and the buffer released afterwards.
 */
#include "capture_internal.h"

#define CAP__IPV6_MAX_EXT 16

static inline void addr_v4(ip_addr_t *a, const uint8_t *p)
{
    memset(a, 0, sizeof *a);
    a->family = IP_V4;
    memcpy(a->bytes, p, 4);
}

static inline void addr_v6(ip_addr_t *a, const uint8_t *p)
{
    a->family = IP_V6;
    memcpy(a->bytes, p, 16);
}

void cap__decode_ip(cap_decoder_t *d, cap__pkt_t *pk, cap__cur_t c)
{
    uint8_t b0;
    if (!cap__u8(&c, 0, &b0)) {
        d->st.truncated++;
        return;
    }
    if ((b0 >> 4) == 4)
        cap__decode_ipv4(d, pk, c);
    else if ((b0 >> 4) == 6)
        cap__decode_ipv6(d, pk, c);
    else
        d->st.invalid++;
}

void cap__decode_ipv4(cap_decoder_t *d, cap__pkt_t *pk, cap__cur_t c)
{
    uint8_t vihl, proto;
    uint16_t total, id, frag;
    if (!cap__u8(&c, 0, &vihl) || !cap__has(&c, 0, 20)) {
        d->st.truncated++;
        return;
    }
    size_t hl = (size_t)(vihl & 0x0f) * 4;
    if ((vihl >> 4) != 4 || hl < 20) {
        d->st.invalid++;
        return;
    }
    cap__be16(&c, 2, &total);
    cap__be16(&c, 4, &id);
    cap__be16(&c, 6, &frag);
    cap__u8(&c, 9, &proto);
    if (total == 0) total = c.len > 0xFFFF ? 0xFFFF : (uint16_t)c.len; /* offload */
    if (total < hl) {
        d->st.invalid++;
        return;
    }
    if (!cap__limit(&c, total) || !cap__has(&c, 0, hl)) {
        d->st.truncated++;
        return;
    }
    if (cap__dedup_seen(d, pk, c.p, c.len)) return;
    d->st.ipv4++;
    ip_addr_t src, dst;
    addr_v4(&src, c.p + 12);
    addr_v4(&dst, c.p + 16);
    cap__skip(&c, hl);

    uint32_t off = (uint32_t)(frag & 0x1fff) * 8;
    bool more = (frag & 0x2000) != 0;
    if (off == 0 && !more) {
        cap__decode_l4(d, pk, proto, &src, &dst, c);
        return;
    }
    cap__frag_key_t key;
    memset(&key, 0, sizeof key);
    key.family = IP_V4;
    key.proto = proto;
    key.id = id;
    memcpy(key.src, src.bytes, 4);
    memcpy(key.dst, dst.bytes, 4);
    cap__cur_t whole;
    uint8_t whole_proto;
    if (cap__frag_add(d, &key, off, !more, proto, c.p, c.len, pk->frame->ts_ns, &whole,
                      &whole_proto)) {
        cap__decode_l4(d, pk, whole_proto, &src, &dst, whole);
        cap__frag_release(d);
    }
}

/* Walks IPv6 extension headers starting with next header nh at c, then
 * decodes the upper layer.  reassembled: c is already a reassembled payload
 * (a second fragment header inside it is invalid). */
static void ipv6_payload(cap_decoder_t *d, cap__pkt_t *pk, uint8_t nh, const ip_addr_t *src,
                         const ip_addr_t *dst, cap__cur_t c, bool reassembled)
{
    for (int n = 0; n < CAP__IPV6_MAX_EXT; n++) {
        uint8_t next, hlen;
        switch (nh) {
        case 0:  /* hop-by-hop options */
        case 43: /* routing */
        case 60: /* destination options */
            if (!cap__u8(&c, 0, &next) || !cap__u8(&c, 1, &hlen) ||
                !cap__skip(&c, ((size_t)hlen + 1) * 8)) {
                d->st.truncated++;
                return;
            }
            nh = next;
            continue;
        case 51: /* AH: payload length in 32-bit words, minus 2 */
            if (!cap__u8(&c, 0, &next) || !cap__u8(&c, 1, &hlen) ||
                !cap__skip(&c, ((size_t)hlen + 2) * 4)) {
                d->st.truncated++;
                return;
            }
            nh = next;
            continue;
        case 44: { /* fragment */
            uint16_t offlg;
            uint32_t id;
            if (!cap__u8(&c, 0, &next) || !cap__be16(&c, 2, &offlg) || !cap__be32(&c, 4, &id)) {
                d->st.truncated++;
                return;
            }
            cap__skip(&c, 8);
            uint32_t off = offlg & 0xfff8;
            bool more = (offlg & 1) != 0;
            if (off == 0 && !more) { /* atomic fragment */
                nh = next;
                continue;
            }
            if (reassembled) {
                d->st.invalid++;
                return;
            }
            cap__frag_key_t key;
            memset(&key, 0, sizeof key);
            key.family = IP_V6;
            key.id = id;
            memcpy(key.src, src->bytes, 16);
            memcpy(key.dst, dst->bytes, 16);
            cap__cur_t whole;
            uint8_t whole_nh;
            if (cap__frag_add(d, &key, off, !more, next, c.p, c.len, pk->frame->ts_ns, &whole,
                              &whole_nh)) {
                ipv6_payload(d, pk, whole_nh, src, dst, whole, true);
                cap__frag_release(d);
            }
            return;
        }
        case 59: /* no next header */
            d->st.other_l4++;
            return;
        default:
            cap__decode_l4(d, pk, nh, src, dst, c);
            return;
        }
    }
    d->st.invalid++; /* absurdly long extension chain */
}

void cap__decode_ipv6(cap_decoder_t *d, cap__pkt_t *pk, cap__cur_t c)
{
    uint8_t b0, nh;
    uint16_t plen;
    if (!cap__u8(&c, 0, &b0) || !cap__has(&c, 0, 40)) {
        d->st.truncated++;
        return;
    }
    if ((b0 >> 4) != 6) {
        d->st.invalid++;
        return;
    }
    cap__be16(&c, 4, &plen);
    cap__u8(&c, 6, &nh);
    /* Payload length 0: a jumbogram (RFC 2675) or an offloaded capture; use
     * what was captured. */
    if (plen != 0 && !cap__limit(&c, 40 + (size_t)plen)) {
        d->st.truncated++;
        return;
    }
    if (cap__dedup_seen(d, pk, c.p, c.len)) return;
    d->st.ipv6++;
    ip_addr_t src, dst;
    addr_v6(&src, c.p + 8);
    addr_v6(&dst, c.p + 24);
    cap__skip(&c, 40);
    ipv6_payload(d, pk, nh, &src, &dst, c, false);
}
