/* corr_pcapfeed.h - feeds a capture file through the capture decoder into
 * a correlator, as `siphon analyze` does (decoder expiry every second,
 * corr_flush at the end).  Returns the number of frames read, -1 when the
 * file cannot be opened. */
#ifndef CORR_PCAPFEED_H
#define CORR_PCAPFEED_H

#include "capture.h"
#include "correlator.h"

static void pf_on_datagram(void *user, const datagram_t *dg)
{
    corr_on_datagram(user, dg);
}

static inline long pf_feed(corr_t *c, const char *path)
{
    char err[256];
    const char *paths[1] = {path};
    cap_files_t *f = cap_files_open(paths, 1, err, sizeof err);
    if (!f) return -1;
    cap_limits_t lim;
    cap_limits_default(&lim);
    cap_decoder_t *d = cap_decoder_new(&lim, pf_on_datagram, c);
    cap_frame_t fr;
    long n = 0;
    while (cap_files_next(f, &fr, err, sizeof err) > 0) {
        cap_decode_frame(d, &fr);
        n++;
    }
    cap_decoder_free(d);
    cap_files_close(f);
    corr_flush(c);
    return n;
}

#endif /* CORR_PCAPFEED_H */
