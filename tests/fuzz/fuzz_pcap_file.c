/* fuzz_pcap_file.c - libFuzzer target for the pcap/pcapng file source
 * (pcap_files.c) and the decoder behind it: the input is written to a
 * memfd and opened twice through /proc/self/fd (two sources of the same
 * bytes, so the timestamp merge runs), and every frame is decoded by one
 * decoder until the end or until both copies report an error.  Before each
 * decode a frame further on is peeked at (cap_files_peek, distance 1..17)
 * and glanced at by cap_decoder_prefetch, as `siphon analyze` does.
 * Every frame's capture time must lie in [0, CAP_TS_MAX_NS] whatever the
 * file says (seeds in seeds/fuzz_pcap_file/ hold pcapng timestamps of
 * 2^64-1 with several if_tsresol values, and classic pcap ones at 2^32-1 s):
 * the target aborts otherwise, and drives the decoder's expiry with it.
 * Inputs starting with the gzip magic go through the zlib reader
 * (file_input.c; gzip_* seeds). */
#include "capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile uint64_t sink;

static void touch(void *user, const datagram_t *dg)
{
    uint64_t s = dg->len;
    for (size_t i = 0; i < dg->len; i++)
        s += dg->data[i];
    sink += s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz_pcap", 0);
    if (fd < 0) return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64], err[512];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    const char *paths[2] = {path, path};
    cap_files_t *f = cap_files_open(paths, 2, err, sizeof err);
    if (f) {
        cap_decoder_t *d = cap_decoder_new(NULL, touch, NULL);
        cap_frame_t fr;
        int rc, guard = 0;
        while ((rc = cap_files_next(f, &fr, err, sizeof err)) != 0 && guard++ < 100000) {
            if (rc == 1) {
                sink += fr.data && fr.caplen ? fr.data[fr.caplen - 1] : 0;
                if (fr.ts_ns < 0 || fr.ts_ns > CAP_TS_MAX_NS) abort();
                /* the look-ahead walk (varying distances, so the cursor
                 * also restarts) and the decoder's glance at what it finds */
                cap_frame_t ahead;
                datagram_t hint;
                if (cap_files_peek(f, 1 + (uint32_t)(guard % 17), &ahead)) {
                    sink += ahead.caplen ? ahead.data[ahead.caplen - 1] : 0;
                    if (ahead.ts_ns < 0 || ahead.ts_ns > CAP_TS_MAX_NS) abort();
                    if (cap_decoder_prefetch(d, &ahead, &hint)) touch(NULL, &hint);
                }
                cap_decode_frame(d, &fr);
                cap_decoder_expire(d, fr.ts_ns);
            }
        }
        (void)cap_files_read_bytes(f);
        cap_decoder_free(d);
        cap_files_close(f);
    }
    close(fd);
    return 0;
}
