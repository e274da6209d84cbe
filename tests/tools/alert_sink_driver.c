/* alert_sink_driver.c - publishes synthetic alerts through an alert hub
 * configured with the sinks given on the command line, then prints the
 * hub's counters as JSON.  The end-to-end sink test and the sink
 * benchmark drive it against real receivers.
 *
 *   alert_sink_driver --sink URL [--sink URL...] [--count N] [--ca FILE]
 *       [--secret-file FILE] [--token-file FILE] [--queue N] [--retry-min MS]
 *       [--retry-max MS] [--drain MS] [--wait MS] [--plain]
 *
 * Alert i (0-based) is a pure function of i (alert_sink_check.py builds
 * the same ones): type i % 8, severity i % 5, phase i % 3, incident
 * 1000 + i, source 198.51.100.(i % 250 + 1):(5060 + i) or, for every
 * fourth, 2001:db8::(i), destination 203.0.113.5:5060, packet times
 * 1765000000 + i s and 1.5 s later, count 10 * i + 1, and unless --plain
 * a hostile target user, summary and evidence (quotes, pipes, equals
 * signs, backslashes, brackets, CR/LF/TAB, an ill-formed UTF-8 byte, a C1
 * control, a bidi override).  --wait: after publishing, wait up to MS for
 * every sink to have delivered or dropped all it queued, then stop (the
 * hub drains for at most --drain).  Publishing is timed call by call;
 * cpu_s is the process's CPU time from the first publish to delivery.
 *
 * The webhook body and HEC event use this file's encoding of the NDJSON
 * contract's fields (the list); siphon itself hands the hub
 * encode's enc_alert_json.
 */
#include "alert.h"

#include <getopt.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HOSTILE "x\"y|z=w\\v]u[t{q}\nn\rr\tb\xff\xc2\x85\xe2\x80\xae end"

static void contract_json(buf_t *out, const alert_t *a)
{
    json_writer_t w;
    json_init(&w, out);
    json_obj_begin(&w);
    json_key(&w, "type"), json_cstr(&w, "alert");
    json_key(&w, "alert_type"), json_cstr(&w, alert_type_name(a->type));
    json_key(&w, "severity"), json_cstr(&w, alert_severity_name(a->severity));
    json_key(&w, "phase"), json_cstr(&w, alert_phase_name(a->phase));
    json_key(&w, "incident_id"), json_uint(&w, a->incident_id);
    json_key(&w, "src_ip"), json_ip(&w, &a->src.ip);
    json_key(&w, "src_port"), json_uint(&w, a->src.port);
    json_key(&w, "dst_ip"), json_ip(&w, &a->dst.ip);
    json_key(&w, "dst_port"), json_uint(&w, a->dst.port);
    json_key(&w, "target_user"), json_cstr(&w, a->target_user);
    json_key(&w, "first_ts"), json_ts(&w, a->first_ts_ns);
    json_key(&w, "last_ts"), json_ts(&w, a->last_ts_ns);
    json_key(&w, "count"), json_uint(&w, a->count);
    json_key(&w, "summary"), json_cstr(&w, a->summary);
    json_key(&w, "evidence");
    buf_append(out, a->evidence_json, strlen(a->evidence_json));
    w.need_comma[w.depth] = true;
    json_obj_end(&w);
    buf_putc(out, '\n');
}

typedef struct {
    char user[256], summary[512];
    buf_t evidence;
} strings_t;

static alert_t make_alert(uint32_t i, bool plain, strings_t *s)
{
    alert_t a = {.type = (alert_type_t)(i % ALERT_TYPE_COUNT),
                 .severity = (alert_severity_t)(i % ALERT_SEV_COUNT),
                 .phase = (alert_phase_t)(i % 3),
                 .incident_id = 1000 + i,
                 .first_ts_ns = (1765000000LL + i) * NS_PER_SEC,
                 .last_ts_ns = (1765000000LL + i) * NS_PER_SEC + 1500 * NS_PER_MSEC,
                 .count = 10ull * i + 1};
    char ip[64];
    if (i % 4 == 3)
        snprintf(ip, sizeof ip, "2001:db8::%x", i);
    else
        snprintf(ip, sizeof ip, "198.51.100.%u", i % 250 + 1);
    ip_addr_parse(sv_from_cstr(ip), &a.src.ip);
    a.src.port = (uint16_t)(5060 + i);
    ip_addr_parse(sv_from_cstr("203.0.113.5"), &a.dst.ip);
    a.dst.port = 5060;
    const char *h = plain ? "plain" : HOSTILE;
    snprintf(s->user, sizeof s->user, "u%u%s", i, h);
    snprintf(s->summary, sizeof s->summary, "alert %u: User-Agent %s", i, h);
    buf_reset(&s->evidence);
    json_writer_t w;
    json_init(&w, &s->evidence);
    json_obj_begin(&w);
    json_key(&w, "i"), json_uint(&w, i);
    json_key(&w, "user_agent"), json_cstr(&w, h);
    json_obj_end(&w);
    buf_putc(&s->evidence, '\0');
    a.target_user = s->user;
    a.summary = s->summary;
    a.evidence_json = s->evidence.data;
    return a;
}

/* CPU time of the whole process (publisher, sink threads, the wait). */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t ms_arg(const char *v)
{
    return (int64_t)strtoll(v, NULL, 10) * NS_PER_MSEC;
}

int main(int argc, char **argv)
{
    static alert_config_t c;
    alert_config_default(&c);
    c.encode = contract_json;
    c.hostname = "siphon-test";
    uint32_t count = 20;
    int64_t wait_ns = 10 * NS_PER_SEC;
    bool plain = false;
    char err[512];
    static const struct option opts[] = {{"sink", required_argument, 0, 's'},
                                         {"count", required_argument, 0, 'n'},
                                         {"ca", required_argument, 0, 'a'},
                                         {"secret-file", required_argument, 0, 'k'},
                                         {"token-file", required_argument, 0, 't'},
                                         {"queue", required_argument, 0, 'q'},
                                         {"retry-min", required_argument, 0, 'r'},
                                         {"retry-max", required_argument, 0, 'R'},
                                         {"drain", required_argument, 0, 'd'},
                                         {"wait", required_argument, 0, 'w'},
                                         {"plain", no_argument, 0, 'p'},
                                         {0, 0, 0, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 's':
            if (c.sink_count >= ALERT_SINKS_MAX ||
                alert_sink_parse(optarg, &c.sinks[c.sink_count], err, sizeof err) != 0) {
                fprintf(stderr, "alert_sink_driver: %s: %s\n", optarg, err);
                return 2;
            }
            c.sink_count++;
            break;
        case 'n':
            count = (uint32_t)strtoul(optarg, NULL, 10);
            break;
        case 'a':
            c.tls_ca = optarg;
            break;
        case 'k':
            c.webhook_secret_file = optarg;
            break;
        case 't':
            c.hec_token_file = optarg;
            break;
        case 'q':
            c.queue = (uint32_t)strtoul(optarg, NULL, 10);
            break;
        case 'r':
            c.retry_min_ns = ms_arg(optarg);
            break;
        case 'R':
            c.retry_max_ns = ms_arg(optarg);
            break;
        case 'd':
            c.drain_ns = ms_arg(optarg);
            break;
        case 'w':
            wait_ns = ms_arg(optarg);
            break;
        case 'p':
            plain = true;
            break;
        default:
            fprintf(stderr, "usage: alert_sink_driver --sink URL... [options] (see the source)\n");
            return 2;
        }
    }
    alert_hub_t *h = alert_hub_new(&c, err, sizeof err);
    if (!h || alert_hub_start(h, err, sizeof err) != 0) {
        fprintf(stderr, "alert_sink_driver: %s\n", err);
        return 1;
    }
    strings_t s;
    buf_init(&s.evidence);
    double cpu0 = cpu_s();
    int64_t worst = 0, total = 0, t_start = clock_mono_ns();
    int64_t *times = calloc(count ? count : 1, sizeof *times);
    for (uint32_t i = 0; i < count; i++) {
        alert_t a = make_alert(i, plain, &s);
        int64_t t0 = clock_mono_ns();
        alert_hub_publish(h, &a);
        int64_t dt = clock_mono_ns() - t0;
        total += dt;
        times[i] = dt;
        if (dt > worst) worst = dt;
    }
    int64_t t_published = clock_mono_ns();
    for (int64_t until = clock_mono_ns() + wait_ns; clock_mono_ns() < until;) {
        bool done = true;
        for (uint32_t i = 0; i < alert_hub_sink_count(h) && done; i++) {
            alert_sink_stats_t st;
            alert_hub_sink_stats(h, i, &st);
            done = st.depth == 0; /* alerts leave a queue delivered or dropped */
        }
        if (done) break;
        usleep(2000);
    }
    int64_t t_delivered = clock_mono_ns();
    double cpu = cpu_s() - cpu0;
    alert_hub_stop(h);
    int64_t t_stopped = clock_mono_ns();
    uint64_t published;
    alert_sink_stats_t sum;
    alert_hub_stats(h, &sum, &published);
    qsort(times, count, sizeof *times, cmp_i64);
    int64_t p99 = count ? times[(uint64_t)count * 99 / 100] : 0;
    int64_t p999 = count ? times[(uint64_t)count * 999 / 1000] : 0;
    free(times);
    printf("{\"published\":%llu,\"publish_ns_max\":%lld,\"publish_ns_mean\":%lld,"
           "\"publish_ns_p99\":%lld,\"publish_ns_p999\":%lld,"
           "\"cpu_s\":%.6f,\"publish_s\":%.6f,\"deliver_s\":%.6f,\"stop_s\":%.6f,\"sinks\":[",
           (unsigned long long)published, (long long)worst, (long long)(count ? total / count : 0),
           (long long)p99, (long long)p999, cpu, (double)(t_published - t_start) / 1e9,
           (double)(t_delivered - t_start) / 1e9, (double)(t_stopped - t_delivered) / 1e9);
    for (uint32_t i = 0; i < alert_hub_sink_count(h); i++) {
        alert_sink_stats_t st;
        alert_hub_sink_stats(h, i, &st);
        printf("%s{\"name\":\"%s\",\"queued\":%llu,\"sent\":%llu,\"dropped\":%llu,"
               "\"retries\":%llu,\"failures\":%llu,\"depth\":%u}",
               i ? "," : "", alert_hub_sink_name(h, i), (unsigned long long)st.queued,
               (unsigned long long)st.sent, (unsigned long long)st.dropped,
               (unsigned long long)st.retries, (unsigned long long)st.failures, st.depth);
    }
    printf("]}\n");
    buf_free(&s.evidence);
    alert_hub_free(h);
    return 0;
}
