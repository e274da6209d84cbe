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
 *  - Key: a 64-bit keyed hash (per-process seed) of the IP packet with the
 *    fields a router changes between capture points masked to zero (IPv4:
 *    TTL and header checksum; IPv6: hop limit), and its length.  A packet
 *    that differs anywhere must never be taken for a copy, so the key
 *    covers the whole packet, with one exception where fewer bytes already
 *    say the same: the IP header and the first CAP__DEDUP_PAYLOAD (24)
 *    bytes after it, when
 *      UDP: the checksum is real (not 0, not the pseudo-header sum alone)
 *        and the payload starts like RTP (version 2): sequence number,
 *        timestamp and SSRC are in those bytes, and the checksum covers
 *        every other byte;
 *      TCP: the checksum is real: sequence and acknowledgement numbers,
 *        window and checksum are in those bytes.
 *    Two distinct packets then collide only with the same addresses,
 *    ports, length, IP ID, RTP sequence number and timestamp (or TCP
 *    sequence and acknowledgement) and a 1-in-65536 checksum collision,
 *    within 2 ms: an RTP packet with another's sequence and timestamp is a
 *    duplicate to RTP anyway, a TCP segment resent at the same sequence
 *    number is an overlap to the reassembly.  Why not the short key for
 *    everything: the 24 bytes hold no payload that tells two SIP messages
 *    apart (the request line), and neither does the checksum when it is 0
 *    (allowed for UDP over IPv4) or holds only the pseudo-header sum (a
 *    capture on the sending host with TX checksum offload); and Linux
 *    sends IP ID 0 for DF datagrams from unconnected UDP sockets (most SIP
 *    servers), IPv6 has no ID at all.  Two different INVITEs with the same
 *    hosts, ports and length 0.5 ms apart were taken for copies.
 *    Cost (microbenchmark, this 2-core host): a 200-byte RTP packet with a
 *    real checksum 27-32 ns including the checksum check (the 24-byte key
 *    alone: 26-28 ns); hashing all 200 bytes: 51 ns, 600 bytes: 110 ns.
 *    SIP messages pay the whole-packet hash, negligible next to parsing.
 *    A TCP segment sent again with the same bytes within 2 ms (a fast
 *    retransmission on a LAN) cannot be told from a capture copy and is
 *    dropped: the reassembly already has those bytes.  Fragments, IPv6
 *    extension headers, tunnels and other protocols take the whole packet.
 *    The hash reads the key as 8-byte words, two independent lanes of
 *    64x64->128 multiplies (the wyhash construction).  RTP over IPv4
 *    takes a straight-line copy of the key decision and the hash for its
 *    44-byte key (v4_rtp_hash: with its set's prefetch ~90 instructions
 *    a packet where the general code took ~250, callgrind on a siphon-gen
 *    capture; debug builds compare the two on every such packet).
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
 *    operator would have to know to turn it on.  The cost is one hash (of 44
 *    bytes for RTP over IPv4) and one cache line per IP packet (BENCHMARKS.md), and
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

/* Bytes after the IP header that make the short key (UDP header and RTP
 * sequence/timestamp/SSRC, TCP header to its checksum). */
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

static inline uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Ones-complement sum of the 16-bit words of n bytes (n a multiple of 4),
 * unfolded: two words per 32-bit load. */
static inline uint32_t sum16(const uint8_t *p, size_t n)
{
    uint64_t acc = 0;
    for (size_t i = 0; i < n; i += 4) {
        uint32_t w = be32(p + i);
        acc += (w >> 16) + (w & 0xffff);
    }
    return (uint32_t)acc;
}

/* True when the transport checksum ck can be trusted to cover the payload:
 * not 0 (UDP over IPv4 may omit it; TCP never sends 0 when it is computed
 * and folded, but offloading stacks leave it) and not the pseudo-header
 * sum alone, in either representation (with TX checksum offload the
 * sending host's stack writes that sum and the NIC adds the payload after
 * the capture point).  A real checksum equal to the pseudo-header sum by
 * chance (1 in 65536) only costs a longer key. */
static bool checksum_trusted(const uint8_t *p, bool v4, size_t hl, size_t len, uint8_t proto,
                             uint16_t ck)
{
    if (ck == 0 || ck == 0xffff) return false;
    uint32_t acc = v4 ? sum16(p + 12, 8) : sum16(p + 8, 32);
    acc += proto + (uint32_t)(len - hl);
    acc = (acc & 0xffff) + (acc >> 16); /* below 2^22: two folds */
    acc = (acc & 0xffff) + (acc >> 16);
    return ck != (uint16_t)acc && ck != (uint16_t)~acc;
}

/* How many bytes of the IP packet at p (len bytes) the key covers: the
 * header and CAP__DEDUP_PAYLOAD bytes after it when those name the packet
 * (see the top), else all of it. */
static size_t key_len(const uint8_t *p, size_t len)
{
    bool v4 = (p[0] >> 4) == 4;
    size_t hl = v4 ? (size_t)(p[0] & 0x0f) * 4 : 40;
    if (len < 20 || hl < 20 || len <= hl + CAP__DEDUP_PAYLOAD) return len;
    uint8_t proto;
    if (v4) {
        if ((be16(p + 6) & 0x3fff) != 0) return len; /* a fragment */
        proto = p[9];
    } else {
        proto = p[6]; /* extension headers and fragments: all of it */
    }
    const uint8_t *t = p + hl;
    if (proto == 17) {
        /* UDP whose checksum covers the payload, carrying what looks like
         * RTP (version 2, sequence, timestamp, SSRC inside the key) */
        if ((t[8] >> 6) != 2 || be16(t + 4) != len - hl) return len;
        if (!checksum_trusted(p, v4, hl, len, proto, be16(t + 6))) return len;
    } else if (proto == 6) {
        if (!checksum_trusted(p, v4, hl, len, proto, be16(t + 16))) return len;
    } else {
        return len;
    }
    return hl + CAP__DEDUP_PAYLOAD;
}

/* The key hash of the IP packet at p (len bytes, see the top): its first
 * key_len bytes, read in place as 8-byte words (the last one masked, no
 * copy), with the bytes a router rewrites masked to zero.  Two lanes of
 * 64x64->128 multiplies over alternate 16-byte blocks, so consecutive
 * multiplies do not wait for each other; the lanes are folded together at
 * the end.  Out of line, so that the fast path below (v4_rtp_hash), inlined
 * into its callers, needs no stack frame. */
static __attribute__((noinline)) uint64_t packet_hash_general(const cap_decoder_t *d,
                                                              const uint8_t *p, size_t len)
{
    size_t n = len ? key_len(p, len) : 0;
    uint64_t h0 = d->seed ^ ((uint64_t)len << 32 | n);
    uint64_t h1 = d->seed ^ 0x8ebc6af09c88c6e3ULL;
    if (n == 0) return hash_mum(h0 ^ HASH_MUM_K1, h1 ^ HASH_MUM_K2) | 1;
    /* first block: IPv4 TTL (byte 8) and header checksum (10, 11), or the
     * IPv6 hop limit (byte 7), read as zero */
    uint64_t a = word_part(p, n, len),
             b = word_part(p + 8, n > 8 ? n - 8 : 0, len > 8 ? len - 8 : 0);
    if ((p[0] >> 4) == 4)
        b &= ~(0xffULL << BYTE_SHIFT(0) | 0xffULL << BYTE_SHIFT(2) | 0xffULL << BYTE_SHIFT(3));
    else
        a &= ~(0xffULL << BYTE_SHIFT(7));
    h0 = hash_mum(a ^ HASH_MUM_K1 ^ h0, b ^ HASH_MUM_K2);
    size_t i = 16;
    for (; i + 32 <= n; i += 32) {
        h1 = hash_mum(word(p + i) ^ HASH_MUM_K1 ^ h1, word(p + i + 8) ^ HASH_MUM_K2);
        h0 = hash_mum(word(p + i + 16) ^ HASH_MUM_K1 ^ h0, word(p + i + 24) ^ HASH_MUM_K2);
    }
    if (i < n) { /* 1..31 bytes left: up to four masked words */
        size_t left = n - i, room = len - i;
        uint64_t w[4];
        for (size_t k = 0; k < 4; k++) {
            size_t o = 8 * k;
            w[k] = o < left ? word_part(p + i + o, left - o, room - o) : 0;
        }
        h1 = hash_mum(w[0] ^ HASH_MUM_K1 ^ h1, w[1] ^ HASH_MUM_K2);
        if (left > 16) h0 = hash_mum(w[2] ^ HASH_MUM_K1 ^ h0, w[3] ^ HASH_MUM_K2);
    }
    uint64_t h = hash_mum(h0 ^ 0x8ebc6af09c88c6e3ULL, h1 ^ 0x589965cc75374cc3ULL);
    return h ? h : 1;
}

/* RTP over UDP over IPv4 without options, the bulk of the traffic: the
 * decision of key_len and the hash packet_hash_general gives for its
 * 44-byte key,
 * spelled out with the lengths and offsets as constants (about half the
 * instructions of the general code).  False when the packet is not such a
 * packet with a trusted checksum and 4 bytes after the key (every RTP
 * packet has 12), so that the key's last word is a whole-word load. */
static inline bool v4_rtp_hash(const cap_decoder_t *d, const uint8_t *p, size_t len, uint64_t *out)
{
    enum { KEY = 20 + CAP__DEDUP_PAYLOAD };
    if (len < KEY + 4 || p[0] != 0x45 || p[9] != 17 || (be16(p + 6) & 0x3fff) != 0 ||
        (p[28] >> 6) != 2 || be16(p + 24) != len - 20)
        return false;
    uint32_t ck = be16(p + 26);
    uint32_t src = be32(p + 12), dst = be32(p + 16);
    uint32_t acc =
        (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 17 + (uint32_t)(len - 20);
    acc = (acc & 0xffff) + (acc >> 16); /* below 2^19: two folds */
    acc = (acc & 0xffff) + (acc >> 16);
    if (ck == 0 || ck == 0xffff || ck == acc || ck == (~acc & 0xffff)) return false;
    uint64_t h0 = d->seed ^ ((uint64_t)len << 32 | KEY);
    uint64_t h1 = d->seed ^ 0x8ebc6af09c88c6e3ULL;
    uint64_t b = word(p + 8) & ~(0xffULL << BYTE_SHIFT(0) | 0xffULL << BYTE_SHIFT(2) |
                                 0xffULL << BYTE_SHIFT(3)); /* TTL, header checksum */
    h0 = hash_mum(word(p) ^ HASH_MUM_K1 ^ h0, b ^ HASH_MUM_K2);
    h1 = hash_mum(word(p + 16) ^ HASH_MUM_K1 ^ h1, word(p + 24) ^ HASH_MUM_K2);
    h0 = hash_mum(word(p + 32) ^ HASH_MUM_K1 ^ h0, word_part(p + 40, 4, 8) ^ HASH_MUM_K2);
    uint64_t h = hash_mum(h0 ^ 0x8ebc6af09c88c6e3ULL, h1 ^ 0x589965cc75374cc3ULL);
    *out = h ? h : 1;
    return true;
}

static inline uint64_t packet_hash(const cap_decoder_t *d, const uint8_t *p, size_t len)
{
    uint64_t h;
    if (!v4_rtp_hash(d, p, len, &h)) return packet_hash_general(d, p, len);
#ifndef NDEBUG /* debug builds (tests, fuzzing) check it against the general path */
    if (h != packet_hash_general(d, p, len)) abort();
#endif
    return h;
}

uint64_t cap__dedup_prepare(cap_decoder_t *d, const uint8_t *p, size_t len)
{
    if (!d->dedup) return 0;
    uint64_t h = packet_hash(d, p, len);
    __builtin_prefetch(&d->dedup[(size_t)(h & d->dedup_set_mask) * 2], 1);
    return h;
}

bool cap__dedup_seen(cap_decoder_t *d, const cap__pkt_t *pk, const uint8_t *p, size_t len)
{
    if (!d->dedup) return false;
    uint64_t h;
    cap__ahead_t *a = &d->ahead[pk->frame->frame_no % CAP__AHEAD];
    if (a->hashed && a->ip == p && a->ip_len == len && a->frame_no == pk->frame->frame_no) {
        h = a->hash;
        a->hashed = false; /* used once: a later frame at this address hashes anew */
    } else {
        h = packet_hash(d, p, len);
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
