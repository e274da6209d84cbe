/* sink_http.c - HTTPS sinks through libcurl: a webhook signed with
 * HMAC-SHA256, and Splunk's HTTP Event Collector.
 *
 * Webhook: one POST per alert, the body the contract's JSON object
 * (alert_config_t.encode), with
 *     X-Siphon-Timestamp: <unix seconds>
 *     X-Siphon-Signature: sha256=<hex HMAC-SHA256(secret, timestamp "." body)>
 * The receiver recomputes the HMAC over the raw body and refuses stale
 * timestamps, so a captured request cannot be replayed later (the scheme
 * of Stripe's and Slack's webhooks).
 *
 * HEC: POST /services/collector/event with "Authorization: Splunk
 * <token>", a batch of up to 64 event envelopes back to back (fmt_json.c).
 *
 * One curl handle per sink, reused so the TLS connection is kept alive;
 * the server's certificate is verified (alerts.tls_ca or ?ca=, else the
 * system store) and so is its name; a client certificate is sent when
 * configured.  A 2xx answer is delivery; 408, 429, 5xx and transport
 * errors are retried by the hub; any other status refuses the alert for
 * good (retrying a request the receiver calls malformed would block the
 * queue forever).
 */
#include "alert_internal.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef ALERT_VERSION
#define ALERT_VERSION "0"
#endif

typedef struct {
    const alert__sink_env_t *env;
    CURL *curl;
    char url[ALERT_URL_MAX + 16];
    buf_t body, sign;
    char answer[256]; /* the start of the receiver's answer, for errors */
    size_t answer_len;
} alert__http_t;

static pthread_once_t alert__curl_once = PTHREAD_ONCE_INIT;
static void alert__curl_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void alert__hmac_hex(const void *key, size_t key_len, const char *timestamp, const void *body,
                     size_t body_len, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    buf_t msg;
    buf_init(&msg);
    buf_printf(&msg, "%s.", timestamp);
    buf_append(&msg, body, body_len);
    HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg.data, msg.len, md, &md_len);
    buf_free(&msg);
    for (unsigned i = 0; i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
}

static size_t alert__http_answer(char *p, size_t size, size_t n, void *user)
{
    alert__http_t *t = user;
    size_t len = size * n, room = sizeof t->answer - 1 - t->answer_len;
    size_t k = len < room ? len : room;
    memcpy(t->answer + t->answer_len, p, k);
    t->answer_len += k;
    t->answer[t->answer_len] = '\0';
    return len;
}

static void *alert__http_create(const alert__sink_env_t *env, char *err, size_t errlen)
{
    pthread_once(&alert__curl_once, alert__curl_init);
    alert__http_t *t = calloc(1, sizeof *t);
    if (!t) return snprintf(err, errlen, "out of memory"), NULL;
    t->env = env;
    buf_init(&t->body);
    buf_init(&t->sign);
    const alert_sink_spec_t *sp = env->spec;
    bool v6 = strchr(sp->host, ':') != NULL;
    snprintf(t->url, sizeof t->url, "https://%s%s%s:%u%s", v6 ? "[" : "", sp->host, v6 ? "]" : "",
             sp->port, sp->path);
    t->curl = curl_easy_init();
    if (!t->curl) {
        snprintf(err, errlen, "curl_easy_init failed");
        free(t);
        return NULL;
    }
    CURL *c = t->curl;
    long ms = (long)(env->timeout_ns / NS_PER_MSEC);
    curl_easy_setopt(c, CURLOPT_URL, t->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms > 0 ? ms : 5000L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms > 0 ? ms : 5000L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "siphon/" ALERT_VERSION);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, alert__http_answer);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
    if (env->ca) curl_easy_setopt(c, CURLOPT_CAINFO, env->ca);
    if (env->cert) {
        curl_easy_setopt(c, CURLOPT_SSLCERT, env->cert);
        curl_easy_setopt(c, CURLOPT_SSLKEY, env->key ? env->key : env->cert);
    }
    return t;
}

static int alert__http_open(void *self, char *err, size_t errlen)
{
    return 0; /* curl connects (and keeps the connection) itself */
}

/* POSTs t->body with the headers; 0 delivered, -1 retry, -2 refused. */
static int alert__http_post(alert__http_t *t, struct curl_slist *hdr, char *err, size_t errlen)
{
    CURL *c = t->curl;
    t->answer_len = 0;
    t->answer[0] = '\0';
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, t->body.data ? t->body.data : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)t->body.len);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "%s: %s", t->url, curl_easy_strerror(rc));
        return -1;
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) return 0;
    buf_t why;
    buf_init(&why);
    text_inert_cstr(&why, t->answer);
    snprintf(err, errlen, "%s: HTTP %ld %.*s", t->url, status, (int)(why.len < 160 ? why.len : 160),
             why.data ? why.data : "");
    buf_free(&why);
    return status == 408 || status == 429 || status >= 500 ? -1 : -2;
}

static uint32_t alert__webhook_send(void *self, alert__rec_t *const *recs, uint32_t n, bool *perm,
                                    char *err, size_t errlen)
{
    alert__http_t *t = self;
    *perm = false;
    for (uint32_t i = 0; i < n; i++) {
        buf_reset(&t->body);
        t->env->encode(&t->body, &recs[i]->a);
        while (t->body.len && t->body.data[t->body.len - 1] == '\n')
            t->body.len--;
        char ts[24], hex[65];
        snprintf(ts, sizeof ts, "%lld", (long long)(clock_real_ns() / NS_PER_SEC));
        alert__hmac_hex(t->env->secret, t->env->secret_len, ts, t->body.data, t->body.len, hex);
        char h1[64], h2[96];
        snprintf(h1, sizeof h1, "X-Siphon-Timestamp: %s", ts);
        snprintf(h2, sizeof h2, "X-Siphon-Signature: sha256=%s", hex);
        struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
        hdr = curl_slist_append(hdr, h1);
        hdr = curl_slist_append(hdr, h2);
        hdr = curl_slist_append(hdr, "Expect:");
        int rc = hdr ? alert__http_post(t, hdr, err, errlen) : -1;
        curl_slist_free_all(hdr);
        if (rc != 0) {
            *perm = rc == -2;
            return i;
        }
    }
    return n;
}

static uint32_t alert__hec_send(void *self, alert__rec_t *const *recs, uint32_t n, bool *perm,
                                char *err, size_t errlen)
{
    alert__http_t *t = self;
    *perm = false;
    buf_reset(&t->body);
    for (uint32_t i = 0; i < n; i++) {
        alert__fmt_hec(&t->body, &recs[i]->a, t->env);
        buf_putc(&t->body, '\n');
    }
    buf_reset(&t->sign);
    buf_printf(&t->sign, "Authorization: Splunk %s", t->env->secret);
    buf_putc(&t->sign, '\0');
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, t->sign.data);
    hdr = curl_slist_append(hdr, "Expect:");
    int rc = hdr ? alert__http_post(t, hdr, err, errlen) : -1;
    curl_slist_free_all(hdr);
    memset(t->sign.data, 0, t->sign.len);
    if (rc == 0) return n;
    *perm = rc == -2;
    return 0;
}

static void alert__http_close(void *self) {}

static void alert__http_free(void *self)
{
    alert__http_t *t = self;
    curl_easy_cleanup(t->curl);
    buf_free(&t->body);
    buf_free(&t->sign);
    free(t);
}

const alert__sink_ops_t alert__webhook_ops = {
    .name = "webhook",
    .max_batch = 16,
    .create = alert__http_create,
    .open = alert__http_open,
    .send = alert__webhook_send,
    .close = alert__http_close,
    .free = alert__http_free,
};

const alert__sink_ops_t alert__hec_ops = {
    .name = "hec",
    .max_batch = 64,
    .create = alert__http_create,
    .open = alert__http_open,
    .send = alert__hec_send,
    .close = alert__http_close,
    .free = alert__http_free,
};
