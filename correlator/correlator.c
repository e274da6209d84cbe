/* correlator.c - the correlator's front door: configuration, allocation of
 * every table, per-datagram dispatch, and the expiry queues.
 *
 * Dispatch of one datagram (in capture order; a shard is handed SIP with
 * the parse its router made, corr_on_datagram_parsed, parse.c):
 *  - TCP/WS/SCTP: one framed SIP message -> dialog.c.
 *  - UDP whose first byte has version bits 2 (0x80..0xBF): media.
 *      RTCP (second byte 192..223 and rtcp_probe, RFC 5761) is counted on
 *      the call whose SDP endpoint it hits and on the stream with its SSRC.
 *      RTP: stream lookup by (src, dst, SSRC) first - the hot path, one hash
 *      probe, no allocation.  On a miss the SDP endpoint table is asked for
 *      the destination, then the source (symmetric RTP); a hit creates the
 *      call's stream, a miss goes to orphan.c.
 *  - other UDP: SIP when sip_probe says so, else orphan.c.
 *
 * Time is packet time, and the correlator's clock is the largest packet
 * time seen so far (of the whole datagram sequence: a shard's driver
 * passes it with corr_advance): it never goes backwards.  Call activity,
 * linger deadlines and expiry run on it, so a capture whose timestamps
 * jump back (to 0, or from 2^32-1 s to now) delays expiry until time
 * passes the largest one again instead of reordering it; the records'
 * own times (start, answer, end, RTP arrivals) stay packet times.  Every
 * 100 ms of it, and on corr_expire, two queues are checked from their old
 * end: calls whose linger ended (BYE or final failure + call_linger_ns)
 * and calls idle (no SIP, no RTP) for call_idle_timeout_ns; both are O(1)
 * when there is nothing to do.
 *
 * Defaults (corr_config_default), sized for an appliance; memory is
 * reserved up front but only touched as entries are used:
 *   max_calls 65536 (288 B each, plus a string blob: 224 B for a typical
 *   call), max_streams 262144 (728 B each), max_media_endpoints 262144
 *   (40 B each, plus a 32-208 B payload-type descriptor per RTP
 *   endpoint), max_orphan_flows 16384, max_dtmf_events 65536,
 *   max_vq_reports 4096, max_rtcp_streams 65536 (~370 B each, only for
 *   streams with RTCP), max_streams_per_call 16, call_idle_timeout
 *   300 s (answered or not: a call with neither SIP nor RTP for 5 minutes
 *   is over; longer than RFC 3261 Timer C's 3 minutes for a ringing
 *   INVITE), call_linger 5 s,
 *   orphan_idle_timeout 60 s (an orphan stream silent for a minute is
 *   emitted), classify_orphans on.
 */
#include "correlator_internal.h"

#include <stdlib.h>

#define EXPIRE_EVERY_NS (100 * NS_PER_MSEC)

const char *corr_call_state_name(corr_call_state_t s)
{
    switch (s) {
    case CORR_CALL_UNANSWERED:
        return "unanswered";
    case CORR_CALL_ANSWERED:
        return "answered";
    case CORR_CALL_BUSY:
        return "busy";
    case CORR_CALL_CANCELLED:
        return "cancelled";
    case CORR_CALL_REJECTED:
        return "rejected";
    }
    return "unknown";
}

void corr_config_default(corr_config_t *c)
{
    memset(c, 0, sizeof *c);
    c->max_calls = 65536;
    c->max_streams = 262144;
    c->max_media_endpoints = 262144;
    c->max_orphan_flows = 16384;
    c->max_streams_per_call = 16;
    c->call_idle_timeout_ns = 300 * NS_PER_SEC;
    c->call_linger_ns = 5 * NS_PER_SEC;
    c->orphan_idle_timeout_ns = 60 * NS_PER_SEC;
    c->classify_orphans = true;
    c->max_dtmf_events = 65536;
    c->max_vq_reports = 4096;
    c->max_registrations = 8192;
    c->max_rtcp_streams = 65536;
    sq_config_default(&c->quality);
}

corr_t *corr_new(const corr_config_t *cfg, const corr_sink_t *sink)
{
    corr_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    if (cfg)
        c->cfg = *cfg;
    else
        corr_config_default(&c->cfg);
    if (sink) c->sink = *sink;
    corr_config_t *g = &c->cfg;
    if (g->max_calls == 0) g->max_calls = 1;
    if (g->max_streams == 0) g->max_streams = 1;
    if (g->max_media_endpoints == 0) g->max_media_endpoints = 1;
    if (g->max_orphan_flows == 0) g->max_orphan_flows = 1;
    if (g->max_streams_per_call == 0) g->max_streams_per_call = 1;
    if (g->orphan_idle_timeout_ns <= 0) g->orphan_idle_timeout_ns = 60 * NS_PER_SEC;
    if (g->call_idle_timeout_ns <= 0) g->call_idle_timeout_ns = 300 * NS_PER_SEC;
    if (g->call_linger_ns < 0) g->call_linger_ns = 0;
    if (g->max_dtmf_events == 0) g->max_dtmf_events = 65536;
    if (g->max_vq_reports == 0) g->max_vq_reports = 4096;
    if (g->max_rtcp_streams == 0) g->max_rtcp_streams = 65536;
    c->seed = hash_seed();

    /* entries reached at random per packet: huge pages where granted */
    c->calls = table_calloc(g->max_calls, sizeof *c->calls);
    c->eps = table_calloc(g->max_media_endpoints, sizeof *c->eps);
    c->streams = table_calloc(g->max_streams, sizeof *c->streams);
    c->flows = table_calloc(g->max_orphan_flows, sizeof *c->flows);
    c->emit_buf = calloc(g->max_streams_per_call, sizeof *c->emit_buf);
    c->emit_call = calloc(1, sizeof *c->emit_call);
    if (!c->calls || !c->eps || !c->streams || !c->flows || !c->emit_buf || !c->emit_call ||
        !corr__cstr_init(c) || !corr__media_init(c) || !corr__vq_pool_init(c) ||
        !corr__rtcp_pool_init(c) || !tbl_pool_init(&c->call_pool, g->max_calls) ||
        !tbl_dlist_init(&c->linger, g->max_calls) ||
        !tbl_dlist_init(&c->challenge_wait, g->max_calls) ||
        !tbl_pool_init(&c->ep_pool, g->max_media_endpoints) ||
        !tbl_pool_init(&c->stream_pool, g->max_streams) ||
        !tbl_dlist_init(&c->orphan_lru, g->max_streams) ||
        !tbl_pool_init(&c->flow_pool, g->max_orphan_flows) || !corr__orphan_init(c) ||
        !corr__dtmf_pool_init(c) || !corr__events_init(c) || !corr__codec_names_init(c)) {
        log_error("correlator: cannot allocate tables");
        corr_free(c);
        return NULL;
    }
    return c;
}

void corr_free(corr_t *c)
{
    if (!c) return;
    corr__orphan_free(c);
    corr__events_free(c);
    if (c->streams && c->stream_pool.lru.next) /* live streams' interval arrays */
        for (uint32_t si = c->stream_pool.lru.head; si != CORR_NIL;
             si = c->stream_pool.lru.next[si])
            sq_free(&c->streams[si].quality);
    tbl_pool_destroy(&c->call_pool);
    tbl_dlist_destroy(&c->linger);
    tbl_dlist_destroy(&c->challenge_wait);
    tbl_pool_destroy(&c->ep_pool);
    tbl_pool_destroy(&c->stream_pool);
    tbl_dlist_destroy(&c->orphan_lru);
    tbl_pool_destroy(&c->flow_pool);
    free(c->calls);
    free(c->eps);
    free(c->streams);
    free(c->flows);
    free(c->emit_buf);
    free(c->emit_call);
    corr__cstr_free(c);
    corr__media_free(c);
    corr__codec_names_free(c);
    free(c->vq_nodes);
    free(c->rtcp_nodes);
    free(c->dtmf_nodes);
    free(c);
}

const corr_stats_t *corr_stats(const corr_t *c)
{
    return &c->stats;
}

/* ------------------------------- expiry --------------------------------- */

void corr__call_lru_place(corr_t *c, uint32_t ci, int64_t t)
{
    tbl_dlist_t *l = &c->call_pool.lru;
    c->calls[ci].lru_ns = t;
    tbl_dlist_unlink(l, ci);
    uint32_t at = l->head; /* past the calls that moved after t */
    while (at != CORR_NIL && c->calls[at].lru_ns > t)
        at = l->next[at];
    tbl_dlist_insert_before(l, at, ci);
}

void corr_advance(corr_t *c, int64_t clock_ns)
{
    if (clock_ns > c->now_ns) c->now_ns = clock_ns;
}

void corr_expire(corr_t *c, int64_t now_ns)
{
    corr_advance(c, now_ns);
    now_ns = c->now_ns; /* the clock never goes backwards */
    uint32_t ci;
    while ((ci = c->linger.tail) != CORR_NIL && c->calls[ci].linger_deadline_ns <= now_ns)
        corr__call_emit(c, ci, false, false);
    while ((ci = c->challenge_wait.tail) != CORR_NIL && c->calls[ci].linger_deadline_ns <= now_ns)
        corr__call_emit(c, ci, false, false);
    /* The LRU is ordered by lru_ns, the last move to its place, never
     * after the call's last activity: every call behind a tail that moved
     * within the timeout is active.  A tail whose streams or messages
     * kept it alive moves to its place (corr__call_refresh_activity, or here
     * when its own activity ran ahead of its last move), so exactly the
     * calls idle for the timeout are emitted, whichever other calls share
     * this correlator (a shard holds some of them). */
    int64_t idle = c->cfg.call_idle_timeout_ns;
    while ((ci = c->call_pool.lru.tail) != CORR_NIL &&
           ts_sub_sat(now_ns, c->calls[ci].lru_ns) >= idle) {
        corr__call_t *k = &c->calls[ci];
        if (corr__call_refresh_activity(c, ci)) continue; /* its RTP kept it alive */
        if (ts_sub_sat(now_ns, k->last_activity_ns) < idle) {
            corr__call_lru_place(c, ci, k->last_activity_ns);
            continue;
        }
        c->stats.calls_timed_out++;
        corr__call_emit(c, ci, false, true);
    }
    corr__orphan_expire(c, now_ns);
    corr__events_expire(c, now_ns);
    if (c->sink.on_clock) c->sink.on_clock(c->sink.user, now_ns);
}

void corr_flush(corr_t *c)
{
    uint32_t ci;
    /* lingering calls have ended: not open */
    while ((ci = c->linger.tail) != CORR_NIL)
        corr__call_emit(c, ci, false, false);
    while ((ci = c->challenge_wait.tail) != CORR_NIL)
        corr__call_emit(c, ci, false, false);
    while ((ci = c->call_pool.lru.tail) != CORR_NIL)
        corr__call_emit(c, ci, true, false);
    corr__orphan_flush(c);
    corr__events_flush(c);
}

/* ------------------------------- media ---------------------------------- */

/* The SDP endpoint for a packet: its destination, else its source. */
static uint32_t endpoint_for(const corr_t *c, const datagram_t *dg, bool *matched_dst)
{
    uint32_t ei = corr__media_find(c, &dg->dst);
    *matched_dst = ei != CORR_NIL;
    uint32_t si = corr__media_find(c, &dg->src);
    /* both ends advertised, by different calls (a UAS with one media port
     * for every call): the sender's own SDP names the call */
    if (si != CORR_NIL && (ei == CORR_NIL || corr__media_call(c, si) != corr__media_call(c, ei))) {
        *matched_dst = false;
        return si;
    }
    return ei;
}

/* A media packet for the sink's on_packet (the caller tested it): with
 * call ci's key and Call-ID (CORR_NIL: none).  The Call-ID is a view of
 * the call's own string blob, its length kept in the blob: nothing is
 * copied or allocated per packet. */
static void packet_out(corr_t *c, const datagram_t *dg, corr_packet_kind_t kind, uint32_t ci,
                       uint32_t rtp_header_len)
{
    corr_packet_t p = {.kind = kind, .dg = dg, .rtp_header_len = rtp_header_len};
    if (ci != CORR_NIL) {
        p.call_key = c->calls[ci].key;
        p.call_id = corr__call_str_sv(c, &c->calls[ci], CS_CALL_ID);
    }
    c->sink.on_packet(c->sink.user, &p);
}

static void on_rtcp(corr_t *c, const datagram_t *dg)
{
    bool matched_dst;
    uint32_t ei = endpoint_for(c, dg, &matched_dst);
    if (ei == CORR_NIL) {
        c->stats.rtcp_orphan++;
        if (c->sink.on_packet) packet_out(c, dg, CORR_PKT_RTCP, CORR_NIL, 0);
        corr__rtcp_attach(c, dg, CORR_NIL);
        corr__orphan_on_datagram(c, dg, NULL);
        return;
    }
    c->stats.rtcp_packets++;
    uint32_t ci = corr__media_call(c, ei);
    corr__call_t *k = &c->calls[ci];
    k->rec.rtcp_packets++;
    corr__call_touch(c, ci, c->now_ns);
    const uint8_t *p = dg->data;
    uint32_t ssrc = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
    for (uint32_t si = k->st_head; si != CORR_NIL; si = c->streams[si].owner_next) {
        if (c->streams[si].ssrc == ssrc) {
            c->streams[si].rtcp_packets++;
            break;
        }
    }
    corr__rtcp_attach(c, dg, ci);
    if (c->sink.on_packet) packet_out(c, dg, CORR_PKT_RTCP, ci, 0);
}

static void on_media(corr_t *c, const datagram_t *dg)
{
    const uint8_t *p = dg->data;
    if (p[1] >= 192 && p[1] <= 223 && rtcp_probe(p, dg->len)) {
        on_rtcp(c, dg);
        return;
    }
    rtp_header_t rh;
    if (rtp_parse_header(p, dg->len, &rh) != PROTO_OK) {
        c->stats.rtp_invalid++;
        corr__orphan_on_datagram(c, dg, NULL);
        return;
    }
    c->rtp_payload = p + rh.header_len; /* for RFC 4733 events (dtmf.c) */

    /* hot path: a known stream */
    uint64_t h = corr__stream_hash(c, &dg->src, &dg->dst, rh.ssrc);
    uint32_t si = corr__stream_find(c, h, &dg->src, &dg->dst, rh.ssrc);
    bool matched_dst;
    if (si != CORR_NIL) {
        corr__stream_t *s = &c->streams[si];
        if (!s->orphan) {
            /* the call is not touched: see corr__call_refresh_activity */
            c->stats.rtp_packets++;
            corr__stream_rtp(c, si, &rh, dg->ts_ns);
            if (c->sink.on_packet) packet_out(c, dg, CORR_PKT_RTP, s->owner, rh.header_len);
            return;
        }
        /* an orphan whose SDP may have shown up since */
        uint32_t ei = s->tentative ? CORR_NIL : endpoint_for(c, dg, &matched_dst);
        if (ei != CORR_NIL) {
            corr__media_ep_t e = corr__media_get(c, ei);
            corr__stream_attach_call(c, si, e.call, &e, matched_dst);
        }
        c->stats.rtp_packets++;
        corr__stream_rtp(c, si, &rh, dg->ts_ns);
        if (!s->orphan) corr__call_touch(c, s->owner, c->now_ns);
        if (c->sink.on_packet)
            packet_out(c, dg, CORR_PKT_RTP, s->orphan ? CORR_NIL : s->owner, rh.header_len);
        return;
    }

    uint32_t ei = endpoint_for(c, dg, &matched_dst);
    if (ei == CORR_NIL) {
        corr__orphan_on_datagram(c, dg, &rh);
        return;
    }
    corr__media_ep_t e = corr__media_get(c, ei);
    uint32_t ci = e.call;
    tbl_dlist_touch(&c->ep_pool.lru, ei & ~MEDIA_IMPLIED);
    si = corr__stream_new(c, h, &dg->src, &dg->dst, rh.ssrc, ci, false);
    c->stats.rtp_packets++;
    corr__call_touch(c, ci, c->now_ns);
    if (si != CORR_NIL) {
        corr__stream_set_side(&c->streams[si], &e, matched_dst);
        corr__stream_rtp(c, si, &rh, dg->ts_ns);
    }
    if (c->sink.on_packet) packet_out(c, dg, CORR_PKT_RTP, ci, rh.header_len);
}

/* ------------------------------ dispatch -------------------------------- */

bool corr_clock_due(corr_clock_t *k, int64_t ts_ns)
{
    if (ts_ns < k->next_ns) return false;
    k->next_ns = ts_add_sat(ts_ns, EXPIRE_EVERY_NS);
    return true;
}

void corr_on_datagram_parsed(corr_t *c, const datagram_t *dg, const void *parse, size_t len)
{
    proto_status_t st;
    if (!len || !dg->data || dg->len == 0 || !corr__parse_read(parse, len, dg, &c->msg, &st)) {
        corr_on_datagram(c, dg);
        return;
    }
    /* the router parsed it as SIP: corr_on_datagram's dispatch would too */
    corr_advance(c, dg->ts_ns);
    if (!c->cfg.external_expiry && corr_clock_due(&c->clock, dg->ts_ns)) corr_expire(c, dg->ts_ns);
    corr__dialog_on_parsed(c, dg, st);
}

void corr_on_datagram(corr_t *c, const datagram_t *dg)
{
    if (!dg->data || dg->len == 0) return;
    corr_advance(c, dg->ts_ns);
    if (!c->cfg.external_expiry && corr_clock_due(&c->clock, dg->ts_ns)) corr_expire(c, dg->ts_ns);
    if (dg->transport != TRANSPORT_UDP) {
        corr__dialog_on_sip(c, dg);
        return;
    }
    if (dg->len >= 12 && (dg->data[0] >> 6) == 2) {
        on_media(c, dg);
        return;
    }
    if (sip_probe(dg->data, dg->len)) {
        corr__dialog_on_sip(c, dg);
        return;
    }
    corr__orphan_on_datagram(c, dg, NULL);
}
