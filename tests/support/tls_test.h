/*
 * galvani tests — TLS material made at run time: a CA, a server certificate
 * for localhost / 127.0.0.1, a client certificate, and a client certificate
 * signed by an unrelated CA, written as PEM files
 * into a new temporary directory (nothing secret is ever committed).
 */
#ifndef GLV_TEST_TLS_H
#define GLV_TEST_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>

typedef struct glv_test_tls {
    char dir[128];
    char ca_cert[192];     /* the CA certificate (signs both below) */
    char server_cert[192]; /* CN=localhost, SAN DNS:localhost, IP:127.0.0.1 */
    char server_key[192];
    char client_cert[192]; /* CN as given to glv_test_tls_make */
    char client_key[192];
    char rogue_cert[192]; /* same CN, signed by another CA the server does not trust */
    char rogue_key[192];
} glv_test_tls;

/* Makes the files (EC P-256 keys, SHA-256 signatures, valid one day).
 * client_cn: the client certificate's subject CN. 0, or -1 on failure. */
int glv_test_tls_make(glv_test_tls *t, const char *client_cn);
/* Removes the files and the directory. */
void glv_test_tls_cleanup(glv_test_tls *t);
/* A client context that verifies the server against the CA, presenting the
 * client certificate when with_client_cert. New; SSL_CTX_free it. */
SSL_CTX *glv_test_tls_client_ctx(const glv_test_tls *t, bool with_client_cert);

#endif
