/* web.c - `siphon web` (the dashboard alone, over the stored calls) and
 * `siphon user add` (its accounts); siphon run starts the same server when
 * web.enabled.  The logic is web/'s; this file only wires it.
 *
 *   siphon web [--routes]                   serve until SIGINT/SIGTERM
 *   siphon user add NAME --role ROLE        password from stdin (one line)
 */
#include "app.h"
#include "config_map.h"
#include "web.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The database: storage.dsn, else the embedded server (started for us);
 * migrated when storage.auto_migrate allows it (web_users must exist). */
static int web_db(const char *cmd, const siphon_config_t *cfg, app_storage_t *a, st_config_t *sc)
{
    char err[1024];
    st_config_default(sc);
    app_config_to_st_config(cfg, sc);
    if (app_storage_server(a, sc, err, sizeof err) != 0) {
        fprintf(stderr, "siphon %s: %s\n", cmd, err);
        return -1;
    }
    bool migrate = sc->auto_migrate == ST_MIGRATE_ALWAYS ||
                   (sc->auto_migrate == ST_MIGRATE_EMBEDDED && sc->embedded);
    if (migrate && st_migrate(sc->dsn, NULL, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "siphon %s: %s\n", cmd, err);
        app_storage_stop(a);
        return -1;
    }
    return 0;
}

static int web_load(const char *cmd, int *argc, char **argv, siphon_config_t *cfg)
{
    config_defaults(cfg);
    const char *def = access(CONFIG_DEFAULT_PATH, F_OK) == 0 ? CONFIG_DEFAULT_PATH : NULL;
    if (app_config_from_args(cmd, argc, argv, def, cfg, NULL) != APP_CONFIG_OK) {
        config_free(cfg);
        return -1;
    }
    log_set_level(app_config_log_level(cfg, 0));
    return 0;
}

int cmd_web(int argc, char **argv)
{
    siphon_config_t cfg;
    if (web_load("web", &argc, argv, &cfg) != 0) return 2;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--routes") == 0) {
            const web_route_info_t *r;
            size_t n = web_routes(&r);
            for (size_t k = 0; k < n; k++)
                printf("%s %s %s\n", r[k].method, r[k].pattern, r[k].role);
            config_free(&cfg);
            return 0;
        }
        fprintf(stderr, "usage: siphon web [--routes] [-c FILE] [--web.KEY=VALUE]\n");
        config_free(&cfg);
        return strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0 ? 0 : 2;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    app_storage_t a = {0};
    st_config_t sc;
    if (web_db("web", &cfg, &a, &sc) != 0) {
        config_free(&cfg);
        return 1;
    }
    web_config_t wc;
    web_config_default(&wc);
    app_config_to_web_config(&cfg, &wc);
    wc.siprec_audio = app_siprec_audio_feed;
    char err[1024];
    web_t *w = web_start(&wc, sc.dsn, err, sizeof err);
    int status = 0;
    if (!w) {
        fprintf(stderr, "siphon web: %s\n", err);
        status = 1;
    } else {
        int sig;
        sigwait(&set, &sig);
        web_stop(w);
    }
    app_storage_stop(&a);
    config_free(&cfg);
    return status;
}

int cmd_user(int argc, char **argv)
{
    siphon_config_t cfg;
    if (web_load("user", &argc, argv, &cfg) != 0) return 2;
    const char *name = NULL, *role = NULL;
    bool add = false, bad = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
            role = argv[++i];
        else if (strncmp(argv[i], "--role=", 7) == 0)
            role = argv[i] + 7;
        else if (!add && strcmp(argv[i], "add") == 0)
            add = true;
        else if (add && !name && argv[i][0] != '-')
            name = argv[i];
        else
            bad = true;
    }
    if (bad || !add || !name || !role || web_role_parse(role) == WEB_ROLE_NONE) {
        fprintf(stderr, "usage: siphon user add NAME --role admin|listener|viewer "
                        "(the password is read from stdin, one line)\n");
        config_free(&cfg);
        return 2;
    }
    char pass[1024];
    if (!fgets(pass, sizeof pass, stdin)) {
        fprintf(stderr, "siphon user: no password on stdin\n");
        config_free(&cfg);
        return 2;
    }
    pass[strcspn(pass, "\r\n")] = '\0';
    app_storage_t a = {0};
    st_config_t sc;
    int status = 0;
    char err[1024];
    if (web_db("user", &cfg, &a, &sc) != 0) {
        status = 1;
    } else if (web_user_add(sc.dsn, name, web_role_parse(role), pass, err, sizeof err) != 0) {
        fprintf(stderr, "siphon user add: %s\n", err);
        status = 1;
    } else {
        printf("user %s (%s) saved\n", name, role);
    }
    memset(pass, 0, sizeof pass);
    app_storage_stop(&a);
    config_free(&cfg);
    return status;
}
