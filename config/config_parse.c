/* config_parse.c - the INI reader: sections, `key = value` lines, files and
 * command-line overrides, with every problem reported as FILE:LINE.
 *
 * Design: a configuration file is hostile input.  The whole file is read
 * into memory (at most CONFIG_FILE_MAX bytes; a larger file is one error),
 * cut into lines on LF (a CR before the LF is dropped, so CRLF files work;
 * a UTF-8 byte order mark at the start is skipped), and each line is
 * handled on its own with explicit lengths, never relying on a terminating
 * NUL:
 *   - longer than CONFIG_LINE_MAX, or holding a control character (NUL
 *     included; HTAB is fine): the line is reported and skipped;
 *   - blank, or starting with '#' or ';': a comment;
 *   - "[name]": a section header (a comment may follow);
 *   - "key = value": looked up in the current section's schema, checked
 *     for a duplicate, then converted by config_value.c.
 * Errors go to a bounded list (CONFIG_ERRORS_MAX); reading stops once it
 * overflows.  Unknown names get a "did you mean" from the closest schema
 * name by edit distance (case-insensitive), or the section a key belongs
 * to.  Keys under an unknown section are skipped without more errors: the
 * header was already reported.
 *
 * A key repeated in one file is an error: with last-wins a stale line
 * further down silently beats the one being edited.  The first value is
 * kept.  Overrides replace a file's values and each other (last wins), as
 * on any command line.
 */
#include "config_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

void config_errors_init(config_errors_t *e)
{
    memset(e, 0, sizeof *e);
}

static void add_error(config_errors_t *e, const char *where, uint32_t line, uint32_t column,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void add_error(config_errors_t *e, const char *where, uint32_t line, uint32_t column,
                      const char *fmt, ...)
{
    if (e->count >= CONFIG_ERRORS_MAX) {
        e->truncated = true;
        return;
    }
    config_error_t *err = &e->items[e->count++];
    snprintf(err->where, sizeof err->where, "%s", where);
    err->line = line;
    err->column = column;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

void config_error_format(const config_error_t *err, buf_t *out)
{
    if (err->line)
        buf_printf(out, "%s:%u: %s", err->where, err->line, err->msg);
    else
        buf_printf(out, "%s: %s", err->where, err->msg);
}

/* A name from the input, fit for a message: at most 48 bytes, control
 * characters replaced (they can reach here from the command line). */
static const char *show(sv_t v, char *buf, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < v.len && k + 4 < n && k < 48; i++) {
        unsigned char c = (unsigned char)v.p[i];
        buf[k++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (v.len > k && k + 4 <= n) buf[k++] = '.', buf[k++] = '.', buf[k++] = '.';
    buf[k] = '\0';
    return buf;
}

/* ------------------------------------------------------------------------ */
/* Schema look-ups and suggestions                                           */
/* ------------------------------------------------------------------------ */

size_t config__index(const config_key_t *k)
{
    size_t n;
    return (size_t)(k - config_schema(&n));
}

static const char *find_section(sv_t name)
{
    size_t n;
    const config_key_t *s = config_schema(&n);
    for (size_t i = 0; i < n; i++)
        if (sv_eq(name, sv_from_cstr(s[i].section))) return s[i].section;
    return NULL;
}

static const config_key_t *find_key(const char *section, sv_t name)
{
    size_t n;
    const config_key_t *s = config_schema(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(s[i].section, section) == 0 && sv_eq(name, sv_from_cstr(s[i].name)))
            return &s[i];
    return NULL;
}

#define NAME_MAX_LEN 64

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Levenshtein distance, ASCII case-insensitive and '-' equal to '_', or
 * `limit` when it is at least that (the length difference alone decides
 * most candidates); names longer than NAME_MAX_LEN are never close. */
static unsigned distance(sv_t a, const char *b, unsigned limit)
{
    size_t lb = strlen(b);
    if (a.len > NAME_MAX_LEN || lb > NAME_MAX_LEN) return limit;
    if ((a.len > lb ? a.len - lb : lb - a.len) >= limit) return limit;
    unsigned row[NAME_MAX_LEN + 1];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (unsigned)j;
    for (size_t i = 1; i <= a.len; i++) {
        unsigned diag = row[0];
        row[0] = (unsigned)i;
        char ca = lower(a.p[i - 1]) == '-' ? '_' : lower(a.p[i - 1]);
        for (size_t j = 1; j <= lb; j++) {
            unsigned up = row[j];
            unsigned best = diag + (ca == lower(b[j - 1]) ? 0 : 1);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static unsigned close_enough(sv_t name)
{
    return name.len <= 3 ? 1 : name.len <= 8 ? 2 : 3;
}

/* " (did you mean [x]?)" or "" */
static const char *suggest_section(sv_t name, char *buf, size_t n)
{
    size_t count;
    const config_key_t *s = config_schema(&count);
    const char *best = NULL;
    unsigned best_d = close_enough(name) + 1;
    for (size_t i = 0; i < count; i++) {
        unsigned d = distance(name, s[i].section, best_d);
        if (d < best_d) best_d = d, best = s[i].section;
    }
    if (!best) return "";
    snprintf(buf, n, " (did you mean [%s]?)", best);
    return buf;
}

/* A hint for an unknown key name in section (NULL: outside any section). */
static const char *suggest_key(const char *section, sv_t name, char *buf, size_t n)
{
    size_t count;
    const config_key_t *s = config_schema(&count);
    /* "correlator.max_calls" written in a file */
    long dot = sv_index_of(name, '.');
    if (dot > 0) {
        sv_t sec = sv_make(name.p, (size_t)dot),
             key = sv_make(name.p + dot + 1, name.len - dot - 1);
        const char *known = find_section(sec);
        const config_key_t *k = known ? find_key(known, key) : NULL;
        if (k) {
            snprintf(buf, n, " (in a file, write '%s = ...' under [%s])", k->name, k->section);
            return buf;
        }
    }
    const config_key_t *best = NULL;
    unsigned best_d = close_enough(name) + 1;
    if (section) {
        for (size_t i = 0; i < count; i++) {
            if (strcmp(s[i].section, section) != 0) continue;
            unsigned d = distance(name, s[i].name, best_d);
            if (d < best_d) best_d = d, best = &s[i];
        }
        if (best) {
            snprintf(buf, n, " (did you mean '%s'?)", best->name);
            return buf;
        }
    }
    /* the key of another section? */
    best_d = close_enough(name) + 1;
    for (size_t i = 0; i < count; i++) {
        unsigned d = distance(name, s[i].name, best_d);
        if (d < best_d) best_d = d, best = &s[i];
    }
    if (!best) return "";
    if (best_d == 0)
        snprintf(buf, n, " (it belongs in [%s])", best->section);
    else
        snprintf(buf, n, " (did you mean '%s' in [%s]?)", best->name, best->section);
    return buf;
}

static bool name_chars_ok(sv_t v)
{
    for (size_t i = 0; i < v.len; i++) {
        char c = v.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* Files                                                                     */
/* ------------------------------------------------------------------------ */

typedef struct {
    siphon_config_t *cfg;
    config_errors_t *errs;
    const char *name;
    uint32_t line;
    const char *line_start;
    enum { SEC_NONE, SEC_KNOWN, SEC_UNKNOWN } state;
    const char *section;            /* schema string, when SEC_KNOWN */
    uint32_t seen[CONFIG_KEYS_MAX]; /* line where each key was set */
    bool failed;
} parser_t;

static void perr(parser_t *ps, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void perr(parser_t *ps, const char *at, const char *fmt, ...)
{
    char msg[sizeof ps->errs->items[0].msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    uint32_t col = at ? (uint32_t)(at - ps->line_start) + 1 : 0;
    add_error(ps->errs, ps->name, ps->line, col, "%s", msg);
    ps->failed = true;
}

static sv_t trim_blanks(sv_t v)
{
    while (v.len && (v.p[0] == ' ' || v.p[0] == '\t'))
        v.p++, v.len--;
    while (v.len && (v.p[v.len - 1] == ' ' || v.p[v.len - 1] == '\t'))
        v.len--;
    return v;
}

static void section_line(parser_t *ps, sv_t l)
{
    char hint[96], nb[64];
    const char *close = memchr(l.p, ']', l.len);
    if (!close) {
        perr(ps, l.p + l.len, "missing ']' in the section header");
        ps->state = SEC_UNKNOWN;
        return;
    }
    sv_t name = trim_blanks(sv_make(l.p + 1, (size_t)(close - l.p - 1)));
    sv_t rest = trim_blanks(sv_make(close + 1, (size_t)(l.p + l.len - close - 1)));
    if (rest.len && rest.p[0] != '#' && rest.p[0] != ';')
        perr(ps, rest.p, "unexpected text after the section header");
    if (name.len == 0) {
        perr(ps, l.p, "empty section name");
        ps->state = SEC_UNKNOWN;
        return;
    }
    const char *known = find_section(name);
    if (known) {
        ps->state = SEC_KNOWN;
        ps->section = known;
        return;
    }
    perr(ps, name.p, "unknown section [%s]%s", show(name, nb, sizeof nb),
         suggest_section(name, hint, sizeof hint));
    ps->state = SEC_UNKNOWN;
}

static void key_line(parser_t *ps, sv_t l)
{
    char hint[128], nb[64], err[sizeof ps->errs->items[0].msg];
    const char *eq = memchr(l.p, '=', l.len);
    if (!eq) {
        perr(ps, l.p, "expected 'key = value' or '[section]'");
        return;
    }
    sv_t key = trim_blanks(sv_make(l.p, (size_t)(eq - l.p)));
    if (key.len == 0) {
        perr(ps, l.p, "missing key name before '='");
        return;
    }
    if (!name_chars_ok(key)) {
        perr(ps, key.p, "bad key name '%s' (letters, digits and '_' only)",
             show(key, nb, sizeof nb));
        return;
    }
    if (ps->state == SEC_UNKNOWN) return; /* its header was reported */
    if (ps->state == SEC_NONE) {
        perr(ps, key.p, "key '%s' is outside any [section]%s", show(key, nb, sizeof nb),
             suggest_key(NULL, key, hint, sizeof hint));
        return;
    }
    const config_key_t *k = find_key(ps->section, key);
    if (!k) {
        perr(ps, key.p, "unknown key '%s' in [%s]%s", show(key, nb, sizeof nb), ps->section,
             suggest_key(ps->section, key, hint, sizeof hint));
        return;
    }
    size_t idx = config__index(k);
    if (ps->seen[idx]) {
        perr(ps, key.p, "duplicate key '%s' in [%s] (first set on line %u)", k->name, k->section,
             ps->seen[idx]);
        return;
    }
    ps->seen[idx] = ps->line;
    sv_t raw = sv_make(eq + 1, (size_t)(l.p + l.len - eq - 1));
    sv_t at = trim_blanks(raw);
    if (!config__set_value(ps->cfg, k, raw, true, err, sizeof err)) {
        perr(ps, at.len ? at.p : eq + 1, "%s.%s: %s", k->section, k->name, err);
        return;
    }
    ps->cfg->source[idx] = CONFIG_SRC_FILE;
}

static void one_line(parser_t *ps, const char *p, size_t len)
{
    ps->line_start = p;
    if (len > CONFIG_LINE_MAX) {
        perr(ps, NULL, "line longer than %d bytes", CONFIG_LINE_MAX);
        return;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            if (c == 0)
                perr(ps, p + i, "NUL byte (column %zu); is this a text file?", i + 1);
            else
                perr(ps, p + i, "control character 0x%02x (column %zu)", c, i + 1);
            return;
        }
    }
    sv_t l = trim_blanks(sv_make(p, len));
    if (l.len == 0 || l.p[0] == '#' || l.p[0] == ';') return;
    if (l.p[0] == '[')
        section_line(ps, l);
    else
        key_line(ps, l);
}

int config_load_buffer(siphon_config_t *cfg, const char *name, const char *data, size_t len,
                       config_errors_t *errs)
{
    config_errors_t local;
    if (!errs) {
        config_errors_init(&local);
        errs = &local;
    }
    if (!name) name = "(config)";
    if (len > CONFIG_FILE_MAX) {
        add_error(errs, name, 0, 0, "file is larger than %d bytes", CONFIG_FILE_MAX);
        return -1;
    }
    parser_t ps = {.cfg = cfg, .errs = errs, .name = name, .state = SEC_NONE};
    size_t pos = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) pos = 3; /* UTF-8 BOM */
    while (pos < len && !errs->truncated) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) : len;
        size_t llen = end - pos;
        if (llen && data[end - 1] == '\r') llen--;
        ps.line++;
        one_line(&ps, data + pos, llen);
        pos = nl ? end + 1 : len;
    }
    return ps.failed ? -1 : 0;
}

int config_load_file(siphon_config_t *cfg, const char *path, config_errors_t *errs)
{
    config_errors_t local;
    if (!errs) {
        config_errors_init(&local);
        errs = &local;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        add_error(errs, path, 0, 0, "cannot open: %s", strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        add_error(errs, path, 0, 0, "is a directory, not a configuration file");
        close(fd);
        return -1;
    }
    char *buf = malloc((size_t)CONFIG_FILE_MAX + 1);
    if (!buf) {
        add_error(errs, path, 0, 0, "out of memory");
        close(fd);
        return -1;
    }
    size_t got = 0;
    while (got <= (size_t)CONFIG_FILE_MAX) {
        ssize_t r = read(fd, buf + got, (size_t)CONFIG_FILE_MAX + 1 - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            add_error(errs, path, 0, 0, "read error: %s", strerror(errno));
            free(buf);
            close(fd);
            return -1;
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    close(fd);
    int rc = config_load_buffer(cfg, path, buf, got, errs);
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Overrides                                                                 */
/* ------------------------------------------------------------------------ */

bool config_is_override(const char *arg)
{
    if (!arg || arg[0] != '-' || arg[1] != '-' || arg[2] == '\0') return false;
    for (const char *p = arg + 2; *p && *p != '='; p++)
        if (*p == '.') return p > arg + 2;
    return false;
}

int config_set_override(siphon_config_t *cfg, const char *arg, config_errors_t *errs)
{
    static const char where[] = "command line";
    char nb[64], hint[128], err[sizeof errs->items[0].msg];
    const char *s = arg;
    if (s[0] == '-' && s[1] == '-') s += 2;
    const char *eq = strchr(s, '=');
    size_t name_len = eq ? (size_t)(eq - s) : strlen(s);
    sv_t name = sv_make(s, name_len);
    long dot = sv_index_of(name, '.');
    if (dot <= 0) {
        add_error(errs, where, 0, 0, "'--%s': expected --section.key=value",
                  show(name, nb, sizeof nb));
        return -1;
    }
    if (!eq) {
        add_error(errs, where, 0, 0, "'--%s' needs a value: --section.key=value",
                  show(name, nb, sizeof nb));
        return -1;
    }
    sv_t sec = sv_make(s, (size_t)dot), key = sv_make(s + dot + 1, name_len - (size_t)dot - 1);
    const char *known = find_section(sec);
    if (!known) {
        add_error(errs, where, 0, 0, "--%s: unknown section [%s]%s", show(name, nb, sizeof nb),
                  show(sec, hint, sizeof hint), suggest_section(sec, err, sizeof err));
        return -1;
    }
    const config_key_t *k = find_key(known, key);
    if (!k) {
        add_error(errs, where, 0, 0, "--%s: unknown key '%s' in [%s]%s", show(name, nb, sizeof nb),
                  show(key, err, sizeof err), known, suggest_key(known, key, hint, sizeof hint));
        return -1;
    }
    if (!config__set_value(cfg, k, sv_from_cstr(eq + 1), false, err, sizeof err)) {
        add_error(errs, where, 0, 0, "--%s.%s: %s", k->section, k->name, err);
        return -1;
    }
    cfg->source[config__index(k)] = CONFIG_SRC_OVERRIDE;
    return 0;
}

unsigned config_keys_set(const siphon_config_t *cfg)
{
    size_t n;
    (void)config_schema(&n);
    unsigned set = 0;
    for (size_t i = 0; i < n; i++)
        set += cfg->source[i] != CONFIG_SRC_DEFAULT;
    return set;
}
