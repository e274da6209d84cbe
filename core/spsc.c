/* spsc.c - a bounded, lock-free, single-producer/single-consumer ring of
 * variable-length records: how threads hand work to each other.
 *
 * Design.  One contiguous power-of-two buffer; `head` (bytes ever written)
 * belongs to the producer, `tail` (bytes ever consumed) to the consumer,
 * each on its own cache line and each side keeping a cached copy of the
 * other's index so the shared line is read only when the cached value says
 * the ring looks full (producer) or empty (consumer).  A record is an
 * 8-byte header {length, type} followed by the payload, padded to 8 bytes,
 * and never wraps: when it does not fit before the end of the buffer the
 * producer writes a SPSC_PAD header that tells the consumer to skip to the
 * start.  Publication is one release store of `head` per record (or per
 * batch: spsc_reserve/spsc_commit), consumption one release store of `tail`
 * per spsc_release, which may cover many records.
 *
 * Nothing is allocated after spsc_init; a full ring makes spsc_reserve
 * return NULL and the caller decides whether to wait (files: lossless) or
 * drop and count (live capture).
 */
#include "core.h"

#include <stdlib.h>
#include <string.h>

#define SPSC_ALIGN  8u
#define SPSC_HDR    8u
#define SPSC_PAD    UINT32_MAX /* record type: skip to the buffer start */
#define SPSC_MIN_SZ 4096u

typedef struct {
    uint32_t len;  /* payload bytes */
    uint32_t type; /* caller's record type, or SPSC_PAD */
} spsc_hdr_t;

static size_t round_up(size_t n)
{
    return (n + SPSC_ALIGN - 1) & ~(size_t)(SPSC_ALIGN - 1);
}

bool spsc_init(spsc_t *q, size_t capacity)
{
    memset(q, 0, sizeof *q);
    size_t cap = SPSC_MIN_SZ;
    while (cap < capacity && cap < ((size_t)1 << 40))
        cap <<= 1;
    q->buf = aligned_alloc(64, cap);
    if (!q->buf) return false;
    q->cap = cap;
    q->mask = cap - 1;
    atomic_init(&q->head, 0);
    atomic_init(&q->tail, 0);
    return true;
}

void spsc_free(spsc_t *q)
{
    free(q->buf);
    q->buf = NULL;
}

size_t spsc_max_record(const spsc_t *q)
{
    return q->cap / 2 - SPSC_HDR;
}

/* Room for need bytes from the producer's position, refreshing the cached
 * tail only when the cached one says no. */
static bool has_room(spsc_t *q, uint64_t head, size_t need)
{
    if (head + need - q->p_tail_cache <= q->cap) return true;
    q->p_tail_cache = atomic_load_explicit(&q->tail, memory_order_acquire);
    return head + need - q->p_tail_cache <= q->cap;
}

void *spsc_reserve(spsc_t *q, uint32_t type, size_t len)
{
    size_t rec = SPSC_HDR + round_up(len);
    if (rec > q->cap / 2 || type == SPSC_PAD) return NULL;
    uint64_t head = q->p_head;
    size_t off = (size_t)(head & q->mask), to_end = q->cap - off;
    if (rec > to_end) { /* pad to the end, then start over at 0 */
        if (!has_room(q, head, to_end + rec)) return NULL;
        spsc_hdr_t *pad = (spsc_hdr_t *)(q->buf + off);
        pad->len = (uint32_t)(to_end - SPSC_HDR);
        pad->type = SPSC_PAD;
        head += to_end;
        off = 0;
    } else if (!has_room(q, head, rec)) {
        return NULL;
    }
    spsc_hdr_t *h = (spsc_hdr_t *)(q->buf + off);
    h->len = (uint32_t)len;
    h->type = type;
    q->p_head = head; /* the pad, if any, is published with the record */
    q->p_pending = rec;
    return q->buf + off + SPSC_HDR;
}

void spsc_commit(spsc_t *q)
{
    q->p_head += q->p_pending;
    q->p_pending = 0;
    atomic_store_explicit(&q->head, q->p_head, memory_order_release);
}

bool spsc_push(spsc_t *q, uint32_t type, const void *data, size_t len)
{
    void *p = spsc_reserve(q, type, len);
    if (!p) return false;
    if (len) memcpy(p, data, len);
    spsc_commit(q);
    return true;
}

const void *spsc_peek(spsc_t *q, uint32_t *type, size_t *len)
{
    for (;;) {
        uint64_t pos = q->c_pos;
        if (pos == q->c_head_cache) {
            q->c_head_cache = atomic_load_explicit(&q->head, memory_order_acquire);
            if (pos == q->c_head_cache) return NULL;
        }
        const spsc_hdr_t *h = (const spsc_hdr_t *)(q->buf + (pos & q->mask));
        if (h->type == SPSC_PAD) {
            q->c_pos += SPSC_HDR + h->len;
            continue;
        }
        *type = h->type;
        *len = h->len;
        return h + 1;
    }
}

void spsc_next(spsc_t *q)
{
    const spsc_hdr_t *h = (const spsc_hdr_t *)(q->buf + (q->c_pos & q->mask));
    q->c_pos += SPSC_HDR + round_up(h->len);
}

void spsc_release(spsc_t *q)
{
    atomic_store_explicit(&q->tail, q->c_pos, memory_order_release);
}

bool spsc_empty(spsc_t *q)
{
    return q->c_pos == atomic_load_explicit(&q->head, memory_order_acquire);
}
