/* copy.c - values in PostgreSQL's COPY text format.
 *
 * The writer sends rows with COPY ... FROM STDIN in text format: one line
 * per row, values separated by tabs, \N for NULL, backslash escapes for
 * backslash, tab, newline and carriage return.  Text is simpler to produce
 * than the binary format (no per-type wire encodings: timestamps, inet,
 * jsonb) and its cost is in the formatting we would do anyway.
 *
 * Everything here is hostile input from the wire: a text value that is not
 * well-formed UTF-8 (the database is UTF-8 and refuses it) has each bad
 * byte replaced by U+FFFD, as the JSON contract does, and a NUL (which text
 * cannot hold) too.  The raw SIP message goes to a bytea column, so
 * it is stored byte for byte whatever it holds (escape format, see
 * st__copy_bytea).
 */
#include "st_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void st__copy_sep(buf_t *b)
{
    buf_putc(b, '\t');
}

void st__copy_end(buf_t *b)
{
    buf_putc(b, '\n');
}

void st__copy_null(buf_t *b)
{
    buf_append(b, "\\N", 2);
}

static size_t st__utf8_len(const uint8_t *p, size_t avail)
{
    uint32_t cp;
    return text_utf8_seq(p, avail, &cp);
}

void st__copy_text(buf_t *b, const char *text, size_t n)
{
    const uint8_t *p = (const uint8_t *)text;
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '\\')
            run++;
        if (run > i) {
            buf_append(b, p + i, run - i);
            i = run;
            continue;
        }
        uint8_t c = p[i];
        if (c == '\\') {
            buf_append(b, "\\\\", 2), i++;
        } else if (c == '\t') {
            buf_append(b, "\\t", 2), i++;
        } else if (c == '\n') {
            buf_append(b, "\\n", 2), i++;
        } else if (c == '\r') {
            buf_append(b, "\\r", 2), i++;
        } else if (c == 0) {
            buf_append(b, "\xef\xbf\xbd", 3), i++;
        } else if (c < 0x80) { /* other controls: text holds them */
            buf_putc(b, (char)c), i++;
        } else {
            size_t k = st__utf8_len(p + i, n - i);
            if (k) {
                buf_append(b, p + i, k), i += k;
            } else {
                buf_append(b, "\xef\xbf\xbd", 3), i++;
            }
        }
    }
}

void st__copy_cstr(buf_t *b, const char *s, bool null_empty)
{
    if (!s || (null_empty && !s[0]))
        st__copy_null(b);
    else
        st__copy_text(b, s, strlen(s));
}

void st__copy_sv(buf_t *b, sv_t s, bool null_empty)
{
    if (!s.p || (null_empty && !s.len))
        st__copy_null(b);
    else
        st__copy_text(b, s.p, s.len);
}

/* Decimal digits of v at the end of out[24]; returns where they start. */
static char *st__digits(char *end, uint64_t v)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

/* n digits of v, zero-padded. */
static void st__pad(char *out, unsigned v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        out[i] = (char)('0' + v % 10);
}

/* 2024-03-01 12:00:00.123456+00: timestamptz input, microseconds (the
 * column's precision; nanoseconds are cut, as the JSON contract does).
 * Written by hand, not printf: a stored call has some twenty timestamps,
 * and most fall in the second before (each thread keeps the date and time
 * of the last second it wrote). */
void st__copy_ts(buf_t *b, int64_t ts_ns)
{
    static _Thread_local int64_t last_sec = -1;
    static _Thread_local char last[19]; /* YYYY-MM-DD HH:MM:SS */
    if (ts_ns <= 0) {
        st__copy_null(b);
        return;
    }
    int64_t sec = ts_ns / NS_PER_SEC;
    unsigned us = (unsigned)((ts_ns % NS_PER_SEC) / 1000);
    if (sec != last_sec) {
        time_t t = (time_t)sec;
        struct tm tm;
        if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999) {
            st__copy_null(b);
            return;
        }
        st__pad(last, (unsigned)(tm.tm_year + 1900), 4), last[4] = '-';
        st__pad(last + 5, (unsigned)tm.tm_mon + 1, 2), last[7] = '-';
        st__pad(last + 8, (unsigned)tm.tm_mday, 2), last[10] = ' ';
        st__pad(last + 11, (unsigned)tm.tm_hour, 2), last[13] = ':';
        st__pad(last + 14, (unsigned)tm.tm_min, 2), last[16] = ':';
        st__pad(last + 17, (unsigned)tm.tm_sec, 2);
        last_sec = sec;
    }
    char s[30];
    memcpy(s, last, 19);
    s[19] = '.';
    st__pad(s + 20, us, 6);
    memcpy(s + 26, "+00", 3);
    buf_append(b, s, 29);
}

/* Integers by hand, not printf (dozens per stored call). */
void st__copy_int(buf_t *b, int64_t v)
{
    char s[24];
    char *end = s + sizeof s;
    char *p = st__digits(end, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
    if (v < 0) *--p = '-';
    buf_append(b, p, (size_t)(end - p));
}

void st__copy_double(buf_t *b, double v, int decimals, bool null_negative)
{
    if (!isfinite(v) || (null_negative && v < 0))
        st__copy_null(b);
    else if (decimals >= 0)
        buf_printf(b, "%.*f", decimals, v);
    else
        buf_printf(b, "%.17g", v);
}

void st__copy_bool(buf_t *b, bool v)
{
    buf_putc(b, v ? 't' : 'f');
}

void st__copy_inet(buf_t *b, const ip_addr_t *a)
{
    char s[64];
    if (a->family == IP_NONE || ip_addr_format(a, s, sizeof s) == 0)
        st__copy_null(b);
    else
        buf_append(b, s, strlen(s));
}

void st__copy_port(buf_t *b, const endpoint_t *e)
{
    if (e->ip.family == IP_NONE)
        st__copy_null(b);
    else
        st__copy_int(b, e->port);
}

/* bytea in its escape format, not hex: printable ASCII (almost all of a
 * SIP message) goes as it is, a backslash as two, any other byte as \ooo;
 * about 1.2 bytes per byte of SIP against hex's 2, and PostgreSQL parses
 * it as fast.  Every escape is doubled once more for COPY text. */
void st__copy_bytea(buf_t *b, const void *data, size_t n)
{
    const uint8_t *p = data;
    char tmp[1024];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k > sizeof tmp - 8) buf_append(b, tmp, k), k = 0;
        uint8_t c = p[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            tmp[k++] = (char)c;
        } else if (c == '\\') {
            memcpy(tmp + k, "\\\\\\\\", 4), k += 4;
        } else {
            tmp[k++] = '\\', tmp[k++] = '\\';
            tmp[k++] = (char)('0' + (c >> 6)), tmp[k++] = (char)('0' + ((c >> 3) & 7));
            tmp[k++] = (char)('0' + (c & 7));
        }
    }
    buf_append(b, tmp, k);
}

/* bytea in hex format, for binary values (a compressed message): two
 * characters per byte against the escape format's four or five; the
 * leading backslash doubled for COPY text. */
void st__copy_bytea_hex(buf_t *b, const void *data, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *p = data;
    char tmp[1024];
    size_t k = 0;
    buf_append(b, "\\\\x", 3);
    for (size_t i = 0; i < n; i++) {
        if (k > sizeof tmp - 2) buf_append(b, tmp, k), k = 0;
        tmp[k++] = hex[p[i] >> 4], tmp[k++] = hex[p[i] & 15];
    }
    buf_append(b, tmp, k);
}

void st__copy_uuid(buf_t *b, const st__uuid_t *u)
{
    static const char hex[] = "0123456789abcdef";
    char s[37];
    size_t k = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) s[k++] = '-';
        s[k++] = hex[u->b[i] >> 4];
        s[k++] = hex[u->b[i] & 15];
    }
    buf_append(b, s, k);
}
