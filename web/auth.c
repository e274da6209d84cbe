/* auth.c - who may use the dashboard: argon2id password hashes, sessions
 * and the log-in rate limits.
 *
 * Passwords are hashed with argon2id (libargon2, RFC 9106) at OWASP's
 * minimum cost (19 MiB, 2 passes, 1 lane) with a random 16-byte salt; the
 * encoded string carries its parameters, so raising the cost later still
 * verifies old hashes.  Sessions live in memory (a restart logs everyone
 * out): a fixed table of web.max_sessions slots, each a 256-bit random
 * token (the cookie) and a separate 256-bit CSRF token the front end sends
 * back in X-CSRF-Token on every state-changing request.  A session ends
 * after web.session_idle without use or web.session_max after log-in; a
 * full table evicts the least recently used.  Tokens are compared in
 * constant time.  Log-in failures are counted per source address and per
 * user name in fixed one-minute windows; the fifth failure in a window
 * blocks further attempts until it ends.  The tables are shared by the
 * service thread (the gate) and the query workers (log-in): auth_mu.
 */
#include "web_internal.h"

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#define AUTH__T_COST    2
#define AUTH__M_COST    19456 /* KiB */
#define AUTH__LANES     1
#define AUTH__SALT      16
#define AUTH__HASH      32
#define AUTH__WINDOW_NS (60LL * 1000000000LL)
#define AUTH__MAX_FAILS 5

int web__hash_password(const char *password, char *out, size_t outlen)
{
    uint8_t salt[AUTH__SALT];
    if (RAND_bytes(salt, sizeof salt) != 1) return -1;
    int rc = argon2id_hash_encoded(AUTH__T_COST, AUTH__M_COST, AUTH__LANES, password,
                                   strlen(password), salt, sizeof salt, AUTH__HASH, out, outlen);
    return rc == ARGON2_OK ? 0 : -1;
}

bool web__verify_password(const char *encoded, const char *password)
{
    return argon2id_verify(encoded, password, strlen(password)) == ARGON2_OK;
}

void web__random_hex(char *out, size_t nbytes)
{
    uint8_t b[64];
    if (nbytes > sizeof b) nbytes = sizeof b;
    if (RAND_bytes(b, (int)nbytes) != 1) abort();
    for (size_t i = 0; i < nbytes; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    out[2 * nbytes] = '\0';
}

static bool auth__expired(const web_t *w, const web__session_t *s, int64_t now_ns)
{
    return now_ns - s->used_ns > w->cfg.session_idle_ns ||
           now_ns - s->created_ns > w->cfg.session_max_ns;
}

/* The value of cookie "siphon_session" in a Cookie header, or "". */
void web__cookie_token(const char *header, char *out, size_t outlen)
{
    out[0] = '\0';
    const char *p = header;
    while (p && *p) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > 15 && strncmp(p, "siphon_session=", 15) == 0) {
            size_t v = n - 15;
            if (v >= outlen) v = outlen - 1;
            memcpy(out, p + 15, v);
            out[v] = '\0';
            return;
        }
        p = end;
    }
}

static void auth__end(web__session_t *s)
{
    OPENSSL_cleanse(s, sizeof *s);
    s->used = false;
}

bool web__session_find(web_t *w, const char *cookie, int64_t now_ns, web__session_t *out)
{
    char token[WEB__TOKEN_HEX + 2];
    web__cookie_token(cookie, token, sizeof token);
    if (strlen(token) != WEB__TOKEN_HEX) return false;
    bool found = false;
    pthread_mutex_lock(&w->auth_mu);
    for (uint32_t i = 0; i < w->cfg.max_sessions; i++) {
        web__session_t *s = &w->sessions[i];
        if (!s->used || CRYPTO_memcmp(s->token, token, WEB__TOKEN_HEX) != 0) continue;
        if (auth__expired(w, s, now_ns)) {
            auth__end(s);
            break;
        }
        s->used_ns = now_ns;
        if (out) *out = *s;
        found = true;
        break;
    }
    pthread_mutex_unlock(&w->auth_mu);
    return found;
}

bool web__session_new(web_t *w, const char *user, web_role_t role, int64_t now_ns,
                      web__session_t *out)
{
    pthread_mutex_lock(&w->auth_mu);
    web__session_t *slot = NULL;
    for (uint32_t i = 0; i < w->cfg.max_sessions; i++) {
        web__session_t *s = &w->sessions[i];
        if (s->used && auth__expired(w, s, now_ns)) auth__end(s);
        if (!s->used) {
            slot = s;
            break;
        }
        if (!slot || s->used_ns < slot->used_ns) slot = s; /* least recently used */
    }
    if (slot) {
        memset(slot, 0, sizeof *slot);
        slot->used = true;
        web__random_hex(slot->token, WEB__TOKEN_HEX / 2);
        web__random_hex(slot->csrf, WEB__TOKEN_HEX / 2);
        snprintf(slot->user, sizeof slot->user, "%s", user);
        slot->role = role;
        slot->created_ns = slot->used_ns = now_ns;
        *out = *slot;
    }
    pthread_mutex_unlock(&w->auth_mu);
    return slot != NULL; /* false: max_sessions 0 */
}

void web__session_end(web_t *w, const char *token)
{
    pthread_mutex_lock(&w->auth_mu);
    for (uint32_t i = 0; i < w->cfg.max_sessions; i++) {
        web__session_t *s = &w->sessions[i];
        if (s->used && CRYPTO_memcmp(s->token, token, WEB__TOKEN_HEX) == 0) auth__end(s);
    }
    pthread_mutex_unlock(&w->auth_mu);
}

uint32_t web__session_count(web_t *w)
{
    uint32_t n = 0;
    pthread_mutex_lock(&w->auth_mu);
    for (uint32_t i = 0; i < w->cfg.max_sessions; i++)
        n += w->sessions[i].used;
    pthread_mutex_unlock(&w->auth_mu);
    return n;
}

static web__limit_t *auth__limit(web_t *w, const char *key, int64_t now_ns, bool make)
{
    web__limit_t *free_slot = NULL, *oldest = NULL;
    for (size_t i = 0; i < WEB__LIMITS; i++) {
        web__limit_t *l = &w->limits[i];
        if (l->key[0] && strcmp(l->key, key) == 0) {
            if (now_ns - l->window_ns > AUTH__WINDOW_NS) {
                l->failures = 0;
                l->window_ns = now_ns;
            }
            return l;
        }
        if (!l->key[0] || now_ns - l->window_ns > AUTH__WINDOW_NS) {
            if (!free_slot) free_slot = l;
        } else if (!oldest || l->window_ns < oldest->window_ns) {
            oldest = l;
        }
    }
    if (!make) return NULL;
    web__limit_t *l = free_slot ? free_slot : oldest;
    snprintf(l->key, sizeof l->key, "%s", key);
    l->failures = 0;
    l->window_ns = now_ns;
    return l;
}

bool web__limit_ok(web_t *w, const char *key, int64_t now_ns)
{
    pthread_mutex_lock(&w->auth_mu);
    web__limit_t *l = auth__limit(w, key, now_ns, false);
    bool ok = !l || l->failures < AUTH__MAX_FAILS;
    pthread_mutex_unlock(&w->auth_mu);
    return ok;
}

void web__limit_fail(web_t *w, const char *key, int64_t now_ns)
{
    pthread_mutex_lock(&w->auth_mu);
    web__limit_t *l = auth__limit(w, key, now_ns, true);
    l->failures++;
    pthread_mutex_unlock(&w->auth_mu);
}

void web__limit_clear(web_t *w, const char *key)
{
    pthread_mutex_lock(&w->auth_mu);
    web__limit_t *l = auth__limit(w, key, 0, false);
    if (l) memset(l, 0, sizeof *l);
    pthread_mutex_unlock(&w->auth_mu);
}
