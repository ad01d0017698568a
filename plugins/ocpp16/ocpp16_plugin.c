/*
 * The ocpp16 transport: OCPP 1.6-J chargers on the WebSocket subprotocol
 * "ocpp1.6" under /ocpp/. Descriptor, configuration, lifecycle and the
 * events it emits or runs (docs/EVENTS.md).
 */
#include "ocpp16_plugin.h"

#include <galvani/plugin.h>
#include <string.h>

extern const glv_migration glv_ocpp16_migrations[];

struct glv_ocpp16_state glv_ocpp16;

static const char *const unknown_policies[] = {"reject", "pending", NULL};
static const char *const fallbacks[] = {"Invalid", "Accepted", NULL};

static const glv_config_field listener_fields[] = {
    {.key = "security_profile",
     .type = GLV_CFG_INT,
     .flags = GLV_CFG_REQUIRED | GLV_CFG_RELOADABLE,
     .min = 0,
     .max = 3,
     .help = "0 none, 1 Basic auth, 2 TLS + Basic auth, 3 TLS client certificate"},
    {0},
};

static const glv_config_field listener_value[] = {
    {.key = "listener",
     .type = GLV_CFG_OBJECT,
     .children = listener_fields,
     .help = "OCPP settings of one core WebSocket listener, keyed by its name"},
    {0},
};

static const glv_config_field config_fields[] = {
    {.key = "listeners",
     .type = GLV_CFG_MAP,
     .flags = GLV_CFG_RELOADABLE,
     .children = listener_value,
     .help = "security profile per WebSocket listener; chargers on others are refused"},
    {.key = "unknown_chargers",
     .type = GLV_CFG_STRING,
     .flags = GLV_CFG_RELOADABLE,
     .default_text = "reject",
     .choices = unknown_policies,
     .help = "reject: 404; pending: register as pending until an operator accepts"},
    {.key = "heartbeat_interval",
     .type = GLV_CFG_DURATION,
     .flags = GLV_CFG_RELOADABLE,
     .default_text = "5m",
     .min = 1000,
     .max = 86400000,
     .help = "interval given to accepted chargers; silent for two of them: offline"},
    {.key = "boot_retry_interval",
     .type = GLV_CFG_DURATION,
     .flags = GLV_CFG_RELOADABLE,
     .default_text = "60s",
     .min = 1000,
     .max = 86400000,
     .help = "interval given with a Pending or Rejected BootNotification"},
    {.key = "call_timeout",
     .type = GLV_CFG_DURATION,
     .flags = GLV_CFG_RELOADABLE,
     .default_text = "30s",
     .min = 100,
     .max = 3600000,
     .help = "how long a CALL to a charger waits for its answer"},
    {.key = "authorize_timeout",
     .type = GLV_CFG_DURATION,
     .flags = GLV_CFG_RELOADABLE,
     .default_text = "5s",
     .min = 10,
     .max = 60000,
     .help = "deadline of the token.authorize filter chain"},
    {.key = "authorize_fallback",
     .type = GLV_CFG_STRING,
     .flags = GLV_CFG_RELOADABLE,
     .default_text = "Invalid",
     .choices = fallbacks,
     .help = "idTagInfo status when token.authorize times out or fails"},
    {.key = "data_transfer_timeout",
     .type = GLV_CFG_DURATION,
     .flags = GLV_CFG_RELOADABLE,
     .default_text = "5s",
     .min = 10,
     .max = 60000,
     .help = "deadline of the charger.data_transfer and charger.sign_certificate filters"},
    {.key = "max_queued_calls",
     .type = GLV_CFG_INT,
     .flags = GLV_CFG_RELOADABLE,
     .default_text = "32",
     .min = 1,
     .max = 10000,
     .help = "CALLs from one charger waiting for the one being answered"},
    {0},
};

static const struct {
    const char *name;
    glv_event_kind kind;
} events[] = {
    {"charger.connected", GLV_EVENT_NOTIFICATION},
    {"charger.booted", GLV_EVENT_NOTIFICATION},
    {"charger.disconnected", GLV_EVENT_NOTIFICATION},
    {"evse.status", GLV_EVENT_NOTIFICATION},
    {"transaction.started", GLV_EVENT_NOTIFICATION},
    {"transaction.meter", GLV_EVENT_NOTIFICATION},
    {"transaction.stopped", GLV_EVENT_NOTIFICATION},
    {"charger.security_event", GLV_EVENT_NOTIFICATION},
    {"charger.firmware_status", GLV_EVENT_NOTIFICATION},
    {"charger.diagnostics_status", GLV_EVENT_NOTIFICATION},
    {"charger.log_status", GLV_EVENT_NOTIFICATION},
    {"token.authorize", GLV_EVENT_FILTER},
    {"charger.data_transfer", GLV_EVENT_FILTER},
    {"charger.sign_certificate", GLV_EVENT_FILTER},
};

static uint32_t cfg_ms(const json_t *cfg, const char *key)
{
    return (uint32_t)json_integer_value(json_object_get(cfg, key));
}

static int read_settings(glv_plugin *p, struct glv_ocpp16_settings *s)
{
    const json_t *cfg = glv_ocpp16.host->config(p);
    json_t *listeners = json_object();
    const char *name;
    const json_t *v;
    json_object_foreach((json_t *)json_object_get(cfg, "listeners"), name, v)
    {
        json_object_set_new(
            listeners, name,
            json_integer(json_integer_value(json_object_get(v, "security_profile"))));
    }
    s->listeners = listeners;
    const char *unknown = json_string_value(json_object_get(cfg, "unknown_chargers"));
    s->unknown_pending = unknown != NULL && strcmp(unknown, "pending") == 0;
    s->heartbeat_s = cfg_ms(cfg, "heartbeat_interval") / 1000u;
    s->boot_retry_s = cfg_ms(cfg, "boot_retry_interval") / 1000u;
    s->call_timeout_ms = cfg_ms(cfg, "call_timeout");
    s->authorize_timeout_ms = cfg_ms(cfg, "authorize_timeout");
    s->data_transfer_timeout_ms = cfg_ms(cfg, "data_transfer_timeout");
    const char *fb = json_string_value(json_object_get(cfg, "authorize_fallback"));
    s->authorize_fallback = fb != NULL && strcmp(fb, "Accepted") == 0 ? "Accepted" : "Invalid";
    s->max_queue = (uint32_t)json_integer_value(json_object_get(cfg, "max_queued_calls"));
    if (s->heartbeat_s == 0 || s->boot_retry_s == 0 || s->max_queue == 0) {
        json_decref(listeners);
        return glv_ocpp16.host->fail(p, "ocpp16: intervals must be at least 1s");
    }
    if (json_object_size(listeners) == 0)
        glv_ocpp16.host->log(p, GLV_LOG_WARNING,
                             "no listener in ocpp16.listeners: every charger will be refused");
    return 0;
}

static int ocpp16_init(glv_plugin *p, const glv_host *host)
{
    memset(&glv_ocpp16, 0, sizeof glv_ocpp16);
    glv_ocpp16.host = host;
    glv_ocpp16.p = p;
    if (!GLV_HOST_HAS(host, command_reply))
        return host->fail(p, "galvanid lacks the charger registry (ABI 0.1 with commands)");
    if (read_settings(p, &glv_ocpp16.cfg) < 0)
        return -1;
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
        if (host->event_declare(p, events[i].name, events[i].kind, 1) < 0)
            return host->fail(p, "cannot declare event %s", events[i].name);
    if (host->ws_register(p, "/ocpp/", "ocpp1.6", 0, &glv_ocpp16_ws_handlers, NULL) < 0)
        return host->fail(p, "cannot register subprotocol ocpp1.6 on /ocpp/");
    glv_ocpp16.m_connections = host->metric(p, "ocpp16_connections", GLV_METRIC_GAUGE,
                                            "open OCPP 1.6 charger connections", NULL);
    glv_ocpp16.m_calls_in = host->metric(p, "ocpp16_calls_received_total", GLV_METRIC_COUNTER,
                                         "CALLs received from chargers", NULL);
    glv_ocpp16.m_calls_out = host->metric(p, "ocpp16_calls_sent_total", GLV_METRIC_COUNTER,
                                          "CALLs sent to chargers", NULL);
    glv_ocpp16.m_errors_in = host->metric(p, "ocpp16_callerrors_sent_total", GLV_METRIC_COUNTER,
                                          "CALLERRORs sent to chargers", NULL);
    glv_ocpp16.m_quirks = host->metric(p, "ocpp16_lenient_quirks_total", GLV_METRIC_COUNTER,
                                       "vendor quirks accepted in lenient mode", NULL);
    glv_ocpp16.m_timeouts =
        host->metric(p, "ocpp16_silence_timeouts_total", GLV_METRIC_COUNTER,
                     "chargers closed after two silent heartbeat intervals", NULL);
    glv_ocpp16.m_commit =
        host->metric(p, "ocpp16_transaction_answer_seconds", GLV_METRIC_HISTOGRAM,
                     "transaction message received to answered after commit", NULL);
    if (glv_ocpp16.m_connections == NULL || glv_ocpp16.m_calls_in == NULL ||
        glv_ocpp16.m_calls_out == NULL || glv_ocpp16.m_errors_in == NULL ||
        glv_ocpp16.m_quirks == NULL || glv_ocpp16.m_timeouts == NULL || glv_ocpp16.m_commit == NULL)
        return host->fail(p, "cannot create metrics");
    return 0;
}

static int ocpp16_start(glv_plugin *p)
{
    if (glv_ocpp16.host->command_handler(p, GLV_OCPP16_TRANSPORT, glv_ocpp16_command, NULL) < 0)
        return glv_ocpp16.host->fail(p, "cannot register the ocpp16 command handler");
    return 0;
}

static int ocpp16_reload(glv_plugin *p)
{
    struct glv_ocpp16_settings s;
    memset(&s, 0, sizeof s);
    if (read_settings(p, &s) < 0)
        return -1;
    json_decref(glv_ocpp16.cfg.listeners);
    glv_ocpp16.cfg = s;
    return 0;
}

static void ocpp16_stop(glv_plugin *p)
{
    glv_ocpp16.stopping = true;
}

static void ocpp16_fini(glv_plugin *p)
{
    glv_ocpp16_conn_table_free();
    glv_ocpp16_conn_fini();
    json_decref(glv_ocpp16.cfg.listeners);
    glv_ocpp16.cfg.listeners = NULL;
}

static const glv_plugin_descriptor descriptor = {
    GLV_PLUGIN_GUARD,
    .name = "ocpp16",
    .version = "0.1.0",
    .description = "OCPP 1.6-J transport: chargers on ws(s)://…/ocpp/{id}, subprotocol ocpp1.6",
    .config = config_fields,
    .migrations = glv_ocpp16_migrations,
    .init = ocpp16_init,
    .start = ocpp16_start,
    .reload = ocpp16_reload,
    .stop = ocpp16_stop,
    .fini = ocpp16_fini,
};

GLV_PLUGIN_EXPORT const glv_plugin_descriptor *glv_plugin_entry(void)
{
    return &descriptor;
}
