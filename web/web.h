/* web.h - the dashboard: an HTTPS server (libwebsockets) with the built
 * front end, a versioned JSON API over the stored calls (/api/v1/), and a
 * WebSocket feed of live events.
 *
 *   browser ──TLS──▶ lws service thread ──▶ route table (api.c): session,
 *                    (one thread; never    role and CSRF checked before any
 *                     waits on the         handler ──▶ a job for the query
 *                     database)            workers (pool.c: bounded queue,
 *                                          full: 503) ──▶ PostgreSQL
 *                                          (storage's schema) ──▶ response
 *                                          back through lws_cancel_service
 *   fan-out ──▶ web_consumer shard sinks ──▶ event ring ──▶ each WebSocket
 *                                             client's bounded queue (full:
 *                                             that client is dropped)
 *
 * Security (auth.c): local users with argon2id hashes (table web_users),
 * sessions in HttpOnly/Secure/SameSite=Strict cookies with idle and
 * absolute expiry, a CSRF token on every state-changing request, log-in
 * rate limits per source address and per user name, roles enforced per
 * route (viewer < listener < admin), every recording or pcap access in
 * web_audit.  Every response carries a strict Content-Security-Policy
 * (no inline script), X-Content-Type-Options and frame-ancestors 'none'.
 *
 * Public prefix web_; internal web__ (web_internal.h).
 */
#ifndef SIPHON_WEB_H
#define SIPHON_WEB_H

#include "audio.h"
#include "fanout.h"
#include "record.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The [web] section (app/config_map.c fills it; strings borrowed). */
typedef struct {
    const char *listen;   /* "127.0.0.1:8443" */
    const char *tls_cert; /* "" = self-signed under state_dir */
    const char *tls_key;
    const char *state_dir;
    const char *ui_dir;     /* the built front end */
    const char *record_dir; /* the packet store (record.dir) for pcap downloads; "" none */
    bool plain_http;
    uint32_t max_clients;
    uint32_t ws_queue; /* events per WebSocket client */
    uint32_t max_sessions;
    uint64_t max_body;
    int64_t request_timeout_ns;
    int64_t session_idle_ns;
    int64_t session_max_ns;
    uint32_t query_workers;   /* threads running the database queries */
    uint32_t query_queue;     /* requests waiting for a worker (full: 503) */
    int64_t query_timeout_ns; /* PostgreSQL statement_timeout of a worker */
    uint64_t max_download;    /* pcap or audio bytes at most (larger: 413) */
    /* Feeds a SIPREC session's recording to the renderer, its streams
     * placed by the session's metadata (app/siprec_audio.c: the stored
     * session's reader is siprec/'s, which web/ does not include); NULL:
     * no SIPREC audio.  0, or -1 with err. */
    int (*siprec_audio)(rec_store_t *store, const rec_recording_t *rec, aud_renderer_t *r,
                        char *err, size_t errlen);
} web_config_t;

void web_config_default(web_config_t *c);

typedef enum { WEB_ROLE_NONE = 0, WEB_ROLE_VIEWER, WEB_ROLE_LISTENER, WEB_ROLE_ADMIN } web_role_t;

/* "viewer" "listener" "admin" -> role; WEB_ROLE_NONE when unknown. */
web_role_t web_role_parse(const char *s);
const char *web_role_name(web_role_t r);

typedef struct web web_t;

/* Starts the server thread on cfg->listen against the database dsn
 * (creating the self-signed certificate when none is configured).  NULL
 * with err. */
web_t *web_start(const web_config_t *cfg, const char *dsn, char *err, size_t errlen);
/* Stops the thread, closes every connection, frees it (NULL: nothing). */
void web_stop(web_t *w);
/* The port bound (useful with port 0). */
int web_port(const web_t *w);

/* `siphon user add`: creates or replaces user name with role and the
 * argon2id hash of password.  0, or -1 with err. */
int web_user_add(const char *dsn, const char *name, web_role_t role, const char *password,
                 char *err, size_t errlen);

/* The API's route table, for `siphon web --routes` (and the test that
 * checks every route answers 401 without a session): method, path pattern
 * ("{id}" a parameter), the role it needs ("public" for log-in). */
typedef struct {
    const char *method;
    const char *pattern;
    const char *role;
} web_route_info_t;
size_t web_routes(const web_route_info_t **out);

/* The live feed: a fan consumer whose shard sinks turn call events and
 * call records into small JSON events for the WebSocket clients of w
 * (bounded; never waits).  fan_add(fan, &web_consumer, w, ...) with a
 * running web_t; fan_free before web_stop. */
extern const fan_consumer_ops_t web_consumer;

/* The overview's health figures: every consumer's statistics of fan (its
 * name, records taken, queued, dropped) read when the page asks.  NULL
 * stops it; call web_watch(w, NULL) before fan_free. */
void web_watch(web_t *w, const fan_t *fan);

#endif /* SIPHON_WEB_H */
