/* snapshot.c - a database answer kept for a few seconds: the status page's
 * counts and the overview's figures, which every open dashboard polls
 * (every 5 to 15 s) and which cost PostgreSQL far more than a page of
 * calls.  One query worker computes a snapshot; until it is
 * WEB__SNAPSHOT_TTL_NS old the gate answers from it on the service thread
 * (no job, no database), so any number of browsers cost the database one
 * query per TTL.  The answer says how old its figures are (age_ms).
 *
 * A snapshot is keyed by a small string (the overview's `minutes`): another
 * key is a miss.  An expired snapshot (older than the TTL, younger than
 * WEB__SNAPSHOT_STALE_NS) still answers, and the first request to find it
 * so hands one refresh to a query worker (a job nobody waits for): no
 * request waits for the figures while dashboards keep polling (the status
 * counts take 0.5 s at 1,000,000 calls).  Older than that, or none: the
 * request's worker computes it and the request waits.
 */
#include "web_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void web__snap_init(web__snap_t *s)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    buf_init(&s->json);
}

void web__snap_free(web__snap_t *s)
{
    pthread_mutex_destroy(&s->mu);
    buf_free(&s->json);
}

web__snap_state_t web__snap_get(web__snap_t *s, const char *key, int64_t now_ns, buf_t *out,
                                int64_t *age_ns, bool *refresh)
{
    *refresh = false;
    pthread_mutex_lock(&s->mu);
    int64_t age = now_ns - s->at_ns;
    bool have = s->json.len > 0 && strcmp(s->key, key) == 0 && age < WEB__SNAPSHOT_STALE_NS;
    if (have) {
        buf_append(out, s->json.data, s->json.len);
        *age_ns = age;
        if (age >= WEB__SNAPSHOT_TTL_NS && !s->refreshing) *refresh = s->refreshing = true;
    }
    pthread_mutex_unlock(&s->mu);
    return have ? WEB__SNAP_FRESH : WEB__SNAP_MISS;
}

void web__snap_put(web__snap_t *s, const char *key, int64_t at_ns, const char *json, size_t len)
{
    pthread_mutex_lock(&s->mu);
    s->refreshing = false;
    if (json && len) {
        buf_reset(&s->json);
        buf_append(&s->json, json, len);
        snprintf(s->key, sizeof s->key, "%s", key);
        s->at_ns = at_ns;
    }
    pthread_mutex_unlock(&s->mu);
}
