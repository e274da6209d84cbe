/* proto.h - wire-format parsers shared by the correlator and the SIPREC SRS.
 *
 * One file per protocol: sip.c (RFC 3261 messages, zero-copy), sip_uri.c
 * (name-addr/URI pieces), mime.c (multipart bodies, RFC 2046), sdp.c
 * (RFC 4566/8866), rtp.c (RFC 3550 header, static payload types), rtcp.c
 * (RFC 3550/3611 compound packets; detailed in issue 3).
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
sip_method_t sip_method_from_sv(sv_t token);  /* case-sensitive, as RFC 3261 */

/* A name-addr or addr-spec header value (From, To, Contact, ...). */
typedef struct {
    sv_t display; /* without quotes; escapes left as they are */
    sv_t uri;     /* full URI without <> */
    sv_t scheme;  /* "sip", "sips", "tel", ... */
    sv_t user;    /* user part of the URI (or tel number) */
    sv_t host;    /* host part, IPv6 with brackets */
    uint16_t port; /* 0 when absent */
    sv_t tag;     /* header parameter ;tag= (not a URI parameter) */
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
    sv_t reason;        /* Reason header (RFC 3326) */
    sv_t content_type;  /* media type with parameters */
    long content_length; /* -1 when absent or unparsable */
    sv_t body;          /* the bytes after the blank line, bounded by
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
    sv_t encoding;        /* "PCMU", "opus", "telephone-event" */
    uint32_t clock_rate;
    uint8_t channels;     /* 1 when absent */
} sdp_rtpmap_t;

typedef struct {
    sv_t media;       /* "audio", "video", "image", "application" */
    uint16_t port;    /* 0 = stream disabled */
    uint16_t port_count; /* "m=audio 49170/2" -> 2; 1 otherwise */
    sv_t proto;       /* "RTP/AVP", "RTP/SAVP", "udptl", ... */
    uint8_t fmt_count;
    uint8_t fmts[SDP_MAX_FMTS]; /* RTP payload types (0..127) in m= order */
    ip_addr_t conn;   /* media-level c=, else the session-level one */
    uint16_t rtcp_port;   /* a=rtcp:PORT, 0 when absent */
    ip_addr_t rtcp_addr;  /* a=rtcp:PORT IN IP4 addr, IP_NONE when absent */
    bool rtcp_mux;
    uint16_t ptime;       /* a=ptime in ms, 0 when absent */
    sdp_direction_t direction; /* media-level, else session-level, else sendrecv */
    sv_t label;           /* a=label (RFC 4574; SIPREC) */
    uint8_t rtpmap_count;
    sdp_rtpmap_t rtpmap[SDP_MAX_RTPMAP];
    uint8_t crypto_count;
    sv_t crypto[SDP_MAX_CRYPTO]; /* a=crypto values (RFC 4568), raw */
} sdp_media_t;

typedef struct {
    sv_t origin;        /* o= line value */
    sv_t session_name;  /* s= */
    ip_addr_t conn;     /* session-level c= (IP_NONE when absent) */
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

/* ------------------------------------------------------------------------ */
/* RTP (RFC 3550) and RTCP detection                                         */
/* ------------------------------------------------------------------------ */

typedef struct {
    uint8_t version, padding, extension, csrc_count, marker, payload_type;
    uint16_t seq;
    uint32_t timestamp;
    uint32_t ssrc;
    size_t header_len;   /* fixed header + CSRCs + extension */
    size_t payload_len;  /* without padding */
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

#endif /* SIPHON_PROTO_H */
