/* decoder.c - the frame decoder: its lifetime, limits, statistics, expiry,
 * and the entry point that hands a frame to the link-layer decoders.
 *
 * Design: one decoder per capture thread, single-threaded.  The per-packet
 * path for plain UDP allocates nothing: layers pass a bounds-checked cursor
 * (capture_internal.h) down by value and the datagram handed to the callback
 * points into the frame.  State that must outlive a frame (IP fragments, TCP
 * streams) lives in two bounded tables (ip_frag.c, tcp_stream.c) with LRU
 * eviction; expiry runs when the driver calls cap_decoder_expire() and also
 * lazily, at most once per second of packet time, from cap_decode_frame().
 */
#include "capture_internal.h"

#include <stdlib.h>

/* Appliance defaults.  Sized for a box watching a busy SBC or trunk:
 *  - 4096 IP datagrams in reassembly at once, 16 MiB of fragment data in
 *    total, dropped 30 s after their last fragment (Linux ipfrag_time);
 *  - 65536 TCP flow directions tracked (192-byte entries allocated at
 *    start, 12 MiB of address space whose pages are touched only as flows
 *    arrive; buffers are only allocated while a message is incomplete or
 *    segments are out of order), 256 KiB buffered per direction (a 64 KiB body plus
 *    headers fits several times), 256 MiB buffered across all flows, a flow
 *    forgotten after 30 minutes without a segment (SIP over TCP connections
 *    are long-lived; a forgotten flow is picked up mid-stream again);
 *  - a SIP header block larger than 64 KiB on a stream is a framing error;
 *  - 1024 fragmented SCTP user messages in reassembly at once, 256 KiB
 *    each (as a TCP direction), 16 MiB in total, dropped after the fragment
 *    timeout (30 s; sctp.c);
 *  - duplicate suppression on: an IP packet seen again within 2 ms is a
 *    capture duplicate, 16384 slots (256 KiB; dedup.c explains the window,
 *    the table size and why it is on by default). */
void cap_limits_default(cap_limits_t *l)
{
    l->max_frag_datagrams = 4096;
    l->max_frag_bytes = 16u << 20;
    l->frag_timeout_ns = 30 * NS_PER_SEC;
    l->max_tcp_streams = 65536;
    l->max_tcp_stream_bytes = 256u << 10;
    l->max_tcp_total_bytes = 256ull << 20;
    l->tcp_idle_ns = 1800 * NS_PER_SEC;
    l->max_sip_header_bytes = 64u << 10;
    l->max_sctp_messages = 1024;
    l->max_sctp_message_bytes = 256u << 10;
    l->max_sctp_total_bytes = 16u << 20;
    l->dedup_window_ns = 2 * NS_PER_MSEC;
    l->dedup_slots = 16384; /* on: see dedup.c */
}

void cap_limits_one_call(cap_limits_t *l)
{
    cap_limits_default(l);
    /* one call: a handful of SIP-over-TCP or SCTP flows and fragmented
     * datagrams at a time; the byte caps stay, they are caps, not tables */
    l->max_frag_datagrams = 64;
    l->max_tcp_streams = 64;
    l->max_sctp_messages = 16;
    l->dedup_slots = 1024;
}

cap_decoder_t *cap_decoder_new(const cap_limits_t *limits, datagram_cb_pt cb, void *user)
{
    cap_decoder_t *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    if (limits)
        d->lim = *limits;
    else
        cap_limits_default(&d->lim);
    /* Zero limits would make every table useless; keep at least one entry. */
    if (d->lim.max_frag_datagrams == 0) d->lim.max_frag_datagrams = 1;
    if (d->lim.max_tcp_streams == 0) d->lim.max_tcp_streams = 1;
    if (d->lim.frag_timeout_ns <= 0) d->lim.frag_timeout_ns = 30 * NS_PER_SEC;
    if (d->lim.tcp_idle_ns <= 0) d->lim.tcp_idle_ns = 1800 * NS_PER_SEC;
    if (d->lim.max_sip_header_bytes == 0) d->lim.max_sip_header_bytes = 64u << 10;
    d->cb = cb;
    d->user = user;
    d->seed = hash_seed();
    d->next_expire_ns = INT64_MIN;
    if (!cap__frag_init(d) || !cap__tcp_init(d) || !cap__sctp_init(d) || !cap__dedup_init(d)) {
        cap_decoder_free(d);
        return NULL;
    }
    return d;
}

void cap_decoder_free(cap_decoder_t *d)
{
    if (!d) return;
    cap__frag_free(d);
    cap__tcp_free(d);
    cap__sctp_free(d);
    cap__dedup_free(d);
    for (int i = 0; i < CAP__REASM_LEVELS; i++)
        free(d->reasm_buf[i]);
    free(d->scratch);
    free(d);
}

const cap_stats_t *cap_decoder_stats(const cap_decoder_t *d)
{
    return &d->st;
}

void cap_decoder_expire(cap_decoder_t *d, int64_t now_ns)
{
    if (!d) return;
    cap__frag_expire(d, now_ns);
    cap__tcp_expire(d, now_ns);
    cap__sctp_expire(d, now_ns);
}

static void emit_datagram(cap_decoder_t *d, const datagram_t *dg)
{
    d->st.datagrams_out++;
    if (d->cb) d->cb(d->user, dg);
}

void cap_decode_frame(cap_decoder_t *d, const cap_frame_t *frame)
{
    cap_frame_t fixed;
    if (frame->ts_clamped || (uint64_t)frame->ts_ns > (uint64_t)CAP_TS_MAX_NS) {
        /* an absurd capture time (capture.h, CAP_TS_MAX_NS) */
        d->st.timestamps_clamped++;
        fixed = *frame;
        fixed.ts_ns = cap__ts_clamp(frame->ts_ns);
        frame = &fixed;
    }
    d->st.frames++;
    d->st.bytes += frame->caplen;
    if (frame->ts_ns >= d->next_expire_ns) {
        if (d->next_expire_ns != INT64_MIN) cap_decoder_expire(d, frame->ts_ns);
        d->next_expire_ns = frame->ts_ns + NS_PER_SEC; /* <= CAP_TS_MAX_NS + 1 s */
    }
    cap__pkt_t pk = {frame, 0};
    if (!frame->data && frame->caplen) {
        d->st.invalid++;
        return;
    }
    cap__ahead_t *a = &d->ahead[frame->frame_no % CAP__AHEAD];
    if (a->plain && a->frame_no == frame->frame_no && a->frame_data == frame->data &&
        a->caplen == frame->caplen) {
        /* glanced at ahead (decode_prefetch.c): a plain UDP frame whose
         * datagram is known; what the layers below would count */
        a->plain = false;
        if (cap__dedup_seen(d, &pk, a->ip, a->ip_len)) return;
        if (a->v6)
            d->st.ipv6++;
        else
            d->st.ipv4++;
        d->st.udp++;
        a->dg.ts_ns = frame->ts_ns;
        a->dg.frame = &frame->view;
        emit_datagram(d, &a->dg);
        return;
    }
    cap__decode_link(d, &pk, frame->linktype, cap__cur(frame->data, frame->caplen));
}

void cap__emit(cap_decoder_t *d, const cap__pkt_t *pk, const ip_addr_t *src, uint16_t sport,
               const ip_addr_t *dst, uint16_t dport, transport_t tr, const uint8_t *data,
               size_t len)
{
    datagram_t dg;
    dg.ts_ns = pk->frame->ts_ns;
    dg.src.ip = *src;
    dg.src.port = sport;
    dg.dst.ip = *dst;
    dg.dst.port = dport;
    dg.transport = tr;
    dg.data = data;
    dg.len = len;
    dg.frame_no = pk->frame->frame_no;
    dg.frame = &pk->frame->view; /* the frame that completed it */
    emit_datagram(d, &dg);
}
