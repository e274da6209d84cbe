/* events.c - the correlator's lifecycle events: what a sink hears as it
 * happens, before (or instead of) the finished records.
 *
 * Design: every kind is opt-in through its sink callback; with the callback
 * NULL nothing is built, kept or allocated, so `siphon analyze` without
 * events pays one pointer test per SIP message and per RTP packet.
 *
 *  - Calls: dialog.c tells us, after each message of a call, whether the
 *    message created the call and whether it made it answered (the
 *    answered flag only ever goes from false to true), so call_started and
 *    call_answered are emitted exactly once each, started first, and
 *    answered iff the call's final state is answered.  The event is built
 *    from the live call entry (its scalars and string blob): views valid
 *    during the callback.
 *  - Registrations: a REGISTER transaction is everything with one Call-ID
 *    (a 401/407 challenge and the retry with a higher CSeq included).  They
 *    are always followed, event wanted or not, since the summary counts
 *    registrations (what users mean), not REGISTER messages.  A small table
 *    (max_registrations entries, calloc'd: pages touched only when used;
 *    the pool of core/table.c: free list, LRU, index by Call-ID hash) keeps
 *    each transaction until its final response, which emits the event; the
 *    entry then stays "done" for REG_WAIT_NS so that
 *    retransmitted responses (or the same response seen at another hop)
 *    are not reported twice.  A REGISTER with a higher CSeq on a done entry
 *    (a refresh reusing the Call-ID) starts a new transaction.  No final
 *    response within REG_WAIT_NS (RFC 3261 Timer F, 32 s) after the last
 *    message: emitted with final_code 0 and timed_out, or with the
 *    challenge code when the challenge was never answered.  A full table
 *    evicts its least recently active entry (emitted as far as known,
 *    counted in registrations_evicted).  A final response whose request
 *    was not captured is reported from the response alone.
 *  - SIP messages: dialog.c hands over every message it takes, parsed or
 *    not, once it has handled it (after the call_started / call_answered
 *    it caused), with the call it belongs to (found or just created); the
 *    event
 *    is views into the message and its parse, built on the stack.  The
 *    call key (corr__call_key) hashes the whole Call-ID with a fixed seed
 *    (not the tables' random one: the key must be the same in every run
 *    and every shard) and the capture time of the message that created
 *    the call.
 *  - Quality intervals: stream.c asks the tracker (quality.h) whether the
 *    packet it is about to count closes the open interval and, if so,
 *    takes its figures first (sq_interval_peek: same figures the tracker
 *    stores, plus a provisional MOS); the stream's last interval is
 *    reported from its record at emission, with the final MOS.
 */
#include "correlator_internal.h"

#include <stdlib.h>

#define REG_WAIT_NS     (32 * NS_PER_SEC)
#define REG_DEFAULT_MAX 8192
#define REG_USER_MAX    64
#define REG_HASH_SEED   0x5245474953544552ULL /* "REGISTER" */

/* ------------------------------------------------------------------------ */
/* Calls                                                                     */
/* ------------------------------------------------------------------------ */

static void call_event(corr_t *c, const corr__call_t *k, corr_call_event_type_t type, int64_t ts)
{
    const corr__call_rec_t *r = &k->rec;
    corr_call_event_t ev = {
        .type = type,
        .ts_ns = ts,
        .call_id = corr__call_str(c, k, CS_CALL_ID),
        .call_key = k->key,
        .from_uri = corr__call_str(c, k, CS_FROM_URI),
        .to_uri = corr__call_str(c, k, CS_TO_URI),
        .caller = corr__call_str(c, k, CS_CALLER),
        .callee = corr__call_str(c, k, CS_CALLEE),
        .user_agent = corr__call_str(c, k, CS_USER_AGENT),
        .src = r->src,
        .dst = r->dst,
        .transport = (transport_t)r->transport,
        .start_ts_ns = r->start_ts_ns,
        .answer_delay_ms = -1,
        .to_tag = "",
    };
    if (type == CORR_EV_CALL_ANSWERED) {
        ev.ringing_ts_ns = r->ringing_ts_ns;
        ev.answer_ts_ns = r->answer_ts_ns;
        if (r->answer_ts_ns > 0 &&
            r->invite_off_us != CORR__CALL_OFF_NONE) /* the record's setup_ms */
            ev.answer_delay_ms = (double)(ts_sub_sat(r->answer_ts_ns, r->start_ts_ns) -
                                          (int64_t)r->invite_off_us * 1000) /
                                 1e6;
        ev.final_code = r->final_code;
        ev.to_tag = corr__call_str(c, k, CS_TO_TAG);
    }
    c->sink.on_call_event(c->sink.user, &ev);
}

void corr__events_after_sip(corr_t *c, uint32_t ci, bool created, bool was_answered, int64_t ts)
{
    if (!c->sink.on_call_event) return;
    const corr__call_t *k = &c->calls[ci];
    if (!k->used) return;
    if (created) call_event(c, k, CORR_EV_CALL_STARTED, ts);
    if (!was_answered && k->answered) call_event(c, k, CORR_EV_CALL_ANSWERED, ts);
}

/* ------------------------------------------------------------------------ */
/* SIP messages                                                              */
/* ------------------------------------------------------------------------ */

#define CORR__CALL_KEY_SEED 0x63616c6c2d6b6579ULL /* "call-key" */

uint64_t corr__call_key(sv_t call_id, int64_t ts_ns)
{
    uint64_t k = hash_u64(hash_bytes(call_id.p, call_id.len, CORR__CALL_KEY_SEED) ^
                          hash_u64((uint64_t)ts_ns ^ CORR__CALL_KEY_SEED));
    return k ? k : 1;
}

const char *corr_sip_parse_name(corr_sip_parse_t p)
{
    switch (p) {
    case CORR_SIP_OK:
        return "ok";
    case CORR_SIP_INCOMPLETE:
        return "incomplete";
    case CORR_SIP_INVALID:
        return "invalid";
    }
    return "invalid";
}

void corr__events_sip_message(corr_t *c, const datagram_t *dg, const sip_msg_t *m,
                              proto_status_t st, uint32_t ci)
{
    if (!c->sink.on_sip_message && !c->sink.on_packet) return;
    corr_sip_message_t e = {
        .ts_ns = dg->ts_ns,
        .frame_no = dg->frame_no,
        .src = dg->src,
        .dst = dg->dst,
        .transport = dg->transport,
        .data = dg->data,
        .len = dg->len,
        .parse = CORR_SIP_INVALID,
        .call_key = ci != CORR_NIL ? c->calls[ci].key : 0,
    };
    if (m && st != PROTO_INVALID) {
        e.parse = st == PROTO_OK ? CORR_SIP_OK : CORR_SIP_INCOMPLETE;
        e.is_request = m->is_request;
        if (m->is_request)
            e.method = m->method_name;
        else
            e.status_code = m->status_code, e.reason_phrase = m->reason_phrase;
        e.call_id = m->call_id;
        e.cseq = m->cseq;
        e.cseq_method = m->cseq_method_name;
        e.from_user = m->from.user;
        e.to_user = m->to.user;
        e.user_agent = m->user_agent.len ? m->user_agent : m->server;
        e.parsed = m;
    }
    if (c->sink.on_sip_message) c->sink.on_sip_message(c->sink.user, &e);
    if (c->sink.on_packet) {
        corr_packet_t p = {.kind = CORR_PKT_SIP,
                           .call_key = e.call_key,
                           .call_id = e.call_id,
                           .dg = dg,
                           .sip = &e};
        c->sink.on_packet(c->sink.user, &p);
    }
}

/* ------------------------------------------------------------------------ */
/* Registrations                                                             */
/* ------------------------------------------------------------------------ */

enum { REG_PENDING = 0, REG_CHALLENGED, REG_DONE };

struct reg_entry {
    bool used;
    uint8_t state;
    bool challenged;
    uint16_t challenge_code;
    uint32_t cseq;
    uint32_t attempts;
    uint32_t cid_len;
    uint64_t hash;
    int64_t last_ns;
    int64_t request_ts_ns;
    int64_t req_expires; /* from the request; -1 none */
    endpoint_t src, dst;
    transport_t transport;
    char call_id[CORR_STR_MAX];
    char aor[CORR_STR_MAX];
    char contact[CORR_STR_MAX];
    char user[REG_USER_MAX];
};

bool corr__events_init(corr_t *c)
{
    uint32_t cap = c->cfg.max_registrations ? c->cfg.max_registrations : REG_DEFAULT_MAX;
    c->regs = calloc(cap, sizeof *c->regs);
    return c->regs && tbl_pool_init(&c->reg_pool, cap);
}

void corr__events_free(corr_t *c)
{
    if (!c->regs) return;
    tbl_pool_destroy(&c->reg_pool);
    free(c->regs);
    c->regs = NULL;
}

static bool reg_eq(const void *ctx, uint32_t idx, const void *key)
{
    const struct reg_entry *e = &((const corr_t *)ctx)->regs[idx];
    const sv_t *cid = key;
    if (e->cid_len != cid->len) return false;
    size_t n = cid->len < CORR_STR_MAX - 1 ? cid->len : CORR_STR_MAX - 1;
    return memcmp(e->call_id, cid->p, n) == 0;
}

/* Expires in seconds from a header value or parameter; -1 when absent. */
static int64_t parse_expires(sv_t v)
{
    uint64_t n;
    if (!v.p || !sv_to_u64(sv_trim(v), UINT32_MAX, &n)) return -1;
    return (int64_t)n;
}

static void reg_emit(corr_t *c, uint32_t ri, int64_t ts, int code, int64_t expires, bool timed_out)
{
    const struct reg_entry *e = &c->regs[ri];
    corr_registration_t r = {
        .ts_ns = ts,
        .request_ts_ns = e->request_ts_ns,
        .call_id = e->call_id,
        .aor = e->aor,
        .user = e->user,
        .contact = e->contact,
        .expires = expires,
        .final_code = code,
        .src = e->src,
        .dst = e->dst,
        .transport = e->transport,
        .challenged = e->challenged,
        .attempts = e->attempts,
        .timed_out = timed_out,
    };
    c->stats.registrations++;
    if (e->challenged) c->stats.registrations_challenged++;
    if (timed_out) c->stats.registrations_timed_out++;
    if (c->sink.on_registration) c->sink.on_registration(c->sink.user, &r);
}

/* An entry whose transaction never got its final response. */
static void reg_emit_unfinished(corr_t *c, uint32_t ri, int64_t ts)
{
    const struct reg_entry *e = &c->regs[ri];
    if (e->state == REG_DONE) return;
    bool unanswered_challenge = e->state == REG_CHALLENGED;
    reg_emit(c, ri, ts, unanswered_challenge ? e->challenge_code : 0, -1, !unanswered_challenge);
}

static void reg_release(corr_t *c, uint32_t ri)
{
    tbl_pool_put(&c->reg_pool, ri, c->regs[ri].hash);
    c->regs[ri].used = false;
}

static uint32_t reg_new(corr_t *c, uint64_t h, const sip_msg_t *m, int64_t ts)
{
    uint32_t ri = tbl_pool_take(&c->reg_pool);
    if (ri == CORR_NIL) {
        uint32_t victim = c->reg_pool.lru.tail;
        if (victim == CORR_NIL) return CORR_NIL;
        if (c->regs[victim].state != REG_DONE) c->stats.registrations_evicted++;
        reg_emit_unfinished(c, victim, ts);
        reg_release(c, victim);
        ri = tbl_pool_take(&c->reg_pool);
        if (ri == CORR_NIL) return CORR_NIL;
    }
    struct reg_entry *e = &c->regs[ri];
    memset(e, 0, sizeof *e);
    e->used = true;
    e->hash = h;
    e->cid_len = (uint32_t)m->call_id.len;
    e->req_expires = -1;
    corr__copy_sv(e->call_id, sizeof e->call_id, m->call_id);
    tbl_itab_insert(&c->reg_pool.tab, h, ri);
    return ri;
}

/* A new transaction on an entry (first REGISTER, or a refresh). */
static void reg_restart(struct reg_entry *e)
{
    e->state = REG_PENDING;
    e->challenged = false;
    e->challenge_code = 0;
    e->attempts = 0;
    e->request_ts_ns = 0;
    e->req_expires = -1;
}

static void reg_copy_parties(struct reg_entry *e, const sip_msg_t *m)
{
    corr__copy_sv(e->aor, sizeof e->aor, m->to.uri);
    corr__copy_sv(e->user, sizeof e->user, m->to.user);
    sip_name_addr_t na;
    sv_t ct = sv_trim(m->contact);
    if (ct.len && sip_parse_name_addr(ct, &na))
        corr__copy_sv(e->contact, sizeof e->contact, na.uri);
    else
        corr__copy_sv(e->contact, sizeof e->contact, ct); /* "*" */
}

/* Seconds granted by a 2xx: the ;expires of the Contact naming the
 * registered binding (else of the first Contact), else the Expires header,
 * else what the request asked for. */
static int64_t reg_granted(const struct reg_entry *e, const sip_msg_t *m)
{
    int64_t x = -1;
    sv_t uri = sv_from_cstr(e->contact);
    for (unsigned i = 0; i < 8 && uri.len > 1; i++) {
        sv_t v = sip_header_get(m, "Contact", i);
        if (!v.p) break;
        long off = sv_ifind(v, uri);
        if (off < 0) continue;
        x = parse_expires(sip_param_get(sv_make(v.p + off, v.len - (size_t)off), "expires"));
        break;
    }
    if (x < 0 && m->contact.len) x = parse_expires(sip_param_get(m->contact, "expires"));
    if (x < 0) x = parse_expires(sip_header_get(m, "Expires", 0));
    if (x < 0) x = e->req_expires;
    return x;
}

static void reg_request(corr_t *c, uint32_t ri, const sip_msg_t *m, const datagram_t *dg)
{
    struct reg_entry *e = &c->regs[ri];
    if (e->attempts && m->cseq <= e->cseq) return; /* retransmission, another hop, stale */
    if (e->state == REG_DONE) reg_restart(e);
    if (e->state == REG_CHALLENGED) e->state = REG_PENDING; /* the retry */
    e->cseq = m->cseq;
    e->attempts++;
    if (!e->request_ts_ns) e->request_ts_ns = dg->ts_ns;
    e->src = dg->src;
    e->dst = dg->dst;
    e->transport = dg->transport;
    reg_copy_parties(e, m);
    int64_t x = m->contact.len ? parse_expires(sip_param_get(m->contact, "expires")) : -1;
    if (x < 0) x = parse_expires(sip_header_get(m, "Expires", 0));
    e->req_expires = x;
}

static void reg_response(corr_t *c, uint32_t ri, bool fresh, const sip_msg_t *m,
                         const datagram_t *dg)
{
    struct reg_entry *e = &c->regs[ri];
    int code = m->status_code;
    if (!fresh) {
        if (m->cseq < e->cseq) return;                             /* stale */
        if (m->cseq == e->cseq && e->state != REG_PENDING) return; /* retransmission */
        if (m->cseq > e->cseq) {
            /* a newer transaction whose request we did not capture */
            if (e->state == REG_DONE) reg_restart(e);
            e->cseq = m->cseq;
        }
    }
    if (fresh || !e->attempts) {
        /* the request was not seen: the response tells the parties */
        e->cseq = m->cseq;
        e->src = dg->dst;
        e->dst = dg->src;
        e->transport = dg->transport;
        if (!e->aor[0]) reg_copy_parties(e, m);
    }
    if (code == 401 || code == 407) {
        e->state = REG_CHALLENGED;
        e->challenged = true;
        e->challenge_code = (uint16_t)code;
        return;
    }
    int64_t expires = code < 300 ? reg_granted(e, m) : -1;
    reg_emit(c, ri, dg->ts_ns, code, expires, false);
    e->state = REG_DONE;
}

void corr__events_on_register(corr_t *c, const sip_msg_t *m, const datagram_t *dg)
{
    if (!c->regs) return;
    if (!m->is_request && m->status_code < 200) return; /* provisional */
    uint64_t h = hash_bytes(m->call_id.p, m->call_id.len, c->seed ^ REG_HASH_SEED);
    uint32_t ri = tbl_itab_find(&c->reg_pool.tab, h, reg_eq, c, &m->call_id);
    bool fresh = ri == CORR_NIL;
    if (fresh) {
        ri = reg_new(c, h, m, dg->ts_ns);
        if (ri == CORR_NIL) return;
    }
    c->regs[ri].last_ns = dg->ts_ns;
    tbl_dlist_touch(&c->reg_pool.lru, ri);
    if (m->is_request)
        reg_request(c, ri, m, dg);
    else
        reg_response(c, ri, fresh, m, dg);
}

void corr__events_expire(corr_t *c, int64_t now_ns)
{
    if (!c->regs) return;
    uint32_t ri;
    while ((ri = c->reg_pool.lru.tail) != CORR_NIL &&
           ts_sub_sat(now_ns, c->regs[ri].last_ns) >= REG_WAIT_NS) {
        reg_emit_unfinished(c, ri, ts_add_sat(c->regs[ri].last_ns, REG_WAIT_NS));
        reg_release(c, ri);
    }
}

void corr__events_flush(corr_t *c)
{
    if (!c->regs) return;
    uint32_t ri;
    while ((ri = c->reg_pool.lru.tail) != CORR_NIL) {
        const struct reg_entry *e = &c->regs[ri];
        if (e->state != REG_DONE)
            reg_emit(c, ri, e->last_ns, e->state == REG_CHALLENGED ? e->challenge_code : 0, -1,
                     false);
        reg_release(c, ri);
    }
}

/* ------------------------------------------------------------------------ */
/* Quality intervals                                                         */
/* ------------------------------------------------------------------------ */

static int8_t direction(bool orphan, int media_index, bool from_caller)
{
    if (orphan || media_index < 0) return -1;
    return from_caller ? 1 : 0;
}

void corr__events_interval(corr_t *c, const corr__stream_t *s, const sq_interval_t *iv,
                           uint32_t index, int64_t ts)
{
    if (!c->sink.on_quality_interval || s->tentative || iv->packets == 0) return;
    bool orphan = s->orphan || s->owner == CORR_NIL;
    corr_interval_event_t ev = {
        .ts_ns = ts,
        .call_id = orphan ? NULL : corr__call_str(c, &c->calls[s->owner], CS_CALL_ID),
        .src = s->src,
        .dst = s->dst,
        .ssrc = s->ssrc,
        .payload_type = s->have_codec ? s->payload_type : s->last_pt,
        .codec = corr__stream_codec(c, s),
        .from_caller = direction(orphan, s->media_index, s->from_caller),
        .final = false,
        .index = index,
        .start_ns = iv->start_ns,
        .end_ns = ts_add_sat(iv->start_ns, sq_interval_ns(&c->cfg.quality)),
        .packets = iv->packets,
        .lost = iv->lost,
        .discards = iv->discards,
        .jitter_ms = iv->jitter_ms,
        .mos = iv->mos,
    };
    c->sink.on_quality_interval(c->sink.user, &ev);
}

void corr__events_final_intervals(corr_t *c, const corr_stream_t *recs, uint32_t n)
{
    if (!c->sink.on_quality_interval) return;
    for (uint32_t i = 0; i < n; i++) {
        const corr_stream_t *s = &recs[i];
        const sq_result_t *q = &s->quality;
        /* with intervals dropped (max_intervals) the last one kept is not
         * the final one */
        if (q->n_intervals == 0 || q->intervals_dropped) continue;
        const sq_interval_t *iv = &q->intervals[q->n_intervals - 1];
        if (iv->packets == 0) continue;
        bool orphan = s->call_id[0] == '\0';
        corr_interval_event_t ev = {
            .ts_ns = s->stats.last_ts_ns,
            .call_id = orphan ? NULL : s->call_id,
            .src = s->src,
            .dst = s->dst,
            .ssrc = s->ssrc,
            .payload_type = s->payload_type,
            .codec = s->codec,
            .from_caller = direction(orphan, s->media_index, s->from_caller),
            .final = true,
            .index = q->n_intervals - 1,
            .start_ns = iv->start_ns,
            .end_ns = s->stats.last_ts_ns,
            .packets = iv->packets,
            .lost = iv->lost,
            .discards = iv->discards,
            .jitter_ms = iv->jitter_ms,
            .mos = iv->mos,
        };
        c->sink.on_quality_interval(c->sink.user, &ev);
    }
}
