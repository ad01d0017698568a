/*
 * galvani core — LISTEN/NOTIFY: one dedicated connection outside the pool
 * that LISTENs on every channel asked for (again after each reconnect) and
 * hands notifications to their listeners; NOTIFY goes through the pool.
 */
#include "db-internal.h"
#include "log-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct glv_db_listener {
    glv_db_listener *next;
    char *channel; /* owned */
    glv_db_notify_fn fn;
    void *arg;
};

#define GLV_DB_CHANNEL_MAX 63    /* NAMEDATALEN - 1 */
#define GLV_DB_PAYLOAD_MAX 7999u /* the server's limit is below 8000 bytes */

static int listen_up(const glv_db *db)
{
    glv_db_conn *c = db->listen_conn;
    return c && c->pg && c->owner == GLV_DB_OWNER_LISTEN;
}

static void listen_pump(glv_db_conn *c)
{
    glv_db *db = c->db;
    if (c->op || !db->listen_head)
        return;
    glv_db_op *op = db->listen_head;
    db->listen_head = op->next;
    if (!db->listen_head)
        db->listen_tail = NULL;
    op->next = NULL;
    glv_db_conn_send(c, op);
}

/* Queues "LISTEN channel" on the listen connection (which is up). */
static void queue_listen(glv_db *db, const char *channel)
{
    glv_db_conn *c = db->listen_conn;
    char *ident = PQescapeIdentifier(c->pg, channel, strlen(channel));
    if (!ident)
        return;
    char *sql = NULL;
    int n = asprintf(&sql, "LISTEN %s", ident);
    PQfreemem(ident);
    if (n < 0)
        return;
    glv_db_op *op = glv_db_op_new(GLV_DB_OP_SIMPLE, sql, 0, NULL, NULL, NULL);
    free(sql);
    if (!op)
        return;
    op->internal = 1;
    if (db->listen_tail)
        db->listen_tail->next = op;
    else
        db->listen_head = op;
    db->listen_tail = op;
}

static int channel_seen_before(const glv_db *db, const glv_db_listener *l)
{
    for (const glv_db_listener *o = db->listeners; o && o != l; o = o->next)
        if (strcmp(o->channel, l->channel) == 0)
            return 1;
    return 0;
}

void glv_db_listen_ready(glv_db_conn *c)
{
    glv_db *db = c->db;
    c->owner = GLV_DB_OWNER_LISTEN;
    c->owner_ptr = NULL;
    for (glv_db_listener *l = db->listeners; l; l = l->next)
        if (!channel_seen_before(db, l))
            queue_listen(db, l->channel);
    listen_pump(c);
}

void glv_db_listen_done(glv_db_conn *c, glv_db_op *op)
{
    if (!op->res.ok)
        glv_log(GLV_LOG_ERR, "db", "%s failed: %s", op->sql, op->res.error);
    glv_db_op_free(op);
    listen_pump(c);
}

static void drop_queued(glv_db *db)
{
    while (db->listen_head) {
        glv_db_op *op = db->listen_head;
        db->listen_head = op->next;
        glv_db_op_free(op);
    }
    db->listen_tail = NULL;
}

void glv_db_listen_broken(glv_db *db)
{
    /* Every channel is LISTENed again once the connection is back. */
    drop_queued(db);
}

void glv_db_listen_deliver(glv_db_conn *c)
{
    glv_db *db = c->db;
    PGnotify *n;
    while (c->pg && (n = PQnotifies(c->pg)) != NULL) {
        for (glv_db_listener *l = db->listeners; l; l = l->next)
            if (strcmp(l->channel, n->relname) == 0)
                l->fn(n->relname, n->extra ? n->extra : "", l->arg);
        PQfreemem(n);
    }
}

void glv_db_listen_free_all(glv_db *db)
{
    drop_queued(db);
    while (db->listeners) {
        glv_db_listener *l = db->listeners;
        db->listeners = l->next;
        free(l->channel);
        free(l);
    }
}

/* ---- host functions ---- */

int glv_db_host_listen(glv_plugin *p, const char *channel, glv_db_notify_fn fn, void *arg)
{
    glv_db *db = p->core->db;
    if (!db)
        return glv_fail(p, -ENOTCONN, "db_listen: no database is configured");
    if (!channel || !*channel || strlen(channel) > GLV_DB_CHANNEL_MAX || !fn)
        return glv_fail(p, -EINVAL, "db_listen: the channel must have 1 to %d bytes and a callback",
                        GLV_DB_CHANNEL_MAX);
    glv_db_listener *l = calloc(1, sizeof(*l));
    if (!l || !(l->channel = strdup(channel))) {
        free(l);
        return glv_fail(p, -ENOMEM, "db_listen: out of memory");
    }
    l->fn = fn;
    l->arg = arg;
    glv_db_listener **tail = &db->listeners;
    while (*tail)
        tail = &(*tail)->next;
    *tail = l;
    if (!db->listen_conn) {
        db->listen_conn = glv_db_listen_conn_new(db);
        if (!db->listen_conn)
            return glv_fail(p, -ENOMEM, "db_listen: out of memory");
        if (db->started && !db->draining)
            glv_db_conn_open(db->listen_conn);
    } else if (listen_up(db) && !channel_seen_before(db, l)) {
        queue_listen(db, channel);
        listen_pump(db->listen_conn);
    }
    return 0;
}

static void notify_done(const glv_db_result *res, void *arg)
{
    if (!res->ok)
        glv_log(GLV_LOG_ERR, "db", "NOTIFY failed: %s", res->error);
}

int glv_db_host_notify(glv_plugin *p, const char *channel, const char *payload)
{
    glv_db *db = p->core->db;
    if (!db)
        return glv_fail(p, -ENOTCONN, "db_notify: no database is configured");
    if (db->draining)
        return glv_fail(p, -ESHUTDOWN, "db_notify: the database pool is shutting down");
    if (!channel || !*channel || strlen(channel) > GLV_DB_CHANNEL_MAX)
        return glv_fail(p, -EINVAL, "db_notify: the channel must have 1 to %d bytes",
                        GLV_DB_CHANNEL_MAX);
    if (!payload)
        payload = "";
    if (strlen(payload) > GLV_DB_PAYLOAD_MAX)
        return glv_fail(p, -EMSGSIZE, "db_notify: payload longer than %u bytes",
                        GLV_DB_PAYLOAD_MAX);
    const char *params[2] = {channel, payload};
    glv_db_op *op =
        glv_db_op_new(GLV_DB_OP_PREPARED, "SELECT pg_notify($1, $2)", 2, params, notify_done, NULL);
    if (!op)
        return glv_fail(p, -ENOMEM, "db_notify: out of memory");
    return glv_db_query_submit(db, op);
}
