/* fuzz_config.c - libFuzzer target for the configuration reader (config/).
 *
 * The input is a configuration file, copied to an exact-size heap buffer so
 * ASan sees any read past its end.  Then, as invariants:
 *  - the error list stays within CONFIG_ERRORS_MAX and every message is a
 *    terminated string;
 *  - whatever was accepted dumps to a file that parses without a single
 *    error and dumps to the same text again (dump -> parse is a fixed
 *    point: nothing the reader accepts is written back in a form it reads
 *    differently);
 *  - each of the first lines, used as a command-line override (in its own
 *    exact-size NUL-terminated buffer), keeps that property.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static config_errors_t errs;

static void check_errors(void)
{
    if (errs.count > CONFIG_ERRORS_MAX) abort();
    for (uint32_t i = 0; i < errs.count; i++) {
        if (!memchr(errs.items[i].msg, '\0', sizeof errs.items[i].msg)) abort();
        if (!memchr(errs.items[i].where, '\0', sizeof errs.items[i].where)) abort();
    }
}

static void check_round_trip(const siphon_config_t *cfg)
{
    buf_t a, b;
    buf_init(&a);
    buf_init(&b);
    config_dump(cfg, &a);
    siphon_config_t again;
    config_defaults(&again);
    config_errors_init(&errs);
    if (config_load_buffer(&again, "dump", a.data, a.len, &errs) != 0) {
        buf_t e;
        buf_init(&e);
        config_error_format(&errs.items[0], &e);
        fprintf(stderr, "dump does not parse: %s\n", e.data);
        abort();
    }
    config_dump(&again, &b);
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0) {
        fprintf(stderr, "dump is not a fixed point\n");
        abort();
    }
    config_free(&again);
    buf_free(&a);
    buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    if (size) memcpy(buf, data, size);

    siphon_config_t cfg;
    config_defaults(&cfg);
    config_errors_init(&errs);
    (void)config_load_buffer(&cfg, "fuzz.conf", buf, size, &errs);
    check_errors();
    buf_t msg;
    buf_init(&msg);
    for (uint32_t i = 0; i < errs.count; i++)
        config_error_format(&errs.items[i], &msg);
    buf_free(&msg);
    check_round_trip(&cfg);

    /* the first lines as overrides */
    size_t pos = 0;
    for (int n = 0; n < 8 && pos < size; n++) {
        const char *nl = memchr(buf + pos, '\n', size - pos);
        size_t len = nl ? (size_t)(nl - (buf + pos)) : size - pos;
        char *arg = malloc(len + 1);
        if (!arg) break;
        memcpy(arg, buf + pos, len);
        arg[len] = '\0';
        (void)config_is_override(arg);
        config_errors_init(&errs);
        (void)config_set_override(&cfg, arg, &errs);
        check_errors();
        free(arg);
        pos += len + 1;
    }
    check_round_trip(&cfg);
    config_free(&cfg);
    free(buf);
    return 0;
}
