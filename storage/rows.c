/* rows.c - the correlator's records as rows of the schema (schema/README.md),
 * in COPY text format, with their stable keys.
 *
 * One function per record kind, called on the correlator shard's thread:
 * it copies what the row needs out of the record (views valid only during
 * the callback) into the chunk the shard hands to the writer.  The columns
 * mirror the `analyze --json` contract and its values are the contract's
 * (the same rounding, null for "unknown"); the lists of a call (flags,
 * DTMF, RFC 6035 reports) and a stream's RTCP object are the encoders' own
 * JSON (encode.h), one contract for NDJSON and the database; a stream's
 * quality object is stored compactly (quality_row.c, read back whole with
 * siphon_stream_quality).
 * st__tables lists each table's COPY columns in the order written here.
 */
#include "st_internal.h"

#include <string.h>

const st__table_def_t st__tables[ST__NTABLES] = {
    [ST__CALLS] = {"calls", "st_calls",
                   "call_uuid,start_ts,probe,call_id,call_key,from_uri,to_uri,caller,callee,"
                   "src_ip,src_port,dst_ip,dst_port,transport,state,final_code,reason,ringing_ts,"
                   "answer_ts,end_ts,setup_ms,setup_total_ms,pdd_ms,duration_s,ended_by,"
                   "user_agent,from_tag,to_tag,open_at_end,timed_out,evicted,sip_messages,invites,"
                   "reinvites,challenges,early_dialogs,media,mos,mos_min,rtcp_packets,"
                   "stream_count,dtmf,dtmf_dropped,flags,vq_reports,vq_dropped",
                   NULL},
    [ST__STREAMS] = {"streams", "st_streams",
                     "call_uuid,ts,stream_id,probe,orphan,call_id,direction,media_index,"
                     "classified_as,src_ip,src_port,dst_ip,dst_port,ssrc,payload_type,codec,"
                     "clock_rate,packets,bytes,lost,lost_wireshark,duplicates,out_of_order,"
                     "seq_errors,jitter_ms,jitter_mean_ms,jitter_max_ms,delta_min_ms,"
                     "delta_mean_ms,delta_max_ms,rtcp_packets,first_ts,last_ts,mos,r_factor,"
                     "mos_min,effective_loss_pct,rtcp,quality,dtmf",
                     NULL},
    [ST__INTERVALS] = {"quality_intervals", "st_quality_intervals",
                       "call_uuid,ts,stream_id,idx,start_ts,packets,lost,discards,jitter_ms,mos",
                       NULL},
    [ST__MESSAGES] = {"sip_messages", "st_sip_messages",
                      "dist_uuid,ts,msg_id,call_uuid,probe,frame_no,src_ip,src_port,dst_ip,"
                      "dst_port,transport,parse,is_request,method,status_code,reason_phrase,"
                      "call_id,cseq,cseq_method,from_user,to_user,user_agent,len,raw,raw_format",
                      /* before raw_format (schema 5): raw as captured, the default 0 */
                      "dist_uuid,ts,msg_id,call_uuid,probe,frame_no,src_ip,src_port,dst_ip,"
                      "dst_port,transport,parse,is_request,method,status_code,reason_phrase,"
                      "call_id,cseq,cseq_method,from_user,to_user,user_agent,len,raw"},
    [ST__REGISTRATIONS] = {"registrations", "st_registrations",
                           "reg_uuid,ts,reg_id,probe,call_id,request_ts,aor,\"user\",contact,"
                           "expires,final_code,src_ip,src_port,dst_ip,dst_port,transport,"
                           "challenged,attempts,timed_out",
                           NULL},
    [ST__ALERTS] = {"alerts", "st_alerts",
                    "incident_uuid,first_ts,alert_id,probe,incident_id,alert_type,severity,phase,"
                    "src_ip,src_port,dst_ip,dst_port,target_user,last_ts,count,summary,evidence",
                    NULL},
    [ST__RECORDINGS] = {"recordings", "st_recordings",
                        "call_uuid,start_ts,kind,probe,call_id,locations,bytes", NULL},
    [ST__SIPREC_SESSIONS] = {"siprec_sessions", "st_siprec_sessions", ST__SIPREC_SESSIONS_COLUMNS,
                             NULL},
    [ST__SIPREC_PARTICIPANTS] = {"siprec_participants", "st_siprec_participants",
                                 ST__SIPREC_PARTICIPANTS_COLUMNS, NULL},
    [ST__SIPREC_STREAMS] = {"siprec_streams", "st_siprec_streams", ST__SIPREC_STREAMS_COLUMNS,
                            NULL},
};

/* Key material: fixed-width little-endian, so ids never depend on struct
 * padding or the host. */
typedef struct {
    uint8_t b[256];
    size_t n;
} st__key_t;

static void key_u64(st__key_t *k, uint64_t v)
{
    for (int i = 0; i < 8 && k->n < sizeof k->b; i++)
        k->b[k->n++] = (uint8_t)(v >> (8 * i));
}

static void key_ep(st__key_t *k, const endpoint_t *e)
{
    if (k->n + 19 > sizeof k->b) return;
    k->b[k->n++] = e->ip.family;
    memcpy(k->b + k->n, e->ip.bytes, 16), k->n += 16;
    k->b[k->n++] = (uint8_t)e->port, k->b[k->n++] = (uint8_t)(e->port >> 8);
}

static void key_str(st__key_t *k, const char *p, size_t n)
{
    key_u64(k, n);
    if (n > sizeof k->b - k->n) n = sizeof k->b - k->n;
    memcpy(k->b + k->n, p, n), k->n += n;
}

static st__uuid_t call_uuid(const char *probe, uint64_t call_key)
{
    st__key_t k = {.n = 0};
    key_u64(&k, call_key);
    return st__uuid(probe, "call", k.b, k.n);
}

/* The partition time of a call: its first INVITE, else the earliest time
 * known of it (a call first seen by a response). */
static int64_t call_time(const corr_call_t *c)
{
    if (c->start_ts_ns > 0) return c->start_ts_ns;
    int64_t t[] = {c->invite_ts_ns, c->ringing_ts_ns, c->answer_ts_ns, c->end_ts_ns};
    int64_t best = 0;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (t[i] > 0 && (best == 0 || t[i] < best)) best = t[i];
    for (uint32_t i = 0; i < c->stream_count; i++) {
        int64_t f = c->streams[i].stats.first_ts_ns;
        if (f > 0 && (best == 0 || f < best)) best = f;
    }
    return best > 0 ? best : 1000; /* nothing known: 1970-01-01 */
}

static void uint_or_null(buf_t *b, uint64_t v, bool known)
{
    if (known)
        st__copy_int(b, (int64_t)v);
    else
        st__copy_null(b);
}

static void json_col(st__rowctx_t *x, buf_t *b)
{
    st__copy_text(b, x->json.data, x->json.len);
    buf_reset(&x->json);
}

static void row_stream(st__rowctx_t *x, st__chunk_t *c, const st__uuid_t *cu, int64_t ts,
                       const corr_stream_t *s, bool orphan, uint32_t index)
{
    const rtp_stats_t *st = &s->stats;
    const sq_result_t *q = &s->quality;
    st__key_t k = {.n = 0};
    key_u64(&k, index);
    key_ep(&k, &s->src), key_ep(&k, &s->dst);
    key_u64(&k, s->ssrc);
    key_u64(&k, (uint64_t)st->first_ts_ns);
    int64_t sid = st__id64(k.b, k.n, 0x73747265616d3031ULL);
    buf_t *b = &c->rows[ST__STREAMS];
    bool any = q->expected > 0, have_jitter = st->clock_rate && st->jitter_count > 0;
    st__copy_uuid(b, cu), st__copy_sep(b);
    st__copy_ts(b, ts), st__copy_sep(b);
    st__copy_int(b, sid), st__copy_sep(b);
    st__copy_cstr(b, x->probe, false), st__copy_sep(b);
    st__copy_bool(b, orphan), st__copy_sep(b);
    st__copy_cstr(b, orphan ? NULL : s->call_id, true), st__copy_sep(b);
    st__copy_cstr(b,
                  orphan || s->media_index < 0 ? NULL
                  : s->from_caller             ? "caller"
                                               : "callee",
                  true),
        st__copy_sep(b);
    if (orphan)
        st__copy_null(b);
    else
        st__copy_int(b, s->media_index);
    st__copy_sep(b);
    st__copy_cstr(b, orphan ? s->orphan_proto : NULL, true), st__copy_sep(b);
    st__copy_inet(b, &s->src.ip), st__copy_sep(b);
    st__copy_port(b, &s->src), st__copy_sep(b);
    st__copy_inet(b, &s->dst.ip), st__copy_sep(b);
    st__copy_port(b, &s->dst), st__copy_sep(b);
    st__copy_int(b, s->ssrc), st__copy_sep(b);
    st__copy_int(b, s->payload_type), st__copy_sep(b);
    st__copy_cstr(b, s->codec, true), st__copy_sep(b);
    uint_or_null(b, st->clock_rate, st->clock_rate != 0), st__copy_sep(b);
    st__copy_int(b, st->packets), st__copy_sep(b);
    st__copy_int(b, (int64_t)st->bytes), st__copy_sep(b);
    st__copy_int(b, rtp_stats_lost(st)), st__copy_sep(b);
    st__copy_int(b, rtp_stats_lost_wireshark(st)), st__copy_sep(b);
    st__copy_int(b, st->duplicates), st__copy_sep(b);
    st__copy_int(b, st->out_of_order), st__copy_sep(b);
    st__copy_int(b, st->seq_errors), st__copy_sep(b);
    st__copy_double(b, st->clock_rate ? st->jitter_rfc * 1000.0 / (double)st->clock_rate : -1, 3,
                    true),
        st__copy_sep(b);
    st__copy_double(b, have_jitter ? rtp_stats_jitter_mean_ms(st) : -1, 3, true), st__copy_sep(b);
    st__copy_double(b, have_jitter ? st->jitter_max_ms : -1, 3, true), st__copy_sep(b);
    st__copy_double(b, st->jitter_count ? st->delta_min_ms : -1, 3, true), st__copy_sep(b);
    st__copy_double(b, st->jitter_count ? rtp_stats_delta_mean_ms(st) : -1, 3, true),
        st__copy_sep(b);
    st__copy_double(b, st->jitter_count ? st->delta_max_ms : -1, 3, true), st__copy_sep(b);
    st__copy_int(b, (int64_t)s->rtcp_packets), st__copy_sep(b);
    st__copy_ts(b, st->first_ts_ns), st__copy_sep(b);
    st__copy_ts(b, st->last_ts_ns), st__copy_sep(b);
    st__copy_double(b, q->scored ? q->mos : -1, 2, true), st__copy_sep(b);
    st__copy_double(b, q->scored ? q->r_factor : -1, 2, true), st__copy_sep(b);
    st__copy_double(b, q->scored ? q->mos_min : -1, 2, true), st__copy_sep(b);
    st__copy_double(b, any ? q->effective_loss_pct : -1, 3, true), st__copy_sep(b);
    enc_stream_rtcp_json(&x->json, s), json_col(x, b), st__copy_sep(b);
    st__quality_json(&x->json, s), json_col(x, b), st__copy_sep(b);
    enc_stream_dtmf_json(&x->json, s), json_col(x, b);
    st__copy_end(b);
    c->n[ST__STREAMS]++, c->total++;

    buf_t *iv = &c->rows[ST__INTERVALS];
    for (uint32_t i = 0; i < q->n_intervals; i++) {
        const sq_interval_t *v = &q->intervals[i];
        st__copy_uuid(iv, cu), st__copy_sep(iv);
        st__copy_ts(iv, ts), st__copy_sep(iv);
        st__copy_int(iv, sid), st__copy_sep(iv);
        st__copy_int(iv, i), st__copy_sep(iv);
        st__copy_ts(iv, v->start_ns > 0 ? v->start_ns : ts), st__copy_sep(iv);
        st__copy_int(iv, v->packets), st__copy_sep(iv);
        st__copy_int(iv, v->lost), st__copy_sep(iv);
        st__copy_int(iv, v->discards), st__copy_sep(iv);
        st__copy_double(iv, v->jitter_ms, 3, true), st__copy_sep(iv);
        st__copy_double(iv, v->mos, 2, true);
        st__copy_end(iv);
        c->n[ST__INTERVALS]++, c->total++;
    }
}

void st__rows_call(st__rowctx_t *x, st__chunk_t *c, const corr_call_t *call)
{
    int64_t ts = call_time(call);
    st__chunk_day(c, ts);
    st__uuid_t cu = call_uuid(x->probe, call->call_key);
    buf_t *b = &c->rows[ST__CALLS];
    st__copy_uuid(b, &cu), st__copy_sep(b);
    st__copy_ts(b, ts), st__copy_sep(b);
    st__copy_cstr(b, x->probe, false), st__copy_sep(b);
    st__copy_cstr(b, call->call_id, false), st__copy_sep(b);
    st__copy_int(b, (int64_t)call->call_key), st__copy_sep(b);
    st__copy_cstr(b, call->from_uri, true), st__copy_sep(b);
    st__copy_cstr(b, call->to_uri, true), st__copy_sep(b);
    st__copy_cstr(b, call->caller, true), st__copy_sep(b);
    st__copy_cstr(b, call->callee, true), st__copy_sep(b);
    st__copy_inet(b, &call->src.ip), st__copy_sep(b);
    st__copy_port(b, &call->src), st__copy_sep(b);
    st__copy_inet(b, &call->dst.ip), st__copy_sep(b);
    st__copy_port(b, &call->dst), st__copy_sep(b);
    st__copy_cstr(b, transport_name(call->transport), false), st__copy_sep(b);
    st__copy_cstr(b, corr_call_state_name(call->state), false), st__copy_sep(b);
    uint_or_null(b, (uint64_t)call->final_code, call->final_code != 0), st__copy_sep(b);
    st__copy_cstr(b, call->reason, true), st__copy_sep(b);
    st__copy_ts(b, call->ringing_ts_ns), st__copy_sep(b);
    st__copy_ts(b, call->answer_ts_ns), st__copy_sep(b);
    st__copy_ts(b, call->end_ts_ns), st__copy_sep(b);
    st__copy_double(b, enc_call_setup_ms(call), 3, true), st__copy_sep(b);
    st__copy_double(b, enc_call_setup_total_ms(call), 3, true), st__copy_sep(b);
    st__copy_double(b, enc_call_pdd_ms(call), 3, true), st__copy_sep(b);
    st__copy_double(b, enc_call_duration_s(call), 3, true), st__copy_sep(b);
    st__copy_cstr(b, enc_ended_by_name(call->ended_by), true), st__copy_sep(b);
    st__copy_cstr(b, call->user_agent, true), st__copy_sep(b);
    st__copy_cstr(b, call->from_tag, true), st__copy_sep(b);
    st__copy_cstr(b, call->to_tag, true), st__copy_sep(b);
    st__copy_bool(b, call->open_at_end), st__copy_sep(b);
    st__copy_bool(b, call->timed_out), st__copy_sep(b);
    st__copy_bool(b, call->evicted), st__copy_sep(b);
    st__copy_int(b, call->sip_messages), st__copy_sep(b);
    st__copy_int(b, call->invites), st__copy_sep(b);
    st__copy_int(b, call->reinvites), st__copy_sep(b);
    st__copy_int(b, call->challenges), st__copy_sep(b);
    st__copy_int(b, call->early_dialogs), st__copy_sep(b);
    st__copy_cstr(b, call->t38_caller || call->t38_callee ? "fax" : "audio", false),
        st__copy_sep(b);
    st__copy_double(b, call->mos, 2, true), st__copy_sep(b);
    st__copy_double(b, call->mos_min, 2, true), st__copy_sep(b);
    st__copy_int(b, (int64_t)call->rtcp_packets), st__copy_sep(b);
    st__copy_int(b, call->stream_count), st__copy_sep(b);
    enc_call_list_json(&x->json, call, ENC_CALL_DTMF), json_col(x, b), st__copy_sep(b);
    st__copy_int(b, call->dtmf_dropped), st__copy_sep(b);
    enc_call_list_json(&x->json, call, ENC_CALL_FLAGS), json_col(x, b), st__copy_sep(b);
    enc_call_list_json(&x->json, call, ENC_CALL_VQ_REPORTS), json_col(x, b), st__copy_sep(b);
    st__copy_int(b, call->vq_dropped);
    st__copy_end(b);
    c->n[ST__CALLS]++, c->total++;
    for (uint32_t i = 0; i < call->stream_count; i++)
        row_stream(x, c, &cu, ts, &call->streams[i], false, i);
}

void st__rows_orphan(st__rowctx_t *x, st__chunk_t *c, const corr_stream_t *s)
{
    int64_t ts = s->stats.first_ts_ns > 0 ? s->stats.first_ts_ns : 1000;
    st__chunk_day(c, ts);
    st__key_t k = {.n = 0};
    key_ep(&k, &s->src), key_ep(&k, &s->dst);
    key_u64(&k, s->ssrc);
    key_u64(&k, (uint64_t)s->stats.first_ts_ns);
    st__uuid_t u = st__uuid(x->probe, "orphan", k.b, k.n);
    row_stream(x, c, &u, ts, s, true, 0);
}

void st__rows_message(st__rowctx_t *x, st__chunk_t *c, const corr_sip_message_t *m)
{
    int64_t ts = m->ts_ns > 0 ? m->ts_ns : 1000;
    st__chunk_day(c, ts);
    st__uuid_t cu = {{0}}, dist;
    if (m->call_key) {
        cu = call_uuid(x->probe, m->call_key);
        dist = cu;
    } else {
        st__key_t k = {.n = 0};
        key_str(&k, m->call_id.p ? m->call_id.p : "", m->call_id.len);
        dist = st__uuid(x->probe, "dialog", k.b, k.n);
    }
    st__key_t k = {.n = 0};
    key_u64(&k, (uint64_t)m->ts_ns);
    key_u64(&k, m->frame_no);
    key_ep(&k, &m->src), key_ep(&k, &m->dst);
    key_u64(&k, (uint64_t)st__id64(m->data, m->len, 0x7261776279746573ULL));
    int64_t mid = st__id64(k.b, k.n, 0x6d65737361676531ULL);
    buf_t *b = &c->rows[ST__MESSAGES];
    st__copy_uuid(b, &dist), st__copy_sep(b);
    st__copy_ts(b, ts), st__copy_sep(b);
    st__copy_int(b, mid), st__copy_sep(b);
    if (m->call_key)
        st__copy_uuid(b, &cu);
    else
        st__copy_null(b);
    st__copy_sep(b);
    st__copy_cstr(b, x->probe, false), st__copy_sep(b);
    st__copy_int(b, (int64_t)m->frame_no), st__copy_sep(b);
    st__copy_inet(b, &m->src.ip), st__copy_sep(b);
    st__copy_port(b, &m->src), st__copy_sep(b);
    st__copy_inet(b, &m->dst.ip), st__copy_sep(b);
    st__copy_port(b, &m->dst), st__copy_sep(b);
    st__copy_cstr(b, transport_name(m->transport), false), st__copy_sep(b);
    st__copy_cstr(b, corr_sip_parse_name(m->parse), false), st__copy_sep(b);
    st__copy_bool(b, m->is_request), st__copy_sep(b);
    st__copy_sv(b, m->is_request ? m->method : (sv_t){0}, true), st__copy_sep(b);
    uint_or_null(b, (uint64_t)m->status_code, !m->is_request && m->status_code), st__copy_sep(b);
    st__copy_sv(b, m->is_request ? (sv_t){0} : m->reason_phrase, true), st__copy_sep(b);
    st__copy_sv(b, m->call_id, true), st__copy_sep(b);
    uint_or_null(b, m->cseq, m->cseq_method.len != 0), st__copy_sep(b);
    st__copy_sv(b, m->cseq_method, true), st__copy_sep(b);
    st__copy_sv(b, m->from_user, true), st__copy_sep(b);
    st__copy_sv(b, m->to_user, true), st__copy_sep(b);
    st__copy_sv(b, m->user_agent, true), st__copy_sep(b);
    st__copy_int(b, (int64_t)m->len), st__copy_sep(b);
    int format = st__sipz_pack(x->sipz, m->data, m->len, &x->z);
    if (format == ST__RAW_PLAIN)
        st__copy_bytea(b, m->data, m->len);
    else
        st__copy_bytea_hex(b, x->z.data, x->z.len);
    st__copy_sep(b);
    st__copy_int(b, format);
    st__copy_end(b);
    c->n[ST__MESSAGES]++, c->total++;
}

void st__rows_registration(st__rowctx_t *x, st__chunk_t *c, const corr_registration_t *r)
{
    int64_t ts = r->ts_ns > 0 ? r->ts_ns : r->request_ts_ns > 0 ? r->request_ts_ns : 1000;
    st__chunk_day(c, ts);
    const char *cid = r->call_id ? r->call_id : "";
    st__key_t k = {.n = 0};
    key_str(&k, cid, strlen(cid));
    st__uuid_t u = st__uuid(x->probe, "dialog", k.b, k.n);
    st__key_t rk = {.n = 0};
    key_u64(&rk, (uint64_t)r->request_ts_ns);
    key_u64(&rk, (uint64_t)r->ts_ns);
    key_ep(&rk, &r->src);
    int64_t rid = st__id64(rk.b, rk.n, 0x7265676973746572ULL);
    buf_t *b = &c->rows[ST__REGISTRATIONS];
    st__copy_uuid(b, &u), st__copy_sep(b);
    st__copy_ts(b, ts), st__copy_sep(b);
    st__copy_int(b, rid), st__copy_sep(b);
    st__copy_cstr(b, x->probe, false), st__copy_sep(b);
    st__copy_cstr(b, cid, false), st__copy_sep(b);
    st__copy_ts(b, r->request_ts_ns), st__copy_sep(b);
    st__copy_cstr(b, r->aor, true), st__copy_sep(b);
    st__copy_cstr(b, r->user, true), st__copy_sep(b);
    st__copy_cstr(b, r->contact, true), st__copy_sep(b);
    uint_or_null(b, (uint64_t)r->expires, r->expires >= 0), st__copy_sep(b);
    uint_or_null(b, (uint64_t)r->final_code, r->final_code != 0), st__copy_sep(b);
    st__copy_inet(b, &r->src.ip), st__copy_sep(b);
    st__copy_port(b, &r->src), st__copy_sep(b);
    st__copy_inet(b, &r->dst.ip), st__copy_sep(b);
    st__copy_port(b, &r->dst), st__copy_sep(b);
    st__copy_cstr(b, transport_name(r->transport), false), st__copy_sep(b);
    st__copy_bool(b, r->challenged), st__copy_sep(b);
    st__copy_int(b, r->attempts), st__copy_sep(b);
    st__copy_bool(b, r->timed_out);
    st__copy_end(b);
    c->n[ST__REGISTRATIONS]++, c->total++;
}

void st__rows_alert(st__rowctx_t *x, st__chunk_t *c, const alert_t *a)
{
    int64_t first = a->first_ts_ns > 0 ? a->first_ts_ns : a->last_ts_ns > 0 ? a->last_ts_ns : 1000;
    st__chunk_day(c, first);
    st__key_t k = {.n = 0};
    key_u64(&k, a->incident_id);
    st__uuid_t u = st__uuid(x->probe, "incident", k.b, k.n);
    key_u64(&k, (uint64_t)a->phase);
    key_u64(&k, (uint64_t)a->last_ts_ns);
    key_u64(&k, a->count);
    int64_t aid = st__id64(k.b, k.n, 0x616c657274733031ULL);
    buf_t *b = &c->rows[ST__ALERTS];
    st__copy_uuid(b, &u), st__copy_sep(b);
    st__copy_ts(b, first), st__copy_sep(b);
    st__copy_int(b, aid), st__copy_sep(b);
    st__copy_cstr(b, x->probe, false), st__copy_sep(b);
    st__copy_int(b, (int64_t)a->incident_id), st__copy_sep(b);
    st__copy_cstr(b, alert_type_name(a->type), false), st__copy_sep(b);
    st__copy_cstr(b, alert_severity_name(a->severity), false), st__copy_sep(b);
    st__copy_cstr(b, alert_phase_name(a->phase), false), st__copy_sep(b);
    st__copy_inet(b, &a->src.ip), st__copy_sep(b);
    st__copy_port(b, &a->src), st__copy_sep(b);
    st__copy_inet(b, &a->dst.ip), st__copy_sep(b);
    st__copy_port(b, &a->dst), st__copy_sep(b);
    st__copy_cstr(b, a->target_user, true), st__copy_sep(b);
    st__copy_ts(b, a->last_ts_ns > 0 ? a->last_ts_ns : first), st__copy_sep(b);
    st__copy_int(b, (int64_t)a->count), st__copy_sep(b);
    st__copy_cstr(b, a->summary, true), st__copy_sep(b);
    st__copy_cstr(b, a->evidence_json, true);
    st__copy_end(b);
    c->n[ST__ALERTS]++, c->total++;
}

/* A recording's place in a store (record/, SIPREC): keyed by the call's
 * uuid, its start and its kind, so the same recording told twice (a
 * replayed import) is one row. */
void st__rows_recording(st__rowctx_t *x, st__chunk_t *c, const st_recording_t *r)
{
    int64_t start = r->start_ns > 0 ? r->start_ns : 1000;
    st__chunk_day(c, start);
    st__uuid_t cu = call_uuid(x->probe, r->call_key);
    buf_t *b = &c->rows[ST__RECORDINGS];
    st__copy_uuid(b, &cu), st__copy_sep(b);
    st__copy_ts(b, start), st__copy_sep(b);
    st__copy_cstr(b, r->kind, false), st__copy_sep(b);
    st__copy_cstr(b, x->probe, false), st__copy_sep(b);
    st__copy_cstr(b, r->call_id ? r->call_id : "", true), st__copy_sep(b);
    st__copy_cstr(b, r->locations_json, true), st__copy_sep(b);
    st__copy_int(b, (int64_t)r->bytes);
    st__copy_end(b);
    c->n[ST__RECORDINGS]++, c->total++;
}
