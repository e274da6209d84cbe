/* fuzz_dtmf.c - libFuzzer target for the DTMF parsers (proto/dtmf.c): the
 * same input is tried as an RTP packet carrying a telephone-event payload
 * (through rtp_parse_header), as a bare event payload, and as a SIP INFO
 * dtmf-relay / dtmf body.  The input is copied to an exact-size heap buffer
 * so ASan sees over-reads. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    if (size) memcpy(buf, data, size);
    rtp_event_t e;
    rtp_header_t h;
    if (rtp_parse_header(buf, size, &h) == PROTO_OK &&
        rtp_event_parse(buf + h.header_len, h.payload_len, &e) == PROTO_OK) {
        if (e.volume > 63 || (e.event <= RTP_EVENT_FLASH) != (e.digit != 0)) abort();
    }
    if (rtp_event_parse(buf, size, &e) == PROTO_OK && size < 4) abort();
    dtmf_info_t d;
    if (dtmf_relay_parse(sv_make(buf, size), &d) == PROTO_OK) {
        if (d.event > RTP_EVENT_FLASH || d.digit != rtp_event_char(d.event)) abort();
    }
    free(buf);
    return 0;
}
