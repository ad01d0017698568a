/*
 * Blocking WebSocket client for tests.
 */
#include "ws_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct glv_test_ws {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    uint8_t *buf; /* received, not yet consumed */
    size_t len, cap;
};

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

glv_test_ws *glv_test_ws_connect(int port, const glv_test_ws_tls *tls)
{
    glv_test_ws *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sin, sizeof sin) != 0)
        goto fail;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (tls != NULL) {
        c->ctx = SSL_CTX_new(TLS_client_method());
        if (c->ctx == NULL)
            goto fail;
        if (tls->ca_file != NULL) {
            if (SSL_CTX_load_verify_locations(c->ctx, tls->ca_file, NULL) != 1)
                goto fail;
            SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
        }
        if (tls->cert_file != NULL &&
            (SSL_CTX_use_certificate_chain_file(c->ctx, tls->cert_file) != 1 ||
             SSL_CTX_use_PrivateKey_file(c->ctx, tls->key_file, SSL_FILETYPE_PEM) != 1))
            goto fail;
        c->ssl = SSL_new(c->ctx);
        if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
            goto fail;
        SSL_set_tlsext_host_name(c->ssl, "localhost");
        if (SSL_connect(c->ssl) != 1)
            goto fail;
    }
    return c;
fail:
    ERR_clear_error();
    glv_test_ws_free(c);
    return NULL;
}

void glv_test_ws_free(glv_test_ws *c)
{
    if (c == NULL)
        return;
    if (c->ssl != NULL)
        SSL_free(c->ssl);
    if (c->ctx != NULL)
        SSL_CTX_free(c->ctx);
    if (c->fd >= 0)
        close(c->fd);
    free(c->buf);
    free(c);
}

int glv_test_ws_fd(const glv_test_ws *c)
{
    return c->fd;
}

int glv_test_ws_send_raw(glv_test_ws *c, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n;
        if (c->ssl != NULL) {
            int r = SSL_write(c->ssl, p, (int)len);
            n = r > 0 ? r : -1;
        } else {
            n = send(c->fd, p, len, MSG_NOSIGNAL);
        }
        if (n < 0) {
            if (c->ssl == NULL && errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads more bytes within the deadline: 1 read, 0 timeout, -1 EOF/error. */
static int fill(glv_test_ws *c, long long deadline)
{
    if (c->len + 65536 > c->cap) {
        size_t cap = c->len + 65536;
        uint8_t *b = realloc(c->buf, cap);
        if (b == NULL)
            return -1;
        c->buf = b;
        c->cap = cap;
    }
    if (c->ssl == NULL || SSL_pending(c->ssl) == 0) {
        long long left = deadline - mono_ms();
        if (left < 0)
            left = 0;
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        int r = poll(&pfd, 1, (int)left);
        if (r == 0)
            return 0;
        if (r < 0)
            return errno == EINTR ? 0 : -1;
    }
    ssize_t n;
    if (c->ssl != NULL) {
        int r = SSL_read(c->ssl, c->buf + c->len, (int)(c->cap - c->len));
        n = r > 0 ? r : -1;
    } else {
        n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
    }
    if (n <= 0)
        return -1;
    c->len += (size_t)n;
    return 1;
}

static void consume(glv_test_ws *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
    if (c->len == 0) {
        free(c->buf);
        c->buf = NULL;
        c->cap = 0;
    }
}

int glv_test_ws_request(glv_test_ws *c, const char *request, char **head)
{
    if (head != NULL)
        *head = NULL;
    if (glv_test_ws_send_raw(c, request, strlen(request)) != 0)
        return -1;
    long long deadline = mono_ms() + 5000;
    for (;;) {
        if (c->len >= 4) {
            for (size_t i = 0; i + 3 < c->len; i++) {
                if (memcmp(c->buf + i, "\r\n\r\n", 4) != 0)
                    continue;
                size_t hl = i + 4;
                int status = -1;
                char line[16] = {0};
                memcpy(line, c->buf, hl < 15 ? hl : 15);
                if (strncmp(line, "HTTP/1.1 ", 9) == 0)
                    status = atoi(line + 9);
                if (head != NULL) {
                    *head = malloc(hl + 1);
                    memcpy(*head, c->buf, hl);
                    (*head)[hl] = '\0';
                }
                consume(c, hl);
                return status;
            }
        }
        if (fill(c, deadline) <= 0)
            return -1;
    }
}

int glv_test_ws_handshake(glv_test_ws *c, const char *path, const char *protocols,
                          const char *extra, char **head)
{
    char req[4096];
    snprintf(req, sizeof req,
             "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
             "Sec-WebSocket-Version: 13\r\n%s%s%s%s\r\n",
             path, protocols != NULL ? "Sec-WebSocket-Protocol: " : "",
             protocols != NULL ? protocols : "", protocols != NULL ? "\r\n" : "",
             extra != NULL ? extra : "");
    return glv_test_ws_request(c, req, head);
}

char *glv_test_ws_header(const char *head, const char *name)
{
    size_t nlen = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p != NULL; p = strstr(p, "\r\n")) {
        p += 2;
        if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
            const char *v = p + nlen + 1;
            while (*v == ' ')
                v++;
            const char *e = strstr(v, "\r\n");
            return e != NULL ? strndup(v, (size_t)(e - v)) : strdup(v);
        }
    }
    return NULL;
}

int glv_test_ws_send_frame(glv_test_ws *c, unsigned opcode, bool fin, unsigned rsv,
                           const void *payload, size_t len, bool mask)
{
    uint8_t *f = malloc(len + 14);
    if (f == NULL)
        return -1;
    size_t n = 0;
    f[n++] = (uint8_t)((fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0F));
    uint8_t m = mask ? 0x80 : 0;
    if (len < 126) {
        f[n++] = (uint8_t)(m | len);
    } else if (len < 65536) {
        f[n++] = m | 126;
        f[n++] = (uint8_t)(len >> 8);
        f[n++] = (uint8_t)len;
    } else {
        f[n++] = m | 127;
        for (int i = 7; i >= 0; i--)
            f[n++] = (uint8_t)((uint64_t)len >> (8 * i));
    }
    uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    if (mask) {
        key[0] = (uint8_t)rand();
        key[3] = (uint8_t)rand();
        memcpy(f + n, key, 4);
        n += 4;
    }
    for (size_t i = 0; i < len; i++)
        f[n + i] = ((const uint8_t *)payload)[i] ^ (mask ? key[i & 3] : 0);
    int r = glv_test_ws_send_raw(c, f, n + len);
    free(f);
    return r;
}

int glv_test_ws_send_text(glv_test_ws *c, const char *text)
{
    return glv_test_ws_send_frame(c, 0x1, true, 0, text, strlen(text), true);
}

int glv_test_ws_read_frame(glv_test_ws *c, int timeout_ms, unsigned *opcode, bool *fin,
                           char **payload, size_t *len)
{
    long long deadline = mono_ms() + timeout_ms;
    for (;;) {
        if (c->len >= 2) {
            size_t hl = 2;
            uint64_t plen = c->buf[1] & 0x7F;
            bool masked = (c->buf[1] & 0x80) != 0;
            if (plen == 126)
                hl = 4;
            else if (plen == 127)
                hl = 10;
            if (masked)
                hl += 4;
            if (c->len >= hl) {
                if (plen == 126)
                    plen = ((uint64_t)c->buf[2] << 8) | c->buf[3];
                else if (plen == 127) {
                    plen = 0;
                    for (int i = 0; i < 8; i++)
                        plen = (plen << 8) | c->buf[2 + i];
                }
                if (c->len >= hl + plen) {
                    *opcode = c->buf[0] & 0x0F;
                    *fin = (c->buf[0] & 0x80) != 0;
                    *payload = malloc(plen + 1);
                    memcpy(*payload, c->buf + hl, plen);
                    if (masked)
                        for (size_t i = 0; i < plen; i++)
                            (*payload)[i] ^= c->buf[hl - 4 + (i & 3)];
                    (*payload)[plen] = '\0';
                    *len = plen;
                    consume(c, hl + plen);
                    return 0;
                }
            }
        }
        int r = fill(c, deadline);
        if (r == 0)
            return -2;
        if (r < 0)
            return -1;
    }
}

int glv_test_ws_read_close(glv_test_ws *c, int timeout_ms)
{
    for (;;) {
        unsigned op;
        bool fin;
        char *p;
        size_t len;
        int r = glv_test_ws_read_frame(c, timeout_ms, &op, &fin, &p, &len);
        if (r != 0)
            return r;
        if (op == 0x8) {
            int code = len >= 2 ? (((uint8_t)p[0] << 8) | (uint8_t)p[1]) : 1005;
            free(p);
            return code;
        }
        free(p);
    }
}

int glv_test_ws_wait_eof(glv_test_ws *c, int timeout_ms)
{
    long long deadline = mono_ms() + timeout_ms;
    for (;;) {
        c->len = 0;
        int r = fill(c, deadline);
        if (r < 0)
            return 1;
        if (r == 0 && mono_ms() >= deadline)
            return 0;
    }
}
