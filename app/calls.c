/* calls.c - `siphon calls`: search the stored calls.
 *
 * Options into a search filter (storage.h st_parse_*), the database of the
 * configuration (storage.dsn, else the embedded server), the search
 * (st_calls_find), and each call found written by the table formatter of
 * `siphon analyze` (output.h) or as one NDJSON line (st_calls_row_json).
 *
 * Exit status: 0 (also when nothing matched), 1 when the database could not
 * be searched, 2 on usage errors.
 */
#include "app.h"
#include "config_map.h"
#include "storage.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CALLS_LIMIT_DEFAULT 100

static void usage(FILE *f)
{
    fprintf(f,
            "usage: siphon calls [options]\n"
            "\n"
            "Searches the calls stored in the database (storage.dsn, else the embedded\n"
            "server) and lists the newest that match, oldest first.\n"
            "\n"
            "  --since WHEN           calls that started at or after WHEN: a duration back\n"
            "                         from now (90s, 15m, 1h30m, 2d, 1w) or an RFC 3339 time\n"
            "                         (2026-12-07T13:00:00Z; a date alone is its midnight UTC)\n"
            "  --until WHEN           ... and before WHEN\n"
            "  --caller PATTERN       the caller's user part: 1000 (equal), 1000* (starts\n"
            "                         with), *555 (ends with), *55* (contains), 10*55;\n"
            "                         \\* is a literal star\n"
            "  --callee PATTERN       the callee's user part, the same way\n"
            "  --call-id PATTERN      the Call-ID, the same way\n"
            "  --ip ADDR[/LEN]        the source or destination of the call's INVITE\n"
            "  --state STATE          answered, rejected, busy, cancelled or unanswered\n"
            "  --code CODE            the final response code (503) or class (5xx)\n"
            "  --mos-below X          scored calls whose MOS is below X\n"
            "  --limit N              at most N calls, the newest (default %d; 0: all)\n"
            "  --json                 NDJSON: one call object per line\n"
            "  -c FILE                read settings from a configuration file\n"
            "  --SECTION.KEY=VALUE    set one setting, e.g. --storage.dsn=postgresql://...\n"
            "  -v, --verbose          log more\n"
            "  -h, --help             this help\n",
            CALLS_LIMIT_DEFAULT);
}

/* The command line into f; -1 to go on, else the exit status. */
static int calls_options(int argc, char **argv, st_calls_filter_t *f, bool *json, int *verbosity)
{
    static const struct option opts[] = {
        {"since", required_argument, NULL, 's'},
        {"until", required_argument, NULL, 'u'},
        {"caller", required_argument, NULL, 'f'},
        {"callee", required_argument, NULL, 't'},
        {"call-id", required_argument, NULL, 'i'},
        {"ip", required_argument, NULL, 'a'},
        {"state", required_argument, NULL, 'S'},
        {"code", required_argument, NULL, 'C'},
        {"mos-below", required_argument, NULL, 'M'},
        {"limit", required_argument, NULL, 'l'},
        {"json", no_argument, NULL, 'j'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *f = (st_calls_filter_t){.limit = CALLS_LIMIT_DEFAULT};
    int64_t now = clock_real_ns();
    char err[512] = "";
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
        int rc = 0;
        uint64_t v;
        switch (c) {
        case 's':
            rc = st_parse_when(optarg, now, &f->since_ns, err, sizeof err);
            f->has_since = true;
            break;
        case 'u':
            rc = st_parse_when(optarg, now, &f->until_ns, err, sizeof err);
            f->has_until = true;
            break;
        case 'f':
            rc = st_parse_pattern(optarg, &f->caller, err, sizeof err);
            break;
        case 't':
            rc = st_parse_pattern(optarg, &f->callee, err, sizeof err);
            break;
        case 'i':
            rc = st_parse_pattern(optarg, &f->call_id, err, sizeof err);
            break;
        case 'a':
            rc = st_parse_ip(optarg, f, err, sizeof err);
            break;
        case 'S':
            rc = st_parse_state(optarg, f, err, sizeof err);
            break;
        case 'C':
            rc = st_parse_code(optarg, f, err, sizeof err);
            break;
        case 'M':
            rc = st_parse_mos(optarg, f, err, sizeof err);
            break;
        case 'l':
            if (!sv_to_u64(sv_from_cstr(optarg), UINT32_MAX, &v)) {
                snprintf(err, sizeof err, "'%.64s' is not a whole number (0..%u)", optarg,
                         UINT32_MAX);
                rc = -1;
            }
            f->limit = (uint32_t)v;
            break;
        case 'j':
            *json = true;
            break;
        case 'v':
            (*verbosity)++;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
        if (rc != 0) {
            fprintf(stderr, "siphon calls: --%s: %s\n", argv[optind - 1] + 2, err);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "siphon calls: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    return -1;
}

int cmd_calls(int argc, char **argv)
{
    siphon_config_t cfg;
    config_defaults(&cfg);
    if (app_config_from_args("calls", &argc, argv,
                             access(CONFIG_DEFAULT_PATH, F_OK) == 0 ? CONFIG_DEFAULT_PATH : NULL,
                             &cfg, NULL) != APP_CONFIG_OK) {
        config_free(&cfg);
        return 2;
    }
    st_calls_filter_t f;
    bool json = false;
    int verbosity = 0;
    int status = calls_options(argc, argv, &f, &json, &verbosity);
    if (status >= 0) {
        config_free(&cfg);
        return status;
    }
    log_set_level(app_config_log_level(&cfg, verbosity));

    char err[1024];
    app_search_db_t db;
    if (app_search_db_open("calls", &cfg, &db) != 0) {
        config_free(&cfg);
        return 1;
    }
    long n = st_calls_find(db.search, &f, err, sizeof err);
    if (n < 0) {
        fprintf(stderr, "siphon calls: %s\n", err);
        status = 1;
    } else {
        buf_t out;
        buf_init(&out);
        corr_call_t *call = malloc(sizeof *call);
        out_table_layout_t l;
        out_table_layout(&l, out_table_width(stdout));
        if (!json && n > 0) out_table_header(&out, &l);
        for (long i = 0; call && i < n; i++) {
            if (json) {
                st_calls_row_json(db.search, (size_t)i, &out);
            } else {
                st_calls_row(db.search, (size_t)i, call);
                out_call_table(&out, call, false, &l);
            }
            if (out.len > 65536) fwrite(out.data, 1, out.len, stdout), buf_reset(&out);
        }
        if (!json)
            buf_printf(&out, "%ld call%s%s\n", n, n == 1 ? "" : "s",
                       f.limit && (uint64_t)n == f.limit ? " (the newest; --limit 0 for all)" : "");
        fwrite(out.data, 1, out.len, stdout);
        buf_free(&out);
        free(call);
        status = call ? 0 : 1;
    }
    app_search_db_close(&db);
    config_free(&cfg);
    return status;
}
