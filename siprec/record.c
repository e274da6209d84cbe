/* record.c - an ended recording session becomes one srs_session_t for the
 * listener (output/ writes it as a "siprec_session" NDJSON object;
 * storage will keep it).
 *
 * Each stream is tied to the metadata by its SDP label (RFC 7866: a=label
 * equals the <stream>'s <label>), and through the metadata's send
 * associations to the participant whose voice it carries.  Participants
 * are listed as the merged model holds them, with a role when the SRC
 * says one (<role>, Acme's callingParty) and else "sender" when they send
 * a recorded stream.  The record is built on the SIP thread, views valid
 * during the listener's call only.
 */
#include "siprec_internal.h"

#include <string.h>

void srs__session_emit(struct srs *s, srs__session_t *ss, const char *state)
{
    if (!s->on_session) return;
    const srs_metadata_t *md = &ss->md;
    srs_stream_t streams[SDP_MAX_MEDIA];
    srs_participant_t parts[SRS_MD_MAX_PARTICIPANTS];
    const char *call_ids[SRS_MD_MAX_CALL_IDS];
    uint32_t ns = 0;
    for (uint32_t i = 0; i < ss->n_streams; i++) {
        srs__stream_t *st = ss->streams[i];
        srs_stream_t *o = &streams[ns++];
        memset(o, 0, sizeof *o);
        srs__stream_figures(st, o);
        o->label = st->label[0] ? st->label : NULL;
        o->codec = st->accepted ? st->codec : NULL;
        o->payload_type = st->pt;
        o->clock_rate = st->clock;
        o->port = st->accepted ? st->port : 0;
        o->srtp = st->suite != SRS__SUITE_NONE;
        o->srtp_suite = srs__suite_name(st->suite);
        const srs_md_stream_t *ms = srs_metadata_stream_by_label(md, o->label);
        o->stream_id = ms ? ms->id : NULL;
        const srs_md_participant_t *p = srs_metadata_sender(md, o->stream_id);
        o->sender_id = p ? p->id : NULL;
        o->sender_aor = p ? p->aor : NULL;
    }
    for (uint32_t i = 0; i < md->n_participants; i++) {
        const srs_md_participant_t *p = &md->participants[i];
        const char *role = p->role;
        if (!role) {
            for (uint32_t k = 0; k < ns && !role; k++)
                if (streams[k].sender_id && strcmp(streams[k].sender_id, p->id) == 0)
                    role = "sender";
        }
        parts[i] = (srs_participant_t){.id = p->id, .aor = p->aor, .name = p->name, .role = role};
    }
    for (uint32_t i = 0; i < md->n_call_ids; i++)
        call_ids[i] = md->call_ids[i];
    srs_session_t rec = {
        .call_id = ss->call_id,
        .src = ss->dest.peer,
        .transport = ss->dest.tp,
        .start_ns = ss->start_wall_ns,
        .end_ns = clock_real_ns(),
        .state = state,
        .n_participants = md->n_participants,
        .n_streams = ns,
        .n_call_ids = md->n_call_ids,
        .participants = parts,
        .streams = streams,
        .recorded_call_ids = call_ids,
        .metadata_updates = md->updates,
        .metadata = md,
    };
    s->on_session(s->on_session_user, &rec);
}
