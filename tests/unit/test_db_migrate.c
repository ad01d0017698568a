/* Migrations: applied once in order, idempotent, checksums enforced, a
 * failing migration leaves nothing behind, concurrent migrators serialized. */
#include "check_run.h"
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db-internal.h"
#include "pg_test.h"

static char schema[64];
static char *conninfo;

static void setup(void)
{
    conninfo = glv_test_pg_schema_new(schema);
}

static void teardown(void)
{
    glv_test_pg_schema_drop(schema);
    free(conninfo);
}

static const glv_migration plugin_v2[] = {
    {1, "create_chargers",
     "CREATE TABLE chargers (id text PRIMARY KEY);\n"
     "CREATE INDEX chargers_id ON chargers (id);"},
    {2, "add_vendor", "ALTER TABLE chargers ADD COLUMN vendor text;"},
    {0, 0, 0},
};

/* Runs glv_db_migrate; returns its result, *out gets what it printed. */
static int migrate(const glv_migration_set *sets, size_t n, char **out, char **err)
{
    size_t len = 0;
    char *buf = NULL;
    FILE *f = open_memstream(&buf, &len);
    int rc = glv_db_migrate(conninfo, sets, n, f, err);
    fclose(f);
    *out = buf;
    return rc;
}

/* How many migrations the core ships (grows as sql/ grows). */
static int core_migration_count(void)
{
    int n = 0;
    while (glv_core_migrations[n].version)
        n++;
    return n;
}

START_TEST(applied_once_then_up_to_date)
{
    glv_migration_set sets[] = {{"core", glv_core_migrations}, {"cpo", plugin_v2}};
    char *err = NULL;
    ck_assert_int_ne(glv_db_check_schema(conninfo, sets, 2, &err), 0);
    ck_assert_msg(strstr(err, "galvanictl db migrate") != NULL, "%s", err);
    free(err);

    char *out = NULL;
    ck_assert_msg(migrate(sets, 2, &out, &err) == 0, "%s", err);
    ck_assert_msg(strstr(out, "applied core migration 1 (schema_version)") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "applied cpo migration 1 (create_chargers)") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "applied cpo migration 2 (add_vendor)") != NULL, "%s", out);
    free(out);
    ck_assert_int_eq(glv_test_pg_int(conninfo, "SELECT count(*) FROM glv_schema_version"),
                     core_migration_count() + 2);
    glv_test_pg_exec(conninfo, "INSERT INTO chargers (id, vendor) VALUES ('CB1', 'x')");
    ck_assert_int_eq(glv_db_check_schema(conninfo, sets, 2, &err), 0);

    ck_assert_int_eq(migrate(sets, 2, &out, &err), 0);
    ck_assert_str_eq(out, "database is up to date\n");
    free(out);
    ck_assert_int_eq(glv_test_pg_int(conninfo, "SELECT count(*) FROM glv_schema_version"),
                     core_migration_count() + 2);

    glv_migration_status st[2];
    ck_assert_int_eq(glv_db_migration_status(conninfo, sets, 2, st, &err), 0);
    ck_assert_str_eq(st[1].component, "cpo");
    ck_assert_int_eq(st[1].applied, 2);
    ck_assert_int_eq(st[1].latest, 2);
    ck_assert_int_eq(st[0].applied, st[0].latest);
}
END_TEST

START_TEST(new_migration_applied_alone)
{
    glv_migration_set v1[] = {{"cpo", (const glv_migration[]){plugin_v2[0], {0, 0, 0}}}};
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(migrate(v1, 1, &out, &err), 0);
    free(out);
    glv_migration_set v2[] = {{"cpo", plugin_v2}};
    ck_assert_int_ne(glv_db_check_schema(conninfo, v2, 1, &err), 0);
    ck_assert_msg(strstr(err, "cpo: 1 migration(s) not applied") != NULL, "%s", err);
    free(err);
    ck_assert_int_eq(migrate(v2, 1, &out, &err), 0);
    ck_assert_str_eq(out, "applied cpo migration 2 (add_vendor)\n");
    free(out);
}
END_TEST

START_TEST(checksum_mismatch_refused)
{
    glv_migration_set sets[] = {{"cpo", plugin_v2}};
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(migrate(sets, 1, &out, &err), 0);
    free(out);
    const glv_migration edited[] = {
        {1, "create_chargers", "CREATE TABLE chargers (id text PRIMARY KEY, x int);"},
        plugin_v2[1],
        {0, 0, 0},
    };
    glv_migration_set changed[] = {{"cpo", edited}};
    ck_assert_int_ne(migrate(changed, 1, &out, &err), 0);
    ck_assert_msg(strstr(err, "cpo migration 1 (create_chargers)") != NULL, "%s", err);
    ck_assert_msg(strstr(err, "never change") != NULL, "%s", err);
    free(err);
    free(out);
    ck_assert_int_ne(glv_db_check_schema(conninfo, changed, 1, &err), 0);
    ck_assert_msg(strstr(err, "cpo migration 1") != NULL, "%s", err);
    free(err);
}
END_TEST

START_TEST(failing_migration_leaves_nothing)
{
    const glv_migration bad[] = {
        {1, "ok", "CREATE TABLE a (n int);"},
        {2, "breaks", "CREATE TABLE b (n int);\nINSERT INTO a VALUES (1);\nSELECT 1/0;"},
        {3, "never", "CREATE TABLE c (n int);"},
        {0, 0, 0},
    };
    glv_migration_set sets[] = {{"ocpi", bad}};
    char *out = NULL, *err = NULL;
    ck_assert_int_ne(migrate(sets, 1, &out, &err), 0);
    ck_assert_msg(strstr(err, "ocpi migration 2 (breaks) failed") != NULL, "%s", err);
    ck_assert_msg(strstr(err, "division by zero") != NULL, "%s", err);
    ck_assert_str_eq(out, "applied ocpi migration 1 (ok)\n");
    free(err);
    free(out);
    ck_assert_int_eq(glv_test_pg_int(conninfo, "SELECT count(*) FROM a"), 0);
    ck_assert_int_eq(glv_test_pg_int(conninfo, "SELECT count(*) FROM pg_tables WHERE tablename IN "
                                               "('b', 'c') AND schemaname = current_schema()"),
                     0);
    ck_assert_int_eq(glv_test_pg_int(conninfo, "SELECT max(version) FROM glv_schema_version WHERE "
                                               "component = 'ocpi'"),
                     1);
}
END_TEST

START_TEST(out_of_order_versions_refused)
{
    const glv_migration bad[] = {
        {2, "two", "SELECT 1;"},
        {1, "one", "SELECT 1;"},
        {0, 0, 0},
    };
    glv_migration_set sets[] = {{"x", bad}};
    char *out = NULL, *err = NULL;
    ck_assert_int_ne(migrate(sets, 1, &out, &err), 0);
    ck_assert_msg(strstr(err, "x: migration 1 comes after 2") != NULL, "%s", err);
    free(err);
    free(out);
}
END_TEST

/* ---- concurrent migrators ---- */

typedef struct runner {
    int rc;
    char *out;
    char *err;
} runner;

static const glv_migration slow[] = {
    {1, "slow_one", "CREATE TABLE s (n int); SELECT pg_sleep(0.2);"},
    {2, "slow_two", "INSERT INTO s VALUES (1);"},
    {0, 0, 0},
};

static void *run_migrator(void *arg)
{
    runner *r = arg;
    glv_migration_set sets[] = {{"core", glv_core_migrations}, {"slow", slow}};
    size_t len = 0;
    FILE *f = open_memstream(&r->out, &len);
    r->rc = glv_db_migrate(conninfo, sets, 2, f, &r->err);
    fclose(f);
    return NULL;
}

START_TEST(concurrent_migrators_serialized)
{
    runner r[4] = {{0}};
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, run_migrator, &r[i]), 0);
    int applied_lines = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        ck_assert_msg(r[i].rc == 0, "migrator %d: %s", i, r[i].err);
        for (const char *s = r[i].out; (s = strstr(s, "applied ")) != NULL; s++)
            applied_lines++;
        free(r[i].out);
        free(r[i].err);
    }
    /* the core's and slow 1, 2: each applied by exactly one migrator */
    ck_assert_int_eq(applied_lines, core_migration_count() + 2);
    ck_assert_int_eq(glv_test_pg_int(conninfo, "SELECT count(*) FROM s"), 1);
}
END_TEST

START_TEST(unreachable_server_reported)
{
    glv_migration_set sets[] = {{"core", glv_core_migrations}};
    char *err = NULL;
    ck_assert_int_ne(glv_db_check_schema("host=127.0.0.1 port=1 connect_timeout=2", sets, 1, &err),
                     0);
    ck_assert_msg(strstr(err, "cannot connect to PostgreSQL") != NULL, "%s", err);
    free(err);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("db_migrate");
    TCase *tc = tcase_create("migrate");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, applied_once_then_up_to_date);
    tcase_add_test(tc, new_migration_applied_alone);
    tcase_add_test(tc, checksum_mismatch_refused);
    tcase_add_test(tc, failing_migration_leaves_nothing);
    tcase_add_test(tc, out_of_order_versions_refused);
    tcase_add_test(tc, concurrent_migrators_serialized);
    tcase_add_test(tc, unreachable_server_reported);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return glv_test_run(suite());
}
