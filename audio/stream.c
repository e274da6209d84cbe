/* stream.c - one RTP stream (a side's SSRC): the reorder window, decoding
 * and the stream's place on the call's timeline.
 *
 * Packets are taken in arrival order into a window of reorder_window
 * packets sorted by extended sequence number; the lowest leaves when the
 * window is full (and all at the end), so a stateful decoder sees them in
 * sending order.  A packet older than one already decoded is late
 * (counted, dropped), the same sequence number twice a duplicate.
 *
 * Placement (samples at the stream's rate since the renderer's origin, the
 * first RTP packet of the call): within a stream the RTP timestamp is the
 * sample clock, anchored at the arrival time of the stream's first packet.
 * The stream is re-anchored to arrival time when packets stop for more
 * than 500 ms (a hold, a pause of the sender: its RTP clock may have
 * stopped or jumped) or when the timestamp and the arrival time disagree by
 * more than a second (a timestamp jump); between anchors the stream stays
 * on its own clock, so jitter does not move the audio and sender clock
 * drift only accumulates until the next pause.  A new SSRC is a new stream
 * with its own anchor.
 *
 * Gaps: a missing sequence number is loss and stays silent, except with
 * Opus, whose decoder conceals up to 5 lost packets (100 ms at 20 ms); a
 * G.729 decoder simply takes the next frame (telling it of the lost frames
 * as erasures made the speech after a gap worse on the generated tones:
 * correlation 0.56 instead of 0.68 at 3 % loss); a timestamp
 * gap with consecutive sequence numbers is silence suppression, silent.
 * Comfort noise (CN, G.729B SID) is silence; RFC 4733 events are counted
 * and never decoded as audio.
 */
#include "aud_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define REANCHOR_GAP_NS  (500 * NS_PER_MSEC)
#define REANCHOR_SKEW_NS NS_PER_SEC
#define CONCEAL_MAX      5

aud__stream_t *aud__stream_new(struct aud_renderer *r, aud_side_t side, uint32_t key, uint32_t ssrc)
{
    if (r->nstreams >= r->cfg.max_streams) {
        r->sum.streams_dropped++;
        return NULL;
    }
    aud__stream_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    uint32_t w = r->cfg.reorder_window;
    s->slots = calloc(w + 1, sizeof *s->slots);
    s->pend = calloc(w + 1, sizeof *s->pend);
    s->free = calloc(w + 1, sizeof *s->free);
    if (!s->slots || !s->pend || !s->free) {
        aud__stream_free(s);
        return NULL;
    }
    for (uint32_t i = 0; i <= w; i++)
        s->free[s->nfree++] = &s->slots[i];
    s->info.side = side;
    s->info.ssrc = ssrc;
    s->key = key;
    s->cur_key = -1;
    r->streams[r->nstreams++] = s;
    return s;
}

void aud__stream_free(aud__stream_t *s)
{
    if (!s) return;
    aud__dec_free(s->dec);
    free(s->slots);
    free(s->pend);
    free(s->free);
    if (s->pcm) munmap(s->pcm, s->cap * sizeof *s->pcm);
    free(s->log);
    free(s->bytes);
    free(s);
}

/* The PCM buffer: anonymous memory of its own (zeroed by the kernel, so
 * silence costs nothing), grown with mremap (no copy) and in transparent
 * huge pages where the kernel offers them (madvise mode): minutes of
 * 16 kHz audio are tens of MB, first touched one 4 KiB page fault at a
 * time otherwise (a fifth of an Opus render's CPU on the benchmark VM).
 * cap_* in samples; NULL on failure (old stays valid). */
static int16_t *pcm_grow(int16_t *old, size_t old_cap, size_t new_cap)
{
    size_t page = 4096, bytes = (new_cap * sizeof(int16_t) + page - 1) & ~(page - 1);
    size_t old_bytes = (old_cap * sizeof(int16_t) + page - 1) & ~(page - 1);
    void *p = old ? mremap(old, old_bytes, bytes, MREMAP_MAYMOVE)
                  : mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE); /* a hint: ignored where THP is off */
#endif
    return p;
}

/* Writes n samples at pos (stream rate, since the origin). */
static void put_pcm(const struct aud_renderer *r, aud__stream_t *s, int64_t pos, const int16_t *x,
                    int n)
{
    if (n <= 0) return;
    if (pos < 0) {
        if (-pos >= n) return;
        x += -pos;
        n -= (int)-pos;
        pos = 0;
    }
    if (!s->has_base) {
        s->base = pos;
        s->has_base = true;
    }
    if (pos < s->base) {
        int64_t cut = s->base - pos;
        if (cut >= n) return;
        x += cut;
        n -= (int)cut;
        pos = s->base;
    }
    /* the file never runs past max_seconds from the call's first packet,
     * however far a hostile capture's timestamps jump */
    size_t at = (size_t)(pos - s->base);
    size_t max = (size_t)r->cfg.max_seconds * s->rate;
    if ((size_t)pos + (size_t)n > max) {
        size_t keep = (size_t)pos < max ? max - (size_t)pos : 0;
        s->samples_cut += (size_t)n - keep;
        n = (int)keep;
        if (n == 0) return;
    }
    size_t end = at + (size_t)n;
    if (end > s->cap) {
        /* the first mapping is the log's estimate; growth doubles */
        size_t cap = s->cap ? s->cap * 2 : s->len_hint + 16000;
        while (cap < end)
            cap *= 2;
        if (cap > max - (size_t)s->base) cap = max - (size_t)s->base;
        int16_t *p = pcm_grow(s->pcm, s->cap, cap);
        if (!p) return;
        s->pcm = p;
        s->cap = cap;
    }
    memcpy(s->pcm + at, x, (size_t)n * sizeof *x);
    if (end > s->len) s->len = end;
}

/* Converts n samples at rate from to the stream's rate (8 <-> 16 kHz:
 * linear interpolation up, every other sample down) in place in s->scratch
 * (which has room: AUD__MAX_SAMPLES). */
static int convert_rate(const struct aud_renderer *r, int16_t *x, int n, uint32_t from, uint32_t to)
{
    if (from == to || n <= 0) return n;
    if (from * 2 == to) {
        if (n > AUD__MAX_SAMPLES / 2) n = AUD__MAX_SAMPLES / 2;
        for (int i = n - 1; i >= 0; i--) {
            int16_t a = x[i], b = i + 1 < n ? x[i + 1] : x[i];
            x[2 * i] = a;
            x[2 * i + 1] = (int16_t)(((int)a + b) / 2);
        }
        return 2 * n;
    }
    if (from == to * 2) {
        for (int i = 0; i < n / 2; i++)
            x[i] = x[2 * i];
        return n / 2;
    }
    (void)r;
    return -1;
}

static int64_t ns_to_samples(int64_t ns, uint32_t rate)
{
    return (int64_t)((__int128)ns * rate / NS_PER_SEC);
}

/* Decodes one packet in sequence order and places it. */
static void decode_one(const struct aud_renderer *r, aud__stream_t *s, const aud__logent_t *p)
{
    /* a gap only forward: a packet at or before the last one out (a second
     * recording of the same SSRC under one Call-ID) is no loss */
    uint64_t gap =
        s->released_any && p->ext_seq > s->last_out_ext ? p->ext_seq - s->last_out_ext - 1 : 0;
    s->released_any = true;
    s->last_out_ext = p->ext_seq;
    s->info.lost += gap;

    aud__codec_t c;
    aud__lookup_pt(r, s, p->pt, &c);
    if (c.id == AUD__C_DTMF) {
        s->info.dtmf++;
        return;
    }
    if (c.id == AUD__C_CN) {
        s->info.comfort_noise++;
        return;
    }
    if (c.id == AUD__C_UNKNOWN) {
        s->info.undecodable++;
        if (!s->info.rate) memcpy(s->info.codec, c.name, sizeof s->info.codec);
        return;
    }
    /* the stream's rate is set by its first voice codec */
    if (!s->rate) s->rate = c.rate;
    if (!s->dec || s->codec.id != c.id || s->codec.g726_bits != c.g726_bits ||
        s->codec.g726_aal2 != c.g726_aal2) {
        aud__dec_free(s->dec);
        s->dec = aud__dec_new(&c, s->rate);
        s->codec = c;
        s->last_frame = 0;
        if (!s->dec) {
            s->info.undecodable++;
            return;
        }
    }
    memcpy(s->info.codec, c.name, sizeof s->info.codec);
    s->info.rate = s->rate;

    /* timeline */
    int64_t arrival = p->ts_ns - r->origin_ns;
    int64_t arr_pos = ns_to_samples(arrival, s->rate);
    if (!s->anchored) {
        s->anchored = true;
        s->ext_ts = p->rtp_ts;
        s->anchor_ts = s->ext_ts;
        s->anchor_pos = arr_pos;
    } else {
        s->ext_ts += (int32_t)(p->rtp_ts - s->last_ts);
        int64_t ts_pos =
            s->anchor_pos + (int64_t)((__int128)(s->ext_ts - s->anchor_ts) * s->rate / c.clock);
        int64_t skew = ts_pos - arr_pos;
        if (skew < 0) skew = -skew;
        if (p->ts_ns - s->last_arrival > REANCHOR_GAP_NS ||
            skew > ns_to_samples(REANCHOR_SKEW_NS, s->rate)) {
            s->anchor_ts = s->ext_ts;
            s->anchor_pos = arr_pos;
        }
    }
    s->last_ts = p->rtp_ts;
    s->last_arrival = p->ts_ns;
    int64_t pos =
        s->anchor_pos + (int64_t)((__int128)(s->ext_ts - s->anchor_ts) * s->rate / c.clock);

    /* Opus conceals a short loss: the missing packets end where this one
     * starts */
    if (gap > 0 && gap <= CONCEAL_MAX && c.id == AUD__C_OPUS && s->last_frame > 0) {
        int64_t at = pos - (int64_t)gap * s->last_frame;
        for (uint64_t i = 0; i < gap; i++) {
            int k = aud__dec_conceal(s->dec, s->last_frame, s->scratch);
            if (k > 0) put_pcm(r, s, at, s->scratch, k);
            at += s->last_frame;
        }
    }
    bool sid = false;
    int n = aud__dec_decode(s->dec, s->bytes + p->off, p->len, s->scratch, &sid);
    if (n < 0) {
        s->info.undecodable++;
        return;
    }
    if (sid) {
        s->info.comfort_noise++;
        return;
    }
    uint32_t dec_rate = c.id == AUD__C_OPUS ? s->rate : c.rate;
    s->last_frame = n;
    n = convert_rate(r, s->scratch, n, dec_rate, s->rate);
    if (n < 0) {
        s->info.undecodable++;
        return;
    }
    put_pcm(r, s, pos, s->scratch, n);
    s->info.decoded++;
}

/* Keeps a packet that left the reorder window, in sequence order, for
 * aud__stream_decode. */
static void release(struct aud_renderer *r, aud__stream_t *s, const aud__pkt_t *p)
{
    if (s->nlog >= (size_t)r->cfg.max_seconds * AUD__MAX_PPS ||
        s->nbytes + p->len > (size_t)r->cfg.max_seconds * AUD__MAX_BPS) {
        s->packets_cut++;
        return;
    }
    if (s->nlog == s->caplog) {
        size_t cap = s->caplog ? s->caplog * 2 : 1024;
        aud__logent_t *l = realloc(s->log, cap * sizeof *l);
        if (!l) {
            s->packets_cut++;
            return;
        }
        s->log = l;
        s->caplog = cap;
    }
    if (!s->bytes || s->nbytes + p->len > s->capbytes) { /* allocated even for an empty payload */
        size_t cap = s->capbytes ? s->capbytes * 2 : 65536;
        while (cap < s->nbytes + p->len)
            cap *= 2;
        uint8_t *b = realloc(s->bytes, cap);
        if (!b) {
            s->packets_cut++;
            return;
        }
        s->bytes = b;
        s->capbytes = cap;
    }
    memcpy(s->bytes + s->nbytes, p->data, p->len);
    s->log[s->nlog++] = (aud__logent_t){.ts_ns = p->ts_ns,
                                        .ext_seq = p->ext_seq,
                                        .rtp_ts = p->rtp_ts,
                                        .off = s->nbytes,
                                        .len = p->len,
                                        .pt = p->pt};
    s->nbytes += p->len;
}

void aud__stream_push(struct aud_renderer *r, aud__stream_t *s, int64_t ts_ns, const uint8_t *rtp,
                      size_t len)
{
    if (len < 12) return;
    uint16_t seq = (uint16_t)(rtp[2] << 8 | rtp[3]);
    uint64_t ext;
    if (!s->have_seq) {
        s->have_seq = true;
        s->max_seq = seq;
        s->max_ext = ext = (1ULL << 32) + seq; /* room below for late packets */
    } else {
        int16_t d = (int16_t)(seq - s->max_seq);
        ext = s->max_ext + (int64_t)d;
        if (d > 0) {
            s->max_ext = ext;
            s->max_seq = seq;
        }
    }
    s->info.packets++;
    if (s->info.packets == 1) s->info.first_ns = ts_ns;
    if (s->released_any && ext <= s->last_out_ext) {
        if (ext == s->last_out_ext)
            s->info.duplicates++;
        else
            s->info.late++;
        return;
    }
    /* header fields and payload (CSRCs, extension, padding removed) */
    size_t hl = 12 + 4u * (rtp[0] & 15);
    if (hl > len) return;
    if (rtp[0] & 0x10) {
        if (hl + 4 > len) return;
        hl += 4 + 4u * (size_t)(rtp[hl + 2] << 8 | rtp[hl + 3]);
        if (hl > len) return;
    }
    size_t pl = len - hl;
    if ((rtp[0] & 0x20) && pl > 0) {
        uint8_t pad = rtp[len - 1];
        if (pad > pl) return;
        pl -= pad;
    }
    if (pl > AUD__MAX_PAYLOAD) pl = AUD__MAX_PAYLOAD;
    /* insertion point (from the end: packets mostly come in order) */
    uint32_t at = s->npend;
    while (at > 0 && s->pend[at - 1]->ext_seq > ext)
        at--;
    if (at > 0 && s->pend[at - 1]->ext_seq == ext) {
        s->info.duplicates++;
        return;
    }
    aud__pkt_t *p = s->free[--s->nfree];
    p->ts_ns = ts_ns;
    p->ext_seq = ext;
    p->rtp_ts = (uint32_t)rtp[4] << 24 | (uint32_t)rtp[5] << 16 | (uint32_t)rtp[6] << 8 | rtp[7];
    p->pt = rtp[1] & 0x7f;
    p->marker = (rtp[1] & 0x80) != 0;
    p->len = (uint16_t)pl;
    memcpy(p->data, rtp + hl, pl);
    memmove(s->pend + at + 1, s->pend + at, (s->npend - at) * sizeof *s->pend);
    s->pend[at] = p;
    s->npend++;
    if (s->npend > r->cfg.reorder_window) {
        aud__pkt_t *q = s->pend[0];
        memmove(s->pend, s->pend + 1, (s->npend - 1) * sizeof *s->pend);
        s->npend--;
        release(r, s, q);
        s->free[s->nfree++] = q;
    }
}

void aud__stream_flush(struct aud_renderer *r, aud__stream_t *s)
{
    for (uint32_t i = 0; i < s->npend; i++) {
        release(r, s, s->pend[i]);
        s->free[s->nfree++] = s->pend[i];
    }
    s->npend = 0;
}

void aud__stream_decode(const struct aud_renderer *r, aud__stream_t *s)
{
    /* the stream's length, were its packets at 16 kHz from first to last
     * arrival (the PCM buffer's first size) */
    if (s->nlog > 1) {
        int64_t span = s->log[s->nlog - 1].ts_ns - s->log[0].ts_ns;
        if (span > 0 && span < (int64_t)r->cfg.max_seconds * NS_PER_SEC)
            s->len_hint = (size_t)ns_to_samples(span, 16000);
    }
    for (size_t i = 0; i < s->nlog; i++)
        decode_one(r, s, &s->log[i]);
    free(s->log);
    free(s->bytes);
    s->log = NULL;
    s->bytes = NULL;
    s->nlog = s->caplog = s->nbytes = s->capbytes = 0;
    s->info.start_s = s->rate && s->has_base ? (double)s->base / s->rate : 0;
    s->info.seconds = s->rate ? (double)s->len / s->rate : 0;
}
