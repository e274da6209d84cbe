/* summary.c - a SIP message or a call reduced to what the detectors read,
 * on the shard's thread, into a record the detection thread owns.
 *
 * The correlator's corr_sip_message_t names the common fields; the rest
 * (Request-URI user, From display name and tag, Via branch, Authorization,
 * Subject, Contact) come from the correlator's own parse of the message
 * (corr_sip_message_t.parsed), read for the requests that open something
 * (INVITE, REGISTER, OPTIONS, ...) only: a quarter of a call's messages,
 * and all of a scanner's.  Strings are cut to
 * fixed sizes: a hostile 8 KB User-Agent costs 72 bytes.
 */
#include "det_internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static void cp(sv_t v, char *dst, size_t n)
{
    sv_copy_cstr(v, dst, n);
}

/* A quoted-string or token parameter of a digest credential. */
static sv_t auth_param(sv_t value, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i + nl + 1 < value.len; i++) {
        if (i && value.p[i - 1] != ' ' && value.p[i - 1] != ',' && value.p[i - 1] != '\t') continue;
        if (strncasecmp(value.p + i, name, nl) != 0 || value.p[i + nl] != '=') continue;
        size_t j = i + nl + 1;
        if (j < value.len && value.p[j] == '"') {
            size_t k = ++j;
            while (k < value.len && value.p[k] != '"')
                k++;
            return (sv_t){value.p + j, k - j};
        }
        size_t k = j;
        while (k < value.len && value.p[k] != ',' && value.p[k] != ' ')
            k++;
        return (sv_t){value.p + j, k - j};
    }
    return SV_NULL;
}

/* The user part of a Request-URI (sip:user@host, tel:number). */
static sv_t ruri_user(sv_t uri)
{
    const char *p = uri.p;
    size_t n = uri.len, i = 0;
    while (i < n && p[i] != ':')
        i++;
    if (i >= n) return SV_NULL;
    size_t s = ++i;
    while (i < n && p[i] != '@' && p[i] != ';' && p[i] != '>')
        i++;
    if (i < n && p[i] == '@') return (sv_t){p + s, i - s};
    if (uri.len >= 4 && strncasecmp(p, "tel:", 4) == 0) return (sv_t){p + s, i - s};
    return SV_NULL;
}

void det__summarise_msg(const corr_sip_message_t *m, det__msg_t *o)
{
    memset(o, 0, sizeof *o);
    o->ts_ns = m->ts_ns;
    o->src = m->src;
    o->dst = m->dst;
    o->is_request = m->is_request;
    o->status = (uint16_t)m->status_code;
    o->cseq = m->cseq;
    o->call_id_hash = hash_bytes(m->call_id.p, m->call_id.len, 0x6465742d63696431ULL);
    cp(m->call_id, o->call_id, sizeof o->call_id);
    cp(m->from_user, o->from_user, sizeof o->from_user);
    cp(m->to_user, o->to_user, sizeof o->to_user);
    cp(m->user_agent, o->user_agent, sizeof o->user_agent);
    o->cseq_method = (uint8_t)sip_method_from_sv(m->cseq_method);
    if (m->is_request) o->method = (uint8_t)sip_method_from_sv(m->method);
    /* a response tells the detectors nothing more than the fields above, nor
     * does a request inside a dialog (ACK, BYE, CANCEL, PRACK, UPDATE, INFO:
     * no scanner or guesser starts with one) */
    if (m->parse == CORR_SIP_INVALID || !m->is_request) return;
    switch (o->method) {
    case SIP_ACK:
    case SIP_BYE:
    case SIP_CANCEL:
    case SIP_PRACK:
    case SIP_UPDATE:
    case SIP_INFO:
        return;
    default:
        break;
    }
    const sip_msg_t *p = m->parsed;
    if (!p) return;
    cp(p->from.display, o->from_display, sizeof o->from_display);
    cp(p->from.tag, o->from_tag, sizeof o->from_tag);
    cp(p->via_branch, o->via_branch, sizeof o->via_branch);
    if (p->is_request) cp(ruri_user(p->request_uri), o->ruri_user, sizeof o->ruri_user);
    sv_t auth = sip_header_get(p, "Authorization", 0);
    if (!auth.len) auth = sip_header_get(p, "Proxy-Authorization", 0);
    if (auth.len) {
        o->has_auth = true;
        cp(auth_param(auth, "username"), o->auth_user, sizeof o->auth_user);
        sv_t nonce = auth_param(auth, "nonce"), resp = auth_param(auth, "response");
        o->auth_nonce_hash = hash_bytes(nonce.p, nonce.len, 1) | 1;
        o->auth_response_hash = hash_bytes(resp.p, resp.len, 2) | 1;
    }
    sv_t subj = sip_header_get(p, "Subject", 0);
    o->subject_perf_test = subj.len && sv_ieq_cstr(subj, "Performance Test");
    if (p->contact.len) {
        sip_name_addr_t c;
        if (sip_parse_name_addr(p->contact, &c))
            o->contact_123 =
                sv_eq(c.user, sv_from_cstr("123")) && sv_eq(c.host, sv_from_cstr("1.1.1.1"));
    }
}

void det__summarise_call(const corr_call_t *c, det__call_t *o)
{
    memset(o, 0, sizeof *o);
    o->start_ns = c->start_ts_ns;
    o->answer_ns = c->answer_ts_ns;
    o->end_ns = c->end_ts_ns;
    o->src = c->src;
    o->dst = c->dst;
    o->final_code = c->final_code;
    o->state = (uint8_t)c->state;
    o->mos = c->mos;
    for (uint8_t i = 0; i < c->flag_count; i++)
        if (c->flags[i].flag == CORR_CALL_FLAG_ONE_WAY_AUDIO) o->one_way_audio = true;
    cp(sv_from_cstr(c->caller), o->caller, sizeof o->caller);
    cp(sv_from_cstr(c->callee), o->callee, sizeof o->callee);
    cp(sv_from_cstr(c->call_id), o->call_id, sizeof o->call_id);
}
