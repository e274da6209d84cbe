/* fuzz_storage_raw.c - sip_messages.raw read back from hostile bytes
 * (st_raw_unpack, storage/sipz.c): the stored value comes from a database
 * anyone with write access could have filled.  Input: byte 0 the
 * raw_format, bytes 1-3 the row's len (little-endian), the rest the stored
 * value.  Decoding must succeed with exactly len bytes or fail cleanly,
 * never read or write out of bounds.  Then the input itself is compressed
 * as a message (st__sipz_pack, format 2) and must decode back to the same
 * bytes, and not with one byte more or less, nor with a len one off; and
 * as format 1 (raw deflate with the preset dictionary, what earlier
 * siphons wrote), which must decode back too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "st_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void deflate_v1(const uint8_t *data, size_t size, buf_t *out)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) abort();
    deflateSetDictionary(&z, st__sip_dictionary, (uInt)st__sip_dictionary_len);
    size_t cap = deflateBound(&z, (uLong)size) + 16;
    unsigned char *o = malloc(cap);
    if (!o) abort();
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)size;
    z.next_out = o;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) abort();
    buf_reset(out);
    buf_append(out, o, cap - z.avail_out);
    deflateEnd(&z);
    free(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static st__sipz_t *z;
    if (!z) z = st__sipz_new();
    buf_t out, packed;
    buf_init(&out), buf_init(&packed);
    if (size >= 4) {
        size_t len = (size_t)data[1] | (size_t)data[2] << 8 | (size_t)data[3] << 16;
        if (st_raw_unpack(data[0] % 4, data + 4, size - 4, len, &out) == 0 && out.len != len)
            abort();
    }
    int format = st__sipz_pack(z, data, size, &packed);
    if (format == ST__RAW_ZSTD) {
        if (packed.len >= size) abort(); /* stored compressed only when smaller */
        if (st_raw_unpack(format, packed.data, packed.len, size, &out) != 0 || out.len != size ||
            memcmp(out.data, data, size) != 0)
            abort();
        if (st_raw_unpack(format, packed.data, packed.len, size + 1, &out) == 0) abort();
        if (st_raw_unpack(format, packed.data, packed.len, size - 1, &out) == 0) abort();
        if (st_raw_unpack(format, packed.data, packed.len - 1, size, &out) == 0) abort();
        buf_putc(&packed, 0); /* a trailing byte */
        if (st_raw_unpack(format, packed.data, packed.len, size, &out) == 0) abort();
    } else if (format != ST__RAW_PLAIN || packed.len != 0) {
        abort();
    }
    if (size <= 65536) {
        deflate_v1(data, size, &packed);
        if (st_raw_unpack(ST__RAW_DEFLATE, packed.data, packed.len, size, &out) != 0 ||
            out.len != size || (size && memcmp(out.data, data, size) != 0))
            abort();
    }
    buf_free(&out), buf_free(&packed);
    return 0;
}
