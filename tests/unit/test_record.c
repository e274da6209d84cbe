/* test_record.c - the packet store (record/): rules, the SIP header lookup,
 * and a round trip through the consumer (shard callbacks, writer thread,
 * segments, chunk chains) back out through the reader: every packet of
 * every call in order, RTP cut in headers mode, late SIP joining its call,
 * segments rotating, and retention deleting the oldest segment under
 * record.max_disk with the recordings using it marked gone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "rec_internal.h"

/* ------------------------------ rules ----------------------------------- */

static const char invite[] = "INVITE sip:bob@example.com SIP/2.0\r\n"
                             "Via: SIP/2.0/UDP 10.0.0.1:5060\r\n"
                             "x-record :  YES \r\n"
                             "Call-ID: abc\r\n"
                             "\r\n"
                             "X-After-Body: yes\r\n";

static corr_packet_t sip_packet(datagram_t *dg, corr_sip_message_t *m, const char *from,
                                const char *to, const char *src_ip)
{
    memset(dg, 0, sizeof *dg);
    memset(m, 0, sizeof *m);
    ip_addr_parse(sv_from_cstr(src_ip), &dg->src.ip);
    ip_addr_parse(sv_from_cstr("192.0.2.9"), &dg->dst.ip);
    dg->data = (const uint8_t *)invite;
    dg->len = sizeof invite - 1;
    m->data = dg->data;
    m->len = dg->len;
    m->from_user = sv_from_cstr(from);
    m->to_user = sv_from_cstr(to);
    return (corr_packet_t){.kind = CORR_PKT_SIP, .call_key = 7, .dg = dg, .sip = m};
}

static bool rule(const char *text, const corr_packet_t *p)
{
    rec__rule_t r;
    char err[256];
    assert_true(rec__rule_parse(text, &r, err, sizeof err));
    return rec__rule_match(&r, p);
}

static void test_rules(void **state)
{
    (void)state;
    datagram_t dg;
    corr_sip_message_t m;
    corr_packet_t p = sip_packet(&dg, &m, "1001", "+4930555", "10.1.2.3");
    assert_true(rule("caller=100*", &p));
    assert_false(rule("caller=200*", &p));
    assert_true(rule("callee=+49*", &p));
    assert_true(rule("ip=10.0.0.0/8", &p));
    assert_true(rule("ip=192.0.2.9", &p)); /* the destination */
    assert_false(rule("ip=10.1.2.0/30 & caller=2*", &p));
    assert_true(rule("ip=10.1.2.0/30 & caller=1*", &p));
    assert_false(rule("ip=2001:db8::/32", &p));
    assert_true(rule("header=X-Record: yes", &p));
    assert_true(rule("header=X-Record", &p));
    assert_false(rule("header=X-Record: no", &p));
    assert_false(rule("header=X-After-Body", &p)); /* only the header block */
    rec__rule_t r;
    char err[256];
    assert_false(rec__rule_parse("caller", &r, err, sizeof err));
    assert_false(rec__rule_parse("color=red", &r, err, sizeof err));
    assert_false(rec__rule_parse("ip=10.0.0.0/33", &r, err, sizeof err));
    assert_false(rec__rule_parse("ip=host.example", &r, err, sizeof err));
    assert_false(rec__rule_parse("header=: x", &r, err, sizeof err));
    assert_false(rec_rule_check("caller=1&&callee=2", err, sizeof err));
    sv_t v;
    assert_false(rec__sip_header((const uint8_t *)"INVITE", 6, "Via", &v));
    assert_false(rec__sip_header((const uint8_t *)"A\nVia", 5, "Via", &v));
    assert_true(rec__sip_header((const uint8_t *)"A\nVia:x", 7, "via", &v));
    assert_true(v.len == 1 && v.p[0] == 'x');
}

static void test_varint(void **state)
{
    (void)state;
    uint8_t b[16];
    const uint64_t vals[] = {0, 1, 127, 128, 300, 1ull << 35, UINT64_MAX};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        size_t n = rec__varint_put(b, vals[i]);
        uint64_t v = 0;
        assert_int_equal(rec__varint_get(b, b + n, &v), n);
        assert_true(v == vals[i]);
        assert_int_equal(rec__varint_get(b, b + n - 1, &v), 0); /* cut short */
    }
}

/* ---------------------------- round trip -------------------------------- */

typedef struct {
    uint8_t frame[256];
    frame_view_t fv;
    datagram_t dg;
} pkt_t;

/* An Ethernet/IPv4/UDP frame with a 12-byte RTP header and payload n. */
static void make_rtp(pkt_t *p, int64_t ts, uint16_t sport, uint32_t n, uint8_t fill)
{
    memset(p, 0, sizeof *p);
    uint8_t *f = p->frame;
    f[12] = 0x08;
    f[14] = 0x45;
    f[23] = 17;
    f[34] = (uint8_t)(sport >> 8), f[35] = (uint8_t)sport;
    f[42] = 0x80;
    for (uint32_t i = 54; i < 54 + n; i++)
        f[i] = fill;
    p->fv =
        (frame_view_t){.linktype = 1, .ts_ns = ts, .data = f, .caplen = 54 + n, .wirelen = 54 + n};
    p->dg = (datagram_t){
        .ts_ns = ts, .data = f + 42, .len = 12 + n, .frame = &p->fv, .frame_no = (uint64_t)ts};
}

typedef struct {
    int64_t ts[64];
    uint32_t caplen[64], wirelen[64];
    uint8_t first[64];
    int n;
} got_t;

static int collect(void *user, int64_t ts, int linktype, const uint8_t *frame, uint32_t caplen,
                   uint32_t wirelen)
{
    got_t *g = user;
    assert_int_equal(linktype, 1);
    if (g->n < 64) {
        g->ts[g->n] = ts;
        g->caplen[g->n] = caplen;
        g->wirelen[g->n] = wirelen;
        g->first[g->n] = caplen > 54 ? frame[54] : 0;
        g->n++;
    }
    return 0;
}

typedef struct {
    got_t g;
    rec_store_t *s;
} find_t;

static int find_cb(void *user, const rec_recording_t *r)
{
    find_t *f = user;
    char err[256];
    assert_int_equal(rec_call_packets(f->s, r, collect, &f->g, err, sizeof err), 0);
    return 0;
}

static char tmpdir[256];

static void rmdir_all(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* Three calls, interleaved, with rtp mode `rtp`; call 3 is not recorded
 * by rules. */
static void record_three(rec_rtp_t rtp, const char *dir)
{
    rec_config_t cfg;
    rec_config_default(&cfg);
    cfg.dir = dir;
    cfg.rtp = rtp;
    cfg.min_free = 0;
    cfg.calls = REC_CALLS_RULES;
    const char *rules[] = {"caller=alice"};
    cfg.rules = rules;
    cfg.rule_count = 1;
    fan_env_t env = {.shards = 1, .lossless = true};
    char err[256];
    void *r = rec_consumer.create(&cfg, &env, err, sizeof err);
    assert_non_null(r);
    assert_int_equal(rec_consumer.wants(r), FAN_WANT_PACKETS | FAN_WANT_CALLS);
    assert_int_equal(rec_consumer.start(r, err, sizeof err), 0);
    corr_sink_t sink = rec_consumer.shard_sink(r, 0);
    const char *users[3] = {"alice", "alice", "bob"};
    const char *ids[3] = {"call-1", "call-2", "call-3"};
    for (int round = 0; round < 5; round++) {
        for (int c = 0; c < 3; c++) {
            pkt_t p;
            make_rtp(&p, 1000000000LL + round * 1000 + c, (uint16_t)(4000 + c), 100,
                     (uint8_t)(round * 16 + c));
            corr_packet_t cp = {.kind = CORR_PKT_RTP,
                                .call_key = (uint64_t)c + 1,
                                .call_id = sv_from_cstr(ids[c]),
                                .dg = &p.dg,
                                .rtp_header_len = 12};
            corr_sip_message_t m = {.from_user = sv_from_cstr(users[c])};
            if (round == 0) { /* the first packet decides: SIP */
                cp.kind = CORR_PKT_SIP;
                cp.sip = &m;
            }
            sink.on_packet(sink.user, &cp);
            if (round == 1) sink.on_packet(sink.user, &cp); /* the same frame again */
        }
    }
    for (int c = 0; c < 3; c++) {
        corr_call_t call = {.call_key = (uint64_t)c + 1};
        snprintf(call.call_id, sizeof call.call_id, "%s", ids[c]);
        sink.on_call(sink.user, &call);
    }
    /* late SIP of call-1: no call key, its Call-ID */
    pkt_t late;
    make_rtp(&late, 1000009000LL, 5060, 10, 0xee);
    corr_sip_message_t lm = {.from_user = sv_from_cstr("alice")};
    corr_packet_t lp = {
        .kind = CORR_PKT_SIP, .call_id = sv_from_cstr("call-1"), .dg = &late.dg, .sip = &lm};
    sink.on_packet(sink.user, &lp);
    rec_consumer.shard_idle(r, 0);
    rec_consumer.stop(r);
    rec_stats_t st;
    rec_stats(r, &st);
    assert_int_equal(st.calls, 2);
    assert_int_equal(st.packets, 11);
    assert_int_equal(st.calls_skipped, 1);
    rec_consumer.free(r);
}

static void test_round_trip(void **state)
{
    (void)state;
    char dir[300];
    snprintf(dir, sizeof dir, "%s/full", tmpdir);
    record_three(REC_RTP_FULL, dir);
    char err[256];
    rec_store_t *s = rec_store_open(dir, err, sizeof err);
    assert_non_null(s);
    find_t f = {.s = s};
    assert_int_equal(rec_find(s, "call-1", find_cb, &f), 1);
    assert_int_equal(f.g.n, 6); /* 5 rounds, the frame seen twice once, late SIP */
    for (int i = 0; i < 5; i++) {
        assert_true(f.g.ts[i] == 1000000000LL + i * 1000);
        assert_int_equal(f.g.caplen[i], 154);
        assert_int_equal(f.g.first[i], i * 16);
    }
    assert_int_equal(f.g.caplen[5], 64); /* the late SIP */
    assert_int_equal(rec_find(s, "call-3", NULL, NULL), 0);
    assert_int_equal(rec_find(s, "call-2", NULL, NULL), 1);
    /* a pcap of call-2: header + 5 packets */
    char path[400];
    snprintf(path, sizeof path, "%s/c2.pcap", tmpdir);
    FILE *out = fopen(path, "wb");
    assert_int_equal(rec_write_pcap(s, "call-2", 0, out, err, sizeof err), 5);
    fclose(out);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, 24 + 5 * (16 + 154));
    assert_int_equal(rec_write_pcap(s, "call-9", 0, stdout, err, sizeof err), -1);
    rec_store_close(s);

    snprintf(dir, sizeof dir, "%s/headers", tmpdir);
    record_three(REC_RTP_HEADERS, dir);
    s = rec_store_open(dir, err, sizeof err);
    find_t h = {.s = s};
    assert_int_equal(rec_find(s, "call-2", find_cb, &h), 1);
    assert_int_equal(h.g.n, 5);
    assert_int_equal(h.g.caplen[0], 154); /* SIP: whole */
    for (int i = 1; i < 5; i++) {
        assert_int_equal(h.g.caplen[i], 54); /* RTP: through its header */
        assert_int_equal(h.g.wirelen[i], 154);
    }
    rec_store_close(s);
}

/* A long recording under a small max_disk: the store never passes it,
 * old segments go, and a call in them is gone. */
static void test_retention(void **state)
{
    (void)state;
    char dir[300];
    snprintf(dir, sizeof dir, "%s/ret", tmpdir);
    rec_config_t cfg;
    rec_config_default(&cfg);
    cfg.dir = dir;
    cfg.min_free = 0;
    cfg.max_disk = 512u << 10;
    cfg.segment_ns = 1000000000LL;
    fan_env_t env = {.shards = 1, .lossless = true};
    char err[256];
    void *r = rec_consumer.create(&cfg, &env, err, sizeof err);
    assert_non_null(r);
    assert_int_equal(rec_consumer.start(r, err, sizeof err), 0);
    corr_sink_t sink = rec_consumer.shard_sink(r, 0);
    uint64_t max_seen = 0;
    for (int i = 0; i < 20000; i++) {
        pkt_t p;
        make_rtp(&p, 1000000000LL + (int64_t)i * 20000000LL, 4000, 160, (uint8_t)i);
        uint64_t key = (uint64_t)(i / 1000) + 1; /* 20 calls of 20 s, one after the other */
        char id[32];
        snprintf(id, sizeof id, "long-%llu", (unsigned long long)key);
        corr_packet_t cp = {.kind = i % 1000 ? CORR_PKT_RTP : CORR_PKT_SIP,
                            .call_key = key,
                            .call_id = sv_from_cstr(id),
                            .dg = &p.dg,
                            .rtp_header_len = 12};
        sink.on_packet(sink.user, &cp);
        if (i % 1000 == 999) {
            corr_call_t call = {.call_key = key};
            snprintf(call.call_id, sizeof call.call_id, "%s", id);
            sink.on_call(sink.user, &call);
        }
        if (i % 500 == 0) {
            rec_consumer.shard_idle(r, 0);
            rec_stats_t st;
            rec_stats(r, &st);
            if (st.store_bytes > max_seen) max_seen = st.store_bytes;
        }
    }
    rec_consumer.shard_idle(r, 0);
    rec_consumer.stop(r);
    rec_stats_t st;
    rec_stats(r, &st);
    rec_consumer.free(r);
    assert_true(max_seen <= cfg.max_disk);
    assert_true(st.store_bytes <= cfg.max_disk);
    assert_true(st.segments_deleted > 0);
    assert_int_equal(st.disk_full_drops, 0);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "test $(du -sb '%s' | cut -f1) -le %llu", dir,
             (unsigned long long)cfg.max_disk + 4096);
    assert_int_equal(system(cmd), 0);
    rec_store_t *s = rec_store_open(dir, err, sizeof err);
    assert_non_null(s);
    /* the first call's segments are gone; the last one is whole */
    find_t f = {.s = s};
    assert_int_equal(rec_find(s, "long-20", find_cb, &f), 1);
    assert_int_equal(f.g.n, 64); /* collect keeps the first 64 */
    FILE *devnull = fopen("/dev/null", "wb");
    assert_int_equal(rec_write_pcap(s, "long-1", 0, devnull, err, sizeof err), -1);
    assert_non_null(strstr(err, "gone"));
    fclose(devnull);
    rec_store_close(s);
}

/* A call whose end never reached the writer (a dropped batch, or the
 * writer stopping first) is still written under its Call-ID, learnt from
 * its SIP. */
static void test_no_end(void **state)
{
    (void)state;
    char dir[300];
    snprintf(dir, sizeof dir, "%s/noend", tmpdir);
    rec_config_t cfg;
    rec_config_default(&cfg);
    cfg.dir = dir;
    cfg.min_free = 0;
    fan_env_t env = {.shards = 1, .lossless = true};
    char err[256];
    void *r = rec_consumer.create(&cfg, &env, err, sizeof err);
    assert_non_null(r);
    assert_int_equal(rec_consumer.start(r, err, sizeof err), 0);
    corr_sink_t sink = rec_consumer.shard_sink(r, 0);
    for (int i = 0; i < 3; i++) {
        pkt_t p;
        make_rtp(&p, 2000000000LL + i, 4000, 20, (uint8_t)i);
        corr_sip_message_t m = {0};
        corr_packet_t cp = {.kind = i ? CORR_PKT_RTP : CORR_PKT_SIP,
                            .call_key = 99,
                            .call_id = i ? SV_NULL : sv_from_cstr("lost-end@host"),
                            .dg = &p.dg,
                            .rtp_header_len = 12,
                            .sip = i ? NULL : &m};
        sink.on_packet(sink.user, &cp);
    }
    rec_consumer.shard_idle(r, 0);
    rec_consumer.stop(r);
    rec_consumer.free(r);
    rec_store_t *s = rec_store_open(dir, err, sizeof err);
    assert_non_null(s);
    find_t f = {.s = s};
    assert_int_equal(rec_find(s, "lost-end@host", find_cb, &f), 1);
    assert_int_equal(f.g.n, 3);
    rec_store_close(s);
}

/* record.sip = false: the recording is named by the Call-ID its media
 * packets carry, though its end never reaches the writer; each frame is
 * stored as it came (the name rides beside it, not in it). */
static void test_media_named(void **state)
{
    (void)state;
    char dir[300];
    snprintf(dir, sizeof dir, "%s/medianame", tmpdir);
    rec_config_t cfg;
    rec_config_default(&cfg);
    cfg.dir = dir;
    cfg.min_free = 0;
    cfg.sip = false;
    fan_env_t env = {.shards = 1, .lossless = true};
    char err[256];
    void *r = rec_consumer.create(&cfg, &env, err, sizeof err);
    assert_non_null(r);
    assert_int_equal(rec_consumer.start(r, err, sizeof err), 0);
    corr_sink_t sink = rec_consumer.shard_sink(r, 0);
    const char *ids[2] = {"media-a@host", "media-b@host"};
    for (int i = 0; i < 12; i++) {
        pkt_t p;
        make_rtp(&p, 3000000000LL + i, (uint16_t)(4000 + i % 2), 40, (uint8_t)i);
        corr_packet_t cp = {.kind = CORR_PKT_RTP,
                            .call_key = 500 + (uint64_t)(i % 2),
                            .call_id = sv_from_cstr(ids[i % 2]),
                            .dg = &p.dg,
                            .rtp_header_len = 12};
        sink.on_packet(sink.user, &cp);
        if (i % 4 == 3) rec_consumer.shard_idle(r, 0); /* several batches */
    }
    rec_consumer.shard_idle(r, 0);
    rec_consumer.stop(r);
    rec_consumer.free(r);
    rec_store_t *s = rec_store_open(dir, err, sizeof err);
    assert_non_null(s);
    for (int c = 0; c < 2; c++) {
        find_t f = {.s = s};
        assert_int_equal(rec_find(s, ids[c], find_cb, &f), 1);
        assert_int_equal(f.g.n, 6);
        for (int i = 0; i < 6; i++) {
            assert_int_equal(f.g.caplen[i], 54 + 40);
            assert_int_equal(f.g.first[i], 2 * i + c);
        }
    }
    rec_store_close(s);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/siphon_test_record.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    rmdir_all(tmpdir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),      cmocka_unit_test(test_varint),
        cmocka_unit_test(test_round_trip), cmocka_unit_test(test_retention),
        cmocka_unit_test(test_no_end),     cmocka_unit_test(test_media_named),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
