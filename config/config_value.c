/* config_value.c - one configuration value: the lexer (quotes, escapes,
 * inline comments, comma-separated lists), the conversion to each key type
 * with its range check, and config_defaults()/config_free().
 *
 * Design: a value is lexed into items first (one item for every type but
 * lists), unquoted and unescaped into a bounded scratch buffer on the stack,
 * then converted.  Nothing in cfg changes until the whole value is known to
 * be good, so a bad value leaves the previous one (the default) in place.
 *
 * Lexing rules:
 *  - leading and trailing blanks (SP, HTAB) of a value or list item go;
 *  - "..." quotes a value or item: inside, \" and \\ are the only escapes,
 *    and # ; , are plain characters; only blanks, a comment, or (in a list)
 *    a comma may follow the closing quote;
 *  - unquoted, '#' or ';' at the start of the value or after a blank starts
 *    a comment (in files only; command-line values have no comments);
 *  - control characters other than HTAB are refused; other bytes are kept.
 */
#include "config_internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char text[CONFIG_VALUE_MAX + CONFIG_LIST_MAX + 1]; /* items, each NUL-terminated */
    size_t used;
    struct {
        uint32_t off, len;
    } item[CONFIG_LIST_MAX];
    uint32_t count;
} lexed_t;

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool comment_at(sv_t raw, size_t i, bool comments)
{
    return comments && (raw.p[i] == '#' || raw.p[i] == ';') && (i == 0 || is_blank(raw.p[i - 1]));
}

static bool lex_fail(char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
    return false;
}

static bool lex_value(sv_t raw, bool list, bool comments, lexed_t *lx, char *err, size_t errlen)
{
    const char *p = raw.p;
    size_t i = 0, n = raw.len, content = 0;
    lx->used = 0;
    lx->count = 0;
    while (i < n && is_blank(p[i]))
        i++;
    if (i == n || comment_at(raw, i, comments)) {
        if (!list) { /* an empty string */
            lx->item[0].off = 0, lx->item[0].len = 0;
            lx->text[lx->used++] = '\0';
            lx->count = 1;
        }
        return true;
    }
    for (;;) {
        if (lx->count == CONFIG_LIST_MAX) {
            snprintf(err, errlen, "more than %d items in the list", CONFIG_LIST_MAX);
            return false;
        }
        size_t off = lx->used;
        bool quoted = p[i] == '"';
        if (quoted) {
            i++;
            for (;;) {
                if (i == n) return lex_fail(err, errlen, "missing closing quote");
                char c = p[i];
                if (c == '"') {
                    i++;
                    break;
                }
                if (c == '\\') {
                    if (i + 1 == n) return lex_fail(err, errlen, "missing closing quote");
                    c = p[i + 1];
                    if (c != '"' && c != '\\') {
                        snprintf(err, errlen,
                                 "unknown escape '\\%c' in a quoted value (only \\\" and \\\\)",
                                 (unsigned char)c < 0x80 ? c : '?');
                        return false;
                    }
                    i += 2;
                } else {
                    i++;
                }
                if (content == CONFIG_VALUE_MAX) {
                    snprintf(err, errlen, "value longer than %d bytes", CONFIG_VALUE_MAX);
                    return false;
                }
                lx->text[lx->used++] = c;
                content++;
            }
        } else {
            size_t s = i;
            while (i < n && !(list && p[i] == ',') && !comment_at(raw, i, comments))
                i++;
            size_t e = i;
            while (e > s && is_blank(p[e - 1]))
                e--;
            if (e == s) return lex_fail(err, errlen, "empty item in the list");
            if (content + (e - s) > CONFIG_VALUE_MAX) {
                snprintf(err, errlen, "value longer than %d bytes", CONFIG_VALUE_MAX);
                return false;
            }
            memcpy(lx->text + lx->used, p + s, e - s);
            lx->used += e - s;
            content += e - s;
        }
        lx->item[lx->count].off = (uint32_t)off;
        lx->item[lx->count].len = (uint32_t)(lx->used - off);
        lx->text[lx->used++] = '\0';
        lx->count++;

        while (i < n && is_blank(p[i]))
            i++;
        if (i == n || (comments && (p[i] == '#' || p[i] == ';'))) return true;
        if (list && p[i] == ',') {
            i++;
            while (i < n && is_blank(p[i]))
                i++;
            if (i == n || comment_at(raw, i, comments))
                return lex_fail(err, errlen, "empty item after ','");
            continue;
        }
        return lex_fail(err, errlen,
                        list ? "unexpected text after the closing quote (separate items with ',')"
                             : "unexpected text after the closing quote");
    }
}

/* ------------------------------------------------------------------------ */
/* Conversion                                                                */
/* ------------------------------------------------------------------------ */

/* Digits, optional blanks, then a unit of letters (possibly empty).
 * Returns 1 ok, 0 malformed, -1 number too large for 64 bits. */
static int split_number(sv_t t, uint64_t *num, sv_t *unit)
{
    size_t i = 0;
    uint64_t x = 0;
    bool overflow = false;
    while (i < t.len && t.p[i] >= '0' && t.p[i] <= '9') {
        uint64_t d = (uint64_t)(t.p[i] - '0');
        if (x > (UINT64_MAX - d) / 10) overflow = true;
        x = x * 10 + d;
        i++;
    }
    if (i == 0) return 0;
    while (i < t.len && is_blank(t.p[i]))
        i++;
    *unit = sv_make(t.p + i, t.len - i);
    for (size_t j = i; j < t.len; j++) {
        char c = t.p[j];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return 0;
    }
    *num = x;
    return overflow ? -1 : 1;
}

static void format_bound(const config_key_t *k, uint64_t v, char *buf, size_t n)
{
    if (k->type == CONFIG_DURATION)
        config__format_duration(v, buf, n);
    else if (k->type == CONFIG_SIZE)
        config__format_size(v, buf, n);
    else
        snprintf(buf, n, "%llu", (unsigned long long)v);
}

static bool out_of_range(const config_key_t *k, sv_t t, char *err, size_t errlen)
{
    char lo[32], hi[32];
    format_bound(k, k->min, lo, sizeof lo);
    format_bound(k, k->max, hi, sizeof hi);
    snprintf(err, errlen, "%.*s is out of range (expected %s..%s)", (int)(t.len > 40 ? 40 : t.len),
             t.p, lo, hi);
    return false;
}

/* Multiplies with overflow detection and checks k's range. */
static bool scaled_in_range(const config_key_t *k, sv_t t, int split, uint64_t num, uint64_t mult,
                            uint64_t *out, char *err, size_t errlen)
{
    if (split < 0 || num > UINT64_MAX / mult) return out_of_range(k, t, err, errlen);
    uint64_t v = num * mult;
    if (v < k->min || v > k->max) return out_of_range(k, t, err, errlen);
    *out = v;
    return true;
}

#define SHOW(t) (int)((t).len > 40 ? 40 : (t).len), (t).p, ((t).len > 40 ? "..." : "")

static bool conv_bool(sv_t t, bool *out, char *err, size_t errlen)
{
    static const char *yes[] = {"true", "yes", "on", "1"}, *no[] = {"false", "no", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (sv_ieq_cstr(t, yes[i])) return *out = true, true;
        if (sv_ieq_cstr(t, no[i])) return *out = false, true;
    }
    snprintf(err, errlen,
             "'%.*s%s' is not a boolean (expected true or false; yes/no, on/off, 1/0 work too)",
             SHOW(t));
    return false;
}

static bool conv_uint(const config_key_t *k, sv_t t, uint64_t *out, char *err, size_t errlen)
{
    uint64_t num;
    sv_t unit;
    int r = split_number(t, &num, &unit);
    if (r == 0 || unit.len) {
        snprintf(err, errlen, "'%.*s%s' is not a whole number (expected %llu..%llu)", SHOW(t),
                 (unsigned long long)k->min, (unsigned long long)k->max);
        return false;
    }
    return scaled_in_range(k, t, r, num, 1, out, err, errlen);
}

static bool conv_duration(const config_key_t *k, sv_t t, uint64_t *out, char *err, size_t errlen)
{
    static const struct {
        const char *unit;
        uint64_t ns;
    } units[] = {
        {"", NS_PER_SEC},       {"ms", NS_PER_MSEC},      {"s", NS_PER_SEC},
        {"m", 60 * NS_PER_SEC}, {"h", 3600 * NS_PER_SEC}, {"d", 86400 * NS_PER_SEC},
    };
    uint64_t num;
    sv_t unit;
    int r = split_number(t, &num, &unit);
    if (r != 0) {
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
            if (sv_eq(unit, sv_from_cstr(units[i].unit)))
                return scaled_in_range(k, t, r, num, units[i].ns, out, err, errlen);
    }
    snprintf(err, errlen,
             "'%.*s%s' is not a duration (expected a whole number and a unit: 250ms, 30s, 5m, 2h, "
             "1d; no unit means seconds)",
             SHOW(t));
    return false;
}

static bool conv_size(const config_key_t *k, sv_t t, uint64_t *out, char *err, size_t errlen)
{
    static const struct {
        const char *unit;
        uint64_t mult;
    } units[] = {
        {"", 1},           {"b", 1},
        {"k", 1ull << 10}, {"kib", 1ull << 10},
        {"m", 1ull << 20}, {"mib", 1ull << 20},
        {"g", 1ull << 30}, {"gib", 1ull << 30},
        {"t", 1ull << 40}, {"tib", 1ull << 40},
    };
    uint64_t num;
    sv_t unit;
    int r = split_number(t, &num, &unit);
    if (r != 0) {
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
            if (sv_ieq_cstr(unit, units[i].unit))
                return scaled_in_range(k, t, r, num, units[i].mult, out, err, errlen);
        if (sv_ieq_cstr(unit, "kb") || sv_ieq_cstr(unit, "mb") || sv_ieq_cstr(unit, "gb") ||
            sv_ieq_cstr(unit, "tb")) {
            snprintf(err, errlen,
                     "'%.*s%s': KB/MB/GB are ambiguous, write KiB, MiB or GiB (1024-based)",
                     SHOW(t));
            return false;
        }
    }
    snprintf(err, errlen,
             "'%.*s%s' is not a size (expected a whole number and a unit: 512KiB, 64MiB, 1GiB "
             "(or K, M, G); no unit means bytes)",
             SHOW(t));
    return false;
}

static bool conv_enum(const config_key_t *k, sv_t t, uint32_t *out, char *err, size_t errlen)
{
    const char *c = k->choices;
    for (uint32_t idx = 0; c && *c; idx++) {
        const char *bar = strchr(c, '|');
        size_t len = bar ? (size_t)(bar - c) : strlen(c);
        if (sv_ieq(t, sv_make(c, len))) return *out = idx, true;
        c = bar ? bar + 1 : c + len;
    }
    snprintf(err, errlen, "'%.*s%s' is not one of %s", SHOW(t), k->choices);
    return false;
}

/* ADDRESS:PORT: a dotted IPv4 address or a bracketed IPv6 one, a colon, a
 * decimal port 1..65535 -- what a listening socket is bound to. */
static bool conv_listen(sv_t t, char *err, size_t errlen)
{
    char s[CONFIG_VALUE_MAX + 1];
    size_t n = t.len < sizeof s - 1 ? t.len : sizeof s - 1;
    memcpy(s, t.p ? t.p : "", n);
    s[n] = 0;
    char *colon = strrchr(s, ':');
    const char *why = NULL;
    if (!colon || colon == s) {
        why = "no ADDRESS:PORT";
    } else {
        *colon = 0;
        const char *port = colon + 1;
        unsigned long pv = 0;
        bool digits = *port && strspn(port, "0123456789") == strlen(port) && strlen(port) <= 5;
        if (digits) pv = strtoul(port, NULL, 10);
        unsigned char addr[16];
        size_t hl = strlen(s);
        bool v6 = s[0] == '[' && hl > 2 && s[hl - 1] == ']';
        if (v6) s[hl - 1] = 0;
        bool ok = v6 ? inet_pton(AF_INET6, s + 1, addr) == 1 : inet_pton(AF_INET, s, addr) == 1;
        if (!ok)
            why = v6 ? "not an IPv6 address"
                     : "not an IPv4 address (IPv6 goes in brackets: [::1]:8080)";
        else if (!digits || pv < 1 || pv > 65535)
            why = "the port is out of range 1..65535";
    }
    if (!why) return true;
    snprintf(err, errlen, "'%.*s%s' is not ADDRESS:PORT: %s", SHOW(t), why);
    return false;
}

static char *dup_or_die(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (!d) {
        fprintf(stderr, "siphon: out of memory\n");
        abort();
    }
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

static void list_free(config_list_t *l)
{
    for (uint32_t i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->count = 0;
}

const char *config__expected(const config_key_t *k)
{
    switch (k->type) {
    case CONFIG_BOOL:
        return "true or false";
    case CONFIG_UINT:
        return "a whole number";
    case CONFIG_DURATION:
        return "a duration such as 250ms, 30s, 5m, 2h or 1d";
    case CONFIG_SIZE:
        return "a size such as 512KiB, 64MiB or 1GiB";
    case CONFIG_STRING:
        return k->listen ? "an ADDRESS:PORT such as 127.0.0.1:8080 or [::1]:8080" : "a string";
    case CONFIG_LIST:
        return "a comma-separated list";
    case CONFIG_ENUM:
        return k->choices;
    }
    return "?";
}

bool config__set_value(siphon_config_t *cfg, const config_key_t *k, sv_t raw, bool comments,
                       char *err, size_t errlen)
{
    if (raw.len > CONFIG_LINE_MAX) {
        snprintf(err, errlen, "value longer than %d bytes", CONFIG_LINE_MAX);
        return false;
    }
    for (size_t i = 0; i < raw.len; i++) {
        unsigned char c = (unsigned char)raw.p[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            if (c == 0)
                snprintf(err, errlen, "NUL byte in the value");
            else
                snprintf(err, errlen, "control character 0x%02x in the value", c);
            return false;
        }
    }
    lexed_t lx;
    if (!lex_value(raw, k->type == CONFIG_LIST, comments, &lx, err, errlen)) return false;
    sv_t t = lx.count ? sv_make(lx.text + lx.item[0].off, lx.item[0].len) : SV_NULL;
    void *field = config__field(cfg, k);
    if (t.len == 0 && k->type != CONFIG_STRING && k->type != CONFIG_LIST) {
        snprintf(err, errlen, "no value (expected %s)", config__expected(k));
        return false;
    }
    uint64_t v;
    switch (k->type) {
    case CONFIG_BOOL:
        return conv_bool(t, (bool *)field, err, errlen);
    case CONFIG_UINT:
        if (!conv_uint(k, t, &v, err, errlen)) return false;
        *(uint32_t *)field = (uint32_t)v;
        return true;
    case CONFIG_DURATION:
        if (!conv_duration(k, t, &v, err, errlen)) return false;
        *(int64_t *)field = (int64_t)v;
        return true;
    case CONFIG_SIZE:
        if (!conv_size(k, t, &v, err, errlen)) return false;
        *(uint64_t *)field = v;
        return true;
    case CONFIG_ENUM:
        return conv_enum(k, t, (uint32_t *)field, err, errlen);
    case CONFIG_STRING: {
        if (k->listen && !conv_listen(t, err, errlen)) return false;
        char **s = field;
        free(*s);
        *s = dup_or_die(t.p ? t.p : "", t.len);
        return true;
    }
    case CONFIG_LIST: {
        config_list_t *l = field;
        list_free(l);
        if (lx.count == 0) return true;
        l->items = calloc(lx.count, sizeof *l->items);
        if (!l->items) {
            fprintf(stderr, "siphon: out of memory\n");
            abort();
        }
        for (uint32_t i = 0; i < lx.count; i++)
            l->items[i] = dup_or_die(lx.text + lx.item[i].off, lx.item[i].len);
        l->count = lx.count;
        return true;
    }
    }
    snprintf(err, errlen, "internal error: unknown key type");
    return false;
}

/* ------------------------------------------------------------------------ */
/* Defaults and release                                                      */
/* ------------------------------------------------------------------------ */

void config_defaults(siphon_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    size_t n;
    const config_key_t *schema = config_schema(&n);
    for (size_t i = 0; i < n; i++) {
        char err[256];
        if (!config__set_value(cfg, &schema[i], sv_from_cstr(schema[i].def), false, err,
                               sizeof err)) {
            fprintf(stderr, "siphon: bad built-in default for %s.%s: %s\n", schema[i].section,
                    schema[i].name, err);
            abort();
        }
    }
}

void config_free(siphon_config_t *cfg)
{
    size_t n;
    const config_key_t *schema = config_schema(&n);
    for (size_t i = 0; i < n; i++) {
        void *field = config__field(cfg, &schema[i]);
        if (schema[i].type == CONFIG_STRING) {
            free(*(char **)field);
            *(char **)field = NULL;
        } else if (schema[i].type == CONFIG_LIST) {
            list_free(field);
        }
    }
}
