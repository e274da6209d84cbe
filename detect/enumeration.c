/* enumeration.c - extension enumeration (svwar and the like): one source
 * asking for enum_users distinct To users within enum_window, with at least
 * enum_failure_pct of the final answers to its requests 404, 401 or 403
 * (the registrar telling, one way or another, which extensions exist).
 * Answers are matched to the source as the destination of the response.
 * One incident per source; the evidence gives the distinct users, the
 * answers and an example user.
 */
#include "det_internal.h"

#include <stdio.h>
#include <string.h>

void det__enum_msg(det_t *d, det__src_t *s, const det__msg_t *m)
{
    if (m->method == SIP_ACK || m->method == SIP_CANCEL || m->method == SIP_BYE) return;
    if (!m->to_user[0]) return;
    det__wset_add(&s->users, m->ts_ns, d->cfg.enum_window,
                  hash_bytes(m->to_user, strlen(m->to_user), 0x75736572));
    snprintf(s->example_user, sizeof s->example_user, "%s", m->to_user);
}

void det__enum_response(det_t *d, det__src_t *s, const det__msg_t *m)
{
    if (m->status < 200 || m->cseq_method == SIP_ACK || m->cseq_method == SIP_BYE) return;
    det__win_hit(&s->finals, m->ts_ns, d->cfg.enum_window, 1);
    bool fail = m->status == 404 || m->status == 401 || m->status == 403 || m->status == 407;
    if (fail)
        det__win_hit(&s->failures, m->ts_ns, d->cfg.enum_window, 1);
    else
        det__win_hit(&s->failures, m->ts_ns, d->cfg.enum_window, 0);
    uint32_t users = det__wset_count(&s->users);
    if (!d->cfg.enum_users || users < d->cfg.enum_users) return;
    uint64_t finals = (uint64_t)s->finals.prev + s->finals.cur;
    uint64_t fails = (uint64_t)s->failures.prev + s->failures.cur;
    if (!finals || fails * 100 < finals * d->cfg.enum_failure_pct) return;
    det__report_t r = {.type = ALERT_ENUMERATION,
                       .severity = ALERT_SEV_HIGH,
                       .key = det__key_ip(0x656e756d, &s->ip),
                       .src = {s->ip, m->dst.port},
                       .dst = m->src,
                       .first_ts = s->first_ts,
                       .ts = m->ts_ns,
                       .count = users};
    if (!det__incident_due(d, &r)) return;
    json_writer_t w;
    det__ev_begin(d, &w);
    json_key(&w, "distinct_users");
    json_uint(&w, users);
    json_key(&w, "threshold");
    json_uint(&w, d->cfg.enum_users);
    json_key(&w, "window_s");
    json_double(&w, (double)d->cfg.enum_window / NS_PER_SEC, 3);
    json_key(&w, "final_answers");
    json_uint(&w, finals);
    json_key(&w, "answered_404_401_403_407");
    json_uint(&w, fails);
    json_key(&w, "failure_pct");
    json_double(&w, 100.0 * (double)fails / (double)finals, 1);
    json_key(&w, "example_user");
    json_cstr(&w, s->example_user);
    json_key(&w, "example_answer");
    json_uint(&w, m->status);
    json_key(&w, "user_agent");
    json_cstr(&w, s->example_ua);
    det__ev_end(d, &w);
    char ip[IP_STR_MAX];
    det__fmt_ip(&s->ip, ip, sizeof ip);
    buf_printf(&d->sm,
               "extension enumeration from %s: %u distinct users, %.0f%% answered 404/401/403", ip,
               users, 100.0 * (double)fails / (double)finals);
    det__publish(d, &r);
}
