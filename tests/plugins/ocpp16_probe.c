/*
 * Test plugin for the ocpp16 transport:
 *   POST /test/ocpp16/command/{identity}/{command}[?timeout_ms=N]
 *        body: the command's args (JSON object, may be empty); answers
 *        {"result": …, "error": …} from host->command_send
 *   GET  /test/ocpp16/events   {"counts": {event: n}, "last": {event: payload}}
 * Filters: token.authorize answers "SLOW-TAG" late (after the chain timed
 * out) and vetoes "VETO-TAG"; charger.data_transfer answers vendor
 * "org.galvani.test" with "echo:" + data.
 */
#include <galvani/galvani.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const glv_host *host;
static glv_plugin *self;
static json_t *counts, *last;

static const char *const watched[] = {
    "charger.connected",          "charger.booted",
    "charger.disconnected",       "evse.status",
    "transaction.started",        "transaction.meter",
    "transaction.stopped",        "charger.security_event",
    "charger.firmware_status",    "charger.log_status",
    "charger.diagnostics_status", NULL,
};

static void on_event(const char *event, const json_t *payload, void *arg)
{
    json_int_t n = json_integer_value(json_object_get(counts, event));
    json_object_set_new(counts, event, json_integer(n + 1));
    json_object_set_new(last, event, json_deep_copy(payload));
}

static void events_route(glv_http_request *req, void *arg)
{
    host->http_reply_json(req, 200, json_pack("{s:O, s:O}", "counts", counts, "last", last));
}

static void command_done(const json_t *result, const json_t *error, void *arg)
{
    glv_http_request *req = arg;
    host->http_reply_json(req, 200, json_pack("{s:O?, s:O?}", "result", result, "error", error));
}

static void command_route(glv_http_request *req, void *arg)
{
    size_t len = 0;
    const char *body = host->http_body(req, &len);
    json_t *args = len > 0 ? json_loadb(body, len, 0, NULL) : json_object();
    if (!json_is_object(args)) {
        json_decref(args);
        host->http_problem(req, 400, "Bad Request", "body must be a JSON object", NULL);
        return;
    }
    const char *t = host->http_query_param(req, "timeout_ms");
    uint32_t timeout = t ? (uint32_t)strtoul(t, NULL, 10) : 0;
    if (host->command_send(self, host->http_path_param(req, "identity"),
                           host->http_path_param(req, "command"), args, timeout, command_done,
                           req) < 0)
        host->http_problem(req, 500, "Internal Server Error", "command_send failed", NULL);
}

static void late_answer(void *arg)
{
    host->filter_resume(arg, GLV_HOOK_PASS, NULL);
}

static glv_verdict authorize(glv_filter_call *call, json_t *payload, void *arg)
{
    const char *tag = json_string_value(json_object_get(payload, "id_token"));
    if (tag != NULL && strcmp(tag, "SLOW-TAG") == 0) {
        host->timer_start(self, 3000, 0, late_answer, call);
        return GLV_HOOK_PENDING;
    }
    if (tag != NULL && strcmp(tag, "VETO-TAG") == 0) {
        host->filter_reason(call, json_pack("{s:s}", "message", "vetoed by the probe"));
        return GLV_HOOK_VETO;
    }
    return GLV_HOOK_PASS;
}

static glv_verdict data_transfer(glv_filter_call *call, json_t *payload, void *arg)
{
    const char *vendor = json_string_value(json_object_get(payload, "vendor_id"));
    if (vendor == NULL || strcmp(vendor, "org.galvani.test") != 0)
        return GLV_HOOK_PASS;
    const char *data = json_string_value(json_object_get(payload, "data"));
    char buf[256];
    snprintf(buf, sizeof buf, "echo:%s", data ? data : "");
    json_object_set_new(payload, "status", json_string("Accepted"));
    json_object_set_new(payload, "response_data", json_string(buf));
    return GLV_HOOK_HANDLED;
}

static int probe_init(glv_plugin *p, const glv_host *h)
{
    host = h;
    self = p;
    counts = json_object();
    last = json_object();
    for (int i = 0; watched[i] != NULL; i++)
        if (h->listen(p, watched[i], 1, on_event, NULL) < 0)
            return h->fail(p, "cannot listen to %s", watched[i]);
    if (h->filter_add(p, "token.authorize", GLV_PRIORITY_LATE, 1, authorize, NULL) < 0 ||
        h->filter_add(p, "charger.data_transfer", GLV_PRIORITY_NORMAL, 1, data_transfer, NULL) < 0)
        return h->fail(p, "cannot add filters");
    if (h->http_route(p, "POST", "/test/ocpp16/command/{identity}/{command}", command_route, NULL) <
            0 ||
        h->http_route(p, "GET", "/test/ocpp16/events", events_route, NULL) < 0)
        return h->fail(p, "cannot add routes");
    return 0;
}

static void probe_fini(glv_plugin *p)
{
    json_decref(counts);
    json_decref(last);
}

static const glv_plugin_descriptor descriptor = {
    GLV_PLUGIN_GUARD,
    .name = "ocpp16_probe",
    .version = "1.0",
    .description = "drives and observes the ocpp16 transport in tests",
    .depends = (const char *const[]){"ocpp16", NULL},
    .init = probe_init,
    .fini = probe_fini,
};

GLV_PLUGIN_EXPORT const glv_plugin_descriptor *glv_plugin_entry(void)
{
    return &descriptor;
}
