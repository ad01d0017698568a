/*
 * galvani core — the WebSocket part of the host table (see host.h and
 * websocket.h): registrations, upgrade answers and connection functions.
 */
#include "ws-internal.h"

#include <errno.h>

static int host_ws_register(glv_plugin *p, const char *path_prefix, const char *subprotocol,
                            uint32_t flags, const glv_ws_handlers *handlers, void *arg)
{
    if (p == NULL)
        return -EINVAL;
    if (p->core->ws == NULL)
        return glv_fail(p, -ENODEV, "ws_register: the WebSocket server is not configured");
    if (handlers == NULL || handlers->size < sizeof(glv_ws_handlers))
        return glv_fail(p, -EINVAL, "ws_register: handlers are missing or too old");
    int r = glv_ws_add_registration(p->core->ws, p, path_prefix, subprotocol, flags, handlers, arg);
    if (r == -EEXIST)
        return glv_fail(p, r, "ws_register: %s under %s is already registered",
                        subprotocol != NULL ? subprotocol : "(default)",
                        path_prefix != NULL ? path_prefix : "?");
    if (r < 0)
        return glv_fail(p, r, "ws_register: invalid prefix \"%s\" or subprotocol \"%s\"",
                        path_prefix != NULL ? path_prefix : "(null)",
                        subprotocol != NULL ? subprotocol : "(null)");
    return 0;
}

static const char *host_upgrade_path(glv_ws_upgrade *up)
{
    return glv_ws_upgrade_get(up, GLV_WS_F_PATH);
}

static const char *host_upgrade_path_tail(glv_ws_upgrade *up)
{
    return glv_ws_upgrade_get(up, GLV_WS_F_PATH_TAIL);
}

static const char *host_upgrade_subprotocol(glv_ws_upgrade *up)
{
    return glv_ws_upgrade_get(up, GLV_WS_F_SUBPROTOCOL);
}

static const char *host_upgrade_remote_addr(glv_ws_upgrade *up)
{
    return glv_ws_upgrade_get(up, GLV_WS_F_REMOTE_ADDR);
}

static const char *host_upgrade_listener(glv_ws_upgrade *up)
{
    return glv_ws_upgrade_get(up, GLV_WS_F_LISTENER);
}

static const char *host_upgrade_client_cn(glv_ws_upgrade *up)
{
    return glv_ws_upgrade_get(up, GLV_WS_F_CLIENT_CN);
}

static const char *host_conn_path_tail(glv_ws_conn *conn)
{
    return glv_ws_conn_get(conn, GLV_WS_F_PATH_TAIL);
}

static const char *host_conn_subprotocol(glv_ws_conn *conn)
{
    return glv_ws_conn_get(conn, GLV_WS_F_SUBPROTOCOL);
}

static const char *host_conn_remote_addr(glv_ws_conn *conn)
{
    return glv_ws_conn_get(conn, GLV_WS_F_REMOTE_ADDR);
}

void glv_ws_fill_host(glv_host *h)
{
    h->ws_register = host_ws_register;
    h->ws_upgrade_path = host_upgrade_path;
    h->ws_upgrade_path_tail = host_upgrade_path_tail;
    h->ws_upgrade_subprotocol = host_upgrade_subprotocol;
    h->ws_upgrade_header = glv_ws_upgrade_header;
    h->ws_upgrade_remote_addr = host_upgrade_remote_addr;
    h->ws_upgrade_listener = host_upgrade_listener;
    h->ws_upgrade_tls = glv_ws_upgrade_is_tls;
    h->ws_upgrade_client_cn = host_upgrade_client_cn;
    h->ws_accept = glv_ws_upgrade_accept;
    h->ws_reject = glv_ws_upgrade_reject;
    h->ws_send = glv_ws_conn_send;
    h->ws_close = glv_ws_conn_close;
    h->ws_set_arg = glv_ws_conn_set_arg;
    h->ws_conn_path_tail = host_conn_path_tail;
    h->ws_conn_subprotocol = host_conn_subprotocol;
    h->ws_conn_remote_addr = host_conn_remote_addr;
    h->ws_conn_pending = glv_ws_conn_pending;
}
