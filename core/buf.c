/* buf.c - a growable byte buffer (for output formatting, never for the
 * per-packet hot path). */
#include "core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(buf_t *b)
{
    b->data = NULL, b->len = b->cap = 0;
}
void buf_free(buf_t *b)
{
    free(b->data), buf_init(b);
}
void buf_reset(buf_t *b)
{
    b->len = 0;
}

static void buf_reserve(buf_t *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) {
        fprintf(stderr, "siphon: out of memory\n");
        abort();
    }
    b->data = d, b->cap = cap;
}

void buf_append(buf_t *b, const void *p, size_t n)
{
    buf_reserve(b, n);
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void buf_putc(buf_t *b, char c)
{
    buf_append(b, &c, 1);
}

void buf_printf(buf_t *b, const char *fmt, ...)
{
    /* format straight into the spare room; only a result that does not
     * fit is formatted a second time after growing */
    if (b->cap - b->len < 64) buf_reserve(b, 64);
    size_t room = b->cap - b->len;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->data + b->len, room, fmt, ap);
    va_end(ap);
    if (k <= 0) {
        b->data[b->len] = '\0';
        return;
    }
    if ((size_t)k >= room) {
        buf_reserve(b, (size_t)k);
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, (size_t)k + 1, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)k;
}
