/* text.c - wire-controlled text made inert for a person's terminal.
 *
 * From, To, Call-ID, User-Agent and every other string siphon shows come
 * from the network.  Written raw to a terminal, a caller could clear the
 * operator's screen (ESC [2J), retitle the window or plant a hyperlink
 * (OSC 0 / OSC 8), or reorder what the eye reads (Unicode bidi overrides,
 * "Trojan Source").  Every string shown to a person therefore goes through
 * text_inert: printable ASCII and well-formed UTF-8 letters pass; control
 * bytes (C0, DEL), C1 controls (U+0080..U+009F), bidi and other invisible
 * formatting controls, and any byte that is not part of well-formed UTF-8
 * are written as \xNN escapes of their bytes, and a backslash as "\\", so
 * the output is unambiguous and reversible by a reader.  Display width is
 * counted as one column per code point (escapes: their length). */
#include "core.h"

#include <string.h>

size_t text_utf8_seq(const uint8_t *p, size_t avail, uint32_t *cp)
{
    if (avail == 0) return 0;
    uint8_t b = p[0];
    size_t n;
    uint32_t c, min;
    if (b >= 0xc2 && b <= 0xdf) {
        n = 2, c = b & 0x1f, min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
        n = 3, c = b & 0x0f, min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
        n = 4, c = b & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (avail < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0;
        c = (c << 6) | (p[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return 0;
    *cp = c;
    return n;
}

bool text_cp_is_control(uint32_t c)
{
    return (c >= 0x80 && c <= 0x9f)        /* C1 controls (CSI, OSC as one byte) */
           || c == 0x061c                  /* ARABIC LETTER MARK */
           || (c >= 0x200b && c <= 0x200f) /* zero-width, LRM, RLM */
           || (c >= 0x2028 && c <= 0x202e) /* line/para separators, embeddings, overrides */
           || (c >= 0x2060 && c <= 0x206f) /* word joiner, isolates, deprecated formats */
           || c == 0xfeff;                 /* zero-width no-break space (BOM) */
}

static size_t put_escaped(buf_t *out, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        char e[4] = {'\\', 'x', hex[p[i] >> 4], hex[p[i] & 15]};
        buf_append(out, e, sizeof e);
    }
    return 4 * n;
}

size_t text_inert(buf_t *out, const void *data, size_t len)
{
    const uint8_t *p = data;
    size_t cols = 0, i = 0;
    while (i < len) {
        size_t run = i;
        while (run < len && p[run] >= 0x20 && p[run] < 0x7f && p[run] != '\\')
            run++;
        if (run > i) {
            buf_append(out, p + i, run - i);
            cols += run - i;
            i = run;
            continue;
        }
        if (p[i] == '\\') {
            buf_append(out, "\\\\", 2);
            cols += 2;
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = p[i] >= 0x80 ? text_utf8_seq(p + i, len - i, &cp) : 0;
        if (n && !text_cp_is_control(cp)) {
            buf_append(out, p + i, n);
            cols += 1;
            i += n;
        } else {
            size_t bad = n ? n : 1;
            cols += put_escaped(out, p + i, bad);
            i += bad;
        }
    }
    return cols;
}

size_t text_inert_cstr(buf_t *out, const char *s)
{
    return s ? text_inert(out, s, strlen(s)) : 0;
}

void text_cell(buf_t *out, const char *s, size_t width, bool left)
{
    buf_t tmp;
    buf_init(&tmp);
    size_t cols = text_inert_cstr(&tmp, s);
    if (cols > width && width > 0) {
        /* Cut at a code point boundary so no partial sequence or escape is
         * shown, keeping width - 1 columns and a '~' marking the cut. */
        size_t keep = 0, c = 0;
        while (keep < tmp.len && c < width - 1) {
            size_t step = 1;
            if (tmp.data[keep] == '\\') {
                step = tmp.data[keep + 1] == 'x' ? 4 : 2;
                if (c + step > width - 1) break;
                c += step;
            } else {
                uint8_t b = (uint8_t)tmp.data[keep];
                step = b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
                c += 1;
            }
            keep += step;
        }
        tmp.len = keep;
        buf_putc(&tmp, '~');
        cols = c + 1;
    }
    if (!left)
        for (size_t k = cols; k < width; k++)
            buf_putc(out, ' ');
    buf_append(out, tmp.data, tmp.len);
    if (left)
        for (size_t k = cols; k < width; k++)
            buf_putc(out, ' ');
    buf_free(&tmp);
}
