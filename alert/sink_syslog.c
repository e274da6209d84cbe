/* sink_syslog.c - syslog transports: UDP (RFC 5426), TCP with octet
 * counting (RFC 6587 3.4.1) and TLS (RFC 5425).
 *
 * One message per alert (fmt_syslog.c), as RFC 5424, CEF or LEEF.  UDP
 * sends one datagram per message, a batch in one sendmmsg(2), on a
 * connected socket, so an ICMP port unreachable comes back as ECONNREFUSED
 * on a later send (UDP has no other delivery feedback: a receiver that is
 * down loses datagrams).  TCP and
 * TLS frame each message as "LEN SP MSG" (octet counting: a message may
 * hold any byte, and receivers need not guess where it ends), a batch in
 * one write.  Before writing on a connection it already had, the sink
 * checks that the receiver has not closed it (a syslog receiver never
 * sends, so an EOF or an error is an end; TLS 1.3 session tickets are
 * not): a write into a connection the peer already closed would succeed
 * locally and be lost.
 *
 * TLS uses OpenSSL, TLS 1.2 or later, and verifies the server's
 * certificate against alerts.tls_ca (or ?ca=; the system store when
 * neither is set) and its name or IP address against the URL's host, as
 * RFC 5425 5.2 asks; a client certificate is sent when one is configured
 * (mutual authentication).  Connect, write and handshake are bounded by
 * alerts.sink_timeout.
 */
#include "alert_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ALERT__SYSLOG_BATCH 64

typedef struct {
    const alert__sink_env_t *env;
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    bool fresh; /* connected for this batch */
    buf_t msg, frame;
} alert__syslog_t;

static void alert__ssl_err(char *err, size_t errlen, const char *what)
{
    unsigned long e = ERR_get_error();
    char s[200] = "";
    if (e) ERR_error_string_n(e, s, sizeof s);
    snprintf(err, errlen, "%s%s%s", what, s[0] ? ": " : "", s);
    ERR_clear_error();
}

static void *alert__syslog_create(const alert__sink_env_t *env, char *err, size_t errlen)
{
    alert__syslog_t *t = calloc(1, sizeof *t);
    if (!t) return snprintf(err, errlen, "out of memory"), NULL;
    t->env = env;
    t->fd = -1;
    buf_init(&t->msg);
    buf_init(&t->frame);
    if (env->spec->kind != ALERT_SINK_SYSLOG_TLS) return t;
    t->ctx = SSL_CTX_new(TLS_client_method());
    if (!t->ctx) {
        alert__ssl_err(err, errlen, "TLS context");
        goto fail;
    }
    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
    if (env->ca ? SSL_CTX_load_verify_locations(t->ctx, env->ca, NULL) != 1
                : SSL_CTX_set_default_verify_paths(t->ctx) != 1) {
        alert__ssl_err(err, errlen, env->ca ? "CA file" : "system CA store");
        goto fail;
    }
    if (env->cert) {
        if (SSL_CTX_use_certificate_chain_file(t->ctx, env->cert) != 1 ||
            SSL_CTX_use_PrivateKey_file(t->ctx, env->key ? env->key : env->cert,
                                        SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(t->ctx) != 1) {
            alert__ssl_err(err, errlen, "client certificate or key");
            goto fail;
        }
    }
    return t;
fail:
    if (t->ctx) SSL_CTX_free(t->ctx);
    free(t);
    return NULL;
}

static void alert__syslog_close(void *self)
{
    alert__syslog_t *t = self;
    if (t->ssl) {
        SSL_shutdown(t->ssl);
        SSL_free(t->ssl);
        t->ssl = NULL;
    }
    if (t->fd >= 0) close(t->fd);
    t->fd = -1;
}

/* A connected socket to host:port within the timeout, or -1. */
static int alert__connect(const alert_sink_spec_t *sp, int socktype, int64_t timeout_ns, char *err,
                          size_t errlen)
{
    char port[8];
    snprintf(port, sizeof port, "%u", sp->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = socktype}, *res = NULL;
    int rc = getaddrinfo(sp->host, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", sp->host, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    snprintf(err, errlen, "%s: no address", sp->host);
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0) continue;
        int c = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (c != 0 && errno == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int ms = (int)(timeout_ns / NS_PER_MSEC);
            int pr = poll(&p, 1, ms > 0 ? ms : 1);
            int soerr = 0;
            socklen_t sl = sizeof soerr;
            if (pr <= 0)
                errno = pr == 0 ? ETIMEDOUT : errno;
            else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr)
                errno = soerr;
            else
                c = 0;
        }
        if (c != 0) {
            snprintf(err, errlen, "connect %s:%s: %s", sp->host, port, strerror(errno));
            close(fd);
            fd = -1;
            continue;
        }
        int fl = fcntl(fd, F_GETFL);
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
        struct timeval tv = {.tv_sec = (time_t)(timeout_ns / NS_PER_SEC),
                             .tv_usec = (suseconds_t)(timeout_ns % NS_PER_SEC / 1000)};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    freeaddrinfo(res);
    return fd;
}

/* The receiver closed (or reset) a connection we already had.  A syslog
 * receiver sends no application data, but a TLS 1.3 server does send
 * records after the handshake (session tickets): what TLS reads and
 * hands back as nothing, or as data, is not an end; only an EOF, a
 * close_notify or an error is. */
static bool alert__peer_gone(alert__syslog_t *t, int wait_ms)
{
    struct pollfd p = {.fd = t->fd, .events = POLLIN};
    if (poll(&p, 1, wait_ms) <= 0) return false;
    if (p.revents & (POLLHUP | POLLERR)) return true;
    char scratch[4096];
    int fl = fcntl(t->fd, F_GETFL);
    fcntl(t->fd, F_SETFL, fl | O_NONBLOCK);
    bool gone = false;
    for (int i = 0; i < 16; i++) {
        if (t->ssl) {
            int k = SSL_read(t->ssl, scratch, sizeof scratch);
            if (k > 0) continue;
            int e = SSL_get_error(t->ssl, k);
            gone = e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE;
            ERR_clear_error();
            break;
        }
        ssize_t k = recv(t->fd, scratch, sizeof scratch, 0);
        if (k > 0) continue;
        gone = k == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
        break;
    }
    fcntl(t->fd, F_SETFL, fl);
    return gone;
}

static int alert__syslog_open(void *self, char *err, size_t errlen)
{
    alert__syslog_t *t = self;
    const alert_sink_spec_t *sp = t->env->spec;
    bool udp = sp->kind == ALERT_SINK_SYSLOG_UDP;
    t->fd = alert__connect(sp, udp ? SOCK_DGRAM : SOCK_STREAM, t->env->timeout_ns, err, errlen);
    if (t->fd < 0) return -1;
    t->fresh = true;
    if (sp->kind != ALERT_SINK_SYSLOG_TLS) return 0;
    t->ssl = SSL_new(t->ctx);
    if (!t->ssl) {
        alert__ssl_err(err, errlen, "TLS session");
        goto fail;
    }
    SSL_set_fd(t->ssl, t->fd);
    ip_addr_t ip;
    if (ip_addr_parse(sv_from_cstr(sp->host), &ip)) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), sp->host);
    } else {
        SSL_set_tlsext_host_name(t->ssl, sp->host);
        SSL_set1_host(t->ssl, sp->host);
    }
    if (SSL_connect(t->ssl) != 1) {
        long v = SSL_get_verify_result(t->ssl);
        if (v != X509_V_OK) {
            snprintf(err, errlen, "TLS handshake with %s: certificate: %s", sp->host,
                     X509_verify_cert_error_string(v));
            ERR_clear_error();
        } else {
            alert__ssl_err(err, errlen, "TLS handshake");
        }
        goto fail;
    }
    /* With TLS 1.3 the client finishes its handshake before the server has
     * judged its certificate: a server that refuses it (or none) says so
     * just after.  Waiting briefly for that answer keeps the first batch
     * from being written into a connection that is already refused. */
    if (alert__peer_gone(t, 100)) {
        snprintf(err, errlen,
                 "TLS: %s closed the connection after the handshake (client "
                 "certificate refused?)",
                 sp->host);
        goto fail;
    }
    return 0;
fail:
    alert__syslog_close(t);
    return -1;
}

static bool alert__write_all(alert__syslog_t *t, const char *p, size_t n, char *err, size_t errlen)
{
    while (n) {
        ssize_t w;
        if (t->ssl) {
            int k = SSL_write(t->ssl, p, n > (size_t)INT32_MAX ? INT32_MAX : (int)n);
            if (k <= 0) {
                alert__ssl_err(err, errlen, "TLS write");
                return false;
            }
            w = k;
        } else {
            w = send(t->fd, p, n, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) {
                snprintf(err, errlen, "write: %s", strerror(errno));
                return false;
            }
        }
        p += w, n -= (size_t)w;
    }
    return true;
}

static uint32_t alert__syslog_send(void *self, alert__rec_t *const *recs, uint32_t n, bool *perm,
                                   char *err, size_t errlen)
{
    alert__syslog_t *t = self;
    *perm = false;
    if (t->env->spec->kind == ALERT_SINK_SYSLOG_UDP) {
        /* one datagram per message, the batch in one sendmmsg(2) */
        struct mmsghdr mm[ALERT__SYSLOG_BATCH];
        struct iovec iov[ALERT__SYSLOG_BATCH];
        size_t at[ALERT__SYSLOG_BATCH + 1];
        buf_reset(&t->frame);
        for (uint32_t i = 0; i < n; i++) {
            at[i] = t->frame.len;
            alert__fmt_syslog(&t->frame, &recs[i]->a, t->env);
            if (t->frame.len - at[i] > 65000) t->frame.len = at[i] + 65000;
        }
        at[n] = t->frame.len;
        for (uint32_t i = 0; i < n; i++) {
            iov[i] = (struct iovec){t->frame.data + at[i], at[i + 1] - at[i]};
            mm[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
        }
        uint32_t done = 0;
        while (done < n) {
            int k = sendmmsg(t->fd, mm + done, n - done, MSG_NOSIGNAL);
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) {
                snprintf(err, errlen, "send: %s", strerror(k < 0 ? errno : EIO));
                break;
            }
            done += (uint32_t)k;
        }
        return done;
    }
    if (!t->fresh && alert__peer_gone(t, 0)) {
        snprintf(err, errlen, "connection closed by the receiver");
        return 0;
    }
    t->fresh = false;
    buf_reset(&t->frame);
    for (uint32_t i = 0; i < n; i++) {
        buf_reset(&t->msg);
        alert__fmt_syslog(&t->msg, &recs[i]->a, t->env);
        buf_printf(&t->frame, "%zu ", t->msg.len);
        buf_append(&t->frame, t->msg.data, t->msg.len);
    }
    return alert__write_all(t, t->frame.data, t->frame.len, err, errlen) ? n : 0;
}

static void alert__syslog_free(void *self)
{
    alert__syslog_t *t = self;
    alert__syslog_close(t);
    if (t->ctx) SSL_CTX_free(t->ctx);
    buf_free(&t->msg);
    buf_free(&t->frame);
    free(t);
}

const alert__sink_ops_t alert__syslog_ops = {
    .name = "syslog",
    .max_batch = ALERT__SYSLOG_BATCH,
    .create = alert__syslog_create,
    .open = alert__syslog_open,
    .send = alert__syslog_send,
    .close = alert__syslog_close,
    .free = alert__syslog_free,
};
