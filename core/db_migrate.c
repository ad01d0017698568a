/*
 * galvani core — schema migrations: numbered SQL scripts of the core and of
 * each plugin, applied in order, each in one transaction together with its
 * row in glv_schema_version; and galvanid's start-up check of its node id.
 * Blocking libpq: galvanictl, galvanid -t and galvanid's start-up only.
 */
#include "db-internal.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Serializes migrators across processes: pg_advisory_lock key "glvmigr". */
#define GLV_MIGRATE_LOCK_KEY "29113207593051506"

static const char create_version_table[] = "CREATE TABLE IF NOT EXISTS glv_schema_version ("
                                           " component text NOT NULL,"
                                           " version integer NOT NULL CHECK (version > 0),"
                                           " name text NOT NULL,"
                                           " checksum text NOT NULL,"
                                           " applied_at timestamptz NOT NULL DEFAULT now(),"
                                           " PRIMARY KEY (component, version))";

static int set_err(char **err, const char *fmt, ...) GLV_PRINTF(2, 3);
static int set_err(char **err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(err, fmt, ap) < 0)
            *err = NULL;
        va_end(ap);
    }
    return -1;
}

/* libpq's messages end with a newline; messages here do not. */
static const char *pq_msg(const char *m, char *buf, size_t len)
{
    snprintf(buf, len, "%s", m && *m ? m : "unknown error");
    size_t n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    return buf;
}

static void quiet_notices(void *arg, const char *message) {}

static PGconn *connect_blocking(const char *conninfo, char **err)
{
    char buf[512];
    if (!conninfo || !*conninfo) {
        set_err(err, "no database conninfo is configured (database.conninfo)");
        return NULL;
    }
    PGconn *pg = PQconnectdb(conninfo);
    if (!pg || PQstatus(pg) != CONNECTION_OK) {
        set_err(err, "cannot connect to PostgreSQL: %s",
                pq_msg(pg ? PQerrorMessage(pg) : "out of memory", buf, sizeof(buf)));
        PQfinish(pg);
        return NULL;
    }
    PQsetNoticeProcessor(pg, quiet_notices, NULL);
    return pg;
}

/* Runs sql; 0 on success, else -1 with *err = "<what>: <message>". */
static int exec_ok(PGconn *pg, const char *sql, const char *what, char **err)
{
    char buf[1024];
    PGresult *r = PQexec(pg, sql);
    ExecStatusType st = PQresultStatus(r);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
    if (!ok)
        set_err(err, "%s: %s", what,
                pq_msg(r ? PQresultErrorMessage(r) : PQerrorMessage(pg), buf, sizeof(buf)));
    PQclear(r);
    return ok ? 0 : -1;
}

static void sha256_hex(const char *text, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL);
    for (unsigned int i = 0; i < len && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    out[64] = '\0';
}

/* Migrations of a set must be numbered upwards from 1 without repeats. */
static int check_order(const glv_migration_set *set, char **err)
{
    uint32_t prev = 0;
    for (const glv_migration *m = set->migrations; m && m->version; m++) {
        if (m->version <= prev)
            return set_err(err, "%s: migration %u comes after %u (versions must increase)",
                           set->component, m->version, prev);
        if (!m->name || !m->sql)
            return set_err(err, "%s: migration %u has no name or no SQL", set->component,
                           m->version);
        prev = m->version;
    }
    return 0;
}

/* The applied rows of one component (PGresult with version, name,
 * checksum), or NULL with *err. */
static PGresult *applied_rows(PGconn *pg, const char *component, char **err)
{
    char buf[1024];
    const char *params[1] = {component};
    PGresult *r = PQexecParams(pg,
                               "SELECT version, name, checksum FROM glv_schema_version "
                               "WHERE component = $1 ORDER BY version",
                               1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        set_err(err, "cannot read glv_schema_version: %s",
                pq_msg(PQresultErrorMessage(r), buf, sizeof(buf)));
        PQclear(r);
        return NULL;
    }
    return r;
}

/* Row index of version in the applied rows, or -1. */
static int find_applied(PGresult *rows, uint32_t version)
{
    for (int i = 0; i < PQntuples(rows); i++)
        if (strtoul(PQgetvalue(rows, i, 0), NULL, 10) == version)
            return i;
    return -1;
}

static int check_checksum(const glv_migration_set *set, const glv_migration *m, PGresult *rows,
                          int row, char **err)
{
    char sum[65];
    sha256_hex(m->sql, sum);
    const char *recorded = PQgetvalue(rows, row, 2);
    if (strcmp(recorded, sum) != 0)
        return set_err(err,
                       "%s migration %u (%s) differs from the one applied to this database "
                       "(checksum %.12s… recorded, %.12s… shipped): an applied migration must "
                       "never change; ship the change as a new migration",
                       set->component, m->version, m->name, recorded, sum);
    return 0;
}

static int apply_one(PGconn *pg, const glv_migration_set *set, const glv_migration *m, FILE *out,
                     char **err)
{
    char what[256], sum[65], ver[16], buf[1024];
    snprintf(what, sizeof(what), "%s migration %u (%s) failed", set->component, m->version,
             m->name);
    sha256_hex(m->sql, sum);
    snprintf(ver, sizeof(ver), "%u", m->version);
    if (exec_ok(pg, "BEGIN", what, err) != 0)
        return -1;
    if (exec_ok(pg, m->sql, what, err) != 0)
        goto rollback;
    const char *params[4] = {set->component, ver, m->name, sum};
    PGresult *r = PQexecParams(pg,
                               "INSERT INTO glv_schema_version (component, version, name, "
                               "checksum) VALUES ($1, $2, $3, $4)",
                               4, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        set_err(err, "%s: recording it: %s", what,
                pq_msg(PQresultErrorMessage(r), buf, sizeof(buf)));
        PQclear(r);
        goto rollback;
    }
    PQclear(r);
    if (exec_ok(pg, "COMMIT", what, err) != 0)
        goto rollback;
    if (out)
        fprintf(out, "applied %s migration %u (%s)\n", set->component, m->version, m->name);
    return 0;
rollback:
    PQclear(PQexec(pg, "ROLLBACK"));
    return -1;
}

static int migrate_set(PGconn *pg, const glv_migration_set *set, FILE *out, int *applied,
                       char **err)
{
    if (check_order(set, err) != 0)
        return -1;
    PGresult *rows = applied_rows(pg, set->component, err);
    if (!rows)
        return -1;
    int rc = 0;
    for (const glv_migration *m = set->migrations; m && m->version; m++) {
        int row = find_applied(rows, m->version);
        if (row >= 0) {
            if ((rc = check_checksum(set, m, rows, row, err)) != 0)
                break;
            continue;
        }
        if ((rc = apply_one(pg, set, m, out, err)) != 0)
            break;
        (*applied)++;
    }
    PQclear(rows);
    return rc;
}

int glv_db_migrate(const char *conninfo, const glv_migration_set *sets, size_t nsets, FILE *out,
                   char **err)
{
    if (err)
        *err = NULL;
    PGconn *pg = connect_blocking(conninfo, err);
    if (!pg)
        return -1;
    int rc = exec_ok(pg, "SET client_min_messages = warning", "session setup", err);
    if (rc == 0)
        rc = exec_ok(pg, "SELECT pg_advisory_lock(" GLV_MIGRATE_LOCK_KEY ")",
                     "cannot take the migration lock", err);
    if (rc == 0) {
        rc = exec_ok(pg, create_version_table, "cannot create glv_schema_version", err);
        int applied = 0;
        for (size_t i = 0; rc == 0 && i < nsets; i++)
            rc = migrate_set(pg, &sets[i], out, &applied, err);
        if (rc == 0 && out && applied == 0)
            fprintf(out, "database is up to date\n");
        PQclear(PQexec(pg, "SELECT pg_advisory_unlock(" GLV_MIGRATE_LOCK_KEY ")"));
    }
    PQfinish(pg);
    return rc;
}

static int version_table_exists(PGconn *pg, int *exists, char **err)
{
    char buf[512];
    PGresult *r = PQexec(pg, "SELECT to_regclass('glv_schema_version') IS NOT NULL");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        set_err(err, "cannot inspect the schema: %s",
                pq_msg(PQresultErrorMessage(r), buf, sizeof(buf)));
        PQclear(r);
        return -1;
    }
    *exists = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return 0;
}

int glv_db_migration_status(const char *conninfo, const glv_migration_set *sets, size_t nsets,
                            glv_migration_status *out, char **err)
{
    if (err)
        *err = NULL;
    PGconn *pg = connect_blocking(conninfo, err);
    if (!pg)
        return -1;
    int exists = 0, rc = version_table_exists(pg, &exists, err);
    for (size_t i = 0; rc == 0 && i < nsets; i++) {
        out[i].component = sets[i].component;
        out[i].applied = 0;
        out[i].latest = 0;
        for (const glv_migration *m = sets[i].migrations; m && m->version; m++)
            out[i].latest = m->version;
        if (!exists)
            continue;
        PGresult *rows = applied_rows(pg, sets[i].component, err);
        if (!rows) {
            rc = -1;
            break;
        }
        int n = PQntuples(rows);
        if (n > 0)
            out[i].applied = (uint32_t)strtoul(PQgetvalue(rows, n - 1, 0), NULL, 10);
        PQclear(rows);
    }
    PQfinish(pg);
    return rc;
}

int glv_db_check_schema(const char *conninfo, const glv_migration_set *sets, size_t nsets,
                        char **err)
{
    if (err)
        *err = NULL;
    PGconn *pg = connect_blocking(conninfo, err);
    if (!pg)
        return -1;
    int exists = 0, rc = version_table_exists(pg, &exists, err);
    if (rc == 0 && !exists)
        rc = set_err(err, "the database has no galvani schema yet: run `galvanictl db migrate`");
    for (size_t i = 0; rc == 0 && i < nsets; i++) {
        const glv_migration_set *set = &sets[i];
        if ((rc = check_order(set, err)) != 0)
            break;
        PGresult *rows = applied_rows(pg, set->component, err);
        if (!rows) {
            rc = -1;
            break;
        }
        unsigned missing = 0;
        uint32_t first = 0, latest = 0;
        for (const glv_migration *m = set->migrations; m && m->version; m++) {
            latest = m->version;
            int row = find_applied(rows, m->version);
            if (row < 0) {
                if (!missing++)
                    first = m->version;
                continue;
            }
            if ((rc = check_checksum(set, m, rows, row, err)) != 0)
                break;
        }
        PQclear(rows);
        if (rc == 0 && missing)
            rc = set_err(err,
                         "%s: %u migration(s) not applied (from %u to %u): run `galvanictl db "
                         "migrate`",
                         set->component, missing, first, latest);
    }
    PQfinish(pg);
    return rc;
}

int glv_db_check_node(const char *conninfo, const char *node_id, char **err)
{
    if (err)
        *err = NULL;
    PGconn *pg = connect_blocking(conninfo, err);
    if (!pg)
        return -1;
    /* The pool names its sessions after the node (application_name). */
    const char *params[1] = {node_id};
    PGresult *r = PQexecParams(pg,
                               "SELECT pid, coalesce(host(client_addr), 'a local socket'),"
                               " to_char(backend_start, 'YYYY-MM-DD HH24:MI:SS TZ')"
                               " FROM pg_stat_activity WHERE datname = current_database()"
                               " AND application_name = $1 AND pid <> pg_backend_pid()"
                               " ORDER BY backend_start LIMIT 1",
                               1, NULL, params, NULL, NULL, 0);
    char buf[512];
    int rc = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        rc = set_err(err, "cannot read pg_stat_activity: %s",
                     pq_msg(PQresultErrorMessage(r), buf, sizeof(buf)));
    else if (PQntuples(r) > 0)
        rc = set_err(err,
                     "node id \"%s\" is in use: the database has a session of that node "
                     "(backend pid %s, from %s, since %s); give every process sharing the "
                     "database its own galvani.node_id, or leave it unset (host-pid)",
                     node_id, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2));
    PQclear(r);
    PQfinish(pg);
    return rc;
}
