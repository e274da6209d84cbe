/* json.c - a minimal streaming JSON writer.  Strings from the network are
 * escaped and UTF-8-validated so hostile bytes can never break the output. */
#include "core.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void json_init(json_writer_t *w, buf_t *out)
{
    w->out = out;
    w->depth = 0;
    w->need_comma[0] = false;
}

static void json_sep(json_writer_t *w)
{
    if (w->need_comma[w->depth]) buf_putc(w->out, ',');
    w->need_comma[w->depth] = true;
}

static void json_open(json_writer_t *w, char c)
{
    json_sep(w);
    buf_putc(w->out, c);
    if (w->depth < 15) w->depth++;
    w->need_comma[w->depth] = false;
}

static void json_close(json_writer_t *w, char c)
{
    buf_putc(w->out, c);
    if (w->depth > 0) w->depth--;
}

void json_obj_begin(json_writer_t *w)
{
    json_open(w, '{');
}
void json_obj_end(json_writer_t *w)
{
    json_close(w, '}');
}
void json_arr_begin(json_writer_t *w)
{
    json_open(w, '[');
}
void json_arr_end(json_writer_t *w)
{
    json_close(w, ']');
}

static void json_escaped(buf_t *b, const unsigned char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    buf_putc(b, '"');
    size_t i = 0;
    while (i < n) {
        /* the common case: a run of printable ASCII copied in one go */
        size_t run = i;
        while (run < n && s[run] >= 0x20 && s[run] < 0x7f && s[run] != '"' && s[run] != '\\')
            run++;
        if (run > i) {
            buf_append(b, s + i, run - i);
            i = run;
            continue;
        }
        unsigned char c = s[i];
        if (c < 0x80) {
            if (c == '"' || c == '\\') {
                buf_putc(b, '\\'), buf_putc(b, (char)c);
            } else if (c < 0x20 || c == 0x7f) {
                char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                buf_append(b, e, 6);
            } else {
                buf_putc(b, (char)c);
            }
            i++;
            continue;
        }
        uint32_t cp = 0;
        size_t seq = text_utf8_seq(s + i, n - i, &cp);
        size_t need = seq ? seq - 1 : 0;
        bool ok = seq != 0;
        if (ok && text_cp_is_control(cp)) { /* all of them are in the BMP */
            char e[6] = {'\\',        'u', hex[cp >> 12], hex[(cp >> 8) & 15], hex[(cp >> 4) & 15],
                         hex[cp & 15]};
            buf_append(b, e, 6);
            i += need + 1;
        } else if (ok) {
            buf_append(b, s + i, need + 1);
            i += need + 1;
        } else {
            buf_append(b, "\xef\xbf\xbd", 3); /* U+FFFD */
            i++;
        }
    }
    buf_putc(b, '"');
}

void json_key(json_writer_t *w, const char *key)
{
    json_sep(w);
    /* keys are the program's own names: plain ASCII goes out as it is */
    size_t n = strlen(key);
    bool plain = n < 64;
    for (size_t i = 0; plain && i < n; i++)
        plain = key[i] >= 0x20 && key[i] < 0x7f && key[i] != '"' && key[i] != '\\';
    if (plain) {
        char t[68];
        t[0] = '"';
        memcpy(t + 1, key, n);
        t[n + 1] = '"';
        t[n + 2] = ':';
        buf_append(w->out, t, n + 3);
    } else {
        json_escaped(w->out, (const unsigned char *)key, n);
        buf_putc(w->out, ':');
    }
    w->need_comma[w->depth] = false; /* the value follows without a comma */
}

/* After a key the value must not emit a comma; json_sep handles that because
 * json_key cleared need_comma, and the value sets it again. */
void json_str(json_writer_t *w, sv_t s)
{
    json_sep(w);
    json_escaped(w->out, (const unsigned char *)s.p, s.p ? s.len : 0);
}

void json_cstr(json_writer_t *w, const char *s)
{
    if (!s)
        json_null(w);
    else
        json_str(w, sv_from_cstr(s));
}

void json_null(json_writer_t *w)
{
    json_sep(w), buf_append(w->out, "null", 4);
}
void json_bool(json_writer_t *w, bool v)
{
    json_sep(w), buf_printf(w->out, v ? "true" : "false");
}
/* Integers are formatted by hand: they are most of an NDJSON record. */
static void json_digits(buf_t *b, uint64_t v, bool negative)
{
    char tmp[24];
    size_t n = sizeof tmp;
    do {
        tmp[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (negative) tmp[--n] = '-';
    buf_append(b, tmp + n, sizeof tmp - n);
}

void json_int(json_writer_t *w, int64_t v)
{
    json_sep(w);
    json_digits(w->out, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, v < 0);
}
void json_uint(json_writer_t *w, uint64_t v)
{
    json_sep(w);
    json_digits(w->out, v, false);
}

/* "%.*f" of v without printf when that is provably the same text: v is
 * scaled by 10^decimals (exact powers of ten; one rounding, relative error
 * <= 2^-53), and when the scaled value's fraction is clearly away from
 * one half the rounded integer is the one printf's exact decimal rounding
 * gives; its digits are then written with the point put back.  Near a
 * tie, or for magnitudes past 2^52, or more than 9 decimals, printf
 * decides.  Output records hold hundreds of such numbers each: printf was
 * a tenth of `siphon analyze`'s instructions on 10,000 calls. */
static bool fixed_fast(buf_t *b, double v, int decimals)
{
    static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
    if (decimals < 0 || decimals > 9) return false;
    bool neg = signbit(v);
    double a = neg ? -v : v;
    double scaled = a * pow10[decimals];
    if (!(scaled < 4503599627370496.0)) return false; /* 2^52 */
    double fl = floor(scaled);
    double frac = scaled - fl; /* exact: fl and scaled are close */
    double margin = scaled * 0x1p-50 + 0x1p-60;
    if (fabs(frac - 0.5) <= margin) return false; /* too close to a tie */
    uint64_t n = (uint64_t)fl + (frac > 0.5);
    char tmp[40];
    size_t k = sizeof tmp;
    int d = 0;
    do {
        if (d == decimals && decimals > 0) tmp[--k] = '.';
        tmp[--k] = (char)('0' + n % 10);
        n /= 10;
        d++;
    } while (n || d <= decimals);
    if (neg) tmp[--k] = '-';
    buf_append(b, tmp + k, sizeof tmp - k);
    return true;
}

void json_double(json_writer_t *w, double v, int decimals)
{
    if (!isfinite(v)) {
        json_null(w);
        return;
    }
    json_sep(w);
    if (!fixed_fast(w->out, v, decimals)) buf_printf(w->out, "%.*f", decimals, v);
}

void json_ts(json_writer_t *w, int64_t ts_ns)
{
    if (ts_ns <= 0) {
        json_null(w);
        return;
    }
    char t[40];
    size_t n = ts_format_rfc3339(ts_ns, t, sizeof t);
    json_str(w, sv_make(t, n));
}

void json_ip(json_writer_t *w, const ip_addr_t *a)
{
    if (a->family == IP_NONE) {
        json_null(w);
        return;
    }
    char t[IP_STR_MAX];
    size_t n = ip_addr_format(a, t, sizeof t);
    json_str(w, sv_make(t, n));
}
