/* media.c - the SDP endpoint table: which (ip, port) carries media of which
 * call (RFC 3264 offer/answer, RFC 8866 SDP).
 *
 * Every SDP a call carries (offer, answer, re-INVITE, UPDATE, PRACK, 183,
 * both directions) is learnt: each m= line with a non-zero port and a usable
 * connection address gives an RTP endpoint, and an RTCP endpoint on port+1,
 * on a=rtcp (RFC 3605), or none with a=rtcp-mux (RFC 5761: RTCP on the RTP
 * port, told apart by the packet).  The entry keeps the m= line index, who
 * advertised it (caller or callee) and the line's rtpmap, so the stream code
 * can name the codec and its clock rate.
 *
 * Upsert semantics: the latest SDP naming an endpoint wins, even from
 * another call (ports are reused).  Hold with c=0.0.0.0 adds nothing; the
 * old endpoints stay so trailing media still attaches.  Endpoints live until
 * their call is emitted, or until the table is full: then the least recently
 * learnt/used endpoint is dropped (media_endpoints_evicted).
 */
#include "correlator_internal.h"

static uint64_t ep_hash(const corr_t *c, const endpoint_t *ep)
{
    return corr_hash_ep(c->seed, ep);
}

static bool ep_eq(const void *ctx, uint32_t idx, const void *key)
{
    const corr_t *c = ctx;
    return endpoint_eq(&c->eps[idx].ep, key);
}

uint32_t media_find(const corr_t *c, const endpoint_t *ep)
{
    return itab_find(&c->ep_pool.tab, ep_hash(c, ep), ep_eq, c, ep);
}

static void call_list_unlink(corr_t *c, uint32_t ei)
{
    media_ep_t *e = &c->eps[ei];
    if (e->call == CORR_NIL) return;
    call_t *call = &c->calls[e->call];
    if (e->call_prev != CORR_NIL)
        c->eps[e->call_prev].call_next = e->call_next;
    else
        call->ep_head = e->call_next;
    if (e->call_next != CORR_NIL) c->eps[e->call_next].call_prev = e->call_prev;
    e->call = e->call_prev = e->call_next = CORR_NIL;
}

static void ep_release(corr_t *c, uint32_t ei)
{
    call_list_unlink(c, ei);
    pool_put(&c->ep_pool, ei, c->eps[ei].hash);
    c->eps[ei].used = false;
}

void media_release_call(corr_t *c, uint32_t ci)
{
    while (c->calls[ci].ep_head != CORR_NIL)
        ep_release(c, c->calls[ci].ep_head);
}

/* Adds or re-points one endpoint; returns its entry or CORR_NIL. */
static uint32_t ep_upsert(corr_t *c, uint32_t ci, const endpoint_t *ep)
{
    uint64_t h = ep_hash(c, ep);
    uint32_t ei = itab_find(&c->ep_pool.tab, h, ep_eq, c, ep);
    if (ei != CORR_NIL) {
        call_list_unlink(c, ei);
        dlist_touch(&c->ep_pool.lru, ei);
    } else {
        ei = pool_take(&c->ep_pool);
        if (ei == CORR_NIL) {
            ep_release(c, c->ep_pool.lru.tail);
            c->stats.media_endpoints_evicted++;
            ei = pool_take(&c->ep_pool);
        }
        if (ei == CORR_NIL) return CORR_NIL;
        itab_insert(&c->ep_pool.tab, h, ei);
    }
    media_ep_t *e = &c->eps[ei];
    e->used = true;
    e->hash = h;
    e->ep = *ep;
    e->rtcp = e->rtcp_mux = false;
    e->nmap = e->nfmt = 0;
    e->call = ci;
    e->call_prev = CORR_NIL;
    e->call_next = c->calls[ci].ep_head;
    if (e->call_next != CORR_NIL) c->eps[e->call_next].call_prev = ei;
    c->calls[ci].ep_head = ei;
    return ei;
}

static bool addr_usable(const ip_addr_t *a)
{
    if (a->family == IP_NONE) return false;
    for (int i = 0; i < 16; i++)
        if (a->bytes[i]) return true;
    return false; /* 0.0.0.0 / :: = hold (RFC 3264 8.4 legacy) */
}

void media_learn_sdp(corr_t *c, uint32_t ci, const sdp_t *sdp, uint8_t side)
{
    for (int m = 0; m < sdp->media_count && m < SDP_MAX_MEDIA; m++) {
        const sdp_media_t *md = &sdp->media[m];
        if (md->direction != SDP_SENDRECV || !addr_usable(&md->conn)) c->calls[ci].rec.holds++;
        if (md->port == 0 || !addr_usable(&md->conn)) continue;

        endpoint_t ep = {.ip = md->conn, .port = md->port};
        uint32_t ei = ep_upsert(c, ci, &ep);
        if (ei == CORR_NIL) continue;
        media_ep_t *e = &c->eps[ei];
        e->side = side;
        e->media_index = (int8_t)m;
        e->rtcp_mux = md->rtcp_mux;
        e->nfmt = md->fmt_count <= SDP_MAX_FMTS ? md->fmt_count : SDP_MAX_FMTS;
        memcpy(e->fmts, md->fmts, e->nfmt);
        for (int i = 0; i < md->rtpmap_count && e->nmap < CORR_MAP_MAX; i++) {
            codec_map_t *cm = &e->map[e->nmap++];
            cm->pt = md->rtpmap[i].pt;
            cm->clock = md->rtpmap[i].clock_rate;
            corr_copy_sv(cm->name, sizeof cm->name, md->rtpmap[i].encoding);
        }
        if (md->rtcp_mux) continue;

        endpoint_t rtcp = ep;
        if (md->rtcp_port)
            rtcp.port = md->rtcp_port;
        else if (md->port < 65535)
            rtcp.port = (uint16_t)(md->port + 1);
        else
            continue;
        if (addr_usable(&md->rtcp_addr)) rtcp.ip = md->rtcp_addr;
        ei = ep_upsert(c, ci, &rtcp);
        if (ei == CORR_NIL) continue;
        e = &c->eps[ei];
        e->side = side;
        e->media_index = (int8_t)m;
        e->rtcp = true;
    }
}

bool media_codec(const media_ep_t *e, uint8_t pt, const char **name, uint32_t *clock)
{
    if (e) {
        for (int i = 0; i < e->nmap; i++) {
            if (e->map[i].pt == pt) {
                *name = e->map[i].name;
                *clock = e->map[i].clock;
                return true;
            }
        }
    }
    return pt < 96 && rtp_static_codec(pt, name, clock);
}
