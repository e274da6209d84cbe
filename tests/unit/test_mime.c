/* test_mime.c - unit tests of the multipart body splitter (proto/mime.c):
 * boundaries quoted or not, CRLF and LF, preamble/epilogue, parts without
 * headers, missing close delimiter, limits and malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"

#include "proto_testlib.h"

static mime_part_t parts[8];
static char *copy;

/* Splits body (copied to an exact-size heap buffer) with content type ct. */
static int split(const char *ct, const char *body, int max)
{
    size_t n = strlen(body);
    free(copy);
    copy = malloc(n ? n : 1);
    memcpy(copy, body, n);
    return mime_multipart_parse(sv_from_cstr(ct), sv_make(copy, n), parts, max);
}

static void test_siprec_body(void **state)
{
    (void)state;
    int n = split("multipart/mixed;boundary=uniqueBoundary",
                  "--uniqueBoundary\r\n"
                  "Content-Type: application/sdp\r\n"
                  "Content-Disposition: session;handling=required\r\n"
                  "\r\n"
                  "v=0\r\n"
                  "m=audio 1 RTP/AVP 0\r\n"
                  "\r\n"
                  "--uniqueBoundary\r\n"
                  "Content-Type: application/rs-metadata+xml\r\n"
                  "\r\n"
                  "<recording/>\r\n"
                  "--uniqueBoundary--\r\n",
                  8);
    assert_int_equal(n, 2);
    assert_sv(parts[0].content_type, "application/sdp");
    assert_sv(parts[0].body, "v=0\r\nm=audio 1 RTP/AVP 0\r\n");
    assert_sv(parts[0].headers, "Content-Type: application/sdp\r\n"
                                "Content-Disposition: session;handling=required\r\n");
    assert_sv(parts[1].content_type, "application/rs-metadata+xml");
    assert_sv(parts[1].body, "<recording/>");
}

static void test_quoted_boundary_lf_preamble(void **state)
{
    (void)state;
    int n = split("multipart/alternative; boundary=\"simple boundary\"; charset=x",
                  "This is the preamble.\n"
                  "--simple boundary\n"
                  "\n"
                  "implicitly typed plain text\n"
                  "--simple boundary  \n"
                  "c: text/plain; charset=us-ascii\n"
                  "\n"
                  "explicit\n"
                  "--simple boundary--\n"
                  "epilogue\n",
                  8);
    assert_int_equal(n, 2);
    assert_sv(parts[0].content_type, "text/plain");
    assert_int_equal(parts[0].headers.len, 0);
    assert_sv(parts[0].body, "implicitly typed plain text");
    assert_sv(parts[1].content_type, "text/plain; charset=us-ascii");
    assert_sv(parts[1].body, "explicit");
}

static void test_boundary_inside_part(void **state)
{
    (void)state;
    /* "--b" not at a line start, and "--bx" (longer boundary), do not split */
    int n = split("multipart/mixed;boundary=b",
                  "--b\r\nContent-Type: text/plain\r\n\r\nx --b y\r\n--bx\r\nz\r\n--b--", 8);
    assert_int_equal(n, 1);
    assert_sv(parts[0].body, "x --b y\r\n--bx\r\nz");
}

static void test_missing_close_and_limits(void **state)
{
    (void)state;
    /* no close delimiter: last part runs to the end */
    int n = split("multipart/mixed;boundary=zz",
                  "--zz\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n", 8);
    assert_int_equal(n, 1);
    assert_sv(parts[0].body, "v=0\r\n");
    /* max_parts */
    n = split("multipart/mixed;boundary=zz",
              "--zz\r\n\r\na\r\n--zz\r\n\r\nb\r\n--zz\r\n\r\nc\r\n--zz--", 2);
    assert_int_equal(n, 2);
    assert_sv(parts[1].body, "b");
    n = split("multipart/mixed;boundary=zz", "--zz\r\n\r\na\r\n--zz--", 0);
    assert_int_equal(n, 0);
    /* Content-Type folded over two lines */
    n = split("multipart/mixed;boundary=zz", "--zz\r\nContent-Type:\r\n application/sdp\r\n\r\nv=0",
              8);
    assert_int_equal(n, 1);
    assert_sv(parts[0].content_type, "application/sdp");
    /* part with headers but no blank line: all headers, empty body */
    n = split("multipart/mixed;boundary=zz", "--zz\r\nContent-Type: text/plain", 8);
    assert_int_equal(n, 1);
    assert_int_equal(parts[0].body.len, 0);
}

static void test_malformed(void **state)
{
    (void)state;
    assert_int_equal(split("multipart/mixed", "--x\r\n\r\na\r\n--x--", 8), -1);
    assert_int_equal(split("multipart/mixed;boundary=", "--\r\n\r\na\r\n----", 8), -1);
    assert_int_equal(split("multipart/mixed;boundary=\"open", "--open\r\n", 8), -1);
    assert_int_equal(split("multipart/mixed;boundary=x", "no delimiter at all", 8), -1);
    assert_int_equal(split("multipart/mixed;boundary=x", "", 8), -1);
    /* delimiter line without a line end: no part */
    assert_int_equal(split("multipart/mixed;boundary=x", "--x", 8), 0);
    /* the AST-2017-003 shape: garbage boundary, LF only, truncated */
    assert_int_equal(split("multipart/mixed;`boundary=++", "--\n--++=AAA\nxxx\n--+", 8), -1);
    assert_int_equal(mime_multipart_parse(SV_LIT("multipart/mixed;boundary=x"), SV_NULL, parts, 8),
                     -1);
}

/* Reads a shared file into an exact-size heap buffer (kept in copy). */
static size_t load(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/data/siprec/%s", SHARED_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    static char tmp[65536];
    size_t n = fread(tmp, 1, sizeof tmp, f);
    fclose(f);
    free(copy);
    copy = malloc(n ? n : 1);
    memcpy(copy, tmp, n);
    return n;
}

/* Real SIPREC offers (drachtio test data, LF line ends): each body holds an
 * SDP part with two labelled streams next to the recording metadata. */
static void test_real_siprec_bodies(void **state)
{
    (void)state;
    static const char *const files[] = {
        "cisco_cube_invite_body.txt",         "cisco_cube_invite_body_inactive.txt",
        "oracle_acme_sbc_invite_body.txt",    "avaya_env_acme_format_invite_body.txt",
        "sonus_ribbon_sbc_invite_body.txt",   "sems_procomm_invite_body.txt",
        "opensips_connectel_invite_body.txt", "broadworks_invite_body_mangled.txt",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t n = load(files[i]);
        /* the boundary is the first "--" line */
        const char *d = copy;
        while (d < copy + n && !(d[0] == '-' && d + 1 < copy + n && d[1] == '-')) {
            const char *nl = memchr(d, '\n', (size_t)(copy + n - d));
            if (!nl) break;
            d = nl + 1;
        }
        assert_true(d < copy + n);
        const char *e = memchr(d, '\n', (size_t)(copy + n - d));
        assert_non_null(e);
        char ct[160];
        snprintf(ct, sizeof ct, "multipart/mixed;boundary=\"%.*s\"", (int)(e - d - 2), d + 2);
        int np = mime_multipart_parse(sv_from_cstr(ct), sv_make(copy, n), parts, 8);
        if (np < 2) fail_msg("%s: %d parts", files[i], np);
        int found = -1;
        for (int k = 0; k < np; k++)
            if (sv_istarts_with(parts[k].content_type, "application/sdp")) found = k;
        if (found < 0) fail_msg("%s: no SDP part", files[i]);
        sdp_t s;
        assert_int_equal(sdp_parse(parts[found].body, &s), PROTO_OK);
        if (strstr(files[i], "mangled")) continue; /* negative case: no crash is enough */
        assert_int_equal(s.media_count, 2);
        assert_true(s.media[0].label.len > 0);
        assert_true(s.media[1].label.len > 0);
        assert_false(sv_eq(s.media[0].label, s.media[1].label));
    }

    /* a whole SIPREC INVITE with LF line ends */
    size_t n = load("intrado_viper_full_invite.txt");
    static sip_msg_t msg;
    proto_status_t st = sip_parse_message((const uint8_t *)copy, n, &msg);
    assert_true(st == PROTO_OK || st == PROTO_INCOMPLETE);
    assert_sv(msg.call_id, "6c953981285cde0446619ca30087d35a@10.106.2.10:5060");
    assert_sv(msg.from.display, "NOCALLERID");
    assert_sv(msg.via_transport, "TCP");
    sv_t body;
    assert_true(sip_find_sdp(&msg, &body));
    sdp_t s;
    assert_int_equal(sdp_parse(body, &s), PROTO_OK);
    assert_sv(s.media[0].label, "1");
    assert_int_equal(s.media[0].direction, SDP_SENDONLY);
}

static int teardown(void **state)
{
    (void)state;
    free(copy);
    copy = NULL;
    return 0;
}

/* mime_part_header: Content-Disposition of a SIPREC metadata part, compact
 * names, folded lines, absent headers. */
static void test_part_header(void **state)
{
    (void)state;
    const char *body = "--b\r\nContent-Type: application/rs-metadata+xml\r\n"
                       "content-disposition: recording-session;\r\n handling=required\r\n\r\n"
                       "<recording/>\r\n--b\nc: application/sdp\n\nv=0\n--b--\n";
    assert_int_equal(split("multipart/mixed;boundary=\"b\"", body, 8), 2);
    sv_t d = mime_part_header(parts[0].headers, "Content-Disposition", NULL);
    assert_true(sv_istarts_with(d, "recording-session;"));
    assert_true(sv_ifind(d, SV_LIT("handling=required")) > 0);
    assert_sv(mime_part_header(parts[1].headers, "Content-Type", "c"), "application/sdp");
    assert_null(mime_part_header(parts[1].headers, "Content-Disposition", NULL).p);
    assert_null(mime_part_header(SV_NULL, "Content-Type", "c").p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_siprec_body),
        cmocka_unit_test(test_quoted_boundary_lf_preamble),
        cmocka_unit_test(test_boundary_inside_part),
        cmocka_unit_test(test_missing_close_and_limits),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_real_siprec_bodies),
        cmocka_unit_test(test_part_header),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
