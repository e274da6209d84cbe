/* query.c - searching stored calls and loading one call for `siphon show`.
 *
 * A search is SQL built from a filter (st_calls_sql, pure) and run with
 * PQexecParams: every value the operator typed travels as a parameter,
 * never inside the SQL text, so a quote in a caller pattern is just a
 * quote.  The predicates are the ones the indexes of schema/README.md
 * answer: a time range on start_ts, `caller LIKE 'p%'` for a prefix
 * (text_pattern_ops), `reverse(caller) LIKE 'sffus%'` for a suffix (the
 * reversed-text index), equality on state, a range on final_code and mos,
 * `src_ip = x OR dst_ip = x` (or <<= for a network).  The newest `limit`
 * matches are taken (ORDER BY start_ts DESC: a backward index scan stops
 * after them) and handed out oldest first, like a log.
 *
 * Rows are read as text; times as integer microseconds since the epoch
 * (no DateStyle or TimeZone in the way), addresses through host().  For
 * the table a row becomes a corr_call_t (output.h formats it as analyze
 * does); for --json it is written in the call contract's field names with
 * the stored JSON lists as they are.
 */
#include "storage.h"

#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct st_search {
    PGconn *conn;
    PGresult *calls[3]; /* the last search: its windows, newest first */
    int n_calls;
    PGresult *call;             /* show: the call */
    PGresult *streams;          /* show: its streams */
    PGresult *messages;         /* show: its messages */
    corr_stream_t *stream_recs; /* show: the streams as records (call.streams) */
};

/* ------------------------------------------------------------------------ */
/* SQL                                                                       */
/* ------------------------------------------------------------------------ */

/* The columns of a call row, in st_calls_row's order. */
#define Q__CALL_COLUMNS                                                                            \
    "call_uuid::text, probe, call_id, call_key, from_uri, to_uri, caller, callee, "                \
    "host(src_ip), src_port, host(dst_ip), dst_port, transport, state, final_code, reason, "       \
    "(extract(epoch from start_ts) * 1000000)::bigint, "                                           \
    "(extract(epoch from ringing_ts) * 1000000)::bigint, "                                         \
    "(extract(epoch from answer_ts) * 1000000)::bigint, "                                          \
    "(extract(epoch from end_ts) * 1000000)::bigint, "                                             \
    "setup_ms, setup_total_ms, pdd_ms, duration_s, ended_by, user_agent, from_tag, to_tag, "       \
    "open_at_end, timed_out, evicted, sip_messages, invites, reinvites, challenges, "              \
    "early_dialogs, media, mos, mos_min, rtcp_packets, stream_count, dtmf::text, dtmf_dropped, "   \
    "flags::text, vq_reports::text, vq_dropped, "                                                  \
    "(SELECT string_agg(concat(e->>'flag', ':', coalesce(e->'evidence'->>'direction', "            \
    "e->'evidence'->>'audio_from')), ' ' ORDER BY n) "                                             \
    "FROM jsonb_array_elements(CASE WHEN jsonb_typeof(flags) = 'array' THEN flags END) "           \
    "WITH ORDINALITY AS x(e, n))"

enum {
    C_UUID = 0,
    C_PROBE,
    C_CALL_ID,
    C_CALL_KEY,
    C_FROM_URI,
    C_TO_URI,
    C_CALLER,
    C_CALLEE,
    C_SRC_IP,
    C_SRC_PORT,
    C_DST_IP,
    C_DST_PORT,
    C_TRANSPORT,
    C_STATE,
    C_FINAL_CODE,
    C_REASON,
    C_START,
    C_RINGING,
    C_ANSWER,
    C_END,
    C_SETUP_MS,
    C_SETUP_TOTAL_MS,
    C_PDD_MS,
    C_DURATION_S,
    C_ENDED_BY,
    C_USER_AGENT,
    C_FROM_TAG,
    C_TO_TAG,
    C_OPEN_AT_END,
    C_TIMED_OUT,
    C_EVICTED,
    C_SIP_MESSAGES,
    C_INVITES,
    C_REINVITES,
    C_CHALLENGES,
    C_EARLY_DIALOGS,
    C_MEDIA,
    C_MOS,
    C_MOS_MIN,
    C_RTCP_PACKETS,
    C_STREAM_COUNT,
    C_DTMF,
    C_DTMF_DROPPED,
    C_FLAGS,
    C_VQ_REPORTS,
    C_VQ_DROPPED,
    C_FLAG_NAMES,
    C__COUNT
};

void st_sql_free(st_sql_t *q)
{
    buf_free(&q->sql);
    for (int i = 0; i < q->n; i++)
        free(q->values[i]);
    q->n = 0;
}

/* Adds a parameter; returns its number ($n), 0 when out of room/memory. */
static int q__param(st_sql_t *q, const char *v)
{
    if (q->n >= ST_SQL_PARAMS_MAX) return 0;
    char *copy = strdup(v);
    if (!copy) return 0;
    q->values[q->n++] = copy;
    return q->n;
}

/* s with LIKE's wildcards and its escape character escaped, then tail. */
static void q__like(buf_t *b, const char *s, const char *tail)
{
    for (; *s; s++) {
        if (*s == '%' || *s == '_' || *s == '\\') buf_putc(b, '\\');
        buf_putc(b, *s);
    }
    buf_append(b, tail, strlen(tail));
    buf_putc(b, '\0');
}

/* s reversed by characters, as PostgreSQL's reverse() does in a UTF-8
 * database (a byte that starts no well-formed sequence is one character). */
static void q__reverse(buf_t *b, const char *s)
{
    size_t n = strlen(s), end = n;
    size_t *starts = malloc((n + 1) * sizeof *starts), ns = 0;
    if (!starts) return;
    for (size_t i = 0; i < n;) { /* where each character starts */
        uint8_t c = (uint8_t)s[i];
        size_t len = c >= 0xc2 && c <= 0xdf   ? 2
                     : c >= 0xe0 && c <= 0xef ? 3
                     : c >= 0xf0 && c <= 0xf4 ? 4
                                              : 1;
        for (size_t k = 1; k < len; k++)
            if (i + k >= n || ((uint8_t)s[i + k] & 0xc0) != 0x80) len = 1;
        starts[ns++] = i;
        i += len;
    }
    for (size_t k = ns; k-- > 0;) { /* then the characters backwards */
        buf_append(b, s + starts[k], end - starts[k]);
        end = starts[k];
    }
    free(starts);
}

/* One pattern's predicate on column col (a text column of calls). */
static bool q__pattern(st_sql_t *q, const char *col, const st_pattern_t *p)
{
    buf_t v;
    buf_init(&v);
    int k = 0;
    switch (p->kind) {
    case ST_PAT_ANY:
        return true;
    case ST_PAT_EXACT:
        k = q__param(q, p->text);
        buf_printf(&q->sql, " AND %s = $%d", col, k);
        break;
    case ST_PAT_PREFIX:
        q__like(&v, p->text, "%");
        k = q__param(q, v.data);
        buf_printf(&q->sql, " AND %s LIKE $%d", col, k);
        break;
    case ST_PAT_SUFFIX: {
        buf_t r;
        buf_init(&r);
        q__reverse(&r, p->text);
        buf_putc(&r, '\0');
        q__like(&v, r.data, "%");
        buf_free(&r);
        k = q__param(q, v.data);
        buf_printf(&q->sql, " AND reverse(%s) LIKE $%d", col, k);
        break;
    }
    case ST_PAT_CONTAINS: {
        buf_t inner;
        buf_init(&inner);
        buf_putc(&inner, '%');
        q__like(&inner, p->text, "%");
        k = q__param(q, inner.data);
        buf_free(&inner);
        buf_printf(&q->sql, " AND %s LIKE $%d", col, k);
        break;
    }
    case ST_PAT_PREFIX_SUFFIX: {
        /* 'p%s': the prefix narrows the index scan, and LIKE keeps the
         * prefix and the suffix from overlapping */
        buf_t both;
        buf_init(&both);
        q__like(&both, p->text, "%");
        both.len--; /* its NUL */
        q__like(&both, p->suffix, "");
        k = q__param(q, both.data);
        buf_free(&both);
        buf_printf(&q->sql, " AND %s LIKE $%d", col, k);
        break;
    }
    }
    buf_free(&v);
    return k > 0;
}

int st_calls_sql(const st_calls_filter_t *f, st_sql_t *q)
{
    memset(q, 0, sizeof *q);
    buf_init(&q->sql);
    buf_printf(&q->sql, "SELECT " Q__CALL_COLUMNS " FROM calls WHERE true");
    bool ok = true;
    char t[40], v[64];
    int k;
    if (f->has_since) {
        ts_format_rfc3339(f->since_ns, t, sizeof t);
        ok = ok && (k = q__param(q, t)) > 0;
        if (ok) buf_printf(&q->sql, " AND start_ts >= $%d::timestamptz", k);
    }
    if (f->has_until) {
        ts_format_rfc3339(f->until_ns, t, sizeof t);
        ok = ok && (k = q__param(q, t)) > 0;
        if (ok) buf_printf(&q->sql, " AND start_ts < $%d::timestamptz", k);
    }
    ok = ok && q__pattern(q, "caller", &f->caller);
    ok = ok && q__pattern(q, "callee", &f->callee);
    ok = ok && q__pattern(q, "call_id", &f->call_id);
    if (ok && f->has_ip) {
        ok = (k = q__param(q, f->ip)) > 0;
        if (ok && strchr(f->ip, '/'))
            buf_printf(&q->sql, " AND (src_ip <<= $%d::inet OR dst_ip <<= $%d::inet)", k, k);
        else if (ok)
            buf_printf(&q->sql, " AND (src_ip = $%d::inet OR dst_ip = $%d::inet)", k, k);
    }
    if (ok && f->state > 0) {
        ok = (k = q__param(q, corr_call_state_name((corr_call_state_t)(f->state - 1)))) > 0;
        if (ok) buf_printf(&q->sql, " AND state = $%d", k);
    }
    if (ok && f->code_lo > 0) {
        int lo, hi;
        snprintf(v, sizeof v, "%d", f->code_lo);
        ok = (lo = q__param(q, v)) > 0;
        if (ok && f->code_lo == f->code_hi) {
            buf_printf(&q->sql, " AND final_code = $%d::smallint", lo);
        } else if (ok) {
            snprintf(v, sizeof v, "%d", f->code_hi);
            ok = (hi = q__param(q, v)) > 0;
            if (ok)
                buf_printf(&q->sql, " AND final_code BETWEEN $%d::smallint AND $%d::smallint", lo,
                           hi);
        }
    }
    if (ok && f->has_mos_below) {
        snprintf(v, sizeof v, "%.17g", f->mos_below);
        ok = (k = q__param(q, v)) > 0;
        if (ok) buf_printf(&q->sql, " AND mos < $%d::float8", k);
    }
    buf_printf(&q->sql, " ORDER BY start_ts DESC, call_uuid DESC");
    if (ok && f->limit > 0) {
        snprintf(v, sizeof v, "%u", f->limit);
        ok = (k = q__param(q, v)) > 0;
        if (ok) buf_printf(&q->sql, " LIMIT $%d::bigint", k);
    }
    buf_putc(&q->sql, '\0');
    return ok ? 0 : -1;
}

/* ------------------------------------------------------------------------ */
/* The connection                                                            */
/* ------------------------------------------------------------------------ */

/* libpq's message without its trailing newline. */
static void q__pq_error(const char *what, const char *msg, char *err, size_t errlen)
{
    size_t n = msg ? strlen(msg) : 0;
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        n--;
    snprintf(err, errlen, "%s: %.*s", what, (int)n, msg ? msg : "");
}

static void q__calls_clear(st_search_t *s)
{
    for (int k = 0; k < s->n_calls; k++)
        PQclear(s->calls[k]);
    s->n_calls = 0;
}

st_search_t *st_search_open(const char *dsn, char *err, size_t errlen)
{
    st_search_t *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->conn = PQconnectdb(dsn ? dsn : "");
    if (PQstatus(s->conn) != CONNECTION_OK) {
        q__pq_error("cannot connect to the database", PQerrorMessage(s->conn), err, errlen);
        st_search_close(s);
        return NULL;
    }
    return s;
}

void st_search_close(st_search_t *s)
{
    if (!s) return;
    q__calls_clear(s);
    PQclear(s->call);
    PQclear(s->streams);
    PQclear(s->messages);
    free(s->stream_recs);
    PQfinish(s->conn);
    free(s);
}

static PGresult *q__exec(st_search_t *s, const st_sql_t *q, const char *what, char *err,
                         size_t errlen)
{
    PGresult *r = PQexecParams(s->conn, q->sql.data, q->n, NULL, (const char *const *)q->values,
                               NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        q__pq_error(what, PQresultErrorMessage(r), err, errlen);
        PQclear(r);
        return NULL;
    }
    return r;
}

/* One search into s->calls[s->n_calls]; its rows, or -1. */
static long q__search(st_search_t *s, const st_calls_filter_t *f, char *err, size_t errlen)
{
    st_sql_t q;
    if (st_calls_sql(f, &q) != 0) {
        st_sql_free(&q);
        snprintf(err, errlen, "out of memory building the search");
        return -1;
    }
    if (log_level_current >= LOG_LVL_DEBUG) { /* -vv: the search (log_write makes it inert) */
        buf_t d;
        buf_init(&d);
        const char *from = strstr(q.sql.data, " FROM calls ");
        buf_printf(&d, "search: SELECT ...%s; parameters:", from ? from : q.sql.data);
        for (int i = 0; i < q.n; i++)
            buf_printf(&d, " $%d='%s'", i + 1, q.values[i]);
        buf_putc(&d, '\0');
        log_debug("%s", d.data);
        buf_free(&d);
    }
    PGresult *r = q__exec(s, &q, "search failed", err, errlen);
    st_sql_free(&q);
    if (!r) return -1;
    s->calls[s->n_calls++] = r;
    return PQntuples(r);
}

/* The newest calls without --since are looked for in the last day, then
 * the last week, then before: a new backend reads the catalog entries of
 * every partition a query may touch while planning it (most of a search's
 * time in a new session, BENCHMARKS.md "Storage"), and a time bound known
 * at planning prunes the others before they are read. */
long st_calls_find(st_search_t *s, const st_calls_filter_t *f, char *err, size_t errlen)
{
    q__calls_clear(s);
    if (f->limit == 0 || f->has_since) return q__search(s, f, err, errlen);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t t = (int64_t)now.tv_sec * NS_PER_SEC + now.tv_nsec;
    int64_t bound[2] = {t - 86400 * NS_PER_SEC, t - 7 * 86400 * NS_PER_SEC};
    long total = 0;
    for (int k = 0; k < 3 && (uint32_t)total < f->limit; k++) {
        st_calls_filter_t g = *f;
        g.has_since = k < 2;
        g.since_ns = k < 2 ? bound[k] : 0;
        if (k > 0 && (!g.has_until || g.until_ns > bound[k - 1])) {
            g.has_until = true;
            g.until_ns = bound[k - 1];
        }
        if (g.has_since && g.has_until && g.until_ns <= g.since_ns) continue;
        g.limit = f->limit - (uint32_t)total;
        long n = q__search(s, &g, err, errlen);
        if (n < 0) {
            q__calls_clear(s);
            return -1;
        }
        total += n;
    }
    return total;
}

/* Call i, oldest first, of the last search: its result and row. */
static bool q__found(const st_search_t *s, size_t i, const PGresult **r, int *row)
{
    size_t total = 0;
    for (int k = 0; k < s->n_calls; k++)
        total += (size_t)PQntuples(s->calls[k]);
    if (i >= total) return false;
    size_t newest_first = total - 1 - i;
    for (int k = 0; k < s->n_calls; k++) {
        size_t n = (size_t)PQntuples(s->calls[k]);
        if (newest_first < n) {
            *r = s->calls[k];
            *row = (int)newest_first;
            return true;
        }
        newest_first -= n;
    }
    return false;
}

/* ------------------------------------------------------------------------ */
/* Rows                                                                      */
/* ------------------------------------------------------------------------ */

static const char *q__str(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static void q__copy(char *dst, size_t n, const PGresult *r, int row, int col)
{
    const char *v = q__str(r, row, col);
    snprintf(dst, n, "%s", v ? v : "");
}

static int64_t q__i64(const PGresult *r, int row, int col, int64_t absent)
{
    const char *v = q__str(r, row, col);
    return v ? strtoll(v, NULL, 10) : absent;
}

static double q__f64(const PGresult *r, int row, int col, double absent)
{
    const char *v = q__str(r, row, col);
    return v ? strtod(v, NULL) : absent;
}

static bool q__bool(const PGresult *r, int row, int col)
{
    const char *v = q__str(r, row, col);
    return v && v[0] == 't';
}

static void q__endpoint(const PGresult *r, int row, int ip_col, int port_col, endpoint_t *e)
{
    memset(e, 0, sizeof *e);
    const char *ip = q__str(r, row, ip_col);
    if (ip) ip_addr_parse(sv_from_cstr(ip), &e->ip);
    e->port = (uint16_t)q__i64(r, row, port_col, 0);
}

static int64_t q__ts(const PGresult *r, int row, int col)
{
    return q__i64(r, row, col, 0) * NS_PER_USEC;
}

static transport_t q__transport(const char *t)
{
    for (int k = TRANSPORT_UDP; k <= TRANSPORT_SCTP; k++)
        if (t && strcmp(t, transport_name((transport_t)k)) == 0) return (transport_t)k;
    return TRANSPORT_UDP;
}

/* Row `row` of r (a call row) as a record.  The derived figures of the
 * table (setup, talk) are recomputed from times by encode/, so the INVITE
 * time is put back from the stored setup_ms. */
static void q__call(const PGresult *r, int row, corr_call_t *c)
{
    memset(c, 0, sizeof *c);
    q__copy(c->call_id, sizeof c->call_id, r, row, C_CALL_ID);
    c->call_key = (uint64_t)q__i64(r, row, C_CALL_KEY, 0);
    q__copy(c->from_uri, sizeof c->from_uri, r, row, C_FROM_URI);
    q__copy(c->to_uri, sizeof c->to_uri, r, row, C_TO_URI);
    q__copy(c->caller, sizeof c->caller, r, row, C_CALLER);
    q__copy(c->callee, sizeof c->callee, r, row, C_CALLEE);
    q__copy(c->from_tag, sizeof c->from_tag, r, row, C_FROM_TAG);
    q__copy(c->to_tag, sizeof c->to_tag, r, row, C_TO_TAG);
    q__copy(c->user_agent, sizeof c->user_agent, r, row, C_USER_AGENT);
    q__copy(c->reason, sizeof c->reason, r, row, C_REASON);
    q__endpoint(r, row, C_SRC_IP, C_SRC_PORT, &c->src);
    q__endpoint(r, row, C_DST_IP, C_DST_PORT, &c->dst);
    c->transport = q__transport(q__str(r, row, C_TRANSPORT));
    const char *state = q__str(r, row, C_STATE);
    for (int k = CORR_CALL_UNANSWERED; k <= CORR_CALL_REJECTED; k++)
        if (state && strcmp(state, corr_call_state_name((corr_call_state_t)k)) == 0)
            c->state = (corr_call_state_t)k;
    c->final_code = (int)q__i64(r, row, C_FINAL_CODE, 0);
    c->start_ts_ns = q__ts(r, row, C_START);
    c->ringing_ts_ns = q__ts(r, row, C_RINGING);
    c->answer_ts_ns = q__ts(r, row, C_ANSWER);
    c->end_ts_ns = q__ts(r, row, C_END);
    double setup = q__f64(r, row, C_SETUP_MS, -1);
    int64_t decided = c->answer_ts_ns > 0 ? c->answer_ts_ns : c->end_ts_ns;
    if (setup >= 0 && decided > 0) c->invite_ts_ns = decided - llround(setup * 1e6);
    double pdd = q__f64(r, row, C_PDD_MS, -1);
    if (pdd >= 0 && c->invite_ts_ns > 0) c->progress_ts_ns = c->invite_ts_ns + llround(pdd * 1e6);
    const char *by = q__str(r, row, C_ENDED_BY);
    c->ended_by = by && strcmp(by, "caller") == 0   ? CORR_ENDED_BY_CALLER
                  : by && strcmp(by, "callee") == 0 ? CORR_ENDED_BY_CALLEE
                                                    : CORR_ENDED_BY_NONE;
    c->open_at_end = q__bool(r, row, C_OPEN_AT_END);
    c->timed_out = q__bool(r, row, C_TIMED_OUT);
    c->evicted = q__bool(r, row, C_EVICTED);
    c->sip_messages = (uint32_t)q__i64(r, row, C_SIP_MESSAGES, 0);
    c->invites = (uint32_t)q__i64(r, row, C_INVITES, 0);
    c->reinvites = (uint32_t)q__i64(r, row, C_REINVITES, 0);
    c->challenges = (uint32_t)q__i64(r, row, C_CHALLENGES, 0);
    c->early_dialogs = (uint32_t)q__i64(r, row, C_EARLY_DIALOGS, 0);
    const char *media = q__str(r, row, C_MEDIA);
    c->t38_caller = c->t38_callee = media && strcmp(media, "fax") == 0;
    c->mos = q__f64(r, row, C_MOS, -1);
    c->mos_min = q__f64(r, row, C_MOS_MIN, -1);
    c->rtcp_packets = (uint64_t)q__i64(r, row, C_RTCP_PACKETS, 0);
    c->stream_count = (uint32_t)q__i64(r, row, C_STREAM_COUNT, 0);
    c->dtmf_dropped = (uint32_t)q__i64(r, row, C_DTMF_DROPPED, 0);
    c->vq_dropped = (uint32_t)q__i64(r, row, C_VQ_DROPPED, 0);
    /* "one_way_audio:caller no_rtp: ..." */
    const char *fl = q__str(r, row, C_FLAG_NAMES);
    while (fl && *fl && c->flag_count < CORR_FLAG_MAX) {
        size_t n = strcspn(fl, " ");
        const char *colon = memchr(fl, ':', n);
        size_t name_len = colon ? (size_t)(colon - fl) : n;
        for (int k = 0; k < CORR_CALL_FLAG_COUNT; k++) {
            const char *name = corr_call_flag_name((corr_call_flag_kind_t)k);
            if (strlen(name) != name_len || memcmp(name, fl, name_len) != 0) continue;
            corr_call_flag_t *g = &c->flags[c->flag_count++];
            g->flag = (uint8_t)k;
            g->from_caller = -1;
            if (colon && (size_t)(colon - fl) + 1 < n)
                g->from_caller = strncmp(colon + 1, "caller", 6) == 0 ? 1 : 0;
        }
        fl += n;
        while (*fl == ' ')
            fl++;
    }
}

void st_calls_row(const st_search_t *s, size_t i, corr_call_t *c)
{
    const PGresult *r;
    int row;
    if (q__found(s, i, &r, &row))
        q__call(r, row, c);
    else
        memset(c, 0, sizeof *c);
}

const char *st_calls_row_uuid(const st_search_t *s, size_t i)
{
    const PGresult *r;
    int row;
    return q__found(s, i, &r, &row) ? PQgetvalue(r, row, C_UUID) : "";
}

/* JSON helpers over a row: a string or null, a number or null, a time. */
static void q__json_str(json_writer_t *w, const PGresult *r, int row, const char *key, int col)
{
    json_key(w, key);
    const char *v = q__str(r, row, col);
    if (v && v[0])
        json_cstr(w, v);
    else
        json_null(w);
}

static void q__json_num(json_writer_t *w, const PGresult *r, int row, const char *key, int col,
                        int decimals)
{
    json_key(w, key);
    const char *v = q__str(r, row, col);
    if (!v)
        json_null(w);
    else if (decimals < 0)
        json_int(w, strtoll(v, NULL, 10));
    else
        json_double(w, strtod(v, NULL), decimals);
}

/* A stored jsonb list as it is (PostgreSQL wrote it: valid JSON), [] when
 * null. */
static void q__json_raw(json_writer_t *w, const PGresult *r, int row, const char *key, int col)
{
    json_key(w, key);
    const char *v = q__str(r, row, col);
    if (v && v[0])
        buf_append(w->out, v, strlen(v));
    else
        buf_append(w->out, "[]", 2);
    w->need_comma[w->depth] = true;
}

void st_calls_row_json(const st_search_t *s, size_t i, buf_t *out)
{
    const PGresult *r;
    int row;
    if (!q__found(s, i, &r, &row)) return;
    endpoint_t src, dst;
    q__endpoint(r, row, C_SRC_IP, C_SRC_PORT, &src);
    q__endpoint(r, row, C_DST_IP, C_DST_PORT, &dst);
    json_writer_t w;
    json_init(&w, out);
    json_obj_begin(&w);
    json_key(&w, "type"), json_cstr(&w, "call");
    json_key(&w, "call_uuid"), json_cstr(&w, q__str(r, row, C_UUID));
    json_key(&w, "probe"), json_cstr(&w, q__str(r, row, C_PROBE));
    q__json_str(&w, r, row, "call_id", C_CALL_ID);
    char key[24];
    snprintf(key, sizeof key, "%016llx", (unsigned long long)q__i64(r, row, C_CALL_KEY, 0));
    json_key(&w, "call_key"), json_cstr(&w, key);
    q__json_str(&w, r, row, "from_uri", C_FROM_URI);
    q__json_str(&w, r, row, "to_uri", C_TO_URI);
    q__json_str(&w, r, row, "caller", C_CALLER);
    q__json_str(&w, r, row, "callee", C_CALLEE);
    json_key(&w, "src_ip"), json_ip(&w, &src.ip);
    json_key(&w, "src_port"), json_uint(&w, src.port);
    json_key(&w, "dst_ip"), json_ip(&w, &dst.ip);
    json_key(&w, "dst_port"), json_uint(&w, dst.port);
    q__json_str(&w, r, row, "transport", C_TRANSPORT);
    q__json_str(&w, r, row, "state", C_STATE);
    q__json_num(&w, r, row, "final_code", C_FINAL_CODE, -1);
    q__json_str(&w, r, row, "reason", C_REASON);
    json_key(&w, "start_ts"), json_ts(&w, q__ts(r, row, C_START));
    json_key(&w, "ringing_ts"), json_ts(&w, q__ts(r, row, C_RINGING));
    json_key(&w, "answer_ts"), json_ts(&w, q__ts(r, row, C_ANSWER));
    json_key(&w, "end_ts"), json_ts(&w, q__ts(r, row, C_END));
    q__json_num(&w, r, row, "setup_ms", C_SETUP_MS, 3);
    q__json_num(&w, r, row, "setup_total_ms", C_SETUP_TOTAL_MS, 3);
    q__json_num(&w, r, row, "pdd_ms", C_PDD_MS, 3);
    q__json_num(&w, r, row, "duration_s", C_DURATION_S, 3);
    q__json_str(&w, r, row, "ended_by", C_ENDED_BY);
    q__json_str(&w, r, row, "user_agent", C_USER_AGENT);
    q__json_str(&w, r, row, "from_tag", C_FROM_TAG);
    q__json_str(&w, r, row, "to_tag", C_TO_TAG);
    json_key(&w, "open_at_end"), json_bool(&w, q__bool(r, row, C_OPEN_AT_END));
    json_key(&w, "timed_out"), json_bool(&w, q__bool(r, row, C_TIMED_OUT));
    json_key(&w, "evicted"), json_bool(&w, q__bool(r, row, C_EVICTED));
    json_key(&w, "sip_messages"), json_uint(&w, (uint32_t)q__i64(r, row, C_SIP_MESSAGES, 0));
    json_key(&w, "invites"), json_uint(&w, (uint32_t)q__i64(r, row, C_INVITES, 0));
    json_key(&w, "reinvites"), json_uint(&w, (uint32_t)q__i64(r, row, C_REINVITES, 0));
    json_key(&w, "challenges"), json_uint(&w, (uint32_t)q__i64(r, row, C_CHALLENGES, 0));
    json_key(&w, "early_dialogs"), json_uint(&w, (uint32_t)q__i64(r, row, C_EARLY_DIALOGS, 0));
    q__json_str(&w, r, row, "media", C_MEDIA);
    q__json_num(&w, r, row, "mos", C_MOS, 2);
    q__json_num(&w, r, row, "mos_min", C_MOS_MIN, 2);
    q__json_num(&w, r, row, "rtcp_packets", C_RTCP_PACKETS, -1);
    json_key(&w, "stream_count"), json_uint(&w, (uint32_t)q__i64(r, row, C_STREAM_COUNT, 0));
    q__json_raw(&w, r, row, "dtmf", C_DTMF);
    json_key(&w, "dtmf_dropped"), json_uint(&w, (uint32_t)q__i64(r, row, C_DTMF_DROPPED, 0));
    q__json_raw(&w, r, row, "flags", C_FLAGS);
    q__json_raw(&w, r, row, "vq_reports", C_VQ_REPORTS);
    json_key(&w, "vq_dropped"), json_uint(&w, (uint32_t)q__i64(r, row, C_VQ_DROPPED, 0));
    json_obj_end(&w);
    buf_putc(out, '\n');
}

/* ------------------------------------------------------------------------ */
/* One call: siphon show                                                     */
/* ------------------------------------------------------------------------ */

/* 8-4-4-4-12 hexadecimal digits. */
static bool q__is_uuid(const char *s)
{
    if (strlen(s) != 36) return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !strchr("0123456789abcdefABCDEF", s[i])) return false;
    }
    return true;
}

/* A stream row as the record the table's stream line reads (output.h
 * out_stream_table): the stored figures put where rtp_stats_lost,
 * rtp_stats_jitter_mean_ms and the quality result find them. */
static void q__stream(const PGresult *r, int row, corr_stream_t *st)
{
    memset(st, 0, sizeof *st);
    q__endpoint(r, row, 0, 1, &st->src);
    q__endpoint(r, row, 2, 3, &st->dst);
    st->ssrc = (uint32_t)q__i64(r, row, 4, 0);
    st->payload_type = (uint8_t)q__i64(r, row, 5, 0);
    q__copy(st->codec, sizeof st->codec, r, row, 6);
    int64_t packets = q__i64(r, row, 7, 0), lost = q__i64(r, row, 8, 0);
    rtp_stats_t *t = &st->stats;
    t->packets = t->received = (uint32_t)packets;
    if (packets > 0 && packets + lost >= 1) t->highest_ext_seq = (uint32_t)(packets + lost - 1);
    if (q__str(r, row, 9) && q__str(r, row, 10)) {
        t->clock_rate = 8000; /* any: the line prints jitter when one is known */
        t->jitter_count = 1;
        t->jitter_mean_ms = q__f64(r, row, 9, 0);
        t->jitter_max_ms = q__f64(r, row, 10, 0);
    }
    if (q__str(r, row, 11)) {
        st->quality.scored = true;
        st->quality.mos = q__f64(r, row, 11, 0);
        st->quality.mos_min = q__f64(r, row, 12, 0);
        st->quality.r_factor = q__f64(r, row, 13, 0);
    }
    const char *dir = q__str(r, row, 14);
    st->from_caller = dir && strcmp(dir, "caller") == 0;
    st->media_index = dir ? 0 : -1;
}

int st_show_load(st_search_t *s, const char *id, corr_call_t *c, long *same_id, char *err,
                 size_t errlen)
{
    PQclear(s->call), PQclear(s->streams), PQclear(s->messages);
    s->call = s->streams = s->messages = NULL;
    *same_id = 0;
    st_sql_t q = {0};
    buf_init(&q.sql);
    if (q__is_uuid(id))
        buf_printf(&q.sql, "SELECT " Q__CALL_COLUMNS
                           ", 1 FROM calls WHERE call_uuid = $1::uuid ORDER BY start_ts DESC");
    else
        buf_printf(&q.sql, "SELECT " Q__CALL_COLUMNS ", count(*) OVER () FROM calls WHERE call_id "
                           "= $1 ORDER BY start_ts DESC, call_uuid DESC LIMIT 1");
    buf_putc(&q.sql, '\0');
    q__param(&q, id);
    s->call = q__exec(s, &q, "cannot read the call", err, errlen);
    st_sql_free(&q);
    if (!s->call) return -1;
    if (PQntuples(s->call) == 0) return 0;
    q__call(s->call, 0, c);
    *same_id = (long)q__i64(s->call, 0, C__COUNT, 1);

    /* its streams and messages: the call's uuid, from its start on (the
     * partitions before it are not read) */
    const char *uuid = PQgetvalue(s->call, 0, C_UUID);
    char start[40];
    ts_format_rfc3339(c->start_ts_ns, start, sizeof start);
    memset(&q, 0, sizeof q);
    buf_init(&q.sql);
    buf_printf(&q.sql, "SELECT host(src_ip), src_port, host(dst_ip), dst_port, ssrc, payload_type, "
                       "codec, packets, lost, jitter_mean_ms, jitter_max_ms, mos, mos_min, "
                       "r_factor, direction FROM streams WHERE call_uuid = $1::uuid AND ts >= "
                       "$2::timestamptz ORDER BY first_ts, stream_id");
    buf_putc(&q.sql, '\0');
    q__param(&q, uuid);
    q__param(&q, start);
    s->streams = q__exec(s, &q, "cannot read the call's streams", err, errlen);
    st_sql_free(&q);
    if (!s->streams) return -1;
    free(s->stream_recs);
    int ns = PQntuples(s->streams);
    s->stream_recs = calloc(ns ? (size_t)ns : 1, sizeof *s->stream_recs);
    if (!s->stream_recs) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < ns; i++)
        q__stream(s->streams, i, &s->stream_recs[i]);
    c->streams = s->stream_recs;
    c->stream_count = (uint32_t)ns;

    memset(&q, 0, sizeof q);
    buf_init(&q.sql);
    buf_printf(&q.sql,
               "SELECT (extract(epoch from ts) * 1000000)::bigint, host(src_ip), src_port, "
               "host(dst_ip), dst_port, is_request, method, status_code, reason_phrase, cseq, "
               "cseq_method, raw, raw_format, len FROM sip_messages WHERE dist_uuid = $1::uuid AND "
               "call_uuid = $1::uuid "
               "AND ts >= "
               "$2::timestamptz ORDER BY ts, frame_no, msg_id LIMIT %d",
               ST_SHOW_MESSAGES_MAX);
    buf_putc(&q.sql, '\0');
    q__param(&q, uuid);
    q__param(&q, start);
    s->messages = q__exec(s, &q, "cannot read the call's messages", err, errlen);
    st_sql_free(&q);
    return s->messages ? 1 : -1;
}

void st_show_render(const st_search_t *s, const st_ladder_opts_t *opts, buf_t *out)
{
    if (!s->call || PQntuples(s->call) == 0) return;
    buf_printf(out, "    uuid: %s probe: ", PQgetvalue(s->call, 0, C_UUID));
    text_inert_cstr(out, PQgetvalue(s->call, 0, C_PROBE));
    buf_putc(out, '\n');
    buf_putc(out, '\n');

    int n = s->messages ? PQntuples(s->messages) : 0;
    st_ladder_msg_t *m = calloc(n ? (size_t)n : 1, sizeof *m);
    buf_t *raw = calloc(n ? (size_t)n : 1, sizeof *raw);
    if (!m || !raw) {
        buf_printf(out, "out of memory reading the messages\n");
        free(m), free(raw);
        return;
    }
    const PGresult *r = s->messages;
    for (int i = 0; i < n; i++) {
        m[i].ts_ns = q__ts(r, i, 0);
        q__endpoint(r, i, 1, 2, &m[i].src);
        q__endpoint(r, i, 3, 4, &m[i].dst);
        m[i].is_request = q__bool(r, i, 5);
        m[i].method = q__str(r, i, 6);
        m[i].status_code = (int)q__i64(r, i, 7, 0);
        m[i].reason = q__str(r, i, 8);
        m[i].cseq = (uint32_t)q__i64(r, i, 9, 0);
        m[i].cseq_method = q__str(r, i, 10);
        buf_init(&raw[i]);
        size_t n_stored = 0;
        unsigned char *stored =
            PQgetisnull(r, i, 11)
                ? NULL
                : PQunescapeBytea((const unsigned char *)PQgetvalue(r, i, 11), &n_stored);
        /* a value that does not decode is shown as unknown (no bytes) */
        if (stored && st_raw_unpack((int)q__i64(r, i, 12, -1), stored, n_stored,
                                    (size_t)q__i64(r, i, 13, 0), &raw[i]) == 0) {
            m[i].data = (const uint8_t *)raw[i].data;
            m[i].len = raw[i].len;
        }
        PQfreemem(stored);
    }
    st_ladder_render(out, m, (size_t)n, opts);
    if (n == ST_SHOW_MESSAGES_MAX)
        buf_printf(out, "(the first %d messages of the call)\n", ST_SHOW_MESSAGES_MAX);
    for (int i = 0; i < n; i++)
        buf_free(&raw[i]);
    free(raw);
    free(m);
}

/* The search's connection and the call st_show_load loaded, for the
 * other show-side readers of storage (siprec_query.c). */
PGconn *st__search_conn(st_search_t *s)
{
    return s->conn;
}

const char *st__show_uuid(const st_search_t *s)
{
    return s->call && PQntuples(s->call) == 1 ? PQgetvalue(s->call, 0, C_UUID) : NULL;
}

/* ------------------------------------------------------------------------ */
/* A call's messages for the dashboard                                       */
/* ------------------------------------------------------------------------ */

/* One JSON array: every message of the call (at most ST_SHOW_MESSAGES_MAX,
 * in capture order) with its addresses, parsed fields and raw text, read
 * in binary (raw bytes become JSON text, invalid UTF-8 as U+FFFD). */
int st_call_messages_json(st_search_t *s, const char *call_uuid, const char *since, buf_t *b,
                          char *err, size_t errlen)
{
    PGconn *db = s->conn;
    const char *p[2] = {call_uuid, since && since[0] ? since : "-infinity"};
    PGresult *r = PQexecParams(
        db,
        "SELECT msg_id::text, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
        "(extract(epoch from ts) * 1000000)::bigint, host(src_ip), src_port, host(dst_ip), "
        "dst_port, transport, is_request, method, status_code, reason_phrase, cseq, cseq_method, "
        "user_agent, parse, raw, raw_format, len FROM sip_messages WHERE dist_uuid = $1::uuid AND "
        "call_uuid = $1::uuid AND ts >= $2::timestamptz ORDER BY ts, frame_no LIMIT 5000",
        2, NULL, p, NULL, NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        q__pq_error("cannot read the call's messages", PQresultErrorMessage(r), err, errlen);
        PQclear(r);
        return -1;
    }
    /* binary results: text columns are their bytes; integers big-endian */
    json_writer_t j;
    json_init(&j, b);
    json_arr_begin(&j);
    buf_t raw; /* the message as captured (st_raw_unpack) */
    buf_init(&raw);
    for (int i = 0; i < PQntuples(r); i++) {
        const unsigned char *f = (const unsigned char *)PQgetvalue(r, i, 17);
        const unsigned char *l = (const unsigned char *)PQgetvalue(r, i, 18);
        int raw_format = (int16_t)(f[0] << 8 | f[1]);
        size_t raw_len =
            (size_t)((uint32_t)l[0] << 24 | (uint32_t)l[1] << 16 | (uint32_t)l[2] << 8 | l[3]);
        bool have_raw = st_raw_unpack(raw_format, PQgetvalue(r, i, 16),
                                      (size_t)PQgetlength(r, i, 16), raw_len, &raw) == 0;
        json_obj_begin(&j);
#define TXT(k, col)                                                                                \
    json_key(&j, k);                                                                               \
    if (PQgetisnull(r, i, col))                                                                    \
        json_null(&j);                                                                             \
    else                                                                                           \
        json_str(&j, (sv_t){.p = PQgetvalue(r, i, col), .len = (size_t)PQgetlength(r, i, col)})
#define INT(k, col, bytes)                                                                         \
    json_key(&j, k);                                                                               \
    if (PQgetisnull(r, i, col)) {                                                                  \
        json_null(&j);                                                                             \
    } else {                                                                                       \
        const unsigned char *q = (const unsigned char *)PQgetvalue(r, i, col);                     \
        int64_t x = 0;                                                                             \
        for (int m = 0; m < (bytes); m++)                                                          \
            x = (x << 8) | q[m];                                                                   \
        if ((bytes) == 2) x = (int16_t)x;                                                          \
        if ((bytes) == 4) x = (int32_t)x;                                                          \
        json_int(&j, x);                                                                           \
    }
        TXT("msg_id", 0);
        TXT("ts", 1);
        INT("ts_us", 2, 8);
        TXT("src_ip", 3);
        INT("src_port", 4, 4);
        TXT("dst_ip", 5);
        INT("dst_port", 6, 4);
        TXT("transport", 7);
        json_key(&j, "is_request"), json_bool(&j, PQgetvalue(r, i, 8)[0] != 0);
        TXT("method", 9);
        INT("status_code", 10, 2);
        TXT("reason", 11);
        INT("cseq", 12, 8);
        TXT("cseq_method", 13);
        TXT("user_agent", 14);
        TXT("parse", 15);
        json_key(&j, "raw");
        if (have_raw)
            json_str(&j, (sv_t){.p = raw.data, .len = raw.len});
        else
            json_null(&j);
#undef TXT
#undef INT
        json_obj_end(&j);
    }
    json_arr_end(&j);
    buf_free(&raw);
    PQclear(r);
    return 0;
}
