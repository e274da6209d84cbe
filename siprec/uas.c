/* uas.c - the SRS as a SIP UAS: transactions, recording sessions, and the
 * answers to every request an SRC sends (RFC 3261, RFC 7866).
 *
 * Transactions (RFC 3261 17.2), enough to be correct with any SRC:
 *  - a request whose transaction exists (same top-Via branch, method class
 *    and Call-ID) is a retransmission: the last response is sent again
 *    (nothing when none was sent yet) and nothing else happens;
 *  - INVITE: 100 Trying at once, then the final response; a 2xx is
 *    retransmitted (T1 doubling to T2, over UDP) until its ACK (matched by
 *    the dialog: Call-ID and CSeq) and the session ends "no_ack" after 64*T1
 *    without one; a non-2xx final is retransmitted the same way until the
 *    ACK of its transaction;
 *  - CANCEL: matched to its INVITE by branch; 200 to the CANCEL and, when
 *    the INVITE is still unanswered (siprec.answer_delay), 487 to it; 481
 *    when there is no such INVITE;
 *  - transactions live 64*T1 after their last response (timers H/J) in a
 *    bounded table (8 per allowed session, at least 4,096): a full table
 *    answers 503 and counts it.
 *
 * Requests:
 *  - from outside siprec.allow: 403 (an ACK is dropped);
 *  - malformed: 400 with a reason phrase naming what is wrong when a Via
 *    is there to answer to, else dropped and counted;
 *  - INVITE out of dialog: a recording session when it says so (Require:
 *    siprec, a Contact with +sip.src or ;src) or carries recording
 *    metadata (SRCs that send neither tag); otherwise 488.  Require tokens
 *    other than siprec and 100rel: 420 with Unsupported.  Metadata refused
 *    (metadata.c: not XML, a DTD, too large or deep): 400 "Bad metadata".
 *    Offer problems: offer.c's status.  siprec.max_sessions reached: 503
 *    with Retry-After.  The answer's Contact carries +sip.srs;
 *  - re-INVITE / UPDATE in the dialog: new SDP (pause, resume, streams
 *    added or removed) and/or new metadata (a metadata-only UPDATE
 *    answers 200 without a body); 481 when the dialog is unknown (Call-ID
 *    or our To tag);
 *  - BYE: 200, and the session ends "completed"; OPTIONS: 200 with Allow,
 *    Supported and Accept (SBC keep-alives); anything else: 405.
 *
 * The SIP hook (srs_sip_fn) gets the messages of recording sessions: a
 * request is handed out after it was handled, when its Call-ID named a
 * session before or after (so the INVITE that made one and the BYE that
 * ended one both count), followed by the responses it caused, which were
 * held meanwhile (the 100 Trying goes out before the session exists);
 * responses sent from the timers (2xx retransmissions, a delayed answer)
 * are handed out as they go when their session is live.
 */
#include "siprec_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALLOW_HDR "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO\r\n"
#define SUPPORTED "Supported: siprec, 100rel\r\n"
#define ACCEPT_HDR                                                                                 \
    "Accept: application/sdp, application/rs-metadata+xml, application/rs-metadata, "              \
    "multipart/mixed\r\n"

/* ------------------------------ tables ---------------------------------- */

static uint32_t pow2_at_least(uint32_t n)
{
    uint32_t p = 16;
    while (p < n && p < (1u << 30))
        p <<= 1;
    return p;
}

int srs__uas_init(struct srs *s, char *err, size_t errlen)
{
    s->sess_buckets = pow2_at_least(s->cfg.max_sessions * 2);
    s->max_txns = s->cfg.max_sessions * 8 < 4096 ? 4096 : s->cfg.max_sessions * 8;
    s->txn_buckets = pow2_at_least(s->max_txns);
    s->sess_hash = calloc(s->sess_buckets, sizeof *s->sess_hash);
    s->txn_hash = calloc(s->txn_buckets, sizeof *s->txn_hash);
    if (!s->sess_hash || !s->txn_hash) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static uint64_t hash_sv(struct srs *s, sv_t v)
{
    return hash_bytes(v.p, v.len, s->seed);
}

static srs__session_t *session_find(struct srs *s, sv_t call_id)
{
    uint64_t h = hash_sv(s, call_id);
    for (srs__session_t *ss = s->sess_hash[h & (s->sess_buckets - 1)]; ss; ss = ss->hnext)
        if (ss->hash == h && sv_eq(sv_from_cstr(ss->call_id), call_id)) return ss;
    return NULL;
}

static void txn_unlink(struct srs *s, srs__txn_t *t)
{
    srs__txn_t **pp = &s->txn_hash[t->hash & (s->txn_buckets - 1)];
    while (*pp && *pp != t)
        pp = &(*pp)->hnext;
    if (*pp) *pp = t->hnext;
    if (t->prev)
        t->prev->next = t->next;
    else
        s->txn_head = t->next;
    if (t->next)
        t->next->prev = t->prev;
    else
        s->txn_tail = t->prev;
    if (t->sess && t->sess->invite_txn == t) t->sess->invite_txn = NULL;
    buf_free(&t->last);
    free(t);
    s->n_txns--;
}

/* The transaction key: branch, method class (ACK and CANCEL look for
 * their INVITE with cls "INVITE"), Call-ID. */
static size_t txn_key(char *out, size_t n, const sip_msg_t *m, const char *cls)
{
    int len =
        snprintf(out, n, "%.*s|%s|%.*s|%u", (int)(m->via_branch.len > 80 ? 80 : m->via_branch.len),
                 m->via_branch.p ? m->via_branch.p : "", cls,
                 (int)(m->call_id.len > 60 ? 60 : m->call_id.len), m->call_id.p ? m->call_id.p : "",
                 sv_istarts_with(m->via_branch, "z9hG4bK") ? 0 : m->cseq);
    return len < 0 ? 0 : ((size_t)len < n ? (size_t)len : n - 1);
}

static srs__txn_t *txn_find(struct srs *s, const char *key, size_t klen)
{
    uint64_t h = hash_bytes(key, klen, s->seed);
    for (srs__txn_t *t = s->txn_hash[h & (s->txn_buckets - 1)]; t; t = t->hnext)
        if (t->hash == h && strcmp(t->key, key) == 0) return t;
    return NULL;
}

static srs__txn_t *txn_new(struct srs *s, const char *key, size_t klen, const srs__dest_t *d,
                           bool invite)
{
    if (s->n_txns >= s->max_txns) {
        /* the oldest one past its last response goes first */
        if (s->txn_head && s->txn_head->expires_at <= s->now + SRS__TXN_LIFE_NS / 2)
            txn_unlink(s, s->txn_head);
        else
            return NULL;
    }
    srs__txn_t *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    memcpy(t->key, key, klen + 1);
    t->hash = hash_bytes(key, klen, s->seed);
    t->invite = invite;
    t->dest = *d;
    t->expires_at = s->now + SRS__TXN_LIFE_NS;
    buf_init(&t->last);
    srs__txn_t **b = &s->txn_hash[t->hash & (s->txn_buckets - 1)];
    t->hnext = *b;
    *b = t;
    t->prev = s->txn_tail;
    if (s->txn_tail)
        s->txn_tail->next = t;
    else
        s->txn_head = t;
    s->txn_tail = t;
    s->n_txns++;
    return t;
}

/* Moves t to the tail of the expiry list, expiring 64*T1 from now. */
static void txn_refresh(struct srs *s, srs__txn_t *t)
{
    t->expires_at = s->now + SRS__TXN_LIFE_NS;
    if (t == s->txn_tail) return;
    if (t->prev)
        t->prev->next = t->next;
    else
        s->txn_head = t->next;
    t->next->prev = t->prev;
    t->prev = s->txn_tail;
    t->next = NULL;
    s->txn_tail->next = t;
    s->txn_tail = t;
}

/* ------------------------------ responses ------------------------------- */

static void local_tag(struct srs *s, const sip_msg_t *m, char out[SRS__TAG_LEN])
{
    uint64_t h = hash_bytes(m->call_id.p, m->call_id.len, s->seed ^ 0x5eed);
    h = hash_bytes(m->from.tag.p, m->from.tag.len, h);
    snprintf(out, SRS__TAG_LEN, "srs%016llx", (unsigned long long)h);
}

/* Appends a response to m.  to_tag: ours (NULL for 100 Trying and when the
 * To already has a tag). */
static void build_response(buf_t *b, const sip_msg_t *m, int code, const char *reason,
                           const char *to_tag, const char *extra, const char *ctype,
                           const char *body, size_t body_len)
{
    buf_printf(b, "SIP/2.0 %d %s\r\n", code, reason);
    for (unsigned i = 0; i < m->header_count; i++) {
        sv_t n = m->headers[i].name;
        if (sv_ieq_cstr(n, "via") || sv_ieq_cstr(n, "v"))
            buf_printf(b, "Via: %.*s\r\n", SV_FMT(m->headers[i].value));
    }
    buf_printf(b, "From: %.*s\r\n", SV_FMT(sip_header_get(m, "From", 0)));
    sv_t to = sip_header_get(m, "To", 0);
    buf_printf(b, "To: %.*s", SV_FMT(to));
    if (to_tag && !m->to.tag.p) buf_printf(b, ";tag=%s", to_tag);
    buf_printf(b, "\r\nCall-ID: %.*s\r\nCSeq: %u %.*s\r\n", SV_FMT(m->call_id), m->cseq,
               SV_FMT(m->cseq_method_name));
    buf_printf(b, "Server: siphon-srs\r\n");
    if (extra) buf_printf(b, "%s", extra);
    if (ctype && body_len) buf_printf(b, "Content-Type: %s\r\n", ctype);
    buf_printf(b, "Content-Length: %zu\r\n\r\n", body_len);
    if (body_len) buf_append(b, body, body_len);
}

static void send_buf(struct srs *s, const srs__dest_t *d, const buf_t *b)
{
    srs__send(s, d, b->data, b->len);
    SRS__STAT_INC(s, responses_sent);
}

/* Sends a response and keeps it as the transaction's last (t may be NULL). */
static void respond(struct srs *s, const srs__dest_t *d, srs__txn_t *t, const sip_msg_t *m,
                    int code, const char *reason, const char *extra)
{
    char tag[SRS__TAG_LEN];
    local_tag(s, m, tag);
    buf_t b;
    buf_init(&b);
    build_response(&b, m, code, reason, code > 100 ? tag : NULL, extra, NULL, NULL, 0);
    send_buf(s, d, &b);
    if (t) {
        buf_free(&t->last);
        t->last = b;
        txn_refresh(s, t);
        if (t->invite && code >= 300 && d->tp == SRS_UDP) {
            t->awaiting_ack = true;
            t->retrans_iv = SRS__T1_NS;
            t->retrans_at = s->now + SRS__T1_NS;
        }
    } else {
        buf_free(&b);
    }
}

/* The Contact of our 2xx answers: where the SRC sends in-dialog requests. */
static void contact_hdr(struct srs *s, const srs__dest_t *d, char *out, size_t n)
{
    char ip[IP_STR_MAX];
    ip_addr_format(&d->local.ip, ip, sizeof ip);
    if (s->media_address && s->media_address[0] && d->local.ip.family == IP_NONE)
        snprintf(ip, sizeof ip, "%s", s->media_address);
    bool v6 = d->local.ip.family == IP_V6;
    snprintf(out, n, "Contact: <sip:srs@%s%s%s:%u;transport=%s>;+sip.srs\r\n", v6 ? "[" : "", ip,
             v6 ? "]" : "", d->local.port, srs_transport_name(d->tp));
}

/* ------------------------------ sessions -------------------------------- */

static void session_free(struct srs *s, srs__session_t *ss)
{
    srs__session_t **pp = &s->sess_hash[ss->hash & (s->sess_buckets - 1)];
    while (*pp && *pp != ss)
        pp = &(*pp)->hnext;
    if (*pp) *pp = ss->hnext;
    if (ss->prev)
        ss->prev->next = ss->next;
    else
        s->sess_list = ss->next;
    if (ss->next) ss->next->prev = ss->prev;
    if (ss->invite_txn) ss->invite_txn->sess = NULL;
    for (uint32_t i = 0; i < ss->n_streams; i++)
        srs__stream_close(s, ss->streams[i]);
    srs_metadata_free(&ss->md);
    buf_free(&ss->resp_2xx);
    free(ss->call_id);
    free(ss->remote_tag);
    free(ss);
    s->n_sessions--;
    atomic_fetch_sub_explicit(&s->st.sessions_active, 1, memory_order_relaxed);
}

static void session_end(struct srs *s, srs__session_t *ss, const char *state)
{
    srs__session_emit(s, ss, state);
    SRS__STAT_INC(s, sessions_ended);
    session_free(s, ss);
}

static srs__session_t *session_new(struct srs *s, const sip_msg_t *m, const srs__dest_t *d)
{
    srs__session_t *ss = calloc(1, sizeof *ss);
    if (!ss) return NULL;
    ss->call_id = malloc(m->call_id.len + 1);
    ss->remote_tag = malloc(m->from.tag.len + 1);
    if (!ss->call_id || !ss->remote_tag) {
        free(ss->call_id);
        free(ss->remote_tag);
        free(ss);
        return NULL;
    }
    sv_copy_cstr(m->call_id, ss->call_id, m->call_id.len + 1);
    sv_copy_cstr(m->from.tag, ss->remote_tag, m->from.tag.len + 1);
    local_tag(s, m, ss->local_tag);
    ss->hash = hash_sv(s, m->call_id);
    ss->dest = *d;
    ss->start_wall_ns = clock_real_ns();
    ss->last_activity = s->now;
    ss->remote_cseq = m->cseq;
    buf_init(&ss->resp_2xx);
    srs_metadata_init(&ss->md);
    srs__session_t **b = &s->sess_hash[ss->hash & (s->sess_buckets - 1)];
    ss->hnext = *b;
    *b = ss;
    ss->next = s->sess_list;
    if (s->sess_list) s->sess_list->prev = ss;
    s->sess_list = ss;
    s->n_sessions++;
    SRS__STAT_INC(s, sessions_active);
    return ss;
}

/* The dialog of an in-dialog request: Call-ID and our To tag. */
static srs__session_t *dialog_of(struct srs *s, const sip_msg_t *m)
{
    srs__session_t *ss = session_find(s, m->call_id);
    if (!ss || !m->to.tag.p || !sv_eq(sv_from_cstr(ss->local_tag), m->to.tag)) return NULL;
    return ss;
}

/* Sends the session's 2xx and starts retransmitting it until the ACK. */
static void send_2xx(struct srs *s, srs__session_t *ss, uint32_t cseq)
{
    srs__send(s, &ss->dest, ss->resp_2xx.data, ss->resp_2xx.len);
    SRS__STAT_INC(s, responses_sent);
    ss->state = SRS__WAIT_ACK;
    ss->cseq_2xx = cseq;
    ss->retrans_iv = SRS__T1_NS;
    ss->retrans_at = s->now + SRS__T1_NS;
    ss->give_up_at = s->now + SRS__TXN_LIFE_NS;
}

/* ------------------------------ requests -------------------------------- */

static bool token_list_has(const sip_msg_t *m, const char *hdr, const char *token)
{
    for (unsigned i = 0;; i++) {
        sv_t v = sip_header_get(m, hdr, i);
        if (!v.p) return false;
        while (v.len) {
            long c = sv_index_of(v, ',');
            sv_t t = sv_trim(c >= 0 ? sv_make(v.p, (size_t)c) : v);
            if (sv_ieq_cstr(t, token)) return true;
            if (c < 0) break;
            v = sv_make(v.p + c + 1, v.len - (size_t)c - 1);
        }
    }
}

/* Require tokens we do not support, comma-separated into out ("" none). */
static void unsupported_required(const sip_msg_t *m, char *out, size_t n)
{
    out[0] = '\0';
    size_t o = 0;
    for (unsigned i = 0;; i++) {
        sv_t v = sip_header_get(m, "Require", i);
        if (!v.p) return;
        while (v.len) {
            long c = sv_index_of(v, ',');
            sv_t t = sv_trim(c >= 0 ? sv_make(v.p, (size_t)c) : v);
            if (t.len && !sv_ieq_cstr(t, "siprec") && !sv_ieq_cstr(t, "100rel") &&
                o + t.len + 3 < n) {
                o += (size_t)snprintf(out + o, n - o, "%s%.*s", o ? ", " : "", SV_FMT(t));
            }
            if (c < 0) break;
            v = sv_make(v.p + c + 1, v.len - (size_t)c - 1);
        }
    }
}

static bool contact_is_src(const sip_msg_t *m)
{
    sv_t c = m->contact;
    if (!c.p) return false;
    return sip_param_get(c, "+sip.src").p != NULL || sip_param_get(c, "src").p != NULL ||
           sv_ifind(c, SV_LIT("+sip.src")) >= 0;
}

/* Metadata of an offer into the session: 0, or 400 with the reason in buf. */
static int apply_metadata(struct srs *s, srs__session_t *ss, const srs__offer_t *o, char *why,
                          size_t whylen)
{
    if (!o->has_metadata) return 0;
    char err[160];
    if (srs_metadata_apply(&ss->md, o->metadata.p, o->metadata.len, s->cfg.max_metadata, err,
                           sizeof err) != 0) {
        snprintf(why, whylen, "Bad metadata: %s", err);
        SRS__STAT_INC(s, rejected_metadata);
        return 400;
    }
    SRS__STAT_INC(s, metadata_updates);
    return 0;
}

/* The 200 with an SDP answer into ss->resp_2xx (or a 200 without body). */
static void build_2xx(struct srs *s, srs__session_t *ss, const sip_msg_t *m, const srs__dest_t *d,
                      const buf_t *sdp)
{
    char contact[192];
    contact_hdr(s, d, contact, sizeof contact);
    char extra[512];
    snprintf(extra, sizeof extra, "%s" ALLOW_HDR SUPPORTED, contact);
    buf_reset(&ss->resp_2xx);
    build_response(&ss->resp_2xx, m, 200, "OK", ss->local_tag, extra,
                   sdp && sdp->len ? "application/sdp" : NULL, sdp ? sdp->data : NULL,
                   sdp ? sdp->len : 0);
}

static void on_invite(struct srs *s, const srs__dest_t *d, srs__txn_t *t, const sip_msg_t *m)
{
    respond(s, d, t, m, 100, "Trying", NULL);
    char unsup[128];
    unsupported_required(m, unsup, sizeof unsup);
    if (unsup[0]) {
        char extra[192];
        snprintf(extra, sizeof extra, "Unsupported: %s\r\n", unsup);
        SRS__STAT_INC(s, rejected_offer);
        respond(s, d, t, m, 420, "Bad Extension", extra);
        return;
    }
    srs__offer_t o;
    const char *reason = NULL;
    int code = srs__offer_parse(m, &o, &reason);
    if (code) {
        SRS__STAT_INC(s, rejected_offer);
        respond(s, d, t, m, code, reason, NULL);
        return;
    }
    bool recording = token_list_has(m, "Require", "siprec") || contact_is_src(m) || o.has_metadata;
    if (!recording) {
        SRS__STAT_INC(s, rejected_offer);
        respond(s, d, t, m, 488, "Not a SIPREC recording session", NULL);
        return;
    }
    if (!o.has_sdp) {
        SRS__STAT_INC(s, rejected_offer);
        respond(s, d, t, m, 488, "No SDP offer", NULL);
        return;
    }
    if (s->n_sessions >= s->cfg.max_sessions) {
        SRS__STAT_INC(s, rejected_busy);
        respond(s, d, t, m, 503, "Too many recording sessions", "Retry-After: 5\r\n");
        return;
    }
    if (session_find(s, m->call_id)) { /* a new INVITE reusing a live Call-ID */
        respond(s, d, t, m, 482, "Loop Detected", NULL);
        return;
    }
    srs__session_t *ss = session_new(s, m, d);
    if (!ss) {
        respond(s, d, t, m, 500, "Out of memory", NULL);
        return;
    }
    char why[200];
    code = apply_metadata(s, ss, &o, why, sizeof why);
    if (code) {
        respond(s, d, t, m, code, why, NULL);
        session_free(s, ss);
        return;
    }
    buf_t sdp;
    buf_init(&sdp);
    code = srs__offer_answer(s, ss, &o, &d->local.ip, &sdp, &reason);
    if (code) {
        SRS__STAT_INC(s, rejected_offer);
        respond(s, d, t, m, code, reason, code == 503 ? "Retry-After: 5\r\n" : NULL);
        session_free(s, ss);
        buf_free(&sdp);
        return;
    }
    build_2xx(s, ss, m, d, &sdp);
    buf_free(&sdp);
    SRS__STAT_INC(s, sessions_started);
    /* the 200 is the INVITE transaction's last response too: a
     * retransmitted INVITE gets it again */
    buf_reset(&t->last);
    buf_append(&t->last, ss->resp_2xx.data, ss->resp_2xx.len);
    if (s->cfg.answer_delay_ns > 0) { /* until then a retransmission gets 100 Trying */
        buf_reset(&t->last);
        build_response(&t->last, m, 100, "Trying", NULL, NULL, NULL, NULL, 0);
        ss->state = SRS__EARLY;
        ss->answer_at = s->now + s->cfg.answer_delay_ns;
        ss->cseq_2xx = m->cseq;
        ss->invite_txn = t;
        t->sess = ss;
        return;
    }
    send_2xx(s, ss, m->cseq);
}

/* re-INVITE and UPDATE in a dialog. */
static void on_reoffer(struct srs *s, const srs__dest_t *d, srs__txn_t *t, const sip_msg_t *m,
                       bool invite)
{
    if (invite) respond(s, d, t, m, 100, "Trying", NULL);
    srs__session_t *ss = dialog_of(s, m);
    if (!ss) {
        respond(s, d, t, m, 481, "Call/Transaction Does Not Exist", NULL);
        return;
    }
    ss->last_activity = s->now;
    if (invite)
        SRS__STAT_INC(s, reinvites);
    else
        SRS__STAT_INC(s, updates);
    srs__offer_t o;
    const char *reason = NULL;
    int code = srs__offer_parse(m, &o, &reason);
    if (code) {
        SRS__STAT_INC(s, rejected_offer);
        respond(s, d, t, m, code, reason, NULL);
        return;
    }
    char why[200];
    code = apply_metadata(s, ss, &o, why, sizeof why);
    if (code) {
        respond(s, d, t, m, code, why, NULL);
        return;
    }
    buf_t sdp;
    buf_init(&sdp);
    if (o.has_sdp) {
        code = srs__offer_answer(s, ss, &o, &d->local.ip, &sdp, &reason);
        if (code) {
            SRS__STAT_INC(s, rejected_offer);
            respond(s, d, t, m, code, reason, NULL);
            buf_free(&sdp);
            return;
        }
    }
    ss->remote_cseq = m->cseq;
    build_2xx(s, ss, m, d, &sdp);
    buf_free(&sdp);
    buf_reset(&t->last);
    buf_append(&t->last, ss->resp_2xx.data, ss->resp_2xx.len);
    txn_refresh(s, t);
    if (invite) {
        ss->dest = *d;
        send_2xx(s, ss, m->cseq);
    } else {
        send_buf(s, d, &t->last);
    }
}

static void on_cancel(struct srs *s, const srs__dest_t *d, srs__txn_t *t, const sip_msg_t *m)
{
    char key[sizeof t->key];
    size_t kl = txn_key(key, sizeof key, m, "INVITE");
    srs__txn_t *inv = txn_find(s, key, kl);
    if (!inv) {
        respond(s, d, t, m, 481, "Call/Transaction Does Not Exist", NULL);
        return;
    }
    respond(s, d, t, m, 200, "OK", NULL);
    srs__session_t *ss = inv->sess;
    if (!ss || ss->state != SRS__EARLY) return; /* already answered: too late */
    /* 487 to the INVITE: built from the CANCEL's headers with the INVITE's CSeq method */
    char tag[SRS__TAG_LEN];
    local_tag(s, m, tag);
    buf_t b;
    buf_init(&b);
    buf_printf(&b, "SIP/2.0 487 Request Terminated\r\n");
    for (unsigned i = 0; i < m->header_count; i++) {
        sv_t n = m->headers[i].name;
        if (sv_ieq_cstr(n, "via") || sv_ieq_cstr(n, "v"))
            buf_printf(&b, "Via: %.*s\r\n", SV_FMT(m->headers[i].value));
    }
    buf_printf(&b, "From: %.*s\r\nTo: %.*s%s%s\r\nCall-ID: %.*s\r\nCSeq: %u INVITE\r\n",
               SV_FMT(sip_header_get(m, "From", 0)), SV_FMT(sip_header_get(m, "To", 0)),
               m->to.tag.p ? "" : ";tag=", m->to.tag.p ? "" : tag, SV_FMT(m->call_id), m->cseq);
    buf_printf(&b, "Server: siphon-srs\r\nContent-Length: 0\r\n\r\n");
    send_buf(s, &inv->dest, &b);
    buf_free(&inv->last);
    inv->last = b;
    inv->sess = NULL;
    txn_refresh(s, inv);
    if (inv->dest.tp == SRS_UDP) {
        inv->awaiting_ack = true;
        inv->retrans_iv = SRS__T1_NS;
        inv->retrans_at = s->now + SRS__T1_NS;
    }
    ss->invite_txn = NULL;
    SRS__STAT_INC(s, sessions_cancelled);
    session_end(s, ss, "cancelled");
}

static void on_ack(struct srs *s, const sip_msg_t *m)
{
    char key[sizeof((srs__txn_t *)0)->key];
    size_t kl = txn_key(key, sizeof key, m, "INVITE");
    srs__txn_t *inv = txn_find(s, key, kl);
    if (inv && inv->awaiting_ack) { /* the ACK of a non-2xx final */
        inv->awaiting_ack = false;
        return;
    }
    srs__session_t *ss = dialog_of(s, m);
    if (!ss) return;
    ss->last_activity = s->now;
    if (ss->state == SRS__WAIT_ACK && m->cseq == ss->cseq_2xx) ss->state = SRS__CONFIRMED;
}

/* A 400 for a message sip_parse_message refused, when it has a Via. */
static void bad_request(struct srs *s, const srs__dest_t *d, const sip_msg_t *m)
{
    bool via = false;
    for (unsigned i = 0; i < m->header_count && !via; i++)
        via = sv_ieq_cstr(m->headers[i].name, "via") || sv_ieq_cstr(m->headers[i].name, "v");
    if (!via || !m->is_request || m->method == SIP_ACK) return;
    const char *why = !m->call_id.len    ? "Bad Request (missing Call-ID)"
                      : !m->cseq         ? "Bad Request (missing or malformed CSeq)"
                      : !m->from.uri.len ? "Bad Request (missing or malformed From)"
                      : !m->to.uri.len   ? "Bad Request (missing or malformed To)"
                                         : "Bad Request (malformed header)";
    respond(s, d, NULL, m, 400, why, NULL);
}

void srs__too_large(struct srs *s, const srs__dest_t *d, const uint8_t *hdr, size_t len)
{
    SRS__STAT_INC(s, sip_too_large);
    sip_msg_t m;
    if (sip_parse_message(hdr, len, &m) == PROTO_INVALID || !m.is_request || !m.via.p ||
        m.method == SIP_ACK)
        return;
    respond(s, d, NULL, &m, 413, "Request Entity Too Large", NULL);
}

/* ------------------------------ the SIP hook ---------------------------- */

static void tap_emit(struct srs *s, const char *call_id, const srs__dest_t *d, bool sent,
                     int64_t ts, const void *data, size_t len)
{
    srs_sip_t m = {.call_id = call_id,
                   .ts_ns = ts,
                   .transport = d->tp,
                   .src = sent ? d->local : d->peer,
                   .dst = sent ? d->peer : d->local,
                   .data = data,
                   .len = len};
    s->on_sip(s->on_sip_user, &m);
}

void srs__sip_tap_sent(struct srs *s, const srs__dest_t *d, const char *data, size_t len)
{
    if (s->tap_hold) { /* the request being handled decides (handle_tapped) */
        buf_append(&s->tap_out, d, sizeof *d);
        buf_append(&s->tap_out, &len, sizeof len);
        buf_append(&s->tap_out, data, len);
        return;
    }
    sip_msg_t m;
    if (sip_parse_message((const uint8_t *)data, len, &m) == PROTO_INVALID) return;
    srs__session_t *ss = session_find(s, m.call_id);
    if (ss) tap_emit(s, ss->call_id, d, true, clock_real_ns(), data, len);
}

static void handle(struct srs *s, const srs__dest_t *d, const uint8_t *data, size_t len);

void srs__on_message(struct srs *s, const srs__dest_t *d, const uint8_t *data, size_t len)
{
    if (!s->on_sip) {
        handle(s, d, data, len);
        return;
    }
    int64_t rx = clock_real_ns();
    sip_msg_t m;
    bool parsed = sip_parse_message(data, len, &m) != PROTO_INVALID && m.is_request;
    /* the Call-ID and the message are copied: handling may close a TCP
     * connection, and with it the buffer data points into */
    size_t cl = parsed ? m.call_id.len : 0;
    char *cid = malloc(cl + 1 + len);
    if (!cid) {
        handle(s, d, data, len);
        return;
    }
    memcpy(cid, parsed ? m.call_id.p : "", cl);
    cid[cl] = '\0';
    uint8_t *copy = (uint8_t *)cid + cl + 1;
    memcpy(copy, data, len);
    bool before = parsed && session_find(s, m.call_id) != NULL;
    s->tap_hold = true;
    buf_reset(&s->tap_out);
    handle(s, d, data, len);
    s->tap_hold = false;
    bool after = parsed && session_find(s, sv_from_cstr(cid)) != NULL;
    if (before || after) {
        tap_emit(s, cid, d, false, rx, copy, len);
        int64_t tx = clock_real_ns();
        for (size_t at = 0; at + sizeof(srs__dest_t) + sizeof(size_t) <= s->tap_out.len;) {
            srs__dest_t rd;
            size_t rl;
            memcpy(&rd, s->tap_out.data + at, sizeof rd);
            memcpy(&rl, s->tap_out.data + at + sizeof rd, sizeof rl);
            at += sizeof rd + sizeof rl;
            tap_emit(s, cid, &rd, true, tx, s->tap_out.data + at, rl);
            at += rl;
        }
    }
    buf_reset(&s->tap_out);
    free(cid);
}

static void handle(struct srs *s, const srs__dest_t *d, const uint8_t *data, size_t len)
{
    SRS__STAT_INC(s, sip_received);
    sip_msg_t m;
    proto_status_t ps = sip_parse_message(data, len, &m);
    if (ps == PROTO_INVALID) {
        SRS__STAT_INC(s, sip_malformed);
        bad_request(s, d, &m);
        return;
    }
    if (!m.is_request) return; /* we send no requests: a stray response */
    if (!srs__allowed(s, &d->peer.ip)) {
        SRS__STAT_INC(s, forbidden);
        if (m.method != SIP_ACK)
            respond(s, d, NULL, &m, 403, "Forbidden (not in siprec.allow)", NULL);
        return;
    }
    if (ps == PROTO_INCOMPLETE) {
        SRS__STAT_INC(s, sip_malformed);
        if (m.method != SIP_ACK)
            respond(s, d, NULL, &m, 400, "Bad Request (body shorter than Content-Length)", NULL);
        return;
    }
    if (!m.via.p) {
        SRS__STAT_INC(s, sip_malformed);
        return; /* nowhere to answer */
    }
    if (m.method == SIP_ACK) {
        on_ack(s, &m);
        return;
    }
    const char *cls = m.method == SIP_METHOD_UNKNOWN ? "X" : sip_method_name(m.method);
    char key[sizeof((srs__txn_t *)0)->key];
    size_t kl = txn_key(key, sizeof key, &m, cls);
    srs__txn_t *t = txn_find(s, key, kl);
    if (t) { /* a retransmission */
        SRS__STAT_INC(s, retransmissions_absorbed);
        if (t->last.len) send_buf(s, d, &t->last);
        return;
    }
    t = txn_new(s, key, kl, d, m.method == SIP_INVITE);
    if (!t) {
        SRS__STAT_INC(s, transactions_full);
        respond(s, d, NULL, &m, 503, "Service Unavailable (transaction table full)",
                "Retry-After: 5\r\n");
        return;
    }
    switch (m.method) {
    case SIP_INVITE:
        if (m.to.tag.p)
            on_reoffer(s, d, t, &m, true);
        else
            on_invite(s, d, t, &m);
        break;
    case SIP_UPDATE:
        on_reoffer(s, d, t, &m, false);
        break;
    case SIP_CANCEL:
        on_cancel(s, d, t, &m);
        break;
    case SIP_BYE: {
        srs__session_t *ss = dialog_of(s, &m);
        if (!ss) {
            respond(s, d, t, &m, 481, "Call/Transaction Does Not Exist", NULL);
            break;
        }
        respond(s, d, t, &m, 200, "OK", NULL);
        session_end(s, ss, "completed");
        break;
    }
    case SIP_OPTIONS:
        SRS__STAT_INC(s, options);
        respond(s, d, t, &m, 200, "OK", ALLOW_HDR SUPPORTED ACCEPT_HDR);
        break;
    case SIP_INFO:
    case SIP_PRACK: {
        srs__session_t *ss = dialog_of(s, &m);
        if (ss) ss->last_activity = s->now;
        respond(s, d, t, &m, ss ? 200 : 481, ss ? "OK" : "Call/Transaction Does Not Exist", NULL);
        break;
    }
    default:
        respond(s, d, t, &m, 405, "Method Not Allowed", ALLOW_HDR);
        break;
    }
}

/* ------------------------------ timers ---------------------------------- */

static bool media_idle(struct srs *s, srs__session_t *ss)
{
    int64_t last = ss->last_activity;
    for (uint32_t i = 0; i < ss->n_streams; i++) {
        srs__stream_t *st = ss->streams[i];
        pthread_mutex_lock(&st->lock);
        if (st->last_rx_mono > last) last = st->last_rx_mono;
        pthread_mutex_unlock(&st->lock);
    }
    return s->now - last > s->cfg.idle_timeout_ns;
}

void srs__timers(struct srs *s)
{
    while (s->txn_head && s->txn_head->expires_at <= s->now)
        txn_unlink(s, s->txn_head);
    for (srs__txn_t *t = s->txn_head; t; t = t->next) {
        if (!t->awaiting_ack || t->retrans_at > s->now) continue;
        srs__send(s, &t->dest, t->last.data, t->last.len);
        SRS__STAT_INC(s, retransmissions_sent);
        t->retrans_iv = t->retrans_iv * 2 > SRS__T2_NS ? SRS__T2_NS : t->retrans_iv * 2;
        t->retrans_at = s->now + t->retrans_iv;
    }
    bool idle_check = s->cfg.idle_timeout_ns > 0 && s->now >= s->next_idle_check;
    if (idle_check) s->next_idle_check = s->now + 1000000000LL;
    for (srs__session_t *ss = s->sess_list, *next; ss; ss = next) {
        next = ss->next;
        if (ss->state == SRS__EARLY && ss->answer_at <= s->now) {
            if (ss->invite_txn) { /* a retransmitted INVITE now gets the 200 */
                buf_reset(&ss->invite_txn->last);
                buf_append(&ss->invite_txn->last, ss->resp_2xx.data, ss->resp_2xx.len);
                ss->invite_txn->sess = NULL;
            }
            ss->invite_txn = NULL;
            send_2xx(s, ss, ss->cseq_2xx);
        } else if (ss->state == SRS__WAIT_ACK) {
            if (ss->give_up_at <= s->now) {
                session_end(s, ss, "no_ack");
                continue;
            }
            if (ss->retrans_at <= s->now && ss->dest.tp == SRS_UDP) {
                srs__send(s, &ss->dest, ss->resp_2xx.data, ss->resp_2xx.len);
                SRS__STAT_INC(s, retransmissions_sent);
                ss->retrans_iv = ss->retrans_iv * 2 > SRS__T2_NS ? SRS__T2_NS : ss->retrans_iv * 2;
                ss->retrans_at = s->now + ss->retrans_iv;
            }
        }
        if (idle_check && media_idle(s, ss)) {
            SRS__STAT_INC(s, sessions_timed_out);
            session_end(s, ss, "timeout");
        }
    }
    srs__reap_zombies(s, false);
}

void srs__end_all(struct srs *s)
{
    while (s->sess_list)
        session_end(s, s->sess_list, "shutdown");
}

void srs__uas_free(struct srs *s)
{
    srs__end_all(s);
    while (s->txn_head)
        txn_unlink(s, s->txn_head);
    free(s->sess_hash);
    free(s->txn_hash);
    s->sess_hash = NULL;
    s->txn_hash = NULL;
}
