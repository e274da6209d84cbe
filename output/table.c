/* table.c - the text people read: the fixed-width call table, its stream
 * lines, and the run summary (a JSON object after NDJSON records, a line
 * after the table).  The records' JSON encoders are encode/.
 */
#include "output.h"

#include <stdio.h>
#include <string.h>

_Static_assert(SIP_METHOD_COUNT <= 16, "corr_stats_t.sip_by_method is too small");

/* ------------------------------------------------------------------------ */
/* Summary                                                                   */
/* ------------------------------------------------------------------------ */

void out_summary_json(buf_t *out, const out_summary_t *s)
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
    json_key(&w, "streams"), json_uint(&w, r->call_streams + r->orphan_streams); /* written */
    json_key(&w, "orphan_streams"), json_uint(&w, r->orphan_streams);
    json_key(&w, "sip_messages"), json_uint(&w, r->sip_messages);
    json_key(&w, "registrations"), json_uint(&w, r->registrations);
    json_key(&w, "register_requests"), json_uint(&w, r->register_requests);
    json_key(&w, "registers"), json_uint(&w, r->register_requests); /* old name of the above */
    json_key(&w, "options"), json_uint(&w, r->options);
    json_key(&w, "rtp_packets"), json_uint(&w, r->rtp_packets);
    json_key(&w, "rtcp_packets"), json_uint(&w, r->rtcp_packets);

    json_key(&w, "decode");
    json_obj_begin(&w);
#define CAP(f) json_key(&w, #f), json_uint(&w, k->f);
    CAP_STATS_COUNTERS(CAP)
#undef CAP
    json_obj_end(&w);

    json_key(&w, "correlate");
    json_obj_begin(&w);
#define CORR(f) json_key(&w, #f), json_uint(&w, r->f);
    CORR_STATS_COUNTERS(CORR)
#undef CORR
    json_key(&w, "sip_methods");
    json_obj_begin(&w);
    for (int m = 0; m < SIP_METHOD_COUNT; m++)
        if (r->sip_by_method[m])
            json_key(&w, sip_method_name((sip_method_t)m)), json_uint(&w, r->sip_by_method[m]);
    json_obj_end(&w);
    json_obj_end(&w);
    if (s->n_ifaces > 0) { /* siphon run: per-interface capture counters */
        uint64_t drops = 0;
        json_key(&w, "interfaces");
        json_arr_begin(&w);
        for (int i = 0; i < s->n_ifaces; i++) {
            const out_iface_summary_t *f = &s->ifaces[i];
            drops += f->ring.drops;
            json_obj_begin(&w);
            json_key(&w, "name"), json_cstr(&w, f->ifname);
            json_key(&w, "packets"), json_uint(&w, f->ring.packets);
            json_key(&w, "frames"), json_uint(&w, f->ring.frames);
            json_key(&w, "bytes"), json_uint(&w, f->ring.bytes);
            json_key(&w, "kernel_drops"), json_uint(&w, f->ring.drops);
            json_key(&w, "freeze_q"), json_uint(&w, f->ring.freeze_q);
            json_key(&w, "if_drops"), json_uint(&w, f->ring.if_drops);
            json_key(&w, "truncated"), json_uint(&w, f->ring.truncated);
            json_key(&w, "rx_dropped");
            if (f->has_iface)
                json_uint(&w, f->iface.rx_dropped + f->iface.rx_missed + f->iface.rx_fifo_errors);
            else
                json_null(&w);
            json_obj_end(&w);
        }
        json_arr_end(&w);
        json_key(&w, "kernel_drops"), json_uint(&w, drops);
    }
    if (s->pipeline) { /* correlator threads (pipeline.h) */
        const pl_stats_t *p = s->pipeline;
        json_key(&w, "pipeline");
        json_obj_begin(&w);
        json_key(&w, "capture_threads"), json_uint(&w, s->capture_threads);
        json_key(&w, "correlator_threads"), json_uint(&w, s->shards);
        json_key(&w, "datagrams"), json_uint(&w, p->datagrams);
        json_key(&w, "queue_drops"), json_uint(&w, p->queue_drops);
        json_key(&w, "queue_waits"), json_uint(&w, p->queue_waits);
        json_key(&w, "oversize_drops"), json_uint(&w, p->oversize_drops);
        json_key(&w, "held"), json_uint(&w, p->held);
        json_key(&w, "hold_overflows"), json_uint(&w, p->hold_overflows);
        json_key(&w, "routed_sip"), json_uint(&w, p->route.sip);
        json_key(&w, "routed_media_by_sdp"), json_uint(&w, p->route.media_by_sdp);
        json_key(&w, "routed_by_flow"), json_uint(&w, p->route.by_flow);
        json_key(&w, "route_endpoints_learnt"), json_uint(&w, p->route.endpoints_learnt);
        json_key(&w, "route_endpoints_replaced"), json_uint(&w, p->route.endpoints_replaced);
        json_obj_end(&w);
    }
    json_obj_end(&w);
    buf_putc(out, '\n');
}

/* ------------------------------------------------------------------------ */
/* Table                                                                     */
/* ------------------------------------------------------------------------ */

void out_table_header(buf_t *out)
{
    buf_printf(out, "%-26s %-11s %4s %-18s %-18s %9s %9s %-6s %3s %4s  %s\n", "START (UTC)",
               "STATE", "CODE", "CALLER", "CALLEE", "SETUP ms", "TALK s", "ENDED", "RTP", "MOS",
               "CALL-ID");
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

void out_call_table(buf_t *out, const corr_call_t *c, bool with_streams)
{
    char ts[40] = "-", caller[19], callee[19], setup[16] = "-", talk[16] = "-", code[8] = "-";
    if (c->start_ts_ns > 0) ts_format_rfc3339(c->start_ts_ns, ts, sizeof ts);
    cut(caller, sizeof caller, c->caller[0] ? c->caller : "-");
    cut(callee, sizeof callee, c->callee[0] ? c->callee : "-");
    double s = enc_call_setup_ms(c), d = enc_call_duration_s(c);
    if (s >= 0) snprintf(setup, sizeof setup, "%.1f", s);
    if (d >= 0) snprintf(talk, sizeof talk, "%.1f", d);
    if (c->final_code) snprintf(code, sizeof code, "%d", c->final_code);
    const char *ended = enc_ended_by_name(c->ended_by);
    char mos[8] = "-";
    if (c->mos >= 0) snprintf(mos, sizeof mos, "%.2f", c->mos);
    if (c->t38_caller || c->t38_callee) snprintf(mos, sizeof mos, "fax"); /* not scored */
    buf_printf(out, "%-26s %-11s %4s %-18s %-18s %9s %9s %-6s %3u %4s  %s\n", ts,
               call_state_name(c->state), code, caller, callee, setup, talk, ended ? ended : "-",
               c->stream_count, mos, c->call_id);
    if (c->flag_count) {
        buf_printf(out, "%28s problems:", "");
        for (uint8_t i = 0; i < c->flag_count; i++)
            buf_printf(out, " %s", call_flag_name((call_flag_t)c->flags[i].flag));
        buf_putc(out, '\n');
    }
    if (with_streams)
        for (uint32_t i = 0; i < c->stream_count; i++)
            out_stream_table(out, &c->streams[i], "    ");
}

void out_stream_table(buf_t *out, const corr_stream_t *s, const char *indent)
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
    if (s->quality.scored)
        buf_printf(out, " MOS %.2f (min %.2f, R %.1f)", s->quality.mos, s->quality.mos_min,
                   s->quality.r_factor);
    buf_putc(out, '\n');
}

/* Ends a counter group's line, or takes it back when no counter was 0. */
static void group_end(buf_t *out, size_t start, size_t head)
{
    if (out->len == head)
        out->len = start;
    else
        buf_putc(out, '\n');
}

/* One line per counter group, "name=value" for each counter that is not 0
 * (the names of the JSON summary): decode, correlate, pipeline; a group
 * with none has no line. */
void out_counters_text(buf_t *out, const char *prefix, const out_summary_t *s)
{
    const cap_stats_t *k = s->cap;
    const corr_stats_t *r = s->corr;
    size_t start = out->len;
#define NZ(name, v)                                                                                \
    if (v) buf_printf(out, " %s=%llu", name, (unsigned long long)(v));
    buf_printf(out, "%sdecode:", prefix);
#define CAP(f) NZ(#f, k->f)
    CAP_STATS_COUNTERS(CAP)
#undef CAP
    group_end(out, start, start + strlen(prefix) + strlen("decode:"));
    start = out->len;
    buf_printf(out, "%scorrelate:", prefix);
#define CORR(f) NZ(#f, r->f)
    CORR_STATS_COUNTERS(CORR)
#undef CORR
    group_end(out, start, start + strlen(prefix) + strlen("correlate:"));
    if (s->pipeline) {
        const pl_stats_t *p = s->pipeline;
        start = out->len;
        buf_printf(out, "%spipeline:", prefix);
        NZ("datagrams", p->datagrams) NZ("queue_drops", p->queue_drops);
        NZ("queue_waits", p->queue_waits) NZ("oversize_drops", p->oversize_drops);
        NZ("held", p->held) NZ("hold_overflows", p->hold_overflows);
        NZ("routed_sip", p->route.sip) NZ("routed_media_by_sdp", p->route.media_by_sdp);
        NZ("routed_by_flow", p->route.by_flow);
        NZ("route_endpoints_learnt", p->route.endpoints_learnt);
        NZ("route_endpoints_replaced", p->route.endpoints_replaced);
        group_end(out, start, start + strlen(prefix) + strlen("pipeline:"));
    }
#undef NZ
}

void out_summary_text(buf_t *out, const out_summary_t *s)
{
    const cap_stats_t *k = s->cap;
    const corr_stats_t *r = s->corr;
    uint64_t dropped = k->truncated + k->invalid + k->unsupported_link + k->tcp_framing_errors +
                       k->ws_errors + k->frag_timeouts + k->frag_evicted + k->tcp_streams_evicted;
    buf_printf(out,
               "summary: %llu packets in %.2f s, %llu calls, %llu streams written (%llu orphan), "
               "%llu SIP messages (%llu unparsed), %llu registrations (%llu REGISTER requests), "
               "%llu options, %llu dropped/malformed packets, %d read errors\n",
               (unsigned long long)k->frames, s->elapsed_s, (unsigned long long)r->calls,
               (unsigned long long)(r->call_streams + r->orphan_streams),
               (unsigned long long)r->orphan_streams, (unsigned long long)r->sip_messages,
               (unsigned long long)(r->sip_invalid + r->sip_incomplete),
               (unsigned long long)r->registrations, (unsigned long long)r->register_requests,
               (unsigned long long)r->options, (unsigned long long)dropped, s->read_errors);
    out_counters_text(out, "", s);
    for (int i = 0; i < s->n_ifaces; i++) {
        const out_iface_summary_t *f = &s->ifaces[i];
        buf_printf(out, "interface %s: %llu frames, %llu bytes, %llu kernel drops\n", f->ifname,
                   (unsigned long long)f->ring.frames, (unsigned long long)f->ring.bytes,
                   (unsigned long long)f->ring.drops);
    }
    if (s->pipeline)
        buf_printf(out, "%u capture thread(s), %u correlator thread(s), %llu queue drops\n",
                   s->capture_threads, s->shards, (unsigned long long)s->pipeline->queue_drops);
}
