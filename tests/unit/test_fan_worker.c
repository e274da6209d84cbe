/* test_fan_worker.c - the consumer worker (fanout/worker.c): a lossless
 * worker makes a pusher wait on a full queue and loses nothing, keeping
 * each shard's order; a lossy one drops exactly the records that found
 * their queue full and counts them; stop works off everything queued; a
 * worker never started releases what it holds.  The worker's progress is
 * held back with a gate, so which pushes find a full queue is exact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fanout.h"

#define SHARDS 3

typedef struct {
    uint32_t shard, seq;
} rec_t;

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool gate_open;
    uint64_t entered; /* work calls begun */
    uint64_t worked[SHARDS];
    uint32_t next_seq[SHARDS]; /* the sequence number expected next */
    uint64_t out_of_order;
    uint64_t released;
} sink_t;

static void sink_init(sink_t *s)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
}

static void sink_free(sink_t *s)
{
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
}

static void open_gate(sink_t *s)
{
    pthread_mutex_lock(&s->lock);
    s->gate_open = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

/* Waits until the worker has begun n work calls. */
static void wait_entered(sink_t *s, uint64_t n)
{
    pthread_mutex_lock(&s->lock);
    while (s->entered < n)
        pthread_cond_wait(&s->cond, &s->lock);
    pthread_mutex_unlock(&s->lock);
}

static void work(void *user, uint32_t shard, void *p)
{
    sink_t *s = user;
    rec_t *r = p;
    pthread_mutex_lock(&s->lock);
    s->entered++;
    pthread_cond_broadcast(&s->cond);
    while (!s->gate_open)
        pthread_cond_wait(&s->cond, &s->lock);
    if (r->shard != shard || r->seq != s->next_seq[shard]) s->out_of_order++;
    s->next_seq[shard] = r->seq + 1;
    s->worked[shard]++;
    pthread_mutex_unlock(&s->lock);
}

static void release(void *user, void *p)
{
    sink_t *s = user;
    pthread_mutex_lock(&s->lock);
    s->released++;
    pthread_mutex_unlock(&s->lock);
    free(p);
}

static rec_t *rec(uint32_t shard, uint32_t seq)
{
    rec_t *r = malloc(sizeof *r);
    *r = (rec_t){shard, seq};
    return r;
}

static fan_worker_t *new_worker(sink_t *s, uint32_t capacity, bool lossless)
{
    char err[128];
    fan_worker_config_t cfg = {.name = "test-worker",
                               .shards = SHARDS,
                               .capacity = capacity,
                               .lossless = lossless,
                               .work = work,
                               .release = release,
                               .user = s};
    fan_worker_t *w = fan_worker_new(&cfg, err, sizeof err);
    assert_non_null(w);
    assert_int_equal(fan_worker_start(w, err, sizeof err), 0);
    return w;
}

typedef struct {
    fan_worker_t *w;
    uint32_t shard, n;
    uint32_t refused;
} pusher_t;

static void *pusher_main(void *arg)
{
    pusher_t *p = arg;
    for (uint32_t i = 0; i < p->n; i++)
        if (!fan_worker_push(p->w, p->shard, rec(p->shard, i))) p->refused++;
    return NULL;
}

static void test_lossless_waits_loses_nothing(void **state)
{
    (void)state;
    enum { N = 20000, CAP = 4 };
    sink_t s;
    sink_init(&s);
    fan_worker_t *w = new_worker(&s, CAP, true);
    pusher_t p[SHARDS];
    pthread_t t[SHARDS];
    for (uint32_t i = 0; i < SHARDS; i++) {
        p[i] = (pusher_t){.w = w, .shard = i, .n = N};
        pthread_create(&t[i], NULL, pusher_main, &p[i]);
    }
    /* the worker is held on its first record: the pushers must fill their
     * queues and wait */
    wait_entered(&s, 1);
    fan_worker_stats_t st;
    for (;;) {
        fan_worker_stats(w, &st);
        if (st.waits >= SHARDS) break;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(st.high_water, CAP);
    assert_int_equal(st.dropped, 0);
    open_gate(&s);
    for (uint32_t i = 0; i < SHARDS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(p[i].refused, 0);
    }
    fan_worker_stop(w);
    fan_worker_stats(w, &st);
    assert_int_equal(st.pushed, (uint64_t)N * SHARDS);
    assert_int_equal(st.worked, (uint64_t)N * SHARDS);
    assert_int_equal(st.dropped, 0);
    assert_true(st.waits >= SHARDS);
    assert_true(st.high_water <= CAP);
    for (uint32_t i = 0; i < SHARDS; i++)
        assert_int_equal(s.worked[i], N);
    assert_int_equal(s.out_of_order, 0);
    assert_int_equal(s.released, (uint64_t)N * SHARDS);
    fan_worker_free(w);
    sink_free(&s);
}

static void test_lossy_drops_and_counts_exactly(void **state)
{
    (void)state;
    enum { CAP = 5, EXTRA = 17 };
    sink_t s;
    sink_init(&s);
    fan_worker_t *w = new_worker(&s, CAP, false);
    /* the worker takes record 0 of shard 1 and is held there: its queue is
     * empty again, CAP more fit, the next EXTRA are dropped */
    assert_true(fan_worker_push(w, 1, rec(1, 0)));
    wait_entered(&s, 1);
    uint32_t accepted = 0, refused = 0;
    for (uint32_t i = 1; i <= CAP + EXTRA; i++)
        fan_worker_push(w, 1, rec(1, accepted + 1)) ? accepted++ : refused++;
    assert_int_equal(accepted, CAP);
    assert_int_equal(refused, EXTRA);
    /* shard 0's queue is its own: still room there */
    assert_true(fan_worker_push(w, 0, rec(0, 0)));
    fan_worker_stats_t st;
    fan_worker_stats(w, &st);
    assert_int_equal(st.dropped, EXTRA);
    assert_int_equal(st.waits, 0);
    /* dropped records were released at once */
    assert_int_equal(s.released, EXTRA);
    open_gate(&s);
    fan_worker_stop(w);
    fan_worker_stats(w, &st);
    assert_int_equal(st.pushed, 1 + CAP + 1);
    assert_int_equal(st.worked, 1 + CAP + 1);
    assert_int_equal(st.dropped, EXTRA);
    assert_int_equal(s.worked[1], 1 + CAP);
    assert_int_equal(s.worked[0], 1);
    assert_int_equal(s.out_of_order, 0);
    assert_int_equal(s.released, 1 + CAP + 1 + EXTRA);
    fan_worker_free(w);
    sink_free(&s);
}

static void test_stop_drains(void **state)
{
    (void)state;
    enum { N = 300, CAP = 1000 };
    sink_t s;
    sink_init(&s);
    fan_worker_t *w = new_worker(&s, CAP, false);
    for (uint32_t i = 0; i < N; i++)
        assert_true(fan_worker_push(w, i % SHARDS, rec(i % SHARDS, i / SHARDS)));
    wait_entered(&s, 1);
    /* everything is queued behind the held record; stop must not return
     * before all of it is worked */
    open_gate(&s);
    fan_worker_stop(w);
    fan_worker_stats_t st;
    fan_worker_stats(w, &st);
    assert_int_equal(st.worked, N);
    assert_int_equal(s.worked[0] + s.worked[1] + s.worked[2], N);
    assert_int_equal(s.released, N);
    assert_int_equal(s.out_of_order, 0);
    fan_worker_free(w);
    sink_free(&s);
}

static void test_never_started_releases(void **state)
{
    (void)state;
    char err[128];
    sink_t s;
    sink_init(&s);
    fan_worker_config_t cfg = {.shards = 2,
                               .capacity = 8,
                               .lossless = false,
                               .work = work,
                               .release = release,
                               .user = &s};
    fan_worker_t *w = fan_worker_new(&cfg, err, sizeof err);
    assert_non_null(w);
    for (uint32_t i = 0; i < 10; i++)
        fan_worker_push(w, 0, rec(0, i)); /* 8 queued, 2 dropped */
    assert_int_equal(s.released, 2);
    fan_worker_free(w);
    assert_int_equal(s.released, 10);
    assert_int_equal(s.entered, 0);
    /* bad configurations are refused with a reason */
    cfg.capacity = 0;
    assert_null(fan_worker_new(&cfg, err, sizeof err));
    assert_true(strlen(err) > 0);
    sink_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lossless_waits_loses_nothing),
        cmocka_unit_test(test_lossy_drops_and_counts_exactly),
        cmocka_unit_test(test_stop_drains),
        cmocka_unit_test(test_never_started_releases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
