/* test_mime.c - unit tests of the multipart body splitter (proto/mime.c):
 * boundaries quoted or not, CRLF and LF, preamble/epilogue, parts without
 * headers, missing close delimiter, limits and malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"

#define assert_sv(v, s)                                                                            \
    do {                                                                                           \
        sv_t v_ = (v);                                                                             \
        if (!sv_eq(v_, sv_from_cstr(s)))                                                           \
            fail_msg("expected \"%s\", got \"%.*s\"", (s), SV_FMT(v_));                            \
    } while (0)

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

static int teardown(void **state)
{
    (void)state;
    free(copy);
    copy = NULL;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_siprec_body),
        cmocka_unit_test(test_quoted_boundary_lf_preamble),
        cmocka_unit_test(test_boundary_inside_part),
        cmocka_unit_test(test_missing_close_and_limits),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
