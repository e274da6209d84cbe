/* srs.c - the SRS's life cycle (new, start, stop, stats, free), its
 * configuration helpers, and the socket-less entry points for tests and
 * the fuzz target (srs_process, srs_tick).
 *
 * Start order: the port allocator and media threads first (a session's
 * streams are added to their epoll sets), then the listeners and the SIP
 * thread.  Stop: the SIP thread, then the media threads, then every live
 * session ends as "shutdown" (its record reaches the listener with the
 * figures its streams reached), then sockets close.
 */
#include "siprec_internal.h"

#include <libxml/parser.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *srs_transport_name(srs_transport_t t)
{
    switch (t) {
    case SRS_UDP:
        return "udp";
    case SRS_TCP:
        return "tcp";
    case SRS_TLS:
        return "tls";
    }
    return "?";
}

void srs_config_default(srs_config_t *c)
{
    memset(c, 0, sizeof *c);
    c->max_sessions = 1000;
    c->rtp_port_min = 20000;
    c->rtp_port_max = 29999;
    c->rtp_threads = 1;
    c->rcvbuf = 256 * 1024;
    c->max_message = 128 * 1024;
    c->max_metadata = 64 * 1024;
    c->max_connections = 256;
    c->idle_timeout_ns = 14400LL * 1000000000LL;
}

static int parse_endpoint(sv_t t, endpoint_t *e)
{
    /* ADDRESS:PORT, IPv6 in brackets */
    long colon = -1;
    for (size_t i = 0; i < t.len; i++)
        if (t.p[i] == ':') colon = (long)i;
    if (colon <= 0) return -1;
    sv_t host = sv_make(t.p, (size_t)colon),
         port = sv_make(t.p + colon + 1, t.len - (size_t)colon - 1);
    if (host.len >= 2 && host.p[0] == '[' && host.p[host.len - 1] == ']')
        host = sv_make(host.p + 1, host.len - 2);
    else if (sv_index_of(host, ':') >= 0)
        return -1;
    uint64_t p;
    if (!ip_addr_parse(host, &e->ip) || !sv_to_u64(port, 65535, &p) || p == 0) return -1;
    e->port = (uint16_t)p;
    return 0;
}

int srs_parse_listen(const char *text, srs_listen_t *out, char *err, size_t errlen)
{
    sv_t t = sv_trim(sv_from_cstr(text));
    if (sv_istarts_with(t, "udp:"))
        out->transport = SRS_UDP;
    else if (sv_istarts_with(t, "tcp:"))
        out->transport = SRS_TCP;
    else if (sv_istarts_with(t, "tls:"))
        out->transport = SRS_TLS;
    else {
        snprintf(err, errlen, "'%s' is not udp:|tcp:|tls:ADDRESS:PORT", text);
        return -1;
    }
    if (parse_endpoint(sv_make(t.p + 4, t.len - 4), &out->addr) != 0) {
        snprintf(err, errlen, "'%s' is not udp:|tcp:|tls:ADDRESS:PORT (port 1..65535)", text);
        return -1;
    }
    return 0;
}

int srs_parse_cidr(const char *text, srs_cidr_t *out, char *err, size_t errlen)
{
    sv_t t = sv_trim(sv_from_cstr(text));
    long slash = sv_index_of(t, '/');
    sv_t a = slash >= 0 ? sv_make(t.p, (size_t)slash) : t;
    if (!ip_addr_parse(a, &out->net)) {
        snprintf(err, errlen, "'%s' is not ADDRESS[/PREFIX]", text);
        return -1;
    }
    uint64_t max = out->net.family == IP_V4 ? 32 : 128, p = max;
    if (slash >= 0 && !sv_to_u64(sv_make(t.p + slash + 1, t.len - (size_t)slash - 1), max, &p)) {
        snprintf(err, errlen, "'%s': the prefix is not 0..%llu", text, (unsigned long long)max);
        return -1;
    }
    out->prefix = (uint8_t)p;
    return 0;
}

int srs_parse_port_range(const char *text, uint16_t *lo, uint16_t *hi, char *err, size_t errlen)
{
    sv_t t = sv_trim(sv_from_cstr(text));
    long dash = sv_index_of(t, '-');
    uint64_t a, b;
    if (dash <= 0 || !sv_to_u64(sv_make(t.p, (size_t)dash), 65535, &a) ||
        !sv_to_u64(sv_make(t.p + dash + 1, t.len - (size_t)dash - 1), 65535, &b) || a < 1024 ||
        b < a + 1) {
        snprintf(err, errlen, "'%s' is not LOW-HIGH (1024..65535, at least one even pair)", text);
        return -1;
    }
    *lo = (uint16_t)a;
    *hi = (uint16_t)b;
    return 0;
}

static char *dup_or_null(const char *s)
{
    return s && s[0] ? strdup(s) : NULL;
}

srs_t *srs_new(const srs_config_t *cfg, char *err, size_t errlen)
{
    static pthread_once_t xml_once = PTHREAD_ONCE_INIT;
    pthread_once(&xml_once, xmlInitParser);
    if (cfg->max_sessions == 0 || cfg->max_connections == 0 || cfg->max_message < 1024) {
        snprintf(err, errlen, "siprec: max_sessions, max_connections and max_message must be set");
        return NULL;
    }
    srs_t *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    s->tls_cert = dup_or_null(cfg->tls_cert);
    s->tls_key = dup_or_null(cfg->tls_key);
    s->tls_ca = dup_or_null(cfg->tls_ca);
    s->media_address = dup_or_null(cfg->media_address);
    s->cfg.tls_cert = s->cfg.tls_key = s->cfg.tls_ca = s->cfg.media_address = NULL;
    s->seed = hash_seed();
    s->epfd = -1;
    for (int i = 0; i < SRS_MAX_LISTEN; i++)
        s->lfd[i] = -1;
    s->now = clock_mono_ns();
    if (srs__uas_init(s, err, errlen) != 0 || srs__media_init(s, err, errlen) != 0) {
        srs_free(s);
        return NULL;
    }
    return s;
}

void srs_set_session_listener(srs_t *s, srs_session_fn fn, void *user)
{
    s->on_session = fn;
    s->on_session_user = user;
}

void srs_set_media_hook(srs_t *s, srs_media_fn fn, void *user)
{
    s->on_packet = fn;
    s->on_packet_user = user;
}

void srs_set_sip_hook(srs_t *s, srs_sip_fn fn, void *user)
{
    s->on_sip = fn;
    s->on_sip_user = user;
}

int srs_start(srs_t *s, char *err, size_t errlen)
{
    if (s->cfg.no_sockets) {
        snprintf(err, errlen, "siprec: a socket-less instance cannot start");
        return -1;
    }
    /* two sockets per stream: take the hard limit of descriptors (a
     * daemon's usual soft limit of 1,024 is 250 two-stream sessions) */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    atomic_store(&s->running, true); /* before any thread looks at it */
    if (srs__media_start(s, err, errlen) != 0 || srs__transport_start(s, err, errlen) != 0) {
        srs_stop(s);
        return -1;
    }
    return 0;
}

void srs_stop(srs_t *s)
{
    srs__transport_stop(s);
    atomic_store(&s->running, false);
    srs__media_stop(s);
    s->now = clock_mono_ns();
    srs__end_all(s);
}

void srs_stats(srs_t *s, srs_stats_t *out)
{
    const _Atomic uint64_t *src = (const _Atomic uint64_t *)&s->st;
    uint64_t *dst = (uint64_t *)out;
    for (size_t i = 0; i < sizeof *out / sizeof(uint64_t); i++)
        dst[i] = atomic_load_explicit(&src[i], memory_order_relaxed);
}

void srs_free(srs_t *s)
{
    if (!s) return;
    srs_stop(s);
    srs__uas_free(s);
    srs__transport_free(s);
    srs__media_free(s);
    free(s->tls_cert);
    free(s->tls_key);
    free(s->tls_ca);
    free(s->media_address);
    buf_free(&s->tap_out);
    free(s);
}

void srs_process(srs_t *s, srs_transport_t transport, const endpoint_t *src, const uint8_t *msg,
                 size_t len, buf_t *out)
{
    if (!s->media) { /* the media side without threads: epoll sets only */
        char err[64];
        s->cfg.no_sockets = true;
        if (srs__media_start(s, err, sizeof err) != 0) return;
    }
    srs__dest_t d = {.tp = transport, .peer = *src};
    ip_addr_parse(SV_LIT("192.0.2.1"), &d.local.ip);
    d.local.port = 5060;
    s->capture = out;
    s->now = clock_mono_ns();
    if (len > s->cfg.max_message)
        srs__too_large(s, &d, msg, len);
    else
        srs__on_message(s, &d, msg, len);
    s->capture = NULL;
}

void srs_tick(srs_t *s, int64_t now_ns, buf_t *out)
{
    s->capture = out;
    s->now = now_ns;
    srs__timers(s);
    s->capture = NULL;
}
