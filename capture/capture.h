/* capture.h - packet sources and decoding, from link-layer frames to
 * datagrams (core.h datagram_t) for the correlator.
 *
 * Two halves:
 *  - sources: pcap/pcapng files through libpcap, several files merged in
 *    timestamp order (pcap_files.c); live interfaces through AF_PACKET
 *    TPACKET_V3 rings with fanout, or libpcap (ring*.c, pcap_live.c).
 *  - the decoder (decode_*.c): link layer (Ethernet, Linux SLL/SLL2, raw IP,
 *    BSD loopback/null), 802.1Q/QinQ, MPLS, IPv4/IPv6 with extension headers,
 *    fragment reassembly, IP-in-IP, GRE (incl. ERSPAN II/III), VXLAN, UDP,
 *    TCP stream reassembly with SIP framing, SIP over WebSocket (RFC 7118),
 *    SIP over SCTP (RFC 4168: DATA and I-DATA chunks, fragmented user
 *    messages reassembled).
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

/* The capture times siphon works with: [0, CAP_TS_MAX_NS] ns since the
 * epoch, 1970-01-01 to 2116-02-20.  A source hands out a time outside it
 * (a corrupt or hostile capture: a pcapng timestamp of 2^64-1, if_tsresol
 * 2^0 with huge values) clamped to the nearer end, with ts_clamped set;
 * the decoder clamps any frame given to it the same way and counts both in
 * timestamps_clamped.  The ceiling leaves 2^62 ns of headroom, so adding
 * any timeout or window to a capture time cannot overflow; classic pcap
 * (32-bit seconds, up to 2106) and the kernel never reach it. */
#define CAP_TS_MAX_NS ((INT64_C(1) << 62) - 1)

/* The first members are core's frame_view_t (the union lets the decoder
 * hand a datagram's frame out as &frame->view, for the packet store). */
typedef struct {
    union {
        struct {
            int linktype; /* DLT_* value as libpcap reports it */
            int64_t ts_ns;
            const uint8_t *data; /* valid until the next cap_files_next() */
            uint32_t caplen, wirelen;
        };
        frame_view_t view;
    };
    uint64_t frame_no; /* 1-based, across all files of the run */
    const char *file;  /* name of the file it came from */
    bool ts_clamped;   /* the source's time was outside [0, CAP_TS_MAX_NS] */
} cap_frame_t;

typedef struct cap_files cap_files_t;

/* Opens every file: pcap or pcapng, gzip-compressed or not, "-" for
 * standard input (file_input.c).  A file that cannot be opened or is not a
 * capture does not stop the others: cap_files_next reports it first (-1,
 * err naming the file and saying what is wrong) and then goes on with the
 * rest.  NULL, with every file's reason in err, only when none opened. */
cap_files_t *cap_files_open(const char *const *paths, int count, char *err, size_t errlen);

/* Next frame in timestamp order across all files.  Returns 1 with *out
 * filled, 0 at the end of all input, -1 when a file turned out truncated or
 * corrupt: err then names the file and byte offset; that file is closed and
 * the others continue (call again). */
int cap_files_next(cap_files_t *f, cap_frame_t *out, char *err, size_t errlen);

/* Look-ahead for prefetching (cap_decoder_prefetch): the k-th frame (k >=
 * 1) after the one cap_files_next handed out last, from the same file,
 * when that file is read from a mapping (classic pcap in a regular file):
 * true with *out filled, its bytes the ones cap_files_next will hand out
 * then.  With several files another file's frame may come first: a hint,
 * never a promise.  Near the end of a file, or for pcapng and pipes, false.
 * Each call walks at most one record once the cursor is in step. */
bool cap_files_peek(cap_files_t *f, uint32_t k, cap_frame_t *out);

/* Total size in bytes of all files, and bytes consumed so far (progress). */
uint64_t cap_files_total_bytes(const cap_files_t *f);
uint64_t cap_files_read_bytes(const cap_files_t *f);
void cap_files_close(cap_files_t *f);

/* ------------------------------------------------------------------------ */
/* Decoder                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct {
    uint32_t max_frag_datagrams;     /* datagrams being reassembled at once */
    uint32_t max_frag_bytes;         /* total bytes buffered for fragments */
    int64_t frag_timeout_ns;         /* drop an incomplete datagram after this */
    uint32_t max_tcp_streams;        /* TCP flows tracked at once */
    uint32_t max_tcp_stream_bytes;   /* buffered bytes per direction of a flow */
    uint64_t max_tcp_total_bytes;    /* buffered bytes across all flows */
    int64_t tcp_idle_ns;             /* forget a quiet TCP flow after this */
    uint32_t max_sip_header_bytes;   /* a SIP header block larger than this on
                                        a stream is a framing error */
    int64_t dedup_window_ns;         /* an IP packet seen again within this is a
                                        capture duplicate (two SPAN sources, both
                                        legs of a bond); <= 0 disables (dedup.c) */
    uint32_t max_sctp_messages;      /* fragmented SCTP user messages being
                                        reassembled at once (sctp.c); 0: none,
                                        fragmented messages are dropped */
    uint32_t max_sctp_message_bytes; /* largest SCTP user message reassembled */
    uint64_t max_sctp_total_bytes;   /* buffered across all of them */
    uint32_t dedup_slots;            /* recent-packet table entries (16 bytes
                                        each, rounded up to a power of two); 0
                                        disables; default 16384 (on) */
} cap_limits_t;

/* Sensible defaults for an appliance (documented in ARCHITECTURE.md). */
void cap_limits_default(cap_limits_t *l);

/* Limits for decoding one call's recorded packets again (the audio
 * renderer, a SIPREC session's layout): the defaults with tables sized for
 * one call instead of a whole link, so a decoder made per call costs
 * kilobytes, not the 12 MiB of address space the TCP table reserves. */
void cap_limits_one_call(cap_limits_t *l);

/* The decoder's counters, one X(name) each: the struct below and every
 * writer of the summary expand this one list (a counter kept is a counter
 * shown, under its name). */
#define CAP_STATS_COUNTERS(X)                                                                      \
    /* frames in */                                                                                \
    X(frames)                                                                                      \
    X(bytes)                                                                                       \
    X(timestamps_clamped) /* capture time outside [0, CAP_TS_MAX_NS] */                            \
    X(truncated)          /* frame shorter than its headers say */                                 \
    X(invalid)            /* malformed header (bad version, length...) */                          \
    X(unsupported_link)   /* link type we do not decode */                                         \
    X(non_ip)             /* ARP, LLDP, ... */                                                     \
    /* IP */                                                                                       \
    X(ipv4)                                                                                        \
    X(ipv6)                                                                                        \
    X(tunnels)            /* decapsulations (IPIP, GRE, ERSPAN, VXLAN) */                          \
    X(duplicates_dropped) /* IP packets dropped as capture duplicates                              \
                             (dedup.c; counted in frames/bytes only) */                            \
    X(frag_fragments)                                                                              \
    X(frag_reassembled)                                                                            \
    X(frag_timeouts)                                                                               \
    X(frag_evicted)                                                                                \
    X(frag_overlaps)                                                                               \
    /* transport */                                                                                \
    X(udp)                                                                                         \
    X(tcp)                                                                                         \
    X(sctp) /* SCTP packets (sctp.c) */                                                            \
    X(other_l4)                                                                                    \
    /* SIP over TCP */                                                                             \
    X(tcp_streams)                                                                                 \
    X(tcp_streams_evicted)                                                                         \
    X(tcp_sip_messages)                                                                            \
    X(tcp_retransmissions)                                                                         \
    X(tcp_out_of_order)                                                                            \
    X(tcp_gaps)                                                                                    \
    X(tcp_buffer_overflows)                                                                        \
    X(tcp_non_sip_streams)                                                                         \
    X(tcp_framing_errors)                                                                          \
    X(ws_messages)                                                                                 \
    X(ws_control_frames)                                                                           \
    X(ws_errors)                                                                                   \
    /* SIP over SCTP */                                                                            \
    X(sctp_data_chunks)   /* DATA and I-DATA chunks */                                             \
    X(sctp_messages)      /* SIP messages (user messages) handed out */                            \
    X(sctp_non_sip)       /* user messages that are not SIP, dropped */                            \
    X(sctp_reassembled)   /* fragmented user messages completed */                                 \
    X(sctp_reasm_dropped) /* partial messages dropped: gap, cap, timeout */                        \
    X(sctp_bad_checksum)  /* CRC32c mismatch (decoded anyway) */                                   \
    /* out */                                                                                      \
    X(datagrams_out) /* handed to the callback */

typedef struct {
#define CAP_STATS_FIELD(name) uint64_t name;
    CAP_STATS_COUNTERS(CAP_STATS_FIELD)
#undef CAP_STATS_FIELD
} cap_stats_t;

#define CAP_STATS_ONE(name) +1
enum { CAP_STATS_N = 0 CAP_STATS_COUNTERS(CAP_STATS_ONE) };
#undef CAP_STATS_ONE
_Static_assert(sizeof(cap_stats_t) == CAP_STATS_N * sizeof(uint64_t),
               "cap_stats_t: every counter is in CAP_STATS_COUNTERS");

typedef struct cap_decoder cap_decoder_t;

/* The callback receives every UDP datagram and every SIP message framed out
 * of a TCP or WebSocket stream or carried by an SCTP user message.  TCP payload that is not SIP
 * (after a probe of the stream's first bytes) is dropped and counted. */
cap_decoder_t *cap_decoder_new(const cap_limits_t *limits, datagram_cb_pt cb, void *user);
void cap_decoder_free(cap_decoder_t *d);

/* Decodes one frame.  Never fails: problems are counted in the stats. */
void cap_decode_frame(cap_decoder_t *d, const cap_frame_t *frame);

/* Look-ahead (decode_prefetch.c): call with a frame that cap_decode_frame
 * will decode soon (a few frames from now; its bytes must stay the same
 * until then).  For a plain UDP frame (Ethernet/VLAN or raw IP, IPv4 not a
 * fragment or IPv6, UDP) it starts loading what the decode will need and
 * returns true with *out the datagram the frame will give (for the next
 * stage's own prefetch); otherwise false.  Results never depend on it. */
bool cap_decoder_prefetch(cap_decoder_t *d, const cap_frame_t *frame, datagram_t *out);

/* Expires fragments and TCP flows idle since before now_ns (called by the
 * driver as packet time advances). */
void cap_decoder_expire(cap_decoder_t *d, int64_t now_ns);

const cap_stats_t *cap_decoder_stats(const cap_decoder_t *d);

/* ------------------------------------------------------------------------ */
/* Live capture (ring_afpacket.c, pcap_live.c, ring.c)                       */
/* ------------------------------------------------------------------------ */

/* One cap_ring_t is one capture socket on one interface, read by one
 * thread.  N threads capturing one interface open N rings with the same
 * fanout group: the kernel spreads packets over them by a symmetric flow
 * hash, so both directions of a flow reach the same ring.  Two backends
 * behind one API:
 *  - AF_PACKET TPACKET_V3 memory-mapped ring (Linux, the default): frames
 *    are handed out zero-copy from the ring;
 *  - libpcap (cfg.use_libpcap), the portable fallback; on Linux it also
 *    joins the fanout group.
 * Frames come out as cap_frame_t (file = the interface name, frame_no
 * counts per ring), ready for cap_decode_frame.  Both backends capture
 * incoming and outgoing packets unless ignore_outgoing is set (a SPAN or
 * TAP port only has incoming ones; on "lo" every packet is seen twice
 * without it). */

typedef struct cap_ring cap_ring_t;

typedef struct {
    const char *ifname;        /* interface, e.g. "eth1" (not "any") */
    bool use_libpcap;          /* libpcap backend instead of AF_PACKET */
    uint16_t fanout_group;     /* 0: no fanout; else the group id, one per
                                  interface (a group spans one device) */
    uint16_t fanout_mode;      /* PACKET_FANOUT_* (default HASH); DEFRAG is
                                  added by cap_ring_open */
    uint32_t block_size;       /* ring block bytes, a multiple of the page
                                  size (default 1 MiB) */
    uint32_t block_count;      /* blocks in the ring (default 64) */
    uint32_t frame_size;       /* frame slot size for the ring request
                                  (default 2048; TPACKET_V3 packs frames of
                                  any size into blocks) */
    uint32_t block_timeout_ms; /* a partly filled block is handed over after
                                  this (retire_blk_tov, default 10; 0: the
                                  kernel's choice, or libpcap immediate
                                  mode) */
    uint32_t snaplen;          /* bytes kept per frame (default 65535) */
    bool promisc;              /* put the interface in promiscuous mode */
    bool ignore_outgoing;      /* skip packets the host sends (default off) */
    const char *bpf;           /* filter expression; NULL or "" for all */
} cap_ring_config_t;

void cap_ring_config_default(cap_ring_config_t *cfg);

/* Opens a ring as cfg says.  NULL with a message in err when the interface
 * does not exist or is not Ethernet-framed (AF_PACKET backend), the filter
 * does not compile, the process lacks CAP_NET_RAW, or the kernel refuses
 * the ring (sizes) or the fanout group (another device already uses it). */
cap_ring_t *cap_ring_open(const cap_ring_config_t *cfg, char *err, size_t errlen);

/* Next frame: 1 with *out filled, 0 when none arrived within timeout_ms (or
 * a signal interrupted the wait; 0 ms polls), -1 on a socket error
 * (cap_ring_error says which; e.g. the interface went away).  The frame is
 * valid until the next call on this ring. */
int cap_ring_next(cap_ring_t *r, cap_frame_t *out, int timeout_ms);

typedef struct {
    uint64_t packets;   /* seen by the socket, dropped ones included
                           (PACKET_STATISTICS tp_packets / pcap ps_recv) */
    uint64_t drops;     /* ring full (tp_drops / ps_drop) */
    uint64_t freeze_q;  /* ring frozen (tp_freeze_q_cnt; AF_PACKET only) */
    uint64_t if_drops;  /* dropped by the interface (pcap ps_ifdrop; the
                           AF_PACKET socket does not see them: use
                           cap_iface_stats) */
    uint64_t frames;    /* delivered by cap_ring_next */
    uint64_t bytes;     /* captured bytes of those frames */
    uint64_t truncated; /* delivered with caplen < wirelen */
} cap_ring_stats_t;

/* Counters since the ring was opened.  The kernel resets its own at every
 * read, so call this from the thread that reads the ring (for example every
 * second between cap_ring_next calls) and publish the copy. */
void cap_ring_stats(cap_ring_t *r, cap_ring_stats_t *out);

/* The last error of cap_ring_next, "" if none. */
const char *cap_ring_error(const cap_ring_t *r);

/* The descriptor to poll() when one thread serves several rings. */
int cap_ring_fd(const cap_ring_t *r);

/* DLT_* of the frames (DLT_EN10MB for Ethernet and loopback). */
int cap_ring_linktype(const cap_ring_t *r);

void cap_ring_close(cap_ring_t *r);

/* Interface counters from /sys/class/net/IF/statistics (the kernel's drops
 * before any socket sees the packet: rx_dropped, rx_missed_errors,
 * rx_fifo_errors).  0, or -1 when the interface has no statistics. */
typedef struct {
    uint64_t rx_packets, rx_bytes, rx_dropped, rx_missed, rx_fifo_errors;
} cap_iface_stats_t;

int cap_iface_stats(const char *ifname, cap_iface_stats_t *out);

/* ------------------------------------------------------------------------ */
/* Privileges (privdrop.c)                                                   */
/* ------------------------------------------------------------------------ */

/* Run after every capture socket is open: switches the whole process to
 * user (its primary group and the groups /etc/group gives it), clears every
 * capability (permitted, effective, inheritable, ambient), sets
 * PR_SET_NO_NEW_PRIVS, then checks that setuid(0) fails.  Open sockets keep
 * working; new AF_PACKET sockets can no longer be created.  Returns 0, or
 * -1 with a message in err: the user does not exist, or it is root, or a
 * call failed (the process may then be half-switched: exit).  Deciding to
 * refuse running as root when no user is configured is the caller's job. */
int cap_drop_privileges(const char *user, char *err, size_t errlen);

#endif /* SIPHON_CAPTURE_H */
