/* galvani tests — a throw-away CA with server and client certificates. */
#include "tls_test.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static EVP_PKEY *make_key(void)
{
    return EVP_EC_gen("P-256");
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return -1;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

/* A certificate for key, signed by issuer_key (self-signed when issuer is
 * NULL). New or NULL. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, long serial, X509 *issuer,
                       EVP_PKEY *issuer_key, int kind /* 0 CA, 1 server, 2 client */)
{
    X509 *cert = X509_new();
    if (!cert)
        return NULL;
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_set_pubkey(cert, key);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"galvani tests", -1,
                               -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
    X509 *signer = issuer ? issuer : cert;
    int rc = 0;
    if (kind == 0) {
        rc |= add_ext(cert, signer, NID_basic_constraints, "critical,CA:TRUE");
        rc |= add_ext(cert, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
        rc |= add_ext(cert, signer, NID_subject_key_identifier, "hash");
    } else {
        rc |= add_ext(cert, signer, NID_basic_constraints, "critical,CA:FALSE");
        rc |= add_ext(cert, signer, NID_key_usage, "critical,digitalSignature,keyAgreement");
        rc |= add_ext(cert, signer, NID_ext_key_usage, kind == 1 ? "serverAuth" : "clientAuth");
        if (kind == 1)
            rc |= add_ext(cert, signer, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
        rc |= add_ext(cert, signer, NID_authority_key_identifier, "keyid");
    }
    if (rc != 0 || !X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256())) {
        X509_free(cert);
        return NULL;
    }
    return cert;
}

static int write_cert(const char *path, X509 *cert)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int ok = PEM_write_X509(f, cert);
    return fclose(f) == 0 && ok ? 0 : -1;
}

static int write_key(const char *path, EVP_PKEY *key)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    return fclose(f) == 0 && ok ? 0 : -1;
}

int glv_test_tls_make(glv_test_tls *t, const char *client_cn)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->dir, sizeof(t->dir), "/tmp/glv-tls-XXXXXX");
    if (!mkdtemp(t->dir))
        return -1;
    snprintf(t->ca_cert, sizeof(t->ca_cert), "%s/ca.pem", t->dir);
    snprintf(t->server_cert, sizeof(t->server_cert), "%s/server.pem", t->dir);
    snprintf(t->server_key, sizeof(t->server_key), "%s/server.key", t->dir);
    snprintf(t->client_cert, sizeof(t->client_cert), "%s/client.pem", t->dir);
    snprintf(t->client_key, sizeof(t->client_key), "%s/client.key", t->dir);
    snprintf(t->rogue_cert, sizeof(t->rogue_cert), "%s/rogue.pem", t->dir);
    snprintf(t->rogue_key, sizeof(t->rogue_key), "%s/rogue.key", t->dir);

    int rc = -1;
    const char *cn = client_cn ? client_cn : "client";
    EVP_PKEY *ca_key = make_key(), *server_key = make_key(), *client_key = make_key();
    EVP_PKEY *other_ca_key = make_key(), *rogue_key = make_key();
    X509 *ca = NULL, *server = NULL, *client = NULL, *other_ca = NULL, *rogue = NULL;
    if (!ca_key || !server_key || !client_key || !other_ca_key || !rogue_key)
        goto out;
    ca = make_cert(ca_key, "galvani test CA", 1, NULL, NULL, 0);
    other_ca = make_cert(other_ca_key, "unrelated test CA", 1, NULL, NULL, 0);
    if (!ca || !other_ca)
        goto out;
    server = make_cert(server_key, "localhost", 2, ca, ca_key, 1);
    client = make_cert(client_key, cn, 3, ca, ca_key, 2);
    rogue = make_cert(rogue_key, cn, 4, other_ca, other_ca_key, 2);
    if (!server || !client || !rogue)
        goto out;
    if (write_cert(t->ca_cert, ca) < 0 || write_cert(t->server_cert, server) < 0 ||
        write_key(t->server_key, server_key) < 0 || write_cert(t->client_cert, client) < 0 ||
        write_key(t->client_key, client_key) < 0 || write_cert(t->rogue_cert, rogue) < 0 ||
        write_key(t->rogue_key, rogue_key) < 0)
        goto out;
    rc = 0;
out:
    X509_free(ca);
    X509_free(server);
    X509_free(client);
    X509_free(other_ca);
    X509_free(rogue);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(server_key);
    EVP_PKEY_free(client_key);
    EVP_PKEY_free(other_ca_key);
    EVP_PKEY_free(rogue_key);
    if (rc < 0)
        glv_test_tls_cleanup(t);
    return rc;
}

void glv_test_tls_cleanup(glv_test_tls *t)
{
    const char *files[] = {t->ca_cert,    t->server_cert, t->server_key, t->client_cert,
                           t->client_key, t->rogue_cert,  t->rogue_key};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        if (files[i][0])
            unlink(files[i]);
    }
    if (t->dir[0])
        rmdir(t->dir);
}

SSL_CTX *glv_test_tls_client_ctx(const glv_test_tls *t, bool with_client_cert)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx)
        return NULL;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (SSL_CTX_load_verify_locations(ctx, t->ca_cert, NULL) != 1)
        goto fail;
    if (with_client_cert &&
        (SSL_CTX_use_certificate_file(ctx, t->client_cert, SSL_FILETYPE_PEM) != 1 ||
         SSL_CTX_use_PrivateKey_file(ctx, t->client_key, SSL_FILETYPE_PEM) != 1))
        goto fail;
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}
