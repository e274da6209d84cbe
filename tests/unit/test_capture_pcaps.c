/* test_capture_pcaps.c - the capture component on real third-party captures
 * (SHARED_DIR/data/pcaps, see SOURCES.md there).  Expected counts were
 * checked with tshark 4.0, e.g.:
 *   tshark -r heplify_sip_ipv4_tcp_fragmented.pcap -d tcp.port==6060,sip -Y sip   (406)
 *   tshark -r heplify_sip_tcp_websocket.pcap -Y sip                          (39)
 *   tshark -r heplify_sip_tcp_websocket.pcap -Y "sip && websocket"           (11)
 *   tshark -r sngrep_ipv6frag.pcap -Y sip                                    (32)
 *   tshark -r suricata-verify_sip-body-large__sip-body-large.pcap -Y sip \
 *          -T fields -e tcp.reassembled.length                               (65793)
 *   tshark -r heplify_sip_sctp.pcap -Y sip                                   (4)
 *   tshark -r zeek_erspanI.pcap -T fields -e frame.protocols  (10 x ...gre:erspan:eth:ip:icmp)
 * Also: file errors (a truncated copy made here), and several files merged
 * in timestamp order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "capture_test_util.h"
#include "proto.h"

#define PCAPS SHARED_DIR "/data/pcaps/"

typedef struct {
    uint64_t datagrams, sip, udp_sip, tcp_sip, ws_sip, sctp_sip;
    char sctp_first_lines[8][64]; /* of the SIP messages over SCTP */
    size_t max_sip_len;
    cap_stats_t st;
    uint64_t frames_read;
    int errors;
} run_t;

static void run_cb(void *user, const datagram_t *dg)
{
    run_t *r = user;
    r->datagrams++;
    if (!sip_probe(dg->data, dg->len)) return;
    r->sip++;
    if (dg->transport == TRANSPORT_UDP) r->udp_sip++;
    if (dg->transport == TRANSPORT_TCP) r->tcp_sip++;
    if (dg->transport == TRANSPORT_WS) r->ws_sip++;
    if (dg->transport == TRANSPORT_SCTP && r->sctp_sip < 8) {
        char *l = r->sctp_first_lines[r->sctp_sip++];
        size_t n = 0;
        while (n < dg->len && n < 63 && dg->data[n] != '\r')
            n++;
        memcpy(l, dg->data, n);
        l[n] = 0;
    }
    if (dg->len > r->max_sip_len) r->max_sip_len = dg->len;
}

static run_t run_file(const char *name)
{
    run_t r;
    memset(&r, 0, sizeof r);
    char path[512], err[512];
    snprintf(path, sizeof path, PCAPS "%s", name);
    const char *paths[1] = {path};
    cap_files_t *f = cap_files_open(paths, 1, err, sizeof err);
    if (!f) fail_msg("%s", err);
    cap_decoder_t *d = cap_decoder_new(NULL, run_cb, &r);
    cap_frame_t fr;
    int rc;
    while ((rc = cap_files_next(f, &fr, err, sizeof err)) != 0) {
        if (rc < 0) {
            r.errors++;
            continue;
        }
        r.frames_read++;
        cap_decode_frame(d, &fr);
    }
    assert_int_equal(cap_files_read_bytes(f), cap_files_total_bytes(f));
    r.st = *cap_decoder_stats(d);
    cap_decoder_free(d);
    cap_files_close(f);
    assert_int_equal(r.errors, 0);
    assert_int_equal(r.st.frames, r.frames_read);
    assert_int_equal(r.st.datagrams_out, r.datagrams);
    return r;
}

static void test_tcp_fragmented_port_6060(void **state)
{
    run_t r = run_file("heplify_sip_ipv4_tcp_fragmented.pcap");
    assert_int_equal(r.tcp_sip, 406);
    assert_int_equal(r.st.tcp_sip_messages, 406);
    assert_int_equal(r.sip, 406);
    assert_int_equal(r.st.tcp_framing_errors, 0);
}

static void test_tcp_small_captures(void **state)
{
    run_t r = run_file("heplify_sip_ipv4_tcp.pcap");
    assert_int_equal(r.tcp_sip, 7); /* INVITE 100 180 200 ACK BYE 200 */
    r = run_file("heplify_sip_ipv4_tcp_retrans.pcap");
    assert_int_equal(r.sip, 8);
    assert_int_equal(r.tcp_sip, 4);
    assert_true(r.st.tcp_retransmissions >= 1);
    r = run_file("suricata-verify_sip-tcp-method__sip-tcp.pcap");
    assert_int_equal(r.tcp_sip, 2);
    r = run_file("suricata-verify_sip-tcp-pattern-matching__sip.pcap");
    assert_int_equal(r.tcp_sip, 2);
}

static void test_large_body_bsd_null(void **state)
{
    run_t r = run_file("suricata-verify_sip-body-large__sip-body-large.pcap");
    /* the INVITE with its 65536-byte body, and a 100 Trying */
    assert_int_equal(r.tcp_sip, 2);
    assert_int_equal(r.max_sip_len, 65793);
    assert_int_equal(r.st.tcp_buffer_overflows, 0);
}

static void test_websocket_capture(void **state)
{
    run_t r = run_file("heplify_sip_tcp_websocket.pcap");
    assert_int_equal(r.ws_sip, 11);
    assert_int_equal(r.st.ws_messages, 11);
    assert_int_equal(r.sip, 39);
    assert_int_equal(r.st.ws_errors, 0);
}

static void test_http_on_sip_port_is_not_sip(void **state)
{
    run_t r = run_file("ndpi_http_on_sip_port.pcap");
    assert_int_equal(r.sip, 0);
    assert_int_equal(r.datagrams, 0);
    assert_true(r.st.tcp_non_sip_streams >= 1);
}

static void test_ipv6_fragments_capture(void **state)
{
    run_t r = run_file("sngrep_ipv6frag.pcap");
    assert_int_equal(r.sip, 32);
    assert_int_equal(r.st.frag_reassembled, 2);
    assert_int_equal(r.st.frag_fragments, 4);
    assert_int_equal(r.st.ipv6, 34);
}

static void test_tunnels_with_sip(void **state)
{
    run_t r = run_file("sngrep_ipip.pcap");
    assert_int_equal(r.tcp_sip, 4);
    assert_int_equal(r.st.tunnels, 2);
    r = run_file("heplify_ipip0.pcap"); /* raw IP link */
    assert_int_equal(r.udp_sip, 8);
    r = run_file("ndpi_gre.pcapng"); /* VLAN + GRE/PPP */
    assert_int_equal(r.udp_sip, 1);
    assert_int_equal(r.st.tunnels, 1);
    assert_int_equal(r.st.ipv4, 2);
}

static void test_tunnels_without_sip(void **state)
{
    run_t r = run_file("zeek_erspanI.pcap");
    assert_int_equal(r.st.tunnels, 10);
    assert_int_equal(r.st.ipv4, 20);
    assert_int_equal(r.st.other_l4, 10); /* inner ICMP */
    r = run_file("zeek_erspanII.pcap");
    assert_int_equal(r.st.tunnels, 4);
    assert_int_equal(r.st.ipv4, 8);
    assert_int_equal(r.st.other_l4, 4);
    r = run_file("zeek_erspanIII.pcap");
    assert_int_equal(r.st.tunnels, 2);
    assert_int_equal(r.st.ipv4, 4);
    assert_int_equal(r.st.other_l4, 2);
    r = run_file("zeek_tunnels_vxlan.pcap");
    assert_int_equal(r.st.tunnels, 10);
    assert_int_equal(r.st.non_ip, 2); /* inner ARP */
    assert_int_equal(r.st.ipv4, 18);
    assert_int_equal(r.st.other_l4, 8);
    assert_int_equal(r.datagrams, 0);
    r = run_file("zeek_http-qinq-0.pcap");
    assert_int_equal(r.st.ipv4, 14);
    assert_int_equal(r.st.tcp, 14);
    assert_int_equal(r.datagrams, 0);
    assert_int_equal(r.st.invalid + r.st.truncated + r.st.non_ip, 0);
}

static void test_udp_and_others(void **state)
{
    /* tshark -r heplify_sip_sctp.pcap -Y sip: INVITE (two DATA fragments,
     * TSN 0 and 1, unordered), 100, 403, ACK; checksums all valid */
    run_t r = run_file("heplify_sip_sctp.pcap");
    assert_int_equal(r.st.sctp, 5);
    assert_int_equal(r.st.sctp_data_chunks, 5);
    assert_int_equal(r.st.sctp_reassembled, 1);
    assert_int_equal(r.st.sctp_reasm_dropped + r.st.sctp_non_sip + r.st.sctp_bad_checksum, 0);
    assert_int_equal(r.datagrams, 4);
    assert_int_equal(r.sctp_sip, 4);
    assert_string_equal(r.sctp_first_lines[0], "INVITE sip:9275890000@VMSSM;user=phone SIP/2.0");
    assert_string_equal(r.sctp_first_lines[1], "SIP/2.0 100 Giving a try");
    assert_string_equal(r.sctp_first_lines[2], "SIP/2.0 403 The reason is nocallee");
    assert_string_equal(r.sctp_first_lines[3], "ACK sip:9275890000@VMSSM;user=phone SIP/2.0");
    r = run_file("sngrep_aaa.pcap");
    assert_int_equal(r.udp_sip, 81);
    r = run_file("heplify_sip_ipv6_udp.pcap");
    assert_int_equal(r.udp_sip, 6);
    r = run_file("zeek_sip_sip-long-request-response-paths.pcap");
    assert_int_equal(r.udp_sip, 2);
    r = run_file("ndpi_rtcp_multiple_pkts_in_the_same_datagram.pcap"); /* Linux SLL */
    assert_int_equal(r.datagrams, 5);
    /* the fuzzed capture: anything may happen, except a crash */
    r = run_file("ndpi_fuzz-2006-06-26-2594.pcap");
    assert_true(r.st.truncated + r.st.invalid > 0);
}

static void test_nanosecond_timestamps(void **state)
{
    char err[256];
    const char *paths[1] = {PCAPS "ndpi_gre.pcapng"};
    cap_files_t *f = cap_files_open(paths, 1, err, sizeof err);
    assert_non_null(f);
    cap_frame_t fr;
    assert_int_equal(cap_files_next(f, &fr, err, sizeof err), 1);
    assert_int_equal(fr.ts_ns, 1483501349095788000LL); /* tshark frame.time_epoch */
    assert_int_equal(fr.frame_no, 1);
    assert_int_equal(fr.linktype, 1);
    assert_string_equal(fr.file, paths[0]);
    assert_int_equal(cap_files_next(f, &fr, err, sizeof err), 0);
    cap_files_close(f);

    assert_null(cap_files_open((const char *[]){"/nonexistent/x.pcap"}, 1, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/x.pcap"));
}

/* pcapng writer for hand-made files: a section header, one interface
 * (Ethernet) with an if_tsresol option when tsresol >= 0, then enhanced
 * packet blocks with raw 64-bit timestamps. */
static void le32(FILE *f, uint32_t v)
{
    fwrite(&v, 4, 1, f); /* the host is little-endian; the BOM says so */
}

static void pcapng_begin(FILE *f, int tsresol)
{
    le32(f, 0x0A0D0D0A), le32(f, 28), le32(f, 0x1A2B3C4D), le32(f, 1); /* v1.0 */
    le32(f, 0xffffffff), le32(f, 0xffffffff), le32(f, 28);
    uint32_t len = 20 + (tsresol >= 0 ? 12 : 0);
    le32(f, 1), le32(f, len), le32(f, 1 /* DLT_EN10MB */), le32(f, 65535);
    if (tsresol >= 0) le32(f, 9 | 1u << 16), le32(f, (uint32_t)tsresol), le32(f, 0);
    le32(f, len);
}

static void pcapng_packet(FILE *f, uint64_t ts, const uint8_t *p, uint32_t n)
{
    uint32_t padded = (n + 3) & ~3u, len = 32 + padded;
    le32(f, 6), le32(f, len), le32(f, 0), le32(f, (uint32_t)(ts >> 32)), le32(f, (uint32_t)ts);
    le32(f, n), le32(f, n);
    fwrite(p, 1, n, f);
    for (uint32_t i = n; i < padded; i++)
        fputc(0, f);
    le32(f, len);
}

/* Absurd capture times (a pcapng timestamp of 2^64-1 in microseconds, in
 * seconds with if_tsresol 2^0, beyond 2^63 in nanoseconds) reach siphon
 * clamped to [0, CAP_TS_MAX_NS] and counted in timestamps_clamped; a sane
 * one in seconds comes through exactly. */
static void test_extreme_timestamps(void **state)
{
    (void)state;
    pkt_t k = pkt_str("OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n");
    udp_wrap(&k, 5060, 5060);
    ipv4_wrap(&k, 0x0a000001, 0x0a000002, 17);
    eth_wrap(&k, 0x0800);
    char path[] = "/tmp/siphon_ts_XXXXXX";
    close(mkstemp(path));
    struct {
        int tsresol;
        uint64_t ts;
        int64_t want; /* -1: clamped to either end */
    } cases[] = {
        {-1, UINT64_MAX, -1},                             /* microseconds */
        {0x80, UINT64_MAX, -1},                           /* 2^0 s */
        {0x80, (uint64_t)1 << 62, -1},                    /* 2^0 s */
        {9, ((uint64_t)1 << 63) + 5, -1},                 /* ns, past INT64_MAX */
        {0x80, 1700000000, 1700000000 * NS_PER_SEC},      /* a sane one */
        {-1, 1700000000123456ull, 1700000000123456000LL}, /* microseconds */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        pcapng_begin(f, cases[i].tsresol);
        pcapng_packet(f, cases[i].ts, k.p, (uint32_t)k.n);
        fclose(f);
        char err[256];
        const char *paths[1] = {path};
        cap_files_t *cf = cap_files_open(paths, 1, err, sizeof err);
        assert_non_null(cf);
        run_t r;
        memset(&r, 0, sizeof r);
        cap_decoder_t *d = cap_decoder_new(NULL, run_cb, &r);
        cap_frame_t fr;
        assert_int_equal(cap_files_next(cf, &fr, err, sizeof err), 1);
        print_message("case %zu: ts %lld\n", i, (long long)fr.ts_ns);
        assert_true(fr.ts_ns >= 0 && fr.ts_ns <= CAP_TS_MAX_NS);
        cap_decode_frame(d, &fr);
        cap_decoder_expire(d, fr.ts_ns);
        if (cases[i].want >= 0) {
            assert_int_equal(fr.ts_ns, cases[i].want);
            assert_int_equal(cap_decoder_stats(d)->timestamps_clamped, 0);
        } else {
            assert_int_equal(cap_decoder_stats(d)->timestamps_clamped, 1);
        }
        assert_int_equal(r.udp_sip, 1);
        assert_int_equal(cap_files_next(cf, &fr, err, sizeof err), 0);
        cap_decoder_free(d);
        cap_files_close(cf);
    }
    unlink(path);
    pkt_free(&k);

    /* a frame handed to the decoder directly is clamped there too */
    run_t r;
    memset(&r, 0, sizeof r);
    cap_decoder_t *d = cap_decoder_new(NULL, run_cb, &r);
    pkt_t u = pkt_str("OPTIONS sip:a@b SIP/2.0\r\nCall-ID: y\r\nCSeq: 1 OPTIONS\r\n\r\n");
    udp_wrap(&u, 5060, 5060);
    ipv4_wrap(&u, 0x0a000001, 0x0a000002, 17);
    cap_frame_t fr = {.linktype = 101,
                      .ts_ns = INT64_MIN,
                      .data = u.p,
                      .caplen = (uint32_t)u.n,
                      .wirelen = (uint32_t)u.n,
                      .frame_no = 1,
                      .file = "direct"};
    cap_decode_frame(d, &fr);
    fr.ts_ns = INT64_MAX;
    fr.frame_no = 2;
    cap_decode_frame(d, &fr);
    assert_int_equal(cap_decoder_stats(d)->timestamps_clamped, 2);
    assert_int_equal(r.udp_sip, 2);
    cap_decoder_free(d);
    pkt_free(&u);
}

/* Files that cannot be read among good ones: each is reported (-1, its
 * name in err) before any frame, then the good ones are read whole; a
 * gzip-compressed copy reads as the original; with no readable file at all,
 * open fails naming every one. */
static void test_unreadable_among_good(void **state)
{
    (void)state;
    char gz[] = "/tmp/siphon_gz_XXXXXX";
    close(mkstemp(gz));
    assert_int_equal(test_sh("gzip -c %s > %s", PCAPS "sngrep_aaa.pcap", gz), 0);
    const char *paths[] = {"/nonexistent/a.pcap", PCAPS "sngrep_aaa.pcap",
                           TEST_SRC_DIR "/unit/test_capture_pcaps.c", gz};
    char err[512];
    cap_files_t *f = cap_files_open(paths, 4, err, sizeof err);
    assert_non_null(f);
    cap_frame_t fr;
    assert_int_equal(cap_files_next(f, &fr, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/a.pcap"));
    assert_int_equal(cap_files_next(f, &fr, err, sizeof err), -1);
    assert_non_null(strstr(err, TEST_SRC_DIR "/unit/test_capture_pcaps.c"));
    assert_non_null(strstr(err, "not a pcap or pcapng capture"));
    uint64_t frames[4] = {0};
    int rc;
    while ((rc = cap_files_next(f, &fr, err, sizeof err)) == 1)
        frames[strcmp(fr.file, gz) == 0 ? 3 : 1]++;
    assert_int_equal(rc, 0);
    assert_true(frames[1] > 0);
    assert_int_equal(frames[3], frames[1]);
    assert_int_equal(cap_files_read_bytes(f), cap_files_total_bytes(f));
    cap_files_close(f);
    unlink(gz);

    const char *bad[] = {"/nonexistent/b.pcap", TEST_SRC_DIR "/unit/test_capture_pcaps.c"};
    assert_null(cap_files_open(bad, 2, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/b.pcap"));
    assert_non_null(strstr(err, TEST_SRC_DIR "/unit/test_capture_pcaps.c"));
}

/* Copies src to a temporary file cut to keep bytes. */
static void truncated_copy(const char *src, const char *dst, long keep)
{
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[4096];
    long left = keep;
    while (left > 0) {
        size_t n = fread(buf, 1, left < (long)sizeof buf ? (size_t)left : sizeof buf, in);
        if (n == 0) break;
        fwrite(buf, 1, n, out);
        left -= (long)n;
    }
    fclose(in);
    fclose(out);
}

static void test_truncated_file(void **state)
{
    /* ndpi_sip.pcap: 112 frames.  Keep the header, all of frame 1..k and a
     * piece of the next record. */
    char dst[] = "/tmp/siphon_trunc_XXXXXX";
    int fd = mkstemp(dst);
    assert_true(fd >= 0);
    close(fd);
    const char *src = PCAPS "ndpi_sip.pcap";
    /* find the byte offset of the 11th record by walking the first ten */
    FILE *in = fopen(src, "rb");
    assert_non_null(in);
    long off = 24;
    for (int i = 0; i < 10; i++) {
        uint8_t rh[16];
        fseek(in, off, SEEK_SET);
        assert_int_equal(fread(rh, 1, 16, in), 16);
        uint32_t caplen = (uint32_t)rh[8] | (uint32_t)rh[9] << 8 | (uint32_t)rh[10] << 16 |
                          (uint32_t)rh[11] << 24;
        off += 16 + (long)caplen;
    }
    fclose(in);
    truncated_copy(src, dst, off + 16 + 20); /* record 11: header + 20 bytes */

    char err[512];
    const char *paths[2] = {dst, PCAPS "heplify_sip_ipv6_udp.pcap"};
    cap_files_t *f = cap_files_open(paths, 2, err, sizeof err);
    assert_non_null(f);
    cap_frame_t fr;
    int rc, frames = 0, errors = 0;
    while ((rc = cap_files_next(f, &fr, err, sizeof err)) != 0) {
        if (rc < 0) {
            errors++;
            printf("# %s\n", err);
            assert_non_null(strstr(err, dst));
            char want[64];
            snprintf(want, sizeof want, "offset %ld", off);
            assert_non_null(strstr(err, want));
            continue;
        }
        frames++;
    }
    assert_int_equal(errors, 1);
    assert_int_equal(frames, 10 + 6); /* the good frames of both files */
    cap_files_close(f);
    unlink(dst);
}

/* Splits a capture into two files (odd and even frames) and checks that
 * merging them restores the original order. */
static void test_merge_in_timestamp_order(void **state)
{
    const char *src = PCAPS "ndpi_sip.pcap";
    char a[] = "/tmp/siphon_merge_a_XXXXXX", b[] = "/tmp/siphon_merge_b_XXXXXX";
    close(mkstemp(a));
    close(mkstemp(b));
    char ebuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(src, ebuf);
    assert_non_null(p);
    pcap_dumper_t *da = pcap_dump_open(p, a), *db = pcap_dump_open(p, b);
    struct pcap_pkthdr *h;
    const u_char *data;
    int64_t orig_ts[200];
    int n = 0;
    while (pcap_next_ex(p, &h, &data) == 1 && n < 200) {
        orig_ts[n] = (int64_t)h->ts.tv_sec * NS_PER_SEC + (int64_t)h->ts.tv_usec * 1000;
        pcap_dump((u_char *)(n % 2 ? db : da), h, data);
        n++;
    }
    pcap_dump_close(da);
    pcap_dump_close(db);
    pcap_close(p);

    char err[256];
    const char *paths[2] = {b, a}; /* order on the command line must not matter */
    cap_files_t *f = cap_files_open(paths, 2, err, sizeof err);
    assert_non_null(f);
    cap_frame_t fr;
    int i = 0;
    int64_t last = INT64_MIN;
    while (cap_files_next(f, &fr, err, sizeof err) == 1) {
        assert_true(i < n);
        assert_true(fr.ts_ns >= last);
        assert_int_equal(fr.ts_ns, orig_ts[i]);
        assert_string_equal(fr.file, (i % 2) ? b : a);
        assert_int_equal(fr.frame_no, (uint64_t)i + 1);
        last = fr.ts_ns;
        i++;
    }
    assert_int_equal(i, n);
    assert_int_equal(cap_files_read_bytes(f), cap_files_total_bytes(f));
    cap_files_close(f);
    unlink(a);
    unlink(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_fragmented_port_6060),
        cmocka_unit_test(test_tcp_small_captures),
        cmocka_unit_test(test_large_body_bsd_null),
        cmocka_unit_test(test_websocket_capture),
        cmocka_unit_test(test_http_on_sip_port_is_not_sip),
        cmocka_unit_test(test_ipv6_fragments_capture),
        cmocka_unit_test(test_tunnels_with_sip),
        cmocka_unit_test(test_tunnels_without_sip),
        cmocka_unit_test(test_udp_and_others),
        cmocka_unit_test(test_nanosecond_timestamps),
        cmocka_unit_test(test_extreme_timestamps),
        cmocka_unit_test(test_unreadable_among_good),
        cmocka_unit_test(test_truncated_file),
        cmocka_unit_test(test_merge_in_timestamp_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
