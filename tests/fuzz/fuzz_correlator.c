/* fuzz_correlator.c - libFuzzer target for the whole correlator: SIP
 * dialogs, SDP endpoints, RTP/RTCP streams, nDPI orphan classification,
 * caps, eviction and expiry.
 *
 * Input: fuzz_datagrams.h (datagrams on a small table of endpoints, the
 * clock moved per datagram), shared with fuzz_router.c.  Caps are tiny to
 * exercise eviction.  The correlator (and its nDPI module, slow to build)
 * is created once; every input ends with corr_flush, which empties all its
 * tables. */
#include <stdlib.h>
#include <string.h>

#include "correlator.h"
#include "fuzz_datagrams.h"

static size_t sink_bytes;

static void on_call(void *user, const corr_call_t *k)
{
    (void)user;
    sink_bytes += strlen(k->call_id) + strlen(k->caller) + strlen(k->callee) + strlen(k->reason) +
                  strlen(k->user_agent) + strlen(k->from_tag) + strlen(k->to_tag) +
                  strlen(corr_call_state_name(k->state));
    for (uint32_t i = 0; i < k->stream_count; i++) {
        const corr_stream_t *s = &k->streams[i];
        sink_bytes += strlen(s->codec) + strlen(s->call_id) + (size_t)s->stats.packets;
        sink_bytes += (size_t)(rtp_stats_lost(&s->stats) + rtp_stats_lost_wireshark(&s->stats));
        sink_bytes += (size_t)(rtp_stats_jitter_mean_ms(&s->stats) > 0);
    }
}

static void on_orphan(void *user, const corr_stream_t *s)
{
    (void)user;
    sink_bytes += strlen(s->orphan_proto) + strlen(s->codec) + (size_t)s->stats.packets;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static corr_t *c;
    if (!c) {
        corr_config_t cfg;
        corr_config_default(&cfg);
        cfg.max_calls = 4;
        cfg.max_streams = 8;
        cfg.max_media_endpoints = 8;
        cfg.max_orphan_flows = 4;
        cfg.max_streams_per_call = 3;
        corr_sink_t sink = {.on_call = on_call, .on_orphan_stream = on_orphan, .user = NULL};
        c = corr_new(&cfg, &sink);
        if (!c) abort();
    }
    fuzz_dg_iter_t it = fuzz_dg_begin(data, size);
    datagram_t dg;
    while (fuzz_dg_next(&it, &dg))
        corr_on_datagram(c, &dg);
    corr_expire(c, it.ts + 1);
    corr_flush(c);
    (void)corr_stats(c);
    return 0;
}
