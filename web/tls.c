/* tls.c - the self-signed certificate the dashboard uses until the
 * operator configures one (web.tls_cert/tls_key).
 *
 * Made once, on first start, under web.state_dir: an EC P-256 key (mode
 * 0600) and an X.509 v3 certificate valid for one year for the listen
 * host and localhost (subjectAltName), signed with SHA-256 by OpenSSL.
 * Browsers warn about it, which is right: the operator should replace it.
 */
#include "web_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int tls__ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!e) return -1;
    int ok = X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    return ok ? 0 : -1;
}

int web__selfsigned(const char *cert_path, const char *key_path, const char *host, char *err,
                    size_t errlen)
{
    int rc = -1;
    EVP_PKEY *pk = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    FILE *f = NULL;
    if (!pk || !x) {
        snprintf(err, errlen, "cannot make a key");
        goto out;
    }
    X509_set_version(x, 2);
    uint8_t serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1) goto out;
    serial[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 365L * 86400);
    X509_set_pubkey(x, pk);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"siphon", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"siphon dashboard",
                               -1, -1, 0);
    X509_set_issuer_name(x, name);
    char san[200];
    bool ip = strspn(host, "0123456789.:abcdefABCDEF") == strlen(host) && strchr(host, '.');
    if (!host[0] || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
        snprintf(san, sizeof san, "DNS:localhost,IP:127.0.0.1");
    else
        snprintf(san, sizeof san, "DNS:localhost,IP:127.0.0.1,%s:%s", ip ? "IP" : "DNS", host);
    if (tls__ext(x, NID_subject_alt_name, san) != 0 ||
        tls__ext(x, NID_basic_constraints, "critical,CA:FALSE") != 0 ||
        tls__ext(x, NID_ext_key_usage, "serverAuth") != 0) {
        snprintf(err, errlen, "cannot add the certificate's extensions");
        goto out;
    }
    if (!X509_sign(x, pk, EVP_sha256())) {
        snprintf(err, errlen, "cannot sign the certificate");
        goto out;
    }
    int fd = open(key_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || !(f = fdopen(fd, "w"))) {
        if (fd >= 0) close(fd);
        snprintf(err, errlen, "%s: %s", key_path, strerror(errno));
        goto out;
    }
    if (!PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL) || fclose(f) != 0) {
        f = NULL;
        snprintf(err, errlen, "%s: cannot write the key", key_path);
        goto out;
    }
    f = fopen(cert_path, "w");
    if (!f || !PEM_write_X509(f, x) || fclose(f) != 0) {
        f = NULL;
        snprintf(err, errlen, "%s: cannot write the certificate", cert_path);
        goto out;
    }
    f = NULL;
    rc = 0;
out:
    if (f) fclose(f);
    X509_free(x);
    EVP_PKEY_free(pk);
    return rc;
}
