/* codec_table.c - codec impairment factors for the E-model: Ie (equipment
 * impairment) and Bpl (packet-loss robustness) per codec (ITU-T G.113
 * Appendix I, G.107 7.2), keyed by SDP encoding name (RFC 3551, RFC 4566
 * a=rtpmap).
 *
 * Every row says where its values come from, because the published figures
 * are patchy: only the G.711 and G.729A rows are widely quoted from G.113;
 * others are "commonly quoted, unconfirmed" or "configurable, sources
 * disagree".  Wideband codecs (G.722, AMR-WB, Opus) belong to G.107.1 (R up
 * to 129); siphon scores them on the narrowband scale with
 * narrowband-equivalent values and says so in its output (mos_scale).
 *
 * The table is process-wide: the constant built-in rows, valid from program
 * load (no first-use load: lookups from several correlator threads only
 * read), until it is changed before analysis starts, single-threaded:
 * quality_codec_override(), or a text file, one `codec ie bpl [source...]`
 * per line; a change copies the rows into one writable array
 * (QUALITY_CODEC_MAX rows) that lookups read from then on.  The file parser is total over hostile
 * input (any bytes, any line length): it works on (pointer, length), validates every token and
 * applies all lines or none, reporting the first bad line by number.
 */
#include "quality.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SRC_G113 "G.113 Appendix I, widely quoted"

static const quality_codec_t builtin[] = {
    {"PCMU", "G711U G711 G.711", 0, 25.1, false,
     SRC_G113 " (G.711 with Appendix I PLC; use G711-NOPLC for endpoints without PLC)"},
    {"PCMA", "G711A", 0, 25.1, false,
     SRC_G113 " (G.711 with Appendix I PLC; use G711-NOPLC for endpoints without PLC)"},
    {"G711-NOPLC", "", 0, 4.3, false, SRC_G113 " (G.711 without PLC)"},
    {"G729", "G729A G729AB G729B G.729", 11, 19.0, false,
     SRC_G113 " (G.729A + VAD; SDP G729 does not tell G.729 from G.729A)"},
    {"G723", "G7231 G723.1", 15, 16.1, false,
     "G.113 Appendix I (G.723.1 6.3 kbit/s), commonly quoted, unconfirmed"},
    {"G726-32", "G726 AAL2-G726-32", 7, 4.3, false,
     "Ie: G.113 Appendix I (G.726 32 kbit/s), commonly quoted, unconfirmed; Bpl: configurable, "
     "sources disagree (4.3 assumes no PLC)"},
    {"GSM", "GSM-FR", 20, 10.0, false,
     "Ie: G.113 Appendix I (GSM 06.10 full rate), commonly quoted, unconfirmed; Bpl: "
     "configurable, sources disagree"},
    {"GSM-EFR", "", 5, 10.0, false, "configurable, sources disagree"},
    {"iLBC", "", 10, 30.0, false,
     "configurable, sources disagree (Ie 10..15 and Bpl 20..32 are quoted for 15.2/13.3 kbit/s)"},
    {"AMR", "AMR-NB", 5, 10.0, false,
     "Ie: G.113 Appendix I (AMR 12.2 kbit/s), commonly quoted, unconfirmed; Bpl: configurable, "
     "sources disagree"},
    {"G722", "G.722", 0, 25.1, true,
     "configurable, sources disagree: narrowband-equivalent (G.711-grade Ie 0, PLC Bpl 25.1); "
     "G.113 gives Ie,wb 13 on the G.107.1 scale"},
    {"AMR-WB", "", 0, 10.0, true,
     "configurable, sources disagree: narrowband-equivalent (Ie 0 assumed at 12.65 kbit/s and "
     "above)"},
    {"opus", "", 0, 25.1, true,
     "configurable, sources disagree: narrowband-equivalent (Ie 0 at wideband bitrates, PLC "
     "Bpl as G.711 Appendix I)"},
};

#define NBUILTIN (sizeof builtin / sizeof builtin[0])

/* What lookups read: the built-in rows (constant, valid from program load)
 * until an override or a file changes the table, then the changed copy.
 * Lookups never write, so correlator threads may look up concurrently;
 * changes (the calls below) happen before analysis starts, on one thread. */
static const quality_codec_t *rows = builtin;
static size_t nrows = NBUILTIN;
static quality_codec_t table[QUALITY_CODEC_MAX]; /* the changed copy */

/* Makes the changed copy the table lookups read (a writer's first step). */
static void make_writable(void)
{
    if (rows == table) return;
    memcpy(table, builtin, sizeof builtin);
    rows = table;
}

void quality_codec_table_reset(void)
{
    rows = builtin;
    nrows = NBUILTIN;
}

/* ------------------------------ lookup ---------------------------------- */

/* Is name (len bytes) one of the space-separated words of list? */
static bool in_list(const char *list, const char *name, size_t len)
{
    const char *p = list;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *w = p;
        while (*p && *p != ' ')
            p++;
        if ((size_t)(p - w) == len && len > 0 && strncasecmp(w, name, len) == 0) return true;
    }
    return false;
}

/* The index of the row named name (len bytes) in t[0..n), or -1. */
static ptrdiff_t index_in(const quality_codec_t *t, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if ((strlen(t[i].name) == len && strncasecmp(t[i].name, name, len) == 0) ||
            in_list(t[i].aliases, name, len))
            return (ptrdiff_t)i;
    return -1;
}

static const quality_codec_t *find_in(const quality_codec_t *t, size_t n, const char *name,
                                      size_t len)
{
    ptrdiff_t i = index_in(t, n, name, len);
    return i >= 0 ? &t[i] : NULL;
}

const quality_codec_t *quality_codec_find(const char *name)
{
    if (!name || !name[0]) return NULL;
    return find_in(rows, nrows, name, strlen(name));
}

size_t quality_codec_count(void)
{
    return nrows;
}

const quality_codec_t *quality_codec_at(size_t i)
{
    return i < nrows ? &rows[i] : NULL;
}

/* ----------------------------- changes ---------------------------------- */

static bool values_ok(double ie, double bpl)
{
    return isfinite(ie) && isfinite(bpl) && ie >= 0 && ie <= 95 && bpl > 0 && bpl <= 1000;
}

static bool name_ok(const char *name, size_t len)
{
    if (len == 0 || len >= QUALITY_CODEC_NAME) return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)name[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
        if (!ok) return false;
    }
    return true;
}

/* Sets (or adds) a row in t[0..*n).  source may be NULL (kept, or
 * "configured" for a new row). */
static int set_row(quality_codec_t *t, size_t *n, const char *name, size_t len, double ie,
                   double bpl, const char *source, size_t srclen)
{
    if (!name_ok(name, len) || !values_ok(ie, bpl)) return -1;
    ptrdiff_t i = index_in(t, *n, name, len);
    quality_codec_t *r = i >= 0 ? &t[i] : NULL;
    if (!r) {
        if (*n >= QUALITY_CODEC_MAX) return -1;
        r = &t[(*n)++];
        memset(r, 0, sizeof *r);
        memcpy(r->name, name, len);
        r->name[len] = '\0';
        snprintf(r->source, sizeof r->source, "configured");
    }
    r->ie = ie;
    r->bpl = bpl;
    if (source) {
        if (srclen >= sizeof r->source) srclen = sizeof r->source - 1;
        memcpy(r->source, source, srclen);
        r->source[srclen] = '\0';
    }
    return 0;
}

int quality_codec_override(const char *name, double ie, double bpl)
{
    if (!name) return -1;
    make_writable();
    return set_row(table, &nrows, name, strlen(name), ie, bpl, NULL, 0);
}

/* ----------------------------- the file --------------------------------- */

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* Strict decimal number: optional sign, digits, optional fraction, optional
 * exponent; at most 31 characters.  False on anything else. */
static bool parse_num(const char *p, size_t len, double *out)
{
    char tmp[32];
    if (len == 0 || len >= sizeof tmp) return false;
    for (size_t i = 0; i < len; i++) {
        char ch = p[i];
        if (!((ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '+' || ch == 'e' ||
              ch == 'E'))
            return false;
    }
    memcpy(tmp, p, len);
    tmp[len] = '\0';
    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    if (end != tmp + len || errno != 0 || !isfinite(v)) return false;
    *out = v;
    return true;
}

/* Next whitespace-separated token in [*p, end). */
static bool next_token(const char **p, const char *end, const char **tok, size_t *len)
{
    const char *s = *p;
    while (s < end && is_space(*s))
        s++;
    if (s >= end) return false;
    const char *e = s;
    while (e < end && !is_space(*e))
        e++;
    *tok = s;
    *len = (size_t)(e - s);
    *p = e;
    return true;
}

int quality_codec_table_parse(const char *text, size_t len, char *err, size_t errlen)
{
    static quality_codec_t stage[QUALITY_CODEC_MAX];
    memset(stage, 0, sizeof stage);
    memcpy(stage, rows, nrows * sizeof *rows);
    size_t nstage = nrows;
    const char *p = text, *end = text + len;
    unsigned line = 0;
    if (errlen) err[0] = '\0';
    while (p < end) {
        line++;
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *le = eol ? eol : end;
        const char *hash = memchr(p, '#', (size_t)(le - p));
        const char *ce = hash ? hash : le;
        const char *cur = p;
        p = eol ? eol + 1 : end;

        const char *name, *tie, *tbpl;
        size_t nlen, ielen, bpllen;
        if (!next_token(&cur, ce, &name, &nlen)) continue; /* blank or comment */
        if (memchr(name, '\0', nlen)) {
            snprintf(err, errlen, "%u: NUL byte in codec name", line);
            return -1;
        }
        if (!name_ok(name, nlen)) {
            snprintf(err, errlen, "%u: bad codec name (1..%d of A-Z a-z 0-9 . _ -)", line,
                     QUALITY_CODEC_NAME - 1);
            return -1;
        }
        double ie, bpl;
        if (!next_token(&cur, ce, &tie, &ielen) || !next_token(&cur, ce, &tbpl, &bpllen)) {
            snprintf(err, errlen, "%u: expected `codec ie bpl [source...]`", line);
            return -1;
        }
        if (!parse_num(tie, ielen, &ie) || !(ie >= 0 && ie <= 95)) {
            snprintf(err, errlen, "%u: ie must be a number in 0..95", line);
            return -1;
        }
        if (!parse_num(tbpl, bpllen, &bpl) || !(bpl > 0 && bpl <= 1000)) {
            snprintf(err, errlen, "%u: bpl must be a number in (0, 1000]", line);
            return -1;
        }
        /* source: the rest of the line, trimmed; printable bytes only */
        while (cur < ce && is_space(*cur))
            cur++;
        const char *se = ce;
        while (se > cur && is_space(se[-1]))
            se--;
        for (const char *s = cur; s < se; s++)
            if ((unsigned char)*s < 0x20 && *s != '\t') {
                snprintf(err, errlen, "%u: control character in source text", line);
                return -1;
            }
        char src[QUALITY_CODEC_SOURCE];
        size_t slen = (size_t)(se - cur);
        if (slen == 0)
            slen = (size_t)snprintf(src, sizeof src, "configured (line %u)", line);
        else {
            if (slen >= sizeof src) slen = sizeof src - 1;
            memcpy(src, cur, slen);
            src[slen] = '\0';
        }
        if (slen >= sizeof src) slen = sizeof src - 1;
        if (set_row(stage, &nstage, name, nlen, ie, bpl, src, slen) != 0) {
            snprintf(err, errlen, "%u: codec table full (%d rows)", line, QUALITY_CODEC_MAX);
            return -1;
        }
    }
    memcpy(table, stage, sizeof table);
    rows = table;
    nrows = nstage;
    return 0;
}

int quality_codec_table_load(const char *path, char *err, size_t errlen)
{
    enum { MAX_FILE = 1 << 20 };
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *text = malloc(MAX_FILE + 1);
    if (!text) {
        fclose(f);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    size_t n = fread(text, 1, MAX_FILE + 1, f);
    bool bad = ferror(f);
    fclose(f);
    if (bad || n > MAX_FILE) {
        free(text);
        snprintf(err, errlen, "%s: %s", path, bad ? "read error" : "larger than 1 MiB");
        return -1;
    }
    char msg[192];
    int rc = quality_codec_table_parse(text, n, msg, sizeof msg);
    free(text);
    if (rc != 0) snprintf(err, errlen, "%s:%s", path, msg);
    return rc;
}
