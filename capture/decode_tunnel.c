/* decode_tunnel.c - GRE and VXLAN decapsulation (IP-in-IP needs no header
 * of its own and is handled in decode_l4.c).
 *
 * GRE (RFC 2784 with the key and sequence extensions of RFC 2890, version 1
 * "enhanced GRE" of PPTP, RFC 2637): a 4-byte base header (flags+version,
 * protocol type), then the optional fields in this order: checksum+reserved
 * (C bit, 4 bytes), key (K bit, 4), sequence number (S bit, 4), and for
 * version 1 the acknowledgement number (A bit, 4).  Source routing (R bit,
 * RFC 1701) is obsolete and counted invalid.  Payload protocols:
 *  - 0x0800 IPv4, 0x86DD IPv6;
 *  - 0x6558 transparent Ethernet bridging;
 *  - 0x880B PPP (address/control 0xFF 0x03 optional, protocol field 1 or 2
 *    bytes): 0x0021 IPv4, 0x0057 IPv6;
 *  - 0x88BE ERSPAN type II (8-byte header: version 1, VLAN, COS/En/T, session
 *    ID, index) when the GRE S bit is set, ERSPAN type I (no header, Ethernet
 *    right after GRE) when it is not;
 *  - 0x22EB ERSPAN type III (12-byte header: version 2 ... with the O bit,
 *    the lowest bit of byte 11, announcing an 8-byte platform-specific
 *    sub-header; the frame type FT, bits 10..14 of the last word, says
 *    Ethernet (0) or IP (2)).
 *
 * VXLAN (RFC 7348): UDP destination port 4789, an 8-byte header whose flags
 * byte has the I bit (0x08), then an Ethernet frame.
 *
 * Every decapsulation counts in tunnels; depth is bounded by the caller.
 */
#include "capture_internal.h"

enum {
    GRE_C = 0x8000,
    GRE_R = 0x4000,
    GRE_K = 0x2000,
    GRE_S = 0x1000,
    GRE_A = 0x0080, /* version 1 only */
};

enum {
    GRE_P_IPV4 = 0x0800,
    GRE_P_IPV6 = 0x86DD,
    GRE_P_TEB = 0x6558,
    GRE_P_PPP = 0x880B,
    GRE_P_ERSPAN2 = 0x88BE,
    GRE_P_ERSPAN3 = 0x22EB,
};

/* A PPP frame inside GRE (RFC 1661; HDLC-like framing per RFC 1662 is
 * optional and protocol-field compression may shorten the protocol to one
 * odd byte). */
static void decode_ppp(cap_decoder_t *d, cap__pkt_t *pk, cap__cur_t c)
{
    uint8_t b0, b1;
    if (!cap__u8(&c, 0, &b0) || !cap__u8(&c, 1, &b1)) {
        d->st.truncated++;
        return;
    }
    if (b0 == 0xFF && b1 == 0x03) {
        cap__skip(&c, 2);
        if (!cap__u8(&c, 0, &b0)) {
            d->st.truncated++;
            return;
        }
    }
    uint16_t proto;
    if (b0 & 0x01) { /* compressed one-byte protocol */
        proto = b0;
        cap__skip(&c, 1);
    } else {
        if (!cap__be16(&c, 0, &proto)) {
            d->st.truncated++;
            return;
        }
        cap__skip(&c, 2);
    }
    cap__decode_ppp_proto(d, pk, proto, c);
}

void cap__decode_gre(cap_decoder_t *d, cap__pkt_t *pk, cap__cur_t c)
{
    uint16_t flags, proto;
    if (!cap__be16(&c, 0, &flags) || !cap__be16(&c, 2, &proto)) {
        d->st.truncated++;
        return;
    }
    unsigned version = flags & 0x7;
    if (version > 1 || (flags & GRE_R) || (version == 1 && !(flags & GRE_K))) {
        d->st.invalid++;
        return;
    }
    size_t hl = 4;
    if (flags & GRE_C) hl += 4;
    if (flags & GRE_K) hl += 4;
    if (flags & GRE_S) hl += 4;
    if (version == 1 && (flags & GRE_A)) hl += 4;
    if (!cap__skip(&c, hl)) {
        d->st.truncated++;
        return;
    }
    switch (proto) {
    case GRE_P_IPV4:
        d->st.tunnels++;
        cap__decode_ipv4(d, pk, c);
        return;
    case GRE_P_IPV6:
        d->st.tunnels++;
        cap__decode_ipv6(d, pk, c);
        return;
    case GRE_P_TEB:
        d->st.tunnels++;
        cap__decode_ether(d, pk, c);
        return;
    case GRE_P_PPP:
        d->st.tunnels++;
        decode_ppp(d, pk, c);
        return;
    case GRE_P_ERSPAN2: {
        if (flags & GRE_S) { /* type II: 8-byte header, version 1 */
            uint8_t ver;
            if (!cap__u8(&c, 0, &ver) || !cap__skip(&c, 8)) {
                d->st.truncated++;
                return;
            }
            if ((ver >> 4) != 1) {
                d->st.invalid++;
                return;
            }
        } /* else type I: Ethernet follows GRE directly */
        d->st.tunnels++;
        cap__decode_ether(d, pk, c);
        return;
    }
    case GRE_P_ERSPAN3: {
        uint8_t ver, b10, b11;
        if (!cap__u8(&c, 0, &ver) || !cap__u8(&c, 10, &b10) || !cap__u8(&c, 11, &b11) ||
            !cap__skip(&c, 12)) {
            d->st.truncated++;
            return;
        }
        if ((ver >> 4) != 2) {
            d->st.invalid++;
            return;
        }
        if ((b11 & 0x01) && !cap__skip(&c, 8)) { /* platform-specific sub-header */
            d->st.truncated++;
            return;
        }
        unsigned ft = (b10 >> 2) & 0x1f;
        d->st.tunnels++;
        if (ft == 0)
            cap__decode_ether(d, pk, c);
        else if (ft == 2)
            cap__decode_ip(d, pk, c);
        else
            d->st.non_ip++;
        return;
    }
    default:
        d->st.non_ip++;
    }
}

bool cap__decode_vxlan(cap_decoder_t *d, cap__pkt_t *pk, cap__cur_t c)
{
    uint8_t flags;
    /* An 8-byte header with the I flag and room for an Ethernet header;
     * anything else on port 4789 is left to be an ordinary datagram. */
    if (!cap__u8(&c, 0, &flags) || !(flags & 0x08) || !cap__has(&c, 0, 8 + 14)) return false;
    if (++pk->depth > CAP__MAX_DEPTH) {
        d->st.invalid++;
        return true;
    }
    cap__skip(&c, 8);
    d->st.tunnels++;
    cap__decode_ether(d, pk, c);
    return true;
}
