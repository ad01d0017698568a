/* PostgreSQL pool: statements, errors, prepared statements, transactions,
 * LISTEN/NOTIFY and metrics, against the real test cluster. */
#include "check_run.h"
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "db-internal.h"
#include "metrics-internal.h"
#include "pg_test.h"

/* What a statement callback saw. */
typedef struct seen {
    int done;
    int ok;
    char sqlstate[8];
    char error[256];
    int rows, cols;
    int64_t affected;
    char values[8][64];
    int nulls[8];
    char col0[32];
} seen;

static const glv_host *H;

static void on_result(const glv_db_result *res, void *arg)
{
    seen *s = arg;
    s->done++;
    s->ok = H->db_ok(res);
    if (!s->ok) {
        snprintf(s->sqlstate, sizeof(s->sqlstate), "%s", H->db_sqlstate(res));
        snprintf(s->error, sizeof(s->error), "%s", H->db_error(res));
        return;
    }
    s->rows = H->db_rows(res);
    s->cols = H->db_cols(res);
    s->affected = H->db_affected(res);
    if (s->cols > 0)
        snprintf(s->col0, sizeof(s->col0), "%s", H->db_col_name(res, 0));
    for (int c = 0; s->rows > 0 && c < s->cols && c < 8; c++) {
        const char *v = H->db_value(res, 0, c);
        s->nulls[c] = v == NULL;
        snprintf(s->values[c], sizeof(s->values[c]), "%s", v ? v : "");
    }
}

static glv_test_db T;

static void setup(void)
{
    glv_test_db_open(&T, "{\"pool_size\": 2}");
    H = T.host;
}

static void teardown(void)
{
    glv_test_db_close(&T);
}

/* Runs one statement and waits for its result. */
static seen query(const char *sql, int n, const char *const *params)
{
    seen s = {0};
    ck_assert_int_eq(H->db_query(T.p, sql, n, params, on_result, &s), 0);
    ck_assert_msg(glv_test_loop_until(T.core->base, &s.done, 10000), "no result for %s", sql);
    return s;
}

static void must(const char *sql)
{
    seen s = query(sql, 0, NULL);
    ck_assert_msg(s.ok, "%s: %s", sql, s.error);
}

START_TEST(params_and_nulls)
{
    must("CREATE TABLE person (id int PRIMARY KEY, name text NOT NULL, note text)");
    const char *p1[] = {"1", "Ada", NULL};
    seen s = query("INSERT INTO person (id, name, note) VALUES ($1, $2, $3)", 3, p1);
    ck_assert_msg(s.ok, "%s", s.error);
    ck_assert_int_eq(s.affected, 1);
    const char *p2[] = {"1"};
    s = query("SELECT note, name, id FROM person WHERE id = $1", 1, p2);
    ck_assert(s.ok);
    ck_assert_int_eq(s.rows, 1);
    ck_assert_int_eq(s.cols, 3);
    ck_assert_str_eq(s.col0, "note");
    ck_assert_int_eq(s.nulls[0], 1);
    ck_assert_str_eq(s.values[1], "Ada");
    ck_assert_str_eq(s.values[2], "1");
    /* a parameter that would break a spliced string stays data */
    const char *p3[] = {"2", "x'); DROP TABLE person; --", "ü €"};
    s = query("INSERT INTO person (id, name, note) VALUES ($1, $2, $3)", 3, p3);
    ck_assert(s.ok);
    s = query("SELECT name, note FROM person WHERE id = 2", 0, NULL);
    ck_assert_str_eq(s.values[0], "x'); DROP TABLE person; --");
    ck_assert_str_eq(s.values[1], "ü €");
    s = query("UPDATE person SET note = 'n' WHERE id > $1", 1, (const char *const[]){"0"});
    ck_assert_int_eq(s.affected, 2);
}
END_TEST

START_TEST(errors_with_sqlstate)
{
    must("CREATE TABLE token (uid text PRIMARY KEY)");
    const char *p[] = {"04A1B2"};
    seen s = query("INSERT INTO token (uid) VALUES ($1)", 1, p);
    ck_assert(s.ok);
    s = query("INSERT INTO token (uid) VALUES ($1)", 1, p);
    ck_assert(!s.ok);
    ck_assert_str_eq(s.sqlstate, "23505");
    ck_assert_msg(strstr(s.error, "duplicate key") != NULL, "message: %s", s.error);
    s = query("SELEC 1", 0, NULL);
    ck_assert(!s.ok);
    ck_assert_str_eq(s.sqlstate, "42601");
    s = query("SELECT * FROM no_such_table", 0, NULL);
    ck_assert_str_eq(s.sqlstate, "42P01");
    /* the pool is still usable after errors */
    s = query("SELECT count(*) FROM token", 0, NULL);
    ck_assert(s.ok);
    ck_assert_str_eq(s.values[0], "1");
    /* the server ending the session under a statement (57P01) reads as a
     * lost connection, and the pool goes on */
    s = query("SELECT pg_terminate_backend(pg_backend_pid())", 0, NULL);
    ck_assert(!s.ok);
    ck_assert_msg(strcmp(s.sqlstate, "08006") == 0, "%s: %s", s.sqlstate, s.error);
    s = query("SELECT count(*) FROM token", 0, NULL);
    ck_assert_msg(s.ok, "%s", s.error);
    /* bad arguments are refused at once */
    ck_assert_int_lt(H->db_query(T.p, NULL, 0, NULL, on_result, &s), 0);
    ck_assert_int_lt(H->db_query(T.p, "SELECT $1", 1, NULL, on_result, &s), 0);
    ck_assert_ptr_nonnull(H->last_error(T.p));
}
END_TEST

START_TEST(prepared_once_per_connection)
{
    glv_test_db_close(&T);
    glv_test_db_open(&T, "{\"pool_size\": 1}");
    H = T.host;
    const char *sql = "SELECT $1::int + 1 AS next";
    for (int i = 0; i < 5; i++) {
        char n[8];
        snprintf(n, sizeof(n), "%d", i);
        const char *p[] = {n};
        seen s = query(sql, 1, p);
        ck_assert(s.ok);
        ck_assert_int_eq(atoi(s.values[0]), i + 1);
    }
    const char *p[] = {sql};
    seen s = query("SELECT count(*) FROM pg_prepared_statements WHERE statement = $1", 1, p);
    ck_assert(s.ok);
    ck_assert_str_eq(s.values[0], "1");
}
END_TEST

/* ---- explicit transactions ---- */

typedef struct txn_run {
    glv_db_txn *txn;
    int ready;
    seen stmt[4];
    seen commit;
} txn_run;

static void on_ready(glv_db_txn *txn, const glv_db_result *err, void *arg)
{
    txn_run *r = arg;
    r->txn = txn;
    r->ready = 1;
}

static txn_run *begin(void)
{
    txn_run *r = calloc(1, sizeof(*r));
    ck_assert_int_eq(H->db_begin(T.p, on_ready, r), 0);
    ck_assert(glv_test_loop_until(T.core->base, &r->ready, 10000));
    ck_assert_ptr_nonnull(r->txn);
    return r;
}

START_TEST(transaction_commit_and_rollback)
{
    must("CREATE TABLE ledger (id int PRIMARY KEY, amount int)");
    txn_run *r = begin();
    ck_assert_int_eq(H->db_txn_query(r->txn, "INSERT INTO ledger VALUES ($1, $2)", 2,
                                     (const char *const[]){"1", "10"}, on_result, &r->stmt[0]),
                     0);
    ck_assert_int_eq(H->db_txn_query(r->txn, "INSERT INTO ledger VALUES ($1, $2)", 2,
                                     (const char *const[]){"2", "20"}, on_result, &r->stmt[1]),
                     0);
    ck_assert_int_eq(H->db_commit(r->txn, on_result, &r->commit), 0);
    ck_assert(glv_test_loop_until(T.core->base, &r->commit.done, 10000));
    ck_assert(r->stmt[0].ok && r->stmt[1].ok);
    ck_assert_msg(r->commit.ok, "%s", r->commit.error);
    ck_assert_int_eq(glv_test_pg_int(T.conninfo, "SELECT sum(amount) FROM ledger"), 30);
    free(r);

    /* rollback: nothing stays; a statement still queued reports an error */
    r = begin();
    H->db_txn_query(r->txn, "INSERT INTO ledger VALUES ($1, $2)", 2,
                    (const char *const[]){"3", "30"}, on_result, &r->stmt[0]);
    ck_assert(glv_test_loop_until(T.core->base, &r->stmt[0].done, 10000));
    ck_assert(r->stmt[0].ok);
    /* the uncommitted row is invisible elsewhere */
    ck_assert_int_eq(glv_test_pg_int(T.conninfo, "SELECT count(*) FROM ledger"), 2);
    H->db_txn_query(r->txn, "INSERT INTO ledger VALUES ($1, $2)", 2,
                    (const char *const[]){"4", "40"}, on_result, &r->stmt[1]);
    H->db_rollback(r->txn);
    ck_assert(glv_test_loop_until(T.core->base, &r->stmt[1].done, 10000));
    ck_assert(!r->stmt[1].ok);
    glv_test_loop_for(T.core->base, 50);
    ck_assert_int_eq(glv_test_pg_int(T.conninfo, "SELECT count(*) FROM ledger"), 2);
    free(r);

    /* a failed statement makes COMMIT report the rollback */
    r = begin();
    H->db_txn_query(r->txn, "INSERT INTO ledger VALUES ($1, $2)", 2,
                    (const char *const[]){"5", "50"}, on_result, &r->stmt[0]);
    H->db_txn_query(r->txn, "INSERT INTO ledger VALUES ($1, $2)", 2,
                    (const char *const[]){"1", "99"}, on_result, &r->stmt[1]);
    H->db_commit(r->txn, on_result, &r->commit);
    ck_assert(glv_test_loop_until(T.core->base, &r->commit.done, 10000));
    ck_assert(r->stmt[0].ok);
    ck_assert_str_eq(r->stmt[1].sqlstate, "23505");
    ck_assert(!r->commit.ok);
    ck_assert_str_eq(r->commit.sqlstate, "40000");
    ck_assert_int_eq(glv_test_pg_int(T.conninfo, "SELECT count(*) FROM ledger"), 2);
    free(r);

    /* the connections all came back: plain queries still run */
    seen s = query("SELECT 1", 0, NULL);
    ck_assert(s.ok);
}
END_TEST

START_TEST(transactions_hold_their_connection)
{
    /* two open transactions on a pool of two: a third waits, then runs */
    must("CREATE TABLE c (n int)");
    txn_run *a = begin(), *b = begin();
    seen q = {0};
    H->db_query(T.p, "INSERT INTO c VALUES (7)", 0, NULL, on_result, &q);
    glv_test_loop_for(T.core->base, 100);
    ck_assert_int_eq(q.done, 0);
    H->db_commit(a->txn, on_result, &a->commit);
    ck_assert(glv_test_loop_until(T.core->base, &q.done, 10000));
    ck_assert(q.ok);
    H->db_rollback(b->txn);
    glv_test_loop_for(T.core->base, 50);
    free(a);
    free(b);
}
END_TEST

/* ---- LISTEN/NOTIFY ---- */

typedef struct heard {
    int count;
    char channel[64];
    char payload[128];
} heard;

static void on_notify(const char *channel, const char *payload, void *arg)
{
    heard *h = arg;
    h->count++;
    snprintf(h->channel, sizeof(h->channel), "%s", channel);
    snprintf(h->payload, sizeof(h->payload), "%s", payload);
}

START_TEST(listen_notify)
{
    heard h = {0}, other = {0};
    ck_assert_int_eq(H->db_listen(T.p, "Charger Commands", on_notify, &h), 0);
    ck_assert_int_eq(H->db_listen(T.p, "other", on_notify, &other), 0);
    /* LISTEN is asynchronous: notify until the first one arrives */
    for (int i = 0; i < 100 && !h.count; i++) {
        ck_assert_int_eq(H->db_notify(T.p, "Charger Commands", "it's {\"cmd\":\"reset\"}"), 0);
        glv_test_loop_for(T.core->base, 50);
    }
    ck_assert_int_ge(h.count, 1);
    ck_assert_str_eq(h.channel, "Charger Commands");
    ck_assert_str_eq(h.payload, "it's {\"cmd\":\"reset\"}");
    ck_assert_int_eq(other.count, 0);
    /* a NOTIFY from another session reaches us too */
    int before = h.count;
    glv_test_pg_exec(T.conninfo, "NOTIFY \"Charger Commands\", 'from outside'");
    glv_test_loop_for(T.core->base, 300);
    ck_assert_int_eq(h.count, before + 1);
    ck_assert_str_eq(h.payload, "from outside");
    char big[8100];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ck_assert_int_lt(H->db_notify(T.p, "other", big), 0);
}
END_TEST

START_TEST(metrics_counted)
{
    double q0 = glv_metric_value(T.db->m_queries);
    double e0 = glv_metric_value(T.db->m_errors);
    must("SELECT 1");
    seen s = query("SELECT 1/0", 0, NULL);
    ck_assert_str_eq(s.sqlstate, "22012");
    ck_assert(glv_metric_value(T.db->m_queries) == q0 + 2);
    ck_assert(glv_metric_value(T.db->m_errors) == e0 + 1);
    ck_assert(glv_metric_value(T.db->m_latency) >= 2);
    for (int i = 0; i < 500 && T.db->up < 2; i++)
        glv_test_loop_for(T.core->base, 10);
    ck_assert(glv_metric_value(T.db->m_up) == 2);
    ck_assert(glv_db_healthy(T.db));
}
END_TEST

static void on_drained(void *arg)
{
    (*(int *)arg)++;
}

START_TEST(drain_finishes_work_then_closes)
{
    seen a = {0}, b = {0};
    int drained = 0;
    ck_assert_int_eq(H->db_query(T.p, "SELECT pg_sleep(0.1)", 0, NULL, on_result, &a), 0);
    ck_assert_int_eq(H->db_group(T.p, "SELECT 2", 0, NULL, on_result, &b), 0);
    glv_db_drain(T.db, on_drained, &drained);
    ck_assert_int_lt(H->db_query(T.p, "SELECT 3", 0, NULL, on_result, &a), 0);
    ck_assert(glv_test_loop_until(T.core->base, &drained, 10000));
    ck_assert_int_eq(drained, 1);
    ck_assert(a.ok && a.done == 1);
    ck_assert(b.ok && b.done == 1);
    ck_assert(!glv_db_healthy(T.db));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("db_query");
    TCase *tc = tcase_create("pool");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, params_and_nulls);
    tcase_add_test(tc, errors_with_sqlstate);
    tcase_add_test(tc, prepared_once_per_connection);
    tcase_add_test(tc, transaction_commit_and_rollback);
    tcase_add_test(tc, transactions_hold_their_connection);
    tcase_add_test(tc, listen_notify);
    tcase_add_test(tc, metrics_counted);
    tcase_add_test(tc, drain_finishes_work_then_closes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return glv_test_run(suite());
}
