/* layout.c - a recording session read back from its SIP: which recorded
 * stream arrives on which SRS port, in which codec, and whose voice it
 * carries (left or right channel of the stereo file).
 *
 * The packet store keeps a session's SIP beside its media (srs_sip_fn), so
 * a stored session explains itself: the SRC's offers carry the metadata
 * (applied in order with srs_metadata_apply, partial updates merged, as
 * the server did) and the SRS's 2xx answers carry, per m= line, the port
 * the stream was received on, the codec chosen and the a=label echoed.
 * Nothing is stored twice and `siphon pcap` hands out a capture anyone can
 * read the same way.
 *
 * Channels: a stream's sender is the participant the metadata associates
 * with its label (<send>, RFC 7865's participantstreamassoc).  A sender
 * whose role says it (Acme's callingParty, a <role> of calling/caller,
 * called/callee) takes that side; otherwise the senders go by their order
 * in the metadata, the first one left (SRCs list the calling party first)
 * and every other one right.  A stream without a known sender goes by its
 * m= position: even left, odd right.  The layout is meant to be asked
 * after every SIP message of the session was fed (the participants of an
 * Avaya session arrive in a later UPDATE).
 */
#include "siprec_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    uint16_t port; /* SRS RTP port (0: refused or not answered yet) */
    char label[64];
    char codec[24];
    uint8_t pt;
    uint32_t clock;
} srs__lstream_t;

struct srs_layout {
    bool session;
    uint32_t n;
    srs__lstream_t st[SRS_LAYOUT_MAX_STREAMS];
    srs_metadata_t md;
    size_t max_metadata;
};

srs_layout_t *srs_layout_new(size_t max_metadata)
{
    srs_layout_t *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    srs_metadata_init(&l->md);
    l->max_metadata = max_metadata ? max_metadata : 1u << 20;
    return l;
}

void srs_layout_free(srs_layout_t *l)
{
    if (!l) return;
    srs_metadata_free(&l->md);
    free(l);
}

static void learn_answer(srs_layout_t *l, sv_t body)
{
    static __thread sdp_t sdp;
    if (sdp_parse(body, &sdp) != PROTO_OK) return;
    for (uint32_t i = 0; i < sdp.media_count && i < SRS_LAYOUT_MAX_STREAMS; i++) {
        const sdp_media_t *m = &sdp.media[i];
        srs__lstream_t *o = &l->st[i];
        if (i >= l->n) l->n = i + 1;
        if (!m->port) { /* refused or removed: keep what it was, if anything */
            continue;
        }
        o->port = m->port;
        if (m->label.len) sv_copy_cstr(m->label, o->label, sizeof o->label);
        if (m->fmt_count) {
            sv_t enc = SV_NULL;
            uint32_t clock = 8000;
            o->pt = m->fmts[0];
            if (sdp_media_codec(m, o->pt, &enc, &clock)) {
                sv_copy_cstr(enc, o->codec, sizeof o->codec);
                o->clock = clock;
            }
        }
    }
}

void srs_layout_sip(srs_layout_t *l, const uint8_t *msg, size_t len)
{
    static __thread sip_msg_t m;
    if (sip_parse_message(msg, len, &m) != PROTO_OK) return;
    if (m.is_request) {
        if (m.method != SIP_INVITE && m.method != SIP_UPDATE) return;
        srs__offer_t o;
        const char *reason;
        if (srs__offer_parse(&m, &o, &reason) != 0) return;
        if (o.has_metadata) {
            char err[128];
            if (srs_metadata_apply(&l->md, o.metadata.p, o.metadata.len, l->max_metadata, err,
                                   sizeof err) == 0)
                l->session = true;
        }
        if (m.method == SIP_INVITE &&
            (sip_param_get(m.contact, "+sip.src").p || sip_param_get(m.contact, "src").p ||
             sv_ifind(m.contact, SV_LIT("+sip.src")) >= 0))
            l->session = true;
        return;
    }
    if (m.status_code < 200 || m.status_code > 299) return;
    if (m.cseq_method != SIP_INVITE && m.cseq_method != SIP_UPDATE) return;
    sv_t body;
    if (sip_find_sdp(&m, &body)) learn_answer(l, body);
}

bool srs_layout_is_session(const srs_layout_t *l)
{
    return l->session;
}

uint32_t srs_layout_streams(const srs_layout_t *l)
{
    return l->n;
}

/* 0 caller side, 1 callee side, -1 unknown by role. */
static int role_side(const char *role)
{
    if (!role) return -1;
    sv_t r = sv_from_cstr(role);
    if (sv_ieq_cstr(r, "calling") || sv_ieq_cstr(r, "caller") || sv_ieq_cstr(r, "originator"))
        return 0;
    if (sv_ieq_cstr(r, "called") || sv_ieq_cstr(r, "callee") || sv_ieq_cstr(r, "terminator"))
        return 1;
    return -1;
}

int srs_layout_stream(const srs_layout_t *l, uint32_t i, srs_layout_stream_t *out)
{
    if (i >= l->n || !l->st[i].port) return -1;
    const srs__lstream_t *s = &l->st[i];
    memset(out, 0, sizeof *out);
    out->index = i;
    out->port = s->port;
    out->label = s->label;
    out->codec = s->codec;
    out->payload_type = s->pt;
    out->clock_rate = s->clock ? s->clock : 8000;
    out->side = (int)(i & 1);
    const srs_md_stream_t *ms = srs_metadata_stream_by_label(&l->md, s->label[0] ? s->label : NULL);
    const srs_md_participant_t *p = ms ? srs_metadata_sender(&l->md, ms->id) : NULL;
    if (!p) return 0;
    out->sender_aor = p->aor;
    out->sender_name = p->name;
    int side = role_side(p->role);
    if (side < 0) { /* by order: the first participant that sends a stream is left */
        side = 1;
        for (uint32_t k = 0; k < l->md.n_participants; k++) {
            const srs_md_participant_t *q = &l->md.participants[k];
            if (!q->n_send) continue;
            side = q == p ? 0 : 1;
            break;
        }
    }
    out->side = side;
    return 0;
}

int srs_layout_find(const srs_layout_t *l, uint16_t port, srs_layout_stream_t *out)
{
    for (uint32_t i = 0; i < l->n; i++)
        if (l->st[i].port && l->st[i].port == port) return srs_layout_stream(l, i, out);
    return -1;
}
