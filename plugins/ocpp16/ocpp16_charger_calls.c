/*
 * CALLs from the charger that store nothing of their own: BootNotification
 * (the registry records vendor, model, serial and firmware), Heartbeat,
 * StatusNotification, Authorize, DataTransfer, SignCertificate and the
 * status notifications of firmware, diagnostics, logs and security events.
 * Each becomes a neutral event (docs/EVENTS.md); the transaction messages
 * are in ocpp16_transactions.c.
 */
#include "ocpp16_fields.h"
#include "ocpp16_plugin.h"

#include <stdio.h>
#include <string.h>

static json_t *now_payload(const char *key)
{
    char ts[25];
    return json_pack("{s:s}", key, glv_ocpp16_iso(OCPP16_HOST->wall_ms(), ts));
}

static void copy_str(json_t *dst, const char *dst_key, const json_t *src, const char *src_key)
{
    const char *v = glv_ocpp16_field_str(src, src_key);
    if (v != NULL)
        json_object_set_new(dst, dst_key, json_string(v));
}

static void copy_int(json_t *dst, const char *dst_key, const json_t *src, const char *src_key)
{
    int64_t v;
    if (glv_ocpp16_field_int(src, src_key, &v))
        json_object_set_new(dst, dst_key, json_integer(v));
}

/* ---- BootNotification ----
 *
 * The answer's status is the registry's. The first BootNotification of a
 * connection uses the record read at the upgrade (one registry read per
 * connection); a later one (a pending charger asking again) reads it anew,
 * as an operator may have accepted the charger meanwhile. Vendor, model,
 * serial and firmware are written only when they differ from the record,
 * through group commit, and the answer waits for that COMMIT so that
 * charger.booted, emitted after it, finds the registry up to date; a
 * charger that boots again unchanged (a reconnect storm) costs no write.
 * The answer also waits until the connection itself is recorded (the
 * attach, batched with those of other chargers), so that a command sent
 * once the charger is booted finds it. */

static void boot_answer(struct glv_ocpp16_request *req, const char *status)
{
    struct glv_ocpp16_conn *c = req->conn;
    const json_t *in = req->payload;
    snprintf(c->status, sizeof c->status, "%s", status);
    bool accepted = strcmp(status, GLV_CHARGER_ACCEPTED) == 0;
    uint32_t interval = accepted ? glv_ocpp16.cfg.heartbeat_s : glv_ocpp16.cfg.boot_retry_s;
    c->heartbeat_ms = interval * 1000u;
    glv_ocpp16_conn_liveness_reset(c);
    const char *wire = accepted                                   ? "Accepted"
                       : strcmp(status, GLV_CHARGER_PENDING) == 0 ? "Pending"
                                                                  : "Rejected";
    json_t *out = now_payload("currentTime");
    json_object_set_new(out, "status", json_string(wire));
    json_object_set_new(out, "interval", json_integer(interval));

    json_t *ev = glv_ocpp16_event_new(c->identity, -1);
    if (ev != NULL) {
        json_object_set_new(ev, "status", json_string(status));
        copy_str(ev, "vendor", in, "chargePointVendor");
        copy_str(ev, "model", in, "chargePointModel");
        copy_str(ev, "serial", in, "chargePointSerialNumber");
        copy_str(ev, "charge_box_serial", in, "chargeBoxSerialNumber");
        copy_str(ev, "firmware", in, "firmwareVersion");
        copy_str(ev, "iccid", in, "iccid");
        copy_str(ev, "imsi", in, "imsi");
        copy_str(ev, "meter_type", in, "meterType");
        copy_str(ev, "meter_serial", in, "meterSerialNumber");
        json_object_set_new(ev, "heartbeat_interval", json_integer(interval));
    }
    OCPP16_LOG(GLV_LOG_INFO, "%s: BootNotification answered %s", c->identity, wire);
    glv_ocpp16_reply(req, out);
    glv_ocpp16_emit("charger.booted", ev);
}

static void boot_provisioned(const json_t *charger, const json_t *error, void *arg)
{
    struct glv_ocpp16_request *req = arg;
    if (error != NULL || charger == NULL) {
        glv_ocpp16_reply_error(req, GLV_OCPP16_INTERNAL_ERROR, "the registry is unavailable");
        return;
    }
    const char *status = json_string_value(json_object_get(charger, "status"));
    boot_answer(req, status ? status : GLV_CHARGER_PENDING);
}

/* Adds key: value to fields when value is given and differs from the
 * record's. */
static void changed_str(json_t *fields, const json_t *record, const char *key, const char *value)
{
    if (value == NULL)
        return;
    const char *stored = json_string_value(json_object_get(record, key));
    if (stored == NULL || strcmp(stored, value) != 0)
        json_object_set_new(fields, key, json_string(value));
}

/* Answers with the status of the record (borrowed), after writing what
 * the BootNotification changed in it. */
static void boot_with_record(struct glv_ocpp16_request *req, const json_t *record,
                             const char *status)
{
    if (status != NULL && strcmp(status, GLV_CHARGER_REJECTED) == 0) {
        boot_answer(req, GLV_CHARGER_REJECTED);
        return;
    }
    const json_t *in = req->payload;
    const char *serial = glv_ocpp16_field_str(in, "chargePointSerialNumber");
    if (serial == NULL)
        serial = glv_ocpp16_field_str(in, "chargeBoxSerialNumber");
    json_t *fields = json_object();
    if (fields == NULL) {
        glv_ocpp16_reply_error(req, GLV_OCPP16_INTERNAL_ERROR, "out of memory");
        return;
    }
    changed_str(fields, record, "vendor", glv_ocpp16_field_str(in, "chargePointVendor"));
    changed_str(fields, record, "model", glv_ocpp16_field_str(in, "chargePointModel"));
    changed_str(fields, record, "serial", serial);
    changed_str(fields, record, "firmware", glv_ocpp16_field_str(in, "firmwareVersion"));
    if (json_object_size(fields) == 0)
        boot_answer(req, status ? status : GLV_CHARGER_PENDING);
    else if (OCPP16_HOST->charger_provision(glv_ocpp16.p, req->conn->identity, fields,
                                            boot_provisioned, req) < 0)
        glv_ocpp16_reply_error(req, GLV_OCPP16_INTERNAL_ERROR, "the registry is unavailable");
    json_decref(fields);
}

static void boot_looked_up(const json_t *charger, const json_t *error, void *arg)
{
    struct glv_ocpp16_request *req = arg;
    if (error != NULL) {
        glv_ocpp16_reply_error(req, GLV_OCPP16_INTERNAL_ERROR, "the registry is unavailable");
        return;
    }
    if (charger == NULL) {
        /* removed by an operator while connected */
        struct glv_ocpp16_conn *c = req->conn;
        glv_ocpp16_conn_ref(c);
        boot_answer(req, GLV_CHARGER_REJECTED);
        glv_ocpp16_conn_close(c, GLV_WS_CLOSE_POLICY, "rejected");
        glv_ocpp16_conn_unref(c);
        return;
    }
    boot_with_record(req, charger, json_string_value(json_object_get(charger, "status")));
}

static void boot_recorded(struct glv_ocpp16_request *req)
{
    struct glv_ocpp16_conn *c = req->conn;
    json_t *ref = c->boot_ref;
    if (ref != NULL) {
        /* the status read at the upgrade is the connection's until now */
        c->boot_ref = NULL;
        char status[sizeof c->status];
        snprintf(status, sizeof status, "%s", c->status);
        boot_with_record(req, ref, status);
        json_decref(ref);
        return;
    }
    if (OCPP16_HOST->charger_lookup(glv_ocpp16.p, c->identity, boot_looked_up, req) < 0)
        glv_ocpp16_reply_error(req, GLV_OCPP16_INTERNAL_ERROR, "the registry is unavailable");
}

static void boot_notification(struct glv_ocpp16_request *req)
{
    glv_ocpp16_after_attach(req, boot_recorded);
}

/* ---- Heartbeat, StatusNotification ---- */

static void heartbeat(struct glv_ocpp16_request *req)
{
    glv_ocpp16_reply(req, now_payload("currentTime"));
}

static void status_notification(struct glv_ocpp16_request *req)
{
    struct glv_ocpp16_conn *c = req->conn;
    const json_t *in = req->payload;
    int64_t connector = 0, at_ms = -1;
    glv_ocpp16_field_int(in, "connectorId", &connector);
    if (!glv_ocpp16_field_time(in, "timestamp", &at_ms))
        at_ms = -1;
    const char *status = glv_ocpp16_field_str(in, "status");
    json_t *ev = glv_ocpp16_event_new(c->identity, at_ms);
    if (ev != NULL) {
        json_object_set_new(ev, "evse_id", json_integer(connector));
        if (connector > 0)
            json_object_set_new(ev, "connector_id", json_integer(1));
        json_object_set_new(ev, "status", json_string(glv_ocpp16_neutral_status(status)));
        copy_str(ev, "ocpp_status", in, "status");
        copy_str(ev, "error_code", in, "errorCode");
        copy_str(ev, "info", in, "info");
        copy_str(ev, "vendor_id", in, "vendorId");
        copy_str(ev, "vendor_error_code", in, "vendorErrorCode");
    }
    if (connector > c->connectors) {
        c->connectors = connector;
        json_t *fields = json_pack("{s:I}", "connectors", (json_int_t)connector);
        OCPP16_HOST->charger_provision(glv_ocpp16.p, c->identity, fields, NULL, NULL);
        json_decref(fields);
    }
    glv_ocpp16_reply_empty(req);
    glv_ocpp16_emit("evse.status", ev);
}

/* ---- Authorize ---- */

static void authorized(json_t *info, void *arg)
{
    struct glv_ocpp16_request *req = arg;
    glv_ocpp16_reply(req, json_pack("{s:o}", "idTagInfo", info));
}

static void authorize(struct glv_ocpp16_request *req)
{
    glv_ocpp16_authorize(req->conn, glv_ocpp16_field_str(req->payload, "idTag"), -1, authorized,
                         req);
}

/* ---- DataTransfer and SignCertificate: filters a vendor plugin answers ---- */

static void data_transfer_done(glv_verdict v, json_t *payload, const json_t *error, void *arg)
{
    struct glv_ocpp16_request *req = arg;
    static const char *const ok[] = {"Accepted", "Rejected", "UnknownMessageId", "UnknownVendorId"};
    const char *status = v == GLV_HOOK_PASS ? "UnknownVendorId" : "Rejected";
    if (v == GLV_HOOK_HANDLED) {
        const char *s = glv_ocpp16_field_str(payload, "status");
        for (size_t i = 0; s != NULL && i < sizeof ok / sizeof ok[0]; i++)
            if (strcmp(s, ok[i]) == 0)
                status = ok[i];
    }
    json_t *out = json_pack("{s:s}", "status", status);
    const char *data = glv_ocpp16_field_str(payload, "response_data");
    if (v == GLV_HOOK_HANDLED && data != NULL)
        json_object_set_new(out, "data", json_string(data));
    glv_ocpp16_reply(req, out);
}

static void data_transfer(struct glv_ocpp16_request *req)
{
    json_t *payload = glv_ocpp16_event_new(req->conn->identity, -1);
    copy_str(payload, "vendor_id", req->payload, "vendorId");
    copy_str(payload, "message_id", req->payload, "messageId");
    copy_str(payload, "data", req->payload, "data");
    if (OCPP16_HOST->filter_run(glv_ocpp16.p, "charger.data_transfer", payload,
                                glv_ocpp16.cfg.data_transfer_timeout_ms, data_transfer_done,
                                req) < 0)
        glv_ocpp16_reply(req, json_pack("{s:s}", "status", "Rejected"));
    json_decref(payload);
}

static void sign_done(glv_verdict v, json_t *payload, const json_t *error, void *arg)
{
    struct glv_ocpp16_request *req = arg;
    const char *s = glv_ocpp16_field_str(payload, "status");
    bool ok = v == GLV_HOOK_HANDLED && s != NULL && strcmp(s, "Accepted") == 0;
    glv_ocpp16_reply(req, json_pack("{s:s}", "status", ok ? "Accepted" : "Rejected"));
}

static void sign_certificate(struct glv_ocpp16_request *req)
{
    json_t *payload = glv_ocpp16_event_new(req->conn->identity, -1);
    copy_str(payload, "csr", req->payload, "csr");
    json_object_set_new(payload, "certificate_type", json_string("ChargingStationCertificate"));
    if (OCPP16_HOST->filter_run(glv_ocpp16.p, "charger.sign_certificate", payload,
                                glv_ocpp16.cfg.data_transfer_timeout_ms, sign_done, req) < 0)
        glv_ocpp16_reply(req, json_pack("{s:s}", "status", "Rejected"));
    json_decref(payload);
}

/* ---- status notifications: an event and an empty answer ---- */

static void notify_and_ack(struct glv_ocpp16_request *req, const char *event, json_t *ev)
{
    glv_ocpp16_reply_empty(req);
    glv_ocpp16_emit(event, ev);
}

static void firmware_status(struct glv_ocpp16_request *req)
{
    json_t *ev = glv_ocpp16_event_new(req->conn->identity, -1);
    copy_str(ev, "status", req->payload, "status");
    notify_and_ack(req, "charger.firmware_status", ev);
}

static void signed_firmware_status(struct glv_ocpp16_request *req)
{
    json_t *ev = glv_ocpp16_event_new(req->conn->identity, -1);
    copy_str(ev, "status", req->payload, "status");
    copy_int(ev, "request_id", req->payload, "requestId");
    json_object_set_new(ev, "signed", json_true());
    notify_and_ack(req, "charger.firmware_status", ev);
}

static void diagnostics_status(struct glv_ocpp16_request *req)
{
    json_t *ev = glv_ocpp16_event_new(req->conn->identity, -1);
    copy_str(ev, "status", req->payload, "status");
    notify_and_ack(req, "charger.diagnostics_status", ev);
}

static void log_status(struct glv_ocpp16_request *req)
{
    json_t *ev = glv_ocpp16_event_new(req->conn->identity, -1);
    copy_str(ev, "status", req->payload, "status");
    copy_int(ev, "request_id", req->payload, "requestId");
    notify_and_ack(req, "charger.log_status", ev);
}

static void security_event(struct glv_ocpp16_request *req)
{
    int64_t at_ms = -1;
    if (!glv_ocpp16_field_time(req->payload, "timestamp", &at_ms))
        at_ms = -1;
    json_t *ev = glv_ocpp16_event_new(req->conn->identity, at_ms);
    copy_str(ev, "type", req->payload, "type");
    copy_str(ev, "tech_info", req->payload, "techInfo");
    OCPP16_LOG(GLV_LOG_NOTICE, "%s: security event %s", req->conn->identity,
               glv_ocpp16_field_str(req->payload, "type"));
    notify_and_ack(req, "charger.security_event", ev);
}

/* ---- the dispatch table ---- */

static const struct {
    const char *action;
    glv_ocpp16_handler_fn fn;
} handlers[] = {
    {"Authorize", authorize},
    {"BootNotification", boot_notification},
    {"DataTransfer", data_transfer},
    {"DiagnosticsStatusNotification", diagnostics_status},
    {"FirmwareStatusNotification", firmware_status},
    {"Heartbeat", heartbeat},
    {"LogStatusNotification", log_status},
    {"MeterValues", glv_ocpp16_meter_values},
    {"SecurityEventNotification", security_event},
    {"SignCertificate", sign_certificate},
    {"SignedFirmwareStatusNotification", signed_firmware_status},
    {"StartTransaction", glv_ocpp16_start_transaction},
    {"StatusNotification", status_notification},
    {"StopTransaction", glv_ocpp16_stop_transaction},
};

glv_ocpp16_handler_fn glv_ocpp16_handler_find(const char *action)
{
    for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
        if (strcmp(handlers[i].action, action) == 0)
            return handlers[i].fn;
    return NULL;
}
