/* sip.c - zero-copy SIP message parser, probe and TCP stream framing.
 *
 * Implements the message syntax of RFC 3261 section 7 (start line, header
 * fields, body) as a passive monitor sees it on the wire, including the
 * robustness cases of RFC 4475 (torture tests):
 *
 *  - one pass over the bytes, no allocation, no strlen on packet data; every
 *    result is a view into the input (sip_msg_t, proto.h);
 *  - CRLF and bare LF line ends are both accepted (real traffic has both);
 *  - a line starting with SP/HTAB continues the previous header (folding);
 *    the stored value keeps the fold bytes, consumers treat CR/LF as LWS;
 *  - header names are case-insensitive and the compact forms of RFC 3261
 *    7.3.3 and later RFCs are understood (i f t v m l c k s e o u r b x y);
 *  - the well-known headers are decoded once, on their first occurrence;
 *    further occurrences stay available through sip_header_get().
 *
 * Decisions (documented here because tests depend on them):
 *  - SIP-Version must be "SIP/2.0" (ASCII case-insensitive, as the ABNF
 *    literal is).  Anything else (RFC 4475 badvers.dat "SIP/7.0") is
 *    PROTO_INVALID: we cannot interpret it, and sip_probe uses the same rule.
 *  - The request line is "method 1*SP Request-URI 1*SP SIP-Version *SP":
 *    runs of SP and trailing SP are tolerated (RFC 4475 3.1.2.9/3.1.2.10 say
 *    an element may be robust here), but the method must be a token and the
 *    Request-URI must start with "scheme:" and contain no LWS, so <uri>
 *    (ltgtruri.dat) and embedded LWS (lwsruri.dat) are PROTO_INVALID.
 *  - Status codes are exactly three digits, 100..699 (bigcode.dat invalid).
 *  - Call-ID, CSeq (number fits in 32 bits, method a token), From and To
 *    (a URI can be found) are required; otherwise PROTO_INVALID.
 *  - Header lines without a colon are skipped (they are not stored).
 *  - Body: Content-Length bytes when present and they fit; when larger than
 *    what is there (clerr.dat) the body is the rest and the result is
 *    PROTO_INCOMPLETE; when absent (UDP, RFC 2543 style) the body is the rest
 *    of the datagram.  Extra bytes after Content-Length are ignored (UDP,
 *    RFC 3261 18.3, dblreq.dat).
 *  - Stream framing (sip_frame_message): a missing Content-Length means an
 *    empty body.  RFC 3261 18.3 makes the header mandatory on streams, but
 *    the only safe reading of a message without one is "no body"; a present
 *    but non-numeric or negative value is PROTO_INVALID (the stream can no
 *    longer be framed).  Bodies above SIP_FRAME_MAX_BODY are PROTO_INVALID.
 */
#include "proto.h"

#include <string.h>

#define SIP_FRAME_MAX_BODY        (16u * 1024 * 1024)
#define SIP_FRAME_DEFAULT_MAX_HDR 65536
#define SIP_MULTIPART_MAX_DEPTH   3
#define SIP_MULTIPART_MAX_PARTS   16

/* -------------------------- small character helpers ---------------------- */

static inline bool is_lws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
static inline bool is_ws(char c)
{
    return c == ' ' || c == '\t';
}
static inline bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}
static inline bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline char to_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* RFC 3261 token characters: alphanum / "-" / "." / "!" / "%" / "*" / "_" /
 * "+" / "`" / "'" / "~". */
static inline bool is_token(char c)
{
    return is_alpha(c) || is_digit(c) || (c != '\0' && strchr("-.!%*_+`'~", c) != NULL);
}

/* ------------------------------ method names ------------------------------ */

static const char *const method_names[SIP_METHOD_COUNT] = {
    [SIP_METHOD_UNKNOWN] = "UNKNOWN",
    [SIP_INVITE] = "INVITE",
    [SIP_ACK] = "ACK",
    [SIP_BYE] = "BYE",
    [SIP_CANCEL] = "CANCEL",
    [SIP_REGISTER] = "REGISTER",
    [SIP_OPTIONS] = "OPTIONS",
    [SIP_PRACK] = "PRACK",
    [SIP_UPDATE] = "UPDATE",
    [SIP_INFO] = "INFO",
    [SIP_SUBSCRIBE] = "SUBSCRIBE",
    [SIP_NOTIFY] = "NOTIFY",
    [SIP_REFER] = "REFER",
    [SIP_MESSAGE] = "MESSAGE",
    [SIP_PUBLISH] = "PUBLISH",
};

const char *sip_method_name(sip_method_t m)
{
    if ((unsigned)m >= SIP_METHOD_COUNT) return method_names[SIP_METHOD_UNKNOWN];
    return method_names[m];
}

sip_method_t sip_method_from_sv(sv_t token)
{
    if (token.len < 3 || token.len > 9) return SIP_METHOD_UNKNOWN;
    for (int m = 1; m < SIP_METHOD_COUNT; m++) {
        const char *n = method_names[m];
        if (n[0] == token.p[0] && strlen(n) == token.len && memcmp(n, token.p, token.len) == 0)
            return (sip_method_t)m;
    }
    return SIP_METHOD_UNKNOWN;
}

/* ------------------------------ header names ------------------------------ */

typedef enum {
    HDR_OTHER = 0,
    HDR_CALL_ID,
    HDR_FROM,
    HDR_TO,
    HDR_VIA,
    HDR_CONTACT,
    HDR_CONTENT_LENGTH,
    HDR_CONTENT_TYPE,
    HDR_SUPPORTED,
    HDR_SUBJECT,
    HDR_CONTENT_ENCODING,
    HDR_EVENT,
    HDR_ALLOW_EVENTS,
    HDR_REFER_TO,
    HDR_REFERRED_BY,
    HDR_SESSION_EXPIRES,
    HDR_IDENTITY,
    HDR_CSEQ,
    HDR_USER_AGENT,
    HDR_SERVER,
    HDR_REASON,
    HDR_COUNT
} sip_hdr_id_t;

/* Full name and compact form (0 when none) of each known header. */
static const struct {
    const char *name;
    uint8_t len;
    char compact;
} hdr_names[HDR_COUNT] = {
    [HDR_OTHER] = {"", 0, 0},
    [HDR_CALL_ID] = {"call-id", 7, 'i'},
    [HDR_FROM] = {"from", 4, 'f'},
    [HDR_TO] = {"to", 2, 't'},
    [HDR_VIA] = {"via", 3, 'v'},
    [HDR_CONTACT] = {"contact", 7, 'm'},
    [HDR_CONTENT_LENGTH] = {"content-length", 14, 'l'},
    [HDR_CONTENT_TYPE] = {"content-type", 12, 'c'},
    [HDR_SUPPORTED] = {"supported", 9, 'k'},
    [HDR_SUBJECT] = {"subject", 7, 's'},
    [HDR_CONTENT_ENCODING] = {"content-encoding", 16, 'e'},
    [HDR_EVENT] = {"event", 5, 'o'},
    [HDR_ALLOW_EVENTS] = {"allow-events", 12, 'u'},
    [HDR_REFER_TO] = {"refer-to", 8, 'r'},
    [HDR_REFERRED_BY] = {"referred-by", 11, 'b'},
    [HDR_SESSION_EXPIRES] = {"session-expires", 15, 'x'},
    [HDR_IDENTITY] = {"identity", 8, 'y'},
    [HDR_CSEQ] = {"cseq", 4, 0},
    [HDR_USER_AGENT] = {"user-agent", 10, 0},
    [HDR_SERVER] = {"server", 6, 0},
    [HDR_REASON] = {"reason", 6, 0},
};

/* Compact letter -> header id, for 'a'..'z'. */
static sip_hdr_id_t hdr_compact(char c)
{
    switch (to_lower(c)) {
    case 'i':
        return HDR_CALL_ID;
    case 'f':
        return HDR_FROM;
    case 't':
        return HDR_TO;
    case 'v':
        return HDR_VIA;
    case 'm':
        return HDR_CONTACT;
    case 'l':
        return HDR_CONTENT_LENGTH;
    case 'c':
        return HDR_CONTENT_TYPE;
    case 'k':
        return HDR_SUPPORTED;
    case 's':
        return HDR_SUBJECT;
    case 'e':
        return HDR_CONTENT_ENCODING;
    case 'o':
        return HDR_EVENT;
    case 'u':
        return HDR_ALLOW_EVENTS;
    case 'r':
        return HDR_REFER_TO;
    case 'b':
        return HDR_REFERRED_BY;
    case 'x':
        return HDR_SESSION_EXPIRES;
    case 'y':
        return HDR_IDENTITY;
    }
    return HDR_OTHER;
}

/* Identifies a header name (case-insensitive, compact forms included). */
static sip_hdr_id_t hdr_id(const char *name, size_t len)
{
    if (len == 1) return hdr_compact(name[0]);
    char c0 = to_lower(name[0]);
    for (int id = 1; id < HDR_COUNT; id++) {
        if (hdr_names[id].len != len || hdr_names[id].name[0] != c0) continue;
        size_t i = 1;
        while (i < len && to_lower(name[i]) == hdr_names[id].name[i])
            i++;
        if (i == len) return (sip_hdr_id_t)id;
    }
    return HDR_OTHER;
}

/* ------------------------------ value helpers ----------------------------- */

/* The first element of a comma-separated header value (commas inside quotes
 * or <> do not count), trimmed. */
static sv_t first_element(sv_t v)
{
    const char *p = v.p, *end = v.p + v.len;
    while (p < end) {
        if (*p == '"') {
            for (p++; p < end && *p != '"'; p++)
                if (*p == '\\' && p + 1 < end) p++;
            if (p < end) p++;
        } else if (*p == '<') {
            const char *q = memchr(p, '>', (size_t)(end - p));
            p = q ? q + 1 : end;
        } else if (*p == ',') {
            break;
        } else {
            p++;
        }
    }
    return sv_trim(sv_make(v.p, (size_t)(p - v.p)));
}

/* Via: sent-protocol = "SIP" LWS? "/" LWS? "2.0" LWS? "/" LWS? transport.
 * Returns the transport token, or SV_NULL when the shape is wrong. */
static sv_t via_transport(sv_t via)
{
    const char *p = via.p, *end = via.p + via.len;
    for (int part = 0; part < 3; part++) {
        while (p < end && is_lws(*p))
            p++;
        const char *t = p;
        while (p < end && is_token(*p))
            p++;
        if (p == t) return SV_NULL;
        if (part == 2) return sv_make(t, (size_t)(p - t));
        while (p < end && is_lws(*p))
            p++;
        if (p >= end || *p != '/') return SV_NULL;
        p++;
    }
    return SV_NULL;
}

/* Strict decimal with LWS around; false when empty, non-digit or > max. */
static bool parse_uint(sv_t v, uint64_t max, uint64_t *out)
{
    const char *p = v.p, *end = v.p + v.len;
    while (p < end && is_lws(*p))
        p++;
    while (end > p && is_lws(end[-1]))
        end--;
    if (p == end) return false;
    uint64_t x = 0;
    for (; p < end; p++) {
        if (!is_digit(*p)) return false;
        x = x * 10 + (uint64_t)(*p - '0');
        if (x > max) return false;
    }
    *out = x;
    return true;
}

/* CSeq: 1*DIGIT LWS Method. */
static bool parse_cseq(sv_t v, sip_msg_t *msg)
{
    const char *p = v.p, *end = v.p + v.len;
    const char *d = p;
    uint64_t n = 0;
    while (p < end && is_digit(*p)) {
        n = n * 10 + (uint64_t)(*p++ - '0');
        if (n > UINT32_MAX) return false;
    }
    if (p == d || p >= end || !is_lws(*p)) return false;
    while (p < end && is_lws(*p))
        p++;
    const char *m = p;
    while (p < end && is_token(*p))
        p++;
    if (p == m) return false;
    while (p < end && is_lws(*p))
        p++;
    if (p != end) return false;
    msg->cseq = (uint32_t)n;
    msg->cseq_method_name = sv_make(m, (size_t)(p - m));
    while (msg->cseq_method_name.len && is_lws(m[msg->cseq_method_name.len - 1]))
        msg->cseq_method_name.len--;
    msg->cseq_method = sip_method_from_sv(msg->cseq_method_name);
    return true;
}

/* ------------------------------- start line -------------------------------- */

static bool is_sip_version(const char *p, size_t n)
{
    return n == 7 && to_lower(p[0]) == 's' && to_lower(p[1]) == 'i' && to_lower(p[2]) == 'p' &&
           p[3] == '/' && p[4] == '2' && p[5] == '.' && p[6] == '0';
}

/* Parses the start line [p, end) (no line terminator).  Returns false when it
 * is neither a request line nor a status line. */
static bool parse_start_line(const char *p, const char *end, sip_msg_t *msg)
{
    if (end - p >= 8 && is_sip_version(p, 7) && p[7] == ' ') {
        const char *c = p + 8;
        if (end - c < 3 || !is_digit(c[0]) || !is_digit(c[1]) || !is_digit(c[2])) return false;
        int code = (c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0');
        if (code < 100 || code > 699) return false;
        c += 3;
        if (c < end && *c != ' ') return false;
        if (c < end) c++;
        msg->is_request = false;
        msg->status_code = code;
        msg->reason_phrase = sv_make(c, (size_t)(end - c));
        return true;
    }

    const char *m = p;
    while (p < end && is_token(*p))
        p++;
    if (p == m || p >= end || *p != ' ') return false;
    msg->method_name = sv_make(m, (size_t)(p - m));
    while (p < end && *p == ' ')
        p++;

    const char *u = p;
    if (p >= end || !is_alpha(*p)) return false;
    while (p < end && (is_alpha(*p) || is_digit(*p) || *p == '+' || *p == '-' || *p == '.'))
        p++;
    if (p >= end || *p != ':') return false;
    while (p < end && !is_lws(*p))
        p++;
    msg->request_uri = sv_make(u, (size_t)(p - u));
    if (p >= end || *p != ' ') return false;
    while (p < end && *p == ' ')
        p++;

    const char *v = p;
    while (p < end && !is_ws(*p))
        p++;
    if (!is_sip_version(v, (size_t)(p - v))) return false;
    while (p < end && is_ws(*p))
        p++;
    if (p != end) return false;

    msg->is_request = true;
    msg->method = sip_method_from_sv(msg->method_name);
    return true;
}

/* --------------------------------- parser --------------------------------- */

/* Decodes a well-known header on its first occurrence.  *seen has one bit per
 * header id.  Returns false when a required header is malformed. */
static bool take_header(sip_msg_t *msg, sip_hdr_id_t id, sv_t value, uint32_t *seen)
{
    if (id == HDR_OTHER) return true;
    if (*seen & (1u << id)) return true;
    *seen |= 1u << id;

    switch (id) {
    case HDR_CALL_ID:
        msg->call_id = value;
        return value.len > 0;
    case HDR_FROM:
        return sip_parse_name_addr(value, &msg->from);
    case HDR_TO:
        return sip_parse_name_addr(value, &msg->to);
    case HDR_CSEQ:
        return parse_cseq(value, msg);
    case HDR_VIA:
        msg->via = first_element(value);
        msg->via_branch = sip_param_get(msg->via, "branch");
        msg->via_transport = via_transport(msg->via);
        return true;
    case HDR_CONTACT:
        msg->contact = first_element(value);
        return true;
    case HDR_USER_AGENT:
        msg->user_agent = value;
        return true;
    case HDR_SERVER:
        msg->server = value;
        return true;
    case HDR_REASON:
        msg->reason = value;
        return true;
    case HDR_CONTENT_TYPE:
        msg->content_type = value;
        return true;
    case HDR_CONTENT_LENGTH: {
        uint64_t n;
        msg->content_length = parse_uint(value, (uint64_t)0x7fffffff, &n) ? (long)n : -1;
        return true;
    }
    default:
        return true;
    }
}

/* Contract in proto.h; decisions in the file comment. */
proto_status_t sip_parse_message(const uint8_t *data, size_t len, sip_msg_t *msg)
{
    memset(msg, 0, offsetof(sip_msg_t, headers));
    msg->content_length = -1;

    if (!data) return PROTO_INVALID;
    const char *p = (const char *)data, *end = p + len;
    while (p < end && (*p == '\r' || *p == '\n'))
        p++; /* RFC 3261 7.5 */

    /* start line */
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    const char *line_end = eol ? eol : end;
    const char *le = line_end;
    if (le > p && le[-1] == '\r') le--;
    if (!parse_start_line(p, le, msg)) return PROTO_INVALID;
    if (!eol) return PROTO_INCOMPLETE;
    p = eol + 1;

    /* header block: one pass; a header ends at a line end not followed by
     * SP/HTAB */
    uint32_t seen = 0;
    bool bad = false, complete = false;
    while (p < end) {
        if (*p == '\n') {
            p++;
            complete = true;
            break;
        }
        if (*p == '\r' && p + 1 < end && p[1] == '\n') {
            p += 2;
            complete = true;
            break;
        }
        if (*p == '\r' && p + 1 == end) {
            p++;
            break;
        }
        /* name */
        const char *n = p;
        while (p < end && *p != ':' && *p != '\n' && !is_ws(*p))
            p++;
        const char *ne = p;
        while (p < end && is_ws(*p))
            p++;
        bool has_colon = p < end && *p == ':' && ne > n;
        if (p < end && *p == ':') p++;

        /* value, with continuation lines */
        const char *v = p, *ve;
        for (;;) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl) {
                ve = end;
                p = end;
                break;
            }
            p = nl + 1;
            if (p < end && is_ws(*p)) continue; /* folded line */
            ve = nl;
            break;
        }
        if (!has_colon) continue; /* not a header line: skipped */

        sv_t value = sv_trim(sv_make(v, (size_t)(ve - v)));
        if (msg->header_count < SIP_MAX_HEADERS)
            msg->headers[msg->header_count++] = (sip_header_t){sv_make(n, (size_t)(ne - n)), value};
        else
            msg->headers_truncated = true;
        if (!take_header(msg, hdr_id(n, (size_t)(ne - n)), value, &seen)) bad = true;
    }

    /* body */
    size_t rest = (size_t)(end - p);
    proto_status_t st = PROTO_OK;
    if (!complete) {
        msg->body = sv_make(p, 0);
        st = PROTO_INCOMPLETE;
    } else if (msg->content_length >= 0 && (size_t)msg->content_length <= rest) {
        msg->body = sv_make(p, (size_t)msg->content_length);
    } else {
        msg->body = sv_make(p, rest);
        if (msg->content_length >= 0) st = PROTO_INCOMPLETE;
    }

    const uint32_t required =
        (1u << HDR_CALL_ID) | (1u << HDR_FROM) | (1u << HDR_TO) | (1u << HDR_CSEQ);
    if (bad || (seen & required) != required) return PROTO_INVALID;
    return st;
}

/* --------------------------------- lookups -------------------------------- */

/* Contract in proto.h. */
sv_t sip_header_get(const sip_msg_t *msg, const char *name, unsigned index)
{
    size_t nlen = strlen(name);
    if (nlen == 0) return SV_NULL;
    sip_hdr_id_t want = hdr_id(name, nlen);
    for (unsigned i = 0; i < msg->header_count; i++) {
        sv_t hn = msg->headers[i].name;
        bool match =
            want != HDR_OTHER ? hdr_id(hn.p, hn.len) == want : sv_ieq(hn, sv_make(name, nlen));
        if (match && index-- == 0) return msg->headers[i].value;
    }
    return SV_NULL;
}

/* The media type of a Content-Type value ("type/subtype", no parameters). */
static sv_t media_type(sv_t ct)
{
    long semi = sv_index_of(ct, ';');
    if (semi >= 0) ct.len = (size_t)semi;
    return sv_trim(ct);
}

static bool find_sdp_in(sv_t content_type, sv_t body, int depth, sv_t *sdp)
{
    sv_t mt = media_type(content_type);
    if (sv_ieq_cstr(mt, "application/sdp")) {
        *sdp = body;
        return true;
    }
    if (depth >= SIP_MULTIPART_MAX_DEPTH || !sv_istarts_with(mt, "multipart/")) return false;
    mime_part_t parts[SIP_MULTIPART_MAX_PARTS];
    int n = mime_multipart_parse(content_type, body, parts, SIP_MULTIPART_MAX_PARTS);
    for (int i = 0; i < n; i++)
        if (find_sdp_in(parts[i].content_type, parts[i].body, depth + 1, sdp)) return true;
    return false;
}

/* Contract in proto.h.  Without any Content-Type a body that starts with
 * "v=" is taken as SDP (RFC 2543-era senders). */
bool sip_find_sdp(const sip_msg_t *msg, sv_t *sdp)
{
    if (msg->body.len == 0) return false;
    if (!msg->content_type.p) {
        if (msg->body.len >= 2 && msg->body.p[0] == 'v' && msg->body.p[1] == '=') {
            *sdp = msg->body;
            return true;
        }
        return false;
    }
    return find_sdp_in(msg->content_type, msg->body, 0, sdp);
}

/* ------------------------------ probe & framing --------------------------- */

/* Looks at the first line: PROTO_OK when it is a SIP start line,
 * PROTO_INCOMPLETE when the bytes so far could still become one,
 * PROTO_INVALID otherwise.  Reads at most max bytes. */
static proto_status_t probe_start(const char *p, size_t len)
{
    const char *end = p + len;
    /* status line */
    static const char ver[] = "SIP/2.0 ";
    size_t k = 0;
    while (k < 8 && k < len && to_lower(p[k]) == to_lower(ver[k]))
        k++;
    if (k == len && k < 8) return PROTO_INCOMPLETE;
    if (k == 8) {
        for (size_t i = 8; i < 11; i++) {
            if (i >= len) return PROTO_INCOMPLETE;
            if (!is_digit(p[i])) return PROTO_INVALID;
        }
        return PROTO_OK;
    }
    /* request line: token SP scheme ":" ... SP "SIP/2.0" (CR|LF) */
    const char *q = p;
    while (q < end && is_token(*q) && q - p < 64)
        q++;
    if (q == end) return PROTO_INCOMPLETE;
    if (q == p || *q != ' ') return PROTO_INVALID;
    while (q < end && *q == ' ')
        q++;
    if (q == end) return PROTO_INCOMPLETE;
    if (!is_alpha(*q)) return PROTO_INVALID;
    while (q < end && (is_alpha(*q) || is_digit(*q) || *q == '+' || *q == '-' || *q == '.'))
        q++;
    if (q == end) return PROTO_INCOMPLETE;
    if (*q != ':') return PROTO_INVALID;
    const char *nl = memchr(q, '\n', (size_t)(end - q));
    const char *le = nl ? nl : end;
    while (le > q && is_lws(le[-1]))
        le--;
    if (le - q >= 8 && le[-8] == ' ' && is_sip_version(le - 7, 7)) return PROTO_OK;
    return nl ? PROTO_INVALID : PROTO_INCOMPLETE;
}

/* Contract in proto.h.  Leading CR/LF (keep-alives) are skipped. */
bool sip_probe(const uint8_t *data, size_t len)
{
    if (!data) return false;
    const char *p = (const char *)data, *end = p + len;
    while (p < end && (*p == '\r' || *p == '\n'))
        p++;
    if (end - p < 12) return false;
    return probe_start(p, (size_t)(end - p)) == PROTO_OK;
}

/* Contract in proto.h; the Content-Length decision is in the file comment.
 * max_header_bytes == 0 means 64 KiB. */
proto_status_t sip_frame_message(const uint8_t *data, size_t len, size_t max_header_bytes,
                                 size_t *msg_len, bool *is_keepalive)
{
    const char *p = (const char *)data;
    *msg_len = 0;
    *is_keepalive = false;
    if (!data || len == 0) return PROTO_INCOMPLETE;
    if (max_header_bytes == 0) max_header_bytes = SIP_FRAME_DEFAULT_MAX_HDR;

    /* RFC 5626 keep-alives: CRLFCRLF ping, CRLF pong */
    if (p[0] == '\r') {
        if (len < 2) return PROTO_INCOMPLETE;
        if (p[1] != '\n') return PROTO_INVALID;
        *is_keepalive = true;
        if (len >= 4 && p[2] == '\r' && p[3] == '\n') {
            *msg_len = 4;
        } else if (len == 3 && p[2] == '\r') {
            *is_keepalive = false;
            return PROTO_INCOMPLETE;
        } else {
            *msg_len = 2;
        }
        return PROTO_OK;
    }

    size_t scan = len < max_header_bytes ? len : max_header_bytes;
    proto_status_t st = probe_start(p, scan);
    if (st != PROTO_OK)
        return (st == PROTO_INCOMPLETE && len >= max_header_bytes) ? PROTO_INVALID : st;

    /* find the blank line, noting Content-Length on the way */
    const char *q = p, *hend = p + scan;
    long clen = -1;
    bool bad_cl = false;
    const char *body = NULL;
    bool first = true;
    while (q < hend) {
        const char *nl = memchr(q, '\n', (size_t)(hend - q));
        if (!nl) break;
        const char *line = q;
        q = nl + 1;
        if (first) {
            first = false;
            continue;
        }
        if (nl == line || (nl == line + 1 && line[0] == '\r')) {
            body = q;
            break;
        }
        if (is_ws(line[0]) || clen >= 0 || bad_cl) continue;
        const char *c = memchr(line, ':', (size_t)(nl - line));
        if (!c) continue;
        const char *ne = c;
        while (ne > line && is_ws(ne[-1]))
            ne--;
        if (hdr_id(line, (size_t)(ne - line)) != HDR_CONTENT_LENGTH) continue;
        /* the value may be folded onto following lines */
        const char *ve = nl;
        while (ve + 1 < hend && is_ws(ve[1])) {
            const char *nl2 = memchr(ve + 1, '\n', (size_t)(hend - ve - 1));
            if (!nl2) break;
            ve = nl2;
        }
        uint64_t n;
        if (parse_uint(sv_make(c + 1, (size_t)(ve - c - 1)), SIP_FRAME_MAX_BODY, &n))
            clen = (long)n;
        else
            bad_cl = true;
    }
    if (!body) return len >= max_header_bytes ? PROTO_INVALID : PROTO_INCOMPLETE;
    if (bad_cl) return PROTO_INVALID;
    size_t total = (size_t)(body - p) + (clen > 0 ? (size_t)clen : 0);
    if (total > len) return PROTO_INCOMPLETE;
    *msg_len = total;
    return PROTO_OK;
}
