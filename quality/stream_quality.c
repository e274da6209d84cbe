/* stream_quality.c - the per-stream quality tracker: what a receiver with a
 * jitter buffer would have played, the loss structure in sequence order,
 * quality over fixed intervals, and the stream's E-model score (ITU-T
 * G.107, RFC 3611 4.7 metrics).
 *
 * Per packet (arrival order, O(1) amortised, no allocation except the
 * interval array doubling at most log2(max_intervals) times per stream):
 *  1. Sequence: a 16-bit delta against the highest sequence seen extends
 *     the number.  A forward step of 1..3000 (RFC 3550 MAX_DROPOUT) opens a
 *     slot per sequence number, the skipped ones "missing"; a larger jump
 *     is a restart (no loss counted); a packet 1..63 behind fills its
 *     missing slot (reordered or late) or is a duplicate; further behind it
 *     is stale and ignored.
 *  2. Timing (packets with a known clock): RTP time from the extended
 *     timestamp, transit relative to the playout anchor (first packet,
 *     re-anchored at marker-bit talkspurt starts, and moved with the
 *     sender clock's drift that clock_skew.c follows, as a receiver's
 *     buffer keeps pace with the sender), RFC 3550 jitter, and the fixed
 *     and adaptive buffers (jitter_buffer.c) decide played/discarded.
 *     Telephone-event and unknown-clock packets only count in sequence.
 *  3. Fate in sequence order: slots are settled from the oldest: a played
 *     or discarded slot at once, a missing one when its playout deadline
 *     (estimated from the packet interval) has passed or the 64-slot ring
 *     is full; a missing slot settles as lost.  The burst state machine
 *     (burst.c) sees settled slots in order, fed with the fixed buffer's
 *     fate.  A packet arriving after its slot settled as lost turns that
 *     loss into a discard (late, not lost).
 *  4. Intervals of interval_ms by arrival time from the first packet:
 *     packets, lost (slots settled lost while the interval was current),
 *     discards (fixed buffer), jitter at the interval's end.
 *
 * Scoring (sq_finish): Ppl = 100 (lost + fixed-buffer discards) / expected;
 * the fixed buffer is the scored receiver (a simple endpoint), the adaptive
 * one is reported beside it.  BurstR = the Gilbert estimate of burst.c.
 * Mouth-to-ear delay d = RTT/2 (when RTCP gave one) + fixed buffer delay +
 * packetisation (one packet interval).  R = R0 - Id(d) - Ie,eff with the
 * codec's Ie/Bpl (codec_table.c); MOS by G.107 Annex B.  Wideband codecs are
 * scored with narrowband-equivalent values: mos_scale says which.  Interval
 * MOS uses the interval's Ppl with the stream's BurstR and delay; mos_min is
 * the lowest over intervals that expected at least 10 packets (the stream's
 * MOS when none did).
 *
 * The configuration (buffer delays, interval length, intervals kept) is the
 * same for every stream: each call is given it (sq_config_t) rather than
 * each tracker keeping a copy, as a tracker sits in every stream entry.
 */
#include "quality.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define MAX_DROPOUT     3000
#define MIN_IV_EXPECTED 10
#define NS_PER_MS_D     1e6

enum { SLOT_EMPTY = 0, SLOT_MISSING, SLOT_PLAYED, SLOT_DISCARDED, SLOT_LOST };

static const sq_config_t sq_default = {.jb_fixed_ms = 60,
                                       .jb_min_ms = 20,
                                       .jb_max_ms = 200,
                                       .interval_ms = 5000,
                                       .max_intervals = 720};

/* The configuration every call of one tracker is given (NULL: defaults). */
static inline const sq_config_t *conf(const sq_config_t *cfg)
{
    return cfg ? cfg : &sq_default;
}

/* The fixed buffer's delay (a packet later than this is discarded). */
static inline int64_t fixed_ns(const sq_config_t *c)
{
    return (int64_t)c->jb_fixed_ms * 1000000;
}

static inline int64_t iv_len_ns(const sq_config_t *c)
{
    return (int64_t)(c->interval_ms ? c->interval_ms : 5000) * 1000000;
}

static inline jbuf_bounds_t adaptive_bounds(const sq_config_t *c)
{
    return jbuf_bounds((int64_t)c->jb_min_ms * 1000000, (int64_t)c->jb_max_ms * 1000000);
}

/* The open interval as a record (it started interval_ms before its end). */
static sq_interval_t cur_interval(const sq_t *q, const sq_config_t *cfg)
{
    sq_interval_t v = {.start_ns = ts_sub_sat(q->iv_end_ns, iv_len_ns(cfg)),
                       .packets = q->cur_packets,
                       .lost = q->cur_lost,
                       .discards = q->cur_discards};
    return v;
}

void sq_config_default(sq_config_t *c)
{
    *c = sq_default;
}

int64_t sq_interval_ns(const sq_config_t *cfg)
{
    return iv_len_ns(conf(cfg));
}

void sq_init(sq_t *q, const sq_config_t *cfg)
{
    cfg = conf(cfg);
    memset(q, 0, sizeof *q);
    burst_init(&q->burst, BURST_GMIN);
    skew_init(&q->skew);
    jbuf_bounds_t b = adaptive_bounds(cfg);
    jbuf_init(&q->adaptive, &b, fixed_ns(cfg));
}

void sq_free(sq_t *q)
{
    free(q->iv);
    q->iv = NULL;
    q->n_iv = 0;
}

void sq_set_codec(sq_t *q, const char *name)
{
    const quality_codec_t *row = quality_codec_find(name), *first = quality_codec_at(0);
    q->codec_row = row ? (uint8_t)(row - first + 1) : 0;
}

/* ----------------------------- intervals -------------------------------- */

/* The interval array's room when it holds n: it grows by doubling from 8
 * up to max (a failed growth leaves both n and the room as they were). */
static uint32_t iv_room(uint32_t n, uint32_t max)
{
    if (n == 0) return 0;
    uint64_t cap = 8;
    while (cap < n)
        cap *= 2;
    return cap > max ? max : (uint32_t)cap;
}

static const quality_codec_t *sq_codec(const sq_t *q)
{
    return q->codec_row ? quality_codec_at(q->codec_row - 1u) : NULL;
}

static void iv_push(sq_t *q, uint32_t max_intervals, const sq_interval_t *v)
{
    if (q->n_iv >= max_intervals) {
        q->iv_dropped++;
        return;
    }
    uint32_t room = iv_room(q->n_iv, max_intervals);
    if (q->n_iv == room) {
        uint32_t cap = room ? room * 2 : 8;
        if (cap > max_intervals) cap = max_intervals;
        sq_interval_t *n = realloc(q->iv, (size_t)cap * sizeof *n);
        if (!n) {
            q->iv_dropped++;
            return;
        }
        q->iv = n;
    }
    q->iv[q->n_iv++] = *v;
}

static void iv_close(sq_t *q, const sq_config_t *cfg)
{
    sq_interval_t v = cur_interval(q, cfg);
    v.jitter_ms = q->have_transit ? (float)(q->jitter_ns / NS_PER_MS_D) : -1.0f;
    v.mos = -1;
    iv_push(q, cfg->max_intervals, &v);
}

static void iv_roll(sq_t *q, const sq_config_t *cfg, int64_t now)
{
    if (now < q->iv_end_ns) return;
    int64_t len = iv_len_ns(cfg);
    iv_close(q, cfg);
    int64_t skip = ts_sub_sat(now, q->iv_end_ns) / len; /* silent intervals in between */
    int64_t start = q->iv_end_ns;
    for (int64_t k = 0; k < skip; k++) {
        if (q->n_iv >= cfg->max_intervals) {
            q->iv_dropped += (uint32_t)(skip - k > UINT32_MAX ? UINT32_MAX : skip - k);
            break;
        }
        sq_interval_t e = {.start_ns = ts_add_sat(start, k * len), .jitter_ms = -1, .mos = -1};
        iv_push(q, cfg->max_intervals, &e);
    }
    start = ts_add_sat(start, skip * len); /* skip * len <= now - end */
    q->cur_packets = q->cur_lost = q->cur_discards = 0;
    q->iv_end_ns = ts_add_sat(start, len);
}

/* RTP time in ns of a count of ticks (an extended timestamp), saturated to
 * the int64 range (the conversion of a larger double is undefined). */
static inline int64_t ticks_ns(const sq_t *q, int64_t ticks)
{
    double v = (double)ticks * q->ns_per_tick;
    return v >= 9.2e18 ? INT64_MAX : v <= -9.2e18 ? INT64_MIN : (int64_t)v;
}

/* ----------------------------- sequence --------------------------------- */

/* a - b for extended sequence numbers (32-bit, modulo 2^32 like RFC
 * 3550's): the numbers compared are never more than 2^16 apart, so the
 * signed difference orders them as unbounded integers would. */
static inline int32_t seq_diff(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b);
}

static inline unsigned slot_get(const sq_t *q, uint32_t ext)
{
    unsigned i = ext & (SQ_RING - 1);
    return (q->slot[i >> 1] >> ((i & 1) * 4)) & 15u;
}

static inline void slot_set(sq_t *q, uint32_t ext, unsigned st)
{
    unsigned i = ext & (SQ_RING - 1), sh = (i & 1) * 4;
    q->slot[i >> 1] = (uint8_t)((q->slot[i >> 1] & ~(15u << sh)) | (st << sh));
}

/* Settles the oldest pending slot. */
static void settle_one(sq_t *q)
{
    unsigned st = slot_get(q, q->base);
    if (st == SLOT_PLAYED) {
        burst_received(&q->burst);
    } else if (st == SLOT_DISCARDED) {
        burst_lost(&q->burst);
    } else if (st == SLOT_MISSING) {
        burst_lost(&q->burst);
        q->lost++;
        q->cur_lost++;
        slot_set(q, q->base, SLOT_LOST);
    }
    q->base++;
}

/* Settles slots from the oldest while their fate is known. */
static void settle(sq_t *q, const sq_config_t *cfg, int64_t now)
{
    while (seq_diff(q->base, q->high) <= 0) {
        unsigned st = slot_get(q, q->base);
        if (st == SLOT_MISSING) {
            if (!q->have_clock || q->ts_step == 0) break;
            /* estimated RTP time of the missing packet, then its deadline */
            int64_t ts = q->high_ext_ts - (int64_t)seq_diff(q->high, q->base) * (int64_t)q->ts_step;
            double media_ns = (double)ts * q->ns_per_tick;
            double rel =
                (double)ts_sub_sat(now, q->first_arrival_ns) - media_ns - (double)q->anchor_ns;
            if (rel <= (double)fixed_ns(cfg)) break;
        }
        settle_one(q);
    }
}

/* Opens slot ext (missing), settling the oldest when the ring is full. */
static void open_slot(sq_t *q, uint32_t ext)
{
    while (seq_diff(ext, q->base) >= SQ_RING)
        settle_one(q);
    slot_set(q, ext, SLOT_MISSING);
    q->expected++;
}

/* ------------------------------ packets --------------------------------- */

void sq_update(sq_t *q, const sq_config_t *cfg, uint16_t seq, uint32_t ts, bool marker,
               uint32_t clock, int64_t arrival_ns)
{
    cfg = conf(cfg);
    bool talkspurt = false;
    uint32_t ext;
    if (!q->started) {
        q->started = true;
        q->first_arrival_ns = arrival_ns;
        q->iv_end_ns = ts_add_sat(arrival_ns, iv_len_ns(cfg));
        ext = q->high = q->base = seq;
        open_slot(q, ext);
    } else {
        iv_roll(q, cfg, arrival_ns);
        int32_t d = (int16_t)(uint16_t)(seq - (uint16_t)q->high);
        if (d > 0 && d <= MAX_DROPOUT) {
            ext = q->high + (uint32_t)d;
            for (int32_t k = 1; k <= d; k++)
                open_slot(q, q->high + (uint32_t)k);
            talkspurt = marker;
        } else if (d > MAX_DROPOUT || d < -(SQ_RING - 1)) {
            if (d < 0 && d >= -MAX_DROPOUT) { /* far behind: stale */
                q->stale++;
                return;
            }
            while (seq_diff(q->base, q->high) <= 0) /* restart: settle everything */
                settle_one(q);
            q->seq_restarts++;
            memset(q->slot, 0, sizeof q->slot);
            ext = q->high + (uint32_t)(d > 0 ? d : d + 65536);
            q->base = ext;
            open_slot(q, ext);
            talkspurt = true;
        } else {
            ext = q->high + (uint32_t)d; /* d in -63..0 */
            unsigned st = slot_get(q, ext);
            if (seq_diff(ext, q->base - (SQ_RING - 1)) < 0 || st == SLOT_EMPTY) {
                q->stale++;
                return;
            }
            if (st == SLOT_PLAYED || st == SLOT_DISCARDED) {
                q->duplicates++;
                return;
            }
        }
    }
    bool new_high = seq_diff(ext, q->high) > 0 || q->expected == 1;
    uint32_t prev_high = q->high;
    bool prev_high_clocked = q->have_ts;
    if (seq_diff(ext, q->high) > 0) q->high = ext;

    /* timing: played or discarded */
    bool played = true;
    if (clock) {
        if (!q->have_clock || clock != q->clock) {
            q->have_clock = true;
            q->clock = clock;
            q->ns_per_tick = 1e9 / (double)clock;
            q->have_ts = false;
            q->ts_step = 0;
        }
        int64_t since = ts_sub_sat(arrival_ns, q->first_arrival_ns);
        if (!q->have_ts) {
            q->have_ts = true;
            q->ext_ts = 0;
            q->high_ext_ts = 0;
            q->anchor_ns = since;
            talkspurt = true;
            prev_high_clocked = false;
        } else {
            q->ext_ts = ts_add_sat(q->ext_ts, (int32_t)(ts - q->last_ts));
        }
        q->last_ts = ts;
        if (new_high) {
            if (prev_high_clocked && ext == prev_high + 1) {
                int64_t step = q->ext_ts - q->high_ext_ts;
                if (step > 0 && step < (int64_t)clock) q->ts_step = (uint32_t)step;
            }
            q->high_ext_ts = q->ext_ts;
        }
        int64_t transit = ts_sub_sat(since, ticks_ns(q, q->ext_ts));
        if (q->have_transit) {
            double dd = fabs((double)ts_sub_sat(transit, q->last_transit_ns));
            q->jitter_ns += (dd - q->jitter_ns) / 16.0;
        }
        q->last_transit_ns = transit;
        q->have_transit = true;
        /* play at the sender's pace: the anchor moves with the drift */
        uint16_t win = since <= 0 ? 0 : (uint16_t)(since / SKEW_WINDOW_NS);
        if (win != q->skew_win) {
            q->skew_win = win;
            q->anchor_ns = ts_add_sat(q->anchor_ns, skew_close(&q->skew));
        }
        if (talkspurt) {
            q->anchor_ns = transit;
            skew_init(&q->skew);
        }
        int64_t rel = ts_sub_sat(transit, q->anchor_ns);
        skew_note(&q->skew, rel);
        played = rel <= fixed_ns(cfg); /* jbuf_offer's fixed buffer */
        if (!played) q->fixed_discards++;
        jbuf_bounds_t b = adaptive_bounds(cfg);
        jbuf_offer(&q->adaptive, &b, rel, talkspurt);
    }

    /* fate of the slot */
    q->received++;
    q->cur_packets++;
    if (!played) q->cur_discards++;
    if (slot_get(q, ext) == SLOT_LOST) { /* settled as lost: late, not lost */
        if (q->lost) q->lost--;
        if (q->cur_lost) q->cur_lost--;
    }
    slot_set(q, ext, played ? SLOT_PLAYED : SLOT_DISCARDED);
    settle(q, cfg, arrival_ns);
}

/* ------------------------------ finish ---------------------------------- */

static double interval_mos(const sq_result_t *r, const sq_interval_t *v, uint32_t *expected)
{
    *expected = v->packets + v->lost;
    if (!r->scored || *expected == 0) return -1;
    double ppl = 100.0 * (double)(v->lost + v->discards) / (double)*expected;
    return emodel_mos(emodel_r(r->delay_ms, r->ie, r->bpl, ppl, r->bm.burst_r));
}

void sq_interval_peek(const sq_t *q, const sq_config_t *cfg, sq_interval_t *out)
{
    cfg = conf(cfg);
    *out = cur_interval(q, cfg);
    out->jitter_ms = q->have_transit ? (float)(q->jitter_ns / NS_PER_MS_D) : -1.0f;
    out->mos = -1;
    uint32_t expected = out->packets + out->lost;
    const quality_codec_t *codec = sq_codec(q);
    if (!codec || !q->have_clock || expected == 0) return;
    double ptime = q->ts_step ? q->ts_step * 1000.0 / q->clock : 0;
    double ppl = 100.0 * (double)(out->lost + out->discards) / (double)expected;
    double delay = (double)cfg->jb_fixed_ms + ptime;
    out->mos = (float)emodel_mos(emodel_r(delay, codec->ie, codec->bpl, ppl, burst_r(&q->burst)));
}

void sq_finish(sq_t *q, const sq_config_t *cfg, double rtt_ms, sq_result_t *out)
{
    cfg = conf(cfg);
    memset(out, 0, sizeof *out);
    out->rtt_ms = rtt_ms >= 0 ? rtt_ms : -1;
    out->mos = out->r_factor = out->mos_min = -1;
    if (!q->started) return;
    while (seq_diff(q->base, q->high) <= 0)
        settle_one(q);
    iv_close(q, cfg);
    q->cur_packets = q->cur_lost = q->cur_discards = 0;
    q->iv_end_ns = INT64_MAX;

    out->have_clock = q->have_clock;
    out->ptime_ms = q->have_clock && q->ts_step ? q->ts_step * 1000.0 / q->clock : 0;
    burst_metrics(&q->burst, out->ptime_ms, &out->bm);
    out->expected = q->expected;
    out->lost = q->lost;
    out->duplicates = q->duplicates;
    out->discards = q->fixed_discards;
    out->discards_adaptive = q->adaptive.discards;
    out->jb_adaptive_max_ms = (double)q->adaptive.delay_max_ns / NS_PER_MS_D;
    out->effective_loss_pct =
        q->expected ? 100.0 * (double)(q->lost + q->fixed_discards) / (double)q->expected : 0;
    out->intervals = q->iv;
    out->n_intervals = q->n_iv;
    out->intervals_dropped = q->iv_dropped;

    const quality_codec_t *codec = sq_codec(q);
    out->scored = codec && q->have_clock && q->expected > 0;
    if (codec) {
        out->ie = codec->ie;
        out->bpl = codec->bpl;
        out->codec_source = codec->source;
        out->mos_scale = codec->wideband ? "narrowband-equivalent" : "narrowband";
    }
    out->delay_ms = (double)cfg->jb_fixed_ms + out->ptime_ms + (rtt_ms >= 0 ? rtt_ms / 2 : 0);
    if (!out->scored) return;
    out->r_factor =
        emodel_r(out->delay_ms, out->ie, out->bpl, out->effective_loss_pct, out->bm.burst_r);
    out->mos = emodel_mos(out->r_factor);

    double worst = -1;
    for (uint32_t i = 0; i < q->n_iv; i++) {
        uint32_t exp;
        double m = interval_mos(out, &q->iv[i], &exp);
        q->iv[i].mos = (float)m;
        if (m >= 0 && exp >= MIN_IV_EXPECTED && (worst < 0 || m < worst)) worst = m;
    }
    out->mos_min = worst >= 0 ? worst : out->mos;
}
