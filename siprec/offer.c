/* offer.c - a recording session's offer (RFC 7866 section 8) and the SDP
 * answer.
 *
 * The offer: a multipart/mixed body (proto/ mime_multipart_parse: quoted
 * boundaries, preamble, CRLF or LF) with an application/sdp part and a
 * metadata part (application/rs-metadata+xml or application/rs-metadata,
 * or any part with Content-Disposition: recording-session), in any order,
 * with other parts (Cisco's application/gtd) ignored; or a bare SDP (an
 * SRC that sends metadata later), or bare metadata (a metadata-only
 * UPDATE).  A recording-session part whose Content-Type is not a media
 * type at all is a broken offer (400), not one without metadata.
 *
 * The answer: one m= line per offered one, in order (RFC 3264).  A stream
 * is recorded when it is audio or video over RTP/AVP(F) or SDES
 * RTP/SAVP(F) with a suite we decrypt; others get port 0.  Ports are
 * consecutive even pairs (RTP even, RTCP +1) so that an SRC that sends
 * every stream to the first port plus the offsets of its own ports (SIPp's
 * play_pcap_audio) reaches each one.  The codec is the offer's first one
 * we can name (telephone-event is echoed beside it); direction recvonly,
 * or inactive while the SRC pauses (a=inactive, a=recvonly offered, or
 * c=0.0.0.0); a=label echoed; for SRTP an a=crypto with the offer's tag
 * and suite and a key of our own.  A re-offer keeps each stream's ports
 * and keys (matched by m= position), adds new ones and closes those the
 * SRC removed (port 0).
 */
#include "siprec_internal.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

static bool media_type_sane(sv_t ct)
{
    /* type "/" subtype, tokens without spaces, before any ';' */
    long semi = sv_index_of(ct, ';');
    sv_t mt = sv_trim(semi >= 0 ? sv_make(ct.p, (size_t)semi) : ct);
    long slash = sv_index_of(mt, '/');
    if (slash <= 0 || (size_t)slash + 1 >= mt.len) return false;
    for (size_t i = 0; i < mt.len; i++) {
        char c = mt.p[i];
        if (c == ' ' || c == '\t' || c == '"' || c == ',' || (unsigned char)c < 0x21 ||
            (unsigned char)c > 0x7e)
            return false;
    }
    return true;
}

static bool is_type(sv_t ct, const char *type)
{
    long semi = sv_index_of(ct, ';');
    sv_t mt = sv_trim(semi >= 0 ? sv_make(ct.p, (size_t)semi) : ct);
    return sv_ieq_cstr(mt, type);
}

static bool is_metadata_type(sv_t ct)
{
    return is_type(ct, "application/rs-metadata+xml") || is_type(ct, "application/rs-metadata");
}

int srs__offer_parse(const sip_msg_t *m, srs__offer_t *o, const char **reason)
{
    memset(o, 0, sizeof *o);
    sv_t ct = m->content_type;
    if (m->body.len == 0) return 0;
    if (!ct.p) {
        *reason = "Body without Content-Type";
        return 400;
    }
    if (sv_istarts_with(ct, "multipart/")) {
        mime_part_t parts[SRS__MAX_PARTS];
        int n = mime_multipart_parse(ct, m->body, parts, SRS__MAX_PARTS);
        if (n <= 0) {
            *reason = "Malformed multipart body";
            return 400;
        }
        for (int i = 0; i < n; i++) {
            sv_t pct = parts[i].content_type;
            sv_t disp = mime_part_header(parts[i].headers, "content-disposition", NULL);
            bool recording = disp.p && sv_istarts_with(disp, "recording-session");
            if (is_type(pct, "application/sdp") && !o->has_sdp) {
                o->has_sdp = true;
                o->sdp_body = parts[i].body;
            } else if (is_metadata_type(pct) || recording) {
                if (!media_type_sane(pct)) {
                    *reason = "Malformed Content-Type of the metadata part";
                    return 400;
                }
                if (!is_metadata_type(pct) && !sv_istarts_with(pct, "application/")) {
                    *reason = "Unsupported metadata type";
                    return 415;
                }
                if (!o->has_metadata) {
                    o->has_metadata = true;
                    o->metadata = parts[i].body;
                }
            } else if (is_type(pct, "application/rs-metadata-request")) {
                o->metadata_request = true;
            }
        }
    } else if (is_type(ct, "application/sdp")) {
        o->has_sdp = true;
        o->sdp_body = m->body;
    } else if (is_metadata_type(ct)) {
        o->has_metadata = true;
        o->metadata = m->body;
    } else if (is_type(ct, "application/rs-metadata-request")) {
        o->metadata_request = true;
    } else {
        *reason = "Unsupported body type";
        return 415;
    }
    if (o->has_sdp) {
        if (sdp_parse(o->sdp_body, &o->sdp) != PROTO_OK) {
            *reason = "Malformed SDP";
            return 400;
        }
        if (o->sdp.media_truncated) {
            *reason = "Too many streams";
            return 488;
        }
    }
    return 0;
}

/* ------------------------------ the answer ------------------------------ */

static bool rtp_proto(sv_t proto, bool *srtp)
{
    *srtp = false;
    if (sv_ieq_cstr(proto, "RTP/AVP") || sv_ieq_cstr(proto, "RTP/AVPF")) return true;
    if (sv_ieq_cstr(proto, "RTP/SAVP") || sv_ieq_cstr(proto, "RTP/SAVPF")) {
        *srtp = true;
        return true;
    }
    return false;
}

/* The offer's first codec we can name (not telephone-event or CN), and a
 * telephone-event payload type. */
static bool choose_codec(const sdp_media_t *m, srs__stream_t *st)
{
    bool found = false;
    st->te_pt = 0;
    for (unsigned i = 0; i < m->fmt_count; i++) {
        sv_t enc;
        uint32_t rate;
        if (!sdp_media_codec(m, m->fmts[i], &enc, &rate)) continue;
        if (sv_ieq_cstr(enc, "telephone-event")) {
            if (!st->te_pt) st->te_pt = m->fmts[i];
            continue;
        }
        if (sv_ieq_cstr(enc, "CN") || found) continue;
        found = true;
        st->pt = m->fmts[i];
        st->clock = rate;
        sv_copy_cstr(enc, st->codec, sizeof st->codec);
    }
    return found;
}

/* The first a=crypto of the offer with a suite we decrypt: tag, suite, key. */
static bool choose_crypto(const sdp_media_t *m, int *tag, srs__suite_t *suite, sv_t *key)
{
    for (unsigned i = 0; i < m->crypto_count; i++) {
        sv_t c = sv_trim(m->crypto[i]);
        /* "1 AES_CM_128_HMAC_SHA1_80 inline:KEY|2^20|1:1" */
        long sp = sv_index_of(c, ' ');
        if (sp <= 0) continue;
        uint64_t t;
        if (!sv_to_u64(sv_make(c.p, (size_t)sp), 999999999, &t)) continue;
        sv_t rest = sv_trim(sv_make(c.p + sp + 1, c.len - (size_t)sp - 1));
        long sp2 = sv_index_of(rest, ' ');
        if (sp2 <= 0) continue;
        srs__suite_t s = srs__suite_from(sv_make(rest.p, (size_t)sp2));
        if (s == SRS__SUITE_NONE) continue;
        sv_t kp = sv_trim(sv_make(rest.p + sp2 + 1, rest.len - (size_t)sp2 - 1));
        if (!sv_istarts_with(kp, "inline:")) continue;
        kp = sv_make(kp.p + 7, kp.len - 7);
        long bar = sv_index_of(kp, '|');
        if (bar >= 0) kp.len = (size_t)bar;
        long sp3 = sv_index_of(kp, ' ');
        if (sp3 >= 0) kp.len = (size_t)sp3;
        *tag = (int)t;
        *suite = s;
        *key = kp;
        return true;
    }
    return false;
}

static bool paused_offer(const sdp_media_t *m)
{
    return m->direction == SDP_INACTIVE || m->direction == SDP_RECVONLY ||
           (m->conn.family != IP_NONE && !sdp_addr_usable(&m->conn));
}

int srs__offer_answer(struct srs *s, srs__session_t *ss, const srs__offer_t *o,
                      const ip_addr_t *local, buf_t *answer, const char **reason)
{
    const sdp_t *sdp = &o->sdp;
    srs__stream_t *fresh[SDP_MAX_MEDIA];
    uint32_t n_fresh = 0;
    if (sdp->media_count == 0) {
        *reason = "No media stream offered";
        return 488;
    }
    if (sdp->media_count < ss->n_streams) {
        *reason = "A re-offer must keep every m= line";
        return 488;
    }
    /* new streams first: ports for all of them at once, consecutive */
    for (uint32_t i = ss->n_streams; i < sdp->media_count; i++) {
        srs__stream_t *st = srs__stream_new(s, ss->call_id, i);
        if (!st) {
            for (uint32_t k = 0; k < n_fresh; k++)
                srs__stream_close(s, fresh[k]);
            *reason = "Out of memory";
            return 500;
        }
        fresh[n_fresh++] = st;
    }
    uint32_t want = 0;
    for (uint32_t k = 0; k < n_fresh; k++) {
        const sdp_media_t *m = &sdp->media[ss->n_streams + k];
        bool srtp;
        want += m->port != 0 && rtp_proto(m->proto, &srtp) &&
                (sv_ieq_cstr(m->media, "audio") || sv_ieq_cstr(m->media, "video"));
    }
    if (want && !srs__streams_bind(s, fresh, n_fresh)) {
        for (uint32_t k = 0; k < n_fresh; k++)
            srs__stream_close(s, fresh[k]);
        SRS__STAT_INC(s, ports_exhausted);
        *reason = "No RTP ports left";
        return 503;
    }
    for (uint32_t k = 0; k < n_fresh; k++)
        ss->streams[ss->n_streams++] = fresh[k];

    char addr[IP_STR_MAX];
    if (s->media_address && s->media_address[0])
        snprintf(addr, sizeof addr, "%s", s->media_address);
    else
        ip_addr_format(local, addr, sizeof addr);
    const char *fam = strchr(addr, ':') ? "IP6" : "IP4";
    ss->sdp_version++;
    buf_printf(answer,
               "v=0\r\no=siphon %llu %llu IN %s %s\r\ns=siphon SRS\r\nc=IN %s %s\r\nt=0 0\r\n",
               (unsigned long long)(ss->hash & 0xffffffffffffull),
               (unsigned long long)ss->sdp_version, fam, addr, fam, addr);
    for (uint32_t i = 0; i < sdp->media_count; i++) {
        const sdp_media_t *m = &sdp->media[i];
        srs__stream_t *st = ss->streams[i];
        bool srtp = false;
        bool ok = m->port != 0 && st->port != 0 && rtp_proto(m->proto, &srtp) &&
                  (sv_ieq_cstr(m->media, "audio") || sv_ieq_cstr(m->media, "video"));
        if (ok && !st->accepted) ok = choose_codec(m, st);
        if (ok && srtp && st->suite == SRS__SUITE_NONE) {
            int tag;
            srs__suite_t suite;
            sv_t key;
            ok = choose_crypto(m, &tag, &suite, &key) && srs__stream_srtp(st, suite, key);
            if (ok) {
                uint8_t mine[64];
                size_t kl = srs__suite_key_len(suite);
                if (getrandom(mine, kl, 0) != (ssize_t)kl) ok = false;
                srs__b64_encode(mine, kl, st->local_key, sizeof st->local_key);
                st->crypto_tag = tag;
            }
        }
        if (!ok) {
            /* refused or removed: port 0, the offer's formats echoed */
            if (st->accepted || st->fd[0] >= 0) {
                pthread_mutex_lock(&st->lock);
                st->accepted = false;
                pthread_mutex_unlock(&st->lock);
            }
            buf_printf(answer, "m=%.*s 0 %.*s", SV_FMT(m->media), SV_FMT(m->proto));
            if (m->fmt_count == 0) buf_printf(answer, " 0");
            for (unsigned f = 0; f < m->fmt_count; f++)
                buf_printf(answer, " %u", m->fmts[f]);
            buf_printf(answer, "\r\n");
            continue;
        }
        st->accepted = true;
        if (!ip_addr_parse(sv_from_cstr(addr), &st->local_ip)) st->local_ip = *local;
        if (m->label.len) sv_copy_cstr(m->label, st->label, sizeof st->label);
        bool pause = paused_offer(m);
        pthread_mutex_lock(&st->lock);
        if (pause && !st->paused) st->pauses++;
        st->paused = pause;
        pthread_mutex_unlock(&st->lock);
        buf_printf(answer, "m=%.*s %u %.*s %u", SV_FMT(m->media), st->port, SV_FMT(m->proto),
                   st->pt);
        if (st->te_pt) buf_printf(answer, " %u", st->te_pt);
        buf_printf(answer, "\r\na=rtpmap:%u %s/%u\r\n", st->pt, st->codec, st->clock);
        if (st->te_pt) buf_printf(answer, "a=rtpmap:%u telephone-event/8000\r\n", st->te_pt);
        if (m->label.len) buf_printf(answer, "a=label:%.*s\r\n", SV_FMT(m->label));
        if (st->suite != SRS__SUITE_NONE)
            buf_printf(answer, "a=crypto:%d %s inline:%s\r\n", st->crypto_tag,
                       srs__suite_name(st->suite), st->local_key);
        buf_printf(answer, "a=%s\r\n", pause ? "inactive" : "recvonly");
    }
    return 0;
}
