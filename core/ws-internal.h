/*
 * galvani core — private. The WebSocket server (RFC 6455) on its own
 * listeners, with subprotocol dispatch to plugins and optional TLS.
 */
#ifndef GLV_WS_INTERNAL_H
#define GLV_WS_INTERNAL_H

#include "core-internal.h"

/* Schema of the `websocket:` section (listeners with name/address/tls,
 * frame and message limits, ping interval, handshake timeout). */
extern const glv_config_field glv_ws_config_schema[];

glv_ws *glv_ws_new(glv_core *core, const json_t *section, char **err);
int glv_ws_listen(glv_ws *ws, char **err);
/* Stops accepting; open connections stay. */
void glv_ws_stop_accepting(glv_ws *ws);
/* Closes every connection with 1001 going away; done when all are gone. */
void glv_ws_close_all(glv_ws *ws, glv_callback_fn done, void *arg);
size_t glv_ws_connection_count(const glv_ws *ws);
void glv_ws_free(glv_ws *ws);

#endif
