/* quality_alerts.c - bad quality, per route: the source network to the
 * destination network (IPv4 /24, IPv6 /64) of a call or a stream, over
 * quality_window.
 *   - calls: a call whose MOS (the worse direction) is below
 *     quality_mos_x100 / 100, or flagged one_way_audio, is bad; at
 *     quality_bad_calls bad calls on a route the route is reported;
 *   - intervals: a stream interval losing quality_loss_pct or more, or
 *     with jitter at quality_jitter or more, is bad; quality_bad_intervals
 *     of them on a route in the window is sustained loss or jitter.
 * One incident per route (not per call): a broken link is one problem.
 * Quality alerts are operational, not security alerts; the trusted list
 * does not silence them.
 */
#include "det_internal.h"

#include <stdio.h>
#include <string.h>

static ip_addr_t net_of(const ip_addr_t *a)
{
    ip_addr_t n = *a;
    int keep = a->family == IP_V4 ? 3 : 8;
    for (int i = keep; i < 16; i++)
        n.bytes[i] = 0;
    return n;
}

static det__route_t *route(det_t *d, const endpoint_t *src, const endpoint_t *dst, int64_t ts)
{
    ip_addr_t sn = net_of(&src->ip), dn = net_of(&dst->ip);
    uint64_t key = det__key_ip(0x726f757465, &sn) * 31 + det__key_ip(0x647374, &dn);
    bool created;
    det__route_t *r = det__table_get(&d->routes, key, &created);
    if (created || ts - r->start >= d->cfg.quality_window) {
        memset(r, 0, sizeof *r);
        r->src_net = sn;
        r->dst_net = dn;
        r->start = ts;
        r->worst_mos = 5;
    }
    r->src = *src;
    r->dst = *dst;
    return r;
}

static void report(det_t *d, det__route_t *r, int64_t ts, const char *rule, uint64_t count)
{
    uint64_t key = det__key_ip(0x71, &r->src_net) * 31 + det__key_ip(0x72, &r->dst_net);
    det__report_t rep = {.type = ALERT_QUALITY,
                         .severity = ALERT_SEV_MEDIUM,
                         .key = key,
                         .src = {r->src_net, 0},
                         .dst = {r->dst_net, 0},
                         .first_ts = r->first_ts ? r->first_ts : r->start,
                         .ts = ts,
                         .count = count};
    if (!det__incident_due(d, &rep)) return;
    json_writer_t w;
    det__ev_begin(d, &w);
    json_key(&w, "rule");
    json_cstr(&w, rule);
    json_key(&w, "window_s");
    json_double(&w, (double)d->cfg.quality_window / NS_PER_SEC, 0);
    json_key(&w, "calls");
    json_uint(&w, r->calls);
    json_key(&w, "bad_calls");
    json_uint(&w, r->bad_calls);
    json_key(&w, "one_way_audio");
    json_uint(&w, r->one_way);
    json_key(&w, "mos_threshold");
    json_double(&w, d->cfg.quality_mos_x100 / 100.0, 2);
    json_key(&w, "worst_mos");
    json_double(&w, r->worst_mos < 5 ? r->worst_mos : -1, 2);
    json_key(&w, "intervals");
    json_uint(&w, r->intervals);
    json_key(&w, "bad_intervals");
    json_uint(&w, r->bad_intervals);
    json_key(&w, "max_loss_pct");
    json_double(&w, r->max_loss_pct, 1);
    json_key(&w, "max_jitter_ms");
    json_double(&w, r->max_jitter_ms, 1);
    det__json_ep(&w, "example_src", &r->src);
    det__json_ep(&w, "example_dst", &r->dst);
    json_key(&w, "example_call_id");
    json_cstr(&w, r->example_call);
    det__ev_end(d, &w);
    char a[IP_STR_MAX], b[IP_STR_MAX];
    det__fmt_ip(&r->src_net, a, sizeof a);
    det__fmt_ip(&r->dst_net, b, sizeof b);
    const char *plen = r->src_net.family == IP_V4 ? "/24" : "/64";
    if (strcmp(rule, "bad_calls") == 0)
        buf_printf(&d->sm,
                   "bad call quality on route %s%s -> %s%s: %u of %u calls bad (worst MOS %.2f)", a,
                   plen, b, plen, r->bad_calls, r->calls, r->worst_mos);
    else
        buf_printf(
            &d->sm,
            "sustained loss/jitter on route %s%s -> %s%s: %u of %u intervals bad (loss up to "
            "%.1f%%, jitter up to %.1f ms)",
            a, plen, b, plen, r->bad_intervals, r->intervals, r->max_loss_pct, r->max_jitter_ms);
    det__publish(d, &rep);
}

void det__quality_call(det_t *d, const det__call_t *c)
{
    if (!c->answer_ns) return;
    bool low = c->mos >= 0 && c->mos * 100 < d->cfg.quality_mos_x100;
    int64_t ts = c->end_ns ? c->end_ns : c->answer_ns;
    det__route_t *r = route(d, &c->src, &c->dst, ts);
    r->calls++;
    if (!low && !c->one_way_audio) return;
    if (!r->first_ts) r->first_ts = c->start_ns;
    r->bad_calls++;
    if (c->one_way_audio) r->one_way++;
    if (c->mos >= 0 && c->mos < r->worst_mos) r->worst_mos = c->mos;
    snprintf(r->example_call, sizeof r->example_call, "%s", c->call_id);
    if (d->cfg.quality_bad_calls && r->bad_calls >= d->cfg.quality_bad_calls)
        report(d, r, ts, "bad_calls", r->bad_calls);
}

void det__quality_interval(det_t *d, const det__interval_t *iv)
{
    uint64_t expected = (uint64_t)iv->packets + iv->lost;
    if (!expected) return;
    double loss = 100.0 * iv->lost / (double)expected;
    bool bad = loss >= d->cfg.quality_loss_pct ||
               (iv->jitter_ms >= 0 && iv->jitter_ms * NS_PER_MSEC >= (double)d->cfg.quality_jitter);
    det__route_t *r = route(d, &iv->src, &iv->dst, iv->ts_ns);
    r->intervals++;
    if (!bad) return;
    if (!r->first_ts) r->first_ts = iv->ts_ns;
    r->bad_intervals++;
    if (loss > r->max_loss_pct) r->max_loss_pct = loss;
    if (iv->jitter_ms > r->max_jitter_ms) r->max_jitter_ms = iv->jitter_ms;
    if (d->cfg.quality_bad_intervals && r->bad_intervals >= d->cfg.quality_bad_intervals)
        report(d, r, iv->ts_ns, "sustained_loss_jitter", r->bad_intervals);
}
