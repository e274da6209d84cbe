/* correlator.h - rebuilds calls from SIP datagrams and attaches RTP/RTCP
 * streams to them.
 *
 * Input: datagram_t (core.h) in capture-time order.  Output: one
 * corr_call_t per call when it ends (BYE answered, failure final response,
 * idle timeout, or corr_flush at the end of input), and one corr_stream_t per
 * orphan RTP stream (media whose signalling was not seen).  A stream's RTP
 * statistics (rtp_stats_t) and voice quality (sq_t) come from quality.h,
 * which knows nothing of SIP.
 *
 * Inside (one concept per file):
 *  - dialog.c    calls keyed by Call-ID, RFC 3261 dialogs (From/To tags,
 *                forking), INVITE transactions, challenges, CANCEL, BYE,
 *                re-INVITE/UPDATE/PRACK; REGISTER/OPTIONS counted.
 *  - media.c     the SDP endpoint table: which (ip, port) belongs to which
 *                call, from every offer and answer.
 *  - orphan.c    nDPI classification of UDP flows nobody claimed.
 *  - events.c    lifecycle events for the sink (call started/answered,
 *                REGISTER transactions, closed quality intervals).
 *
 * Memory: every table has a cap (corr_config_t); on overflow the least
 * recently active entry is finished early (calls are emitted with state as
 * far as known) and counted.
 */
#ifndef SIPHON_CORRELATOR_H
#define SIPHON_CORRELATOR_H

#include "core.h"
#include "proto.h"
#include "quality.h"

/* ------------------------------------------------------------------------ */
/* Records                                                                   */
/* ------------------------------------------------------------------------ */

typedef enum {
    CORR_CALL_UNANSWERED = 0, /* no final response by end of input / timeout */
    CORR_CALL_ANSWERED,       /* 2xx to the INVITE */
    CORR_CALL_BUSY,           /* 486 or 600 */
    CORR_CALL_CANCELLED,      /* CANCEL / 487 before answer */
    CORR_CALL_REJECTED,       /* any other final >= 300 that ended the call */
} corr_call_state_t;

const char *corr_call_state_name(corr_call_state_t s); /* "answered", ... */

typedef enum { CORR_ENDED_BY_NONE = 0, CORR_ENDED_BY_CALLER, CORR_ENDED_BY_CALLEE } corr_ended_by_t;

#define CORR_STR_MAX 128 /* copied strings are cut to this many bytes */

/* --- RTCP as the far end reports it (rtcp_attach.c) --- */

/* RFC 3611 4.7 VoIP Metrics about one SSRC, converted: negative = absent
 * or unavailable (127 on the wire for R / MOS). */
typedef struct {
    double loss_rate_pct, discard_rate_pct;    /* x/256 -> % */
    double burst_density_pct, gap_density_pct; /* x/256 -> % */
    uint16_t burst_duration_ms, gap_duration_ms;
    uint16_t round_trip_ms, end_system_delay_ms;
    int8_t signal_level_dbm, noise_level_dbm; /* 127 = unavailable */
    uint8_t rerl_db, gmin;
    int16_t r_factor, ext_r_factor; /* -1 = unavailable */
    double mos_lq, mos_cq;          /* -1 = unavailable */
    uint8_t plc, jb_adaptive, jb_rate;
    uint16_t jb_nominal_ms, jb_max_ms, jb_abs_max_ms;
} corr_xr_voip_t;

/* RFC 3611 4.6 Statistics Summary about one SSRC (jitter in ms, < 0 when
 * the clock is unknown or the J flag is clear). */
typedef struct {
    uint16_t begin_seq, end_seq;
    int64_t lost_packets, dup_packets; /* -1 when the flag is clear */
    double min_jitter_ms, max_jitter_ms, mean_jitter_ms, dev_jitter_ms;
} corr_xr_stats_t;

#define CORR_CNAME_MAX 64

typedef struct {
    /* what the far end says about this stream (RFC 3550 report blocks whose
     * SSRC is this stream's), last values */
    uint32_t reports;         /* report blocks about this stream */
    double fraction_lost_pct; /* last block: fraction lost / 256 * 100 */
    int32_t cumulative_lost;
    uint32_t ext_highest_seq;
    double jitter_ms; /* last block's jitter / clock; < 0 unknown clock */
    /* round trip from LSR/DLSR (and XR RRT/DLRR), ms */
    uint32_t rtt_count;
    double rtt_last_ms, rtt_min_ms, rtt_max_ms, rtt_sum_ms;
    /* what this stream's source sent */
    uint32_t sender_reports; /* SRs with this SSRC as sender */
    uint32_t receiver_reports;
    uint32_t byes, app_packets, xr_packets;
    uint32_t sr_packet_count, sr_octet_count; /* last SR sender info */
    char cname[CORR_CNAME_MAX];               /* SDES CNAME, "" when none */
    /* XR about this stream (the last of each kind) */
    bool have_xr_voip, have_xr_stats;
    corr_xr_voip_t xr_voip;
    corr_xr_stats_t xr_stats;
} corr_rtcp_t;

/* --- DTMF (dtmf.c) --- */

typedef enum { CORR_DTMF_SRC_RFC4733 = 0, CORR_DTMF_SRC_INFO = 1 } corr_dtmf_source_t;

typedef struct {
    int64_t ts_ns;       /* first packet of the event / the INFO request */
    int32_t duration_ms; /* -1 when unknown */
    char digit;          /* '0'-'9', '*', '#', 'A'-'D', '!' (flash) */
    uint8_t event;       /* RFC 4733 event code */
    uint8_t source;      /* corr_dtmf_source_t */
    int8_t from_caller;  /* 1 caller, 0 callee, -1 unknown */
    bool ended;          /* an end packet was seen (RFC 4733) */
} corr_dtmf_t;

#define CORR_DTMF_MAX        64 /* events per call */
#define CORR_STREAM_DTMF_MAX 16 /* events per stream (orphans report them) */

/* A stream with fewer RTP packets than this (1 s of 20 ms packets) is not
 * scored (quality.scored false: mos, r_factor, mos_min unknown): a few
 * packets, an orphan's stray one or a call's last, tell nothing about how
 * it sounded.  Its statistics are reported as they are. */
#define CORR_MOS_MIN_PACKETS 50

typedef struct {
    /* the stream: its flow, SSRC and payload */
    endpoint_t src, dst;
    uint32_t ssrc;
    uint8_t payload_type;
    char codec[32]; /* "PCMU", "opus", ... ("" when unknown) */
    /* its call, or why it is an orphan */
    char call_id[CORR_STR_MAX]; /* "" for an orphan stream */
    bool from_caller;           /* direction relative to the call, when known */
    int media_index;            /* index of the m= line it belongs to, -1 unknown */
    int orphan_reason;          /* for orphans: nDPI protocol id that classified it */
    char orphan_proto[16];      /* "RTP", "RTCP", "SRTP"... from nDPI */
    /* RTP as received */
    rtp_stats_t stats;
    /* RTCP: datagrams on the stream's endpoints and their contents
     * (rtcp_attach.c) */
    uint64_t rtcp_packets;
    corr_rtcp_t rtcp;
    double rtcp_rtt_ms; /* mean RTCP round trip, ms; < 0 when unknown */
    /* RFC 4733 events seen on this stream (dtmf.c) */
    uint16_t dtmf_count, dtmf_dropped;
    corr_dtmf_t dtmf[CORR_STREAM_DTMF_MAX];
    /* voice quality (quality.h): E-model score, loss structure,
     * jitter-buffer discards, intervals (valid during the callback) */
    sq_result_t quality;
} corr_stream_t;

/* --- call-level problems (call_flags.c) --- */

typedef enum {
    CORR_CALL_FLAG_ONE_WAY_AUDIO = 0,
    CORR_CALL_FLAG_NO_RTP,
    CORR_CALL_FLAG_NAT_MISMATCH,
    CORR_CALL_FLAG_PT_NOT_NEGOTIATED,
    CORR_CALL_FLAG_TIMESTAMP_JUMP,
    CORR_CALL_FLAG_SSRC_CHANGE,
    CORR_CALL_FLAG_SILENCE,
    CORR_CALL_FLAG_MEDIA_AFTER_BYE,
    CORR_CALL_FLAG_T38_FAX,
    CORR_CALL_FLAG_COUNT
} corr_call_flag_kind_t;

/* "one_way_audio", "no_rtp", "nat_address_mismatch", ... */
const char *corr_call_flag_name(corr_call_flag_kind_t f);

/* One flag with its evidence; which fields mean something depends on the
 * flag (see call_flags.c and README.md). */
typedef struct {
    uint8_t flag;       /* corr_call_flag_kind_t */
    int8_t from_caller; /* direction concerned: 1 caller, 0 callee, -1 n/a */
    uint8_t payload_type;
    uint32_t ssrc;
    uint64_t count;       /* packets / events / periods */
    uint64_t other;       /* second figure (packets the other way, ssrcs...) */
    double ms;            /* duration / total ms */
    endpoint_t sdp, seen; /* nat_address_mismatch */
} corr_call_flag_t;

/* --- RFC 6035 vq-rtcpxr reports (vq_attach.c) --- */

/* One metrics section, NaN-free: negative = absent, except the signal
 * levels where absent is flagged by has_signal. */
typedef struct {
    bool present;
    double nlr_pct, jdr_pct;               /* PacketLoss */
    double bld_pct, gld_pct;               /* BurstGapLoss densities */
    double bd_ms, gd_ms;                   /* burst / gap durations */
    double rtd_ms, esd_ms, iaj_ms, maj_ms; /* Delay */
    double jbn_ms, jbm_ms, jbx_ms;         /* JitterBuffer */
    double rlq, rcq, moslq, moscq;         /* QualityEst */
    double pt;                             /* SessionDesc PT */
    char pd[16];                           /* SessionDesc PD (codec) */
} corr_vq_metrics_t;

#define CORR_VQ_ID_MAX 64

typedef struct {
    int64_t ts_ns; /* of the PUBLISH */
    uint8_t type;  /* vq_report_type_t: 1 session, 2 interval, 3 alert */
    bool call_term;
    char call_id[CORR_STR_MAX]; /* the reported call (CallID:) */
    char local_id[CORR_VQ_ID_MAX], remote_id[CORR_VQ_ID_MAX];
    endpoint_t local_addr, remote_addr;
    uint32_t local_ssrc, remote_ssrc;
    bool has_local_ssrc, has_remote_ssrc;
    endpoint_t publisher; /* where the PUBLISH came from */
    corr_vq_metrics_t local, remote;
    uint64_t body_hash; /* to drop the same report seen twice (retransmission, hops) */
} corr_vq_report_t;

#define CORR_VQ_MAX   4  /* reports kept per call */
#define CORR_FLAG_MAX 16 /* flags reported per call */

/* A call's identity across its records and events (corr_call_t.call_key,
 * corr_call_event_t.call_key, corr_sip_message_t.call_key): a hash of the
 * whole Call-ID and of the capture time of the message that created the
 * call, so two calls reusing one Call-ID hours apart have different keys,
 * and every thread count gives the same key.  Never 0 (0: no call). */
typedef struct {
    /* identity */
    char call_id[CORR_STR_MAX];
    uint64_t call_key;
    /* parties, from the initial INVITE and its answer */
    char from_uri[CORR_STR_MAX], to_uri[CORR_STR_MAX];
    char caller[CORR_STR_MAX], callee[CORR_STR_MAX]; /* user parts */
    char from_tag[CORR_STR_MAX], to_tag[CORR_STR_MAX];
    char user_agent[CORR_STR_MAX];
    /* signalling */
    endpoint_t src, dst; /* of the initial INVITE */
    transport_t transport;
    uint32_t sip_messages;
    uint32_t invites, reinvites, challenges, early_dialogs;
    uint32_t holds; /* SDP m= lines put on hold (sendonly/recvonly/
                       inactive or c=0.0.0.0) */
    /* outcome */
    corr_call_state_t state;
    int final_code;            /* 0 when none */
    char reason[CORR_STR_MAX]; /* Reason header or reason phrase of the final */
    corr_ended_by_t ended_by;
    bool open_at_end; /* still open when input ended */
    bool timed_out;
    bool evicted; /* emitted early because max_calls was reached */
    /* times, 0 = never.  invite_ts_ns and progress_ts_ns belong to the
     * INVITE transaction that decided the call (the retry after a 401/407,
     * or the only one): its request (0: not captured) and its first
     * provisional response other than 100 (0: none), for setup and
     * post-dial delay from the attempt that counted; start_ts_ns is the
     * first, perhaps challenged, INVITE. */
    int64_t start_ts_ns, answer_ts_ns, end_ts_ns, ringing_ts_ns;
    int64_t invite_ts_ns, progress_ts_ns;
    /* media */
    uint32_t stream_count;
    const corr_stream_t *streams; /* stream_count entries, valid during the callback */
    uint64_t rtcp_packets;        /* RTCP datagrams on the call's SDP endpoints */
    /* T.38 fax: an SDP of the call had an enabled m=image line (RFC 3362),
     * from the caller / the callee; both: the offer was accepted.  A fax
     * call is not scored for voice (mos < 0, see corr__stream_call_quality in
     * stream.c) and has the t38_fax flag. */
    bool t38_caller, t38_callee;
    /* voice quality, the worse direction (< 0: no scored stream) */
    double mos, mos_min;
    /* RFC 6035 reports whose CallID is this call */
    uint8_t vq_count;
    uint32_t vq_dropped; /* reports beyond CORR_VQ_MAX */
    corr_vq_report_t vq[CORR_VQ_MAX];
    /* DTMF in time order (RFC 4733 from every stream, SIP INFO) */
    uint16_t dtmf_count;
    uint32_t dtmf_dropped; /* events beyond CORR_DTMF_MAX */
    corr_dtmf_t dtmf[CORR_DTMF_MAX];
    /* problems found at emission (call_flags.c) */
    uint8_t flag_count;
    corr_call_flag_t flags[CORR_FLAG_MAX];
} corr_call_t;

/* --- lifecycle events (events.c): the correlator's event bus ---
 *
 * Besides the finished records above, a sink may ask for events as things
 * happen; every callback is optional (NULL: not wanted, nothing is done or
 * kept for it).  Pointers in an event are valid during the callback only.
 * Order for one call: call_started, call_answered (when it is), its streams'
 * quality_interval events, then on_call with the record. */

typedef enum {
    CORR_EV_CALL_STARTED = 0, /* first SIP message of a new call (its INVITE) */
    CORR_EV_CALL_ANSWERED,    /* first 2xx to the INVITE (or a BYE proving it) */
} corr_call_event_type_t;

typedef struct {
    corr_call_event_type_t type;
    int64_t ts_ns; /* of the message that caused the event */
    const char *call_id;
    uint64_t call_key;
    const char *from_uri, *to_uri; /* "" when unknown */
    const char *caller, *callee;   /* user parts */
    const char *user_agent;
    endpoint_t src, dst; /* of the initial INVITE */
    transport_t transport;
    int64_t start_ts_ns;
    /* answered only (0 otherwise / unknown) */
    int64_t ringing_ts_ns, answer_ts_ns;
    double answer_delay_ms; /* the answered INVITE to its 2xx; < 0 unknown */
    int final_code;         /* the 2xx (0: answer inferred from a BYE) */
    const char *to_tag;
} corr_call_event_t;

/* One REGISTER transaction (same Call-ID, challenge retries included) that
 * reached its final response, or never did. */
typedef struct {
    int64_t ts_ns;         /* final response, or when the wait ended */
    int64_t request_ts_ns; /* first REGISTER of the transaction; 0 unseen */
    const char *call_id;
    const char *aor;     /* To URI */
    const char *user;    /* To user part */
    const char *contact; /* first Contact URI ("" none; "*" for remove-all) */
    int64_t expires;     /* seconds granted (2xx Contact ;expires, else its
                            Expires header, else the request's); -1 unknown */
    int final_code;      /* 0: no final response */
    endpoint_t src, dst; /* of the REGISTER (client -> registrar) */
    transport_t transport;
    bool challenged;   /* a 401/407 was answered with a retry (or not) */
    uint32_t attempts; /* REGISTER requests with distinct CSeq */
    bool timed_out;    /* no final response within the wait */
} corr_registration_t;

/* A stream's quality interval (quality.h) that closed.  Intervals close on
 * the first packet past their end; the stream's last interval closes when
 * the stream ends (final, with the stream's final MOS).  The MOS of a live
 * interval uses the loss burstiness and delay known so far (no RTCP round
 * trip); an interval with no packet at all (silence) is not reported. */
typedef struct {
    int64_t ts_ns;       /* when it closed (packet time) */
    const char *call_id; /* NULL: orphan stream */
    endpoint_t src, dst;
    uint32_t ssrc;
    uint8_t payload_type;
    const char *codec;  /* "" unknown */
    int8_t from_caller; /* 1 caller, 0 callee, -1 unknown (orphan) */
    bool final;
    uint32_t index; /* interval number in the stream, from 0 */
    int64_t start_ns, end_ns;
    uint32_t packets, lost, discards;
    double jitter_ms; /* < 0 unknown */
    double mos;       /* < 0 not computable */
} corr_interval_event_t;

/* One SIP message, as the correlator took it: every message it was handed
 * (requests and responses, in calls or not, and those it could not parse),
 * in the order it was handed them.  The views point into the message's
 * bytes (data) and are empty when the message does not have that part. */
typedef enum {
    CORR_SIP_OK = 0,     /* parsed */
    CORR_SIP_INCOMPLETE, /* header block without end, or body shorter than
                            Content-Length: fields as far as found */
    CORR_SIP_INVALID,    /* not parsable: only the bytes and endpoints */
} corr_sip_parse_t;

const char *corr_sip_parse_name(corr_sip_parse_t p); /* "ok", "incomplete", "invalid" */

typedef struct {
    int64_t ts_ns; /* capture time */
    uint64_t frame_no;
    endpoint_t src, dst;
    transport_t transport;
    const uint8_t *data; /* the whole message */
    size_t len;
    corr_sip_parse_t parse;
    bool is_request;
    sv_t method;        /* requests: the method as written */
    int status_code;    /* responses: 100..699 (0 for requests) */
    sv_t reason_phrase; /* responses */
    sv_t call_id;
    uint32_t cseq;    /* CSeq number (0 when absent) */
    sv_t cseq_method; /* CSeq method */
    sv_t from_user, to_user;
    sv_t user_agent;   /* User-Agent, else Server */
    uint64_t call_key; /* the call it belongs to; 0: none (REGISTER,
                          OPTIONS, a message of no known call, ...) */
    /* The correlator's own parse of the message, header index included, so
     * a consumer that needs more than the fields above (Via branch,
     * Authorization, Contact) reads it instead of parsing the bytes again.
     * Valid only during the callback; NULL when parse is CORR_SIP_INVALID. */
    const sip_msg_t *parsed;
} corr_sip_message_t;

/* One packet the correlator took, with the call it belongs to, for the
 * packet store (record/): every SIP message (after its on_sip_message),
 * every RTP packet of a known stream (a call's, or an orphan stream's
 * after its first packet) and every RTCP datagram.  The datagram names the
 * frame it came from (dg->frame; NULL when the source gave none or the
 * pipeline was not asked to carry frames).  Valid during the callback. */
typedef enum {
    CORR_PKT_SIP = 0,
    CORR_PKT_RTP,
    CORR_PKT_RTCP,
} corr_packet_kind_t;

typedef struct {
    corr_packet_kind_t kind;
    uint64_t call_key; /* the call it belongs to; 0: none (orphan media,
                          SIP outside calls) */
    sv_t call_id;      /* SIP: the message's Call-ID; media: its call's
                          Call-ID (as the call record has it: cut at
                          CORR_STR_MAX - 1); empty when call_key is 0 */
    const datagram_t *dg;
    uint32_t rtp_header_len;       /* RTP: header bytes (CSRCs, extension) */
    const corr_sip_message_t *sip; /* SIP: the message, as on_sip_message */
} corr_packet_t;

typedef struct {
    void *user; /* handed to every callback */
    /* records, when a call or an orphan stream ends */
    void (*on_call)(void *user, const corr_call_t *call);
    void (*on_orphan_stream)(void *user, const corr_stream_t *stream);
    /* an RFC 6035 report whose call is unknown or already emitted (may be
     * NULL: the report is only counted) */
    void (*on_vq_report)(void *user, const corr_vq_report_t *report);
    /* lifecycle events (see above; NULL: not wanted) */
    void (*on_call_event)(void *user, const corr_call_event_t *ev);
    void (*on_registration)(void *user, const corr_registration_t *r);
    void (*on_quality_interval)(void *user, const corr_interval_event_t *ev);
    /* Every SIP message (corr_sip_message_t; NULL: nothing is built),
     * after the call events it caused. */
    void (*on_sip_message)(void *user, const corr_sip_message_t *msg);
    /* Packet time at every expiry point, after what expired there was
     * emitted: the same times on every shard, in time order (the
     * correlator's clock never goes backwards, see corr_clock_t). */
    void (*on_clock)(void *user, int64_t now_ns);
    /* Every SIP, RTP and RTCP packet with its call (corr_packet_t; NULL:
     * nothing is built, the per-packet path only tests the pointer). */
    void (*on_packet)(void *user, const corr_packet_t *pkt);
} corr_sink_t;

/* ------------------------------------------------------------------------ */
/* The correlator                                                            */
/* ------------------------------------------------------------------------ */

typedef struct {
    /* caps: every table is sized once in corr_new */
    uint32_t max_calls;   /* concurrent calls tracked */
    uint32_t max_streams; /* concurrent RTP streams tracked */
    uint32_t max_streams_per_call;
    uint32_t max_media_endpoints; /* SDP endpoints in the media table */
    uint32_t max_orphan_flows;    /* unattributed UDP flows being classified */
    /* shared pools; 0 = the default in brackets */
    uint32_t max_dtmf_events;   /* DTMF events (RFC 4733 and INFO) kept for all
                                   live calls and streams [65536] */
    uint32_t max_registrations; /* REGISTER transactions awaiting their final
                                   response (the summary's registrations) [8192] */
    uint32_t max_vq_reports;    /* RFC 6035 reports kept on live calls [4096] */
    uint32_t max_rtcp_streams;  /* streams with RTCP contents (corr_rtcp_t) [65536] */
    /* expiry */
    int64_t call_idle_timeout_ns;   /* no SIP or RTP for this long: call ends */
    int64_t call_linger_ns;         /* keep a finished call this long for late
                                       messages/RTP (e.g. BYE's 200, ACK) */
    int64_t orphan_idle_timeout_ns; /* an orphan stream silent this long is emitted */
    bool external_expiry;           /* expiry only through corr_expire (a shard: its
                                       driver replays the expiry points one
                                       correlator would have chosen, see pipeline/) */
    /* analysis */
    bool classify_orphans; /* use nDPI on unattributed UDP */
    sq_config_t quality;   /* jitter buffers, intervals (quality.h) */
} corr_config_t;

void corr_config_default(corr_config_t *c);

/* The correlator's counters, one X(name) each: the struct below and every
 * writer of the summary (JSON "correlate" object, text summary, stats
 * lines) expand this one list, so a counter cannot be kept and not shown.
 * A counter is named for what it counts; the summary uses the same name. */
#define CORR_STATS_COUNTERS(X)                                                                     \
    /* SIP */                                                                                      \
    X(sip_messages) /* SIP messages parsed (requests + responses) */                               \
    X(sip_requests)                                                                                \
    X(sip_responses)                                                                               \
    X(sip_invalid)    /* rejected by the parser */                                                 \
    X(sip_incomplete) /* cut short (counted, kept when a Call-ID was found) */                     \
    /* calls */                                                                                    \
    X(calls)            /* calls created (each is written once) */                                 \
    X(calls_evicted)    /* written early: max_calls full */                                        \
    X(calls_timed_out)  /* ended by call_idle_timeout */                                           \
    X(call_strings_cut) /* string pool full: call strings cut short,                               \
                           or a fork's To tag not kept */                                          \
    /* transactions outside calls */                                                               \
    X(register_requests)  /* REGISTER requests outside calls (messages, not registrations) */      \
    X(options)            /* OPTIONS requests outside calls */                                     \
    X(other_transactions) /* MESSAGE, SUBSCRIBE, NOTIFY, ... outside calls */                      \
    X(registrations)      /* REGISTER transactions (retries after 401/407 included) */             \
    X(registrations_challenged) /* ... of which challenged */                                      \
    X(registrations_timed_out)  /* ... with no final response in time */                           \
    X(registrations_evicted)    /* ... ended early: max_registrations full */                      \
    /* RTP and streams */                                                                          \
    X(rtp_packets)                                                                                 \
    X(rtp_invalid)            /* on an SDP endpoint, but not RTP */                                \
    X(rtp_dropped_stream_cap) /* RTP packets of SSRCs beyond max_streams_per_call */               \
    X(streams_tracked)        /* stream entries created (written or not) */                        \
    X(call_streams)           /* streams written in call records */                                \
    X(orphan_streams)         /* orphan stream records written */                                  \
    X(streams_unwritten)      /* entries released without a record: evicted call streams,          \
                                 flows nDPI found not media, undecided ones */                     \
    X(streams_evicted)        /* entries evicted: max_streams full (orphans are written first) */  \
    X(media_endpoints_evicted)                                                                     \
    X(media_desc_exhausted) /* SDP payload types not kept: descriptors full */                     \
    /* UDP nobody claimed */                                                                       \
    X(udp_unclaimed)      /* datagrams neither SIP nor media */                                    \
    X(orphan_flows)       /* flows classified */                                                   \
    X(orphan_flows_media) /* ... found RTP-like */                                                 \
    X(orphan_flows_evicted)                                                                        \
    /* RTCP */                                                                                     \
    X(rtcp_packets)                                                                                \
    X(rtcp_orphan)  /* RTCP datagrams on no SDP endpoint */                                        \
    X(rtcp_invalid) /* RTCP datagrams rtcp_parse_compound rejected */                              \
    X(rtcp_report_blocks)                                                                          \
    X(rtcp_blocks_unmatched) /* no stream with that SSRC */                                        \
    X(rtcp_pool_exhausted)   /* RTCP not kept: max_rtcp_streams full */                            \
    /* RFC 6035 reports */                                                                         \
    X(vq_reports)                                                                                  \
    X(vq_attached)                                                                                 \
    X(vq_unattached)                                                                               \
    X(vq_invalid)                                                                                  \
    X(vq_pool_exhausted) /* reports not kept: max_vq_reports full */                               \
    /* DTMF */                                                                                     \
    X(dtmf_events)                                                                                 \
    X(dtmf_info)                                                                                   \
    X(dtmf_pool_exhausted) /* events dropped: max_dtmf_events full */

/* uint64_t counters only: pipeline/ sums the shards' copies as an array. */
typedef struct {
#define CORR_STATS_FIELD(name) uint64_t name;
    CORR_STATS_COUNTERS(CORR_STATS_FIELD)
#undef CORR_STATS_FIELD
    uint64_t sip_by_method[16]; /* indexed by sip_method_t */
} corr_stats_t;

#define CORR_STATS_ONE(name) +1
enum { CORR_STATS_N = 0 CORR_STATS_COUNTERS(CORR_STATS_ONE) };
#undef CORR_STATS_ONE
_Static_assert(sizeof(corr_stats_t) == (CORR_STATS_N + 16) * sizeof(uint64_t),
               "corr_stats_t: every counter is in CORR_STATS_COUNTERS");

typedef struct corr corr_t;

corr_t *corr_new(const corr_config_t *cfg, const corr_sink_t *sink);
void corr_free(corr_t *c);

/* When the correlator runs its expiry by itself: at the first datagram, then
 * at the first datagram 100 ms of packet time after the previous run.  A
 * shard's driver (external_expiry) calls corr_expire at exactly these
 * points of the whole datagram sequence, so N shards expire calls when one
 * correlator would have. */
typedef struct {
    int64_t next_ns;
} corr_clock_t;
/* True (and the clock moves on) when a datagram at ts_ns is an expiry point. */
bool corr_clock_due(corr_clock_t *k, int64_t ts_ns);

/* Feeds one datagram (SIP message or UDP payload). */
void corr_on_datagram(corr_t *c, const datagram_t *dg);

/* Look-ahead (prefetch.c): the driver calls corr_prefetch once for every
 * datagram it is about to feed, CORR_LOOKAHEAD_DIST or more datagrams before
 * feeding it (dg NULL when that frame gives none, to keep the count), with
 * a corr_lookahead_t of its own (zeroed).  It starts loading the index slot
 * of an RTP datagram's stream now, and the stream entry found through it
 * CORR_LOOKAHEAD calls later, so both are in the cache when the datagram
 * arrives.  It reads the correlator without changing it: results never
 * depend on it. */
#define CORR_LOOKAHEAD      8
#define CORR_LOOKAHEAD_DIST (2 * CORR_LOOKAHEAD)
typedef struct {
    uint64_t h[CORR_LOOKAHEAD];
    bool valid[CORR_LOOKAHEAD];
    uint32_t pos;
    uint64_t found;       /* stream entries found and prefetched */
    uint32_t min_streams; /* look ahead only past this many live streams */
} corr_lookahead_t;
#define CORR_LOOKAHEAD_MIN_STREAMS 4096 /* the drivers' min_streams */
void corr_prefetch(const corr_t *c, corr_lookahead_t *la, const datagram_t *dg);
/* Ends calls idle since before now_ns - timeout (call as time advances).
 * The correlator's clock is the largest packet time it was given (by a
 * datagram, corr_expire or corr_advance): a smaller now_ns expires at the
 * clock instead, time never goes backwards. */
void corr_expire(corr_t *c, int64_t now_ns);
/* A shard's driver, before each datagram: the clock of the whole datagram
 * sequence (the largest packet time so far, whichever shard had it), so
 * every shard times activity as one correlator would. */
void corr_advance(corr_t *c, int64_t clock_ns);
/* End of input: emits every call still open (open_at_end = true) and every
 * orphan stream. */
void corr_flush(corr_t *c);
const corr_stats_t *corr_stats(const corr_t *c);

/* ------------------------------------------------------------------------ */
/* Shards: which correlator owns a datagram (router.c)                       */
/* ------------------------------------------------------------------------ */

/* Several correlators ("shards") may share the work, each owning disjoint
 * calls.  corr_route names the shard that must see a datagram: SIP by
 * Call-ID, media by the shard whose SDP named its endpoint, anything else
 * by a symmetric flow hash.  One router is shared by every capture thread;
 * each thread routes through its own context.  Datagrams routed by one
 * thread to one shard keep their order. */
typedef struct corr_router corr_router_t;
typedef struct corr_route_ctx corr_route_ctx_t;

typedef struct {
    uint64_t sip;                /* SIP messages routed by Call-ID */
    uint64_t media_by_sdp;       /* media routed by an SDP endpoint */
    uint64_t by_flow;            /* everything routed by the flow hash */
    uint64_t endpoints_learnt;   /* RTP endpoints written from SDP */
    uint64_t endpoints_replaced; /* a full bucket lost an older endpoint */
} corr_route_stats_t;

/* shards: 1..255; endpoints: SDP endpoints to remember (the table holds
 * twice that many). */
corr_router_t *corr_router_new(uint32_t shards, uint32_t endpoints);
void corr_router_free(corr_router_t *r);
corr_route_ctx_t *corr_route_ctx_new(corr_router_t *r);
void corr_route_ctx_free(corr_route_ctx_t *x);
uint32_t corr_route(corr_route_ctx_t *x, const datagram_t *dg);
const corr_route_stats_t *corr_route_ctx_stats(const corr_route_ctx_t *x);
/* True when the last corr_route sent media by the flow hash because no SDP
 * named either endpoint (yet: with several capture threads, the SDP may be
 * on its way through another one; pipeline.c holds such packets back). */
bool corr_route_unnamed_media(const corr_route_ctx_t *x);
/* The SIP parse the last corr_route made (a SIP message, parsed or found
 * invalid), for the shard that takes the datagram: its size in bytes, 0
 * when it made none; corr_route_parse_write writes it (size bytes, any
 * alignment).  Read it before routing anything else with x. */
size_t corr_route_parse_size(const corr_route_ctx_t *x);
void corr_route_parse_write(const corr_route_ctx_t *x, void *out);
/* corr_on_datagram for a datagram whose parse corr_route made (parse, len:
 * what corr_route_parse_write wrote; NULL/0: none): the SIP message is not
 * parsed again. */
void corr_on_datagram_parsed(corr_t *c, const datagram_t *dg, const void *parse, size_t len);
/* Changes whenever a route is learnt from an SDP (any thread). */
uint64_t corr_router_generation(const corr_router_t *r);

#endif /* SIPHON_CORRELATOR_H */
