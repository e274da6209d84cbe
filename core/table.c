/* table.c - fixed-size containers: an open-addressing index
 * from key hash to entry index (linear probing, backward-shift deletion, load
 * factor <= 1/2), intrusive doubly linked lists threaded by index (LRU and
 * linger queues), and entry pools combining a free list, an LRU and an
 * index.  A pool's free list costs no memory of its own: a free entry is
 * never on the LRU, so the list is threaded through the LRU's next array
 * (released entries, last released first), and never-used entries are
 * handed out from a high-water mark, lowest index first, so their pages are
 * touched only as used.  Everything is allocated once by its owner at start (the correlator in
 * corr_new); no operation here allocates. */
#include "core.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------ dlist ----------------------------------- */

bool tbl_dlist_init(tbl_dlist_t *l, uint32_t n)
{
    l->prev = table_calloc(n, sizeof *l->prev);
    l->next = table_calloc(n, sizeof *l->next);
    l->head = l->tail = TBL_NIL;
    l->count = 0;
    return l->prev && l->next;
}

void tbl_dlist_destroy(tbl_dlist_t *l)
{
    free(l->prev);
    free(l->next);
    l->prev = l->next = NULL;
}

void tbl_dlist_push_head(tbl_dlist_t *l, uint32_t i)
{
    l->prev[i] = TBL_NIL;
    l->next[i] = l->head;
    if (l->head != TBL_NIL) l->prev[l->head] = i;
    l->head = i;
    if (l->tail == TBL_NIL) l->tail = i;
    l->count++;
}

void tbl_dlist_insert_before(tbl_dlist_t *l, uint32_t at, uint32_t i)
{
    if (at == l->head) {
        tbl_dlist_push_head(l, i);
        return;
    }
    uint32_t p = at == TBL_NIL ? l->tail : l->prev[at];
    l->prev[i] = p;
    l->next[i] = at;
    l->next[p] = i;
    if (at != TBL_NIL)
        l->prev[at] = i;
    else
        l->tail = i;
    l->count++;
}

void tbl_dlist_unlink(tbl_dlist_t *l, uint32_t i)
{
    uint32_t p = l->prev[i], n = l->next[i];
    if (p != TBL_NIL)
        l->next[p] = n;
    else
        l->head = n;
    if (n != TBL_NIL)
        l->prev[n] = p;
    else
        l->tail = p;
    l->prev[i] = l->next[i] = TBL_NIL;
    l->count--;
}

/* ------------------------------ itab ------------------------------------ */

/* The index reserves room for its cap (2 slots per entry) but uses only a
 * prefix sized to what is live, doubling as entries arrive: a table of a
 * thousand streams stays in the CPU caches instead of being scattered over
 * megabytes sized for a quarter of a million (the slot load was the largest
 * single cost of the RTP path).  Untouched reserved pages cost no RSS. */
#define ITAB_MIN_SLOTS 1024

static void itab_clear(tbl_itab_t *t, uint32_t slots)
{
    for (uint32_t i = 0; i < slots; i++)
        t->slots[i].idx = TBL_NIL;
    t->mask = slots - 1;
}

static bool itab_init(tbl_itab_t *t, uint32_t entries)
{
    uint64_t cap = 16;
    while (cap < 2ULL * entries)
        cap <<= 1;
    t->slots = table_calloc(cap, sizeof *t->slots);
    if (!t->slots) return false;
    t->max_slots = (uint32_t)cap;
    t->count = 0;
    itab_clear(t, cap < ITAB_MIN_SLOTS ? (uint32_t)cap : ITAB_MIN_SLOTS);
    return true;
}

static void itab_place(tbl_itab_t *t, uint32_t h32, uint32_t idx)
{
    uint32_t i = h32 & t->mask;
    while (t->slots[i].idx != TBL_NIL)
        i = (i + 1) & t->mask;
    t->slots[i].idx = idx;
    t->slots[i].h32 = h32;
}

/* Doubles the slots in use and re-places every entry (not on the per-packet
 * path: only when a new entry pushes the load past 1/2). */
static void itab_grow(tbl_itab_t *t)
{
    uint32_t old = t->mask + 1;
    tbl_itab_slot_t *copy = malloc((size_t)old * sizeof *copy);
    if (!copy) {
        log_error("out of memory growing a correlator index");
        abort();
    }
    memcpy(copy, t->slots, (size_t)old * sizeof *copy);
    itab_clear(t, old * 2);
    for (uint32_t i = 0; i < old; i++)
        if (copy[i].idx != TBL_NIL) itab_place(t, copy[i].h32, copy[i].idx);
    free(copy);
}

void tbl_itab_insert(tbl_itab_t *t, uint64_t h, uint32_t idx)
{
    if (2 * (t->count + 1) > t->mask + 1 && t->mask + 1 < t->max_slots) itab_grow(t);
    t->count++;
    itab_place(t, (uint32_t)h, idx);
}

void tbl_itab_remove(tbl_itab_t *t, uint64_t h, uint32_t idx)
{
    uint32_t i = (uint32_t)h & t->mask;
    for (;; i = (i + 1) & t->mask) {
        if (t->slots[i].idx == TBL_NIL) return; /* not present */
        if (t->slots[i].idx == idx) break;
    }
    t->count--;
    /* backward shift: pull later members of the cluster into the hole when
     * their home bucket does not lie cyclically in (hole, j] */
    uint32_t hole = i, j = i;
    for (;;) {
        j = (j + 1) & t->mask;
        if (t->slots[j].idx == TBL_NIL) break;
        uint32_t home = t->slots[j].h32 & t->mask;
        bool in_range = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!in_range) {
            t->slots[hole] = t->slots[j];
            hole = j;
        }
    }
    t->slots[hole].idx = TBL_NIL;
}

/* ------------------------------ idpool ---------------------------------- */

static uint32_t *link_of(const void *nodes, size_t size, size_t link_off, uint32_t id)
{
    return (uint32_t *)((uint8_t *)nodes + (size_t)(id - 1) * size + link_off);
}

uint32_t tbl_idpool_take(tbl_idpool_t *p, const void *nodes, size_t size, size_t link_off)
{
    uint32_t id = p->free;
    if (id) {
        p->free = *link_of(nodes, size, link_off, id);
        return id;
    }
    return p->unused < p->cap ? ++p->unused : 0;
}

void tbl_idpool_put(tbl_idpool_t *p, void *nodes, size_t size, size_t link_off, uint32_t head,
                    uint32_t tail)
{
    if (!head) return;
    *link_of(nodes, size, link_off, tail) = p->free;
    p->free = head;
}

/* ------------------------------ pool ------------------------------------ */

bool tbl_pool_init(tbl_pool_t *p, uint32_t cap)
{
    memset(p, 0, sizeof *p);
    p->cap = cap;
    p->free_head = TBL_NIL;
    return tbl_dlist_init(&p->lru, cap) && itab_init(&p->tab, cap);
}

void tbl_pool_destroy(tbl_pool_t *p)
{
    tbl_dlist_destroy(&p->lru);
    free(p->tab.slots);
    memset(p, 0, sizeof *p);
}

uint32_t tbl_pool_take(tbl_pool_t *p)
{
    uint32_t i = p->free_head;
    if (i != TBL_NIL)
        p->free_head = p->lru.next[i];
    else if (p->unused < p->cap)
        i = p->unused++;
    else
        return TBL_NIL;
    tbl_dlist_push_head(&p->lru, i);
    return i;
}

void tbl_pool_free_entry(tbl_pool_t *p, uint32_t i)
{
    tbl_dlist_unlink(&p->lru, i);
    p->lru.next[i] = p->free_head;
    p->free_head = i;
}

void tbl_pool_put(tbl_pool_t *p, uint32_t i, uint64_t h)
{
    tbl_itab_remove(&p->tab, h, i);
    tbl_pool_free_entry(p, i);
}
