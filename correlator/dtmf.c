/* dtmf.c - DTMF digits per call: RFC 4733 telephone-events carried in RTP
 * and SIP INFO bodies (application/dtmf-relay, application/dtmf).
 *
 * RFC 4733 (2.5.1): every packet of one event carries the same RTP
 * timestamp (the event's start), a growing duration, and the last one or
 * three carry the E bit.  So an event is keyed by (stream, timestamp): the
 * first packet with a new timestamp opens it (ts_ns = that packet's
 * capture time), later packets with the same timestamp only raise the
 * duration, and the repeated end packets are absorbed (the duration of the
 * end packet is final).  Packets of an older timestamp (reordered) are
 * ignored.  Duration in ms = duration units / the telephone-event clock
 * (rtpmap, 8000 when unknown).
 *
 * Which packets are events: on a call's stream, the payload types that the
 * SDP rtpmap maps to telephone-event (call_flags.c sets pt_event when the PT
 * changes).  An orphan stream has no SDP: there a dynamic PT (96-127) is
 * taken as telephone-event only packet by packet, when the payload is
 * exactly the 4-byte event block of RFC 4733 2.3 with an event code 0-16
 * and the R bit clear.  No voice codec sends 4-byte frames at those PTs,
 * so this finds the digits of captures without signalling (SIPp's
 * dtmf_2833_*.pcap) without taking audio for digits.
 *
 * SIP INFO: one digit per request; a retransmission (same CSeq, same
 * direction) is dropped.
 *
 * Memory: each stream keeps CORR_STREAM_DTMF_MAX events and each call
 * CORR__CALL_INFO_DTMF_MAX INFO digits, as lists of nodes of one pool shared by
 * all calls and streams (max_dtmf_events, allocated in corr_new), so an
 * entry without digits costs two list ids; at emission they are merged in
 * time order into the call record (CORR_DTMF_MAX).  What does not fit (the
 * per-entry caps, or the pool when it is empty: dtmf_pool_exhausted) is
 * counted in the entry's dropped count.
 */
#include "correlator_internal.h"

#include <stdlib.h>
#include <strings.h>

bool corr__dtmf_pool_init(corr_t *c)
{
    c->dtmf_nodes = calloc(c->cfg.max_dtmf_events, sizeof *c->dtmf_nodes);
    c->dtmf_ids = (tbl_idpool_t){.cap = c->cfg.max_dtmf_events};
    return c->dtmf_nodes != NULL;
}

static corr_dtmf_t *node(const corr_t *c, uint32_t id)
{
    return &c->dtmf_nodes[id - 1].d;
}

/* A zeroed node appended to l; NULL (counted) when the pool is empty. */
static corr_dtmf_t *list_append(corr_t *c, corr__dtmf_list_t *l, uint32_t *id_out)
{
    uint32_t id = tbl_idpool_take(&c->dtmf_ids, c->dtmf_nodes, sizeof *c->dtmf_nodes,
                                  offsetof(corr__dtmf_node_t, next));
    if (id == 0) {
        c->stats.dtmf_pool_exhausted++;
        return NULL;
    }
    corr__dtmf_node_t *nd = &c->dtmf_nodes[id - 1];
    memset(nd, 0, sizeof *nd);
    if (l->tail)
        c->dtmf_nodes[l->tail - 1].next = id;
    else
        l->head = id;
    l->tail = id;
    if (id_out) *id_out = id;
    return &nd->d;
}

void corr__dtmf_list_free(corr_t *c, corr__dtmf_list_t *l)
{
    tbl_idpool_put(&c->dtmf_ids, c->dtmf_nodes, sizeof *c->dtmf_nodes,
                   offsetof(corr__dtmf_node_t, next), l->head, l->tail);
    l->head = l->tail = 0;
}

void corr__dtmf_on_rtp(corr_t *c, corr__stream_t *s, const rtp_header_t *rh, int64_t ts)
{
    corr__stream_x_t *x = &s->x;
    rtp_event_t ev;
    if (!c->rtp_payload || rtp_event_parse(c->rtp_payload, rh->payload_len, &ev) != PROTO_OK)
        return;
    if (!x->pt_event && (rh->payload_len != 4 || ev.event > RTP_EVENT_FLASH || ev.reserved))
        return;                /* orphan guess: not an event block */
    if (ev.digit == 0) return; /* tones and other events: not DTMF */

    uint32_t clock = x->ev_clock ? x->ev_clock : 8000;
    int32_t dur_ms = (int32_t)((uint64_t)ev.duration * 1000u / clock);
    if (x->ev_open && rh->timestamp == x->ev_rtp_ts) {
        if (x->ev_node == 0) return;
        corr_dtmf_t *d = node(c, x->ev_node);
        if (ev.end) {
            if (!d->ended || dur_ms > d->duration_ms) d->duration_ms = dur_ms;
            d->ended = true;
        } else if (!d->ended && dur_ms > d->duration_ms) {
            d->duration_ms = dur_ms;
        }
        return;
    }
    if (x->ev_open && (int32_t)(rh->timestamp - x->ev_rtp_ts) < 0) return; /* stale */

    x->ev_open = true;
    x->ev_rtp_ts = rh->timestamp;
    c->stats.dtmf_events++;
    x->ev_node = 0;
    corr_dtmf_t *d = NULL;
    if (x->dtmf_count < CORR_STREAM_DTMF_MAX) d = list_append(c, &x->dtmf, &x->ev_node);
    if (!d) {
        x->dtmf_dropped++;
        return;
    }
    x->dtmf_count++;
    d->ts_ns = ts;
    d->duration_ms = dur_ms;
    d->digit = ev.digit;
    d->event = ev.event;
    d->source = CORR_DTMF_SRC_RFC4733;
    d->from_caller = s->orphan ? -1 : s->from_caller ? 1 : 0;
    d->ended = ev.end;
}

void corr__dtmf_on_info(corr_t *c, uint32_t ci, const sip_msg_t *m, const datagram_t *dg,
                        bool from_caller)
{
    if (!sv_istarts_with(m->content_type, "application/dtmf")) return;
    dtmf_info_t info;
    if (dtmf_relay_parse(m->body, &info) != PROTO_OK) return;
    corr__call_x_t *x = &c->calls[ci].x;
    if (x->have_info && x->last_info_cseq == m->cseq && x->last_info_caller == from_caller)
        return; /* retransmission, or the same request at another hop */
    x->have_info = true;
    x->last_info_cseq = m->cseq;
    x->last_info_caller = from_caller;
    c->stats.dtmf_info++;
    corr_dtmf_t *d = NULL;
    if (x->info_count < CORR__CALL_INFO_DTMF_MAX) d = list_append(c, &x->info, NULL);
    if (!d) {
        x->info_dropped++;
        return;
    }
    x->info_count++;
    d->ts_ns = dg->ts_ns;
    d->duration_ms =
        info.has_duration ? (int32_t)(info.duration > INT32_MAX ? INT32_MAX : info.duration) : -1;
    d->digit = info.digit;
    d->event = info.event;
    d->source = CORR_DTMF_SRC_INFO;
    d->from_caller = from_caller ? 1 : 0;
    d->ended = true;
}

/* Inserts d in r->dtmf kept sorted by time (stable); the latest event is
 * dropped when the list is full. */
static void insert_sorted(corr_call_t *r, const corr_dtmf_t *d)
{
    uint32_t n = r->dtmf_count;
    uint32_t pos = n;
    while (pos > 0 && r->dtmf[pos - 1].ts_ns > d->ts_ns)
        pos--;
    if (n >= CORR_DTMF_MAX) {
        r->dtmf_dropped++;
        if (pos >= CORR_DTMF_MAX) return;
        n = CORR_DTMF_MAX - 1; /* the last one falls off */
    } else {
        r->dtmf_count++;
    }
    memmove(&r->dtmf[pos + 1], &r->dtmf[pos], (n - pos) * sizeof *d);
    r->dtmf[pos] = *d;
}

void corr__dtmf_collect(corr_t *c, uint32_t ci, corr_call_t *r)
{
    corr__call_t *k = &c->calls[ci];
    r->dtmf_count = 0;
    r->dtmf_dropped = k->x.info_dropped;
    for (uint32_t id = k->x.info.head; id; id = c->dtmf_nodes[id - 1].next)
        insert_sorted(r, node(c, id));
    for (uint32_t si = k->st_head; si != CORR_NIL; si = c->streams[si].owner_next) {
        const corr__stream_x_t *x = &c->streams[si].x;
        r->dtmf_dropped += x->dtmf_dropped;
        for (uint32_t id = x->dtmf.head; id; id = c->dtmf_nodes[id - 1].next)
            insert_sorted(r, node(c, id));
    }
}

void corr__dtmf_to_record(const corr_t *c, const corr__stream_t *s, corr_stream_t *out)
{
    uint32_t n = 0;
    for (uint32_t id = s->x.dtmf.head; id && n < CORR_STREAM_DTMF_MAX;
         id = c->dtmf_nodes[id - 1].next)
        out->dtmf[n++] = *node(c, id);
    out->dtmf_count = n;
    out->dtmf_dropped = s->x.dtmf_dropped;
}
