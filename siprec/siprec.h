/* siprec.h - the SIPREC recording server (SRS, RFC 7866 / RFC 7865).
 *
 * siprec/ is a *source*, not a consumer of the correlator: an SBC (the
 * recording client, SRC) opens a recording session to siphon over SIP and
 * forks its media to ports siphon allocates.  It therefore has its own
 * threads (one SIP thread: UDP, TCP and TLS listeners, the UAS transaction
 * layer, sessions and their timers; rtp_threads media threads: epoll over
 * the RTP/RTCP sockets of every recorded stream) and the same life cycle
 * as a consumer (srs_new from its configuration, srs_start, srs_stop,
 * srs_stats, srs_free) so app/ wires it the same way.
 *
 * What it hands out, each through one function pointer set before start:
 *  - srs_session_fn: a recording session ended (BYE, CANCEL, timeout,
 *    shutdown): one srs_session_t record, on the SIP thread, views valid
 *    during the call (output/ writes it as NDJSON, storage will store it);
 *  - srs_media_fn: every RTP/RTCP packet received (SRTP already
 *    decrypted), on a media thread (the packet store writes it);
 *  - srs_sip_fn: every SIP message of a recording session, both ways, on
 *    the SIP thread (the packet store writes it beside the media).
 *
 * srs_layout_t (layout.c) reads a session back from its stored SIP: which
 * recorded stream arrives on which port and whose voice it carries, for
 * the stereo audio of a recording.
 *
 * The metadata model (RFC 7865 and the pre-RFC dialects, metadata.c) is
 * public too: storage keeps it and the tests and fuzz target drive it.
 *
 * Public prefix srs_; internal srs__ (siprec_internal.h).
 */
#ifndef SIPHON_SIPREC_H
#define SIPHON_SIPREC_H

#include "core.h"

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------ */
/* Metadata (metadata.c)                                                     */
/* ------------------------------------------------------------------------ */

#define SRS_MD_MAX_PARTICIPANTS 32
#define SRS_MD_MAX_STREAMS      32
#define SRS_MD_MAX_SESSIONS     8
#define SRS_MD_MAX_GROUPS       8
#define SRS_MD_MAX_CALL_IDS     8
#define SRS_MD_MAX_ASSOC        8 /* send / recv stream ids per participant */
#define SRS_MD_MAX_DEPTH        32
#define SRS_MD_MAX_ELEMENTS     4096
#define SRS_MD_MAX_EXTENSIONS   16384 /* bytes of vendor extensions kept */

typedef struct {
    char *id;   /* participant_id (RFC) or id (pre-RFC) */
    char *aor;  /* <nameID aor=...> as written */
    char *name; /* <name>, trimmed; NULL when absent or blank */
    char *role; /* <role>, or apkt:callingParty true/false: "calling"/"called" */
    uint8_t n_send, n_recv;
    char *send[SRS_MD_MAX_ASSOC]; /* stream ids this participant sends */
    char *recv[SRS_MD_MAX_ASSOC];
} srs_md_participant_t;

typedef struct {
    char *id;      /* stream_id / id */
    char *label;   /* <label>: the SDP a=label */
    char *session; /* session_id / session */
} srs_md_stream_t;

typedef struct {
    uint32_t n_participants, n_streams, n_sessions, n_groups, n_call_ids;
    srs_md_participant_t participants[SRS_MD_MAX_PARTICIPANTS];
    srs_md_stream_t streams[SRS_MD_MAX_STREAMS];
    char *sessions[SRS_MD_MAX_SESSIONS]; /* session ids */
    char *groups[SRS_MD_MAX_GROUPS];     /* group ids */
    char *call_ids[SRS_MD_MAX_CALL_IDS]; /* the recorded calls' SIP Call-IDs */
    char *extensions;                    /* vendor extension elements, verbatim XML */
    size_t extensions_len;
    uint32_t updates;   /* documents applied (complete and partial) */
    uint32_t truncated; /* items beyond a cap, not kept */
    char *last_xml;     /* the last document applied, as received */
} srs_metadata_t;

void srs_metadata_init(srs_metadata_t *md);
void srs_metadata_free(srs_metadata_t *md); /* then init again to reuse */
/* Parses one metadata document (a complete snapshot replaces the model, a
 * partial update is merged by id) of at most max_bytes.  0, or -1 with a
 * reason in err (not XML, a DTD or entity declaration, too large or too
 * deep, not a <recording> document): the model is then unchanged. */
int srs_metadata_apply(srs_metadata_t *md, const char *xml, size_t len, size_t max_bytes, char *err,
                       size_t errlen);
/* The participant sending stream id (NULL: unknown). */
const srs_md_participant_t *srs_metadata_sender(const srs_metadata_t *md, const char *stream_id);
/* The metadata stream labelled label (NULL: none). */
const srs_md_stream_t *srs_metadata_stream_by_label(const srs_metadata_t *md, const char *label);

/* ------------------------------------------------------------------------ */
/* The server                                                                */
/* ------------------------------------------------------------------------ */

#define SRS_MAX_LISTEN 8
#define SRS_MAX_ALLOW  32

typedef enum { SRS_UDP = 0, SRS_TCP, SRS_TLS } srs_transport_t;
const char *srs_transport_name(srs_transport_t t);

typedef struct {
    srs_transport_t transport;
    endpoint_t addr;
} srs_listen_t;

typedef struct {
    ip_addr_t net;
    uint8_t prefix;
} srs_cidr_t;

typedef struct {
    uint32_t n_listen;
    srs_listen_t listen[SRS_MAX_LISTEN];
    const char *tls_cert, *tls_key, *tls_ca; /* PEM files ("" or NULL: none) */
    bool verify_client;                      /* TLS: require a client cert signed by tls_ca */
    uint32_t n_allow;                        /* 0: every source may record */
    srs_cidr_t allow[SRS_MAX_ALLOW];
    uint32_t max_sessions;
    uint16_t rtp_port_min, rtp_port_max; /* even pairs taken from [min, max] */
    uint32_t rtp_threads;
    uint32_t rcvbuf;           /* SO_RCVBUF of each media socket, bytes */
    uint32_t max_message;      /* largest SIP message taken (TCP/TLS), bytes */
    uint32_t max_metadata;     /* largest metadata document, bytes */
    uint32_t max_connections;  /* TCP/TLS connections at once */
    int64_t answer_delay_ns;   /* the 200 waits this long (CANCEL can still win) */
    int64_t idle_timeout_ns;   /* no SIP and no media this long: the session ends */
    const char *media_address; /* c= of answers; "" or NULL: the address SIP came to */
    bool no_sockets;           /* srs_process only: ports are allocated, not bound */
} srs_config_t;

/* Defaults: no listener, 1,000 sessions, ports 20000-29999, one media
 * thread, 256 KiB buffers, 128 KiB messages, 64 KiB metadata, 256 connections. */
void srs_config_default(srs_config_t *c);
/* "udp:0.0.0.0:5080", "tcp:[::1]:5060", "tls:...": 0 or -1 (err says why). */
int srs_parse_listen(const char *text, srs_listen_t *out, char *err, size_t errlen);
/* "10.0.0.0/8", "192.0.2.1", "2001:db8::/32". */
int srs_parse_cidr(const char *text, srs_cidr_t *out, char *err, size_t errlen);
/* "20000-29999". */
int srs_parse_port_range(const char *text, uint16_t *lo, uint16_t *hi, char *err, size_t errlen);

/* One recorded stream of an ended session. */
typedef struct {
    const char *label;     /* SDP a=label (NULL: none) */
    const char *stream_id; /* metadata stream id (NULL: not in the metadata) */
    const char *codec;     /* chosen from the offer, e.g. "PCMA" */
    uint8_t payload_type;
    uint32_t clock_rate;
    uint16_t port; /* local RTP port (0: refused) */
    bool srtp;
    const char *srtp_suite; /* NULL: plain RTP */
    uint64_t packets, bytes, rtcp_packets;
    uint64_t srtp_auth_failures, malformed, socket_drops;
    int64_t lost;
    double mos; /* < 0: not scored */
    double jitter_ms;
    int64_t first_ns, last_ns; /* 0: no packet */
    uint32_t pauses;           /* times the SRC paused it */
    const char *sender_id;     /* participant that sends it (metadata), or NULL */
    const char *sender_aor;
} srs_stream_t;

typedef struct {
    const char *id, *aor, *name, *role;
} srs_participant_t;

/* An ended recording session. */
typedef struct {
    const char *call_id; /* the recording session's own Call-ID */
    endpoint_t src;      /* where its SIP came from */
    srs_transport_t transport;
    int64_t start_ns, end_ns; /* INVITE received, session ended (wall clock) */
    const char *state;        /* "completed" (BYE), "cancelled", "timeout", "no_ack", "shutdown" */
    uint32_t n_participants, n_streams, n_call_ids;
    const srs_participant_t *participants;
    const srs_stream_t *streams;
    const char *const *recorded_call_ids;
    uint32_t metadata_updates;
    const srs_metadata_t *metadata; /* the merged model (extensions, last XML) */
} srs_session_t;

typedef void (*srs_session_fn)(void *user, const srs_session_t *s);

typedef struct {
    const char *call_id; /* the recording session's */
    uint32_t stream;     /* index in the session's streams (SDP m= order) */
    const char *label;
    bool rtcp;
    int64_t ts_ns; /* kernel receive time */
    endpoint_t src, dst;
    const uint8_t *data; /* plain RTP/RTCP (SRTP decrypted) */
    size_t len;
} srs_packet_t;

typedef void (*srs_media_fn)(void *user, const srs_packet_t *p);

/* One SIP message of a recording session, received or sent (a request
 * whose Call-ID is or was a session, the responses it caused, and the
 * retransmitted 2xx), on the SIP thread.  Messages of requests that made
 * no session (refused INVITEs, OPTIONS) are not handed out.  TCP and TLS
 * messages are the bytes of one framed message, as read or written. */
typedef struct {
    const char *call_id; /* the recording session's */
    int64_t ts_ns;       /* wall clock: received, or sent */
    srs_transport_t transport;
    endpoint_t src, dst;
    const uint8_t *data;
    size_t len;
} srs_sip_t;

typedef void (*srs_sip_fn)(void *user, const srs_sip_t *m);

/* The server's counters, by name (X-macro: output/ writes them all). */
#define SRS_STATS_COUNTERS(X)                                                                      \
    /* SIP */                                                                                      \
    X(sip_received)                                                                                \
    X(sip_malformed)                                                                               \
    X(sip_too_large)                                                                               \
    X(responses_sent)                                                                              \
    X(retransmissions_absorbed) X(retransmissions_sent) X(options) X(forbidden) X(rejected_busy)   \
        X(rejected_offer) X(rejected_metadata) X(transactions_full) X(tcp_connections)             \
            X(tcp_refused) X(tls_handshake_failures) /* sessions */                                \
        X(sessions_started) X(sessions_ended) X(sessions_cancelled) X(sessions_timed_out)          \
            X(sessions_active) X(reinvites) X(updates) X(metadata_updates) /* media */             \
        X(rtp_packets) X(rtcp_packets) X(media_bytes) X(rtp_malformed) X(srtp_auth_failures)       \
            X(socket_drops) X(ports_exhausted) X(streams_active)

typedef struct {
#define SRS__FIELD(f) uint64_t f;
    SRS_STATS_COUNTERS(SRS__FIELD)
#undef SRS__FIELD
} srs_stats_t;

typedef struct srs srs_t;

srs_t *srs_new(const srs_config_t *cfg, char *err, size_t errlen);
void srs_set_session_listener(srs_t *s, srs_session_fn fn, void *user);
void srs_set_media_hook(srs_t *s, srs_media_fn fn, void *user);
void srs_set_sip_hook(srs_t *s, srs_sip_fn fn, void *user);
/* Binds the listeners and starts the threads: 0, or -1 (err says why). */
int srs_start(srs_t *s, char *err, size_t errlen);
/* Ends every session (state "shutdown", each reaches the listener) and joins. */
void srs_stop(srs_t *s);
void srs_stats(srs_t *s, srs_stats_t *out);
void srs_free(srs_t *s);

/* The SIP layer without sockets (tests and the fuzz target): one request or
 * response from src over transport; every response it causes is appended to
 * out.  Not for a started server. */
void srs_process(srs_t *s, srs_transport_t transport, const endpoint_t *src, const uint8_t *msg,
                 size_t len, buf_t *out);
/* Runs the timers as if the wall clock were now_ns (tests): retransmissions
 * go to out, due answers are sent, idle sessions end. */
void srs_tick(srs_t *s, int64_t now_ns, buf_t *out);

/* ------------------------------------------------------------------------ */
/* A stored session read back from its SIP (layout.c)                        */
/* ------------------------------------------------------------------------ */

#define SRS_LAYOUT_MAX_STREAMS 8 /* SDP_MAX_MEDIA */

typedef struct srs_layout srs_layout_t;

typedef struct {
    uint32_t index; /* m= position */
    uint16_t port;  /* SRS RTP port the stream was received on */
    const char *label, *codec;
    uint8_t payload_type;
    uint32_t clock_rate;
    int side;                             /* 0: left (caller), 1: right (callee) */
    const char *sender_aor, *sender_name; /* from the metadata (NULL: unknown) */
} srs_layout_stream_t;

/* max_metadata: largest metadata document applied (0: 1 MiB). */
srs_layout_t *srs_layout_new(size_t max_metadata);
void srs_layout_free(srs_layout_t *l);
/* One SIP message of the session, either direction, in order. */
void srs_layout_sip(srs_layout_t *l, const uint8_t *msg, size_t len);
/* A SIPREC offer (metadata, or a Contact with +sip.src) was seen. */
bool srs_layout_is_session(const srs_layout_t *l);
uint32_t srs_layout_streams(const srs_layout_t *l);
/* Stream i (m= position), or the stream received on port: 0, or -1 (none,
 * or refused).  Views valid until the next srs_layout_sip. */
int srs_layout_stream(const srs_layout_t *l, uint32_t i, srs_layout_stream_t *out);
int srs_layout_find(const srs_layout_t *l, uint16_t port, srs_layout_stream_t *out);

#endif /* SIPHON_SIPREC_H */
