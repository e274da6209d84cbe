/* siprec_internal.h - what the files of siprec/ share (prefix srs__).
 *
 * Threads and ownership:
 *  - the SIP thread (transport.c) owns listeners, connections,
 *    transactions (uas.c), sessions and the port allocator (media.c);
 *  - each media thread owns an epoll set; a stream's figures are written
 *    by its media thread and read by the SIP thread under the stream's
 *    mutex (uncontended: one lock per batch of packets);
 *  - a closed stream is not freed at once: the SIP thread takes it out of
 *    the epoll set and parks it for SRS__STREAM_GRACE_NS, so an event the
 *    media thread already took never points at freed memory.
 * Counters (srs_stats_t) are relaxed atomics, readable from any thread.
 */
#ifndef SIPHON_SIPREC_INTERNAL_H
#define SIPHON_SIPREC_INTERNAL_H

#include "proto.h"
#include "quality.h"
#include "siprec.h"

#include <pthread.h>
#include <srtp2/srtp.h>
#include <stdatomic.h>

#define SRS__T1_NS           (500 * 1000000LL)
#define SRS__T2_NS           (4000 * 1000000LL)
#define SRS__TXN_LIFE_NS     (32 * 1000000000LL) /* 64*T1: timers H, J */
#define SRS__STREAM_GRACE_NS (1000000000LL)
#define SRS__MAX_PARTS       8
#define SRS__TAG_LEN         24
#define SRS__KEY_B64         96 /* base64 of the longest key (46 B: 64) and a NUL */

#define SRS__STAT_ADD(s, f, n) atomic_fetch_add_explicit(&(s)->st.f, (n), memory_order_relaxed)
#define SRS__STAT_INC(s, f)    SRS__STAT_ADD(s, f, 1)

/* srs_stats_t with every field atomic (same order). */
typedef struct {
#define SRS__AFIELD(f) _Atomic uint64_t f;
    SRS_STATS_COUNTERS(SRS__AFIELD)
#undef SRS__AFIELD
} srs__atomic_stats_t;

_Static_assert(sizeof(srs__atomic_stats_t) == sizeof(srs_stats_t), "stats layouts differ");

/* Where a response goes: the transport, the listener it came in on, the
 * connection (TCP/TLS) and the peer. */
typedef struct {
    srs_transport_t tp;
    int listener;
    uint64_t conn_id;
    endpoint_t peer;
    endpoint_t local; /* the address the request came to */
} srs__dest_t;

/* ------------------------------ media ---------------------------------- */

typedef enum {
    SRS__SUITE_NONE = 0,
    SRS__AES_CM_128_HMAC_SHA1_80,
    SRS__AES_CM_128_HMAC_SHA1_32,
    SRS__AES_256_CM_HMAC_SHA1_80,
    SRS__AEAD_AES_128_GCM,
    SRS__AEAD_AES_256_GCM,
} srs__suite_t;

const char *srs__suite_name(srs__suite_t s);
srs__suite_t srs__suite_from(sv_t name);
size_t srs__suite_key_len(srs__suite_t s); /* master key + salt bytes */

typedef struct srs__stream srs__stream_t;

typedef struct {
    srs__stream_t *s;
    bool rtcp;
} srs__tag_t;

struct srs__stream {
    struct srs *srv;
    pthread_mutex_t lock;
    char *call_id; /* the session's, for the media hook */
    uint32_t index;
    int fd[2]; /* RTP, RTCP; -1 when not bound */
    uint16_t port;
    ip_addr_t local_ip; /* the answer's c= address: the packets' destination */
    int thread;
    srs__tag_t tag[2];
    /* the negotiation (SIP thread) */
    char label[64];
    char codec[24];
    uint8_t pt, te_pt; /* te_pt 0: no telephone-event */
    uint32_t clock;
    bool accepted, paused;
    uint32_t pauses;
    srs__suite_t suite;
    int crypto_tag;
    char local_key[SRS__KEY_B64]; /* base64 of our key (the answer's a=crypto) */
    /* under lock (media thread) */
    bool closed;
    srtp_t srtp_in;
    rtp_stats_t st;
    sq_t sq;
    bool have_stats;
    uint64_t packets, bytes, rtcp_packets, auth_failures, malformed;
    uint32_t ovfl[2]; /* SO_RXQ_OVFL, cumulative per socket */
    int64_t last_rx_mono;
    /* the grace list (SIP thread) */
    srs__stream_t *next_zombie;
    int64_t free_at;
};

/* ------------------------------ sessions -------------------------------- */

typedef enum { SRS__EARLY = 0, SRS__WAIT_ACK, SRS__CONFIRMED } srs__sess_state_t;

typedef struct srs__txn srs__txn_t;

typedef struct srs__session {
    struct srs__session *hnext, *prev, *next; /* hash chain, all-sessions list */
    uint64_t hash;
    char *call_id;
    char local_tag[SRS__TAG_LEN];
    char *remote_tag;
    srs__sess_state_t state;
    srs__dest_t dest;
    int64_t start_wall_ns;
    int64_t last_activity; /* mono */
    uint32_t remote_cseq;
    uint64_t sdp_version;
    /* the 2xx to an INVITE, retransmitted until its ACK */
    buf_t resp_2xx;
    uint32_t cseq_2xx;
    int64_t retrans_at, retrans_iv, give_up_at;
    /* siprec.answer_delay: the 200 waits in resp_2xx until answer_at */
    int64_t answer_at;
    srs__txn_t *invite_txn;
    uint32_t n_streams;
    srs__stream_t *streams[SDP_MAX_MEDIA];
    srs_metadata_t md;
    bool ended;
} srs__session_t;

/* ---------------------------- transactions ------------------------------ */

struct srs__txn {
    srs__txn_t *hnext, *prev, *next; /* hash chain, expiry order */
    uint64_t hash;
    char key[160]; /* branch | method class | Call-ID (cut) */
    bool invite;
    buf_t last; /* the last response sent (empty: none yet) */
    srs__dest_t dest;
    int64_t expires_at;
    /* a non-2xx final to an INVITE, retransmitted over UDP until ACK */
    int64_t retrans_at, retrans_iv;
    bool awaiting_ack;
    srs__session_t *sess; /* INVITE waiting for its answer (CANCEL target) */
};

/* ------------------------------ the server ------------------------------ */

typedef struct srs__conn srs__conn_t;
typedef struct srs__media_thread srs__media_thread_t;

struct srs {
    srs_config_t cfg;
    char *tls_cert, *tls_key, *tls_ca, *media_address; /* owned copies */
    srs__atomic_stats_t st;
    srs_session_fn on_session;
    void *on_session_user;
    srs_media_fn on_packet;
    void *on_packet_user;
    srs_sip_fn on_sip;
    void *on_sip_user;
    /* while a request is handled with on_sip set: the responses it caused,
     * each a srs__dest_t then its bytes, handed out after the request */
    bool tap_hold;
    buf_t tap_out;
    buf_t *capture; /* srs_process: responses go here instead of sockets */
    int64_t now;    /* mono clock of the current event */
    uint64_t seed;
    int64_t next_idle_check;

    /* sessions */
    uint32_t n_sessions, sess_buckets;
    srs__session_t **sess_hash;
    srs__session_t *sess_list;

    /* transactions */
    uint32_t n_txns, max_txns, txn_buckets;
    srs__txn_t **txn_hash;
    srs__txn_t *txn_head, *txn_tail; /* expiry order */

    /* ports: one bit per even pair in [rtp_port_min, rtp_port_max] */
    uint32_t n_pairs, next_pair;
    uint8_t *pair_used;
    srs__stream_t *zombies;

    /* transport (transport.c) */
    int epfd, wake_fd;
    int lfd[SRS_MAX_LISTEN];
    void *ssl_ctx; /* SSL_CTX * */
    srs__conn_t *conns;
    uint32_t n_conns;
    pthread_t sip_thread;
    atomic_bool running;
    bool started;
    uint32_t next_media_thread;
    uint32_t n_media;
    srs__media_thread_t *media;
};

/* uas.c: one SIP message in, responses out through srs__send. */
void srs__on_message(struct srs *s, const srs__dest_t *d, const uint8_t *msg, size_t len);
/* Timers: 2xx and non-2xx retransmissions, delayed answers, expiry, idle sessions. */
void srs__timers(struct srs *s);
/* Ends every session (state "shutdown"). */
void srs__end_all(struct srs *s);
void srs__uas_free(struct srs *s);
int srs__uas_init(struct srs *s, char *err, size_t errlen);

/* uas.c: a response just sent, for the SIP hook. */
void srs__sip_tap_sent(struct srs *s, const srs__dest_t *d, const char *data, size_t len);

/* transport.c */
void srs__send(struct srs *s, const srs__dest_t *d, const char *data, size_t len);
int srs__transport_start(struct srs *s, char *err, size_t errlen);
void srs__transport_stop(struct srs *s);
void srs__transport_free(struct srs *s);
/* A message over siprec.max_message: 413 from its header block. */
void srs__too_large(struct srs *s, const srs__dest_t *d, const uint8_t *hdr, size_t len);
bool srs__allowed(const struct srs *s, const ip_addr_t *ip);

/* offer.c: the multipart offer, the SDP answer */
typedef struct {
    bool has_sdp, has_metadata, metadata_request;
    sv_t sdp_body, metadata;
    sdp_t sdp;
} srs__offer_t;
/* 0, or the SIP status to refuse with and its reason phrase. */
int srs__offer_parse(const sip_msg_t *m, srs__offer_t *o, const char **reason);
/* Applies an offer to the session's streams (allocates ports, keys) and
 * writes the SDP answer.  0, or a SIP status with *reason. */
int srs__offer_answer(struct srs *s, srs__session_t *ss, const srs__offer_t *o,
                      const ip_addr_t *local, buf_t *answer, const char **reason);

/* media.c */
int srs__media_init(struct srs *s, char *err, size_t errlen);
int srs__media_start(struct srs *s, char *err, size_t errlen);
void srs__media_stop(struct srs *s);
void srs__media_free(struct srs *s);
/* Ports for n new streams as consecutive even pairs; true when found. */
srs__stream_t *srs__stream_new(struct srs *s, const char *call_id, uint32_t index);
bool srs__streams_bind(struct srs *s, srs__stream_t **st, uint32_t n);
/* Starts SRTP for a stream from the offer's key (base64 inline:...). */
bool srs__stream_srtp(srs__stream_t *st, srs__suite_t suite, sv_t key_b64);
void srs__stream_close(struct srs *s, srs__stream_t *st);
void srs__reap_zombies(struct srs *s, bool all);
/* Figures for the record, under the stream's lock. */
void srs__stream_figures(srs__stream_t *st, srs_stream_t *out);

/* record.c: an ended session to the listener */
void srs__session_emit(struct srs *s, srs__session_t *ss, const char *state);

/* base64 (RFC 4648) */
size_t srs__b64_encode(const uint8_t *in, size_t n, char *out, size_t outlen);
int srs__b64_decode(sv_t in, uint8_t *out, size_t outlen); /* bytes, or -1 */

#endif /* SIPHON_SIPREC_INTERNAL_H */
