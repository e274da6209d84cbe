/* progress.c - the progress line of an import for a person watching a
 * terminal (`siphon analyze`, and with --store what reached the database).
 *
 *   [##########..........]  48.2%  1.2/2.5 GB  8,123,456 packets  91,234 calls  90,876 stored
 * 14,321 calls/s
 *
 * One line, rewritten in place with a carriage return (the caller writes
 * it to stderr at most a few times a second); the last one ends with a
 * newline.  Only figures siphon counted itself are shown, no wire text.
 */
#include "output.h"

#include <stdio.h>

/* 1234567 -> "1,234,567" */
static void put_count(buf_t *out, uint64_t v)
{
    char d[24];
    int n = snprintf(d, sizeof d, "%llu", (unsigned long long)v);
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0) buf_putc(out, ',');
        buf_putc(out, d[i]);
    }
}

/* Bytes in the unit that suits total: "1.2/2.5 GB". */
static void put_bytes(buf_t *out, uint64_t done, uint64_t total)
{
    static const char *const unit[] = {"B", "kB", "MB", "GB", "TB"};
    double div = 1;
    int u = 0;
    while (u < 4 && (double)total / div >= 1000.0)
        div *= 1000.0, u++;
    buf_printf(out, "%.1f/%.1f %s", (double)done / div, (double)total / div, unit[u]);
}

void out_progress_line(buf_t *out, const out_progress_t *p, bool final)
{
    double pct = p->bytes_total ? 100.0 * (double)p->bytes_read / (double)p->bytes_total : 100.0;
    if (pct > 100.0) pct = 100.0;
    if (final) pct = 100.0;
    enum { BAR = 20 };
    int fill = (int)(pct * BAR / 100.0);
    buf_printf(out, "\r[");
    for (int i = 0; i < BAR; i++)
        buf_putc(out, i < fill ? '#' : '.');
    buf_printf(out, "] %5.1f%%  ", pct);
    put_bytes(out, final ? p->bytes_total : p->bytes_read, p->bytes_total);
    buf_printf(out, "  ");
    put_count(out, p->packets);
    buf_printf(out, " packets  ");
    put_count(out, p->calls);
    buf_printf(out, " calls");
    if (p->storing) {
        buf_printf(out, "  ");
        put_count(out, p->stored);
        buf_printf(out, " rows stored");
    }
    if (p->elapsed_s > 0) {
        buf_printf(out, "  ");
        put_count(out, (uint64_t)((double)p->calls / p->elapsed_s));
        buf_printf(out, " calls/s");
    }
    if (final) buf_putc(out, '\n');
}
