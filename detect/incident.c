/* incident.c - from detector reports to alerts: incidents, their life,
 * per-type rate limits.
 *
 * A detector reports its condition every time it holds (a flood reports on
 * each request over the threshold).  The incident of (type, key) opens at
 * the first report: incident_id is a hash of type, key and the packet time
 * of that first report (never 0), so the same capture gives the same ids
 * and a source flooding again after its incident closed gets a new one.
 * While reports come, an update is published once update_interval of
 * packet time has passed and the count grew; when none came for
 * close_after (SPIT and quality: their windows), the incident is closed with its last evidence
 * (refreshed, without an alert, whenever the count grew, at most once per millisecond of packet
 * time: a tool's every request, a flood's a thousand a second).  Asking det__incident_due first
 * lets a detector build its evidence only when an alert goes out, not on every packet of a flood.
 *
 * Rate limits: at most rate_limit incidents of one type open per minute of
 * packet time; an incident over the limit is tracked but never published
 * (counted in rate_limited), so its later updates do not leak out either.
 * The incident table is capped like every other; a full table closes its
 * least recently reported incident (counted).
 */
#include "det_internal.h"

#include <stdio.h>
#include <string.h>

static uint64_t ikey(const det__report_t *r)
{
    uint64_t k = hash_u64(r->key ^ hash_u64(0x696e636964656e74ULL + (uint64_t)r->type));
    return k ? k : 1;
}

uint64_t det__key_ip(uint64_t salt, const ip_addr_t *ip)
{
    /* two words and two mixes: it runs several times per message */
    uint64_t a, b;
    memcpy(&a, ip->bytes, 8);
    memcpy(&b, ip->bytes + 8, 8);
    return hash_u64(a ^ hash_u64(b ^ salt ^ ((uint64_t)ip->family << 56)));
}

static void emit(det_t *d, det__incident_t *in, alert_phase_t phase)
{
    if (in->suppressed) return;
    alert_t a = {
        .type = (alert_type_t)in->type,
        .severity = (alert_severity_t)in->severity,
        .phase = phase,
        .incident_id = in->id,
        .src = in->src,
        .dst = in->dst,
        .target_user = in->user,
        .first_ts_ns = in->first_ts,
        .last_ts_ns = in->last_ts,
        .count = in->count,
        .summary = in->summary,
        .evidence_json = in->evidence_len ? in->evidence : "{}",
    };
    in->last_emit_ts = in->last_ts;
    in->emitted_count = in->count;
    pthread_mutex_lock(&d->st_lock);
    d->st.alerts++;
    pthread_mutex_unlock(&d->st_lock);
    if (d->listener) d->listener(d->listener_user, &a);
}

static bool emission_due(const det_t *d, const det__incident_t *in, const det__report_t *r)
{
    if (r->severity > in->severity) return true; /* escalation goes out at once */
    return in->count > in->emitted_count &&
           in->last_ts - in->last_emit_ts >= d->cfg.update_interval;
}

bool det__incident_due(det_t *d, const det__report_t *r)
{
    det__incident_t *in = det__table_find(&d->incidents, ikey(r));
    if (!in) return true;
    /* keep the figures current without an alert */
    if (r->ts > in->last_ts) in->last_ts = r->ts;
    if (r->count > in->count) in->count = r->count;
    /* the evidence is rebuilt at most every DET__REFRESH_NS, so the closing
     * alert tells the end of the story, not its first packet */
    return emission_due(d, in, r) ||
           (in->count > in->refresh_count && r->ts - in->refresh_ts >= DET__REFRESH_NS);
}

static bool rate_ok(det_t *d, alert_type_t t, int64_t ts)
{
    if (!d->cfg.rate_limit) return true;
    int64_t minute = ts / (60 * NS_PER_SEC);
    if (minute != d->rl_minute[t]) {
        d->rl_minute[t] = minute;
        d->rl_count[t] = 0;
    }
    if (d->rl_count[t] >= d->cfg.rate_limit) return false;
    d->rl_count[t]++;
    return true;
}

static void keep_text(det_t *d, det__incident_t *in)
{
    size_t n = d->sm.len < DET__SUMMARY_MAX - 1 ? d->sm.len : DET__SUMMARY_MAX - 1;
    memcpy(in->summary, d->sm.data ? d->sm.data : "", n);
    in->summary[n] = '\0';
    if (d->ev.len < DET__EVIDENCE_MAX) {
        memcpy(in->evidence, d->ev.data, d->ev.len);
        in->evidence[d->ev.len] = '\0';
        in->evidence_len = (uint16_t)d->ev.len;
    } else { /* too long to keep whole: an object saying so, still valid JSON */
        int k = snprintf(in->evidence, DET__EVIDENCE_MAX, "{\"truncated\":true,\"bytes\":%zu}",
                         d->ev.len);
        in->evidence_len = (uint16_t)k;
    }
}

void det__publish(det_t *d, const det__report_t *r)
{
    uint64_t k = ikey(r);
    bool created;
    det__incident_t *in = det__table_find(&d->incidents, k);
    if (!in) {
        /* a full table closes its least recently reported incident first */
        if (d->incidents.pool.unused >= d->incidents.pool.cap &&
            d->incidents.pool.free_head == TBL_NIL) {
            uint32_t t = d->incidents.pool.lru.tail;
            det__incident_t *old =
                (det__incident_t *)(d->incidents.entries + (size_t)t * d->incidents.entry_size);
            emit(d, old, ALERT_PHASE_CLOSED);
        }
        in = det__table_get(&d->incidents, k, &created);
        uint64_t id = hash_u64(k ^ hash_u64((uint64_t)r->first_ts));
        in->id = id ? id : 1;
        in->type = (uint8_t)r->type;
        in->first_ts = r->first_ts ? r->first_ts : r->ts;
        in->last_ts = r->ts;
        in->count = r->count;
        in->severity = (uint8_t)r->severity;
        in->src = r->src;
        in->dst = r->dst;
        snprintf(in->user, sizeof in->user, "%s", r->user ? r->user : "");
        in->suppressed = !rate_ok(d, r->type, r->ts);
        pthread_mutex_lock(&d->st_lock);
        d->st.incidents++;
        if (in->suppressed) d->st.rate_limited++;
        pthread_mutex_unlock(&d->st_lock);
        keep_text(d, in);
        in->refresh_ts = r->ts;
        in->refresh_count = in->count;
        emit(d, in, ALERT_PHASE_OPEN);
        return;
    }
    if (r->ts > in->last_ts) in->last_ts = r->ts;
    if (r->count > in->count) in->count = r->count;
    bool due = emission_due(d, in, r);
    if (r->severity > in->severity) in->severity = (uint8_t)r->severity;
    if (r->user && r->user[0] && !in->user[0]) snprintf(in->user, sizeof in->user, "%s", r->user);
    keep_text(d, in);
    in->refresh_ts = r->ts;
    in->refresh_count = in->count;
    if (due) emit(d, in, ALERT_PHASE_UPDATE);
}

typedef struct {
    det_t *d;
    int64_t now;
    bool all;
} sweep_ctx_t;

/* How long an incident stays open without new evidence: close_after, or
 * the detector's own window when it judges over a longer one (a SPIT
 * caller is judged per spit_window, a route per quality_window: closing
 * between two calls would open the same incident again and again). */
static int64_t quiet_for(const det_t *d, alert_type_t t)
{
    int64_t q = d->cfg.close_after;
    if (t == ALERT_SPIT && d->cfg.spit_window > q) q = d->cfg.spit_window;
    if (t == ALERT_QUALITY && d->cfg.quality_window > q) q = d->cfg.quality_window;
    return q;
}

static void sweep_one(void *ctx, void *e, uint64_t key)
{
    sweep_ctx_t *c = ctx;
    det__incident_t *in = e;
    if (!c->all && c->now - in->last_ts < quiet_for(c->d, (alert_type_t)in->type)) return;
    emit(c->d, in, ALERT_PHASE_CLOSED);
    det__table_remove(&c->d->incidents, key);
}

void det__incident_sweep(det_t *d, int64_t now)
{
    sweep_ctx_t c = {d, now, false};
    det__table_each(&d->incidents, sweep_one, &c);
}

void det__incident_close_all(det_t *d)
{
    sweep_ctx_t c = {d, 0, true};
    det__table_each(&d->incidents, sweep_one, &c);
}
