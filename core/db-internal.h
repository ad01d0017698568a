/*
 * galvani core — private. The PostgreSQL layer: a pool of non-blocking libpq
 * connections on the loop, prepared statements, transactions, group commit,
 * reconnect with backoff, LISTEN/NOTIFY, and migrations.
 */
#ifndef GLV_DB_INTERNAL_H
#define GLV_DB_INTERNAL_H

#include "core-internal.h"

/* Schema of the `database:` section (conninfo, pool size, timeouts …). */
extern const glv_config_field glv_db_config_schema[];

/* Creates the pool from a validated `database:` section and attaches it to
 * core->db. Connections are opened by glv_db_start. NULL + *err on error. */
glv_db *glv_db_new(glv_core *core, const json_t *section, char **err);
/* Starts connecting (asynchronously). */
int glv_db_start(glv_db *db);
/* Finishes queued work, then closes every connection; done runs on the loop
 * when all is closed (or at once when idle). */
void glv_db_drain(glv_db *db, glv_callback_fn done, void *arg);
void glv_db_free(glv_db *db);

/* Migrations (blocking libpq: for galvanictl and galvanid -t, never on the
 * loop of a running daemon). component: "core" or a plugin name. */
typedef struct glv_migration_set {
    const char *component;
    const glv_migration *migrations; /* {0} terminated */
} glv_migration_set;

extern const glv_migration glv_core_migrations[]; /* generated from sql/ */

/* Applies what is missing of each set, each migration in one transaction,
 * recording it in glv_schema_version. Prints one line per migration applied
 * to `out` (may be NULL). Returns 0, or -1 with *err malloc'd. */
int glv_db_migrate(const char *conninfo, const glv_migration_set *sets, size_t nsets, FILE *out,
                   char **err);
/* Checks that every set is fully applied; -1 with *err naming the component
 * and the command to run otherwise (also when the server is unreachable). */
int glv_db_check_schema(const char *conninfo, const glv_migration_set *sets, size_t nsets,
                        char **err);
/* Checks that no session of the database runs as node_id (the pool's
 * application_name), so that two processes never share one node id; -1
 * with *err naming the session otherwise. */
int glv_db_check_node(const char *conninfo, const char *node_id, char **err);

/* 1 when at least one pool connection is up (for /healthz). */
int glv_db_healthy(const glv_db *db);

/* Per component: the highest version applied and the highest shipped. */
typedef struct glv_migration_status {
    const char *component; /* borrowed from the set */
    uint32_t applied;      /* 0 when none */
    uint32_t latest;       /* 0 when the set is empty */
} glv_migration_status;

/* Fills out[i] for each set (blocking libpq). -1 with *err malloc'd. */
int glv_db_migration_status(const char *conninfo, const glv_migration_set *sets, size_t nsets,
                            glv_migration_status *out, char **err);

/* ------------------------------------------------------------------------
 * Shared between the db_*.c files only.
 * ---------------------------------------------------------------------- */
#include <libpq-fe.h>
#include <stdio.h>

struct event;
typedef struct glv_db_conn glv_db_conn;
typedef struct glv_db_op glv_db_op;
typedef struct glv_db_waiter glv_db_waiter;
typedef struct glv_db_listener glv_db_listener;

struct glv_db_result {
    PGresult *pg; /* owned, or NULL for an error made by the host */
    int ok;
    const char *error;    /* NULL on success */
    const char *sqlstate; /* NULL on success */
    char *msg;            /* owned text behind error */
    char state[6];        /* owned text behind sqlstate */
};

/* Something waiting for a connection: a query, a transaction or the group. */
enum glv_db_waiter_kind { GLV_DB_WAIT_QUERY = 1, GLV_DB_WAIT_TXN, GLV_DB_WAIT_GROUP };
struct glv_db_waiter {
    glv_db_waiter *next, *prev;
    enum glv_db_waiter_kind kind;
    uint64_t since_ms;
    int queued;
};

enum glv_db_op_kind {
    GLV_DB_OP_PREPARED = 0, /* parameterized, prepared once per connection */
    GLV_DB_OP_SIMPLE,       /* simple protocol, no parameters (BEGIN, LISTEN …) */
};

struct glv_db_op {
    glv_db_waiter w; /* first: a queued plain query is its own waiter */
    glv_db_op *next;
    enum glv_db_op_kind kind;
    char *sql; /* owned */
    uint64_t hash;
    int nparams;
    char **params; /* owned; entries may be NULL */
    glv_db_result_fn done;
    void *arg;
    glv_db_result res;
    uint64_t started_us;
    int internal; /* BEGIN/COMMIT/… issued by the host: not counted */
    int failed;   /* group: excluded from the batch */
    int step;     /* 1 while its PREPARE runs, 2 while it executes */
};

enum glv_db_conn_state {
    GLV_DB_CONN_DOWN = 0, /* waiting for the reconnect timer */
    GLV_DB_CONN_CONNECTING,
    GLV_DB_CONN_INIT, /* session settings being applied */
    GLV_DB_CONN_IDLE,
    GLV_DB_CONN_BUSY,
};

enum glv_db_owner {
    GLV_DB_OWNER_NONE = 0,
    GLV_DB_OWNER_QUERY,
    GLV_DB_OWNER_TXN,
    GLV_DB_OWNER_GROUP,
    GLV_DB_OWNER_LISTEN,
};

typedef struct glv_db_stmt_cache {
    uint64_t *hashes; /* 0 = free slot */
    char **sqls;
    size_t cap, count;
} glv_db_stmt_cache;

struct glv_db_conn {
    glv_db *db;
    PGconn *pg;
    enum glv_db_conn_state state;
    int is_listen;
    int fd;
    struct event *ev_read;  /* persistent while connected */
    struct event *ev_write; /* armed while libpq has output to flush */
    struct event *ev_timer; /* reconnect backoff / connect deadline */
    uint32_t backoff_ms;
    glv_db_stmt_cache cache;
    glv_db_op *op; /* in flight */
    PGresult *acc; /* result of the command in flight so far */
    enum glv_db_owner owner;
    void *owner_ptr;
    glv_db_op init_op;
};

/* One command queued in a pipeline, in the order its results come back. */
enum glv_db_slot_kind {
    GLV_DB_SLOT_BEGIN = 1,
    GLV_DB_SLOT_PREPARE, /* Parse of op's statement */
    GLV_DB_SLOT_EXEC,    /* op itself */
    GLV_DB_SLOT_COMMIT,
    GLV_DB_SLOT_ROLLBACK,
    GLV_DB_SLOT_SYNC, /* end of a pipeline segment: PGRES_PIPELINE_SYNC */
};

typedef struct glv_db_slot {
    enum glv_db_slot_kind kind;
    uint32_t op; /* index into the batch (PREPARE, EXEC, SYNC in solo mode) */
} glv_db_slot;

typedef struct glv_db_group glv_db_group;

/* A group-commit batch in flight on one connection, sent in pipeline mode:
 * BEGIN, every statement, COMMIT and a sync point in one flush. */
typedef struct glv_db_batch {
    glv_db_group *g;
    struct glv_db_batch *next, *prev; /* in g's list of batches in flight */
    glv_db_conn *conn;
    glv_db_op **ops; /* NULL entries: reported already (solo mode) */
    size_t n;
    glv_db_slot *slots; /* the round in flight */
    size_t nslots, slot_cap, cursor;
    PGresult *acc;     /* results of the command being read so far */
    int solo;          /* each statement in its own implicit transaction */
    int need_rollback; /* the connection is in an aborted transaction */
    int round_failed;  /* a statement (or BEGIN) failed in this round */
    int begin_failed;  /* BEGIN itself failed: every statement fails */
    int committed;     /* COMMIT answered COMMIT */
    int commit_failed; /* COMMIT failed or answered ROLLBACK */
    int cleanup;       /* this round only rolls back */
    glv_db_result commit_res;
} glv_db_batch;

struct glv_db_group {
    glv_db_waiter w;
    glv_db_op *pend_head, *pend_tail;
    size_t npend;
    struct event *ev_delay;
    int delay_armed;
    int ninflight;
    glv_db_batch *batches; /* in flight */
};

struct glv_db {
    glv_core *core;
    glv_plugin *self; /* for messages */
    char *conninfo;
    int pool_size;
    uint32_t queue_timeout_ms;
    uint32_t statement_timeout_ms;
    uint32_t backoff_min_ms, backoff_max_ms;
    uint32_t group_max_batch, group_max_delay_ms;
    int group_max_inflight; /* batches in flight at once, each on its own connection */
    glv_db_conn *conns;     /* pool_size entries */
    int up;                 /* connections up */
    int started;
    glv_db_waiter *wait_head, *wait_tail;
    size_t nwait;
    struct event *ev_tick; /* queue timeouts */
    struct event *ev_fail; /* delivers failures made off the loop path */
    glv_db_op *fail_head, *fail_tail;
    glv_db_group group;
    glv_db_conn *listen_conn; /* NULL until the first LISTEN */
    glv_db_listener *listeners;
    glv_db_op *listen_head, *listen_tail; /* LISTEN commands to send */
    int draining;
    glv_callback_fn drain_done;
    void *drain_arg;
    char last_error[256];
    uint64_t open_txns;
    glv_metric *m_up, *m_queries, *m_errors, *m_latency, *m_batches, *m_batched;
    glv_metric *m_batch_last, *m_reconnects;
};

/* db_pool.c */
uint64_t glv_db_now_ms(void);
uint64_t glv_db_now_us(void);
/* Adds w to the wait queue and hands out idle connections. */
void glv_db_wait_push(glv_db *db, glv_db_waiter *w);
void glv_db_wait_remove(glv_db *db, glv_db_waiter *w);
/* Hands idle connections to waiters (and finishes a drain). */
void glv_db_dispatch(glv_db *db);
/* Sends op on c (which must have no op in flight). A send failure breaks c. */
void glv_db_conn_send(glv_db_conn *c, glv_db_op *op);
/* Flushes what libpq holds for c (arms the write event when the socket is
 * full). A failure breaks c. */
void glv_db_conn_flush(glv_db_conn *c);
/* c failed while up: everything on it fails and it reconnects. */
void glv_db_conn_fail(glv_db_conn *c, const char *why);
/* The owner is done with c: back to the idle set. */
void glv_db_conn_release(glv_db_conn *c);
/* Opens (or reopens) a connection on the loop. */
void glv_db_conn_open(glv_db_conn *c);
void glv_db_conn_close(glv_db_conn *c);
/* A connection outside the pool for LISTEN (not yet opened). NULL on ENOMEM. */
glv_db_conn *glv_db_listen_conn_new(glv_db *db);
/* Delivers op's failure on a later loop turn, then frees op. */
void glv_db_fail_later(glv_db *db, glv_db_op *op, const char *sqlstate, const char *fmt, ...)
    GLV_PRINTF(4, 5);
/* Counts a finished user statement (metrics). */
void glv_db_count(glv_db *db, const glv_db_op *op);

/* db_statement.c */
/* New op; sql and params copied. NULL on ENOMEM. */
glv_db_op *glv_db_op_new(enum glv_db_op_kind kind, const char *sql, int nparams,
                         const char *const *params, glv_db_result_fn done, void *arg);
void glv_db_op_init_static(glv_db_op *op, const char *sql); /* SIMPLE, internal */
void glv_db_op_free(glv_db_op *op);                         /* also its result */
/* Starts op (PREPARE first when needed). 0, or -1 when libpq refused. */
int glv_db_op_start(glv_db_conn *c, glv_db_op *op);
/* A command of op finished with res (stolen). Returns 1 when op went on
 * (its EXECUTE after a PREPARE was sent), 0 when op is complete (op->res
 * filled), -1 when the follow-up could not be sent. */
int glv_db_op_step(glv_db_conn *c, glv_db_op *op, PGresult *res);
/* Pipeline mode: queues op's PREPARE when this connection has not prepared
 * it (*prepared set to 1; the statement is entered in the cache at once and
 * must be forgotten with glv_db_op_unprepare when the PREPARE does not
 * succeed), then op's execution. 0, or -1 when libpq refused. */
int glv_db_op_queue(glv_db_conn *c, glv_db_op *op, int *prepared);
void glv_db_op_unprepare(glv_db_conn *c, const glv_db_op *op);
/* Pipeline mode: queues a statement without parameters (BEGIN, COMMIT …). */
int glv_db_queue_simple(glv_db_conn *c, const char *sql);
/* Calls op->done with op->res (when done is set). */
void glv_db_op_report(glv_db_op *op);
void glv_db_stmt_cache_clear(glv_db_stmt_cache *cache);
void glv_db_result_from_pg(glv_db_result *res, PGresult *pg); /* pg stolen */
void glv_db_result_error(glv_db_result *res, const char *sqlstate, const char *fmt, ...)
    GLV_PRINTF(3, 4);
void glv_db_result_clear(glv_db_result *res);

/* db_query.c */
void glv_db_query_on_conn(glv_db_conn *c, glv_db_op *op); /* a waiter got c */
void glv_db_query_done(glv_db_conn *c, glv_db_op *op);
void glv_db_query_broken(glv_db *db, glv_db_op *op);
int glv_db_query_submit(glv_db *db, glv_db_op *op); /* op stolen */

/* db_txn.c */
void glv_db_txn_on_conn(glv_db_conn *c, glv_db_waiter *w);
void glv_db_txn_done(glv_db_conn *c, glv_db_op *op);
void glv_db_txn_broken(glv_db *db, void *txn, glv_db_op *inflight);
void glv_db_txn_timeout(glv_db *db, glv_db_waiter *w, const char *sqlstate, const char *msg);

/* db_group.c */
void glv_db_group_init(glv_db *db);
void glv_db_group_fini(glv_db *db);
int glv_db_group_submit(glv_db *db, glv_db_op *op); /* op stolen */
void glv_db_group_on_conn(glv_db_conn *c);
/* Reads the results of the pipeline in flight on c. */
void glv_db_group_read(glv_db_conn *c);
void glv_db_group_broken(glv_db *db, void *batch);
/* Fails pending group statements older than the queue timeout. */
void glv_db_group_expire(glv_db *db, uint64_t now_ms, const char *sqlstate, const char *msg);
int glv_db_group_idle(const glv_db *db);

/* db_notify.c */
void glv_db_listen_ready(glv_db_conn *c); /* the listen connection is up */
void glv_db_listen_done(glv_db_conn *c, glv_db_op *op);
void glv_db_listen_broken(glv_db *db);
void glv_db_listen_deliver(glv_db_conn *c); /* reads PQnotifies */
void glv_db_listen_free_all(glv_db *db);

/* Host table entries (db_host.c fills them in). */
int glv_db_host_begin(glv_plugin *p, glv_db_txn_fn ready, void *arg);
int glv_db_host_txn_query(glv_db_txn *txn, const char *sql, int nparams, const char *const *params,
                          glv_db_result_fn done, void *arg);
int glv_db_host_commit(glv_db_txn *txn, glv_db_result_fn done, void *arg);
void glv_db_host_rollback(glv_db_txn *txn);
int glv_db_host_listen(glv_plugin *p, const char *channel, glv_db_notify_fn fn, void *arg);
int glv_db_host_notify(glv_plugin *p, const char *channel, const char *payload);

#endif
