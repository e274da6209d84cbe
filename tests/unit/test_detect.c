/* test_detect.c - the detection consumer (detect/) through its public ops
 * table, fed crafted SIP messages, call records and intervals as a
 * correlator shard would, its alerts caught by a listener:
 *   - a flood is one incident: open once, updates no more often than
 *     update_interval, closed when quiet (a second flood is a new
 *     incident with a new id) or at the end;
 *   - trusted sources are not judged; rate limits hold back incidents;
 *   - a million distinct sources stay within the memory bound (evictions
 *     counted);
 *   - each detector fires on its pattern and stays quiet on its benign
 *     twin: a misconfigured phone against a cracker, a robocaller against
 *     a sociable caller, prefix probing, premium numbers, enumeration,
 *     bad-quality routes, a distribution anomaly after training;
 *   - hostile bytes in User-Agents come out escaped in the NDJSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "encode.h"

#define MAX_ALERTS 4096
#define T0         (1700000000LL * NS_PER_SEC)
#define MS         NS_PER_MSEC
#define SEC        NS_PER_SEC

typedef struct {
    alert_type_t type;
    alert_phase_t phase;
    alert_severity_t severity;
    uint64_t id, count;
    int64_t first, last;
    char src[IP_STR_MAX];
    char user[64];
    char summary[256];
    char json[4096]; /* enc_alert_json */
} caught_t;

static caught_t caught[MAX_ALERTS];
static int ncaught;

static void listener(void *user, const alert_t *a)
{
    (void)user;
    if (ncaught >= MAX_ALERTS) return;
    caught_t *c = &caught[ncaught++];
    c->type = a->type;
    c->phase = a->phase;
    c->severity = a->severity;
    c->id = a->incident_id;
    c->count = a->count;
    c->first = a->first_ts_ns;
    c->last = a->last_ts_ns;
    ip_addr_format(&a->src.ip, c->src, sizeof c->src);
    snprintf(c->user, sizeof c->user, "%s", a->target_user ? a->target_user : "");
    snprintf(c->summary, sizeof c->summary, "%s", a->summary);
    buf_t b;
    buf_init(&b);
    enc_alert_json(&b, a);
    snprintf(c->json, sizeof c->json, "%.*s", (int)b.len, b.data);
    buf_free(&b);
}

typedef struct {
    void *det;
    corr_sink_t sink;
} rig_t;

static void rig_open(rig_t *r, const det_config_t *cfg)
{
    ncaught = 0;
    det_consumer_config_t cc = {.cfg = *cfg, .listener = listener};
    fan_env_t env = {.shards = 1, .threaded = false, .lossless = true};
    char err[256];
    r->det = det_consumer.create(&cc, &env, err, sizeof err);
    assert_non_null(r->det);
    assert_int_equal(det_consumer.start(r->det, err, sizeof err), 0);
    r->sink = det_consumer.shard_sink(r->det, 0);
}

static void rig_stop(rig_t *r, det_stats_t *st)
{
    det_consumer.stop(r->det);
    if (st) det_stats(r->det, st);
}

static void rig_free(rig_t *r)
{
    det_consumer.free(r->det);
}

static endpoint_t ep(const char *ip, uint16_t port)
{
    endpoint_t e = {.port = port};
    assert_true(ip_addr_parse(sv_from_cstr(ip), &e.ip));
    return e;
}

/* One SIP message through the sink, its text built from the fields. */
typedef struct {
    int64_t ts;
    const char *src, *dst;
    const char *method; /* NULL: a response */
    int status;
    const char *cseq_method;
    uint32_t cseq;
    const char *call_id, *from_user, *to_user, *ruri_user, *ua, *from_tag, *auth;
} msg_t;

static void feed(rig_t *r, const msg_t *m)
{
    char text[2048];
    const char *cm = m->cseq_method ? m->cseq_method : m->method ? m->method : "INVITE";
    const char *to = m->to_user ? m->to_user : "bob";
    int n;
    if (m->method)
        n = snprintf(text, sizeof text, "%s sip:%s@10.0.0.1 SIP/2.0\r\n", m->method,
                     m->ruri_user ? m->ruri_user : to);
    else
        n = snprintf(text, sizeof text, "SIP/2.0 %d X\r\n", m->status);
    n += snprintf(text + n, sizeof text - (size_t)n,
                  "Via: SIP/2.0/UDP %s;branch=z9hG4bKabc\r\nFrom: <sip:%s@h>;tag=%s\r\n"
                  "To: <sip:%s@h>\r\nCall-ID: %s\r\nCSeq: %u %s\r\n",
                  m->src, m->from_user ? m->from_user : "alice", m->from_tag ? m->from_tag : "f1",
                  to, m->call_id ? m->call_id : "c1", m->cseq ? m->cseq : 1, cm);
    if (m->ua) n += snprintf(text + n, sizeof text - (size_t)n, "User-Agent: %s\r\n", m->ua);
    if (m->auth) n += snprintf(text + n, sizeof text - (size_t)n, "Authorization: %s\r\n", m->auth);
    n += snprintf(text + n, sizeof text - (size_t)n, "Content-Length: 0\r\n\r\n");
    /* the correlator hands its own parse along: so does this feeder */
    static sip_msg_t parsed;
    bool ok = sip_parse_message((const uint8_t *)text, (size_t)n, &parsed) != PROTO_INVALID;
    corr_sip_message_t e = {
        .ts_ns = m->ts,
        .src = ep(m->src, 5060),
        .dst = ep(m->dst, 5060),
        .transport = TRANSPORT_UDP,
        .data = (const uint8_t *)text,
        .len = (size_t)n,
        .parse = CORR_SIP_OK,
        .is_request = m->method != NULL,
        .method = m->method ? sv_from_cstr(m->method) : SV_NULL,
        .status_code = m->method ? 0 : m->status,
        .call_id = sv_from_cstr(m->call_id ? m->call_id : "c1"),
        .cseq = m->cseq ? m->cseq : 1,
        .cseq_method = sv_from_cstr(cm),
        .from_user = sv_from_cstr(m->from_user ? m->from_user : "alice"),
        .to_user = sv_from_cstr(to),
        .user_agent = m->ua ? sv_from_cstr(m->ua) : SV_NULL,
        .parsed = ok ? &parsed : NULL,
    };
    r->sink.on_sip_message(r->sink.user, &e);
}

static int count_of(alert_type_t t, alert_phase_t p)
{
    int n = 0;
    for (int i = 0; i < ncaught; i++)
        n += caught[i].type == t && caught[i].phase == p;
    return n;
}

/* The last alert of type t; an empty one (id 0) when there is none. */
static const caught_t *last_of(alert_type_t t)
{
    static const caught_t none;
    for (int i = ncaught - 1; i >= 0; i--)
        if (caught[i].type == t) return &caught[i];
    return &none;
}

static det_config_t defaults(void)
{
    det_config_t c;
    det_config_default(&c);
    c.memory_bytes = 4u << 20;
    return c;
}

/* ------------------------------------------------------------------------ */

static void invite_flood(rig_t *r, const char *src, int64_t start, int n, int64_t gap)
{
    char cid[32];
    for (int i = 0; i < n; i++) {
        snprintf(cid, sizeof cid, "fl%d-%lld", i, (long long)start);
        feed(r, &(msg_t){.ts = start + i * gap,
                         .src = src,
                         .dst = "10.0.0.1",
                         .method = "INVITE",
                         .call_id = cid,
                         .ua = "Zoiper"});
    }
}

static void test_flood_lifecycle(void **state)
{
    (void)state;
    rig_t r;
    det_config_t c = defaults();
    rig_open(&r, &c);
    /* 30 s at 100 INVITEs/s, quiet for 2 minutes, then again */
    invite_flood(&r, "192.0.2.7", T0, 3000, 10 * MS);
    r.sink.on_clock(r.sink.user, T0 + 100 * SEC);
    r.sink.on_clock(r.sink.user, T0 + 150 * SEC);
    invite_flood(&r, "192.0.2.7", T0 + 160 * SEC, 300, 10 * MS);
    det_stats_t st;
    rig_stop(&r, &st);
    assert_int_equal(count_of(ALERT_FLOOD, ALERT_PHASE_OPEN), 2);
    assert_int_equal(count_of(ALERT_FLOOD, ALERT_PHASE_CLOSED), 2);
    uint64_t first_id = 0;
    int64_t last_update = 0;
    uint64_t last_count = 0;
    int updates = 0;
    for (int i = 0; i < ncaught; i++) {
        const caught_t *a = &caught[i];
        if (a->type != ALERT_FLOOD) continue;
        assert_int_not_equal(a->id, 0);
        assert_string_equal(a->src, "192.0.2.7");
        if (!first_id) first_id = a->id;
        if (a->id != first_id) continue;
        assert_true(a->count >= last_count);
        last_count = a->count;
        if (a->phase == ALERT_PHASE_UPDATE) {
            if (last_update) assert_true(a->last - last_update >= c.update_interval);
            last_update = a->last;
            updates++;
        }
        /* opened within the first second of the flood */
        if (a->phase == ALERT_PHASE_OPEN) assert_true(a->last - T0 <= 1 * SEC);
    }
    assert_true(updates >= 1 && updates <= 3); /* 30 s, one per 10 s at most */
    /* the first incident closed before the second opened */
    int closed1 = -1, open2 = -1;
    for (int i = 0; i < ncaught; i++) {
        if (caught[i].type != ALERT_FLOOD) continue;
        if (caught[i].id == first_id && caught[i].phase == ALERT_PHASE_CLOSED) closed1 = i;
        if (caught[i].id != first_id && caught[i].phase == ALERT_PHASE_OPEN) open2 = i;
    }
    assert_true(closed1 >= 0 && open2 > closed1);
    assert_int_equal(st.incidents, 2);
    rig_free(&r);
}

static void test_trusted_and_rate_limit(void **state)
{
    (void)state;
    rig_t r;
    det_config_t c = defaults();
    const char *trusted[] = {"192.0.2.0/24"};
    c.trusted = trusted;
    c.n_trusted = 1;
    c.rate_limit = 2;
    rig_open(&r, &c);
    invite_flood(&r, "192.0.2.7", T0, 500, 5 * MS);
    /* five scanners in one minute: two published */
    char ip[32];
    for (int s = 0; s < 5; s++) {
        snprintf(ip, sizeof ip, "198.51.100.%d", 10 + s);
        feed(&r, &(msg_t){.ts = T0 + s * SEC,
                          .src = ip,
                          .dst = "10.0.0.1",
                          .method = "OPTIONS",
                          .ua = "friendly-scanner"});
    }
    det_stats_t st;
    rig_stop(&r, &st);
    assert_int_equal(count_of(ALERT_FLOOD, ALERT_PHASE_OPEN), 0);
    assert_int_equal(st.trusted_skipped, 500);
    assert_int_equal(count_of(ALERT_SCANNER, ALERT_PHASE_OPEN), 2);
    assert_int_equal(st.rate_limited, 3);
    assert_int_equal(st.incidents, 5);
    rig_free(&r);
}

static void test_memory_bound(void **state)
{
    (void)state;
    rig_t r;
    det_config_t c = defaults();
    c.memory_bytes = 2u << 20;
    rig_open(&r, &c);
    char ip[32], cid[32];
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        snprintf(ip, sizeof ip, "11.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        snprintf(cid, sizeof cid, "m%d", i);
        feed(&r, &(msg_t){.ts = T0 + i * 20 * NS_PER_USEC,
                          .src = ip,
                          .dst = "10.0.0.1",
                          .method = "INVITE",
                          .call_id = cid});
    }
    det_stats_t st;
    rig_stop(&r, &st);
    assert_true(st.memory_bytes <= st.memory_limit);
    assert_int_equal(st.memory_limit, 2u << 20);
    assert_true(st.sources_evicted > (uint64_t)n / 2);
    assert_int_equal(st.messages, (uint64_t)n);
    /* the flood towards one target from everyone is still seen */
    assert_int_equal(count_of(ALERT_FLOOD, ALERT_PHASE_OPEN), 1);
    assert_string_equal(last_of(ALERT_FLOOD)->src, "");
    rig_free(&r);
}

static void test_hostile_user_agent(void **state)
{
    (void)state;
    rig_t r;
    det_config_t c = defaults();
    rig_open(&r, &c);
    feed(&r, &(msg_t){.ts = T0,
                      .src = "203.0.113.5",
                      .dst = "10.0.0.1",
                      .method = "OPTIONS",
                      .ua = "friendly-scanner \"q\" \\ |=] \x1b[2J\x7f end"});
    rig_stop(&r, NULL);
    const caught_t *a = last_of(ALERT_SCANNER);
    assert_int_not_equal(a->id, 0);
    assert_null(strchr(a->json, '\x1b'));
    assert_non_null(strstr(a->json, "friendly-scanner \\\"q\\\" \\\\ |=] \\u001b[2J"));
    assert_int_equal(strchr(a->json, '\n') - a->json, (long)strlen(a->json) - 1);
    assert_non_null(strstr(a->json, "\"type\":\"alert\",\"alert_type\":\"scanner\""));
    rig_free(&r);
}

/* A phone with a wrong password, retrying every minute, and a cracker. */
static void auth_attempts(rig_t *r, const char *src, const char *user, int n, int64_t gap,
                          bool vary)
{
    char cid[32], auth[256];
    for (int i = 0; i < n; i++) {
        int64_t t = T0 + i * gap;
        snprintf(cid, sizeof cid, "%s-%d", src, vary ? 0 : i);
        snprintf(auth, sizeof auth,
                 "Digest username=\"%s\",realm=\"h\",nonce=\"n%d\",uri=\"sip:h\",response=\"r%d\"",
                 user, vary ? 0 : i, i);
        feed(r, &(msg_t){.ts = t,
                         .src = src,
                         .dst = "10.0.0.1",
                         .method = "REGISTER",
                         .to_user = user,
                         .from_user = user,
                         .call_id = cid,
                         .cseq = 2,
                         .auth = auth});
        feed(r, &(msg_t){.ts = t + 2 * MS,
                         .src = "10.0.0.1",
                         .dst = src,
                         .status = 401,
                         .cseq_method = "REGISTER",
                         .to_user = user,
                         .from_user = user,
                         .call_id = cid,
                         .cseq = 2});
    }
}

static void test_bruteforce_verdicts(void **state)
{
    (void)state;
    rig_t r;
    det_config_t c = defaults();
    rig_open(&r, &c);
    auth_attempts(&r, "192.0.2.50", "201", 8, 40 * SEC, false);
    rig_stop(&r, NULL);
    const caught_t *a = last_of(ALERT_BRUTEFORCE);
    assert_int_not_equal(a->id, 0);
    assert_string_equal(a->user, "201");
    assert_non_null(strstr(a->json, "\"verdict\":\"misconfigured_phone\""));
    assert_int_equal(a->severity, ALERT_SEV_LOW);
    rig_free(&r);

    rig_open(&r, &c);
    auth_attempts(&r, "192.0.2.51", "202", 30, 10 * MS, true);
    rig_stop(&r, NULL);
    a = last_of(ALERT_BRUTEFORCE);
    assert_int_not_equal(a->id, 0);
    assert_non_null(strstr(a->json, "\"verdict\":\"cracker\""));
    assert_int_equal(a->severity, ALERT_SEV_HIGH);
    /* opened at the 5th failure: 40 ms after the first */
    for (int i = 0; i < ncaught; i++)
        if (caught[i].type == ALERT_BRUTEFORCE && caught[i].phase == ALERT_PHASE_OPEN)
            assert_true(caught[i].last - T0 <= 50 * MS);
    rig_free(&r);

    /* a routine challenge (no credentials in the request) is no failure */
    rig_open(&r, &c);
    for (int i = 0; i < 20; i++)
        feed(&r, &(msg_t){.ts = T0 + i * SEC,
                          .src = "10.0.0.1",
                          .dst = "192.0.2.52",
                          .status = 401,
                          .cseq_method = "REGISTER",
                          .to_user = "203"});
    rig_stop(&r, NULL);
    assert_int_equal(last_of(ALERT_BRUTEFORCE)->id, 0);
    rig_free(&r);
}

static void call(rig_t *r, const char *src, const char *caller, const char *callee, int64_t start,
                 int64_t ring, int64_t talk, int final)
{
    corr_call_t c;
    memset(&c, 0, sizeof c);
    snprintf(c.call_id, sizeof c.call_id, "%s-%s-%lld", caller, callee, (long long)start);
    snprintf(c.caller, sizeof c.caller, "%s", caller);
    snprintf(c.callee, sizeof c.callee, "%s", callee);
    c.src = ep(src, 5060);
    c.dst = ep("10.0.0.1", 5060);
    c.start_ts_ns = start;
    c.final_code = final;
    c.mos = -1;
    if (final == 200) {
        c.answer_ts_ns = start + ring;
        c.end_ts_ns = start + ring + talk;
        c.state = CORR_CALL_ANSWERED;
    } else {
        c.end_ts_ns = start + ring;
        c.state = CORR_CALL_REJECTED;
    }
    r->sink.on_call(r->sink.user, &c);
}

static void test_spit(void **state)
{
    (void)state;
    rig_t r;
    det_config_t c = defaults();
    rig_open(&r, &c);
    char callee[32];
    /* a robocaller: 40 numbers in 20 minutes, a third answer for ~6 s,
     * some decline with 603 */
    for (int i = 0; i < 40; i++) {
        snprintf(callee, sizeof callee, "+1555%04d", i);
        int final = i % 3 == 0 ? 200 : i % 7 == 0 ? 603 : 486;
        call(&r, "198.51.100.9", "+18005550000", callee, T0 + i * 30 * SEC, 8 * SEC,
             (6000 + (i % 5) * 100) * MS, final);
    }
    /* a sociable caller: 5 friends who call back, long talks */
    for (int i = 0; i < 40; i++) {
        snprintf(callee, sizeof callee, "friend%d", i % 5);
        call(&r, "192.0.2.80", "alice", callee, T0 + i * 60 * SEC, 5 * SEC,
             (60 + (i * 37) % 600) * SEC, i % 4 ? 200 : 486);
        if (i % 2)
            call(&r, "192.0.2.81", callee, "alice", T0 + i * 60 * SEC + 30 * SEC, 3 * SEC,
                 120 * SEC, 200);
    }
    rig_stop(&r, NULL);
    int spit = 0;
    for (int i = 0; i < ncaught; i++) {
        if (caught[i].type != ALERT_SPIT || caught[i].phase != ALERT_PHASE_OPEN) continue;
        spit++;
        assert_string_equal(caught[i].user, "+18005550000");
        assert_non_null(strstr(caught[i].json, "\"score\":"));
        assert_non_null(strstr(caught[i].json, "\"short_call_share\""));
    }
    assert_int_equal(spit, 1);
    rig_free(&r);
}

static void test_toll_fraud(void **state)
{
    (void)state;
    rig_t r;
    det_config_t c = defaults();
    const char *premium[] = {"+882"};
    c.toll_premium_prefixes = premium;
    c.n_toll_premium_prefixes = 1;
    rig_open(&r, &c);
    char num[32], cid[32];
    for (int i = 0; i < 12; i++) { /* 12 countries in 6 s */
        snprintf(num, sizeof num, "00%d%07d", 30 + i * 3, i);
        snprintf(cid, sizeof cid, "t%d", i);
        feed(&r, &(msg_t){.ts = T0 + i * 500 * MS,
                          .src = "203.0.113.77",
                          .dst = "10.0.0.1",
                          .method = "INVITE",
                          .to_user = num,
                          .call_id = cid});
    }
    feed(&r, &(msg_t){.ts = T0 + 60 * SEC,
                      .src = "203.0.113.78",
                      .dst = "10.0.0.1",
                      .method = "INVITE",
                      .to_user = "+88216000111",
                      .call_id = "p1"});
    /* an office dialling 12 local numbers: one prefix */
    for (int i = 0; i < 12; i++) {
        snprintf(num, sizeof num, "0301234%04d", i);
        snprintf(cid, sizeof cid, "o%d", i);
        feed(&r, &(msg_t){.ts = T0 + i * 500 * MS,
                          .src = "192.0.2.90",
                          .dst = "10.0.0.1",
                          .method = "INVITE",
                          .to_user = num,
                          .call_id = cid});
    }
    rig_stop(&r, NULL);
    int probing = 0, premium_n = 0;
    for (int i = 0; i < ncaught; i++) {
        if (caught[i].type != ALERT_TOLL_FRAUD || caught[i].phase != ALERT_PHASE_OPEN) continue;
        assert_string_not_equal(caught[i].src, "192.0.2.90");
        if (strstr(caught[i].json, "prefix_probing")) probing++;
        if (strstr(caught[i].json, "premium_destination")) {
            premium_n++;
            assert_string_equal(caught[i].user, "+88216000111");
        }
    }
    assert_int_equal(probing, 1);
    assert_int_equal(premium_n, 1);
    rig_free(&r);
}

static void test_enumeration(void **state)
{
    (void)state;
    rig_t r;
    det_config_t c = defaults();
    rig_open(&r, &c);
    char user[16], cid[16];
    for (int i = 0; i < 40; i++) {
        snprintf(user, sizeof user, "%d", 100 + i);
        snprintf(cid, sizeof cid, "e%d", i);
        int64_t t = T0 + i * 20 * MS;
        feed(&r, &(msg_t){.ts = t,
                          .src = "203.0.113.20",
                          .dst = "10.0.0.1",
                          .method = "REGISTER",
                          .to_user = user,
                          .call_id = cid});
        feed(&r, &(msg_t){.ts = t + MS,
                          .src = "10.0.0.1",
                          .dst = "203.0.113.20",
                          .status = i % 10 ? 404 : 401,
                          .cseq_method = "REGISTER",
                          .to_user = user,
                          .call_id = cid});
    }
    rig_stop(&r, NULL);
    const caught_t *a = last_of(ALERT_ENUMERATION);
    assert_int_not_equal(a->id, 0);
    assert_string_equal(a->src, "203.0.113.20");
    assert_non_null(strstr(a->json, "\"distinct_users\":"));
    rig_free(&r);
}

static void test_quality_route(void **state)
{
    (void)state;
    rig_t r;
    det_config_t c = defaults();
    rig_open(&r, &c);
    for (int i = 0; i < 4; i++) {
        corr_call_t k;
        memset(&k, 0, sizeof k);
        snprintf(k.call_id, sizeof k.call_id, "q%d", i);
        k.src = ep("192.0.2.10", 5060);
        k.dst = ep("198.51.100.20", 5060);
        k.start_ts_ns = T0 + i * 10 * SEC;
        k.answer_ts_ns = k.start_ts_ns + SEC;
        k.end_ts_ns = k.answer_ts_ns + 30 * SEC;
        k.state = CORR_CALL_ANSWERED;
        k.mos = i == 0 ? 4.3 : 2.4; /* three bad calls */
        r.sink.on_call(r.sink.user, &k);
    }
    rig_stop(&r, NULL);
    assert_int_equal(count_of(ALERT_QUALITY, ALERT_PHASE_OPEN), 1);
    const caught_t *a = last_of(ALERT_QUALITY);
    assert_non_null(strstr(a->summary, "192.0.2.0/24 -> 198.51.100.0/24"));
    assert_non_null(strstr(a->json, "\"bad_calls\":3"));
    rig_free(&r);
}

static void test_anomaly(void **state)
{
    (void)state;
    rig_t r;
    det_config_t c = defaults();
    c.flood_target_requests = 0;
    rig_open(&r, &c);
    char cid[32], src[32];
    int64_t t = T0;
    /* 20 slots of ordinary calls: 20 per slot of 5 s */
    for (int i = 0; i < 400; i++, t += 250 * MS) {
        snprintf(cid, sizeof cid, "n%d", i);
        snprintf(src, sizeof src, "10.1.%d.%d", i / 200, 1 + i % 200);
        feed(&r,
             &(msg_t){.ts = t, .src = src, .dst = "10.0.0.1", .method = "INVITE", .call_id = cid});
        feed(&r,
             &(msg_t){
                 .ts = t + 10 * MS, .src = "10.0.0.1", .dst = src, .status = 180, .call_id = cid});
        feed(&r,
             &(msg_t){
                 .ts = t + 20 * MS, .src = "10.0.0.1", .dst = src, .status = 200, .call_id = cid});
        feed(
            &r,
            &(msg_t){
                .ts = t + 30 * MS, .src = src, .dst = "10.0.0.1", .method = "ACK", .call_id = cid});
        feed(&r, &(msg_t){.ts = t + 40 * MS,
                          .src = src,
                          .dst = "10.0.0.1",
                          .method = "BYE",
                          .cseq = 2,
                          .call_id = cid});
        feed(&r, &(msg_t){.ts = t + 50 * MS,
                          .src = "10.0.0.1",
                          .dst = src,
                          .status = 200,
                          .cseq = 2,
                          .cseq_method = "BYE",
                          .call_id = cid});
    }
    assert_int_equal(count_of(ALERT_DISTRIBUTION_ANOMALY, ALERT_PHASE_OPEN), 0);
    /* then INVITEs from everywhere, each source once */
    for (int i = 0; i < 2000; i++, t += 5 * MS) {
        snprintf(cid, sizeof cid, "x%d", i);
        snprintf(src, sizeof src, "11.0.%d.%d", i / 250, i % 250);
        feed(&r,
             &(msg_t){.ts = t, .src = src, .dst = "10.0.0.1", .method = "INVITE", .call_id = cid});
    }
    r.sink.on_clock(r.sink.user, t + 10 * SEC);
    rig_stop(&r, NULL);
    assert_int_equal(count_of(ALERT_DISTRIBUTION_ANOMALY, ALERT_PHASE_OPEN), 1);
    for (int i = 0; i < ncaught; i++) /* not before the flood began */
        if (caught[i].type == ALERT_DISTRIBUTION_ANOMALY)
            assert_true(caught[i].last > T0 + 100 * SEC);
    assert_non_null(strstr(last_of(ALERT_DISTRIBUTION_ANOMALY)->json, "\"hellinger\":"));
    assert_int_equal(count_of(ALERT_FLOOD, ALERT_PHASE_OPEN), 0); /* no source floods */
    rig_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flood_lifecycle),     cmocka_unit_test(test_trusted_and_rate_limit),
        cmocka_unit_test(test_memory_bound),        cmocka_unit_test(test_hostile_user_agent),
        cmocka_unit_test(test_bruteforce_verdicts), cmocka_unit_test(test_spit),
        cmocka_unit_test(test_toll_fraud),          cmocka_unit_test(test_enumeration),
        cmocka_unit_test(test_quality_route),       cmocka_unit_test(test_anomaly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
