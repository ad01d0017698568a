/*
 * galvani — memory per idle WebSocket connection.
 *
 * Forks a server process (the core's WebSocket server on 127.0.0.1) and a
 * client process that opens N connections, upgrades them and leaves them
 * idle; reports the server's resident memory growth per connection, for
 * ws:// and wss://.
 *
 *   ws_idle_bench [-n CONNECTIONS] [-m ws|wss|both]
 */
#include "log-internal.h"
#include "tls_test.h"
#include "ws-internal.h"
#include "ws_client.h"

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const glv_host *bench_host;
static int opened;

static void on_upgrade(glv_ws_upgrade *up, void *arg)
{
    bench_host->ws_accept(up, NULL);
}

static void on_open(glv_ws_conn *conn, void *conn_arg)
{
    opened++;
}

static void on_message(glv_ws_conn *conn, const char *data, size_t len, int is_text, void *conn_arg)
{
    bench_host->ws_send(conn, data, len, is_text);
}

static void on_close(glv_ws_conn *conn, uint16_t code, const char *reason, void *conn_arg) {}

static const glv_ws_handlers handlers = {
    .size = sizeof(glv_ws_handlers),
    .on_upgrade = on_upgrade,
    .on_open = on_open,
    .on_message = on_message,
    .on_close = on_close,
};

static long rss_kib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    long kib = -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

/* The server process: writes its port to fd, then serves until killed. */
static void run_server(int fd, const glv_test_tls *tls)
{
    glv_log_set_level(GLV_LOG_WARNING);
    glv_core *core = glv_core_new("bench", 1);
    json_t *l = json_pack("{s:s, s:s}", "name", "bench", "address", "127.0.0.1:0");
    if (tls != NULL)
        json_object_set_new(
            l, "tls",
            json_pack("{s:s, s:s}", "certificate", tls->server_cert, "key", tls->server_key));
    json_t *section = json_pack("{s:[o], s:i}", "listeners", l, "ping_interval", 0);
    char *err = NULL;
    if (core == NULL || glv_ws_new(core, section, &err) == NULL ||
        glv_ws_listen(core->ws, &err) != 0) {
        fprintf(stderr, "server: %s\n", err != NULL ? err : "cannot start");
        _exit(1);
    }
    bench_host = &core->host;
    glv_plugin *p = glv_core_plugin_new(core, "bench");
    bench_host->ws_register(p, "/ocpp/", "ocpp1.6", GLV_WS_DEFAULT_SUBPROTOCOL, &handlers, NULL);
    int port = glv_ws_listener_port(core->ws, "bench");
    if (write(fd, &port, sizeof port) != sizeof port)
        _exit(1);
    close(fd);
    event_base_loop(core->base, EVLOOP_NO_EXIT_ON_EMPTY);
    _exit(0);
}

/* The client process: opens n connections, reports, then idles. */
static void run_client(int port, int n, bool tls, int fd)
{
    glv_test_ws **conns = calloc((size_t)n, sizeof *conns);
    glv_test_ws_tls ct = {0};
    int ok = 0;
    for (int i = 0; i < n; i++) {
        conns[i] = glv_test_ws_connect(port, tls ? &ct : NULL);
        if (conns[i] == NULL)
            break;
        char path[64];
        snprintf(path, sizeof path, "/ocpp/CP%06d", i);
        if (glv_test_ws_handshake(conns[i], path, "ocpp1.6", NULL, NULL) != 101)
            break;
        ok++;
    }
    if (write(fd, &ok, sizeof ok) != sizeof ok)
        _exit(1);
    close(fd);
    pause();
    _exit(0);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int measure(int n, const glv_test_tls *tls)
{
    int sp[2], cp[2];
    if (pipe(sp) != 0 || pipe(cp) != 0)
        return -1;
    pid_t server = fork();
    if (server == 0) {
        close(sp[0]);
        run_server(sp[1], tls);
    }
    close(sp[1]);
    int port = 0;
    if (read(sp[0], &port, sizeof port) != sizeof port) {
        fprintf(stderr, "server did not start\n");
        return -1;
    }
    close(sp[0]);
    usleep(200000);
    /* Warm-up: a few connections allocate the loop's scratch buffer, the
     * TLS library's tables and the allocator's arenas. */
    for (int i = 0; i < 20; i++) {
        glv_test_ws_tls ct = {0};
        glv_test_ws *c = glv_test_ws_connect(port, tls != NULL ? &ct : NULL);
        if (c != NULL) {
            glv_test_ws_handshake(c, "/ocpp/warm", "ocpp1.6", NULL, NULL);
            glv_test_ws_send_text(c, "warm-up");
            unsigned op;
            bool fin;
            char *p = NULL;
            size_t len;
            if (glv_test_ws_read_frame(c, 1000, &op, &fin, &p, &len) == 0)
                free(p);
        }
        glv_test_ws_free(c);
    }
    usleep(300000);
    long before = rss_kib(server);
    double t0 = now_s();
    pid_t client = fork();
    if (client == 0) {
        close(cp[0]);
        run_client(port, n, tls != NULL, cp[1]);
    }
    close(cp[1]);
    int ok = 0;
    if (read(cp[0], &ok, sizeof ok) != sizeof ok)
        ok = 0;
    close(cp[0]);
    double t1 = now_s();
    usleep(500000);
    long after = rss_kib(server);
    printf("%-3s  connections %6d  setup %.2f s  server RSS %ld KiB -> %ld KiB  "
           "per connection %.0f bytes\n",
           tls != NULL ? "wss" : "ws", ok, t1 - t0, before, after,
           ok > 0 ? (double)(after - before) * 1024.0 / ok : 0.0);
    fflush(stdout);
    kill(client, SIGKILL);
    kill(server, SIGKILL);
    waitpid(client, NULL, 0);
    waitpid(server, NULL, 0);
    return ok == n ? 0 : -1;
}

int main(int argc, char **argv)
{
    int n = 10000;
    const char *mode = "both";
    int opt;
    while ((opt = getopt(argc, argv, "n:m:")) != -1) {
        if (opt == 'n')
            n = atoi(optarg);
        else if (opt == 'm')
            mode = optarg;
        else {
            fprintf(stderr, "usage: %s [-n CONNECTIONS] [-m ws|wss|both]\n", argv[0]);
            return 2;
        }
    }
    struct rlimit rl = {(rlim_t)n * 2 + 1024, (rlim_t)n * 2 + 1024};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        getrlimit(RLIMIT_NOFILE, &rl);
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        fprintf(stderr, "RLIMIT_NOFILE limited to %llu\n", (unsigned long long)rl.rlim_cur);
    }
    signal(SIGPIPE, SIG_IGN);
    int rc = 0;
    if (strcmp(mode, "ws") == 0 || strcmp(mode, "both") == 0)
        rc |= measure(n, NULL);
    if (strcmp(mode, "wss") == 0 || strcmp(mode, "both") == 0) {
        glv_test_tls tls;
        if (glv_test_tls_make(&tls, "bench") != 0)
            return 1;
        rc |= measure(n, &tls);
        glv_test_tls_cleanup(&tls);
    }
    return rc == 0 ? 0 : 1;
}
