/* proto.h - wire-format parsers shared by the correlator and the SIPREC SRS.
 *
 * One file per protocol: sip.c (RFC 3261 messages, zero-copy), sip_uri.c
 * (name-addr/URI pieces), mime.c (multipart bodies, RFC 2046), sdp.c
 * (RFC 4566/8866), rtp.c (RFC 3550 header, static payload types), rtcp.c
 * (RFC 3550/3611 compound packets), vq_report.c (RFC 6035 vq-rtcpxr
 * reports), dtmf.c (RFC 4733 telephone-events, SIP INFO DTMF bodies).
 *
 * Contract for every parser here:
 *  - input is hostile; no read outside [data, data+len), no allocation, no
 *    recursion without a depth bound;
 *  - results are views (sv_t) into the input, valid while the input is;
 *  - the return value says ok / truncated-or-incomplete / invalid, and the
 *    caller counts it.
 */
#ifndef SIPHON_PROTO_H
#define SIPHON_PROTO_H

#include "core.h"

typedef enum {
    PROTO_OK = 0,
    PROTO_INCOMPLETE = 1, /* more bytes needed (stream framing) / truncated */
    PROTO_INVALID = 2,    /* malformed */
} proto_status_t;

/* ------------------------------------------------------------------------ */
/* SIP (RFC 3261)                                                            */
/* ------------------------------------------------------------------------ */

typedef enum {
    SIP_METHOD_UNKNOWN = 0,
    SIP_INVITE,
    SIP_ACK,
    SIP_BYE,
    SIP_CANCEL,
    SIP_REGISTER,
    SIP_OPTIONS,
    SIP_PRACK,
    SIP_UPDATE,
    SIP_INFO,
    SIP_SUBSCRIBE,
    SIP_NOTIFY,
    SIP_REFER,
    SIP_MESSAGE,
    SIP_PUBLISH,
    SIP_METHOD_COUNT
} sip_method_t;

const char *sip_method_name(sip_method_t m); /* "INVITE", ... "UNKNOWN" */
sip_method_t sip_method_from_sv(sv_t token); /* case-sensitive, as RFC 3261 */

/* A name-addr or addr-spec header value (From, To, Contact, ...). */
typedef struct {
    sv_t display;  /* without quotes; escapes left as they are */
    sv_t uri;      /* full URI without <> */
    sv_t scheme;   /* "sip", "sips", "tel", ... */
    sv_t user;     /* user part of the URI (or tel number) */
    sv_t host;     /* host part, IPv6 with brackets */
    uint16_t port; /* 0 when absent */
    sv_t tag;      /* header parameter ;tag= (not a URI parameter) */
} sip_name_addr_t;

/* Parses a From/To/Contact-style value.  False when no URI can be found. */
bool sip_parse_name_addr(sv_t value, sip_name_addr_t *out);

typedef struct {
    sv_t name;  /* as written (maybe compact form) */
    sv_t value; /* trimmed; may contain folded line breaks (CRLF + WS) */
} sip_header_t;

#define SIP_MAX_HEADERS 96

typedef struct {
    bool is_request;
    /* request line */
    sip_method_t method;
    sv_t method_name;
    sv_t request_uri;
    /* status line */
    int status_code; /* 100..699 for responses, 0 for requests */
    sv_t reason_phrase;

    /* well-known headers (the first occurrence; compact forms understood) */
    sv_t call_id;
    sip_name_addr_t from, to;
    uint32_t cseq;
    sip_method_t cseq_method;
    sv_t cseq_method_name;
    sv_t via;           /* the top-most Via value (first of a comma list) */
    sv_t via_branch;    /* ;branch= of the top Via */
    sv_t via_transport; /* "UDP", "TCP", "WS", ... of the top Via */
    sv_t contact;       /* raw first Contact value */
    sv_t user_agent;
    sv_t server;
    sv_t reason;         /* Reason header (RFC 3326) */
    sv_t content_type;   /* media type with parameters */
    long content_length; /* -1 when absent or unparsable */
    sv_t body;           /* the bytes after the blank line, bounded by
                            Content-Length when present and sane */

    uint16_t header_count;
    bool headers_truncated; /* more than SIP_MAX_HEADERS were present */
    sip_header_t headers[SIP_MAX_HEADERS];
} sip_msg_t;

/* Parses one complete SIP message.  Returns PROTO_OK with *msg filled in,
 * PROTO_INCOMPLETE if the header block has no end or the body is shorter
 * than Content-Length (msg is still filled in as far as possible, body is
 * what is there), PROTO_INVALID if it is not a SIP message or a required
 * part (start line, Call-ID, CSeq, From, To) is malformed. */
proto_status_t sip_parse_message(const uint8_t *data, size_t len, sip_msg_t *msg);

/* Cheap test on the first bytes: does this look like the start of a SIP
 * request or response?  Used to recognise SIP on any port. */
bool sip_probe(const uint8_t *data, size_t len);

/* Stream framing (TCP, RFC 3261 18.3): if data starts with a whole SIP
 * message returns PROTO_OK and its length in *msg_len (header block plus
 * Content-Length bytes); PROTO_INCOMPLETE if more bytes are needed;
 * PROTO_INVALID if the bytes do not start with a SIP message or the framing
 * is broken (missing/garbage Content-Length, header block too long).  Leading
 * CRLF keep-alives are counted in *msg_len as their own message of length 2
 * or 4 returned with PROTO_OK and *is_keepalive set. */
proto_status_t sip_frame_message(const uint8_t *data, size_t len, size_t max_header_bytes,
                                 size_t *msg_len, bool *is_keepalive);

/* Finds a header by name (case-insensitive; the compact form of the name
 * matches too).  Returns the index-th occurrence's value, or SV_NULL. */
sv_t sip_header_get(const sip_msg_t *msg, const char *name, unsigned index);

/* Finds a parameter (";name=value") in a header value; flag parameters yield
 * an empty non-NULL view.  SV_NULL when absent. */
sv_t sip_param_get(sv_t value, const char *name);

/* Finds the SDP in the message body: the whole body when Content-Type is
 * application/sdp, the first application/sdp part of a multipart body
 * (nested up to depth 3).  False if there is none. */
bool sip_find_sdp(const sip_msg_t *msg, sv_t *sdp);

/* ------------------------------------------------------------------------ */
/* MIME multipart (RFC 2046), used for SDP+metadata bodies                   */
/* ------------------------------------------------------------------------ */

typedef struct {
    sv_t content_type; /* of the part; "text/plain" default per RFC 2046 */
    sv_t headers;      /* the part's header block */
    sv_t body;         /* without the CRLF before the next boundary */
} mime_part_t;

/* Splits a multipart body.  content_type is the enclosing Content-Type value
 * (the boundary parameter is taken from it).  Returns the number of parts
 * stored (<= max_parts) or -1 if the body is not a well-formed multipart. */
int mime_multipart_parse(sv_t content_type, sv_t body, mime_part_t *parts, int max_parts);
/* A header of a part's header block (mime_part_t.headers) by name or
 * compact name (may be NULL), case-insensitive, trimmed, folded lines
 * included; SV_NULL when absent.  E.g. Content-Disposition (RFC 7866's
 * recording-session part). */
sv_t mime_part_header(sv_t headers, const char *name, const char *compact);

/* ------------------------------------------------------------------------ */
/* SDP (RFC 8866)                                                            */
/* ------------------------------------------------------------------------ */

typedef enum {
    SDP_SENDRECV = 0,
    SDP_SENDONLY,
    SDP_RECVONLY,
    SDP_INACTIVE,
} sdp_direction_t;

const char *sdp_direction_name(sdp_direction_t d);

#define SDP_MAX_MEDIA  8
#define SDP_MAX_FMTS   32
#define SDP_MAX_RTPMAP 16
#define SDP_MAX_CRYPTO 4

typedef struct {
    uint8_t pt;
    sv_t encoding; /* "PCMU", "opus", "telephone-event" */
    uint32_t clock_rate;
    uint8_t channels; /* 1 when absent */
} sdp_rtpmap_t;

typedef struct {
    sv_t media;          /* "audio", "video", "image", "application" */
    uint16_t port;       /* 0 = stream disabled */
    uint16_t port_count; /* "m=audio 49170/2" -> 2; 1 otherwise */
    sv_t proto;          /* "RTP/AVP", "RTP/SAVP", "udptl", ... */
    uint8_t fmt_count;
    uint8_t fmts[SDP_MAX_FMTS]; /* RTP payload types (0..127) in m= order */
    ip_addr_t conn;             /* media-level c=, else the session-level one */
    uint16_t rtcp_port;         /* a=rtcp:PORT, 0 when absent */
    ip_addr_t rtcp_addr;        /* a=rtcp:PORT IN IP4 addr, IP_NONE when absent */
    bool rtcp_mux;
    uint16_t ptime;            /* a=ptime in ms, 0 when absent */
    sdp_direction_t direction; /* media-level, else session-level, else sendrecv */
    sv_t label;                /* a=label (RFC 4574; SIPREC) */
    uint8_t rtpmap_count;
    sdp_rtpmap_t rtpmap[SDP_MAX_RTPMAP];
    uint8_t crypto_count;
    sv_t crypto[SDP_MAX_CRYPTO]; /* a=crypto values (RFC 4568), raw */
} sdp_media_t;

typedef struct {
    sv_t origin;       /* o= line value */
    sv_t session_name; /* s= */
    ip_addr_t conn;    /* session-level c= (IP_NONE when absent) */
    sdp_direction_t direction;
    uint8_t media_count;
    bool media_truncated; /* more than SDP_MAX_MEDIA m= lines */
    sdp_media_t media[SDP_MAX_MEDIA];
} sdp_t;

/* Parses an SDP body (CRLF or LF line ends).  PROTO_OK or PROTO_INVALID
 * (no v= line, no usable m=/c= structure).  Unknown lines are ignored. */
proto_status_t sdp_parse(sv_t body, sdp_t *out);

/* The rtpmap of payload type pt in m, falling back to the static table
 * (RFC 3551) for pt < 96.  False when unknown. */
bool sdp_media_codec(const sdp_media_t *m, uint8_t pt, sv_t *encoding, uint32_t *clock_rate);

/* Where m's media goes (RFC 3264/3605/5761): the RTP endpoint (port and
 * connection address; false when the stream is disabled, port 0, or on hold
 * with c=0.0.0.0 / ::), and the RTCP endpoint (a=rtcp port and address,
 * else port+1; false with a=rtcp-mux, where RTCP shares the RTP port, or
 * when there is no RTP endpoint).  One rule for every component that must
 * agree on which packets belong to an SDP (the correlator's media table and
 * its shard router). */
bool sdp_media_rtp_endpoint(const sdp_media_t *m, endpoint_t *out);
bool sdp_media_rtcp_endpoint(const sdp_media_t *m, endpoint_t *out);
/* A connection address that carries media: not IP_NONE, not all zeros. */
bool sdp_addr_usable(const ip_addr_t *a);

/* ------------------------------------------------------------------------ */
/* RTP (RFC 3550) and RTCP detection                                         */
/* ------------------------------------------------------------------------ */

typedef struct {
    uint8_t version, padding, extension, csrc_count, marker, payload_type;
    uint16_t seq;
    uint32_t timestamp;
    uint32_t ssrc;
    size_t header_len;  /* fixed header + CSRCs + extension */
    size_t payload_len; /* without padding */
} rtp_header_t;

/* Parses the RTP fixed header, CSRC list and extension.  PROTO_INVALID when
 * version != 2, the lengths do not fit, or the payload type is in the RTCP
 * range 72..76 (RFC 5761 demultiplexing). */
proto_status_t rtp_parse_header(const uint8_t *data, size_t len, rtp_header_t *out);

/* True when the datagram looks like an RTCP compound packet (RFC 5761: V=2,
 * second byte 192..223, lengths consistent). */
bool rtcp_probe(const uint8_t *data, size_t len);

/* RFC 3551 static payload types: name and clock rate.  False for dynamic or
 * unassigned types. */
bool rtp_static_codec(uint8_t pt, const char **name, uint32_t *clock_rate);

/* ------------------------------------------------------------------------ */
/* RTCP compound packets (RFC 3550 6.4, RFC 3611 XR, RFC 4585 feedback)      */
/* ------------------------------------------------------------------------ */

enum {
    RTCP_PT_SR = 200,
    RTCP_PT_RR = 201,
    RTCP_PT_SDES = 202,
    RTCP_PT_BYE = 203,
    RTCP_PT_APP = 204,
    RTCP_PT_RTPFB = 205, /* RFC 4585 transport-layer feedback */
    RTCP_PT_PSFB = 206,  /* RFC 4585 payload-specific feedback */
    RTCP_PT_XR = 207,
};

enum {
    RTCP_XR_RRT = 4,   /* Receiver Reference Time (RFC 3611 4.4) */
    RTCP_XR_DLRR = 5,  /* DLRR (4.5) */
    RTCP_XR_STATS = 6, /* Statistics Summary (4.6) */
    RTCP_XR_VOIP = 7,  /* VoIP Metrics (4.7) */
};

#define RTCP_MAX_PACKETS    8   /* packets decoded per compound datagram */
#define RTCP_MAX_REPORTS    16  /* report blocks stored per SR/RR (RC allows 31) */
#define RTCP_MAX_SDES       4   /* SDES chunks stored per packet */
#define RTCP_MAX_BYE        8   /* BYE SSRCs stored per packet */
#define RTCP_MAX_XR_BLOCKS  8   /* XR blocks stored per packet */
#define RTCP_MAX_DLRR       4   /* DLRR sub-blocks stored per DLRR block */
#define RTCP_XR_UNAVAILABLE 127 /* R factor / MOS / signal "unavailable" */

/* SR sender info (RFC 3550 6.4.1). */
typedef struct {
    uint32_t ntp_msw, ntp_lsw; /* NTP timestamp */
    uint32_t rtp_ts;
    uint32_t packet_count, octet_count;
} rtcp_sender_info_t;

/* Reception report block (RFC 3550 6.4.1). */
typedef struct {
    uint32_t ssrc;
    uint8_t fraction_lost;    /* x/256 */
    int32_t cumulative_lost;  /* signed 24 bits, sign-extended */
    uint32_t ext_highest_seq; /* cycles << 16 | max_seq */
    uint32_t jitter;          /* timestamp units */
    uint32_t lsr;             /* middle 32 bits of the last SR's NTP time */
    uint32_t dlsr;            /* 1/65536 s */
} rtcp_report_block_t;

/* XR VoIP Metrics block, BT=7 (RFC 3611 4.7).  Values as on the wire. */
typedef struct {
    uint32_t ssrc;
    uint8_t loss_rate, discard_rate;             /* fraction x256 */
    uint8_t burst_density, gap_density;          /* fraction x256 */
    uint16_t burst_duration, gap_duration;       /* ms */
    uint16_t round_trip_delay, end_system_delay; /* ms */
    int8_t signal_level, noise_level;            /* dBm; 127 = unavailable */
    uint8_t rerl;                                /* dB; 127 = unavailable */
    uint8_t gmin;
    uint8_t r_factor, ext_r_factor;          /* 127 = unavailable */
    uint8_t mos_lq, mos_cq;                  /* MOS x10; 127 = unavailable */
    uint8_t rx_config;                       /* the raw byte; decoded below */
    uint8_t plc;                             /* 0 unspecified, 1 disabled, 2 enhanced, 3 standard */
    uint8_t jba;                             /* 0 unknown, 1 reserved, 2 non-adaptive, 3 adaptive */
    uint8_t jb_rate;                         /* 0..15 */
    uint16_t jb_nominal, jb_max, jb_abs_max; /* ms */
} rtcp_xr_voip_t;

/* XR Statistics Summary block, BT=6 (RFC 3611 4.6).  Fields whose flag is
 * clear are zero (the wire carries them but they are not meaningful). */
typedef struct {
    uint32_t ssrc;
    bool loss_flag, dup_flag, jitter_flag; /* L, D, J */
    uint8_t ttl_or_hl; /* ToH: 0 none, 1 IPv4 TTL, 2 IPv6 hop limit, 3 reserved */
    uint16_t begin_seq, end_seq;
    uint32_t lost_packets, dup_packets;
    uint32_t min_jitter, max_jitter, mean_jitter, dev_jitter; /* timestamp units */
    uint8_t min_ttl, max_ttl, mean_ttl, dev_ttl;
} rtcp_xr_stats_t;

typedef struct {
    uint32_t ssrc, lrr, dlrr; /* DLRR sub-block (RFC 3611 4.5) */
} rtcp_xr_dlrr_item_t;

/* One XR report block.  bt selects the union member; other types (and
 * everything past a known type's fixed part) are only described by data. */
typedef struct {
    uint8_t bt;
    uint8_t type_specific;
    uint16_t length_words; /* block length field: 32-bit words after the header */
    const uint8_t *data;   /* block contents after the 4-byte header */
    size_t data_len;
    union {
        struct {
            uint32_t ntp_msw, ntp_lsw;
        } rrt; /* BT=4 */
        struct {
            uint8_t count;  /* sub-blocks present */
            uint8_t stored; /* <= RTCP_MAX_DLRR */
            rtcp_xr_dlrr_item_t items[RTCP_MAX_DLRR];
        } dlrr;                /* BT=5 */
        rtcp_xr_stats_t stats; /* BT=6 */
        rtcp_xr_voip_t voip;   /* BT=7 */
    } u;
} rtcp_xr_block_t;

typedef struct {
    uint32_t ssrc;
    sv_t cname; /* SDES item 1; SV_NULL when the chunk has none */
} rtcp_sdes_chunk_t;

/* One RTCP packet of a compound datagram.  pt selects the union member:
 * SR and RR use .rr (sender info only meaningful for SR), SDES .sdes, BYE
 * .bye, APP .app, RTPFB/PSFB .fb, XR .xr; other types in 192..223 are kept
 * with their header only. */
typedef struct {
    uint8_t pt;
    uint8_t count; /* the 5-bit RC / SC / subtype / FMT field */
    bool padding;  /* P bit; pad_len bytes were removed from the body */
    uint8_t pad_len;
    size_t offset; /* of the header in the datagram */
    size_t length; /* bytes including header and padding */
    uint32_t ssrc; /* sender SSRC (SR/RR/APP/FB/XR); first chunk or BYE
                      SSRC for SDES/BYE; 0 when absent */
    union {
        struct {
            rtcp_sender_info_t sender; /* SR only */
            uint8_t stored;            /* <= RTCP_MAX_REPORTS; count = RC */
            rtcp_report_block_t blocks[RTCP_MAX_REPORTS];
            size_t ext_len; /* profile-specific extension bytes */
        } rr;
        struct {
            uint8_t stored; /* <= RTCP_MAX_SDES; count = SC */
            rtcp_sdes_chunk_t chunks[RTCP_MAX_SDES];
        } sdes;
        struct {
            uint8_t stored; /* <= RTCP_MAX_BYE; count = SC */
            uint32_t ssrcs[RTCP_MAX_BYE];
            sv_t reason; /* SV_NULL when absent */
        } bye;
        struct {
            sv_t name; /* 4 ASCII characters; subtype = count */
            const uint8_t *data;
            size_t data_len;
        } app;
        struct {
            uint32_t media_ssrc; /* FMT = count */
            const uint8_t *fci;
            size_t fci_len;
        } fb;
        struct {
            uint8_t block_count; /* blocks present */
            uint8_t stored;      /* <= RTCP_MAX_XR_BLOCKS */
            rtcp_xr_block_t blocks[RTCP_MAX_XR_BLOCKS];
        } xr;
    } u;
} rtcp_packet_t;

typedef struct {
    uint8_t count;       /* packets decoded into pkt[] (<= RTCP_MAX_PACKETS) */
    uint16_t total;      /* well-formed packets seen, stored or not */
    size_t error_offset; /* on PROTO_INVALID: where the bad packet starts */
    rtcp_packet_t pkt[RTCP_MAX_PACKETS];
} rtcp_compound_t;

/* Walks an RTCP compound datagram without copying: every packet must have
 * V=2, a packet type in 192..223, a length that fits the datagram and a
 * count consistent with that length; padding (P bit) is honoured on any
 * packet, normally the last.  Packets after the first RTCP_MAX_PACKETS are
 * validated and counted in total but not stored.  Returns PROTO_OK when the
 * whole datagram is well-formed, PROTO_INVALID otherwise (including a
 * length beyond the buffer and 1..3 trailing bytes); on PROTO_INVALID the
 * out->count packets before the bad one are still valid and error_offset
 * says where it starts (pkt[count] is then undefined).  The SR/RR-first
 * rule of RFC 3550 is not enforced (RFC 5506 reduced-size RTCP).  SRTCP
 * is not recognised: its trailer (E/index, tag) normally makes the
 * datagram invalid, and values decoded from encrypted bodies are garbage.
 * Views point into data. */
proto_status_t rtcp_parse_compound(const uint8_t *data, size_t len, rtcp_compound_t *out);

/* The middle 32 bits of a 64-bit NTP timestamp (the LSR format). */
uint32_t rtcp_ntp_middle32(uint32_t msw, uint32_t lsw);

/* Round trip time in ms from a report block: RTT = A - LSR - DLSR, all in
 * 1/65536 s, A the arrival time as middle 32 bits of NTP.  Modular, so it
 * survives the 32-bit wrap.  Negative (-1.0) when LSR is 0 (no SR received
 * yet) or the result would be negative. */
double rtcp_rtt_ms(uint32_t arrival_mid32, uint32_t lsr, uint32_t dlsr);

/* ------------------------------------------------------------------------ */
/* RFC 6035 vq-rtcpxr quality reports (SIP PUBLISH bodies)                   */
/* ------------------------------------------------------------------------ */

typedef enum {
    VQ_REPORT_UNKNOWN = 0,
    VQ_SESSION_REPORT,  /* VQSessionReport */
    VQ_INTERVAL_REPORT, /* VQIntervalReport */
    VQ_ALERT_REPORT,    /* VQAlertReport */
} vq_report_type_t;

typedef struct {
    bool present;
    double v;
} vq_value_t;

typedef struct {
    sv_t ip_text; /* IP= as written */
    ip_addr_t ip; /* IP_NONE when absent or not a literal address */
    vq_value_t port;
    bool has_ssrc;
    uint32_t ssrc; /* SSRC=0x... (hex) or decimal */
} vq_addr_t;

/* One LocalMetrics:/RemoteMetrics: section. */
typedef struct {
    bool present;
    sv_t start, stop; /* Timestamps START= STOP= */
    /* SessionDesc */
    vq_value_t pt;
    sv_t pd;
    vq_value_t sr, fd, fpp, pps, plc;
    sv_t ssup; /* "on" / "off" */
    /* JitterBuffer */
    vq_value_t jba, jbr, jbn, jbm, jbx;
    /* PacketLoss (percent) */
    vq_value_t nlr, jdr;
    /* BurstGapLoss */
    vq_value_t bld, bd, gld, gd, gmin;
    /* Delay (ms) */
    vq_value_t rtd, esd, sowd, iaj, maj;
    /* Signal (dB) */
    vq_value_t sl, nl, rerl;
    /* QualityEst */
    vq_value_t rlq, rcq, extri, extro, moslq, moscq;
    sv_t qoe_alg; /* QoEEstAlg= */
} vq_metrics_t;

typedef struct {
    vq_report_type_t type;
    sv_t type_value; /* the text after "VQ...Report:" ("CallTerm", alert params) */
    bool call_term;  /* ": CallTerm" */
    sv_t call_id, local_id, remote_id, orig_id;
    sv_t local_group, remote_group, local_mac, remote_mac;
    vq_addr_t local_addr, remote_addr;
    sv_t dialog_id;             /* report-level, wherever it appears */
    vq_metrics_t local, remote; /* bare "Metrics:" fills local */
    uint16_t bad_tokens;        /* NAME=value tokens that did not parse */
} vq_report_t;

/* Parses an application/vq-rtcpxr body (CRLF or LF lines; keys are matched
 * case-insensitively; NAME=value tokens may be glued together as in
 * "JBM=20JBX=240").  Returns PROTO_OK when the first non-empty line names a
 * report type, PROTO_INVALID otherwise.  Unknown lines and tokens are
 * ignored; values that do not parse stay absent and are counted in
 * bad_tokens.  Views point into body. */
proto_status_t vq_report_parse(sv_t body, vq_report_t *out);

/* ------------------------------------------------------------------------ */
/* DTMF: RFC 4733 telephone-event payloads and SIP INFO bodies               */
/* ------------------------------------------------------------------------ */

#define RTP_EVENT_FLASH 16

typedef struct {
    uint8_t event;     /* 0-9 digits, 10 '*', 11 '#', 12-15 'A'-'D', 16 flash */
    char digit;        /* see rtp_event_char(); 0 for non-DTMF events */
    bool end;          /* E bit */
    bool reserved;     /* R bit (should be 0) */
    uint8_t volume;    /* 0..63, -dBm0 */
    uint16_t duration; /* timestamp units */
} rtp_event_t;

/* Parses the 4-byte event block of an RFC 4733 section 2.3 payload (extra
 * bytes, e.g. further blocks, are ignored).  PROTO_INVALID when len < 4. */
proto_status_t rtp_event_parse(const uint8_t *payload, size_t len, rtp_event_t *out);

/* '0'-'9', '*', '#', 'A'-'D' for events 0..15, '!' for flash (16), 0 for
 * any other event. */
char rtp_event_char(uint8_t event);

typedef struct {
    uint8_t event; /* as rtp_event_t.event */
    char digit;    /* '0'-'9', '*', '#', 'A'-'D', '!' (flash) */
    bool has_duration;
    uint32_t duration; /* Duration= in ms */
} dtmf_info_t;

/* Parses a SIP INFO DTMF body: application/dtmf-relay ("Signal=5\r\n
 * Duration=160\r\n", keys case-insensitive, Signal may also be 10..16 or
 * '!') or application/dtmf (the body is one signal).  PROTO_INVALID when no
 * valid signal is found.  A missing or unparsable Duration leaves
 * has_duration false. */
proto_status_t dtmf_relay_parse(sv_t body, dtmf_info_t *out);

#endif /* SIPHON_PROTO_H */
