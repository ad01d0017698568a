/*
 * galvanictl charger — the charger registry (glv_chargers), until the
 * back-office API exists. Blocking libpq: this is a command-line tool.
 *
 *   charger add ID [--profile N] [--password PW | --password-stdin]
 *                  [--connectors N] [--lenient]
 *   charger list | show ID | accept ID | remove ID
 *   charger set-password ID [--password PW | --password-stdin]
 *   charger set-profile ID N
 */
#include "ctl.h"
#include "password-internal.h"
#include "registry-internal.h"

#include <getopt.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
    fprintf(stderr, "usage: galvanictl [-c FILE] charger COMMAND ...\n"
                    "  add ID [--profile N] [--password PW | --password-stdin] [--connectors N] "
                    "[--lenient]\n"
                    "  list\n"
                    "  show ID\n"
                    "  set-password ID [--password PW | --password-stdin]   (stdin by default)\n"
                    "  set-profile ID N\n"
                    "  accept ID\n"
                    "  remove ID\n");
    return 2;
}

struct opts {
    int profile; /* -1: not given */
    int connectors;
    int lenient;
    const char *password;
    int password_stdin;
};

static int fail(const char *what, const char *fmt, const char *arg)
{
    fprintf(stderr, "galvanictl: charger %s: ", what);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    return 1;
}

static PGconn *connect_db(const glv_ctl_env *env, const char *what)
{
    PGconn *pg = PQconnectdb(env->conninfo ? env->conninfo : "");
    if (PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "galvanictl: charger %s: cannot connect to the database: %s", what,
                PQerrorMessage(pg));
        PQfinish(pg);
        return NULL;
    }
    return pg;
}

/* Runs sql; NULL (message printed) on failure, with *duplicate set for a
 * unique violation. */
static PGresult *run(PGconn *pg, const char *what, const char *sql, int n,
                     const char *const *params, int *duplicate)
{
    PGresult *res = PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return res;
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (duplicate && state && strcmp(state, "23505") == 0) {
        *duplicate = 1;
    } else {
        const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        fprintf(stderr, "galvanictl: charger %s: %s\n", what, msg ? msg : "database error");
    }
    PQclear(res);
    return NULL;
}

/* Reads one line from stdin (the password), without its newline. */
static int read_password(char *buf, size_t len)
{
    if (!fgets(buf, (int)len, stdin))
        return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return *buf ? 0 : -1;
}

/* Hashes the password given by o into hash; 1 on failure (printed). */
static int password_of(const char *what, const struct opts *o, char hash[GLV_PASSWORD_HASH_MAX])
{
    char line[512];
    const char *pw = o->password;
    if (!pw) {
        if (read_password(line, sizeof(line)) != 0)
            return fail(what, "%s", "no password on standard input");
        pw = line;
    }
    if (strlen(pw) < 8 || strlen(pw) > 40)
        return fail(what, "%s", "the password must have 8 to 40 characters (OCPP)");
    if (glv_password_hash_sync(pw, hash) != 0)
        return fail(what, "%s", "cannot hash the password");
    return 0;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

/* Parses options after the subcommand; positional arguments are moved to
 * the front of argv and counted in *npos. 0; 1 for a bad value (printed);
 * 2 for a usage error. */
static int parse(int argc, char **argv, struct opts *o, int *npos)
{
    static const struct option longopts[] = {
        {"profile", required_argument, NULL, 'p'},  {"password", required_argument, NULL, 'w'},
        {"password-stdin", no_argument, NULL, 's'}, {"connectors", required_argument, NULL, 'n'},
        {"lenient", no_argument, NULL, 'l'},        {0, 0, 0, 0}};
    *o = (struct opts){.profile = -1, .connectors = -1};
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (parse_int(optarg, 0, 3, &o->profile) != 0)
                return fail(argv[0], "%s", "--profile takes 0, 1, 2 or 3");
            break;
        case 'w':
            o->password = optarg;
            break;
        case 's':
            o->password_stdin = 1;
            break;
        case 'n':
            if (parse_int(optarg, 0, 1000, &o->connectors) != 0)
                return fail(argv[0], "%s", "--connectors takes 0 to 1000");
            break;
        case 'l':
            o->lenient = 1;
            break;
        default:
            return 2;
        }
    }
    if (o->password && o->password_stdin)
        return fail(argv[0], "%s", "give --password or --password-stdin, not both");
    *npos = argc - optind;
    memmove(argv + 1, argv + optind, (size_t)*npos * sizeof(*argv));
    return 0;
}

static int check_id(const char *what, const char *id)
{
    if (!glv_charger_identity_ok(id))
        return fail(what,
                    "'%s' is not a charger identity (1 to 255 printable ASCII bytes "
                    "without spaces)",
                    id);
    return 0;
}

static int charger_add(PGconn *pg, const char *id, const struct opts *o)
{
    if (check_id("add", id))
        return 1;
    int has_pw = o->password || o->password_stdin;
    int profile = o->profile >= 0 ? o->profile : has_pw ? 1 : 0;
    if ((profile == 1 || profile == 2) && !has_pw)
        return fail("add",
                    "security profile %s needs a password (--password or "
                    "--password-stdin)",
                    profile == 1 ? "1" : "2");
    char hash[GLV_PASSWORD_HASH_MAX] = "";
    if (has_pw && password_of("add", o, hash))
        return 1;
    char prof[16], conn[16];
    snprintf(prof, sizeof(prof), "%d", profile);
    snprintf(conn, sizeof(conn), "%d", o->connectors >= 0 ? o->connectors : 0);
    const char *params[5] = {id, prof, *hash ? hash : NULL, o->lenient ? "true" : "false", conn};
    int dup = 0;
    PGresult *res = run(pg, "add",
                        "INSERT INTO glv_chargers (identity, status, security_profile,"
                        " password_hash, lenient, connectors)"
                        " VALUES ($1, 'accepted', $2::integer, $3, $4::boolean, $5::integer)",
                        5, params, &dup);
    if (!res)
        return dup ? fail("add", "charger %s exists already", id) : 1;
    PQclear(res);
    printf("charger %s added (security profile %d)\n", id, profile);
    return 0;
}

static int charger_list(PGconn *pg)
{
    PGresult *res = run(pg, "list",
                        "SELECT c.identity, c.status, c.security_profile, c.connectors,"
                        " COALESCE(k.transport || '@' || k.node, 'offline'),"
                        " COALESCE(to_char(k.last_seen AT TIME ZONE 'UTC',"
                        " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '-')"
                        " FROM glv_chargers c LEFT JOIN glv_charger_connections k"
                        " ON k.identity = c.identity ORDER BY c.identity",
                        0, NULL, NULL);
    if (!res)
        return 1;
    printf("%-24s %-9s %7s %10s  %-28s %s\n", "identity", "status", "profile", "connectors",
           "connection", "last seen");
    for (int i = 0; i < PQntuples(res); i++)
        printf("%-24s %-9s %7s %10s  %-28s %s\n", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
               PQgetvalue(res, i, 2), PQgetvalue(res, i, 3), PQgetvalue(res, i, 4),
               PQgetvalue(res, i, 5));
    PQclear(res);
    return 0;
}

static int charger_show(PGconn *pg, const char *id)
{
    const char *params[1] = {id};
    PGresult *res =
        run(pg, "show",
            "SELECT c.identity, c.status, c.security_profile::text,"
            " CASE WHEN c.password_hash IS NULL THEN 'none' ELSE 'set' END,"
            " CASE WHEN c.lenient THEN 'yes' ELSE 'no' END, c.connectors::text,"
            " c.vendor, c.model, c.serial, c.firmware, k.transport, k.node,"
            " to_char(k.connected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
            " to_char(k.last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
            " to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
            " FROM glv_chargers c LEFT JOIN glv_charger_connections k ON k.identity = c.identity"
            " WHERE c.identity = $1",
            1, params, NULL);
    if (!res)
        return 1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return fail("show", "no charger %s", id);
    }
    static const char *const labels[] = {
        "identity",     "status",    "security_profile", "password", "lenient",   "connectors",
        "vendor",       "model",     "serial",           "firmware", "transport", "node",
        "connected_at", "last_seen", "created_at"};
    for (int c = 0; c < (int)(sizeof(labels) / sizeof(labels[0])); c++)
        printf("%-17s %s\n", labels[c], PQgetisnull(res, 0, c) ? "-" : PQgetvalue(res, 0, c));
    PQclear(res);
    return 0;
}

/* Runs an UPDATE/DELETE of one charger; "no charger ID" when none. */
static int charger_change(PGconn *pg, const char *what, const char *sql, int n,
                          const char *const *params, const char *done_fmt)
{
    PGresult *res = run(pg, what, sql, n, params, NULL);
    if (!res)
        return 1;
    int changed = atoi(PQcmdTuples(res));
    PQclear(res);
    if (changed == 0)
        return fail(what, "no charger %s", params[0]);
    printf(done_fmt, params[0]);
    return 0;
}

int glv_ctl_charger(int argc, char **argv, const glv_ctl_env *env)
{
    if (argc < 2)
        return usage();
    const char *sub = argv[1];
    struct opts o;
    int npos = 0;
    int r = parse(argc - 1, argv + 1, &o, &npos);
    if (r != 0)
        return r == 2 ? usage() : r;
    char **pos = argv + 2; /* positional arguments after the subcommand */
    int want = strcmp(sub, "list") == 0 ? 0 : strcmp(sub, "set-profile") == 0 ? 2 : 1;
    if (npos != want)
        return usage();
    if (strcmp(sub, "add") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "show") != 0 &&
        strcmp(sub, "set-password") != 0 && strcmp(sub, "set-profile") != 0 &&
        strcmp(sub, "accept") != 0 && strcmp(sub, "remove") != 0)
        return usage();
    PGconn *pg = connect_db(env, sub);
    if (!pg)
        return 1;
    int rc;
    if (strcmp(sub, "add") == 0) {
        rc = charger_add(pg, pos[0], &o);
    } else if (strcmp(sub, "list") == 0) {
        rc = charger_list(pg);
    } else if (strcmp(sub, "show") == 0) {
        rc = charger_show(pg, pos[0]);
    } else if (strcmp(sub, "set-password") == 0) {
        char hash[GLV_PASSWORD_HASH_MAX];
        rc = password_of("set-password", &o, hash);
        if (rc == 0) {
            const char *params[2] = {pos[0], hash};
            rc = charger_change(pg, "set-password",
                                "UPDATE glv_chargers SET password_hash = $2, updated_at = now()"
                                " WHERE identity = $1",
                                2, params, "password of charger %s changed\n");
        }
    } else if (strcmp(sub, "set-profile") == 0) {
        int profile;
        if (parse_int(pos[1], 0, 3, &profile) != 0) {
            rc = fail("set-profile", "'%s' is not a security profile (0 to 3)", pos[1]);
        } else {
            const char *params[2] = {pos[0], pos[1]};
            rc = charger_change(pg, "set-profile",
                                "UPDATE glv_chargers SET security_profile = $2::integer,"
                                " updated_at = now() WHERE identity = $1",
                                2, params, "security profile of charger %s changed\n");
        }
    } else if (strcmp(sub, "accept") == 0) {
        const char *params[1] = {pos[0]};
        rc = charger_change(pg, "accept",
                            "UPDATE glv_chargers SET status = 'accepted', updated_at = now()"
                            " WHERE identity = $1",
                            1, params, "charger %s accepted\n");
    } else {
        const char *params[1] = {pos[0]};
        rc = charger_change(pg, "remove", "DELETE FROM glv_chargers WHERE identity = $1", 1, params,
                            "charger %s removed\n");
    }
    PQfinish(pg);
    return rc;
}
