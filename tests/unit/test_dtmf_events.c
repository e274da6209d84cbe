/* test_dtmf_events.c - DTMF per call (dtmf.c): RFC 4733 events on the PT
 * the SDP maps to telephone-event (one event per timestamp, end packets
 * repeated three times counted once, duration from the end packet), SIP
 * INFO dtmf-relay (retransmission dropped), the merged time order, and the
 * orphan captures SIPp ships (dtmf_2833_*.pcap, no signalling). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "corr_pcapfeed.h"
#include "corr_testlib.h"

static test_sink_t sink;

/* One telephone-event packet (PT 101) from A to B. */
static void ev(corr_t *c, double ms, uint16_t seq, uint32_t ts, uint8_t event, bool end,
               uint16_t dur)
{
    uint8_t p[16] = {0x80,
                     101,
                     (uint8_t)(seq >> 8),
                     (uint8_t)seq,
                     (uint8_t)(ts >> 24),
                     (uint8_t)(ts >> 16),
                     (uint8_t)(ts >> 8),
                     (uint8_t)ts,
                     0,
                     0,
                     0xAA,
                     0xAA,
                     event,
                     (uint8_t)((end ? 0x80 : 0) | 10),
                     (uint8_t)(dur >> 8),
                     (uint8_t)dur};
    ts_feed(c, AT(ms), ts_ep("10.0.0.1", 40000), ts_ep("10.0.0.2", 50000), TRANSPORT_UDP, p,
            sizeof p);
}

static void info(corr_t *c, double ms, unsigned cseq, const char *signal)
{
    char body[64], msg[1024];
    int bl = snprintf(body, sizeof body, "Signal=%s\r\nDuration=160\r\n", signal);
    int n = snprintf(
        msg, sizeof msg,
        "INFO sip:alice@10.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKi%u\r\n"
        "From: <sip:bob@example.com>;tag=tt\r\nTo: <sip:alice@example.com>;tag=ft\r\n"
        "Call-ID: dtmf1\r\nCSeq: %u INFO\r\nContent-Type: application/dtmf-relay\r\n"
        "Content-Length: %d\r\n\r\n%s",
        cseq, cseq, bl, body);
    ts_feed(c, AT(ms), ts_ep("10.0.0.2", 5060), ts_ep("10.0.0.1", 5060), TRANSPORT_UDP, msg,
            (size_t)n);
}

/* The call of test_call_rfc4733_and_info: '5' (RFC 4733), '#' (INFO), '*'
 * (RFC 4733, end lost), then BYE and the end of input. */
static void play_dtmf_call(corr_t *c)
{
    char sa[512], sb[512];
    ts_invite(c, 0, "dtmf1", 1, "ft", NULL, "b1", ts_sdp(sa, sizeof sa, "10.0.0.1", 40000, NULL));
    ts_resp(c, 1000, 200, "OK", "dtmf1", 1, "INVITE", "ft", "tt", NULL,
            ts_sdp(sb, sizeof sb, "10.0.0.2", 50000, NULL));
    ts_rtp_run(c, 1100, "10.0.0.1", 40000, "10.0.0.2", 50000, 0xAAAA, 1, 20);
    /* '5' at timestamp 8000: 3 updates, 3 end packets (duration 800 = 100 ms) */
    ev(c, 1500, 21, 8000, 5, false, 160);
    ev(c, 1520, 22, 8000, 5, false, 320);
    ev(c, 1540, 23, 8000, 5, false, 480);
    ev(c, 1560, 24, 8000, 5, true, 800);
    ev(c, 1561, 25, 8000, 5, true, 800);
    ev(c, 1562, 26, 8000, 5, true, 800);
    info(c, 1700, 10, "#");
    info(c, 1750, 10, "#"); /* retransmission */
    /* '*' at timestamp 16000, its end packets lost */
    ev(c, 2000, 27, 16000, 10, false, 160);
    ev(c, 2020, 28, 16000, 10, false, 400);
    ev(c, 2100, 29, 8000, 5, true, 800); /* a late copy of the old event */
    ts_req_caller(c, 3000, "BYE", "dtmf1", 2, "ft", "tt", NULL, NULL);
    corr_flush(c);
}

static void test_call_rfc4733_and_info(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    play_dtmf_call(c);

    const corr_call_t *k = ts_find(&sink, "dtmf1");
    assert_non_null(k);
    assert_int_equal(k->dtmf_count, 3);
    assert_int_equal(k->dtmf[0].digit, '5');
    assert_int_equal(k->dtmf[0].source, CORR_DTMF_SRC_RFC4733);
    assert_int_equal(k->dtmf[0].duration_ms, 100);
    assert_true(k->dtmf[0].ended);
    assert_int_equal(k->dtmf[0].from_caller, 1);
    assert_int_equal(k->dtmf[0].ts_ns, AT(1500));
    assert_int_equal(k->dtmf[1].digit, '#');
    assert_int_equal(k->dtmf[1].source, CORR_DTMF_SRC_INFO);
    assert_int_equal(k->dtmf[1].duration_ms, 160);
    assert_int_equal(k->dtmf[1].from_caller, 0);
    assert_int_equal(k->dtmf[2].digit, '*');
    assert_int_equal(k->dtmf[2].duration_ms, 50);
    assert_false(k->dtmf[2].ended);
    assert_int_equal(corr_stats(c)->dtmf_events, 2);
    assert_int_equal(corr_stats(c)->dtmf_info, 1);
    /* the audio stream keeps its codec: events do not replace it */
    assert_string_equal(k->streams[0].codec, "PCMU");
    corr_free(c);
}

/* A DTMF pool of 2 events: the call keeps its first two digits and counts
 * the third as dropped; once the call is emitted its nodes are free again,
 * so the same call played again keeps two digits too. */
static void test_dtmf_pool_exhausted_and_reused(void **state)
{
    (void)state;
    corr_config_t cfg;
    corr_config_default(&cfg);
    cfg.max_calls = 64;
    cfg.max_streams = 256;
    cfg.max_media_endpoints = 256;
    cfg.max_orphan_flows = 64;
    cfg.max_dtmf_events = 2;
    corr_t *c = ts_new(&sink, &cfg);
    for (int round = 0; round < 2; round++) {
        play_dtmf_call(c);
        assert_int_equal(sink.ncalls, round + 1);
        const corr_call_t *k = &sink.calls[round];
        assert_int_equal(k->dtmf_count, 2);
        assert_int_equal(k->dtmf[0].digit, '5');
        assert_int_equal(k->dtmf[1].digit, '#');
        assert_int_equal(corr_stats(c)->dtmf_pool_exhausted, (uint64_t)round + 1);
    }
    corr_free(c);
}

static const char *const digits = "0123456789";

static void test_sipp_orphan_captures(void **state)
{
    (void)state;
    char path[256];
    for (int i = 0; i < 12; i++) {
        char want = i < 10 ? digits[i] : i == 10 ? '#' : '*';
        const char *name = i < 10 ? NULL : i == 10 ? "pound" : "star";
        if (name)
            snprintf(path, sizeof path, "/usr/share/sip-tester/dtmf_2833_%s.pcap", name);
        else
            snprintf(path, sizeof path, "/usr/share/sip-tester/dtmf_2833_%d.pcap", i);
        corr_t *c = ts_new(&sink, NULL);
        if (pf_feed(c, path) < 0) {
            corr_free(c);
            skip(); /* sip-tester not installed */
        }
        assert_int_equal(sink.norphans, 1);
        const corr_stream_t *s = &sink.orphans[0];
        assert_int_equal(s->dtmf_count, 1);
        assert_int_equal(s->dtmf[0].digit, want);
        assert_true(s->dtmf[0].ended);
        assert_true(s->dtmf[0].duration_ms > 0);
        assert_int_equal(s->dtmf[0].from_caller, -1);
        corr_free(c);
    }
}

/* An orphan stream of audio on a dynamic PT is not taken for events. */
static void test_orphan_audio_not_events(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    for (int i = 0; i < 30; i++)
        ts_rtp(c, 20.0 * i, "192.0.2.1", 7000, "192.0.2.2", 9000, 0x77, (uint16_t)i,
               160u * (uint32_t)i, 96);
    corr_flush(c);
    for (int i = 0; i < sink.norphans; i++)
        assert_int_equal(sink.orphans[i].dtmf_count, 0);
    assert_int_equal(corr_stats(c)->dtmf_events, 0);
    corr_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_call_rfc4733_and_info),
        cmocka_unit_test(test_dtmf_pool_exhausted_and_reused),
        cmocka_unit_test(test_sipp_orphan_captures),
        cmocka_unit_test(test_orphan_audio_not_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
