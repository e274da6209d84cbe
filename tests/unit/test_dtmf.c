/* test_dtmf.c - unit tests of the DTMF parsers (proto/dtmf.c): RFC 4733
 * telephone-event payloads from SIPp's dtmf_2833_*.pcap captures (the RTP
 * header parsed by rtp_parse_header), hand-built payloads, and SIP INFO
 * application/dtmf-relay and application/dtmf bodies.
 *
 * Expected capture values were read with
 *   tshark -r dtmf_2833_1.pcap -d udp.port==10000,rtp \
 *          -o rtpevent.event_payload_type_value:101 -T fields \
 *          -e rtpevent.event_id -e rtpevent.end_of_event \
 *          -e rtpevent.volume -e rtpevent.duration -e rtp.marker
 * Every file holds 10 packets of PT 101: durations 0, 320, ... 1920 without
 * the E bit (the first with the marker bit), then 2240 with E three times
 * (the end packet sent thrice, RFC 4733 2.5.1.4); volume 10. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "proto.h"

#define SIPP_DIR "/usr/share/sip-tester/"

static proto_status_t parse_event(const uint8_t *bytes, size_t len, rtp_event_t *e)
{
    uint8_t *b = malloc(len ? len : 1);
    if (len) memcpy(b, bytes, len);
    proto_status_t st = rtp_event_parse(b, len, e);
    free(b);
    return st;
}

static char *last_copy;
static proto_status_t parse_info(const char *text, dtmf_info_t *d)
{
    size_t len = strlen(text);
    free(last_copy);
    last_copy = malloc(len ? len : 1);
    if (len) memcpy(last_copy, text, len);
    return dtmf_relay_parse(sv_make(last_copy, len), d);
}

/* Checks one SIPp capture: all packets are events of the given code. */
static void check_capture(const char *file, uint8_t event, char digit)
{
    char path[256], err[PCAP_ERRBUF_SIZE];
    snprintf(path, sizeof path, SIPP_DIR "%s", file);
    pcap_t *pc = pcap_open_offline(path, err);
    if (!pc) fail_msg("%s", err);
    assert_int_equal(pcap_datalink(pc), DLT_EN10MB);
    struct pcap_pkthdr *h;
    const u_char *d;
    int i = 0;
    while (pcap_next_ex(pc, &h, &d) == 1) {
        /* Ethernet (14) + IPv4 (IHL) + UDP (8) */
        assert_true(h->caplen >= 14 + 20 + 8);
        assert_int_equal((d[12] << 8) | d[13], 0x0800);
        size_t ihl = (size_t)(d[14] & 0x0f) * 4;
        size_t udp = 14 + ihl, rtp = udp + 8;
        size_t ulen = (size_t)((d[udp + 4] << 8) | d[udp + 5]);
        assert_true(udp + ulen <= h->caplen);
        rtp_header_t rh = {0};
        assert_int_equal(rtp_parse_header(d + rtp, ulen - 8, &rh), PROTO_OK);
        assert_int_equal(rh.payload_type, 101);
        assert_int_equal(rh.marker, i == 0);
        assert_int_equal(rh.payload_len, 4);
        rtp_event_t e = {0};
        assert_int_equal(parse_event(d + rtp + rh.header_len, rh.payload_len, &e), PROTO_OK);
        assert_int_equal(e.event, event);
        assert_int_equal(e.digit, digit);
        assert_int_equal(e.volume, 10);
        assert_false(e.reserved);
        assert_int_equal(e.end, i >= 7);
        assert_int_equal(e.duration, i >= 7 ? 2240 : 320 * i);
        i++;
    }
    assert_int_equal(i, 10);
    pcap_close(pc);
}

static void test_sipp_captures(void **state)
{
    (void)state;
    if (access(SIPP_DIR "dtmf_2833_1.pcap", R_OK) != 0) skip();
    check_capture("dtmf_2833_1.pcap", 1, '1');
    check_capture("dtmf_2833_pound.pcap", 11, '#');
    check_capture("dtmf_2833_star.pcap", 10, '*');
    for (uint8_t n = 0; n <= 9; n++) {
        char name[32];
        snprintf(name, sizeof name, "dtmf_2833_%u.pcap", n);
        check_capture(name, n, (char)('0' + n));
    }
}

static void test_event_payload(void **state)
{
    (void)state;
    rtp_event_t e;
    const uint8_t flash[4] = {16, 0xc0 | 63, 0xff, 0xff}; /* E, R, volume 63 */
    assert_int_equal(parse_event(flash, 4, &e), PROTO_OK);
    assert_int_equal(e.event, RTP_EVENT_FLASH);
    assert_int_equal(e.digit, '!');
    assert_true(e.end);
    assert_true(e.reserved);
    assert_int_equal(e.volume, 63);
    assert_int_equal(e.duration, 65535);
    const uint8_t d15[8] = {15, 0x0a, 0x01, 0x40, 9, 9, 9, 9}; /* extra bytes ignored */
    assert_int_equal(parse_event(d15, sizeof d15, &e), PROTO_OK);
    assert_int_equal(e.digit, 'D');
    assert_false(e.end);
    assert_int_equal(e.duration, 320);
    const uint8_t tone[4] = {70, 0, 0, 160}; /* a non-DTMF event (RFC 4734 tone) */
    assert_int_equal(parse_event(tone, 4, &e), PROTO_OK);
    assert_int_equal(e.event, 70);
    assert_int_equal(e.digit, 0);
    for (size_t n = 0; n < 4; n++)
        assert_int_equal(parse_event(tone, n, &e), PROTO_INVALID);

    const char want[] = "0123456789*#ABCD!";
    for (unsigned ev = 0; ev < 256; ev++)
        assert_int_equal(rtp_event_char((uint8_t)ev), ev <= 16 ? want[ev] : 0);
}

static void test_dtmf_relay(void **state)
{
    (void)state;
    dtmf_info_t d;
    assert_int_equal(parse_info("Signal=5\r\nDuration=160\r\n", &d), PROTO_OK);
    assert_int_equal(d.digit, '5');
    assert_int_equal(d.event, 5);
    assert_true(d.has_duration);
    assert_int_equal(d.duration, 160);
    /* case-insensitive keys, spaces, LF only, no trailing newline */
    assert_int_equal(parse_info("signal = #\nDURATION= 250", &d), PROTO_OK);
    assert_int_equal(d.digit, '#');
    assert_int_equal(d.event, 11);
    assert_int_equal(d.duration, 250);
    assert_int_equal(parse_info("Duration=100\r\nSignal=*\r\n", &d), PROTO_OK);
    assert_int_equal(d.digit, '*');
    assert_int_equal(d.event, 10);
    assert_int_equal(parse_info("Signal=b\r\n", &d), PROTO_OK);
    assert_int_equal(d.digit, 'B');
    assert_int_equal(d.event, 13);
    assert_false(d.has_duration);
    /* numeric signals as Asterisk accepts: 10 '*', 11 '#', 16 flash */
    assert_int_equal(parse_info("Signal=11\r\nDuration=100\r\n", &d), PROTO_OK);
    assert_int_equal(d.digit, '#');
    assert_int_equal(parse_info("Signal=16\r\n", &d), PROTO_OK);
    assert_int_equal(d.digit, '!');
    assert_int_equal(d.event, RTP_EVENT_FLASH);
    assert_int_equal(parse_info("Signal=!\r\n", &d), PROTO_OK);
    assert_int_equal(d.event, RTP_EVENT_FLASH);
    /* the first Signal wins; an unparsable Duration is just absent */
    assert_int_equal(parse_info("Signal=1\r\nSignal=2\r\nDuration=abc\r\n", &d), PROTO_OK);
    assert_int_equal(d.digit, '1');
    assert_false(d.has_duration);
    assert_int_equal(parse_info("Signal=1\r\nDuration=99999999999\r\n", &d), PROTO_OK);
    assert_false(d.has_duration);

    assert_int_equal(parse_info("Duration=160\r\n", &d), PROTO_INVALID);
    assert_int_equal(parse_info("Signal=\r\n", &d), PROTO_INVALID);
    assert_int_equal(parse_info("Signal=17\r\n", &d), PROTO_INVALID);
    assert_int_equal(parse_info("Signal=E\r\n", &d), PROTO_INVALID);
    assert_int_equal(parse_info("Signal=12 3\r\n", &d), PROTO_INVALID);
    assert_int_equal(parse_info("Signals=1\r\n", &d), PROTO_INVALID);
}

/* application/dtmf: the body is the digit itself. */
static void test_dtmf_plain(void **state)
{
    (void)state;
    dtmf_info_t d;
    assert_int_equal(parse_info("7", &d), PROTO_OK);
    assert_int_equal(d.digit, '7');
    assert_false(d.has_duration);
    assert_int_equal(parse_info("  #\r\n", &d), PROTO_OK);
    assert_int_equal(d.digit, '#');
    assert_int_equal(parse_info("14", &d), PROTO_OK); /* event number 14 = C */
    assert_int_equal(d.digit, 'C');
    assert_int_equal(parse_info("", &d), PROTO_INVALID);
    assert_int_equal(parse_info("\r\n", &d), PROTO_INVALID);
    assert_int_equal(parse_info("x", &d), PROTO_INVALID);
    assert_int_equal(parse_info("hello world", &d), PROTO_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sipp_captures),
        cmocka_unit_test(test_event_payload),
        cmocka_unit_test(test_dtmf_relay),
        cmocka_unit_test(test_dtmf_plain),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(last_copy);
    return rc;
}
