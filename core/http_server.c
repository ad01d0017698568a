/*
 * galvani core — the HTTP listener: libevent evhttp on the core's loop,
 * optional TLS, body and header limits, timeouts, request ids, connection
 * tracking, routing dispatch and the access log (debug level).
 *
 * Lifetimes. evhttp owns its connections and requests. We keep our own
 * glv_http_conn per accepted connection (made in the bufferevent callback,
 * tied to the evhttp connection by its close callback) and our own
 * glv_http_request per request, alive until the reply. While a handler keeps
 * a request for later, evhttp does not read from the connection; we watch
 * the socket ourselves and, when the client closes it, free the evhttp
 * connection: the close callback then detaches the request, whose reply will
 * be dropped.
 *
 * Errors evhttp answers on its own before any handler runs (body or headers
 * above the limits, malformed requests) are written as small HTML pages; the
 * output hook of each connection rewrites them into problem JSON.
 */
#include "http-internal.h"
#include "log-internal.h"
#include "metrics-internal.h"
#include "tls-internal.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static const char *const LOG_WHO = "http";

const glv_config_field glv_http_config_schema[] = {
    {.key = "listen",
     .type = GLV_CFG_STRING_LIST,
     .default_text = "[\"0.0.0.0:8080\"]",
     .help = "addresses to listen on as host:port ([::]:8080 for IPv6, port 0 = any)"},
    {.key = "reuse_port",
     .type = GLV_CFG_BOOL,
     .default_text = "false",
     .help = "SO_REUSEPORT on every listen address: several galvanid processes listen there and "
             "the kernel spreads new connections between them (every one of them must set it)"},
    {.key = "tls",
     .type = GLV_CFG_OBJECT,
     .children = glv_tls_config_schema,
     .help = "serve HTTPS on every listen address with this certificate"},
    {.key = "max_body",
     .type = GLV_CFG_SIZE,
     .default_text = "1M",
     .min = 1,
     .max = (int64_t)1 << 30,
     .help = "largest request body accepted (413 above)"},
    {.key = "max_headers_size",
     .type = GLV_CFG_SIZE,
     .default_text = "32k",
     .min = 1024,
     .max = 1 << 20,
     .help = "largest request line plus headers accepted"},
    {.key = "timeout",
     .type = GLV_CFG_DURATION,
     .default_text = "30s",
     .min = 100,
     .max = 3600 * 1000,
     .help = "read and write timeout of a connection (also closes idle keep-alive ones)"},
    {.key = NULL},
};

struct glv_http_conn {
    glv_http *http;
    struct bufferevent *bev;
    struct evhttp_connection *evcon; /* NULL until adopted */
    struct event *adopt;             /* runs once, right after the accept */
    struct event *watch;             /* client close while a reply is awaited */
    glv_http_request *req;           /* the request awaiting its reply */
    bool counted;                    /* in the http_connections gauge */
    bool rewriting;                  /* inside the output hook */
    glv_http_conn *prev, *next;
};

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- metrics ---- */

static int code_class(int status)
{
    int c = status / 100;
    return c >= 1 && c <= 5 ? c - 1 : 5;
}

static glv_metric *requests_metric(glv_http *http, const char *label, glv_metric **slot, int status)
{
    if (!*slot) {
        char labels[512];
        int c = code_class(status);
        if (c == 5)
            snprintf(labels, sizeof(labels), "route=\"%s\",code=\"other\"", label);
        else
            snprintf(labels, sizeof(labels), "route=\"%s\",code=\"%dxx\"", label, c + 1);
        *slot = glv_metrics_get(http->core->metrics, "http_requests_total", GLV_METRIC_COUNTER,
                                "HTTP requests answered, by route and status class", labels);
    }
    return *slot;
}

static glv_metric *duration_metric(glv_http *http, const char *label, glv_metric **slot)
{
    if (!*slot) {
        char labels[512];
        snprintf(labels, sizeof(labels), "route=\"%s\"", label);
        *slot = glv_metrics_get(http->core->metrics, "http_request_duration_seconds",
                                GLV_METRIC_HISTOGRAM,
                                "Time from a request's arrival to its reply, by route", labels);
    }
    return *slot;
}

static void count_reply(glv_http *http, glv_http_route *route, int status, double seconds)
{
    glv_metric *counter, *histogram;
    if (route) {
        counter = requests_metric(http, route->label, &route->requests[code_class(status)], status);
        histogram = duration_metric(http, route->label, &route->duration);
    } else {
        counter = requests_metric(http, "unmatched", &http->unmatched[code_class(status)], status);
        histogram = duration_metric(http, "unmatched", &http->unmatched_duration);
    }
    if (counter)
        glv_metric_add(counter, 1);
    if (histogram)
        glv_metric_observe(histogram, seconds);
}

/* ---- request ids ---- */

static bool sane_request_id(const char *id)
{
    size_t len = id ? strlen(id) : 0;
    if (len == 0 || len > 64)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)id[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == ':' || c == '+' || c == '/' ||
                  c == '=' || c == '~';
        if (!ok)
            return false;
    }
    return true;
}

static void make_request_id(glv_http *http, char *out, size_t size)
{
    snprintf(out, size, "%016llx%016llx", (unsigned long long)http->id_prefix,
             (unsigned long long)++http->id_seq);
}

/* ---- connections ---- */

static void conn_unlink(glv_http_conn *conn)
{
    glv_http *http = conn->http;
    if (conn->prev)
        conn->prev->next = conn->next;
    else
        http->conns = conn->next;
    if (conn->next)
        conn->next->prev = conn->prev;
    conn->prev = conn->next = NULL;
}

static void output_hook(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg);

static void conn_release(glv_http_conn *conn)
{
    if (conn->watch)
        event_free(conn->watch);
    if (conn->adopt)
        event_free(conn->adopt);
    if (conn->counted)
        glv_metric_add(conn->http->connections, -1);
    conn_unlink(conn);
    free(conn);
}

/* evhttp is freeing the connection. The evhttp request of a request still
 * awaiting its reply goes with it, unless evhttp handed it over to us. */
static void conn_closed(struct evhttp_connection *evcon, void *arg)
{
    glv_http_conn *conn = arg;
    glv_http_request *req = conn->req;
    if (req) {
        if (req->ev && evhttp_request_get_connection(req->ev) == NULL)
            evhttp_request_free(req->ev);
        req->ev = NULL;
        req->conn = NULL;
        conn->req = NULL;
        glv_log(GLV_LOG_DEBUG, LOG_WHO, "%s %s: client gone before the reply (request %s)",
                req->method, req->path, req->id);
    }
    evbuffer_remove_cb(bufferevent_get_output(conn->bev), output_hook, conn);
    conn_release(conn);
}

/* Runs once after evhttp has taken the accepted socket: ties our record to
 * the evhttp connection, or drops it when evhttp gave up on the socket. */
static void conn_adopt(evutil_socket_t fd, short what, void *arg)
{
    glv_http_conn *conn = arg;
    struct bufferevent *bev = conn->bev;
    bufferevent_data_cb readcb = NULL, writecb = NULL;
    bufferevent_event_cb eventcb = NULL;
    void *cbarg = NULL;
    bufferevent_getcb(bev, &readcb, &writecb, &eventcb, &cbarg);
    event_free(conn->adopt);
    conn->adopt = NULL;
    if (eventcb == NULL || cbarg == NULL) {
        evbuffer_remove_cb(bufferevent_get_output(bev), output_hook, conn);
        conn_release(conn);
    } else {
        conn->evcon = cbarg;
        evhttp_connection_set_closecb(conn->evcon, conn_closed, conn);
        conn->counted = true;
        glv_metric_add(conn->http->connections, 1);
    }
    bufferevent_decref(bev);
}

static struct bufferevent *make_bufferevent(struct event_base *base, void *arg)
{
    glv_http *http = arg;
    struct bufferevent *bev;
    if (http->ssl_ctx) {
        SSL *ssl = SSL_new(http->ssl_ctx);
        if (!ssl) {
            glv_log(GLV_LOG_ERR, LOG_WHO, "cannot create a TLS session");
            return NULL;
        }
        bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                             BEV_OPT_CLOSE_ON_FREE);
        if (!bev)
            SSL_free(ssl);
    } else {
        bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    }
    if (!bev)
        return NULL;
    glv_http_conn *conn = calloc(1, sizeof(*conn));
    if (conn)
        conn->adopt = event_new(base, -1, 0, conn_adopt, conn);
    if (!conn || !conn->adopt) {
        free(conn);
        glv_log(GLV_LOG_ERR, LOG_WHO, "out of memory accepting a connection");
        return bev; /* served, but neither counted nor watched */
    }
    conn->http = http;
    conn->bev = bev;
    conn->next = http->conns;
    if (http->conns)
        http->conns->prev = conn;
    http->conns = conn;
    evbuffer_add_cb(bufferevent_get_output(bev), output_hook, conn);
    bufferevent_incref(bev);
    event_active(conn->adopt, EV_TIMEOUT, 1);
    return bev;
}

static glv_http_conn *conn_find(glv_http *http, struct evhttp_connection *evcon)
{
    for (glv_http_conn *c = http->conns; c; c = c->next) {
        if (c->evcon == evcon)
            return c;
    }
    return NULL;
}

/* The client closed while its request awaits a reply: free the evhttp
 * connection now (conn_closed detaches the request). */
static void conn_watch(evutil_socket_t fd, short what, void *arg)
{
    glv_http_conn *conn = arg;
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0)
        return; /* more input (a pipelined request, a TLS record): evhttp reads it later */
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        event_add(conn->watch, NULL);
        return;
    }
    evhttp_connection_free(conn->evcon);
}

static void conn_watch_start(glv_http_conn *conn)
{
    evutil_socket_t fd = bufferevent_getfd(conn->bev);
    if (fd < 0)
        return;
    if (!conn->watch)
        conn->watch = event_new(conn->http->core->base, fd, EV_READ, conn_watch, conn);
    if (conn->watch)
        event_add(conn->watch, NULL);
}

/* ---- evhttp's own error pages, rewritten as problem JSON ---- */

static void output_hook(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    glv_http_conn *conn = arg;
    glv_http *http = conn->http;
    static const char page_tail[] = "</BODY></HTML>\n";
    static const char page_head[] = "\r\n\r\n<HTML><HEAD>\n<TITLE>";
    const size_t tail_len = sizeof(page_tail) - 1;
    if (http->own_send || conn->rewriting || info->n_added == 0)
        return;
    size_t len = evbuffer_get_length(buf);
    if (len < 64)
        return;
    char tail[sizeof(page_tail)];
    struct evbuffer_ptr pos;
    if (evbuffer_ptr_set(buf, &pos, len - tail_len, EVBUFFER_PTR_SET) < 0 ||
        evbuffer_copyout_from(buf, &pos, tail, tail_len) != (ev_ssize_t)tail_len ||
        memcmp(tail, page_tail, tail_len) != 0)
        return;
    char head[16] = "";
    if (evbuffer_copyout(buf, head, 13) != 13 || strncmp(head, "HTTP/1.", 7) != 0)
        return;
    struct evbuffer_ptr found = evbuffer_search(buf, page_head, sizeof(page_head) - 1, NULL);
    if (found.pos < 0)
        return;
    int status = atoi(head + 9);
    if (status < 400 || status > 599)
        return;

    char id[65];
    make_request_id(http, id, sizeof(id));
    const char *title = glv_http_reason(status);
    const char *detail = status == 413 ? "the request's body or headers exceed the server's limits"
                         : status == 501 ? "the request method is not supported"
                                         : "the request could not be parsed";
    json_t *problem = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", "about:blank", "title", title,
                                "status", status, "detail", detail, "request_id", id);
    char *text = problem ? json_dumps(problem, JSON_COMPACT) : NULL;
    json_decref(problem);
    if (!text)
        return;
    conn->rewriting = true;
    evbuffer_drain(buf, len);
    evbuffer_add_printf(buf,
                        "HTTP/1.1 %d %s\r\nContent-Type: application/problem+json\r\n"
                        "Content-Length: %zu\r\nX-Request-Id: %s\r\nConnection: close\r\n\r\n%s",
                        status, title, strlen(text), id, text);
    conn->rewriting = false;
    free(text);
    count_reply(http, NULL, status, 0);
    glv_log(GLV_LOG_DEBUG, LOG_WHO, "refused a request with %d (request %s)", status, id);
}

/* ---- requests ---- */

static const char *method_name(enum evhttp_cmd_type cmd)
{
    switch (cmd) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    case EVHTTP_REQ_OPTIONS:
        return "OPTIONS";
    case EVHTTP_REQ_TRACE:
        return "TRACE";
    case EVHTTP_REQ_CONNECT:
        return "CONNECT";
    case EVHTTP_REQ_PATCH:
        return "PATCH";
    }
    return "UNKNOWN";
}

static void pending_unlink(glv_http_request *req)
{
    glv_http *http = req->http;
    if (!req->prev && http->pending != req)
        return; /* not in the list */
    if (req->prev)
        req->prev->next = req->next;
    else
        http->pending = req->next;
    if (req->next)
        req->next->prev = req->prev;
    req->prev = req->next = NULL;
    http->npending--;
}

static void pending_link(glv_http_request *req)
{
    glv_http *http = req->http;
    req->prev = NULL;
    req->next = http->pending;
    if (http->pending)
        http->pending->prev = req;
    http->pending = req;
    http->npending++;
}

void glv_http_send(glv_http_request *req, int status, const char *content_type, const void *body,
                   size_t len)
{
    glv_http *http = req->http;
    if (req->replied) {
        glv_log(GLV_LOG_ERR, LOG_WHO, "%s %s: a second reply was ignored (request %s)", req->method,
                req->path ? req->path : "", req->id);
        return;
    }
    if (status < 100 || status > 599)
        status = 500;
    req->replied = true;
    uint64_t elapsed = now_us() - req->start_us;
    glv_http_route *route = (glv_http_route *)req->match.route;
    count_reply(http, route, status, (double)elapsed / 1e6);
    if (req->ev) {
        struct evkeyvalq *headers = evhttp_request_get_output_headers(req->ev);
        evhttp_remove_header(headers, "X-Request-Id");
        evhttp_add_header(headers, "X-Request-Id", req->id);
        if (content_type) {
            evhttp_remove_header(headers, "Content-Type");
            evhttp_add_header(headers, "Content-Type", content_type);
        }
        struct evbuffer *buf = evbuffer_new();
        if (buf && len > 0)
            evbuffer_add(buf, body, len);
        glv_http_conn *conn = req->conn;
        if (conn) {
            if (conn->watch)
                event_del(conn->watch);
            conn->req = NULL;
        }
        http->own_send = true;
        evhttp_send_reply(req->ev, status, glv_http_reason(status), buf);
        http->own_send = false;
        if (buf)
            evbuffer_free(buf);
        req->ev = NULL;
        req->conn = NULL;
        if (glv_log_level() >= GLV_LOG_DEBUG)
            glv_log(GLV_LOG_DEBUG, LOG_WHO, "%s %s %s%s%d %zu %.3fms %s", req->remote, req->method,
                    req->path, req->query ? "?..." : "", status, len, (double)elapsed / 1000.0,
                    req->id);
    } else {
        http->discarded++;
        glv_log(GLV_LOG_DEBUG, LOG_WHO, "%s %s: reply %d dropped, the client has gone (request %s)",
                req->method, req->path ? req->path : "", status, req->id);
    }
    pending_unlink(req);
    if (!req->in_handler)
        glv_http_request_free(req);
}

/* Fills the request from the evhttp request; a reply on failure. */
static int request_prepare(glv_http_request *req)
{
    glv_http *http = req->http;
    struct evhttp_request *ev = req->ev;
    const char *given = evhttp_find_header(evhttp_request_get_input_headers(ev), "X-Request-Id");
    if (sane_request_id(given))
        snprintf(req->id, sizeof(req->id), "%s", given);
    else
        make_request_id(http, req->id, sizeof(req->id));
    snprintf(req->method, sizeof(req->method), "%s", method_name(evhttp_request_get_command(ev)));
    struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
    char *addr = NULL;
    ev_uint16_t port = 0;
    if (evcon)
        evhttp_connection_get_peer(evcon, &addr, &port);
    snprintf(req->remote, sizeof(req->remote), "%s", addr ? addr : "");

    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
    req->path = strdup(path && *path ? path : "/");
    if (query)
        req->query = strdup(query);
    struct evbuffer *in = evhttp_request_get_input_buffer(ev);
    size_t len = in ? evbuffer_get_length(in) : 0;
    req->body = malloc(len + 1);
    if (!req->path || (query && !req->query) || !req->body) {
        glv_http_send_problem(req, 500, NULL, "out of memory", NULL);
        return -1;
    }
    if (len > 0)
        evbuffer_copyout(in, req->body, len);
    req->body[len] = '\0';
    req->body_len = len;
    if (req->path[0] != '/') {
        glv_http_send_problem(req, 400, NULL, "the request target must be an absolute path", NULL);
        return -1;
    }
    if (len > http->max_body) {
        glv_http_send_problem(req, 413, NULL, "the request body exceeds the server's limit", NULL);
        return -1;
    }
    return 0;
}

static void handle_request(struct evhttp_request *ev, void *arg)
{
    glv_http *http = arg;
    glv_http_request *req = calloc(1, sizeof(*req));
    if (!req) {
        evhttp_send_reply(ev, 503, "Service Unavailable", NULL);
        return;
    }
    req->http = http;
    req->ev = ev;
    req->start_us = now_us();
    struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
    glv_http_conn *conn = evcon ? conn_find(http, evcon) : NULL;
    if (conn) {
        conn->req = req;
        req->conn = conn;
    }
    if (request_prepare(req) < 0)
        return;

    int rc = glv_http_router_match(http->router, req->method, req->path, &req->match);
    switch (rc) {
    case GLV_HTTP_ROUTE_FOUND:
        break;
    case GLV_HTTP_ROUTE_NOT_FOUND:
        glv_http_send_problem(req, 404, NULL, "no resource at this path", NULL);
        return;
    case GLV_HTTP_ROUTE_METHOD: {
        evhttp_add_header(evhttp_request_get_output_headers(ev), "Allow", req->match.allow);
        char detail[160];
        snprintf(detail, sizeof(detail), "%s is not allowed here; allowed: %s", req->method,
                 req->match.allow);
        glv_http_send_problem(req, 405, NULL, detail, NULL);
        return;
    }
    case GLV_HTTP_ROUTE_BAD_PATH:
        glv_http_send_problem(req, 400, NULL, "the path has an invalid percent-encoding", NULL);
        return;
    default:
        glv_http_send_problem(req, 500, NULL, "routing failed", NULL);
        return;
    }
    const glv_http_route *route = req->match.route;
    req->in_handler = true;
    route->fn(req, route->arg);
    req->in_handler = false;
    if (req->replied) {
        glv_http_request_free(req);
        return;
    }
    pending_link(req);
    if (req->conn)
        conn_watch_start(req->conn);
}

/* ---- the server ---- */

static uint64_t section_uint(const json_t *section, const char *key, uint64_t fallback)
{
    const json_t *v = json_object_get(section, key);
    return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v)
                                                           : fallback;
}

static char *format_error(const char *fmt, ...) GLV_PRINTF(1, 2);

static char *format_error(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return strdup(buf);
}

glv_http *glv_http_new(glv_core *core, const json_t *section, char **err)
{
    *err = NULL;
    glv_http *http = calloc(1, sizeof(*http));
    if (!http) {
        *err = strdup("out of memory");
        return NULL;
    }
    http->core = core;
    snprintf(http->state, sizeof(http->state), "starting");
    const json_t *listen = json_object_get(section, "listen");
    http->listen =
        json_is_array(listen) ? json_deep_copy(listen) : json_pack("[s]", "0.0.0.0:8080");
    http->reuse_port = json_is_true(json_object_get(section, "reuse_port"));
    http->max_body = section_uint(section, "max_body", 1u << 20);
    http->max_headers = section_uint(section, "max_headers_size", 32u << 10);
    http->timeout_ms = (uint32_t)section_uint(section, "timeout", 30000);
    if (RAND_bytes((unsigned char *)&http->id_prefix, sizeof(http->id_prefix)) != 1)
        http->id_prefix = (uint64_t)now_us() ^ ((uint64_t)(uintptr_t)http << 16);

    const json_t *tls = json_object_get(section, "tls");
    if (json_is_object(tls) && json_object_get(tls, "certificate")) {
        http->ssl_ctx = glv_tls_server_ctx(tls, err);
        if (!http->ssl_ctx)
            goto fail;
    }
    http->router = glv_http_router_new();
    http->evhttp = evhttp_new(core->base);
    http->connections = glv_metrics_get(core->metrics, "http_connections", GLV_METRIC_GAUGE,
                                        "Open HTTP connections", NULL);
    http->builtin = glv_core_plugin_new(core, "http");
    if (!http->listen || !http->router || !http->evhttp || !http->builtin) {
        *err = strdup("out of memory");
        goto fail;
    }
    evhttp_set_max_body_size(http->evhttp, (ev_ssize_t)http->max_body);
    evhttp_set_max_headers_size(http->evhttp, (ev_ssize_t)http->max_headers);
    struct timeval tv = {.tv_sec = http->timeout_ms / 1000,
                         .tv_usec = (http->timeout_ms % 1000) * 1000};
    evhttp_set_timeout_tv(http->evhttp, &tv);
    evhttp_set_flags(http->evhttp, EVHTTP_SERVER_LINGERING_CLOSE);
    evhttp_set_allowed_methods(http->evhttp, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                                 EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                                 EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    evhttp_set_gencb(http->evhttp, handle_request, http);
    evhttp_set_bevcb(http->evhttp, make_bufferevent, http);
    core->http = http;
    if (glv_http_builtin_routes(http) < 0) {
        *err = strdup("cannot add the built-in routes");
        goto fail;
    }
    return http;
fail:
    if (!*err)
        *err = strdup("cannot create the HTTP server");
    glv_http_free(http);
    return NULL;
}

/* Splits "host:port" / "[v6]:port". 0, or -1 when malformed. */
static int parse_address(const char *text, char *host, size_t host_size, uint16_t *port)
{
    const char *colon = strrchr(text, ':');
    if (!colon || colon == text)
        return -1;
    const char *h = text;
    size_t hlen = (size_t)(colon - text);
    if (h[0] == '[') {
        if (hlen < 3 || h[hlen - 1] != ']')
            return -1;
        h++;
        hlen -= 2;
    } else if (memchr(h, ':', hlen)) {
        return -1; /* IPv6 needs brackets */
    }
    if (hlen == 0 || hlen >= host_size)
        return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    char *end;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || errno || p < 0 || p > 65535)
        return -1;
    *port = (uint16_t)p;
    return 0;
}

/* Binds host:port for evhttp, with SO_REUSEPORT when configured. NULL with
 * errno set on failure. */
static struct evhttp_bound_socket *bind_address(glv_http *http, const char *host, uint16_t port)
{
    char service[8];
    snprintf(service, sizeof(service), "%u", (unsigned)port);
    struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
                             .ai_socktype = SOCK_STREAM,
                             .ai_family = AF_UNSPEC};
    struct addrinfo *res = NULL;
    if (getaddrinfo(host, service, &hints, &res) != 0 || res == NULL) {
        errno = EADDRNOTAVAIL;
        return NULL;
    }
    unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE;
    if (http->reuse_port)
        flags |= LEV_OPT_REUSEABLE_PORT;
    struct evconnlistener *lev = evconnlistener_new_bind(http->core->base, NULL, NULL, flags, 128,
                                                         res->ai_addr, (int)res->ai_addrlen);
    int e = errno;
    freeaddrinfo(res);
    if (!lev) {
        errno = e;
        return NULL;
    }
    struct evhttp_bound_socket *b = evhttp_bind_listener(http->evhttp, lev);
    if (!b) {
        evconnlistener_free(lev);
        errno = ENOMEM;
    }
    return b;
}

int glv_http_listen(glv_http *http, char **err)
{
    *err = NULL;
    size_t n = json_array_size(http->listen);
    http->bound = calloc(n ? n : 1, sizeof(*http->bound));
    http->ports = calloc(n ? n : 1, sizeof(*http->ports));
    if (!http->bound || !http->ports) {
        *err = strdup("out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *addr = json_string_value(json_array_get(http->listen, i));
        char host[256];
        uint16_t port;
        if (!addr || parse_address(addr, host, sizeof(host), &port) < 0) {
            *err = format_error("http.listen: '%s' is not host:port", addr ? addr : "");
            return -1;
        }
        struct evhttp_bound_socket *b = bind_address(http, host, port);
        if (!b) {
            int e = errno;
            *err = format_error("http.listen: cannot listen on %s: %s%s", addr, strerror(e),
                                e == EADDRINUSE ? GLV_ADDRESS_IN_USE_HINT : "");
            return -1;
        }
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int bound_port = -1;
        if (getsockname(evhttp_bound_socket_get_fd(b), (struct sockaddr *)&ss, &sl) == 0) {
            if (ss.ss_family == AF_INET)
                bound_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
            else if (ss.ss_family == AF_INET6)
                bound_port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        }
        http->bound[http->nbound] = b;
        http->ports[http->nbound] = bound_port;
        http->nbound++;
        glv_log(GLV_LOG_INFO, LOG_WHO, "listening on %s (port %d%s%s)", addr, bound_port,
                http->ssl_ctx ? ", TLS" : "", http->reuse_port ? ", reuse_port" : "");
    }
    return 0;
}

int glv_http_port(const glv_http *http, size_t index)
{
    if (!http || index >= http->nbound || !http->bound[index])
        return -1;
    return http->ports[index];
}

void glv_http_stop_accepting(glv_http *http)
{
    if (!http)
        return;
    for (size_t i = 0; i < http->nbound; i++) {
        if (http->bound[i]) {
            evhttp_del_accept_socket(http->evhttp, http->bound[i]);
            http->bound[i] = NULL;
        }
    }
}

void glv_http_set_state(glv_http *http, const char *state)
{
    if (http && state)
        snprintf(http->state, sizeof(http->state), "%s", state);
}

int glv_http_add_route(glv_http *http, glv_plugin *p, const char *method, const char *pattern,
                       glv_http_handler_fn fn, void *arg)
{
    int rc = glv_http_router_add(http->router, method, pattern, fn, arg, p, NULL);
    if (rc == -EEXIST)
        return glv_fail(p, rc, "the route %s %s exists already", method, pattern);
    if (rc < 0)
        return glv_fail(p, rc, "invalid route %s %s", method ? method : "(null)",
                        pattern ? pattern : "(null)");
    return 0;
}

size_t glv_http_pending_count(const glv_http *http)
{
    return http ? http->npending : 0;
}

uint64_t glv_http_discarded_count(const glv_http *http)
{
    return http ? http->discarded : 0;
}

void glv_http_free(glv_http *http)
{
    if (!http)
        return;
    /* Closing every connection detaches the requests still awaiting a
     * reply; their handlers must not answer after this. */
    if (http->evhttp)
        evhttp_free(http->evhttp);
    while (http->pending) {
        glv_http_request *req = http->pending;
        pending_unlink(req);
        glv_http_request_free(req);
    }
    while (http->conns) {
        glv_http_conn *conn = http->conns;
        struct bufferevent *bev = conn->bev;
        conn_release(conn);
        bufferevent_decref(bev);
    }
    glv_http_router_free(http->router);
    if (http->ssl_ctx)
        SSL_CTX_free(http->ssl_ctx);
    json_decref(http->listen);
    free(http->bound);
    free(http->ports);
    if (http->core && http->core->http == http)
        http->core->http = NULL;
    free(http);
}
