/*
 * galvani — server TLS contexts: loading, refusals that name the file, and
 * the schema of a listener's `tls:` mapping.
 */
#include "check_run.h"
#include "config-internal.h"
#include "tls-internal.h"
#include "tls_test.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static glv_test_tls tls;

static SSL_CTX *make(json_t *conf, char **err)
{
    SSL_CTX *ctx = glv_tls_server_ctx(conf, err);
    json_decref(conf);
    return ctx;
}

START_TEST(test_ctx_ok)
{
    char *err = NULL;
    SSL_CTX *ctx = make(json_pack("{s:s, s:s, s:s, s:s, s:s}", "certificate", tls.server_cert,
                                  "key", tls.server_key, "client_ca", tls.ca_cert,
                                  "client_certificates", "required", "min_version", "1.3"),
                        &err);
    ck_assert_msg(ctx != NULL, "%s", err ? err : "");
    ck_assert_int_eq(SSL_CTX_get_min_proto_version(ctx), TLS1_3_VERSION);
    ck_assert(SSL_CTX_get_verify_mode(ctx) & SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
    ck_assert(SSL_CTX_get_mode(ctx) & SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_free(ctx);
    ctx =
        make(json_pack("{s:s, s:s}", "certificate", tls.server_cert, "key", tls.server_key), &err);
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
    ck_assert_int_eq(SSL_CTX_get_verify_mode(ctx), SSL_VERIFY_NONE);
    SSL_CTX_free(ctx);
}
END_TEST

START_TEST(test_ctx_errors)
{
    char *err = NULL;
    ck_assert_ptr_null(
        make(json_pack("{s:s, s:s}", "certificate", "/nonexistent/cert.pem", "key", tls.server_key),
             &err));
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/cert.pem"));
    free(err);
    /* A key that is not the certificate's. */
    ck_assert_ptr_null(
        make(json_pack("{s:s, s:s}", "certificate", tls.server_cert, "key", tls.client_key), &err));
    ck_assert_ptr_nonnull(strstr(err, tls.client_key));
    free(err);
    ck_assert_ptr_null(make(json_pack("{s:s, s:s, s:s}", "certificate", tls.server_cert, "key",
                                      tls.server_key, "client_certificates", "required"),
                            &err));
    ck_assert_ptr_nonnull(strstr(err, "client_ca"));
    free(err);
    ck_assert_ptr_null(make(json_pack("{s:s, s:s, s:s}", "certificate", tls.server_cert, "key",
                                      tls.server_key, "ciphers", "NO-SUCH-CIPHER"),
                            &err));
    ck_assert_ptr_nonnull(strstr(err, "NO-SUCH-CIPHER"));
    free(err);
}
END_TEST

START_TEST(test_peer_cn_without_peer)
{
    char *err = NULL;
    SSL_CTX *ctx =
        make(json_pack("{s:s, s:s}", "certificate", tls.server_cert, "key", tls.server_key), &err);
    SSL *ssl = SSL_new(ctx);
    ck_assert_ptr_null(glv_tls_peer_cn(ssl));
    ck_assert_ptr_null(glv_tls_peer_cn(NULL));
    SSL_free(ssl);
    SSL_CTX_free(ctx);
}
END_TEST

START_TEST(test_schema)
{
    static const glv_config_field root[] = {
        {.key = "tls", .type = GLV_CFG_OBJECT, .children = glv_tls_config_schema}, {.key = NULL}};
    const char *yaml = "t:\n  tls:\n    certificate: a.pem\n    key: b.pem\n";
    char *err = NULL;
    glv_config_doc *doc = glv_config_parse("t.yaml", yaml, strlen(yaml), &err);
    ck_assert_ptr_nonnull(doc);
    json_t *sec = NULL;
    ck_assert_int_eq(glv_config_section(doc, "t", root, &sec, &err), 0);
    json_t *t = json_object_get(sec, "tls");
    ck_assert_str_eq(json_string_value(json_object_get(t, "client_certificates")), "none");
    ck_assert_str_eq(json_string_value(json_object_get(t, "min_version")), "1.2");
    json_decref(sec);
    glv_config_free(doc);

    yaml = "t:\n  tls:\n    certificate: a.pem\n    key: b.pem\n    min_version: \"1.1\"\n";
    doc = glv_config_parse("t.yaml", yaml, strlen(yaml), &err);
    ck_assert_int_lt(glv_config_section(doc, "t", root, &sec, &err), 0);
    ck_assert_ptr_nonnull(strstr(err, "min_version"));
    free(err);
    glv_config_free(doc);
}
END_TEST

int main(void)
{
    if (glv_test_tls_make(&tls, "CP-1") != 0)
        return EXIT_FAILURE;
    Suite *s = suite_create("tls");
    TCase *tc = tcase_create("ctx");
    tcase_add_test(tc, test_ctx_ok);
    tcase_add_test(tc, test_ctx_errors);
    tcase_add_test(tc, test_peer_cn_without_peer);
    tcase_add_test(tc, test_schema);
    suite_add_tcase(s, tc);
    int rc = glv_test_run(s);
    glv_test_tls_cleanup(&tls);
    return rc;
}
