/* pcap_files.c - packet sources from capture files (pcap and pcapng, through
 * libpcap), several files merged into one stream in timestamp order.
 *
 * Design: every file is opened up front with nanosecond timestamp precision
 * (pcap_open_offline_with_tstamp_precision, PCAP_TSTAMP_PRECISION_NANO), and
 * each keeps one "pending" frame read ahead.  A small binary min-heap over the
 * pending frames, ordered by (timestamp, file index), yields the next frame;
 * ties keep command-line order, and frames of one file keep their file order
 * even if its own timestamps go backwards.  The frame handed out stays valid
 * until the next call: its file is only advanced at the start of that call.
 *
 * Opening a file is file_input.c's job (plain, standard input, gzip; and
 * the words for a file that is not a capture).  A file that cannot be
 * opened is kept with its message and reported by the first
 * cap_files_next calls, before any frame; the others are read as if it
 * had not been given.
 *
 * A read error (pcap_next_ex returning -1: truncated record, bad block) is
 * reported with the file name and the byte offset of the record that failed;
 * that file is closed and the others go on.  Offsets cost nothing on the hot
 * path: for classic pcap they are computed (24-byte file header, then 16 +
 * caplen per record); only pcapng, whose block sizes libpcap does not expose,
 * asks ftell() before each read.  Files are read through a 1 MiB stdio
 * buffer (the default 4 KiB one made read() the main cost of a run).
 *
 * Classic pcap files that are regular files take a faster path: libpcap
 * still opens the file (it checks the header and maps the link type to a
 * DLT), but the records are then read straight from a read-only mapping of
 * the file (mmap): a frame is handed out where it lies, with no read() and
 * no copy, which was a third of `siphon analyze`'s CPU time (the kernel
 * copying the file into stdio's buffer, then fread).  The mapping is walked
 * in MAP_WINDOW steps: the next window is announced (MADV_WILLNEED, read
 * ahead in the background) and the pages more than a window behind are
 * unmapped from the process (MADV_DONTNEED: the page cache keeps them), so
 * the process's resident memory holds at most ~3 windows of the file
 * however big it is.  The
 * record walk is bounds-checked like libpcap's: a record header or body
 * that runs past the end of the file is a truncated record (the same
 * message and offset), a caplen above 262144 (libpcap's largest) is a
 * corrupt one, and a caplen above the file's snaplen is cut to it.
 * Anything else (pcapng, a pipe, a failed mmap) reads through libpcap.
 *
 * Look-ahead (cap_files_peek): a second cursor walks the mapped records
 * ahead of the one handed out, so the driver can glance at the frame it
 * will decode k frames later (decode_prefetch.c, corr_prefetch) and start
 * loading what that frame will need.  The cursor keeps its distance as the
 * walk advances (one record walked per call), is checked like the walk
 * itself, and requests the bytes PEEK_PREFETCH beyond it as it passes, so
 * the records it reaches are already cached (the hardware prefetcher
 * stops at page boundaries).  Tried and dropped: MADV_POPULATE_READ of
 * each window, to save the page faults (the kernel's page walk cost as much
 * as the faults it saved).
 */
#include "capture_internal.h"

#include <stdbool.h>

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define SRC_IOBUF_BYTES (1 << 20)

typedef struct {
    pcap_t *p;
    char *path;
    int index; /* command-line order, breaks timestamp ties */
    int linktype;
    uint64_t size;
    long rec_off;  /* byte offset of the pending frame's record */
    long next_off; /* classic pcap: offset of the record after it */
    bool pcapng;   /* offsets come from ftell(); classic pcap computes them */
    FILE *fp;      /* opened by file_input.c; owned by s->p */
    cap__input_t in;
    char *open_error; /* the file could not be opened: reported by cap_files_next */
    /* classic pcap read from a mapping (NULL: through libpcap) */
    const uint8_t *map;
    size_t map_len;
    size_t map_mark;    /* next offset at which map_advance runs */
    size_t map_dropped; /* pages below this were dropped from the process */
    bool swapped, nano;
    uint32_t snaplen;
    /* pending frame */
    int64_t ts_ns;
    bool ts_clamped;
    const uint8_t *data;
    uint32_t caplen, wirelen;
    bool loaded; /* a pending frame has been read */
    /* look-ahead cursor (cap_files_peek): the record at ahead_off lies
     * ahead_dist records after the one at next_off */
    size_t ahead_off;
    uint32_t ahead_dist;
} src_t;

struct cap_files {
    src_t *srcs;
    int nsrcs;
    src_t **heap; /* min-heap of sources holding a pending frame */
    int nheap;
    src_t *advance; /* source whose frame was handed out last time */
    uint64_t frame_no;
    uint64_t total_bytes;
    int next_open_error; /* srcs below this had their open error reported */
};

/* -------------------------- min-heap by (ts, index) ---------------------- */

static bool src_before(const src_t *a, const src_t *b)
{
    if (a->ts_ns != b->ts_ns) return a->ts_ns < b->ts_ns;
    return a->index < b->index;
}

static void heap_swap(cap_files_t *f, int i, int j)
{
    src_t *t = f->heap[i];
    f->heap[i] = f->heap[j];
    f->heap[j] = t;
}

static void heap_down(cap_files_t *f, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < f->nheap && src_before(f->heap[l], f->heap[m])) m = l;
        if (r < f->nheap && src_before(f->heap[r], f->heap[m])) m = r;
        if (m == i) return;
        heap_swap(f, i, m);
        i = m;
    }
}

static void heap_pop(cap_files_t *f)
{
    f->heap[0] = f->heap[--f->nheap];
    if (f->nheap) heap_down(f, 0);
}

/* ------------------------------------------------------------------------ */

static void src_close(src_t *s)
{
    if (s->map) munmap((void *)s->map, s->map_len);
    s->map = NULL;
    if (s->p) pcap_close(s->p); /* closes s->fp too, and the zlib reader */
    s->p = NULL;
    s->fp = NULL;
    s->in.gz = NULL;
    free(s->in.iobuf);
    s->in.iobuf = NULL;
}

#define PCAP_MAX_CAPLEN 262144u /* libpcap's MAXIMUM_SNAPLEN */
#define MAP_WINDOW      (8u << 20)

/* Called when the walk passes s->map_mark (see the top). */
static void map_advance(src_t *s, size_t off)
{
    size_t page = 4096, ahead = off + MAP_WINDOW;
    if (ahead < s->map_len) {
        size_t a = ahead & ~(page - 1);
        size_t n = a + MAP_WINDOW < s->map_len ? MAP_WINDOW : s->map_len - a;
        madvise((void *)(s->map + a), n, MADV_WILLNEED);
    }
    if (off > MAP_WINDOW) {
        size_t end = (off - MAP_WINDOW) & ~(page - 1);
        if (end > s->map_dropped) {
            madvise((void *)(s->map + s->map_dropped), end - s->map_dropped, MADV_DONTNEED);
            s->map_dropped = end;
        }
    }
    s->map_mark = off + MAP_WINDOW;
}

static uint32_t rd32(const uint8_t *p, bool swapped)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return swapped ? __builtin_bswap32(v) : v;
}

/* The next record of a mapped classic pcap file (see the top). */
/* What is wrong with the record of a mapped file at off (bounds-checked
 * like libpcap), or NULL with its caplen in *caplen.  Both cursors use it:
 * the walk (src_read_mapped) and the look-ahead (cap_files_peek). */
static const char *map_record(const src_t *s, size_t off, uint32_t *caplen)
{
    if (off > s->map_len || s->map_len - off < 16) return "truncated record header";
    uint32_t n = rd32(s->map + off + 8, s->swapped);
    if (n > PCAP_MAX_CAPLEN) return "record length larger than 262144 bytes";
    if (s->map_len - off - 16 < n) return "truncated record";
    *caplen = n;
    return NULL;
}

/* The frame of the checked record at off. */
static void map_frame(const src_t *s, size_t off, uint32_t caplen, cap_frame_t *out)
{
    const uint8_t *h = s->map + off;
    uint32_t frac = rd32(h + 4, s->swapped);
    out->linktype = s->linktype;
    out->ts_ns = cap__ts_from((int64_t)rd32(h, s->swapped),
                              s->nano ? (int64_t)frac : (int64_t)frac * 1000, &out->ts_clamped);
    out->data = h + 16;
    out->caplen = caplen < s->snaplen || s->snaplen == 0 ? caplen : s->snaplen;
    out->wirelen = rd32(h + 12, s->swapped);
    out->file = s->path;
}

static int src_read_mapped(src_t *s, char *err, size_t errlen)
{
    size_t off = (size_t)s->next_off;
    s->rec_off = s->next_off;
    if (off >= s->map_len) return 0;
    if (off >= s->map_mark) map_advance(s, off);
    uint32_t caplen = 0;
    const char *why = map_record(s, off, &caplen);
    if (why) {
        if (err && errlen)
            snprintf(err, errlen, "%s: truncated or corrupt record at byte offset %ld: %s", s->path,
                     s->rec_off, why);
        return -1;
    }
    cap_frame_t fr;
    map_frame(s, off, caplen, &fr);
    s->ts_ns = fr.ts_ns;
    s->ts_clamped = fr.ts_clamped;
    s->data = fr.data;
    s->caplen = fr.caplen;
    s->wirelen = fr.wirelen;
    s->next_off = (long)(off + 16 + caplen);
    if (s->ahead_dist > 0 && s->ahead_off >= (size_t)s->next_off) {
        s->ahead_dist--;
    } else {
        s->ahead_off = (size_t)s->next_off;
        s->ahead_dist = 0;
    }
    /* the record after this one: its header and the headers of its packet
     * are read next, while this frame is being decoded */
    __builtin_prefetch(s->map + off + 16 + caplen);
    __builtin_prefetch(s->map + off + 16 + caplen + 64);
    s->loaded = true;
    return 1;
}

/* Reads the next frame of s into its pending slot.  Returns 1 when there is
 * one, 0 at end of file, -1 on a read error (message in err). */
static int src_read(src_t *s, char *err, size_t errlen)
{
    if (s->map) return src_read_mapped(s, err, errlen);
    struct pcap_pkthdr *h;
    const u_char *data;
    s->rec_off = s->pcapng ? ftell(s->fp) : s->next_off;
    int rc = pcap_next_ex(s->p, &h, &data);
    if (rc == 1) {
        if (!s->pcapng) s->next_off = s->rec_off + 16 + (long)h->caplen;
        /* NANO precision: tv_usec holds nanoseconds */
        s->ts_ns = cap__ts_from((int64_t)h->ts.tv_sec, (int64_t)h->ts.tv_usec, &s->ts_clamped);
        s->data = data;
        s->caplen = h->caplen;
        s->wirelen = h->len;
        s->loaded = true;
        return 1;
    }
    if (rc == PCAP_ERROR_BREAK || rc == 0) return 0; /* -2: end of file */
    if (err && errlen) {
        char why[256];
        cap__input_read_failed(&s->in, s->fp, pcap_geterr(s->p), why, sizeof why);
        snprintf(err, errlen, "%s: truncated or corrupt record at byte offset %ld%s: %s", s->path,
                 s->rec_off, s->in.compressed ? " of the decompressed capture" : "", why);
    }
    return -1;
}

/* Classic pcap in a regular file: map it (see the top).  libpcap has
 * already accepted the header; failing here only means the slower path. */
static void src_map(src_t *s)
{
    struct stat st;
    int fd = fileno(s->fp);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 24) return;
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) return;
    const uint8_t *p = m;
    uint32_t magic;
    memcpy(&magic, p, 4);
    bool ok = true;
    if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du) {
        s->swapped = false;
    } else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u) {
        s->swapped = true;
    } else {
        ok = false; /* a format libpcap knows and we do not: let it read */
    }
    if (!ok) {
        munmap(m, (size_t)st.st_size);
        return;
    }
    s->nano = magic == 0xa1b23c4du || magic == 0x4d3cb2a1u;
    s->snaplen = rd32(p + 16, s->swapped);
    s->map = p;
    s->map_len = (size_t)st.st_size;
    s->map_mark = 0;
    s->map_dropped = 0;
}

/* Opens one file (file_input.c: plain, standard input or gzip) and hands
 * it to libpcap.  False with what is wrong in err (without the path). */
static bool src_open(src_t *s, const char *path, char *err, size_t errlen)
{
    if (!cap__input_open(&s->in, path, err, errlen)) return false;
    s->fp = s->in.fp;
    s->size = s->in.size;
    s->pcapng = cap__input_pcapng(&s->in);
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    s->p = pcap_fopen_offline_with_tstamp_precision(s->fp, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    if (!s->p) {
        cap__input_refused(&s->in, err, errlen);
        fclose(s->fp); /* frees the zlib reader too */
        s->fp = NULL;
        s->in.gz = NULL;
        free(s->in.iobuf);
        s->in.iobuf = NULL;
        return false;
    }
    s->next_off = 24; /* classic pcap: records start after the file header */
    if (!s->pcapng && s->in.plain) src_map(s);
    return true;
}

cap_files_t *cap_files_open(const char *const *paths, int count, char *err, size_t errlen)
{
    if (err && errlen) err[0] = '\0';
    if (count <= 0) {
        if (err && errlen) snprintf(err, errlen, "no capture files given");
        return NULL;
    }
    cap_files_t *f = calloc(1, sizeof *f);
    if (!f) goto nomem;
    f->srcs = calloc((size_t)count, sizeof *f->srcs);
    f->heap = calloc((size_t)count, sizeof *f->heap);
    if (!f->srcs || !f->heap) goto nomem;
    f->nsrcs = count;
    int opened = 0;
    for (int i = 0; i < count; i++) {
        src_t *s = &f->srcs[i];
        char why[384] = "";
        s->index = i;
        s->path = strdup(strcmp(paths[i], "-") == 0 ? "standard input" : paths[i]);
        if (!s->path) goto nomem;
        if (!src_open(s, paths[i], why, sizeof why)) {
            s->size = 0; /* counts in neither the total nor the progress */
            size_t n = strlen(s->path) + strlen(why) + 3;
            s->open_error = malloc(n);
            if (!s->open_error) goto nomem;
            snprintf(s->open_error, n, "%s: %s", s->path, why);
            continue;
        }
        opened++;
        s->linktype = pcap_datalink(s->p);
        f->total_bytes += s->size;
    }
    if (opened == 0) { /* nothing to read: every reason, in file order */
        size_t at = 0;
        for (int i = 0; i < count && err && errlen; i++) {
            int w = snprintf(err + at, errlen - at, "%s%s", i ? "; " : "", f->srcs[i].open_error);
            if (w < 0 || (size_t)w >= errlen - at) break;
            at += (size_t)w;
        }
        cap_files_close(f);
        return NULL;
    }
    /* Prime the heap with the files that opened.  A file whose very first
     * record is broken is reported by the first cap_files_next() call, so
     * open itself does not fail. */
    for (int i = 0; i < count; i++) {
        if (!f->srcs[i].p) continue;
        f->srcs[i].ts_ns = INT64_MIN; /* read first in cap_files_next */
        f->heap[f->nheap++] = &f->srcs[i];
    }
    return f;
nomem:
    if (err && errlen) snprintf(err, errlen, "out of memory opening capture files");
    cap_files_close(f);
    return NULL;
}

/* Brings the heap top to a source with a real pending frame: sources still
 * holding the "not read yet" marker are read first.  Returns 1, 0 (empty)
 * or -1 (a read error; the failing source was dropped). */
static int settle_top(cap_files_t *f, char *err, size_t errlen)
{
    while (f->nheap > 0 && !f->heap[0]->loaded) {
        src_t *s = f->heap[0];
        int rc = src_read(s, err, errlen);
        if (rc == 1) {
            heap_down(f, 0);
            continue;
        }
        heap_pop(f);
        src_close(s);
        if (rc < 0) return -1;
    }
    return f->nheap > 0;
}

/* The next file that did not open and was not reported yet: its error
 * into err and true.  Out of line: it runs only until every file's open
 * has been reported, once per file. */
static __attribute__((noinline)) bool next_open_error(cap_files_t *f, char *err, size_t errlen)
{
    while (f->next_open_error < f->nsrcs) {
        const src_t *s = &f->srcs[f->next_open_error++];
        if (!s->open_error) continue;
        if (err && errlen) snprintf(err, errlen, "%s", s->open_error);
        return true;
    }
    return false;
}

int cap_files_next(cap_files_t *f, cap_frame_t *out, char *err, size_t errlen)
{
    if (err && errlen) err[0] = '\0';
    if (!f) return 0;
    /* files that did not open, first */
    if (f->next_open_error < f->nsrcs && next_open_error(f, err, errlen)) return -1;
    if (f->advance) {
        /* The frame handed out last time was at the heap top; replace it. */
        src_t *s = f->advance;
        f->advance = NULL;
        int rc = src_read(s, err, errlen);
        if (rc == 1) {
            if (f->nheap > 1) heap_down(f, 0);
        } else {
            heap_pop(f);
            src_close(s);
            if (rc < 0) return -1;
        }
    }
    int rc = settle_top(f, err, errlen);
    if (rc <= 0) return rc;
    src_t *s = f->heap[0];
    out->linktype = s->linktype;
    out->ts_ns = s->ts_ns;
    out->ts_clamped = s->ts_clamped;
    out->data = s->data;
    out->caplen = s->caplen;
    out->wirelen = s->wirelen;
    out->frame_no = ++f->frame_no;
    out->file = s->path;
    f->advance = s;
    return 1;
}

#define PEEK_PREFETCH 4096 /* bytes beyond the look-ahead cursor (see below) */

bool cap_files_peek(cap_files_t *f, uint32_t k, cap_frame_t *out)
{
    if (!f || k == 0 || !f->advance || !f->advance->map) return false;
    src_t *s = f->advance;
    uint32_t caplen;
    if (s->ahead_dist > k - 1) { /* asked for a nearer frame: walk again */
        s->ahead_off = (size_t)s->next_off;
        s->ahead_dist = 0;
    }
    while (s->ahead_dist < k - 1) {
        if (map_record(s, s->ahead_off, &caplen)) return false;
        /* the bytes PEEK_PREFETCH further on are requested as the cursor
         * passes: the records the cursor reaches next are in the cache
         * (the hardware prefetcher stops at every page boundary) */
        size_t at = s->ahead_off + PEEK_PREFETCH;
        if (at < s->map_len) __builtin_prefetch(s->map + at);
        s->ahead_off += 16 + (size_t)caplen;
        s->ahead_dist++;
    }
    if (map_record(s, s->ahead_off, &caplen)) return false;
    map_frame(s, s->ahead_off, caplen, out);
    out->frame_no = f->frame_no + s->ahead_dist + 1;
    return true;
}

uint64_t cap_files_total_bytes(const cap_files_t *f)
{
    return f ? f->total_bytes : 0;
}

uint64_t cap_files_read_bytes(const cap_files_t *f)
{
    if (!f) return 0;
    uint64_t n = 0;
    for (int i = 0; i < f->nsrcs; i++) {
        const src_t *s = &f->srcs[i];
        if (!s->p) {
            n += s->size; /* finished (or abandoned) */
            continue;
        }
        if (s->map) {
            n += (uint64_t)s->next_off;
            continue;
        }
        uint64_t pos = cap__input_consumed(&s->in, pcap_file(s->p));
        n += pos < s->size ? pos : s->size;
    }
    return n;
}

void cap_files_close(cap_files_t *f)
{
    if (!f) return;
    for (int i = 0; f->srcs && i < f->nsrcs; i++) {
        src_close(&f->srcs[i]);
        free(f->srcs[i].path);
        free(f->srcs[i].open_error);
    }
    free(f->srcs);
    free(f->heap);
    free(f);
}
