/* vq_report.c - RFC 6035 voice quality reports (SIP PUBLISH, Event:
 * vq-rtcpxr, Content-Type application/vq-rtcpxr).
 *
 * The body is a list of "Key: value" lines (CRLF or LF).  The first line
 * names the report (VQSessionReport / VQIntervalReport / VQAlertReport,
 * optionally ": CallTerm"); then come identification lines (CallID,
 * LocalID, RemoteID, OrigID, LocalGroup, RemoteGroup, LocalAddr,
 * RemoteAddr, LocalMAC, RemoteMAC, DialogID) and one or two metrics
 * sections opened by "LocalMetrics:" / "RemoteMetrics:" (bare "Metrics:"
 * counts as local), whose lines carry space-separated NAME=value tokens
 * (RFC 6035 section 4.7 grammar).
 *
 * Design:
 *  - zero-copy: strings are views into the body, numbers are parsed into
 *    doubles by hand (no strtod: the body is not NUL-terminated and the
 *    locale must not matter) with a presence flag each;
 *  - table-driven: each metrics line has a table of its NAME= keys with the
 *    offset of the field they fill, so adding a metric is one table row;
 *  - tolerant tokenizer: a value ends at white space or where another key
 *    of the same line ("NAME=") begins, which splits real-world glued
 *    tokens like "JBM=20JBX=240" (snom 821);
 *  - lenient on everything but the report type line: unknown lines and
 *    tokens are skipped, unparsable values stay absent and are counted.
 *  Work is O(body length x keys per line); no allocation, no recursion.
 */
#include <stddef.h>

#include "proto.h"

enum { K_NUM, K_STR, K_SSRC };

typedef struct {
    const char *name;
    uint8_t len;
    uint8_t kind;
    uint16_t off; /* of the vq_value_t / sv_t in the target struct */
} vq_key_t;

#define NUM(n, f)                                                                                  \
    {                                                                                              \
        n, sizeof(n) - 1, K_NUM, offsetof(vq_metrics_t, f)                                         \
    }
#define STR(n, f)                                                                                  \
    {                                                                                              \
        n, sizeof(n) - 1, K_STR, offsetof(vq_metrics_t, f)                                         \
    }
#define NKEYS(arr) (sizeof(arr) / sizeof(arr[0]))

static const vq_key_t k_timestamps[] = {STR("START", start), STR("STOP", stop)};
static const vq_key_t k_session[] = {NUM("PT", pt),   STR("PD", pd),    NUM("SR", sr),
                                     NUM("FD", fd),   NUM("FPP", fpp),  NUM("PPS", pps),
                                     NUM("PLC", plc), STR("SSUP", ssup)};
static const vq_key_t k_jitter[] = {NUM("JBA", jba), NUM("JBR", jbr), NUM("JBN", jbn),
                                    NUM("JBM", jbm), NUM("JBX", jbx)};
static const vq_key_t k_loss[] = {NUM("NLR", nlr), NUM("JDR", jdr)};
static const vq_key_t k_burst[] = {NUM("BLD", bld), NUM("BD", bd), NUM("GLD", gld), NUM("GD", gd),
                                   NUM("GMIN", gmin)};
static const vq_key_t k_delay[] = {NUM("RTD", rtd), NUM("ESD", esd), NUM("SOWD", sowd),
                                   NUM("IAJ", iaj), NUM("MAJ", maj)};
static const vq_key_t k_signal[] = {NUM("SL", sl), NUM("NL", nl), NUM("RERL", rerl)};
static const vq_key_t k_quality[] = {
    NUM("RLQ", rlq),     NUM("RCQ", rcq),     NUM("EXTRI", extri),      NUM("EXTRO", extro),
    NUM("MOSLQ", moslq), NUM("MOSCQ", moscq), STR("QoEEstAlg", qoe_alg)};

static const struct {
    const char *line;
    const vq_key_t *keys;
    size_t nkeys;
} metric_lines[] = {
    {"Timestamps", k_timestamps, NKEYS(k_timestamps)},
    {"SessionDesc", k_session, NKEYS(k_session)},
    {"JitterBuffer", k_jitter, NKEYS(k_jitter)},
    {"PacketLoss", k_loss, NKEYS(k_loss)},
    {"BurstGapLoss", k_burst, NKEYS(k_burst)},
    {"Delay", k_delay, NKEYS(k_delay)},
    {"Signal", k_signal, NKEYS(k_signal)},
    {"QualityEst", k_quality, NKEYS(k_quality)},
};

static const vq_key_t k_addr[] = {
    {"IP", 2, K_STR, offsetof(vq_addr_t, ip_text)},
    {"PORT", 4, K_NUM, offsetof(vq_addr_t, port)},
    {"SSRC", 4, K_SSRC, 0},
};

/* Identification lines that are plain strings. */
static const struct {
    const char *key;
    size_t off;
} id_lines[] = {
    {"CallID", offsetof(vq_report_t, call_id)},
    {"LocalID", offsetof(vq_report_t, local_id)},
    {"RemoteID", offsetof(vq_report_t, remote_id)},
    {"OrigID", offsetof(vq_report_t, orig_id)},
    {"LocalGroup", offsetof(vq_report_t, local_group)},
    {"RemoteGroup", offsetof(vq_report_t, remote_group)},
    {"LocalMAC", offsetof(vq_report_t, local_mac)},
    {"RemoteMAC", offsetof(vq_report_t, remote_mac)},
    {"DialogID", offsetof(vq_report_t, dialog_id)},
};

/* ------------------------------ values ---------------------------------- */

static bool is_ws(char c)
{
    return c == ' ' || c == '\t';
}

static int lower(char c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : (unsigned char)c;
}

/* [+-]digits[.digits] or [+-].digits; at most 32 characters. */
static bool parse_num(sv_t s, double *out)
{
    if (s.len == 0 || s.len > 32) return false;
    size_t i = 0;
    bool neg = false;
    if (s.p[0] == '-' || s.p[0] == '+') neg = s.p[i++] == '-';
    double v = 0, scale = 1;
    bool digits = false, dot = false;
    for (; i < s.len; i++) {
        char c = s.p[i];
        if (c >= '0' && c <= '9') {
            digits = true;
            if (dot) {
                scale /= 10;
                v += (c - '0') * scale;
            } else {
                v = v * 10 + (c - '0');
            }
        } else if (c == '.' && !dot) {
            dot = true;
        } else {
            return false;
        }
    }
    if (!digits) return false;
    *out = neg ? -v : v;
    return true;
}

/* 0x-prefixed hex (1..8 digits) or decimal up to 2^32-1. */
static bool parse_ssrc(sv_t s, uint32_t *out)
{
    if (s.len > 2 && s.p[0] == '0' && (s.p[1] == 'x' || s.p[1] == 'X')) {
        if (s.len > 10) return false;
        uint32_t v = 0;
        for (size_t i = 2; i < s.len; i++) {
            int c = lower(s.p[i]);
            if (c >= '0' && c <= '9')
                v = v << 4 | (uint32_t)(c - '0');
            else if (c >= 'a' && c <= 'f')
                v = v << 4 | (uint32_t)(c - 'a' + 10);
            else
                return false;
        }
        *out = v;
        return true;
    }
    uint64_t v;
    if (!sv_to_u64(s, UINT32_MAX, &v)) return false;
    *out = (uint32_t)v;
    return true;
}

/* ----------------------------- tokenizer -------------------------------- */

/* The key of keys[] whose "NAME=" starts at v.p[i] (longest wins), or -1. */
static int key_at(sv_t v, size_t i, const vq_key_t *keys, size_t nkeys)
{
    int best = -1;
    for (size_t k = 0; k < nkeys; k++) {
        size_t n = keys[k].len;
        if (v.len - i < n + 1 || v.p[i + n] != '=') continue;
        if (!sv_ieq_cstr(sv_make(v.p + i, n), keys[k].name)) continue;
        if (best < 0 || n > keys[best].len) best = (int)k;
    }
    return best;
}

static void store(const vq_key_t *key, sv_t val, void *base, vq_report_t *r)
{
    char *field = (char *)base + key->off;
    double d;
    switch (key->kind) {
    case K_NUM:
        if (parse_num(val, &d)) {
            ((vq_value_t *)field)->present = true;
            ((vq_value_t *)field)->v = d;
        } else if (r->bad_tokens < UINT16_MAX) {
            r->bad_tokens++;
        }
        break;
    case K_STR:
        *(sv_t *)field = val;
        break;
    case K_SSRC: {
        vq_addr_t *a = base;
        if (parse_ssrc(val, &a->ssrc))
            a->has_ssrc = true;
        else if (r->bad_tokens < UINT16_MAX)
            r->bad_tokens++;
        break;
    }
    }
}

/* Splits v into NAME=value tokens of keys[] and stores them in base.  A
 * value ends at white space or at the next known "NAME=". */
static void scan_tokens(sv_t v, const vq_key_t *keys, size_t nkeys, void *base, vq_report_t *r)
{
    size_t i = 0;
    while (i < v.len) {
        if (is_ws(v.p[i])) {
            i++;
            continue;
        }
        int k = key_at(v, i, keys, nkeys);
        size_t j = k >= 0 ? i + keys[k].len + 1 : i + 1;
        size_t start = j;
        while (j < v.len && !is_ws(v.p[j]) && key_at(v, j, keys, nkeys) < 0)
            j++;
        if (k >= 0) store(&keys[k], sv_make(v.p + start, j - start), base, r);
        i = j;
    }
}

/* ------------------------------- lines ---------------------------------- */

static bool parse_type(sv_t key, sv_t val, vq_report_t *out)
{
    if (sv_ieq_cstr(key, "VQSessionReport"))
        out->type = VQ_SESSION_REPORT;
    else if (sv_ieq_cstr(key, "VQIntervalReport"))
        out->type = VQ_INTERVAL_REPORT;
    else if (sv_ieq_cstr(key, "VQAlertReport"))
        out->type = VQ_ALERT_REPORT;
    else
        return false;
    out->type_value = val;
    out->call_term = sv_ieq_cstr(val, "CallTerm");
    return true;
}

/* One "Key: value" line after the report type. */
static void parse_line(sv_t key, sv_t val, vq_metrics_t **cur, vq_report_t *out)
{
    if (sv_ieq_cstr(key, "LocalMetrics") || sv_ieq_cstr(key, "Metrics")) {
        *cur = &out->local;
        (*cur)->present = true;
        return;
    }
    if (sv_ieq_cstr(key, "RemoteMetrics")) {
        *cur = &out->remote;
        (*cur)->present = true;
        return;
    }
    for (size_t i = 0; i < NKEYS(id_lines); i++) {
        if (sv_ieq_cstr(key, id_lines[i].key)) {
            *(sv_t *)((char *)out + id_lines[i].off) = val;
            return;
        }
    }
    if (sv_ieq_cstr(key, "LocalAddr") || sv_ieq_cstr(key, "RemoteAddr")) {
        vq_addr_t *a = lower(key.p[0]) == 'l' ? &out->local_addr : &out->remote_addr;
        scan_tokens(val, k_addr, NKEYS(k_addr), a, out);
        if (a->ip_text.len && !ip_addr_parse(a->ip_text, &a->ip)) a->ip.family = IP_NONE;
        return;
    }
    for (size_t i = 0; i < NKEYS(metric_lines); i++) {
        if (sv_ieq_cstr(key, metric_lines[i].line)) {
            if (*cur == NULL) { /* metrics without a section header */
                *cur = &out->local;
                (*cur)->present = true;
            }
            scan_tokens(val, metric_lines[i].keys, metric_lines[i].nkeys, *cur, out);
            return;
        }
    }
}

/* Contract in proto.h. */
proto_status_t vq_report_parse(sv_t body, vq_report_t *out)
{
    *out = (vq_report_t){0};
    vq_metrics_t *cur = NULL;
    bool first = true;
    size_t pos = 0;
    while (pos < body.len) {
        const char *p = body.p + pos;
        long nl = sv_index_of(sv_make(p, body.len - pos), '\n');
        size_t llen = nl < 0 ? body.len - pos : (size_t)nl;
        pos += llen + (nl < 0 ? 0 : 1);
        sv_t line = sv_trim(sv_make(p, llen));
        if (line.len == 0) continue;
        long colon = sv_index_of(line, ':');
        sv_t key = sv_trim(sv_make(line.p, colon < 0 ? line.len : (size_t)colon));
        sv_t val = colon < 0 ? SV_NULL
                             : sv_trim(sv_make(line.p + colon + 1, line.len - (size_t)colon - 1));
        if (first) {
            if (colon < 0 || !parse_type(key, val, out)) return PROTO_INVALID;
            first = false;
            continue;
        }
        if (colon < 0 || key.len == 0) continue;
        parse_line(key, val, &cur, out);
    }
    return first ? PROTO_INVALID : PROTO_OK;
}
