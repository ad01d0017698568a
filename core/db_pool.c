/*
 * galvani core — the PostgreSQL connection pool: non-blocking libpq
 * connections driven by the loop, reconnect with exponential backoff, the
 * queue of work waiting for a connection and its timeout.
 */
#include "db-internal.h"
#include "log-internal.h"
#include "metrics-internal.h"

#include <errno.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GLV_DB_CONNECT_DEADLINE_MS 10000u
#define GLV_DB_TICK_MS 50

const glv_config_field glv_db_config_schema[] = {
    {.key = "conninfo",
     .type = GLV_CFG_SECRET,
     .flags = GLV_CFG_REQUIRED,
     .help = "libpq connection string (use a numeric host or hostaddr: names are resolved "
             "synchronously)"},
    {.key = "pool_size",
     .type = GLV_CFG_INT,
     .default_text = "4",
     .min = 1,
     .max = 256,
     .help = "connections kept open to PostgreSQL"},
    {.key = "queue_timeout",
     .type = GLV_CFG_DURATION,
     .default_text = "5s",
     .min = 1,
     .max = 3600000,
     .help = "how long a statement waits for a connection before it fails"},
    {.key = "statement_timeout",
     .type = GLV_CFG_DURATION,
     .default_text = "30s",
     .min = 0,
     .max = 86400000,
     .help = "server-side statement_timeout of every connection (0 = none)"},
    {.key = "reconnect_min",
     .type = GLV_CFG_DURATION,
     .default_text = "100ms",
     .min = 1,
     .max = 600000,
     .help = "first delay before reconnecting to an unreachable server"},
    {.key = "reconnect_max",
     .type = GLV_CFG_DURATION,
     .default_text = "10s",
     .min = 1,
     .max = 3600000,
     .help = "longest delay between reconnect attempts (the delay doubles up to it)"},
    {.key = "group_commit_max_batch",
     .type = GLV_CFG_INT,
     .default_text = "500",
     .min = 1,
     .max = 100000,
     .help = "most statements sharing one group-commit transaction"},
    {.key = "group_commit_max_delay",
     .type = GLV_CFG_DURATION,
     .default_text = "0ms",
     .min = 0,
     .max = 1000,
     .help = "how long a group write may wait for others to share its commit"},
    {.key = "group_commit_max_inflight",
     .type = GLV_CFG_INT,
     .default_text = "2",
     .min = 1,
     .max = 256,
     .help = "group-commit transactions in flight at once, each on its own pool connection"},
    {0},
};

uint64_t glv_db_now_ms(void)
{
    return glv_db_now_us() / 1000u;
}

uint64_t glv_db_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static struct timeval ms_tv(uint32_t ms)
{
    struct timeval tv = {(time_t)(ms / 1000u), (suseconds_t)((ms % 1000u) * 1000u)};
    return tv;
}

static int64_t json_int(const json_t *section, const char *key, int64_t dflt)
{
    const json_t *v = section ? json_object_get(section, key) : NULL;
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

/* ---- metrics ---- */

static void metrics_init(glv_db *db)
{
    glv_metrics *m = db->core->metrics;
    db->m_up = glv_metrics_get(m, "glv_db_connections_up", GLV_METRIC_GAUGE,
                               "PostgreSQL pool connections that are up", NULL);
    db->m_queries = glv_metrics_get(m, "glv_db_queries_total", GLV_METRIC_COUNTER,
                                    "Statements run through the PostgreSQL pool", NULL);
    db->m_errors = glv_metrics_get(m, "glv_db_query_errors_total", GLV_METRIC_COUNTER,
                                   "Statements that reported an error", NULL);
    db->m_latency = glv_metrics_get(m, "glv_db_query_duration_seconds", GLV_METRIC_HISTOGRAM,
                                    "Time from sending a statement to its result", NULL);
    db->m_batches = glv_metrics_get(m, "glv_db_group_batches_total", GLV_METRIC_COUNTER,
                                    "Group-commit transactions committed", NULL);
    db->m_batched = glv_metrics_get(m, "glv_db_group_statements_total", GLV_METRIC_COUNTER,
                                    "Statements committed through group commit", NULL);
    db->m_batch_last = glv_metrics_get(m, "glv_db_group_last_batch_size", GLV_METRIC_GAUGE,
                                       "Statements in the last group-commit transaction", NULL);
    db->m_reconnects = glv_metrics_get(m, "glv_db_reconnects_total", GLV_METRIC_COUNTER,
                                       "Connections re-established after a failure", NULL);
}

static void metric_add(glv_metric *m, double v)
{
    if (m)
        glv_metric_add(m, v);
}

void glv_db_count(glv_db *db, const glv_db_op *op)
{
    if (op->internal)
        return;
    metric_add(db->m_queries, 1);
    if (!op->res.ok)
        metric_add(db->m_errors, 1);
    if (db->m_latency && op->started_us)
        glv_metric_observe(db->m_latency, (double)(glv_db_now_us() - op->started_us) / 1e6);
}

static void set_up(glv_db *db, int delta)
{
    db->up += delta;
    if (db->m_up)
        glv_metric_set(db->m_up, db->up);
}

int glv_db_healthy(const glv_db *db)
{
    return db && db->up > 0;
}

/* ---- failures delivered on a later loop turn ---- */

static void fail_cb(evutil_socket_t fd, short what, void *arg)
{
    glv_db *db = arg;
    glv_db_op *list = db->fail_head;
    db->fail_head = db->fail_tail = NULL;
    while (list) {
        glv_db_op *op = list;
        list = op->next;
        glv_db_count(db, op);
        glv_db_op_report(op);
        glv_db_op_free(op);
    }
    glv_db_dispatch(db);
}

void glv_db_fail_later(glv_db *db, glv_db_op *op, const char *sqlstate, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    glv_db_result_error(&op->res, sqlstate, "%s", msg ? msg : "database error");
    free(msg);
    op->next = NULL;
    if (db->fail_tail)
        db->fail_tail->next = op;
    else
        db->fail_head = op;
    db->fail_tail = op;
    event_active(db->ev_fail, EV_TIMEOUT, 0);
}

/* ---- the wait queue ---- */

void glv_db_wait_push(glv_db *db, glv_db_waiter *w)
{
    w->since_ms = glv_db_now_ms();
    w->next = NULL;
    w->prev = db->wait_tail;
    if (db->wait_tail)
        db->wait_tail->next = w;
    else
        db->wait_head = w;
    db->wait_tail = w;
    w->queued = 1;
    db->nwait++;
    glv_db_dispatch(db);
}

void glv_db_wait_remove(glv_db *db, glv_db_waiter *w)
{
    if (!w->queued)
        return;
    if (w->prev)
        w->prev->next = w->next;
    else
        db->wait_head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        db->wait_tail = w->prev;
    w->next = w->prev = NULL;
    w->queued = 0;
    db->nwait--;
}

static glv_db_conn *idle_conn(glv_db *db)
{
    for (int i = 0; i < db->pool_size; i++)
        if (db->conns[i].state == GLV_DB_CONN_IDLE)
            return &db->conns[i];
    return NULL;
}

static int all_quiet(const glv_db *db)
{
    if (db->wait_head || db->fail_head || !glv_db_group_idle(db) || db->open_txns)
        return 0;
    for (int i = 0; i < db->pool_size; i++)
        if (db->conns[i].state == GLV_DB_CONN_BUSY)
            return 0;
    return 1;
}

static void finish_drain(glv_db *db)
{
    for (int i = 0; i < db->pool_size; i++)
        glv_db_conn_close(&db->conns[i]);
    if (db->listen_conn)
        glv_db_conn_close(db->listen_conn);
    if (db->ev_tick)
        event_del(db->ev_tick);
    db->started = 0;
    glv_callback_fn done = db->drain_done;
    db->drain_done = NULL;
    if (done)
        done(db->drain_arg);
}

void glv_db_dispatch(glv_db *db)
{
    glv_db_conn *c;
    while (db->wait_head && (c = idle_conn(db)) != NULL) {
        glv_db_waiter *w = db->wait_head;
        glv_db_wait_remove(db, w);
        c->state = GLV_DB_CONN_BUSY;
        switch (w->kind) {
        case GLV_DB_WAIT_QUERY:
            glv_db_query_on_conn(c, (glv_db_op *)w);
            break;
        case GLV_DB_WAIT_TXN:
            glv_db_txn_on_conn(c, w);
            break;
        case GLV_DB_WAIT_GROUP:
            glv_db_group_on_conn(c);
            break;
        }
    }
    if (db->draining && db->drain_done && all_quiet(db))
        finish_drain(db);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    glv_db *db = arg;
    uint64_t now = glv_db_now_ms();
    char msg[512];
    const char *state;
    if (db->up == 0) {
        state = "08006";
        snprintf(msg, sizeof(msg),
                 "database unavailable: no connection to PostgreSQL for %ums (last error: %s)",
                 (unsigned)db->queue_timeout_ms, db->last_error[0] ? db->last_error : "none");
    } else {
        state = "57014";
        snprintf(msg, sizeof(msg), "statement waited more than %ums for a free database connection",
                 (unsigned)db->queue_timeout_ms);
    }
    while (db->wait_head && now - db->wait_head->since_ms >= db->queue_timeout_ms) {
        glv_db_waiter *w = db->wait_head;
        if (w->kind == GLV_DB_WAIT_GROUP) {
            /* The group's statements carry their own ages. */
            glv_db_wait_remove(db, w);
            glv_db_group_expire(db, now, state, msg);
            continue;
        }
        glv_db_wait_remove(db, w);
        if (w->kind == GLV_DB_WAIT_QUERY)
            glv_db_fail_later(db, (glv_db_op *)w, state, "%s", msg);
        else
            glv_db_txn_timeout(db, w, state, msg);
    }
    glv_db_group_expire(db, now, state, msg);
}

/* ---- connections ---- */

static void conn_events_free(glv_db_conn *c)
{
    if (c->ev_read) {
        event_free(c->ev_read);
        c->ev_read = NULL;
    }
    if (c->ev_write) {
        event_free(c->ev_write);
        c->ev_write = NULL;
    }
    c->fd = -1;
}

static void conn_broken(glv_db_conn *c, const char *why);

static void schedule_reconnect(glv_db_conn *c)
{
    glv_db *db = c->db;
    if (db->draining || !db->started)
        return;
    if (c->backoff_ms == 0)
        c->backoff_ms = db->backoff_min_ms;
    else if (c->backoff_ms < db->backoff_max_ms / 2)
        c->backoff_ms *= 2;
    else
        c->backoff_ms = db->backoff_max_ms;
    struct timeval tv = ms_tv(c->backoff_ms);
    c->state = GLV_DB_CONN_DOWN;
    evtimer_add(c->ev_timer, &tv);
}

/* Keeps libpq's message on one line: "FATAL:  text\nmore" → "FATAL: text; more". */
static void remember_error(glv_db *db, const char *msg)
{
    if (!msg || !*msg)
        msg = "unknown error";
    size_t o = 0;
    int space = 0;
    for (const char *s = msg; *s && o + 3 < sizeof(db->last_error); s++) {
        if (*s == '\n' || *s == '\t' || *s == ' ') {
            if (*s == '\n' && s[1] && o > 0)
                db->last_error[o++] = ';';
            space = 1;
            continue;
        }
        if (space && o > 0)
            db->last_error[o++] = ' ';
        space = 0;
        db->last_error[o++] = *s;
    }
    db->last_error[o] = '\0';
}

static void conn_notice(void *arg, const char *message)
{
    glv_log(GLV_LOG_DEBUG, "db", "%s", message);
}

static void connect_failed(glv_db_conn *c)
{
    glv_db *db = c->db;
    int first = db->last_error[0] == '\0' || c->backoff_ms == 0;
    remember_error(db, c->pg ? PQerrorMessage(c->pg) : "out of memory");
    if (first && c == &db->conns[0])
        glv_log(GLV_LOG_WARNING, "db", "cannot connect to PostgreSQL: %s (retrying)",
                db->last_error);
    conn_events_free(c);
    if (c->pg) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    schedule_reconnect(c);
}

static void connect_poll(glv_db_conn *c);

static void connect_cb(evutil_socket_t fd, short what, void *arg)
{
    glv_db_conn *c = arg;
    if (what & EV_TIMEOUT && c->state == GLV_DB_CONN_CONNECTING && fd == -1) {
        /* the connect deadline */
        remember_error(c->db, "connection attempt timed out");
        conn_events_free(c);
        PQfinish(c->pg);
        c->pg = NULL;
        schedule_reconnect(c);
        return;
    }
    connect_poll(c);
}

static void conn_io_cb(evutil_socket_t fd, short what, void *arg);

static void conn_ready(glv_db_conn *c)
{
    glv_db *db = c->db;
    evtimer_del(c->ev_timer);
    conn_events_free(c);
    c->fd = PQsocket(c->pg);
    c->ev_read = event_new(db->core->base, c->fd, EV_READ | EV_PERSIST, conn_io_cb, c);
    c->ev_write = event_new(db->core->base, c->fd, EV_WRITE, conn_io_cb, c);
    if (!c->ev_read || !c->ev_write || event_add(c->ev_read, NULL) != 0) {
        conn_broken(c, "out of memory");
        return;
    }
    c->state = GLV_DB_CONN_INIT;
    /* Session settings first; the connection is handed out afterwards. */
    char *sql = NULL;
    const char *quoted_node = NULL;
    char *app = PQescapeLiteral(c->pg, db->core->node_id, strlen(db->core->node_id));
    quoted_node = app ? app : "'galvanid'";
    if (asprintf(&sql, "SET statement_timeout = %u; SET application_name = %s",
                 (unsigned)db->statement_timeout_ms, quoted_node) < 0)
        sql = NULL;
    if (app)
        PQfreemem(app);
    if (!sql) {
        conn_broken(c, "out of memory");
        return;
    }
    glv_db_op_init_static(&c->init_op, sql);
    c->init_op.internal = 2; /* sql is owned by the connection */
    c->owner = GLV_DB_OWNER_NONE;
    glv_db_conn_send(c, &c->init_op);
}

static void connect_poll(glv_db_conn *c)
{
    glv_db *db = c->db;
    PostgresPollingStatusType st = PQconnectPoll(c->pg);
    if (st == PGRES_POLLING_OK) {
        conn_ready(c);
        return;
    }
    if (st == PGRES_POLLING_FAILED) {
        connect_failed(c);
        return;
    }
    int fd = PQsocket(c->pg);
    if (fd < 0) {
        connect_failed(c);
        return;
    }
    if (c->ev_read)
        event_free(c->ev_read);
    c->ev_read = event_new(db->core->base, fd, st == PGRES_POLLING_READING ? EV_READ : EV_WRITE,
                           connect_cb, c);
    c->fd = fd;
    if (!c->ev_read || event_add(c->ev_read, NULL) != 0)
        connect_failed(c);
}

void glv_db_conn_open(glv_db_conn *c)
{
    glv_db *db = c->db;
    conn_events_free(c);
    c->state = GLV_DB_CONN_CONNECTING;
    c->pg = PQconnectStart(db->conninfo);
    if (!c->pg || PQstatus(c->pg) == CONNECTION_BAD || PQsetnonblocking(c->pg, 1) != 0) {
        connect_failed(c);
        return;
    }
    PQsetNoticeProcessor(c->pg, conn_notice, NULL);
    struct timeval tv = ms_tv(GLV_DB_CONNECT_DEADLINE_MS);
    evtimer_add(c->ev_timer, &tv);
    connect_poll(c);
}

static void reconnect_cb(evutil_socket_t fd, short what, void *arg)
{
    glv_db_conn *c = arg;
    if (c->state == GLV_DB_CONN_CONNECTING) {
        connect_cb(-1, EV_TIMEOUT, c);
        return;
    }
    glv_db_conn_open(c);
}

void glv_db_conn_close(glv_db_conn *c)
{
    if (c->ev_timer)
        evtimer_del(c->ev_timer);
    conn_events_free(c);
    if (c->pg) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    if (c->acc) {
        PQclear(c->acc);
        c->acc = NULL;
    }
    if (!c->is_listen && (c->state == GLV_DB_CONN_IDLE || c->state == GLV_DB_CONN_BUSY))
        set_up(c->db, -1);
    if (c->init_op.internal == 2) {
        free(c->init_op.sql);
        c->init_op.sql = NULL;
        c->init_op.internal = 0;
    }
    glv_db_stmt_cache_clear(&c->cache);
    c->state = GLV_DB_CONN_DOWN;
    c->op = NULL;
    c->owner = GLV_DB_OWNER_NONE;
    c->owner_ptr = NULL;
}

/* The connection failed while up: everything on it fails, it reconnects. */
static void conn_broken(glv_db_conn *c, const char *why)
{
    glv_db *db = c->db;
    remember_error(db, why);
    glv_log(GLV_LOG_WARNING, "db", "PostgreSQL connection lost: %s", db->last_error);
    glv_db_op *inflight = c->op;
    enum glv_db_owner owner = c->owner;
    void *owner_ptr = c->owner_ptr;
    int was_listen = c->is_listen;
    int was_init = c->state == GLV_DB_CONN_INIT || inflight == &c->init_op;
    if (was_init)
        inflight = NULL;
    glv_db_conn_close(c);
    c->backoff_ms = 0;
    schedule_reconnect(c);
    if (was_listen) {
        glv_db_listen_broken(db);
    } else {
        switch (owner) {
        case GLV_DB_OWNER_QUERY:
            glv_db_query_broken(db, owner_ptr);
            break;
        case GLV_DB_OWNER_TXN:
            glv_db_txn_broken(db, owner_ptr, inflight);
            break;
        case GLV_DB_OWNER_GROUP:
            glv_db_group_broken(db, owner_ptr);
            break;
        default:
            break;
        }
    }
    glv_db_dispatch(db);
}

void glv_db_conn_fail(glv_db_conn *c, const char *why)
{
    conn_broken(c, why);
}

static void conn_flush(glv_db_conn *c)
{
    int r = PQflush(c->pg);
    if (r < 0) {
        conn_broken(c, PQerrorMessage(c->pg));
        return;
    }
    if (r == 1)
        event_add(c->ev_write, NULL);
}

void glv_db_conn_flush(glv_db_conn *c)
{
    conn_flush(c);
}

void glv_db_conn_send(glv_db_conn *c, glv_db_op *op)
{
    c->op = op;
    if (glv_db_op_start(c, op) != 0) {
        conn_broken(c, PQerrorMessage(c->pg));
        return;
    }
    conn_flush(c);
}

/* The command in flight on c is complete with res (stolen). */
static void conn_complete(glv_db_conn *c, PGresult *res)
{
    glv_db_op *op = c->op;
    int r = glv_db_op_step(c, op, res);
    if (r == 1) {
        conn_flush(c);
        return;
    }
    if (r < 0) {
        conn_broken(c, PQerrorMessage(c->pg));
        return;
    }
    c->op = NULL;
    if (op == &c->init_op) {
        glv_db *db = c->db;
        int ok = op->res.ok;
        if (!ok) {
            char why[256];
            snprintf(why, sizeof(why), "session setup failed: %s", op->res.error);
            glv_db_result_clear(&op->res);
            conn_broken(c, why);
            return;
        }
        glv_db_result_clear(&op->res);
        if (db->last_error[0]) {
            glv_log(GLV_LOG_NOTICE, "db", "PostgreSQL connection re-established");
            metric_add(db->m_reconnects, 1);
            db->last_error[0] = '\0';
        }
        c->backoff_ms = 0;
        if (c->is_listen) {
            c->state = GLV_DB_CONN_BUSY;
            glv_db_listen_ready(c);
            return;
        }
        c->state = GLV_DB_CONN_IDLE;
        set_up(db, 1);
        glv_db_dispatch(db);
        return;
    }
    switch (c->owner) {
    case GLV_DB_OWNER_QUERY:
        glv_db_query_done(c, op);
        break;
    case GLV_DB_OWNER_TXN:
        glv_db_txn_done(c, op);
        break;
    case GLV_DB_OWNER_LISTEN:
        glv_db_listen_done(c, op);
        break;
    default:
        break;
    }
}

static void conn_io_cb(evutil_socket_t fd, short what, void *arg)
{
    glv_db_conn *c = arg;
    if (what & EV_WRITE) {
        conn_flush(c);
        if (!c->pg)
            return;
    }
    if (!(what & EV_READ)) {
        /* While its output was stuck libpq may have read results already:
         * no read event will announce them. */
        if (c->owner == GLV_DB_OWNER_GROUP)
            glv_db_group_read(c);
        return;
    }
    if (!PQconsumeInput(c->pg) || PQstatus(c->pg) == CONNECTION_BAD) {
        conn_broken(c, PQerrorMessage(c->pg));
        return;
    }
    if (c->is_listen)
        glv_db_listen_deliver(c);
    else {
        PGnotify *n;
        while ((n = PQnotifies(c->pg)) != NULL)
            PQfreemem(n);
    }
    if (c->owner == GLV_DB_OWNER_GROUP) {
        glv_db_group_read(c);
        return;
    }
    PGconn *pg = c->pg;
    while (c->pg == pg && c->op && !PQisBusy(pg)) {
        PGresult *r = PQgetResult(pg);
        if (r) {
            /* keep the first error, else the last result */
            if (!c->acc)
                c->acc = r;
            else if (PQresultStatus(c->acc) == PGRES_FATAL_ERROR)
                PQclear(r);
            else {
                PQclear(c->acc);
                c->acc = r;
            }
            continue;
        }
        PGresult *res = c->acc;
        c->acc = NULL;
        if (!res) {
            conn_broken(c, "no result from the server");
            return;
        }
        conn_complete(c, res);
    }
}

void glv_db_conn_release(glv_db_conn *c)
{
    c->owner = GLV_DB_OWNER_NONE;
    c->owner_ptr = NULL;
    c->op = NULL;
    if (c->state == GLV_DB_CONN_BUSY)
        c->state = GLV_DB_CONN_IDLE;
    glv_db_dispatch(c->db);
}

/* ---- the pool ---- */

glv_db *glv_db_new(glv_core *core, const json_t *section, char **err)
{
    const json_t *ci = json_object_get(section, "conninfo");
    if (!json_is_string(ci)) {
        if (err)
            *err = strdup("database.conninfo is required");
        return NULL;
    }
    glv_db *db = calloc(1, sizeof(*db));
    if (!db)
        goto nomem;
    db->core = core;
    db->conninfo = strdup(json_string_value(ci));
    db->pool_size = (int)json_int(section, "pool_size", 4);
    if (db->pool_size < 1)
        db->pool_size = 1;
    db->queue_timeout_ms = (uint32_t)json_int(section, "queue_timeout", 5000);
    db->statement_timeout_ms = (uint32_t)json_int(section, "statement_timeout", 30000);
    db->backoff_min_ms = (uint32_t)json_int(section, "reconnect_min", 100);
    db->backoff_max_ms = (uint32_t)json_int(section, "reconnect_max", 10000);
    if (db->backoff_max_ms < db->backoff_min_ms)
        db->backoff_max_ms = db->backoff_min_ms;
    db->group_max_batch = (uint32_t)json_int(section, "group_commit_max_batch", 500);
    if (db->group_max_batch < 1)
        db->group_max_batch = 1;
    db->group_max_delay_ms = (uint32_t)json_int(section, "group_commit_max_delay", 0);
    db->group_max_inflight = (int)json_int(section, "group_commit_max_inflight", 2);
    if (db->group_max_inflight < 1)
        db->group_max_inflight = 1;
    db->conns = calloc((size_t)db->pool_size, sizeof(glv_db_conn));
    db->ev_tick = event_new(core->base, -1, EV_PERSIST, tick_cb, db);
    db->ev_fail = event_new(core->base, -1, 0, fail_cb, db);
    if (!db->conninfo || !db->conns || !db->ev_tick || !db->ev_fail)
        goto nomem;
    for (int i = 0; i < db->pool_size; i++) {
        db->conns[i].db = db;
        db->conns[i].fd = -1;
        db->conns[i].ev_timer = evtimer_new(core->base, reconnect_cb, &db->conns[i]);
        if (!db->conns[i].ev_timer)
            goto nomem;
    }
    glv_db_group_init(db);
    if (!db->group.ev_delay)
        goto nomem;
    metrics_init(db);
    core->db = db;
    return db;
nomem:
    if (err)
        *err = strdup("out of memory");
    glv_db_free(db);
    return NULL;
}

glv_db_conn *glv_db_listen_conn_new(glv_db *db)
{
    glv_db_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->db = db;
    c->fd = -1;
    c->is_listen = 1;
    c->ev_timer = evtimer_new(db->core->base, reconnect_cb, c);
    if (!c->ev_timer) {
        free(c);
        return NULL;
    }
    return c;
}

int glv_db_start(glv_db *db)
{
    if (db->started)
        return 0;
    db->started = 1;
    db->draining = 0;
    struct timeval tv = ms_tv(GLV_DB_TICK_MS);
    event_add(db->ev_tick, &tv);
    for (int i = 0; i < db->pool_size; i++)
        glv_db_conn_open(&db->conns[i]);
    if (db->listen_conn)
        glv_db_conn_open(db->listen_conn);
    return 0;
}

void glv_db_drain(glv_db *db, glv_callback_fn done, void *arg)
{
    db->draining = 1;
    db->drain_done = done;
    db->drain_arg = arg;
    /* connections still trying to come up will not be needed */
    for (int i = 0; i < db->pool_size; i++) {
        glv_db_conn *c = &db->conns[i];
        if (c->state == GLV_DB_CONN_DOWN || c->state == GLV_DB_CONN_CONNECTING)
            glv_db_conn_close(c);
    }
    glv_db_dispatch(db);
}

void glv_db_free(glv_db *db)
{
    if (!db)
        return;
    if (db->core && db->core->db == db)
        db->core->db = NULL;
    for (int i = 0; db->conns && i < db->pool_size; i++) {
        glv_db_conn_close(&db->conns[i]);
        if (db->conns[i].ev_timer)
            event_free(db->conns[i].ev_timer);
    }
    if (db->listen_conn) {
        glv_db_conn_close(db->listen_conn);
        event_free(db->listen_conn->ev_timer);
        free(db->listen_conn);
    }
    glv_db_listen_free_all(db);
    glv_db_group_fini(db);
    /* Work nobody will answer any more is dropped without callbacks. */
    while (db->wait_head) {
        glv_db_waiter *w = db->wait_head;
        glv_db_wait_remove(db, w);
        if (w->kind == GLV_DB_WAIT_QUERY)
            glv_db_op_free((glv_db_op *)w);
        else if (w->kind == GLV_DB_WAIT_TXN)
            free(w);
    }
    while (db->fail_head) {
        glv_db_op *op = db->fail_head;
        db->fail_head = op->next;
        glv_db_op_free(op);
    }
    if (db->ev_tick)
        event_free(db->ev_tick);
    if (db->ev_fail)
        event_free(db->ev_fail);
    free(db->conns);
    free(db->conninfo);
    free(db);
}
