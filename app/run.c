/* run.c - `siphon run`: the live daemon.
 *
 * Start-up, in this order:
 *   1. the configuration: -c FILE, else /etc/siphon/siphon.conf when it
 *      exists, else the defaults (with a warning); then --section.key=value;
 *      log.file, when set, takes the log lines from then on;
 *   2. the root check: running as root with neither capture.user nor
 *      --allow-root / capture.allow_root is refused (exit 1) before anything
 *      is opened;
 *   3. the sources: for each of capture.threads capture threads (0: one per
 *      CPU), one ring per capture.interfaces entry; with more than one
 *      thread the rings of an interface share a PACKET_FANOUT group, so the
 *      kernel spreads flows over the threads (both directions of a flow on
 *      one thread).  With no interface, the capture.file list (cap_files),
 *      read by the main thread;
 *   4. cap_drop_privileges(capture.user) once every source is open, before
 *      any thread starts.
 *
 * Threads (ARCHITECTURE.md, "Threads and queues"):
 *   capture thread t: poll(its rings, 100 ms) -> cap_ring_next (a batch per
 *     ring, so one busy interface cannot starve another) -> its own
 *     cap_decoder -> pl_submit (pipeline.h): routed to a correlator shard;
 *   correlator.shards shard threads (0 = 1): correlate and hand records
 *     to the consumers (fanout.h): the table/NDJSON writer (output.h)
 *     writes them as calls end, and lifecycle events with --json;
 *   the main thread: signals, statistics lines, SIGHUP reload.
 * Expiry: each capture thread runs its decoder's expiry and broadcasts an
 * expiry point to the shards each time its capture clock passes a whole
 * second, and also once per second of wall time with now = max(latest
 * packet time, real time), so calls still end when traffic stops.  Live
 * packet times are the kernel's receive times, so the two clocks agree.
 * Replaying capture.file uses packet time only and is lossless (the reader
 * waits for the shards); live capture never waits: a full shard queue drops
 * the datagram and counts it (queue_drops), so capture keeps up.
 *
 * Every log.stats_interval (wall time; 0: never) one line per interface
 * (frames, bytes, kernel ring drops, interface drops, summed over its
 * capture threads) and one line for decoders, queues and correlators are
 * logged whatever log.level says: they are the daemon's heartbeat.
 *
 * Signals are blocked in every thread and taken by the main thread with
 * sigtimedwait.  SIGINT/SIGTERM: capture threads stop, the shards drain
 * their queues and flush every call in flight (open_at_end), the summary is
 * written and the exit status is 0.  SIGHUP: log.file is reopened (after
 * logrotate), and the configuration is read again (same file, same
 * command-line settings): log.level and log.stats_interval take effect at
 * once; any other key that changed is named in a warning (it needs a
 * restart: rings, tables and threads are sized at start); a configuration
 * with errors is rejected and the running one kept.
 *
 * Exit status: 0 after a signal or at the end of capture.file; 1 when
 * start-up fails (root refused, a ring or file cannot be opened, the
 * privilege drop fails), when every ring failed, or when a capture file was
 * cut short; 2 on usage errors.
 */
#include "app.h"
#include "config_map.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RUN_POLL_MS 100
#define RUN_BATCH   256 /* frames taken from one ring before the next */
#define RUN_ERRMAX  512
/* An idle capture thread tells the pipeline it has passed "now" minus a
 * lag: a frame the kernel already stamped may still sit in a ring block
 * that is handed over only at the block timeout (10 ms by default), later
 * when the machine is loaded (its timer runs late).  Too short, and early
 * RTP of a call whose SIP another capture thread has not read yet is taken
 * for an orphan; longer, and the correlators run that much behind an idle
 * capture thread (the queues buffer it).  The lag is at least
 * RUN_IDLE_LAG_NS and at least twice the longest delivery delay seen
 * recently (now minus the kernel's stamp of the last frame of a batch, the
 * largest over every capture thread, halved every second): on a quiet
 * machine 100 ms; on a loaded one it follows the load.  30 ms let the
 * sanitizer build under load misplace early RTP in tests/integration/
 * test_run_live.sh, a fixed 100 ms once in test_sipp_live.sh. */
#define RUN_IDLE_LAG_NS (100 * NS_PER_MSEC)

typedef struct run run_t;

/* One capture thread: its rings (one per interface), its decoder. */
typedef struct {
    run_t *r;
    uint32_t index; /* producer index in the pipeline */
    cap_ring_t **rings;
    bool *failed;
    cap_decoder_t *dec;
    pthread_t thread;
    bool started;
    int64_t last_ts, next_expire;
    /* published for the main thread (lock) */
    pthread_mutex_t lock;
    cap_ring_stats_t *ring_snap; /* per interface */
    cap_stats_t dec_snap;
    bool all_failed;
} run_worker_t;

struct run {
    siphon_config_t *cfg;
    fan_t *fan; /* the consumers */
    out_t *out; /* the table/NDJSON writer among them */
    pl_stage_t corr;
    run_worker_t *w;
    uint32_t nw;
    int n_ifaces;
    cap_ring_stats_t *last_logged; /* per interface, at the previous stats line */
    _Atomic bool stop;
    _Atomic int64_t max_delay_ns; /* recent worst frame delivery delay */
    /* for SIGHUP: how the configuration was made */
    int argc;
    char **argv;
    const char *default_path;
};

static int64_t clock_real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static unsigned long long ull(uint64_t v)
{
    return (unsigned long long)v;
}

/* ---------------------------- capture threads --------------------------- */

static void worker_expire(run_worker_t *w, int64_t now_ns)
{
    cap_decoder_expire(w->dec, now_ns);
    pl_stage_expire(&w->r->corr, w->index, now_ns);
}

static void worker_frame(run_worker_t *w, const cap_frame_t *f)
{
    if (f->ts_ns > w->last_ts) w->last_ts = f->ts_ns;
    pl_stage_frame(&w->r->corr, w->index, w->dec, &w->next_expire, f);
}

/* Ring counters can only be read by the ring's own thread (the kernel
 * resets its counters at each read): the thread publishes copies. */
static void worker_publish(run_worker_t *w)
{
    run_t *r = w->r;
    pthread_mutex_lock(&w->lock);
    for (int i = 0; w->rings && i < r->n_ifaces; i++)
        cap_ring_stats(w->rings[i], &w->ring_snap[i]);
    w->dec_snap = *cap_decoder_stats(w->dec);
    pthread_mutex_unlock(&w->lock);
}

static void *worker_main(void *arg)
{
    run_worker_t *w = arg;
    run_t *r = w->r;
    struct pollfd pfd[64];
    int64_t mono = clock_mono_ns(), next_wall = mono + NS_PER_SEC;
    cap_frame_t frame;
    while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
        bool busy = false;
        int live = 0;
        int64_t batch_last_ts = 0;
        for (int i = 0; i < r->n_ifaces; i++) {
            if (w->failed[i]) continue;
            for (int n = 0; n < RUN_BATCH; n++) {
                int got = cap_ring_next(w->rings[i], &frame, 0);
                if (got == 1) {
                    worker_frame(w, &frame);
                    if (frame.ts_ns > batch_last_ts) batch_last_ts = frame.ts_ns;
                    busy = true;
                    continue;
                }
                if (got < 0) {
                    log_error("capture on %s failed: %s", r->cfg->capture.interfaces.items[i],
                              cap_ring_error(w->rings[i]));
                    w->failed[i] = true;
                }
                break;
            }
            if (!w->failed[i] && live < 64)
                pfd[live++] = (struct pollfd){.fd = cap_ring_fd(w->rings[i]), .events = POLLIN};
        }
        if (live == 0) {
            pthread_mutex_lock(&w->lock);
            w->all_failed = true;
            pthread_mutex_unlock(&w->lock);
            break;
        }
        int64_t real = clock_real_ns();
        if (busy) {
            int64_t delay = real - batch_last_ts, seen = atomic_load(&r->max_delay_ns);
            while (delay > seen && !atomic_compare_exchange_weak(&r->max_delay_ns, &seen, delay))
                ;
        } else {
            int64_t lag = 2 * atomic_load_explicit(&r->max_delay_ns, memory_order_relaxed);
            pl_stage_idle(&r->corr, w->index,
                          real - (lag > RUN_IDLE_LAG_NS ? lag : RUN_IDLE_LAG_NS));
        }
        mono = clock_mono_ns();
        if (mono >= next_wall) {
            if (w->index == 0) /* forget old delays: halve the worst every second */
                atomic_store(&r->max_delay_ns, atomic_load(&r->max_delay_ns) / 2);
            int64_t now = clock_real_ns();
            worker_expire(w, now > w->last_ts ? now : w->last_ts);
            worker_publish(w);
            next_wall = mono + NS_PER_SEC;
        }
        if (!busy && poll(pfd, (nfds_t)live, RUN_POLL_MS) < 0 && errno != EINTR) {
            log_error("poll: %s", strerror(errno));
            break;
        }
    }
    worker_publish(w);
    return NULL;
}

/* ------------------------------ statistics ------------------------------ */

/* Both are counters only; summed member by member as arrays. */
_Static_assert(sizeof(cap_stats_t) % sizeof(uint64_t) == 0, "cap_stats_t: uint64_t only");
_Static_assert(sizeof(cap_ring_stats_t) % sizeof(uint64_t) == 0, "cap_ring_stats_t: uint64_t");

/* Sums what the capture threads published: per interface and decoders. */
static void run_collect(run_t *r, cap_ring_stats_t *per_if, cap_stats_t *dec)
{
    memset(per_if, 0, (size_t)r->n_ifaces * sizeof *per_if);
    memset(dec, 0, sizeof *dec);
    for (uint32_t t = 0; t < r->nw; t++) {
        run_worker_t *w = &r->w[t];
        pthread_mutex_lock(&w->lock);
        for (int i = 0; i < r->n_ifaces; i++)
            counters_add(&per_if[i], &w->ring_snap[i], sizeof per_if[i]);
        counters_add(dec, &w->dec_snap, sizeof *dec);
        pthread_mutex_unlock(&w->lock);
    }
}

static void log_stats(run_t *r)
{
    cap_ring_stats_t per_if[64];
    cap_stats_t k;
    run_collect(r, per_if, &k);
    for (int i = 0; i < r->n_ifaces; i++) {
        const char *ifname = r->cfg->capture.interfaces.items[i];
        cap_ring_stats_t *st = &per_if[i], *last = &r->last_logged[i];
        cap_iface_stats_t is;
        char ifd[64] = "n/a";
        if (cap_iface_stats(ifname, &is) == 0)
            snprintf(ifd, sizeof ifd, "%llu",
                     ull(is.rx_dropped + is.rx_missed + is.rx_fifo_errors));
        log_write(LOG_LVL_INFO,
                  "stats %s: %llu frames (+%llu), %llu bytes, %llu kernel drops (+%llu), "
                  "%llu ring freezes, %s interface drops, %u capture threads",
                  ifname, ull(st->frames), ull(st->frames - last->frames), ull(st->bytes),
                  ull(st->drops), ull(st->drops - last->drops), ull(st->freeze_q), ifd, r->nw);
        *last = *st;
    }
    const corr_stats_t *c = pl_stage_stats(&r->corr);
    pl_stats_t ps = {0};
    if (r->corr.pl) pl_stats(r->corr.pl, &ps);
    log_write(LOG_LVL_INFO,
              "stats pipeline: %llu packets, %llu datagrams, %llu malformed, %llu queue drops, "
              "%llu SIP messages (%llu unparsed), %llu calls (%llu written, %llu timed out, %llu "
              "evicted), %llu streams (%llu evicted), %llu RTP packets",
              ull(k.frames), ull(k.datagrams_out), ull(k.truncated + k.invalid),
              ull(ps.queue_drops), ull(c->sip_messages), ull(c->sip_invalid + c->sip_incomplete),
              ull(c->calls), ull(out_calls_written(r->out)), ull(c->calls_timed_out),
              ull(c->calls_evicted), ull(c->streams), ull(c->streams_evicted), ull(c->rtp_packets));
}

/* -------------------------------- SIGHUP -------------------------------- */

static bool reloadable(const config_key_t *k)
{
    return strcmp(k->section, "log") == 0;
}

static void reload(run_t *r)
{
    siphon_config_t *cur = r->cfg;
    char err[RUN_ERRMAX];
    if (cur->log.file[0] && log_open(cur->log.file, err, sizeof err) != 0) log_error("%s", err);
    /* the same file and command-line settings as at start */
    char **argv = calloc((size_t)r->argc + 1, sizeof *argv);
    if (!argv) return;
    memcpy(argv, r->argv, (size_t)r->argc * sizeof *argv);
    int argc = r->argc;
    siphon_config_t next;
    config_defaults(&next);
    if (app_config_from_args("run", &argc, argv, r->default_path, &next, NULL) != APP_CONFIG_OK) {
        log_error("SIGHUP: the configuration has errors (above); keeping the running one");
        config_free(&next);
        free(argv);
        return;
    }
    free(argv);
    size_t n;
    const config_key_t *keys = config_schema(&n);
    buf_t a, b;
    buf_init(&a);
    buf_init(&b);
    int applied = 0, restart = 0;
    for (size_t i = 0; i < n; i++) {
        buf_reset(&a);
        buf_reset(&b);
        config_format_value(cur, &keys[i], &a);
        config_format_value(&next, &keys[i], &b);
        if (a.len == b.len && memcmp(a.data, b.data, a.len) == 0) continue;
        if (reloadable(&keys[i])) {
            applied++;
            log_write(LOG_LVL_INFO, "SIGHUP: %s.%s = %.*s", keys[i].section, keys[i].name,
                      (int)b.len, b.data);
        } else {
            restart++;
            log_warn("SIGHUP: %s.%s changed; it takes effect at the next start", keys[i].section,
                     keys[i].name);
        }
    }
    buf_free(&a);
    buf_free(&b);
    bool file_changed = strcmp(cur->log.file, next.log.file) != 0;
    cur->log.level = next.log.level;
    cur->log.stats_interval_ns = next.log.stats_interval_ns;
    if (file_changed) {
        if (next.log.file[0] && log_open(next.log.file, err, sizeof err) != 0) {
            log_error("%s", err);
        } else {
            free(cur->log.file);
            cur->log.file = next.log.file;
            next.log.file = NULL;
        }
    }
    log_set_level(app_config_log_level(cur, 0));
    config_free(&next);
    log_write(LOG_LVL_INFO, "SIGHUP: configuration reloaded (%d applied, %d need a restart)",
              applied, restart);
}

/* ------------------------------- main loop ------------------------------ */

static sigset_t run_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    return set;
}

/* A signal within timeout_ms: SIGHUP is handled here; true on INT/TERM. */
static bool wait_signal(run_t *r, int timeout_ms)
{
    sigset_t set = run_signals();
    struct timespec ts = {.tv_sec = timeout_ms / 1000, .tv_nsec = (timeout_ms % 1000) * 1000000L};
    int sig = sigtimedwait(&set, NULL, &ts);
    if (sig == SIGHUP) {
        reload(r);
        return false;
    }
    return sig == SIGINT || sig == SIGTERM;
}

/* Live: the main thread waits for a signal or for every ring to fail. */
static int loop_main(run_t *r)
{
    int64_t next_stats = INT64_MAX;
    for (;;) {
        int64_t every = r->cfg->log.stats_interval_ns, mono = clock_mono_ns();
        if (every > 0 && next_stats == INT64_MAX) next_stats = mono + every;
        if (every <= 0) next_stats = INT64_MAX;
        if (mono >= next_stats) {
            log_stats(r);
            next_stats = mono + every;
        }
        if (wait_signal(r, 200)) return 0;
        uint32_t dead = 0;
        for (uint32_t t = 0; t < r->nw; t++) {
            pthread_mutex_lock(&r->w[t].lock);
            dead += r->w[t].all_failed;
            pthread_mutex_unlock(&r->w[t].lock);
        }
        if (dead == r->nw) {
            log_error("no interface left to capture on");
            return 1;
        }
    }
}

/* capture.file in packet time, to the end (or a signal), in this thread as
 * producer 0.  Returns the number of read errors. */
static int loop_files(run_t *r, cap_files_t *files)
{
    run_worker_t *w = &r->w[0];
    int64_t next_stats = r->cfg->log.stats_interval_ns > 0
                             ? clock_mono_ns() + r->cfg->log.stats_interval_ns
                             : INT64_MAX;
    int read_errors = 0;
    uint64_t frames = 0;
    char err[RUN_ERRMAX];
    cap_frame_t frame;
    for (;;) {
        int got = cap_files_next(files, &frame, err, sizeof err);
        if (got == 0) break;
        if (got < 0) {
            log_error("%s", err);
            read_errors++;
            continue;
        }
        worker_frame(w, &frame);
        if ((++frames & 0x3ff) == 0) {
            if (wait_signal(r, 0)) break;
            if (clock_mono_ns() >= next_stats) {
                worker_publish(w);
                log_stats(r);
                next_stats = clock_mono_ns() + r->cfg->log.stats_interval_ns;
            }
        }
    }
    worker_publish(w);
    return read_errors;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: siphon run [-c FILE] [--SECTION.KEY=VALUE...] [--json] [--streams]\n"
               "                  [--allow-root] [-v]\n"
               "\n"
               "Captures live on capture.interfaces (or replays capture.file when no interface\n"
               "is set), rebuilds SIP calls and RTP streams and writes each call when it ends.\n"
               "Stops on SIGINT/SIGTERM: calls in flight are written, then a summary.\n"
               "SIGHUP reopens log.file and reloads the log settings.\n"
               "\n"
               "  -c FILE                configuration file (default " CONFIG_DEFAULT_PATH ";\n"
               "                         when it does not exist: the defaults, with a warning)\n"
               "  --SECTION.KEY=VALUE    one setting, e.g. --capture.interfaces=eth1,eth2\n"
               "  --json                 NDJSON on stdout (as `siphon analyze --json --events`:\n"
               "                         records and lifecycle events)\n"
               "  --streams              in the table, list each call's streams\n"
               "  --allow-root           keep running as root when capture.user is not set\n"
               "                         (same as capture.allow_root = true)\n"
               "  -v, --verbose          log more (repeat for debug)\n"
               "  -h, --help             this help\n");
}

static int run_main(run_t *r, int argc, char **argv, bool no_config_file);

int cmd_run(int argc, char **argv)
{
    siphon_config_t cfg;
    config_defaults(&cfg);
    run_t r;
    memset(&r, 0, sizeof r);
    r.cfg = &cfg;
    /* the arguments as given, for SIGHUP (app_config_from_args compacts argv) */
    r.argc = argc;
    r.argv = calloc((size_t)argc + 1, sizeof *r.argv);
    if (!r.argv) return 1;
    memcpy(r.argv, argv, (size_t)argc * sizeof *argv);
    r.default_path = access(CONFIG_DEFAULT_PATH, F_OK) == 0 ? CONFIG_DEFAULT_PATH : NULL;
    const char *used = NULL;
    int rc = app_config_from_args("run", &argc, argv, r.default_path, &cfg, &used);
    if (rc == APP_CONFIG_OK)
        rc = run_main(&r, argc, argv, used == NULL);
    else
        rc = 2;
    free(r.argv);
    config_free(&cfg);
    return rc;
}

static void free_workers(run_t *r)
{
    for (uint32_t t = 0; r->w && t < r->nw; t++) {
        run_worker_t *w = &r->w[t];
        for (int i = 0; w->rings && i < r->n_ifaces; i++)
            if (w->rings[i]) cap_ring_close(w->rings[i]);
        if (w->dec) cap_decoder_free(w->dec);
        free(w->rings);
        free(w->failed);
        free(w->ring_snap);
        pthread_mutex_destroy(&w->lock);
    }
    free(r->w);
    r->w = NULL;
    free(r->last_logged);
    r->last_logged = NULL;
}

/* nw workers, each with a ring per interface (NULL rings for files). */
static int open_workers(run_t *r, uint32_t nw, bool live, char *err, size_t errlen)
{
    const siphon_config_t *cfg = r->cfg;
    r->w = calloc(nw, sizeof *r->w);
    r->last_logged = calloc((size_t)r->n_ifaces + 1, sizeof *r->last_logged);
    if (!r->w || !r->last_logged) return snprintf(err, errlen, "out of memory"), -1;
    r->nw = nw;
    for (uint32_t t = 0; t < nw; t++) {
        run_worker_t *w = &r->w[t];
        *w = (run_worker_t){.r = r, .index = t};
        pthread_mutex_init(&w->lock, NULL);
        w->ring_snap = calloc((size_t)r->n_ifaces + 1, sizeof *w->ring_snap);
        w->failed = calloc((size_t)r->n_ifaces + 1, sizeof *w->failed);
        if (!w->ring_snap || !w->failed) return snprintf(err, errlen, "out of memory"), -1;
        if (!live) continue;
        w->rings = calloc((size_t)r->n_ifaces, sizeof *w->rings);
        if (!w->rings) return snprintf(err, errlen, "out of memory"), -1;
        for (int i = 0; i < r->n_ifaces; i++) {
            cap_ring_config_t rc;
            cap_ring_config_default(&rc);
            app_config_to_ring_config(cfg, cfg->capture.interfaces.items[i], &rc);
            /* one fanout group per interface, unique to this process */
            if (nw > 1) rc.fanout_group = (uint16_t)((getpid() * 64 + i) % 65000 + 1);
            w->rings[i] = cap_ring_open(&rc, err, errlen);
            if (!w->rings[i]) return -1;
            if (t == 0)
                log_info("capturing on %s (%u threads)", cfg->capture.interfaces.items[i], nw);
        }
    }
    return 0;
}

static int run_main(run_t *r, int argc, char **argv, bool no_config_file)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},       {"streams", no_argument, NULL, 's'},
        {"allow-root", no_argument, NULL, 'R'}, {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
    };
    siphon_config_t *cfg = r->cfg;
    out_format_t format = OUT_TABLE;
    bool streams_in_table = false, allow_root = cfg->capture.allow_root;
    int verbosity = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            format = OUT_JSON;
            break;
        case 's':
            streams_in_table = true;
            break;
        case 'R':
            allow_root = true;
            break;
        case 'v':
            verbosity++;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "siphon run: unexpected argument '%s' (capture files go in capture.file)\n",
                argv[optind]);
        usage(stderr);
        return 2;
    }
    /* signals go to the main thread only (sigtimedwait): blocked before
     * anything is opened or started, so an early one waits for the loop */
    sigset_t sigs = run_signals();
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    log_set_level(app_config_log_level(cfg, verbosity));
    char err[RUN_ERRMAX];
    if (cfg->log.file[0] && log_open(cfg->log.file, err, sizeof err) != 0) {
        fprintf(stderr, "siphon run: %s\n", err);
        return 1;
    }
    if (no_config_file)
        log_warn("no configuration file at %s: running with the defaults and command-line "
                 "settings (give one with -c FILE)",
                 CONFIG_DEFAULT_PATH);
    const char *user = cfg->capture.user;
    if (geteuid() == 0 && !user[0] && !allow_root) {
        fprintf(stderr,
                "siphon run: refusing to run as root without capture.user: set capture.user "
                "(e.g. --capture.user=nobody) to drop privileges once capture is open, or pass "
                "--allow-root (capture.allow_root = true) to stay root\n");
        return 1;
    }
    r->n_ifaces = (int)cfg->capture.interfaces.count;
    if (r->n_ifaces == 0 && cfg->capture.files.count == 0) {
        fprintf(stderr,
                "siphon run: nothing to capture: set capture.interfaces (or capture.file)\n");
        return 2;
    }
    if (r->n_ifaces > 64) {
        fprintf(stderr, "siphon run: at most 64 capture interfaces\n");
        return 2;
    }
    bool live = r->n_ifaces > 0;
    uint32_t nw = 1;
    if (live) {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        nw = cfg->capture.threads ? cfg->capture.threads : (uint32_t)(ncpu > 0 ? ncpu : 1);
        if (nw > PL_MAX_THREADS) nw = PL_MAX_THREADS;
    }

    cap_files_t *files = NULL;
    if (open_workers(r, nw, live, err, sizeof err) != 0) {
        fprintf(stderr, "siphon run: %s\n", err);
        free_workers(r);
        return 1;
    }
    if (!live) {
        files = cap_files_open((const char *const *)cfg->capture.files.items,
                               (int)cfg->capture.files.count, err, sizeof err);
        if (!files) {
            fprintf(stderr, "siphon run: %s\n", err);
            free_workers(r);
            return 1;
        }
    }
    if (user[0]) {
        if (cap_drop_privileges(user, err, sizeof err) != 0) {
            fprintf(stderr, "siphon run: dropping privileges to %s: %s\n", user, err);
            free_workers(r);
            if (files) cap_files_close(files);
            return 1;
        }
        log_info("running as %s", user);
    } else if (geteuid() == 0) {
        log_warn("running as root (allowed by --allow-root / capture.allow_root)");
    }

    pl_stage_config_t acfg = {.shards = cfg->correlator.shards ? cfg->correlator.shards : 1,
                              .producers = nw,
                              .queue_bytes = cfg->correlator.queue_size,
                              .lossless = !live};
    corr_config_default(&acfg.corr);
    app_config_to_corr_config(cfg, &acfg.corr);
    cap_limits_t limits;
    cap_limits_default(&limits);
    app_config_to_cap_limits(cfg, &limits);
    /* Start order: consumers, correlation, capture threads (fanout.h). */
    fan_env_t env = {.shards = acfg.shards, .threaded = true, .lossless = !live};
    out_config_t ocfg = {.format = format,
                         .streams_in_table = streams_in_table,
                         .events = true, /* JSON only: events on the bus */
                         .out = stdout};
    r->fan = fan_new(&env);
    r->out = r->fan ? fan_add(r->fan, &out_consumer, &ocfg, err, sizeof err) : NULL;
    if (!r->out || fan_start(r->fan, err, sizeof err) != 0) {
        fprintf(stderr, "siphon run: %s\n", r->fan ? err : "out of memory");
        fan_free(r->fan);
        free_workers(r);
        if (files) cap_files_close(files);
        return 1;
    }
    if (pl_stage_open(&r->corr, &acfg, fan_shard_sink, fan_shard_idle, r->fan, err, sizeof err) !=
        0) {
        fprintf(stderr, "siphon run: %s\n", err);
        fan_free(r->fan);
        free_workers(r);
        if (files) cap_files_close(files);
        return 1;
    }
    for (uint32_t t = 0; t < nw; t++) {
        r->w[t].dec = cap_decoder_new(&limits, pl_stage_on_datagram, &r->corr.feeds[t]);
        if (!r->w[t].dec) {
            fprintf(stderr, "siphon run: out of memory setting up tables\n");
            pl_stage_finish(&r->corr);
            pl_stage_close(&r->corr);
            fan_free(r->fan);
            free_workers(r);
            if (files) cap_files_close(files);
            return 1;
        }
    }
    log_info("%u capture thread%s, %u correlator thread%s", nw, nw == 1 ? "" : "s", acfg.shards,
             acfg.shards == 1 ? "" : "s");

    int64_t t0 = clock_mono_ns();
    int status = 0, read_errors = 0;
    if (files) {
        read_errors = loop_files(r, files);
    } else {
        for (uint32_t t = 0; t < nw; t++) {
            int rc = pthread_create(&r->w[t].thread, NULL, worker_main, &r->w[t]);
            if (rc != 0) {
                log_error("cannot start a capture thread: %s", strerror(rc));
                status = 1;
                break;
            }
            r->w[t].started = true;
        }
        if (status == 0) status = loop_main(r);
        atomic_store(&r->stop, true);
        for (uint32_t t = 0; t < nw; t++)
            if (r->w[t].started) pthread_join(r->w[t].thread, NULL);
    }
    log_info("stopping: flushing the calls in flight");
    pl_stage_finish(&r->corr); /* stop order: capture, correlation, consumers */
    fan_stop(r->fan);

    out_iface_summary_t sum_if[64];
    cap_ring_stats_t per_if[64];
    cap_stats_t dec;
    run_collect(r, per_if, &dec);
    for (int i = 0; i < r->n_ifaces; i++) {
        sum_if[i] =
            (out_iface_summary_t){.ifname = cfg->capture.interfaces.items[i], .ring = per_if[i]};
        sum_if[i].has_iface = cap_iface_stats(sum_if[i].ifname, &sum_if[i].iface) == 0;
    }
    if (cfg->log.stats_interval_ns > 0) log_stats(r);
    pl_stats_t ps;
    pl_stats(r->corr.pl, &ps);
    out_summary_t sum = {
        .files = files ? (int)cfg->capture.files.count : 0,
        .read_errors = read_errors,
        .elapsed_s = (double)(clock_mono_ns() - t0) / 1e9,
        .cap = &dec,
        .corr = pl_stage_stats(&r->corr),
        .ifaces = live ? sum_if : NULL,
        .n_ifaces = live ? r->n_ifaces : 0,
        .pipeline = &ps,
        .shards = acfg.shards,
        .capture_threads = nw,
    };
    out_summary(r->out, &sum);

    pl_stage_close(&r->corr);
    fan_free(r->fan);
    free_workers(r);
    if (files) cap_files_close(files);
    return status || read_errors ? 1 : 0;
}
