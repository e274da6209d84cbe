/* table.c - the detectors' capped tables: a fixed pool of fixed-size
 * entries found by a 64-bit key hash, with LRU eviction (core's tbl_pool_t).
 *
 * Every per-source, per-account, per-caller, per-route and per-incident
 * state lives in one of these, sized once from the detector's memory bound
 * (consumer.c), so a flood from a million addresses costs evictions (each
 * counted), never memory.  The key hash is the identity: two keys with the
 * same 64-bit hash share an entry, a 2^-64 chance the detectors accept (the
 * worst outcome is two sources counted together).
 */
#include "det_internal.h"

#include <stdlib.h>
#include <string.h>

static bool key_eq(const void *ctx, uint32_t idx, const void *key)
{
    const det__table_t *t = ctx;
    return t->keys[idx] == *(const uint64_t *)key;
}

size_t det__table_entry_cost(size_t entry_size)
{
    /* the entry, its key, two LRU links, and up to four index slots (8 B
     * each: the index has 2..4 slots per entry) */
    return entry_size + 8 + 8 + 32;
}

bool det__table_init(det__table_t *t, uint32_t cap, size_t entry_size, uint64_t *evicted,
                     uint64_t *mem)
{
    memset(t, 0, sizeof *t);
    if (cap < 1) cap = 1;
    t->entry_size = entry_size;
    t->evicted = evicted;
    t->keys = calloc(cap, sizeof *t->keys);
    t->entries = calloc(cap, entry_size);
    if (!t->keys || !t->entries || !tbl_pool_init(&t->pool, cap)) {
        det__table_free(t);
        return false;
    }
    *mem += (uint64_t)cap * (entry_size + 8 + 8) + (uint64_t)t->pool.tab.max_slots * 8;
    return true;
}

void det__table_free(det__table_t *t)
{
    if (t->pool.cap) tbl_pool_destroy(&t->pool);
    free(t->keys);
    free(t->entries);
    memset(t, 0, sizeof *t);
}

static void *entry(det__table_t *t, uint32_t i)
{
    return t->entries + (size_t)i * t->entry_size;
}

void *det__table_find(det__table_t *t, uint64_t key)
{
    uint32_t i = tbl_itab_find(&t->pool.tab, key, key_eq, t, &key);
    if (i == TBL_NIL) return NULL;
    tbl_dlist_touch(&t->pool.lru, i);
    return entry(t, i);
}

void *det__table_get(det__table_t *t, uint64_t key, bool *created)
{
    void *e = det__table_find(t, key);
    if (e) {
        *created = false;
        return e;
    }
    uint32_t i = tbl_pool_take(&t->pool);
    if (i == TBL_NIL) {
        uint32_t victim = t->pool.lru.tail;
        tbl_pool_put(&t->pool, victim, t->keys[victim]);
        if (t->evicted) (*t->evicted)++;
        i = tbl_pool_take(&t->pool);
    }
    t->keys[i] = key;
    tbl_itab_insert(&t->pool.tab, key, i);
    e = entry(t, i);
    memset(e, 0, t->entry_size);
    *created = true;
    return e;
}

void det__table_remove(det__table_t *t, uint64_t key)
{
    uint32_t i = tbl_itab_find(&t->pool.tab, key, key_eq, t, &key);
    if (i != TBL_NIL) tbl_pool_put(&t->pool, i, key);
}

void det__table_each(det__table_t *t, void (*fn)(void *ctx, void *entry, uint64_t key), void *ctx)
{
    /* from the tail (oldest) to the head; fn may remove the entry it is given */
    uint32_t i = t->pool.lru.tail;
    while (i != TBL_NIL) {
        uint32_t prev = t->pool.lru.prev[i];
        fn(ctx, entry(t, i), t->keys[i]);
        i = prev;
    }
}
