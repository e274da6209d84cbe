/* capture_internal.h - declarations shared between the files of capture/;
 * not part of the public API (see capture.h for that).
 *
 * Parser safety (tcpdump's extract.h / ND_TTEST_LEN in spirit): every read
 * from packet memory goes through a cursor {p, len} and an accessor that
 * checks "off <= len && n <= len - off" first, a form that cannot overflow or
 * underflow.  Accessors return false instead of reading past the end; the
 * caller counts the frame as truncated and stops.
 *
 * Internal names use the cap__ prefix (double underscore, as libuv's uv__).
 */
#ifndef SIPHON_CAPTURE_INTERNAL_H
#define SIPHON_CAPTURE_INTERNAL_H

#include "capture.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Bounds-checked cursor                                                     */
/* ------------------------------------------------------------------------ */

typedef struct {
    const uint8_t *p;
    size_t len;
} cap__cur_t;

static inline cap__cur_t cap__cur(const uint8_t *p, size_t len)
{
    return (cap__cur_t){p, len};
}

/* True when n bytes at offset off are inside the cursor. */
static inline bool cap__has(const cap__cur_t *c, size_t off, size_t n)
{
    return off <= c->len && n <= c->len - off;
}

static inline bool cap__u8(const cap__cur_t *c, size_t off, uint8_t *v)
{
    if (!cap__has(c, off, 1)) return false;
    *v = c->p[off];
    return true;
}

static inline bool cap__be16(const cap__cur_t *c, size_t off, uint16_t *v)
{
    if (!cap__has(c, off, 2)) return false;
    *v = (uint16_t)((c->p[off] << 8) | c->p[off + 1]);
    return true;
}

static inline bool cap__be32(const cap__cur_t *c, size_t off, uint32_t *v)
{
    if (!cap__has(c, off, 4)) return false;
    const uint8_t *q = c->p + off;
    *v = ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) | ((uint32_t)q[2] << 8) | q[3];
    return true;
}

static inline bool cap__le32(const cap__cur_t *c, size_t off, uint32_t *v)
{
    if (!cap__has(c, off, 4)) return false;
    const uint8_t *q = c->p + off;
    *v = ((uint32_t)q[3] << 24) | ((uint32_t)q[2] << 16) | ((uint32_t)q[1] << 8) | q[0];
    return true;
}

/* Copies n bytes at off into dst; false (nothing copied) if out of range. */
static inline bool cap__bytes(const cap__cur_t *c, size_t off, void *dst, size_t n)
{
    if (!cap__has(c, off, n)) return false;
    memcpy(dst, c->p + off, n);
    return true;
}

/* Advances past n bytes; false (cursor unchanged) if fewer remain. */
static inline bool cap__skip(cap__cur_t *c, size_t n)
{
    if (n > c->len) return false;
    c->p += n;
    c->len -= n;
    return true;
}

/* Limits the cursor to its first n bytes (drops link padding); false if
 * fewer than n remain (the capture is truncated). */
static inline bool cap__limit(cap__cur_t *c, size_t n)
{
    if (n > c->len) return false;
    c->len = n;
    return true;
}

/* ------------------------------------------------------------------------ */
/* Capture time                                                              */
/* ------------------------------------------------------------------------ */

/* sec seconds and frac_ns nanoseconds (a corrupt file may hold any value in
 * either) as a capture time in [0, CAP_TS_MAX_NS]; *clamped tells whether
 * it had to be clamped. */
static inline int64_t cap__ts_from(int64_t sec, int64_t frac_ns, bool *clamped)
{
    int64_t ns;
    *clamped = false;
    if (__builtin_mul_overflow(sec, NS_PER_SEC, &ns) || __builtin_add_overflow(ns, frac_ns, &ns) ||
        ns < 0 || ns > CAP_TS_MAX_NS) {
        *clamped = true;
        bool low = sec < 0 || (sec == 0 && frac_ns < 0);
        return low ? 0 : CAP_TS_MAX_NS;
    }
    return ns;
}

/* A capture time clamped into [0, CAP_TS_MAX_NS]. */
static inline int64_t cap__ts_clamp(int64_t ts_ns)
{
    return ts_ns < 0 ? 0 : ts_ns > CAP_TS_MAX_NS ? CAP_TS_MAX_NS : ts_ns;
}

/* ------------------------------------------------------------------------ */
/* Opening capture files (file_input.c)                                      */
/* ------------------------------------------------------------------------ */

typedef struct {
    FILE *fp;           /* for libpcap, which closes it (pcap_close) */
    char *iobuf;        /* stdio buffer of a plain file; free after fp is closed */
    bool plain;         /* a regular uncompressed file: fp may be mapped */
    bool compressed;    /* gzip data, decompressed behind fp */
    struct cap__gz *gz; /* the zlib reader behind fp (stdin, gzip), or NULL;
                           freed when fp is closed */
    uint64_t size;      /* size on disk, 0 when unknown (a pipe) */
    uint8_t head[24];   /* the capture's first bytes (decompressed) */
    size_t head_len;
} cap__input_t;

/* Opens path ("-": standard input) for reading as a capture: fills *in and
 * returns true, or false with what is wrong in err (without the path). */
bool cap__input_open(cap__input_t *in, const char *path, char *err, size_t errlen);
/* The head is a pcapng section header block. */
bool cap__input_pcapng(const cap__input_t *in);
/* libpcap refused the file: why, from its first bytes, into err. */
void cap__input_refused(const cap__input_t *in, char *err, size_t errlen);
/* A record could not be read from fp: why, into err (detail: libpcap's
 * reason, used only when nothing better is known). */
void cap__input_read_failed(const cap__input_t *in, FILE *fp, const char *detail, char *err,
                            size_t errlen);
/* Bytes of the file read so far (compressed bytes for gzip). */
uint64_t cap__input_consumed(const cap__input_t *in, FILE *fp);

/* ------------------------------------------------------------------------ */
/* Decoder state                                                             */
/* ------------------------------------------------------------------------ */

/* Deepest encapsulation we follow (tunnel in tunnel in ...); deeper frames
 * are counted invalid.  Bounds recursion on hostile input. */
#define CAP__MAX_DEPTH 8

/* Largest IP datagram payload reassembled from fragments. */
#define CAP__REASM_MAX 65535u

/* Reassembled datagrams can nest (a fragmented tunnel carrying fragments):
 * one output buffer per nesting level, deeper ones are dropped. */
#define CAP__REASM_LEVELS 2

typedef struct cap__frag_ent cap__frag_ent_t;
typedef struct cap__tcp_half cap__tcp_half_t;

/* The fragment and TCP tables: entries preallocated up to their caps
 * (max_frag_datagrams, max_tcp_streams) and kept by core's entry pool
 * (core/table.c: free list, hash index, LRU list, most recent at the head),
 * plus the bytes their heap buffers hold, bounded by the byte limits. */
typedef struct {
    cap__frag_ent_t *ents;
    tbl_pool_t pool;
    uint64_t bytes; /* fragment data held, with each piece's overhead */
} cap__frag_table_t;

typedef struct {
    cap__tcp_half_t *halves;
    tbl_pool_t pool;
    uint64_t bytes; /* buffered across all flows */
} cap__tcp_table_t;

/* One entry of the duplicate table (dedup.c); hash 0 marks an empty one. */
typedef struct {
    uint64_t hash;
    int64_t ts_ns;
} cap__dedup_ent_t;

/* SIP over SCTP (sctp.c): the partial user messages being reassembled, in
 * a fixed array of max_sctp_messages slots, and the CRC32c table. */
typedef struct cap__sctp_msg cap__sctp_msg_t;
typedef struct {
    cap__sctp_msg_t *msgs; /* NULL when max_sctp_messages is 0 */
    uint32_t used;         /* slots in use */
    uint64_t bytes;        /* buffer bytes held across them */
    uint32_t crc[256];
} cap__sctp_t;

/* What cap_decoder_prefetch found in a frame it glanced at
 * (decode_prefetch.c), kept for the decode of the same frame: the IP
 * packet's duplicate-check hash (dedup.c, used once), and for a plain UDP
 * frame the whole decode: the datagram, emitted without walking the
 * layers again (decoder.c).  Entries are found by frame number and trusted
 * only when the frame's address and length match too. */
#define CAP__AHEAD      32
#define CAP__VXLAN_PORT 4789 /* UDP port decoded further (decode_tunnel.c) */
typedef struct {
    uint64_t frame_no;
    const uint8_t *frame_data;
    uint32_t caplen;
    const uint8_t *ip; /* the IP packet and its length */
    size_t ip_len;
    uint64_t hash;
    bool hashed; /* hash not used yet */
    bool plain;  /* dg is what the layered decode would emit */
    bool v6;
    datagram_t dg;
} cap__ahead_t;

struct cap_decoder {
    cap_limits_t lim;
    datagram_cb_pt cb;
    void *user;
    cap_stats_t st;
    uint64_t seed;
    int64_t next_expire_ns; /* lazy expiry as packet time advances */

    cap__frag_table_t frag;
    uint8_t *reasm_buf[CAP__REASM_LEVELS]; /* CAP__REASM_MAX each, lazily */
    int reasm_level;

    cap__tcp_table_t tcp;
    uint8_t *scratch; /* WebSocket unmasking */
    size_t scratch_cap;

    cap__sctp_t sctp;

    cap__dedup_ent_t *dedup;        /* NULL: duplicate suppression disabled */
    uint32_t dedup_set_mask;        /* sets - 1; two entries per set */
    cap__ahead_t ahead[CAP__AHEAD]; /* by frame number (decode_prefetch.c) */
};

/* What one frame being decoded carries down the layers. */
typedef struct {
    const cap_frame_t *frame;
    int depth; /* encapsulations entered so far */
} cap__pkt_t;

/* ------------------------------------------------------------------------ */
/* Layers (each returns nothing: outcomes are counted in d->st)              */
/* ------------------------------------------------------------------------ */

/* decode_link.c: an Ethernet frame (also the inside of GRE 0x6558, ERSPAN,
 * VXLAN and MPLS pseudowires). */
void cap__decode_ether(cap_decoder_t *d, cap__pkt_t *pk, cap__cur_t c);
/* decode_link.c: dispatches on an Ethertype (VLAN tags, MPLS, IP). */
void cap__decode_ethertype(cap_decoder_t *d, cap__pkt_t *pk, uint16_t type, cap__cur_t c);
/* decode_link.c: the payload of PPP protocol proto (0x0021 IPv4, 0x0057
 * IPv6; anything else is non-IP). */
void cap__decode_ppp_proto(cap_decoder_t *d, cap__pkt_t *pk, uint16_t proto, cap__cur_t c);
/* decode_link.c: a frame of any supported DLT. */
void cap__decode_link(cap_decoder_t *d, cap__pkt_t *pk, int linktype, cap__cur_t c);

/* decode_ip.c: an IP packet whose version is taken from its first nibble. */
void cap__decode_ip(cap_decoder_t *d, cap__pkt_t *pk, cap__cur_t c);
void cap__decode_ipv4(cap_decoder_t *d, cap__pkt_t *pk, cap__cur_t c);
void cap__decode_ipv6(cap_decoder_t *d, cap__pkt_t *pk, cap__cur_t c);

/* decode_l4.c: the payload of an IP packet, protocol proto (UDP, TCP, SCTP,
 * IP-in-IP, GRE). */
void cap__decode_l4(cap_decoder_t *d, cap__pkt_t *pk, uint8_t proto, const ip_addr_t *src,
                    const ip_addr_t *dst, cap__cur_t c);

/* decode_tunnel.c: GRE (RFC 2784/2890, PPTP's enhanced GRE, ERSPAN) and the
 * VXLAN payload of a UDP datagram (RFC 7348). */
void cap__decode_gre(cap_decoder_t *d, cap__pkt_t *pk, cap__cur_t c);
/* True (and decoded) when the UDP payload is a VXLAN packet. */
bool cap__decode_vxlan(cap_decoder_t *d, cap__pkt_t *pk, cap__cur_t c);

/* Hands a datagram to the callback and counts it. */
void cap__emit(cap_decoder_t *d, const cap__pkt_t *pk, const ip_addr_t *src, uint16_t sport,
               const ip_addr_t *dst, uint16_t dport, transport_t tr, const uint8_t *data,
               size_t len);

/* ------------------------------------------------------------------------ */
/* Fragment reassembly (ip_frag.c)                                           */
/* ------------------------------------------------------------------------ */

typedef struct {
    uint8_t family; /* IP_V4 / IP_V6 */
    uint8_t proto;  /* IPv4: protocol (part of the key); IPv6: 0 */
    uint8_t pad[2];
    uint32_t id;
    uint8_t src[16], dst[16];
} cap__frag_key_t;

/* One fragment: bytes [off, off+len) of the original payload.  last is set
 * when this is the final fragment (MF clear).  next_proto is the upper-layer
 * protocol carried (meaningful for offset 0).  When the datagram becomes
 * complete, returns true with *out pointing at the reassembled payload (valid
 * until the frame's decoding returns; caller must call cap__frag_release
 * when done) and *proto its protocol. */
bool cap__frag_add(cap_decoder_t *d, const cap__frag_key_t *key, uint32_t off, bool last,
                   uint8_t next_proto, const uint8_t *data, size_t len, int64_t ts_ns,
                   cap__cur_t *out, uint8_t *proto);
void cap__frag_release(cap_decoder_t *d);
void cap__frag_expire(cap_decoder_t *d, int64_t now_ns);
bool cap__frag_init(cap_decoder_t *d);
void cap__frag_free(cap_decoder_t *d);

/* ------------------------------------------------------------------------ */
/* SCTP (sctp.c)                                                             */
/* ------------------------------------------------------------------------ */

/* An SCTP packet (common header at c, not yet length-checked). */
void cap__decode_sctp(cap_decoder_t *d, cap__pkt_t *pk, const ip_addr_t *src, const ip_addr_t *dst,
                      cap__cur_t c);
void cap__sctp_expire(cap_decoder_t *d, int64_t now_ns);
bool cap__sctp_init(cap_decoder_t *d);
void cap__sctp_free(cap_decoder_t *d);

/* ------------------------------------------------------------------------ */
/* Duplicate suppression (dedup.c)                                           */
/* ------------------------------------------------------------------------ */

/* The IP packet at p (len bytes, trimmed to its own length) was already
 * seen within the window: returns true and counts it in duplicates_dropped.
 * Otherwise records it and returns false. */
bool cap__dedup_seen(cap_decoder_t *d, const cap__pkt_t *pk, const uint8_t *p, size_t len);
/* The packet's duplicate-check hash, computed ahead of its decode, with its
 * table set prefetched (decode_prefetch.c keeps it in the frame's
 * cap__ahead_t for cap__dedup_seen). */
uint64_t cap__dedup_prepare(cap_decoder_t *d, const uint8_t *p, size_t len);
bool cap__dedup_init(cap_decoder_t *d);
void cap__dedup_free(cap_decoder_t *d);

/* ------------------------------------------------------------------------ */
/* TCP streams (tcp_stream.c) and WebSocket (websocket.c)                    */
/* ------------------------------------------------------------------------ */

/* A TCP segment: header at c (already known to hold at least 20 bytes). */
void cap__tcp_segment(cap_decoder_t *d, cap__pkt_t *pk, const ip_addr_t *src, const ip_addr_t *dst,
                      cap__cur_t c);
void cap__tcp_expire(cap_decoder_t *d, int64_t now_ns);
bool cap__tcp_init(cap_decoder_t *d);
void cap__tcp_free(cap_decoder_t *d);

/* What a direction of a TCP flow carries. */
typedef enum {
    CAP__STREAM_UNKNOWN = 0,  /* nothing seen yet: probe the first bytes */
    CAP__STREAM_SIP,          /* SIP messages framed by Content-Length */
    CAP__STREAM_WS_HANDSHAKE, /* waiting for the end of the HTTP upgrade */
    CAP__STREAM_WS,           /* WebSocket frames carrying SIP (RFC 7118) */
    CAP__STREAM_IGNORED,      /* not SIP: data dropped cheaply */
} cap__stream_mode_t;

/* WebSocket per-direction state (lives in the TCP half-stream). */
typedef struct {
    uint8_t *msg; /* a fragmented message being reassembled */
    size_t msg_len, msg_cap;
    bool in_message; /* a non-FIN data frame was seen */
} cap__ws_state_t;

/* Result of looking at the first bytes of a stream for an HTTP upgrade. */
typedef enum {
    CAP__WS_NEED_MORE = 0, /* header block incomplete */
    CAP__WS_NOT_HTTP,      /* does not start like HTTP */
    CAP__WS_NOT_UPGRADE,   /* HTTP, but not a SIP WebSocket upgrade */
    CAP__WS_UPGRADE,       /* request or 101 response; *hdr_len = block */
} cap__ws_probe_t;

/* Inspects data (the start of a stream direction) for an RFC 6455 opening
 * handshake with Upgrade: websocket.  On CAP__WS_UPGRADE, *hdr_len is the
 * length of the HTTP header block including the blank line. */
cap__ws_probe_t cap__ws_probe(const uint8_t *data, size_t len, size_t max_hdr, size_t *hdr_len);

/* Consumes whole WebSocket frames from data, emitting each complete message
 * as a TRANSPORT_WS datagram via emit.  Returns bytes consumed (whole frames
 * only), or -1 on a protocol error (counted; the caller stops decoding the
 * direction). */
typedef void (*cap__ws_emit_pt)(void *ctx, const uint8_t *msg, size_t len);
long cap__ws_consume(cap_decoder_t *d, cap__ws_state_t *ws, const uint8_t *data, size_t len,
                     cap__ws_emit_pt emit, void *ctx);
void cap__ws_reset(cap__ws_state_t *ws);

#endif /* SIPHON_CAPTURE_INTERNAL_H */
