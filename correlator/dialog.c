/* dialog.c - calls rebuilt from SIP (RFC 3261 dialogs and INVITE
 * transactions, RFC 3262 PRACK, RFC 3311 UPDATE, RFC 3326 Reason).
 *
 * A call is everything that shares a Call-ID.  It is created by an INVITE
 * request, or by a response to an INVITE when the capture started too late
 * to see the request (then its endpoints are the response's, reversed).
 * Other methods never create a call: REGISTER and OPTIONS are counted
 * (registers, options), MESSAGE/SUBSCRIBE/NOTIFY/PUBLISH/INFO/REFER outside
 * a call in other_transactions, and a stray BYE/ACK/CANCEL only in the SIP
 * counters.
 *
 * State rules (corr_call_t.state):
 *  - INVITE transactions are told apart by CSeq.  The same CSeq again is a
 *    retransmission or the same request seen at another hop (a proxy), not
 *    a new invite; a higher CSeq without To tag is a new attempt (retry after
 *    401/407, or after a failure): invites++, and the call continues.
 *  - 401/407: challenges++ (once per CSeq); not the outcome.  The call
 *    waits CORR_CHALLENGE_WAIT_NS (64 s: retries typed by a human take
 *    tens of seconds) for the retry; if none comes it is emitted as
 *    rejected with that code.
 *  - 180/183: ringing_ts (first).  The current INVITE transaction keeps its
 *    request's time (invite_ts) and its first provisional response other
 *    than 100 (progress_ts): setup and post-dial delay are measured from
 *    the attempt that decided the call, not from a challenged first one.
 *    Every distinct To tag in a 1xx/2xx to the
 *    INVITE is an early dialog (forking); the first 2xx wins: answered,
 *    answer_ts, final_code, to_tag.  Later 2xx (retransmissions, other
 *    forks) change nothing.
 *  - 486/600 busy, 487 cancelled (ended_by caller), other 3xx-6xx rejected
 *    (ended_by callee).  The first final failure wins; it is ignored once a
 *    2xx was seen.
 *  - CANCEL before a 2xx: cancelled, ended_by caller (a 2xx that crosses the
 *    CANCEL still makes the call answered); a failure response after the
 *    CANCEL (487, or 408/480/486 from a UAS that never saw the CANCEL) keeps
 *    it cancelled, with that response as final_code.
 *  - BYE: end_ts, ended_by = caller when its From tag is the caller's (the
 *    From tag of the first INVITE), else callee.  A BYE on a call whose 2xx
 *    was not captured marks it answered with answer_ts 0 and final_code 0.
 *  - re-INVITE (INVITE with a To tag) and UPDATE/PRACK/ACK/183 with SDP
 *    update the media table; reinvites counts re-INVITE transactions and
 *    UPDATEs carrying SDP.
 *  - reason: Reason header of the BYE/CANCEL/final response, else the final
 *    response's reason phrase.
 * After a BYE or a final failure (or CANCEL) the call lingers call_linger_ns
 * of packet time to absorb the 200 to BYE, ACK, retransmissions and trailing
 * RTP, then it is emitted (correlator.c runs the queues).
 */
#include "correlator_internal.h"

#include <stdio.h>

void corr__copy_sv(char *dst, size_t n, sv_t v)
{
    sv_copy_cstr(v, dst, n);
}

static uint64_t cid_hash(const corr_t *c, sv_t cid)
{
    return hash_bytes(cid.p, cid.len, c->seed);
}

static bool call_eq(const void *ctx, uint32_t idx, const void *key)
{
    const corr__call_t *k = &((const corr_t *)ctx)->calls[idx];
    const sv_t *cid = key;
    if (k->cid_len != cid->len) return false;
    size_t n = cid->len < CORR_STR_MAX - 1 ? cid->len : CORR_STR_MAX - 1;
    return memcmp(corr__call_str(ctx, k, CS_CALL_ID), cid->p, n) == 0;
}

uint32_t corr__call_find(const corr_t *c, sv_t call_id)
{
    return tbl_itab_find(&c->call_pool.tab, cid_hash(c, call_id), call_eq, c, &call_id);
}

/* Compares a copied (possibly cut) tag with a tag in the packet. */
static bool tag_eq(const char *copy, sv_t tag)
{
    size_t n = tag.len < CORR_STR_MAX - 1 ? tag.len : CORR_STR_MAX - 1;
    return sv_eq(sv_from_cstr(copy), sv_make(tag.p, n));
}

/* RTP packets do not touch their call (that was a cache miss per packet);
 * a call's activity is brought up to date from its streams' last packets
 * where it matters: idle expiry, eviction and emission.  When its streams
 * were more recent, the call moves to its place in the LRU, which stays
 * ordered by lru_ns (a stream's packet time may lie behind the correlator
 * clock other calls were touched at), and true is returned. */
bool corr__call_refresh_activity(corr_t *c, uint32_t ci)
{
    corr__call_t *k = &c->calls[ci];
    int64_t last = k->last_activity_ns;
    for (uint32_t si = k->st_head; si != CORR_NIL; si = c->streams[si].owner_next)
        if (c->streams[si].stats.last_ts_ns > last) last = c->streams[si].stats.last_ts_ns;
    if (last <= k->last_activity_ns) return false;
    k->last_activity_ns = last;
    corr__call_lru_place(c, ci, last);
    return true;
}

void corr__call_touch(corr_t *c, uint32_t ci, int64_t ts)
{
    corr__call_t *k = &c->calls[ci];
    if (ts > k->last_activity_ns) k->last_activity_ns = ts;
    if (ts_sub_sat(k->last_activity_ns, k->lru_ns) >= CORR_LRU_GRAIN_NS) {
        k->lru_ns = k->last_activity_ns;
        tbl_dlist_touch(&c->call_pool.lru, ci);
    }
}

static tbl_dlist_t *end_queue(corr_t *c, const corr__call_t *k)
{
    return k->end_challenge ? &c->challenge_wait : &c->linger;
}

static void call_unend(corr_t *c, uint32_t ci)
{
    corr__call_t *k = &c->calls[ci];
    if (!k->ended) return;
    k->ended = false;
    tbl_dlist_unlink(end_queue(c, k), ci);
}

/* Puts the call in its end queue: the linger queue (deadline from the first
 * end event), or the challenge queue when the last final answer was
 * 401/407.  Each queue has one delay, so its tail is always due first. */
static void call_end(corr_t *c, uint32_t ci, int64_t ts)
{
    corr__call_t *k = &c->calls[ci];
    if (k->ended) return;
    k->ended = true;
    k->end_challenge = k->challenged;
    /* on the correlator clock (never behind ts): each queue stays in
     * deadline order whatever the packet times do */
    int64_t at = ts > c->now_ns ? ts : c->now_ns;
    k->linger_deadline_ns =
        ts_add_sat(at, k->challenged ? CORR_CHALLENGE_WAIT_NS : c->cfg.call_linger_ns);
    tbl_dlist_push_head(end_queue(c, k), ci);
}

/* Final state at emission time (see the rules in the file comment). */
static void call_finish_state(corr__call_t *k)
{
    corr__call_rec_t *r = &k->rec;
    if (k->answered) {
        r->state = CORR_CALL_ANSWERED;
    } else if (r->final_code >= 300) {
        /* state set when the failure arrived */
    } else if (k->cancel_seen) {
        r->state = CORR_CALL_CANCELLED;
        r->ended_by = CORR_ENDED_BY_CALLER;
    } else if (k->challenged) {
        r->state = CORR_CALL_REJECTED;
        r->final_code = k->challenge_407 ? 407 : 401;
        r->ended_by = CORR_ENDED_BY_CALLEE;
    } else {
        r->state = CORR_CALL_UNANSWERED;
    }
    if (r->end_ts_ns == 0) r->end_ts_ns = k->last_activity_ns;
}

/* The public record of call ci, built in the scratch record from the live
 * call's compact state (strings from its blob, DTMF, flags, reports). */
static corr_call_t *call_record(corr_t *c, uint32_t ci, bool open_at_end, bool timed_out)
{
    corr__call_t *k = &c->calls[ci];
    const corr__call_rec_t *l = &k->rec;
    corr_call_t *r = c->emit_call;
    memset(r, 0, sizeof *r);
    static const size_t str_off[CS_COUNT] = {
        offsetof(corr_call_t, call_id), offsetof(corr_call_t, from_uri),
        offsetof(corr_call_t, to_uri),  offsetof(corr_call_t, caller),
        offsetof(corr_call_t, callee),  offsetof(corr_call_t, from_tag),
        offsetof(corr_call_t, to_tag),  offsetof(corr_call_t, user_agent),
        offsetof(corr_call_t, reason)};
    for (int i = 0; i < CS_COUNT; i++)
        snprintf((char *)r + str_off[i], CORR_STR_MAX, "%s", corr__call_str(c, k, i));
    r->call_key = k->key;
    r->src = l->src;
    r->dst = l->dst;
    r->transport = (transport_t)l->transport;
    r->state = (corr_call_state_t)l->state;
    r->final_code = l->final_code;
    r->start_ts_ns = l->start_ts_ns;
    r->answer_ts_ns = l->answer_ts_ns;
    r->end_ts_ns = l->end_ts_ns;
    r->ringing_ts_ns = l->ringing_ts_ns;
    if (l->invite_off_us != CORR__CALL_OFF_NONE) {
        r->invite_ts_ns = l->start_ts_ns + (int64_t)l->invite_off_us * 1000;
        if (l->progress_off_us != CORR__CALL_OFF_NONE)
            r->progress_ts_ns = r->invite_ts_ns + (int64_t)l->progress_off_us * 1000;
    }
    r->ended_by = (corr_ended_by_t)l->ended_by;
    r->open_at_end = open_at_end;
    r->timed_out = timed_out;
    r->sip_messages = l->sip_messages;
    r->invites = l->invites;
    r->reinvites = l->reinvites;
    r->challenges = l->challenges;
    r->early_dialogs = k->ntags;
    r->rtcp_packets = l->rtcp_packets;
    r->holds = l->holds;
    r->evicted = l->evicted;
    r->t38_caller = k->t38_caller;
    r->t38_callee = k->t38_callee;
    corr__vq_collect(c, k, r);

    uint32_t n = 0;
    for (uint32_t si = k->st_head; si != CORR_NIL && n < c->cfg.max_streams_per_call;
         si = c->streams[si].owner_next) {
        corr__stream_to_record(c, &c->streams[si], r->call_id, &c->emit_buf[n++]);
        c->streams[si].written = true;
    }
    c->stats.call_streams += n;
    r->stream_count = n;
    r->streams = c->emit_buf;
    corr__events_final_intervals(c, c->emit_buf, n); /* the streams' last intervals */
    corr__call_flags_emit(c, ci, r);                 /* DTMF list and problem flags */
    corr__stream_call_quality(c->emit_buf, r);       /* after the flags: one-way audio */
    return r;
}

void corr__call_emit(corr_t *c, uint32_t ci, bool open_at_end, bool timed_out)
{
    corr__call_refresh_activity(c, ci);
    corr__call_t *k = &c->calls[ci];
    call_finish_state(k);
    corr_call_t *r = call_record(c, ci, open_at_end, timed_out);
    if (c->sink.on_call) c->sink.on_call(c->sink.user, r);
    r->streams = NULL;

    while (k->st_head != CORR_NIL)
        corr__stream_release(c, k->st_head);
    corr__media_release_call(c, ci);
    call_unend(c, ci);
    corr__dtmf_list_free(c, &k->x.info);
    corr__cstr_release(c, k->str);
    k->str = CORR_NIL;
    tbl_pool_put(&c->call_pool, ci, k->hash);
    k->used = false;
}

static void copy_party(corr_t *c, uint32_t ci, const sip_msg_t *m)
{
    corr__call_str_set(c, ci, CS_FROM_URI, m->from.uri);
    corr__call_str_set(c, ci, CS_TO_URI, m->to.uri);
    corr__call_str_set(c, ci, CS_CALLER, m->from.user);
    corr__call_str_set(c, ci, CS_CALLEE, m->to.user);
    corr__call_str_set(c, ci, CS_FROM_TAG, m->from.tag);
}

static uint32_t call_new(corr_t *c, uint64_t h, const sip_msg_t *m, const datagram_t *dg)
{
    uint32_t ci = tbl_pool_take(&c->call_pool);
    if (ci == CORR_NIL) {
        /* the least recently active call, counting RTP: a few tails whose
         * media is newer than their signalling move to the head first */
        uint32_t victim = c->call_pool.lru.tail;
        for (int tries = 0;
             tries < 8 && victim != CORR_NIL && corr__call_refresh_activity(c, victim); tries++)
            victim = c->call_pool.lru.tail;
        if (victim == CORR_NIL) return CORR_NIL;
        c->calls[victim].rec.evicted = true;
        corr__call_emit(c, victim, false, false);
        c->stats.calls_evicted++;
        ci = tbl_pool_take(&c->call_pool);
        if (ci == CORR_NIL) return CORR_NIL;
    }
    corr__call_t *k = &c->calls[ci];
    memset(k, 0, sizeof *k);
    k->used = true;
    k->hash = h;
    k->key = corr__call_key(m->call_id, dg->ts_ns);
    k->cid_len = (uint32_t)m->call_id.len;
    k->ep_head = k->st_head = CORR_NIL;
    k->last_activity_ns = k->lru_ns = c->now_ns; /* the correlator clock */
    k->str = corr__cstr_new(c);
    tbl_itab_insert(&c->call_pool.tab, h, ci);
    c->stats.calls++;

    corr__call_rec_t *r = &k->rec;
    corr__call_str_set(c, ci, CS_CALL_ID, m->call_id);
    r->start_ts_ns = dg->ts_ns;
    r->invite_off_us = r->progress_off_us = CORR__CALL_OFF_NONE; /* no INVITE yet */
    r->transport = (uint8_t)dg->transport;
    copy_party(c, ci, m);
    if (m->is_request) {
        r->src = dg->src;
        r->dst = dg->dst;
    } else {
        /* response first: the INVITE went the other way */
        r->src = dg->dst;
        r->dst = dg->src;
        k->invite_cseq = m->cseq;
    }
    if (m->to.tag.len) {
        /* joined mid-dialog (re-INVITE or in-dialog response): confirmed */
        if (m->is_request || (m->status_code >= 200 && m->status_code < 300)) {
            k->answered = true;
            r->state = CORR_CALL_ANSWERED;
            corr__call_str_set(c, ci, CS_TO_TAG, m->to.tag);
        }
    }
    return ci;
}

static bool msg_from_caller(const corr_t *c, const corr__call_t *k, const sip_msg_t *m,
                            const datagram_t *dg)
{
    const char *from_tag = corr__call_str(c, k, CS_FROM_TAG);
    if (from_tag[0] && m->from.tag.len) {
        bool same = tag_eq(from_tag, m->from.tag);
        return m->is_request ? same : !same;
    }
    return m->is_request ? endpoint_eq(&dg->src, &k->rec.src) : !endpoint_eq(&dg->dst, &k->rec.src);
}

/* Counts a distinct To tag (an early dialog): the first CORR__CALL_TAGS_INLINE
 * hashes in the call entry, the others after its strings (cstr.c). */
static void tag_seen(corr_t *c, uint32_t ci, sv_t tag)
{
    corr__call_t *k = &c->calls[ci];
    if (tag.len == 0) return;
    uint64_t h = hash_bytes(tag.p, tag.len, 0x7a6);
    for (int i = 0; i < k->ntags && i < CORR__CALL_TAGS_INLINE; i++)
        if (k->tags[i] == h) return;
    if (k->ntags >= CORR_MAX_TAGS) return;
    if (k->ntags < CORR__CALL_TAGS_INLINE) {
        k->tags[k->ntags++] = h;
    } else if (!corr__call_tag_in_blob(c, k, h) && corr__call_tag_add(c, ci, h)) {
        k->ntags++;
    }
}

static void set_reason(corr_t *c, uint32_t ci, const sip_msg_t *m)
{
    if (m->reason.len)
        corr__call_str_set(c, ci, CS_REASON, m->reason);
    else if (!m->is_request)
        corr__call_str_set(c, ci, CS_REASON, m->reason_phrase);
}

/* Microseconds from `from` to ts, within [0, CORR__CALL_OFF_NONE). */
static uint32_t off_us(int64_t from, int64_t ts)
{
    if (ts <= from) return 0;
    uint64_t d = ((uint64_t)ts - (uint64_t)from) / 1000;
    return d < CORR__CALL_OFF_NONE ? (uint32_t)d : CORR__CALL_OFF_NONE - 1;
}

/* A new INVITE transaction (first, or retry): forget a pending failure.
 * invite_ts: its request's time (0: only a response to it was captured). */
static void invite_attempt(corr_t *c, uint32_t ci, const sip_msg_t *m, int64_t invite_ts)
{
    corr__call_t *k = &c->calls[ci];
    corr__call_rec_t *r = &k->rec;
    k->invite_cseq = m->cseq;
    r->invite_off_us = invite_ts ? off_us(r->start_ts_ns, invite_ts) : CORR__CALL_OFF_NONE;
    r->progress_off_us = CORR__CALL_OFF_NONE;
    call_unend(c, ci);
    k->challenged = false;
    k->cancel_seen = false;
    r->state = CORR_CALL_UNANSWERED;
    r->final_code = 0;
    r->end_ts_ns = 0;
    corr__call_str_set(c, ci, CS_REASON, (sv_t){0});
    r->ended_by = CORR_ENDED_BY_NONE;
}

static void on_invite(corr_t *c, uint32_t ci, const sip_msg_t *m, const datagram_t *dg)
{
    corr__call_t *k = &c->calls[ci];
    corr__call_rec_t *r = &k->rec;

    if (m->to.tag.len || k->answered) {
        /* re-INVITE inside the dialog */
        if (!k->reinvite_open || m->cseq != k->reinvite_cseq) {
            r->reinvites++;
            k->reinvite_cseq = m->cseq;
            k->reinvite_open = true;
        }
        return;
    }
    if (k->have_invite && m->cseq <= k->invite_cseq) return; /* retransmission / stale */

    bool first = !k->have_invite;
    k->have_invite = true;
    r->invites++;
    if (first) {
        /* the request itself is now known: it defines the call's ends */
        r->src = dg->src;
        r->dst = dg->dst;
        r->transport = (uint8_t)dg->transport;
        copy_party(c, ci, m);
        corr__call_str_set(c, ci, CS_USER_AGENT, m->user_agent);
        if (dg->ts_ns < r->start_ts_ns) r->start_ts_ns = dg->ts_ns;
    }
    invite_attempt(c, ci, m, dg->ts_ns);
}

static void on_invite_response(corr_t *c, uint32_t ci, const sip_msg_t *m, const datagram_t *dg)
{
    corr__call_t *k = &c->calls[ci];
    corr__call_rec_t *r = &k->rec;
    int code = m->status_code;

    if (m->cseq != k->invite_cseq) {
        if (k->answered || m->cseq < k->invite_cseq) return; /* re-INVITE or stale */
        /* a newer attempt whose request we did not capture */
        invite_attempt(c, ci, m, 0);
    }
    if (code < 200) {
        if ((code == 180 || code == 183) && r->ringing_ts_ns == 0) r->ringing_ts_ns = dg->ts_ns;
        if (code > 100 && r->invite_off_us != CORR__CALL_OFF_NONE &&
            r->progress_off_us == CORR__CALL_OFF_NONE)
            r->progress_off_us =
                off_us(r->start_ts_ns + (int64_t)r->invite_off_us * 1000, dg->ts_ns);
        tag_seen(c, ci, m->to.tag);
        return;
    }
    if (code < 300) {
        tag_seen(c, ci, m->to.tag);
        if (k->answered) return; /* retransmission or another fork's 2xx */
        call_unend(c, ci);
        k->answered = true;
        k->challenged = false;
        k->cancel_seen = false;
        r->state = CORR_CALL_ANSWERED;
        r->answer_ts_ns = dg->ts_ns;
        r->final_code = code;
        r->end_ts_ns = 0;
        r->ended_by = CORR_ENDED_BY_NONE;
        corr__call_str_set(c, ci, CS_REASON, (sv_t){0});
        set_reason(c, ci, m);
        corr__call_str_set(c, ci, CS_TO_TAG, m->to.tag);
        return;
    }
    if (k->answered) return;
    if (code == 401 || code == 407) {
        if (!k->challenged || k->challenge_cseq != m->cseq) r->challenges++;
        k->challenged = true;
        k->challenge_cseq = m->cseq;
        k->challenge_407 = code == 407;
        r->end_ts_ns = dg->ts_ns;
        set_reason(c, ci, m);
        if (!k->end_challenge) call_unend(c, ci); /* requeue for the retry wait */
        call_end(c, ci, dg->ts_ns);
        return;
    }
    if (r->final_code >= 300) return; /* retransmission, or a later fork's failure */
    r->final_code = code;
    /* A caller that sent CANCEL abandoned the call, whatever final response
     * crosses it (487 normally, but 408/480/486 happen): cancelled. */
    bool cancelled = code == 487 || k->cancel_seen;
    r->state = cancelled                      ? CORR_CALL_CANCELLED
               : (code == 486 || code == 600) ? CORR_CALL_BUSY
                                              : CORR_CALL_REJECTED;
    r->ended_by = cancelled ? CORR_ENDED_BY_CALLER : CORR_ENDED_BY_CALLEE;
    if (!(k->cancel_seen && corr__call_str(c, k, CS_REASON)[0])) set_reason(c, ci, m);
    r->end_ts_ns = dg->ts_ns;
    k->challenged = false;
    call_unend(c, ci); /* decided now: from the challenge wait to the linger */
    call_end(c, ci, dg->ts_ns);
}

static void on_cancel(corr_t *c, uint32_t ci, const sip_msg_t *m, const datagram_t *dg)
{
    corr__call_t *k = &c->calls[ci];
    corr__call_rec_t *r = &k->rec;
    if (k->answered || k->cancel_seen || r->final_code >= 300) return;
    k->cancel_seen = true;
    r->state = CORR_CALL_CANCELLED;
    r->ended_by = CORR_ENDED_BY_CALLER;
    r->end_ts_ns = dg->ts_ns;
    if (m->reason.len) set_reason(c, ci, m);
    call_unend(c, ci);
    k->challenged = false;
    call_end(c, ci, dg->ts_ns);
}

static void on_bye(corr_t *c, uint32_t ci, const sip_msg_t *m, const datagram_t *dg,
                   bool from_caller)
{
    corr__call_t *k = &c->calls[ci];
    corr__call_rec_t *r = &k->rec;
    if (k->bye_seen) return;
    if (!k->answered && (r->final_code >= 300 || k->cancel_seen)) return;
    k->bye_seen = true;
    corr__flags_on_bye(c, ci, dg->ts_ns);
    if (!k->answered) {
        /* the 2xx was not captured: the dialog was confirmed anyway */
        call_unend(c, ci);
        k->answered = true;
        k->challenged = false;
        r->state = CORR_CALL_ANSWERED;
    }
    r->end_ts_ns = dg->ts_ns;
    r->ended_by = from_caller ? CORR_ENDED_BY_CALLER : CORR_ENDED_BY_CALLEE;
    if (m->reason.len) set_reason(c, ci, m);
    call_end(c, ci, dg->ts_ns);
}

/* T.38 fax (RFC 3362 m=image, port not 0) in an SDP from one side: the
 * first such side made the offer; both sides: it was accepted. */
static void note_t38(corr__call_t *k, const sdp_t *sdp, bool from_caller)
{
    for (int i = 0; i < sdp->media_count; i++) {
        const sdp_media_t *md = &sdp->media[i];
        if (md->port == 0 || !sv_ieq_cstr(md->media, "image")) continue;
        if (!k->t38_caller && !k->t38_callee) k->t38_first_caller = from_caller;
        if (from_caller)
            k->t38_caller = true;
        else
            k->t38_callee = true;
        return;
    }
}

static void call_on_msg(corr_t *c, uint32_t ci, const sip_msg_t *m, const datagram_t *dg)
{
    corr__call_t *k = &c->calls[ci];
    corr__call_rec_t *r = &k->rec;
    sip_method_t method = m->is_request ? m->method : m->cseq_method;
    bool from_caller = msg_from_caller(c, k, m, dg);
    sv_t body;

    r->sip_messages++;
    corr__call_touch(c, ci, c->now_ns);

    if (m->is_request) {
        switch (method) {
        case SIP_INVITE:
            on_invite(c, ci, m, dg);
            break;
        case SIP_CANCEL:
            on_cancel(c, ci, m, dg);
            break;
        case SIP_BYE:
            on_bye(c, ci, m, dg, from_caller);
            break;
        case SIP_UPDATE:
            if (m->body.len && m->cseq != k->update_cseq && sip_find_sdp(m, &body)) {
                r->reinvites++;
                k->update_cseq = m->cseq;
            }
            break;
        case SIP_INFO:
            corr__dtmf_on_info(c, ci, m, dg, from_caller);
            break;
        default:
            break;
        }
    } else if (method == SIP_INVITE) {
        if (k->reinvite_open && m->cseq == k->reinvite_cseq && m->status_code >= 200)
            k->reinvite_open = false;
        on_invite_response(c, ci, m, dg);
    }

    if (m->body.len && sip_find_sdp(m, &body) && sdp_parse(body, &c->sdp) == PROTO_OK) {
        corr__media_learn_sdp(c, ci, &c->sdp, from_caller ? SIDE_CALLER : SIDE_CALLEE);
        note_t38(k, &c->sdp, from_caller);
    }
}

static void dialog_take(corr_t *c, const datagram_t *dg, const sip_msg_t *m, proto_status_t st)
{
    if (st == PROTO_INVALID) {
        c->stats.sip_invalid++;
        return;
    }
    if (st == PROTO_INCOMPLETE) {
        c->stats.sip_incomplete++;
        if (m->call_id.len == 0) return;
    }
    c->stats.sip_messages++;
    if (m->is_request) {
        c->stats.sip_requests++;
        if ((unsigned)m->method < 16) c->stats.sip_by_method[m->method]++;
    } else {
        c->stats.sip_responses++;
    }

    sip_method_t method = m->is_request ? m->method : m->cseq_method;
    if (m->is_request && method == SIP_PUBLISH) corr__vq_on_publish(c, m, dg); /* RFC 6035 */
    uint64_t h = cid_hash(c, m->call_id);
    uint32_t ci = tbl_itab_find(&c->call_pool.tab, h, call_eq, c, &m->call_id);
    bool created = false;
    if (ci == CORR_NIL) {
        switch (method) {
        case SIP_REGISTER:
            if (m->is_request) c->stats.register_requests++;
            corr__events_on_register(c, m, dg);
            return;
        case SIP_OPTIONS:
            if (m->is_request) c->stats.options++;
            return;
        case SIP_INVITE:
            break;
        case SIP_ACK:
        case SIP_BYE:
        case SIP_CANCEL:
        case SIP_PRACK:
        case SIP_UPDATE:
            return; /* the call is gone or was never seen */
        default:
            if (m->is_request) c->stats.other_transactions++;
            return;
        }
        ci = call_new(c, h, m, dg);
        if (ci == CORR_NIL) return;
        created = true;
    }
    bool was_answered = !created && c->calls[ci].answered;
    call_on_msg(c, ci, m, dg);
    corr__events_after_sip(c, ci, created, was_answered, dg->ts_ns); /* started / answered */
}

/* Every message reaches the sink's on_sip_message (then on_packet) after
 * what it caused, with the call it belongs to (found, or just created). */
void corr__dialog_on_sip(corr_t *c, const datagram_t *dg)
{
    corr__dialog_on_parsed(c, dg, sip_parse_message(dg->data, dg->len, &c->msg));
}

void corr__dialog_on_parsed(corr_t *c, const datagram_t *dg, proto_status_t st)
{
    sip_msg_t *m = &c->msg;
    dialog_take(c, dg, m, st);
    if (!c->sink.on_sip_message && !c->sink.on_packet) return;
    bool parsed = st != PROTO_INVALID;
    uint32_t ci = parsed && m->call_id.len ? corr__call_find(c, m->call_id) : CORR_NIL;
    corr__events_sip_message(c, dg, parsed ? m : NULL, st, ci);
}
