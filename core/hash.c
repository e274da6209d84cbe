/* hash.c - a small, fast 64-bit hash for table keys (a multiply-xorshift
 * construction in the style of wyhash/murmur finalisers) and a per-process
 * random seed so that attacker-chosen keys cannot be aimed at one bucket. */
#include "core.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

uint64_t hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

uint64_t hash_bytes(const void *data, size_t len, uint64_t seed)
{
    const uint8_t *p = data;
    uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ULL);
    while (len >= 8) {
        h = (h ^ hash_u64(load64(p))) * 0x9e3779b97f4a7c15ULL;
        h ^= h >> 29;
        p += 8;
        len -= 8;
    }
    uint64_t tail = 0;
    for (size_t i = 0; i < len; i++)
        tail |= (uint64_t)p[i] << (8 * i);
    h = (h ^ hash_u64(tail + len)) * 0x9e3779b97f4a7c15ULL;
    return hash_u64(h);
}

/* Drawn on first use, which may come from several threads at once (each
 * capture thread's decoder asks for it): the first draw to be published
 * wins, atomically, and 0 means "not drawn yet" (a draw of 0 becomes 1). */
uint64_t hash_seed(void)
{
    static _Atomic uint64_t seed;
    uint64_t v = atomic_load_explicit(&seed, memory_order_acquire);
    if (v) return v;
    uint64_t draw;
    if (getrandom(&draw, sizeof draw, 0) != (ssize_t)sizeof draw)
        draw = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL;
    if (!draw) draw = 1;
    if (atomic_compare_exchange_strong_explicit(&seed, &v, draw, memory_order_acq_rel,
                                                memory_order_acquire))
        return draw;
    return v; /* another thread published first */
}
