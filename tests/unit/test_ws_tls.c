/*
 * galvani — wss:// listeners: TLS round trip, required and optional client
 * certificates with the CN reported to the plugin, refused clients.
 */
#include "check_run.h"
#include "tls_test.h"
#include "ws_client.h"
#include "ws_test_server.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static glv_test_tls tls;
static glv_test_ws_server *server;
static int port;

static void start(const char *client_certs)
{
    json_t *t = json_pack("{s:s, s:s}", "certificate", tls.server_cert, "key", tls.server_key);
    if (client_certs != NULL) {
        json_object_set_new(t, "client_ca", json_string(tls.ca_cert));
        json_object_set_new(t, "client_certificates", json_string(client_certs));
    }
    json_t *section = json_pack("{s:[{s:s, s:s, s:o}]}", "listeners", "name", "secure", "address",
                                "127.0.0.1:0", "tls", t);
    server = glv_test_ws_server_start(section);
    json_decref(section);
    ck_assert_ptr_nonnull(server);
    port = glv_test_ws_server_port(server, "secure");
    ck_assert_int_gt(port, 0);
}

static void teardown(void)
{
    glv_test_ws_server_stop(server);
    server = NULL;
}

/* Upgrades and returns the greeting (malloc'd). */
static char *greeting(glv_test_ws *c, const char *path)
{
    ck_assert_int_eq(glv_test_ws_handshake(c, path, "ocpp2.0.1", NULL, NULL), 101);
    unsigned op;
    bool fin;
    char *p;
    size_t len;
    ck_assert_int_eq(glv_test_ws_read_frame(c, 3000, &op, &fin, &p, &len), 0);
    return p;
}

START_TEST(test_tls_round_trip)
{
    start(NULL);
    glv_test_ws_tls ct = {.ca_file = tls.ca_cert};
    glv_test_ws *c = glv_test_ws_connect(port, &ct);
    ck_assert_ptr_nonnull(c);
    char *g = greeting(c, "/ocpp/CP-TLS");
    ck_assert_str_eq(g, "open tail=CP-TLS sp=ocpp2.0.1 tls=1 cn=-");
    free(g);
    /* Messages larger than a TLS record, both ways. */
    size_t n = 50000;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)('A' + i % 23);
    big[n] = '\0';
    ck_assert_int_eq(glv_test_ws_send_text(c, big), 0);
    unsigned op;
    bool fin;
    char *p;
    size_t len;
    ck_assert_int_eq(glv_test_ws_read_frame(c, 3000, &op, &fin, &p, &len), 0);
    ck_assert_uint_eq(len, n);
    ck_assert_str_eq(p, big);
    free(p);
    free(big);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 8, true, 0, "\x03\xe8", 2, true), 0);
    ck_assert_int_eq(glv_test_ws_read_close(c, 3000), 1000);
    glv_test_ws_free(c);

    /* Plain HTTP on the TLS port gets nowhere. */
    c = glv_test_ws_connect(port, NULL);
    ck_assert_int_lt(glv_test_ws_handshake(c, "/ocpp/x", "ocpp1.6", NULL, NULL), 0);
    glv_test_ws_free(c);
}
END_TEST

START_TEST(test_tls_client_cert_required)
{
    start("required");
    glv_test_ws_tls ct = {
        .ca_file = tls.ca_cert, .cert_file = tls.client_cert, .key_file = tls.client_key};
    glv_test_ws *c = glv_test_ws_connect(port, &ct);
    ck_assert_ptr_nonnull(c);
    char *g = greeting(c, "/ocpp/CP%2042");
    ck_assert_str_eq(g, "open tail=CP 42 sp=ocpp2.0.1 tls=1 cn=CP 42");
    free(g);
    ck_assert_int_eq(glv_test_ws_send_text(c, "[2,\"a\",\"Heartbeat\",{}]"), 0);
    unsigned op;
    bool fin;
    char *p;
    size_t len;
    ck_assert_int_eq(glv_test_ws_read_frame(c, 3000, &op, &fin, &p, &len), 0);
    ck_assert_str_eq(p, "[2,\"a\",\"Heartbeat\",{}]");
    free(p);
    glv_test_ws_free(c);
}
END_TEST

/* A client the server refuses: the handshake fails, or (TLS 1.3 checks the
 * client certificate after the client finished) the first read fails. */
static void expect_refused(const glv_test_ws_tls *ct)
{
    glv_test_ws *c = glv_test_ws_connect(port, ct);
    if (c == NULL)
        return;
    int status = glv_test_ws_handshake(c, "/ocpp/CP42", "ocpp1.6", NULL, NULL);
    ck_assert_int_lt(status, 0);
    glv_test_ws_free(c);
}

START_TEST(test_tls_client_without_cert_refused)
{
    start("required");
    glv_test_ws_tls none = {.ca_file = tls.ca_cert};
    expect_refused(&none);
    glv_test_ws_tls rogue = {
        .ca_file = tls.ca_cert, .cert_file = tls.rogue_cert, .key_file = tls.rogue_key};
    expect_refused(&rogue);
    ck_assert_int_eq(glv_test_ws_server_closes(server, NULL), 0);
}
END_TEST

START_TEST(test_tls_client_cert_optional)
{
    start("optional");
    glv_test_ws_tls none = {.ca_file = tls.ca_cert};
    glv_test_ws *c = glv_test_ws_connect(port, &none);
    ck_assert_ptr_nonnull(c);
    char *g = greeting(c, "/ocpp/anon");
    ck_assert_str_eq(g, "open tail=anon sp=ocpp2.0.1 tls=1 cn=-");
    free(g);
    glv_test_ws_free(c);
    glv_test_ws_tls with = {
        .ca_file = tls.ca_cert, .cert_file = tls.client_cert, .key_file = tls.client_key};
    c = glv_test_ws_connect(port, &with);
    ck_assert_ptr_nonnull(c);
    g = greeting(c, "/ocpp/named");
    ck_assert_str_eq(g, "open tail=named sp=ocpp2.0.1 tls=1 cn=CP 42");
    free(g);
    glv_test_ws_free(c);
}
END_TEST

static Suite *tls_suite(void)
{
    Suite *s = suite_create("websocket-tls");
    TCase *tc = tcase_create("wss");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_tls_round_trip);
    tcase_add_test(tc, test_tls_client_cert_required);
    tcase_add_test(tc, test_tls_client_without_cert_refused);
    tcase_add_test(tc, test_tls_client_cert_optional);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (glv_test_tls_make(&tls, "CP 42") != 0)
        return EXIT_FAILURE;
    int rc = glv_test_run(tls_suite());
    glv_test_tls_cleanup(&tls);
    return rc;
}
