/* spit.c - SPIT (spam over IP telephony) from call patterns, per caller
 * (the From user of finished calls) over spit_window:
 *
 *   feature                                   points  (score = sum, 0..1)
 *   fan-out: distinct callees / calls >= 0.8    0.10
 *   answer ratio < 0.5                          0.15
 *   short answered calls (< spit_short_call)
 *     >= half of the answered                   0.25
 *   durations alike (coefficient of variation
 *     < 0.5 over >= 5 answered calls)           0.10
 *   callees who call back < 5 %                 0.10
 *   603 Decline / 607 Unwanted >= 5 %           0.20
 *   call rate >= 30 per hour                    0.10
 *
 * A caller is judged from spit_min_calls calls on, and again every
 * spit_min_calls calls; at spit_threshold_pct it is reported, the score and
 * every feature with its points in the evidence.  No single feature is
 * enough, and what people do to unwanted calls (hang up at once, decline)
 * weighs most: a busy agent of a call centre dials many numbers nobody
 * calls back, at a high rate, reaching few (at most 0.55), but talks for
 * minutes with the people who answer and is rarely declined.  "Calls back" is measured with a
 * capped table of caller-callee pairs: when B calls A after A called B, A's callee called back.
 */
#include "det_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static uint64_t user_key(const char *u)
{
    uint64_t k = hash_bytes(u, strlen(u), 0x63616c6c6572ULL);
    return k ? k : 1;
}

static uint64_t pair_key(const char *a, const char *b)
{
    return hash_u64(hash_bytes(a, strlen(a), 0x70) * 31 + hash_bytes(b, strlen(b), 0x71));
}

typedef struct {
    const char *name;
    double value, points;
} feature_t;

void det__spit_call(det_t *d, const det__call_t *c)
{
    if (!c->caller[0] || !c->callee[0] || !c->start_ns) return;
    /* the callee calling back someone who called it */
    bool created;
    if (det__table_find(&d->pairs, pair_key(c->callee, c->caller))) {
        det__caller_t *back = det__table_find(&d->callers, user_key(c->callee));
        if (back) back->callbacks++;
    }
    det__table_get(&d->pairs, pair_key(c->caller, c->callee), &created);

    det__caller_t *k = det__table_get(&d->callers, user_key(c->caller), &created);
    if (created || c->start_ns - k->first_ts > d->cfg.spit_window) {
        memset(k, 0, sizeof *k);
        snprintf(k->user, sizeof k->user, "%s", c->caller);
        k->first_ts = c->start_ns;
    }
    k->ip = c->src.ip;
    if (c->start_ns > k->last_ts) k->last_ts = c->start_ns;
    k->calls++;
    uint32_t b = (uint32_t)(hash_u64(user_key(c->callee)) % 256);
    k->callees[b / 64] |= 1ull << (b % 64);
    if (c->answer_ns && c->end_ns >= c->answer_ns) {
        double dur = (double)(c->end_ns - c->answer_ns) / NS_PER_SEC;
        k->answered++;
        k->dur_sum += dur;
        k->dur_sumsq += dur * dur;
        if (c->end_ns - c->answer_ns < d->cfg.spit_short_call) k->short_calls++;
    }
    if (c->final_code == 603 || c->final_code == 607) k->declined++;
    uint32_t min = d->cfg.spit_min_calls ? d->cfg.spit_min_calls : 1;
    if (k->calls < min || k->calls - k->last_scored_calls < min) return;
    k->last_scored_calls = k->calls;

    uint32_t callees = det__lc_estimate(k->callees, 4);
    double fan = (double)callees / k->calls;
    double ans = (double)k->answered / k->calls;
    double shortp = k->answered ? (double)k->short_calls / k->answered : 0;
    double mean = k->answered ? k->dur_sum / k->answered : 0;
    double var = k->answered ? k->dur_sumsq / k->answered - mean * mean : 0;
    double cv = mean > 0 ? sqrt(var > 0 ? var : 0) / mean : 0;
    double cb = callees ? (double)k->callbacks / callees : 0;
    double decl = (double)k->declined / k->calls;
    double hours = (double)(k->last_ts - k->first_ts) / (3600.0 * NS_PER_SEC);
    double rate = k->calls / (hours > 1.0 / 60 ? hours : 1.0 / 60);
    feature_t f[] = {
        {"fan_out", fan, fan >= 0.8 ? 0.10 : 0},
        {"answer_ratio", ans, ans < 0.5 ? 0.15 : 0},
        {"short_call_share", shortp, k->answered && shortp >= 0.5 ? 0.25 : 0},
        {"duration_cv", cv, k->answered >= 5 && cv < 0.5 ? 0.10 : 0},
        {"callback_ratio", cb, cb < 0.05 ? 0.10 : 0},
        {"declined_share", decl, decl >= 0.05 ? 0.20 : 0},
        {"calls_per_hour", rate, rate >= 30 ? 0.10 : 0},
    };
    double score = 0;
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        score += f[i].points;
    if (score * 100 + 1e-9 < d->cfg.spit_threshold_pct) return;
    det__report_t r = {.type = ALERT_SPIT,
                       .severity = score >= 0.8 ? ALERT_SEV_HIGH : ALERT_SEV_MEDIUM,
                       .key = user_key(k->user),
                       .src = {k->ip, c->src.port},
                       .user = k->user,
                       .first_ts = k->first_ts,
                       .ts = c->end_ns > c->start_ns ? c->end_ns : c->start_ns,
                       .count = k->calls};
    if (!det__incident_due(d, &r)) return;
    json_writer_t w;
    det__ev_begin(d, &w);
    json_key(&w, "score");
    json_double(&w, score, 2);
    json_key(&w, "threshold");
    json_double(&w, d->cfg.spit_threshold_pct / 100.0, 2);
    json_key(&w, "calls");
    json_uint(&w, k->calls);
    json_key(&w, "distinct_callees");
    json_uint(&w, callees);
    json_key(&w, "answered");
    json_uint(&w, k->answered);
    json_key(&w, "short_calls");
    json_uint(&w, k->short_calls);
    json_key(&w, "mean_duration_s");
    json_double(&w, mean, 1);
    json_key(&w, "declined_603_607");
    json_uint(&w, k->declined);
    json_key(&w, "called_back");
    json_uint(&w, k->callbacks);
    json_key(&w, "features");
    json_obj_begin(&w);
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        json_key(&w, f[i].name);
        json_obj_begin(&w);
        json_key(&w, "value");
        json_double(&w, f[i].value, 3);
        json_key(&w, "points");
        json_double(&w, f[i].points, 2);
        json_obj_end(&w);
    }
    json_obj_end(&w);
    json_key(&w, "example_callee");
    json_cstr(&w, c->callee);
    det__ev_end(d, &w);
    char ip[IP_STR_MAX];
    det__fmt_ip(&k->ip, ip, sizeof ip);
    buf_printf(
        &d->sm,
        "SPIT suspected from '%s' (%s): score %.2f, %u calls to %u callees, %.0f%% answered, "
        "%u short, %u called back",
        k->user, ip, score, k->calls, callees, 100 * ans, k->short_calls, k->callbacks);
    det__publish(d, &r);
}
