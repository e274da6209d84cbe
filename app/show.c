/* show.c - `siphon show CALL_ID|CALL_UUID [--raw]`: one stored call.
 *
 * The call's row written by the table formatter of `siphon analyze`
 * (output.h, with its detail lines), then what storage renders from the
 * database (storage.h st_show_render): the call's uuid and probe, its
 * streams and the ladder of its SIP messages; --raw adds every message.
 * Then the SIPREC sessions that recorded the call, when a recording
 * server stored any (st_show_siprec).
 *
 * Exit status: 0 shown, 1 not found or the database could not be read,
 * 2 on usage errors.
 */
#include "app.h"
#include "config_map.h"
#include "storage.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: siphon show [options] CALL_ID|CALL_UUID\n"
               "\n"
               "Shows one stored call: its record, its streams and a ladder diagram of its\n"
               "SIP messages (one column per host, an arrow per message with its method or\n"
               "status, time offsets, retransmissions marked).  With a Call-ID that several\n"
               "calls used, the newest (`siphon calls --call-id ID` lists them).  The\n"
               "SIPREC sessions that recorded the call follow, with the commands that give\n"
               "their metadata, audio and pcap.\n"
               "\n"
               "  --raw                  also every message's text\n"
               "  -c FILE                read settings from a configuration file\n"
               "  --SECTION.KEY=VALUE    set one setting, e.g. --storage.dsn=postgresql://...\n"
               "  -v, --verbose          log more\n"
               "  -h, --help             this help\n");
}

int cmd_show(int argc, char **argv)
{
    siphon_config_t cfg;
    config_defaults(&cfg);
    if (app_config_from_args("show", &argc, argv,
                             access(CONFIG_DEFAULT_PATH, F_OK) == 0 ? CONFIG_DEFAULT_PATH : NULL,
                             &cfg, NULL) != APP_CONFIG_OK) {
        config_free(&cfg);
        return 2;
    }
    static const struct option opts[] = {
        {"raw", no_argument, NULL, 'r'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    st_ladder_opts_t lo = {0};
    int verbosity = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
        if (c == 'r') {
            lo.raw = true;
        } else if (c == 'v') {
            verbosity++;
        } else if (c == 'h') {
            usage(stdout);
            config_free(&cfg);
            return 0;
        } else {
            usage(stderr);
            config_free(&cfg);
            return 2;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "siphon show: %s\n",
                optind >= argc ? "which call? (a Call-ID or a uuid)" : "one call at a time");
        usage(stderr);
        config_free(&cfg);
        return 2;
    }
    const char *id = argv[optind];
    log_set_level(app_config_log_level(&cfg, verbosity));

    app_search_db_t db;
    if (app_search_db_open("show", &cfg, &db) != 0) {
        config_free(&cfg);
        return 1;
    }
    char err[1024];
    corr_call_t *call = calloc(1, sizeof *call);
    long same_id = 0;
    int found = call ? st_show_load(db.search, id, call, &same_id, err, sizeof err) : -1;
    int status = 0;
    if (!call) {
        fprintf(stderr, "siphon show: out of memory\n");
        status = 1;
    } else if (found < 0) {
        fprintf(stderr, "siphon show: %s\n", err);
        status = 1;
    } else if (found == 0) {
        buf_t b;
        buf_init(&b);
        buf_printf(&b, "siphon show: no stored call with Call-ID or uuid '");
        text_inert_cstr(&b, id);
        buf_printf(&b, "'\n");
        fwrite(b.data, 1, b.len, stderr);
        buf_free(&b);
        status = 1;
    } else {
        buf_t out;
        buf_init(&out);
        out_table_layout_t l;
        lo.width = out_table_width(stdout);
        out_table_layout(&l, lo.width);
        out_table_header(&out, &l);
        out_call_table(&out, call, true, &l);
        if (same_id > 1)
            buf_printf(&out, "    (%ld stored calls used this Call-ID: the newest is shown)\n",
                       same_id);
        st_show_render(db.search, &lo, &out);
        if (st_show_siprec(db.search, &out, err, sizeof err) < 0)
            fprintf(stderr, "siphon show: SIPREC sessions not read: %s\n", err);
        fwrite(out.data, 1, out.len, stdout);
        buf_free(&out);
    }
    free(call);
    app_search_db_close(&db);
    config_free(&cfg);
    return status;
}
