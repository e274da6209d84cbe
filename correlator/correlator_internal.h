/* correlator_internal.h - private declarations shared by the correlator's
 * files (dialog.c, media.c, stream.c, orphan.c, correlator.c).
 *
 * Memory model: every table is an array of entries allocated once in
 * corr_new, an LRU list threaded through the entries by index (tbl_dlist_t),
 * whose next array also chains the free entries, and an open-addressing
 * index (tbl_itab_t) from a 64-bit key hash to entry index.  Nothing on the RTP
 * path allocates.
 * Entries refer to each other by uint32_t index; CORR_NIL is "none".
 */
#ifndef SIPHON_CORRELATOR_INTERNAL_H
#define SIPHON_CORRELATOR_INTERNAL_H

#include "correlator.h"

#include <stddef.h>
#include "proto.h"

#include <string.h>

#define CORR_NIL TBL_NIL /* no entry (core.h's containers) */

/* Hot entries move to their LRU head at most once per this much packet
 * time: eviction order is exact to this granularity and the RTP path does
 * not rewrite neighbouring list links on every packet. */
#define CORR_LRU_GRAIN_NS (1000 * NS_PER_MSEC)

/* Hash of an endpoint mixed into h (no string work: two 64-bit loads). */
static inline uint64_t corr__hash_ep(uint64_t h, const endpoint_t *e)
{
    /* one hash_mum step keyed by h (which starts from the table's random
     * seed): a third of the latency of two hash_u64 rounds, on every RTP
     * packet's stream lookup */
    uint64_t a, b;
    memcpy(&a, e->ip.bytes, 8);
    memcpy(&b, e->ip.bytes + 8, 8);
    return hash_mum(a ^ h ^ HASH_MUM_K1,
                    b ^ ((uint64_t)e->port << 48) ^ ((uint64_t)e->ip.family << 40) ^ HASH_MUM_K2);
}

/* ------------------------------------------------------------------------ */
/* Entries                                                                   */
/* ------------------------------------------------------------------------ */

/* How long a challenged INVITE (401/407) waits for its retry before the
 * call counts as rejected: retries typed by a human (a password prompt)
 * take tens of seconds; 64 s is twice RFC 3261's Timer B. */
#define CORR_CHALLENGE_WAIT_NS (64 * NS_PER_SEC)

#define CORR_MAX_TAGS          8 /* distinct To tags remembered per call (forking) */
#define CORR__CALL_TAGS_INLINE 2 /* of them in corr__call_t; the others in its string blob */
#define CORR_MAP_MAX           8 /* rtpmap entries kept per media endpoint */
#define CORR_CODEC_NAME        16

enum { SIDE_NONE = 0, SIDE_CALLER = 1, SIDE_CALLEE = 2 };

/* One (ip, port) learnt from SDP.  What an RTP endpoint's m= line says
 * about payload types (its format list, up to SDP_MAX_FMTS, and rtpmap, up
 * to CORR_MAP_MAX entries) is a descriptor blob of the shared media
 * descriptor classes (media.c), read through corr__media_codec / corr__media_fmts;
 * RTCP endpoints have none.  An RTCP endpoint on the RTP address's port+1
 * has no entry: its RTP entry's rtcp_next bit implies it (media.c). */
typedef struct {
    bool used : 1;
    bool rtcp : 1;      /* the RTCP endpoint of a media line */
    bool rtcp_mux : 1;  /* RTP endpoint that also carries RTCP */
    bool rtcp_next : 1; /* RTP endpoint whose RTCP is (ip, port + 1), implied */
    unsigned side : 2;  /* who advertised it (SIDE_*) */
    int8_t media_index;
    endpoint_t ep;
    uint32_t call;
    uint32_t call_prev, call_next; /* the call's endpoint list */
    uint32_t desc;                 /* descriptor blob id, CORR_NIL = none */
} corr__media_ep_t;

/* DTMF events live in a shared pool of nodes (corr_new, max_dtmf_events),
 * one singly linked list per stream and per call (INFO).  Node ids are
 * 1-based, 0 = none, so a zeroed list is empty. */
typedef struct {
    corr_dtmf_t d;
    uint32_t next;
} corr__dtmf_node_t;

typedef struct {
    uint32_t head, tail;
} corr__dtmf_list_t;

/* What RTCP said about one stream (rtcp_attach.c): a node of a shared pool
 * (max_rtcp_streams) taken on the stream's first RTCP, so a stream without
 * RTCP costs one id.  NTP times this SSRC sent (SR, XR RRT) with their
 * capture time, to match a later LSR/LRR and measure the round trip.  Ids
 * are 1-based, 0 = none; free nodes are chained through ntp_next_free. */
#define STREAM_NTP_MEMORY 4

typedef struct {
    corr_rtcp_t r;
    uint32_t ntp_mid[STREAM_NTP_MEMORY];
    int64_t ntp_ts[STREAM_NTP_MEMORY];
    uint8_t ntp_next;
    uint32_t next_free;
} corr__rtcp_node_t;

/* Per-stream state of rtcp_attach.c, dtmf.c and call_flags.c (zeroed by
 * corr__stream_new).  Flags are bits and the two cold bytes sit in the hole the
 * hot flags leave, so the hot head is 64 bytes. */

typedef struct {
    /* hot: read or written by every RTP packet (corr__flags_on_rtp), kept first */
    bool pt_event : 1;       /* current PT is telephone-event (SDP, or orphan guess) */
    bool pt_event_guess : 1; /* orphan dynamic PT: event if the payload fits */
    bool pt_bad : 1;         /* current PT not in the m= line */
    bool have_prev : 1;      /* previous audio/CN packet (not events) */
    bool rtcp_only : 1;      /* cold: orphan entry created by RTCP, no RTP seen */
    bool ev_open : 1;        /* cold: an RFC 4733 event is open */
    uint8_t bad_pt;          /* cold: first PT found not negotiated */
    uint16_t prev_seq;
    uint32_t prev_ts;
    uint32_t ts_inc; /* last per-packet timestamp step */
    uint32_t ev_clock;
    int64_t prev_arr_ns;
    int64_t after_bye_ns; /* packets after this count as media after BYE; 0 = no BYE */
    int64_t cn_start_ns;  /* start of the current comfort-noise run, 0 none */
    double silence_ms;
    /* 32-bit like rtp_stats_t's packet counters (2^32 packets: 49 days at
     * 1,000 packets/s) */
    uint32_t bad_pt_packets;
    uint32_t ts_jumps;
    uint32_t after_bye; /* packets more than FLAG_AFTER_BYE_NS after BYE */
    uint32_t silence_periods;
    /* cold: DTMF events, RTCP */
    uint32_t ev_rtp_ts;
    uint32_t ev_node; /* node of the open event, 0 when it did not fit */
    uint16_t dtmf_count, dtmf_dropped;
    uint32_t rtcp;          /* corr__rtcp_node_t id, 0 = no RTCP yet */
    corr__dtmf_list_t dtmf; /* up to CORR_STREAM_DTMF_MAX events */
} corr__stream_x_t;

/* The live call's strings (cstr.c): one blob per call from a shared pool
 * of size classes, each string cut to CORR_STR_MAX - 1 bytes like the
 * record's arrays and kept NUL-terminated (corr__call_str gives a C string). */
enum {
    CS_CALL_ID = 0,
    CS_FROM_URI,
    CS_TO_URI,
    CS_CALLER,
    CS_CALLEE,
    CS_FROM_TAG,
    CS_TO_TAG,
    CS_USER_AGENT,
    CS_REASON,
    CS_COUNT
};
#define CSTR_CLASSES  5
#define MDESC_CLASSES 4
#define CSTR_SHIFT    28 /* blob id = class << CSTR_SHIFT | index in the class */

/* A size class: blobs [unused, cap) were never handed out; released ones
 * are chained from free_head, each free blob holding the next one's index
 * in its first 4 bytes (blobs are at least 32 bytes). */
typedef struct {
    uint8_t *mem;
    uint32_t size; /* bytes per blob */
    uint32_t cap;
    uint32_t free_head; /* CORR_NIL = none */
    uint32_t unused;
} corr__cstr_class_t;

/* RFC 6035 reports kept on live calls: nodes of a shared pool (vq_attach.c,
 * max_vq_reports), one list per call; ids are 1-based, 0 = none. */
typedef struct {
    corr_vq_report_t r;
    uint32_t next;
} corr__vq_node_t;

/* Per-call state of dtmf.c (SIP INFO events). */
#define CORR__CALL_INFO_DTMF_MAX 32
typedef struct {
    uint8_t info_count; /* <= CORR__CALL_INFO_DTMF_MAX */
    bool have_info : 1; /* last INFO DTMF request, for retransmissions */
    bool last_info_caller : 1;
    uint16_t info_dropped;
    corr__dtmf_list_t info; /* up to CORR__CALL_INFO_DTMF_MAX events */
    uint32_t last_info_cseq;
} corr__call_x_t;

/* What nDPI (or siphon's own checks) classified an orphan stream as
 * (corr__stream_t.orphan_proto; the record's orphan_proto string). */
enum { ORPHAN_PROTO_NONE = 0, ORPHAN_PROTO_RTP, ORPHAN_PROTO_RTCP, ORPHAN_PROTO_SRTP };

/* One RTP stream: (src, dst, ssrc).  Field order is for the cache: the key
 * and what the per-packet path touches come first (the header, rtp_stats,
 * the hot head of x: STREAM_HOT_END), x's cold tail (DTMF, RTCP) next, the
 * quality tracker (per packet too, after the hot span) last.  corr__stream_rtp
 * prefetches the hot span at once, so its cache misses overlap instead of
 * following one another.  The codec name is an interned id (stream.c). */
typedef struct {
    bool used : 1;
    bool orphan : 1;    /* no call: classified (or being classified) by nDPI */
    bool tentative : 1; /* orphan whose flow nDPI has not decided yet */
    bool from_caller : 1;
    bool have_codec : 1;
    bool last_pt_valid : 1, last_pt_cn : 1;
    bool written : 1;     /* its record was made (call or orphan): not lost */
    uint8_t orphan_proto; /* ORPHAN_PROTO_*, named at emission */
    int8_t media_index;
    uint8_t payload_type;   /* of the first media (non CN/DTMF) packet */
    uint8_t last_pt;        /* payload-type cache for the clock rate */
    uint16_t orphan_reason; /* nDPI protocol id that classified an orphan */
    uint32_t ssrc;
    uint32_t owner; /* call index, or orphan flow index */
    endpoint_t src, dst;
    uint32_t owner_prev, owner_next; /* the owner's stream list */
    uint32_t rtcp_packets;
    uint32_t codec;     /* interned codec name (stream.c), 0 = none */
    int64_t lru_ns;     /* last move to the LRU head */
    rtp_stats_t stats;  /* its clock_rate is the current PT's clock (0: none) */
    corr__stream_x_t x; /* RTCP, DTMF, flag counters (hot part first) */
    sq_t quality;       /* voice-quality tracker (quality.h) */
} corr__stream_t;

/* A codec name streams share (stream.c): cut to CORR_CODEC_NAME - 1 bytes
 * as rtpmap names are (static ones are shorter), with the number of
 * streams naming it. */
typedef struct {
    char name[CORR_CODEC_NAME];
    uint32_t refs;
} corr__codec_name_t;

#define STREAM_HOT_END (offsetof(corr__stream_t, x) + offsetof(corr__stream_x_t, ev_rtp_ts))

/* What a live call keeps of its corr_call_t: the scalars, under the same
 * names.  Strings live in the call's blob (corr__call_str), DTMF in the DTMF
 * pool, RFC 6035 reports in the vq pool; flags, streams and quality are
 * computed at emission, when corr__call_emit builds the whole record in the
 * correlator's scratch record (emit_call). */
#define CORR__CALL_OFF_NONE UINT32_MAX

typedef struct {
    endpoint_t src, dst; /* of the initial INVITE */
    uint8_t transport;   /* transport_t */
    uint8_t state;       /* corr_call_state_t */
    uint8_t ended_by;    /* corr_ended_by_t */
    bool evicted;
    uint8_t vq_count;
    int final_code;
    uint32_t rtcp_packets; /* 32-bit like the streams' packet counters */
    int64_t start_ts_ns, answer_ts_ns, end_ts_ns, ringing_ts_ns;
    /* the current INVITE transaction, in us: its request after start_ts_ns,
     * its first provisional response (not 100) after the request;
     * CORR__CALL_OFF_NONE: not captured / none yet (corr_call_t has the times) */
    uint32_t invite_off_us, progress_off_us;
    uint32_t sip_messages;
    uint32_t invites, reinvites, challenges;
    uint32_t holds;
    uint32_t vq_dropped;
    uint32_t vq_head, vq_tail; /* vq pool nodes */
} corr__call_rec_t;

typedef struct {
    bool used : 1;
    bool have_invite : 1; /* an INVITE request was seen */
    bool answered : 1;
    bool cancel_seen : 1;
    bool bye_seen : 1;
    bool ended : 1;         /* in an end queue (linger or challenge_wait) */
    bool end_challenge : 1; /* ... and it is challenge_wait */
    bool challenged : 1;    /* last final response was 401/407 */
    bool challenge_407 : 1; /* ... and it was 407 (else 401) */
    bool reinvite_open : 1;
    bool t38_caller : 1;       /* the caller's SDP had an enabled m=image (T.38) */
    bool t38_callee : 1;       /* ... the callee's */
    bool t38_first_caller : 1; /* ... and the caller's came first (the offer) */
    uint8_t ntags;             /* distinct To tags: tags[], then the string blob's */
    uint32_t invite_cseq;
    uint32_t challenge_cseq;
    uint32_t reinvite_cseq;
    uint32_t update_cseq;
    uint32_t cid_len; /* full Call-ID length (the copy may be cut) */
    uint32_t str;     /* string blob (cstr.c) */
    uint32_t ep_head; /* media endpoints */
    uint64_t hash;
    uint64_t key;                          /* corr_call_t.call_key */
    uint64_t tags[CORR__CALL_TAGS_INLINE]; /* To-tag hashes (the first ones) */
    int64_t last_activity_ns;
    int64_t lru_ns; /* last move to the LRU head (<= last_activity_ns) */
    int64_t linger_deadline_ns;
    uint32_t st_head; /* streams */
    uint32_t nstreams;
    corr__call_x_t x; /* SIP INFO DTMF */
    corr__call_rec_t rec;
} corr__call_t;

/* A UDP flow nobody claimed, being classified by nDPI. */
enum { OFLOW_CLASSIFYING = 0, OFLOW_MEDIA, OFLOW_OTHER };

struct ndpi_flow_struct;
struct ndpi_detection_module_struct;

typedef struct {
    bool used;
    uint8_t state;
    uint16_t packets;
    uint16_t proto; /* nDPI id once decided */
    uint64_t hash;
    endpoint_t src, dst;
    int64_t last_ns;
    struct ndpi_flow_struct *nf;
    uint32_t st_head; /* tentative streams */
} corr__oflow_t;

struct corr {
    corr_config_t cfg;
    corr_sink_t sink;
    corr_stats_t stats;
    uint64_t seed;

    corr_clock_t clock; /* corr_on_datagram's own expiry points */
    int64_t now_ns;     /* the correlator clock: the largest packet time
                           so far, of the whole datagram sequence
                           (corr_advance); activity and deadlines run
                           on it, so it never goes backwards */

    /* calls, their strings and what hangs off them */
    corr__call_t *calls;
    tbl_pool_t call_pool;
    tbl_dlist_t linger;                    /* ended calls, in order of their linger deadline */
    tbl_dlist_t challenge_wait;            /* calls whose last answer was 401/407, idem */
    corr__cstr_class_t cstr[CSTR_CLASSES]; /* call string blobs (cstr.c) */
    corr__dtmf_node_t *dtmf_nodes;         /* max_dtmf_events */
    tbl_idpool_t dtmf_ids;                 /* ids of dtmf_nodes */
    corr__vq_node_t *vq_nodes;             /* max_vq_reports (vq_attach.c) */
    tbl_idpool_t vq_ids;                   /* ids of vq_nodes */

    /* REGISTER transactions (events.c; only with on_registration) */
    struct reg_entry *regs;
    tbl_pool_t reg_pool;

    /* SDP endpoints */
    corr__media_ep_t *eps;
    tbl_pool_t ep_pool;
    corr__cstr_class_t mdesc[MDESC_CLASSES]; /* SDP descriptors of endpoints (media.c) */

    /* streams */
    corr__stream_t *streams;
    tbl_pool_t stream_pool;
    tbl_dlist_t orphan_lru;          /* orphan streams, for idle expiry */
    corr__rtcp_node_t *rtcp_nodes;   /* max_rtcp_streams (rtcp_attach.c) */
    tbl_idpool_t rtcp_ids;           /* ids of rtcp_nodes */
    corr__codec_name_t *codec_names; /* codec names, interned (stream.c); entry i is id i + 1 */
    tbl_pool_t codec_pool;

    /* UDP flows nobody claimed */
    corr__oflow_t *flows;
    tbl_pool_t flow_pool;
    struct ndpi_detection_module_struct *ndpi; /* opened at the first unclaimed datagram */
    uint8_t *ndpi_pkt;                         /* scratch: synthetic IP+UDP header + payload */
    bool ndpi_failed;                          /* opening nDPI failed: classification stays off */

    /* scratch for the packet being handled, and the records being emitted */
    sip_msg_t msg;              /* for the SIP parser */
    sdp_t sdp;                  /* for the SDP parser */
    const uint8_t *rtp_payload; /* payload of the RTP packet being handled */
    rtcp_compound_t rtcp;       /* for rtcp_parse_compound */
    vq_report_t vq;             /* for vq_report_parse */
    corr_stream_t *emit_buf;    /* max_streams_per_call records for on_call */
    corr_call_t *emit_call;     /* the record corr__call_emit builds for on_call */
};

/* dialog.c */
void corr__dialog_on_sip(corr_t *c, const datagram_t *dg);
/* corr__dialog_on_sip for a message already parsed into c->msg (status st). */
void corr__dialog_on_parsed(corr_t *c, const datagram_t *dg, proto_status_t st);

/* parse.c: a SIP parse carried from the router to a shard (see there) */
size_t corr__parse_size(const sip_msg_t *m, proto_status_t st);
void corr__parse_write(const sip_msg_t *m, proto_status_t st, const uint8_t *base, void *out);
/* Rebuilds m (views into dg's bytes) and *st; false when in is malformed. */
bool corr__parse_read(const void *in, size_t n, const datagram_t *dg, sip_msg_t *m,
                      proto_status_t *st);
void corr__call_emit(corr_t *c, uint32_t ci, bool open_at_end, bool timed_out);
/* Brings a call's activity up to date from its streams (RTP does not touch
 * calls per packet); true when it moved in the LRU (ordered by lru_ns). */
bool corr__call_refresh_activity(corr_t *c, uint32_t ci);
void corr__call_touch(corr_t *c, uint32_t ci, int64_t ts);
/* correlator.c: moves call ci to its place in the LRU, ordered by lru_ns,
 * with lru_ns = t (a walk from the head past the calls that moved later). */
void corr__call_lru_place(corr_t *c, uint32_t ci, int64_t t);

/* media.c */
bool corr__media_init(corr_t *c);
void corr__media_free(corr_t *c);
void corr__media_learn_sdp(corr_t *c, uint32_t ci, const sdp_t *sdp, uint8_t side);
/* The m= line's format list of endpoint e (n = 0: none known). */
const uint8_t *corr__media_fmts(const corr_t *c, const corr__media_ep_t *e, int *n);
/* Descriptor bytes endpoint e uses (its class size, 0 for none). */
uint32_t corr__media_desc_size(const corr_t *c, const corr__media_ep_t *e);
/* The endpoint for ep (RTP or RTCP), or CORR_NIL: an entry index, or for
 * an RTCP endpoint implied by its RTP entry on port-1, that entry's index
 * with MEDIA_IMPLIED set.  Read it with corr__media_get / corr__media_call. */
#define MEDIA_IMPLIED (1u << 31)
uint32_t corr__media_find(const corr_t *c, const endpoint_t *ep);
/* What endpoint h (of corr__media_find) is: a copy of its entry, or for an
 * implied RTCP endpoint, its RTP entry's call, side and m= line as an RTCP
 * endpoint without descriptor. */
corr__media_ep_t corr__media_get(const corr_t *c, uint32_t h);
static inline uint32_t corr__media_call(const corr_t *c, uint32_t h)
{
    return c->eps[h & ~MEDIA_IMPLIED].call;
}
void corr__media_release_call(corr_t *c, uint32_t ci);
/* Codec name and clock of payload type pt on endpoint e (SDP rtpmap, else
 * the static table).  False when unknown. */
bool corr__media_codec(const corr_t *c, const corr__media_ep_t *e, uint8_t pt, const char **name,
                       uint32_t *clock);

/* stream.c */
uint64_t corr__stream_hash(const corr_t *c, const endpoint_t *src, const endpoint_t *dst,
                           uint32_t ssrc);
uint32_t corr__stream_find(const corr_t *c, uint64_t h, const endpoint_t *src,
                           const endpoint_t *dst, uint32_t ssrc);
/* Creates a stream owned by call ci (or orphan flow fi when orphan); evicts
 * the least recently active stream when the table is full.  CORR_NIL when
 * the call already has max_streams_per_call streams. */
uint32_t corr__stream_new(corr_t *c, uint64_t h, const endpoint_t *src, const endpoint_t *dst,
                          uint32_t ssrc, uint32_t owner, bool orphan);
/* One RTP packet of stream si (codec looked up only when the PT changes). */
void corr__stream_rtp(corr_t *c, uint32_t si, const rtp_header_t *rh, int64_t ts);
/* Sets from_caller/media_index from the endpoint that matched. */
void corr__stream_set_side(corr__stream_t *s, const corr__media_ep_t *e, bool matched_dst);
/* nDPI decided orphan flow fi: keep its tentative streams as orphans
 * (media) or drop them. */
void corr__stream_flow_decided(corr_t *c, uint32_t fi, bool media, uint8_t proto, int proto_id);
void corr__stream_release(corr_t *c, uint32_t si);
void corr__stream_to_record(const corr_t *c, const corr__stream_t *s, const char *call_id,
                            corr_stream_t *out);
/* Codec names: one interned entry per distinct name in use, shared by the
 * streams naming it (max_streams + 1 entries: never full, a stream holds
 * one name at most).  corr__stream_codec: stream s's codec name, "" when none. */
bool corr__codec_names_init(corr_t *c);
void corr__codec_names_free(corr_t *c);
static inline const char *corr__stream_codec(const corr_t *c, const corr__stream_t *s)
{
    return s->codec ? c->codec_names[s->codec - 1].name : "";
}
void corr__stream_emit_orphan(corr_t *c, uint32_t si);
void corr__stream_attach_call(corr_t *c, uint32_t si, uint32_t ci, const corr__media_ep_t *e,
                              bool matched_dst);
/* Call-level mos/mos_min of record r (its flags set), whose streams are
 * recs: the worse direction of the scored streams; 1.0 with one-way audio
 * (the silent direction); none for a fax call, whose streams are then not
 * scored either. */
void corr__stream_call_quality(corr_stream_t *recs, corr_call_t *r);

/* orphan.c */
bool corr__orphan_init(corr_t *c);
void corr__orphan_free(corr_t *c);
/* A UDP datagram nobody claimed. */
void corr__orphan_on_datagram(corr_t *c, const datagram_t *dg, const rtp_header_t *rh);
void corr__orphan_expire(corr_t *c, int64_t now_ns);
void corr__orphan_flush(corr_t *c);

/* helpers (correlator.c) */
void corr__copy_sv(char *dst, size_t n, sv_t v);

/* cstr.c: size classes of fixed blobs (a free list each), and call string
 * blobs */
bool corr__bclass_init(corr__cstr_class_t *cl, uint32_t size, uint32_t cap);
void corr__bclass_free(corr__cstr_class_t *cl);
/* A free blob's index, or CORR_NIL. */
uint32_t corr__bclass_take(corr__cstr_class_t *cl);
void corr__bclass_put(corr__cstr_class_t *cl, uint32_t i);
bool corr__cstr_init(corr_t *c);
void corr__cstr_free(corr_t *c);
/* A blob for a new call (always available: one per call at most). */
uint32_t corr__cstr_new(corr_t *c);
void corr__cstr_release(corr_t *c, uint32_t id);
/* String i of call k ("" when unset). */
const char *corr__call_str(const corr_t *c, const corr__call_t *k, int i);
/* The same as a view, its length read from the blob (no strlen): what a
 * media packet's corr_packet_t names its call by. */
sv_t corr__call_str_sv(const corr_t *c, const corr__call_t *k, int i);
/* Sets string i of call ci to v cut to CORR_STR_MAX - 1 bytes (cut further,
 * and counted in call_strings_cut, only when every larger class is full). */
void corr__call_str_set(corr_t *c, uint32_t ci, int i, sv_t v);
/* To-tag hashes of call k beyond CORR__CALL_TAGS_INLINE, kept after its strings
 * (k->ntags - CORR__CALL_TAGS_INLINE of them): whether h is one. */
bool corr__call_tag_in_blob(const corr_t *c, const corr__call_t *k, uint64_t h);
/* Appends h to them (the caller counts it in ntags); false, counted in
 * call_strings_cut, when no blob has room. */
bool corr__call_tag_add(corr_t *c, uint32_t ci, uint64_t h);
/* Blob bytes call k uses (its class size). */
uint32_t corr__cstr_blob_size(const corr_t *c, const corr__call_t *k);

/* dialog.c: the call with this Call-ID, or CORR_NIL */
uint32_t corr__call_find(const corr_t *c, sv_t call_id);

/* rtcp_attach.c: an RTCP datagram of call ci (CORR_NIL: no SDP endpoint) */
void corr__rtcp_attach(corr_t *c, const datagram_t *dg, uint32_t ci);
void corr__rtcp_to_record(const corr_t *c, const corr__stream_t *s, corr_stream_t *out);
bool corr__rtcp_pool_init(corr_t *c);
/* Gives stream s's RTCP node back. */
void corr__rtcp_release(corr_t *c, corr__stream_t *s);

/* vq_attach.c: a PUBLISH request (RFC 6035 bodies are taken, others not) */
void corr__vq_on_publish(corr_t *c, const sip_msg_t *m, const datagram_t *dg);
bool corr__vq_pool_init(corr_t *c);
/* Copies call k's reports into r and gives their nodes back. */
void corr__vq_collect(corr_t *c, corr__call_t *k, corr_call_t *r);
/* An RFC 6035 report: Content-Type vq-rtcpxr, or Event vq-rtcpxr and no type. */
bool corr__vq_is_report_publish(const sip_msg_t *m);

/* dtmf.c */
void corr__dtmf_on_rtp(corr_t *c, corr__stream_t *s, const rtp_header_t *rh, int64_t ts);
void corr__dtmf_on_info(corr_t *c, uint32_t ci, const sip_msg_t *m, const datagram_t *dg,
                        bool from_caller);
/* Merges INFO and every stream's events, in time order, into r. */
void corr__dtmf_collect(corr_t *c, uint32_t ci, corr_call_t *r);
void corr__dtmf_to_record(const corr_t *c, const corr__stream_t *s, corr_stream_t *out);
bool corr__dtmf_pool_init(corr_t *c);
/* Gives the list's nodes back to the pool. */
void corr__dtmf_list_free(corr_t *c, corr__dtmf_list_t *l);

/* call_flags.c: pt changed on stream s (ep = its SDP endpoint or NULL) */
void corr__flags_on_pt(corr_t *c, corr__stream_t *s, uint8_t pt, const corr__media_ep_t *ep);
/* Per RTP packet, before rtp_stats_update (reads the previous packet's
 * figures); also feeds corr__dtmf_on_rtp.  Touches only the stream. */
void corr__flags_on_rtp(corr_t *c, corr__stream_t *s, const rtp_header_t *rh, int64_t ts);
/* BYE seen on call ci at ts: its streams count media after ts + grace. */
void corr__flags_on_bye(corr_t *c, uint32_t ci, int64_t ts);
/* At emission: DTMF list and flags of call ci into r (its record being
 * built: state and times already set). */
void corr__call_flags_emit(corr_t *c, uint32_t ci, corr_call_t *r);

/* events.c: lifecycle events for the sink (each returns at once when the
 * sink does not want that kind) */
/* After dialog.c handled a message of call ci: created = the message
 * created the call, was_answered = the call was answered before it. */
void corr__events_after_sip(corr_t *c, uint32_t ci, bool created, bool was_answered, int64_t ts);
bool corr__events_init(corr_t *c);
void corr__events_free(corr_t *c);
/* A REGISTER request or response (dialog.c, when no call has its Call-ID). */
void corr__events_on_register(corr_t *c, const sip_msg_t *m, const datagram_t *dg);
void corr__events_expire(corr_t *c, int64_t now_ns);
void corr__events_flush(corr_t *c);
/* Every SIP message dialog.c takes: st the parser's answer (m NULL when
 * PROTO_INVALID); ci its call or CORR_NIL. */
void corr__events_sip_message(corr_t *c, const datagram_t *dg, const sip_msg_t *m,
                              proto_status_t st, uint32_t ci);
/* The call key of a call created at ts_ns by a message with this Call-ID. */
uint64_t corr__call_key(sv_t call_id, int64_t ts_ns);
/* stream.c: the packet at ts closed stream s's interval iv (before the
 * packet was counted); final: the records' last intervals at emission. */
void corr__events_interval(corr_t *c, const corr__stream_t *s, const sq_interval_t *iv,
                           uint32_t index, int64_t ts);
void corr__events_final_intervals(corr_t *c, const corr_stream_t *recs, uint32_t n);

#endif /* SIPHON_CORRELATOR_INTERNAL_H */
