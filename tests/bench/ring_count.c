/* ring_count.c - benchmark helper: reads an interface through N live
 * capture rings (one thread each, one fanout group), decodes every frame
 * and counts frames, datagrams and SIP messages; at the end prints one line
 * of key=value figures: kernel counters (packets, drops, freeze_q), what was
 * delivered and decoded, the time between the first and last frame, and
 * the CPU the process used (getrusage: user and system seconds).
 *
 * Used by bench_live.sh; not a test.  It stops on SIGINT/SIGTERM, or once
 * frames have arrived and none came for --idle-ms.  "ready" is written to
 * stderr when every ring is open, so a script can start the traffic.
 *
 *   ring_count -i IFACE [-t THREADS] [--libpcap] [--filter BPF]
 *              [--blocks N] [--block-size BYTES] [--idle-ms MS] [--no-decode]
 */
#include "capture.h"
#include "proto.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 16

typedef struct {
    cap_ring_t *ring;
    bool decode;
    uint64_t datagrams, sip;
    int64_t first_ns, last_ns; /* CLOCK_MONOTONIC of first/last frame */
    cap_ring_stats_t st;
    cap_stats_t dst;
    int error;
} worker_t;

static atomic_bool stop;
static atomic_int_fast64_t last_frame_ms; /* 0 until a frame arrived */

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&stop, true);
}

static void count_cb(void *user, const datagram_t *dg)
{
    worker_t *w = user;
    w->datagrams++;
    if (sip_probe(dg->data, dg->len)) w->sip++;
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    cap_decoder_t *d = w->decode ? cap_decoder_new(NULL, count_cb, w) : NULL;
    cap_frame_t f;
    int64_t next_expire = 0;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        int rc = cap_ring_next(w->ring, &f, 100);
        if (rc < 0) {
            fprintf(stderr, "ring_count: %s\n", cap_ring_error(w->ring));
            w->error = 1;
            break;
        }
        if (rc == 0) continue;
        int64_t now = 0;
        if (!w->first_ns) w->first_ns = now = mono_ns();
        if (d) {
            cap_decode_frame(d, &f);
            if (f.ts_ns >= next_expire) {
                cap_decoder_expire(d, f.ts_ns);
                next_expire = f.ts_ns + NS_PER_SEC;
            }
        }
        /* Drain what is ready, then note the time once per batch. */
        while ((rc = cap_ring_next(w->ring, &f, 0)) == 1)
            if (d) cap_decode_frame(d, &f);
        w->last_ns = now = mono_ns();
        atomic_store_explicit(&last_frame_ms, now / 1000000, memory_order_relaxed);
        if (rc < 0) {
            fprintf(stderr, "ring_count: %s\n", cap_ring_error(w->ring));
            w->error = 1;
            break;
        }
    }
    cap_ring_stats(w->ring, &w->st);
    if (d) {
        w->dst = *cap_decoder_stats(d);
        cap_decoder_free(d);
    }
    return NULL;
}

static void usage(void)
{
    fprintf(stderr, "usage: ring_count -i IFACE [-t THREADS] [--libpcap] [--filter BPF]\n"
                    "                  [--blocks N] [--block-size BYTES] [--idle-ms MS]"
                    " [--no-decode]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    cap_ring_config_t cfg;
    cap_ring_config_default(&cfg);
    cfg.promisc = true;
    int threads = 1, idle_ms = 1000;
    bool decode = true;
    static const struct option opts[] = {{"libpcap", no_argument, NULL, 'l'},
                                         {"filter", required_argument, NULL, 'f'},
                                         {"blocks", required_argument, NULL, 'b'},
                                         {"block-size", required_argument, NULL, 's'},
                                         {"idle-ms", required_argument, NULL, 'w'},
                                         {"no-decode", no_argument, NULL, 'n'},
                                         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "i:t:", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            cfg.ifname = optarg;
            break;
        case 't':
            threads = atoi(optarg);
            break;
        case 'l':
            cfg.use_libpcap = true;
            break;
        case 'f':
            cfg.bpf = optarg;
            break;
        case 'b':
            cfg.block_count = (uint32_t)strtoul(optarg, NULL, 10);
            break;
        case 's':
            cfg.block_size = (uint32_t)strtoul(optarg, NULL, 10);
            break;
        case 'w':
            idle_ms = atoi(optarg);
            break;
        case 'n':
            decode = false;
            break;
        default:
            usage();
        }
    }
    if (!cfg.ifname || threads < 1 || threads > MAX_THREADS) usage();
    if (threads > 1) cfg.fanout_group = (uint16_t)(2000 + getpid() % 60000);

    worker_t w[MAX_THREADS];
    memset(w, 0, sizeof w);
    char err[256];
    for (int i = 0; i < threads; i++) {
        w[i].decode = decode;
        w[i].ring = cap_ring_open(&cfg, err, sizeof err);
        if (!w[i].ring) {
            fprintf(stderr, "ring_count: %s\n", err);
            return 1;
        }
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    pthread_t tid[MAX_THREADS];
    for (int i = 0; i < threads; i++)
        pthread_create(&tid[i], NULL, worker_main, &w[i]);
    fprintf(stderr, "ready\n");
    while (!atomic_load(&stop)) {
        usleep(20000);
        int64_t last = atomic_load(&last_frame_ms);
        if (last && mono_ns() / 1000000 - last > idle_ms) atomic_store(&stop, true);
    }
    for (int i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);
    getrusage(RUSAGE_SELF, &ru1);

    cap_ring_stats_t t;
    memset(&t, 0, sizeof t);
    uint64_t datagrams = 0, sip = 0, decoded = 0;
    int64_t first = 0, last = 0;
    int errors = 0;
    for (int i = 0; i < threads; i++) {
        t.packets += w[i].st.packets;
        t.drops += w[i].st.drops;
        t.freeze_q += w[i].st.freeze_q;
        t.if_drops += w[i].st.if_drops;
        t.frames += w[i].st.frames;
        t.bytes += w[i].st.bytes;
        datagrams += w[i].datagrams;
        sip += w[i].sip;
        decoded += w[i].dst.frames;
        if (w[i].first_ns && (!first || w[i].first_ns < first)) first = w[i].first_ns;
        if (w[i].last_ns > last) last = w[i].last_ns;
        errors += w[i].error;
        cap_ring_close(w[i].ring);
    }
    double user = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
                  (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6;
    double sys = (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                 (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
    double span = first && last > first ? (double)(last - first) / 1e9 : 0;
    printf("backend=%s threads=%d packets=%llu drops=%llu freeze_q=%llu if_drops=%llu "
           "frames=%llu bytes=%llu decoded=%llu datagrams=%llu sip=%llu span_s=%.3f "
           "cpu_user_s=%.3f cpu_sys_s=%.3f errors=%d\n",
           cfg.use_libpcap ? "libpcap" : "afpacket", threads, (unsigned long long)t.packets,
           (unsigned long long)t.drops, (unsigned long long)t.freeze_q,
           (unsigned long long)t.if_drops, (unsigned long long)t.frames,
           (unsigned long long)t.bytes, (unsigned long long)decoded, (unsigned long long)datagrams,
           (unsigned long long)sip, span, user, sys, errors);
    return errors ? 1 : 0;
}
