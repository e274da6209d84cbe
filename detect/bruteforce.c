/* bruteforce.c - password guessing: 401/407 challenges per (source,
 * account) over a short and a long window (fail2ban's 10 in 600 s, ET's 5
 * in 360 s), with the short threshold a warning (medium) and the long one a
 * brute force (high).
 *
 * A misconfigured phone and a cracker both collect challenges; what tells
 * them apart:
 *   - pace: a phone retries at its registration interval (tens of seconds
 *     between challenges), a cracker as fast as it can (the smallest gap
 *     between two challenges is kept);
 *   - guesses: a phone sends the same wrong password each time, so it
 *     answers each nonce once; a cracker answers the same nonce with many
 *     different responses (distinct responses above distinct nonces);
 *   - the tool itself: svcrack encodes "user:password" in its From tags
 *     (hex), so the passwords tried are reported (the last six, and how
 *     many), as are its fingerprints.
 * Only a challenge to a request that carried credentials counts (the
 * request's Call-ID and CSeq are remembered): the first challenge of every
 * registration is routine.
 * The verdict ("cracker" or "misconfigured_phone") and every figure behind
 * it go into the evidence.  One incident per (source, account).
 */
#include "det_internal.h"

#include <stdio.h>
#include <string.h>

static uint64_t acct_key(const ip_addr_t *ip, const char *user)
{
    return det__key_ip(0x61636374, ip) ^ hash_bytes(user, strlen(user), 0x75);
}

static void lc_add(uint64_t bits[2], uint64_t h)
{
    uint32_t b = (uint32_t)(hash_u64(h) % 128);
    bits[b / 64] |= 1ull << (b % 64);
}

static void request(det_t *d, const det__msg_t *m)
{
    const char *user = m->to_user[0] ? m->to_user : m->auth_user;
    if (!user[0]) return;
    char dec[64];
    bool tagged = det__hex_text(m->from_tag, dec, sizeof dec);
    uint64_t key = acct_key(&m->src.ip, user);
    bool created = false;
    /* an entry only for a request that authenticates or carries a guess:
     * a flood of plain INVITEs costs no account entries */
    det__acct_t *a = m->has_auth || tagged ? det__table_get(&d->accounts, key, &created)
                                           : det__table_find(&d->accounts, key);
    if (!a) return;
    if (created) {
        a->ip = m->src.ip;
        a->dst = m->dst;
        a->first_ts = m->ts_ns;
        snprintf(a->user, sizeof a->user, "%s", user);
    }
    a->last_ts = m->ts_ns;
    if (m->has_auth) {
        a->auth_requests++;
        a->authed[a->authed_next] = m->call_id_hash ^ hash_u64(m->cseq);
        a->authed_next = (uint8_t)((a->authed_next + 1) % DET__AUTHED_KEPT);
        lc_add(a->nonces, m->auth_nonce_hash);
        lc_add(a->responses, m->auth_response_hash);
    }
    if (tagged) {
        const char *colon = strchr(dec, ':');
        if (colon && strncmp(dec, user, (size_t)(colon - dec)) == 0 &&
            strlen(user) == (size_t)(colon - dec)) {
            const char *pw = colon + 1;
            uint8_t prev = (uint8_t)((a->pw_next + DET__PW_EXAMPLES - 1) % DET__PW_EXAMPLES);
            if (!a->passwords || strcmp(a->pw[prev], pw) != 0) { /* retries repeat a tag */
                snprintf(a->pw[a->pw_next], sizeof a->pw[0], "%s", pw);
                a->pw_next = (uint8_t)((a->pw_next + 1) % DET__PW_EXAMPLES);
                a->passwords++;
            }
        }
    }
}

static void challenge(det_t *d, const det__msg_t *m)
{
    const char *user = m->to_user;
    if (!user[0]) return;
    /* only a challenge to a request that carried credentials is a failed
     * attempt: the first challenge of every registration is routine */
    det__acct_t *a = det__table_find(&d->accounts, acct_key(&m->dst.ip, user));
    if (!a) return;
    uint64_t k = m->call_id_hash ^ hash_u64(m->cseq);
    bool failed = false;
    for (int i = 0; i < DET__AUTHED_KEPT; i++)
        failed |= a->authed[i] == k;
    if (!failed) return;
    int64_t ts = m->ts_ns;
    if (a->last_challenge_ts) {
        int64_t gap = ts - a->last_challenge_ts;
        if (gap >= 0 && (a->min_gap_ns == 0 || gap < a->min_gap_ns)) a->min_gap_ns = gap ? gap : 1;
    }
    a->last_challenge_ts = ts;
    a->last_ts = ts;
    if (!a->short_start || ts - a->short_start >= d->cfg.brute_short_window)
        a->short_start = ts, a->short_n = 0;
    if (!a->long_start || ts - a->long_start >= d->cfg.brute_long_window)
        a->long_start = ts, a->long_n = 0;
    a->short_n++;
    a->long_n++;
    a->total++;
    bool warn = d->cfg.brute_short && a->short_n >= d->cfg.brute_short;
    bool brute = d->cfg.brute_long && a->long_n >= d->cfg.brute_long;
    if (!warn && !brute) return;
    uint32_t nonces = det__lc_estimate(a->nonces, 2);
    uint32_t responses = det__lc_estimate(a->responses, 2);
    bool fast = a->min_gap_ns && a->min_gap_ns < 5 * NS_PER_SEC;
    bool cracker = fast || responses > nonces || a->passwords > 1;
    det__report_t r = {.type = ALERT_BRUTEFORCE,
                       .severity = brute && cracker ? ALERT_SEV_HIGH
                                   : cracker        ? ALERT_SEV_MEDIUM
                                                    : ALERT_SEV_LOW,
                       .key = acct_key(&a->ip, a->user),
                       .src = {a->ip, m->dst.port},
                       .dst = a->dst,
                       .user = a->user,
                       .first_ts = a->first_ts,
                       .ts = ts,
                       .count = a->total};
    if (!det__incident_due(d, &r)) return;
    json_writer_t w;
    det__ev_begin(d, &w);
    json_key(&w, "verdict");
    json_cstr(&w, cracker ? "cracker" : "misconfigured_phone");
    json_key(&w, "challenges");
    json_uint(&w, a->total);
    json_key(&w, "short_window");
    json_obj_begin(&w);
    json_key(&w, "count");
    json_uint(&w, a->short_n);
    json_key(&w, "threshold");
    json_uint(&w, d->cfg.brute_short);
    json_key(&w, "window_s");
    json_double(&w, (double)d->cfg.brute_short_window / NS_PER_SEC, 0);
    json_obj_end(&w);
    json_key(&w, "long_window");
    json_obj_begin(&w);
    json_key(&w, "count");
    json_uint(&w, a->long_n);
    json_key(&w, "threshold");
    json_uint(&w, d->cfg.brute_long);
    json_key(&w, "window_s");
    json_double(&w, (double)d->cfg.brute_long_window / NS_PER_SEC, 0);
    json_obj_end(&w);
    json_key(&w, "min_gap_s");
    json_double(&w, (double)a->min_gap_ns / NS_PER_SEC, 3);
    json_key(&w, "authenticated_requests");
    json_uint(&w, a->auth_requests);
    json_key(&w, "distinct_nonces");
    json_uint(&w, nonces);
    json_key(&w, "distinct_responses");
    json_uint(&w, responses);
    json_key(&w, "last_answer");
    json_uint(&w, m->status);
    json_key(&w, "passwords_tried");
    json_uint(&w, a->passwords);
    json_key(&w, "passwords");
    json_arr_begin(&w);
    uint32_t n = a->passwords < DET__PW_EXAMPLES ? a->passwords : DET__PW_EXAMPLES;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t slot = (a->pw_next + DET__PW_EXAMPLES - n + i) % DET__PW_EXAMPLES;
        json_cstr(&w, a->pw[slot]);
    }
    json_arr_end(&w);
    det__ev_end(d, &w);
    char ip[IP_STR_MAX];
    det__fmt_ip(&a->ip, ip, sizeof ip);
    buf_printf(&d->sm, "%s on account '%s' from %s: %u challenges",
               cracker ? "password guessing"
                       : "repeated failed authentication (misconfigured phone?)",
               a->user, ip, a->total);
    if (a->passwords) buf_printf(&d->sm, ", %u passwords tried", a->passwords);
    det__publish(d, &r);
}

void det__brute_msg(det_t *d, const det__msg_t *m)
{
    if (m->is_request) {
        if (m->method == SIP_REGISTER || m->method == SIP_INVITE) request(d, m);
    } else if ((m->status == 401 || m->status == 407) &&
               (m->cseq_method == SIP_REGISTER || m->cseq_method == SIP_INVITE)) {
        challenge(d, m);
    }
}
