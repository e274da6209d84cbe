/* test_audio_render.c - unit tests of the audio renderer (audio/): SDES
 * key parsing, the timeline (RTP timestamps within a stream, loss as
 * silence, reordering undone, duplicates, DTMF and comfort noise kept out,
 * re-anchoring after a pause), the file's rate and channels, and SRTP
 * (libsrtp2 protects here what the renderer must decrypt: key changes,
 * wrong keys, replays).  Packets are built in memory and fed through
 * aud_feed_rtp; the file is read back with libsndfile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sndfile.h>
#include <spandsp.h>
#include <srtp2/srtp.h>

#include "aud_internal.h"
#include "audio.h"

#define T0 (1700000000LL * NS_PER_SEC)
#define V  ulaw_to_linear(0x80) /* the PCMU payload byte used throughout */

static const aud_codec_t PCMU = {0, "PCMU", 8000};

/* An RTP packet with payload of n bytes of value v (or from pl). */
static size_t rtp(uint8_t *b, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
                  const uint8_t *pl, size_t n, uint8_t v)
{
    b[0] = 0x80;
    b[1] = pt;
    b[2] = (uint8_t)(seq >> 8);
    b[3] = (uint8_t)seq;
    b[4] = (uint8_t)(ts >> 24);
    b[5] = (uint8_t)(ts >> 16);
    b[6] = (uint8_t)(ts >> 8);
    b[7] = (uint8_t)ts;
    b[8] = (uint8_t)(ssrc >> 24);
    b[9] = (uint8_t)(ssrc >> 16);
    b[10] = (uint8_t)(ssrc >> 8);
    b[11] = (uint8_t)ssrc;
    if (pl)
        memcpy(b + 12, pl, n);
    else
        memset(b + 12, v, n);
    return 12 + n;
}

static aud_renderer_t *renderer(void)
{
    aud_config_t c;
    aud_config_default(&c);
    char err[256];
    aud_renderer_t *r = aud_new(&c, err, sizeof err);
    assert_non_null(r);
    return r;
}

typedef struct {
    int rate, channels;
    long frames;
    short *pcm;
} wav_t;

static aud_status_t finish(aud_renderer_t *r, wav_t *w)
{
    char path[] = "/tmp/test_audio_XXXXXX.wav";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    close(fd);
    char err[256];
    aud_status_t st = aud_finish(r, path, AUD_FORMAT_WAV, false, err, sizeof err);
    memset(w, 0, sizeof *w);
    SF_INFO info = {0};
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (f) {
        w->rate = info.samplerate;
        w->channels = info.channels;
        w->frames = (long)info.frames;
        w->pcm = calloc((size_t)(info.frames * info.channels + 1), sizeof *w->pcm);
        sf_readf_short(f, w->pcm, info.frames);
        sf_close(f);
    }
    unlink(path);
    return st;
}

/* ------------------------------------------------------------------------ */

/* libsrtp2 initialised by another component first (siprec/media.c does,
 * in a `siphon run` with the SIPREC server): the renderer still decrypts.
 * First in main: the renderer initialises libsrtp2 once per process. */
static void test_srtp_initialised_elsewhere(void **state)
{
    (void)state;
    assert_int_equal(srtp_init(), srtp_err_status_ok);
    aud_config_t cfg;
    aud_config_default(&cfg);
    char err[256] = "";
    aud_renderer_t *r = aud_new(&cfg, err, sizeof err);
    assert_non_null(r);
    assert_string_equal(err, "");
    assert_int_equal(aud_add_key(r, AUD_SIDE_CALLER, "AES_CM_128_HMAC_SHA1_80",
                                 "d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj", err, sizeof err),
                     0);
    aud_free(r);
}

static void test_crypto_lines(void **state)
{
    (void)state;
    aud__key_t k;
    /* RFC 4568's example has an MKI (|1:32): refused */
    assert_false(aud__key_from_crypto(
        SV_LIT(
            "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32"),
        &k));
    assert_true(aud__key_from_crypto(
        SV_LIT("1 AES_CM_128_HMAC_SHA1_80 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|2^20"),
        &k));
    assert_int_equal(k.key_len, 30);
    aud__key_free(&k);
    assert_true(aud__key_from_crypto(
        SV_LIT("2 AES_CM_128_HMAC_SHA1_32 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj"), &k));
    aud__key_free(&k);
    /* an MKI is refused */
    assert_false(aud__key_from_crypto(
        SV_LIT(
            "1 AES_CM_128_HMAC_SHA1_80 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|2^20|1:4"),
        &k));
    /* wrong length for the suite, unknown suite, not base64 */
    assert_false(aud__key_from_crypto(
        SV_LIT("1 AES_256_CM_HMAC_SHA1_80 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj"), &k));
    assert_false(aud__key_from_crypto(SV_LIT("1 F8_128_HMAC_SHA1_80 inline:AAAA"), &k));
    assert_false(aud__key_from_crypto(
        SV_LIT("1 AES_CM_128_HMAC_SHA1_80 inline:d0Rmdm*mVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj"), &k));
    assert_false(aud__key_from_crypto(SV_LIT("1"), &k));
    uint8_t out[8];
    assert_int_equal(aud__base64(SV_LIT("AAECAw=="), out, sizeof out), 4);
    assert_int_equal(out[3], 3);
    assert_int_equal(aud__base64(SV_LIT("AAECAwQFBgcICQ"), out, sizeof out), -1); /* too long */
}

/* 10 PCMU packets of 20 ms, the 4th lost, the 6th and 7th swapped, the 8th
 * twice, a DTMF and a CN packet in between: the file is the packets at
 * their timestamps, silence for the lost one. */
static void test_timeline_pcmu(void **state)
{
    (void)state;
    aud_renderer_t *r = renderer();
    uint8_t b[300];
    int order[] = {0, 1, 2, 4, 6, 5, 7, 7, 8, 9};
    for (int i = 0; i < 10; i++) {
        int k = order[i];
        size_t n =
            rtp(b, 0, (uint16_t)(65530 + k), 1000 + 160 * (uint32_t)k, 0x1111, NULL, 160, 0x80);
        aud_feed_rtp(r, 1, AUD_SIDE_CALLER, T0 + k * 20 * NS_PER_MSEC + i * 100000, b, n, &PCMU);
    }
    aud_codec_t ev = {101, "telephone-event", 8000};
    size_t n = rtp(b, 101, 100, 5000, 0x2222, NULL, 4, 1);
    aud_feed_rtp(r, 2, AUD_SIDE_CALLEE, T0 + 50 * NS_PER_MSEC, b, n, &ev);
    n = rtp(b, 13, 101, 5160, 0x2222, NULL, 1, 40);
    aud_feed_rtp(r, 2, AUD_SIDE_CALLEE, T0 + 70 * NS_PER_MSEC, b, n, &ev);
    wav_t w;
    assert_int_equal(finish(r, &w), AUD_OK);
    assert_int_equal(w.rate, 8000);
    assert_int_equal(w.channels, 2);
    assert_int_equal(w.frames, 1600);
    for (long i = 0; i < w.frames; i++) {
        int want = i >= 480 && i < 640 ? 0 : V;
        if (w.pcm[2 * i] != want) fail_msg("left sample %ld: %d, want %d", i, w.pcm[2 * i], want);
        assert_int_equal(w.pcm[2 * i + 1], 0); /* DTMF and CN only: silent */
    }
    aud_stream_info_t s;
    aud_stream_info(r, 0, &s);
    assert_int_equal(s.packets, 10);
    assert_int_equal(s.decoded, 9);
    assert_int_equal(s.lost, 1);
    assert_int_equal(s.duplicates, 1);
    aud_stream_info(r, 1, &s);
    assert_int_equal(s.dtmf, 1);
    assert_int_equal(s.comfort_noise, 1);
    assert_int_equal(s.decoded, 0);
    free(w.pcm);
    aud_free(r);
}

/* A pause of 2 s during which the sender's clock stood still: the packets
 * after it are placed by arrival, not by timestamp. */
static void test_reanchor_after_pause(void **state)
{
    (void)state;
    aud_renderer_t *r = renderer();
    uint8_t b[300];
    for (int k = 0; k < 10; k++) {
        int64_t t = T0 + k * 20 * NS_PER_MSEC + (k >= 5 ? 2 * NS_PER_SEC : 0);
        size_t n = rtp(b, 0, (uint16_t)k, 160 * (uint32_t)k, 0x1, NULL, 160, 0x80);
        aud_feed_rtp(r, 1, AUD_SIDE_CALLEE, t, b, n, &PCMU);
    }
    wav_t w;
    assert_int_equal(finish(r, &w), AUD_OK);
    assert_int_equal(w.frames, 16000 + 1600);
    assert_int_equal(w.pcm[2 * 799 + 1], V);
    assert_int_equal(w.pcm[2 * 800 + 1], 0);
    assert_int_equal(w.pcm[2 * 16799 + 1], 0);
    assert_int_equal(w.pcm[2 * 16800 + 1], V);
    assert_int_equal(w.pcm[2 * 16800], 0); /* the caller's channel is silent */
    free(w.pcm);
    aud_free(r);
}

/* G.722 on one side makes the file 16 kHz; the G.711 side is upsampled. */
static void test_wideband_rate(void **state)
{
    (void)state;
    aud_renderer_t *r = renderer();
    aud_codec_t g722 = {9, "G722", 8000};
    g722_encode_state_t *enc = g722_encode_init(NULL, 64000, 0);
    int16_t x[320];
    uint8_t pl[160], b[300];
    for (int k = 0; k < 5; k++) {
        for (int i = 0; i < 320; i++)
            x[i] = (int16_t)(8000 * ((k * 320 + i) % 32 < 16 ? 1 : -1));
        g722_encode(enc, pl, x, 320);
        size_t n = rtp(b, 9, (uint16_t)k, 160 * (uint32_t)k, 0x9, pl, 160, 0);
        aud_feed_rtp(r, 1, AUD_SIDE_CALLER, T0 + k * 20 * NS_PER_MSEC, b, n, &g722);
        n = rtp(b, 0, (uint16_t)k, 160 * (uint32_t)k, 0x10, NULL, 160, 0x80);
        aud_feed_rtp(r, 2, AUD_SIDE_CALLEE, T0 + k * 20 * NS_PER_MSEC, b, n, &PCMU);
    }
    g722_encode_free(enc);
    wav_t w;
    assert_int_equal(finish(r, &w), AUD_OK);
    assert_int_equal(w.rate, 16000);
    assert_int_equal(w.frames, 1600);
    assert_int_equal(w.pcm[2 * 1000 + 1], V);
    long energy = 0;
    for (long i = 100; i < w.frames; i++)
        energy += labs(w.pcm[2 * i]);
    assert_true(energy / (w.frames - 100) > 3000);
    free(w.pcm);
    aud_free(r);
}

/* SRTP: the side's second key (a re-INVITE) takes over mid-stream; a
 * replayed packet is counted; a renderer without the second key counts
 * authentication failures and renders only the first half. */
static void srtp_stream(aud_renderer_t *r, bool replay)
{
    static const char *keys[2] = {"d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj",
                                  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"};
    srtp_t s[2];
    for (int g = 0; g < 2; g++) {
        uint8_t key[64];
        int kl = aud__base64(sv_from_cstr(keys[g]), key, sizeof key);
        assert_int_equal(kl, 30);
        srtp_policy_t p;
        memset(&p, 0, sizeof p);
        srtp_crypto_policy_set_rtp_default(&p.rtp);
        srtp_crypto_policy_set_rtp_default(&p.rtcp);
        p.ssrc.type = ssrc_any_outbound;
        p.key = key;
        assert_int_equal(srtp_create(&s[g], &p), srtp_err_status_ok);
    }
    uint8_t b[400];
    for (int k = 0; k < 10; k++) {
        size_t n = rtp(b, 0, (uint16_t)k, 160 * (uint32_t)k, 0x77, NULL, 160, 0x80);
        int len = (int)n;
        assert_int_equal(srtp_protect(s[k >= 5], b, &len), srtp_err_status_ok);
        aud_feed_rtp(r, 1, AUD_SIDE_CALLER, T0 + k * 20 * NS_PER_MSEC, b, (size_t)len, &PCMU);
        if (replay && k == 2)
            aud_feed_rtp(r, 1, AUD_SIDE_CALLER, T0 + k * 20 * NS_PER_MSEC + 1000, b, (size_t)len,
                         &PCMU);
    }
    srtp_dealloc(s[0]);
    srtp_dealloc(s[1]);
}

static void test_srtp_key_change(void **state)
{
    (void)state;
    char err[256];
    aud_renderer_t *r = renderer();
    assert_int_equal(aud_add_key(r, AUD_SIDE_CALLER, "AES_CM_128_HMAC_SHA1_80",
                                 "d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj", err, sizeof err),
                     0);
    assert_int_equal(aud_add_key(r, AUD_SIDE_CALLER, "AES_CM_128_HMAC_SHA1_80",
                                 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd", err, sizeof err),
                     0);
    srtp_stream(r, true);
    wav_t w;
    assert_int_equal(finish(r, &w), AUD_OK);
    aud_stream_info_t s;
    aud_stream_info(r, 0, &s);
    assert_true(s.srtp);
    assert_int_equal(s.decoded, 10);
    assert_int_equal(s.replays, 1);
    assert_int_equal(s.auth_failures, 0);
    assert_int_equal(w.frames, 1600);
    for (long i = 0; i < w.frames; i++)
        assert_int_equal(w.pcm[2 * i], V);
    free(w.pcm);
    aud_free(r);

    r = renderer();
    assert_int_equal(aud_add_key(r, AUD_SIDE_CALLER, "AES_CM_128_HMAC_SHA1_80",
                                 "d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj", err, sizeof err),
                     0);
    srtp_stream(r, false);
    assert_int_equal(finish(r, &w), AUD_OK); /* the stream was partly decrypted */
    aud_stream_info(r, 0, &s);
    assert_int_equal(s.decoded, 5);
    assert_int_equal(s.auth_failures, 5);
    assert_int_equal(w.frames, 800); /* no garbage after the key change */
    free(w.pcm);
    aud_free(r);

    /* unknown suite, bad key */
    r = renderer();
    assert_int_equal(aud_add_key(r, AUD_SIDE_CALLER, "NULL_HMAC", "AAAA", err, sizeof err), -1);
    assert_int_equal(aud_add_key(r, AUD_SIDE_CALLER, "AEAD_AES_128_GCM", "AAAA", err, sizeof err),
                     -1);
    aud_free(r);
}

/* A stream whose first packet is a bare RTP header (no payload, nothing
 * kept yet): the packets after it still play. */
static void test_empty_first_packet(void **state)
{
    (void)state;
    aud_renderer_t *r = renderer();
    uint8_t b[300];
    for (int k = 0; k < 6; k++) {
        size_t n = rtp(b, 0, (uint16_t)k, 160 * (uint32_t)k, 0x7, NULL, k ? 160 : 0, 0x80);
        aud_feed_rtp(r, 1, AUD_SIDE_CALLER, T0 + k * 20 * NS_PER_MSEC, b, n, &PCMU);
    }
    wav_t w;
    assert_int_equal(finish(r, &w), AUD_OK);
    aud_stream_info_t s;
    aud_stream_info(r, 0, &s);
    assert_int_equal(s.packets, 6);
    assert_true(w.frames >= 5 * 160);
    assert_int_equal(w.pcm[2 * (w.frames - 1)], V);
    free(w.pcm);
    aud_free(r);
}

static void test_errors(void **state)
{
    (void)state;
    aud_config_t c;
    aud_config_default(&c);
    c.call_id = "nobody@x";
    char err[256];
    aud_renderer_t *r = aud_new(&c, err, sizeof err);
    assert_non_null(r);
    assert_int_equal(aud_finish(r, "/dev/null", AUD_FORMAT_WAV, false, err, sizeof err),
                     AUD_ERR_NO_CALL);
    aud_free(r);
    r = renderer();
    assert_int_equal(aud_finish(r, "/dev/null", AUD_FORMAT_WAV, false, err, sizeof err),
                     AUD_ERR_NO_RTP);
    aud_free(r);
    /* a codec nothing decodes: counted, no file */
    r = renderer();
    aud_codec_t ilbc = {97, "iLBC", 8000};
    uint8_t b[100];
    size_t n = rtp(b, 97, 1, 0, 5, NULL, 38, 7);
    aud_feed_rtp(r, 1, AUD_SIDE_CALLER, T0, b, n, &ilbc);
    assert_int_equal(aud_finish(r, "/nonexistent/x.wav", AUD_FORMAT_WAV, false, err, sizeof err),
                     AUD_ERR_CODEC);
    aud_stream_info_t s;
    aud_stream_info(r, 0, &s);
    assert_int_equal(s.undecodable, 1);
    assert_string_equal(s.codec, "iLBC");
    aud_free(r);
    c.max_streams = 0;
    c.call_id = NULL;
    assert_null(aud_new(&c, err, sizeof err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_srtp_initialised_elsewhere),
        cmocka_unit_test(test_crypto_lines),
        cmocka_unit_test(test_timeline_pcmu),
        cmocka_unit_test(test_reanchor_after_pause),
        cmocka_unit_test(test_wideband_rate),
        cmocka_unit_test(test_srtp_key_change),
        cmocka_unit_test(test_empty_first_packet),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
