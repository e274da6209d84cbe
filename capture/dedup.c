/* dedup.c - duplicate-packet suppression: the same IP packet captured twice
 * (two SPAN sessions on the path, both directions of a bond or a TAP pair,
 * an ERSPAN copy next to the original) is dropped and counted once, so it
 * is not double-counted in RTP statistics or seen as a SIP retransmission.
 *
 * Design:
 *  - The check runs at the IP layer (decode_ip.c), after link, VLAN, MPLS
 *    and tunnel decapsulation and before fragment reassembly and UDP/TCP:
 *    the link layer is ignored entirely, so copies with different MACs,
 *    VLAN tags or tunnel wrappers still match (an inner packet of a tunnel
 *    is checked on its own).
 *  - Key: a 64-bit keyed hash (per-process seed) of the IP header with
 *    the fields a router changes between capture points masked to zero
 *    (IPv4: TTL and header checksum; IPv6: hop limit), plus the first
 *    CAP__DEDUP_PAYLOAD (24) bytes after it, and the packet length.  Those
 *    24 bytes hold the whole UDP header or the TCP header up to its
 *    checksum, and the transport checksum covers every payload byte: two
 *    packets that differ anywhere differ there, but for a checksum
 *    collision (1 in 65536, and then they still need the same addresses,
 *    ports, length, IPv4 ID, RTP sequence number and timestamp or TCP
 *    sequence number, within 2 ms).  A UDP checksum of 0 (IPv4 may omit it)
 *    leaves the RTP header (sequence, timestamp, SSRC) in those bytes.
 *    The hash reads the key as 8-byte words, two 64x64->128 multiplies per
 *    16 bytes (the wyhash construction): about 64 bytes and 20 ns per
 *    packet, where hashing 124 bytes with hash_bytes cost ~140 ns in all.
 *  - Look-ahead (decode_prefetch.c): the driver may have the hash computed
 *    a few frames early, its set prefetched, and the result kept in the
 *    frame's cap__ahead_t (32 by frame number); the decode takes it when
 *    number, address and length match, else hashes anew.  The hash reads the
 *    packet in place (whole-word loads masked at the key's end), no copy.
 *  - Table: a fixed array of dedup_slots entries {hash, timestamp},
 *    2-way set-associative (set = hash & mask), allocated once: O(1), no
 *    allocation per packet.  A hit within the window (either direction of
 *    time: merged sources are not strictly ordered) is a duplicate; the
 *    entry keeps the first sighting's time, so a third copy still matches.
 *    A hit outside the window refreshes the entry; a miss replaces the
 *    older entry of the set.  Table overflow only loses detection.
 *  - Window, default 2 ms: SPAN/TAP copies of one packet reach the capture
 *    host microseconds apart (at most the switch's mirroring queue), but a
 *    loaded mirror can trail by more than a millisecond: the real fax
 *    capture in the shared pcaps (ndpi_FAX-Call-t38-CA-TDM-SIP-FB-1) holds
 *    23 SIP messages captured twice 0.26 to 1.43 ms apart.  Legitimately identical packets come
 * later: a SIP retransmission over UDP after T1 = 500 ms, RTP packets differ by sequence number
 * anyway.  A packet duplicated by the network and arriving within the window is byte-identical to a
 * capture copy and cannot be told apart: it is dropped too (the RTP duplicate count then misses
 * it).  Keeping the window small keeps that overlap small. siphon-gen's --duplicate copies are
 * network duplicates: over IPv4 a new packet with the next IP ID 1..2000 us after the original,
 * over IPv6 (no ID) 5..7 ms after it, outside the window (tests/gen/ gen_rtp.c), so they are never
 * taken for capture duplicates.
 *  - On by default (cap_limits_default: dedup_slots 16384, 256 KiB per
 *    decoder, small enough to stay in the L2 cache next to the rest of the
 *    hot path; config key capture.dedup_slots, 0 turns it off).  Why: a
 *    monitoring port fed by two SPAN sessions or a bond sees every packet
 *    twice, and without suppression every stream shows 50 % duplicates and
 *    doubled packet counts, and every SIP message a retransmission; the
 *    operator would have to know to turn it on.  The cost is one hash of at
 *    most 124 bytes and one cache line per IP packet (BENCHMARKS.md), and
 *    the only packets lost are network duplicates within 2 ms, which are
 *    rare and indistinguishable anyway.  Peers agree: the HOMER agents
 *    deduplicate out of the box (heplify: -dd, default true).  16384 slots
 *    remember the last ~16000 packets, 2 ms of 8 Mpps per capture thread;
 *    a faster thread loses detection, not packets (raise dedup_slots).  Tools that count every
 *    frame (tshark, editcap without -D) see the copies: compare with
 *    capture.dedup_slots=0 (tests/integration/test_tshark_oracle.sh).
 *    Hand-built decoder tests that replay one frame on purpose (TCP
 *    retransmissions, overlapping fragments) switch it off in their limits.
 *  - One table per decoder, i.e. per capture thread: copies that a fanout
 *    group spreads over different rings are not matched (the kernel's flow
 *    hash normally puts both copies of a flow on the same ring).
 */
#include "capture_internal.h"

#include <stdlib.h>

/* Bytes after the IP header that enter the hash (UDP header, TCP header
 * to its checksum, RTP sequence/timestamp/SSRC). */
#define CAP__DEDUP_PAYLOAD 24

/* Largest table accepted (16 M entries, 256 MiB). */
#define CAP__DEDUP_MAX_SLOTS (1u << 24)

bool cap__dedup_init(cap_decoder_t *d)
{
    d->dedup = NULL;
    uint32_t want = d->lim.dedup_slots;
    if (want == 0 || d->lim.dedup_window_ns <= 0) return true;
    if (want > CAP__DEDUP_MAX_SLOTS) want = CAP__DEDUP_MAX_SLOTS;
    uint32_t n = 2;
    while (n < want)
        n <<= 1;
    d->dedup = calloc(n, sizeof *d->dedup);
    if (!d->dedup) return false;
    d->dedup_set_mask = n / 2 - 1;
    return true;
}

void cap__dedup_free(cap_decoder_t *d)
{
    free(d->dedup);
    d->dedup = NULL;
}

static inline uint64_t word(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define BYTE_SHIFT(k) (8 * (k)) /* memory byte k of a loaded word */
#else
#define BYTE_SHIFT(k) (56 - 8 * (k))
#endif

/* The 8 bytes at p of which the first `valid` count and the rest read as
 * zero; `avail` bytes may be read at p.  A whole-word load and a mask when
 * the word lies inside the packet (the usual case: the key ends 24 bytes
 * into the transport header), a short copy at the very end of a packet. */
static inline uint64_t word_part(const uint8_t *p, size_t valid, size_t avail)
{
    if (valid >= 8) return word(p);
    if (valid == 0) return 0;
    uint64_t v = 0;
    if (avail >= 8) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        uint64_t keep = ~0ULL >> (64 - 8 * valid); /* the first `valid` bytes */
#else
        uint64_t keep = ~0ULL << (64 - 8 * valid);
#endif
        return word(p) & keep;
    }
    memcpy(&v, p, valid);
    return v;
}

/* The key hash of the IP packet at p (see the top): its first n bytes,
 * read as zero-padded 16-byte blocks straight from the packet (no copy),
 * with the bytes a router rewrites masked to zero, two 64x64->128
 * multiplies a block. */
static uint64_t packet_hash(const cap_decoder_t *d, const uint8_t *p, size_t len, size_t hl)
{
    if (hl > 60) hl = 60;
    if (hl > len) hl = len;
    size_t n = len - hl > CAP__DEDUP_PAYLOAD ? hl + CAP__DEDUP_PAYLOAD : len;
    size_t padded = (n + 15) & ~(size_t)15;
    bool v4 = n > 0 && (p[0] >> 4) == 4;
    uint64_t h = d->seed ^ ((uint64_t)len << 32 | n);
    if (v4 && n == 44 && len >= 48) {
        /* the usual case, IPv4 without options carrying at least 24 bytes:
         * the loop below unrolled, same result (three blocks, the last
         * masked after its 12th byte) */
        const uint64_t ttl_cksum =
            ~(0xffULL << BYTE_SHIFT(0) | 0xffULL << BYTE_SHIFT(2) | 0xffULL << BYTE_SHIFT(3));
        h = hash_mum(word(p) ^ HASH_MUM_K1 ^ h, (word(p + 8) & ttl_cksum) ^ HASH_MUM_K2);
        h = hash_mum(word(p + 16) ^ HASH_MUM_K1 ^ h, word(p + 24) ^ HASH_MUM_K2);
        h = hash_mum(word(p + 32) ^ HASH_MUM_K1 ^ h, word_part(p + 40, 4, len - 40) ^ HASH_MUM_K2);
        h = hash_mum(h ^ 0x8ebc6af09c88c6e3ULL, (uint64_t)48 ^ 0x589965cc75374cc3ULL);
        return h ? h : 1;
    }
    for (size_t i = 0; i < padded; i += 16) {
        size_t left = n - i, room = len - i;
        uint64_t a = word_part(p + i, left, room);
        uint64_t b = word_part(p + i + 8, left > 8 ? left - 8 : 0, room > 8 ? room - 8 : 0);
        if (i == 0) {
            if (v4) /* TTL (byte 8), header checksum (10, 11) */
                b &= ~(0xffULL << BYTE_SHIFT(0) | 0xffULL << BYTE_SHIFT(2) |
                       0xffULL << BYTE_SHIFT(3));
            else /* hop limit (byte 7) */
                a &= ~(0xffULL << BYTE_SHIFT(7));
        }
        h = hash_mum(a ^ HASH_MUM_K1 ^ h, b ^ HASH_MUM_K2);
    }
    h = hash_mum(h ^ 0x8ebc6af09c88c6e3ULL, (uint64_t)padded ^ 0x589965cc75374cc3ULL);
    return h ? h : 1;
}

uint64_t cap__dedup_prepare(cap_decoder_t *d, const uint8_t *p, size_t len, size_t hl)
{
    if (!d->dedup) return 0;
    uint64_t h = packet_hash(d, p, len, hl);
    __builtin_prefetch(&d->dedup[(size_t)(h & d->dedup_set_mask) * 2], 1);
    return h;
}

bool cap__dedup_seen(cap_decoder_t *d, const cap__pkt_t *pk, const uint8_t *p, size_t len,
                     size_t hl)
{
    if (!d->dedup) return false;
    uint64_t h;
    cap__ahead_t *a = &d->ahead[pk->frame->frame_no % CAP__AHEAD];
    if (a->hashed && a->ip == p && a->ip_len == len && a->frame_no == pk->frame->frame_no) {
        h = a->hash;
        a->hashed = false; /* used once: a later frame at this address hashes anew */
    } else {
        h = packet_hash(d, p, len, hl);
    }
    int64_t ts = pk->frame->ts_ns;
    cap__dedup_ent_t *set = &d->dedup[(size_t)(h & d->dedup_set_mask) * 2];
    for (int i = 0; i < 2; i++) {
        cap__dedup_ent_t *e = &set[i];
        if (e->hash != h) continue;
        uint64_t gap =
            ts >= e->ts_ns ? (uint64_t)ts - (uint64_t)e->ts_ns : (uint64_t)e->ts_ns - (uint64_t)ts;
        if (gap <= (uint64_t)d->lim.dedup_window_ns) {
            d->st.duplicates_dropped++;
            return true;
        }
        e->ts_ns = ts;
        return false;
    }
    cap__dedup_ent_t *v =
        set[0].hash == 0 || (set[1].hash != 0 && set[0].ts_ns <= set[1].ts_ns) ? &set[0] : &set[1];
    v->hash = h;
    v->ts_ns = ts;
    return false;
}
