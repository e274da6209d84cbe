/* ids.c - stable row ids: the same record gives the same key in every run.
 *
 * Writes are idempotent because every row's key is derived from what the
 * row is, never from when or by whom it was written: a second import of a
 * capture, or a spooled batch replayed after it had in fact reached the
 * database, produces the same keys and ON CONFLICT DO NOTHING skips them.
 *
 * The hash is SipHash-2-4 (Aumasson and Bernstein) with fixed keys, written
 * here rather than taken from core/hash.c because these ids are a storage
 * format: they must never change when a faster in-memory hash is chosen.
 * A UUID is two SipHash values under two keys with the version (8, "custom",
 * RFC 9562 5.8) and variant bits set: 122 bits of hash.  A 64-bit id only
 * has to be unique inside its distribution key (one call's streams, one
 * Call-ID's messages), where a collision is out of reach.
 */
#include "st_internal.h"

#include <string.h>

#define ST__ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define ST__ROUND(v0, v1, v2, v3)                                                                  \
    do {                                                                                           \
        v0 += v1, v1 = ST__ROTL(v1, 13), v1 ^= v0, v0 = ST__ROTL(v0, 32);                          \
        v2 += v3, v3 = ST__ROTL(v3, 16), v3 ^= v2;                                                 \
        v0 += v3, v3 = ST__ROTL(v3, 21), v3 ^= v0;                                                 \
        v2 += v1, v1 = ST__ROTL(v1, 17), v1 ^= v2, v2 = ST__ROTL(v2, 32);                          \
    } while (0)

static uint64_t st__le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* SipHash-2-4 of the concatenation of up to four pieces. */
static uint64_t st__siphash(uint64_t k0, uint64_t k1, const void *const *parts, const size_t *lens,
                            int nparts)
{
    uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
    uint8_t blk[8];
    size_t fill = 0, total = 0;
    for (int i = 0; i < nparts; i++) {
        const uint8_t *p = parts[i];
        for (size_t j = 0; j < lens[i]; j++) {
            blk[fill++] = p[j];
            if (fill == 8) {
                uint64_t m = st__le64(blk);
                v3 ^= m;
                ST__ROUND(v0, v1, v2, v3);
                ST__ROUND(v0, v1, v2, v3);
                v0 ^= m;
                fill = 0;
            }
        }
        total += lens[i];
    }
    uint64_t last = (uint64_t)(total & 0xff) << 56;
    for (size_t j = 0; j < fill; j++)
        last |= (uint64_t)blk[j] << (8 * j);
    v3 ^= last;
    ST__ROUND(v0, v1, v2, v3);
    ST__ROUND(v0, v1, v2, v3);
    v0 ^= last;
    v2 ^= 0xff;
    for (int r = 0; r < 4; r++)
        ST__ROUND(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}

st__uuid_t st__uuid(const char *probe, const char *kind, const void *key, size_t len)
{
    const void *parts[3] = {probe, kind, key};
    size_t lens[3] = {strlen(probe) + 1, strlen(kind) + 1, len};
    uint64_t a = st__siphash(0x7369706830757569ULL, 0x64763820636f6c31ULL, parts, lens, 3);
    uint64_t b = st__siphash(0x7369706830757569ULL, 0x64763820636f6c32ULL, parts, lens, 3);
    st__uuid_t u;
    for (int i = 0; i < 8; i++) {
        u.b[i] = (uint8_t)(a >> (56 - 8 * i));
        u.b[8 + i] = (uint8_t)(b >> (56 - 8 * i));
    }
    u.b[6] = (uint8_t)((u.b[6] & 0x0f) | 0x80); /* version 8 */
    u.b[8] = (uint8_t)((u.b[8] & 0x3f) | 0x80); /* variant 10 */
    return u;
}

int64_t st__id64(const void *key, size_t len, uint64_t seed)
{
    const void *parts[1] = {key};
    size_t lens[1] = {len};
    return (int64_t)st__siphash(0x7369706830696436ULL, seed, parts, lens, 1);
}
