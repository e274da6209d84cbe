/* sip_uri.c - SIP name-addr / addr-spec values and header parameters.
 *
 * Implements the pieces of the RFC 3261 section 25 grammar that a passive
 * monitor needs from From/To/Contact-style values:
 *
 *   name-addr = [ display-name ] LAQUOT addr-spec RAQUOT
 *   addr-spec = SIP-URI / SIPS-URI / absoluteURI
 *   from-spec = ( name-addr / addr-spec ) *( SEMI from-param )
 *
 * and ";name=value" parameter lookup (sip_param_get).
 *
 * Design: zero-copy and total.  Every result is a view into the caller's
 * value; nothing is unescaped or allocated.  Values may still contain folded
 * line breaks (CRLF followed by SP/HTAB), so CR and LF count as linear white
 * space everywhere here.  Parsing is lenient where being lenient is harmless
 * (LWS inside <>, display names that are not tokens, RFC 2543 addr-specs) and
 * fails only when no URI can be found at all.
 */
#include "proto.h"

#include <string.h>

/* -------------------------- small character helpers ---------------------- */

static inline bool is_lws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
static inline bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}
static inline bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline const char *skip_lws(const char *p, const char *end)
{
    while (p < end && is_lws(*p))
        p++;
    return p;
}

/* Skips a quoted-string starting at p (which points at the opening quote).
 * Returns the position after the closing quote, or NULL when unterminated. */
static const char *skip_quoted(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\') {
            if (++p >= end) return NULL;
        } else if (*p == '"') {
            return p + 1;
        }
    }
    return NULL;
}

/* ------------------------------- parameters ------------------------------- */

/* Contract in proto.h.  Parameters are looked for after the first ';' that is
 * outside quotes and outside <...>; scanning stops at the first top-level ','
 * (so for a comma list only the first element is searched).  LWS is allowed
 * around ';' and '='.  A quoted value is returned without its quotes. */
sv_t sip_param_get(sv_t value, const char *name)
{
    if (!value.p) return SV_NULL;
    const char *p = value.p, *end = value.p + value.len;
    size_t nlen = strlen(name);

    while (p < end) {
        char c = *p;
        if (c == '"') {
            p = skip_quoted(p, end);
            if (!p) return SV_NULL;
            continue;
        }
        if (c == '<') {
            const char *q = memchr(p, '>', (size_t)(end - p));
            if (!q) return SV_NULL;
            p = q + 1;
            continue;
        }
        if (c == ',') return SV_NULL;
        if (c != ';') {
            p++;
            continue;
        }
        /* a parameter: name [ = value ] */
        p = skip_lws(p + 1, end);
        const char *n = p;
        while (p < end && !is_lws(*p) && *p != '=' && *p != ';' && *p != ',' && *p != '>')
            p++;
        sv_t pname = sv_make(n, (size_t)(p - n));
        const char *after = skip_lws(p, end);
        bool has_value = after < end && *after == '=';
        bool match = pname.len == nlen && sv_ieq(pname, sv_make(name, nlen));
        if (!has_value) {
            if (match) return sv_make(p, 0);
            p = after;
            continue;
        }
        p = skip_lws(after + 1, end);
        const char *v = p;
        sv_t pval;
        if (p < end && *p == '"') {
            const char *q = skip_quoted(p, end);
            if (!q) return SV_NULL;
            pval = sv_make(v + 1, (size_t)(q - v - 2));
            p = q;
        } else {
            while (p < end && !is_lws(*p) && *p != ';' && *p != ',' && *p != '>')
                p++;
            pval = sv_make(v, (size_t)(p - v));
        }
        if (match) return pval;
    }
    return SV_NULL;
}

/* ---------------------------------- URIs ---------------------------------- */

/* Splits a URI (no <>) into scheme, user, host and port.  Returns false when
 * there is no "scheme:" prefix. */
static bool parse_uri(sv_t uri, sip_name_addr_t *out)
{
    const char *p = uri.p, *end = uri.p + uri.len;
    if (p >= end || !is_alpha(*p)) return false;
    const char *s = p;
    while (p < end && (is_alpha(*p) || is_digit(*p) || *p == '+' || *p == '-' || *p == '.'))
        p++;
    if (p >= end || *p != ':') return false;
    out->scheme = sv_make(s, (size_t)(p - s));
    p++;

    if (sv_ieq_cstr(out->scheme, "tel")) {
        const char *u = p;
        while (p < end && *p != ';' && *p != '?')
            p++;
        out->user = sv_make(u, (size_t)(p - u));
        return true;
    }
    if (p + 1 < end && p[0] == '/' && p[1] == '/') p += 2; /* absoluteURI hier-part */

    /* userinfo: everything up to the first '@' (';' and '?' may appear in the
     * user part, RFC 3261 user-unreserved; '@' never appears unescaped in
     * parameters or headers). */
    const char *hp = p;
    const char *at = memchr(p, '@', (size_t)(end - p));
    if (at) {
        const char *u = p;
        const char *colon = memchr(u, ':', (size_t)(at - u));
        out->user = sv_make(u, (size_t)((colon ? colon : at) - u));
        hp = at + 1;
    }

    p = hp;
    if (p < end && *p == '[') {
        const char *rb = memchr(p, ']', (size_t)(end - p));
        if (!rb) return true; /* scheme found; host unusable */
        p = rb + 1;
    } else {
        while (p < end && *p != ':' && *p != ';' && *p != '?' && *p != '/' && !is_lws(*p))
            p++;
    }
    out->host = sv_make(hp, (size_t)(p - hp));
    if (p < end && *p == ':') {
        uint32_t port = 0;
        const char *d = ++p;
        while (p < end && is_digit(*p) && p - d < 6)
            port = port * 10 + (uint32_t)(*p++ - '0');
        out->port = (p > d && port <= 65535 && (p == end || !is_digit(*p))) ? (uint16_t)port : 0;
    }
    return true;
}

/* Contract in proto.h.  Accepted forms:
 *   "Display \"x\"" <uri> ;params      quoted display name (escapes kept)
 *   Display Name<uri>;params            token display name, LWS optional
 *   uri;params                          addr-spec: params are header params
 * LWS inside <> is tolerated.  The tag is the header parameter ;tag=. */
bool sip_parse_name_addr(sv_t value, sip_name_addr_t *out)
{
    memset(out, 0, sizeof *out);
    value = sv_trim(value);
    if (value.len == 0) return false;
    const char *p = value.p, *end = value.p + value.len;

    sv_t params;
    const char *lt = NULL;
    if (*p == '"') {
        const char *q = skip_quoted(p, end);
        if (!q) return false;
        out->display = sv_make(p + 1, (size_t)(q - p - 2));
        p = skip_lws(q, end);
        if (p >= end || *p != '<') return false;
        lt = p;
    } else {
        /* '<' before any ';' or ',' means name-addr with a token display. */
        for (const char *q = p; q < end && *q != ';' && *q != ','; q++) {
            if (*q == '<') {
                lt = q;
                break;
            }
        }
        if (lt) out->display = sv_trim(sv_make(p, (size_t)(lt - p)));
    }

    if (lt) {
        const char *gt = memchr(lt, '>', (size_t)(end - lt));
        if (!gt) return false;
        out->uri = sv_trim(sv_make(lt + 1, (size_t)(gt - lt - 1)));
        params = sv_make(gt + 1, (size_t)(end - gt - 1));
    } else {
        const char *u = p;
        while (p < end && *p != ';' && *p != ',' && !is_lws(*p))
            p++;
        out->uri = sv_make(u, (size_t)(p - u));
        params = sv_make(p, (size_t)(end - p));
    }
    if (!parse_uri(out->uri, out)) return false;
    out->tag = sip_param_get(params, "tag");
    return true;
}
