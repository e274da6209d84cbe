/* mime.c - MIME multipart body splitter (RFC 2046 section 5.1).
 *
 * Used to find the SDP inside SIP bodies such as SIPREC (RFC 7866:
 * application/sdp + application/rs-metadata+xml in multipart/mixed), SIP-T
 * (SDP + ISUP) and S/MIME.
 *
 *   multipart-body := [preamble CRLF] dash-boundary transport-padding CRLF
 *                     body-part *encapsulation close-delimiter ...
 *   delimiter      := CRLF dash-boundary      (dash-boundary := "--" boundary)
 *
 * Design: zero-copy, no allocation, no recursion (nesting is the caller's
 * business, see sip_find_sdp).  Lenient in the ways real senders need: bare
 * LF line ends, a missing close delimiter (the last part then runs to the
 * end of the body), boundary quoted or not.  A delimiter is only recognised
 * at the start of a line, so the boundary string appearing inside a part
 * does not split it.
 */
#include "proto.h"

#include <string.h>

#define MIME_MAX_BOUNDARY 200 /* RFC 2046 says 70; be generous */

static inline bool is_ws(char c)
{
    return c == ' ' || c == '\t';
}

/* Finds the next "--boundary" that starts a line at or after p (p itself is
 * taken as a line start when at_line_start).  Returns its position or NULL. */
static const char *find_delim(const char *p, const char *end, sv_t boundary, bool at_line_start)
{
    while (p < end) {
        if (at_line_start && (size_t)(end - p) >= boundary.len + 2 && p[0] == '-' && p[1] == '-' &&
            memcmp(p + 2, boundary.p, boundary.len) == 0) {
            const char *after = p + 2 + boundary.len;
            if (after == end || *after == '-' || *after == '\r' || *after == '\n' || is_ws(*after))
                return p;
        }
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) return NULL;
        p = nl + 1;
        at_line_start = true;
    }
    return NULL;
}

/* Contract in proto.h: a header of a part's block by name (or compact
 * name), folded continuation lines included. */
sv_t mime_part_header(sv_t headers, const char *name, const char *compact)
{
    if (!headers.p) return SV_NULL;
    const char *p = headers.p, *end = headers.p + headers.len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *colon = memchr(p, ':', (size_t)(le - p));
        if (colon && !is_ws(p[0])) {
            sv_t hn = sv_trim(sv_make(p, (size_t)(colon - p)));
            if (sv_ieq_cstr(hn, name) || (compact && sv_ieq_cstr(hn, compact))) {
                /* include folded continuation lines */
                while (nl && nl + 1 < end && is_ws(nl[1])) {
                    const char *n2 = memchr(nl + 1, '\n', (size_t)(end - nl - 1));
                    le = n2 ? n2 : end;
                    nl = n2;
                }
                return sv_trim(sv_make(colon + 1, (size_t)(le - colon - 1)));
            }
        }
        if (!nl) break;
        p = nl + 1;
    }
    return SV_NULL;
}

/* Content-Type of a part's header block (full or compact name), or
 * "text/plain" (RFC 2046 5.1 default). */
static sv_t part_content_type(sv_t headers)
{
    sv_t v = mime_part_header(headers, "content-type", "c");
    return v.p ? v : SV_LIT("text/plain");
}

/* Splits one part [p, end) into header block and body at the first empty
 * line.  A part that starts with an empty line has no headers. */
static void split_part(const char *p, const char *end, mime_part_t *part)
{
    const char *q = p;
    const char *body = end, *hend = end;
    while (q < end) {
        if (*q == '\n') {
            hend = q;
            body = q + 1;
            break;
        }
        if (*q == '\r' && q + 1 < end && q[1] == '\n') {
            hend = q;
            body = q + 2;
            break;
        }
        const char *nl = memchr(q, '\n', (size_t)(end - q));
        if (!nl) break;
        q = nl + 1;
    }
    part->headers = sv_make(p, (size_t)(hend - p));
    part->body = sv_make(body, (size_t)(end - body));
    part->content_type = part_content_type(part->headers);
}

/* Contract in proto.h. */
int mime_multipart_parse(sv_t content_type, sv_t body, mime_part_t *parts, int max_parts)
{
    sv_t boundary = sip_param_get(content_type, "boundary");
    if (!boundary.p || boundary.len == 0 || boundary.len > MIME_MAX_BOUNDARY || !body.p) return -1;

    const char *end = body.p + body.len;
    const char *d = find_delim(body.p, end, boundary, true);
    if (!d) return -1;

    int n = 0;
    while (d && n < max_parts) {
        const char *p = d + 2 + boundary.len;
        if (end - p >= 2 && p[0] == '-' && p[1] == '-') break; /* close delimiter */
        /* transport padding up to the end of the delimiter line */
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) break;
        const char *start = nl + 1;
        const char *next = find_delim(start, end, boundary, true);
        const char *pend = next ? next : end;
        /* the line break before the next delimiter belongs to it */
        if (next && pend > start && pend[-1] == '\n') pend--;
        if (next && pend > start && pend[-1] == '\r') pend--;
        split_part(start, pend, &parts[n++]);
        d = next;
    }
    return n;
}
