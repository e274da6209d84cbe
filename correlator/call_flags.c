/* call_flags.c - call-level media problems, each reported with its
 * evidence (corr_call_t.flags), and the per-packet bookkeeping they need.
 *
 * Design: the RTP path only bumps counters in the stream (a few compares
 * and, when the clock is known, a handful of arithmetic operations per
 * packet); the payload-type checks run only when a stream's payload type
 * changes; every decision is taken once, when the call is emitted
 * (corr__call_flags_emit, from corr__call_emit in dialog.c).
 *
 * Flags (thresholds below):
 *  - one_way_audio: answered, one direction sent >= FLAG_ONE_WAY_MIN_PKTS
 *    RTP packets, the other none.  Evidence: the direction that has audio
 *    and its packets.  The call's MOS is then 1.0 (corr__stream_call_quality).
 *  - no_rtp: answered, talk time >= FLAG_NO_RTP_MIN_TALK_MS, no RTP at all.
 *  - nat_address_mismatch: a stream's source ip:port is not an RTP endpoint
 *    its sender advertised for that m= line (RFC 3264); evidence the
 *    latest SDP address and the one seen (typical of NAT).
 *  - payload_type_not_negotiated: RTP with a PT absent from the m= line's
 *    format list (RFC 3264 5.1: one sends only what the answer lists).
 *  - timestamp_jump: RTP timestamp step (RFC 3550 5.1) that neither the
 *    sequence step (times the stream's usual per-packet step) nor the
 *    arrival gap explain, by more than FLAG_TS_JUMP_MS.  Silence
 *    suppression (timestamp and arrival both jump) and network delay
 *    (arrival alone jumps) are not jumps.
 *  - ssrc_change: one direction of one m= line carried several SSRCs
 *    (RFC 3550 8.2: a new source mid-call, e.g. a media server or PBX
 *    switching paths).
 *  - silence_periods: comfort-noise runs (PT 13/19, RFC 3389) and arrival
 *    gaps >= FLAG_SILENCE_GAP_MS without packets; count and total ms per
 *    direction.
 *  - media_after_bye: RTP arriving more than FLAG_AFTER_BYE_MS after the
 *    BYE (while the call lingers), per direction.
 *  - t38_fax: an SDP of the call offered T.38 (m=image, RFC 3362): the
 *    call is a fax call.  Evidence: who offered it, whether the other side
 *    accepted (an m=image in its SDP too; a 488 leaves only the offer, and
 *    the fax then goes G.711 pass-through on the audio streams).
 */
#include "correlator_internal.h"

#include <math.h>
#include <strings.h>

/* One-way audio: the other direction must have sent at least this many
 * packets (1 s of 20 ms packets) before silence the other way means
 * anything. */
#define FLAG_ONE_WAY_MIN_PKTS 50
/* No RTP at all on an answered call that lasted at least this long (a very
 * short call may hang up before media starts). */
#define FLAG_NO_RTP_MIN_TALK_MS 2000.0
/* Timestamp jump: disagreement, in ms, with both the sequence step and the
 * arrival gap (well above any jitter buffer, below any real splice). */
#define FLAG_TS_JUMP_MS 200.0
/* A gap without packets this long (no comfort noise) is a silence period
 * (DTX / VAD, or a media outage). */
#define FLAG_SILENCE_GAP_NS (1000 * NS_PER_MSEC)
/* Media after BYE: packets this late after the BYE (in-flight packets and
 * a UA that stops its media a little late are normal). */
#define FLAG_AFTER_BYE_NS (1000 * NS_PER_MSEC)

const char *corr_call_flag_name(corr_call_flag_kind_t f)
{
    switch (f) {
    case CORR_CALL_FLAG_ONE_WAY_AUDIO:
        return "one_way_audio";
    case CORR_CALL_FLAG_NO_RTP:
        return "no_rtp";
    case CORR_CALL_FLAG_NAT_MISMATCH:
        return "nat_address_mismatch";
    case CORR_CALL_FLAG_PT_NOT_NEGOTIATED:
        return "payload_type_not_negotiated";
    case CORR_CALL_FLAG_TIMESTAMP_JUMP:
        return "timestamp_jump";
    case CORR_CALL_FLAG_SSRC_CHANGE:
        return "ssrc_change";
    case CORR_CALL_FLAG_SILENCE:
        return "silence_periods";
    case CORR_CALL_FLAG_MEDIA_AFTER_BYE:
        return "media_after_bye";
    case CORR_CALL_FLAG_T38_FAX:
        return "t38_fax";
    case CORR_CALL_FLAG_COUNT:
        break;
    }
    return "unknown";
}

/* ------------------------------------------------------------------------ */
/* Packet path                                                               */
/* ------------------------------------------------------------------------ */

void corr__flags_on_pt(corr_t *c, corr__stream_t *s, uint8_t pt, const corr__media_ep_t *ep)
{
    const char *name = NULL;
    uint32_t clock = 0;
    bool known = corr__media_codec(c, ep, pt, &name, &clock);
    if (!known && ep && !s->orphan) {
        /* the receiver's SDP does not map it: the sender's own rtpmap
         * (answers that drop telephone-event while the offerer sends it) */
        uint32_t ei = corr__media_find(c, &s->src);
        if (ei != CORR_NIL && corr__media_call(c, ei) == s->owner) {
            corr__media_ep_t e = corr__media_get(c, ei);
            known = corr__media_codec(c, &e, pt, &name, &clock);
        }
    }
    corr__stream_x_t *x = &s->x;
    if (!s->orphan && !x->after_bye_ns && c->calls[s->owner].bye_seen)
        x->after_bye_ns = ts_add_sat(c->calls[s->owner].rec.end_ts_ns, FLAG_AFTER_BYE_NS);
    x->pt_event = known && strncasecmp(name, "telephone-event", 15) == 0;
    x->ev_clock = x->pt_event && clock ? clock : 8000;
    x->pt_event_guess = !known && !ep && s->orphan && pt >= 96;
    x->pt_bad = false;
    int nfmt = 0;
    const uint8_t *fmts = ep ? corr__media_fmts(c, ep, &nfmt) : NULL;
    if (nfmt && pt != 13 && pt != 19) { /* CN is often sent unannounced */
        bool listed = false;
        for (int i = 0; i < nfmt; i++)
            listed |= fmts[i] == pt;
        x->pt_bad = !listed;
        if (x->pt_bad && x->bad_pt_packets == 0) x->bad_pt = pt;
    }
}

void corr__flags_on_bye(corr_t *c, uint32_t ci, int64_t ts)
{
    for (uint32_t si = c->calls[ci].st_head; si != CORR_NIL; si = c->streams[si].owner_next)
        c->streams[si].x.after_bye_ns = ts_add_sat(ts, FLAG_AFTER_BYE_NS);
}

void corr__flags_on_rtp(corr_t *c, corr__stream_t *s, const rtp_header_t *rh, int64_t ts)
{
    corr__stream_x_t *x = &s->x;
    if (x->pt_event || x->pt_event_guess) {
        corr__dtmf_on_rtp(c, s, rh, ts);
        return; /* events keep their start timestamp: not audio timing */
    }
    if (x->pt_bad) x->bad_pt_packets++;
    if (x->after_bye_ns && ts > x->after_bye_ns) x->after_bye++;
    if (!x->have_prev) {
        x->have_prev = true;
        x->prev_seq = rh->seq;
        x->prev_ts = rh->timestamp;
        x->prev_arr_ns = ts;
        if (s->last_pt_cn) x->cn_start_ns = ts;
        return;
    }
    int64_t gap = ts_sub_sat(ts, x->prev_arr_ns);
    if (s->last_pt_cn) {
        if (!x->cn_start_ns) x->cn_start_ns = ts;
    } else if (x->cn_start_ns) {
        x->silence_periods++;
        x->silence_ms += (double)ts_sub_sat(ts, x->cn_start_ns) / 1e6;
        x->cn_start_ns = 0;
    } else if (gap >= FLAG_SILENCE_GAP_NS) {
        x->silence_periods++;
        x->silence_ms += (double)gap / 1e6;
    }

    int16_t dseq = (int16_t)(uint16_t)(rh->seq - x->prev_seq);
    if (dseq <= 0) return; /* duplicate or reordered: keep the newest as reference */
    int32_t dts = (int32_t)(rh->timestamp - x->prev_ts);
    uint32_t clock = s->stats.clock_rate;
    if (clock && !s->last_pt_cn) {
        if (dseq == 1 && dts > 0 && (uint32_t)dts <= clock / 4) x->ts_inc = (uint32_t)dts;
        double ts_ms = (double)dts * 1000.0 / clock;
        double arr_ms = (double)gap / 1e6;
        double step = x->ts_inc ? x->ts_inc : clock / 50; /* 20 ms until learnt */
        double seq_ms = dseq * step * 1000.0 / clock;
        if (fabs(ts_ms - arr_ms) > FLAG_TS_JUMP_MS && fabs(ts_ms - seq_ms) > FLAG_TS_JUMP_MS)
            x->ts_jumps++;
    }
    x->prev_seq = rh->seq;
    x->prev_ts = rh->timestamp;
    x->prev_arr_ns = ts;
}

/* ------------------------------------------------------------------------ */
/* Emission                                                                  */
/* ------------------------------------------------------------------------ */

static corr_call_flag_t *add(corr_call_t *r, corr_call_flag_kind_t f, int from_caller)
{
    if (r->flag_count >= CORR_FLAG_MAX) return NULL;
    corr_call_flag_t *g = &r->flags[r->flag_count++];
    memset(g, 0, sizeof *g);
    g->flag = (uint8_t)f;
    g->from_caller = (int8_t)from_caller;
    return g;
}

static bool is_media(const corr__stream_t *s)
{
    return !s->x.rtcp_only && s->stats.packets > 0;
}

/* The RTP endpoints side advertised for m= line mi: whether src is one of
 * them, and the latest (the call's list is newest first). */
static const corr__media_ep_t *advertised(const corr_t *c, const corr__call_t *k, uint8_t side,
                                          int mi, const endpoint_t *src, bool *match)
{
    const corr__media_ep_t *latest = NULL;
    *match = false;
    for (uint32_t ei = k->ep_head; ei != CORR_NIL; ei = c->eps[ei].call_next) {
        const corr__media_ep_t *e = &c->eps[ei];
        if (e->rtcp || e->side != side || e->media_index != mi) continue;
        if (!latest) latest = e;
        if (endpoint_eq(&e->ep, src)) *match = true;
    }
    return latest;
}

static void flag_nat(const corr_t *c, const corr__call_t *k, corr_call_t *r,
                     const corr__stream_t *s)
{
    bool match;
    const corr__media_ep_t *e = advertised(c, k, s->from_caller ? SIDE_CALLER : SIDE_CALLEE,
                                           s->media_index, &s->src, &match);
    if (!e || match) return;
    for (int i = 0; i < r->flag_count; i++) /* one flag per address seen */
        if (r->flags[i].flag == CORR_CALL_FLAG_NAT_MISMATCH &&
            endpoint_eq(&r->flags[i].seen, &s->src))
            return;
    corr_call_flag_t *g = add(r, CORR_CALL_FLAG_NAT_MISMATCH, s->from_caller);
    if (!g) return;
    g->ssrc = s->ssrc;
    g->sdp = e->ep;
    g->seen = s->src;
    g->count = s->stats.packets;
}

void corr__call_flags_emit(corr_t *c, uint32_t ci, corr_call_t *r)
{
    corr__call_t *k = &c->calls[ci];
    corr__dtmf_collect(c, ci, r);
    r->flag_count = 0;

    uint64_t pkts[2] = {0, 0}, after_bye[2] = {0, 0}, silences[2] = {0, 0};
    double silence_ms[2] = {0, 0};
    for (uint32_t si = k->st_head; si != CORR_NIL; si = c->streams[si].owner_next) {
        const corr__stream_t *s = &c->streams[si];
        if (!is_media(s)) continue;
        int d = s->from_caller ? 1 : 0;
        pkts[d] += s->stats.packets;
        after_bye[d] += s->x.after_bye;
        silences[d] += s->x.silence_periods;
        silence_ms[d] += s->x.silence_ms;
        if (s->x.cn_start_ns && s->stats.last_ts_ns > s->x.cn_start_ns) {
            silences[d]++; /* comfort noise until the end */
            silence_ms[d] += (double)ts_sub_sat(s->stats.last_ts_ns, s->x.cn_start_ns) / 1e6;
        }
    }
    bool answered = r->state == CORR_CALL_ANSWERED;

    corr_call_flag_t *g;
    for (int d = 0; d < 2 && answered; d++) {
        if (pkts[d] >= FLAG_ONE_WAY_MIN_PKTS && pkts[!d] == 0 &&
            (g = add(r, CORR_CALL_FLAG_ONE_WAY_AUDIO, d)) != NULL) {
            g->count = pkts[d];
            g->other = 0;
        }
    }
    if (answered && pkts[0] + pkts[1] == 0 && r->answer_ts_ns > 0 &&
        r->end_ts_ns > r->answer_ts_ns) {
        double talk_ms = (double)(r->end_ts_ns - r->answer_ts_ns) / 1e6;
        if (talk_ms >= FLAG_NO_RTP_MIN_TALK_MS && (g = add(r, CORR_CALL_FLAG_NO_RTP, -1)) != NULL)
            g->ms = talk_ms;
    }

    /* per stream: NAT, payload types, timestamp jumps */
    for (uint32_t si = k->st_head; si != CORR_NIL; si = c->streams[si].owner_next) {
        const corr__stream_t *s = &c->streams[si];
        if (!is_media(s)) continue;
        if (s->media_index >= 0) flag_nat(c, k, r, s);
        if (s->x.bad_pt_packets && (g = add(r, CORR_CALL_FLAG_PT_NOT_NEGOTIATED, s->from_caller))) {
            g->ssrc = s->ssrc;
            g->payload_type = s->x.bad_pt;
            g->count = s->x.bad_pt_packets;
        }
        if (s->x.ts_jumps && (g = add(r, CORR_CALL_FLAG_TIMESTAMP_JUMP, s->from_caller))) {
            g->ssrc = s->ssrc;
            g->count = s->x.ts_jumps;
        }
    }

    /* SSRCs per direction and m= line: audio streams (events may ride on
     * their own SSRC) */
    for (uint32_t si = k->st_head; si != CORR_NIL; si = c->streams[si].owner_next) {
        const corr__stream_t *s = &c->streams[si];
        if (!is_media(s) || !s->have_codec || s->x.pt_event) continue;
        uint64_t n = 0;
        uint32_t first = si;
        for (uint32_t sj = k->st_head; sj != CORR_NIL; sj = c->streams[sj].owner_next) {
            const corr__stream_t *o = &c->streams[sj];
            if (!is_media(o) || !o->have_codec || o->x.pt_event ||
                o->from_caller != s->from_caller || o->media_index != s->media_index)
                continue;
            n++;
            int64_t a = o->stats.first_ts_ns, b = c->streams[first].stats.first_ts_ns;
            if (a < b || (a == b && sj < first)) first = sj;
        }
        if (n < 2 || first != si) continue; /* one flag per group, from its first stream */
        if ((g = add(r, CORR_CALL_FLAG_SSRC_CHANGE, s->from_caller)) != NULL) {
            g->count = n - 1;
            g->ssrc = s->ssrc; /* the first SSRC */
            g->other = n;
        }
    }

    for (int d = 1; d >= 0; d--) {
        if (silences[d] && (g = add(r, CORR_CALL_FLAG_SILENCE, d)) != NULL) {
            g->count = silences[d];
            g->ms = silence_ms[d];
        }
    }
    for (int d = 1; d >= 0; d--) {
        if (after_bye[d] && (g = add(r, CORR_CALL_FLAG_MEDIA_AFTER_BYE, d)) != NULL)
            g->count = after_bye[d];
    }
    if ((k->t38_caller || k->t38_callee) &&
        (g = add(r, CORR_CALL_FLAG_T38_FAX, k->t38_first_caller)) != NULL)
        g->count = k->t38_caller && k->t38_callee; /* accepted */
}
