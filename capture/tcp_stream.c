/* tcp_stream.c - TCP stream reassembly (RFC 9293) for SIP over TCP
 * (RFC 3261 section 18.3) and SIP over WebSocket (RFC 7118).
 *
 * Design:
 *  - Each direction of a connection is its own "half" keyed by (family,
 *    source, destination, ports): a fixed array of max_tcp_streams halves
 *    allocated at start, kept by core's entry pool (core/table.c: free
 *    list, an index by the key's hash seeded per decoder, LRU list), so a
 *    segment never allocates a half; LRU eviction (tcp_streams_evicted) and
 *    idle expiry after tcp_idle_ns.  Pure ACKs of unknown flows create no
 *    state.  RST frees both directions; FIN frees a direction once every
 *    byte before it has been delivered.
 *  - Sequence tracking: a SYN sets the next expected sequence number
 *    (ISN + 1); without a SYN the first segment seen is taken as the start
 *    (mid-stream pickup).  Bytes before the expected number are
 *    retransmissions: dropped whole, or trimmed when the segment overlaps
 *    partially (both counted in tcp_retransmissions).  Segments after it
 *    are held sorted in a per-direction out-of-order list (bounded by
 *    max_tcp_stream_bytes and CAP__MAX_OOO_SEGS; tcp_out_of_order).  When
 *    the list is full the hole is declared lost (tcp_gaps): the partial
 *    message before it is dropped, delivery jumps to the first held byte and
 *    the SIP framer resynchronises by scanning for a line that sip_probe()
 *    accepts as the start of a SIP message.
 *  - In-order bytes are framed straight from the packet when nothing is
 *    buffered (one or more whole messages per segment cost no copy); only
 *    an incomplete tail is copied into the direction's buffer, which is
 *    bounded by max_tcp_stream_bytes (tcp_buffer_overflows: the buffer is
 *    dropped and the framer resynchronises) and freed when empty.  All
 *    buffers together are bounded by max_tcp_total_bytes; when full the
 *    least recently used other flows are evicted.  Buffers and held
 *    segments stay heap memory sized to what they hold: a fixed slot per
 *    half would have to be max_tcp_stream_bytes (16 GiB at the default
 *    caps) for the rare flow that needs it, while the byte limits already
 *    bound the sum.
 *  - What a direction carries is decided on its first payload bytes: SIP
 *    (sip_probe), an HTTP upgrade to WebSocket with the "sip" subprotocol
 *    (websocket.c), or anything else, which marks the direction ignored
 *    (tcp_non_sip_streams) so later segments cost one table lookup.  A
 *    direction picked up mid-stream gets a bounded hunt
 *    (CAP__MIDSTREAM_HUNT bytes) for a SIP start line before it is ignored,
 *    since its first bytes may be the middle of a message.
 *  - Framing is sip_frame_message() (proto.h): several messages per segment,
 *    CRLF keep-alives skipped, a message over any number of segments.  Each
 *    message is one TRANSPORT_TCP datagram pointing into the packet or the
 *    buffer.
 */
#include "capture_internal.h"
#include "proto.h"

#include <stdlib.h>

#define CAP__SEG_COST       48u  /* charged per held segment besides its data */
#define CAP__MAX_OOO_SEGS   256u /* segments held out of order per direction */
#define CAP__MIDSTREAM_HUNT (16u << 10)
#define CAP__PROBE_MIN      64u /* probe a first line without CRLF at this size */

enum { TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04 };

typedef struct seg {
    struct seg *next;
    uint32_t seq, len;
    uint8_t data[];
} seg_t;

typedef struct {
    uint8_t family;
    uint8_t pad;
    uint16_t sport, dport;
    uint8_t pad2[2];
    uint8_t src[16], dst[16];
} tcp_key_t;

struct cap__tcp_half {
    tcp_key_t key;
    uint64_t hash;
    ip_addr_t src, dst;
    int64_t last_ns;
    uint32_t next_seq, fin_seq;
    uint8_t mode; /* cap__stream_mode_t */
    bool fin, resync, midstream;
    uint32_t hunted; /* bytes skipped hunting for a SIP start (mid-stream) */
    uint8_t *buf;    /* in-order bytes not yet framed: buf[start, start+len) */
    uint32_t start, len, cap;
    seg_t *ooo; /* out of order, sorted by sequence */
    uint32_t ooo_bytes, nooo;
    uint64_t charged; /* bytes counted in the table total */
    cap__ws_state_t ws;
};

/* ------------------------------------------------------------------------ */
/* Table                                                                     */
/* ------------------------------------------------------------------------ */

bool cap__tcp_init(cap_decoder_t *d)
{
    cap__tcp_table_t *t = &d->tcp;
    /* calloc, not table_calloc: huge pages would cost 2 MiB of RSS for the
     * first flow, and SIP over TCP is too little of the traffic for the
     * TLB to matter */
    t->halves = calloc(d->lim.max_tcp_streams, sizeof *t->halves);
    return t->halves && tbl_pool_init(&t->pool, d->lim.max_tcp_streams);
}

static uint32_t idx_of(const cap_decoder_t *d, const cap__tcp_half_t *h)
{
    return (uint32_t)(h - d->tcp.halves);
}

/* Re-computes what h holds and updates the table total. */
static void charge(cap_decoder_t *d, cap__tcp_half_t *h)
{
    uint64_t now =
        (uint64_t)h->cap + h->ooo_bytes + (uint64_t)h->nooo * CAP__SEG_COST + h->ws.msg_cap;
    d->tcp.bytes = d->tcp.bytes - h->charged + now;
    h->charged = now;
}

static void free_ooo(cap__tcp_half_t *h)
{
    for (seg_t *s = h->ooo, *n; s; s = n) {
        n = s->next;
        free(s);
    }
    h->ooo = NULL;
    h->ooo_bytes = h->nooo = 0;
}

static void drop_buffer(cap__tcp_half_t *h)
{
    free(h->buf);
    h->buf = NULL;
    h->start = h->len = h->cap = 0;
}

static void half_destroy(cap_decoder_t *d, cap__tcp_half_t *h)
{
    drop_buffer(h);
    free_ooo(h);
    cap__ws_reset(&h->ws);
    charge(d, h);
    tbl_pool_put(&d->tcp.pool, idx_of(d, h), h->hash);
    memset(h, 0, sizeof *h);
}

void cap__tcp_free(cap_decoder_t *d)
{
    cap__tcp_table_t *t = &d->tcp;
    if (t->halves)
        while (t->pool.lru.head != TBL_NIL)
            half_destroy(d, &t->halves[t->pool.lru.head]);
    free(t->halves);
    t->halves = NULL;
    tbl_pool_destroy(&t->pool);
}

void cap__tcp_expire(cap_decoder_t *d, int64_t now_ns)
{
    cap__tcp_table_t *t = &d->tcp;
    int64_t cutoff = ts_sub_sat(now_ns, d->lim.tcp_idle_ns);
    while (t->pool.lru.tail != TBL_NIL && t->halves[t->pool.lru.tail].last_ns < cutoff)
        half_destroy(d, &t->halves[t->pool.lru.tail]);
}

static bool key_eq(const void *ctx, uint32_t i, const void *key)
{
    const cap__tcp_half_t *halves = ctx;
    return memcmp(&halves[i].key, key, sizeof halves[i].key) == 0;
}

static cap__tcp_half_t *lookup(cap_decoder_t *d, const tcp_key_t *k, uint64_t h)
{
    uint32_t i = tbl_itab_find(&d->tcp.pool.tab, h, key_eq, d->tcp.halves, k);
    return i == TBL_NIL ? NULL : &d->tcp.halves[i];
}

/* Evicts least recently used halves other than keep until want more bytes
 * fit under max_tcp_total_bytes.  False if they cannot. */
static bool reserve(cap_decoder_t *d, cap__tcp_half_t *keep, uint64_t want)
{
    const tbl_dlist_t *lru = &d->tcp.pool.lru;
    while (d->tcp.bytes + want > d->lim.max_tcp_total_bytes) {
        uint32_t v = lru->tail;
        if (v == idx_of(d, keep)) v = lru->prev[v];
        if (v == TBL_NIL) return false;
        half_destroy(d, &d->tcp.halves[v]);
        d->st.tcp_streams_evicted++;
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* Framing                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct {
    cap_decoder_t *d;
    cap__pkt_t *pk;
    cap__tcp_half_t *h;
} emit_ctx_t;

static void ws_emit(void *ctx, const uint8_t *msg, size_t len)
{
    emit_ctx_t *e = ctx;
    cap__emit(e->d, e->pk, &e->h->src, e->h->key.sport, &e->h->dst, e->h->key.dport, TRANSPORT_WS,
              msg, len);
}

static void set_ignored(cap_decoder_t *d, cap__tcp_half_t *h)
{
    if (h->mode != CAP__STREAM_IGNORED) d->st.tcp_non_sip_streams++;
    h->mode = CAP__STREAM_IGNORED;
    cap__ws_reset(&h->ws);
}

/* In resync mode: finds the next position at or after pos where a line
 * accepted by sip_probe begins.  Returns true with *at set, or false with
 * *at the position to keep bytes from (the start of an incomplete line). */
static bool hunt_sip_start(const uint8_t *data, size_t len, size_t pos, size_t *at)
{
    size_t p = pos;
    for (;;) {
        const uint8_t *nl = memchr(data + p, '\n', len - p);
        if (!nl) {
            *at = p; /* incomplete line: wait for its end */
            return false;
        }
        if (sip_probe(data + p, len - p)) {
            *at = p;
            return true;
        }
        p = (size_t)(nl - data) + 1;
        if (p >= len) {
            *at = len;
            return false;
        }
    }
}

/* Frames as much of data (in-order stream bytes) as possible, emitting
 * every complete message.  Returns the number of bytes consumed; the rest
 * must be presented again with more bytes appended. */
static size_t consume(cap_decoder_t *d, cap__pkt_t *pk, cap__tcp_half_t *h, const uint8_t *data,
                      size_t len)
{
    size_t pos = 0, max_hdr = d->lim.max_sip_header_bytes;
    while (pos < len) {
        switch (h->mode) {
        case CAP__STREAM_UNKNOWN: {
            while (pos < len && (data[pos] == '\r' || data[pos] == '\n'))
                pos++;
            if (pos == len) return pos;
            size_t rem = len - pos, hl = 0;
            if (!memchr(data + pos, '\n', rem) && rem < CAP__PROBE_MIN) return pos;
            if (sip_probe(data + pos, rem)) {
                h->mode = CAP__STREAM_SIP;
                continue;
            }
            cap__ws_probe_t wp = cap__ws_probe(data + pos, rem, max_hdr, &hl);
            if (wp == CAP__WS_NEED_MORE) return pos;
            if (wp == CAP__WS_UPGRADE) {
                h->mode = CAP__STREAM_WS;
                pos += hl;
                continue;
            }
            if (wp == CAP__WS_NOT_HTTP && h->midstream) {
                h->mode = CAP__STREAM_SIP; /* maybe the middle of a message */
                h->resync = true;
                continue;
            }
            set_ignored(d, h);
            return len;
        }
        case CAP__STREAM_SIP: {
            if (h->resync) {
                size_t at;
                bool found = hunt_sip_start(data, len, pos, &at);
                if (h->midstream) {
                    h->hunted += (uint32_t)(at - pos);
                    if (h->hunted > CAP__MIDSTREAM_HUNT) {
                        set_ignored(d, h);
                        return len;
                    }
                }
                if (!found) {
                    /* A very long unterminated line is not a start line. */
                    if (len - at > max_hdr) return len;
                    return at;
                }
                pos = at;
                h->resync = false;
                h->midstream = false;
            }
            if (data[pos] == '\n') { /* a bare LF keep-alive */
                pos++;
                continue;
            }
            size_t mlen = 0;
            bool keepalive = false;
            proto_status_t rc =
                sip_frame_message(data + pos, len - pos, max_hdr, &mlen, &keepalive);
            if (rc == PROTO_OK && mlen > 0 && mlen <= len - pos) {
                if (!keepalive) {
                    d->st.tcp_sip_messages++;
                    cap__emit(d, pk, &h->src, h->key.sport, &h->dst, h->key.dport, TRANSPORT_TCP,
                              data + pos, mlen);
                }
                pos += mlen;
                continue;
            }
            if (rc == PROTO_INCOMPLETE) return pos;
            d->st.tcp_framing_errors++;
            h->resync = true;
            /* hunt from the next line: never match the same start again */
            const uint8_t *nl = memchr(data + pos, '\n', len - pos);
            pos = nl ? (size_t)(nl - data) + 1 : len;
            continue;
        }
        case CAP__STREAM_WS: {
            emit_ctx_t ctx = {d, pk, h};
            long n = cap__ws_consume(d, &h->ws, data + pos, len - pos, ws_emit, &ctx);
            charge(d, h);
            if (n < 0) {
                h->mode = CAP__STREAM_IGNORED; /* frame boundaries lost */
                cap__ws_reset(&h->ws);
                charge(d, h);
                return len;
            }
            return pos + (size_t)n;
        }
        default:
            return len;
        }
    }
    return pos;
}

/* Bytes before the next expected one are lost for good (a gap, or a buffer
 * overflow): drop the partial message and resynchronise. */
static void lose_sync(cap_decoder_t *d, cap__tcp_half_t *h)
{
    drop_buffer(h);
    switch (h->mode) {
    case CAP__STREAM_UNKNOWN:
        h->midstream = true;
        break;
    case CAP__STREAM_SIP:
        h->resync = true;
        break;
    case CAP__STREAM_WS:
        d->st.ws_errors++;
        h->mode = CAP__STREAM_IGNORED;
        cap__ws_reset(&h->ws);
        break;
    default:
        break;
    }
    charge(d, h);
}

/* Appends to the direction's buffer.  False when it would exceed the
 * per-direction or total bound (nothing appended). */
static bool stream_append(cap_decoder_t *d, cap__tcp_half_t *h, const uint8_t *p, size_t n)
{
    size_t max = d->lim.max_tcp_stream_bytes;
    if (n > max || h->len > max - n) return false;
    if (h->start + h->len + n > h->cap) {
        if (h->start) {
            memmove(h->buf, h->buf + h->start, h->len);
            h->start = 0;
        }
        if (h->len + n > h->cap) {
            size_t cap = h->cap ? (size_t)h->cap * 2 : 2048;
            while (cap < h->len + n)
                cap *= 2;
            if (cap > max) cap = max;
            if (!reserve(d, h, cap - h->cap)) return false;
            uint8_t *nb = realloc(h->buf, cap);
            if (!nb) return false;
            h->buf = nb;
            h->cap = (uint32_t)cap;
            charge(d, h);
        }
    }
    memcpy(h->buf + h->start + h->len, p, n);
    h->len += (uint32_t)n;
    return true;
}

/* n in-order bytes at p: frame them (from the packet when nothing is
 * buffered) and keep the incomplete tail. */
static void deliver(cap_decoder_t *d, cap__pkt_t *pk, cap__tcp_half_t *h, const uint8_t *p,
                    size_t n)
{
    h->next_seq += (uint32_t)n;
    if (h->len > 0 && !stream_append(d, h, p, n)) {
        d->st.tcp_buffer_overflows++;
        lose_sync(d, h); /* the buffered partial message is lost */
    }
    if (h->len == 0) {
        size_t used = consume(d, pk, h, p, n);
        if (used < n && h->mode != CAP__STREAM_IGNORED &&
            !stream_append(d, h, p + used, n - used)) {
            d->st.tcp_buffer_overflows++;
            lose_sync(d, h);
        }
    } else {
        size_t used = consume(d, pk, h, h->buf + h->start, h->len);
        if (h->mode == CAP__STREAM_IGNORED) used = h->len;
        h->start += (uint32_t)used;
        h->len -= (uint32_t)used;
    }
    if (h->len == 0 && h->buf) {
        drop_buffer(h);
        charge(d, h);
    }
}

/* Delivers held segments that have become in order. */
static void drain(cap_decoder_t *d, cap__pkt_t *pk, cap__tcp_half_t *h)
{
    while (h->ooo && h->mode != CAP__STREAM_IGNORED) {
        seg_t *s = h->ooo;
        int32_t diff = (int32_t)(s->seq - h->next_seq);
        if (diff > 0) break;
        h->ooo = s->next;
        h->ooo_bytes -= s->len;
        h->nooo--;
        if ((int64_t)s->len + diff > 0)
            deliver(d, pk, h, s->data - diff, (size_t)((int64_t)s->len + diff));
        else
            d->st.tcp_retransmissions++;
        free(s);
        charge(d, h);
    }
    if (h->mode == CAP__STREAM_IGNORED) {
        free_ooo(h);
        charge(d, h);
    }
}

/* Holds an out-of-order segment.  False when it does not fit. */
static bool hold(cap_decoder_t *d, cap__tcp_half_t *h, uint32_t seq, const uint8_t *p, size_t n,
                 bool *dup)
{
    seg_t **pp = &h->ooo;
    uint32_t rel = seq - h->next_seq;
    while (*pp) {
        if ((*pp)->seq == seq && (*pp)->len >= n) {
            *dup = true;
            return true;
        }
        if ((*pp)->seq - h->next_seq > rel) break;
        pp = &(*pp)->next;
    }
    uint64_t cost = n + CAP__SEG_COST;
    if (h->nooo >= CAP__MAX_OOO_SEGS ||
        h->ooo_bytes + (uint64_t)h->nooo * CAP__SEG_COST + cost > d->lim.max_tcp_stream_bytes ||
        !reserve(d, h, cost))
        return false;
    seg_t *s = malloc(sizeof *s + n);
    if (!s) return false;
    s->seq = seq;
    s->len = (uint32_t)n;
    memcpy(s->data, p, n);
    s->next = *pp;
    *pp = s;
    h->ooo_bytes += (uint32_t)n;
    h->nooo++;
    charge(d, h);
    return true;
}

/* A segment's payload: bytes [seq, seq+n). */
static void data_in(cap_decoder_t *d, cap__pkt_t *pk, cap__tcp_half_t *h, uint32_t seq,
                    const uint8_t *p, size_t n)
{
    while (h->mode != CAP__STREAM_IGNORED) {
        int32_t diff = (int32_t)(seq - h->next_seq);
        if (diff <= 0) {
            if (diff < 0) {
                d->st.tcp_retransmissions++;
                if ((int64_t)n + diff <= 0) return; /* all old */
                p += -(int64_t)diff;                /* partial overlap */
                n -= (size_t)(-(int64_t)diff);
            }
            deliver(d, pk, h, p, n);
            drain(d, pk, h);
            return;
        }
        bool dup = false;
        if (hold(d, h, seq, p, n, &dup)) {
            if (dup)
                d->st.tcp_retransmissions++;
            else
                d->st.tcp_out_of_order++;
            return;
        }
        /* No room to wait for the hole: give it up.  Jump to the earliest
         * byte we have (held or this segment) and go on from there. */
        d->st.tcp_gaps++;
        uint32_t target = seq;
        if (h->ooo && (int32_t)(h->ooo->seq - seq) < 0) target = h->ooo->seq;
        lose_sync(d, h);
        h->next_seq = target;
        drain(d, pk, h);
    }
}

void cap__tcp_segment(cap_decoder_t *d, cap__pkt_t *pk, const ip_addr_t *src, const ip_addr_t *dst,
                      cap__cur_t c)
{
    uint16_t sport, dport;
    uint32_t seq;
    uint8_t offb, flags;
    if (!cap__be16(&c, 0, &sport) || !cap__be16(&c, 2, &dport) || !cap__be32(&c, 4, &seq) ||
        !cap__u8(&c, 12, &offb) || !cap__u8(&c, 13, &flags)) {
        d->st.truncated++;
        return;
    }
    size_t hl = (size_t)(offb >> 4) * 4;
    if (hl < 20) {
        d->st.invalid++;
        return;
    }
    if (!cap__skip(&c, hl)) {
        d->st.truncated++;
        return;
    }

    tcp_key_t k;
    memset(&k, 0, sizeof k);
    k.family = src->family;
    k.sport = sport;
    k.dport = dport;
    memcpy(k.src, src->bytes, 16);
    memcpy(k.dst, dst->bytes, 16);
    uint64_t hash = hash_bytes(&k, sizeof k, d->seed);
    cap__tcp_half_t *h = lookup(d, &k, hash);

    if (flags & TCP_RST) {
        if (h) half_destroy(d, h);
        tcp_key_t r = k;
        r.sport = dport;
        r.dport = sport;
        memcpy(r.src, dst->bytes, 16);
        memcpy(r.dst, src->bytes, 16);
        cap__tcp_half_t *rh = lookup(d, &r, hash_bytes(&r, sizeof r, d->seed));
        if (rh) half_destroy(d, rh);
        return;
    }
    bool syn = (flags & TCP_SYN) != 0;
    if (!h) {
        if (c.len == 0 && !syn) return; /* a pure ACK or FIN: no state */
        uint32_t i = tbl_pool_take(&d->tcp.pool);
        if (i == TBL_NIL) { /* full: the least recently used half goes */
            half_destroy(d, &d->tcp.halves[d->tcp.pool.lru.tail]);
            d->st.tcp_streams_evicted++;
            i = tbl_pool_take(&d->tcp.pool);
        }
        h = &d->tcp.halves[i];
        h->key = k;
        h->hash = hash;
        h->src = *src;
        h->dst = *dst;
        h->next_seq = syn ? seq + 1 : seq;
        h->midstream = !syn;
        tbl_itab_insert(&d->tcp.pool.tab, hash, i);
        d->st.tcp_streams++;
    } else {
        if (syn && h->next_seq != seq + 1) {
            /* A new connection reusing the ports: start over. */
            drop_buffer(h);
            free_ooo(h);
            cap__ws_reset(&h->ws);
            h->mode = CAP__STREAM_UNKNOWN;
            h->fin = h->resync = h->midstream = false;
            h->hunted = 0;
            h->next_seq = seq + 1;
            charge(d, h);
        }
        tbl_dlist_touch(&d->tcp.pool.lru, idx_of(d, h));
    }
    h->last_ns = pk->frame->ts_ns;

    uint32_t dseq = syn ? seq + 1 : seq;
    if (flags & TCP_FIN) {
        h->fin = true;
        h->fin_seq = dseq + (uint32_t)c.len;
    }
    if (c.len && h->mode != CAP__STREAM_IGNORED) data_in(d, pk, h, dseq, c.p, c.len);
    if (h->fin && (h->mode == CAP__STREAM_IGNORED || (int32_t)(h->next_seq - h->fin_seq) >= 0))
        half_destroy(d, h);
}
