/* gen_truth.c - the truth file of siphon-gen: NDJSON, one object per line.
 *
 *  {"type":"call", call_id, caller, callee, from_uri, to_uri, state,
 *   final_code, ended_by, start_ts, answer_ts, end_ts, src_ip, src_port,
 *   dst_ip, dst_port, transport, streams:[...]}   one per call, by start;
 *  {"type":"stream","call_id":null, ...}           one per orphan stream;
 *  {"type":"summary", ...}                         totals, last.
 * ended_by: who hung up an answered call (BYE), the caller for a cancelled
 * call, the callee for a busy or rejected one, null when unanswered.
 * end_ts: the BYE, or the final response of a failed call; an unanswered
 * call is still open when the capture ends, its end_ts is its last message.
 * A stream is one (src, dst, SSRC) as a receiver sees it: packets in the
 * capture (duplicates included), lost = RFC 3550 expected - received with
 * the base at the first packet received, duplicates, and lost_wireshark =
 * last extended seq - first + 1 - packets (Wireshark 4.0's count; differs
 * from lost when the last packet of the stream arrived late).  Timestamps
 * are RFC 3339 UTC with microseconds, formatted by core's ts_format_rfc3339
 * exactly as siphon formats them.
 */
#include <string.h>

#include "gen.h"

int gen_truth_open(gen_truth_t *t, const char *path)
{
    memset(t, 0, sizeof *t);
    t->f = fopen(path, "w");
    if (!t->f) return -1;
    buf_init(&t->buf);
    return 0;
}

static void ts_or_null(json_writer_t *j, const char *key, int64_t us)
{
    json_key(j, key);
    if (us > 0)
        json_ts(j, us * NS_PER_USEC);
    else
        json_null(j);
}

static void flush_line(gen_truth_t *t)
{
    buf_putc(&t->buf, '\n');
    fwrite(t->buf.data, 1, t->buf.len, t->f);
    buf_reset(&t->buf);
}

static void write_stream(gen_truth_t *t, json_writer_t *j, const gen_opts_t *o, const gen_call_t *c,
                         int d, const gen_stream_stats_t *s)
{
    const gen_codec_info_t *ci = gen_codec_info(o->codec);
    uint16_t caller_port = s->newport ? c->caller_rtp2 : c->caller_rtp;
    const ip_addr_t *src = d == 0 ? &c->caller_ip : &c->callee_ip;
    const ip_addr_t *dst = d == 0 ? &c->callee_ip : &c->caller_ip;
    uint16_t sport = d == 0 ? caller_port : c->callee_rtp;
    uint16_t dport = d == 0 ? c->callee_rtp : caller_port;
    char ssrc[16];
    snprintf(ssrc, sizeof ssrc, "0x%08x", s->ssrc);
    json_key(j, "src_ip");
    json_ip(j, src);
    json_key(j, "src_port");
    json_uint(j, sport);
    json_key(j, "dst_ip");
    json_ip(j, dst);
    json_key(j, "dst_port");
    json_uint(j, dport);
    json_key(j, "ssrc");
    json_cstr(j, ssrc);
    json_key(j, "payload_type");
    json_uint(j, ci->payload_type);
    json_key(j, "codec");
    json_cstr(j, ci->name);
    json_key(j, "clock_rate");
    json_uint(j, ci->clock_rate);
    json_key(j, "packets");
    json_uint(j, s->packets);
    json_key(j, "lost");
    json_int(j, s->lost);
    json_key(j, "duplicates");
    json_uint(j, s->duplicates);
    json_key(j, "lost_wireshark");
    json_int(j, s->lost_wireshark);
    ts_or_null(j, "first_ts", s->first_t);
    ts_or_null(j, "last_ts", s->last_t);
    t->streams++;
    t->rtp_packets += s->packets;
    t->lost += (uint64_t)(s->lost > 0 ? s->lost : 0);
    t->duplicates += s->duplicates;
}

void gen_truth_call(gen_truth_t *t, const gen_opts_t *o, const gen_call_t *c)
{
    json_writer_t jw, *j = &jw;
    json_init(j, &t->buf);
    t->by_outcome[c->outcome]++;
    for (uint32_t i = 0; i < c->nmsgs; i++)
        if (c->msgs[i].len) t->sip_messages++;
    if (c->outcome == OUT_ORPHAN) {
        json_obj_begin(j);
        json_key(j, "type");
        json_cstr(j, "stream");
        json_key(j, "call_id");
        json_null(j);
        for (int g = 0; g < c->nstats[0]; g++)
            write_stream(t, j, o, c, 0, &c->stats[0][g]);
        json_obj_end(j);
        flush_line(t);
        return;
    }
    t->calls++;
    json_obj_begin(j);
    json_key(j, "type");
    json_cstr(j, "call");
    json_key(j, "call_id");
    json_cstr(j, c->call_id);
    json_key(j, "caller");
    json_cstr(j, c->caller);
    json_key(j, "callee");
    json_cstr(j, c->callee);
    json_key(j, "from_uri");
    json_cstr(j, c->from_uri);
    json_key(j, "to_uri");
    json_cstr(j, c->to_uri);
    json_key(j, "state");
    json_cstr(j, gen_outcome_name(c->outcome));
    json_key(j, "final_code");
    if (c->final_code)
        json_int(j, c->final_code);
    else
        json_null(j);
    json_key(j, "ended_by");
    switch (c->outcome) {
    case OUT_ANSWERED:
        json_cstr(j, c->ended_by_caller ? "caller" : "callee");
        break;
    case OUT_CANCELLED:
        json_cstr(j, "caller");
        break;
    case OUT_BUSY:
    case OUT_REJECTED:
        json_cstr(j, "callee");
        break;
    default:
        json_null(j);
        break;
    }
    ts_or_null(j, "start_ts", c->t_start);
    ts_or_null(j, "answer_ts", c->t_answer);
    /* an unanswered call never ends: its end is its last message (the 180) */
    int64_t end = c->t_end;
    for (uint32_t i = 0; c->outcome == OUT_UNANSWERED && i < c->nmsgs; i++)
        if (c->msgs[i].len && c->msgs[i].t > end) end = c->msgs[i].t;
    ts_or_null(j, "end_ts", end);
    json_key(j, "src_ip");
    json_ip(j, &c->caller_ip);
    json_key(j, "src_port");
    json_uint(j, c->caller_sip_port);
    json_key(j, "dst_ip");
    json_ip(j, &c->callee_ip);
    json_key(j, "dst_port");
    json_uint(j, c->callee_sip_port);
    json_key(j, "transport");
    json_cstr(j, o->tcp ? "tcp" : "udp");
    json_key(j, "challenge");
    json_bool(j, c->challenge);
    json_key(j, "fork");
    json_bool(j, c->fork);
    json_key(j, "reinvite");
    json_bool(j, c->reinvite);
    json_key(j, "streams");
    json_arr_begin(j);
    for (int d = 0; d < 2; d++)
        for (int g = 0; g < c->nstats[d]; g++) {
            json_obj_begin(j);
            write_stream(t, j, o, c, d, &c->stats[d][g]);
            json_obj_end(j);
        }
    json_arr_end(j);
    if (o->audio) gen_audio_truth(j, o, c);
    json_obj_end(j);
    flush_line(t);
}

int gen_truth_close(gen_truth_t *t, const gen_opts_t *o, uint64_t frames)
{
    json_writer_t jw, *j = &jw;
    json_init(j, &t->buf);
    json_obj_begin(j);
    json_key(j, "type");
    json_cstr(j, "summary");
    json_key(j, "seed");
    json_uint(j, o->seed);
    json_key(j, "calls");
    json_uint(j, t->calls);
    for (int k = OUT_ANSWERED; k <= OUT_UNANSWERED; k++) {
        json_key(j, gen_outcome_name((gen_outcome_t)k));
        json_uint(j, t->by_outcome[k]);
    }
    json_key(j, "orphan_streams");
    json_uint(j, t->by_outcome[OUT_ORPHAN]);
    json_key(j, "streams");
    json_uint(j, t->streams);
    json_key(j, "rtp_packets");
    json_uint(j, t->rtp_packets);
    json_key(j, "rtp_lost");
    json_uint(j, t->lost);
    json_key(j, "rtp_duplicates");
    json_uint(j, t->duplicates);
    json_key(j, "sip_messages");
    json_uint(j, t->sip_messages);
    json_key(j, "frames");
    json_uint(j, frames);
    json_obj_end(j);
    flush_line(t);
    int rc = ferror(t->f) ? -1 : 0;
    if (fclose(t->f) != 0) rc = -1;
    buf_free(&t->buf);
    return rc;
}
