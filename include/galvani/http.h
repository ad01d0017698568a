/*
 * galvani — HTTP routes served by the core's HTTP listener (port 8080).
 *
 * A route is a method plus a path pattern whose segments are literals or
 * named parameters: "/admin/v1/chargers/{id}/commands/{command}". A final
 * "{name*}" segment matches the rest of the path. The most specific route
 * wins (literal segments beat parameters); a path that matches no route
 * gets 404 and a known path with another method gets 405, both as problem
 * JSON (RFC 9457).
 *
 * The request handle is valid until the handler (or a later callback) has
 * sent exactly one reply. If the client goes away first, the reply is
 * discarded silently; the handle stays valid until then.
 */
#ifndef GALVANI_HTTP_H
#define GALVANI_HTTP_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct glv_http_request glv_http_request;

/* Route handler, run on the loop thread. */
typedef void (*glv_http_handler_fn)(glv_http_request *req, void *arg);

#ifdef __cplusplus
}
#endif
#endif
