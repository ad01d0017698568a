/*
 * galvani core — private. The PostgreSQL layer: a pool of non-blocking libpq
 * connections on the loop, prepared statements, transactions, group commit,
 * reconnect with backoff, LISTEN/NOTIFY, and migrations.
 */
#ifndef GLV_DB_INTERNAL_H
#define GLV_DB_INTERNAL_H

#include "core-internal.h"

/* Schema of the `database:` section (conninfo, pool size, timeouts …). */
extern const glv_config_field glv_db_config_schema[];

/* Creates the pool from a validated `database:` section and attaches it to
 * core->db. Connections are opened by glv_db_start. NULL + *err on error. */
glv_db *glv_db_new(glv_core *core, const json_t *section, char **err);
/* Starts connecting (asynchronously). */
int glv_db_start(glv_db *db);
/* Finishes queued work, then closes every connection; done runs on the loop
 * when all is closed (or at once when idle). */
void glv_db_drain(glv_db *db, glv_callback_fn done, void *arg);
void glv_db_free(glv_db *db);

/* Migrations (blocking libpq: for galvanictl and galvanid -t, never on the
 * loop of a running daemon). component: "core" or a plugin name. */
typedef struct glv_migration_set {
    const char *component;
    const glv_migration *migrations; /* {0} terminated */
} glv_migration_set;

extern const glv_migration glv_core_migrations[]; /* generated from sql/ */

/* Applies what is missing of each set, each migration in one transaction,
 * recording it in glv_schema_version. Prints one line per migration applied
 * to `out` (may be NULL). Returns 0, or -1 with *err malloc'd. */
int glv_db_migrate(const char *conninfo, const glv_migration_set *sets, size_t nsets, FILE *out,
                   char **err);
/* Checks that every set is fully applied; -1 with *err naming the component
 * and the command to run otherwise (also when the server is unreachable). */
int glv_db_check_schema(const char *conninfo, const glv_migration_set *sets, size_t nsets,
                        char **err);

#endif
