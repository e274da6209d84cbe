/* migrate.c - the schema's versions: migrations, the start-up check,
 * `siphon db status` and maintenance (partitions ahead, retention).
 *
 * The migrations are schema/NNNN_name.sql, embedded at build time
 * (st_migrations.c).  The database records what it has in siphon_schema;
 * each migration runs in one transaction with its row in siphon_schema,
 * under an advisory lock so two siphons starting at once do not both
 * migrate.  A database newer than this binary is refused: an older binary
 * writing into a schema it does not know could lose data silently.
 */
#include "st_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ST__LOCK_KEY "7308761045"

int st_schema_version_known(void)
{
    return st__n_migrations ? st__migrations[st__n_migrations - 1].version : 0;
}

int st__version(PGconn *c, int *v, char *err, size_t errlen)
{
    *v = 0;
    PGresult *r = PQexec(c, "SELECT to_regclass('siphon_schema') IS NOT NULL");
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        snprintf(err, errlen, "reading the schema version: %s", PQerrorMessage(c));
        PQclear(r);
        return -1;
    }
    bool have = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (!have) return 0;
    r = PQexec(c, "SELECT coalesce(max(version), 0) FROM siphon_schema");
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        snprintf(err, errlen, "reading the schema version: %s", PQerrorMessage(c));
        PQclear(r);
        return -1;
    }
    *v = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

int st__migrate_conn(PGconn *c, int *from, int *to, char *err, size_t errlen)
{
    char e[512];
    if (st__exec(c, "SELECT pg_advisory_lock(" ST__LOCK_KEY ")", e, sizeof e) != 0) {
        snprintf(err, errlen, "migrate: %s", e);
        return -1;
    }
    int v = 0, rc = 0;
    if (st__version(c, &v, err, errlen) != 0) {
        rc = -1;
        goto out;
    }
    if (from) *from = v;
    if (v > st_schema_version_known()) {
        snprintf(err, errlen,
                 "the database's schema is version %d, newer than this siphon knows (%d): "
                 "upgrade siphon",
                 v, st_schema_version_known());
        rc = -1;
        goto out;
    }
    for (size_t i = 0; i < st__n_migrations; i++) {
        const st__migration_t *m = &st__migrations[i];
        if (m->version <= v) continue;
        char rec[256];
        snprintf(rec, sizeof rec, "INSERT INTO siphon_schema (version, name) VALUES (%d, '%s')",
                 m->version, m->name);
        if (st__exec(c, "BEGIN", e, sizeof e) != 0 || st__exec(c, m->sql, e, sizeof e) != 0 ||
            st__exec(c, rec, e, sizeof e) != 0 || st__exec(c, "COMMIT", e, sizeof e) != 0) {
            char ignore[64];
            st__exec(c, "ROLLBACK", ignore, sizeof ignore);
            snprintf(err, errlen, "migration %s: %s", m->name, e);
            rc = -1;
            goto out;
        }
        log_info("storage: schema migrated to version %d (%s)", m->version, m->name);
        v = m->version;
    }
out:
    if (to) *to = v;
    st__exec(c, "SELECT pg_advisory_unlock(" ST__LOCK_KEY ")", e, sizeof e);
    return rc;
}

int st__check_schema(PGconn *c, bool migrate, char *err, size_t errlen)
{
    int v = 0;
    if (st__version(c, &v, err, errlen) != 0) return -1;
    int known = st_schema_version_known();
    if (v > known) {
        snprintf(err, errlen,
                 "the database's schema is version %d, newer than this siphon knows (%d): "
                 "refusing to write into it (upgrade siphon)",
                 v, known);
        return -1;
    }
    if (v == known) return 0;
    if (!migrate) {
        snprintf(err, errlen,
                 "the database's schema is version %d, this siphon needs %d: run `siphon db "
                 "migrate` (or set storage.auto_migrate = always)",
                 v, known);
        return -1;
    }
    return st__migrate_conn(c, NULL, NULL, err, errlen);
}

int st_migrate(const char *dsn, int *from, int *to, char *err, size_t errlen)
{
    PGconn *c = st__connect(dsn, 10 * NS_PER_SEC, err, errlen);
    if (!c) return -1;
    int rc = st__migrate_conn(c, from, to, err, errlen);
    PQfinish(c);
    return rc;
}

static void st__date(char *buf, size_t n, int64_t ts_ns)
{
    time_t t = (time_t)(ts_ns / NS_PER_SEC);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%d", &tm);
}

int st_maintain(const char *dsn, int64_t retention_ns, int64_t now_ns, uint32_t *made,
                uint32_t *dropped, char *err, size_t errlen)
{
    PGconn *c = st__connect(dsn, 10 * NS_PER_SEC, err, errlen);
    if (!c) return -1;
    char today[16], tomorrow[16], keep[16], sql[256];
    st__date(today, sizeof today, now_ns);
    st__date(tomorrow, sizeof tomorrow, now_ns + 86400 * NS_PER_SEC);
    *made = *dropped = 0;
    snprintf(sql, sizeof sql,
             "SELECT siphon_ensure_partitions('%s') + siphon_ensure_partitions('%s')", today,
             tomorrow);
    PGresult *r = PQexec(c, sql);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "making partitions: %s", PQresultErrorMessage(r));
        rc = -1;
    } else {
        *made = (uint32_t)atoi(PQgetvalue(r, 0, 0));
    }
    PQclear(r);
    if (rc == 0 && retention_ns > 0) {
        /* keep every day that still has a moment younger than the retention */
        st__date(keep, sizeof keep, now_ns - retention_ns);
        snprintf(sql, sizeof sql, "SELECT siphon_drop_partitions_before('%s')", keep);
        r = PQexec(c, sql);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            snprintf(err, errlen, "retention: %s", PQresultErrorMessage(r));
            rc = -1;
        } else {
            *dropped = (uint32_t)atoi(PQgetvalue(r, 0, 0));
            if (*dropped)
                log_info("storage: retention dropped %u daily partition%s older than %s", *dropped,
                         *dropped == 1 ? "" : "s", keep);
        }
        PQclear(r);
    }
    PQfinish(c);
    return rc;
}

int st_status(const char *dsn, bool json, buf_t *out, char *err, size_t errlen)
{
    PGconn *c = st__connect(dsn, 10 * NS_PER_SEC, err, errlen);
    if (!c) return -1;
    int v = 0;
    if (st__version(c, &v, err, errlen) != 0) {
        PQfinish(c);
        return -1;
    }
    int known = st_schema_version_known();
    json_writer_t w;
    if (json) {
        json_init(&w, out);
        json_obj_begin(&w);
        json_key(&w, "schema_version"), json_int(&w, v);
        json_key(&w, "schema_version_known"), json_int(&w, known);
        json_key(&w, "tables");
        json_arr_begin(&w);
    } else {
        buf_printf(out, "schema: version %d (this siphon knows %d)%s\n", v, known,
                   v < known   ? ": run `siphon db migrate`"
                   : v > known ? ": newer than this siphon"
                               : "");
    }
    if (v >= 2) {
        PGresult *r = PQexec(c, "SELECT p.tbl, count(s.partition), coalesce(sum(s.bytes), 0), "
                                "min(s.day), max(s.day) FROM siphon_partitioned p LEFT JOIN "
                                "siphon_partitions s ON s.parent = p.tbl GROUP BY p.tbl ORDER BY "
                                "p.tbl");
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            snprintf(err, errlen, "status: %s", PQresultErrorMessage(r));
            PQclear(r);
            PQfinish(c);
            return -1;
        }
        if (!json)
            buf_printf(out, "%-18s %10s %12s %14s  %s\n", "table", "partitions", "rows", "bytes",
                       "days");
        for (int i = 0; i < PQntuples(r); i++) {
            const char *t = PQgetvalue(r, i, 0);
            char q[128];
            snprintf(q, sizeof q, "SELECT count(*) FROM %s", t); /* t: our own table names */
            PGresult *cr = PQexec(c, q);
            const char *rows = PQresultStatus(cr) == PGRES_TUPLES_OK ? PQgetvalue(cr, 0, 0) : "?";
            if (json) {
                json_obj_begin(&w);
                json_key(&w, "table"), json_cstr(&w, t);
                json_key(&w, "partitions"), json_int(&w, atoll(PQgetvalue(r, i, 1)));
                json_key(&w, "rows"), json_int(&w, atoll(rows));
                json_key(&w, "bytes"), json_int(&w, atoll(PQgetvalue(r, i, 2)));
                json_key(&w, "first_day");
                json_cstr(&w, PQgetisnull(r, i, 3) ? NULL : PQgetvalue(r, i, 3));
                json_key(&w, "last_day");
                json_cstr(&w, PQgetisnull(r, i, 4) ? NULL : PQgetvalue(r, i, 4));
                json_obj_end(&w);
            } else {
                buf_printf(out, "%-18s %10s %12s %14s  %s%s%s\n", t, PQgetvalue(r, i, 1), rows,
                           PQgetvalue(r, i, 2), PQgetvalue(r, i, 3),
                           PQgetisnull(r, i, 3) ? "-" : "..", PQgetvalue(r, i, 4));
            }
            PQclear(cr);
        }
        PQclear(r);
    }
    if (json) {
        json_arr_end(&w);
        json_key(&w, "database_bytes");
    }
    PGresult *r = PQexec(c, "SELECT pg_database_size(current_database())");
    const char *db = PQresultStatus(r) == PGRES_TUPLES_OK ? PQgetvalue(r, 0, 0) : "0";
    if (json) {
        json_int(&w, atoll(db));
        json_obj_end(&w);
        buf_putc(out, '\n');
    } else {
        buf_printf(out, "database: %s bytes\n", db);
    }
    PQclear(r);
    PQfinish(c);
    return 0;
}
