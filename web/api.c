/* api.c - the JSON API under /api/v1/: the route table and its handlers.
 *
 * Every request goes through one gate (web__handle) before any handler:
 *   1. no valid session and the route is not public -> 401 (also for paths
 *      that match no route, so the table cannot be probed without a login);
 *   2. the session's role below the route's -> 403;
 *   3. a state-changing request (POST) whose X-CSRF-Token differs from the
 *      session's -> 403 (log-in needs the header too: a cross-site form
 *      cannot set one, so log-in CSRF is refused the same way);
 *   4. the handler.
 * Handlers read the database with PQexecParams (values are parameters,
 * never SQL text) and answer JSON: calls through storage's search (the
 * `siphon calls` filters and the NDJSON call contract), the rest built by
 * PostgreSQL (to_jsonb) or here with the core JSON writer (raw SIP text:
 * invalid UTF-8 becomes U+FFFD).  Wire text is data: the front end renders
 * it as text only.
 */
#include "web_internal.h"

#include "audio.h"
#include "fanout.h"
#include "record.h"
#include "storage.h"

#include <libwebsockets.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* c: the query worker's connection (NULL for a route run by the gate) */
typedef void (*api__fn)(web_t *w, web__conn_t *c, web__req_t *rq, web__resp_t *rs);

typedef struct {
    const char *method;
    const char *pattern; /* "{id}" matches one path segment */
    web_role_t role;     /* WEB_ROLE_NONE: public */
    api__fn fn;
    bool inline_; /* no database: answered by the gate on the service thread */
} api__route_t;

/* ---------------------------------------------------------------------- */
/* helpers                                                                  */
/* ---------------------------------------------------------------------- */

void web__json_str(buf_t *b, const char *s)
{
    json_writer_t j;
    json_init(&j, b);
    json_cstr(&j, s);
}

void web__resp_error(web__resp_t *rs, int status, const char *msg)
{
    rs->status = status;
    rs->content_type = "application/json";
    buf_reset(&rs->body);
    buf_printf(&rs->body, "{\"error\":");
    web__json_str(&rs->body, msg);
    buf_putc(&rs->body, '}');
}

static void api__error(web__resp_t *rs, int status, const char *msg)
{
    web__resp_error(rs, status, msg);
}

static void api__json(web__resp_t *rs)
{
    rs->status = 200;
    rs->content_type = "application/json";
}

bool web__arg(const web__req_t *rq, const char *name, char *out, size_t outlen)
{
    size_t n = strlen(name);
    for (const char *p = rq->query; *p; p += strlen(p) + 1) {
        if (strncmp(p, name, n) == 0 && p[n] == '=') {
            snprintf(out, outlen, "%s", p + n + 1);
            return out[0] != '\0';
        }
    }
    out[0] = '\0';
    return false;
}

/* A field of an application/x-www-form-urlencoded body. */
bool web__form(const char *body, size_t len, const char *name, char *out, size_t outlen)
{
    size_t n = strlen(name);
    const char *p = body, *end = body + len;
    out[0] = '\0';
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        if ((size_t)(stop - p) > n && strncmp(p, name, n) == 0 && p[n] == '=') {
            const char *v = p + n + 1;
            size_t vl = (size_t)(stop - v);
            char *tmp = malloc(vl + 1);
            if (!tmp) return false;
            for (size_t i = 0; i < vl; i++)
                tmp[i] = v[i] == '+' ? ' ' : v[i];
            tmp[vl] = '\0';
            bool ok = vl < outlen && vl <= INT32_MAX && lws_urldecode(out, tmp, (int)outlen) == 0;
            free(tmp);
            if (!ok) out[0] = '\0';
            return ok && out[0] && strlen(out) == strnlen(out, outlen);
        }
        p = stop + 1;
    }
    return false;
}

/* The worker's connection, (re)opened with web.query_timeout as its
 * statement_timeout so no query holds a worker longer. */
PGconn *web__db(web_t *w, web__conn_t *c)
{
    if (c->db && PQstatus(c->db) == CONNECTION_OK) return c->db;
    if (c->db) PQfinish(c->db);
    c->db = PQconnectdb(w->dsn);
    if (PQstatus(c->db) != CONNECTION_OK) {
        log_warn("web: database: %s", PQerrorMessage(c->db));
        PQfinish(c->db);
        c->db = NULL;
        return NULL;
    }
    char sql[96];
    snprintf(sql, sizeof sql, "SET statement_timeout = %lld",
             (long long)(w->cfg.query_timeout_ns / 1000000LL));
    PQclear(PQexec(c->db, sql));
    return c->db;
}

/* One query whose single cell is the JSON answer. */
static void api__sql_json(web_t *w, web__conn_t *c, web__resp_t *rs, const char *sql, int n,
                          const char *const *params)
{
    PGconn *db = web__db(w, c);
    if (!db) {
        api__error(rs, 503, "database unavailable");
        return;
    }
    PGresult *r = PQexecParams(db, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        w->db_errors++;
        log_warn("web: query: %s", PQresultErrorMessage(r));
        api__error(rs, 500, "query failed");
    } else {
        api__json(rs);
        buf_reset(&rs->body);
        const char *v = PQgetvalue(r, 0, 0);
        buf_append(&rs->body, v, strlen(v));
    }
    PQclear(r);
}

static void api__audit(web_t *w, web__conn_t *c, const web__req_t *rq, const char *action,
                       const char *object)
{
    PGconn *db = web__db(w, c);
    const char *p[4] = {rq->session ? rq->session->user : "-", action, object, rq->source};
    PGresult *r = db ? PQexecParams(db,
                                    "INSERT INTO web_audit (username, action, object, source) "
                                    "VALUES ($1, $2, $3, $4)",
                                    4, NULL, p, NULL, NULL, 0)
                     : NULL;
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
        log_error("web: audit: %s %s %s by %s from %s not recorded", action, object, "", p[0],
                  rq->source);
    PQclear(r);
}

static bool api__uuid(const char *s)
{
    if (strlen(s) != 36) return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !strchr("0123456789abcdefABCDEF", s[i])) return false;
    }
    return true;
}

static uint32_t api__uint(const web__req_t *rq, const char *name, uint32_t def, uint32_t max)
{
    char v[32];
    if (!web__arg(rq, name, v, sizeof v)) return def;
    char *end;
    unsigned long n = strtoul(v, &end, 10);
    if (*end || n > max) return max;
    return (uint32_t)n;
}

/* ---------------------------------------------------------------------- */
/* session routes                                                           */
/* ---------------------------------------------------------------------- */

static void api__session_json(const web__session_t *s, buf_t *b)
{
    json_writer_t j;
    json_init(&j, b);
    json_obj_begin(&j);
    json_key(&j, "user"), json_cstr(&j, s->user);
    json_key(&j, "role"), json_cstr(&j, web_role_name(s->role));
    json_key(&j, "csrf"), json_cstr(&j, s->csrf);
    json_obj_end(&j);
}

static const char *api__dummy_hash(void)
{
    static char h[128];
    if (!h[0]) web__hash_password("not a password", h, sizeof h);
    return h;
}

static void api__login(web_t *w, web__conn_t *c, web__req_t *rq, web__resp_t *rs)
{
    char user[WEB__USER_MAX + 1], pass[1024], ks[96], ku[96];
    int64_t now = clock_mono_ns();
    if (!web__form(rq->body, rq->body_len, "user", user, sizeof user) ||
        !web__form(rq->body, rq->body_len, "password", pass, sizeof pass)) {
        api__error(rs, 400, "user and password required (form fields)");
        return;
    }
    snprintf(ks, sizeof ks, "s:%s", rq->source);
    snprintf(ku, sizeof ku, "u:%s", user);
    if (!web__limit_ok(w, ks, now) || !web__limit_ok(w, ku, now)) {
        w->rate_limited++;
        api__error(rs, 429, "too many failed log-ins: wait a minute");
        return;
    }
    PGconn *db = web__db(w, c);
    if (!db) {
        api__error(rs, 503, "database unavailable");
        return;
    }
    const char *p[1] = {user};
    PGresult *r = PQexecParams(db, "SELECT hash, role FROM web_users WHERE name = $1", 1, NULL, p,
                               NULL, NULL, 0);
    bool found = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    /* the same work whether the user exists or not (no timing oracle) */
    bool ok = web__verify_password(found ? PQgetvalue(r, 0, 0) : api__dummy_hash(), pass) && found;
    web_role_t role = found ? web_role_parse(PQgetvalue(r, 0, 1)) : WEB_ROLE_NONE;
    PQclear(r);
    OPENSSL_cleanse(pass, sizeof pass);
    if (!ok || role == WEB_ROLE_NONE) {
        web__limit_fail(w, ks, now);
        web__limit_fail(w, ku, now);
        w->rejected_auth++;
        log_info("web: failed log-in for %s from %s", user, rq->source);
        api__error(rs, 401, "wrong user or password");
        return;
    }
    web__limit_clear(w, ku);
    web__session_t *s = &rq->sess;
    if (!web__session_new(w, user, role, now, s)) {
        api__error(rs, 503, "no session slot");
        return;
    }
    snprintf(rs->set_cookie, sizeof rs->set_cookie,
             "siphon_session=%s; Path=/; HttpOnly;%s SameSite=Strict", s->token,
             w->cfg.plain_http ? "" : " Secure;");
    api__json(rs);
    api__session_json(s, &rs->body);
    log_info("web: %s logged in from %s", user, rq->source);
}

static void api__logout(web_t *w, web__conn_t *c, web__req_t *rq, web__resp_t *rs)
{
    (void)c;
    web__session_end(w, rq->session->token);
    snprintf(rs->set_cookie, sizeof rs->set_cookie,
             "siphon_session=; Path=/; HttpOnly;%s SameSite=Strict; Max-Age=0",
             w->cfg.plain_http ? "" : " Secure;");
    api__json(rs);
    buf_printf(&rs->body, "{\"ok\":true}");
}

static void api__session(web_t *w, web__conn_t *c, web__req_t *rq, web__resp_t *rs)
{
    (void)w;
    (void)c;
    api__json(rs);
    api__session_json(rq->session, &rs->body);
}

/* ---------------------------------------------------------------------- */
/* calls                                                                    */
/* ---------------------------------------------------------------------- */

static void api__calls(web_t *w, web__conn_t *c, web__req_t *rq, web__resp_t *rs)
{
    st_calls_filter_t f;
    memset(&f, 0, sizeof f);
    char v[300], err[256] = "";
    int64_t now = clock_real_ns();
    int bad = 0;
    if (web__arg(rq, "since", v, sizeof v))
        bad |= st_parse_when(v, now, &f.since_ns, err, sizeof err), f.has_since = true;
    if (!bad && web__arg(rq, "until", v, sizeof v))
        bad |= st_parse_when(v, now, &f.until_ns, err, sizeof err), f.has_until = true;
    if (!bad && web__arg(rq, "caller", v, sizeof v))
        bad |= st_parse_pattern(v, &f.caller, err, sizeof err);
    if (!bad && web__arg(rq, "callee", v, sizeof v))
        bad |= st_parse_pattern(v, &f.callee, err, sizeof err);
    if (!bad && web__arg(rq, "call_id", v, sizeof v))
        bad |= st_parse_pattern(v, &f.call_id, err, sizeof err);
    if (!bad && web__arg(rq, "ip", v, sizeof v)) bad |= st_parse_ip(v, &f, err, sizeof err);
    if (!bad && web__arg(rq, "state", v, sizeof v)) bad |= st_parse_state(v, &f, err, sizeof err);
    if (!bad && web__arg(rq, "code", v, sizeof v)) bad |= st_parse_code(v, &f, err, sizeof err);
    if (!bad && web__arg(rq, "mos_below", v, sizeof v)) bad |= st_parse_mos(v, &f, err, sizeof err);
    if (bad) {
        api__error(rs, 400, err[0] ? err : "bad filter");
        return;
    }
    uint32_t limit = api__uint(rq, "limit", 50, 1000);
    uint32_t offset = api__uint(rq, "offset", 0, 100000);
    if (limit == 0) limit = 50;
    f.limit = offset + limit + 1;
    long n = -1;
    for (int attempt = 0; attempt < 2 && n < 0; attempt++) {
        if (!c->search) c->search = st_search_open(w->dsn, err, sizeof err);
        if (!c->search) break;
        n = st_calls_find(c->search, &f, err, sizeof err);
        if (n < 0) { /* a broken connection: once more on a new one */
            st_search_close(c->search);
            c->search = NULL;
        }
    }
    if (n < 0) {
        w->db_errors++;
        log_warn("web: search: %s", err);
        api__error(rs, 503, "database unavailable");
        return;
    }
    st_search_t *s = c->search;
    api__json(rs);
    buf_printf(&rs->body, "{\"offset\":%u,\"limit\":%u,\"more\":%s,\"calls\":[", offset, limit,
               (uint64_t)n > (uint64_t)offset + limit ? "true" : "false");
    for (long k = offset, first = 1; k < n && k < (long)offset + (long)limit; k++, first = 0) {
        if (!first) buf_putc(&rs->body, ',');
        st_calls_row_json(s, (size_t)(n - 1 - k), &rs->body);
    }
    buf_printf(&rs->body, "]}");
}

/* The Call-IDs an alert's evidence names (a jsonb array): every "call_id"
 * and "example_call_id" value at any depth (the detectors' example
 * requests, flood events, a quality alert's example call).  Alerts carry
 * no call column: this is how an alert and its calls find each other,
 * both ways, always within an hour of the alert. */
#define API__EVIDENCE_CALL_IDS(a)                                                                  \
    "(jsonb_path_query_array(" a ".evidence, 'lax $.**.call_id') || "                              \
    "jsonb_path_query_array(" a ".evidence, 'lax $.**.example_call_id'))"

/* One call for its page, in two statements: the call by its uuid (every
 * partition: the uuid is all the address has), then everything else with
 * the call's start time, Call-ID and parties as parameters, so each table
 * is planned and read in the partitions that can hold the call only (a
 * join on the call row would be planned over every partition: 0.4 s at
 * 1 M calls). */
static void api__call_siprec(web__conn_t *c, const web__req_t *rq, const char *since, buf_t *b);

static void api__call(web_t *w, web__conn_t *c, web__req_t *rq, web__resp_t *rs)
{
    if (!api__uuid(rq->param)) {
        api__error(rs, 400, "not a call uuid");
        return;
    }
    PGconn *db = web__db(w, c);
    if (!db) {
        api__error(rs, 503, "database unavailable");
        return;
    }
    const char *p1[1] = {rq->param};
    PGresult *r1 = PQexecParams(
        db,
        "SELECT (to_jsonb(c) || jsonb_build_object('call_key', c.call_key::text))::text, "
        "c.start_ts::text, coalesce(c.end_ts, c.start_ts)::text, c.call_id, coalesce(c.caller, "
        "''), coalesce(c.callee, '') FROM calls c WHERE call_uuid = $1::uuid ORDER BY start_ts "
        "DESC LIMIT 1",
        1, NULL, p1, NULL, NULL, 0);
    if (PQresultStatus(r1) != PGRES_TUPLES_OK) {
        w->db_errors++;
        log_warn("web: call: %s", PQresultErrorMessage(r1));
        PQclear(r1);
        api__error(rs, 500, "query failed");
        return;
    }
    if (PQntuples(r1) != 1) {
        PQclear(r1);
        api__error(rs, 404, "no such call");
        return;
    }
    const char *p[7] = {rq->param,
                        PQgetvalue(r1, 0, 1),
                        PQgetvalue(r1, 0, 2),
                        PQgetvalue(r1, 0, 3),
                        PQgetvalue(r1, 0, 4),
                        PQgetvalue(r1, 0, 5),
                        PQgetvalue(r1, 0, 0)};
    PGresult *r = PQexecParams(
        db,
        "SELECT jsonb_build_object("
        " 'call', $7::jsonb,"
        " 'streams', (SELECT coalesce(jsonb_agg(to_jsonb(s) || jsonb_build_object('stream_id', "
        "  s.stream_id::text, 'quality', siphon_stream_quality(s)) ORDER BY s.direction, "
        "  s.media_index, s.ssrc), '[]') FROM streams s "
        "  WHERE call_uuid = $1::uuid AND ts >= $2::timestamptz),"
        " 'intervals', (SELECT coalesce(jsonb_agg(jsonb_build_object('stream_id', "
        "  q.stream_id::text, 'idx', q.idx, 'start_ts', q.start_ts, 'packets', q.packets, 'lost', "
        "  q.lost, 'discards', q.discards, 'jitter_ms', q.jitter_ms, 'mos', q.mos) ORDER BY "
        "  q.stream_id, q.idx), '[]') FROM quality_intervals q WHERE call_uuid = $1::uuid AND "
        "  ts >= $2::timestamptz),"
        " 'recordings', (SELECT coalesce(jsonb_agg(jsonb_build_object('kind', k.kind, 'bytes', "
        "  k.bytes)), '[]') FROM recordings k WHERE call_uuid = $1::uuid AND start_ts = "
        "  $2::timestamptz),"
        " 'alerts', (SELECT coalesce(jsonb_agg(to_jsonb(a) || jsonb_build_object('alert_id', "
        "  a.alert_id::text, 'incident_id', a.incident_id::text) ORDER BY a.first_ts), '[]') "
        "  FROM alerts a WHERE a.first_ts BETWEEN $2::timestamptz - interval '1 hour' AND "
        "  $3::timestamptz + interval '1 hour' AND " API__EVIDENCE_CALL_IDS(
            "a") " @> jsonb_build_array($4::text)),"
                 " 'related', (SELECT coalesce(jsonb_agg(x ORDER BY x->>'start_ts'), '[]') FROM "
                 "  (SELECT jsonb_build_object('call_uuid', r.call_uuid, 'call_id', r.call_id, "
                 "  'start_ts', r.start_ts, 'caller', r.caller, 'callee', r.callee, 'state', "
                 "  r.state, 'final_code', r.final_code, 'src_ip', host(r.src_ip), 'dst_ip', "
                 "  host(r.dst_ip), 'link', CASE WHEN r.call_id = $4 THEN 'same Call-ID' ELSE "
                 "  'same caller and callee within 10 s' END) AS x FROM calls r WHERE "
                 "  r.call_uuid <> $1::uuid AND ((r.call_id = $4 AND r.start_ts BETWEEN "
                 "  $2::timestamptz - interval '1 day' AND $2::timestamptz + interval '1 day') "
                 "  OR ($5 <> '' AND $6 <> '' AND r.caller = $5 AND r.callee = $6 AND "
                 "  r.start_ts BETWEEN $2::timestamptz - interval '10 seconds' AND "
                 "  $2::timestamptz + interval '10 seconds')) ORDER BY r.start_ts LIMIT 20) t))"
                 "::text",
        7, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        w->db_errors++;
        log_warn("web: call: %s", PQresultErrorMessage(r));
        PQclear(r);
        PQclear(r1);
        api__error(rs, 500, "query failed");
        return;
    }
    char since[64];
    snprintf(since, sizeof since, "%s", PQgetvalue(r1, 0, 1));
    PQclear(r1);
    const char *v = PQgetvalue(r, 0, 0);
    api__json(rs);
    size_t n = strlen(v);
    buf_append(&rs->body, v, n - 1); /* without the closing brace */
    PQclear(r);
    buf_printf(&rs->body, ", \"messages\": ");
    size_t mark = rs->body.len;
    char err[256] = "";
    if (!c->search) c->search = st_search_open(w->dsn, err, sizeof err);
    if (!c->search ||
        st_call_messages_json(c->search, rq->param, since, &rs->body, err, sizeof err) != 0) {
        log_warn("web: messages: %s", err);
        st_search_close(c->search);
        c->search = NULL;
        rs->body.len = mark;
        buf_printf(&rs->body, "[]");
    }
    api__call_siprec(c, rq, since, &rs->body);
    buf_putc(&rs->body, '}');
}

/* The Call-ID and key of a stored call, for the packet store; -1 with the
 * error response set. */
static int api__call_key(web_t *w, web__conn_t *c, const char *uuid, char *call_id, size_t len,
                         uint64_t *key, web__resp_t *rs)
{
    if (!w->cfg.record_dir || !w->cfg.record_dir[0]) {
        api__error(rs, 404, "no packet store (record.enabled is off)");
        return -1;
    }
    PGconn *db = web__db(w, c);
    if (!db) {
        api__error(rs, 503, "database unavailable");
        return -1;
    }
    const char *p[1] = {uuid};
    PGresult *r = PQexecParams(db,
                               "SELECT call_id, call_key FROM calls WHERE call_uuid = $1::uuid "
                               "ORDER BY start_ts DESC LIMIT 1",
                               1, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        PQclear(r);
        api__error(rs, 404, "no such call");
        return -1;
    }
    snprintf(call_id, len, "%s", PQgetvalue(r, 0, 0));
    *key = (uint64_t)strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    PQclear(r);
    return 0;
}

/* A download's bytes go to an unlinked temporary file in web.state_dir
 * (never memory) through a FILE that refuses to grow past
 * web.max_download: the disk a download may take is bounded too. */
typedef struct {
    int fd;
    uint64_t n, cap;
    bool over, failed;
} api__capped_t;

static ssize_t api__capped_write(void *cookie, const char *buf, size_t len)
{
    api__capped_t *x = cookie;
    if (x->n + len > x->cap) {
        x->over = true;
        return 0;
    }
    for (size_t done = 0; done < len;) {
        ssize_t k = write(x->fd, buf + done, len - done);
        if (k <= 0) {
            x->failed = true;
            return 0;
        }
        done += (size_t)k;
    }
    x->n += len;
    return (ssize_t)len;
}

/* An unlinked temporary file in web.state_dir: its descriptor, or -1. */
static int api__tmpfile(web_t *w, const char *what)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/%s-XXXXXX", w->cfg.state_dir, what);
    int fd = mkstemp(path);
    if (fd >= 0) unlink(path);
    return fd;
}

/* rs answers the len bytes of fd (which it now owns). */
static void api__file(web__resp_t *rs, int fd, uint64_t len, const char *type)
{
    rs->status = 200;
    rs->content_type = type;
    buf_reset(&rs->body);
    rs->has_file = true;
    rs->fd = fd;
    rs->file_len = len;
}

static void api__too_big(web_t *w, web__resp_t *rs, const char *what)
{
    w->downloads_refused++;
    char msg[160];
    snprintf(msg, sizeof msg, "this call's %s is larger than web.max_download (%llu bytes)", what,
             (unsigned long long)w->cfg.max_download);
    api__error(rs, 413, msg);
}

/* A call's packets from the packet store (record/), as one pcap file: the
 * call's Call-ID and key from the database, rec_write_pcap into a bounded
 * temporary file sent in chunks.  Every attempt is audited, found or not. */
static void api__pcap(web_t *w, web__conn_t *c, web__req_t *rq, web__resp_t *rs)
{
    if (!api__uuid(rq->param)) {
        api__error(rs, 400, "not a call uuid");
        return;
    }
    api__audit(w, c, rq, "pcap", rq->param);
    char call_id[1024], err[512];
    uint64_t key;
    if (api__call_key(w, c, rq->param, call_id, sizeof call_id, &key, rs) != 0) return;
    rec_store_t *st = rec_store_open(w->cfg.record_dir, err, sizeof err);
    if (!st) {
        api__error(rs, 404, "no packet store");
        return;
    }
    api__capped_t cap = {.fd = api__tmpfile(w, "pcap"), .cap = w->cfg.max_download};
    FILE *f = cap.fd >= 0
                  ? fopencookie(&cap, "w", (cookie_io_functions_t){.write = api__capped_write})
                  : NULL;
    int64_t n = f ? rec_write_pcap(st, call_id, key, f, err, sizeof err) : -1;
    if (f && fclose(f) != 0) n = -1;
    rec_store_close(st);
    if (cap.over) {
        close(cap.fd);
        api__too_big(w, rs, "pcap");
        return;
    }
    if (n <= 0 || cap.failed || cap.n == 0) {
        if (cap.fd >= 0) close(cap.fd);
        api__error(rs, cap.fd < 0 || cap.failed ? 503 : 404,
                   cap.fd < 0 || cap.failed ? "cannot write the pcap under web.state_dir"
                                            : "no packets stored for this call");
        return;
    }
    api__file(rs, cap.fd, cap.n, "application/vnd.tcpdump.pcap");
    snprintf(rs->disposition, sizeof rs->disposition, "attachment; filename=\"call-%s.pcap\"",
             rq->param);
}

typedef struct {
    uint64_t key;
    bool found;
    rec_recording_t rec;
} api__pick_t;

/* rec_find's callback: the recording of this call's key (the last one). */
static int api__pick(void *user, const rec_recording_t *r)
{
    api__pick_t *p = user;
    if (r->call_key == p->key && !r->gone) {
        p->found = true;
        p->rec = *r;
    }
    return 0;
}

static int api__feed(void *user, int64_t ts_ns, int linktype, const uint8_t *frame, uint32_t caplen,
                     uint32_t wirelen)
{
    (void)wirelen;
    aud_feed_frame(user, ts_ns, linktype, frame, caplen);
    return 0;
}

/* A renderer's audio as the answer: a stereo WAV made in web.state_dir
 * (unlinked at once: the open descriptor still reads it) and served from
 * it; 404 with missing when there is no renderer (its packets could not be
 * read) or nothing decodable, 413 above web.max_download.  The file is
 * named NAME-ID.wav for the browser. */
static void api__send_wav(web_t *w, web__resp_t *rs, aud_renderer_t *r, const char *missing,
                          const char *name, const char *id)
{
    char path[1100], err[512];
    snprintf(path, sizeof path, "%s/audio-XXXXXX", w->cfg.state_dir);
    int fd = r ? mkstemp(path) : -1;
    aud_status_t as =
        fd >= 0 ? aud_finish(r, path, AUD_FORMAT_WAV, false, err, sizeof err) : AUD_ERR_OUTPUT;
    if (fd >= 0) unlink(path);
    struct stat sb;
    bool ok = fd >= 0 && (as == AUD_OK || as == AUD_ERR_CODEC || as == AUD_ERR_SRTP) &&
              fstat(fd, &sb) == 0 && sb.st_size > 0;
    if (ok && (uint64_t)sb.st_size > w->cfg.max_download) {
        close(fd);
        api__too_big(w, rs, "audio");
        return;
    }
    if (!ok) {
        if (fd >= 0) close(fd);
        api__error(rs, 404, missing);
        return;
    }
    api__file(rs, fd, (uint64_t)sb.st_size, "audio/wav");
    snprintf(rs->disposition, sizeof rs->disposition, "inline; filename=\"%s-%s.wav\"", name, id);
}

/* The call's voice: its packets from the packet store through the renderer
 * (audio/) into a stereo WAV (caller left), made in web.state_dir and
 * served from memory.  Listener role; every attempt audited. */
static void api__audio(web_t *w, web__conn_t *c, web__req_t *rq, web__resp_t *rs)
{
    if (!api__uuid(rq->param)) {
        api__error(rs, 400, "not a call uuid");
        return;
    }
    api__audit(w, c, rq, "audio", rq->param);
    char call_id[1024], err[512];
    uint64_t key;
    if (api__call_key(w, c, rq->param, call_id, sizeof call_id, &key, rs) != 0) return;
    rec_store_t *st = rec_store_open(w->cfg.record_dir, err, sizeof err);
    if (!st) {
        api__error(rs, 404, "no packet store");
        return;
    }
    api__pick_t pick = {.key = key};
    rec_find(st, call_id, api__pick, &pick);
    aud_config_t acfg;
    aud_config_default(&acfg);
    acfg.call_id = call_id;
    aud_renderer_t *r = pick.found ? aud_new(&acfg, err, sizeof err) : NULL;
    if (!r) {
        rec_store_close(st);
        api__error(rs, 404, "no packets stored for this call");
        return;
    }
    int rc = rec_call_packets(st, &pick.rec, api__feed, r, err, sizeof err);
    rec_store_close(st);
    api__send_wav(w, rs, rc == 0 ? r : NULL, "no audio in this call", "call", rq->param);
    aud_free(r);
}

/* ---------------------------------------------------------------------- */
/* a call's SIPREC sessions                                                 */
/* ---------------------------------------------------------------------- */

/* The call detail's "siprec": the sessions that recorded the call
 * (storage's st_siprec_call_json, the rules of the siprec_session_calls
 * view read from the call's side).  Participants
 * and streams for every role, like the call's parties; the metadata
 * document and the session's audio, personal data as the call's voice is,
 * for listeners and admins only, the audio through the audited route
 * below.  A database without the SIPREC tables gives an empty list. */
static void api__call_siprec(web__conn_t *c, const web__req_t *rq, const char *since, buf_t *b)
{
    bool listener = rq->session && rq->session->role >= WEB_ROLE_LISTENER;
    buf_printf(b, ", \"siprec\": ");
    size_t mark = b->len;
    char err[256] = "";
    if (!c->search ||
        st_siprec_call_json(c->search, rq->param, since, listener, b, err, sizeof err) != 0) {
        if (c->search) log_warn("web: siprec: %s", err);
        b->len = mark;
        buf_printf(b, "[]");
    }
    buf_printf(b, ", \"siprec_audio\": %s", listener ? "true" : "false");
}

/* A SIPREC session's voice: its recording in the packet store (the
 * source key of the SRS's Call-ID) through the renderer, each stream on
 * its sender's side (web_config_t.siprec_audio), a stereo WAV as for a
 * call.  Listener role; every attempt audited. */
static void api__siprec_audio(web_t *w, web__conn_t *c, web__req_t *rq, web__resp_t *rs)
{
    if (!api__uuid(rq->param)) {
        api__error(rs, 400, "not a session uuid");
        return;
    }
    api__audit(w, c, rq, "siprec audio", rq->param);
    if (!w->cfg.record_dir || !w->cfg.record_dir[0] || !w->cfg.siprec_audio) {
        api__error(rs, 404, "no packet store (record.enabled is off)");
        return;
    }
    PGconn *db = web__db(w, c);
    if (!db) {
        api__error(rs, 503, "database unavailable");
        return;
    }
    const char *p[1] = {rq->param};
    PGresult *q = PQexecParams(db,
                               "SELECT call_id FROM siprec_sessions WHERE session_uuid = "
                               "$1::uuid ORDER BY start_ts DESC LIMIT 1",
                               1, NULL, p, NULL, NULL, 0);
    char call_id[1024], err[512];
    bool found = PQresultStatus(q) == PGRES_TUPLES_OK && PQntuples(q) == 1;
    if (found) snprintf(call_id, sizeof call_id, "%s", PQgetvalue(q, 0, 0));
    PQclear(q);
    rec_store_t *st = found ? rec_store_open(w->cfg.record_dir, err, sizeof err) : NULL;
    api__pick_t pick = {.key = found ? rec_source_key(call_id) : 0};
    if (st) rec_find(st, call_id, api__pick, &pick);
    aud_config_t acfg;
    aud_config_default(&acfg);
    aud_renderer_t *r = pick.found ? aud_new(&acfg, err, sizeof err) : NULL;
    int rc = r ? w->cfg.siprec_audio(st, &pick.rec, r, err, sizeof err) : -1;
    if (st) rec_store_close(st);
    api__send_wav(w, rs, rc == 0 ? r : NULL,
                  found ? "no audio stored for this session" : "no such session", "siprec",
                  rq->param);
    aud_free(r);
}

/* The live feed is a WebSocket (feed.c); a plain GET is told so. */
static void api__live(web_t *w, web__conn_t *c, web__req_t *rq, web__resp_t *rs)
{
    (void)w;
    (void)c;
    (void)rq;
    api__error(rs, 426, "a WebSocket with subprotocol siphon-live-v1");
}

/* ---------------------------------------------------------------------- */
/* alerts, registrations, status, users, audit                             */
/* ---------------------------------------------------------------------- */

static void api__alerts(web_t *w, web__conn_t *c, web__req_t *rq, web__resp_t *rs)
{
    char type[64], sev[32], src[64], lim[16];
    web__arg(rq, "type", type, sizeof type);
    web__arg(rq, "severity", sev, sizeof sev);
    web__arg(rq, "source", src, sizeof src);
    snprintf(lim, sizeof lim, "%u", api__uint(rq, "limit", 100, 1000));
    const char *p[4] = {type, sev, src, lim};
    api__sql_json(w, c, rs,
                  "SELECT coalesce(jsonb_agg(x ORDER BY x->>'last_ts' DESC), '[]')::text FROM "
                  "(SELECT to_jsonb(a) || jsonb_build_object('alert_id', a.alert_id::text, "
                  "'incident_id', a.incident_id::text, 'calls', (SELECT coalesce(jsonb_agg("
                  "jsonb_build_object('call_uuid', k.call_uuid, 'call_id', k.call_id) ORDER BY "
                  "k.start_ts), '[]') FROM (SELECT call_uuid, call_id, start_ts FROM calls k "
                  "WHERE k.call_id IN (SELECT jsonb_array_elements_text(" API__EVIDENCE_CALL_IDS(
                      "a") ")) AND k.start_ts BETWEEN a.first_ts - interval '1 hour' AND "
                           "a.last_ts + interval '1 hour' ORDER BY k.start_ts LIMIT 10) k)) AS x "
                           "FROM alerts a WHERE ($1 = '' OR alert_type = $1) AND ($2 = '' OR "
                           "severity = $2) AND ($3 = '' OR host(src_ip) = $3) ORDER BY last_ts "
                           "DESC LIMIT $4::int) t",
                  4, p);
}

static void api__registrations(web_t *w, web__conn_t *c, web__req_t *rq, web__resp_t *rs)
{
    char user[128], lim[16];
    web__arg(rq, "user", user, sizeof user);
    snprintf(lim, sizeof lim, "%u", api__uint(rq, "limit", 100, 1000));
    const char *p[2] = {user, lim};
    api__sql_json(w, c, rs,
                  "SELECT coalesce(jsonb_agg(x ORDER BY x->>'ts' DESC), '[]')::text FROM "
                  "(SELECT to_jsonb(r) || jsonb_build_object('reg_id', r.reg_id::text) AS x "
                  "FROM registrations r WHERE ($1 = '' OR \"user\" = $1) ORDER BY ts DESC "
                  "LIMIT $2::int) t",
                  2, p);
}

/* ---------------------------------------------------------------------- */
/* status and overview: database figures from a snapshot (snapshot.c)     */
/* ---------------------------------------------------------------------- */

/* The server's own counters (memory only, always current). */
static void api__status_web(web_t *w, buf_t *b)
{
    uint32_t sessions = web__session_count(w), busy, queued;
    uint64_t full, completed;
    web__pool_stats(w, &busy, &queued, &full, &completed);
    pthread_mutex_lock(&w->feed_mu);
    uint64_t events = w->events, events_dropped = w->events_dropped;
    pthread_mutex_unlock(&w->feed_mu);
    buf_printf(b,
               "{\"version\":\"%s\",\"uptime_s\":%lld,\"requests\":%llu,\"rejected_auth\":%llu,"
               "\"rejected_csrf\":%llu,\"rate_limited\":%llu,\"db_errors\":%llu,\"sessions\":%u,"
               "\"live_clients\":%u,\"live_events\":%llu,\"live_events_dropped\":%llu,"
               "\"live_clients_dropped\":%llu,\"query_workers\":%u,\"query_busy\":%u,"
               "\"query_queued\":%u,\"query_queue_full\":%llu,\"queries\":%llu,"
               "\"downloads_refused\":%llu}",
               SIPHON_WEB_VERSION, (long long)((clock_mono_ns() - w->started_ns) / 1000000000LL),
               (unsigned long long)w->requests, (unsigned long long)w->rejected_auth,
               (unsigned long long)w->rejected_csrf, (unsigned long long)w->rate_limited,
               (unsigned long long)w->db_errors, sessions, w->n_clients, (unsigned long long)events,
               (unsigned long long)events_dropped, (unsigned long long)w->clients_dropped,
               w->pool.nthreads, busy, queued, (unsigned long long)full,
               (unsigned long long)completed, (unsigned long long)w->downloads_refused);
}

/* A table partition at most this many pages is counted (a few ms at
 * most); a larger one is estimated from its statistics. */
#define API__COUNT_PAGES 128

/* The status page's database figures, as a JSON object into out.  Rows
 * stored are never counted with count(*) over a large table (0.6 s at
 * 1,000,000 calls): each partition of calls, alerts and registrations
 * counts exactly when small (or never analysed), else as the planner
 * estimates it -- its last ANALYZE's rows per page times its pages now --
 * and `estimated` names the totals that hold such an estimate.  The
 * last hour's calls and the calls in progress come from the start_ts
 * index. */
static int api__status_counts(web_t *w, web__conn_t *c, buf_t *out)
{
    static const char *const tables[] = {"calls", "alerts", "registrations"};
    enum { NT = 3 };
    PGconn *db = web__db(w, c);
    if (!db) return -1;
    PGresult *r =
        PQexec(db, "SELECT t.k, n.nspname, c.relname, c.reltuples::float8, c.relpages, "
                   "pg_relation_size(c.oid) / current_setting('block_size')::int "
                   "FROM unnest(ARRAY['calls', 'alerts', 'registrations']) WITH "
                   "ORDINALITY AS t(name, k) CROSS JOIN LATERAL "
                   "pg_partition_tree(t.name::regclass) p JOIN pg_class c ON c.oid = "
                   "p.relid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE p.isleaf");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        log_warn("web: status: %s", PQresultErrorMessage(r));
        PQclear(r);
        return -1;
    }
    double est[NT] = {0};
    bool estimated[NT] = {false};
    int counted_table[512], n_counted = 0;
    buf_t sql;
    buf_init(&sql);
    buf_printf(&sql, "SELECT (SELECT max(version) FROM siphon_schema), (SELECT count(*) FROM "
                     "calls WHERE start_ts > now() - interval '1 hour'), (SELECT count(*) FROM "
                     "calls WHERE end_ts IS NULL AND start_ts > now() - interval '1 day'), "
                     "pg_database_size(current_database())");
    for (int i = 0; i < PQntuples(r); i++) {
        int k = atoi(PQgetvalue(r, i, 0)) - 1;
        double tuples = atof(PQgetvalue(r, i, 3));
        double pages = atof(PQgetvalue(r, i, 4)), now_pages = atof(PQgetvalue(r, i, 5));
        if (k < 0 || k >= NT || now_pages <= 0) continue; /* empty */
        bool known = pages > 0 && tuples >= 0;
        if ((now_pages > API__COUNT_PAGES && known) ||
            n_counted == (int)(sizeof counted_table / sizeof counted_table[0])) {
            est[k] += known ? tuples / pages * now_pages : 0;
            estimated[k] = true;
            continue;
        }
        char *ns = PQescapeIdentifier(db, PQgetvalue(r, i, 1), strlen(PQgetvalue(r, i, 1)));
        char *rel = PQescapeIdentifier(db, PQgetvalue(r, i, 2), strlen(PQgetvalue(r, i, 2)));
        if (ns && rel) {
            buf_printf(&sql, ", (SELECT count(*) FROM %s.%s)", ns, rel);
            counted_table[n_counted++] = k;
        } else {
            estimated[k] = true;
        }
        PQfreemem(ns);
        PQfreemem(rel);
    }
    PQclear(r);
    buf_putc(&sql, '\0');
    r = PQexec(db, sql.data);
    buf_free(&sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        log_warn("web: status: %s", PQresultErrorMessage(r));
        PQclear(r);
        return -1;
    }
    for (int i = 0; i < n_counted; i++)
        est[counted_table[i]] += atof(PQgetvalue(r, 0, 4 + i));
    json_writer_t j;
    json_init(&j, out);
    json_obj_begin(&j);
    json_key(&j, "schema_version");
    if (PQgetisnull(r, 0, 0))
        json_null(&j);
    else
        json_int(&j, atoll(PQgetvalue(r, 0, 0)));
    json_key(&j, "calls_last_hour"), json_int(&j, atoll(PQgetvalue(r, 0, 1)));
    json_key(&j, "calls_in_progress"), json_int(&j, atoll(PQgetvalue(r, 0, 2)));
    char key[32];
    for (int k = 0; k < NT; k++) {
        snprintf(key, sizeof key, "%s_total", tables[k]);
        json_key(&j, key), json_int(&j, (int64_t)(est[k] + 0.5));
    }
    json_key(&j, "database_bytes"), json_int(&j, atoll(PQgetvalue(r, 0, 3)));
    json_key(&j, "estimated"), json_arr_begin(&j);
    for (int k = 0; k < NT; k++) {
        snprintf(key, sizeof key, "%s_total", tables[k]);
        if (estimated[k]) json_cstr(&j, key);
    }
    json_arr_end(&j);
    json_obj_end(&j);
    PQclear(r);
    return 0;
}

/* {"web": the counters, "age_ms": how old the snapshot is, the snapshot's
 * fields} */
static void api__status_answer(web_t *w, web__resp_t *rs, const buf_t *db, int64_t age_ns)
{
    api__json(rs);
    buf_reset(&rs->body);
    buf_printf(&rs->body, "{\"web\":");
    api__status_web(w, &rs->body);
    buf_printf(&rs->body, ",\"age_ms\":%lld,", (long long)(age_ns / 1000000));
    buf_append(&rs->body, db->data + 1, db->len - 1); /* the snapshot's fields and its } */
}

/* The gate: a snapshot answers without a query worker (*refresh: it is
 * expired and the caller hands its refresh to a worker). */
static bool api__status_cached(web_t *w, web__resp_t *rs, bool *refresh)
{
    buf_t db;
    buf_init(&db);
    int64_t age = 0;
    bool ok =
        web__snap_get(&w->status_snap, "", clock_mono_ns(), &db, &age, refresh) == WEB__SNAP_FRESH;
    if (ok) api__status_answer(w, rs, &db, age);
    buf_free(&db);
    return ok;
}

static void api__status(web_t *w, web__conn_t *c, web__req_t *rq, web__resp_t *rs)
{
    buf_t db;
    buf_init(&db);
    int64_t now = clock_mono_ns(), age = 0;
    bool refresh = false;
    if (rq->refresh ||
        web__snap_get(&w->status_snap, "", now, &db, &age, &refresh) != WEB__SNAP_FRESH ||
        refresh) {
        buf_reset(&db);
        age = 0;
        if (api__status_counts(w, c, &db) != 0) {
            if (refresh || rq->refresh) web__snap_put(&w->status_snap, "", now, NULL, 0);
            w->db_errors++;
            buf_free(&db);
            api__error(rs, 500, "query failed");
            return;
        }
        web__snap_put(&w->status_snap, "", now, db.data, db.len);
    }
    api__status_answer(w, rs, &db, age);
    buf_free(&db);
}

/* The overview's figures from memory (always current): the consumers'
 * statistics, calls in progress in the live feed, the query workers. */
static void api__overview_health(web_t *w, buf_t *b)
{
    json_writer_t j;
    json_init(&j, b);
    json_obj_begin(&j);
    pthread_mutex_lock(&w->watch_mu);
    bool watching = w->watch != NULL;
    json_key(&j, "consumers"), json_arr_begin(&j);
    for (uint32_t i = 0; watching && i < fan_consumer_count(w->watch); i++) {
        fan_stats_t fs;
        memset(&fs, 0, sizeof fs);
        fan_consumer_stats(w->watch, i, &fs);
        json_obj_begin(&j);
        json_key(&j, "name"), json_cstr(&j, fan_consumer_name(w->watch, i));
        json_key(&j, "records"), json_uint(&j, fs.records);
        json_key(&j, "queued"), json_uint(&j, fs.queued);
        json_key(&j, "dropped"), json_uint(&j, fs.dropped);
        json_key(&j, "waits"), json_uint(&j, fs.waits);
        json_obj_end(&j);
    }
    pthread_mutex_unlock(&w->watch_mu);
    json_arr_end(&j);
    int64_t live = w->live_started - w->live_ended;
    json_key(&j, "live_calls");
    if (watching)
        json_int(&j, live > 0 ? live : 0);
    else
        json_null(&j);
    uint32_t busy, queued;
    uint64_t full, done;
    web__pool_stats(w, &busy, &queued, &full, &done);
    json_key(&j, "query_busy"), json_uint(&j, busy);
    json_key(&j, "query_queued"), json_uint(&j, queued);
    json_key(&j, "downloads_refused"), json_uint(&j, w->downloads_refused);
    json_obj_end(&j);
}

/* The overview from its snapshot ("figures\0database health"): the
 * figures, age_ms, and health = the memory part and the database part. */
static void api__overview_answer(web_t *w, web__resp_t *rs, const buf_t *snap, int64_t age_ns)
{
    size_t a = strnlen(snap->data, snap->len);
    const char *health_db = snap->data + a + 1;
    if (a < 2 || snap->len < a + 3) { /* not two objects: never put so */
        api__error(rs, 500, "query failed");
        return;
    }
    size_t hl = snap->len - a - 1;
    api__json(rs);
    buf_reset(&rs->body);
    buf_append(&rs->body, snap->data, a - 1); /* without its } */
    buf_printf(&rs->body, ",\"age_ms\":%lld,\"health\":", (long long)(age_ns / 1000000));
    api__overview_health(w, &rs->body);
    rs->body.len--; /* its } */
    buf_putc(&rs->body, ',');
    buf_append(&rs->body, health_db + 1, hl - 1); /* its fields and } */
    buf_putc(&rs->body, '}');
}

static void api__overview_key(const web__req_t *rq, char *mins, size_t n)
{
    snprintf(mins, n, "%u", api__uint(rq, "minutes", 60, 1440));
    if (!strcmp(mins, "0")) snprintf(mins, n, "60");
}

static bool api__overview_cached(web_t *w, web__req_t *rq, web__resp_t *rs, bool *refresh)
{
    char mins[16];
    api__overview_key(rq, mins, sizeof mins);
    buf_t snap;
    buf_init(&snap);
    int64_t age = 0;
    bool ok = web__snap_get(&w->overview_snap, mins, clock_mono_ns(), &snap, &age, refresh) ==
              WEB__SNAP_FRESH;
    if (ok) api__overview_answer(w, rs, &snap, age);
    buf_free(&snap);
    return ok;
}

/* The overview: over the last `minutes` (default 60, at most a day) one
 * point a minute of calls started, ASR (answered / started), ACD (mean
 * duration of answered calls) and mean MOS; the window's totals and MOS
 * distribution; the top alert types and sources of the last day; calls in
 * progress (the live feed's count inside siphon run, else the stored calls
 * without an end); the consumers' statistics (web_watch) and the
 * database's size.  One SQL statement over `calls` and `alerts` (their
 * start_ts / first_ts indexes) into a snapshot, the rest from memory at
 * every answer. */
static void api__overview(web_t *w, web__conn_t *c, web__req_t *rq, web__resp_t *rs)
{
    char mins[16];
    api__overview_key(rq, mins, sizeof mins);
    buf_t snap;
    buf_init(&snap);
    int64_t now = clock_mono_ns(), age = 0;
    bool refresh = false;
    if (!rq->refresh &&
        web__snap_get(&w->overview_snap, mins, now, &snap, &age, &refresh) == WEB__SNAP_FRESH &&
        !refresh) {
        api__overview_answer(w, rs, &snap, age);
        buf_free(&snap);
        return;
    }
    buf_reset(&snap);
    PGconn *db = web__db(w, c);
    const char *p[1] = {mins};
    PGresult *r =
        db ? PQexecParams(
                 db,
                 "WITH win AS (SELECT * FROM calls WHERE start_ts >= now() - make_interval(mins => "
                 "$1::int)), b AS (SELECT date_trunc('minute', start_ts) AS t, count(*) AS n, "
                 "count(answer_ts) AS ans, avg(duration_s) FILTER (WHERE answer_ts IS NOT NULL) AS "
                 "acd, "
                 "avg(mos) AS mos FROM win GROUP BY 1), m AS (SELECT g.t, coalesce(b.n, 0) AS n, "
                 "coalesce(b.ans, 0) AS ans, b.acd, b.mos FROM "
                 "generate_series(date_trunc('minute', now() "
                 "- make_interval(mins => $1::int)), date_trunc('minute', now()), interval '1 "
                 "minute') "
                 "AS g(t) LEFT JOIN b ON b.t = g.t), "
                 "al AS (SELECT * FROM alerts WHERE first_ts >= now() - interval '1 day') "
                 "SELECT jsonb_build_object('minutes', $1::int, 'now', now(), "
                 "'series', (SELECT coalesce(jsonb_agg(jsonb_build_object('t', extract(epoch from "
                 "t)::bigint,"
                 " 'calls', n, 'answered', ans, 'asr', CASE WHEN n > 0 THEN round((ans::numeric / "
                 "n), 4) "
                 "END, 'acd_s', round(acd::numeric, 1), 'mos', round(mos::numeric, 2)) ORDER BY "
                 "t), '[]') "
                 "FROM m), "
                 "'totals', (SELECT jsonb_build_object('calls', count(*), 'answered', "
                 "count(answer_ts), "
                 "'asr', CASE WHEN count(*) > 0 THEN round(count(answer_ts)::numeric / count(*), "
                 "4) END, "
                 "'acd_s', round((avg(duration_s) FILTER (WHERE answer_ts IS NOT NULL))::numeric, "
                 "1), "
                 "'mos', round(avg(mos)::numeric, 2), 'scored', count(mos)) FROM win), "
                 "'mos_distribution', (SELECT jsonb_build_array(jsonb_build_object('range', 'below "
                 "2', "
                 "'calls', count(*) FILTER (WHERE mos < 2)), jsonb_build_object('range', '2 to 3', "
                 "'calls', count(*) FILTER (WHERE mos >= 2 AND mos < 3)), "
                 "jsonb_build_object('range', "
                 "'3 to 3.6', 'calls', count(*) FILTER (WHERE mos >= 3 AND mos < 3.6)), "
                 "jsonb_build_object('range', '3.6 to 4', 'calls', count(*) FILTER (WHERE mos >= "
                 "3.6 AND "
                 "mos < 4)), jsonb_build_object('range', '4 and above', 'calls', count(*) FILTER "
                 "(WHERE "
                 "mos >= 4))) FROM win), "
                 "'top_alerts', (SELECT coalesce(jsonb_agg(x ORDER BY (x->>'count')::bigint DESC, "
                 "x->>'alert_type'), '[]') FROM (SELECT jsonb_build_object('alert_type', "
                 "alert_type, "
                 "'severity', max(severity), 'incidents', count(*), 'count', sum(count), "
                 "'last_ts', "
                 "max(last_ts)) AS x FROM al GROUP BY alert_type ORDER BY sum(count) DESC LIMIT 5) "
                 "t), "
                 "'top_alert_sources', (SELECT coalesce(jsonb_agg(x ORDER BY (x->>'count')::bigint "
                 "DESC, "
                 "x->>'src_ip'), '[]') FROM (SELECT jsonb_build_object('src_ip', host(src_ip), "
                 "'incidents', count(*), 'count', sum(count)) AS x FROM al WHERE src_ip IS NOT "
                 "NULL GROUP "
                 "BY src_ip ORDER BY sum(count) DESC LIMIT 5) t), "
                 "'calls_in_progress_stored', (SELECT count(*) FROM calls WHERE end_ts IS NULL AND "
                 "start_ts > now() - interval '1 day'))::text, "
                 "jsonb_build_object('database_bytes', pg_database_size(current_database()), "
                 "'recordings_last_hour', (SELECT count(*) FROM recordings WHERE start_ts > now() "
                 "- "
                 "interval '1 hour'), 'recording_bytes_last_hour', (SELECT coalesce(sum(bytes), 0) "
                 "FROM "
                 "recordings WHERE start_ts > now() - interval '1 hour'))::text",
                 1, NULL, p, NULL, NULL, 0)
           : NULL;
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        if (refresh || rq->refresh) web__snap_put(&w->overview_snap, mins, now, NULL, 0);
        w->db_errors++;
        log_warn("web: overview: %s", db ? PQresultErrorMessage(r) : "database unavailable");
        PQclear(r);
        buf_free(&snap);
        api__error(rs, db ? 500 : 503, db ? "query failed" : "database unavailable");
        return;
    }
    const char *fig = PQgetvalue(r, 0, 0), *hdb = PQgetvalue(r, 0, 1);
    buf_append(&snap, fig, strlen(fig) + 1);
    buf_append(&snap, hdb, strlen(hdb));
    PQclear(r);
    web__snap_put(&w->overview_snap, mins, now, snap.data, snap.len);
    api__overview_answer(w, rs, &snap, 0);
    buf_free(&snap);
}

static void api__users(web_t *w, web__conn_t *c, web__req_t *rq, web__resp_t *rs)
{
    (void)rq;
    api__sql_json(w, c, rs,
                  "SELECT coalesce(jsonb_agg(jsonb_build_object('name', name, 'role', role, "
                  "'created_at', created_at) ORDER BY name), '[]')::text FROM web_users",
                  0, NULL);
}

static void api__user_add(web_t *w, web__conn_t *c, web__req_t *rq, web__resp_t *rs)
{
    char name[WEB__USER_MAX + 1], role[16], pass[1024], err[256];
    if (!web__form(rq->body, rq->body_len, "name", name, sizeof name) ||
        !web__form(rq->body, rq->body_len, "role", role, sizeof role) ||
        !web__form(rq->body, rq->body_len, "password", pass, sizeof pass)) {
        api__error(rs, 400, "name, role and password required");
        return;
    }
    web_role_t r = web_role_parse(role);
    if (r == WEB_ROLE_NONE) {
        api__error(rs, 400, "role must be viewer, listener or admin");
        return;
    }
    if (web_user_add(w->dsn, name, r, pass, err, sizeof err) != 0) {
        OPENSSL_cleanse(pass, sizeof pass);
        api__error(rs, 400, err);
        return;
    }
    OPENSSL_cleanse(pass, sizeof pass);
    api__audit(w, c, rq, "user add", name);
    api__json(rs);
    buf_printf(&rs->body, "{\"ok\":true}");
}

static void api__audit_list(web_t *w, web__conn_t *c, web__req_t *rq, web__resp_t *rs)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%u", api__uint(rq, "limit", 200, 5000));
    const char *p[1] = {lim};
    api__sql_json(w, c, rs,
                  "SELECT coalesce(jsonb_agg(to_jsonb(a) ORDER BY a.id DESC), '[]')::text FROM "
                  "(SELECT * FROM web_audit ORDER BY id DESC LIMIT $1::int) a",
                  1, p);
}

/* ---------------------------------------------------------------------- */
/* the route table and the gate                                            */
/* ---------------------------------------------------------------------- */

static const api__route_t api__routes[] = {
    {"POST", "/api/v1/login", WEB_ROLE_NONE, api__login, false},
    {"POST", "/api/v1/logout", WEB_ROLE_VIEWER, api__logout, true},
    {"GET", "/api/v1/session", WEB_ROLE_VIEWER, api__session, true},
    {"GET", "/api/v1/calls", WEB_ROLE_VIEWER, api__calls, false},
    {"GET", "/api/v1/calls/{id}", WEB_ROLE_VIEWER, api__call, false},
    {"GET", "/api/v1/calls/{id}/pcap", WEB_ROLE_LISTENER, api__pcap, false},
    {"GET", "/api/v1/calls/{id}/audio", WEB_ROLE_LISTENER, api__audio, false},
    {"GET", "/api/v1/siprec/{id}/audio", WEB_ROLE_LISTENER, api__siprec_audio, false},
    {"GET", "/api/v1/live", WEB_ROLE_VIEWER, api__live, true},
    {"GET", "/api/v1/alerts", WEB_ROLE_VIEWER, api__alerts, false},
    {"GET", "/api/v1/registrations", WEB_ROLE_VIEWER, api__registrations, false},
    {"GET", "/api/v1/status", WEB_ROLE_VIEWER, api__status, false},
    {"GET", "/api/v1/overview", WEB_ROLE_VIEWER, api__overview, false},
    {"GET", "/api/v1/users", WEB_ROLE_ADMIN, api__users, false},
    {"POST", "/api/v1/users", WEB_ROLE_ADMIN, api__user_add, false},
    {"GET", "/api/v1/audit", WEB_ROLE_ADMIN, api__audit_list, false},
};
#define API__N (sizeof api__routes / sizeof api__routes[0])

static web_route_info_t api__info[API__N];

size_t web_routes(const web_route_info_t **out)
{
    for (size_t i = 0; i < API__N; i++)
        api__info[i] = (web_route_info_t){
            api__routes[i].method, api__routes[i].pattern,
            api__routes[i].role == WEB_ROLE_NONE ? "public" : web_role_name(api__routes[i].role)};
    *out = api__info;
    return API__N;
}

/* Whether path matches pattern; the {id} segment into param. */
bool web__route_match(const char *pattern, const char *path, char *param, size_t plen)
{
    const char *brace = strstr(pattern, "{id}");
    if (!brace) return strcmp(pattern, path) == 0;
    size_t pre = (size_t)(brace - pattern);
    if (strncmp(pattern, path, pre) != 0) return false;
    const char *seg = path + pre, *slash = strchr(seg, '/');
    size_t n = slash ? (size_t)(slash - seg) : strlen(seg);
    if (n == 0 || n >= plen) return false;
    if (strcmp(brace + 4, slash ? slash : "") != 0) return false;
    memcpy(param, seg, n);
    param[n] = '\0';
    return true;
}

static web__job_t *api__job(const api__route_t *route, const web__req_t *rq);
static void api__refresh(web_t *w, const api__route_t *route, const web__req_t *rq);

web__job_t *web__handle(web_t *w, web__req_t *rq, web__resp_t *rs)
{
    const api__route_t *route = NULL;
    bool path_known = false;
    for (size_t i = 0; i < API__N; i++) {
        if (!web__route_match(api__routes[i].pattern, rq->path, rq->param, sizeof rq->param))
            continue;
        path_known = true;
        if (strcmp(api__routes[i].method, rq->method) == 0) {
            route = &api__routes[i];
            break;
        }
    }
    bool public_route = route && route->role == WEB_ROLE_NONE;
    rq->session = NULL;
    if (!public_route) {
        if (!web__session_find(w, rq->cookie, clock_mono_ns(), &rq->sess)) {
            w->rejected_auth++;
            api__error(rs, 401, "log in first");
            return NULL;
        }
        rq->session = &rq->sess;
    }
    if (!route) {
        api__error(rs, path_known ? 405 : 404, path_known ? "method not allowed" : "no such route");
        return NULL;
    }
    if (!public_route && rq->session->role < route->role) {
        api__error(rs, 403, "your role does not allow this");
        return NULL;
    }
    if (strcmp(rq->method, "GET") != 0) {
        bool ok = public_route
                      ? rq->csrf[0] != '\0'
                      : strlen(rq->csrf) == WEB__TOKEN_HEX &&
                            CRYPTO_memcmp(rq->csrf, rq->session->csrf, WEB__TOKEN_HEX) == 0;
        if (!ok) {
            w->rejected_csrf++;
            api__error(rs, 403, "missing or wrong X-CSRF-Token");
            return NULL;
        }
    }
    if (route->inline_) {
        route->fn(w, NULL, rq, rs);
        return NULL;
    }
    /* a snapshot answers the polled pages here, without a worker; an
     * expired one is refreshed by a job nobody waits for */
    bool refresh = false;
    if ((route->fn == api__status && api__status_cached(w, rs, &refresh)) ||
        (route->fn == api__overview && api__overview_cached(w, rq, rs, &refresh))) {
        if (refresh) api__refresh(w, route, rq);
        return NULL;
    }
    web__job_t *job = api__job(route, rq);
    if (!job) api__error(rs, 503, "out of memory");
    return job;
}

/* A job for the workers: the route and a copy of the request. */
static web__job_t *api__job(const api__route_t *route, const web__req_t *rq)
{
    web__job_t *job = calloc(1, sizeof *job);
    if (!job) return NULL;
    job->route = route;
    job->rq = *rq;
    if (rq->session) job->rq.session = &job->rq.sess;
    buf_init(&job->body);
    buf_append(&job->body, rq->body, rq->body_len);
    buf_putc(&job->body, '\0');
    job->rq.body = job->body.data;
    job->rq.body_len = rq->body_len;
    job->rq.method = strcmp(rq->method, "GET") == 0 ? "GET" : "POST";
    buf_init(&job->rs.body);
    return job;
}

/* An expired snapshot's refresh as a job answering no connection (the
 * request that found it expired was answered from it); not queued: the
 * claim is let go, the next request tries again. */
static void api__refresh(web_t *w, const api__route_t *route, const web__req_t *rq)
{
    web__job_t *job = api__job(route, rq);
    if (job) job->rq.refresh = true;
    if (job && web__pool_submit(w, job)) return;
    web__job_free(job);
    if (route->fn == api__status) {
        web__snap_put(&w->status_snap, "", 0, NULL, 0);
    } else {
        char mins[16];
        api__overview_key(rq, mins, sizeof mins);
        web__snap_put(&w->overview_snap, mins, 0, NULL, 0);
    }
}

void web__run(web_t *w, web__conn_t *c, web__job_t *job)
{
    const api__route_t *route = job->route;
    route->fn(w, c, &job->rq, &job->rs);
}

void web__job_free(web__job_t *job)
{
    if (!job) return;
    OPENSSL_cleanse(job->body.data, job->body.len); /* a log-in's password */
    buf_free(&job->body);
    buf_free(&job->rs.body);
    if (job->rs.has_file) close(job->rs.fd);
    OPENSSL_cleanse(&job->rq.sess, sizeof job->rq.sess);
    free(job);
}
