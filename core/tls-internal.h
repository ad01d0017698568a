/*
 * galvani core — private. Server-side TLS contexts for the HTTP and
 * WebSocket listeners (OpenSSL, TLS 1.2 minimum).
 */
#ifndef GLV_TLS_INTERNAL_H
#define GLV_TLS_INTERNAL_H

#include <galvani/config.h>
#include <jansson.h>
#include <openssl/ssl.h>

/* Schema of a listener's `tls:` mapping:
 *   certificate: PEM file (chain), key: PEM file, client_ca: PEM file,
 *   client_certificates: none | optional | required, min_version: "1.2" | "1.3",
 *   ciphers: OpenSSL cipher list for TLS 1.2. */
extern const glv_config_field glv_tls_config_schema[];

/* Builds a server context from a validated `tls:` object. On failure returns
 * NULL and *err is a malloc'd message naming the file and OpenSSL's reason. */
SSL_CTX *glv_tls_server_ctx(const json_t *tls, char **err);
/* The verified peer certificate's subject CN, malloc'd, or NULL. */
char *glv_tls_peer_cn(SSL *ssl);

#endif
