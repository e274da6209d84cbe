/* fuzz_correlator.c - libFuzzer target for the whole correlator: SIP
 * dialogs, SDP endpoints, RTP/RTCP streams, nDPI orphan classification,
 * caps, eviction and expiry.
 *
 * Input: datagrams separated by the 4-byte magic "\xf0SEP".  The first byte
 * of each datagram picks the transport (bit 7: TCP instead of UDP), the
 * source and destination endpoints from a small table (bits 0-2 and 3-5,
 * so SIP and RTP of a call land on the same addresses and ports) and how
 * far the clock moves (bit 6: 7 s, past the linger; else 20 ms).  The rest
 * is the payload, copied into an exact-size heap buffer so ASan catches
 * over-reads.  Caps are tiny to exercise eviction.  The correlator (and
 * its nDPI module, slow to build) is created once; every input ends with
 * corr_flush, which empties all its tables. */
#include <stdlib.h>
#include <string.h>

#include "correlator.h"

/* 0-5: caller/callee signalling and media ports, 6: a stranger, 7: IPv6 */
static const struct {
    const char *ip;
    uint16_t port;
} eps[8] = {
    {"10.0.0.1", 5060},  {"10.0.0.2", 5060},  {"10.0.0.1", 40000}, {"10.0.0.2", 50000},
    {"10.0.0.1", 40001}, {"10.0.0.2", 50001}, {"192.0.2.7", 6000}, {"2001:db8::1", 5060},
};

static size_t sink_bytes;

static void on_call(void *user, const corr_call_t *k)
{
    (void)user;
    sink_bytes += strlen(k->call_id) + strlen(k->caller) + strlen(k->callee) + strlen(k->reason) +
                  strlen(k->user_agent) + strlen(k->from_tag) + strlen(k->to_tag) +
                  strlen(call_state_name(k->state));
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

static endpoint_t ep_of(int i)
{
    endpoint_t e;
    memset(&e, 0, sizeof e);
    ip_addr_parse(sv_from_cstr(eps[i & 7].ip), &e.ip);
    e.port = eps[i & 7].port;
    return e;
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
    static const uint8_t sep[4] = {0xf0, 'S', 'E', 'P'};
    int64_t ts = 1700000000LL * NS_PER_SEC;
    size_t pos = 0;
    while (pos < size) {
        const uint8_t *end = memmem(data + pos, size - pos, sep, sizeof sep);
        size_t len = end ? (size_t)(end - (data + pos)) : size - pos;
        if (len >= 1) {
            uint8_t sel = data[pos];
            ts += (sel & 0x40) ? 7 * NS_PER_SEC : 20 * NS_PER_MSEC;
            size_t plen = len - 1;
            uint8_t *copy = malloc(plen ? plen : 1);
            if (plen) memcpy(copy, data + pos + 1, plen);
            datagram_t dg = {
                .ts_ns = ts,
                .src = ep_of(sel & 7),
                .dst = ep_of((sel >> 3) & 7),
                .transport = (sel & 0x80) ? TRANSPORT_TCP : TRANSPORT_UDP,
                .data = copy,
                .len = plen,
            };
            if (dg.src.ip.family != dg.dst.ip.family) {
                dg.dst = dg.src; /* same family: talk to oneself on another port */
                dg.dst.port = (uint16_t)(dg.src.port + 2);
            }
            corr_on_datagram(c, &dg);
            free(copy);
        }
        pos += len + (end ? sizeof sep : 0);
    }
    corr_expire(c, ts + 1);
    corr_flush(c);
    (void)corr_stats(c);
    return 0;
}
