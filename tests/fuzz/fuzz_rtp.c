/* fuzz_rtp.c - libFuzzer target for rtp_parse_header, rtcp_probe and
 * rtp_static_codec.  The input is copied to an exact-size heap buffer so
 * ASan sees over-reads. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    if (size) memcpy(buf, data, size);
    rtp_header_t h;
    if (rtp_parse_header(buf, size, &h) == PROTO_OK) {
        if (h.header_len + h.payload_len > size) abort(); /* contract */
        const char *name;
        uint32_t clock;
        (void)rtp_static_codec(h.payload_type, &name, &clock);
    }
    (void)rtcp_probe(buf, size);
    free(buf);
    return 0;
}
