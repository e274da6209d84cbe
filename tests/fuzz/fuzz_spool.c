/* fuzz_spool.c - storage's spool read back from hostile bytes: the input
 * is one spool segment file (storage/spool.c records: magic, length,
 * CRC-32, payload); every record the reader accepts is parsed as a batch
 * (st__chunk_parse).  A torn or corrupt record must be skipped and
 * counted, a payload that does not parse refused, and nothing may crash
 * or read out of bounds.  Records with a valid checksum are rare in random
 * input, so the input is also parsed as one payload directly. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "st_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char dir[64];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/fuzz_spool.%d", (int)getpid());
        mkdir(dir, 0700);
        char err[256]; /* corrupt records are logged: not to the fuzzer's output */
        log_open("/dev/null", err, sizeof err);
    }
    st__chunk_t c;
    st__chunk_init(&c);
    (void)st__chunk_parse(&c, data, size);

    char path[128];
    snprintf(path, sizeof path, "%s/spool-0000000000000001.seg", dir);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, size, f);
        fclose(f);
        char err[256];
        st__spool_t *s = st__spool_open(dir, 1ull << 30, ST_FSYNC_NEVER, err, sizeof err);
        if (s) {
            buf_t b;
            buf_init(&b);
            uint64_t corrupt = 0;
            for (int i = 0; i < 1000 && st__spool_peek(s, &b, &corrupt) == 1; i++) {
                (void)st__chunk_parse(&c, (const uint8_t *)b.data, b.len);
                st__spool_commit(s);
            }
            buf_free(&b);
            st__spool_close(s);
        }
        unlink(path);
    }
    st__chunk_free(&c);
    return 0;
}
