/* siprec_session.c - the "siprec_session" record: one ended SIPREC
 * recording session (siprec.h srs_session_t), the NDJSON object
 * `siphon run --json` writes and storage's JSON columns will hold.
 *
 * Fields (README.md, "SIPREC sessions"): call_id (the recording session's
 * own), src_ip/src_port/transport, start_ts/end_ts, state, participants
 * (id, aor, name, role), streams (label, stream_id, codec, payload_type,
 * port, packets, lost, bytes, rtcp_packets, srtp, srtp_suite,
 * srtp_auth_failures, mos, jitter_ms, pauses, sender: the participant
 * whose voice it carries), recorded_call_ids (the recorded calls' SIP
 * Call-IDs the metadata names) and metadata_updates.
 */
#include "encode.h"

void enc_siprec_session_json(buf_t *out, const srs_session_t *s)
{
    json_writer_t w;
    json_init(&w, out);
    json_obj_begin(&w);
    json_key(&w, "type");
    json_cstr(&w, "siprec_session");
    json_key(&w, "call_id");
    json_cstr(&w, s->call_id);
    json_key(&w, "src_ip");
    json_ip(&w, &s->src.ip);
    json_key(&w, "src_port");
    json_uint(&w, s->src.port);
    json_key(&w, "transport");
    json_cstr(&w, srs_transport_name(s->transport));
    json_key(&w, "start_ts");
    json_ts(&w, s->start_ns);
    json_key(&w, "end_ts");
    json_ts(&w, s->end_ns);
    json_key(&w, "state");
    json_cstr(&w, s->state);
    json_key(&w, "participants");
    json_arr_begin(&w);
    for (uint32_t i = 0; i < s->n_participants; i++) {
        const srs_participant_t *p = &s->participants[i];
        json_obj_begin(&w);
        json_key(&w, "id");
        json_cstr(&w, p->id);
        json_key(&w, "aor");
        json_cstr(&w, p->aor);
        json_key(&w, "name");
        json_cstr(&w, p->name);
        json_key(&w, "role");
        json_cstr(&w, p->role);
        json_obj_end(&w);
    }
    json_arr_end(&w);
    json_key(&w, "streams");
    json_arr_begin(&w);
    for (uint32_t i = 0; i < s->n_streams; i++) {
        const srs_stream_t *st = &s->streams[i];
        json_obj_begin(&w);
        json_key(&w, "label");
        json_cstr(&w, st->label);
        json_key(&w, "stream_id");
        json_cstr(&w, st->stream_id);
        json_key(&w, "codec");
        json_cstr(&w, st->codec);
        json_key(&w, "payload_type");
        json_uint(&w, st->payload_type);
        json_key(&w, "port");
        json_uint(&w, st->port);
        json_key(&w, "packets");
        json_uint(&w, st->packets);
        json_key(&w, "lost");
        json_int(&w, st->lost);
        json_key(&w, "bytes");
        json_uint(&w, st->bytes);
        json_key(&w, "rtcp_packets");
        json_uint(&w, st->rtcp_packets);
        json_key(&w, "srtp");
        json_bool(&w, st->srtp);
        json_key(&w, "srtp_suite");
        json_cstr(&w, st->srtp_suite);
        json_key(&w, "srtp_auth_failures");
        json_uint(&w, st->srtp_auth_failures);
        json_key(&w, "socket_drops");
        json_uint(&w, st->socket_drops);
        json_key(&w, "mos");
        if (st->mos >= 0)
            json_double(&w, st->mos, 2);
        else
            json_null(&w);
        json_key(&w, "jitter_ms");
        json_double(&w, st->jitter_ms, 3);
        json_key(&w, "first_ts");
        json_ts(&w, st->first_ns);
        json_key(&w, "last_ts");
        json_ts(&w, st->last_ns);
        json_key(&w, "pauses");
        json_uint(&w, st->pauses);
        json_key(&w, "sender");
        json_cstr(&w, st->sender_aor);
        json_key(&w, "sender_id");
        json_cstr(&w, st->sender_id);
        json_obj_end(&w);
    }
    json_arr_end(&w);
    json_key(&w, "recorded_call_ids");
    json_arr_begin(&w);
    for (uint32_t i = 0; i < s->n_call_ids; i++)
        json_cstr(&w, s->recorded_call_ids[i]);
    json_arr_end(&w);
    json_key(&w, "metadata_updates");
    json_uint(&w, s->metadata_updates);
    json_obj_end(&w);
    buf_putc(out, '\n');
}
