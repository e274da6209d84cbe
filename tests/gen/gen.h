/* gen.h - internal interface of siphon-gen, the synthetic SIP/RTP capture
 * generator used by the end-to-end tests and the benchmarks.
 *
 * The generator is split by concept:
 *  - gen.c       command line, then drives the run
 *  - gen_call.c  call planning (outcome, timeline, addresses, messages)
 *  - gen_sched.c the scheduler that merges every call's packets in time
 *                order and writes them
 *  - gen_sip.c   SIP message text (RFC 3261) and SDP (RFC 4566)
 *  - gen_rtp.c   RTP packet schedules with impairments, and the receiver-side
 *                statistics the truth file reports for them
 *  - gen_pcap.c  frame building (Ethernet, IPv4/IPv6, UDP, TCP,
 *                encapsulations, fragmentation) and the pcap writer
 *  - gen_truth.c the truth file (NDJSON, one object per call or orphan stream)
 *  - gen_audio.c --audio: real encoded tones, SRTP, holds and their truth
 *
 * Times are integers in microseconds since the Unix epoch: that is the pcap
 * resolution, so every time the truth file states is exactly what a reader
 * of the capture sees.  Everything random comes from a per-call splitmix64
 * state derived from --seed and the call index, so a run is reproducible and
 * a call does not change when other options change the number of calls.
 */
#ifndef SIPHON_GEN_H
#define SIPHON_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core.h"

/* ------------------------------------------------------------------------ */
/* Options                                                                   */
/* ------------------------------------------------------------------------ */

typedef enum {
    CODEC_PCMU = 0,
    CODEC_PCMA,
    CODEC_G729,
    CODEC_G722,
    CODEC_OPUS, /* with --audio: real payloads (gen_audio.c) */
    CODEC_G726, /* G726-32 */
    CODEC_GSM,
} gen_codec_t;

typedef enum {
    ENCAP_NONE = 0,
    ENCAP_VLAN,
    ENCAP_QINQ,
    ENCAP_MPLS,
    ENCAP_GRE,
    ENCAP_IPIP,
    ENCAP_VXLAN,
    ENCAP_ERSPAN2,
    ENCAP_ERSPAN3,
} gen_encap_t;

typedef struct {
    const char *out_path;
    const char *truth_path;
    uint64_t seed;
    uint32_t calls;
    uint32_t concurrency;
    double duration_s; /* media of each answered call */
    gen_codec_t codec;
    uint32_t ptime_ms;
    double loss_pct;      /* random loss per direction */
    bool burst;           /* Gilbert-Elliott loss instead of random */
    double burst_p_pct;   /* P(good -> bad) */
    double burst_r_pct;   /* P(bad -> good) */
    double jitter_ms;     /* max random extra delay per packet */
    double drift_ppm;     /* RTP senders' clocks run this fast (< 0: slow) */
    double reorder_pct;   /* adjacent swaps */
    double duplicate_pct; /* copies */
    int32_t seq_start;    /* -1: random */
    bool ssrc_change;
    bool reinvite;
    bool fork;
    double fail_busy_pct, fail_cancel_pct, fail_reject_pct, fail_noanswer_pct;
    double challenge_pct;
    bool tcp;
    bool fragment;
    bool ipv6;
    gen_encap_t encap;
    uint16_t sip_port;
    uint32_t orphans;
    int64_t start_us; /* time of the first call */
    bool quiet;
    /* real audio (gen_audio.c) */
    bool audio;                      /* tones encoded with the codec's real encoder */
    int srtp;                        /* 0: RTP; else 1 + index of the SRTP suite */
    bool srtp_bad_key;               /* the SDP's keys differ from the ones used */
    double hold_start_s, hold_len_s; /* media pause of both directions */
} gen_opts_t;

/* ------------------------------------------------------------------------ */
/* Random numbers (splitmix64)                                               */
/* ------------------------------------------------------------------------ */

static inline uint64_t gen_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
/* Uniform integer in [lo, hi]. */
static inline int64_t gen_range(uint64_t *s, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(gen_rand(s) % (uint64_t)(hi - lo + 1));
}
/* True with probability pct percent. */
static inline bool gen_chance(uint64_t *s, double pct)
{
    if (pct <= 0) return false;
    return (double)(gen_rand(s) >> 11) * (1.0 / 9007199254740992.0) * 100.0 < pct;
}

/* ------------------------------------------------------------------------ */
/* RTP schedules (gen_rtp.c)                                                 */
/* ------------------------------------------------------------------------ */

enum {
    RTP_F_MARKER = 1,
    RTP_F_NEWPORT = 2, /* sent after the re-INVITE moved the caller's port */
    RTP_F_SSRC2 = 4,   /* sent with the second SSRC (--ssrc-change) */
    RTP_F_DUP = 8,     /* an injected duplicate */
};

typedef struct {
    int64_t t; /* arrival time, us */
    uint32_t ts;
    uint16_t seq;
    uint8_t flags;
    uint8_t pad;
} gen_rtp_pkt_t;

typedef struct {
    int64_t t0;        /* send time of the first packet */
    uint32_t npackets; /* packets sent (before loss/duplication) */
    uint32_t ssrc, ssrc2;
    uint16_t seq0, seq2;
    uint32_t ts0, ts2;
    bool change_ssrc;    /* switch to ssrc2/seq2/ts2 halfway */
    int64_t switch_time; /* packets sent at or after it get RTP_F_NEWPORT */
} gen_rtp_params_t;

typedef struct {
    gen_codec_t codec;
    uint8_t payload_type;
    const char *name; /* as in a=rtpmap and in siphon's output */
    uint32_t clock_rate;
    uint32_t samples_per_ms;   /* RTP timestamp units per ms */
    uint32_t payload_bytes_ms; /* payload bytes per ms of audio, x10 */
} gen_codec_info_t;

const gen_codec_info_t *gen_codec_info(gen_codec_t c);
/* Real time after a stream's first send at which packet k leaves: k
 * ptimes of the sender's clock, which runs --drift-ppm fast (us). */
int64_t gen_send_offset(const gen_opts_t *o, uint32_t k, int64_t ptime_us);
uint32_t gen_payload_len(const gen_opts_t *o);

/* Builds one direction's packets in arrival order with the impairments of
 * the options applied.  Returns a malloc'd array (caller frees) and sets
 * *n.  Never NULL (aborts on allocation failure). */
gen_rtp_pkt_t *gen_rtp_schedule(const gen_opts_t *o, uint64_t *rng, const gen_rtp_params_t *p,
                                uint32_t *n);

/* Receiver-side statistics of one stream (one src/dst/SSRC), as siphon and
 * RFC 3550 A.1/A.3 count them with base_seq at the first packet received. */
typedef struct {
    uint32_t ssrc;
    bool newport;
    uint64_t packets, duplicates;
    int64_t lost;           /* RFC 3550: expected - received */
    int64_t lost_wireshark; /* last extended seq - first + 1 - packets */
    int64_t first_t, last_t;
    /* running state */
    int64_t first_ext, max_ext, last_ext;
    int64_t cycles;
    uint16_t max_seq;
} gen_stream_stats_t;

/* Computes stats for every (NEWPORT, SSRC) group of one direction's array,
 * in order of first appearance.  Returns the number of groups (<= 4). */
int gen_rtp_stats(const gen_rtp_pkt_t *p, uint32_t n, uint32_t ssrc, uint32_t ssrc2,
                  gen_stream_stats_t out[4]);

/* ------------------------------------------------------------------------ */
/* Calls (gen_call.c)                                                        */
/* ------------------------------------------------------------------------ */

typedef enum {
    OUT_ANSWERED = 0,
    OUT_BUSY,
    OUT_CANCELLED,
    OUT_REJECTED,
    OUT_UNANSWERED,
    OUT_ORPHAN, /* not a call: one RTP stream without signalling */
} gen_outcome_t;

const char *gen_outcome_name(gen_outcome_t o);

enum {
    SIPM_COALESCE = 1, /* TCP: sent in one segment with the next message */
    SIPM_SPLIT = 2,    /* TCP: split over several segments */
    SIPM_SYN = 4,      /* TCP control segments (no text) */
    SIPM_SYNACK = 8,
    SIPM_ACK = 16,
};

typedef struct {
    int64_t t;
    uint32_t off, len; /* text in gen_call_t.text */
    bool from_caller;
    uint8_t flags;
} gen_sip_msg_t;

typedef struct gen_call {
    uint32_t index;
    uint64_t rng;
    gen_outcome_t outcome;
    int final_code;
    bool challenge, fork, reinvite, ended_by_caller;

    char call_id[80];
    char caller[24], callee[24];
    char from_tag[20], to_tag[20], to_tag2[20], tag401[20];
    char from_uri[64], to_uri[64];

    ip_addr_t caller_ip, callee_ip;
    uint16_t caller_sip_port; /* the INVITE's source port (ephemeral on TCP) */
    uint16_t callee_sip_port;
    uint16_t caller_rtp, caller_rtp2, callee_rtp;

    int64_t t_start, t_answer, t_end; /* 0: none */

    buf_t text;
    gen_sip_msg_t *msgs;
    uint32_t nmsgs, cap_msgs;
    uint32_t tcp_seq[2]; /* next sequence number: [0] caller, [1] callee */

    gen_rtp_params_t rtp_params[2]; /* [0] caller -> callee, [1] reverse */
    gen_rtp_pkt_t *rtp[2];
    uint32_t nrtp[2];
    gen_stream_stats_t stats[2][4];
    int nstats[2];

    int live;                   /* sources still emitting */
    struct gen_audio *audio[2]; /* --audio: encoded packets per direction */
} gen_call_t;

/* Plans call `index` (or orphan stream when index >= o->calls) starting at
 * t_start: outcome, addresses, SIP messages and RTP schedules. */
void gen_call_plan(gen_call_t *c, const gen_opts_t *o, uint32_t index, int64_t t_start);
void gen_call_free(gen_call_t *c);

/* Runs the whole generation: returns 0 on success. */
int gen_run(const gen_opts_t *o);

/* ------------------------------------------------------------------------ */
/* SIP text (gen_sip.c)                                                      */
/* ------------------------------------------------------------------------ */

typedef struct {
    bool request;
    const char *method; /* request method, or the CSeq method of a response */
    int code;           /* responses */
    bool by_caller;     /* who sent the request (that a response answers) */
    uint32_t cseq;
    const char *branch;
    const char *to_tag; /* the callee side's tag, or NULL */
    int sdp;            /* 0 none, 1 caller's offer, 2 callee's answer */
    uint32_t sdp_version;
    bool new_port; /* caller's SDP offers caller_rtp2 */
    bool challenge, credentials;
    bool padding; /* a large X-Padding header (--fragment) */
} gen_sip_spec_t;

const char *gen_reason_phrase(int code);
/* Appends the message text to c->text and a message at time t to c->msgs.
 * from_caller: who sends this message. */
void gen_sip_add(gen_call_t *c, const gen_opts_t *o, int64_t t, const gen_sip_spec_t *s);
/* Random token of n hex digits (n < size). */
void gen_token(uint64_t *rng, char *out, size_t n);

/* ------------------------------------------------------------------------ */
/* Frames and the pcap writer (gen_pcap.c)                                   */
/* ------------------------------------------------------------------------ */

typedef struct gen_pcap gen_pcap_t;

gen_pcap_t *gen_pcap_open(const char *path, const gen_opts_t *o);
/* A UDP datagram; fragmented when it exceeds the MTU and fragmentation is
 * enabled (reverse: emit the fragments last first). */
void gen_pcap_udp(gen_pcap_t *w, int64_t t, const ip_addr_t *src, uint16_t sport,
                  const ip_addr_t *dst, uint16_t dport, const uint8_t *data, size_t len,
                  bool reverse);
/* An RTP packet: header from the fields, payload of the codec's size. */
void gen_pcap_rtp(gen_pcap_t *w, int64_t t, const ip_addr_t *src, uint16_t sport,
                  const ip_addr_t *dst, uint16_t dport, uint8_t pt, bool marker, uint16_t seq,
                  uint32_t ts, uint32_t ssrc, uint32_t payload_len);
enum { TCPF_FIN = 1, TCPF_SYN = 2, TCPF_RST = 4, TCPF_PSH = 8, TCPF_ACK = 16 };
void gen_pcap_tcp(gen_pcap_t *w, int64_t t, const ip_addr_t *src, uint16_t sport,
                  const ip_addr_t *dst, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                  const uint8_t *data, size_t len);
uint64_t gen_pcap_frames(const gen_pcap_t *w);
/* Flushes and closes; returns 0 or -1 on a write error. */
int gen_pcap_close(gen_pcap_t *w);

/* ------------------------------------------------------------------------ */
/* Truth file (gen_truth.c)                                                  */
/* ------------------------------------------------------------------------ */

typedef struct {
    FILE *f;
    buf_t buf;
    uint64_t calls, by_outcome[6], streams, rtp_packets, sip_messages;
    uint64_t lost, duplicates;
} gen_truth_t;

int gen_truth_open(gen_truth_t *t, const char *path);
void gen_truth_call(gen_truth_t *t, const gen_opts_t *o, const gen_call_t *c);
int gen_truth_close(gen_truth_t *t, const gen_opts_t *o, uint64_t frames);

/* ------------------------------------------------------------------------ */
/* Real audio, SRTP and holds (gen_audio.c)                                  */
/* ------------------------------------------------------------------------ */

typedef struct gen_audio gen_audio_t;

/* 1 + the index of an SRTP suite name, 0 when unknown. */
int gen_audio_suite(const char *name);
/* After direction d's schedule: applies --hold, encodes every packet. */
void gen_audio_plan(gen_call_t *c, const gen_opts_t *o, int d);
/* Writes schedule packet idx of direction d. */
void gen_audio_emit(gen_pcap_t *w, const gen_opts_t *o, const gen_call_t *c, int d, uint32_t idx);
void gen_audio_free(gen_call_t *c);
/* The a=crypto line of a side's SDP (second: the re-INVITE's); 0 bytes
 * without --srtp. */
size_t gen_audio_sdp(const gen_opts_t *o, const gen_call_t *c, bool caller, bool second, char *out,
                     size_t n);
/* The "audio" member of a call's truth object. */
void gen_audio_truth(json_writer_t *j, const gen_opts_t *o, const gen_call_t *c);

#endif /* SIPHON_GEN_H */
