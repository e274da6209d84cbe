/* writer.c - the packet store's writer: one thread (the consumer's
 * fan_worker) appends every kept frame to the open segment and keeps, per
 * call being recorded, where its packets went.
 *
 * Per call: a small entry (rec__wcall_t, from a pool of record.max_calls,
 * found by call key through an open-addressing index) holding its counts,
 * its segments, and the offsets of its latest packets as LEB128 deltas
 * (REC__CHUNK_MAX bytes, ~200 packets).  A full buffer, a segment change
 * and the call's end write the buffer as one chunk into the segment's
 * .idx file, chained to the call's previous chunk; the call's end writes
 * its line into calls.idx.  Memory is therefore bounded by max_calls
 * entries whatever a call's length, and reading a call back touches only
 * its own chunks.
 *
 * Segments are closed after record.segment_time of packet time (a capture
 * read at full speed makes the same segments as the live traffic it
 * holds), after record.segment_size bytes (smaller when record.max_disk
 * is small, so retention deletes in fine steps), and when the link type
 * changes (classic pcap has one per file).  Writes go through stdio
 * buffers (REC__SEG_BUF for the segment: one write(2) per MiB, not per
 * 4 KiB); the files are flushed whenever a recording is finished, so a
 * finished call can be read while the writer runs.
 *
 * A frame seen twice for one call (two SIP messages in one TCP segment)
 * is stored once, as it is once in the capture.
 *
 * A call's end (the END item, when the correlator wrote its record) does
 * not close its recording at once: late SIP of the call may still come
 * (consumer.c), so it stays open for REC__LATE_NS of packet time (a FIFO of
 * ended calls, in the order they ended) and is closed then, or when the
 * writer stops.  Its calls.idx line, and so `siphon pcap`, follow that.
 */
#include "rec_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define REC__NIL UINT32_MAX

void rec__seg_path(char *out, size_t n, const char *dir, uint64_t seg, const char *ext)
{
    snprintf(out, n, "%s/seg-%010" PRIu64 ".%s", dir, seg, ext);
}

size_t rec__varint_put(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

size_t rec__varint_get(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
    uint64_t x = 0;
    for (size_t n = 0; n < 10 && p + n < end; n++) {
        x |= (uint64_t)(p[n] & 0x7f) << (7 * n);
        if (!(p[n] & 0x80)) {
            *v = x;
            return n + 1;
        }
    }
    return 0;
}

/* ------------------------------ call table ------------------------------ */

static uint32_t slot_of(const rec__writer_t *w, uint64_t key)
{
    uint32_t i = (uint32_t)hash_u64(key) & w->index_mask;
    while (w->index[i] && w->calls[w->index[i] - 1].key != key)
        i = (i + 1) & w->index_mask;
    return i;
}

static rec__wcall_t *call_find(rec__writer_t *w, uint64_t key)
{
    uint32_t i = slot_of(w, key);
    return w->index[i] ? &w->calls[w->index[i] - 1] : NULL;
}

static rec__wcall_t *call_new(rec__writer_t *w, uint64_t key)
{
    uint32_t e;
    if (w->nfree)
        e = w->free_list[--w->nfree];
    else if (w->ncalls_hw < w->cfg->max_calls)
        e = w->ncalls_hw++;
    else
        return NULL;
    rec__wcall_t *c = &w->calls[e];
    memset(c, 0, offsetof(rec__wcall_t, pos));
    c->key = key;
    c->head_off = REC__NO_CHUNK;
    c->prev_live = REC__NIL;
    c->next_live = w->live_head;
    if (w->live_head != REC__NIL) w->calls[w->live_head].prev_live = e;
    w->live_head = e;
    w->index[slot_of(w, key)] = e + 1;
    return c;
}

static void call_remove(rec__writer_t *w, rec__wcall_t *c)
{
    uint32_t e = (uint32_t)(c - w->calls);
    if (c->prev_live != REC__NIL)
        w->calls[c->prev_live].next_live = c->next_live;
    else
        w->live_head = c->next_live;
    if (c->next_live != REC__NIL) w->calls[c->next_live].prev_live = c->prev_live;
    uint32_t i = slot_of(w, c->key);
    for (uint32_t j = (i + 1) & w->index_mask; w->index[j]; j = (j + 1) & w->index_mask) {
        uint32_t home = (uint32_t)hash_u64(w->calls[w->index[j] - 1].key) & w->index_mask;
        if (((j - home) & w->index_mask) >= ((j - i) & w->index_mask)) {
            w->index[i] = w->index[j];
            i = j;
        }
    }
    w->index[i] = 0;
    free(c->segs);
    c->segs = NULL;
    c->key = 0;
    w->free_list[w->nfree++] = e;
}

/* ------------------------------- files ---------------------------------- */

static bool write_all(rec__writer_t *w, FILE *f, const void *p, size_t n)
{
    if (fwrite_unlocked(p, 1, n, f) == n) { /* one thread writes them */
        w->written_since += n;
        return true;
    }
    w->st.write_errors++;
    return false;
}

/* The call's buffered offsets as one chunk in the open segment's .idx. */
static void chunk_flush(rec__writer_t *w, rec__wcall_t *c)
{
    if (!c->npos || !w->idx) return;
    rec__chunk_hdr_t h = {.magic = REC__CHUNK_MAGIC,
                          .bytes = c->pos_bytes,
                          .call_key = c->key,
                          .prev_seg = c->head_seg,
                          .prev_off = c->head_off,
                          .count = c->npos};
    uint64_t off = w->idx_bytes;
    if (write_all(w, w->idx, &h, sizeof h) && write_all(w, w->idx, c->pos, c->pos_bytes)) {
        c->head_seg = c->pos_seg;
        c->head_off = off;
    }
    w->idx_bytes += sizeof h + c->pos_bytes;
    c->npos = c->pos_bytes = 0;
    c->last_off = 0;
}

/* The open segment goes through its own buffer (REC__SEG_BUF): a packet is
 * one memcpy, a MiB one write(2); stdio would cost ~200 instructions per
 * packet on this path. */
static void seg_flush(rec__writer_t *w)
{
    size_t done = 0;
    while (done < w->seg_used) {
        ssize_t n = write(w->seg_fd, w->seg_buf + done, w->seg_used - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            w->st.write_errors++;
            break;
        }
        done += (size_t)n;
    }
    w->seg_used = 0;
}

static void seg_put(rec__writer_t *w, const void *p, size_t n)
{
    if (w->seg_used + n > REC__SEG_BUF) seg_flush(w);
    memcpy(w->seg_buf + w->seg_used, p, n); /* n <= REC__PKT_HDR + REC__SNAPLEN */
    w->seg_used += n;
    w->written_since += n;
}

static void seg_close(rec__writer_t *w)
{
    if (w->seg_fd < 0) return;
    for (uint32_t e = w->live_head; e != REC__NIL; e = w->calls[e].next_live)
        chunk_flush(w, &w->calls[e]);
    seg_flush(w);
    if (close(w->seg_fd) != 0) w->st.write_errors++;
    if (w->idx && fclose(w->idx) != 0) w->st.write_errors++;
    w->seg_fd = -1;
    w->idx = NULL;
    rec__ret_closed_push(w, w->seg_no, w->seg_bytes + w->idx_bytes);
    w->seg_bytes = w->idx_bytes = 0;
}

static bool seg_open(rec__writer_t *w, int linktype, int64_t ts_ns)
{
    char path[REC__NAME_MAX + 32];
    uint64_t no = w->seg_no + 1;
    rec__seg_path(path, sizeof path, w->dir, no, "pcap");
    int seg = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (seg < 0) {
        log_error("record: cannot create %s: %s", path, strerror(errno));
        w->st.write_errors++;
        return false;
    }
    rec__seg_path(path, sizeof path, w->dir, no, "idx");
    FILE *idx = fopen(path, "wb");
    if (!idx) {
        log_error("record: cannot create %s: %s", path, strerror(errno));
        close(seg);
        w->st.write_errors++;
        return false;
    }
    /* its own buffer: glibc ignores the size given with a NULL one */
    if (!w->idx_buf) w->idx_buf = malloc(REC__IDX_BUF);
    if (w->idx_buf) setvbuf(idx, w->idx_buf, _IOFBF, REC__IDX_BUF);
    w->seg_fd = seg;
    w->seg_used = 0;
    w->idx = idx;
    w->seg_no = no;
    w->seg_linktype = linktype;
    w->seg_start_ns = ts_ns;
    uint32_t hdr[6] = {REC__PCAP_MAGIC_NS, 2 | (4u << 16), 0, 0, REC__SNAPLEN, (uint32_t)linktype};
    seg_put(w, hdr, sizeof hdr);
    w->seg_bytes = REC__PCAP_HDR;
    w->st.segments++;
    return true;
}

/* The call's line in calls.idx; the call is forgotten. */
static void call_finish(rec__writer_t *w, rec__wcall_t *c, const char *call_id, size_t id_len)
{
    chunk_flush(w, c);
    char id[CORR_STR_MAX];
    size_t n = 0;
    for (; n < id_len && n < sizeof id - 1; n++) /* one word on its line */
        id[n] = (unsigned char)call_id[n] <= ' ' || call_id[n] == 0x7f ? '?' : call_id[n];
    id[n] = '\0';
    if (!n) id[0] = '-', id[1] = '\0';
    char segs[4096];
    size_t sl = 0;
    for (uint32_t i = 0; i < c->nsegs && sl + 24 < sizeof segs; i++)
        sl += (size_t)snprintf(segs + sl, sizeof segs - sl, "%s%" PRIu64, i ? "," : "", c->segs[i]);
    if (!sl) snprintf(segs, sizeof segs, "-");
    if (c->packets && w->calls_f) {
        int len = fprintf(w->calls_f,
                          "C %016" PRIx64 " %" PRId64 " %" PRId64 " %" PRIu64 " %" PRIu64
                          " %d %" PRIu64 " %" PRIu64 " %s %s\n",
                          c->key, c->first_ns, c->last_ns, c->packets, c->bytes, c->linktype,
                          c->head_seg, c->head_off, segs, id);
        if (len > 0) {
            w->calls_bytes += (uint64_t)len;
            w->written_since += (uint64_t)len;
        } else {
            w->st.write_errors++;
        }
        if (w->seg_fd >= 0) seg_flush(w);
        if (w->idx) fflush(w->idx);
        fflush(w->calls_f);
        w->st.calls++;
        rec_recording_t r = {.call_key = c->key,
                             .call_id = id,
                             .first_ns = c->first_ns,
                             .last_ns = c->last_ns,
                             .packets = c->packets,
                             .bytes = c->bytes,
                             .linktype = c->linktype,
                             .segment_count = c->nsegs,
                             .segments = c->segs,
                             .head_segment = c->head_seg,
                             .head_offset = c->head_off};
        if (w->cfg->listener.on_recording) w->cfg->listener.on_recording(w->cfg->listener.user, &r);
        if (w->audio) rec__audio_push(w->audio, &r); /* its files are flushed */
    }
    call_remove(w, c);
}

/* Every call is being recorded (max_calls): finish those whose end never
 * came (a batch holding it was dropped on live capture) and that saw no
 * packet for REC__STALE_NS; at most once a second of packet time.  True
 * when one was finished. */
static bool reclaim_stale(rec__writer_t *w)
{
    if (ts_sub_sat(w->now_ns, w->reclaimed_ns) < NS_PER_SEC) return false;
    w->reclaimed_ns = w->now_ns;
    bool any = false;
    for (uint32_t e = w->live_head; e != REC__NIL;) {
        rec__wcall_t *c = &w->calls[e];
        e = c->next_live;
        if (!c->ended && ts_sub_sat(w->now_ns, c->last_ns) > REC__STALE_NS) {
            call_finish(w, c, c->id, c->id_len);
            any = true;
        }
    }
    return any;
}

static void put_packet(rec__writer_t *w, const rec__item_t *it)
{
    if (it->ts_ns > w->now_ns) w->now_ns = it->ts_ns;
    rec__wcall_t *c = call_find(w, it->call_key);
    if (!c && !(c = call_new(w, it->call_key)) &&
        !(reclaim_stale(w) && (c = call_new(w, it->call_key)))) {
        w->st.calls_over_cap++;
        return;
    }
    if (!c->id_len && it->id_len) { /* its name, from its SIP */
        c->id_len = it->id_len < sizeof c->id ? it->id_len : sizeof c->id - 1;
        memcpy(c->id, (const uint8_t *)(it + 1) + it->caplen, c->id_len);
    }
    if (c->packets && it->frame_no == c->last_frame_no && it->ts_ns == c->last_ts_ns)
        return; /* the same frame again */
    uint64_t need = REC__PKT_HDR + it->caplen;
    if (w->seg_fd < 0 || it->linktype != w->seg_linktype ||
        (w->seg_bytes > REC__PCAP_HDR &&
         (ts_sub_sat(it->ts_ns, w->seg_start_ns) >= w->cfg->segment_ns ||
          w->seg_bytes + need > w->seg_limit))) {
        seg_close(w);
        rec__ret_age(w);
        if (!rec__ret_room(w, REC__PCAP_HDR + need) || !seg_open(w, it->linktype, it->ts_ns)) {
            w->st.disk_full_drops++;
            return;
        }
    }
    if (!rec__ret_room(w, need + sizeof(rec__chunk_hdr_t) + 16)) {
        w->st.disk_full_drops++;
        return;
    }
    uint32_t hdr[4] = {(uint32_t)(it->ts_ns / NS_PER_SEC), (uint32_t)(it->ts_ns % NS_PER_SEC),
                       it->caplen, it->wirelen};
    uint64_t off = w->seg_bytes;
    seg_put(w, hdr, sizeof hdr);
    seg_put(w, it + 1, it->caplen);
    w->seg_bytes += need;
    if (c->npos && c->pos_seg != w->seg_no) chunk_flush(w, c);
    if (!c->npos) {
        c->pos_seg = w->seg_no;
        c->last_off = 0;
    }
    c->pos_bytes += (uint32_t)rec__varint_put(c->pos + c->pos_bytes, off - c->last_off);
    c->last_off = off;
    c->npos++;
    if (c->pos_bytes + 10 > REC__CHUNK_MAX) chunk_flush(w, c);
    if (!c->nsegs || c->segs[c->nsegs - 1] != w->seg_no) {
        if (c->nsegs == c->segcap) {
            uint32_t cap = c->segcap ? 2 * c->segcap : 4;
            uint64_t *s = realloc(c->segs, cap * sizeof *s);
            if (s) c->segs = s, c->segcap = cap;
        }
        if (c->nsegs < c->segcap) c->segs[c->nsegs++] = w->seg_no;
    }
    if (!c->packets) {
        c->first_ns = it->ts_ns;
        c->linktype = it->linktype;
    }
    c->last_ns = it->ts_ns;
    c->last_frame_no = it->frame_no;
    c->last_ts_ns = it->ts_ns;
    c->packets++;
    c->bytes += it->caplen;
    w->st.packets++;
    w->st.bytes += it->caplen;
}

void rec__writer_batch(rec__writer_t *w, const rec__batch_t *b)
{
    pthread_mutex_lock(w->st_lock);
    for (uint32_t at = 0; at + sizeof(rec__item_t) <= b->used;) {
        const rec__item_t *it = (const rec__item_t *)(b->data + at);
        if (it->type == REC__ITEM_PACKET) {
            put_packet(w, it);
        } else if (it->type == REC__ITEM_END) {
            rec__wcall_t *c = call_find(w, it->call_key);
            if (c && !c->ended) {
                c->ended = true;
                if (it->id_len) {
                    c->id_len = it->id_len < sizeof c->id ? it->id_len : sizeof c->id - 1;
                    memcpy(c->id, it + 1, c->id_len);
                }
                c->end_due =
                    ts_add_sat(it->ts_ns > w->now_ns ? it->ts_ns : w->now_ns, REC__LATE_NS);
                w->ending[(w->ending_head + w->nending++) % w->cfg->max_calls] =
                    (uint32_t)(c - w->calls);
            }
        }
        at += it->len;
    }
    while (w->nending) { /* ended calls whose late SIP can no longer come */
        rec__wcall_t *c = &w->calls[w->ending[w->ending_head]];
        if (c->key && c->ended && c->end_due > w->now_ns) break;
        if (c->key && c->ended) call_finish(w, c, c->id, c->id_len);
        w->ending_head = (w->ending_head + 1) % w->cfg->max_calls;
        w->nending--;
    }
    w->st.store_bytes = rec__ret_store_bytes(w);
    pthread_mutex_unlock(w->st_lock);
}

static bool mkdirs(const char *dir, char *err, size_t errlen)
{
    char p[REC__NAME_MAX];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) break; /* parents: as mkdir -p */
        *s = '/';
    }
    if (mkdir(p, 0750) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "record.dir %s: %s", dir, strerror(errno));
        return false;
    }
    return true;
}

int rec__writer_open(rec__writer_t *w, const rec_config_t *cfg, char *err, size_t errlen)
{
    pthread_mutex_t *lock = w->st_lock;
    rec__audio_t *audio = w->audio;
    memset(w, 0, sizeof *w);
    w->st_lock = lock;
    w->audio = audio;
    w->cfg = cfg;
    w->live_head = REC__NIL;
    w->seg_fd = -1;
    w->seg_buf = malloc(REC__SEG_BUF);
    if (strlen(cfg->dir) >= sizeof w->dir) {
        snprintf(err, errlen, "record.dir is too long");
        return -1;
    }
    snprintf(w->dir, sizeof w->dir, "%s", cfg->dir);
    if (!mkdirs(w->dir, err, errlen)) return -1;
    uint32_t n = 16;
    while (n < 2 * cfg->max_calls && n < (1u << 30))
        n <<= 1;
    w->calls = calloc(cfg->max_calls, sizeof *w->calls);
    w->index = calloc(n, sizeof *w->index);
    w->free_list = calloc(cfg->max_calls, sizeof *w->free_list);
    w->ending = calloc(cfg->max_calls, sizeof *w->ending);
    if (!w->calls || !w->index || !w->free_list || !w->ending || !w->seg_buf) {
        snprintf(err, errlen, "record: out of memory for %u calls", cfg->max_calls);
        rec__writer_close(w);
        return -1;
    }
    w->index_mask = n - 1;
    w->seg_limit = cfg->segment_bytes ? cfg->segment_bytes : 256ull << 20;
    if (cfg->max_disk) {
        uint64_t eighth = cfg->max_disk / 8;
        if (eighth < (64u << 10)) eighth = 64u << 10;
        if (w->seg_limit > eighth) w->seg_limit = eighth;
    }
    if (!rec__ret_scan(w, err, errlen)) {
        rec__writer_close(w);
        return -1;
    }
    char path[REC__NAME_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", w->dir, REC__CALLS_FILE);
    if (!(w->calls_f = fopen(path, "a"))) {
        snprintf(err, errlen, "record: cannot open %s: %s", path, strerror(errno));
        rec__writer_close(w);
        return -1;
    }
    rec__ret_age(w);
    rec__ret_room(w, 0);
    w->st.store_bytes = rec__ret_store_bytes(w);
    return 0;
}

void rec__writer_tick(rec__writer_t *w)
{
    if (!w->calls) return; /* not open */
    pthread_mutex_lock(w->st_lock);
    rec__ret_room(w, 0);
    w->st.store_bytes = rec__ret_store_bytes(w);
    pthread_mutex_unlock(w->st_lock);
}

void rec__writer_close(rec__writer_t *w)
{
    pthread_mutex_lock(w->st_lock);
    while (w->live_head != REC__NIL) { /* ended or not: the writer stops */
        rec__wcall_t *c = &w->calls[w->live_head];
        call_finish(w, c, c->id, c->id_len);
    }
    seg_close(w);
    if (w->audio) { /* the last renders, then the limits once more */
        rec__audio_stop(w->audio);
        if (w->calls) rec__ret_room(w, 0);
    }
    if (w->calls_f) fclose(w->calls_f);
    w->calls_f = NULL;
    free(w->calls);
    free(w->index);
    free(w->free_list);
    free(w->ending);
    free(w->closed);
    free(w->seg_buf); /* the files using them are closed */
    free(w->idx_buf);
    w->seg_buf = NULL;
    w->idx_buf = NULL;
    w->calls = NULL;
    w->index = NULL;
    w->free_list = NULL;
    w->closed = NULL;
    w->ending = NULL;
    w->nclosed = w->nending = 0;
    w->st.store_bytes = rec__ret_store_bytes(w);
    pthread_mutex_unlock(w->st_lock);
}
