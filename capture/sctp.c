/* sctp.c - SIP over SCTP (RFC 4168): SCTP packets (RFC 9260) whose DATA
 * chunks, or I-DATA chunks (RFC 8260), carry SIP messages, one message per
 * SCTP user message.
 *
 * Design:
 *  - A packet is the 12-byte common header and chunks (type, flags,
 *    length, padded to 4 bytes), walked with bounds checks; a chunk whose
 *    length runs past the packet ends the walk (counted truncated).  Chunks
 *    other than DATA (0) and I-DATA (64) are skipped: INIT, SACK,
 *    HEARTBEAT, ... carry no SIP.  Several DATA chunks in one packet
 *    (bundling) each give their own message.
 *  - Which messages are SIP is decided by their bytes, as for UDP:
 *    sip_probe() on the start of the user message, whatever the payload
 *    protocol identifier (SIP has none registered; implementations send 0)
 *    and whatever the ports.  Others (Diameter, M3UA, ...) are counted in
 *    sctp_non_sip and dropped.  A SIP message is one TRANSPORT_SCTP datagram
 *    with the packet's addresses and SCTP ports.
 *  - Fragmented user messages (B and E flags clear on some chunk): a
 *    message is reassembled from fragments that arrive in order: DATA
 *    fragments carry consecutive TSNs (RFC 9260 6.9), I-DATA fragments one
 *    message identifier (MID) and consecutive fragment sequence numbers
 *    (FSN, the first fragment's is 0).  A partial message is keyed by
 *    addresses, ports, stream, the U flag and (I-DATA) the MID.  A fragment
 *    that does not continue it (a gap: lost, reordered on the wire, or the
 *    capture missed it), a message larger than max_sctp_message_bytes, a
 *    middle fragment without a beginning, a partial message evicted to make
 *    room or left without a fragment for frag_timeout_ns: the partial
 *    message is dropped and counted (sctp_reasm_dropped).  Reordering is not
 *    repaired: a capture point sees fragments in the sender's order unless
 *    they were lost, and SCTP retransmits a lost one much later (T3-rtx,
 *    1 s or more), by which time the message is better dropped than held.
 *  - Bounds: at most max_sctp_messages partial messages (a fixed array,
 *    allocated once; the least recently extended one is evicted when a new
 *    one needs room) holding at most max_sctp_total_bytes; each buffer grows
 *    by doubling up to max_sctp_message_bytes and is freed when its message
 *    completes or is dropped.  Lookup is a scan of the partial messages in
 *    use: fragmented SIP over SCTP is rare (an INVITE over a path MTU), the
 *    scan is bounded by the cap, and complete messages never look.
 *  - Checksum: the CRC32c of the common header (RFC 9260 appendix A) is
 *    verified and a mismatch counted (sctp_bad_checksum), but the packet is
 *    still decoded: captures on the sending host carry offloaded, unfilled
 *    checksums (0, not counted), as for UDP and TCP (decode_ip.c), and a
 *    monitoring tool reports what was on the wire rather than guess what
 *    the receiver accepted.
 *  - Retransmitted DATA chunks (same TSN) are not filtered: to the
 *    correlator they are SIP retransmissions, as over UDP.
 */
#include "capture_internal.h"
#include "proto.h"

#include <stdlib.h>

enum {
    CHUNK_DATA = 0,
    CHUNK_IDATA = 64,
    FLAG_E = 0x01,
    FLAG_B = 0x02,
    FLAG_U = 0x04,
};

struct cap__sctp_msg {
    bool used;
    bool idata;
    bool unordered;
    ip_addr_t src, dst;
    uint16_t sport, dport, sid;
    uint32_t mid;  /* I-DATA message identifier */
    uint32_t next; /* next TSN (DATA) or FSN (I-DATA) */
    int64_t last_ns;
    uint8_t *buf;
    size_t len, cap;
};

/* CRC32c (Castagnoli, reflected polynomial 0x82F63B78), byte-wise table. */
static void crc_table_init(uint32_t *t)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        t[i] = c;
    }
}

static uint32_t crc32c(const uint32_t *t, uint32_t crc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        crc = t[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return crc;
}

bool cap__sctp_init(cap_decoder_t *d)
{
    cap__sctp_t *s = &d->sctp;
    memset(s, 0, sizeof *s);
    crc_table_init(s->crc);
    if (d->lim.max_sctp_messages == 0) return true;
    s->msgs = calloc(d->lim.max_sctp_messages, sizeof *s->msgs);
    return s->msgs != NULL;
}

static void msg_drop(cap_decoder_t *d, cap__sctp_msg_t *m)
{
    d->sctp.bytes -= m->cap;
    d->sctp.used--;
    free(m->buf);
    memset(m, 0, sizeof *m);
}

void cap__sctp_free(cap_decoder_t *d)
{
    cap__sctp_t *s = &d->sctp;
    if (s->msgs)
        for (uint32_t i = 0; i < d->lim.max_sctp_messages; i++)
            if (s->msgs[i].used) msg_drop(d, &s->msgs[i]);
    free(s->msgs);
    s->msgs = NULL;
}

void cap__sctp_expire(cap_decoder_t *d, int64_t now_ns)
{
    cap__sctp_t *s = &d->sctp;
    if (!s->used) return;
    int64_t cutoff = ts_sub_sat(now_ns, d->lim.frag_timeout_ns);
    for (uint32_t i = 0; i < d->lim.max_sctp_messages && s->used; i++) {
        cap__sctp_msg_t *m = &s->msgs[i];
        if (m->used && m->last_ns < cutoff) {
            msg_drop(d, m);
            d->st.sctp_reasm_dropped++;
        }
    }
}

/* What identifies one user message being reassembled. */
typedef struct {
    const ip_addr_t *src, *dst;
    uint16_t sport, dport, sid;
    bool idata, unordered;
    uint32_t mid;
} msg_key_t;

static bool key_is(const cap__sctp_msg_t *m, const msg_key_t *k)
{
    return m->used && m->idata == k->idata && m->unordered == k->unordered &&
           m->sport == k->sport && m->dport == k->dport && m->sid == k->sid &&
           (!k->idata || m->mid == k->mid) && ip_addr_eq(&m->src, k->src) &&
           ip_addr_eq(&m->dst, k->dst);
}

static cap__sctp_msg_t *msg_find(cap_decoder_t *d, const msg_key_t *k)
{
    cap__sctp_t *s = &d->sctp;
    uint32_t seen = 0;
    for (uint32_t i = 0; i < d->lim.max_sctp_messages && seen < s->used; i++) {
        if (!s->msgs[i].used) continue;
        seen++;
        if (key_is(&s->msgs[i], k)) return &s->msgs[i];
    }
    return NULL;
}

/* A free slot, evicting the least recently extended partial message when
 * every slot is in use; NULL when there are no slots at all. */
static cap__sctp_msg_t *msg_slot(cap_decoder_t *d)
{
    cap__sctp_t *s = &d->sctp;
    cap__sctp_msg_t *oldest = NULL;
    for (uint32_t i = 0; i < d->lim.max_sctp_messages; i++) {
        cap__sctp_msg_t *m = &s->msgs[i];
        if (!m->used) return m;
        if (!oldest || m->last_ns < oldest->last_ns) oldest = m;
    }
    if (oldest) {
        msg_drop(d, oldest);
        d->st.sctp_reasm_dropped++;
    }
    return oldest;
}

/* Appends n bytes to m within the per-message and total caps; false (the
 * caller drops the message) when they do not fit. */
static bool msg_append(cap_decoder_t *d, cap__sctp_msg_t *m, const uint8_t *p, size_t n)
{
    cap__sctp_t *s = &d->sctp;
    if (n > d->lim.max_sctp_message_bytes || m->len > d->lim.max_sctp_message_bytes - n)
        return false;
    size_t need = m->len + n;
    if (need > m->cap) {
        size_t nc = m->cap ? m->cap : 1024;
        while (nc < need)
            nc *= 2;
        if (nc > d->lim.max_sctp_message_bytes) nc = d->lim.max_sctp_message_bytes;
        if (s->bytes - m->cap + nc > d->lim.max_sctp_total_bytes) return false;
        uint8_t *nb = realloc(m->buf, nc);
        if (!nb) return false;
        s->bytes = s->bytes - m->cap + nc;
        m->buf = nb;
        m->cap = nc;
    }
    if (n) memcpy(m->buf + m->len, p, n);
    m->len += n;
    return true;
}

/* A complete user message: SIP goes to the callback. */
static void message(cap_decoder_t *d, const cap__pkt_t *pk, const msg_key_t *k, const uint8_t *p,
                    size_t n)
{
    if (n == 0 || !sip_probe(p, n)) {
        d->st.sctp_non_sip++;
        return;
    }
    d->st.sctp_messages++;
    cap__emit(d, pk, k->src, k->sport, k->dst, k->dport, TRANSPORT_SCTP, p, n);
}

/* One fragment: seq is its TSN (DATA) or FSN (I-DATA; 0 for the first). */
static void fragment(cap_decoder_t *d, const cap__pkt_t *pk, const msg_key_t *k, uint8_t flags,
                     uint32_t seq, const uint8_t *p, size_t n)
{
    if (!d->sctp.msgs) {
        d->st.sctp_reasm_dropped++;
        return;
    }
    cap__sctp_msg_t *m = msg_find(d, k);
    if (flags & FLAG_B) {
        if (m) { /* the previous message never ended */
            msg_drop(d, m);
            d->st.sctp_reasm_dropped++;
        }
        m = msg_slot(d);
        m->used = true;
        d->sctp.used++;
        m->idata = k->idata;
        m->unordered = k->unordered;
        m->src = *k->src;
        m->dst = *k->dst;
        m->sport = k->sport;
        m->dport = k->dport;
        m->sid = k->sid;
        m->mid = k->mid;
    } else if (!m || seq != m->next) { /* no beginning, or a gap */
        if (m) msg_drop(d, m);
        d->st.sctp_reasm_dropped++;
        return;
    }
    m->next = seq + 1;
    m->last_ns = pk->frame->ts_ns;
    if (!msg_append(d, m, p, n)) {
        msg_drop(d, m);
        d->st.sctp_reasm_dropped++;
        return;
    }
    if (!(flags & FLAG_E)) return;
    d->st.sctp_reassembled++;
    message(d, pk, k, m->buf, m->len);
    msg_drop(d, m);
}

void cap__decode_sctp(cap_decoder_t *d, cap__pkt_t *pk, const ip_addr_t *src, const ip_addr_t *dst,
                      cap__cur_t c)
{
    uint16_t sport, dport;
    uint32_t ck;
    if (!cap__be16(&c, 0, &sport) || !cap__be16(&c, 2, &dport) || !cap__le32(&c, 8, &ck)) {
        d->st.truncated++;
        return;
    }
    d->st.sctp++;
    if (ck != 0) {
        static const uint8_t zero[4] = {0};
        uint32_t crc = crc32c(d->sctp.crc, 0xffffffffu, c.p, 8);
        crc = crc32c(d->sctp.crc, crc, zero, 4);
        crc = crc32c(d->sctp.crc, crc, c.p + 12, c.len - 12) ^ 0xffffffffu;
        if (crc != ck) d->st.sctp_bad_checksum++;
    }
    size_t off = 12;
    while (off < c.len) {
        uint8_t type, flags;
        uint16_t clen;
        if (!cap__u8(&c, off, &type) || !cap__u8(&c, off + 1, &flags) ||
            !cap__be16(&c, off + 2, &clen) || clen < 4 || !cap__has(&c, off, clen)) {
            d->st.truncated++;
            return;
        }
        size_t hdr = type == CHUNK_DATA ? 16 : type == CHUNK_IDATA ? 20 : 0;
        if (hdr) {
            uint32_t tsn = 0, mid = 0, fsn = 0; /* set by the bounded reads below */
            uint16_t sid = 0;
            if (clen < hdr) {
                d->st.invalid++;
                return;
            }
            cap__be32(&c, off + 4, &tsn);
            cap__be16(&c, off + 8, &sid);
            if (type == CHUNK_IDATA) {
                cap__be32(&c, off + 12, &mid);
                if (!(flags & FLAG_B)) cap__be32(&c, off + 16, &fsn);
            }
            msg_key_t k = {src, dst, sport, dport, sid, type == CHUNK_IDATA, (flags & FLAG_U) != 0,
                           mid};
            const uint8_t *p = c.p + off + hdr;
            size_t n = clen - hdr;
            d->st.sctp_data_chunks++;
            if ((flags & (FLAG_B | FLAG_E)) == (FLAG_B | FLAG_E))
                message(d, pk, &k, p, n);
            else
                fragment(d, pk, &k, flags, type == CHUNK_IDATA ? fsn : tsn, p, n);
        }
        size_t padded = ((size_t)clen + 3) & ~(size_t)3;
        if (padded >= c.len - off) break;
        off += padded;
    }
}
