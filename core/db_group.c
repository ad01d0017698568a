/*
 * galvani core — group commit (db_group): writes issued in one loop turn,
 * and while a batch is in flight, share one BEGIN … COMMIT on one
 * connection. Callbacks run after COMMIT. A failing statement is taken out
 * and the rest of its batch runs again without it.
 */
#include "db-internal.h"
#include "metrics-internal.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

enum group_phase {
    PHASE_BEGIN = 1,
    PHASE_STMTS,
    PHASE_COMMIT,
    PHASE_ROLLBACK,
    PHASE_SOLO, /* after a failed COMMIT: each statement on its own */
};

static void delay_cb(evutil_socket_t fd, short what, void *arg);

void glv_db_group_init(glv_db *db)
{
    glv_db_group *g = &db->group;
    g->w.kind = GLV_DB_WAIT_GROUP;
    g->ev_delay = evtimer_new(db->core->base, delay_cb, db);
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
    for (size_t i = 0; i < g->n; i++)
        glv_db_op_free(g->batch[i]);
    free(g->batch);
    g->batch = NULL;
    g->n = g->cap = 0;
}

int glv_db_group_idle(const glv_db *db)
{
    return !db->group.inflight && !db->group.pend_head;
}

/* Asks for a connection when there is work and no batch in flight. */
static void request_conn(glv_db *db)
{
    glv_db_group *g = &db->group;
    if (g->inflight || g->w.queued || !g->pend_head)
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
    if (g->inflight || g->w.queued)
        return 0; /* joins the next batch */
    if (g->npend >= db->group_max_batch) {
        request_conn(db);
        return 0;
    }
    if (!g->delay_armed) {
        /* A zero delay still waits for the end of this loop turn. */
        struct timeval tv = {(time_t)(db->group_max_delay_ms / 1000u),
                             (suseconds_t)((db->group_max_delay_ms % 1000u) * 1000u)};
        g->delay_armed = 1;
        evtimer_add(g->ev_delay, &tv);
    }
    return 0;
}

static size_t live_count(const glv_db_group *g)
{
    size_t n = 0;
    for (size_t i = 0; i < g->n; i++)
        if (g->batch[i] && !g->batch[i]->failed)
            n++;
    return n;
}

/* Index of the next statement still in the batch at or after i. */
static size_t next_live(const glv_db_group *g, size_t i)
{
    while (i < g->n && g->batch[i]->failed)
        i++;
    return i;
}

static void send_begin(glv_db_conn *c)
{
    glv_db_group *g = &c->db->group;
    for (size_t i = 0; i < g->n; i++)
        if (!g->batch[i]->failed)
            glv_db_result_clear(&g->batch[i]->res);
    g->phase = PHASE_BEGIN;
    glv_db_op_init_static(&g->begin_op, "BEGIN");
    glv_db_conn_send(c, &g->begin_op);
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
    if (g->cap < take) {
        glv_db_op **b = realloc(g->batch, take * sizeof(*b));
        if (!b) {
            glv_db_conn_release(c);
            request_conn(db);
            return;
        }
        g->batch = b;
        g->cap = take;
    }
    g->n = 0;
    while (g->n < take) {
        glv_db_op *op = g->pend_head;
        g->pend_head = op->next;
        op->next = NULL;
        op->failed = 0;
        g->batch[g->n++] = op;
    }
    if (!g->pend_head)
        g->pend_tail = NULL;
    g->npend -= take;
    g->inflight = 1;
    g->conn = c;
    g->solo = 0;
    c->owner = GLV_DB_OWNER_GROUP;
    c->owner_ptr = g;
    send_begin(c);
}

/* Reports every statement of the batch and lets the connection go. */
static void finish_batch(glv_db *db, glv_db_conn *c)
{
    glv_db_group *g = &db->group;
    size_t n = g->n, committed = live_count(g);
    glv_db_op **batch = g->batch;
    g->batch = NULL;
    g->cap = 0;
    g->n = 0;
    g->inflight = 0;
    g->conn = NULL;
    if (committed > 0 && !g->solo) {
        if (db->m_batches)
            glv_metric_add(db->m_batches, 1);
        if (db->m_batched)
            glv_metric_add(db->m_batched, (double)committed);
        if (db->m_batch_last)
            glv_metric_set(db->m_batch_last, (double)committed);
    }
    if (c) {
        c->owner = GLV_DB_OWNER_NONE;
        c->owner_ptr = NULL;
        if (c->state == GLV_DB_CONN_BUSY)
            c->state = GLV_DB_CONN_IDLE;
    }
    for (size_t i = 0; i < n; i++) {
        if (!batch[i])
            continue;
        glv_db_count(db, batch[i]);
        glv_db_op_report(batch[i]);
        glv_db_op_free(batch[i]);
    }
    free(batch);
    /* What arrived meanwhile forms the next batch at once. */
    request_conn(db);
    glv_db_dispatch(db);
}

/* Solo mode: runs the next live statement in its own implicit transaction. */
static void solo_next(glv_db_conn *c)
{
    glv_db_group *g = &c->db->group;
    g->cursor = next_live(g, g->cursor);
    if (g->cursor >= g->n) {
        finish_batch(c->db, c);
        return;
    }
    glv_db_conn_send(c, g->batch[g->cursor]);
}

void glv_db_group_done(glv_db_conn *c, glv_db_op *op)
{
    glv_db *db = c->db;
    glv_db_group *g = &db->group;
    switch (g->phase) {
    case PHASE_BEGIN:
        if (!op->res.ok) {
            /* every statement gets BEGIN's error */
            for (size_t i = 0; i < g->n; i++) {
                if (g->batch[i]->failed)
                    continue;
                glv_db_result_error(&g->batch[i]->res, op->res.sqlstate, "%s", op->res.error);
                g->batch[i]->failed = 1;
            }
            glv_db_result_clear(&op->res);
            finish_batch(db, c);
            return;
        }
        glv_db_result_clear(&op->res);
        g->phase = PHASE_STMTS;
        g->cursor = next_live(g, 0);
        glv_db_conn_send(c, g->batch[g->cursor]);
        return;
    case PHASE_STMTS:
        if (!op->res.ok) {
            op->failed = 1;
            g->phase = PHASE_ROLLBACK;
            glv_db_op_init_static(&g->rollback_op, "ROLLBACK");
            glv_db_conn_send(c, &g->rollback_op);
            return;
        }
        g->cursor = next_live(g, g->cursor + 1);
        if (g->cursor < g->n) {
            glv_db_conn_send(c, g->batch[g->cursor]);
            return;
        }
        g->phase = PHASE_COMMIT;
        glv_db_op_init_static(&g->commit_op, "COMMIT");
        glv_db_conn_send(c, &g->commit_op);
        return;
    case PHASE_ROLLBACK:
        glv_db_result_clear(&op->res);
        if (live_count(g) == 0) {
            finish_batch(db, c);
            return;
        }
        send_begin(c);
        return;
    case PHASE_COMMIT: {
        int committed = op->res.ok && op->res.pg && strcmp(PQcmdStatus(op->res.pg), "COMMIT") == 0;
        if (committed) {
            glv_db_result_clear(&op->res);
            finish_batch(db, c);
            return;
        }
        if (live_count(g) == 1) {
            size_t i = next_live(g, 0);
            glv_db_result_clear(&g->batch[i]->res);
            if (op->res.ok)
                glv_db_result_error(&g->batch[i]->res, "40000", "transaction rolled back");
            else
                glv_db_result_error(&g->batch[i]->res, op->res.sqlstate, "%s", op->res.error);
            g->batch[i]->failed = 1;
            glv_db_result_clear(&op->res);
            finish_batch(db, c);
            return;
        }
        /* A deferred check failed at COMMIT: find the culprit by running each
         * statement on its own. */
        glv_db_result_clear(&op->res);
        g->solo = 1;
        g->phase = PHASE_SOLO;
        for (size_t i = 0; i < g->n; i++)
            if (!g->batch[i]->failed)
                glv_db_result_clear(&g->batch[i]->res);
        g->cursor = 0;
        solo_next(c);
        return;
    }
    case PHASE_SOLO: {
        /* committed (or failed) on its own: report it now */
        glv_db_op *done = g->batch[g->cursor];
        g->batch[g->cursor] = NULL;
        glv_db_count(db, done);
        glv_db_op_report(done);
        glv_db_op_free(done);
        g->cursor++;
        while (g->cursor < g->n && (!g->batch[g->cursor] || g->batch[g->cursor]->failed))
            g->cursor++;
        if (g->cursor >= g->n) {
            finish_batch(db, c);
            return;
        }
        glv_db_conn_send(c, g->batch[g->cursor]);
        return;
    }
    }
}

void glv_db_group_broken(glv_db *db, glv_db_op *inflight)
{
    glv_db_group *g = &db->group;
    int in_doubt = g->phase == PHASE_COMMIT || g->phase == PHASE_SOLO;
    for (size_t i = 0; i < g->n; i++) {
        glv_db_op *op = g->batch[i];
        if (!op || op->failed)
            continue;
        if (g->phase == PHASE_SOLO && op != inflight) {
            /* not started yet in solo mode: plainly not committed */
            glv_db_result_error(&op->res, "08006",
                                "connection to PostgreSQL lost; the write was not committed (%s)",
                                db->last_error);
        } else if (in_doubt) {
            glv_db_result_error(&op->res, "08007",
                                "connection to PostgreSQL lost during COMMIT; the outcome is "
                                "unknown (%s)",
                                db->last_error);
        } else {
            glv_db_result_error(&op->res, "08006",
                                "connection to PostgreSQL lost; the write was not committed (%s)",
                                db->last_error);
        }
        op->failed = 1;
    }
    finish_batch(db, NULL);
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
