/* test_corr_memory.c - bytes of correlator state per active call.
 *
 * The memory a call costs while it is tracked: its corr__call_t
 * entry, two corr__stream_t entries (one per direction) and the media endpoint
 * entries its SDP offer/answer make (an RTP endpoint per side: 2; the RTCP
 * endpoint on port+1 is implied by the RTP entry and takes none),
 * plus the per-entry bookkeeping of each table (LRU prev/next links, which
 * also chain free entries, and index slots at the table's load of at most
 * 1/2), plus the string blob the call takes from the shared string pool
 * (cstr.c) and the SDP descriptor blobs of its two RTP endpoints (media.c);
 * a blob class keeps its free list in its free blobs.  Blobs are measured,
 * not assumed: a call with the strings of a typical capture (those of
 * siphon-gen and the SIPp/sngrep captures: 166 to 199 bytes of strings) is
 * built with the real cstr code, and a desk phone's offer (PCMU, PCMA,
 * G722, G729, telephone-event) is learnt by the real media code, and their
 * blob classes read back.  Parts a plain call does not use live in shared
 * pools and are not counted: RTCP contents (a node per stream with RTCP),
 * RFC 6035 reports, DTMF events; nor the quality tracker's interval arrays
 * (heap, per stream, sq_free); nor the interned codec names (stream.c: an
 * entry per distinct name in use, shared by every stream naming it, so a
 * network's handful of codecs cost a handful of entries; a stream keeps a
 * 4-byte id).  The figure is printed and asserted against
 * CORR_CALL_BYTES_MAX, the size achieved today, so any growth fails here:
 * lower the constant when the state shrinks, never raise it without saying
 * why in ARCHITECTURE.md (Memory). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "../../correlator/correlator_internal.h"
#include "corr_testlib.h"

#define EPS_PER_CALL 2
/* LRU prev/next (next also chains free entries) + 2 index slots (load <= 1/2) */
#define POOL_ENTRY_OVERHEAD (2 * sizeof(uint32_t) + 2 * sizeof(tbl_itab_slot_t))

/* The bytes one live call with two RTP streams costs (x86_64, gcc and
 * clang): corr__call_t 240 (with its call_key and the deciding INVITE's and
 * first provisional response's offsets, for setup_ms and pdd_ms) + string
 * blob 224, corr__stream_t 664 (header 80, rtp_stats 192, x 88, quality 304 with
 * the drift estimate), 2 corr__media_ep_t 40 with 2 descriptors 32, 5 table
 * entries of 24 B bookkeeping: 240 + 224 + 2 * 664 + 2 * 40 + 2 * 32 + 5 *
 * 24 = 2,056.  How each part got this small is in git's history and BENCHMARKS.md. */
#define CORR_CALL_BYTES_MAX 2056

/* Strings of one siphon-gen call (the largest of its calls: 181 bytes). */
static const char *const typical[CS_COUNT] = {
    "3f2c1c9892e8d101f767bdd0cd0bbca7-0@siphon-gen.test", /* call_id */
    "sip:2360463719@example.com",                         /* from_uri */
    "sip:3901950237@example.net",                         /* to_uri */
    "2360463719",                                         /* caller */
    "3901950237",                                         /* callee */
    "8c1d3e2f0a9b",                                       /* from_tag */
    "4e5f6a7b8c9d",                                       /* to_tag */
    "siphon-gen/1.0",                                     /* user_agent */
    "OK",                                                 /* reason */
};

static corr_t *new_corr(uint32_t max_calls)
{
    corr_config_t cfg;
    corr_config_default(&cfg);
    cfg.max_calls = max_calls;
    cfg.max_streams = cfg.max_media_endpoints = 64;
    cfg.max_dtmf_events = cfg.max_vq_reports = cfg.max_rtcp_streams = 16;
    corr_t *c = corr_new(&cfg, NULL);
    assert_non_null(c);
    return c;
}

static sv_t sv_of(const char *s)
{
    return (sv_t){s, strlen(s)};
}

/* The blob a call with the typical strings takes, with every string read
 * back intact. */
static uint32_t typical_blob_bytes(void)
{
    corr_t *c = new_corr(16);
    corr__call_t *k = &c->calls[0];
    k->str = corr__cstr_new(c);
    assert_int_not_equal(k->str, CORR_NIL);
    for (int i = 0; i < CS_COUNT; i++)
        corr__call_str_set(c, 0, i, sv_of(typical[i]));
    for (int i = 0; i < CS_COUNT; i++)
        assert_string_equal(corr__call_str(c, k, i), typical[i]);
    uint32_t n = corr__cstr_blob_size(c, k);
    assert_int_equal(c->stats.call_strings_cut, 0);
    corr__cstr_release(c, k->str);
    corr_free(c);
    return n;
}

static const char desk_phone_sdp[] = "v=0\r\n"
                                     "o=- 1 1 IN IP4 192.0.2.10\r\n"
                                     "s=-\r\n"
                                     "c=IN IP4 192.0.2.10\r\n"
                                     "t=0 0\r\n"
                                     "m=audio 40000 RTP/AVP 0 8 9 18 101\r\n"
                                     "a=rtpmap:0 PCMU/8000\r\n"
                                     "a=rtpmap:8 PCMA/8000\r\n"
                                     "a=rtpmap:9 G722/8000\r\n"
                                     "a=rtpmap:18 G729/8000\r\n"
                                     "a=rtpmap:101 telephone-event/8000\r\n"
                                     "a=fmtp:101 0-16\r\n";

/* The descriptor a desk phone's RTP endpoint takes, with its payload
 * types resolving as the SDP says; its RTCP endpoint resolves, implied by
 * the RTP entry: one entry, one descriptor. */
static uint32_t desk_phone_desc_bytes(void)
{
    corr_t *c = new_corr(16);
    corr__call_t *k = &c->calls[0];
    k->ep_head = k->st_head = CORR_NIL;
    static sdp_t sdp;
    assert_int_equal(sdp_parse(sv_of(desk_phone_sdp), &sdp), PROTO_OK);
    corr__media_learn_sdp(c, 0, &sdp, SIDE_CALLER);
    endpoint_t rtp = {.ip = sdp.media[0].conn, .port = 40000};
    endpoint_t rtcp = {.ip = sdp.media[0].conn, .port = 40001};
    uint32_t ei = corr__media_find(c, &rtp), ri = corr__media_find(c, &rtcp);
    assert_int_not_equal(ei, CORR_NIL);
    assert_int_not_equal(ri, CORR_NIL);
    assert_int_equal(c->ep_pool.lru.count, 1);
    corr__media_ep_t re = corr__media_get(c, ri);
    assert_true(re.rtcp);
    assert_int_equal(re.call, 0);
    const corr__media_ep_t *e = &c->eps[ei];
    const char *name;
    uint32_t clock;
    assert_true(corr__media_codec(c, e, 18, &name, &clock));
    assert_string_equal(name, "G729");
    assert_true(corr__media_codec(c, e, 101, &name, &clock));
    assert_string_equal(name, "telephone-event");
    assert_int_equal(clock, 8000);
    int n;
    const uint8_t *fmts = corr__media_fmts(c, e, &n);
    assert_int_equal(n, 5);
    assert_int_equal(fmts[4], 101);
    assert_int_equal(corr__media_desc_size(c, &re), 0);
    assert_int_equal(c->stats.media_desc_exhausted, 0);
    uint32_t size = corr__media_desc_size(c, e);
    corr__media_release_call(c, 0);
    corr_free(c);
    return size;
}

static size_t per_call_bytes(uint32_t blob, uint32_t desc)
{
    return sizeof(corr__call_t) + blob + 2 * sizeof(corr__stream_t) +
           EPS_PER_CALL * sizeof(corr__media_ep_t) + 2 * desc +
           (1 + 2 + EPS_PER_CALL) * POOL_ENTRY_OVERHEAD;
}

static void test_sizes(void **state)
{
    (void)state;
    uint32_t blob = typical_blob_bytes();
    uint32_t desc = desk_phone_desc_bytes();
    size_t total = per_call_bytes(blob, desc);
    printf(
        "corr__call_t %zu B + string blob %u B, corr__stream_t %zu B (x %zu, stats %zu, quality "
        "%zu), "
        "corr__media_ep_t %zu B + descriptor %u B per RTP endpoint, table overhead %zu B/entry\n",
        sizeof(corr__call_t), blob, sizeof(corr__stream_t), sizeof(corr__stream_x_t),
        sizeof(rtp_stats_t), sizeof(sq_t), sizeof(corr__media_ep_t), desc,
        (size_t)POOL_ENTRY_OVERHEAD);
    printf("per active call (two streams, %d endpoint entries): %zu B\n", EPS_PER_CALL, total);
    assert_true(total <= CORR_CALL_BYTES_MAX);
}

/* Strings grow a call's blob through the size classes, shrink back in
 * place, and are cut (and counted) only when no larger blob is free. */
static void test_string_blobs(void **state)
{
    (void)state;
    corr_t *c = new_corr(16); /* classes of at least 16 blobs each */
    char big[200];
    memset(big, 'x', sizeof big);
    sv_t full = {big, sizeof big}; /* cut to CORR_STR_MAX - 1 */
    for (uint32_t ci = 0; ci < 16; ci++) {
        corr__call_t *k = &c->calls[ci];
        k->str = corr__cstr_new(c);
        assert_int_not_equal(k->str, CORR_NIL);
        for (int i = 0; i < CS_COUNT; i++)
            corr__call_str_set(c, ci, i, full);
        assert_int_equal(corr__cstr_blob_size(c, k), CS_COUNT * (CORR_STR_MAX + 1));
        assert_int_equal(strlen(corr__call_str(c, k, CS_REASON)), CORR_STR_MAX - 1);
    }
    assert_int_equal(c->stats.call_strings_cut, 0);
    /* a 17th call: every 1168-byte blob is taken, its strings are cut */
    corr__call_t *k = &c->calls[16 % c->cfg.max_calls];
    uint32_t saved = k->str;
    k->str = corr__cstr_new(c);
    for (int i = 0; i < CS_COUNT; i++)
        corr__call_str_set(c, 16 % c->cfg.max_calls, i, full);
    assert_true(c->stats.call_strings_cut > 0);
    assert_true(strlen(corr__call_str(c, k, CS_REASON)) < CORR_STR_MAX - 1);
    assert_int_equal(strlen(corr__call_str(c, k, CS_CALL_ID)), CORR_STR_MAX - 1);
    /* replacing a string with a shorter one keeps the others */
    corr__call_str_set(c, 16 % c->cfg.max_calls, CS_CALL_ID, sv_of("short"));
    assert_string_equal(corr__call_str(c, k, CS_CALL_ID), "short");
    assert_int_equal(strlen(corr__call_str(c, k, CS_FROM_URI)), CORR_STR_MAX - 1);
    corr__cstr_release(c, k->str);
    k->str = saved;
    corr_free(c);
}

/* To-tag hashes beyond the call entry's two follow the strings and move
 * with them; one that finds no room is dropped and counted. */
static void test_blob_tags(void **state)
{
    (void)state;
    corr_t *c = new_corr(16);
    corr__call_t *k = &c->calls[0];
    k->str = corr__cstr_new(c);
    k->ntags = CORR__CALL_TAGS_INLINE;
    for (int i = 0; i < CS_COUNT; i++)
        corr__call_str_set(c, 0, i, sv_of(typical[i]));
    for (uint64_t h = 1; h <= 6; h++) {
        assert_false(corr__call_tag_in_blob(c, k, h * 0x9e3779b97f4a7c15ull));
        assert_true(corr__call_tag_add(c, 0, h * 0x9e3779b97f4a7c15ull));
        k->ntags++;
    }
    /* a longer string moves the blob to a larger class, tags included */
    uint32_t before = corr__cstr_blob_size(c, k);
    char reason[100];
    memset(reason, 'r', sizeof reason);
    corr__call_str_set(c, 0, CS_REASON, (sv_t){reason, sizeof reason});
    assert_true(corr__cstr_blob_size(c, k) > before);
    assert_int_equal(strlen(corr__call_str(c, k, CS_REASON)), sizeof reason);
    for (uint64_t h = 1; h <= 6; h++)
        assert_true(corr__call_tag_in_blob(c, k, h * 0x9e3779b97f4a7c15ull));
    assert_false(corr__call_tag_in_blob(c, k, 7));
    for (int i = 0; i < CS_COUNT - 1; i++)
        assert_string_equal(corr__call_str(c, k, i), typical[i]);
    assert_int_equal(c->stats.call_strings_cut, 0);
    /* full strings take all of the largest blob: no room for a tag */
    char big[200];
    memset(big, 'x', sizeof big);
    corr__call_t *f = &c->calls[1];
    f->str = corr__cstr_new(c);
    f->ntags = CORR__CALL_TAGS_INLINE;
    for (int i = 0; i < CS_COUNT; i++)
        corr__call_str_set(c, 1, i, (sv_t){big, sizeof big});
    assert_int_equal(c->stats.call_strings_cut, 0);
    assert_false(corr__call_tag_add(c, 1, 42));
    assert_int_equal(c->stats.call_strings_cut, 1);
    assert_int_equal(strlen(corr__call_str(c, f, CS_REASON)), CORR_STR_MAX - 1);
    corr__cstr_release(c, k->str);
    corr__cstr_release(c, f->str);
    corr_free(c);
}

/* Codec names are interned: streams naming the same codec share one
 * entry, a name is cut as the record's array cuts it, and an entry goes
 * with its last stream. */
static test_sink_t sink;

static void test_codec_names(void **state)
{
    (void)state;
    corr_t *c = ts_new(&sink, NULL);
    char sa[512], sb[512];
    const char *lng = "a=rtpmap:96 averyveryverylongcodecname/8000\n";
    ts_invite(c, 0, "cn", 1, "ft", NULL, "b1", ts_sdp(sa, sizeof sa, "10.0.0.1", 40000, lng));
    ts_resp(c, 1000, 200, "OK", "cn", 1, "INVITE", "ft", "tt", NULL,
            ts_sdp(sb, sizeof sb, "10.0.0.2", 50000, NULL));
    ts_rtp_run(c, 1100, "10.0.0.1", 40000, "10.0.0.2", 50000, 0xAAAA, 100, 5);
    ts_rtp_run(c, 1100, "10.0.0.2", 50000, "10.0.0.1", 40000, 0xBBBB, 100, 5);
    assert_int_equal(c->codec_pool.lru.count, 1); /* PCMU, shared */
    for (int i = 0; i < 5; i++)                   /* PT 96 to A: the long name of A's rtpmap */
        ts_rtp(c, 1300 + 20 * i, "10.0.0.2", 50000, "10.0.0.1", 40000, 0xCCCC, (uint16_t)i,
               (uint32_t)i * 160, 96);
    assert_int_equal(c->codec_pool.lru.count, 2);
    corr_flush(c);
    assert_int_equal(c->codec_pool.lru.count, 0);
    const corr_call_t *k = ts_find(&sink, "cn");
    assert_non_null(k);
    assert_int_equal(k->stream_count, 3);
    int pcmu = 0, cut = 0;
    for (uint32_t i = 0; i < k->stream_count; i++) {
        pcmu += strcmp(k->streams[i].codec, "PCMU") == 0;
        cut += strcmp(k->streams[i].codec, "averyveryverylo") == 0;
    }
    assert_int_equal(pcmu, 2);
    assert_int_equal(cut, 1);
    corr_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes), cmocka_unit_test(test_string_blobs),
        cmocka_unit_test(test_blob_tags), cmocka_unit_test(test_codec_names)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
