/* run.c - `siphon run`: the live daemon, first version (one thread).
 *
 * Start-up, in this order:
 *   1. the configuration: -c FILE, else /etc/siphon/siphon.conf when it
 *      exists, else the defaults (with a warning); then --section.key=value;
 *   2. the root check: running as root with neither capture.user nor
 *      --allow-root / capture.allow_root is refused (exit 1) before anything
 *      is opened;
 *   3. the sources: one capture ring per capture.interfaces entry
 *      (app_config_to_ring_config, no fanout: one ring per interface), or,
 *      with no interface, the capture.file list through cap_files;
 *   4. cap_drop_privileges(capture.user) once every source is open.
 *
 * The loop is analyze's pipeline fed by rings:
 *   poll(every ring fd, 100 ms) -> cap_ring_next (a batch per ring, so one
 *   busy interface cannot starve another) -> cap_decode_frame ->
 *   corr_on_datagram -> the records sink (records.c, shared with analyze).
 * Expiry (cap_decoder_expire + corr_expire) runs each time the capture clock
 * passes a whole second, as in analyze, and also once per second of wall
 * time with now = max(latest packet time, real time), so calls still end
 * when traffic stops.  Live packet times are the kernel's receive times
 * (real time), so the two clocks agree.  Replaying capture.file uses packet
 * time only (its packets are in the past) and ends at the end of the files.
 * Records are flushed after every loop pass, so each call appears on stdout
 * as soon as it ends.
 *
 * Every log.stats_interval (wall time; 0: never) one line per interface
 * (frames, bytes, kernel ring drops, interface drops) and one line for the
 * decoder and correlator are written to stderr whatever log.level says: they
 * are the daemon's heartbeat.
 *
 * Signals: SIGINT/SIGTERM stop the loop; every call in flight is flushed
 * (open_at_end), then the summary (as analyze's, plus per-interface ring
 * counters) is written and the exit status is 0.  SIGHUP only logs that
 * reload is not supported yet.
 *
 * Exit status: 0 after a signal or at the end of capture.file; 1 when
 * start-up fails (root refused, a ring or file cannot be opened, the
 * privilege drop fails), when every ring failed, or when a capture file was
 * cut short; 2 on usage errors.
 *
 * One thread in this version; sharding over capture threads and correlator
 * shards is the next step (ARCHITECTURE.md, Threads and queues).
 */
#include "app.h"
#include "config_map.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RUN_POLL_MS 100
#define RUN_BATCH   256 /* frames taken from one ring before the next */
#define RUN_ERRMAX  512

typedef struct {
    const char *ifname;
    cap_ring_t *ring;
    bool failed;                  /* cap_ring_next returned -1: no longer read */
    cap_ring_stats_t last_logged; /* at the previous stats line */
} run_iface_t;

typedef struct {
    const siphon_config_t *cfg;
    cap_decoder_t *dec;
    corr_t *corr;
    app_records_t rec;
    run_iface_t *ifaces;
    int n_ifaces;
    int64_t last_ts;     /* latest packet time seen */
    int64_t next_expire; /* next whole second of packet time */
    uint64_t frames;
} run_t;

static volatile sig_atomic_t got_stop, got_hup;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        got_hup = 1;
    else
        got_stop = 1;
}

/* No SA_RESTART: poll() returns at once with EINTR. */
static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

static int64_t clock_real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static void on_datagram(void *user, const datagram_t *dg)
{
    corr_on_datagram(user, dg);
}

static void run_expire(run_t *r, int64_t now_ns)
{
    cap_decoder_expire(r->dec, now_ns);
    corr_expire(r->corr, now_ns);
}

static void run_frame(run_t *r, const cap_frame_t *f)
{
    r->frames++;
    if (f->ts_ns > r->last_ts) r->last_ts = f->ts_ns;
    if (f->ts_ns >= r->next_expire) {
        if (r->next_expire) run_expire(r, f->ts_ns);
        r->next_expire = f->ts_ns - f->ts_ns % NS_PER_SEC + NS_PER_SEC;
    }
    cap_decode_frame(r->dec, f);
}

static unsigned long long ull(uint64_t v)
{
    return (unsigned long long)v;
}

static void log_stats(run_t *r)
{
    for (int i = 0; i < r->n_ifaces; i++) {
        run_iface_t *f = &r->ifaces[i];
        cap_ring_stats_t st;
        cap_ring_stats(f->ring, &st);
        cap_iface_stats_t is;
        char ifd[64] = "n/a";
        if (cap_iface_stats(f->ifname, &is) == 0)
            snprintf(ifd, sizeof ifd, "%llu",
                     ull(is.rx_dropped + is.rx_missed + is.rx_fifo_errors));
        log_write(LOG_LVL_INFO,
                  "stats %s: %llu frames (+%llu), %llu bytes, %llu kernel drops (+%llu), "
                  "%llu ring freezes, %s interface drops%s",
                  f->ifname, ull(st.frames), ull(st.frames - f->last_logged.frames), ull(st.bytes),
                  ull(st.drops), ull(st.drops - f->last_logged.drops), ull(st.freeze_q), ifd,
                  f->failed ? " (failed)" : "");
        f->last_logged = st;
    }
    const cap_stats_t *k = cap_decoder_stats(r->dec);
    const corr_stats_t *c = corr_stats(r->corr);
    log_write(LOG_LVL_INFO,
              "stats pipeline: %llu packets, %llu datagrams, %llu malformed, %llu SIP messages "
              "(%llu unparsed), %llu calls (%llu written, %llu timed out, %llu evicted), %llu "
              "streams (%llu evicted), %llu RTP packets",
              ull(k->frames), ull(k->datagrams_out), ull(k->truncated + k->invalid),
              ull(c->sip_messages), ull(c->sip_invalid + c->sip_incomplete), ull(c->calls),
              ull(r->rec.calls_written), ull(c->calls_timed_out), ull(c->calls_evicted),
              ull(c->streams), ull(c->streams_evicted), ull(c->rtp_packets));
}

static void handle_hup(void)
{
    if (!got_hup) return;
    got_hup = 0;
    log_warn("SIGHUP: reload not supported yet; the configuration is unchanged (restart to apply)");
}

/* Live capture until a signal, or until every ring has failed (returns 1). */
static int loop_rings(run_t *r)
{
    struct pollfd *pfd = calloc((size_t)r->n_ifaces, sizeof *pfd);
    int *which = calloc((size_t)r->n_ifaces, sizeof *which);
    if (!pfd || !which) {
        free(pfd), free(which);
        log_error("out of memory");
        return 1;
    }
    int64_t stats_every = r->cfg->log.stats_interval_ns;
    int64_t mono = clock_mono_ns();
    int64_t next_wall_expire = mono + NS_PER_SEC;
    int64_t next_stats = stats_every > 0 ? mono + stats_every : INT64_MAX;
    int rc = 0;
    cap_frame_t frame;
    while (!got_stop) {
        handle_hup();
        bool busy = false;
        int live = 0;
        for (int i = 0; i < r->n_ifaces; i++) {
            run_iface_t *f = &r->ifaces[i];
            if (f->failed) continue;
            for (int n = 0; n < RUN_BATCH; n++) {
                int got = cap_ring_next(f->ring, &frame, 0);
                if (got == 1) {
                    run_frame(r, &frame);
                    busy = true;
                    continue;
                }
                if (got < 0) {
                    log_error("capture on %s failed: %s", f->ifname, cap_ring_error(f->ring));
                    f->failed = true;
                }
                break;
            }
            if (!f->failed) {
                pfd[live] = (struct pollfd){.fd = cap_ring_fd(f->ring), .events = POLLIN};
                which[live++] = i;
            }
        }
        if (live == 0) {
            log_error("no interface left to capture on");
            rc = 1;
            break;
        }
        mono = clock_mono_ns();
        if (mono >= next_wall_expire) {
            int64_t now = clock_real_ns();
            run_expire(r, now > r->last_ts ? now : r->last_ts);
            next_wall_expire = mono + NS_PER_SEC;
        }
        if (mono >= next_stats) {
            log_stats(r);
            next_stats = mono + stats_every;
        }
        app_records_flush(&r->rec);
        if (!busy && !got_stop && poll(pfd, (nfds_t)live, RUN_POLL_MS) < 0 && errno != EINTR) {
            log_error("poll: %s", strerror(errno));
            rc = 1;
            break;
        }
    }
    free(pfd);
    free(which);
    return rc;
}

/* capture.file in packet time, to the end (or a signal).  Returns the number
 * of read errors. */
static int loop_files(run_t *r, cap_files_t *files)
{
    int64_t stats_every = r->cfg->log.stats_interval_ns;
    int64_t next_stats = stats_every > 0 ? clock_mono_ns() + stats_every : INT64_MAX;
    int read_errors = 0;
    char err[RUN_ERRMAX];
    cap_frame_t frame;
    while (!got_stop) {
        handle_hup();
        int got = cap_files_next(files, &frame, err, sizeof err);
        if (got == 0) break;
        if (got < 0) {
            log_error("%s", err);
            read_errors++;
            continue;
        }
        run_frame(r, &frame);
        if ((r->frames & 0x3ff) == 0) {
            app_records_flush(&r->rec);
            if (clock_mono_ns() >= next_stats) {
                log_stats(r);
                next_stats = clock_mono_ns() + stats_every;
            }
        }
    }
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

static int run_main(int argc, char **argv, const siphon_config_t *cfg, bool no_config_file);

int cmd_run(int argc, char **argv)
{
    siphon_config_t cfg;
    config_defaults(&cfg);
    const char *def = access(CONFIG_DEFAULT_PATH, F_OK) == 0 ? CONFIG_DEFAULT_PATH : NULL;
    const char *used = NULL;
    int rc = app_config_from_args("run", &argc, argv, def, &cfg, &used);
    if (rc == APP_CONFIG_OK)
        rc = run_main(argc, argv, &cfg, used == NULL);
    else
        rc = 2;
    config_free(&cfg);
    return rc;
}

static void close_sources(run_t *r, cap_files_t *files)
{
    for (int i = 0; i < r->n_ifaces; i++)
        if (r->ifaces[i].ring) cap_ring_close(r->ifaces[i].ring);
    free(r->ifaces);
    r->ifaces = NULL;
    if (files) cap_files_close(files);
}

static int run_main(int argc, char **argv, const siphon_config_t *cfg, bool no_config_file)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},       {"streams", no_argument, NULL, 's'},
        {"allow-root", no_argument, NULL, 'R'}, {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
    };
    output_format_t format = OUTPUT_TABLE;
    bool streams_in_table = false, allow_root = cfg->capture.allow_root;
    int verbosity = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            format = OUTPUT_JSON;
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
    log_set_level(app_config_log_level(cfg, verbosity));
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
    int n_if = (int)cfg->capture.interfaces.count;
    if (n_if == 0 && cfg->capture.files.count == 0) {
        fprintf(stderr,
                "siphon run: nothing to capture: set capture.interfaces (or capture.file)\n");
        return 2;
    }
    if (n_if > 0 && cfg->capture.threads > 1)
        log_warn("capture.threads = %u: this version captures with one thread",
                 cfg->capture.threads);

    run_t r = {.cfg = cfg};
    cap_files_t *files = NULL;
    char err[RUN_ERRMAX];
    if (n_if > 0) {
        r.ifaces = calloc((size_t)n_if, sizeof *r.ifaces);
        if (!r.ifaces) {
            fprintf(stderr, "siphon run: out of memory\n");
            return 1;
        }
        for (int i = 0; i < n_if; i++) {
            cap_ring_config_t rc;
            cap_ring_config_default(&rc);
            app_config_to_ring_config(cfg, cfg->capture.interfaces.items[i], &rc);
            r.ifaces[i].ifname = cfg->capture.interfaces.items[i];
            r.ifaces[i].ring = cap_ring_open(&rc, err, sizeof err);
            r.n_ifaces = i + 1;
            if (!r.ifaces[i].ring) {
                fprintf(stderr, "siphon run: %s\n", err);
                close_sources(&r, NULL);
                return 1;
            }
            log_info("capturing on %s", r.ifaces[i].ifname);
        }
    } else {
        files = cap_files_open((const char *const *)cfg->capture.files.items,
                               (int)cfg->capture.files.count, err, sizeof err);
        if (!files) {
            fprintf(stderr, "siphon run: %s\n", err);
            return 1;
        }
    }
    if (user[0]) {
        if (cap_drop_privileges(user, err, sizeof err) != 0) {
            fprintf(stderr, "siphon run: dropping privileges to %s: %s\n", user, err);
            close_sources(&r, files);
            return 1;
        }
        log_info("running as %s", user);
    } else if (geteuid() == 0) {
        log_warn("running as root (allowed by --allow-root / capture.allow_root)");
    }

    corr_config_t ccfg;
    corr_config_default(&ccfg);
    app_config_to_corr_config(cfg, &ccfg);
    cap_limits_t limits;
    cap_limits_default(&limits);
    app_config_to_cap_limits(cfg, &limits);
    app_records_init(&r.rec, format, streams_in_table, stdout);
    app_records_want_events(&r.rec, true); /* JSON only: events on the bus */
    corr_sink_t sink = app_records_sink(&r.rec);
    r.corr = corr_new(&ccfg, &sink);
    r.dec = r.corr ? cap_decoder_new(&limits, on_datagram, r.corr) : NULL;
    if (!r.corr || !r.dec) {
        fprintf(stderr, "siphon run: out of memory setting up tables\n");
        if (r.corr) corr_free(r.corr);
        app_records_free(&r.rec);
        close_sources(&r, files);
        return 1;
    }

    install_signals();
    int64_t t0 = clock_mono_ns();
    int status = 0, read_errors = 0;
    if (files)
        read_errors = loop_files(&r, files);
    else
        status = loop_rings(&r);
    if (got_stop) log_info("stopping: flushing the calls in flight");
    corr_flush(r.corr);

    run_iface_summary_t *sum_if = n_if ? calloc((size_t)n_if, sizeof *sum_if) : NULL;
    for (int i = 0; sum_if && i < n_if; i++) {
        sum_if[i].ifname = r.ifaces[i].ifname;
        cap_ring_stats(r.ifaces[i].ring, &sum_if[i].ring);
        sum_if[i].has_iface = cap_iface_stats(r.ifaces[i].ifname, &sum_if[i].iface) == 0;
    }
    if (cfg->log.stats_interval_ns > 0) log_stats(&r);
    run_summary_t sum = {
        .files = files ? (int)cfg->capture.files.count : 0,
        .read_errors = read_errors,
        .elapsed_s = (double)(clock_mono_ns() - t0) / 1e9,
        .cap = cap_decoder_stats(r.dec),
        .corr = corr_stats(r.corr),
        .ifaces = sum_if,
        .n_ifaces = sum_if ? n_if : 0,
    };
    app_records_summary(&r.rec, &sum);
    free(sum_if);

    cap_decoder_free(r.dec);
    corr_free(r.corr);
    app_records_free(&r.rec);
    close_sources(&r, files);
    return status || read_errors ? 1 : 0;
}
