/* fuzz_router.c - libFuzzer target for corr_route (correlator/router.c):
 * hostile SIP (Call-IDs, SDP bodies, RFC 6035 PUBLISH bodies) and media
 * through the shard router, with a tiny route table so buckets overflow.
 *
 * Input: fuzz_datagrams.h (datagrams on a small table of endpoints, so
 * SDP-named media shows up), the format and seeds of fuzz_correlator.c.
 * Checks: every datagram gets a shard below the count, and a second
 * context sharing the router, routing the same datagram right after (and
 * learning the same SDP again), agrees. */
#include <stdlib.h>
#include <string.h>

#include "correlator.h"
#include "fuzz_datagrams.h"

#define SHARDS 5

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    corr_router_t *r = corr_router_new(SHARDS, 4);
    corr_route_ctx_t *x = corr_route_ctx_new(r), *y = corr_route_ctx_new(r);
    if (!r || !x || !y) abort();
    fuzz_dg_iter_t it = fuzz_dg_begin(data, size);
    datagram_t dg;
    while (fuzz_dg_next(&it, &dg)) {
        uint32_t a = corr_route(x, &dg);
        uint32_t b = corr_route(y, &dg); /* learns the same SDP again: same routes */
        if (a >= SHARDS || a != b) abort();
    }
    corr_route_ctx_free(x);
    corr_route_ctx_free(y);
    corr_router_free(r);
    return 0;
}
