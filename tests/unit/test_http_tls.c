/* Tests of the HTTP server with TLS: a round trip with a certificate made at
 * run time, and a TLS 1.1 client refused. */
#include "check_run.h"
#include "config-internal.h"
#include "http-internal.h"
#include "http_client.h"
#include "tls_test.h"

#include <check.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static glv_core *core;
static glv_http *http;
static pthread_t loop_thread;
static glv_test_tls tls;
static int port;

static void *loop_main(void *arg)
{
    event_base_loop(core->base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

static void setup(void)
{
    ck_assert_int_eq(glv_test_tls_make(&tls, "client-1"), 0);
    char yaml[1024];
    snprintf(yaml, sizeof(yaml),
             "http:\n  listen: [\"127.0.0.1:0\"]\n  tls:\n    certificate: %s\n    key: %s\n",
             tls.server_cert, tls.server_key);
    char *err = NULL;
    glv_config_doc *doc = glv_config_parse("tls.yaml", yaml, strlen(yaml), &err);
    ck_assert_msg(doc != NULL, "%s", err ? err : "");
    json_t *section = NULL;
    ck_assert_msg(glv_config_section(doc, "http", glv_http_config_schema, &section, &err) == 0,
                  "%s", err ? err : "");
    glv_config_free(doc);
    core = glv_core_new("tls-node", 1);
    ck_assert_ptr_nonnull(core);
    http = glv_http_new(core, section, &err);
    ck_assert_msg(http != NULL, "%s", err ? err : "");
    json_decref(section);
    ck_assert_int_eq(glv_http_listen(http, &err), 0);
    glv_http_set_state(http, "ok");
    port = glv_http_port(http, 0);
    ck_assert_int_eq(pthread_create(&loop_thread, NULL, loop_main, NULL), 0);
}

static void teardown(void)
{
    event_base_loopexit(core->base, NULL);
    pthread_join(loop_thread, NULL);
    glv_http_free(http);
    glv_core_free(core);
    glv_test_tls_cleanup(&tls);
}

START_TEST(tls_round_trip)
{
    SSL_CTX *ctx = glv_test_tls_client_ctx(&tls, false);
    ck_assert_ptr_nonnull(ctx);
    for (int version = TLS1_2_VERSION; version <= TLS1_3_VERSION; version++) {
        SSL_CTX_set_min_proto_version(ctx, version);
        SSL_CTX_set_max_proto_version(ctx, version);
        glv_test_http_response r;
        ck_assert_int_eq(glv_test_http_fetch(port, ctx, "GET", "/healthz", NULL, NULL, 0, &r), 0);
        ck_assert_int_eq(r.status, 200);
        ck_assert_ptr_nonnull(strstr(r.body, "\"status\":\"ok\""));
        char id[80];
        ck_assert_ptr_nonnull(glv_test_http_header(&r, "X-Request-Id", id, sizeof(id)));
        glv_test_http_response_clear(&r);
    }
    /* Plain HTTP on the TLS port gets no HTTP answer. */
    glv_test_http_response r;
    ck_assert_int_ne(glv_test_http_fetch(port, NULL, "GET", "/healthz", NULL, NULL, 0, &r), 0);
    SSL_CTX_free(ctx);
}
END_TEST

START_TEST(tls_1_1_client_refused)
{
    SSL_CTX *ctx = glv_test_tls_client_ctx(&tls, false);
    ck_assert_ptr_nonnull(ctx);
    /* Let the client itself offer TLS 1.1 (OpenSSL 3 hides it above level 0). */
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
    SSL_CTX_set_min_proto_version(ctx, TLS1_1_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_1_VERSION);
    glv_test_http_client *c = glv_test_http_connect(port, ctx);
    ck_assert_ptr_null(c);
    SSL_CTX_free(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("http_tls");
    TCase *tc = tcase_create("tls");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, tls_round_trip);
    tcase_add_test(tc, tls_1_1_client_refused);
    suite_add_tcase(s, tc);
    return glv_test_run(s);
}
