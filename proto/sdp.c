/* sdp.c - Session Description Protocol parser (RFC 8866, formerly 4566).
 *
 * Extracts what a monitor needs to find and label the media of a call:
 * session- and media-level c=, every m= line (port 0, port/count), the
 * attributes a=rtpmap, a=ptime, a=rtcp (RFC 3605), a=rtcp-mux (RFC 5761),
 * the direction attributes, a=crypto (RFC 4568, kept raw) and a=label
 * (RFC 4574, used by SIPREC RFC 7866).
 *
 * Design: one pass over the lines, zero-copy (views into the body), no
 * allocation.  Lines end in CRLF or bare LF.  Unknown or malformed lines are
 * ignored rather than rejected: an SDP is PROTO_INVALID only when it has no
 * v= line or no m= line at all.  Numbers that do not fit their field are
 * dropped (a payload type outside 0..127 in m=, e.g. 4294967296, is ignored;
 * a bad port makes the stream port 0).  Session-level c= and direction are
 * the defaults for media that do not set their own (RFC 8866 5.7, 6.7).
 * At most SDP_MAX_MEDIA streams are kept; later ones set media_truncated and
 * their attributes are skipped.
 */
#include "proto.h"

#include <string.h>

static inline bool is_ws(char c)
{
    return c == ' ' || c == '\t';
}
static inline bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

const char *sdp_direction_name(sdp_direction_t d)
{
    switch (d) {
    case SDP_SENDRECV:
        return "sendrecv";
    case SDP_SENDONLY:
        return "sendonly";
    case SDP_RECVONLY:
        return "recvonly";
    case SDP_INACTIVE:
        return "inactive";
    }
    return "sendrecv";
}

/* A tiny tokenizer over one line: words separated by SP/HTAB. */
typedef struct {
    const char *p, *end;
} tok_t;

static sv_t next_word(tok_t *t)
{
    while (t->p < t->end && is_ws(*t->p))
        t->p++;
    const char *s = t->p;
    while (t->p < t->end && !is_ws(*t->p))
        t->p++;
    return sv_make(s, (size_t)(t->p - s));
}

/* Leading decimal digits of v as a number <= max; *rest gets what follows.
 * False when there are no digits or the number is too large. */
static bool lead_uint(sv_t v, uint64_t max, uint64_t *out, sv_t *rest)
{
    size_t i = 0;
    uint64_t x = 0;
    while (i < v.len && is_digit(v.p[i])) {
        x = x * 10 + (uint64_t)(v.p[i] - '0');
        if (x > max) return false;
        i++;
    }
    if (i == 0) return false;
    *out = x;
    if (rest) *rest = sv_make(v.p + i, v.len - i);
    return true;
}

/* Whole word as a number <= max. */
static bool word_uint(sv_t v, uint64_t max, uint64_t *out)
{
    sv_t rest;
    return lead_uint(v, max, out, &rest) && rest.len == 0;
}

/* "IN IP4 addr[/ttl[/n]]" -> address (IP_NONE for FQDNs or garbage). */
static void parse_conn(tok_t t, ip_addr_t *out)
{
    memset(out, 0, sizeof *out);
    sv_t nettype = next_word(&t);
    sv_t addrtype = next_word(&t);
    sv_t addr = next_word(&t);
    if (!sv_ieq_cstr(nettype, "IN") || addr.len == 0) return;
    (void)addrtype;
    long slash = sv_index_of(addr, '/');
    if (slash >= 0) addr.len = (size_t)slash;
    if (!ip_addr_parse(addr, out)) memset(out, 0, sizeof *out);
}

static void parse_media_line(tok_t t, sdp_media_t *m)
{
    uint64_t n;
    sv_t rest;
    m->media = next_word(&t);
    m->port_count = 1;
    sv_t port = next_word(&t);
    if (lead_uint(port, 65535, &n, &rest)) {
        m->port = (uint16_t)n;
        if (rest.len > 1 && rest.p[0] == '/' &&
            word_uint(sv_make(rest.p + 1, rest.len - 1), 65535, &n) && n > 0)
            m->port_count = (uint16_t)n;
    }
    m->proto = next_word(&t);
    for (;;) {
        sv_t f = next_word(&t);
        if (f.len == 0) break;
        if (m->fmt_count < SDP_MAX_FMTS && word_uint(f, 127, &n))
            m->fmts[m->fmt_count++] = (uint8_t)n;
    }
}

/* "pt enc/clock[/channels]" */
static void parse_rtpmap(sv_t v, sdp_media_t *m)
{
    if (m->rtpmap_count >= SDP_MAX_RTPMAP) return;
    tok_t t = {v.p, v.p + v.len};
    uint64_t pt, clock = 0, ch = 1;
    if (!word_uint(next_word(&t), 127, &pt)) return;
    while (t.p < t.end && is_ws(*t.p))
        t.p++;
    sv_t spec = sv_make(t.p, (size_t)(t.end - t.p));
    spec = sv_trim(spec);
    long s1 = sv_index_of(spec, '/');
    if (s1 <= 0) return;
    sv_t enc = sv_make(spec.p, (size_t)s1);
    sv_t after = sv_make(spec.p + s1 + 1, spec.len - (size_t)s1 - 1);
    sv_t rest;
    if (!lead_uint(after, UINT32_MAX, &clock, &rest)) return;
    if (rest.len > 1 && rest.p[0] == '/' && !word_uint(sv_make(rest.p + 1, rest.len - 1), 255, &ch))
        ch = 1;
    if (ch == 0) ch = 1;
    sdp_rtpmap_t *r = &m->rtpmap[m->rtpmap_count++];
    r->pt = (uint8_t)pt;
    r->encoding = enc;
    r->clock_rate = (uint32_t)clock;
    r->channels = (uint8_t)ch;
}

/* "port [IN IP4 addr]" (RFC 3605) */
static void parse_rtcp(sv_t v, sdp_media_t *m)
{
    tok_t t = {v.p, v.p + v.len};
    uint64_t port;
    if (!word_uint(next_word(&t), 65535, &port)) return;
    m->rtcp_port = (uint16_t)port;
    parse_conn(t, &m->rtcp_addr);
}

static bool parse_direction(sv_t name, sdp_direction_t *d)
{
    if (sv_eq(name, SV_LIT("sendrecv")))
        *d = SDP_SENDRECV;
    else if (sv_eq(name, SV_LIT("sendonly")))
        *d = SDP_SENDONLY;
    else if (sv_eq(name, SV_LIT("recvonly")))
        *d = SDP_RECVONLY;
    else if (sv_eq(name, SV_LIT("inactive")))
        *d = SDP_INACTIVE;
    else
        return false;
    return true;
}

/* Contract in proto.h; leniency rules in the file comment. */
proto_status_t sdp_parse(sv_t body, sdp_t *out)
{
    memset(out, 0, sizeof *out);
    if (!body.p) return PROTO_INVALID;
    const char *p = body.p, *end = body.p + body.len;
    bool have_v = false, skipping = false;
    bool dir_set[SDP_MAX_MEDIA] = {false};
    sdp_media_t *m = NULL;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *line = p;
        p = nl ? nl + 1 : end;
        if (le > line && le[-1] == '\r') le--;
        if (le - line < 2 || line[1] != '=') continue;
        char type = line[0];
        sv_t v = sv_make(line + 2, (size_t)(le - line - 2));
        tok_t t = {v.p, v.p + v.len};

        if (type == 'm') {
            if (out->media_count >= SDP_MAX_MEDIA) {
                out->media_truncated = true;
                skipping = true;
                m = NULL;
                continue;
            }
            m = &out->media[out->media_count++];
            parse_media_line(t, m);
            continue;
        }
        if (skipping) continue;

        switch (type) {
        case 'v':
            have_v = true;
            break;
        case 'o':
            if (!m) out->origin = v;
            break;
        case 's':
            if (!m) out->session_name = v;
            break;
        case 'c':
            parse_conn(t, m ? &m->conn : &out->conn);
            break;
        case 'a': {
            long colon = sv_index_of(v, ':');
            sv_t name = colon >= 0 ? sv_make(v.p, (size_t)colon) : v;
            sv_t val = colon >= 0 ? sv_make(v.p + colon + 1, v.len - (size_t)colon - 1)
                                  : sv_make(v.p + v.len, 0);
            sdp_direction_t d;
            if (parse_direction(name, &d)) {
                if (m) {
                    m->direction = d;
                    dir_set[m - out->media] = true;
                } else {
                    out->direction = d;
                }
                break;
            }
            if (!m) break; /* other session-level attributes are not needed */
            if (sv_eq(name, SV_LIT("rtpmap"))) {
                parse_rtpmap(val, m);
            } else if (sv_eq(name, SV_LIT("ptime"))) {
                uint64_t n;
                sv_t rest;
                if (lead_uint(sv_trim(val), 65535, &n, &rest)) m->ptime = (uint16_t)n;
            } else if (sv_eq(name, SV_LIT("rtcp"))) {
                parse_rtcp(val, m);
            } else if (sv_eq(name, SV_LIT("rtcp-mux"))) {
                m->rtcp_mux = true;
            } else if (sv_eq(name, SV_LIT("crypto"))) {
                if (m->crypto_count < SDP_MAX_CRYPTO) m->crypto[m->crypto_count++] = val;
            } else if (sv_eq(name, SV_LIT("label"))) {
                m->label = sv_trim(val);
            }
            break;
        }
        default:
            break;
        }
    }

    for (uint8_t i = 0; i < out->media_count; i++) {
        sdp_media_t *mi = &out->media[i];
        if (mi->conn.family == IP_NONE) mi->conn = out->conn;
        if (!dir_set[i]) mi->direction = out->direction;
    }
    return (have_v && out->media_count > 0) ? PROTO_OK : PROTO_INVALID;
}

/* Contract in proto.h. */
bool sdp_media_codec(const sdp_media_t *m, uint8_t pt, sv_t *encoding, uint32_t *clock_rate)
{
    for (uint8_t i = 0; i < m->rtpmap_count; i++) {
        if (m->rtpmap[i].pt == pt) {
            *encoding = m->rtpmap[i].encoding;
            *clock_rate = m->rtpmap[i].clock_rate;
            return true;
        }
    }
    const char *name;
    if (pt < 96 && rtp_static_codec(pt, &name, clock_rate)) {
        *encoding = sv_from_cstr(name);
        return true;
    }
    return false;
}

bool sdp_addr_usable(const ip_addr_t *a)
{
    if (a->family == IP_NONE) return false;
    for (int i = 0; i < 16; i++)
        if (a->bytes[i]) return true;
    return false; /* 0.0.0.0 / :: = hold (RFC 3264 8.4 legacy) */
}

bool sdp_media_rtp_endpoint(const sdp_media_t *m, endpoint_t *out)
{
    if (m->port == 0 || !sdp_addr_usable(&m->conn)) return false;
    memset(out, 0, sizeof *out);
    out->ip = m->conn;
    out->port = m->port;
    return true;
}

bool sdp_media_rtcp_endpoint(const sdp_media_t *m, endpoint_t *out)
{
    if (m->rtcp_mux || !sdp_media_rtp_endpoint(m, out)) return false;
    if (m->rtcp_port)
        out->port = m->rtcp_port;
    else if (m->port < 65535)
        out->port = (uint16_t)(m->port + 1);
    else
        return false;
    if (sdp_addr_usable(&m->rtcp_addr)) out->ip = m->rtcp_addr;
    return true;
}
