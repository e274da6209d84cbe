/* fuzz_decode.c - libFuzzer target for the capture decoder (capture.h).
 *
 * Input layout (in the style of Suricata's fuzz_applayerparserparse.c):
 *   byte 0: low nibble picks the link type from link_types[], bit 4 picks
 *           tiny limits (so every eviction and overflow path is reachable)
 *           instead of the appliance defaults;
 *   rest:   frames separated by the 4-byte magic "FRM!".
 * All frames go through one decoder, so fragment and TCP/WebSocket state
 * carries across frames, and through a second one that does not glance at
 * them ahead (differential: datagrams and counters must match, else the
 * target aborts).  Each frame is copied into an exact-size heap buffer so
 * AddressSanitizer catches any over-read, and the callback reads every byte
 * of every datagram it is given (and of the one cap_decoder_prefetch
 * announces for each frame).  Packet time advances 100 ms per frame, so the
 * lazy expiry runs too. */
#include "capture.h"

#include <stdlib.h>
#include <string.h>

static const int link_types[] = {1, 0, 108, 101, 12, 228, 229, 113, 276, 14, 147};
#define N_LINKS (sizeof link_types / sizeof link_types[0])

static volatile uint64_t sink;

/* Reads every byte of a datagram; with a non-NULL user (a uint64_t) also
 * folds the datagram into a digest, to compare two decodes. */
static void touch(void *user, const datagram_t *dg)
{
    uint64_t s = dg->len + dg->src.port + dg->dst.port + (uint64_t)dg->transport;
    for (size_t i = 0; i < dg->len; i++)
        s = s * 31 + dg->data[i];
    sink += s;
    if (user) {
        uint64_t *h = user;
        s ^= (uint64_t)dg->ts_ns ^ dg->frame_no << 1;
        for (int i = 0; i < 16; i++)
            s = s * 131 + dg->src.ip.bytes[i] + 7 * dg->dst.ip.bytes[i];
        *h = (*h ^ s) * 0x100000001b3ULL;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int linktype = link_types[(data[0] & 0x0f) % N_LINKS];
    cap_limits_t lim;
    cap_limits_default(&lim);
    if (data[0] & 0x10) {
        lim.max_frag_datagrams = 3;
        lim.max_frag_bytes = 6000;
        lim.frag_timeout_ns = 1000000000LL;
        lim.max_tcp_streams = 3;
        lim.max_tcp_stream_bytes = 3000;
        lim.max_tcp_total_bytes = 8000;
        lim.tcp_idle_ns = 2000000000LL;
        lim.max_sip_header_bytes = 1500;
        lim.max_sctp_messages = 2;
        lim.max_sctp_message_bytes = 2000;
        lim.max_sctp_total_bytes = 3000;
    }
    /* two decoders over the same frames: d glances at each frame first
     * (cap_decoder_prefetch, whose plain UDP frames then take the decode's
     * fast path), plain decodes from scratch; both must give the same
     * datagrams and counters */
    uint64_t digest = 0, digest_plain = 0;
    cap_decoder_t *d = cap_decoder_new(&lim, touch, &digest);
    cap_decoder_t *plain = cap_decoder_new(&lim, touch, &digest_plain);
    if (!d || !plain) {
        cap_decoder_free(d);
        cap_decoder_free(plain);
        return 0;
    }
    const uint8_t *p = data + 1, *end = data + size;
    uint64_t frame_no = 0;
    while (p <= end) {
        const uint8_t *sep = memmem(p, (size_t)(end - p), "FRM!", 4);
        const uint8_t *fe = sep ? sep : end;
        size_t n = (size_t)(fe - p);
        uint8_t *copy = malloc(n ? n : 1);
        if (n) memcpy(copy, p, n);
        frame_no++;
        cap_frame_t f = {.linktype = linktype,
                         .ts_ns = (int64_t)frame_no * 100000000LL,
                         .data = copy,
                         .caplen = (uint32_t)n,
                         .wirelen = (uint32_t)n,
                         .frame_no = frame_no,
                         .file = "fuzz"};
        /* the look-ahead glance first (decode_prefetch.c): bounds-checked
         * like the decode, and the datagram it announces lies in the frame */
        datagram_t hint;
        if (cap_decoder_prefetch(d, &f, &hint)) touch(NULL, &hint);
        cap_decode_frame(d, &f);
        cap_decode_frame(plain, &f);
        free(copy);
        if (!sep) break;
        p = sep + 4;
    }
    cap_decoder_expire(d, INT64_MAX);
    cap_decoder_expire(plain, INT64_MAX);
    if (digest != digest_plain ||
        memcmp(cap_decoder_stats(d), cap_decoder_stats(plain), sizeof(cap_stats_t)) != 0)
        abort(); /* the glance changed a result */
    cap_decoder_free(d);
    cap_decoder_free(plain);
    return 0;
}
