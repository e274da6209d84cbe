/* feed.c - the live feed: call events from the correlator shards to every
 * logged-in browser over a WebSocket (/api/v1/live, subprotocol
 * "siphon-live-v1"), without ever making capture wait.
 *
 *   shard thread: web_consumer sink ─▶ small JSON event ─▶ feed ring
 *     (mutex held for a pointer store; full: the event is dropped and
 *     counted) ─▶ lws_cancel_service wakes the service thread
 *   service thread: ring ─▶ each client's bounded queue (web.ws_queue
 *     events; full: that client is disconnected and counted, so one slow
 *     browser never holds memory or the others back) ─▶ one frame per
 *     writeable callback
 *
 * Events: call_started and call_answered (enc_call_event_json, the NDJSON
 * contract's event objects) and call_ended (a summary: Call-ID, parties,
 * state, final code, duration, MOS).  The WebSocket handshake needs a
 * valid session cookie like any API route.
 */
#include "web_internal.h"

#include "correlator.h"
#include "encode.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

struct web__client {
    web__client_t *next;
    struct lws *wsi;
    web__event_t **q;
    uint32_t head, n;
    bool doomed;
};

typedef struct {
    web__client_t c;
} feed__pss_t;

static void feed__unref(web__event_t *e)
{
    if (e && --e->refs == 0) free(e);
}

/* Any thread: queue JSON text for the clients. */
static void feed__push(web_t *w, const char *text, size_t len)
{
    if (!w->feed_cap || !w->ctx) return;
    web__event_t *e = malloc(sizeof *e + len + LWS_PRE + 1);
    if (!e) return;
    e->refs = 0;
    e->len = len;
    memcpy(e->data + LWS_PRE, text, len);
    bool wake = false;
    pthread_mutex_lock(&w->feed_mu);
    if (w->feed_n == w->feed_cap) {
        w->events_dropped++;
        free(e);
    } else {
        w->feed[(w->feed_head + w->feed_n++) % w->feed_cap] = e;
        w->events++;
        wake = w->feed_n == 1;
    }
    pthread_mutex_unlock(&w->feed_mu);
    if (wake) lws_cancel_service(w->ctx);
}

void web__feed_drain(web_t *w)
{
    for (;;) {
        pthread_mutex_lock(&w->feed_mu);
        web__event_t *e = NULL;
        if (w->feed_n) {
            e = w->feed[w->feed_head];
            w->feed_head = (w->feed_head + 1) % w->feed_cap;
            w->feed_n--;
        }
        pthread_mutex_unlock(&w->feed_mu);
        if (!e) break;
        e->refs = 1; /* ours until every client has it */
        for (web__client_t *c = w->clients; c; c = c->next) {
            if (c->doomed) continue;
            if (c->n == w->cfg.ws_queue) { /* too slow: dropped */
                c->doomed = true;
                w->clients_dropped++;
                lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
                continue;
            }
            c->q[(c->head + c->n++) % w->cfg.ws_queue] = e;
            e->refs++;
            lws_callback_on_writable(c->wsi);
        }
        feed__unref(e);
    }
}

void web__feed_free(web_t *w)
{
    if (!w->feed) return;
    for (uint32_t i = 0; i < w->feed_n; i++)
        free(w->feed[(w->feed_head + i) % w->feed_cap]);
    free(w->feed);
    w->feed = NULL;
    pthread_mutex_destroy(&w->feed_mu);
}

static int feed__callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                          size_t len)
{
    (void)in;
    (void)len;
    feed__pss_t *p = user;
    struct lws_context *ctx = lws_get_context(wsi);
    web_t *w = ctx ? lws_context_user(ctx) : NULL;
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
        char cookie[1024];
        if (lws_hdr_copy(wsi, cookie, sizeof cookie, WSI_TOKEN_HTTP_COOKIE) < 0) cookie[0] = 0;
        if (!web__session_find(w, cookie, clock_mono_ns(), NULL) ||
            w->n_clients >= w->cfg.max_clients) {
            w->rejected_auth++;
            return 1; /* refused */
        }
        return 0;
    }
    case LWS_CALLBACK_ESTABLISHED:
        memset(&p->c, 0, sizeof p->c);
        p->c.wsi = wsi;
        p->c.q = calloc(w->cfg.ws_queue, sizeof *p->c.q);
        if (!p->c.q) return -1;
        p->c.next = w->clients;
        w->clients = &p->c;
        w->n_clients++;
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE: {
        if (p->c.doomed) return -1;
        if (!p->c.n) return 0;
        web__event_t *e = p->c.q[p->c.head];
        p->c.head = (p->c.head + 1) % w->cfg.ws_queue;
        p->c.n--;
        int n = lws_write(wsi, (unsigned char *)e->data + LWS_PRE, e->len, LWS_WRITE_TEXT);
        feed__unref(e);
        if (n < (int)0) return -1;
        if (p->c.n) lws_callback_on_writable(wsi);
        return 0;
    }
    case LWS_CALLBACK_CLOSED:
        for (web__client_t **pp = &w->clients; *pp; pp = &(*pp)->next)
            if (*pp == &p->c) {
                *pp = p->c.next;
                w->n_clients--;
                break;
            }
        while (p->c.q && p->c.n) {
            feed__unref(p->c.q[p->c.head]);
            p->c.head = (p->c.head + 1) % w->cfg.ws_queue;
            p->c.n--;
        }
        free(p->c.q);
        p->c.q = NULL;
        return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (w) web__feed_drain(w);
        return 0;
    default:
        return 0;
    }
}

const struct lws_protocols web__live_protocol = {
    "siphon-live-v1", feed__callback, sizeof(feed__pss_t), 4096, 0, NULL, 0};

/* ---------------------------------------------------------------------- */
/* the fan consumer: shard threads                                          */
/* ---------------------------------------------------------------------- */

static void feed__on_call_event(void *user, const corr_call_event_t *ev)
{
    web_t *w = user;
    if (ev->type == CORR_EV_CALL_STARTED) w->live_started++;
    buf_t b;
    buf_init(&b);
    enc_call_event_json(&b, ev);
    while (b.len && (b.data[b.len - 1] == '\n'))
        b.len--;
    feed__push(user, b.data, b.len);
    buf_free(&b);
}

static void feed__on_call(void *user, const corr_call_t *c)
{
    web_t *w = user;
    w->live_ended++;
    buf_t b;
    buf_init(&b);
    json_writer_t j;
    json_init(&j, &b);
    json_obj_begin(&j);
    json_key(&j, "type"), json_cstr(&j, "call_ended");
    json_key(&j, "call_id"), json_cstr(&j, c->call_id);
    char key[24];
    snprintf(key, sizeof key, "%016llx", (unsigned long long)c->call_key);
    json_key(&j, "call_key"), json_cstr(&j, key);
    json_key(&j, "caller"), json_cstr(&j, c->caller);
    json_key(&j, "callee"), json_cstr(&j, c->callee);
    json_key(&j, "user_agent"), json_cstr(&j, c->user_agent);
    json_key(&j, "state"), json_cstr(&j, corr_call_state_name(c->state));
    json_key(&j, "final_code");
    if (c->final_code)
        json_int(&j, c->final_code);
    else
        json_null(&j);
    json_key(&j, "start_ts"), json_ts(&j, c->start_ts_ns);
    json_key(&j, "answer_ts"), json_ts(&j, c->answer_ts_ns);
    json_key(&j, "end_ts"), json_ts(&j, c->end_ts_ns);
    json_key(&j, "mos");
    if (c->mos > 0)
        json_double(&j, c->mos, 2);
    else
        json_null(&j);
    json_obj_end(&j);
    feed__push(user, b.data, b.len);
    buf_free(&b);
}

static void *feed__create(const void *config, const fan_env_t *env, char *err, size_t errlen)
{
    (void)env;
    if (!config) {
        snprintf(err, errlen, "web: no server for the live feed");
        return NULL;
    }
    return (void *)config;
}

static uint32_t feed__wants(const void *self)
{
    (void)self;
    return FAN_WANT_CALLS | FAN_WANT_CALL_EVENTS;
}

static corr_sink_t feed__sink(void *self, uint32_t shard)
{
    (void)shard;
    corr_sink_t s;
    memset(&s, 0, sizeof s);
    s.user = self;
    s.on_call = feed__on_call;
    s.on_call_event = feed__on_call_event;
    return s;
}

static void feed__stats(const void *self, fan_stats_t *out)
{
    web_t *w = (web_t *)self;
    pthread_mutex_lock(&w->feed_mu);
    out->records = w->events + w->events_dropped;
    out->queued = w->events;
    out->dropped = w->events_dropped;
    pthread_mutex_unlock(&w->feed_mu);
}

static void feed__free(void *self)
{
    (void)self; /* the web_t is web_stop's */
}

const fan_consumer_ops_t web_consumer = {
    .name = "web",
    .create = feed__create,
    .wants = feed__wants,
    .shard_sink = feed__sink,
    .stats = feed__stats,
    .free = feed__free,
};
