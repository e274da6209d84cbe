/* srtp.c - SDES keys (RFC 4568 a=crypto) and their libsrtp2 contexts.
 *
 * A key in a side's SDP protects what that side sends.  Each usable key
 * becomes one receiving libsrtp2 session (ssrc_any_inbound: every SSRC the
 * side sends with gets its own replay and rollover state inside it), for
 * RTP and RTCP alike.  Suites: AES_CM_128_HMAC_SHA1_80/_32,
 * AES_256_CM_HMAC_SHA1_80/_32, AEAD_AES_128_GCM, AEAD_AES_256_GCM.  Keys
 * with an MKI are refused (libsrtp2 would need the MKI in every policy and
 * SDES MKIs are unseen in practice): the stream is then counted as having
 * no key.  The replay window is 1,024 packets, so reordering in a capture
 * is not taken for replay; a real duplicate is (counted, dropped).
 */
#include "aud_internal.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    uint8_t key_len; /* master key + salt */
    void (*set)(srtp_crypto_policy_t *p);
} suites[] = {
    {"AES_CM_128_HMAC_SHA1_80", 30, srtp_crypto_policy_set_rtp_default},
    {"AES_CM_128_HMAC_SHA1_32", 30, srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32},
    {"AES_256_CM_HMAC_SHA1_80", 46, srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80},
    {"AES_256_CM_HMAC_SHA1_32", 46, srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32},
    {"AEAD_AES_128_GCM", 28, srtp_crypto_policy_set_aes_gcm_128_16_auth},
    {"AEAD_AES_256_GCM", 44, srtp_crypto_policy_set_aes_gcm_256_16_auth},
};

bool aud__srtp_init(char *err, size_t errlen)
{
    if (!srtp_lib_ready()) {
        snprintf(err, errlen, "libsrtp2 did not initialise");
        return false;
    }
    return true;
}

static int b64val(uint8_t c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

int aud__base64(sv_t in, uint8_t *out, size_t cap)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;
    for (size_t i = 0; i < in.len; i++) {
        uint8_t c = (uint8_t)in.p[i];
        if (c == '=') break;
        int v = b64val(c);
        if (v < 0) return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n == cap) return -1;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    return (int)n;
}

bool aud__key_make(const char *suite, size_t suite_len, sv_t key_b64, aud__key_t *k)
{
    memset(k, 0, sizeof *k);
    char err[64];
    if (!aud__srtp_init(err, sizeof err)) return false;
    int si = -1;
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
        if (strlen(suites[i].name) == suite_len && memcmp(suites[i].name, suite, suite_len) == 0)
            si = (int)i;
    if (si < 0) return false;
    int n = aud__base64(key_b64, k->key, sizeof k->key);
    if (n != suites[si].key_len) return false;
    k->key_len = (uint8_t)n;
    k->suite = (uint8_t)si;
    srtp_policy_t p;
    memset(&p, 0, sizeof p);
    suites[si].set(&p.rtp);
    suites[si].set(&p.rtcp);
    p.ssrc.type = ssrc_any_inbound;
    p.key = k->key;
    p.window_size = 1024;
    p.allow_repeat_tx = 0;
    p.next = NULL;
    if (srtp_create(&k->ctx, &p) != srtp_err_status_ok) {
        k->ctx = NULL;
        return false;
    }
    return true;
}

void aud__key_free(aud__key_t *k)
{
    if (k->ctx) srtp_dealloc(k->ctx);
    k->ctx = NULL;
}

/* "<tag> <suite> inline:<key||salt>[|lifetime][|MKI:len][;inline:...] [params]" */
bool aud__key_from_crypto(sv_t v, aud__key_t *k)
{
    size_t i = 0;
    while (i < v.len && v.p[i] != ' ' && v.p[i] != '\t') /* tag */
        i++;
    while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t'))
        i++;
    size_t s0 = i;
    while (i < v.len && v.p[i] != ' ' && v.p[i] != '\t')
        i++;
    size_t s1 = i;
    while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t'))
        i++;
    if (v.len - i < 7 || memcmp(v.p + i, "inline:", 7) != 0) return false;
    i += 7;
    size_t k0 = i;
    while (i < v.len && v.p[i] != '|' && v.p[i] != ';' && v.p[i] != ' ')
        i++;
    sv_t key = {v.p + k0, i - k0};
    /* |lifetime and |MKI:len: an MKI (a field with ':') is not supported */
    while (i < v.len && v.p[i] == '|') {
        size_t f0 = ++i;
        while (i < v.len && v.p[i] != '|' && v.p[i] != ';' && v.p[i] != ' ')
            i++;
        if (memchr(v.p + f0, ':', i - f0)) return false;
    }
    return aud__key_make(v.p + s0, s1 - s0, key, k);
}
