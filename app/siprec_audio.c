/* siprec_audio.c - `siphon audio` of a SIPREC recording session.
 *
 * Wiring only: a session the SRS recorded is a recording of the packet
 * store under the source key of its Call-ID (record.h rec_source_key).
 * Its SIP says which stream arrived on which SRS port, in which codec, and
 * whose voice it is (siprec.h srs_layout_t: the metadata's participants
 * and send associations); every RTP datagram to a stream's port then goes
 * to the renderer (audio.h aud_feed_rtp) on that stream's side, so the
 * stereo file has one participant left and the other right.  Two walks
 * over the recording: the SIP first (a later UPDATE may name the
 * participants), then the media.  capture/'s decoder turns the stored
 * frames back into datagrams.
 */
#include "app.h"
#include "audio.h"

typedef struct {
    srs_layout_t *layout;
    aud_renderer_t *r;
    cap_decoder_t *dec;
    bool media; /* second walk */
    uint64_t rtp, unmatched;
} siprec_audio_t;

static void on_datagram(void *user, const datagram_t *dg)
{
    siprec_audio_t *a = user;
    if (!dg->len) return;
    if (sip_probe(dg->data, dg->len)) {
        if (!a->media) srs_layout_sip(a->layout, dg->data, dg->len);
        return;
    }
    if (!a->media || dg->transport != TRANSPORT_UDP || rtcp_probe(dg->data, dg->len)) return;
    srs_layout_stream_t st;
    if (srs_layout_find(a->layout, dg->dst.port, &st) != 0) {
        a->unmatched++;
        return;
    }
    aud_codec_t c = {.pt = st.payload_type,
                     .encoding = st.codec[0] ? st.codec : NULL,
                     .clock_rate = st.clock_rate};
    a->rtp++;
    aud_feed_rtp(a->r, st.index, st.side ? AUD_SIDE_CALLEE : AUD_SIDE_CALLER, dg->ts_ns, dg->data,
                 dg->len, &c);
}

static int on_frame(void *user, int64_t ts_ns, int linktype, const uint8_t *frame, uint32_t caplen,
                    uint32_t wirelen)
{
    siprec_audio_t *a = user;
    cap_frame_t f = {.linktype = linktype,
                     .ts_ns = ts_ns,
                     .data = frame,
                     .caplen = caplen,
                     .wirelen = wirelen,
                     .file = "store"};
    cap_decode_frame(a->dec, &f);
    return 0;
}

bool app_siprec_is_session(const rec_recording_t *rec, const char *call_id)
{
    return rec->call_key == rec_source_key(call_id);
}

int app_siprec_audio_feed(rec_store_t *store, const rec_recording_t *rec, aud_renderer_t *r,
                          char *err, size_t errlen)
{
    siprec_audio_t a = {.r = r};
    cap_limits_t lim;
    cap_limits_one_call(&lim);
    a.layout = srs_layout_new(0);
    a.dec = cap_decoder_new(&lim, on_datagram, &a);
    int rc = -1;
    if (!a.layout || !a.dec) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (rec_call_packets(store, rec, on_frame, &a, err, errlen) != 0) goto out;
    cap_decoder_free(a.dec); /* a fresh decoder: the same frames again */
    a.dec = cap_decoder_new(&lim, on_datagram, &a);
    if (!a.dec) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    a.media = true;
    if (rec_call_packets(store, rec, on_frame, &a, err, errlen) != 0) goto out;
    for (uint32_t i = 0; i < srs_layout_streams(a.layout); i++) {
        srs_layout_stream_t st;
        if (srs_layout_stream(a.layout, i, &st) != 0) continue;
        buf_t b;
        buf_init(&b);
        buf_printf(&b, "siphon audio: SIPREC stream %u label ", i + 1);
        text_inert_cstr(&b, st.label[0] ? st.label : "-");
        buf_printf(&b, " on port %u -> %s (", st.port, st.side ? "right" : "left");
        text_inert_cstr(&b, st.sender_aor ? st.sender_aor : "sender unknown");
        buf_printf(&b, ")");
        fprintf(stderr, "%.*s\n", (int)b.len, b.data);
        buf_free(&b);
    }
    rc = 0;
out:
    if (a.dec) cap_decoder_free(a.dec);
    srs_layout_free(a.layout);
    return rc;
}
