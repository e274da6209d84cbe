/* record.h - the packet store: every packet of the calls siphon is told to
 * record, on disk, and any call's packets back as a pcap.
 *
 *   correlator shard ─on_packet─▶ rec_consumer (decides per call, copies
 *   frames into batches) ─fan_worker─▶ writer thread ─▶ DIR/seg-N.pcap
 *                                                      DIR/seg-N.idx
 *                                                      DIR/calls.idx
 *
 * Layout of a store (a directory, record.dir):
 *  - seg-NNNNNNNNNN.pcap  segment files: classic pcap with nanosecond
 *    timestamps, one link type each, written sequentially by one writer
 *    thread and closed after record.segment_time of packet time or
 *    record.segment_size bytes (Arkime's large sequential files: a busy
 *    port does not become millions of small files);
 *  - seg-NNNNNNNNNN.idx   beside each segment, the positions of its
 *    packets per call: chunks {call key, segment, previous chunk, the
 *    packets' offsets as delta varints}, each call's chunks chained
 *    backwards across segments (Arkime's per-session packet positions,
 *    kept on disk as the call goes, so a long call costs the writer a
 *    bounded buffer, not its whole position list);
 *  - calls.idx  one text line per finished recording: call key, times,
 *    packets, bytes, link type, the head of its chunk chain, its
 *    segments and its Call-ID; and one "G" line per deleted segment
 *    (retention), which marks every recording using it as gone.
 * Reading one call is following its chain: a few small reads of index
 * chunks, then one pread per packet, in capture order.
 *
 * What is recorded: record.calls = all | none | rules (rules: any of
 * caller=GLOB, callee=GLOB, ip=ADDR[/LEN], header=NAME[: VALUE], items
 * joined with & must all hold), decided at the call's first message (its
 * INVITE), so no packet of the call comes before the decision;
 * record.sip; record.rtp = none | headers | full (headers: RTP frames cut
 * after the RTP header, wire length kept); RTCP goes with RTP (not with
 * none).  Disk: record.max_disk and record.min_free (free space floor) are
 * never crossed: the oldest segments are deleted first (logged, counted,
 * recordings marked gone), and record.retention deletes segments older
 * than that.
 *
 * Audio at a call's end (record.audio_at_end, off by default: rendering is
 * on demand otherwise): when a recording is finished, a render thread
 * behind a bounded queue (record.audio_queue calls; full: dropped and
 * counted, the writer and capture never wait) reads its packets back from
 * the store and renders them with audio/ into
 *    seg-NNNNNNNNNN.audio/KEY.EXT
 * beside the recording's first segment (KEY its call key in 16 hex digits,
 * EXT record.audio_format's), the same file `siphon audio` writes for
 * that call.  The file goes with its segment when retention deletes it,
 * and counts toward record.max_disk.
 *
 * Public prefix rec_, internal rec__ (rec_internal.h).
 */
#ifndef SIPHON_RECORD_H
#define SIPHON_RECORD_H

#include <stdio.h>

#include "audio.h"
#include "core.h"
#include "correlator.h"
#include "fanout.h"

typedef enum { REC_CALLS_ALL = 0, REC_CALLS_NONE, REC_CALLS_RULES } rec_calls_t;
typedef enum { REC_RTP_NONE = 0, REC_RTP_HEADERS, REC_RTP_FULL } rec_rtp_t;

/* One finished recording, as the index keeps it (and as a storage row
 * needs it: the recordings table). */
typedef struct {
    uint64_t call_key;
    const char *call_id;
    int64_t first_ns, last_ns; /* capture times of its first and last packet */
    uint64_t packets, bytes;   /* frames stored and their stored bytes */
    int linktype;
    uint32_t segment_count;
    const uint64_t *segments; /* segment numbers, in order of first use */
    bool gone;                /* one of its segments was deleted */
    /* the head of its chunk chain (reader) */
    uint64_t head_segment;
    uint64_t head_offset;
} rec_recording_t;

/* A recording's audio file, rendered at its end (record.audio_at_end). */
typedef struct {
    uint64_t call_key;
    const char *call_id;
    int64_t first_ns; /* the recording's first packet */
    const char *path; /* the file, relative to the store's directory */
    aud_format_t format;
    double seconds; /* its length */
    uint64_t bytes; /* its size */
} rec_audio_t;

/* Told to whoever keeps recordings elsewhere (storage): on the writer
 * thread, as it happens (on_audio: on the render thread). */
typedef struct {
    void (*on_recording)(void *user, const rec_recording_t *r);
    /* segment deleted: every recording listing it is gone */
    void (*on_gone)(void *user, uint64_t segment);
    void (*on_audio)(void *user, const rec_audio_t *a); /* NULL: not told */
    void *user;
} rec_listener_t;

typedef struct {
    const char *dir;
    rec_calls_t calls;
    bool sip;
    rec_rtp_t rtp;
    const char *const *rules; /* record.calls = rules: one rule per item */
    uint32_t rule_count;
    uint64_t max_disk;      /* bytes the store may use (0: no cap) */
    uint64_t min_free;      /* free bytes left on its filesystem */
    int64_t retention_ns;   /* delete segments older than this (0: keep) */
    int64_t segment_ns;     /* close a segment after this much packet time */
    uint64_t segment_bytes; /* ... or this many bytes */
    uint64_t queue_bytes;   /* per shard, batches waiting for the writer */
    uint32_t max_calls;     /* calls being recorded at once */
    bool audio_at_end;      /* render each finished recording's audio */
    aud_format_t audio_format;
    uint32_t audio_queue; /* recordings waiting to be rendered */
    rec_listener_t listener;
} rec_config_t;

void rec_config_default(rec_config_t *c);
/* "all" / "none" / "rules", "none" / "headers" / "full": false if unknown. */
bool rec_calls_parse(const char *s, rec_calls_t *out);
bool rec_rtp_parse(const char *s, rec_rtp_t *out);
/* Checks one rule's syntax (record.rules items); false with *err. */
bool rec_rule_check(const char *rule, char *err, size_t errlen);

/* The consumer (fan_add with a rec_config_t).  It wants FAN_WANT_PACKETS
 * (the pipeline must then carry frames) and FAN_WANT_CALLS (a call's end
 * closes its recording). */
extern const fan_consumer_ops_t rec_consumer;

/* Writer counters, beside fan_stats_t. */
typedef struct {
    uint64_t packets, bytes;  /* frames written */
    uint64_t calls;           /* recordings finished */
    uint64_t calls_skipped;   /* calls not recorded (rules, none) */
    uint64_t calls_over_cap;  /* not recorded: max_calls being recorded */
    uint64_t frames_missing;  /* packets without their frame */
    uint64_t packets_dropped; /* live: the writer's queue was full */
    uint64_t disk_full_drops; /* no room even after deleting segments */
    uint64_t write_errors;    /* the disk refused a write */
    uint64_t segments, segments_deleted;
    uint64_t bytes_deleted;
    uint64_t store_bytes; /* the store's size now */
    /* record.audio_at_end */
    uint64_t audio_rendered; /* files written */
    uint64_t audio_dropped;  /* not rendered: the render queue was full (or no room) */
    uint64_t audio_no_media; /* nothing to render (no RTP, no decodable voice) */
    uint64_t audio_failed;   /* the store could not be read or the file written */
    uint64_t audio_bytes;    /* audio files in the store now */
} rec_stats_t;
/* self: what fan_add returned for rec_consumer. */
void rec_stats(const void *self, rec_stats_t *out);

/* ------------------------------------------------------------------------
 * Packets from outside the correlator (source.c): the SIPREC recording
 * server's sessions.  Datagrams with their real addresses are stored as
 * synthesised Ethernet/IP/UDP frames, one recording per Call-ID.  Any
 * thread; never waits (a full queue drops and counts).  Create it after
 * fan_start and free it before fan_stop (it writes through the consumer's
 * writer).
 * ------------------------------------------------------------------------ */

typedef struct rec_source rec_source_t;

/* rec: what fan_add returned for rec_consumer; queue_batches: 256 KiB
 * batches that may wait for the writer. */
rec_source_t *rec_source_new(void *rec, uint32_t queue_batches, char *err, size_t errlen);
void rec_source_datagram(rec_source_t *s, const char *call_id, int64_t ts_ns, const endpoint_t *src,
                         const endpoint_t *dst, const uint8_t *data, size_t len);
/* The recording of call_id is complete (its calls.idx line follows). */
void rec_source_end(rec_source_t *s, const char *call_id, int64_t ts_ns);
/* The recording key of a source's Call-ID (rec_recording_t.call_key). */
uint64_t rec_source_key(const char *call_id);

typedef struct {
    uint64_t packets;   /* datagrams taken */
    uint64_t dropped;   /* ... dropped: the writer's queue was full */
    uint64_t too_large; /* datagrams too large for a frame */
} rec_source_stats_t;
void rec_source_stats(rec_source_t *s, rec_source_stats_t *out);
/* Flushes what it holds into the store and stops its thread. */
void rec_source_free(rec_source_t *s);

/* ------------------------------------------------------------------------
 * Reading a store (siphon pcap, siphon audio).
 * ------------------------------------------------------------------------ */

typedef struct rec_store rec_store_t;

rec_store_t *rec_store_open(const char *dir, char *err, size_t errlen);
void rec_store_close(rec_store_t *s);
/* Every finished recording of this Call-ID, in the order they were
 * finished; cb returns nonzero to stop.  Returns how many were found. */
uint32_t rec_find(rec_store_t *s, const char *call_id,
                  int (*cb)(void *user, const rec_recording_t *r), void *user);
/* One packet as stored: capture time, link type, bytes, their count and
 * the length on the wire.  Nonzero stops the walk. */
typedef int (*rec_packet_cb)(void *user, int64_t ts_ns, int linktype, const uint8_t *frame,
                             uint32_t caplen, uint32_t wirelen);
/* A recording's packets, in capture order.  0, or -1 with *err (a
 * segment gone, a damaged index: packets before it were handed out). */
int rec_call_packets(rec_store_t *s, const rec_recording_t *r, rec_packet_cb cb, void *user,
                     char *err, size_t errlen);

/* Writes a standalone pcap (nanosecond timestamps, the recording's link
 * type) of every recording of call_id (call_key != 0: only that one), in
 * capture order.  Returns packets written, -1 on error (*err). */
/* The audio file of recording call_key whose first segment is first_seg,
 * relative to the store: "seg-NNNNNNNNNN.audio/KEY.EXT". */
void rec_audio_path(char *out, size_t n, uint64_t first_seg, uint64_t call_key, aud_format_t fmt);

int64_t rec_write_pcap(rec_store_t *s, const char *call_id, uint64_t call_key, FILE *out, char *err,
                       size_t errlen);

#endif /* SIPHON_RECORD_H */
