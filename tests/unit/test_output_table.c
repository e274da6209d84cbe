/* test_output_table.c - the table for people (output/table.c, records.c):
 * at every width from 40 to 300 columns no line of a call with hostile
 * strings (escapes, C1, bidi, invalid UTF-8, wide UTF-8, long words) is
 * wider than the layout allows (the width from 75 up), no control byte is
 * written, and the full Call-ID and User-Agent survive the wrapping; the
 * width comes from COLUMNS, else 120 off a terminal; the output consumer
 * writes a flush's rows in start-time order under one header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *HOSTILE_ID = "id-\x1b[2J\x1b]0;t\x07-\xc2\x9b-\x9b-\xe2\x80\xae-\xff-"
                                "\xe4\xb8\xad\xe6\x96\x87-"
                                "0123456789012345678901234567890123456789012345678901234567890123"
                                "456789@host";
static const char *HOSTILE_UA =
    "Evil UA \x1b[31m \\ \x7f\x0d\x0a"
    "a-long-word-without-spaces-split-where-it-stands-as-no-line-holds-it-at-40";

static corr_call_t *hostile_call(corr_stream_t *st)
{
    corr_call_t *c = calloc(1, sizeof *c);
    assert_non_null(c);
    snprintf(c->call_id, sizeof c->call_id, "%s", HOSTILE_ID);
    snprintf(c->caller, sizeof c->caller, "\x1b[2Jalice-with-a-long-name");
    snprintf(c->callee, sizeof c->callee,
             "\xe2\x80\xae\xe4\xb8\xad\xe6\x96\x87"
             "bob");
    snprintf(c->from_uri, sizeof c->from_uri, "sip:\x1b]8;;http://x/\x1b\\@h");
    snprintf(c->to_uri, sizeof c->to_uri, "sip:bob@h");
    snprintf(c->user_agent, sizeof c->user_agent, "%s", HOSTILE_UA);
    c->state = CORR_CALL_ANSWERED;
    c->final_code = 200;
    c->start_ts_ns = 1767225600LL * NS_PER_SEC;
    c->answer_ts_ns = c->start_ts_ns + NS_PER_SEC / 10;
    c->end_ts_ns = c->start_ts_ns + 86400LL * NS_PER_SEC;
    c->open_at_end = true;
    c->mos = 4.37;
    c->flag_count = 3;
    c->flags[0] = (corr_call_flag_t){.flag = CORR_CALL_FLAG_ONE_WAY_AUDIO, .from_caller = 1};
    c->flags[1] = (corr_call_flag_t){.flag = CORR_CALL_FLAG_PT_NOT_NEGOTIATED, .from_caller = 0};
    c->flags[2] = (corr_call_flag_t){.flag = CORR_CALL_FLAG_NO_RTP, .from_caller = -1};
    memset(st, 0, 2 * sizeof *st);
    st[0].payload_type = 96;
    snprintf(st[0].codec, sizeof st[0].codec, "op\x1b[2Jus-with-a-long-name");
    st[1].payload_type = 97; /* no name: "PT97" */
    for (int i = 0; i < 2; i++) {
        st[i].src.ip.family = st[i].dst.ip.family = IP_V6;
        memset(st[i].src.ip.bytes, 0xfe, 16);
        memset(st[i].dst.ip.bytes, 0x20, 16);
        st[i].src.port = 65535;
        st[i].dst.port = 40000;
        st[i].stats.packets = 123456789;
        st[i].quality.scored = true;
        st[i].quality.mos = 4.1;
    }
    c->stream_count = 2;
    c->streams = st;
    return c;
}

/* Columns of a line of inert output (one per code point). */
static size_t cols(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((uint8_t)s[i] & 0xc0) != 0x80;
    return c;
}

/* The text without line breaks and spaces (wrapping moves and drops them). */
static char *unwrapped(const buf_t *b)
{
    char *o = malloc(b->len + 1);
    size_t n = 0;
    for (size_t i = 0; i < b->len; i++) {
        if (b->data[i] != '\n' && b->data[i] != ' ') o[n++] = b->data[i];
    }
    o[n] = '\0';
    return o;
}

static void test_every_width(void **state)
{
    (void)state;
    corr_stream_t st[2];
    corr_call_t *c = hostile_call(st);
    buf_t want_id, want_ua;
    buf_init(&want_id);
    buf_init(&want_ua);
    text_inert_cstr(&want_id, HOSTILE_ID);
    buf_putc(&want_id, '\0');
    text_inert_cstr(&want_ua, strstr(HOSTILE_UA, "\x0a") + 1); /* no space in it */
    buf_putc(&want_ua, '\0');
    unsigned narrowest_full = 0;
    for (unsigned w = 40; w <= 300; w++) {
        out_table_layout_t l;
        out_table_layout(&l, w);
        if (l.setup && l.streams && l.date && !narrowest_full) narrowest_full = w;
        buf_t b;
        buf_init(&b);
        out_table_header(&b, &l);
        out_call_table(&b, c, true, &l);
        for (size_t i = 0; i < b.len; i++) {
            uint8_t ch = (uint8_t)b.data[i];
            if ((ch < 0x20 && ch != '\n') || ch == 0x7f)
                fail_msg("width %u: control byte 0x%02x at %zu", w, ch, i);
        }
        size_t start = 0, lines = 0;
        for (size_t i = 0; i < b.len; i++) {
            if (b.data[i] != '\n') continue;
            size_t n = cols(b.data + start, i - start);
            /* below 75 the header and row keep the narrowest layout (75),
             * detail lines wrap at no fewer than 40 */
            size_t limit = lines < 2 ? (w < 75 ? 75 : w) : (w < 40 ? 40 : w);
            if (n > limit)
                fail_msg("width %u: line %zu has %zu columns: %.*s", w, lines, n, (int)(i - start),
                         b.data + start);
            start = i + 1;
            lines++;
        }
        assert_true(lines >= 7); /* header, row, problems, 2 details, 2 streams */
        char *flat = unwrapped(&b);
        if (!strstr(flat, want_id.data)) fail_msg("width %u: full Call-ID lost: %s", w, flat);
        if (!strstr(flat, want_ua.data)) fail_msg("width %u: long UA word lost: %s", w, flat);
        assert_non_null(strstr(flat, "one_way_audio(caller->callee)"));
        assert_non_null(strstr(flat, "payload_type_not_negotiated(callee->caller)"));
        assert_non_null(strstr(flat, "no_rtp")); /* no direction: none added */
        assert_null(strstr(flat, "no_rtp("));
        assert_non_null(strstr(flat, "PT97"));
        assert_non_null(strstr(flat, "86399.9+open"));
        free(flat);
        buf_free(&b);
    }
    assert_int_equal(narrowest_full, 103);
    buf_free(&want_id);
    buf_free(&want_ua);
    free(c);
}

static void test_width_source(void **state)
{
    (void)state;
    FILE *f = tmpfile(); /* not a terminal */
    assert_non_null(f);
    unsetenv("COLUMNS");
    assert_int_equal(out_table_width(f), OUT_TABLE_WIDTH_DEFAULT);
    setenv("COLUMNS", "77", 1);
    assert_int_equal(out_table_width(f), 77);
    setenv("COLUMNS", "77x", 1);
    assert_int_equal(out_table_width(f), OUT_TABLE_WIDTH_DEFAULT);
    setenv("COLUMNS", "5", 1);
    assert_int_equal(out_table_width(f), OUT_TABLE_WIDTH_DEFAULT);
    unsetenv("COLUMNS");
    fclose(f);
}

/* The consumer, inline: calls handed over in reverse start order come out
 * sorted, the header once before them, orphan streams among them by their
 * first packet. */
static void test_rows_sorted(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    out_config_t cfg = {.format = OUT_TABLE, .out = f, .width = 120};
    fan_env_t env = {.shards = 1};
    char err[128];
    out_t *o = out_consumer.create(&cfg, &env, err, sizeof err);
    assert_non_null(o);
    corr_sink_t sink = out_consumer.shard_sink(o, 0);
    corr_call_t *c = calloc(1, sizeof *c);
    assert_non_null(c);
    const int n = 200;
    for (int i = n - 1; i >= 0; i--) {
        /* start times 0..n-1 s, handed over from the last */
        c->start_ts_ns = (1767225600LL + (i * 7919) % n) * NS_PER_SEC;
        snprintf(c->call_id, sizeof c->call_id, "c%03d", (i * 7919) % n);
        sink.on_call(sink.user, c);
        if (i == n / 2) {
            corr_stream_t s = {0};
            s.stats.first_ts_ns = (1767225600LL + 50) * NS_PER_SEC + 1;
            sink.on_orphan_stream(sink.user, &s);
        }
    }
    out_flush(o);
    fflush(f);
    assert_int_equal(strncmp(text, "START (UTC)", 11), 0);
    assert_null(strstr(text + 1, "START (UTC)"));
    int next = 0;
    bool orphan_seen = false;
    for (char *p = strchr(text, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
        if (strncmp(p + 1, "orphan stream", 13) == 0) {
            assert_int_equal(next, 51); /* after the call of second 50 */
            orphan_seen = true;
            continue;
        }
        if (p[1] < '0' || p[1] > '9') continue; /* not a row */
        char *eol = strchr(p + 1, '\n');
        char *id = eol;
        while (id > p && id[-1] != ' ')
            id--;
        assert_true(id < eol && *id == 'c');
        int k = atoi(id + 1);
        assert_int_equal(k, next);
        next++;
    }
    assert_int_equal(next, n);
    assert_true(orphan_seen);
    out_consumer.free(o);
    fclose(f);
    free(text);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_width),
        cmocka_unit_test(test_width_source),
        cmocka_unit_test(test_rows_sorted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
