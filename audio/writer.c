/* writer.c - the end of a render: streams mixed onto the file's channels
 * and written with libsndfile (WAV 16-bit PCM, FLAC, Ogg/Opus).
 *
 * The file's rate is 8 kHz when every stream is narrowband and 16 kHz when
 * any is wideband (G.722, Opus): one rate for both channels, the lowest
 * that loses nothing of any stream.  A stream at the other rate is
 * converted (8 -> 16 kHz by linear interpolation, 16 -> 8 kHz never
 * happens: a 16 kHz stream makes the file 16 kHz).  Stereo: the caller's
 * streams on the left, the callee's on the right, summed with saturation
 * where two of one side overlap (an SSRC change whose old stream trails).
 * Sample 0 is the call's first RTP packet; the file ends with the last
 * decoded sample.
 */
#include "aud_internal.h"

#include <pthread.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t conv(int64_t pos, uint32_t from, uint32_t to)
{
    return pos * to / from;
}

static inline int16_t sat16(int v)
{
    return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
}

/* Sample i (file rate) of stream s, 0 outside it. */
static inline int16_t sample_at(const aud__stream_t *s, int64_t i, uint32_t rate)
{
    if (s->rate == rate) {
        int64_t k = i - s->base;
        return k >= 0 && (size_t)k < s->len ? s->pcm[k] : 0;
    }
    /* s at 8 kHz, file at 16 kHz */
    int64_t k2 = i - 2 * s->base;
    if (k2 < 0 || (size_t)(k2 / 2) >= s->len) return 0;
    int64_t k = k2 / 2;
    if (!(k2 & 1)) return s->pcm[k];
    int next = (size_t)(k + 1) < s->len ? s->pcm[k + 1] : s->pcm[k];
    return (int16_t)((s->pcm[k] + next) / 2);
}

static int write_file(const char *path, aud_format_t fmt, uint32_t rate, int channels,
                      aud__stream_t *const *streams, uint32_t n, int64_t frames, char *err,
                      size_t errlen)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = (int)rate;
    info.channels = channels;
    info.format = fmt == AUD_FORMAT_FLAC   ? SF_FORMAT_FLAC | SF_FORMAT_PCM_16
                  : fmt == AUD_FORMAT_OPUS ? SF_FORMAT_OGG | SF_FORMAT_OPUS
                                           : SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f) {
        snprintf(err, errlen, "cannot write %s: %s", path, sf_strerror(NULL));
        return -1;
    }
    enum { CHUNK = 4096 };
    static __thread int16_t buf[CHUNK * 2];
    for (int64_t at = 0; at < frames; at += CHUNK) {
        int64_t m = frames - at < CHUNK ? frames - at : CHUNK;
        memset(buf, 0, (size_t)(m * channels) * sizeof *buf);
        for (uint32_t k = 0; k < n; k++) {
            const aud__stream_t *s = streams[k];
            if (!s->len) continue;
            int ch = channels == 1 ? 0 : (int)s->info.side;
            int64_t lo = conv(s->base, s->rate, rate);
            int64_t hi = conv(s->base + (int64_t)s->len, s->rate, rate);
            int64_t a = at > lo ? at : lo, b = at + m < hi ? at + m : hi;
            if (a >= b) continue; /* the stream is not in this chunk */
            int16_t *o = buf + (a - at) * channels + ch;
            if (s->rate == rate) {
                /* the usual case: a straight copy with saturation */
                const int16_t *x = s->pcm + (a - s->base);
                for (int64_t i = a; i < b; i++, o += channels) {
                    int v = *o + *x++;
                    *o = sat16(v);
                }
                continue;
            }
            for (int64_t i = a; i < b; i++, o += channels)
                *o = sat16(*o + sample_at(s, i, rate));
        }
        if (sf_writef_short(f, buf, m) != m) {
            snprintf(err, errlen, "cannot write %s: %s", path, sf_strerror(f));
            sf_close(f);
            return -1;
        }
    }
    if (sf_close(f) != 0) {
        snprintf(err, errlen, "cannot write %s", path);
        return -1;
    }
    return 0;
}

/* out_path with "-N-caller-SSRC" before its extension. */
static void stream_path(char *dst, size_t n, const char *out_path, uint32_t idx,
                        const aud__stream_t *s)
{
    const char *slash = strrchr(out_path, '/');
    const char *dot = strrchr(out_path, '.');
    if (!dot || (slash && dot < slash)) dot = out_path + strlen(out_path);
    snprintf(dst, n, "%.*s-%u-%s-%08x%s", (int)(dot - out_path), out_path, idx + 1,
             s->info.side == AUD_SIDE_CALLER ? "caller" : "callee", s->info.ssrc, dot);
}

typedef struct {
    const aud_renderer_t *r;
    aud__stream_t *s;
} decode_job_t;

static void *decode_thread(void *arg)
{
    decode_job_t *j = arg;
    aud__stream_decode(j->r, j->s);
    return NULL;
}

/* Decodes every stream, AUD__THREADS at a time: streams share nothing but
 * the renderer's read-only state (payload-type maps, origin). */
#define AUD__THREADS 4

static void decode_all(aud_renderer_t *r)
{
    for (uint32_t i = 0; i < r->nstreams; i += AUD__THREADS) {
        decode_job_t jobs[AUD__THREADS];
        pthread_t tid[AUD__THREADS];
        bool started[AUD__THREADS] = {false};
        uint32_t n = r->nstreams - i < AUD__THREADS ? r->nstreams - i : AUD__THREADS;
        for (uint32_t k = 0; k < n; k++) {
            jobs[k] = (decode_job_t){r, r->streams[i + k]};
            /* the last one runs here; a thread that cannot start too */
            if (k + 1 < n) started[k] = pthread_create(&tid[k], NULL, decode_thread, &jobs[k]) == 0;
            if (!started[k]) decode_thread(&jobs[k]);
        }
        for (uint32_t k = 0; k < n; k++)
            if (started[k]) pthread_join(tid[k], NULL);
    }
    for (uint32_t i = 0; i < r->nstreams; i++) {
        r->sum.samples_cut += r->streams[i]->samples_cut;
        r->sum.packets_cut += r->streams[i]->packets_cut;
    }
}

aud_status_t aud_finish(aud_renderer_t *r, const char *out_path, aud_format_t fmt,
                        bool mono_per_stream, char *err, size_t errlen)
{
    err[0] = '\0';
    for (uint32_t i = 0; i < r->nstreams; i++)
        aud__stream_flush(r, r->streams[i]);
    decode_all(r);
    if (r->cfg.call_id && !r->sum.call_seen) {
        snprintf(err, errlen, "call %s not found in the input", r->cfg.call_id);
        return AUD_ERR_NO_CALL;
    }
    uint64_t undecodable = 0, srtp_bad = 0, decoded = 0, packets = 0;
    uint32_t rate = 8000;
    int64_t frames = 0;
    for (uint32_t i = 0; i < r->nstreams; i++) {
        const aud_stream_info_t *in = &r->streams[i]->info;
        const aud__stream_t *s = r->streams[i];
        packets += in->packets;
        decoded += in->decoded;
        undecodable += in->decoded == 0 ? in->undecodable : 0;
        srtp_bad += in->decoded == 0 ? in->auth_failures + in->no_key : 0;
        if (s->rate == 16000) rate = 16000;
    }
    for (uint32_t i = 0; i < r->nstreams; i++) {
        const aud__stream_t *s = r->streams[i];
        if (!s->len) continue;
        int64_t end = conv(s->base + (int64_t)s->len, s->rate, rate);
        if (end > frames) frames = end;
    }
    r->sum.rate = rate;
    r->sum.seconds = (double)frames / rate;
    if (packets == 0) {
        snprintf(err, errlen, "no RTP for %s", r->cfg.call_id ? "the call" : "the named streams");
        return AUD_ERR_NO_RTP;
    }
    if (decoded == 0) {
        if (srtp_bad)
            snprintf(err, errlen, "no SRTP packet could be decrypted (wrong or missing key)");
        else if (undecodable)
            snprintf(err, errlen, "no stream is in a codec siphon can decode");
        else
            snprintf(err, errlen, "no voice packet in the call's RTP");
        return srtp_bad ? AUD_ERR_SRTP : undecodable ? AUD_ERR_CODEC : AUD_ERR_NO_RTP;
    }
    if (mono_per_stream) {
        for (uint32_t i = 0; i < r->nstreams; i++) {
            aud__stream_t *s = r->streams[i];
            if (!s->len) continue;
            char path[4096];
            stream_path(path, sizeof path, out_path, i, s);
            int64_t end = conv(s->base + (int64_t)s->len, s->rate, rate);
            if (write_file(path, fmt, rate, 1, &r->streams[i], 1, end, err, errlen) != 0)
                return AUD_ERR_OUTPUT;
        }
    } else if (write_file(out_path, fmt, rate, 2, r->streams, r->nstreams, frames, err, errlen) !=
               0) {
        return AUD_ERR_OUTPUT;
    }
    if (srtp_bad) {
        snprintf(err, errlen, "some SRTP streams could not be decrypted (wrong or missing key)");
        return AUD_ERR_SRTP;
    }
    if (undecodable) {
        snprintf(err, errlen, "some streams are in a codec siphon cannot decode");
        return AUD_ERR_CODEC;
    }
    return AUD_OK;
}
