/*
 * galvanictl charger — the charger registry (glv_chargers), until the
 * back-office API exists. Blocking libpq: this is a command-line tool.
 *
 *   charger add ID [--profile N] [--password PW | --password-stdin]
 *                  [--connectors N] [--lenient]
 *   charger list | show ID | accept ID | remove ID
 *   charger set-password ID [--password PW | --password-stdin]
 *   charger set-profile ID N
 *   charger import FILE            one charger a line: ID[,PROFILE[,PASSWORD]]
 */
#include "ctl.h"
#include "password-internal.h"
#include "registry-internal.h"

#include <errno.h>
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
                    "  remove ID\n"
                    "  import FILE   (one charger a line: ID[,PROFILE[,PASSWORD]]; - for stdin)\n");
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
    return glv_ctl_fail("charger", what, fmt, arg);
}

/* Runs sql; NULL (message printed) on failure, with *duplicate set instead
 * for a unique violation when duplicate is not NULL. */
static PGresult *run(PGconn *pg, const char *what, const char *sql, int n,
                     const char *const *params, int *duplicate)
{
    static const char *const unique[] = {"23505", NULL};
    char state[GLV_CTL_SQLSTATE_LEN];
    PGresult *res =
        glv_ctl_exec(pg, "charger", what, sql, n, params, duplicate ? unique : NULL, state);
    if (!res && duplicate && strcmp(state, "23505") == 0)
        *duplicate = 1;
    return res;
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

/* ---- import ---- */

struct import_row {
    char *identity;
    int profile;
    char *password; /* NULL: none */
    long line;
    const char *hash; /* points into the hash of the row's password group */
    char hash_buf[GLV_PASSWORD_HASH_MAX];
};

struct import {
    struct import_row *rows;
    size_t n, cap;
};

static void import_free(struct import *im)
{
    for (size_t i = 0; i < im->n; i++) {
        free(im->rows[i].identity);
        if (im->rows[i].password) {
            memset(im->rows[i].password, 0, strlen(im->rows[i].password));
            free(im->rows[i].password);
        }
    }
    free(im->rows);
}

static int import_fail(const char *file, long line, const char *fmt, const char *arg)
{
    fprintf(stderr, "galvanictl: charger import: %s:%ld: ", file, line);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    return 1;
}

/* Parses one line (without its newline) into a row; 1 on bad input
 * (printed), 0 otherwise; *skip for blank lines and # comments. */
static int import_line(const char *file, long lineno, char *line, struct import_row *row, int *skip)
{
    size_t len = strlen(line);
    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
        line[--len] = '\0';
    *skip = len == 0 || line[0] == '#';
    if (*skip)
        return 0;
    char *id = line, *prof = NULL, *pw = NULL;
    char *comma = strchr(line, ',');
    if (comma) {
        *comma = '\0';
        prof = comma + 1;
        comma = strchr(prof, ',');
        if (comma) {
            *comma = '\0';
            pw = comma + 1; /* the rest of the line: a password may hold commas */
        }
    }
    if (!glv_charger_identity_ok(id))
        return import_fail(file, lineno,
                           "'%s' is not a charger identity (1 to 255 printable ASCII bytes "
                           "without spaces)",
                           id);
    if (pw && !*pw)
        pw = NULL;
    int profile = pw ? 1 : 0;
    if (prof && *prof && parse_int(prof, 0, 3, &profile) != 0)
        return import_fail(file, lineno, "'%s' is not a security profile (0 to 3)", prof);
    if ((profile == 1 || profile == 2) && !pw)
        return import_fail(file, lineno, "security profile %s needs a password",
                           profile == 1 ? "1" : "2");
    if (pw && (strlen(pw) < 8 || strlen(pw) > 40))
        return import_fail(file, lineno, "%s", "the password must have 8 to 40 characters (OCPP)");
    row->identity = strdup(id);
    row->password = pw ? strdup(pw) : NULL;
    row->profile = profile;
    row->line = lineno;
    if (!row->identity || (pw && !row->password))
        return import_fail(file, lineno, "%s", "out of memory");
    return 0;
}

static int import_read(const char *file, struct import *im)
{
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
    if (!f) {
        fprintf(stderr, "galvanictl: charger import: cannot open %s: %s\n", file, strerror(errno));
        return 1;
    }
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    int rc = 0;
    while (rc == 0 && getline(&line, &cap, f) != -1) {
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        if (im->n == im->cap) {
            size_t ncap = im->cap ? im->cap * 2 : 256;
            struct import_row *rows = realloc(im->rows, ncap * sizeof(*rows));
            if (!rows) {
                rc = import_fail(file, lineno, "%s", "out of memory");
                break;
            }
            im->rows = rows;
            im->cap = ncap;
        }
        struct import_row *row = &im->rows[im->n];
        memset(row, 0, sizeof(*row));
        int skip = 0;
        rc = import_line(file, lineno, line, row, &skip);
        if (rc == 0 && !skip)
            im->n++;
        else if (rc != 0) {
            free(row->identity);
            free(row->password);
        }
    }
    if (rc == 0 && ferror(f)) {
        fprintf(stderr, "galvanictl: charger import: cannot read %s: %s\n", file, strerror(errno));
        rc = 1;
    }
    free(line);
    if (f != stdin)
        fclose(f);
    if (rc == 0 && im->n == 0) {
        fprintf(stderr, "galvanictl: charger import: %s holds no charger\n", file);
        rc = 1;
    }
    return rc;
}

static int by_identity(const void *a, const void *b)
{
    const struct import_row *const *x = a, *const *y = b;
    int c = strcmp((*x)->identity, (*y)->identity);
    return c ? c : ((*x)->line > (*y)->line) - ((*x)->line < (*y)->line);
}

static int by_password(const void *a, const void *b)
{
    const struct import_row *const *x = a, *const *y = b;
    if (!(*x)->password || !(*y)->password)
        return !!(*x)->password - !!(*y)->password;
    return strcmp((*x)->password, (*y)->password);
}

/* Refuses an identity given twice; hashes each distinct password once.
 * *hashed counts the hashes made. */
static int import_prepare(const char *file, struct import *im, size_t *hashed)
{
    struct import_row **order = malloc(im->n * sizeof(*order));
    if (!order) {
        fprintf(stderr, "galvanictl: charger import: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < im->n; i++)
        order[i] = &im->rows[i];
    qsort(order, im->n, sizeof(*order), by_identity);
    for (size_t i = 1; i < im->n; i++) {
        if (strcmp(order[i]->identity, order[i - 1]->identity) == 0) {
            char first[32];
            snprintf(first, sizeof(first), "%ld", order[i - 1]->line);
            fprintf(stderr, "galvanictl: charger import: %s:%ld: %s is on line %s already\n", file,
                    order[i]->line, order[i]->identity, first);
            free(order);
            return 1;
        }
    }
    qsort(order, im->n, sizeof(*order), by_password);
    *hashed = 0;
    for (size_t i = 0; i < im->n; i++) {
        struct import_row *row = order[i];
        if (!row->password)
            continue;
        if (i > 0 && order[i - 1]->password && strcmp(order[i - 1]->password, row->password) == 0) {
            row->hash = order[i - 1]->hash;
            continue;
        }
        if (glv_password_hash_sync(row->password, row->hash_buf) != 0) {
            free(order);
            return import_fail(file, row->line, "%s", "cannot hash the password");
        }
        row->hash = row->hash_buf;
        (*hashed)++;
    }
    free(order);
    return 0;
}

/* COPY text format: backslash escapes; identities and hashes hold no tabs
 * or newlines (printable ASCII without spaces). */
static int copy_field(PGconn *pg, const char *s, const char *sep)
{
    char buf[2 * 256 + 4];
    size_t n = 0;
    if (!s) {
        buf[n++] = '\\';
        buf[n++] = 'N';
    } else {
        for (; *s && n < sizeof(buf) - 3; s++) {
            if (*s == '\\')
                buf[n++] = '\\';
            buf[n++] = *s;
        }
    }
    buf[n++] = *sep;
    return PQputCopyData(pg, buf, (int)n) == 1 ? 0 : -1;
}

static int charger_import(PGconn *pg, const char *file)
{
    struct import im = {0};
    size_t hashed = 0;
    int rc = import_read(file, &im);
    if (rc == 0)
        rc = import_prepare(file, &im, &hashed);
    if (rc != 0) {
        import_free(&im);
        return rc;
    }
    PGresult *res = run(pg, "import", "BEGIN", 0, NULL, NULL);
    if (res) {
        PQclear(res);
        res = run(pg, "import",
                  "CREATE TEMPORARY TABLE glv_charger_import (identity text, security_profile"
                  " integer, password_hash text) ON COMMIT DROP",
                  0, NULL, NULL);
    }
    if (res) {
        PQclear(res);
        res = PQexec(pg, "COPY glv_charger_import FROM STDIN");
        if (PQresultStatus(res) != PGRES_COPY_IN) {
            fprintf(stderr, "galvanictl: charger import: %s", PQerrorMessage(pg));
            PQclear(res);
            res = NULL;
        } else {
            PQclear(res);
            int bad = 0;
            for (size_t i = 0; i < im.n && !bad; i++) {
                char prof[4];
                snprintf(prof, sizeof(prof), "%d", im.rows[i].profile);
                bad = copy_field(pg, im.rows[i].identity, "\t") || copy_field(pg, prof, "\t") ||
                      copy_field(pg, im.rows[i].hash, "\n");
            }
            res = NULL;
            if (PQputCopyEnd(pg, bad ? "galvanictl: cannot send a row" : NULL) == 1) {
                res = PQgetResult(pg);
                if (PQresultStatus(res) != PGRES_COMMAND_OK) {
                    fprintf(stderr, "galvanictl: charger import: %s", PQerrorMessage(pg));
                    PQclear(res);
                    res = NULL;
                }
                for (PGresult *more; (more = PQgetResult(pg)) != NULL;)
                    PQclear(more);
            }
        }
    }
    if (res) {
        PQclear(res);
        res = run(pg, "import",
                  "WITH up AS (INSERT INTO glv_chargers (identity, status, security_profile,"
                  " password_hash) SELECT identity, 'accepted', security_profile, password_hash"
                  " FROM glv_charger_import ON CONFLICT (identity) DO UPDATE SET"
                  " security_profile = EXCLUDED.security_profile,"
                  " password_hash = EXCLUDED.password_hash, updated_at = now()"
                  " RETURNING (xmax = 0) AS added)"
                  " SELECT count(*) FILTER (WHERE added), count(*) FILTER (WHERE NOT added)"
                  " FROM up",
                  0, NULL, NULL);
    }
    char added[24] = "0", updated[24] = "0";
    if (res) {
        snprintf(added, sizeof(added), "%s", PQgetvalue(res, 0, 0));
        snprintf(updated, sizeof(updated), "%s", PQgetvalue(res, 0, 1));
        PQclear(res);
        res = run(pg, "import", "COMMIT", 0, NULL, NULL);
    }
    if (!res) {
        PQclear(PQexec(pg, "ROLLBACK"));
        import_free(&im);
        return 1;
    }
    PQclear(res);
    printf("%zu chargers imported: %s added, %s updated, %zu distinct passwords hashed\n", im.n,
           added, updated, hashed);
    import_free(&im);
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
        strcmp(sub, "accept") != 0 && strcmp(sub, "remove") != 0 && strcmp(sub, "import") != 0)
        return usage();
    PGconn *pg = glv_ctl_connect(env, "charger", sub);
    if (!pg)
        return 1;
    int rc;
    if (strcmp(sub, "add") == 0) {
        rc = charger_add(pg, pos[0], &o);
    } else if (strcmp(sub, "import") == 0) {
        rc = charger_import(pg, pos[0]);
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
