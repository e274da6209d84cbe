/* users.c - the dashboard's accounts: roles and `siphon user add`.
 *
 * A user is a row of web_users (schema/0003_web_users.sql) holding the
 * argon2id encoded hash (auth.c), never the password.  Roles are ordered:
 * viewer (calls, ladders, charts) < listener (also audio and pcaps) <
 * admin (also users and the audit log).
 */
#include "web_internal.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

web_role_t web_role_parse(const char *s)
{
    if (!s) return WEB_ROLE_NONE;
    if (strcmp(s, "viewer") == 0) return WEB_ROLE_VIEWER;
    if (strcmp(s, "listener") == 0) return WEB_ROLE_LISTENER;
    if (strcmp(s, "admin") == 0) return WEB_ROLE_ADMIN;
    return WEB_ROLE_NONE;
}

const char *web_role_name(web_role_t r)
{
    switch (r) {
    case WEB_ROLE_VIEWER:
        return "viewer";
    case WEB_ROLE_LISTENER:
        return "listener";
    case WEB_ROLE_ADMIN:
        return "admin";
    default:
        return "none";
    }
}

/* A user name: 1-64 of letters, digits and . _ - @ (it appears in logs). */
static bool users__name_ok(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > WEB__USER_MAX) return false;
    for (size_t i = 0; i < len; i++) {
        char c = n[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '@'))
            return false;
    }
    return true;
}

int web_user_add(const char *dsn, const char *name, web_role_t role, const char *password,
                 char *err, size_t errlen)
{
    if (!users__name_ok(name)) {
        snprintf(err, errlen, "a user name is 1 to 64 letters, digits, '.', '_', '-' or '@'");
        return -1;
    }
    if (role == WEB_ROLE_NONE) {
        snprintf(err, errlen, "the role is viewer, listener or admin");
        return -1;
    }
    if (strlen(password) < 8) {
        snprintf(err, errlen, "a password has 8 characters at least");
        return -1;
    }
    char hash[256];
    if (web__hash_password(password, hash, sizeof hash) != 0) {
        snprintf(err, errlen, "cannot hash the password");
        return -1;
    }
    PGconn *db = PQconnectdb(dsn);
    if (PQstatus(db) != CONNECTION_OK) {
        snprintf(err, errlen, "database: %s", PQerrorMessage(db));
        PQfinish(db);
        return -1;
    }
    const char *p[3] = {name, web_role_name(role), hash};
    PGresult *r = PQexecParams(db,
                               "INSERT INTO web_users (name, role, hash) VALUES ($1, $2, $3) "
                               "ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role, "
                               "hash = EXCLUDED.hash, updated_at = now()",
                               3, NULL, p, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        snprintf(err, errlen, "database: %s", PQresultErrorMessage(r));
        size_t n = strlen(err);
        while (n && err[n - 1] == '\n')
            err[--n] = '\0';
        rc = -1;
    }
    PQclear(r);
    PQfinish(db);
    OPENSSL_cleanse(hash, sizeof hash);
    return rc;
}
