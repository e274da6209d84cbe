/* fuzz_query_args.c - the words of `siphon calls` (storage/query_args.c)
 * and the SQL built from them (query.c st_calls_sql): any bytes as a
 * --since/--until time, a pattern, a state, a code, an address and a MOS
 * threshold parse or are refused with a message, and every value that
 * parsed travels as a parameter: the SQL text is the same whatever the
 * values (only which filters are set changes it). */
#include "storage.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = '\0'; /* argv strings end at the first NUL */
    char err[256];
    st_calls_filter_t f = {.limit = 100};
    int64_t t;
    err[0] = '\0';
    if (st_parse_when(s, 1765000000LL * NS_PER_SEC, &t, err, sizeof err) != 0 && !err[0]) abort();
    if (st_parse_when(s, 1765000000LL * NS_PER_SEC, &t, err, sizeof err) == 0 && t < 0) abort();
    err[0] = '\0';
    if (st_parse_pattern(s, &f.caller, err, sizeof err) != 0 && !err[0]) abort();
    st_parse_pattern(s, &f.call_id, err, sizeof err);
    st_parse_state(s, &f, err, sizeof err);
    st_parse_code(s, &f, err, sizeof err);
    st_parse_ip(s, &f, err, sizeof err);
    st_parse_mos(s, &f, err, sizeof err);
    /* the SQL text depends on which filters are set, never on their values */
    st_calls_filter_t g = f;
    st_pattern_t *pg[] = {&g.caller, &g.callee, &g.call_id};
    for (int k = 0; k < 3; k++) {
        strcpy(pg[k]->text, "x");
        strcpy(pg[k]->suffix, "y");
    }
    if (g.has_ip) strcpy(g.ip, strchr(f.ip, '/') ? "1.1.1.0/24" : "1.1.1.1");
    if (g.code_lo) g.code_hi = f.code_lo == f.code_hi ? 100 : 199, g.code_lo = 100;
    if (g.state) g.state = 1;
    g.mos_below = 3.0;
    st_sql_t q, r;
    int qa = st_calls_sql(&f, &q), ra = st_calls_sql(&g, &r);
    if (qa == 0 && ra == 0 && (strcmp(q.sql.data, r.sql.data) != 0 || q.n != r.n)) abort();
    st_sql_free(&q);
    st_sql_free(&r);
    free(s);
    return 0;
}
