/*
 * galvani tests — a small blocking HTTP/1.1 client over real sockets, with
 * optional TLS. Meant for test threads talking to a server whose loop runs
 * in another thread.
 */
#ifndef GLV_TEST_HTTP_CLIENT_H
#define GLV_TEST_HTTP_CLIENT_H

#include <openssl/ssl.h>
#include <stddef.h>

typedef struct glv_test_http_client glv_test_http_client;

typedef struct glv_test_http_response {
    int status;
    char *head; /* owned: status line and headers, NUL-terminated */
    char *body; /* owned: NUL-terminated */
    size_t body_len;
} glv_test_http_response;

/* Connects to 127.0.0.1:port (10 s receive timeout). ctx: NULL for plain
 * HTTP, else a client context; the TLS handshake is done here. NULL on
 * failure (refused, handshake failed). */
glv_test_http_client *glv_test_http_connect(int port, SSL_CTX *ctx);
void glv_test_http_close(glv_test_http_client *c);

/* Writes bytes as they are. 0 or -1. */
int glv_test_http_send_raw(glv_test_http_client *c, const void *data, size_t len);
/* Sends one request: "METHOD target HTTP/1.1", Host, the extra headers
 * ("Name: value\r\n" lines or NULL), Content-Length when body != NULL.
 * 0 or -1. */
int glv_test_http_send(glv_test_http_client *c, const char *method, const char *target,
                       const char *headers, const void *body, size_t body_len);
/* Reads one response (Content-Length, chunked, or until close). head_only:
 * the request was HEAD, so no body follows. 0 or -1; out filled on 0. */
int glv_test_http_read(glv_test_http_client *c, int head_only, glv_test_http_response *out);

/* A request on its own connection: connect, send, read, close. */
int glv_test_http_fetch(int port, SSL_CTX *ctx, const char *method, const char *target,
                        const char *headers, const void *body, size_t body_len,
                        glv_test_http_response *out);

/* The value of a response header (first one, name case-insensitive) copied
 * into buf; NULL when absent. */
const char *glv_test_http_header(const glv_test_http_response *r, const char *name, char *buf,
                                 size_t size);
void glv_test_http_response_clear(glv_test_http_response *r);

#endif
