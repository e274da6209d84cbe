/* stream.c - the RTP stream table: one entry per (source endpoint,
 * destination endpoint, SSRC) (RFC 3550 8: an SSRC identifies a source
 * within a session; keying on both endpoints too keeps SSRC collisions of
 * unrelated calls apart).
 *
 * A stream is owned by a call (attached through an SDP endpoint) or is an
 * orphan (owned by an nDPI-classified flow, or by nobody once the flow is
 * gone).  The table is capped (max_streams); when it is full the least
 * recently active stream is dropped: an orphan is emitted first, a call's
 * stream is lost and counted (streams_evicted).  Each call holds at most
 * max_streams_per_call streams; packets of extra SSRCs are counted in
 * rtp_dropped_stream_cap.  Every entry (streams_tracked) ends either in a
 * record (call_streams, orphan_streams) or, released without one (an
 * evicted call stream, a flow nDPI found not media), in streams_unwritten.
 *
 * The per-packet work (corr__stream_rtp) is a payload-type cache check and
 * rtp_stats_update: the codec lookup runs only when the payload type changes.
 *
 * Codec names are interned: a stream keeps the id of a shared entry (name
 * and the count of streams naming it; the entry goes with its last
 * stream), so the handful of names a network uses cost a few entries, not
 * 16 bytes per stream.  The table has an entry per stream and one more, so
 * it can never be full.
 */
#include "correlator_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

uint64_t corr__stream_hash(const corr_t *c, const endpoint_t *src, const endpoint_t *dst,
                           uint32_t ssrc)
{
    return corr__hash_ep(corr__hash_ep(c->seed ^ ssrc, src), dst);
}

typedef struct {
    const endpoint_t *src, *dst;
    uint32_t ssrc;
} skey_t;

static bool stream_eq(const void *ctx, uint32_t idx, const void *key)
{
    const corr__stream_t *s = &((const corr_t *)ctx)->streams[idx];
    const skey_t *k = key;
    return s->ssrc == k->ssrc && endpoint_eq(&s->src, k->src) && endpoint_eq(&s->dst, k->dst);
}

uint32_t corr__stream_find(const corr_t *c, uint64_t h, const endpoint_t *src,
                           const endpoint_t *dst, uint32_t ssrc)
{
    skey_t k = {src, dst, ssrc};
    return tbl_itab_find(&c->stream_pool.tab, h, stream_eq, c, &k);
}

/* ---------------------------- codec names ------------------------------- */

bool corr__codec_names_init(corr_t *c)
{
    uint32_t n = c->cfg.max_streams + 1;
    c->codec_names = calloc(n, sizeof *c->codec_names);
    return c->codec_names && tbl_pool_init(&c->codec_pool, n);
}

void corr__codec_names_free(corr_t *c)
{
    tbl_pool_destroy(&c->codec_pool);
    free(c->codec_names);
    c->codec_names = NULL;
}

static bool codec_eq(const void *ctx, uint32_t idx, const void *key)
{
    return strcmp(((const corr_t *)ctx)->codec_names[idx].name, key) == 0;
}

static uint64_t codec_hash(const corr_t *c, const char *name)
{
    return hash_bytes(name, strlen(name), c->seed);
}

static void codec_put(corr_t *c, corr__stream_t *s)
{
    if (!s->codec) return;
    uint32_t i = s->codec - 1;
    s->codec = 0;
    if (--c->codec_names[i].refs) return;
    tbl_pool_put(&c->codec_pool, i, codec_hash(c, c->codec_names[i].name));
}

/* Names stream s's codec (cut as the record's array cuts it). */
static void codec_set(corr_t *c, corr__stream_t *s, const char *name)
{
    char cut[CORR_CODEC_NAME];
    snprintf(cut, sizeof cut, "%s", name);
    if (s->codec && strcmp(c->codec_names[s->codec - 1].name, cut) == 0) return;
    codec_put(c, s);
    uint64_t h = codec_hash(c, cut);
    uint32_t i = tbl_itab_find(&c->codec_pool.tab, h, codec_eq, c, cut);
    if (i == CORR_NIL) {
        i = tbl_pool_take(&c->codec_pool);
        if (i == CORR_NIL) return; /* not reached: an entry per stream and one more */
        memcpy(c->codec_names[i].name, cut, sizeof cut);
        c->codec_names[i].refs = 0;
        tbl_itab_insert(&c->codec_pool.tab, h, i);
    }
    c->codec_names[i].refs++;
    s->codec = i + 1;
}

/* ---------------------------- owner lists ------------------------------- */

static uint32_t *owner_head(corr_t *c, const corr__stream_t *s)
{
    if (s->owner == CORR_NIL) return NULL;
    return s->orphan ? &c->flows[s->owner].st_head : &c->calls[s->owner].st_head;
}

static void owner_unlink(corr_t *c, uint32_t si)
{
    corr__stream_t *s = &c->streams[si];
    uint32_t *head = owner_head(c, s);
    if (!head) return;
    if (s->owner_prev != CORR_NIL)
        c->streams[s->owner_prev].owner_next = s->owner_next;
    else
        *head = s->owner_next;
    if (s->owner_next != CORR_NIL) c->streams[s->owner_next].owner_prev = s->owner_prev;
    if (!s->orphan) c->calls[s->owner].nstreams--;
    s->owner = s->owner_prev = s->owner_next = CORR_NIL;
}

static void owner_link(corr_t *c, uint32_t si, uint32_t owner, bool orphan)
{
    corr__stream_t *s = &c->streams[si];
    s->owner = owner;
    s->orphan = orphan;
    s->owner_prev = s->owner_next = CORR_NIL;
    uint32_t *head = owner_head(c, s);
    if (!head) return;
    s->owner_next = *head;
    if (*head != CORR_NIL) c->streams[*head].owner_prev = si;
    *head = si;
    if (!orphan) c->calls[owner].nstreams++;
}

void corr__stream_release(corr_t *c, uint32_t si)
{
    corr__stream_t *s = &c->streams[si];
    if (!s->written) c->stats.streams_unwritten++;
    owner_unlink(c, si);
    if (s->orphan) tbl_dlist_unlink(&c->orphan_lru, si);
    tbl_pool_put(&c->stream_pool, si, corr__stream_hash(c, &s->src, &s->dst, s->ssrc));
    sq_free(&s->quality);
    corr__dtmf_list_free(c, &s->x.dtmf);
    corr__rtcp_release(c, s);
    codec_put(c, s);
    s->used = false;
}

/* ----------------------------- creation --------------------------------- */

uint32_t corr__stream_new(corr_t *c, uint64_t h, const endpoint_t *src, const endpoint_t *dst,
                          uint32_t ssrc, uint32_t owner, bool orphan)
{
    if (!orphan && c->calls[owner].nstreams >= c->cfg.max_streams_per_call) {
        c->stats.rtp_dropped_stream_cap++;
        return CORR_NIL;
    }
    uint32_t si = tbl_pool_take(&c->stream_pool);
    if (si == CORR_NIL) {
        uint32_t victim = c->stream_pool.lru.tail;
        if (victim == CORR_NIL) return CORR_NIL;
        if (c->streams[victim].orphan && !c->streams[victim].tentative)
            corr__stream_emit_orphan(c, victim);
        else
            corr__stream_release(c, victim);
        c->stats.streams_evicted++;
        si = tbl_pool_take(&c->stream_pool);
        if (si == CORR_NIL) return CORR_NIL;
    }
    corr__stream_t *s = &c->streams[si];
    memset(s, 0, offsetof(corr__stream_t, stats)); /* codec 0: none */
    memset(&s->x, 0, sizeof s->x);
    s->used = true;
    s->src = *src;
    s->dst = *dst;
    s->ssrc = ssrc;
    s->media_index = -1;
    rtp_stats_init(&s->stats, 0);
    sq_init(&s->quality, &c->cfg.quality);
    tbl_itab_insert(&c->stream_pool.tab, h, si);
    owner_link(c, si, owner, orphan);
    if (orphan) tbl_dlist_push_head(&c->orphan_lru, si);
    c->stats.streams_tracked++;
    return si;
}

/* Direction and m= line of a stream from the endpoint that matched it:
 * matched_dst means the packet was sent to e, so it travels towards the
 * side that advertised e. */
void corr__stream_set_side(corr__stream_t *s, const corr__media_ep_t *e, bool matched_dst)
{
    s->media_index = e->media_index;
    bool to_advertiser = matched_dst;
    bool advertiser_is_caller = e->side == SIDE_CALLER;
    s->from_caller = to_advertiser ? !advertiser_is_caller : advertiser_is_caller;
}

void corr__stream_attach_call(corr_t *c, uint32_t si, uint32_t ci, const corr__media_ep_t *e,
                              bool matched_dst)
{
    corr__stream_t *s = &c->streams[si];
    if (s->owner != CORR_NIL || s->orphan) {
        owner_unlink(c, si);
        if (s->orphan) tbl_dlist_unlink(&c->orphan_lru, si);
    }
    if (c->calls[ci].nstreams >= c->cfg.max_streams_per_call) {
        /* keep it as an orphan without owner rather than lose it */
        s->orphan = true;
        tbl_dlist_push_head(&c->orphan_lru, si);
        c->stats.rtp_dropped_stream_cap++;
        return;
    }
    s->tentative = false;
    s->orphan_proto = ORPHAN_PROTO_NONE;
    s->orphan_reason = 0;
    owner_link(c, si, ci, false);
    corr__stream_set_side(s, e, matched_dst);
    s->last_pt_valid = false; /* re-resolve the codec with the SDP map */
}

/* ------------------------------ packets --------------------------------- */

static void stream_resolve_pt(corr_t *c, corr__stream_t *s, uint8_t pt, const corr__media_ep_t *ep)
{
    const char *name = NULL;
    uint32_t clock = 0;
    bool known = corr__media_codec(c, ep, pt, &name, &clock);
    bool cn = pt == 13 || pt == 19;
    bool dtmf = known && strncasecmp(name, "telephone-event", 15) == 0;
    s->last_pt = pt;
    s->last_pt_valid = true;
    s->last_pt_cn = cn;
    s->stats.clock_rate = (!known || dtmf) ? 0 : clock; /* as tshark: no jitter */
    if (!cn && !dtmf && (!s->have_codec || s->payload_type == pt)) {
        s->have_codec = true;
        s->payload_type = pt;
        if (known) codec_set(c, s, name);
        sq_set_codec(&s->quality, corr__stream_codec(c, s));
    }
}

/* The SDP endpoint describing a call stream's payload types (its
 * destination, else its source), copied into *e, or NULL. */
static const corr__media_ep_t *stream_endpoint(const corr_t *c, const corr__stream_t *s,
                                               corr__media_ep_t *e)
{
    if (s->orphan) return NULL;
    uint32_t ei = corr__media_find(c, &s->dst);
    if (ei == CORR_NIL || corr__media_call(c, ei) != s->owner) ei = corr__media_find(c, &s->src);
    if (ei == CORR_NIL || corr__media_call(c, ei) != s->owner) return NULL;
    *e = corr__media_get(c, ei);
    return e;
}

void corr__stream_rtp(corr_t *c, uint32_t si, const rtp_header_t *rh, int64_t ts)
{
    corr__stream_t *s = &c->streams[si];
    for (size_t off = 64; off < STREAM_HOT_END; off += 64)
        __builtin_prefetch((const char *)s + off, 1);
    if (!s->last_pt_valid || s->last_pt != rh->payload_type) {
        corr__media_ep_t e;
        const corr__media_ep_t *ep = stream_endpoint(c, s, &e);
        stream_resolve_pt(c, s, rh->payload_type, ep);
        corr__flags_on_pt(c, s, rh->payload_type, ep);
    }
    corr__flags_on_rtp(c, s, rh, ts); /* before the stats: reads the previous packet */
    rtp_stats_update(&s->stats, rh->seq, rh->timestamp, rh->marker, s->last_pt_cn, rh->payload_len,
                     ts);
    /* a quality interval this packet closes: its figures before the packet */
    sq_interval_t iv = {0}; /* set when iv_closes; zeroed for gcc -O2 LTO's flow analysis */
    uint32_t iv_index = 0;
    bool iv_closes = c->sink.on_quality_interval && sq_interval_due(&s->quality, ts);
    if (iv_closes) {
        sq_interval_peek(&s->quality, &c->cfg.quality, &iv);
        iv_index = sq_intervals_closed(&s->quality);
    }
    sq_update(&s->quality, &c->cfg.quality, rh->seq, rh->timestamp, rh->marker, s->stats.clock_rate,
              ts);
    if (iv_closes) corr__events_interval(c, s, &iv, iv_index, ts);
    if (ts_sub_sat(ts, s->lru_ns) >= CORR_LRU_GRAIN_NS) {
        s->lru_ns = ts;
        tbl_dlist_touch(&c->stream_pool.lru, si);
    }
    if (s->orphan) tbl_dlist_touch(&c->orphan_lru, si); /* exact: drives idle expiry */
}

/* ------------------------------- output --------------------------------- */

void corr__stream_to_record(const corr_t *c, const corr__stream_t *s, const char *call_id,
                            corr_stream_t *out)
{
    memset(out, 0, sizeof *out);
    out->src = s->src;
    out->dst = s->dst;
    out->ssrc = s->ssrc;
    out->payload_type = s->have_codec ? s->payload_type : s->last_pt;
    snprintf(out->codec, sizeof out->codec, "%s", corr__stream_codec(c, s));
    out->from_caller = s->from_caller;
    out->media_index = s->media_index;
    out->stats = s->stats;
    out->rtcp_packets = s->rtcp_packets;
    snprintf(out->call_id, sizeof out->call_id, "%s", call_id);
    out->orphan_reason = s->orphan_reason;
    static const char *const proto_names[] = {"", "RTP", "RTCP", "SRTP"};
    if (s->orphan_proto < sizeof proto_names / sizeof proto_names[0])
        snprintf(out->orphan_proto, sizeof out->orphan_proto, "%s", proto_names[s->orphan_proto]);
    corr__rtcp_to_record(c, s, out);
    corr__dtmf_to_record(c, s, out);
    /* Settles the tracker: records are made once, right before the stream
     * is released (the stream entry itself is not const). */
    sq_finish((sq_t *)&s->quality, &c->cfg.quality, out->rtcp_rtt_ms, &out->quality);
    /* a handful of packets says nothing about how a call sounded */
    if (out->stats.packets < CORR_MOS_MIN_PACKETS) out->quality.scored = false;
}

void corr__stream_call_quality(corr_stream_t *recs, corr_call_t *r)
{
    r->mos = r->mos_min = -1;
    if (r->t38_caller || r->t38_callee) {
        /* fax (T.38, or G.711 pass-through after a refused T.38 offer): the
         * E-model scores speech, a fax is not listened to */
        for (uint32_t i = 0; i < r->stream_count; i++)
            recs[i].quality.scored = false;
        return;
    }
    for (uint32_t i = 0; i < r->stream_count; i++) {
        const sq_result_t *q = &recs[i].quality;
        if (!q->scored) continue;
        if (r->mos < 0 || q->mos < r->mos) r->mos = q->mos;
        if (r->mos_min < 0 || q->mos_min < r->mos_min) r->mos_min = q->mos_min;
    }
    /* one-way audio: the silent direction is heard as nothing at all, the
     * E-model's floor (100 % loss: R 0, MOS 1.0); the call is that bad */
    for (uint8_t i = 0; i < r->flag_count; i++)
        if (r->flags[i].flag == CORR_CALL_FLAG_ONE_WAY_AUDIO) r->mos = r->mos_min = 1.0;
}

void corr__stream_emit_orphan(corr_t *c, uint32_t si)
{
    corr_stream_t rec;
    corr__stream_to_record(c, &c->streams[si], "", &rec);
    c->streams[si].written = true;
    c->stats.orphan_streams++;
    corr__events_final_intervals(c, &rec, 1);
    if (c->sink.on_orphan_stream) c->sink.on_orphan_stream(c->sink.user, &rec);
    corr__stream_release(c, si);
}

void corr__stream_flow_decided(corr_t *c, uint32_t fi, bool media, uint8_t proto, int proto_id)
{
    while (c->flows[fi].st_head != CORR_NIL) {
        uint32_t si = c->flows[fi].st_head;
        corr__stream_t *s = &c->streams[si];
        if (!media) {
            corr__stream_release(c, si);
            continue;
        }
        owner_unlink(c, si); /* an orphan without owner from now on */
        s->orphan = true;
        s->tentative = false;
        s->orphan_reason = (uint16_t)proto_id;
        s->orphan_proto = proto;
    }
}
