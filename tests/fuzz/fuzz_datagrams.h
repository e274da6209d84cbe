/* fuzz_datagrams.h - the input format of the correlator-level fuzz targets
 * (fuzz_correlator.c, fuzz_router.c), so they share one corpus.
 *
 * Input: datagrams separated by the 4-byte magic "\xf0SEP".  The first byte
 * of each datagram picks the transport (bit 7: TCP instead of UDP), the
 * source and destination endpoints from a small table (bits 0-2 and 3-5,
 * so SIP and RTP of a call land on the same addresses and ports) and how
 * far the clock moves (bit 6: 7 s, past the linger; else 20 ms).  The rest
 * is the payload, copied into an exact-size heap buffer so ASan catches
 * over-reads (freed by the next call, or fuzz_dg_end). */
#ifndef SIPHON_FUZZ_DATAGRAMS_H
#define SIPHON_FUZZ_DATAGRAMS_H

#include <stdlib.h>
#include <string.h>

#include "core.h"

/* 0-5: caller/callee signalling and media ports, 6: a stranger, 7: IPv6 */
static const struct {
    const char *ip;
    uint16_t port;
} fuzz_eps[8] = {
    {"10.0.0.1", 5060},  {"10.0.0.2", 5060},  {"10.0.0.1", 40000}, {"10.0.0.2", 50000},
    {"10.0.0.1", 40001}, {"10.0.0.2", 50001}, {"192.0.2.7", 6000}, {"2001:db8::1", 5060},
};

static inline endpoint_t fuzz_ep_of(int i)
{
    endpoint_t e;
    memset(&e, 0, sizeof e);
    ip_addr_parse(sv_from_cstr(fuzz_eps[i & 7].ip), &e.ip);
    e.port = fuzz_eps[i & 7].port;
    return e;
}

typedef struct {
    const uint8_t *data;
    size_t size, pos;
    int64_t ts;
    uint8_t *copy;
} fuzz_dg_iter_t;

static inline fuzz_dg_iter_t fuzz_dg_begin(const uint8_t *data, size_t size)
{
    return (fuzz_dg_iter_t){.data = data, .size = size, .ts = 1700000000LL * NS_PER_SEC};
}

static inline void fuzz_dg_end(fuzz_dg_iter_t *it)
{
    free(it->copy);
    it->copy = NULL;
}

/* The next datagram of the input; false at its end. */
static inline bool fuzz_dg_next(fuzz_dg_iter_t *it, datagram_t *dg)
{
    static const uint8_t sep[4] = {0xf0, 'S', 'E', 'P'};
    fuzz_dg_end(it);
    while (it->pos < it->size) {
        const uint8_t *start = it->data + it->pos;
        const uint8_t *end = memmem(start, it->size - it->pos, sep, sizeof sep);
        size_t len = end ? (size_t)(end - start) : it->size - it->pos;
        it->pos += len + (end ? sizeof sep : 0);
        if (len < 1) continue;
        uint8_t sel = start[0];
        it->ts += (sel & 0x40) ? 7 * NS_PER_SEC : 20 * NS_PER_MSEC;
        size_t plen = len - 1;
        it->copy = malloc(plen ? plen : 1);
        if (!it->copy) abort();
        if (plen) memcpy(it->copy, start + 1, plen);
        *dg = (datagram_t){.ts_ns = it->ts,
                           .src = fuzz_ep_of(sel & 7),
                           .dst = fuzz_ep_of((sel >> 3) & 7),
                           .transport = (sel & 0x80) ? TRANSPORT_TCP : TRANSPORT_UDP,
                           .data = it->copy,
                           .len = plen};
        if (dg->src.ip.family != dg->dst.ip.family) {
            dg->dst = dg->src; /* same family: talk to oneself on another port */
            dg->dst.port = (uint16_t)(dg->src.port + 2);
        }
        return true;
    }
    return false;
}

#endif /* SIPHON_FUZZ_DATAGRAMS_H */
