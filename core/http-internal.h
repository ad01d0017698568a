/*
 * galvani core — private. The HTTP server (libevent evhttp) with routing,
 * request ids, limits, problem JSON, optional TLS, /healthz and /metrics.
 */
#ifndef GLV_HTTP_INTERNAL_H
#define GLV_HTTP_INTERNAL_H

#include "core-internal.h"

/* Schema of the `http:` section (listen addresses, tls, limits, timeouts). */
extern const glv_config_field glv_http_config_schema[];

/* Creates the server from a validated `http:` section and attaches it to
 * core->http; registers /healthz and /metrics. NULL + *err on error. */
glv_http *glv_http_new(glv_core *core, const json_t *section, char **err);
/* Binds and starts listening. -1 + *err (address in use …). */
int glv_http_listen(glv_http *http, char **err);
/* Stops accepting new connections; running requests complete. */
void glv_http_stop_accepting(glv_http *http);
/* Health as reported by /healthz: set by the daemon ("starting", "ok",
 * "draining") and checked against the database pool. */
void glv_http_set_state(glv_http *http, const char *state);
void glv_http_free(glv_http *http);

/* The port bound for the index-th `listen` address after glv_http_listen
 * ("127.0.0.1:0" binds an ephemeral port), or -1. */
int glv_http_port(const glv_http *http, size_t index);
/* Adds a route on behalf of p (borrowed). Same rules as host->http_route. */
int glv_http_add_route(glv_http *http, glv_plugin *p, const char *method, const char *pattern,
                       glv_http_handler_fn fn, void *arg);
/* Requests handed to a handler and not answered yet. */
size_t glv_http_pending_count(const glv_http *http);
/* Replies dropped because the client had gone before them. */
uint64_t glv_http_discarded_count(const glv_http *http);

/* ---- shared by the http_*.c files ---- */

#include "http_router-internal.h"

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>

struct evhttp;
struct evhttp_request;
struct evhttp_connection;
struct evhttp_bound_socket;
struct evkeyvalq;
struct event;
struct bufferevent;

typedef struct glv_http_conn glv_http_conn;

struct glv_http_request {
    glv_http *http;
    struct evhttp_request *ev; /* NULL once the client has gone */
    glv_http_conn *conn;       /* NULL once the client has gone */
    glv_http_match match;      /* route and path parameters */
    char id[65];               /* X-Request-Id */
    char method[16];
    char *path;                     /* owned: raw path, without the query */
    char *query;                    /* owned or NULL: raw query string */
    struct evkeyvalq *query_params; /* owned, parsed on first use */
    char *body;                     /* owned, NUL-terminated */
    size_t body_len;
    char remote[64];
    uint64_t start_us;
    bool in_handler; /* the handler has not returned yet */
    bool replied;
    glv_http_request *prev, *next; /* in http->pending */
};

struct glv_http {
    glv_core *core;
    glv_plugin *builtin; /* handle of /healthz and /metrics */
    struct evhttp *evhttp;
    glv_http_router *router;
    SSL_CTX *ssl_ctx; /* NULL without TLS */
    json_t *listen;   /* owned: array of "host:port" */
    bool reuse_port;  /* SO_REUSEPORT on every listen address */
    struct evhttp_bound_socket **bound;
    int *ports;
    size_t nbound;
    uint64_t max_body, max_headers;
    uint32_t timeout_ms;
    char state[32];
    bool own_send;              /* inside our own evhttp_send_reply */
    uint64_t id_prefix, id_seq; /* for generated request ids */
    glv_http_conn *conns;       /* open connections */
    glv_http_request *pending;  /* requests waiting for their reply */
    size_t npending;
    uint64_t discarded;
    glv_metric *connections;
    glv_metric *unmatched[GLV_HTTP_CODE_CLASSES];
    glv_metric *unmatched_duration;
};

/* http_server.c: sends the response and releases req (unless its handler is
 * still running, then the handler's return releases it). body: borrowed. */
void glv_http_send(glv_http_request *req, int status, const char *content_type, const void *body,
                   size_t len);
/* http_request.c: a problem JSON response (RFC 9457) for req; extra stolen. */
void glv_http_send_problem(glv_http_request *req, int status, const char *title, const char *detail,
                           json_t *extra);
/* http_request.c: the reason phrase of a status ("Not Found"). */
const char *glv_http_reason(int status);
/* http_request.c: releases a request's own memory (not the evhttp request). */
void glv_http_request_free(glv_http_request *req);
/* http_builtin.c: adds /healthz and /metrics. */
int glv_http_builtin_routes(glv_http *http);

#endif
