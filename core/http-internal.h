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

#endif
