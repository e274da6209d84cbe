/* pipeline.h - the multi-threaded path from capture to the correlator:
 * the shards and their rings (pipeline.c), the correlation stage that
 * drives one correlator inline or the shards (stage.c), and the live
 * capture threads that feed it (capture_threads.c).
 *
 *   producer threads (capture: read, decode)      shard threads
 *   ─ pl_submit(p, datagram) ─ corr_route ─▶ SPSC ring [p][s] ─▶ corr_t s ─▶ sink s
 *
 * P producers and S correlator shards talk through P x S bounded lock-free
 * single-producer/single-consumer rings (core.h spsc_t): no lock and no
 * allocation per packet.  corr_route (correlator.h) picks the shard: SIP by
 * Call-ID, media by the shard whose SDP named it, the rest by flow.  Each
 * shard is a whole correlator with 1/S of the caps and its own sink, whose
 * callbacks run on the shard's thread (a consumer that writes somewhere
 * shared, like stdout, brings its own lock: records are per call, not per
 * packet).
 *
 * Time.  Shards are built with external_expiry: a producer replays the
 * correlator's own expiry points (corr_clock_due) over the datagrams it
 * submits and broadcasts them to every shard, and pl_expire broadcasts the
 * driver's own (per second of packet time, or of wall time when traffic
 * stops).  With one producer every shard therefore sees the same datagrams
 * in the same order and the same expiry points as one correlator would:
 * `siphon analyze --threads N` gives the same calls as one thread.
 *
 * Full rings.  lossless (files): the producer waits for room.  Otherwise
 * (live capture) the datagram is dropped and counted per shard: the ring
 * in the kernel keeps filling meanwhile, and a stalled correlator must not
 * stall capture of everything else.
 */
#ifndef SIPHON_PIPELINE_H
#define SIPHON_PIPELINE_H

#include "capture.h"
#include "core.h"
#include "correlator.h"

typedef struct pl pl_t;

#define PL_MAX_THREADS 64

typedef struct {
    uint32_t shards;    /* correlator threads, 1..PL_MAX_THREADS */
    uint32_t producers; /* threads calling pl_submit, 1..PL_MAX_THREADS */
    size_t queue_bytes; /* each producer -> shard ring (default 32 MiB) */
    bool lossless;      /* full ring: wait (files) instead of drop (live) */
    bool frames;        /* carry each datagram's frame to the shards (a
                           consumer wants packets: FAN_WANT_PACKETS) */
    corr_config_t corr; /* caps for the whole process, split among shards */
} pl_config_t;

/* The sink of shard s: called once per shard by pl_new (on its thread); the
 * callbacks then run on shard s's thread. */
typedef corr_sink_t (*pl_make_sink_fn)(void *user, uint32_t shard);
/* Called on shard s's thread when its rings run dry and once after its
 * final flush: the moment to write out buffered records (may be NULL). */
typedef void (*pl_idle_fn)(void *user, uint32_t shard);

pl_t *pl_new(const pl_config_t *cfg, pl_make_sink_fn make_sink, pl_idle_fn on_idle, void *user,
             char *err, size_t errlen);

/* Producer p (each producer index is used by one thread only). */
void pl_submit(pl_t *pl, uint32_t producer, const datagram_t *dg);
void pl_expire(pl_t *pl, uint32_t producer, int64_t now_ns);
/* Producer p has nothing to submit at wall time now_ns (it polls): with
 * several producers, lets held media of the others (and its own) go. */
void pl_idle(pl_t *pl, uint32_t producer, int64_t now_ns);
/* Producer p submits nothing more.  When every producer is done, shards
 * drain their rings, flush their correlators (corr_flush) and stop. */
void pl_producer_done(pl_t *pl, uint32_t producer);
/* Waits for every shard to stop (after every producer is done). */
void pl_join(pl_t *pl);
void pl_free(pl_t *pl);

typedef struct {
    uint64_t datagrams;      /* submitted */
    uint64_t queue_waits;    /* lossless: times a producer waited for room */
    uint64_t queue_drops;    /* live: datagrams dropped, a ring was full */
    uint64_t oversize_drops; /* larger than a ring record can be */
    uint64_t held;           /* media held back until its SDP could be seen */
    uint64_t hold_overflows; /* the hold was full: everything held was sent */
    /* with more than one shard, each datagram under its final route (held
     * media counts once, however often it was looked at again):
     * route.sip + route.media_by_sdp + route.by_flow == datagrams; all zero
     * with one shard, where nothing is routed */
    corr_route_stats_t route;
} pl_stats_t;

/* Sum over producers; exact after pl_join, a recent view before. */
void pl_stats(pl_t *pl, pl_stats_t *out);
/* Sum of every shard's corr_stats: exact after pl_join; before, as of each
 * shard's last expiry point. */
void pl_corr_stats(pl_t *pl, corr_stats_t *out);
uint32_t pl_shards(const pl_t *pl);

/* ------------------------------------------------------------------------
 * The correlation stage (stage.c): one correlator called inline by the
 * thread that decodes (shards = 0), or the shard threads above fed by
 * producers; analyze, run and the capture threads drive both alike.
 * ------------------------------------------------------------------------ */
typedef struct {
    corr_config_t corr;
    uint32_t shards;    /* 0: inline, in the producer's thread */
    uint32_t producers; /* threads that feed datagrams (0 = 1) */
    size_t queue_bytes; /* pipeline ring per producer and shard */
    bool lossless;      /* files: wait for room; live: drop and count */
    bool frames;        /* shards: carry each datagram's frame (pl_config_t) */
} pl_stage_config_t;

typedef struct pl_stage pl_stage_t;
typedef struct {
    pl_stage_t *a;
    uint32_t producer;
} pl_stage_feed_t; /* the user pointer of pl_stage_on_datagram */

struct pl_stage {
    corr_t *corr;           /* inline */
    pl_t *pl;               /* or shards */
    pl_stage_feed_t *feeds; /* one per producer */
    uint32_t producers;
    bool finished;
    corr_stats_t sum;
    corr_lookahead_t la; /* inline: corr_prefetch's ring */
};

/* Inline, make_sink(user, 0) is the correlator's sink; with shards, each
 * shard asks for its own (pl_new).  The consumers behind them must be
 * started. */
int pl_stage_open(pl_stage_t *a, const pl_stage_config_t *cfg, pl_make_sink_fn make_sink,
                  pl_idle_fn on_idle, void *user, char *err, size_t errlen);
/* datagram_cb_pt: user is &a->feeds[producer]. */
void pl_stage_on_datagram(void *feed, const datagram_t *dg);
/* Look-ahead: frame (NULL: none) will be decoded by dec and fed to the
 * correlation stage CORR_LOOKAHEAD_DIST frames from now; called once per
 * frame decoded.  Starts loading what both will need (cap_decoder_prefetch,
 * corr_prefetch inline; shards look ahead in their own rings). */
void pl_stage_prefetch(pl_stage_t *a, cap_decoder_t *dec, const cap_frame_t *frame);
/* One frame of a producer through dec into the stage, with the expiry rule
 * analyze and run share: at the first frame of each new second of packet
 * time the decoder and the stage expire first.  *next_expire is the
 * producer's own (0 before its first frame). */
void pl_stage_frame(pl_stage_t *a, uint32_t producer, cap_decoder_t *dec, int64_t *next_expire,
                    const cap_frame_t *f);
void pl_stage_expire(pl_stage_t *a, uint32_t producer, int64_t now_ns);
/* Producer has nothing to submit (live, between polls): pl_idle. */
void pl_stage_idle(pl_stage_t *a, uint32_t producer, int64_t now_ns);
/* End of input: every call in flight is emitted (shards: joined). */
void pl_stage_finish(pl_stage_t *a);
const corr_stats_t *pl_stage_stats(pl_stage_t *a);
void pl_stage_close(pl_stage_t *a);

/* ------------------------------------------------------------------------
 * Capture threads (capture_threads.c): the producers of a live capture.
 * Thread t reads its ring of every interface (the rings of one interface
 * share a PACKET_FANOUT group when there are several threads), decodes
 * with its own decoder and feeds the stage as producer t; it expires its
 * decoder and the stage each second of packet and of wall time, and tells
 * the stage when it is idle.  Without interfaces (capture files) the
 * caller reads and is producer 0 (pl_capture_frame).
 * ------------------------------------------------------------------------ */

#define PL_MAX_IFACES 64

typedef struct pl_capture pl_capture_t;

typedef struct {
    uint32_t threads;               /* 1..PL_MAX_THREADS (files: 1) */
    uint32_t n_ifaces;              /* 0..PL_MAX_IFACES; 0: the caller reads */
    const char *const *ifnames;     /* per interface, for the logs */
    const cap_ring_config_t *rings; /* per interface (fanout_group is set here) */
} pl_capture_config_t;

/* Opens every ring: as root, before privileges are dropped. */
pl_capture_t *pl_capture_open(const pl_capture_config_t *cfg, char *err, size_t errlen);
/* One decoder per thread, feeding stage (opened with cfg.threads
 * producers). */
int pl_capture_attach(pl_capture_t *c, pl_stage_t *stage, const cap_limits_t *limits, char *err,
                      size_t errlen);
/* Starts the threads (interfaces only). */
int pl_capture_start(pl_capture_t *c, char *err, size_t errlen);
/* The caller as producer p (files): one frame through its decoder. */
void pl_capture_frame(pl_capture_t *c, uint32_t producer, const cap_frame_t *f);
/* Producer p's ring and decoder counters for pl_capture_stats; on p's
 * thread (the threads do it each second and at the end). */
void pl_capture_publish(pl_capture_t *c, uint32_t producer);
/* Every thread has lost all its rings. */
bool pl_capture_all_failed(pl_capture_t *c);
/* Stops and joins the threads (NULL: nothing). */
void pl_capture_stop(pl_capture_t *c);
/* What the threads last published, summed: per_if has n_ifaces entries. */
void pl_capture_stats(pl_capture_t *c, cap_ring_stats_t *per_if, cap_stats_t *dec);
/* Stops the threads, closes the rings, frees the decoders (NULL: nothing). */
void pl_capture_free(pl_capture_t *c);

#endif /* SIPHON_PIPELINE_H */
