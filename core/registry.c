/*
 * galvani core — the charger registry (see charger.h and docs/CHARGERS.md).
 * Every call is one parameterized statement run with db_query (db_group for
 * last_seen), so several galvanid processes can share the tables.
 */
#include "commands-internal.h"
#include "db-internal.h"
#include "log-internal.h"
#include "registry-internal.h"
#include "strmap-internal.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest transport name. */
#define GLV_TRANSPORT_MAX 64

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

/* Group writes of many chargers at once: $1 a JSON array (of identities, or
 * of [identity, transport] pairs for attach), $2 node, $3 node's channel. */
static const char SQL_ATTACH_MANY[] =
    "WITH x AS (SELECT e->>0 AS identity, e->>1 AS transport"
    " FROM jsonb_array_elements($1::jsonb) AS e),"
    " k AS (INSERT INTO glv_charger_connections (identity, transport, node, channel)"
    " SELECT c.identity, x.transport, $2, $3 FROM x JOIN glv_chargers c ON c.identity = x.identity"
    " ORDER BY c.identity"
    " ON CONFLICT (identity) DO UPDATE SET transport = EXCLUDED.transport,"
    " node = EXCLUDED.node, channel = EXCLUDED.channel, connected_at = now(),"
    " last_seen = now() RETURNING *)"
    " SELECT " RECORD_COLUMNS " FROM glv_chargers c JOIN k ON k.identity = c.identity";

/* The identities become one array, computed once, that the primary key
 * looks up (= ANY): a plan that stays an index lookup whatever the
 * statistics. Joined as a set function instead, they were estimated at 100
 * rows and the table was scanned whole for every statement (a hash join,
 * 1.7 ms for 20 of 3,000 chargers); filtered through IN (SELECT …) with
 * statistics taken while the table was nearly empty, the list was rescanned
 * for every row of the node. */
static const char SQL_DETACH_MANY[] =
    "DELETE FROM glv_charger_connections c"
    " WHERE c.identity = ANY (ARRAY(SELECT jsonb_array_elements_text($1::jsonb))) AND c.node = $2";

static const char SQL_SEEN_MANY[] =
    "UPDATE glv_charger_connections c SET last_seen = now()"
    " WHERE c.identity = ANY (ARRAY(SELECT jsonb_array_elements_text($1::jsonb))) AND c.node = $2";

struct seen {
    uint64_t last_ms;
};

/* A caller of charger_provision or charger_attach waiting for the record. */
struct waiter {
    struct waiter *next;
    glv_charger_fn done;
    void *arg;
};

/* The writes queued for one charger until the next flush, merged: later
 * provision fields replace earlier ones, an attach replaces a detach queued
 * before it and covers a last_seen update. */
struct pend {
    struct pend *next;                /* in arrival order */
    json_t *fields;                   /* provision: merged fields (new), NULL: none */
    struct waiter *prov, **prov_tail; /* provision callers, in order */
    struct waiter *att, **att_tail;   /* attach callers, in order */
    bool attach;                      /* write the connection row */
    bool attach_answered;             /* the attach callers have their answer */
    bool detach;                      /* delete the row if this node holds it */
    bool detach_after;                /* a detach issued after the attach: next flush */
    bool seen;                        /* update last_seen */
    char transport[GLV_TRANSPORT_MAX + 1];
    char identity[];
};

/* One statement of a flush. */
enum stmt_kind { ST_PROVISION, ST_ATTACH_MANY, ST_ATTACH_ONE, ST_DETACH_MANY, ST_SEEN_MANY };

struct stmt {
    glv_registry *r;
    enum stmt_kind kind;
    struct pend *one; /* ST_PROVISION, ST_ATTACH_ONE */
};

struct glv_registry {
    glv_plugin *self;    /* the registry's own handle for its queries */
    glv_strmap *seen;    /* identity → struct seen */
    glv_strmap *pending; /* identity → struct pend: queued, not sent yet */
    struct pend *head, *tail;
    /* The flush in flight: its charger writes and the statements that
     * have not answered yet. Writes queued meanwhile wait for its end. */
    glv_strmap *flight_map; /* identity → struct pend */
    struct pend *flight;
    unsigned outstanding;
    bool flushing;
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
    r->pending = glv_strmap_new();
    r->self = r->seen && r->pending ? glv_core_plugin_new(core, "registry") : NULL;
    if (!r->self) {
        glv_strmap_free(r->seen);
        glv_strmap_free(r->pending);
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

static void waiters_free(struct waiter *w)
{
    while (w) {
        struct waiter *next = w->next;
        free(w);
        w = next;
    }
}

static void pends_free(struct pend *p)
{
    while (p) {
        struct pend *next = p->next;
        json_decref(p->fields);
        waiters_free(p->prov);
        waiters_free(p->att);
        free(p);
        p = next;
    }
}

/* Queued writes nobody can run any more are dropped without callbacks, as
 * the database pool drops its queue. */
void glv_registry_free(glv_registry *r)
{
    if (!r)
        return;
    glv_strmap_each(r->seen, free_seen, NULL);
    glv_strmap_free(r->seen);
    pends_free(r->head);
    glv_strmap_free(r->pending);
    pends_free(r->flight);
    glv_strmap_free(r->flight_map);
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

/* The record of row `row` of res (new). */
static json_t *record_from_row(const glv_host *h, const glv_db_result *res, int row)
{
    static const char *const names[] = {
        "identity",     "status",    "security_profile", "password_hash", "lenient",   "connectors",
        "vendor",       "model",     "serial",           "firmware",      "transport", "node",
        "connected_at", "last_seen", "created_at"};
    json_t *o = json_object();
    for (int i = 0; o && i < (int)(sizeof(names) / sizeof(names[0])); i++) {
        const char *v = h->db_value(res, row, i);
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
        rec = record_from_row(h, res, 0);
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

/* ---- writes: queued per charger, flushed through group commit ----
 *
 * Every write of the registry joins a queue, one entry per charger. When
 * no flush is in flight the queue is sent at once; otherwise it grows until
 * the flush in flight has committed, and is then sent as one flush: the
 * provisions (one statement each, merged per charger), every detach, attach
 * and last_seen update of the flush as one statement each, all issued in
 * one loop turn so that group commit puts them in one transaction. A storm
 * of reconnecting chargers thus costs a few statements per commit instead
 * of one transaction per charger. A flush in flight keeps the database
 * pool busy, so a drain waits for it and for what queued behind it. */

static void flush(registry *r);

static void deliver(struct waiter *w, const json_t *rec, const json_t *err)
{
    while (w) {
        struct waiter *next = w->next;
        if (w->done)
            w->done(rec, err, w->arg);
        free(w);
        w = next;
    }
}

static json_t *error_new(const char *code, const char *message, const char *identity)
{
    json_t *e = json_pack("{s:s, s:s}", "code", code, "message", message);
    if (e && identity)
        json_object_set_new(e, "identity", json_string(identity));
    return e;
}

static void deliver_attach(struct pend *p, const json_t *rec, const json_t *err)
{
    deliver(p->att, rec, err);
    p->att = NULL;
    p->att_tail = &p->att;
    p->attach_answered = true;
}

static void stmt_done(const glv_db_result *res, void *arg);

static void stmt_failed(void *arg)
{
    stmt_done(NULL, arg);
}

/* Issues one statement of the flush through group commit; its outcome
 * always comes to stmt_done on a later loop turn (a statement that could
 * not be issued as a failure without a result). While the pool drains,
 * writes accepted before the drain are still finished. */
static void stmt_submit(registry *r, enum stmt_kind kind, struct pend *one, const char *sql, int n,
                        const char *const *params)
{
    struct stmt *s = calloc(1, sizeof(*s));
    if (!s) {
        glv_log(GLV_LOG_ERR, "registry", "out of memory: a charger write is dropped");
        return;
    }
    s->r = r;
    s->kind = kind;
    s->one = one;
    glv_core *core = r->self->core;
    int rc = -ENOMEM;
    if (!sql) {
        rc = -ENOMEM;
    } else if (!core->db) {
        rc = -ENOTCONN;
    } else if (!core->db->draining) {
        rc = core->host.db_group(r->self, sql, n, params, stmt_done, s);
    } else {
        glv_db_op *op = glv_db_op_new(GLV_DB_OP_PREPARED, sql, n, params, stmt_done, s);
        rc = op ? glv_db_group_submit(core->db, op) : -ENOMEM;
    }
    if (rc < 0 && core->host.defer(r->self, stmt_failed, s) < 0) {
        glv_log(GLV_LOG_ERR, "registry", "out of memory: a charger write is dropped");
        free(s);
        return;
    }
    r->outstanding++;
}

/* The provision statement's parameters for fields (see SQL_PROVISION);
 * profile and connectors hold their text. */
static void provision_params(const char *identity, const json_t *fields, const char *params[15],
                             char profile[16], char connectors[16])
{
    const json_t *v;
    profile[0] = connectors[0] = '\0';
    if ((v = json_object_get(fields, "security_profile")))
        snprintf(profile, 16, "%d", (int)json_integer_value(v));
    if ((v = json_object_get(fields, "connectors")))
        snprintf(connectors, 16, "%d", (int)json_integer_value(v));
    const json_t *lenient = json_object_get(fields, "lenient");
    params[0] = identity;
    params[1] = json_string_value(json_object_get(fields, "status"));
    params[2] = *profile ? profile : NULL;
    params[3] = lenient ? (json_is_true(lenient) ? "true" : "false") : NULL;
    params[4] = *connectors ? connectors : NULL;
    for (int i = 0; i < 5; i++) {
        const json_t *t = json_object_get(fields, text_fields[i]);
        params[5 + i] = json_string_value(t);
        params[10 + i] = t ? "1" : "0";
    }
}

static void submit_provision(registry *r, struct pend *p)
{
    const char *params[15];
    char profile[16], connectors[16];
    provision_params(p->identity, p->fields, params, profile, connectors);
    stmt_submit(r, ST_PROVISION, p, SQL_PROVISION, 15, params);
}

static void submit_attach_one(registry *r, struct pend *p)
{
    char channel[GLV_COMMANDS_CHANNEL_MAX];
    glv_core *core = r->self->core;
    glv_commands_channel(core->node_id, channel);
    const char *params[4] = {p->identity, p->transport, core->node_id, channel};
    stmt_submit(r, ST_ATTACH_ONE, p, SQL_ATTACH, 4, params);
}

/* A statement over many chargers: ids (stolen) is a JSON array. */
static void submit_many(registry *r, enum stmt_kind kind, const char *sql, json_t *ids)
{
    glv_core *core = r->self->core;
    char channel[GLV_COMMANDS_CHANNEL_MAX];
    glv_commands_channel(core->node_id, channel);
    char *text = json_dumps(ids, JSON_COMPACT);
    json_decref(ids);
    const char *params[3] = {text, core->node_id, channel};
    /* without the text, the statement fails on a later loop turn */
    stmt_submit(r, kind, NULL, text ? sql : NULL, kind == ST_ATTACH_MANY ? 3 : 2, params);
    free(text);
}

/* The last statement of the flight answered: queue the detaches that came
 * after an attach of the flight, free it and send what queued meanwhile. */
static void flight_end(registry *r)
{
    struct pend *done = r->flight;
    r->flight = NULL;
    glv_strmap_free(r->flight_map);
    r->flight_map = NULL;
    r->flushing = false;
    for (struct pend *p = done; p; p = p->next) {
        if (!p->detach_after)
            continue;
        struct pend *q = glv_strmap_get(r->pending, p->identity);
        if (!q || !q->attach) {
            /* the connection closed after the attach was sent */
            glv_plugin *self = r->self;
            self->core->host.charger_detach(self, p->identity);
        }
    }
    pends_free(done);
    flush(r);
}

static void step_done(registry *r)
{
    if (--r->outstanding == 0)
        flight_end(r);
}

static void flush(registry *r)
{
    if (r->flushing || !r->head)
        return;
    glv_strmap *fresh = glv_strmap_new();
    if (!fresh)
        return; /* sent with the next write or flush */
    r->flight = r->head;
    r->flight_map = r->pending;
    r->head = r->tail = NULL;
    r->pending = fresh;
    r->flushing = true;
    r->outstanding = 1; /* held while the statements are issued */

    json_t *detach = json_array(), *attach = json_array(), *seen = json_array();
    for (struct pend *p = r->flight; p; p = p->next) {
        if (p->detach && !p->attach)
            json_array_append_new(detach, json_string(p->identity));
        if (p->attach)
            json_array_append_new(attach, json_pack("[ss]", p->identity, p->transport));
        else if (p->seen)
            json_array_append_new(seen, json_string(p->identity));
    }
    if (json_array_size(detach) > 0)
        submit_many(r, ST_DETACH_MANY, SQL_DETACH_MANY, json_incref(detach));
    for (struct pend *p = r->flight; p; p = p->next)
        if (p->fields)
            submit_provision(r, p);
    if (json_array_size(attach) > 0)
        submit_many(r, ST_ATTACH_MANY, SQL_ATTACH_MANY, json_incref(attach));
    if (json_array_size(seen) > 0)
        submit_many(r, ST_SEEN_MANY, SQL_SEEN_MANY, json_incref(seen));
    json_decref(detach);
    json_decref(attach);
    json_decref(seen);
    step_done(r);
}

static void stmt_done(const glv_db_result *res, void *arg)
{
    struct stmt *s = arg;
    registry *r = s->r;
    const glv_host *h = &r->self->core->host;
    json_t *err = NULL;
    if (!res || !h->db_ok(res))
        err = error_new("database",
                        res && h->db_error(res) ? h->db_error(res)
                                                : "the write could not be issued (out of memory)",
                        NULL);
    switch (s->kind) {
    case ST_PROVISION: {
        struct pend *p = s->one;
        json_t *rec = NULL;
        if (!err && h->db_rows(res) > 0 && !(rec = record_from_row(h, res, 0)))
            err = error_new("database", "out of memory", NULL);
        else if (!err && !rec)
            err = error_new("database", "the charger was not written", p->identity);
        deliver(p->prov, rec, err);
        p->prov = NULL;
        p->prov_tail = &p->prov;
        json_decref(rec);
        break;
    }
    case ST_ATTACH_ONE: {
        struct pend *p = s->one;
        json_t *rec = NULL;
        if (!err && h->db_rows(res) > 0 && !(rec = record_from_row(h, res, 0)))
            err = error_new("database", "out of memory", NULL);
        else if (!err && !rec)
            err = error_new("unknown", "no charger with this identity", p->identity);
        deliver_attach(p, rec, err);
        json_decref(rec);
        break;
    }
    case ST_ATTACH_MANY:
        if (err && res) {
            /* one charger may have been removed meanwhile: each on its own,
             * so that only its attach fails */
            for (struct pend *p = r->flight; p; p = p->next)
                if (p->attach)
                    submit_attach_one(r, p);
            break;
        }
        for (int i = 0; !err && i < h->db_rows(res); i++) {
            struct pend *p = glv_strmap_get(r->flight_map, h->db_value(res, i, 0));
            if (!p || !p->attach || p->attach_answered)
                continue;
            json_t *rec = record_from_row(h, res, i);
            json_t *oom = rec ? NULL : error_new("database", "out of memory", NULL);
            deliver_attach(p, rec, oom);
            json_decref(rec);
            json_decref(oom);
        }
        for (struct pend *p = r->flight; p; p = p->next) {
            if (!p->attach || p->attach_answered)
                continue;
            if (err) {
                deliver_attach(p, NULL, err);
            } else {
                json_t *unknown =
                    error_new("unknown", "no charger with this identity", p->identity);
                deliver_attach(p, NULL, unknown);
                json_decref(unknown);
            }
        }
        break;
    case ST_DETACH_MANY:
    case ST_SEEN_MANY:
        if (err)
            glv_log(GLV_LOG_WARNING, "registry", "charger connections not recorded: %s",
                    json_string_value(json_object_get(err, "message")));
        break;
    }
    json_decref(err);
    free(s);
    step_done(r);
}

/* The queue entry of identity, made when needed; NULL when out of memory. */
static struct pend *pend_of(registry *r, const char *identity)
{
    struct pend *p = glv_strmap_get(r->pending, identity);
    if (p)
        return p;
    size_t n = strlen(identity);
    p = calloc(1, sizeof(*p) + n + 1);
    if (!p)
        return NULL;
    memcpy(p->identity, identity, n + 1);
    p->prov_tail = &p->prov;
    p->att_tail = &p->att;
    if (glv_strmap_put(r->pending, p->identity, p) != 0) {
        free(p);
        return NULL;
    }
    if (r->tail)
        r->tail->next = p;
    else
        r->head = p;
    r->tail = p;
    return p;
}

static int waiter_add(struct waiter ***tail, glv_charger_fn done, void *arg)
{
    struct waiter *w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->done = done;
    w->arg = arg;
    **tail = w;
    *tail = &w->next;
    return 0;
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
    registry *reg = registry_of(p);
    struct pend *q = reg ? pend_of(reg, identity) : NULL;
    if (!q || (!q->fields && !(q->fields = json_object())) ||
        json_object_update(q->fields, (json_t *)fields) != 0 ||
        waiter_add(&q->prov_tail, done, arg) != 0)
        return glv_fail(p, -ENOMEM, "charger_provision: out of memory");
    flush(reg);
    return 0;
}

static int host_charger_attach(glv_plugin *p, const char *identity, const char *transport,
                               glv_charger_fn done, void *arg)
{
    int r = check_identity(p, "charger_attach", identity);
    if (r < 0)
        return r;
    if (!transport || !*transport || strlen(transport) > GLV_TRANSPORT_MAX)
        return glv_fail(p, -EINVAL, "charger_attach: the transport name must have 1 to 64 bytes");
    /* Commands for the charger may arrive from now on. */
    glv_commands_listen(p->core);
    registry *reg = registry_of(p);
    struct pend *q = reg ? pend_of(reg, identity) : NULL;
    if (!q || waiter_add(&q->att_tail, done, arg) != 0)
        return glv_fail(p, -ENOMEM, "charger_attach: out of memory");
    /* the connection row written now replaces any, and sets last_seen */
    q->attach = true;
    q->detach = q->detach_after = q->seen = false;
    snprintf(q->transport, sizeof(q->transport), "%s", transport);
    flush(reg);
    return 0;
}

static int host_charger_detach(glv_plugin *p, const char *identity)
{
    int r = check_identity(p, "charger_detach", identity);
    if (r < 0)
        return r;
    registry *reg = registry_of(p);
    struct pend *q = reg ? pend_of(reg, identity) : NULL;
    if (!q)
        return glv_fail(p, -ENOMEM, "charger_detach: out of memory");
    if (q->attach)
        q->detach_after = true; /* after the attach: by the next flush */
    else
        q->detach = true;
    q->seen = false;
    flush(reg);
    return 0;
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
    struct pend *q = pend_of(reg, identity);
    if (!q)
        return glv_fail(p, -ENOMEM, "charger_seen: out of memory");
    if (!q->attach && !q->detach)
        q->seen = true;
    flush(reg);
    return 0;
}

void glv_registry_fill_host(glv_host *h)
{
    h->charger_lookup = host_charger_lookup;
    h->charger_provision = host_charger_provision;
    h->charger_attach = host_charger_attach;
    h->charger_detach = host_charger_detach;
    h->charger_seen = host_charger_seen;
}
