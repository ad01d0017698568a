/*
 * galvani — tests of the WebSocket server over real sockets on 127.0.0.1:
 * upgrade answers and subprotocol choice, async accept/reject, echo,
 * fragmentation, limits, UTF-8, protocol errors, close handshake, ping.
 */
#include "check_run.h"
#include "config-internal.h"
#include "metrics-internal.h"
#include "ws_client.h"
#include "ws_test_server.h"

#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static glv_test_ws_server *server;
static int port;

/* Starts a server with one plain listener and the given extra settings
 * (a JSON object text, may be NULL). */
static void start_with(const char *extra)
{
    json_t *section = extra != NULL ? json_loads(extra, 0, NULL) : json_object();
    ck_assert_ptr_nonnull(section);
    json_object_set_new(section, "listeners",
                        json_pack("[{s:s, s:s}]", "name", "plain", "address", "127.0.0.1:0"));
    server = glv_test_ws_server_start(section);
    json_decref(section);
    ck_assert_ptr_nonnull(server);
    port = glv_test_ws_server_port(server, "plain");
    ck_assert_int_gt(port, 0);
}

static void setup(void)
{
    start_with(NULL);
}

static void teardown(void)
{
    glv_test_ws_server_stop(server);
    server = NULL;
}

/* Connects and upgrades; returns the client after reading the "open …"
 * greeting, which is compared with expect_open when not NULL. */
static glv_test_ws *open_ws(const char *path, const char *protocols, const char *expect_open)
{
    glv_test_ws *c = glv_test_ws_connect(port, NULL);
    ck_assert_ptr_nonnull(c);
    char *head = NULL;
    int status = glv_test_ws_handshake(c, path, protocols, NULL, &head);
    ck_assert_msg(status == 101, "status %d: %s", status, head ? head : "");
    free(head);
    unsigned op;
    bool fin;
    char *p;
    size_t len;
    ck_assert_int_eq(glv_test_ws_read_frame(c, 3000, &op, &fin, &p, &len), 0);
    ck_assert_uint_eq(op, 1);
    if (expect_open != NULL)
        ck_assert_str_eq(p, expect_open);
    free(p);
    return c;
}

/* Reads one frame and checks its opcode and payload. */
static void expect_frame(glv_test_ws *c, unsigned opcode, const void *payload, size_t len)
{
    unsigned op;
    bool fin;
    char *p;
    size_t n;
    ck_assert_int_eq(glv_test_ws_read_frame(c, 3000, &op, &fin, &p, &n), 0);
    ck_assert_uint_eq(op, opcode);
    ck_assert(fin);
    ck_assert_uint_eq(n, len);
    ck_assert(memcmp(p, payload, len) == 0);
    free(p);
}

static int status_of(const char *request, char **head)
{
    glv_test_ws *c = glv_test_ws_connect(port, NULL);
    ck_assert_ptr_nonnull(c);
    int status = glv_test_ws_request(c, request, head);
    glv_test_ws_free(c);
    return status;
}

static int upgrade_status(const char *path, const char *protocols, char **head)
{
    glv_test_ws *c = glv_test_ws_connect(port, NULL);
    ck_assert_ptr_nonnull(c);
    int status = glv_test_ws_handshake(c, path, protocols, NULL, head);
    glv_test_ws_free(c);
    return status;
}

/* Waits until the server counted n on_close calls; returns the last code. */
static int wait_closes(int n)
{
    int code = 0;
    for (int i = 0; i < 300 && glv_test_ws_server_closes(server, &code) < n; i++)
        usleep(10000);
    ck_assert_int_ge(glv_test_ws_server_closes(server, &code), n);
    return code;
}

/* ---- configuration ---- */

START_TEST(test_schema_defaults)
{
    const char *yaml = "websocket:\n  max_frame: 16k\n";
    char *err = NULL;
    glv_config_doc *doc = glv_config_parse("t.yaml", yaml, strlen(yaml), &err);
    ck_assert_ptr_nonnull(doc);
    json_t *sec = NULL;
    ck_assert_int_eq(glv_config_section(doc, "websocket", glv_ws_config_schema, &sec, &err), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(sec, "max_frame")), 16384);
    ck_assert_int_eq(json_integer_value(json_object_get(sec, "max_message")), 262144);
    ck_assert_int_eq(json_integer_value(json_object_get(sec, "ping_interval")), 60000);
    ck_assert_int_eq(json_integer_value(json_object_get(sec, "handshake_timeout")), 10000);
    json_t *l = json_array_get(json_object_get(sec, "listeners"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(l, "name")), "ocpp");
    ck_assert_str_eq(json_string_value(json_object_get(l, "address")), "0.0.0.0:9000");
    json_decref(sec);
    glv_config_free(doc);

    const char *bad = "websocket:\n  listeners:\n    - name: x\n      address: \"1:2\"\n"
                      "      tls: {key: k.pem}\n";
    doc = glv_config_parse("t.yaml", bad, strlen(bad), &err);
    ck_assert_ptr_nonnull(doc);
    ck_assert_int_lt(glv_config_section(doc, "websocket", glv_ws_config_schema, &sec, &err), 0);
    ck_assert_ptr_nonnull(strstr(err, "certificate"));
    free(err);
    glv_config_free(doc);

    const char *typo = "websocket:\n  listeners:\n    - name: x\n      address: \"1:2\"\n"
                       "      reuse_port: 1\n";
    doc = glv_config_parse("t.yaml", typo, strlen(typo), &err);
    ck_assert_ptr_nonnull(doc);
    ck_assert_int_lt(glv_config_section(doc, "websocket", glv_ws_config_schema, &sec, &err), 0);
    ck_assert_msg(strstr(err, "listeners[0].reuse_port") != NULL, "%s", err);
    free(err);
    glv_config_free(doc);
}
END_TEST

START_TEST(test_bad_address)
{
    glv_core *core = glv_core_new("t", 1);
    json_t *sec = json_pack("{s:[{s:s, s:s}]}", "listeners", "name", "x", "address", "nope");
    char *err = NULL;
    glv_ws *ws = glv_ws_new(core, sec, &err);
    ck_assert_ptr_nonnull(ws);
    ck_assert_int_eq(glv_ws_listen(ws, &err), -1);
    ck_assert_ptr_nonnull(strstr(err, "nope"));
    free(err);
    glv_ws_free(ws);
    ck_assert_ptr_null(core->ws);
    json_decref(sec);
    glv_core_free(core);
}
END_TEST

/* reuse_port: processes (here cores) that all set it share one address;
 * one that does not is refused, and stopping to accept frees the address. */
static glv_ws *listen_on(glv_core *core, int on_port, bool reuse_port, char **err)
{
    char address[32];
    snprintf(address, sizeof address, "127.0.0.1:%d", on_port);
    json_t *sec = json_pack("{s:[{s:s, s:s, s:b}]}", "listeners", "name", "x", "address", address,
                            "reuse_port", reuse_port);
    glv_ws *ws = glv_ws_new(core, sec, err);
    json_decref(sec);
    ck_assert_ptr_nonnull(ws);
    return ws;
}

START_TEST(test_reuse_port)
{
    glv_core *a = glv_core_new("a", 1), *b = glv_core_new("b", 1), *c = glv_core_new("c", 1);
    char *err = NULL;
    glv_ws *wa = listen_on(a, 0, true, &err);
    ck_assert_int_eq(glv_ws_listen(wa, &err), 0);
    int shared = glv_ws_listener_port(wa, "x");
    ck_assert_int_gt(shared, 0);
    glv_ws *wb = listen_on(b, shared, true, &err);
    ck_assert_int_eq(glv_ws_listen(wb, &err), 0);
    ck_assert_int_eq(glv_ws_listener_port(wb, "x"), shared);

    glv_ws *wc = listen_on(c, shared, false, &err);
    ck_assert_int_eq(glv_ws_listen(wc, &err), -1);
    ck_assert_msg(strstr(err, "Address already in use") != NULL && strstr(err, "reuse_port"), "%s",
                  err);
    free(err);
    err = NULL;

    glv_ws_stop_accepting(wa);
    glv_ws_stop_accepting(wb);
    ck_assert_int_eq(glv_ws_listener_port(wa, "x"), -1);
    ck_assert_int_eq(glv_ws_listen(wc, &err), 0);
    ck_assert_int_eq(glv_ws_listener_port(wc, "x"), shared);
    glv_ws_free(wa);
    glv_ws_free(wb);
    glv_ws_free(wc);
    glv_core_free(a);
    glv_core_free(b);
    glv_core_free(c);
}
END_TEST

/* ---- upgrade ---- */

START_TEST(test_handshake_preference)
{
    char *head = NULL;
    glv_test_ws *c = glv_test_ws_connect(port, NULL);
    ck_assert_int_eq(glv_test_ws_handshake(c, "/ocpp/CP1", "ocpp2.0.1, ocpp1.6", NULL, &head), 101);
    char *accept = glv_test_ws_header(head, "Sec-WebSocket-Accept");
    ck_assert_str_eq(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    char *proto = glv_test_ws_header(head, "Sec-WebSocket-Protocol");
    ck_assert_str_eq(proto, "ocpp2.0.1");
    free(accept);
    free(proto);
    free(head);
    expect_frame(c, 1, "open tail=CP1 sp=ocpp2.0.1 tls=0 cn=-", 37);
    glv_test_ws_free(c);

    /* The client's order counts, and unknown offers are skipped. */
    c = open_ws("/ocpp/CP2", "foo, ocpp1.6, ocpp2.0.1", "open tail=CP2 sp=ocpp1.6 tls=0 cn=-");
    glv_test_ws_free(c);
    /* Offered over two header lines. */
    c = glv_test_ws_connect(port, NULL);
    ck_assert_int_eq(glv_test_ws_handshake(c, "/ocpp/CP3", "bar",
                                           "Sec-WebSocket-Protocol: ocpp2.0.1\r\n", &head),
                     101);
    proto = glv_test_ws_header(head, "Sec-WebSocket-Protocol");
    ck_assert_str_eq(proto, "ocpp2.0.1");
    free(proto);
    free(head);
    glv_test_ws_free(c);
}
END_TEST

START_TEST(test_handshake_default_subprotocol)
{
    char *head = NULL;
    glv_test_ws *c = glv_test_ws_connect(port, NULL);
    ck_assert_int_eq(glv_test_ws_handshake(c, "/echo/e1?x=1", NULL, NULL, &head), 101);
    ck_assert_ptr_null(glv_test_ws_header(head, "Sec-WebSocket-Protocol"));
    free(head);
    expect_frame(c, 1, "open tail=e1 sp=echo tls=0 cn=-", 31);
    glv_test_ws_free(c);
}
END_TEST

START_TEST(test_handshake_no_match)
{
    ck_assert_int_eq(upgrade_status("/ocpp/CP1", "ocpp1.5", NULL), 400);
    /* No subprotocol offered and no default under /ocpp/. */
    ck_assert_int_eq(upgrade_status("/ocpp/CP1", NULL, NULL), 400);
}
END_TEST

START_TEST(test_handshake_unknown_path)
{
    ck_assert_int_eq(upgrade_status("/other/CP1", "ocpp1.6", NULL), 404);
    ck_assert_int_eq(upgrade_status("/ocp", "ocpp1.6", NULL), 404);
}
END_TEST

START_TEST(test_handshake_bad_version)
{
    char *head = NULL;
    int st = status_of("GET /ocpp/CP1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                       "Connection: keep-alive, Upgrade\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                       "Sec-WebSocket-Version: 8\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n",
                       &head);
    ck_assert_int_eq(st, 426);
    char *v = glv_test_ws_header(head, "Sec-WebSocket-Version");
    ck_assert_str_eq(v, "13");
    free(v);
    free(head);
    /* Missing key, bad key, missing version, not an upgrade, POST, HTTP/1.0. */
    ck_assert_int_eq(status_of("GET /ocpp/CP1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                               "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
                               NULL),
                     400);
    ck_assert_int_eq(status_of("GET /ocpp/CP1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                               "Connection: Upgrade\r\nSec-WebSocket-Key: abc\r\n"
                               "Sec-WebSocket-Version: 13\r\n\r\n",
                               NULL),
                     400);
    ck_assert_int_eq(status_of("GET /ocpp/CP1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                               "Connection: Upgrade\r\n"
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
                               NULL),
                     400);
    ck_assert_int_eq(status_of("GET /ocpp/CP1 HTTP/1.1\r\nHost: x\r\n\r\n", NULL), 400);
    ck_assert_int_eq(status_of("POST /ocpp/CP1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                               "Connection: Upgrade\r\n"
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                               "Sec-WebSocket-Version: 13\r\n\r\n",
                               NULL),
                     405);
    ck_assert_int_eq(status_of("garbage\r\n\r\n", NULL), 400);
}
END_TEST

START_TEST(test_handshake_request_too_large)
{
    char *req = malloc(10000);
    strcpy(req, "GET /ocpp/CP1 HTTP/1.1\r\nX-Long: ");
    size_t n = strlen(req);
    memset(req + n, 'a', 9000);
    strcpy(req + n + 9000, "\r\n\r\n");
    ck_assert_int_eq(status_of(req, NULL), 431);
    free(req);
}
END_TEST

START_TEST(test_async_accept)
{
    glv_test_ws *c =
        open_ws("/ocpp/async-CP", "ocpp1.6", "open tail=async-CP sp=ocpp1.6 tls=0 cn=-");
    ck_assert_int_eq(glv_test_ws_send_text(c, "hello"), 0);
    expect_frame(c, 1, "hello", 5);
    glv_test_ws_free(c);
}
END_TEST

START_TEST(test_async_reject_401)
{
    char *head = NULL;
    ck_assert_int_eq(upgrade_status("/ocpp/reject-me", "ocpp1.6", &head), 401);
    char *auth = glv_test_ws_header(head, "WWW-Authenticate");
    ck_assert_str_eq(auth, "Basic realm=\"galvani\"");
    free(auth);
    free(head);
}
END_TEST

START_TEST(test_client_leaves_before_answer)
{
    /* The answer comes 20 ms later, to a client that is gone: no crash, and
     * the server keeps serving. */
    glv_test_ws *c = glv_test_ws_connect(port, NULL);
    static const char req[] = "GET /ocpp/async-gone HTTP/1.1\r\nHost: x\r\n"
                              "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Version: 13\r\n"
                              "Sec-WebSocket-Protocol: ocpp1.6\r\n\r\n";
    ck_assert_int_eq(glv_test_ws_send_raw(c, req, strlen(req)), 0);
    glv_test_ws_free(c);
    usleep(60000);
    c = open_ws("/ocpp/after", "ocpp1.6", NULL);
    glv_test_ws_free(c);
}
END_TEST

START_TEST(test_path_tail_decoded)
{
    glv_test_ws *c = open_ws("/ocpp/CP%2F01%20x%c3%a9", "ocpp1.6",
                             "open tail=CP/01 x\xc3\xa9 sp=ocpp1.6 tls=0 cn=-");
    glv_test_ws_free(c);
    ck_assert_int_eq(upgrade_status("/ocpp/bad%zz", "ocpp1.6", NULL), 400);
    ck_assert_int_eq(upgrade_status("/ocpp/nul%00", "ocpp1.6", NULL), 400);
}
END_TEST

/* ---- messages ---- */

START_TEST(test_echo_text_binary)
{
    glv_test_ws *c = open_ws("/echo/e", "echo", NULL);
    ck_assert_int_eq(glv_test_ws_send_text(c, "[2,\"1\",\"Heartbeat\",{}]"), 0);
    expect_frame(c, 1, "[2,\"1\",\"Heartbeat\",{}]", 22);
    uint8_t bin[] = {0, 1, 2, 0xff, 0xfe};
    ck_assert_int_eq(glv_test_ws_send_frame(c, 2, true, 0, bin, sizeof bin, true), 0);
    expect_frame(c, 2, bin, sizeof bin);
    /* 16-bit length, then a 64-bit length (above 64 KiB needs a bigger max_frame). */
    size_t n = 40000;
    char *big = malloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)('a' + i % 26);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 1, true, 0, big, n, true), 0);
    expect_frame(c, 1, big, n);
    free(big);
    /* Empty messages. */
    ck_assert_int_eq(glv_test_ws_send_frame(c, 1, true, 0, "", 0, true), 0);
    expect_frame(c, 1, "", 0);

    glv_metric *m = glv_metrics_get(glv_test_ws_server_core(server)->metrics, "ws_connections",
                                    GLV_METRIC_GAUGE, NULL, NULL);
    ck_assert_ptr_nonnull(m);
    ck_assert(glv_metric_value(m) == 1.0);
    m = glv_metrics_get(glv_test_ws_server_core(server)->metrics, "ws_messages_in",
                        GLV_METRIC_COUNTER, NULL, NULL);
    ck_assert(glv_metric_value(m) == 4.0);
    glv_test_ws_free(c);
    wait_closes(1);
    m = glv_metrics_get(glv_test_ws_server_core(server)->metrics, "ws_connections",
                        GLV_METRIC_GAUGE, NULL, NULL);
    ck_assert(glv_metric_value(m) == 0.0);
}
END_TEST

START_TEST(test_large_message_64bit_length)
{
    teardown();
    start_with("{\"max_frame\": 300000, \"max_message\": 300000}");
    glv_test_ws *c = open_ws("/echo/e", "echo", NULL);
    size_t n = 200000;
    uint8_t *big = malloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = (uint8_t)(i * 7);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 2, true, 0, big, n, true), 0);
    expect_frame(c, 2, big, n);
    free(big);
    glv_test_ws_free(c);
}
END_TEST

START_TEST(test_pipelined_frames)
{
    /* Frames sent right behind the upgrade request and several per packet. */
    glv_test_ws *c = glv_test_ws_connect(port, NULL);
    char req[600];
    int n = snprintf(req, sizeof req,
                     "GET /echo/p HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n");
    uint8_t f[] = {0x81, 0x82, 1, 2, 3, 4, 'a' ^ 1, 'b' ^ 2, 0x81, 0x81, 9, 9, 9, 9, 'c' ^ 9};
    memcpy(req + n, f, sizeof f);
    char *head = NULL;
    ck_assert_int_eq(glv_test_ws_send_raw(c, req, (size_t)n + sizeof f), 0);
    ck_assert_int_eq(glv_test_ws_request(c, "", &head), 101);
    free(head);
    unsigned op;
    bool fin;
    char *p;
    size_t len;
    ck_assert_int_eq(glv_test_ws_read_frame(c, 3000, &op, &fin, &p, &len), 0);
    ck_assert_ptr_nonnull(strstr(p, "open tail=p"));
    free(p);
    expect_frame(c, 1, "ab", 2);
    expect_frame(c, 1, "c", 1);
    glv_test_ws_free(c);
}
END_TEST

START_TEST(test_fragmented_with_control)
{
    glv_test_ws *c = open_ws("/echo/f", "echo", NULL);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 1, false, 0, "Hel", 3, true), 0);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 9, true, 0, "p1", 2, true), 0);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 0, false, 0, "lo", 2, true), 0);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 10, true, 0, "unsolicited", 11, true), 0);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 0, false, 0, "", 0, true), 0);
    /* "€" split across fragments. */
    ck_assert_int_eq(glv_test_ws_send_frame(c, 0, false, 0, " \xe2\x82", 3, true), 0);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 0, true, 0, "\xac!", 2, true), 0);
    expect_frame(c, 10, "p1", 2);
    expect_frame(c, 1, "Hello \xe2\x82\xac!", 10);
    /* A frame split over many tiny writes. */
    uint8_t fr[] = {0x82, 0x83, 5, 6, 7, 8, 0x01 ^ 0x05, 0x02 ^ 0x06, 0x03 ^ 0x07};
    for (size_t i = 0; i < sizeof fr; i++) {
        ck_assert_int_eq(glv_test_ws_send_raw(c, fr + i, 1), 0);
        usleep(2000);
    }
    expect_frame(c, 2, "\x01\x02\x03", 3);
    glv_test_ws_free(c);
}
END_TEST

/* ---- limits and errors ---- */

static void expect_close_code(glv_test_ws *c, int code)
{
    ck_assert_int_eq(glv_test_ws_read_close(c, 3000), code);
    ck_assert_int_eq(glv_test_ws_wait_eof(c, 3000), 1);
    glv_test_ws_free(c);
}

START_TEST(test_too_big)
{
    teardown();
    start_with("{\"max_frame\": 1024, \"max_message\": 4096}");
    char buf[2000];
    memset(buf, 'x', sizeof buf);
    glv_test_ws *c = open_ws("/echo/b", "echo", NULL);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 1, true, 0, buf, 1000, true), 0);
    expect_frame(c, 1, buf, 1000);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 1, true, 0, buf, 1025, true), 0);
    expect_close_code(c, 1009);
    ck_assert_int_eq(wait_closes(1), 1006);

    c = open_ws("/echo/b", "echo", NULL);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(glv_test_ws_send_frame(c, i == 0 ? 2 : 0, false, 0, buf, 1000, true), 0);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 0, true, 0, buf, 100, true), 0);
    expect_close_code(c, 1009);
}
END_TEST

START_TEST(test_bad_utf8)
{
    glv_test_ws *c = open_ws("/echo/u", "echo", NULL);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 1, true, 0, "ok\xff", 3, true), 0);
    expect_close_code(c, 1007);
    /* Split across fragments: a lead byte, then a byte that cannot follow. */
    c = open_ws("/echo/u", "echo", NULL);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 1, false, 0, "a\xe2\x82", 3, true), 0);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 0, true, 0, "(", 1, true), 0);
    expect_close_code(c, 1007);
    /* A message that ends inside a character. */
    c = open_ws("/echo/u", "echo", NULL);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 1, false, 0, "a", 1, true), 0);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 0, true, 0, "\xf0\x9f", 2, true), 0);
    expect_close_code(c, 1007);
    /* Surrogates are not UTF-8. */
    c = open_ws("/echo/u", "echo", NULL);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 1, true, 0, "\xed\xa0\x80", 3, true), 0);
    expect_close_code(c, 1007);
    /* Binary messages are not checked. */
    c = open_ws("/echo/u", "echo", NULL);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 2, true, 0, "\xff", 1, true), 0);
    expect_frame(c, 2, "\xff", 1);
    glv_test_ws_free(c);
}
END_TEST

START_TEST(test_protocol_errors)
{
    struct {
        unsigned op;
        bool fin;
        unsigned rsv;
        const char *payload;
        size_t len;
        bool mask;
    } cases[] = {
        {1, true, 0, "x", 1, false},       /* unmasked */
        {1, true, 4, "x", 1, true},        /* RSV1 without extension */
        {3, true, 0, "x", 1, true},        /* reserved opcode */
        {0xB, true, 0, "", 0, true},       /* reserved control opcode */
        {9, false, 0, "x", 1, true},       /* fragmented ping */
        {0, true, 0, "x", 1, true},        /* continuation without a start */
        {8, true, 0, "\x03\xe7", 2, true}, /* close code 999 */
        {8, true, 0, "\x03\xed", 2, true}, /* close code 1005 */
        {8, true, 0, "\x03", 1, true},     /* one-byte close payload */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        glv_test_ws *c = open_ws("/echo/x", "echo", NULL);
        ck_assert_int_eq(glv_test_ws_send_frame(c, cases[i].op, cases[i].fin, cases[i].rsv,
                                                cases[i].payload, cases[i].len, cases[i].mask),
                         0);
        ck_assert_msg(glv_test_ws_read_close(c, 3000) == 1002, "case %zu", i);
        glv_test_ws_free(c);
    }
    /* Control payload over 125 bytes. */
    char big[126];
    memset(big, 'p', sizeof big);
    glv_test_ws *c = open_ws("/echo/x", "echo", NULL);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 9, true, 0, big, 126, true), 0);
    expect_close_code(c, 1002);
    /* A new message while a fragmented one is open. */
    c = open_ws("/echo/x", "echo", NULL);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 1, false, 0, "a", 1, true), 0);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 1, true, 0, "b", 1, true), 0);
    expect_close_code(c, 1002);
    /* Close reason that is not UTF-8. */
    c = open_ws("/echo/x", "echo", NULL);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 8, true, 0, "\x03\xe8\xff", 3, true), 0);
    expect_close_code(c, 1007);
}
END_TEST

/* ---- close and ping ---- */

START_TEST(test_close_by_client)
{
    glv_test_ws *c = open_ws("/echo/c", "echo", NULL);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 8, true, 0,
                                            "\x0f\xa1"
                                            "done",
                                            6, true),
                     0);
    expect_close_code(c, 4001);
    ck_assert_int_eq(wait_closes(1), 4001);
    /* An empty close is answered by an empty close. */
    c = open_ws("/echo/c", "echo", NULL);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 8, true, 0, "", 0, true), 0);
    expect_close_code(c, 1005);
    ck_assert_int_eq(wait_closes(2), 1005);
}
END_TEST

START_TEST(test_close_by_server)
{
    glv_test_ws *c = open_ws("/echo/c", "echo", NULL);
    ck_assert_int_eq(glv_test_ws_send_text(c, "close 4002"), 0);
    ck_assert_int_eq(glv_test_ws_read_close(c, 3000), 4002);
    /* Messages after our close are not delivered. */
    ck_assert_int_eq(glv_test_ws_send_text(c, "late"), 0);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 8, true, 0, "\x0f\xa2", 2, true), 0);
    ck_assert_int_eq(glv_test_ws_wait_eof(c, 3000), 1);
    glv_test_ws_free(c);
    ck_assert_int_eq(wait_closes(1), 4002);
}
END_TEST

START_TEST(test_ping_pong)
{
    glv_test_ws *c = open_ws("/echo/p", "echo", NULL);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 9, true, 0, "abc", 3, true), 0);
    expect_frame(c, 10, "abc", 3);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 9, true, 0, "", 0, true), 0);
    expect_frame(c, 10, "", 0);
    glv_test_ws_free(c);
}
END_TEST

START_TEST(test_ping_timeout)
{
    teardown();
    start_with("{\"ping_interval\": 200}");
    glv_test_ws *quiet = open_ws("/echo/q", "echo", NULL);
    glv_test_ws *alive = open_ws("/echo/a", "echo", NULL);
    /* The live one answers every ping for a second. */
    int pings = 0;
    for (int i = 0; i < 20; i++) {
        unsigned op;
        bool fin;
        char *p;
        size_t len;
        int r = glv_test_ws_read_frame(alive, 100, &op, &fin, &p, &len);
        if (r == 0) {
            ck_assert_uint_eq(op, 9);
            ck_assert_int_eq(glv_test_ws_send_frame(alive, 10, true, 0, p, len, true), 0);
            pings++;
            free(p);
        } else {
            ck_assert_int_eq(r, -2);
        }
    }
    ck_assert_int_ge(pings, 3);
    /* The quiet one got a ping, then was closed. */
    unsigned op;
    bool fin;
    char *p;
    size_t len;
    ck_assert_int_eq(glv_test_ws_read_frame(quiet, 100, &op, &fin, &p, &len), 0);
    ck_assert_uint_eq(op, 9);
    free(p);
    ck_assert_int_eq(glv_test_ws_read_close(quiet, 1000), 1001);
    ck_assert_int_eq(glv_test_ws_wait_eof(quiet, 1000), 1);
    ck_assert_int_eq(wait_closes(1), 1006);
    ck_assert_int_eq(glv_test_ws_send_text(alive, "still"), 0);
    for (;;) {
        ck_assert_int_eq(glv_test_ws_read_frame(alive, 1000, &op, &fin, &p, &len), 0);
        if (op == 9) {
            glv_test_ws_send_frame(alive, 10, true, 0, p, len, true);
            free(p);
            continue;
        }
        ck_assert_str_eq(p, "still");
        free(p);
        break;
    }
    glv_test_ws_free(quiet);
    glv_test_ws_free(alive);
}
END_TEST

START_TEST(test_handshake_timeout)
{
    teardown();
    start_with("{\"handshake_timeout\": 150}");
    glv_test_ws *c = glv_test_ws_connect(port, NULL);
    ck_assert_int_eq(glv_test_ws_send_raw(c, "GET /echo/x HTTP/1.1\r\n", 22), 0);
    ck_assert_int_eq(glv_test_ws_wait_eof(c, 2000), 1);
    glv_test_ws_free(c);
    ck_assert_uint_eq(glv_test_ws_server_connections(server), 0);
}
END_TEST

static void *stop_server(void *arg)
{
    glv_test_ws_server_stop(arg);
    return NULL;
}

START_TEST(test_close_all_going_away)
{
    glv_test_ws *c = open_ws("/echo/g", "echo", NULL);
    /* Stopping the test server closes every connection with 1001; the client
     * answers the close meanwhile, so every on_close runs before the end. */
    pthread_t stopper;
    ck_assert_int_eq(pthread_create(&stopper, NULL, stop_server, server), 0);
    ck_assert_int_eq(glv_test_ws_read_close(c, 3000), 1001);
    ck_assert_int_eq(glv_test_ws_send_frame(c, 0x8, true, 0, "\x03\xe9", 2, true), 0);
    ck_assert_int_eq(glv_test_ws_wait_eof(c, 3000), 1);
    pthread_join(stopper, NULL);
    server = NULL;
    glv_test_ws_free(c);
}
END_TEST

static Suite *ws_suite(void)
{
    Suite *s = suite_create("websocket");
    TCase *tc = tcase_create("config");
    tcase_add_test(tc, test_schema_defaults);
    tcase_add_test(tc, test_bad_address);
    tcase_add_test(tc, test_reuse_port);
    suite_add_tcase(s, tc);

    tc = tcase_create("server");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_handshake_preference);
    tcase_add_test(tc, test_handshake_default_subprotocol);
    tcase_add_test(tc, test_handshake_no_match);
    tcase_add_test(tc, test_handshake_unknown_path);
    tcase_add_test(tc, test_handshake_bad_version);
    tcase_add_test(tc, test_handshake_request_too_large);
    tcase_add_test(tc, test_async_accept);
    tcase_add_test(tc, test_async_reject_401);
    tcase_add_test(tc, test_client_leaves_before_answer);
    tcase_add_test(tc, test_path_tail_decoded);
    tcase_add_test(tc, test_echo_text_binary);
    tcase_add_test(tc, test_large_message_64bit_length);
    tcase_add_test(tc, test_pipelined_frames);
    tcase_add_test(tc, test_fragmented_with_control);
    tcase_add_test(tc, test_too_big);
    tcase_add_test(tc, test_bad_utf8);
    tcase_add_test(tc, test_protocol_errors);
    tcase_add_test(tc, test_close_by_client);
    tcase_add_test(tc, test_close_by_server);
    tcase_add_test(tc, test_ping_pong);
    tcase_add_test(tc, test_ping_timeout);
    tcase_add_test(tc, test_handshake_timeout);
    tcase_add_test(tc, test_close_all_going_away);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return glv_test_run(ws_suite());
}
