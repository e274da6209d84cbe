/* reader.c - reading a packet store back: which recordings a Call-ID has
 * (calls.idx), a recording's packets in capture order (its chunk chain),
 * and a standalone pcap of a call (siphon pcap; siphon audio reads through
 * rec_call_packets).
 *
 * The store is siphon's own files, but a reader must survive a damaged or
 * truncated one (a disk error, a segment deleted while reading): every
 * length is checked against what was read, a chunk's predecessor must lie
 * strictly before it (so a corrupt chain cannot loop), and a missing
 * segment ends the walk with an error naming it, after the packets that
 * could be read.
 */
#include "rec_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct rec_store {
    char dir[REC__NAME_MAX];
};

rec_store_t *rec_store_open(const char *dir, char *err, size_t errlen)
{
    char path[REC__NAME_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", dir, REC__CALLS_FILE);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "no packet store at %s (%s: %s)", dir, path, strerror(errno));
        return NULL;
    }
    fclose(f);
    rec_store_t *s = calloc(1, sizeof *s);
    if (!s || strlen(dir) >= sizeof s->dir) {
        free(s);
        snprintf(err, errlen, "record.dir too long or out of memory");
        return NULL;
    }
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    return s;
}

void rec_store_close(rec_store_t *s)
{
    free(s);
}

/* "C key first last packets bytes linktype head_seg head_off segs call_id" */
bool rec__parse_call_line(char *line, rec_recording_t *r, uint64_t *segs, uint32_t max_segs)
{
    memset(r, 0, sizeof *r);
    char *save = NULL;
    char *tok[11];
    int n = 0;
    for (char *t = strtok_r(line, " \n", &save); t && n < 11; t = strtok_r(NULL, " \n", &save))
        tok[n++] = t;
    if (n != 11 || strcmp(tok[0], "C") != 0) return false;
    char *end;
    errno = 0;
    r->call_key = strtoull(tok[1], &end, 16);
    if (*end) return false;
    r->first_ns = strtoll(tok[2], &end, 10);
    if (*end) return false;
    r->last_ns = strtoll(tok[3], &end, 10);
    if (*end) return false;
    r->packets = strtoull(tok[4], &end, 10);
    if (*end) return false;
    r->bytes = strtoull(tok[5], &end, 10);
    if (*end) return false;
    r->linktype = (int)strtol(tok[6], &end, 10);
    if (*end) return false;
    r->head_segment = strtoull(tok[7], &end, 10);
    if (*end) return false;
    r->head_offset = strtoull(tok[8], &end, 10);
    if (*end || errno) return false;
    uint32_t ns = 0;
    if (strcmp(tok[9], "-") != 0) {
        for (char *p = tok[9]; *p && ns < max_segs;) {
            segs[ns++] = strtoull(p, &end, 10);
            if (end == p || (*end && *end != ',')) return false;
            p = *end ? end + 1 : end;
        }
    }
    r->segments = segs;
    r->segment_count = ns;
    r->call_id = tok[10];
    return true;
}

#define REC__MAX_SEGS 65536

typedef struct {
    uint64_t *gone;
    size_t ngone, cap;
} gone_set_t;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

uint32_t rec_find(rec_store_t *s, const char *call_id,
                  int (*cb)(void *user, const rec_recording_t *r), void *user)
{
    char path[REC__NAME_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", s->dir, REC__CALLS_FILE);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    gone_set_t g = {0};
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) { /* the deleted segments first */
        uint64_t no;
        if (line[0] == 'G' && sscanf(line, "G %" SCNu64, &no) == 1) {
            if (g.ngone == g.cap) {
                size_t c = g.cap ? 2 * g.cap : 64;
                uint64_t *n = realloc(g.gone, c * sizeof *n);
                if (!n) break;
                g.gone = n, g.cap = c;
            }
            g.gone[g.ngone++] = no;
        }
    }
    if (g.ngone) qsort(g.gone, g.ngone, sizeof *g.gone, cmp_u64);
    rewind(f);
    uint64_t *segs = malloc(REC__MAX_SEGS * sizeof *segs);
    uint32_t found = 0;
    while (segs && getline(&line, &cap, f) > 0) {
        if (line[0] != 'C') continue;
        rec_recording_t r;
        if (!rec__parse_call_line(line, &r, segs, REC__MAX_SEGS)) continue;
        if (strcmp(r.call_id, call_id) != 0) continue;
        for (uint32_t i = 0; i < r.segment_count && !r.gone; i++)
            r.gone = g.ngone && bsearch(&segs[i], g.gone, g.ngone, sizeof *g.gone, cmp_u64);
        found++;
        if (cb && cb(user, &r)) break;
    }
    free(segs);
    free(line);
    free(g.gone);
    fclose(f);
    return found;
}

/* ------------------------------ packets --------------------------------- */

typedef struct {
    uint64_t seg, off;
} chunk_ref_t;

static FILE *open_seg(const rec_store_t *s, uint64_t seg, const char *ext)
{
    char path[REC__NAME_MAX + 32];
    rec__seg_path(path, sizeof path, s->dir, seg, ext);
    return fopen(path, "rb");
}

int rec_call_packets(rec_store_t *s, const rec_recording_t *r, rec_packet_cb cb, void *user,
                     char *err, size_t errlen)
{
    /* the chain, newest first */
    chunk_ref_t *chain = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    uint64_t seg = r->head_segment, off = r->head_offset;
    FILE *idx = NULL;
    uint64_t idx_seg = UINT64_MAX;
    uint8_t *buf = NULL;
    while (off != REC__NO_CHUNK) {
        if (n > r->packets) { /* more chunks than packets: damaged */
            snprintf(err, errlen, "damaged index: chunk chain longer than the call");
            rc = -1;
            break;
        }
        if (seg != idx_seg) {
            if (idx) fclose(idx);
            idx_seg = seg;
            if (!(idx = open_seg(s, seg, "idx"))) {
                snprintf(err, errlen, "segment %" PRIu64 " is gone (deleted by retention?)", seg);
                rc = -1;
                break;
            }
        }
        rec__chunk_hdr_t h;
        if (fseeko(idx, (off_t)off, SEEK_SET) != 0 || fread(&h, sizeof h, 1, idx) != 1 ||
            h.magic != REC__CHUNK_MAGIC || h.call_key != r->call_key) {
            snprintf(err, errlen, "damaged index: segment %" PRIu64 " offset %" PRIu64, seg, off);
            rc = -1;
            break;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            chunk_ref_t *c = realloc(chain, cap * sizeof *c);
            if (!c) {
                snprintf(err, errlen, "out of memory");
                rc = -1;
                break;
            }
            chain = c;
        }
        chain[n++] = (chunk_ref_t){seg, off};
        if (h.prev_off != REC__NO_CHUNK &&
            (h.prev_seg > seg || (h.prev_seg == seg && h.prev_off >= off))) {
            snprintf(err, errlen, "damaged index: chunk chain goes forward");
            rc = -1;
            break;
        }
        seg = h.prev_seg;
        off = h.prev_off;
    }
    if (rc == 0 || n) {
        /* oldest first */
        FILE *pc = NULL;
        uint64_t pc_seg = UINT64_MAX;
        buf = malloc(REC__SNAPLEN + REC__CHUNK_MAX);
        int stop = 0;
        for (size_t k = n; k-- > 0 && !stop && buf;) {
            if (chain[k].seg != idx_seg) {
                if (idx) fclose(idx);
                idx_seg = chain[k].seg;
                idx = open_seg(s, idx_seg, "idx");
            }
            rec__chunk_hdr_t h;
            uint8_t pos[REC__CHUNK_MAX];
            if (!idx || fseeko(idx, (off_t)chain[k].off, SEEK_SET) != 0 ||
                fread(&h, sizeof h, 1, idx) != 1 || h.bytes > sizeof pos ||
                fread(pos, 1, h.bytes, idx) != h.bytes) {
                snprintf(err, errlen, "damaged index in segment %" PRIu64, chain[k].seg);
                rc = -1;
                break;
            }
            if (chain[k].seg != pc_seg) {
                if (pc) fclose(pc);
                pc_seg = chain[k].seg;
                if (!(pc = open_seg(s, pc_seg, "pcap"))) {
                    snprintf(err, errlen, "segment %" PRIu64 " is gone", pc_seg);
                    rc = -1;
                    break;
                }
            }
            uint64_t at = 0;
            const uint8_t *p = pos, *end = pos + h.bytes;
            for (uint32_t i = 0; i < h.count && !stop; i++) {
                uint64_t d;
                size_t used = rec__varint_get(p, end, &d);
                if (!used) {
                    snprintf(err, errlen, "damaged index in segment %" PRIu64, pc_seg);
                    rc = -1;
                    stop = 1;
                    break;
                }
                p += used;
                at += d;
                uint32_t ph[4];
                if (fseeko(pc, (off_t)at, SEEK_SET) != 0 || fread(ph, sizeof ph, 1, pc) != 1 ||
                    ph[2] > REC__SNAPLEN || ph[1] >= NS_PER_SEC ||
                    fread(buf, 1, ph[2], pc) != ph[2]) {
                    snprintf(err, errlen, "segment %" PRIu64 " is damaged at %" PRIu64, pc_seg, at);
                    rc = -1;
                    stop = 1;
                    break;
                }
                int64_t ts = (int64_t)ph[0] * NS_PER_SEC + ph[1];
                if (cb(user, ts, r->linktype, buf, ph[2], ph[3])) stop = 1;
            }
        }
        if (pc) fclose(pc);
    }
    if (idx) fclose(idx);
    free(buf);
    free(chain);
    return rc;
}

/* -------------------------------- pcap ---------------------------------- */

typedef struct {
    uint64_t call_key, head_seg, head_off, packets;
    int64_t first_ns;
    int linktype;
} pick_t;

typedef struct {
    pick_t *v;
    size_t n, cap;
    uint64_t only;
} picks_t;

static int pick_cb(void *user, const rec_recording_t *r)
{
    picks_t *p = user;
    if (p->only && r->call_key != p->only) return 0;
    if (p->n == p->cap) {
        size_t c = p->cap ? 2 * p->cap : 8;
        pick_t *n = realloc(p->v, c * sizeof *n);
        if (!n) return 1;
        p->v = n, p->cap = c;
    }
    p->v[p->n++] = (pick_t){r->call_key, r->head_segment, r->head_offset,
                            r->packets,  r->first_ns,     r->linktype};
    return 0;
}

static int cmp_pick(const void *a, const void *b)
{
    int64_t x = ((const pick_t *)a)->first_ns, y = ((const pick_t *)b)->first_ns;
    return x < y ? -1 : x > y;
}

typedef struct {
    FILE *out;
    int linktype;
    int64_t written, other_link;
    bool failed;
} pcap_out_t;

static int pcap_cb(void *user, int64_t ts_ns, int linktype, const uint8_t *frame, uint32_t caplen,
                   uint32_t wirelen)
{
    pcap_out_t *o = user;
    if (linktype != o->linktype) {
        o->other_link++;
        return 0;
    }
    uint32_t h[4] = {(uint32_t)(ts_ns / NS_PER_SEC), (uint32_t)(ts_ns % NS_PER_SEC), caplen,
                     wirelen};
    if (fwrite(h, sizeof h, 1, o->out) != 1 || fwrite(frame, 1, caplen, o->out) != caplen) {
        o->failed = true;
        return 1;
    }
    o->written++;
    return 0;
}

int64_t rec_write_pcap(rec_store_t *s, const char *call_id, uint64_t call_key, FILE *out, char *err,
                       size_t errlen)
{
    picks_t p = {.only = call_key};
    rec_find(s, call_id, pick_cb, &p);
    if (!p.n) {
        free(p.v);
        snprintf(err, errlen, "no recording of Call-ID %s%s in %s", call_id,
                 call_key ? " with that call key" : "", s->dir);
        return -1;
    }
    qsort(p.v, p.n, sizeof *p.v, cmp_pick);
    pcap_out_t o = {.out = out, .linktype = p.v[0].linktype};
    uint32_t hdr[6] = {REC__PCAP_MAGIC_NS, 2 | (4u << 16),      0, 0,
                       REC__SNAPLEN,       (uint32_t)o.linktype};
    int rc = 0;
    if (fwrite(hdr, sizeof hdr, 1, out) != 1) o.failed = true;
    for (size_t i = 0; i < p.n && !o.failed && rc == 0; i++) {
        rec_recording_t r = {.call_key = p.v[i].call_key,
                             .packets = p.v[i].packets,
                             .linktype = p.v[i].linktype,
                             .head_segment = p.v[i].head_seg,
                             .head_offset = p.v[i].head_off};
        rc = rec_call_packets(s, &r, pcap_cb, &o, err, errlen);
    }
    free(p.v);
    if (o.failed || fflush(out) != 0) {
        snprintf(err, errlen, "cannot write the pcap: %s", strerror(errno));
        return -1;
    }
    if (o.other_link)
        log_warn("record: %" PRId64 " packets of another link type left out", o.other_link);
    return rc == 0 ? o.written : -1;
}
