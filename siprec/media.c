/* media.c - the recorded streams: ports, sockets, media threads, SRTP and
 * per-stream statistics.
 *
 * Ports: siprec.rtp_ports is cut into even pairs (RTP even, RTCP +1); a
 * session's new streams take consecutive pairs (SIPp and SRCs that send
 * every stream to the first port plus an offset rely on it), found by a
 * rotating first-fit over a bitmap, so a port just released is not
 * reused at once (late packets of the old session would land in the new).
 * A pair whose bind fails (another program holds it) is skipped.
 *
 * Media threads (siprec.rtp_threads): each runs epoll over the sockets of
 * the streams given to it (round-robin) and drains a ready socket with
 * recvmmsg in batches of 32, with the kernel's receive time of each packet
 * (SO_TIMESTAMPNS: jitter is measured on arrival, not on when the thread
 * got to it) and the socket's drop counter (SO_RXQ_OVFL).  SO_RCVBUF is
 * siprec.rcvbuf (SO_RCVBUFFORCE first, so a root process is not held to
 * net.core.rmem_max): bursts wait in the kernel while the thread is away.
 *
 * Per packet: SRTP/SRTCP decryption (libsrtp2, the SRC's key from its
 * a=crypto; an authentication failure is counted, the packet dropped),
 * then for RTP the same figures as passive capture: rtp_stats (RFC 3550,
 * Wireshark's counters) and the quality tracker (sq_*, MOS), then the
 * media hook (the packet store).
 */
#include "siprec_internal.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MEDIA_BATCH 32
#define MEDIA_MTU   2048

struct srs__media_thread {
    struct srs *srv;
    int epfd;
    pthread_t th;
    bool started;
};

/* ------------------------------ SRTP suites ------------------------------ */

static const struct {
    const char *name;
    srs__suite_t s;
    size_t key_len;
} suites[] = {
    {"AES_CM_128_HMAC_SHA1_80", SRS__AES_CM_128_HMAC_SHA1_80, 30},
    {"AES_CM_128_HMAC_SHA1_32", SRS__AES_CM_128_HMAC_SHA1_32, 30},
    {"AES_256_CM_HMAC_SHA1_80", SRS__AES_256_CM_HMAC_SHA1_80, 46},
    {"AEAD_AES_128_GCM", SRS__AEAD_AES_128_GCM, 28},
    {"AEAD_AES_256_GCM", SRS__AEAD_AES_256_GCM, 44},
};

const char *srs__suite_name(srs__suite_t s)
{
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
        if (suites[i].s == s) return suites[i].name;
    return NULL;
}

srs__suite_t srs__suite_from(sv_t name)
{
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
        if (sv_ieq_cstr(name, suites[i].name)) return suites[i].s;
    return SRS__SUITE_NONE;
}

size_t srs__suite_key_len(srs__suite_t s)
{
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
        if (suites[i].s == s) return suites[i].key_len;
    return 0;
}

bool srs__stream_srtp(srs__stream_t *st, srs__suite_t suite, sv_t key_b64)
{
    uint8_t key[64] = {0};
    size_t want = srs__suite_key_len(suite);
    int n = srs__b64_decode(key_b64, key, sizeof key);
    if (want == 0 || n < (int)want) return false;
    srtp_policy_t p;
    memset(&p, 0, sizeof p);
    switch (suite) {
    case SRS__AES_CM_128_HMAC_SHA1_80:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
        break;
    case SRS__AES_CM_128_HMAC_SHA1_32:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
        break;
    case SRS__AES_256_CM_HMAC_SHA1_80:
        srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtp);
        srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtcp);
        break;
    case SRS__AEAD_AES_128_GCM:
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
        break;
    case SRS__AEAD_AES_256_GCM:
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtp);
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtcp);
        break;
    default:
        return false;
    }
    p.ssrc.type = ssrc_any_inbound;
    p.key = key;
    p.window_size = 1024;
    p.allow_repeat_tx = 0;
    srtp_t sess;
    if (srtp_create(&sess, &p) != srtp_err_status_ok) return false;
    pthread_mutex_lock(&st->lock);
    if (st->srtp_in) srtp_dealloc(st->srtp_in);
    st->srtp_in = sess;
    st->suite = suite;
    pthread_mutex_unlock(&st->lock);
    return true;
}

/* ------------------------------ base64 ---------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t srs__b64_encode(const uint8_t *in, size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n) v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n) v |= in[i + 2];
        if (o + 5 > outlen) break;
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    if (outlen) out[o < outlen ? o : outlen - 1] = '\0';
    return o;
}

int srs__b64_decode(sv_t in, uint8_t *out, size_t outlen)
{
    uint32_t v = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < in.len; i++) {
        char c = in.p[i];
        const char *q = c ? strchr(b64, c) : NULL;
        if (c == '=') break;
        if (!q) return -1;
        v = (v << 6) | (uint32_t)(q - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= outlen) return -1;
            out[o++] = (uint8_t)(v >> bits);
        }
    }
    return (int)o;
}

/* ------------------------------ ports ----------------------------------- */

int srs__media_init(struct srs *s, char *err, size_t errlen)
{
    uint32_t lo = s->cfg.rtp_port_min & ~1u, hi = s->cfg.rtp_port_max;
    if (hi < lo + 1) {
        snprintf(err, errlen, "siprec.rtp_ports holds no even port pair");
        return -1;
    }
    s->n_pairs = (hi - lo + 1) / 2;
    s->pair_used = calloc(s->n_pairs, 1);
    if (!s->pair_used) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

srs__stream_t *srs__stream_new(struct srs *s, const char *call_id, uint32_t index)
{
    srs__stream_t *st = calloc(1, sizeof *st);
    if (!st) return NULL;
    st->call_id = strdup(call_id);
    if (!st->call_id) {
        free(st);
        return NULL;
    }
    st->srv = s;
    st->index = index;
    st->fd[0] = st->fd[1] = -1;
    pthread_mutex_init(&st->lock, NULL);
    st->tag[0] = (srs__tag_t){st, false};
    st->tag[1] = (srs__tag_t){st, true};
    return st;
}

static int open_udp(struct srs *s, uint16_t port)
{
    int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    bool v6 = fd >= 0;
    if (!v6) fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1, zero = 0, rb = (int)s->cfg.rcvbuf;
    if (v6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    if (rb > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof rb) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof rb);
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
    int rc;
    if (v6) {
        struct sockaddr_in6 a = {
            .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = in6addr_any};
        rc = bind(fd, (struct sockaddr *)&a, sizeof a);
    } else {
        struct sockaddr_in a = {
            .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
        rc = bind(fd, (struct sockaddr *)&a, sizeof a);
    }
    if (rc != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void pairs_mark(struct srs *s, uint32_t first, uint32_t n, uint8_t v)
{
    for (uint32_t i = 0; i < n; i++)
        s->pair_used[first + i] = v;
}

bool srs__streams_bind(struct srs *s, srs__stream_t **st, uint32_t n)
{
    if (n == 0) return true;
    uint32_t lo = s->cfg.rtp_port_min & ~1u;
    for (uint32_t tries = 0; tries < s->n_pairs; tries++) {
        uint32_t first = (s->next_pair + tries) % s->n_pairs;
        if (first + n > s->n_pairs) continue;
        bool free_run = true;
        for (uint32_t i = 0; i < n && free_run; i++)
            free_run = !s->pair_used[first + i];
        if (!free_run) continue;
        uint32_t i = 0;
        for (; i < n; i++) {
            uint16_t port = (uint16_t)(lo + 2 * (first + i));
            if (!s->cfg.no_sockets) {
                int a = open_udp(s, port), b = a >= 0 ? open_udp(s, (uint16_t)(port + 1)) : -1;
                if (b < 0) {
                    if (a >= 0) close(a);
                    break;
                }
                st[i]->fd[0] = a;
                st[i]->fd[1] = b;
            }
            st[i]->port = port;
        }
        if (i < n) { /* a port is taken by someone else: undo, try further on */
            for (uint32_t k = 0; k < i; k++) {
                for (int f = 0; f < 2; f++)
                    if (st[k]->fd[f] >= 0) close(st[k]->fd[f]), st[k]->fd[f] = -1;
                st[k]->port = 0;
            }
            s->pair_used[first + i] = 2; /* held elsewhere: skipped until released */
            continue;
        }
        pairs_mark(s, first, n, 1);
        s->next_pair = (first + n) % s->n_pairs;
        for (i = 0; i < n; i++) {
            if (st[i]->fd[0] < 0 || s->n_media == 0) continue;
            srs__media_thread_t *mt = &s->media[s->next_media_thread++ % s->n_media];
            st[i]->thread = (int)(mt - s->media);
            for (int f = 0; f < 2; f++) {
                struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &st[i]->tag[f]};
                epoll_ctl(mt->epfd, EPOLL_CTL_ADD, st[i]->fd[f], &ev);
            }
        }
        SRS__STAT_ADD(s, streams_active, n);
        return true;
    }
    return false;
}

void srs__stream_close(struct srs *s, srs__stream_t *st)
{
    pthread_mutex_lock(&st->lock);
    st->closed = true;
    pthread_mutex_unlock(&st->lock);
    for (int f = 0; f < 2; f++)
        if (st->fd[f] >= 0) {
            if (s->n_media) epoll_ctl(s->media[st->thread].epfd, EPOLL_CTL_DEL, st->fd[f], NULL);
            close(st->fd[f]);
            st->fd[f] = -1;
        }
    if (st->port) {
        uint32_t lo = s->cfg.rtp_port_min & ~1u;
        s->pair_used[(st->port - lo) / 2] = 0;
        atomic_fetch_sub_explicit(&s->st.streams_active, 1, memory_order_relaxed);
        /* pairs another program held become candidates again */
        for (uint32_t i = 0; i < s->n_pairs; i++)
            if (s->pair_used[i] == 2) s->pair_used[i] = 0;
    }
    st->free_at = s->now + SRS__STREAM_GRACE_NS;
    st->next_zombie = s->zombies;
    s->zombies = st;
}

static void stream_free(srs__stream_t *st)
{
    if (st->srtp_in) srtp_dealloc(st->srtp_in);
    if (st->have_stats) sq_free(&st->sq);
    pthread_mutex_destroy(&st->lock);
    free(st->call_id);
    free(st);
}

void srs__reap_zombies(struct srs *s, bool all)
{
    srs__stream_t **pp = &s->zombies;
    while (*pp) {
        srs__stream_t *z = *pp;
        if (all || z->free_at <= s->now) {
            *pp = z->next_zombie;
            stream_free(z);
        } else {
            pp = &z->next_zombie;
        }
    }
}

void srs__stream_figures(srs__stream_t *st, srs_stream_t *out)
{
    pthread_mutex_lock(&st->lock);
    out->packets = st->packets;
    out->bytes = st->bytes;
    out->rtcp_packets = st->rtcp_packets;
    out->srtp_auth_failures = st->auth_failures;
    out->malformed = st->malformed;
    out->socket_drops = (uint64_t)st->ovfl[0] + st->ovfl[1];
    out->pauses = st->pauses;
    out->mos = -1;
    if (st->have_stats) {
        out->lost = rtp_stats_lost(&st->st);
        if (out->lost < 0) out->lost = 0;
        out->jitter_ms = rtp_stats_jitter_mean_ms(&st->st);
        out->first_ns = st->st.first_ts_ns;
        out->last_ns = st->st.last_ts_ns;
        sq_result_t r;
        sq_finish(&st->sq, NULL, -1, &r);
        if (r.scored) out->mos = r.mos;
        sq_free(&st->sq);
        sq_init(&st->sq, NULL); /* figures are taken once; keep it valid */
    }
    pthread_mutex_unlock(&st->lock);
}

/* ------------------------------ receiving ------------------------------- */

static void on_packet(struct srs *s, srs__stream_t *st, bool rtcp, uint8_t *data, size_t len,
                      int64_t ts, const struct sockaddr_storage *from)
{
    int n = (int)len;
    if (st->srtp_in) {
        srtp_err_status_t e = rtcp ? srtp_unprotect_rtcp(st->srtp_in, data, &n)
                                   : srtp_unprotect(st->srtp_in, data, &n);
        if (e != srtp_err_status_ok) {
            st->auth_failures++;
            SRS__STAT_INC(s, srtp_auth_failures);
            return;
        }
    }
    if (rtcp) {
        st->rtcp_packets++;
        SRS__STAT_INC(s, rtcp_packets);
    } else {
        rtp_header_t h;
        if (rtp_parse_header(data, (size_t)n, &h) != PROTO_OK) {
            st->malformed++;
            SRS__STAT_INC(s, rtp_malformed);
            return;
        }
        if (!st->have_stats) {
            rtp_stats_init(&st->st, st->clock);
            sq_init(&st->sq, NULL);
            sq_set_codec(&st->sq, st->codec);
            st->have_stats = true;
        }
        bool te = st->te_pt && h.payload_type == st->te_pt;
        uint32_t clock = te ? 0 : st->clock;
        st->st.clock_rate = clock;
        rtp_stats_update(&st->st, h.seq, h.timestamp, h.marker,
                         h.payload_type == 13 || h.payload_type == 19, h.payload_len, ts);
        sq_update(&st->sq, NULL, h.seq, h.timestamp, h.marker, clock, ts);
        st->packets++;
        st->bytes += h.payload_len;
        SRS__STAT_INC(s, rtp_packets);
        SRS__STAT_ADD(s, media_bytes, (uint64_t)n);
    }
    if (s->on_packet) {
        srs_packet_t p = {.call_id = st->call_id,
                          .stream = st->index,
                          .label = st->label,
                          .rtcp = rtcp,
                          .ts_ns = ts,
                          .data = data,
                          .len = (size_t)n};
        if (from->ss_family == AF_INET) {
            const struct sockaddr_in *a = (const struct sockaddr_in *)from;
            ip_addr_set_v4(&p.src.ip, (const uint8_t *)&a->sin_addr);
            p.src.port = ntohs(a->sin_port);
        } else {
            const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)from;
            ip_addr_set_v6(&p.src.ip, (const uint8_t *)&a->sin6_addr);
            p.src.port = ntohs(a->sin6_port);
        }
        p.dst.ip = st->local_ip;
        p.dst.port = (uint16_t)(st->port + rtcp);
        s->on_packet(s->on_packet_user, &p);
    }
}

static void drain(struct srs *s, srs__tag_t *tag)
{
    static _Thread_local uint8_t bufs[MEDIA_BATCH][MEDIA_MTU];
    static _Thread_local char
        ctl[MEDIA_BATCH][CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(uint32_t))];
    struct mmsghdr msgs[MEDIA_BATCH];
    struct iovec iov[MEDIA_BATCH];
    struct sockaddr_storage from[MEDIA_BATCH];
    srs__stream_t *st = tag->s;
    for (int rounds = 0; rounds < 64; rounds++) {
        pthread_mutex_lock(&st->lock);
        if (st->closed || st->fd[tag->rtcp] < 0) {
            pthread_mutex_unlock(&st->lock);
            return;
        }
        for (int i = 0; i < MEDIA_BATCH; i++) {
            iov[i] = (struct iovec){bufs[i], MEDIA_MTU};
            msgs[i].msg_hdr = (struct msghdr){.msg_name = &from[i],
                                              .msg_namelen = sizeof from[i],
                                              .msg_iov = &iov[i],
                                              .msg_iovlen = 1,
                                              .msg_control = ctl[i],
                                              .msg_controllen = sizeof ctl[i]};
        }
        int n = recvmmsg(st->fd[tag->rtcp], msgs, MEDIA_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) {
            pthread_mutex_unlock(&st->lock);
            return;
        }
        for (int i = 0; i < n; i++) {
            int64_t ts = 0;
            for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c;
                 c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
                if (c->cmsg_level != SOL_SOCKET) continue;
                if (c->cmsg_type == SO_TIMESTAMPNS) {
                    struct timespec t;
                    memcpy(&t, CMSG_DATA(c), sizeof t);
                    ts = (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
                } else if (c->cmsg_type == SO_RXQ_OVFL) {
                    uint32_t d;
                    memcpy(&d, CMSG_DATA(c), sizeof d);
                    if (d > st->ovfl[tag->rtcp]) {
                        SRS__STAT_ADD(s, socket_drops, d - st->ovfl[tag->rtcp]);
                        st->ovfl[tag->rtcp] = d;
                    }
                }
            }
            if (!ts) ts = clock_real_ns();
            on_packet(s, st, tag->rtcp, bufs[i], msgs[i].msg_len, ts, &from[i]);
        }
        st->last_rx_mono = clock_mono_ns();
        pthread_mutex_unlock(&st->lock);
        if (n < MEDIA_BATCH) return;
    }
}

static void *media_main(void *arg)
{
    srs__media_thread_t *mt = arg;
    struct srs *s = mt->srv;
    struct epoll_event ev[64];
    while (atomic_load_explicit(&s->running, memory_order_relaxed)) {
        int n = epoll_wait(mt->epfd, ev, 64, 100);
        for (int i = 0; i < n; i++)
            drain(s, ev[i].data.ptr);
    }
    return NULL;
}

int srs__media_start(struct srs *s, char *err, size_t errlen)
{
    if (!srtp_lib_ready()) {
        snprintf(err, errlen, "libsrtp2 did not initialise");
        return -1;
    }
    s->n_media = s->cfg.rtp_threads ? s->cfg.rtp_threads : 1;
    s->media = calloc(s->n_media, sizeof *s->media);
    if (!s->media) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < s->n_media; i++)
        s->media[i].epfd = -1;
    for (uint32_t i = 0; i < s->n_media; i++) {
        s->media[i].srv = s;
        s->media[i].epfd = epoll_create1(EPOLL_CLOEXEC);
        if (s->media[i].epfd < 0) {
            snprintf(err, errlen, "epoll: %s", strerror(errno));
            return -1;
        }
    }
    if (s->cfg.no_sockets) return 0;
    for (uint32_t i = 0; i < s->n_media; i++) {
        if (pthread_create(&s->media[i].th, NULL, media_main, &s->media[i]) != 0) {
            snprintf(err, errlen, "cannot start a media thread");
            return -1;
        }
        s->media[i].started = true;
        pthread_setname_np(s->media[i].th, "siprec-rtp");
    }
    return 0;
}

void srs__media_stop(struct srs *s)
{
    for (uint32_t i = 0; i < s->n_media; i++)
        if (s->media[i].started) {
            pthread_join(s->media[i].th, NULL);
            s->media[i].started = false;
        }
}

void srs__media_free(struct srs *s)
{
    srs__reap_zombies(s, true);
    for (uint32_t i = 0; i < s->n_media; i++)
        if (s->media[i].epfd >= 0) close(s->media[i].epfd);
    free(s->media);
    s->media = NULL;
    s->n_media = 0;
    free(s->pair_used);
    s->pair_used = NULL;
}
