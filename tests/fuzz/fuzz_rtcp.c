/* fuzz_rtcp.c - libFuzzer target for rtcp_parse_compound and the RTT
 * helpers (proto/rtcp.c).  The input is copied to an exact-size heap buffer
 * so ASan sees over-reads; every view the decoder returns is read byte by
 * byte and checked to lie inside the input, and the documented invariants
 * (bounded counts, packets tiling the datagram, probe agreement) abort when
 * broken. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

static const uint8_t *lo, *hi;
static volatile unsigned sink;

static void touch(const void *p, size_t n)
{
    const uint8_t *b = p;
    if (n == 0) return;
    if (b < lo || b > hi || n > (size_t)(hi - b)) abort();
    for (size_t i = 0; i < n; i++)
        sink += b[i];
}

static void check_packet(const rtcp_packet_t *pk)
{
    switch (pk->pt) {
    case RTCP_PT_SR:
    case RTCP_PT_RR:
        if (pk->u.rr.stored > RTCP_MAX_REPORTS || pk->u.rr.stored > pk->count) abort();
        for (unsigned i = 0; i < pk->u.rr.stored; i++) {
            const rtcp_report_block_t *rb = &pk->u.rr.blocks[i];
            if (rb->cumulative_lost < -0x800000 || rb->cumulative_lost > 0x7fffff) abort();
            sink += (unsigned)(rtcp_rtt_ms(rb->lsr + rb->dlsr + 1000, rb->lsr, rb->dlsr) >= 0);
        }
        break;
    case RTCP_PT_SDES:
        if (pk->u.sdes.stored > RTCP_MAX_SDES || pk->u.sdes.stored > pk->count) abort();
        for (unsigned i = 0; i < pk->u.sdes.stored; i++)
            touch(pk->u.sdes.chunks[i].cname.p, pk->u.sdes.chunks[i].cname.len);
        break;
    case RTCP_PT_BYE:
        if (pk->u.bye.stored > RTCP_MAX_BYE || pk->u.bye.stored > pk->count) abort();
        touch(pk->u.bye.reason.p, pk->u.bye.reason.len);
        break;
    case RTCP_PT_APP:
        touch(pk->u.app.name.p, pk->u.app.name.len);
        touch(pk->u.app.data, pk->u.app.data_len);
        break;
    case RTCP_PT_RTPFB:
    case RTCP_PT_PSFB:
        touch(pk->u.fb.fci, pk->u.fb.fci_len);
        break;
    case RTCP_PT_XR:
        if (pk->u.xr.stored > RTCP_MAX_XR_BLOCKS || pk->u.xr.stored > pk->u.xr.block_count) abort();
        for (unsigned i = 0; i < pk->u.xr.stored; i++) {
            const rtcp_xr_block_t *xb = &pk->u.xr.blocks[i];
            touch(xb->data, xb->data_len);
            if (xb->data_len != (size_t)xb->length_words * 4) abort();
            if (xb->bt == RTCP_XR_DLRR && xb->u.dlrr.stored > RTCP_MAX_DLRR) abort();
        }
        break;
    default:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    if (size) memcpy(buf, data, size);
    lo = buf, hi = buf + size;
    static rtcp_compound_t c;
    proto_status_t st = rtcp_parse_compound(buf, size, &c);
    if (c.count > RTCP_MAX_PACKETS || c.total < c.count) abort();
    size_t next = 0;
    for (unsigned i = 0; i < c.count; i++) {
        const rtcp_packet_t *pk = &c.pkt[i];
        if (pk->offset != next || pk->length < 4 || pk->length > size - pk->offset) abort();
        next = pk->offset + pk->length;
        check_packet(pk);
    }
    if (st == PROTO_OK && !rtcp_probe(buf, size)) abort();
    if (st != PROTO_OK && c.count < RTCP_MAX_PACKETS && c.error_offset != next) abort();
    if (size >= 8) {
        uint32_t a = ((uint32_t)buf[0] << 24) | ((uint32_t)buf[1] << 16) | buf[2];
        double rtt = rtcp_rtt_ms(rtcp_ntp_middle32(a, a * 7u), buf[4], buf[5]);
        if (rtt > 32768.0 * 1000.0) abort(); /* at most 2^31 / 65536 s */
    }
    free(buf);
    return 0;
}
