/* spool.c - batches the database could not take, on disk until it can.
 *
 * A directory of append-only segment files, spool-NNNNNNNNNNNNNNNN.seg in
 * the order written.  Each record is one batch: {magic "SPL1", u32 length,
 * u32 CRC-32 of the payload (zlib's), payload}, little-endian.  The writer
 * appends to the newest segment (a new one past 16 MiB) and replays from
 * the oldest; a segment whose records have all reached the database is
 * deleted.  Not thread-safe: the writers share one behind their lock
 * (writer.c).
 *
 * Crashes.  A record is written with one write() before the writer moves
 * on, so a kill -9 loses nothing already spooled (the page cache keeps it;
 * spool_fsync = always also survives a power cut, batch syncs once per
 * writer tick, never leaves it to the kernel).  A process killed in the
 * middle of a write leaves a torn last record: on the next start a new
 * segment is opened for appending (nothing is written after a torn tail),
 * and replay reports the bad record (length past the end, or checksum
 * mismatch) by file and offset, skips the rest of that segment and goes on
 * with the next.  How far replay got is not recorded: after a crash it
 * starts again at the oldest segment's first record, and the records that
 * had already reached the database are skipped there (every row has a
 * stable key, ON CONFLICT DO NOTHING).
 *
 * Bounded: appends that would take the spool past max_bytes are refused
 * (the caller counts the batch and its rows as lost).
 */
#include "st_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define ST__SEG_MAX    (16u << 20)
#define ST__MAGIC      0x314c5053u /* "SPL1" */
#define ST__HDR        12
#define ST__RECORD_MAX (1u << 30)
#define ST__SEGS_MAX   4096

struct st__spool {
    char dir[512];
    uint64_t max_bytes, bytes;
    st_fsync_t fsync_policy;
    uint64_t segs[ST__SEGS_MAX]; /* sequence numbers, oldest first */
    uint32_t n_segs;
    int wfd;        /* newest segment, open for appending; -1 none */
    uint64_t wseq;  /* its number */
    uint64_t wsize; /* its size */
    bool unsynced;  /* written since the last sync */
    int rfd;        /* the oldest segment, being replayed; -1 none */
    uint64_t rseq;
    uint64_t roff;  /* offset of the oldest record not yet committed */
    uint64_t rnext; /* offset after the record peek returned */
    uint64_t rsize;
};

static void st__seg_path(const st__spool_t *s, uint64_t seq, char *p, size_t n)
{
    snprintf(p, n, "%s/spool-%016llu.seg", s->dir, (unsigned long long)seq);
}

static int st__cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int st__mkdirs(const char *dir)
{
    char p[512];
    snprintf(p, sizeof p, "%s", dir);
    for (char *q = p + 1; *q; q++) {
        if (*q != '/') continue;
        *q = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) return -1; /* parents: as mkdir -p */
        *q = '/';
    }
    return mkdir(p, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

st__spool_t *st__spool_open(const char *dir, uint64_t max_bytes, st_fsync_t fsync_policy, char *err,
                            size_t errlen)
{
    if (st__mkdirs(dir) != 0) {
        snprintf(err, errlen, "spool directory %s: %s", dir, strerror(errno));
        return NULL;
    }
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "spool directory %s: %s", dir, strerror(errno));
        return NULL;
    }
    st__spool_t *s = calloc(1, sizeof *s);
    if (!s) {
        closedir(d);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    s->max_bytes = max_bytes, s->fsync_policy = fsync_policy;
    s->wfd = s->rfd = -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        unsigned long long seq;
        char tail[8];
        if (sscanf(e->d_name, "spool-%16llu.%4s", &seq, tail) != 2 || strcmp(tail, "seg") != 0)
            continue;
        if (s->n_segs == ST__SEGS_MAX) break;
        char p[600];
        st__seg_path(s, seq, p, sizeof p);
        struct stat st;
        if (stat(p, &st) != 0) continue;
        s->segs[s->n_segs++] = seq;
        s->bytes += (uint64_t)st.st_size;
    }
    closedir(d);
    qsort(s->segs, s->n_segs, sizeof s->segs[0], st__cmp_u64);
    /* appends never go after what an earlier run left (perhaps a torn tail) */
    s->wseq = s->n_segs ? s->segs[s->n_segs - 1] + 1 : 1;
    if (s->n_segs)
        log_warn("storage: spool %s holds %u segment%s (%llu bytes) from an earlier run: "
                 "replaying them once the database is reachable",
                 dir, s->n_segs, s->n_segs == 1 ? "" : "s", (unsigned long long)s->bytes);
    return s;
}

void st__spool_close(st__spool_t *s)
{
    if (!s) return;
    if (s->wfd >= 0) {
        if (s->unsynced && s->fsync_policy != ST_FSYNC_NEVER) fdatasync(s->wfd);
        close(s->wfd);
    }
    if (s->rfd >= 0) close(s->rfd);
    free(s);
}

static int st__sync_dir(const st__spool_t *s)
{
    int fd = open(s->dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Opens a new newest segment for appending. */
static int st__roll(st__spool_t *s)
{
    if (s->wfd >= 0) {
        if (s->unsynced && s->fsync_policy != ST_FSYNC_NEVER) fdatasync(s->wfd);
        close(s->wfd);
        s->wfd = -1;
        s->wseq++;
    }
    if (s->n_segs == ST__SEGS_MAX) return -1;
    char p[600];
    st__seg_path(s, s->wseq, p, sizeof p);
    s->wfd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
    if (s->wfd < 0) {
        log_error("storage: spool segment %s: %s", p, strerror(errno));
        return -1;
    }
    s->segs[s->n_segs++] = s->wseq;
    s->wsize = 0;
    if (s->fsync_policy != ST_FSYNC_NEVER) st__sync_dir(s);
    return 0;
}

int st__spool_append(st__spool_t *s, const void *p, size_t n)
{
    if (n > ST__RECORD_MAX) return 1;
    if (s->bytes + ST__HDR + n > s->max_bytes) return 1;
    if (s->wfd < 0 || s->wsize >= ST__SEG_MAX)
        if (st__roll(s) != 0) return -1;
    uint8_t hdr[ST__HDR];
    uint32_t crc = (uint32_t)crc32(0L, p, (uInt)n);
    uint32_t v[3] = {ST__MAGIC, (uint32_t)n, crc};
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 4; k++)
            hdr[4 * i + k] = (uint8_t)(v[i] >> (8 * k));
    /* header and payload in one write: a crash leaves a record whole or torn
     * at the end, never interleaved */
    uint8_t *rec = malloc(ST__HDR + n);
    if (!rec) return -1;
    memcpy(rec, hdr, ST__HDR), memcpy(rec + ST__HDR, p, n);
    size_t done = 0;
    while (done < ST__HDR + n) {
        ssize_t w = write(s->wfd, rec + done, ST__HDR + n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            log_error("storage: writing the spool: %s", strerror(errno));
            free(rec);
            /* a partial record is a torn tail: never append after it */
            if (done) s->wsize = ST__SEG_MAX, s->bytes += done;
            return -1;
        }
        done += (size_t)w;
    }
    free(rec);
    s->wsize += ST__HDR + n;
    s->bytes += ST__HDR + n;
    s->unsynced = true;
    if (s->fsync_policy == ST_FSYNC_ALWAYS) {
        fdatasync(s->wfd);
        s->unsynced = false;
    }
    return 0;
}

void st__spool_sync(st__spool_t *s)
{
    if (s->wfd >= 0 && s->unsynced && s->fsync_policy == ST_FSYNC_BATCH) fdatasync(s->wfd);
    s->unsynced = false;
}

bool st__spool_empty(const st__spool_t *s)
{
    return s->n_segs == 0;
}

uint64_t st__spool_bytes(const st__spool_t *s)
{
    return s->bytes;
}

/* The oldest segment is done: delete it (and stop appending to it if it is
 * the newest). */
static void st__drop_oldest(st__spool_t *s)
{
    char p[600];
    st__seg_path(s, s->segs[0], p, sizeof p);
    struct stat st;
    if (stat(p, &st) == 0)
        s->bytes -= (uint64_t)st.st_size <= s->bytes ? (uint64_t)st.st_size : s->bytes;
    if (s->rfd >= 0) close(s->rfd), s->rfd = -1;
    if (s->wfd >= 0 && s->segs[0] == s->wseq) {
        close(s->wfd);
        s->wfd = -1;
        s->wseq++;
        s->unsynced = false;
    }
    unlink(p);
    memmove(s->segs, s->segs + 1, (s->n_segs - 1) * sizeof s->segs[0]);
    s->n_segs--;
    if (s->n_segs == 0) s->bytes = 0;
}

static bool st__pread_all(int fd, void *p, size_t n, uint64_t off)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(fd, (uint8_t *)p + done, n - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        done += (size_t)r;
    }
    return true;
}

int st__spool_peek(st__spool_t *s, buf_t *out, uint64_t *corrupt)
{
    while (s->n_segs) {
        char p[600];
        st__seg_path(s, s->segs[0], p, sizeof p);
        if (s->rfd < 0 || s->rseq != s->segs[0]) {
            if (s->rfd >= 0) close(s->rfd);
            s->rfd = open(p, O_RDONLY | O_CLOEXEC);
            if (s->rfd < 0) {
                log_error("storage: spool segment %s: %s: skipped", p, strerror(errno));
                st__drop_oldest(s);
                continue;
            }
            s->rseq = s->segs[0];
            s->roff = s->rnext = 0;
        }
        struct stat st;
        if (fstat(s->rfd, &st) != 0) st.st_size = 0;
        s->rsize = (uint64_t)st.st_size;
        if (s->roff >= s->rsize) {
            if (s->segs[0] == s->wseq && s->wfd >= 0 && s->n_segs == 1) {
                /* everything appended so far is replayed: start afresh */
                st__drop_oldest(s);
                return 0;
            }
            st__drop_oldest(s);
            continue;
        }
        uint8_t hdr[ST__HDR];
        const char *why = NULL;
        uint32_t magic = 0, len = 0, crc = 0;
        if (s->rsize - s->roff < ST__HDR || !st__pread_all(s->rfd, hdr, ST__HDR, s->roff)) {
            why = "a torn record header at the end";
        } else {
            magic = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 |
                    (uint32_t)hdr[3] << 24;
            len = (uint32_t)hdr[4] | (uint32_t)hdr[5] << 8 | (uint32_t)hdr[6] << 16 |
                  (uint32_t)hdr[7] << 24;
            crc = (uint32_t)hdr[8] | (uint32_t)hdr[9] << 8 | (uint32_t)hdr[10] << 16 |
                  (uint32_t)hdr[11] << 24;
            if (magic != ST__MAGIC)
                why = "no record header (bad magic)";
            else if (len > ST__RECORD_MAX || s->rsize - s->roff - ST__HDR < len)
                why = "a record longer than what is left (torn write)";
        }
        if (!why) {
            buf_reset(out);
            buf_append(out, NULL, 0);
            char *tmp = malloc(len ? len : 1);
            if (!tmp) return 0;
            if (!st__pread_all(s->rfd, tmp, len, s->roff + ST__HDR)) {
                why = "a short read";
            } else if ((uint32_t)crc32(0L, (const Bytef *)tmp, len) != crc) {
                why = "a checksum mismatch";
            } else {
                buf_append(out, tmp, len);
                free(tmp);
                s->rnext = s->roff + ST__HDR + len;
                return 1;
            }
            free(tmp);
        }
        (*corrupt)++;
        log_error("storage: spool segment %s is corrupt at offset %llu (%s): skipping the "
                  "rest of it (%llu bytes) and replaying the next",
                  p, (unsigned long long)s->roff, why, (unsigned long long)(s->rsize - s->roff));
        if (s->segs[0] == s->wseq && s->wfd >= 0) s->wsize = ST__SEG_MAX; /* never append here */
        s->roff = s->rnext = s->rsize;
    }
    return 0;
}

void st__spool_commit(st__spool_t *s)
{
    s->roff = s->rnext;
}
