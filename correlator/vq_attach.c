/* vq_attach.c - RFC 6035 voice-quality reports (SIP PUBLISH, Event:
 * vq-rtcpxr, Content-Type application/vq-rtcpxr) attached to the call they
 * describe.
 *
 * A PUBLISH is its own transaction with its own Call-ID (dialog.c still
 * counts it in other_transactions); the call it reports on is named by the
 * body's CallID line.  The body is parsed with vq_report_parse into a
 * scratch report in corr_t and condensed into a corr_vq_report_t (copied
 * strings, metrics as numbers, negative = absent).  Then:
 *  - the call is still in memory (open, or lingering after its BYE, which
 *    is when CallTerm reports arrive): the report is kept on the call,
 *    at most CORR_VQ_MAX (the same body seen twice - a UDP retransmission
 *    or a second hop - is kept once), in a list of nodes of one pool
 *    shared by all live calls (max_vq_reports, allocated in corr_new: a
 *    call without reports costs two node ids); when the pool is empty the
 *    report is counted in the call's vq_dropped and in vq_pool_exhausted;
 *  - the call is unknown or already emitted: the report is handed to the
 *    sink's on_vq_report on its own (NDJSON: a {"type":"vq_report"}
 *    record) and counted in vq_unattached.
 * Bodies that do not parse are counted in vq_invalid.
 */
#include "correlator_internal.h"

#include <stdlib.h>

/* Node ids come from a tbl_idpool_t (core/table.c). */
bool corr__vq_pool_init(corr_t *c)
{
    c->vq_nodes = calloc(c->cfg.max_vq_reports, sizeof *c->vq_nodes);
    c->vq_ids = (tbl_idpool_t){.cap = c->cfg.max_vq_reports};
    return c->vq_nodes != NULL;
}

void corr__vq_collect(corr_t *c, corr__call_t *k, corr_call_t *r)
{
    corr__call_rec_t *l = &k->rec;
    r->vq_count = 0;
    for (uint32_t id = l->vq_head; id && r->vq_count < CORR_VQ_MAX; id = c->vq_nodes[id - 1].next)
        r->vq[r->vq_count++] = c->vq_nodes[id - 1].r;
    r->vq_dropped = l->vq_dropped;
    tbl_idpool_put(&c->vq_ids, c->vq_nodes, sizeof *c->vq_nodes, offsetof(corr__vq_node_t, next),
                   l->vq_head, l->vq_tail);
    l->vq_head = l->vq_tail = 0;
    l->vq_count = 0;
}

static double val(vq_value_t v)
{
    return v.present ? v.v : -1.0;
}

static void metrics(corr_vq_metrics_t *o, const vq_metrics_t *m)
{
    o->present = m->present;
    if (!m->present) return;
    o->nlr_pct = val(m->nlr);
    o->jdr_pct = val(m->jdr);
    o->bld_pct = val(m->bld);
    o->gld_pct = val(m->gld);
    o->bd_ms = val(m->bd);
    o->gd_ms = val(m->gd);
    o->rtd_ms = val(m->rtd);
    o->esd_ms = val(m->esd);
    o->iaj_ms = val(m->iaj);
    o->maj_ms = val(m->maj);
    o->jbn_ms = val(m->jbn);
    o->jbm_ms = val(m->jbm);
    o->jbx_ms = val(m->jbx);
    o->rlq = val(m->rlq);
    o->rcq = val(m->rcq);
    o->moslq = val(m->moslq);
    o->moscq = val(m->moscq);
    o->pt = val(m->pt);
    corr__copy_sv(o->pd, sizeof o->pd, m->pd);
}

static void addr(endpoint_t *ep, uint32_t *ssrc, bool *has_ssrc, const vq_addr_t *a)
{
    memset(ep, 0, sizeof *ep);
    ep->ip = a->ip;
    if (a->port.present && a->port.v >= 0 && a->port.v <= 65535) ep->port = (uint16_t)a->port.v;
    *has_ssrc = a->has_ssrc;
    *ssrc = a->ssrc;
}

bool corr__vq_is_report_publish(const sip_msg_t *m)
{
    if (sv_istarts_with(m->content_type, "application/vq-rtcpxr")) return true;
    sv_t ev = sip_header_get(m, "Event", 0);
    return m->content_type.len == 0 && sv_istarts_with(ev, "vq-rtcpxr");
}

void corr__vq_on_publish(corr_t *c, const sip_msg_t *m, const datagram_t *dg)
{
    if (!corr__vq_is_report_publish(m) || m->body.len == 0) return;
    c->stats.vq_reports++;
    vq_report_t *q = &c->vq;
    if (vq_report_parse(m->body, q) != PROTO_OK) {
        c->stats.vq_invalid++;
        return;
    }
    corr_vq_report_t rep;
    memset(&rep, 0, sizeof rep);
    rep.ts_ns = dg->ts_ns;
    rep.type = (uint8_t)q->type;
    rep.call_term = q->call_term;
    corr__copy_sv(rep.call_id, sizeof rep.call_id, q->call_id);
    corr__copy_sv(rep.local_id, sizeof rep.local_id, q->local_id);
    corr__copy_sv(rep.remote_id, sizeof rep.remote_id, q->remote_id);
    addr(&rep.local_addr, &rep.local_ssrc, &rep.has_local_ssrc, &q->local_addr);
    addr(&rep.remote_addr, &rep.remote_ssrc, &rep.has_remote_ssrc, &q->remote_addr);
    rep.publisher = dg->src;
    metrics(&rep.local, &q->local);
    metrics(&rep.remote, &q->remote);
    rep.body_hash = hash_bytes(m->body.p, m->body.len, 0x76710);

    uint32_t ci = q->call_id.len ? corr__call_find(c, q->call_id) : CORR_NIL;
    if (ci != CORR_NIL) {
        corr__call_rec_t *r = &c->calls[ci].rec;
        c->stats.vq_attached++;
        for (uint32_t id = r->vq_head; id; id = c->vq_nodes[id - 1].next)
            if (c->vq_nodes[id - 1].r.body_hash == rep.body_hash) return; /* seen already */
        if (r->vq_count >= CORR_VQ_MAX) {
            r->vq_dropped++;
            return;
        }
        uint32_t id = tbl_idpool_take(&c->vq_ids, c->vq_nodes, sizeof *c->vq_nodes,
                                      offsetof(corr__vq_node_t, next));
        if (id == 0) {
            c->stats.vq_pool_exhausted++;
            r->vq_dropped++;
            return;
        }
        corr__vq_node_t *nd = &c->vq_nodes[id - 1];
        nd->r = rep;
        nd->next = 0;
        if (r->vq_tail)
            c->vq_nodes[r->vq_tail - 1].next = id;
        else
            r->vq_head = id;
        r->vq_tail = id;
        r->vq_count++;
        return;
    }
    c->stats.vq_unattached++;
    if (c->sink.on_vq_report) c->sink.on_vq_report(c->sink.user, &rep);
}
