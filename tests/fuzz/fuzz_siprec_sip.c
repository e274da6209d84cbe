/* fuzz_siprec_sip.c - libFuzzer target for the SIPREC server's SIP handling
 * (siprec/uas.c, offer.c, metadata.c) without sockets: request bytes in,
 * response bytes out.  The input is cut into messages at each "\n\n\n\n"
 * (so a seed can hold an INVITE, its ACK, a re-INVITE and a BYE of one
 * dialog); each goes through srs_process over UDP, then over TCP, from a
 * source inside siprec.allow; the timers then run 1 s and 40 s later
 * (retransmissions, delayed answers, expiry) and the server is freed,
 * ending what is left.  A fresh server per input keeps runs reproducible.
 * The placeholder To tag "srs0000000000000000" in a message is replaced by
 * the tag the server last answered with, so seeds reach in-dialog
 * requests (re-INVITE, UPDATE, BYE) despite the server's random tags.
 * Every message gets an exact-size heap copy so ASan sees over-reads. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "siprec.h"

static void on_session(void *user, const srs_session_t *s)
{
    size_t *n = user;
    *n += s->n_streams + s->n_participants;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    srs_config_t c;
    srs_config_default(&c);
    c.no_sockets = true;
    c.max_sessions = 4;
    c.rtp_port_min = 40000;
    c.rtp_port_max = 40019;
    c.answer_delay_ns = (size & 1) ? 500 * 1000000LL : 0;
    c.n_allow = 1;
    ip_addr_parse(SV_LIT("10.0.0.0"), &c.allow[0].net);
    c.allow[0].prefix = 8;
    char err[128];
    srs_t *s = srs_new(&c, err, sizeof err);
    if (!s) return 0;
    size_t seen = 0;
    srs_set_session_listener(s, on_session, &seen);
    endpoint_t src = {.port = 5060};
    ip_addr_parse(SV_LIT("10.1.2.3"), &src.ip);
    buf_t out;
    buf_init(&out);
    size_t at = 0;
    while (at <= size) {
        const uint8_t *end = NULL;
        for (size_t i = at; i + 4 <= size; i++)
            if (memcmp(data + i, "\n\n\n\n", 4) == 0) {
                end = data + i;
                break;
            }
        size_t len = (end ? (size_t)(end - data) : size) - at;
        uint8_t *msg = malloc(len ? len : 1);
        if (!msg) break;
        if (len) memcpy(msg, data + at, len);
        const char *tag = out.len ? memmem(out.data, out.len, ";tag=srs", 8) : NULL;
        for (uint8_t *p = msg; tag && (size_t)(tag + 24 - out.data) <= out.len &&
                               (p = memmem(p, len - (size_t)(p - msg), "srs0000000000000000", 19));
             p += 19)
            memcpy(p, tag + 5, 19);
        srs_process(s, SRS_UDP, &src, msg, len, &out);
        srs_process(s, SRS_TCP, &src, msg, len, &out);
        free(msg);
        if (!end) break;
        at = (size_t)(end - data) + 4;
    }
    int64_t now = clock_mono_ns();
    srs_tick(s, now + 1000000000LL, &out);
    srs_tick(s, now + 40 * 1000000000LL, &out);
    srs_free(s);
    buf_free(&out);
    return 0;
}
