/*
 * galvani core — private. The HTTP router: a method plus a path pattern
 * ("/admin/v1/chargers/{id}", "/files/{rest*}") selects a handler.
 *
 * Precedence: among the routes whose pattern matches a path, the one whose
 * segments are more specific from left to right wins (a literal beats a
 * parameter, a parameter beats a "{name*}" tail). When patterns match but no
 * route has the request's method the result is "method not allowed" with the
 * list of methods that would have matched (HEAD is served by GET routes).
 */
#ifndef GLV_HTTP_ROUTER_INTERNAL_H
#define GLV_HTTP_ROUTER_INTERNAL_H

#include <galvani/host.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct glv_http_router glv_http_router;

/* Number of metric slots of a route: one per status class 1xx … 5xx, plus
 * one for anything else. */
#define GLV_HTTP_CODE_CLASSES 6

/* A registered route. The router owns it; fields are read by the server. */
typedef struct glv_http_route {
    char *method;  /* owned, upper case */
    char *pattern; /* owned, as registered */
    char *label;   /* owned, "METHOD pattern": the metrics label */
    glv_http_handler_fn fn;
    void *arg;
    glv_plugin *plugin;                          /* borrowed: the owner */
    glv_metric *requests[GLV_HTTP_CODE_CLASSES]; /* filled on first use */
    glv_metric *duration;                        /* filled on first use */
    size_t nsegments;
    struct glv_http_segment *segments; /* owned, compiled pattern */
    size_t order;                      /* registration order */
} glv_http_route;

/* Result of a lookup. Parameter names are borrowed from the route; values
 * are owned by the match (percent-decoded). Release with
 * glv_http_match_clear. */
typedef struct glv_http_match {
    const glv_http_route *route;
    size_t nparams;
    const char **names;
    char **values;
    char allow[96]; /* with GLV_HTTP_ROUTE_METHOD: "GET, HEAD, POST" */
} glv_http_match;

enum glv_http_route_result {
    GLV_HTTP_ROUTE_FOUND = 0,
    GLV_HTTP_ROUTE_NOT_FOUND = 1, /* no pattern matches the path */
    GLV_HTTP_ROUTE_METHOD = 2,    /* patterns match, but not with this method */
    GLV_HTTP_ROUTE_BAD_PATH = 3,  /* invalid percent-encoding or an encoded NUL */
};

/* New, empty router; NULL when out of memory. */
glv_http_router *glv_http_router_new(void);
void glv_http_router_free(glv_http_router *r);

/* Adds a route. method: a token such as "GET" (copied, upper-cased);
 * pattern: begins with '/', copied. -EINVAL for a malformed pattern or
 * method, -EEXIST when a route with the same method and the same pattern
 * shape (parameter names aside) exists, -ENOMEM. On success *out (if not
 * NULL) is the route, borrowed from the router. */
int glv_http_router_add(glv_http_router *r, const char *method, const char *pattern,
                        glv_http_handler_fn fn, void *arg, glv_plugin *plugin,
                        glv_http_route **out);

/* Looks a request up. path: the raw (still percent-encoded) path without the
 * query string. Fills *m (always; clear it afterwards) and returns one of
 * glv_http_route_result, or -ENOMEM. */
int glv_http_router_match(const glv_http_router *r, const char *method, const char *path,
                          glv_http_match *m);
void glv_http_match_clear(glv_http_match *m);

/* Percent-decodes src[0..len) into a new NUL-terminated string (malloc'd).
 * '+' is kept. NULL when an escape is malformed or decodes to NUL. */
char *glv_http_percent_decode(const char *src, size_t len);

#endif
