/* gen_audio.c - real audio in siphon-gen's RTP (--audio), optionally
 * SRTP-protected (--srtp SUITE), with media holds (--hold).
 *
 * Each direction carries a known tone: 440 Hz caller -> callee, 1 kHz
 * callee -> caller, at -10 dBFS, sample n of the sender's clock being
 * sin(2 pi f n / rate) from the stream's first packet on.  Packets are
 * encoded in sending order with the real encoders of the libraries the
 * renderer decodes with: spandsp (G.711 A/u-law, G.722 at 64 kbit/s,
 * G.726-32 with RFC 3551 packing, GSM 06.10 VoIP packing), bcg729 (G.729,
 * VAD off) and libopus (16 kHz, VoIP, 24 kbit/s).  Every packet of the
 * send schedule is encoded, lost ones too, as a real sender would have.
 *
 * --hold START,LEN: both directions stop sending for LEN seconds from
 * START seconds after their first packet; after it the sequence numbers
 * continue where they stopped and so does the RTP timestamp (the sender's
 * sample clock stood still), which only the arrival time can place.
 *
 * SRTP: one libsrtp2 sender session per direction (ssrc_any_outbound),
 * protecting the packets in sending order; each side's key is in its SDP's
 * a=crypto (RFC 4568); with --reinvite the caller's re-INVITE carries a new
 * key, used from the port switch on (a key change the renderer must
 * follow).  --srtp-bad-key writes keys into the SDP that differ from the
 * ones used to encrypt.  Keys derive from --seed and the call index, not
 * from the call's random stream, so the rest of a capture is unchanged.
 *
 * The truth (gen_audio_truth) gives per direction the tone, the send time
 * of the first packet, the ptime, and the intervals with no audio (lost or
 * held packets, in send time), so a test can check silence, signal and
 * alignment.  Without --audio nothing here runs and the output is the
 * generator's usual one, byte for byte.
 */
#include "gen.h"

#include <bcg729/encoder.h>
#include <math.h>
#include <opus.h>
#include <spandsp.h>
#include <srtp2/srtp.h>
#include <stdlib.h>
#include <string.h>

#define AMP 10362.0 /* -10 dBFS */

struct gen_audio {
    uint8_t *bytes; /* packets (RTP header + payload [+ SRTP tag]) by send index */
    size_t len, cap;
    uint32_t *off; /* per send index; UINT32_MAX: not sent */
    uint16_t *plen;
    uint32_t *k_of; /* send index of each schedule packet */
    uint32_t npk;
    bool *silent; /* per send index: lost or held */
};

static void *xmalloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p) {
        fprintf(stderr, "siphon-gen: out of memory\n");
        exit(2);
    }
    return p;
}

static const struct {
    const char *name;
    uint8_t key_len;
    void (*set)(srtp_crypto_policy_t *p);
} suites[] = {
    {"AES_CM_128_HMAC_SHA1_80", 30, srtp_crypto_policy_set_rtp_default},
    {"AES_CM_128_HMAC_SHA1_32", 30, srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32},
    {"AES_256_CM_HMAC_SHA1_80", 46, srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80},
    {"AEAD_AES_128_GCM", 28, srtp_crypto_policy_set_aes_gcm_128_16_auth},
    {"AEAD_AES_256_GCM", 44, srtp_crypto_policy_set_aes_gcm_256_16_auth},
};

int gen_audio_suite(const char *name)
{
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
        if (strcmp(name, suites[i].name) == 0) return (int)i + 1;
    return 0;
}

/* Key of direction d (0 caller, 1 callee), generation g (1: after the
 * re-INVITE), as used (bad = false) or as written in the SDP. */
static void make_key(const gen_opts_t *o, const gen_call_t *c, int d, int g, bool bad, uint8_t *k)
{
    uint64_t r = o->seed * 0x9e3779b97f4a7c15ULL + c->index * 0xc2b2ae3d27d4eb4fULL +
                 (uint64_t)d * 0x165667b19e3779f9ULL + (uint64_t)g * 0x27d4eb2f165667c5ULL + 7;
    if (bad) r ^= 0xbadbadbadULL;
    for (int i = 0; i < 64; i++)
        k[i] = (uint8_t)gen_rand(&r);
}

static void b64(const uint8_t *in, size_t n, char *out)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t j = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        out[j++] = t[v >> 18];
        out[j++] = t[(v >> 12) & 63];
        out[j++] = i + 1 < n ? t[(v >> 6) & 63] : '=';
        out[j++] = i + 2 < n ? t[v & 63] : '=';
    }
    out[j] = '\0';
}

size_t gen_audio_sdp(const gen_opts_t *o, const gen_call_t *c, bool caller, bool second, char *out,
                     size_t n)
{
    if (!o->srtp) return 0;
    uint8_t k[64];
    make_key(o, c, caller ? 0 : 1, caller && second ? 1 : 0, o->srtp_bad_key, k);
    char text[100];
    b64(k, suites[o->srtp - 1].key_len, text);
    int len = snprintf(out, n, "a=crypto:1 %s inline:%s\r\n", suites[o->srtp - 1].name, text);
    return len < 0 ? 0 : (size_t)len;
}

/* ------------------------------------------------------------------------ */
/* Encoding                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct {
    gen_codec_t codec;
    uint32_t rate; /* audio samples per second fed to the encoder */
    g722_encode_state_t *g722;
    g726_state_t *g726;
    gsm0610_state_t *gsm;
    bcg729EncoderChannelContextStruct *g729;
    OpusEncoder *opus;
} enc_t;

static uint32_t audio_rate(gen_codec_t c)
{
    return c == CODEC_G722 || c == CODEC_OPUS ? 16000 : 8000;
}

static void enc_init(enc_t *e, gen_codec_t c)
{
    memset(e, 0, sizeof *e);
    e->codec = c;
    e->rate = audio_rate(c);
    int err = 0;
    switch (c) {
    case CODEC_G722:
        e->g722 = g722_encode_init(NULL, 64000, 0);
        break;
    case CODEC_G726:
        e->g726 = g726_init(NULL, 32000, G726_ENCODING_LINEAR, G726_PACKING_RIGHT);
        break;
    case CODEC_GSM:
        e->gsm = gsm0610_init(NULL, GSM0610_PACKING_VOIP);
        break;
    case CODEC_G729:
        e->g729 = initBcg729EncoderChannel(0);
        break;
    case CODEC_OPUS:
        e->opus = opus_encoder_create(16000, 1, OPUS_APPLICATION_VOIP, &err);
        if (e->opus) {
            opus_encoder_ctl(e->opus, OPUS_SET_BITRATE(24000));
            opus_encoder_ctl(e->opus, OPUS_SET_COMPLEXITY(5));
        }
        break;
    default:
        break;
    }
}

static void enc_free(enc_t *e)
{
    if (e->g722) g722_encode_free(e->g722);
    if (e->g726) g726_free(e->g726);
    if (e->gsm) gsm0610_free(e->gsm);
    if (e->g729) closeBcg729EncoderChannel(e->g729);
    if (e->opus) opus_encoder_destroy(e->opus);
}

/* Encodes n samples; returns payload bytes. */
static size_t enc_run(enc_t *e, const int16_t *x, int n, uint8_t *out)
{
    switch (e->codec) {
    case CODEC_PCMU:
        for (int i = 0; i < n; i++)
            out[i] = linear_to_ulaw(x[i]);
        return (size_t)n;
    case CODEC_PCMA:
        for (int i = 0; i < n; i++)
            out[i] = linear_to_alaw(x[i]);
        return (size_t)n;
    case CODEC_G722:
        return (size_t)g722_encode(e->g722, out, x, n);
    case CODEC_G726:
        return (size_t)g726_encode(e->g726, out, x, n);
    case CODEC_GSM:
        return (size_t)gsm0610_encode(e->gsm, out, x, n);
    case CODEC_G729: {
        size_t len = 0;
        for (int i = 0; i + 80 <= n; i += 80) {
            uint8_t l = 0;
            bcg729Encoder(e->g729, x + i, out + len, &l);
            len += l;
        }
        return len;
    }
    case CODEC_OPUS: {
        int k = opus_encode(e->opus, x, n, out, 1500);
        return k > 0 ? (size_t)k : 0;
    }
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Planning a direction                                                      */
/* ------------------------------------------------------------------------ */

static uint32_t group_of(const gen_rtp_params_t *p, uint32_t k)
{
    return p->change_ssrc && k >= p->npackets / 2;
}

void gen_audio_plan(gen_call_t *c, const gen_opts_t *o, int d)
{
    const gen_rtp_params_t *p = &c->rtp_params[d];
    const gen_codec_info_t *ci = gen_codec_info(o->codec);
    const uint32_t spp = ci->samples_per_ms * o->ptime_ms; /* RTP units per packet */
    const uint32_t half = p->npackets / 2;
    gen_audio_t *a = xmalloc(sizeof *a);
    c->audio[d] = a;
    a->npk = p->npackets;
    a->off = xmalloc((a->npk + 1) * sizeof *a->off);
    a->plen = xmalloc((a->npk + 1) * sizeof *a->plen);
    a->silent = xmalloc((a->npk + 1) * sizeof *a->silent);
    for (uint32_t k = 0; k < a->npk; k++) {
        a->off[k] = UINT32_MAX;
        a->silent[k] = true;
    }

    /* each schedule packet's send index, from its timestamp */
    uint32_t n = c->nrtp[d];
    gen_rtp_pkt_t *pk = c->rtp[d];
    a->k_of = xmalloc((n + 1) * sizeof *a->k_of);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k = (pk[i].flags & RTP_F_SSRC2) ? half + (pk[i].ts - p->ts2) / spp
                                                 : (pk[i].ts - p->ts0) / spp;
        a->k_of[i] = k;
    }

    /* holds: drop the packets sent in the window, then close the sequence
     * and timestamp gap they leave in their SSRC */
    if (o->hold_len_s > 0) {
        const int64_t ptime_us = (int64_t)o->ptime_ms * 1000;
        int64_t h0 = (int64_t)(o->hold_start_s * 1e6), h1 = h0 + (int64_t)(o->hold_len_s * 1e6);
        uint32_t held[2] = {0, 0}, kfirst = UINT32_MAX, klast = 0;
        for (uint32_t k = 0; k < a->npk; k++) {
            int64_t t = gen_send_offset(o, k, ptime_us);
            if (t >= h0 && t < h1) {
                if (kfirst == UINT32_MAX) kfirst = k;
                klast = k;
            }
        }
        uint32_t m = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t k = a->k_of[i];
            if (kfirst != UINT32_MAX && k >= kfirst && k <= klast) continue;
            if (kfirst != UINT32_MAX && k > klast) {
                uint32_t g = group_of(p, k);
                uint32_t before = 0;
                for (uint32_t x = kfirst; x <= klast; x++)
                    before += group_of(p, x) == g;
                pk[i].seq = (uint16_t)(pk[i].seq - before);
                pk[i].ts -= before * spp;
                held[g] = before;
            }
            pk[m] = pk[i];
            a->k_of[m] = k;
            m++;
        }
        c->nrtp[d] = n = m;
        (void)held;
    }
    for (uint32_t i = 0; i < n; i++)
        a->silent[a->k_of[i]] = false;

    /* encode every packet of the send schedule, in order */
    enc_t e;
    enc_init(&e, o->codec);
    const uint32_t nsamp = e.rate * o->ptime_ms / 1000;
    int16_t *x = xmalloc(nsamp * sizeof *x);
    uint8_t payload[4096];
    const double f = d == 0 ? 440.0 : 1000.0;
    /* the first schedule packet of each send index (duplicates share it) */
    uint32_t *first = xmalloc((a->npk + 1) * sizeof *first);
    for (uint32_t k = 0; k < a->npk; k++)
        first[k] = UINT32_MAX;
    for (uint32_t i = 0; i < n; i++)
        if (first[a->k_of[i]] == UINT32_MAX) first[a->k_of[i]] = i;

    srtp_t sess[2] = {NULL, NULL};
    if (o->srtp) {
        static bool inited;
        if (!inited && srtp_init() != srtp_err_status_ok) {
            fprintf(stderr, "siphon-gen: libsrtp2 does not initialise\n");
            exit(2);
        }
        inited = true;
        for (int g = 0; g < 2; g++) {
            uint8_t key[64];
            make_key(o, c, d, d == 0 ? g : 0, false, key);
            srtp_policy_t pol;
            memset(&pol, 0, sizeof pol);
            suites[o->srtp - 1].set(&pol.rtp);
            suites[o->srtp - 1].set(&pol.rtcp);
            pol.ssrc.type = ssrc_any_outbound;
            pol.key = key;
            pol.window_size = 1024;
            if (srtp_create(&sess[g], &pol) != srtp_err_status_ok) {
                fprintf(stderr, "siphon-gen: libsrtp2 refuses suite %s\n",
                        suites[o->srtp - 1].name);
                exit(2);
            }
        }
    }
    for (uint32_t k = 0; k < a->npk; k++) {
        for (uint32_t i = 0; i < nsamp; i++) {
            double t = (double)((uint64_t)k * nsamp + i) / e.rate;
            x[i] = (int16_t)lrint(AMP * sin(2 * M_PI * f * t));
        }
        size_t pl = enc_run(&e, x, (int)nsamp, payload);
        uint32_t i = first[k];
        if (i == UINT32_MAX) continue;
        const gen_rtp_pkt_t *q = &pk[i];
        uint8_t pkt[4096 + 64];
        pkt[0] = 0x80;
        pkt[1] = (uint8_t)(((q->flags & RTP_F_MARKER) ? 0x80 : 0) | ci->payload_type);
        pkt[2] = (uint8_t)(q->seq >> 8);
        pkt[3] = (uint8_t)q->seq;
        pkt[4] = (uint8_t)(q->ts >> 24);
        pkt[5] = (uint8_t)(q->ts >> 16);
        pkt[6] = (uint8_t)(q->ts >> 8);
        pkt[7] = (uint8_t)q->ts;
        uint32_t ssrc = (q->flags & RTP_F_SSRC2) ? p->ssrc2 : p->ssrc;
        pkt[8] = (uint8_t)(ssrc >> 24);
        pkt[9] = (uint8_t)(ssrc >> 16);
        pkt[10] = (uint8_t)(ssrc >> 8);
        pkt[11] = (uint8_t)ssrc;
        memcpy(pkt + 12, payload, pl);
        int len = (int)(12 + pl);
        if (o->srtp) {
            int g = d == 0 && (q->flags & RTP_F_NEWPORT) ? 1 : 0;
            if (srtp_protect(sess[g], pkt, &len) != srtp_err_status_ok) {
                fprintf(stderr, "siphon-gen: srtp_protect failed\n");
                exit(2);
            }
        }
        if (a->len + (size_t)len > a->cap) {
            a->cap = a->cap ? a->cap * 2 : 65536;
            while (a->cap < a->len + (size_t)len)
                a->cap *= 2;
            a->bytes = realloc(a->bytes, a->cap);
            if (!a->bytes) {
                fprintf(stderr, "siphon-gen: out of memory\n");
                exit(2);
            }
        }
        memcpy(a->bytes + a->len, pkt, (size_t)len);
        a->off[k] = (uint32_t)a->len;
        a->plen[k] = (uint16_t)len;
        a->len += (size_t)len;
    }
    for (int g = 0; g < 2; g++)
        if (sess[g]) srtp_dealloc(sess[g]);
    free(first);
    free(x);
    enc_free(&e);
}

void gen_audio_emit(gen_pcap_t *w, const gen_opts_t *o, const gen_call_t *c, int d, uint32_t idx)
{
    const gen_audio_t *a = c->audio[d];
    const gen_rtp_pkt_t *p = &c->rtp[d][idx];
    uint32_t k = a->k_of[idx];
    uint16_t caller_port = (p->flags & RTP_F_NEWPORT) ? c->caller_rtp2 : c->caller_rtp;
    const uint8_t *bytes = a->bytes + a->off[k];
    (void)o;
    if (d == 0)
        gen_pcap_udp(w, p->t, &c->caller_ip, caller_port, &c->callee_ip, c->callee_rtp, bytes,
                     a->plen[k], false);
    else
        gen_pcap_udp(w, p->t, &c->callee_ip, c->callee_rtp, &c->caller_ip, caller_port, bytes,
                     a->plen[k], false);
}

void gen_audio_free(gen_call_t *c)
{
    for (int d = 0; d < 2; d++) {
        gen_audio_t *a = c->audio[d];
        if (!a) continue;
        free(a->bytes);
        free(a->off);
        free(a->plen);
        free(a->k_of);
        free(a->silent);
        free(a);
        c->audio[d] = NULL;
    }
}

void gen_audio_truth(json_writer_t *j, const gen_opts_t *o, const gen_call_t *c)
{
    json_key(j, "audio");
    json_arr_begin(j);
    const int64_t ptime_us = (int64_t)o->ptime_ms * 1000;
    for (int d = 0; d < 2; d++) {
        const gen_audio_t *a = c->audio[d];
        if (!a) continue;
        const gen_rtp_params_t *p = &c->rtp_params[d];
        json_obj_begin(j);
        json_key(j, "from");
        json_cstr(j, d == 0 ? "caller" : "callee");
        json_key(j, "freq_hz");
        json_uint(j, d == 0 ? 440 : 1000);
        json_key(j, "codec");
        json_cstr(j, gen_codec_info(o->codec)->name);
        json_key(j, "rate");
        json_uint(j, audio_rate(o->codec));
        json_key(j, "srtp");
        json_bool(j, o->srtp != 0);
        json_key(j, "t0_us");
        json_int(j, p->t0);
        json_key(j, "ptime_us");
        json_int(j, ptime_us);
        json_key(j, "packets");
        json_uint(j, a->npk);
        int64_t first = INT64_MAX, last = INT64_MIN;
        for (uint32_t i = 0; i < c->nrtp[d]; i++) {
            if (c->rtp[d][i].t < first) first = c->rtp[d][i].t;
            if (c->rtp[d][i].t > last) last = c->rtp[d][i].t;
        }
        json_key(j, "first_us");
        json_int(j, c->nrtp[d] ? first : 0);
        json_key(j, "end_us");
        json_int(j, c->nrtp[d] ? last + ptime_us : 0);
        /* send-time intervals without audio: lost or held packets */
        json_key(j, "silent_us");
        json_arr_begin(j);
        for (uint32_t k = 0; k < a->npk;) {
            if (!a->silent[k]) {
                k++;
                continue;
            }
            uint32_t e = k;
            while (e < a->npk && a->silent[e])
                e++;
            json_arr_begin(j);
            json_int(j, p->t0 + gen_send_offset(o, k, ptime_us));
            json_int(j, p->t0 + gen_send_offset(o, e, ptime_us));
            json_arr_end(j);
            k = e;
        }
        json_arr_end(j);
        json_obj_end(j);
    }
    json_arr_end(j);
}
