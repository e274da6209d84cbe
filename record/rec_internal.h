/* rec_internal.h - what the packet store's files share: the batch items
 * that go from the shards to the writer, the on-disk formats, the rules
 * and the writer's state.  Not for other components. */
#ifndef SIPHON_REC_INTERNAL_H
#define SIPHON_REC_INTERNAL_H

#include "record.h"

#include <pthread.h>
#include <stdatomic.h>

/* ---- on disk ----------------------------------------------------------- */

#define REC__PCAP_MAGIC_NS 0xa1b23c4du
#define REC__SNAPLEN       262144u
#define REC__PCAP_HDR      24u /* global header */
#define REC__PKT_HDR       16u /* per packet */
#define REC__CALLS_FILE    "calls.idx"
#define REC__NAME_MAX      4096
#define REC__NO_CHUNK      UINT64_MAX
#define REC__SEG_BUF       (1u << 20) /* stdio buffer of the open segment */
#define REC__IDX_BUF       (64u << 10)

/* A chunk in seg-N.idx: this header, then count offsets of packets in
 * seg-N.pcap as LEB128 deltas (the first from 0).  prev_seg/prev_off: the
 * call's previous chunk (prev_off REC__NO_CHUNK: none). */
typedef struct {
    uint32_t magic; /* REC__CHUNK_MAGIC */
    uint32_t bytes; /* varint bytes after the header */
    uint64_t call_key;
    uint64_t prev_seg, prev_off;
    uint32_t count;
    uint32_t pad;
} rec__chunk_hdr_t;
#define REC__CHUNK_MAGIC 0x6b6e6863u /* "chnk" */
#define REC__CHUNK_MAX   512u        /* varint bytes a call buffers */

void rec__seg_path(char *out, size_t n, const char *dir, uint64_t seg, const char *ext);
/* Parses a calls.idx "C" line into r (call_id and segments point into
 * line / segs, which must hold max_segs); false if it is not one. */
bool rec__parse_call_line(char *line, rec_recording_t *r, uint64_t *segs, uint32_t max_segs);
/* LEB128 */
size_t rec__varint_put(uint8_t *p, uint64_t v);
/* Bytes read, 0 when p..end holds no whole varint. */
size_t rec__varint_get(const uint8_t *p, const uint8_t *end, uint64_t *v);

/* ---- shards to writer: batches of items --------------------------------- */

enum { REC__ITEM_PACKET = 1, REC__ITEM_END = 2 };

/* 8-byte aligned; followed by caplen frame bytes and, for SIP, id_len
 * Call-ID bytes (PACKET), or id_len Call-ID bytes (END). */
typedef struct {
    uint32_t len; /* whole item, padded to 8 */
    uint16_t type;
    uint16_t id_len;
    int32_t linktype;
    uint32_t caplen, wirelen;
    uint32_t pad;
    int64_t ts_ns;
    uint64_t call_key;
    uint64_t frame_no;
} rec__item_t;

#define REC__BATCH_BYTES (256u << 10)
/* A recorded call's late SIP joins it this long after it ended. */
#define REC__LATE_NS (32 * NS_PER_SEC)
/* A recorded call with no packet for this long and no end is finished
 * when room is needed (its end was lost with a dropped batch). */
#define REC__STALE_NS (3600 * NS_PER_SEC)

typedef struct {
    uint32_t used;
    uint32_t packets;
    uint8_t data[];
} rec__batch_t;

/* ---- rules (rules.c) ---------------------------------------------------- */

enum { REC__COND_CALLER = 1, REC__COND_CALLEE, REC__COND_IP, REC__COND_HEADER };
#define REC__COND_MAX 8

typedef struct {
    uint8_t type;
    uint8_t prefix_len;     /* IP */
    ip_addr_t net;          /* IP */
    char pat[CORR_STR_MAX]; /* caller/callee glob, header value ("" any) */
    char name[64];          /* header name */
} rec__cond_t;

typedef struct {
    rec__cond_t c[REC__COND_MAX];
    uint32_t n;
} rec__rule_t;

bool rec__rule_parse(const char *text, rec__rule_t *out, char *err, size_t errlen);
/* A call's first packet (its INVITE) against one rule. */
bool rec__rule_match(const rec__rule_t *r, const corr_packet_t *p);
/* The value of header name in SIP message bytes (first occurrence, trimmed);
 * false when absent. */
bool rec__sip_header(const uint8_t *msg, size_t len, const char *name, sv_t *value);

/* ---- the writer (writer.c, retention.c) --------------------------------- */

typedef struct {
    uint64_t key; /* 0: free */
    int64_t first_ns, last_ns;
    uint64_t packets, bytes;
    uint64_t last_frame_no;
    int64_t last_ts_ns;
    int linktype;
    uint64_t pos_seg;  /* segment of the buffered offsets */
    uint64_t last_off; /* last offset buffered (delta base) */
    uint64_t head_seg, head_off;
    uint32_t npos, pos_bytes;
    uint64_t *segs;
    uint32_t nsegs, segcap;
    uint32_t next_live, prev_live; /* the live list, for rotation */
    bool ended;                    /* its END came: finished at end_due */
    int64_t end_due;
    uint16_t id_len;
    char id[CORR_STR_MAX];
    uint8_t pos[REC__CHUNK_MAX];
} rec__wcall_t;

/* ---- audio at a call's end (audio_end.c) ------------------------------- */

typedef struct rec__audio rec__audio_t;

/* NULL with *err.  audio_bytes: the store's audio bytes, kept by the
 * render thread (added) and retention (subtracted). */
rec__audio_t *rec__audio_new(const rec_config_t *cfg, _Atomic int64_t *audio_bytes, char *err,
                             size_t errlen);
int rec__audio_start(rec__audio_t *a, char *err, size_t errlen);
/* On the writer thread, a finished recording (its files flushed): queued
 * for rendering, or dropped and counted when the queue is full. */
void rec__audio_push(rec__audio_t *a, const rec_recording_t *r);
/* Renders everything queued, then ends the thread. */
void rec__audio_stop(rec__audio_t *a);
void rec__audio_free(rec__audio_t *a);
void rec__audio_stats(rec__audio_t *a, rec_stats_t *out);
/* Retention: deletes segment seg's audio directory; its bytes. */
uint64_t rec__audio_delete_seg(const char *dir, uint64_t seg);
/* At start: the audio directories' bytes; those of segments no longer in
 * the store are deleted. */
uint64_t rec__audio_scan(const char *dir);

typedef struct {
    uint64_t no;
    uint64_t bytes; /* pcap + idx */
    int64_t mtime_ns;
} rec__seginfo_t;

typedef struct {
    const rec_config_t *cfg;
    char dir[REC__NAME_MAX];
    /* calls being recorded */
    rec__wcall_t *calls;
    uint32_t *index; /* slots: entry + 1, 0 empty */
    uint32_t index_mask;
    uint32_t *free_list;
    uint32_t nfree, ncalls_hw;
    uint32_t live_head;
    uint32_t *ending; /* FIFO of ended calls (entry indexes), by end_due */
    uint32_t ending_head, nending;
    int64_t now_ns;       /* largest packet time seen */
    int64_t reclaimed_ns; /* last reclaim_stale */
    /* the open segment */
    int seg_fd; /* -1: none open */
    uint8_t *seg_buf;
    size_t seg_used;
    FILE *idx;
    char *idx_buf; /* its stdio buffer */
    uint64_t seg_no, seg_bytes, idx_bytes;
    int seg_linktype;
    int64_t seg_start_ns;
    uint64_t seg_limit; /* bytes per segment */
    FILE *calls_f;
    uint64_t calls_bytes;
    /* closed segments, oldest first (retention.c) */
    rec__seginfo_t *closed;
    uint32_t nclosed, closed_cap, closed_head;
    uint64_t closed_bytes;
    int64_t free_checked_at;   /* bytes written when statvfs last ran */
    uint64_t written_since;    /* bytes written since */
    uint64_t free_bytes;       /* statvfs then, minus written_since */
    int64_t retention_checked; /* wall clock of the last age check */
    rec_stats_t st;
    pthread_mutex_t *st_lock;    /* guards st, read by rec_stats on other threads */
    rec__audio_t *audio;         /* record.audio_at_end, else NULL */
    _Atomic int64_t audio_bytes; /* audio files in the store (audio_end.c) */
} rec__writer_t;

int rec__writer_open(rec__writer_t *w, const rec_config_t *cfg, char *err, size_t errlen);
/* A batch from shard s, on the writer thread. */
void rec__writer_batch(rec__writer_t *w, const rec__batch_t *b);
/* Finishes every open recording (with audio_at_end: renders them) and
 * closes the files. */
void rec__writer_close(rec__writer_t *w);
/* Every REC__TICK_NS on the writer thread: the audio rendered since may
 * have taken the store past its limits. */
void rec__writer_tick(rec__writer_t *w);
#define REC__TICK_NS (200 * NS_PER_MSEC)

/* The writer of a rec_consumer instance (fan_add's result), for
 * rec_source_t (source.c). */
rec__writer_t *rec__writer_of(void *rec);

/* retention.c */
bool rec__ret_scan(rec__writer_t *w, char *err, size_t errlen);
/* Makes room for need more bytes under max_disk and min_free, deleting the
 * oldest closed segments; false when even that is not enough. */
bool rec__ret_room(rec__writer_t *w, uint64_t need);
/* Deletes segments older than retention (wall clock). */
void rec__ret_age(rec__writer_t *w);
void rec__ret_closed_push(rec__writer_t *w, uint64_t no, uint64_t bytes);
uint64_t rec__ret_store_bytes(const rec__writer_t *w);

#endif /* SIPHON_REC_INTERNAL_H */
