/* WebSocket client, RFC 6455 client side, over a sim_conn (plain or TLS):
 * opening handshake with a subprotocol and Basic auth, masked text frames,
 * fragment reassembly, ping/pong and the closing handshake. Messages are
 * handed over where they were read, without a copy; a connection holds
 * buffers only while they carry data. */
#ifndef SIM_WS_H
#define SIM_WS_H

#include "sim_conn.h"

#include <event2/event.h>
#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum sim_ws_state {
    SIM_WS_IDLE = 0,
    SIM_WS_CONNECTING, /* TCP/TLS connect and opening handshake */
    SIM_WS_OPEN,
    SIM_WS_CLOSING, /* close frame or abort queued, waiting for the output to drain */
};

enum sim_ws_end {
    SIM_WS_END_CONNECT_FAILED,   /* TCP connect refused or timed out */
    SIM_WS_END_TLS_FAILED,       /* TLS handshake or certificate verification */
    SIM_WS_END_HANDSHAKE_FAILED, /* HTTP answer was not a valid 101 upgrade */
    SIM_WS_END_LOST,             /* EOF or error on an open connection */
    SIM_WS_END_CLOSED_BY_PEER,   /* the peer sent a close frame */
    SIM_WS_END_CLOSED_LOCALLY,   /* sim_ws_close or sim_ws_abort_after_drain finished */
    SIM_WS_END_PROTOCOL,         /* the peer broke RFC 6455 */
};

struct sim_ws_pending;

struct sim_ws_callbacks;

struct sim_ws {
    struct sim_conn conn;
    const struct sim_ws_callbacks *cb;
    struct sim_ws_pending *pending; /* only during the opening handshake */
    char *fragments;                /* only while a fragmented message arrives */
    uint32_t fragments_len;
    uint8_t state;
    uint8_t end_after_drain; /* how to end once the output is written, 0 = not */
    uint16_t http_status;    /* of a refused handshake, for the report */
};

struct sim_ws_callbacks {
    void (*open)(struct sim_ws *ws);
    /* A complete text message; data is not NUL-terminated. */
    void (*text)(struct sim_ws *ws, const char *data, size_t len);
    /* The connection is gone and its resources released. */
    void (*ended)(struct sim_ws *ws, enum sim_ws_end why, const char *detail);
};

struct sim_ws_request {
    const struct sockaddr *addr;
    socklen_t addrlen;
    SSL_CTX *ssl_ctx; /* NULL for ws:// */
    const char *host; /* for the Host header, SNI and certificate check */
    const char *host_header;
    const char *path; /* including the identity */
    const char *subprotocol;
    const char *auth_user; /* Basic auth when auth_password is set */
    const char *auth_password;
    unsigned handshake_timeout_s;
};

/* Starts connecting; callbacks follow on the loop. Returns 0 or -1 (no
 * callback in that case). */
int sim_ws_connect(struct sim_ws *ws, struct event_base *base, const struct sim_ws_request *req,
                   const struct sim_ws_callbacks *cb);
/* Queues one text message (masked, unfragmented). -1 when not open. */
int sim_ws_send_text(struct sim_ws *ws, const char *data, size_t len);
/* Sends a close frame and ends the connection once it is written. */
void sim_ws_close(struct sim_ws *ws, uint16_t code);
/* Ends the TCP connection without a close frame once pending output has
 * been written (simulates a connection lost right after sending). */
void sim_ws_abort_after_drain(struct sim_ws *ws);
/* Ends the TCP connection at once without a close frame and without the
 * ended callback. */
void sim_ws_abort(struct sim_ws *ws);

/* Builds the per-process TLS context: TLS >= 1.2, peer verification against
 * ca_file, optional client certificate and key. NULL with a message on
 * stderr on failure. */
SSL_CTX *sim_ws_tls_context(const char *ca_file, const char *cert_file, const char *key_file);

#endif
