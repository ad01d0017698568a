/* The neutral event envelope and the EVSE status mapping; see docs/EVENTS.md. */
#include "ocpp16_fields.h"
#include "ocpp16_plugin.h"

#include <string.h>

json_t *glv_ocpp16_event_new(const char *identity, int64_t at_ms)
{
    char ts[25];
    glv_ocpp16_iso(at_ms >= 0 ? at_ms : OCPP16_HOST->wall_ms(), ts);
    return json_pack("{s:s, s:s, s:s, s:s}", "charger", identity, "transport", GLV_OCPP16_TRANSPORT,
                     "node", OCPP16_HOST->node_id(glv_ocpp16.p), "timestamp", ts);
}

void glv_ocpp16_emit(const char *event, json_t *payload)
{
    if (payload == NULL) {
        OCPP16_LOG(GLV_LOG_ERR, "%s: out of memory, event not emitted", event);
        return;
    }
    if (OCPP16_HOST->notify(glv_ocpp16.p, event, payload) < 0)
        OCPP16_LOG(GLV_LOG_ERR, "%s: event not emitted", event);
}

bool glv_ocpp16_listened(const char *event)
{
    return !GLV_HOST_HAS(OCPP16_HOST, listened) || OCPP16_HOST->listened(glv_ocpp16.p, event) != 0;
}

const char *glv_ocpp16_neutral_status(const char *status)
{
    static const struct {
        const char *ocpp;
        const char *neutral;
    } map[] = {
        {"Available", "available"},    {"Preparing", "occupied"},      {"Charging", "occupied"},
        {"SuspendedEVSE", "occupied"}, {"SuspendedEV", "occupied"},    {"Finishing", "occupied"},
        {"Reserved", "reserved"},      {"Unavailable", "unavailable"}, {"Faulted", "faulted"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].ocpp, status) == 0)
            return map[i].neutral;
    return "unknown";
}
