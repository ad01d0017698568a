/* OCPP 1.6 schema tables and payload validation. */
#include "check_run.h"
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ocpp16_schema.h"
#include "ocpp16_validate.h"

struct sample {
    const char *action;
    const char *request;
    const char *response;
};

/* One valid request and one valid response per action, alphabetical. */
static const struct sample samples[] = {
    {"Authorize", "{\"idTag\":\"04A2B3C4D5E6F7\"}",
     "{\"idTagInfo\":{\"status\":\"Accepted\",\"expiryDate\":\"2024-05-01T12:30:00.000Z\","
     "\"parentIdTag\":\"FLEET-01\"}}"},
    {"BootNotification",
     "{\"chargePointVendor\":\"Galvanic\",\"chargePointModel\":\"GX-22\","
     "\"chargePointSerialNumber\":\"SN-000123\",\"chargeBoxSerialNumber\":\"CB-77\","
     "\"firmwareVersion\":\"1.4.2\",\"iccid\":\"8944500102198304826\",\"imsi\":\"234150999999999\","
     "\"meterType\":\"EM340\",\"meterSerialNumber\":\"M-4411\"}",
     "{\"status\":\"Accepted\",\"currentTime\":\"2024-05-01T12:30:00.000Z\",\"interval\":300}"},
    {"CancelReservation", "{\"reservationId\":12}", "{\"status\":\"Rejected\"}"},
    {"CertificateSigned",
     "{\"certificateChain\":\"-----BEGIN CERTIFICATE-----\\nMIIB...\\n-----END CERTIFICATE-----\"}",
     "{\"status\":\"Accepted\"}"},
    {"ChangeAvailability", "{\"connectorId\":0,\"type\":\"Inoperative\"}",
     "{\"status\":\"Scheduled\"}"},
    {"ChangeConfiguration", "{\"key\":\"HeartbeatInterval\",\"value\":\"600\"}",
     "{\"status\":\"RebootRequired\"}"},
    {"ClearCache", "{}", "{\"status\":\"Accepted\"}"},
    {"ClearChargingProfile",
     "{\"id\":7,\"connectorId\":1,\"chargingProfilePurpose\":\"TxDefaultProfile\",\"stackLevel\":"
     "2}",
     "{\"status\":\"Unknown\"}"},
    {"DataTransfer",
     "{\"vendorId\":\"com.example.vendor\",\"messageId\":\"PriceText\",\"data\":\"{\\\"eur\\\":0."
     "39}\"}",
     "{\"status\":\"UnknownMessageId\",\"data\":\"\"}"},
    {"DeleteCertificate",
     "{\"certificateHashData\":{\"hashAlgorithm\":\"SHA256\",\"issuerNameHash\":\"a3f1c2\","
     "\"issuerKeyHash\":\"9bd0e4\",\"serialNumber\":\"0x1f2e\"}}",
     "{\"status\":\"NotFound\"}"},
    {"DiagnosticsStatusNotification", "{\"status\":\"Uploading\"}", "{}"},
    {"ExtendedTriggerMessage",
     "{\"requestedMessage\":\"SignChargePointCertificate\",\"connectorId\":0}",
     "{\"status\":\"NotImplemented\"}"},
    {"FirmwareStatusNotification", "{\"status\":\"Installing\"}", "{}"},
    {"GetCompositeSchedule", "{\"connectorId\":1,\"duration\":86400,\"chargingRateUnit\":\"W\"}",
     "{\"status\":\"Accepted\",\"connectorId\":1,\"scheduleStart\":\"2024-05-01T12:30:00.000Z\","
     "\"chargingSchedule\":{\"chargingRateUnit\":\"W\",\"chargingSchedulePeriod\":[{"
     "\"startPeriod\":0,\"limit\":11000.0}],\"duration\":86400}}"},
    {"GetConfiguration", "{\"key\":[\"HeartbeatInterval\",\"MeterValueSampleInterval\"]}",
     "{\"configurationKey\":[{\"key\":\"HeartbeatInterval\",\"readonly\":false,\"value\":\"600\"}],"
     "\"unknownKey\":[\"Foo\"]}"},
    {"GetDiagnostics",
     "{\"location\":\"ftp://diag.example.com/uploads/"
     "\",\"retries\":3,\"retryInterval\":60,\"startTime\":\"2024-05-01T12:30:00.000Z\","
     "\"stopTime\":\"2024-05-01T12:30:00.000Z\"}",
     "{\"fileName\":\"diag-2024-05-01.tar.gz\"}"},
    {"GetInstalledCertificateIds", "{\"certificateType\":\"CentralSystemRootCertificate\"}",
     "{\"status\":\"Accepted\",\"certificateHashData\":[{\"hashAlgorithm\":\"SHA256\","
     "\"issuerNameHash\":\"a3f1c2\",\"issuerKeyHash\":\"9bd0e4\",\"serialNumber\":\"0x1f2e\"}]}"},
    {"GetLocalListVersion", "{}", "{\"listVersion\":5}"},
    {"GetLog",
     "{\"logType\":\"SecurityLog\",\"requestId\":99,\"retries\":1,\"retryInterval\":30,\"log\":{"
     "\"remoteLocation\":\"https://logs.example.com/"
     "upload\",\"oldestTimestamp\":\"2024-05-01T12:30:00.000Z\",\"latestTimestamp\":\"2024-05-"
     "01T12:30:00.000Z\"}}",
     "{\"status\":\"Accepted\",\"filename\":\"security.log\"}"},
    {"Heartbeat", "{}", "{\"currentTime\":\"2024-05-01T12:30:00.000Z\"}"},
    {"InstallCertificate",
     "{\"certificateType\":\"ManufacturerRootCertificate\",\"certificate\":\"-----BEGIN "
     "CERTIFICATE-----\\nMIIC...\\n-----END CERTIFICATE-----\"}",
     "{\"status\":\"Failed\"}"},
    {"LogStatusNotification", "{\"status\":\"Uploaded\",\"requestId\":99}", "{}"},
    {"MeterValues",
     "{\"connectorId\":1,\"transactionId\":42,\"meterValue\":[{\"timestamp\":\"2024-05-01T12:30:00."
     "000Z\",\"sampledValue\":[{\"value\":\"1520.5\",\"context\":\"Sample.Periodic\",\"format\":"
     "\"Raw\",\"measurand\":\"Energy.Active.Import.Register\",\"phase\":\"L1\",\"location\":"
     "\"Outlet\",\"unit\":\"Wh\"},{\"value\":\"16.1\",\"measurand\":\"Current.Import\",\"unit\":"
     "\"A\"}]}]}",
     "{}"},
    {"RemoteStartTransaction",
     "{\"connectorId\":1,\"idTag\":\"04A2B3C4D5E6F7\",\"chargingProfile\":{\"chargingProfileId\":7,"
     "\"transactionId\":42,\"stackLevel\":0,\"chargingProfilePurpose\":\"TxProfile\","
     "\"chargingProfileKind\":\"Absolute\",\"recurrencyKind\":\"Daily\",\"validFrom\":\"2024-05-"
     "01T12:30:00.000Z\",\"validTo\":\"2024-06-01T00:00:00Z\",\"chargingSchedule\":{\"duration\":"
     "3600,\"startSchedule\":\"2024-05-01T12:30:00.000Z\",\"chargingRateUnit\":\"A\","
     "\"chargingSchedulePeriod\":[{\"startPeriod\":0,\"limit\":16.0,\"numberPhases\":3},{"
     "\"startPeriod\":1800,\"limit\":10.5}],\"minChargingRate\":6}}}",
     "{\"status\":\"Accepted\"}"},
    {"RemoteStopTransaction", "{\"transactionId\":42}", "{\"status\":\"Accepted\"}"},
    {"ReserveNow",
     "{\"connectorId\":2,\"expiryDate\":\"2024-05-01T12:30:00.000Z\",\"idTag\":\"04A2B3C4D5E6F7\","
     "\"parentIdTag\":\"FLEET-01\",\"reservationId\":12}",
     "{\"status\":\"Occupied\"}"},
    {"Reset", "{\"type\":\"Soft\"}", "{\"status\":\"Accepted\"}"},
    {"SecurityEventNotification",
     "{\"type\":\"FirmwareUpdated\",\"timestamp\":\"2024-05-01T12:30:00.000Z\",\"techInfo\":\"from "
     "1.4.1\"}",
     "{}"},
    {"SendLocalList",
     "{\"listVersion\":6,\"updateType\":\"Differential\",\"localAuthorizationList\":[{\"idTag\":"
     "\"04A2B3C4D5E6F7\",\"idTagInfo\":{\"status\":\"Blocked\"}},{\"idTag\":\"RFID-2\"}]}",
     "{\"status\":\"VersionMismatch\"}"},
    {"SetChargingProfile",
     "{\"connectorId\":1,\"csChargingProfiles\":{\"chargingProfileId\":7,\"transactionId\":42,"
     "\"stackLevel\":0,\"chargingProfilePurpose\":\"TxProfile\",\"chargingProfileKind\":"
     "\"Absolute\",\"recurrencyKind\":\"Daily\",\"validFrom\":\"2024-05-01T12:30:00.000Z\","
     "\"validTo\":\"2024-06-01T00:00:00Z\",\"chargingSchedule\":{\"duration\":3600,"
     "\"startSchedule\":\"2024-05-01T12:30:00.000Z\",\"chargingRateUnit\":\"A\","
     "\"chargingSchedulePeriod\":[{\"startPeriod\":0,\"limit\":16.0,\"numberPhases\":3},{"
     "\"startPeriod\":1800,\"limit\":10.5}],\"minChargingRate\":6}}}",
     "{\"status\":\"NotSupported\"}"},
    {"SignCertificate",
     "{\"csr\":\"-----BEGIN CERTIFICATE REQUEST-----\\nMIIB...\\n-----END CERTIFICATE "
     "REQUEST-----\"}",
     "{\"status\":\"Accepted\"}"},
    {"SignedFirmwareStatusNotification", "{\"status\":\"SignatureVerified\",\"requestId\":3}",
     "{}"},
    {"SignedUpdateFirmware",
     "{\"retries\":2,\"retryInterval\":120,\"requestId\":3,\"firmware\":{\"location\":\"https://"
     "fw.example.com/"
     "gx22-1.5.0.bin\",\"retrieveDateTime\":\"2024-05-01T12:30:00.000Z\",\"installDateTime\":"
     "\"2024-05-01T12:30:00.000Z\",\"signingCertificate\":\"-----BEGIN "
     "CERTIFICATE-----\\nMIID...\",\"signature\":\"MEUCIQ==\"}}",
     "{\"status\":\"InvalidCertificate\"}"},
    {"StartTransaction",
     "{\"connectorId\":1,\"idTag\":\"04A2B3C4D5E6F7\",\"meterStart\":1520,\"reservationId\":12,"
     "\"timestamp\":\"2024-05-01T12:30:00.000Z\"}",
     "{\"idTagInfo\":{\"status\":\"Accepted\"},\"transactionId\":42}"},
    {"StatusNotification",
     "{\"connectorId\":1,\"errorCode\":\"NoError\",\"info\":\"cable "
     "locked\",\"status\":\"Charging\",\"timestamp\":\"2024-05-01T12:30:00.000Z\",\"vendorId\":"
     "\"com.example.vendor\",\"vendorErrorCode\":\"E0\"}",
     "{}"},
    {"StopTransaction",
     "{\"idTag\":\"04A2B3C4D5E6F7\",\"meterStop\":9876,\"timestamp\":\"2024-05-01T12:30:00.000Z\","
     "\"transactionId\":42,\"reason\":\"EVDisconnected\",\"transactionData\":[{\"timestamp\":"
     "\"2024-05-01T12:30:00.000Z\",\"sampledValue\":[{\"value\":\"9876\",\"context\":\"Transaction."
     "End\",\"unit\":\"Wh\"}]}]}",
     "{\"idTagInfo\":{\"status\":\"Expired\"}}"},
    {"TriggerMessage", "{\"requestedMessage\":\"StatusNotification\",\"connectorId\":1}",
     "{\"status\":\"Rejected\"}"},
    {"UnlockConnector", "{\"connectorId\":1}", "{\"status\":\"Unlocked\"}"},
    {"UpdateFirmware",
     "{\"location\":\"https://fw.example.com/"
     "gx22-1.5.0.bin\",\"retries\":3,\"retrieveDate\":\"2024-05-01T12:30:00.000Z\","
     "\"retryInterval\":300}",
     "{}"},
};

#define SAMPLE_COUNT (sizeof(samples) / sizeof(samples[0]))

/* Warnings collected from lenient validation. */
struct warnings {
    int count;
    char last_path[160];
    char last_what[160];
};

static void collect(void *arg, const char *path, const char *what)
{
    struct warnings *w = arg;
    w->count++;
    snprintf(w->last_path, sizeof(w->last_path), "%s", path);
    snprintf(w->last_what, sizeof(w->last_what), "%s", what);
}

static json_t *load(const char *text)
{
    json_error_t err;
    json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    ck_assert_msg(v != NULL, "test JSON does not parse: %s: %s", text, err.text);
    return v;
}

static const struct glv_ocpp16_node *request_of(const char *action)
{
    const struct glv_ocpp16_action *a = glv_ocpp16_action_find(action);
    ck_assert_ptr_nonnull(a);
    return a->request;
}

static const struct glv_ocpp16_node *response_of(const char *action)
{
    const struct glv_ocpp16_action *a = glv_ocpp16_action_find(action);
    ck_assert_ptr_nonnull(a);
    return a->response;
}

/* Validates text against node; checks the code and, when given, the description. */
static void expect(const struct glv_ocpp16_node *node, const char *text, bool lenient,
                   enum glv_ocpp16_error code, const char *description)
{
    json_t *v = load(text);
    struct glv_ocpp16_validate_opts opts = {.lenient = lenient};
    struct glv_ocpp16_violation out;
    enum glv_ocpp16_error got = glv_ocpp16_validate(node, v, &opts, &out);
    json_decref(v);
    ck_assert_msg(got == code, "%s: expected %s, got %s (%s)", text,
                  code ? glv_ocpp16_error_name(code) : "OK",
                  got ? glv_ocpp16_error_name(got) : "OK", out.description);
    ck_assert_int_eq(out.code, code);
    if (description != NULL)
        ck_assert_str_eq(out.description, description);
}

START_TEST(table_is_sorted_and_complete)
{
    ck_assert_uint_eq(glv_ocpp16_action_count(), 39);
    ck_assert_uint_eq(SAMPLE_COUNT, glv_ocpp16_action_count());
    for (size_t i = 0; i < glv_ocpp16_action_count(); i++) {
        const struct glv_ocpp16_action *a = glv_ocpp16_action_at(i);
        ck_assert_ptr_nonnull(a->request);
        ck_assert_ptr_nonnull(a->response);
        ck_assert_uint_ne(a->senders, 0);
        ck_assert_str_eq(a->name, samples[i].action);
        ck_assert_ptr_eq(glv_ocpp16_action_find(a->name), a);
        if (i > 0)
            ck_assert_int_lt(strcmp(glv_ocpp16_action_at(i - 1)->name, a->name), 0);
    }
    ck_assert_ptr_null(glv_ocpp16_action_at(glv_ocpp16_action_count()));
    ck_assert_ptr_null(glv_ocpp16_action_find("bootnotification"));
    ck_assert_ptr_null(glv_ocpp16_action_find(""));
    ck_assert_ptr_null(glv_ocpp16_action_find(NULL));
}
END_TEST

START_TEST(senders_follow_the_spec)
{
    ck_assert_uint_eq(glv_ocpp16_action_find("BootNotification")->senders, GLV_OCPP16_FROM_CHARGER);
    ck_assert_uint_eq(glv_ocpp16_action_find("StopTransaction")->senders, GLV_OCPP16_FROM_CHARGER);
    ck_assert_uint_eq(glv_ocpp16_action_find("SignCertificate")->senders, GLV_OCPP16_FROM_CHARGER);
    ck_assert_uint_eq(glv_ocpp16_action_find("Reset")->senders, GLV_OCPP16_FROM_CSMS);
    ck_assert_uint_eq(glv_ocpp16_action_find("GetLog")->senders, GLV_OCPP16_FROM_CSMS);
    ck_assert_uint_eq(glv_ocpp16_action_find("DataTransfer")->senders,
                      GLV_OCPP16_FROM_CHARGER | GLV_OCPP16_FROM_CSMS);
    ck_assert(glv_ocpp16_action_find("SignedUpdateFirmware")->security_extension);
    ck_assert(!glv_ocpp16_action_find("UpdateFirmware")->security_extension);
}
END_TEST

START_TEST(every_action_accepts_a_valid_request_and_response)
{
    const struct sample *s = &samples[_i];
    expect(request_of(s->action), s->request, false, GLV_OCPP16_OK, "");
    expect(response_of(s->action), s->response, false, GLV_OCPP16_OK, "");
    expect(request_of(s->action), s->request, true, GLV_OCPP16_OK, "");
    expect(response_of(s->action), s->response, true, GLV_OCPP16_OK, "");
}
END_TEST

/* A value of the wrong JSON type for node's kind. */
static json_t *wrong_value_for(const struct glv_ocpp16_node *node)
{
    switch (node->kind) {
    case GLV_OCPP16_STRING:
        return json_integer(1);
    case GLV_OCPP16_BOOLEAN:
        return json_string("true");
    default:
        return json_string("x");
    }
}

/* For every property of the top-level object of every sample: a missing
 * required one, a wrong type and an unknown extra property, strict and
 * lenient. Exercises every entry of the tables. */
START_TEST(every_action_rejects_each_kind_of_mutation)
{
    const struct sample *s = &samples[_i];
    const char *texts[2] = {s->request, s->response};
    const struct glv_ocpp16_node *nodes[2] = {request_of(s->action), response_of(s->action)};
    struct glv_ocpp16_validate_opts strict = {.lenient = false};
    struct warnings seen = {0};
    struct glv_ocpp16_validate_opts lenient = {.lenient = true, .warn = collect, .warn_arg = &seen};
    struct glv_ocpp16_violation out;

    for (int k = 0; k < 2; k++) {
        const struct glv_ocpp16_node *node = nodes[k];
        ck_assert_int_eq(node->kind, GLV_OCPP16_OBJECT);
        for (uint16_t p = 0; p < node->prop_count; p++) {
            const struct glv_ocpp16_prop *prop = &node->props[p];
            json_t *v = load(texts[k]);
            if (prop->required) {
                json_object_del(v, prop->name);
                ck_assert_int_eq(glv_ocpp16_validate(node, v, &strict, &out),
                                 GLV_OCPP16_OCCURENCE_CONSTRAINT_VIOLATION);
                ck_assert_ptr_nonnull(strstr(out.description, prop->name));
                ck_assert_int_eq(glv_ocpp16_validate(node, v, &lenient, &out),
                                 GLV_OCPP16_OCCURENCE_CONSTRAINT_VIOLATION);
            }
            json_object_set_new(v, prop->name, wrong_value_for(prop->node));
            ck_assert_int_eq(glv_ocpp16_validate(node, v, &strict, &out),
                             GLV_OCPP16_TYPE_CONSTRAINT_VIOLATION);
            ck_assert_ptr_nonnull(strstr(out.description, prop->name));
            json_decref(v);
        }
        json_t *v = load(texts[k]);
        json_object_set_new(v, "vendorExtra", json_true());
        ck_assert_int_eq(glv_ocpp16_validate(node, v, &strict, &out),
                         GLV_OCPP16_OCCURENCE_CONSTRAINT_VIOLATION);
        ck_assert_str_eq(out.description, "vendorExtra: property not allowed");
        seen.count = 0;
        ck_assert_int_eq(glv_ocpp16_validate(node, v, &lenient, &out), GLV_OCPP16_OK);
        ck_assert_int_eq(seen.count, 1);
        ck_assert_str_eq(seen.last_path, "vendorExtra");
        json_decref(v);
    }
}
END_TEST

START_TEST(wrong_type)
{
    expect(request_of("BootNotification"), "{\"chargePointVendor\":5,\"chargePointModel\":\"M\"}",
           false, GLV_OCPP16_TYPE_CONSTRAINT_VIOLATION,
           "chargePointVendor: expected string, got integer");
    expect(request_of("StartTransaction"),
           "{\"connectorId\":\"1\",\"idTag\":\"A\",\"meterStart\":0,\"timestamp\":"
           "\"2024-05-01T12:00:00Z\"}",
           false, GLV_OCPP16_TYPE_CONSTRAINT_VIOLATION,
           "connectorId: expected integer, got string");
    expect(response_of("GetConfiguration"),
           "{\"configurationKey\":[{\"key\":\"K\",\"readonly\":\"yes\"}]}", false,
           GLV_OCPP16_TYPE_CONSTRAINT_VIOLATION,
           "configurationKey[0].readonly: expected boolean, got string");
    expect(request_of("Heartbeat"), "[]", false, GLV_OCPP16_TYPE_CONSTRAINT_VIOLATION,
           "payload: expected object, got array");
    expect(request_of("GetConfiguration"), "{\"key\":\"HeartbeatInterval\"}", false,
           GLV_OCPP16_TYPE_CONSTRAINT_VIOLATION, "key: expected array, got string");
}
END_TEST

START_TEST(missing_required)
{
    expect(request_of("StartTransaction"),
           "{\"connectorId\":1,\"idTag\":\"A\",\"timestamp\":\"2024-05-01T12:00:00Z\"}", false,
           GLV_OCPP16_OCCURENCE_CONSTRAINT_VIOLATION, "meterStart: required property missing");
    expect(response_of("Authorize"), "{\"idTagInfo\":{}}", false,
           GLV_OCPP16_OCCURENCE_CONSTRAINT_VIOLATION,
           "idTagInfo.status: required property missing");
    expect(request_of("SetChargingProfile"),
           "{\"connectorId\":1,\"csChargingProfiles\":{\"chargingProfileId\":1,\"stackLevel\":0,"
           "\"chargingProfilePurpose\":\"TxProfile\",\"chargingProfileKind\":\"Relative\","
           "\"chargingSchedule\":{\"chargingRateUnit\":\"A\",\"chargingSchedulePeriod\":[{"
           "\"startPeriod\":0}]}}}",
           false, GLV_OCPP16_OCCURENCE_CONSTRAINT_VIOLATION,
           "csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].limit: required "
           "property missing");
    /* required stays required in lenient mode */
    expect(request_of("Authorize"), "{}", true, GLV_OCPP16_OCCURENCE_CONSTRAINT_VIOLATION,
           "idTag: required property missing");
}
END_TEST

START_TEST(enum_violation)
{
    expect(response_of("Authorize"), "{\"idTagInfo\":{\"status\":\"Foo\"}}", false,
           GLV_OCPP16_PROPERTY_CONSTRAINT_VIOLATION, "idTagInfo.status: value 'Foo' not in enum");
    /* enums are case-sensitive */
    expect(request_of("Reset"), "{\"type\":\"hard\"}", true,
           GLV_OCPP16_PROPERTY_CONSTRAINT_VIOLATION, "type: value 'hard' not in enum");
    expect(request_of("MeterValues"),
           "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":\"2024-05-01T12:00:00Z\","
           "\"sampledValue\":[{\"value\":\"1\"},{\"value\":\"50\",\"unit\":\"Hertz\"}]}]}",
           false, GLV_OCPP16_PROPERTY_CONSTRAINT_VIOLATION,
           "meterValue[0].sampledValue[1].unit: value 'Hertz' not in enum");
    /* both spellings of Celsius are in use */
    expect(request_of("MeterValues"),
           "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":\"2024-05-01T12:00:00Z\","
           "\"sampledValue\":[{\"value\":\"21\",\"unit\":\"Celcius\"},{\"value\":\"21\","
           "\"unit\":\"Celsius\"}]}]}",
           false, GLV_OCPP16_OK, "");
    /* long values are cut in the description */
    expect(request_of("Reset"),
           "{\"type\":\"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz\"}", false,
           GLV_OCPP16_PROPERTY_CONSTRAINT_VIOLATION,
           "type: value 'abcdefghijklmnopqrstuvwxyzabcdefghij...' not in enum");
}
END_TEST

START_TEST(string_too_long)
{
    expect(request_of("Authorize"), "{\"idTag\":\"123456789012345678901\"}", false,
           GLV_OCPP16_PROPERTY_CONSTRAINT_VIOLATION,
           "idTag: string of 21 characters exceeds maxLength 20");
    expect(request_of("Authorize"), "{\"idTag\":\"12345678901234567890\"}", false, GLV_OCPP16_OK,
           "");
    /* length counts characters, not bytes: 20 x U+00E9 is 40 bytes */
    expect(request_of("Authorize"),
           "{\"idTag\":\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
           "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\"}",
           false, GLV_OCPP16_OK, "");
    expect(response_of("GetConfiguration"),
           "{\"unknownKey\":[\"ok\",\""
           "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"]}",
           true, GLV_OCPP16_PROPERTY_CONSTRAINT_VIOLATION,
           "unknownKey[1]: string of 51 characters exceeds maxLength 50");
}
END_TEST

START_TEST(extra_property_strict_vs_lenient)
{
    const char *text = "{\"idTagInfo\":{\"status\":\"Accepted\",\"groupId\":\"G1\"},\"cost\":1}";
    expect(response_of("Authorize"), text, false, GLV_OCPP16_OCCURENCE_CONSTRAINT_VIOLATION,
           "idTagInfo.groupId: property not allowed");

    struct warnings seen = {0};
    struct glv_ocpp16_validate_opts lenient = {.lenient = true, .warn = collect, .warn_arg = &seen};
    struct glv_ocpp16_violation out;
    json_t *v = load(text);
    ck_assert_int_eq(glv_ocpp16_validate(response_of("Authorize"), v, &lenient, &out),
                     GLV_OCPP16_OK);
    ck_assert_int_eq(seen.count, 2);
    ck_assert_str_eq(seen.last_path, "cost");
    ck_assert_str_eq(seen.last_what, "property not defined by the schema, ignored");
    /* names from the input are quoted as ASCII */
    expect(response_of("Authorize"), "{\"idTagInfo\":{\"status\":\"Accepted\"},\"\\u00e9\\tx\":1}",
           false, GLV_OCPP16_OCCURENCE_CONSTRAINT_VIOLATION, "???x: property not allowed");
    /* lenient without a callback still accepts */
    lenient.warn = NULL;
    ck_assert_int_eq(glv_ocpp16_validate(response_of("Authorize"), v, &lenient, NULL),
                     GLV_OCPP16_OK);
    json_decref(v);
}
END_TEST

START_TEST(bad_date_time)
{
    const struct glv_ocpp16_node *hb = response_of("Heartbeat");
    expect(hb, "{\"currentTime\":\"2024-13-01T00:00:00Z\"}", false,
           GLV_OCPP16_PROPERTY_CONSTRAINT_VIOLATION,
           "currentTime: value '2024-13-01T00:00:00Z' is not an RFC 3339 date-time");
    expect(hb, "{\"currentTime\":\"2023-02-29T00:00:00Z\"}", true,
           GLV_OCPP16_PROPERTY_CONSTRAINT_VIOLATION, NULL);
    expect(hb, "{\"currentTime\":\"yesterday\"}", true, GLV_OCPP16_PROPERTY_CONSTRAINT_VIOLATION,
           NULL);
    expect(hb, "{\"currentTime\":\"2024-05-01T12:00:00+02:00\"}", false, GLV_OCPP16_OK, "");

    /* quirks: refused strictly, accepted leniently with one warning each */
    static const struct {
        const char *text;
        int warnings;
    } quirks[] = {
        {"{\"currentTime\":\"2024-05-01T12:00:00\"}", 1},
        {"{\"currentTime\":\"2024-05-01 12:00:00Z\"}", 1},
        {"{\"currentTime\":\"2024-05-01T12:00:00.123456Z\"}", 1},
        {"{\"currentTime\":\"2024-05-01T12:00:00+0200\"}", 1},
        {"{\"currentTime\":\"2024-05-01 12:00:00.1234567\"}", 3},
    };
    for (size_t i = 0; i < sizeof(quirks) / sizeof(quirks[0]); i++) {
        expect(hb, quirks[i].text, false, GLV_OCPP16_PROPERTY_CONSTRAINT_VIOLATION, NULL);
        struct warnings seen = {0};
        struct glv_ocpp16_validate_opts lenient = {
            .lenient = true, .warn = collect, .warn_arg = &seen};
        json_t *v = load(quirks[i].text);
        ck_assert_int_eq(glv_ocpp16_validate(hb, v, &lenient, NULL), GLV_OCPP16_OK);
        ck_assert_int_eq(seen.count, quirks[i].warnings);
        ck_assert_str_eq(seen.last_path, "currentTime");
        json_decref(v);
    }
}
END_TEST

START_TEST(decimal_places_and_uri)
{
    const char *fmt = "{\"connectorId\":1,\"csChargingProfiles\":{\"chargingProfileId\":1,"
                      "\"stackLevel\":0,\"chargingProfilePurpose\":\"TxDefaultProfile\","
                      "\"chargingProfileKind\":\"Recurring\",\"recurrencyKind\":\"Daily\","
                      "\"chargingSchedule\":{\"chargingRateUnit\":\"W\",\"chargingSchedulePeriod\":"
                      "[{\"startPeriod\":0,\"limit\":%s}]}}}";
    char text[512];
    snprintf(text, sizeof(text), fmt, "10.55");
    expect(request_of("SetChargingProfile"), text, true, GLV_OCPP16_PROPERTY_CONSTRAINT_VIOLATION,
           "csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].limit: value 10.55 has "
           "more than 1 decimal place(s)");
    snprintf(text, sizeof(text), fmt, "0.3");
    expect(request_of("SetChargingProfile"), text, false, GLV_OCPP16_OK, "");
    snprintf(text, sizeof(text), fmt, "11000");
    expect(request_of("SetChargingProfile"), text, false, GLV_OCPP16_OK, "");
    snprintf(text, sizeof(text), fmt, "\"16\"");
    expect(request_of("SetChargingProfile"), text, false, GLV_OCPP16_TYPE_CONSTRAINT_VIOLATION,
           NULL);

    expect(request_of("UpdateFirmware"),
           "{\"location\":\"fw.bin\",\"retrieveDate\":\"2024-05-01T12:00:00Z\"}", false,
           GLV_OCPP16_PROPERTY_CONSTRAINT_VIOLATION, "location: value 'fw.bin' is not a URI");
    expect(request_of("UpdateFirmware"),
           "{\"location\":\"https://x/a b\",\"retrieveDate\":\"2024-05-01T12:00:00Z\"}", false,
           GLV_OCPP16_PROPERTY_CONSTRAINT_VIOLATION, NULL);
    expect(request_of("GetDiagnostics"), "{\"location\":\"ftp://user@host:21/dir/\"}", false,
           GLV_OCPP16_OK, "");
}
END_TEST

START_TEST(array_cardinality)
{
    expect(request_of("MeterValues"), "{\"connectorId\":1,\"meterValue\":[]}", false,
           GLV_OCPP16_OCCURENCE_CONSTRAINT_VIOLATION,
           "meterValue: array has 0 items, at least 1 required");
    expect(request_of("MeterValues"),
           "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":\"2024-05-01T12:00:00Z\","
           "\"sampledValue\":[]}]}",
           false, GLV_OCPP16_OCCURENCE_CONSTRAINT_VIOLATION, NULL);
    expect(request_of("StopTransaction"),
           "{\"meterStop\":1,\"timestamp\":\"2024-05-01T12:00:00Z\",\"transactionId\":1,"
           "\"transactionData\":[{\"timestamp\":\"2024-05-01T12:00:00Z\",\"sampledValue\":[]}]}",
           false, GLV_OCPP16_OK, "");
    expect(response_of("GetInstalledCertificateIds"),
           "{\"status\":\"NotFound\",\"certificateHashData\":[]}", false,
           GLV_OCPP16_OCCURENCE_CONSTRAINT_VIOLATION, NULL);
}
END_TEST

START_TEST(lenient_null_and_integral_real)
{
    const char *with_null = "{\"idTagInfo\":{\"status\":\"Accepted\",\"parentIdTag\":null}}";
    expect(response_of("Authorize"), with_null, false, GLV_OCPP16_TYPE_CONSTRAINT_VIOLATION,
           "idTagInfo.parentIdTag: expected string, got null");
    expect(response_of("Authorize"), with_null, true, GLV_OCPP16_OK, "");
    /* a null required value is never accepted */
    expect(response_of("Authorize"), "{\"idTagInfo\":{\"status\":null}}", true,
           GLV_OCPP16_TYPE_CONSTRAINT_VIOLATION, NULL);

    const char *fmt = "{\"connectorId\":1,\"idTag\":\"A\",\"meterStart\":%s,"
                      "\"timestamp\":\"2024-05-01T12:00:00Z\"}";
    char text[256];
    snprintf(text, sizeof(text), fmt, "1200.0");
    expect(request_of("StartTransaction"), text, false, GLV_OCPP16_TYPE_CONSTRAINT_VIOLATION,
           "meterStart: expected integer, got number");
    expect(request_of("StartTransaction"), text, true, GLV_OCPP16_OK, "");
    snprintf(text, sizeof(text), fmt, "1200.5");
    expect(request_of("StartTransaction"), text, true, GLV_OCPP16_TYPE_CONSTRAINT_VIOLATION, NULL);
}
END_TEST

START_TEST(null_arguments)
{
    struct glv_ocpp16_violation out;
    json_t *v = json_object();
    ck_assert_int_eq(glv_ocpp16_validate(NULL, v, NULL, &out), GLV_OCPP16_INTERNAL_ERROR);
    ck_assert_int_eq(glv_ocpp16_validate(request_of("Heartbeat"), NULL, NULL, &out),
                     GLV_OCPP16_INTERNAL_ERROR);
    ck_assert_int_eq(glv_ocpp16_validate(request_of("Heartbeat"), v, NULL, NULL), GLV_OCPP16_OK);
    json_decref(v);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ocpp16_schema");
    TCase *tc = tcase_create("schema");
    tcase_add_test(tc, table_is_sorted_and_complete);
    tcase_add_test(tc, senders_follow_the_spec);
    tcase_add_loop_test(tc, every_action_accepts_a_valid_request_and_response, 0, SAMPLE_COUNT);
    tcase_add_loop_test(tc, every_action_rejects_each_kind_of_mutation, 0, SAMPLE_COUNT);
    tcase_add_test(tc, wrong_type);
    tcase_add_test(tc, missing_required);
    tcase_add_test(tc, enum_violation);
    tcase_add_test(tc, string_too_long);
    tcase_add_test(tc, extra_property_strict_vs_lenient);
    tcase_add_test(tc, bad_date_time);
    tcase_add_test(tc, decimal_places_and_uri);
    tcase_add_test(tc, array_cardinality);
    tcase_add_test(tc, lenient_null_and_integral_real);
    tcase_add_test(tc, null_arguments);
    suite_add_tcase(s, tc);
    return glv_test_run(s);
}
