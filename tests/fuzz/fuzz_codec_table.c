/* fuzz_codec_table.c - libFuzzer target for quality_codec_table_parse, the
 * `codec ie bpl [source...]` file parser (quality/codec_table.c), which
 * reads operator-supplied, possibly hostile, configuration.  The input is
 * copied to an exact-size heap buffer so ASan sees over-reads.  Checked
 * invariants: a failure names a line and leaves the table unchanged; a
 * success leaves every row within bounds (ie 0..95, 0 < bpl <= 1000,
 * NUL-terminated name and source) and findable by its name, and the E-model
 * stays finite and in range for every row. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "quality.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    quality_codec_table_reset();
    size_t before = quality_codec_count();
    char err[256];
    int rc = quality_codec_table_parse(buf, size, err, sizeof err);
    if (rc != 0) {
        if (quality_codec_count() != before || err[0] < '1' || err[0] > '9') abort();
    } else {
        size_t n = quality_codec_count();
        if (n < before || n > QUALITY_CODEC_MAX) abort();
        for (size_t i = 0; i < n; i++) {
            const quality_codec_t *c = quality_codec_at(i);
            if (!(c->ie >= 0 && c->ie <= 95 && c->bpl > 0 && c->bpl <= 1000)) abort();
            if (!memchr(c->name, '\0', sizeof c->name) ||
                !memchr(c->source, '\0', sizeof c->source))
                abort();
            if (!quality_codec_find(c->name)) abort();
            double r = emodel_r(100, c->ie, c->bpl, 7.5, 2);
            double mos = emodel_mos(r);
            if (!(r >= 0 && r <= 100 && mos >= 1 && mos <= 4.5)) abort();
        }
    }
    free(buf);
    return 0;
}
