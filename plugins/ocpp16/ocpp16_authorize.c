/*
 * idTag authorization through the token.authorize filter chain (docs/EVENTS.md).
 * The transport holds no policy: a filter that knows the token answers;
 * nobody answering means Invalid, a chain that times out or fails gives the
 * configured fallback.
 */
#include "ocpp16_fields.h"
#include "ocpp16_plugin.h"

#include <stdlib.h>
#include <string.h>

struct auth {
    struct glv_ocpp16_conn *conn; /* reference */
    glv_ocpp16_auth_fn done;
    void *arg;
    uint64_t started_ms;
};

static const char *const statuses[] = {"Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"};

static const char *known_status(const char *s)
{
    for (size_t i = 0; s != NULL && i < sizeof statuses / sizeof statuses[0]; i++)
        if (strcmp(s, statuses[i]) == 0)
            return statuses[i];
    return NULL;
}

static json_t *id_tag_info(const char *status, const json_t *payload)
{
    json_t *info = json_pack("{s:s}", "status", status);
    if (info == NULL || payload == NULL)
        return info;
    int64_t ms;
    if (glv_ocpp16_field_time(payload, "expiry", &ms)) {
        char ts[25];
        if (glv_ocpp16_iso(ms, ts)[0] != '\0')
            json_object_set_new(info, "expiryDate", json_string(ts));
    }
    const char *parent = glv_ocpp16_field_str(payload, "parent_id");
    if (parent != NULL && parent[0] != '\0' && strlen(parent) <= 20)
        json_object_set_new(info, "parentIdTag", json_string(parent));
    return info;
}

static void chain_done(glv_verdict verdict, json_t *payload, const json_t *error, void *arg)
{
    struct auth *a = arg;
    const char *identity = a->conn->identity;
    const char *tag = glv_ocpp16_field_str(payload, "id_token");
    const char *status = NULL;
    json_t *info;
    switch (verdict) {
    case GLV_HOOK_HANDLED:
        status = known_status(glv_ocpp16_field_str(payload, "status"));
        if (status == NULL) {
            OCPP16_LOG(GLV_LOG_WARNING,
                       "%s: token.authorize answered an unknown status for "
                       "'%s'; Invalid",
                       identity, tag ? tag : "");
            status = "Invalid";
        }
        info = id_tag_info(status, payload);
        break;
    case GLV_HOOK_VETO:
        status = known_status(glv_ocpp16_field_str(payload, "status"));
        info = id_tag_info(status ? status : "Blocked", NULL);
        break;
    case GLV_HOOK_TIMEOUT:
    case GLV_HOOK_FAILED:
        OCPP16_LOG(GLV_LOG_WARNING, "%s: token.authorize %s for '%s' (%s); answering %s", identity,
                   verdict == GLV_HOOK_TIMEOUT ? "timed out" : "failed", tag ? tag : "",
                   json_string_value(json_object_get(error, "message")),
                   glv_ocpp16.cfg.authorize_fallback);
        info = id_tag_info(glv_ocpp16.cfg.authorize_fallback, NULL);
        break;
    default: /* PASS: nobody knows the token */
        info = id_tag_info("Invalid", NULL);
        break;
    }
    a->done(info, a->arg);
    glv_ocpp16_conn_unref(a->conn);
    free(a);
}

void glv_ocpp16_authorize(struct glv_ocpp16_conn *conn, const char *id_tag, int64_t connector_id,
                          glv_ocpp16_auth_fn done, void *arg)
{
    json_t *payload = json_pack("{s:s, s:s, s:s}", "charger", conn->identity, "id_token", id_tag,
                                "token_type", "RFID");
    struct auth *a = calloc(1, sizeof *a);
    if (payload == NULL || a == NULL) {
        json_decref(payload);
        free(a);
        done(id_tag_info(glv_ocpp16.cfg.authorize_fallback, NULL), arg);
        return;
    }
    if (connector_id > 0) {
        json_object_set_new(payload, "evse_id", json_integer(connector_id));
        json_object_set_new(payload, "connector_id", json_integer(1));
    }
    a->conn = conn;
    a->done = done;
    a->arg = arg;
    a->started_ms = OCPP16_HOST->monotonic_ms();
    glv_ocpp16_conn_ref(conn);
    if (OCPP16_HOST->filter_run(glv_ocpp16.p, "token.authorize", payload,
                                glv_ocpp16.cfg.authorize_timeout_ms, chain_done, a) < 0) {
        OCPP16_LOG(GLV_LOG_ERR, "%s: token.authorize could not run", conn->identity);
        glv_ocpp16_conn_unref(conn);
        free(a);
        done(id_tag_info(glv_ocpp16.cfg.authorize_fallback, NULL), arg);
    }
    json_decref(payload);
}
