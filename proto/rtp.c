/* rtp.c - RTP fixed header parser and the RFC 3551 static payload types.
 *
 * Implements the header of RFC 3550 section 5.1 (fixed header, CSRC list,
 * header extension of 5.3.1, padding) and the RTP/RTCP demultiplexing rule
 * of RFC 5761 section 4 (payload types 72..76 collide with RTCP 200..204).
 *
 * Design: this is on the per-packet hot path, so it is a handful of
 * compares and loads on a byte pointer, no loops, no allocation.  Every read
 * is preceded by a length check written so that it cannot underflow.
 */
#include "proto.h"

static inline uint16_t be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Contract in proto.h.  out is only written on PROTO_OK. */
proto_status_t rtp_parse_header(const uint8_t *data, size_t len, rtp_header_t *out)
{
    if (len < 12 || (data[0] >> 6) != 2) return PROTO_INVALID;
    uint8_t pt = data[1] & 0x7f;
    if (pt >= 72 && pt <= 76) return PROTO_INVALID;

    uint8_t cc = data[0] & 0x0f;
    size_t hlen = 12 + (size_t)cc * 4;
    if (hlen > len) return PROTO_INVALID;
    if (data[0] & 0x10) {
        if (len - hlen < 4) return PROTO_INVALID;
        size_t ext = 4 + (size_t)be16(data + hlen + 2) * 4;
        if (len - hlen < ext) return PROTO_INVALID;
        hlen += ext;
    }
    size_t pad = 0;
    if (data[0] & 0x20) {
        if (len == hlen) return PROTO_INVALID;
        pad = data[len - 1];
        if (pad == 0 || pad > len - hlen) return PROTO_INVALID;
    }

    out->version = 2;
    out->padding = (data[0] >> 5) & 1;
    out->extension = (data[0] >> 4) & 1;
    out->csrc_count = cc;
    out->marker = data[1] >> 7;
    out->payload_type = pt;
    out->seq = be16(data + 2);
    out->timestamp = be32(data + 4);
    out->ssrc = be32(data + 8);
    out->header_len = hlen;
    out->payload_len = len - hlen - pad;
    return PROTO_OK;
}

/* RFC 3551 tables 4 and 5.  G.722 uses an 8000 Hz RTP clock although it
 * samples at 16 kHz (RFC 3551 4.5.2, a historical error kept for
 * compatibility); all video types use 90000. */
static const struct {
    const char *name;
    uint32_t clock;
} static_pt[35] = {
    [0] = {"PCMU", 8000},   [3] = {"GSM", 8000},    [4] = {"G723", 8000},   [5] = {"DVI4", 8000},
    [6] = {"DVI4", 16000},  [7] = {"LPC", 8000},    [8] = {"PCMA", 8000},   [9] = {"G722", 8000},
    [10] = {"L16", 44100},  [11] = {"L16", 44100},  [12] = {"QCELP", 8000}, [13] = {"CN", 8000},
    [14] = {"MPA", 90000},  [15] = {"G728", 8000},  [16] = {"DVI4", 11025}, [17] = {"DVI4", 22050},
    [18] = {"G729", 8000},  [25] = {"CelB", 90000}, [26] = {"JPEG", 90000}, [28] = {"nv", 90000},
    [31] = {"H261", 90000}, [32] = {"MPV", 90000},  [33] = {"MP2T", 90000}, [34] = {"H263", 90000},
};

/* Contract in proto.h. */
bool rtp_static_codec(uint8_t pt, const char **name, uint32_t *clock_rate)
{
    if (pt >= sizeof static_pt / sizeof static_pt[0] || !static_pt[pt].name) return false;
    *name = static_pt[pt].name;
    *clock_rate = static_pt[pt].clock;
    return true;
}
