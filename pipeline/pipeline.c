/* pipeline.c - producers, shard threads and the rings between them (see
 * pipeline.h for the shape and the rules on time and full rings).
 *
 * Records on a ring:
 *   PL_REC_DATAGRAM  pl_dg_hdr_t + the datagram's bytes (copied: the
 *                    decoder's buffers are reused as soon as it returns);
 *                    the header carries the producer's correlator clock
 *                    (largest packet time so far, corr_advance), so a
 *                    shard times activity by the whole sequence, not by
 *                    its share of it; a SIP message carries the parse its
 *                    router made after its bytes (parse_len), so the shard
 *                    does not parse it again
 *   PL_REC_FRAMED    the same, then a pl_frame_hdr_t and the bytes of the
 *                    frame the datagram came from: only when a consumer
 *                    wants packets (pl_config_t.frames), so the ring
 *                    carries no more than before when nobody does
 *   PL_REC_EXPIRE    an int64_t packet time: corr_expire(now)
 *   PL_REC_DONE      the producer has finished
 *
 * A shard drains its rings round-robin, a batch of records from each, and
 * releases each ring once per batch.  When every ring is empty it calls the
 * idle hook (records are written out), spins briefly, then sleeps on a
 * futex "doorbell" for at most PL_SLEEP_NS.  A producer rings the bell only
 * when the shard says it sleeps (a relaxed load per record, no fence): a
 * missed ring costs at most PL_SLEEP_NS of latency, never a lost record.
 *
 * Several producers (capture threads on a fanout group): the kernel hashes
 * flows, so a call's SIP and its RTP usually reach different threads, each
 * with its own backlog.  RTP that no SDP named yet may be early rather than
 * orphan: its SDP may still sit in another thread's ring.  Such media is
 * held back on the producer (a FIFO, PL_HOLD_BYTES) until every producer
 * has passed its capture time (the watermark: the least "progress" of all
 * producers, a producer's progress being the time of its last datagram,
 * or the wall clock when it is idle), or until a new SDP was learnt, and
 * is then routed again: to the call's shard if the SDP showed up, else by
 * its flow.  A held flow's later packets are held behind it, so a flow
 * never overtakes itself.  With one producer (files) nothing is held: its
 * SDP is always routed before its media.
 *
 * Statistics cross threads only through snapshots under a mutex, taken at
 * expiry points (every 100 ms of packet time) and at the end, so the hot
 * path has no shared writes but the ring indexes.
 */
#include "pipeline.h"

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PL_REC_DATAGRAM 1
#define PL_REC_EXPIRE   2
#define PL_REC_DONE     3
#define PL_REC_FRAMED   4

#define PL_BATCH           256
#define PL_SPIN            200
#define PL_SLEEP_NS        (1 * NS_PER_MSEC)
#define PL_WAKE_AT         128
#define PL_HOLD_BYTES      (2u << 20)
#define PL_MERGE_WAIT_NS   (200 * NS_PER_USEC)
#define PL_HELD_FLOW_SLOTS 1024
#define PL_DEFAULT_RING    (32u << 20)

typedef struct {
    int64_t ts_ns;
    int64_t clock_ns; /* the producer's correlator clock (corr_advance) */
    uint64_t frame_no;
    endpoint_t src, dst;
    uint32_t transport;
    uint32_t len;
    uint32_t parse_len; /* the router's SIP parse after the bytes (0: none) */
} pl_dg_hdr_t;

/* A PL_REC_FRAMED record's frame, after the datagram's bytes and parse
 * (copied in and out with memcpy: any alignment). */
typedef struct {
    int32_t linktype;
    uint32_t caplen, wirelen;
    int64_t ts_ns;
} pl_frame_hdr_t;

typedef struct {
    pl_t *pl;
    uint32_t index;
    corr_t *corr;
    pthread_t thread;
    bool started;
    uint32_t done; /* producers that sent PL_REC_DONE */
    _Atomic uint32_t bell;
    _Atomic int sleeping;
    pthread_mutex_t lock; /* guards snap */
    corr_stats_t snap;
    corr_lookahead_t la; /* corr_prefetch's ring (shard_drain) */
} pl_shard_t;

typedef struct {
    corr_route_ctx_t *route;
    corr_clock_t clock;
    int64_t clock_ns;     /* the correlator clock: largest packet time so far */
    pl_stats_t st;        /* this producer's own counters */
    pthread_mutex_t lock; /* guards snap */
    pl_stats_t snap;
    uint32_t unwoken[PL_MAX_THREADS]; /* records since a sleeping shard was seen */
    /* several producers: media no SDP named yet, held back (see the top) */
    spsc_t hold;
    uint32_t held;       /* records in hold */
    uint64_t rerouted;   /* held records routed again: their first route (by flow) is not counted */
    uint64_t held_named; /* ... of which first routed by SDP, held behind their flow slot */
    uint64_t hold_gen;   /* router generation at the last pass */
    _Atomic int64_t progress_ns;             /* read by the other producers */
    uint8_t *scratch;                        /* one held record while it is re-routed */
    uint32_t held_flows[PL_HELD_FLOW_SLOTS]; /* held records per flow hash */
} pl_producer_t;

struct pl {
    pl_config_t cfg;
    corr_router_t *router;
    pl_producer_t *prod;
    pl_shard_t *shard;
    spsc_t *rings; /* [producer * shards + shard] */
    pl_idle_fn on_idle;
    void *user;
};

/* A datagram record: the header, then the bytes (copied from dg). */
static void record_write(pl_dg_hdr_t *h, const datagram_t *dg, int64_t clock_ns)
{
    *h = (pl_dg_hdr_t){.ts_ns = dg->ts_ns,
                       .clock_ns = clock_ns,
                       .frame_no = dg->frame_no,
                       .src = dg->src,
                       .dst = dg->dst,
                       .transport = (uint32_t)dg->transport,
                       .len = (uint32_t)dg->len};
    memcpy(h + 1, dg->data, dg->len);
}

/* Room for dg's frame after its record (0: none, or not wanted). */
static size_t frame_size(const pl_t *pl, const datagram_t *dg)
{
    return pl->cfg.frames && dg->frame ? sizeof(pl_frame_hdr_t) + dg->frame->caplen : 0;
}

/* Writes dg's frame at p (frame_size bytes). */
static void frame_write(uint8_t *p, const datagram_t *dg)
{
    const frame_view_t *f = dg->frame;
    pl_frame_hdr_t fh = {
        .linktype = f->linktype, .caplen = f->caplen, .wirelen = f->wirelen, .ts_ns = f->ts_ns};
    memcpy(p, &fh, sizeof fh);
    memcpy(p + sizeof fh, f->data, f->caplen);
}

/* *dg: the datagram a record holds (its bytes stay in the record), with
 * no frame.  Field by field into the caller's datagram: a compound literal
 * would zero all 96 bytes first, and a returned one be copied, on every
 * record. */
static inline void record_datagram(const pl_dg_hdr_t *h, datagram_t *dg)
{
    dg->ts_ns = h->ts_ns;
    dg->src = h->src;
    dg->dst = h->dst;
    dg->transport = (transport_t)h->transport;
    dg->data = (const uint8_t *)(h + 1);
    dg->len = h->len;
    dg->frame_no = h->frame_no;
    dg->frame = NULL;
}

/* A PL_REC_FRAMED record's datagram, its frame described in *fv. */
static void record_framed(const pl_dg_hdr_t *h, datagram_t *dg, frame_view_t *fv)
{
    record_datagram(h, dg);
    const uint8_t *p = (const uint8_t *)(h + 1) + h->len + h->parse_len;
    pl_frame_hdr_t fh;
    memcpy(&fh, p, sizeof fh);
    *fv = (frame_view_t){.linktype = fh.linktype,
                         .ts_ns = fh.ts_ns,
                         .data = p + sizeof fh,
                         .caplen = fh.caplen,
                         .wirelen = fh.wirelen};
    dg->frame = fv;
}

static spsc_t *ring_of(pl_t *pl, uint32_t p, uint32_t s)
{
    return &pl->rings[(size_t)p * pl->cfg.shards + s];
}

/* ------------------------------- futex ---------------------------------- */

static void bell_wait(_Atomic uint32_t *bell, uint32_t seen, int64_t ns)
{
    struct timespec ts = {.tv_sec = ns / NS_PER_SEC, .tv_nsec = ns % NS_PER_SEC};
    syscall(SYS_futex, (uint32_t *)bell, FUTEX_WAIT_PRIVATE, seen, &ts, NULL, 0);
}

static void bell_ring(pl_shard_t *sh)
{
    atomic_fetch_add_explicit(&sh->bell, 1, memory_order_release);
    syscall(SYS_futex, (uint32_t *)&sh->bell, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* ------------------------------ shards ---------------------------------- */

static void shard_publish(pl_shard_t *sh)
{
    pthread_mutex_lock(&sh->lock);
    sh->snap = *corr_stats(sh->corr);
    pthread_mutex_unlock(&sh->lock);
}

/* Handles one record; false once every producer is done. */
static inline __attribute__((always_inline)) void
shard_datagram(pl_shard_t *sh, const pl_dg_hdr_t *h, const datagram_t *dg)
{
    corr_advance(sh->corr, h->clock_ns);
    if (h->parse_len)
        corr_on_datagram_parsed(sh->corr, dg, (const uint8_t *)(h + 1) + h->len, h->parse_len);
    else
        corr_on_datagram(sh->corr, dg);
}

/* Off the path of records without a frame. */
static __attribute__((noinline)) void shard_framed(pl_shard_t *sh, const pl_dg_hdr_t *h)
{
    frame_view_t fv;
    datagram_t dg;
    record_framed(h, &dg, &fv);
    shard_datagram(sh, h, &dg);
}

static void shard_record(pl_shard_t *sh, uint32_t type, const void *rec)
{
    if (type == PL_REC_DATAGRAM) {
        datagram_t dg;
        record_datagram(rec, &dg);
        shard_datagram(sh, rec, &dg);
    } else if (type == PL_REC_FRAMED) {
        shard_framed(sh, rec);
    } else if (type == PL_REC_EXPIRE) {
        int64_t now;
        memcpy(&now, rec, sizeof now);
        corr_expire(sh->corr, now);
        shard_publish(sh);
    } else if (type == PL_REC_DONE) {
        sh->done++;
    }
}

/* corr_prefetch for one record (NULL: none, to keep the look-ahead's
 * count). */
static void shard_prefetch(pl_shard_t *sh, uint32_t type, const void *rec)
{
    if (rec && (type == PL_REC_DATAGRAM || type == PL_REC_FRAMED)) {
        datagram_t dg; /* (the frame is of no use to the look-ahead) */
        record_datagram(rec, &dg);
        corr_prefetch(sh->corr, &sh->la, &dg);
    } else {
        corr_prefetch(sh->corr, &sh->la, NULL);
    }
}

/* One batch from each ring; returns the records handled.  The batch is
 * gathered first (records stay valid until spsc_release), so that each
 * record's stream entry is requested CORR_LOOKAHEAD_DIST records before
 * the correlator handles it (corr_prefetch); the first records of a batch
 * are requested together before the first is handled. */
static uint32_t shard_drain(pl_shard_t *sh)
{
    pl_t *pl = sh->pl;
    uint32_t handled = 0;
    const void *recs[PL_BATCH];
    uint32_t types[PL_BATCH];
    for (uint32_t p = 0; p < pl->cfg.producers; p++) {
        spsc_t *q = ring_of(pl, p, sh->index);
        uint32_t n = 0;
        size_t len;
        const void *rec;
        while (n < PL_BATCH && (rec = spsc_peek(q, &types[n], &len)) != NULL) {
            recs[n++] = rec;
            spsc_next(q);
        }
        for (uint32_t i = 0; i < n && i < CORR_LOOKAHEAD_DIST; i++)
            shard_prefetch(sh, types[i], recs[i]);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t a = i + CORR_LOOKAHEAD_DIST;
            shard_prefetch(sh, a < n ? types[a] : 0, a < n ? recs[a] : NULL);
            shard_record(sh, types[i], recs[i]);
        }
        if (n) spsc_release(q);
        handled += n;
    }
    return handled;
}

/* The capture time of a record, for the merge: a datagram's own, an
 * expiry point's, and "after everything" for a producer's end. */
static int64_t record_ts(uint32_t type, const void *rec)
{
    if (type == PL_REC_DATAGRAM || type == PL_REC_FRAMED) return ((const pl_dg_hdr_t *)rec)->ts_ns;
    if (type == PL_REC_EXPIRE) {
        int64_t now;
        memcpy(&now, rec, sizeof now);
        return now;
    }
    return INT64_MAX;
}

/* Several producers: records are taken in capture-time order across the
 * rings, and one is taken only once every other producer has passed its
 * time (its progress), since that producer may still deliver an earlier
 * one: the INVITE on capture thread A comes before the RTP it announced on
 * thread B, whichever ring holds it.  (A ring that is not empty proves
 * nothing: its head may be a wall-clock expiry point ahead of frames its
 * producer has not read from the kernel yet.)  *blocked: records wait
 * for a producer's progress. */
static uint32_t shard_merge(pl_shard_t *sh, bool *blocked)
{
    pl_t *pl = sh->pl;
    uint32_t P = pl->cfg.producers, handled = 0;
    bool took[PL_MAX_THREADS] = {false};
    *blocked = false;
    while (handled < PL_BATCH) {
        int best = -1;
        int64_t best_ts = 0;
        uint32_t best_type = 0;
        const void *best_rec = NULL;
        for (uint32_t p = 0; p < P; p++) {
            uint32_t type;
            size_t len;
            const void *rec = spsc_peek(ring_of(pl, p, sh->index), &type, &len);
            if (!rec) continue;
            int64_t ts = record_ts(type, rec);
            if (best < 0 || ts < best_ts)
                best = (int)p, best_ts = ts, best_type = type, best_rec = rec;
        }
        if (best < 0) break;
        if (best_ts != INT64_MAX) {
            for (uint32_t p = 0; p < P && !*blocked; p++)
                if ((int)p != best &&
                    atomic_load_explicit(&pl->prod[p].progress_ns, memory_order_acquire) < best_ts)
                    *blocked = true;
            if (*blocked) break;
        }
        shard_record(sh, best_type, best_rec);
        spsc_next(ring_of(pl, (uint32_t)best, sh->index));
        took[best] = true;
        handled++;
    }
    for (uint32_t p = 0; p < P; p++)
        if (took[p]) spsc_release(ring_of(pl, p, sh->index));
    return handled;
}

static bool shard_rings_empty(pl_shard_t *sh)
{
    for (uint32_t p = 0; p < sh->pl->cfg.producers; p++)
        if (!spsc_empty(ring_of(sh->pl, p, sh->index))) return false;
    return true;
}

static void *shard_main(void *arg)
{
    pl_shard_t *sh = arg;
    pl_t *pl = sh->pl;
    for (;;) {
        bool blocked = false;
        if (pl->cfg.producers == 1 ? shard_drain(sh) : shard_merge(sh, &blocked)) continue;
        if (sh->done == pl->cfg.producers) break;
        if (pl->on_idle) pl->on_idle(pl->user, sh->index);
        if (blocked) { /* waiting for another producer's progress */
            bell_wait(&sh->bell, atomic_load_explicit(&sh->bell, memory_order_acquire),
                      PL_MERGE_WAIT_NS);
            continue;
        }
        bool work = false;
        for (int i = 0; i < PL_SPIN && !work; i++) {
            cpu_relax();
            work = !shard_rings_empty(sh);
        }
        if (work) continue;
        uint32_t seen = atomic_load_explicit(&sh->bell, memory_order_acquire);
        atomic_store_explicit(&sh->sleeping, 1, memory_order_seq_cst);
        if (shard_rings_empty(sh)) bell_wait(&sh->bell, seen, PL_SLEEP_NS);
        atomic_store_explicit(&sh->sleeping, 0, memory_order_relaxed);
    }
    corr_flush(sh->corr);
    shard_publish(sh);
    if (pl->on_idle) pl->on_idle(pl->user, sh->index);
    return NULL;
}

/* ----------------------------- producers -------------------------------- */

static void producer_publish(pl_producer_t *pr)
{
    /* each datagram counts once, under its final route: a held one was
     * counted by flow when it was held, and again each time hold_pass
     * routed it, so its earlier routes are taken back out */
    if (pr->route) {
        pr->st.route = *corr_route_ctx_stats(pr->route);
        pr->st.route.by_flow -= pr->rerouted - pr->held_named;
        pr->st.route.media_by_sdp -= pr->held_named;
    }
    pthread_mutex_lock(&pr->lock);
    pr->snap = pr->st;
    pthread_mutex_unlock(&pr->lock);
}

/* Waits for room on a full ring (lossless): the shard is woken so it drains. */
static void *reserve_wait(pl_t *pl, pl_producer_t *pr, uint32_t s, spsc_t *q, uint32_t type,
                          size_t len)
{
    void *p;
    int tries = 0;
    pr->st.queue_waits++;
    while ((p = spsc_reserve(q, type, len)) == NULL) {
        if (atomic_exchange_explicit(&pl->shard[s].sleeping, 0, memory_order_acq_rel))
            bell_ring(&pl->shard[s]);
        if (++tries < 64) {
            sched_yield();
        } else {
            struct timespec ts = {0, 20000};
            nanosleep(&ts, NULL);
        }
    }
    return p;
}

static void *reserve(pl_t *pl, pl_producer_t *pr, uint32_t s, uint32_t type, size_t len, bool must)
{
    spsc_t *q = ring_of(pl, (uint32_t)(pr - pl->prod), s);
    void *p = spsc_reserve(q, type, len);
    if (p) return p;
    if (len > spsc_max_record(q)) {
        pr->st.oversize_drops++;
        return NULL;
    }
    if (pl->cfg.lossless || must) return reserve_wait(pl, pr, s, q, type, len);
    pr->st.queue_drops++;
    return NULL;
}

/* Publishes the reserved record.  A sleeping shard is woken once PL_WAKE_AT
 * records wait for it, or at once for a control record: waking it per
 * record would cost a system call per packet while it sleeps, and its
 * PL_SLEEP_NS nap bounds the latency anyway.  The exchange makes sure one
 * producer wakes it once. */
static void commit(pl_t *pl, pl_producer_t *pr, uint32_t s, bool control)
{
    spsc_commit(ring_of(pl, (uint32_t)(pr - pl->prod), s));
    pl_shard_t *sh = &pl->shard[s];
    if (!atomic_load_explicit(&sh->sleeping, memory_order_relaxed)) {
        pr->unwoken[s] = 0;
        return;
    }
    if (++pr->unwoken[s] < PL_WAKE_AT && !control) return;
    pr->unwoken[s] = 0;
    if (atomic_exchange_explicit(&sh->sleeping, 0, memory_order_acq_rel)) bell_ring(sh);
}

static void broadcast(pl_t *pl, pl_producer_t *pr, uint32_t type, int64_t now_ns)
{
    for (uint32_t s = 0; s < pl->cfg.shards; s++) {
        void *p = reserve(pl, pr, s, type, sizeof now_ns, true);
        memcpy(p, &now_ns, sizeof now_ns);
        commit(pl, pr, s, true);
    }
}

void pl_expire(pl_t *pl, uint32_t producer, int64_t now_ns)
{
    pl_producer_t *pr = &pl->prod[producer];
    if (now_ns > pr->clock_ns) pr->clock_ns = now_ns;
    broadcast(pl, pr, PL_REC_EXPIRE, now_ns);
    producer_publish(pr);
}

/* A datagram with its frame (pl_config_t.frames), off the path of those
 * without; a frame too large to go along is not recorded. */
static __attribute__((noinline)) void enqueue_framed(pl_t *pl, pl_producer_t *pr, uint32_t s,
                                                     const datagram_t *dg, size_t parse_len)
{
    size_t max = spsc_max_record(ring_of(pl, (uint32_t)(pr - pl->prod), s));
    size_t frame_len = frame_size(pl, dg);
    if (sizeof(pl_dg_hdr_t) + dg->len + frame_len > max) frame_len = 0;
    if (sizeof(pl_dg_hdr_t) + dg->len + parse_len + frame_len > max) parse_len = 0;
    pl_dg_hdr_t *h = reserve(pl, pr, s, frame_len ? PL_REC_FRAMED : PL_REC_DATAGRAM,
                             sizeof *h + dg->len + parse_len + frame_len, false);
    if (!h) return;
    record_write(h, dg, pr->clock_ns);
    if (parse_len) {
        corr_route_parse_write(pr->route, (uint8_t *)(h + 1) + dg->len);
        h->parse_len = (uint32_t)parse_len;
    }
    if (frame_len) frame_write((uint8_t *)(h + 1) + dg->len + parse_len, dg);
    commit(pl, pr, s, false);
}

/* parse_len: the route context holds the SIP parse of dg (its size). */
static void enqueue(pl_t *pl, pl_producer_t *pr, uint32_t s, const datagram_t *dg, size_t parse_len)
{
    if (pl->cfg.frames && dg->frame) {
        enqueue_framed(pl, pr, s, dg, parse_len);
        return;
    }
    /* a message too large to take its parse along is parsed by the shard */
    if (sizeof(pl_dg_hdr_t) + dg->len + parse_len >
        spsc_max_record(ring_of(pl, (uint32_t)(pr - pl->prod), s)))
        parse_len = 0;
    pl_dg_hdr_t *h = reserve(pl, pr, s, PL_REC_DATAGRAM, sizeof *h + dg->len + parse_len, false);
    if (!h) return;
    record_write(h, dg, pr->clock_ns);
    if (parse_len) {
        corr_route_parse_write(pr->route, (uint8_t *)(h + 1) + dg->len);
        h->parse_len = (uint32_t)parse_len;
    }
    commit(pl, pr, s, false);
}

/* ------------------------- held media (see top) ------------------------- */

/* The least progress of the other producers (this one knows its own). */
static int64_t watermark(pl_t *pl, const pl_producer_t *self)
{
    int64_t wm = INT64_MAX;
    for (uint32_t p = 0; p < pl->cfg.producers; p++) {
        if (&pl->prod[p] == self) continue;
        int64_t v = atomic_load_explicit(&pl->prod[p].progress_ns, memory_order_acquire);
        if (v < wm) wm = v;
    }
    return wm;
}

/* Both directions of a flow in one slot of held_flows. */
static uint32_t flow_slot(const datagram_t *dg)
{
    return (uint32_t)(hash_u64(endpoint_hash(&dg->src) ^ endpoint_hash(&dg->dst)) %
                      PL_HELD_FLOW_SLOTS);
}

static bool hold_push(pl_t *pl, pl_producer_t *pr, const datagram_t *dg)
{
    size_t frame_len = frame_size(pl, dg);
    pl_dg_hdr_t *h = spsc_reserve(&pr->hold, frame_len ? PL_REC_FRAMED : PL_REC_DATAGRAM,
                                  sizeof *h + dg->len + frame_len);
    if (!h && frame_len) /* too large with its frame: held without */
        h = spsc_reserve(&pr->hold, PL_REC_DATAGRAM, sizeof *h + dg->len), frame_len = 0;
    if (!h) return false;
    record_write(h, dg, pr->clock_ns);
    if (frame_len) frame_write((uint8_t *)(h + 1) + dg->len, dg);
    spsc_commit(&pr->hold);
    pr->held++;
    pr->held_flows[flow_slot(dg)]++;
    return true;
}

/* Routes again what an SDP now names, and what every producer has passed
 * (or everything: force); the rest goes back in the same order.  Does
 * nothing while neither the router's generation nor the watermark moved
 * past the oldest held datagram.
 *
 * Once a datagram of a flow slot goes back, so does every later one of
 * that slot in this pass, named or not: another capture thread may learn
 * the flow's SDP in the middle of the pass, and a later packet routed to
 * the call would then overtake the earlier one put back just before (a
 * stream whose first packets arrive last: tshark-style loss goes
 * negative).  They go at the next pass, in order. */
static void hold_pass(pl_t *pl, pl_producer_t *pr, bool force, bool rescan)
{
    if (!pr->held) return;
    uint64_t gen = corr_router_generation(pl->router);
    int64_t wm = force ? INT64_MAX : watermark(pl, pr);
    uint32_t type;
    size_t len;
    const pl_dg_hdr_t *head = spsc_peek(&pr->hold, &type, &len);
    if (!head) return;
    if (!rescan && gen == pr->hold_gen && head->ts_ns > wm) return;
    pr->hold_gen = gen;
    uint64_t back[PL_HELD_FLOW_SLOTS / 64] = {0}; /* slots put back in this pass */
    for (uint32_t n = pr->held; n > 0; n--) {
        const void *rec = spsc_peek(&pr->hold, &type, &len);
        if (!rec) break;
        memcpy(pr->scratch, rec, len);
        spsc_next(&pr->hold);
        spsc_release(&pr->hold);
        pr->held--;
        frame_view_t fv;
        datagram_t dg;
        if (type == PL_REC_FRAMED)
            record_framed((const pl_dg_hdr_t *)pr->scratch, &dg, &fv);
        else
            record_datagram((const pl_dg_hdr_t *)pr->scratch, &dg);
        uint32_t slot = flow_slot(&dg);
        pr->held_flows[slot]--;
        uint64_t bit = 1ull << (slot % 64);
        if (back[slot / 64] & bit) { /* behind its flow: not routed, not counted */
            hold_push(pl, pr, &dg);
            continue;
        }
        uint32_t s = corr_route(pr->route, &dg);
        pr->rerouted++;
        if (!corr_route_unnamed_media(pr->route) || dg.ts_ns <= wm) {
            enqueue(pl, pr, s, &dg, 0); /* media: no SIP parse */
        } else {
            hold_push(pl, pr, &dg); /* fits: its own room was just freed */
            back[slot / 64] |= bit;
        }
    }
}

/* A producer has passed ts_ns: every datagram it will still enqueue is
 * later, except what it holds, so its progress stays below the oldest
 * held datagram (shards merging by time wait for it). */
static void publish_progress(pl_producer_t *pr, int64_t ts_ns)
{
    if (pr->held) {
        uint32_t type;
        size_t len;
        const pl_dg_hdr_t *head = spsc_peek(&pr->hold, &type, &len);
        if (head && ts_sub_sat(head->ts_ns, 1) < ts_ns) ts_ns = ts_sub_sat(head->ts_ns, 1);
    }
    if (ts_ns > atomic_load_explicit(&pr->progress_ns, memory_order_relaxed))
        atomic_store_explicit(&pr->progress_ns, ts_ns, memory_order_release);
}

void pl_idle(pl_t *pl, uint32_t producer, int64_t now_ns)
{
    pl_producer_t *pr = &pl->prod[producer];
    if (pl->cfg.producers < 2) return;
    hold_pass(pl, pr, false, false);
    publish_progress(pr, now_ns);
}

void pl_submit(pl_t *pl, uint32_t producer, const datagram_t *dg)
{
    if (!dg->data || dg->len == 0) return; /* as corr_on_datagram */
    pl_producer_t *pr = &pl->prod[producer];
    if (dg->ts_ns > pr->clock_ns) pr->clock_ns = dg->ts_ns;
    if (corr_clock_due(&pr->clock, dg->ts_ns)) pl_expire(pl, producer, dg->ts_ns);
    pr->st.datagrams++;
    uint32_t s = pl->cfg.shards > 1 ? corr_route(pr->route, dg) : 0;
    size_t parse_len = pl->cfg.shards > 1 ? corr_route_parse_size(pr->route) : 0;
    if (pl->cfg.producers > 1 && pl->cfg.shards > 1) {
        /* (hold_pass routes again, which overwrites the route context's
         * answer about this datagram: read it first) */
        bool unnamed = corr_route_unnamed_media(pr->route);
        /* Named media while some is held: its route may have become visible
         * before the router's generation moved, so everything held is looked
         * at again; the flow's earlier packets go first. */
        bool named_media = !unnamed && pr->held && dg->transport == TRANSPORT_UDP &&
                           dg->len >= 12 && (dg->data[0] >> 6) == 2 &&
                           pr->held_flows[flow_slot(dg)] > 0;
        hold_pass(pl, pr, false, named_media);
        /* named media whose flow slot still holds datagrams (put back in
         * the pass: see hold_pass) waits behind them */
        bool behind = named_media && pr->held_flows[flow_slot(dg)] > 0;
        if (unnamed || behind) {
            pr->st.held++;
            bool held = hold_push(pl, pr, dg);
            if (!held) {
                pr->st.hold_overflows++;
                hold_pass(pl, pr, true, false);
                held = hold_push(pl, pr, dg);
            }
            if (!held)
                enqueue(pl, pr, s, dg, 0);
            else
                pr->held_named += behind;
            publish_progress(pr, dg->ts_ns);
            return;
        }
    }
    enqueue(pl, pr, s, dg, parse_len);
    /* after the enqueue: a shard merging by time may now pass this one, and
     * the routes learnt from it are visible to whoever sees the progress */
    if (pl->cfg.producers > 1) publish_progress(pr, dg->ts_ns);
}

void pl_producer_done(pl_t *pl, uint32_t producer)
{
    pl_producer_t *pr = &pl->prod[producer];
    hold_pass(pl, pr, true, false);
    atomic_store_explicit(&pr->progress_ns, INT64_MAX, memory_order_release);
    broadcast(pl, pr, PL_REC_DONE, 0);
    producer_publish(pr);
}

/* ---------------------------- life cycle -------------------------------- */

static uint32_t share(uint32_t total, uint32_t n)
{
    uint32_t v = (total + n - 1) / n;
    return v ? v : 1;
}

pl_t *pl_new(const pl_config_t *cfg, pl_make_sink_fn make_sink, pl_idle_fn on_idle, void *user,
             char *err, size_t errlen)
{
    if (cfg->shards < 1 || cfg->shards > PL_MAX_THREADS || cfg->producers < 1 ||
        cfg->producers > PL_MAX_THREADS) {
        snprintf(err, errlen, "pipeline: shards and producers must be 1..%d", PL_MAX_THREADS);
        return NULL;
    }
    pl_t *pl = calloc(1, sizeof *pl);
    if (!pl) goto oom;
    pl->cfg = *cfg;
    if (!pl->cfg.queue_bytes) pl->cfg.queue_bytes = PL_DEFAULT_RING;
    pl->on_idle = on_idle;
    pl->user = user;
    uint32_t S = cfg->shards, P = cfg->producers;
    pl->router = corr_router_new(S, cfg->corr.max_media_endpoints);
    /* the producer and ring types hold spsc_t (alignas(64) members) */
    pl->prod = CORE_CALLOC_ARRAY(P, pl_producer_t);
    pl->shard = CORE_CALLOC_ARRAY(S, pl_shard_t);
    pl->rings = CORE_CALLOC_ARRAY((size_t)P * S, spsc_t);
    if (!pl->router || !pl->prod || !pl->shard || !pl->rings) goto oom;
    for (uint32_t i = 0; i < (size_t)P * S; i++)
        if (!spsc_init(&pl->rings[i], pl->cfg.queue_bytes)) goto oom;
    for (uint32_t p = 0; p < P; p++) {
        pl_producer_t *pr = &pl->prod[p];
        pthread_mutex_init(&pr->lock, NULL);
        atomic_init(&pr->progress_ns, 0);
        if (!(pr->route = corr_route_ctx_new(pl->router))) goto oom;
        if (P > 1 && (!spsc_init(&pr->hold, PL_HOLD_BYTES) ||
                      !(pr->scratch = malloc(spsc_max_record(&pr->hold)))))
            goto oom;
    }
    /* each shard: 1/S of every cap */
    corr_config_t cc = cfg->corr;
    cc.external_expiry = true;
    cc.max_calls = share(cfg->corr.max_calls, S);
    cc.max_streams = share(cfg->corr.max_streams, S);
    cc.max_media_endpoints = share(cfg->corr.max_media_endpoints, S);
    cc.max_orphan_flows = share(cfg->corr.max_orphan_flows, S);
    cc.max_dtmf_events = share(cfg->corr.max_dtmf_events ? cfg->corr.max_dtmf_events : 65536, S);
    cc.max_vq_reports = share(cfg->corr.max_vq_reports ? cfg->corr.max_vq_reports : 4096, S);
    cc.max_rtcp_streams = share(cfg->corr.max_rtcp_streams ? cfg->corr.max_rtcp_streams : 65536, S);
    cc.max_registrations =
        share(cfg->corr.max_registrations ? cfg->corr.max_registrations : 8192, S);
    for (uint32_t s = 0; s < S; s++) {
        pl_shard_t *sh = &pl->shard[s];
        sh->pl = pl;
        sh->index = s;
        pthread_mutex_init(&sh->lock, NULL);
        corr_sink_t sink = make_sink ? make_sink(user, s) : (corr_sink_t){0};
        if (!(sh->corr = corr_new(&cc, &sink))) goto oom;
        sh->la.min_streams = CORR_LOOKAHEAD_MIN_STREAMS;
    }
    for (uint32_t s = 0; s < S; s++) {
        int rc = pthread_create(&pl->shard[s].thread, NULL, shard_main, &pl->shard[s]);
        if (rc != 0) {
            snprintf(err, errlen, "pipeline: cannot start a shard thread: %s", strerror(rc));
            for (uint32_t p = 0; p < P; p++) /* let started shards stop */
                pl_producer_done(pl, p);
            pl_join(pl);
            pl_free(pl);
            return NULL;
        }
        pl->shard[s].started = true;
    }
    return pl;
oom:
    snprintf(err, errlen, "pipeline: out of memory setting up %u shards", cfg->shards);
    pl_free(pl);
    return NULL;
}

void pl_join(pl_t *pl)
{
    for (uint32_t s = 0; s < pl->cfg.shards; s++) {
        if (!pl->shard[s].started) continue;
        pthread_join(pl->shard[s].thread, NULL);
        pl->shard[s].started = false;
    }
}

void pl_free(pl_t *pl)
{
    if (!pl) return;
    for (uint32_t s = 0; pl->shard && s < pl->cfg.shards; s++) {
        corr_free(pl->shard[s].corr);
        pthread_mutex_destroy(&pl->shard[s].lock);
    }
    for (uint32_t p = 0; pl->prod && p < pl->cfg.producers; p++) {
        corr_route_ctx_free(pl->prod[p].route);
        spsc_free(&pl->prod[p].hold);
        free(pl->prod[p].scratch);
        pthread_mutex_destroy(&pl->prod[p].lock);
    }
    for (uint32_t i = 0; pl->rings && i < (size_t)pl->cfg.producers * pl->cfg.shards; i++)
        spsc_free(&pl->rings[i]);
    corr_router_free(pl->router);
    free(pl->rings);
    free(pl->shard);
    free(pl->prod);
    free(pl);
}

uint32_t pl_shards(const pl_t *pl)
{
    return pl->cfg.shards;
}

void pl_stats(pl_t *pl, pl_stats_t *out)
{
    memset(out, 0, sizeof *out);
    for (uint32_t p = 0; p < pl->cfg.producers; p++) {
        pl_producer_t *pr = &pl->prod[p];
        pthread_mutex_lock(&pr->lock);
        counters_add(out, &pr->snap, sizeof *out);
        pthread_mutex_unlock(&pr->lock);
    }
}

/* corr_stats_t and pl_stats_t are counters only (uint64_t): summed member
 * by member (counters_add), so a counter added to either list needs no
 * code here. */
_Static_assert(sizeof(pl_stats_t) % sizeof(uint64_t) == 0, "pl_stats_t: uint64_t only");
_Static_assert(sizeof(corr_stats_t) % sizeof(uint64_t) == 0, "corr_stats_t: uint64_t only");

void pl_corr_stats(pl_t *pl, corr_stats_t *out)
{
    memset(out, 0, sizeof *out);
    for (uint32_t s = 0; s < pl->cfg.shards; s++) {
        pl_shard_t *sh = &pl->shard[s];
        pthread_mutex_lock(&sh->lock);
        counters_add(out, &sh->snap, sizeof *out);
        pthread_mutex_unlock(&sh->lock);
    }
}
