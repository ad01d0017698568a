/*
 * A small blocking WebSocket client for tests, over real sockets, with
 * optional TLS and a client certificate. It can send raw bytes and frames
 * with any header bits, so tests can send malformed input.
 */
#ifndef GLV_WS_CLIENT_H
#define GLV_WS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct glv_test_ws glv_test_ws;

typedef struct glv_test_ws_tls {
    const char *ca_file;   /* verify the server against it; NULL: no verification */
    const char *cert_file; /* client certificate or NULL */
    const char *key_file;
} glv_test_ws_tls;

/* Connects to 127.0.0.1:port (and does the TLS handshake when tls != NULL).
 * NULL on failure. */
glv_test_ws *glv_test_ws_connect(int port, const glv_test_ws_tls *tls);
void glv_test_ws_free(glv_test_ws *c);

/* Sends an upgrade request for path. protocols: the Sec-WebSocket-Protocol
 * value or NULL; extra: more header lines ("Name: v\r\n…") or NULL. Reads the
 * answer's head. Returns the HTTP status, or -1. *head (optional) receives
 * the whole answer head, malloc'd. */
int glv_test_ws_handshake(glv_test_ws *c, const char *path, const char *protocols,
                          const char *extra, char **head);
/* Sends a request exactly as given and reads the answer head; same returns. */
int glv_test_ws_request(glv_test_ws *c, const char *request, char **head);
/* The value of header name in a head (case-insensitive), malloc'd, or NULL. */
char *glv_test_ws_header(const char *head, const char *name);

int glv_test_ws_send_raw(glv_test_ws *c, const void *data, size_t len);
/* Sends one frame. rsv: bits 4-6 of the first byte (0 normally). */
int glv_test_ws_send_frame(glv_test_ws *c, unsigned opcode, bool fin, unsigned rsv,
                           const void *payload, size_t len, bool mask);
/* Sends a text (or binary) message in one masked frame. */
int glv_test_ws_send_text(glv_test_ws *c, const char *text);

/* Reads one frame. Returns 0 with *opcode, *fin, *payload (malloc'd,
 * NUL-terminated) and *len; -2 on timeout; -1 at EOF or error. */
int glv_test_ws_read_frame(glv_test_ws *c, int timeout_ms, unsigned *opcode, bool *fin,
                           char **payload, size_t *len);
/* Reads frames until a close frame: returns its code (1005 for none), -2 on
 * timeout, -1 when the connection ended without one. */
int glv_test_ws_read_close(glv_test_ws *c, int timeout_ms);
/* Waits for the server to end the connection: 1 at EOF/reset, 0 on timeout.
 * Incoming data is discarded. */
int glv_test_ws_wait_eof(glv_test_ws *c, int timeout_ms);
/* The socket (for tests that poke at it). */
int glv_test_ws_fd(const glv_test_ws *c);

#endif
