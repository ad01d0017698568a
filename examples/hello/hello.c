/*
 * hello — a minimal galvani plugin, built out of tree against the installed
 * headers. It serves GET /hello/{name}, counts the greetings it gave in a
 * notification event of its own, and listens to that event.
 *
 * Build:  make                      (uses /usr/include/galvani)
 *         make GALVANI_INCLUDE=../../include
 * Load:   galvani: { plugins: [{name: hello, path: /path/to/hello.so}] }
 *         hello: { greeting: "Hi" }
 */
#include <galvani/galvani.h>
#include <jansson.h>
#include <stdio.h>

static const glv_host *host;
static glv_plugin *self;
static long greeted;

/* GET /hello/{name} → {"message": "Hi, name!", "count": N} */
static void hello_route(glv_http_request *req, void *arg)
{
    (void)arg;
    const char *name = host->http_path_param(req, "name");
    const char *greeting = json_string_value(json_object_get(host->config(self), "greeting"));
    char text[256];
    snprintf(text, sizeof(text), "%s, %s!", greeting, name);
    /* Notifications report what already happened; listeners run later. */
    host->notify(self, "hello.greeted", json_pack("{s:s}", "name", name));
    host->http_reply_json(req, 200,
                          json_pack("{s:s, s:I}", "message", text, "count", (json_int_t)greeted));
}

/* Listener of hello.greeted: payload is borrowed and read-only. */
static void on_greeted(const char *event, const json_t *payload, void *arg)
{
    (void)event;
    (void)arg;
    greeted++;
    host->log(self, GLV_LOG_DEBUG, "greeted %s",
              json_string_value(json_object_get(payload, "name")));
}

static int hello_init(glv_plugin *p, const glv_host *h)
{
    if (h->abi_major != GLV_ABI_MAJOR)
        return -1;
    host = h;
    self = p;
    if (h->event_declare(p, "hello.greeted", GLV_EVENT_NOTIFICATION, 1) < 0 ||
        h->listen(p, "hello.greeted", 1, on_greeted, NULL) < 0 ||
        h->http_route(p, "GET", "/hello/{name}", hello_route, NULL) < 0)
        return h->fail(p, "cannot register: %s",
                       json_string_value(json_object_get(h->last_error(p), "message")));
    return 0;
}

static const glv_config_field hello_config[] = {
    {.key = "greeting",
     .type = GLV_CFG_STRING,
     .default_text = "Hello",
     .flags = GLV_CFG_RELOADABLE,
     .help = "word used to greet"},
    {0},
};

static const glv_plugin_descriptor hello_descriptor = {
    GLV_PLUGIN_GUARD,       .name = "hello",
    .version = "1.0.0",     .description = "greets whoever asks",
    .config = hello_config, .init = hello_init,
};

GLV_PLUGIN_EXPORT const glv_plugin_descriptor *glv_plugin_entry(void)
{
    return &hello_descriptor;
}
