/* fuzz_siprec_layout.c - libFuzzer target for reading a stored SIPREC
 * session back from its SIP (siprec/layout.c: SIP and multipart offers,
 * the metadata with libxml2, SDP answers): the input is a sequence of SIP
 * messages separated by two NUL bytes, fed in order, then every stream is
 * asked for and a few ports looked up.  Each message gets an exact-size
 * heap buffer so ASan sees any over-read.  Seeds: the SIP of sessions the
 * SRS recorded (offer, answers, re-INVITE, UPDATE, BYE) and the shared SRC
 * offers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "siprec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    srs_layout_t *l = srs_layout_new(64 << 10);
    if (!l) return 0;
    for (size_t at = 0; at <= size;) {
        size_t end = at;
        while (end + 1 < size && !(data[end] == 0 && data[end + 1] == 0))
            end++;
        if (end + 1 >= size) end = size;
        size_t n = end - at;
        uint8_t *m = malloc(n ? n : 1);
        if (!m) break;
        if (n) memcpy(m, data + at, n);
        srs_layout_sip(l, m, n);
        free(m);
        at = end + 2;
    }
    (void)srs_layout_is_session(l);
    for (uint32_t i = 0; i < srs_layout_streams(l) + 1; i++) {
        srs_layout_stream_t st;
        if (srs_layout_stream(l, i, &st) == 0 && st.label && st.codec) (void)strlen(st.label);
        (void)srs_layout_find(l, (uint16_t)(20000 + 2 * i), &st);
    }
    srs_layout_free(l);
    return 0;
}
