/* transport.c - the SIP thread: UDP, TCP and TLS listeners and connections
 * in one epoll loop, and the timers of uas.c between events.
 *
 * UDP: one socket per listener, each datagram one message; the address it
 * came to is read with IP_PKTINFO / IPV6_PKTINFO (a listener on 0.0.0.0
 * answers with the address the SRC used, in the Contact and the SDP).
 * Responses go back to the source address and port (RFC 3581 style), which
 * is what SBCs behind NAT and SIPp expect.
 *
 * TCP and TLS (RFC 3261 18.3): messages are cut from the byte stream by
 * Content-Length (proto/ sip_frame_message; CRLF keep-alives are skipped);
 * responses go back on the connection the request came on.  A message
 * larger than siprec.max_message is answered 413 as soon as its headers
 * are in, and its body is read and discarded, so the connection stays
 * usable; a stream that is not SIP closes the connection.  Connections
 * are capped (siprec.max_connections; more are closed at accept and
 * counted), as is each one's output (1 MiB unsent: closed).  TLS is
 * OpenSSL, non-blocking in the same loop; siprec.verify_client asks for a
 * client certificate and refuses a connection without a valid one.
 */
#include "siprec_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define KIND_LISTEN 1ull
#define KIND_CONN   2ull
#define KIND_WAKE   3ull
#define TAG(k, i)   (((k) << 56) | (uint64_t)(i))
#define MAX_HEADER  16384
#define MAX_OUT     (1u << 20)
#define UDP_MAX     65536

struct srs__conn {
    int fd;
    uint32_t gen;
    bool used, tls, handshaking, want_out;
    SSL *ssl;
    int listener;
    endpoint_t peer, local;
    uint8_t *in;
    size_t in_len, in_cap;
    char *out;
    size_t out_len, out_cap;
    size_t discard; /* body bytes of a refused (413) message still to skip */
};

static void to_endpoint(const struct sockaddr_storage *sa, endpoint_t *e)
{
    memset(e, 0, sizeof *e);
    if (sa->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
        ip_addr_set_v4(&e->ip, (const uint8_t *)&a->sin_addr);
        e->port = ntohs(a->sin_port);
    } else if (sa->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
        if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr))
            ip_addr_set_v4(&e->ip, (const uint8_t *)&a->sin6_addr + 12);
        else
            ip_addr_set_v6(&e->ip, (const uint8_t *)&a->sin6_addr);
        e->port = ntohs(a->sin6_port);
    }
}

static socklen_t to_sockaddr(const endpoint_t *e, struct sockaddr_storage *sa)
{
    memset(sa, 0, sizeof *sa);
    if (e->ip.family == IP_V6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)sa;
        a->sin6_family = AF_INET6;
        memcpy(&a->sin6_addr, e->ip.bytes, 16);
        a->sin6_port = htons(e->port);
        return sizeof *a;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)sa;
    a->sin_family = AF_INET;
    memcpy(&a->sin_addr, e->ip.bytes, 4);
    a->sin_port = htons(e->port);
    return sizeof *a;
}

bool srs__allowed(const struct srs *s, const ip_addr_t *ip)
{
    if (s->cfg.n_allow == 0) return true;
    for (uint32_t i = 0; i < s->cfg.n_allow; i++) {
        const srs_cidr_t *c = &s->cfg.allow[i];
        if (c->net.family != ip->family) continue;
        unsigned bits = c->prefix, k = 0;
        bool ok = true;
        for (; bits >= 8 && ok; bits -= 8, k++)
            ok = c->net.bytes[k] == ip->bytes[k];
        if (ok && bits) {
            uint8_t mask = (uint8_t)(0xff << (8 - bits));
            ok = (c->net.bytes[k] & mask) == (ip->bytes[k] & mask);
        }
        if (ok) return true;
    }
    return false;
}

/* ------------------------------ connections ----------------------------- */

static srs__conn_t *conn_of(struct srs *s, uint64_t id)
{
    uint32_t slot = (uint32_t)id, gen = (uint32_t)(id >> 32);
    if (slot >= s->cfg.max_connections) return NULL;
    srs__conn_t *c = &s->conns[slot];
    return c->used && c->gen == gen ? c : NULL;
}

static void conn_close(struct srs *s, srs__conn_t *c)
{
    if (!c->used) return;
    epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    if (c->ssl) {
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    close(c->fd);
    free(c->in);
    free(c->out);
    uint32_t gen = c->gen + 1;
    memset(c, 0, sizeof *c);
    c->gen = gen;
    c->fd = -1;
    s->n_conns--;
}

static void conn_watch(struct srs *s, srs__conn_t *c, bool out)
{
    if (c->want_out == out) return;
    c->want_out = out;
    struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0),
                             .data.u64 = TAG(KIND_CONN, (uint64_t)(c - s->conns))};
    epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes what the connection holds; false when it failed (closed). */
static bool conn_flush(struct srs *s, srs__conn_t *c)
{
    while (c->out_len) {
        ssize_t n;
        if (c->ssl) {
            if (c->handshaking) return true;
            int r = SSL_write(c->ssl, c->out, (int)c->out_len);
            if (r <= 0) {
                int e = SSL_get_error(c->ssl, r);
                if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) break;
                conn_close(s, c);
                return false;
            }
            n = r;
        } else {
            n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
                conn_close(s, c);
                return false;
            }
        }
        memmove(c->out, c->out + n, c->out_len - (size_t)n);
        c->out_len -= (size_t)n;
    }
    conn_watch(s, c, c->out_len > 0);
    return true;
}

void srs__send(struct srs *s, const srs__dest_t *d, const char *data, size_t len)
{
    if (s->on_sip) srs__sip_tap_sent(s, d, data, len);
    if (s->capture) {
        buf_append(s->capture, data, len);
        return;
    }
    if (d->tp == SRS_UDP) {
        struct sockaddr_storage sa;
        socklen_t sl = to_sockaddr(&d->peer, &sa);
        int fd = s->lfd[d->listener];
        if (s->cfg.listen[d->listener].addr.ip.family == IP_V6 && d->peer.ip.family == IP_V4) {
            /* a dual-stack socket: the v4-mapped form */
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&sa;
            memset(a, 0, sizeof *a);
            a->sin6_family = AF_INET6;
            a->sin6_port = htons(d->peer.port);
            a->sin6_addr.s6_addr[10] = a->sin6_addr.s6_addr[11] = 0xff;
            memcpy(&a->sin6_addr.s6_addr[12], d->peer.ip.bytes, 4);
            sl = sizeof *a;
        }
        sendto(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sa, sl);
        return;
    }
    srs__conn_t *c = conn_of(s, d->conn_id);
    if (!c) return;
    if (c->out_len + len > MAX_OUT) {
        conn_close(s, c);
        return;
    }
    if (c->out_len + len > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + len)
            cap *= 2;
        char *o = realloc(c->out, cap);
        if (!o) return;
        c->out = o;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, data, len);
    c->out_len += len;
    conn_flush(s, c);
}

static void conn_accept(struct srs *s, int li)
{
    for (int k = 0; k < 64; k++) {
        struct sockaddr_storage sa;
        socklen_t sl = sizeof sa;
        int fd = accept4(s->lfd[li], (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        endpoint_t peer;
        to_endpoint(&sa, &peer);
        if (s->n_conns >= s->cfg.max_connections) {
            SRS__STAT_INC(s, tcp_refused);
            close(fd);
            continue;
        }
        uint32_t slot = 0;
        while (s->conns[slot].used)
            slot++;
        srs__conn_t *c = &s->conns[slot];
        c->used = true;
        c->fd = fd;
        c->listener = li;
        c->peer = peer;
        sl = sizeof sa;
        if (getsockname(fd, (struct sockaddr *)&sa, &sl) == 0) to_endpoint(&sa, &c->local);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (s->cfg.listen[li].transport == SRS_TLS) {
            c->tls = true;
            c->handshaking = true;
            c->ssl = SSL_new(s->ssl_ctx);
            if (!c->ssl) {
                close(fd);
                c->used = false;
                continue;
            }
            SSL_set_fd(c->ssl, fd);
            SSL_set_accept_state(c->ssl);
        }
        s->n_conns++;
        SRS__STAT_INC(s, tcp_connections);
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG(KIND_CONN, slot)};
        epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
    }
}

static const uint8_t *header_end(const uint8_t *p, size_t len)
{
    size_t lim = len < MAX_HEADER ? len : MAX_HEADER;
    for (size_t i = 0; i + 1 < lim; i++) {
        if (p[i] == '\n' && p[i + 1] == '\n') return p + i + 2;
        if (i + 3 < lim && p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' && p[i + 3] == '\n')
            return p + i + 4;
    }
    return NULL;
}

/* Cuts whole messages out of c->in.  False when the connection was closed. */
static bool conn_frame(struct srs *s, srs__conn_t *c)
{
    uint64_t id = ((uint64_t)c->gen << 32) | (uint64_t)(c - s->conns);
    srs__dest_t d = {.tp = c->tls ? SRS_TLS : SRS_TCP,
                     .listener = c->listener,
                     .conn_id = id,
                     .peer = c->peer,
                     .local = c->local};
    size_t at = 0;
    bool ok = true;
    while (at < c->in_len) {
        uint8_t *p = c->in + at;
        size_t len = c->in_len - at;
        if (c->discard) {
            size_t k = c->discard < len ? c->discard : len;
            c->discard -= k;
            at += k;
            continue;
        }
        size_t mlen = 0;
        bool ka = false;
        proto_status_t ps = sip_frame_message(p, len, MAX_HEADER, &mlen, &ka);
        if (ps == PROTO_OK && mlen <= s->cfg.max_message) {
            if (!ka) srs__on_message(s, &d, p, mlen);
            at += mlen;
            if (!conn_of(s, id)) return false;
            continue;
        }
        const uint8_t *he = header_end(p, len);
        if (ps != PROTO_INVALID && he) {
            sip_msg_t m;
            sip_parse_message(p, (size_t)(he - p), &m);
            size_t hl = (size_t)(he - p);
            if (m.content_length >= 0 && hl + (size_t)m.content_length > s->cfg.max_message) {
                srs__too_large(s, &d, p, hl);
                if (!conn_of(s, id)) return false;
                at += hl;
                c->discard = (size_t)m.content_length;
                continue;
            }
        }
        if (ps == PROTO_INCOMPLETE && len < s->cfg.max_message + MAX_HEADER) break;
        SRS__STAT_INC(s, sip_malformed);
        conn_close(s, c);
        ok = false;
        break;
    }
    if (ok && at) {
        memmove(c->in, c->in + at, c->in_len - at);
        c->in_len -= at;
    }
    return ok;
}

static void conn_read(struct srs *s, srs__conn_t *c)
{
    if (c->handshaking) {
        int r = SSL_accept(c->ssl);
        if (r != 1) {
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                conn_watch(s, c, e == SSL_ERROR_WANT_WRITE);
                return;
            }
            SRS__STAT_INC(s, tls_handshake_failures);
            ERR_clear_error();
            conn_close(s, c);
            return;
        }
        c->handshaking = false;
        if (!conn_flush(s, c)) return;
    }
    for (int rounds = 0; rounds < 16; rounds++) {
        size_t room = s->cfg.max_message + MAX_HEADER;
        if (c->in_cap < room) {
            uint8_t *n = realloc(c->in, room);
            if (!n) return;
            c->in = n;
            c->in_cap = room;
        }
        if (c->in_len == c->in_cap) { /* cannot happen after conn_frame; be safe */
            conn_close(s, c);
            return;
        }
        ssize_t n;
        if (c->ssl) {
            int r = SSL_read(c->ssl, c->in + c->in_len, (int)(c->in_cap - c->in_len));
            if (r <= 0) {
                int e = SSL_get_error(c->ssl, r);
                if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
                ERR_clear_error();
                conn_close(s, c);
                return;
            }
            n = r;
        } else {
            n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                conn_close(s, c);
                return;
            }
            if (n < 0) return;
        }
        c->in_len += (size_t)n;
        if (!conn_frame(s, c)) return;
    }
}

/* ------------------------------ UDP ------------------------------------- */

static void udp_read(struct srs *s, int li)
{
    static uint8_t buf[UDP_MAX];
    for (int k = 0; k < 256; k++) {
        struct sockaddr_storage sa;
        char ctl[256];
        struct iovec iov = {buf, sizeof buf};
        struct msghdr mh = {.msg_name = &sa,
                            .msg_namelen = sizeof sa,
                            .msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = ctl,
                            .msg_controllen = sizeof ctl};
        ssize_t n = recvmsg(s->lfd[li], &mh, MSG_DONTWAIT);
        if (n < 0) return;
        srs__dest_t d = {.tp = SRS_UDP, .listener = li};
        to_endpoint(&sa, &d.peer);
        d.local = s->cfg.listen[li].addr;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
                struct in_pktinfo pi;
                memcpy(&pi, CMSG_DATA(c), sizeof pi);
                ip_addr_set_v4(&d.local.ip, (const uint8_t *)&pi.ipi_addr);
            } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
                struct in6_pktinfo pi;
                memcpy(&pi, CMSG_DATA(c), sizeof pi);
                if (IN6_IS_ADDR_V4MAPPED(&pi.ipi6_addr))
                    ip_addr_set_v4(&d.local.ip, (const uint8_t *)&pi.ipi6_addr + 12);
                else
                    ip_addr_set_v6(&d.local.ip, (const uint8_t *)&pi.ipi6_addr);
            }
        }
        if ((size_t)n > s->cfg.max_message) {
            const uint8_t *he = header_end(buf, (size_t)n);
            srs__too_large(s, &d, buf, he ? (size_t)(he - buf) : (size_t)n);
            continue;
        }
        srs__on_message(s, &d, buf, (size_t)n);
    }
}

/* ------------------------------ the thread ------------------------------ */

static void *sip_main(void *arg)
{
    struct srs *s = arg;
    struct epoll_event ev[64];
    while (atomic_load_explicit(&s->running, memory_order_relaxed)) {
        int n = epoll_wait(s->epfd, ev, 64, 20);
        s->now = clock_mono_ns();
        for (int i = 0; i < n; i++) {
            uint64_t kind = ev[i].data.u64 >> 56, idx = ev[i].data.u64 & 0xffffffffull;
            if (kind == KIND_LISTEN) {
                if (s->cfg.listen[idx].transport == SRS_UDP)
                    udp_read(s, (int)idx);
                else
                    conn_accept(s, (int)idx);
            } else if (kind == KIND_CONN) {
                srs__conn_t *c = &s->conns[idx];
                if (!c->used) continue;
                if (ev[i].events & (EPOLLERR | EPOLLHUP) && !(ev[i].events & EPOLLIN)) {
                    conn_close(s, c);
                    continue;
                }
                if (ev[i].events & EPOLLOUT) {
                    if (c->handshaking) {
                        conn_read(s, c);
                        continue;
                    }
                    if (!conn_flush(s, c)) continue;
                }
                if (ev[i].events & EPOLLIN) conn_read(s, c);
            }
        }
        srs__timers(s);
    }
    return NULL;
}

static int tls_setup(struct srs *s, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        snprintf(err, errlen, "siprec: cannot create a TLS context");
        return -1;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    s->ssl_ctx = ctx;
    if (!s->tls_cert || !s->tls_cert[0] || !s->tls_key || !s->tls_key[0]) {
        snprintf(err, errlen, "siprec: a tls: listener needs siprec.tls_cert and siprec.tls_key");
        return -1;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, s->tls_cert) != 1) {
        snprintf(err, errlen, "siprec.tls_cert %s: not a usable PEM certificate", s->tls_cert);
        return -1;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, s->tls_key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        snprintf(err, errlen, "siprec.tls_key %s: not the certificate's PEM private key",
                 s->tls_key);
        return -1;
    }
    if (s->tls_ca && s->tls_ca[0] && SSL_CTX_load_verify_locations(ctx, s->tls_ca, NULL) != 1) {
        snprintf(err, errlen, "siprec.tls_ca %s: not a usable PEM file", s->tls_ca);
        return -1;
    }
    if (s->cfg.verify_client) {
        if (!s->tls_ca || !s->tls_ca[0]) {
            snprintf(err, errlen, "siprec.verify_client needs siprec.tls_ca");
            return -1;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    return 0;
}

static int listen_one(struct srs *s, int i, char *err, size_t errlen)
{
    const srs_listen_t *l = &s->cfg.listen[i];
    bool v6 = l->addr.ip.family == IP_V6;
    int type = l->transport == SRS_UDP ? SOCK_DGRAM : SOCK_STREAM;
    int fd = socket(v6 ? AF_INET6 : AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    char ip[IP_STR_MAX];
    ip_addr_format(&l->addr.ip, ip, sizeof ip);
    if (fd < 0) {
        snprintf(err, errlen, "siprec.listen %s:%s:%u: %s", srs_transport_name(l->transport), ip,
                 l->addr.port, strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (type == SOCK_DGRAM) {
        int rb = 4 << 20;
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof rb) != 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof rb);
        if (v6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
        else
            setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
    }
    struct sockaddr_storage sa;
    socklen_t sl = to_sockaddr(&l->addr, &sa);
    if (bind(fd, (struct sockaddr *)&sa, sl) != 0 ||
        (type == SOCK_STREAM && listen(fd, 128) != 0)) {
        snprintf(err, errlen, "siprec.listen %s:%s:%u: %s", srs_transport_name(l->transport), ip,
                 l->addr.port, strerror(errno));
        close(fd);
        return -1;
    }
    s->lfd[i] = fd;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG(KIND_LISTEN, (uint64_t)i)};
    epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
    return 0;
}

int srs__transport_start(struct srs *s, char *err, size_t errlen)
{
    for (int i = 0; i < SRS_MAX_LISTEN; i++)
        s->lfd[i] = -1;
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epfd < 0) {
        snprintf(err, errlen, "epoll: %s", strerror(errno));
        return -1;
    }
    s->conns = calloc(s->cfg.max_connections, sizeof *s->conns);
    if (!s->conns) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < s->cfg.max_connections; i++)
        s->conns[i].fd = -1;
    for (uint32_t i = 0; i < s->cfg.n_listen; i++) {
        if (s->cfg.listen[i].transport == SRS_TLS && !s->ssl_ctx && tls_setup(s, err, errlen) != 0)
            return -1;
        if (listen_one(s, (int)i, err, errlen) != 0) return -1;
    }
    atomic_store(&s->running, true);
    if (pthread_create(&s->sip_thread, NULL, sip_main, s) != 0) {
        atomic_store(&s->running, false);
        snprintf(err, errlen, "cannot start the SIP thread");
        return -1;
    }
    pthread_setname_np(s->sip_thread, "siprec-sip");
    s->started = true;
    return 0;
}

void srs__transport_stop(struct srs *s)
{
    atomic_store(&s->running, false);
    if (s->started) {
        pthread_join(s->sip_thread, NULL);
        s->started = false;
    }
}

void srs__transport_free(struct srs *s)
{
    if (s->conns)
        for (uint32_t i = 0; i < s->cfg.max_connections; i++)
            conn_close(s, &s->conns[i]);
    free(s->conns);
    s->conns = NULL;
    for (int i = 0; i < SRS_MAX_LISTEN; i++)
        if (s->lfd[i] >= 0) close(s->lfd[i]), s->lfd[i] = -1;
    if (s->epfd >= 0) close(s->epfd);
    s->epfd = -1;
    if (s->ssl_ctx) SSL_CTX_free(s->ssl_ctx);
    s->ssl_ctx = NULL;
}
