/* test_emodel.c - unit tests of quality/emodel.c and quality/codec_table.c:
 * the G.107 worked values of /work/shared/reference/quality.md (R0 93.2 ->
 * MOS 4.41; G.711 with PLC at 1/2/5 % random loss -> R 89.56/86.19/77.42,
 * MOS 4.33/4.24/3.92; G.729A without loss -> R 82.2, MOS 4.10), BurstR and
 * delay effects, clamps, and the codec table with its overrides and file
 * parser, and lookups from several threads at once (first use included:
 * run under ThreadSanitizer, a lookup that loads the table races). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quality.h"

static void near(double got, double want, double eps)
{
    if (fabs(got - want) > eps) {
        print_error("got %.6f want %.6f (eps %g)\n", got, want, eps);
        fail();
    }
}

static void test_default_r(void **st)
{
    (void)st;
    near(emodel_r(0, 0, 25.1, 0, 1), 93.2, 1e-9);
    near(emodel_mos(93.2), 4.41, 0.005);
    near(emodel_mos(93.206), 4.409, 0.0005); /* G.107 default set */
}

static void test_g711_plc_random_loss(void **st)
{
    (void)st;
    static const double ppl[] = {1, 2, 5}, r[] = {89.56, 86.19, 77.42}, mos[] = {4.33, 4.24, 3.92};
    const quality_codec_t *c = quality_codec_find("PCMU");
    assert_non_null(c);
    for (int i = 0; i < 3; i++) {
        double rr = emodel_r(0, c->ie, c->bpl, ppl[i], 1);
        near(rr, r[i], 0.005);
        /* quality.md rounds MOS(86.19) = 4.2348 to 4.24: allow 0.006 */
        near(emodel_mos(rr), mos[i], 0.006);
    }
}

static void test_g729a(void **st)
{
    (void)st;
    const quality_codec_t *c = quality_codec_find("g729");
    assert_non_null(c);
    double rr = emodel_r(0, c->ie, c->bpl, 0, 1);
    near(rr, 82.2, 1e-9);
    near(emodel_mos(rr), 4.10, 0.005);
    /* same loss costs G.729 more than G.711 */
    assert_true(emodel_r(0, c->ie, c->bpl, 5, 1) < emodel_r(0, 0, 25.1, 5, 1) - 11);
}

static void test_burst_r_lowers_r(void **st)
{
    (void)st;
    double random = emodel_r(0, 0, 25.1, 5, 1);
    double bursty = emodel_r(0, 0, 25.1, 5, 2);
    assert_true(bursty < random);
    /* Ie,eff by hand: 95 * 5 / (5/2 + 25.1) = 17.210 */
    near(emodel_ie_eff(0, 25.1, 5, 2), 475.0 / 27.6, 1e-9);
    /* BurstR <= 0 is read as 1 */
    near(emodel_ie_eff(0, 25.1, 5, 0), emodel_ie_eff(0, 25.1, 5, 1), 1e-12);
}

static void test_delay(void **st)
{
    (void)st;
    near(emodel_id(0), 0, 0);
    near(emodel_id(100), 2.4, 1e-12);
    near(emodel_id(177.3), 0.024 * 177.3, 1e-12);
    near(emodel_id(300), 7.2 + 0.11 * (300 - 177.3), 1e-12);
    assert_true(emodel_r(200, 0, 25.1, 0, 1) < emodel_r(150, 0, 25.1, 0, 1));
    /* slope change past 177.3 ms */
    double below = emodel_r(170, 0, 25.1, 0, 1) - emodel_r(175, 0, 25.1, 0, 1);
    double above = emodel_r(200, 0, 25.1, 0, 1) - emodel_r(205, 0, 25.1, 0, 1);
    assert_true(above > below * 3);
}

static void test_clamps(void **st)
{
    (void)st;
    near(emodel_mos(-5), 1.0, 0);
    near(emodel_mos(0), 1.0, 1e-12);
    for (double r = 0; r <= 100; r += 0.25) /* the cubic dips below 1 near R 3 */
        assert_true(emodel_mos(r) >= 1.0 && emodel_mos(r) <= 4.5);
    near(emodel_mos(100), 4.5, 1e-12);
    near(emodel_mos(120), 4.5, 0);
    near(emodel_r(2000, 95, 1, 100, 1), 0, 0);                               /* floored at 0 */
    near(emodel_r(0, 0, 25.1, 250, 1), emodel_r(0, 0, 25.1, 100, 1), 1e-12); /* Ppl <= 100 */
    near(emodel_r(0, 0, 25.1, -3, 1), 93.2, 1e-12);
    assert_true(emodel_r(0, 0, 0, 1, 1) >= 0); /* Bpl 0: no division by zero */
    assert_false(isnan(emodel_r(NAN, 0, 25.1, NAN, NAN)));
}

/* Looks codecs up, as each correlator shard does from its own thread. */
static void *lookup_loop(void *arg)
{
    const char *name = arg;
    uintptr_t bad = 0;
    for (int i = 0; i < 2000; i++) {
        const quality_codec_t *c = quality_codec_find(name);
        if (!c || c != quality_codec_at((size_t)(c - quality_codec_at(0)))) bad++;
    }
    return (void *)bad;
}

/* Runs first in this program: the table's first use comes from two threads
 * at once (ThreadSanitizer reports a lookup that writes). */
static void test_codec_lookup_threads(void **st)
{
    (void)st;
    pthread_t a, b;
    assert_int_equal(pthread_create(&a, NULL, lookup_loop, "PCMU"), 0);
    assert_int_equal(pthread_create(&b, NULL, lookup_loop, "g729"), 0);
    void *ra, *rb;
    pthread_join(a, &ra);
    pthread_join(b, &rb);
    assert_int_equal((uintptr_t)ra, 0);
    assert_int_equal((uintptr_t)rb, 0);
    near(quality_codec_find("G729A")->ie, 11, 0);
}

static void test_codec_table(void **st)
{
    (void)st;
    quality_codec_table_reset();
    const quality_codec_t *c = quality_codec_find("pcma");
    assert_non_null(c);
    near(c->bpl, 25.1, 0);
    assert_non_null(quality_codec_find("G729A")); /* alias */
    assert_non_null(quality_codec_find("OPUS"));
    assert_true(quality_codec_find("opus")->wideband);
    assert_true(quality_codec_find("G722")->wideband);
    assert_false(quality_codec_find("PCMU")->wideband);
    assert_null(quality_codec_find("nonesuch"));
    assert_null(quality_codec_find(""));
    assert_null(quality_codec_find(NULL));
    for (size_t i = 0; i < quality_codec_count(); i++)
        assert_true(strlen(quality_codec_at(i)->source) > 0); /* every row says where from */

    assert_int_equal(quality_codec_override("PCMU", 0, 4.3), 0);
    near(quality_codec_find("pcmu")->bpl, 4.3, 0);
    assert_int_equal(quality_codec_override("speex", 12, 9), 0); /* added */
    near(quality_codec_find("SPEEX")->ie, 12, 0);
    assert_int_equal(quality_codec_override("PCMU", 96, 4.3), -1);
    assert_int_equal(quality_codec_override("PCMU", 0, 0), -1);
    assert_int_equal(quality_codec_override("bad name", 0, 1), -1);
    quality_codec_table_reset();
    near(quality_codec_find("pcmu")->bpl, 25.1, 0);
    assert_null(quality_codec_find("speex"));
}

static void test_codec_file(void **st)
{
    (void)st;
    char err[256];
    quality_codec_table_reset();
    const char *ok = "# our phones\n\nPCMU 0 4.3 no PLC on the old desk phones\n"
                     "  G729\t11.5 17  \r\nEVS 3 20 # vendor sheet\n";
    assert_int_equal(quality_codec_table_parse(ok, strlen(ok), err, sizeof err), 0);
    near(quality_codec_find("PCMU")->bpl, 4.3, 0);
    assert_string_equal(quality_codec_find("PCMU")->source, "no PLC on the old desk phones");
    near(quality_codec_find("G729")->ie, 11.5, 0);
    assert_string_equal(quality_codec_find("G729")->source, "configured (line 4)");
    assert_string_equal(quality_codec_find("evs")->source, "configured (line 5)"); /* # comment */

    /* all or nothing; the first bad line is named */
    quality_codec_table_reset();
    const char *bad = "PCMU 0 4.3\nG729 11\n";
    assert_int_equal(quality_codec_table_parse(bad, strlen(bad), err, sizeof err), -1);
    assert_non_null(strstr(err, "2:"));
    near(quality_codec_find("PCMU")->bpl, 25.1, 0);
    static const char *const bads[] = {"PCMU x 1\n",       "PCMU 0 1e999\n", "PCMU 0 nan\n",
                                       "PCMU 100 1\n",     "PCMU 0 -1\n",    "P/CMU 0 1\n",
                                       "PCMU 0 1 a\001b\n"};
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        assert_int_equal(quality_codec_table_parse(bads[i], strlen(bads[i]), err, sizeof err), -1);
        assert_true(strncmp(err, "1:", 2) == 0);
    }
    assert_int_equal(quality_codec_table_load("/nonexistent/x", err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/x"));

    char path[] = "/tmp/siphon_codec_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("GSM 20 10\nGSM 0 x\n", f);
    fclose(f);
    assert_int_equal(quality_codec_table_load(path, err, sizeof err), -1);
    char want[64];
    snprintf(want, sizeof want, "%s:2:", path);
    assert_true(strncmp(err, want, strlen(want)) == 0);
    remove(path);
    quality_codec_table_reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec_lookup_threads),
        cmocka_unit_test(test_default_r),
        cmocka_unit_test(test_g711_plc_random_loss),
        cmocka_unit_test(test_g729a),
        cmocka_unit_test(test_burst_r_lowers_r),
        cmocka_unit_test(test_delay),
        cmocka_unit_test(test_clamps),
        cmocka_unit_test(test_codec_table),
        cmocka_unit_test(test_codec_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
