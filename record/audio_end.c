/* audio_end.c - a recording's audio rendered when it is finished
 * (record.audio_at_end), for those who export audio to other systems.
 *
 * The writer thread, having written a recording's line to calls.idx and
 * flushed its segment and index, pushes a copy of the recording (its key,
 * Call-ID, chunk chain head and segments) to a fan_worker_t of one queue
 * of record.audio_queue recordings, always lossy: a full queue drops the
 * render and counts it (audio_dropped), so neither the writer nor, through
 * its queues, capture ever waits for a decoder.  `siphon audio` still
 * renders a dropped call on demand.
 *
 * The render thread reads the recording's packets back from the store
 * (rec_call_packets), feeds them to an audio/ renderer configured as
 * `siphon audio` configures it, and writes the file under a temporary name
 * in seg-N.audio/ (N the recording's first segment: the one retention
 * deletes first), renamed into place when complete.  Retention deletes
 * the directory with its segment (rec__audio_delete_seg).  The file counts
 * toward record.max_disk: once written, its size joins the store's
 * audio_bytes, which the writer adds to what it counts before each write
 * and at every tick of its thread (REC__TICK_NS) and once more after the
 * last render when it stops; over the cap, the oldest segments go, with
 * their audio, as for packets.  So the store passes the cap by the audio
 * rendered since, for a tick at most.  A
 * after the rename the segment must still exist, or the file goes.
 */
#include "rec_internal.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct rec__audio {
    const rec_config_t *cfg;
    fan_worker_t *worker;
    rec_store_t *store; /* opened at the first render */
    _Atomic int64_t *audio_bytes;
    _Atomic uint64_t rendered, dropped, no_media, failed;
};

/* A recording to render: rec_recording_t with its strings and segments
 * owned. */
typedef struct {
    rec_recording_t r;
    char id[CORR_STR_MAX];
    uint64_t segs[];
} rec__audio_job_t;

void rec_audio_path(char *out, size_t n, uint64_t first_seg, uint64_t call_key, aud_format_t fmt)
{
    snprintf(out, n, "seg-%010" PRIu64 ".audio/%016" PRIx64 ".%s", first_seg, call_key,
             aud_format_ext(fmt));
}

static int feed(void *user, int64_t ts_ns, int linktype, const uint8_t *frame, uint32_t caplen,
                uint32_t wirelen)
{
    (void)wirelen;
    aud_feed_frame(user, ts_ns, linktype, frame, caplen);
    return 0;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The file's bytes (0: none written). */
static uint64_t render(rec__audio_t *a, const rec__audio_job_t *j)
{
    const rec_config_t *cfg = a->cfg;
    char err[512];
    if (!a->store && !(a->store = rec_store_open(cfg->dir, err, sizeof err))) {
        log_warn("record: audio of %s not rendered: %s", j->id, err);
        a->failed++;
        return 0;
    }
    aud_config_t acfg;
    aud_config_default(&acfg);
    acfg.call_id = j->id;
    aud_renderer_t *r = aud_new(&acfg, err, sizeof err);
    if (!r) {
        log_warn("record: audio of %s not rendered: %s", j->id, err);
        a->failed++;
        return 0;
    }
    char rel[128], path[REC__NAME_MAX + 160], tmp[REC__NAME_MAX + 176];
    uint64_t first_seg = j->r.segment_count ? j->segs[0] : j->r.head_segment;
    rec_audio_path(rel, sizeof rel, first_seg, j->r.call_key, cfg->audio_format);
    snprintf(path, sizeof path, "%s/%s", cfg->dir, rel);
    if (rec_call_packets(a->store, &j->r, feed, r, err, sizeof err) != 0) {
        log_warn("record: audio of %s not rendered: %s", j->id, err);
        a->failed++;
        aud_free(r);
        return 0;
    }
    /* the directory of its first segment, the file under a name nobody
     * reads until it is whole */
    char dirpath[REC__NAME_MAX + 64];
    rec__seg_path(dirpath, sizeof dirpath, cfg->dir, first_seg, "audio");
    if (mkdir(dirpath, 0750) != 0 && errno != EEXIST) {
        log_warn("record: audio of %s: %s: %s", j->id, dirpath, strerror(errno));
        a->failed++;
        aud_free(r);
        return 0;
    }
    snprintf(tmp, sizeof tmp, "%s/.%016" PRIx64 ".tmp.%s", dirpath, j->r.call_key,
             aud_format_ext(cfg->audio_format));
    aud_status_t st = aud_finish(r, tmp, cfg->audio_format, false, err, sizeof err);
    aud_summary_t sum;
    aud_summary(r, &sum);
    aud_free(r);
    if (st == AUD_ERR_NO_CALL || st == AUD_ERR_NO_RTP ||
        ((st == AUD_ERR_CODEC || st == AUD_ERR_SRTP) && !file_exists(tmp))) {
        a->no_media++;  /* a call without (decodable) voice: no file */
        rmdir(dirpath); /* when it is empty */
        return 0;
    }
    if (st == AUD_ERR_OUTPUT || rename(tmp, path) != 0) {
        log_warn("record: audio of %s not written: %s", j->id,
                 st == AUD_ERR_OUTPUT ? err : strerror(errno));
        unlink(tmp);
        a->failed++;
        return 0;
    }
    char seg[REC__NAME_MAX + 32];
    rec__seg_path(seg, sizeof seg, cfg->dir, first_seg, "pcap");
    struct stat sb;
    if (!file_exists(seg) || stat(path, &sb) != 0) { /* retention took the segment */
        unlink(path);
        rmdir(dirpath);
        a->failed++;
        return 0;
    }
    atomic_fetch_add(a->audio_bytes, (int64_t)sb.st_size);
    a->rendered++;
    if (cfg->listener.on_audio) {
        rec_audio_t info = {.call_key = j->r.call_key,
                            .call_id = j->id,
                            .first_ns = j->r.first_ns,
                            .path = rel,
                            .format = cfg->audio_format,
                            .seconds = sum.seconds,
                            .bytes = (uint64_t)sb.st_size};
        cfg->listener.on_audio(cfg->listener.user, &info);
    }
    return (uint64_t)sb.st_size;
}

static void work(void *user, uint32_t shard, void *rec)
{
    (void)shard;
    render(user, rec);
}

rec__audio_t *rec__audio_new(const rec_config_t *cfg, _Atomic int64_t *audio_bytes, char *err,
                             size_t errlen)
{
    rec__audio_t *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errlen, "record: out of memory");
        return NULL;
    }
    a->cfg = cfg;
    a->audio_bytes = audio_bytes;
    fan_worker_config_t wc = {.name = "siphon-recaudio",
                              .shards = 1,
                              .capacity = cfg->audio_queue ? cfg->audio_queue : 1,
                              .lossless = false,
                              .work = work,
                              .user = a};
    if (!(a->worker = fan_worker_new(&wc, err, errlen))) {
        free(a);
        return NULL;
    }
    return a;
}

int rec__audio_start(rec__audio_t *a, char *err, size_t errlen)
{
    return fan_worker_start(a->worker, err, errlen);
}

void rec__audio_push(rec__audio_t *a, const rec_recording_t *r)
{
    rec__audio_job_t *j = malloc(sizeof *j + r->segment_count * sizeof(uint64_t));
    if (!j) {
        a->dropped++;
        return;
    }
    j->r = *r;
    snprintf(j->id, sizeof j->id, "%s", r->call_id ? r->call_id : "");
    j->r.call_id = j->id;
    if (r->segment_count) memcpy(j->segs, r->segments, r->segment_count * sizeof(uint64_t));
    j->r.segments = j->segs;
    if (!fan_worker_push(a->worker, 0, j)) a->dropped++;
}

void rec__audio_stop(rec__audio_t *a)
{
    fan_worker_stop(a->worker);
}

void rec__audio_free(rec__audio_t *a)
{
    if (!a) return;
    fan_worker_free(a->worker);
    rec_store_close(a->store);
    free(a);
}

void rec__audio_stats(rec__audio_t *a, rec_stats_t *out)
{
    out->audio_rendered = a->rendered;
    out->audio_dropped = a->dropped;
    out->audio_no_media = a->no_media;
    out->audio_failed = a->failed;
    int64_t b = atomic_load(a->audio_bytes);
    out->audio_bytes = b > 0 ? (uint64_t)b : 0;
}

/* Deletes the files of one audio directory and the directory; their bytes. */
static uint64_t remove_dir(const char *dirpath)
{
    DIR *d = opendir(dirpath);
    if (!d) return 0;
    uint64_t bytes = 0;
    struct dirent *de;
    char path[REC__NAME_MAX + 320];
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
            continue;
        snprintf(path, sizeof path, "%s/%s", dirpath, de->d_name);
        struct stat st;
        bool tmp = de->d_name[0] == '.'; /* a render in progress: not counted yet */
        if (stat(path, &st) == 0 && !tmp) bytes += (uint64_t)st.st_size;
        unlink(path);
    }
    closedir(d);
    rmdir(dirpath);
    return bytes;
}

uint64_t rec__audio_delete_seg(const char *dir, uint64_t seg)
{
    char dirpath[REC__NAME_MAX + 64];
    rec__seg_path(dirpath, sizeof dirpath, dir, seg, "audio");
    return remove_dir(dirpath);
}

uint64_t rec__audio_scan(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    uint64_t bytes = 0;
    struct dirent *de;
    char path[REC__NAME_MAX + 320];
    while ((de = readdir(d)) != NULL) {
        uint64_t no;
        char tail[8];
        if (sscanf(de->d_name, "seg-%" SCNu64 ".%7s", &no, tail) != 2 || strcmp(tail, "audio"))
            continue;
        rec__seg_path(path, sizeof path, dir, no, "pcap");
        if (!file_exists(path)) { /* its segment went while siphon was down */
            rec__audio_delete_seg(dir, no);
            continue;
        }
        rec__seg_path(path, sizeof path, dir, no, "audio");
        DIR *ad = opendir(path);
        if (!ad) continue;
        struct dirent *fe;
        char fpath[REC__NAME_MAX + 640];
        while ((fe = readdir(ad)) != NULL) {
            if (fe->d_name[0] == '.') { /* "." "..", a render cut short */
                if (strstr(fe->d_name, ".tmp.")) {
                    snprintf(fpath, sizeof fpath, "%s/%s", path, fe->d_name);
                    unlink(fpath);
                }
                continue;
            }
            snprintf(fpath, sizeof fpath, "%s/%s", path, fe->d_name);
            struct stat st;
            if (stat(fpath, &st) == 0) bytes += (uint64_t)st.st_size;
        }
        closedir(ad);
    }
    closedir(d);
    return bytes;
}
