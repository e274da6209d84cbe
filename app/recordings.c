/* recordings.c - the packet store's recordings become rows of storage's
 * `recordings` table.
 *
 * Wiring only: record/ tells its listener (on its writer thread) where a
 * finished call's packets are; storage keeps that place next to the call
 * (the same call_uuid, from the call key), so a stored call shows it has
 * a recording and the web interface can find its pcap and audio.  The
 * place is the store's own vocabulary as one JSON value: the segments the
 * call's packets are in and the head of its chunk chain; with
 * record.audio_at_end, a second row for its audio file.
 */
#include "app.h"

static void recording_to_storage(void *user, const rec_recording_t *r)
{
    buf_t b;
    buf_init(&b);
    json_writer_t w;
    json_init(&w, &b);
    json_obj_begin(&w);
    json_key(&w, "store"), json_cstr(&w, "record");
    json_key(&w, "segments");
    json_arr_begin(&w);
    for (uint32_t i = 0; i < r->segment_count; i++)
        json_uint(&w, r->segments[i]);
    json_arr_end(&w);
    json_key(&w, "head_segment"), json_uint(&w, r->head_segment);
    json_key(&w, "head_offset"), json_uint(&w, r->head_offset);
    json_key(&w, "packets"), json_uint(&w, r->packets);
    json_key(&w, "linktype"), json_int(&w, r->linktype);
    json_key(&w, "last_ts"), json_ts(&w, r->last_ns);
    json_key(&w, "gone"), json_bool(&w, r->gone);
    json_obj_end(&w);
    buf_putc(&b, '\0');
    st_recording_t row = {.call_key = r->call_key,
                          .call_id = r->call_id,
                          .start_ns = r->first_ns,
                          .kind = "packets",
                          .locations_json = b.data,
                          .bytes = r->bytes};
    st_recording_add(user, &row);
    buf_free(&b);
}

/* record.audio_at_end: the call's audio file, a row of kind "audio" beside
 * its "packets" row (same call and start), the file's place in the store,
 * its format and length as the location. */
static void audio_to_storage(void *user, const rec_audio_t *a)
{
    buf_t b;
    buf_init(&b);
    json_writer_t w;
    json_init(&w, &b);
    json_obj_begin(&w);
    json_key(&w, "store"), json_cstr(&w, "record");
    json_key(&w, "path"), json_cstr(&w, a->path);
    json_key(&w, "format"), json_cstr(&w, aud_format_ext(a->format));
    json_key(&w, "seconds"), json_double(&w, a->seconds, 3);
    json_obj_end(&w);
    buf_putc(&b, '\0');
    st_recording_t row = {.call_key = a->call_key,
                          .call_id = a->call_id,
                          .start_ns = a->first_ns,
                          .kind = "audio",
                          .locations_json = b.data,
                          .bytes = a->bytes};
    st_recording_add(user, &row);
    buf_free(&b);
}

void app_recordings_to_storage(rec_config_t *rcfg, st_t *st)
{
    if (!st) return;
    rcfg->listener.on_recording = recording_to_storage;
    rcfg->listener.on_audio = audio_to_storage;
    rcfg->listener.user = st;
}
