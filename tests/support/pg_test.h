/*
 * galvani tests — the PostgreSQL the tests run against.
 *
 * The cluster is the private one of tools/pg-private; its environment
 * (GLV_TEST_PG, GLV_PG_CTL, GLV_PG_DIR) comes from `tools/pg-private env`.
 * A test that needs PostgreSQL fails with a clear message when it is missing;
 * it is never skipped.
 */
#ifndef GLV_PG_TEST_H
#define GLV_PG_TEST_H

#include <stdint.h>

struct event_base;

/* GLV_TEST_PG (borrowed from the environment); fails the test when unset. */
const char *glv_test_pg_conninfo(void);

/* Creates a schema of its own for one test and returns a conninfo (new,
 * free() it) whose sessions use it as search_path. name receives the
 * schema's name. */
char *glv_test_pg_schema_new(char name[64]);
/* Drops the schema and everything in it. */
void glv_test_pg_schema_drop(const char *name);

/* Runs "$GLV_PG_CTL restart $GLV_PG_DIR" (blocking); 0 on success. */
int glv_test_pg_restart(void);
/* Runs "$GLV_PG_CTL <action> $GLV_PG_DIR" for action stop/start/restart. */
int glv_test_pg_ctl(const char *action);

/* Blocking helpers for assertions, on their own connection. */
/* Runs sql; fails the test on error. */
void glv_test_pg_exec(const char *conninfo, const char *sql);
/* First column of the first row (new, free() it), NULL for SQL NULL or no
 * row; fails the test on error. */
char *glv_test_pg_value(const char *conninfo, const char *sql);
/* The same, read as an integer (-1 for NULL or no row). */
long long glv_test_pg_int(const char *conninfo, const char *sql);

/* Runs the loop until *flag is non-zero or timeout_ms passed; returns *flag. */
int glv_test_loop_until(struct event_base *base, const int *flag, uint32_t timeout_ms);
/* Runs the loop for ms milliseconds. */
void glv_test_loop_for(struct event_base *base, uint32_t ms);

/* A core with a started database pool on a fresh schema. */
typedef struct glv_core glv_core;
typedef struct glv_db glv_db;
typedef struct glv_plugin glv_plugin;
typedef struct glv_host glv_host;
typedef struct glv_test_db {
    glv_core *core;
    glv_plugin *p;        /* a plugin handle for host calls */
    const glv_host *host; /* &core->host */
    glv_db *db;
    char schema[64];
    char *conninfo; /* owned: the schema's conninfo */
} glv_test_db;

/* Opens t: settings is NULL or a JSON object text of `database:` keys
 * (durations in ms) merged over the test defaults. Waits until a connection
 * is up; fails the test otherwise. */
void glv_test_db_open(glv_test_db *t, const char *settings);
/* Frees the pool and the core, and drops the schema. */
void glv_test_db_close(glv_test_db *t);

#endif
