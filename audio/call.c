/* call.c - the renderer: frames in, the call's RTP out to its streams.
 *
 * Frames go through capture/'s decoder (every link layer, tunnel, IP
 * reassembly and TCP SIP framing siphon understands); of the datagrams,
 * SIP with the configured Call-ID is parsed (proto/) and everything else
 * that parses as RTP is matched against the call's media endpoints.
 *
 * Who is who: the caller sent the first INVITE; its From tag names it.  An
 * SDP belongs to the side that sent the message: a request from the
 * caller's From tag, or a response to a request of the callee (a re-INVITE
 * either side may send is handled alike).  Each side's SDP says where that
 * side receives (so RTP to there was sent by the other side, RTP from there
 * by it, for symmetric RTP), the payload-type map and, in a=crypto, the
 * keys it sends with.  A re-INVITE adds its endpoints and keys: a key change
 * is followed by trying a stream's last working key first, then the others,
 * newest first.
 */
#include "aud_internal.h"

#include "capture.h"
#include "proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool aud_format_parse(const char *name, aud_format_t *out)
{
    if (strcmp(name, "wav") == 0)
        *out = AUD_FORMAT_WAV;
    else if (strcmp(name, "flac") == 0)
        *out = AUD_FORMAT_FLAC;
    else if (strcmp(name, "opus") == 0)
        *out = AUD_FORMAT_OPUS;
    else
        return false;
    return true;
}

const char *aud_format_ext(aud_format_t f)
{
    return f == AUD_FORMAT_FLAC ? "flac" : f == AUD_FORMAT_OPUS ? "opus" : "wav";
}

void aud_config_default(aud_config_t *c)
{
    memset(c, 0, sizeof *c);
    c->max_streams = 32;
    c->max_seconds = 14400;
    c->reorder_window = 32;
}

static void on_datagram(void *user, const datagram_t *dg);

aud_renderer_t *aud_new(const aud_config_t *cfg, char *err, size_t errlen)
{
    if (!aud__srtp_init(err, errlen)) return NULL;
    if (cfg->max_streams == 0 || cfg->max_seconds == 0 || cfg->reorder_window == 0 ||
        cfg->reorder_window > 4096 || cfg->max_streams > 4096) {
        snprintf(err, errlen, "audio: max_streams, max_seconds and reorder_window must be 1..4096");
        return NULL;
    }
    if (cfg->call_id && strlen(cfg->call_id) >= sizeof((aud_renderer_t *)0)->call_id) {
        snprintf(err, errlen, "audio: Call-ID too long");
        return NULL;
    }
    aud_renderer_t *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "audio: out of memory");
        return NULL;
    }
    r->cfg = *cfg;
    if (cfg->call_id) {
        snprintf(r->call_id, sizeof r->call_id, "%s", cfg->call_id);
        r->cfg.call_id = r->call_id;
    }
    r->streams = calloc(cfg->max_streams, sizeof *r->streams);
    cap_limits_t lim;
    cap_limits_one_call(&lim);
    r->decoder = cap_decoder_new(&lim, on_datagram, r);
    if (!r->streams || !r->decoder) {
        aud_free(r);
        snprintf(err, errlen, "audio: out of memory");
        return NULL;
    }
    return r;
}

void aud_free(aud_renderer_t *r)
{
    if (!r) return;
    if (r->decoder) cap_decoder_free(r->decoder);
    for (uint32_t i = 0; i < r->nstreams; i++)
        aud__stream_free(r->streams[i]);
    for (int s = 0; s < 2; s++)
        for (uint32_t k = 0; k < r->side[s].nkeys; k++)
            aud__key_free(&r->side[s].keys[k]);
    free(r->streams);
    free(r);
}

int aud_add_ssrc(aud_renderer_t *r, aud_side_t side, uint32_t ssrc)
{
    aud__side_t *sd = &r->side[side];
    if (sd->nssrc >= AUD__MAX_SSRCS) return -1;
    sd->ssrcs[sd->nssrc++] = ssrc;
    return 0;
}

static bool add_key(aud__side_t *sd, aud__key_t *k)
{
    for (uint32_t i = 0; i < sd->nkeys; i++)
        if (sd->keys[i].suite == k->suite && sd->keys[i].key_len == k->key_len &&
            memcmp(sd->keys[i].key, k->key, k->key_len) == 0) {
            aud__key_free(k);
            return true;
        }
    if (sd->nkeys >= AUD__MAX_KEYS) {
        aud__key_free(k);
        return false;
    }
    sd->keys[sd->nkeys++] = *k;
    return true;
}

int aud_add_key(aud_renderer_t *r, aud_side_t side, const char *suite, const char *key_b64,
                char *err, size_t errlen)
{
    aud__key_t k;
    if (!aud__key_make(suite, strlen(suite), sv_from_cstr(key_b64), &k)) {
        snprintf(err, errlen, "SRTP key: unknown suite '%s' or key not base64 of its length",
                 suite);
        return -1;
    }
    if (!add_key(&r->side[side], &k)) {
        snprintf(err, errlen, "SRTP key: too many keys for one side");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* SIP and SDP                                                               */
/* ------------------------------------------------------------------------ */

static void add_endpoint(aud__side_t *sd, const endpoint_t *e)
{
    for (uint32_t i = 0; i < sd->nrx; i++)
        if (endpoint_eq(&sd->rx[i], e)) return;
    if (sd->nrx < AUD__MAX_EP) sd->rx[sd->nrx++] = *e;
}

static void add_pt(aud__side_t *sd, uint8_t pt, const aud__codec_t *c)
{
    for (uint32_t i = 0; i < sd->npt; i++)
        if (sd->pt[i].pt == pt) {
            sd->pt[i].codec = *c;
            return;
        }
    if (sd->npt < AUD__MAX_PT) sd->pt[sd->npt++] = (aud__ptmap_t){pt, *c};
}

static void learn_sdp(aud_renderer_t *r, aud_side_t side, sv_t body)
{
    static __thread sdp_t sdp;
    if (sdp_parse(body, &sdp) != PROTO_OK) return;
    aud__side_t *sd = &r->side[side];
    for (uint32_t m = 0; m < sdp.media_count; m++) {
        const sdp_media_t *md = &sdp.media[m];
        if (!sv_ieq_cstr(md->media, "audio")) continue;
        endpoint_t e;
        if (sdp_media_rtp_endpoint(md, &e)) add_endpoint(sd, &e);
        if (sv_ifind(md->proto, SV_LIT("SAVP")) >= 0) sd->savp = true;
        for (uint32_t i = 0; i < md->rtpmap_count; i++) {
            aud__codec_t c;
            aud__codec_from_name(md->rtpmap[i].encoding.p, md->rtpmap[i].encoding.len,
                                 md->rtpmap[i].clock_rate, &c);
            add_pt(sd, md->rtpmap[i].pt, &c);
        }
        for (uint32_t i = 0; i < md->crypto_count; i++) {
            aud__key_t k;
            if (aud__key_from_crypto(md->crypto[i], &k))
                add_key(sd, &k);
            else
                sd->keys_rejected++;
        }
    }
}

static void on_sip(aud_renderer_t *r, const datagram_t *dg)
{
    static __thread sip_msg_t msg;
    if (sip_parse_message(dg->data, dg->len, &msg) == PROTO_INVALID) return;
    if (!sv_eq(msg.call_id, sv_from_cstr(r->call_id))) return;
    r->sum.call_seen = true;
    r->sum.sip_messages++;
    /* the caller: the From of the INVITE transaction (its request or a
     * response to it); a capture that starts later, with an SDP in some
     * other message, takes that message's From */
    bool invite = msg.is_request ? msg.method == SIP_INVITE : msg.cseq_method == SIP_INVITE;
    sv_t body;
    bool has_sdp = sip_find_sdp(&msg, &body);
    if (!r->have_caller && (invite || has_sdp)) {
        r->have_caller = true;
        r->caller_tag_len = sv_copy_cstr(msg.from.tag, r->caller_tag, sizeof r->caller_tag);
    }
    if (!has_sdp) return;
    bool from_caller = sv_eq(msg.from.tag, sv_make(r->caller_tag, r->caller_tag_len));
    bool by_caller = msg.is_request ? from_caller : !from_caller;
    learn_sdp(r, by_caller ? AUD_SIDE_CALLER : AUD_SIDE_CALLEE, body);
}

/* ------------------------------------------------------------------------ */
/* Media                                                                     */
/* ------------------------------------------------------------------------ */

static bool side_receives(const aud__side_t *sd, const endpoint_t *e)
{
    for (uint32_t i = 0; i < sd->nrx; i++)
        if (endpoint_eq(&sd->rx[i], e)) return true;
    return false;
}

/* The sending side of a packet, -1 when it is not the call's. */
static int sender_of(const aud_renderer_t *r, const datagram_t *dg, uint32_t ssrc)
{
    if (!r->cfg.call_id) {
        for (int s = 0; s < 2; s++)
            for (uint32_t i = 0; i < r->side[s].nssrc; i++)
                if (r->side[s].ssrcs[i] == ssrc) return s;
        return -1;
    }
    if (side_receives(&r->side[AUD_SIDE_CALLEE], &dg->dst)) return AUD_SIDE_CALLER;
    if (side_receives(&r->side[AUD_SIDE_CALLER], &dg->dst)) return AUD_SIDE_CALLEE;
    if (side_receives(&r->side[AUD_SIDE_CALLER], &dg->src)) return AUD_SIDE_CALLER;
    if (side_receives(&r->side[AUD_SIDE_CALLEE], &dg->src)) return AUD_SIDE_CALLEE;
    return -1;
}

static aud__stream_t *find_stream(aud_renderer_t *r, aud_side_t side, uint32_t key, uint32_t ssrc)
{
    for (uint32_t i = r->nstreams; i-- > 0;)
        if (r->streams[i]->info.side == side && r->streams[i]->key == key) return r->streams[i];
    return aud__stream_new(r, side, key, ssrc);
}

/* Decrypts rtp (len bytes) into r->scratch with one of side's keys; the
 * plaintext length, or -1 (counted on s). */
static int decrypt(aud_renderer_t *r, aud__stream_t *s, const aud__side_t *sd, const uint8_t *rtp,
                   size_t len)
{
    if (sd->nkeys == 0) {
        s->info.no_key++;
        return -1;
    }
    if (len > AUD__MAX_PAYLOAD) {
        s->info.auth_failures++;
        return -1;
    }
    bool replay = false;
    for (int tries = -1; tries < (int)sd->nkeys; tries++) {
        int k = tries < 0 ? s->cur_key : (int)sd->nkeys - 1 - tries;
        if (k < 0 || (tries >= 0 && k == s->cur_key)) continue;
        memcpy(r->scratch, rtp, len);
        int n = (int)len;
        srtp_err_status_t st = srtp_unprotect(sd->keys[k].ctx, r->scratch, &n);
        if (st == srtp_err_status_ok) {
            s->cur_key = k;
            s->info.srtp = true;
            return n;
        }
        if (st == srtp_err_status_replay_fail || st == srtp_err_status_replay_old) {
            replay = true;
            break;
        }
    }
    if (replay)
        s->info.replays++;
    else
        s->info.auth_failures++;
    return -1;
}

static void take_rtp(aud_renderer_t *r, aud__stream_t *s, aud_side_t side, int64_t ts_ns,
                     const uint8_t *rtp, size_t len)
{
    const aud__side_t *sd = &r->side[side];
    /* without SIP, keys given for any side mean the named streams are SRTP:
     * a stream without its key is not decoded as if it were clear */
    bool srtp =
        sd->nkeys > 0 || sd->savp || (!r->cfg.call_id && r->side[0].nkeys + r->side[1].nkeys > 0);
    if (srtp) {
        int n = decrypt(r, s, sd, rtp, len);
        if (n < 0) {
            s->info.packets++;
            if (s->info.packets == 1) s->info.first_ns = ts_ns;
            return;
        }
        rtp = r->scratch;
        len = (size_t)n;
    }
    if (!r->have_origin) {
        r->have_origin = true;
        r->origin_ns = ts_ns;
    }
    r->sum.rtp_packets++;
    aud__stream_push(r, s, ts_ns, rtp, len);
}

static void on_datagram(void *user, const datagram_t *dg)
{
    aud_renderer_t *r = user;
    if (dg->len == 0) return;
    if (sip_probe(dg->data, dg->len)) {
        if (r->cfg.call_id) on_sip(r, dg);
        return;
    }
    if (dg->transport != TRANSPORT_UDP) return;
    /* the clear RTP header only: an SRTP payload (and its padding count)
     * is still encrypted here */
    const uint8_t *d = dg->data;
    if (dg->len < 12 || (d[0] >> 6) != 2 || rtcp_probe(d, dg->len)) return;
    uint8_t pt = d[1] & 0x7f;
    if (pt >= 72 && pt <= 76) return;
    uint32_t ssrc = (uint32_t)d[8] << 24 | (uint32_t)d[9] << 16 | (uint32_t)d[10] << 8 | d[11];
    int side = sender_of(r, dg, ssrc);
    if (side < 0) return;
    aud__stream_t *s = find_stream(r, (aud_side_t)side, ssrc, ssrc);
    if (s) take_rtp(r, s, (aud_side_t)side, dg->ts_ns, dg->data, dg->len);
}

void aud_feed_frame(aud_renderer_t *r, int64_t ts_ns, int linktype, const uint8_t *bytes,
                    size_t len)
{
    cap_frame_t f = {.linktype = linktype,
                     .ts_ns = ts_ns,
                     .data = bytes,
                     .caplen = (uint32_t)len,
                     .wirelen = (uint32_t)len,
                     .frame_no = 0,
                     .file = "audio"};
    cap_decode_frame(r->decoder, &f);
}

void aud_feed_rtp(aud_renderer_t *r, uint32_t stream_id, aud_side_t side, int64_t ts_ns,
                  const uint8_t *rtp, size_t len, const aud_codec_t *codec)
{
    if (len < 12 || (rtp[0] >> 6) != 2) return;
    uint32_t ssrc =
        (uint32_t)rtp[8] << 24 | (uint32_t)rtp[9] << 16 | (uint32_t)rtp[10] << 8 | rtp[11];
    aud__stream_t *s = find_stream(r, side, stream_id, ssrc);
    if (!s) return;
    if (codec && codec->encoding) {
        aud__codec_t c;
        aud__codec_from_name(codec->encoding, strlen(codec->encoding), codec->clock_rate, &c);
        uint32_t i = 0;
        while (i < s->nfed && s->fed_pt[i] != codec->pt)
            i++;
        if (i < 4) {
            s->fed_pt[i] = codec->pt;
            s->fed_codec[i] = c;
            if (i == s->nfed) s->nfed++;
        }
    }
    take_rtp(r, s, side, ts_ns, rtp, len);
}

void aud__lookup_pt(const struct aud_renderer *r, const aud__stream_t *s, uint8_t pt,
                    aud__codec_t *out)
{
    for (uint32_t i = 0; i < s->nfed; i++)
        if (s->fed_pt[i] == pt) {
            *out = s->fed_codec[i];
            return;
        }
    const aud__side_t *rx = &r->side[1 - s->info.side], *tx = &r->side[s->info.side];
    for (uint32_t i = 0; i < rx->npt; i++)
        if (rx->pt[i].pt == pt) {
            *out = rx->pt[i].codec;
            return;
        }
    for (uint32_t i = 0; i < tx->npt; i++)
        if (tx->pt[i].pt == pt) {
            *out = tx->pt[i].codec;
            return;
        }
    const char *name;
    uint32_t clock;
    if (rtp_static_codec(pt, &name, &clock)) {
        aud__codec_from_name(name, strlen(name), clock, out);
        return;
    }
    char tmp[16];
    int n = snprintf(tmp, sizeof tmp, "PT %u", pt);
    aud__codec_from_name(tmp, (size_t)n, 8000, out);
}

uint32_t aud_stream_count(const aud_renderer_t *r)
{
    return r->nstreams;
}

void aud_stream_info(const aud_renderer_t *r, uint32_t i, aud_stream_info_t *out)
{
    *out = r->streams[i]->info;
}

void aud_summary(const aud_renderer_t *r, aud_summary_t *out)
{
    *out = r->sum;
}
