/* analyze.c - `siphon analyze`: rebuild every SIP call and RTP stream from
 * capture files.
 *
 * The loop is the offline pipeline:
 *   cap_files_next -> cap_decode_frame -> (datagram callback) correlation
 *   -> (call callback) the consumers of the fan-out (fanout.h): here the
 *   table/NDJSON writer (output.h), as in run.
 * Correlation (pipeline.h pl_stage_t) runs in this thread by default, or, with
 * --threads N (correlator.shards), in N correlator threads fed through the
 * pipeline's rings (lossless: the reader waits when a ring is full) with
 * the same results: same calls, streams and counters.
 * Packet time drives expiry: every time the capture clock passes a whole
 * second, fragments, TCP flows and idle calls are expired.  At the end every
 * open call and orphan stream is flushed, then a summary is printed.
 *
 * Records are written as they complete (streaming), so memory stays bounded by
 * the correlator's caps however long the capture is.
 *
 * analyze_main is options (analyze_options), set-up (analyze_setup: the
 * consumers, the correlation stage, the source, in that order), the loop
 * (analyze_loop), the summary (analyze_summary) and one cleanup path
 * (analyze_cleanup, the reverse order; it frees whatever set-up got to).
 *
 * Exit status: 0 on success, 1 when some input could not be read completely
 * (what could be read is still reported), 2 on usage errors.
 */
#include "app.h"
#include "config_map.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f, const corr_config_t *d)
{
    fprintf(f,
            "usage: siphon analyze [options] FILE...\n"
            "\n"
            "Reads pcap/pcapng files, gzip-compressed or not, - for standard input\n"
            "(several files are merged in timestamp order),\n"
            "rebuilds SIP calls and measures every RTP stream.\n"
            "\n"
            "  --json                 NDJSON on stdout: one object per call, orphan stream,\n"
            "                         and a final summary object\n"
            "  --events               with --json, also lifecycle events (call_started,\n"
            "                         call_answered, registration, quality_interval)\n"
            "  --messages             with --json, also every SIP message (type sip_message:\n"
            "                         endpoints, method or status, Call-ID, CSeq, call_key,\n"
            "                         the message text), in capture order\n"
            "  --alerts               detect attacks and bad quality (floods, scanners,\n"
            "                         enumeration, password guessing, toll fraud, SPIT,\n"
            "                         quality; thresholds in [alerts]): one alert per\n"
            "                         incident update, NDJSON with --json, else one line\n"
            "  --streams              in the table, list each call's streams\n"
            "  --store                also store calls, streams, SIP messages and\n"
            "                         registrations in PostgreSQL (storage.dsn, else the\n"
            "                         embedded server)\n"
            "  --no-progress          no progress bar (it is shown only on a terminal)\n"
            "  --progress             the progress bar on stderr even when it is no terminal\n"
            "  --call-timeout SEC     end calls idle for SEC seconds (default %d)\n"
            "  --max-calls N          concurrent calls tracked (default %u)\n"
            "  --max-streams N        concurrent RTP streams tracked (default %u)\n"
            "  --no-orphans           do not classify unattributed UDP flows with nDPI\n"
            "  --threads N            correlate in N threads (calls split by Call-ID) while\n"
            "                         this one reads and decodes; 0 (default): one thread\n"
            "  --jb-fixed-ms MS       fixed jitter buffer delay for scoring (default %u)\n"
            "  --jb-min-ms MS         adaptive jitter buffer lower bound (default %u)\n"
            "  --jb-max-ms MS         adaptive jitter buffer upper bound (default %u)\n"
            "  --interval-s SEC       quality-over-time interval (default %u)\n"
            "  --codec-table FILE     codec Ie/Bpl overrides, lines `codec ie bpl [source]`\n"
            "  -c FILE                read settings from a configuration file (none by default)\n"
            "  --SECTION.KEY=VALUE    set one setting, e.g. --correlator.max_calls=1000\n"
            "                         (`siphon check-config --dump` lists them all); the\n"
            "                         options above take precedence over them\n"
            "  -v, --verbose          log more (repeat for debug)\n"
            "  -h, --help             this help\n",
            (int)(d->call_idle_timeout_ns / NS_PER_SEC), d->max_calls, d->max_streams,
            d->quality.jb_fixed_ms, d->quality.jb_min_ms, d->quality.jb_max_ms,
            d->quality.interval_ms / 1000);
}

/* What the command line and the configuration ask for (analyze_options). */
typedef struct {
    out_format_t format;
    bool progress, progress_forced, streams_in_table, events, messages, store, alerts;
    int verbosity;
    uint32_t threads; /* correlator shards, 0: inline */
    corr_config_t ccfg;
    cap_limits_t limits;
} analyze_options_t;

typedef struct {
    analyze_options_t opt;
    const char *const *paths;
    int nfiles;
    fan_t *fan;          /* the consumers */
    out_t *out;          /* the table/NDJSON writer among them */
    alert_hub_t *alerts; /* [alerts] sinks (NULL: none configured) */
    det_t *det;          /* the detection (--alerts) */
    void *rec;           /* the packet store (--record.dir), or NULL */
    pl_stage_t corr;     /* the correlation stage */
    bool corr_open;
    cap_files_t *files;
    cap_decoder_t *dec;
    uint64_t frames;
    int64_t t0;         /* the loop's start (clock_mono_ns) */
    st_config_t sc;     /* --store */
    app_storage_t stor; /* the storage consumer and its server */
} analyze_t;

static int analyze_main(int argc, char **argv, const siphon_config_t *cfg);

/* The progress line on stderr (output.h out_progress_line). */
static void progress_draw(analyze_t *a, bool final)
{
    out_progress_t p = {
        .bytes_read = cap_files_read_bytes(a->files),
        .bytes_total = cap_files_total_bytes(a->files),
        .packets = a->frames,
        .calls = pl_stage_stats(&a->corr)->calls,
        .elapsed_s = (double)(clock_mono_ns() - a->t0) / 1e9,
    };
    if (a->stor.st) {
        st_stats_t ss;
        st_stats(a->stor.st, &ss);
        p.storing = true;
        p.stored = ss.rows_written + ss.rows_duplicate;
    }
    buf_t line;
    buf_init(&line);
    out_progress_line(&line, &p, final);
    fwrite(line.data, 1, line.len, stderr);
    fflush(stderr);
    buf_free(&line);
}

/* The configuration comes first (-c FILE and --section.key=value; no file is
 * read without -c): it gives the defaults that analyze's own options may
 * still override.  A bad configuration is a usage error (exit 2). */
int cmd_analyze(int argc, char **argv)
{
    siphon_config_t cfg;
    config_defaults(&cfg);
    int rc = app_config_from_args("analyze", &argc, argv, NULL, &cfg, NULL);
    if (rc == APP_CONFIG_OK)
        rc = analyze_main(argc, argv, &cfg);
    else
        rc = 2;
    config_free(&cfg);
    return rc;
}

/* The numeric options and the configuration key each one stands for: its
 * range is the key's (in the option's unit), so the option and the key
 * accept the same values and refuse the others in the same words. */
static const struct {
    int c;
    const char *section, *key;
    uint64_t unit; /* ns per option unit for durations; 1 otherwise */
} numeric[] = {
    {'t', "correlator", "call_idle_timeout", NS_PER_SEC},
    {'C', "correlator", "max_calls", 1},
    {'S', "correlator", "max_streams", 1},
    {'n', "correlator", "shards", 1},
    {'F', "quality", "jb_fixed_delay", NS_PER_MSEC},
    {'m', "quality", "jb_min_delay", NS_PER_MSEC},
    {'M', "quality", "jb_max_delay", NS_PER_MSEC},
    {'I', "quality", "interval", NS_PER_SEC},
};

/* optarg of the numeric option c, checked against its key's range:
 * "--max-calls: 0 is out of range 1..16777216" otherwise. */
static bool option_number(const struct option *opts, int c, const char *arg, uint64_t *v)
{
    const char *name = "?";
    for (const struct option *o = opts; o->name; o++)
        if (o->val == c) name = o->name;
    uint64_t lo = 0, hi = UINT32_MAX;
    for (size_t i = 0; i < sizeof numeric / sizeof numeric[0]; i++) {
        if (numeric[i].c != c) continue;
        const config_key_t *k = config_find(numeric[i].section, numeric[i].key);
        if (k) {
            lo = (k->min + numeric[i].unit - 1) / numeric[i].unit;
            hi = k->max / numeric[i].unit;
        }
    }
    if (c == 'n' && hi > PL_MAX_THREADS) hi = PL_MAX_THREADS;
    if (!sv_to_u64(sv_from_cstr(arg), UINT64_MAX, v)) {
        bool digits = arg[0] && strspn(arg, "0123456789") == strlen(arg);
        if (digits)
            fprintf(stderr, "siphon analyze: --%s: %s is out of range %llu..%llu\n", name, arg,
                    (unsigned long long)lo, (unsigned long long)hi);
        else
            fprintf(stderr,
                    "siphon analyze: --%s: '%s' is not a whole number (expected %llu..%llu)\n",
                    name, arg, (unsigned long long)lo, (unsigned long long)hi);
        return false;
    }
    if (*v < lo || *v > hi) {
        fprintf(stderr, "siphon analyze: --%s: %s is out of range %llu..%llu\n", name, arg,
                (unsigned long long)lo, (unsigned long long)hi);
        return false;
    }
    return true;
}

/* The command line.  -1: go on; else the exit status (help, usage). */
static int analyze_options(analyze_t *a, int argc, char **argv, const siphon_config_t *cfg)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"events", no_argument, NULL, 'E'},
        {"messages", no_argument, NULL, 'G'},
        {"alerts", no_argument, NULL, 'A'},
        {"streams", no_argument, NULL, 's'},
        {"store", no_argument, NULL, 'D'},
        {"no-progress", no_argument, NULL, 'P'},
        {"progress", no_argument, NULL, 'Q'},
        {"call-timeout", required_argument, NULL, 't'},
        {"max-calls", required_argument, NULL, 'C'},
        {"max-streams", required_argument, NULL, 'S'},
        {"no-orphans", no_argument, NULL, 'O'},
        {"threads", required_argument, NULL, 'n'},
        {"jb-fixed-ms", required_argument, NULL, 'F'},
        {"jb-min-ms", required_argument, NULL, 'm'},
        {"jb-max-ms", required_argument, NULL, 'M'},
        {"interval-s", required_argument, NULL, 'I'},
        {"codec-table", required_argument, NULL, 'T'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    analyze_options_t *o = &a->opt;
    *o = (analyze_options_t){.format = OUT_TABLE, .progress = true};
    corr_config_default(&o->ccfg);
    cap_limits_default(&o->limits);
    app_config_to_corr_config(cfg, &o->ccfg);
    app_config_to_cap_limits(cfg, &o->limits);
    o->threads = cfg->correlator.shards;

    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
        uint64_t v;
        switch (c) {
        case 'j':
            o->format = OUT_JSON;
            break;
        case 'E':
            o->events = true;
            break;
        case 'G':
            o->messages = true;
            break;
        case 'A':
            o->alerts = true;
            break;
        case 's':
            o->streams_in_table = true;
            break;
        case 'D':
            o->store = true;
            break;
        case 'P':
            o->progress = false;
            o->progress_forced = false;
            break;
        case 'Q':
            o->progress = o->progress_forced = true;
            break;
        case 'O':
            o->ccfg.classify_orphans = false;
            break;
        case 'v':
            o->verbosity++;
            break;
        case 't':
        case 'C':
        case 'S':
        case 'n':
        case 'F':
        case 'm':
        case 'M':
        case 'I':
            if (!option_number(opts, c, optarg, &v)) return 2;
            if (c == 't') o->ccfg.call_idle_timeout_ns = (int64_t)v * NS_PER_SEC;
            if (c == 'C') o->ccfg.max_calls = (uint32_t)v;
            if (c == 'S') o->ccfg.max_streams = (uint32_t)v;
            if (c == 'n') o->threads = (uint32_t)v;
            if (c == 'F') o->ccfg.quality.jb_fixed_ms = (uint32_t)v;
            if (c == 'm') o->ccfg.quality.jb_min_ms = (uint32_t)v;
            if (c == 'M') o->ccfg.quality.jb_max_ms = (uint32_t)v;
            if (c == 'I') o->ccfg.quality.interval_ms = (uint32_t)v * 1000;
            break;
        case 'T': {
            char terr[512];
            if (quality_codec_table_load(optarg, terr, sizeof terr) != 0) {
                fprintf(stderr, "siphon analyze: codec table %s\n", terr);
                return 2;
            }
            break;
        }
        case 'h':
            usage(stdout, &o->ccfg);
            return 0;
        default:
            usage(stderr, &o->ccfg);
            return 2;
        }
    }
    if (o->events && o->format != OUT_JSON) {
        fprintf(stderr, "siphon analyze: --events needs --json (events are NDJSON records)\n");
        return 2;
    }
    if (o->ccfg.quality.jb_min_ms > o->ccfg.quality.jb_max_ms) {
        fprintf(stderr, "siphon analyze: --jb-min-ms is above --jb-max-ms\n");
        return 2;
    }
    if (o->messages && o->format != OUT_JSON) {
        fprintf(stderr, "siphon analyze: --messages needs --json\n");
        return 2;
    }
    if (optind >= argc && cfg->capture.files.count == 0) {
        fprintf(stderr, "siphon analyze: no input file\n");
        usage(stderr, &o->ccfg);
        return 2;
    }
    a->paths = (const char *const *)(argv + optind);
    a->nfiles = argc - optind;
    if (a->nfiles == 0) { /* no FILE: the configuration's capture.file */
        a->paths = (const char *const *)cfg->capture.files.items;
        a->nfiles = (int)cfg->capture.files.count;
    }
    log_set_level(app_config_log_level(cfg, o->verbosity));
    if (!isatty(STDERR_FILENO) && !o->progress_forced) o->progress = false;
    return -1;
}

/* Start order: the consumers, the correlation stage, the source (files and
 * decoder).  0, or the exit status; analyze_cleanup undoes what was done
 * either way. */
static int analyze_setup(analyze_t *a, const siphon_config_t *cfg)
{
    const analyze_options_t *o = &a->opt;
    char err[512];
    fan_env_t env = {
        .shards = o->threads ? o->threads : 1, .threaded = o->threads > 0, .lossless = true};
    out_config_t ocfg = {.format = o->format,
                         .streams_in_table = o->streams_in_table,
                         .events = o->events,
                         .messages = o->messages,
                         .out = stdout};
    if (app_alerts_new(cfg, o->alerts, &a->alerts, err, sizeof err) != 0) goto fail;
    a->fan = fan_new(&env);
    if (!a->fan) {
        snprintf(err, sizeof err, "out of memory");
        goto fail;
    }
    a->out = fan_add(a->fan, &out_consumer, &ocfg, err, sizeof err);
    if (!a->out) goto fail;
    if (o->store) { /* no maintenance: an import keeps what it stores */
        st_config_default(&a->sc);
        app_config_to_st_config(cfg, &a->sc);
        a->sc.maintenance_interval_ns = 0;
        if (app_storage_server(&a->stor, &a->sc, err, sizeof err) != 0 ||
            app_storage_add(&a->stor, a->fan, &a->sc, err, sizeof err) != 0)
            goto fail;
    }
    app_alerts_listen(a->alerts, a->out, a->stor.st);
    if (app_alerts_start(a->alerts, err, sizeof err) != 0) goto fail;
    if (o->alerts) { /* the detectors publish into the hub */
        det_consumer_config_t dcfg = {.listener = alert_hub_listener, .listener_user = a->alerts};
        det_config_default(&dcfg.cfg);
        app_config_to_det_config(cfg, &dcfg.cfg);
        a->det = fan_add(a->fan, &det_consumer, &dcfg, err, sizeof err);
        if (!a->det) goto fail;
    }
    if (cfg->record.enabled && app_config_is_set(cfg, "record", "dir")) {
        rec_config_t rcfg;
        rec_config_default(&rcfg);
        app_config_to_rec_config(cfg, &rcfg);
        app_recordings_to_storage(&rcfg, a->stor.st);
        if (!(a->rec = fan_add(a->fan, &rec_consumer, &rcfg, err, sizeof err))) goto fail;
    }
    if (fan_start(a->fan, err, sizeof err) != 0) goto fail;
    pl_stage_config_t scfg = {.corr = o->ccfg,
                              .shards = o->threads,
                              .producers = 1,
                              .queue_bytes = cfg->correlator.queue_size,
                              .lossless = true,
                              .frames = (fan_wanted(a->fan) & FAN_WANT_PACKETS) != 0};
    if (pl_stage_open(&a->corr, &scfg, fan_shard_sink, fan_shard_idle, a->fan, err, sizeof err) !=
        0)
        goto fail;
    a->corr_open = true;
    a->files = cap_files_open(a->paths, a->nfiles, err, sizeof err);
    if (!a->files) goto fail;
    a->dec = cap_decoder_new(&o->limits, pl_stage_on_datagram, &a->corr.feeds[0]);
    if (!a->dec) {
        snprintf(err, sizeof err, "out of memory setting up tables");
        goto fail;
    }
    return 0;
fail:
    fprintf(stderr, "siphon analyze: %s\n", err);
    return 1;
}

/* Every frame of the files through the decoder into the stage; returns
 * the read errors. */
static int analyze_loop(analyze_t *a)
{
    char err[512];
    int64_t next_draw = clock_mono_ns(), next_expire = 0;
    int read_errors = 0;
    cap_frame_t frame;
    for (;;) {
        int r = cap_files_next(a->files, &frame, err, sizeof err);
        if (r == 0) break;
        if (r < 0) {
            fprintf(stderr, "siphon analyze: %s\n", err);
            read_errors++;
            continue;
        }
        a->frames++;
        cap_frame_t ahead;
        pl_stage_prefetch(&a->corr, a->dec,
                          cap_files_peek(a->files, CORR_LOOKAHEAD_DIST, &ahead) ? &ahead : NULL);
        pl_stage_frame(&a->corr, 0, a->dec, &next_expire, &frame);
        if (a->opt.progress && (a->frames & 0xffff) == 0) {
            int64_t now = clock_mono_ns();
            if (now >= next_draw) {
                progress_draw(a, false);
                next_draw = now + 200 * NS_PER_MSEC;
            }
        }
    }
    return read_errors;
}

/* Stop order: the source has ended; correlation (every call in flight is
 * flushed into the sinks), the consumers; then the summary. */
static void analyze_summary(analyze_t *a, int read_errors, int64_t t0)
{
    pl_stage_finish(&a->corr);
    fan_stop(a->fan);
    app_alerts_stop(a->alerts);
    if (a->opt.progress) progress_draw(a, true);
    out_summary_t sum = {
        .files = a->nfiles,
        .read_errors = read_errors,
        .elapsed_s = (double)(clock_mono_ns() - t0) / 1e9,
        .cap = cap_decoder_stats(a->dec),
        .corr = pl_stage_stats(&a->corr),
        .groups = app_storage_group(&a->stor),
        .n_groups = a->stor.st ? 1 : 0,
    };
    det_stats_t ds;
    if (a->det) {
        det_stats(a->det, &ds);
        sum.detect = &ds;
    }
    pl_stats_t ps;
    if (a->corr.pl) {
        pl_stats(a->corr.pl, &ps);
        sum.pipeline = &ps;
        sum.shards = a->opt.threads;
        sum.capture_threads = 1;
    }
    out_summary(a->out, &sum);
    if (a->rec) {
        rec_stats_t rs;
        rec_stats(a->rec, &rs);
        fprintf(stderr,
                "siphon analyze: recorded %llu calls, %llu packets, %llu bytes (store %llu "
                "bytes, %llu segments deleted)\n",
                (unsigned long long)rs.calls, (unsigned long long)rs.packets,
                (unsigned long long)rs.bytes, (unsigned long long)rs.store_bytes,
                (unsigned long long)rs.segments_deleted);
        if (rs.audio_rendered + rs.audio_dropped + rs.audio_no_media + rs.audio_failed)
            fprintf(stderr,
                    "siphon analyze: audio at call end: %llu rendered, %llu dropped (queue "
                    "full or no room), %llu without voice, %llu failed\n",
                    (unsigned long long)rs.audio_rendered, (unsigned long long)rs.audio_dropped,
                    (unsigned long long)rs.audio_no_media, (unsigned long long)rs.audio_failed);
    }
}

/* The one cleanup path: whatever analyze_setup got to, in reverse order. */
static void analyze_cleanup(analyze_t *a)
{
    if (a->dec) cap_decoder_free(a->dec);
    if (a->files) cap_files_close(a->files);
    if (a->corr_open) {
        pl_stage_finish(&a->corr);
        pl_stage_close(&a->corr);
    }
    fan_free(a->fan);
    alert_hub_free(a->alerts);
    app_storage_stop(&a->stor);
}

static int analyze_main(int argc, char **argv, const siphon_config_t *cfg)
{
    analyze_t a = {0};
    int status = analyze_options(&a, argc, argv, cfg);
    if (status >= 0) return status;
    status = analyze_setup(&a, cfg);
    if (status == 0) {
        int64_t t0 = a.t0 = clock_mono_ns();
        int read_errors = analyze_loop(&a);
        analyze_summary(&a, read_errors, t0);
        status = read_errors ? 1 : 0;
    }
    analyze_cleanup(&a);
    return status;
}
