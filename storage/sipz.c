/* sipz.c - raw SIP messages compressed for sip_messages.raw.
 *
 * A stored message is mostly text every SIP message repeats: header names,
 * "SIP/2.0/UDP", ";branch=z9hG4bK", the SDP's rtpmap lines.  PostgreSQL
 * compresses a value only in rows above ~2 kB, and a message row is about
 * 500 B, so the shard compresses each message itself, alone (a row stays
 * readable on its own): zstd (RFC 8878, libzstd) at level 3 with a
 * dictionary trained from generic SIP (storage/sip_zstd.dict, embedded at
 * build time; tests/tools/sip_zdict_train.sh says what it was trained on
 * and makes it again).  A message then takes about a quarter of its bytes
 * on generated traffic and a third on the public captures it was not
 * trained on, in a few microseconds of CPU (BENCHMARKS.md, "Storage").
 * The dictionary is digested once per process (a CDict for compressing,
 * shared read-only by every shard, a DDict for reading); each shard owns
 * its compression context.
 *
 * raw_format says how `raw` is stored (storage.h st_raw_unpack):
 *  0  the bytes as captured (a message that would not shrink, or when no
 *     compressor could be made);
 *  1  a raw deflate stream (RFC 1951) primed with the preset dictionary
 *     storage/sip_dictionary.txt, LF line ends made CRLF (read only: rows
 *     written by earlier siphons);
 *  2  one zstd frame with its 4-byte magic number left out (always the
 *     same, so not stored), no checksum, no dictionary id and no content
 *     size (the row's len is the size), compressed with
 *     storage/sip_zstd.dict (dictionary id 1).
 * A dictionary is part of its format: a new dictionary means a new format
 * number, never an edit.  Decoding is bounded by the row's len (never more
 * output than that, at most ST_RAW_LEN_MAX) and rejects anything that does
 * not end exactly there: one frame, all of the stored bytes, len bytes out.
 */
#include "st_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#define SIPZ_LEVEL 3
static const unsigned char sipz_magic[4] = {0x28, 0xb5, 0x2f, 0xfd}; /* ZSTD_MAGICNUMBER, LE */

static pthread_once_t sipz_once = PTHREAD_ONCE_INIT;
static ZSTD_CDict *sipz_cdict; /* process-wide, read-only once made */
static ZSTD_DDict *sipz_ddict;

static void sipz_dicts(void)
{
    sipz_cdict = ZSTD_createCDict(st__sip_zstd_dict, st__sip_zstd_dict_len, SIPZ_LEVEL);
    sipz_ddict = ZSTD_createDDict(st__sip_zstd_dict, st__sip_zstd_dict_len);
}

struct st__sipz {
    ZSTD_CCtx *cctx;
    unsigned char *scratch; /* the frame, grown to the largest message */
    size_t cap;
};

st__sipz_t *st__sipz_new(void)
{
    pthread_once(&sipz_once, sipz_dicts);
    if (!sipz_cdict) return NULL;
    st__sipz_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->cctx = ZSTD_createCCtx();
    if (!s->cctx || ZSTD_isError(ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_checksumFlag, 0)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_dictIDFlag, 0)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_contentSizeFlag, 0)) ||
        ZSTD_isError(ZSTD_CCtx_refCDict(s->cctx, sipz_cdict))) {
        ZSTD_freeCCtx(s->cctx);
        free(s);
        return NULL;
    }
    return s;
}

void st__sipz_free(st__sipz_t *s)
{
    if (!s) return;
    ZSTD_freeCCtx(s->cctx);
    free(s->scratch);
    free(s);
}

int st__sipz_pack(st__sipz_t *s, const void *p, size_t n, buf_t *out)
{
    buf_reset(out);
    if (!s || n < 16 || n > ST_RAW_LEN_MAX) return ST__RAW_PLAIN;
    if (s->cap < n) { /* a frame as long as the message, magic included, is not worth it */
        unsigned char *g = realloc(s->scratch, n);
        if (!g) return ST__RAW_PLAIN;
        s->scratch = g, s->cap = n;
    }
    size_t k = ZSTD_compress2(s->cctx, s->scratch, n, p, n);
    if (ZSTD_isError(k) || k <= sizeof sipz_magic ||
        memcmp(s->scratch, sipz_magic, sizeof sipz_magic) != 0)
        return ST__RAW_PLAIN; /* out of room: stored as it came */
    buf_append(out, s->scratch + sizeof sipz_magic, k - sizeof sipz_magic);
    return ST__RAW_ZSTD;
}

static int unpack_deflate(const void *stored, size_t n, size_t len, unsigned char *dst)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -15) != Z_OK) return -1;
    int ok = inflateSetDictionary(&z, st__sip_dictionary, (uInt)st__sip_dictionary_len) == Z_OK;
    z.next_in = (Bytef *)(uintptr_t)stored;
    z.avail_in = (uInt)n;
    z.next_out = dst;
    z.avail_out = (uInt)(len + 1); /* one byte of slack tells "longer than len" */
    int rc = ok ? inflate(&z, Z_FINISH) : Z_DATA_ERROR;
    size_t got = len + 1 - z.avail_out;
    bool whole = rc == Z_STREAM_END && got == len && z.avail_in == 0;
    inflateEnd(&z);
    return whole ? 0 : -1;
}

static int unpack_zstd(const void *stored, size_t n, size_t len, unsigned char *dst)
{
    pthread_once(&sipz_once, sipz_dicts);
    if (!sipz_ddict || n > ST_RAW_LEN_MAX + 1024) return -1; /* longer than any frame of len */
    unsigned char *frame = malloc(sizeof sipz_magic + n);
    ZSTD_DCtx *d = ZSTD_createDCtx();
    int rc = -1;
    if (frame && d) {
        memcpy(frame, sipz_magic, sizeof sipz_magic);
        memcpy(frame + sizeof sipz_magic, stored, n);
        size_t whole = sizeof sipz_magic + n;
        /* exactly one frame and nothing after it, then at most len bytes
         * out (a longer message is an error, not a cut) */
        size_t f = ZSTD_findFrameCompressedSize(frame, whole);
        if (!ZSTD_isError(f) && f == whole) {
            size_t got = ZSTD_decompress_usingDDict(d, dst, len, frame, whole, sipz_ddict);
            rc = !ZSTD_isError(got) && got == len ? 0 : -1;
        }
    }
    ZSTD_freeDCtx(d);
    free(frame);
    return rc;
}

int st_raw_unpack(int raw_format, const void *stored, size_t n, size_t len, buf_t *out)
{
    buf_reset(out);
    if (raw_format == ST__RAW_PLAIN) {
        if (n != len) return -1;
        buf_append(out, stored, n);
        return 0;
    }
    if ((raw_format != ST__RAW_DEFLATE && raw_format != ST__RAW_ZSTD) || len > ST_RAW_LEN_MAX)
        return -1;
    unsigned char *dst = malloc(len + 1);
    if (!dst) return -1;
    int rc = raw_format == ST__RAW_ZSTD ? unpack_zstd(stored, n, len, dst)
                                        : unpack_deflate(stored, n, len, dst);
    if (rc == 0) buf_append(out, dst, len);
    free(dst);
    return rc;
}
