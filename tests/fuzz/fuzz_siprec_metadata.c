/* fuzz_siprec_metadata.c - libFuzzer target for the SIPREC metadata parser
 * (siprec/metadata.c, libxml2): the input is applied to an empty model, then
 * again as an update of the model it produced (a partial document merges
 * into it), and every association lookup is exercised.  The input gets an
 * exact-size heap buffer so ASan sees any over-read.  Seeds: the shared
 * SRC offers (the metadata parts are found by the XML root inside them: a
 * body that is not a bare document is refused, which is itself a path). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "siprec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* start at the first '<' so whole offers used as seeds reach the XML */
    const uint8_t *lt = size ? memchr(data, '<', size) : NULL;
    if (lt && size > 1 && data[0] != '<') {
        size -= (size_t)(lt - data);
        data = lt;
    }
    char *xml = malloc(size ? size : 1);
    if (!xml) return 0;
    if (size) memcpy(xml, data, size);
    srs_metadata_t md;
    srs_metadata_init(&md);
    char err[160];
    for (int pass = 0; pass < 2; pass++) {
        if (srs_metadata_apply(&md, xml, size, 1 << 20, err, sizeof err) != 0) break;
        for (uint32_t i = 0; i < md.n_streams; i++) {
            (void)srs_metadata_stream_by_label(&md, md.streams[i].label);
            (void)srs_metadata_sender(&md, md.streams[i].id);
        }
    }
    srs_metadata_free(&md);
    free(xml);
    return 0;
}
