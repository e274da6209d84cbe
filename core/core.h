/* core.h - the small shared vocabulary of siphon.
 *
 * Everything here is used by more than one component: string views into
 * packet memory (sv_t), IP addresses and endpoints, the datagram that flows
 * from capture to the correlator, hashing, timestamps, logging and a tiny
 * JSON writer.  No component-specific logic lives here.
 *
 * Design rules (see ARCHITECTURE.md):
 *  - sv_t never owns memory.  A view into a packet is only valid while the
 *    packet is; copy what must outlive it.
 *  - Functions that parse text from the network are total: they never read
 *    outside [p, p+len) and return false on anything unexpected.
 */
#ifndef SIPHON_CORE_H
#define SIPHON_CORE_H

#include <stdalign.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------ */
/* String views                                                              */
/* ------------------------------------------------------------------------ */

typedef struct {
    const char *p; /* not NUL-terminated; may be NULL when len == 0 */
    size_t len;
} sv_t;

#define SV_LIT(s) ((sv_t){(s), sizeof(s) - 1})
#define SV_NULL   ((sv_t){NULL, 0})
/* printf("%.*s", SV_FMT(v)) */
#define SV_FMT(v) (int)(v).len, ((v).p ? (v).p : "")

static inline sv_t sv_make(const void *p, size_t len)
{
    return (sv_t){(const char *)p, len};
}
sv_t sv_from_cstr(const char *s);
bool sv_eq(sv_t a, sv_t b);
bool sv_ieq(sv_t a, sv_t b);             /* ASCII case-insensitive */
bool sv_ieq_cstr(sv_t a, const char *s); /* ASCII case-insensitive */
bool sv_istarts_with(sv_t a, const char *prefix);
sv_t sv_trim(sv_t v); /* strips SP, HTAB, CR, LF both ends */
/* Index of the first c in v, or -1. */
long sv_index_of(sv_t v, char c);
/* Case-insensitive search of needle in hay; -1 if absent. */
long sv_ifind(sv_t hay, sv_t needle);
/* Strict unsigned decimal (optional surrounding whitespace); false on
 * empty, non-digit or overflow of max. */
bool sv_to_u64(sv_t v, uint64_t max, uint64_t *out);
/* Copies at most n-1 bytes and NUL-terminates; returns bytes copied. */
size_t sv_copy_cstr(sv_t v, char *dst, size_t n);

/* ------------------------------------------------------------------------ */
/* Addresses                                                                 */
/* ------------------------------------------------------------------------ */

enum { IP_NONE = 0, IP_V4 = 4, IP_V6 = 6 };

typedef struct {
    uint8_t family;    /* IP_NONE, IP_V4 or IP_V6 */
    uint8_t bytes[16]; /* IPv4 uses bytes[0..3], the rest is zero */
} ip_addr_t;

typedef struct {
    ip_addr_t ip;
    uint16_t port;
} endpoint_t;

#define IP_STR_MAX 48 /* enough for any IPv6 text form plus NUL */

/* Parses dotted IPv4 or IPv6 text (brackets allowed around IPv6).  False on
 * anything else, including host names. */
bool ip_addr_parse(sv_t text, ip_addr_t *out);
void ip_addr_set_v4(ip_addr_t *a, const uint8_t b[4]);
void ip_addr_set_v6(ip_addr_t *a, const uint8_t b[16]);
bool ip_addr_eq(const ip_addr_t *a, const ip_addr_t *b);
/* Writes the canonical text form ("" for IP_NONE); returns its length. */
size_t ip_addr_format(const ip_addr_t *a, char *buf, size_t n);
bool endpoint_eq(const endpoint_t *a, const endpoint_t *b);
uint64_t endpoint_hash(const endpoint_t *e);

/* ------------------------------------------------------------------------ */
/* The datagram: what capture hands to the correlator                        */
/* ------------------------------------------------------------------------ */

typedef enum {
    TRANSPORT_UDP = 1,
    TRANSPORT_TCP = 2,  /* one whole SIP message framed out of a TCP stream */
    TRANSPORT_WS = 3,   /* one WebSocket message payload (RFC 7118) */
    TRANSPORT_SCTP = 4, /* one SCTP user message carrying SIP (RFC 4168) */
} transport_t;

const char *transport_name(transport_t t); /* "udp", "tcp", "ws", "sctp" */

/* The captured frame a datagram came from, as the capture source gave it:
 * link type (DLT_*), capture time, bytes and lengths.  A datagram
 * reassembled from several frames (IP fragments, TCP segments) names the
 * frame that completed it.  Only valid during the callback that receives
 * its datagram.  capture's cap_frame_t starts with these same members, so
 * the decoder hands out a view of its frame without copying anything. */
typedef struct {
    int linktype;
    int64_t ts_ns;
    const uint8_t *data;
    uint32_t caplen, wirelen;
} frame_view_t;

/* A UDP datagram, or one application message reassembled from a stream.
 * data is only valid for the duration of the callback that receives it. */
typedef struct {
    int64_t ts_ns; /* capture time, ns since the Unix epoch */
    endpoint_t src, dst;
    transport_t transport;
    const uint8_t *data;
    size_t len;
    uint64_t frame_no; /* 1-based index of the (last) frame it came from */
    /* the (last) frame it came from; NULL when not known (a datagram not
     * from a capture, or the pipeline was not asked to carry frames) */
    const frame_view_t *frame;
} datagram_t;

typedef void (*datagram_cb_pt)(void *user, const datagram_t *dg);

/* ------------------------------------------------------------------------ */
/* Hashing                                                                   */
/* ------------------------------------------------------------------------ */

/* A fast non-cryptographic 64-bit hash (not DoS-resistant on its own: tables
 * keyed by attacker data seed it with hash_seed()). */
uint64_t hash_bytes(const void *data, size_t len, uint64_t seed);
uint64_t hash_u64(uint64_t x);
/* Two 64-bit words in one hash step: their 64x64 -> 128-bit product, folded
 * (wyhash's "mum").  Callers mix in a secret (a seed) and fixed odd
 * constants (HASH_MUM_K1/K2) so neither factor is predictably zero; used
 * where one step per packet matters (endpoint keys, duplicate keys). */
#define HASH_MUM_K1 0xa0761d6478bd642fULL
#define HASH_MUM_K2 0xe7037ed1a0b428dbULL
static inline uint64_t hash_mum(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}
/* A per-process random seed, drawn once. */
uint64_t hash_seed(void);

/* ------------------------------------------------------------------------ */
/* Time                                                                      */
/* ------------------------------------------------------------------------ */

#define NS_PER_SEC  1000000000LL
#define NS_PER_MSEC 1000000LL
#define NS_PER_USEC 1000LL

/* Saturating time arithmetic: a + b and a - b clamped to [INT64_MIN,
 * INT64_MAX] instead of overflowing (undefined behaviour).  Packet times
 * come from the wire and may sit at either end of the range; deadlines,
 * timeouts and deltas computed from them use these. */
static inline int64_t ts_add_sat(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}
static inline int64_t ts_sub_sat(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r)) return b < 0 ? INT64_MAX : INT64_MIN;
    return r;
}

/* RFC 3339 UTC with microseconds: 2026-11-22T04:40:06.123456Z.  buf must hold
 * 32 bytes.  Returns the length written. */
size_t ts_format_rfc3339(int64_t ts_ns, char *buf, size_t n);
/* Monotonic clock in ns (for benchmarks and progress, not packet time). */
int64_t clock_mono_ns(void);
/* Wall clock (CLOCK_REALTIME) in ns since the epoch: "now" for searches,
 * retention and the times siphon itself stamps (alerts, SIPREC sessions). */
int64_t clock_real_ns(void);

/* ------------------------------------------------------------------------ */
/* Logging (stderr, journald-friendly "<level>" prefixes are added by callers */
/* of log_open in later issues; today: plain lines)                          */
/* ------------------------------------------------------------------------ */

typedef enum { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG } log_level_t;

extern _Atomic int log_level_current; /* a log_level_t */
void log_set_level(log_level_t lvl);
/* Log to path (append) instead of stderr; called again, reopens it.  0, or
 * -1 with err set (logging goes on where it went). */
int log_open(const char *path, char *err, size_t errlen);
void log_write(log_level_t lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_write(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)                                                                              \
    do {                                                                                           \
        if (log_level_current >= LOG_LVL_WARN) log_write(LOG_LVL_WARN, __VA_ARGS__);               \
    } while (0)
#define log_info(...)                                                                              \
    do {                                                                                           \
        if (log_level_current >= LOG_LVL_INFO) log_write(LOG_LVL_INFO, __VA_ARGS__);               \
    } while (0)
#define log_debug(...)                                                                             \
    do {                                                                                           \
        if (log_level_current >= LOG_LVL_DEBUG) log_write(LOG_LVL_DEBUG, __VA_ARGS__);             \
    } while (0)

/* ------------------------------------------------------------------------ */
/* A growable byte buffer and a JSON writer on top of it                     */
/* ------------------------------------------------------------------------ */

typedef struct {
    char *data;
    size_t len, cap;
} buf_t;

void buf_init(buf_t *b);
void buf_free(buf_t *b);
void buf_reset(buf_t *b);
void buf_append(buf_t *b, const void *p, size_t n);
void buf_putc(buf_t *b, char c);
void buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* JSON writer: appends to a buf_t, tracks commas.  Strings are escaped as
 * RFC 8259 requires; bytes that are not valid UTF-8 become U+FFFD, so hostile
 * input always yields valid JSON; C1 controls and bidi/invisible format
 * characters (text_cp_is_control) are written as \uXXXX escapes, so NDJSON
 * read on a terminal cannot drive it or reorder what is shown.  Nesting depth is limited to 16. */
typedef struct {
    buf_t *out;
    int depth;
    bool need_comma[16];
} json_writer_t;

void json_init(json_writer_t *w, buf_t *out);
void json_obj_begin(json_writer_t *w);
void json_obj_end(json_writer_t *w);
void json_arr_begin(json_writer_t *w);
void json_arr_end(json_writer_t *w);
void json_key(json_writer_t *w, const char *key);
void json_str(json_writer_t *w, sv_t s);
void json_cstr(json_writer_t *w, const char *s); /* NULL writes null */
void json_null(json_writer_t *w);
void json_bool(json_writer_t *w, bool v);
void json_int(json_writer_t *w, int64_t v);
void json_uint(json_writer_t *w, uint64_t v);
void json_double(json_writer_t *w, double v, int decimals); /* NaN/inf -> null */
void json_ts(json_writer_t *w, int64_t ts_ns);              /* <= 0 -> null */
void json_ip(json_writer_t *w, const ip_addr_t *a);         /* IP_NONE -> null */

/* Adds a struct of uint64_t counters to another, member by member (the
 * statistics of several threads summed without naming every field; the
 * caller asserts the struct holds counters only). */
static inline void counters_add(void *sum, const void *add, size_t bytes)
{
    uint64_t *d = sum;
    const uint64_t *v = add;
    for (size_t k = 0; k < bytes / sizeof *d; k++)
        d[k] += v[k];
}

/* ------------------------------------------------------------------------ */
/* Text for people (text.c)                                                  */
/* ------------------------------------------------------------------------ */

/* Appends len bytes of wire-controlled text made inert for a terminal:
 * printable ASCII and well-formed UTF-8 pass; control bytes, C1 controls,
 * bidi/invisible format characters and ill-formed UTF-8 become \xNN per
 * byte, a backslash "\\".  Returns the display columns written. */
size_t text_inert(buf_t *out, const void *p, size_t len);
size_t text_inert_cstr(buf_t *out, const char *s); /* NULL writes nothing */
/* Code points that move the cursor, change direction or hide text: C1
 * controls, bidi embeddings/overrides/isolates and marks, zero-width and
 * invisible format characters (escaped by text_inert and the JSON writer). */
bool text_cp_is_control(uint32_t cp);
/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlongs,
 * no surrogates, nothing above U+10FFFF), or 0; *cp gets the code point.
 * The one UTF-8 reader of every escaper (text, JSON, SIEM formats, COPY). */
size_t text_utf8_seq(const uint8_t *p, size_t avail, uint32_t *cp);
/* s made inert in a cell of exactly width columns, padded with spaces
 * (left-aligned or right-aligned); longer text is cut and ends in '~'. */
void text_cell(buf_t *out, const char *s, size_t width, bool left);

/* ------------------------------------------------------------------------ */
/* A bounded lock-free SPSC ring of variable-length records (spsc.c)         */
/* ------------------------------------------------------------------------ */

/* One producer thread, one consumer thread; records of any type (a caller's
 * small integer) and length up to spsc_max_record().  No allocation after
 * spsc_init; a full ring makes spsc_reserve/spsc_push fail. */
typedef struct {
    uint8_t *buf;
    size_t cap, mask;
    alignas(64) _Atomic uint64_t head; /* bytes published by the producer */
    uint64_t p_head, p_tail_cache;     /* producer's own view */
    size_t p_pending;                  /* size of the reserved record */
    alignas(64) _Atomic uint64_t tail; /* bytes released by the consumer */
    uint64_t c_pos, c_head_cache;      /* consumer's own view */
} spsc_t;

/* capacity is rounded up to a power of two (at least 4 KiB). */
bool spsc_init(spsc_t *q, size_t capacity);
void spsc_free(spsc_t *q);
size_t spsc_max_record(const spsc_t *q);
/* Producer: space for one record of len bytes (NULL when full or too big),
 * then spsc_commit publishes it.  spsc_push = reserve + memcpy + commit. */
void *spsc_reserve(spsc_t *q, uint32_t type, size_t len);
void spsc_commit(spsc_t *q);
bool spsc_push(spsc_t *q, uint32_t type, const void *data, size_t len);
/* Consumer: the next record (NULL when empty); spsc_next steps past it;
 * spsc_release hands every record stepped past back to the producer (call
 * it once per batch).  A peeked record stays valid until spsc_release. */
const void *spsc_peek(spsc_t *q, uint32_t *type, size_t *len);
void spsc_next(spsc_t *q);
void spsc_release(spsc_t *q);
bool spsc_empty(spsc_t *q);

/* ------------------------------------------------------------------------ */
/* Over-aligned arrays (mem_aligned.c)                                       */
/* ------------------------------------------------------------------------ */

/* calloc(n, size) with the start aligned to align (a power of two; below
 * alignof(max_align_t) it is raised to it): for types that declare more
 * alignment than malloc guarantees (alignas(64) members, e.g. spsc_t, or
 * structs embedding one).  NULL on overflow or out of memory.  Free with
 * free().  CORE_CALLOC_ARRAY(n, type) passes the type's own alignment. */
void *core_calloc_aligned(size_t n, size_t size, size_t align);
#define CORE_CALLOC_ARRAY(n, type) ((type *)core_calloc_aligned((n), sizeof(type), alignof(type)))

/* ------------------------------------------------------------------------ */
/* libsrtp2, process-wide (srtp_lib.c)                                       */
/* ------------------------------------------------------------------------ */

/* Initialises libsrtp2 once for the whole process and keeps its crypto
 * backend open, so each later srtp_create is cheap; true when sessions can
 * be made.  Thread-safe; every component that uses libsrtp2 calls it
 * first instead of srtp_init. */
bool srtp_lib_ready(void);

/* ------------------------------------------------------------------------ */
/* Large tables (table_mem.c)                                                */
/* ------------------------------------------------------------------------ */

/* calloc(n, size) for a table that is indexed at random on the per-packet
 * path (the correlator's entries and indexes): the part of it that spans
 * whole 2 MiB-aligned blocks is also offered to the kernel as transparent
 * huge pages (MADV_HUGEPAGE), so a walk over megabytes of entries does not
 * miss the TLB on nearly every packet.  Untouched memory still costs no
 * RSS; a touched block costs 2 MiB where the kernel grants a huge page.
 * Free with free(). */
void *table_calloc(size_t n, size_t size);

#define TBL_NIL UINT32_MAX /* no entry */

/* ------------------------------------------------------------------------ */
/* Fixed-size containers (table.c): index hash, intrusive lists, pools       */
/* ------------------------------------------------------------------------ */

/* Open addressing with linear probing; a slot holds the entry index and the
 * low 32 bits of its hash (also the home bucket).  Deletion shifts back, so
 * there are no tombstones. */
typedef struct {
    uint32_t idx; /* TBL_NIL = empty */
    uint32_t h32;
} tbl_itab_slot_t;

typedef struct {
    tbl_itab_slot_t *slots; /* max_slots reserved; the first mask + 1 in use */
    uint32_t mask;
    uint32_t count;
    uint32_t max_slots;
} tbl_itab_t;

/* Doubly linked list through entry indices (head = most recently used). */
typedef struct {
    uint32_t *prev, *next;
    uint32_t head, tail, count;
} tbl_dlist_t;

/* A fixed pool of entries: LRU, free list and index.  Entries [unused,
 * cap) were never handed out; released ones are chained from free_head
 * through lru.next (a free entry is never on the LRU). */
typedef struct {
    uint32_t cap;
    uint32_t unused;
    uint32_t free_head; /* TBL_NIL = none */
    tbl_dlist_t lru;
    tbl_itab_t tab;
} tbl_pool_t;

bool tbl_dlist_init(tbl_dlist_t *l, uint32_t n);
void tbl_dlist_destroy(tbl_dlist_t *l);
void tbl_dlist_push_head(tbl_dlist_t *l, uint32_t i);
void tbl_dlist_unlink(tbl_dlist_t *l, uint32_t i);
/* Links i (not on the list) on the head side of at (TBL_NIL: at the tail). */
void tbl_dlist_insert_before(tbl_dlist_t *l, uint32_t at, uint32_t i);
static inline void tbl_dlist_touch(tbl_dlist_t *l, uint32_t i)
{
    if (l->head == i) return;
    tbl_dlist_unlink(l, i);
    tbl_dlist_push_head(l, i);
}

/* Node ids 1..cap (0 = none) over a caller's array of fixed-size nodes
 * whose uint32_t link to the next node lies at link_off: a free list
 * threaded through those links, then never-used ids from a high-water mark
 * (a node's page is touched only once it is used).  The correlator's DTMF, RFC
 * 6035 and RTCP pools share it. */
typedef struct {
    uint32_t free;   /* first free id, 0 = none */
    uint32_t unused; /* ids above this were never handed out */
    uint32_t cap;
} tbl_idpool_t;

/* An id, 0 when all cap are in use. */
uint32_t tbl_idpool_take(tbl_idpool_t *p, const void *nodes, size_t size, size_t link_off);
/* Gives back the chain head..tail (linked through the nodes' links). */
void tbl_idpool_put(tbl_idpool_t *p, void *nodes, size_t size, size_t link_off, uint32_t head,
                    uint32_t tail);

bool tbl_pool_init(tbl_pool_t *p, uint32_t cap);
void tbl_pool_destroy(tbl_pool_t *p);
/* Takes a free entry and puts it at the LRU head; TBL_NIL when full. */
uint32_t tbl_pool_take(tbl_pool_t *p);
/* Unlinks entry i from the LRU and the index (hash h) and frees it. */
void tbl_pool_put(tbl_pool_t *p, uint32_t i, uint64_t h);
/* Frees entry i that is on the LRU but not in the index. */
void tbl_pool_free_entry(tbl_pool_t *p, uint32_t i);
void tbl_itab_insert(tbl_itab_t *t, uint64_t h, uint32_t idx);
void tbl_itab_remove(tbl_itab_t *t, uint64_t h, uint32_t idx);

typedef bool (*tbl_itab_eq_pt)(const void *ctx, uint32_t idx, const void *key);

/* The entry whose hash is h and for which eq(ctx, idx, key) holds, or
 * TBL_NIL.  Inline so that eq is inlined on the hot path. */
static inline uint32_t tbl_itab_find(const tbl_itab_t *t, uint64_t h, tbl_itab_eq_pt eq,
                                     const void *ctx, const void *key)
{
    uint32_t h32 = (uint32_t)h;
    for (uint32_t i = h32 & t->mask;; i = (i + 1) & t->mask) {
        tbl_itab_slot_t s = t->slots[i];
        if (s.idx == TBL_NIL) return TBL_NIL;
        if (s.h32 == h32 && eq(ctx, s.idx, key)) return s.idx;
    }
}

#endif /* SIPHON_CORE_H */
