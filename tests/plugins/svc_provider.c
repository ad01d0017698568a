/*
 * Test plugin: provides service "greeting" v2, declares the events
 * test.authorize (filter) and test.happened (notification), filters
 * test.authorize, counts test.happened, and serves two HTTP routes.
 */
#include <galvani/galvani.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

typedef struct greeting_service {
    uint32_t size;
    int (*greet)(void *instance, const char *name, char *out, size_t cap);
} greeting_service;

struct state {
    const glv_host *host;
    glv_plugin *plugin;
    int happened;
    int reloads;
};

static struct state S;

static int greet(void *instance, const char *name, char *out, size_t cap)
{
    struct state *s = instance;
    const char *word = json_string_value(json_object_get(s->host->config(s->plugin), "greeting"));
    return snprintf(out, cap, "%s, %s", word ? word : "?", name);
}

static const greeting_service service = {sizeof(greeting_service), greet};

static glv_verdict authorize_filter(glv_filter_call *call, json_t *payload, void *arg)
{
    const char *id = json_string_value(json_object_get(payload, "id_tag"));
    if (!id)
        return GLV_HOOK_FAILED;
    if (strcmp(id, "BLOCKED") == 0) {
        S.host->filter_reason(call, json_pack("{s:s}", "message", "token is blocked"));
        return GLV_HOOK_VETO;
    }
    if (strcmp(id, "LOCAL") == 0) {
        json_object_set_new(payload, "status", json_string("Accepted"));
        json_object_set_new(payload, "by", json_string("svc_provider"));
        return GLV_HOOK_HANDLED;
    }
    json_object_set_new(payload, "seen_by_provider", json_true());
    return GLV_HOOK_PASS;
}

static void happened(const char *event, const json_t *payload, void *arg)
{
    S.happened++;
}

static void route_greet(glv_http_request *req, void *arg)
{
    char text[128];
    greet(&S, S.host->http_path_param(req, "name"), text, sizeof(text));
    S.host->http_reply_json(req, 200, json_pack("{s:s}", "greeting", text));
}

static void route_count(glv_http_request *req, void *arg)
{
    S.host->http_reply_json(req, 200,
                            json_pack("{s:i, s:i}", "happened", S.happened, "reloads", S.reloads));
}

static int init(glv_plugin *p, const glv_host *host)
{
    S.host = host;
    S.plugin = p;
    int prio = (int)json_integer_value(json_object_get(host->config(p), "priority"));
    if (host->service_provide(p, "greeting", 2, &service, &S) < 0 ||
        host->event_declare(p, "test.authorize", GLV_EVENT_FILTER, 1) < 0 ||
        host->event_declare(p, "test.happened", GLV_EVENT_NOTIFICATION, 1) < 0 ||
        host->filter_add(p, "test.authorize", prio, 1, authorize_filter, NULL) < 0 ||
        host->listen(p, "test.happened", 1, happened, NULL) < 0)
        return -1;
    if (GLV_HOST_HAS(host, http_route)) {
        host->http_route(p, "GET", "/test/greet/{name}", route_greet, NULL);
        host->http_route(p, "GET", "/test/count", route_count, NULL);
    }
    return 0;
}

static int reload(glv_plugin *p)
{
    S.reloads++;
    return 0;
}

static const glv_config_field config_schema[] = {
    {.key = "greeting",
     .type = GLV_CFG_STRING,
     .default_text = "hello",
     .flags = GLV_CFG_RELOADABLE},
    {.key = "priority", .type = GLV_CFG_INT, .default_text = "0", .min = -1000, .max = 1000},
    {.key = "api_key", .type = GLV_CFG_SECRET},
    {0},
};

static const glv_plugin_descriptor descriptor = {
    GLV_PLUGIN_GUARD,        .name = "svc_provider",
    .version = "1.0",        .description = "provides service greeting v2 and the test events",
    .config = config_schema, .init = init,
    .reload = reload,
};

GLV_PLUGIN_EXPORT const glv_plugin_descriptor *glv_plugin_entry(void)
{
    return &descriptor;
}
