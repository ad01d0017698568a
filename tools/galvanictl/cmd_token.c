/*
 * galvanictl token — the local token list of the localauth plugin
 * (localauth_tokens). Blocking libpq: this is a command-line tool.
 *
 *   token add ID [--type RFID] [--status Accepted] [--expiry ISO] [--parent ID]
 *                [--group G] [--note TEXT]
 *   token list | block ID | remove ID
 */
#include "ctl.h"

#include <ctype.h>
#include <getopt.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
    fprintf(stderr, "usage: galvanictl [-c FILE] token COMMAND ...\n"
                    "  add ID [--type RFID] [--status Accepted|Blocked|Expired|Invalid]\n"
                    "         [--expiry ISO-8601] [--parent ID] [--group G] [--note TEXT]\n"
                    "  list\n"
                    "  block ID\n"
                    "  remove ID\n");
    return 2;
}

static int fail(const char *what, const char *fmt, const char *arg)
{
    return glv_ctl_fail("token", what, fmt, arg);
}

/* Runs sql; NULL (message printed) on failure, with *duplicate set instead
 * for a unique violation when duplicate is not NULL. */
static PGresult *run(PGconn *pg, const char *what, const char *sql, int n,
                     const char *const *params, int *duplicate)
{
    static const char *const explained[] = {"23505", "42P01", "22007", "22008", NULL};
    char state[GLV_CTL_SQLSTATE_LEN];
    PGresult *res = glv_ctl_exec(pg, "token", what, sql, n, params, explained, state);
    if (res)
        return res;
    if (strcmp(state, "23505") == 0 && duplicate)
        *duplicate = 1;
    else if (strcmp(state, "42P01") == 0)
        glv_ctl_fail("token", what,
                     "the token list does not exist; load the localauth plugin and run "
                     "`galvanictl db migrate`");
    else if (strcmp(state, "22007") == 0 || strcmp(state, "22008") == 0)
        glv_ctl_fail("token", what, "--expiry is not an ISO 8601 time");
    else if (strcmp(state, "23505") == 0)
        glv_ctl_fail("token", what, "the token exists already");
    return NULL;
}

static int token_ok(const char *what, const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 255)
        return fail(what, "'%s' is not a token id (1 to 255 bytes)", id);
    return 0;
}

static int token_add(PGconn *pg, int argc, char **argv)
{
    static const struct option longopts[] = {{"type", required_argument, NULL, 't'},
                                             {"status", required_argument, NULL, 's'},
                                             {"expiry", required_argument, NULL, 'e'},
                                             {"parent", required_argument, NULL, 'p'},
                                             {"group", required_argument, NULL, 'g'},
                                             {"note", required_argument, NULL, 'n'},
                                             {0, 0, 0, 0}};
    const char *type = "RFID", *status = "Accepted", *expiry = NULL, *parent = NULL;
    const char *group = NULL, *note = NULL;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 't':
            type = optarg;
            break;
        case 's':
            status = optarg;
            break;
        case 'e':
            expiry = optarg;
            break;
        case 'p':
            parent = optarg;
            break;
        case 'g':
            group = optarg;
            break;
        case 'n':
            note = optarg;
            break;
        default:
            return usage();
        }
    }
    if (argc - optind != 1)
        return usage();
    const char *id = argv[optind];
    if (token_ok("add", id))
        return 1;
    if (strcmp(status, "Accepted") != 0 && strcmp(status, "Blocked") != 0 &&
        strcmp(status, "Expired") != 0 && strcmp(status, "Invalid") != 0)
        return fail("add", "'%s' is not a status (Accepted, Blocked, Expired, Invalid)", status);
    if (!*type || strlen(type) > 32)
        return fail("add", "'%s' is not a token type", type);
    /* ISO 8601 only (PostgreSQL would also take words such as "tomorrow"). */
    if (expiry && (strlen(expiry) < 10 || !isdigit((unsigned char)expiry[0]) ||
                   !isdigit((unsigned char)expiry[3]) || expiry[4] != '-'))
        return fail("add", "--expiry '%s' is not an ISO 8601 time", expiry);
    if (parent && token_ok("add", parent))
        return 1;
    const char *params[7] = {id, type, status, expiry, parent, group, note};
    int dup = 0;
    PGresult *res = run(pg, "add",
                        "INSERT INTO localauth_tokens (id_token, type, status, expiry, parent_id,"
                        " \"group\", note) VALUES ($1, $2, $3, $4::timestamptz, $5, $6, $7)",
                        7, params, &dup);
    if (!res)
        return dup ? fail("add", "token %s exists already", id) : 1;
    PQclear(res);
    printf("token %s added (%s)\n", id, status);
    return 0;
}

static int token_list(PGconn *pg)
{
    PGresult *res = run(pg, "list",
                        "SELECT id_token, type, status, COALESCE(to_char(expiry AT TIME ZONE"
                        " 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '-'), COALESCE(parent_id, '-'),"
                        " COALESCE(\"group\", '-') FROM localauth_tokens ORDER BY id_token",
                        0, NULL, NULL);
    if (!res)
        return 1;
    printf("%-24s %-10s %-9s %-21s %-16s %s\n", "id_token", "type", "status", "expiry", "parent",
           "group");
    for (int i = 0; i < PQntuples(res); i++)
        printf("%-24s %-10s %-9s %-21s %-16s %s\n", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
               PQgetvalue(res, i, 2), PQgetvalue(res, i, 3), PQgetvalue(res, i, 4),
               PQgetvalue(res, i, 5));
    PQclear(res);
    return 0;
}

static int token_change(PGconn *pg, const char *what, const char *sql, const char *id,
                        const char *done_fmt)
{
    const char *params[1] = {id};
    PGresult *res = run(pg, what, sql, 1, params, NULL);
    if (!res)
        return 1;
    int changed = atoi(PQcmdTuples(res));
    PQclear(res);
    if (changed == 0)
        return fail(what, "no token %s", id);
    printf(done_fmt, id);
    return 0;
}

int glv_ctl_token(int argc, char **argv, const glv_ctl_env *env)
{
    if (argc < 2)
        return usage();
    const char *sub = argv[1];
    int known = strcmp(sub, "add") == 0 || strcmp(sub, "list") == 0 || strcmp(sub, "block") == 0 ||
                strcmp(sub, "remove") == 0;
    if (!known || (strcmp(sub, "list") == 0 && argc != 2) ||
        ((strcmp(sub, "block") == 0 || strcmp(sub, "remove") == 0) && argc != 3))
        return usage();
    PGconn *pg = glv_ctl_connect(env, "token", sub);
    if (!pg)
        return 1;
    int rc;
    if (strcmp(sub, "add") == 0)
        rc = token_add(pg, argc - 1, argv + 1);
    else if (strcmp(sub, "list") == 0)
        rc = token_list(pg);
    else if (strcmp(sub, "block") == 0)
        rc = token_change(pg, "block",
                          "UPDATE localauth_tokens SET status = 'Blocked', updated_at = now()"
                          " WHERE lower(id_token) = lower($1)",
                          argv[2], "token %s blocked\n");
    else
        rc = token_change(pg, "remove",
                          "DELETE FROM localauth_tokens WHERE lower(id_token) = lower($1)", argv[2],
                          "token %s removed\n");
    PQfinish(pg);
    return rc;
}
