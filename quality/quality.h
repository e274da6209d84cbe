/* quality.h - what an RTP stream's packets tell, without SIP: per-SSRC
 * statistics (RFC 3550 and Wireshark's figures) and the voice-quality
 * engine: loss structure, jitter-buffer emulation and the codec-aware
 * E-model (ITU-T G.107).
 *
 * Inside (one concept per file):
 *  - emodel.c         G.107 R-factor: R = R0 - Id - Ie,eff (R0 = 93.2), the
 *                     simplified delay impairment, Ie,eff with Bpl and
 *                     BurstR, R -> MOS (G.107 Annex B).
 *  - codec_table.c    per-codec Ie/Bpl with the source of every value;
 *                     overridable at run time and from a text file.
 *  - burst.c          RFC 3611 A.2 burst/gap state machine (Gmin 16), the
 *                     consecutive-loss run histogram, the Gilbert BurstR.
 *  - jitter_buffer.c  fixed and adaptive playout-buffer emulation (late
 *                     packets are discards).
 *  - clock_skew.c     the drift between a sender's RTP clock and arrival
 *                     time, followed so the buffers play at the sender's
 *                     real pace.
 *  - rtp_stats.c      per-SSRC statistics: RFC 3550 A.1/A.3/A.8 and the
 *                     Wireshark-compatible jitter/delta figures.
 *  - stream_quality.c the per-stream tracker the correlator feeds per RTP
 *                     packet; fixed-length intervals; the stream's score.
 *
 * Nothing here allocates per packet.  The interval history of a stream is
 * one array grown by doubling up to sq_config_t.max_intervals (intervals
 * beyond are counted, not kept); sq_free releases it.
 *
 * The codec table is process-wide: load or override it before feeding
 * packets (it is read, never written, by the trackers).
 */
#ifndef SIPHON_QUALITY_H
#define SIPHON_QUALITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------ */
/* E-model (emodel.c)                                                        */
/* ------------------------------------------------------------------------ */

#define EMODEL_R0 93.2 /* G.107 default R with no impairment (Ro - Is) */

/* Delay impairment for a one-way mouth-to-ear delay in ms (<= 0: 0). */
double emodel_id(double delay_ms);
/* Effective equipment impairment: Ie + (95 - Ie) Ppl / (Ppl/BurstR + Bpl).
 * ppl in percent (clamped to 0..100); burst_r <= 0 is taken as 1; bpl <= 0
 * is taken as the smallest positive value (no division by zero). */
double emodel_ie_eff(double ie, double bpl, double ppl, double burst_r);
/* R = R0 - Id(delay) - Ie,eff, clamped to [0, 100] (the narrowband scale). */
double emodel_r(double delay_ms, double ie, double bpl, double ppl, double burst_r);
/* G.107 Annex B: R < 0 -> 1.0, R > 100 -> 4.5, else
 * 1 + 0.035 R + R (R - 60) (100 - R) 7e-6, floored at 1. */
double emodel_mos(double r);

/* ------------------------------------------------------------------------ */
/* Codec impairment table (codec_table.c)                                    */
/* ------------------------------------------------------------------------ */

#define QUALITY_CODEC_NAME   24
#define QUALITY_CODEC_SOURCE 192
#define QUALITY_CODEC_MAX    64 /* rows, built-in and added */

typedef struct {
    char name[QUALITY_CODEC_NAME]; /* SDP encoding name, e.g. "PCMU" */
    char aliases[64];              /* more SDP names, space separated */
    double ie, bpl;
    bool wideband;                     /* scored on the narrowband scale (narrowband-equivalent) */
    char source[QUALITY_CODEC_SOURCE]; /* where ie/bpl come from */
} quality_codec_t;

/* The row for an SDP encoding name or alias (ASCII case-insensitive), or
 * NULL.  The pointer stays valid until the table is reset or reloaded. */
const quality_codec_t *quality_codec_find(const char *name);
size_t quality_codec_count(void);
const quality_codec_t *quality_codec_at(size_t i);
/* Sets ie/bpl of a codec (name or alias); an unknown name is added as a
 * narrowband row.  0 on success; -1 when ie is outside 0..95, bpl outside
 * (0, 1000], the name is empty/too long, or the table is full. */
int quality_codec_override(const char *name, double ie, double bpl);
/* Back to the built-in table. */
void quality_codec_table_reset(void);
/* Parses a table text: one `codec ie bpl [source...]` per line, '#'
 * comments and blank lines ignored.  Either every line applies or none
 * does.  0 on success; -1 with "LINE: message" in err. */
int quality_codec_table_parse(const char *text, size_t len, char *err, size_t errlen);
/* Reads and parses a file (at most 1 MiB); errors are "FILE:LINE: ...". */
int quality_codec_table_load(const char *path, char *err, size_t errlen);

/* ------------------------------------------------------------------------ */
/* Burst/gap metrics (burst.c)                                               */
/* ------------------------------------------------------------------------ */

#define BURST_GMIN 16 /* RFC 3611 4.7.2 recommended Gmin */

enum { LOSS_RUN_1, LOSS_RUN_2, LOSS_RUN_3, LOSS_RUN_4, LOSS_RUN_5_9, LOSS_RUN_10P, LOSS_RUN_BINS };

/* Counters are 32-bit (a stream of 2^32 packets is 2.7 years at 50/s):
 * the tracker sits in every stream entry and is touched per packet.  The
 * run histogram's count and total are not kept: they are the sum of runs[]
 * and n_loss - cur_run. */
typedef struct {
    /* RFC 3611 A.2 state and counters */
    uint32_t pkt, lost;
    uint32_t c11, c13, c14, c22, c23, c33;
    /* two-state (Gilbert) transition counts, in sequence order */
    uint32_t n_recv, n_loss, n_recv_loss, n_loss_recv;
    bool prev_loss, have_prev;
    uint16_t gmin;
    /* runs of consecutive lost/discarded packets */
    uint32_t cur_run;
    uint32_t runs[LOSS_RUN_BINS];
} burst_t;

typedef struct {
    double burst_density, gap_density; /* percent (RFC 6035 BLD/GLD) */
    double burst_duration_ms, gap_duration_ms;
    double burst_mean_len; /* mean consecutive-loss run, packets (0: none) */
    double burst_r;        /* Gilbert 1/(p+q), floored at 1 */
    uint64_t runs[LOSS_RUN_BINS];
} burst_metrics_t;

/* gmin 0 (or above 65535) is BURST_GMIN. */
void burst_init(burst_t *b, uint32_t gmin);
/* One packet in sequence order: received (played) or lost/discarded. */
void burst_received(burst_t *b);
void burst_lost(burst_t *b);
/* BurstR so far (Gilbert estimate, >= 1). */
double burst_r(const burst_t *b);
/* Report-time figures; ms_per_pkt is the packet interval (0: durations 0). */
void burst_metrics(const burst_t *b, double ms_per_pkt, burst_metrics_t *out);

/* ------------------------------------------------------------------------ */
/* Jitter-buffer emulation (jitter_buffer.c)                                 */
/* ------------------------------------------------------------------------ */

/* A buffer's bounds: configuration, the same for every stream, so they are
 * passed to each call instead of kept in each buffer.  min == max is a
 * fixed buffer (its delay never moves). */
typedef struct {
    int64_t min_ns, max_ns;
} jbuf_bounds_t;

typedef struct {
    int64_t delay_ns;     /* current playout delay */
    int64_t delay_max_ns; /* largest delay used */
    double d_hat, v_hat;  /* adaptive: transit mean and deviation (ns) */
    uint32_t discards;    /* packets offered after their deadline */
    bool have_est;
} jbuf_t;

/* Bounds [min_ns, max_ns]; max below min is raised to min. */
jbuf_bounds_t jbuf_bounds(int64_t min_ns, int64_t max_ns);
/* A buffer starting at start_ns (clamped to the bounds). */
void jbuf_init(jbuf_t *j, const jbuf_bounds_t *b, int64_t start_ns);
/* Offers one packet whose transit relative to the playout anchor is
 * rel_transit_ns (arrival - expected arrival at the anchor's pace).
 * talkspurt: the packet starts a talkspurt (marker bit): an adaptive
 * buffer takes its new delay there.  True when played, false when it
 * arrived after its playout deadline (a discard).  b: the bounds the
 * buffer was initialised with. */
bool jbuf_offer(jbuf_t *j, const jbuf_bounds_t *b, int64_t rel_transit_ns, bool talkspurt);

/* ------------------------------------------------------------------------ */
/* Clock skew (clock_skew.c)                                                 */
/* ------------------------------------------------------------------------ */

/* The lower envelope of a stream's transit (arrival minus RTP time)
 * relative to its playout anchor, followed window by window so that the
 * anchor moves with a drifting sender clock (up to +-2 %): the drift costs
 * no discards while delay spikes still do. */
#define SKEW_WINDOW_NS 1000000000LL /* windows of 1 s of arrival time */

typedef struct {
    int32_t ref_ns;     /* the envelope at the anchor (INT32_MIN: not yet) */
    int32_t win_min_ns; /* lowest relative transit in the open window */
} skew_t;

/* A new anchor: the next window closed gives the reference. */
void skew_init(skew_t *s);
/* One packet's transit relative to the anchor, in the open window. */
void skew_note(skew_t *s, int64_t rel_ns);
/* The open window closed: how far to move the anchor (ns). */
int64_t skew_close(skew_t *s);

/* ------------------------------------------------------------------------ */
/* Per-stream tracker (stream_quality.c)                                     */
/* ------------------------------------------------------------------------ */

typedef struct {
    uint32_t jb_fixed_ms; /* fixed buffer delay (default 60) */
    uint32_t jb_min_ms;   /* adaptive buffer bounds (default 20..200) */
    uint32_t jb_max_ms;
    uint32_t interval_ms;   /* quality-over-time interval (default 5000) */
    uint32_t max_intervals; /* kept per stream (default 720: 1 h of 5 s) */
} sq_config_t;

void sq_config_default(sq_config_t *c);

typedef struct {
    int64_t start_ns;
    uint32_t packets;  /* received (duplicates excluded) */
    uint32_t lost;     /* found missing while this interval was current */
    uint32_t discards; /* fixed buffer */
    float jitter_ms;   /* RFC 3550 jitter at the interval's end (-1 unknown) */
    float mos;         /* -1: not computable (nothing expected, no codec) */
} sq_interval_t;

#define SQ_RING 64 /* sequence slots awaiting their fate */

/* Fields touched per packet come first and are packed (cache lines per
 * stream entry are the cost of this tracker): the slot ring is 4 bits a
 * slot, the fixed buffer is its discard count (its delay is jb_fixed_ms),
 * the open interval is its three counters (it starts interval_ms before
 * iv_end_ns).  The configuration is not kept: it is the same for every
 * stream, and every call below takes it (cfg NULL: sq_config_default).
 * History comes last. */
typedef struct {
    bool started : 1, have_ts : 1, have_clock : 1, have_transit : 1;
    uint8_t codec_row; /* quality_codec_at(codec_row - 1); 0: unknown, no score */
    uint16_t skew_win; /* the skew window open (arrival / SKEW_WINDOW_NS, mod 2^16) */
    uint32_t clock;
    double ns_per_tick;
    /* sequence: extended numbers (32-bit, modulo 2^32 like RFC 3550's,
     * compared by signed difference); slots [base, high] not yet final */
    uint32_t high, base;
    uint32_t expected, received, lost;
    uint32_t last_ts;
    uint32_t ts_step;        /* RTP ticks per packet (0: unknown) */
    uint32_t fixed_discards; /* packets late for the fixed buffer */
    int64_t first_arrival_ns;
    int64_t ext_ts, high_ext_ts; /* timestamp of the last / highest-seq packet */
    int64_t anchor_ns;           /* transit that plays exactly on time (moves with skew) */
    int64_t last_transit_ns;
    double jitter_ns; /* RFC 3550 J, in ns */
    int64_t iv_end_ns;
    uint32_t cur_packets, cur_lost, cur_discards; /* the open interval */
    uint8_t slot[SQ_RING / 2];                    /* two 4-bit slots a byte */
    uint32_t duplicates; /* rarely touched: fills the hole before adaptive */
    skew_t skew;         /* sender clock drift, followed by anchor_ns */
    jbuf_t adaptive;     /* bounds jb_min_ms..jb_max_ms of sq_config_t */
    burst_t burst;
    /* rarely touched */
    uint32_t stale, seq_restarts;
    uint32_t n_iv, iv_dropped; /* the array's room follows from n_iv */
    sq_interval_t *iv;
} sq_t;

typedef struct {
    bool scored;           /* mos/r_factor/mos_min valid */
    bool have_clock;       /* discards/jitter-buffer figures valid */
    const char *mos_scale; /* "narrowband" or "narrowband-equivalent" */
    double mos, r_factor, mos_min;
    double effective_loss_pct;
    uint64_t expected, lost, discards, discards_adaptive, duplicates;
    burst_metrics_t bm;
    double ie, bpl, delay_ms, rtt_ms; /* rtt_ms < 0: unknown */
    double ptime_ms;
    double jb_adaptive_max_ms; /* largest delay the adaptive buffer used */
    const char *codec_source;
    const sq_interval_t *intervals; /* valid while the tracker lives */
    uint32_t n_intervals, intervals_dropped;
} sq_result_t;

/* cfg (here and below): the same configuration for the tracker's whole
 * life; NULL is sq_config_default.  interval_ms 0 is taken as 5000 and
 * jb_max_ms below jb_min_ms as jb_min_ms. */
void sq_init(sq_t *q, const sq_config_t *cfg);
/* The interval length cfg gives, in ns (interval_ms, 0 taken as 5000). */
int64_t sq_interval_ns(const sq_config_t *cfg);
/* Releases the interval history; the tracker must be re-initialised. */
void sq_free(sq_t *q);
/* The stream's codec (SDP encoding name; NULL or unknown: no score). */
void sq_set_codec(sq_t *q, const char *name);
/* One RTP packet in arrival order.  clock: RTP clock of this packet's
 * payload type (0: unknown or telephone-event: sequence only). */
void sq_update(sq_t *q, const sq_config_t *cfg, uint16_t seq, uint32_t ts, bool marker,
               uint32_t clock, int64_t arrival_ns);
/* Final figures.  Settles the pending sequence slots and the open
 * interval, so call it once, when the stream ends.  rtt_ms: RTCP round
 * trip when known (< 0: unknown), half of it is added to the delay. */
void sq_finish(sq_t *q, const sq_config_t *cfg, double rtt_ms, sq_result_t *out);

/* Live interval reporting (the correlator's quality_interval events).
 * sq_interval_due: the packet arriving at arrival_ns will close the open
 * interval (then sq_update closes it, and pushes empty ones for a silence
 * longer than an interval).  sq_interval_peek: the open interval as it
 * would close now, with a provisional MOS (the loss burstiness, packet
 * interval and codec known so far, no round trip; -1 when not computable).
 * sq_intervals_closed: intervals closed so far, kept or dropped. */
static inline bool sq_interval_due(const sq_t *q, int64_t arrival_ns)
{
    return q->started && arrival_ns >= q->iv_end_ns;
}
void sq_interval_peek(const sq_t *q, const sq_config_t *cfg, sq_interval_t *out);
static inline uint32_t sq_intervals_closed(const sq_t *q)
{
    return q->n_iv + q->iv_dropped;
}

/* ------------------------------------------------------------------------ */
/* RTP stream statistics (rtp_stats.c)                                      */
/* ------------------------------------------------------------------------ */

/* 192 bytes, in every stream entry and updated per packet.  Packet
 * counters are 32-bit like Wireshark's own (tap-rtp-analysis) and like the
 * extended sequence numbers below: they wrap after 2^32 packets, 49 days of
 * a 1,000 packet/s stream, far beyond a call.  Bytes stay 64-bit (4 GiB is
 * 7 hours of a 1 Mbit/s video stream).  The jitter and delta figures are
 * doubles: the output reads them at full precision (Wireshark's own
 * arithmetic, compared with tshark). */
typedef struct {
    int64_t first_ts_ns, last_ts_ns; /* first and last arrival */
    uint64_t bytes;                  /* RTP payload bytes (header excluded) */

    /* jitter: RFC 3550 (timestamp units, float form) and Wireshark's (ms) */
    double jitter_rfc;     /* J in timestamp units */
    double jitter_ms;      /* current Wireshark jitter */
    double jitter_min_ms;  /* valid when jitter_count > 0 */
    double jitter_max_ms;  /* idem */
    double jitter_mean_ms; /* Wireshark's running mean (see rtp_stats.c) */
    double delta_min_ms, delta_max_ms;
    double delta_mean_ms; /* idem for the arrival delta */
    double ws_time_ms;    /* arrival of the last in-time packet, ms from first */
    double ws_nominal_ms; /* its RTP time, ms from the first timestamp */
    /* duplicate / reorder detection: bit i = (highest_ext_seq - i) seen */
    uint64_t seen[2];

    /* Wireshark-compatible counters (tap-rtp-analysis) */
    uint32_t packets; /* every RTP packet of the stream */
    uint32_t duplicates;
    uint32_t out_of_order;
    uint32_t seq_errors;   /* wrong-sequence events (jumps, resets) */
    uint32_t jitter_count; /* packets contributing to jitter min/mean/max */
    uint32_t delta_count;  /* packets contributing to delta min/mean/max */
    uint32_t received;     /* packets counted by RFC 3550 A.1, from the first */

    /* RFC 3550 A.1 sequence state (cycles = highest_ext_seq - max_seq) */
    uint32_t bad_seq;
    uint32_t highest_ext_seq;
    uint16_t max_seq;
    uint16_t base_seq;

    uint16_t first_seq;
    uint16_t ws_seq;       /* last in-sequence seq (wrong-seq detection) */
    uint32_t last_ext_seq; /* extended seq of the last packet received (its
                            * high half is Wireshark's wrap count, "under") */
    uint16_t ws_stop_seq;  /* seq of the last packet received */
    uint8_t probation;
    bool have_last;
    uint32_t clock_rate; /* 0 = unknown: no jitter computed */
    uint32_t last_timestamp;
    uint32_t first_timestamp;
    bool ws_under;
    bool prev_cn; /* previous packet was comfort noise */
} rtp_stats_t;

/* clock_rate is the clock of the packets about to be fed (0 = unknown or
 * telephone-event: no jitter).  Callers may change s->clock_rate between
 * updates when the payload type changes, as Wireshark does per packet. */
void rtp_stats_init(rtp_stats_t *s, uint32_t clock_rate);
/* Updates the statistics with one packet (seq, RTP timestamp, marker bit,
 * payload bytes, arrival time).  comfort_noise: PT 13 or 19 (excluded from
 * jitter min/max/mean like Wireshark). */
void rtp_stats_update(rtp_stats_t *s, uint16_t seq, uint32_t timestamp, bool marker,
                      bool comfort_noise, size_t payload_len, int64_t arrival_ns);
/* RFC 3550 A.3 cumulative loss (expected - received, may be negative with
 * duplicates), with base_seq at the stream's first packet. */
int64_t rtp_stats_lost(const rtp_stats_t *s);
/* Wireshark 4.0's count: last_ext_seq - first_seq + 1 - packets. */
int64_t rtp_stats_lost_wireshark(const rtp_stats_t *s);
double rtp_stats_jitter_mean_ms(const rtp_stats_t *s);
double rtp_stats_delta_mean_ms(const rtp_stats_t *s);

#endif /* SIPHON_QUALITY_H */
