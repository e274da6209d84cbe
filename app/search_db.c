/* search_db.c - the database `siphon calls` and `siphon show` read: the
 * configuration's storage.dsn, else the embedded server siphon runs
 * itself (started for the search when no siphon runs it, stopped after). */
#include "app.h"
#include "config_map.h"

#include <stdio.h>
#include <string.h>

int app_search_db_open(const char *cmd, const siphon_config_t *cfg, app_search_db_t *db)
{
    char err[1024];
    memset(db, 0, sizeof *db);
    const char *dsn = cfg->storage.dsn ? cfg->storage.dsn : "";
    if (!dsn[0]) {
        fprintf(stderr, "siphon %s: no database: set storage.dsn\n", cmd);
        return -1;
    }
    db->search = st_search_open(dsn, err, sizeof err);
    if (!db->search) {
        fprintf(stderr, "siphon %s: %s\n", cmd, err);
        return -1;
    }
    return 0;
}

void app_search_db_close(app_search_db_t *db)
{
    st_search_close(db->search);
    db->search = NULL;
}
