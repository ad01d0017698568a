/*
 * The WebSocket upgrade of a charger: the listener's security profile, the
 * charger's credentials and the unknown-charger policy.
 *
 *   profile 0  no authentication (only on a listener configured so)
 *   profile 1  HTTP Basic: user = identity, password checked against the
 *              registry's hash off the loop
 *   profile 2  TLS (the core's listener, TLS >= 1.2) and Basic as in 1
 *   profile 3  TLS client certificate verified by the core against the
 *              listener's CA; its subject CN must be the identity
 *
 * The charger's profile in the registry must equal the listener's.
 * Refusals: 404 unknown charger (policy reject), 401 missing or wrong
 * credentials, 403 a profile mismatch or a certificate for someone else,
 * 503 while stopping.
 */
#include "ocpp16_basic_auth.h"
#include "ocpp16_plugin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest charge box identity accepted (OCPP 1.6 CiString48Type for the
 * chargeBoxIdentity; the URL carries it). */
#define IDENTITY_MAX 48

struct upgrade {
    glv_ws_upgrade *up;
    char identity[IDENTITY_MAX + 1];
    char listener[64];
    char remote[64];
    int profile;
    bool has_password;
    char password[GLV_OCPP16_BASIC_MAX + 1];
    json_t *charger; /* new: the registry record once read */
};

static void upgrade_free(struct upgrade *u)
{
    json_decref(u->charger);
    memset(u->password, 0, sizeof u->password);
    free(u);
}

static void refuse(struct upgrade *u, int status, const char *why)
{
    OCPP16_LOG(GLV_LOG_NOTICE, "%s: upgrade from %s on %s refused (%d): %s", u->identity, u->remote,
               u->listener, status, why);
    OCPP16_HOST->ws_reject(u->up, status, why);
    upgrade_free(u);
}

static void accept_charger(struct upgrade *u)
{
    struct glv_ocpp16_conn *c =
        glv_ocpp16_conn_new(u->identity, u->listener, u->remote, u->profile);
    if (c == NULL) {
        refuse(u, 503, "out of memory");
        return;
    }
    const char *status = json_string_value(json_object_get(u->charger, "status"));
    snprintf(c->status, sizeof c->status, "%s", status ? status : GLV_CHARGER_PENDING);
    c->lenient = json_is_true(json_object_get(u->charger, "lenient"));
    c->connectors = json_integer_value(json_object_get(u->charger, "connectors"));
    /* the first BootNotification writes only what changed since this read */
    c->boot_ref = json_object();
    static const char *const boot_keys[] = {"vendor", "model", "serial", "firmware"};
    for (size_t i = 0; c->boot_ref != NULL && i < sizeof boot_keys / sizeof boot_keys[0]; i++) {
        json_t *v = json_object_get(u->charger, boot_keys[i]);
        json_object_set_new(c->boot_ref, boot_keys[i], v != NULL ? json_incref(v) : json_null());
    }
    if (OCPP16_HOST->ws_accept(u->up, c) < 0) {
        glv_ocpp16_conn_unref(c);
        OCPP16_LOG(GLV_LOG_NOTICE, "%s: client left during the upgrade", u->identity);
    }
    upgrade_free(u);
}

static void verified(int result, void *arg)
{
    struct upgrade *u = arg;
    if (result == 1)
        accept_charger(u);
    else if (result == 0)
        refuse(u, 401, "wrong password");
    else
        refuse(u, 401, "the stored password hash is unusable");
}

static void provisioned(const json_t *charger, const json_t *error, void *arg)
{
    struct upgrade *u = arg;
    if (error != NULL || charger == NULL) {
        refuse(u, 503, "the charger could not be registered");
        return;
    }
    OCPP16_LOG(GLV_LOG_NOTICE, "%s: unknown charger registered as pending (profile %d)",
               u->identity, u->profile);
    u->charger = json_deep_copy(charger);
    accept_charger(u);
}

static void provision_pending(struct upgrade *u, const char *password_hash)
{
    json_t *fields =
        json_pack("{s:s, s:i}", "status", GLV_CHARGER_PENDING, "security_profile", u->profile);
    if (fields != NULL && password_hash != NULL)
        json_object_set_new(fields, "password_hash", json_string(password_hash));
    if (fields == NULL ||
        OCPP16_HOST->charger_provision(glv_ocpp16.p, u->identity, fields, provisioned, u) < 0)
        refuse(u, 503, "the charger could not be registered");
    json_decref(fields);
}

static void hashed_for_pending(const char *hash, void *arg)
{
    struct upgrade *u = arg;
    if (hash == NULL) {
        refuse(u, 503, "the password could not be hashed");
        return;
    }
    provision_pending(u, hash);
}

static void looked_up(const json_t *charger, const json_t *error, void *arg)
{
    struct upgrade *u = arg;
    if (error != NULL) {
        refuse(u, 503, "the charger registry is unavailable");
        return;
    }
    if (charger == NULL) {
        if (!glv_ocpp16.cfg.unknown_pending) {
            refuse(u, 404, "unknown charger");
            return;
        }
        /* Trust on first use: the password offered now is the one an
         * operator approves by accepting the charger. */
        if (u->has_password) {
            if (OCPP16_HOST->password_hash(glv_ocpp16.p, u->password, hashed_for_pending, u) < 0)
                refuse(u, 503, "the password could not be hashed");
            return;
        }
        provision_pending(u, NULL);
        return;
    }
    u->charger = json_deep_copy(charger);
    json_int_t profile = json_integer_value(json_object_get(charger, "security_profile"));
    if (profile != u->profile) {
        char why[96];
        snprintf(why, sizeof why, "the charger uses security profile %d, this listener %d",
                 (int)profile, u->profile);
        refuse(u, 403, why);
        return;
    }
    if (u->profile == 1 || u->profile == 2) {
        const char *hash = json_string_value(json_object_get(charger, "password_hash"));
        if (hash == NULL) {
            refuse(u, 401, "the charger has no password");
            return;
        }
        if (OCPP16_HOST->password_verify(glv_ocpp16.p, u->password, hash, verified, u) < 0)
            refuse(u, 503, "the password could not be checked");
        return;
    }
    accept_charger(u);
}

void glv_ocpp16_on_upgrade(glv_ws_upgrade *up, void *arg)
{
    const glv_host *h = OCPP16_HOST;
    struct upgrade *u = calloc(1, sizeof *u);
    if (u == NULL) {
        h->ws_reject(up, 503, "out of memory");
        return;
    }
    u->up = up;
    const char *identity = h->ws_upgrade_path_tail(up);
    const char *listener = h->ws_upgrade_listener(up);
    const char *remote = h->ws_upgrade_remote_addr(up);
    snprintf(u->listener, sizeof u->listener, "%s", listener ? listener : "");
    snprintf(u->remote, sizeof u->remote, "%s", remote ? remote : "");
    snprintf(u->identity, sizeof u->identity, "%s", identity ? identity : "");
    if (glv_ocpp16.stopping) {
        refuse(u, 503, "shutting down");
        return;
    }
    if (identity == NULL || identity[0] == '\0' || strlen(identity) > IDENTITY_MAX ||
        strpbrk(identity, "/:") != NULL) {
        refuse(u, 400, "the path must end in a charge box identity of 1-48 characters");
        return;
    }
    const json_t *lp = json_object_get(glv_ocpp16.cfg.listeners, u->listener);
    if (!json_is_integer(lp)) {
        refuse(u, 403, "OCPP is not configured on this listener");
        return;
    }
    u->profile = (int)json_integer_value(lp);
    int tls = h->ws_upgrade_tls(up);
    if (u->profile >= 2 && tls != 1) {
        refuse(u, 403, "this listener's security profile needs TLS");
        return;
    }
    if (u->profile == 3) {
        const char *cn = h->ws_upgrade_client_cn(up);
        if (cn == NULL) {
            refuse(u, 403, "a client certificate is required");
            return;
        }
        if (strcmp(cn, u->identity) != 0) {
            refuse(u, 403, "the client certificate was issued to another charger");
            return;
        }
    } else if (u->profile == 1 || u->profile == 2) {
        struct glv_ocpp16_basic basic;
        if (glv_ocpp16_basic_parse(h->ws_upgrade_header(up, "Authorization"), &basic) < 0) {
            refuse(u, 401, "Basic credentials required");
            return;
        }
        if (strcmp(basic.user, u->identity) != 0) {
            memset(&basic, 0, sizeof basic);
            refuse(u, 401, "the user name must be the charge box identity");
            return;
        }
        snprintf(u->password, sizeof u->password, "%s", basic.password);
        u->has_password = true;
        memset(&basic, 0, sizeof basic);
    }
    if (h->charger_lookup(glv_ocpp16.p, u->identity, looked_up, u) < 0)
        refuse(u, 503, "the charger registry is unavailable");
}
