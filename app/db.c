/* db.c - `siphon db migrate|status|maintain`, and the storage wiring that
 * run and analyze share (the embedded server, the consumer, its counters
 * for the summary).  The logic is storage/'s; this file only wires it.
 *
 *   siphon db migrate    apply the schema's migrations (embedded or storage.dsn)
 *   siphon db status     schema version, partitions, rows and bytes per table
 *   siphon db maintain   make partitions ahead, apply storage.retention
 */
#include "app.h"
#include "config_map.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int app_storage_server(app_storage_t *a, st_config_t *sc, char *err, size_t errlen)
{
    if (sc->dsn && sc->dsn[0]) return 0;
    a->server = st_server_start(sc, err, errlen);
    if (!a->server) return -1;
    sc->dsn = st_server_dsn(a->server);
    sc->embedded = true;
    return 0;
}

int app_storage_add(app_storage_t *a, fan_t *fan, const st_config_t *sc, char *err, size_t errlen)
{
    a->st = fan_add(fan, &st_consumer, sc, err, errlen);
    return a->st ? 0 : -1;
}

const out_counter_group_t *app_storage_group(app_storage_t *a)
{
    if (!a->st) return NULL;
    st_stats(a->st, &a->snap);
    a->group = (out_counter_group_t){.name = "storage",
                                     .names = st_stats_names,
                                     .values = (const uint64_t *)&a->snap,
                                     .n = ST_STATS_N};
    return &a->group;
}

void app_storage_stop(app_storage_t *a)
{
    st_server_stop(a->server);
    a->server = NULL;
}

static void db_usage(FILE *f)
{
    fprintf(f, "usage: siphon db migrate|status|maintain [--json] [-c FILE] [--storage.KEY=VALUE]\n"
               "\n"
               "  migrate     apply the schema migrations this siphon knows\n"
               "  status      schema version, partitions, rows and bytes per table (--json)\n"
               "  maintain    make partitions ahead and drop those past storage.retention\n"
               "\n"
               "The database is storage.dsn, or with none the embedded server (started for\n"
               "the command when no siphon runs it).\n");
}

int cmd_db(int argc, char **argv)
{
    siphon_config_t cfg;
    config_defaults(&cfg);
    /* the daemon's file when there is one: the same database as siphon run */
    const char *def = access(CONFIG_DEFAULT_PATH, F_OK) == 0 ? CONFIG_DEFAULT_PATH : NULL;
    int rc = app_config_from_args("db", &argc, argv, def, &cfg, NULL);
    if (rc != APP_CONFIG_OK) {
        config_free(&cfg);
        return 2;
    }
    bool json = false;
    const char *what = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            db_usage(stdout);
            config_free(&cfg);
            return 0;
        } else if (!what)
            what = argv[i];
        else
            what = "";
    }
    if (!what || (strcmp(what, "migrate") && strcmp(what, "status") && strcmp(what, "maintain"))) {
        db_usage(stderr);
        config_free(&cfg);
        return 2;
    }
    log_set_level(app_config_log_level(&cfg, 0));
    st_config_t sc;
    st_config_default(&sc);
    app_config_to_st_config(&cfg, &sc);
    app_storage_t a = {0};
    char err[1024];
    int status = 0;
    if (app_storage_server(&a, &sc, err, sizeof err) != 0) {
        fprintf(stderr, "siphon db: %s\n", err);
        config_free(&cfg);
        return 1;
    }
    if (strcmp(what, "migrate") == 0) {
        int from = 0, to = 0;
        if (st_migrate(sc.dsn, &from, &to, err, sizeof err) != 0) {
            fprintf(stderr, "siphon db migrate: %s\n", err);
            status = 1;
        } else if (from == to) {
            printf("schema: version %d, up to date\n", to);
        } else {
            printf("schema: migrated from version %d to %d\n", from, to);
        }
    } else if (strcmp(what, "status") == 0) {
        buf_t out;
        buf_init(&out);
        if (st_status(sc.dsn, json, &out, err, sizeof err) != 0) {
            fprintf(stderr, "siphon db status: %s\n", err);
            status = 1;
        } else {
            fwrite(out.data, 1, out.len, stdout);
        }
        buf_free(&out);
    } else {
        uint32_t made = 0, dropped = 0;
        if (st_maintain(sc.dsn, sc.retention_ns, clock_real_ns(), &made, &dropped, err,
                        sizeof err) != 0) {
            fprintf(stderr, "siphon db maintain: %s\n", err);
            status = 1;
        } else {
            printf("partitions: %u made, %u dropped\n", made, dropped);
        }
    }
    app_storage_stop(&a);
    config_free(&cfg);
    return status;
}
