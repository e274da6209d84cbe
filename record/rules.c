/* rules.c - which calls are recorded when record.calls = rules.
 *
 * A rule is one record.rules item: conditions joined by '&', all of which
 * must hold; a call is recorded when any rule holds.  Conditions:
 *   caller=GLOB    the From user part (fnmatch: * ? [...])
 *   callee=GLOB    the To user part
 *   ip=ADDR[/LEN]  the source or destination address of the INVITE
 *   header=NAME[: VALUE]  the INVITE carries header NAME (with that value,
 *                  compared without case; without VALUE: present at all)
 * They are evaluated once per call, on its first message (the INVITE that
 * created it), so the decision is known before any other packet of the
 * call arrives.  The header lookup reads the message's header lines only,
 * bounded by its length (fuzz_record_rules).
 */
#include "rec_internal.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

static bool cond_parse(sv_t t, rec__cond_t *c, char *err, size_t errlen)
{
    t = sv_trim(t);
    long eq = sv_index_of(t, '=');
    if (eq <= 0) {
        snprintf(err, errlen, "record rule \"%.*s\": expected KEY=VALUE", SV_FMT(t));
        return false;
    }
    sv_t key = sv_trim(sv_make(t.p, (size_t)eq));
    sv_t val = sv_trim(sv_make(t.p + eq + 1, t.len - (size_t)eq - 1));
    memset(c, 0, sizeof *c);
    if (val.len == 0 || val.len >= sizeof c->pat) {
        snprintf(err, errlen, "record rule \"%.*s\": empty or too long value", SV_FMT(t));
        return false;
    }
    if (sv_ieq_cstr(key, "caller") || sv_ieq_cstr(key, "callee")) {
        c->type = sv_ieq_cstr(key, "caller") ? REC__COND_CALLER : REC__COND_CALLEE;
        sv_copy_cstr(val, c->pat, sizeof c->pat);
        return true;
    }
    if (sv_ieq_cstr(key, "ip")) {
        c->type = REC__COND_IP;
        long slash = sv_index_of(val, '/');
        sv_t a = slash < 0 ? val : sv_make(val.p, (size_t)slash);
        if (!ip_addr_parse(a, &c->net)) {
            snprintf(err, errlen, "record rule \"%.*s\": not an IP address", SV_FMT(t));
            return false;
        }
        unsigned max = c->net.family == IP_V4 ? 32 : 128;
        uint64_t len = max;
        if (slash >= 0 &&
            !sv_to_u64(sv_make(val.p + slash + 1, val.len - (size_t)slash - 1), max, &len)) {
            snprintf(err, errlen, "record rule \"%.*s\": prefix length 0..%u", SV_FMT(t), max);
            return false;
        }
        c->prefix_len = (uint8_t)len;
        return true;
    }
    if (sv_ieq_cstr(key, "header")) {
        c->type = REC__COND_HEADER;
        long colon = sv_index_of(val, ':');
        sv_t name = sv_trim(colon < 0 ? val : sv_make(val.p, (size_t)colon));
        sv_t hv =
            colon < 0 ? SV_NULL : sv_trim(sv_make(val.p + colon + 1, val.len - (size_t)colon - 1));
        if (name.len == 0 || name.len >= sizeof c->name) {
            snprintf(err, errlen, "record rule \"%.*s\": bad header name", SV_FMT(t));
            return false;
        }
        sv_copy_cstr(name, c->name, sizeof c->name);
        sv_copy_cstr(hv, c->pat, sizeof c->pat);
        return true;
    }
    snprintf(err, errlen, "record rule \"%.*s\": unknown key (caller, callee, ip, header)",
             SV_FMT(t));
    return false;
}

bool rec__rule_parse(const char *text, rec__rule_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    sv_t rest = sv_from_cstr(text);
    for (;;) {
        long amp = sv_index_of(rest, '&');
        sv_t one = amp < 0 ? rest : sv_make(rest.p, (size_t)amp);
        if (out->n == REC__COND_MAX) {
            snprintf(err, errlen, "record rule \"%s\": more than %d conditions", text,
                     REC__COND_MAX);
            return false;
        }
        if (!cond_parse(one, &out->c[out->n++], err, errlen)) return false;
        if (amp < 0) break;
        rest = sv_make(rest.p + amp + 1, rest.len - (size_t)amp - 1);
    }
    return true;
}

bool rec_rule_check(const char *rule, char *err, size_t errlen)
{
    rec__rule_t r;
    return rec__rule_parse(rule, &r, err, errlen);
}

static bool in_prefix(const ip_addr_t *a, const ip_addr_t *net, unsigned len)
{
    if (a->family != net->family) return false;
    unsigned full = len / 8, bits = len % 8;
    if (memcmp(a->bytes, net->bytes, full) != 0) return false;
    if (!bits) return true;
    uint8_t mask = (uint8_t)(0xff << (8 - bits));
    return (a->bytes[full] & mask) == (net->bytes[full] & mask);
}

static bool glob(const char *pat, sv_t s)
{
    char buf[CORR_STR_MAX];
    sv_copy_cstr(s, buf, sizeof buf);
    return fnmatch(pat, buf, 0) == 0;
}

bool rec__sip_header(const uint8_t *msg, size_t len, const char *name, sv_t *value)
{
    size_t nlen = strlen(name);
    size_t i = 0;
    /* past the start line */
    while (i < len && msg[i] != '\n')
        i++;
    i++;
    while (i < len) {
        size_t e = i;
        while (e < len && msg[e] != '\n')
            e++;
        sv_t line = sv_make(msg + i, e - i);
        if (line.len && line.p[line.len - 1] == '\r') line.len--;
        if (line.len == 0) return false; /* end of the header block */
        if (line.len > nlen && sv_ieq(sv_make(line.p, nlen), sv_make(name, nlen))) {
            size_t k = nlen;
            while (k < line.len && (line.p[k] == ' ' || line.p[k] == '\t'))
                k++;
            if (k < line.len && line.p[k] == ':') {
                *value = sv_trim(sv_make(line.p + k + 1, line.len - k - 1));
                return true;
            }
        }
        i = e + 1;
    }
    return false;
}

static bool cond_match(const rec__cond_t *c, const corr_packet_t *p)
{
    const corr_sip_message_t *m = p->sip;
    switch (c->type) {
    case REC__COND_CALLER:
        return m && glob(c->pat, m->from_user);
    case REC__COND_CALLEE:
        return m && glob(c->pat, m->to_user);
    case REC__COND_IP:
        return in_prefix(&p->dg->src.ip, &c->net, c->prefix_len) ||
               in_prefix(&p->dg->dst.ip, &c->net, c->prefix_len);
    case REC__COND_HEADER: {
        sv_t v;
        if (!m || !rec__sip_header(m->data, m->len, c->name, &v)) return false;
        return c->pat[0] == '\0' || sv_ieq_cstr(v, c->pat);
    }
    }
    return false;
}

bool rec__rule_match(const rec__rule_t *r, const corr_packet_t *p)
{
    for (uint32_t i = 0; i < r->n; i++)
        if (!cond_match(&r->c[i], p)) return false;
    return r->n > 0;
}
