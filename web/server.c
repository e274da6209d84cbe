/* server.c - the libwebsockets server: one service thread that reads
 * requests, hands complete ones to the route table (api.c) or the static
 * files (static.c), and writes the response with the security headers
 * every response carries.
 *
 * The service thread never waits: a route that needs the database becomes
 * a job for the query workers (pool.c) and its response comes back to the
 * connection when done; capture never waits for it either (the live feed
 * reaches it through bounded queues).  A file response (a pcap or audio
 * download) is sent in chunks read from its file, never held in memory.
 * Limits: web.max_clients connections (lws refuses more), request headers
 * at most 4 KiB (lws answers 431), bodies at most web.max_body (413),
 * web.request_timeout to receive a request.  HTTP/1.1 only (ALPN), TLS
 * unless web.plain_http.
 */
#include "web_internal.h"

#include "storage.h"

#include <errno.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SRV__CHUNK (128 * 1024) /* per writeable callback: a page of calls in one */

/* Every response: no inline script, nothing from elsewhere, never framed. */
#define SRV__CSP                                                                                   \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "connect-src 'self'; media-src 'self' blob:; font-src 'self'; base-uri 'none'; "               \
    "form-action 'self'; frame-ancestors 'none'"

typedef struct {
    web__req_t rq;
    web__resp_t rs;
    buf_t body;
    bool too_big, responding, headers_sent;
    uint64_t sent;
    char method[8];
    web__job_t *job; /* with the query workers */
} srv__pss_t;

static void srv__pss_free(srv__pss_t *p)
{
    if (p->job) p->job->wsi = NULL; /* answered into the void, then freed */
    buf_free(&p->body);
    buf_free(&p->rs.body);
    if (p->rs.has_file) close(p->rs.fd);
    memset(p, 0, sizeof *p);
}

static void srv__error(web__resp_t *rs, int status, const char *msg)
{
    web__resp_error(rs, status, msg);
}

/* The request line and headers lws parsed into rq. */
static void srv__read_request(struct lws *wsi, srv__pss_t *p, const char *uri)
{
    web__req_t *rq = &p->rq;
    snprintf(rq->path, sizeof rq->path, "%s", uri ? uri : "/");
    size_t q = 0;
    for (int i = 0; i < 64; i++) {
        char frag[WEB__QUERY_MAX];
        int n = lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n < 0) break;
        if (q + (size_t)n + 2 > sizeof rq->query) break;
        memcpy(rq->query + q, frag, (size_t)n + 1);
        q += (size_t)n + 1;
    }
    rq->query[q] = '\0';
    if (lws_hdr_copy(wsi, rq->cookie, sizeof rq->cookie, WSI_TOKEN_HTTP_COOKIE) < 0)
        rq->cookie[0] = '\0';
    char enc[256];
    rq->gzip_ok = lws_hdr_copy(wsi, enc, sizeof enc, WSI_TOKEN_HTTP_ACCEPT_ENCODING) > 0 &&
                  strstr(enc, "gzip") != NULL;
    if (lws_hdr_custom_copy(wsi, rq->csrf, sizeof rq->csrf, "x-csrf-token:", 13) < 0)
        rq->csrf[0] = '\0';
    if (!lws_get_peer_simple(wsi, rq->source, sizeof rq->source)) rq->source[0] = '\0';
    if (strncmp(rq->source, "::ffff:", 7) == 0 && strchr(rq->source + 7, '.')) /* v4-mapped */
        memmove(rq->source, rq->source + 7, strlen(rq->source + 7) + 1);
    rq->method = p->method;
}

static void srv__dispatch(web_t *w, struct lws *wsi, srv__pss_t *p)
{
    w->requests++;
    p->rq.body = p->body.data ? p->body.data : "";
    p->rq.body_len = p->body.len;
    if (p->too_big) {
        srv__error(&p->rs, 413, "request body too large");
    } else if (strncmp(p->rq.path, "/api/", 5) == 0) {
        web__job_t *job = web__handle(w, &p->rq, &p->rs);
        if (job) {
            job->wsi = wsi;
            if (web__pool_submit(w, job)) {
                p->job = job;
                return; /* web__deliver answers */
            }
            web__job_free(job);
            srv__error(&p->rs, 503, "busy: too many requests waiting for the database");
            p->rs.retry_after = 1;
        }
    } else {
        web__static(w, &p->rq, &p->rs);
    }
    p->responding = true;
    lws_callback_on_writable(wsi);
}

void web__deliver(web_t *w, web__job_t *job)
{
    (void)w;
    if (!job->wsi) {
        web__job_free(job);
        return;
    }
    srv__pss_t *p = lws_wsi_user(job->wsi);
    p->job = NULL;
    buf_free(&p->rs.body);
    p->rs = job->rs;
    memset(&job->rs, 0, sizeof job->rs);
    struct lws *wsi = job->wsi;
    web__job_free(job);
    p->responding = true;
    lws_callback_on_writable(wsi);
}

static int srv__header(struct lws *wsi, const char *name, const char *value, unsigned char **pp,
                       unsigned char *end)
{
    return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
                                       (const unsigned char *)value, (int)strlen(value), pp, end);
}

static int srv__write(web_t *w, struct lws *wsi, srv__pss_t *p)
{
    web__resp_t *rs = &p->rs;
    if (!p->headers_sent) {
        unsigned char hb[LWS_PRE + 4096];
        unsigned char *start = hb + LWS_PRE, *pp = start, *end = hb + sizeof hb - 1;
        char retry[16];
        snprintf(retry, sizeof retry, "%d", rs->retry_after);
        if (lws_add_http_common_headers(wsi, (unsigned)rs->status,
                                        rs->content_type ? rs->content_type : "text/plain",
                                        rs->has_file ? rs->file_len : rs->body.len, &pp, end) ||
            srv__header(wsi, "content-security-policy:", SRV__CSP, &pp, end) ||
            srv__header(wsi, "x-content-type-options:", "nosniff", &pp, end) ||
            srv__header(wsi, "x-frame-options:", "DENY", &pp, end) ||
            srv__header(wsi, "referrer-policy:", "no-referrer", &pp, end) ||
            srv__header(wsi, "cross-origin-opener-policy:", "same-origin", &pp, end) ||
            srv__header(wsi, "cache-control:", rs->cache ? rs->cache : "no-store", &pp, end))
            return -1;
        if (!w->cfg.plain_http &&
            srv__header(wsi, "strict-transport-security:", "max-age=31536000", &pp, end))
            return -1;
        if (rs->set_cookie[0] && srv__header(wsi, "set-cookie:", rs->set_cookie, &pp, end))
            return -1;
        if (rs->encoding && (srv__header(wsi, "content-encoding:", rs->encoding, &pp, end) ||
                             srv__header(wsi, "vary:", "Accept-Encoding", &pp, end)))
            return -1;
        if (rs->disposition[0] &&
            srv__header(wsi, "content-disposition:", rs->disposition, &pp, end))
            return -1;
        if (rs->retry_after > 0 && srv__header(wsi, "retry-after:", retry, &pp, end)) return -1;
        if (lws_finalize_write_http_header(wsi, start, &pp, end)) return -1;
        p->headers_sent = true;
        if (rs->has_file ? rs->file_len > 0 : rs->body.len > 0) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    }
    uint64_t total = rs->has_file ? rs->file_len : rs->body.len;
    if (p->sent < total) {
        static unsigned char cb[LWS_PRE + SRV__CHUNK];
        size_t n = total - p->sent > SRV__CHUNK ? SRV__CHUNK : (size_t)(total - p->sent);
        if (rs->has_file) {
            ssize_t got = pread(rs->fd, cb + LWS_PRE, n, (off_t)p->sent);
            if (got != (ssize_t)n) return -1; /* the file shrank: close the connection */
        } else {
            memcpy(cb + LWS_PRE, rs->body.data + p->sent, n);
        }
        p->sent += n;
        bool last = p->sent == total;
        if (lws_write(wsi, cb + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
            return -1;
        if (!last) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    }
    srv__pss_free(p);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int srv__http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len)
{
    srv__pss_t *p = user;
    web_t *w = lws_context_user(lws_get_context(wsi));
    switch (reason) {
    case LWS_CALLBACK_HTTP: {
        srv__pss_free(p);
        buf_init(&p->body);
        buf_init(&p->rs.body);
        bool post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
        bool get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
        snprintf(p->method, sizeof p->method, "%s", post ? "POST" : get ? "GET" : "OTHER");
        srv__read_request(wsi, p, in);
        if (post) {
            lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT,
                            (int)(w->cfg.request_timeout_ns / 1000000000LL));
            return 0; /* the body follows */
        }
        if (!get) {
            srv__error(&p->rs, 405, "method not allowed");
            p->responding = true;
            lws_callback_on_writable(wsi);
            return 0;
        }
        srv__dispatch(w, wsi, p);
        return 0;
    }
    case LWS_CALLBACK_HTTP_BODY:
        if (p->body.len + len > w->cfg.max_body)
            p->too_big = true;
        else
            buf_append(&p->body, in, len);
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
        buf_putc(&p->body, '\0');
        p->body.len--;
        srv__dispatch(w, wsi, p);
        return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (w) web__pool_collect(w);
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (!p->responding) return 0;
        return srv__write(w, wsi, p);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (p) srv__pss_free(p);
        return 0;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static struct lws_protocols srv__protocols[3] = {
    {"http", srv__http, sizeof(srv__pss_t), 0, 0, NULL, 0},
};

void web_config_default(web_config_t *c)
{
    memset(c, 0, sizeof *c);
    c->listen = "127.0.0.1:8443";
    c->tls_cert = c->tls_key = "";
    c->state_dir = "/var/lib/siphon/web";
    c->ui_dir = "/usr/share/siphon/web";
    c->record_dir = "";
    c->max_clients = 256;
    c->ws_queue = 1024;
    c->max_sessions = 1024;
    c->max_body = 64 * 1024;
    c->request_timeout_ns = 30LL * 1000000000LL;
    c->session_idle_ns = 30LL * 60 * 1000000000LL;
    c->session_max_ns = 12LL * 3600 * 1000000000LL;
    c->query_workers = 4;
    c->query_queue = 64;
    c->query_timeout_ns = 30LL * 1000000000LL;
    c->max_download = 256ULL * 1024 * 1024;
}

/* "host:port" or "[v6]:port" into host and port. */
static int srv__listen(const char *s, char *host, size_t hostlen, int *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon) return -1;
    const char *h = s;
    size_t n = (size_t)(colon - s);
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        h++;
        n -= 2;
    }
    if (n >= hostlen) return -1;
    memcpy(host, h, n);
    host[n] = '\0';
    char *end;
    long v = strtol(colon + 1, &end, 10);
    if (*end || v < 0 || v > 65535) return -1;
    *port = (int)v;
    return 0;
}

static int srv__tls_files(web_t *w, char *err, size_t errlen)
{
    if (w->cfg.tls_cert[0]) {
        snprintf(w->cert, sizeof w->cert, "%s", w->cfg.tls_cert);
        snprintf(w->key, sizeof w->key, "%s", w->cfg.tls_key[0] ? w->cfg.tls_key : w->cfg.tls_cert);
        return 0;
    }
    snprintf(w->cert, sizeof w->cert, "%s/selfsigned.crt", w->cfg.state_dir);
    snprintf(w->key, sizeof w->key, "%s/selfsigned.key", w->cfg.state_dir);
    struct stat st;
    if (stat(w->cert, &st) == 0 && stat(w->key, &st) == 0) return 0;
    if (mkdir(w->cfg.state_dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "web.state_dir %s: %s", w->cfg.state_dir, strerror(errno));
        return -1;
    }
    if (web__selfsigned(w->cert, w->key, w->listen_host, err, errlen) != 0) return -1;
    log_info("web: made a self-signed certificate %s (set web.tls_cert and web.tls_key to "
             "replace it)",
             w->cert);
    return 0;
}

static void *srv__thread(void *arg)
{
    web_t *w = arg;
    while (!w->stop)
        if (lws_service(w->ctx, 0) < 0) break;
    return NULL;
}

static void srv__lws_log(int level, const char *line)
{
    (void)level;
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    log_warn("web: %.*s", (int)n, line);
}

web_t *web_start(const web_config_t *cfg, const char *dsn, char *err, size_t errlen)
{
    web_t *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    w->cfg = *cfg;
    w->dsn = strdup(dsn ? dsn : "");
    w->sessions = calloc(cfg->max_sessions ? cfg->max_sessions : 1, sizeof *w->sessions);
    w->started_ns = clock_mono_ns();
    pthread_mutex_init(&w->feed_mu, NULL);
    pthread_mutex_init(&w->auth_mu, NULL);
    pthread_mutex_init(&w->watch_mu, NULL);
    web__snap_init(&w->status_snap);
    web__snap_init(&w->overview_snap);
    pthread_mutex_init(&w->pool.mu, NULL);
    pthread_cond_init(&w->pool.cv, NULL);
    w->feed_cap = cfg->ws_queue * 4;
    w->feed = calloc(w->feed_cap, sizeof *w->feed);
    if (!w->dsn || !w->sessions || !w->feed) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (srv__listen(cfg->listen, w->listen_host, sizeof w->listen_host, &w->port) != 0) {
        snprintf(err, errlen, "web.listen %s is not ADDRESS:PORT", cfg->listen);
        goto fail;
    }
    if (mkdir(cfg->state_dir, 0700) != 0 && errno != EEXIST)
        log_warn("web: web.state_dir %s: %s", cfg->state_dir, strerror(errno));
    if (!cfg->plain_http && srv__tls_files(w, err, errlen) != 0) goto fail;

    lws_set_log_level(LLL_ERR, srv__lws_log);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = w->port;
    info.iface = w->listen_host[0] ? w->listen_host : NULL;
    srv__protocols[1] = web__live_protocol;
    info.protocols = srv__protocols;
    info.user = w;
    info.max_http_header_data = 4096;
    info.max_http_header_pool =
        (unsigned short)(cfg->max_clients < 65535 ? cfg->max_clients : 65535);
    info.fd_limit_per_thread = cfg->max_clients + 16;
    info.timeout_secs = (unsigned)(cfg->request_timeout_ns / 1000000000LL);
    info.keepalive_timeout = 30;
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_DISABLE_IPV6 * 0;
    info.alpn = "http/1.1";
    if (!cfg->plain_http) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = w->cert;
        info.ssl_private_key_filepath = w->key;
    }
    w->ctx = lws_create_context(&info);
    if (!w->ctx) {
        snprintf(err, errlen,
                 "web: cannot listen on %s (address in use, or the certificate %s "
                 "cannot be read)",
                 cfg->listen, cfg->plain_http ? "-" : w->cert);
        goto fail;
    }
    if (web__pool_start(w, err, errlen) != 0) goto fail;
    if (pthread_create(&w->thread, NULL, srv__thread, w) != 0) {
        snprintf(err, errlen, "cannot start the web thread");
        goto fail;
    }
    w->thread_started = true;
    log_info("web: dashboard on %s://%s/", cfg->plain_http ? "http" : "https", cfg->listen);
    return w;
fail:
    web_stop(w);
    return NULL;
}

void web_stop(web_t *w)
{
    if (!w) return;
    if (w->thread_started) {
        w->stop = 1;
        lws_cancel_service(w->ctx);
        pthread_join(w->thread, NULL);
    }
    web__pool_stop(w); /* a query under way ends within web.query_timeout */
    if (w->ctx) lws_context_destroy(w->ctx);
    web__pool_free(w); /* after every connection let go of its job */
    pthread_cond_destroy(&w->pool.cv);
    pthread_mutex_destroy(&w->pool.mu);
    pthread_mutex_destroy(&w->auth_mu);
    pthread_mutex_destroy(&w->watch_mu);
    web__snap_free(&w->status_snap);
    web__snap_free(&w->overview_snap);
    web__feed_free(w);
    web__static_free(w);
    free(w->sessions);
    free(w->dsn);
    free(w);
}

void web_watch(web_t *w, const fan_t *fan)
{
    if (!w) return;
    pthread_mutex_lock(&w->watch_mu);
    w->watch = fan;
    pthread_mutex_unlock(&w->watch_mu);
}

int web_port(const web_t *w)
{
    return w->port;
}
