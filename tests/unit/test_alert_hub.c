/* test_alert_hub.c - the alert hub (alert/hub.c): listeners see every
 * alert in order on the publisher's thread; a full sink queue drops and
 * counts while publishing returns at once; a sink whose target fails is
 * retried with back-off until it works, then delivers everything in order
 * (an ECS file whose directory appears late); stop drains within its time
 * and counts what it had to drop; configuration mistakes (no secret, no
 * encoder, a TLS CA that does not exist) are errors at creation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alert.h"

static alert_t sample(uint64_t id)
{
    alert_t a = {.type = ALERT_BRUTEFORCE,
                 .severity = ALERT_SEV_MEDIUM,
                 .incident_id = id,
                 .target_user = "1001",
                 .first_ts_ns = 1765000000LL * NS_PER_SEC,
                 .last_ts_ns = 1765000001LL * NS_PER_SEC,
                 .count = id,
                 .summary = "guessing",
                 .evidence_json = "{\"challenges\":12}"};
    ip_addr_parse(sv_from_cstr("192.0.2.9"), &a.src.ip);
    return a;
}

static void add_sink(alert_config_t *c, const char *url)
{
    char err[256];
    assert_int_equal(alert_sink_parse(url, &c->sinks[c->sink_count], err, sizeof err), 0);
    c->sink_count++;
}

typedef struct {
    uint64_t ids[64];
    uint32_t n;
} seen_t;

static void listener(void *user, const alert_t *a)
{
    seen_t *s = user;
    if (s->n < 64) s->ids[s->n++] = a->incident_id;
}

/* A UDP socket bound on loopback that nobody reads until the end. */
static int udp_bound(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    *port = ntohs(sa.sin_port);
    return fd;
}

static void test_full_queue_drops(void **state)
{
    (void)state;
    uint16_t port;
    int fd = udp_bound(&port);
    alert_config_t c;
    alert_config_default(&c);
    char url[128], err[256];
    snprintf(url, sizeof url, "syslog+udp://127.0.0.1:%u?queue=4", port);
    add_sink(&c, url);
    alert_hub_t *h = alert_hub_new(&c, err, sizeof err);
    assert_non_null(h);
    seen_t seen = {0};
    assert_int_equal(alert_hub_subscribe(h, listener, &seen), 0);
    /* not started: the queue holds 4, the other 6 are dropped and counted */
    int64_t worst = 0;
    for (uint64_t i = 1; i <= 10; i++) {
        alert_t a = sample(i);
        int64_t t0 = clock_mono_ns();
        alert_hub_publish(h, &a);
        int64_t dt = clock_mono_ns() - t0;
        if (dt > worst) worst = dt;
    }
    assert_true(worst < 1000 * NS_PER_MSEC); /* returned: none waited for room */
    assert_int_equal(seen.n, 10);
    for (uint32_t i = 0; i < 10; i++)
        assert_int_equal(seen.ids[i], i + 1);
    alert_sink_stats_t s;
    uint64_t published;
    alert_hub_stats(h, &s, &published);
    assert_int_equal(published, 10);
    assert_int_equal(s.queued, 4);
    assert_int_equal(s.dropped, 6);
    assert_int_equal(s.depth, 4);
    assert_int_equal(alert_hub_start(h, err, sizeof err), 0);
    alert_hub_stop(h);
    alert_hub_sink_stats(h, 0, &s);
    assert_int_equal(s.sent, 4);
    assert_int_equal(s.depth, 0);
    assert_int_equal(s.failures, 0);
    /* the four datagrams are the first four alerts, in order */
    char buf[4096];
    for (int i = 1; i <= 4; i++) {
        ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
        assert_true(n > 0);
        buf[n] = '\0';
        char want[64];
        snprintf(want, sizeof want, "incident_id=\"%d\"", i);
        assert_non_null(strstr(buf, want));
    }
    assert_true(recv(fd, buf, sizeof buf, MSG_DONTWAIT) < 0);
    /* published after stop: dropped */
    alert_t a = sample(11);
    alert_hub_publish(h, &a);
    alert_hub_sink_stats(h, 0, &s);
    assert_int_equal(s.dropped, 7);
    alert_hub_free(h);
    close(fd);
}

static void test_retry_until_target_works(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_alert_hub.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[64], url[160], file[128], err[256];
    snprintf(sub, sizeof sub, "%s/late", dir);
    snprintf(file, sizeof file, "%s/alerts.json", sub);
    snprintf(url, sizeof url, "ecs:%s", file);
    alert_config_t c;
    alert_config_default(&c);
    c.retry_min_ns = 20 * NS_PER_MSEC;
    c.retry_max_ns = 80 * NS_PER_MSEC;
    c.hostname = "unit";
    add_sink(&c, url);
    alert_hub_t *h = alert_hub_new(&c, err, sizeof err);
    assert_non_null(h);
    assert_int_equal(alert_hub_start(h, err, sizeof err), 0);
    for (uint64_t i = 1; i <= 5; i++) {
        alert_t a = sample(i);
        alert_hub_publish(h, &a);
    }
    usleep(400 * 1000);
    alert_sink_stats_t s;
    alert_hub_sink_stats(h, 0, &s);
    assert_int_equal(s.sent, 0);
    assert_int_equal(s.depth, 5);
    /* 400 ms at 20, 40, 80, 80... ms: several attempts, not one per ms */
    assert_true(s.failures >= 3 && s.failures <= 12);
    assert_int_equal(mkdir(sub, 0700), 0);
    for (int i = 0; i < 200; i++) {
        alert_hub_sink_stats(h, 0, &s);
        if (s.sent == 5) break;
        usleep(10 * 1000);
    }
    alert_hub_stop(h);
    alert_hub_sink_stats(h, 0, &s);
    assert_int_equal(s.sent, 5);
    assert_int_equal(s.queued, 5);
    assert_int_equal(s.dropped, 0);
    assert_true(s.retries >= s.failures - 1 && s.retries >= 3);
    FILE *f = fopen(file, "r");
    assert_non_null(f);
    char line[8192];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        char want[64];
        snprintf(want, sizeof want, "\"incident_id\":%d,", ++n);
        assert_non_null(strstr(line, want));
        assert_non_null(strstr(line, "\"hostname\":\"unit\""));
    }
    fclose(f);
    assert_int_equal(n, 5);
    alert_hub_free(h);
    unlink(file);
    rmdir(sub);
    rmdir(dir);
}

static void test_stop_drains_then_drops(void **state)
{
    (void)state;
    alert_config_t c;
    alert_config_default(&c);
    c.retry_min_ns = 10 * NS_PER_MSEC;
    c.retry_max_ns = 20 * NS_PER_MSEC;
    c.drain_ns = 150 * NS_PER_MSEC;
    add_sink(&c, "ecs:/nonexistent/dir/alerts.json");
    char err[256];
    alert_hub_t *h = alert_hub_new(&c, err, sizeof err);
    assert_non_null(h);
    assert_int_equal(alert_hub_start(h, err, sizeof err), 0);
    for (uint64_t i = 1; i <= 3; i++) {
        alert_t a = sample(i);
        alert_hub_publish(h, &a);
    }
    int64_t t0 = clock_mono_ns();
    alert_hub_stop(h);
    int64_t took = clock_mono_ns() - t0;
    assert_true(took >= 100 * NS_PER_MSEC && took < 1000 * NS_PER_MSEC);
    alert_sink_stats_t s;
    alert_hub_sink_stats(h, 0, &s);
    assert_int_equal(s.queued, 3);
    assert_int_equal(s.sent, 0);
    assert_int_equal(s.dropped, 3);
    assert_true(s.failures >= 2);
    alert_hub_free(h);
}

static void encode(buf_t *out, const alert_t *a)
{
    buf_printf(out, "{\"incident_id\":%llu}\n", (unsigned long long)a->incident_id);
}

static void test_creation_errors(void **state)
{
    (void)state;
    char err[512];
    alert_config_t c;
    alert_config_default(&c);
    add_sink(&c, "webhook+https://127.0.0.1/hook");
    c.encode = encode;
    assert_null(alert_hub_new(&c, err, sizeof err));
    assert_non_null(strstr(err, "needs alerts.webhook_secret_file"));
    c.webhook_secret_file = "/nonexistent/secret";
    assert_null(alert_hub_new(&c, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/secret"));
    char secret[] = "/tmp/test_alert_hub_secret.XXXXXX";
    int fd = mkstemp(secret);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "s3cret\n", 7), 7);
    close(fd);
    c.webhook_secret_file = secret;
    c.encode = NULL;
    assert_null(alert_hub_new(&c, err, sizeof err));
    assert_non_null(strstr(err, "encoder"));
    c.encode = encode;
    alert_hub_t *h = alert_hub_new(&c, err, sizeof err);
    assert_non_null(h);
    alert_hub_free(h);
    /* a HEC token with a line break inside would forge headers */
    alert_config_default(&c);
    c.encode = encode;
    fd = open(secret, O_WRONLY | O_TRUNC);
    assert_int_equal(write(fd, "abc\r\nX-Evil: 1\n", 15), 15);
    close(fd);
    c.hec_token_file = secret;
    add_sink(&c, "hec+https://127.0.0.1:8088");
    assert_null(alert_hub_new(&c, err, sizeof err));
    assert_non_null(strstr(err, "control byte"));
    unlink(secret);
    alert_config_default(&c);
    add_sink(&c, "syslog+tls://127.0.0.1?ca=/nonexistent/ca.pem");
    assert_null(alert_hub_new(&c, err, sizeof err));
    assert_non_null(strstr(err, "CA file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_queue_drops),
        cmocka_unit_test(test_retry_until_target_works),
        cmocka_unit_test(test_stop_drains_then_drops),
        cmocka_unit_test(test_creation_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
