/* PostgreSQL group commit: many writes share one transaction sent as one
 * pipeline, callbacks run after their own COMMIT, a failing write fails
 * alone, and several batches run at once on different connections. */
#include "check_run.h"
#include <check.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db-internal.h"
#include "metrics-internal.h"
#include "pg_test.h"

#define WRITES 1000

static glv_test_db T;
static const glv_host *H;

typedef struct write_result {
    int id;
    int done;
    int ok;
    int visible_at_callback; /* checked for some: the row was committed */
    char sqlstate[8];
} write_result;

static write_result results[WRITES];
static int ndone;
static double check_seconds; /* spent in the blocking visibility checks */
static double now_s(void);

static void setup(void)
{
    memset(results, 0, sizeof(results));
    ndone = 0;
    check_seconds = 0;
}

static void teardown(void)
{
    if (T.core)
        glv_test_db_close(&T);
}

static void on_write(const glv_db_result *res, void *arg)
{
    write_result *w = arg;
    w->done++;
    w->ok = H->db_ok(res);
    if (!w->ok)
        snprintf(w->sqlstate, sizeof(w->sqlstate), "%s", H->db_sqlstate(res));
    if (w->ok && w->id % 100 == 0) {
        char sql[96];
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM meter WHERE id = %d", w->id);
        double t = now_s();
        w->visible_at_callback = (int)glv_test_pg_int(T.conninfo, sql);
        check_seconds += now_s() - t;
    }
    ndone++;
}

static void group_insert(int id, int value)
{
    char a[16], b[16];
    snprintf(a, sizeof(a), "%d", id);
    snprintf(b, sizeof(b), "%d", value);
    const char *p[] = {a, b};
    results[id].id = id;
    ck_assert_int_eq(
        H->db_group(T.p, "INSERT INTO meter (id, v) VALUES ($1, $2)", 2, p, on_write, &results[id]),
        0);
}

static void open_with_table(const char *settings)
{
    glv_test_db_open(&T, settings);
    H = T.host;
    glv_test_pg_exec(T.conninfo, "CREATE TABLE meter (id int PRIMARY KEY, v int NOT NULL)");
}

/* Issues waves of 100 writes from successive loop turns, so that later
 * waves arrive while earlier batches are in flight. */
static int next_wave;
static struct event *wave_ev;

static void wave_cb(evutil_socket_t fd, short what, void *arg)
{
    for (int i = 0; i < 100; i++, next_wave++)
        group_insert(next_wave, next_wave * 2);
    if (next_wave < WRITES) {
        struct timeval tv = {0, 200};
        evtimer_add(wave_ev, &tv);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(thousand_writes_fewer_batches)
{
    open_with_table(NULL);
    double b0 = glv_metric_value(T.db->m_batches);
    next_wave = 0;
    wave_ev = evtimer_new(T.core->base, wave_cb, NULL);
    double t0 = now_s();
    event_active(wave_ev, EV_TIMEOUT, 0);
    int all = 0;
    while (!all && now_s() - t0 < 60) {
        event_base_loop(T.core->base, EVLOOP_ONCE);
        all = ndone == WRITES;
    }
    double elapsed = now_s() - t0 - check_seconds;
    event_free(wave_ev);
    ck_assert_int_eq(ndone, WRITES);
    for (int i = 0; i < WRITES; i++) {
        ck_assert_int_eq(results[i].done, 1);
        ck_assert_msg(results[i].ok, "write %d failed: %s", i, results[i].sqlstate);
        if (i % 100 == 0)
            ck_assert_msg(results[i].visible_at_callback == 1,
                          "write %d was reported before it was committed", i);
    }
    ck_assert_int_eq(glv_test_pg_int(T.conninfo, "SELECT count(*) FROM meter"), WRITES);
    ck_assert_int_eq(glv_test_pg_int(T.conninfo, "SELECT sum(v) FROM meter"),
                     (long long)WRITES * (WRITES - 1));
    double batches = glv_metric_value(T.db->m_batches) - b0;
    ck_assert_msg(batches >= 2 && batches < WRITES / 10, "%g batches", batches);
    fprintf(stderr,
            "group commit: %d writes in %.3f s (%.0f/s), %g transactions (visibility checks "
            "excluded)\n",
            WRITES, elapsed, WRITES / elapsed, batches);
}
END_TEST

START_TEST(failing_write_fails_alone)
{
    open_with_table(NULL);
    glv_test_pg_exec(T.conninfo, "INSERT INTO meter VALUES (5, 0)");
    double b0 = glv_metric_value(T.db->m_batches);
    for (int id = 1; id <= 10; id++)
        group_insert(id, 1);
    while (ndone < 10 && event_base_loop(T.core->base, EVLOOP_ONCE) == 0)
        ;
    for (int id = 1; id <= 10; id++) {
        ck_assert_int_eq(results[id].done, 1);
        if (id == 5) {
            ck_assert(!results[id].ok);
            ck_assert_str_eq(results[id].sqlstate, "23505");
        } else {
            ck_assert_msg(results[id].ok, "write %d: %s", id, results[id].sqlstate);
        }
    }
    ck_assert_int_eq(glv_test_pg_int(T.conninfo, "SELECT count(*) FROM meter"), 10);
    ck_assert_int_eq(glv_test_pg_int(T.conninfo, "SELECT v FROM meter WHERE id = 5"), 0);
    /* rolled back once and re-run: still one committed transaction */
    ck_assert(glv_metric_value(T.db->m_batches) - b0 == 1);
}
END_TEST

/* The server ending the session under a batch (57P01, as at a shutdown)
 * fails its writes as a lost connection (08006), commits none of them, and
 * the next writes go through on a new connection. */
START_TEST(session_ended_by_the_server_reads_as_lost)
{
    open_with_table(NULL);
    for (int id = 1; id <= 3; id++)
        group_insert(id, 1);
    results[4].id = 4;
    ck_assert_int_eq(H->db_group(T.p, "SELECT pg_terminate_backend(pg_backend_pid())", 0, NULL,
                                 on_write, &results[4]),
                     0);
    for (int id = 5; id <= 6; id++)
        group_insert(id, 1);
    while (ndone < 6 && event_base_loop(T.core->base, EVLOOP_ONCE) == 0)
        ;
    for (int id = 1; id <= 6; id++) {
        ck_assert_int_eq(results[id].done, 1);
        ck_assert_msg(!results[id].ok && strcmp(results[id].sqlstate, "08006") == 0,
                      "write %d: ok %d, %s", id, results[id].ok, results[id].sqlstate);
    }
    ck_assert_int_eq(glv_test_pg_int(T.conninfo, "SELECT count(*) FROM meter"), 0);
    group_insert(7, 1);
    double t0 = now_s();
    while (results[7].done == 0 && now_s() - t0 < 10 &&
           event_base_loop(T.core->base, EVLOOP_ONCE) == 0)
        ;
    ck_assert_msg(results[7].ok, "write 7: %s", results[7].sqlstate);
}
END_TEST

START_TEST(batches_respect_max_size)
{
    open_with_table("{\"group_commit_max_batch\": 50}");
    double b0 = glv_metric_value(T.db->m_batches);
    for (int id = 0; id < 200; id++)
        group_insert(id, 1);
    while (ndone < 200 && event_base_loop(T.core->base, EVLOOP_ONCE) == 0)
        ;
    ck_assert_int_eq(glv_test_pg_int(T.conninfo, "SELECT count(*) FROM meter"), 200);
    ck_assert(glv_metric_value(T.db->m_batches) - b0 >= 4);
    ck_assert(glv_metric_value(T.db->m_batch_last) <= 50);
}
END_TEST

START_TEST(commit_time_failure_found)
{
    /* A deferred constraint fails only at COMMIT: each write then runs on
     * its own so that only the culprit fails. */
    open_with_table(NULL);
    glv_test_pg_exec(T.conninfo, "ALTER TABLE meter ADD CONSTRAINT v_unique UNIQUE (v) "
                                 "DEFERRABLE INITIALLY DEFERRED");
    group_insert(1, 10);
    group_insert(2, 10);
    group_insert(3, 30);
    while (ndone < 3 && event_base_loop(T.core->base, EVLOOP_ONCE) == 0)
        ;
    ck_assert(results[1].ok);
    ck_assert(!results[2].ok);
    ck_assert_str_eq(results[2].sqlstate, "23505");
    ck_assert(results[3].ok);
    ck_assert_int_eq(glv_test_pg_int(T.conninfo, "SELECT count(*) FROM meter"), 2);
}
END_TEST

/* ---- several batches in flight ---- */

typedef struct seen {
    int order[64];
    int n;
} seen;

static seen order_seen;

typedef struct tagged {
    int tag;
    int done, ok;
    double at;
    char sqlstate[8];
} tagged;

static void on_tagged(const glv_db_result *res, void *arg)
{
    tagged *t = arg;
    t->done++;
    t->ok = H->db_ok(res);
    t->at = now_s();
    if (!t->ok)
        snprintf(t->sqlstate, sizeof(t->sqlstate), "%s", H->db_sqlstate(res));
    if (order_seen.n < 64)
        order_seen.order[order_seen.n++] = t->tag;
    ndone++;
}

static void group_sql(const char *sql, tagged *t, int tag)
{
    t->tag = tag;
    ck_assert_int_eq(H->db_group(T.p, sql, 0, NULL, on_tagged, t), 0);
}

/* A slow batch (pg_sleep) is in flight; writes issued on the next loop
 * turn form a second batch on another connection and commit first. */
static tagged slow, fast[5];
static struct event *second_ev;

static void second_cb(evutil_socket_t fd, short what, void *arg)
{
    char sql[64];
    for (int i = 0; i < 5; i++) {
        snprintf(sql, sizeof(sql), "INSERT INTO meter VALUES (%d, 1)", 100 + i);
        group_sql(sql, &fast[i], 100 + i);
    }
}

static void run_slow_then_fast(void)
{
    memset(&slow, 0, sizeof(slow));
    memset(fast, 0, sizeof(fast));
    memset(&order_seen, 0, sizeof(order_seen));
    group_sql("INSERT INTO meter SELECT 1, 1 FROM pg_sleep(0.6)", &slow, 1);
    second_ev = evtimer_new(T.core->base, second_cb, NULL);
    struct timeval tv = {0, 100000}; /* the slow batch is on its way */
    evtimer_add(second_ev, &tv);
    double t0 = now_s();
    while (ndone < 6 && now_s() - t0 < 30)
        event_base_loop(T.core->base, EVLOOP_ONCE);
    event_free(second_ev);
    ck_assert_int_eq(ndone, 6);
    ck_assert_msg(slow.ok, "slow write: %s", slow.sqlstate);
    for (int i = 0; i < 5; i++)
        ck_assert_msg(fast[i].ok, "write %d: %s", i, fast[i].sqlstate);
}

START_TEST(batches_run_concurrently)
{
    open_with_table("{\"pool_size\": 3, \"group_commit_max_inflight\": 2}");
    double b0 = glv_metric_value(T.db->m_batches);
    run_slow_then_fast();
    /* the later batch committed while the slow one still ran */
    ck_assert_int_eq(order_seen.order[0], 100);
    ck_assert_int_eq(order_seen.order[5], 1);
    ck_assert_msg(slow.at - fast[4].at > 0.2, "fast batch done %.3f s before the slow one",
                  slow.at - fast[4].at);
    ck_assert(glv_metric_value(T.db->m_batches) - b0 == 2);
    /* within its batch, callbacks come in the order the writes were issued */
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(order_seen.order[i], 100 + i);
    ck_assert_int_eq(glv_test_pg_int(T.conninfo, "SELECT count(*) FROM meter"), 6);
}
END_TEST

START_TEST(inflight_cap_respected)
{
    /* One batch at a time: the later writes wait for the slow batch. */
    open_with_table("{\"pool_size\": 3, \"group_commit_max_inflight\": 1}");
    double b0 = glv_metric_value(T.db->m_batches);
    run_slow_then_fast();
    ck_assert_int_eq(order_seen.order[0], 1);
    ck_assert(fast[0].at >= slow.at);
    ck_assert(glv_metric_value(T.db->m_batches) - b0 == 2);
}
END_TEST

/* Many concurrent batches, each callback after its own COMMIT: every
 * acknowledged row is visible to another connection at callback time. */
static int visible_bad;

static void on_visible(const glv_db_result *res, void *arg)
{
    write_result *w = arg;
    w->done++;
    w->ok = H->db_ok(res);
    if (w->ok && w->id % 37 == 0) {
        char sql[96];
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM meter WHERE id = %d", w->id);
        if (glv_test_pg_int(T.conninfo, sql) != 1)
            visible_bad++;
    }
    ndone++;
}

static struct event *drip_ev;
static int dripped;

static void drip_cb(evutil_socket_t fd, short what, void *arg)
{
    for (int i = 0; i < 7 && dripped < 700; i++, dripped++) {
        char a[16];
        snprintf(a, sizeof(a), "%d", dripped);
        const char *p[] = {a};
        results[dripped].id = dripped;
        ck_assert_int_eq(H->db_group(T.p, "INSERT INTO meter (id, v) VALUES ($1, 0)", 1, p,
                                     on_visible, &results[dripped]),
                         0);
    }
    if (dripped < 700) {
        struct timeval tv = {0, 100};
        evtimer_add(drip_ev, &tv);
    }
}

START_TEST(concurrent_callbacks_after_own_commit)
{
    open_with_table("{\"pool_size\": 4, \"group_commit_max_inflight\": 4}");
    visible_bad = 0;
    dripped = 0;
    drip_ev = evtimer_new(T.core->base, drip_cb, NULL);
    event_active(drip_ev, EV_TIMEOUT, 0);
    double t0 = now_s();
    while (ndone < 700 && now_s() - t0 < 60)
        event_base_loop(T.core->base, EVLOOP_ONCE);
    event_free(drip_ev);
    ck_assert_int_eq(ndone, 700);
    for (int i = 0; i < 700; i++) {
        ck_assert_int_eq(results[i].done, 1);
        ck_assert(results[i].ok);
    }
    ck_assert_int_eq(visible_bad, 0);
    ck_assert_int_eq(glv_test_pg_int(T.conninfo, "SELECT count(*) FROM meter"), 700);
}
END_TEST

/* ---- errors inside a pipeline ---- */

START_TEST(pipeline_errors_fail_alone)
{
    /* Several kinds of failure in one batch: a duplicate key, a statement
     * that cannot be prepared (twice, same text), a run-time error, and a
     * bad parameter. Each fails with its own SQLSTATE; the rest commit in
     * one transaction. */
    open_with_table(NULL);
    glv_test_pg_exec(T.conninfo, "INSERT INTO meter VALUES (3, 0)");
    double b0 = glv_metric_value(T.db->m_batches);
    memset(&order_seen, 0, sizeof(order_seen));
    static tagged t[12];
    memset(t, 0, sizeof(t));
    char sql[96];
    for (int i = 0; i < 12; i++) {
        switch (i) {
        case 3:
            group_sql("INSERT INTO meter VALUES (3, 1)", &t[i], i); /* 23505 */
            break;
        case 5:
        case 9:
            group_sql("INSERT INTO no_such_table VALUES (1)", &t[i], i); /* 42P01 */
            break;
        case 7:
            group_sql("INSERT INTO meter VALUES (7, 1 / 0)", &t[i], i); /* 22012 */
            break;
        default:
            snprintf(sql, sizeof(sql), "INSERT INTO meter VALUES (%d, %d)", i, i);
            group_sql(sql, &t[i], i);
        }
    }
    const char *bad[] = {"not a number"};
    static tagged badparam;
    memset(&badparam, 0, sizeof(badparam));
    badparam.tag = 50;
    ck_assert_int_eq(
        H->db_group(T.p, "INSERT INTO meter VALUES (50, $1::int)", 1, bad, on_tagged, &badparam),
        0);
    while (ndone < 13 && event_base_loop(T.core->base, EVLOOP_ONCE) == 0)
        ;
    ck_assert_int_eq(ndone, 13);
    for (int i = 0; i < 12; i++) {
        ck_assert_int_eq(t[i].done, 1);
        if (i == 3)
            ck_assert_str_eq(t[i].sqlstate, "23505");
        else if (i == 5 || i == 9)
            ck_assert_str_eq(t[i].sqlstate, "42P01");
        else if (i == 7)
            ck_assert_str_eq(t[i].sqlstate, "22012");
        else
            ck_assert_msg(t[i].ok, "write %d: %s", i, t[i].sqlstate);
    }
    ck_assert(!badparam.ok);
    ck_assert_str_eq(badparam.sqlstate, "22P02");
    /* callbacks in the order issued, failures included */
    for (int i = 0; i < 13; i++)
        ck_assert_int_eq(order_seen.order[i], i < 12 ? i : 50);
    ck_assert_int_eq(glv_test_pg_int(T.conninfo, "SELECT count(*) FROM meter"), 9);
    ck_assert_int_eq(glv_test_pg_int(T.conninfo, "SELECT v FROM meter WHERE id = 3"), 0);
    ck_assert(glv_metric_value(T.db->m_batches) - b0 == 1);

    /* The connections stay usable; the statement that could not be
     * prepared works once its table exists. */
    glv_test_pg_exec(T.conninfo, "CREATE TABLE no_such_table (x int)");
    static tagged again[4];
    memset(again, 0, sizeof(again));
    ndone = 0;
    group_sql("INSERT INTO no_such_table VALUES (1)", &again[0], 0);
    group_sql("INSERT INTO meter VALUES (3, 1)", &again[1], 1);
    group_sql("INSERT INTO no_such_table VALUES (1)", &again[2], 2);
    snprintf(sql, sizeof(sql), "INSERT INTO meter VALUES (%d, %d)", 20, 20);
    group_sql(sql, &again[3], 3);
    while (ndone < 4 && event_base_loop(T.core->base, EVLOOP_ONCE) == 0)
        ;
    ck_assert(again[0].ok);
    ck_assert_str_eq(again[1].sqlstate, "23505");
    ck_assert(again[2].ok);
    ck_assert(again[3].ok);
    ck_assert_int_eq(glv_test_pg_int(T.conninfo, "SELECT count(*) FROM no_such_table"), 2);
}
END_TEST

START_TEST(every_write_fails)
{
    /* Nothing left to commit: the batch rolls back and the connection is
     * handed out clean. */
    open_with_table(NULL);
    glv_test_pg_exec(T.conninfo, "INSERT INTO meter VALUES (1, 0), (2, 0)");
    static tagged t[2], after;
    memset(t, 0, sizeof(t));
    memset(&after, 0, sizeof(after));
    group_sql("INSERT INTO meter VALUES (1, 1)", &t[0], 0);
    group_sql("INSERT INTO meter VALUES (2, 1)", &t[1], 1);
    while (ndone < 2 && event_base_loop(T.core->base, EVLOOP_ONCE) == 0)
        ;
    ck_assert_str_eq(t[0].sqlstate, "23505");
    ck_assert_str_eq(t[1].sqlstate, "23505");
    group_sql("INSERT INTO meter VALUES (3, 1)", &after, 2);
    while (ndone < 3 && event_base_loop(T.core->base, EVLOOP_ONCE) == 0)
        ;
    ck_assert_msg(after.ok, "after: %s", after.sqlstate);
    ck_assert_int_eq(glv_test_pg_int(T.conninfo, "SELECT count(*) FROM meter"), 3);
}
END_TEST

START_TEST(statements_run_in_order)
{
    /* Writes of one batch see each other in the order issued. */
    open_with_table(NULL);
    static tagged t[4];
    memset(t, 0, sizeof(t));
    group_sql("INSERT INTO meter VALUES (1, 1)", &t[0], 0);
    group_sql("UPDATE meter SET v = v + 1 WHERE id = 1", &t[1], 1);
    group_sql("UPDATE meter SET v = v * 10 WHERE id = 1", &t[2], 2);
    group_sql("SELECT v FROM meter WHERE id = 1", &t[3], 3);
    while (ndone < 4 && event_base_loop(T.core->base, EVLOOP_ONCE) == 0)
        ;
    for (int i = 0; i < 4; i++)
        ck_assert(t[i].ok);
    ck_assert_int_eq(glv_test_pg_int(T.conninfo, "SELECT v FROM meter WHERE id = 1"), 20);
}
END_TEST

START_TEST(commit_time_failure_with_others_in_flight)
{
    /* A deferred check fails at COMMIT while another batch is in flight on
     * another connection: the culprit alone fails, both batches finish. */
    open_with_table("{\"pool_size\": 3, \"group_commit_max_inflight\": 2}");
    glv_test_pg_exec(T.conninfo, "ALTER TABLE meter ADD CONSTRAINT v_unique UNIQUE (v) "
                                 "DEFERRABLE INITIALLY DEFERRED");
    static tagged t[4];
    memset(t, 0, sizeof(t));
    group_sql("INSERT INTO meter SELECT 9, 9 FROM pg_sleep(0.3)", &t[0], 0);
    event_base_loop(T.core->base, EVLOOP_NONBLOCK);
    group_sql("INSERT INTO meter VALUES (1, 10)", &t[1], 1);
    group_sql("INSERT INTO meter VALUES (2, 10)", &t[2], 2);
    group_sql("INSERT INTO meter VALUES (3, 30)", &t[3], 3);
    double t0 = now_s();
    while (ndone < 4 && now_s() - t0 < 30)
        event_base_loop(T.core->base, EVLOOP_ONCE);
    ck_assert(t[0].ok);
    ck_assert(t[1].ok);
    ck_assert_str_eq(t[2].sqlstate, "23505");
    ck_assert(t[3].ok);
    ck_assert_int_eq(glv_test_pg_int(T.conninfo, "SELECT count(*) FROM meter"), 3);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("db_group");
    TCase *tc = tcase_create("group");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, thousand_writes_fewer_batches);
    tcase_add_test(tc, failing_write_fails_alone);
    tcase_add_test(tc, batches_respect_max_size);
    tcase_add_test(tc, commit_time_failure_found);
    tcase_add_test(tc, batches_run_concurrently);
    tcase_add_test(tc, inflight_cap_respected);
    tcase_add_test(tc, concurrent_callbacks_after_own_commit);
    tcase_add_test(tc, pipeline_errors_fail_alone);
    tcase_add_test(tc, every_write_fails);
    tcase_add_test(tc, statements_run_in_order);
    tcase_add_test(tc, commit_time_failure_with_others_in_flight);
    tcase_add_test(tc, session_ended_by_the_server_reads_as_lost);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return glv_test_run(suite());
}
