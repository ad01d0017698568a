/* OCPP 1.6-J: names and payloads of the messages a charger sends, and the
 * parts of the answers the simulator acts on. */
#include "sim_ocpp16_calls.h"
#include "sim_protocol.h"

#include <string.h>

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

/* The members of a sampled value that follow "value": fixed for each kind
 * of sample, so written in one piece. */
#define SAMPLED(context, measurand, location, unit)                                                \
    "\"context\":\"" context "\",\"format\":\"Raw\",\"measurand\":\"" measurand                    \
    "\",\"location\":\"" location "\",\"unit\":\"" unit "\""

static void sampled(struct sim_jw *w, double v, unsigned decimals, const char *fixed)
{
    sim_jw_object(w, NULL);
    sim_jw_decimal(w, "value", v, decimals);
    sim_jw_members(w, fixed);
    sim_jw_end_object(w);
}

/* The sampled values of MeterValues (periodic) or of the end of a
 * transaction (StopTransaction's transactionData). */
static void meter_value(struct sim_jw *w, const struct sim_sample *s, int64_t wall_ms, int periodic)
{
    sim_jw_object(w, NULL);
    sim_jw_time(w, "timestamp", wall_ms);
    sim_jw_array(w, "sampledValue");
    if (periodic) {
        sampled(w, s->energy_wh, 0,
                SAMPLED("Sample.Periodic", "Energy.Active.Import.Register", "Outlet", "Wh"));
        sampled(w, s->power_w, 0, SAMPLED("Sample.Periodic", "Power.Active.Import", "Outlet", "W"));
        sampled(w, s->current_a, 1, SAMPLED("Sample.Periodic", "Current.Import", "Outlet", "A"));
        sampled(w, s->voltage_v, 1, SAMPLED("Sample.Periodic", "Voltage", "Outlet", "V"));
        sampled(w, s->soc, 0, SAMPLED("Sample.Periodic", "SoC", "EV", "Percent"));
    } else {
        sampled(w, s->energy_wh, 0,
                SAMPLED("Transaction.End", "Energy.Active.Import.Register", "Outlet", "Wh"));
        sampled(w, s->soc, 0, SAMPLED("Transaction.End", "SoC", "EV", "Percent"));
    }
    sim_jw_end_array(w);
    sim_jw_end_object(w);
}

/* The kinds whose payload carries ev->text (a status, id tag, type, CSR). */
static int needs_text(enum sim_msg_kind kind)
{
    return kind != SIM_MSG_BOOT && kind != SIM_MSG_HEARTBEAT && kind != SIM_MSG_TX_METER &&
           kind != SIM_MSG_TX_STOP && kind != SIM_MSG_DATA_TRANSFER;
}

/* MeterValues and StopTransaction carry transactionId as their last member
 * (MeterValues leaves it out while unknown), so that set_tx16 can fill it in
 * without parsing the payload. */
static int build16(const struct sim_charger *c, enum sim_msg_kind kind, const struct sim_event *ev,
                   struct sim_jw *w)
{
    const struct sim_options *o = c->fleet->opts;
    char identity[64];
    if (needs_text(kind) && !ev->text)
        return -1;
    sim_jw_object(w, NULL);
    switch (kind) {
    case SIM_MSG_BOOT:
        sim_charger_identity(c, identity, sizeof(identity));
        sim_jw_string(w, "chargePointVendor", o->vendor);
        sim_jw_string(w, "chargePointModel", o->model);
        sim_jw_string(w, "chargePointSerialNumber", identity);
        sim_jw_string(w, "chargeBoxSerialNumber", identity);
        sim_jw_string(w, "firmwareVersion", "galvani-sim-1.0");
        sim_jw_string(w, "meterType", "galvani-sim meter");
        break;
    case SIM_MSG_HEARTBEAT:
        break;
    case SIM_MSG_STATUS:
        sim_jw_int(w, "connectorId", ev->connector);
        sim_jw_string(w, "errorCode", ev->text2 ? ev->text2 : "NoError");
        sim_jw_string(w, "status", ev->text);
        sim_jw_time(w, "timestamp", ev->wall_ms);
        break;
    case SIM_MSG_AUTHORIZE:
        sim_jw_string(w, "idTag", ev->text);
        break;
    case SIM_MSG_TX_START:
        sim_jw_int(w, "connectorId", ev->connector);
        sim_jw_string(w, "idTag", ev->text);
        sim_jw_int(w, "meterStart", (int64_t)(ev->meter_wh + 0.5));
        sim_jw_time(w, "timestamp", ev->wall_ms);
        if (ev->reservation_id >= 0)
            sim_jw_int(w, "reservationId", ev->reservation_id);
        break;
    case SIM_MSG_TX_METER:
        sim_jw_int(w, "connectorId", ev->connector);
        sim_jw_array(w, "meterValue");
        if (ev->sample)
            meter_value(w, ev->sample, ev->wall_ms, 1);
        sim_jw_end_array(w);
        if (ev->transaction_id)
            sim_jw_int(w, "transactionId", ev->transaction_id);
        break;
    case SIM_MSG_TX_STOP:
        sim_jw_int(w, "meterStop", (int64_t)(ev->meter_wh + 0.5));
        sim_jw_time(w, "timestamp", ev->wall_ms);
        sim_jw_string(w, "reason", ev->text ? ev->text : "Local");
        if (ev->text2 && ev->text2[0])
            sim_jw_string(w, "idTag", ev->text2);
        if (ev->sample) {
            sim_jw_array(w, "transactionData");
            meter_value(w, ev->sample, ev->wall_ms, 0);
            sim_jw_end_array(w);
        }
        sim_jw_int(w, "transactionId", ev->transaction_id);
        break;
    case SIM_MSG_DATA_TRANSFER:
        sim_jw_string(w, "vendorId", ev->text ? ev->text : "galvani.sim");
        if (ev->text2)
            sim_jw_string(w, "messageId", ev->text2);
        if (ev->text3)
            sim_jw_string(w, "data", ev->text3);
        break;
    case SIM_MSG_FIRMWARE_STATUS:
    case SIM_MSG_DIAGNOSTICS_STATUS:
        sim_jw_string(w, "status", ev->text);
        break;
    case SIM_MSG_SIGNED_FIRMWARE_STATUS:
    case SIM_MSG_LOG_STATUS:
        sim_jw_string(w, "status", ev->text);
        if (ev->request_id >= 0)
            sim_jw_int(w, "requestId", ev->request_id);
        break;
    case SIM_MSG_SECURITY_EVENT:
        sim_jw_string(w, "type", ev->text);
        sim_jw_time(w, "timestamp", ev->wall_ms);
        if (ev->text2)
            sim_jw_string(w, "techInfo", ev->text2);
        break;
    case SIM_MSG_SIGN_CERTIFICATE:
        sim_jw_string(w, "csr", ev->text);
        break;
    default:
        return -1;
    }
    sim_jw_end_object(w);
    return 0;
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

static size_t set_tx16(enum sim_msg_kind kind, char *payload, size_t len, int32_t transaction_id)
{
    static const char key[] = "\"transactionId\":";
    const size_t klen = sizeof(key) - 1;
    if ((kind != SIM_MSG_TX_METER && kind != SIM_MSG_TX_STOP) || len < 2 || payload[len - 1] != '}')
        return len;
    /* build16 wrote transactionId as the last member, or left it out */
    size_t end = len - 1, at = end;
    while (at > 0 && ((payload[at - 1] >= '0' && payload[at - 1] <= '9') || payload[at - 1] == '-'))
        at--;
    if (at == end || at < klen || memcmp(payload + at - klen, key, klen) != 0) {
        at = end;
        if (end > 1)
            payload[at++] = ',';
        memcpy(payload + at, key, klen);
        at += klen;
    }
    at += sim_format_int(payload + at, transaction_id);
    payload[at++] = '}';
    return at;
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
