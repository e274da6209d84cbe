/* analyze.c - `siphon analyze`: rebuild every SIP call and RTP stream from
 * capture files.
 *
 * The loop is the offline pipeline:
 *   cap_files_next -> cap_decode_frame -> (datagram callback) correlation
 *   -> (call callback) output (the sink in records.c, shared with run).
 * Correlation (correlate.c) runs in this thread by default, or, with
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

static void progress_draw(uint64_t done, uint64_t total, uint64_t frames, bool final)
{
    double pct = total ? 100.0 * (double)done / (double)total : 100.0;
    if (pct > 100.0) pct = 100.0;
    int width = 30, fill = (int)(pct * width / 100.0);
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r[%s] %5.1f%%  %llu packets%s", bar, pct, (unsigned long long)frames,
            final ? "\n" : "");
}

static void usage(FILE *f, const corr_config_t *d)
{
    fprintf(f,
            "usage: siphon analyze [options] FILE...\n"
            "\n"
            "Reads pcap/pcapng files (several files are merged in timestamp order),\n"
            "rebuilds SIP calls and measures every RTP stream.\n"
            "\n"
            "  --json                 NDJSON on stdout: one object per call, orphan stream,\n"
            "                         and a final summary object\n"
            "  --events               with --json, also lifecycle events (call_started,\n"
            "                         call_answered, registration, quality_interval)\n"
            "  --messages             with --json, also every SIP message (type sip_message:\n"
            "                         endpoints, method or status, Call-ID, CSeq, call_key,\n"
            "                         the message text), in capture order\n"
            "  --streams              in the table, list each call's streams\n"
            "  --no-progress          no progress bar (it is shown only on a terminal)\n"
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

static int analyze_main(int argc, char **argv, const siphon_config_t *cfg);

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

static int analyze_main(int argc, char **argv, const siphon_config_t *cfg)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"events", no_argument, NULL, 'E'},
        {"messages", no_argument, NULL, 'G'},
        {"streams", no_argument, NULL, 's'},
        {"no-progress", no_argument, NULL, 'P'},
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
    output_format_t format = OUTPUT_TABLE;
    bool progress = true, streams_in_table = false, events = false, messages = false;
    corr_config_t ccfg;
    corr_config_default(&ccfg);
    cap_limits_t limits;
    cap_limits_default(&limits);
    app_config_to_corr_config(cfg, &ccfg);
    app_config_to_cap_limits(cfg, &limits);
    int verbosity = 0;
    uint32_t threads = cfg->correlator.shards;

    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
        uint64_t v;
        switch (c) {
        case 'j':
            format = OUTPUT_JSON;
            break;
        case 'E':
            events = true;
            break;
        case 'G':
            messages = true;
            break;
        case 's':
            streams_in_table = true;
            break;
        case 'P':
            progress = false;
            break;
        case 'O':
            ccfg.classify_orphans = false;
            break;
        case 'v':
            verbosity++;
            break;
        case 't':
        case 'C':
        case 'S':
            if (!sv_to_u64(sv_from_cstr(optarg), UINT32_MAX, &v) || v == 0) {
                fprintf(stderr, "siphon analyze: bad number '%s'\n", optarg);
                return 2;
            }
            if (c == 't') ccfg.call_idle_timeout_ns = (int64_t)v * NS_PER_SEC;
            if (c == 'C') ccfg.max_calls = (uint32_t)v;
            if (c == 'S') ccfg.max_streams = (uint32_t)v;
            break;
        case 'n':
            if (!sv_to_u64(sv_from_cstr(optarg), PL_MAX_THREADS, &v)) {
                fprintf(stderr, "siphon analyze: --threads takes 0..%d\n", PL_MAX_THREADS);
                return 2;
            }
            threads = (uint32_t)v;
            break;
        case 'F':
        case 'm':
        case 'M':
        case 'I':
            if (!sv_to_u64(sv_from_cstr(optarg), c == 'I' ? 86400 : 10000, &v) ||
                (v == 0 && c != 'F' && c != 'm')) {
                fprintf(stderr, "siphon analyze: bad value '%s'\n", optarg);
                return 2;
            }
            if (c == 'F') ccfg.quality.jb_fixed_ms = (uint32_t)v;
            if (c == 'm') ccfg.quality.jb_min_ms = (uint32_t)v;
            if (c == 'M') ccfg.quality.jb_max_ms = (uint32_t)v;
            if (c == 'I') ccfg.quality.interval_ms = (uint32_t)v * 1000;
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
            usage(stdout, &ccfg);
            return 0;
        default:
            usage(stderr, &ccfg);
            return 2;
        }
    }
    if (ccfg.quality.jb_min_ms > ccfg.quality.jb_max_ms) {
        fprintf(stderr, "siphon analyze: --jb-min-ms is above --jb-max-ms\n");
        return 2;
    }
    if (messages && format != OUTPUT_JSON) {
        fprintf(stderr, "siphon analyze: --messages needs --json\n");
        return 2;
    }
    if (optind >= argc && cfg->capture.files.count == 0) {
        fprintf(stderr, "siphon analyze: no input file\n");
        usage(stderr, &ccfg);
        return 2;
    }
    log_set_level(app_config_log_level(cfg, verbosity));
    if (!isatty(STDERR_FILENO)) progress = false;

    char err[512];
    int nfiles = argc - optind;
    const char *const *paths = (const char *const *)(argv + optind);
    if (nfiles == 0) { /* no FILE: the configuration's capture.file */
        paths = (const char *const *)cfg->capture.files.items;
        nfiles = (int)cfg->capture.files.count;
    }
    cap_files_t *files = cap_files_open(paths, nfiles, err, sizeof err);
    if (!files) {
        fprintf(stderr, "siphon analyze: %s\n", err);
        return 1;
    }

    app_records_t rec;
    app_records_init(&rec, format, streams_in_table, stdout);
    app_records_want_events(&rec, events);
    app_records_want_messages(&rec, messages);
    app_corr_config_t acfg = {.corr = ccfg,
                              .shards = threads,
                              .producers = 1,
                              .queue_bytes = cfg->correlator.queue_size,
                              .lossless = true};
    app_corr_t corr;
    if (app_corr_open(&corr, &acfg, &rec, err, sizeof err) != 0) {
        fprintf(stderr, "siphon analyze: %s\n", err);
        cap_files_close(files);
        app_records_free(&rec);
        return 1;
    }
    cap_decoder_t *dec = cap_decoder_new(&limits, app_corr_on_datagram, &corr.feeds[0]);
    if (!dec) {
        fprintf(stderr, "siphon analyze: out of memory setting up tables\n");
        app_corr_close(&corr);
        cap_files_close(files);
        app_records_free(&rec);
        return 1;
    }

    int64_t t0 = clock_mono_ns(), next_draw = t0;
    int64_t next_expire = 0;
    int read_errors = 0;
    uint64_t frames = 0;
    cap_frame_t frame;
    for (;;) {
        int r = cap_files_next(files, &frame, err, sizeof err);
        if (r == 0) break;
        if (r < 0) {
            fprintf(stderr, "siphon analyze: %s\n", err);
            read_errors++;
            continue;
        }
        frames++;
        cap_frame_t ahead;
        app_corr_prefetch(&corr, dec,
                          cap_files_peek(files, CORR_LOOKAHEAD_DIST, &ahead) ? &ahead : NULL);
        app_corr_frame(&corr, 0, dec, &next_expire, &frame);
        if (progress && (frames & 0xffff) == 0) {
            int64_t now = clock_mono_ns();
            if (now >= next_draw) {
                progress_draw(cap_files_read_bytes(files), cap_files_total_bytes(files), frames,
                              false);
                next_draw = now + 200 * NS_PER_MSEC;
            }
        }
    }
    app_corr_finish(&corr);
    if (progress)
        progress_draw(cap_files_total_bytes(files), cap_files_total_bytes(files), frames, true);

    run_summary_t sum = {
        .files = nfiles,
        .read_errors = read_errors,
        .elapsed_s = (double)(clock_mono_ns() - t0) / 1e9,
        .cap = cap_decoder_stats(dec),
        .corr = app_corr_stats(&corr),
    };
    pl_stats_t ps;
    if (corr.pl) {
        pl_stats(corr.pl, &ps);
        sum.pipeline = &ps;
        sum.shards = threads;
        sum.capture_threads = 1;
    }
    app_records_summary(&rec, &sum);

    cap_decoder_free(dec);
    app_corr_close(&corr);
    cap_files_close(files);
    app_records_free(&rec);
    return read_errors ? 1 : 0;
}
