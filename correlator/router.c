/* router.c - which correlator shard owns a datagram.
 *
 * A multi-threaded siphon runs several correlators ("shards"), each owning
 * a disjoint set of calls.  Capture threads ask the router, per datagram,
 * which shard must see it, so that every message of a call and every RTP
 * or RTCP packet of its media reach the same correlator, in capture order:
 *
 *  - SIP (UDP that sip_probe accepts, or a message framed from TCP/WS): the
 *    shard of hash(Call-ID).  An RFC 6035 vq-rtcpxr PUBLISH goes to the
 *    shard of the call it reports on (its body's CallID), where vq_attach.c
 *    looks for that call.  Every SDP a SIP message carries is learnt: each
 *    RTP and RTCP endpoint it names is written to the route table with the
 *    message's shard (sdp_media_rtp_endpoint / sdp_media_rtcp_endpoint: the
 *    very endpoints the shard's media table will hold).
 *  - media (UDP with RTP version bits): the shard of its source endpoint
 *    when an SDP named it, else of its destination (the correlator's own
 *    rule: the sender's SDP names the call), else the flow's shard.  An
 *    RTP stream (source, destination, SSRC) an SDP named stays on the
 *    shard its first packet went to, as a stream stays with the call it
 *    was attached to in the correlator: when a later SDP names one of its
 *    endpoints for another call (a UAS answering every call from one media
 *    port), the new call's streams go to the new call's shard, the old
 *    ones stay (the stream table: same buckets as the route table).
 *  - anything else (unparsable SIP, other UDP): the flow's shard, a
 *    symmetric hash of the two endpoints, so both directions of an orphan
 *    flow meet in one correlator for nDPI classification.
 *
 * The route table maps an endpoint to a shard: 8-way buckets of 64-bit
 * words {56-bit endpoint tag, 8-bit shard}, one cache line per bucket,
 * read and written with relaxed atomics so any number of capture threads
 * share it without locks (a torn update is impossible: one word per entry;
 * a race between two threads learning the same endpoint leaves one of the
 * two answers, as it would on one thread in the other order).  Like the
 * correlator's media table, the latest SDP naming an endpoint wins.  A
 * full bucket overwrites one entry chosen by the tag (counted): that
 * endpoint's packets then take the flow's shard, where they are counted
 * as orphan media, never lost.  Entries are not removed when calls end: a
 * stale entry sends trailing media to the shard that had the call, which
 * is where one correlator would have seen it too.
 *
 * A SIP message is parsed here, on the capture thread, and only here: the
 * parse travels to the shard with the datagram (corr_route_parse_size /
 * corr_route_parse_write: the message's fixed fields and the headers it
 * has, views as offsets into its bytes), and the shard's correlator takes
 * it instead of parsing the header block again (corr_on_datagram_parsed,
 * parse.c).
 *
 * Cost: media packets do one or two bucket probes (a cache line each), RTP
 * a third for its stream; SDP bodies are parsed once more in the shard.
 */
#include "correlator_internal.h"

#include <stdlib.h>

#define ROUTE_WAYS 8

struct corr_router {
    uint32_t shards;
    uint64_t seed;
    uint64_t bucket_mask;
    _Atomic uint64_t *table;     /* (bucket_mask + 1) * ROUTE_WAYS words */
    _Atomic uint64_t *streams;   /* RTP streams' shards, same shape */
    _Atomic uint64_t generation; /* bumped by every SDP learnt */
};

/* Per-thread scratch: the parsed message and SDP (too big for a stack). */
struct corr_route_ctx {
    corr_router_t *r;
    sip_msg_t msg;
    sdp_t sdp;
    vq_report_t vq;
    corr_route_stats_t stats;
    bool unnamed_media;  /* the last datagram: media no SDP named */
    bool parsed;         /* the last datagram: msg is its parse */
    proto_status_t st;   /* ... and this the parser's answer */
    const uint8_t *base; /* ... of these bytes */
};

corr_router_t *corr_router_new(uint32_t shards, uint32_t endpoints)
{
    if (shards == 0 || shards > 255) return NULL;
    corr_router_t *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    uint64_t buckets = 1;
    while (buckets * ROUTE_WAYS < (uint64_t)endpoints * 2 && buckets < (1ull << 28))
        buckets <<= 1;
    r->shards = shards;
    r->seed = hash_seed();
    r->bucket_mask = buckets - 1;
    atomic_init(&r->generation, 0);
    r->table = aligned_alloc(64, buckets * ROUTE_WAYS * sizeof *r->table);
    r->streams = aligned_alloc(64, buckets * ROUTE_WAYS * sizeof *r->streams);
    if (!r->table || !r->streams) {
        corr_router_free(r);
        return NULL;
    }
    for (uint64_t i = 0; i < buckets * ROUTE_WAYS; i++) {
        atomic_init(&r->table[i], 0);
        atomic_init(&r->streams[i], 0);
    }
    return r;
}

void corr_router_free(corr_router_t *r)
{
    if (!r) return;
    free(r->table);
    free(r->streams);
    free(r);
}

corr_route_ctx_t *corr_route_ctx_new(corr_router_t *r)
{
    corr_route_ctx_t *x = calloc(1, sizeof *x);
    if (x) x->r = r;
    return x;
}

void corr_route_ctx_free(corr_route_ctx_t *x)
{
    free(x);
}

const corr_route_stats_t *corr_route_ctx_stats(const corr_route_ctx_t *x)
{
    return &x->stats;
}

/* ------------------------------ the table ------------------------------- */

/* The correlator's endpoint hash keyed by the router's random seed, then a
 * final mix so the bucket bits and the tag bits are both well spread. */
static uint64_t ep_key(const corr_router_t *r, const endpoint_t *ep)
{
    return hash_u64(corr__hash_ep(r->seed, ep));
}

#define ROUTE_TAG(h) ((((h) >> 8) | 1) << 8) /* h's top 56 bits, never 0 */

static _Atomic uint64_t *bucket_in(const corr_router_t *r, _Atomic uint64_t *t, uint64_t h)
{
    return &t[(h & r->bucket_mask) * ROUTE_WAYS];
}

static _Atomic uint64_t *bucket_of(const corr_router_t *r, uint64_t h)
{
    return bucket_in(r, r->table, h);
}

static int bucket_find(_Atomic uint64_t *b, uint64_t tag)
{
    for (int i = 0; i < ROUTE_WAYS; i++) {
        uint64_t w = atomic_load_explicit(&b[i], memory_order_relaxed);
        if ((w & ~0xffull) == tag) return (int)(w & 0xff);
        if (w == 0) break;
    }
    return -1;
}

/* The key of an RTP stream (src, dst, ssrc) in the stream table. */
static uint64_t stream_key(const corr_router_t *r, const datagram_t *dg)
{
    uint32_t ssrc;
    memcpy(&ssrc, dg->data + 8, sizeof ssrc);
    return hash_u64(ep_key(r, &dg->src) ^ hash_u64(ep_key(r, &dg->dst) + ssrc));
}

static int route_lookup(const corr_router_t *r, const endpoint_t *ep)
{
    uint64_t h = ep_key(r, ep);
    return bucket_find(bucket_of(r, h), ROUTE_TAG(h));
}

/* Writes {tag of h, shard} into table t (a full bucket loses one entry). */
static void table_learn(corr_route_ctx_t *x, _Atomic uint64_t *t, uint64_t h, uint32_t shard)
{
    uint64_t tag = ROUTE_TAG(h), word = tag | shard;
    _Atomic uint64_t *b = bucket_in(x->r, t, h);
    for (int i = 0; i < ROUTE_WAYS; i++) {
        uint64_t w = atomic_load_explicit(&b[i], memory_order_relaxed);
        if (w == 0 || (w & ~0xffull) == tag) {
            if (w != word) atomic_store_explicit(&b[i], word, memory_order_relaxed);
            return;
        }
    }
    x->stats.endpoints_replaced++;
    atomic_store_explicit(&b[(tag >> 8) % ROUTE_WAYS], word, memory_order_relaxed);
}

static void route_learn(corr_route_ctx_t *x, const endpoint_t *ep, uint32_t shard)
{
    table_learn(x, x->r->table, ep_key(x->r, ep), shard);
}

/* ------------------------------ routing --------------------------------- */

static uint32_t shard_of_bytes(const corr_router_t *r, const void *p, size_t n)
{
    return (uint32_t)(hash_bytes(p, n, r->seed) % r->shards);
}

/* Symmetric in the two endpoints: both directions of a flow agree. */
static uint32_t flow_shard(const corr_router_t *r, const datagram_t *dg)
{
    uint64_t a = ep_key(r, &dg->src), b = ep_key(r, &dg->dst);
    return (uint32_t)(hash_u64(a ^ b) % r->shards);
}

/* The endpoints first, then the generation (release): a thread that sees
 * the new generation (acquire) finds the endpoints. */
static void learn_sdp(corr_route_ctx_t *x, const sip_msg_t *m, uint32_t shard)
{
    sv_t body;
    if (!m->body.len || !sip_find_sdp(m, &body) || sdp_parse(body, &x->sdp) != PROTO_OK) return;
    for (int i = 0; i < x->sdp.media_count && i < SDP_MAX_MEDIA; i++) {
        endpoint_t ep;
        if (sdp_media_rtp_endpoint(&x->sdp.media[i], &ep)) {
            route_learn(x, &ep, shard);
            x->stats.endpoints_learnt++;
        }
        if (sdp_media_rtcp_endpoint(&x->sdp.media[i], &ep)) route_learn(x, &ep, shard);
    }
    atomic_fetch_add_explicit(&x->r->generation, 1, memory_order_release);
}

static uint32_t route_sip(corr_route_ctx_t *x, const datagram_t *dg)
{
    corr_router_t *r = x->r;
    sip_msg_t *m = &x->msg;
    proto_status_t st = sip_parse_message(dg->data, dg->len, m);
    x->parsed = true;
    x->st = st;
    x->base = dg->data;
    if (st == PROTO_INVALID || m->call_id.len == 0) {
        x->stats.by_flow++;
        return flow_shard(r, dg);
    }
    x->stats.sip++;
    sv_t id = m->call_id;
    if (m->is_request && m->method == SIP_PUBLISH && m->body.len && corr__vq_is_report_publish(m) &&
        vq_report_parse(m->body, &x->vq) == PROTO_OK && x->vq.call_id.len)
        id = x->vq.call_id;
    uint32_t shard = shard_of_bytes(r, id.p, id.len);
    learn_sdp(x, m, shard);
    return shard;
}

uint32_t corr_route(corr_route_ctx_t *x, const datagram_t *dg)
{
    corr_router_t *r = x->r;
    x->unnamed_media = false;
    x->parsed = false;
    if (r->shards == 1) return 0;
    if (!dg->data || dg->len == 0) return 0;
    if (dg->transport != TRANSPORT_UDP) return route_sip(x, dg);
    if (dg->len >= 12 && (dg->data[0] >> 6) == 2) {
        /* RTP (not RTCP, which the correlator matches by endpoint alone):
         * a stream already placed stays */
        bool rtp = !(dg->data[1] >= 192 && dg->data[1] <= 223);
        uint64_t sk = rtp ? stream_key(r, dg) : 0;
        int s = rtp ? bucket_find(bucket_in(r, r->streams, sk), ROUTE_TAG(sk)) : -1;
        if (s >= 0 && (uint32_t)s < r->shards) {
            x->stats.media_by_sdp++;
            return (uint32_t)s;
        }
        s = route_lookup(r, &dg->src);
        if (s < 0) s = route_lookup(r, &dg->dst);
        if (s >= 0 && (uint32_t)s < r->shards) {
            x->stats.media_by_sdp++;
            if (rtp) table_learn(x, r->streams, sk, (uint32_t)s);
            return (uint32_t)s;
        }
        x->stats.by_flow++;
        x->unnamed_media = true;
        return flow_shard(r, dg);
    }
    if (sip_probe(dg->data, dg->len)) return route_sip(x, dg);
    x->stats.by_flow++;
    return flow_shard(r, dg);
}

size_t corr_route_parse_size(const corr_route_ctx_t *x)
{
    return x->parsed ? corr__parse_size(&x->msg, x->st) : 0;
}

void corr_route_parse_write(const corr_route_ctx_t *x, void *out)
{
    corr__parse_write(&x->msg, x->st, x->base, out);
}

bool corr_route_unnamed_media(const corr_route_ctx_t *x)
{
    return x->unnamed_media;
}

uint64_t corr_router_generation(const corr_router_t *r)
{
    return atomic_load_explicit(&((corr_router_t *)r)->generation, memory_order_acquire);
}
