/*
 * galvani core — server-side TLS contexts (OpenSSL 3, TLS 1.2 minimum).
 */
#include "tls-internal.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const client_cert_modes[] = {"none", "optional", "required", NULL};
static const char *const tls_versions[] = {"1.2", "1.3", NULL};

const glv_config_field glv_tls_config_schema[] = {
    {.key = "certificate",
     .type = GLV_CFG_STRING,
     .flags = GLV_CFG_REQUIRED,
     .help = "PEM file with the server certificate and its chain"},
    {.key = "key",
     .type = GLV_CFG_STRING,
     .flags = GLV_CFG_REQUIRED,
     .help = "PEM file with the server's private key"},
    {.key = "client_ca",
     .type = GLV_CFG_STRING,
     .help = "PEM file with the CAs that sign client certificates"},
    {.key = "client_certificates",
     .type = GLV_CFG_STRING,
     .default_text = "none",
     .choices = client_cert_modes,
     .help = "whether clients present a certificate: none, optional or required"},
    {.key = "min_version",
     .type = GLV_CFG_STRING,
     .default_text = "1.2",
     .choices = tls_versions,
     .help = "lowest TLS version accepted"},
    {.key = "ciphers",
     .type = GLV_CFG_STRING,
     .help = "OpenSSL cipher list for TLS 1.2 (the library default when absent)"},
    {.key = NULL},
};

/* Formats a message followed by OpenSSL's last reason; new string. */
static char *tls_error(const char *fmt, ...) GLV_PRINTF(1, 2);

static char *tls_error(const char *fmt, ...)
{
    char head[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);

    char reason[256] = "unknown error";
    unsigned long e, last = 0;
    while ((e = ERR_get_error()) != 0)
        last = e;
    if (last != 0)
        ERR_error_string_n(last, reason, sizeof reason);

    size_t n = strlen(head) + strlen(reason) + 3;
    char *msg = malloc(n);
    if (msg != NULL)
        snprintf(msg, n, "%s: %s", head, reason);
    return msg;
}

static const char *tls_string(const json_t *tls, const char *key)
{
    const json_t *v = json_object_get(tls, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

SSL_CTX *glv_tls_server_ctx(const json_t *tls, char **err)
{
    *err = NULL;
    const char *cert = tls_string(tls, "certificate");
    const char *key = tls_string(tls, "key");
    const char *client_ca = tls_string(tls, "client_ca");
    const char *mode = tls_string(tls, "client_certificates");
    const char *min_version = tls_string(tls, "min_version");
    const char *ciphers = tls_string(tls, "ciphers");

    if (cert == NULL || key == NULL) {
        *err = strdup("tls: certificate and key are required");
        return NULL;
    }
    if (mode == NULL)
        mode = "none";
    int verify_mode = SSL_VERIFY_NONE;
    if (strcmp(mode, "optional") == 0)
        verify_mode = SSL_VERIFY_PEER;
    else if (strcmp(mode, "required") == 0)
        verify_mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    else if (strcmp(mode, "none") != 0) {
        *err = strdup("tls: client_certificates must be none, optional or required");
        return NULL;
    }
    if (verify_mode != SSL_VERIFY_NONE && client_ca == NULL) {
        *err = strdup("tls: client_certificates needs client_ca");
        return NULL;
    }

    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) {
        *err = tls_error("tls: cannot create a context");
        return NULL;
    }
    int min =
        (min_version != NULL && strcmp(min_version, "1.3") == 0) ? TLS1_3_VERSION : TLS1_2_VERSION;
    if (SSL_CTX_set_min_proto_version(ctx, min) != 1) {
        *err = tls_error("tls: cannot set the minimum version");
        goto fail;
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    /* Idle connections keep no read/write buffers. */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (ciphers != NULL && SSL_CTX_set_cipher_list(ctx, ciphers) != 1) {
        *err = tls_error("tls: invalid cipher list \"%s\"", ciphers);
        goto fail;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        *err = tls_error("tls: cannot load certificate %s", cert);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        *err = tls_error("tls: cannot load key %s", key);
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        *err = tls_error("tls: key %s does not match certificate %s", key, cert);
        goto fail;
    }
    if (client_ca != NULL) {
        if (SSL_CTX_load_verify_locations(ctx, client_ca, NULL) != 1) {
            *err = tls_error("tls: cannot load client_ca %s", client_ca);
            goto fail;
        }
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(client_ca);
        if (names != NULL)
            SSL_CTX_set_client_CA_list(ctx, names);
    }
    SSL_CTX_set_verify(ctx, verify_mode, NULL);
    SSL_CTX_set_verify_depth(ctx, 8);
    /* Session ids need a context id when client certificates are verified. */
    static const unsigned char sid_ctx[] = "galvani";
    SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1);
    /* Resumption uses tickets, which need no server-side memory. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    return ctx;

fail:
    SSL_CTX_free(ctx);
    if (*err == NULL)
        *err = strdup("tls: out of memory");
    return NULL;
}

char *glv_tls_peer_cn(SSL *ssl)
{
    if (ssl == NULL)
        return NULL;
    X509 *peer = SSL_get1_peer_certificate(ssl);
    if (peer == NULL)
        return NULL;
    char *cn = NULL;
    if (SSL_get_verify_result(ssl) == X509_V_OK) {
        X509_NAME *subject = X509_get_subject_name(peer);
        int idx = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
        if (idx >= 0) {
            ASN1_STRING *data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx));
            unsigned char *utf8 = NULL;
            int len = ASN1_STRING_to_UTF8(&utf8, data);
            /* A CN with an embedded NUL is refused rather than truncated. */
            if (len >= 0 && memchr(utf8, '\0', (size_t)len) == NULL) {
                cn = malloc((size_t)len + 1);
                if (cn != NULL) {
                    memcpy(cn, utf8, (size_t)len);
                    cn[len] = '\0';
                }
            }
            OPENSSL_free(utf8);
        }
    }
    X509_free(peer);
    return cn;
}
