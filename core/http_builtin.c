/* galvani core — the built-in routes: /healthz and /metrics. */
#include "db-internal.h"
#include "http-internal.h"
#include "metrics-internal.h"

#include <event2/buffer.h>
#include <string.h>

/* 200 while the daemon is "ok" and the database (when configured) has a
 * connection up; 503 otherwise, with the reason in the body. */
static void healthz(glv_http_request *req, void *arg)
{
    glv_http *http = arg;
    glv_core *core = http->core;
    const char *database = "none";
    bool healthy = strcmp(http->state, "ok") == 0;
    if (core->db) {
        bool up = glv_db_healthy(core->db) == 1;
        database = up ? "ok" : "down";
        healthy = healthy && up;
    }
    json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "status", healthy ? "ok" : "unavailable",
                             "state", http->state, "database", database, "node", core->node_id);
    core->host.http_reply_json(req, healthy ? 200 : 503, body);
}

/* The Prometheus text exposition format. */
static void metrics(glv_http_request *req, void *arg)
{
    glv_http *http = arg;
    struct evbuffer *out = evbuffer_new();
    if (!out) {
        glv_http_send_problem(req, 500, NULL, "out of memory", NULL);
        return;
    }
    glv_metrics_render(http->core->metrics, out);
    size_t len = evbuffer_get_length(out);
    const unsigned char *text = evbuffer_pullup(out, -1);
    glv_http_send(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
    evbuffer_free(out);
}

int glv_http_builtin_routes(glv_http *http)
{
    if (glv_http_add_route(http, http->builtin, "GET", "/healthz", healthz, http) < 0)
        return -1;
    if (glv_http_add_route(http, http->builtin, "GET", "/metrics", metrics, http) < 0)
        return -1;
    return 0;
}
