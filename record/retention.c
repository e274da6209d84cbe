/* retention.c - the store never outgrows its limits.
 *
 * The writer knows the store's size at all times: the closed segments
 * (found on disk at start, then each one it closes), the open segment and
 * index as written (counted at fwrite, before stdio flushes them, so the
 * disk never holds more than counted) and calls.idx.  Before each write
 * it asks for room (rec__ret_room): while the store plus the write would
 * pass record.max_disk, or the filesystem's free space (statvfs, read again
 * after every 4 MiB written and after each deletion, minus what was written
 * since) would fall below record.min_free, the oldest closed segment is
 * deleted (pcap, idx and the audio rendered for recordings that began in
 * it), logged, counted, and a "G" line in calls.idx
 * marks every recording using it gone (the listener hears it too, for the
 * storage table).  When nothing closed is left, the write is refused and
 * counted (disk_full_drops): recording stops rather than filling the disk.
 * record.retention deletes segments whose last write is older than that,
 * checked whenever a segment closes and at start.
 */
#include "rec_internal.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define REC__FREE_RECHECK (4ull << 20)

static uint64_t file_size(const char *path, int64_t *mtime_ns)
{
    struct stat st;
    if (stat(path, &st) != 0) return 0;
    if (mtime_ns) *mtime_ns = (int64_t)st.st_mtim.tv_sec * NS_PER_SEC + st.st_mtim.tv_nsec;
    return (uint64_t)st.st_size;
}

void rec__ret_closed_push(rec__writer_t *w, uint64_t no, uint64_t bytes)
{
    if (w->closed_head + w->nclosed == w->closed_cap) {
        if (w->closed_head) { /* slide down first */
            memmove(w->closed, w->closed + w->closed_head, w->nclosed * sizeof *w->closed);
            w->closed_head = 0;
        } else {
            uint32_t cap = w->closed_cap ? 2 * w->closed_cap : 64;
            rec__seginfo_t *n = realloc(w->closed, cap * sizeof *n);
            if (!n) return; /* not tracked: never deleted (counted nowhere) */
            w->closed = n;
            w->closed_cap = cap;
        }
    }
    w->closed[w->closed_head + w->nclosed++] =
        (rec__seginfo_t){.no = no, .bytes = bytes, .mtime_ns = clock_real_ns()};
    w->closed_bytes += bytes;
}

static int cmp_seg(const void *a, const void *b)
{
    uint64_t x = ((const rec__seginfo_t *)a)->no, y = ((const rec__seginfo_t *)b)->no;
    return x < y ? -1 : x > y;
}

bool rec__ret_scan(rec__writer_t *w, char *err, size_t errlen)
{
    DIR *d = opendir(w->dir);
    if (!d) {
        snprintf(err, errlen, "record.dir %s: %s", w->dir, strerror(errno));
        return false;
    }
    struct dirent *de;
    char path[REC__NAME_MAX + 32];
    while ((de = readdir(d)) != NULL) {
        uint64_t no;
        char tail[8];
        if (sscanf(de->d_name, "seg-%" SCNu64 ".%7s", &no, tail) != 2 || strcmp(tail, "pcap"))
            continue;
        int64_t mtime = 0;
        rec__seg_path(path, sizeof path, w->dir, no, "pcap");
        uint64_t bytes = file_size(path, &mtime);
        rec__seg_path(path, sizeof path, w->dir, no, "idx");
        bytes += file_size(path, NULL);
        rec__ret_closed_push(w, no, bytes);
        if (w->nclosed) w->closed[w->closed_head + w->nclosed - 1].mtime_ns = mtime;
        if (no > w->seg_no) w->seg_no = no;
    }
    closedir(d);
    if (w->nclosed) qsort(w->closed + w->closed_head, w->nclosed, sizeof *w->closed, cmp_seg);
    snprintf(path, sizeof path, "%s/%s", w->dir, REC__CALLS_FILE);
    w->calls_bytes = file_size(path, NULL);
    atomic_store(&w->audio_bytes, (int64_t)rec__audio_scan(w->dir));
    return true;
}

uint64_t rec__ret_store_bytes(const rec__writer_t *w)
{
    int64_t audio = atomic_load(&((rec__writer_t *)w)->audio_bytes);
    return w->closed_bytes + w->seg_bytes + w->idx_bytes + w->calls_bytes +
           (audio > 0 ? (uint64_t)audio : 0);
}

static void delete_oldest(rec__writer_t *w, const char *why)
{
    rec__seginfo_t s = w->closed[w->closed_head];
    w->closed_head++;
    w->nclosed--;
    w->closed_bytes -= s.bytes;
    char path[REC__NAME_MAX + 32];
    rec__seg_path(path, sizeof path, w->dir, s.no, "pcap");
    if (unlink(path) != 0 && errno != ENOENT)
        log_warn("record: cannot delete %s: %s", path, strerror(errno));
    rec__seg_path(path, sizeof path, w->dir, s.no, "idx");
    unlink(path);
    /* the audio of recordings that began in it (record.audio_at_end) */
    uint64_t audio = rec__audio_delete_seg(w->dir, s.no);
    atomic_fetch_sub(&w->audio_bytes, (int64_t)audio);
    s.bytes += audio;
    w->st.segments_deleted++;
    w->st.bytes_deleted += s.bytes;
    log_info("record: deleted segment %" PRIu64 " (%" PRIu64 " bytes): %s", s.no, s.bytes, why);
    if (w->calls_f) {
        int n = fprintf(w->calls_f, "G %" PRIu64 "\n", s.no);
        if (n > 0) w->calls_bytes += (uint64_t)n;
        fflush(w->calls_f);
    }
    if (w->cfg->listener.on_gone) w->cfg->listener.on_gone(w->cfg->listener.user, s.no);
    w->written_since = REC__FREE_RECHECK; /* read the free space again */
}

static uint64_t free_space(rec__writer_t *w)
{
    if (w->written_since >= REC__FREE_RECHECK || !w->free_checked_at) {
        struct statvfs v;
        if (statvfs(w->dir, &v) == 0) w->free_bytes = (uint64_t)v.f_bavail * v.f_frsize;
        w->written_since = 0;
        w->free_checked_at = 1;
    }
    return w->free_bytes > w->written_since ? w->free_bytes - w->written_since : 0;
}

bool rec__ret_room(rec__writer_t *w, uint64_t need)
{
    const rec_config_t *cfg = w->cfg;
    for (;;) {
        bool over = cfg->max_disk && rec__ret_store_bytes(w) + need > cfg->max_disk;
        bool low = cfg->min_free && free_space(w) < cfg->min_free + need;
        if (!over && !low) return true;
        if (!w->nclosed) return false;
        delete_oldest(w, over ? "record.max_disk reached" : "free space below record.min_free");
    }
}

void rec__ret_age(rec__writer_t *w)
{
    if (w->cfg->retention_ns <= 0) return;
    int64_t limit = clock_real_ns() - w->cfg->retention_ns;
    while (w->nclosed && w->closed[w->closed_head].mtime_ns < limit)
        delete_oldest(w, "older than record.retention");
}
