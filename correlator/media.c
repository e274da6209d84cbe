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
 * learnt/used entry is dropped (media_endpoints_evicted).
 *
 * Implied RTCP endpoints: the usual RTCP endpoint, the RTP address on
 * port+1 (none or the same on a=rtcp), takes no entry: the RTP entry's
 * rtcp_next bit stands for it, and corr__media_find answers a lookup that finds
 * no entry with the entry on port-1 when that bit is set (a handle with
 * MEDIA_IMPLIED; corr__media_get gives it as an RTCP endpoint: that entry's
 * call, side and m= line, no descriptor).  The bit follows what a separate
 * entry would do under the upsert rule: an SDP that names the implied
 * endpoint itself (as RTP, or as another line's RTCP) takes it over (the
 * bit is cleared, an entry is made); an SDP that gives the RTP entry a
 * role without that implied endpoint first turns the implied one into an
 * entry of its own for the call that had it; an SDP whose port+1 already
 * has an entry re-points that entry, as before.  So lookups answer as with
 * an entry per RTCP endpoint; only the table's fill differs (an implied
 * endpoint does not count towards max_media_endpoints, and goes with its
 * RTP entry when that is evicted).
 *
 * Memory: an entry is the key, the call links and a descriptor id (40
 * bytes); an RTP endpoint's payload types live in a descriptor blob sized
 * to its m= line, from MDESC_CLASSES size classes (32, 48, 96, 208 bytes;
 * the largest fits SDP_MAX_FMTS formats and CORR_MAP_MAX rtpmap entries)
 * with room for a half, two quarters and an eighth of max_media_endpoints.
 * Layout:
 * nfmt, nmap, the formats, then per rtpmap entry pt, clock (4 bytes, host
 * order), the encoding name cut to CORR_CODEC_NAME - 1 bytes and its NUL;
 * an entry that only repeats what the static payload-type table says (a
 * desk phone's "0 PCMU/8000") or a payload type an earlier entry mapped is
 * not stored, as corr__media_codec answers the same without it (desk phone
 * offer with PCMU, PCMA, G722, G729 and telephone-event: 28 bytes, was 68).
 * A descriptor that finds no free blob is not kept (the endpoint knows no
 * payload type: static ones still resolve) and is counted in
 * media_desc_exhausted.
 */
#include "correlator_internal.h"

#include <string.h>

#define CORR_DESC_HDR 2
/* the largest: every format and rtpmap entry with the longest name */
#define CORR_DESC_MAX (CORR_DESC_HDR + SDP_MAX_FMTS + CORR_MAP_MAX * (5 + CORR_CODEC_NAME))

static const uint32_t desc_size[MDESC_CLASSES] = {32, 48, 96, CORR_DESC_MAX};

bool corr__media_init(corr_t *c)
{
    uint32_t n = c->cfg.max_media_endpoints;
    uint32_t caps[MDESC_CLASSES] = {n / 2, n / 4, n / 4, n / 8};
    for (int k = 0; k < MDESC_CLASSES; k++)
        if (!corr__bclass_init(&c->mdesc[k], desc_size[k], caps[k])) return false;
    return true;
}

void corr__media_free(corr_t *c)
{
    for (int k = 0; k < MDESC_CLASSES; k++)
        corr__bclass_free(&c->mdesc[k]);
}

static const uint8_t *desc(const corr_t *c, uint32_t id)
{
    const corr__cstr_class_t *cl = &c->mdesc[id >> CSTR_SHIFT];
    return cl->mem + (size_t)(id & ((1u << CSTR_SHIFT) - 1)) * cl->size;
}

static void desc_release(corr_t *c, corr__media_ep_t *e)
{
    if (e->desc == CORR_NIL) return;
    corr__bclass_put(&c->mdesc[e->desc >> CSTR_SHIFT], e->desc & ((1u << CSTR_SHIFT) - 1));
    e->desc = CORR_NIL;
}

uint32_t corr__media_desc_size(const corr_t *c, const corr__media_ep_t *e)
{
    return e->desc == CORR_NIL ? 0 : c->mdesc[e->desc >> CSTR_SHIFT].size;
}

const uint8_t *corr__media_fmts(const corr_t *c, const corr__media_ep_t *e, int *n)
{
    *n = 0;
    if (e->desc == CORR_NIL) return NULL;
    const uint8_t *d = desc(c, e->desc);
    *n = d[0];
    return d + CORR_DESC_HDR;
}

/* Writes m's descriptor into a blob of its size for endpoint e. */
static void desc_learn(corr_t *c, corr__media_ep_t *e, const sdp_media_t *md)
{
    uint8_t buf[CORR_DESC_MAX];
    uint32_t nfmt = md->fmt_count <= SDP_MAX_FMTS ? (uint32_t)md->fmt_count : SDP_MAX_FMTS;
    uint32_t len = CORR_DESC_HDR;
    memcpy(buf + len, md->fmts, nfmt);
    len += nfmt;
    uint32_t nmap = 0;      /* entries kept */
    uint8_t seen[32] = {0}; /* payload types an earlier entry maps */
    for (int i = 0; i < md->rtpmap_count && i < CORR_MAP_MAX; i++) {
        char name[CORR_CODEC_NAME];
        corr__copy_sv(name, sizeof name, md->rtpmap[i].encoding);
        size_t nl = strlen(name);
        uint32_t clock = md->rtpmap[i].clock_rate;
        uint8_t pt = md->rtpmap[i].pt;
        /* corr__media_codec takes the first entry of a payload type, else the
         * static table: a repeated type, or one the static table names
         * alike, is not stored (an entry read from the blob and the
         * static table answer the same) */
        bool repeated = seen[pt / 8] & (1u << (pt % 8));
        seen[pt / 8] |= (uint8_t)(1u << (pt % 8));
        const char *sname;
        uint32_t sclock;
        if (repeated || (pt < 96 && rtp_static_codec(pt, &sname, &sclock) && sclock == clock &&
                         strcmp(sname, name) == 0))
            continue;
        nmap++;
        buf[len] = pt;
        memcpy(buf + len + 1, &clock, 4);
        memcpy(buf + len + 5, name, nl + 1);
        len += 5 + (uint32_t)nl + 1;
    }
    buf[0] = (uint8_t)nfmt;
    buf[1] = (uint8_t)nmap;
    desc_release(c, e);
    for (int k = 0; k < MDESC_CLASSES; k++) {
        if (len > c->mdesc[k].size) continue;
        uint32_t i = corr__bclass_take(&c->mdesc[k]);
        if (i == CORR_NIL) continue;
        e->desc = (uint32_t)k << CSTR_SHIFT | i;
        memcpy(c->mdesc[k].mem + (size_t)i * c->mdesc[k].size, buf, len);
        return;
    }
    c->stats.media_desc_exhausted++;
}

static uint64_t ep_hash(const corr_t *c, const endpoint_t *ep)
{
    return corr__hash_ep(c->seed, ep);
}

static bool ep_eq(const void *ctx, uint32_t idx, const void *key)
{
    const corr_t *c = ctx;
    return endpoint_eq(&c->eps[idx].ep, key);
}

/* The entry keyed ep, or CORR_NIL. */
static uint32_t find_entry(const corr_t *c, const endpoint_t *ep)
{
    return tbl_itab_find(&c->ep_pool.tab, ep_hash(c, ep), ep_eq, c, ep);
}

/* The entry whose implied RTCP endpoint is ep (on ep's port - 1, with
 * rtcp_next), or CORR_NIL. */
static uint32_t implied_owner(const corr_t *c, const endpoint_t *ep)
{
    if (ep->port == 0) return CORR_NIL;
    endpoint_t rtp = *ep;
    rtp.port--;
    uint32_t ei = find_entry(c, &rtp);
    return ei != CORR_NIL && c->eps[ei].rtcp_next ? ei : CORR_NIL;
}

uint32_t corr__media_find(const corr_t *c, const endpoint_t *ep)
{
    uint32_t ei = find_entry(c, ep);
    if (ei != CORR_NIL) return ei;
    ei = implied_owner(c, ep);
    return ei == CORR_NIL ? CORR_NIL : ei | MEDIA_IMPLIED;
}

corr__media_ep_t corr__media_get(const corr_t *c, uint32_t h)
{
    corr__media_ep_t e = c->eps[h & ~MEDIA_IMPLIED];
    if (h & MEDIA_IMPLIED) {
        e.ep.port++;
        e.rtcp = true;
        e.rtcp_mux = e.rtcp_next = false;
        e.desc = CORR_NIL;
        e.call_prev = e.call_next = CORR_NIL;
    }
    return e;
}

static void call_list_unlink(corr_t *c, uint32_t ei)
{
    corr__media_ep_t *e = &c->eps[ei];
    if (e->call == CORR_NIL) return;
    corr__call_t *call = &c->calls[e->call];
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
    desc_release(c, &c->eps[ei]);
    tbl_pool_put(&c->ep_pool, ei, ep_hash(c, &c->eps[ei].ep));
    c->eps[ei].used = false;
}

void corr__media_release_call(corr_t *c, uint32_t ci)
{
    while (c->calls[ci].ep_head != CORR_NIL)
        ep_release(c, c->calls[ci].ep_head);
}

/* A free entry at the LRU head, evicting the least recent one when the
 * table is full (never `keep`); CORR_NIL when there is none. */
static uint32_t ep_take(corr_t *c, uint32_t keep)
{
    uint32_t ei = tbl_pool_take(&c->ep_pool);
    if (ei != CORR_NIL) return ei;
    uint32_t victim = c->ep_pool.lru.tail;
    if (victim == CORR_NIL || victim == keep) return CORR_NIL;
    ep_release(c, victim);
    c->stats.media_endpoints_evicted++;
    return tbl_pool_take(&c->ep_pool);
}

static void call_list_link(corr_t *c, uint32_t ci, uint32_t ei)
{
    corr__media_ep_t *e = &c->eps[ei];
    e->call = ci;
    e->call_prev = CORR_NIL;
    e->call_next = c->calls[ci].ep_head;
    if (e->call_next != CORR_NIL) c->eps[e->call_next].call_prev = ei;
    c->calls[ci].ep_head = ei;
}

/* Entry vi's implied RTCP endpoint becomes an entry of its own (vi is
 * about to take a role without it): the RTCP endpoint of vi's call, as a
 * separate entry would have stayed. */
static void implied_to_entry(corr_t *c, uint32_t vi)
{
    corr__media_ep_t v = c->eps[vi];
    c->eps[vi].rtcp_next = false;
    uint32_t ei = ep_take(c, vi);
    if (ei == CORR_NIL) return;
    corr__media_ep_t *e = &c->eps[ei];
    e->used = true;
    e->ep = v.ep;
    e->ep.port++;
    e->rtcp = true;
    e->rtcp_mux = e->rtcp_next = false;
    e->side = v.side;
    e->media_index = v.media_index;
    e->desc = CORR_NIL;
    tbl_itab_insert(&c->ep_pool.tab, ep_hash(c, &e->ep), ei);
    call_list_link(c, v.call, ei);
}

/* Adds or re-points one endpoint; returns its entry or CORR_NIL.
 * keep_next: the new role implies RTCP on port+1 too (the caller sets
 * rtcp_next), so an implied endpoint the entry had stays implied. */
static uint32_t ep_upsert(corr_t *c, uint32_t ci, const endpoint_t *ep, bool keep_next)
{
    uint64_t h = ep_hash(c, ep);
    uint32_t ei = tbl_itab_find(&c->ep_pool.tab, h, ep_eq, c, ep);
    if (ei != CORR_NIL) {
        tbl_dlist_touch(&c->ep_pool.lru, ei);
        if (c->eps[ei].rtcp_next && !keep_next) implied_to_entry(c, ei);
        call_list_unlink(c, ei);
    } else {
        uint32_t owner = implied_owner(c, ep);
        if (owner != CORR_NIL) c->eps[owner].rtcp_next = false; /* taken over */
        ei = ep_take(c, CORR_NIL);
        if (ei == CORR_NIL) return CORR_NIL;
        tbl_itab_insert(&c->ep_pool.tab, h, ei);
        c->eps[ei].desc = CORR_NIL;
    }
    corr__media_ep_t *e = &c->eps[ei];
    e->used = true;
    e->ep = *ep;
    e->rtcp = e->rtcp_mux = e->rtcp_next = false;
    desc_release(c, e);
    call_list_link(c, ci, ei);
    return ei;
}

static bool addr_usable(const ip_addr_t *a)
{
    if (a->family == IP_NONE) return false;
    for (int i = 0; i < 16; i++)
        if (a->bytes[i]) return true;
    return false; /* 0.0.0.0 / :: = hold (RFC 3264 8.4 legacy) */
}

void corr__media_learn_sdp(corr_t *c, uint32_t ci, const sdp_t *sdp, uint8_t side)
{
    for (int m = 0; m < sdp->media_count && m < SDP_MAX_MEDIA; m++) {
        const sdp_media_t *md = &sdp->media[m];
        if (md->direction != SDP_SENDRECV || !addr_usable(&md->conn)) c->calls[ci].rec.holds++;
        if (md->port == 0 || !addr_usable(&md->conn)) continue;

        endpoint_t ep = {.ip = md->conn, .port = md->port};
        endpoint_t rtcp = ep;
        bool have_rtcp = !md->rtcp_mux;
        if (md->rtcp_port)
            rtcp.port = md->rtcp_port;
        else if (md->port < 65535)
            rtcp.port = (uint16_t)(md->port + 1);
        else
            have_rtcp = false;
        if (addr_usable(&md->rtcp_addr)) rtcp.ip = md->rtcp_addr;
        /* RTCP on port+1 of the RTP address: implied by the RTP entry */
        bool implied = have_rtcp && md->port < 65535 && rtcp.port == md->port + 1 &&
                       ip_addr_eq(&rtcp.ip, &ep.ip);

        uint32_t ei = ep_upsert(c, ci, &ep, implied);
        if (ei == CORR_NIL) continue;
        corr__media_ep_t *e = &c->eps[ei];
        e->side = side;
        e->media_index = (int8_t)m;
        e->rtcp_mux = md->rtcp_mux;
        desc_learn(c, e, md);
        if (!have_rtcp) continue;
        if (implied && find_entry(c, &rtcp) == CORR_NIL) {
            e->rtcp_next = true;
            continue;
        }
        ei = ep_upsert(c, ci, &rtcp, false);
        if (ei == CORR_NIL) continue;
        e = &c->eps[ei];
        e->side = side;
        e->media_index = (int8_t)m;
        e->rtcp = true;
    }
}

bool corr__media_codec(const corr_t *c, const corr__media_ep_t *e, uint8_t pt, const char **name,
                       uint32_t *clock)
{
    if (e && e->desc != CORR_NIL) {
        const uint8_t *d = desc(c, e->desc);
        const uint8_t *p = d + CORR_DESC_HDR + d[0];
        for (int i = 0; i < d[1]; i++) {
            const char *nm = (const char *)p + 5;
            if (p[0] == pt) {
                *name = nm;
                memcpy(clock, p + 1, 4);
                return true;
            }
            p += 5 + strlen(nm) + 1;
        }
    }
    return pt < 96 && rtp_static_codec(pt, name, clock);
}
