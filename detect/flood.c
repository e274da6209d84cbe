/* flood.c - request floods: per source (Kamailio pike's two sampling
 * windows over every request, and per method over a longer window, as the
 * ET Open rules count INVITE and REGISTER floods) and towards one
 * destination from many sources (a flood spread over addresses that no
 * per-source counter sees; its distinct sources are counted by linear
 * counting over 1,024 bits).
 *
 * The incident of a per-source flood is keyed by the source address (one
 * incident whatever methods it floods with; the evidence names the method
 * that tripped and every method's count); the incident of a target flood
 * by the destination endpoint.
 */
#include "det_internal.h"

#include <stdio.h>
#include <string.h>

static const char *const method_class_name[4] = {"INVITE", "REGISTER", "OPTIONS", "other"};

static int method_class(uint8_t m)
{
    switch (m) {
    case SIP_INVITE:
        return 0;
    case SIP_REGISTER:
        return 1;
    case SIP_OPTIONS:
        return 2;
    default:
        return 3;
    }
}

static void source_alert(det_t *d, det__src_t *s, const det__msg_t *m, const char *why, int mc,
                         uint32_t value, uint32_t threshold, int64_t window, int64_t first)
{
    det__report_t r = {.type = ALERT_FLOOD,
                       .severity = value >= 10 * threshold ? ALERT_SEV_CRITICAL : ALERT_SEV_HIGH,
                       .key = det__key_ip(0x666c6f6f64, &s->ip),
                       .src = {s->ip, m->src.port},
                       .dst = m->dst,
                       .first_ts = first,
                       .ts = m->ts_ns,
                       .count = s->requests};
    if (!det__incident_due(d, &r)) return;
    json_writer_t w;
    det__ev_begin(d, &w);
    json_key(&w, "rule");
    json_cstr(&w, why);
    json_key(&w, "method");
    json_cstr(&w, mc >= 0 ? method_class_name[mc] : "any");
    json_key(&w, "rate");
    json_uint(&w, value);
    json_key(&w, "threshold");
    json_uint(&w, threshold);
    json_key(&w, "window_s");
    json_double(&w, (double)window / NS_PER_SEC, 3);
    json_key(&w, "by_method");
    json_obj_begin(&w);
    for (int i = 0; i < 4; i++) {
        json_key(&w, method_class_name[i]);
        json_uint(&w, det__win_value(&s->method[i]));
    }
    json_obj_end(&w);
    json_key(&w, "requests");
    json_uint(&w, s->requests);
    json_key(&w, "distinct_targets");
    json_uint(&w, det__wset_count(&s->targets));
    json_key(&w, "example");
    json_obj_begin(&w);
    json_key(&w, "method");
    json_cstr(&w, sip_method_name((sip_method_t)m->method));
    json_key(&w, "to_user");
    json_cstr(&w, m->to_user);
    json_key(&w, "call_id");
    json_cstr(&w, m->call_id);
    json_key(&w, "user_agent");
    json_cstr(&w, m->user_agent);
    json_obj_end(&w);
    det__ev_end(d, &w);
    char ip[IP_STR_MAX];
    det__fmt_ip(&s->ip, ip, sizeof ip);
    buf_printf(&d->sm, "%s flood: %u requests per %.0f s from %s (threshold %u)",
               mc >= 0 ? method_class_name[mc] : "request", value, (double)window / NS_PER_SEC, ip,
               threshold);
    det__publish(d, &r);
}

void det__flood_msg(det_t *d, det__src_t *s, const det__msg_t *m)
{
    int mc = method_class(m->method);
    if (m->method == SIP_ACK || m->method == SIP_CANCEL) mc = 3;
    uint32_t p = det__win_hit(&s->pike, m->ts_ns, d->cfg.flood_window, 1);
    if (s->pike.prev == 0 && s->pike.cur == 1) s->pike_first = m->ts_ns;
    uint32_t v = det__win_hit(&s->method[mc], m->ts_ns, d->cfg.flood_method_window, 1);
    if (s->method[mc].prev == 0 && s->method[mc].cur == 1) s->method_first[mc] = m->ts_ns;
    if (d->cfg.flood_method_requests && v >= d->cfg.flood_method_requests)
        source_alert(d, s, m, "per_method", mc, v, d->cfg.flood_method_requests,
                     d->cfg.flood_method_window, s->method_first[mc]);
    else if (d->cfg.flood_requests && p >= d->cfg.flood_requests)
        source_alert(d, s, m, "pike", -1, p, d->cfg.flood_requests, d->cfg.flood_window,
                     s->pike_first);
}

void det__flood_target(det_t *d, const det__msg_t *m)
{
    if (!d->cfg.flood_target_requests) return;
    bool created;
    uint64_t key = endpoint_hash(&m->dst) ^ 0x746172676574ULL;
    det__target_t *t = det__table_get(&d->targets, key, &created);
    if (created) t->ep = m->dst;
    int64_t w = d->cfg.flood_target_window > 0 ? d->cfg.flood_target_window : 1;
    int64_t slot = m->ts_ns - m->ts_ns % w;
    if (t->src_start == 0) {
        t->src_start = slot;
    } else if (slot != t->src_start && m->ts_ns > t->src_start) {
        if (slot == t->src_start + w)
            memcpy(t->srcs_prev, t->srcs_cur, sizeof t->srcs_prev);
        else
            memset(t->srcs_prev, 0, sizeof t->srcs_prev);
        memset(t->srcs_cur, 0, sizeof t->srcs_cur);
        t->src_start = slot;
    }
    uint32_t bit = (uint32_t)(hash_u64(det__key_ip(7, &m->src.ip)) % (16 * 64));
    t->srcs_cur[bit / 64] |= 1ull << (bit % 64);
    uint32_t v = det__win_hit(&t->reqs, m->ts_ns, w, 1);
    if (v < d->cfg.flood_target_requests) return;
    uint64_t u[16];
    for (int i = 0; i < 16; i++)
        u[i] = t->srcs_prev[i] | t->srcs_cur[i];
    uint32_t sources = det__lc_estimate(u, 16);
    if (sources < d->cfg.flood_target_sources) return;
    det__report_t r = {.type = ALERT_FLOOD,
                       .severity = ALERT_SEV_CRITICAL,
                       .key = key,
                       .dst = t->ep,
                       .user = m->to_user,
                       .first_ts = t->reqs.start - (t->reqs.prev ? w : 0),
                       .ts = m->ts_ns,
                       .count = v};
    if (!det__incident_due(d, &r)) return;
    json_writer_t jw;
    det__ev_begin(d, &jw);
    json_key(&jw, "rule");
    json_cstr(&jw, "target");
    json_key(&jw, "rate");
    json_uint(&jw, v);
    json_key(&jw, "threshold");
    json_uint(&jw, d->cfg.flood_target_requests);
    json_key(&jw, "window_s");
    json_double(&jw, (double)w / NS_PER_SEC, 3);
    json_key(&jw, "distinct_sources");
    json_uint(&jw, sources);
    json_key(&jw, "example");
    json_obj_begin(&jw);
    det__json_ep(&jw, "src", &m->src);
    json_key(&jw, "method");
    json_cstr(&jw, sip_method_name((sip_method_t)m->method));
    json_key(&jw, "to_user");
    json_cstr(&jw, m->to_user);
    json_key(&jw, "call_id");
    json_cstr(&jw, m->call_id);
    json_obj_end(&jw);
    det__ev_end(d, &jw);
    char ip[IP_STR_MAX];
    det__fmt_ip(&t->ep.ip, ip, sizeof ip);
    buf_printf(&d->sm, "flood towards %s:%u: %u requests per %.0f s from ~%u sources", ip,
               t->ep.port, v, (double)w / NS_PER_SEC, sources);
    det__publish(d, &r);
}
