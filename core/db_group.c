/*
 * galvani core — group commit (db_group): writes issued in one loop turn,
 * and while other batches are in flight, share one BEGIN … COMMIT on one
 * connection. A batch goes out in libpq pipeline mode: BEGIN, every
 * statement (with its PREPARE when the connection has not seen it yet),
 * COMMIT and a sync point in one flush, and the results are read back in
 * order. Up to group_commit_max_inflight batches run at once, each on its
 * own pool connection. Callbacks run after their own batch's COMMIT.
 *
 * A statement that fails is taken out and the rest of its batch runs again
 * without it (ROLLBACK, BEGIN, the others, COMMIT: again one flush). When
 * COMMIT itself fails (a deferred constraint), every statement of the batch
 * runs in its own implicit transaction, one sync point each, still in one
 * flush, so that only the culprit fails.
 */
#include "db-internal.h"
#include "metrics-internal.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

static void delay_cb(evutil_socket_t fd, short what, void *arg);

void glv_db_group_init(glv_db *db)
{
    glv_db_group *g = &db->group;
    g->w.kind = GLV_DB_WAIT_GROUP;
    g->ev_delay = evtimer_new(db->core->base, delay_cb, db);
}

static void batch_free(glv_db_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        glv_db_op_free(b->ops[i]);
    if (b->acc)
        PQclear(b->acc);
    glv_db_result_clear(&b->commit_res);
    free(b->ops);
    free(b->slots);
    free(b);
}

void glv_db_group_fini(glv_db *db)
{
    glv_db_group *g = &db->group;
    if (g->ev_delay)
        event_free(g->ev_delay);
    g->ev_delay = NULL;
    while (g->pend_head) {
        glv_db_op *op = g->pend_head;
        g->pend_head = op->next;
        glv_db_op_free(op);
    }
    g->pend_tail = NULL;
    g->npend = 0;
    while (g->batches) {
        glv_db_batch *b = g->batches;
        g->batches = b->next;
        batch_free(b);
    }
    g->ninflight = 0;
}

int glv_db_group_idle(const glv_db *db)
{
    return db->group.ninflight == 0 && !db->group.pend_head;
}

/* Asks for a connection when there is work and room for another batch. */
static void request_conn(glv_db *db)
{
    glv_db_group *g = &db->group;
    if (g->ninflight >= db->group_max_inflight || g->w.queued || !g->pend_head)
        return;
    if (g->delay_armed) {
        evtimer_del(g->ev_delay);
        g->delay_armed = 0;
    }
    glv_db_wait_push(db, &g->w);
}

static void delay_cb(evutil_socket_t fd, short what, void *arg)
{
    glv_db *db = arg;
    db->group.delay_armed = 0;
    request_conn(db);
}

static void arm_delay(glv_db *db)
{
    glv_db_group *g = &db->group;
    if (g->delay_armed)
        return;
    /* A zero delay still waits for the end of this loop turn. */
    struct timeval tv = {(time_t)(db->group_max_delay_ms / 1000u),
                         (suseconds_t)((db->group_max_delay_ms % 1000u) * 1000u)};
    g->delay_armed = 1;
    evtimer_add(g->ev_delay, &tv);
}

int glv_db_group_submit(glv_db *db, glv_db_op *op)
{
    glv_db_group *g = &db->group;
    op->next = NULL;
    op->w.since_ms = glv_db_now_ms();
    if (g->pend_tail)
        g->pend_tail->next = op;
    else
        g->pend_head = op;
    g->pend_tail = op;
    g->npend++;
    if (g->w.queued || g->ninflight >= db->group_max_inflight)
        return 0; /* joins the next batch */
    if (g->npend >= db->group_max_batch) {
        request_conn(db);
        return 0;
    }
    arm_delay(db);
    return 0;
}

static size_t live_count(const glv_db_batch *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->ops[i] && !b->ops[i]->failed)
            n++;
    return n;
}

static int is_live(const glv_db_batch *b, size_t i)
{
    return b->ops[i] && !b->ops[i]->failed;
}

static int add_slot(glv_db_batch *b, enum glv_db_slot_kind kind, size_t op)
{
    if (b->nslots == b->slot_cap) {
        size_t cap = b->slot_cap ? b->slot_cap * 2 : 2 * b->n + 8;
        glv_db_slot *s = realloc(b->slots, cap * sizeof(*s));
        if (!s)
            return -1;
        b->slots = s;
        b->slot_cap = cap;
    }
    b->slots[b->nslots].kind = kind;
    b->slots[b->nslots].op = (uint32_t)op;
    b->nslots++;
    return 0;
}

/* Queues one round of the batch on its connection and flushes it. Returns
 * -1 when the connection broke (the batch is finished and freed then). */
static int send_round(glv_db_batch *b)
{
    glv_db_conn *c = b->conn;
    b->nslots = 0;
    b->cursor = 0;
    b->round_failed = b->begin_failed = b->committed = b->commit_failed = 0;
    glv_db_result_clear(&b->commit_res);
    const char *why = "out of memory";
    for (size_t i = 0; i < b->n; i++)
        if (is_live(b, i))
            glv_db_result_clear(&b->ops[i]->res);
    if (b->need_rollback) {
        if (glv_db_queue_simple(c, "ROLLBACK") != 0 || add_slot(b, GLV_DB_SLOT_ROLLBACK, 0) != 0)
            goto broken;
        b->need_rollback = 0;
        if (b->cleanup)
            goto sync;
    }
    if (!b->solo &&
        (glv_db_queue_simple(c, "BEGIN") != 0 || add_slot(b, GLV_DB_SLOT_BEGIN, 0) != 0))
        goto broken;
    for (size_t i = 0; i < b->n; i++) {
        if (!is_live(b, i))
            continue;
        int prepared = 0;
        if (glv_db_op_queue(c, b->ops[i], &prepared) != 0)
            goto broken;
        if (prepared && add_slot(b, GLV_DB_SLOT_PREPARE, i) != 0)
            goto broken;
        if (add_slot(b, GLV_DB_SLOT_EXEC, i) != 0)
            goto broken;
        if (b->solo && (!PQpipelineSync(c->pg) || add_slot(b, GLV_DB_SLOT_SYNC, i) != 0))
            goto broken;
    }
    if (b->solo)
        goto flush;
    if (glv_db_queue_simple(c, "COMMIT") != 0 || add_slot(b, GLV_DB_SLOT_COMMIT, 0) != 0)
        goto broken;
sync:
    if (!PQpipelineSync(c->pg) || add_slot(b, GLV_DB_SLOT_SYNC, 0) != 0)
        goto broken;
flush:
    glv_db_conn_flush(c);
    return c->owner_ptr == b ? 0 : -1;
broken:
    if (c->pg && PQstatus(c->pg) == CONNECTION_BAD)
        why = PQerrorMessage(c->pg);
    glv_db_conn_fail(c, why);
    return -1;
}

static void unlink_batch(glv_db_group *g, glv_db_batch *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        g->batches = b->next;
    if (b->next)
        b->next->prev = b->prev;
    b->next = b->prev = NULL;
    g->ninflight--;
}

/* Reports every statement of the batch, frees it and lets its connection
 * go (c is NULL when the connection broke). */
static void finish_batch(glv_db *db, glv_db_batch *b)
{
    glv_db_group *g = &db->group;
    glv_db_conn *c = b->conn;
    size_t committed = live_count(b);
    unlink_batch(g, b);
    if (committed > 0 && !b->solo) {
        if (db->m_batches)
            glv_metric_add(db->m_batches, 1);
        if (db->m_batched)
            glv_metric_add(db->m_batched, (double)committed);
        if (db->m_batch_last)
            glv_metric_set(db->m_batch_last, (double)committed);
    }
    if (c) {
        if (c->pg && PQpipelineStatus(c->pg) != PQ_PIPELINE_OFF && !PQexitPipelineMode(c->pg)) {
            /* results left unread: the connection cannot be trusted */
            glv_db_op **ops = b->ops;
            size_t n = b->n;
            b->ops = NULL;
            b->n = 0;
            batch_free(b);
            c->owner = GLV_DB_OWNER_NONE;
            c->owner_ptr = NULL;
            glv_db_conn_fail(c, "pipeline left with results unread");
            b = NULL;
            for (size_t i = 0; i < n; i++) {
                if (!ops[i])
                    continue;
                glv_db_count(db, ops[i]);
                glv_db_op_report(ops[i]);
                glv_db_op_free(ops[i]);
            }
            free(ops);
            request_conn(db);
            glv_db_dispatch(db);
            return;
        }
        c->owner = GLV_DB_OWNER_NONE;
        c->owner_ptr = NULL;
        c->op = NULL;
        if (c->state == GLV_DB_CONN_BUSY)
            c->state = GLV_DB_CONN_IDLE;
    }
    /* The connection is free before the callbacks issue more work. */
    for (size_t i = 0; i < b->n; i++) {
        if (!b->ops[i])
            continue;
        glv_db_count(db, b->ops[i]);
        glv_db_op_report(b->ops[i]);
        glv_db_op_free(b->ops[i]);
        b->ops[i] = NULL;
    }
    batch_free(b);
    /* What arrived meanwhile forms the next batch at once. */
    request_conn(db);
    glv_db_dispatch(db);
}

void glv_db_group_on_conn(glv_db_conn *c)
{
    glv_db *db = c->db;
    glv_db_group *g = &db->group;
    size_t take = g->npend < db->group_max_batch ? g->npend : db->group_max_batch;
    if (take == 0) {
        glv_db_conn_release(c);
        return;
    }
    glv_db_batch *b = calloc(1, sizeof(*b));
    glv_db_op **ops = calloc(take, sizeof(*ops));
    if (!b || !ops || !PQenterPipelineMode(c->pg)) {
        free(b);
        free(ops);
        glv_db_conn_release(c);
        arm_delay(db); /* tried again on a later loop turn */
        return;
    }
    b->g = g;
    b->ops = ops;
    while (b->n < take) {
        glv_db_op *op = g->pend_head;
        g->pend_head = op->next;
        op->next = NULL;
        op->failed = 0;
        b->ops[b->n++] = op;
    }
    if (!g->pend_head)
        g->pend_tail = NULL;
    g->npend -= take;
    b->conn = c;
    b->next = g->batches;
    if (g->batches)
        g->batches->prev = b;
    g->batches = b;
    g->ninflight++;
    c->owner = GLV_DB_OWNER_GROUP;
    c->owner_ptr = b;
    c->op = NULL;
    if (send_round(b) != 0)
        return;
    /* More than one batch's worth waiting: another connection takes it. */
    if (g->npend >= db->group_max_batch)
        request_conn(db);
    else if (g->pend_head)
        arm_delay(db);
}

/* Replaces *out with *res (taken: *res becomes NULL), or with an error of
 * sqlstate and text when there is no result. */
static void keep_result(glv_db_result *out, PGresult **res, const char *sqlstate, const char *text)
{
    glv_db_result_clear(out);
    if (*res) {
        glv_db_result_from_pg(out, *res);
        *res = NULL;
    } else {
        glv_db_result_error(out, sqlstate, "%s", text);
    }
}

/* The result of one command of the round (res stolen; NULL for none). */
static void take_result(glv_db_batch *b, const glv_db_slot *s, PGresult *res)
{
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    glv_db_op *op =
        s->kind == GLV_DB_SLOT_PREPARE || s->kind == GLV_DB_SLOT_EXEC ? b->ops[s->op] : NULL;
    switch (s->kind) {
    case GLV_DB_SLOT_ROLLBACK:
        break;
    case GLV_DB_SLOT_BEGIN:
        if (st != PGRES_COMMAND_OK) {
            b->begin_failed = 1;
            b->round_failed = 1;
            keep_result(&b->commit_res, &res, "08006", "BEGIN returned no result");
        }
        break;
    case GLV_DB_SLOT_PREPARE:
        if (st == PGRES_COMMAND_OK)
            break;
        glv_db_op_unprepare(b->conn, op);
        if (st == PGRES_PIPELINE_ABORTED || b->begin_failed)
            break;
        /* the statement itself is bad: it fails alone */
        keep_result(&op->res, &res, "XX000", "PREPARE returned no result");
        op->failed = 1;
        b->round_failed = 1;
        break;
    case GLV_DB_SLOT_EXEC:
        if (op->failed || st == PGRES_PIPELINE_ABORTED)
            break;
        keep_result(&op->res, &res, "XX000", "the statement returned no result");
        if (!op->res.ok) {
            op->failed = 1;
            b->round_failed = 1;
        }
        break;
    case GLV_DB_SLOT_COMMIT:
        if (b->round_failed)
            break;
        if (st == PGRES_COMMAND_OK && strcmp(PQcmdStatus(res), "COMMIT") == 0) {
            b->committed = 1;
            break;
        }
        b->commit_failed = 1;
        if (st == PGRES_COMMAND_OK) {
            PQclear(res); /* a ROLLBACK: the transaction had failed */
            res = NULL;
        }
        keep_result(&b->commit_res, &res, "40000", "transaction rolled back");
        break;
    case GLV_DB_SLOT_SYNC:
        break;
    }
    if (res)
        PQclear(res);
}

/* An error at a sync point (r stolen): the commit of an implicit
 * transaction failed. */
static void sync_error(glv_db_batch *b, const glv_db_slot *s, PGresult *r)
{
    if (b->solo) {
        glv_db_op *op = b->ops[s->op];
        if (op && !op->failed) {
            glv_db_result_clear(&op->res);
            glv_db_result_from_pg(&op->res, r);
            op->failed = 1;
            return;
        }
    } else if (!b->round_failed && !b->commit_failed) {
        b->committed = 0;
        b->commit_failed = 1;
        glv_db_result_clear(&b->commit_res);
        glv_db_result_from_pg(&b->commit_res, r);
        return;
    }
    PQclear(r);
}

/* Solo mode: op's own transaction ended at its sync point: report it now. */
static void solo_report(glv_db *db, glv_db_batch *b, size_t i)
{
    glv_db_op *op = b->ops[i];
    if (!op)
        return;
    b->ops[i] = NULL;
    glv_db_count(db, op);
    glv_db_op_report(op);
    glv_db_op_free(op);
}

/* The round's last sync point arrived: decides what comes next. Returns 1
 * when the batch is still in flight on the connection. */
static int round_done(glv_db *db, glv_db_batch *b)
{
    if (b->cleanup || b->solo) {
        finish_batch(db, b);
        return 0;
    }
    if (b->committed) {
        finish_batch(db, b);
        return 0;
    }
    if (b->begin_failed) {
        /* every statement gets BEGIN's error */
        for (size_t i = 0; i < b->n; i++) {
            if (!is_live(b, i))
                continue;
            glv_db_result_error(&b->ops[i]->res, b->commit_res.sqlstate, "%s", b->commit_res.error);
            b->ops[i]->failed = 1;
        }
        b->need_rollback = 1;
        b->cleanup = 1;
        return send_round(b) == 0;
    }
    if (b->round_failed) {
        /* Statements after the failing one were skipped: the transaction
         * is rolled back and the batch runs again without the culprit. */
        b->need_rollback = 1;
        if (live_count(b) == 0)
            b->cleanup = 1;
        return send_round(b) == 0;
    }
    if (b->commit_failed) {
        if (live_count(b) == 1) {
            for (size_t i = 0; i < b->n; i++) {
                if (!is_live(b, i))
                    continue;
                glv_db_result_error(&b->ops[i]->res, b->commit_res.sqlstate, "%s",
                                    b->commit_res.error);
                b->ops[i]->failed = 1;
            }
            finish_batch(db, b);
            return 0;
        }
        /* A deferred check failed at COMMIT: find the culprit by running
         * each statement on its own. */
        b->solo = 1;
        return send_round(b) == 0;
    }
    glv_db_conn_fail(b->conn, "COMMIT of a group batch returned no result");
    return 0;
}

void glv_db_group_read(glv_db_conn *c)
{
    glv_db_batch *b = c->owner_ptr;
    glv_db *db = c->db;
    PGconn *pg = c->pg;
    int empty = 0;
    while (b->cursor < b->nslots && !PQisBusy(pg)) {
        const glv_db_slot *s = &b->slots[b->cursor];
        PGresult *r = PQgetResult(pg);
        if (!r && (s->kind == GLV_DB_SLOT_SYNC || !b->acc)) {
            /* Every command has a result before the NULL that ends it, and
             * a sync point has no NULL: this one is libpq moving on to the
             * next command of its queue. */
            if (++empty > 1) {
                glv_db_conn_fail(c, "pipeline results out of step");
                return;
            }
            continue;
        }
        empty = 0;
        if (s->kind == GLV_DB_SLOT_SYNC) {
            if (PQresultStatus(r) == PGRES_FATAL_ERROR) {
                /* The implicit transaction ending here failed to commit
                 * (a deferred check): solo, that is the statement's own. */
                sync_error(b, s, r);
                continue;
            }
            ExecStatusType st = PQresultStatus(r);
            PQclear(r);
            if (st != PGRES_PIPELINE_SYNC) {
                glv_db_conn_fail(c, "unexpected result in a pipeline");
                return;
            }
            b->cursor++;
            if (b->solo && b->cursor < b->nslots) {
                solo_report(db, b, s->op);
                if (c->owner_ptr != b || c->pg != pg)
                    return;
                continue;
            }
            if (b->cursor == b->nslots) {
                if (!round_done(db, b))
                    return;
                if (c->owner_ptr != b || c->pg != pg)
                    return;
            }
            continue;
        }
        if (r) {
            /* keep the first error, else the last result */
            if (!b->acc)
                b->acc = r;
            else if (PQresultStatus(b->acc) == PGRES_FATAL_ERROR)
                PQclear(r);
            else {
                PQclear(b->acc);
                b->acc = r;
            }
            continue;
        }
        PGresult *res = b->acc;
        b->acc = NULL;
        b->cursor++;
        take_result(b, s, res);
    }
}

void glv_db_group_broken(glv_db *db, void *ptr)
{
    glv_db_batch *b = ptr;
    if (!b)
        return;
    /* A round holds its COMMIT (or, solo, each statement's own commit) from
     * the start: unless the round already failed, the outcome is unknown. */
    int in_doubt = !b->cleanup && (b->solo || !b->round_failed);
    for (size_t i = 0; i < b->n; i++) {
        glv_db_op *op = b->ops[i];
        if (!op || op->failed)
            continue;
        if (in_doubt)
            glv_db_result_error(&op->res, "08007",
                                "connection to PostgreSQL lost during COMMIT; the outcome is "
                                "unknown (%s)",
                                db->last_error);
        else
            glv_db_result_error(&op->res, "08006",
                                "connection to PostgreSQL lost; the write was not committed (%s)",
                                db->last_error);
        op->failed = 1;
    }
    b->conn = NULL;
    finish_batch(db, b);
}

void glv_db_group_expire(glv_db *db, uint64_t now_ms, const char *sqlstate, const char *msg)
{
    glv_db_group *g = &db->group;
    while (g->pend_head && now_ms - g->pend_head->w.since_ms >= db->queue_timeout_ms) {
        glv_db_op *op = g->pend_head;
        g->pend_head = op->next;
        if (!g->pend_head)
            g->pend_tail = NULL;
        g->npend--;
        glv_db_fail_later(db, op, sqlstate, "%s", msg);
    }
    if (!g->pend_head && g->w.queued)
        glv_db_wait_remove(db, &g->w);
    else if (g->pend_head && !g->w.queued && !g->delay_armed)
        request_conn(db);
}
