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
 *    or a second hop - is kept once);
 *  - the call is unknown or already emitted: the report is handed to the
 *    sink's on_vq_report on its own (NDJSON: a {"type":"vq_report"}
 *    record) and counted in vq_unattached.
 * Bodies that do not parse are counted in vq_invalid.
 */
#include "correlator_internal.h"

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
    corr_copy_sv(o->pd, sizeof o->pd, m->pd);
}

static void addr(endpoint_t *ep, uint32_t *ssrc, bool *has_ssrc, const vq_addr_t *a)
{
    memset(ep, 0, sizeof *ep);
    ep->ip = a->ip;
    if (a->port.present && a->port.v >= 0 && a->port.v <= 65535) ep->port = (uint16_t)a->port.v;
    *has_ssrc = a->has_ssrc;
    *ssrc = a->ssrc;
}

static bool is_vq_publish(const sip_msg_t *m)
{
    if (sv_istarts_with(m->content_type, "application/vq-rtcpxr")) return true;
    sv_t ev = sip_header_get(m, "Event", 0);
    return m->content_type.len == 0 && sv_istarts_with(ev, "vq-rtcpxr");
}

void vq_on_publish(corr_t *c, const sip_msg_t *m, const datagram_t *dg)
{
    if (!is_vq_publish(m) || m->body.len == 0) return;
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
    corr_copy_sv(rep.call_id, sizeof rep.call_id, q->call_id);
    corr_copy_sv(rep.local_id, sizeof rep.local_id, q->local_id);
    corr_copy_sv(rep.remote_id, sizeof rep.remote_id, q->remote_id);
    addr(&rep.local_addr, &rep.local_ssrc, &rep.has_local_ssrc, &q->local_addr);
    addr(&rep.remote_addr, &rep.remote_ssrc, &rep.has_remote_ssrc, &q->remote_addr);
    rep.publisher = dg->src;
    metrics(&rep.local, &q->local);
    metrics(&rep.remote, &q->remote);
    rep.body_hash = hash_bytes(m->body.p, m->body.len, 0x76710);

    uint32_t ci = q->call_id.len ? call_find(c, q->call_id) : CORR_NIL;
    if (ci != CORR_NIL) {
        corr_call_t *r = &c->calls[ci].rec;
        c->stats.vq_attached++;
        for (int i = 0; i < r->vq_count; i++)
            if (r->vq[i].body_hash == rep.body_hash) return; /* seen already */
        if (r->vq_count < CORR_VQ_MAX)
            r->vq[r->vq_count++] = rep;
        else
            r->vq_dropped++;
        return;
    }
    c->stats.vq_unattached++;
    if (c->sink.on_vq_report) c->sink.on_vq_report(c->sink.user, &rep);
}
