/* fuzz_detect.c - libFuzzer target for the detection consumer (detect/):
 * hostile SIP (and anything else) through a correlator into the detectors,
 * so every summary the shard callbacks make (the second parse of a
 * request, digest parameters, Request-URI users, sipvicious tags) and every
 * detector and incident path runs on what the fuzzer invents.
 *
 * Input: fuzz_datagrams.h (datagrams on a small table of endpoints, the
 * clock moved per datagram).  Per input a detector with the smallest
 * memory bound (1 MiB: tables of a few entries, evictions on every input)
 * and thresholds of 1-2, so every detector fires, is created, fed through
 * a correlator without nDPI (made once, flushed after every input, as in
 * fuzz_correlator.c), stopped (its queue drained, every incident closed)
 * and freed; each alert is encoded as NDJSON (enc_alert_json) and
 * as a line (out_alert_text), whose bytes are checked: one line, no
 * control byte. */
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "encode.h"
#include "fuzz_datagrams.h"
#include "output.h"

static void check(const buf_t *b)
{
    for (size_t i = 0; i + 1 < b->len; i++)
        if ((unsigned char)b->data[i] < 0x20) abort(); /* a control byte or a second line */
    if (!b->len || b->data[b->len - 1] != '\n') abort();
}

static void on_alert(void *user, const alert_t *a)
{
    (void)user;
    if (!a->incident_id) abort();
    buf_t b;
    buf_init(&b);
    enc_alert_json(&b, a);
    check(&b);
    buf_reset(&b);
    out_alert_text(&b, a);
    check(&b);
    buf_free(&b);
}

/* The correlator's sink: to the current input's detector. */
static void fwd_call(void *u, const corr_call_t *k)
{
    const corr_sink_t *s = u;
    s->on_call(s->user, k);
}
static void fwd_call_event(void *u, const corr_call_event_t *e)
{
    const corr_sink_t *s = u;
    s->on_call_event(s->user, e);
}
static void fwd_interval(void *u, const corr_interval_event_t *e)
{
    const corr_sink_t *s = u;
    s->on_quality_interval(s->user, e);
}
static void fwd_sip_message(void *u, const corr_sip_message_t *m)
{
    const corr_sink_t *s = u;
    s->on_sip_message(s->user, m);
}
static void fwd_clock(void *u, int64_t now)
{
    const corr_sink_t *s = u;
    s->on_clock(s->user, now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const prefixes[] = {"00", "+882"};
    static const char *const trusted[] = {"10.0.0.0/31"};
    det_consumer_config_t dc = {.listener = on_alert};
    det_config_default(&dc.cfg);
    dc.cfg.memory_bytes = 1u << 20;
    dc.cfg.queue_size = 64;
    dc.cfg.flood_requests = dc.cfg.flood_method_requests = 2;
    dc.cfg.flood_target_requests = 2;
    dc.cfg.flood_target_sources = 1;
    dc.cfg.scan_targets = dc.cfg.enum_users = 2;
    dc.cfg.brute_short = dc.cfg.brute_long = 1;
    dc.cfg.toll_prefixes = 2;
    dc.cfg.toll_max_concurrent = 1;
    dc.cfg.spit_min_calls = 1;
    dc.cfg.spit_threshold_pct = 1;
    dc.cfg.quality_bad_calls = dc.cfg.quality_bad_intervals = 1;
    dc.cfg.anomaly_training_slots = 1;
    dc.cfg.anomaly_min_messages = 1;
    dc.cfg.anomaly_slot = NS_PER_SEC / 10;
    dc.cfg.update_interval = 0;
    dc.cfg.toll_premium_prefixes = prefixes;
    dc.cfg.n_toll_premium_prefixes = 2;
    dc.cfg.trusted = trusted;
    dc.cfg.n_trusted = 1;
    fan_env_t env = {.shards = 1, .threaded = false, .lossless = true};
    char err[256];
    void *det = det_consumer.create(&dc, &env, err, sizeof err);
    if (!det || det_consumer.start(det, err, sizeof err) != 0) abort();
    /* the correlator is made once (its pools are slow to allocate); its
     * sink forwards to this input's detector */
    static corr_t *c;
    static corr_sink_t sink;
    sink = det_consumer.shard_sink(det, 0);
    if (!c) {
        corr_config_t cfg;
        corr_config_default(&cfg);
        cfg.max_calls = 4;
        cfg.max_streams = 8;
        cfg.max_media_endpoints = 8;
        cfg.max_orphan_flows = 4;
        cfg.max_streams_per_call = 3;
        cfg.max_registrations = 16;
        cfg.classify_orphans = false;
        corr_sink_t fwd = {.user = &sink,
                           .on_call = fwd_call,
                           .on_call_event = fwd_call_event,
                           .on_quality_interval = fwd_interval,
                           .on_sip_message = fwd_sip_message,
                           .on_clock = fwd_clock};
        c = corr_new(&cfg, &fwd);
        if (!c) abort();
    }
    fuzz_dg_iter_t it = fuzz_dg_begin(data, size);
    datagram_t dg;
    while (fuzz_dg_next(&it, &dg))
        corr_on_datagram(c, &dg);
    corr_expire(c, it.ts + 1);
    corr_flush(c);
    det_consumer.stop(det);
    det_consumer.free(det);
    return 0;
}
