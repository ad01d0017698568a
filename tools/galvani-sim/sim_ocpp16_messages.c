/* OCPP 1.6-J: names and payloads of the messages a charger sends, and the
 * parts of the answers the simulator acts on. */
#include "sim_ocpp16_calls.h"
#include "sim_protocol.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *action16(enum sim_msg_kind kind)
{
    switch (kind) {
    case SIM_MSG_BOOT:
        return "BootNotification";
    case SIM_MSG_HEARTBEAT:
        return "Heartbeat";
    case SIM_MSG_STATUS:
        return "StatusNotification";
    case SIM_MSG_AUTHORIZE:
        return "Authorize";
    case SIM_MSG_TX_START:
        return "StartTransaction";
    case SIM_MSG_TX_METER:
        return "MeterValues";
    case SIM_MSG_TX_STOP:
        return "StopTransaction";
    case SIM_MSG_DATA_TRANSFER:
        return "DataTransfer";
    case SIM_MSG_FIRMWARE_STATUS:
        return "FirmwareStatusNotification";
    case SIM_MSG_DIAGNOSTICS_STATUS:
        return "DiagnosticsStatusNotification";
    case SIM_MSG_SIGNED_FIRMWARE_STATUS:
        return "SignedFirmwareStatusNotification";
    case SIM_MSG_LOG_STATUS:
        return "LogStatusNotification";
    case SIM_MSG_SECURITY_EVENT:
        return "SecurityEventNotification";
    case SIM_MSG_SIGN_CERTIFICATE:
        return "SignCertificate";
    }
    return "Unknown";
}

static const char *status16(enum sim_status st)
{
    static const char *names[] = {"Available",     "Preparing",   "Charging",
                                  "SuspendedEVSE", "SuspendedEV", "Finishing",
                                  "Reserved",      "Unavailable", "Faulted"};
    return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "Faulted";
}

static json_t *timestamp(int64_t wall_ms)
{
    time_t t = (time_t)(wall_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char buf[40];
    size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, sizeof(buf) - n, ".%03dZ", (int)(wall_ms % 1000));
    return json_string(buf);
}

static json_t *sampled(double v, const char *fmt, const char *context, const char *measurand,
                       const char *unit, const char *location)
{
    char buf[32];
    snprintf(buf, sizeof(buf), fmt, v);
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "value", buf, "context", context, "format", "Raw",
                     "measurand", measurand, "location", location, "unit", unit);
}

static json_t *meter_value(const struct sim_sample *s, int64_t wall_ms, const char *context,
                           int full)
{
    json_t *values = json_array();
    json_array_append_new(values, sampled(s->energy_wh, "%.0f", context,
                                          "Energy.Active.Import.Register", "Wh", "Outlet"));
    if (full) {
        json_array_append_new(
            values, sampled(s->power_w, "%.0f", context, "Power.Active.Import", "W", "Outlet"));
        json_array_append_new(
            values, sampled(s->current_a, "%.1f", context, "Current.Import", "A", "Outlet"));
        json_array_append_new(values,
                              sampled(s->voltage_v, "%.1f", context, "Voltage", "V", "Outlet"));
    }
    json_array_append_new(values, sampled(s->soc, "%.0f", context, "SoC", "Percent", "EV"));
    return json_pack("{s:o,s:o}", "timestamp", timestamp(wall_ms), "sampledValue", values);
}

static json_t *build16(const struct sim_charger *c, enum sim_msg_kind kind,
                       const struct sim_event *ev)
{
    const struct sim_options *o = c->fleet->opts;
    char identity[64];
    switch (kind) {
    case SIM_MSG_BOOT:
        sim_charger_identity(c, identity, sizeof(identity));
        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "chargePointVendor", o->vendor,
                         "chargePointModel", o->model, "chargePointSerialNumber", identity,
                         "chargeBoxSerialNumber", identity, "firmwareVersion", "galvani-sim-1.0",
                         "meterType", "galvani-sim meter");
    case SIM_MSG_HEARTBEAT:
        return json_object();
    case SIM_MSG_STATUS:
        return json_pack("{s:i,s:s,s:s,s:o}", "connectorId", ev->connector, "errorCode",
                         ev->text2 ? ev->text2 : "NoError", "status", ev->text, "timestamp",
                         timestamp(ev->wall_ms));
    case SIM_MSG_AUTHORIZE:
        return json_pack("{s:s}", "idTag", ev->text);
    case SIM_MSG_TX_START: {
        json_t *p = json_pack("{s:i,s:s,s:I,s:o}", "connectorId", ev->connector, "idTag", ev->text,
                              "meterStart", (json_int_t)(ev->meter_wh + 0.5), "timestamp",
                              timestamp(ev->wall_ms));
        if (p && ev->reservation_id >= 0)
            json_object_set_new(p, "reservationId", json_integer(ev->reservation_id));
        return p;
    }
    case SIM_MSG_TX_METER: {
        json_t *p = json_pack("{s:i}", "connectorId", ev->connector);
        if (ev->transaction_id)
            json_object_set_new(p, "transactionId", json_integer(ev->transaction_id));
        json_t *mv = json_array();
        if (ev->sample)
            json_array_append_new(mv, meter_value(ev->sample, ev->wall_ms, "Sample.Periodic", 1));
        json_object_set_new(p, "meterValue", mv);
        return p;
    }
    case SIM_MSG_TX_STOP: {
        json_t *p = json_pack("{s:i,s:I,s:o,s:s}", "transactionId", ev->transaction_id, "meterStop",
                              (json_int_t)(ev->meter_wh + 0.5), "timestamp", timestamp(ev->wall_ms),
                              "reason", ev->text ? ev->text : "Local");
        if (ev->text2 && ev->text2[0])
            json_object_set_new(p, "idTag", json_string(ev->text2));
        if (ev->sample)
            json_object_set_new(
                p, "transactionData",
                json_pack("[o]", meter_value(ev->sample, ev->wall_ms, "Transaction.End", 0)));
        return p;
    }
    case SIM_MSG_DATA_TRANSFER: {
        json_t *p = json_pack("{s:s}", "vendorId", ev->text ? ev->text : "galvani.sim");
        if (ev->text2)
            json_object_set_new(p, "messageId", json_string(ev->text2));
        if (ev->text3)
            json_object_set_new(p, "data", json_string(ev->text3));
        return p;
    }
    case SIM_MSG_FIRMWARE_STATUS:
    case SIM_MSG_DIAGNOSTICS_STATUS:
        return json_pack("{s:s}", "status", ev->text);
    case SIM_MSG_SIGNED_FIRMWARE_STATUS:
    case SIM_MSG_LOG_STATUS: {
        json_t *p = json_pack("{s:s}", "status", ev->text);
        if (ev->request_id >= 0)
            json_object_set_new(p, "requestId", json_integer(ev->request_id));
        return p;
    }
    case SIM_MSG_SECURITY_EVENT: {
        json_t *p = json_pack("{s:s,s:o}", "type", ev->text, "timestamp", timestamp(ev->wall_ms));
        if (ev->text2)
            json_object_set_new(p, "techInfo", json_string(ev->text2));
        return p;
    }
    case SIM_MSG_SIGN_CERTIFICATE:
        return json_pack("{s:s}", "csr", ev->text);
    }
    return NULL;
}

static void read16(enum sim_msg_kind kind, json_t *payload, struct sim_answer *out)
{
    out->status = NULL;
    out->interval_s = -1;
    out->transaction_id = 0;
    if (!payload)
        return;
    json_t *info = json_object_get(payload, "idTagInfo");
    out->status = json_string_value(json_object_get(info ? info : payload, "status"));
    if (kind == SIM_MSG_BOOT && json_is_integer(json_object_get(payload, "interval")))
        out->interval_s = (int)json_integer_value(json_object_get(payload, "interval"));
    if (kind == SIM_MSG_TX_START)
        out->transaction_id =
            (int32_t)json_integer_value(json_object_get(payload, "transactionId"));
}

static void set_tx16(enum sim_msg_kind kind, json_t *payload, int32_t transaction_id)
{
    if (kind == SIM_MSG_TX_METER || kind == SIM_MSG_TX_STOP)
        json_object_set_new(payload, "transactionId", json_integer(transaction_id));
}

const struct sim_protocol sim_ocpp16_protocol = {
    .name = "OCPP 1.6-J",
    .subprotocol = "ocpp1.6",
    .action = action16,
    .status_name = status16,
    .build = build16,
    .read_answer = read16,
    .set_transaction_id = set_tx16,
    .answer_call = sim_ocpp16_answer_call,
};
