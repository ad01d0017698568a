/*
 * OCPP 1.6 request and response schemas as static tables. Sources: the
 * OCPP 1.6 JSON schema set (core, firmware management, local auth list,
 * reservation, remote trigger and smart charging profiles) and the schemas of
 * the "Improved security for OCPP 1.6-J" whitepaper.
 *
 * Deliberate deviations from the published files, all of them documented in
 * docs/OCPP16.md:
 *  - the SampledValue unit enum holds both "Celcius" (1.6 edition 2) and
 *    "Celsius" (errata), since chargers in the field send either;
 *  - MeterValues.meterValue and its sampledValue arrays need at least one
 *    element (the specification's cardinality 1..*); the sampledValue arrays
 *    of StopTransaction.transactionData keep the schema's "any number".
 */
#include "ocpp16_schema.h"

#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

#define STRING_NODE(n)                                                                             \
    {                                                                                              \
        .kind = GLV_OCPP16_STRING, .max_length = (n)                                               \
    }
#define ENUM_NODE(values)                                                                          \
    {                                                                                              \
        .kind = GLV_OCPP16_STRING, .enum_count = COUNT(values), .enum_values = (values)            \
    }
#define OBJECT_NODE(p)                                                                             \
    {                                                                                              \
        .kind = GLV_OCPP16_OBJECT, .prop_count = COUNT(p), .props = (p)                            \
    }
#define ARRAY_NODE(item, min)                                                                      \
    {                                                                                              \
        .kind = GLV_OCPP16_ARRAY, .items = (item), .min_items = (min)                              \
    }

/* ---- scalar types shared by many messages ---- */

static const struct glv_ocpp16_node t_integer = {.kind = GLV_OCPP16_INTEGER};
static const struct glv_ocpp16_node t_boolean = {.kind = GLV_OCPP16_BOOLEAN};
static const struct glv_ocpp16_node t_decimal1 = {.kind = GLV_OCPP16_NUMBER, .decimals = 1};
static const struct glv_ocpp16_node t_string = STRING_NODE(0);
static const struct glv_ocpp16_node t_date_time = {.kind = GLV_OCPP16_STRING,
                                                   .format = GLV_OCPP16_FORMAT_DATE_TIME};
static const struct glv_ocpp16_node t_uri = {.kind = GLV_OCPP16_STRING,
                                             .format = GLV_OCPP16_FORMAT_URI};
static const struct glv_ocpp16_node t_string20 = STRING_NODE(20); /* IdToken, CiString20 */
static const struct glv_ocpp16_node t_string25 = STRING_NODE(25);
static const struct glv_ocpp16_node t_string40 = STRING_NODE(40);
static const struct glv_ocpp16_node t_string50 = STRING_NODE(50);
static const struct glv_ocpp16_node t_string128 = STRING_NODE(128);
static const struct glv_ocpp16_node t_string255 = STRING_NODE(255);
static const struct glv_ocpp16_node t_string500 = STRING_NODE(500);
static const struct glv_ocpp16_node t_string512 = STRING_NODE(512);
static const struct glv_ocpp16_node t_string800 = STRING_NODE(800);
static const struct glv_ocpp16_node t_string5500 = STRING_NODE(5500);
static const struct glv_ocpp16_node t_string10000 = STRING_NODE(10000);

/* ---- enumerations ---- */

static const char *const e_accepted_rejected[] = {"Accepted", "Rejected"};
static const struct glv_ocpp16_node t_accepted_rejected = ENUM_NODE(e_accepted_rejected);

static const char *const e_authorization_status[] = {"Accepted", "Blocked", "Expired", "Invalid",
                                                     "ConcurrentTx"};
static const char *const e_registration_status[] = {"Accepted", "Pending", "Rejected"};
static const char *const e_availability_type[] = {"Inoperative", "Operative"};
static const char *const e_availability_status[] = {"Accepted", "Rejected", "Scheduled"};
static const char *const e_configuration_status[] = {"Accepted", "Rejected", "RebootRequired",
                                                     "NotSupported"};
static const char *const e_purpose[] = {"ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"};
static const char *const e_profile_kind[] = {"Absolute", "Recurring", "Relative"};
static const char *const e_recurrency_kind[] = {"Daily", "Weekly"};
static const char *const e_rate_unit[] = {"A", "W"};
static const char *const e_clear_profile_status[] = {"Accepted", "Unknown"};
static const char *const e_data_transfer_status[] = {"Accepted", "Rejected", "UnknownMessageId",
                                                     "UnknownVendorId"};
static const char *const e_diagnostics_status[] = {"Idle", "Uploaded", "UploadFailed", "Uploading"};
static const char *const e_firmware_status[] = {"Downloaded", "DownloadFailed",     "Downloading",
                                                "Idle",       "InstallationFailed", "Installing",
                                                "Installed"};
static const char *const e_reading_context[] = {
    "Interruption.Begin", "Interruption.End", "Sample.Clock", "Sample.Periodic",
    "Transaction.Begin",  "Transaction.End",  "Trigger",      "Other"};
static const char *const e_value_format[] = {"Raw", "SignedData"};
static const char *const e_measurand[] = {"Energy.Active.Export.Register",
                                          "Energy.Active.Import.Register",
                                          "Energy.Reactive.Export.Register",
                                          "Energy.Reactive.Import.Register",
                                          "Energy.Active.Export.Interval",
                                          "Energy.Active.Import.Interval",
                                          "Energy.Reactive.Export.Interval",
                                          "Energy.Reactive.Import.Interval",
                                          "Power.Active.Export",
                                          "Power.Active.Import",
                                          "Power.Offered",
                                          "Power.Reactive.Export",
                                          "Power.Reactive.Import",
                                          "Power.Factor",
                                          "Current.Import",
                                          "Current.Export",
                                          "Current.Offered",
                                          "Voltage",
                                          "Frequency",
                                          "Temperature",
                                          "SoC",
                                          "RPM"};
static const char *const e_phase[] = {"L1",   "L2",   "L3",    "N",     "L1-N",
                                      "L2-N", "L3-N", "L1-L2", "L2-L3", "L3-L1"};
static const char *const e_location[] = {"Cable", "EV", "Inlet", "Outlet", "Body"};
static const char *const e_unit[] = {"Wh", "kWh",     "varh",    "kvarh",      "W",      "kW",
                                     "VA", "kVA",     "var",     "kvar",       "A",      "V",
                                     "K",  "Celcius", "Celsius", "Fahrenheit", "Percent"};
static const char *const e_reset_type[] = {"Hard", "Soft"};
static const char *const e_reservation_status[] = {"Accepted", "Faulted", "Occupied", "Rejected",
                                                   "Unavailable"};
static const char *const e_update_type[] = {"Differential", "Full"};
static const char *const e_update_status[] = {"Accepted", "Failed", "NotSupported",
                                              "VersionMismatch"};
static const char *const e_profile_status[] = {"Accepted", "Rejected", "NotSupported"};
static const char *const e_stop_reason[] = {
    "EmergencyStop", "EVDisconnected", "HardReset", "Local",         "Other",       "PowerLoss",
    "Reboot",        "Remote",         "SoftReset", "UnlockCommand", "DeAuthorized"};
static const char *const e_error_code[] = {"ConnectorLockFailure",
                                           "EVCommunicationError",
                                           "GroundFailure",
                                           "HighTemperature",
                                           "InternalError",
                                           "LocalListConflict",
                                           "NoError",
                                           "OtherError",
                                           "OverCurrentFailure",
                                           "PowerMeterFailure",
                                           "PowerSwitchFailure",
                                           "ReaderFailure",
                                           "ResetFailure",
                                           "UnderVoltage",
                                           "OverVoltage",
                                           "WeakSignal"};
static const char *const e_connector_status[] = {"Available",     "Preparing",   "Charging",
                                                 "SuspendedEVSE", "SuspendedEV", "Finishing",
                                                 "Reserved",      "Unavailable", "Faulted"};
static const char *const e_trigger[] = {"BootNotification",
                                        "DiagnosticsStatusNotification",
                                        "FirmwareStatusNotification",
                                        "Heartbeat",
                                        "MeterValues",
                                        "StatusNotification"};
static const char *const e_trigger_status[] = {"Accepted", "Rejected", "NotImplemented"};
static const char *const e_unlock_status[] = {"Unlocked", "UnlockFailed", "NotSupported"};
/* security extension */
static const char *const e_hash_algorithm[] = {"SHA256", "SHA384", "SHA512"};
static const char *const e_delete_certificate_status[] = {"Accepted", "Failed", "NotFound"};
static const char *const e_extended_trigger[] = {
    "BootNotification", "LogStatusNotification",      "FirmwareStatusNotification", "Heartbeat",
    "MeterValues",      "SignChargePointCertificate", "StatusNotification"};
static const char *const e_certificate_use[] = {"CentralSystemRootCertificate",
                                                "ManufacturerRootCertificate"};
static const char *const e_installed_ids_status[] = {"Accepted", "NotFound"};
static const char *const e_log_type[] = {"DiagnosticsLog", "SecurityLog"};
static const char *const e_log_status[] = {"Accepted", "Rejected", "AcceptedCanceled"};
static const char *const e_install_certificate_status[] = {"Accepted", "Failed", "Rejected"};
static const char *const e_upload_log_status[] = {
    "BadMessage",    "Idle",     "NotSupportedOperation", "PermissionDenied", "Uploaded",
    "UploadFailure", "Uploading"};
static const char *const e_signed_firmware_status[] = {
    "Downloaded",         "DownloadFailed",   "Downloading",
    "DownloadScheduled",  "DownloadPaused",   "Idle",
    "InstallationFailed", "Installing",       "Installed",
    "InstallRebooting",   "InstallScheduled", "InstallVerificationFailed",
    "InvalidSignature",   "SignatureVerified"};
static const char *const e_signed_update_status[] = {"Accepted", "Rejected", "AcceptedCanceled",
                                                     "InvalidCertificate", "RevokedCertificate"};

/* ---- composite types ---- */

static const struct glv_ocpp16_node t_empty = {.kind = GLV_OCPP16_OBJECT};

static const struct glv_ocpp16_prop p_id_tag_info[] = {
    {"expiryDate", &t_date_time, false},
    {"parentIdTag", &t_string20, false},
    {"status", &(const struct glv_ocpp16_node)ENUM_NODE(e_authorization_status), true},
};
static const struct glv_ocpp16_node t_id_tag_info = OBJECT_NODE(p_id_tag_info);

static const struct glv_ocpp16_prop p_schedule_period[] = {
    {"startPeriod", &t_integer, true},
    {"limit", &t_decimal1, true},
    {"numberPhases", &t_integer, false},
};
static const struct glv_ocpp16_node t_schedule_period = OBJECT_NODE(p_schedule_period);

static const struct glv_ocpp16_prop p_charging_schedule[] = {
    {"duration", &t_integer, false},
    {"startSchedule", &t_date_time, false},
    {"chargingRateUnit", &(const struct glv_ocpp16_node)ENUM_NODE(e_rate_unit), true},
    {"chargingSchedulePeriod", &(const struct glv_ocpp16_node)ARRAY_NODE(&t_schedule_period, 0),
     true},
    {"minChargingRate", &t_decimal1, false},
};
static const struct glv_ocpp16_node t_charging_schedule = OBJECT_NODE(p_charging_schedule);

static const struct glv_ocpp16_prop p_charging_profile[] = {
    {"chargingProfileId", &t_integer, true},
    {"transactionId", &t_integer, false},
    {"stackLevel", &t_integer, true},
    {"chargingProfilePurpose", &(const struct glv_ocpp16_node)ENUM_NODE(e_purpose), true},
    {"chargingProfileKind", &(const struct glv_ocpp16_node)ENUM_NODE(e_profile_kind), true},
    {"recurrencyKind", &(const struct glv_ocpp16_node)ENUM_NODE(e_recurrency_kind), false},
    {"validFrom", &t_date_time, false},
    {"validTo", &t_date_time, false},
    {"chargingSchedule", &t_charging_schedule, true},
};
static const struct glv_ocpp16_node t_charging_profile = OBJECT_NODE(p_charging_profile);

static const struct glv_ocpp16_prop p_sampled_value[] = {
    {"value", &t_string, true},
    {"context", &(const struct glv_ocpp16_node)ENUM_NODE(e_reading_context), false},
    {"format", &(const struct glv_ocpp16_node)ENUM_NODE(e_value_format), false},
    {"measurand", &(const struct glv_ocpp16_node)ENUM_NODE(e_measurand), false},
    {"phase", &(const struct glv_ocpp16_node)ENUM_NODE(e_phase), false},
    {"location", &(const struct glv_ocpp16_node)ENUM_NODE(e_location), false},
    {"unit", &(const struct glv_ocpp16_node)ENUM_NODE(e_unit), false},
};
static const struct glv_ocpp16_node t_sampled_value = OBJECT_NODE(p_sampled_value);

static const struct glv_ocpp16_prop p_meter_value[] = {
    {"timestamp", &t_date_time, true},
    {"sampledValue", &(const struct glv_ocpp16_node)ARRAY_NODE(&t_sampled_value, 1), true},
};
static const struct glv_ocpp16_node t_meter_value = OBJECT_NODE(p_meter_value);

/* StopTransaction.transactionData: the published schema sets no minimum here. */
static const struct glv_ocpp16_prop p_transaction_data[] = {
    {"timestamp", &t_date_time, true},
    {"sampledValue", &(const struct glv_ocpp16_node)ARRAY_NODE(&t_sampled_value, 0), true},
};
static const struct glv_ocpp16_node t_transaction_data = OBJECT_NODE(p_transaction_data);

static const struct glv_ocpp16_prop p_certificate_hash_data[] = {
    {"hashAlgorithm", &(const struct glv_ocpp16_node)ENUM_NODE(e_hash_algorithm), true},
    {"issuerNameHash", &t_string128, true},
    {"issuerKeyHash", &t_string128, true},
    {"serialNumber", &t_string40, true},
};
static const struct glv_ocpp16_node t_certificate_hash_data = OBJECT_NODE(p_certificate_hash_data);

/* ---- messages, alphabetical ---- */

static const struct glv_ocpp16_prop authorize_req[] = {
    {"idTag", &t_string20, true},
};
static const struct glv_ocpp16_prop authorize_conf[] = {
    {"idTagInfo", &t_id_tag_info, true},
};

static const struct glv_ocpp16_prop boot_notification_req[] = {
    {"chargePointVendor", &t_string20, true},
    {"chargePointModel", &t_string20, true},
    {"chargePointSerialNumber", &t_string25, false},
    {"chargeBoxSerialNumber", &t_string25, false},
    {"firmwareVersion", &t_string50, false},
    {"iccid", &t_string20, false},
    {"imsi", &t_string20, false},
    {"meterType", &t_string25, false},
    {"meterSerialNumber", &t_string25, false},
};
static const struct glv_ocpp16_prop boot_notification_conf[] = {
    {"status", &(const struct glv_ocpp16_node)ENUM_NODE(e_registration_status), true},
    {"currentTime", &t_date_time, true},
    {"interval", &t_integer, true},
};

static const struct glv_ocpp16_prop cancel_reservation_req[] = {
    {"reservationId", &t_integer, true},
};
static const struct glv_ocpp16_prop status_accepted_rejected[] = {
    {"status", &t_accepted_rejected, true},
};

static const struct glv_ocpp16_prop certificate_signed_req[] = {
    {"certificateChain", &t_string10000, true},
};

static const struct glv_ocpp16_prop change_availability_req[] = {
    {"connectorId", &t_integer, true},
    {"type", &(const struct glv_ocpp16_node)ENUM_NODE(e_availability_type), true},
};
static const struct glv_ocpp16_prop change_availability_conf[] = {
    {"status", &(const struct glv_ocpp16_node)ENUM_NODE(e_availability_status), true},
};

static const struct glv_ocpp16_prop change_configuration_req[] = {
    {"key", &t_string50, true},
    {"value", &t_string500, true},
};
static const struct glv_ocpp16_prop change_configuration_conf[] = {
    {"status", &(const struct glv_ocpp16_node)ENUM_NODE(e_configuration_status), true},
};

static const struct glv_ocpp16_prop clear_charging_profile_req[] = {
    {"id", &t_integer, false},
    {"connectorId", &t_integer, false},
    {"chargingProfilePurpose", &(const struct glv_ocpp16_node)ENUM_NODE(e_purpose), false},
    {"stackLevel", &t_integer, false},
};
static const struct glv_ocpp16_prop clear_charging_profile_conf[] = {
    {"status", &(const struct glv_ocpp16_node)ENUM_NODE(e_clear_profile_status), true},
};

static const struct glv_ocpp16_prop data_transfer_req[] = {
    {"vendorId", &t_string255, true},
    {"messageId", &t_string50, false},
    {"data", &t_string, false},
};
static const struct glv_ocpp16_prop data_transfer_conf[] = {
    {"status", &(const struct glv_ocpp16_node)ENUM_NODE(e_data_transfer_status), true},
    {"data", &t_string, false},
};

static const struct glv_ocpp16_prop delete_certificate_req[] = {
    {"certificateHashData", &t_certificate_hash_data, true},
};
static const struct glv_ocpp16_prop delete_certificate_conf[] = {
    {"status", &(const struct glv_ocpp16_node)ENUM_NODE(e_delete_certificate_status), true},
};

static const struct glv_ocpp16_prop diagnostics_status_req[] = {
    {"status", &(const struct glv_ocpp16_node)ENUM_NODE(e_diagnostics_status), true},
};

static const struct glv_ocpp16_prop extended_trigger_req[] = {
    {"requestedMessage", &(const struct glv_ocpp16_node)ENUM_NODE(e_extended_trigger), true},
    {"connectorId", &t_integer, false},
};
static const struct glv_ocpp16_prop trigger_conf[] = {
    {"status", &(const struct glv_ocpp16_node)ENUM_NODE(e_trigger_status), true},
};

static const struct glv_ocpp16_prop firmware_status_req[] = {
    {"status", &(const struct glv_ocpp16_node)ENUM_NODE(e_firmware_status), true},
};

static const struct glv_ocpp16_prop get_composite_schedule_req[] = {
    {"connectorId", &t_integer, true},
    {"duration", &t_integer, true},
    {"chargingRateUnit", &(const struct glv_ocpp16_node)ENUM_NODE(e_rate_unit), false},
};
static const struct glv_ocpp16_prop get_composite_schedule_conf[] = {
    {"status", &t_accepted_rejected, true},
    {"connectorId", &t_integer, false},
    {"scheduleStart", &t_date_time, false},
    {"chargingSchedule", &t_charging_schedule, false},
};

static const struct glv_ocpp16_prop key_value[] = {
    {"key", &t_string50, true},
    {"readonly", &t_boolean, true},
    {"value", &t_string500, false},
};
static const struct glv_ocpp16_prop get_configuration_req[] = {
    {"key", &(const struct glv_ocpp16_node)ARRAY_NODE(&t_string50, 0), false},
};
static const struct glv_ocpp16_prop get_configuration_conf[] = {
    {"configurationKey",
     &(const struct glv_ocpp16_node)ARRAY_NODE(
         &(const struct glv_ocpp16_node)OBJECT_NODE(key_value), 0),
     false},
    {"unknownKey", &(const struct glv_ocpp16_node)ARRAY_NODE(&t_string50, 0), false},
};

static const struct glv_ocpp16_prop get_diagnostics_req[] = {
    {"location", &t_uri, true},           {"retries", &t_integer, false},
    {"retryInterval", &t_integer, false}, {"startTime", &t_date_time, false},
    {"stopTime", &t_date_time, false},
};
static const struct glv_ocpp16_prop get_diagnostics_conf[] = {
    {"fileName", &t_string255, false},
};

static const struct glv_ocpp16_prop get_installed_ids_req[] = {
    {"certificateType", &(const struct glv_ocpp16_node)ENUM_NODE(e_certificate_use), true},
};
static const struct glv_ocpp16_prop get_installed_ids_conf[] = {
    {"certificateHashData", &(const struct glv_ocpp16_node)ARRAY_NODE(&t_certificate_hash_data, 1),
     false},
    {"status", &(const struct glv_ocpp16_node)ENUM_NODE(e_installed_ids_status), true},
};

static const struct glv_ocpp16_prop list_version_conf[] = {
    {"listVersion", &t_integer, true},
};

static const struct glv_ocpp16_prop log_parameters[] = {
    {"remoteLocation", &t_string512, true},
    {"oldestTimestamp", &t_date_time, false},
    {"latestTimestamp", &t_date_time, false},
};
static const struct glv_ocpp16_prop get_log_req[] = {
    {"log", &(const struct glv_ocpp16_node)OBJECT_NODE(log_parameters), true},
    {"logType", &(const struct glv_ocpp16_node)ENUM_NODE(e_log_type), true},
    {"requestId", &t_integer, true},
    {"retries", &t_integer, false},
    {"retryInterval", &t_integer, false},
};
static const struct glv_ocpp16_prop get_log_conf[] = {
    {"status", &(const struct glv_ocpp16_node)ENUM_NODE(e_log_status), true},
    {"filename", &t_string255, false},
};

static const struct glv_ocpp16_prop current_time_conf[] = {
    {"currentTime", &t_date_time, true},
};

static const struct glv_ocpp16_prop install_certificate_req[] = {
    {"certificateType", &(const struct glv_ocpp16_node)ENUM_NODE(e_certificate_use), true},
    {"certificate", &t_string5500, true},
};
static const struct glv_ocpp16_prop install_certificate_conf[] = {
    {"status", &(const struct glv_ocpp16_node)ENUM_NODE(e_install_certificate_status), true},
};

static const struct glv_ocpp16_prop log_status_req[] = {
    {"status", &(const struct glv_ocpp16_node)ENUM_NODE(e_upload_log_status), true},
    {"requestId", &t_integer, false},
};

static const struct glv_ocpp16_prop meter_values_req[] = {
    {"connectorId", &t_integer, true},
    {"transactionId", &t_integer, false},
    {"meterValue", &(const struct glv_ocpp16_node)ARRAY_NODE(&t_meter_value, 1), true},
};

static const struct glv_ocpp16_prop remote_start_req[] = {
    {"connectorId", &t_integer, false},
    {"idTag", &t_string20, true},
    {"chargingProfile", &t_charging_profile, false},
};

static const struct glv_ocpp16_prop remote_stop_req[] = {
    {"transactionId", &t_integer, true},
};

static const struct glv_ocpp16_prop reserve_now_req[] = {
    {"connectorId", &t_integer, true},   {"expiryDate", &t_date_time, true},
    {"idTag", &t_string20, true},        {"parentIdTag", &t_string20, false},
    {"reservationId", &t_integer, true},
};
static const struct glv_ocpp16_prop reserve_now_conf[] = {
    {"status", &(const struct glv_ocpp16_node)ENUM_NODE(e_reservation_status), true},
};

static const struct glv_ocpp16_prop reset_req[] = {
    {"type", &(const struct glv_ocpp16_node)ENUM_NODE(e_reset_type), true},
};

static const struct glv_ocpp16_prop security_event_req[] = {
    {"type", &t_string50, true},
    {"timestamp", &t_date_time, true},
    {"techInfo", &t_string255, false},
};

static const struct glv_ocpp16_prop authorization_data[] = {
    {"idTag", &t_string20, true},
    {"idTagInfo", &t_id_tag_info, false},
};
static const struct glv_ocpp16_prop send_local_list_req[] = {
    {"listVersion", &t_integer, true},
    {"localAuthorizationList",
     &(const struct glv_ocpp16_node)ARRAY_NODE(
         &(const struct glv_ocpp16_node)OBJECT_NODE(authorization_data), 0),
     false},
    {"updateType", &(const struct glv_ocpp16_node)ENUM_NODE(e_update_type), true},
};
static const struct glv_ocpp16_prop send_local_list_conf[] = {
    {"status", &(const struct glv_ocpp16_node)ENUM_NODE(e_update_status), true},
};

static const struct glv_ocpp16_prop set_charging_profile_req[] = {
    {"connectorId", &t_integer, true},
    {"csChargingProfiles", &t_charging_profile, true},
};
static const struct glv_ocpp16_prop set_charging_profile_conf[] = {
    {"status", &(const struct glv_ocpp16_node)ENUM_NODE(e_profile_status), true},
};

static const struct glv_ocpp16_prop sign_certificate_req[] = {
    {"csr", &t_string5500, true},
};

static const struct glv_ocpp16_prop signed_firmware_status_req[] = {
    {"status", &(const struct glv_ocpp16_node)ENUM_NODE(e_signed_firmware_status), true},
    {"requestId", &t_integer, false},
};

static const struct glv_ocpp16_prop firmware_type[] = {
    {"location", &t_string512, true},         {"retrieveDateTime", &t_date_time, true},
    {"installDateTime", &t_date_time, false}, {"signingCertificate", &t_string5500, true},
    {"signature", &t_string800, true},
};
static const struct glv_ocpp16_prop signed_update_firmware_req[] = {
    {"retries", &t_integer, false},
    {"retryInterval", &t_integer, false},
    {"requestId", &t_integer, true},
    {"firmware", &(const struct glv_ocpp16_node)OBJECT_NODE(firmware_type), true},
};
static const struct glv_ocpp16_prop signed_update_firmware_conf[] = {
    {"status", &(const struct glv_ocpp16_node)ENUM_NODE(e_signed_update_status), true},
};

static const struct glv_ocpp16_prop start_transaction_req[] = {
    {"connectorId", &t_integer, true}, {"idTag", &t_string20, true},
    {"meterStart", &t_integer, true},  {"reservationId", &t_integer, false},
    {"timestamp", &t_date_time, true},
};
static const struct glv_ocpp16_prop start_transaction_conf[] = {
    {"idTagInfo", &t_id_tag_info, true},
    {"transactionId", &t_integer, true},
};

static const struct glv_ocpp16_prop status_notification_req[] = {
    {"connectorId", &t_integer, true},
    {"errorCode", &(const struct glv_ocpp16_node)ENUM_NODE(e_error_code), true},
    {"info", &t_string50, false},
    {"status", &(const struct glv_ocpp16_node)ENUM_NODE(e_connector_status), true},
    {"timestamp", &t_date_time, false},
    {"vendorId", &t_string255, false},
    {"vendorErrorCode", &t_string50, false},
};

static const struct glv_ocpp16_prop stop_transaction_req[] = {
    {"idTag", &t_string20, false},
    {"meterStop", &t_integer, true},
    {"timestamp", &t_date_time, true},
    {"transactionId", &t_integer, true},
    {"reason", &(const struct glv_ocpp16_node)ENUM_NODE(e_stop_reason), false},
    {"transactionData", &(const struct glv_ocpp16_node)ARRAY_NODE(&t_transaction_data, 0), false},
};
static const struct glv_ocpp16_prop stop_transaction_conf[] = {
    {"idTagInfo", &t_id_tag_info, false},
};

static const struct glv_ocpp16_prop trigger_req[] = {
    {"requestedMessage", &(const struct glv_ocpp16_node)ENUM_NODE(e_trigger), true},
    {"connectorId", &t_integer, false},
};

static const struct glv_ocpp16_prop unlock_connector_req[] = {
    {"connectorId", &t_integer, true},
};
static const struct glv_ocpp16_prop unlock_connector_conf[] = {
    {"status", &(const struct glv_ocpp16_node)ENUM_NODE(e_unlock_status), true},
};

static const struct glv_ocpp16_prop update_firmware_req[] = {
    {"location", &t_uri, true},
    {"retries", &t_integer, false},
    {"retrieveDate", &t_date_time, true},
    {"retryInterval", &t_integer, false},
};

#define OBJ(p) (&(const struct glv_ocpp16_node)OBJECT_NODE(p))
#define CP GLV_OCPP16_FROM_CHARGER
#define CS GLV_OCPP16_FROM_CSMS

/* Sorted by name (strcmp order) for binary search. */
static const struct glv_ocpp16_action actions[] = {
    {"Authorize", CP, false, OBJ(authorize_req), OBJ(authorize_conf)},
    {"BootNotification", CP, false, OBJ(boot_notification_req), OBJ(boot_notification_conf)},
    {"CancelReservation", CS, false, OBJ(cancel_reservation_req), OBJ(status_accepted_rejected)},
    {"CertificateSigned", CS, true, OBJ(certificate_signed_req), OBJ(status_accepted_rejected)},
    {"ChangeAvailability", CS, false, OBJ(change_availability_req), OBJ(change_availability_conf)},
    {"ChangeConfiguration", CS, false, OBJ(change_configuration_req),
     OBJ(change_configuration_conf)},
    {"ClearCache", CS, false, &t_empty, OBJ(status_accepted_rejected)},
    {"ClearChargingProfile", CS, false, OBJ(clear_charging_profile_req),
     OBJ(clear_charging_profile_conf)},
    {"DataTransfer", CP | CS, false, OBJ(data_transfer_req), OBJ(data_transfer_conf)},
    {"DeleteCertificate", CS, true, OBJ(delete_certificate_req), OBJ(delete_certificate_conf)},
    {"DiagnosticsStatusNotification", CP, false, OBJ(diagnostics_status_req), &t_empty},
    {"ExtendedTriggerMessage", CS, true, OBJ(extended_trigger_req), OBJ(trigger_conf)},
    {"FirmwareStatusNotification", CP, false, OBJ(firmware_status_req), &t_empty},
    {"GetCompositeSchedule", CS, false, OBJ(get_composite_schedule_req),
     OBJ(get_composite_schedule_conf)},
    {"GetConfiguration", CS, false, OBJ(get_configuration_req), OBJ(get_configuration_conf)},
    {"GetDiagnostics", CS, false, OBJ(get_diagnostics_req), OBJ(get_diagnostics_conf)},
    {"GetInstalledCertificateIds", CS, true, OBJ(get_installed_ids_req),
     OBJ(get_installed_ids_conf)},
    {"GetLocalListVersion", CS, false, &t_empty, OBJ(list_version_conf)},
    {"GetLog", CS, true, OBJ(get_log_req), OBJ(get_log_conf)},
    {"Heartbeat", CP, false, &t_empty, OBJ(current_time_conf)},
    {"InstallCertificate", CS, true, OBJ(install_certificate_req), OBJ(install_certificate_conf)},
    {"LogStatusNotification", CP, true, OBJ(log_status_req), &t_empty},
    {"MeterValues", CP, false, OBJ(meter_values_req), &t_empty},
    {"RemoteStartTransaction", CS, false, OBJ(remote_start_req), OBJ(status_accepted_rejected)},
    {"RemoteStopTransaction", CS, false, OBJ(remote_stop_req), OBJ(status_accepted_rejected)},
    {"ReserveNow", CS, false, OBJ(reserve_now_req), OBJ(reserve_now_conf)},
    {"Reset", CS, false, OBJ(reset_req), OBJ(status_accepted_rejected)},
    {"SecurityEventNotification", CP, true, OBJ(security_event_req), &t_empty},
    {"SendLocalList", CS, false, OBJ(send_local_list_req), OBJ(send_local_list_conf)},
    {"SetChargingProfile", CS, false, OBJ(set_charging_profile_req),
     OBJ(set_charging_profile_conf)},
    {"SignCertificate", CP, true, OBJ(sign_certificate_req), OBJ(status_accepted_rejected)},
    {"SignedFirmwareStatusNotification", CP, true, OBJ(signed_firmware_status_req), &t_empty},
    {"SignedUpdateFirmware", CS, true, OBJ(signed_update_firmware_req),
     OBJ(signed_update_firmware_conf)},
    {"StartTransaction", CP, false, OBJ(start_transaction_req), OBJ(start_transaction_conf)},
    {"StatusNotification", CP, false, OBJ(status_notification_req), &t_empty},
    {"StopTransaction", CP, false, OBJ(stop_transaction_req), OBJ(stop_transaction_conf)},
    {"TriggerMessage", CS, false, OBJ(trigger_req), OBJ(trigger_conf)},
    {"UnlockConnector", CS, false, OBJ(unlock_connector_req), OBJ(unlock_connector_conf)},
    {"UpdateFirmware", CS, false, OBJ(update_firmware_req), &t_empty},
};

const struct glv_ocpp16_action *glv_ocpp16_action_find(const char *name)
{
    if (name == NULL)
        return NULL;
    size_t lo = 0, hi = COUNT(actions);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, actions[mid].name);
        if (c == 0)
            return &actions[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

size_t glv_ocpp16_action_count(void)
{
    return COUNT(actions);
}

const struct glv_ocpp16_action *glv_ocpp16_action_at(size_t i)
{
    return i < COUNT(actions) ? &actions[i] : NULL;
}
