/*
 * galvani core — the WebSocket server: listeners, accept, TLS handshake,
 * upgrade dispatch, connection lifecycle, output queues, ping and timeouts.
 *
 * Memory per idle connection is kept small: one struct event per socket,
 * reads go into a loop-wide scratch buffer, and a connection owns buffers
 * only while a frame or message is incomplete or output is queued.
 * Deadlines live in three lists (handshake, open, closing), each kept in
 * deadline order because every deadline in a list is "now + a fixed delay";
 * a periodic tick expires their heads.
 */
#include "log-internal.h"
#include "metrics-internal.h"
#include "tls-internal.h"
#include "ws-internal.h"
#include "ws_frame-internal.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define WS_LOG "websocket"
#define WS_SCRATCH (64 * 1024)
/* Reads per readiness event on a plain socket, so one busy peer cannot
 * starve the others. */
#define WS_READS_PER_EVENT 4

static const glv_config_field listener_schema[] = {
    {.key = "name",
     .type = GLV_CFG_STRING,
     .flags = GLV_CFG_REQUIRED,
     .help = "listener name, given to plugins with each upgrade"},
    {.key = "address",
     .type = GLV_CFG_STRING,
     .flags = GLV_CFG_REQUIRED,
     .help = "host:port to bind ([v6]:port for IPv6; port 0 picks one)"},
    {.key = "reuse_port",
     .type = GLV_CFG_BOOL,
     .default_text = "false",
     .help = "SO_REUSEPORT: several galvanid processes listen on this address and the kernel "
             "spreads new connections between them (every one of them must set it)"},
    {.key = "tls",
     .type = GLV_CFG_OBJECT,
     .children = glv_tls_config_schema,
     .help = "serve wss:// with these certificates"},
    {.key = NULL},
};

const glv_config_field glv_ws_config_schema[] = {
    {.key = "listeners",
     .type = GLV_CFG_OBJECT_LIST,
     .children = listener_schema,
     .default_text = "[{name: ocpp, address: \"0.0.0.0:9000\"}]",
     .help = "where chargers connect"},
    {.key = "max_frame",
     .type = GLV_CFG_SIZE,
     .default_text = "64k",
     .min = 125,
     .max = INT64_C(1) << 32,
     .help = "largest frame payload accepted"},
    {.key = "max_message",
     .type = GLV_CFG_SIZE,
     .default_text = "256k",
     .min = 125,
     .max = INT64_C(1) << 32,
     .help = "largest reassembled message accepted"},
    {.key = "max_output",
     .type = GLV_CFG_SIZE,
     .default_text = "1M",
     .min = 1024,
     .max = INT64_C(1) << 32,
     .help = "output queued per connection before sends are refused"},
    {.key = "ping_interval",
     .type = GLV_CFG_DURATION,
     .default_text = "60s",
     .min = 0,
     .max = INT64_C(86400000),
     .help = "ping idle peers this often and close those that miss a pong (0: off)"},
    {.key = "handshake_timeout",
     .type = GLV_CFG_DURATION,
     .default_text = "10s",
     .min = 1,
     .max = INT64_C(3600000),
     .help = "time allowed for TLS and the upgrade request"},
    {.key = NULL},
};

enum conn_state {
    ST_TLS,     /* TLS handshake */
    ST_HTTP,    /* reading the upgrade request */
    ST_PENDING, /* the plugin decides */
    ST_OPEN,
    ST_CLOSING, /* our close frame sent; waiting for the peer's */
    ST_LINGER,  /* last bytes being flushed, then the socket is closed */
    ST_DEAD,
};

enum conn_list { L_HANDSHAKE, L_OPEN, L_CLOSING, L_COUNT };

typedef struct ws_listener {
    glv_ws *ws;
    char *name;
    char *address;
    SSL_CTX *ssl_ctx; /* NULL on plain listeners */
    struct evconnlistener *lev;
    struct event *retry; /* re-enables accepting after EMFILE */
    int port;
    bool reuse_port;
} ws_listener;

struct glv_ws_upgrade {
    glv_ws_conn *conn; /* NULL once the client left */
    char *buf;         /* request bytes (and any that followed) */
    size_t len, cap;
    size_t head_len;
    glv_ws_request req;
    const glv_ws_reg *reg;
    char *path; /* full path, without the query */
    char *tail; /* decoded path after the prefix */
    char *client_cn;
};

struct glv_ws_conn {
    struct event ev;
    glv_ws_conn *prev, *next; /* in ws->lists[list] */
    ws_listener *listener;
    SSL *ssl;
    glv_ws_upgrade *up; /* during the handshake */
    const glv_ws_reg *reg;
    void *conn_arg;
    char *path_tail;
    char *remote;
    uint8_t *out; /* queued output: out[out_head .. out_head + out_len) */
    size_t out_head, out_len, out_cap;
    uint64_t deadline;
    glv_ws_reader reader;
    int fd;
    uint16_t busy;
    uint8_t state;
    uint8_t list;
    uint8_t ev_flags; /* what ev is registered for */
    bool awaiting_pong;
    bool close_sent;
    bool opened;        /* on_open ran: on_close is owed */
    bool write_blocked; /* the last write would block */
    bool ssl_read_wants_write;
    bool broken;         /* a write failed: destroy at the next chance */
    bool free_when_idle; /* destroyed while busy */
};

struct glv_ws {
    glv_core *core;
    ws_listener *listeners;
    size_t nlisteners;
    glv_ws_reg *regs;
    glv_ws_limits limits;
    uint64_t max_output;
    uint64_t ping_ms, handshake_ms;
    struct event *tick;
    uint8_t *scratch; /* WS_SCRATCH + 1 bytes */
    glv_ws_conn *head[L_COUNT], *tail[L_COUNT];
    size_t count;
    bool accepting;
    glv_callback_fn drained;
    void *drained_arg;
    glv_metric *m_conns, *m_msg_in, *m_msg_out, *m_bytes_in, *m_bytes_out;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static glv_ws *conn_ws(const glv_ws_conn *c)
{
    return c->listener->ws;
}

static void metric_add(glv_metric *m, double v)
{
    if (m != NULL)
        glv_metric_add(m, v);
}

/* ---- deadline lists ---- */

static void list_unlink(glv_ws *ws, glv_ws_conn *c)
{
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        ws->head[c->list] = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    else
        ws->tail[c->list] = c->prev;
    c->prev = c->next = NULL;
}

static void list_append(glv_ws *ws, glv_ws_conn *c, enum conn_list l, uint64_t deadline)
{
    c->list = (uint8_t)l;
    c->deadline = deadline;
    c->next = NULL;
    c->prev = ws->tail[l];
    if (ws->tail[l] != NULL)
        ws->tail[l]->next = c;
    else
        ws->head[l] = c;
    ws->tail[l] = c;
}

static void list_move(glv_ws *ws, glv_ws_conn *c, enum conn_list l, uint64_t deadline)
{
    list_unlink(ws, c);
    list_append(ws, c, l, deadline);
}

static uint64_t open_deadline(const glv_ws *ws)
{
    return ws->ping_ms > 0 ? now_ms() + ws->ping_ms : UINT64_MAX;
}

/* ---- socket I/O ---- */

static void conn_cb(evutil_socket_t fd, short what, void *arg);

/* Registers ev for reading, and for writing when something waits for it. */
static void conn_update_events(glv_ws_conn *c)
{
    if (c->state == ST_DEAD)
        return;
    uint8_t want = EV_READ | EV_PERSIST;
    if ((c->out_len > 0 && c->write_blocked) || c->ssl_read_wants_write)
        want |= EV_WRITE;
    if (want == c->ev_flags)
        return;
    event_del(&c->ev);
    event_assign(&c->ev, conn_ws(c)->core->base, c->fd, want, conn_cb, c);
    event_add(&c->ev, NULL);
    c->ev_flags = want;
}

/* Writes queued output until done or the socket blocks. */
static void conn_flush(glv_ws_conn *c)
{
    if (c->broken)
        return;
    while (c->out_len > 0) {
        const uint8_t *p = c->out + c->out_head;
        ssize_t n;
        if (c->ssl != NULL) {
            ERR_clear_error();
            int r = SSL_write(c->ssl, p, c->out_len > INT32_MAX ? INT32_MAX : (int)c->out_len);
            if (r <= 0) {
                int e = SSL_get_error(c->ssl, r);
                if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
                    c->write_blocked = true;
                    return;
                }
                c->broken = true;
                return;
            }
            n = r;
        } else {
            n = send(c->fd, p, c->out_len, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                    c->write_blocked = true;
                    return;
                }
                c->broken = true;
                return;
            }
        }
        c->out_head += (size_t)n;
        c->out_len -= (size_t)n;
    }
    c->write_blocked = false;
    /* Idle connections keep no output buffer. */
    free(c->out);
    c->out = NULL;
    c->out_head = c->out_cap = 0;
}

/* Appends the pieces to the output queue. -ENOMEM on failure. */
static int conn_queue(glv_ws_conn *c, const struct iovec *iov, int n)
{
    size_t add = 0;
    for (int i = 0; i < n; i++)
        add += iov[i].iov_len;
    if (c->out_head > 0 && c->out_head + c->out_len + add > c->out_cap) {
        memmove(c->out, c->out + c->out_head, c->out_len);
        c->out_head = 0;
    }
    if (c->out_head + c->out_len + add > c->out_cap) {
        size_t cap = c->out_cap * 2;
        if (cap < c->out_len + add)
            cap = c->out_len + add;
        uint8_t *o = realloc(c->out, cap);
        if (o == NULL)
            return -ENOMEM;
        c->out = o;
        c->out_cap = cap;
    }
    for (int i = 0; i < n; i++) {
        memcpy(c->out + c->out_head + c->out_len, iov[i].iov_base, iov[i].iov_len);
        c->out_len += iov[i].iov_len;
    }
    return 0;
}

/* Sends the pieces: straight to a plain socket when nothing is queued, the
 * rest (or everything on TLS) through the queue. */
static int conn_write(glv_ws_conn *c, struct iovec *iov, int n)
{
    if (c->broken)
        return -EPIPE;
    if (c->ssl == NULL && c->out_len == 0) {
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
        ssize_t w = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                c->broken = true;
                event_active(&c->ev, EV_WRITE, 0);
                return -EPIPE;
            }
            w = 0;
        }
        size_t skip = (size_t)w;
        int first = 0;
        while (first < n && skip >= iov[first].iov_len)
            skip -= iov[first++].iov_len;
        if (first == n)
            return 0;
        iov[first].iov_base = (char *)iov[first].iov_base + skip;
        iov[first].iov_len -= skip;
        if (conn_queue(c, iov + first, n - first) != 0)
            return -ENOMEM;
        c->write_blocked = true;
    } else {
        if (conn_queue(c, iov, n) != 0)
            return -ENOMEM;
        conn_flush(c);
    }
    if (c->broken) {
        event_active(&c->ev, EV_WRITE, 0);
        return -EPIPE;
    }
    if (c->busy == 0)
        conn_update_events(c);
    return 0;
}

static int conn_send_frame(glv_ws_conn *c, unsigned opcode, const void *data, size_t len)
{
    uint8_t hdr[GLV_WS_MAX_HEADER];
    size_t hlen = glv_ws_frame_header(hdr, opcode, true, len, NULL);
    struct iovec iov[2] = {{hdr, hlen}, {(void *)data, len}};
    return conn_write(c, iov, len > 0 ? 2 : 1);
}

/* Reads into buf. Returns bytes read, 0 at EOF, -EAGAIN, or -EIO. */
static ssize_t conn_read(glv_ws_conn *c, uint8_t *buf, size_t cap)
{
    if (c->ssl != NULL) {
        c->ssl_read_wants_write = false;
        ERR_clear_error();
        int r = SSL_read(c->ssl, buf, (int)cap);
        if (r > 0)
            return r;
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ)
            return -EAGAIN;
        if (e == SSL_ERROR_WANT_WRITE) {
            c->ssl_read_wants_write = true;
            return -EAGAIN;
        }
        return e == SSL_ERROR_ZERO_RETURN ? 0 : -EIO;
    }
    ssize_t n = recv(c->fd, buf, cap, 0);
    if (n >= 0)
        return n;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return -EAGAIN;
    return -EIO;
}

/* ---- lifecycle ---- */

static void upgrade_free(glv_ws_upgrade *up)
{
    if (up == NULL)
        return;
    free(up->buf);
    free(up->path);
    free(up->tail);
    free(up->client_cn);
    free(up);
}

static void conn_free(glv_ws_conn *c)
{
    glv_ws_reader_reset(&c->reader);
    free(c->out);
    free(c->path_tail);
    free(c->remote);
    free(c);
}

static void ws_drained_cb(evutil_socket_t fd, short what, void *arg)
{
    glv_ws *ws = arg;
    glv_callback_fn fn = ws->drained;
    ws->drained = NULL;
    if (fn != NULL)
        fn(ws->drained_arg);
}

/* Reports the end to the plugin once. */
static void conn_notify_close(glv_ws_conn *c, uint16_t code, const char *reason)
{
    if (!c->opened)
        return;
    c->opened = false;
    glv_ws *ws = conn_ws(c);
    metric_add(ws->m_conns, -1);
    if (c->reg->handlers->on_close != NULL) {
        c->busy++;
        c->reg->handlers->on_close(c, code, reason != NULL ? reason : "", c->conn_arg);
        c->busy--;
    }
}

/* Closes the socket and forgets the connection; on_close runs first when the
 * plugin saw it open. The memory goes when no callback is using it. */
static void conn_destroy(glv_ws_conn *c)
{
    if (c->state == ST_DEAD)
        return;
    glv_ws *ws = conn_ws(c);
    bool pending = c->state == ST_PENDING;
    c->state = ST_DEAD;
    conn_notify_close(c, 1006, "");
    if (c->up != NULL) {
        if (pending) {
            /* The plugin holds the upgrade until it answers. */
            c->up->conn = NULL;
        } else {
            upgrade_free(c->up);
        }
        c->up = NULL;
    }
    list_unlink(ws, c);
    event_del(&c->ev);
    if (c->ssl != NULL) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    ws->count--;
    evutil_closesocket(c->fd);
    c->fd = -1;
    if (ws->count == 0 && ws->drained != NULL)
        event_base_once(ws->core->base, -1, EV_TIMEOUT, ws_drained_cb, ws, NULL);
    if (c->busy > 0)
        c->free_when_idle = true;
    else
        conn_free(c);
}

/* Ends a callback section: frees a destroyed connection, or refreshes its
 * event registration. Returns false when the connection is gone. */
static bool conn_release(glv_ws_conn *c)
{
    c->busy--;
    if (c->busy > 0)
        return c->state != ST_DEAD;
    if (c->state == ST_DEAD) {
        if (c->free_when_idle)
            conn_free(c);
        return false;
    }
    if (c->broken) {
        conn_destroy(c);
        return false;
    }
    conn_update_events(c);
    return true;
}

/* Flushes what is queued, then closes: the peer reads our last words. */
static void conn_linger(glv_ws_conn *c)
{
    glv_ws *ws = conn_ws(c);
    c->state = ST_LINGER;
    list_move(ws, c, L_CLOSING, now_ms() + ws->handshake_ms);
    conn_flush(c);
    if (c->out_len == 0 && !c->broken) {
        if (c->ssl != NULL)
            SSL_shutdown(c->ssl);
        shutdown(c->fd, SHUT_WR);
    }
}

/* Sends a close frame with code (0: an empty one) and reason. */
static void conn_send_close(glv_ws_conn *c, uint16_t code, const char *reason)
{
    uint8_t payload[GLV_WS_MAX_CONTROL];
    size_t len = 0;
    if (c->close_sent)
        return;
    c->close_sent = true;
    if (code != 0) {
        payload[0] = (uint8_t)(code >> 8);
        payload[1] = (uint8_t)code;
        len = 2;
        size_t rlen = reason != NULL ? strlen(reason) : 0;
        if (rlen > GLV_WS_MAX_CONTROL - 2)
            rlen = GLV_WS_MAX_CONTROL - 2;
        /* Never cut a UTF-8 sequence in half. */
        while (rlen > 0 && !glv_utf8_valid((const uint8_t *)reason, rlen))
            rlen--;
        memcpy(payload + 2, reason, rlen);
        len += rlen;
    }
    conn_send_frame(c, GLV_WS_OP_CLOSE, payload, len);
}

/* Fails the connection (RFC 6455 §7.1.7): close frame, then the socket. */
static void conn_fail(glv_ws_conn *c, uint16_t code, const char *reason)
{
    conn_send_close(c, code, reason);
    conn_notify_close(c, 1006, reason);
    if (c->state != ST_DEAD)
        conn_linger(c);
}

/* ---- frames in ---- */

/* Feeds received bytes to the frame reader and acts on its events. data
 * has one writable byte after len. */
static void conn_process(glv_ws_conn *c, uint8_t *data, size_t len)
{
    glv_ws *ws = conn_ws(c);
    size_t pos = 0;
    while (c->state == ST_OPEN || c->state == ST_CLOSING) {
        glv_ws_event ev;
        size_t used = 0;
        enum glv_ws_event_type t =
            glv_ws_reader_next(&c->reader, data + pos, len - pos, &used, &ev);
        pos += used;
        switch (t) {
        case GLV_WS_EV_NONE:
            return;
        case GLV_WS_EV_MESSAGE: {
            metric_add(ws->m_msg_in, 1);
            if (c->state != ST_OPEN || c->reg->handlers->on_message == NULL)
                break;
            uint8_t saved = ev.data[ev.len];
            ev.data[ev.len] = '\0';
            c->reg->handlers->on_message(c, (const char *)ev.data, ev.len, ev.is_text, c->conn_arg);
            ev.data[ev.len] = saved;
            break;
        }
        case GLV_WS_EV_PING:
            if (c->state == ST_OPEN)
                conn_send_frame(c, GLV_WS_OP_PONG, ev.data, ev.len);
            break;
        case GLV_WS_EV_PONG:
            if (c->state == ST_OPEN && c->awaiting_pong) {
                c->awaiting_pong = false;
                list_move(ws, c, L_OPEN, open_deadline(ws));
            }
            break;
        case GLV_WS_EV_CLOSE: {
            uint8_t saved = ev.data[ev.len];
            ev.data[ev.len] = '\0';
            if (c->state == ST_OPEN)
                conn_send_close(c, ev.code == 1005 ? 0 : ev.code, (const char *)ev.data);
            conn_notify_close(c, ev.code, (const char *)ev.data);
            ev.data[ev.len] = saved;
            if (c->state != ST_DEAD)
                conn_linger(c);
            return;
        }
        case GLV_WS_EV_ERROR:
            conn_fail(c, ev.code,
                      ev.code == 1009   ? "message too big"
                      : ev.code == 1007 ? "invalid UTF-8"
                                        : "protocol error");
            return;
        }
    }
}

/* ---- the upgrade ---- */

static void conn_reply_error(glv_ws_conn *c, int status, const char *reason)
{
    char body[256];
    snprintf(body, sizeof body, "%s\n",
             reason != NULL && reason[0] != '\0' ? reason : glv_ws_status_text(status));
    /* Keep the reason on one line of printable text. */
    for (char *p = body; *p != '\0' && p[1] != '\0'; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n%s%s\r\n",
                     status, glv_ws_status_text(status), strlen(body),
                     status == 426 ? "Sec-WebSocket-Version: 13\r\n" : "",
                     status == 401 ? "WWW-Authenticate: Basic realm=\"galvani\"\r\n" : "");
    struct iovec iov[2] = {{head, (size_t)n}, {body, strlen(body)}};
    conn_write(c, iov, 2);
    if (c->state != ST_DEAD)
        conn_linger(c);
}

static void conn_handle_request(glv_ws_conn *c)
{
    glv_ws *ws = conn_ws(c);
    glv_ws_upgrade *up = c->up;
    int status = glv_ws_request_check(&up->req);
    const glv_ws_reg *reg = NULL;
    if (status == 0)
        reg = glv_ws_select(ws->regs, &up->req, &status);
    if (reg == NULL) {
        conn_reply_error(c, status, NULL);
        return;
    }
    size_t plen = strcspn(up->req.target, "?#");
    up->path = strndup(up->req.target, plen);
    if (up->path == NULL) {
        conn_reply_error(c, 500, NULL);
        return;
    }
    up->tail = glv_ws_percent_decode(up->path + strlen(reg->prefix));
    if (up->tail == NULL) {
        conn_reply_error(c, 400, "invalid percent-encoding in the path");
        return;
    }
    if (c->ssl != NULL)
        up->client_cn = glv_tls_peer_cn(c->ssl);
    up->reg = reg;
    c->state = ST_PENDING;
    reg->handlers->on_upgrade(up, reg->arg);
}

/* Reads into the upgrade buffer and handles a complete request. */
static void conn_read_request(glv_ws_conn *c)
{
    glv_ws *ws = conn_ws(c);
    for (;;) {
        ssize_t n = conn_read(c, ws->scratch, WS_SCRATCH);
        if (n == -EAGAIN)
            return;
        if (n <= 0) {
            conn_destroy(c);
            return;
        }
        glv_ws_upgrade *up = c->up;
        if (up->len + (size_t)n > GLV_WS_MAX_REQUEST) {
            if (c->state == ST_HTTP)
                conn_reply_error(c, 431, NULL);
            else
                conn_destroy(c);
            return;
        }
        if (up->len + (size_t)n + 1 > up->cap) {
            size_t cap = up->len + (size_t)n + 1;
            if (cap < 1024)
                cap = 1024;
            char *b = realloc(up->buf, cap);
            if (b == NULL) {
                conn_destroy(c);
                return;
            }
            up->buf = b;
            up->cap = cap;
        }
        memcpy(up->buf + up->len, ws->scratch, (size_t)n);
        up->len += (size_t)n;
        up->buf[up->len] = '\0';
        if (c->state != ST_HTTP)
            continue; /* bytes sent ahead of our answer wait in the buffer */
        int r = glv_ws_request_parse(up->buf, up->len, &up->req);
        if (r == 0)
            continue;
        if (r < 0) {
            conn_reply_error(c, -r, NULL);
            return;
        }
        up->head_len = (size_t)r;
        conn_handle_request(c);
        return;
    }
}

static void conn_read_frames(glv_ws_conn *c)
{
    glv_ws *ws = conn_ws(c);
    for (int i = 0; c->ssl != NULL || i < WS_READS_PER_EVENT; i++) {
        ssize_t n = conn_read(c, ws->scratch, WS_SCRATCH);
        if (n == -EAGAIN)
            return;
        if (n <= 0) {
            if (c->state == ST_LINGER)
                conn_destroy(c);
            else {
                conn_notify_close(c, 1006, "");
                conn_destroy(c);
            }
            return;
        }
        metric_add(ws->m_bytes_in, (double)n);
        if (c->state == ST_LINGER)
            continue; /* discarded */
        conn_process(c, ws->scratch, (size_t)n);
        if (c->state != ST_OPEN && c->state != ST_CLOSING && c->state != ST_LINGER)
            return;
        if ((size_t)n < WS_SCRATCH && c->ssl == NULL)
            return;
    }
}

static void conn_tls_handshake(glv_ws_conn *c)
{
    ERR_clear_error();
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
        c->ssl_read_wants_write = false;
        c->state = ST_HTTP;
        return;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ) {
        c->ssl_read_wants_write = false;
        return;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
        c->ssl_read_wants_write = true;
        return;
    }
    char why[160] = "connection closed";
    unsigned long err = ERR_peek_last_error();
    if (err != 0)
        ERR_error_string_n(err, why, sizeof why);
    glv_log(GLV_LOG_INFO, WS_LOG, "%s: TLS handshake with %s failed: %s", c->listener->name,
            c->remote, why);
    conn_destroy(c);
}

static void conn_cb(evutil_socket_t fd, short what, void *arg)
{
    glv_ws_conn *c = arg;
    c->busy++;
    if (c->broken) {
        conn_destroy(c);
        conn_release(c);
        return;
    }
    if (c->out_len > 0) {
        conn_flush(c);
        if (c->broken) {
            conn_destroy(c);
            conn_release(c);
            return;
        }
        if (c->state == ST_LINGER && c->out_len == 0) {
            if (c->ssl != NULL)
                SSL_shutdown(c->ssl);
            shutdown(c->fd, SHUT_WR);
        }
    }
    if (c->state == ST_TLS)
        conn_tls_handshake(c);
    if (c->state == ST_HTTP || c->state == ST_PENDING)
        conn_read_request(c);
    else if (c->state == ST_OPEN || c->state == ST_CLOSING || c->state == ST_LINGER)
        conn_read_frames(c);
    conn_release(c);
}

/* ---- the host table's operations ---- */

int glv_ws_upgrade_accept(glv_ws_upgrade *up, void *conn_arg)
{
    glv_ws_conn *c = up->conn;
    if (c == NULL) {
        upgrade_free(up);
        return -ENOTCONN;
    }
    glv_ws *ws = conn_ws(c);
    c->busy++;
    const char *key = glv_ws_request_header(&up->req, "Sec-WebSocket-Key");
    char accept[29];
    glv_ws_accept_key(key, accept);
    const char *sp = up->reg->subprotocol;
    bool offered = glv_ws_request_header(&up->req, "Sec-WebSocket-Protocol") != NULL;
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n%s%s%s\r\n",
                     accept, offered ? "Sec-WebSocket-Protocol: " : "", offered ? sp : "",
                     offered ? "\r\n" : "");
    struct iovec iov = {head, (size_t)n};
    conn_write(c, &iov, 1);

    /* Bytes the client sent after its request are its first frames. */
    uint8_t *early = NULL;
    size_t early_len = up->len - up->head_len;
    if (early_len > 0) {
        early = malloc(early_len + 1);
        if (early != NULL)
            memcpy(early, up->buf + up->head_len, early_len);
    }
    c->reg = up->reg;
    c->conn_arg = conn_arg;
    c->path_tail = up->tail;
    up->tail = NULL;
    c->up = NULL;
    upgrade_free(up);
    glv_ws_reader_init(&c->reader, &ws->limits);
    c->state = ST_OPEN;
    c->opened = true;
    list_move(ws, c, L_OPEN, open_deadline(ws));
    metric_add(ws->m_conns, 1);
    if (c->broken) {
        conn_destroy(c);
    } else {
        if (c->reg->handlers->on_open != NULL)
            c->reg->handlers->on_open(c, c->conn_arg);
        if (early != NULL && c->state == ST_OPEN)
            conn_process(c, early, early_len);
    }
    free(early);
    conn_release(c);
    return 0;
}

void glv_ws_upgrade_reject(glv_ws_upgrade *up, int http_status, const char *reason)
{
    glv_ws_conn *c = up->conn;
    if (c == NULL) {
        upgrade_free(up);
        return;
    }
    if (http_status < 400 || http_status > 599)
        http_status = 403;
    c->busy++;
    c->up = NULL;
    upgrade_free(up);
    conn_reply_error(c, http_status, reason);
    conn_release(c);
}

const char *glv_ws_upgrade_get(glv_ws_upgrade *up, int what)
{
    switch (what) {
    case GLV_WS_F_PATH:
        return up->path;
    case GLV_WS_F_PATH_TAIL:
        return up->tail;
    case GLV_WS_F_SUBPROTOCOL:
        return glv_ws_request_header(&up->req, "Sec-WebSocket-Protocol") != NULL
                   ? up->reg->subprotocol
                   : "";
    case GLV_WS_F_REMOTE_ADDR:
        return up->conn != NULL ? up->conn->remote : NULL;
    case GLV_WS_F_LISTENER:
        return up->conn != NULL ? up->conn->listener->name : NULL;
    case GLV_WS_F_CLIENT_CN:
        return up->client_cn;
    default:
        return NULL;
    }
}

const char *glv_ws_upgrade_header(glv_ws_upgrade *up, const char *name)
{
    return glv_ws_request_header(&up->req, name);
}

int glv_ws_upgrade_is_tls(glv_ws_upgrade *up)
{
    return up->conn != NULL && up->conn->ssl != NULL;
}

int glv_ws_conn_send(glv_ws_conn *c, const char *data, size_t len, int is_text)
{
    if (c->state != ST_OPEN || c->broken)
        return -EPIPE;
    glv_ws *ws = conn_ws(c);
    if (c->out_len + len + GLV_WS_MAX_HEADER > ws->max_output)
        return -ENOBUFS;
    int r = conn_send_frame(c, is_text ? GLV_WS_OP_TEXT : GLV_WS_OP_BINARY, data, len);
    if (r == 0) {
        metric_add(ws->m_msg_out, 1);
        metric_add(ws->m_bytes_out, (double)len);
    }
    return r;
}

void glv_ws_conn_close(glv_ws_conn *c, uint16_t code, const char *reason)
{
    if (c->state != ST_OPEN)
        return;
    glv_ws *ws = conn_ws(c);
    if (!glv_ws_close_code_valid(code))
        code = GLV_WS_CLOSE_NORMAL;
    conn_send_close(c, code, reason);
    c->state = ST_CLOSING;
    list_move(ws, c, L_CLOSING, now_ms() + ws->handshake_ms);
    if (c->busy == 0 && c->broken)
        conn_destroy(c);
}

void glv_ws_conn_set_arg(glv_ws_conn *c, void *conn_arg)
{
    c->conn_arg = conn_arg;
}

const char *glv_ws_conn_get(glv_ws_conn *c, int what)
{
    switch (what) {
    case GLV_WS_F_PATH_TAIL:
        return c->path_tail;
    case GLV_WS_F_SUBPROTOCOL:
        return c->reg != NULL ? c->reg->subprotocol : NULL;
    case GLV_WS_F_REMOTE_ADDR:
        return c->remote;
    case GLV_WS_F_LISTENER:
        return c->listener->name;
    default:
        return NULL;
    }
}

size_t glv_ws_conn_pending(glv_ws_conn *c)
{
    return c->out_len;
}

/* ---- accept ---- */

static char *format_addr(const struct sockaddr *sa)
{
    char host[INET6_ADDRSTRLEN] = "?", port[8] = "0";
    socklen_t len =
        sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    getnameinfo(sa, len, host, sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV);
    char buf[INET6_ADDRSTRLEN + 10];
    snprintf(buf, sizeof buf, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
    return strdup(buf);
}

static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
    ws_listener *l = arg;
    glv_ws *ws = l->ws;
    glv_ws_conn *c = calloc(1, sizeof *c);
    glv_ws_upgrade *up = calloc(1, sizeof *up);
    char *remote = format_addr(sa);
    if (c == NULL || up == NULL || remote == NULL) {
        free(c);
        free(up);
        free(remote);
        evutil_closesocket(fd);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd = fd;
    c->listener = l;
    c->remote = remote;
    c->up = up;
    up->conn = c;
    c->state = ST_HTTP;
    if (l->ssl_ctx != NULL) {
        c->ssl = SSL_new(l->ssl_ctx);
        if (c->ssl == NULL || SSL_set_fd(c->ssl, fd) != 1) {
            SSL_free(c->ssl);
            upgrade_free(up);
            conn_free(c);
            evutil_closesocket(fd);
            return;
        }
        SSL_set_accept_state(c->ssl);
        c->state = ST_TLS;
    }
    ws->count++;
    list_append(ws, c, L_HANDSHAKE, now_ms() + ws->handshake_ms);
    c->ev_flags = EV_READ | EV_PERSIST;
    event_assign(&c->ev, ws->core->base, fd, c->ev_flags, conn_cb, c);
    event_add(&c->ev, NULL);
}

static void accept_retry_cb(evutil_socket_t fd, short what, void *arg)
{
    ws_listener *l = arg;
    if (l->lev != NULL && l->ws->accepting)
        evconnlistener_enable(l->lev);
}

static void accept_error_cb(struct evconnlistener *lev, void *arg)
{
    ws_listener *l = arg;
    int e = EVUTIL_SOCKET_ERROR();
    glv_log(GLV_LOG_WARNING, WS_LOG, "%s: accept: %s; pausing for 100 ms", l->name,
            evutil_socket_error_to_string(e));
    /* Out of descriptors: stop accepting for a moment instead of spinning. */
    evconnlistener_disable(lev);
    struct timeval tv = {0, 100000};
    evtimer_add(l->retry, &tv);
}

/* ---- the tick: timeouts and pings ---- */

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    glv_ws *ws = arg;
    uint64_t now = now_ms();
    glv_ws_conn *c;
    while ((c = ws->head[L_HANDSHAKE]) != NULL && c->deadline <= now)
        conn_destroy(c);
    while ((c = ws->head[L_CLOSING]) != NULL && c->deadline <= now) {
        c->busy++;
        conn_notify_close(c, 1006, "close timeout");
        conn_destroy(c);
        conn_release(c);
    }
    if (ws->ping_ms == 0)
        return;
    while ((c = ws->head[L_OPEN]) != NULL && c->deadline <= now) {
        c->busy++;
        if (c->awaiting_pong) {
            conn_send_close(c, GLV_WS_CLOSE_GOING_AWAY, "ping timeout");
            conn_notify_close(c, 1006, "ping timeout");
            conn_destroy(c);
        } else {
            c->awaiting_pong = true;
            list_move(ws, c, L_OPEN, now + ws->ping_ms);
            conn_send_frame(c, GLV_WS_OP_PING, NULL, 0);
        }
        conn_release(c);
    }
}

/* ---- registrations ---- */

int glv_ws_add_registration(glv_ws *ws, glv_plugin *p, const char *prefix, const char *subprotocol,
                            uint32_t flags, const glv_ws_handlers *handlers, void *arg)
{
    if (prefix == NULL || prefix[0] != '/' || subprotocol == NULL || handlers == NULL ||
        handlers->on_upgrade == NULL)
        return -EINVAL;
    for (const char *s = subprotocol; *s != '\0'; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7F || strchr(",;\"", *s))
            return -EINVAL;
    for (glv_ws_reg *r = ws->regs; r != NULL; r = r->next) {
        if (strcmp(r->prefix, prefix) != 0)
            continue;
        if (strcmp(r->subprotocol, subprotocol) == 0)
            return -EEXIST;
        if ((flags & GLV_WS_DEFAULT_SUBPROTOCOL) && (r->flags & GLV_WS_DEFAULT_SUBPROTOCOL))
            return -EEXIST;
    }
    glv_ws_reg *r = calloc(1, sizeof *r);
    if (r == NULL)
        return -ENOMEM;
    r->prefix = strdup(prefix);
    r->subprotocol = strdup(subprotocol);
    if (r->prefix == NULL || r->subprotocol == NULL) {
        free(r->prefix);
        free(r->subprotocol);
        free(r);
        return -ENOMEM;
    }
    r->plugin = p;
    r->flags = flags;
    r->handlers = handlers;
    r->arg = arg;
    /* Kept in registration order. */
    glv_ws_reg **tailp = &ws->regs;
    while (*tailp != NULL)
        tailp = &(*tailp)->next;
    *tailp = r;
    return 0;
}

/* ---- the server ---- */

static char *errf(const char *fmt, ...) GLV_PRINTF(1, 2);

static char *errf(const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

static uint64_t cfg_u64(const json_t *section, const char *key, uint64_t dflt)
{
    const json_t *v = json_object_get(section, key);
    return json_is_integer(v) && json_integer_value(v) >= 0 ? (uint64_t)json_integer_value(v)
                                                            : dflt;
}

glv_ws *glv_ws_new(glv_core *core, const json_t *section, char **err)
{
    *err = NULL;
    glv_ws *ws = calloc(1, sizeof *ws);
    if (ws == NULL) {
        *err = strdup("websocket: out of memory");
        return NULL;
    }
    ws->core = core;
    ws->accepting = true;
    ws->limits.max_frame = cfg_u64(section, "max_frame", 64 * 1024);
    ws->limits.max_message = cfg_u64(section, "max_message", 256 * 1024);
    ws->limits.require_mask = true;
    ws->max_output = cfg_u64(section, "max_output", 1024 * 1024);
    ws->ping_ms = cfg_u64(section, "ping_interval", 60000);
    ws->handshake_ms = cfg_u64(section, "handshake_timeout", 10000);
    if (ws->handshake_ms == 0)
        ws->handshake_ms = 10000;
    if (ws->limits.max_frame > ws->limits.max_message)
        ws->limits.max_frame = ws->limits.max_message;

    const json_t *listeners = json_object_get(section, "listeners");
    json_t *dflt = NULL;
    if (!json_is_array(listeners)) {
        dflt = json_pack("[{s:s, s:s}]", "name", "ocpp", "address", "0.0.0.0:9000");
        listeners = dflt;
    }
    size_t n = json_array_size(listeners);
    ws->listeners = calloc(n > 0 ? n : 1, sizeof *ws->listeners);
    ws->scratch = malloc(WS_SCRATCH + 1);
    if (ws->listeners == NULL || ws->scratch == NULL) {
        *err = strdup("websocket: out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *item = json_array_get(listeners, i);
        ws_listener *l = &ws->listeners[ws->nlisteners++];
        l->ws = ws;
        l->port = -1;
        const char *name = json_string_value(json_object_get(item, "name"));
        const char *addr = json_string_value(json_object_get(item, "address"));
        if (name == NULL || addr == NULL) {
            *err = errf("websocket: listeners[%zu]: name and address are required", i);
            goto fail;
        }
        l->name = strdup(name);
        l->address = strdup(addr);
        if (l->name == NULL || l->address == NULL) {
            *err = strdup("websocket: out of memory");
            goto fail;
        }
        l->reuse_port = json_is_true(json_object_get(item, "reuse_port"));
        const json_t *tls = json_object_get(item, "tls");
        if (json_is_object(tls)) {
            char *terr = NULL;
            l->ssl_ctx = glv_tls_server_ctx(tls, &terr);
            if (l->ssl_ctx == NULL) {
                *err = errf("websocket: listener %s: %s", name, terr ? terr : "TLS error");
                free(terr);
                goto fail;
            }
        }
    }
    uint64_t tick = ws->handshake_ms;
    if (ws->ping_ms > 0 && ws->ping_ms < tick)
        tick = ws->ping_ms;
    tick /= 4;
    if (tick < 10)
        tick = 10;
    if (tick > 1000)
        tick = 1000;
    ws->tick = event_new(core->base, -1, EV_PERSIST, tick_cb, ws);
    if (ws->tick == NULL) {
        *err = strdup("websocket: cannot create the timer");
        goto fail;
    }
    struct timeval tv = {(time_t)(tick / 1000), (suseconds_t)((tick % 1000) * 1000)};
    event_add(ws->tick, &tv);
    if (core->metrics != NULL) {
        ws->m_conns = glv_metrics_get(core->metrics, "ws_connections", GLV_METRIC_GAUGE,
                                      "Open WebSocket connections", NULL);
        ws->m_msg_in = glv_metrics_get(core->metrics, "ws_messages_in", GLV_METRIC_COUNTER,
                                       "WebSocket messages received", NULL);
        ws->m_msg_out = glv_metrics_get(core->metrics, "ws_messages_out", GLV_METRIC_COUNTER,
                                        "WebSocket messages sent", NULL);
        ws->m_bytes_in = glv_metrics_get(core->metrics, "ws_bytes_in", GLV_METRIC_COUNTER,
                                         "WebSocket bytes received (with framing)", NULL);
        ws->m_bytes_out = glv_metrics_get(core->metrics, "ws_bytes_out", GLV_METRIC_COUNTER,
                                          "WebSocket payload bytes sent", NULL);
    }
    json_decref(dflt);
    core->ws = ws;
    return ws;

fail:
    json_decref(dflt);
    if (*err == NULL)
        *err = strdup("websocket: out of memory");
    glv_ws_free(ws);
    return NULL;
}

/* Splits "host:port" / "[v6]:port" and resolves it for binding. */
static int resolve(const char *address, struct sockaddr_storage *ss, socklen_t *sslen)
{
    char host[256];
    const char *colon = strrchr(address, ':');
    if (colon == NULL || colon == address || (size_t)(colon - address) >= sizeof host)
        return -1;
    size_t hlen = (size_t)(colon - address);
    memcpy(host, address, hlen);
    host[hlen] = '\0';
    char *h = host;
    if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']') {
        h[hlen - 1] = '\0';
        h++;
    }
    const char *port = colon + 1;
    if (*port == '\0' || strspn(port, "0123456789") != strlen(port) || atoi(port) > 65535)
        return -1;
    struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
                             .ai_socktype = SOCK_STREAM,
                             .ai_family = AF_UNSPEC};
    struct addrinfo *res = NULL;
    if (getaddrinfo(strcmp(h, "*") == 0 ? NULL : h, port, &hints, &res) != 0 || res == NULL)
        return -1;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *sslen = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

int glv_ws_listen(glv_ws *ws, char **err)
{
    *err = NULL;
    /* OpenSSL writes to sockets with write(): a peer that resets must not
     * kill the process. Only the default disposition is changed. */
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
        sa.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &sa, NULL);
    }
    if (!ws->accepting)
        return 0;
    for (size_t i = 0; i < ws->nlisteners; i++) {
        ws_listener *l = &ws->listeners[i];
        if (l->lev != NULL)
            continue;
        struct sockaddr_storage ss;
        socklen_t sslen = 0;
        if (resolve(l->address, &ss, &sslen) != 0) {
            *err = errf("websocket: listener %s: invalid address \"%s\"", l->name, l->address);
            return -1;
        }
        unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC;
        if (l->reuse_port)
            flags |= LEV_OPT_REUSEABLE_PORT;
        l->lev = evconnlistener_new_bind(ws->core->base, accept_cb, l, flags, 4096,
                                         (struct sockaddr *)&ss, (int)sslen);
        if (l->lev == NULL) {
            int e = errno;
            *err = errf("websocket: listener %s: cannot listen on %s: %s%s", l->name, l->address,
                        strerror(e), e == EADDRINUSE ? GLV_ADDRESS_IN_USE_HINT : "");
            return -1;
        }
        l->retry = evtimer_new(ws->core->base, accept_retry_cb, l);
        evconnlistener_set_error_cb(l->lev, accept_error_cb);
        struct sockaddr_storage bound;
        socklen_t blen = sizeof bound;
        if (getsockname(evconnlistener_get_fd(l->lev), (struct sockaddr *)&bound, &blen) == 0)
            l->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                        : ((struct sockaddr_in *)&bound)->sin_port);
        glv_log(GLV_LOG_INFO, WS_LOG, "listener %s on %s (port %d, %s%s)", l->name, l->address,
                l->port, l->ssl_ctx != NULL ? "wss" : "ws", l->reuse_port ? ", reuse_port" : "");
    }
    return 0;
}

int glv_ws_listener_port(const glv_ws *ws, const char *name)
{
    for (size_t i = 0; i < ws->nlisteners; i++)
        if (strcmp(ws->listeners[i].name, name) == 0)
            return ws->listeners[i].lev != NULL ? ws->listeners[i].port : -1;
    return -1;
}

/* Closes the listening sockets rather than pausing them: with reuse_port the
 * kernel then hands new connections to the other processes on the address,
 * instead of queueing them here until this process exits. */
void glv_ws_stop_accepting(glv_ws *ws)
{
    ws->accepting = false;
    for (size_t i = 0; i < ws->nlisteners; i++) {
        ws_listener *l = &ws->listeners[i];
        if (l->lev != NULL) {
            evconnlistener_free(l->lev);
            l->lev = NULL;
        }
    }
}

void glv_ws_close_all(glv_ws *ws, glv_callback_fn done, void *arg)
{
    ws->drained = done;
    ws->drained_arg = arg;
    glv_ws_conn *c;
    while ((c = ws->head[L_HANDSHAKE]) != NULL)
        conn_destroy(c);
    while ((c = ws->head[L_OPEN]) != NULL) {
        c->busy++;
        glv_ws_conn_close(c, GLV_WS_CLOSE_GOING_AWAY, "server shutting down");
        if (c->state == ST_OPEN) /* could not even queue the frame */
            conn_destroy(c);
        conn_release(c);
    }
    if (ws->count == 0 && done != NULL)
        event_base_once(ws->core->base, -1, EV_TIMEOUT, ws_drained_cb, ws, NULL);
}

size_t glv_ws_connection_count(const glv_ws *ws)
{
    return ws->count;
}

void glv_ws_free(glv_ws *ws)
{
    if (ws == NULL)
        return;
    for (int l = 0; l < L_COUNT; l++) {
        glv_ws_conn *c;
        while ((c = ws->head[l]) != NULL) {
            c->opened = false; /* plugins are gone by now */
            conn_destroy(c);
        }
    }
    for (size_t i = 0; i < ws->nlisteners; i++) {
        ws_listener *l = &ws->listeners[i];
        if (l->lev != NULL)
            evconnlistener_free(l->lev);
        if (l->retry != NULL)
            event_free(l->retry);
        SSL_CTX_free(l->ssl_ctx);
        free(l->name);
        free(l->address);
    }
    free(ws->listeners);
    while (ws->regs != NULL) {
        glv_ws_reg *r = ws->regs;
        ws->regs = r->next;
        free(r->prefix);
        free(r->subprotocol);
        free(r);
    }
    if (ws->tick != NULL)
        event_free(ws->tick);
    free(ws->scratch);
    if (ws->core != NULL && ws->core->ws == ws)
        ws->core->ws = NULL;
    free(ws);
}
