/*
 * galvani core — private. The WebSocket server (RFC 6455) on its own
 * listeners, with subprotocol dispatch to plugins and optional TLS.
 *
 * Files: ws_server.c (listeners, accept, TLS, connection lifecycle, timers),
 * ws_handshake.c (HTTP/1.1 upgrade parsing and answers, subprotocol choice),
 * ws_frame.c (framing, pure), ws_conn.c (the host table's ws_* functions).
 */
#ifndef GLV_WS_INTERNAL_H
#define GLV_WS_INTERNAL_H

#include "core-internal.h"

#include <stddef.h>
#include <stdint.h>

/* Schema of the `websocket:` section (listeners with name/address/tls,
 * frame and message limits, ping interval, handshake timeout). */
extern const glv_config_field glv_ws_config_schema[];

/* Creates the server from a validated `websocket:` section (missing keys take
 * their defaults) and attaches it to core->ws. NULL + *err (malloc'd) on
 * error. */
glv_ws *glv_ws_new(glv_core *core, const json_t *section, char **err);
/* Binds every listener. -1 + *err (malloc'd) on failure. */
int glv_ws_listen(glv_ws *ws, char **err);
/* The port a listener is bound to (useful with "host:0"), or -1 when no
 * listener has that name or it is not listening. */
int glv_ws_listener_port(const glv_ws *ws, const char *name);
/* Stops accepting; open connections stay. */
void glv_ws_stop_accepting(glv_ws *ws);
/* Closes every connection with 1001 going away; done when all are gone. */
void glv_ws_close_all(glv_ws *ws, glv_callback_fn done, void *arg);
size_t glv_ws_connection_count(const glv_ws *ws);
/* Closes every connection at once (no close handshake), frees the server and
 * detaches it from the core. */
void glv_ws_free(glv_ws *ws);

/* ---- shared by the ws_*.c files ---- */

/* Largest upgrade request (request line and headers). */
#define GLV_WS_MAX_REQUEST 8192
#define GLV_WS_MAX_HEADERS 48

typedef struct glv_ws_header {
    const char *name;  /* borrowed from the request buffer */
    const char *value; /* trimmed */
} glv_ws_header;

/* A parsed upgrade request; strings point into the buffer it was parsed from. */
typedef struct glv_ws_request {
    const char *method;
    const char *target; /* as sent: path and query */
    unsigned nheaders;
    glv_ws_header headers[GLV_WS_MAX_HEADERS];
} glv_ws_request;

/* Parses an HTTP/1.1 request head in buf[0..len) (modified in place: NULs
 * end the strings). Returns the length of the head (> 0) when complete, 0
 * when more bytes are needed, or a negative HTTP status (-400, -431, -505)
 * when it is malformed. */
int glv_ws_request_parse(char *buf, size_t len, glv_ws_request *req);
/* The first header named `name` (case-insensitive), or NULL. */
const char *glv_ws_request_header(const glv_ws_request *req, const char *name);
/* Checks the upgrade headers of RFC 6455 §4.2.1. Returns 0, or the HTTP
 * status to refuse with (400, 405, 426). */
int glv_ws_request_check(const glv_ws_request *req);
/* Next token of a comma-separated header value: returns its start and sets
 * *tlen, advancing *cursor; NULL at the end. Empty elements are skipped. */
const char *glv_ws_token_next(const char **cursor, size_t *tlen);
/* Sec-WebSocket-Accept for a key: 28 characters and a NUL into out. */
void glv_ws_accept_key(const char *key, char out[29]);
/* Percent-decodes a path segment; new string, or NULL when an escape is
 * malformed or decodes to NUL. */
char *glv_ws_percent_decode(const char *s);
/* Reason phrase of an HTTP status used by the upgrade answers. */
const char *glv_ws_status_text(int status);

/* A subprotocol registration (owned by the server). */
typedef struct glv_ws_reg {
    struct glv_ws_reg *next;
    glv_plugin *plugin;
    char *prefix;
    char *subprotocol;
    uint32_t flags;
    const glv_ws_handlers *handlers; /* borrowed from the plugin */
    void *arg;
} glv_ws_reg;

/* Chooses the registration for a request: the longest registered prefix of
 * the path, then the first subprotocol the client offers that is registered
 * under it, or the GLV_WS_DEFAULT_SUBPROTOCOL registration when it offers
 * none. Returns it, or NULL with *status 404 (no prefix) or 400 (no match). */
const glv_ws_reg *glv_ws_select(const glv_ws_reg *regs, const glv_ws_request *req, int *status);

/* Adds a registration to ws; -EEXIST for a duplicate (prefix, subprotocol),
 * -EINVAL for a prefix not starting with '/' or an invalid subprotocol. */
int glv_ws_add_registration(glv_ws *ws, glv_plugin *p, const char *prefix, const char *subprotocol,
                            uint32_t flags, const glv_ws_handlers *handlers, void *arg);

/* Operations behind the host table (ws_server.c); see host.h. */
int glv_ws_upgrade_accept(glv_ws_upgrade *up, void *conn_arg);
void glv_ws_upgrade_reject(glv_ws_upgrade *up, int http_status, const char *reason);
const char *glv_ws_upgrade_get(glv_ws_upgrade *up, int what);
int glv_ws_upgrade_is_tls(glv_ws_upgrade *up);
const char *glv_ws_upgrade_header(glv_ws_upgrade *up, const char *name);
int glv_ws_conn_send(glv_ws_conn *conn, const char *data, size_t len, int is_text);
void glv_ws_conn_close(glv_ws_conn *conn, uint16_t code, const char *reason);
void glv_ws_conn_set_arg(glv_ws_conn *conn, void *conn_arg);
const char *glv_ws_conn_get(glv_ws_conn *conn, int what);
size_t glv_ws_conn_pending(glv_ws_conn *conn);

/* Selectors for glv_ws_upgrade_get / glv_ws_conn_get. */
enum glv_ws_field {
    GLV_WS_F_PATH = 1,
    GLV_WS_F_PATH_TAIL,
    GLV_WS_F_SUBPROTOCOL,
    GLV_WS_F_REMOTE_ADDR,
    GLV_WS_F_LISTENER,
    GLV_WS_F_CLIENT_CN,
};

#endif
