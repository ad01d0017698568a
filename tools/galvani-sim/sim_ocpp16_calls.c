#include "sim_ocpp16_calls.h"

#include "sim_ocpp16_config.h"
#include "sim_protocol.h"
#include "sim_rpc.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Payload checks: the first problem found is the CALLERROR answered. */
struct check {
    const char *code;
    const char *description;
};

static void problem(struct check *ck, const char *code, const char *description)
{
    if (!ck->code) {
        ck->code = code;
        ck->description = description;
    }
}

static json_t *field(struct check *ck, json_t *p, const char *key, int required)
{
    json_t *v = json_object_get(p, key);
    if (!v && required)
        problem(ck, "FormationViolation", key);
    return v;
}

static json_int_t int_field(struct check *ck, json_t *p, const char *key, int required,
                            json_int_t dflt)
{
    json_t *v = field(ck, p, key, required);
    if (!v)
        return dflt;
    if (!json_is_integer(v)) {
        problem(ck, "TypeConstraintViolation", key);
        return dflt;
    }
    return json_integer_value(v);
}

static const char *str_field(struct check *ck, json_t *p, const char *key, int required,
                             size_t max_len)
{
    json_t *v = field(ck, p, key, required);
    if (!v)
        return NULL;
    if (!json_is_string(v)) {
        problem(ck, "TypeConstraintViolation", key);
        return NULL;
    }
    if (max_len && json_string_length(v) > max_len)
        problem(ck, "PropertyConstraintViolation", key);
    return json_string_value(v);
}

static json_t *obj_field(struct check *ck, json_t *p, const char *key, int required)
{
    json_t *v = field(ck, p, key, required);
    if (v && !json_is_object(v)) {
        problem(ck, "TypeConstraintViolation", key);
        return NULL;
    }
    return v;
}

static int one_of(struct check *ck, const char *value, const char *key, const char *const *allowed)
{
    if (!value)
        return -1;
    for (int i = 0; allowed[i]; i++) {
        if (strcmp(value, allowed[i]) == 0)
            return i;
    }
    problem(ck, "PropertyConstraintViolation", key);
    return -1;
}

static json_t *status(const char *s)
{
    return json_pack("{s:s}", "status", s);
}

static unsigned n_connectors(const struct sim_charger *c)
{
    return sim_charger_connector_count(c);
}

static void notify(struct sim_charger *c, enum sim_msg_kind kind, const char *text,
                   int32_t request_id)
{
    struct sim_event ev = {
        .text = text, .request_id = request_id, .reservation_id = -1, .wall_ms = sim_wall_ms()};
    sim_rpc_enqueue(c, kind, &ev, 0);
}

static json_t *timestamp_now(void)
{
    char buf[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(buf);
}

/* A fresh P-256 key and a PEM certificate signing request for the charger. */
static char *make_csr(const struct sim_charger *c)
{
    char identity[64];
    sim_charger_identity(c, identity, sizeof(identity));
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509_REQ *req = X509_REQ_new();
    BIO *bio = BIO_new(BIO_s_mem());
    char *out = NULL;
    if (!key || !req || !bio)
        goto done;
    X509_NAME *name = X509_REQ_get_subject_name(req);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"galvani-sim", -1,
                               -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)identity, -1, -1,
                               0);
    if (X509_REQ_set_pubkey(req, key) != 1 || X509_REQ_sign(req, key, EVP_sha256()) <= 0 ||
        PEM_write_bio_X509_REQ(bio, req) != 1)
        goto done;
    char *data;
    long len = BIO_get_mem_data(bio, &data);
    out = strndup(data, (size_t)len);
done:
    BIO_free(bio);
    X509_REQ_free(req);
    EVP_PKEY_free(key);
    return out;
}

static int is_pem_certificate(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    int ok = x != NULL;
    X509_free(x);
    BIO_free(bio);
    return ok;
}

static int free_connector(const struct sim_charger *c, int wanted)
{
    unsigned n = n_connectors(c);
    for (unsigned i = 1; i <= n; i++) {
        const struct sim_connector *k = &c->connectors[i];
        if (wanted && (int)i != wanted)
            continue;
        if (!k->tx_ref && !k->inoperative &&
            (k->status == SIM_ST_AVAILABLE || k->status == SIM_ST_PREPARING ||
             k->status == SIM_ST_RESERVED))
            return (int)i;
    }
    return 0;
}

static double limit_to_w(const struct sim_charger *c, const char *unit, double limit)
{
    const struct sim_meter_model *m = &c->fleet->meter_model;
    if (unit && strcmp(unit, "A") == 0)
        return limit * m->voltage_v * (m->phases ? m->phases : 1);
    return limit;
}

static const char *const rate_units[] = {"A", "W", NULL};

/* Reads the first period limit of a csChargingProfiles object. */
static double profile_limit(struct check *ck, struct sim_charger *c, json_t *profile,
                            const char **purpose)
{
    static const char *const purposes[] = {"ChargePointMaxProfile", "TxDefaultProfile", "TxProfile",
                                           NULL};
    static const char *const kinds[] = {"Absolute", "Recurring", "Relative", NULL};
    int_field(ck, profile, "chargingProfileId", 1, 0);
    int_field(ck, profile, "stackLevel", 1, 0);
    *purpose = str_field(ck, profile, "chargingProfilePurpose", 1, 0);
    one_of(ck, *purpose, "chargingProfilePurpose", purposes);
    one_of(ck, str_field(ck, profile, "chargingProfileKind", 1, 0), "chargingProfileKind", kinds);
    json_t *schedule = obj_field(ck, profile, "chargingSchedule", 1);
    if (!schedule)
        return 0;
    const char *unit = str_field(ck, schedule, "chargingRateUnit", 1, 0);
    one_of(ck, unit, "chargingRateUnit", rate_units);
    json_t *periods = field(ck, schedule, "chargingSchedulePeriod", 1);
    if (periods && (!json_is_array(periods) || json_array_size(periods) == 0)) {
        problem(ck, "PropertyConstraintViolation", "chargingSchedulePeriod");
        return 0;
    }
    json_t *first = json_array_get(periods, 0);
    json_t *limit = json_object_get(first, "limit");
    if (!json_is_number(limit)) {
        problem(ck, "FormationViolation", "chargingSchedulePeriod.limit");
        return 0;
    }
    return limit_to_w(c, unit, json_number_value(limit));
}

static json_t *remote_start(struct sim_charger *c, json_t *p, struct check *ck)
{
    json_int_t conn = int_field(ck, p, "connectorId", 0, 0);
    const char *tag = str_field(ck, p, "idTag", 1, 20);
    json_t *profile = obj_field(ck, p, "chargingProfile", 0);
    const char *purpose = NULL;
    double limit = profile ? profile_limit(ck, c, profile, &purpose) : 0;
    if (ck->code)
        return NULL;
    if (conn < 0 || conn > (json_int_t)n_connectors(c))
        return status("Rejected");
    int k = free_connector(c, (int)conn);
    if (!k)
        return status("Rejected");
    if (limit > 0)
        c->profile_limit_w = (float)limit;
    char buf[16];
    const char *pre = sim_ocpp16_config_value(c, "AuthorizeRemoteTxRequests", buf, sizeof(buf));
    if (pre && strcmp(pre, "true") == 0)
        sim_charger_send(c, SIM_MSG_AUTHORIZE, 0, tag, NULL);
    sim_charger_tx_start(c, k, tag, -1);
    return status("Accepted");
}

static json_t *remote_stop(struct sim_charger *c, json_t *p, struct check *ck)
{
    json_int_t id = int_field(ck, p, "transactionId", 1, 0);
    if (ck->code)
        return NULL;
    int k = sim_charger_find_tx(c, (int32_t)id);
    if (!k)
        return status("Rejected");
    sim_charger_tx_stop(c, k, "Remote", -1);
    return status("Accepted");
}

static json_t *reset(struct sim_charger *c, json_t *p, struct check *ck)
{
    static const char *const types[] = {"Hard", "Soft", NULL};
    int t = one_of(ck, str_field(ck, p, "type", 1, 0), "type", types);
    if (ck->code)
        return NULL;
    sim_charger_reboot(c, t == 0);
    return status("Accepted");
}

static json_t *unlock(struct sim_charger *c, json_t *p, struct check *ck)
{
    json_int_t conn = int_field(ck, p, "connectorId", 1, 0);
    if (ck->code)
        return NULL;
    if (conn < 1 || conn > (json_int_t)n_connectors(c))
        return status("NotSupported");
    sim_charger_tx_stop(c, (int)conn, "UnlockCommand", -1);
    return status("Unlocked");
}

static json_t *change_availability(struct sim_charger *c, json_t *p, struct check *ck)
{
    static const char *const types[] = {"Inoperative", "Operative", NULL};
    json_int_t conn = int_field(ck, p, "connectorId", 1, 0);
    int t = one_of(ck, str_field(ck, p, "type", 1, 0), "type", types);
    if (ck->code)
        return NULL;
    unsigned n = n_connectors(c);
    if (conn < 0 || conn > (json_int_t)n)
        return status("Rejected");
    int scheduled = 0;
    for (unsigned i = 0; i <= n; i++) {
        if (conn != 0 && (json_int_t)i != conn)
            continue;
        struct sim_connector *k = &c->connectors[i];
        if (t == 0) {
            if (k->tx_ref) {
                k->inoperative_scheduled = 1;
                scheduled = 1;
                continue;
            }
            k->inoperative = 1;
            sim_charger_set_status(c, (int)i, SIM_ST_UNAVAILABLE);
        } else {
            k->inoperative = 0;
            k->inoperative_scheduled = 0;
            if (k->status == SIM_ST_UNAVAILABLE)
                sim_charger_set_status(c, (int)i, SIM_ST_AVAILABLE);
        }
    }
    return status(scheduled ? "Scheduled" : "Accepted");
}

static json_t *change_configuration(struct sim_charger *c, json_t *p, struct check *ck)
{
    const char *key = str_field(ck, p, "key", 1, 50);
    const char *value = str_field(ck, p, "value", 1, 500);
    if (ck->code)
        return NULL;
    return status(sim_ocpp16_config_set(c, key, value));
}

static json_t *get_configuration(struct sim_charger *c, json_t *p, struct check *ck)
{
    json_t *keys = field(ck, p, "key", 0);
    if (keys && !json_is_array(keys))
        problem(ck, "TypeConstraintViolation", "key");
    if (ck->code)
        return NULL;
    return sim_ocpp16_config_get(c, keys);
}

static json_t *data_transfer(struct sim_charger *c, json_t *p, struct check *ck)
{
    const char *vendor = str_field(ck, p, "vendorId", 1, 255);
    str_field(ck, p, "messageId", 0, 50);
    json_t *data = field(ck, p, "data", 0);
    if (ck->code)
        return NULL;
    if (strcmp(vendor, "galvani.sim") != 0)
        return status("UnknownVendorId");
    json_t *r = status("Accepted");
    if (data)
        json_object_set(r, "data", data);
    return r;
}

/* Sends what TriggerMessage / ExtendedTriggerMessage asked for. */
static int trigger(struct sim_charger *c, const char *what, json_int_t conn, int extended)
{
    unsigned n = n_connectors(c);
    if (strcmp(what, "BootNotification") == 0) {
        sim_charger_send(c, SIM_MSG_BOOT, 0, NULL, NULL);
    } else if (strcmp(what, "Heartbeat") == 0) {
        sim_charger_send(c, SIM_MSG_HEARTBEAT, 0, NULL, NULL);
    } else if (strcmp(what, "StatusNotification") == 0) {
        for (unsigned i = 0; i <= n; i++) {
            if (conn < 0 || (json_int_t)i == conn)
                sim_charger_set_status(c, (int)i, (enum sim_status)c->connectors[i].status);
        }
    } else if (strcmp(what, "MeterValues") == 0) {
        for (unsigned i = 1; i <= n; i++) {
            if (conn <= 0 || (json_int_t)i == conn)
                sim_charger_meter_now(c, (int)i);
        }
    } else if (!extended && strcmp(what, "DiagnosticsStatusNotification") == 0) {
        notify(c, SIM_MSG_DIAGNOSTICS_STATUS, "Idle", -1);
    } else if (!extended && strcmp(what, "FirmwareStatusNotification") == 0) {
        notify(c, SIM_MSG_FIRMWARE_STATUS, "Idle", -1);
    } else if (extended && strcmp(what, "FirmwareStatusNotification") == 0) {
        notify(c, SIM_MSG_SIGNED_FIRMWARE_STATUS, "Idle", -1);
    } else if (extended && strcmp(what, "LogStatusNotification") == 0) {
        notify(c, SIM_MSG_LOG_STATUS, "Idle", -1);
    } else if (extended && strcmp(what, "SignChargePointCertificate") == 0) {
        char *csr = make_csr(c);
        if (!csr)
            return -1;
        notify(c, SIM_MSG_SIGN_CERTIFICATE, csr, -1);
        free(csr);
    } else {
        return -1;
    }
    return 0;
}

static json_t *trigger_message(struct sim_charger *c, json_t *p, struct check *ck, int extended)
{
    static const char *const basic[] = {"BootNotification",
                                        "DiagnosticsStatusNotification",
                                        "FirmwareStatusNotification",
                                        "Heartbeat",
                                        "MeterValues",
                                        "StatusNotification",
                                        NULL};
    static const char *const ext[] = {
        "BootNotification", "LogStatusNotification",      "FirmwareStatusNotification", "Heartbeat",
        "MeterValues",      "SignChargePointCertificate", "StatusNotification",         NULL};
    const char *what = str_field(ck, p, "requestedMessage", 1, 0);
    one_of(ck, what, "requestedMessage", extended ? ext : basic);
    json_int_t conn = int_field(ck, p, "connectorId", 0, -1);
    if (ck->code)
        return NULL;
    if (conn > (json_int_t)n_connectors(c))
        return status("Rejected");
    /* The answer goes out first: calls queued while answering wait for it. */
    return status(trigger(c, what, conn, extended) == 0 ? "Accepted" : "Rejected");
}

static json_t *send_local_list(struct sim_charger *c, json_t *p, struct check *ck)
{
    static const char *const types[] = {"Differential", "Full", NULL};
    json_int_t version = int_field(ck, p, "listVersion", 1, 0);
    int t = one_of(ck, str_field(ck, p, "updateType", 1, 0), "updateType", types);
    json_t *list = field(ck, p, "localAuthorizationList", 0);
    if (list && !json_is_array(list))
        problem(ck, "TypeConstraintViolation", "localAuthorizationList");
    if (ck->code)
        return NULL;
    if (t == 0 && version <= c->local_list_version)
        return status("VersionMismatch");
    c->local_list_version = (int32_t)version;
    return status("Accepted");
}

static json_t *reserve_now(struct sim_charger *c, json_t *p, struct check *ck)
{
    json_int_t conn = int_field(ck, p, "connectorId", 1, 0);
    str_field(ck, p, "expiryDate", 1, 0);
    str_field(ck, p, "idTag", 1, 20);
    json_int_t id = int_field(ck, p, "reservationId", 1, 0);
    if (ck->code)
        return NULL;
    if (conn < 1 || conn > (json_int_t)n_connectors(c))
        return status("Rejected");
    struct sim_connector *k = &c->connectors[conn];
    if (k->inoperative)
        return status("Unavailable");
    if (k->status == SIM_ST_FAULTED)
        return status("Faulted");
    if (k->tx_ref || (k->status != SIM_ST_AVAILABLE && k->reservation_id != id))
        return status("Occupied");
    k->reservation_id = (int32_t)id;
    if (k->status != SIM_ST_RESERVED)
        sim_charger_set_status(c, (int)conn, SIM_ST_RESERVED);
    return status("Accepted");
}

static json_t *cancel_reservation(struct sim_charger *c, json_t *p, struct check *ck)
{
    json_int_t id = int_field(ck, p, "reservationId", 1, 0);
    if (ck->code)
        return NULL;
    unsigned n = n_connectors(c);
    for (unsigned i = 1; i <= n; i++) {
        struct sim_connector *k = &c->connectors[i];
        if (k->reservation_id == id) {
            k->reservation_id = -1;
            if (k->status == SIM_ST_RESERVED)
                sim_charger_set_status(c, (int)i, SIM_ST_AVAILABLE);
            return status("Accepted");
        }
    }
    return status("Rejected");
}

static json_t *set_charging_profile(struct sim_charger *c, json_t *p, struct check *ck)
{
    json_int_t conn = int_field(ck, p, "connectorId", 1, 0);
    json_t *profile = obj_field(ck, p, "csChargingProfiles", 1);
    const char *purpose = NULL;
    double limit = profile ? profile_limit(ck, c, profile, &purpose) : 0;
    if (ck->code)
        return NULL;
    if (conn < 0 || conn > (json_int_t)n_connectors(c))
        return status("Rejected");
    if (purpose && strcmp(purpose, "TxProfile") == 0 && (conn == 0 || !c->connectors[conn].tx_ref))
        return status("Rejected");
    c->profile_limit_w = (float)limit;
    return status("Accepted");
}

static json_t *clear_charging_profile(struct sim_charger *c, json_t *p, struct check *ck)
{
    int_field(ck, p, "id", 0, 0);
    int_field(ck, p, "connectorId", 0, 0);
    int_field(ck, p, "stackLevel", 0, 0);
    if (ck->code)
        return NULL;
    if (c->profile_limit_w <= 0)
        return status("Unknown");
    c->profile_limit_w = 0;
    return status("Accepted");
}

static json_t *composite_schedule(struct sim_charger *c, json_t *p, struct check *ck)
{
    json_int_t conn = int_field(ck, p, "connectorId", 1, 0);
    json_int_t duration = int_field(ck, p, "duration", 1, 0);
    const char *unit = str_field(ck, p, "chargingRateUnit", 0, 0);
    if (unit)
        one_of(ck, unit, "chargingRateUnit", rate_units);
    if (ck->code)
        return NULL;
    if (conn < 0 || conn > (json_int_t)n_connectors(c))
        return status("Rejected");
    const struct sim_meter_model *m = &c->fleet->meter_model;
    double w = c->profile_limit_w > 0 ? c->profile_limit_w : m->max_power_w;
    double limit =
        unit && strcmp(unit, "A") == 0 ? w / (m->voltage_v * (m->phases ? m->phases : 1)) : w;
    json_t *schedule =
        json_pack("{s:I,s:o,s:s,s:[{s:i,s:f}]}", "duration", duration, "startSchedule",
                  timestamp_now(), "chargingRateUnit", unit ? unit : "W", "chargingSchedulePeriod",
                  "startPeriod", 0, "limit", (double)(long)(limit * 10) / 10.0);
    return json_pack("{s:s,s:I,s:o,s:o}", "status", "Accepted", "connectorId", conn,
                     "scheduleStart", timestamp_now(), "chargingSchedule", schedule);
}

static json_t *update_firmware(struct sim_charger *c, json_t *p, struct check *ck)
{
    str_field(ck, p, "location", 1, 0);
    str_field(ck, p, "retrieveDate", 1, 0);
    int_field(ck, p, "retries", 0, 0);
    int_field(ck, p, "retryInterval", 0, 0);
    if (ck->code)
        return NULL;
    static const char *const steps[] = {"Downloading", "Downloaded", "Installing", "Installed"};
    for (unsigned i = 0; i < 4; i++)
        notify(c, SIM_MSG_FIRMWARE_STATUS, steps[i], -1);
    return json_object();
}

static json_t *get_diagnostics(struct sim_charger *c, json_t *p, struct check *ck)
{
    str_field(ck, p, "location", 1, 0);
    if (ck->code)
        return NULL;
    notify(c, SIM_MSG_DIAGNOSTICS_STATUS, "Uploading", -1);
    notify(c, SIM_MSG_DIAGNOSTICS_STATUS, "Uploaded", -1);
    char name[64], identity[48];
    sim_charger_identity(c, identity, sizeof(identity));
    snprintf(name, sizeof(name), "diagnostics-%s.log", identity);
    return json_pack("{s:s}", "fileName", name);
}

static json_t *get_log(struct sim_charger *c, json_t *p, struct check *ck)
{
    static const char *const types[] = {"DiagnosticsLog", "SecurityLog", NULL};
    one_of(ck, str_field(ck, p, "logType", 1, 0), "logType", types);
    json_int_t request = int_field(ck, p, "requestId", 1, 0);
    json_t *log = obj_field(ck, p, "log", 1);
    if (log)
        str_field(ck, log, "remoteLocation", 1, 512);
    if (ck->code)
        return NULL;
    notify(c, SIM_MSG_LOG_STATUS, "Uploading", (int32_t)request);
    notify(c, SIM_MSG_LOG_STATUS, "Uploaded", (int32_t)request);
    char name[64], identity[48];
    sim_charger_identity(c, identity, sizeof(identity));
    snprintf(name, sizeof(name), "log-%s-%lld.log", identity, (long long)request);
    return json_pack("{s:s,s:s}", "status", "Accepted", "filename", name);
}

static json_t *signed_update_firmware(struct sim_charger *c, json_t *p, struct check *ck)
{
    json_int_t request = int_field(ck, p, "requestId", 1, 0);
    json_t *fw = obj_field(ck, p, "firmware", 1);
    if (fw) {
        str_field(ck, fw, "location", 1, 512);
        str_field(ck, fw, "retrieveDateTime", 1, 0);
        str_field(ck, fw, "signingCertificate", 1, 5500);
        str_field(ck, fw, "signature", 1, 800);
    }
    if (ck->code)
        return NULL;
    static const char *const steps[] = {"Downloading", "Downloaded", "SignatureVerified",
                                        "Installing", "Installed"};
    for (unsigned i = 0; i < 5; i++)
        notify(c, SIM_MSG_SIGNED_FIRMWARE_STATUS, steps[i], (int32_t)request);
    return status("Accepted");
}

static const char *const cert_types[] = {"CentralSystemRootCertificate",
                                         "ManufacturerRootCertificate", NULL};

static json_t *install_certificate(struct sim_charger *c, json_t *p, struct check *ck)
{
    one_of(ck, str_field(ck, p, "certificateType", 1, 0), "certificateType", cert_types);
    const char *pem = str_field(ck, p, "certificate", 1, 5500);
    if (ck->code)
        return NULL;
    if (!is_pem_certificate(pem))
        return status("Rejected");
    if (c->certificates < UINT8_MAX)
        c->certificates++;
    return status("Accepted");
}

static json_t *hash_data(const struct sim_charger *c, unsigned n)
{
    char seed[64];
    unsigned char md[32];
    char hex[65];
    unsigned len = 0;
    snprintf(seed, sizeof(seed), "galvani-sim-%u-%u", c->index, n);
    EVP_Digest(seed, strlen(seed), md, &len, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    char serial[16];
    snprintf(serial, sizeof(serial), "%x", 0x1000 + n);
    return json_pack("{s:s,s:s,s:s,s:s}", "hashAlgorithm", "SHA256", "issuerNameHash", hex,
                     "issuerKeyHash", hex, "serialNumber", serial);
}

static json_t *delete_certificate(struct sim_charger *c, json_t *p, struct check *ck)
{
    json_t *h = obj_field(ck, p, "certificateHashData", 1);
    if (h) {
        str_field(ck, h, "hashAlgorithm", 1, 0);
        str_field(ck, h, "issuerNameHash", 1, 128);
        str_field(ck, h, "issuerKeyHash", 1, 128);
        str_field(ck, h, "serialNumber", 1, 40);
    }
    if (ck->code)
        return NULL;
    if (c->certificates == 0)
        return status("NotFound");
    c->certificates--;
    return status("Accepted");
}

static json_t *installed_certificates(struct sim_charger *c, json_t *p, struct check *ck)
{
    one_of(ck, str_field(ck, p, "certificateType", 1, 0), "certificateType", cert_types);
    if (ck->code)
        return NULL;
    if (c->certificates == 0)
        return status("NotFound");
    json_t *list = json_array();
    for (unsigned i = 0; i < c->certificates; i++)
        json_array_append_new(list, hash_data(c, i));
    return json_pack("{s:s,s:o}", "status", "Accepted", "certificateHashData", list);
}

static json_t *certificate_signed(struct sim_charger *c, json_t *p, struct check *ck)
{
    const char *chain = str_field(ck, p, "certificateChain", 1, 10000);
    if (ck->code)
        return NULL;
    return status(is_pem_certificate(chain) ? "Accepted" : "Rejected");
}

static json_t *clear_cache(struct sim_charger *c, json_t *p, struct check *ck)
{
    return status("Accepted");
}

static json_t *local_list_version(struct sim_charger *c, json_t *p, struct check *ck)
{
    return json_pack("{s:i}", "listVersion", c->local_list_version);
}

static json_t *trigger_basic(struct sim_charger *c, json_t *p, struct check *ck)
{
    return trigger_message(c, p, ck, 0);
}

static json_t *trigger_extended(struct sim_charger *c, json_t *p, struct check *ck)
{
    return trigger_message(c, p, ck, 1);
}

static const struct {
    const char *action;
    json_t *(*answer)(struct sim_charger *c, json_t *p, struct check *ck);
} handlers[] = {
    {"CancelReservation", cancel_reservation},
    {"CertificateSigned", certificate_signed},
    {"ChangeAvailability", change_availability},
    {"ChangeConfiguration", change_configuration},
    {"ClearCache", clear_cache},
    {"ClearChargingProfile", clear_charging_profile},
    {"DataTransfer", data_transfer},
    {"DeleteCertificate", delete_certificate},
    {"ExtendedTriggerMessage", trigger_extended},
    {"GetCompositeSchedule", composite_schedule},
    {"GetConfiguration", get_configuration},
    {"GetDiagnostics", get_diagnostics},
    {"GetInstalledCertificateIds", installed_certificates},
    {"GetLocalListVersion", local_list_version},
    {"GetLog", get_log},
    {"InstallCertificate", install_certificate},
    {"RemoteStartTransaction", remote_start},
    {"RemoteStopTransaction", remote_stop},
    {"ReserveNow", reserve_now},
    {"Reset", reset},
    {"SendLocalList", send_local_list},
    {"SetChargingProfile", set_charging_profile},
    {"SignedUpdateFirmware", signed_update_firmware},
    {"TriggerMessage", trigger_basic},
    {"UnlockConnector", unlock},
    {"UpdateFirmware", update_firmware},
};

json_t *sim_ocpp16_answer_call(struct sim_charger *c, const char *action, json_t *payload,
                               const char **code, const char **description)
{
    for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
        if (strcmp(handlers[i].action, action) != 0)
            continue;
        struct check ck = {NULL, NULL};
        json_t *r = handlers[i].answer(c, payload, &ck);
        if (ck.code) {
            json_decref(r);
            *code = ck.code;
            *description = ck.description;
            return NULL;
        }
        return r;
    }
    *code = "NotImplemented";
    *description = action;
    return NULL;
}
