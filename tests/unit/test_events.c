/* test_events.c - unit tests of the correlator's lifecycle events
 * (correlator/events.c): hand-written SIP and RTP fed as datagrams, and one
 * log of everything the sink heard, in order (call_started, call_answered,
 * registration, quality_interval and the finished call records), checked
 * for order and fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "corr_testlib.h"

enum { EV_STARTED, EV_ANSWERED, EV_REG, EV_IV, EV_CALL, EV_ORPHAN };

typedef struct {
    int kind;
    int64_t ts;
    char call_id[CORR_STR_MAX];
    /* call events */
    char caller[32], callee[32], from_uri[64];
    endpoint_t src, dst;
    int64_t start_ts, answer_ts, ringing_ts;
    double answer_delay_ms;
    int code;
    /* registration */
    char aor[64], user[32], contact[64];
    int64_t expires, request_ts;
    bool challenged, timed_out;
    uint32_t attempts;
    /* interval */
    uint32_t ssrc, index, packets, lost;
    bool final, orphan;
    int8_t from_caller;
    int64_t start_ns, end_ns;
    double mos, jitter_ms;
    /* call record */
    corr_call_state_t state;
} ev_t;

#define MAX_EV 256
static ev_t evs[MAX_EV];
static int nev;

static ev_t *ev_add(int kind, int64_t ts, const char *call_id)
{
    assert_true(nev < MAX_EV);
    ev_t *e = &evs[nev++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->ts = ts;
    if (call_id) snprintf(e->call_id, sizeof e->call_id, "%s", call_id);
    return e;
}

static void on_call_event(void *user, const corr_call_event_t *ev)
{
    (void)user;
    ev_t *e = ev_add(ev->type == CORR_EV_CALL_ANSWERED ? EV_ANSWERED : EV_STARTED, ev->ts_ns,
                     ev->call_id);
    snprintf(e->caller, sizeof e->caller, "%s", ev->caller);
    snprintf(e->callee, sizeof e->callee, "%s", ev->callee);
    snprintf(e->from_uri, sizeof e->from_uri, "%s", ev->from_uri);
    e->src = ev->src;
    e->dst = ev->dst;
    e->start_ts = ev->start_ts_ns;
    e->answer_ts = ev->answer_ts_ns;
    e->ringing_ts = ev->ringing_ts_ns;
    e->answer_delay_ms = ev->answer_delay_ms;
    e->code = ev->final_code;
}

static void on_registration(void *user, const corr_registration_t *r)
{
    (void)user;
    ev_t *e = ev_add(EV_REG, r->ts_ns, r->call_id);
    snprintf(e->aor, sizeof e->aor, "%s", r->aor);
    snprintf(e->user, sizeof e->user, "%s", r->user);
    snprintf(e->contact, sizeof e->contact, "%s", r->contact);
    e->expires = r->expires;
    e->request_ts = r->request_ts_ns;
    e->code = r->final_code;
    e->challenged = r->challenged;
    e->timed_out = r->timed_out;
    e->attempts = r->attempts;
    e->src = r->src;
    e->dst = r->dst;
}

static void on_interval(void *user, const corr_interval_event_t *ev)
{
    (void)user;
    ev_t *e = ev_add(EV_IV, ev->ts_ns, ev->call_id);
    e->orphan = ev->call_id == NULL;
    e->ssrc = ev->ssrc;
    e->index = ev->index;
    e->packets = ev->packets;
    e->lost = ev->lost;
    e->final = ev->final;
    e->from_caller = ev->from_caller;
    e->start_ns = ev->start_ns;
    e->end_ns = ev->end_ns;
    e->mos = ev->mos;
    e->jitter_ms = ev->jitter_ms;
    e->src = ev->src;
}

static void on_call(void *user, const corr_call_t *call)
{
    (void)user;
    ev_t *e = ev_add(EV_CALL, call->end_ts_ns, call->call_id);
    e->state = call->state;
    e->code = call->final_code;
}

static void on_orphan(void *user, const corr_stream_t *s)
{
    (void)user;
    ev_t *e = ev_add(EV_ORPHAN, s->stats.last_ts_ns, NULL);
    e->ssrc = s->ssrc;
}

static corr_t *ev_new(bool want_events)
{
    nev = 0;
    corr_config_t cfg;
    corr_config_default(&cfg);
    cfg.max_calls = 64;
    cfg.max_streams = 256;
    cfg.max_media_endpoints = 256;
    cfg.max_orphan_flows = 64;
    cfg.max_registrations = 4;
    corr_sink_t sink = {.on_call = on_call, .on_orphan_stream = on_orphan};
    if (want_events) {
        sink.on_call_event = on_call_event;
        sink.on_registration = on_registration;
        sink.on_quality_interval = on_interval;
    }
    return corr_new(&cfg, &sink);
}

static int count_kind(int kind)
{
    int n = 0;
    for (int i = 0; i < nev; i++)
        n += evs[i].kind == kind;
    return n;
}

static int index_of(int kind, int nth)
{
    for (int i = 0; i < nev; i++)
        if (evs[i].kind == kind && nth-- == 0) return i;
    return -1;
}

/* INVITE (SDP), 180, 200 (SDP), ACK, RTP both ways for 3 s, BYE, 200. */
static void normal_call(corr_t *c, const char *cid)
{
    char offer[512], answer[512];
    ts_invite(c, 0, cid, 1, "ft", NULL, "b1", ts_sdp(offer, sizeof offer, "10.0.0.1", 4000, NULL));
    ts_resp(c, 10, 100, "Trying", cid, 1, "INVITE", "ft", NULL, NULL, NULL);
    ts_resp(c, 100, 180, "Ringing", cid, 1, "INVITE", "ft", "tt", NULL, NULL);
    ts_resp(c, 1500, 200, "OK", cid, 1, "INVITE", "ft", "tt", NULL,
            ts_sdp(answer, sizeof answer, "10.0.0.2", 5000, NULL));
    ts_req_caller(c, 1510, "ACK", cid, 1, "ft", "tt", NULL, NULL);
    ts_rtp_run(c, 1520, "10.0.0.1", 4000, "10.0.0.2", 5000, 0x1111, 100, 150);
    ts_rtp_run(c, 1530, "10.0.0.2", 5000, "10.0.0.1", 4000, 0x2222, 900, 150);
    ts_req_caller(c, 5000, "BYE", cid, 2, "ft", "tt", NULL, NULL);
    ts_resp(c, 5010, 200, "OK", cid, 2, "BYE", "ft", "tt", NULL, NULL);
}

/* started, answered, then the record; fields from the INVITE and the 2xx. */
static void test_normal_call(void **state)
{
    (void)state;
    corr_t *c = ev_new(true);
    normal_call(c, "ev-normal");
    assert_int_equal(count_kind(EV_CALL), 0); /* lingering */
    corr_flush(c);

    assert_int_equal(count_kind(EV_STARTED), 1);
    assert_int_equal(count_kind(EV_ANSWERED), 1);
    assert_int_equal(count_kind(EV_CALL), 1);
    int s = index_of(EV_STARTED, 0), a = index_of(EV_ANSWERED, 0), k = index_of(EV_CALL, 0);
    assert_true(s < a && a < k);
    assert_int_equal(s, 0); /* nothing before the call started */

    const ev_t *st = &evs[s];
    assert_string_equal(st->call_id, "ev-normal");
    assert_int_equal(st->ts, AT(0));
    assert_int_equal(st->start_ts, AT(0));
    assert_string_equal(st->caller, "alice");
    assert_string_equal(st->callee, "bob");
    assert_string_equal(st->from_uri, "sip:alice@example.com");
    assert_int_equal(st->src.ip.bytes[3], 1);
    assert_int_equal(st->dst.ip.bytes[3], 2);
    assert_int_equal(st->src.port, 5060);
    assert_int_equal(st->answer_ts, 0);

    const ev_t *an = &evs[a];
    assert_string_equal(an->call_id, "ev-normal");
    assert_int_equal(an->ts, AT(1500));
    assert_int_equal(an->answer_ts, AT(1500));
    assert_int_equal(an->ringing_ts, AT(100));
    assert_int_equal(an->code, 200);
    assert_true(an->answer_delay_ms > 1499.999 && an->answer_delay_ms < 1500.001);

    assert_int_equal(evs[k].state, CORR_CALL_ANSWERED);
    /* 3 s of media: no interval closed live; each stream's final one comes
     * right before the record */
    assert_int_equal(count_kind(EV_IV), 2);
    for (int i = 0; i < nev; i++)
        if (evs[i].kind == EV_IV) {
            assert_true(evs[i].final);
            assert_true(i > a && i < k);
            assert_int_equal(evs[i].packets, 150);
            assert_string_equal(evs[i].call_id, "ev-normal");
        }
    corr_free(c);
}

/* INVITE, 180, 486: started, never answered, record busy. */
static void test_failed_call(void **state)
{
    (void)state;
    corr_t *c = ev_new(true);
    ts_invite(c, 0, "ev-busy", 1, "ft", NULL, "b1", NULL);
    ts_resp(c, 50, 180, "Ringing", "ev-busy", 1, "INVITE", "ft", "tt", NULL, NULL);
    ts_resp(c, 3000, 486, "Busy Here", "ev-busy", 1, "INVITE", "ft", "tt", NULL, NULL);
    ts_req_caller(c, 3010, "ACK", "ev-busy", 1, "ft", "tt", NULL, NULL);
    ts_invite(c, 10, "ev-busy", 1, "ft", NULL, "b1", NULL); /* a late retransmission */
    corr_flush(c);
    assert_int_equal(count_kind(EV_STARTED), 1);
    assert_int_equal(count_kind(EV_ANSWERED), 0);
    assert_int_equal(count_kind(EV_CALL), 1);
    assert_true(index_of(EV_STARTED, 0) < index_of(EV_CALL, 0));
    assert_int_equal(evs[index_of(EV_CALL, 0)].state, CORR_CALL_BUSY);
    assert_int_equal(evs[index_of(EV_STARTED, 0)].ts, AT(0));
    corr_free(c);
}

/* A 200 to BYE whose 2xx to the INVITE was not captured: answered comes at
 * the BYE, with no answer time; the call still ends answered. */
static void test_answer_inferred_from_bye(void **state)
{
    (void)state;
    corr_t *c = ev_new(true);
    ts_invite(c, 0, "ev-bye", 1, "ft", NULL, "b1", NULL);
    ts_req_caller(c, 4000, "BYE", "ev-bye", 2, "ft", "tt", NULL, NULL);
    corr_flush(c);
    assert_int_equal(count_kind(EV_ANSWERED), 1);
    const ev_t *an = &evs[index_of(EV_ANSWERED, 0)];
    assert_int_equal(an->ts, AT(4000));
    assert_int_equal(an->answer_ts, 0);
    assert_true(an->answer_delay_ms < 0);
    assert_int_equal(evs[index_of(EV_CALL, 0)].state, CORR_CALL_ANSWERED);
    corr_free(c);
}

static void reg_req(corr_t *c, double ms, const char *cid, unsigned cseq, const char *extra)
{
    ts_sip(c, ms, A_TO_B, NULL,
           "REGISTER sip:example.com SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKr%u\n"
           "From: <sip:alice@example.com>;tag=rf\nTo: <sip:alice@example.com>\n"
           "Call-ID: %s\nCSeq: %u REGISTER\nContact: <sip:alice@10.0.0.1:5060>\n%s",
           cseq, cid, cseq, extra ? extra : "");
}

static void reg_resp(corr_t *c, double ms, int code, const char *phrase, const char *cid,
                     unsigned cseq, const char *extra)
{
    ts_sip(c, ms, B_TO_A, NULL,
           "SIP/2.0 %d %s\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKr%u\n"
           "From: <sip:alice@example.com>;tag=rf\nTo: <sip:alice@example.com>;tag=rt\n"
           "Call-ID: %s\nCSeq: %u REGISTER\n%s",
           code, phrase, cseq, cid, cseq, extra ? extra : "");
}

/* REGISTER, 401, REGISTER (CSeq 2, credentials), 200 with expires=3600:
 * one event, challenged, 3600 s granted; retransmitted 200 ignored. */
static void test_register_challenged(void **state)
{
    (void)state;
    corr_t *c = ev_new(true);
    reg_req(c, 0, "reg1", 1, "Expires: 7200\n");
    reg_resp(c, 20, 401, "Unauthorized", "reg1", 1,
             "WWW-Authenticate: Digest realm=\"example.com\", nonce=\"abc\"\n");
    assert_int_equal(count_kind(EV_REG), 0); /* a challenge is not the outcome */
    reg_req(c, 40, "reg1", 2, "Expires: 7200\nAuthorization: Digest username=\"alice\"\n");
    reg_resp(c, 60, 200, "OK", "reg1", 2,
             "Contact: <sip:alice@10.0.0.1:5060>;expires=3600\nExpires: 7200\n");
    reg_resp(c, 70, 200, "OK", "reg1", 2,
             "Contact: <sip:alice@10.0.0.1:5060>;expires=3600\n"); /* retransmission */
    assert_int_equal(count_kind(EV_REG), 1);
    const ev_t *r = &evs[index_of(EV_REG, 0)];
    assert_string_equal(r->call_id, "reg1");
    assert_int_equal(r->ts, AT(60));
    assert_int_equal(r->request_ts, AT(0));
    assert_int_equal(r->code, 200);
    assert_true(r->challenged);
    assert_false(r->timed_out);
    assert_int_equal(r->expires, 3600);
    assert_int_equal(r->attempts, 2);
    assert_string_equal(r->aor, "sip:alice@example.com");
    assert_string_equal(r->user, "alice");
    assert_string_equal(r->contact, "sip:alice@10.0.0.1:5060");
    assert_int_equal(r->src.ip.bytes[3], 1); /* client -> registrar */
    assert_int_equal(r->dst.ip.bytes[3], 2);
    /* a refresh on the same Call-ID, Expires header only: a new event */
    reg_req(c, 1000, "reg1", 3, "Expires: 600\n");
    reg_resp(c, 1010, 200, "OK", "reg1", 3, "Expires: 600\n");
    assert_int_equal(count_kind(EV_REG), 2);
    r = &evs[index_of(EV_REG, 1)];
    assert_false(r->challenged);
    assert_int_equal(r->expires, 600);
    assert_int_equal(r->attempts, 1);
    const corr_stats_t *st = corr_stats(c);
    assert_int_equal(st->registrations, 2);
    assert_int_equal(st->registrations_challenged, 1);
    assert_int_equal(st->register_requests, 3);
    assert_int_equal(count_kind(EV_STARTED), 0); /* REGISTER is no call */
    corr_free(c);
}

/* No answer within 32 s: timed out with no final code; a full table (4
 * entries) evicts its oldest pending transaction, emitted and counted. */
static void test_register_timeout_and_eviction(void **state)
{
    (void)state;
    corr_t *c = ev_new(true);
    reg_req(c, 0, "lost", 1, NULL);
    corr_expire(c, AT(31999));
    assert_int_equal(count_kind(EV_REG), 0);
    corr_expire(c, AT(32000));
    assert_int_equal(count_kind(EV_REG), 1);
    assert_true(evs[0].timed_out);
    assert_int_equal(evs[0].code, 0);
    assert_int_equal(evs[0].expires, -1);

    nev = 0;
    char cid[16];
    for (int i = 0; i < 5; i++) {
        snprintf(cid, sizeof cid, "r%d", i);
        reg_req(c, 40000 + i, cid, 1, NULL);
    }
    assert_int_equal(count_kind(EV_REG), 1); /* r0 evicted by r4 */
    assert_string_equal(evs[0].call_id, "r0");
    assert_int_equal(corr_stats(c)->registrations_evicted, 1);
    corr_flush(c);
    assert_int_equal(count_kind(EV_REG), 5);
    corr_free(c);
}

/* A 12 s stream with 5 s intervals: intervals 0 and 1 close live (at the
 * first packets past 5 s and 10 s, before the call ends), the final one
 * (10..12 s) comes at emission, just before the record. */
static void test_quality_intervals(void **state)
{
    (void)state;
    corr_t *c = ev_new(true);
    char offer[512], answer[512];
    ts_invite(c, 0, "ev-q", 1, "ft", NULL, "b1",
              ts_sdp(offer, sizeof offer, "10.0.0.1", 4000, NULL));
    ts_resp(c, 500, 200, "OK", "ev-q", 1, "INVITE", "ft", "tt", NULL,
            ts_sdp(answer, sizeof answer, "10.0.0.2", 5000, NULL));
    /* 600 packets = 12 s; seq 200..211 lost in the first interval */
    for (int i = 0; i < 600; i++) {
        uint16_t seq = (uint16_t)(1000 + i);
        if (seq >= 1200 && seq < 1212) continue;
        ts_rtp(c, 1000 + 20.0 * i, "10.0.0.1", 4000, "10.0.0.2", 5000, 0xabcd, seq,
               160u * (uint32_t)i, 0);
    }
    int live = count_kind(EV_IV);
    assert_int_equal(live, 2);
    assert_int_equal(count_kind(EV_CALL), 0);
    ts_req_caller(c, 13500, "BYE", "ev-q", 2, "ft", "tt", NULL, NULL);
    corr_flush(c);
    assert_int_equal(count_kind(EV_IV), 3);
    int k = index_of(EV_CALL, 0);
    uint32_t total = 0;
    for (int n = 0; n < 3; n++) {
        int i = index_of(EV_IV, n);
        const ev_t *e = &evs[i];
        assert_true(i < k);
        assert_int_equal(e->index, (uint32_t)n);
        assert_int_equal(e->final, n == 2);
        assert_int_equal(e->ssrc, 0xabcd);
        assert_string_equal(e->call_id, "ev-q");
        assert_int_equal(e->from_caller, 1);
        assert_int_equal(e->start_ns, AT(1000) + (int64_t)n * 5 * NS_PER_SEC);
        assert_true(e->ts >= e->start_ns);
        assert_true(e->mos > 1.0 && e->mos <= 4.5);
        assert_true(e->jitter_ms >= 0);
        total += e->packets + e->lost;
    }
    assert_int_equal(evs[index_of(EV_IV, 0)].lost, 12);
    assert_int_equal(evs[index_of(EV_IV, 1)].lost, 0);
    assert_int_equal(evs[index_of(EV_IV, 0)].packets, 250 - 12);
    assert_int_equal(evs[index_of(EV_IV, 1)].packets, 250);
    assert_int_equal(evs[index_of(EV_IV, 2)].packets, 100);
    assert_int_equal(total, 600);
    /* lossy first interval scores worse than the clean second one */
    assert_true(evs[index_of(EV_IV, 0)].mos < evs[index_of(EV_IV, 1)].mos);
    /* the live ones closed at the first packet past their end */
    assert_int_equal(evs[index_of(EV_IV, 0)].ts, AT(6000));
    assert_int_equal(evs[index_of(EV_IV, 0)].end_ns, AT(6000));
    assert_int_equal(evs[index_of(EV_IV, 2)].end_ns, AT(1000 + 20 * 599));
    corr_free(c);
}

/* Without the callbacks nothing changes: same records, no events, no
 * registration table. */
static void test_no_events_wanted(void **state)
{
    (void)state;
    corr_t *c = ev_new(false);
    normal_call(c, "ev-off");
    reg_req(c, 6000, "reg-off", 1, NULL);
    reg_resp(c, 6010, 200, "OK", "reg-off", 1, "Expires: 60\n");
    corr_flush(c);
    assert_int_equal(nev, 1);
    assert_int_equal(evs[0].kind, EV_CALL);
    assert_int_equal(evs[0].state, CORR_CALL_ANSWERED);
    /* registrations are counted for the summary, events wanted or not */
    assert_int_equal(corr_stats(c)->registrations, 1);
    assert_int_equal(corr_stats(c)->register_requests, 1);
    corr_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normal_call),
        cmocka_unit_test(test_failed_call),
        cmocka_unit_test(test_answer_inferred_from_bye),
        cmocka_unit_test(test_register_challenged),
        cmocka_unit_test(test_register_timeout_and_eviction),
        cmocka_unit_test(test_quality_intervals),
        cmocka_unit_test(test_no_events_wanted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
