/* capture_threads.c - the capture threads: each reads its rings (one per
 * interface), decodes with its own decoder and feeds the correlation stage
 * as one producer (pipeline.h, "Capture threads").
 *
 *   capture thread t: poll(its rings, PL_CAP_POLL_MS) -> cap_ring_next (a
 *     batch of PL_CAP_BATCH per ring, so one busy interface cannot starve
 *     another) -> its cap_decoder -> pl_stage (routed to a shard).
 *
 * Expiry: each thread runs its decoder's expiry and broadcasts an expiry
 * point each time its capture clock passes a whole second (pl_stage_frame),
 * and also once per second of wall time with now = max(latest packet time,
 * real time), so calls still end when traffic stops.  Live packet times
 * are the kernel's receive times, so the two clocks agree.
 *
 * Idle lag.  An idle capture thread tells the pipeline it has passed "now"
 * minus a lag: a frame the kernel already stamped may still sit in a ring
 * block that is handed over only at the block timeout (10 ms by default),
 * later when the machine is loaded (its timer runs late).  Too short, and
 * early RTP of a call whose SIP another capture thread has not read yet is
 * taken for an orphan; longer, and the correlators run that much behind an
 * idle capture thread (the queues buffer it).  The lag is at least
 * PL_CAP_IDLE_LAG_NS and at least twice the longest delivery delay seen
 * recently (now minus the kernel's stamp of the last frame of a batch, the
 * largest over every capture thread, halved every second): on a quiet
 * machine 100 ms; on a loaded one it follows the load.  30 ms let the
 * sanitizer build under load misplace early RTP in tests/integration/
 * test_run_live.sh, a fixed 100 ms once in test_sipp_live.sh.
 *
 * Statistics: ring counters can only be read by the ring's own thread (the
 * kernel resets them at each read), so each thread publishes copies of its
 * ring and decoder counters under its lock every PL_CAP_PUBLISH_NS and at
 * the end.  Once a second let a stats line put a whole second of decoded
 * frames beside correlator counters that were already current (0 frames
 * next to 5,879 RTP packets); 100 ms keeps the lines of one moment close
 * to each other while traffic flows, and equal at rest.
 */
#include "pipeline.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PL_CAP_POLL_MS     100
#define PL_CAP_BATCH       256 /* frames taken from one ring before the next */
#define PL_CAP_IDLE_LAG_NS (100 * NS_PER_MSEC)
#define PL_CAP_PUBLISH_NS  (100 * NS_PER_MSEC) /* counters copied for readers */

/* One capture thread: its rings (one per interface), its decoder. */
typedef struct {
    pl_capture_t *c;
    uint32_t index; /* producer index in the stage */
    cap_ring_t **rings;
    bool *failed;
    cap_decoder_t *dec;
    pthread_t thread;
    bool started;
    int64_t last_ts, next_expire;
    /* published for other threads (lock) */
    pthread_mutex_t lock;
    cap_ring_stats_t *ring_snap; /* per interface */
    cap_stats_t dec_snap;
    bool all_failed;
} pl__capture_thread_t;

struct pl_capture {
    pl_capture_config_t cfg;
    pl_stage_t *stage;
    pl__capture_thread_t *t;
    _Atomic bool stop;
    _Atomic int64_t max_delay_ns; /* recent worst frame delivery delay */
};

pl_capture_t *pl_capture_open(const pl_capture_config_t *cfg, char *err, size_t errlen)
{
    if (cfg->threads == 0 || cfg->threads > PL_MAX_THREADS || cfg->n_ifaces > PL_MAX_IFACES) {
        snprintf(err, errlen, "1..%d capture threads on at most %d interfaces", PL_MAX_THREADS,
                 PL_MAX_IFACES);
        return NULL;
    }
    pl_capture_t *c = calloc(1, sizeof *c);
    if (!c) goto oom;
    c->cfg = *cfg;
    c->t = calloc(cfg->threads, sizeof *c->t);
    if (!c->t) goto oom;
    uint32_t nif = cfg->n_ifaces;
    for (uint32_t t = 0; t < cfg->threads; t++) {
        pl__capture_thread_t *w = &c->t[t];
        *w = (pl__capture_thread_t){.c = c, .index = t};
        pthread_mutex_init(&w->lock, NULL);
        w->ring_snap = calloc((size_t)nif + 1, sizeof *w->ring_snap);
        w->failed = calloc((size_t)nif + 1, sizeof *w->failed);
        if (!w->ring_snap || !w->failed) goto oom;
        if (!nif) continue;
        w->rings = calloc(nif, sizeof *w->rings);
        if (!w->rings) goto oom;
        for (uint32_t i = 0; i < nif; i++) {
            cap_ring_config_t rc = cfg->rings[i];
            /* one fanout group per interface, unique to this process */
            if (cfg->threads > 1) rc.fanout_group = (uint16_t)((getpid() * 64 + i) % 65000 + 1);
            w->rings[i] = cap_ring_open(&rc, err, errlen);
            if (!w->rings[i]) {
                pl_capture_free(c);
                return NULL;
            }
            if (t == 0)
                log_debug("%s: %u ring%s open", cfg->ifnames[i], cfg->threads,
                          cfg->threads == 1 ? "" : "s");
        }
    }
    return c;
oom:
    snprintf(err, errlen, "out of memory");
    pl_capture_free(c);
    return NULL;
}

int pl_capture_attach(pl_capture_t *c, pl_stage_t *stage, const cap_limits_t *limits, char *err,
                      size_t errlen)
{
    c->stage = stage;
    for (uint32_t t = 0; t < c->cfg.threads; t++) {
        c->t[t].dec = cap_decoder_new(limits, pl_stage_on_datagram, &stage->feeds[t]);
        if (!c->t[t].dec) {
            snprintf(err, errlen, "out of memory setting up tables");
            return -1;
        }
    }
    return 0;
}

static void pl__expire(pl__capture_thread_t *w, int64_t now_ns)
{
    cap_decoder_expire(w->dec, now_ns);
    pl_stage_expire(w->c->stage, w->index, now_ns);
}

void pl_capture_frame(pl_capture_t *c, uint32_t producer, const cap_frame_t *f)
{
    pl__capture_thread_t *w = &c->t[producer];
    if (f->ts_ns > w->last_ts) w->last_ts = f->ts_ns;
    pl_stage_frame(c->stage, w->index, w->dec, &w->next_expire, f);
}

void pl_capture_publish(pl_capture_t *c, uint32_t producer)
{
    pl__capture_thread_t *w = &c->t[producer];
    pthread_mutex_lock(&w->lock);
    for (uint32_t i = 0; w->rings && i < c->cfg.n_ifaces; i++)
        cap_ring_stats(w->rings[i], &w->ring_snap[i]);
    w->dec_snap = *cap_decoder_stats(w->dec);
    pthread_mutex_unlock(&w->lock);
}

static void *pl__capture_main(void *arg)
{
    pl__capture_thread_t *w = arg;
    pl_capture_t *c = w->c;
    struct pollfd pfd[PL_MAX_IFACES];
    int64_t mono = clock_mono_ns(), next_wall = mono + NS_PER_SEC,
            next_publish = mono + PL_CAP_PUBLISH_NS;
    cap_frame_t frame;
    while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
        bool busy = false;
        int live = 0;
        int64_t batch_last_ts = 0;
        for (uint32_t i = 0; i < c->cfg.n_ifaces; i++) {
            if (w->failed[i]) continue;
            for (int n = 0; n < PL_CAP_BATCH; n++) {
                int got = cap_ring_next(w->rings[i], &frame, 0);
                if (got == 1) {
                    pl_capture_frame(c, w->index, &frame);
                    if (frame.ts_ns > batch_last_ts) batch_last_ts = frame.ts_ns;
                    busy = true;
                    continue;
                }
                if (got < 0) {
                    log_error("capture on %s failed: %s", c->cfg.ifnames[i],
                              cap_ring_error(w->rings[i]));
                    w->failed[i] = true;
                }
                break;
            }
            if (!w->failed[i])
                pfd[live++] = (struct pollfd){.fd = cap_ring_fd(w->rings[i]), .events = POLLIN};
        }
        if (live == 0) {
            pthread_mutex_lock(&w->lock);
            w->all_failed = true;
            pthread_mutex_unlock(&w->lock);
            break;
        }
        int64_t real = clock_real_ns();
        if (busy) {
            int64_t delay = real - batch_last_ts, seen = atomic_load(&c->max_delay_ns);
            while (delay > seen && !atomic_compare_exchange_weak(&c->max_delay_ns, &seen, delay))
                ;
        } else {
            int64_t lag = 2 * atomic_load_explicit(&c->max_delay_ns, memory_order_relaxed);
            pl_stage_idle(c->stage, w->index,
                          real - (lag > PL_CAP_IDLE_LAG_NS ? lag : PL_CAP_IDLE_LAG_NS));
        }
        mono = clock_mono_ns();
        if (mono >= next_wall) {
            if (w->index == 0) /* forget old delays: halve the worst every second */
                atomic_store(&c->max_delay_ns, atomic_load(&c->max_delay_ns) / 2);
            int64_t now = clock_real_ns();
            pl__expire(w, now > w->last_ts ? now : w->last_ts);
            next_wall = mono + NS_PER_SEC;
        }
        if (mono >= next_publish) {
            pl_capture_publish(c, w->index);
            next_publish = mono + PL_CAP_PUBLISH_NS;
        }
        if (!busy && poll(pfd, (nfds_t)live, PL_CAP_POLL_MS) < 0 && errno != EINTR) {
            log_error("poll: %s", strerror(errno));
            break;
        }
    }
    pl_capture_publish(c, w->index);
    return NULL;
}

int pl_capture_start(pl_capture_t *c, char *err, size_t errlen)
{
    for (uint32_t t = 0; t < c->cfg.threads; t++) {
        int rc = pthread_create(&c->t[t].thread, NULL, pl__capture_main, &c->t[t]);
        if (rc != 0) {
            snprintf(err, errlen, "cannot start a capture thread: %s", strerror(rc));
            return -1;
        }
        c->t[t].started = true;
    }
    return 0;
}

bool pl_capture_all_failed(pl_capture_t *c)
{
    uint32_t dead = 0;
    for (uint32_t t = 0; t < c->cfg.threads; t++) {
        pthread_mutex_lock(&c->t[t].lock);
        dead += c->t[t].all_failed;
        pthread_mutex_unlock(&c->t[t].lock);
    }
    return dead == c->cfg.threads;
}

void pl_capture_stop(pl_capture_t *c)
{
    if (!c) return;
    atomic_store(&c->stop, true);
    for (uint32_t t = 0; t < c->cfg.threads; t++)
        if (c->t[t].started) {
            pthread_join(c->t[t].thread, NULL);
            c->t[t].started = false;
        }
}

/* Both are counters only; summed member by member as arrays. */
_Static_assert(sizeof(cap_stats_t) % sizeof(uint64_t) == 0, "cap_stats_t: uint64_t only");
_Static_assert(sizeof(cap_ring_stats_t) % sizeof(uint64_t) == 0, "cap_ring_stats_t: uint64_t");

void pl_capture_stats(pl_capture_t *c, cap_ring_stats_t *per_if, cap_stats_t *dec)
{
    memset(per_if, 0, (size_t)c->cfg.n_ifaces * sizeof *per_if);
    memset(dec, 0, sizeof *dec);
    for (uint32_t t = 0; t < c->cfg.threads; t++) {
        pl__capture_thread_t *w = &c->t[t];
        pthread_mutex_lock(&w->lock);
        for (uint32_t i = 0; i < c->cfg.n_ifaces; i++)
            counters_add(&per_if[i], &w->ring_snap[i], sizeof per_if[i]);
        counters_add(dec, &w->dec_snap, sizeof *dec);
        pthread_mutex_unlock(&w->lock);
    }
}

void pl_capture_free(pl_capture_t *c)
{
    if (!c) return;
    pl_capture_stop(c);
    for (uint32_t t = 0; c->t && t < c->cfg.threads; t++) {
        pl__capture_thread_t *w = &c->t[t];
        for (uint32_t i = 0; w->rings && i < c->cfg.n_ifaces; i++)
            if (w->rings[i]) cap_ring_close(w->rings[i]);
        if (w->dec) cap_decoder_free(w->dec);
        free(w->rings);
        free(w->failed);
        free(w->ring_snap);
        pthread_mutex_destroy(&w->lock);
    }
    free(c->t);
    free(c);
}
