/* siprec_wire.c - the SIPREC recording server's callbacks wired to the
 * consumers that keep its sessions.
 *
 * Wiring only (siprec/ knows neither record/ nor storage/): an ended
 * session goes to the output writer (its NDJSON record), to the packet
 * store (its recording is complete) and to storage (its rows); every SIP
 * message of a session and every media packet the SRS received go to the
 * packet store as datagrams with their real addresses (record/source.c
 * frames them).  Each target may be absent.
 */
#include "app.h"

static void on_session(void *user, const srs_session_t *s)
{
    app_siprec_t *a = user;
    if (a->out) out_siprec_session(a->out, s);
    if (a->rec) rec_source_end(a->rec, s->call_id, s->end_ns);
    if (a->st) app_siprec_to_storage(a->st, s);
}

static void on_media(void *user, const srs_packet_t *p)
{
    app_siprec_t *a = user;
    rec_source_datagram(a->rec, p->call_id, p->ts_ns, &p->src, &p->dst, p->data, p->len);
}

static void on_sip(void *user, const srs_sip_t *m)
{
    app_siprec_t *a = user;
    rec_source_datagram(a->rec, m->call_id, m->ts_ns, &m->src, &m->dst, m->data, m->len);
}

int app_siprec_wire(app_siprec_t *a, srs_t *srs, void *rec_consumer_self, char *err, size_t errlen)
{
    if (rec_consumer_self) {
        a->rec = rec_source_new(rec_consumer_self, 256, err, errlen);
        if (!a->rec) return -1;
        srs_set_media_hook(srs, on_media, a);
        srs_set_sip_hook(srs, on_sip, a);
    }
    srs_set_session_listener(srs, on_session, a);
    return 0;
}

void app_siprec_unwire(app_siprec_t *a)
{
    if (a->rec) {
        rec_source_stats_t st;
        rec_source_stats(a->rec, &st);
        log_write(LOG_LVL_INFO,
                  "siprec recordings: %llu packets to the packet store, %llu dropped (queue "
                  "full), %llu too large",
                  (unsigned long long)st.packets, (unsigned long long)st.dropped,
                  (unsigned long long)st.too_large);
        rec_source_free(a->rec);
    }
    a->rec = NULL;
}
