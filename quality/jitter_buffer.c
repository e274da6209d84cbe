/* jitter_buffer.c - playout-buffer emulation: which packets a receiver
 * would have played and which arrived too late (discards, RFC 3611 4.7.1
 * "discard rate").
 *
 * The caller (stream_quality.c) gives each packet's transit relative to a
 * playout anchor: rel = (arrival - anchor arrival) - (RTP time - anchor RTP
 * time), where the anchor is the stream's first packet (re-anchored at each
 * talkspurt start, marker bit), moved with the sender clock's drift
 * (clock_skew.c), so a buffer plays at the sender's pace.  A packet is played when rel <= delay and
 * discarded otherwise: its playout deadline is anchor arrival + delay +
 * its RTP time offset.
 *
 * Fixed buffer: delay is the nominal delay (default 60 ms), always: a
 * buffer whose bounds are both the nominal delay.
 *
 * Adaptive buffer (after Ramjee et al., "Adaptive playout mechanisms for
 * packetized audio applications", 1994, algorithm 1, with faster gains for
 * short calls): running estimates of the relative transit d (mean, gain
 * 1/32) and of its deviation v (mean |rel - d|, gain 1/32) give a target
 * T = d + 4 v, clamped to [min, max].  The delay moves to T at once at a
 * talkspurt start and whenever T is above it (a real buffer stretches
 * playout to do so), and decays towards T by 1/64 of the difference per
 * packet when T is below (shrinking is done slowly so that one quiet spell
 * does not expose the next spike).  The check uses the delay before the
 * packet's own sample updates the estimates (causal).
 *
 * The bounds are configuration, the same for every stream: the caller
 * passes them to every call (jbuf_bounds_t) rather than each buffer
 * keeping a copy, as a buffer sits in every stream entry.
 */
#include "quality.h"

#include <string.h>

jbuf_bounds_t jbuf_bounds(int64_t min_ns, int64_t max_ns)
{
    jbuf_bounds_t b = {min_ns, max_ns < min_ns ? min_ns : max_ns};
    return b;
}

void jbuf_init(jbuf_t *j, const jbuf_bounds_t *b, int64_t start_ns)
{
    memset(j, 0, sizeof *j);
    if (start_ns < b->min_ns) start_ns = b->min_ns;
    if (start_ns > b->max_ns) start_ns = b->max_ns;
    j->delay_ns = j->delay_max_ns = start_ns;
}

bool jbuf_offer(jbuf_t *j, const jbuf_bounds_t *b, int64_t rel_transit_ns, bool talkspurt)
{
    bool played = rel_transit_ns <= j->delay_ns;
    if (!played) j->discards++;
    if (b->min_ns == b->max_ns) return played; /* fixed: the delay never moves */

    double rel = (double)rel_transit_ns;
    if (!j->have_est) {
        j->d_hat = rel;
        j->v_hat = 0;
        j->have_est = true;
    } else {
        j->d_hat += (rel - j->d_hat) / 32.0;
        double dev = rel > j->d_hat ? rel - j->d_hat : j->d_hat - rel;
        j->v_hat += (dev - j->v_hat) / 32.0;
    }
    double t = j->d_hat + 4.0 * j->v_hat;
    int64_t target = t < (double)b->min_ns   ? b->min_ns
                     : t > (double)b->max_ns ? b->max_ns
                                             : (int64_t)t;
    if (talkspurt || target > j->delay_ns)
        j->delay_ns = target;
    else
        j->delay_ns -= (j->delay_ns - target) / 64;
    if (j->delay_ns > j->delay_max_ns) j->delay_max_ns = j->delay_ns;
    return played;
}
