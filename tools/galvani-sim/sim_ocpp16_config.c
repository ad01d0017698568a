#include "sim_ocpp16_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct sim_config_entry {
    struct sim_config_entry *next;
    const char *key; /* points into the key table */
    char value[];
};

enum key_type { K_INT, K_BOOL, K_STRING, K_CSL };
enum key_access { K_RW, K_RO, K_WO };

struct key_def {
    const char *name;
    enum key_type type;
    enum key_access access;
    const char *dflt;
};

static const struct key_def keys[] = {
    {"AllowOfflineTxForUnknownId", K_BOOL, K_RW, "false"},
    {"AuthorizationCacheEnabled", K_BOOL, K_RW, "true"},
    {"AuthorizeRemoteTxRequests", K_BOOL, K_RW, "false"},
    {"ClockAlignedDataInterval", K_INT, K_RW, "0"},
    {"ConnectionTimeOut", K_INT, K_RW, "60"},
    {"ConnectorPhaseRotation", K_CSL, K_RW, "0.RST,1.RST,2.RST"},
    {"GetConfigurationMaxKeys", K_INT, K_RO, "64"},
    {"HeartbeatInterval", K_INT, K_RW, NULL},
    {"LocalAuthorizeOffline", K_BOOL, K_RW, "true"},
    {"LocalPreAuthorize", K_BOOL, K_RW, "false"},
    {"MeterValuesAlignedData", K_CSL, K_RW, "Energy.Active.Import.Register"},
    {"MeterValuesSampledData", K_CSL, K_RW,
     "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC"},
    {"MeterValueSampleInterval", K_INT, K_RW, NULL},
    {"NumberOfConnectors", K_INT, K_RO, NULL},
    {"ResetRetries", K_INT, K_RW, "3"},
    {"StopTransactionOnEVSideDisconnect", K_BOOL, K_RW, "true"},
    {"StopTransactionOnInvalidId", K_BOOL, K_RW, "true"},
    {"StopTxnAlignedData", K_CSL, K_RW, ""},
    {"StopTxnSampledData", K_CSL, K_RW, "Energy.Active.Import.Register"},
    {"SupportedFeatureProfiles", K_CSL, K_RO,
     "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger"},
    {"TransactionMessageAttempts", K_INT, K_RW, "3"},
    {"TransactionMessageRetryInterval", K_INT, K_RW, "60"},
    {"UnlockConnectorOnEVSideDisconnect", K_BOOL, K_RW, "true"},
    {"WebSocketPingInterval", K_INT, K_RW, "0"},
    {"LocalAuthListEnabled", K_BOOL, K_RW, "true"},
    {"LocalAuthListMaxLength", K_INT, K_RO, "1000"},
    {"SendLocalListMaxLength", K_INT, K_RO, "100"},
    {"ReserveConnectorZeroSupported", K_BOOL, K_RO, "false"},
    {"ChargeProfileMaxStackLevel", K_INT, K_RO, "8"},
    {"ChargingScheduleAllowedChargingRateUnit", K_CSL, K_RO, "Current,Power"},
    {"ChargingScheduleMaxPeriods", K_INT, K_RO, "24"},
    {"MaxChargingProfilesInstalled", K_INT, K_RO, "8"},
    {"AuthorizationKey", K_STRING, K_WO, NULL},
    {"SecurityProfile", K_INT, K_RW, NULL},
    {"CpoName", K_STRING, K_RW, ""},
    {"AdditionalRootCertificateCheck", K_BOOL, K_RO, "false"},
    {"CertificateSignedMaxChainSize", K_INT, K_RO, "10000"},
    {"CertificateStoreMaxLength", K_INT, K_RO, "8"},
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static const struct key_def *find_key(const char *name)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        if (strcasecmp(keys[i].name, name) == 0)
            return &keys[i];
    }
    return NULL;
}

static const struct sim_config_entry *find_entry(const struct sim_charger *c, const char *key)
{
    for (const struct sim_config_entry *e = c->config; e; e = e->next) {
        if (e->key == key)
            return e;
    }
    return NULL;
}

static const char *value_of(const struct sim_charger *c, const struct key_def *k, char *buf,
                            size_t size)
{
    if (strcmp(k->name, "HeartbeatInterval") == 0) {
        snprintf(buf, size, "%u", c->hb_interval_s);
        return buf;
    }
    if (strcmp(k->name, "MeterValueSampleInterval") == 0) {
        snprintf(buf, size, "%u", c->meter_interval_s);
        return buf;
    }
    if (strcmp(k->name, "NumberOfConnectors") == 0) {
        snprintf(buf, size, "%u", sim_charger_connector_count(c));
        return buf;
    }
    if (strcmp(k->name, "SecurityProfile") == 0) {
        snprintf(buf, size, "%u", c->security_profile);
        return buf;
    }
    if (k->access == K_WO)
        return NULL;
    const struct sim_config_entry *e = find_entry(c, k->name);
    return e ? e->value : k->dflt;
}

const char *sim_ocpp16_config_value(const struct sim_charger *c, const char *key, char *buf,
                                    size_t size)
{
    const struct key_def *k = find_key(key);
    return k ? value_of(c, k, buf, size) : NULL;
}

static void add_key(json_t *list, const struct sim_charger *c, const struct key_def *k)
{
    char buf[32];
    const char *v = value_of(c, k, buf, sizeof(buf));
    json_t *o = json_pack("{s:s,s:b}", "key", k->name, "readonly", k->access == K_RO);
    if (v)
        json_object_set_new(o, "value", json_string(v));
    json_array_append_new(list, o);
}

json_t *sim_ocpp16_config_get(const struct sim_charger *c, json_t *requested)
{
    json_t *known = json_array(), *unknown = json_array();
    if (!requested || json_array_size(requested) == 0) {
        for (size_t i = 0; i < N_KEYS; i++) {
            if (keys[i].access != K_WO)
                add_key(known, c, &keys[i]);
        }
    } else {
        size_t i;
        json_t *v;
        json_array_foreach(requested, i, v)
        {
            const char *name = json_string_value(v);
            const struct key_def *k = name ? find_key(name) : NULL;
            if (k && k->access != K_WO)
                add_key(known, c, k);
            else if (name)
                json_array_append_new(unknown, json_string(name));
        }
    }
    json_t *out = json_object();
    json_object_set_new(out, "configurationKey", known);
    if (json_array_size(unknown))
        json_object_set_new(out, "unknownKey", unknown);
    else
        json_decref(unknown);
    return out;
}

static int parse_uint(const char *v, unsigned long *out)
{
    char *end;
    if (!*v || *v == '-')
        return -1;
    *out = strtoul(v, &end, 10);
    return *end ? -1 : 0;
}

static int store(struct sim_charger *c, const struct key_def *k, const char *value)
{
    struct sim_config_entry **pp = &c->config;
    while (*pp && (*pp)->key != k->name)
        pp = &(*pp)->next;
    size_t len = strlen(value);
    struct sim_config_entry *e = malloc(sizeof(*e) + len + 1);
    if (!e)
        return -1;
    e->key = k->name;
    memcpy(e->value, value, len + 1);
    if (*pp) {
        e->next = (*pp)->next;
        free(*pp);
    } else {
        e->next = NULL;
    }
    *pp = e;
    return 0;
}

const char *sim_ocpp16_config_set(struct sim_charger *c, const char *key, const char *value)
{
    const struct key_def *k = find_key(key);
    if (!k)
        return "NotSupported";
    if (k->access == K_RO)
        return "Rejected";
    unsigned long n = 0;
    if (k->type == K_INT && parse_uint(value, &n) != 0)
        return "Rejected";
    if (k->type == K_BOOL && strcasecmp(value, "true") != 0 && strcasecmp(value, "false") != 0)
        return "Rejected";
    if (strcmp(k->name, "HeartbeatInterval") == 0) {
        c->hb_interval_s = (uint32_t)n;
        if (c->fleet->autonomous && c->boot == SIM_BOOT_ACCEPTED && n > 0)
            c->due_heartbeat_ms = sim_now_ms(c->fleet) + n * 1000u;
        sim_charger_schedule(c);
        return "Accepted";
    }
    if (strcmp(k->name, "MeterValueSampleInterval") == 0) {
        c->meter_interval_s = (uint32_t)n;
        return "Accepted";
    }
    if (strcmp(k->name, "SecurityProfile") == 0) {
        /* A profile may only be raised; it applies from the next connection. */
        if (n > 3 || n < c->security_profile)
            return "Rejected";
        c->security_profile = (uint8_t)n;
        return "Accepted";
    }
    if (strcmp(k->name, "AuthorizationKey") == 0) {
        /* 1.6 security whitepaper: 16..40 bytes; used from the next connection */
        size_t len = strlen(value);
        if (len < 16 || len > 40)
            return "Rejected";
        char *copy = strdup(value);
        if (!copy)
            return "Rejected";
        free(c->password);
        c->password = copy;
        return "Accepted";
    }
    return store(c, k, value) == 0 ? "Accepted" : "Rejected";
}

void sim_ocpp16_config_free(struct sim_charger *c)
{
    struct sim_config_entry *next;
    for (struct sim_config_entry *e = c->config; e; e = next) {
        next = e->next;
        free(e);
    }
    c->config = NULL;
}
