/* gen_sip.c - SIP message text (RFC 3261) with SDP bodies (RFC 4566) for
 * siphon-gen.
 *
 * One function formats any message of a two-party call from a small spec:
 * who sent the request (a response copies that request's Via, From, To and
 * CSeq, as RFC 3261 8.2.6 requires), the CSeq, the branch, the callee's tag,
 * and whether an SDP offer or answer is attached.  Requests from the caller
 * carry From = caller; requests from the callee (its BYE) carry From =
 * callee with the To tag, so dialog matching in the analyser is exercised
 * in both directions.  Text goes straight into the call's buffer; messages
 * refer to it by offset, so planning a call costs one growing buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

const char *gen_reason_phrase(int code)
{
    switch (code) {
    case 100:
        return "Trying";
    case 180:
        return "Ringing";
    case 200:
        return "OK";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 486:
        return "Busy Here";
    case 487:
        return "Request Terminated";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

void gen_token(uint64_t *rng, char *out, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t r = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % 16 == 0) r = gen_rand(rng);
        out[i] = hex[r & 15];
        r >>= 4;
    }
    out[n] = '\0';
}

/* "10.1.0.5" or "[2001:db8::5]" */
static void host_text(const ip_addr_t *a, char *out, size_t n)
{
    char ip[IP_STR_MAX];
    ip_addr_format(a, ip, sizeof ip);
    if (a->family == IP_V6)
        snprintf(out, n, "[%s]", ip);
    else
        snprintf(out, n, "%s", ip);
}

static size_t sdp_body(const gen_call_t *c, const gen_opts_t *o, const gen_sip_spec_t *s, char *out,
                       size_t n)
{
    const gen_codec_info_t *ci = gen_codec_info(o->codec);
    bool caller = s->sdp == 1;
    const ip_addr_t *ip = caller ? &c->caller_ip : &c->callee_ip;
    uint16_t port = caller ? (s->new_port ? c->caller_rtp2 : c->caller_rtp) : c->callee_rtp;
    char addr[IP_STR_MAX];
    ip_addr_format(ip, addr, sizeof addr);
    const char *fam = ip->family == IP_V6 ? "IP6" : "IP4";
    char crypto[160];
    size_t clen = gen_audio_sdp(o, c, caller, s->new_port, crypto, sizeof crypto);
    crypto[clen] = '\0';
    int len =
        snprintf(out, n,
                 "v=0\r\n"
                 "o=%s %u %u IN %s %s\r\n"
                 "s=siphon-gen\r\n"
                 "c=IN %s %s\r\n"
                 "t=0 0\r\n"
                 "m=audio %u RTP/%s %u 101\r\n"
                 "a=rtpmap:%u %s/%u%s\r\n"
                 "%s%s"
                 "a=rtpmap:101 telephone-event/8000\r\n"
                 "a=fmtp:101 0-16\r\n"
                 "a=ptime:%u\r\n"
                 "a=sendrecv\r\n",
                 caller ? c->caller : c->callee, 1000u + c->index, s->sdp_version, fam, addr, fam,
                 addr, port, o->srtp ? "SAVP" : "AVP", ci->payload_type, ci->payload_type, ci->name,
                 ci->clock_rate, o->codec == CODEC_OPUS ? "/2" : "",
                 o->codec == CODEC_G729 ? "a=fmtp:18 annexb=no\r\n" : "", crypto, o->ptime_ms);
    return (size_t)len;
}

void gen_sip_add(gen_call_t *c, const gen_opts_t *o, int64_t t, const gen_sip_spec_t *s)
{
    char caller_host[IP_STR_MAX + 2], callee_host[IP_STR_MAX + 2];
    host_text(&c->caller_ip, caller_host, sizeof caller_host);
    host_text(&c->callee_ip, callee_host, sizeof callee_host);
    const char *tp = o->tcp ? "TCP" : "UDP";
    const char *tparam = o->tcp ? ";transport=tcp" : "";
    char body[1024];
    size_t body_len = s->sdp ? sdp_body(c, o, s, body, sizeof body) : 0;
    buf_t *b = &c->text;
    size_t off = b->len;

    /* the request being sent or answered */
    const char *req_host = s->by_caller ? caller_host : callee_host;
    uint16_t req_port = s->by_caller ? o->sip_port : c->callee_sip_port;
    const char *from_user = s->by_caller ? c->caller : c->callee;
    const char *from_uri = s->by_caller ? c->from_uri : c->to_uri;
    const char *from_tag = s->by_caller ? c->from_tag : s->to_tag;
    const char *to_uri = s->by_caller ? c->to_uri : c->from_uri;
    const char *to_tag = s->by_caller ? s->to_tag : c->from_tag;

    if (s->request) {
        const char *target_user = s->by_caller ? c->callee : c->caller;
        const char *target_host = s->by_caller ? callee_host : caller_host;
        uint16_t target_port = s->by_caller ? c->callee_sip_port : o->sip_port;
        buf_printf(b, "%s sip:%s@%s:%u%s SIP/2.0\r\n", s->method, target_user, target_host,
                   target_port, tparam);
    } else {
        buf_printf(b, "SIP/2.0 %d %s\r\n", s->code, gen_reason_phrase(s->code));
    }
    buf_printf(b, "Via: SIP/2.0/%s %s:%u;branch=%s;rport\r\n", tp, req_host, req_port, s->branch);
    if (s->request) buf_printf(b, "Max-Forwards: 70\r\n");
    if (s->by_caller)
        buf_printf(b, "From: \"Caller %s\" <%s>", from_user, from_uri);
    else
        buf_printf(b, "From: <%s>", from_uri);
    if (from_tag) buf_printf(b, ";tag=%s", from_tag);
    buf_printf(b, "\r\nTo: <%s>", to_uri);
    if (to_tag) buf_printf(b, ";tag=%s", to_tag);
    buf_printf(b, "\r\nCall-ID: %s\r\nCSeq: %u %s\r\n", c->call_id, s->cseq, s->method);

    bool invite = strcmp(s->method, "INVITE") == 0;
    bool sender_caller = s->request ? s->by_caller : !s->by_caller;
    if (invite && (s->request || (s->code > 100 && s->code < 300))) {
        if (sender_caller)
            buf_printf(b, "Contact: <sip:%s@%s:%u%s>\r\n", c->caller, caller_host, o->sip_port,
                       tparam);
        else
            buf_printf(b, "Contact: <sip:%s@%s:%u%s>\r\n", c->callee, callee_host,
                       c->callee_sip_port, tparam);
    }
    if (s->credentials)
        buf_printf(b,
                   "Authorization: Digest username=\"%s\", realm=\"example.com\", "
                   "nonce=\"%s\", uri=\"sip:%s@%s\", response=\"%s%s\", algorithm=MD5\r\n",
                   c->caller, c->tag401, c->callee, callee_host, c->tag401, c->from_tag);
    if (s->challenge)
        buf_printf(b,
                   "WWW-Authenticate: Digest realm=\"example.com\", nonce=\"%s\", "
                   "algorithm=MD5, qop=\"auth\"\r\n",
                   c->tag401);
    if (s->request && sender_caller) buf_printf(b, "User-Agent: siphon-gen/1.0\r\n");
    if (!s->request || !sender_caller) buf_printf(b, "Server: siphon-gen-uas/1.0\r\n");
    if (invite && s->request)
        buf_printf(b, "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\nSupported: timer\r\n");
    if (s->padding) {
        /* makes the INVITE exceed a 1500-byte MTU (--fragment) */
        buf_printf(b, "X-Padding: ");
        for (int i = 0; i < 36; i++)
            buf_printf(b, "pad-%02d-abcdefghijklmnopqrstuvwxyz0123456789 ", i);
        buf_printf(b, "end\r\n");
    }
    if (body_len) buf_printf(b, "Content-Type: application/sdp\r\n");
    buf_printf(b, "Content-Length: %zu\r\n\r\n", body_len);
    if (body_len) buf_append(b, body, body_len);

    if (c->nmsgs == c->cap_msgs) {
        c->cap_msgs = c->cap_msgs ? c->cap_msgs * 2 : 16;
        c->msgs = realloc(c->msgs, c->cap_msgs * sizeof *c->msgs);
        if (!c->msgs) {
            fprintf(stderr, "siphon-gen: out of memory\n");
            exit(2);
        }
    }
    c->msgs[c->nmsgs++] = (gen_sip_msg_t){.t = t,
                                          .off = (uint32_t)off,
                                          .len = (uint32_t)(b->len - off),
                                          .from_caller = sender_caller};
}
