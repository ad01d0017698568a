/*
 * galvani core — explicit transactions (db_begin … db_commit/db_rollback):
 * one pool connection held from BEGIN to COMMIT or ROLLBACK, statements run
 * in the order issued.
 */
#include "db-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum txn_state {
    TXN_WAITING = 0, /* for a connection */
    TXN_BEGINNING,
    TXN_OPEN,
    TXN_COMMITTING, /* COMMIT queued or sent */
    TXN_ROLLING_BACK,
    TXN_BROKEN, /* connection lost; waits for commit or rollback */
};

struct glv_db_txn {
    glv_db_waiter w; /* first */
    glv_db *db;
    glv_plugin *p;
    glv_db_conn *conn;
    enum txn_state state;
    glv_db_txn_fn ready;
    void *ready_arg;
    glv_db_op *head, *tail; /* not sent yet */
    glv_db_op begin_op, rollback_op;
    glv_db_op *commit_op;
    int released; /* the owner let go (rollback): free once the connection is back */
};

static void txn_free(glv_db_txn *txn)
{
    txn->db->open_txns--;
    free(txn);
}

/* Fails every statement not sent yet. */
static void fail_queued(glv_db_txn *txn, const char *sqlstate, const char *msg)
{
    glv_db_op *op = txn->head;
    txn->head = txn->tail = NULL;
    while (op) {
        glv_db_op *next = op->next;
        glv_db_fail_later(txn->db, op, sqlstate, "%s", msg);
        op = next;
    }
}

static void pump(glv_db_txn *txn)
{
    glv_db_conn *c = txn->conn;
    if (!c || c->op)
        return;
    if (txn->state == TXN_ROLLING_BACK) {
        glv_db_op_init_static(&txn->rollback_op, "ROLLBACK");
        glv_db_conn_send(c, &txn->rollback_op);
        return;
    }
    glv_db_op *op = txn->head;
    if (!op)
        return;
    txn->head = op->next;
    if (!txn->head)
        txn->tail = NULL;
    op->next = NULL;
    glv_db_conn_send(c, op);
}

static glv_db_txn *txn_of(glv_db_waiter *w)
{
    return (glv_db_txn *)w;
}

void glv_db_txn_on_conn(glv_db_conn *c, glv_db_waiter *w)
{
    glv_db_txn *txn = txn_of(w);
    txn->conn = c;
    c->owner = GLV_DB_OWNER_TXN;
    c->owner_ptr = txn;
    txn->state = TXN_BEGINNING;
    glv_db_op_init_static(&txn->begin_op, "BEGIN");
    glv_db_conn_send(c, &txn->begin_op);
}

static void give_back(glv_db_txn *txn)
{
    glv_db_conn *c = txn->conn;
    txn->conn = NULL;
    txn_free(txn);
    glv_db_conn_release(c);
}

void glv_db_txn_done(glv_db_conn *c, glv_db_op *op)
{
    glv_db_txn *txn = c->owner_ptr;
    glv_db *db = txn->db;
    c->op = NULL;
    if (op == &txn->begin_op) {
        if (!op->res.ok) {
            glv_db_result res = op->res;
            memset(&op->res, 0, sizeof(op->res));
            txn->ready(NULL, &res, txn->ready_arg);
            glv_db_result_clear(&res);
            give_back(txn);
            return;
        }
        glv_db_result_clear(&op->res);
        txn->state = TXN_OPEN;
        txn->ready(txn, NULL, txn->ready_arg);
        pump(txn);
        return;
    }
    if (op == &txn->rollback_op) {
        glv_db_result_clear(&op->res);
        give_back(txn);
        return;
    }
    if (op == txn->commit_op) {
        /* COMMIT of a transaction in error answers "ROLLBACK". */
        if (op->res.ok && op->res.pg && strcmp(PQcmdStatus(op->res.pg), "COMMIT") != 0)
            glv_db_result_error(&op->res, "40000",
                                "transaction rolled back: a statement in it failed");
        txn->commit_op = NULL;
        glv_db_count(db, op);
        glv_db_op_report(op);
        glv_db_op_free(op);
        give_back(txn);
        return;
    }
    if (txn->state == TXN_ROLLING_BACK)
        glv_db_result_error(&op->res, "40000", "transaction rolled back by its owner");
    glv_db_count(db, op);
    glv_db_op_report(op);
    glv_db_op_free(op);
    pump(txn);
}

void glv_db_txn_broken(glv_db *db, void *ptr, glv_db_op *inflight)
{
    glv_db_txn *txn = ptr;
    txn->conn = NULL;
    char msg[400];
    snprintf(msg, sizeof(msg),
             "connection to PostgreSQL lost; the transaction was not committed (%s)",
             db->last_error);
    if (txn->state == TXN_BEGINNING) {
        glv_db_result res = {0};
        glv_db_result_error(&res, "08006", "%s", msg);
        txn->ready(NULL, &res, txn->ready_arg);
        glv_db_result_clear(&res);
        txn_free(txn);
        return;
    }
    if (inflight && inflight == txn->commit_op) {
        txn->commit_op = NULL;
        glv_db_fail_later(db, inflight, "08007",
                          "connection to PostgreSQL lost during COMMIT; the outcome is unknown "
                          "(%s)",
                          db->last_error);
        fail_queued(txn, "08006", msg);
        txn_free(txn);
        return;
    }
    if (inflight && inflight != &txn->rollback_op)
        glv_db_fail_later(db, inflight, "08006", "%s", msg);
    if (txn->commit_op) {
        /* COMMIT was queued behind other statements: it fails too. */
        glv_db_op *commit = txn->commit_op;
        txn->commit_op = NULL;
        for (glv_db_op **pp = &txn->head; *pp; pp = &(*pp)->next) {
            if (*pp == commit) {
                *pp = commit->next;
                break;
            }
        }
        txn->tail = NULL;
        for (glv_db_op *o = txn->head; o; o = o->next)
            txn->tail = o;
        fail_queued(txn, "08006", msg);
        glv_db_fail_later(db, commit, "08006", "%s", msg);
        txn_free(txn);
        return;
    }
    fail_queued(txn, "08006", msg);
    if (txn->state == TXN_ROLLING_BACK || txn->released) {
        txn_free(txn);
        return;
    }
    txn->state = TXN_BROKEN;
}

void glv_db_txn_timeout(glv_db *db, glv_db_waiter *w, const char *sqlstate, const char *msg)
{
    glv_db_txn *txn = txn_of(w);
    glv_db_result res = {0};
    glv_db_result_error(&res, sqlstate, "%s", msg);
    txn->ready(NULL, &res, txn->ready_arg);
    glv_db_result_clear(&res);
    txn_free(txn);
}

/* ---- host functions ---- */

int glv_db_host_begin(glv_plugin *p, glv_db_txn_fn ready, void *arg)
{
    glv_db *db = p->core->db;
    if (!ready)
        return glv_fail(p, -EINVAL, "db_begin: ready callback is NULL");
    if (!db)
        return glv_fail(p, -ENOTCONN, "db_begin: no database is configured");
    if (db->draining)
        return glv_fail(p, -ESHUTDOWN, "db_begin: the database pool is shutting down");
    glv_db_txn *txn = calloc(1, sizeof(*txn));
    if (!txn)
        return glv_fail(p, -ENOMEM, "db_begin: out of memory");
    txn->db = db;
    txn->p = p;
    txn->ready = ready;
    txn->ready_arg = arg;
    txn->w.kind = GLV_DB_WAIT_TXN;
    db->open_txns++;
    glv_db_wait_push(db, &txn->w);
    return 0;
}

int glv_db_host_txn_query(glv_db_txn *txn, const char *sql, int nparams, const char *const *params,
                          glv_db_result_fn done, void *arg)
{
    if (!txn)
        return -EINVAL;
    if (!sql || nparams < 0 || nparams > 65535 || (nparams > 0 && !params))
        return glv_fail(txn->p, -EINVAL, "db_txn_query: bad statement or parameters");
    if (txn->state == TXN_COMMITTING || txn->state == TXN_ROLLING_BACK || txn->released)
        return glv_fail(txn->p, -EINVAL, "db_txn_query: the transaction is already ending");
    glv_db_op *op = glv_db_op_new(GLV_DB_OP_PREPARED, sql, nparams, params, done, arg);
    if (!op)
        return glv_fail(txn->p, -ENOMEM, "db_txn_query: out of memory");
    if (txn->state == TXN_BROKEN) {
        glv_db_fail_later(txn->db, op, "08006",
                          "connection to PostgreSQL lost; the transaction was not committed");
        return 0;
    }
    if (txn->tail)
        txn->tail->next = op;
    else
        txn->head = op;
    txn->tail = op;
    pump(txn);
    return 0;
}

int glv_db_host_commit(glv_db_txn *txn, glv_db_result_fn done, void *arg)
{
    if (!txn)
        return -EINVAL;
    if (txn->state == TXN_COMMITTING || txn->state == TXN_ROLLING_BACK || txn->released)
        return glv_fail(txn->p, -EINVAL, "db_commit: the transaction is already ending");
    glv_db_op *op = glv_db_op_new(GLV_DB_OP_SIMPLE, "COMMIT", 0, NULL, done, arg);
    if (!op)
        return glv_fail(txn->p, -ENOMEM, "db_commit: out of memory");
    op->internal = 1;
    if (txn->state == TXN_BROKEN) {
        glv_db_fail_later(txn->db, op, "08006",
                          "connection to PostgreSQL lost; the transaction was not committed");
        txn_free(txn);
        return 0;
    }
    txn->state = TXN_COMMITTING;
    txn->commit_op = op;
    if (txn->tail)
        txn->tail->next = op;
    else
        txn->head = op;
    txn->tail = op;
    pump(txn);
    return 0;
}

void glv_db_host_rollback(glv_db_txn *txn)
{
    if (!txn || txn->released || txn->state == TXN_COMMITTING)
        return;
    txn->released = 1;
    fail_queued(txn, "40000", "transaction rolled back by its owner");
    if (txn->state == TXN_BROKEN || !txn->conn) {
        txn_free(txn);
        return;
    }
    txn->state = TXN_ROLLING_BACK;
    pump(txn);
}
