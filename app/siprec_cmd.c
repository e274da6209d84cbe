/* siprec_cmd.c - `siphon siprec list|show`: the stored SIPREC sessions.
 *
 * Wiring only: the options, the database of the configuration
 * (storage.dsn, else the embedded server, as `siphon calls` finds it:
 * app_search_db_open), storage's queries (st_siprec_list, st_siprec_show)
 * and their text or NDJSON on stdout.
 *
 * Exit status: 0 (list: also when nothing matched), 1 when the database
 * could not be read, 2 on usage errors, 3 when show finds no session.
 */
#include "app.h"
#include "config_map.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SIPREC_LIMIT_DEFAULT 100

static void usage(FILE *f)
{
    fprintf(f,
            "usage: siphon siprec list [--since WHEN] [--until WHEN] [--limit N] [--json]\n"
            "       siphon siprec show SESSION_UUID|CALL_ID [--json] [--xml]\n"
            "\n"
            "The recording sessions the SIPREC server (siprec.enabled) stored in the\n"
            "database (storage.enabled): list shows the newest sessions, oldest first, with\n"
            "their participants, the Call-IDs of the calls they recorded and the uuids of\n"
            "those calls when siphon also observed them; show one session with its\n"
            "participants and streams.\n"
            "\n"
            "  --since WHEN     sessions that started at or after WHEN: a duration back from\n"
            "                   now (90s, 15m, 1h30m, 2d, 1w) or an RFC 3339 time\n"
            "  --until WHEN     ... and before WHEN\n"
            "  --limit N        at most N sessions, the newest (default %d; 0: all)\n"
            "  --json           NDJSON: one object per session\n"
            "  --xml            show: the last metadata document the SRC sent\n"
            "  -c FILE, --SECTION.KEY=VALUE  configuration, as for every command\n"
            "  -h, --help       this help\n",
            SIPREC_LIMIT_DEFAULT);
}

typedef struct {
    const char *verb, *id;
    st_siprec_filter_t f;
    bool json, xml;
} siprec_opts_t;

static int siprec_options(int argc, char **argv, siprec_opts_t *o)
{
    static const struct option opts[] = {
        {"since", required_argument, NULL, 's'},
        {"until", required_argument, NULL, 'u'},
        {"limit", required_argument, NULL, 'l'},
        {"json", no_argument, NULL, 'j'},
        {"xml", no_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    o->f.limit = SIPREC_LIMIT_DEFAULT;
    int64_t now = clock_real_ns();
    char err[512] = "";
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int rc = 0;
        uint64_t v = 0;
        switch (c) {
        case 's':
            rc = st_parse_when(optarg, now, &o->f.since_ns, err, sizeof err);
            o->f.has_since = true;
            break;
        case 'u':
            rc = st_parse_when(optarg, now, &o->f.until_ns, err, sizeof err);
            o->f.has_until = true;
            break;
        case 'l':
            if (!sv_to_u64(sv_from_cstr(optarg), UINT32_MAX, &v)) {
                snprintf(err, sizeof err, "'%.64s' is not a whole number (0..%u)", optarg,
                         UINT32_MAX);
                rc = -1;
            }
            o->f.limit = (uint32_t)v;
            break;
        case 'j':
            o->json = true;
            break;
        case 'x':
            o->xml = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
        if (rc != 0) {
            fprintf(stderr, "siphon siprec: %s: %s\n", argv[optind - 1], err);
            return 2;
        }
    }
    if (optind < argc) o->verb = argv[optind++];
    if (o->verb && strcmp(o->verb, "show") == 0 && optind < argc) o->id = argv[optind++];
    bool ok = o->verb &&
              ((strcmp(o->verb, "list") == 0 && !o->id) || (strcmp(o->verb, "show") == 0 && o->id));
    if (!ok || optind < argc) {
        usage(stderr);
        return 2;
    }
    return -1;
}

static int siprec_main(int argc, char **argv, const siphon_config_t *cfg)
{
    siprec_opts_t o = {0};
    int rc = siprec_options(argc, argv, &o);
    if (rc >= 0) return rc;
    app_search_db_t db;
    if (app_search_db_open("siprec", cfg, &db) != 0) return 1;
    st_config_t sc;
    st_config_default(&sc);
    app_config_to_st_config(cfg, &sc);
    const char *dsn = sc.dsn && sc.dsn[0] ? sc.dsn : st_server_dsn(db.storage.server);
    char err[1024];
    buf_t out;
    buf_init(&out);
    long n;
    if (strcmp(o.verb, "list") == 0) {
        n = st_siprec_list(dsn, &o.f, o.json, &out, err, sizeof err);
        rc = n < 0 ? 1 : 0;
    } else {
        n = st_siprec_show(dsn, o.id, o.json, o.xml, &out, err, sizeof err);
        rc = n < 0 ? 1 : n == 0 ? 3 : 0;
        if (n == 0) {
            buf_t id;
            buf_init(&id);
            text_inert_cstr(&id, o.id);
            fprintf(stderr, "siphon siprec: no stored session %.*s\n", (int)id.len, id.data);
            buf_free(&id);
        }
    }
    if (n < 0) fprintf(stderr, "siphon siprec: %s\n", err);
    if (out.len) fwrite(out.data, 1, out.len, stdout);
    buf_free(&out);
    app_search_db_close(&db);
    return rc;
}

int cmd_siprec(int argc, char **argv)
{
    siphon_config_t cfg;
    config_defaults(&cfg);
    const char *def = access(CONFIG_DEFAULT_PATH, R_OK) == 0 ? CONFIG_DEFAULT_PATH : NULL;
    int rc = app_config_from_args("siprec", &argc, argv, def, &cfg, NULL);
    if (rc == APP_CONFIG_OK)
        rc = siprec_main(argc, argv, &cfg);
    else
        rc = 2;
    config_free(&cfg);
    return rc;
}
