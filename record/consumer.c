/* consumer.c - the packet store as a fan-out consumer: the shard side.
 *
 * On each correlator shard's thread, on_packet decides whether a packet is
 * kept (its call recorded? SIP/RTP wanted? RTP cut to its header?) and
 * copies its frame into the shard's current batch (256 KiB); a full batch,
 * and the partial one whenever the shard runs dry, goes to the writer
 * thread through a fan_worker_t queue (bounded: record.queue_size per
 * shard; files wait, live capture drops the batch and counts its
 * packets).  Copying into batches keeps the shard at one memcpy per
 * packet, no allocation, and one queue operation per ~1,000 packets.
 *
 * The decision per call (record.calls = rules) is taken at the call's
 * first packet, the message that created it (its INVITE), and kept in a
 * per-shard open-addressing table of call keys until on_call says the
 * call ended (an END item tells the writer to close its recording).  With
 * record.calls = all there is nothing to remember.
 *
 * SIP of a call can come after the correlator let the call go (its record
 * is written once it lingered 5 s after its end: a CANCEL retransmitted
 * for half a minute, a late 408): the correlator hands it over with no
 * call.  A person filtering the capture by Call-ID would see it with the
 * call, so the shard remembers the Call-IDs of recorded calls that ended
 * (REC__LATE_SLOTS, direct-mapped) for REC__LATE_NS (64 x T1, RFC 3261's
 * longest transaction timer) and such a message joins its call; the writer
 * keeps the recording open as long (writer.c).
 *
 * A recording's name (its Call-ID, for calls.idx) reaches the writer on
 * its SIP items and its END.  With record.sip = false only the END would
 * carry it, and a dropped batch holding the END would leave the recording
 * nameless (siphon pcap could not find it): then a call's first media item
 * in each batch carries the Call-ID the correlator gives media packets
 * (REC__NAMED_SLOTS, direct-mapped per batch), so any batch of the call
 * that reaches the writer names it.
 */
#include "rec_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct rec rec_t;

#define REC__POOL 64 /* batches kept for reuse (16 MiB) */

typedef struct {
    uint64_t key; /* 0: free */
    bool yes;
} rec__decision_t;

/* A recorded call that ended, for its late SIP (direct-mapped by Call-ID). */
typedef struct {
    uint64_t cid_hash;
    uint64_t call_key;
    int64_t until_ns;
} rec__late_t;

#define REC__LATE_SLOTS 4096

/* Calls whose Call-ID the current batch already carries (record.sip off). */
typedef struct {
    uint64_t call_key;
    uint32_t batch_gen;
} rec__named_t;

#define REC__NAMED_SLOTS 256

typedef struct {
    rec_t *r;
    uint32_t index;
    rec__batch_t *batch;
    rec__late_t late[REC__LATE_SLOTS];
    rec__named_t named[REC__NAMED_SLOTS];
    uint32_t batch_gen;   /* batches taken, the current one's number */
    int64_t now_ns;       /* largest packet time seen */
    rec__decision_t *dec; /* rules only */
    uint32_t dec_mask, dec_count, dec_cap;
    uint64_t calls_skipped, calls_over_cap, frames_missing, packets_dropped;
} rec__shard_t;

struct rec {
    rec_config_t cfg;
    char *dir;
    char **rules_text;
    rec__rule_t *rules;
    fan_env_t env;
    rec__shard_t *shards;
    fan_worker_t *worker;
    rec__writer_t w;
    bool writer_open;
    pthread_mutex_t st_lock; /* the writer's counters (w.st) */
    pthread_mutex_t pool_lock;
    rec__batch_t *pool[REC__POOL]; /* batches the writer is done with */
    uint32_t npool;
};

void rec_config_default(rec_config_t *c)
{
    memset(c, 0, sizeof *c);
    c->dir = "/var/lib/siphon/record";
    c->calls = REC_CALLS_ALL;
    c->sip = true;
    c->rtp = REC_RTP_FULL;
    c->min_free = 1ull << 30;
    c->segment_ns = 60 * NS_PER_SEC;
    c->segment_bytes = 256ull << 20;
    c->queue_bytes = 64ull << 20;
    c->max_calls = 65536;
    c->audio_format = AUD_FORMAT_WAV;
    c->audio_queue = 256;
}

bool rec_calls_parse(const char *s, rec_calls_t *out)
{
    static const char *const names[] = {"all", "none", "rules"};
    for (int i = 0; i < 3; i++)
        if (strcmp(s, names[i]) == 0) return *out = (rec_calls_t)i, true;
    return false;
}

bool rec_rtp_parse(const char *s, rec_rtp_t *out)
{
    static const char *const names[] = {"none", "headers", "full"};
    for (int i = 0; i < 3; i++)
        if (strcmp(s, names[i]) == 0) return *out = (rec_rtp_t)i, true;
    return false;
}

/* ------------------------------- batches -------------------------------- */

/* Batches are reused: the writer gives each back to a small pool when it
 * is done with it, so a batch (larger than malloc's mmap threshold) does
 * not cost an mmap, its page faults and an munmap every time. */
static rec__batch_t *batch_new(rec_t *r)
{
    rec__batch_t *b = NULL;
    pthread_mutex_lock(&r->pool_lock);
    if (r->npool) b = r->pool[--r->npool];
    pthread_mutex_unlock(&r->pool_lock);
    if (!b) b = malloc(sizeof *b + REC__BATCH_BYTES);
    if (b) b->used = b->packets = 0;
    return b;
}

static void batch_release(void *user, void *rec)
{
    rec_t *r = user;
    pthread_mutex_lock(&r->pool_lock);
    if (r->npool < REC__POOL) {
        r->pool[r->npool++] = rec;
        rec = NULL;
    }
    pthread_mutex_unlock(&r->pool_lock);
    free(rec);
}

static void batch_send(rec__shard_t *sh)
{
    rec__batch_t *b = sh->batch;
    if (!b || b->used == 0) return;
    sh->batch = NULL;
    uint32_t packets = b->packets;
    if (!fan_worker_push(sh->r->worker, sh->index, b)) sh->packets_dropped += packets;
}

/* Room for an item of len bytes (8-aligned), or NULL (out of memory). */
static rec__item_t *item_reserve(rec__shard_t *sh, uint32_t len)
{
    if (sh->batch && sh->batch->used + len > REC__BATCH_BYTES) batch_send(sh);
    if (!sh->batch) {
        if (!(sh->batch = batch_new(sh->r))) return NULL;
        if (++sh->batch_gen == 0) { /* wrapped: no slot may look current */
            memset(sh->named, 0, sizeof sh->named);
            sh->batch_gen = 1;
        }
    }
    rec__item_t *it = (rec__item_t *)(sh->batch->data + sh->batch->used);
    sh->batch->used += len;
    return it;
}

/* ------------------------------ decisions ------------------------------- */

static uint32_t dec_slot(const rec__shard_t *sh, uint64_t key)
{
    uint32_t i = (uint32_t)hash_u64(key) & sh->dec_mask;
    while (sh->dec[i].key && sh->dec[i].key != key)
        i = (i + 1) & sh->dec_mask;
    return i;
}

/* Linear probing: deleting shifts the following entries back. */
static void dec_remove(rec__shard_t *sh, uint64_t key)
{
    uint32_t i = dec_slot(sh, key);
    if (!sh->dec[i].key) return;
    sh->dec_count--;
    for (uint32_t j = (i + 1) & sh->dec_mask; sh->dec[j].key; j = (j + 1) & sh->dec_mask) {
        uint32_t home = (uint32_t)hash_u64(sh->dec[j].key) & sh->dec_mask;
        /* j's entry may move to i when i lies between its home and j */
        if (((j - home) & sh->dec_mask) >= ((j - i) & sh->dec_mask)) {
            sh->dec[i] = sh->dec[j];
            i = j;
        }
    }
    sh->dec[i].key = 0;
}

static bool decide(rec__shard_t *sh, const corr_packet_t *p)
{
    rec_t *r = sh->r;
    if (r->cfg.calls == REC_CALLS_ALL) return true;
    if (r->cfg.calls == REC_CALLS_NONE) return false;
    uint32_t i = dec_slot(sh, p->call_key);
    if (sh->dec[i].key) return sh->dec[i].yes;
    bool yes = false;
    for (uint32_t k = 0; k < r->cfg.rule_count && !yes; k++)
        yes = rec__rule_match(&r->rules[k], p);
    if (sh->dec_count >= sh->dec_cap) {
        sh->calls_over_cap++;
        return false;
    }
    if (!yes) sh->calls_skipped++;
    sh->dec[i] = (rec__decision_t){.key = p->call_key, .yes = yes};
    sh->dec_count++;
    return yes;
}

/* ------------------------------ callbacks ------------------------------- */

/* A file's LINKTYPE_ value for libpcap's DLT_ value: they differ for raw
 * IP (DLT_RAW is 12, or 14 on OpenBSD; LINKTYPE_RAW is 101). */
static int linktype_of(int dlt)
{
    return dlt == 12 || dlt == 14 ? 101 : dlt;
}

static uint64_t cid_hash(sv_t id)
{
    uint64_t h =
        hash_bytes(id.p, id.len < CORR_STR_MAX - 1 ? id.len : CORR_STR_MAX - 1, 0x7265632d);
    return h ? h : 1;
}

static void on_packet(void *user, const corr_packet_t *p)
{
    rec__shard_t *sh = user;
    const rec_config_t *cfg = &sh->r->cfg;
    bool sip = p->kind == CORR_PKT_SIP;
    if (p->dg->ts_ns > sh->now_ns) sh->now_ns = p->dg->ts_ns;
    uint64_t call_key = p->call_key;
    if (!call_key) { /* late SIP of a recorded call that ended? */
        if (!sip || !p->call_id.len) return;
        uint64_t h = cid_hash(p->call_id);
        const rec__late_t *l = &sh->late[h % REC__LATE_SLOTS];
        if (l->cid_hash != h || p->dg->ts_ns > l->until_ns) return;
        call_key = l->call_key;
    } else if (!decide(sh, p)) {
        return;
    }
    if (sip ? !cfg->sip : cfg->rtp == REC_RTP_NONE) return;
    const frame_view_t *f = p->dg->frame;
    if (!f || !f->data) {
        sh->frames_missing++;
        return;
    }
    uint32_t caplen = f->caplen;
    if (p->kind == CORR_PKT_RTP && cfg->rtp == REC_RTP_HEADERS && p->dg->data >= f->data &&
        p->dg->data < f->data + f->caplen) {
        size_t cut = (size_t)(p->dg->data - f->data) + p->rtp_header_len;
        if (cut < caplen) caplen = (uint32_t)cut;
    }
    if (caplen > REC__SNAPLEN) caplen = REC__SNAPLEN;
    /* SIP carries its Call-ID after the frame: the writer knows the call's
     * name even if its end never reaches it (a dropped batch); without
     * recorded SIP a call's first media item in the batch does */
    size_t id_len = sip ? p->call_id.len : 0;
    rec__named_t *named = NULL;
    if (!sip && !cfg->sip && p->call_id.len) {
        named = &sh->named[hash_u64(call_key) % REC__NAMED_SLOTS];
        bool carried =
            sh->batch && named->call_key == call_key && named->batch_gen == sh->batch_gen;
        if (!carried) id_len = p->call_id.len;
    }
    if (id_len > CORR_STR_MAX - 1) id_len = CORR_STR_MAX - 1;
    uint32_t len = (uint32_t)((sizeof(rec__item_t) + caplen + id_len + 7) & ~(size_t)7);
    rec__item_t *it = item_reserve(sh, len);
    if (!it) return;
    if (named && id_len) *named = (rec__named_t){.call_key = call_key, .batch_gen = sh->batch_gen};
    *it = (rec__item_t){.len = len,
                        .type = REC__ITEM_PACKET,
                        .id_len = (uint16_t)id_len,
                        .linktype = linktype_of(f->linktype),
                        .caplen = caplen,
                        .wirelen = f->wirelen,
                        .ts_ns = f->ts_ns,
                        .call_key = call_key,
                        .frame_no = p->dg->frame_no};
    memcpy(it + 1, f->data, caplen);
    if (id_len) memcpy((uint8_t *)(it + 1) + caplen, p->call_id.p, id_len);
    sh->batch->packets++;
}

static void on_call(void *user, const corr_call_t *call)
{
    rec__shard_t *sh = user;
    rec_t *r = sh->r;
    if (r->cfg.calls == REC_CALLS_RULES) {
        uint32_t i = dec_slot(sh, call->call_key);
        bool yes = sh->dec[i].key && sh->dec[i].yes;
        dec_remove(sh, call->call_key);
        if (!yes) return;
    }
    size_t id_len = strnlen(call->call_id, sizeof call->call_id);
    uint64_t h = cid_hash(sv_make(call->call_id, id_len));
    sh->late[h % REC__LATE_SLOTS] = (rec__late_t){
        .cid_hash = h, .call_key = call->call_key, .until_ns = sh->now_ns + REC__LATE_NS};
    uint32_t len = (uint32_t)((sizeof(rec__item_t) + id_len + 7) & ~(size_t)7);
    rec__item_t *it = item_reserve(sh, len);
    if (!it) return;
    *it = (rec__item_t){.len = len,
                        .type = REC__ITEM_END,
                        .id_len = (uint16_t)id_len,
                        .call_key = call->call_key,
                        .ts_ns = sh->now_ns};
    memcpy(it + 1, call->call_id, id_len);
}

/* ------------------------------ the ops --------------------------------- */

static void worker_work(void *user, uint32_t shard, void *rec)
{
    (void)shard;
    rec_t *r = user;
    rec__writer_batch(&r->w, rec);
}

static void worker_tick(void *user, bool stop)
{
    rec_t *r = user;
    if (!stop) rec__writer_tick(&r->w);
}

static void rec_free(void *self);

static void *rec_create(const void *config, const fan_env_t *env, char *err, size_t errlen)
{
    const rec_config_t *cfg = config;
    rec_t *r = calloc(1, sizeof *r);
    if (!r) goto oom;
    pthread_mutex_init(&r->st_lock, NULL);
    pthread_mutex_init(&r->pool_lock, NULL);
    r->w.st_lock = &r->st_lock;
    r->cfg = *cfg;
    r->env = *env;
    if (!cfg->dir || !cfg->dir[0]) {
        snprintf(err, errlen, "record.dir is empty");
        rec_free(r);
        return NULL;
    }
    if (!(r->dir = strdup(cfg->dir))) goto oom;
    r->cfg.dir = r->dir;
    if (r->cfg.max_calls == 0) r->cfg.max_calls = 1;
    if (cfg->calls == REC_CALLS_RULES) {
        r->rules = calloc(cfg->rule_count ? cfg->rule_count : 1, sizeof *r->rules);
        if (!r->rules) goto oom;
        for (uint32_t i = 0; i < cfg->rule_count; i++) {
            if (!rec__rule_parse(cfg->rules[i], &r->rules[i], err, errlen)) {
                rec_free(r);
                return NULL;
            }
        }
    }
    r->cfg.rules = NULL; /* parsed: the texts are not kept */
    r->shards = calloc(env->shards, sizeof *r->shards);
    if (!r->shards) goto oom;
    for (uint32_t s = 0; s < env->shards; s++) {
        rec__shard_t *sh = &r->shards[s];
        sh->r = r;
        sh->index = s;
        if (cfg->calls == REC_CALLS_RULES) {
            uint32_t cap = r->cfg.max_calls, n = 16;
            while (n < 2 * cap && n < (1u << 30))
                n <<= 1;
            sh->dec = calloc(n, sizeof *sh->dec);
            if (!sh->dec) goto oom;
            sh->dec_mask = n - 1;
            sh->dec_cap = n / 2;
        }
    }
    uint64_t batches = cfg->queue_bytes / REC__BATCH_BYTES;
    fan_worker_config_t wc = {.name = "siphon-record",
                              .shards = env->shards,
                              .capacity =
                                  batches < 2 ? 2 : (uint32_t)(batches > 65536 ? 65536 : batches),
                              .lossless = env->lossless,
                              .work = worker_work,
                              .release = batch_release,
                              .user = r,
                              .tick = cfg->audio_at_end ? worker_tick : NULL,
                              .tick_ns = REC__TICK_NS};
    if (!(r->worker = fan_worker_new(&wc, err, errlen))) {
        rec_free(r);
        return NULL;
    }
    if (cfg->audio_at_end &&
        !(r->w.audio = rec__audio_new(&r->cfg, &r->w.audio_bytes, err, errlen))) {
        rec_free(r);
        return NULL;
    }
    return r;
oom:
    snprintf(err, errlen, "record: out of memory");
    rec_free(r);
    return NULL;
}

static uint32_t rec_wants(const void *self)
{
    const rec_t *r = self;
    if (r->cfg.calls == REC_CALLS_NONE || (!r->cfg.sip && r->cfg.rtp == REC_RTP_NONE)) return 0;
    return FAN_WANT_PACKETS | FAN_WANT_CALLS;
}

static corr_sink_t rec_shard_sink(void *self, uint32_t shard)
{
    rec_t *r = self;
    return (corr_sink_t){.user = &r->shards[shard], .on_packet = on_packet, .on_call = on_call};
}

static void rec_shard_idle(void *self, uint32_t shard)
{
    rec_t *r = self;
    batch_send(&r->shards[shard]);
}

static int rec_start(void *self, char *err, size_t errlen)
{
    rec_t *r = self;
    if (rec__writer_open(&r->w, &r->cfg, err, errlen) != 0) return -1;
    r->writer_open = true;
    if (r->w.audio && rec__audio_start(r->w.audio, err, errlen) != 0) {
        rec__writer_close(&r->w);
        r->writer_open = false;
        return -1;
    }
    if (fan_worker_start(r->worker, err, errlen) != 0) {
        rec__writer_close(&r->w);
        r->writer_open = false;
        return -1;
    }
    return 0;
}

static void rec_stop(void *self)
{
    rec_t *r = self;
    for (uint32_t s = 0; s < r->env.shards; s++) /* what the shards still hold */
        batch_send(&r->shards[s]);
    fan_worker_stop(r->worker);
    if (r->writer_open) rec__writer_close(&r->w);
    r->writer_open = false;
}

void rec_stats(const void *self, rec_stats_t *out)
{
    const rec_t *r = self;
    pthread_mutex_lock((pthread_mutex_t *)&r->st_lock);
    *out = r->w.st;
    pthread_mutex_unlock((pthread_mutex_t *)&r->st_lock);
    if (r->w.audio) rec__audio_stats(r->w.audio, out);
    for (uint32_t s = 0; s < r->env.shards; s++) {
        const rec__shard_t *sh = &r->shards[s];
        out->calls_skipped += sh->calls_skipped;
        out->calls_over_cap += sh->calls_over_cap;
        out->frames_missing += sh->frames_missing;
        out->packets_dropped += sh->packets_dropped;
    }
}

static void rec_fan_stats(const void *self, fan_stats_t *out)
{
    const rec_t *r = self;
    fan_worker_stats_t ws;
    fan_worker_stats(r->worker, &ws);
    rec_stats_t st;
    rec_stats(self, &st);
    *out = (fan_stats_t){
        .records = st.packets, .queued = ws.pushed, .dropped = ws.dropped, .waits = ws.waits};
}

static void rec_free(void *self)
{
    rec_t *r = self;
    if (!r) return;
    fan_worker_free(r->worker);
    if (r->writer_open) rec__writer_close(&r->w);
    rec__audio_free(r->w.audio);
    for (uint32_t s = 0; r->shards && s < r->env.shards; s++) {
        free(r->shards[s].batch);
        free(r->shards[s].dec);
    }
    free(r->shards);
    free(r->rules);
    free(r->dir);
    for (uint32_t i = 0; i < r->npool; i++)
        free(r->pool[i]);
    pthread_mutex_destroy(&r->pool_lock);
    pthread_mutex_destroy(&r->st_lock);
    free(r);
}

rec__writer_t *rec__writer_of(void *self)
{
    return &((rec_t *)self)->w;
}

const fan_consumer_ops_t rec_consumer = {
    .name = "record",
    .create = rec_create,
    .wants = rec_wants,
    .shard_sink = rec_shard_sink,
    .shard_idle = rec_shard_idle,
    .start = rec_start,
    .stop = rec_stop,
    .stats = rec_fan_stats,
    .free = rec_free,
};
