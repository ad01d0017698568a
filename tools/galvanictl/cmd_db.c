/*
 * galvanictl db — schema migrations of the core and the configured plugins.
 *
 *   galvanictl db migrate   applies what is missing, one line per migration
 *   galvanictl db status    per component: applied and latest version
 */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
    fprintf(stderr, "usage: galvanictl [-c FILE] db migrate|status\n"
                    "  migrate  apply the missing migrations of the core and every configured "
                    "plugin\n"
                    "  status   show the applied and latest migration of each component\n");
    return 2;
}

static int db_migrate(const glv_ctl_env *env)
{
    char *err = NULL;
    if (glv_db_migrate(env->conninfo, env->sets, env->nsets, stdout, &err) != 0) {
        fprintf(stderr, "galvanictl: db migrate: %s\n", err ? err : "failed");
        free(err);
        return 1;
    }
    return 0;
}

static int db_status(const glv_ctl_env *env)
{
    char *err = NULL;
    glv_migration_status *st = calloc(env->nsets ? env->nsets : 1, sizeof(*st));
    if (!st) {
        fprintf(stderr, "galvanictl: db status: out of memory\n");
        return 1;
    }
    if (glv_db_migration_status(env->conninfo, env->sets, env->nsets, st, &err) != 0) {
        fprintf(stderr, "galvanictl: db status: %s\n", err ? err : "failed");
        free(err);
        free(st);
        return 1;
    }
    int behind = 0;
    printf("%-24s %8s %8s  %s\n", "component", "applied", "latest", "state");
    for (size_t i = 0; i < env->nsets; i++) {
        const char *state = "up to date";
        if (st[i].applied < st[i].latest) {
            state = "migrations pending";
            behind = 1;
        } else if (st[i].applied > st[i].latest) {
            state = "database is newer than this build";
        }
        printf("%-24s %8u %8u  %s\n", st[i].component, st[i].applied, st[i].latest, state);
    }
    if (behind)
        printf("run `galvanictl db migrate` to apply the pending migrations\n");
    free(st);
    return 0;
}

int glv_ctl_db(int argc, char **argv, const glv_ctl_env *env)
{
    if (argc != 2)
        return usage();
    if (strcmp(argv[1], "migrate") == 0)
        return db_migrate(env);
    if (strcmp(argv[1], "status") == 0)
        return db_status(env);
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage();
        return 0;
    }
    fprintf(stderr, "galvanictl: db: unknown command '%s'\n", argv[1]);
    return usage();
}
