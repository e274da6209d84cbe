/* worker.c - the consumer worker: one thread doing a consumer's slow work,
 * fed by a bounded queue of owned records per shard (fanout.h).
 *
 * Modelled on Redis bio.c: a mutex and two condition variables guard
 * plain arrays; the worker sleeps on `ready` while every queue is empty,
 * a lossless producer sleeps on `room` while its queue is full.  Each queue
 * is a ring of `capacity` pointers allocated at fan_worker_new, so memory
 * is bounded and pushing allocates nothing.  The worker takes up to
 * FAN__BATCH records of one shard under the lock, then works them without
 * it (a slow record never blocks a push for longer than a copy of
 * pointers), and moves on to the next shard: one busy shard cannot starve
 * the others, and within a shard records keep their order.
 *
 * Records are pointers the worker owns from push on: worked then released,
 * or released at once when dropped; fan_worker_stop drains every queue
 * before the thread ends, and fan_worker_free releases whatever a worker
 * that never ran still holds.
 */
#include "fanout.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FAN__BATCH 64

typedef struct {
    void **ring;
    uint32_t head, count; /* next to take; records queued */
} fan__queue_t;

struct fan_worker {
    fan_worker_config_t cfg;
    pthread_mutex_t lock;
    pthread_cond_t ready; /* the worker: something queued, or stopping */
    pthread_cond_t room;  /* lossless producers: the worker took records */
    fan__queue_t *q;      /* cfg.shards */
    uint32_t next_shard;  /* round-robin start */
    bool stopping, running;
    pthread_t thread;
    fan_worker_stats_t st;
    char name[16];
};

static void fan__release(const fan_worker_t *w, void *rec)
{
    if (w->cfg.release)
        w->cfg.release(w->cfg.user, rec);
    else
        free(rec);
}

fan_worker_t *fan_worker_new(const fan_worker_config_t *cfg, char *err, size_t errlen)
{
    if (cfg->shards == 0 || cfg->shards > FAN_WORKER_MAX_SHARDS || cfg->capacity == 0 ||
        !cfg->work) {
        snprintf(err, errlen,
                 "consumer worker: 1..%d queues of at least one record and a work "
                 "function are needed",
                 FAN_WORKER_MAX_SHARDS);
        return NULL;
    }
    fan_worker_t *w = calloc(1, sizeof *w);
    if (!w) goto oom;
    w->cfg = *cfg;
    snprintf(w->name, sizeof w->name, "%s", cfg->name ? cfg->name : "consumer");
    w->q = calloc(cfg->shards, sizeof *w->q);
    if (!w->q) goto oom;
    for (uint32_t s = 0; s < cfg->shards; s++) {
        w->q[s].ring = calloc(cfg->capacity, sizeof *w->q[s].ring);
        if (!w->q[s].ring) goto oom;
    }
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* ticks follow the monotonic clock */
    pthread_cond_init(&w->ready, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&w->room, NULL);
    return w;
oom:
    snprintf(err, errlen, "consumer worker: out of memory for its queues");
    if (w && w->q)
        for (uint32_t s = 0; s < cfg->shards; s++)
            free(w->q[s].ring);
    if (w) free(w->q);
    free(w);
    return NULL;
}

/* Takes up to FAN__BATCH records of the next non-empty shard into out;
 * under the lock.  Returns how many (0: every queue is empty). */
static uint32_t fan__take(fan_worker_t *w, uint32_t *shard, void **out)
{
    for (uint32_t k = 0; k < w->cfg.shards; k++) {
        uint32_t s = (w->next_shard + k) % w->cfg.shards;
        fan__queue_t *q = &w->q[s];
        if (!q->count) continue;
        uint32_t n = q->count < FAN__BATCH ? q->count : FAN__BATCH;
        for (uint32_t i = 0; i < n; i++) {
            out[i] = q->ring[q->head];
            q->head = (q->head + 1) % w->cfg.capacity;
        }
        q->count -= n;
        w->next_shard = (s + 1) % w->cfg.shards;
        *shard = s;
        return n;
    }
    return 0;
}

/* With a tick (cfg.tick): when the queues ran dry after some work, when
 * tick_ns passed without any, and once when stopping (stop true) after the
 * queues were worked off, the worker calls tick without the lock: a
 * consumer flushes what it batched by time, retries what failed. */
static void fan__wait(fan_worker_t *w, int64_t next_tick_ns)
{
    if (!w->cfg.tick) {
        pthread_cond_wait(&w->ready, &w->lock);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    int64_t until = next_tick_ns > now ? next_tick_ns : now;
    ts.tv_sec = until / 1000000000LL, ts.tv_nsec = until % 1000000000LL;
    pthread_cond_timedwait(&w->ready, &w->lock, &ts);
}

static void *fan__worker_main(void *arg)
{
    fan_worker_t *w = arg;
    void *batch[FAN__BATCH];
    bool dirty = false, final_tick = false;
    int64_t next_tick = clock_mono_ns() + w->cfg.tick_ns;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        uint32_t shard = 0, n = fan__take(w, &shard, batch);
        if (!n) {
            if (w->stopping && (final_tick || !w->cfg.tick)) break;
            if (w->cfg.tick && (dirty || w->stopping || clock_mono_ns() >= next_tick)) {
                bool stop = w->stopping;
                pthread_mutex_unlock(&w->lock);
                w->cfg.tick(w->cfg.user, stop);
                pthread_mutex_lock(&w->lock);
                dirty = false, final_tick = stop;
                next_tick = clock_mono_ns() + w->cfg.tick_ns;
                continue;
            }
            fan__wait(w, next_tick);
            continue;
        }
        dirty = true, final_tick = false;
        pthread_cond_broadcast(&w->room);
        pthread_mutex_unlock(&w->lock);
        for (uint32_t i = 0; i < n; i++) {
            w->cfg.work(w->cfg.user, shard, batch[i]);
            fan__release(w, batch[i]);
        }
        pthread_mutex_lock(&w->lock);
        w->st.worked += n;
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int fan_worker_start(fan_worker_t *w, char *err, size_t errlen)
{
    if (w->running) return 0;
    w->stopping = false;
    int rc = pthread_create(&w->thread, NULL, fan__worker_main, w);
    if (rc != 0) {
        snprintf(err, errlen, "consumer worker %s: cannot start its thread: %s", w->name,
                 strerror(rc));
        return -1;
    }
    pthread_setname_np(w->thread, w->name);
    w->running = true;
    return 0;
}

bool fan_worker_push(fan_worker_t *w, uint32_t shard, void *rec)
{
    fan__queue_t *q = &w->q[shard];
    pthread_mutex_lock(&w->lock);
    if (q->count == w->cfg.capacity) {
        if (!w->cfg.lossless) {
            w->st.dropped++;
            pthread_mutex_unlock(&w->lock);
            fan__release(w, rec);
            return false;
        }
        w->st.waits++;
        while (q->count == w->cfg.capacity)
            pthread_cond_wait(&w->room, &w->lock);
    }
    q->ring[(q->head + q->count) % w->cfg.capacity] = rec;
    q->count++;
    if (q->count > w->st.high_water) w->st.high_water = q->count;
    w->st.pushed++;
    pthread_cond_signal(&w->ready);
    pthread_mutex_unlock(&w->lock);
    return true;
}

void fan_worker_stop(fan_worker_t *w)
{
    if (!w->running) return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_signal(&w->ready);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    w->running = false;
}

void fan_worker_stats(fan_worker_t *w, fan_worker_stats_t *out)
{
    pthread_mutex_lock(&w->lock);
    *out = w->st;
    pthread_mutex_unlock(&w->lock);
}

void fan_worker_free(fan_worker_t *w)
{
    if (!w) return;
    fan_worker_stop(w);
    for (uint32_t s = 0; s < w->cfg.shards; s++) {
        fan__queue_t *q = &w->q[s];
        for (; q->count; q->count--) {
            fan__release(w, q->ring[q->head]);
            q->head = (q->head + 1) % w->cfg.capacity;
        }
        free(q->ring);
    }
    free(w->q);
    pthread_cond_destroy(&w->room);
    pthread_cond_destroy(&w->ready);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
