/* scanner.c - scanners, by fingerprint and by behaviour.
 *
 * Fingerprints (detection.md, sipvicious 0.3.3 as seen on the wire): a
 * scanner's User-Agent (alerts.scanner_user_agents, case-insensitive
 * substrings: friendly-scanner, sipvicious, sipcli, VaxSIPUserAgent, ...);
 * From display name "sipvicious"; a Via branch z9hG4bK-<digits> with a
 * numeric Call-ID; a From tag that hex-decodes to printable text with a
 * ':' or to digits (svmap encodes ip:port, svwar the extension, svcrack
 * user:password); svcrack's first REGISTER (tag 3206210844, Contact
 * sip:123@1.1.1.1); SIPp's defaults (From user "sipp" with Subject
 * "Performance Test" and no User-Agent).  One fingerprint is enough: a
 * single OPTIONS from svmap is a scan.
 *
 * Behaviour: one source sending requests to scan_targets distinct
 * destination endpoints within scan_window without ever getting a call
 * answered (distinct endpoints and hosts by linear counting).
 *
 * One incident per source; its evidence lists the fingerprints seen, the
 * tool they point to, distinct targets and hosts, and an example request.
 */
#include "det_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const default_uas[] = {"friendly-scanner",
                                          "sipvicious",
                                          "sipcli",
                                          "VaxSIPUserAgent",
                                          "sip-scan",
                                          "sundayddr",
                                          "iWar",
                                          "SIVuS",
                                          "smap"};

static bool all_digits(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return false;
    return true;
}

/* sipvicious's tags: hex of "<payload>\x01<random digits>" (the payload is
 * the target's ip:port as hex for svmap, the extension for svwar,
 * "user:password" for svcrack).  The payload, when the tag is one. */
bool det__hex_text(const char *tag, char *out, size_t n)
{
    size_t len = strlen(tag), k = 0;
    if (len < 4 || len % 2 || !n) return false;
    bool sep = false;
    for (size_t i = 0; i + 1 < len; i += 2) {
        char h[3] = {tag[i], tag[i + 1], 0};
        if (!isxdigit((unsigned char)h[0]) || !isxdigit((unsigned char)h[1])) return false;
        unsigned v = (unsigned)strtoul(h, NULL, 16);
        if (sep) {
            if (!isdigit((int)v)) return false;
            continue;
        }
        if (v == 1 && k > 0) {
            sep = true;
            continue;
        }
        if (v < 0x20 || v > 0x7e) return false;
        if (k + 1 < n) out[k++] = (char)v;
    }
    out[k] = '\0';
    return sep || k >= 2;
}

static bool all_hex(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if (!isxdigit((unsigned char)*s)) return false;
    return true;
}

static uint32_t fingerprint(const det_t *d, const det__msg_t *m, const char **tool)
{
    uint32_t fp = 0;
    *tool = NULL;
    if (m->user_agent[0]) {
        char ua[DET__UA_MAX];
        size_t k = 0;
        for (; m->user_agent[k] && k + 1 < sizeof ua; k++)
            ua[k] = (char)tolower((unsigned char)m->user_agent[k]);
        ua[k] = '\0';
        for (uint32_t i = 0; i < d->n_ua && !fp; i++)
            if (strstr(ua, d->ua[i])) fp |= DET__FP_UA;
        if (!d->cfg.n_scanner_user_agents)
            for (size_t i = 0; i < sizeof default_uas / sizeof default_uas[0] && !fp; i++)
                if (det__ci_contains(m->user_agent, default_uas[i])) fp |= DET__FP_UA;
        if (fp & DET__FP_UA) *tool = "user-agent";
    }
    if (det__ci_contains(m->from_display, "sipvicious")) fp |= DET__FP_SV_FROM;
    if (strncmp(m->via_branch, "z9hG4bK-", 8) == 0 && all_digits(m->via_branch + 8) &&
        all_digits(m->call_id))
        fp |= DET__FP_SV_BRANCH;
    char dec[64];
    if (det__hex_text(m->from_tag, dec, sizeof dec) && (strchr(dec, ':') || all_hex(dec)))
        fp |= DET__FP_SV_TAG;
    if (strcmp(m->from_tag, "3206210844") == 0 || m->contact_123) fp |= DET__FP_SVCRACK;
    if (fp & (DET__FP_SV_FROM | DET__FP_SV_BRANCH | DET__FP_SV_TAG | DET__FP_SVCRACK))
        *tool = "sipvicious";
    if (strcmp(m->from_user, "sipp") == 0 && m->subject_perf_test && !m->user_agent[0]) {
        fp |= DET__FP_SIPP;
        if (!*tool) *tool = "sipp";
    }
    /* one weak sign alone (a numeric tag or branch) is not enough */
    if ((fp & ~(uint32_t)(DET__FP_SV_BRANCH | DET__FP_SV_TAG)) == 0 &&
        !((fp & DET__FP_SV_BRANCH) && (fp & DET__FP_SV_TAG)))
        fp = 0, *tool = NULL;
    return fp;
}

static void scanner_alert(det_t *d, det__src_t *s, const det__msg_t *m, const char *tool,
                          uint32_t targets, uint32_t hosts)
{
    det__report_t r = {.type = ALERT_SCANNER,
                       .severity = tool ? ALERT_SEV_HIGH : ALERT_SEV_MEDIUM,
                       .key = det__key_ip(0x7363616e, &s->ip),
                       .src = {s->ip, m->src.port},
                       .dst = m->dst,
                       .first_ts = s->first_ts,
                       .ts = m->ts_ns,
                       .count = s->requests};
    if (!det__incident_due(d, &r)) return;
    json_writer_t w;
    det__ev_begin(d, &w);
    json_key(&w, "tool");
    json_cstr(&w, tool);
    json_key(&w, "fingerprints");
    json_arr_begin(&w);
    static const char *const fpn[] = {"user_agent",     "sipvicious_from", "sipvicious_branch",
                                      "sipvicious_tag", "svcrack_first",   "sipp_defaults"};
    for (int i = 0; i < 6; i++)
        if (s->fingerprints & (1u << i)) json_cstr(&w, fpn[i]);
    json_arr_end(&w);
    json_key(&w, "distinct_targets");
    json_uint(&w, targets);
    json_key(&w, "distinct_hosts");
    json_uint(&w, hosts);
    json_key(&w, "window_s");
    json_double(&w, (double)d->cfg.scan_window / NS_PER_SEC, 3);
    json_key(&w, "threshold");
    json_uint(&w, d->cfg.scan_targets);
    json_key(&w, "calls_answered");
    json_bool(&w, s->call_ok_ts != 0);
    json_key(&w, "requests");
    json_uint(&w, s->requests);
    json_key(&w, "example");
    json_obj_begin(&w);
    json_key(&w, "method");
    json_cstr(&w, sip_method_name((sip_method_t)m->method));
    det__json_ep(&w, "dst", &m->dst);
    json_key(&w, "user_agent");
    json_cstr(&w, m->user_agent);
    json_key(&w, "from_display");
    json_cstr(&w, m->from_display);
    json_key(&w, "from_tag");
    json_cstr(&w, m->from_tag);
    json_key(&w, "via_branch");
    json_cstr(&w, m->via_branch);
    json_key(&w, "call_id");
    json_cstr(&w, m->call_id);
    json_obj_end(&w);
    det__ev_end(d, &w);
    char ip[IP_STR_MAX];
    det__fmt_ip(&s->ip, ip, sizeof ip);
    if (tool)
        buf_printf(&d->sm, "scanner %s (%s) touched %u targets on %u hosts", ip, tool, targets,
                   hosts);
    else
        buf_printf(&d->sm, "scanner %s touched %u targets on %u hosts in %.0f s without a call", ip,
                   targets, hosts, (double)d->cfg.scan_window / NS_PER_SEC);
    det__publish(d, &r);
}

void det__scanner_msg(det_t *d, det__src_t *s, const det__msg_t *m)
{
    uint32_t targets =
        det__wset_add(&s->targets, m->ts_ns, d->cfg.scan_window, endpoint_hash(&m->dst));
    uint32_t hosts =
        det__wset_add(&s->hosts, m->ts_ns, d->cfg.scan_window, det__key_ip(3, &m->dst.ip));
    const char *tool;
    uint32_t fp = fingerprint(d, m, &tool);
    s->fingerprints |= fp;
    if (fp && !s->example_ua[0]) snprintf(s->example_ua, sizeof s->example_ua, "%s", m->user_agent);
    bool behaviour = d->cfg.scan_targets && targets >= d->cfg.scan_targets && !s->call_ok_ts;
    if (!fp && !behaviour) return;
    scanner_alert(d, s, m, tool, targets, hosts);
}
