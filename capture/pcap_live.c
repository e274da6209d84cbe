/* pcap_live.c - live capture through libpcap: the portable fallback behind
 * the same cap_ring_* API as the AF_PACKET ring (ring_afpacket.c).
 *
 * Kernel interface: whatever libpcap uses on the platform (on Linux an
 * AF_PACKET TPACKET_V3 ring of its own, TPACKET_V2 in immediate mode); on
 * Linux we add PACKET_FANOUT on libpcap's socket (pcap_fileno) so several
 * libpcap rings can share an interface exactly like AF_PACKET rings.
 *
 * Design: pcap_create, then snap length, promiscuous mode, nanosecond
 * timestamps, a kernel buffer of block_size * block_count bytes and either
 * a read timeout of block_timeout_ms or immediate mode when it is 0;
 * pcap_activate; the filter is compiled on the live handle (libpcap then
 * knows about VLAN offload) and set with pcap_setfilter.  The handle is
 * non-blocking: cap_ring_next tries pcap_next_ex, and when nothing is
 * there polls the selectable descriptor for at most the timeout and tries
 * once more.  A frame stays valid until the next call (libpcap's buffer).
 * Counters come from pcap_stats, which libpcap already accumulates
 * (ps_recv includes drops on Linux, ps_drop are ring drops, ps_ifdrop the
 * interface's).  Frames whose link type libpcap reports (SLL for "any",
 * raw IP for tunnels...) go to the decoder as they are.
 */
#include "capture_internal.h"
#include "ring_internal.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#ifdef __linux__
#include <linux/if_packet.h>
#endif

typedef struct {
    struct cap_ring base; /* first: a cap_ring_t * points here */
    pcap_t *p;
} pl_t;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 1 frame, 0 none, -1 error. */
static int pl_try(pl_t *l, cap_frame_t *out)
{
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc = pcap_next_ex(l->p, &h, &data);
    if (rc == 1) {
        out->linktype = l->base.linktype;
        /* NANO precision: tv_usec holds nanoseconds. */
        out->ts_ns = cap__ts_from((int64_t)h->ts.tv_sec, (int64_t)h->ts.tv_usec, &out->ts_clamped);
        out->data = data;
        out->caplen = h->caplen;
        out->wirelen = h->len;
        return 1;
    }
    if (rc == 0) return 0;
    snprintf(l->base.err, sizeof l->base.err, "%s: %s", l->base.ifname,
             rc == PCAP_ERROR_BREAK ? "capture stopped" : pcap_geterr(l->p));
    return -1;
}

static int pl_next(cap_ring_t *r, cap_frame_t *out, int timeout_ms)
{
    pl_t *l = (pl_t *)r;
    r->err[0] = '\0';
    int64_t deadline = timeout_ms > 0 ? mono_ms() + timeout_ms : 0;
    for (;;) {
        int rc = pl_try(l, out);
        if (rc != 0) return rc;
        int wait = timeout_ms < 0 ? -1 : 0;
        if (timeout_ms > 0) {
            int64_t left = deadline - mono_ms();
            wait = left > 0 ? (int)left : 0;
        }
        if (wait == 0 || r->fd < 0) return 0;
        struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
        int n = poll(&pfd, 1, wait);
        if (n < 0 && errno != EINTR) {
            snprintf(r->err, sizeof r->err, "%s: poll: %s", r->ifname, strerror(errno));
            return -1;
        }
        if (n <= 0) return pl_try(l, out);
    }
}

static void pl_stats(cap_ring_t *r, cap_ring_stats_t *out)
{
    pl_t *l = (pl_t *)r;
    struct pcap_stat ps;
    memset(&ps, 0, sizeof ps);
    if (pcap_stats(l->p, &ps) != 0) return;
    out->packets = ps.ps_recv;
    out->drops = ps.ps_drop;
    out->if_drops = ps.ps_ifdrop;
}

static void pl_close(cap_ring_t *r)
{
    pl_t *l = (pl_t *)r;
    if (l->p) pcap_close(l->p);
    free(l);
}

static const cap__ring_ops_t pl_ops = {"libpcap", pl_next, pl_stats, pl_close};

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        if (err && errlen) snprintf(err, errlen, __VA_ARGS__);                                     \
        goto fail;                                                                                 \
    } while (0)

cap_ring_t *cap__pcap_live_open(const cap_ring_config_t *cfg, char *err, size_t errlen)
{
    const char *ifn = cfg->ifname;
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    struct bpf_program prog = {0, NULL};
    bool have_prog = false;
    pl_t *l = calloc(1, sizeof *l);
    if (!l) {
        if (err && errlen) snprintf(err, errlen, "%s: out of memory", ifn);
        return NULL;
    }
    l->base.ops = &pl_ops;
    l->base.fd = -1;
    l->p = pcap_create(ifn, ebuf);
    if (!l->p) FAIL("%s: %s", ifn, ebuf);
    uint64_t buf = (uint64_t)cfg->block_size * cfg->block_count;
    if (buf > INT32_MAX) buf = INT32_MAX;
    if (pcap_set_snaplen(l->p, (int)cfg->snaplen) != 0 ||
        pcap_set_promisc(l->p, cfg->promisc ? 1 : 0) != 0 ||
        pcap_set_buffer_size(l->p, (int)buf) != 0)
        FAIL("%s: %s", ifn, pcap_geterr(l->p));
    (void)pcap_set_tstamp_precision(l->p, PCAP_TSTAMP_PRECISION_NANO);
    if (cfg->block_timeout_ms == 0) {
        if (pcap_set_immediate_mode(l->p, 1) != 0) FAIL("%s: %s", ifn, pcap_geterr(l->p));
    } else if (pcap_set_timeout(l->p, (int)cfg->block_timeout_ms) != 0) {
        FAIL("%s: %s", ifn, pcap_geterr(l->p));
    }
    int rc = pcap_activate(l->p);
    if (rc < 0) {
        const char *why = pcap_geterr(l->p);
        if (!why || !why[0]) why = pcap_statustostr(rc);
        FAIL("%s: %s%s", ifn, why,
             rc == PCAP_ERROR_PERM_DENIED ? " (needs root or CAP_NET_RAW)" : "");
    }
    if (pcap_get_tstamp_precision(l->p) != PCAP_TSTAMP_PRECISION_NANO)
        FAIL("%s: libpcap cannot give nanosecond timestamps here", ifn);
    if (cfg->ignore_outgoing && pcap_setdirection(l->p, PCAP_D_IN) != 0)
        FAIL("%s: ignoring outgoing packets: %s", ifn, pcap_geterr(l->p));
    l->base.linktype = pcap_datalink(l->p);
    if (cfg->bpf && cfg->bpf[0]) {
        if (pcap_compile(l->p, &prog, cfg->bpf, 1, PCAP_NETMASK_UNKNOWN) != 0)
            FAIL("%s: filter \"%s\": %s", ifn, cfg->bpf, pcap_geterr(l->p));
        have_prog = true;
        if (pcap_setfilter(l->p, &prog) != 0) FAIL("%s: %s", ifn, pcap_geterr(l->p));
        pcap_freecode(&prog);
        have_prog = false;
    }
    if (pcap_setnonblock(l->p, 1, ebuf) != 0) FAIL("%s: %s", ifn, ebuf);
    l->base.fd = pcap_get_selectable_fd(l->p);
    if (cfg->fanout_group) {
#ifdef __linux__
        int arg = (int)cfg->fanout_group |
                  (int)((uint32_t)(cfg->fanout_mode | PACKET_FANOUT_FLAG_DEFRAG) << 16);
        if (setsockopt(pcap_fileno(l->p), SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0)
            FAIL("%s: PACKET_FANOUT group %u: %s", ifn, cfg->fanout_group, strerror(errno));
#else
        FAIL("%s: packet fanout needs Linux", ifn);
#endif
    }
    return &l->base;

fail:
    if (have_prog) pcap_freecode(&prog);
    pl_close(&l->base);
    return NULL;
}
