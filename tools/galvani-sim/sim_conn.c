#include "sim_conn.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { ST_IDLE = 0, ST_CONNECTING, ST_TLS, ST_READY };

#define READ_CHUNK 65536

/* Every connection reads into this buffer. */
static char *shared_in;

static void on_event(evutil_socket_t fd, short what, void *arg);

static void wait_for(struct sim_conn *c, short what)
{
    if (c->waiting == what)
        return;
    struct event_base *base = event_get_base(&c->ev);
    event_del(&c->ev);
    event_assign(&c->ev, base, c->fd, what | EV_PERSIST, on_event, c);
    struct timeval tv = {c->timeout_s, 0};
    event_add(&c->ev, c->timeout_s ? &tv : NULL);
    c->waiting = what;
}

static void wait_default(struct sim_conn *c)
{
    wait_for(c, EV_READ | (c->out_len || c->read_wants_write ? EV_WRITE : 0));
}

void sim_conn_close(struct sim_conn *c)
{
    if (c->state == ST_IDLE)
        return;
    event_del(&c->ev);
    SSL_free(c->ssl);
    close(c->fd);
    free(c->out);
    free(c->in);
    c->ssl = NULL;
    c->out = c->in = NULL;
    c->out_len = c->out_cap = c->in_len = 0;
    c->fd = -1;
    c->waiting = 0;
    c->read_wants_write = 0;
    c->notify_drained = 0;
    c->state = ST_IDLE;
    c->serial++;
}

static void fail(struct sim_conn *c, enum sim_conn_failure why, const char *detail)
{
    sim_conn_close(c);
    if (c->cb->failed)
        c->cb->failed(c, why, detail);
}

static void tls_fail(struct sim_conn *c, int ssl_error)
{
    char detail[160];
    if (ssl_error == SSL_ERROR_ZERO_RETURN || (ssl_error == SSL_ERROR_SYSCALL && errno == 0)) {
        fail(c, SIM_CONN_EOF, "connection closed by peer");
        return;
    }
    if (ssl_error == SSL_ERROR_SYSCALL) {
        fail(c, SIM_CONN_ERROR, strerror(errno));
        return;
    }
    unsigned long e = ERR_peek_error();
    long verify = SSL_get_verify_result(c->ssl);
    if (e)
        ERR_error_string_n(e, detail, sizeof(detail));
    else if (verify != X509_V_OK)
        snprintf(detail, sizeof(detail), "certificate: %s", X509_verify_cert_error_string(verify));
    else
        snprintf(detail, sizeof(detail), "TLS handshake failed");
    fail(c, SIM_CONN_TLS_FAILED, detail);
}

/* Bytes the socket took (0: none now), -1 on an error. */
static ssize_t put_bytes(struct sim_conn *c, const char *p, size_t len)
{
    if (!c->ssl) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n >= 0)
            return n;
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    }
    ERR_clear_error();
    int r = SSL_write(c->ssl, p, len > INT_MAX ? INT_MAX : (int)len);
    if (r > 0)
        return r;
    int e = SSL_get_error(c->ssl, r);
    return e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ ? 0 : -1;
}

static void flush(struct sim_conn *c)
{
    while (c->out_len) {
        ssize_t n = put_bytes(c, c->out, c->out_len);
        if (n < 0) {
            fail(c, SIM_CONN_ERROR, c->ssl ? "TLS write failed" : strerror(errno));
            return;
        }
        if (n == 0)
            break;
        memmove(c->out, c->out + n, c->out_len - (size_t)n);
        c->out_len -= (uint32_t)n;
    }
    if (c->out_len) {
        wait_default(c);
        return;
    }
    free(c->out);
    c->out = NULL;
    c->out_cap = 0;
    wait_default(c);
}

/* Reports drained when it was asked for and the output is empty. Returns
 * true when it did. */
static bool report_drained(struct sim_conn *c)
{
    if (!c->notify_drained || c->out_len)
        return false;
    c->notify_drained = 0;
    if (c->cb->drained)
        c->cb->drained(c);
    return true;
}

static int keep_output(struct sim_conn *c, const char *data, size_t len)
{
    if ((size_t)c->out_len + len > UINT32_MAX)
        return -1;
    if (c->out_len + len > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + len)
            cap *= 2;
        char *out = realloc(c->out, cap);
        if (!out)
            return -1;
        c->out = out;
        c->out_cap = (uint32_t)cap;
    }
    memcpy(c->out + c->out_len, data, len);
    c->out_len += (uint32_t)len;
    return 0;
}

int sim_conn_write(struct sim_conn *c, const void *data, size_t len)
{
    if (c->state == ST_IDLE)
        return -1;
    size_t done = 0;
    if (c->state == ST_READY && c->out_len == 0 && len > 0) {
        ssize_t n = put_bytes(c, data, len);
        if (n < 0) {
            /* reported from the loop, not from inside the caller's write */
            event_active(&c->ev, EV_WRITE, 1);
            n = 0;
        }
        done = (size_t)n;
    }
    if (done == len)
        return 0;
    if (keep_output(c, (const char *)data + done, len - done) != 0)
        return -1;
    if (c->state == ST_READY)
        wait_default(c);
    return 0;
}

void sim_conn_notify_drained(struct sim_conn *c)
{
    if (c->state == ST_IDLE)
        return;
    c->notify_drained = 1;
    if (c->out_len == 0)
        event_active(&c->ev, EV_WRITE, 1);
}

bool sim_conn_is_open(const struct sim_conn *c)
{
    return c->state != ST_IDLE;
}

void sim_conn_clear_timeout(struct sim_conn *c)
{
    if (!c->timeout_s || c->state == ST_IDLE)
        return;
    c->timeout_s = 0;
    c->waiting = 0;
    wait_default(c);
}

/* Bytes read (0: none now), -1 when the connection ended (reported). */
static ssize_t get_bytes(struct sim_conn *c, char *p, size_t room)
{
    if (!c->ssl) {
        ssize_t n = recv(c->fd, p, room, 0);
        if (n > 0)
            return n;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return 0;
        if (n == 0)
            fail(c, SIM_CONN_EOF, "connection closed by peer");
        else
            fail(c, SIM_CONN_ERROR, strerror(errno));
        return -1;
    }
    ERR_clear_error();
    int r = SSL_read(c->ssl, p, room > INT_MAX ? INT_MAX : (int)room);
    if (r > 0) {
        if (c->read_wants_write) {
            c->read_wants_write = 0;
            wait_default(c);
        }
        return r;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ)
        return 0;
    if (e == SSL_ERROR_WANT_WRITE) {
        c->read_wants_write = 1;
        wait_default(c);
        return 0;
    }
    tls_fail(c, e);
    return -1;
}

/* Hands the bytes in buf to the owner and keeps what it did not use. buf
 * is the shared buffer, or the connection's own remainder taken off it. */
static void deliver(struct sim_conn *c, char *buf, size_t len)
{
    uint32_t serial = c->serial;
    size_t used = c->cb->data(c, buf, len);
    size_t rest = c->serial == serial && used < len ? len - used : 0;
    if (buf != shared_in) {
        if (rest) {
            memmove(buf, buf + used, rest);
            c->in = buf;
        } else {
            free(buf);
        }
    } else if (rest) {
        c->in = malloc(rest);
        if (!c->in) {
            fail(c, SIM_CONN_ERROR, "out of memory");
            return;
        }
        memcpy(c->in, buf + used, rest);
    }
    c->in_len = (uint32_t)rest;
}

static void read_input(struct sim_conn *c)
{
    uint32_t serial = c->serial;
    if (!shared_in && !(shared_in = malloc(READ_CHUNK))) {
        fail(c, SIM_CONN_ERROR, "out of memory");
        return;
    }
    while (c->serial == serial) {
        size_t have = c->in_len, room = READ_CHUNK;
        char *buf = shared_in;
        if (have) {
            /* an unfinished frame: read behind it in its own buffer */
            room = have > READ_CHUNK ? have : READ_CHUNK;
            buf = realloc(c->in, have + room);
            if (!buf) {
                fail(c, SIM_CONN_ERROR, "out of memory");
                return;
            }
            c->in = buf;
        }
        ssize_t n = get_bytes(c, buf + have, room);
        if (n <= 0)
            return;
        c->in = NULL;
        c->in_len = 0;
        deliver(c, buf, have + (size_t)n);
        /* a plain socket that did not fill the buffer has nothing more; TLS
         * may hold decrypted bytes the socket no longer shows */
        if (!c->ssl && (size_t)n < room)
            return;
    }
}

static void become_ready(struct sim_conn *c)
{
    c->state = ST_READY;
    wait_default(c);
    uint32_t serial = c->serial;
    if (c->out_len)
        flush(c);
    if (c->serial == serial && c->cb->ready)
        c->cb->ready(c);
}

static void tls_handshake(struct sim_conn *c)
{
    ERR_clear_error();
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
        become_ready(c);
        return;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ)
        wait_for(c, EV_READ);
    else if (e == SSL_ERROR_WANT_WRITE)
        wait_for(c, EV_WRITE);
    else
        tls_fail(c, e);
}

static void finish_connect(struct sim_conn *c)
{
    int err = c->connect_error;
    socklen_t len = sizeof(err);
    if (!err && getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    if (err) {
        fail(c, SIM_CONN_CONNECT_FAILED, strerror(err));
        return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (!c->ssl) {
        become_ready(c);
        return;
    }
    if (SSL_set_fd(c->ssl, c->fd) != 1) {
        tls_fail(c, SSL_ERROR_SSL);
        return;
    }
    SSL_set_connect_state(c->ssl);
    c->state = ST_TLS;
    tls_handshake(c);
}

static void on_event(evutil_socket_t fd, short what, void *arg)
{
    struct sim_conn *c = arg;
    if (what & EV_TIMEOUT) {
        fail(c, SIM_CONN_TIMEOUT, "timed out connecting");
        return;
    }
    if (c->state == ST_CONNECTING) {
        finish_connect(c);
        return;
    }
    if (c->state == ST_TLS) {
        tls_handshake(c);
        return;
    }
    uint32_t serial = c->serial;
    if (c->out_len)
        flush(c);
    if (c->serial != serial || report_drained(c))
        return;
    if ((what & EV_READ) || c->read_wants_write)
        read_input(c);
}

int sim_conn_open(struct sim_conn *c, struct event_base *base, const struct sockaddr *addr,
                  socklen_t addrlen, SSL *ssl, unsigned timeout_s,
                  const struct sim_conn_callbacks *cb)
{
    sim_conn_close(c);
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        SSL_free(ssl);
        return -1;
    }
    c->cb = cb;
    c->ssl = ssl;
    c->fd = fd;
    c->timeout_s = (uint16_t)(timeout_s > UINT16_MAX ? UINT16_MAX : timeout_s);
    c->connect_error = 0;
    c->waiting = 0;
    c->read_wants_write = 0;
    c->notify_drained = 0;
    c->state = ST_CONNECTING;
    c->serial++;
    event_assign(&c->ev, base, fd, EV_WRITE | EV_PERSIST, on_event, c);
    if (connect(fd, addr, addrlen) != 0 && errno != EINPROGRESS) {
        /* reported from the loop, as a refusal that comes later is */
        c->connect_error = errno;
        event_active(&c->ev, EV_WRITE, 1);
        return 0;
    }
    wait_for(c, EV_WRITE);
    return 0;
}
