/* sipz.c - raw SIP messages compressed for sip_messages.raw.
 *
 * A stored message is mostly text every SIP message repeats: header names,
 * "SIP/2.0/UDP", ";branch=z9hG4bK", the SDP's rtpmap lines.  PostgreSQL
 * compresses a value only in rows above ~2 kB, and a message row is about
 * 500 B, so the writer compresses each message itself: raw deflate (RFC
 * 1951, zlib, already a dependency for the spool's CRC) primed with a
 * preset dictionary of that common text (storage/sip_dictionary.txt,
 * embedded at build time; generic SIP, no site's data).  A message then
 * takes about 40 % of its bytes (BENCHMARKS.md, "Storage"), and PostgreSQL
 * parses, logs and writes less per row.  Each message is compressed alone
 * (a row stays readable on its own), at level 1: the dictionary does most
 * of the work, and the shard threads pay the CPU.
 *
 * raw_format says how `raw` is stored (storage.h st_raw_unpack): a message
 * that would not shrink is stored as it came (format 0).  The dictionary is
 * part of format 1: changing it means a new format number, never an edit.
 * Decoding is bounded by the row's len (never more output than that, at
 * most ST_RAW_LEN_MAX) and rejects anything that does not end exactly there.
 */
#include "st_internal.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct st__sipz {
    z_stream z;
    unsigned char *scratch; /* the compressed bytes, grown to the largest message */
    size_t cap;
};

st__sipz_t *st__sipz_new(void)
{
    st__sipz_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    /* raw deflate (negative window bits: no zlib header or checksum, the
     * row's len and PostgreSQL's page checks cover it), 32 KiB window, a
     * small (memLevel 8) state */
    if (deflateInit2(&s->z, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(s);
        return NULL;
    }
    return s;
}

void st__sipz_free(st__sipz_t *s)
{
    if (!s) return;
    deflateEnd(&s->z);
    free(s->scratch);
    free(s);
}

int st__sipz_pack(st__sipz_t *s, const void *p, size_t n, buf_t *out)
{
    buf_reset(out);
    if (!s || n < 16 || n > ST_RAW_LEN_MAX) return ST__RAW_PLAIN;
    if (deflateReset(&s->z) != Z_OK ||
        deflateSetDictionary(&s->z, st__sip_dictionary, (uInt)st__sip_dictionary_len) != Z_OK)
        return ST__RAW_PLAIN;
    if (s->cap < n) { /* no more room than the message: not smaller, not worth it */
        unsigned char *g = realloc(s->scratch, n);
        if (!g) return ST__RAW_PLAIN;
        s->scratch = g, s->cap = n;
    }
    s->z.next_in = (Bytef *)(uintptr_t)p;
    s->z.avail_in = (uInt)n;
    s->z.next_out = s->scratch;
    s->z.avail_out = (uInt)n;
    if (deflate(&s->z, Z_FINISH) != Z_STREAM_END) return ST__RAW_PLAIN; /* out of room */
    buf_append(out, s->scratch, n - s->z.avail_out);
    return ST__RAW_DEFLATE;
}

int st_raw_unpack(int raw_format, const void *stored, size_t n, size_t len, buf_t *out)
{
    buf_reset(out);
    if (raw_format == ST__RAW_PLAIN) {
        if (n != len) return -1;
        buf_append(out, stored, n);
        return 0;
    }
    if (raw_format != ST__RAW_DEFLATE || len > ST_RAW_LEN_MAX) return -1;
    unsigned char *dst = malloc(len + 1);
    if (!dst) return -1;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -15) != Z_OK) {
        free(dst);
        return -1;
    }
    int ok = inflateSetDictionary(&z, st__sip_dictionary, (uInt)st__sip_dictionary_len) == Z_OK;
    z.next_in = (Bytef *)(uintptr_t)stored;
    z.avail_in = (uInt)n;
    z.next_out = dst;
    z.avail_out = (uInt)(len + 1); /* one byte of slack tells "longer than len" */
    int rc = ok ? inflate(&z, Z_FINISH) : Z_DATA_ERROR;
    size_t got = len + 1 - z.avail_out;
    bool whole = rc == Z_STREAM_END && got == len && z.avail_in == 0;
    inflateEnd(&z);
    if (whole) buf_append(out, dst, len);
    free(dst);
    return whole ? 0 : -1;
}
