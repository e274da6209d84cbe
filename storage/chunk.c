/* chunk.c - rows on their way to the database: a chunk holds COPY text
 * rows of every table and the UTC days they fall on.
 *
 * A correlator shard fills a chunk and hands it to the writer; the writer
 * merges chunks into a batch; a batch the database could not take is
 * serialised into one spool record and parsed back when replayed.  The
 * days travel with the rows so the writer makes a day's partitions before
 * the first row of that day arrives (a capture of 2019 needs 2019's).
 *
 * Spool record payload: per table with rows {u8 table, u32 rows, u32
 * bytes, the COPY text}, then {u8 0xff, u32 days, i32 each}; integers
 * little-endian.  Parsing checks every length against what is left.
 */
#include "st_internal.h"

#include <string.h>

void st__chunk_init(st__chunk_t *c)
{
    memset(c, 0, sizeof *c);
    for (int t = 0; t < ST__NTABLES; t++)
        buf_init(&c->rows[t]);
}

void st__chunk_free(st__chunk_t *c)
{
    for (int t = 0; t < ST__NTABLES; t++)
        buf_free(&c->rows[t]);
}

void st__chunk_reset(st__chunk_t *c)
{
    for (int t = 0; t < ST__NTABLES; t++)
        buf_reset(&c->rows[t]), c->n[t] = 0;
    c->total = 0, c->n_days = 0;
}

size_t st__chunk_bytes(const st__chunk_t *c)
{
    size_t n = 0;
    for (int t = 0; t < ST__NTABLES; t++)
        n += c->rows[t].len;
    return n;
}

int32_t st__day_of(int64_t ts_ns)
{
    int64_t day = ts_ns / (86400 * NS_PER_SEC);
    if (ts_ns < 0 && ts_ns % (86400 * NS_PER_SEC)) day--;
    return (int32_t)day;
}

static bool st__add_day(st__chunk_t *c, int32_t d)
{
    for (uint32_t i = 0; i < c->n_days; i++)
        if (c->days[i] == d) return true;
    if (c->n_days == ST__DAYS_MAX) return false;
    c->days[c->n_days++] = d;
    return true;
}

bool st__chunk_day(st__chunk_t *c, int64_t ts_ns)
{
    return st__add_day(c, st__day_of(ts_ns));
}

bool st__chunk_merge(st__chunk_t *dst, const st__chunk_t *src)
{
    uint32_t new_days = 0;
    for (uint32_t i = 0; i < src->n_days; i++) {
        bool have = false;
        for (uint32_t j = 0; j < dst->n_days && !have; j++)
            have = dst->days[j] == src->days[i];
        new_days += !have;
    }
    if (dst->n_days + new_days > ST__DAYS_MAX) return false;
    for (uint32_t i = 0; i < src->n_days; i++)
        st__add_day(dst, src->days[i]);
    for (int t = 0; t < ST__NTABLES; t++) {
        buf_append(&dst->rows[t], src->rows[t].data, src->rows[t].len);
        dst->n[t] += src->n[t];
    }
    dst->total += src->total;
    return true;
}

static void st__put32(buf_t *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    buf_append(b, x, 4);
}

static uint32_t st__get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void st__chunk_serialize(const st__chunk_t *c, buf_t *out)
{
    for (int t = 0; t < ST__NTABLES; t++) {
        if (!c->n[t]) continue;
        buf_putc(out, (char)t);
        st__put32(out, c->n[t]);
        st__put32(out, (uint32_t)c->rows[t].len);
        buf_append(out, c->rows[t].data, c->rows[t].len);
    }
    buf_putc(out, (char)0xff);
    st__put32(out, c->n_days);
    for (uint32_t i = 0; i < c->n_days; i++)
        st__put32(out, (uint32_t)c->days[i]);
}

bool st__chunk_parse(st__chunk_t *c, const uint8_t *p, size_t len)
{
    st__chunk_reset(c);
    size_t at = 0;
    while (at < len) {
        uint8_t t = p[at++];
        if (t == 0xff) {
            if (len - at < 4) return false;
            uint32_t nd = st__get32(p + at);
            at += 4;
            if (nd > ST__DAYS_MAX || len - at != (size_t)nd * 4) return false;
            for (uint32_t i = 0; i < nd; i++)
                st__add_day(c, (int32_t)st__get32(p + at + 4 * i));
            return true;
        }
        if (t >= ST__NTABLES || len - at < 8) return false;
        uint32_t rows = st__get32(p + at), n = st__get32(p + at + 4);
        at += 8;
        if (len - at < n || c->n[t]) return false;
        buf_append(&c->rows[t], p + at, n);
        c->n[t] = rows;
        c->total += rows;
        at += n;
    }
    return false;
}
