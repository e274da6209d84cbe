/* fuzz_sip.c - libFuzzer target for the SIP parser and everything a consumer
 * runs on a SIP message: sip_parse_message, header lookup, name-addr and
 * parameter parsing, sip_find_sdp (multipart), sdp_parse, sip_probe, and
 * sip_frame_message walked over the input as a TCP stream.
 * The input is copied to an exact-size heap buffer so ASan sees over-reads. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    if (size) memcpy(buf, data, size);

    static sip_msg_t msg;
    static sdp_t sdp;
    (void)sip_probe(buf, size);
    if (sip_parse_message(buf, size, &msg) != PROTO_INVALID || msg.header_count) {
        sv_t body;
        if (sip_find_sdp(&msg, &body)) (void)sdp_parse(body, &sdp);
        sip_name_addr_t na;
        static const char *const names[] = {"Contact", "To", "From", "Refer-To", "Referred-By"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            sv_t v = sip_header_get(&msg, names[i], 1);
            if (v.p) (void)sip_parse_name_addr(v, &na);
        }
        (void)sip_param_get(msg.via, "received");
        (void)sip_param_get(msg.contact, "expires");
        if (msg.header_count)
            (void)sip_parse_name_addr(msg.headers[msg.header_count - 1].value, &na);
    }

    /* the same bytes as a stream: frame message after message */
    size_t off = 0;
    for (int i = 0; i < 64 && off < size; i++) {
        size_t n;
        bool ka;
        if (sip_frame_message(buf + off, size - off, 4096, &n, &ka) != PROTO_OK || n == 0) break;
        if (!ka) (void)sip_parse_message(buf + off, n, &msg);
        off += n;
    }
    free(buf);
    return 0;
}
