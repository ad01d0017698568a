/*
 * Test plugin: depends on svc_provider, uses service "greeting" v1, adds an
 * asynchronous filter on test.authorize that decides on a worker thread, and
 * runs the filter chain for POST /test/authorize/{id}, emitting
 * test.happened after each decision.
 */
#include <galvani/galvani.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct greeting_service {
    uint32_t size;
    int (*greet)(void *instance, const char *name, char *out, size_t cap);
} greeting_service;

static const glv_host *H;
static glv_plugin *P;
static glv_service greeting;

struct check {
    glv_filter_call *call;
    char id[64];
    int refuse;
};

static void check_work(void *arg)
{
    struct check *c = arg;
    usleep(1000); /* a blocking lookup */
    c->refuse = strncmp(c->id, "EXPIRED", 7) == 0;
}

static void check_done(void *arg)
{
    struct check *c = arg;
    if (c->refuse)
        H->filter_resume(c->call, GLV_HOOK_VETO, json_pack("{s:s}", "message", "token expired"));
    else
        H->filter_resume(c->call, GLV_HOOK_PASS, NULL);
    free(c);
}

static glv_verdict async_filter(glv_filter_call *call, json_t *payload, void *arg)
{
    const char *id = json_string_value(json_object_get(payload, "id_tag"));
    if (id && strcmp(id, "SILENT") == 0)
        return GLV_HOOK_PENDING; /* never answers: the chain must time out */
    struct check *c = calloc(1, sizeof(*c));
    if (!c)
        return GLV_HOOK_FAILED;
    c->call = call;
    strncpy(c->id, id ? id : "", sizeof(c->id) - 1);
    if (H->work(P, check_work, check_done, c) < 0) {
        free(c);
        return GLV_HOOK_FAILED;
    }
    return GLV_HOOK_PENDING;
}

static const char *verdict_name(glv_verdict v)
{
    static const char *const names[] = {"pass", "veto", "handled", "pending", "failed", "timeout"};
    return (unsigned)v < 6 ? names[v] : "?";
}

static void decided(glv_verdict v, json_t *payload, const json_t *error, void *arg)
{
    glv_http_request *req = arg;
    json_t *body = json_pack("{s:s, s:O}", "verdict", verdict_name(v), "payload", payload);
    if (error)
        json_object_set(body, "error", (json_t *)error);
    H->notify(P, "test.happened", json_pack("{s:s}", "verdict", verdict_name(v)));
    H->http_reply_json(req, 200, body);
}

static void route_authorize(glv_http_request *req, void *arg)
{
    json_t *payload = json_pack("{s:s}", "id_tag", H->http_path_param(req, "id"));
    const char *t = H->http_query_param(req, "timeout_ms");
    int rc = H->filter_run(P, "test.authorize", payload, t ? (uint32_t)atoi(t) : 0, decided, req);
    json_decref(payload);
    if (rc < 0)
        H->http_problem(req, 500, "filter failed", NULL, NULL);
}

static void route_greet(glv_http_request *req, void *arg)
{
    const greeting_service *vt = greeting.vtable;
    char text[128];
    vt->greet(greeting.instance, "consumer", text, sizeof(text));
    H->http_reply_json(req, 200,
                       json_pack("{s:s, s:s}", "text", text, "provider", greeting.provider));
}

static int init(glv_plugin *p, const glv_host *host)
{
    H = host;
    P = p;
    if (host->filter_add(p, "test.authorize", GLV_PRIORITY_LATE, 1, async_filter, NULL) < 0)
        return -1;
    host->http_route(p, "POST", "/test/authorize/{id}", route_authorize, NULL);
    host->http_route(p, "GET", "/test/consumer/greet", route_greet, NULL);
    return 0;
}

static int start(glv_plugin *p)
{
    return H->service_get(p, "greeting", 1, &greeting);
}

static const char *const deps[] = {"svc_provider", NULL};

static const glv_plugin_descriptor descriptor = {
    GLV_PLUGIN_GUARD, .name = "svc_consumer",
    .version = "1.0", .description = "uses service greeting and runs test.authorize",
    .depends = deps,  .init = init,
    .start = start,
};

GLV_PLUGIN_EXPORT const glv_plugin_descriptor *glv_plugin_entry(void)
{
    return &descriptor;
}
