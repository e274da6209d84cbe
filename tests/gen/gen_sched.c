/* gen_sched.c - the time-ordered scheduler of siphon-gen.
 *
 * Every started call contributes sources - its SIP message list and one RTP
 * array per direction (an orphan stream: one RTP array) - kept in a binary
 * 4-ary min-heap keyed by the time of the source's next packet, ties broken by a
 * sequence number so the output is deterministic.  Calls are started
 * lazily: a call is planned (gen_call_plan), its truth line written and its
 * sources pushed once the heap reaches its start time minus a lead that
 * covers its TCP handshake, so every frame is written in time order.  A
 * call is freed when its last source drains, so memory follows the
 * concurrency, not the number of calls.
 *
 * Call starts: a call holds about 2.7 s of setup plus --duration of media,
 * so with C concurrent calls one starts every hold/C, at a random offset
 * inside its slot.  Orphan streams are spread evenly over the same span.
 */
#include <stdlib.h>
#include <string.h>

#include "gen.h"

#define LEAD_US 200000 /* a call's first frame precedes its INVITE by less */

typedef struct {
    int64_t t;
    uint64_t order;
    gen_call_t *call;
    uint32_t idx;
    uint8_t kind; /* 0 SIP, 1 RTP caller->callee, 2 RTP callee->caller */
} src_t;

typedef struct {
    src_t *a;
    size_t n, cap;
} heap_t;

static bool src_less(const src_t *x, const src_t *y)
{
    return x->t < y->t || (x->t == y->t && x->order < y->order);
}

/* A 4-ary heap: half the levels of a binary one, and the four children of
 * a node share a cache line or two. */
static void heap_sift_down(heap_t *h, size_t i)
{
    src_t x = h->a[i];
    for (;;) {
        size_t c = 4 * i + 1, m = c;
        if (c >= h->n) break;
        size_t end = c + 4 < h->n ? c + 4 : h->n;
        for (size_t k = c + 1; k < end; k++)
            if (src_less(&h->a[k], &h->a[m])) m = k;
        if (!src_less(&h->a[m], &x)) break;
        h->a[i] = h->a[m];
        i = m;
    }
    h->a[i] = x;
}

static void heap_push(heap_t *h, src_t s)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 1024;
        h->a = realloc(h->a, h->cap * sizeof *h->a);
        if (!h->a) {
            fprintf(stderr, "siphon-gen: out of memory\n");
            exit(2);
        }
    }
    size_t i = h->n++;
    h->a[i] = s;
    while (i > 0) {
        size_t p = (i - 1) / 4;
        if (!src_less(&h->a[i], &h->a[p])) break;
        src_t tmp = h->a[i];
        h->a[i] = h->a[p];
        h->a[p] = tmp;
        i = p;
    }
}

static void heap_pop(heap_t *h)
{
    h->a[0] = h->a[--h->n];
    if (h->n) heap_sift_down(h, 0);
}

static int64_t hold_us(const gen_opts_t *o)
{
    return (int64_t)((2.7 + o->duration_s) * 1e6);
}

static int64_t call_start(const gen_opts_t *o, uint32_t i)
{
    int64_t slot = hold_us(o) / (o->concurrency ? o->concurrency : 1);
    if (slot < 1000) slot = 1000;
    uint64_t r = o->seed ^ (0xa5a5a5a5ULL + i);
    return o->start_us + (int64_t)i * slot + (int64_t)(gen_rand(&r) % (uint64_t)slot);
}

static int64_t orphan_start(const gen_opts_t *o, uint32_t k)
{
    int64_t slot = hold_us(o) / (o->concurrency ? o->concurrency : 1);
    if (slot < 1000) slot = 1000;
    int64_t span = (int64_t)o->calls * slot + hold_us(o);
    int64_t each = span / (o->orphans ? o->orphans : 1);
    uint64_t r = o->seed ^ (0x5a5a5a5aULL + k);
    return o->start_us + (int64_t)k * each + (int64_t)(gen_rand(&r) % (uint64_t)(each / 2 + 1));
}

/* ------------------------------------------------------------------------ */
/* Emitting one event of a source                                            */
/* ------------------------------------------------------------------------ */

static char coalesce_buf[1 << 16];

static void sip_endpoints(const gen_call_t *c, bool from_caller, const ip_addr_t **src,
                          uint16_t *sport, const ip_addr_t **dst, uint16_t *dport)
{
    if (from_caller) {
        *src = &c->caller_ip;
        *sport = c->caller_sip_port;
        *dst = &c->callee_ip;
        *dport = c->callee_sip_port;
    } else {
        *src = &c->callee_ip;
        *sport = c->callee_sip_port;
        *dst = &c->caller_ip;
        *dport = c->caller_sip_port;
    }
}

/* Emits SIP message idx (and the next one when coalesced); returns the
 * number of messages consumed. */
static uint32_t emit_sip(gen_pcap_t *w, const gen_opts_t *o, gen_call_t *c, uint32_t idx)
{
    const gen_sip_msg_t *m = &c->msgs[idx];
    const ip_addr_t *src, *dst;
    uint16_t sport, dport;
    sip_endpoints(c, m->from_caller, &src, &sport, &dst, &dport);
    const uint8_t *text = (const uint8_t *)c->text.data + m->off;
    if (!o->tcp) {
        gen_pcap_udp(w, m->t, src, sport, dst, dport, text, m->len, (c->index & 1) != 0);
        return 1;
    }
    int me = m->from_caller ? 0 : 1, peer = 1 - me;
    if (m->flags & SIPM_SYN) {
        gen_pcap_tcp(w, m->t, src, sport, dst, dport, c->tcp_seq[me]++, 0, TCPF_SYN, NULL, 0);
        return 1;
    }
    if (m->flags & SIPM_SYNACK) {
        gen_pcap_tcp(w, m->t, src, sport, dst, dport, c->tcp_seq[me]++, c->tcp_seq[peer],
                     TCPF_SYN | TCPF_ACK, NULL, 0);
        return 1;
    }
    if (m->flags & SIPM_ACK) {
        gen_pcap_tcp(w, m->t, src, sport, dst, dport, c->tcp_seq[me], c->tcp_seq[peer], TCPF_ACK,
                     NULL, 0);
        return 1;
    }
    uint32_t used = 1;
    size_t len = m->len;
    if ((m->flags & SIPM_COALESCE) && idx + 1 < c->nmsgs &&
        c->msgs[idx + 1].from_caller == m->from_caller &&
        (size_t)m->len + c->msgs[idx + 1].len <= sizeof coalesce_buf) {
        const gen_sip_msg_t *n = &c->msgs[idx + 1];
        memcpy(coalesce_buf, text, m->len);
        memcpy(coalesce_buf + m->len, c->text.data + n->off, n->len);
        text = (const uint8_t *)coalesce_buf;
        len += n->len;
        used = 2;
    }
    size_t parts =
        (m->flags & SIPM_SPLIT) ? (strncmp((const char *)text, "SIP", 3) == 0 ? 3 : 2) : 1;
    size_t done = 0;
    for (size_t k = 0; k < parts; k++) {
        size_t n = k + 1 == parts ? len - done : len / parts;
        gen_pcap_tcp(w, m->t, src, sport, dst, dport, c->tcp_seq[me], c->tcp_seq[peer],
                     TCPF_ACK | TCPF_PSH, text + done, n);
        c->tcp_seq[me] += (uint32_t)n;
        done += n;
    }
    return used;
}

static void emit_rtp(gen_pcap_t *w, const gen_opts_t *o, const gen_call_t *c, int d,
                     const gen_rtp_pkt_t *p)
{
    if (c->audio[d]) {
        gen_audio_emit(w, o, c, d, (uint32_t)(p - c->rtp[d]));
        return;
    }
    const gen_rtp_params_t *rp = &c->rtp_params[d];
    uint16_t caller_port = (p->flags & RTP_F_NEWPORT) ? c->caller_rtp2 : c->caller_rtp;
    uint32_t ssrc = (p->flags & RTP_F_SSRC2) ? rp->ssrc2 : rp->ssrc;
    uint8_t pt = gen_codec_info(o->codec)->payload_type;
    uint32_t plen = gen_payload_len(o);
    bool marker = (p->flags & RTP_F_MARKER) != 0;
    if (d == 0)
        gen_pcap_rtp(w, p->t, &c->caller_ip, caller_port, &c->callee_ip, c->callee_rtp, pt, marker,
                     p->seq, p->ts, ssrc, plen);
    else
        gen_pcap_rtp(w, p->t, &c->callee_ip, c->callee_rtp, &c->caller_ip, caller_port, pt, marker,
                     p->seq, p->ts, ssrc, plen);
}

/* ------------------------------------------------------------------------ */
/* The run                                                                   */
/* ------------------------------------------------------------------------ */

int gen_run(const gen_opts_t *o)
{
    gen_pcap_t *w = gen_pcap_open(o->out_path, o);
    if (!w) {
        fprintf(stderr, "siphon-gen: cannot write %s\n", o->out_path);
        return 1;
    }
    gen_truth_t truth;
    if (gen_truth_open(&truth, o->truth_path) != 0) {
        fprintf(stderr, "siphon-gen: cannot write %s\n", o->truth_path);
        gen_pcap_close(w);
        return 1;
    }
    heap_t h = {0};
    uint64_t order = 0;
    uint32_t next_call = 0, next_orphan = 0;
    int64_t t_begin = clock_mono_ns();

    for (;;) {
        int64_t tc = next_call < o->calls ? call_start(o, next_call) : INT64_MAX;
        int64_t to = next_orphan < o->orphans ? orphan_start(o, next_orphan) : INT64_MAX;
        int64_t tl = tc < to ? tc : to;
        if (tl != INT64_MAX && (h.n == 0 || tl - LEAD_US <= h.a[0].t)) {
            gen_call_t *c = malloc(sizeof *c);
            if (!c) {
                fprintf(stderr, "siphon-gen: out of memory\n");
                exit(2);
            }
            if (tc <= to)
                gen_call_plan(c, o, next_call++, tc);
            else
                gen_call_plan(c, o, o->calls + next_orphan++, to);
            gen_truth_call(&truth, o, c);
            if (c->nmsgs) {
                heap_push(&h, (src_t){c->msgs[0].t, order++, c, 0, 0});
                c->live++;
            }
            for (int d = 0; d < 2; d++)
                if (c->nrtp[d]) {
                    heap_push(&h, (src_t){c->rtp[d][0].t, order++, c, 0, (uint8_t)(1 + d)});
                    c->live++;
                }
            if (c->live == 0) {
                gen_call_free(c);
                free(c);
            }
            continue;
        }
        if (h.n == 0) break;
        src_t *s = &h.a[0];
        gen_call_t *c = s->call;
        uint32_t n;
        if (s->kind == 0) {
            s->idx += emit_sip(w, o, c, s->idx);
            n = c->nmsgs;
            if (s->idx < n) s->t = c->msgs[s->idx].t;
        } else {
            int d = s->kind - 1;
            emit_rtp(w, o, c, d, &c->rtp[d][s->idx]);
            s->idx++;
            n = c->nrtp[d];
            if (s->idx < n) s->t = c->rtp[d][s->idx].t;
        }
        if (s->idx < n) {
            s->order = order++;
            heap_sift_down(&h, 0);
        } else {
            heap_pop(&h);
            if (--c->live == 0) {
                gen_call_free(c);
                free(c);
            }
        }
    }
    free(h.a);
    uint64_t frames = gen_pcap_frames(w);
    int rc = 0;
    if (gen_pcap_close(w) != 0) {
        fprintf(stderr, "siphon-gen: write error on %s\n", o->out_path);
        rc = 1;
    }
    if (gen_truth_close(&truth, o, frames) != 0) {
        fprintf(stderr, "siphon-gen: write error on %s\n", o->truth_path);
        rc = 1;
    }
    if (!o->quiet)
        fprintf(stderr, "siphon-gen: %u calls, %u orphan streams, %llu frames in %.2f s\n",
                o->calls, o->orphans, (unsigned long long)frames,
                (double)(clock_mono_ns() - t_begin) / 1e9);
    return rc;
}
