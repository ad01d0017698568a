/*
 * galvanictl — shared declarations of the command groups.
 *
 * main.c reads the configuration file and gathers what every command needs
 * into a glv_ctl_env; each command group lives in its own cmd_<group>.c.
 * Commands return the process exit status (0 success, 1 failure, 2 usage).
 */
#ifndef GLV_CTL_H
#define GLV_CTL_H

#include <stddef.h>

#include "db-internal.h"

#include <libpq-fe.h>

typedef struct glv_ctl_env {
    const char *config_path;       /* borrowed: the configuration file */
    const char *conninfo;          /* borrowed: database.conninfo, or NULL */
    const glv_migration_set *sets; /* borrowed: core first, then configured plugins */
    size_t nsets;
} glv_ctl_env;

/* `galvanictl db migrate|status`. argv[0] is "db". */
int glv_ctl_db(int argc, char **argv, const glv_ctl_env *env);
/* `galvanictl tariff …`. argv[0] is "tariff". */
int glv_ctl_tariff(int argc, char **argv, const glv_ctl_env *env);
/* `galvanictl charger …` (the charger registry). argv[0] is "charger". */
int glv_ctl_charger(int argc, char **argv, const glv_ctl_env *env);
/* `galvanictl token …` (the localauth token list). argv[0] is "token". */
int glv_ctl_token(int argc, char **argv, const glv_ctl_env *env);

/* ---- blocking database helpers for the command groups (ctl_db.c) ---- */

#define GLV_CTL_SQLSTATE_LEN 6

/* Prints "galvanictl: GROUP WHAT: message" and returns 1 (the exit status). */
int glv_ctl_fail(const char *group, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Connects with env->conninfo; NULL (reason printed) on failure. New
 * connection: PQfinish it. */
PGconn *glv_ctl_connect(const glv_ctl_env *env, const char *group, const char *what);
/* Runs a parameterized statement. Returns the result (new: PQclear it), or
 * NULL on failure with the SQLSTATE copied into state (when not NULL). The
 * failure is printed unless its SQLSTATE is listed in handled (NULL-terminated,
 * may be NULL), which the caller then explains itself. */
PGresult *glv_ctl_exec(PGconn *pg, const char *group, const char *what, const char *sql, int n,
                       const char *const *params, const char *const *handled,
                       char state[GLV_CTL_SQLSTATE_LEN]);

#endif
