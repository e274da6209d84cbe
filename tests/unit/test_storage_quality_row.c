/* test_storage_quality_row.c - a stream's quality object as streams.quality
 * stores it (storage/quality_row.c): the E-model source sentence of every
 * built-in codec row (quality/codec_table.c) is one siphon stores by key,
 * and every key is in schema/0006's siphon_emodel_sources with the same
 * sentence (so siphon_stream_quality gives it back); a stored object names
 * the key instead of the sentence, keeps a configured sentence as it is,
 * and leaves out the figures at their usual value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "st_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    return b;
}

static void test_builtin_sources_known(void **state)
{
    (void)state;
    quality_codec_table_reset();
    assert_true(quality_codec_count() > 0);
    for (size_t i = 0; i < quality_codec_count(); i++) {
        const quality_codec_t *r = quality_codec_at(i);
        bool found = false;
        for (size_t k = 0; k < st__n_emodel_sources; k++)
            found |= strcmp(st__emodel_sources[k].source, r->source) == 0;
        if (!found) fail_msg("codec %s: its source sentence is not in st__emodel_sources", r->name);
    }
}

static void test_sql_has_every_key(void **state)
{
    (void)state;
    char *sql = read_file(TEST_SRC_DIR "/../schema/0006_compact_quality.sql");
    for (size_t k = 0; k < st__n_emodel_sources; k++) {
        char row[512];
        snprintf(row, sizeof row, "('%s', '%s')", st__emodel_sources[k].key,
                 st__emodel_sources[k].source);
        if (!strstr(sql, row)) fail_msg("schema/0006 lacks %s", row);
    }
    free(sql);
}

static void test_compact_object(void **state)
{
    (void)state;
    corr_stream_t *s = calloc(1, sizeof *s);
    assert_non_null(s);
    const quality_codec_t *g729 = quality_codec_find("G729");
    assert_non_null(g729);
    s->quality.codec_source = g729->source;
    s->quality.scored = true;
    s->quality.mos_scale = "narrowband";
    s->quality.have_clock = true;
    s->quality.expected = 100;
    s->quality.ie = 11, s->quality.bpl = 19, s->quality.bm.burst_r = 1;
    s->quality.delay_ms = 160, s->quality.rtt_ms = -1, s->quality.ptime_ms = 20;
    s->quality.jb_adaptive_max_ms = 60;
    buf_t b;
    buf_init(&b);
    st__quality_json(&b, s);
    buf_putc(&b, '\0');
    assert_string_equal(b.data, "{\"emodel\":{\"ie\":11.00,\"bpl\":19.00,\"burst_r\":1.000,"
                                "\"delay_ms\":160.0,\"ptime_ms\":20.0,\"src\":\"g729\"},"
                                "\"jb_adaptive_max_ms\":60.0}");
    /* a configured sentence is kept; a loss shows its figures */
    s->quality.codec_source = "configured";
    s->quality.discards = 3;
    s->quality.bm.runs[1] = 2;
    buf_reset(&b);
    st__quality_json(&b, s);
    buf_putc(&b, '\0');
    assert_non_null(strstr(b.data, "\"source\":\"configured\""));
    assert_non_null(strstr(b.data, "\"discards\":3"));
    assert_non_null(strstr(b.data, "\"loss_runs\":{\"1\":0,\"2\":2,"));
    assert_null(strstr(b.data, "\"mos\""));
    buf_free(&b);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_sources_known),
        cmocka_unit_test(test_sql_has_every_key),
        cmocka_unit_test(test_compact_object),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
