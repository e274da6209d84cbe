/* tollfraud.c - toll-fraud probing and abuse:
 *  - prefix enumeration (CESNET Nemea's voip_fraud_detection): one source
 *    dialling toll_prefixes distinct prefixes (the first toll_prefix_len
 *    digits of the Request-URI user, '+' and separators dropped) within
 *    toll_window: someone looking for a route that lets calls out;
 *  - calls to the configured premium or international prefixes
 *    (alerts.toll_premium_prefixes), reported by source with the numbers;
 *  - unusual concurrency: more than toll_max_concurrent calls at once from
 *    one source (started by their INVITE, ended by their record).
 * Each is one incident per source, the rule named in the evidence.
 */
#include "det_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static size_t digits_of(const char *user, char *out, size_t n)
{
    size_t k = 0;
    for (const char *p = user; *p && k + 1 < n; p++) {
        if (isdigit((unsigned char)*p))
            out[k++] = *p;
        else if (*p != '+' && *p != '-' && *p != '.' && *p != ' ' && *p != '(' && *p != ')')
            return 0; /* not a number: an extension name */
    }
    out[k] = '\0';
    return k;
}

static void toll_alert(det_t *d, det__src_t *s, const endpoint_t *src, const endpoint_t *dst,
                       int64_t ts, const char *rule, uint64_t count, uint32_t threshold,
                       const char *number, alert_severity_t sev)
{
    det__report_t r = {.type = ALERT_TOLL_FRAUD,
                       .severity = sev,
                       .key = det__key_ip(0x746f6c6c, &s->ip) ^ hash_bytes(rule, strlen(rule), 9),
                       .src = *src,
                       .dst = *dst,
                       .user = number,
                       .first_ts = s->first_ts,
                       .ts = ts,
                       .count = count};
    if (!det__incident_due(d, &r)) return;
    json_writer_t w;
    det__ev_begin(d, &w);
    json_key(&w, "rule");
    json_cstr(&w, rule);
    json_key(&w, "count");
    json_uint(&w, count);
    json_key(&w, "threshold");
    json_uint(&w, threshold);
    json_key(&w, "distinct_prefixes");
    json_uint(&w, det__wset_count(&s->prefixes));
    json_key(&w, "prefix_digits");
    json_uint(&w, d->cfg.toll_prefix_len);
    json_key(&w, "window_s");
    json_double(&w, (double)d->cfg.toll_window / NS_PER_SEC, 3);
    json_key(&w, "premium_calls");
    json_uint(&w, s->premium_calls);
    json_key(&w, "max_concurrent");
    json_uint(&w, s->max_active);
    json_key(&w, "example_number");
    json_cstr(&w, number);
    json_key(&w, "example_prefix");
    json_cstr(&w, s->example_prefix);
    det__ev_end(d, &w);
    char ip[IP_STR_MAX];
    det__fmt_ip(&s->ip, ip, sizeof ip);
    if (strcmp(rule, "prefix_probing") == 0)
        buf_printf(&d->sm, "toll-fraud probing from %s: %llu distinct prefixes dialled in %.0f s",
                   ip, (unsigned long long)count, (double)d->cfg.toll_window / NS_PER_SEC);
    else if (strcmp(rule, "premium_destination") == 0)
        buf_printf(&d->sm, "calls to premium/international numbers from %s: %llu (last %s)", ip,
                   (unsigned long long)count, number);
    else
        buf_printf(&d->sm, "unusual concurrency from %s: %llu calls at once", ip,
                   (unsigned long long)count);
    det__publish(d, &r);
}

void det__toll_msg(det_t *d, det__src_t *s, const det__msg_t *m)
{
    if (m->method != SIP_INVITE || m->cseq_method != SIP_INVITE) return;
    const char *user = m->ruri_user[0] ? m->ruri_user : m->to_user;
    char num[DET__USER_MAX];
    size_t n = digits_of(user, num, sizeof num);
    if (n == 0) return;
    for (uint32_t i = 0; i < d->cfg.n_toll_premium_prefixes; i++) {
        const char *p = d->cfg.toll_premium_prefixes[i];
        const char *u = user[0] == '+' ? user + 1 : user;
        const char *q = p[0] == '+' ? p + 1 : p;
        if (*q && strncmp(u, q, strlen(q)) == 0) {
            s->premium_calls++;
            toll_alert(d, s, &m->src, &m->dst, m->ts_ns, "premium_destination", s->premium_calls, 1,
                       user, ALERT_SEV_HIGH);
            break;
        }
    }
    if (!d->cfg.toll_prefixes || n < d->cfg.toll_prefix_len) return;
    char prefix[DET__USER_MAX];
    size_t pl =
        d->cfg.toll_prefix_len < sizeof prefix - 1 ? d->cfg.toll_prefix_len : sizeof prefix - 1;
    memcpy(prefix, num, pl);
    prefix[pl] = '\0';
    snprintf(s->example_prefix, sizeof s->example_prefix, "%s", prefix);
    uint32_t k =
        det__wset_add(&s->prefixes, m->ts_ns, d->cfg.toll_window, hash_bytes(prefix, pl, 0x707265));
    if (k >= d->cfg.toll_prefixes)
        toll_alert(d, s, &m->src, &m->dst, m->ts_ns, "prefix_probing", k, d->cfg.toll_prefixes,
                   user, ALERT_SEV_HIGH);
}

void det__toll_started(det_t *d, const det__started_t *st)
{
    bool created;
    det__src_t *s = det__table_get(&d->sources, det__key_ip(0x737263, &st->src.ip), &created);
    if (created) {
        s->ip = st->src.ip;
        s->first_ts = st->ts_ns;
    }
    s->active_calls++;
    if ((uint32_t)s->active_calls > s->max_active) s->max_active = (uint32_t)s->active_calls;
    if (d->cfg.toll_max_concurrent && (uint32_t)s->active_calls > d->cfg.toll_max_concurrent)
        toll_alert(d, s, &st->src, &st->dst, st->ts_ns, "concurrency", (uint64_t)s->active_calls,
                   d->cfg.toll_max_concurrent, st->caller, ALERT_SEV_MEDIUM);
}

void det__toll_call(det_t *d, const det__call_t *c)
{
    det__src_t *s = det__table_find(&d->sources, det__key_ip(0x737263, &c->src.ip));
    if (s && s->active_calls > 0) s->active_calls--;
}
