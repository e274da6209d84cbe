/* output.c - turns correlator records into text: NDJSON objects (the
 * machine contract of `siphon analyze --json`, see README.md) and a readable
 * fixed-width table for people.
 *
 * JSON field names are a contract: fields may be added, never renamed.
 */
#include "app.h"

#include <stdio.h>
#include <string.h>

_Static_assert(SIP_METHOD_COUNT <= 16, "corr_stats_t.sip_by_method is too small");

/* ------------------------------------------------------------------------ */
/* Derived figures                                                           */
/* ------------------------------------------------------------------------ */

/* Post-dial setup time: INVITE to answer, or to the final response that
 * decided a failed call; negative when unknown. */
static double call_setup_ms(const corr_call_t *c)
{
    if (c->start_ts_ns <= 0) return -1;
    if (c->answer_ts_ns > 0) return (double)(c->answer_ts_ns - c->start_ts_ns) / 1e6;
    if (c->final_code >= 300 && c->end_ts_ns > 0)
        return (double)(c->end_ts_ns - c->start_ts_ns) / 1e6;
    return -1;
}

/* Talk time: answer to end, answered calls only; negative when unknown. */
static double call_duration_s(const corr_call_t *c)
{
    if (c->answer_ts_ns <= 0 || c->end_ts_ns < c->answer_ts_ns) return -1;
    return (double)(c->end_ts_ns - c->answer_ts_ns) / 1e9;
}

static const char *ended_by_name(ended_by_t e)
{
    return e == ENDED_BY_CALLER ? "caller" : e == ENDED_BY_CALLEE ? "callee" : NULL;
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
}

/* Voice quality (quality.h): E-model score, loss structure, jitter-buffer
 * discards and the intervals; null where not computable. */
static void stream_quality_json(json_writer_t *w, const corr_stream_t *s)
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

void output_stream_json(buf_t *out, const corr_stream_t *s, bool orphan)
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
    stream_quality_json(&w, s);
    json_obj_end(&w);
}

void output_call_json(buf_t *out, const corr_call_t *c)
{
    json_writer_t w;
    json_init(&w, out);
    json_obj_begin(&w);
    json_key(&w, "type"), json_cstr(&w, "call");
    json_key(&w, "call_id"), json_cstr(&w, c->call_id);
    json_opt_str(&w, "from_uri", c->from_uri);
    json_opt_str(&w, "to_uri", c->to_uri);
    json_opt_str(&w, "caller", c->caller);
    json_opt_str(&w, "callee", c->callee);
    json_key(&w, "src_ip"), json_ip(&w, &c->src.ip);
    json_key(&w, "src_port"), json_uint(&w, c->src.port);
    json_key(&w, "dst_ip"), json_ip(&w, &c->dst.ip);
    json_key(&w, "dst_port"), json_uint(&w, c->dst.port);
    json_key(&w, "transport"), json_cstr(&w, transport_name(c->transport));
    json_key(&w, "state"), json_cstr(&w, call_state_name(c->state));
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
    json_opt_double(&w, "setup_ms", call_setup_ms(c), 3);
    json_opt_double(&w, "duration_s", call_duration_s(c), 3);
    json_key(&w, "ended_by"), json_cstr(&w, ended_by_name(c->ended_by));
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
    json_opt_double(&w, "mos", c->mos, 2);
    json_opt_double(&w, "mos_min", c->mos_min, 2);
    json_key(&w, "streams");
    json_arr_begin(&w);
    for (uint32_t i = 0; i < c->stream_count; i++) {
        if (i) buf_putc(out, ',');
        output_stream_json(out, &c->streams[i], false);
    }
    json_arr_end(&w);
    json_obj_end(&w);
    buf_putc(out, '\n');
}

void output_summary_json(buf_t *out, const run_summary_t *s)
{
    const cap_stats_t *k = s->cap;
    const corr_stats_t *r = s->corr;
    json_writer_t w;
    json_init(&w, out);
    json_obj_begin(&w);
    json_key(&w, "type"), json_cstr(&w, "summary");
    json_key(&w, "files"), json_int(&w, s->files);
    json_key(&w, "read_errors"), json_int(&w, s->read_errors);
    json_key(&w, "elapsed_s"), json_double(&w, s->elapsed_s, 3);
    json_key(&w, "packets"), json_uint(&w, k->frames);
    json_key(&w, "bytes"), json_uint(&w, k->bytes);
    json_key(&w, "calls"), json_uint(&w, r->calls);
    json_key(&w, "streams"), json_uint(&w, r->streams);
    json_key(&w, "orphan_streams"), json_uint(&w, r->orphan_streams);
    json_key(&w, "sip_messages"), json_uint(&w, r->sip_messages);
    json_key(&w, "registers"), json_uint(&w, r->registers);
    json_key(&w, "options"), json_uint(&w, r->options);
    json_key(&w, "rtp_packets"), json_uint(&w, r->rtp_packets);
    json_key(&w, "rtcp_packets"), json_uint(&w, r->rtcp_packets);

    json_key(&w, "decode");
    json_obj_begin(&w);
#define CAP(f) json_key(&w, #f), json_uint(&w, k->f)
    CAP(truncated), CAP(invalid), CAP(unsupported_link), CAP(non_ip), CAP(ipv4), CAP(ipv6);
    CAP(tunnels), CAP(frag_fragments), CAP(frag_reassembled), CAP(frag_timeouts);
    CAP(frag_evicted), CAP(frag_overlaps), CAP(udp), CAP(tcp), CAP(sctp_skipped), CAP(other_l4);
    CAP(tcp_streams), CAP(tcp_streams_evicted), CAP(tcp_sip_messages), CAP(tcp_retransmissions);
    CAP(tcp_out_of_order), CAP(tcp_gaps), CAP(tcp_buffer_overflows), CAP(tcp_non_sip_streams);
    CAP(tcp_framing_errors), CAP(ws_messages), CAP(ws_control_frames), CAP(ws_errors);
    CAP(datagrams_out);
#undef CAP
    json_obj_end(&w);

    json_key(&w, "correlate");
    json_obj_begin(&w);
#define CORR(f) json_key(&w, #f), json_uint(&w, r->f)
    CORR(sip_requests), CORR(sip_responses), CORR(sip_invalid), CORR(sip_incomplete);
    CORR(calls_evicted), CORR(calls_timed_out), CORR(other_transactions), CORR(rtp_invalid);
    CORR(streams_evicted), CORR(udp_unclaimed), CORR(media_endpoints_evicted);
    CORR(orphan_flows_evicted);
#undef CORR
    json_key(&w, "sip_methods");
    json_obj_begin(&w);
    for (int m = 0; m < SIP_METHOD_COUNT; m++)
        if (r->sip_by_method[m])
            json_key(&w, sip_method_name((sip_method_t)m)), json_uint(&w, r->sip_by_method[m]);
    json_obj_end(&w);
    json_obj_end(&w);
    json_obj_end(&w);
    buf_putc(out, '\n');
}

/* ------------------------------------------------------------------------ */
/* Table                                                                     */
/* ------------------------------------------------------------------------ */

void output_table_header(buf_t *out)
{
    buf_printf(out, "%-26s %-11s %4s %-18s %-18s %9s %9s %-6s %3s  %s\n", "START (UTC)", "STATE",
               "CODE", "CALLER", "CALLEE", "SETUP ms", "TALK s", "ENDED", "RTP", "CALL-ID");
}

static void cut(char *dst, size_t n, const char *src)
{
    size_t len = strlen(src);
    if (len < n) {
        memcpy(dst, src, len + 1);
        return;
    }
    memcpy(dst, src, n - 2);
    dst[n - 2] = '~';
    dst[n - 1] = '\0';
}

void output_call_table(buf_t *out, const corr_call_t *c, bool with_streams)
{
    char ts[40] = "-", caller[19], callee[19], setup[16] = "-", talk[16] = "-", code[8] = "-";
    if (c->start_ts_ns > 0) ts_format_rfc3339(c->start_ts_ns, ts, sizeof ts);
    cut(caller, sizeof caller, c->caller[0] ? c->caller : "-");
    cut(callee, sizeof callee, c->callee[0] ? c->callee : "-");
    double s = call_setup_ms(c), d = call_duration_s(c);
    if (s >= 0) snprintf(setup, sizeof setup, "%.1f", s);
    if (d >= 0) snprintf(talk, sizeof talk, "%.1f", d);
    if (c->final_code) snprintf(code, sizeof code, "%d", c->final_code);
    const char *ended = ended_by_name(c->ended_by);
    buf_printf(out, "%-26s %-11s %4s %-18s %-18s %9s %9s %-6s %3u  %s\n", ts,
               call_state_name(c->state), code, caller, callee, setup, talk, ended ? ended : "-",
               c->stream_count, c->call_id);
    if (with_streams)
        for (uint32_t i = 0; i < c->stream_count; i++)
            output_stream_table(out, &c->streams[i], "    ");
}

void output_stream_table(buf_t *out, const corr_stream_t *s, const char *indent)
{
    const rtp_stats_t *st = &s->stats;
    char src[IP_STR_MAX], dst[IP_STR_MAX];
    ip_addr_format(&s->src.ip, src, sizeof src);
    ip_addr_format(&s->dst.ip, dst, sizeof dst);
    buf_printf(out, "%s%s:%u -> %s:%u ssrc 0x%08x %s pkts %llu lost %lld", indent, src, s->src.port,
               dst, s->dst.port, s->ssrc, s->codec[0] ? s->codec : "?",
               (unsigned long long)st->packets, (long long)rtp_stats_lost(st));
    if (st->clock_rate && st->jitter_count)
        buf_printf(out, " jitter mean/max %.3f/%.3f ms", rtp_stats_jitter_mean_ms(st),
                   st->jitter_max_ms);
    buf_putc(out, '\n');
}

void output_summary_text(buf_t *out, const run_summary_t *s)
{
    const cap_stats_t *k = s->cap;
    const corr_stats_t *r = s->corr;
    uint64_t dropped = k->truncated + k->invalid + k->unsupported_link + k->tcp_framing_errors +
                       k->ws_errors + k->frag_timeouts + k->frag_evicted + k->tcp_streams_evicted;
    buf_printf(out,
               "summary: %llu packets in %.2f s, %llu calls, %llu streams (%llu orphan), %llu SIP "
               "messages (%llu unparsed), %llu registers, %llu options, %llu dropped/malformed "
               "packets, %d read errors\n",
               (unsigned long long)k->frames, s->elapsed_s, (unsigned long long)r->calls,
               (unsigned long long)r->streams, (unsigned long long)r->orphan_streams,
               (unsigned long long)r->sip_messages,
               (unsigned long long)(r->sip_invalid + r->sip_incomplete),
               (unsigned long long)r->registers, (unsigned long long)r->options,
               (unsigned long long)dropped, s->read_errors);
}
