/*
 * Tests of the HTTP server over real sockets on 127.0.0.1: routing, path and
 * query parameters, problem JSON, request ids, limits, JSON bodies,
 * asynchronous replies, clients that leave early, /healthz and /metrics.
 * The loop runs in a second thread; the test thread is the client.
 */
#include "check_run.h"
#include "config-internal.h"
#include "http-internal.h"
#include "http_client.h"
#include "metrics-internal.h"

#include <check.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static glv_core *core;
static glv_http *http;
static glv_plugin *plugin;
static const glv_host *host;
static pthread_t loop_thread;
static int port;

/* Observations made on the loop thread by the "client gone" handler. */
static atomic_int slow_done;
static atomic_int slow_header_gone;
static atomic_ullong slow_discarded;
static atomic_ullong slow_pending;
static atomic_int slow_connections;

/* ---- handlers (loop thread) ---- */

static void literal(glv_http_request *req, void *arg)
{
    host->http_reply_json(req, 200, json_pack("{s:s}", "route", "literal"));
}

static void param(glv_http_request *req, void *arg)
{
    const char *q = host->http_query_param(req, "q");
    host->http_reply_json(req, 200,
                          json_pack("{s:s, s:s, s:s?, s:s}", "route", "param", "x",
                                    host->http_path_param(req, "x"), "q", q, "path",
                                    host->http_path(req)));
}

static void post(glv_http_request *req, void *arg)
{
    size_t len;
    host->http_body(req, &len);
    host->http_set_header(req, "X-Test", "posted");
    host->http_reply_json(req, 201,
                          json_pack("{s:s, s:I}", "route", "post", "len", (json_int_t)len));
}

static void tail(glv_http_request *req, void *arg)
{
    host->http_reply_json(req, 200, json_pack("{s:s}", "rest", host->http_path_param(req, "rest")));
}

static void json_echo(glv_http_request *req, void *arg)
{
    json_t *body;
    if (host->http_body_json(req, &body) < 0)
        return; /* already answered */
    host->http_reply_json(req, 200, json_pack("{s:o}", "got", body));
}

static void async_reply(void *arg)
{
    glv_http_request *req = arg;
    host->http_reply_json(req, 200, json_pack("{s:b}", "async", 1));
}

static void async_handler(glv_http_request *req, void *arg)
{
    host->timer_start(plugin, 100, 0, async_reply, req);
}

static void slow_reply(void *arg)
{
    glv_http_request *req = arg;
    atomic_store(&slow_header_gone, host->http_header(req, "Host") == NULL);
    host->http_reply_json(req, 200, json_pack("{s:s}", "late", "yes"));
    atomic_store(&slow_discarded, glv_http_discarded_count(http));
    atomic_store(&slow_pending, glv_http_pending_count(http));
    glv_metric *m = glv_metrics_get(core->metrics, "http_connections", GLV_METRIC_GAUGE,
                                    "Open HTTP connections", NULL);
    atomic_store(&slow_connections, (int)glv_metric_value(m));
    atomic_store(&slow_done, 1);
}

static atomic_int held;

/* Keeps the request and never answers: the server is freed under it. */
static void hold_handler(glv_http_request *req, void *arg)
{
    atomic_store(&held, 1);
}

static void slow_handler(glv_http_request *req, void *arg)
{
    host->timer_start(plugin, 300, 0, slow_reply, req);
}

/* ---- fixture ---- */

static void *loop_main(void *arg)
{
    event_base_loop(core->base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

static glv_http *http_from_yaml(const char *yaml)
{
    char *err = NULL;
    glv_config_doc *doc = glv_config_parse("test.yaml", yaml, strlen(yaml), &err);
    ck_assert_msg(doc != NULL, "%s", err ? err : "");
    json_t *section = NULL;
    int rc = glv_config_section(doc, "http", glv_http_config_schema, &section, &err);
    ck_assert_msg(rc == 0, "%s", err ? err : "");
    glv_http *h = glv_http_new(core, section, &err);
    ck_assert_msg(h != NULL, "%s", err ? err : "");
    json_decref(section);
    glv_config_free(doc);
    ck_assert_int_eq(glv_http_listen(h, &err), 0);
    return h;
}

static void server_start(const char *yaml)
{
    core = glv_core_new("test-node", 1);
    ck_assert_ptr_nonnull(core);
    http = http_from_yaml(yaml);
    plugin = glv_core_plugin_new(core, "test");
    host = &core->host;
    ck_assert_int_eq(host->http_route(plugin, "GET", "/a/b", literal, NULL), 0);
    ck_assert_int_eq(host->http_route(plugin, "GET", "/a/{x}", param, NULL), 0);
    ck_assert_int_eq(host->http_route(plugin, "POST", "/a/b", post, NULL), 0);
    ck_assert_int_eq(host->http_route(plugin, "GET", "/files/{rest*}", tail, NULL), 0);
    ck_assert_int_eq(host->http_route(plugin, "POST", "/json", json_echo, NULL), 0);
    ck_assert_int_eq(host->http_route(plugin, "GET", "/async", async_handler, NULL), 0);
    ck_assert_int_eq(host->http_route(plugin, "GET", "/slow", slow_handler, NULL), 0);
    ck_assert_int_eq(host->http_route(plugin, "GET", "/hold", hold_handler, NULL), 0);
    ck_assert_int_eq(host->http_route(plugin, "GET", "/a/b", literal, NULL), -EEXIST);
    glv_http_set_state(http, "ok");
    port = glv_http_port(http, 0);
    ck_assert_int_gt(port, 0);
    ck_assert_int_eq(pthread_create(&loop_thread, NULL, loop_main, NULL), 0);
}

static void setup(void)
{
    server_start("http:\n  listen: [\"127.0.0.1:0\"]\n  max_body: 1k\n  timeout: 5s\n");
}

static void teardown(void)
{
    if (!core)
        return;
    event_base_loopexit(core->base, NULL);
    pthread_join(loop_thread, NULL);
    glv_http_free(http);
    glv_core_free(core);
    core = NULL;
    http = NULL;
}

/* ---- helpers ---- */

static json_t *body_json(const glv_test_http_response *r)
{
    json_error_t e;
    json_t *j = json_loadb(r->body, r->body_len, 0, &e);
    ck_assert_msg(j != NULL, "not JSON: %s", r->body);
    return j;
}

static void fetch(const char *method, const char *target, const char *headers, const char *body,
                  glv_test_http_response *r)
{
    int rc =
        glv_test_http_fetch(port, NULL, method, target, headers, body, body ? strlen(body) : 0, r);
    ck_assert_int_eq(rc, 0);
}

static void assert_problem(const glv_test_http_response *r, int status)
{
    char ct[128], id[128];
    ck_assert_int_eq(r->status, status);
    ck_assert_ptr_nonnull(glv_test_http_header(r, "Content-Type", ct, sizeof(ct)));
    ck_assert_str_eq(ct, "application/problem+json");
    ck_assert_ptr_nonnull(glv_test_http_header(r, "X-Request-Id", id, sizeof(id)));
    json_t *p = body_json(r);
    ck_assert_str_eq(json_string_value(json_object_get(p, "type")), "about:blank");
    ck_assert_int_eq(json_integer_value(json_object_get(p, "status")), status);
    ck_assert_ptr_nonnull(json_string_value(json_object_get(p, "title")));
    ck_assert_ptr_nonnull(json_string_value(json_object_get(p, "detail")));
    ck_assert_str_eq(json_string_value(json_object_get(p, "request_id")), id);
    json_decref(p);
}

/* ---- tests ---- */

START_TEST(routes_and_precedence)
{
    glv_test_http_response r;
    fetch("GET", "/a/b", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_t *j = body_json(&r);
    ck_assert_str_eq(json_string_value(json_object_get(j, "route")), "literal");
    json_decref(j);
    glv_test_http_response_clear(&r);

    fetch("GET", "/a/hello%20world?q=a+b%26c&other=1", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    j = body_json(&r);
    ck_assert_str_eq(json_string_value(json_object_get(j, "route")), "param");
    ck_assert_str_eq(json_string_value(json_object_get(j, "x")), "hello world");
    ck_assert_str_eq(json_string_value(json_object_get(j, "q")), "a b&c");
    ck_assert_str_eq(json_string_value(json_object_get(j, "path")), "/a/hello%20world");
    json_decref(j);
    glv_test_http_response_clear(&r);

    fetch("GET", "/files/x/y%2Fz", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    j = body_json(&r);
    ck_assert_str_eq(json_string_value(json_object_get(j, "rest")), "x/y/z");
    json_decref(j);
    glv_test_http_response_clear(&r);

    fetch("POST", "/a/b", NULL, "abc", &r);
    ck_assert_int_eq(r.status, 201);
    char v[64];
    ck_assert_str_eq(glv_test_http_header(&r, "X-Test", v, sizeof(v)), "posted");
    glv_test_http_response_clear(&r);

    fetch("HEAD", "/a/b", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.body_len, 0);
    glv_test_http_response_clear(&r);
}
END_TEST

START_TEST(not_found_and_method_not_allowed)
{
    glv_test_http_response r;
    fetch("GET", "/nothing/here", NULL, NULL, &r);
    assert_problem(&r, 404);
    json_t *j = body_json(&r);
    ck_assert_str_eq(json_string_value(json_object_get(j, "instance")), "/nothing/here");
    json_decref(j);
    glv_test_http_response_clear(&r);

    fetch("DELETE", "/a/b", NULL, NULL, &r);
    assert_problem(&r, 405);
    char allow[64];
    ck_assert_str_eq(glv_test_http_header(&r, "Allow", allow, sizeof(allow)), "GET, HEAD, POST");
    glv_test_http_response_clear(&r);

    fetch("GET", "/a/%zz", NULL, NULL, &r);
    assert_problem(&r, 400);
    glv_test_http_response_clear(&r);
}
END_TEST

START_TEST(request_id_echo_and_generation)
{
    glv_test_http_response r;
    char id[128];
    fetch("GET", "/a/b", "X-Request-Id: trace-42.abc\r\n", NULL, &r);
    ck_assert_str_eq(glv_test_http_header(&r, "X-Request-Id", id, sizeof(id)), "trace-42.abc");
    glv_test_http_response_clear(&r);

    fetch("GET", "/missing", "X-Request-Id: my-id\r\n", NULL, &r);
    assert_problem(&r, 404);
    json_t *j = body_json(&r);
    ck_assert_str_eq(json_string_value(json_object_get(j, "request_id")), "my-id");
    json_decref(j);
    glv_test_http_response_clear(&r);

    /* Unsafe or too long ids are replaced by generated ones. */
    char long_id[100];
    memset(long_id, 'a', 65);
    long_id[65] = '\0';
    const char *bad[] = {"X-Request-Id: has space\r\n", "X-Request-Id: <script>\r\n", NULL};
    char header[128];
    snprintf(header, sizeof(header), "X-Request-Id: %s\r\n", long_id);
    bad[2] = header;
    char seen[3][128];
    for (int i = 0; i < 3; i++) {
        fetch("GET", "/a/b", bad[i], NULL, &r);
        ck_assert_ptr_nonnull(glv_test_http_header(&r, "X-Request-Id", id, sizeof(id)));
        ck_assert_uint_eq(strlen(id), 32);
        ck_assert_uint_eq(strspn(id, "0123456789abcdef"), 32);
        snprintf(seen[i], sizeof(seen[i]), "%s", id);
        glv_test_http_response_clear(&r);
    }
    ck_assert_str_ne(seen[0], seen[1]);
    ck_assert_str_ne(seen[1], seen[2]);
}
END_TEST

START_TEST(body_limit)
{
    glv_test_http_response r;
    char body[4096];
    memset(body, 'x', sizeof(body) - 1);
    body[sizeof(body) - 1] = '\0';
    fetch("POST", "/a/b", NULL, body, &r);
    assert_problem(&r, 413);
    glv_test_http_response_clear(&r);

    body[1024] = '\0'; /* exactly the limit */
    fetch("POST", "/a/b", NULL, body, &r);
    ck_assert_int_eq(r.status, 201);
    json_t *j = body_json(&r);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "len")), 1024);
    json_decref(j);
    glv_test_http_response_clear(&r);
}
END_TEST

START_TEST(json_body_errors)
{
    glv_test_http_response r;
    const char *json_ct = "Content-Type: application/json; charset=utf-8\r\n";
    fetch("POST", "/json", "Content-Type: text/plain\r\n", "{}", &r);
    assert_problem(&r, 415);
    glv_test_http_response_clear(&r);

    fetch("POST", "/json", json_ct, "{\n  \"a\": 1,\n  \"b\": }", &r);
    assert_problem(&r, 400);
    json_t *j = body_json(&r);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "line")), 3);
    ck_assert_int_gt(json_integer_value(json_object_get(j, "column")), 0);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(j, "detail")), "line 3"));
    json_decref(j);
    glv_test_http_response_clear(&r);

    fetch("POST", "/json", json_ct, "[1, 2]", &r);
    assert_problem(&r, 400);
    glv_test_http_response_clear(&r);

    fetch("POST", "/json", json_ct, "{\"k\": [true]}", &r);
    ck_assert_int_eq(r.status, 200);
    j = body_json(&r);
    ck_assert(json_is_true(json_array_get(json_object_get(json_object_get(j, "got"), "k"), 0)));
    json_decref(j);
    glv_test_http_response_clear(&r);
}
END_TEST

START_TEST(async_reply_after_timer)
{
    glv_test_http_response r;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fetch("GET", "/async", NULL, NULL, &r);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_int_eq(r.status, 200);
    json_t *j = body_json(&r);
    ck_assert(json_is_true(json_object_get(j, "async")));
    json_decref(j);
    glv_test_http_response_clear(&r);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    ck_assert_int_ge(ms, 95);
}
END_TEST

START_TEST(keep_alive_serves_several_requests)
{
    glv_test_http_client *c = glv_test_http_connect(port, NULL);
    ck_assert_ptr_nonnull(c);
    for (int i = 0; i < 3; i++) {
        glv_test_http_response r;
        ck_assert_int_eq(glv_test_http_send(c, "GET", i == 1 ? "/async" : "/a/b", NULL, NULL, 0),
                         0);
        ck_assert_int_eq(glv_test_http_read(c, 0, &r), 0);
        ck_assert_int_eq(r.status, 200);
        glv_test_http_response_clear(&r);
    }
    glv_test_http_close(c);
}
END_TEST

START_TEST(client_gone_before_async_reply)
{
    glv_test_http_client *c = glv_test_http_connect(port, NULL);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(glv_test_http_send(c, "GET", "/slow", NULL, NULL, 0), 0);
    glv_test_http_close(c);
    for (int i = 0; i < 300 && !atomic_load(&slow_done); i++)
        usleep(10000);
    ck_assert_int_eq(atomic_load(&slow_done), 1);
    /* The request was detached when the client left, the late reply was
     * dropped, and nothing is left behind. */
    ck_assert_int_eq(atomic_load(&slow_header_gone), 1);
    ck_assert_uint_eq(atomic_load(&slow_discarded), 1);
    ck_assert_uint_eq(atomic_load(&slow_pending), 0);
    ck_assert_int_eq(atomic_load(&slow_connections), 0);

    /* The server still serves. */
    glv_test_http_response r;
    fetch("GET", "/a/b", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    glv_test_http_response_clear(&r);
}
END_TEST

START_TEST(malformed_request_gets_problem_json)
{
    glv_test_http_client *c = glv_test_http_connect(port, NULL);
    ck_assert_ptr_nonnull(c);
    const char junk[] = "GET /a/b HTTP/1.1\r\nHost: x\r\nBroken header line\r\n\r\n";
    ck_assert_int_eq(glv_test_http_send_raw(c, junk, sizeof(junk) - 1), 0);
    glv_test_http_response r;
    ck_assert_int_eq(glv_test_http_read(c, 0, &r), 0);
    assert_problem(&r, 400);
    glv_test_http_response_clear(&r);
    glv_test_http_close(c);
}
END_TEST

START_TEST(pipelined_request_waits_for_async_reply)
{
    glv_test_http_client *c = glv_test_http_connect(port, NULL);
    ck_assert_ptr_nonnull(c);
    const char two[] = "GET /async HTTP/1.1\r\nHost: x\r\n\r\nGET /a/b HTTP/1.1\r\nHost: x\r\n\r\n";
    ck_assert_int_eq(glv_test_http_send_raw(c, two, sizeof(two) - 1), 0);
    glv_test_http_response r;
    ck_assert_int_eq(glv_test_http_read(c, 0, &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "async"));
    glv_test_http_response_clear(&r);
    ck_assert_int_eq(glv_test_http_read(c, 0, &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "literal"));
    glv_test_http_response_clear(&r);
    glv_test_http_close(c);
}
END_TEST

START_TEST(server_freed_with_a_request_pending)
{
    glv_test_http_client *c = glv_test_http_connect(port, NULL);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(glv_test_http_send(c, "GET", "/hold", NULL, NULL, 0), 0);
    for (int i = 0; i < 300 && !atomic_load(&held); i++)
        usleep(10000);
    ck_assert_int_eq(atomic_load(&held), 1);
    /* teardown frees the server while the handler holds the request; the
     * client then sees the connection closed without a response. */
    event_base_loopexit(core->base, NULL);
    pthread_join(loop_thread, NULL);
    ck_assert_uint_eq(glv_http_pending_count(http), 1);
    glv_http_free(http);
    http = NULL;
    glv_test_http_response r;
    ck_assert_int_ne(glv_test_http_read(c, 0, &r), 0);
    glv_test_http_close(c);
    glv_core_free(core);
    core = NULL;
}
END_TEST

static atomic_int state_set;

static void set_draining(evutil_socket_t fd, short what, void *arg)
{
    glv_http_set_state(http, arg);
    atomic_store(&state_set, 1);
}

START_TEST(healthz_and_metrics)
{
    glv_test_http_response r;
    fetch("GET", "/healthz", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_t *j = body_json(&r);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "ok");
    ck_assert_str_eq(json_string_value(json_object_get(j, "database")), "none");
    ck_assert_str_eq(json_string_value(json_object_get(j, "node")), "test-node");
    json_decref(j);
    glv_test_http_response_clear(&r);

    fetch("GET", "/a/b", NULL, NULL, &r);
    glv_test_http_response_clear(&r);
    fetch("GET", "/a/b", NULL, NULL, &r);
    glv_test_http_response_clear(&r);
    fetch("GET", "/missing", NULL, NULL, &r);
    glv_test_http_response_clear(&r);

    fetch("GET", "/metrics", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    char ct[128];
    ck_assert_ptr_nonnull(glv_test_http_header(&r, "Content-Type", ct, sizeof(ct)));
    ck_assert_ptr_nonnull(strstr(ct, "text/plain"));
    ck_assert_msg(strstr(r.body, "http_requests_total{route=\"GET /a/b\",code=\"2xx\"} 2\n"), "%s",
                  r.body);
    ck_assert_ptr_nonnull(
        strstr(r.body, "http_requests_total{route=\"unmatched\",code=\"4xx\"} 1\n"));
    ck_assert_ptr_nonnull(
        strstr(r.body, "http_request_duration_seconds_count{route=\"GET /a/b\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(r.body, "# TYPE http_connections gauge"));
    glv_test_http_response_clear(&r);

    struct timeval now = {0, 0};
    event_base_once(core->base, -1, EV_TIMEOUT, set_draining, "draining", &now);
    for (int i = 0; i < 200 && !atomic_load(&state_set); i++)
        usleep(5000);
    fetch("GET", "/healthz", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 503);
    j = body_json(&r);
    ck_assert_str_eq(json_string_value(json_object_get(j, "state")), "draining");
    json_decref(j);
    glv_test_http_response_clear(&r);
}
END_TEST

START_TEST(listen_errors_are_reported)
{
    char *err = NULL;
    json_t *section = json_pack("{s:[s]}", "listen", "127.0.0.1");
    glv_http *h = glv_http_new(core, section, &err);
    json_decref(section);
    ck_assert_ptr_null(err);
    ck_assert_int_eq(glv_http_listen(h, &err), -1);
    ck_assert_ptr_nonnull(strstr(err, "127.0.0.1"));
    free(err);
    glv_http_free(h);

    /* The port the running server holds is in use. */
    char addr[64];
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
    glv_core *other = glv_core_new("other", 1);
    section = json_pack("{s:[s]}", "listen", addr);
    h = glv_http_new(other, section, &err);
    json_decref(section);
    ck_assert_ptr_nonnull(h);
    ck_assert_int_eq(glv_http_listen(h, &err), -1);
    ck_assert_msg(strstr(err, "in use") != NULL, "%s", err);
    free(err);
    glv_http_free(h);
    glv_core_free(other);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("http_server");
    TCase *tc = tcase_create("server");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, routes_and_precedence);
    tcase_add_test(tc, not_found_and_method_not_allowed);
    tcase_add_test(tc, request_id_echo_and_generation);
    tcase_add_test(tc, body_limit);
    tcase_add_test(tc, json_body_errors);
    tcase_add_test(tc, async_reply_after_timer);
    tcase_add_test(tc, keep_alive_serves_several_requests);
    tcase_add_test(tc, client_gone_before_async_reply);
    tcase_add_test(tc, malformed_request_gets_problem_json);
    tcase_add_test(tc, healthz_and_metrics);
    tcase_add_test(tc, listen_errors_are_reported);
    tcase_add_test(tc, pipelined_request_waits_for_async_reply);
    tcase_add_test(tc, server_freed_with_a_request_pending);
    suite_add_tcase(s, tc);
    return glv_test_run(s);
}
