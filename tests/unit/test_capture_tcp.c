/* test_capture_tcp.c - SIP over TCP stream reassembly and SIP over
 * WebSocket: split messages, several per segment, retransmissions,
 * out-of-order segments, gaps and resynchronisation, limits, non-SIP
 * streams, SYN/FIN/RST, mid-stream pickup, a 64 KiB body, and WebSocket
 * handshake, masking, 16/64-bit lengths, fragmentation and control frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "capture_test_util.h"

#define CLI 0x0a000001u
#define SRV 0x0a000002u

static got_t got;

#define MSG_A                                                                                      \
    "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bKa\r\n"          \
    "Call-ID: a@10.0.0.1\r\nCSeq: 1 INVITE\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:bob@x>\r\n"        \
    "Content-Type: application/sdp\r\nContent-Length: 23\r\n\r\n"                                  \
    "v=0\r\no=- 1 1 IN IP4 x\r\n"
#define MSG_B                                                                                      \
    "SIP/2.0 100 Trying\r\nVia: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bKa\r\nCall-ID: a@10.0.0.1\r\n"   \
    "CSeq: 1 INVITE\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:bob@x>\r\nContent-Length: 0\r\n\r\n"
#define MSG_C                                                                                      \
    "BYE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bKc\r\n"             \
    "Call-ID: a@10.0.0.1\r\nCSeq: 2 BYE\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:bob@x>;tag=2\r\n"     \
    "Content-Length: 0\r\n\r\n"

static cap_decoder_t *new_decoder(const cap_limits_t *l)
{
    got_reset(&got);
    cap_decoder_t *d = cap_decoder_new(l, got_cb, &got);
    assert_non_null(d);
    return d;
}

/* For the tests that send one segment twice in a row (retransmissions,
 * a duplicate while out of order): segments go 1 ms apart, so with the
 * default limits duplicate suppression (on by default, capture/dedup.c)
 * would drop the byte-identical second copy as a capture duplicate before
 * the TCP layer saw it.  Those tests are about the reassembler's handling
 * of retransmitted bytes, so they switch suppression off. */
static cap_decoder_t *new_decoder_replay(void)
{
    cap_limits_t l;
    cap_limits_default(&l);
    l.dedup_slots = 0;
    return new_decoder(&l);
}

static int64_t now;

/* One segment from (src, sport) to (dst, dport). */
static void seg(cap_decoder_t *d, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                uint32_t seq, uint8_t flags, const void *data, size_t len)
{
    pkt_t k = pkt_new(data, len);
    tcp_wrap(&k, sport, dport, seq, flags);
    ipv4_wrap(&k, src, dst, 6);
    eth_wrap(&k, 0x0800);
    feed_pkt(d, 1, &k, now += NS_PER_MSEC);
    pkt_free(&k);
}

/* client -> server on 40000 -> 5060 */
static void cseg(cap_decoder_t *d, uint32_t seq, uint8_t flags, const void *data, size_t len)
{
    seg(d, CLI, 40000, SRV, 5060, seq, flags, data, len);
}

static void sseg(cap_decoder_t *d, uint32_t seq, uint8_t flags, const void *data, size_t len)
{
    seg(d, SRV, 5060, CLI, 40000, seq, flags, data, len);
}

static const cap_stats_t *st(cap_decoder_t *d)
{
    return cap_decoder_stats(d);
}

static void test_split_message(void **state)
{
    cap_decoder_t *d = new_decoder(NULL);
    const char *m = MSG_A;
    size_t n = strlen(m);
    cseg(d, 999, TH_SYN, NULL, 0);
    sseg(d, 5000, TH_SYN | TH_ACK, NULL, 0);
    cseg(d, 1000, TH_ACK, m, 10); /* "INVITE sip" */
    cseg(d, 1010, TH_ACK, m + 10, 100);
    assert_int_equal(got.n, 0);
    cseg(d, 1110, TH_ACK, m + 110, n - 110);
    assert_int_equal(got.n, 1);
    assert_true(dg_is(&got.dg[0], MSG_A));
    assert_int_equal(got.dg[0].dg.transport, TRANSPORT_TCP);
    assert_int_equal(v4_of(&got.dg[0].dg.src.ip), CLI);
    assert_int_equal(got.dg[0].dg.src.port, 40000);
    assert_int_equal(got.dg[0].dg.dst.port, 5060);
    /* the response in the other direction */
    sseg(d, 5001, TH_ACK, MSG_B, strlen(MSG_B));
    assert_int_equal(got.n, 2);
    assert_true(dg_is(&got.dg[1], MSG_B));
    assert_int_equal(got.dg[1].dg.src.port, 5060);
    assert_int_equal(st(d)->tcp_sip_messages, 2);
    assert_int_equal(st(d)->tcp_streams, 2);
    cap_decoder_free(d);
}

static void test_two_messages_one_segment(void **state)
{
    cap_decoder_t *d = new_decoder(NULL);
    const char *two = "\r\n\r\n" MSG_A "\r\n" MSG_C MSG_B;
    cseg(d, 1, TH_ACK | TH_PSH, two, strlen(two));
    assert_int_equal(got.n, 3);
    assert_true(dg_is(&got.dg[0], MSG_A));
    assert_true(dg_is(&got.dg[1], MSG_C));
    assert_true(dg_is(&got.dg[2], MSG_B));
    assert_int_equal(st(d)->tcp_framing_errors, 0);
    cap_decoder_free(d);
}

static void test_retransmissions(void **state)
{
    cap_decoder_t *d = new_decoder_replay();
    const char *m = MSG_A MSG_C;
    size_t n = strlen(m);
    cseg(d, 100, TH_ACK, m, 200);
    cseg(d, 100, TH_ACK, m, 200);      /* complete retransmission */
    cseg(d, 150, TH_ACK, m + 50, 250); /* partial overlap: 100 new bytes */
    cseg(d, 100, TH_ACK, m, n);        /* everything again, rest new */
    cseg(d, 100, TH_ACK, m, n);        /* and once more */
    assert_int_equal(got.n, 2);
    assert_true(dg_is(&got.dg[0], MSG_A));
    assert_true(dg_is(&got.dg[1], MSG_C));
    assert_int_equal(st(d)->tcp_retransmissions, 4);
    cap_decoder_free(d);
}

static void test_out_of_order(void **state)
{
    cap_decoder_t *d = new_decoder_replay();
    const char *m = MSG_A MSG_C;
    size_t n = strlen(m);
    cseg(d, 0, TH_SYN, NULL, 0);
    cseg(d, 1 + 300, TH_ACK, m + 300, n - 300);
    cseg(d, 1 + 100, TH_ACK, m + 100, 200);
    cseg(d, 1 + 100, TH_ACK, m + 100, 200); /* duplicate while held */
    assert_int_equal(got.n, 0);
    cseg(d, 1, TH_ACK, m, 150); /* fills the hole, overlaps the held one */
    assert_int_equal(got.n, 2);
    assert_true(dg_is(&got.dg[0], MSG_A));
    assert_true(dg_is(&got.dg[1], MSG_C));
    assert_int_equal(st(d)->tcp_out_of_order, 2);
    assert_true(st(d)->tcp_retransmissions >= 1);
    cap_decoder_free(d);
}

static void test_gap_resync(void **state)
{
    cap_limits_t l;
    cap_limits_default(&l);
    l.max_tcp_stream_bytes = 1500;
    cap_decoder_t *d = new_decoder(&l);
    /* MSG_A's middle is lost for good; then MSG_B, MSG_C arrive beyond
     * the hole, more than the out-of-order limit holds */
    char stream[8192];
    int n = snprintf(stream, sizeof stream, "%s", MSG_A);
    for (int i = 0; i < 10; i++)
        n += snprintf(stream + n, sizeof stream - (size_t)n, "%s%s", MSG_B, MSG_C);
    n += snprintf(stream + n, sizeof stream - (size_t)n, "%s", MSG_B);
    uint32_t base = 1000;
    cseg(d, base, TH_ACK, stream, 50);
    for (int off = 100; off < n; off += 100) {
        int len = n - off < 100 ? n - off : 100;
        cseg(d, base + (uint32_t)off, TH_ACK, stream + off, (size_t)len);
    }
    printf("# gap test: %zu of 21 messages after the hole delivered, %lu gaps\n", got.n,
           (unsigned long)st(d)->tcp_gaps);
    assert_true(st(d)->tcp_gaps >= 1);
    assert_true(st(d)->tcp_out_of_order > 0);
    /* MSG_A is lost; the framer found the next start lines again.  All
     * messages that do arrive are complete and intact. */
    assert_int_equal(got.n, 21);
    for (size_t i = 0; i < got.n; i++)
        assert_true(dg_is(&got.dg[i], MSG_B) || dg_is(&got.dg[i], MSG_C));
    assert_true(dg_is(&got.dg[got.n - 1], MSG_B));
    cap_decoder_free(d);
}

static void test_framing_error_resync(void **state)
{
    cap_decoder_t *d = new_decoder(NULL);
    const char *bad = "OPTIONS sip:x SIP/2.0\r\nCall-ID: z\r\nContent-Length: zzz\r\n\r\n"
                      "junk junk\r\n" MSG_C;
    cseg(d, 1, TH_ACK, MSG_B, strlen(MSG_B));
    cseg(d, 1 + (uint32_t)strlen(MSG_B), TH_ACK, bad, strlen(bad));
    assert_int_equal(got.n, 2);
    assert_true(dg_is(&got.dg[0], MSG_B));
    assert_true(dg_is(&got.dg[1], MSG_C));
    assert_int_equal(st(d)->tcp_framing_errors, 1);
    cap_decoder_free(d);
}

static void test_limits(void **state)
{
    cap_limits_t l;
    cap_limits_default(&l);
    l.max_tcp_streams = 2;
    l.max_tcp_stream_bytes = 2048;
    cap_decoder_t *d = new_decoder(&l);
    /* three flows each with a partial message: the oldest is evicted */
    for (uint16_t p = 1; p <= 3; p++)
        seg(d, CLI, p, SRV, 5060, 1, TH_ACK, MSG_A, 40);
    assert_int_equal(st(d)->tcp_streams, 3);
    assert_int_equal(st(d)->tcp_streams_evicted, 1);
    /* a body larger than the buffer: overflow, then resync on the next */
    char big[4096];
    int hl = snprintf(big, sizeof big,
                      "MESSAGE sip:x SIP/2.0\r\nCall-ID: q\r\nCSeq: 1 MESSAGE\r\nFrom: <sip:a@x>"
                      ";tag=1\r\nTo: <sip:b@x>\r\nContent-Length: 3000\r\n\r\n");
    memset(big + hl, 'b', sizeof big - (size_t)hl);
    uint32_t seq = 1;
    cseg(d, seq, TH_ACK, big, 1000);
    seq += 1000;
    cseg(d, seq, TH_ACK, big + 1000, 1000);
    seq += 1000;
    cseg(d, seq, TH_ACK, big + 2000, 1000);
    seq += 1000;
    assert_int_equal(st(d)->tcp_buffer_overflows, 1);
    /* rest of the body, then a good message */
    cseg(d, seq, TH_ACK, big, (size_t)hl + 3000 - 3000);
    seq += (uint32_t)hl;
    cseg(d, seq, TH_ACK, "\r\n" MSG_C, strlen(MSG_C) + 2);
    assert_int_equal(got.n, 1);
    assert_true(dg_is(&got.dg[0], MSG_C));
    cap_decoder_free(d);
}

static void test_total_bytes_limit(void **state)
{
    cap_limits_t l;
    cap_limits_default(&l);
    l.max_tcp_total_bytes = 8192;
    cap_decoder_t *d = new_decoder(&l);
    for (uint16_t p = 1; p <= 10; p++)
        seg(d, CLI, p, SRV, 5060, 1, TH_ACK, MSG_A, 100);
    assert_true(st(d)->tcp_streams_evicted > 0);
    cap_decoder_free(d);
}

/* The flow cap reached over and over: each new flow past it evicts exactly
 * one, and halves taken back from evicted flows start clean: the last
 * flows complete their messages, an evicted one is picked up mid-stream
 * and its lost start is never emitted. */
static void test_stream_cap_reuse(void **state)
{
    cap_limits_t l;
    cap_limits_default(&l);
    l.max_tcp_streams = 8;
    cap_decoder_t *d = new_decoder(&l);
    const char *msg = MSG_A;
    const size_t cut = 40, n = strlen(msg);
    for (uint16_t p = 1; p <= 1000; p++)
        seg(d, CLI, p, SRV, 5060, 1, TH_ACK, msg, cut);
    assert_int_equal(st(d)->tcp_streams, 1000);
    assert_int_equal(st(d)->tcp_streams_evicted, 992);
    for (uint16_t p = 993; p <= 1000; p++)
        seg(d, CLI, p, SRV, 5060, 1 + (uint32_t)cut, TH_ACK, msg + cut, n - cut);
    assert_int_equal(got.n, 8);
    for (size_t i = 0; i < got.n; i++) {
        assert_true(dg_is(&got.dg[i], MSG_A));
        assert_int_equal(got.dg[i].dg.src.port, 993 + i);
    }
    seg(d, CLI, 1, SRV, 5060, 1 + (uint32_t)cut, TH_ACK, msg + cut, n - cut);
    assert_int_equal(got.n, 8);
    assert_int_equal(st(d)->tcp_streams, 1001);
    assert_int_equal(st(d)->tcp_streams_evicted, 993);
    cap_decoder_free(d);
}

static void test_non_sip_stream(void **state)
{
    cap_decoder_t *d = new_decoder(NULL);
    const char *http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    cseg(d, 0, TH_SYN, NULL, 0);
    cseg(d, 1, TH_ACK, http, strlen(http));
    cseg(d, 1 + (uint32_t)strlen(http), TH_ACK, MSG_C, strlen(MSG_C));
    assert_int_equal(got.n, 0);
    assert_int_equal(st(d)->tcp_non_sip_streams, 1);
    /* short binary junk with no line end is also not SIP */
    seg(d, CLI, 1234, SRV, 5060, 0, TH_SYN, NULL, 0);
    uint8_t junk[80] = {0x16, 0x03, 0x01};
    seg(d, CLI, 1234, SRV, 5060, 1, TH_ACK, junk, sizeof junk);
    assert_int_equal(st(d)->tcp_non_sip_streams, 2);
    assert_int_equal(got.n, 0);
    cap_decoder_free(d);
}

static void test_fin_rst_and_reuse(void **state)
{
    cap_decoder_t *d = new_decoder(NULL);
    cseg(d, 10, TH_SYN, NULL, 0);
    cseg(d, 11, TH_ACK | TH_FIN, MSG_C, strlen(MSG_C));
    assert_int_equal(got.n, 1);
    /* the direction is gone: a new SYN starts a fresh stream */
    cseg(d, 7000, TH_SYN, NULL, 0);
    cseg(d, 7001, TH_ACK, MSG_C, 20);
    assert_int_equal(st(d)->tcp_streams, 2);
    sseg(d, 1, TH_ACK, MSG_B, 30);
    /* RST from the server frees both directions */
    sseg(d, 31, TH_RST, NULL, 0);
    cseg(d, 7021, TH_ACK, &MSG_C[20], strlen(MSG_C) - 20); /* mid-message: nothing */
    assert_int_equal(got.n, 1);
    assert_int_equal(st(d)->tcp_streams, 4);
    /* a pure ACK of an unknown flow creates nothing */
    seg(d, CLI, 999, SRV, 5060, 1, TH_ACK, NULL, 0);
    assert_int_equal(st(d)->tcp_streams, 4);
    cap_decoder_free(d);
}

static void test_midstream_pickup(void **state)
{
    cap_decoder_t *d = new_decoder(NULL);
    /* capture starts inside MSG_A's body */
    const char *m = MSG_A MSG_C MSG_B;
    size_t skip = strlen(MSG_A) - 10;
    cseg(d, 50000, TH_ACK, m + skip, strlen(m) - skip);
    assert_int_equal(got.n, 2);
    assert_true(dg_is(&got.dg[0], MSG_C));
    assert_true(dg_is(&got.dg[1], MSG_B));
    assert_int_equal(st(d)->tcp_non_sip_streams, 0);
    cap_decoder_free(d);
}

static void test_large_body(void **state)
{
    cap_decoder_t *d = new_decoder(NULL);
    size_t body = 65536;
    char *m = malloc(body + 512);
    int hl = snprintf(m, 512,
                      "INVITE sip:b@x SIP/2.0\r\nCall-ID: big\r\nCSeq: 1 INVITE\r\nFrom: <sip:a@x>"
                      ";tag=1\r\nTo: <sip:b@x>\r\nContent-Length: %zu\r\n\r\n",
                      body);
    for (size_t i = 0; i < body; i++)
        m[hl + (int)i] = (char)('a' + i % 26);
    size_t n = (size_t)hl + body;
    uint32_t seq = 1;
    for (size_t off = 0; off < n; off += 1448) {
        size_t len = n - off < 1448 ? n - off : 1448;
        cseg(d, seq, TH_ACK, m + off, len);
        seq += (uint32_t)len;
    }
    assert_int_equal(got.n, 1);
    assert_int_equal(got.dg[0].dg.len, n);
    assert_memory_equal(got.dg[0].dg.data, m, n);
    free(m);
    cap_decoder_free(d);
}

/* ------------------------------------------------------------------------ */
/* WebSocket                                                                 */
/* ------------------------------------------------------------------------ */

/* Appends one frame to out; returns its length. */
static size_t ws_frame(uint8_t *out, bool fin, uint8_t op, bool mask, const void *payload,
                       size_t len, bool force64)
{
    size_t n = 0;
    out[n++] = (uint8_t)((fin ? 0x80 : 0) | op);
    uint8_t m = mask ? 0x80 : 0;
    if (force64 || len > 65535) {
        out[n++] = m | 127;
        for (int i = 7; i >= 0; i--)
            out[n++] = (uint8_t)((uint64_t)len >> (8 * i));
    } else if (len > 125) {
        out[n++] = m | 126;
        put16(out + n, (uint16_t)len);
        n += 2;
    } else {
        out[n++] = m | (uint8_t)len;
    }
    const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    if (mask) {
        memcpy(out + n, key, 4);
        n += 4;
    }
    for (size_t i = 0; i < len; i++)
        out[n + i] = ((const uint8_t *)payload)[i] ^ (mask ? key[i & 3] : 0);
    return n + len;
}

#define WS_REQ                                                                                     \
    "GET / HTTP/1.1\r\nHost: sip-ws.example.com\r\nUpgrade: websocket\r\n"                         \
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"                       \
    "Sec-WebSocket-Protocol: sip\r\nSec-WebSocket-Version: 13\r\n\r\n"
#define WS_RESP                                                                                    \
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"            \
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: sip\r\n\r\n"

static void test_websocket(void **state)
{
    cap_decoder_t *d = new_decoder(NULL);
    static uint8_t buf[200000];
    uint32_t cs = 1, ss = 1;
    cseg(d, 0, TH_SYN, NULL, 0);
    sseg(d, 0, TH_SYN | TH_ACK, NULL, 0);
    /* handshake and the first masked frame in one segment */
    size_t n = strlen(WS_REQ);
    memcpy(buf, WS_REQ, n);
    n += ws_frame(buf + n, true, 1, true, MSG_A, strlen(MSG_A), false);
    cseg(d, cs, TH_ACK, buf, n);
    cs += (uint32_t)n;
    assert_int_equal(got.n, 1);
    assert_true(dg_is(&got.dg[0], MSG_A));
    assert_int_equal(got.dg[0].dg.transport, TRANSPORT_WS);
    /* server: 101, then an unmasked 16-bit-length frame split across two
     * segments */
    n = strlen(WS_RESP);
    memcpy(buf, WS_RESP, n);
    n += ws_frame(buf + n, true, 1, false, MSG_B, strlen(MSG_B), false);
    sseg(d, ss, TH_ACK, buf, n - 40);
    sseg(d, ss + (uint32_t)n - 40, TH_ACK, buf + n - 40, 40);
    ss += (uint32_t)n;
    assert_int_equal(got.n, 2);
    assert_true(dg_is(&got.dg[1], MSG_B));
    assert_int_equal(got.dg[1].dg.src.port, 5060);
    /* client: fragmented message (text + ping + continuation + cont/FIN),
     * masked, with a 64-bit length on one fragment */
    const char *m = MSG_C;
    size_t ml = strlen(m);
    n = ws_frame(buf, false, 1, true, m, 30, false);
    n += ws_frame(buf + n, true, 9, true, "hi", 2, false);
    n += ws_frame(buf + n, false, 0, true, m + 30, 50, true);
    n += ws_frame(buf + n, true, 0, true, m + 80, ml - 80, false);
    n += ws_frame(buf + n, true, 8, true, "\x03\xe8", 2, false); /* close */
    cseg(d, cs, TH_ACK, buf, n);
    cs += (uint32_t)n;
    assert_int_equal(got.n, 3);
    assert_true(dg_is(&got.dg[2], MSG_C));
    assert_int_equal(st(d)->ws_messages, 3);
    assert_int_equal(st(d)->ws_control_frames, 2);
    assert_int_equal(st(d)->ws_errors, 0);
    assert_int_equal(st(d)->tcp_sip_messages, 0);
    /* a reserved opcode ends WebSocket decoding of that direction */
    n = ws_frame(buf, true, 3, true, "x", 1, false);
    n += ws_frame(buf + n, true, 1, true, MSG_C, strlen(MSG_C), false);
    cseg(d, cs, TH_ACK, buf, n);
    assert_int_equal(st(d)->ws_errors, 1);
    assert_int_equal(got.n, 3);
    cap_decoder_free(d);
}

static void test_websocket_limits(void **state)
{
    cap_limits_t l;
    cap_limits_default(&l);
    l.max_tcp_stream_bytes = 4096;
    cap_decoder_t *d = new_decoder(&l);
    static uint8_t buf[20000], payload[8000];
    memset(payload, 'p', sizeof payload);
    cseg(d, 0, TH_SYN, NULL, 0);
    size_t n = strlen(WS_REQ);
    memcpy(buf, WS_REQ, n);
    /* fragments adding up past the bound */
    n += ws_frame(buf + n, false, 2, true, payload, 3000, false);
    cseg(d, 1, TH_ACK, buf, n);
    n = ws_frame(buf, true, 0, true, payload, 3000, false);
    cseg(d, 1 + (uint32_t)strlen(WS_REQ) + 3008, TH_ACK, buf, n);
    assert_int_equal(st(d)->ws_errors, 1);
    assert_int_equal(got.n, 0);
    /* an upgrade without the sip subprotocol is not ours */
    const char *plain = "GET /chat HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    seg(d, CLI, 4444, SRV, 80, 0, TH_SYN, NULL, 0);
    seg(d, CLI, 4444, SRV, 80, 1, TH_ACK, plain, strlen(plain));
    assert_int_equal(st(d)->tcp_non_sip_streams, 1);
    cap_decoder_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_message),
        cmocka_unit_test(test_two_messages_one_segment),
        cmocka_unit_test(test_retransmissions),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_gap_resync),
        cmocka_unit_test(test_framing_error_resync),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_total_bytes_limit),
        cmocka_unit_test(test_stream_cap_reuse),
        cmocka_unit_test(test_non_sip_stream),
        cmocka_unit_test(test_fin_rst_and_reuse),
        cmocka_unit_test(test_midstream_pickup),
        cmocka_unit_test(test_large_body),
        cmocka_unit_test(test_websocket),
        cmocka_unit_test(test_websocket_limits),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    got_reset(&got);
    return rc;
}
