/* ip_frag.c - IPv4 (RFC 791) and IPv6 (RFC 8200 section 4.5) fragment
 * reassembly with bounded memory.
 *
 * Design:
 *  - A datagram in reassembly is keyed by (family, source, destination,
 *    identification) plus the protocol for IPv4, as the RFCs define.  Entries
 *    are a fixed array of max_frag_datagrams allocated at start, managed by
 *    core's entry pool (core/table.c: free list, an index by the key's
 *    hash seeded per decoder, and an LRU list ordered by last fragment
 *    seen), so a fragment never allocates an entry.
 *  - Each entry holds its data as a list of non-overlapping pieces sorted by
 *    offset.  Overlap policy is FIRST-WINS (like BSD and the RFC 5722 spirit
 *    of never letting a later fragment rewrite bytes already received): a
 *    fragment overlapping data already held only contributes the bytes that
 *    fill holes; the overlap is counted once per fragment in frag_overlaps
 *    (exact duplicates count too).  Fragments that contradict the datagram's
 *    end (a second, different last fragment; data past the end) are invalid.
 *  - Non-final fragments must be a multiple of 8 bytes; a datagram may not
 *    exceed 65535 bytes of payload (CAP__REASM_MAX).
 *  - Limits (cap_limits_t): at most max_frag_datagrams entries and
 *    max_frag_bytes buffered in total; on either, the least recently used
 *    entry is dropped (frag_evicted).  Entries idle for frag_timeout_ns are
 *    dropped by cap__frag_expire (frag_timeouts).
 *  - The data itself stays in heap pieces, one per hole a fragment fills:
 *    fragments range from 8 bytes to 64 KiB, so a fixed pool would need a
 *    64 KiB slot per entry (256 MiB at the default cap) or an allocator of
 *    its own; the pieces are bounded instead, by max_frag_bytes in total
 *    (each charged PIECE_COST besides its data) and MAX_PIECES per datagram.
 *  - A completed datagram is copied into one of CAP__REASM_LEVELS
 *    preallocated-on-first-use 64 KiB buffers (levels allow a reassembled
 *    tunnel to carry fragments of its own) and decoded from there.
 */
#include "capture_internal.h"

#include <stdlib.h>

/* Memory charged per piece on top of its data (header and malloc overhead),
 * and the most pieces one datagram may be cut into: both keep a flood of
 * tiny fragments from costing more than max_frag_bytes suggests or turning
 * the sorted-list insert quadratic. */
#define PIECE_COST 48u
#define MAX_PIECES 512u

typedef struct piece {
    struct piece *next;
    uint32_t off, len;
    uint8_t data[];
} piece_t;

struct cap__frag_ent {
    cap__frag_key_t key;
    uint64_t hash;
    int64_t last_ns;
    uint32_t total; /* payload length, known once the last fragment came */
    uint32_t bytes; /* data bytes held (pieces never overlap) */
    uint32_t npieces;
    uint8_t proto; /* upper-layer protocol from the offset-0 fragment */
    bool have_first, have_last;
    piece_t *pieces;
};

bool cap__frag_init(cap_decoder_t *d)
{
    cap__frag_table_t *t = &d->frag;
    t->ents = table_calloc(d->lim.max_frag_datagrams, sizeof *t->ents);
    return t->ents && tbl_pool_init(&t->pool, d->lim.max_frag_datagrams);
}

/* Entry i's pieces go back to the heap and the entry to the pool. */
static void ent_destroy(cap_decoder_t *d, uint32_t i)
{
    cap__frag_table_t *t = &d->frag;
    cap__frag_ent_t *e = &t->ents[i];
    for (piece_t *p = e->pieces, *n; p; p = n) {
        n = p->next;
        free(p);
    }
    t->bytes -= e->bytes + (uint64_t)e->npieces * PIECE_COST;
    tbl_pool_put(&t->pool, i, e->hash);
    memset(e, 0, sizeof *e);
}

void cap__frag_free(cap_decoder_t *d)
{
    cap__frag_table_t *t = &d->frag;
    if (t->ents)
        while (t->pool.lru.head != TBL_NIL)
            ent_destroy(d, t->pool.lru.head);
    free(t->ents);
    t->ents = NULL;
    tbl_pool_destroy(&t->pool);
}

void cap__frag_expire(cap_decoder_t *d, int64_t now_ns)
{
    cap__frag_table_t *t = &d->frag;
    int64_t cutoff = ts_sub_sat(now_ns, d->lim.frag_timeout_ns);
    while (t->pool.lru.tail != TBL_NIL && t->ents[t->pool.lru.tail].last_ns < cutoff) {
        ent_destroy(d, t->pool.lru.tail);
        d->st.frag_timeouts++;
    }
}

/* Drops least recently used entries other than keep (TBL_NIL: none) until
 * want more bytes fit and an entry is free (when need_slot).  False if
 * impossible. */
static bool make_room(cap_decoder_t *d, uint32_t keep, size_t want, bool need_slot)
{
    cap__frag_table_t *t = &d->frag;
    while ((need_slot && t->pool.lru.count >= d->lim.max_frag_datagrams) ||
           t->bytes + want > d->lim.max_frag_bytes) {
        uint32_t v = t->pool.lru.tail;
        if (v != TBL_NIL && v == keep) v = t->pool.lru.prev[v];
        if (v == TBL_NIL) return false;
        ent_destroy(d, v);
        d->st.frag_evicted++;
    }
    return true;
}

static bool key_eq(const void *ctx, uint32_t i, const void *key)
{
    const cap__frag_ent_t *ents = ctx;
    return memcmp(&ents[i].key, key, sizeof ents[i].key) == 0;
}

/* Adds bytes [off, off+len) of data to e, keeping only the parts that fill
 * holes (first wins).  Sets *overlap when any byte was already there.
 * False on allocation failure. */
static bool add_pieces(cap_decoder_t *d, cap__frag_ent_t *e, uint32_t off, const uint8_t *data,
                       uint32_t len, bool *overlap)
{
    uint32_t pos = off, end = off + len;
    piece_t **pp = &e->pieces;
    while (pos < end) {
        piece_t *cur = *pp;
        uint32_t hole_end = end;
        if (cur) {
            if (cur->off + cur->len <= pos) { /* entirely before pos */
                pp = &cur->next;
                continue;
            }
            if (cur->off <= pos) { /* pos is inside cur: skip what it has */
                *overlap = true;
                pos = cur->off + cur->len;
                pp = &cur->next;
                continue;
            }
            if (cur->off < end) {
                hole_end = cur->off;
                *overlap = true;
            }
        }
        uint32_t n = hole_end - pos;
        if (e->npieces >= MAX_PIECES) return false;
        piece_t *np = malloc(sizeof *np + n);
        if (!np) return false;
        np->off = pos;
        np->len = n;
        memcpy(np->data, data + (pos - off), n);
        np->next = cur;
        *pp = np;
        pp = &np->next;
        e->bytes += n;
        e->npieces++;
        d->frag.bytes += n + PIECE_COST;
        pos = hole_end;
    }
    return true;
}

bool cap__frag_add(cap_decoder_t *d, const cap__frag_key_t *key, uint32_t off, bool last,
                   uint8_t next_proto, const uint8_t *data, size_t len, int64_t ts_ns,
                   cap__cur_t *out, uint8_t *proto)
{
    cap__frag_table_t *t = &d->frag;
    d->st.frag_fragments++;
    if (len > CAP__REASM_MAX || off + len > CAP__REASM_MAX || (!last && (len == 0 || len % 8))) {
        d->st.invalid++;
        return false;
    }
    uint32_t end = off + (uint32_t)len;

    uint64_t h = hash_bytes(key, sizeof *key, d->seed);
    uint32_t ei = tbl_itab_find(&t->pool.tab, h, key_eq, t->ents, key);
    cap__frag_ent_t *e;

    if (ei != TBL_NIL) {
        e = &t->ents[ei];
        /* Consistency with the end of the datagram. */
        if (e->have_last) {
            if ((last && e->total != end) || end > e->total) goto bad;
        } else if (last && e->pieces) {
            piece_t *p = e->pieces; /* no byte may lie past the new end */
            while (p->next)
                p = p->next;
            if (p->off + p->len > end) goto bad;
        }
    } else {
        if (!make_room(d, TBL_NIL, len + PIECE_COST, true)) return false;
        ei = tbl_pool_take(&t->pool); /* a free entry: make_room made one */
        e = &t->ents[ei];
        e->key = *key;
        e->hash = h;
        tbl_itab_insert(&t->pool.tab, h, ei);
    }
    if (!make_room(d, ei, len + PIECE_COST, false)) {
        ent_destroy(d, ei);
        d->st.frag_evicted++;
        return false;
    }
    bool overlap = false;
    if (!add_pieces(d, e, off, data, (uint32_t)len, &overlap)) {
        d->st.invalid++; /* too many pieces (or out of memory) */
        ent_destroy(d, ei);
        return false;
    }
    if (overlap) d->st.frag_overlaps++;
    if (off == 0 && !e->have_first) {
        e->have_first = true;
        e->proto = next_proto;
    }
    if (last) {
        e->have_last = true;
        e->total = end;
    }
    e->last_ns = ts_ns;
    tbl_dlist_touch(&t->pool.lru, ei);

    if (!(e->have_first && e->have_last && e->bytes == e->total)) return false;

    /* Complete: pieces cover [0, total) exactly. */
    if (d->reasm_level >= CAP__REASM_LEVELS) {
        d->st.invalid++;
        ent_destroy(d, ei);
        return false;
    }
    uint8_t *buf = d->reasm_buf[d->reasm_level];
    if (!buf) {
        buf = malloc(CAP__REASM_MAX);
        if (!buf) {
            ent_destroy(d, ei);
            return false;
        }
        d->reasm_buf[d->reasm_level] = buf;
    }
    for (piece_t *p = e->pieces; p; p = p->next)
        memcpy(buf + p->off, p->data, p->len);
    *out = cap__cur(buf, e->total);
    *proto = e->proto;
    ent_destroy(d, ei);
    d->reasm_level++;
    d->st.frag_reassembled++;
    return true;

bad:
    d->st.invalid++;
    return false;
}

void cap__frag_release(cap_decoder_t *d)
{
    if (d->reasm_level > 0) d->reasm_level--;
}
