/* capture.h - packet sources and decoding, from link-layer frames to
 * datagrams (core.h datagram_t) for the correlator.
 *
 * Two halves:
 *  - sources (pcap_files.c): pcap/pcapng files through libpcap, several files
 *    merged in timestamp order.  Live rings arrive in issue 4.
 *  - the decoder (decode_*.c): link layer (Ethernet, Linux SLL/SLL2, raw IP,
 *    BSD loopback/null), 802.1Q/QinQ, MPLS, IPv4/IPv6 with extension headers,
 *    fragment reassembly, IP-in-IP, GRE (incl. ERSPAN II/III), VXLAN, UDP,
 *    TCP stream reassembly with SIP framing, SIP over WebSocket (RFC 7118).
 *    SCTP is counted and skipped.
 *
 * The decoder is single-threaded state (fragment and TCP tables); a
 * multi-threaded pipeline runs one decoder per capture thread.  Memory is
 * bounded by cap_limits_t: when a table is full the least recently used
 * entry is evicted and counted.
 */
#ifndef SIPHON_CAPTURE_H
#define SIPHON_CAPTURE_H

#include "core.h"

/* ------------------------------------------------------------------------ */
/* Frames from a source                                                      */
/* ------------------------------------------------------------------------ */

typedef struct {
    int linktype; /* DLT_* value as libpcap reports it */
    int64_t ts_ns;
    const uint8_t *data; /* valid until the next cap_files_next() */
    uint32_t caplen, wirelen;
    uint64_t frame_no; /* 1-based, across all files of the run */
    const char *file;  /* name of the file it came from */
} cap_frame_t;

typedef struct cap_files cap_files_t;

/* Opens every file (pcap or pcapng).  A file that cannot be opened is an
 * error: returns NULL and writes a message naming the file into err. */
cap_files_t *cap_files_open(const char *const *paths, int count, char *err, size_t errlen);

/* Next frame in timestamp order across all files.  Returns 1 with *out
 * filled, 0 at the end of all input, -1 when a file turned out truncated or
 * corrupt: err then names the file and byte offset; that file is closed and
 * the others continue (call again). */
int cap_files_next(cap_files_t *f, cap_frame_t *out, char *err, size_t errlen);

/* Total size in bytes of all files, and bytes consumed so far (progress). */
uint64_t cap_files_total_bytes(const cap_files_t *f);
uint64_t cap_files_read_bytes(const cap_files_t *f);
void cap_files_close(cap_files_t *f);

/* ------------------------------------------------------------------------ */
/* Decoder                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct {
    uint32_t max_frag_datagrams;  /* datagrams being reassembled at once */
    uint32_t max_frag_bytes;      /* total bytes buffered for fragments */
    int64_t frag_timeout_ns;      /* drop an incomplete datagram after this */
    uint32_t max_tcp_streams;     /* TCP flows tracked at once */
    uint32_t max_tcp_stream_bytes; /* buffered bytes per direction of a flow */
    uint64_t max_tcp_total_bytes; /* buffered bytes across all flows */
    int64_t tcp_idle_ns;          /* forget a quiet TCP flow after this */
    uint32_t max_sip_header_bytes; /* a SIP header block larger than this on
                                      a stream is a framing error */
} cap_limits_t;

/* Sensible defaults for an appliance (documented in ARCHITECTURE.md). */
void cap_limits_default(cap_limits_t *l);

typedef struct {
    uint64_t frames, bytes;
    uint64_t truncated;        /* frame shorter than its headers say */
    uint64_t invalid;          /* malformed header (bad version, length...) */
    uint64_t unsupported_link; /* link type we do not decode */
    uint64_t non_ip;           /* ARP, LLDP, ... */
    uint64_t ipv4, ipv6;
    uint64_t tunnels;          /* decapsulations (IPIP, GRE, ERSPAN, VXLAN) */
    uint64_t frag_fragments, frag_reassembled, frag_timeouts, frag_evicted, frag_overlaps;
    uint64_t udp, tcp, sctp_skipped, other_l4;
    uint64_t tcp_streams, tcp_streams_evicted, tcp_sip_messages, tcp_retransmissions,
        tcp_out_of_order, tcp_gaps, tcp_buffer_overflows, tcp_non_sip_streams,
        tcp_framing_errors;
    uint64_t ws_messages, ws_control_frames, ws_errors;
    uint64_t datagrams_out;    /* handed to the callback */
} cap_stats_t;

typedef struct cap_decoder cap_decoder_t;

/* The callback receives every UDP datagram and every SIP message framed out
 * of a TCP or WebSocket stream.  TCP payload that is not SIP (after a probe
 * of the stream's first bytes) is dropped and counted. */
cap_decoder_t *cap_decoder_new(const cap_limits_t *limits, datagram_cb_pt cb, void *user);
void cap_decoder_free(cap_decoder_t *d);

/* Decodes one frame.  Never fails: problems are counted in the stats. */
void cap_decode_frame(cap_decoder_t *d, const cap_frame_t *frame);

/* Expires fragments and TCP flows idle since before now_ns (called by the
 * driver as packet time advances). */
void cap_decoder_expire(cap_decoder_t *d, int64_t now_ns);

const cap_stats_t *cap_decoder_stats(const cap_decoder_t *d);

#endif /* SIPHON_CAPTURE_H */
