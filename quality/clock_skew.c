/* clock_skew.c - following the drift between a sender's RTP clock and the
 * capture clock, so that the jitter-buffer emulation plays out against the
 * sender's real pace as a receiver's buffer does.
 *
 * Why: a sender clock off by s (150 ppm is ordinary for a cheap
 * oscillator; a pcap replayed 1 % slow is 10,000 ppm) makes a packet's
 * transit (arrival minus RTP time) grow or shrink by s per second.  A
 * buffer that plays against the first packet's transit forever sees a
 * jitter-free stream arrive ever later (or earlier): after 60 ms / 150 ppm
 * = 400 s every packet misses a 60 ms buffer.  Real buffers resynchronise
 * (they stretch or shrink playout, or re-anchor); the emulation must too,
 * while a delay spike stays a spike.
 *
 * Design: the baseline is the lower envelope of transit: the lowest
 * relative transit (transit minus the playout anchor) of each window of
 * SKEW_WINDOW_NS of arrival time, the packet of the window that met the
 * least queueing.  The first window after the anchor was set gives the
 * reference (where the envelope sits relative to the anchor: the first
 * packet, or a talkspurt's, may itself have been delayed).  Each later
 * window's minimum minus the reference is how far the envelope moved: the
 * caller moves its anchor by that much, at most SKEW_MAX_STEP_NS a window
 * (2 %, 20,000 ppm), so what the anchor was set against is kept and only
 * the drift is taken out.  The caller tells when a window closed (it keeps
 * the window index where its entry has room).
 *
 * What it follows and what it does not:
 *  - drift of s: the anchor trails the envelope by at most 2 windows x s
 *    (20 ms at 1 %, 2 ms at 1,000 ppm), so a jitter-free stream with up to
 *    +-1 % drift keeps every packet within a 60 ms buffer; the step clamp
 *    is the most drift it can follow;
 *  - a delay spike shorter than a window never moves it (the window's
 *    minimum is a packet outside the spike), so spikes stay discards; a
 *    congestion that delays every packet of a whole window moves it by at
 *    most 20 ms a window, as an adaptive receiver would slowly re-centre.
 * Without drift the window minima stay at the reference (up to their
 * noise) and the stream is played as against its anchor alone.
 */
#include "quality.h"

#define SKEW_MAX_STEP_NS (SKEW_WINDOW_NS / 50) /* 2 % of a window: 20 ms */
#define SKEW_NONE        INT32_MIN

void skew_init(skew_t *s)
{
    s->ref_ns = SKEW_NONE;
    s->win_min_ns = SKEW_NONE;
}

void skew_note(skew_t *s, int64_t rel_ns)
{
    int32_t r = rel_ns > INT32_MAX    ? INT32_MAX
                : rel_ns <= INT32_MIN ? INT32_MIN + 1
                                      : (int32_t)rel_ns;
    if (s->win_min_ns == SKEW_NONE || r < s->win_min_ns) s->win_min_ns = r;
}

int64_t skew_close(skew_t *s)
{
    int32_t m = s->win_min_ns;
    s->win_min_ns = SKEW_NONE;
    if (m == SKEW_NONE) return 0;
    if (s->ref_ns == SKEW_NONE) { /* the first window: the reference */
        s->ref_ns = m;
        return 0;
    }
    int64_t d = (int64_t)m - s->ref_ns;
    return d > SKEW_MAX_STEP_NS ? SKEW_MAX_STEP_NS : d < -SKEW_MAX_STEP_NS ? -SKEW_MAX_STEP_NS : d;
}
