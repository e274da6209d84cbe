/* fuzz_storage_raw.c - sip_messages.raw read back from hostile bytes
 * (st_raw_unpack, storage/sipz.c): the stored value comes from a database
 * anyone with write access could have filled.  Input: byte 0 the
 * raw_format, bytes 1-3 the row's len (little-endian), the rest the stored
 * value.  Decoding must succeed with exactly len bytes or fail cleanly,
 * never read or write out of bounds.  Then the input itself is compressed
 * as a message (st__sipz_pack) and must decode back to the same bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "st_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
    if (format == ST__RAW_DEFLATE) {
        if (packed.len >= size) abort(); /* stored compressed only when smaller */
        if (st_raw_unpack(format, packed.data, packed.len, size, &out) != 0 || out.len != size ||
            memcmp(out.data, data, size) != 0)
            abort();
    } else if (packed.len != 0) {
        abort();
    }
    buf_free(&out), buf_free(&packed);
    return 0;
}
