/* run.c - `siphon run`: the live daemon.
 *
 * Start-up, in this order:
 *   1. the configuration: -c FILE, else /etc/siphon/siphon.conf when it
 *      exists, else the defaults (with a warning); then --section.key=value;
 *      log.file, when set, takes the log lines from then on;
 *   2. the host checks check-config makes too (app_preflight: the filter
 *      compiles, capture.user exists, the interfaces exist), then the root
 *      check: running as root with neither capture.user nor
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
 *   capture thread t (pipeline.h pl_capture_t): its rings -> its own
 *     cap_decoder -> the correlation stage: routed to a correlator shard;
 *   correlator.shards shard threads (0 = 1): correlate and hand records
 *     to the consumers (fanout.h): the table/NDJSON writer (output.h)
 *     writes them as calls end, and lifecycle events with --json;
 *   the main thread: signals, statistics lines, SIGHUP reload.
 * Expiry: the capture threads expire in packet and in wall time
 * (pipeline/capture_threads.c).  Replaying capture.file uses packet time only and is lossless (the
 * reader waits for the shards); live capture never waits: a full shard queue drops the datagram and
 * counts it (queue_drops), so capture keeps up.
 *
 * Once started, one line says what is captured (interfaces, promiscuous,
 * filter; or the files), with how many capture and correlator threads, as
 * which user.  Every log.stats_interval (wall time; 0: never) one line per
 * interface (frames, bytes, kernel ring drops, interface drops, summed over
 * its capture threads) and one line for decoders, routing, queues and
 * correlators follow.  These lines are written whatever log.level says
 * (labelled info, even at log.level = error): they are the daemon's
 * heartbeat, and a daemon that says nothing for a minute looks dead.
 *
 * run_main is options (run_options), set-up (run_setup: sources, privilege
 * drop, consumers, correlation, capture threads, in that order), the loop
 * (run_loop), the summary (run_summary) and one cleanup path (run_cleanup,
 * the reverse order; it frees whatever set-up got to).
 *
 * Signals are blocked in every thread and taken by the main thread with
 * sigtimedwait.  SIGINT/SIGTERM: capture threads stop, the shards drain
 * their queues and flush every call in flight (open_at_end), the summary is
 * written and the exit status is 0.  SIGHUP: log.file and output.file are
 * reopened (after logrotate moved them; no record is lost or cut: records
 * written before the reopen are in the moved file, the rest in the new
 * one), and the configuration is read again (same file, same
 * command-line settings): log.level and log.stats_interval take effect at
 * once; any other key that changed is named in a warning (it needs a
 * restart: rings, tables and threads are sized at start); a configuration
 * with errors is rejected and the running one kept.
 *
 * With siprec.enabled the SIPREC recording server (siprec.h) starts after
 * the consumers; its ended sessions go to the output writer and storage,
 * its sessions' SIP and media to the packet store (siprec_wire.c), its
 * counters to the stats lines and the summary.  With siprec.enabled and
 * neither capture.interfaces nor capture.file, run is a pure recording
 * server: the output writer, storage and the packet store as configured,
 * and the SRS (run_setup_siprec), until a signal.
 *
 * Exit status: 0 after a signal or at the end of capture.file; 1 when
 * start-up fails (root refused, a ring or file cannot be opened, the
 * privilege drop fails), when every ring failed, or when a capture file was
 * cut short; 2 on usage errors.
 */
#include "app.h"
#include "config_map.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RUN_ERRMAX 512

/* What the command line and the configuration ask for (run_options). */
typedef struct {
    out_format_t format;
    bool streams_in_table, allow_root;
    int verbosity;
} run_options_t;

typedef struct {
    siphon_config_t *cfg;
    run_options_t opt;
    bool live;   /* interfaces; else capture.file, read by this thread */
    uint32_t nw; /* capture threads (producers) */
    uint32_t n_ifaces;
    cap_files_t *files;  /* capture.file (not live) */
    pl_capture_t *cap;   /* the capture threads (live) or producer 0 (files) */
    FILE *outf;          /* output.file, or NULL: stdout */
    fan_t *fan;          /* the consumers */
    out_t *out;          /* the table/NDJSON writer among them */
    alert_hub_t *alerts; /* [alerts] sinks (NULL: none configured) */
    det_t *det;          /* the detection (alerts.enabled) */
    pl_stage_t corr;     /* the correlation stage */
    bool corr_open;
    srs_t *srs;                                  /* the SIPREC recording server (siprec.enabled) */
    app_siprec_t srs_wire;                       /* ... its sessions to output, record, storage */
    void *rec;                                   /* the packet store consumer (record.enabled) */
    bool srs_only;                               /* siprec.enabled and nothing to capture */
    cap_ring_stats_t last_logged[PL_MAX_IFACES]; /* at the previous stats line */
    st_config_t sc;     /* storage.enabled: the storage consumer's settings */
    app_storage_t stor; /* ... it and its embedded server */
    web_t *web;         /* web.enabled: the dashboard (live capture with storage) */
    /* for SIGHUP: how the configuration was made */
    int argc;
    char **argv;
    const char *default_path;
} run_t;

static unsigned long long ull(uint64_t v)
{
    return (unsigned long long)v;
}

/* ------------------------------ statistics ------------------------------ */

static const char *plural(uint64_t n)
{
    return n == 1 ? "" : "s";
}

/* The SIPREC recording server's line (siprec.enabled): sessions, SIP, RTP,
 * drops. */
static void log_stats_siprec(run_t *r)
{
    if (!r->srs) return;
    srs_stats_t st;
    srs_stats(r->srs, &st);
    log_write(LOG_LVL_INFO,
              "stats siprec: %llu sessions active (%llu started, %llu ended, %llu refused), "
              "%llu SIP messages, %llu RTP packets on %llu streams, %llu socket drops, %llu "
              "SRTP auth failures",
              ull(st.sessions_active), ull(st.sessions_started), ull(st.sessions_ended),
              ull(st.rejected_busy + st.rejected_offer + st.rejected_metadata + st.forbidden),
              ull(st.sip_received), ull(st.rtp_packets), ull(st.streams_active),
              ull(st.socket_drops), ull(st.srtp_auth_failures));
}

/* The heartbeat.  Each figure names what it counts, and at rest they add
 * up (while traffic flows, threads publish their counters every 100 ms, so
 * figures of different threads may be that far apart): the interfaces'
 * frames captured are the frames decoded; every datagram (a UDP payload, or a SIP message cut
 * from a TCP/TLS stream) is routed once, by Call-ID, by an SDP endpoint or
 * by its flow (with one correlator thread there is nothing to route);
 * "RTP packets" are the ones measured in streams, of those datagrams. */
static void log_stats(run_t *r)
{
    log_stats_siprec(r);
    if (r->srs_only) return;
    cap_ring_stats_t per_if[PL_MAX_IFACES];
    cap_stats_t k;
    pl_capture_stats(r->cap, per_if, &k);
    for (uint32_t i = 0; i < r->n_ifaces; i++) {
        const char *ifname = r->cfg->capture.interfaces.items[i];
        cap_ring_stats_t *st = &per_if[i], *last = &r->last_logged[i];
        cap_iface_stats_t is;
        char ifd[64] = "n/a";
        if (cap_iface_stats(ifname, &is) == 0)
            snprintf(ifd, sizeof ifd, "%llu",
                     ull(is.rx_dropped + is.rx_missed + is.rx_fifo_errors));
        log_write(LOG_LVL_INFO,
                  "stats %s: %llu frames captured (+%llu), %llu bytes, %llu kernel drops (+%llu), "
                  "%llu ring freezes, %s interface drops, over %u capture thread%s",
                  ifname, ull(st->frames), ull(st->frames - last->frames), ull(st->bytes),
                  ull(st->drops), ull(st->drops - last->drops), ull(st->freeze_q), ifd, r->nw,
                  plural(r->nw));
        *last = *st;
    }
    const corr_stats_t *c = pl_stage_stats(&r->corr);
    pl_stats_t ps = {0};
    if (r->corr.pl) pl_stats(r->corr.pl, &ps);
    char routed[192] = "not routed: one correlator thread";
    if (r->corr.pl && pl_shards(r->corr.pl) > 1)
        snprintf(routed, sizeof routed,
                 "routed %llu SIP by Call-ID + %llu RTP by SDP + %llu by flow", ull(ps.route.sip),
                 ull(ps.route.media_by_sdp), ull(ps.route.by_flow));
    log_write(LOG_LVL_INFO,
              "stats pipeline: %llu frames decoded (%llu malformed), %llu datagrams to the "
              "correlator (%s; %llu queue drops), %llu SIP messages (%llu unparsed), %llu call%s "
              "(%llu written, %llu timed out, %llu evicted), %llu stream%s (%llu evicted), %llu "
              "RTP packets measured",
              ull(k.frames), ull(k.truncated + k.invalid),
              ull(r->corr.pl ? ps.datagrams : k.datagrams_out), routed, ull(ps.queue_drops),
              ull(c->sip_messages), ull(c->sip_invalid + c->sip_incomplete), ull(c->calls),
              plural(c->calls), ull(out_calls_written(r->out)), ull(c->calls_timed_out),
              ull(c->calls_evicted), ull(c->streams_tracked), plural(c->streams_tracked),
              ull(c->streams_evicted), ull(c->rtp_packets));
    /* every other counter that is not 0, by its summary name */
    buf_t b;
    buf_init(&b);
    out_summary_t sum = {.cap = &k,
                         .corr = c,
                         .pipeline = r->corr.pl ? &ps : NULL,
                         .groups = app_storage_group(&r->stor),
                         .n_groups = r->stor.st ? 1 : 0};
    out_counters_text(&b, "stats counters ", &sum);
    buf_putc(&b, '\0');
    for (char *line = b.data, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
        *nl = '\0';
        log_write(LOG_LVL_INFO, "%s", line);
    }
    buf_free(&b);
}

/* -------------------------------- SIGHUP -------------------------------- */

static bool reloadable(const config_key_t *k)
{
    return strcmp(k->section, "log") == 0;
}

/* output.file, appending, unbuffered: each flush of the writers (whole
 * records) is one write(2), so a reopen between two of them never cuts a
 * record.  *f NULL: opens a new FILE; else the new file takes over *f's
 * descriptor (dup2), under the FILE the writers hold.  0, or -1 with a
 * message in err. */
static int output_open(const char *path, FILE **f, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "output.file %s: %s", path, strerror(errno));
        return -1;
    }
    if (*f) { /* the writers keep their FILE; its descriptor now names the new file */
        int rc = dup2(fd, fileno(*f));
        int e = errno;
        close(fd);
        if (rc < 0) {
            snprintf(err, errlen, "output.file %s: %s", path, strerror(e));
            return -1;
        }
        return 0;
    }
    *f = fdopen(fd, "a");
    if (!*f) {
        snprintf(err, errlen, "output.file %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    setvbuf(*f, NULL, _IONBF, 0);
    return 0;
}

static void reload(run_t *r)
{
    siphon_config_t *cur = r->cfg;
    char err[RUN_ERRMAX];
    if (cur->log.file[0] && log_open(cur->log.file, err, sizeof err) != 0) log_error("%s", err);
    if (r->outf) {
        if (output_open(cur->output.file, &r->outf, err, sizeof err) != 0)
            log_error("SIGHUP: %s (records still go to the old file)", err);
        else
            log_write(LOG_LVL_INFO, "SIGHUP: output.file %s reopened", cur->output.file);
    }
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
        if (!r->srs_only && pl_capture_all_failed(r->cap)) {
            log_error("no interface left to capture on");
            return 1;
        }
    }
}

/* capture.file in packet time, to the end (or a signal), in this thread as
 * producer 0.  Returns the number of read errors. */
static int loop_files(run_t *r, cap_files_t *files)
{
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
        pl_capture_frame(r->cap, 0, &frame);
        if ((++frames & 0x3ff) == 0) {
            if (wait_signal(r, 0)) break;
            if (clock_mono_ns() >= next_stats) {
                pl_capture_publish(r->cap, 0);
                log_stats(r);
                next_stats = clock_mono_ns() + r->cfg->log.stats_interval_ns;
            }
        }
    }
    pl_capture_publish(r->cap, 0);
    return read_errors;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: siphon run [-i IFACE]... [-c FILE] [--SECTION.KEY=VALUE...] [--json]\n"
               "                  [--streams] [--allow-root] [-v]\n"
               "\n"
               "Captures live on the -i interfaces or capture.interfaces (or replays\n"
               "capture.file when no interface is set), rebuilds SIP calls and RTP streams and "
               "writes each call when it ends.\n"
               "Stops on SIGINT/SIGTERM: calls in flight are written, then a summary.\n"
               "Records go to stdout, or to output.file (appended). SIGHUP reopens\n"
               "output.file and log.file (logrotate) and reloads the log settings.\n"
               "\n"
               "  -i IFACE               capture on IFACE (repeat for several; any: every\n"
               "                         interface); replaces capture.interfaces\n"
               "  -c FILE                configuration file (default " CONFIG_DEFAULT_PATH ";\n"
               "                         when it does not exist: the defaults, with a warning)\n"
               "  --SECTION.KEY=VALUE    one setting, e.g. --capture.interfaces=eth1,eth2\n"
               "  --json                 NDJSON on stdout (as `siphon analyze --json --events`:\n"
               "                         records and lifecycle events)\n"
               "  --streams              in the table, list each call's streams\n"
               "  --allow-root           keep running as root when capture.user is not set\n"
               "                         (same as capture.allow_root = true)\n"
               "  -v, --verbose          log more (repeat for debug)\n"
               "  -h, --help             this help\n"
               "With --siprec.enabled=true siphon run is also a SIPREC recording server\n"
               "(siprec.listen, siprec.rtp_ports, ...); with no interface and no capture.file,\n"
               "only that.\n");
}

static int run_main(run_t *r, int argc, char **argv, bool no_config_file);

/* -i IFACE / -iIFACE / --interface IFACE / --interface=IFACE (tcpdump's
 * habit; repeatable) become one --capture.interfaces=A,B override at the
 * end of a copy of argv, so the list replaces the configuration's and a
 * SIGHUP reload sees the same settings.  *joined (freed by the caller)
 * holds the override.  NULL on a usage error (message printed) or when out
 * of memory. */
static char **interfaces_to_override(int *argc, char **argv, char **joined)
{
    int n = *argc, out = 0;
    char **v = calloc((size_t)n + 2, sizeof *v);
    buf_t list;
    buf_init(&list);
    if (!v) return NULL;
    bool ended = false, any = false;
    for (int i = 0; i < n; i++) {
        const char *a = argv[i], *name = NULL;
        if (i == 0 || ended) {
            v[out++] = argv[i];
            continue;
        }
        if (strcmp(a, "--") == 0) {
            ended = true;
        } else if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
            v[out++] = argv[i];
            if (i + 1 < n) v[out++] = argv[++i];
            continue;
        } else if (strcmp(a, "-i") == 0 || strcmp(a, "--interface") == 0) {
            if (i + 1 >= n || !argv[i + 1][0]) {
                fprintf(stderr, "siphon run: %s needs an interface name (or any)\n", a);
                free(v);
                buf_free(&list);
                return NULL;
            }
            name = argv[++i];
        } else if (strncmp(a, "-i", 2) == 0 && a[2] != '-') {
            name = a + 2;
        } else if (strncmp(a, "--interface=", 12) == 0 && a[12]) {
            name = a + 12;
        }
        if (!name) {
            v[out++] = argv[i];
            continue;
        }
        if (strchr(name, ',')) {
            fprintf(stderr, "siphon run: -i takes one interface: repeat it (-i %.*s -i ...)\n",
                    (int)(strchr(name, ',') - name), name);
            free(v);
            buf_free(&list);
            return NULL;
        }
        buf_printf(&list, "%s%s", any ? "," : "--capture.interfaces=", name);
        any = true;
    }
    if (any) {
        buf_putc(&list, '\0');
        *joined = list.data; /* ownership moves to the caller */
        v[out++] = *joined;
    } else {
        buf_free(&list);
    }
    v[out] = NULL;
    *argc = out;
    return v;
}

int cmd_run(int argc, char **argv)
{
    char *joined = NULL;
    argv = interfaces_to_override(&argc, argv, &joined);
    if (!argv) return 2;
    siphon_config_t cfg;
    config_defaults(&cfg);
    run_t r;
    memset(&r, 0, sizeof r);
    r.cfg = &cfg;
    /* the arguments as given, for SIGHUP (app_config_from_args compacts argv) */
    r.argc = argc;
    r.argv = calloc((size_t)argc + 1, sizeof *r.argv);
    if (!r.argv) {
        free(argv);
        free(joined);
        return 1;
    }
    memcpy(r.argv, argv, (size_t)argc * sizeof *argv);
    r.default_path = access(CONFIG_DEFAULT_PATH, F_OK) == 0 ? CONFIG_DEFAULT_PATH : NULL;
    const char *used = NULL;
    int rc = app_config_from_args("run", &argc, argv, r.default_path, &cfg, &used);
    if (rc == APP_CONFIG_OK)
        rc = run_main(&r, argc, argv, used == NULL);
    else
        rc = 2;
    free(r.argv);
    free(argv);
    free(joined);
    config_free(&cfg);
    return rc;
}

/* ------------------------------- the stages ----------------------------- */

/* The command line.  -1: go on; else the exit status (help, usage). */
static int run_options(run_t *r, int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},       {"streams", no_argument, NULL, 's'},
        {"allow-root", no_argument, NULL, 'R'}, {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
    };
    run_options_t *o = &r->opt;
    *o = (run_options_t){.format = OUT_TABLE, .allow_root = r->cfg->capture.allow_root};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            o->format = OUT_JSON;
            break;
        case 's':
            o->streams_in_table = true;
            break;
        case 'R':
            o->allow_root = true;
            break;
        case 'v':
            o->verbosity++;
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
    r->n_ifaces = (uint32_t)r->cfg->capture.interfaces.count;
    if (r->n_ifaces == 0 && r->cfg->capture.files.count == 0 && !r->cfg->siprec.enabled) {
        fprintf(stderr, "siphon run: nothing to capture: set capture.interfaces (or "
                        "capture.file, or siprec.enabled for a pure recording server)\n");
        return 2;
    }
    r->srs_only = r->n_ifaces == 0 && r->cfg->capture.files.count == 0;
    if (r->n_ifaces > PL_MAX_IFACES) {
        fprintf(stderr, "siphon run: at most %d capture interfaces\n", PL_MAX_IFACES);
        return 2;
    }
    return -1;
}

/* The start-up line, written whatever log.level says (as the stats lines):
 * what is captured, by how many threads, as which user, through which
 * filter -- so a quiet daemon is known to be listening. */
static void log_start(run_t *r, uint32_t shards)
{
    const siphon_config_t *cfg = r->cfg;
    const config_list_t *src = r->live ? &cfg->capture.interfaces : &cfg->capture.files;
    buf_t b;
    buf_init(&b);
    buf_printf(&b, "%s ", r->live ? "capturing on" : "reading");
    for (uint32_t i = 0; i < src->count; i++)
        buf_printf(&b, "%s%s", i ? ", " : "", src->items[i]);
    if (r->live)
        buf_printf(&b, " (%s)", cfg->capture.promiscuous ? "promiscuous" : "not promiscuous");
    else
        buf_printf(&b, " (%u file%s, in packet time)", src->count, plural(src->count));
    buf_printf(&b, " with %u capture thread%s and %u correlator thread%s", r->nw, plural(r->nw),
               shards, plural(shards));
    struct passwd *pw = getpwuid(geteuid());
    if (pw)
        buf_printf(&b, ", as user %s", pw->pw_name);
    else
        buf_printf(&b, ", as uid %u", (unsigned)geteuid());
    if (r->live && cfg->capture.bpf_filter[0])
        buf_printf(&b, ", filter \"%s\"", cfg->capture.bpf_filter);
    else if (r->live)
        buf_printf(&b, ", no filter");
    log_write(LOG_LVL_INFO, "%.*s", (int)b.len, b.data);
    buf_free(&b);
}

/* The SIPREC recording server (siprec.h): its sessions, as they end, go to
 * the output writer.  0, or -1 with err. */
static int run_start_siprec(run_t *r, char *err, size_t errlen)
{
    srs_config_t sc;
    buf_t errs;
    buf_init(&errs);
    unsigned bad = app_config_to_srs_config(r->cfg, &sc, &errs);
    if (bad) {
        snprintf(err, errlen, "%.*s",
                 (int)(errs.len && errs.data[errs.len - 1] == '\n' ? errs.len - 1 : errs.len),
                 errs.data ? errs.data : "");
        buf_free(&errs);
        return -1;
    }
    buf_free(&errs);
    r->srs = srs_new(&sc, err, errlen);
    if (!r->srs) return -1;
    r->srs_wire.out = r->out;
    r->srs_wire.st = r->stor.st;
    if (app_siprec_wire(&r->srs_wire, r->srs, r->rec, err, errlen) != 0) return -1;
    if (srs_start(r->srs, err, errlen) != 0) return -1;
    buf_t b;
    buf_init(&b);
    for (uint32_t i = 0; i < r->cfg->siprec.listen.count; i++)
        buf_printf(&b, "%s%s", i ? ", " : "", r->cfg->siprec.listen.items[i]);
    log_write(LOG_LVL_INFO, "SIPREC recording server on %.*s (RTP ports %s, at most %u sessions)",
              (int)b.len, b.data ? b.data : "", r->cfg->siprec.rtp_ports, sc.max_sessions);
    buf_free(&b);
    return 0;
}

/* A pure recording server's storage (storage.enabled) and packet store
 * (record.enabled), for its sessions; storage's embedded server starts
 * here, before privileges are dropped.  0, or -1 with err. */
static int run_siprec_keepers(run_t *r, char *err, size_t errlen)
{
    const siphon_config_t *cfg = r->cfg;
    if (cfg->storage.enabled) {
        st_config_default(&r->sc);
        app_config_to_st_config(cfg, &r->sc);
        r->sc.maintain_at_start = true;
        if (app_storage_server(&r->stor, &r->sc, err, errlen) != 0 ||
            st_prepare_spool(&r->sc, err, errlen) != 0 ||
            app_storage_add(&r->stor, r->fan, &r->sc, err, errlen) != 0)
            return -1;
    }
    if (cfg->record.enabled) {
        rec_config_t rcfg;
        rec_config_default(&rcfg);
        app_config_to_rec_config(cfg, &rcfg);
        app_recordings_to_storage(&rcfg, r->stor.st);
        if (!(r->rec = fan_add(r->fan, &rec_consumer, &rcfg, err, errlen))) return -1;
    }
    return 0;
}

/* siphon run with siprec.enabled and nothing to capture: the output
 * writer, storage and the packet store for the SRS's sessions (no
 * capture, no correlation). */
static int run_setup_siprec(run_t *r)
{
    char err[RUN_ERRMAX];
    const siphon_config_t *cfg = r->cfg;
    if (cfg->output.file[0] && output_open(cfg->output.file, &r->outf, err, sizeof err) != 0)
        goto fail;
    fan_env_t env = {.shards = 1, .threaded = false, .lossless = false};
    out_config_t ocfg = {.format = r->opt.format, .out = r->outf ? r->outf : stdout};
    r->fan = fan_new(&env);
    if (!r->fan) {
        snprintf(err, sizeof err, "out of memory");
        goto fail;
    }
    r->out = fan_add(r->fan, &out_consumer, &ocfg, err, sizeof err);
    if (!r->out) goto fail;
    if (run_siprec_keepers(r, err, sizeof err) != 0 || fan_start(r->fan, err, sizeof err) != 0)
        goto fail;
    if (run_start_siprec(r, err, sizeof err) != 0) goto fail;
    if (cfg->capture.user[0]) {
        if (cap_drop_privileges(cfg->capture.user, err, sizeof err) != 0) {
            fprintf(stderr, "siphon run: dropping privileges to %s: %s\n", cfg->capture.user, err);
            return 1;
        }
    }
    return 0;
fail:
    fprintf(stderr, "siphon run: %s\n", err);
    return 1;
}

/* Start order: logging, the root check, the sources (rings are opened as
 * root), the privilege drop, the consumers, the correlation stage, the
 * capture threads.  0, or the exit status; run_cleanup undoes what was
 * done either way. */
static int run_setup(run_t *r, bool no_config_file)
{
    siphon_config_t *cfg = r->cfg;
    /* signals go to the main thread only (sigtimedwait): blocked before
     * anything is opened or started, so an early one waits for the loop */
    sigset_t sigs = run_signals();
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    log_set_level(app_config_log_level(cfg, r->opt.verbosity));
    char err[RUN_ERRMAX];
    if (cfg->log.file[0] && log_open(cfg->log.file, err, sizeof err) != 0) {
        fprintf(stderr, "siphon run: %s\n", err);
        return 1;
    }
    if (no_config_file)
        log_warn("no configuration file at %s: running with the defaults and command-line "
                 "settings (give one with -c FILE)",
                 CONFIG_DEFAULT_PATH);
    /* the host checks check-config makes, with its words, before opening anything */
    buf_t pre;
    buf_init(&pre);
    unsigned bad = app_preflight(cfg, &pre);
    for (size_t at = 0; at < pre.len;) {
        const char *nl = memchr(pre.data + at, '\n', pre.len - at);
        size_t len = nl ? (size_t)(nl - (pre.data + at)) : pre.len - at;
        fprintf(stderr, "siphon run: %.*s\n", (int)len, pre.data + at);
        at += len + 1;
    }
    buf_free(&pre);
    if (bad) return 1;
    const char *user = cfg->capture.user;
    if (geteuid() == 0 && !user[0] && !r->opt.allow_root) {
        fprintf(stderr,
                "siphon run: refusing to run as root without capture.user: set capture.user "
                "(e.g. --capture.user=nobody) to drop privileges once capture is open, or pass "
                "--allow-root (capture.allow_root = true) to stay root\n");
        return 1;
    }
    if (r->srs_only) return run_setup_siprec(r);
    r->live = r->n_ifaces > 0;
    r->nw = 1;
    if (r->live) {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        r->nw = cfg->capture.threads ? cfg->capture.threads : (uint32_t)(ncpu > 0 ? ncpu : 1);
        if (r->nw > PL_MAX_THREADS) r->nw = PL_MAX_THREADS;
    }

    /* the sources */
    cap_ring_config_t rings[PL_MAX_IFACES];
    for (uint32_t i = 0; i < r->n_ifaces; i++) {
        cap_ring_config_default(&rings[i]);
        app_config_to_ring_config(cfg, cfg->capture.interfaces.items[i], &rings[i]);
    }
    pl_capture_config_t cc = {.threads = r->nw,
                              .n_ifaces = r->n_ifaces,
                              .ifnames = (const char *const *)cfg->capture.interfaces.items,
                              .rings = rings};
    r->cap = pl_capture_open(&cc, err, sizeof err);
    if (!r->cap) goto fail;
    if (!r->live) {
        r->files = cap_files_open((const char *const *)cfg->capture.files.items,
                                  (int)cfg->capture.files.count, err, sizeof err);
        if (!r->files) goto fail;
    }
    if (cfg->output.file[0] && output_open(cfg->output.file, &r->outf, err, sizeof err) != 0)
        goto fail;
    /* alert sinks read their secrets and keys before the drop */
    if (app_alerts_new(cfg, cfg->alerts.enabled, &r->alerts, err, sizeof err) != 0) goto fail;
    /* storage: the embedded server and the spool directory need root */
    if (cfg->storage.enabled) {
        st_config_default(&r->sc);
        app_config_to_st_config(cfg, &r->sc);
        r->sc.maintain_at_start = true;
        /* Once root is dropped, siphon must still be able to stop its
         * embedded server: it can signal only its own user's processes. */
        if (!r->sc.dsn[0] && user[0] && geteuid() == 0 && strcmp(user, r->sc.pg_user) != 0) {
            snprintf(err, sizeof err,
                     "capture.user (%s) and storage.pg_user (%s) differ: with the embedded "
                     "PostgreSQL, siphon drops root to the server's own user so it can stop it; "
                     "set capture.user = %s (or storage.dsn for an external server)",
                     user, r->sc.pg_user, r->sc.pg_user);
            goto fail;
        }
        if (app_storage_server(&r->stor, &r->sc, err, sizeof err) != 0 ||
            st_prepare_spool(&r->sc, err, sizeof err) != 0)
            goto fail;
    }
    /* the dashboard: before the drop (a port below 1024, its certificate);
     * a dashboard that cannot start is logged, capture goes on without it */
    if (cfg->web.enabled && cfg->storage.enabled && r->live) {
        web_config_t wc;
        web_config_default(&wc);
        app_config_to_web_config(cfg, &wc);
        wc.siprec_audio = app_siprec_audio_feed;
        r->web = web_start(&wc, r->sc.dsn, err, sizeof err);
        if (!r->web) log_warn("web: %s (capture goes on without the dashboard)", err);
    }
    if (user[0]) {
        if (cap_drop_privileges(user, err, sizeof err) != 0) {
            fprintf(stderr, "siphon run: dropping privileges to %s: %s\n", user, err);
            return 1;
        }
        log_info("running as %s", user);
    } else if (geteuid() == 0) {
        log_warn("running as root (allowed by --allow-root / capture.allow_root)");
    }

    /* the consumers (fanout.h); output.file was opened before the drop */
    pl_stage_config_t acfg = {.shards = cfg->correlator.shards ? cfg->correlator.shards : 1,
                              .producers = r->nw,
                              .queue_bytes = cfg->correlator.queue_size,
                              .lossless = !r->live};
    fan_env_t env = {.shards = acfg.shards, .threaded = true, .lossless = !r->live};
    out_config_t ocfg = {.format = r->opt.format,
                         .streams_in_table = r->opt.streams_in_table,
                         .events = true, /* JSON only: events on the bus */
                         .out = r->outf ? r->outf : stdout};
    r->fan = fan_new(&env);
    if (!r->fan) {
        snprintf(err, sizeof err, "out of memory");
        goto fail;
    }
    r->out = fan_add(r->fan, &out_consumer, &ocfg, err, sizeof err);
    if (!r->out) goto fail;
    if (cfg->storage.enabled && app_storage_add(&r->stor, r->fan, &r->sc, err, sizeof err) != 0)
        goto fail;
    app_alerts_listen(r->alerts, r->out, r->stor.st);
    if (app_alerts_start(r->alerts, err, sizeof err) != 0) goto fail;
    if (cfg->alerts.enabled) { /* the detectors publish into the hub */
        det_consumer_config_t dcfg = {.listener = alert_hub_listener, .listener_user = r->alerts};
        det_config_default(&dcfg.cfg);
        app_config_to_det_config(cfg, &dcfg.cfg);
        r->det = fan_add(r->fan, &det_consumer, &dcfg, err, sizeof err);
        if (!r->det) goto fail;
    }
    if (cfg->record.enabled) { /* the packet store, on by default */
        rec_config_t rcfg;
        rec_config_default(&rcfg);
        app_config_to_rec_config(cfg, &rcfg);
        app_recordings_to_storage(&rcfg, r->stor.st);
        if (!(r->rec = fan_add(r->fan, &rec_consumer, &rcfg, err, sizeof err))) goto fail;
    }
    if (r->web && !fan_add(r->fan, &web_consumer, r->web, err, sizeof err)) goto fail;
    web_watch(r->web, r->fan); /* the overview's consumer statistics */
    if (fan_start(r->fan, err, sizeof err) != 0) goto fail;
    acfg.frames = (fan_wanted(r->fan) & FAN_WANT_PACKETS) != 0;
    if (r->cfg->siprec.enabled && run_start_siprec(r, err, sizeof err) != 0) goto fail;

    /* the correlation stage, then the capture threads that feed it */
    corr_config_default(&acfg.corr);
    app_config_to_corr_config(cfg, &acfg.corr);
    cap_limits_t limits;
    cap_limits_default(&limits);
    app_config_to_cap_limits(cfg, &limits);
    if (pl_stage_open(&r->corr, &acfg, fan_shard_sink, fan_shard_idle, r->fan, err, sizeof err) !=
        0)
        goto fail;
    r->corr_open = true;
    if (pl_capture_attach(r->cap, &r->corr, &limits, err, sizeof err) != 0) goto fail;
    if (r->live && pl_capture_start(r->cap, err, sizeof err) != 0) {
        log_error("%s", err);
        return 1;
    }
    log_start(r, acfg.shards);
    return 0;
fail:
    fprintf(stderr, "siphon run: %s\n", err);
    return 1;
}

/* Until a signal, every ring failed, or the end of capture.file.  Returns
 * the read errors of capture.file; *status 1 when every ring failed. */
static int run_loop(run_t *r, int *status)
{
    if (r->files) return loop_files(r, r->files);
    *status = loop_main(r);
    return 0;
}

/* Stop order: capture threads, correlation (every call in flight is
 * flushed into the sinks), consumers; then the summary. */
static void run_summary(run_t *r, int read_errors, int64_t t0)
{
    siphon_config_t *cfg = r->cfg;
    srs_stats_t srs_st;
    if (r->srs) { /* its sessions end ("shutdown") into the output first */
        srs_stop(r->srs);
        srs_stats(r->srs, &srs_st);
        app_siprec_unwire(&r->srs_wire); /* its packets into the store, before fan_stop */
    }
    if (r->srs_only) {
        fan_stop(r->fan);
        if (cfg->log.stats_interval_ns > 0) log_stats(r);
        cap_stats_t dec = {0};
        corr_stats_t cs = {0};
        out_summary_t sum = {.elapsed_s = (double)(clock_mono_ns() - t0) / 1e9,
                             .cap = &dec,
                             .corr = &cs,
                             .siprec = &srs_st};
        out_summary(r->out, &sum);
        return;
    }
    pl_capture_stop(r->cap);
    log_info("stopping: flushing the calls in flight");
    pl_stage_finish(&r->corr);
    fan_stop(r->fan);
    app_alerts_stop(r->alerts);

    out_iface_summary_t sum_if[PL_MAX_IFACES];
    cap_ring_stats_t per_if[PL_MAX_IFACES];
    cap_stats_t dec;
    pl_capture_stats(r->cap, per_if, &dec);
    for (uint32_t i = 0; i < r->n_ifaces; i++) {
        sum_if[i] =
            (out_iface_summary_t){.ifname = cfg->capture.interfaces.items[i], .ring = per_if[i]};
        sum_if[i].has_iface = cap_iface_stats(sum_if[i].ifname, &sum_if[i].iface) == 0;
    }
    if (cfg->log.stats_interval_ns > 0) log_stats(r);
    pl_stats_t ps;
    pl_stats(r->corr.pl, &ps);
    det_stats_t ds;
    if (r->det) det_stats(r->det, &ds);
    out_summary_t sum = {
        .detect = r->det ? &ds : NULL,
        .files = r->files ? (int)cfg->capture.files.count : 0,
        .read_errors = read_errors,
        .elapsed_s = (double)(clock_mono_ns() - t0) / 1e9,
        .cap = &dec,
        .corr = pl_stage_stats(&r->corr),
        .ifaces = r->live ? sum_if : NULL,
        .n_ifaces = r->live ? (int)r->n_ifaces : 0,
        .pipeline = &ps,
        .shards = pl_shards(r->corr.pl),
        .capture_threads = r->nw,
        .groups = app_storage_group(&r->stor),
        .n_groups = r->stor.st ? 1 : 0,
        .siprec = r->srs ? &srs_st : NULL,
    };
    out_summary(r->out, &sum);
}

/* The one cleanup path: whatever run_setup got to, in reverse order. */
static void run_cleanup(run_t *r)
{
    srs_free(r->srs);
    r->srs = NULL;
    app_siprec_unwire(&r->srs_wire);
    if (r->srs_only) {
        fan_free(r->fan);
        app_storage_stop(&r->stor);
        if (r->outf) fclose(r->outf);
        return;
    }
    pl_capture_stop(r->cap);
    if (r->corr_open) {
        pl_stage_finish(&r->corr);
        pl_stage_close(&r->corr);
    }
    web_watch(r->web, NULL);
    fan_free(r->fan);
    alert_hub_free(r->alerts);
    web_stop(r->web);
    app_storage_stop(&r->stor);
    if (r->outf) fclose(r->outf);
    pl_capture_free(r->cap);
    if (r->files) cap_files_close(r->files);
}

static int run_main(run_t *r, int argc, char **argv, bool no_config_file)
{
    int status = run_options(r, argc, argv);
    if (status >= 0) return status;
    status = run_setup(r, no_config_file);
    if (status == 0) {
        int64_t t0 = clock_mono_ns();
        int read_errors = run_loop(r, &status);
        run_summary(r, read_errors, t0);
        if (read_errors) status = 1;
    }
    run_cleanup(r);
    return status;
}
