/* blast.c - benchmark traffic source: replays the frames of a capture file
 * into an interface, faster than tcpreplay can.
 *
 * Design.  The capture (Ethernet link type only) is read once with libpcap
 * into one contiguous buffer plus an index of (offset, length); with -n only
 * the frames that will be sent are loaded.  Frames go out of AF_PACKET
 * sockets bound to the interface with protocol 0 (so the kernel never loops
 * our own frames back to us) and PACKET_QDISC_BYPASS (straight to the
 * driver's xmit: no qdisc, no taps), in one of two modes:
 *
 *   mmsg (default)  sendmmsg() of up to --batch frames per call, straight
 *                   from the load buffer.
 *   ring            a PACKET_TX_RING (TPACKET_V2): frames are copied into
 *                   ring slots and one send(MSG_DONTWAIT) hands the whole
 *                   batch to the kernel; a slot is reused once the kernel
 *                   set it back to AVAILABLE (when the skb is freed).
 *                   PACKET_LOSS is on, so a frame the kernel rejects (e.g.
 *                   longer than the MTU) is skipped, not fatal.  On veth it
 *                   is slower than mmsg: the ring's pages are attached to
 *                   the skb and veth copies them again (skb_copy_ubufs).
 *
 * Threads (-t N): the kernel's transmit work (skb allocation, veth xmit and,
 * on a veth, the peer's whole receive path in the same softirq) costs ~2 us
 * a frame, so one sender thread tops out near 400-500 kpps.  With N threads,
 * each with its own socket, frames are dealt by a symmetric hash of the
 * IP addresses and ports, so both directions of a flow go through one
 * thread in file order; each thread sends its share at its share of the
 * rate.  --cpu C pins thread j to CPU (C + j) mod CPUs.
 *
 * Rate: with --pps R, frame k (of a thread's share) is due at start + k/R.
 * The sender waits until a burst of --burst-us worth of frames (at least 1,
 * at most --batch) is due: nanosleep while more than 2 ms remain, busy-wait
 * below that (a 500 kpps stream cannot be paced with timer sleeps); after a
 * stall it sends what is due, --batch at a time.  --topspeed (or --pps 0)
 * sends batches back to back.  The file is looped as many times as needed;
 * it stops after -n frames, after -d seconds, or on SIGINT/SIGTERM.
 *
 * At the end one line of key=value figures goes to stdout: frames handed to
 * the kernel, bytes, seconds (first frame to the last thread's end),
 * achieved pps and Mbit/s, and the interface's own tx_packets / tx_dropped
 * deltas (sysfs), the ground truth of what left.  Used by bench_live.sh;
 * not a test.
 *
 *   blast -i IFACE [--pps R | --topspeed] [-n FRAMES] [-d SECONDS] [-t N]
 *         [--mode mmsg|ring] [--batch N] [--burst-us US] [--cpu C]
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
#include <pthread.h>
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
#define MAX_THREADS   16
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
    /* set up by main */
    const frames_t *fr;
    uint32_t *idx; /* this thread's frames, in file order */
    size_t n_idx;
    uint64_t count; /* frames to send (0: until -d or a signal) */
    double pps;     /* this thread's rate (0: top speed) */
    int cpu;        /* pin to this CPU, or -1 */
    int fd;
    bool ring;
    /* TX ring */
    uint8_t *map;
    size_t map_len;
    uint32_t frame_size, frame_nr, head;
    /* sendmmsg */
    struct mmsghdr msgs[MAX_BATCH];
    struct iovec iov[MAX_BATCH];
    /* results */
    uint64_t sent, bytes, errors;
    int64_t end_ns;
} sender_t;

static volatile sig_atomic_t stop;
static int batch = 64, burst_us = 50;
static int64_t t0, limit_ns;
static pthread_barrier_t start_line;

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
    while ((!limit || fr->n < limit) && pcap_next_ex(p, &h, &data) == 1) {
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

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Symmetric flow hash of an Ethernet frame: IPv4/IPv6 addresses, protocol
 * and UDP/TCP ports (first fragments and unfragmented only), combined with
 * XOR and + so that both directions hash alike; 0 for anything else. */
static uint32_t flow_hash(const uint8_t *f, uint32_t len)
{
    uint32_t o = 12;
    uint16_t type = 0;
    for (;;) {
        if (o + 2 > len) return 0;
        type = (uint16_t)(f[o] << 8 | f[o + 1]);
        if (type != 0x8100 && type != 0x88a8) break;
        o += 4;
    }
    o += 2;
    uint32_t h = 0, l4 = 0;
    uint8_t proto = 0;
    if (type == 0x0800 && o + 20 <= len) {
        const uint8_t *ip = f + o;
        proto = ip[9];
        h = rd32(ip + 12) ^ rd32(ip + 16);
        bool first = ((ip[6] & 0x1f) | ip[7]) == 0;
        if (first) l4 = o + (uint32_t)(ip[0] & 0x0f) * 4;
    } else if (type == 0x86dd && o + 40 <= len) {
        const uint8_t *ip = f + o;
        proto = ip[6];
        for (int k = 8; k < 40; k += 4)
            h ^= rd32(ip + k);
        l4 = o + 40;
    } else {
        return 0;
    }
    if ((proto == 17 || proto == 6) && l4 && l4 + 4 <= len) {
        uint32_t a = (uint32_t)(f[l4] << 8 | f[l4 + 1]), b = (uint32_t)(f[l4 + 2] << 8 | f[l4 + 3]);
        h ^= a + b;
    }
    h ^= proto;
    h *= 0x9e3779b1u;
    return h ^ (h >> 16);
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

static bool slot_busy(sender_t *s, uint32_t i)
{
    uint32_t st = __atomic_load_n(&slot(s, i)->tp_status, __ATOMIC_ACQUIRE);
    return (st & (TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING)) != 0;
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
    while (slot_busy(s, i)) {
        ring_kick(s);
        if (!slot_busy(s, i)) break;
        struct pollfd pfd = {.fd = s->fd, .events = POLLOUT};
        poll(&pfd, 1, 1);
    }
}

/* Send the next n frames of this thread's share (from *cursor, wrapping). */
static void send_batch(sender_t *s, size_t *cursor, size_t n)
{
    const frames_t *fr = s->fr;
    if (s->ring) {
        for (size_t k = 0; k < n; k++) {
            uint32_t i = s->head, f = s->idx[*cursor];
            ring_wait_slot(s, i);
            struct tpacket2_hdr *h = slot(s, i);
            memcpy((uint8_t *)h + TPACKET2_HDRLEN - sizeof(struct sockaddr_ll),
                   fr->buf + fr->off[f], fr->len[f]);
            h->tp_len = fr->len[f];
            __atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
            s->bytes += fr->len[f];
            s->head = (i + 1) % s->frame_nr;
            if (++*cursor == s->n_idx) *cursor = 0;
        }
        ring_kick(s);
        s->sent += n;
        return;
    }
    size_t c = *cursor;
    for (size_t k = 0; k < n; k++) {
        uint32_t f = s->idx[c];
        s->iov[k].iov_base = fr->buf + fr->off[f];
        s->iov[k].iov_len = fr->len[f];
        memset(&s->msgs[k].msg_hdr, 0, sizeof s->msgs[k].msg_hdr);
        s->msgs[k].msg_hdr.msg_iov = &s->iov[k];
        s->msgs[k].msg_hdr.msg_iovlen = 1;
        if (++c == s->n_idx) c = 0;
    }
    size_t done = 0;
    while (done < n && !stop) {
        int rc = sendmmsg(s->fd, s->msgs + done, (unsigned)(n - done), 0);
        if (rc < 0) {
            if (errno == EINTR) continue;
            if (errno == ENOBUFS || errno == EAGAIN || errno == EMSGSIZE || errno == EINVAL) {
                /* this frame was refused (device busy, too long): count, skip */
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
    *cursor = (*cursor + done) % s->n_idx;
}

static void *sender_main(void *arg)
{
    sender_t *s = arg;
    if (s->cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(s->cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) < 0) die("sched_setaffinity");
    }
    /* Frames per burst at a target rate: --burst-us worth, within [1, batch]. */
    uint64_t burst = (uint64_t)(s->pps * burst_us / 1e6);
    if (burst < 1) burst = 1;
    if (burst > (uint64_t)batch) burst = (uint64_t)batch;
    size_t cursor = 0;
    pthread_barrier_wait(&start_line);
    int64_t now = t0;
    while (!stop && (!s->count || s->sent < s->count)) {
        uint64_t left = s->count ? s->count - s->sent : UINT64_MAX;
        uint64_t want = (uint64_t)batch;
        if (s->pps > 0) {
            /* frames due by now: floor((now - t0) * pps) + 1 (frame 0 at t0) */
            uint64_t need = burst < left ? burst : left;
            for (;;) {
                now = mono_ns();
                double d = (double)(now - t0) * s->pps / 1e9;
                uint64_t due = d < 0 ? 0 : (uint64_t)d + 1;
                if (due >= s->sent + need) {
                    want = due - s->sent;
                    break;
                }
                int64_t wait = (int64_t)((double)(s->sent + need - due) * 1e9 / s->pps);
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
        send_batch(s, &cursor, (size_t)want);
    }
    if (s->ring)
        for (uint32_t i = 0; i < s->frame_nr; i++)
            ring_wait_slot(s, i);
    s->end_ns = mono_ns();
    return NULL;
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
    fprintf(stderr, "usage: blast -i IFACE [--pps R | --topspeed] [-n FRAMES] [-d SECONDS] [-t N]\n"
                    "             [--mode mmsg|ring] [--batch N] [--burst-us US] [--cpu C]\n"
                    "             [--no-bypass] FILE\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *ifname = NULL;
    double pps = 0, seconds = 0;
    uint64_t count = 0;
    int threads = 1, cpu = -1;
    bool bypass = true, ring = false;
    static const struct option opts[] = {
        {"pps", required_argument, NULL, 'r'},      {"topspeed", no_argument, NULL, 'T'},
        {"mode", required_argument, NULL, 'm'},     {"batch", required_argument, NULL, 'b'},
        {"burst-us", required_argument, NULL, 'u'}, {"cpu", required_argument, NULL, 'c'},
        {"no-bypass", no_argument, NULL, 'B'},      {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "i:r:n:d:t:", opts, NULL)) != -1) {
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
        case 't':
            threads = atoi(optarg);
            break;
        case 'm':
            if (strcmp(optarg, "ring") == 0)
                ring = true;
            else if (strcmp(optarg, "mmsg") == 0)
                ring = false;
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
    if (!ifname || optind != argc - 1 || batch < 1 || batch > MAX_BATCH || pps < 0 ||
        burst_us < 0 || threads < 1 || threads > MAX_THREADS)
        usage();

    frames_t fr;
    memset(&fr, 0, sizeof fr);
    if (load(argv[optind], count, &fr) != 0) return 1;
    if (fr.n > UINT32_MAX) {
        fprintf(stderr, "blast: too many frames\n");
        return 1;
    }
    if (!count && !seconds) count = fr.n; /* default: the file once */

    /* Deal the frames to the threads by flow; share j sends count * n_j / n. */
    static sender_t s[MAX_THREADS];
    for (int j = 0; j < threads; j++) {
        s[j].idx = malloc(fr.n * sizeof *s[j].idx);
        if (!s[j].idx) die("malloc");
    }
    for (size_t i = 0; i < fr.n; i++) {
        int j =
            threads > 1 ? (int)(flow_hash(fr.buf + fr.off[i], fr.len[i]) % (uint32_t)threads) : 0;
        s[j].idx[s[j].n_idx++] = (uint32_t)i;
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    uint64_t given = 0;
    int active = 0;
    for (int j = 0; j < threads; j++) {
        s[j].fr = &fr;
        s[j].ring = ring;
        s[j].cpu = cpu >= 0 ? (int)((cpu + j) % (ncpu > 0 ? ncpu : 1)) : -1;
        double share = (double)s[j].n_idx / (double)fr.n;
        s[j].pps = pps * share;
        s[j].count = count ? (uint64_t)((double)count * share) : 0;
        given += s[j].count;
        if (s[j].n_idx == 0) continue;
        open_socket(&s[j], ifname, bypass, fr.max_len);
        active++;
    }
    for (int j = 0; count && given < count; j = (j + 1) % threads)
        if (s[j].n_idx) s[j].count++, given++;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    uint64_t tx0 = sysfs_counter(ifname, "tx_packets");
    uint64_t txd0 = sysfs_counter(ifname, "tx_dropped");
    limit_ns = seconds > 0 ? (int64_t)(seconds * 1e9) : 0;
    pthread_barrier_init(&start_line, NULL, (unsigned)active + 1);
    pthread_t tid[MAX_THREADS];
    for (int j = 0; j < threads; j++)
        if (s[j].n_idx) pthread_create(&tid[j], NULL, sender_main, &s[j]);
    t0 = mono_ns(); /* all threads pace from the same instant */
    pthread_barrier_wait(&start_line);
    uint64_t sent = 0, bytes = 0, errors = 0;
    int64_t end = t0;
    for (int j = 0; j < threads; j++) {
        if (!s[j].n_idx) continue;
        pthread_join(tid[j], NULL);
        sent += s[j].sent, bytes += s[j].bytes, errors += s[j].errors;
        if (threads > 1)
            fprintf(stderr, "blast: thread %d: %llu frames in %.3f s (cpu %d)\n", j,
                    (unsigned long long)s[j].sent, (double)(s[j].end_ns - t0) / 1e9, s[j].cpu);
        if (s[j].end_ns > end) end = s[j].end_ns;
    }
    double secs = (double)(end - t0) / 1e9;
    uint64_t tx = sysfs_counter(ifname, "tx_packets") - tx0;
    uint64_t txd = sysfs_counter(ifname, "tx_dropped") - txd0;
    printf("mode=%s threads=%d frames=%llu bytes=%llu secs=%.3f pps=%.0f mbps=%.1f if_tx=%llu "
           "if_tx_dropped=%llu errors=%llu loaded=%zu\n",
           ring ? "ring" : "mmsg", threads, (unsigned long long)sent, (unsigned long long)bytes,
           secs, secs > 0 ? (double)sent / secs : 0, secs > 0 ? (double)bytes * 8 / secs / 1e6 : 0,
           (unsigned long long)tx, (unsigned long long)txd, (unsigned long long)errors, fr.n);
    for (int j = 0; j < threads; j++) {
        if (s[j].map) munmap(s[j].map, s[j].map_len);
        if (s[j].n_idx) close(s[j].fd);
        free(s[j].idx);
    }
    free(fr.buf);
    free(fr.off);
    free(fr.len);
    return 0;
}
