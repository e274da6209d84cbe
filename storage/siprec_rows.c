/* siprec_rows.c - an ended SIPREC recording session (siprec.h, through the
 * app's session listener) as rows of siprec_sessions, siprec_participants
 * and siprec_streams (schema/0004_siprec.sql), in COPY text format into a
 * chunk for the writers every other table goes through (batches, the
 * spool, idempotent replay).
 *
 * Keys: session_uuid is a UUIDv8 of the probe, the session's start (ns)
 * and its Call-ID, so a session told twice (a spool replay) is one row; a
 * participant or stream is that uuid and its position.  The raw metadata
 * is the last document the SRC sent (complete or partial), cut at
 * ST__SIPREC_XML_MAX bytes with its full size beside it; vendor extension
 * elements are kept as the model merged them (siprec/ bounds them).
 */
#include "st_internal.h"

#include <string.h>

#define ST__SIPREC_XML_MAX (64u << 10)

static st__uuid_t session_uuid(const char *probe, const srs_session_t *s)
{
    uint8_t k[8 + 256];
    size_t n = 0;
    for (int i = 0; i < 8; i++)
        k[n++] = (uint8_t)((uint64_t)s->start_ns >> (8 * i));
    size_t cl = s->call_id ? strnlen(s->call_id, 256) : 0;
    memcpy(k + n, s->call_id ? s->call_id : "", cl);
    return st__uuid(probe, "siprec", k, n + cl);
}

/* A PostgreSQL text[] literal of the strings, then COPY-escaped. */
static void copy_text_array(buf_t *b, buf_t *tmp, const char *const *v, uint32_t n)
{
    buf_reset(tmp);
    buf_putc(tmp, '{');
    for (uint32_t i = 0; i < n; i++) {
        if (i) buf_putc(tmp, ',');
        buf_putc(tmp, '"');
        for (const char *p = v[i] ? v[i] : ""; *p; p++) {
            if (*p == '"' || *p == '\\') buf_putc(tmp, '\\');
            buf_putc(tmp, *p);
        }
        buf_putc(tmp, '"');
    }
    buf_putc(tmp, '}');
    st__copy_text(b, tmp->data, tmp->len);
}

void st__rows_siprec(st__rowctx_t *x, st__chunk_t *c, const srs_session_t *s)
{
    int64_t start = s->start_ns > 0 ? s->start_ns : 1000;
    st__chunk_day(c, start);
    st__uuid_t u = session_uuid(x->probe, s);
    uint64_t packets = 0;
    int64_t lost = 0;
    double mos_min = -1;
    for (uint32_t i = 0; i < s->n_streams; i++) {
        packets += s->streams[i].packets;
        lost += s->streams[i].lost;
        if (s->streams[i].mos >= 0 && (mos_min < 0 || s->streams[i].mos < mos_min))
            mos_min = s->streams[i].mos;
    }
    const srs_metadata_t *md = s->metadata;
    buf_t *b = &c->rows[ST__SIPREC_SESSIONS];
    st__copy_uuid(b, &u), st__copy_sep(b);
    st__copy_ts(b, start), st__copy_sep(b);
    st__copy_cstr(b, x->probe, false), st__copy_sep(b);
    st__copy_cstr(b, s->call_id ? s->call_id : "", false), st__copy_sep(b);
    st__copy_ts(b, s->end_ns), st__copy_sep(b);
    st__copy_cstr(b, s->state ? s->state : "unknown", false), st__copy_sep(b);
    st__copy_inet(b, &s->src.ip), st__copy_sep(b);
    st__copy_port(b, &s->src), st__copy_sep(b);
    st__copy_cstr(b, srs_transport_name(s->transport), false), st__copy_sep(b);
    copy_text_array(b, &x->json, s->recorded_call_ids, s->n_call_ids), st__copy_sep(b);
    st__copy_int(b, s->n_participants), st__copy_sep(b);
    st__copy_int(b, s->n_streams), st__copy_sep(b);
    st__copy_int(b, (int64_t)packets), st__copy_sep(b);
    st__copy_int(b, lost), st__copy_sep(b);
    st__copy_double(b, mos_min, 2, true), st__copy_sep(b);
    st__copy_int(b, s->metadata_updates), st__copy_sep(b);
    st__copy_int(b, md ? md->truncated : 0), st__copy_sep(b);
    size_t xl = md && md->last_xml ? strlen(md->last_xml) : 0;
    if (xl)
        st__copy_text(b, md->last_xml, xl < ST__SIPREC_XML_MAX ? xl : ST__SIPREC_XML_MAX);
    else
        st__copy_null(b);
    st__copy_sep(b);
    if (xl)
        st__copy_int(b, (int64_t)xl);
    else
        st__copy_null(b);
    st__copy_sep(b);
    if (md && md->extensions && md->extensions_len)
        st__copy_text(b, md->extensions, md->extensions_len);
    else
        st__copy_null(b);
    st__copy_end(b);
    c->n[ST__SIPREC_SESSIONS]++, c->total++;

    b = &c->rows[ST__SIPREC_PARTICIPANTS];
    for (uint32_t i = 0; i < s->n_participants; i++) {
        const srs_participant_t *p = &s->participants[i];
        st__copy_uuid(b, &u), st__copy_sep(b);
        st__copy_ts(b, start), st__copy_sep(b);
        st__copy_int(b, i), st__copy_sep(b);
        st__copy_cstr(b, p->id, true), st__copy_sep(b);
        st__copy_cstr(b, p->aor, true), st__copy_sep(b);
        st__copy_cstr(b, p->name, true), st__copy_sep(b);
        st__copy_cstr(b, p->role, true);
        st__copy_end(b);
        c->n[ST__SIPREC_PARTICIPANTS]++, c->total++;
    }

    b = &c->rows[ST__SIPREC_STREAMS];
    for (uint32_t i = 0; i < s->n_streams; i++) {
        const srs_stream_t *t = &s->streams[i];
        st__copy_uuid(b, &u), st__copy_sep(b);
        st__copy_ts(b, start), st__copy_sep(b);
        st__copy_int(b, i), st__copy_sep(b);
        st__copy_cstr(b, t->label, true), st__copy_sep(b);
        st__copy_cstr(b, t->stream_id, true), st__copy_sep(b);
        st__copy_cstr(b, t->codec, true), st__copy_sep(b);
        if (t->codec)
            st__copy_int(b, t->payload_type);
        else
            st__copy_null(b);
        st__copy_sep(b);
        if (t->clock_rate)
            st__copy_int(b, t->clock_rate);
        else
            st__copy_null(b);
        st__copy_sep(b);
        if (t->port)
            st__copy_int(b, t->port);
        else
            st__copy_null(b);
        st__copy_sep(b);
        st__copy_bool(b, t->srtp), st__copy_sep(b);
        st__copy_cstr(b, t->srtp_suite, true), st__copy_sep(b);
        st__copy_int(b, (int64_t)t->packets), st__copy_sep(b);
        st__copy_int(b, (int64_t)t->bytes), st__copy_sep(b);
        st__copy_int(b, (int64_t)t->rtcp_packets), st__copy_sep(b);
        st__copy_int(b, t->lost), st__copy_sep(b);
        if (t->first_ns)
            st__copy_double(b, t->jitter_ms, 3, true);
        else
            st__copy_null(b);
        st__copy_sep(b);
        st__copy_double(b, t->mos, 2, true), st__copy_sep(b);
        st__copy_int(b, (int64_t)t->srtp_auth_failures), st__copy_sep(b);
        st__copy_int(b, (int64_t)t->malformed), st__copy_sep(b);
        st__copy_int(b, (int64_t)t->socket_drops), st__copy_sep(b);
        st__copy_ts(b, t->first_ns), st__copy_sep(b);
        st__copy_ts(b, t->last_ns), st__copy_sep(b);
        st__copy_int(b, t->pauses), st__copy_sep(b);
        st__copy_cstr(b, t->sender_id, true), st__copy_sep(b);
        st__copy_cstr(b, t->sender_aor, true);
        st__copy_end(b);
        c->n[ST__SIPREC_STREAMS]++, c->total++;
    }
}
