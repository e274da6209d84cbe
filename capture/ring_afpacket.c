/* ring_afpacket.c - live capture from a Linux AF_PACKET socket with a
 * TPACKET_V3 memory-mapped receive ring (see the kernel's
 * Documentation/networking/packet_mmap.rst).
 *
 * Kernel interface: socket(AF_PACKET, SOCK_RAW), PACKET_VERSION =
 * TPACKET_V3, PACKET_RESERVE (4 bytes, room to put back a VLAN tag),
 * PACKET_RX_RING (struct tpacket_req3: block size and count, frame size,
 * retire_blk_tov), mmap of the ring, SO_ATTACH_FILTER (classic BPF compiled
 * by libpcap), bind to one ifindex, PACKET_ADD_MEMBERSHIP PACKET_MR_PROMISC,
 * PACKET_IGNORE_OUTGOING, PACKET_FANOUT and PACKET_STATISTICS (struct
 * tpacket_stats_v3).
 *
 * Design:
 *  - The ring is block_count blocks of block_size bytes.  The kernel fills a
 *    block with variable-size frames (struct tpacket3_hdr, chained by
 *    tp_next_offset) and hands it to user space by setting TP_STATUS_USER
 *    in its descriptor, when the block is full or retire_blk_tov ms after
 *    its first frame.  We walk blocks in order; frames are handed out
 *    zero-copy, pointing into the block; the block goes back to the kernel
 *    (TP_STATUS_KERNEL, a release store) at the start of the call after its
 *    last frame, so a frame stays valid until the next cap_ring_next.  When
 *    the current block is not ours yet, poll() waits.
 *  - Setup never lets a stray packet in: the socket is created with
 *    protocol 0 (no packets), gets a drop-everything filter, is bound and
 *    joins the fanout group, and only then gets its real filter.  So a ring
 *    joining a running group sees no packet twice, and nothing arrives
 *    before the ring is complete.
 *  - Fanout: PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG by default.  The
 *    kernel's flow hash is symmetric (addresses and ports sorted), so both
 *    directions of a UDP or TCP flow reach the same ring; with DEFRAG the
 *    kernel reassembles IPv4 fragments before hashing, and the ring receives
 *    the reassembled datagram as one frame.  One group spans one device, so
 *    each interface needs its own group id.
 *  - VLAN: the kernel strips the outer 802.1Q/802.1ad tag of every received
 *    frame into tp_vlan_tci/tp_vlan_tpid.  Like libpcap, we put it back in
 *    front of the EtherType, in the 4 bytes PACKET_RESERVE keeps before the
 *    MAC header, so the decoder sees the frame as it was on the wire.  The
 *    BPF filter runs on the frame without its outer tag: "udp port 5060"
 *    matches untagged and 802.1Q-tagged traffic alike, and a "vlan"
 *    primitive only matches a second (inner, QinQ) tag.
 *  - Link types: Ethernet and loopback (both Ethernet-framed) give
 *    DLT_EN10MB; devices without a link header (tun, ARPHRD_NONE/RAWIP)
 *    give raw IP.  Anything else is refused: use the libpcap backend.
 *  - Counters: PACKET_STATISTICS resets the kernel's counters at each read,
 *    so they are accumulated here.  tp_packets includes the drops.
 */
#include "ring_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef ARPHRD_RAWIP
#define ARPHRD_RAWIP 519
#endif
#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif
#ifndef TP_STATUS_VLAN_TPID_VALID
#define TP_STATUS_VLAN_TPID_VALID (1 << 6)
#endif

#define VLAN_TAG_LEN 4

typedef struct {
    struct cap_ring base; /* first: a cap_ring_t * points here */
    uint8_t *map;
    size_t map_len;
    uint32_t block_size, block_count;
    uint32_t cur;                          /* block being read (or waited for) */
    bool held;                             /* cur is ours (TP_STATUS_USER) */
    uint32_t pkts_left;                    /* frames of cur not handed out yet */
    uint32_t pkt_off;                      /* offset in cur of the next tpacket3_hdr */
    bool eth;                              /* Ethernet framing: put VLAN tags back */
    uint64_t k_packets, k_drops, k_freeze; /* accumulated kernel counters */
} afp_t;

static const cap__ring_ops_t afp_ops;

static struct tpacket_block_desc *afp_block(const afp_t *a, uint32_t i)
{
    return (struct tpacket_block_desc *)(a->map + (size_t)i * a->block_size);
}

/* ------------------------------------------------------------------------ */
/* Reading                                                                   */
/* ------------------------------------------------------------------------ */

static void afp_release(afp_t *a)
{
    struct tpacket_block_desc *bd = afp_block(a, a->cur);
    __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    a->held = false;
    a->pkts_left = 0;
    a->cur = (a->cur + 1) % a->block_count;
}

static bool afp_take(afp_t *a)
{
    struct tpacket_block_desc *bd = afp_block(a, a->cur);
    if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
        return false;
    a->held = true;
    a->pkts_left = bd->hdr.bh1.num_pkts;
    a->pkt_off = bd->hdr.bh1.offset_to_first_pkt;
    return true;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for the socket; 1 readable (or worth a look), 0 timeout or
 * signal, -1 error (message set). */
static int afp_wait(afp_t *a, int timeout_ms)
{
    struct pollfd pfd = {.fd = a->base.fd, .events = POLLIN | POLLRDNORM};
    int n = poll(&pfd, 1, timeout_ms);
    if (n < 0) {
        if (errno == EINTR) return 0;
        snprintf(a->base.err, sizeof a->base.err, "%s: poll: %s", a->base.ifname, strerror(errno));
        return -1;
    }
    if (n == 0) return 0;
    if (pfd.revents & POLLNVAL) {
        snprintf(a->base.err, sizeof a->base.err, "%s: socket closed", a->base.ifname);
        return -1;
    }
    if (pfd.revents & POLLERR) {
        int soerr = 0;
        socklen_t len = sizeof soerr;
        if (getsockopt(a->base.fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr) {
            snprintf(a->base.err, sizeof a->base.err, "%s: %s", a->base.ifname, strerror(soerr));
            return -1;
        }
    }
    return 1;
}

/* Fills out from the next frame of the held block; false if the kernel's
 * offsets do not fit in the block (never expected). */
static bool afp_frame(afp_t *a, cap_frame_t *out)
{
    uint8_t *block = (uint8_t *)afp_block(a, a->cur);
    if (a->pkt_off > a->block_size - sizeof(struct tpacket3_hdr)) return false;
    struct tpacket3_hdr *h = (struct tpacket3_hdr *)(block + a->pkt_off);
    if (h->tp_mac > a->block_size - a->pkt_off ||
        h->tp_snaplen > a->block_size - a->pkt_off - h->tp_mac)
        return false;
    uint8_t *data = (uint8_t *)h + h->tp_mac;
    uint32_t caplen = h->tp_snaplen, wirelen = h->tp_len;
    if (a->eth && (h->tp_status & TP_STATUS_VLAN_VALID) && caplen >= 2 * ETH_ALEN &&
        h->tp_mac >= TPACKET_ALIGN(sizeof(struct tpacket3_hdr)) + sizeof(struct sockaddr_ll) +
                         VLAN_TAG_LEN) {
        uint16_t tpid =
            (h->tp_status & TP_STATUS_VLAN_TPID_VALID) ? h->hv1.tp_vlan_tpid : ETH_P_8021Q;
        uint16_t tci = (uint16_t)h->hv1.tp_vlan_tci;
        data -= VLAN_TAG_LEN;
        memmove(data, data + VLAN_TAG_LEN, 2 * ETH_ALEN);
        uint8_t *tag = data + 2 * ETH_ALEN;
        tag[0] = (uint8_t)(tpid >> 8);
        tag[1] = (uint8_t)tpid;
        tag[2] = (uint8_t)(tci >> 8);
        tag[3] = (uint8_t)tci;
        caplen += VLAN_TAG_LEN;
        wirelen += VLAN_TAG_LEN;
    }
    out->linktype = a->base.linktype;
    out->ts_ns = (int64_t)h->tp_sec * NS_PER_SEC + (int64_t)h->tp_nsec; /* 32-bit seconds */
    out->ts_clamped = false;
    out->data = data;
    out->caplen = caplen;
    out->wirelen = wirelen;
    a->pkts_left--;
    a->pkt_off += h->tp_next_offset;
    if (a->pkts_left && h->tp_next_offset == 0) a->pkts_left = 0; /* no chain */
    return true;
}

static int afp_next(cap_ring_t *r, cap_frame_t *out, int timeout_ms)
{
    afp_t *a = (afp_t *)r;
    int64_t deadline = timeout_ms > 0 ? mono_ms() + timeout_ms : 0;
    r->err[0] = '\0';
    for (;;) {
        if (a->pkts_left) {
            if (afp_frame(a, out)) return 1;
            snprintf(r->err, sizeof r->err, "%s: malformed ring block %u skipped", r->ifname,
                     a->cur);
            afp_release(a);
            return -1;
        }
        if (a->held) afp_release(a);
        if (afp_take(a)) continue;
        int wait = 0;
        if (timeout_ms < 0) {
            wait = -1;
        } else if (timeout_ms > 0) {
            int64_t left = deadline - mono_ms();
            wait = left > 0 ? (int)left : 0;
        }
        if (wait == 0) return 0;
        int rc = afp_wait(a, wait);
        if (rc < 0) return -1;
        if (rc == 0 && !afp_take(a)) return 0;
        if (a->held) continue;
    }
}

static void afp_stats(cap_ring_t *r, cap_ring_stats_t *out)
{
    afp_t *a = (afp_t *)r;
    struct tpacket_stats_v3 st;
    socklen_t len = sizeof st;
    memset(&st, 0, sizeof st);
    if (getsockopt(r->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
        a->k_packets += st.tp_packets;
        a->k_drops += st.tp_drops;
        a->k_freeze += st.tp_freeze_q_cnt;
    }
    out->packets = a->k_packets;
    out->drops = a->k_drops;
    out->freeze_q = a->k_freeze;
}

static void afp_close(cap_ring_t *r)
{
    afp_t *a = (afp_t *)r;
    if (a->map && a->map != MAP_FAILED) munmap(a->map, a->map_len);
    if (r->fd >= 0) close(r->fd); /* also leaves promiscuous mode */
    free(a);
}

static const cap__ring_ops_t afp_ops = {"afpacket", afp_next, afp_stats, afp_close};

/* ------------------------------------------------------------------------ */
/* Opening                                                                   */
/* ------------------------------------------------------------------------ */

static int set_int(int fd, int level, int opt, int v)
{
    return setsockopt(fd, level, opt, &v, sizeof v);
}

/* The link type of the device, or -1 for one we cannot frame. */
static int afp_linktype(int fd, const char *ifname, int *hatype)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) return -2;
    *hatype = ifr.ifr_hwaddr.sa_family;
    switch (*hatype) {
    case ARPHRD_ETHER:
    case ARPHRD_LOOPBACK:
        return DLT_EN10MB;
    case ARPHRD_NONE:
    case ARPHRD_RAWIP:
        return DLT_RAW;
    default:
        return -1;
    }
}

static int attach_filter(int fd, struct sock_filter *insns, unsigned short len)
{
    struct sock_fprog fprog = {.len = len, .filter = insns};
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog);
}

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        if (err && errlen) snprintf(err, errlen, __VA_ARGS__);                                     \
        goto fail;                                                                                 \
    } while (0)

cap_ring_t *cap__afpacket_open(const cap_ring_config_t *cfg, char *err, size_t errlen)
{
    const char *ifn = cfg->ifname;
    struct bpf_program prog = {0, NULL};
    bool have_prog = false;
    afp_t *a = calloc(1, sizeof *a);
    if (!a) {
        if (err && errlen) snprintf(err, errlen, "%s: out of memory", ifn);
        return NULL;
    }
    a->base.ops = &afp_ops;
    a->base.fd = -1;

    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0) page = 4096;
    if (cfg->block_size % (uint32_t)page)
        FAIL("%s: ring block size %u is not a multiple of the page size %ld", ifn, cfg->block_size,
             page);
    if (cfg->frame_size < TPACKET3_HDRLEN || cfg->frame_size % TPACKET_ALIGNMENT ||
        cfg->frame_size > cfg->block_size)
        FAIL("%s: ring frame size %u must be a multiple of %d between %zu and the block size", ifn,
             cfg->frame_size, TPACKET_ALIGNMENT, (size_t)TPACKET3_HDRLEN);
    uint64_t frames = (uint64_t)(cfg->block_size / cfg->frame_size) * cfg->block_count;
    if (frames > UINT32_MAX) FAIL("%s: ring too large", ifn);

    /* Protocol 0: the socket receives nothing until bind names one. */
    a->base.fd = socket(AF_PACKET, SOCK_RAW, 0);
    if (a->base.fd < 0)
        FAIL("%s: socket(AF_PACKET): %s%s", ifn, strerror(errno),
             errno == EPERM ? " (needs root or CAP_NET_RAW)" : "");
    int fd = a->base.fd;
    unsigned ifindex = if_nametoindex(ifn);
    if (!ifindex) FAIL("%s: no such interface", ifn);
    int hatype = 0;
    a->base.linktype = afp_linktype(fd, ifn, &hatype);
    if (a->base.linktype == -2) FAIL("%s: SIOCGIFHWADDR: %s", ifn, strerror(errno));
    if (a->base.linktype < 0)
        FAIL("%s: link type ARPHRD %d is not supported by the AF_PACKET ring (use libpcap)", ifn,
             hatype);
    a->eth = a->base.linktype == DLT_EN10MB;

    /* Drop everything until the ring is bound and in its fanout group. */
    struct sock_filter drop_all = BPF_STMT(BPF_RET | BPF_K, 0);
    if (attach_filter(fd, &drop_all, 1) != 0)
        FAIL("%s: SO_ATTACH_FILTER: %s", ifn, strerror(errno));
    if (cap__bpf_compile(cfg->bpf ? cfg->bpf : "", a->base.linktype, cfg->snaplen, &prog, err,
                         errlen) != 0)
        goto fail_msg;
    have_prog = true;
    if (prog.bf_len > USHRT_MAX) FAIL("%s: filter too long", ifn);

    if (set_int(fd, SOL_PACKET, PACKET_VERSION, TPACKET_V3) != 0)
        FAIL("%s: PACKET_VERSION TPACKET_V3: %s", ifn, strerror(errno));
    if (a->eth && set_int(fd, SOL_PACKET, PACKET_RESERVE, VLAN_TAG_LEN) != 0)
        FAIL("%s: PACKET_RESERVE: %s", ifn, strerror(errno));
    struct tpacket_req3 req;
    memset(&req, 0, sizeof req);
    req.tp_block_size = cfg->block_size;
    req.tp_block_nr = cfg->block_count;
    req.tp_frame_size = cfg->frame_size;
    req.tp_frame_nr = (unsigned)frames;
    req.tp_retire_blk_tov = cfg->block_timeout_ms;
    if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0)
        FAIL("%s: PACKET_RX_RING (%u blocks of %u bytes): %s", ifn, cfg->block_count,
             cfg->block_size, strerror(errno));
    a->block_size = cfg->block_size;
    a->block_count = cfg->block_count;
    a->map_len = (size_t)cfg->block_size * cfg->block_count;
    a->map = mmap(NULL, a->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (a->map == MAP_FAILED) {
        a->map = NULL;
        FAIL("%s: mmap of the %zu-byte ring: %s", ifn, a->map_len, strerror(errno));
    }
    if (cfg->ignore_outgoing && set_int(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1) != 0)
        FAIL("%s: PACKET_IGNORE_OUTGOING: %s", ifn, strerror(errno));

    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = (int)ifindex;
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll) != 0)
        FAIL("%s: bind: %s", ifn, strerror(errno));
    if (cfg->promisc) {
        struct packet_mreq mr;
        memset(&mr, 0, sizeof mr);
        mr.mr_ifindex = (int)ifindex;
        mr.mr_type = PACKET_MR_PROMISC;
        if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) != 0)
            FAIL("%s: promiscuous mode: %s", ifn, strerror(errno));
    }
    if (cfg->fanout_group) {
        int arg = (int)cfg->fanout_group |
                  (int)((uint32_t)(cfg->fanout_mode | PACKET_FANOUT_FLAG_DEFRAG) << 16);
        if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0)
            FAIL("%s: PACKET_FANOUT group %u: %s%s", ifn, cfg->fanout_group, strerror(errno),
                 errno == EINVAL ? " (group used with another device or mode?)" : "");
    }
    /* Counters start with the real filter (the read resets them). */
    struct tpacket_stats_v3 st;
    socklen_t stlen = sizeof st;
    (void)getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &stlen);
    if (attach_filter(fd, (struct sock_filter *)prog.bf_insns, (unsigned short)prog.bf_len) != 0)
        FAIL("%s: SO_ATTACH_FILTER: %s", ifn, strerror(errno));
    pcap_freecode(&prog);
    return &a->base;

fail:
fail_msg:
    if (have_prog) pcap_freecode(&prog);
    afp_close(&a->base);
    return NULL;
}
