/* cstr.c - the strings of live calls (Call-ID, URIs, user parts, tags,
 * User-Agent, reason) in compact blobs, and the size-class allocator that
 * media.c shares for its SDP descriptors (bclass_*).
 *
 * A live call holds its strings in one blob rather than the record's nine
 * 128-byte arrays, so it pays for the strings' lengths only.  The blob is
 * CS_COUNT length bytes, then the strings one after the other, each cut to
 * CORR_STR_MAX - 1 bytes (as the record's arrays cut them) and
 * NUL-terminated, so corr__call_str hands out a C string without copying.  The
 * record's arrays are filled from it at emission (dialog.c, corr__call_emit).
 *
 * Blobs come from CSTR_CLASSES size classes (128, 224, 320, 512 and 1168
 * bytes, the last one fits nine full strings; 224 fits the 166-199 bytes of
 * strings of typical calls with their 18 bytes of lengths and NULs), each a
 * fixed array allocated once in corr_new and only touched as used: a class
 * hands out never-used blobs from a high-water mark and keeps released
 * ones on a free list threaded through the free blobs themselves (the
 * next one's index in a blob's first four bytes), so it needs no memory
 * beside its blobs.  A call takes
 * a 128-byte blob when created and moves to the next class that has room
 * when a string no longer fits (SIP path, never RTP).  The three small
 * classes have one blob per call of max_calls, so a new call always gets
 * one; the larger ones max_calls / 4 and / 16.  When no larger blob is
 * free the string is cut to the room left and counted (call_strings_cut):
 * memory stays bounded whatever the traffic.
 *
 * A forked call's To-tag hashes beyond the CORR__CALL_TAGS_INLINE its entry
 * holds (dialog.c counts early dialogs by distinct To tag, up to
 * CORR_MAX_TAGS) follow the strings, 8 bytes each, and move with them; one
 * that finds no room is not remembered and is counted in call_strings_cut
 * too.  Most calls have one or two tags and pay nothing for the others.
 */
#include "correlator_internal.h"

#include <stdlib.h>

#define CSTR_MIN_BLOBS 16
#define CSTR_MAX_LEN   (CORR_STR_MAX - 1)

static const uint32_t class_size[CSTR_CLASSES] = {128, 224, 320, 512, CS_COUNT *(CORR_STR_MAX + 1)};

/* ------------------------- size classes -------------------------------- */

bool corr__bclass_init(corr__cstr_class_t *cl, uint32_t size, uint32_t cap)
{
    cl->size = size;
    cl->cap = cap < CSTR_MIN_BLOBS ? CSTR_MIN_BLOBS : cap;
    /* pages are touched only as blobs are used: never-used blobs are handed
     * out from `unused` up, released ones from the free list */
    cl->mem = calloc(cl->cap, cl->size);
    cl->free_head = CORR_NIL;
    cl->unused = 0;
    return cl->mem != NULL;
}

void corr__bclass_free(corr__cstr_class_t *cl)
{
    free(cl->mem);
    cl->mem = NULL;
}

uint32_t corr__bclass_take(corr__cstr_class_t *cl)
{
    uint32_t i = cl->free_head;
    if (i != CORR_NIL) {
        memcpy(&cl->free_head, cl->mem + (size_t)i * cl->size, sizeof cl->free_head);
        return i;
    }
    return cl->unused < cl->cap ? cl->unused++ : CORR_NIL;
}

void corr__bclass_put(corr__cstr_class_t *cl, uint32_t i)
{
    memcpy(cl->mem + (size_t)i * cl->size, &cl->free_head, sizeof cl->free_head);
    cl->free_head = i;
}

/* ---------------------------- strings ----------------------------------- */

bool corr__cstr_init(corr_t *c)
{
    uint32_t n = c->cfg.max_calls;
    uint32_t caps[CSTR_CLASSES] = {n, n, n, n / 4, n / 16};
    for (int k = 0; k < CSTR_CLASSES; k++)
        if (!corr__bclass_init(&c->cstr[k], class_size[k], caps[k])) return false;
    return true;
}

void corr__cstr_free(corr_t *c)
{
    for (int k = 0; k < CSTR_CLASSES; k++)
        corr__bclass_free(&c->cstr[k]);
}

static uint8_t *blob(const corr_t *c, uint32_t id)
{
    const corr__cstr_class_t *cl = &c->cstr[id >> CSTR_SHIFT];
    return cl->mem + (size_t)(id & ((1u << CSTR_SHIFT) - 1)) * cl->size;
}

static uint32_t take(corr_t *c, int k)
{
    uint32_t i = corr__bclass_take(&c->cstr[k]);
    if (i == CORR_NIL) return CORR_NIL;
    uint32_t id = (uint32_t)k << CSTR_SHIFT | i;
    memset(blob(c, id), 0, CS_COUNT); /* every string empty */
    uint8_t *p = blob(c, id) + CS_COUNT;
    memset(p, 0, CS_COUNT); /* their NULs */
    return id;
}

uint32_t corr__cstr_new(corr_t *c)
{
    for (int k = 0; k < CSTR_CLASSES; k++) {
        uint32_t id = take(c, k);
        if (id != CORR_NIL) return id;
    }
    return CORR_NIL; /* not reached: class 0 has a blob per call */
}

void corr__cstr_release(corr_t *c, uint32_t id)
{
    if (id == CORR_NIL) return;
    corr__bclass_put(&c->cstr[id >> CSTR_SHIFT], id & ((1u << CSTR_SHIFT) - 1));
}

uint32_t corr__cstr_blob_size(const corr_t *c, const corr__call_t *k)
{
    return k->str == CORR_NIL ? 0 : c->cstr[k->str >> CSTR_SHIFT].size;
}

/* Bytes of the strings: the lengths, every string and its NUL. */
static uint32_t str_bytes(const uint8_t *b)
{
    uint32_t n = 2 * CS_COUNT;
    for (int i = 0; i < CS_COUNT; i++)
        n += b[i];
    return n;
}

/* Bytes of the To-tag hashes after the strings. */
static uint32_t tag_bytes(const corr__call_t *k)
{
    return k->ntags > CORR__CALL_TAGS_INLINE ? (k->ntags - CORR__CALL_TAGS_INLINE) * 8u : 0;
}

/* Moves call k's blob to a larger class when need bytes do not fit: the
 * smallest that fits, else the largest free.  Returns the blob (need may
 * still not fit when every larger class is full). */
static uint8_t *room_for(corr_t *c, corr__call_t *k, uint32_t need)
{
    uint8_t *b = blob(c, k->str);
    int cls = (int)(k->str >> CSTR_SHIFT);
    if (need <= c->cstr[cls].size) return b;
    uint32_t id = CORR_NIL;
    for (int j = cls + 1; j < CSTR_CLASSES && id == CORR_NIL; j++)
        if (need <= c->cstr[j].size || j == CSTR_CLASSES - 1) id = take(c, j);
    for (int j = CSTR_CLASSES - 1; j > cls && id == CORR_NIL; j--)
        id = take(c, j);
    if (id == CORR_NIL) return b;
    uint8_t *nb = blob(c, id);
    memcpy(nb, b, str_bytes(b) + tag_bytes(k));
    corr__cstr_release(c, k->str);
    k->str = id;
    return nb;
}

static uint32_t offset(const uint8_t *b, int i)
{
    uint32_t off = CS_COUNT;
    for (int j = 0; j < i; j++)
        off += b[j] + 1u;
    return off;
}

const char *corr__call_str(const corr_t *c, const corr__call_t *k, int i)
{
    if (k->str == CORR_NIL) return "";
    const uint8_t *b = blob(c, k->str);
    return (const char *)b + offset(b, i);
}

sv_t corr__call_str_sv(const corr_t *c, const corr__call_t *k, int i)
{
    if (k->str == CORR_NIL) return sv_make("", 0);
    const uint8_t *b = blob(c, k->str);
    return sv_make((const char *)b + offset(b, i), b[i]);
}

void corr__call_str_set(corr_t *c, uint32_t ci, int i, sv_t v)
{
    corr__call_t *k = &c->calls[ci];
    if (k->str == CORR_NIL && (k->str = corr__cstr_new(c)) == CORR_NIL) return;
    uint8_t *b = blob(c, k->str);
    uint32_t n = v.len < CSTR_MAX_LEN ? (uint32_t)v.len : CSTR_MAX_LEN;
    uint32_t total = str_bytes(b) + tag_bytes(k);
    uint32_t rest = total - b[i]; /* without string i's bytes */
    b = room_for(c, k, rest + n);
    uint32_t size = c->cstr[k->str >> CSTR_SHIFT].size;
    if (rest + n > size) {
        n = size - rest;
        c->stats.call_strings_cut++;
    }
    uint32_t off = offset(b, i);
    uint32_t tail = total - (off + b[i]); /* from string i's NUL to the end */
    memmove(b + off + n, b + off + b[i], tail);
    if (n) memcpy(b + off, v.p, n);
    b[i] = (uint8_t)n;
}

bool corr__call_tag_in_blob(const corr_t *c, const corr__call_t *k, uint64_t h)
{
    if (k->str == CORR_NIL) return false;
    const uint8_t *b = blob(c, k->str);
    const uint8_t *t = b + str_bytes(b), *end = t + tag_bytes(k);
    for (; t < end; t += 8) {
        uint64_t x;
        memcpy(&x, t, 8);
        if (x == h) return true;
    }
    return false;
}

bool corr__call_tag_add(corr_t *c, uint32_t ci, uint64_t h)
{
    corr__call_t *k = &c->calls[ci];
    if (k->str == CORR_NIL && (k->str = corr__cstr_new(c)) == CORR_NIL) return false;
    uint32_t total = str_bytes(blob(c, k->str)) + tag_bytes(k);
    uint8_t *b = room_for(c, k, total + 8);
    if (total + 8 > c->cstr[k->str >> CSTR_SHIFT].size) {
        c->stats.call_strings_cut++;
        return false;
    }
    memcpy(b + total, &h, 8);
    return true;
}
