/* rtcp_attach.c - what RTCP says about each stream: RFC 3550 6.4 SR/RR
 * report blocks, SDES CNAME, BYE, APP, and RFC 3611 XR (VoIP Metrics BT=7,
 * Statistics Summary BT=6, Receiver Reference Time BT=4, DLRR BT=5).
 *
 * correlator.c hands over every datagram that rtcp_probe accepted: on an
 * RTCP endpoint of a call's SDP (RTP port + 1, a=rtcp, or the RTP port
 * itself with a=rtcp-mux), or on no endpoint at all (orphan RTCP).  The
 * datagram is walked once with rtcp_parse_compound into a scratch buffer in
 * corr_t; packets before a malformed one are still used.
 *
 * Attachment is by SSRC (RFC 3550 6.4.1: a report block's SSRC is the
 * source it describes):
 *  - in a call, the call's stream with that SSRC (a linear walk of at most
 *    max_streams_per_call entries; RTCP is a few packets per second);
 *  - for orphan RTCP, exact lookups: the sender's own stream is (src, dst,
 *    sender SSRC) - multiplexed or RTCP-only - else the RTP stream one port
 *    below; a report block's stream travels the other way, (dst, src, SSRC)
 *    then one port below.  An RTCP sender with no stream yet gets an
 *    RTCP-only orphan entry (packets 0, classified_as "RTCP") so that
 *    captures holding RTCP alone still report what the far end said.
 *
 * Round trip (RFC 3550 6.4.1, RFC 3611 4.5): each SR (and XR RRT) is
 * remembered on its sender's stream as (NTP middle 32 bits, capture time),
 * STREAM_NTP_MEMORY deep.  A later report block with LSR equal to one of
 * them gives RTT = (capture time of the report - capture time of the SR) -
 * DLSR, computed with rtcp_rtt_ms on the LSR's time base.  Using capture
 * times on both ends makes the figure independent of the endpoints' NTP
 * clocks: it is the round trip between the capture point and the far end,
 * which is the endpoint's RTT when the capture sits next to it.  Reports
 * whose SR was not captured give no RTT (never a clock-skewed guess).
 *
 * Far-end figures are the last values received; RTT keeps last/min/max/sum.
 *
 * Memory: all of this (corr_rtcp_t and the NTP memory, ~360 bytes) lives in
 * a node of a shared pool (max_rtcp_streams, allocated in corr_new) that a
 * stream takes when RTCP first says something about it; most streams of a
 * large load are plain RTP and cost one id.  When the pool is empty the
 * stream's RTCP contents are not kept (rtcp_pool_exhausted counts the
 * packets and blocks lost that way); RTCP packet counts are unaffected.
 */
#include "correlator_internal.h"

#include <stdio.h>
#include <stdlib.h>

/* Node ids come from a tbl_idpool_t (core/table.c). */
bool corr__rtcp_pool_init(corr_t *c)
{
    c->rtcp_nodes = calloc(c->cfg.max_rtcp_streams, sizeof *c->rtcp_nodes);
    c->rtcp_ids = (tbl_idpool_t){.cap = c->cfg.max_rtcp_streams};
    return c->rtcp_nodes != NULL;
}

void corr__rtcp_release(corr_t *c, corr__stream_t *s)
{
    if (!s->x.rtcp) return;
    tbl_idpool_put(&c->rtcp_ids, c->rtcp_nodes, sizeof *c->rtcp_nodes,
                   offsetof(corr__rtcp_node_t, next_free), s->x.rtcp, s->x.rtcp);
    s->x.rtcp = 0;
}

/* Stream s's RTCP node, or NULL when it has none. */
static corr__rtcp_node_t *node_of(const corr_t *c, const corr__stream_t *s)
{
    return s->x.rtcp ? &c->rtcp_nodes[s->x.rtcp - 1] : NULL;
}

/* Stream s's RTCP node, taken from the pool on first use (zeroed); NULL,
 * counted, when the pool is empty. */
static corr__rtcp_node_t *node_for(corr_t *c, corr__stream_t *s)
{
    if (s->x.rtcp) return &c->rtcp_nodes[s->x.rtcp - 1];
    uint32_t id = tbl_idpool_take(&c->rtcp_ids, c->rtcp_nodes, sizeof *c->rtcp_nodes,
                                  offsetof(corr__rtcp_node_t, next_free));
    if (id == 0) {
        c->stats.rtcp_pool_exhausted++;
        return NULL;
    }
    corr__rtcp_node_t *n = &c->rtcp_nodes[id - 1];
    memset(n, 0, sizeof *n);
    s->x.rtcp = id;
    return n;
}

/* The corr_rtcp_t of stream s, taken on first use; NULL when the pool is
 * empty. */
static corr_rtcp_t *rx(corr_t *c, corr__stream_t *s)
{
    corr__rtcp_node_t *n = node_for(c, s);
    return n ? &n->r : NULL;
}

/* Round trips above this are taken as a mismatched LSR, not a measurement. */
#define RTCP_RTT_MAX_MS 60000.0

/* ------------------------------------------------------------------------ */
/* Finding the stream an SSRC belongs to                                     */
/* ------------------------------------------------------------------------ */

static corr__stream_t *call_stream_by_ssrc(corr_t *c, uint32_t ci, uint32_t ssrc)
{
    for (uint32_t si = c->calls[ci].st_head; si != CORR_NIL; si = c->streams[si].owner_next)
        if (c->streams[si].ssrc == ssrc) return &c->streams[si];
    return NULL;
}

static corr__stream_t *stream_at(corr_t *c, const endpoint_t *src, const endpoint_t *dst,
                                 uint32_t ssrc)
{
    uint32_t si = corr__stream_find(c, corr__stream_hash(c, src, dst, ssrc), src, dst, ssrc);
    return si == CORR_NIL ? NULL : &c->streams[si];
}

/* Orphan lookup: (src, dst, ssrc), then the RTP ports one below. */
static corr__stream_t *orphan_stream(corr_t *c, const endpoint_t *src, const endpoint_t *dst,
                                     uint32_t ssrc)
{
    corr__stream_t *s = stream_at(c, src, dst, ssrc);
    if (s || src->port == 0 || dst->port == 0) return s;
    endpoint_t a = *src, b = *dst;
    a.port--;
    b.port--;
    return stream_at(c, &a, &b, ssrc);
}

typedef struct {
    corr_t *c;
    const datagram_t *dg;
    uint32_t ci; /* CORR_NIL: orphan */
} ctx_t;

/* The stream sent by ssrc: from the datagram's sender when sender is true
 * (SR/RR/SDES/XR sender), else the other way (a report block's source). */
static corr__stream_t *find(const ctx_t *x, uint32_t ssrc, bool sender)
{
    if (x->ci != CORR_NIL) return call_stream_by_ssrc(x->c, x->ci, ssrc);
    return sender ? orphan_stream(x->c, &x->dg->src, &x->dg->dst, ssrc)
                  : orphan_stream(x->c, &x->dg->dst, &x->dg->src, ssrc);
}

/* The sender's stream; for orphan RTCP an RTCP-only entry is created. */
static corr__stream_t *sender_stream(const ctx_t *x, uint32_t ssrc)
{
    corr__stream_t *s = find(x, ssrc, true);
    corr_t *c = x->c;
    if (s || x->ci != CORR_NIL || ssrc == 0 || !c->cfg.classify_orphans) return s;
    const datagram_t *dg = x->dg;
    uint64_t h = corr__stream_hash(c, &dg->src, &dg->dst, ssrc);
    uint32_t si = corr__stream_new(c, h, &dg->src, &dg->dst, ssrc, CORR_NIL, true);
    if (si == CORR_NIL) return NULL;
    s = &c->streams[si];
    s->x.rtcp_only = true;
    s->orphan_proto = ORPHAN_PROTO_RTCP;
    return s;
}

/* ------------------------------------------------------------------------ */
/* Round trip                                                                */
/* ------------------------------------------------------------------------ */

static void ntp_remember(corr_t *c, corr__stream_t *s, uint32_t mid32, int64_t ts)
{
    corr__rtcp_node_t *n = node_for(c, s);
    if (!n) return;
    n->ntp_mid[n->ntp_next] = mid32;
    n->ntp_ts[n->ntp_next] = ts;
    n->ntp_next = (uint8_t)((n->ntp_next + 1) % STREAM_NTP_MEMORY);
}

static void rtt_add(corr_rtcp_t *r, double ms)
{
    if (r->rtt_count == 0 || ms < r->rtt_min_ms) r->rtt_min_ms = ms;
    if (r->rtt_count == 0 || ms > r->rtt_max_ms) r->rtt_max_ms = ms;
    r->rtt_last_ms = ms;
    r->rtt_sum_ms += ms;
    r->rtt_count++;
}

/* LSR/LRR (an NTP middle-32 that s's source sent) and DLSR/DLRR of a report
 * that arrived at ts: the round trip in ms, or < 0. */
static double rtt_from(const corr_t *c, const corr__stream_t *s, uint32_t lsr, uint32_t dlsr,
                       int64_t ts)
{
    const corr__rtcp_node_t *n = node_of(c, s);
    if (lsr == 0 || !n) return -1; /* no SR received yet (RFC 3550 6.4.1) */
    for (int i = 0; i < STREAM_NTP_MEMORY; i++) {
        if (n->ntp_ts[i] == 0 || n->ntp_mid[i] != lsr || ts < n->ntp_ts[i]) continue;
        /* the report's arrival on the SR's time base, in 1/65536 s */
        uint64_t elapsed = (uint64_t)ts - (uint64_t)n->ntp_ts[i]; /* ts >= ntp_ts */
        uint32_t a = lsr + (uint32_t)((elapsed << 16) / (uint64_t)NS_PER_SEC);
        double ms = rtcp_rtt_ms(a, lsr, dlsr);
        return ms <= RTCP_RTT_MAX_MS ? ms : -1;
    }
    return -1;
}

/* ------------------------------------------------------------------------ */
/* Packets                                                                   */
/* ------------------------------------------------------------------------ */

static uint32_t stream_clock(const corr__stream_t *s)
{
    return s->stats.clock_rate;
}

static double ts_units_ms(const corr__stream_t *s, uint32_t units)
{
    uint32_t clock = stream_clock(s);
    return clock ? (double)units * 1000.0 / (double)clock : -1;
}

static void on_report_block(const ctx_t *x, const rtcp_report_block_t *b)
{
    x->c->stats.rtcp_report_blocks++;
    corr__stream_t *s = find(x, b->ssrc, false);
    if (!s) {
        x->c->stats.rtcp_blocks_unmatched++;
        return;
    }
    corr_rtcp_t *r = rx(x->c, s);
    if (!r) return;
    r->reports++;
    r->fraction_lost_pct = b->fraction_lost * 100.0 / 256.0;
    r->cumulative_lost = b->cumulative_lost;
    r->ext_highest_seq = b->ext_highest_seq;
    r->jitter_ms = ts_units_ms(s, b->jitter);
    double rtt = rtt_from(x->c, s, b->lsr, b->dlsr, x->dg->ts_ns);
    if (rtt >= 0) rtt_add(r, rtt);
}

static void on_sr_rr(const ctx_t *x, const rtcp_packet_t *p)
{
    corr__stream_t *s = sender_stream(x, p->ssrc);
    corr_rtcp_t *r = s ? rx(x->c, s) : NULL;
    if (r) {
        if (p->pt == RTCP_PT_SR) {
            const rtcp_sender_info_t *si = &p->u.rr.sender;
            r->sender_reports++;
            r->sr_packet_count = si->packet_count;
            r->sr_octet_count = si->octet_count;
            ntp_remember(x->c, s, rtcp_ntp_middle32(si->ntp_msw, si->ntp_lsw), x->dg->ts_ns);
        } else {
            r->receiver_reports++;
        }
    }
    for (int i = 0; i < p->u.rr.stored; i++)
        on_report_block(x, &p->u.rr.blocks[i]);
}

static void on_sdes(const ctx_t *x, const rtcp_packet_t *p)
{
    for (int i = 0; i < p->u.sdes.stored; i++) {
        const rtcp_sdes_chunk_t *ch = &p->u.sdes.chunks[i];
        if (!ch->cname.p) continue;
        corr__stream_t *s = i == 0 ? sender_stream(x, ch->ssrc) : find(x, ch->ssrc, true);
        corr_rtcp_t *r = s ? rx(x->c, s) : NULL;
        if (r) corr__copy_sv(r->cname, sizeof r->cname, ch->cname);
    }
}

static void xr_voip(const ctx_t *x, const rtcp_xr_voip_t *v)
{
    corr__stream_t *s = find(x, v->ssrc, false);
    if (!s) s = find(x, v->ssrc, true); /* some agents report their own source */
    if (!s) {
        x->c->stats.rtcp_blocks_unmatched++;
        return;
    }
    corr_rtcp_t *r = rx(x->c, s);
    if (!r) return;
    corr_xr_voip_t *o = &r->xr_voip;
    r->have_xr_voip = true;
    o->loss_rate_pct = v->loss_rate * 100.0 / 256.0;
    o->discard_rate_pct = v->discard_rate * 100.0 / 256.0;
    o->burst_density_pct = v->burst_density * 100.0 / 256.0;
    o->gap_density_pct = v->gap_density * 100.0 / 256.0;
    o->burst_duration_ms = v->burst_duration;
    o->gap_duration_ms = v->gap_duration;
    o->round_trip_ms = v->round_trip_delay;
    o->end_system_delay_ms = v->end_system_delay;
    o->signal_level_dbm = v->signal_level;
    o->noise_level_dbm = v->noise_level;
    o->rerl_db = v->rerl;
    o->gmin = v->gmin;
    o->r_factor = v->r_factor == RTCP_XR_UNAVAILABLE ? -1 : v->r_factor;
    o->ext_r_factor = v->ext_r_factor == RTCP_XR_UNAVAILABLE ? -1 : v->ext_r_factor;
    o->mos_lq = v->mos_lq == RTCP_XR_UNAVAILABLE ? -1 : v->mos_lq / 10.0;
    o->mos_cq = v->mos_cq == RTCP_XR_UNAVAILABLE ? -1 : v->mos_cq / 10.0;
    o->plc = v->plc;
    o->jb_adaptive = v->jba;
    o->jb_rate = v->jb_rate;
    o->jb_nominal_ms = v->jb_nominal;
    o->jb_max_ms = v->jb_max;
    o->jb_abs_max_ms = v->jb_abs_max;
}

static void xr_stats(const ctx_t *x, const rtcp_xr_stats_t *v)
{
    corr__stream_t *s = find(x, v->ssrc, false);
    if (!s) {
        x->c->stats.rtcp_blocks_unmatched++;
        return;
    }
    corr_rtcp_t *r = rx(x->c, s);
    if (!r) return;
    corr_xr_stats_t *o = &r->xr_stats;
    r->have_xr_stats = true;
    o->begin_seq = v->begin_seq;
    o->end_seq = v->end_seq;
    o->lost_packets = v->loss_flag ? (int64_t)v->lost_packets : -1;
    o->dup_packets = v->dup_flag ? (int64_t)v->dup_packets : -1;
    o->min_jitter_ms = v->jitter_flag ? ts_units_ms(s, v->min_jitter) : -1;
    o->max_jitter_ms = v->jitter_flag ? ts_units_ms(s, v->max_jitter) : -1;
    o->mean_jitter_ms = v->jitter_flag ? ts_units_ms(s, v->mean_jitter) : -1;
    o->dev_jitter_ms = v->jitter_flag ? ts_units_ms(s, v->dev_jitter) : -1;
}

static void on_xr(const ctx_t *x, const rtcp_packet_t *p)
{
    corr__stream_t *self = sender_stream(x, p->ssrc);
    corr_rtcp_t *sr = self ? rx(x->c, self) : NULL;
    if (sr) sr->xr_packets++;
    for (int i = 0; i < p->u.xr.stored; i++) {
        const rtcp_xr_block_t *b = &p->u.xr.blocks[i];
        switch (b->bt) {
        case RTCP_XR_RRT:
            if (self)
                ntp_remember(x->c, self, rtcp_ntp_middle32(b->u.rrt.ntp_msw, b->u.rrt.ntp_lsw),
                             x->dg->ts_ns);
            break;
        case RTCP_XR_DLRR:
            /* sub-block SSRC: the receiver that sent the RRT; the round
             * trip is between it and this sender */
            for (int j = 0; j < b->u.dlrr.stored; j++) {
                const rtcp_xr_dlrr_item_t *it = &b->u.dlrr.items[j];
                corr__stream_t *r = find(x, it->ssrc, false);
                double rtt = r ? rtt_from(x->c, r, it->lrr, it->dlrr, x->dg->ts_ns) : -1;
                corr_rtcp_t *rr = rtt >= 0 ? rx(x->c, r) : NULL;
                if (rr) rtt_add(rr, rtt);
            }
            break;
        case RTCP_XR_STATS:
            xr_stats(x, &b->u.stats);
            break;
        case RTCP_XR_VOIP:
            xr_voip(x, &b->u.voip);
            break;
        default:
            break;
        }
    }
}

void corr__rtcp_attach(corr_t *c, const datagram_t *dg, uint32_t ci)
{
    rtcp_compound_t *cp = &c->rtcp;
    if (rtcp_parse_compound(dg->data, dg->len, cp) != PROTO_OK) c->stats.rtcp_invalid++;
    ctx_t x = {c, dg, ci};
    for (int i = 0; i < cp->count; i++) {
        const rtcp_packet_t *p = &cp->pkt[i];
        corr__stream_t *s;
        corr_rtcp_t *r;
        switch (p->pt) {
        case RTCP_PT_SR:
        case RTCP_PT_RR:
            on_sr_rr(&x, p);
            break;
        case RTCP_PT_SDES:
            on_sdes(&x, p);
            break;
        case RTCP_PT_BYE:
            for (int j = 0; j < p->u.bye.stored; j++)
                if ((s = find(&x, p->u.bye.ssrcs[j], true)) != NULL && (r = rx(c, s)) != NULL)
                    r->byes++;
            break;
        case RTCP_PT_APP:
            if ((s = find(&x, p->ssrc, true)) != NULL && (r = rx(c, s)) != NULL) r->app_packets++;
            break;
        case RTCP_PT_XR:
            on_xr(&x, p);
            break;
        default:
            break;
        }
    }
    /* an orphan RTCP-only entry lives as long as its RTCP does */
    if (ci == CORR_NIL && cp->count > 0) {
        corr__stream_t *s = find(&x, cp->pkt[0].ssrc, true);
        if (s && s->orphan) s->rtcp_packets++;
        if (s && s->orphan && s->x.rtcp_only) {
            uint32_t si = (uint32_t)(s - c->streams);
            if (s->stats.first_ts_ns == 0) s->stats.first_ts_ns = dg->ts_ns;
            s->stats.last_ts_ns = dg->ts_ns;
            tbl_dlist_touch(&c->orphan_lru, si);
            tbl_dlist_touch(&c->stream_pool.lru, si);
        }
    }
}

void corr__rtcp_to_record(const corr_t *c, const corr__stream_t *s, corr_stream_t *out)
{
    const corr__rtcp_node_t *n = node_of(c, s);
    if (n)
        out->rtcp = n->r;
    else
        memset(&out->rtcp, 0, sizeof out->rtcp);
    out->rtcp_rtt_ms = n && n->r.rtt_count ? n->r.rtt_sum_ms / (double)n->r.rtt_count : -1.0;
}
