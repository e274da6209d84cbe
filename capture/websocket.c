/* websocket.c - SIP over WebSocket (RFC 7118) on a reassembled TCP stream:
 * the HTTP opening handshake (RFC 6455 section 4) and the frame layer
 * (RFC 6455 section 5).
 *
 * Design:
 *  - cap__ws_probe() recognises the start of a stream direction that is an
 *    HTTP/1.1 upgrade: a GET request with "Upgrade: websocket" and a
 *    Sec-WebSocket-Protocol offering "sip", or a "101" response with
 *    "Upgrade: websocket".  tcp_stream.c then skips the header block and
 *    feeds the rest of the direction to cap__ws_consume().
 *  - cap__ws_consume() takes whole frames only (a partial frame stays in the
 *    TCP buffer until the rest arrives).  Frames: FIN bit, opcodes text (1),
 *    binary (2), continuation (0), close (8), ping (9), pong (10); 7-, 16- and
 *    64-bit payload lengths; client frames are masked and are unmasked into
 *    the decoder's scratch buffer, so the stream buffer is never modified.
 *    A fragmented message is collected in a per-direction buffer bounded by
 *    max_tcp_stream_bytes.  Each complete data message is one datagram.
 *  - Protocol errors (reserved bits or opcodes, fragmented or oversized
 *    control frames, a continuation without a start, a message over the
 *    bound) are counted in ws_errors and end decoding of that direction:
 *    frame boundaries cannot be trusted afterwards.
 */
#include "capture_internal.h"

#include <stdlib.h>

/* ------------------------------------------------------------------------ */
/* Opening handshake                                                         */
/* ------------------------------------------------------------------------ */

/* True when the header block hdr (after the start line) has a header name
 * whose value contains needle (case-insensitive). */
static bool header_has(sv_t hdr, const char *name, const char *needle)
{
    size_t nlen = strlen(name);
    while (hdr.len) {
        long eol = sv_index_of(hdr, '\n');
        sv_t line = sv_make(hdr.p, eol < 0 ? hdr.len : (size_t)eol);
        hdr.p += eol < 0 ? hdr.len : (size_t)eol + 1;
        hdr.len -= eol < 0 ? hdr.len : (size_t)eol + 1;
        if (line.len > nlen && line.p[nlen] == ':' &&
            sv_ieq(sv_make(line.p, nlen), sv_make(name, nlen))) {
            sv_t value = sv_make(line.p + nlen + 1, line.len - nlen - 1);
            if (sv_ifind(value, sv_from_cstr(needle)) >= 0) return true;
        }
    }
    return false;
}

/* Is the prefix data[0..len) compatible with literal lit? */
static bool prefix_of(const uint8_t *data, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    return memcmp(data, lit, len < n ? len : n) == 0;
}

cap__ws_probe_t cap__ws_probe(const uint8_t *data, size_t len, size_t max_hdr, size_t *hdr_len)
{
    if (len == 0) return CAP__WS_NEED_MORE;
    bool request = prefix_of(data, len, "GET ");
    bool response = !request && prefix_of(data, len, "HTTP/1.");
    if (!request && !response) return CAP__WS_NOT_HTTP;
    if (len < 8) return CAP__WS_NEED_MORE;
    size_t lim = len < max_hdr ? len : max_hdr;
    const uint8_t *end = NULL;
    for (size_t i = 0; i + 4 <= lim; i++) {
        if (data[i] == '\r' && memcmp(data + i, "\r\n\r\n", 4) == 0) {
            end = data + i + 4;
            break;
        }
    }
    if (!end) return len >= max_hdr ? CAP__WS_NOT_UPGRADE : CAP__WS_NEED_MORE;
    size_t blen = (size_t)(end - data);
    sv_t block = sv_make(data, blen);
    long eol = sv_index_of(block, '\n');
    sv_t start = sv_make(data, (size_t)eol);
    sv_t hdr = sv_make(data + eol + 1, blen - (size_t)eol - 1);
    if (!header_has(hdr, "Upgrade", "websocket")) return CAP__WS_NOT_UPGRADE;
    if (request) {
        if (!header_has(hdr, "Sec-WebSocket-Protocol", "sip")) return CAP__WS_NOT_UPGRADE;
    } else {
        /* "HTTP/1.1 101 Switching Protocols" */
        if (start.len < 12 || memcmp(start.p + 8, " 101", 4) != 0) return CAP__WS_NOT_UPGRADE;
    }
    *hdr_len = blen;
    return CAP__WS_UPGRADE;
}

/* ------------------------------------------------------------------------ */
/* Frames                                                                    */
/* ------------------------------------------------------------------------ */

enum {
    WS_OP_CONT = 0x0,
    WS_OP_TEXT = 0x1,
    WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8,
    WS_OP_PING = 0x9,
    WS_OP_PONG = 0xA,
};

void cap__ws_reset(cap__ws_state_t *ws)
{
    free(ws->msg);
    memset(ws, 0, sizeof *ws);
}

/* Appends to the message being reassembled; false past the bound. */
static bool msg_append(cap_decoder_t *d, cap__ws_state_t *ws, const uint8_t *p, size_t n)
{
    size_t max = d->lim.max_tcp_stream_bytes;
    if (n > max || ws->msg_len > max - n) return false;
    if (ws->msg_len + n > ws->msg_cap) {
        size_t cap = ws->msg_cap ? ws->msg_cap : 4096;
        while (cap < ws->msg_len + n)
            cap *= 2;
        if (cap > max) cap = max;
        uint8_t *nm = realloc(ws->msg, cap);
        if (!nm) return false;
        ws->msg = nm;
        ws->msg_cap = cap;
    }
    if (n) memcpy(ws->msg + ws->msg_len, p, n);
    ws->msg_len += n;
    return true;
}

/* Makes the scratch buffer hold at least n bytes. */
static uint8_t *scratch(cap_decoder_t *d, size_t n)
{
    if (n <= d->scratch_cap) return d->scratch;
    size_t cap = d->scratch_cap ? d->scratch_cap : 4096;
    while (cap < n)
        cap *= 2;
    uint8_t *s = realloc(d->scratch, cap);
    if (!s) return NULL;
    d->scratch = s;
    d->scratch_cap = cap;
    return s;
}

long cap__ws_consume(cap_decoder_t *d, cap__ws_state_t *ws, const uint8_t *data, size_t len,
                     cap__ws_emit_pt emit, void *ctx)
{
    size_t pos = 0;
    for (;;) {
        cap__cur_t c = cap__cur(data + pos, len - pos);
        uint8_t b0, b1;
        if (!cap__u8(&c, 0, &b0) || !cap__u8(&c, 1, &b1)) break;
        bool fin = (b0 & 0x80) != 0;
        unsigned op = b0 & 0x0f;
        bool masked = (b1 & 0x80) != 0;
        uint64_t plen = b1 & 0x7f;
        size_t hl = 2;
        if (plen == 126) {
            uint16_t l16;
            if (!cap__be16(&c, 2, &l16)) break;
            plen = l16;
            hl = 4;
        } else if (plen == 127) {
            uint32_t hi, lo;
            if (!cap__be32(&c, 2, &hi) || !cap__be32(&c, 6, &lo)) break;
            plen = (uint64_t)hi << 32 | lo;
            hl = 10;
        }
        uint8_t key[4] = {0, 0, 0, 0};
        if (masked) {
            if (!cap__bytes(&c, hl, key, 4)) break;
            hl += 4;
        }
        if ((b0 & 0x70) || plen > d->lim.max_tcp_stream_bytes) goto error; /* RSV, size */
        if (!cap__has(&c, hl, (size_t)plen)) break;                        /* wait */
        size_t n = (size_t)plen;
        const uint8_t *payload = c.p + hl;
        if (masked && n) {
            uint8_t *s = scratch(d, n);
            if (!s) goto error;
            for (size_t i = 0; i < n; i++)
                s[i] = payload[i] ^ key[i & 3];
            payload = s;
        }
        switch (op) {
        case WS_OP_CLOSE:
        case WS_OP_PING:
        case WS_OP_PONG:
            if (!fin || n > 125) goto error;
            d->st.ws_control_frames++;
            break;
        case WS_OP_TEXT:
        case WS_OP_BINARY:
            if (ws->in_message) goto error;
            if (fin) {
                d->st.ws_messages++;
                if (n) emit(ctx, payload, n);
            } else {
                ws->msg_len = 0;
                if (!msg_append(d, ws, payload, n)) goto error;
                ws->in_message = true;
            }
            break;
        case WS_OP_CONT:
            if (!ws->in_message || !msg_append(d, ws, payload, n)) goto error;
            if (fin) {
                ws->in_message = false;
                d->st.ws_messages++;
                if (ws->msg_len) emit(ctx, ws->msg, ws->msg_len);
                ws->msg_len = 0;
            }
            break;
        default:
            goto error;
        }
        pos += hl + n;
    }
    return (long)pos;
error:
    d->st.ws_errors++;
    return -1;
}
