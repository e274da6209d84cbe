/* test_siprec.c - unit tests of the SIPREC recording server (siprec/)
 * without sockets: the metadata model on every real SRC offer of
 * ../shared/data/siprec (CRLF and LF), partial updates, hostile documents;
 * and the UAS through srs_process/srs_tick: INVITE/100/200 with the SDP
 * answer, retransmissions absorbed, 2xx retransmitted until the ACK,
 * re-INVITE pause, metadata-only UPDATE, BYE and the session record,
 * CANCEL before the answer, 503 at max_sessions, SRTP answers, refused
 * streams, malformed requests; and one started server on loopback whose
 * RTP and RTCP reach the media hook and the record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "proto.h"
#include "siprec.h"

#include <srtp2/srtp.h>

static char *slurp(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/data/siprec/%s", SHARED_DIR, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *b = malloc(1 << 16);
    *len = fread(b, 1, (1 << 16) - 1, f);
    b[*len] = '\0';
    fclose(f);
    return b;
}

/* LF -> CRLF (real SIP uses CRLF; the shared files keep upstream LF). */
static char *crlf(const char *s, size_t *len)
{
    char *o = malloc(strlen(s) * 2 + 1);
    size_t n = 0;
    for (; *s; s++) {
        if (*s == '\n') o[n++] = '\r';
        o[n++] = *s;
    }
    o[n] = '\0';
    *len = n;
    return o;
}

/* The metadata part of a shared body into md; 0 or -1 like srs_metadata_apply. */
static int apply_body(srs_metadata_t *md, const char *text, size_t len)
{
    char boundary[128] = "";
    const char *d = strstr(text, "\n--");
    assert_non_null(d);
    sscanf(d + 3, "%127[^\r\n ]", boundary);
    char ct[200];
    snprintf(ct, sizeof ct, "multipart/mixed;boundary=\"%s\"", boundary);
    mime_part_t parts[8];
    int n = mime_multipart_parse(sv_from_cstr(ct), sv_make(text, len), parts, 8);
    assert_true(n >= 2);
    for (int i = 0; i < n; i++) {
        sv_t disp = mime_part_header(parts[i].headers, "Content-Disposition", NULL);
        if (disp.p && sv_istarts_with(disp, "recording-session")) {
            char err[160];
            return srs_metadata_apply(md, parts[i].body.p, parts[i].body.len, 65536, err,
                                      sizeof err);
        }
    }
    fail_msg("no metadata part");
    return -1;
}

static const char *sender_of(const srs_metadata_t *md, const char *label)
{
    const srs_md_stream_t *s = srs_metadata_stream_by_label(md, label);
    const srs_md_participant_t *p = s ? srs_metadata_sender(md, s->id) : NULL;
    return p ? p->aor : NULL;
}

static void check_dialect(const char *file, int lf, uint32_t parts, const char *label1,
                          const char *sender1, const char *call_id)
{
    size_t len;
    char *raw = slurp(file, &len);
    char *text = raw;
    if (!lf) text = crlf(raw, &len);
    srs_metadata_t md;
    srs_metadata_init(&md);
    assert_int_equal(apply_body(&md, text, len), 0);
    assert_int_equal(md.n_participants, parts);
    assert_non_null(srs_metadata_stream_by_label(&md, label1));
    if (sender1)
        assert_string_equal(sender_of(&md, label1), sender1);
    else
        assert_null(sender_of(&md, label1));
    if (call_id) {
        assert_true(md.n_call_ids >= 1);
        assert_string_equal(md.call_ids[0], call_id);
    }
    assert_int_equal(md.updates, 1);
    srs_metadata_free(&md);
    if (text != raw) free(text);
    free(raw);
}

static void test_dialects(void **state)
{
    (void)state;
    for (int lf = 0; lf < 2; lf++) {
        check_dialect("cisco_cube_invite_body.txt", lf, 2, "2", "sip:7300@35.162.237.204",
                      "e9fffff2020a598b86962867715db0cf");
        check_dialect("cisco_cube_invite_body_inactive.txt", lf, 2, "1", NULL,
                      "f845891467cf5c2189987435807bd432");
        check_dialect("oracle_acme_sbc_invite_body.txt", lf, 2, "16777228",
                      "sip:1002@192.168.50.10", NULL);
        check_dialect("avaya_env_acme_format_invite_body.txt", lf, 2, "201835599",
                      "sip:31624895902@10.10.128.62", "134485702_44821128@10.10.128.62");
        check_dialect("sonus_ribbon_sbc_invite_body.txt", lf, 2, "1", "2249888012@172.16.195.72",
                      "2da553f7-a48b-1235-d6a2-5254003a4988");
        check_dialect("sems_procomm_invite_body.txt", lf, 2, "b_leg",
                      "Extension-016190619@speechpath.ie", NULL);
        check_dialect("opensips_connectel_invite_body.txt", lf, 2, "2", NULL,
                      "2d8abbf0769c66e15bb349f509693d60@52.57.92.239");
    }
    /* Acme: roles from callingParty, the vendor extension kept verbatim */
    size_t len;
    char *raw = slurp("oracle_acme_sbc_invite_body.txt", &len);
    srs_metadata_t md;
    srs_metadata_init(&md);
    assert_int_equal(apply_body(&md, raw, len), 0);
    assert_string_equal(md.participants[0].role, "calling");
    assert_string_equal(md.participants[1].role, "called");
    assert_string_equal(md.participants[0].name, "9000");
    assert_non_null(md.extensions);
    assert_non_null(strstr(md.extensions, "apkt:callingParty"));
    srs_metadata_free(&md);
    free(raw);
}

static void test_partial_and_hostile(void **state)
{
    (void)state;
    srs_metadata_t md;
    srs_metadata_init(&md);
    char err[160];
    const char *full = "<recording xmlns='urn:ietf:params:xml:ns:recording:1'><datamode>complete"
                       "</datamode><participant participant_id='p'><nameID aor='sip:x@y'/>"
                       "</participant><stream stream_id='s1' session_id='z'><label>1</label>"
                       "</stream></recording>";
    const char *part = "<recording xmlns='urn:ietf:params:xml:ns:recording:1'><DataMode>partial"
                       "</DataMode><participant participant_id='q'><nameID aor='sip:q@y'>"
                       "<name>Q</name></nameID></participant><participantstreamassoc "
                       "participant_id='q'><send>s1</send></participantstreamassoc></recording>";
    assert_int_equal(srs_metadata_apply(&md, full, strlen(full), 65536, err, sizeof err), 0);
    assert_int_equal(srs_metadata_apply(&md, part, strlen(part), 65536, err, sizeof err), 0);
    assert_int_equal(md.n_participants, 2);
    assert_string_equal(srs_metadata_sender(&md, "s1")->aor, "sip:q@y");
    assert_int_equal(md.updates, 2);
    /* a complete snapshot replaces the model */
    assert_int_equal(srs_metadata_apply(&md, full, strlen(full), 65536, err, sizeof err), 0);
    assert_int_equal(md.n_participants, 1);
    assert_null(srs_metadata_sender(&md, "s1"));

    const char *bad[] = {
        "<?xml version='1.0'?><!DOCTYPE r [<!ENTITY a 'b'>]><recording>&a;</recording>",
        "<!DOCTYPE recording SYSTEM 'http://example.com/x.dtd'><recording/>",
        "<recording><participant participant_id='p'>",
        "<notrecording/>",
        "not xml at all",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(srs_metadata_apply(&md, bad[i], strlen(bad[i]), 65536, err, sizeof err),
                         -1);
        assert_true(err[0] != '\0');
    }
    char deep[4096] = "<recording>";
    for (int i = 0; i < 100; i++)
        strcat(deep, "<a>");
    for (int i = 0; i < 100; i++)
        strcat(deep, "</a>");
    strcat(deep, "</recording>");
    assert_int_equal(srs_metadata_apply(&md, deep, strlen(deep), 65536, err, sizeof err), -1);
    assert_non_null(strstr(err, "deeper"));
    assert_int_equal(srs_metadata_apply(&md, full, strlen(full), 16, err, sizeof err), -1);
    assert_non_null(strstr(err, "exceeds"));
    /* refused documents changed nothing */
    assert_int_equal(md.n_participants, 1);
    assert_int_equal(md.updates, 3);
    srs_metadata_free(&md);
}

/* ------------------------------ the UAS --------------------------------- */

typedef struct {
    int sessions;
    char state[32];
    uint32_t streams, participants;
    uint32_t pauses;
    char label0[32];
    char sender0[64];
} rec_t;

static void on_session(void *user, const srs_session_t *s)
{
    rec_t *r = user;
    r->sessions++;
    snprintf(r->state, sizeof r->state, "%s", s->state);
    r->streams = s->n_streams;
    r->participants = s->n_participants;
    r->pauses = s->n_streams ? s->streams[0].pauses : 0;
    snprintf(r->label0, sizeof r->label0, "%s",
             s->n_streams && s->streams[0].label ? s->streams[0].label : "");
    snprintf(r->sender0, sizeof r->sender0, "%s",
             s->n_streams && s->streams[0].sender_aor ? s->streams[0].sender_aor : "");
}

static srs_t *server(srs_config_t *c, rec_t *r)
{
    char err[200];
    c->no_sockets = true;
    c->rtp_port_min = 40000;
    c->rtp_port_max = 40099;
    srs_t *s = srs_new(c, err, sizeof err);
    assert_non_null(s);
    srs_set_session_listener(s, on_session, r);
    return s;
}

static endpoint_t peer(void)
{
    endpoint_t e;
    memset(&e, 0, sizeof e);
    ip_addr_parse(SV_LIT("10.1.1.1"), &e.ip);
    e.port = 5060;
    return e;
}

/* A request with body (CRLF), into b. */
static void request(buf_t *b, const char *method, int cseq, const char *branch, const char *to_tag,
                    const char *extra, const char *ctype, const char *body)
{
    buf_reset(b);
    buf_printf(b,
               "%s sip:srs@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bK%s\r\n"
               "From: <sip:src@10.1.1.1>;tag=src1\r\nTo: <sip:srs@192.0.2.1>%s%s\r\n"
               "Call-ID: unit-1@10.1.1.1\r\nCSeq: %d %s\r\n"
               "Contact: <sip:src@10.1.1.1:5060>;+sip.src\r\n%s",
               method, branch, to_tag ? ";tag=" : "", to_tag ? to_tag : "", cseq, method,
               extra ? extra : "");
    if (ctype) buf_printf(b, "Content-Type: %s\r\n", ctype);
    buf_printf(b, "Content-Length: %zu\r\n\r\n%s", body ? strlen(body) : 0, body ? body : "");
}

static void send_req(srs_t *s, const buf_t *req, buf_t *out)
{
    endpoint_t p = peer();
    buf_reset(out);
    srs_process(s, SRS_UDP, &p, (const uint8_t *)req->data, req->len, out);
    buf_putc(out, '\0');
    out->len--;
}

static char *body_crlf(const char *file)
{
    size_t len;
    char *raw = slurp(file, &len);
    char *b = crlf(raw, &len);
    free(raw);
    return b;
}

/* The To tag of the last response in out. */
static void to_tag_of(const buf_t *out, char *tag, size_t n)
{
    const char *t = strstr(out->data, ";tag=srs");
    assert_non_null(t);
    sscanf(t + 5, "%63[^\r\n;>]", tag);
    (void)n;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static void test_session(void **state)
{
    (void)state;
    srs_config_t c;
    srs_config_default(&c);
    rec_t r = {0};
    srs_t *s = server(&c, &r);
    buf_t req, out;
    buf_init(&req);
    buf_init(&out);
    char *body = body_crlf("cisco_cube_invite_body.txt");
    request(&req, "INVITE", 1, "inv1", NULL, "Require: siprec\r\n",
            "multipart/mixed;boundary=uniqueBoundary", body);
    send_req(s, &req, &out);
    assert_true(strncmp(out.data, "SIP/2.0 100 Trying", 18) == 0);
    assert_non_null(strstr(out.data, "SIP/2.0 200 OK"));
    assert_non_null(strstr(out.data, ";+sip.srs"));
    assert_int_equal(count(out.data, "m=audio "), 2);
    assert_non_null(strstr(out.data, "m=audio 40000 RTP/AVP 0 101"));
    assert_non_null(strstr(out.data, "m=audio 40002 RTP/AVP 0 101"));
    assert_int_equal(count(out.data, "a=recvonly"), 2);
    assert_non_null(strstr(out.data, "a=label:1\r\n"));
    assert_non_null(strstr(out.data, "a=label:2\r\n"));
    char tag[64];
    to_tag_of(&out, tag, sizeof tag);
    /* a retransmitted INVITE gets the same 200 and nothing else happens */
    send_req(s, &req, &out);
    assert_true(strncmp(out.data, "SIP/2.0 200 OK", 14) == 0);
    srs_stats_t st;
    srs_stats(s, &st);
    assert_int_equal(st.retransmissions_absorbed, 1);
    assert_int_equal(st.sessions_started, 1);
    /* no ACK yet: the 200 is retransmitted after T1 */
    int64_t t = clock_mono_ns() + 600 * 1000000LL;
    buf_reset(&out);
    srs_tick(s, t, &out);
    assert_true(out.len > 0 && strncmp(out.data, "SIP/2.0 200 OK", 14) == 0);
    request(&req, "ACK", 1, "ack1", tag, NULL, NULL, NULL);
    send_req(s, &req, &out);
    assert_int_equal(out.len, 0);
    buf_reset(&out);
    srs_tick(s, t + 5000 * 1000000LL, &out);
    assert_int_equal(out.len, 0); /* acknowledged: no more retransmissions */

    /* re-INVITE pausing both streams: the same ports, a=inactive */
    char *paused = strdup(body);
    for (char *p; (p = strstr(paused, "a=sendonly")) != NULL;)
        memcpy(p, "a=inactive", 10);
    request(&req, "INVITE", 2, "inv2", tag, NULL, "multipart/mixed;boundary=uniqueBoundary",
            paused);
    send_req(s, &req, &out);
    assert_non_null(strstr(out.data, "SIP/2.0 200 OK"));
    assert_non_null(strstr(out.data, "m=audio 40000 "));
    assert_int_equal(count(out.data, "a=inactive"), 2);
    request(&req, "ACK", 2, "ack2", tag, NULL, NULL, NULL);
    send_req(s, &req, &out);

    /* metadata-only UPDATE: 200 without a body */
    const char *md = "<recording xmlns='urn:ietf:params:xml:ns:recording:1'><datamode>partial"
                     "</datamode><participant participant_id='extra'><nameID aor='sip:e@x'/>"
                     "</participant></recording>";
    request(&req, "UPDATE", 3, "upd3", tag, NULL, "application/rs-metadata+xml", md);
    send_req(s, &req, &out);
    assert_true(strncmp(out.data, "SIP/2.0 200 OK", 14) == 0);
    assert_non_null(strstr(out.data, "Content-Length: 0"));

    /* OPTIONS, an unknown dialog's BYE, then the BYE */
    request(&req, "OPTIONS", 4, "opt4", NULL, NULL, NULL, NULL);
    send_req(s, &req, &out);
    assert_true(strncmp(out.data, "SIP/2.0 200 OK", 14) == 0);
    assert_non_null(strstr(out.data, "Supported: siprec"));
    request(&req, "BYE", 5, "bye5", "wrongtag", NULL, NULL, NULL);
    send_req(s, &req, &out);
    assert_true(strncmp(out.data, "SIP/2.0 481", 11) == 0);
    assert_int_equal(r.sessions, 0);
    request(&req, "BYE", 5, "bye5b", tag, NULL, NULL, NULL);
    send_req(s, &req, &out);
    assert_true(strncmp(out.data, "SIP/2.0 200 OK", 14) == 0);
    assert_int_equal(r.sessions, 1);
    assert_string_equal(r.state, "completed");
    assert_int_equal(r.streams, 2);
    assert_int_equal(r.participants, 3);
    assert_int_equal(r.pauses, 1);
    assert_string_equal(r.label0, "1");
    assert_string_equal(r.sender0, "sip:7301@35.162.237.204");
    srs_stats(s, &st);
    assert_int_equal(st.sessions_active, 0);
    assert_int_equal(st.reinvites, 1);
    assert_int_equal(st.updates, 1);
    free(paused);
    free(body);
    buf_free(&req);
    buf_free(&out);
    srs_free(s);
}

/* The SIP hook: a session's messages both ways, in order, nothing of
 * requests that made no session. */
typedef struct {
    int n, requests, responses;
    buf_t all; /* the messages, separated by two NULs (srs_layout_sip's input) */
    char first_line[8][40];
} sip_tap_t;

static void on_sip(void *user, const srs_sip_t *m)
{
    sip_tap_t *t = user;
    assert_string_equal(m->call_id, "unit-1@10.1.1.1");
    bool req = strncmp((const char *)m->data, "SIP/2.0", 7) != 0;
    endpoint_t p = peer();
    /* requests come from the SRC, responses go to it */
    assert_true(endpoint_eq(req ? &m->src : &m->dst, &p));
    if (req)
        t->requests++;
    else
        t->responses++;
    if (t->n < 8) {
        /* the message is not NUL-terminated: its first line ends at CR */
        const void *cr = memchr(m->data, '\r', m->len);
        size_t n = cr ? (size_t)((const uint8_t *)cr - (const uint8_t *)m->data) : m->len;
        snprintf(t->first_line[t->n], 40, "%.*s", (int)n, (const char *)m->data);
    }
    if (t->all.len) buf_append(&t->all, "\0\0", 2);
    buf_append(&t->all, m->data, m->len);
    t->n++;
}

static void test_sip_hook_and_layout(void **state)
{
    (void)state;
    srs_config_t c;
    srs_config_default(&c);
    rec_t r = {0};
    srs_t *s = server(&c, &r);
    sip_tap_t t = {0};
    buf_init(&t.all);
    srs_set_sip_hook(s, on_sip, &t);
    buf_t req, out;
    buf_init(&req);
    buf_init(&out);
    request(&req, "OPTIONS", 1, "opt1", NULL, NULL, NULL, NULL);
    send_req(s, &req, &out);
    assert_int_equal(t.n, 0); /* no session: not handed out */
    char *body = body_crlf("cisco_cube_invite_body.txt");
    request(&req, "INVITE", 1, "inv1", NULL, "Require: siprec\r\n",
            "multipart/mixed;boundary=uniqueBoundary", body);
    send_req(s, &req, &out);
    char tag[64];
    to_tag_of(&out, tag, sizeof tag);
    assert_int_equal(t.n, 3);
    assert_string_equal(t.first_line[0], "INVITE sip:srs@192.0.2.1 SIP/2.0");
    assert_string_equal(t.first_line[1], "SIP/2.0 100 Trying");
    assert_string_equal(t.first_line[2], "SIP/2.0 200 OK");
    request(&req, "ACK", 1, "ack1", tag, NULL, NULL, NULL);
    send_req(s, &req, &out);
    request(&req, "BYE", 2, "bye2", "wrongtag", NULL, NULL, NULL);
    send_req(s, &req, &out); /* 481: the Call-ID is a session's, so it is kept */
    request(&req, "BYE", 3, "bye3", tag, NULL, NULL, NULL);
    send_req(s, &req, &out);
    assert_int_equal(r.sessions, 1);
    assert_int_equal(t.n, 8);
    assert_int_equal(t.requests, 4);
    assert_int_equal(t.responses, 4);
    assert_string_equal(t.first_line[6], "BYE sip:srs@192.0.2.1 SIP/2.0");
    assert_string_equal(t.first_line[7], "SIP/2.0 200 OK");

    /* the stored session read back: ports, labels, codecs, senders, sides */
    srs_layout_t *l = srs_layout_new(0);
    assert_non_null(l);
    const uint8_t *p = (const uint8_t *)t.all.data, *end = p + t.all.len;
    while (p < end) {
        const uint8_t *q = p;
        while (q + 1 < end && !(q[0] == 0 && q[1] == 0))
            q++;
        if (q + 1 >= end) q = end;
        srs_layout_sip(l, p, (size_t)(q - p));
        p = q + 2;
    }
    assert_true(srs_layout_is_session(l));
    assert_int_equal(srs_layout_streams(l), 2);
    srs_layout_stream_t st;
    assert_int_equal(srs_layout_find(l, 40000, &st), 0);
    assert_int_equal(st.index, 0);
    assert_string_equal(st.label, "1");
    assert_string_equal(st.codec, "PCMU");
    assert_int_equal(st.clock_rate, 8000);
    assert_int_equal(st.side, 0);
    assert_string_equal(st.sender_aor, "sip:7301@35.162.237.204");
    assert_int_equal(srs_layout_find(l, 40002, &st), 0);
    assert_int_equal(st.index, 1);
    assert_int_equal(st.side, 1);
    assert_string_equal(st.sender_aor, "sip:7300@35.162.237.204");
    assert_int_equal(srs_layout_find(l, 40001, &st), -1); /* RTCP port: no stream */
    srs_layout_free(l);
    free(body);
    buf_free(&t.all);
    buf_free(&req);
    buf_free(&out);
    srs_free(s);
}

static void test_cancel_busy_and_refusals(void **state)
{
    (void)state;
    srs_config_t c;
    srs_config_default(&c);
    c.max_sessions = 1;
    c.answer_delay_ns = 1000 * 1000000LL;
    rec_t r = {0};
    srs_t *s = server(&c, &r);
    buf_t req, out;
    buf_init(&req);
    buf_init(&out);
    const char *sdp = "v=0\r\no=- 1 1 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
                      "m=audio 30000 RTP/SAVP 0\r\na=label:x\r\na=sendonly\r\n"
                      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
                      "inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e|2^31\r\n"
                      "m=audio 0 RTP/AVP 0\r\na=label:y\r\n"
                      "m=audio 30004 RTP/SAVP 0\r\na=label:z\r\na=crypto:1 F8_128_HMAC_SHA1_80 "
                      "inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e\r\n";
    request(&req, "INVITE", 1, "c1", NULL, "Require: siprec\r\n", "application/sdp", sdp);
    send_req(s, &req, &out);
    assert_true(strncmp(out.data, "SIP/2.0 100 Trying", 18) == 0);
    assert_null(strstr(out.data, "SIP/2.0 200")); /* held by answer_delay */
    /* the second session: 503 with Retry-After */
    buf_t req2;
    buf_init(&req2);
    request(&req2, "INVITE", 1, "c2", NULL, "Require: siprec\r\n", "application/sdp", sdp);
    char *cid = strstr(req2.data, "unit-1@");
    cid[5] = '2';
    send_req(s, &req2, &out);
    assert_non_null(strstr(out.data, "SIP/2.0 503"));
    assert_non_null(strstr(out.data, "Retry-After:"));
    /* CANCEL: 200, then 487 to the INVITE; the session ends cancelled */
    request(&req, "CANCEL", 1, "c1", NULL, NULL, NULL, NULL);
    send_req(s, &req, &out);
    assert_true(strncmp(out.data, "SIP/2.0 200 OK", 14) == 0);
    assert_non_null(strstr(out.data, "SIP/2.0 487 Request Terminated"));
    assert_non_null(strstr(out.data, "CSeq: 1 INVITE"));
    assert_int_equal(r.sessions, 1);
    assert_string_equal(r.state, "cancelled");
    /* the offer again, answered at once after the delay: SRTP with our own
     * key, the port-0 stream and the unknown suite refused */
    request(&req, "INVITE", 1, "c3", NULL, "Require: siprec\r\n", "application/sdp", sdp);
    cid = strstr(req.data, "unit-1@");
    cid[5] = '3';
    send_req(s, &req, &out);
    buf_reset(&out);
    srs_tick(s, clock_mono_ns() + 1500 * 1000000LL, &out);
    buf_putc(&out, '\0');
    assert_non_null(strstr(out.data, "SIP/2.0 200 OK"));
    assert_non_null(strstr(out.data, "RTP/SAVP 0\r\n"));
    const char *cr = strstr(out.data, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:");
    assert_non_null(cr);
    assert_null(strstr(out.data, "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e"));
    assert_non_null(strstr(out.data, "m=audio 0 RTP/AVP 0\r\n"));
    assert_non_null(strstr(out.data, "m=audio 0 RTP/SAVP 0\r\n"));
    /* malformed: no CSeq -> 400 naming it; Require: foo -> 420 */
    buf_reset(&req);
    buf_printf(&req, "OPTIONS sip:srs SIP/2.0\r\nVia: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bKm\r\n"
                     "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: m@x\r\n"
                     "Content-Length: 0\r\n\r\n");
    send_req(s, &req, &out);
    assert_non_null(strstr(out.data, "SIP/2.0 400 Bad Request (missing or malformed CSeq)"));
    request(&req, "INVITE", 1, "r1", NULL, "Require: siprec, foo\r\n", "application/sdp", sdp);
    send_req(s, &req, &out);
    assert_non_null(strstr(out.data, "SIP/2.0 420"));
    assert_non_null(strstr(out.data, "Unsupported: foo"));
    buf_free(&req);
    buf_free(&req2);
    buf_free(&out);
    srs_free(s);
    /* srs_free ends the session left ("shutdown") through the listener */
    assert_int_equal(r.sessions, 2);
    assert_string_equal(r.state, "shutdown");
}

/* ------------------------------ with sockets ---------------------------- */

typedef struct {
    int rtp, rtcp;
    uint16_t dst_port;
    char label[16];
} hook_t;

static void on_packet(void *user, const srs_packet_t *p)
{
    hook_t *h = user;
    if (p->rtcp)
        h->rtcp++;
    else
        h->rtp++;
    h->dst_port = p->dst.port;
    snprintf(h->label, sizeof h->label, "%s", p->label);
}

static uint16_t free_udp_port(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t l = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &l);
    close(fd);
    return ntohs(a.sin_port);
}

/* A started server on loopback: INVITE over UDP, RTP to the answered port,
 * every packet through the media hook and into the record, BYE. */
static void test_started_server_media_hook(void **state)
{
    (void)state;
    srs_config_t c;
    srs_config_default(&c);
    char err[200];
    c.n_listen = 1;
    assert_int_equal(srs_parse_listen("udp:127.0.0.1:5060", &c.listen[0], err, sizeof err), 0);
    c.listen[0].addr.port = free_udp_port();
    uint16_t base = (uint16_t)(free_udp_port() & ~1u);
    c.rtp_port_min = base;
    c.rtp_port_max = (uint16_t)(base + 9);
    rec_t r = {0};
    hook_t h = {0};
    srs_t *s = srs_new(&c, err, sizeof err);
    assert_non_null(s);
    srs_set_session_listener(s, on_session, &r);
    srs_set_media_hook(s, on_packet, &h);
    assert_int_equal(srs_start(s, err, sizeof err), 0);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct timeval tv = {.tv_sec = 2};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in srv = {.sin_family = AF_INET,
                              .sin_port = htons(c.listen[0].addr.port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    buf_t req;
    buf_init(&req);
    const char *sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                      "m=audio 30000 RTP/AVP 8\r\na=label:h1\r\na=sendonly\r\n";
    request(&req, "INVITE", 1, "s1", NULL, "Require: siprec\r\n", "application/sdp", sdp);
    sendto(fd, req.data, req.len, 0, (struct sockaddr *)&srv, sizeof srv);
    char resp[4096];
    ssize_t n = 0;
    for (int i = 0; i < 3; i++) { /* 100 Trying, then the 200 */
        n = recv(fd, resp, sizeof resp - 1, 0);
        assert_true(n > 0);
        resp[n] = '\0';
        if (strncmp(resp, "SIP/2.0 200", 11) == 0) break;
    }
    assert_true(strncmp(resp, "SIP/2.0 200", 11) == 0);
    unsigned port = 0;
    assert_int_equal(sscanf(strstr(resp, "m=audio "), "m=audio %u", &port), 1);
    assert_int_equal(port, base);
    assert_non_null(strstr(resp, "c=IN IP4 127.0.0.1"));
    char tag[64];
    buf_t out = {.data = resp, .len = (size_t)n};
    to_tag_of(&out, tag, sizeof tag);
    request(&req, "ACK", 1, "s2", tag, NULL, NULL, NULL);
    sendto(fd, req.data, req.len, 0, (struct sockaddr *)&srv, sizeof srv);
    struct sockaddr_in rtp = srv;
    rtp.sin_port = htons((uint16_t)port);
    for (int i = 0; i < 20; i++) {
        uint8_t pkt[172] = {
            0x80, 8, 0, (uint8_t)i, 0, 0, (uint8_t)(i * 160 >> 8), (uint8_t)(i * 160), 1, 2, 3, 4};
        sendto(fd, pkt, sizeof pkt, 0, (struct sockaddr *)&rtp, sizeof rtp);
    }
    uint8_t rr[8] = {0x80, 201, 0, 1, 1, 2, 3, 4};
    rtp.sin_port = htons((uint16_t)(port + 1));
    sendto(fd, rr, sizeof rr, 0, (struct sockaddr *)&rtp, sizeof rtp);
    for (int i = 0; i < 100 && (h.rtp < 20 || h.rtcp < 1); i++)
        usleep(10000);
    request(&req, "BYE", 2, "s3", tag, NULL, NULL, NULL);
    sendto(fd, req.data, req.len, 0, (struct sockaddr *)&srv, sizeof srv);
    n = recv(fd, resp, sizeof resp - 1, 0);
    assert_true(n > 0);
    assert_true(strncmp(resp, "SIP/2.0 200", 11) == 0);
    for (int i = 0; i < 100 && r.sessions == 0; i++)
        usleep(10000);
    srs_stats_t st;
    srs_stats(s, &st);
    srs_free(s);
    close(fd);
    buf_free(&req);
    assert_int_equal(h.rtp, 20);
    assert_int_equal(h.rtcp, 1);
    assert_string_equal(h.label, "h1");
    assert_int_equal(h.dst_port, port + 1);
    assert_int_equal(r.sessions, 1);
    assert_string_equal(r.state, "completed");
    assert_int_equal(st.rtp_packets, 20);
    assert_int_equal(st.rtcp_packets, 1);
}

/* Every SDES suite siprec decrypts is answered with a key of its length. */
static void test_srtp_suites(void **state)
{
    (void)state;
    static const struct {
        const char *suite;
        size_t key_len;
    } suites[] = {{"AES_CM_128_HMAC_SHA1_80", 30},
                  {"AES_CM_128_HMAC_SHA1_32", 30},
                  {"AES_256_CM_HMAC_SHA1_80", 46},
                  {"AEAD_AES_128_GCM", 28},
                  {"AEAD_AES_256_GCM", 44}};
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
        srs_config_t c;
        srs_config_default(&c);
        rec_t r = {0};
        srs_t *s = server(&c, &r);
        /* base64 of key_len bytes 1, 2, 3, ... */
        char key[80];
        size_t o = 0;
        for (size_t k = 0; k < suites[i].key_len; k += 3) {
            uint32_t v = (uint32_t)(k + 1) << 16 | (uint32_t)(k + 2) << 8 | (uint32_t)(k + 3);
            key[o++] = b64[(v >> 18) & 63];
            key[o++] = b64[(v >> 12) & 63];
            key[o++] = k + 1 < suites[i].key_len ? b64[(v >> 6) & 63] : '=';
            key[o++] = k + 2 < suites[i].key_len ? b64[v & 63] : '=';
        }
        key[o] = '\0';
        char sdp[512];
        snprintf(sdp, sizeof sdp,
                 "v=0\r\no=- 1 1 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
                 "m=audio 30000 RTP/SAVP 8\r\na=label:k\r\na=sendonly\r\n"
                 "a=crypto:7 %s inline:%s\r\n",
                 suites[i].suite, key);
        buf_t req, out;
        buf_init(&req);
        buf_init(&out);
        request(&req, "INVITE", 1, "k1", NULL, "Require: siprec\r\n", "application/sdp", sdp);
        send_req(s, &req, &out);
        char want[96];
        snprintf(want, sizeof want, "a=crypto:7 %s inline:", suites[i].suite);
        const char *cr = strstr(out.data, want);
        if (!cr) fail_msg("%s: no a=crypto in the answer:\n%s", suites[i].suite, out.data);
        assert_non_null(strstr(out.data, "m=audio 40000 RTP/SAVP 8"));
        /* our key: as long as theirs, not theirs */
        const char *k = cr + strlen(want);
        size_t kl = strcspn(k, "\r|");
        assert_int_equal(kl, strlen(key));
        assert_true(strncmp(k, key, kl) != 0);
        buf_free(&req);
        buf_free(&out);
        srs_free(s);
    }
}

/* A 200 never acknowledged ends the session "no_ack" after 64*T1; a
 * session with no SIP and no media for siprec.idle_timeout ends "timeout". */
static void test_no_ack_and_idle(void **state)
{
    (void)state;
    srs_config_t c;
    srs_config_default(&c);
    c.idle_timeout_ns = 60 * 1000000000LL;
    rec_t r = {0};
    srs_t *s = server(&c, &r);
    buf_t req, out;
    buf_init(&req);
    buf_init(&out);
    const char *sdp = "v=0\r\no=- 1 1 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
                      "m=audio 30000 RTP/AVP 0\r\na=label:x\r\na=sendonly\r\n";
    request(&req, "INVITE", 1, "n1", NULL, "Require: siprec\r\n", "application/sdp", sdp);
    send_req(s, &req, &out);
    assert_non_null(strstr(out.data, "SIP/2.0 200 OK"));
    int64_t t0 = clock_mono_ns();
    int resent = 0;
    for (int64_t t = t0; t < t0 + 31 * 1000000000LL; t += 250 * 1000000LL) {
        buf_reset(&out);
        srs_tick(s, t, &out);
        resent += out.len > 0;
    }
    /* T1 doubling to T2: 0.5, 1, 2, 4, 4, ... s: 10 retransmissions in 31 s */
    assert_true(resent >= 8 && resent <= 11);
    assert_int_equal(r.sessions, 0);
    buf_reset(&out);
    srs_tick(s, t0 + 33 * 1000000000LL, &out);
    assert_int_equal(r.sessions, 1);
    assert_string_equal(r.state, "no_ack");

    /* the second one is acknowledged, then nothing: idle_timeout */
    request(&req, "INVITE", 1, "n2", NULL, "Require: siprec\r\n", "application/sdp", sdp);
    char *cid = strstr(req.data, "unit-1@");
    cid[5] = '9';
    send_req(s, &req, &out);
    char tag[64];
    to_tag_of(&out, tag, sizeof tag);
    request(&req, "ACK", 1, "n3", tag, NULL, NULL, NULL);
    cid = strstr(req.data, "unit-1@");
    cid[5] = '9';
    send_req(s, &req, &out);
    t0 = clock_mono_ns();
    srs_tick(s, t0 + 30 * 1000000000LL, &out);
    assert_int_equal(r.sessions, 1);
    srs_tick(s, t0 + 62 * 1000000000LL, &out);
    assert_int_equal(r.sessions, 2);
    assert_string_equal(r.state, "timeout");
    srs_stats_t st;
    srs_stats(s, &st);
    assert_int_equal(st.sessions_timed_out, 1);
    assert_int_equal(st.sessions_active, 0);
    buf_free(&req);
    buf_free(&out);
    srs_free(s);
}

/* The started server decrypts each SDES suite: 10 packets protected by
 * libsrtp2 under the offered key are all recorded; one under another key
 * is an authentication failure, counted and not recorded. */
static void set_policy(srtp_policy_t *p, int suite)
{
    switch (suite) {
    case 0:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
        break;
    case 1:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
        break;
    case 2:
        srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p->rtp);
        break;
    case 3:
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
        break;
    default:
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
        break;
    }
    /* SRTCP as RFC 4568 / RFC 7714 pair it: the suite's own, 80-bit tag for
     * the HMAC ones (libsrtp derives both from one master key of the longer
     * length, so a sender must use the same pair) */
    p->rtcp = p->rtp;
    if (suite == 1) srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
}

static void test_started_server_srtp(void **state)
{
    (void)state;
    static const struct {
        const char *suite;
        size_t key_len;
    } suites[] = {{"AES_CM_128_HMAC_SHA1_80", 30},
                  {"AES_CM_128_HMAC_SHA1_32", 30},
                  {"AES_256_CM_HMAC_SHA1_80", 46},
                  {"AEAD_AES_128_GCM", 28},
                  {"AEAD_AES_256_GCM", 44}};
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    srs_config_t c;
    srs_config_default(&c);
    char err[200];
    c.n_listen = 1;
    assert_int_equal(srs_parse_listen("udp:127.0.0.1:5060", &c.listen[0], err, sizeof err), 0);
    c.listen[0].addr.port = free_udp_port();
    uint16_t base = (uint16_t)(free_udp_port() & ~1u);
    c.rtp_port_min = base;
    c.rtp_port_max = (uint16_t)(base + 19);
    srs_t *s = srs_new(&c, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(srs_start(s, err, sizeof err), 0);
    srtp_init();
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct timeval tv = {.tv_sec = 2};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in srv = {.sin_family = AF_INET,
                              .sin_port = htons(c.listen[0].addr.port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    buf_t req;
    buf_init(&req);
    srs_stats_t st;
    for (int i = 0; i < 5; i++) {
        uint8_t raw[64];
        for (size_t k = 0; k < sizeof raw; k++)
            raw[k] = (uint8_t)(k * 7 + (size_t)i);
        char key[96];
        size_t o = 0;
        for (size_t k = 0; k < suites[i].key_len; k += 3) {
            uint32_t v = (uint32_t)raw[k] << 16 | (uint32_t)raw[k + 1] << 8 | raw[k + 2];
            key[o++] = b64[(v >> 18) & 63];
            key[o++] = b64[(v >> 12) & 63];
            key[o++] = k + 1 < suites[i].key_len ? b64[(v >> 6) & 63] : '=';
            key[o++] = k + 2 < suites[i].key_len ? b64[v & 63] : '=';
        }
        key[o] = '\0';
        char sdp[512];
        snprintf(sdp, sizeof sdp,
                 "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                 "m=audio 30000 RTP/SAVP 0\r\na=label:k\r\na=sendonly\r\n"
                 "a=crypto:1 %s inline:%s\r\n",
                 suites[i].suite, key);
        request(&req, "INVITE", 1, "e1", NULL, "Require: siprec\r\n", "application/sdp", sdp);
        char *cid = strstr(req.data, "unit-1@");
        cid[5] = (char)('a' + i);
        sendto(fd, req.data, req.len, 0, (struct sockaddr *)&srv, sizeof srv);
        char resp[4096];
        ssize_t n = 0;
        for (int k = 0; k < 3; k++) {
            n = recv(fd, resp, sizeof resp - 1, 0);
            assert_true(n > 0);
            resp[n] = '\0';
            if (strncmp(resp, "SIP/2.0 200", 11) == 0) break;
        }
        unsigned port = 0;
        assert_int_equal(sscanf(strstr(resp, "m=audio "), "m=audio %u", &port), 1);
        assert_true(port != 0);
        srtp_policy_t p;
        memset(&p, 0, sizeof p);
        set_policy(&p, i);
        p.ssrc.type = ssrc_any_outbound;
        p.key = raw;
        p.window_size = 1024;
        srtp_t tx;
        assert_int_equal(srtp_create(&tx, &p), srtp_err_status_ok);
        uint8_t other[64];
        memset(other, 0x5a, sizeof other);
        p.key = other;
        srtp_t bad;
        assert_int_equal(srtp_create(&bad, &p), srtp_err_status_ok);
        struct sockaddr_in rtp = srv;
        rtp.sin_port = htons((uint16_t)port);
        for (int k = 0; k < 11; k++) {
            uint8_t pkt[256] = {
                0x80, 0, 0, (uint8_t)k, 0, 0, (uint8_t)(k * 160 >> 8), (uint8_t)(k * 160),
                9,    9, 9, (uint8_t)i};
            int len = 12 + 160;
            assert_int_equal(srtp_protect(k < 10 ? tx : bad, pkt, &len), srtp_err_status_ok);
            sendto(fd, pkt, (size_t)len, 0, (struct sockaddr *)&rtp, sizeof rtp);
        }
        srtp_dealloc(tx);
        srtp_dealloc(bad);
    }
    for (int k = 0; k < 200; k++) {
        srs_stats(s, &st);
        if (st.rtp_packets + st.srtp_auth_failures >= 55) break;
        usleep(10000);
    }
    srs_free(s);
    close(fd);
    buf_free(&req);
    assert_int_equal(st.rtp_packets, 50);
    assert_int_equal(st.srtp_auth_failures, 5);
}

static void test_config_parsers(void **state)
{
    (void)state;
    char err[200];
    srs_listen_t l;
    assert_int_equal(srs_parse_listen("udp:0.0.0.0:5080", &l, err, sizeof err), 0);
    assert_int_equal(l.transport, SRS_UDP);
    assert_int_equal(l.addr.port, 5080);
    assert_int_equal(srs_parse_listen("tls:[::1]:5061", &l, err, sizeof err), 0);
    assert_int_equal(l.transport, SRS_TLS);
    assert_int_equal(l.addr.ip.family, IP_V6);
    assert_int_equal(srs_parse_listen("sctp:1.2.3.4:5060", &l, err, sizeof err), -1);
    assert_int_equal(srs_parse_listen("tcp:1.2.3.4:0", &l, err, sizeof err), -1);
    assert_int_equal(srs_parse_listen("tcp:host:5060", &l, err, sizeof err), -1);
    srs_cidr_t cidr;
    assert_int_equal(srs_parse_cidr("10.0.0.0/8", &cidr, err, sizeof err), 0);
    assert_int_equal(cidr.prefix, 8);
    assert_int_equal(srs_parse_cidr("10.0.0.0/33", &cidr, err, sizeof err), -1);
    uint16_t lo, hi;
    assert_int_equal(srs_parse_port_range("20000-29999", &lo, &hi, err, sizeof err), 0);
    assert_int_equal(lo, 20000);
    assert_int_equal(hi, 29999);
    assert_int_equal(srs_parse_port_range("30000-20000", &lo, &hi, err, sizeof err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dialects),
        cmocka_unit_test(test_partial_and_hostile),
        cmocka_unit_test(test_session),
        cmocka_unit_test(test_sip_hook_and_layout),
        cmocka_unit_test(test_cancel_busy_and_refusals),
        cmocka_unit_test(test_srtp_suites),
        cmocka_unit_test(test_no_ack_and_idle),
        cmocka_unit_test(test_started_server_media_hook),
        cmocka_unit_test(test_started_server_srtp),
        cmocka_unit_test(test_config_parsers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
