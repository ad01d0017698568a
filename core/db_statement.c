/*
 * galvani core — statements and their results: copying a statement's text
 * and parameters, preparing it once per connection (named by a hash of its
 * text), executing it, and turning libpq results into glv_db_result.
 */
#include "db-internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a, 64 bits; 0 is reserved for free cache slots. */
static uint64_t sql_hash(const char *sql)
{
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *s = (const unsigned char *)sql; *s; s++) {
        h ^= *s;
        h *= 1099511628211ull;
    }
    return h ? h : 1;
}

glv_db_op *glv_db_op_new(enum glv_db_op_kind kind, const char *sql, int nparams,
                         const char *const *params, glv_db_result_fn done, void *arg)
{
    glv_db_op *op = calloc(1, sizeof(*op));
    if (!op)
        return NULL;
    op->w.kind = GLV_DB_WAIT_QUERY;
    op->kind = kind;
    op->done = done;
    op->arg = arg;
    op->sql = strdup(sql);
    if (!op->sql)
        goto fail;
    op->hash = sql_hash(sql);
    if (nparams > 0) {
        op->params = calloc((size_t)nparams, sizeof(char *));
        if (!op->params)
            goto fail;
        op->nparams = nparams;
        for (int i = 0; i < nparams; i++) {
            if (params && params[i]) {
                op->params[i] = strdup(params[i]);
                if (!op->params[i])
                    goto fail;
            }
        }
    }
    return op;
fail:
    glv_db_op_free(op);
    return NULL;
}

void glv_db_op_init_static(glv_db_op *op, const char *sql)
{
    memset(op, 0, sizeof(*op));
    op->kind = GLV_DB_OP_SIMPLE;
    op->sql = (char *)sql;
    op->internal = 1;
}

void glv_db_op_free(glv_db_op *op)
{
    if (!op)
        return;
    glv_db_result_clear(&op->res);
    for (int i = 0; i < op->nparams; i++)
        free(op->params[i]);
    free(op->params);
    free(op->sql);
    free(op);
}

/* ---- per-connection cache of prepared statements ---- */

/* Index of hash's slot: its entry, or the free slot where it would go. */
static size_t cache_slot(const glv_db_stmt_cache *cache, uint64_t hash)
{
    size_t mask = cache->cap - 1;
    size_t i = (size_t)hash & mask;
    while (cache->hashes[i] != 0 && cache->hashes[i] != hash)
        i = (i + 1) & mask;
    return i;
}

static int cache_grow(glv_db_stmt_cache *cache)
{
    size_t cap = cache->cap ? cache->cap * 2 : 64;
    glv_db_stmt_cache bigger = {calloc(cap, sizeof(uint64_t)), calloc(cap, sizeof(char *)), cap,
                                cache->count};
    if (!bigger.hashes || !bigger.sqls) {
        free(bigger.hashes);
        free(bigger.sqls);
        return -ENOMEM;
    }
    for (size_t i = 0; i < cache->cap; i++) {
        if (cache->hashes[i]) {
            size_t j = cache_slot(&bigger, cache->hashes[i]);
            bigger.hashes[j] = cache->hashes[i];
            bigger.sqls[j] = cache->sqls[i];
        }
    }
    free(cache->hashes);
    free(cache->sqls);
    *cache = bigger;
    return 0;
}

/* 1 prepared with this text, 0 not prepared, -1 the name is taken by
 * another text (a hash collision: such a statement runs unnamed). */
static int cache_lookup(const glv_db_stmt_cache *cache, uint64_t hash, const char *sql)
{
    if (!cache->cap)
        return 0;
    size_t i = cache_slot(cache, hash);
    if (!cache->hashes[i])
        return 0;
    return strcmp(cache->sqls[i], sql) == 0 ? 1 : -1;
}

static void cache_add(glv_db_stmt_cache *cache, uint64_t hash, const char *sql)
{
    if ((cache->count + 1) * 2 > cache->cap && cache_grow(cache) != 0)
        return; /* not cached: it is prepared again next time */
    char *copy = strdup(sql);
    if (!copy)
        return;
    size_t i = cache_slot(cache, hash);
    if (cache->hashes[i]) {
        free(copy);
        return;
    }
    cache->hashes[i] = hash;
    cache->sqls[i] = copy;
    cache->count++;
}

/* Takes hash out, moving later entries of its probe run back into the gap. */
static void cache_remove(glv_db_stmt_cache *cache, uint64_t hash)
{
    if (!cache->cap)
        return;
    size_t mask = cache->cap - 1;
    size_t i = cache_slot(cache, hash);
    if (!cache->hashes[i])
        return;
    free(cache->sqls[i]);
    cache->hashes[i] = 0;
    cache->sqls[i] = NULL;
    cache->count--;
    for (size_t j = (i + 1) & mask; cache->hashes[j]; j = (j + 1) & mask) {
        size_t home = (size_t)cache->hashes[j] & mask;
        /* an entry whose home lies cyclically in (i, j] stays */
        int stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (stays)
            continue;
        cache->hashes[i] = cache->hashes[j];
        cache->sqls[i] = cache->sqls[j];
        cache->hashes[j] = 0;
        cache->sqls[j] = NULL;
        i = j;
    }
}

void glv_db_stmt_cache_clear(glv_db_stmt_cache *cache)
{
    for (size_t i = 0; i < cache->cap; i++)
        free(cache->sqls[i]);
    free(cache->hashes);
    free(cache->sqls);
    memset(cache, 0, sizeof(*cache));
}

static void stmt_name(char out[24], uint64_t hash)
{
    snprintf(out, 24, "glv_%016llx", (unsigned long long)hash);
}

static int send_execute(glv_db_conn *c, glv_db_op *op)
{
    char name[24];
    stmt_name(name, op->hash);
    op->step = 2;
    return PQsendQueryPrepared(c->pg, name, op->nparams, (const char *const *)op->params, NULL,
                               NULL, 0)
               ? 0
               : -1;
}

int glv_db_op_start(glv_db_conn *c, glv_db_op *op)
{
    if (!op->started_us)
        op->started_us = glv_db_now_us();
    if (op->kind == GLV_DB_OP_SIMPLE) {
        op->step = 2;
        return PQsendQuery(c->pg, op->sql) ? 0 : -1;
    }
    switch (cache_lookup(&c->cache, op->hash, op->sql)) {
    case 1:
        return send_execute(c, op);
    case -1:
        op->step = 2;
        return PQsendQueryParams(c->pg, op->sql, op->nparams, NULL, (const char *const *)op->params,
                                 NULL, NULL, 0)
                   ? 0
                   : -1;
    default: {
        char name[24];
        stmt_name(name, op->hash);
        op->step = 1;
        return PQsendPrepare(c->pg, name, op->sql, 0, NULL) ? 0 : -1;
    }
    }
}

int glv_db_op_queue(glv_db_conn *c, glv_db_op *op, int *prepared)
{
    *prepared = 0;
    if (!op->started_us)
        op->started_us = glv_db_now_us();
    op->step = 2;
    switch (cache_lookup(&c->cache, op->hash, op->sql)) {
    case 1:
        break;
    case -1:
        return PQsendQueryParams(c->pg, op->sql, op->nparams, NULL, (const char *const *)op->params,
                                 NULL, NULL, 0)
                   ? 0
                   : -1;
    default: {
        char name[24];
        stmt_name(name, op->hash);
        if (!PQsendPrepare(c->pg, name, op->sql, 0, NULL))
            return -1;
        *prepared = 1;
        /* Later statements of the pipeline with the same text only execute. */
        cache_add(&c->cache, op->hash, op->sql);
        break;
    }
    }
    char name[24];
    stmt_name(name, op->hash);
    return PQsendQueryPrepared(c->pg, name, op->nparams, (const char *const *)op->params, NULL,
                               NULL, 0)
               ? 0
               : -1;
}

void glv_db_op_unprepare(glv_db_conn *c, const glv_db_op *op)
{
    if (cache_lookup(&c->cache, op->hash, op->sql) == 1)
        cache_remove(&c->cache, op->hash);
}

int glv_db_queue_simple(glv_db_conn *c, const char *sql)
{
    return PQsendQueryParams(c->pg, sql, 0, NULL, NULL, NULL, NULL, 0) ? 0 : -1;
}

int glv_db_op_step(glv_db_conn *c, glv_db_op *op, PGresult *res)
{
    if (op->step == 1) {
        if (PQresultStatus(res) == PGRES_COMMAND_OK) {
            PQclear(res);
            cache_add(&c->cache, op->hash, op->sql);
            return send_execute(c, op) == 0 ? 1 : -1;
        }
    }
    glv_db_result_clear(&op->res);
    glv_db_result_from_pg(&op->res, res);
    return 0;
}

void glv_db_op_report(glv_db_op *op)
{
    if (op->done)
        op->done(&op->res, op->arg);
}

/* ---- results ---- */

void glv_db_result_clear(glv_db_result *res)
{
    if (res->pg)
        PQclear(res->pg);
    free(res->msg);
    memset(res, 0, sizeof(*res));
}

void glv_db_result_from_pg(glv_db_result *res, PGresult *pg)
{
    memset(res, 0, sizeof(*res));
    res->pg = pg;
    ExecStatusType st = PQresultStatus(pg);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_SINGLE_TUPLE ||
        st == PGRES_EMPTY_QUERY) {
        res->ok = 1;
        return;
    }
    const char *primary = PQresultErrorField(pg, PG_DIAG_MESSAGE_PRIMARY);
    const char *detail = PQresultErrorField(pg, PG_DIAG_MESSAGE_DETAIL);
    const char *state = PQresultErrorField(pg, PG_DIAG_SQLSTATE);
    if (!primary)
        primary = PQresultErrorMessage(pg);
    if (!primary || !*primary)
        primary = PQresStatus(st);
    size_t len = strlen(primary) + (detail ? strlen(detail) + 4 : 0) + 1;
    res->msg = malloc(len);
    if (res->msg) {
        if (detail)
            snprintf(res->msg, len, "%s (%s)", primary, detail);
        else
            snprintf(res->msg, len, "%s", primary);
        /* libpq's own messages end with a newline */
        size_t n = strlen(res->msg);
        while (n > 0 && (res->msg[n - 1] == '\n' || res->msg[n - 1] == ' '))
            res->msg[--n] = '\0';
    }
    /* The server ending the session under the statement (class 57P: a
     * shutdown, a crash, a dropped database) is the connection's failure,
     * not the statement's: it reads as every other lost connection. */
    if (state && strncmp(state, "57P", 3) == 0)
        state = "08006";
    snprintf(res->state, sizeof(res->state), "%s", state ? state : "XX000");
    res->error = res->msg ? res->msg : "database error";
    res->sqlstate = res->state;
}

void glv_db_result_error(glv_db_result *res, const char *sqlstate, const char *fmt, ...)
{
    glv_db_result_clear(res);
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&res->msg, fmt, ap) < 0)
        res->msg = NULL;
    va_end(ap);
    snprintf(res->state, sizeof(res->state), "%s", sqlstate);
    res->error = res->msg ? res->msg : "database error";
    res->sqlstate = res->state;
}
