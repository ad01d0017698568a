/* PostgreSQL group commit: many writes share one transaction, callbacks run
 * after COMMIT, a failing write fails alone. */
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
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return glv_test_run(suite());
}
