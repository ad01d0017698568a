/* galvanictl — blocking database helpers shared by the command groups. */
#include "ctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int glv_ctl_fail(const char *group, const char *what, const char *fmt, ...)
{
    fprintf(stderr, "galvanictl: %s %s: ", group, what);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

PGconn *glv_ctl_connect(const glv_ctl_env *env, const char *group, const char *what)
{
    PGconn *pg = PQconnectdb(env->conninfo ? env->conninfo : "");
    if (PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "galvanictl: %s %s: cannot connect to the database: %s", group, what,
                PQerrorMessage(pg));
        PQfinish(pg);
        return NULL;
    }
    return pg;
}

static int is_handled(const char *state, const char *const *handled)
{
    for (size_t i = 0; state && handled && handled[i]; i++)
        if (strcmp(state, handled[i]) == 0)
            return 1;
    return 0;
}

PGresult *glv_ctl_exec(PGconn *pg, const char *group, const char *what, const char *sql, int n,
                       const char *const *params, const char *const *handled,
                       char state[GLV_CTL_SQLSTATE_LEN])
{
    if (state)
        state[0] = '\0';
    PGresult *res = PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return res;
    const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (state && code)
        snprintf(state, GLV_CTL_SQLSTATE_LEN, "%s", code);
    if (!is_handled(code, handled)) {
        const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        fprintf(stderr, "galvanictl: %s %s: %s\n", group, what, msg ? msg : "database error");
    }
    PQclear(res);
    return NULL;
}
