/* prefetch.c - the correlator's look-ahead for RTP: the memory a stream's
 * packet needs is requested a few packets before the packet is handled.
 *
 * Why: with tens of thousands of streams, an RTP packet's handling is a
 * chain of dependent cache misses: the stream index slot (its position
 * comes from the hash), then the stream entry (its address comes from the
 * slot).  Handled one packet at a time the misses follow one another;
 * requested ahead, the misses of several packets overlap.
 *
 * Design: two stages, one call per datagram, CORR_LOOKAHEAD calls apart.
 * Stage 1 (the datagram CORR_LOOKAHEAD_DIST ahead of the one being fed):
 * an RTP-looking UDP datagram's stream key is hashed exactly as on_media
 * will hash it and the index slot is prefetched; the hash waits in the
 * driver's ring.  Stage 2 (CORR_LOOKAHEAD calls later, so the slot has had
 * time to arrive): the slot's probe sequence is read, and the entry whose
 * stored hash matches (the key itself is not compared: a wrong guess only
 * wastes a prefetch) is prefetched whole.  Nothing is written to the
 * correlator: the ring belongs to the caller (corr_lookahead_t), so a
 * shard thread and the inline driver each keep their own.
 *
 * While the stream table is small (la->min_streams; the drivers use
 * CORR_LOOKAHEAD_MIN_STREAMS, 4,096 entries, ~2.7 MB) its entries stay in
 * the caches and the look-ahead would only add instructions (4 % of them
 * on 1,000 calls, measured with callgrind), so stage 1 is skipped.
 */
#include "correlator_internal.h"

/* Slots probed in stage 2 before giving up (load <= 1/2: clusters are
 * short). */
#define PREFETCH_PROBES 4

/* 1 when an entry was found (and prefetched).  The count it feeds is not
 * only a statistic: GCC takes a function whose only effects are prefetches
 * for pure and deletes a call whose result is unused. */
static uint32_t prefetch_entry(const corr_t *c, uint64_t h)
{
    const tbl_itab_t *t = &c->stream_pool.tab;
    uint32_t h32 = (uint32_t)h;
    uint32_t i = h32 & t->mask;
    for (int n = 0; n < PREFETCH_PROBES; n++, i = (i + 1) & t->mask) {
        tbl_itab_slot_t s = t->slots[i];
        if (s.idx == CORR_NIL) return 0;
        if (s.h32 != h32) continue;
        const char *e = (const char *)&c->streams[s.idx];
        for (size_t off = 0; off < sizeof(corr__stream_t); off += 64)
            __builtin_prefetch(e + off, 1);
        __builtin_prefetch(e + sizeof(corr__stream_t) - 1, 1);
        return 1;
    }
    return 0;
}

void corr_prefetch(const corr_t *c, corr_lookahead_t *la, const datagram_t *dg)
{
    uint32_t i = la->pos++ % CORR_LOOKAHEAD;
    if (la->valid[i]) la->found += prefetch_entry(c, la->h[i]);
    la->valid[i] = false;
    if (!dg || dg->transport != TRANSPORT_UDP || !dg->data || dg->len < 12) return;
    if (c->stream_pool.tab.count < la->min_streams) return; /* all in the caches */
    const uint8_t *p = dg->data;
    if ((p[0] >> 6) != 2 || (p[1] >= 192 && p[1] <= 223)) return; /* not RTP (on_media) */
    uint32_t ssrc = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
    uint64_t h = corr__stream_hash(c, &dg->src, &dg->dst, ssrc);
    const tbl_itab_t *t = &c->stream_pool.tab;
    __builtin_prefetch(&t->slots[(uint32_t)h & t->mask]);
    la->h[i] = h;
    la->valid[i] = true;
}
