/* The localauth plugin answering token.authorize from its token list, loaded
 * like galvanid loads it, against the real test cluster. */
#include "check_run.h"
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "config-internal.h"
#include "loader-internal.h"
#include "pg_test.h"

static glv_test_db T;
static glv_loader *loader;
static const glv_host *H;

static glv_config_doc *doc_of(const char *yaml)
{
    char *err = NULL;
    glv_config_doc *doc = glv_config_parse("test.yaml", yaml, strlen(yaml), &err);
    ck_assert_msg(doc != NULL, "config: %s", err);
    return doc;
}

static void setup(void)
{
    glv_test_db_open(&T, NULL);
    H = T.host;
    char *err = NULL;
    loader = glv_loader_new(T.core);
    ck_assert_int_eq(glv_loader_add_dir(loader, getenv("GLV_PLUGIN_BUILD_DIR")), 0);
    glv_plugin_spec spec = {.name = "localauth"};
    ck_assert_msg(glv_loader_load(loader, &spec, 1, &err) == 0, "load: %s", err);
    size_t n = 0;
    const glv_migration_set *plugin_sets = glv_loader_migrations(loader, &n);
    ck_assert_int_eq(n, 1);
    glv_migration_set sets[2] = {{"core", glv_core_migrations}, plugin_sets[0]};
    ck_assert_msg(glv_db_migrate(T.conninfo, sets, 2, NULL, &err) == 0, "migrate: %s", err);
    glv_config_doc *doc = doc_of("localauth:\n  unknown: pass\n");
    ck_assert_msg(glv_loader_configure(loader, doc, &err) == 0, "configure: %s", err);
    glv_config_free(doc);
    ck_assert_msg(glv_loader_init_all(loader, &err) == 0, "init: %s", err);
    ck_assert_msg(glv_loader_start_all(loader, &err) == 0, "start: %s", err);
    /* The transports declare the event too. */
    ck_assert_int_eq(H->event_declare(T.p, "token.authorize", GLV_EVENT_FILTER, 1), 0);
    glv_test_pg_exec(T.conninfo,
                     "INSERT INTO localauth_tokens (id_token, status, expiry, parent_id) VALUES"
                     " ('CARD-OK', 'Accepted', '2999-01-01T00:00:00Z', 'GROUP-1'),"
                     " ('CARD-BLOCKED', 'Blocked', NULL, NULL),"
                     " ('CARD-OLD', 'Accepted', '2001-01-01T00:00:00Z', NULL)");
}

static void teardown(void)
{
    glv_loader_stop_all(loader);
    glv_loader_fini_all(loader);
    glv_loader_free(loader);
    glv_test_db_close(&T);
}

typedef struct chain {
    int done;
    glv_verdict verdict;
    json_t *payload; /* copy */
} chain;

static void on_done(glv_verdict result, json_t *payload, const json_t *error, void *arg)
{
    (void)error;
    chain *c = arg;
    c->done++;
    c->verdict = result;
    c->payload = json_deep_copy(payload);
}

/* Runs token.authorize for token; c receives the outcome. */
static void authorize(const char *token, chain *c)
{
    memset(c, 0, sizeof(*c));
    json_t *payload = json_pack("{s:s, s:s, s:s, s:i}", "charger", "DEMO-CP-1", "id_token", token,
                                "token_type", "RFID", "connector_id", 1);
    ck_assert_int_eq(H->filter_run(T.p, "token.authorize", payload, 5000, on_done, c), 0);
    json_decref(payload);
    ck_assert(glv_test_loop_until(T.core->base, &c->done, 5000));
}

static const char *field(const chain *c, const char *k)
{
    return json_string_value(json_object_get(c->payload, k));
}

START_TEST(accepted_blocked_expired)
{
    chain c;
    authorize("CARD-OK", &c);
    ck_assert_int_eq(c.verdict, GLV_HOOK_HANDLED);
    ck_assert_str_eq(field(&c, "status"), "Accepted");
    ck_assert_str_eq(field(&c, "source"), "localauth");
    ck_assert_str_eq(field(&c, "parent_id"), "GROUP-1");
    ck_assert_str_eq(field(&c, "expiry"), "2999-01-01T00:00:00Z");
    ck_assert_str_eq(field(&c, "charger"), "DEMO-CP-1");
    json_decref(c.payload);

    authorize("card-ok", &c); /* id tokens compare without regard to case */
    ck_assert_int_eq(c.verdict, GLV_HOOK_HANDLED);
    ck_assert_str_eq(field(&c, "status"), "Accepted");
    json_decref(c.payload);

    authorize("CARD-BLOCKED", &c);
    ck_assert_int_eq(c.verdict, GLV_HOOK_HANDLED);
    ck_assert_str_eq(field(&c, "status"), "Blocked");
    ck_assert(json_is_null(json_object_get(c.payload, "parent_id")));
    json_decref(c.payload);

    authorize("CARD-OLD", &c);
    ck_assert_int_eq(c.verdict, GLV_HOOK_HANDLED);
    ck_assert_str_eq(field(&c, "status"), "Expired");
    json_decref(c.payload);

    /* A change to the list takes effect on the next authorization. */
    glv_test_pg_exec(T.conninfo,
                     "UPDATE localauth_tokens SET status = 'Blocked' WHERE id_token = 'CARD-OK'");
    authorize("CARD-OK", &c);
    ck_assert_str_eq(field(&c, "status"), "Blocked");
    json_decref(c.payload);
}
END_TEST

START_TEST(unknown_pass_or_reject)
{
    chain c;
    authorize("NOBODY", &c);
    ck_assert_int_eq(c.verdict, GLV_HOOK_PASS);
    ck_assert_ptr_null(json_object_get(c.payload, "status"));
    ck_assert_ptr_null(json_object_get(c.payload, "source"));
    json_decref(c.payload);

    char *err = NULL;
    glv_config_doc *doc = doc_of("localauth:\n  unknown: reject\n");
    ck_assert_msg(glv_loader_reload_all(loader, doc, &err) == 0, "reload: %s", err);
    glv_config_free(doc);
    authorize("NOBODY", &c);
    ck_assert_int_eq(c.verdict, GLV_HOOK_HANDLED);
    ck_assert_str_eq(field(&c, "status"), "Invalid");
    ck_assert_str_eq(field(&c, "source"), "localauth");
    json_decref(c.payload);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("localauth");
    TCase *tc = tcase_create("localauth");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, accepted_blocked_expired);
    tcase_add_test(tc, unknown_pass_or_reject);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return glv_test_run(suite());
}
