/* encode.c - the JSON encoders of the record contract: calls, streams,
 * unattached RFC 6035 reports and lifecycle events, each one NDJSON object
 * (README.md documents every field).  `siphon analyze --json` writes them,
 * and every consumer that stores or serves records (storage's JSON columns,
 * the web API) uses the same functions, so all of them speak one contract.
 *
 * JSON field names are a contract: fields may be added, never renamed.
 */
#include "encode.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Derived figures                                                           */
/* ------------------------------------------------------------------------ */

/* Setup time from `from` (an INVITE) to the answer, or to the final
 * response that decided a failed call; negative when unknown. */
static double setup_from_ms(const corr_call_t *c, int64_t from)
{
    if (from <= 0) return -1;
    if (c->answer_ts_ns > 0) return (double)(c->answer_ts_ns - from) / 1e6;
    if (c->final_code >= 300 && c->end_ts_ns > 0) return (double)(c->end_ts_ns - from) / 1e6;
    return -1;
}

/* setup_ms: from the INVITE that decided the call (the retry after a
 * 401/407); setup_total_ms: from the first INVITE, challenges included. */
double enc_call_setup_ms(const corr_call_t *c)
{
    return setup_from_ms(c, c->invite_ts_ns);
}

static double call_setup_total_ms(const corr_call_t *c)
{
    return setup_from_ms(c, c->start_ts_ns);
}

/* Post-dial delay (RFC 6076 Session Request Delay): that INVITE to its
 * first provisional response other than 100; negative when none. */
static double call_pdd_ms(const corr_call_t *c)
{
    if (c->invite_ts_ns <= 0 || c->progress_ts_ns <= 0) return -1;
    return (double)(c->progress_ts_ns - c->invite_ts_ns) / 1e6;
}

/* Talk time: answer to end, answered calls only; negative when unknown. */
double enc_call_duration_s(const corr_call_t *c)
{
    if (c->answer_ts_ns <= 0 || c->end_ts_ns < c->answer_ts_ns) return -1;
    return (double)(c->end_ts_ns - c->answer_ts_ns) / 1e9;
}

const char *enc_ended_by_name(corr_ended_by_t e)
{
    return e == CORR_ENDED_BY_CALLER ? "caller" : e == CORR_ENDED_BY_CALLEE ? "callee" : NULL;
}

/* RFC 3550 interarrival jitter converted from timestamp units to ms. */
static double stream_jitter_rfc_ms(const rtp_stats_t *st)
{
    return st->clock_rate ? st->jitter_rfc * 1000.0 / (double)st->clock_rate : -1;
}

static void json_opt_str(json_writer_t *w, const char *key, const char *s)
{
    json_key(w, key);
    if (s && s[0])
        json_cstr(w, s);
    else
        json_null(w);
}

static void json_opt_double(json_writer_t *w, const char *key, double v, int decimals)
{
    json_key(w, key);
    if (v < 0)
        json_null(w);
    else
        json_double(w, v, decimals);
}

/* ------------------------------------------------------------------------ */
/* JSON: RTCP, DTMF, call flags, RFC 6035 reports                            */
/* ------------------------------------------------------------------------ */

/* A call key (correlator.h) as 16 hex digits (a JSON number would lose
 * bits past 2^53); 0, no call, as null. */
static void json_call_key(json_writer_t *w, uint64_t key)
{
    json_key(w, "call_key");
    if (!key) {
        json_null(w);
        return;
    }
    char k[17];
    snprintf(k, sizeof k, "%016llx", (unsigned long long)key);
    json_cstr(w, k);
}

static void json_endpoint(json_writer_t *w, const char *key, const endpoint_t *e)
{
    char ip[IP_STR_MAX];
    json_key(w, key);
    if (e->ip.family == IP_NONE) {
        json_null(w);
        return;
    }
    ip_addr_format(&e->ip, ip, sizeof ip);
    char s[IP_STR_MAX + 10];
    snprintf(s, sizeof s, e->ip.family == IP_V6 ? "[%s]:%u" : "%s:%u", ip, e->port);
    json_cstr(w, s);
}

static void xr_voip_json(json_writer_t *w, const corr_xr_voip_t *v)
{
    json_obj_begin(w);
    json_key(w, "loss_rate_pct"), json_double(w, v->loss_rate_pct, 2);
    json_key(w, "discard_rate_pct"), json_double(w, v->discard_rate_pct, 2);
    json_key(w, "burst_density_pct"), json_double(w, v->burst_density_pct, 2);
    json_key(w, "gap_density_pct"), json_double(w, v->gap_density_pct, 2);
    json_key(w, "burst_duration_ms"), json_uint(w, v->burst_duration_ms);
    json_key(w, "gap_duration_ms"), json_uint(w, v->gap_duration_ms);
    json_key(w, "round_trip_ms"), json_uint(w, v->round_trip_ms);
    json_key(w, "end_system_delay_ms"), json_uint(w, v->end_system_delay_ms);
    json_key(w, "signal_level_dbm");
    if (v->signal_level_dbm == RTCP_XR_UNAVAILABLE)
        json_null(w);
    else
        json_int(w, v->signal_level_dbm);
    json_key(w, "noise_level_dbm");
    if (v->noise_level_dbm == RTCP_XR_UNAVAILABLE)
        json_null(w);
    else
        json_int(w, v->noise_level_dbm);
    json_key(w, "rerl_db");
    if (v->rerl_db == RTCP_XR_UNAVAILABLE)
        json_null(w);
    else
        json_uint(w, v->rerl_db);
    json_key(w, "gmin"), json_uint(w, v->gmin);
    json_opt_double(w, "r_factor", v->r_factor, 0);
    json_opt_double(w, "ext_r_factor", v->ext_r_factor, 0);
    json_opt_double(w, "mos_lq", v->mos_lq, 1);
    json_opt_double(w, "mos_cq", v->mos_cq, 1);
    json_key(w, "plc"), json_uint(w, v->plc);
    json_key(w, "jb_adaptive"), json_uint(w, v->jb_adaptive);
    json_key(w, "jb_rate"), json_uint(w, v->jb_rate);
    json_key(w, "jb_nominal_ms"), json_uint(w, v->jb_nominal_ms);
    json_key(w, "jb_max_ms"), json_uint(w, v->jb_max_ms);
    json_key(w, "jb_abs_max_ms"), json_uint(w, v->jb_abs_max_ms);
    json_obj_end(w);
}

static void xr_stats_json(json_writer_t *w, const corr_xr_stats_t *v)
{
    json_obj_begin(w);
    json_key(w, "begin_seq"), json_uint(w, v->begin_seq);
    json_key(w, "end_seq"), json_uint(w, v->end_seq);
    json_key(w, "lost_packets");
    if (v->lost_packets < 0)
        json_null(w);
    else
        json_int(w, v->lost_packets);
    json_key(w, "dup_packets");
    if (v->dup_packets < 0)
        json_null(w);
    else
        json_int(w, v->dup_packets);
    json_opt_double(w, "min_jitter_ms", v->min_jitter_ms, 3);
    json_opt_double(w, "mean_jitter_ms", v->mean_jitter_ms, 3);
    json_opt_double(w, "max_jitter_ms", v->max_jitter_ms, 3);
    json_opt_double(w, "dev_jitter_ms", v->dev_jitter_ms, 3);
    json_obj_end(w);
}

/* "rtcp": what the far end reported about this stream, or null when no
 * RTCP mentioned it. */
static void stream_rtcp_value_json(json_writer_t *w, const corr_stream_t *s);
static void stream_rtcp_json(json_writer_t *w, const corr_stream_t *s)
{
    json_key(w, "rtcp");
    stream_rtcp_value_json(w, s);
}

static void stream_rtcp_value_json(json_writer_t *w, const corr_stream_t *s)
{
    const corr_rtcp_t *r = &s->rtcp;
    if (!r->reports && !r->sender_reports && !r->receiver_reports && !r->cname[0] &&
        !r->have_xr_voip && !r->have_xr_stats && !r->byes && !r->app_packets && !r->xr_packets &&
        !r->rtt_count) {
        json_null(w);
        return;
    }
    json_obj_begin(w);
    json_key(w, "reports"), json_uint(w, r->reports);
    json_key(w, "sender_reports"), json_uint(w, r->sender_reports);
    json_key(w, "receiver_reports"), json_uint(w, r->receiver_reports);
    json_opt_double(w, "fraction_lost_pct", r->reports ? r->fraction_lost_pct : -1, 2);
    json_key(w, "cumulative_lost");
    if (r->reports)
        json_int(w, r->cumulative_lost);
    else
        json_null(w);
    json_key(w, "ext_highest_seq");
    if (r->reports)
        json_uint(w, r->ext_highest_seq);
    else
        json_null(w);
    json_opt_double(w, "jitter_ms", r->reports ? r->jitter_ms : -1, 3);
    json_key(w, "rtt_ms");
    if (r->rtt_count) {
        json_obj_begin(w);
        json_key(w, "last"), json_double(w, r->rtt_last_ms, 3);
        json_key(w, "min"), json_double(w, r->rtt_min_ms, 3);
        json_key(w, "mean"), json_double(w, r->rtt_sum_ms / r->rtt_count, 3);
        json_key(w, "max"), json_double(w, r->rtt_max_ms, 3);
        json_key(w, "count"), json_uint(w, r->rtt_count);
        json_obj_end(w);
    } else {
        json_null(w);
    }
    json_opt_str(w, "cname", r->cname);
    json_key(w, "byes"), json_uint(w, r->byes);
    json_key(w, "app_packets"), json_uint(w, r->app_packets);
    json_key(w, "xr_packets"), json_uint(w, r->xr_packets);
    json_key(w, "xr");
    if (r->have_xr_voip)
        xr_voip_json(w, &r->xr_voip);
    else
        json_null(w);
    json_key(w, "xr_stats");
    if (r->have_xr_stats)
        xr_stats_json(w, &r->xr_stats);
    else
        json_null(w);
    json_obj_end(w);
}

static const char *direction_name(int from_caller)
{
    return from_caller < 0 ? NULL : from_caller ? "caller" : "callee";
}

static void dtmf_json(json_writer_t *w, const corr_dtmf_t *d, uint32_t n)
{
    json_arr_begin(w);
    for (uint32_t i = 0; i < n; i++) {
        char digit[2] = {d[i].digit, '\0'};
        json_obj_begin(w);
        json_key(w, "ts"), json_ts(w, d[i].ts_ns);
        json_key(w, "digit"), json_cstr(w, digit);
        json_key(w, "event"), json_uint(w, d[i].event);
        json_key(w, "duration_ms");
        if (d[i].duration_ms >= 0)
            json_int(w, d[i].duration_ms);
        else
            json_null(w);
        json_key(w, "source"), json_cstr(w, d[i].source == CORR_DTMF_SRC_INFO ? "info" : "rfc4733");
        json_key(w, "direction"), json_cstr(w, direction_name(d[i].from_caller));
        json_key(w, "ended"), json_bool(w, d[i].ended);
        json_obj_end(w);
    }
    json_arr_end(w);
}

static void flag_json(json_writer_t *w, const corr_call_flag_t *g)
{
    char ssrc[16];
    snprintf(ssrc, sizeof ssrc, "0x%08x", g->ssrc);
    json_obj_begin(w);
    json_key(w, "flag"), json_cstr(w, corr_call_flag_name((corr_call_flag_kind_t)g->flag));
    json_key(w, "evidence");
    json_obj_begin(w);
    switch ((corr_call_flag_kind_t)g->flag) {
    case CORR_CALL_FLAG_ONE_WAY_AUDIO:
        json_key(w, "audio_from"), json_cstr(w, direction_name(g->from_caller));
        json_key(w, "packets"), json_uint(w, g->count);
        json_key(w, "packets_other_way"), json_uint(w, g->other);
        break;
    case CORR_CALL_FLAG_NO_RTP:
        json_key(w, "talk_ms"), json_double(w, g->ms, 0);
        break;
    case CORR_CALL_FLAG_NAT_MISMATCH:
        json_key(w, "direction"), json_cstr(w, direction_name(g->from_caller));
        json_key(w, "ssrc"), json_cstr(w, ssrc);
        json_endpoint(w, "sdp", &g->sdp);
        json_endpoint(w, "seen", &g->seen);
        json_key(w, "packets"), json_uint(w, g->count);
        break;
    case CORR_CALL_FLAG_PT_NOT_NEGOTIATED:
        json_key(w, "direction"), json_cstr(w, direction_name(g->from_caller));
        json_key(w, "ssrc"), json_cstr(w, ssrc);
        json_key(w, "payload_type"), json_uint(w, g->payload_type);
        json_key(w, "packets"), json_uint(w, g->count);
        break;
    case CORR_CALL_FLAG_TIMESTAMP_JUMP:
        json_key(w, "direction"), json_cstr(w, direction_name(g->from_caller));
        json_key(w, "ssrc"), json_cstr(w, ssrc);
        json_key(w, "jumps"), json_uint(w, g->count);
        break;
    case CORR_CALL_FLAG_SSRC_CHANGE:
        json_key(w, "direction"), json_cstr(w, direction_name(g->from_caller));
        json_key(w, "first_ssrc"), json_cstr(w, ssrc);
        json_key(w, "changes"), json_uint(w, g->count);
        json_key(w, "ssrcs"), json_uint(w, g->other);
        break;
    case CORR_CALL_FLAG_SILENCE:
        json_key(w, "direction"), json_cstr(w, direction_name(g->from_caller));
        json_key(w, "periods"), json_uint(w, g->count);
        json_key(w, "total_ms"), json_double(w, g->ms, 0);
        break;
    case CORR_CALL_FLAG_MEDIA_AFTER_BYE:
        json_key(w, "direction"), json_cstr(w, direction_name(g->from_caller));
        json_key(w, "packets"), json_uint(w, g->count);
        break;
    case CORR_CALL_FLAG_T38_FAX:
        json_key(w, "offered_by"), json_cstr(w, direction_name(g->from_caller));
        json_key(w, "accepted"), json_bool(w, g->count != 0);
        break;
    case CORR_CALL_FLAG_COUNT:
        break;
    }
    json_obj_end(w);
    json_obj_end(w);
}

static void vq_metrics_json(json_writer_t *w, const char *key, const corr_vq_metrics_t *m)
{
    json_key(w, key);
    if (!m->present) {
        json_null(w);
        return;
    }
    json_obj_begin(w);
    json_opt_str(w, "codec", m->pd);
    json_opt_double(w, "payload_type", m->pt, 0);
    json_opt_double(w, "loss_pct", m->nlr_pct, 2);
    json_opt_double(w, "discard_pct", m->jdr_pct, 2);
    json_opt_double(w, "burst_density_pct", m->bld_pct, 2);
    json_opt_double(w, "gap_density_pct", m->gld_pct, 2);
    json_opt_double(w, "burst_duration_ms", m->bd_ms, 0);
    json_opt_double(w, "gap_duration_ms", m->gd_ms, 0);
    json_opt_double(w, "round_trip_ms", m->rtd_ms, 0);
    json_opt_double(w, "end_system_delay_ms", m->esd_ms, 0);
    json_opt_double(w, "jitter_ms", m->iaj_ms, 0);
    json_opt_double(w, "jitter_max_ms", m->maj_ms, 0);
    json_opt_double(w, "jb_nominal_ms", m->jbn_ms, 0);
    json_opt_double(w, "jb_max_ms", m->jbm_ms, 0);
    json_opt_double(w, "jb_abs_max_ms", m->jbx_ms, 0);
    json_opt_double(w, "r_lq", m->rlq, 1);
    json_opt_double(w, "r_cq", m->rcq, 1);
    json_opt_double(w, "mos_lq", m->moslq, 2);
    json_opt_double(w, "mos_cq", m->moscq, 2);
    json_obj_end(w);
}

static void vq_fields_json(json_writer_t *w, const corr_vq_report_t *r)
{
    static const char *types[] = {"unknown", "session", "interval", "alert"};
    json_key(w, "report"), json_cstr(w, types[r->type < 4 ? r->type : 0]);
    json_key(w, "call_term"), json_bool(w, r->call_term);
    json_key(w, "ts"), json_ts(w, r->ts_ns);
    json_opt_str(w, "reported_call_id", r->call_id);
    json_opt_str(w, "local_id", r->local_id);
    json_opt_str(w, "remote_id", r->remote_id);
    json_endpoint(w, "local_addr", &r->local_addr);
    json_endpoint(w, "remote_addr", &r->remote_addr);
    char ssrc[16];
    snprintf(ssrc, sizeof ssrc, "0x%08x", r->local_ssrc);
    json_key(w, "local_ssrc"), json_cstr(w, r->has_local_ssrc ? ssrc : NULL);
    snprintf(ssrc, sizeof ssrc, "0x%08x", r->remote_ssrc);
    json_key(w, "remote_ssrc"), json_cstr(w, r->has_remote_ssrc ? ssrc : NULL);
    json_endpoint(w, "publisher", &r->publisher);
    vq_metrics_json(w, "local", &r->local);
    vq_metrics_json(w, "remote", &r->remote);
}

/* dtmf, flags and vq_reports of a call */
static void call_extras_json(json_writer_t *w, const corr_call_t *c)
{
    json_key(w, "dtmf");
    dtmf_json(w, c->dtmf, c->dtmf_count);
    json_key(w, "dtmf_dropped"), json_uint(w, c->dtmf_dropped);
    json_key(w, "flags");
    json_arr_begin(w);
    for (uint32_t i = 0; i < c->flag_count; i++)
        flag_json(w, &c->flags[i]);
    json_arr_end(w);
    json_key(w, "vq_reports");
    json_arr_begin(w);
    for (uint32_t i = 0; i < c->vq_count; i++) {
        json_obj_begin(w);
        vq_fields_json(w, &c->vq[i]);
        json_obj_end(w);
    }
    json_arr_end(w);
}

void enc_vq_report_json(buf_t *out, const corr_vq_report_t *r)
{
    json_writer_t w;
    json_init(&w, out);
    json_obj_begin(&w);
    json_key(&w, "type"), json_cstr(&w, "vq_report");
    json_key(&w, "call_id"), json_null(&w); /* no call of this capture */
    vq_fields_json(&w, r);
    json_obj_end(&w);
    buf_putc(out, '\n');
}

/* ------------------------------------------------------------------------ */
/* JSON: lifecycle events                                                    */
/* ------------------------------------------------------------------------ */

/* src/dst as in the call object */
static void json_src_dst(json_writer_t *w, const endpoint_t *src, const endpoint_t *dst)
{
    json_key(w, "src_ip"), json_ip(w, &src->ip);
    json_key(w, "src_port"), json_uint(w, src->port);
    json_key(w, "dst_ip"), json_ip(w, &dst->ip);
    json_key(w, "dst_port"), json_uint(w, dst->port);
}

void enc_call_event_json(buf_t *out, const corr_call_event_t *ev)
{
    bool answered = ev->type == CORR_EV_CALL_ANSWERED;
    json_writer_t w;
    json_init(&w, out);
    json_obj_begin(&w);
    json_key(&w, "type"), json_cstr(&w, answered ? "call_answered" : "call_started");
    json_key(&w, "call_id"), json_cstr(&w, ev->call_id);
    json_call_key(&w, ev->call_key);
    json_key(&w, "ts"), json_ts(&w, ev->ts_ns);
    json_opt_str(&w, "from_uri", ev->from_uri);
    json_opt_str(&w, "to_uri", ev->to_uri);
    json_opt_str(&w, "caller", ev->caller);
    json_opt_str(&w, "callee", ev->callee);
    json_src_dst(&w, &ev->src, &ev->dst);
    json_key(&w, "transport"), json_cstr(&w, transport_name(ev->transport));
    json_key(&w, "start_ts"), json_ts(&w, ev->start_ts_ns);
    json_opt_str(&w, "user_agent", ev->user_agent);
    if (answered) {
        json_key(&w, "ringing_ts"), json_ts(&w, ev->ringing_ts_ns);
        json_key(&w, "answer_ts"), json_ts(&w, ev->answer_ts_ns);
        json_opt_double(&w, "setup_ms", ev->answer_delay_ms, 3);
        json_key(&w, "final_code");
        if (ev->final_code)
            json_int(&w, ev->final_code);
        else
            json_null(&w);
        json_opt_str(&w, "to_tag", ev->to_tag);
    }
    json_obj_end(&w);
    buf_putc(out, '\n');
}

/* ------------------------------------------------------------------------ */
/* JSON: one SIP message (corr_sip_message_t)                                */
/* ------------------------------------------------------------------------ */

static void json_opt_sv(json_writer_t *w, const char *key, sv_t v)
{
    json_key(w, key);
    if (v.len)
        json_str(w, v);
    else
        json_null(w);
}

void enc_sip_message_json(buf_t *out, const corr_sip_message_t *m)
{
    json_writer_t w;
    json_init(&w, out);
    json_obj_begin(&w);
    json_key(&w, "type"), json_cstr(&w, "sip_message");
    json_key(&w, "ts"), json_ts(&w, m->ts_ns);
    json_key(&w, "frame"), json_uint(&w, m->frame_no);
    json_src_dst(&w, &m->src, &m->dst);
    json_key(&w, "transport"), json_cstr(&w, transport_name(m->transport));
    json_key(&w, "parse"), json_cstr(&w, corr_sip_parse_name(m->parse));
    if (m->parse == CORR_SIP_INVALID || m->is_request) {
        json_opt_sv(&w, "method", m->method);
    } else {
        json_key(&w, "status"), json_int(&w, m->status_code);
        json_opt_sv(&w, "reason_phrase", m->reason_phrase);
    }
    json_opt_sv(&w, "call_id", m->call_id);
    json_key(&w, "cseq");
    if (m->cseq_method.len) {
        json_obj_begin(&w);
        json_key(&w, "seq"), json_uint(&w, m->cseq);
        json_key(&w, "method"), json_str(&w, m->cseq_method);
        json_obj_end(&w);
    } else {
        json_null(&w);
    }
    json_opt_sv(&w, "from_user", m->from_user);
    json_opt_sv(&w, "to_user", m->to_user);
    json_opt_sv(&w, "user_agent", m->user_agent);
    json_call_key(&w, m->call_key);
    json_key(&w, "len"), json_uint(&w, m->len);
    json_key(&w, "text"), json_str(&w, (sv_t){.p = (const char *)m->data, .len = m->len});
    json_obj_end(&w);
    buf_putc(out, '\n');
}

void enc_registration_json(buf_t *out, const corr_registration_t *r)
{
    json_writer_t w;
    json_init(&w, out);
    json_obj_begin(&w);
    json_key(&w, "type"), json_cstr(&w, "registration");
    json_key(&w, "call_id"), json_cstr(&w, r->call_id);
    json_key(&w, "ts"), json_ts(&w, r->ts_ns);
    json_key(&w, "request_ts"), json_ts(&w, r->request_ts_ns);
    json_opt_str(&w, "aor", r->aor);
    json_opt_str(&w, "user", r->user);
    json_opt_str(&w, "contact", r->contact);
    json_key(&w, "expires");
    if (r->expires >= 0)
        json_int(&w, r->expires);
    else
        json_null(&w);
    json_key(&w, "final_code");
    if (r->final_code)
        json_int(&w, r->final_code);
    else
        json_null(&w);
    json_src_dst(&w, &r->src, &r->dst);
    json_key(&w, "transport"), json_cstr(&w, transport_name(r->transport));
    json_key(&w, "challenged"), json_bool(&w, r->challenged);
    json_key(&w, "attempts"), json_uint(&w, r->attempts);
    json_key(&w, "timed_out"), json_bool(&w, r->timed_out);
    json_obj_end(&w);
    buf_putc(out, '\n');
}

void enc_interval_json(buf_t *out, const corr_interval_event_t *ev)
{
    char ssrc[16];
    snprintf(ssrc, sizeof ssrc, "0x%08x", ev->ssrc);
    json_writer_t w;
    json_init(&w, out);
    json_obj_begin(&w);
    json_key(&w, "type"), json_cstr(&w, "quality_interval");
    json_key(&w, "call_id"), json_cstr(&w, ev->call_id); /* null: orphan stream */
    json_key(&w, "ts"), json_ts(&w, ev->ts_ns);
    json_src_dst(&w, &ev->src, &ev->dst);
    json_key(&w, "ssrc"), json_cstr(&w, ssrc);
    json_key(&w, "payload_type"), json_uint(&w, ev->payload_type);
    json_opt_str(&w, "codec", ev->codec);
    json_key(&w, "direction"), json_cstr(&w, direction_name(ev->from_caller));
    json_key(&w, "final"), json_bool(&w, ev->final);
    json_key(&w, "index"), json_uint(&w, ev->index);
    json_key(&w, "start_ts"), json_ts(&w, ev->start_ns);
    json_key(&w, "end_ts"), json_ts(&w, ev->end_ns);
    json_key(&w, "packets"), json_uint(&w, ev->packets);
    json_key(&w, "lost"), json_uint(&w, ev->lost);
    json_key(&w, "discards"), json_uint(&w, ev->discards);
    json_opt_double(&w, "jitter_ms", ev->jitter_ms, 3);
    json_opt_double(&w, "mos", ev->mos, 2);
    json_obj_end(&w);
    buf_putc(out, '\n');
}

/* ------------------------------------------------------------------------ */
/* JSON                                                                      */
/* ------------------------------------------------------------------------ */

static void stream_fields_json(json_writer_t *w, const corr_stream_t *s)
{
    const rtp_stats_t *st = &s->stats;
    char ssrc[16];
    snprintf(ssrc, sizeof ssrc, "0x%08x", s->ssrc);
    json_key(w, "src_ip"), json_ip(w, &s->src.ip);
    json_key(w, "src_port"), json_uint(w, s->src.port);
    json_key(w, "dst_ip"), json_ip(w, &s->dst.ip);
    json_key(w, "dst_port"), json_uint(w, s->dst.port);
    json_key(w, "ssrc"), json_cstr(w, ssrc);
    json_key(w, "payload_type"), json_uint(w, s->payload_type);
    json_opt_str(w, "codec", s->codec);
    json_key(w, "clock_rate");
    if (st->clock_rate)
        json_uint(w, st->clock_rate);
    else
        json_null(w);
    json_key(w, "packets"), json_uint(w, st->packets);
    json_key(w, "bytes"), json_uint(w, st->bytes);
    json_key(w, "lost"), json_int(w, rtp_stats_lost(st));
    json_key(w, "lost_wireshark"), json_int(w, rtp_stats_lost_wireshark(st));
    json_key(w, "duplicates"), json_uint(w, st->duplicates);
    json_key(w, "out_of_order"), json_uint(w, st->out_of_order);
    json_key(w, "seq_errors"), json_uint(w, st->seq_errors);
    bool have_jitter = st->clock_rate && st->jitter_count > 0;
    json_opt_double(w, "jitter_ms", st->clock_rate ? stream_jitter_rfc_ms(st) : -1, 3);
    json_opt_double(w, "jitter_mean_ms", have_jitter ? rtp_stats_jitter_mean_ms(st) : -1, 3);
    json_opt_double(w, "jitter_max_ms", have_jitter ? st->jitter_max_ms : -1, 3);
    json_opt_double(w, "delta_min_ms", st->jitter_count ? st->delta_min_ms : -1, 3);
    json_opt_double(w, "delta_mean_ms", st->jitter_count ? rtp_stats_delta_mean_ms(st) : -1, 3);
    json_opt_double(w, "delta_max_ms", st->jitter_count ? st->delta_max_ms : -1, 3);
    json_key(w, "rtcp_packets"), json_uint(w, s->rtcp_packets);
    json_key(w, "first_ts"), json_ts(w, st->first_ts_ns);
    json_key(w, "last_ts"), json_ts(w, st->last_ts_ns);
    stream_rtcp_json(w, s);
}

/* Voice quality (quality.h): E-model score, loss structure, jitter-buffer
 * discards and the intervals; null where not computable. */
static void stream_quality_json(json_writer_t *w, const corr_stream_t *s, bool with_intervals)
{
    const sq_result_t *q = &s->quality;
    bool any = q->expected > 0;
    json_opt_double(w, "mos", q->scored ? q->mos : -1, 2);
    json_opt_double(w, "r_factor", q->scored ? q->r_factor : -1, 2);
    json_opt_double(w, "mos_min", q->scored ? q->mos_min : -1, 2);
    json_opt_str(w, "mos_scale", q->scored ? q->mos_scale : NULL);
    json_opt_double(w, "effective_loss_pct", any ? q->effective_loss_pct : -1, 3);
    json_key(w, "discards");
    if (q->have_clock)
        json_uint(w, q->discards);
    else
        json_null(w);
    json_key(w, "discards_adaptive");
    if (q->have_clock)
        json_uint(w, q->discards_adaptive);
    else
        json_null(w);
    json_opt_double(w, "burst_density", any ? q->bm.burst_density : -1, 2);
    json_opt_double(w, "gap_density", any ? q->bm.gap_density : -1, 2);
    json_opt_double(w, "burst_duration_ms", any && q->ptime_ms > 0 ? q->bm.burst_duration_ms : -1,
                    1);
    json_opt_double(w, "gap_duration_ms", any && q->ptime_ms > 0 ? q->bm.gap_duration_ms : -1, 1);
    json_opt_double(w, "burst_mean_len", any ? q->bm.burst_mean_len : -1, 3);
    json_key(w, "loss_runs");
    json_obj_begin(w);
    static const char *const bins[LOSS_RUN_BINS] = {"1", "2", "3", "4", "5-9", "10+"};
    for (int i = 0; i < LOSS_RUN_BINS; i++)
        json_key(w, bins[i]), json_uint(w, q->bm.runs[i]);
    json_obj_end(w);
    json_key(w, "emodel");
    if (q->codec_source) {
        json_obj_begin(w);
        json_key(w, "ie"), json_double(w, q->ie, 2);
        json_key(w, "bpl"), json_double(w, q->bpl, 2);
        json_key(w, "burst_r"), json_double(w, q->bm.burst_r, 3);
        json_key(w, "delay_ms"), json_double(w, q->delay_ms, 1);
        json_opt_double(w, "rtt_ms", q->rtt_ms, 1);
        json_opt_double(w, "ptime_ms", q->ptime_ms > 0 ? q->ptime_ms : -1, 1);
        json_key(w, "source"), json_cstr(w, q->codec_source);
        json_obj_end(w);
    } else {
        json_null(w);
    }
    json_opt_double(w, "jb_adaptive_max_ms", q->have_clock ? q->jb_adaptive_max_ms : -1, 1);
    if (!with_intervals) return;
    json_key(w, "intervals");
    json_arr_begin(w);
    for (uint32_t i = 0; i < q->n_intervals; i++) {
        const sq_interval_t *v = &q->intervals[i];
        json_obj_begin(w);
        json_key(w, "start_ts"), json_ts(w, v->start_ns);
        json_key(w, "packets"), json_uint(w, v->packets);
        json_key(w, "lost"), json_uint(w, v->lost);
        json_key(w, "discards"), json_uint(w, v->discards);
        json_opt_double(w, "jitter_ms", v->jitter_ms, 3);
        json_opt_double(w, "mos", v->mos, 2);
        json_obj_end(w);
    }
    json_arr_end(w);
    json_key(w, "intervals_dropped"), json_uint(w, q->intervals_dropped);
}

void enc_stream_json(buf_t *out, const corr_stream_t *s, bool orphan)
{
    json_writer_t w;
    json_init(&w, out);
    json_obj_begin(&w);
    if (orphan) {
        json_key(&w, "type"), json_cstr(&w, "stream");
        json_key(&w, "call_id"), json_null(&w);
        json_opt_str(&w, "classified_as", s->orphan_proto);
    } else {
        json_key(&w, "direction");
        json_cstr(&w, s->media_index < 0 ? NULL : s->from_caller ? "caller" : "callee");
        json_key(&w, "media_index"), json_int(&w, s->media_index);
    }
    stream_fields_json(&w, s);
    stream_quality_json(&w, s, true);
    if (orphan) json_key(&w, "dtmf"), dtmf_json(&w, s->dtmf, s->dtmf_count);
    json_obj_end(&w);
}

void enc_call_json(buf_t *out, const corr_call_t *c)
{
    json_writer_t w;
    json_init(&w, out);
    json_obj_begin(&w);
    json_key(&w, "type"), json_cstr(&w, "call");
    json_key(&w, "call_id"), json_cstr(&w, c->call_id);
    json_call_key(&w, c->call_key);
    json_opt_str(&w, "from_uri", c->from_uri);
    json_opt_str(&w, "to_uri", c->to_uri);
    json_opt_str(&w, "caller", c->caller);
    json_opt_str(&w, "callee", c->callee);
    json_key(&w, "src_ip"), json_ip(&w, &c->src.ip);
    json_key(&w, "src_port"), json_uint(&w, c->src.port);
    json_key(&w, "dst_ip"), json_ip(&w, &c->dst.ip);
    json_key(&w, "dst_port"), json_uint(&w, c->dst.port);
    json_key(&w, "transport"), json_cstr(&w, transport_name(c->transport));
    json_key(&w, "state"), json_cstr(&w, corr_call_state_name(c->state));
    json_key(&w, "final_code");
    if (c->final_code)
        json_int(&w, c->final_code);
    else
        json_null(&w);
    json_opt_str(&w, "reason", c->reason);
    json_key(&w, "start_ts"), json_ts(&w, c->start_ts_ns);
    json_key(&w, "ringing_ts"), json_ts(&w, c->ringing_ts_ns);
    json_key(&w, "answer_ts"), json_ts(&w, c->answer_ts_ns);
    json_key(&w, "end_ts"), json_ts(&w, c->end_ts_ns);
    json_opt_double(&w, "setup_ms", enc_call_setup_ms(c), 3);
    json_opt_double(&w, "setup_total_ms", call_setup_total_ms(c), 3);
    json_opt_double(&w, "pdd_ms", call_pdd_ms(c), 3);
    json_opt_double(&w, "duration_s", enc_call_duration_s(c), 3);
    json_key(&w, "ended_by"), json_cstr(&w, enc_ended_by_name(c->ended_by));
    json_opt_str(&w, "user_agent", c->user_agent);
    json_opt_str(&w, "from_tag", c->from_tag);
    json_opt_str(&w, "to_tag", c->to_tag);
    json_key(&w, "open_at_end"), json_bool(&w, c->open_at_end);
    json_key(&w, "timed_out"), json_bool(&w, c->timed_out);
    json_key(&w, "sip_messages"), json_uint(&w, c->sip_messages);
    json_key(&w, "invites"), json_uint(&w, c->invites);
    json_key(&w, "reinvites"), json_uint(&w, c->reinvites);
    json_key(&w, "challenges"), json_uint(&w, c->challenges);
    json_key(&w, "early_dialogs"), json_uint(&w, c->early_dialogs);
    json_key(&w, "media"), json_cstr(&w, c->t38_caller || c->t38_callee ? "fax" : "audio");
    json_opt_double(&w, "mos", c->mos, 2);
    json_opt_double(&w, "mos_min", c->mos_min, 2);
    json_key(&w, "streams");
    json_arr_begin(&w);
    for (uint32_t i = 0; i < c->stream_count; i++) {
        if (i) buf_putc(out, ',');
        enc_stream_json(out, &c->streams[i], false);
    }
    json_arr_end(&w);
    call_extras_json(&w, c);
    json_obj_end(&w);
    buf_putc(out, '\n');
}

/* ------------------------------------------------------------------------ */
/* Parts of the contract, for consumers that store them apart (storage's    */
/* jsonb columns): the same writers as the whole objects above.             */
/* ------------------------------------------------------------------------ */

void enc_call_list_json(buf_t *out, const corr_call_t *c, enc_call_list_t which)
{
    json_writer_t w;
    json_init(&w, out);
    if (which == ENC_CALL_DTMF) {
        dtmf_json(&w, c->dtmf, c->dtmf_count);
    } else if (which == ENC_CALL_FLAGS) {
        json_arr_begin(&w);
        for (uint32_t i = 0; i < c->flag_count; i++)
            flag_json(&w, &c->flags[i]);
        json_arr_end(&w);
    } else {
        json_arr_begin(&w);
        for (uint32_t i = 0; i < c->vq_count; i++) {
            json_obj_begin(&w);
            vq_fields_json(&w, &c->vq[i]);
            json_obj_end(&w);
        }
        json_arr_end(&w);
    }
}

void enc_stream_rtcp_json(buf_t *out, const corr_stream_t *s)
{
    json_writer_t w;
    json_init(&w, out);
    stream_rtcp_value_json(&w, s);
}

void enc_stream_quality_json(buf_t *out, const corr_stream_t *s)
{
    json_writer_t w;
    json_init(&w, out);
    json_obj_begin(&w);
    stream_quality_json(&w, s, false);
    json_obj_end(&w);
}

void enc_stream_dtmf_json(buf_t *out, const corr_stream_t *s)
{
    json_writer_t w;
    json_init(&w, out);
    dtmf_json(&w, s->dtmf, s->dtmf_count);
}

double enc_call_setup_total_ms(const corr_call_t *c)
{
    return call_setup_total_ms(c);
}

double enc_call_pdd_ms(const corr_call_t *c)
{
    return call_pdd_ms(c);
}
