/* rtcp.c - RTCP compound packet detection (RFC 3550 section 6, RFC 5761).
 *
 * Today only the probe used to tell RTCP from RTP on a shared or adjacent
 * port; report decoding (SR/RR/XR, RFC 3611) is issue 3.
 *
 * Design: walk the compound packet header by header; every header must have
 * V=2 and a packet type in 192..223 (RFC 5761 4), and the lengths must add
 * up to the datagram exactly.  The loop advances at least 4 bytes per step,
 * so it is bounded by len / 4.
 */
#include "proto.h"

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
