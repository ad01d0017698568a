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

#endif
