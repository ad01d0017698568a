/*
 * galvani core — single statements (db_query): each runs in its own implicit
 * transaction on whichever pool connection is free first.
 */
#include "db-internal.h"

#include <errno.h>

int glv_db_query_submit(glv_db *db, glv_db_op *op)
{
    op->w.kind = GLV_DB_WAIT_QUERY;
    glv_db_wait_push(db, &op->w);
    return 0;
}

void glv_db_query_on_conn(glv_db_conn *c, glv_db_op *op)
{
    c->owner = GLV_DB_OWNER_QUERY;
    c->owner_ptr = op;
    glv_db_conn_send(c, op);
}

void glv_db_query_done(glv_db_conn *c, glv_db_op *op)
{
    glv_db *db = c->db;
    /* The connection is free again before the callback issues more work. */
    c->owner = GLV_DB_OWNER_NONE;
    c->owner_ptr = NULL;
    if (c->state == GLV_DB_CONN_BUSY)
        c->state = GLV_DB_CONN_IDLE;
    glv_db_count(db, op);
    glv_db_op_report(op);
    glv_db_op_free(op);
    glv_db_dispatch(db);
}

void glv_db_query_broken(glv_db *db, glv_db_op *op)
{
    glv_db_fail_later(db, op, "08006", "connection to PostgreSQL lost while the statement ran (%s)",
                      db->last_error);
}
