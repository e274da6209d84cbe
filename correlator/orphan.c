/* orphan.c - UDP flows nobody claimed (neither SIP nor an SDP endpoint),
 * classified with nDPI 4.2 to find media whose signalling was not seen.
 *
 * A flow is directional (src, dst).  Its first ORPHAN_MAX_PKTS datagrams are
 * given to nDPI, which wants an IP packet: a minimal IPv4 or IPv6 + UDP
 * header is written into a scratch buffer in front of a copy of the payload.
 * While nDPI has not decided, datagrams that parse as RTP already feed
 * tentative streams (so packet counts start at the first packet, like
 * tshark's); when nDPI says RTP, RTCP, STUN/DTLS (the WebRTC mux that
 * carries SRTP) or a VoIP-category application, or when nDPI has no verdict
 * but siphon's own RTP checks confirmed an SSRC (see flow_decide), they
 * become orphan streams; otherwise they are dropped.  An idle flow still
 * undecided gets nDPI's best guess before it is forgotten.
 * Then the nDPI flow state (about 1 KB) is freed; the flow entry only
 * remembers the verdict, so later SSRCs of a media flow become orphan
 * streams directly and other flows cost a lookup.
 *
 * Orphan streams are emitted (on_orphan_stream, call_id "") when silent for
 * orphan_idle_timeout_ns, when evicted from the stream table, and at
 * corr_flush.  Flows are capped by max_orphan_flows (LRU eviction, counted)
 * and forgotten after the same idle timeout.
 *
 * nDPI's detection module is opened at the first unclaimed datagram
 * (ndpi_open), so a capture without one never pays for it.
 */
#include "correlator_internal.h"

#include <ndpi/ndpi_api.h>
#include <pthread.h>
#include <stdlib.h>

#define ORPHAN_MAX_PKTS 12
#define ORPHAN_HDR_MAX  48 /* IPv6 (40) + UDP (8) */
#define ORPHAN_MIN_RTP  4  /* packets of a confirmed SSRC when nDPI has no verdict */

static uint64_t flow_hash(const corr_t *c, const endpoint_t *src, const endpoint_t *dst)
{
    return corr__hash_ep(corr__hash_ep(c->seed ^ 0x6f7270ULL, src), dst);
}

typedef struct {
    const endpoint_t *src, *dst;
} fkey_t;

static bool flow_eq(const void *ctx, uint32_t idx, const void *key)
{
    const corr__oflow_t *f = &((const corr_t *)ctx)->flows[idx];
    const fkey_t *k = key;
    return endpoint_eq(&f->src, k->src) && endpoint_eq(&f->dst, k->dst);
}

/* nDPI is opened when the first unclaimed datagram needs it, not here:
 * its detection module costs ~100,000 allocations and ~45 ms of CPU
 * (its IP lists loaded into Patricia trees), which a capture whose media
 * all belongs to calls never needs. */
bool corr__orphan_init(corr_t *c)
{
    (void)c;
    return true;
}

/* Opening is serialised across correlators: with --threads each shard
 * opens its own module from its own thread, and nDPI's start-up also
 * initialises libgcrypt, which must not run twice at once. */
static pthread_mutex_t ndpi_open_lock = PTHREAD_MUTEX_INITIALIZER;

/* Opens nDPI and the scratch packet; false (once logged, then silently)
 * when that fails, and classification stays off. */
static bool ndpi_open(corr_t *c)
{
    if (c->ndpi) return true;
    if (c->ndpi_failed) return false;
    pthread_mutex_lock(&ndpi_open_lock);
    c->ndpi = ndpi_init_detection_module(ndpi_no_prefs);
    if (c->ndpi) {
        NDPI_PROTOCOL_BITMASK all;
        NDPI_BITMASK_SET_ALL(all);
        ndpi_set_protocol_detection_bitmask2(c->ndpi, &all);
        ndpi_finalize_initialization(c->ndpi);
    }
    pthread_mutex_unlock(&ndpi_open_lock);
    c->ndpi_pkt = malloc(ORPHAN_HDR_MAX + 65535);
    if (!c->ndpi || !c->ndpi_pkt) {
        log_error("correlator: cannot start nDPI; unclaimed UDP flows are not classified");
        if (c->ndpi) ndpi_exit_detection_module(c->ndpi);
        c->ndpi = NULL;
        free(c->ndpi_pkt);
        c->ndpi_pkt = NULL;
        c->ndpi_failed = true;
        return false;
    }
    return true;
}

static void flow_release(corr_t *c, uint32_t fi)
{
    corr__oflow_t *f = &c->flows[fi];
    corr__stream_flow_decided(c, fi, false, ORPHAN_PROTO_NONE, 0); /* tentative streams go */
    if (f->nf) ndpi_free_flow(f->nf);
    f->nf = NULL;
    tbl_pool_put(&c->flow_pool, fi, f->hash);
    f->used = false;
}

void corr__orphan_free(corr_t *c)
{
    if (c->flows && c->flow_pool.lru.prev) {
        while (c->flow_pool.lru.tail != CORR_NIL)
            flow_release(c, c->flow_pool.lru.tail);
    }
    if (c->ndpi) ndpi_exit_detection_module(c->ndpi);
    c->ndpi = NULL;
    free(c->ndpi_pkt);
    c->ndpi_pkt = NULL;
}

/* Builds IP + UDP + payload in the scratch buffer; returns its length (0
 * when it cannot be represented). */
static size_t build_ip_packet(corr_t *c, const datagram_t *dg)
{
    uint8_t *b = c->ndpi_pkt;
    size_t hl = dg->src.ip.family == IP_V6 ? 40 : 20;
    size_t max = 65535 - hl - 8;
    size_t plen = dg->len < max ? dg->len : max;
    size_t ulen = plen + 8, tot = hl + ulen;
    memset(b, 0, hl + 8);
    if (hl == 20) {
        b[0] = 0x45;
        b[2] = (uint8_t)(tot >> 8);
        b[3] = (uint8_t)tot;
        b[8] = 64;
        b[9] = 17;
        memcpy(b + 12, dg->src.ip.bytes, 4);
        memcpy(b + 16, dg->dst.ip.bytes, 4);
    } else {
        b[0] = 0x60;
        b[4] = (uint8_t)(ulen >> 8);
        b[5] = (uint8_t)ulen;
        b[6] = 17;
        b[7] = 64;
        memcpy(b + 8, dg->src.ip.bytes, 16);
        memcpy(b + 24, dg->dst.ip.bytes, 16);
    }
    uint8_t *u = b + hl;
    u[0] = (uint8_t)(dg->src.port >> 8);
    u[1] = (uint8_t)dg->src.port;
    u[2] = (uint8_t)(dg->dst.port >> 8);
    u[3] = (uint8_t)dg->dst.port;
    u[4] = (uint8_t)(ulen >> 8);
    u[5] = (uint8_t)ulen;
    memcpy(u + 8, dg->data, plen);
    return tot;
}

static bool is_media_proto(uint16_t id)
{
    return id == NDPI_PROTOCOL_RTP || id == NDPI_PROTOCOL_RTCP || id == NDPI_PROTOCOL_STUN ||
           id == NDPI_PROTOCOL_DTLS;
}

/* The protocol id a verdict is filed under: a media master protocol (RTP,
 * STUN/DTLS) wins over the application nDPI names on top of it (e.g. master
 * STUN, app GoogleHangoutDuo is WebRTC media); a VoIP-category application
 * (WhatsAppCall, Zoom, ...) counts as RTP media; otherwise the app, else the
 * master. */
static uint16_t proto_id(struct ndpi_detection_module_struct *ndpi, ndpi_protocol p)
{
    if (is_media_proto(p.master_protocol)) return p.master_protocol;
    if (is_media_proto(p.app_protocol)) return p.app_protocol;
    uint16_t id = p.app_protocol != NDPI_PROTOCOL_UNKNOWN ? p.app_protocol : p.master_protocol;
    if (id != NDPI_PROTOCOL_UNKNOWN &&
        ndpi_get_proto_category(ndpi, p) == NDPI_PROTOCOL_CATEGORY_VOIP)
        return NDPI_PROTOCOL_RTP;
    return id;
}

/* ORPHAN_PROTO_* of a media protocol id (the record says "RTP", ...). */
static uint8_t media_proto_kind(uint16_t id)
{
    switch (id) {
    case NDPI_PROTOCOL_RTP:
        return ORPHAN_PROTO_RTP;
    case NDPI_PROTOCOL_RTCP:
        return ORPHAN_PROTO_RTCP;
    default:
        return ORPHAN_PROTO_SRTP; /* STUN/DTLS-muxed media (WebRTC) */
    }
}

/* When nDPI cannot tell (Unknown after giving up), siphon's own RTP checks
 * decide: a tentative stream confirmed by RFC 3550 A.1 (MIN_SEQUENTIAL
 * in-order packets of one SSRC, version 2) with at least ORPHAN_MIN_RTP
 * packets makes the flow media. */
static bool flow_has_confirmed_rtp(const corr_t *c, const corr__oflow_t *f)
{
    for (uint32_t si = f->st_head; si != CORR_NIL; si = c->streams[si].owner_next) {
        const rtp_stats_t *st = &c->streams[si].stats;
        if (st->probation == 0 && st->packets >= ORPHAN_MIN_RTP) return true;
    }
    return false;
}

static void flow_decide(corr_t *c, uint32_t fi, uint16_t id)
{
    corr__oflow_t *f = &c->flows[fi];
    if (id == NDPI_PROTOCOL_UNKNOWN && flow_has_confirmed_rtp(c, f)) id = NDPI_PROTOCOL_RTP;
    bool media = is_media_proto(id);
    f->state = media ? OFLOW_MEDIA : OFLOW_OTHER;
    f->proto = id;
    c->stats.orphan_flows++;
    if (media) c->stats.orphan_flows_media++;
    corr__stream_flow_decided(c, fi, media, media ? media_proto_kind(id) : ORPHAN_PROTO_NONE, id);
    if (f->nf) ndpi_free_flow(f->nf);
    f->nf = NULL;
}

/* nDPI's best guess for a flow it has not decided on. */
static void flow_giveup(corr_t *c, uint32_t fi)
{
    uint8_t guessed = 0;
    flow_decide(c, fi,
                proto_id(c->ndpi, ndpi_detection_giveup(c->ndpi, c->flows[fi].nf, 1, &guessed)));
}

static uint32_t flow_get(corr_t *c, const datagram_t *dg)
{
    uint64_t h = flow_hash(c, &dg->src, &dg->dst);
    fkey_t k = {&dg->src, &dg->dst};
    uint32_t fi = tbl_itab_find(&c->flow_pool.tab, h, flow_eq, c, &k);
    if (fi != CORR_NIL) {
        tbl_dlist_touch(&c->flow_pool.lru, fi);
        return fi;
    }
    fi = tbl_pool_take(&c->flow_pool);
    if (fi == CORR_NIL) {
        flow_release(c, c->flow_pool.lru.tail);
        c->stats.orphan_flows_evicted++;
        fi = tbl_pool_take(&c->flow_pool);
        if (fi == CORR_NIL) return CORR_NIL;
    }
    corr__oflow_t *f = &c->flows[fi];
    memset(f, 0, sizeof *f);
    f->nf = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT);
    if (!f->nf) {
        tbl_pool_free_entry(&c->flow_pool, fi);
        return CORR_NIL;
    }
    memset(f->nf, 0, SIZEOF_FLOW_STRUCT);
    f->used = true;
    f->hash = h;
    f->src = dg->src;
    f->dst = dg->dst;
    f->st_head = CORR_NIL;
    tbl_itab_insert(&c->flow_pool.tab, h, fi);
    return fi;
}

void corr__orphan_on_datagram(corr_t *c, const datagram_t *dg, const rtp_header_t *rh)
{
    c->stats.udp_unclaimed++;
    if (!c->cfg.classify_orphans || dg->src.ip.family == IP_NONE ||
        dg->src.ip.family != dg->dst.ip.family || !ndpi_open(c))
        return;
    uint32_t fi = flow_get(c, dg);
    if (fi == CORR_NIL) return;
    corr__oflow_t *f = &c->flows[fi];
    f->last_ns = dg->ts_ns;
    if (f->state == OFLOW_OTHER) return;

    if (rh) {
        uint64_t h = corr__stream_hash(c, &dg->src, &dg->dst, rh->ssrc);
        uint32_t si = corr__stream_find(c, h, &dg->src, &dg->dst, rh->ssrc);
        if (si == CORR_NIL) {
            bool decided = f->state == OFLOW_MEDIA;
            si =
                corr__stream_new(c, h, &dg->src, &dg->dst, rh->ssrc, decided ? CORR_NIL : fi, true);
            if (si != CORR_NIL) {
                corr__stream_t *s = &c->streams[si];
                s->tentative = !decided;
                if (decided) {
                    s->orphan_reason = f->proto;
                    s->orphan_proto = media_proto_kind(f->proto);
                }
            }
        }
        if (si != CORR_NIL) {
            c->stats.rtp_packets++;
            corr__stream_rtp(c, si, rh, dg->ts_ns);
        }
    }
    if (f->state != OFLOW_CLASSIFYING) return;

    size_t n = build_ip_packet(c, dg);
    ndpi_protocol p = ndpi_detection_process_packet(c->ndpi, f->nf, c->ndpi_pkt, (unsigned short)n,
                                                    (uint64_t)(dg->ts_ns / NS_PER_MSEC));
    f->packets++;
    uint16_t id = proto_id(c->ndpi, p);
    if (id != NDPI_PROTOCOL_UNKNOWN)
        flow_decide(c, fi, id);
    else if (f->packets >= ORPHAN_MAX_PKTS)
        flow_giveup(c, fi);
}

void corr__orphan_expire(corr_t *c, int64_t now_ns)
{
    int64_t idle = c->cfg.orphan_idle_timeout_ns;
    /* idle flows nDPI is still looking at get its best guess first, so their
     * tentative streams are decided rather than silently dropped */
    for (uint32_t fi = c->flow_pool.lru.tail;
         fi != CORR_NIL && ts_sub_sat(now_ns, c->flows[fi].last_ns) >= idle;
         fi = c->flow_pool.lru.prev[fi])
        if (c->flows[fi].state == OFLOW_CLASSIFYING && c->flows[fi].nf) flow_giveup(c, fi);
    uint32_t si;
    while ((si = c->orphan_lru.tail) != CORR_NIL &&
           ts_sub_sat(now_ns, c->streams[si].stats.last_ts_ns) >= idle) {
        if (c->streams[si].tentative)
            corr__stream_release(c, si);
        else
            corr__stream_emit_orphan(c, si);
    }
    uint32_t fi;
    while ((fi = c->flow_pool.lru.tail) != CORR_NIL &&
           ts_sub_sat(now_ns, c->flows[fi].last_ns) >= idle)
        flow_release(c, fi);
}

void corr__orphan_flush(corr_t *c)
{
    /* flows still undecided: ask nDPI for its best guess now */
    for (uint32_t fi = c->flow_pool.lru.head; fi != CORR_NIL; fi = c->flow_pool.lru.next[fi])
        if (c->flows[fi].state == OFLOW_CLASSIFYING && c->flows[fi].nf) flow_giveup(c, fi);
    uint32_t si;
    while ((si = c->orphan_lru.tail) != CORR_NIL) {
        if (c->streams[si].tentative)
            corr__stream_release(c, si);
        else
            corr__stream_emit_orphan(c, si);
    }
    while (c->flow_pool.lru.tail != CORR_NIL)
        flow_release(c, c->flow_pool.lru.tail);
}
