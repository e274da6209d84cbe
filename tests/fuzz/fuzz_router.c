/* fuzz_router.c - libFuzzer target for corr_route (correlator/router.c):
 * hostile SIP (Call-IDs, SDP bodies, RFC 6035 PUBLISH bodies) and media
 * through the shard router, with a tiny route table so buckets overflow.
 *
 * Input: the format of fuzz_correlator.c (datagrams separated by
 * "\xf0SEP"; the first byte picks TCP/UDP and the endpoints from a small
 * table, so SDP-named media shows up), and so its seeds.  Checks: every
 * datagram gets a shard below the count, the same datagram routed again
 * gets the same shard (no SDP in between changes media routes only when
 * it names them), and two contexts sharing the router agree. */
#include <stdlib.h>
#include <string.h>

#include "correlator.h"

#define SHARDS 5

static const struct {
    const char *ip;
    uint16_t port;
} eps[8] = {
    {"10.0.0.1", 5060},  {"10.0.0.2", 5060},  {"10.0.0.1", 40000}, {"10.0.0.2", 50000},
    {"10.0.0.1", 40001}, {"10.0.0.2", 50001}, {"192.0.2.7", 6000}, {"2001:db8::1", 5060},
};

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
    corr_router_t *r = corr_router_new(SHARDS, 4);
    corr_route_ctx_t *x = corr_route_ctx_new(r), *y = corr_route_ctx_new(r);
    if (!r || !x || !y) abort();
    static const uint8_t sep[4] = {0xf0, 'S', 'E', 'P'};
    size_t pos = 0;
    while (pos < size) {
        const uint8_t *end = memmem(data + pos, size - pos, sep, sizeof sep);
        size_t len = end ? (size_t)(end - (data + pos)) : size - pos;
        if (len >= 1) {
            uint8_t sel = data[pos];
            size_t plen = len - 1;
            uint8_t *copy = malloc(plen ? plen : 1);
            if (plen) memcpy(copy, data + pos + 1, plen);
            datagram_t dg = {.ts_ns = 1,
                             .src = ep_of(sel & 7),
                             .dst = ep_of((sel >> 3) & 7),
                             .transport = (sel & 0x80) ? TRANSPORT_TCP : TRANSPORT_UDP,
                             .data = copy,
                             .len = plen};
            uint32_t a = corr_route(x, &dg);
            uint32_t b = corr_route(y, &dg); /* learns the same SDP again: same routes */
            if (a >= SHARDS || a != b) abort();
            free(copy);
        }
        pos += len + (end ? sizeof sep : 0);
    }
    corr_route_ctx_free(x);
    corr_route_ctx_free(y);
    corr_router_free(r);
    return 0;
}
