/* galvani tests — the PostgreSQL the tests run against (see pg_test.h). */
#include "pg_test.h"

#include "db-internal.h"

#include <check.h>
#include <event2/event.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *glv_test_pg_conninfo(void)
{
    const char *ci = getenv("GLV_TEST_PG");
    if (!ci || !*ci)
        ck_abort_msg("GLV_TEST_PG is not set: these tests need the private PostgreSQL. Run "
                     "`tools/pg-private start var/pg && eval \"$(tools/pg-private env var/pg)\"` "
                     "first (tools/dev test does it for you)");
    return ci;
}

static PGconn *connect_or_fail(const char *conninfo)
{
    PGconn *pg = PQconnectdb(conninfo);
    if (PQstatus(pg) != CONNECTION_OK) {
        char msg[512];
        snprintf(msg, sizeof(msg), "cannot connect to the test PostgreSQL (%s): %s", conninfo,
                 PQerrorMessage(pg));
        PQfinish(pg);
        ck_abort_msg("%s", msg);
    }
    return pg;
}

static void silent(void *arg, const char *message) {}

static PGresult *run(const char *conninfo, const char *sql)
{
    PGconn *pg = connect_or_fail(conninfo);
    PQsetNoticeProcessor(pg, silent, NULL);
    PGresult *r = PQexec(pg, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        char msg[1024];
        snprintf(msg, sizeof(msg), "%s: %s", sql, PQresultErrorMessage(r));
        PQclear(r);
        PQfinish(pg);
        ck_abort_msg("%s", msg);
    }
    PQfinish(pg);
    return r;
}

void glv_test_pg_exec(const char *conninfo, const char *sql)
{
    PQclear(run(conninfo, sql));
}

char *glv_test_pg_value(const char *conninfo, const char *sql)
{
    PGresult *r = run(conninfo, sql);
    char *v = NULL;
    if (PQntuples(r) > 0 && PQnfields(r) > 0 && !PQgetisnull(r, 0, 0))
        v = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

long long glv_test_pg_int(const char *conninfo, const char *sql)
{
    char *v = glv_test_pg_value(conninfo, sql);
    long long n = v ? strtoll(v, NULL, 10) : -1;
    free(v);
    return n;
}

char *glv_test_pg_schema_new(char name[64])
{
    static unsigned counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(name, 64, "glv_t%ld_%u_%lx", (long)getpid(), ++counter,
             (unsigned long)(ts.tv_nsec & 0xfffff));
    const char *base = glv_test_pg_conninfo();
    char sql[160];
    snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", name);
    glv_test_pg_exec(base, sql);
    char *ci = NULL;
    if (asprintf(&ci, "%s options='-csearch_path=%s'", base, name) < 0)
        ck_abort_msg("out of memory");
    return ci;
}

void glv_test_pg_schema_drop(const char *name)
{
    char sql[160];
    snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", name);
    glv_test_pg_exec(glv_test_pg_conninfo(), sql);
}

int glv_test_pg_ctl(const char *action)
{
    const char *ctl = getenv("GLV_PG_CTL");
    const char *dir = getenv("GLV_PG_DIR");
    if (!ctl || !*ctl || !dir || !*dir)
        ck_abort_msg("GLV_PG_CTL and GLV_PG_DIR are not set: run `eval \"$(tools/pg-private env "
                     "var/pg)\"` first");
    pid_t pid = fork();
    if (pid == 0) {
        execl(ctl, ctl, action, dir, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int glv_test_pg_restart(void)
{
    return glv_test_pg_ctl("restart");
}

static void loop_timeout(evutil_socket_t fd, short what, void *arg)
{
    *(int *)arg = 1;
}

int glv_test_loop_until(struct event_base *base, const int *flag, uint32_t timeout_ms)
{
    int expired = 0;
    struct event *t = evtimer_new(base, loop_timeout, &expired);
    struct timeval tv = {(time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000};
    evtimer_add(t, &tv);
    while (!*flag && !expired)
        event_base_loop(base, EVLOOP_ONCE);
    event_free(t);
    return *flag;
}

void glv_test_loop_for(struct event_base *base, uint32_t ms)
{
    int never = 0;
    glv_test_loop_until(base, &never, ms);
}

void glv_test_db_open(glv_test_db *t, const char *settings)
{
    memset(t, 0, sizeof(*t));
    t->conninfo = glv_test_pg_schema_new(t->schema);
    json_error_t jerr;
    json_t *section = settings ? json_loads(settings, 0, &jerr) : json_object();
    ck_assert_msg(section != NULL, "bad test settings %s", settings);
    json_object_set_new(section, "conninfo", json_string(t->conninfo));
    t->core = glv_core_new("test-node", 1);
    ck_assert_msg(t->core != NULL, "glv_core_new failed");
    t->p = glv_core_plugin_new(t->core, "test");
    t->host = &t->core->host;
    char *err = NULL;
    t->db = glv_db_new(t->core, section, &err);
    json_decref(section);
    ck_assert_msg(t->db != NULL, "glv_db_new: %s", err ? err : "?");
    ck_assert_int_eq(glv_db_start(t->db), 0);
    for (int i = 0; i < 500 && !glv_db_healthy(t->db); i++)
        glv_test_loop_for(t->core->base, 10);
    ck_assert_msg(glv_db_healthy(t->db), "no database connection came up (%s)", t->db->last_error);
}

void glv_test_db_close(glv_test_db *t)
{
    glv_db_free(t->db);
    glv_core_free(t->core);
    glv_test_pg_schema_drop(t->schema);
    free(t->conninfo);
    memset(t, 0, sizeof(*t));
}
