/* blast.c - benchmark traffic source: replays the frames of a capture file
 * into an interface, faster than tcpreplay can.
 *
 * Design.  The capture (Ethernet link type only) is read once with libpcap
 * into one contiguous buffer plus an index of (offset, length); with -n only
 * the frames that will be sent are loaded.  Frames then go out of an
 * AF_PACKET socket bound to the interface with protocol 0 (so the kernel
 * never loops our own frames back to us) and PACKET_QDISC_BYPASS (straight
 * to the driver's xmit, no qdisc, no taps), in one of two modes:
 *
 *   ring (default)  a PACKET_TX_RING (TPACKET_V2): frames are copied into
 *                   ring slots and one send(MSG_DONTWAIT) hands the whole
 *                   batch to the kernel; a slot is reused once the kernel
 *                   set it back to AVAILABLE (it does so when the skb is
 *                   freed).  PACKET_LOSS is on, so a frame the kernel
 *                   rejects (e.g. longer than the MTU) is skipped, not fatal.
 *   mmsg            sendmmsg() of up to --batch frames per call, straight
 *                   from the load buffer.
 *
 * Rate: with --pps R, frame k is due at start + k/R (a token bucket with no
 * credit carried over a stall beyond what is due).  The sender waits until
 * a burst of --burst-us worth of frames (at least 1, at most --batch) is
 * due: nanosleep while more than 2 ms remain, busy-wait below that (a
 * 500 kpps stream cannot be paced with timer sleeps).  --topspeed (or
 * --pps 0) sends batches back to back.  The file is looped as many times as
 * needed; it stops after -n frames, after -d seconds, or on SIGINT/SIGTERM.
 *
 * At the end one line of key=value figures goes to stdout: frames handed to
 * the kernel, bytes, seconds, achieved pps and Mbit/s, and the interface's
 * own tx_packets / tx_dropped deltas (sysfs), which are the ground truth
 * of what left the sender.  Used by bench_live.sh; not a test.
 *
 *   blast -i IFACE [--pps R | --topspeed] [-n FRAMES] [-d SECONDS]
 *         [--mode ring|mmsg] [--batch N] [--burst-us US] [--cpu N]
 *         [--no-bypass] FILE
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH     1024
#define RING_FRAMES   4096 /* TX ring slots */
#define RING_BLOCK    (1u << 20)
#define SPIN_BELOW_NS 2000000 /* busy-wait when the next burst is closer */

typedef struct {
    uint8_t *buf; /* every frame, back to back */
    size_t buf_len, buf_cap;
    uint64_t *off; /* frame i starts at buf + off[i] */
    uint32_t *len; /* and is len[i] bytes long */
    size_t n, cap;
    uint32_t max_len;
} frames_t;

typedef struct {
    int fd;
    bool ring;
    /* TX ring */
    uint8_t *map;
    size_t map_len;
    uint32_t frame_size, frame_nr, head;
    /* sendmmsg */
    struct mmsghdr msgs[MAX_BATCH];
    struct iovec iov[MAX_BATCH];
    /* counters */
    uint64_t sent, bytes, errors;
} sender_t;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "blast: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Read up to `limit` frames (0: all) of an Ethernet capture into memory. */
static int load(const char *path, uint64_t limit, frames_t *fr)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, err);
    if (!p) {
        fprintf(stderr, "blast: %s\n", err);
        return -1;
    }
    if (pcap_datalink(p) != DLT_EN10MB) {
        fprintf(stderr, "blast: %s: link type %d, want Ethernet\n", path, pcap_datalink(p));
        pcap_close(p);
        return -1;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc;
    while ((!limit || fr->n < limit) && (rc = pcap_next_ex(p, &h, &data)) == 1) {
        if (h->caplen < ETHER_HDR_LEN) continue;
        if (fr->n == fr->cap) {
            fr->cap = fr->cap ? fr->cap * 2 : 65536;
            fr->off = realloc(fr->off, fr->cap * sizeof *fr->off);
            fr->len = realloc(fr->len, fr->cap * sizeof *fr->len);
            if (!fr->off || !fr->len) die("realloc");
        }
        if (fr->buf_len + h->caplen > fr->buf_cap) {
            fr->buf_cap = fr->buf_cap ? fr->buf_cap * 2 : (64u << 20);
            fr->buf = realloc(fr->buf, fr->buf_cap);
            if (!fr->buf) die("realloc");
        }
        memcpy(fr->buf + fr->buf_len, data, h->caplen);
        fr->off[fr->n] = fr->buf_len;
        fr->len[fr->n] = h->caplen;
        if (h->caplen > fr->max_len) fr->max_len = h->caplen;
        fr->buf_len += h->caplen;
        fr->n++;
    }
    pcap_close(p);
    if (fr->n == 0) {
        fprintf(stderr, "blast: %s: no Ethernet frames\n", path);
        return -1;
    }
    return 0;
}

static void open_socket(sender_t *s, const char *ifname, bool bypass, uint32_t max_len)
{
    s->fd = socket(AF_PACKET, SOCK_RAW, 0); /* protocol 0: transmit only */
    if (s->fd < 0) die("socket(AF_PACKET)");
    int one = 1;
    if (bypass && setsockopt(s->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) < 0)
        die("PACKET_QDISC_BYPASS");
    if (s->ring) {
        int v = TPACKET_V2;
        if (setsockopt(s->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0) die("PACKET_VERSION");
        if (setsockopt(s->fd, SOL_PACKET, PACKET_LOSS, &one, sizeof one) < 0) die("PACKET_LOSS");
        /* A slot holds the tpacket2_hdr, then the frame (no PACKET_TX_HAS_OFF). */
        uint32_t need = (uint32_t)(TPACKET2_HDRLEN - sizeof(struct sockaddr_ll)) + max_len;
        s->frame_size = 2048;
        while (s->frame_size < need)
            s->frame_size *= 2;
        uint32_t per_block = RING_BLOCK / s->frame_size;
        struct tpacket_req req = {
            .tp_block_size = RING_BLOCK,
            .tp_frame_size = s->frame_size,
            .tp_block_nr = (RING_FRAMES + per_block - 1) / per_block,
        };
        req.tp_frame_nr = req.tp_block_nr * per_block;
        if (setsockopt(s->fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof req) < 0)
            die("PACKET_TX_RING");
        s->frame_nr = req.tp_frame_nr;
        s->map_len = (size_t)req.tp_block_size * req.tp_block_nr;
        s->map = mmap(NULL, s->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
        if (s->map == MAP_FAILED) die("mmap(TX ring)");
    }
    struct sockaddr_ll sll = {
        .sll_family = AF_PACKET,
        .sll_ifindex = (int)if_nametoindex(ifname),
    };
    if (sll.sll_ifindex == 0) die(ifname);
    if (bind(s->fd, (struct sockaddr *)&sll, sizeof sll) < 0) die("bind");
}

static struct tpacket2_hdr *slot(sender_t *s, uint32_t i)
{
    /* Slots never straddle blocks: the block size is a multiple of frame_size. */
    return (struct tpacket2_hdr *)(s->map + (size_t)i * s->frame_size);
}

static volatile uint32_t *slot_status(sender_t *s, uint32_t i)
{
    return &slot(s, i)->tp_status;
}

/* Kick the kernel to transmit every slot marked SEND_REQUEST. */
static void ring_kick(sender_t *s)
{
    if (send(s->fd, NULL, 0, MSG_DONTWAIT) < 0 && errno != EAGAIN && errno != ENOBUFS &&
        errno != EINTR)
        die("send(TX ring)");
}

/* Wait until slot i is free again. */
static void ring_wait_slot(sender_t *s, uint32_t i)
{
    while (*slot_status(s, i) & (TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING)) {
        ring_kick(s);
        if (!(*slot_status(s, i) & (TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING))) break;
        struct pollfd pfd = {.fd = s->fd, .events = POLLOUT};
        poll(&pfd, 1, 1);
    }
}

/* Send n frames starting at frame index *cursor (wrapping); returns n. */
static size_t send_batch(sender_t *s, const frames_t *fr, size_t *cursor, size_t n)
{
    if (s->ring) {
        for (size_t k = 0; k < n; k++) {
            uint32_t i = s->head;
            ring_wait_slot(s, i);
            struct tpacket2_hdr *h = slot(s, i);
            uint32_t len = fr->len[*cursor];
            memcpy((uint8_t *)h + TPACKET2_HDRLEN - sizeof(struct sockaddr_ll),
                   fr->buf + fr->off[*cursor], len);
            h->tp_len = len;
            __atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
            s->bytes += len;
            s->head = (i + 1) % s->frame_nr;
            if (++*cursor == fr->n) *cursor = 0;
        }
        ring_kick(s);
        s->sent += n;
        return n;
    }
    size_t c = *cursor;
    for (size_t k = 0; k < n; k++) {
        s->iov[k].iov_base = fr->buf + fr->off[c];
        s->iov[k].iov_len = fr->len[c];
        memset(&s->msgs[k].msg_hdr, 0, sizeof s->msgs[k].msg_hdr);
        s->msgs[k].msg_hdr.msg_iov = &s->iov[k];
        s->msgs[k].msg_hdr.msg_iovlen = 1;
        if (++c == fr->n) c = 0;
    }
    size_t done = 0;
    while (done < n && !stop) {
        int rc = sendmmsg(s->fd, s->msgs + done, (unsigned)(n - done), 0);
        if (rc < 0) {
            if (errno == EINTR) continue;
            if (errno == ENOBUFS || errno == EAGAIN) {
                /* the device refused one frame: count it and move on */
                s->errors++;
                done++;
                continue;
            }
            if (errno == EMSGSIZE || errno == EINVAL) {
                s->errors++;
                done++;
                continue;
            }
            die("sendmmsg");
        }
        for (int k = 0; k < rc; k++)
            s->bytes += s->iov[done + (size_t)k].iov_len;
        s->sent += (uint64_t)rc;
        done += (size_t)rc;
    }
    *cursor = (*cursor + done) % fr->n;
    return done;
}

/* Wait for the kernel to finish with every TX ring slot. */
static void ring_drain(sender_t *s)
{
    for (uint32_t i = 0; i < s->frame_nr; i++)
        ring_wait_slot(s, i);
}

static uint64_t sysfs_counter(const char *ifname, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "/sys/class/net/%s/statistics/%s", ifname, name);
    FILE *f = fopen(path, "r");
    unsigned long long v = 0;
    if (f) {
        if (fscanf(f, "%llu", &v) != 1) v = 0;
        fclose(f);
    }
    return v;
}

static void usage(void)
{
    fprintf(stderr, "usage: blast -i IFACE [--pps R | --topspeed] [-n FRAMES] [-d SECONDS]\n"
                    "             [--mode ring|mmsg] [--batch N] [--burst-us US] [--cpu N]\n"
                    "             [--no-bypass] FILE\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *ifname = NULL;
    double pps = 0, seconds = 0;
    uint64_t count = 0;
    int batch = 64, burst_us = 50, cpu = -1;
    bool bypass = true;
    sender_t s;
    memset(&s, 0, sizeof s);
    s.ring = true;
    static const struct option opts[] = {
        {"pps", required_argument, NULL, 'r'},      {"topspeed", no_argument, NULL, 'T'},
        {"mode", required_argument, NULL, 'm'},     {"batch", required_argument, NULL, 'b'},
        {"burst-us", required_argument, NULL, 'u'}, {"cpu", required_argument, NULL, 'c'},
        {"no-bypass", no_argument, NULL, 'B'},      {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "i:r:n:d:", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            ifname = optarg;
            break;
        case 'r':
            pps = strtod(optarg, NULL);
            break;
        case 'T':
            pps = 0;
            break;
        case 'n':
            count = strtoull(optarg, NULL, 10);
            break;
        case 'd':
            seconds = strtod(optarg, NULL);
            break;
        case 'm':
            if (strcmp(optarg, "ring") == 0)
                s.ring = true;
            else if (strcmp(optarg, "mmsg") == 0)
                s.ring = false;
            else
                usage();
            break;
        case 'b':
            batch = atoi(optarg);
            break;
        case 'u':
            burst_us = atoi(optarg);
            break;
        case 'c':
            cpu = atoi(optarg);
            break;
        case 'B':
            bypass = false;
            break;
        default:
            usage();
        }
    }
    if (!ifname || optind != argc - 1 || batch < 1 || batch > MAX_BATCH || pps < 0 || burst_us < 0)
        usage();

    frames_t fr;
    memset(&fr, 0, sizeof fr);
    if (load(argv[optind], count, &fr) != 0) return 1;
    if (!count && !seconds) count = fr.n; /* default: the file once */
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) < 0) die("sched_setaffinity");
    }
    open_socket(&s, ifname, bypass, fr.max_len);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    /* Frames per burst at a target rate: --burst-us worth, within [1, batch]. */
    uint64_t burst = (uint64_t)(pps * burst_us / 1e6);
    if (burst < 1) burst = 1;
    if (burst > (uint64_t)batch) burst = (uint64_t)batch;

    uint64_t tx0 = sysfs_counter(ifname, "tx_packets");
    uint64_t txd0 = sysfs_counter(ifname, "tx_dropped");
    size_t cursor = 0;
    int64_t t0 = mono_ns(), now = t0;
    int64_t limit_ns = seconds > 0 ? (int64_t)(seconds * 1e9) : 0;
    while (!stop && (!count || s.sent < count)) {
        uint64_t left = count ? count - s.sent : UINT64_MAX;
        uint64_t want = (uint64_t)batch;
        if (pps > 0) {
            /* frames due by now: floor((now - t0) * pps) + 1 (frame 0 at t0) */
            uint64_t need = burst < left ? burst : left;
            for (;;) {
                now = mono_ns();
                uint64_t due = (uint64_t)((double)(now - t0) * pps / 1e9) + 1;
                if (due >= s.sent + need) {
                    want = due - s.sent;
                    break;
                }
                int64_t wait = (int64_t)((double)(s.sent + need - due) * 1e9 / pps);
                if (wait > SPIN_BELOW_NS) {
                    struct timespec ts = {0, wait - SPIN_BELOW_NS / 2};
                    nanosleep(&ts, NULL);
                }
                if (stop) break;
            }
            if (stop) break;
            if (want > (uint64_t)batch) want = (uint64_t)batch;
        } else {
            now = mono_ns();
        }
        if (limit_ns && now - t0 >= limit_ns) break;
        if (want > left) want = left;
        send_batch(&s, &fr, &cursor, (size_t)want);
    }
    if (s.ring) ring_drain(&s);
    int64_t t1 = mono_ns();
    double secs = (double)(t1 - t0) / 1e9;
    uint64_t tx = sysfs_counter(ifname, "tx_packets") - tx0;
    uint64_t txd = sysfs_counter(ifname, "tx_dropped") - txd0;
    printf("mode=%s frames=%llu bytes=%llu secs=%.3f pps=%.0f mbps=%.1f if_tx=%llu "
           "if_tx_dropped=%llu errors=%llu loaded=%zu\n",
           s.ring ? "ring" : "mmsg", (unsigned long long)s.sent, (unsigned long long)s.bytes, secs,
           secs > 0 ? (double)s.sent / secs : 0, secs > 0 ? (double)s.bytes * 8 / secs / 1e6 : 0,
           (unsigned long long)tx, (unsigned long long)txd, (unsigned long long)s.errors, fr.n);
    if (s.map) munmap(s.map, s.map_len);
    close(s.fd);
    free(fr.buf);
    free(fr.off);
    free(fr.len);
    return 0;
}
