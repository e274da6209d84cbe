/* dtmf.c - DTMF in RTP and in SIP: RFC 4733 telephone-event payloads and
 * SIP INFO bodies (application/dtmf-relay and application/dtmf).
 *
 * RFC 4733 section 2.3 event block (4 bytes, network order):
 *     event (8) | E (1) R (1) volume (6) | duration (16)
 * Events 0..15 are the DTMF digits 0-9 * # A-D (section 3.2), 16 is flash.
 *
 * SIP INFO bodies have no RFC; the de-facto formats are Cisco's
 * application/dtmf-relay ("Signal=5\r\nDuration=160\r\n", Duration in ms)
 * and application/dtmf (the body is the digit).  Signal is a digit, * # A-D
 * (either case), '!' for flash, or the event number 10..16 as Asterisk
 * accepts.  Lines may end with CRLF or LF and keys match case-insensitively.
 *
 * Design: fixed-size reads after one length check for the binary form; a
 * single bounded pass over lines for the text form; no allocation.
 */
#include "proto.h"

static const char event_chars[17] = "0123456789*#ABCD!";

/* Contract in proto.h. */
char rtp_event_char(uint8_t event)
{
    return event <= RTP_EVENT_FLASH ? event_chars[event] : 0;
}

/* Contract in proto.h. */
proto_status_t rtp_event_parse(const uint8_t *payload, size_t len, rtp_event_t *out)
{
    if (len < 4) return PROTO_INVALID;
    out->event = payload[0];
    out->digit = rtp_event_char(payload[0]);
    out->end = (payload[1] & 0x80) != 0;
    out->reserved = (payload[1] & 0x40) != 0;
    out->volume = payload[1] & 0x3f;
    out->duration = (uint16_t)((payload[2] << 8) | payload[3]);
    return PROTO_OK;
}

/* A Signal value: one character, or the event number 0..16. */
static bool parse_signal(sv_t v, uint8_t *event)
{
    v = sv_trim(v);
    if (v.len == 1) {
        char c = v.p[0];
        if (c >= 'a' && c <= 'd') c = (char)(c - 32);
        for (uint8_t e = 0; e <= RTP_EVENT_FLASH; e++) {
            if (event_chars[e] == c) {
                *event = e;
                return true;
            }
        }
        return false;
    }
    uint64_t n;
    if (!sv_to_u64(v, RTP_EVENT_FLASH, &n)) return false;
    *event = (uint8_t)n;
    return true;
}

/* Contract in proto.h. */
proto_status_t dtmf_relay_parse(sv_t body, dtmf_info_t *out)
{
    *out = (dtmf_info_t){0};
    sv_t trimmed = sv_trim(body);
    if (sv_index_of(trimmed, '=') < 0) { /* application/dtmf: the digit alone */
        if (!parse_signal(trimmed, &out->event)) return PROTO_INVALID;
        out->digit = event_chars[out->event];
        return PROTO_OK;
    }
    bool have_signal = false;
    size_t pos = 0;
    while (pos < body.len) {
        const char *p = body.p + pos;
        long nl = sv_index_of(sv_make(p, body.len - pos), '\n');
        size_t llen = nl < 0 ? body.len - pos : (size_t)nl;
        pos += llen + (nl < 0 ? 0 : 1);
        sv_t line = sv_make(p, llen);
        long eq = sv_index_of(line, '=');
        if (eq < 0) continue;
        sv_t key = sv_trim(sv_make(line.p, (size_t)eq));
        sv_t val = sv_make(line.p + eq + 1, line.len - (size_t)eq - 1);
        if (sv_ieq_cstr(key, "Signal") && !have_signal) {
            if (!parse_signal(val, &out->event)) return PROTO_INVALID;
            out->digit = event_chars[out->event];
            have_signal = true;
        } else if (sv_ieq_cstr(key, "Duration") && !out->has_duration) {
            uint64_t d;
            if (sv_to_u64(val, UINT32_MAX, &d)) {
                out->duration = (uint32_t)d;
                out->has_duration = true;
            }
        }
    }
    return have_signal ? PROTO_OK : PROTO_INVALID;
}
