/*
 * galvani — WebSocket subprotocols served by the core's WebSocket listeners
 * (ports 9000 plain and 9443 TLS by default).
 *
 * A plugin registers a subprotocol name ("ocpp1.6") under a path prefix
 * ("/ocpp/"). On an upgrade request the core picks, in the client's order of
 * preference, the first offered subprotocol registered for that prefix, and
 * asks that plugin's on_upgrade whether to accept. The plugin answers, now or
 * later, with host->ws_accept or host->ws_reject. Framing, fragmentation,
 * masking, UTF-8 checks on text, ping/pong, size limits and close codes are
 * the core's; the plugin sees whole messages.
 */
#ifndef GALVANI_WEBSOCKET_H
#define GALVANI_WEBSOCKET_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A pending upgrade request: valid until ws_accept or ws_reject is called,
 * which must happen exactly once (the core closes the socket and makes the
 * answer a no-op if the client left meanwhile). */
typedef struct glv_ws_upgrade glv_ws_upgrade;

/* An open connection: valid until on_close has returned. */
typedef struct glv_ws_conn glv_ws_conn;

enum glv_ws_flags {
    /* Use this registration when the client offers no subprotocol at all. */
    GLV_WS_DEFAULT_SUBPROTOCOL = 1u << 0,
};

/* Close codes (RFC 6455 §7.4.1) most often used by plugins. */
enum glv_ws_close_code {
    GLV_WS_CLOSE_NORMAL = 1000,
    GLV_WS_CLOSE_GOING_AWAY = 1001,
    GLV_WS_CLOSE_PROTOCOL_ERROR = 1002,
    GLV_WS_CLOSE_UNSUPPORTED = 1003,
    GLV_WS_CLOSE_INVALID_DATA = 1007,
    GLV_WS_CLOSE_POLICY = 1008,
    GLV_WS_CLOSE_TOO_BIG = 1009,
    GLV_WS_CLOSE_INTERNAL = 1011,
};

typedef struct glv_ws_handlers {
    uint32_t size; /* sizeof(glv_ws_handlers) as the plugin was built */
    /* Decide on an upgrade; arg is the registration's arg. */
    void (*on_upgrade)(glv_ws_upgrade *up, void *arg);
    /* The handshake completed; conn_arg is what ws_accept was given. */
    void (*on_open)(glv_ws_conn *conn, void *conn_arg);
    /* One whole message. data: borrowed, valid during the call, NUL-terminated
     * after len bytes. is_text: 1 for text (valid UTF-8), 0 for binary. */
    void (*on_message)(glv_ws_conn *conn, const char *data, size_t len, int is_text,
                       void *conn_arg);
    /* The connection is gone (close handshake, error or timeout). code is the
     * close code received or 1006 when none was; reason: borrowed. */
    void (*on_close)(glv_ws_conn *conn, uint16_t code, const char *reason, void *conn_arg);
} glv_ws_handlers;

#ifdef __cplusplus
}
#endif
#endif
