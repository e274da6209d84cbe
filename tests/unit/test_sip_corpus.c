/* test_sip_corpus.c - the SIP/SDP/RTP parsers against shared corpora:
 *
 *  1. RFC 4475 torture messages (SHARED_DIR/data/rfc4475, classes in its
 *     INDEX.md): every valid (3.1.1) message parses with PROTO_OK and the
 *     right Call-ID/CSeq; the invalid (3.1.2) ones never crash, and those our
 *     parser is designed to reject (see the decisions in proto/sip.c) are
 *     rejected.  The others are parsed robustly, as a passive monitor should.
 *  2. Regression inputs (data/regress): every file through the parser that
 *     fits its extension, without crash, plus a few exact checks.
 *  3. PROTOS c07-sip (data/protos/instantiated.tar.xz, 4527 INVITEs):
 *     extracted to a temp dir, every case through sip_parse_message,
 *     sip_find_sdp, sdp_parse, sip_parse_name_addr and the framer; outcome
 *     counts per anomaly group are asserted.
 *
 * Every input is copied into an exact-size heap buffer so ASan sees any
 * over-read. */
#include <dirent.h>
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

/* Reads a whole file into an exact-size malloc'd buffer; NULL on error. */
static uint8_t *read_file(const char *path, size_t *len)
{
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    *len = n > 0 ? fread(b, 1, (size_t)n, f) : 0;
    fclose(f);
    return b;
}

static sip_msg_t msg;
static sdp_t sdp;

/* Everything a consumer would do with one SIP message; returns the status
 * of sip_parse_message.  *sdp_st gets sdp_parse's result, -1 when no SDP. */
static proto_status_t exercise_sip(const uint8_t *b, size_t n, int *sdp_st)
{
    proto_status_t st = sip_parse_message(b, n, &msg);
    *sdp_st = -1;
    sv_t body;
    if (sip_find_sdp(&msg, &body)) *sdp_st = (int)sdp_parse(body, &sdp);
    sip_name_addr_t na;
    for (unsigned i = 0; i < 4; i++) {
        sv_t v = sip_header_get(&msg, "Contact", i);
        if (v.p) (void)sip_parse_name_addr(v, &na);
        v = sip_header_get(&msg, "To", i);
        if (v.p) (void)sip_parse_name_addr(v, &na);
    }
    (void)sip_param_get(msg.via, "received");
    (void)sip_probe(b, n);
    size_t fl;
    bool ka;
    (void)sip_frame_message(b, n, 0, &fl, &ka);
    return st;
}

/* ----------------------------- 1. RFC 4475 ------------------------------- */

static proto_status_t rfc4475(const char *name, int *sdp_st)
{
    char path[512];
    snprintf(path, sizeof path, "%s/data/rfc4475/%s", SHARED_DIR, name);
    size_t n;
    uint8_t *b = read_file(path, &n);
    if (!b) fail_msg("cannot read %s", path);
    proto_status_t st = exercise_sip(b, n, sdp_st);
    free(b); /* msg views are dangling now: callers only use the copies below */
    return st;
}

/* Parses the file and keeps the buffer alive in *keep for view checks. */
static proto_status_t rfc4475_keep(const char *name, uint8_t **keep)
{
    char path[512];
    snprintf(path, sizeof path, "%s/data/rfc4475/%s", SHARED_DIR, name);
    size_t n;
    *keep = read_file(path, &n);
    if (!*keep) fail_msg("cannot read %s", path);
    return sip_parse_message(*keep, n, &msg);
}

static void test_rfc4475_valid(void **state)
{
    (void)state;
    static const struct {
        const char *file, *call_id;
        uint32_t cseq;
        const char *cseq_method;
        bool has_sdp;
    } valid[] = {
        {"wsinv.dat", "wsinv.ndaksdj@192.0.2.1", 9, "INVITE", true},
        {"intmeth.dat", "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{", 139122385,
         "!interesting-Method0123456789_*+`.%indeed'~", false},
        {"esc01.dat", "esc01.239409asdfakjkn23onasd0-3234", 234234, "INVITE", true},
        {"escnull.dat", "escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd", 14398234, "REGISTER", false},
        {"esc02.dat", "esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf", 29344, "RE%47IST%45R", false},
        {"lwsdisp.dat", "lwsdisp.1234abcd@funky.example.com", 60, "OPTIONS", false},
        {"longreq.dat",
         "longreq.onereallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreally"
         "reallyreallyreallyreallyreallyreallyreallyreallylongcallid",
         3882340, "INVITE", true},
        {"dblreq.dat", "dblreq.0ha0isndaksdj99sdfafnl3lk233412", 8, "REGISTER", false},
        {"semiuri.dat", "semiuri.0ha0isndaksdj", 8, "OPTIONS", false},
        {"transports.dat", "transports.kijh4akdnaqjkwendsasfdj", 60, "OPTIONS", false},
        {"mpart01.dat", "3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..", 1, "MESSAGE", false},
        {"unreason.dat", "unreason.1234ksdfak3j2erwedfsASdf", 35, "INVITE", true},
        {"noreason.dat", "noreason.asndj203insdf99223ndf", 35, "INVITE", false},
    };
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        uint8_t *b;
        proto_status_t st = rfc4475_keep(valid[i].file, &b);
        if (st != PROTO_OK) fail_msg("%s: status %d", valid[i].file, st);
        assert_sv(msg.call_id, valid[i].call_id);
        assert_int_equal(msg.cseq, valid[i].cseq);
        assert_sv(msg.cseq_method_name, valid[i].cseq_method);
        sv_t body;
        bool has = sip_find_sdp(&msg, &body);
        if (has != valid[i].has_sdp) fail_msg("%s: sdp presence", valid[i].file);
        if (has) assert_int_equal(sdp_parse(body, &sdp), PROTO_OK);
        free(b);
    }

    /* exact details of a few */
    uint8_t *b;
    assert_int_equal(rfc4475_keep("wsinv.dat", &b), PROTO_OK);
    assert_sv(msg.request_uri, "sip:vivekg@chair-dnrc.example.com;unknownparam");
    assert_sv(msg.to.tag, "1918181833n");
    assert_sv(msg.from.tag, "98asjd8");
    assert_sv(msg.from.display, "J Rosenberg \\\\\\\"");
    assert_sv(msg.via_branch, "390skdjuw");
    assert_sv(msg.via_transport, "UDP");
    assert_int_equal(msg.content_length, 150);
    assert_sv(sip_param_get(sip_header_get(&msg, "Via", 1), "branch"), "z9hG4bK9ikj8");
    assert_sv(sip_header_get(&msg, "Subject", 0), "");
    free(b);

    assert_int_equal(rfc4475_keep("intmeth.dat", &b), PROTO_OK);
    assert_sv(msg.method_name, "!interesting-Method0123456789_*+`.%indeed'~");
    assert_int_equal(msg.method, SIP_METHOD_UNKNOWN);
    assert_sv(msg.from.tag, "_token~1'+`*%!-.");
    assert_sv(msg.from.display, "token1~` token2'+_ token3*%!.-");
    free(b);

    assert_int_equal(rfc4475_keep("esc01.dat", &b), PROTO_OK);
    assert_sv(msg.request_uri, "sip:sips%3Auser%40example.com@example.net");
    assert_sv(msg.from.user, "I%20have%20spaces");
    assert_sv(msg.to.user, "%75se%72");
    assert_sv(msg.content_type, "application/sdp");
    free(b);

    assert_int_equal(rfc4475_keep("dblreq.dat", &b), PROTO_OK);
    assert_int_equal(msg.method, SIP_REGISTER);
    assert_int_equal(msg.content_length, 0);
    assert_int_equal(msg.body.len, 0); /* the trailing INVITE is discarded */
    free(b);

    assert_int_equal(rfc4475_keep("noreason.dat", &b), PROTO_OK);
    assert_int_equal(msg.status_code, 100);
    assert_int_equal(msg.reason_phrase.len, 0);
    free(b);

    assert_int_equal(rfc4475_keep("transports.dat", &b), PROTO_OK);
    assert_sv(msg.via_transport, "UDP");
    assert_sv(sip_header_get(&msg, "Via", 0), "SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw");
    free(b);

    assert_int_equal(rfc4475_keep("semiuri.dat", &b), PROTO_OK);
    assert_sv(msg.request_uri, "sip:user;par=u%40example.net@example.com");
    free(b);

    assert_int_equal(rfc4475_keep("longreq.dat", &b), PROTO_OK);
    assert_int_equal(msg.from.tag.len, 155);
    free(b);
}

static void test_rfc4475_others(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        proto_status_t want;
    } cases[] = {
        /* 3.1.2 invalid: rejected by design (see proto/sip.c) */
        {"badvers.dat", PROTO_INVALID},  /* SIP/7.0 */
        {"bigcode.dat", PROTO_INVALID},  /* status 4294967301 */
        {"ltgtruri.dat", PROTO_INVALID}, /* <sip:...> as Request-URI */
        {"lwsruri.dat", PROTO_INVALID},  /* LWS inside the Request-URI */
        {"quotbal.dat", PROTO_INVALID},  /* unterminated quote in To */
        {"scalar02.dat", PROTO_INVALID}, /* CSeq beyond 32 bits */
        {"scalarlg.dat", PROTO_INVALID}, /* CSeq beyond 32 bits */
        {"baddn.dat", PROTO_INVALID},    /* non-token display name with ',' */
        {"clerr.dat", PROTO_INCOMPLETE}, /* Content-Length 9999 > body */
        /* 3.1.2 invalid but handled robustly by a monitor */
        {"badinv01.dat", PROTO_OK},
        {"ncl.dat", PROTO_OK}, /* Content-Length -999: ignored */
        {"lwsstart.dat", PROTO_OK},
        {"trws.dat", PROTO_OK},
        {"escruri.dat", PROTO_OK},
        {"baddate.dat", PROTO_OK},
        {"regbadct.dat", PROTO_OK},
        {"badaspec.dat", PROTO_OK},
        {"mismatch01.dat", PROTO_OK},
        {"mismatch02.dat", PROTO_OK},
        /* 3.2, 3.3: syntactically fine */
        {"badbranch.dat", PROTO_OK},
        {"insuf.dat", PROTO_INVALID}, /* no Call-ID/From/To: required here */
        {"unkscm.dat", PROTO_OK},
        {"novelsc.dat", PROTO_OK},
        {"unksm2.dat", PROTO_OK},
        {"bext01.dat", PROTO_OK},
        {"invut.dat", PROTO_OK},
        {"regaut01.dat", PROTO_OK},
        {"multi01.dat", PROTO_OK}, /* first Call-ID/CSeq/From/To win */
        {"mcl01.dat", PROTO_OK},   /* first Content-Length wins */
        {"bcast.dat", PROTO_OK},
        {"zeromf.dat", PROTO_OK},
        {"cparam01.dat", PROTO_OK},
        {"cparam02.dat", PROTO_OK},
        {"regescrt.dat", PROTO_OK},
        {"sdp01.dat", PROTO_OK},
        /* 3.4 */
        {"inv2543.dat", PROTO_OK},
        /* not an RFC case: TO without ':' ("TO sip:..."), so no To header */
        {"test.dat", PROTO_INVALID},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int sdp_st;
        proto_status_t st = rfc4475(cases[i].file, &sdp_st);
        if (st != cases[i].want)
            fail_msg("%s: status %d, want %d", cases[i].file, st, cases[i].want);
    }

    uint8_t *b;
    assert_int_equal(rfc4475_keep("multi01.dat", &b), PROTO_OK);
    assert_sv(msg.call_id, "multi01.98asdh@192.0.2.1");
    assert_int_equal(msg.cseq, 5);
    assert_sv(sip_header_get(&msg, "Call-ID", 1), "multi01.98asdh@192.0.2.2");
    free(b);
    assert_int_equal(rfc4475_keep("inv2543.dat", &b), PROTO_OK);
    assert_int_equal(msg.content_length, -1);
    sv_t body;
    assert_true(sip_find_sdp(&msg, &body));
    assert_int_equal(sdp_parse(body, &sdp), PROTO_OK);
    free(b);
}

static void test_rfc4475_all_files(void **state)
{
    (void)state;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/data/rfc4475", SHARED_DIR);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int files = 0, ok = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".dat") != 0) continue;
        int sdp_st;
        ok += rfc4475(e->d_name, &sdp_st) == PROTO_OK;
        files++;
    }
    closedir(d);
    assert_int_equal(files, 50);
    assert_int_equal(ok, 39); /* 10 invalid + clerr incomplete */
}

/* ---------------------------- 2. regressions ----------------------------- */

static void test_regress(void **state)
{
    (void)state;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/data/regress", SHARED_DIR);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int files = 0, sip = 0, sdp_files = 0, rtcp = 0, sip_ok = 0, rtcp_ok = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *dot = strrchr(e->d_name, '.');
        if (e->d_name[0] == '.' || !dot || strcmp(dot, ".md") == 0) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t n;
        uint8_t *b = read_file(path, &n);
        assert_non_null(b);
        files++;
        if (strcmp(dot, ".sip") == 0) {
            int sdp_st;
            sip_ok += exercise_sip(b, n, &sdp_st) == PROTO_OK;
            sip++;
        } else if (strcmp(dot, ".sdp") == 0) {
            (void)sdp_parse(sv_make(b, n), &sdp);
            sdp_files++;
        } else {
            rtp_header_t h;
            rtcp_ok += rtcp_probe(b, n);
            (void)rtp_parse_header(b, n, &h);
            rtcp++;
        }
        free(b);
    }
    closedir(d);
    assert_int_equal(files, 53);
    assert_int_equal(sip, 24);
    assert_int_equal(sdp_files, 15);
    assert_int_equal(rtcp, 14);
    assert_int_equal(rtcp_ok, 12); /* all but the two truncated captagent inputs */
    assert_int_equal(sip_ok, 10);

    /* AST-2018-002: the 2^32 payload type is dropped, the stream kept */
    snprintf(dir, sizeof dir, "%s/data/regress/es2018-03_pjsip_sdp_fmt_4294967296.sip", SHARED_DIR);
    size_t n;
    uint8_t *b = read_file(dir, &n);
    assert_non_null(b);
    assert_int_equal(sip_parse_message(b, n, &msg), PROTO_OK);
    sv_t body;
    assert_true(sip_find_sdp(&msg, &body));
    assert_int_equal(sdp_parse(body, &sdp), PROTO_OK);
    assert_int_equal(sdp.media_count, 1);
    for (unsigned i = 0; i < sdp.media[0].fmt_count; i++)
        assert_true(sdp.media[0].fmts[i] < 128);
    free(b);
}

/* ------------------------------ 3. PROTOS -------------------------------- */

#define PROTOS_CASES 4527

/* Groups of the suite (data/protos/INDEX.md) we assert on. */
static int group_of(int c)
{
    if (c == 0) return 0;                 /* valid */
    if (c >= 1 && c <= 193) return 1;     /* sip-method */
    if (c >= 255 && c <= 329) return 2;   /* sip-version */
    if (c >= 1875 && c <= 2113) return 3; /* sip-cseq-integer + sip-cseq-string */
    if (c >= 2427) return 4;              /* all sdp-* groups */
    return 5;
}

static void test_protos(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/siphon-protos-XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "tar -xJf '%s/data/protos/instantiated.tar.xz' -C '%s'", SHARED_DIR,
             dir);
    assert_int_equal(system(cmd), 0);

    int files = 0, by_status[3] = {0}, sdp_found = 0, sdp_ok = 0;
    int group_total[6] = {0}, group_invalid[6] = {0}, group_sdp_ok[6] = {0};
    bool case0_ok = false;
    for (int c = 0; c < PROTOS_CASES; c++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/instantiated/%07d.sip", dir, c);
        size_t n;
        uint8_t *b = read_file(path, &n);
        if (!b) break; /* counted below */
        files++;
        int sdp_st;
        proto_status_t st = exercise_sip(b, n, &sdp_st);
        by_status[st]++;
        sdp_found += sdp_st >= 0;
        sdp_ok += sdp_st == PROTO_OK;
        int g = group_of(c);
        group_total[g]++;
        group_invalid[g] += st == PROTO_INVALID;
        group_sdp_ok[g] += sdp_st == PROTO_OK;
        if (c == 0) /* checked after the temp dir is gone */
            case0_ok = st == PROTO_OK && sv_eq(msg.call_id, SV_LIT("0@host.example.com")) &&
                       msg.cseq == 1 && sv_eq(msg.to.user, SV_LIT("test")) && sdp_st == PROTO_OK;
        free(b);
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);

    print_message("PROTOS: %d files, ok %d, incomplete %d, invalid %d; sdp found %d, parsed %d\n",
                  files, by_status[PROTO_OK], by_status[PROTO_INCOMPLETE], by_status[PROTO_INVALID],
                  sdp_found, sdp_ok);
    for (int g = 0; g < 6; g++)
        print_message("  group %d: %d cases, %d invalid, %d sdp ok\n", g, group_total[g],
                      group_invalid[g], group_sdp_ok[g]);

    assert_int_equal(files, PROTOS_CASES);
    assert_true(case0_ok);
    assert_int_equal(by_status[PROTO_OK] + by_status[PROTO_INCOMPLETE] + by_status[PROTO_INVALID],
                     PROTOS_CASES);
    /* a sizeable share is malformed SIP and must be classified invalid */
    assert_true(by_status[PROTO_INVALID] >= 500);
    /* ... but most cases only damage one field and stay usable */
    assert_true(by_status[PROTO_OK] >= 3000);
    /* every sip-version anomaly is rejected (version must be SIP/2.0) */
    assert_int_equal(group_invalid[2], group_total[2]);
    /* most method and CSeq anomalies are non-token bytes or overflows */
    assert_true(group_invalid[1] >= 100);
    assert_true(group_invalid[3] >= 150);
    /* SDP anomalies do not break the SIP layer */
    assert_int_equal(group_invalid[4], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4475_valid),
        cmocka_unit_test(test_rfc4475_others),
        cmocka_unit_test(test_rfc4475_all_files),
        cmocka_unit_test(test_regress),
        cmocka_unit_test(test_protos),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
