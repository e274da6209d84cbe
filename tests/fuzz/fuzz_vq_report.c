/* fuzz_vq_report.c - libFuzzer target for vq_report_parse (RFC 6035
 * vq-rtcpxr bodies, proto/vq_report.c).  The input is copied to an
 * exact-size heap buffer so ASan sees over-reads, and every string view in
 * the result is read and checked to lie inside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

static const char *lo, *hi;
static volatile unsigned sink;

static void touch(sv_t v)
{
    if (v.len == 0) return;
    if (v.p < lo || v.p > hi || v.len > (size_t)(hi - v.p)) abort();
    for (size_t i = 0; i < v.len; i++)
        sink += (unsigned char)v.p[i];
}

static void touch_metrics(const vq_metrics_t *m)
{
    touch(m->start), touch(m->stop), touch(m->pd), touch(m->ssup), touch(m->qoe_alg);
    if (m->moslq.present && m->moslq.v != m->moslq.v) abort(); /* never NaN */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    if (size) memcpy(buf, data, size);
    lo = buf, hi = buf + size;
    vq_report_t r;
    if (vq_report_parse(sv_make(buf, size), &r) == PROTO_OK) {
        if (r.type == VQ_REPORT_UNKNOWN) abort();
        touch(r.type_value), touch(r.call_id), touch(r.local_id), touch(r.remote_id);
        touch(r.orig_id), touch(r.local_group), touch(r.remote_group);
        touch(r.local_mac), touch(r.remote_mac), touch(r.dialog_id);
        touch(r.local_addr.ip_text), touch(r.remote_addr.ip_text);
        touch_metrics(&r.local);
        touch_metrics(&r.remote);
    }
    free(buf);
    return 0;
}
