/* decode_l4.c - the transport layer: UDP (RFC 768) datagrams to the
 * callback, TCP (RFC 9293) segments to tcp_stream.c, SCTP (RFC 9260)
 * packets to sctp.c, IP-in-IP (protocol 4, RFC 2003; protocol 41, RFC 4213/2473) and
 * GRE (47) to the tunnel decoders.
 *
 * Design: the UDP path is the hot one (RTP): a length check, two port reads,
 * and the datagram goes to the callback pointing into the frame - no copy,
 * no allocation.  UDP to port 4789 with a valid VXLAN header is
 * decapsulated instead (RFC 7348).  The UDP Length field trims trailing
 * bytes; a Length larger than what is there means a truncated capture.
 * Checksums are not verified (offload, see decode_ip.c).
 */
#include "capture_internal.h"

enum {
    IPPROTO_IPIP_ = 4,
    IPPROTO_TCP_ = 6,
    IPPROTO_UDP_ = 17,
    IPPROTO_IPV6_ = 41,
    IPPROTO_GRE_ = 47,
    IPPROTO_SCTP_ = 132,
};

static void decode_udp(cap_decoder_t *d, cap__pkt_t *pk, const ip_addr_t *src, const ip_addr_t *dst,
                       cap__cur_t c)
{
    uint16_t sport, dport, ulen;
    if (!cap__be16(&c, 0, &sport) || !cap__be16(&c, 2, &dport) || !cap__be16(&c, 4, &ulen) ||
        !cap__has(&c, 0, 8)) {
        d->st.truncated++;
        return;
    }
    d->st.udp++;
    if (ulen < 8) {
        d->st.invalid++;
        return;
    }
    if (!cap__limit(&c, ulen)) {
        d->st.truncated++;
        return;
    }
    cap__skip(&c, 8);
    if (dport == CAP__VXLAN_PORT && cap__decode_vxlan(d, pk, c)) return;
    cap__emit(d, pk, src, sport, dst, dport, TRANSPORT_UDP, c.p, c.len);
}

/* Enters one more level of encapsulation; false (counted) when too deep. */
static bool enter_tunnel(cap_decoder_t *d, cap__pkt_t *pk)
{
    if (++pk->depth > CAP__MAX_DEPTH) {
        d->st.invalid++;
        return false;
    }
    return true;
}

void cap__decode_l4(cap_decoder_t *d, cap__pkt_t *pk, uint8_t proto, const ip_addr_t *src,
                    const ip_addr_t *dst, cap__cur_t c)
{
    switch (proto) {
    case IPPROTO_UDP_:
        decode_udp(d, pk, src, dst, c);
        return;
    case IPPROTO_TCP_:
        if (!cap__has(&c, 0, 20)) {
            d->st.truncated++;
            return;
        }
        d->st.tcp++;
        cap__tcp_segment(d, pk, src, dst, c);
        return;
    case IPPROTO_SCTP_:
        cap__decode_sctp(d, pk, src, dst, c);
        return;
    case IPPROTO_IPIP_:
        if (!enter_tunnel(d, pk)) return;
        d->st.tunnels++;
        cap__decode_ipv4(d, pk, c);
        return;
    case IPPROTO_IPV6_:
        if (!enter_tunnel(d, pk)) return;
        d->st.tunnels++;
        cap__decode_ipv6(d, pk, c);
        return;
    case IPPROTO_GRE_:
        if (!enter_tunnel(d, pk)) return;
        cap__decode_gre(d, pk, c);
        return;
    default:
        d->st.other_l4++;
    }
}
