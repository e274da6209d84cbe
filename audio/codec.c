/* codec.c - the voice decoders, all from Debian libraries: spandsp for
 * G.711 A/u-law, G.722 (64 kbit/s), G.726 (16-40 kbit/s, RFC 3551 or AAL2
 * bit packing) and GSM 06.10 (RFC 3551 VoIP packing); bcg729 for G.729,
 * Annex A and B (10-byte frames, 2-byte SID frames); libopus for Opus,
 * whose decoder also conceals a lost packet.
 *
 * Output rates: narrowband codecs decode at 8 kHz, G.722 at 16 kHz; Opus
 * decodes at 16 kHz (wideband speech: telephony Opus rarely carries more,
 * and a 48 kHz file would triple the size for nothing a listener of a call
 * recording needs).  RTP clocks stay as the payload format says (8000 for
 * G.722, 48000 for Opus); the timeline converts.
 */
#include "aud_internal.h"

#include <bcg729/decoder.h>
#include <opus.h>
#include <spandsp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct aud__dec {
    aud__codec_t c;
    union {
        g722_decode_state_t *g722;
        g726_state_t *g726;
        gsm0610_state_t *gsm;
        bcg729DecoderChannelContextStruct *g729;
        OpusDecoder *opus;
    } u;
    uint32_t rate;
};

static bool name_is(const char *name, size_t len, const char *want)
{
    return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

void aud__codec_from_name(const char *name, size_t len, uint32_t clock, aud__codec_t *out)
{
    memset(out, 0, sizeof *out);
    out->clock = clock ? clock : 8000;
    out->rate = 8000;
    size_t n = len < sizeof out->name - 1 ? len : sizeof out->name - 1;
    memcpy(out->name, name, n);
    out->name[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)out->name[i] < 0x20 || (unsigned char)out->name[i] > 0x7e)
            out->name[i] = '?';
    if (name_is(name, len, "PCMU"))
        out->id = AUD__C_PCMU;
    else if (name_is(name, len, "PCMA"))
        out->id = AUD__C_PCMA;
    else if (name_is(name, len, "G722")) {
        out->id = AUD__C_G722;
        out->rate = 16000;
    } else if (name_is(name, len, "G729") || name_is(name, len, "G729A") ||
               name_is(name, len, "G729B") || name_is(name, len, "G729AB"))
        out->id = AUD__C_G729;
    else if (name_is(name, len, "GSM"))
        out->id = AUD__C_GSM;
    else if (name_is(name, len, "opus")) {
        out->id = AUD__C_OPUS;
        out->rate = 16000;
        out->clock = 48000;
    } else if (name_is(name, len, "telephone-event"))
        out->id = AUD__C_DTMF;
    else if (name_is(name, len, "CN"))
        out->id = AUD__C_CN;
    else if (name_is(name, len, "G721")) {
        out->id = AUD__C_G726;
        out->g726_bits = 4;
    } else {
        /* G726-16/24/32/40 (RFC 3551), AAL2-G726-* (RFC 3551 4.5.4) */
        const char *p = name;
        size_t l = len;
        bool aal2 = false;
        if (l > 5 && strncasecmp(p, "AAL2-", 5) == 0) {
            aal2 = true;
            p += 5;
            l -= 5;
        }
        static const struct {
            const char *n;
            uint8_t bits;
        } g726[] = {{"G726-16", 2}, {"G726-24", 3}, {"G726-32", 4}, {"G726-40", 5}};
        for (size_t i = 0; i < 4; i++)
            if (name_is(p, l, g726[i].n)) {
                out->id = AUD__C_G726;
                out->g726_bits = g726[i].bits;
                out->g726_aal2 = aal2;
            }
    }
}

aud__dec_t *aud__dec_new(const aud__codec_t *c, uint32_t rate)
{
    aud__dec_t *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->c = *c;
    d->rate = c->rate;
    switch (c->id) {
    case AUD__C_PCMU:
    case AUD__C_PCMA:
        return d;
    case AUD__C_G722:
        d->u.g722 = g722_decode_init(NULL, 64000, 0);
        if (d->u.g722) return d;
        break;
    case AUD__C_G726:
        d->u.g726 = g726_init(NULL, 8000 * c->g726_bits, G726_ENCODING_LINEAR,
                              c->g726_aal2 ? G726_PACKING_LEFT : G726_PACKING_RIGHT);
        if (d->u.g726) return d;
        break;
    case AUD__C_GSM:
        d->u.gsm = gsm0610_init(NULL, GSM0610_PACKING_VOIP);
        if (d->u.gsm) return d;
        break;
    case AUD__C_G729:
        d->u.g729 = initBcg729DecoderChannel();
        if (d->u.g729) return d;
        break;
    case AUD__C_OPUS: {
        int e = 0;
        d->rate = rate == 8000 || rate == 48000 ? rate : 16000;
        d->u.opus = opus_decoder_create((opus_int32)d->rate, 1, &e);
        if (d->u.opus && e == OPUS_OK) return d;
        break;
    }
    default:
        break;
    }
    free(d);
    return NULL;
}

void aud__dec_free(aud__dec_t *d)
{
    if (!d) return;
    switch (d->c.id) {
    case AUD__C_G722:
        g722_decode_free(d->u.g722);
        break;
    case AUD__C_G726:
        g726_free(d->u.g726);
        break;
    case AUD__C_GSM:
        gsm0610_free(d->u.gsm);
        break;
    case AUD__C_G729:
        closeBcg729DecoderChannel(d->u.g729);
        break;
    case AUD__C_OPUS:
        opus_decoder_destroy(d->u.opus);
        break;
    default:
        break;
    }
    free(d);
}

int aud__dec_decode(aud__dec_t *d, const uint8_t *p, size_t n, int16_t *out, bool *sid)
{
    *sid = false;
    switch (d->c.id) {
    case AUD__C_PCMU:
        if (n > AUD__MAX_SAMPLES) n = AUD__MAX_SAMPLES;
        for (size_t i = 0; i < n; i++)
            out[i] = ulaw_to_linear(p[i]);
        return (int)n;
    case AUD__C_PCMA:
        if (n > AUD__MAX_SAMPLES) n = AUD__MAX_SAMPLES;
        for (size_t i = 0; i < n; i++)
            out[i] = alaw_to_linear(p[i]);
        return (int)n;
    case AUD__C_G722:
        if (n > AUD__MAX_SAMPLES / 2) n = AUD__MAX_SAMPLES / 2;
        return g722_decode(d->u.g722, out, p, (int)n);
    case AUD__C_G726: {
        size_t max = (size_t)AUD__MAX_SAMPLES * d->c.g726_bits / 8;
        if (n > max) n = max;
        return g726_decode(d->u.g726, out, p, (int)n);
    }
    case AUD__C_GSM: {
        if (n % 33) return -1;
        if (n > 33 * (AUD__MAX_SAMPLES / 160)) n = 33 * (AUD__MAX_SAMPLES / 160);
        return gsm0610_decode(d->u.gsm, out, p, (int)n);
    }
    case AUD__C_G729: {
        /* 10-byte frames, optionally ending with one 2-byte SID frame
         * (RFC 3551 4.5.6); anything else is malformed */
        if (n % 10 != 0 && n % 10 != 2) return -1;
        int total = 0;
        size_t off = 0;
        while (n - off >= 10 && total + 80 <= AUD__MAX_SAMPLES) {
            bcg729Decoder(d->u.g729, p + off, 10, 0, 0, 0, out + total);
            total += 80;
            off += 10;
        }
        if (n - off == 2) {
            *sid = total == 0;
            if (*sid) return 80;
            /* a SID after speech frames: the frames are rendered, the
             * comfort noise is left silent */
        }
        return total;
    }
    case AUD__C_OPUS: {
        int max = (int)(d->rate * 120 / 1000);
        if (max > AUD__MAX_SAMPLES) max = AUD__MAX_SAMPLES;
        int k = opus_decode(d->u.opus, p, (opus_int32)n, out, max, 0);
        return k < 0 ? -1 : k;
    }
    default:
        return -1;
    }
}

int aud__dec_conceal(aud__dec_t *d, int samples, int16_t *out)
{
    if (d->c.id != AUD__C_OPUS || samples <= 0 || samples > AUD__MAX_SAMPLES) return -1;
    int k = opus_decode(d->u.opus, NULL, 0, out, samples, 0);
    return k < 0 ? -1 : k;
}
