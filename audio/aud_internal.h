/* aud_internal.h - the renderer's internal types, shared by its files:
 * codec.c (decoders), srtp.c (SDES keys, libsrtp2), stream.c (reorder
 * window and timeline), call.c (frames, SIP/SDP, which packet is whose),
 * writer.c (mixing and the file). */
#ifndef SIPHON_AUD_INTERNAL_H
#define SIPHON_AUD_INTERNAL_H

#include "audio.h"

#include <srtp2/srtp.h>

#define AUD__MAX_PAYLOAD 1500 /* RTP bytes kept per packet */
#define AUD__MAX_EP      16   /* receive endpoints per side */
#define AUD__MAX_PT      32   /* payload-type map entries per side */
#define AUD__MAX_KEYS    8    /* SRTP keys per side */
#define AUD__MAX_SSRCS   8    /* streams named by aud_add_ssrc per side */
#define AUD__MAX_SAMPLES 5760 /* decoded samples of one packet (120 ms at 48 kHz) */

/* ------------------------------------------------------------------------ */
/* Codecs (codec.c)                                                          */
/* ------------------------------------------------------------------------ */

typedef enum {
    AUD__C_UNKNOWN = 0,
    AUD__C_PCMU,
    AUD__C_PCMA,
    AUD__C_G722,
    AUD__C_G729,
    AUD__C_GSM,
    AUD__C_G726,
    AUD__C_OPUS,
    AUD__C_DTMF, /* telephone-event: not audio */
    AUD__C_CN,   /* comfort noise: silence */
} aud__codec_id_t;

typedef struct {
    aud__codec_id_t id;
    uint8_t g726_bits; /* 2..5 bits per sample (G726-16..40) */
    bool g726_aal2;    /* AAL2-G726-*: codewords from the most significant bits */
    uint32_t clock;    /* RTP clock */
    uint32_t rate;     /* decoded sample rate */
    char name[24];
} aud__codec_t;

/* Names an encoding (a=rtpmap name, case-insensitive) with its clock. */
void aud__codec_from_name(const char *name, size_t len, uint32_t clock, aud__codec_t *out);

typedef struct aud__dec aud__dec_t;

/* A decoder for c whose output rate is rate (c->rate, or for Opus any of
 * 8/16/48 kHz).  NULL when the library refuses. */
aud__dec_t *aud__dec_new(const aud__codec_t *c, uint32_t rate);
void aud__dec_free(aud__dec_t *d);
/* Decodes one packet's payload into out (at most AUD__MAX_SAMPLES);
 * returns the number of samples, -1 when the payload is malformed.  *sid
 * is set for a G.729 Annex B SID frame (comfort noise, not rendered). */
int aud__dec_decode(aud__dec_t *d, const uint8_t *p, size_t n, int16_t *out, bool *sid);
/* Concealment of one lost packet of samples samples (Opus only); -1 when
 * the codec has none. */
int aud__dec_conceal(aud__dec_t *d, int samples, int16_t *out);

/* ------------------------------------------------------------------------ */
/* SRTP (srtp.c)                                                             */
/* ------------------------------------------------------------------------ */

typedef struct {
    srtp_t ctx;
    uint8_t key[64];
    uint8_t key_len;
    uint8_t suite;
} aud__key_t;

/* Parses an a=crypto value ("1 AES_CM_128_HMAC_SHA1_80 inline:KEY|2^20")
 * into k (its context created).  false: unknown suite, bad key, MKI. */
bool aud__key_from_crypto(sv_t value, aud__key_t *k);
bool aud__key_make(const char *suite, size_t suite_len, sv_t key_b64, aud__key_t *k);
void aud__key_free(aud__key_t *k);
/* Decodes base64 (RFC 4648, padding optional); -1 on a bad character or
 * when out is too small. */
int aud__base64(sv_t in, uint8_t *out, size_t cap);
bool aud__srtp_init(char *err, size_t errlen);

/* ------------------------------------------------------------------------ */
/* Streams (stream.c)                                                        */
/* ------------------------------------------------------------------------ */

typedef struct {
    int64_t ts_ns;
    uint64_t ext_seq;
    uint32_t rtp_ts;
    uint8_t pt;
    bool marker;
    uint16_t len;
    uint8_t data[AUD__MAX_PAYLOAD];
} aud__pkt_t;

/* A packet in sequence order, waiting for aud__stream_decode; its payload
 * at off in the stream's bytes. */
typedef struct {
    int64_t ts_ns;
    uint64_t ext_seq;
    uint32_t rtp_ts;
    uint32_t off;
    uint16_t len;
    uint8_t pt;
} aud__logent_t;

/* The packet log's cap per second of max_seconds: 200 packets (5 ms
 * packets) and 16,000 payload bytes (twice G.711's rate). */
#define AUD__MAX_PPS 200
#define AUD__MAX_BPS 16000

typedef struct aud__stream {
    aud_stream_info_t info;
    uint32_t key; /* stream id: SSRC, or the aud_feed_rtp id */
    int cur_key;  /* the SRTP key that worked last, -1 none */
    /* sequence numbers */
    bool have_seq, released_any;
    uint16_t max_seq;
    uint64_t max_ext, last_out_ext;
    /* reorder window: pend[0..npend) sorted by ext_seq */
    aud__pkt_t **pend;
    aud__pkt_t *slots;
    uint32_t npend, nfree;
    aud__pkt_t **free;
    /* decoder */
    aud__codec_t codec;
    aud__dec_t *dec;
    int last_frame; /* samples of the last decoded packet (concealment) */
    /* timeline, in samples of rate since the renderer's origin */
    uint32_t rate;
    bool anchored;
    int64_t anchor_pos, anchor_ts, ext_ts;
    uint32_t last_ts;
    int64_t last_arrival;
    /* PCM: sample pos lives at pcm[pos - base] */
    int64_t base;
    int16_t *pcm;
    size_t len, cap, len_hint;
    bool has_base;
    /* packets in sequence order until aud_finish decodes them */
    aud__logent_t *log;
    size_t nlog, caplog;
    uint8_t *bytes;
    size_t nbytes, capbytes;
    uint64_t packets_cut, samples_cut; /* over max_seconds */
    int16_t scratch[AUD__MAX_SAMPLES];
    /* payload-type map of a stream fed by aud_feed_rtp */
    aud__codec_t fed_codec[4];
    uint8_t fed_pt[4];
    uint8_t nfed;
} aud__stream_t;

struct aud_renderer;
aud__stream_t *aud__stream_new(struct aud_renderer *r, aud_side_t side, uint32_t key,
                               uint32_t ssrc);
void aud__stream_free(aud__stream_t *s);
/* A (decrypted) RTP packet of s. */
void aud__stream_push(struct aud_renderer *r, aud__stream_t *s, int64_t ts_ns, const uint8_t *rtp,
                      size_t len);
/* Moves what is still in the reorder window to the packet log. */
void aud__stream_flush(struct aud_renderer *r, aud__stream_t *s);
/* Decodes the packet log onto the stream's PCM: touches only s (and reads
 * r), so streams decode in parallel threads. */
void aud__stream_decode(const struct aud_renderer *r, aud__stream_t *s);

/* ------------------------------------------------------------------------ */
/* The renderer (call.c)                                                     */
/* ------------------------------------------------------------------------ */

typedef struct {
    uint8_t pt;
    aud__codec_t codec;
} aud__ptmap_t;

typedef struct {
    endpoint_t rx[AUD__MAX_EP]; /* where this side receives (its SDP) */
    uint32_t nrx;
    aud__ptmap_t pt[AUD__MAX_PT];
    uint32_t npt;
    aud__key_t keys[AUD__MAX_KEYS]; /* what this side sends with */
    uint32_t nkeys;
    uint32_t keys_rejected; /* a=crypto lines not usable */
    bool savp;              /* its SDP offered RTP/SAVP */
    uint32_t ssrcs[AUD__MAX_SSRCS];
    uint32_t nssrc;
} aud__side_t;

struct aud_renderer {
    aud_config_t cfg;
    char call_id[256];
    void *decoder; /* cap_decoder_t */
    aud__side_t side[2];
    bool have_caller;
    char caller_tag[128];
    size_t caller_tag_len;
    bool have_origin;
    int64_t origin_ns; /* the first accepted RTP packet: sample 0 */
    aud__stream_t **streams;
    uint32_t nstreams;
    aud_summary_t sum;
    uint8_t scratch[AUD__MAX_PAYLOAD + 64];
};

/* The codec a packet of side with payload type pt is in: the receiving
 * side's map, then the sender's, then RFC 3551's static types. */
void aud__lookup_pt(const struct aud_renderer *r, const aud__stream_t *s, uint8_t pt,
                    aud__codec_t *out);

#endif /* SIPHON_AUD_INTERNAL_H */
