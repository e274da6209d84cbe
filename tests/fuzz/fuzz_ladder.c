/* fuzz_ladder.c - the ladder of `siphon show` (storage/ladder.c) over
 * hostile stored messages: the input is cut into up to 16 messages (hosts,
 * methods, reasons, CSeqs and raw bytes from the data), rendered with the
 * raw section; the output must hold no C0 byte but newline, no DEL and only
 * well-formed UTF-8 without C1 or bidi controls. */
#include "storage.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_inert(const buf_t *b)
{
    const uint8_t *s = (const uint8_t *)b->data;
    for (size_t i = 0; i < b->len; i++) {
        uint8_t c = s[i];
        if ((c < 0x20 && c != '\n') || c == 0x7f) abort();
        if (c < 0x80) continue;
        size_t n = c >= 0xc2 && c <= 0xdf   ? 2
                   : c >= 0xe0 && c <= 0xef ? 3
                   : c >= 0xf0 && c <= 0xf4 ? 4
                                            : 0;
        if (!n || i + n > b->len) abort();
        uint32_t cp = c & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) abort();
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if (text_cp_is_control(cp)) abort();
        i += n - 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum { MAX = 16 };
    st_ladder_msg_t m[MAX];
    char strs[MAX][3][24];
    size_t n = 0, at = 0;
    while (n < MAX && at + 8 <= size) {
        const uint8_t *h = data + at;
        st_ladder_msg_t *x = &m[n];
        memset(x, 0, sizeof *x);
        uint8_t a[4] = {10, 0, 0, (uint8_t)(h[0] & 7)}, b[4] = {10, 0, 0, (uint8_t)(h[1] & 7)};
        ip_addr_set_v4(&x->src.ip, a);
        ip_addr_set_v4(&x->dst.ip, b);
        if (h[0] & 0x80) { /* an IPv6 host */
            uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8};
            v6[15] = h[0];
            ip_addr_set_v6(&x->src.ip, v6);
        }
        x->src.port = (uint16_t)(5060 + (h[2] & 3));
        x->dst.port = 5060;
        x->ts_ns = (int64_t)h[3] * 1000000 * (int64_t)(n + 1);
        x->is_request = h[4] & 1;
        x->status_code = 100 + h[5];
        x->cseq = h[6] & 3;
        size_t len = h[7] % 64;
        at += 8;
        if (len > size - at) len = size - at;
        for (int k = 0; k < 3; k++) {
            size_t l = len < 23 ? len : 23;
            memcpy(strs[n][k], data + at, l);
            strs[n][k][l] = '\0';
        }
        x->method = strs[n][0];
        x->reason = strs[n][1];
        x->cseq_method = strs[n][2];
        if (h[4] & 2) x->data = data + at, x->len = len;
        at += len;
        n++;
    }
    buf_t out;
    buf_init(&out);
    st_ladder_render(&out, m, n, &(st_ladder_opts_t){.width = (unsigned)(size % 300), .raw = true});
    check_inert(&out);
    buf_free(&out);
    return 0;
}
