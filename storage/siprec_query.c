/* siprec_query.c - the stored SIPREC sessions read back: `siphon siprec
 * list` (the newest sessions in a time window) and `siphon siprec show`
 * (one session with its participants, streams and metadata).
 *
 * Values travel as PQexecParams parameters.  The JSON is built by
 * PostgreSQL (json_build_object: escaped by the server, times as the
 * NDJSON contract writes them, RFC 3339 UTC with "Z"); the text is built
 * here from plain columns, every value from the wire made inert
 * (text_inert: controls, escapes and bidi characters never reach the
 * terminal).  Linked calls come from the siprec_session_calls view
 * (schema/0004_siprec.sql): the observed calls whose Call-ID the metadata
 * names, else those between two of its participants.  The same rules read
 * from the call's side give a call its sessions: the "SIPREC" section of
 * `siphon show CALL` and the `siprec` list of the dashboard's call detail,
 * on the search connection of those readers (query.c).
 */
#include "st_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* Columns of one session, for list and show alike (s: the session). */
#define SESSION_COLUMNS                                                                            \
    "s.session_uuid::text, " TS("s.start_ts") ", " TS(                                             \
        "s.end_ts") ", s.call_id, s.state, "                                                       \
                    "host(s.src_ip), s.src_port, s.transport, s.participant_count, "               \
                    "s.stream_count, s.packets, "                                                  \
                    "s.lost, s.mos_min, s.metadata_updates, "                                      \
                    "(SELECT coalesce(json_agg(p.aor ORDER BY p.idx), '[]') FROM "                 \
                    "siprec_participants p "                                                       \
                    " WHERE p.session_uuid = s.session_uuid AND p.start_ts = s.start_ts)::text, "  \
                    "array_to_json(s.recorded_call_ids)::text, "                                   \
                    "(SELECT coalesce(json_agg(l.call_uuid::text ORDER BY l.call_start_ts), "      \
                    "'[]') "                                                                       \
                    " FROM siprec_session_calls l WHERE l.session_uuid = s.session_uuid "          \
                    " AND l.session_start_ts = s.start_ts)::text, s.probe"

enum {
    C_UUID,
    C_START,
    C_END,
    C_CALL_ID,
    C_STATE,
    C_SRC,
    C_SRC_PORT,
    C_TRANSPORT,
    C_NPART,
    C_NSTREAMS,
    C_PACKETS,
    C_LOST,
    C_MOS,
    C_UPDATES,
    C_AORS,
    C_RECORDED,
    C_CALLS,
    C_PROBE,
    C_N
};

static const char *col_name[C_N] = {
    "session_uuid",
    "start_ts",
    "end_ts",
    "call_id",
    "state",
    "src_ip",
    "src_port",
    "transport",
    "participant_count",
    "stream_count",
    "packets",
    "lost",
    "mos_min",
    "metadata_updates",
    "participants",
    "recorded_call_ids",
    "calls",
    "probe",
};

/* Column kinds for the JSON object: s string, n number, j JSON. */
static const char col_kind[C_N + 1] = "ssssssnsnnnnnnjjjs";

static PGresult *query(PGconn *c, const char *sql, int n, const char *const *vals, char *err,
                       size_t errlen)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, vals, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        const char *m = PQresultErrorMessage(r);
        if (strstr(m, "siprec_") && strstr(m, "does not exist"))
            snprintf(err, errlen, "the database has no SIPREC tables: run `siphon db migrate`");
        else
            snprintf(err, errlen, "%.*s", (int)strcspn(m, "\n"), m);
        PQclear(r);
        return NULL;
    }
    return r;
}

/* A value PostgreSQL wrote as JSON (a number, an array) after a key. */
static void json_raw(json_writer_t *w, const char *v, size_t n)
{
    buf_append(w->out, v, n);
    w->need_comma[w->depth] = true;
}

/* Row i as one JSON object (no newline). */
static void row_json(buf_t *out, PGresult *r, int i)
{
    json_writer_t w;
    json_init(&w, out);
    json_obj_begin(&w);
    for (int k = 0; k < C_N; k++) {
        json_key(&w, col_name[k]);
        if (PQgetisnull(r, i, k)) {
            json_null(&w);
            continue;
        }
        const char *v = PQgetvalue(r, i, k);
        if (col_kind[k] == 's') {
            json_str(&w, sv_from_cstr(v));
        } else { /* numbers and JSON as PostgreSQL wrote them */
            json_raw(&w, v, strlen(v));
        }
    }
    json_obj_end(&w);
}

static void put_inert(buf_t *out, PGresult *r, int i, int k, const char *none)
{
    text_inert_cstr(out, PQgetisnull(r, i, k) ? none : PQgetvalue(r, i, k));
}

/* A JSON array of strings (as PostgreSQL wrote it) as "a, b" text, inert. */
static void put_list(buf_t *out, const char *json_arr)
{
    bool any = false;
    for (const char *p = json_arr; *p;) {
        const char *q = strchr(p, '"');
        if (!q) break;
        buf_t item;
        buf_init(&item);
        for (q++; *q && *q != '"'; q++) {
            if (*q == '\\' && q[1]) {
                q++;
                buf_putc(&item, *q == 'n' ? ' ' : *q == 't' ? ' ' : *q);
                continue;
            }
            buf_putc(&item, *q);
        }
        buf_putc(&item, '\0');
        buf_printf(out, "%s", any ? ", " : "");
        text_inert_cstr(out, item.data);
        buf_free(&item);
        any = true;
        p = *q ? q + 1 : q;
    }
    if (!any) buf_printf(out, "-");
}

static void row_text(buf_t *out, PGresult *r, int i)
{
    put_inert(out, r, i, C_START, "-");
    buf_printf(out, "  ");
    put_inert(out, r, i, C_STATE, "-");
    buf_printf(out, "  ");
    put_inert(out, r, i, C_CALL_ID, "-");
    buf_printf(out, "  from ");
    put_inert(out, r, i, C_SRC, "?");
    buf_printf(out, ":");
    put_inert(out, r, i, C_SRC_PORT, "?");
    buf_printf(out, "/");
    put_inert(out, r, i, C_TRANSPORT, "?");
    buf_printf(out, "  %s streams, %s packets, %s lost, MOS ", PQgetvalue(r, i, C_NSTREAMS),
               PQgetvalue(r, i, C_PACKETS), PQgetvalue(r, i, C_LOST));
    put_inert(out, r, i, C_MOS, "-");
    buf_printf(out, "\n    participants: ");
    put_list(out, PQgetvalue(r, i, C_AORS));
    buf_printf(out, "\n    recorded calls: ");
    put_list(out, PQgetvalue(r, i, C_RECORDED));
    buf_printf(out, "  observed: ");
    put_list(out, PQgetvalue(r, i, C_CALLS));
    buf_printf(out, "\n    session ");
    put_inert(out, r, i, C_UUID, "-");
    buf_putc(out, '\n');
}

long st_siprec_list(const char *dsn, const st_siprec_filter_t *f, bool json, buf_t *out, char *err,
                    size_t errlen)
{
    PGconn *c = st__connect(dsn, 10 * NS_PER_SEC, err, errlen);
    if (!c) return -1;
    char since[64], until[64], limit[32];
    const char *vals[3] = {NULL, NULL, NULL};
    if (f->has_since) {
        snprintf(since, sizeof since, "%.6f", (double)f->since_ns / 1e9);
        vals[0] = since;
    }
    if (f->has_until) {
        snprintf(until, sizeof until, "%.6f", (double)f->until_ns / 1e9);
        vals[1] = until;
    }
    if (f->limit) {
        snprintf(limit, sizeof limit, "%u", f->limit);
        vals[2] = limit;
    }
    static const char sql[] =
        "SELECT * FROM (SELECT " SESSION_COLUMNS ", s.start_ts AS o FROM siprec_sessions s "
        "WHERE ($1::float8 IS NULL OR s.start_ts >= to_timestamp($1::float8)) "
        "AND ($2::float8 IS NULL OR s.start_ts < to_timestamp($2::float8)) "
        "ORDER BY s.start_ts DESC, s.session_uuid LIMIT $3::bigint) t ORDER BY o, 1";
    PGresult *r = query(c, sql, 3, vals, err, errlen);
    PQfinish(c);
    if (!r) return -1;
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        if (json) {
            row_json(out, r, i);
            buf_putc(out, '\n');
        } else {
            row_text(out, r, i);
        }
    }
    PQclear(r);
    return n;
}

static void sub_rows(buf_t *out, PGresult *r, bool json, const char *key)
{
    int n = PQntuples(r), nf = PQnfields(r);
    if (json) {
        buf_printf(out, ",\"%s\":[", key);
        for (int i = 0; i < n; i++)
            buf_printf(out, "%s%s", i ? "," : "", PQgetvalue(r, i, 0));
        buf_putc(out, ']');
        return;
    }
    for (int i = 0; i < n; i++) {
        buf_printf(out, "  %s %d:", key, i + 1);
        for (int k = 1; k < nf; k++) {
            buf_printf(out, " %s=", PQfname(r, k));
            put_inert(out, r, i, k, "-");
        }
        buf_putc(out, '\n');
    }
}

/* A session's participants and streams ($1 its uuid, $2 its start as
 * PostgreSQL text): the JSON object first, then the plain columns. */
static const char participants_sql[] =
    "SELECT json_build_object('aor', aor, 'name', name, 'role', role, 'id', participant_id)"
    "::text, aor, name, role, participant_id AS id FROM siprec_participants "
    "WHERE session_uuid = $1::uuid AND start_ts = $2::timestamptz ORDER BY idx";
static const char streams_sql[] =
    "SELECT json_build_object('label', label, 'codec', codec, 'port', port, 'packets', "
    "packets, 'lost', lost, 'jitter_ms', jitter_ms, 'mos', mos, 'srtp', srtp, "
    "'srtp_auth_failures', srtp_auth_failures, 'socket_drops', socket_drops, 'pauses', "
    "pauses, 'sender', sender_aor, 'first_ts', " TS("first_ts") ", 'last_ts', " TS(
        "last_ts") ")::text, label, codec, port, packets, lost, jitter_ms, mos, srtp, "
                   "sender_aor AS sender FROM siprec_streams "
                   "WHERE session_uuid = $1::uuid AND start_ts = $2::timestamptz ORDER BY idx";
/* The observed calls a session recorded (siprec_session_calls), each with
 * the command that shows it. */
static const char observed_sql[] =
    "SELECT json_build_object('call_uuid', call_uuid, 'call_id', call_id, 'matched_by', "
    "matched_by)::text, call_uuid::text AS uuid, call_id, matched_by FROM siprec_session_calls "
    "WHERE session_uuid = $1::uuid AND session_start_ts = $2::timestamptz ORDER BY call_start_ts";

int st_siprec_show(const char *dsn, const char *id, bool json, bool xml, buf_t *out, char *err,
                   size_t errlen)
{
    PGconn *c = st__connect(dsn, 10 * NS_PER_SEC, err, errlen);
    if (!c) return -1;
    const char *vals[1] = {id};
    static const char sql[] =
        "SELECT " SESSION_COLUMNS ", s.metadata_xml, s.metadata_xml_bytes, s.start_ts::text "
        "FROM siprec_sessions s WHERE s.session_uuid::text = $1 OR s.call_id = $1 "
        "ORDER BY s.start_ts DESC LIMIT 1";
    PGresult *r = query(c, sql, 1, vals, err, errlen);
    if (!r) {
        PQfinish(c);
        return -1;
    }
    if (PQntuples(r) == 0) {
        PQclear(r);
        PQfinish(c);
        return 0;
    }
    const char *key[2] = {PQgetvalue(r, 0, C_UUID), PQgetvalue(r, 0, C_N + 2)};
    PGresult *pr = query(c, participants_sql, 2, key, err, errlen);
    PGresult *sr = pr ? query(c, streams_sql, 2, key, err, errlen) : NULL;
    PGresult *lr = sr ? query(c, observed_sql, 2, key, err, errlen) : NULL;
    PQfinish(c);
    if (!pr || !sr || !lr) {
        PQclear(r);
        PQclear(pr);
        PQclear(sr);
        return -1;
    }
    if (json) {
        row_json(out, r, 0);
        out->len--; /* the closing brace: the lists follow */
        sub_rows(out, pr, true, "participant_list");
        sub_rows(out, sr, true, "streams");
        sub_rows(out, lr, true, "observed_calls");
        json_writer_t w;
        json_init(&w, out);
        buf_printf(out, ",\"metadata_xml\":");
        if (PQgetisnull(r, 0, C_N))
            json_null(&w);
        else
            json_str(&w, sv_from_cstr(PQgetvalue(r, 0, C_N)));
        buf_printf(out, "}\n");
    } else {
        row_text(out, r, 0);
        sub_rows(out, pr, false, "participant");
        sub_rows(out, sr, false, "stream");
        sub_rows(out, lr, false, "observed call");
        buf_printf(out, "  metadata: %s bytes\n",
                   PQgetisnull(r, 0, C_N + 1) ? "0" : PQgetvalue(r, 0, C_N + 1));
        if (xml && !PQgetisnull(r, 0, C_N)) {
            text_inert_cstr(out, PQgetvalue(r, 0, C_N));
            buf_putc(out, '\n');
        }
    }
    PQclear(r);
    PQclear(pr);
    PQclear(sr);
    PQclear(lr);
    return 1;
}

/* ------------------------------------------------------------------------ */
/* The sessions that recorded one call                                       */
/* ------------------------------------------------------------------------ */

/* The sessions linked to a call ($1 its Call-ID, $2 its start, $3 its end
 * or NULL, $4 its caller, $5 its callee: call_values) by the rules of the
 * view siprec_session_calls
 * (schema/0004_siprec.sql), read from the call's side: by Call-ID, the
 * sessions whose metadata names the call's and that started up to an hour
 * after the call, the call starting no later than a minute after the
 * session ended (sessions are looked for from a day before the call: one
 * longer than a day is not found); else by participants, the sessions with no call of
 * a Call-ID they name, one participant the call's caller and another its
 * callee, that started from a minute before the call to ten minutes after,
 * the call still up.  The view itself joins every session with the calls
 * before a filter on the call applies (1.4 s at 50,000 sessions); here the
 * call comes first, so only its days' partitions and the GIN index on
 * recorded_call_ids are read.
 * test_siprec_call.sh compares both. */
#define CALL_SESSIONS_FROM                                                                         \
    "FROM (SELECT s.session_uuid, s.start_ts AS session_start_ts, 'call_id'::text AS matched_by "  \
    "FROM siprec_sessions s WHERE s.recorded_call_ids @> ARRAY[$1::text] "                         \
    "AND s.start_ts >= $2::timestamptz - interval '1 day' "                                        \
    "AND s.start_ts <= $2::timestamptz + interval '1 hour' "                                       \
    "AND $2::timestamptz <= coalesce(s.end_ts, s.start_ts) + interval '1 minute' "                 \
    "UNION ALL "                                                                                   \
    "SELECT s.session_uuid, s.start_ts, 'participants'::text FROM siprec_sessions s "              \
    "WHERE s.start_ts >= $2::timestamptz - interval '1 minute' "                                   \
    "AND s.start_ts <= $2::timestamptz + interval '10 minutes' "                                   \
    "AND ($3::timestamptz IS NULL OR $3::timestamptz >= s.start_ts) "                              \
    "AND EXISTS (SELECT 1 FROM siprec_participants pa JOIN siprec_participants pb "                \
    "ON pb.session_uuid = pa.session_uuid AND pb.start_ts = pa.start_ts AND pb.idx <> pa.idx "     \
    "WHERE pa.session_uuid = s.session_uuid AND pa.start_ts = s.start_ts "                         \
    "AND siprec_aor_user(pa.aor) = $4 AND siprec_aor_user(pb.aor) = $5) "                          \
    "AND NOT EXISTS (SELECT 1 FROM calls o WHERE o.call_id = ANY (s.recorded_call_ids) "           \
    "AND o.start_ts >= s.start_ts - interval '1 hour' "                                            \
    "AND o.start_ts <= coalesce(s.end_ts, s.start_ts) + interval '1 minute')) v "                  \
    "JOIN siprec_sessions s ON s.session_uuid = v.session_uuid AND s.start_ts = "                  \
    "v.session_start_ts"

/* The call's Call-ID, start, end, caller and callee (CALL_SESSIONS_FROM's
 * $1..$5) into vals: read first, so each session query is planned with
 * the call's own values (the Call-ID then picks the GIN index on
 * recorded_call_ids rather than a scan of the day's sessions).  1 found,
 * 0 not, -1 with err; *r holds the values (PQclear it). */
static int call_values(PGconn *c, const char *call_uuid, const char *since, PGresult **r,
                       const char *vals[5], char *err, size_t errlen)
{
    const char *p[2] = {call_uuid, since && since[0] ? since : NULL};
    *r = query(c,
               "SELECT call_id, start_ts::text, end_ts::text, caller, callee FROM calls "
               "WHERE call_uuid = $1::uuid AND start_ts BETWEEN coalesce($2::timestamptz, "
               "'-infinity') AND coalesce($2::timestamptz, 'infinity') ORDER BY start_ts DESC "
               "LIMIT 1",
               2, p, err, errlen);
    if (!*r) return -1;
    if (PQntuples(*r) != 1) return 0;
    for (int k = 0; k < 5; k++)
        vals[k] = PQgetisnull(*r, 0, k) ? NULL : PQgetvalue(*r, 0, k);
    return 1;
}

/* A Call-ID as one shell word: single-quoted ('\'' for a quote) when it is
 * printable ASCII; false (nothing written) otherwise, where a command
 * line could not carry it faithfully. */
static bool shell_word(buf_t *out, const char *s)
{
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) return false;
    buf_putc(out, '\'');
    for (const char *p = s; *p; p++) {
        if (*p == '\'')
            buf_printf(out, "'\\''");
        else
            buf_putc(out, *p);
    }
    buf_putc(out, '\'');
    return true;
}

enum {
    K_UUID,
    K_START,
    K_END,
    K_CALL_ID,
    K_STATE,
    K_SRC,
    K_SRC_PORT,
    K_TRANSPORT,
    K_MATCHED,
    K_UPDATES,
    K_XML_BYTES,
    K_START_PG,
    K_N
};

int st_show_siprec(st_search_t *s, buf_t *out, char *err, size_t errlen)
{
    const char *uuid = st__show_uuid(s);
    if (!uuid) return 0;
    PGconn *c = st__search_conn(s);
    const char *vals[5];
    PGresult *cr;
    int found = call_values(c, uuid, NULL, &cr, vals, err, errlen);
    if (found <= 0) {
        PQclear(cr);
        return found;
    }
    PGresult *r = query(c,
                        "SELECT s.session_uuid::text, " TS("s.start_ts") ", " TS(
                            "s.end_ts") ", s.call_id, s.state, host(s.src_ip), s.src_port, "
                                        "s.transport, v.matched_by, s.metadata_updates, "
                                        "s.metadata_xml_bytes, s.start_ts::text " CALL_SESSIONS_FROM
                                        " ORDER BY s.start_ts, s.session_uuid",
                        5, vals, err, errlen);
    PQclear(cr);
    if (!r) return -1;
    int n = PQntuples(r);
    if (n > 0)
        buf_printf(out, "\nSIPREC: %d recording session%s recorded this call\n", n,
                   n == 1 ? "" : "s");
    for (int i = 0; i < n; i++) {
        buf_printf(out, "  session %s  ", PQgetvalue(r, i, K_UUID));
        put_inert(out, r, i, K_START, "-");
        buf_printf(out, " .. ");
        put_inert(out, r, i, K_END, "-");
        buf_printf(out, "  ");
        put_inert(out, r, i, K_STATE, "-");
        buf_printf(out, "  (linked by ");
        put_inert(out, r, i, K_MATCHED, "-");
        buf_printf(out, ")\n    SRS Call-ID: ");
        put_inert(out, r, i, K_CALL_ID, "-");
        buf_printf(out, "  SRC: ");
        put_inert(out, r, i, K_SRC, "?");
        buf_printf(out, ":");
        put_inert(out, r, i, K_SRC_PORT, "?");
        buf_printf(out, "/");
        put_inert(out, r, i, K_TRANSPORT, "?");
        buf_printf(out, "  metadata: %s bytes, %s updates\n",
                   PQgetisnull(r, i, K_XML_BYTES) ? "0" : PQgetvalue(r, i, K_XML_BYTES),
                   PQgetvalue(r, i, K_UPDATES));
        const char *key[2] = {PQgetvalue(r, i, K_UUID), PQgetvalue(r, i, K_START_PG)};
        PGresult *pr = query(c, participants_sql, 2, key, err, errlen);
        PGresult *sr = pr ? query(c, streams_sql, 2, key, err, errlen) : NULL;
        if (!pr || !sr) {
            PQclear(pr);
            PQclear(r);
            return -1;
        }
        buf_t sub;
        buf_init(&sub);
        sub_rows(&sub, pr, false, "participant");
        sub_rows(&sub, sr, false, "stream");
        for (size_t k = 0; k < sub.len; k++) { /* indented under the session */
            if (k == 0 || sub.data[k - 1] == '\n') buf_printf(out, "  ");
            buf_putc(out, sub.data[k]);
        }
        buf_free(&sub);
        PQclear(pr);
        PQclear(sr);
        buf_printf(out, "    details: siphon siprec show %s --xml\n", PQgetvalue(r, i, K_UUID));
        buf_t word;
        buf_init(&word);
        if (shell_word(&word, PQgetvalue(r, i, K_CALL_ID))) {
            buf_putc(&word, '\0');
            buf_printf(out, "    audio:   siphon audio %s -o siprec-%.8s.wav\n", word.data,
                       PQgetvalue(r, i, K_UUID));
            buf_printf(out, "    pcap:    siphon pcap %s -o siprec-%.8s.pcap\n", word.data,
                       PQgetvalue(r, i, K_UUID));
        } else {
            buf_printf(out,
                       "    audio, pcap: `siphon audio` / `siphon pcap` with the SRS "
                       "Call-ID (not printable as a command line: see `siphon siprec show "
                       "%s --json`)\n",
                       PQgetvalue(r, i, K_UUID));
        }
        buf_free(&word);
    }
    PQclear(r);
    return n;
}

int st_siprec_call_json(st_search_t *s, const char *call_uuid, const char *since, bool with_xml,
                        buf_t *out, char *err, size_t errlen)
{
    PGconn *c = st__search_conn(s);
    const char *vals[6];
    PGresult *cr;
    int found = call_values(c, call_uuid, since, &cr, vals, err, errlen);
    if (found <= 0) {
        PQclear(cr);
        if (found == 0) buf_printf(out, "[]");
        return found;
    }
    vals[5] = with_xml ? "t" : "f";
    PGresult *r = query(
        c,
        "SELECT coalesce(json_agg(json_build_object('session_uuid', s.session_uuid, 'call_id', "
        "s.call_id, 'start_ts', " TS("s.start_ts") ", 'end_ts', " TS(
            "s.end_ts") ", 'state', s.state, 'src_ip', host(s.src_ip), 'src_port', s.src_port, "
                        "'transport', s.transport, 'matched_by', v.matched_by, "
                        "'recorded_call_ids', s.recorded_call_ids, 'packets', s.packets, 'lost', "
                        "s.lost, 'mos_min', s.mos_min, 'metadata_updates', s.metadata_updates, "
                        "'metadata_xml_bytes', s.metadata_xml_bytes, 'metadata_xml', CASE WHEN "
                        "$6::bool THEN s.metadata_xml END, 'participants', (SELECT "
                        "coalesce(json_agg(json_build_object('id', p.participant_id, 'aor', "
                        "p.aor, 'name', p.name, 'role', p.role) ORDER BY p.idx), '[]') FROM "
                        "siprec_participants p WHERE p.session_uuid = s.session_uuid AND "
                        "p.start_ts = s.start_ts), 'streams', (SELECT "
                        "coalesce(json_agg(json_build_object('label', t.label, 'codec', t.codec, "
                        "'port', t.port, 'packets', t.packets, 'lost', t.lost, 'jitter_ms', "
                        "t.jitter_ms, 'mos', t.mos, 'srtp', t.srtp, 'srtp_suite', t.srtp_suite, "
                        "'sender', t.sender_aor, 'sender_id', t.sender_id) ORDER BY t.idx), "
                        "'[]') FROM siprec_streams t WHERE t.session_uuid = s.session_uuid AND "
                        "t.start_ts = s.start_ts)) ORDER BY s.start_ts, s.session_uuid), "
                        "'[]')::text " CALL_SESSIONS_FROM,
        6, vals, err, errlen);
    PQclear(cr);
    if (!r) return -1;
    const char *v = PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "[]";
    buf_append(out, v, strlen(v));
    PQclear(r);
    return 0;
}
