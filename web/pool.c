/* pool.c - the query workers: every route that reads or writes the
 * database runs here, so the libwebsockets service thread (static files,
 * the gate, the live feed) never waits on PostgreSQL.
 *
 *   service thread: gate ─▶ job (a copy of the request) ─▶ bounded FIFO
 *     (web.query_queue; full: 503 with Retry-After, counted)
 *   worker (web.query_workers threads, each its own libpq connection with
 *     statement_timeout = web.query_timeout): handler ─▶ response in the
 *     job ─▶ done list; the first job finished since the service thread
 *     last looked calls lws_cancel_service (one wake-up for many)
 *   service thread (LWS_CALLBACK_EVENT_WAIT_CANCELLED): done list ─▶ each
 *     job's response to its connection (web__deliver), or freed when the
 *     browser went away meanwhile
 */
#include "web_internal.h"

#include "storage.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *pool__worker(void *arg)
{
    web_t *w = arg;
    web__pool_t *p = &w->pool;
    web__conn_t conn = {0};
    /* connected before the first request, so no user pays for it */
    char err[256];
    if (web__db(w, &conn)) conn.search = st_search_open(w->dsn, err, sizeof err);
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && !p->head)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->stop) break;
        web__job_t *j = p->head;
        p->head = j->next;
        if (!p->head) p->tail = NULL;
        p->n--;
        p->busy++;
        pthread_mutex_unlock(&p->mu);

        web__run(w, &conn, j);

        pthread_mutex_lock(&p->mu);
        p->busy--;
        p->completed++;
        j->next = p->done;
        p->done = j;
        bool wake = !p->wake_pending;
        p->wake_pending = true;
        if (wake) lws_cancel_service(w->ctx);
    }
    pthread_mutex_unlock(&p->mu);
    if (conn.db) PQfinish(conn.db);
    st_search_close(conn.search);
    return NULL;
}

int web__pool_start(web_t *w, char *err, size_t errlen)
{
    web__pool_t *p = &w->pool;
    p->cap = w->cfg.query_queue ? w->cfg.query_queue : 1;
    uint32_t n = w->cfg.query_workers ? w->cfg.query_workers : 1;
    p->threads = calloc(n, sizeof *p->threads);
    if (!p->threads) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (; p->nthreads < n; p->nthreads++) {
        if (pthread_create(&p->threads[p->nthreads], NULL, pool__worker, w) != 0) {
            snprintf(err, errlen, "cannot start the web query workers");
            return -1;
        }
    }
    return 0;
}

bool web__pool_submit(web_t *w, web__job_t *job)
{
    web__pool_t *p = &w->pool;
    pthread_mutex_lock(&p->mu);
    bool ok = p->n < p->cap && !p->stop;
    if (ok) {
        job->next = NULL;
        if (p->tail)
            p->tail->next = job;
        else
            p->head = job;
        p->tail = job;
        p->n++;
        p->queued++;
        pthread_cond_signal(&p->cv);
    } else {
        p->full++;
    }
    pthread_mutex_unlock(&p->mu);
    return ok;
}

void web__pool_collect(web_t *w)
{
    web__pool_t *p = &w->pool;
    pthread_mutex_lock(&p->mu);
    web__job_t *j = p->done;
    p->done = NULL;
    p->wake_pending = false;
    pthread_mutex_unlock(&p->mu);
    while (j) {
        web__job_t *next = j->next;
        web__deliver(w, j);
        j = next;
    }
}

void web__pool_stop(web_t *w)
{
    web__pool_t *p = &w->pool;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (uint32_t i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    p->nthreads = 0;
}

void web__pool_free(web_t *w)
{
    web__pool_t *p = &w->pool;
    for (web__job_t *j = p->head, *next; j; j = next) {
        next = j->next;
        web__job_free(j);
    }
    for (web__job_t *j = p->done, *next; j; j = next) {
        next = j->next;
        web__job_free(j);
    }
    p->head = p->tail = p->done = NULL;
    free(p->threads);
    p->threads = NULL;
}

void web__pool_stats(web_t *w, uint32_t *busy, uint32_t *queued, uint64_t *full,
                     uint64_t *completed)
{
    web__pool_t *p = &w->pool;
    pthread_mutex_lock(&p->mu);
    *busy = p->busy;
    *queued = p->n;
    *full = p->full;
    *completed = p->completed;
    pthread_mutex_unlock(&p->mu);
}
