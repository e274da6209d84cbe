/* test_storage_ladder.c - the text ladder of `siphon show` (storage/ladder.c):
 * one lane per host in order of first appearance, every message one arrow
 * from its source lane to its destination lane with its method or status
 * and "(SDP)", offsets from the first message, retransmissions marked and
 * only they; three hosts (a proxy) and a message to itself; IPv6 names;
 * hostile methods, reasons and raw messages never put a control byte,
 * C1 or bidi control on the terminal; the raw section keeps every line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "storage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1765000000000000000LL

static endpoint_t ep4(uint8_t last, uint16_t port)
{
    endpoint_t e = {0};
    uint8_t b[4] = {10, 0, 0, last};
    ip_addr_set_v4(&e.ip, b);
    e.port = port;
    return e;
}

static const char INVITE_SDP[] = "INVITE sip:bob@b SIP/2.0\r\n"
                                 "Call-ID: c1\r\nCSeq: 1 INVITE\r\nFrom: <sip:a@a>;tag=1\r\n"
                                 "To: <sip:bob@b>\r\nContent-Type: application/sdp\r\n"
                                 "Content-Length: 10\r\n\r\nv=0\r\no=- 1";

static st_ladder_msg_t req(int64_t ms, endpoint_t s, endpoint_t d, const char *m, uint32_t cseq)
{
    return (st_ladder_msg_t){.ts_ns = T0 + ms * NS_PER_MSEC,
                             .src = s,
                             .dst = d,
                             .is_request = true,
                             .method = m,
                             .cseq = cseq,
                             .cseq_method = m};
}

static st_ladder_msg_t resp(int64_t ms, endpoint_t s, endpoint_t d, int code, const char *r,
                            uint32_t cseq, const char *cm)
{
    return (st_ladder_msg_t){.ts_ns = T0 + ms * NS_PER_MSEC,
                             .src = s,
                             .dst = d,
                             .status_code = code,
                             .reason = r,
                             .cseq = cseq,
                             .cseq_method = cm};
}

/* The rendered text split in lines (NUL-terminated in place). */
typedef struct {
    char *text, whole[16384]; /* whole: the text before it was split */
    char *line[256];
    int n;
} lines_t;

static void split(lines_t *l, buf_t *b)
{
    buf_putc(b, '\0');
    l->text = b->data;
    snprintf(l->whole, sizeof l->whole, "%s", b->data);
    l->n = 0;
    if (getenv("LADDER_PRINT")) fputs(b->data, stdout);
    for (char *p = l->text; *p && l->n < 256;) {
        char *nl = strchr(p, '\n');
        l->line[l->n++] = p;
        if (!nl) break;
        *nl = '\0';
        p = nl + 1;
    }
}

/* The lanes' columns, from the row with the column titles. */
static int lanes_of(const lines_t *l, int *pos, int max)
{
    for (int i = 0; i < l->n; i++) {
        if (!strstr(l->line[i], "TIME s")) continue;
        int n = 0;
        for (int c = 0; l->line[i][c]; c++)
            if (l->line[i][c] == '|' && n < max) pos[n++] = c;
        return n;
    }
    return 0;
}

/* The row of message number k (1-based). */
static const char *row_of(const lines_t *l, int k)
{
    char want[16];
    snprintf(want, sizeof want, "%d ", k);
    for (int i = 0; i < l->n; i++) {
        const char *s = l->line[i];
        while (*s == ' ')
            s++;
        if (strncmp(s, want, strlen(want)) == 0 && strchr(s, '|')) return l->line[i];
    }
    return NULL;
}

/* Asserts the row draws an arrow from lane a to lane b holding label. */
static void assert_arrow(const char *row, const int *pos, int a, int b, const char *label)
{
    assert_non_null(row);
    assert_true((int)strlen(row) > pos[a] && (int)strlen(row) > pos[b]);
    assert_int_equal(row[pos[a]], '|');
    assert_int_equal(row[pos[b]], '|');
    if (a < b)
        assert_int_equal(row[pos[b] - 1], '>');
    else
        assert_int_equal(row[pos[b] + 1], '<');
    int lo = a < b ? a : b, hi = a < b ? b : a;
    const char *at = strstr(row, label);
    assert_non_null(at);
    assert_true(at - row > pos[lo] && at - row < pos[hi]);
}

static void test_two_hosts(void **state)
{
    endpoint_t a = ep4(1, 5060), b = ep4(2, 5080);
    st_ladder_msg_t m[8];
    m[0] = req(0, a, b, "INVITE", 1);
    m[0].data = (const uint8_t *)INVITE_SDP, m[0].len = sizeof INVITE_SDP - 1;
    m[1] = resp(12, b, a, 100, "Trying", 1, "INVITE");
    m[2] = req(500, a, b, "INVITE", 1); /* its retransmission, same bytes */
    m[2].data = m[0].data, m[2].len = m[0].len;
    m[3] = resp(700, b, a, 180, "Ringing", 1, "INVITE");
    m[4] = resp(2500, b, a, 200, "OK", 1, "INVITE");
    m[5] = req(2510, a, b, "ACK", 1);
    m[6] = req(62510, b, a, "BYE", 1);
    m[7] = resp(62520, a, b, 200, "OK", 1, "BYE");
    buf_t out;
    buf_init(&out);
    st_ladder_render(&out, m, 8, &(st_ladder_opts_t){.width = 100});
    lines_t l;
    split(&l, &out);
    assert_non_null(strstr(l.line[0], "8 messages, 2 hosts"));
    assert_non_null(strstr(l.whole, "10.0.0.1:5060"));
    assert_non_null(strstr(l.whole, "10.0.0.2:5080"));
    assert_true(strstr(l.whole, "10.0.0.1:5060") < strstr(l.whole, "10.0.0.2:5080"));
    int pos[8];
    assert_int_equal(lanes_of(&l, pos, 8), 2);
    assert_arrow(row_of(&l, 1), pos, 0, 1, "INVITE (SDP)");
    assert_arrow(row_of(&l, 2), pos, 1, 0, "100 Trying");
    assert_arrow(row_of(&l, 3), pos, 0, 1, "INVITE (SDP)");
    assert_arrow(row_of(&l, 4), pos, 1, 0, "180 Ringing");
    assert_arrow(row_of(&l, 5), pos, 1, 0, "200 OK");
    assert_arrow(row_of(&l, 6), pos, 0, 1, "ACK");
    assert_arrow(row_of(&l, 7), pos, 1, 0, "BYE");
    assert_arrow(row_of(&l, 8), pos, 0, 1, "200 OK");
    for (int k = 1; k <= 8; k++)
        assert_int_equal(strstr(row_of(&l, k), "retransmission") != NULL, k == 3);
    assert_non_null(strstr(row_of(&l, 3), "0.500"));
    assert_non_null(strstr(row_of(&l, 7), "62.510"));
    assert_non_null(strstr(row_of(&l, 7), "60.000")); /* since the ACK */
    for (int i = 0; i < l.n; i++)
        assert_true(strlen(l.line[i]) <= 100);
    buf_free(&out);
}

static void test_retransmission_rule(void **state)
{
    endpoint_t a = ep4(1, 5060), b = ep4(2, 5060);
    st_ladder_msg_t m[6];
    m[0] = req(0, a, b, "INVITE", 1);
    m[1] = req(500, a, b, "INVITE", 2); /* another CSeq */
    m[2] = req(600, b, a, "INVITE", 1); /* the other way */
    m[3] = req(700, a, b, "INVITE", 1); /* same fields, no bytes: repeated */
    m[4] = resp(800, b, a, 180, "Ringing", 1, "INVITE");
    m[5] = resp(900, b, a, 183, "Progress", 1, "INVITE");
    for (int i = 0; i < 6; i++)
        assert_int_equal(st_ladder_is_retransmission(m, (size_t)i), i == 3);
    /* with bytes, different bytes are a different message */
    m[0].data = (const uint8_t *)"x", m[0].len = 1;
    m[3].data = (const uint8_t *)"y", m[3].len = 1;
    assert_false(st_ladder_is_retransmission(m, 3));
    m[3].data = (const uint8_t *)"x";
    assert_true(st_ladder_is_retransmission(m, 3));
}

static void test_proxy_and_self(void **state)
{
    endpoint_t a = ep4(1, 5060), p = ep4(9, 5060), b = ep4(2, 5060);
    st_ladder_msg_t m[5];
    m[0] = req(0, a, p, "INVITE", 1);
    m[1] = req(5, p, b, "INVITE", 1);
    m[2] = resp(50, b, a, 486, "Busy Here", 1, "INVITE"); /* skips the proxy's lane */
    m[3] = req(60, p, p, "OPTIONS", 7);
    m[4] = req(70, a, b, "ACK", 1);
    buf_t out;
    buf_init(&out);
    st_ladder_render(&out, m, 5, NULL);
    lines_t l;
    split(&l, &out);
    int pos[8];
    assert_int_equal(lanes_of(&l, pos, 8), 3);
    assert_arrow(row_of(&l, 1), pos, 0, 1, "INVITE");
    assert_arrow(row_of(&l, 2), pos, 1, 2, "INVITE");
    assert_arrow(row_of(&l, 3), pos, 2, 0, "486 Busy Here");
    assert_arrow(row_of(&l, 5), pos, 0, 2, "ACK");
    const char *self = row_of(&l, 4);
    assert_non_null(self);
    assert_int_equal(self[pos[1]], 'o');
    assert_non_null(strstr(self, "OPTIONS (to itself)"));
    /* lanes in order of first appearance: a, the proxy, b */
    assert_true(strstr(l.whole, "10.0.0.1:5060") < strstr(l.whole, "10.0.0.9:5060"));
    assert_true(strstr(l.whole, "10.0.0.9:5060") < strstr(l.whole, "10.0.0.2:5060"));
    buf_free(&out);
}

static void test_ipv6_names(void **state)
{
    endpoint_t a = {0}, b = {0};
    assert_true(ip_addr_parse(SV_LIT("2001:db8:1234:5678:9abc:def0:1234:5678"), &a.ip));
    assert_true(ip_addr_parse(SV_LIT("2001:db8:1234:5678:9abc:def0:1234:5679"), &b.ip));
    a.port = b.port = 5060;
    st_ladder_msg_t m[2] = {req(0, a, b, "INVITE", 1), resp(1, b, a, 200, "OK", 1, "INVITE")};
    buf_t out;
    buf_init(&out);
    st_ladder_render(&out, m, 2, NULL);
    lines_t l;
    split(&l, &out);
    /* each full name on a row of its own (the names are wider than a lane) */
    assert_non_null(strstr(l.whole, "[2001:db8:1234:5678:9abc:def0:1234:5678]:5060"));
    assert_non_null(strstr(l.whole, "[2001:db8:1234:5678:9abc:def0:1234:5679]:5060"));
    int pos[4];
    assert_int_equal(lanes_of(&l, pos, 4), 2);
    assert_arrow(row_of(&l, 1), pos, 0, 1, "INVITE");
    assert_arrow(row_of(&l, 2), pos, 1, 0, "200 OK");
    buf_free(&out);
}

/* No byte that could act on a terminal: C0 other than newline, DEL, C1
 * (as UTF-8), bidi overrides, and nothing that is not well-formed UTF-8. */
static void assert_inert(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)s[i];
        assert_false(c < 0x20 && c != '\n');
        assert_false(c == 0x7f);
        if (c < 0x80) continue;
        size_t n = c >= 0xc2 && c <= 0xdf   ? 2
                   : c >= 0xe0 && c <= 0xef ? 3
                   : c >= 0xf0 && c <= 0xf4 ? 4
                                            : 0;
        assert_true(n > 0 && i + n <= len);
        for (size_t k = 1; k < n; k++)
            assert_int_equal((uint8_t)s[i + k] & 0xc0, 0x80);
        if (c == 0xc2) assert_false((uint8_t)s[i + 1] <= 0x9f); /* C1 */
        if (c == 0xe2 && (uint8_t)s[i + 1] == 0x80)
            assert_false((uint8_t)s[i + 2] >= 0xaa && (uint8_t)s[i + 2] <= 0xae);
        i += n - 1;
    }
}

static void test_hostile(void **state)
{
    endpoint_t a = ep4(1, 5060), b = ep4(2, 5060);
    static const char raw[] = "INVITE sip:x SIP/2.0\r\nUser-Agent: \x1b[2J\x1b]0;owned\x07 "
                              "\xe2\x80\xae evil \xc2\x9b 31m \x9b\xff\r\nX: \\ back\r\n\r\n";
    st_ladder_msg_t m[3];
    m[0] = req(0, a, b, "INV\x1b[31mITE\xe2\x80\xae", 1);
    m[0].data = (const uint8_t *)raw, m[0].len = sizeof raw - 1;
    m[1] = resp(1, b, a, 400, "Bad \x1b]8;;http://x\x07 \xc2\x85\xff Request", 1, "INVITE");
    m[2] = req(2, a, b, "\x7f\x01\x02", 2);
    buf_t out;
    buf_init(&out);
    st_ladder_render(&out, m, 3, &(st_ladder_opts_t){.width = 120, .raw = true});
    assert_inert(out.data, out.len);
    buf_putc(&out, '\0');
    /* the raw section: every line of the message, escaped */
    assert_non_null(strstr(out.data, "INVITE sip:x SIP/2.0\n"));
    assert_non_null(strstr(out.data, "User-Agent: \\x1b[2J\\x1b]0;owned\\x07"));
    assert_non_null(strstr(out.data, "X: \\\\ back\n"));
    assert_non_null(strstr(out.data, "(message bytes not stored)"));
    buf_free(&out);
}

static void test_wide_and_empty(void **state)
{
    /* 12 hosts in a chain: every arrow still meets its lanes */
    st_ladder_msg_t m[11];
    for (int i = 0; i < 11; i++)
        m[i] = req(i, ep4((uint8_t)(i + 1), 5060), ep4((uint8_t)(i + 2), 5060), "INVITE", 1);
    buf_t out;
    buf_init(&out);
    st_ladder_render(&out, m, 11, &(st_ladder_opts_t){.width = 80});
    lines_t l;
    split(&l, &out);
    int pos[16];
    assert_int_equal(lanes_of(&l, pos, 16), 12);
    for (int i = 0; i < 11; i++)
        assert_arrow(row_of(&l, i + 1), pos, i, i + 1, "INVITE");
    buf_free(&out);
    buf_init(&out);
    st_ladder_render(&out, m, 0, NULL);
    buf_putc(&out, '\0');
    assert_non_null(strstr(out.data, "no SIP messages"));
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_hosts),      cmocka_unit_test(test_retransmission_rule),
        cmocka_unit_test(test_proxy_and_self), cmocka_unit_test(test_ipv6_names),
        cmocka_unit_test(test_hostile),        cmocka_unit_test(test_wide_and_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
