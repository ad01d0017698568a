/*
 * WebSocket test server on its own loop thread.
 */
#include "ws_test_server.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct glv_test_ws_server {
    glv_core *core;
    glv_plugin *plugin;
    pthread_t thread;
    struct event *stop_check;
    atomic_int stop;
    long long stop_started;
    atomic_int closes;
    atomic_int last_code;
};

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct test_conn {
    glv_test_ws_server *server;
    char *cn;
    int tls;
} test_conn;

static const glv_host *host_of(glv_test_ws_server *s)
{
    return &s->core->host;
}

static void answer_later(evutil_socket_t fd, short what, void *arg);

typedef struct later {
    glv_test_ws_server *server;
    glv_ws_upgrade *up;
    int reject;
} later;

static test_conn *conn_arg_for(glv_test_ws_server *s, glv_ws_upgrade *up)
{
    const glv_host *h = host_of(s);
    test_conn *tc = calloc(1, sizeof *tc);
    tc->server = s;
    const char *cn = h->ws_upgrade_client_cn(up);
    tc->cn = cn != NULL ? strdup(cn) : NULL;
    tc->tls = h->ws_upgrade_tls(up);
    return tc;
}

static void on_upgrade(glv_ws_upgrade *up, void *arg)
{
    glv_test_ws_server *s = arg;
    const glv_host *h = host_of(s);
    const char *tail = h->ws_upgrade_path_tail(up);
    if (strncmp(tail, "reject", 6) == 0 || strncmp(tail, "async", 5) == 0) {
        later *l = calloc(1, sizeof *l);
        l->server = s;
        l->up = up;
        l->reject = tail[0] == 'r';
        struct timeval tv = {0, 20000};
        event_base_once(s->core->base, -1, EV_TIMEOUT, answer_later, l, &tv);
        return;
    }
    test_conn *tc = conn_arg_for(s, up);
    if (h->ws_accept(up, tc) != 0) {
        free(tc->cn);
        free(tc);
    }
}

static void answer_later(evutil_socket_t fd, short what, void *arg)
{
    later *l = arg;
    const glv_host *h = host_of(l->server);
    if (l->reject) {
        h->ws_reject(l->up, 401, "unknown charger");
    } else {
        test_conn *tc = conn_arg_for(l->server, l->up);
        if (h->ws_accept(l->up, tc) != 0) {
            free(tc->cn);
            free(tc);
        }
    }
    free(l);
}

static void on_open(glv_ws_conn *conn, void *conn_arg)
{
    test_conn *tc = conn_arg;
    const glv_host *h = host_of(tc->server);
    char msg[512];
    snprintf(msg, sizeof msg, "open tail=%s sp=%s tls=%d cn=%s", h->ws_conn_path_tail(conn),
             h->ws_conn_subprotocol(conn), tc->tls, tc->cn != NULL ? tc->cn : "-");
    h->ws_send(conn, msg, strlen(msg), 1);
}

static void on_message(glv_ws_conn *conn, const char *data, size_t len, int is_text, void *conn_arg)
{
    test_conn *tc = conn_arg;
    const glv_host *h = host_of(tc->server);
    if (is_text && strncmp(data, "close ", 6) == 0) {
        h->ws_close(conn, (uint16_t)atoi(data + 6), "bye");
        return;
    }
    h->ws_send(conn, data, len, is_text);
}

static void on_close(glv_ws_conn *conn, uint16_t code, const char *reason, void *conn_arg)
{
    test_conn *tc = conn_arg;
    atomic_store(&tc->server->last_code, code);
    atomic_fetch_add(&tc->server->closes, 1);
    free(tc->cn);
    free(tc);
}

static const glv_ws_handlers handlers = {
    .size = sizeof(glv_ws_handlers),
    .on_upgrade = on_upgrade,
    .on_open = on_open,
    .on_message = on_message,
    .on_close = on_close,
};

/* Breaking the loop from another thread is lost if the loop has not started
 * yet, so the loop watches a flag instead. */
static void break_loop(void *arg)
{
    glv_test_ws_server *s = arg;
    event_base_loopbreak(s->core->base);
}

/* Stopping closes the connections first (so every on_close runs), waiting
 * at most two seconds for the clients. */
static void stop_check_cb(evutil_socket_t fd, short what, void *arg)
{
    glv_test_ws_server *s = arg;
    int stop = atomic_load(&s->stop);
    if (stop == 1) {
        atomic_store(&s->stop, 2);
        s->stop_started = mono_ms();
        glv_ws_close_all(s->core->ws, break_loop, s);
    } else if (stop == 2 && mono_ms() - s->stop_started > 2000) {
        event_base_loopbreak(s->core->base);
    }
}

static void *loop_main(void *arg)
{
    glv_test_ws_server *s = arg;
    event_base_loop(s->core->base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

glv_test_ws_server *glv_test_ws_server_start(const json_t *section)
{
    glv_test_ws_server *s = calloc(1, sizeof *s);
    s->core = glv_core_new("wstest", 1);
    if (s->core == NULL) {
        fprintf(stderr, "glv_core_new failed\n");
        free(s);
        return NULL;
    }
    char *err = NULL;
    if (glv_ws_new(s->core, section, &err) == NULL || glv_ws_listen(s->core->ws, &err) != 0) {
        fprintf(stderr, "websocket server: %s\n", err != NULL ? err : "?");
        free(err);
        glv_ws_free(s->core->ws);
        glv_core_free(s->core);
        free(s);
        return NULL;
    }
    s->plugin = glv_core_plugin_new(s->core, "wstest");
    const glv_host *h = host_of(s);
    if (h->ws_register(s->plugin, "/ocpp/", "ocpp1.6", 0, &handlers, s) != 0 ||
        h->ws_register(s->plugin, "/ocpp/", "ocpp2.0.1", 0, &handlers, s) != 0 ||
        h->ws_register(s->plugin, "/echo/", "echo", GLV_WS_DEFAULT_SUBPROTOCOL, &handlers, s) !=
            0) {
        fprintf(stderr, "ws_register failed\n");
        return NULL;
    }
    s->stop_check = event_new(s->core->base, -1, EV_PERSIST, stop_check_cb, s);
    struct timeval tv = {0, 10000};
    event_add(s->stop_check, &tv);
    pthread_create(&s->thread, NULL, loop_main, s);
    return s;
}

void glv_test_ws_server_stop(glv_test_ws_server *s)
{
    if (s == NULL)
        return;
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);
    event_free(s->stop_check);
    glv_ws_free(s->core->ws);
    glv_core_free(s->core);
    free(s);
}

int glv_test_ws_server_port(glv_test_ws_server *s, const char *listener)
{
    return glv_ws_listener_port(s->core->ws, listener);
}

int glv_test_ws_server_closes(glv_test_ws_server *s, int *last_code)
{
    if (last_code != NULL)
        *last_code = atomic_load(&s->last_code);
    return atomic_load(&s->closes);
}

size_t glv_test_ws_server_connections(glv_test_ws_server *s)
{
    return glv_ws_connection_count(s->core->ws);
}

glv_core *glv_test_ws_server_core(glv_test_ws_server *s)
{
    return s->core;
}
