/* proto_testlib.h - assertions shared by the proto/ unit tests. */
#ifndef SIPHON_PROTO_TESTLIB_H
#define SIPHON_PROTO_TESTLIB_H

#include "core.h"

/* Asserts that view v holds exactly the C string s. */
#define assert_sv(v, s)                                                                            \
    do {                                                                                           \
        sv_t v_ = (v);                                                                             \
        if (!sv_eq(v_, sv_from_cstr(s)))                                                           \
            fail_msg("expected \"%s\", got \"%.*s\"", (s), SV_FMT(v_));                            \
    } while (0)

#endif
