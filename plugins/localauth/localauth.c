/*
 * localauth — a local token list answering the filter event
 * "token.authorize" (data version 1; see docs/CHARGERS.md).
 *
 * A known token gets "status" (Accepted, Blocked, Expired, Invalid),
 * "expiry", "parent_id" and "source": "localauth" in the payload and the
 * filter returns HANDLED; an unknown one is passed on to the other filters
 * (or answered Invalid with `unknown: reject`). The list is read on every
 * authorization, so a change made with galvanictl takes effect at once.
 *
 * Configuration (section `localauth`):
 *   priority: filter priority, default -100 (early); read at start-up
 *   unknown:  pass | reject
 */
#include <errno.h>
#include <galvani/galvani.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define EVENT "token.authorize"
#define DATA_VERSION 1

extern const glv_migration glv_localauth_migrations[];

/* The host table, for fini (which is given only the handle). */
static const glv_host *host_table;

typedef struct localauth {
    const glv_host *host;
    glv_plugin *p;
    int64_t sub; /* filter subscription */
} localauth;

/* One authorization waiting for the database. */
typedef struct lookup {
    localauth *la;
    glv_filter_call *call;
    json_t *payload; /* own reference: modified only while the chain waits */
} lookup;

/* Expired is computed: an Accepted token past its expiry is Expired. */
static const char SQL_TOKEN[] =
    "SELECT CASE WHEN status = 'Accepted' AND expiry IS NOT NULL AND expiry <= now()"
    " THEN 'Expired' ELSE status END,"
    " to_char(expiry AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), parent_id"
    " FROM localauth_tokens WHERE lower(id_token) = lower($1)";

static int reject_unknown(const localauth *la)
{
    const char *u = json_string_value(json_object_get(la->host->config(la->p), "unknown"));
    return u && strcmp(u, "reject") == 0;
}

static void token_found(const glv_db_result *res, void *arg)
{
    lookup *lk = arg;
    const glv_host *h = lk->la->host;
    glv_verdict v = GLV_HOOK_HANDLED;
    json_t *reason = NULL;
    if (!h->db_ok(res)) {
        v = GLV_HOOK_FAILED;
        reason = json_pack("{s:s, s:s}", "code", "database", "message",
                           h->db_error(res) ? h->db_error(res) : "database error");
    } else if (h->db_rows(res) == 0) {
        if (reject_unknown(lk->la)) {
            json_object_set_new(lk->payload, "status", json_string("Invalid"));
            json_object_set_new(lk->payload, "source", json_string("localauth"));
        } else {
            v = GLV_HOOK_PASS;
        }
    } else {
        const char *expiry = h->db_value(res, 0, 1), *parent = h->db_value(res, 0, 2);
        json_object_set_new(lk->payload, "status", json_string(h->db_value(res, 0, 0)));
        json_object_set_new(lk->payload, "expiry", expiry ? json_string(expiry) : json_null());
        json_object_set_new(lk->payload, "parent_id", parent ? json_string(parent) : json_null());
        json_object_set_new(lk->payload, "source", json_string("localauth"));
    }
    h->filter_resume(lk->call, v, reason);
    json_decref(lk->payload);
    free(lk);
}

static glv_verdict authorize(glv_filter_call *call, json_t *payload, void *arg)
{
    localauth *la = arg;
    const char *token = json_string_value(json_object_get(payload, "id_token"));
    if (!token || !*token)
        return GLV_HOOK_PASS; /* nothing this list can answer */
    lookup *lk = calloc(1, sizeof(*lk));
    if (!lk) {
        la->host->filter_reason(call, json_pack("{s:s}", "message", "out of memory"));
        return GLV_HOOK_FAILED;
    }
    lk->la = la;
    lk->call = call;
    lk->payload = json_incref(payload);
    const char *params[1] = {token};
    if (la->host->db_query(la->p, SQL_TOKEN, 1, params, token_found, lk) < 0) {
        const char *msg =
            json_string_value(json_object_get(la->host->last_error(la->p), "message"));
        la->host->filter_reason(call, json_pack("{s:s, s:s}", "code", "database", "message",
                                                msg ? msg : "database unavailable"));
        json_decref(lk->payload);
        free(lk);
        return GLV_HOOK_FAILED;
    }
    return GLV_HOOK_PENDING;
}

static int subscribe(localauth *la)
{
    int prio = (int)json_integer_value(json_object_get(la->host->config(la->p), "priority"));
    int64_t sub = la->host->filter_add(la->p, EVENT, prio, DATA_VERSION, authorize, la);
    if (sub < 0)
        return la->host->fail(
            la->p, "cannot add the %s filter: %s", EVENT,
            json_string_value(json_object_get(la->host->last_error(la->p), "message")));
    la->sub = sub;
    return 0;
}

static int localauth_init(glv_plugin *p, const glv_host *h)
{
    if (h->abi_major != GLV_ABI_MAJOR || !GLV_HOST_HAS(h, db_query))
        return -ENOTSUP;
    localauth *la = calloc(1, sizeof(*la));
    if (!la)
        return -ENOMEM;
    host_table = h;
    la->host = h;
    la->p = p;
    h->set_userdata(p, la);
    if (h->event_declare(p, EVENT, GLV_EVENT_FILTER, DATA_VERSION) < 0)
        return h->fail(p, "cannot declare %s: %s", EVENT,
                       json_string_value(json_object_get(h->last_error(p), "message")));
    return subscribe(la);
}

static void localauth_fini(glv_plugin *p)
{
    free(host_table->userdata(p));
    host_table->set_userdata(p, NULL);
}

static const char *const unknown_choices[] = {"pass", "reject", NULL};

static const glv_config_field localauth_config[] = {
    {.key = "priority",
     .type = GLV_CFG_INT,
     .default_text = "-100",
     .min = -1000,
     .max = 1000,
     .help = "place of the token list in the token.authorize chain (lower runs first)"},
    {.key = "unknown",
     .type = GLV_CFG_STRING,
     .default_text = "pass",
     .choices = unknown_choices,
     .flags = GLV_CFG_RELOADABLE,
     .help = "a token not in the list: pass (other filters decide) or reject (Invalid)"},
    {0},
};

static const glv_plugin_descriptor localauth_descriptor = {
    GLV_PLUGIN_GUARD,           .name = "localauth",
    .version = "0.1.0",         .description = "local token list answering token.authorize",
    .config = localauth_config, .migrations = glv_localauth_migrations,
    .init = localauth_init,     .fini = localauth_fini,
};

GLV_PLUGIN_EXPORT const glv_plugin_descriptor *glv_plugin_entry(void)
{
    return &localauth_descriptor;
}
