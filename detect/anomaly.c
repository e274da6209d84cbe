/* anomaly.c - the distribution anomaly (vFDS, Sengar et al. 2008): per
 * time slot, the share of INVITE, 1xx, 2xx, ACK, BYE and 4xx-6xx among the
 * call signalling is compared with the learned shares by the Hellinger
 * distance HD = sqrt(1/2 sum (sqrt p_i - sqrt q_i)^2), 0 for the same
 * distribution, 1 for disjoint ones.  A flood spread over a million
 * sources, each too slow to trip a per-source counter, still turns the mix
 * into mostly INVITEs with no answers.
 *
 * Learning: the first anomaly_training_slots slots with enough messages set
 * the learned shares (their mean); afterwards every normal slot moves them
 * by 1/16 (an exponentially weighted mean), an anomalous one not at all, so
 * an attack cannot teach itself in.  Only a shift towards INVITEs and
 * failures (4xx-6xx) is reported: a mix with fewer INVITEs than learnt is
 * traffic winding down, not a flood.  A slot with fewer than
 * anomaly_min_messages messages is neither judged nor learnt.  One incident
 * for the whole traffic (key 0), updated while slots stay anomalous.
 */
#include "det_internal.h"

#include <math.h>
#include <stdio.h>

static const char *const names[DET__D_N] = {"INVITE", "1xx", "2xx", "ACK", "BYE", "4xx-6xx"};

void det__anomaly_msg(det_t *d, const det__msg_t *m)
{
    det__anomaly_t *a = &d->anomaly;
    int k = -1;
    if (m->is_request) {
        if (m->method == SIP_INVITE) k = DET__D_INVITE;
        if (m->method == SIP_ACK) k = DET__D_ACK;
        if (m->method == SIP_BYE) k = DET__D_BYE;
    } else if (m->cseq_method == SIP_INVITE || m->cseq_method == SIP_BYE) {
        k = m->status < 200    ? DET__D_1XX
            : m->status < 300  ? DET__D_2XX
            : m->status >= 400 ? DET__D_4XX
                               : -1;
    }
    if (k < 0) return;
    if (a->slot_start == 0) {
        int64_t w = d->cfg.anomaly_slot > 0 ? d->cfg.anomaly_slot : NS_PER_SEC;
        a->slot_start = m->ts_ns - m->ts_ns % w;
    }
    a->cur[k]++;
}

static void judge(det_t *d, int64_t slot_end)
{
    det__anomaly_t *a = &d->anomaly;
    uint64_t n = 0;
    for (int i = 0; i < DET__D_N; i++)
        n += a->cur[i];
    if (n < d->cfg.anomaly_min_messages || n == 0) return;
    double q[DET__D_N];
    for (int i = 0; i < DET__D_N; i++)
        q[i] = (double)a->cur[i] / (double)n;
    if (a->trained < d->cfg.anomaly_training_slots) {
        for (int i = 0; i < DET__D_N; i++)
            a->learned[i] = (a->learned[i] * a->trained + q[i]) / (a->trained + 1);
        a->trained++;
        return;
    }
    double s = 0;
    for (int i = 0; i < DET__D_N; i++) {
        double x = sqrt(a->learned[i]) - sqrt(q[i]);
        s += x * x;
    }
    double hd = sqrt(s / 2);
    /* a flood shifts the mix towards INVITEs and failures; calls winding
     * down (answers, ACKs and BYEs of calls already begun, no new INVITE)
     * move it the other way and are no attack */
    bool towards_flood =
        q[DET__D_INVITE] + q[DET__D_4XX] > a->learned[DET__D_INVITE] + a->learned[DET__D_4XX];
    if (hd * 100 < d->cfg.anomaly_threshold_pct || !towards_flood) {
        for (int i = 0; i < DET__D_N; i++)
            a->learned[i] += (q[i] - a->learned[i]) / 16;
        a->first_anomalous = 0;
        return;
    }
    int64_t w = d->cfg.anomaly_slot;
    if (!a->first_anomalous) a->first_anomalous = slot_end - w;
    a->anomalous_messages += n;
    det__report_t r = {.type = ALERT_DISTRIBUTION_ANOMALY,
                       .severity = hd >= 0.7 ? ALERT_SEV_HIGH : ALERT_SEV_MEDIUM,
                       .key = 0,
                       .first_ts = a->first_anomalous,
                       .ts = slot_end,
                       .count = a->anomalous_messages};
    if (!det__incident_due(d, &r)) return;
    json_writer_t jw;
    det__ev_begin(d, &jw);
    json_key(&jw, "hellinger");
    json_double(&jw, hd, 3);
    json_key(&jw, "threshold");
    json_double(&jw, d->cfg.anomaly_threshold_pct / 100.0, 2);
    json_key(&jw, "slot_s");
    json_double(&jw, (double)w / NS_PER_SEC, 3);
    json_key(&jw, "messages");
    json_uint(&jw, n);
    json_key(&jw, "current");
    json_obj_begin(&jw);
    for (int i = 0; i < DET__D_N; i++) {
        json_key(&jw, names[i]);
        json_uint(&jw, a->cur[i]);
    }
    json_obj_end(&jw);
    json_key(&jw, "learned_share");
    json_obj_begin(&jw);
    for (int i = 0; i < DET__D_N; i++) {
        json_key(&jw, names[i]);
        json_double(&jw, a->learned[i], 3);
    }
    json_obj_end(&jw);
    det__ev_end(d, &jw);
    buf_printf(&d->sm,
               "call signalling mix changed: Hellinger distance %.2f (threshold %.2f), %llu "
               "messages in %.0f s, %.0f%% INVITE",
               hd, d->cfg.anomaly_threshold_pct / 100.0, (unsigned long long)n,
               (double)w / NS_PER_SEC, 100.0 * q[DET__D_INVITE]);
    det__publish(d, &r);
}

void det__anomaly_tick(det_t *d, int64_t now)
{
    det__anomaly_t *a = &d->anomaly;
    int64_t w = d->cfg.anomaly_slot > 0 ? d->cfg.anomaly_slot : NS_PER_SEC;
    if (a->slot_start == 0 || now < a->slot_start + w) return;
    judge(d, a->slot_start + w);
    for (int i = 0; i < DET__D_N; i++)
        a->cur[i] = 0;
    a->slot_start = now - now % w;
}
