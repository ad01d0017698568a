/*
 * Command requests (docs/CHARGERS.md) run as CALLs to the charger. The args
 * of a command are the request payload of the OCPP 1.6 action it maps to,
 * and its result is the charger's CALLRESULT payload (docs/EVENTS.md lists
 * them). Where two actions serve one command (update_firmware, trigger),
 * the first whose request schema the args satisfy is used.
 *
 * set_password {"password"} is ChangeConfiguration of AuthorizationKey: it
 * rotates the charger's Basic-auth password. When the charger accepts, the
 * new key is hashed off the loop and stored in the registry before the
 * command is answered. change_configuration refuses that key, so the
 * password only travels in a member the core keeps out of its audit trail.
 */
#include "ocpp16_fields.h"
#include "ocpp16_plugin.h"
#include "ocpp16_validate.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *command;
    const char *actions[2];
} commands[] = {
    {"start", {"RemoteStartTransaction"}},
    {"stop", {"RemoteStopTransaction"}},
    {"reset", {"Reset"}},
    {"unlock", {"UnlockConnector"}},
    {"set_availability", {"ChangeAvailability"}},
    {"change_configuration", {"ChangeConfiguration"}},
    {"get_configuration", {"GetConfiguration"}},
    {"clear_cache", {"ClearCache"}},
    {"data_transfer", {"DataTransfer"}},
    {"trigger", {"TriggerMessage", "ExtendedTriggerMessage"}},
    {"extended_trigger", {"ExtendedTriggerMessage"}},
    {"get_local_list_version", {"GetLocalListVersion"}},
    {"send_local_list", {"SendLocalList"}},
    {"reserve", {"ReserveNow"}},
    {"cancel_reservation", {"CancelReservation"}},
    {"set_charging_profile", {"SetChargingProfile"}},
    {"clear_charging_profile", {"ClearChargingProfile"}},
    {"get_composite_schedule", {"GetCompositeSchedule"}},
    {"update_firmware", {"UpdateFirmware", "SignedUpdateFirmware"}},
    {"signed_update_firmware", {"SignedUpdateFirmware"}},
    {"get_diagnostics", {"GetDiagnostics"}},
    {"get_log", {"GetLog"}},
    {"install_certificate", {"InstallCertificate"}},
    {"delete_certificate", {"DeleteCertificate"}},
    {"get_installed_certificate_ids", {"GetInstalledCertificateIds"}},
    {"certificate_signed", {"CertificateSigned"}},
};

struct command_run {
    glv_command *cmd;
    char *identity;
    char *new_key;        /* owned: an AuthorizationKey being set, wiped on free */
    uint32_t heartbeat_s; /* a HeartbeatInterval being set, else 0 */
    json_t *result;
};

static void run_free(struct command_run *r)
{
    if (r->new_key != NULL) {
        memset(r->new_key, 0, strlen(r->new_key));
        free(r->new_key);
    }
    free(r->identity);
    json_decref(r->result);
    free(r);
}

static void reply_error(glv_command *cmd, const char *code, const char *message)
{
    OCPP16_HOST->command_reply(cmd, NULL,
                               json_pack("{s:s, s:s}", "code", code, "message", message));
}

static void key_stored(const json_t *charger, const json_t *error, void *arg)
{
    struct command_run *r = arg;
    if (error != NULL || charger == NULL) {
        OCPP16_LOG(GLV_LOG_ERR,
                   "%s: the charger accepted a new AuthorizationKey but the "
                   "registry was not updated; set the password again",
                   r->identity);
        reply_error(r->cmd, "database", "the charger took the new key; the registry did not");
    } else {
        OCPP16_LOG(GLV_LOG_NOTICE, "%s: AuthorizationKey rotated", r->identity);
        OCPP16_HOST->command_reply(r->cmd, json_incref(r->result), NULL);
    }
    run_free(r);
}

static void key_hashed(const char *hash, void *arg)
{
    struct command_run *r = arg;
    json_t *fields = hash ? json_pack("{s:s}", "password_hash", hash) : NULL;
    if (fields == NULL ||
        OCPP16_HOST->charger_provision(glv_ocpp16.p, r->identity, fields, key_stored, r) < 0)
        key_stored(NULL, NULL, r);
    json_decref(fields);
}

static void call_done(struct glv_ocpp16_conn *conn, const json_t *result, const json_t *error,
                      void *arg)
{
    struct command_run *r = arg;
    if (error != NULL) {
        OCPP16_HOST->command_reply(r->cmd, NULL, json_deep_copy(error));
        run_free(r);
        return;
    }
    const char *status = glv_ocpp16_field_str(result, "status");
    if (r->heartbeat_s > 0 && conn != NULL && status != NULL && strcmp(status, "Accepted") == 0) {
        /* The charger now speaks at the new interval: so does its silence deadline. */
        conn->heartbeat_ms = r->heartbeat_s * 1000u;
        glv_ocpp16_conn_liveness_reset(conn);
    }
    if (r->new_key != NULL && status != NULL &&
        (strcmp(status, "Accepted") == 0 || strcmp(status, "RebootRequired") == 0)) {
        r->result = json_deep_copy(result);
        if (OCPP16_HOST->password_hash(glv_ocpp16.p, r->new_key, key_hashed, r) < 0)
            key_hashed(NULL, r);
        return;
    }
    OCPP16_HOST->command_reply(r->cmd, json_deep_copy(result), NULL);
    run_free(r);
}

/* The ChangeConfiguration payload of set_password {"password": "…"}, or
 * NULL with *why set when the args are not that. */
static json_t *set_password_payload(const json_t *args, const char **why)
{
    const char *pw = glv_ocpp16_field_str(args, "password");
    if (pw == NULL) {
        *why = "password: a string is required";
        return NULL;
    }
    if (json_object_size(args) != 1) {
        *why = "set_password takes only the member password";
        return NULL;
    }
    size_t len = strlen(pw);
    if (len < 8 || len > 40) {
        *why = "password: 8 to 40 characters";
        return NULL;
    }
    return json_pack("{s:s, s:s}", "key", "AuthorizationKey", "value", pw);
}

void glv_ocpp16_command(glv_command *cmd, const char *identity, const char *command,
                        const json_t *args, void *arg)
{
    int set_password = strcmp(command, "set_password") == 0;
    size_t i = 0;
    while (!set_password && i < sizeof commands / sizeof commands[0] &&
           strcmp(commands[i].command, command) != 0)
        i++;
    if (!set_password && i == sizeof commands / sizeof commands[0]) {
        reply_error(cmd, "unsupported", "OCPP 1.6 has no such command");
        return;
    }
    struct glv_ocpp16_conn *conn = glv_ocpp16_conn_find(identity);
    if (conn == NULL || conn->ws == NULL) {
        reply_error(cmd, "offline", "the charger is not connected to this node");
        return;
    }
    const struct glv_ocpp16_action *action = NULL;
    json_t *payload;
    if (set_password) {
        const char *why = "out of memory";
        payload = set_password_payload(json_is_object(args) ? args : NULL, &why);
        if (payload == NULL) {
            reply_error(cmd, "invalid_args", why);
            return;
        }
        action = glv_ocpp16_action_find("ChangeConfiguration");
    } else {
        payload = json_is_object(args) ? json_deep_copy(args) : json_object();
        struct glv_ocpp16_violation v = {0}, first = {0};
        for (size_t k = 0; k < 2 && commands[i].actions[k] != NULL && action == NULL; k++) {
            const struct glv_ocpp16_action *a = glv_ocpp16_action_find(commands[i].actions[k]);
            if (glv_ocpp16_validate(a->request, payload, NULL, &v) == GLV_OCPP16_OK)
                action = a;
            else if (k == 0)
                first = v;
        }
        if (action == NULL) {
            json_decref(payload);
            reply_error(cmd, "invalid_args", first.description);
            return;
        }
        const char *key = glv_ocpp16_field_str(payload, "key");
        if (strcmp(action->name, "ChangeConfiguration") == 0 && key != NULL &&
            strcasecmp(key, "AuthorizationKey") == 0) {
            json_decref(payload);
            reply_error(cmd, "invalid_args",
                        "key: AuthorizationKey is changed with the command set_password "
                        "{\"password\": ...}, which keeps it out of the command records");
            return;
        }
    }
    struct command_run *r = calloc(1, sizeof *r);
    if (r == NULL || (r->identity = strdup(identity)) == NULL) {
        free(r);
        json_decref(payload);
        reply_error(cmd, "internal", "out of memory");
        return;
    }
    r->cmd = cmd;
    const char *changed = glv_ocpp16_field_str(payload, "key");
    if (strcmp(action->name, "ChangeConfiguration") == 0 && changed != NULL &&
        strcasecmp(changed, "HeartbeatInterval") == 0) {
        const char *value = glv_ocpp16_field_str(payload, "value");
        char *end = NULL;
        unsigned long seconds = value ? strtoul(value, &end, 10) : 0;
        if (end != NULL && end != value && *end == '\0' && seconds > 0 && seconds <= 86400)
            r->heartbeat_s = (uint32_t)seconds;
    }
    if (set_password) {
        r->new_key = strdup(glv_ocpp16_field_str(payload, "value"));
        if (r->new_key == NULL) {
            json_decref(payload);
            run_free(r);
            reply_error(cmd, "internal", "out of memory");
            return;
        }
    }
    OCPP16_LOG(GLV_LOG_INFO, "%s: command %s -> %s", identity, command, action->name);
    if (glv_ocpp16_call(conn, action, payload, call_done, r) < 0) {
        run_free(r);
        reply_error(cmd, "offline", "the charger is not connected to this node");
    }
}
