/* fuzz_mime.c - libFuzzer target for mime_multipart_parse.
 * Input layout: the first line is the Content-Type value (boundary
 * parameter included), the rest is the body.  An input whose first line is
 * empty or a "--delimiter" line is taken as a bare multipart body (like the
 * shared SIPREC bodies) and the Content-Type is built from that delimiter.
 * Content-Type and body get their own exact-size heap buffers so ASan sees
 * over-reads of either. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = size ? memchr(data, '\n', size) : NULL;
    size_t first_len = nl ? (size_t)(nl - data) : size;
    bool bare = first_len == 0 || (first_len >= 2 && data[0] == '-' && data[1] == '-') ||
                (first_len == 1 && data[0] == '\r');
    size_t ct_len, body_len;
    const uint8_t *ct_src, *body_src;
    char made[128];
    if (bare) {
        /* the first "--x" line within the first 1 KiB gives the boundary */
        const uint8_t *p = data, *end = data + (size < 1024 ? size : 1024);
        ct_len = (size_t)snprintf(made, sizeof made, "multipart/mixed;boundary=x");
        while (p < end) {
            const uint8_t *e = memchr(p, '\n', (size_t)(end - p));
            if (!e) e = end;
            size_t l = (size_t)(e - p);
            if (l && p[l - 1] == '\r') l--;
            if (l > 2 && l < 80 && p[0] == '-' && p[1] == '-') {
                ct_len = (size_t)snprintf(made, sizeof made, "multipart/mixed;boundary=\"%.*s\"",
                                          (int)(l - 2), (const char *)p + 2);
                break;
            }
            p = e + 1;
        }
        ct_src = (const uint8_t *)made;
        body_src = data;
        body_len = size;
    } else {
        ct_src = data;
        ct_len = first_len;
        body_src = nl ? nl + 1 : data + size;
        body_len = nl ? size - first_len - 1 : 0;
    }

    char *ct = malloc(ct_len ? ct_len : 1);
    char *body = malloc(body_len ? body_len : 1);
    if (!ct || !body) {
        free(ct);
        free(body);
        return 0;
    }
    if (ct_len) memcpy(ct, ct_src, ct_len);
    if (body_len) memcpy(body, body_src, body_len);

    mime_part_t parts[8];
    int n = mime_multipart_parse(sv_make(ct, ct_len), sv_make(body, body_len), parts, 8);
    for (int i = 0; i < n; i++) {
        /* a second level, as sip_find_sdp does for nested multiparts */
        mime_part_t inner[4];
        (void)mime_multipart_parse(parts[i].content_type, parts[i].body, inner, 4);
    }
    free(ct);
    free(body);
    return 0;
}
