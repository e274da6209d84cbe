/* search_db.c - the database `siphon calls` and `siphon show` read: the
 * configuration's storage.dsn, else the embedded server (joined when a
 * siphon runs it, else started for the search and stopped after; a search never
 * creates one). */
#include "app.h"
#include "config_map.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int app_search_db_open(const char *cmd, const siphon_config_t *cfg, app_search_db_t *db)
{
    char err[1024];
    memset(db, 0, sizeof *db);
    st_config_t sc;
    st_config_default(&sc);
    app_config_to_st_config(cfg, &sc);
    char version[600];
    snprintf(version, sizeof version, "%s/PG_VERSION", sc.data_dir ? sc.data_dir : "");
    if ((!sc.dsn || !sc.dsn[0]) && access(version, F_OK) != 0) { /* nothing to search */
        fprintf(stderr,
                "siphon %s: no database: storage.dsn is not set and the embedded one "
                "(storage.data_dir %s) was never created (siphon run and siphon analyze --store "
                "create it)\n",
                cmd, sc.data_dir ? sc.data_dir : "");
        return -1;
    }
    if (app_storage_server(&db->storage, &sc, err, sizeof err) != 0) {
        fprintf(stderr, "siphon %s: %s\n", cmd, err);
        return -1;
    }
    db->search = st_search_open(sc.dsn, err, sizeof err);
    if (!db->search) {
        fprintf(stderr, "siphon %s: %s\n", cmd, err);
        app_storage_stop(&db->storage);
        return -1;
    }
    return 0;
}

void app_search_db_close(app_search_db_t *db)
{
    st_search_close(db->search);
    db->search = NULL;
    app_storage_stop(&db->storage);
}
