/* gen_call.c - call planning for siphon-gen.
 *
 * Planning: a call's outcome, addresses, tags and its whole timeline are
 * drawn from the call's own random state when the call starts.  Timeline of
 * an answered call (times in us, rtt drawn per call):
 *   [401 challenge: INVITE, 401, ACK, then INVITE with CSeq+1]
 *   INVITE t0; 100 +5..25 ms; 180 +100..400 ms ([--fork] a second 180 with
 *   another To tag); 200 (SDP answer) after 1..4 s of ringing; ACK +rtt.
 *   Media: the callee sends from the 200 + 1 ms, the caller from the ACK
 *   + 1 ms, each duration/ptime packets on an exact ptime grid.
 *   [--reinvite: halfway, the caller re-INVITEs with a new RTP port; both
 *   directions switch to it from the 200 to the re-INVITE]
 *   BYE (caller or callee, alternating by chance) 10..30 ms after the later
 *   direction's last send time; 200 +rtt/2.
 * Failures: busy = 180, 486, ACK; cancelled = 180, CANCEL after 1..3 s,
 * 200 (CANCEL), 487, ACK; rejected = 403/404/503, ACK; unanswered = 180
 * then nothing.
 * Truth times: start = the first INVITE; answer = the 200; end = the BYE for
 * answered calls, the final response otherwise; an unanswered call is open
 * at the end of the capture and ends at its last message.
 */
#include <stdlib.h>
#include <string.h>

#include "gen.h"

const char *gen_outcome_name(gen_outcome_t o)
{
    static const char *names[] = {"answered", "busy",       "cancelled",
                                  "rejected", "unanswered", "orphan"};
    return names[o];
}

static void set_ip(ip_addr_t *a, const gen_opts_t *o, uint8_t net, uint32_t host)
{
    if (o->ipv6) {
        uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, net};
        host++;
        b[12] = (uint8_t)(host >> 24);
        b[13] = (uint8_t)(host >> 16);
        b[14] = (uint8_t)(host >> 8);
        b[15] = (uint8_t)host;
        ip_addr_set_v6(a, b);
    } else {
        /* 10.net.x.y with host + 1 spread over x.y and into the following
         * nets past 65k: callers from 10.16, callees from 10.112 (96 nets,
         * 6.2 M calls each), orphan sources 10.208, destinations 10.232 */
        uint32_t h = host + 1;
        uint8_t b[4] = {10, (uint8_t)(net + (h >> 16)), (uint8_t)(h >> 8), (uint8_t)h};
        ip_addr_set_v4(a, b);
    }
}

static uint16_t rtp_port(uint64_t *rng)
{
    return (uint16_t)(16384 + 2 * gen_range(rng, 0, 16000));
}

static void spec_req(gen_sip_spec_t *s, const char *method, bool by_caller, uint32_t cseq,
                     const char *branch, const char *to_tag)
{
    memset(s, 0, sizeof *s);
    s->request = true;
    s->method = method;
    s->by_caller = by_caller;
    s->cseq = cseq;
    s->branch = branch;
    s->to_tag = to_tag;
}

static void spec_resp(gen_sip_spec_t *s, int code, const char *method, bool by_caller,
                      uint32_t cseq, const char *branch, const char *to_tag)
{
    memset(s, 0, sizeof *s);
    s->code = code;
    s->method = method;
    s->by_caller = by_caller;
    s->cseq = cseq;
    s->branch = branch;
    s->to_tag = to_tag;
}

static int cmp_msg(const void *a, const void *b)
{
    const gen_sip_msg_t *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->off < y->off ? -1 : (x->off > y->off);
}

static void plan_orphan(gen_call_t *c, const gen_opts_t *o, int64_t t0)
{
    const uint32_t k = c->index - o->calls;
    c->outcome = OUT_ORPHAN;
    set_ip(&c->caller_ip, o, 208, k);
    set_ip(&c->callee_ip, o, 232, k);
    c->caller_rtp = rtp_port(&c->rng);
    c->callee_rtp = rtp_port(&c->rng);
    c->t_start = t0;
    gen_rtp_params_t *p = &c->rtp_params[0];
    p->t0 = t0;
    p->npackets = (uint32_t)(o->duration_s * 1000.0 / o->ptime_ms + 0.5);
    p->ssrc = (uint32_t)gen_rand(&c->rng) | 1;
    p->seq0 = o->seq_start >= 0 ? (uint16_t)o->seq_start : (uint16_t)gen_rand(&c->rng);
    p->ts0 = (uint32_t)gen_rand(&c->rng);
    p->switch_time = INT64_MAX;
    c->rtp[0] = gen_rtp_schedule(o, &c->rng, p, &c->nrtp[0]);
    c->nstats[0] = gen_rtp_stats(c->rtp[0], c->nrtp[0], p->ssrc, p->ssrc2, c->stats[0]);
}

void gen_call_plan(gen_call_t *c, const gen_opts_t *o, uint32_t index, int64_t t0)
{
    memset(c, 0, sizeof *c);
    c->index = index;
    c->rng = o->seed * 0x9e3779b97f4a7c15ULL + index * 0xd1b54a32d192ed03ULL + 1;
    gen_rand(&c->rng);
    buf_init(&c->text);
    if (index >= o->calls) {
        plan_orphan(c, o, t0);
        return;
    }
    uint64_t *r = &c->rng;

    /* identities and addresses */
    snprintf(c->caller, sizeof c->caller, "2%09u", (unsigned)gen_range(r, 0, 999999999));
    snprintf(c->callee, sizeof c->callee, "3%09u", (unsigned)gen_range(r, 0, 999999999));
    snprintf(c->from_uri, sizeof c->from_uri, "sip:%s@example.com", c->caller);
    snprintf(c->to_uri, sizeof c->to_uri, "sip:%s@example.net", c->callee);
    char id[33];
    gen_token(r, id, 32);
    snprintf(c->call_id, sizeof c->call_id, "%s-%u@siphon-gen.test", id, index);
    gen_token(r, c->from_tag, 12);
    gen_token(r, c->to_tag, 12);
    gen_token(r, c->to_tag2, 12);
    gen_token(r, c->tag401, 16);
    set_ip(&c->caller_ip, o, 16, index);
    set_ip(&c->callee_ip, o, 112, index);
    c->callee_sip_port = o->sip_port;
    c->caller_sip_port = o->tcp ? (uint16_t)gen_range(r, 32768, 60999) : o->sip_port;
    c->caller_rtp = rtp_port(r);
    c->caller_rtp2 = (uint16_t)(c->caller_rtp + 2);
    c->callee_rtp = rtp_port(r);

    /* outcome */
    double x = (double)gen_range(r, 0, 999999) / 10000.0;
    double acc = o->fail_busy_pct;
    if (x < acc)
        c->outcome = OUT_BUSY;
    else if (x < (acc += o->fail_cancel_pct))
        c->outcome = OUT_CANCELLED;
    else if (x < (acc += o->fail_reject_pct))
        c->outcome = OUT_REJECTED;
    else if (x < (acc += o->fail_noanswer_pct))
        c->outcome = OUT_UNANSWERED;
    else
        c->outcome = OUT_ANSWERED;
    c->challenge = gen_chance(r, o->challenge_pct);
    c->fork = o->fork;
    c->reinvite = o->reinvite && c->outcome == OUT_ANSWERED;
    c->ended_by_caller = gen_rand(r) & 1;

    const int64_t ms = 1000;
    const int64_t rtt = gen_range(r, 5, 40) * ms;
    int64_t t = t0;
    uint32_t cseq = 1;
    char br[8][24];
    for (int i = 0; i < 8; i++) {
        memcpy(br[i], "z9hG4bK", 7);
        gen_token(r, br[i] + 7, 14);
    }
    gen_sip_spec_t s;
    c->t_start = t0;

    /* TCP: the connection opens just before the first INVITE */
    if (o->tcp) {
        c->tcp_seq[0] = (uint32_t)gen_rand(r);
        c->tcp_seq[1] = (uint32_t)gen_rand(r);
        gen_sip_msg_t hs[3] = {{t - rtt - 100, 0, 0, true, SIPM_SYN},
                               {t - rtt / 2 - 100, 0, 0, false, SIPM_SYNACK},
                               {t - 100, 0, 0, true, SIPM_ACK}};
        c->msgs = malloc(16 * sizeof *c->msgs);
        c->cap_msgs = 16;
        memcpy(c->msgs, hs, sizeof hs);
        c->nmsgs = 3;
    }

    if (c->challenge) {
        spec_req(&s, "INVITE", true, cseq, br[0], NULL);
        s.sdp = 1;
        s.sdp_version = 1;
        s.padding = o->fragment;
        gen_sip_add(c, o, t, &s);
        spec_resp(&s, 401, "INVITE", true, cseq, br[0], c->tag401);
        s.challenge = true;
        gen_sip_add(c, o, t + rtt / 2, &s);
        spec_req(&s, "ACK", true, cseq, br[0], c->tag401);
        gen_sip_add(c, o, t + rtt, &s);
        t += rtt + 2 * ms;
        cseq++;
    }
    const char *inv_branch = br[1];
    spec_req(&s, "INVITE", true, cseq, inv_branch, NULL);
    s.sdp = 1;
    s.sdp_version = 1;
    s.padding = o->fragment;
    s.credentials = c->challenge;
    gen_sip_add(c, o, t, &s);
    int64_t t100 = t + gen_range(r, 5, 25) * ms;
    size_t i100 = c->nmsgs;
    spec_resp(&s, 100, "INVITE", true, cseq, inv_branch, NULL);
    gen_sip_add(c, o, t100, &s);
    int64_t t180 = t100 + gen_range(r, 100, 400) * ms;

    switch (c->outcome) {
    case OUT_REJECTED: {
        static const int codes[] = {403, 404, 503};
        c->final_code = codes[gen_range(r, 0, 2)];
        int64_t tf = t100 + gen_range(r, 50, 300) * ms;
        spec_resp(&s, c->final_code, "INVITE", true, cseq, inv_branch, c->to_tag);
        gen_sip_add(c, o, tf, &s);
        spec_req(&s, "ACK", true, cseq, inv_branch, c->to_tag);
        gen_sip_add(c, o, tf + rtt / 2, &s);
        c->t_end = tf;
        break;
    }
    case OUT_BUSY: {
        spec_resp(&s, 180, "INVITE", true, cseq, inv_branch, c->to_tag);
        gen_sip_add(c, o, t180, &s);
        c->final_code = 486;
        int64_t tf = t180 + gen_range(r, 500, 3000) * ms;
        spec_resp(&s, 486, "INVITE", true, cseq, inv_branch, c->to_tag);
        gen_sip_add(c, o, tf, &s);
        spec_req(&s, "ACK", true, cseq, inv_branch, c->to_tag);
        gen_sip_add(c, o, tf + rtt / 2, &s);
        c->t_end = tf;
        break;
    }
    case OUT_CANCELLED: {
        spec_resp(&s, 180, "INVITE", true, cseq, inv_branch, c->to_tag);
        gen_sip_add(c, o, t180, &s);
        c->final_code = 487;
        int64_t tc = t180 + gen_range(r, 1000, 3000) * ms;
        spec_req(&s, "CANCEL", true, cseq, inv_branch, NULL);
        gen_sip_add(c, o, tc, &s);
        spec_resp(&s, 200, "CANCEL", true, cseq, inv_branch, c->to_tag);
        gen_sip_add(c, o, tc + rtt / 2, &s);
        spec_resp(&s, 487, "INVITE", true, cseq, inv_branch, c->to_tag);
        gen_sip_add(c, o, tc + rtt / 2 + ms, &s);
        spec_req(&s, "ACK", true, cseq, inv_branch, c->to_tag);
        gen_sip_add(c, o, tc + rtt + ms, &s);
        c->t_end = tc + rtt / 2 + ms;
        break;
    }
    case OUT_UNANSWERED:
        spec_resp(&s, 180, "INVITE", true, cseq, inv_branch, c->to_tag);
        gen_sip_add(c, o, t180, &s);
        break;
    case OUT_ANSWERED: {
        spec_resp(&s, 180, "INVITE", true, cseq, inv_branch, c->to_tag);
        gen_sip_add(c, o, t180, &s);
        int64_t tring = t180;
        if (c->fork) {
            tring = t180 + gen_range(r, 20, 80) * ms;
            spec_resp(&s, 180, "INVITE", true, cseq, inv_branch, c->to_tag2);
            gen_sip_add(c, o, tring, &s);
        }
        c->final_code = 200;
        int64_t t200 = tring + gen_range(r, 1000, 4000) * ms;
        spec_resp(&s, 200, "INVITE", true, cseq, inv_branch, c->to_tag);
        s.sdp = 2;
        s.sdp_version = 1;
        gen_sip_add(c, o, t200, &s);
        int64_t tack = t200 + rtt;
        spec_req(&s, "ACK", true, cseq, br[2], c->to_tag);
        gen_sip_add(c, o, tack, &s);
        c->t_answer = t200;

        /* media */
        const gen_codec_info_t *ci = gen_codec_info(o->codec);
        const int64_t ptime = (int64_t)o->ptime_ms * ms;
        uint32_t npk = (uint32_t)(o->duration_s * 1000.0 / o->ptime_ms + 0.5);
        int64_t start[2] = {tack + ms, t200 + ms};
        int64_t tswitch = INT64_MAX;
        if (c->reinvite) {
            int64_t tre =
                start[0] + gen_send_offset(o, npk / 2, ptime) + gen_range(r, 1, 19) * 1000 / 2;
            spec_req(&s, "INVITE", true, cseq + 1, br[3], c->to_tag);
            s.sdp = 1;
            s.sdp_version = 2;
            s.new_port = true;
            gen_sip_add(c, o, tre, &s);
            spec_resp(&s, 200, "INVITE", true, cseq + 1, br[3], c->to_tag);
            s.sdp = 2;
            s.sdp_version = 2;
            gen_sip_add(c, o, tre + rtt / 2, &s);
            spec_req(&s, "ACK", true, cseq + 1, br[4], c->to_tag);
            gen_sip_add(c, o, tre + rtt, &s);
            tswitch = tre + rtt / 2;
        }
        for (int d = 0; d < 2; d++) {
            gen_rtp_params_t *p = &c->rtp_params[d];
            p->t0 = start[d];
            p->npackets = npk;
            p->ssrc = (uint32_t)gen_rand(r) | 1;
            p->ssrc2 = (uint32_t)gen_rand(r) | 2;
            if (p->ssrc2 == p->ssrc) p->ssrc2 ^= 0x100;
            p->seq0 = o->seq_start >= 0 ? (uint16_t)o->seq_start : (uint16_t)gen_rand(r);
            p->seq2 = (uint16_t)gen_rand(r);
            p->ts0 = (uint32_t)gen_rand(r);
            p->ts2 = (uint32_t)gen_rand(r);
            p->change_ssrc = o->ssrc_change && d == 0;
            p->switch_time = tswitch;
            c->rtp[d] = gen_rtp_schedule(o, r, p, &c->nrtp[d]);
            if (o->audio) gen_audio_plan(c, o, d);
            c->nstats[d] = gen_rtp_stats(c->rtp[d], c->nrtp[d], p->ssrc, p->ssrc2, c->stats[d]);
        }
        (void)ci;
        int64_t last = start[0] > start[1] ? start[0] : start[1];
        last += gen_send_offset(o, npk ? npk - 1 : 0, ptime);
        int64_t tbye = last + gen_range(r, 10, 30) * ms;
        bool bc = c->ended_by_caller;
        spec_req(&s, "BYE", bc, bc ? cseq + 2 : 1, br[5], c->to_tag);
        gen_sip_add(c, o, tbye, &s);
        spec_resp(&s, 200, "BYE", bc, bc ? cseq + 2 : 1, br[5], c->to_tag);
        gen_sip_add(c, o, tbye + rtt / 2, &s);
        c->t_end = tbye;
        break;
    }
    case OUT_ORPHAN:
        break;
    }

    /* TCP: 100 Trying shares a segment with the callee's next message; the
     * first INVITE and every 200 to an INVITE are split over segments. */
    if (o->tcp) {
        size_t next = i100 + 1;
        while (next < c->nmsgs && c->msgs[next].from_caller)
            next++;
        if (next < c->nmsgs && next == i100 + 1) {
            c->msgs[i100].t = c->msgs[next].t;
            c->msgs[i100].flags |= SIPM_COALESCE;
        }
        for (size_t i = 3; i < c->nmsgs; i++) {
            const char *m = c->text.data + c->msgs[i].off;
            if (strncmp(m, "INVITE", 6) == 0 || strncmp(m, "SIP/2.0 200", 11) == 0)
                c->msgs[i].flags |= SIPM_SPLIT;
        }
    }
    qsort(c->msgs, c->nmsgs, sizeof *c->msgs, cmp_msg);
}

void gen_call_free(gen_call_t *c)
{
    gen_audio_free(c);
    buf_free(&c->text);
    free(c->msgs);
    free(c->rtp[0]);
    free(c->rtp[1]);
    c->msgs = NULL;
    c->rtp[0] = c->rtp[1] = NULL;
}
