/* test_dialog.c - unit tests of the correlator's SIP dialog logic
 * (correlator/dialog.c): hand-written SIP messages fed as datagrams, the
 * emitted corr_call_t checked field by field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "corr_testlib.h"
#include "proto.h"

static test_sink_t sink;

/* INVITE, 100, 180, 486, ACK. */
static void test_busy(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    ts_invite(c, 0, "busy1", 1, "ft", NULL, "b1", NULL);
    ts_resp(c, 10, 100, "Trying", "busy1", 1, "INVITE", "ft", NULL, NULL, NULL);
    ts_resp(c, 50, 180, "Ringing", "busy1", 1, "INVITE", "ft", "tt", NULL, NULL);
    ts_resp(c, 3000, 486, "Busy Here", "busy1", 1, "INVITE", "ft", "tt", NULL, NULL);
    ts_req_caller(c, 3010, "ACK", "busy1", 1, "ft", "tt", NULL, NULL);
    assert_int_equal(sink.ncalls, 0); /* lingering */
    corr_flush(c);
    assert_int_equal(sink.ncalls, 1);
    const corr_call_t *k = &sink.calls[0];
    assert_string_equal(k->call_id, "busy1");
    assert_int_equal(k->state, CORR_CALL_BUSY);
    assert_string_equal(corr_call_state_name(k->state), "busy");
    assert_int_equal(k->final_code, 486);
    assert_int_equal(k->ended_by, CORR_ENDED_BY_CALLEE);
    assert_string_equal(k->reason, "Busy Here");
    assert_string_equal(k->caller, "alice");
    assert_string_equal(k->callee, "bob");
    assert_string_equal(k->from_tag, "ft");
    assert_string_equal(k->user_agent, "TestUA/1.0");
    assert_int_equal(k->start_ts_ns, AT(0));
    assert_int_equal(k->ringing_ts_ns, AT(50));
    assert_int_equal(k->answer_ts_ns, 0);
    assert_int_equal(k->end_ts_ns, AT(3000));
    assert_int_equal(k->invites, 1);
    assert_int_equal(k->sip_messages, 5);
    assert_false(k->open_at_end);
    assert_int_equal(k->transport, TRANSPORT_UDP);
    assert_int_equal(k->src.port, 5060);
    assert_int_equal(k->src.ip.bytes[3], 1);
    assert_int_equal(k->dst.ip.bytes[3], 2);
    corr_free(c);
}

/* INVITE, 180, CANCEL, 200 (CANCEL), 487, ACK. */
static void test_cancel(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    ts_invite(c, 0, "cx", 1, "ft", NULL, "b1", NULL);
    ts_resp(c, 50, 180, "Ringing", "cx", 1, "INVITE", "ft", "tt", NULL, NULL);
    ts_req_caller(c, 4000, "CANCEL", "cx", 1, "ft", NULL,
                  "Reason: SIP;cause=200;text=\"Call completed elsewhere\"\n", NULL);
    ts_resp(c, 4010, 200, "OK", "cx", 1, "CANCEL", "ft", "tt", NULL, NULL);
    ts_resp(c, 4020, 487, "Request Terminated", "cx", 1, "INVITE", "ft", "tt", NULL, NULL);
    ts_req_caller(c, 4030, "ACK", "cx", 1, "ft", "tt", NULL, NULL);
    corr_flush(c);
    assert_int_equal(sink.ncalls, 1);
    const corr_call_t *k = &sink.calls[0];
    assert_int_equal(k->state, CORR_CALL_CANCELLED);
    assert_int_equal(k->final_code, 487);
    assert_int_equal(k->ended_by, CORR_ENDED_BY_CALLER);
    assert_string_equal(k->reason, "SIP;cause=200;text=\"Call completed elsewhere\"");
    assert_int_equal(k->answer_ts_ns, 0);
    corr_free(c);
}

/* 401 challenge, retried INVITE with CSeq 2, answered, BYE. */
static void test_challenge_then_answer(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    ts_invite(c, 0, "auth", 1, "ft", NULL, "b1", NULL);
    ts_resp(c, 5, 401, "Unauthorized", "auth", 1, "INVITE", "ft", "x1", NULL, NULL);
    ts_resp(c, 6, 401, "Unauthorized", "auth", 1, "INVITE", "ft", "x1", NULL, NULL); /* rexmit */
    ts_req_caller(c, 7, "ACK", "auth", 1, "ft", "x1", NULL, NULL);
    ts_invite(c, 20, "auth", 2, "ft", NULL, "b2", NULL);
    ts_resp(c, 60, 180, "Ringing", "auth", 2, "INVITE", "ft", "tt", NULL, NULL);
    ts_resp(c, 2000, 200, "OK", "auth", 2, "INVITE", "ft", "tt", NULL, NULL);
    ts_req_caller(c, 2010, "ACK", "auth", 2, "ft", "tt", NULL, NULL);
    ts_req_caller(c, 9000, "BYE", "auth", 3, "ft", "tt", NULL, NULL);
    ts_resp(c, 9010, 200, "OK", "auth", 3, "BYE", "ft", "tt", NULL, NULL);
    corr_flush(c);
    assert_int_equal(sink.ncalls, 1);
    const corr_call_t *k = &sink.calls[0];
    assert_int_equal(k->state, CORR_CALL_ANSWERED);
    assert_int_equal(k->final_code, 200);
    assert_int_equal(k->challenges, 1);
    assert_int_equal(k->invites, 2);
    assert_int_equal(k->start_ts_ns, AT(0));
    /* setup and post-dial delay count from the retry that was answered */
    assert_int_equal(k->invite_ts_ns, AT(20));
    assert_int_equal(k->progress_ts_ns, AT(60));
    assert_int_equal(k->answer_ts_ns, AT(2000));
    assert_int_equal(k->end_ts_ns, AT(9000));
    assert_int_equal(k->ended_by, CORR_ENDED_BY_CALLER);
    assert_string_equal(k->to_tag, "tt");
    assert_int_equal(corr_stats(c)->calls, 1);
    corr_free(c);
}

/* A 407 nobody answers: after the linger the call is rejected with it. */
static void test_challenge_abandoned(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    ts_invite(c, 0, "ab", 1, "ft", NULL, "b1", NULL);
    ts_resp(c, 5, 407, "Proxy Authentication Required", "ab", 1, "INVITE", "ft", "x", NULL, NULL);
    corr_expire(c, AT(6000)); /* past the 5 s linger: still waiting for a retry */
    assert_int_equal(sink.ncalls, 0);
    corr_expire(c, AT(5 + 63999));
    assert_int_equal(sink.ncalls, 0);
    corr_expire(c, AT(5 + 64000));
    assert_int_equal(sink.ncalls, 1);
    assert_int_equal(sink.calls[0].state, CORR_CALL_REJECTED);
    assert_int_equal(sink.calls[0].final_code, 407);
    assert_int_equal(sink.calls[0].challenges, 1);
    assert_false(sink.calls[0].open_at_end);
    corr_free(c);
}

/* The retry comes 30 s after the 407 (a password typed by hand), then 403:
 * one call, rejected 403, challenges 1, invites 2. */
static void test_challenge_slow_retry(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    ts_invite(c, 0, "slow", 1, "ft", NULL, "b1", NULL);
    ts_resp(c, 150, 407, "Proxy Authentication Required", "slow", 1, "INVITE", "ft", "x", NULL,
            NULL);
    ts_req_caller(c, 160, "ACK", "slow", 1, "ft", "x", NULL, NULL);
    corr_expire(c, AT(20000));
    ts_invite(c, 32000, "slow", 2, "ft", NULL, "b2", NULL);
    ts_resp(c, 32200, 403, "Forbidden", "slow", 2, "INVITE", "ft", "y", NULL, NULL);
    corr_expire(c, AT(40000));
    assert_int_equal(sink.ncalls, 1);
    assert_int_equal(sink.calls[0].state, CORR_CALL_REJECTED);
    assert_int_equal(sink.calls[0].final_code, 403);
    assert_int_equal(sink.calls[0].challenges, 1);
    assert_int_equal(sink.calls[0].invites, 2);
    corr_flush(c);
    assert_int_equal(sink.ncalls, 1);
    corr_free(c);
}

static void test_rejected_403(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    ts_invite(c, 0, "rej", 1, "ft", NULL, "b1", NULL);
    ts_resp(c, 30, 403, "Forbidden", "rej", 1, "INVITE", "ft", "tt", "Reason: Q.850;cause=21\n",
            NULL);
    corr_flush(c);
    assert_int_equal(sink.ncalls, 1);
    assert_int_equal(sink.calls[0].state, CORR_CALL_REJECTED);
    assert_int_equal(sink.calls[0].final_code, 403);
    assert_string_equal(sink.calls[0].reason, "Q.850;cause=21");
    assert_int_equal(sink.calls[0].ended_by, CORR_ENDED_BY_CALLEE);
    corr_free(c);
}

/* Forking: two early dialogs, the second answers. */
static void test_forking(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    ts_invite(c, 0, "fork", 1, "ft", NULL, "b1", NULL);
    ts_resp(c, 40, 180, "Ringing", "fork", 1, "INVITE", "ft", "t1", NULL, NULL);
    ts_resp(c, 45, 180, "Ringing", "fork", 1, "INVITE", "ft", "t2", NULL, NULL);
    ts_resp(c, 3000, 200, "OK", "fork", 1, "INVITE", "ft", "t2", NULL, NULL);
    ts_resp(c, 3500, 200, "OK", "fork", 1, "INVITE", "ft", "t2", NULL, NULL); /* rexmit */
    corr_flush(c);
    const corr_call_t *k = &sink.calls[0];
    assert_int_equal(k->state, CORR_CALL_ANSWERED);
    assert_int_equal(k->early_dialogs, 2);
    assert_string_equal(k->to_tag, "t2");
    assert_int_equal(k->ringing_ts_ns, AT(40));
    assert_int_equal(k->answer_ts_ns, AT(3000)); /* the retransmission changes nothing */
    assert_true(k->open_at_end);
    assert_int_equal(k->end_ts_ns, AT(3500)); /* no BYE: last activity */
    corr_free(c);
}

/* Forking to many branches: distinct To tags beyond the two a call entry
 * holds live in its string blob; repeats are not counted twice and the
 * count stops at CORR_MAX_TAGS (8). */
static void test_forking_many(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    ts_invite(c, 0, "fork9", 1, "ft", NULL, "b1", NULL);
    static const char *const tags[] = {"t1", "t2", "t3", "t4", "t5"};
    for (int round = 0; round < 2; round++) /* the second round repeats them */
        for (int i = 0; i < 5; i++)
            ts_resp(c, 40 + round * 100 + i, 180, "Ringing", "fork9", 1, "INVITE", "ft", tags[i],
                    NULL, NULL);
    ts_resp(c, 3000, 200, "OK", "fork9", 1, "INVITE", "ft", "t4", NULL, NULL);
    ts_invite(c, 4000, "fork10", 1, "ft", NULL, "b2", NULL);
    char tag[8];
    for (int i = 0; i < 10; i++) {
        snprintf(tag, sizeof tag, "u%d", i);
        ts_resp(c, 4100 + i, 183, "Progress", "fork10", 1, "INVITE", "ft", tag, NULL, NULL);
    }
    corr_flush(c);
    const corr_call_t *k = ts_find(&sink, "fork9");
    assert_non_null(k);
    assert_int_equal(k->early_dialogs, 5);
    assert_string_equal(k->to_tag, "t4");
    assert_string_equal(k->from_tag, "ft"); /* the strings beside the tags are intact */
    k = ts_find(&sink, "fork10");
    assert_non_null(k);
    assert_int_equal(k->early_dialogs, 8);
    assert_int_equal(corr_stats(c)->call_strings_cut, 0);
    corr_free(c);
}

static void test_bye_from_callee(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    ts_invite(c, 0, "bc", 1, "ft", NULL, "b1", NULL);
    ts_resp(c, 1000, 200, "OK", "bc", 1, "INVITE", "ft", "tt", NULL, NULL);
    ts_req_caller(c, 1010, "ACK", "bc", 1, "ft", "tt", NULL, NULL);
    ts_req_callee(c, 7000, "BYE", "bc", 1, "ft", "tt", "Reason: Q.850;cause=16\n", NULL);
    ts_resp(c, 7010, 200, "OK", "bc", 1, "BYE", "tt", "ft", NULL, NULL);
    /* linger: a later datagram past BYE + 5 s emits it, open_at_end false */
    ts_sip(c, 12500, A_TO_B, NULL,
           "OPTIONS sip:x@10.0.0.2 SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKo\n"
           "From: <sip:a@x>;tag=1\nTo: <sip:x@y>\nCall-ID: opt1\nCSeq: 1 OPTIONS\n");
    assert_int_equal(sink.ncalls, 1);
    const corr_call_t *k = &sink.calls[0];
    assert_int_equal(k->ended_by, CORR_ENDED_BY_CALLEE);
    assert_int_equal(k->end_ts_ns, AT(7000));
    assert_string_equal(k->reason, "Q.850;cause=16");
    assert_int_equal(k->sip_messages, 5);
    assert_false(k->open_at_end);
    corr_free(c);
}

static void test_open_at_end(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    ts_invite(c, 0, "open", 1, "ft", NULL, "b1", NULL);
    ts_invite(c, 500, "open", 1, "ft", NULL, "b1", NULL); /* retransmission */
    ts_resp(c, 600, 180, "Ringing", "open", 1, "INVITE", "ft", "tt", NULL, NULL);
    corr_flush(c);
    assert_int_equal(sink.ncalls, 1);
    const corr_call_t *k = &sink.calls[0];
    assert_true(k->open_at_end);
    assert_int_equal(k->state, CORR_CALL_UNANSWERED);
    assert_int_equal(k->invites, 1);
    assert_int_equal(k->final_code, 0);
    assert_int_equal(k->end_ts_ns, AT(600));
    corr_free(c);
}

static void test_idle_timeout(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    ts_invite(c, 0, "idle", 1, "ft", NULL, "b1", NULL);
    ts_resp(c, 100, 200, "OK", "idle", 1, "INVITE", "ft", "tt", NULL, NULL);
    corr_expire(c, AT(100 + 299 * 1000));
    assert_int_equal(sink.ncalls, 0);
    corr_expire(c, AT(100 + 300 * 1000));
    assert_int_equal(sink.ncalls, 1);
    assert_true(sink.calls[0].timed_out);
    assert_false(sink.calls[0].open_at_end);
    assert_int_equal(sink.calls[0].state, CORR_CALL_ANSWERED);
    assert_int_equal(sink.calls[0].end_ts_ns, AT(100));
    assert_int_equal(corr_stats(c)->calls_timed_out, 1);
    corr_flush(c);
    assert_int_equal(sink.ncalls, 1);
    corr_free(c);
}

static void test_register_options_not_calls(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    ts_sip(c, 0, A_TO_B, NULL,
           "REGISTER sip:example.com SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKr\n"
           "From: <sip:alice@example.com>;tag=r1\nTo: <sip:alice@example.com>\n"
           "Call-ID: reg1\nCSeq: 1 REGISTER\nExpires: 3600\n");
    ts_sip(c, 5, B_TO_A, NULL,
           "SIP/2.0 200 OK\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKr\n"
           "From: <sip:alice@example.com>;tag=r1\nTo: <sip:alice@example.com>;tag=s\n"
           "Call-ID: reg1\nCSeq: 1 REGISTER\n");
    ts_sip(c, 10, A_TO_B, NULL,
           "OPTIONS sip:bob@example.com SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKo\n"
           "From: <sip:alice@example.com>;tag=o1\nTo: <sip:bob@example.com>\n"
           "Call-ID: opt1\nCSeq: 1 OPTIONS\n");
    ts_sip(c, 20, A_TO_B, NULL,
           "MESSAGE sip:bob@example.com SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKm\n"
           "From: <sip:alice@example.com>;tag=m1\nTo: <sip:bob@example.com>\n"
           "Call-ID: msg1\nCSeq: 1 MESSAGE\n");
    corr_flush(c);
    const corr_stats_t *st = corr_stats(c);
    assert_int_equal(sink.ncalls, 0);
    assert_int_equal(st->calls, 0);
    assert_int_equal(st->register_requests, 1);
    assert_int_equal(st->registrations, 1);
    assert_int_equal(st->options, 1);
    assert_int_equal(st->other_transactions, 1);
    assert_int_equal(st->sip_messages, 4);
    assert_int_equal(st->sip_requests, 3);
    assert_int_equal(st->sip_responses, 1);
    assert_int_equal(st->sip_by_method[SIP_REGISTER], 1);
    corr_free(c);
}

/* Users count registrations, not REGISTER messages: a REGISTER, its
 * retransmission, the 401, the retry with credentials and its 200 are one
 * registration (challenged) of three REGISTER requests; a second client's
 * REGISTER answered 200 at once is another. */
static void test_registrations_not_messages(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    static const char *req = "REGISTER sip:example.com SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.1;"
                             "branch=z9hG4bK%s\nFrom: <sip:alice@example.com>;tag=r1\n"
                             "To: <sip:alice@example.com>\nCall-ID: %s\nCSeq: %d REGISTER\n"
                             "Expires: 3600\n";
    static const char *resp = "SIP/2.0 %d %s\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK%s\n"
                              "From: <sip:alice@example.com>;tag=r1\n"
                              "To: <sip:alice@example.com>;tag=s\nCall-ID: %s\n"
                              "CSeq: %d REGISTER\n";
    ts_sip(c, 0, A_TO_B, NULL, req, "a", "regA", 1);
    ts_sip(c, 500, A_TO_B, NULL, req, "a", "regA", 1); /* retransmission */
    ts_sip(c, 510, B_TO_A, NULL, resp, 401, "Unauthorized", "a", "regA", 1);
    ts_sip(c, 520, A_TO_B, NULL, req, "b", "regA", 2);
    ts_sip(c, 530, B_TO_A, NULL, resp, 200, "OK", "b", "regA", 2);
    ts_sip(c, 600, A_TO_B, NULL, req, "c", "regB", 1);
    ts_sip(c, 610, B_TO_A, NULL, resp, 200, "OK", "c", "regB", 1);
    corr_flush(c);
    const corr_stats_t *st = corr_stats(c);
    assert_int_equal(st->register_requests, 4);
    assert_int_equal(st->registrations, 2);
    assert_int_equal(st->registrations_challenged, 1);
    assert_int_equal(st->calls, 0);
    corr_free(c);
}

static void test_call_cap_eviction(void **state)
{
    (void)state;
    corr_config_t cfg;
    corr_config_default(&cfg);
    cfg.max_calls = 2;
    cfg.max_streams = 16;
    cfg.max_media_endpoints = 16;
    cfg.max_orphan_flows = 4;
    corr_t *c = ts_new(&sink, &cfg);
    /* LRU order is kept to CORR_LRU_GRAIN_NS (1 s): space events wider */
    ts_invite(c, 0, "e1", 1, "f1", NULL, "a", NULL);
    ts_invite(c, 1500, "e2", 1, "f2", NULL, "b", NULL);
    ts_resp(c, 3000, 180, "Ringing", "e1", 1, "INVITE", "f1", "t", NULL, NULL); /* e1 active */
    ts_invite(c, 4500, "e3", 1, "f3", NULL, "c", NULL);                         /* evicts e2 */
    assert_int_equal(sink.ncalls, 1);
    assert_string_equal(sink.calls[0].call_id, "e2");
    assert_true(sink.calls[0].evicted);
    assert_int_equal(corr_stats(c)->calls_evicted, 1);
    corr_flush(c);
    assert_int_equal(sink.ncalls, 3);
    assert_non_null(ts_find(&sink, "e1"));
    assert_non_null(ts_find(&sink, "e3"));
    corr_free(c);
}

/* Capture started after the INVITE: the 180 and 200 create the call. */
static void test_response_first(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    ts_resp(c, 0, 180, "Ringing", "late", 7, "INVITE", "ft", "tt", NULL, NULL);
    ts_resp(c, 900, 200, "OK", "late", 7, "INVITE", "ft", "tt", NULL, NULL);
    ts_req_caller(c, 910, "ACK", "late", 7, "ft", "tt", NULL, NULL);
    ts_req_caller(c, 5000, "BYE", "late", 8, "ft", "tt", NULL, NULL);
    corr_flush(c);
    assert_int_equal(sink.ncalls, 1);
    const corr_call_t *k = &sink.calls[0];
    assert_int_equal(k->state, CORR_CALL_ANSWERED);
    assert_int_equal(k->invites, 0);
    assert_int_equal(k->answer_ts_ns, AT(900));
    assert_int_equal(k->ended_by, CORR_ENDED_BY_CALLER);
    assert_int_equal(k->src.ip.bytes[3], 1); /* the caller, although it sent nothing first */
    assert_string_equal(k->caller, "alice");
    corr_free(c);
}

/* A BYE whose call never saw a 2xx still marks it answered. */
static void test_bye_without_200(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    ts_invite(c, 0, "nob", 1, "ft", NULL, "b1", NULL);
    ts_req_callee(c, 9000, "BYE", "nob", 1, "ft", "tt", NULL, NULL);
    corr_flush(c);
    assert_int_equal(sink.calls[0].state, CORR_CALL_ANSWERED);
    assert_int_equal(sink.calls[0].final_code, 0);
    assert_int_equal(sink.calls[0].ended_by, CORR_ENDED_BY_CALLEE);
    corr_free(c);
}

/* Malformed SIP is counted and does not create calls. */
static void test_invalid_sip(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    ts_sip(c, 0, A_TO_B, NULL, "INVITE sip:bob@x SIP/2.0\nVia: SIP/2.0/UDP 1.2.3.4\n");
    corr_flush(c);
    assert_int_equal(sink.ncalls, 0);
    assert_int_equal(corr_stats(c)->sip_invalid, 1);
    corr_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_busy),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_challenge_then_answer),
        cmocka_unit_test(test_challenge_abandoned),
        cmocka_unit_test(test_challenge_slow_retry),
        cmocka_unit_test(test_rejected_403),
        cmocka_unit_test(test_forking),
        cmocka_unit_test(test_forking_many),
        cmocka_unit_test(test_bye_from_callee),
        cmocka_unit_test(test_open_at_end),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_register_options_not_calls),
        cmocka_unit_test(test_registrations_not_messages),
        cmocka_unit_test(test_call_cap_eviction),
        cmocka_unit_test(test_response_first),
        cmocka_unit_test(test_bye_without_200),
        cmocka_unit_test(test_invalid_sip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
