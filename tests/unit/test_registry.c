/* Charger registry and command routing against the real test cluster: two
 * cores with different node ids share one schema, as two galvanid processes
 * share one database. */
#include "check_run.h"
#include <check.h>
#include <event2/event.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db-internal.h"
#include "pg_test.h"

static glv_test_db A;      /* node "test-node" */
static glv_core *core_b;   /* node "node-b", same schema */
static glv_plugin *pb;     /* a handle on core_b */
static const glv_host *H;  /* A's host table */
static const glv_host *HB; /* B's host table */

/* What a registry callback saw. */
typedef struct got {
    int done;
    json_t *charger; /* new copy or NULL */
    json_t *error;   /* new copy or NULL */
} got;

static void on_charger(const json_t *charger, const json_t *error, void *arg)
{
    got *g = arg;
    g->done++;
    g->charger = charger ? json_deep_copy(charger) : NULL;
    g->error = error ? json_deep_copy(error) : NULL;
}

static void on_result(const json_t *result, const json_t *error, void *arg)
{
    on_charger(result, error, arg);
}

static void got_clear(got *g)
{
    json_decref(g->charger);
    json_decref(g->error);
    memset(g, 0, sizeof(*g));
}

/* Runs both loops until *flag or timeout_ms. */
static int loop_both(const int *flag, uint32_t timeout_ms)
{
    for (uint32_t t = 0; !*flag && t < timeout_ms; t += 2) {
        event_base_loop(A.core->base, EVLOOP_NONBLOCK);
        event_base_loop(core_b->base, EVLOOP_NONBLOCK);
        usleep(2000);
    }
    return *flag;
}

static void loop_both_for(uint32_t ms)
{
    int never = 0;
    loop_both(&never, ms);
}

static void setup(void)
{
    glv_test_db_open(&A, NULL);
    H = A.host;
    char *err = NULL;
    glv_migration_set set = {"core", glv_core_migrations};
    ck_assert_msg(glv_db_migrate(A.conninfo, &set, 1, NULL, &err) == 0, "migrate: %s", err);
    core_b = glv_core_new("node-b", 1);
    ck_assert_ptr_nonnull(core_b);
    pb = glv_core_plugin_new(core_b, "test-b");
    HB = &core_b->host;
    json_t *section = json_pack("{s:s, s:i}", "conninfo", A.conninfo, "pool_size", 2);
    ck_assert_ptr_nonnull(glv_db_new(core_b, section, &err));
    json_decref(section);
    ck_assert_int_eq(glv_db_start(core_b->db), 0);
    for (int i = 0; i < 500 && !glv_db_healthy(core_b->db); i++)
        loop_both_for(10);
    ck_assert(glv_db_healthy(core_b->db));
}

static void teardown(void)
{
    loop_both_for(50);
    glv_db_free(core_b->db);
    glv_core_free(core_b);
    glv_test_db_close(&A);
}

static void provision(const glv_host *h, glv_plugin *p, const char *id, const char *fields_json)
{
    got g = {0};
    json_t *fields = json_loads(fields_json, 0, NULL);
    ck_assert_ptr_nonnull(fields);
    ck_assert_int_eq(h->charger_provision(p, id, fields, on_charger, &g), 0);
    json_decref(fields);
    ck_assert(loop_both(&g.done, 5000));
    ck_assert_msg(g.error == NULL, "provision: %s", json_dumps(g.error, 0));
    got_clear(&g);
}

static void attach(const glv_host *h, glv_plugin *p, const char *id, const char *transport)
{
    got g = {0};
    ck_assert_int_eq(h->charger_attach(p, id, transport, on_charger, &g), 0);
    ck_assert(loop_both(&g.done, 5000));
    ck_assert_ptr_nonnull(g.charger);
    got_clear(&g);
}

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

START_TEST(provision_and_lookup)
{
    got g = {0};
    ck_assert_int_eq(H->charger_lookup(A.p, "CP-1", on_charger, &g), 0);
    ck_assert_int_eq(g.done, 0); /* never before the call returned */
    ck_assert(loop_both(&g.done, 5000));
    ck_assert_ptr_null(g.charger);
    ck_assert_ptr_null(g.error);
    got_clear(&g);

    json_t *fields = json_pack("{s:i, s:s, s:i}", "security_profile", 1, "password_hash",
                               "$scrypt$x", "connectors", 2);
    ck_assert_int_eq(H->charger_provision(A.p, "CP-1", fields, on_charger, &g), 0);
    json_decref(fields);
    ck_assert(loop_both(&g.done, 5000));
    ck_assert_ptr_null(g.error);
    ck_assert_str_eq(str(g.charger, "status"), "pending");
    ck_assert_int_eq(json_integer_value(json_object_get(g.charger, "security_profile")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(g.charger, "connectors")), 2);
    ck_assert_str_eq(str(g.charger, "password_hash"), "$scrypt$x");
    ck_assert(json_is_false(json_object_get(g.charger, "lenient")));
    ck_assert(json_is_null(json_object_get(g.charger, "node")));
    got_clear(&g);

    /* An update keeps what it does not name; vendor given as null clears. */
    provision(H, A.p, "CP-1", "{\"status\":\"accepted\",\"vendor\":\"ACME\",\"model\":\"X\"}");
    provision(H, A.p, "CP-1", "{\"model\":null,\"firmware\":\"1.2\"}");
    ck_assert_int_eq(H->charger_lookup(A.p, "CP-1", on_charger, &g), 0);
    ck_assert(loop_both(&g.done, 5000));
    ck_assert_str_eq(str(g.charger, "status"), "accepted");
    ck_assert_str_eq(str(g.charger, "vendor"), "ACME");
    ck_assert(json_is_null(json_object_get(g.charger, "model")));
    ck_assert_str_eq(str(g.charger, "firmware"), "1.2");
    ck_assert_str_eq(str(g.charger, "password_hash"), "$scrypt$x");
    ck_assert_int_eq(json_integer_value(json_object_get(g.charger, "connectors")), 2);
    got_clear(&g);

    /* Bad fields are refused before any I/O, naming the field. */
    json_t *bad = json_pack("{s:i}", "security_profile", 4);
    ck_assert_int_eq(H->charger_provision(A.p, "CP-1", bad, on_charger, &g), -EINVAL);
    ck_assert_ptr_nonnull(strstr(str(H->last_error(A.p), "message"), "security_profile"));
    json_decref(bad);
    bad = json_pack("{s:s}", "colour", "red");
    ck_assert_int_eq(H->charger_provision(A.p, "CP-1", bad, on_charger, &g), -EINVAL);
    json_decref(bad);
    ck_assert_int_eq(H->charger_lookup(A.p, "has space", on_charger, &g), -EINVAL);
    ck_assert_int_eq(g.done, 0);
}
END_TEST

START_TEST(attach_detach_seen)
{
    provision(H, A.p, "CP-2", "{\"status\":\"accepted\"}");
    got g = {0};
    ck_assert_int_eq(H->charger_attach(A.p, "CP-2", "ocpp16", on_charger, &g), 0);
    ck_assert(loop_both(&g.done, 5000));
    ck_assert_str_eq(str(g.charger, "node"), "test-node");
    ck_assert_str_eq(str(g.charger, "transport"), "ocpp16");
    ck_assert_ptr_nonnull(str(g.charger, "connected_at"));
    got_clear(&g);

    /* Unknown identity: an error for attach. */
    ck_assert_int_eq(H->charger_attach(A.p, "NOPE", "ocpp16", on_charger, &g), 0);
    ck_assert(loop_both(&g.done, 5000));
    ck_assert_ptr_null(g.charger);
    ck_assert_str_eq(str(g.error, "code"), "unknown");
    got_clear(&g);

    /* The charger reconnects through node B: B holds it now, and A's
     * detach (of a connection it no longer holds) changes nothing. */
    attach(HB, pb, "CP-2", "ocpp201");
    ck_assert_int_eq(H->charger_detach(A.p, "CP-2"), 0);
    loop_both_for(200);
    ck_assert_int_eq(glv_test_pg_int(A.conninfo, "SELECT count(*) FROM glv_charger_connections"
                                                 " WHERE identity = 'CP-2' AND node = 'node-b'"),
                     1);

    /* last_seen is written once for a burst of calls. */
    glv_test_pg_exec(A.conninfo, "UPDATE glv_charger_connections SET last_seen = "
                                 "'2000-01-01Z' WHERE identity = 'CP-2'");
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(HB->charger_seen(pb, "CP-2"), 0);
    loop_both_for(300);
    ck_assert_int_eq(glv_test_pg_int(A.conninfo, "SELECT count(*) FROM glv_charger_connections "
                                                 "WHERE last_seen > now() - interval '1 minute'"),
                     1);
    glv_test_pg_exec(A.conninfo, "UPDATE glv_charger_connections SET last_seen = "
                                 "'2000-01-01Z' WHERE identity = 'CP-2'");
    ck_assert_int_eq(HB->charger_seen(pb, "CP-2"), 0);
    loop_both_for(300);
    ck_assert_int_eq(glv_test_pg_int(A.conninfo, "SELECT count(*) FROM glv_charger_connections "
                                                 "WHERE last_seen > now() - interval '1 minute'"),
                     0);

    /* B's detach removes the connection. */
    ck_assert_int_eq(HB->charger_detach(pb, "CP-2"), 0);
    loop_both_for(200);
    ck_assert_int_eq(glv_test_pg_int(A.conninfo, "SELECT count(*) FROM glv_charger_connections"),
                     0);
}
END_TEST

/* Writes of many chargers issued together share a few statements of one
 * flush; those of one charger are merged, last one winning, and every
 * caller gets its answer. */
START_TEST(writes_in_bulk)
{
    enum { N = 300 };
    glv_test_pg_exec(A.conninfo, "INSERT INTO glv_chargers (identity, status)"
                                 " SELECT 'BULK-' || i, 'accepted' FROM generate_series(1, 300) i");
    static got att[N];
    char id[32];
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof(id), "BULK-%d", i + 1);
        ck_assert_int_eq(H->charger_attach(A.p, id, "ocpp16", on_charger, &att[i]), 0);
        ck_assert_int_eq(att[i].done, 0); /* never before the call returned */
    }
    for (int i = 0; i < N; i++) {
        ck_assert(loop_both(&att[i].done, 10000));
        ck_assert_int_eq(att[i].done, 1);
        ck_assert_ptr_null(att[i].error);
        snprintf(id, sizeof(id), "BULK-%d", i + 1);
        ck_assert_str_eq(str(att[i].charger, "identity"), id);
        ck_assert_str_eq(str(att[i].charger, "node"), "test-node");
        got_clear(&att[i]);
    }
    ck_assert_int_eq(glv_test_pg_int(A.conninfo, "SELECT count(*) FROM glv_charger_connections"
                                                 " WHERE node = 'test-node'"),
                     N);

    /* One flush in flight: what follows queues behind it and is merged per
     * charger. BULK-1 and BULK-2 are detached and attached again (still
     * attached), BULK-3 attached and detached (detached at the end), BULK-4
     * provisioned twice (both fields kept, both callers answered), an
     * unknown charger's attach fails alone. */
    got a1 = {0}, a2 = {0}, a3 = {0}, p1 = {0}, p2 = {0}, unknown = {0};
    ck_assert_int_eq(H->charger_detach(A.p, "BULK-300"), 0); /* starts a flush */
    ck_assert_int_eq(H->charger_detach(A.p, "BULK-1"), 0);
    ck_assert_int_eq(H->charger_attach(A.p, "BULK-1", "ocpp201", on_charger, &a1), 0);
    ck_assert_int_eq(H->charger_detach(A.p, "BULK-2"), 0);
    ck_assert_int_eq(H->charger_attach(A.p, "BULK-2", "ocpp16", on_charger, &a2), 0);
    ck_assert_int_eq(H->charger_attach(A.p, "BULK-3", "ocpp16", on_charger, &a3), 0);
    ck_assert_int_eq(H->charger_detach(A.p, "BULK-3"), 0);
    json_t *f1 = json_pack("{s:s}", "vendor", "ACME");
    json_t *f2 = json_pack("{s:s, s:i}", "firmware", "2.0", "connectors", 3);
    ck_assert_int_eq(H->charger_provision(A.p, "BULK-4", f1, on_charger, &p1), 0);
    ck_assert_int_eq(H->charger_provision(A.p, "BULK-4", f2, on_charger, &p2), 0);
    json_decref(f1);
    json_decref(f2);
    ck_assert_int_eq(H->charger_attach(A.p, "NOPE-BULK", "ocpp16", on_charger, &unknown), 0);
    ck_assert_int_eq(H->charger_seen(A.p, "BULK-5"), 0);
    ck_assert(loop_both(&unknown.done, 10000));
    ck_assert(loop_both(&p2.done, 10000));
    ck_assert(loop_both(&a3.done, 10000));
    ck_assert(loop_both(&a1.done, 10000) && loop_both(&a2.done, 10000));
    ck_assert_str_eq(str(unknown.error, "code"), "unknown");
    ck_assert_ptr_null(a1.error);
    ck_assert_str_eq(str(a1.charger, "transport"), "ocpp201");
    ck_assert_ptr_null(a3.error);
    ck_assert_int_eq(p1.done, 1);
    ck_assert_int_eq(p2.done, 1);
    ck_assert_str_eq(str(p1.charger, "vendor"), "ACME");
    ck_assert_str_eq(str(p2.charger, "vendor"), "ACME");
    ck_assert_str_eq(str(p2.charger, "firmware"), "2.0");
    ck_assert_int_eq(json_integer_value(json_object_get(p2.charger, "connectors")), 3);
    loop_both_for(300);
    ck_assert_int_eq(glv_test_pg_int(A.conninfo,
                                     "SELECT count(*) FROM glv_charger_connections WHERE identity"
                                     " IN ('BULK-1', 'BULK-2') AND node = 'test-node'"),
                     2);
    ck_assert_int_eq(glv_test_pg_int(A.conninfo, "SELECT count(*) FROM glv_charger_connections"
                                                 " WHERE identity IN ('BULK-3', 'BULK-300')"),
                     0);
    got_clear(&a1);
    got_clear(&a2);
    got_clear(&a3);
    got_clear(&p1);
    got_clear(&p2);
    got_clear(&unknown);
}
END_TEST

/* A transport's command handler: answers "reset" at once, keeps "slow"
 * without answering, and answers others with an error. */
typedef struct transport {
    int calls;
    char identity[32], command[32];
    json_t *args; /* copy */
    glv_command *held;
    const glv_host *h;
} transport;

static void handle(glv_command *cmd, const char *identity, const char *command, const json_t *args,
                   void *arg)
{
    transport *t = arg;
    t->calls++;
    snprintf(t->identity, sizeof(t->identity), "%s", identity);
    snprintf(t->command, sizeof(t->command), "%s", command);
    json_decref(t->args);
    t->args = json_deep_copy(args);
    if (strcmp(command, "slow") == 0) {
        t->held = cmd;
    } else if (strcmp(command, "reset") == 0) {
        t->h->command_reply(cmd, json_pack("{s:s}", "status", "Accepted"), NULL);
    } else {
        t->h->command_reply(cmd, NULL,
                            json_pack("{s:s, s:s}", "code", "rejected", "message", "no"));
    }
}

START_TEST(command_across_nodes)
{
    transport tb = {.h = HB};
    ck_assert_int_eq(HB->command_handler(pb, "ocpp16", handle, &tb), 0);
    ck_assert_int_eq(HB->command_handler(pb, "ocpp16", handle, &tb), -EEXIST);
    provision(H, A.p, "CP-3", "{\"status\":\"accepted\"}");
    attach(HB, pb, "CP-3", "ocpp16");
    loop_both_for(200); /* B's LISTEN is in place */

    got g = {0};
    ck_assert_int_eq(H->command_send(A.p, "CP-3", "reset", json_pack("{s:s}", "type", "Soft"), 5000,
                                     on_result, &g),
                     0);
    ck_assert(loop_both(&g.done, 5000));
    ck_assert_int_eq(tb.calls, 1);
    ck_assert_str_eq(tb.identity, "CP-3");
    ck_assert_str_eq(tb.command, "reset");
    ck_assert_str_eq(str(tb.args, "type"), "Soft");
    ck_assert_ptr_null(g.error);
    ck_assert_str_eq(str(g.charger, "status"), "Accepted");
    got_clear(&g);

    /* A transport error comes back as the error. */
    ck_assert_int_eq(H->command_send(A.p, "CP-3", "unlock", NULL, 5000, on_result, &g), 0);
    ck_assert(loop_both(&g.done, 5000));
    ck_assert_ptr_null(g.charger);
    ck_assert_str_eq(str(g.error, "code"), "rejected");
    got_clear(&g);

    /* No answer in time: timeout; the late answer changes nothing. */
    ck_assert_int_eq(H->command_send(A.p, "CP-3", "slow", NULL, 300, on_result, &g), 0);
    ck_assert(loop_both(&g.done, 5000));
    ck_assert_str_eq(str(g.error, "code"), "timeout");
    got_clear(&g);
    ck_assert_ptr_nonnull(tb.held);
    HB->command_reply(tb.held, json_object(), NULL);
    loop_both_for(200);
    ck_assert_int_eq(g.done, 0);

    /* The table records every command with its origin, target and outcome. */
    ck_assert_int_eq(
        glv_test_pg_int(A.conninfo,
                        "SELECT count(*) FROM glv_charger_commands WHERE origin_node = "
                        "'test-node' AND target_node = 'node-b' AND finished_at IS NOT NULL"),
        3);
    char *v = glv_test_pg_value(A.conninfo, "SELECT status || ' ' || (result->>'status') || ' '"
                                            " || (args->>'type') FROM glv_charger_commands"
                                            " WHERE command = 'reset'");
    ck_assert_str_eq(v, "succeeded Accepted Soft");
    free(v);
    v = glv_test_pg_value(A.conninfo,
                          "SELECT status || ' ' || (error->>'code') FROM glv_charger_commands"
                          " WHERE command = 'unlock'");
    ck_assert_str_eq(v, "failed rejected");
    free(v);
    v = glv_test_pg_value(A.conninfo, "SELECT status FROM glv_charger_commands"
                                      " WHERE command = 'slow'");
    ck_assert_str_eq(v, "timeout");
    free(v);
    json_decref(tb.args);
}
END_TEST

START_TEST(command_local_offline_unknown)
{
    transport ta = {.h = H};
    ck_assert_int_eq(H->command_handler(A.p, "ocpp16", handle, &ta), 0);
    provision(H, A.p, "CP-4", "{}");
    got g = {0};

    /* Offline: provisioned but not connected. */
    ck_assert_int_eq(H->command_send(A.p, "CP-4", "reset", NULL, 0, on_result, &g), 0);
    ck_assert(loop_both(&g.done, 5000));
    ck_assert_str_eq(str(g.error, "code"), "offline");
    got_clear(&g);

    /* Unknown identity. */
    ck_assert_int_eq(H->command_send(A.p, "CP-X", "reset", NULL, 0, on_result, &g), 0);
    ck_assert(loop_both(&g.done, 5000));
    ck_assert_str_eq(str(g.error, "code"), "unknown");
    got_clear(&g);

    /* Held by this node: the local handler runs it. */
    attach(H, A.p, "CP-4", "ocpp16");
    ck_assert_int_eq(H->command_send(A.p, "CP-4", "reset", json_object(), 0, on_result, &g), 0);
    ck_assert_int_eq(ta.calls, 0);
    ck_assert(loop_both(&g.done, 5000));
    ck_assert_int_eq(ta.calls, 1);
    ck_assert_str_eq(str(g.charger, "status"), "Accepted");
    got_clear(&g);

    /* Held through a transport without a handler here: unsupported. */
    attach(H, A.p, "CP-4", "ocpp201");
    ck_assert_int_eq(H->command_send(A.p, "CP-4", "reset", NULL, 0, on_result, &g), 0);
    ck_assert(loop_both(&g.done, 5000));
    ck_assert_str_eq(str(g.error, "code"), "unsupported");
    got_clear(&g);

    /* Bad arguments are refused at once, args released. */
    ck_assert_int_eq(H->command_send(A.p, "CP-4", "", NULL, 0, on_result, &g), -EINVAL);
    ck_assert_int_eq(H->command_send(A.p, "CP-4", "reset", json_array(), 0, on_result, &g),
                     -EINVAL);

    ck_assert_int_eq(glv_test_pg_int(A.conninfo,
                                     "SELECT count(*) FROM glv_charger_commands"
                                     " WHERE status IN ('offline', 'unknown', 'succeeded',"
                                     " 'failed') AND finished_at IS NOT NULL"),
                     4);
    char *v = glv_test_pg_value(A.conninfo, "SELECT string_agg(status, ',' ORDER BY id)"
                                            " FROM glv_charger_commands");
    ck_assert_str_eq(v, "offline,unknown,succeeded,failed");
    free(v);
    json_decref(ta.args);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("registry");
    TCase *tc = tcase_create("registry");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, provision_and_lookup);
    tcase_add_test(tc, attach_detach_seen);
    tcase_add_test(tc, writes_in_bulk);
    tcase_add_test(tc, command_across_nodes);
    tcase_add_test(tc, command_local_offline_unknown);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return glv_test_run(suite());
}
