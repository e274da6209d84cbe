/* table.c - the text people read: the call table, its detail and stream
 * lines, and the run summary (a JSON object after NDJSON records, a line
 * after the table).  The records' JSON encoders are encode/.
 *
 * Everything here may reach a terminal, and much of it comes from the
 * network: every wire string (Call-ID, caller, callee, From/To URIs,
 * User-Agent, rtpmap names) goes through text_inert or text_cell (core.h),
 * so control bytes, C1, bidi controls and invalid UTF-8 are shown as \xNN
 * and never act on the terminal.
 *
 * Layout: a row has fixed columns (times, state, figures) and three
 * flexible ones (CALLER, CALLEE, CALL-ID) that share what the width leaves,
 * cut with '~' (text_cell counts display columns, not bytes).  When the
 * width cannot hold every column, the least asked-for ones go first
 * (out_table_layout).  Detail lines (problems, --streams) are free text:
 * they wrap at spaces to the width, words that belong together joined so
 * they wrap as one.
 */
#include "output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

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
    for (int g = 0; g < s->n_groups; g++) { /* consumers' counters */
        const out_counter_group_t *grp = &s->groups[g];
        json_key(&w, grp->name);
        json_obj_begin(&w);
        for (uint32_t i = 0; i < grp->n; i++)
            json_key(&w, grp->names[i]), json_uint(&w, grp->values[i]);
        json_obj_end(&w);
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
    if (s->siprec) { /* the SIPREC recording server (siprec.h) */
        json_key(&w, "siprec");
        json_obj_begin(&w);
#define SRS_JSON(f) json_key(&w, #f), json_uint(&w, s->siprec->f);
        SRS_STATS_COUNTERS(SRS_JSON)
#undef SRS_JSON
        json_obj_end(&w);
    }
    if (s->detect) { /* detection ran (detect.h) */
        const det_stats_t *d = s->detect;
        json_key(&w, "detect");
        json_obj_begin(&w);
        json_key(&w, "memory_bytes"), json_uint(&w, d->memory_bytes);
        json_key(&w, "memory_limit"), json_uint(&w, d->memory_limit);
#define DET_JSON(f) json_key(&w, #f), json_uint(&w, d->f);
        DET_STATS_COUNTERS(DET_JSON)
#undef DET_JSON
        json_obj_end(&w);
    }
    json_obj_end(&w);
    buf_putc(out, '\n');
}

/* ------------------------------------------------------------------------ */
/* Table                                                                     */
/* ------------------------------------------------------------------------ */

/* Column widths.  START is "2026-01-01 12:00:00" (19) or, narrow, the time
 * of day (8); STATE fits "unanswered"; TALK fits a day and the '+' of an
 * open call; ENDED fits "caller", "callee", "open", "timeout", "evicted". */
#define W_DATE     19
#define W_TIME     8
#define W_STATE    10
#define W_CODE     4
#define W_SETUP    8
#define W_TALK     8
#define W_ENDED    7
#define W_STREAMS  7
#define W_MOS      4
#define W_NAME_MIN 8
#define W_NAME_MAX 24
#define W_ID_MIN   10
#define W_CODEC    16 /* a codec name in a stream line */
#define W_FLOOR    40 /* detail lines wrap at no fewer columns */

unsigned out_table_width(FILE *out)
{
    const char *env = getenv("COLUMNS");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end == '\0' && v >= 20 && v <= OUT_TABLE_WIDTH_MAX) return (unsigned)v;
    }
    struct winsize ws;
    if (out && isatty(fileno(out)) && ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col > OUT_TABLE_WIDTH_MAX ? OUT_TABLE_WIDTH_MAX : ws.ws_col;
    return OUT_TABLE_WIDTH_DEFAULT;
}

/* Fixed columns plus one space before each, the flexible ones excluded. */
static unsigned fixed_width(const out_table_layout_t *l)
{
    unsigned w = (l->date ? W_DATE : W_TIME) + 1 + W_STATE + 1 + W_CODE + 1 + W_TALK + 1 + W_ENDED +
                 1 + W_MOS + 1;
    if (l->setup) w += W_SETUP + 1;
    if (l->streams) w += W_STREAMS + 1;
    return w + 2; /* the spaces before CALLEE and CALL-ID */
}

void out_table_layout(out_table_layout_t *l, unsigned width)
{
    *l = (out_table_layout_t){.width = width, .date = true, .setup = true, .streams = true};
    const unsigned flex_min = 2 * W_NAME_MIN + W_ID_MIN;
    /* Narrower than every column: give up SETUP, then STREAMS, then the
     * date (in that order: the least asked-for first). */
    if (fixed_width(l) + flex_min > width) l->setup = false;
    if (fixed_width(l) + flex_min > width) l->streams = false;
    if (fixed_width(l) + flex_min > width) l->date = false;
    unsigned fixed = fixed_width(l);
    unsigned flex = width > fixed + flex_min ? width - fixed : flex_min;
    /* Names first (they are what people look for), the Call-ID the rest. */
    unsigned name = flex > 14 ? (flex - 14) / 2 : 0;
    if (name < W_NAME_MIN) name = W_NAME_MIN;
    if (name > W_NAME_MAX) name = W_NAME_MAX;
    l->name_w = name;
    l->id_w = flex - 2 * name;
}

/* Display columns of inert text (well-formed UTF-8: one per code point). */
static size_t text_cols(const char *s, size_t len)
{
    size_t c = 0;
    for (size_t i = 0; i < len; i++)
        c += ((uint8_t)s[i] & 0xc0) != 0x80;
    return c;
}

/* s made inert, at most max columns (cut with '~'), no padding. */
static void put_cut(buf_t *out, const char *s, size_t max)
{
    size_t at = out->len;
    text_cell(out, s, max, true);
    while (out->len > at && out->data[out->len - 1] == ' ')
        out->len--; /* the padding (a cut cell ends in '~') */
}

/* The bytes of one unit at s[i] of inert text: an escape, or a code point. */
static size_t unit_len(const char *s, size_t i, size_t len)
{
    if (s[i] == '\\') return i + 1 < len && s[i + 1] == 'x' ? 4 : 2;
    uint8_t b = (uint8_t)s[i];
    return b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
}

/* Joins two words of a detail line so they wrap as one; written as a
 * space.  Inert text never holds a raw byte below 0x20, so it cannot
 * clash with wire text. */
#define NB "\x1f"

/* Writes one line of inert text (leading spaces its indent) wrapped at
 * spaces to width columns, continuation lines indented by cont spaces; a
 * word longer than any line is split between units where it stands.
 * Ends it with '\n'. */
/* Breaks a wrapped line (no trailing space) and indents the next by cont;
 * returns cont, the column it is at. */
static size_t new_line(buf_t *out, size_t cont)
{
    while (out->len && out->data[out->len - 1] == ' ')
        out->len--;
    buf_putc(out, '\n');
    for (size_t i = 0; i < cont; i++)
        buf_putc(out, ' ');
    return cont;
}

static void put_wrapped(buf_t *out, const char *s, size_t len, size_t width, size_t cont)
{
    if (width < W_FLOOR) width = W_FLOOR;
    size_t i = 0, col = 0;
    while (i < len && s[i] == ' ')
        buf_putc(out, ' '), i++, col++;
    size_t line_start = col;
    while (i < len) {
        size_t w = i;
        while (w < len && s[w] != ' ')
            w++;
        size_t wc = text_cols(s + i, w - i);
        if (col > line_start) {
            if (col + 1 + wc > width && cont + wc <= width) {
                col = line_start = new_line(out, cont);
            } else {
                buf_putc(out, ' ');
                col++;
            }
        }
        while (i < w) { /* the word, split when it alone is too long */
            size_t n = unit_len(s, i, w);
            if (i + n > w) n = w - i;
            size_t uc = s[i] == '\\' ? n : 1;
            if (col + uc > width && col > line_start) col = line_start = new_line(out, cont);
            if (s[i] == NB[0])
                buf_putc(out, ' ');
            else
                buf_append(out, s + i, n);
            col += uc;
            i += n;
        }
        while (i < len && s[i] == ' ')
            i++;
    }
    buf_putc(out, '\n');
}

/* Ends a row: trailing padding dropped, then a newline. */
static void end_row(buf_t *out)
{
    while (out->len && out->data[out->len - 1] == ' ')
        out->len--;
    buf_putc(out, '\n');
}

void out_table_header(buf_t *out, const out_table_layout_t *l)
{
    buf_printf(out, "%-*s %-*s %*s ", l->date ? W_DATE : W_TIME,
               l->date ? "START (UTC)" : "TIME UTC", W_STATE, "STATE", W_CODE, "CODE");
    buf_printf(out, "%-*s %-*s ", (int)l->name_w, "CALLER", (int)l->name_w, "CALLEE");
    if (l->setup) buf_printf(out, "%*s ", W_SETUP, "SETUP ms");
    buf_printf(out, "%*s %-*s ", W_TALK, "TALK s", W_ENDED, "ENDED");
    if (l->streams) buf_printf(out, "%*s ", W_STREAMS, "STREAMS");
    buf_printf(out, "%*s CALL-ID", W_MOS, "MOS");
    end_row(out);
}

/* How a call ended, for ENDED: who hung up, or why it has no end. */
static const char *ended_word(const corr_call_t *c)
{
    const char *by = enc_ended_by_name(c->ended_by);
    if (by) return by;
    if (c->open_at_end) return "open";
    if (c->timed_out) return "timeout";
    if (c->evicted) return "evicted";
    return "-";
}

/* Which way the media concerned flows (corr_call_flag_t.from_caller). */
static const char *flag_direction(int from_caller)
{
    return from_caller < 0 ? NULL : from_caller ? "caller->callee" : "callee->caller";
}

void out_call_table(buf_t *out, const corr_call_t *c, bool with_streams,
                    const out_table_layout_t *l)
{
    char ts[40] = "", start[24] = "-", setup[16] = "-", talk[16] = "-", code[8] = "-", mos[8] = "-";
    if (c->start_ts_ns > 0 && ts_format_rfc3339(c->start_ts_ns, ts, sizeof ts) >= W_DATE &&
        ts[10] == 'T') {
        ts[10] = ' ';
        snprintf(start, sizeof start, "%.*s", l->date ? W_DATE : W_TIME,
                 l->date ? ts : ts + W_DATE - W_TIME);
    }
    double s = enc_call_setup_ms(c), d = enc_call_duration_s(c);
    if (s >= 0) snprintf(setup, sizeof setup, "%.1f", s);
    if (d >= 0) snprintf(talk, sizeof talk, "%.1f%s", d, c->open_at_end ? "+" : "");
    if (c->final_code) snprintf(code, sizeof code, "%d", c->final_code);
    if (c->mos >= 0) snprintf(mos, sizeof mos, "%.2f", c->mos);
    if (c->t38_caller || c->t38_callee) snprintf(mos, sizeof mos, "fax"); /* not scored */

    buf_printf(out, "%-*s %-*s %*s ", l->date ? W_DATE : W_TIME, start, W_STATE,
               corr_call_state_name(c->state), W_CODE, code);
    text_cell(out, c->caller[0] ? c->caller : "-", l->name_w, true);
    buf_putc(out, ' ');
    text_cell(out, c->callee[0] ? c->callee : "-", l->name_w, true);
    buf_putc(out, ' ');
    if (l->setup) buf_printf(out, "%*s ", W_SETUP, setup);
    buf_printf(out, "%*s %-*s ", W_TALK, talk, W_ENDED, ended_word(c));
    if (l->streams) buf_printf(out, "%*u ", W_STREAMS, c->stream_count);
    buf_printf(out, "%*s ", W_MOS, mos);
    put_cut(out, c->call_id, l->id_w);
    end_row(out);

    buf_t line;
    buf_init(&line);
    if (c->flag_count) {
        buf_printf(&line, "    problems:");
        for (uint8_t i = 0; i < c->flag_count; i++) {
            const char *dir = flag_direction(c->flags[i].from_caller);
            buf_printf(&line, " %s", corr_call_flag_name((corr_call_flag_kind_t)c->flags[i].flag));
            if (dir) buf_printf(&line, NB "(%s)", dir);
            if (i + 1 < c->flag_count) buf_putc(&line, ',');
        }
        put_wrapped(out, line.data, line.len, l->width, 14);
    }
    if (with_streams) {
        /* what the row cuts, in full */
        buf_reset(&line);
        buf_printf(&line, "    call-id: ");
        text_inert_cstr(&line, c->call_id);
        if (c->user_agent[0]) {
            buf_printf(&line, " user-agent: ");
            text_inert_cstr(&line, c->user_agent);
        }
        put_wrapped(out, line.data, line.len, l->width, 8);
        buf_reset(&line);
        buf_printf(&line, "    from: ");
        text_inert_cstr(&line, c->from_uri[0] ? c->from_uri : "-");
        buf_printf(&line, " to: ");
        text_inert_cstr(&line, c->to_uri[0] ? c->to_uri : "-");
        put_wrapped(out, line.data, line.len, l->width, 8);
        for (uint32_t i = 0; i < c->stream_count; i++)
            out_stream_table(out, &c->streams[i], "    ", l);
    }
    buf_free(&line);
}

void out_stream_table(buf_t *out, const corr_stream_t *s, const char *indent,
                      const out_table_layout_t *l)
{
    const rtp_stats_t *st = &s->stats;
    char src[IP_STR_MAX], dst[IP_STR_MAX];
    ip_addr_format(&s->src.ip, src, sizeof src);
    ip_addr_format(&s->dst.ip, dst, sizeof dst);
    buf_t line;
    buf_init(&line);
    buf_printf(&line, "%s%s:%u" NB "->" NB "%s:%u ssrc" NB "0x%08x ", indent, src, s->src.port, dst,
               s->dst.port, s->ssrc);
    if (s->codec[0]) /* the rtpmap name (wire text) or the static payload type's */
        put_cut(&line, s->codec, W_CODEC);
    else
        buf_printf(&line, "PT" NB "%u", s->payload_type);
    buf_printf(&line, " pkts" NB "%llu lost" NB "%lld", (unsigned long long)st->packets,
               (long long)rtp_stats_lost(st));
    if (st->clock_rate && st->jitter_count)
        buf_printf(&line, " jitter" NB "mean/max" NB "%.3f/%.3f" NB "ms",
                   rtp_stats_jitter_mean_ms(st), st->jitter_max_ms);
    if (s->quality.scored)
        buf_printf(&line, " MOS" NB "%.2f" NB "(min" NB "%.2f," NB "R" NB "%.1f)", s->quality.mos,
                   s->quality.mos_min, s->quality.r_factor);
    put_wrapped(out, line.data, line.len, l->width, strlen(indent) + 4);
    buf_free(&line);
}

/* "1 call", "2 calls": n and the word in its number. */
static void count(buf_t *out, uint64_t n, const char *one, const char *many)
{
    buf_printf(out, "%llu %s", (unsigned long long)n, n == 1 ? one : many);
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
    for (int g = 0; g < s->n_groups; g++) {
        const out_counter_group_t *grp = &s->groups[g];
        start = out->len;
        buf_printf(out, "%s%s:", prefix, grp->name);
        for (uint32_t i = 0; i < grp->n; i++)
            NZ(grp->names[i], grp->values[i]);
        group_end(out, start, start + strlen(prefix) + strlen(grp->name) + 1);
    }
    if (s->siprec) {
        start = out->len;
        buf_printf(out, "%ssiprec:", prefix);
#define SRS_NZ(f) NZ(#f, s->siprec->f)
        SRS_STATS_COUNTERS(SRS_NZ)
#undef SRS_NZ
        group_end(out, start, start + strlen(prefix) + strlen("siprec:"));
    }
    if (s->detect) {
        const det_stats_t *d = s->detect;
        start = out->len;
        buf_printf(out, "%sdetect:", prefix);
#define DET(f) NZ(#f, d->f)
        DET_STATS_COUNTERS(DET)
#undef DET
        group_end(out, start, start + strlen(prefix) + strlen("detect:"));
    }
#undef NZ
}

void out_summary_text(buf_t *out, const out_summary_t *s, unsigned width)
{
    const cap_stats_t *k = s->cap;
    const corr_stats_t *r = s->corr;
    uint64_t dropped = k->truncated + k->invalid + k->unsupported_link + k->tcp_framing_errors +
                       k->ws_errors + k->frag_timeouts + k->frag_evicted + k->tcp_streams_evicted;
    buf_printf(out, "summary: ");
    count(out, k->frames, "packet", "packets");
    buf_printf(out, " in %.2f s, ", s->elapsed_s);
    count(out, r->calls, "call", "calls");
    buf_printf(out, ", ");
    count(out, r->call_streams + r->orphan_streams, "stream written", "streams written");
    buf_printf(out, " (%llu orphan), ", (unsigned long long)r->orphan_streams);
    count(out, r->sip_messages, "SIP message", "SIP messages");
    buf_printf(out, " (%llu unparsed), ", (unsigned long long)(r->sip_invalid + r->sip_incomplete));
    count(out, r->registrations, "registration", "registrations");
    buf_printf(out, " (%llu REGISTER requests), %llu options, ",
               (unsigned long long)r->register_requests, (unsigned long long)r->options);
    count(out, dropped, "dropped/malformed packet", "dropped/malformed packets");
    buf_printf(out, ", ");
    count(out, (uint64_t)s->read_errors, "read error", "read errors");
    buf_putc(out, '\n');
    /* the counter lines, wrapped at the table's width (0: as they are) */
    buf_t counters;
    buf_init(&counters);
    out_counters_text(&counters, "", s);
    for (size_t i = 0; i < counters.len;) {
        const char *nl = memchr(counters.data + i, '\n', counters.len - i);
        size_t n = nl ? (size_t)(nl - (counters.data + i)) : counters.len - i;
        if (width)
            put_wrapped(out, counters.data + i, n, width, 4);
        else
            buf_append(out, counters.data + i, n), buf_putc(out, '\n');
        i += n + 1;
    }
    buf_free(&counters);
    for (int i = 0; i < s->n_ifaces; i++) {
        const out_iface_summary_t *f = &s->ifaces[i];
        buf_printf(out, "interface ");
        text_inert_cstr(out, f->ifname);
        buf_printf(out, ": ");
        count(out, f->ring.frames, "frame", "frames");
        buf_printf(out, ", ");
        count(out, f->ring.bytes, "byte", "bytes");
        buf_printf(out, ", ");
        count(out, f->ring.drops, "kernel drop", "kernel drops");
        buf_putc(out, '\n');
    }
    if (s->pipeline) {
        count(out, s->capture_threads, "capture thread", "capture threads");
        buf_printf(out, ", ");
        count(out, s->shards, "correlator thread", "correlator threads");
        buf_printf(out, ", ");
        count(out, s->pipeline->queue_drops, "queue drop", "queue drops");
        buf_putc(out, '\n');
    }
}
