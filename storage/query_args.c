/* query_args.c - the words of `siphon calls` turned into filter values:
 * times (a duration back from now or an RFC 3339 time), user and Call-ID
 * patterns with '*' wildcards, call states, final codes, addresses and a
 * MOS threshold.
 *
 * They are what an operator types (tcpdump and sngrep habits), so every
 * refusal says what was expected.  Nothing here touches the database:
 * query.c turns a filter into SQL with parameters, and the unit tests run
 * these functions alone.  Time arithmetic is done by hand on the proleptic
 * Gregorian calendar (no TZ variable, no locale): an RFC 3339 time names
 * its offset itself.
 */
#include "correlator.h"
#include "storage.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Times                                                                     */
/* ------------------------------------------------------------------------ */

/* The latest time a capture may hold (capture.h CAP_TS_MAX_NS), in s. */
#define QA__MAX_S (((INT64_C(1) << 62) - 1) / NS_PER_SEC)

/* Days from 1970-01-01 to y-m-d (Hinnant's days_from_civil). */
static int64_t qa__days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static unsigned qa__days_in_month(unsigned y, unsigned m)
{
    static const unsigned dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

/* n decimal digits at *p into *v; advances *p. */
static bool qa__digits(const char **p, int n, unsigned *v)
{
    unsigned x = 0;
    for (int i = 0; i < n; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9') return false;
        x = x * 10 + (unsigned)((*p)[i] - '0');
    }
    *p += n;
    *v = x;
    return true;
}

/* RFC 3339 (date alone allowed: midnight UTC; a missing offset: UTC). */
static bool qa__rfc3339(const char *s, int64_t *out)
{
    const char *p = s;
    unsigned y, mo, d, h = 0, mi = 0, sec = 0;
    int64_t frac_ns = 0, offset_s = 0;
    if (!qa__digits(&p, 4, &y) || *p++ != '-' || !qa__digits(&p, 2, &mo) || *p++ != '-' ||
        !qa__digits(&p, 2, &d))
        return false;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > qa__days_in_month(y, mo)) return false;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (!qa__digits(&p, 2, &h) || *p++ != ':' || !qa__digits(&p, 2, &mi)) return false;
        if (*p == ':') {
            p++;
            if (!qa__digits(&p, 2, &sec)) return false;
            if (*p == '.') {
                p++;
                int nd = 0;
                int64_t scale = 100000000;
                while (*p >= '0' && *p <= '9') {
                    if (nd < 9) frac_ns += (*p - '0') * scale, scale /= 10;
                    nd++, p++;
                }
                if (nd == 0) return false;
            }
        }
        if (h > 23 || mi > 59 || sec > 60) return false;
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1;
            unsigned oh, om;
            if (!qa__digits(&p, 2, &oh) || *p++ != ':' || !qa__digits(&p, 2, &om) || oh > 23 ||
                om > 59)
                return false;
            offset_s = sign * (int64_t)(oh * 3600 + om * 60);
        }
    }
    if (*p) return false;
    int64_t days = qa__days_from_civil(y, mo, d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_s;
    if (secs < 0 || secs > QA__MAX_S) return false;
    *out = secs * NS_PER_SEC + frac_ns;
    return true;
}

/* "1h30m", "90s", "2d", "250ms": the sum; false on anything else. */
static bool qa__duration(const char *s, int64_t *out)
{
    const char *p = s;
    int64_t total = 0;
    if (!*p) return false;
    while (*p) {
        if (*p < '0' || *p > '9') return false;
        int64_t v = 0;
        while (*p >= '0' && *p <= '9') {
            if (v > INT64_MAX / 10 - 9) return false;
            v = v * 10 + (*p++ - '0');
        }
        int64_t unit;
        if (p[0] == 'm' && p[1] == 's')
            unit = NS_PER_MSEC, p += 2;
        else if (*p == 's')
            unit = NS_PER_SEC, p++;
        else if (*p == 'm')
            unit = 60 * NS_PER_SEC, p++;
        else if (*p == 'h')
            unit = 3600 * NS_PER_SEC, p++;
        else if (*p == 'd')
            unit = 86400 * NS_PER_SEC, p++;
        else if (*p == 'w')
            unit = 7 * 86400 * NS_PER_SEC, p++;
        else
            return false;
        int64_t part;
        if (__builtin_mul_overflow(v, unit, &part) || __builtin_add_overflow(total, part, &total))
            return false;
    }
    *out = total;
    return true;
}

int st_parse_when(const char *s, int64_t now_ns, int64_t *out_ns, char *err, size_t errlen)
{
    int64_t v;
    if (s && strcmp(s, "now") == 0) {
        *out_ns = now_ns;
        return 0;
    }
    if (s && qa__duration(s, &v)) {
        *out_ns = ts_sub_sat(now_ns, v);
        if (*out_ns < 0) *out_ns = 0;
        return 0;
    }
    if (s && qa__rfc3339(s, &v)) {
        *out_ns = v;
        return 0;
    }
    snprintf(err, errlen,
             "'%.64s' is neither a duration back from now (90s, 15m, 1h30m, 2d, 1w) nor an "
             "RFC 3339 time (2026-12-07T13:00:00Z, 2026-12-07)",
             s ? s : "");
    return -1;
}

/* ------------------------------------------------------------------------ */
/* Patterns                                                                  */
/* ------------------------------------------------------------------------ */

int st_parse_pattern(const char *s, st_pattern_t *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    if (!s || !*s) {
        snprintf(err, errlen, "an empty pattern (use * for any)");
        return -1;
    }
    char lit[ST_PATTERN_MAX + 1];
    size_t n = 0, star_at = 0;
    bool lead = false, trail = false;
    int middle = 0;
    bool prev_star = false; /* "**" counts as one star */
    for (const char *c = s; *c; c++) {
        char ch = *c;
        if (ch == '*') {
            if (n == 0)
                lead = true;
            else if (c[strspn(c, "*")] == '\0')
                trail = true;
            else if (!prev_star)
                middle++, star_at = n;
            prev_star = true;
            if (trail) break;
            continue;
        }
        prev_star = false;
        if (ch == '\\' && (c[1] == '*' || c[1] == '\\')) ch = *++c;
        if (n == ST_PATTERN_MAX) {
            snprintf(err, errlen, "a pattern of more than %d bytes", ST_PATTERN_MAX);
            return -1;
        }
        lit[n++] = ch;
    }
    lit[n] = '\0';
    if (middle > 1 || (middle && (lead || trail))) {
        snprintf(err, errlen,
                 "'%.64s': a '*' may stand at the start, at the end, or once in the middle "
                 "(\\* is a literal star)",
                 s);
        return -1;
    }
    if (n == 0) {
        p->kind = ST_PAT_ANY;
        return 0;
    }
    if (middle) {
        p->kind = ST_PAT_PREFIX_SUFFIX;
        memcpy(p->text, lit, star_at);
        p->text[star_at] = '\0';
        memcpy(p->suffix, lit + star_at, n - star_at + 1);
        return 0;
    }
    memcpy(p->text, lit, n + 1);
    p->kind = lead && trail ? ST_PAT_CONTAINS
              : lead        ? ST_PAT_SUFFIX
              : trail       ? ST_PAT_PREFIX
                            : ST_PAT_EXACT;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* State, code, address, MOS                                                 */
/* ------------------------------------------------------------------------ */

int st_parse_state(const char *s, st_calls_filter_t *f, char *err, size_t errlen)
{
    for (int k = CORR_CALL_UNANSWERED; k <= CORR_CALL_REJECTED; k++)
        if (s && strcmp(s, corr_call_state_name((corr_call_state_t)k)) == 0) {
            f->state = k + 1;
            return 0;
        }
    snprintf(err, errlen,
             "'%.64s' is not a call state (answered, rejected, busy, cancelled, unanswered)",
             s ? s : "");
    return -1;
}

int st_parse_code(const char *s, st_calls_filter_t *f, char *err, size_t errlen)
{
    if (s && strlen(s) == 3 && s[0] >= '1' && s[0] <= '6' && (s[1] == 'x' || s[1] == 'X') &&
        (s[2] == 'x' || s[2] == 'X')) {
        f->code_lo = (s[0] - '0') * 100;
        f->code_hi = f->code_lo + 99;
        return 0;
    }
    uint64_t v;
    if (s && sv_to_u64(sv_from_cstr(s), 999, &v) && v >= 100 && v <= 699) {
        f->code_lo = f->code_hi = (int)v;
        return 0;
    }
    snprintf(err, errlen, "'%.64s' is not a final code (100..699, or a class such as 5xx)",
             s ? s : "");
    return -1;
}

int st_parse_ip(const char *s, st_calls_filter_t *f, char *err, size_t errlen)
{
    ip_addr_t a;
    const char *slash = s ? strchr(s, '/') : NULL;
    size_t alen = s ? (slash ? (size_t)(slash - s) : strlen(s)) : 0;
    bool ok = s && alen < sizeof f->ip && ip_addr_parse(sv_make(s, alen), &a);
    uint64_t bits = 0;
    if (ok && slash)
        ok = sv_to_u64(sv_from_cstr(slash + 1), a.family == IP_V4 ? 32 : 128, &bits) &&
             slash[1] != '\0';
    if (!ok) {
        snprintf(err, errlen,
                 "'%.64s' is not an IP address or a network (10.0.0.1, 10.0.0.0/24, 2001:db8::/32)",
                 s ? s : "");
        return -1;
    }
    char txt[IP_STR_MAX];
    ip_addr_format(&a, txt, sizeof txt);
    if (slash)
        snprintf(f->ip, sizeof f->ip, "%s/%u", txt, (unsigned)bits);
    else
        snprintf(f->ip, sizeof f->ip, "%s", txt);
    f->has_ip = true;
    return 0;
}

int st_parse_mos(const char *s, st_calls_filter_t *f, char *err, size_t errlen)
{
    char *end = NULL;
    errno = 0;
    double v = s && *s ? strtod(s, &end) : NAN;
    if (!s || !*s || errno || !end || *end || !isfinite(v) || v <= 1.0 || v > 5.0) {
        snprintf(err, errlen, "'%.64s' is not a MOS threshold (above 1.0, at most 5.0)",
                 s ? s : "");
        return -1;
    }
    f->mos_below = v;
    f->has_mos_below = true;
    return 0;
}
