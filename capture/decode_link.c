/* decode_link.c - link layers: from a DLT_* frame to the IP packet inside.
 *
 * Supported (numbers are libpcap's LINKTYPE/DLT values, see
 * https://www.tcpdump.org/linktypes.html):
 *  - Ethernet II (DLT_EN10MB 1), IEEE 802.3 frames with a length field are
 *    counted as non-IP;
 *  - 802.1Q VLAN tags (0x8100), 802.1ad service tags (0x88A8) and the old
 *    0x9100 QinQ tag, stacked to any depth (each tag costs 4 bytes, so the
 *    frame length bounds the loop);
 *  - MPLS label stacks (RFC 3032, Ethertype 0x8847/0x8848): after the
 *    bottom-of-stack label the payload kind is guessed from its first nibble
 *    (4: IPv4, 6: IPv6, 0: a pseudowire control word, RFC 4385, followed by
 *    an Ethernet frame, RFC 4448);
 *  - PPPoE session frames (RFC 2516, 0x8864) carrying PPP IPv4/IPv6;
 *  - Linux cooked capture v1 (DLT_LINUX_SLL 113, 16-byte header) and v2
 *    (DLT_LINUX_SLL2 276, 20-byte header);
 *  - raw IP (DLT_RAW 12/14/101, DLT_IPV4 228, DLT_IPV6 229): the version
 *    nibble decides;
 *  - BSD loopback (DLT_NULL 0, host byte order of the capturing machine, and
 *    DLT_LOOP 108, network byte order): the 4-byte address family is read in
 *    whichever byte order gives a small value, so both work.
 *
 * Everything non-IP (ARP, LLDP, STP...) is counted in non_ip.  Recursion
 * (MPLS pseudowires carry Ethernet) is bounded by CAP__MAX_DEPTH.
 */
#include "capture_internal.h"

enum {
    DLT_NULL_ = 0,
    DLT_EN10MB_ = 1,
    DLT_RAW_BSD_ = 12,
    DLT_RAW_OPENBSD_ = 14,
    DLT_RAW_ = 101,
    DLT_LOOP_ = 108,
    DLT_LINUX_SLL_ = 113,
    DLT_IPV4_ = 228,
    DLT_IPV6_ = 229,
    DLT_LINUX_SLL2_ = 276,
};

enum {
    ETH_IPV4 = 0x0800,
    ETH_IPV6 = 0x86DD,
    ETH_VLAN = 0x8100,
    ETH_QINQ = 0x88A8,
    ETH_QINQ_OLD = 0x9100,
    ETH_MPLS_UC = 0x8847,
    ETH_MPLS_MC = 0x8848,
    ETH_PPPOE_SESS = 0x8864,
};

void cap__decode_ether(cap_decoder_t *d, cap__pkt_t *pk, cap__cur_t c)
{
    uint16_t type;
    if (!cap__be16(&c, 12, &type)) {
        d->st.truncated++;
        return;
    }
    cap__skip(&c, 14);
    cap__decode_ethertype(d, pk, type, c);
}

/* An MPLS label stack; c starts at the first label. */
static void decode_mpls(cap_decoder_t *d, cap__pkt_t *pk, cap__cur_t c)
{
    for (;;) {
        uint8_t b2;
        if (!cap__u8(&c, 2, &b2) || !cap__skip(&c, 4)) {
            d->st.truncated++;
            return;
        }
        if (b2 & 0x01) break; /* bottom of stack */
    }
    uint8_t first;
    if (!cap__u8(&c, 0, &first)) {
        d->st.truncated++;
        return;
    }
    switch (first >> 4) {
    case 4:
        cap__decode_ipv4(d, pk, c);
        return;
    case 6:
        cap__decode_ipv6(d, pk, c);
        return;
    case 0: /* pseudowire control word, then Ethernet */
        if (!cap__skip(&c, 4)) {
            d->st.truncated++;
            return;
        }
        if (++pk->depth > CAP__MAX_DEPTH) {
            d->st.invalid++;
            return;
        }
        cap__decode_ether(d, pk, c);
        return;
    default:
        d->st.non_ip++;
    }
}

void cap__decode_ppp_proto(cap_decoder_t *d, cap__pkt_t *pk, uint16_t proto, cap__cur_t c)
{
    if (proto == 0x0021)
        cap__decode_ipv4(d, pk, c);
    else if (proto == 0x0057)
        cap__decode_ipv6(d, pk, c);
    else
        d->st.non_ip++;
}

void cap__decode_ethertype(cap_decoder_t *d, cap__pkt_t *pk, uint16_t type, cap__cur_t c)
{
    /* VLAN tags: TCI (2 bytes) then the next Ethertype. */
    while (type == ETH_VLAN || type == ETH_QINQ || type == ETH_QINQ_OLD) {
        if (!cap__be16(&c, 2, &type)) {
            d->st.truncated++;
            return;
        }
        cap__skip(&c, 4);
    }
    switch (type) {
    case ETH_IPV4:
        cap__decode_ipv4(d, pk, c);
        return;
    case ETH_IPV6:
        cap__decode_ipv6(d, pk, c);
        return;
    case ETH_MPLS_UC:
    case ETH_MPLS_MC:
        decode_mpls(d, pk, c);
        return;
    case ETH_PPPOE_SESS: {
        /* ver/type, code, session id, length, then the PPP protocol. */
        uint16_t plen, proto;
        if (!cap__be16(&c, 4, &plen) || !cap__be16(&c, 6, &proto)) {
            d->st.truncated++;
            return;
        }
        cap__skip(&c, 8);
        cap__decode_ppp_proto(d, pk, proto, c);
        return;
    }
    default:
        d->st.non_ip++;
    }
}

/* Address family of a BSD loopback header, either byte order. */
static void decode_null(cap_decoder_t *d, cap__pkt_t *pk, cap__cur_t c)
{
    uint32_t fam;
    if (!cap__le32(&c, 0, &fam)) {
        d->st.truncated++;
        return;
    }
    if (fam > 0xFFFF) fam = __builtin_bswap32(fam);
    cap__skip(&c, 4);
    switch (fam) {
    case 2: /* AF_INET everywhere */
        cap__decode_ipv4(d, pk, c);
        return;
    case 10: /* AF_INET6: Linux */
    case 24: /* NetBSD, OpenBSD, BSD/OS */
    case 28: /* FreeBSD, DragonFly */
    case 30: /* Darwin */
        cap__decode_ipv6(d, pk, c);
        return;
    default:
        d->st.non_ip++;
    }
}

void cap__decode_link(cap_decoder_t *d, cap__pkt_t *pk, int linktype, cap__cur_t c)
{
    uint16_t type;
    switch (linktype) {
    case DLT_EN10MB_:
        cap__decode_ether(d, pk, c);
        return;
    case DLT_LINUX_SLL_:
        /* packet type, ARPHRD type, address length, 8 address bytes, proto */
        if (!cap__be16(&c, 14, &type)) {
            d->st.truncated++;
            return;
        }
        cap__skip(&c, 16);
        cap__decode_ethertype(d, pk, type, c);
        return;
    case DLT_LINUX_SLL2_:
        /* proto, reserved, ifindex, ARPHRD type, packet type, addr len, addr */
        if (!cap__be16(&c, 0, &type) || !cap__has(&c, 0, 20)) {
            d->st.truncated++;
            return;
        }
        cap__skip(&c, 20);
        cap__decode_ethertype(d, pk, type, c);
        return;
    case DLT_RAW_BSD_:
    case DLT_RAW_OPENBSD_:
    case DLT_RAW_:
    case DLT_IPV4_:
    case DLT_IPV6_:
        cap__decode_ip(d, pk, c);
        return;
    case DLT_NULL_:
    case DLT_LOOP_:
        decode_null(d, pk, c);
        return;
    default:
        d->st.unsupported_link++;
    }
}
