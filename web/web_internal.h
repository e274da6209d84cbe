/* web_internal.h - what the web component's files share: the server's
 * state, a request and its response, the route table, sessions. */
#ifndef SIPHON_WEB_INTERNAL_H
#define SIPHON_WEB_INTERNAL_H

#include "core.h"
#include "web.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define WEB__TOKEN_HEX 64 /* 32 random bytes */
#define WEB__USER_MAX  64
#define WEB__PATH_MAX  512
#define WEB__QUERY_MAX 2048
#define WEB__LIMITS    512 /* log-in rate limit slots (sources and users) */

typedef struct {
    bool used;
    char token[WEB__TOKEN_HEX + 1];
    char csrf[WEB__TOKEN_HEX + 1];
    char user[WEB__USER_MAX + 1];
    web_role_t role;
    int64_t created_ns, used_ns;
} web__session_t;

typedef struct {
    char key[80]; /* "s:" source address or "u:" user name */
    uint32_t failures;
    int64_t window_ns; /* start of the current window */
} web__limit_t;

/* A request as the route handlers see it. */
typedef struct {
    const char *method; /* "GET" "POST" */
    char path[WEB__PATH_MAX];
    char query[WEB__QUERY_MAX]; /* "a=1&b=2", URL-decoded per value by web__arg */
    const char *body;
    size_t body_len;
    char source[64];   /* peer address */
    char cookie[1024]; /* the Cookie header */
    char csrf[WEB__TOKEN_HEX + 8];
    bool gzip_ok;            /* Accept-Encoding names gzip */
    char param[128];         /* the {id} of the route's pattern */
    web__session_t *session; /* &sess once the gate found one */
    web__session_t sess;     /* a copy: the table may change under a worker */
    bool refresh;            /* a snapshot's refresh: compute it, nobody waits */
} web__req_t;

/* A response the server writes out. */
typedef struct {
    int status;
    const char *content_type;
    buf_t body;
    char set_cookie[512];
    const char *cache; /* Cache-Control */
    char disposition[256];
    const char *encoding; /* Content-Encoding (NULL: none) */
    int retry_after;      /* seconds, for a Retry-After header (0: none) */
    bool has_file;        /* the body is file_len bytes of fd, not body */
    int fd;
    uint64_t file_len;
} web__resp_t;

/* A database connection of one query worker (pool.c). */
typedef struct {
    PGconn *db;
    struct st_search *search; /* storage's search connection, kept open */
} web__conn_t;

/* A request handed to the query workers: its own copy of the request and
 * body, the response the worker fills, and the connection it answers
 * (service thread only; NULL once the browser went away). */
typedef struct web__job web__job_t;
struct web__job {
    web__job_t *next;
    struct lws *wsi;
    const void *route; /* api.c's route */
    web__req_t rq;
    buf_t body;
    web__resp_t rs;
};

/* The query workers: a bounded FIFO of jobs, a list of finished ones the
 * service thread collects after one coalesced lws_cancel_service. */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    web__job_t *head, *tail, *done;
    uint32_t n, cap, busy;
    bool stop, wake_pending;
    pthread_t *threads;
    uint32_t nthreads;
    uint64_t queued, full, completed; /* under mu */
} web__pool_t;

/* A live event (feed.c): JSON text shared by every client queue holding it
 * (refs counted on the service thread only). */
typedef struct {
    uint32_t refs;
    size_t len;
    char data[];
} web__event_t;

typedef struct web__client web__client_t;

/* snapshot.c: a database answer kept WEB__SNAPSHOT_TTL_NS (the status
 * counts, the overview) */
#define WEB__SNAPSHOT_TTL_NS   (5LL * 1000000000LL)
#define WEB__SNAPSHOT_STALE_NS (20LL * 1000000000LL) /* answers while refreshed */
typedef struct {
    pthread_mutex_t mu;
    char key[32];
    buf_t json;
    int64_t at_ns;   /* clock_mono_ns when computed */
    bool refreshing; /* a worker has the refresh */
} web__snap_t;
typedef enum {
    WEB__SNAP_FRESH, /* out holds it: younger than STALE */
    WEB__SNAP_MISS,  /* none to use: compute it */
} web__snap_state_t;
void web__snap_init(web__snap_t *s);
void web__snap_free(web__snap_t *s);
/* *refresh: it is older than the TTL and the caller now has its refresh
 * (computes it, or hands it to a worker, then web__snap_put) */
web__snap_state_t web__snap_get(web__snap_t *s, const char *key, int64_t now_ns, buf_t *out,
                                int64_t *age_ns, bool *refresh);
/* json NULL: the refresh failed or was not made (the next request tries
 * again) */
void web__snap_put(web__snap_t *s, const char *key, int64_t at_ns, const char *json, size_t len);

struct web {
    web_config_t cfg;
    char listen_host[64];
    int port;
    char cert[1024], key[1024];
    char *dsn;
    web__pool_t pool;        /* pool.c: every database query */
    pthread_mutex_t auth_mu; /* sessions and limits (auth.c) */
    struct lws_context *ctx;
    pthread_t thread;
    bool thread_started;
    volatile int stop;
    web__session_t *sessions;
    web__limit_t limits[WEB__LIMITS];
    _Atomic uint64_t requests, rejected_auth, rejected_csrf, rate_limited, db_errors;
    _Atomic uint64_t downloads_refused; /* over web.max_download: 413 */
    int64_t started_ns;
    /* the live feed (feed.c): shard threads -> feed ring -> client queues */
    pthread_mutex_t feed_mu;
    web__event_t **feed;
    uint32_t feed_cap, feed_head, feed_n;
    uint64_t events, events_dropped; /* feed ring full */
    web__client_t *clients;          /* service thread only */
    uint32_t n_clients;
    uint64_t clients_dropped;                 /* a client's queue was full */
    struct web__asset *assets;                /* static.c: the front end, read once */
    _Atomic int64_t live_started, live_ended; /* feed.c: calls seen start and end */
    pthread_mutex_t watch_mu;                 /* web_watch's fan */
    const fan_t *watch;
    web__snap_t status_snap, overview_snap; /* snapshot.c */
};

/* auth.c */
int web__hash_password(const char *password, char *out, size_t outlen);
bool web__verify_password(const char *encoded, const char *password);
void web__random_hex(char *out, size_t nbytes);
/* Sessions and limits lock auth_mu themselves; a session found or made is
 * copied into out (the slot may be reused as soon as the lock is let go). */
bool web__session_find(web_t *w, const char *cookie, int64_t now_ns, web__session_t *out);
bool web__session_new(web_t *w, const char *user, web_role_t role, int64_t now_ns,
                      web__session_t *out);
void web__session_end(web_t *w, const char *token);
uint32_t web__session_count(web_t *w);
/* the value of cookie siphon_session in a Cookie header ("" when none) */
void web__cookie_token(const char *header, char *out, size_t outlen);
/* log-in rate limiting: true when key may try now */
bool web__limit_ok(web_t *w, const char *key, int64_t now_ns);
void web__limit_fail(web_t *w, const char *key, int64_t now_ns);
void web__limit_clear(web_t *w, const char *key);

/* tls.c: a self-signed certificate (EC P-256, one year) for host */
int web__selfsigned(const char *cert_path, const char *key_path, const char *host, char *err,
                    size_t errlen);

/* api.c: the gate, on the service thread.  Answers rs itself (NULL) or
 * returns a job for the query workers (web__pool_submit). */
web__job_t *web__handle(web_t *w, web__req_t *rq, web__resp_t *rs);
/* a worker runs the job's handler on its connection */
void web__run(web_t *w, web__conn_t *c, web__job_t *job);
void web__job_free(web__job_t *job);
void web__resp_error(web__resp_t *rs, int status, const char *msg);
bool web__arg(const web__req_t *rq, const char *name, char *out, size_t outlen);
/* field name of an x-www-form-urlencoded body, decoded into out */
bool web__form(const char *body, size_t len, const char *name, char *out, size_t outlen);
/* path against a route pattern; its {id} segment into param */
bool web__route_match(const char *pattern, const char *path, char *param, size_t plen);
void web__json_str(buf_t *b, const char *s);
PGconn *web__db(web_t *w, web__conn_t *c);

/* pool.c */
int web__pool_start(web_t *w, char *err, size_t errlen);
/* false: the queue is full (the caller answers 503) */
bool web__pool_submit(web_t *w, web__job_t *job);
/* service thread: every finished job to deliver (server.c) */
void web__pool_collect(web_t *w);
/* joins the workers; web__pool_free after the lws context is gone */
void web__pool_stop(web_t *w);
void web__pool_free(web_t *w);
void web__pool_stats(web_t *w, uint32_t *busy, uint32_t *queued, uint64_t *full,
                     uint64_t *completed);

/* server.c: a finished job's response to its connection (or freed) */
void web__deliver(web_t *w, web__job_t *job);

/* feed.c: the service thread's side */
extern const struct lws_protocols web__live_protocol;
void web__feed_drain(web_t *w);
void web__feed_free(web_t *w);

/* static.c */
void web__static(web_t *w, const web__req_t *rq, web__resp_t *rs);
void web__static_free(web_t *w);

#endif /* SIPHON_WEB_INTERNAL_H */
