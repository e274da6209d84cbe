/* corr_testlib.h - helpers shared by the correlator unit tests: a sink that
 * keeps copies of emitted calls and orphan streams, and builders that feed
 * hand-written SIP (CRLF, Content-Length filled in), SDP and RTP to a
 * correlator as datagram_t, each in an exact-size heap buffer so ASan sees
 * any over-read.
 *
 * Party A (caller, alice) signals from 10.0.0.1:5060, party B (callee, bob)
 * from 10.0.0.2:5060.  Times are milliseconds from T0. */
#ifndef CORR_TESTLIB_H
#define CORR_TESTLIB_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlator.h"

#define T0        (1700000000LL * NS_PER_SEC)
#define AT(ms)    (T0 + (int64_t)(ms)*NS_PER_MSEC)
#define MAX_CALLS 64
#define MAX_ST    16

typedef struct {
    corr_call_t calls[MAX_CALLS];
    corr_stream_t streams[MAX_CALLS][MAX_ST];
    int ncalls;
    corr_stream_t orphans[MAX_CALLS];
    int norphans;
    corr_vq_report_t vqs[8]; /* standalone RFC 6035 reports */
    int nvq;
} test_sink_t;

static inline void ts_on_call(void *user, const corr_call_t *call)
{
    test_sink_t *s = user;
    if (s->ncalls >= MAX_CALLS) return;
    int i = s->ncalls++;
    s->calls[i] = *call;
    uint32_t n = call->stream_count < MAX_ST ? call->stream_count : MAX_ST;
    memcpy(s->streams[i], call->streams, n * sizeof *call->streams);
    s->calls[i].streams = s->streams[i];
}

static inline void ts_on_orphan(void *user, const corr_stream_t *st)
{
    test_sink_t *s = user;
    if (s->norphans < MAX_CALLS) s->orphans[s->norphans++] = *st;
}

static inline void ts_on_vq(void *user, const corr_vq_report_t *r)
{
    test_sink_t *s = user;
    if (s->nvq < 8) s->vqs[s->nvq++] = *r;
}

static inline corr_t *ts_new(test_sink_t *s, const corr_config_t *cfg_in)
{
    memset(s, 0, sizeof *s);
    corr_config_t cfg;
    if (cfg_in) {
        cfg = *cfg_in;
    } else {
        corr_config_default(&cfg);
        cfg.max_calls = 64;
        cfg.max_streams = 256;
        cfg.max_media_endpoints = 256;
        cfg.max_orphan_flows = 64;
    }
    corr_sink_t sink = {.on_call = ts_on_call,
                        .on_orphan_stream = ts_on_orphan,
                        .user = s,
                        .on_vq_report = ts_on_vq};
    return corr_new(&cfg, &sink);
}

static inline const corr_call_t *ts_find(const test_sink_t *s, const char *call_id)
{
    for (int i = 0; i < s->ncalls; i++)
        if (strcmp(s->calls[i].call_id, call_id) == 0) return &s->calls[i];
    return NULL;
}

static inline endpoint_t ts_ep(const char *ip, uint16_t port)
{
    endpoint_t e;
    memset(&e, 0, sizeof e);
    ip_addr_parse(sv_from_cstr(ip), &e.ip);
    e.port = port;
    return e;
}

static inline void ts_feed(corr_t *c, int64_t ts, endpoint_t src, endpoint_t dst, transport_t tr,
                           const void *data, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, data, len);
    datagram_t dg = {
        .ts_ns = ts, .src = src, .dst = dst, .transport = tr, .data = copy, .len = len};
    corr_on_datagram(c, &dg);
    free(copy);
}

enum { A_TO_B = 0, B_TO_A = 1 };

/* Sends a SIP message at packet time ts: fmt gives start line and headers
 * separated by "\n" (without Content-Length); sdp (LF lines, may be NULL)
 * becomes the body. */
static inline void ts_sip_vat(corr_t *c, int64_t ts, int dir, const char *sdp, const char *fmt,
                              va_list ap)
{
    char head[4096], msg[8192], body[2048] = "";
    vsnprintf(head, sizeof head, fmt, ap);
    size_t n = 0, bl = 0;
    if (sdp)
        for (const char *p = sdp; *p && bl + 2 < sizeof body; p++) {
            if (*p == '\n') body[bl++] = '\r';
            body[bl++] = *p;
        }
    body[bl] = '\0';
    for (const char *p = head; *p && n + 2 < sizeof msg; p++) {
        if (*p == '\n') msg[n++] = '\r';
        msg[n++] = *p;
    }
    n += (size_t)snprintf(msg + n, sizeof msg - n, "%sContent-Length: %zu\r\n\r\n%s",
                          sdp ? "Content-Type: application/sdp\r\n" : "", bl, body);
    endpoint_t a = ts_ep("10.0.0.1", 5060), b = ts_ep("10.0.0.2", 5060);
    ts_feed(c, ts, dir == A_TO_B ? a : b, dir == A_TO_B ? b : a, TRANSPORT_UDP, msg, n);
}

/* ts_sip_vat at ms after T0. */
static inline void ts_sip(corr_t *c, double ms, int dir, const char *sdp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ts_sip_vat(c, T0 + (int64_t)(ms * NS_PER_MSEC), dir, sdp, fmt, ap);
    va_end(ap);
}

/* An audio SDP offering PCMU and telephone-event/8000 as 101. */
static inline const char *ts_sdp(char *buf, size_t n, const char *ip, int port, const char *extra)
{
    snprintf(buf, n,
             "v=0\no=- 1 1 IN IP4 %s\ns=-\nc=IN IP4 %s\nt=0 0\n"
             "m=audio %d RTP/AVP 0 101\na=rtpmap:0 PCMU/8000\n"
             "a=rtpmap:101 telephone-event/8000\n%s",
             ip, ip, port, extra ? extra : "");
    return buf;
}

/* Requests from the caller / the callee and responses in the dialog of
 * call-id cid: ftag is the caller's tag, ttag the callee's (NULL: none). */
static inline void ts_invite(corr_t *c, double ms, const char *cid, unsigned cseq, const char *ftag,
                             const char *ttag, const char *branch, const char *sdp)
{
    ts_sip(c, ms, A_TO_B, sdp,
           "INVITE sip:bob@10.0.0.2 SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK%s\n"
           "From: \"Alice\" <sip:alice@example.com>;tag=%s\nTo: <sip:bob@example.com>%s%s\n"
           "Call-ID: %s\nCSeq: %u INVITE\nUser-Agent: TestUA/1.0\nMax-Forwards: 70\n",
           branch, ftag, ttag ? ";tag=" : "", ttag ? ttag : "", cid, cseq);
}

static inline void ts_resp(corr_t *c, double ms, int code, const char *phrase, const char *cid,
                           unsigned cseq, const char *method, const char *ftag, const char *ttag,
                           const char *extra, const char *sdp)
{
    ts_sip(c, ms, B_TO_A, sdp,
           "SIP/2.0 %d %s\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKx\n"
           "From: \"Alice\" <sip:alice@example.com>;tag=%s\nTo: <sip:bob@example.com>%s%s\n"
           "Call-ID: %s\nCSeq: %u %s\n%s",
           code, phrase, ftag, ttag ? ";tag=" : "", ttag ? ttag : "", cid, cseq, method,
           extra ? extra : "");
}

/* In-dialog request (ACK, BYE, CANCEL, UPDATE, ...) from the caller. */
static inline void ts_req_caller(corr_t *c, double ms, const char *method, const char *cid,
                                 unsigned cseq, const char *ftag, const char *ttag,
                                 const char *extra, const char *sdp)
{
    ts_sip(c, ms, A_TO_B, sdp,
           "%s sip:bob@10.0.0.2 SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK%s%u\n"
           "From: <sip:alice@example.com>;tag=%s\nTo: <sip:bob@example.com>%s%s\n"
           "Call-ID: %s\nCSeq: %u %s\n%s",
           method, method, cseq, ftag, ttag ? ";tag=" : "", ttag ? ttag : "", cid, cseq, method,
           extra ? extra : "");
}

/* In-dialog request from the callee (From/To swapped). */
static inline void ts_req_callee(corr_t *c, double ms, const char *method, const char *cid,
                                 unsigned cseq, const char *ftag, const char *ttag,
                                 const char *extra, const char *sdp)
{
    ts_sip(c, ms, B_TO_A, sdp,
           "%s sip:alice@10.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKb%s%u\n"
           "From: <sip:bob@example.com>;tag=%s\nTo: <sip:alice@example.com>;tag=%s\n"
           "Call-ID: %s\nCSeq: %u %s\n%s",
           method, method, cseq, ttag, ftag, cid, cseq, method, extra ? extra : "");
}

/* One RTP packet (12-byte header + 160 bytes). */
static inline void ts_rtp(corr_t *c, double ms, const char *sip, uint16_t sport, const char *dip,
                          uint16_t dport, uint32_t ssrc, uint16_t seq, uint32_t ts, uint8_t pt)
{
    uint8_t p[172];
    memset(p, 0xd5, sizeof p);
    p[0] = 0x80;
    p[1] = pt & 0x7f;
    p[2] = (uint8_t)(seq >> 8);
    p[3] = (uint8_t)seq;
    p[4] = (uint8_t)(ts >> 24);
    p[5] = (uint8_t)(ts >> 16);
    p[6] = (uint8_t)(ts >> 8);
    p[7] = (uint8_t)ts;
    p[8] = (uint8_t)(ssrc >> 24);
    p[9] = (uint8_t)(ssrc >> 16);
    p[10] = (uint8_t)(ssrc >> 8);
    p[11] = (uint8_t)ssrc;
    ts_feed(c, T0 + (int64_t)(ms * NS_PER_MSEC), ts_ep(sip, sport), ts_ep(dip, dport),
            TRANSPORT_UDP, p, sizeof p);
}

/* n packets every 20 ms from ms0. */
static inline void ts_rtp_run(corr_t *c, double ms0, const char *sip, uint16_t sport,
                              const char *dip, uint16_t dport, uint32_t ssrc, uint16_t seq0, int n)
{
    for (int i = 0; i < n; i++)
        ts_rtp(c, ms0 + 20.0 * i, sip, sport, dip, dport, ssrc, (uint16_t)(seq0 + i),
               1000u + 160u * (uint32_t)i, 0);
}

#endif /* CORR_TESTLIB_H */
