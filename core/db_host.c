/*
 * galvani core — the PostgreSQL part of the host table: argument checks for
 * db_query and db_group, and the result accessors.
 */
#include "db-internal.h"

#include <errno.h>
#include <stdlib.h>

static int check_statement(glv_plugin *p, const char *what, const char *sql, int nparams,
                           const char *const *params)
{
    if (!sql || !*sql)
        return glv_fail(p, -EINVAL, "%s: the statement is empty", what);
    if (nparams < 0 || nparams > 65535 || (nparams > 0 && !params))
        return glv_fail(p, -EINVAL, "%s: bad parameter count %d", what, nparams);
    glv_db *db = p->core->db;
    if (!db)
        return glv_fail(p, -ENOTCONN, "%s: no database is configured", what);
    if (db->draining)
        return glv_fail(p, -ESHUTDOWN, "%s: the database pool is shutting down", what);
    return 0;
}

static int host_query(glv_plugin *p, const char *sql, int nparams, const char *const *params,
                      glv_db_result_fn done, void *arg)
{
    int r = check_statement(p, "db_query", sql, nparams, params);
    if (r < 0)
        return r;
    glv_db_op *op = glv_db_op_new(GLV_DB_OP_PREPARED, sql, nparams, params, done, arg);
    if (!op)
        return glv_fail(p, -ENOMEM, "db_query: out of memory");
    return glv_db_query_submit(p->core->db, op);
}

static int host_group(glv_plugin *p, const char *sql, int nparams, const char *const *params,
                      glv_db_result_fn done, void *arg)
{
    int r = check_statement(p, "db_group", sql, nparams, params);
    if (r < 0)
        return r;
    glv_db_op *op = glv_db_op_new(GLV_DB_OP_PREPARED, sql, nparams, params, done, arg);
    if (!op)
        return glv_fail(p, -ENOMEM, "db_group: out of memory");
    return glv_db_group_submit(p->core->db, op);
}

static int res_ok(const glv_db_result *res)
{
    return res && res->ok;
}

static const char *res_error(const glv_db_result *res)
{
    return res && !res->ok ? res->error : NULL;
}

static const char *res_sqlstate(const glv_db_result *res)
{
    return res && !res->ok ? res->sqlstate : NULL;
}

static int res_rows(const glv_db_result *res)
{
    return res && res->ok && res->pg ? PQntuples(res->pg) : 0;
}

static int res_cols(const glv_db_result *res)
{
    return res && res->ok && res->pg ? PQnfields(res->pg) : 0;
}

static const char *res_col_name(const glv_db_result *res, int col)
{
    if (col < 0 || col >= res_cols(res))
        return NULL;
    return PQfname(res->pg, col);
}

static const char *res_value(const glv_db_result *res, int row, int col)
{
    if (row < 0 || row >= res_rows(res) || col < 0 || col >= res_cols(res))
        return NULL;
    if (PQgetisnull(res->pg, row, col))
        return NULL;
    return PQgetvalue(res->pg, row, col);
}

static int64_t res_affected(const glv_db_result *res)
{
    if (!res || !res->ok || !res->pg)
        return 0;
    const char *n = PQcmdTuples(res->pg);
    return n && *n ? strtoll(n, NULL, 10) : 0;
}

void glv_db_fill_host(glv_host *h)
{
    h->db_query = host_query;
    h->db_group = host_group;
    h->db_begin = glv_db_host_begin;
    h->db_txn_query = glv_db_host_txn_query;
    h->db_commit = glv_db_host_commit;
    h->db_rollback = glv_db_host_rollback;
    h->db_listen = glv_db_host_listen;
    h->db_notify = glv_db_host_notify;
    h->db_ok = res_ok;
    h->db_error = res_error;
    h->db_sqlstate = res_sqlstate;
    h->db_rows = res_rows;
    h->db_cols = res_cols;
    h->db_col_name = res_col_name;
    h->db_value = res_value;
    h->db_affected = res_affected;
}
