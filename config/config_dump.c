/* config_dump.c - writes a configuration back as a config file.
 *
 * Design: the output must parse back to the same values (the unit tests and
 * fuzz_config check dump -> parse -> dump is a fixed point), so every value
 * is written in a form the lexer reads unchanged: durations and sizes in
 * their largest exact unit ("5m", "64MiB"), strings and list items quoted
 * (with \" and \\ escapes) whenever they are empty, have blanks at either
 * end, start with a quote, or hold '#', ';' (or ',' in a list).  Each key is
 * preceded by its help and its accepted range as a comment, so the dump of
 * the defaults is the annotated example file (packaging/siphon.conf).
 */
#include "config_internal.h"

#include <stdio.h>
#include <string.h>

void config__format_duration(uint64_t ns, char *buf, size_t n)
{
    static const struct {
        const char *unit;
        uint64_t ns;
    } units[] = {
        {"d", 86400 * NS_PER_SEC}, {"h", 3600 * NS_PER_SEC}, {"m", 60 * NS_PER_SEC},
        {"s", NS_PER_SEC},         {"ms", NS_PER_MSEC},
    };
    if (ns == 0) {
        snprintf(buf, n, "0s");
        return;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (ns % units[i].ns == 0) {
            snprintf(buf, n, "%llu%s", (unsigned long long)(ns / units[i].ns), units[i].unit);
            return;
        }
    }
    /* not reachable from parsed values (ms is the smallest unit) */
    snprintf(buf, n, "%llums", (unsigned long long)(ns / NS_PER_MSEC));
}

void config__format_size(uint64_t bytes, char *buf, size_t n)
{
    static const char *units[] = {"TiB", "GiB", "MiB", "KiB"};
    for (int i = 0; i < 4 && bytes; i++) {
        uint64_t mult = 1ull << (10 * (4 - i));
        if (bytes % mult == 0) {
            snprintf(buf, n, "%llu%s", (unsigned long long)(bytes / mult), units[i]);
            return;
        }
    }
    snprintf(buf, n, "%llu", (unsigned long long)bytes);
}

static bool needs_quotes(const char *s, bool in_list)
{
    size_t len = strlen(s);
    if (len == 0 || s[0] == '"') return true;
    if (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t') return true;
    if (strpbrk(s, in_list ? "#;," : "#;")) return true;
    return false;
}

static void put_string(buf_t *out, const char *s, bool in_list)
{
    if (!needs_quotes(s, in_list)) {
        buf_append(out, s, strlen(s));
        return;
    }
    buf_putc(out, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') buf_putc(out, '\\');
        buf_putc(out, *s);
    }
    buf_putc(out, '"');
}

void config_format_value(const siphon_config_t *cfg, const config_key_t *k, buf_t *out)
{
    const void *field = config__cfield(cfg, k);
    char tmp[32];
    switch (k->type) {
    case CONFIG_BOOL:
        buf_printf(out, "%s", *(const bool *)field ? "true" : "false");
        return;
    case CONFIG_UINT:
        buf_printf(out, "%u", *(const uint32_t *)field);
        return;
    case CONFIG_DURATION:
        config__format_duration((uint64_t) * (const int64_t *)field, tmp, sizeof tmp);
        buf_printf(out, "%s", tmp);
        return;
    case CONFIG_SIZE:
        config__format_size(*(const uint64_t *)field, tmp, sizeof tmp);
        buf_printf(out, "%s", tmp);
        return;
    case CONFIG_ENUM: {
        uint32_t idx = *(const uint32_t *)field;
        const char *c = k->choices;
        for (uint32_t i = 0; i < idx && c; i++) {
            c = strchr(c, '|');
            if (c) c++;
        }
        size_t len = c ? strcspn(c, "|") : 0;
        buf_append(out, c ? c : "", len);
        return;
    }
    case CONFIG_STRING: {
        const char *s = *(char *const *)field;
        put_string(out, s ? s : "", false);
        return;
    }
    case CONFIG_LIST: {
        const config_list_t *l = field;
        for (uint32_t i = 0; i < l->count; i++) {
            if (i) buf_append(out, ", ", 2);
            put_string(out, l->items[i], true);
        }
        return;
    }
    }
}

static void put_range(const config_key_t *k, buf_t *out)
{
    char lo[32], hi[32];
    switch (k->type) {
    case CONFIG_BOOL:
        buf_printf(out, " [true/false]");
        break;
    case CONFIG_UINT:
        buf_printf(out, " [%llu..%llu]", (unsigned long long)k->min, (unsigned long long)k->max);
        break;
    case CONFIG_DURATION:
        config__format_duration(k->min, lo, sizeof lo);
        config__format_duration(k->max, hi, sizeof hi);
        buf_printf(out, " [duration %s..%s]", lo, hi);
        break;
    case CONFIG_SIZE:
        config__format_size(k->min, lo, sizeof lo);
        config__format_size(k->max, hi, sizeof hi);
        buf_printf(out, " [size %s..%s]", lo, hi);
        break;
    case CONFIG_ENUM:
        buf_printf(out, " [%s]", k->choices);
        break;
    case CONFIG_LIST:
        buf_printf(out, " [list, comma-separated]");
        break;
    case CONFIG_STRING:
        break;
    }
}

void config_dump(const siphon_config_t *cfg, buf_t *out)
{
    size_t n;
    const config_key_t *s = config_schema(&n);
    const char *section = NULL;
    for (size_t i = 0; i < n; i++) {
        const config_key_t *k = &s[i];
        if (!section || strcmp(section, k->section) != 0) {
            buf_printf(out, "%s[%s]\n", section ? "\n" : "", k->section);
            section = k->section;
        }
        buf_printf(out, "# %s", k->help);
        put_range(k, out);
        buf_printf(out, "\n%s =", k->name);
        size_t before = out->len;
        buf_putc(out, ' ');
        config_format_value(cfg, k, out);
        if (out->len == before + 1) out->len = before; /* empty list: no trailing blank */
        buf_putc(out, '\n');
    }
}
