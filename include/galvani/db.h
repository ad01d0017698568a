/*
 * galvani — PostgreSQL access for plugins.
 *
 * Every query is parameterized ($1, $2, …; parameters are text, NULL for SQL
 * NULL) and prepared once per connection by the host; no call blocks the loop.
 * Three ways to run statements:
 *
 *  - db_query: one statement in its own implicit transaction.
 *  - db_begin / db_txn_query / db_commit / db_rollback: an explicit
 *    transaction on one connection; statements run in the order issued.
 *  - db_group: a write that shares one transaction (and one fsync) with the
 *    other group writes issued in the same loop turn; its callback runs after
 *    COMMIT, so a reply sent from it acknowledges durable data. If one
 *    statement of a batch fails, the batch is rolled back and the others are
 *    run again without it; only the failing one reports an error. Within a
 *    batch, statements run and their callbacks fire in the order issued.
 *    Several batches may be in flight at once on different connections
 *    (database.group_commit_max_inflight): a write issued while an earlier
 *    one is still uncommitted may commit first, and it does not see the
 *    earlier one's rows. Writes that depend on each other wait for the first
 *    one's callback, or use an explicit transaction.
 *
 * While the database is unreachable the host reconnects with backoff;
 * queries wait up to the configured queue timeout and then fail with
 * SQLSTATE "08006" and a clear message. A statement whose connection breaks
 * mid-transaction fails with "08006" too, also when the server ends the
 * session under it (a shutdown: SQLSTATE class 57P, reported as "08006"
 * with the server's message); nothing of its transaction is committed.
 */
#ifndef GALVANI_DB_H
#define GALVANI_DB_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A statement's result: borrowed, valid only during the callback. */
typedef struct glv_db_result glv_db_result;

/* An explicit transaction: valid from db_begin's callback until db_commit's
 * callback has run or db_rollback has been called. */
typedef struct glv_db_txn glv_db_txn;

/* Statement callback; res is never NULL. Check host->db_ok(res). */
typedef void (*glv_db_result_fn)(const glv_db_result *res, void *arg);

/* db_begin callback: txn is NULL when no transaction could be started; then
 * err says why. */
typedef void (*glv_db_txn_fn)(glv_db_txn *txn, const glv_db_result *err, void *arg);

/* LISTEN callback. payload: borrowed, valid during the call. */
typedef void (*glv_db_notify_fn)(const char *channel, const char *payload, void *arg);

/* A numbered migration shipped by a plugin (or the core). Applied in version
 * order, each in one transaction, and recorded in glv_schema_version. */
typedef struct glv_migration {
    uint32_t version; /* 1, 2, 3 … never reused */
    const char *name; /* "create_chargers" */
    const char *sql;  /* may hold several statements */
} glv_migration;

#ifdef __cplusplus
}
#endif
#endif
