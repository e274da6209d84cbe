/* gen_rtp.c - RTP packet schedules with impairments, and the statistics a
 * receiver computes from them (the truth for siphon and tshark).
 *
 * A direction of a call is one array of packets in arrival order, built in
 * four passes:
 *   1. the send schedule: packet k leaves at t0 + k * ptime exactly (with
 *      --drift-ppm D, k * ptime of a sender clock running D ppm fast:
 *      k * ptime / (1 + D 1e-6) of real time, rounded to the us), with
 *      seq0 + k and ts0 + k * samples (RFC 3551: 8000 Hz for G.711, G.729
 *      and G.722), the marker bit on the first packet (and on the first of
 *      the second SSRC with --ssrc-change), minus the packets lost
 *      (independent loss, or a Gilbert-Elliott chain: p = P(good -> bad),
 *      r = P(bad -> good), every packet sent in the bad state is lost);
 *   2. arrival = send + uniform [0, jitter] delay, then a stable sort by
 *      arrival (large jitter reorders);
 *   3. duplicates: a copy arrives after its original (sorted in): 1..2000 us
 *      later over IPv4, 5..7 ms later over IPv6 (see below);
 *   4. --reorder: adjacent packets swap contents (their times stay, so the
 *      array remains sorted by time).
 * The statistics pass then reads the array exactly as a receiver would.
 *
 * Duplicates are network duplicates (the endpoint or a path element sent the
 * packet twice), which RTP statistics must count, never capture duplicates
 * (one packet captured twice), which siphon's capture layer drops (capture/
 * dedup.c: an IP packet identical but for TTL/hop limit and checksum within
 * 2 ms, on by default).  So a generated duplicate must be told apart from a
 * capture copy the way a real one would be:
 *   - IPv4: the copy is written as a new packet (gen_pcap.c gives every IP
 *     header the next IP ID), as a resending stack does, so it arrives
 *     1..2000 us later and still differs;
 *   - IPv6 has no ID: the copy would be byte-identical, so it arrives
 *     5..7 ms later, outside the 2 ms window (a network duplicate that
 *     takes another path or a retry is that late; one within 2 ms is
 *     indistinguishable from a capture copy and counted as one).
 * The draw count is the same either way, so the schedule of an IPv4
 * capture does not depend on this choice.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

static const gen_codec_info_t codecs[] = {
    [CODEC_PCMU] = {CODEC_PCMU, 0, "PCMU", 8000, 8, 80},
    [CODEC_PCMA] = {CODEC_PCMA, 8, "PCMA", 8000, 8, 80},
    [CODEC_G729] = {CODEC_G729, 18, "G729", 8000, 8, 10},
    /* G.722: 16 kHz audio but an 8000 Hz RTP clock (RFC 3551 4.5.2) */
    [CODEC_G722] = {CODEC_G722, 9, "G722", 8000, 8, 80},
    /* with --audio the payloads are real and their sizes the encoder's */
    [CODEC_OPUS] = {CODEC_OPUS, 111, "opus", 48000, 48, 30},
    [CODEC_G726] = {CODEC_G726, 112, "G726-32", 8000, 8, 40},
    [CODEC_GSM] = {CODEC_GSM, 3, "GSM", 8000, 8, 17},
};

const gen_codec_info_t *gen_codec_info(gen_codec_t c)
{
    return &codecs[c];
}

uint32_t gen_payload_len(const gen_opts_t *o)
{
    return codecs[o->codec].payload_bytes_ms * o->ptime_ms / 10;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "siphon-gen: out of memory\n");
        exit(2);
    }
    return q;
}

static int cmp_pkt(const void *a, const void *b)
{
    const gen_rtp_pkt_t *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    /* stable: pad holds nothing, so break ties on the original order kept
     * in seq/ts relation; the caller sorts (t, index) pairs instead */
    return 0;
}

typedef struct {
    int64_t t;
    uint32_t i;
} sort_key_t;

static int cmp_key(const void *a, const void *b)
{
    const sort_key_t *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->i < y->i ? -1 : (x->i > y->i);
}

static void sort_stable(gen_rtp_pkt_t *p, uint32_t n)
{
    bool sorted = true;
    for (uint32_t i = 1; i < n && sorted; i++)
        sorted = cmp_pkt(&p[i - 1], &p[i]) <= 0;
    if (sorted) return;
    sort_key_t *k = xrealloc(NULL, n * sizeof *k);
    gen_rtp_pkt_t *tmp = xrealloc(NULL, n * sizeof *tmp);
    for (uint32_t i = 0; i < n; i++)
        k[i] = (sort_key_t){p[i].t, i};
    qsort(k, n, sizeof *k, cmp_key);
    for (uint32_t i = 0; i < n; i++)
        tmp[i] = p[k[i].i];
    memcpy(p, tmp, n * sizeof *p);
    free(tmp);
    free(k);
}

int64_t gen_send_offset(const gen_opts_t *o, uint32_t k, int64_t ptime_us)
{
    if (o->drift_ppm == 0) return (int64_t)k * ptime_us;
    return llround((double)k * (double)ptime_us / (1.0 + o->drift_ppm * 1e-6));
}

gen_rtp_pkt_t *gen_rtp_schedule(const gen_opts_t *o, uint64_t *rng, const gen_rtp_params_t *p,
                                uint32_t *n_out)
{
    const gen_codec_info_t *ci = gen_codec_info(o->codec);
    const int64_t ptime_us = (int64_t)o->ptime_ms * 1000;
    const uint32_t spp = ci->samples_per_ms * o->ptime_ms;
    uint32_t cap = p->npackets + p->npackets / 8 + 16;
    gen_rtp_pkt_t *a = xrealloc(NULL, cap * sizeof *a);
    uint32_t n = 0;
    const uint32_t half = p->npackets / 2;
    bool bad = false;

    /* 1. send schedule minus loss */
    for (uint32_t k = 0; k < p->npackets; k++) {
        bool lost;
        if (o->burst) {
            if (bad)
                bad = !gen_chance(rng, o->burst_r_pct);
            else
                bad = gen_chance(rng, o->burst_p_pct);
            lost = bad;
        } else {
            lost = gen_chance(rng, o->loss_pct);
        }
        if (lost) continue;
        gen_rtp_pkt_t *q = &a[n++];
        q->t = p->t0 + gen_send_offset(o, k, ptime_us);
        q->flags = 0;
        q->pad = 0;
        if (p->change_ssrc && k >= half) {
            q->seq = (uint16_t)(p->seq2 + (k - half));
            q->ts = p->ts2 + (k - half) * spp;
            q->flags |= RTP_F_SSRC2;
            if (k == half) q->flags |= RTP_F_MARKER;
        } else {
            q->seq = (uint16_t)(p->seq0 + k);
            q->ts = p->ts0 + k * spp;
            if (k == 0) q->flags |= RTP_F_MARKER;
        }
        if (q->t >= p->switch_time) q->flags |= RTP_F_NEWPORT;
    }

    /* 2. jitter */
    if (o->jitter_ms > 0) {
        int64_t jmax = (int64_t)(o->jitter_ms * 1000.0);
        for (uint32_t i = 0; i < n; i++)
            a[i].t += gen_range(rng, 0, jmax);
        sort_stable(a, n);
    }

    /* 3. duplicates */
    if (o->duplicate_pct > 0) {
        uint32_t orig = n;
        bool any = false;
        for (uint32_t i = 0; i < orig; i++) {
            if (!gen_chance(rng, o->duplicate_pct)) continue;
            if (n == cap) {
                cap *= 2;
                a = xrealloc(a, cap * sizeof *a);
            }
            a[n] = a[i];
            a[n].t += o->ipv6 ? gen_range(rng, 5000, 7000) : gen_range(rng, 1, 2000);
            a[n].flags |= RTP_F_DUP;
            n++;
            any = true;
        }
        if (any) sort_stable(a, n);
    }

    /* 4. adjacent swaps */
    if (o->reorder_pct > 0) {
        for (uint32_t i = 0; i + 1 < n; i++) {
            if (!gen_chance(rng, o->reorder_pct)) continue;
            gen_rtp_pkt_t x = a[i], y = a[i + 1];
            a[i] = y;
            a[i].t = x.t;
            a[i + 1] = x;
            a[i + 1].t = y.t;
            i++;
        }
    }
    *n_out = n;
    return a;
}

/* One packet into the RFC 3550 A.1-style counters (no probation, base at the
 * first packet; a jump of more than MAX_DROPOUT is not generated here). */
static void stats_add(gen_stream_stats_t *s, const gen_rtp_pkt_t *q)
{
    if (s->packets == 0) {
        s->first_ext = s->max_ext = s->last_ext = q->seq;
        s->max_seq = q->seq;
        s->first_t = q->t;
    } else {
        uint16_t udelta = (uint16_t)(q->seq - s->max_seq);
        if (udelta < 3000) {
            if (q->seq < s->max_seq) s->cycles += 65536;
            s->max_seq = q->seq;
            s->max_ext = s->cycles + q->seq;
            s->last_ext = s->max_ext;
        } else {
            /* late or duplicate: extend relative to the highest */
            s->last_ext = s->max_ext + (int16_t)(q->seq - s->max_seq);
        }
    }
    s->last_t = q->t;
    s->packets++;
    if (q->flags & RTP_F_DUP) s->duplicates++;
}

int gen_rtp_stats(const gen_rtp_pkt_t *p, uint32_t n, uint32_t ssrc, uint32_t ssrc2,
                  gen_stream_stats_t out[4])
{
    int ng = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t s = (p[i].flags & RTP_F_SSRC2) ? ssrc2 : ssrc;
        bool np = (p[i].flags & RTP_F_NEWPORT) != 0;
        int g;
        for (g = 0; g < ng; g++)
            if (out[g].ssrc == s && out[g].newport == np) break;
        if (g == ng) {
            memset(&out[g], 0, sizeof out[g]);
            out[g].ssrc = s;
            out[g].newport = np;
            ng++;
        }
        stats_add(&out[g], &p[i]);
    }
    for (int g = 0; g < ng; g++) {
        gen_stream_stats_t *s = &out[g];
        int64_t expected = s->max_ext - s->first_ext + 1;
        s->lost = expected - (int64_t)s->packets;
        s->lost_wireshark = (s->last_ext - s->first_ext + 1) - (int64_t)s->packets;
    }
    return ng;
}
