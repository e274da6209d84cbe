/* sv.c - string views: comparisons, trimming and strict number parsing over
 * non-owned, non-terminated byte ranges.  Every function stays inside
 * [p, p+len). */
#include "core.h"

#include <string.h>

static inline char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}
static inline bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

sv_t sv_from_cstr(const char *s)
{
    return s ? sv_make(s, strlen(s)) : SV_NULL;
}

bool sv_eq(sv_t a, sv_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

bool sv_ieq(sv_t a, sv_t b)
{
    if (a.len != b.len) return false;
    for (size_t i = 0; i < a.len; i++)
        if (ascii_lower(a.p[i]) != ascii_lower(b.p[i])) return false;
    return true;
}

bool sv_ieq_cstr(sv_t a, const char *s)
{
    return sv_ieq(a, sv_from_cstr(s));
}

bool sv_istarts_with(sv_t a, const char *prefix)
{
    size_t n = strlen(prefix);
    return a.len >= n && sv_ieq(sv_make(a.p, n), sv_make(prefix, n));
}

sv_t sv_trim(sv_t v)
{
    while (v.len && is_space(v.p[0]))
        v.p++, v.len--;
    while (v.len && is_space(v.p[v.len - 1]))
        v.len--;
    return v;
}

long sv_index_of(sv_t v, char c)
{
    if (!v.len) return -1;
    const char *q = memchr(v.p, c, v.len);
    return q ? (long)(q - v.p) : -1;
}

long sv_ifind(sv_t hay, sv_t needle)
{
    if (needle.len == 0) return 0;
    if (needle.len > hay.len) return -1;
    for (size_t i = 0; i + needle.len <= hay.len; i++)
        if (sv_ieq(sv_make(hay.p + i, needle.len), needle)) return (long)i;
    return -1;
}

bool sv_to_u64(sv_t v, uint64_t max, uint64_t *out)
{
    v = sv_trim(v);
    if (v.len == 0 || v.len > 20) return false;
    uint64_t x = 0;
    for (size_t i = 0; i < v.len; i++) {
        char c = v.p[i];
        if (c < '0' || c > '9') return false;
        uint64_t d = (uint64_t)(c - '0');
        if (x > (max - d) / 10) return false;
        x = x * 10 + d;
    }
    *out = x;
    return true;
}

size_t sv_copy_cstr(sv_t v, char *dst, size_t n)
{
    if (n == 0) return 0;
    size_t k = v.len < n - 1 ? v.len : n - 1;
    if (k) memcpy(dst, v.p, k);
    dst[k] = '\0';
    return k;
}
