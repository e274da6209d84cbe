/* audio.h - renders a call's voice from its RTP: decoders, the timeline,
 * SRTP-SDES decryption and the audio file.
 *
 * A renderer (aud_renderer_t) is fed one call's packets in capture order
 * and writes one audio file at the end:
 *  - aud_feed_frame: link-layer frames (a capture, or one call's pcap out of
 *    the packet store).  capture/ decodes them into datagrams; the SIP of
 *    the configured Call-ID (proto/: SIP, SDP) says who the caller is (the
 *    sender of the first INVITE), where each side receives its media, the
 *    payload-type map and the a=crypto keys each side sends with; the RTP
 *    going to or coming from those endpoints is the call's media;
 *  - aud_feed_rtp: RTP packets of a stream whose side and codec the caller
 *    already knows (a SIPREC server's received streams), no SIP needed;
 *  - captures without clear signalling: aud_add_ssrc names the streams of
 *    each side and aud_add_key gives their SRTP keys.
 * Packets leave a small per-stream reorder window in sequence order into
 * a per-stream log (payloads only, a few kB per second of call); aud_finish
 * decodes each stream's log in its own thread (the decoders are the cost:
 * libopus takes ~10 us per 20 ms packet), places the audio on the
 * timeline, mixes and writes the file (WAV, FLAC or Ogg/Opus through
 * libsndfile).
 *
 * Decoders are Debian libraries: spandsp (G.711, G.722, G.726, GSM 06.10),
 * bcg729 (G.729/A/B), libopus (with its loss concealment).  A payload type
 * nothing decodes is counted on its stream and reported, never rendered as
 * noise.  SRTP (RFC 3711) is decrypted with libsrtp2 using the SDES keys
 * (RFC 4568) of each side; authentication failures, replays and packets
 * without a key are counted per stream and dropped.
 *
 * Memory is bounded: at most max_streams streams (more are counted and
 * ignored), and per stream max_seconds of audio and a packet log of 200
 * packets and 16 kB of payload per second of max_seconds.
 */
#ifndef SIPHON_AUDIO_H
#define SIPHON_AUDIO_H

#include "core.h"

typedef enum { AUD_SIDE_CALLER = 0, AUD_SIDE_CALLEE = 1 } aud_side_t;

typedef enum { AUD_FORMAT_WAV = 0, AUD_FORMAT_FLAC, AUD_FORMAT_OPUS } aud_format_t;

/* "wav", "flac", "opus"; false for anything else. */
bool aud_format_parse(const char *name, aud_format_t *out);
const char *aud_format_ext(aud_format_t f); /* "wav", "flac", "opus" */

typedef struct {
    const char *call_id;     /* the call to render (SIP Call-ID); NULL: no SIP,
                                the streams are named by aud_add_ssrc or fed
                                by aud_feed_rtp */
    uint32_t max_streams;    /* streams (side, SSRC) kept; default 32 */
    uint32_t max_seconds;    /* audio kept per stream; default 14400 (4 h) */
    uint32_t reorder_window; /* packets held per stream to undo reordering
                                before decoding; default 32 */
} aud_config_t;

void aud_config_default(aud_config_t *c);

typedef struct aud_renderer aud_renderer_t;

/* NULL (err says why) when the configuration is unusable or libsrtp2 does
 * not initialise. */
aud_renderer_t *aud_new(const aud_config_t *cfg, char *err, size_t errlen);
void aud_free(aud_renderer_t *r);

/* A stream of a capture without clear signalling: packets with this SSRC
 * belong to side.  -1 when the table of named streams is full. */
int aud_add_ssrc(aud_renderer_t *r, aud_side_t side, uint32_t ssrc);

/* An SRTP key side sends with, given out of band: suite as in RFC 4568
 * ("AES_CM_128_HMAC_SHA1_80", ...), key_b64 the base64 master key and salt
 * (the inline: value without |lifetime or |MKI).  0, or -1 with err. */
int aud_add_key(aud_renderer_t *r, aud_side_t side, const char *suite, const char *key_b64,
                char *err, size_t errlen);

/* One captured frame (DLT_* linktype, capture time). */
void aud_feed_frame(aud_renderer_t *r, int64_t ts_ns, int linktype, const uint8_t *bytes,
                    size_t len);

/* The voice codec of a stream fed by aud_feed_rtp: its payload type,
 * encoding name as in a=rtpmap ("PCMA", "opus", "G726-32") and RTP clock. */
typedef struct {
    uint8_t pt;
    const char *encoding;
    uint32_t clock_rate;
} aud_codec_t;

/* One RTP (or SRTP, when side has keys) packet of stream stream_id of side,
 * arrived at ts_ns.  codec (may be NULL) maps its payload type; other
 * payload types use the static table (RFC 3551), telephone-event and CN
 * when named by an earlier codec argument. */
void aud_feed_rtp(aud_renderer_t *r, uint32_t stream_id, aud_side_t side, int64_t ts_ns,
                  const uint8_t *rtp, size_t len, const aud_codec_t *codec);

typedef enum {
    AUD_OK = 0,
    AUD_ERR_NO_CALL, /* the Call-ID never appeared in SIP */
    AUD_ERR_NO_RTP,  /* the call has no RTP (or none of the named SSRCs) */
    AUD_ERR_CODEC,   /* some voice was in a codec nothing here decodes */
    AUD_ERR_SRTP,    /* some SRTP could not be decrypted: wrong or no key */
    AUD_ERR_OUTPUT,  /* the file could not be written */
} aud_status_t;

/* What happened to one stream (side, SSRC). */
typedef struct {
    aud_side_t side;
    uint32_t ssrc;
    char codec[24];          /* the voice codec rendered, or the undecodable one */
    uint32_t rate;           /* its audio sample rate (0: nothing decoded) */
    bool srtp;               /* decrypted with an SDES key */
    uint64_t packets;        /* RTP packets of the stream */
    uint64_t decoded;        /* voice packets decoded onto the timeline */
    uint64_t lost;           /* missing sequence numbers (silence, Opus: concealed) */
    uint64_t late;           /* arrived after their turn (past the reorder window) */
    uint64_t duplicates;     /* same sequence number again */
    uint64_t dtmf;           /* RFC 4733 events, kept out of the audio */
    uint64_t comfort_noise;  /* CN (PT 13) and G.729B SID: silence */
    uint64_t undecodable;    /* voice in a codec nothing decodes */
    uint64_t auth_failures;  /* SRTP authentication failed with every key */
    uint64_t no_key;         /* SRTP with no key for its side */
    uint64_t replays;        /* SRTP replay (a captured duplicate) */
    int64_t first_ns;        /* arrival of its first packet */
    double start_s, seconds; /* where its audio starts in the file, how long */
} aud_stream_info_t;

typedef struct {
    bool call_seen;           /* SIP with the Call-ID was fed */
    uint64_t sip_messages;    /* of the call */
    uint64_t rtp_packets;     /* of the call's streams */
    uint64_t streams_dropped; /* over max_streams */
    uint64_t samples_cut;     /* audio past max_seconds */
    uint64_t packets_cut;     /* packets past the packet log's cap */
    uint32_t rate;            /* of the file */
    double seconds;           /* length of the file */
} aud_summary_t;

/* Decodes what the reorder windows still hold, then writes the file:
 * stereo, caller left and callee right, at 8 kHz (16 kHz when any stream is
 * wideband: G.722, Opus).  With mono_per_stream one file per stream,
 * out_path's name with -N-caller|callee-SSRC before the extension, each
 * aligned to the call's first packet.  Returns the first problem that
 * applies: no call, no RTP, nothing decodable (no file), output error;
 * else AUD_ERR_SRTP or AUD_ERR_CODEC when some stream could not be
 * rendered (the file holds the rest), else AUD_OK.  err says it in words. */
aud_status_t aud_finish(aud_renderer_t *r, const char *out_path, aud_format_t fmt,
                        bool mono_per_stream, char *err, size_t errlen);

uint32_t aud_stream_count(const aud_renderer_t *r);
void aud_stream_info(const aud_renderer_t *r, uint32_t i, aud_stream_info_t *out);
void aud_summary(const aud_renderer_t *r, aud_summary_t *out);

#endif /* SIPHON_AUDIO_H */
