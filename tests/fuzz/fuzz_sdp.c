/* fuzz_sdp.c - libFuzzer target for sdp_parse and sdp_media_codec.
 * The input is copied to an exact-size heap buffer so ASan sees over-reads. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    if (size) memcpy(buf, data, size);
    static sdp_t sdp;
    if (sdp_parse(sv_make(buf, size), &sdp) == PROTO_OK) {
        for (unsigned i = 0; i < sdp.media_count; i++) {
            const sdp_media_t *m = &sdp.media[i];
            for (unsigned f = 0; f < m->fmt_count; f++) {
                sv_t enc;
                uint32_t clock;
                (void)sdp_media_codec(m, m->fmts[f], &enc, &clock);
            }
            (void)sdp_direction_name(m->direction);
        }
    }
    free(buf);
    return 0;
}
