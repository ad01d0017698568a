/* PostgreSQL going away and coming back: queued work fails with 08006 after
 * the queue timeout or succeeds after reconnect; nothing half-written. */
#include "check_run.h"
#include <check.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db-internal.h"
#include "pg_test.h"

static glv_test_db T;
static const glv_host *H;

typedef struct seen {
    int done;
    int ok;
    char sqlstate[8];
    char error[512];
} seen;

static void on_result(const glv_db_result *res, void *arg)
{
    seen *s = arg;
    s->done++;
    s->ok = H->db_ok(res);
    if (!s->ok) {
        snprintf(s->sqlstate, sizeof(s->sqlstate), "%s", H->db_sqlstate(res));
        snprintf(s->error, sizeof(s->error), "%s", H->db_error(res));
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void setup(void)
{
    glv_test_db_open(&T, "{\"pool_size\": 2, \"queue_timeout\": 400, \"reconnect_min\": 20, "
                         "\"reconnect_max\": 200}");
    H = T.host;
    glv_test_pg_exec(T.conninfo, "CREATE TABLE ev (id int PRIMARY KEY)");
}

static void teardown(void)
{
    /* whatever happened, the next test finds the server running */
    glv_test_pg_ctl("start");
    glv_test_db_close(&T);
}

static void wait_healthy(int healthy)
{
    double t0 = now_s();
    while (glv_db_healthy(T.db) != healthy && now_s() - t0 < 15)
        glv_test_loop_for(T.core->base, 10);
    ck_assert_int_eq(glv_db_healthy(T.db), healthy);
}

START_TEST(down_then_up)
{
    ck_assert_int_eq(glv_test_pg_ctl("stop"), 0);
    wait_healthy(0);
    seen q = {0};
    double t0 = now_s();
    ck_assert_int_eq(H->db_query(T.p, "SELECT 1", 0, NULL, on_result, &q), 0);
    ck_assert(glv_test_loop_until(T.core->base, &q.done, 5000));
    double waited = now_s() - t0;
    ck_assert(!q.ok);
    ck_assert_str_eq(q.sqlstate, "08006");
    ck_assert_msg(strstr(q.error, "database unavailable") != NULL, "%s", q.error);
    ck_assert_msg(waited >= 0.35 && waited < 2.0, "failed after %.3f s", waited);

    /* a group write and a transaction fail the same way */
    seen g = {0}, t = {0};
    H->db_group(T.p, "INSERT INTO ev VALUES (1)", 0, NULL, on_result, &g);
    ck_assert(glv_test_loop_until(T.core->base, &g.done, 5000));
    ck_assert_str_eq(g.sqlstate, "08006");
    (void)t;

    /* a statement issued while down succeeds when the server is back in time
     * (the blocking start below takes longer than the short timeout above) */
    T.db->queue_timeout_ms = 10000;
    seen late = {0};
    H->db_query(T.p, "INSERT INTO ev VALUES (2)", 0, NULL, on_result, &late);
    ck_assert_int_eq(glv_test_pg_ctl("start"), 0);
    ck_assert(glv_test_loop_until(T.core->base, &late.done, 5000));
    ck_assert_msg(late.ok, "%s %s", late.sqlstate, late.error);
    ck_assert(glv_db_healthy(T.db));
    ck_assert_int_eq(glv_test_pg_int(T.conninfo, "SELECT count(*) FROM ev"), 1);
}
END_TEST

/* ---- transaction cut by a restart ---- */

typedef struct cut {
    glv_db_txn *txn;
    int ready;
    seen insert, commit;
} cut;

static void on_ready(glv_db_txn *txn, const glv_db_result *err, void *arg)
{
    cut *c = arg;
    c->txn = txn;
    c->ready = 1;
}

START_TEST(transaction_cut_by_restart)
{
    cut c = {0};
    H->db_begin(T.p, on_ready, &c);
    ck_assert(glv_test_loop_until(T.core->base, &c.ready, 5000));
    ck_assert_ptr_nonnull(c.txn);
    H->db_txn_query(c.txn, "INSERT INTO ev VALUES (10)", 0, NULL, on_result, &c.insert);
    ck_assert(glv_test_loop_until(T.core->base, &c.insert.done, 5000));
    ck_assert(c.insert.ok);
    ck_assert_int_eq(glv_test_pg_restart(), 0);
    H->db_txn_query(c.txn, "INSERT INTO ev VALUES (11)", 0, NULL, on_result, &c.insert);
    H->db_commit(c.txn, on_result, &c.commit);
    ck_assert(glv_test_loop_until(T.core->base, &c.commit.done, 5000));
    ck_assert(!c.commit.ok);
    ck_assert_msg(strcmp(c.commit.sqlstate, "08006") == 0 ||
                      strcmp(c.commit.sqlstate, "08007") == 0,
                  "%s", c.commit.sqlstate);
    ck_assert_int_eq(glv_test_pg_int(T.conninfo, "SELECT count(*) FROM ev"), 0);
    wait_healthy(1);
    seen q = {0};
    H->db_query(T.p, "SELECT 1", 0, NULL, on_result, &q);
    ck_assert(glv_test_loop_until(T.core->base, &q.done, 5000));
    ck_assert(q.ok);
}
END_TEST

/* ---- group writes running through a restart ---- */

#define MAX_WRITES 20000

typedef struct write_result {
    int done, ok;
    char sqlstate[8];
} write_result;

static write_result writes[MAX_WRITES];
static int issued, reported;
static volatile int restart_done;
static struct event *burst_ev;
static int stop_issuing;

static void on_write(const glv_db_result *res, void *arg)
{
    write_result *w = arg;
    w->done++;
    w->ok = H->db_ok(res);
    if (!w->ok)
        snprintf(w->sqlstate, sizeof(w->sqlstate), "%s", H->db_sqlstate(res));
    reported++;
}

static void burst_cb(evutil_socket_t fd, short what, void *arg)
{
    for (int i = 0; i < 10 && issued < MAX_WRITES && !stop_issuing; i++, issued++) {
        char id[16];
        snprintf(id, sizeof(id), "%d", issued);
        const char *p[] = {id};
        ck_assert_int_eq(
            H->db_group(T.p, "INSERT INTO ev VALUES ($1)", 1, p, on_write, &writes[issued]), 0);
    }
    if (!stop_issuing) {
        struct timeval tv = {0, 5000};
        evtimer_add(burst_ev, &tv);
    }
}

static void *restart_thread(void *arg)
{
    struct timespec ts = {0, 200 * 1000 * 1000};
    nanosleep(&ts, NULL);
    *(int *)arg = glv_test_pg_restart();
    restart_done = 1;
    return NULL;
}

START_TEST(group_writes_through_restart)
{
    memset(writes, 0, sizeof(writes));
    issued = reported = 0;
    restart_done = 0;
    stop_issuing = 0;
    burst_ev = evtimer_new(T.core->base, burst_cb, NULL);
    event_active(burst_ev, EV_TIMEOUT, 0);
    pthread_t th;
    int restart_rc = -1;
    ck_assert_int_eq(pthread_create(&th, NULL, restart_thread, &restart_rc), 0);
    double t_restarted = 0, t0 = now_s();
    while (now_s() - t0 < 30) {
        event_base_loop(T.core->base, EVLOOP_ONCE);
        if (restart_done && t_restarted == 0)
            t_restarted = now_s();
        if (t_restarted > 0 && now_s() - t_restarted > 1.0 && !stop_issuing) {
            stop_issuing = 1;
            event_del(burst_ev);
        }
        if (stop_issuing && reported == issued)
            break;
    }
    ck_assert_msg(restart_done, "the server restart did not finish within 30 s");
    pthread_join(th, NULL);
    event_free(burst_ev);
    ck_assert_int_eq(restart_rc, 0);
    ck_assert_int_eq(reported, issued);
    int acked = 0, lost = 0, unknown = 0, acked_after = 0;
    for (int i = 0; i < issued; i++) {
        ck_assert_int_eq(writes[i].done, 1);
        if (writes[i].ok) {
            acked++;
            if (i > issued - 50)
                acked_after++;
        } else if (strcmp(writes[i].sqlstate, "08007") == 0) {
            unknown++;
        } else {
            ck_assert_msg(strcmp(writes[i].sqlstate, "08006") == 0, "write %d: %s", i,
                          writes[i].sqlstate);
            lost++;
        }
    }
    /* every acknowledged write is there; every failed one is not */
    char *ids = glv_test_pg_value(T.conninfo, "SELECT string_agg(id::text, ',') FROM ev");
    int *present = calloc(MAX_WRITES, sizeof(int));
    for (char *s = ids; s && *s;) {
        int id = (int)strtol(s, &s, 10);
        present[id] = 1;
        if (*s == ',')
            s++;
    }
    for (int i = 0; i < issued; i++) {
        if (writes[i].ok)
            ck_assert_msg(present[i], "acknowledged write %d is missing", i);
        else if (strcmp(writes[i].sqlstate, "08006") == 0)
            ck_assert_msg(!present[i], "write %d reported as not committed is there", i);
    }
    free(present);
    free(ids);
    ck_assert_int_gt(acked_after, 0); /* writes succeed again after the restart */
    fprintf(stderr, "restart: %d writes, %d acknowledged, %d failed (08006), %d in doubt\n", issued,
            acked, lost, unknown);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("db_restart");
    TCase *tc = tcase_create("restart");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, down_then_up);
    tcase_add_test(tc, transaction_cut_by_restart);
    tcase_add_test(tc, group_writes_through_restart);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return glv_test_run(suite());
}
