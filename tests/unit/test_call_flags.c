/* test_call_flags.c - call-level problem flags (call_flags.c): one-way
 * audio, no RTP, NAT address mismatch, payload type not negotiated,
 * timestamp jump, SSRC change, silence periods, media after BYE, and a
 * clean call with none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "corr_testlib.h"

static test_sink_t sink;

static void setup(corr_t *c, double t, const char *cid, int pa, int pb)
{
    char sa[512], sb[512];
    ts_invite(c, t, cid, 1, "ft", NULL, "b1", ts_sdp(sa, sizeof sa, "10.0.0.1", pa, NULL));
    ts_resp(c, t + 500, 200, "OK", cid, 1, "INVITE", "ft", "tt", NULL,
            ts_sdp(sb, sizeof sb, "10.0.0.2", pb, NULL));
}

static void bye(corr_t *c, double t, const char *cid)
{
    ts_req_caller(c, t, "BYE", cid, 2, "ft", "tt", NULL, NULL);
}

/* n packets of 20 ms from (ip, sport) to (dip, dport): seq/ts continue from
 * seq0/ts0; pt as given */
static void run(corr_t *c, double t, const char *ip, int sp, const char *dip, int dp, uint32_t ssrc,
                uint16_t seq0, uint32_t ts0, int n, uint8_t pt)
{
    for (int i = 0; i < n; i++)
        ts_rtp(c, t + 20.0 * i, ip, (uint16_t)sp, dip, (uint16_t)dp, ssrc, (uint16_t)(seq0 + i),
               ts0 + 160u * (uint32_t)i, pt);
}

static const corr_call_flag_t *flag(const corr_call_t *k, corr_call_flag_kind_t f)
{
    for (int i = 0; i < k->flag_count; i++)
        if (k->flags[i].flag == f) return &k->flags[i];
    return NULL;
}

static void test_flags(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);

    /* clean: both ways, nothing to say */
    setup(c, 0, "clean", 40000, 50000);
    run(c, 600, "10.0.0.1", 40000, "10.0.0.2", 50000, 0xA0, 1, 0, 100, 0);
    run(c, 600, "10.0.0.2", 50000, "10.0.0.1", 40000, 0xB0, 1, 0, 100, 0);
    bye(c, 2700, "clean");

    /* one way: only the caller's audio */
    setup(c, 10000, "oneway", 40010, 50010);
    run(c, 10600, "10.0.0.1", 40010, "10.0.0.2", 50010, 0xA1, 1, 0, 100, 0);
    bye(c, 12700, "oneway");

    /* answered, 10 s, no RTP */
    setup(c, 20000, "nortp", 40020, 50020);
    bye(c, 30500, "nortp");

    /* callee behind NAT, sends PCMA (8) that nobody offered, its
     * timestamps jump 10 s once */
    setup(c, 40000, "nat", 40030, 50030);
    run(c, 40600, "10.0.0.1", 40030, "10.0.0.2", 50030, 0xA3, 1, 0, 100, 0);
    run(c, 40600, "198.51.100.7", 6000, "10.0.0.1", 40030, 0xB3, 1, 0, 50, 8);
    run(c, 41600, "198.51.100.7", 6000, "10.0.0.1", 40030, 0xB3, 51, 8000 + 80000, 50, 8);
    bye(c, 42700, "nat");

    /* caller changes SSRC, has 2 s of comfort noise, and keeps sending
     * 3 s after its BYE */
    setup(c, 50000, "ssrc", 40040, 50040);
    run(c, 50600, "10.0.0.1", 40040, "10.0.0.2", 50040, 0xA4, 1, 0, 50, 0);
    run(c, 51600, "10.0.0.1", 40040, "10.0.0.2", 50040, 0xA5, 1, 0, 50, 0);
    for (int i = 0; i < 10; i++) /* CN every 200 ms for 2 s */
        ts_rtp(c, 52600 + 200.0 * i, "10.0.0.1", 40040, "10.0.0.2", 50040, 0xA5, (uint16_t)(51 + i),
               8000 + 1600u * (uint32_t)i, 13);
    run(c, 54600, "10.0.0.1", 40040, "10.0.0.2", 50040, 0xA5, 61, 8000 + 16000, 50, 0);
    run(c, 50600, "10.0.0.2", 50040, "10.0.0.1", 40040, 0xB4, 1, 0, 100, 0);
    bye(c, 56000, "ssrc");
    run(c, 57500, "10.0.0.1", 40040, "10.0.0.2", 50040, 0xA5, 111, 8000 + 24000, 20, 0);
    corr_flush(c);

    const corr_call_t *k = ts_find(&sink, "clean");
    assert_non_null(k);
    assert_int_equal(k->flag_count, 0);
    assert_true(k->mos > 4.0); /* scored: 100 clean packets each way */

    k = ts_find(&sink, "oneway");
    assert_non_null(k);
    const corr_call_flag_t *g = flag(k, CORR_CALL_FLAG_ONE_WAY_AUDIO);
    assert_non_null(g);
    assert_int_equal(g->from_caller, 1);
    assert_int_equal(g->count, 100);
    assert_null(flag(k, CORR_CALL_FLAG_NO_RTP));
    /* the caller's clean audio scores well, but the callee hears nothing:
     * the call's MOS is the silent direction's, the E-model's floor */
    assert_int_equal(k->stream_count, 1);
    assert_true(k->streams[0].quality.scored && k->streams[0].quality.mos > 4.0);
    assert_true(k->mos == 1.0 && k->mos_min == 1.0);

    k = ts_find(&sink, "nortp");
    assert_non_null(k);
    g = flag(k, CORR_CALL_FLAG_NO_RTP);
    assert_non_null(g);
    assert_true(g->ms >= 9999 && g->ms <= 10001);
    assert_null(flag(k, CORR_CALL_FLAG_ONE_WAY_AUDIO));

    k = ts_find(&sink, "nat");
    assert_non_null(k);
    g = flag(k, CORR_CALL_FLAG_NAT_MISMATCH);
    assert_non_null(g);
    assert_int_equal(g->from_caller, 0);
    assert_int_equal(g->sdp.port, 50030);
    assert_int_equal(g->seen.port, 6000);
    g = flag(k, CORR_CALL_FLAG_PT_NOT_NEGOTIATED);
    assert_non_null(g);
    assert_int_equal(g->payload_type, 8);
    assert_int_equal(g->count, 100);
    g = flag(k, CORR_CALL_FLAG_TIMESTAMP_JUMP);
    assert_non_null(g);
    assert_int_equal(g->ssrc, 0xB3);
    assert_int_equal(g->count, 1);
    assert_null(flag(k, CORR_CALL_FLAG_SILENCE)); /* the jump is in timestamps, not arrival */

    k = ts_find(&sink, "ssrc");
    assert_non_null(k);
    g = flag(k, CORR_CALL_FLAG_SSRC_CHANGE);
    assert_non_null(g);
    assert_int_equal(g->from_caller, 1);
    assert_int_equal(g->count, 1);
    assert_int_equal(g->ssrc, 0xA4);
    g = flag(k, CORR_CALL_FLAG_SILENCE);
    assert_non_null(g);
    assert_int_equal(g->from_caller, 1);
    assert_int_equal(g->count, 2); /* the CN run and the 1.9 s gap before the late packets */
    g = flag(k, CORR_CALL_FLAG_MEDIA_AFTER_BYE);
    assert_non_null(g);
    assert_int_equal(g->count, 20);
    assert_null(flag(k, CORR_CALL_FLAG_TIMESTAMP_JUMP));
    corr_free(c);
}

/* A call that switches to fax: a re-INVITE offers T.38 (m=image).  Refused
 * (488, the fax then goes G.711 pass-through) or accepted, the call is a
 * fax call: flagged with who offered it and whether it was accepted, and
 * not scored for voice (its audio legs' loss and discards after the switch
 * would read as MOS 1). */
static void test_t38_fax(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    char sdp[512];
    const char *image = "m=image 40100 udptl t38\na=T38FaxVersion:0\n";
    setup(c, 0, "faxno", 40000, 50000);
    run(c, 600, "10.0.0.1", 40000, "10.0.0.2", 50000, 0xA0, 1, 0, 100, 0);
    run(c, 600, "10.0.0.2", 50000, "10.0.0.1", 40000, 0xB0, 1, 0, 100, 0);
    ts_invite(c, 2700, "faxno", 2, "ft", "tt", "b2",
              ts_sdp(sdp, sizeof sdp, "10.0.0.1", 40000, image));
    ts_resp(c, 2710, 488, "Not Acceptable Here", "faxno", 2, "INVITE", "ft", "tt", NULL, NULL);
    bye(c, 5000, "faxno");

    setup(c, 10000, "faxyes", 40010, 50010);
    run(c, 10600, "10.0.0.1", 40010, "10.0.0.2", 50010, 0xA1, 1, 0, 100, 0);
    run(c, 10600, "10.0.0.2", 50010, "10.0.0.1", 40010, 0xB1, 1, 0, 100, 0);
    ts_req_callee(c, 12700, "INVITE", "faxyes", 1, "ft", "tt", NULL,
                  ts_sdp(sdp, sizeof sdp, "10.0.0.2", 50010, "m=image 50100 udptl t38\n"));
    ts_resp(c, 12710, 200, "OK", "faxyes", 1, "INVITE", "tt", "ft", NULL,
            ts_sdp(sdp, sizeof sdp, "10.0.0.1", 40010, image));
    bye(c, 15000, "faxyes");

    setup(c, 20000, "voice", 40020, 50020); /* m=image with port 0: refused, no fax */
    ts_invite(c, 20700, "voice", 2, "ft", "tt", "b3",
              ts_sdp(sdp, sizeof sdp, "10.0.0.1", 40020, "m=image 0 udptl t38\n"));
    bye(c, 21000, "voice");
    corr_flush(c);

    const corr_call_t *k = ts_find(&sink, "faxno");
    assert_non_null(k);
    const corr_call_flag_t *g = flag(k, CORR_CALL_FLAG_T38_FAX);
    assert_non_null(g);
    assert_int_equal(g->from_caller, 1);
    assert_int_equal(g->count, 0); /* refused */
    assert_true(k->t38_caller && !k->t38_callee);
    assert_true(k->mos < 0 && k->mos_min < 0);
    assert_int_equal(k->stream_count, 2);
    for (uint32_t i = 0; i < k->stream_count; i++) {
        assert_false(k->streams[i].quality.scored);
        assert_int_equal(k->streams[i].stats.packets, 100); /* still reported */
    }

    k = ts_find(&sink, "faxyes");
    assert_non_null(k);
    g = flag(k, CORR_CALL_FLAG_T38_FAX);
    assert_non_null(g);
    assert_int_equal(g->from_caller, 0); /* the callee's re-INVITE */
    assert_int_equal(g->count, 1);       /* accepted */
    assert_true(k->mos < 0);

    k = ts_find(&sink, "voice");
    assert_non_null(k);
    assert_null(flag(k, CORR_CALL_FLAG_T38_FAX));
    assert_false(k->t38_caller || k->t38_callee);
    corr_free(c);
}

/* Too few packets to score: below CORR_MOS_MIN_PACKETS a stream has no
 * MOS (a one-packet stream scored 4.38), from that many on it has one. */
static void test_mos_min_packets(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    setup(c, 0, "short", 40000, 50000);
    run(c, 600, "10.0.0.1", 40000, "10.0.0.2", 50000, 0xA0, 1, 0, CORR_MOS_MIN_PACKETS - 1, 0);
    run(c, 600, "10.0.0.2", 50000, "10.0.0.1", 40000, 0xB0, 1, 0, CORR_MOS_MIN_PACKETS, 0);
    bye(c, 3000, "short");
    setup(c, 10000, "one", 40010, 50010);
    run(c, 10600, "10.0.0.1", 40010, "10.0.0.2", 50010, 0xA1, 1, 0, 1, 0);
    run(c, 10600, "10.0.0.2", 50010, "10.0.0.1", 40010, 0xB1, 1, 0, 1, 0);
    bye(c, 11000, "one");
    corr_flush(c);

    const corr_call_t *k = ts_find(&sink, "short");
    assert_non_null(k);
    assert_int_equal(k->stream_count, 2);
    for (uint32_t i = 0; i < k->stream_count; i++) {
        const corr_stream_t *s = &k->streams[i];
        assert_int_equal(s->quality.scored, s->stats.packets >= CORR_MOS_MIN_PACKETS);
    }
    assert_true(k->mos > 4.0); /* the direction that has enough */
    k = ts_find(&sink, "one");
    assert_non_null(k);
    assert_false(k->streams[0].quality.scored || k->streams[1].quality.scored);
    assert_true(k->mos < 0);
    corr_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_t38_fax),
        cmocka_unit_test(test_mos_min_packets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
