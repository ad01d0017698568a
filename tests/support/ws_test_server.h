/*
 * A WebSocket server for tests: a core with the WebSocket server running its
 * loop on a thread of its own, and test registrations that behave by path:
 *
 *   /ocpp/{id}  subprotocols "ocpp1.6" and "ocpp2.0.1"
 *   /echo/{id}  subprotocol "echo", also the default when none is offered
 *
 * The id decides the upgrade answer: "reject…" → 401 after 20 ms, "async…" →
 * accept after 20 ms, anything else → accept at once. On open the server
 * sends the text "open tail=<id> sp=<subprotocol> tls=<0|1> cn=<cn or ->".
 * Messages are echoed with their type, except the text "close <code>", which
 * starts the close handshake with that code.
 */
#ifndef GLV_WS_TEST_SERVER_H
#define GLV_WS_TEST_SERVER_H

#include "ws-internal.h"

typedef struct glv_test_ws_server glv_test_ws_server;

/* section: the `websocket:` section (borrowed). NULL on failure (the
 * message on stderr). */
glv_test_ws_server *glv_test_ws_server_start(const json_t *section);
void glv_test_ws_server_stop(glv_test_ws_server *s);
/* Bound port of a listener. */
int glv_test_ws_server_port(glv_test_ws_server *s, const char *listener);
/* Number of on_close calls so far and the code of the last one. */
int glv_test_ws_server_closes(glv_test_ws_server *s, int *last_code);
/* Open connections as counted by the server. */
size_t glv_test_ws_server_connections(glv_test_ws_server *s);
glv_core *glv_test_ws_server_core(glv_test_ws_server *s);

#endif
