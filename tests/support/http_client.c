/* galvani tests — blocking HTTP/1.1 client (plain or TLS). */
#include "http_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

struct glv_test_http_client {
    int fd;
    SSL *ssl;
    char buf[16384]; /* bytes read but not consumed */
    size_t have;
};

glv_test_http_client *glv_test_http_connect(int port, SSL_CTX *ctx)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return NULL;
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return NULL;
    }
    glv_test_http_client *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return NULL;
    }
    c->fd = fd;
    if (ctx) {
        c->ssl = SSL_new(ctx);
        if (!c->ssl) {
            glv_test_http_close(c);
            return NULL;
        }
        SSL_set_fd(c->ssl, fd);
        SSL_set_tlsext_host_name(c->ssl, "localhost");
        if (SSL_connect(c->ssl) != 1) {
            glv_test_http_close(c);
            return NULL;
        }
    }
    return c;
}

void glv_test_http_close(glv_test_http_client *c)
{
    if (!c)
        return;
    if (c->ssl) {
        SSL_free(c->ssl);
    }
    close(c->fd);
    free(c);
}

int glv_test_http_send_raw(glv_test_http_client *c, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n;
        if (c->ssl) {
            int w = SSL_write(c->ssl, p, len > 65536 ? 65536 : (int)len);
            n = w > 0 ? w : -1;
        } else {
            n = send(c->fd, p, len, MSG_NOSIGNAL);
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int glv_test_http_send(glv_test_http_client *c, const char *method, const char *target,
                       const char *headers, const void *body, size_t body_len)
{
    char head[8192];
    int n = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s", method, target,
                     headers ? headers : "");
    if (n < 0 || (size_t)n >= sizeof(head))
        return -1;
    if (body) {
        int m = snprintf(head + n, sizeof(head) - (size_t)n, "Content-Length: %zu\r\n", body_len);
        n += m;
    }
    if ((size_t)n + 2 >= sizeof(head))
        return -1;
    memcpy(head + n, "\r\n", 3);
    n += 2;
    if (glv_test_http_send_raw(c, head, (size_t)n) < 0)
        return -1;
    if (body && body_len > 0)
        return glv_test_http_send_raw(c, body, body_len);
    return 0;
}

/* Reads more bytes into c->buf. Returns bytes read, 0 at EOF, -1 on error. */
static ssize_t fill(glv_test_http_client *c)
{
    if (c->have == sizeof(c->buf))
        return -1;
    for (;;) {
        ssize_t n;
        if (c->ssl) {
            int r = SSL_read(c->ssl, c->buf + c->have, (int)(sizeof(c->buf) - c->have));
            if (r > 0)
                n = r;
            else if (SSL_get_error(c->ssl, r) == SSL_ERROR_ZERO_RETURN)
                n = 0;
            else
                n = -1;
        } else {
            n = recv(c->fd, c->buf + c->have, sizeof(c->buf) - c->have, 0);
        }
        if (n < 0 && errno == EINTR && !c->ssl)
            continue;
        if (n > 0)
            c->have += (size_t)n;
        return n;
    }
}

static void consume(glv_test_http_client *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->have - n);
    c->have -= n;
}

/* Reads a line ending in CRLF into a new string (without the CRLF). */
static char *read_line(glv_test_http_client *c)
{
    for (;;) {
        char *end = memmem(c->buf, c->have, "\r\n", 2);
        if (end) {
            size_t len = (size_t)(end - c->buf);
            char *line = strndup(c->buf, len);
            consume(c, len + 2);
            return line;
        }
        if (fill(c) <= 0)
            return NULL;
    }
}

/* Appends exactly n body bytes. */
static int read_exact(glv_test_http_client *c, char **body, size_t *len, size_t n)
{
    char *grown = realloc(*body, *len + n + 1);
    if (!grown)
        return -1;
    *body = grown;
    while (n > 0) {
        if (c->have == 0 && fill(c) <= 0)
            return -1;
        size_t take = c->have < n ? c->have : n;
        memcpy(*body + *len, c->buf, take);
        consume(c, take);
        *len += take;
        n -= take;
    }
    (*body)[*len] = '\0';
    return 0;
}

const char *glv_test_http_header(const glv_test_http_response *r, const char *name, char *buf,
                                 size_t size)
{
    if (!r->head)
        return NULL;
    size_t nlen = strlen(name);
    const char *line = strstr(r->head, "\r\n");
    while (line) {
        line += 2;
        if (strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
            const char *v = line + nlen + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            const char *end = strstr(v, "\r\n");
            size_t vlen = end ? (size_t)(end - v) : strlen(v);
            if (vlen >= size)
                vlen = size - 1;
            memcpy(buf, v, vlen);
            buf[vlen] = '\0';
            return buf;
        }
        line = strstr(line, "\r\n");
    }
    return NULL;
}

void glv_test_http_response_clear(glv_test_http_response *r)
{
    free(r->head);
    free(r->body);
    memset(r, 0, sizeof(*r));
}

int glv_test_http_read(glv_test_http_client *c, int head_only, glv_test_http_response *out)
{
    memset(out, 0, sizeof(*out));
    size_t head_len = 0, head_cap = 1024;
    char *head = malloc(head_cap);
    if (!head)
        return -1;
    head[0] = '\0';
    for (;;) {
        char *line = read_line(c);
        if (!line) {
            free(head);
            return -1;
        }
        size_t l = strlen(line);
        if (head_len + l + 3 > head_cap) {
            head_cap = (head_len + l + 3) * 2;
            char *grown = realloc(head, head_cap);
            if (!grown) {
                free(line);
                free(head);
                return -1;
            }
            head = grown;
        }
        memcpy(head + head_len, line, l);
        memcpy(head + head_len + l, "\r\n", 3);
        head_len += l + 2;
        free(line);
        if (l == 0)
            break;
    }
    out->head = head;
    if (sscanf(head, "HTTP/1.%*d %d", &out->status) != 1) {
        glv_test_http_response_clear(out);
        return -1;
    }
    out->body = calloc(1, 1);
    char value[64];
    if (head_only || out->status == 204 || out->status == 304 || out->status < 200)
        return 0;
    if (glv_test_http_header(out, "Content-Length", value, sizeof(value))) {
        size_t n = strtoul(value, NULL, 10);
        if (read_exact(c, &out->body, &out->body_len, n) < 0) {
            glv_test_http_response_clear(out);
            return -1;
        }
        return 0;
    }
    if (glv_test_http_header(out, "Transfer-Encoding", value, sizeof(value)) &&
        strcasecmp(value, "chunked") == 0) {
        for (;;) {
            char *line = read_line(c);
            if (!line) {
                glv_test_http_response_clear(out);
                return -1;
            }
            size_t n = strtoul(line, NULL, 16);
            free(line);
            if (n == 0) {
                char *trailer;
                while ((trailer = read_line(c)) != NULL && trailer[0] != '\0')
                    free(trailer);
                free(trailer);
                return 0;
            }
            if (read_exact(c, &out->body, &out->body_len, n) < 0) {
                glv_test_http_response_clear(out);
                return -1;
            }
            free(read_line(c));
        }
    }
    /* Until the server closes. */
    for (;;) {
        if (c->have > 0) {
            size_t n = c->have;
            if (read_exact(c, &out->body, &out->body_len, n) < 0)
                break;
        }
        if (fill(c) <= 0)
            break;
    }
    return 0;
}

int glv_test_http_fetch(int port, SSL_CTX *ctx, const char *method, const char *target,
                        const char *headers, const void *body, size_t body_len,
                        glv_test_http_response *out)
{
    memset(out, 0, sizeof(*out));
    glv_test_http_client *c = glv_test_http_connect(port, ctx);
    if (!c)
        return -1;
    int rc = glv_test_http_send(c, method, target, headers, body, body_len);
    if (rc == 0)
        rc = glv_test_http_read(c, strcmp(method, "HEAD") == 0, out);
    glv_test_http_close(c);
    return rc;
}
