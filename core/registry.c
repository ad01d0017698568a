/*
 * galvani core — the charger registry (see charger.h and docs/CHARGERS.md).
 * Every call is one parameterized statement run with db_query (db_group for
 * last_seen), so several galvanid processes can share the tables.
 */
#include "commands-internal.h"
#include "log-internal.h"
#include "registry-internal.h"
#include "strmap-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Interval between two last_seen writes of one charger. */
#define SEEN_INTERVAL_MS 5000u

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
/* The record's columns, in the order row_to_json reads them; c is the
 * charger row, k the connection row. */
#define RECORD_COLUMNS                                                                             \
    "c.identity, c.status, c.security_profile, c.password_hash, c.lenient, c.connectors, "         \
    "c.vendor, c.model, c.serial, c.firmware, k.transport, k.node, " TS("k.connected_at") ", " TS( \
        "k.last_seen") ", " TS("c.created_at")

static const char SQL_LOOKUP[] =
    "SELECT " RECORD_COLUMNS " FROM glv_chargers c LEFT JOIN glv_charger_connections k"
    " ON k.identity = c.identity WHERE c.identity = $1";

/* $1 identity; $2 status; $3 profile; $4 lenient; $5 connectors (NULL: keep);
 * $6..$10 password_hash, vendor, model, serial, firmware with $11..$15 set
 * to '1' when the field was given (it may be given as null). */
static const char SQL_PROVISION[] =
    "WITH c AS (INSERT INTO glv_chargers AS g (identity, status, security_profile, lenient,"
    " connectors, password_hash, vendor, model, serial, firmware)"
    " VALUES ($1, COALESCE($2, 'pending'), COALESCE($3::integer, 0),"
    " COALESCE($4::boolean, false), COALESCE($5::integer, 0), $6, $7, $8, $9, $10)"
    " ON CONFLICT (identity) DO UPDATE SET status = COALESCE($2, g.status),"
    " security_profile = COALESCE($3::integer, g.security_profile),"
    " lenient = COALESCE($4::boolean, g.lenient), connectors = COALESCE($5::integer, g.connectors),"
    " password_hash = CASE WHEN $11 = '1' THEN $6 ELSE g.password_hash END,"
    " vendor = CASE WHEN $12 = '1' THEN $7 ELSE g.vendor END,"
    " model = CASE WHEN $13 = '1' THEN $8 ELSE g.model END,"
    " serial = CASE WHEN $14 = '1' THEN $9 ELSE g.serial END,"
    " firmware = CASE WHEN $15 = '1' THEN $10 ELSE g.firmware END, updated_at = now()"
    " RETURNING *)"
    " SELECT " RECORD_COLUMNS " FROM c LEFT JOIN glv_charger_connections k"
    " ON k.identity = c.identity";

/* $1 identity, $2 transport, $3 node, $4 node's channel. */
static const char SQL_ATTACH[] =
    "WITH k AS (INSERT INTO glv_charger_connections (identity, transport, node, channel)"
    " SELECT identity, $2, $3, $4 FROM glv_chargers WHERE identity = $1"
    " ON CONFLICT (identity) DO UPDATE SET transport = EXCLUDED.transport,"
    " node = EXCLUDED.node, channel = EXCLUDED.channel, connected_at = now(),"
    " last_seen = now() RETURNING *)"
    " SELECT " RECORD_COLUMNS " FROM glv_chargers c JOIN k ON k.identity = c.identity";

static const char SQL_DETACH[] =
    "DELETE FROM glv_charger_connections WHERE identity = $1 AND node = $2";

static const char SQL_SEEN[] =
    "UPDATE glv_charger_connections SET last_seen = now() WHERE identity = $1 AND node = $2";

struct seen {
    uint64_t last_ms;
};

struct glv_registry {
    glv_plugin *self; /* the registry's own handle for its queries */
    glv_strmap *seen; /* identity → struct seen */
};
typedef struct glv_registry registry;

/* The core's registry, made on first use; NULL when out of memory. */
static registry *registry_of(glv_plugin *p)
{
    glv_core *core = p->core;
    if (core->registry)
        return core->registry;
    registry *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->seen = glv_strmap_new();
    r->self = r->seen ? glv_core_plugin_new(core, "registry") : NULL;
    if (!r->self) {
        glv_strmap_free(r->seen);
        free(r);
        return NULL;
    }
    core->registry = r;
    return r;
}

static void free_seen(const char *key, void *value, void *arg)
{
    free(value);
}

void glv_registry_free(glv_registry *r)
{
    if (!r)
        return;
    glv_strmap_each(r->seen, free_seen, NULL);
    glv_strmap_free(r->seen);
    free(r);
}

int glv_charger_identity_ok(const char *identity)
{
    if (!identity || !*identity || strlen(identity) > GLV_CHARGER_IDENTITY_MAX)
        return 0;
    for (const unsigned char *s = (const unsigned char *)identity; *s; s++)
        if (*s <= 0x20 || *s >= 0x7f)
            return 0;
    return 1;
}

static const char *const text_fields[] = {"password_hash", "vendor", "model", "serial", "firmware"};

int glv_charger_fields_check(const json_t *fields, char *msg, size_t msglen)
{
    if (!json_is_object(fields)) {
        snprintf(msg, msglen, "the fields must be an object");
        return -EINVAL;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)fields, key, v)
    {
        if (strcmp(key, "status") == 0) {
            const char *st = json_string_value(v);
            if (!st ||
                (strcmp(st, GLV_CHARGER_ACCEPTED) != 0 && strcmp(st, GLV_CHARGER_PENDING) != 0 &&
                 strcmp(st, GLV_CHARGER_REJECTED) != 0)) {
                snprintf(msg, msglen, "status must be \"accepted\", \"pending\" or \"rejected\"");
                return -EINVAL;
            }
        } else if (strcmp(key, "security_profile") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 3) {
                snprintf(msg, msglen, "security_profile must be an integer from 0 to 3");
                return -EINVAL;
            }
        } else if (strcmp(key, "connectors") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1000) {
                snprintf(msg, msglen, "connectors must be an integer from 0 to 1000");
                return -EINVAL;
            }
        } else if (strcmp(key, "lenient") == 0) {
            if (!json_is_boolean(v)) {
                snprintf(msg, msglen, "lenient must be true or false");
                return -EINVAL;
            }
        } else {
            size_t i = 0;
            while (i < sizeof(text_fields) / sizeof(text_fields[0]) &&
                   strcmp(key, text_fields[i]) != 0)
                i++;
            if (i == sizeof(text_fields) / sizeof(text_fields[0])) {
                snprintf(msg, msglen, "unknown field \"%.64s\"", key);
                return -EINVAL;
            }
            if (!json_is_null(v) && (!json_is_string(v) || json_string_length(v) > 1024)) {
                snprintf(msg, msglen, "%s must be a string of at most 1024 bytes, or null", key);
                return -EINVAL;
            }
        }
    }
    return 0;
}

/* The record of row 0 of res (new). */
static json_t *record_from_row(const glv_host *h, const glv_db_result *res)
{
    static const char *const names[] = {
        "identity",     "status",    "security_profile", "password_hash", "lenient",   "connectors",
        "vendor",       "model",     "serial",           "firmware",      "transport", "node",
        "connected_at", "last_seen", "created_at"};
    json_t *o = json_object();
    for (int i = 0; o && i < (int)(sizeof(names) / sizeof(names[0])); i++) {
        const char *v = h->db_value(res, 0, i);
        json_t *j;
        if (!v)
            j = json_null();
        else if (i == 2 || i == 5)
            j = json_integer(strtoll(v, NULL, 10));
        else if (i == 4)
            j = json_boolean(v[0] == 't');
        else
            j = json_string(v);
        if (json_object_set_new(o, names[i], j) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

struct call {
    glv_plugin *p;
    glv_charger_fn done;
    void *arg;
    const char *identity_for_error; /* unknown is an error (not for lookup) */
    char identity[GLV_CHARGER_IDENTITY_MAX + 1];
};

static struct call *call_new(glv_plugin *p, const char *identity, glv_charger_fn done, void *arg)
{
    struct call *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->p = p;
    c->done = done;
    c->arg = arg;
    snprintf(c->identity, sizeof(c->identity), "%s", identity);
    return c;
}

static void record_done(const glv_db_result *res, void *arg)
{
    struct call *c = arg;
    const glv_host *h = &c->p->core->host;
    json_t *rec = NULL, *err = NULL;
    if (!h->db_ok(res)) {
        err = json_pack("{s:s, s:s}", "code", "database", "message",
                        h->db_error(res) ? h->db_error(res) : "database error");
    } else if (h->db_rows(res) > 0) {
        rec = record_from_row(h, res);
        if (!rec)
            err = json_pack("{s:s, s:s}", "code", "database", "message", "out of memory");
    } else if (c->identity_for_error) {
        err =
            json_pack("{s:s, s:s}", "code", "unknown", "message", "no charger with this identity");
        json_object_set_new(err, "identity", json_string(c->identity));
    }
    if (c->done)
        c->done(rec, err, c->arg);
    json_decref(rec);
    json_decref(err);
    free(c);
}

static int check_identity(glv_plugin *p, const char *what, const char *identity)
{
    if (!glv_charger_identity_ok(identity))
        return glv_fail(p, -EINVAL,
                        "%s: the identity must have 1 to %d printable ASCII bytes without spaces",
                        what, GLV_CHARGER_IDENTITY_MAX);
    if (!p->core->db)
        return glv_fail(p, -ENOTCONN, "%s: no database is configured", what);
    return 0;
}

static int submit(glv_plugin *p, const char *sql, int n, const char *const *params, struct call *c)
{
    int r = p->core->host.db_query(p, sql, n, params, record_done, c);
    if (r < 0)
        free(c);
    return r;
}

static int host_charger_lookup(glv_plugin *p, const char *identity, glv_charger_fn done, void *arg)
{
    int r = check_identity(p, "charger_lookup", identity);
    if (r < 0)
        return r;
    if (!done)
        return glv_fail(p, -EINVAL, "charger_lookup needs a callback");
    struct call *c = call_new(p, identity, done, arg);
    if (!c)
        return glv_fail(p, -ENOMEM, "charger_lookup: out of memory");
    const char *params[1] = {identity};
    return submit(p, SQL_LOOKUP, 1, params, c);
}

static int host_charger_provision(glv_plugin *p, const char *identity, const json_t *fields,
                                  glv_charger_fn done, void *arg)
{
    int r = check_identity(p, "charger_provision", identity);
    if (r < 0)
        return r;
    char msg[160];
    if (glv_charger_fields_check(fields, msg, sizeof(msg)) != 0)
        return glv_fail(p, -EINVAL, "charger_provision %s: %s", identity, msg);
    char profile[16] = "", connectors[16] = "";
    const json_t *v;
    if ((v = json_object_get(fields, "security_profile")))
        snprintf(profile, sizeof(profile), "%d", (int)json_integer_value(v));
    if ((v = json_object_get(fields, "connectors")))
        snprintf(connectors, sizeof(connectors), "%d", (int)json_integer_value(v));
    const json_t *lenient = json_object_get(fields, "lenient");
    const char *params[15] = {identity, json_string_value(json_object_get(fields, "status")),
                              *profile ? profile : NULL,
                              lenient ? (json_is_true(lenient) ? "true" : "false") : NULL,
                              *connectors ? connectors : NULL};
    for (int i = 0; i < 5; i++) {
        const json_t *t = json_object_get(fields, text_fields[i]);
        params[5 + i] = json_string_value(t);
        params[10 + i] = t ? "1" : "0";
    }
    struct call *c = call_new(p, identity, done, arg);
    if (!c)
        return glv_fail(p, -ENOMEM, "charger_provision: out of memory");
    return submit(p, SQL_PROVISION, 15, params, c);
}

static int host_charger_attach(glv_plugin *p, const char *identity, const char *transport,
                               glv_charger_fn done, void *arg)
{
    int r = check_identity(p, "charger_attach", identity);
    if (r < 0)
        return r;
    if (!transport || !*transport || strlen(transport) > 64)
        return glv_fail(p, -EINVAL, "charger_attach: the transport name must have 1 to 64 bytes");
    char channel[GLV_COMMANDS_CHANNEL_MAX];
    glv_commands_channel(p->core->node_id, channel);
    /* Commands for the charger may arrive from now on. */
    glv_commands_listen(p->core);
    struct call *c = call_new(p, identity, done, arg);
    if (!c)
        return glv_fail(p, -ENOMEM, "charger_attach: out of memory");
    c->identity_for_error = c->identity;
    const char *params[4] = {identity, transport, p->core->node_id, channel};
    return submit(p, SQL_ATTACH, 4, params, c);
}

static void write_done(const glv_db_result *res, void *arg)
{
    glv_plugin *p = arg;
    if (!p->core->host.db_ok(res))
        glv_log(GLV_LOG_WARNING, "registry", "charger connection not recorded: %s",
                p->core->host.db_error(res));
}

static glv_plugin *self_of(glv_plugin *p)
{
    registry *r = registry_of(p);
    return r ? r->self : NULL;
}

static int host_charger_detach(glv_plugin *p, const char *identity)
{
    int r = check_identity(p, "charger_detach", identity);
    if (r < 0)
        return r;
    glv_plugin *self = self_of(p);
    if (!self)
        return glv_fail(p, -ENOMEM, "charger_detach: out of memory");
    const char *params[2] = {identity, p->core->node_id};
    return p->core->host.db_query(p, SQL_DETACH, 2, params, write_done, self);
}

static int host_charger_seen(glv_plugin *p, const char *identity)
{
    int r = check_identity(p, "charger_seen", identity);
    if (r < 0)
        return r;
    registry *reg = registry_of(p);
    if (!reg)
        return glv_fail(p, -ENOMEM, "charger_seen: out of memory");
    uint64_t now = p->core->host.monotonic_ms();
    struct seen *s = glv_strmap_get(reg->seen, identity);
    if (s && now - s->last_ms < SEEN_INTERVAL_MS)
        return 0;
    if (!s) {
        s = calloc(1, sizeof(*s));
        if (!s || glv_strmap_put(reg->seen, identity, s) != 0) {
            free(s);
            return glv_fail(p, -ENOMEM, "charger_seen: out of memory");
        }
    }
    s->last_ms = now;
    const char *params[2] = {identity, p->core->node_id};
    return p->core->host.db_group(p, SQL_SEEN, 2, params, write_done, self_of(p));
}

void glv_registry_fill_host(glv_host *h)
{
    h->charger_lookup = host_charger_lookup;
    h->charger_provision = host_charger_provision;
    h->charger_attach = host_charger_attach;
    h->charger_detach = host_charger_detach;
    h->charger_seen = host_charger_seen;
}
