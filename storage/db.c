/* db.c - libpq connections as storage uses them.
 *
 * One place sets a connection up: the connect timeout (a database that
 * does not answer must not hold start-up or the writer for long), the
 * session's time zone (UTC: partitions are UTC days and COPY times carry
 * +00 anyway), and application_name (pg_stat_activity shows who writes).
 * Notices (e.g. "relation already exists, skipping") are not printed.
 */
#include "st_internal.h"

#include <stdio.h>
#include <string.h>

static void st__quiet_notice(void *arg, const char *message)
{
    (void)arg, (void)message;
}

/* The first line of libpq's message, without its newline. */
static void st__pq_err(PGconn *c, const char *what, char *err, size_t errlen)
{
    const char *m = c ? PQerrorMessage(c) : "out of memory";
    size_t n = strcspn(m, "\n");
    snprintf(err, errlen, "%s: %.*s", what, (int)n, m);
}

PGconn *st__connect(const char *dsn, int64_t timeout_ns, char *err, size_t errlen)
{
    char tmo[32];
    long s = (long)(timeout_ns / NS_PER_SEC);
    snprintf(tmo, sizeof tmo, "%ld", s < 2 ? 2 : s); /* libpq's minimum is 2 */
    const char *keys[] = {"dbname", "connect_timeout", "application_name", "options", NULL};
    const char *vals[] = {dsn, tmo, "siphon", "-c TimeZone=UTC", NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1); /* dbname may be a whole connection string */
    if (!c || PQstatus(c) != CONNECTION_OK) {
        st__pq_err(c, "cannot connect to the database", err, errlen);
        PQfinish(c);
        return NULL;
    }
    PQsetNoticeProcessor(c, st__quiet_notice, NULL);
    return c;
}

int st__exec(PGconn *c, const char *sql, char *err, size_t errlen)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType t = PQresultStatus(r);
    if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
        const char *m = PQresultErrorMessage(r);
        size_t n = strcspn(m, "\n");
        snprintf(err, errlen, "%.*s", (int)n, m[0] ? m : PQerrorMessage(c));
        PQclear(r);
        return -1;
    }
    PQclear(r);
    return 0;
}
