/* test_fanout.c - the fan-out of consumers (fanout/fanout.c): a shard's
 * sink has exactly the callbacks someone wants (NULL for the rest), a lone
 * taker is called directly (the sink is its own), two consumers both get
 * every record of a real correlator in the same order, each shard's
 * records reach that shard's state only, and consumers start in order and
 * stop in reverse (a failed start stops those already started). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "corr_testlib.h"
#include "fanout.h"

#define LOG_MAX 256

/* Everything the test consumers saw, in order, across consumers. */
typedef struct {
    char line[LOG_MAX][96];
    int n;
} log_t;

static log_t g_log;
static char g_life[256]; /* start/stop/free order, e.g. "+A+B-B-A" */

static void log_add(const char *fmt, ...)
{
    if (g_log.n >= LOG_MAX) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_log.line[g_log.n++], sizeof g_log.line[0], fmt, ap);
    va_end(ap);
}

typedef struct {
    const char *name;
    uint32_t wants;
    bool fail_start;
} tc_config_t;

typedef struct tc tc_t;
typedef struct {
    tc_t *c;
    uint32_t shard;
    uint64_t calls, events, intervals, idles;
} tc_shard_t;

struct tc {
    tc_config_t cfg;
    tc_shard_t shard[4];
    uint32_t nshards;
};

static void *tc_create(const void *config, const fan_env_t *env, char *err, size_t errlen)
{
    tc_t *c = calloc(1, sizeof *c);
    c->cfg = *(const tc_config_t *)config;
    c->nshards = env->shards;
    for (uint32_t s = 0; s < env->shards; s++)
        c->shard[s] = (tc_shard_t){.c = c, .shard = s};
    return c;
}

static uint32_t tc_wants(const void *self)
{
    return ((const tc_t *)self)->cfg.wants;
}

static void tc_on_call(void *user, const corr_call_t *call)
{
    tc_shard_t *s = user;
    s->calls++;
    log_add("%s/%u call %s", s->c->cfg.name, s->shard, call->call_id);
}

static void tc_on_orphan(void *user, const corr_stream_t *st)
{
    tc_shard_t *s = user;
    log_add("%s/%u orphan", s->c->cfg.name, s->shard);
}

static void tc_on_vq(void *user, const corr_vq_report_t *r)
{
    tc_shard_t *s = user;
    log_add("%s/%u vq", s->c->cfg.name, s->shard);
}

static void tc_on_event(void *user, const corr_call_event_t *ev)
{
    tc_shard_t *s = user;
    s->events++;
    log_add("%s/%u event %d %s", s->c->cfg.name, s->shard, (int)ev->type, ev->call_id);
}

static void tc_on_reg(void *user, const corr_registration_t *r)
{
    tc_shard_t *s = user;
    log_add("%s/%u registration", s->c->cfg.name, s->shard);
}

static void tc_on_interval(void *user, const corr_interval_event_t *ev)
{
    tc_shard_t *s = user;
    s->intervals++;
    log_add("%s/%u interval", s->c->cfg.name, s->shard);
}

/* A consumer offers every callback; the fan-out keeps the wanted ones. */
static corr_sink_t tc_shard_sink(void *self, uint32_t shard)
{
    tc_t *c = self;
    return (corr_sink_t){.on_call = tc_on_call,
                         .on_orphan_stream = tc_on_orphan,
                         .user = &c->shard[shard],
                         .on_vq_report = tc_on_vq,
                         .on_call_event = tc_on_event,
                         .on_registration = tc_on_reg,
                         .on_quality_interval = tc_on_interval};
}

static void tc_idle(void *self, uint32_t shard)
{
    ((tc_t *)self)->shard[shard].idles++;
}

static int tc_start(void *self, char *err, size_t errlen)
{
    tc_t *c = self;
    if (c->cfg.fail_start) {
        snprintf(err, errlen, "%s refuses", c->cfg.name);
        return -1;
    }
    strcat(g_life, "+"), strcat(g_life, c->cfg.name);
    return 0;
}

static void tc_stop(void *self)
{
    strcat(g_life, "-"), strcat(g_life, ((tc_t *)self)->cfg.name);
}

static void tc_stats(const void *self, fan_stats_t *out)
{
    const tc_t *c = self;
    for (uint32_t s = 0; s < c->nshards; s++)
        out->records += c->shard[s].calls + c->shard[s].events + c->shard[s].intervals;
}

static void tc_free(void *self)
{
    strcat(g_life, "x"), strcat(g_life, ((tc_t *)self)->cfg.name);
    free(self);
}

static const fan_consumer_ops_t tc_ops = {.name = "test",
                                          .create = tc_create,
                                          .wants = tc_wants,
                                          .shard_sink = tc_shard_sink,
                                          .shard_idle = tc_idle,
                                          .start = tc_start,
                                          .stop = tc_stop,
                                          .stats = tc_stats,
                                          .free = tc_free};

static fan_t *new_fan(uint32_t shards)
{
    fan_env_t env = {.shards = shards, .threaded = shards > 1, .lossless = true};
    fan_t *f = fan_new(&env);
    assert_non_null(f);
    memset(&g_log, 0, sizeof g_log);
    g_life[0] = '\0';
    return f;
}

static tc_t *add(fan_t *f, const tc_config_t *cfg)
{
    char err[128];
    tc_t *c = fan_add(f, &tc_ops, cfg, err, sizeof err);
    assert_non_null(c);
    return c;
}

static void test_only_wanted_callbacks(void **state)
{
    (void)state;
    char err[128];
    /* nobody: every callback NULL */
    fan_t *f = new_fan(1);
    assert_int_equal(fan_start(f, err, sizeof err), 0);
    corr_sink_t s = fan_shard_sink(f, 0);
    assert_null(s.on_call), assert_null(s.on_orphan_stream), assert_null(s.on_vq_report);
    assert_null(s.on_call_event), assert_null(s.on_registration);
    assert_null(s.on_quality_interval);
    fan_free(f);

    /* one consumer wanting calls and intervals, one wanting nothing: the
     * sink is the first consumer's own, with only those two callbacks */
    f = new_fan(1);
    tc_t *a = add(f, &(tc_config_t){.name = "A", .wants = FAN_WANT_CALLS | FAN_WANT_INTERVALS});
    tc_t *z = add(f, &(tc_config_t){.name = "Z", .wants = 0});
    assert_int_equal(fan_start(f, err, sizeof err), 0);
    assert_int_equal(fan_wanted(f), FAN_WANT_CALLS | FAN_WANT_INTERVALS);
    s = fan_shard_sink(f, 0);
    assert_ptr_equal(s.user, &a->shard[0]);
    assert_true(s.on_call == tc_on_call);
    assert_true(s.on_quality_interval == tc_on_interval);
    assert_null(s.on_orphan_stream), assert_null(s.on_vq_report), assert_null(s.on_call_event);
    assert_null(s.on_registration);
    /* wanting nothing, Z never sees a record */
    corr_call_t call = {.call_id = "c1"};
    s.on_call(s.user, &call);
    assert_int_equal(a->shard[0].calls, 1);
    assert_int_equal(z->shard[0].calls, 0);
    assert_int_equal(g_log.n, 1);
    assert_string_equal(g_log.line[0], "A/0 call c1");
    fan_free(f);

    /* two consumers: each kind is set iff someone wants it, and a kind with
     * one taker reaches only that taker */
    f = new_fan(1);
    a = add(f, &(tc_config_t){.name = "A", .wants = FAN_WANT_CALLS | FAN_WANT_CALL_EVENTS});
    tc_t *b = add(f, &(tc_config_t){.name = "B", .wants = FAN_WANT_CALLS | FAN_WANT_INTERVALS});
    assert_int_equal(fan_start(f, err, sizeof err), 0);
    s = fan_shard_sink(f, 0);
    assert_ptr_not_equal(s.user, &a->shard[0]);
    assert_ptr_not_equal(s.user, &b->shard[0]);
    assert_non_null(s.on_call), assert_non_null(s.on_call_event);
    assert_non_null(s.on_quality_interval);
    assert_null(s.on_orphan_stream), assert_null(s.on_vq_report), assert_null(s.on_registration);
    corr_call_event_t ev = {.type = CORR_EV_CALL_STARTED, .call_id = "c2"};
    corr_interval_event_t iv = {.call_id = "c2"};
    s.on_call_event(s.user, &ev);
    s.on_quality_interval(s.user, &iv);
    assert_int_equal(a->shard[0].events, 1), assert_int_equal(b->shard[0].events, 0);
    assert_int_equal(a->shard[0].intervals, 0), assert_int_equal(b->shard[0].intervals, 1);
    fan_free(f);
}

/* Three calls through a real correlator whose sink is the fan-out's. */
static void run_calls(corr_sink_t *sink)
{
    corr_config_t cfg;
    corr_config_default(&cfg);
    cfg.max_calls = 64, cfg.max_streams = 256, cfg.max_media_endpoints = 256;
    cfg.max_orphan_flows = 64;
    corr_t *c = corr_new(&cfg, sink);
    assert_non_null(c);
    const char *ids[3] = {"first@x", "second@x", "third@x"};
    for (int i = 0; i < 3; i++) {
        double t = i * 1000.0;
        ts_invite(c, t, ids[i], 1, "ft", NULL, "b1", NULL);
        ts_resp(c, t + 10, 200, "OK", ids[i], 1, "INVITE", "ft", "tt", NULL, NULL);
        ts_req_caller(c, t + 20, "ACK", ids[i], 1, "ft", "tt", NULL, NULL);
        ts_req_caller(c, t + 500, "BYE", ids[i], 2, "ft", "tt", NULL, NULL);
        ts_resp(c, t + 510, 200, "OK", ids[i], 2, "BYE", "ft", "tt", NULL, NULL);
    }
    corr_flush(c);
    corr_free(c);
}

static void test_two_consumers_same_order(void **state)
{
    (void)state;
    char err[128];
    fan_t *f = new_fan(1);
    tc_t *a = add(f, &(tc_config_t){.name = "A", .wants = FAN_WANT_CALLS | FAN_WANT_CALL_EVENTS});
    tc_t *b = add(f, &(tc_config_t){.name = "B", .wants = FAN_WANT_CALLS});
    assert_int_equal(fan_start(f, err, sizeof err), 0);
    corr_sink_t s = fan_shard_sink(f, 0);
    run_calls(&s);
    assert_int_equal(a->shard[0].calls, 3);
    assert_int_equal(b->shard[0].calls, 3);
    assert_true(a->shard[0].events >= 3); /* started and answered per call */
    assert_int_equal(b->shard[0].events, 0);
    /* every call reaches A then B, right after each other, in the order the
     * correlator emitted them; A's events come in between */
    char calls_a[3][96], calls_b[3][96];
    int na = 0, nb = 0;
    for (int i = 0; i < g_log.n; i++) {
        if (strncmp(g_log.line[i], "A/0 call ", 9) == 0) {
            assert_true(na < 3);
            assert_true(i + 1 < g_log.n);
            assert_string_equal(g_log.line[i + 1] + 1, g_log.line[i] + 1);
            assert_int_equal(g_log.line[i + 1][0], 'B');
            snprintf(calls_a[na++], sizeof calls_a[0], "%s", g_log.line[i] + 9);
        } else if (strncmp(g_log.line[i], "B/0 call ", 9) == 0) {
            assert_true(nb < 3);
            snprintf(calls_b[nb++], sizeof calls_b[0], "%s", g_log.line[i] + 9);
        } else {
            assert_true(strncmp(g_log.line[i], "A/0 event ", 10) == 0);
        }
    }
    assert_int_equal(na, 3), assert_int_equal(nb, 3);
    for (int i = 0; i < 3; i++)
        assert_string_equal(calls_a[i], calls_b[i]);
    /* and the calls come in the order they ended */
    assert_string_equal(calls_a[0], "first@x");
    assert_string_equal(calls_a[1], "second@x");
    assert_string_equal(calls_a[2], "third@x");
    fan_stats_t st;
    fan_consumer_stats(f, 0, &st);
    assert_int_equal(st.records, 3 + a->shard[0].events);
    fan_consumer_stats(f, 1, &st);
    assert_int_equal(st.records, 3);
    fan_free(f);
}

static void test_per_shard_sinks(void **state)
{
    (void)state;
    char err[128];
    fan_t *f = new_fan(3);
    tc_t *a = add(f, &(tc_config_t){.name = "A", .wants = FAN_WANT_CALLS});
    tc_t *b = add(f, &(tc_config_t){.name = "B", .wants = FAN_WANT_CALLS});
    assert_int_equal(fan_start(f, err, sizeof err), 0);
    corr_sink_t s[3];
    for (uint32_t i = 0; i < 3; i++)
        s[i] = fan_shard_sink(f, i);
    assert_ptr_not_equal(s[0].user, s[1].user);
    assert_ptr_not_equal(s[1].user, s[2].user);
    corr_call_t call = {.call_id = "x"};
    /* shard i gets i + 1 calls */
    for (uint32_t i = 0; i < 3; i++)
        for (uint32_t k = 0; k <= i; k++)
            s[i].on_call(s[i].user, &call);
    for (uint32_t i = 0; i < 3; i++) {
        assert_int_equal(a->shard[i].calls, i + 1);
        assert_int_equal(b->shard[i].calls, i + 1);
    }
    assert_string_equal(g_log.line[0], "A/0 call x");
    assert_string_equal(g_log.line[1], "B/0 call x");
    assert_string_equal(g_log.line[2], "A/1 call x");
    assert_string_equal(g_log.line[g_log.n - 1], "B/2 call x");
    /* idle reaches every consumer's state of that shard only */
    fan_shard_idle(f, 2);
    assert_int_equal(a->shard[2].idles, 1), assert_int_equal(b->shard[2].idles, 1);
    assert_int_equal(a->shard[0].idles, 0), assert_int_equal(b->shard[1].idles, 0);
    fan_free(f);
}

static void test_start_stop_order(void **state)
{
    (void)state;
    char err[128];
    fan_t *f = new_fan(1);
    add(f, &(tc_config_t){.name = "A"});
    add(f, &(tc_config_t){.name = "B"});
    add(f, &(tc_config_t){.name = "C"});
    assert_int_equal(fan_consumer_count(f), 3);
    assert_string_equal(fan_consumer_name(f, 1), "test");
    assert_int_equal(fan_start(f, err, sizeof err), 0);
    fan_stop(f);
    assert_string_equal(g_life, "+A+B+C-C-B-A");
    fan_stop(f); /* stopped consumers are not stopped twice */
    fan_free(f);
    assert_string_equal(g_life, "+A+B+C-C-B-AxCxBxA");

    /* B fails to start: A (started) is stopped, C never started */
    f = new_fan(1);
    add(f, &(tc_config_t){.name = "A"});
    add(f, &(tc_config_t){.name = "B", .fail_start = true});
    add(f, &(tc_config_t){.name = "C"});
    assert_int_equal(fan_start(f, err, sizeof err), -1);
    assert_string_equal(err, "B refuses");
    assert_string_equal(g_life, "+A-A");
    fan_free(f);
    assert_string_equal(g_life, "+A-AxCxBxA");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_only_wanted_callbacks),
        cmocka_unit_test(test_two_consumers_same_order),
        cmocka_unit_test(test_per_shard_sinks),
        cmocka_unit_test(test_start_stop_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
