/*
 * galvani — tests of the YAML configuration engine: parsing with positions,
 * refusals with exact file:line:column, schema validation, defaults,
 * durations and sizes, secrets, redaction and the reload comparison.
 */
#include "check_run.h"
#include "config-internal.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- helpers ---- */

static glv_config_doc *parse_ok(const char *text)
{
    char *err = NULL;
    glv_config_doc *doc = glv_config_parse("t.yaml", text, strlen(text), &err);
    ck_assert_msg(doc != NULL, "unexpected error: %s", err ? err : "(none)");
    ck_assert_ptr_null(err);
    return doc;
}

/* Asserts that parsing fails with exactly `expected`. */
static void expect_parse_error(const char *text, const char *expected)
{
    char *err = NULL;
    glv_config_doc *doc = glv_config_parse("t.yaml", text, strlen(text), &err);
    ck_assert_ptr_null(doc);
    ck_assert_ptr_nonnull(err);
    ck_assert_str_eq(err, expected);
    free(err);
}

/* Validates section `key` of `text`; returns the section (new) or NULL and
 * the error in *err (malloc'd). */
static json_t *section(const char *text, const char *key, const glv_config_field *schema,
                       char **err)
{
    glv_config_doc *doc = parse_ok(text);
    json_t *out = NULL;
    *err = NULL;
    int rc = glv_config_section(doc, key, schema, &out, err);
    glv_config_free(doc);
    if (rc < 0) {
        ck_assert_int_eq(rc, -EINVAL);
        ck_assert_ptr_null(out);
        ck_assert_ptr_nonnull(*err);
        return NULL;
    }
    ck_assert_ptr_null(*err);
    ck_assert(json_is_object(out));
    return out;
}

static json_t *section_ok(const char *text, const char *key, const glv_config_field *schema)
{
    char *err = NULL;
    json_t *out = section(text, key, schema, &err);
    ck_assert_msg(out != NULL, "unexpected error: %s", err ? err : "(none)");
    return out;
}

static void expect_section_error(const char *text, const char *key, const glv_config_field *schema,
                                 const char *expected)
{
    char *err = NULL;
    json_t *out = section(text, key, schema, &err);
    ck_assert_msg(out == NULL, "expected an error: %s", expected);
    ck_assert_str_eq(err, expected);
    free(err);
}

static char *dump(const json_t *j)
{
    return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

static void expect_json(const json_t *j, const char *expected)
{
    char *s = dump(j);
    ck_assert_str_eq(s, expected);
    free(s);
}

/* ---- schemas ---- */

static const char *const log_levels[] = {"debug", "info", "notice", "warning", "err", NULL};

static const glv_config_field database_schema[] = {
    {.key = "url", .type = GLV_CFG_SECRET, .flags = GLV_CFG_REQUIRED},
    {.key = "pool_size", .type = GLV_CFG_INT, .default_text = "8", .min = 1, .max = 256},
    {.key = "connect_timeout",
     .type = GLV_CFG_DURATION,
     .default_text = "10s",
     .min = 100,
     .max = 3600 * 1000},
    {.key = "statement_timeout",
     .type = GLV_CFG_DURATION,
     .default_text = "30s",
     .flags = GLV_CFG_RELOADABLE},
    {.key = NULL},
};

static const glv_config_field tls_schema[] = {
    {.key = "cert", .type = GLV_CFG_STRING, .flags = GLV_CFG_REQUIRED},
    {.key = "key", .type = GLV_CFG_STRING, .flags = GLV_CFG_REQUIRED},
    {.key = "verify_client", .type = GLV_CFG_BOOL, .default_text = "no"},
    {.key = NULL},
};

static const glv_config_field listener_schema[] = {
    {.key = "name", .type = GLV_CFG_STRING, .flags = GLV_CFG_REQUIRED},
    {.key = "address", .type = GLV_CFG_STRING, .default_text = "0.0.0.0"},
    {.key = "port", .type = GLV_CFG_INT, .flags = GLV_CFG_REQUIRED, .min = 1, .max = 65535},
    {.key = "idle_timeout", .type = GLV_CFG_DURATION, .default_text = "60s"},
    {.key = "tls", .type = GLV_CFG_OBJECT, .children = tls_schema},
    {.key = NULL},
};

static const glv_config_field limits_schema[] = {
    {.key = "burst", .type = GLV_CFG_INT, .default_text = "20"},
    {.key = "window", .type = GLV_CFG_DURATION, .default_text = "1m"},
    {.key = NULL},
};

static const glv_config_field http_schema[] = {
    {.key = "max_body",
     .type = GLV_CFG_SIZE,
     .default_text = "64k",
     .min = 1024,
     .max = 64 * 1024 * 1024},
    {.key = "listeners", .type = GLV_CFG_OBJECT_LIST, .children = listener_schema},
    {.key = "limits", .type = GLV_CFG_OBJECT, .children = limits_schema},
    {.key = "cors_origins", .type = GLV_CFG_STRING_LIST, .default_text = "[\"*\"]"},
    {.key = NULL},
};

static const glv_config_field log_schema[] = {
    {.key = "level",
     .type = GLV_CFG_STRING,
     .default_text = "info",
     .choices = log_levels,
     .flags = GLV_CFG_RELOADABLE},
    {.key = "json", .type = GLV_CFG_BOOL, .default_text = "false"},
    {.key = NULL},
};

static const glv_config_field plugins_schema[] = {
    {.key = "dir", .type = GLV_CFG_STRING},
    {.key = "load", .type = GLV_CFG_STRING_LIST},
    {.key = NULL},
};

static const glv_config_field peer_schema[] = {
    {.key = "url", .type = GLV_CFG_STRING, .flags = GLV_CFG_REQUIRED},
    {.key = "token", .type = GLV_CFG_SECRET, .flags = GLV_CFG_REQUIRED},
    {.key = "push", .type = GLV_CFG_BOOL, .default_text = "yes"},
    {.key = NULL},
};

static const glv_config_field peer_value[] = {
    {.key = "*", .type = GLV_CFG_OBJECT, .children = peer_schema},
    {.key = NULL},
};

static const glv_config_field ocpi_schema[] = {
    {.key = "country_code", .type = GLV_CFG_STRING, .flags = GLV_CFG_REQUIRED},
    {.key = "party_id", .type = GLV_CFG_STRING, .flags = GLV_CFG_REQUIRED},
    {.key = "peers", .type = GLV_CFG_MAP, .children = peer_value},
    {.key = NULL},
};

static const glv_config_field root_schema[] = {
    {.key = "node_id", .type = GLV_CFG_STRING},
    {.key = "database", .type = GLV_CFG_OBJECT, .children = database_schema},
    {.key = "http", .type = GLV_CFG_OBJECT, .children = http_schema},
    {.key = "log", .type = GLV_CFG_OBJECT, .children = log_schema},
    {.key = "plugins", .type = GLV_CFG_OBJECT, .children = plugins_schema},
    {.key = NULL},
};

/* ---- parsing: refusals ---- */

START_TEST(test_syntax_error)
{
    expect_parse_error("a: 1\nb: [1, 2\nc: 3\n",
                       "t.yaml:3:2: syntax error: did not find expected ',' or ']' "
                       "(while parsing a flow sequence at 2:4)");
    expect_parse_error("a: 1\n b: 2\n",
                       "t.yaml:2:3: syntax error: mapping values are not allowed in this context");
}
END_TEST

START_TEST(test_invalid_utf8)
{
    expect_parse_error("a: 1\nb: \"x\xff\"\n",
                       "t.yaml:2:6: syntax error: invalid leading UTF-8 octet");
}
END_TEST

START_TEST(test_duplicate_key)
{
    expect_parse_error("a: 1\nb:\n  x: 1\n  y: 2\n  x: 3\n",
                       "t.yaml:5:3: duplicate key 'x' (first seen at 3:3)");
    expect_parse_error("a: 1\n'a': 2\n", "t.yaml:2:1: duplicate key 'a' (first seen at 1:1)");
}
END_TEST

START_TEST(test_anchor_refused)
{
    expect_parse_error("a: 1\nb: &base\n  x: 1\n", "t.yaml:2:4: anchors are not allowed (&base)");
}
END_TEST

START_TEST(test_alias_refused)
{
    expect_parse_error("a: 1\nb: *base\n", "t.yaml:2:4: aliases are not allowed (*base)");
}
END_TEST

START_TEST(test_tag_refused)
{
    expect_parse_error("a: !!str 1\n", "t.yaml:1:4: tags are not allowed (tag:yaml.org,2002:str)");
    expect_parse_error("a:\n  - !secret x\n", "t.yaml:2:5: tags are not allowed (!secret)");
}
END_TEST

START_TEST(test_two_documents_refused)
{
    expect_parse_error("a: 1\n---\nb: 2\n",
                       "t.yaml:2:1: more than one document: the file must hold a single document");
}
END_TEST

START_TEST(test_root_not_mapping)
{
    expect_parse_error("- a\n- b\n",
                       "t.yaml:1:1: the top level of the file must be a mapping, got a sequence");
    expect_parse_error("\n  hello\n",
                       "t.yaml:2:3: the top level of the file must be a mapping, got a scalar");
}
END_TEST

START_TEST(test_complex_key_refused)
{
    expect_parse_error("a: 1\n? [x, y]\n: 2\n",
                       "t.yaml:2:3: a key must be a scalar, got a sequence");
}
END_TEST

START_TEST(test_deep_nesting_refused)
{
    char text[512] = "a: ";
    for (int i = 0; i < 80; i++)
        strcat(text, "[");
    char err_expected[128];
    /* the root mapping is level 1, so the 64th '[' is the 65th level */
    snprintf(err_expected, sizeof(err_expected), "t.yaml:1:%d: nesting deeper than 64 levels",
             3 + 64);
    expect_parse_error(text, err_expected);
}
END_TEST

START_TEST(test_nul_refused)
{
    expect_parse_error("a: \"x\\0y\"\n", "t.yaml:1:4: a value contains a NUL character");
}
END_TEST

START_TEST(test_empty_file_is_empty_mapping)
{
    glv_config_doc *doc = parse_ok("# only a comment\n");
    json_t *out = NULL;
    char *err = NULL;
    ck_assert_int_eq(glv_config_section(doc, "log", log_schema, &out, &err), 0);
    expect_json(out, "{\"json\":false,\"level\":\"info\"}");
    json_decref(out);
    char *where = glv_config_where(doc, "log");
    ck_assert_str_eq(where, "t.yaml");
    free(where);
    glv_config_free(doc);

    doc = parse_ok("");
    ck_assert_int_eq(glv_config_check_top_level(doc, root_schema, NULL, &err), 0);
    glv_config_free(doc);
}
END_TEST

START_TEST(test_load_file_errors)
{
    char *err = NULL;
    ck_assert_ptr_null(glv_config_load("/nonexistent/galvani.yaml", &err));
    ck_assert_str_eq(err, "/nonexistent/galvani.yaml: cannot open: No such file or directory");
    free(err);
    err = NULL;
    ck_assert_ptr_null(glv_config_load("/", &err));
    ck_assert_str_eq(err, "/: cannot read: Is a directory");
    free(err);
}
END_TEST

START_TEST(test_load_reports_path)
{
    char path[] = "/tmp/glv-config-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    ck_assert_ptr_nonnull(f);
    fputs("galvani:\n  workers: 2\ngalvani: {}\n", f);
    fclose(f);
    char *err = NULL;
    ck_assert_ptr_null(glv_config_load(path, &err));
    char expected[128];
    snprintf(expected, sizeof(expected), "%s:3:1: duplicate key 'galvani' (first seen at 1:1)",
             path);
    ck_assert_str_eq(err, expected);
    free(err);
    unlink(path);
}
END_TEST

START_TEST(test_value_shown_safely)
{
    static const glv_config_field schema[] = {{.key = "n", .type = GLV_CFG_INT}, {.key = NULL}};
    expect_section_error("s: {n: \"a\\x01b\\tc\"}\n", "s", schema,
                         "t.yaml:1:8: s.n: expected an integer, got a quoted string "
                         "'a\\x01b\\x09c'");
    char text[256];
    snprintf(text, sizeof(text), "s:\n  n: %0120d\n", 0);
    text[8] = 'x'; /* not a number, 120 characters long */
    expect_section_error(text, "s", schema,
                         "t.yaml:2:6: s.n: expected an integer, got "
                         "'x0000000000000000000000000000000000000000000000000000000...'");
}
END_TEST

/* ---- sections: refusals ---- */

START_TEST(test_unknown_key)
{
    expect_section_error("database:\n  url: x\n  pool: 3\n", "database", database_schema,
                         "t.yaml:3:3: database: unknown key 'pool' in section 'database' "
                         "(known: url, pool_size, connect_timeout, statement_timeout)");
    expect_section_error("http:\n  listeners:\n    - name: a\n      port: 1\n      prot: 2\n",
                         "http", http_schema,
                         "t.yaml:5:7: http.listeners[0]: unknown key 'prot' in "
                         "'http.listeners[0]' (known: name, address, port, idle_timeout, tls)");
}
END_TEST

START_TEST(test_unknown_section)
{
    glv_config_doc *doc = parse_ok("log:\n  level: info\ndatabsae:\n  url: x\nocpi: {}\n");
    char *err = NULL;
    const char *const extra[] = {"ocpi", NULL};
    ck_assert_int_eq(glv_config_check_top_level(doc, root_schema, extra, &err), -EINVAL);
    ck_assert_str_eq(err, "t.yaml:3:1: unknown section 'databsae' (known: node_id, database, "
                          "http, log, plugins, ocpi)");
    free(err);
    glv_config_free(doc);

    /* the top-level check also validates the sections it knows */
    doc = parse_ok("log:\n  level: loud\nocpi: {}\n");
    ck_assert_int_eq(glv_config_check_top_level(doc, root_schema, extra, &err), -EINVAL);
    ck_assert_str_eq(err, "t.yaml:2:10: log.level: must be one of: debug, info, notice, "
                          "warning, err; got 'loud'");
    free(err);
    glv_config_free(doc);
}
END_TEST

START_TEST(test_wrong_types)
{
    expect_section_error("database:\n  url: x\n  pool_size: abc\n", "database", database_schema,
                         "t.yaml:3:14: database.pool_size: expected an integer, got 'abc'");
    expect_section_error("database:\n  url: x\n  pool_size: \"12\"\n", "database", database_schema,
                         "t.yaml:3:14: database.pool_size: expected an integer, got a quoted "
                         "string '12'");
    expect_section_error("log:\n  json: maybe\n", "log", log_schema,
                         "t.yaml:2:9: log.json: expected a boolean (true/false, yes/no, on/off), "
                         "got 'maybe'");
    expect_section_error("log:\n  json: 'yes'\n", "log", log_schema,
                         "t.yaml:2:9: log.json: expected a boolean (true/false, yes/no, on/off), "
                         "got a quoted string 'yes'");
    expect_section_error("database:\n  url: x\n  connect_timeout: 5 s\n", "database",
                         database_schema,
                         "t.yaml:3:20: database.connect_timeout: expected a duration (250ms, "
                         "30s, 5m, 2h, 1d), got '5 s'");
    expect_section_error("http:\n  max_body: 12X\n", "http", http_schema,
                         "t.yaml:2:13: http.max_body: expected a size (512, 64k, 16M, 1G), "
                         "got '12X'");
    expect_section_error("log:\n  level: [a]\n", "log", log_schema,
                         "t.yaml:2:10: log.level: expected a string, got a sequence");
    expect_section_error("http:\n  listeners: {a: 1}\n", "http", http_schema,
                         "t.yaml:2:14: http.listeners: expected a list of mappings, got a "
                         "mapping");
    expect_section_error("log: verbose\n", "log", log_schema,
                         "t.yaml:1:6: log: expected a mapping, got 'verbose'");
    expect_section_error("database:\n  url: x\n  pool_size: 99999999999999999999\n", "database",
                         database_schema,
                         "t.yaml:3:14: database.pool_size: '99999999999999999999' is too large");
}
END_TEST

START_TEST(test_bounds)
{
    expect_section_error("database:\n  url: x\n  pool_size: 0\n", "database", database_schema,
                         "t.yaml:3:14: database.pool_size: must be between 1 and 256, got 0");
    expect_section_error("database:\n  url: x\n  connect_timeout: 2h\n", "database",
                         database_schema,
                         "t.yaml:3:20: database.connect_timeout: must be between 100ms and 1h, "
                         "got 2h");
    expect_section_error("http:\n  max_body: 1G\n", "http", http_schema,
                         "t.yaml:2:13: http.max_body: must be between 1k and 64M, got 1G");
    expect_section_error(
        "http:\n  listeners:\n    - {name: a, port: 1}\n    - {name: b, port: 70000}\n", "http",
        http_schema, "t.yaml:4:23: http.listeners[1].port: must be between 1 and 65535, got 70000");
}
END_TEST

START_TEST(test_choices)
{
    expect_section_error("log:\n  level: loud\n", "log", log_schema,
                         "t.yaml:2:10: log.level: must be one of: debug, info, notice, warning, "
                         "err; got 'loud'");
}
END_TEST

START_TEST(test_required)
{
    expect_section_error("database:\n  pool_size: 3\n", "database", database_schema,
                         "t.yaml:1:1: database: missing required key 'url'");
    expect_section_error("log: {}\n", "database", database_schema,
                         "t.yaml: database: missing required key 'url'");
    expect_section_error("database:\n  url:\n", "database", database_schema,
                         "t.yaml:2:7: database.url: a value is required");
    /* a required key inside an optional object only counts when it is written */
    expect_section_error("http:\n  listeners:\n    - name: a\n      port: 1\n      tls:\n"
                         "        cert: c.pem\n",
                         "http", http_schema,
                         "t.yaml:5:7: http.listeners[0].tls: missing required key 'key'");
    expect_section_error("http:\n  listeners:\n    - name: a\n      port: 1\n      tls:\n", "http",
                         http_schema,
                         "t.yaml:5:11: http.listeners[0].tls: missing required key 'cert'");
    expect_section_error("http:\n  listeners:\n    - port: 80\n", "http", http_schema,
                         "t.yaml:3:7: http.listeners[0]: missing required key 'name'");
}
END_TEST

START_TEST(test_nested_errors)
{
    expect_section_error("ocpi:\n  country_code: NL\n  party_id: GLV\n  peers:\n    acme:\n"
                         "      url: u\n      token: t\n      push: sometimes\n",
                         "ocpi", ocpi_schema,
                         "t.yaml:8:13: ocpi.peers.acme.push: expected a boolean (true/false, "
                         "yes/no, on/off), got 'sometimes'");
    expect_section_error("plugins:\n  load: [a, {b: 1}]\n", "plugins", plugins_schema,
                         "t.yaml:2:13: plugins.load[1]: expected a string, got a mapping");
    expect_section_error("http:\n  listeners:\n    - name: a\n      port: 1\n    - 42\n", "http",
                         http_schema,
                         "t.yaml:5:7: http.listeners[1]: expected a mapping, got '42'");
}
END_TEST

START_TEST(test_secret_not_echoed)
{
    static const char *const allowed[] = {"alpha", "beta", NULL};
    static const glv_config_field schema[] = {
        {.key = "password", .type = GLV_CFG_SECRET, .choices = allowed},
        {.key = NULL},
    };
    char *err = NULL;
    json_t *out = section("s:\n  password: hunter2\n", "s", schema, &err);
    ck_assert_ptr_null(out);
    ck_assert_str_eq(err, "t.yaml:2:13: s.password: invalid value (not one of the allowed values)");
    ck_assert_ptr_null(strstr(err, "hunter2"));
    free(err);

    out = section("ocpi:\n  country_code: NL\n  party_id: GLV\n  peers:\n    acme:\n"
                  "      url: u\n      token: [hunter2]\n",
                  "ocpi", ocpi_schema, &err);
    ck_assert_ptr_null(out);
    ck_assert_str_eq(err, "t.yaml:7:14: ocpi.peers.acme.token: expected a string, got a sequence");
    ck_assert_ptr_null(strstr(err, "hunter2"));
    free(err);

    /* an integer field shows what it got, a secret map value never does */
    static const glv_config_field secret_value[] = {{.key = "*", .type = GLV_CFG_SECRET},
                                                    {.key = NULL}};
    static const glv_config_field keys_schema[] = {
        {.key = "keys", .type = GLV_CFG_MAP, .children = secret_value},
        {.key = NULL},
    };
    out = section("s:\n  keys:\n    a: {hunter2: 1}\n", "s", keys_schema, &err);
    ck_assert_ptr_null(out);
    ck_assert_str_eq(err, "t.yaml:3:8: s.keys.a: expected a string, got a mapping");
    free(err);
}
END_TEST

/* ---- sections: values and defaults ---- */

START_TEST(test_defaults_filled)
{
    json_t *out = section_ok("database:\n  url: postgresql:///g\n", "database", database_schema);
    expect_json(out, "{\"connect_timeout\":10000,\"pool_size\":8,\"statement_timeout\":30000,"
                     "\"url\":\"postgresql:///g\"}");
    json_decref(out);

    /* an absent section, nested objects and list items get their defaults;
     * an optional object with required children stays absent */
    out = section_ok("log: {}\n", "http", http_schema);
    expect_json(out, "{\"cors_origins\":[\"*\"],\"limits\":{\"burst\":20,\"window\":60000},"
                     "\"listeners\":[],\"max_body\":65536}");
    json_decref(out);

    out = section_ok("http:\n  limits:\n    burst: 5\n  listeners:\n    - name: a\n      port: 80\n"
                     "    - name: b\n      port: 443\n      tls: {cert: c, key: k}\n",
                     "http", http_schema);
    expect_json(out, "{\"cors_origins\":[\"*\"],\"limits\":{\"burst\":5,\"window\":60000},"
                     "\"listeners\":[{\"address\":\"0.0.0.0\",\"idle_timeout\":60000,\"name\":"
                     "\"a\",\"port\":80},{\"address\":\"0.0.0.0\",\"idle_timeout\":60000,"
                     "\"name\":\"b\",\"port\":443,\"tls\":{\"cert\":\"c\",\"key\":\"k\","
                     "\"verify_client\":false}}],\"max_body\":65536}");
    json_decref(out);

    /* a key written without value takes its default */
    out = section_ok("log:\n  level:\n  json: ~\n", "log", log_schema);
    expect_json(out, "{\"json\":false,\"level\":\"info\"}");
    json_decref(out);
}
END_TEST

START_TEST(test_bad_default_reported)
{
    static const glv_config_field schema[] = {
        {.key = "n", .type = GLV_CFG_INT, .default_text = "ten"},
        {.key = NULL},
    };
    expect_section_error("s:\n  other: 1\n", "s", schema,
                         "t.yaml:2:3: s: unknown key 'other' in section 's' (known: n)");
    expect_section_error("s: {}\n", "s", schema,
                         "t.yaml:1:1: s.n: expected an integer, got 'ten' (in the built-in "
                         "default)");
}
END_TEST

START_TEST(test_durations)
{
    static const glv_config_field schema[] = {
        {.key = "a", .type = GLV_CFG_DURATION}, {.key = "b", .type = GLV_CFG_DURATION},
        {.key = "c", .type = GLV_CFG_DURATION}, {.key = "d", .type = GLV_CFG_DURATION},
        {.key = "e", .type = GLV_CFG_DURATION}, {.key = "f", .type = GLV_CFG_DURATION},
        {.key = "g", .type = GLV_CFG_DURATION}, {.key = NULL},
    };
    json_t *out =
        section_ok("s: {a: 250ms, b: 30s, c: 5m, d: 2h, e: 1d, f: 1500, g: 0}\n", "s", schema);
    expect_json(out, "{\"a\":250,\"b\":30000,\"c\":300000,\"d\":7200000,\"e\":86400000,\"f\":1500,"
                     "\"g\":0}");
    json_decref(out);
    expect_section_error("s: {a: -5s}\n", "s", schema,
                         "t.yaml:1:8: s.a: expected a duration (250ms, 30s, 5m, 2h, 1d), got "
                         "'-5s'");
    expect_section_error("s: {a: 1.5s}\n", "s", schema,
                         "t.yaml:1:8: s.a: expected a duration (250ms, 30s, 5m, 2h, 1d), got "
                         "'1.5s'");
    expect_section_error("s: {a: 200000000000d}\n", "s", schema,
                         "t.yaml:1:8: s.a: '200000000000d' is too large");
}
END_TEST

START_TEST(test_sizes)
{
    static const glv_config_field schema[] = {
        {.key = "a", .type = GLV_CFG_SIZE}, {.key = "b", .type = GLV_CFG_SIZE},
        {.key = "c", .type = GLV_CFG_SIZE}, {.key = "d", .type = GLV_CFG_SIZE},
        {.key = "e", .type = GLV_CFG_SIZE}, {.key = NULL},
    };
    json_t *out = section_ok("s: {a: 512, b: 64k, c: 16M, d: 1G, e: 2MiB}\n", "s", schema);
    expect_json(out, "{\"a\":512,\"b\":65536,\"c\":16777216,\"d\":1073741824,\"e\":2097152}");
    json_decref(out);
    expect_section_error("s: {a: 16 M}\n", "s", schema,
                         "t.yaml:1:8: s.a: expected a size (512, 64k, 16M, 1G), got '16 M'");
}
END_TEST

START_TEST(test_bools_and_strings)
{
    static const glv_config_field schema[] = {
        {.key = "a", .type = GLV_CFG_BOOL},
        {.key = "b", .type = GLV_CFG_BOOL},
        {.key = "c", .type = GLV_CFG_BOOL},
        {.key = "d", .type = GLV_CFG_BOOL},
        {.key = "e", .type = GLV_CFG_BOOL},
        {.key = "f", .type = GLV_CFG_BOOL},
        {.key = "s", .type = GLV_CFG_STRING},
        {.key = "t", .type = GLV_CFG_STRING},
        {.key = NULL},
    };
    json_t *out = section_ok(
        "x: {a: true, b: False, c: yes, d: no, e: ON, f: off, s: 8080, t: \"multi\\nline\"}\n", "x",
        schema);
    expect_json(out, "{\"a\":true,\"b\":false,\"c\":true,\"d\":false,\"e\":true,\"f\":false,"
                     "\"s\":\"8080\",\"t\":\"multi\\nline\"}");
    json_decref(out);
}
END_TEST

START_TEST(test_redact)
{
    json_t *out = section_ok("ocpi:\n  country_code: NL\n  party_id: GLV\n  peers:\n    acme:\n"
                             "      url: u\n      token: t0ken\n",
                             "ocpi", ocpi_schema);
    json_t *red = glv_config_redact(out, ocpi_schema);
    expect_json(red, "{\"country_code\":\"NL\",\"party_id\":\"GLV\",\"peers\":{\"acme\":{"
                     "\"push\":true,\"token\":\"***\",\"url\":\"u\"}}}");
    /* the original is untouched */
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(json_object_get(out, "peers"), "acme"), "token")),
                     "t0ken");
    json_decref(red);
    json_decref(out);

    out = section_ok("database:\n  url: postgresql://u:pw@h/db\n", "database", database_schema);
    red = glv_config_redact(out, database_schema);
    ck_assert_str_eq(json_string_value(json_object_get(red, "url")), "***");
    ck_assert_int_eq(json_integer_value(json_object_get(red, "pool_size")), 8);
    json_decref(red);
    json_decref(out);
}
END_TEST

START_TEST(test_fixed_change)
{
    json_t *a =
        section_ok("database:\n  url: x\n  statement_timeout: 1s\n", "database", database_schema);
    json_t *b =
        section_ok("database:\n  url: x\n  statement_timeout: 2s\n", "database", database_schema);
    json_t *c = section_ok("database:\n  url: x\n  pool_size: 9\n", "database", database_schema);
    ck_assert_ptr_null(glv_config_fixed_change(a, b, database_schema));
    char *path = glv_config_fixed_change(a, c, database_schema);
    ck_assert_str_eq(path, "pool_size");
    free(path);
    json_decref(a);
    json_decref(b);
    json_decref(c);

    a = section_ok("http:\n  limits: {burst: 1}\n", "http", http_schema);
    b = section_ok("http:\n  limits: {burst: 2}\n", "http", http_schema);
    path = glv_config_fixed_change(a, b, http_schema);
    ck_assert_str_eq(path, "limits.burst");
    free(path);
    json_decref(a);
    json_decref(b);
}
END_TEST

START_TEST(test_realistic_file)
{
    const char *src = getenv("GLV_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof(path), "%s/tests/data/config/galvani.yaml", src ? src : ".");
    char *err = NULL;
    glv_config_doc *doc = glv_config_load(path, &err);
    ck_assert_msg(doc != NULL, "%s", err ? err : "");

    const char *const extra[] = {"ocpi", NULL};
    ck_assert_int_eq(glv_config_check_top_level(doc, root_schema, extra, &err), 0);
    ck_assert_int_eq(glv_config_check_top_level(doc, root_schema, NULL, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "galvani.yaml:31:1: unknown section 'ocpi'"));
    free(err);

    json_t *out = NULL;
    ck_assert_int_eq(glv_config_section(doc, "database", database_schema, &out, &err), 0);
    expect_json(out, "{\"connect_timeout\":5000,\"pool_size\":16,\"statement_timeout\":250,"
                     "\"url\":\"postgresql://galvani:s3cr3t-pw@127.0.0.1:5432/galvani\"}");
    json_decref(out);

    ck_assert_int_eq(glv_config_section(doc, "http", http_schema, &out, &err), 0);
    json_t *listeners = json_object_get(out, "listeners");
    ck_assert_int_eq(json_array_size(listeners), 2);
    json_t *secure = json_array_get(listeners, 1);
    ck_assert_int_eq(json_integer_value(json_object_get(secure, "port")), 8443);
    ck_assert_int_eq(json_integer_value(json_object_get(secure, "idle_timeout")), 120000);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(secure, "tls"), "key")),
                     "/etc/galvani/tls/server.key");
    ck_assert_ptr_null(json_object_get(json_array_get(listeners, 0), "tls"));
    ck_assert_int_eq(json_integer_value(json_object_get(out, "max_body")), 1024 * 1024);
    json_decref(out);

    ck_assert_int_eq(glv_config_section(doc, "log", log_schema, &out, &err), 0);
    expect_json(out, "{\"json\":false,\"level\":\"notice\"}");
    json_decref(out);

    ck_assert_int_eq(glv_config_section(doc, "plugins", plugins_schema, &out, &err), 0);
    expect_json(out, "{\"dir\":\"/usr/lib/galvani/plugins\",\"load\":[\"ocpp16\",\"ocpp201\","
                     "\"cpo\",\"emsp\",\"ocpi\"]}");
    json_decref(out);

    ck_assert_int_eq(glv_config_section(doc, "ocpi", ocpi_schema, &out, &err), 0);
    json_t *peers = json_object_get(out, "peers");
    ck_assert_int_eq(json_object_size(peers), 2);
    ck_assert(json_is_true(json_object_get(json_object_get(peers, "acme"), "push")));
    ck_assert(json_is_false(json_object_get(json_object_get(peers, "volt"), "push")));
    json_decref(out);

    char *where = glv_config_where(doc, "http");
    char expected[1100];
    snprintf(expected, sizeof(expected), "%s:10:1", path);
    ck_assert_str_eq(where, expected);
    free(where);
    ck_assert_str_eq(glv_config_name(doc), path);
    glv_config_free(doc);
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *parse = tcase_create("parse");
    tcase_add_test(parse, test_syntax_error);
    tcase_add_test(parse, test_invalid_utf8);
    tcase_add_test(parse, test_duplicate_key);
    tcase_add_test(parse, test_anchor_refused);
    tcase_add_test(parse, test_alias_refused);
    tcase_add_test(parse, test_tag_refused);
    tcase_add_test(parse, test_two_documents_refused);
    tcase_add_test(parse, test_root_not_mapping);
    tcase_add_test(parse, test_complex_key_refused);
    tcase_add_test(parse, test_deep_nesting_refused);
    tcase_add_test(parse, test_nul_refused);
    tcase_add_test(parse, test_empty_file_is_empty_mapping);
    tcase_add_test(parse, test_load_file_errors);
    tcase_add_test(parse, test_load_reports_path);
    suite_add_tcase(s, parse);

    TCase *validate = tcase_create("validate");
    tcase_add_test(validate, test_unknown_key);
    tcase_add_test(validate, test_unknown_section);
    tcase_add_test(validate, test_wrong_types);
    tcase_add_test(validate, test_bounds);
    tcase_add_test(validate, test_choices);
    tcase_add_test(validate, test_required);
    tcase_add_test(validate, test_nested_errors);
    tcase_add_test(validate, test_secret_not_echoed);
    tcase_add_test(validate, test_defaults_filled);
    tcase_add_test(validate, test_bad_default_reported);
    tcase_add_test(validate, test_durations);
    tcase_add_test(validate, test_sizes);
    tcase_add_test(validate, test_bools_and_strings);
    tcase_add_test(validate, test_value_shown_safely);
    tcase_add_test(validate, test_redact);
    tcase_add_test(validate, test_fixed_change);
    tcase_add_test(validate, test_realistic_file);
    suite_add_tcase(s, validate);
    return s;
}

int main(void)
{
    return glv_test_run(config_suite());
}
