#include "sim_ws.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_MAX_MESSAGE (1u << 20)
#define WS_MAX_HEADER 8192

enum { OP_CONT = 0, OP_TEXT = 1, OP_BINARY = 2, OP_CLOSE = 8, OP_PING = 9, OP_PONG = 10 };

struct sim_ws_pending {
    char accept[32];
    char subprotocol[24];
};

static uint64_t mask_state;

static uint32_t next_mask(void)
{
    if (mask_state == 0) {
        if (RAND_bytes((unsigned char *)&mask_state, sizeof(mask_state)) != 1 || mask_state == 0)
            mask_state = 0x9E3779B97F4A7C15ull;
    }
    mask_state ^= mask_state << 13;
    mask_state ^= mask_state >> 7;
    mask_state ^= mask_state << 17;
    return (uint32_t)(mask_state >> 16);
}

static void release(struct sim_ws *ws)
{
    if (ws->bev) {
        bufferevent_free(ws->bev);
        ws->bev = NULL;
    }
    free(ws->pending);
    ws->pending = NULL;
    if (ws->fragments) {
        evbuffer_free(ws->fragments);
        ws->fragments = NULL;
    }
    ws->state = SIM_WS_IDLE;
    ws->abort_after_drain = 0;
}

static void end(struct sim_ws *ws, enum sim_ws_end why, const char *detail)
{
    release(ws);
    if (ws->cb && ws->cb->ended)
        ws->cb->ended(ws, why, detail);
}

static int write_frame(struct sim_ws *ws, int opcode, const void *data, size_t len)
{
    if (!ws->bev)
        return -1;
    unsigned char stackbuf[2048];
    size_t hl = 2 + 4 + (len >= 126 ? (len > 0xffff ? 8 : 2) : 0);
    unsigned char *buf = hl + len <= sizeof(stackbuf) ? stackbuf : malloc(hl + len);
    if (!buf)
        return -1;
    size_t p = 0;
    buf[p++] = (unsigned char)(0x80 | opcode);
    if (len < 126) {
        buf[p++] = (unsigned char)(0x80 | len);
    } else if (len <= 0xffff) {
        buf[p++] = 0x80 | 126;
        buf[p++] = (unsigned char)(len >> 8);
        buf[p++] = (unsigned char)len;
    } else {
        buf[p++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            buf[p++] = (unsigned char)((uint64_t)len >> (8 * i));
    }
    uint32_t m = next_mask();
    unsigned char key[4] = {(unsigned char)(m >> 24), (unsigned char)(m >> 16),
                            (unsigned char)(m >> 8), (unsigned char)m};
    memcpy(buf + p, key, 4);
    p += 4;
    const unsigned char *src = data;
    for (size_t i = 0; i < len; i++)
        buf[p + i] = src[i] ^ key[i & 3];
    int rc = bufferevent_write(ws->bev, buf, p + len);
    if (buf != stackbuf)
        free(buf);
    return rc;
}

int sim_ws_send_text(struct sim_ws *ws, const char *data, size_t len)
{
    if (ws->state != SIM_WS_OPEN)
        return -1;
    return write_frame(ws, OP_TEXT, data, len);
}

void sim_ws_close(struct sim_ws *ws, uint16_t code)
{
    if (ws->state == SIM_WS_OPEN) {
        unsigned char payload[2] = {(unsigned char)(code >> 8), (unsigned char)code};
        write_frame(ws, OP_CLOSE, payload, sizeof(payload));
        ws->state = SIM_WS_CLOSING;
        ws->abort_after_drain = 1;
        if (evbuffer_get_length(bufferevent_get_output(ws->bev)) == 0)
            end(ws, SIM_WS_END_CLOSED_LOCALLY, "closed");
    } else if (ws->state == SIM_WS_CONNECTING) {
        end(ws, SIM_WS_END_CLOSED_LOCALLY, "closed while connecting");
    }
}

void sim_ws_abort_after_drain(struct sim_ws *ws)
{
    if (!ws->bev)
        return;
    ws->state = SIM_WS_CLOSING;
    ws->abort_after_drain = 1;
    if (evbuffer_get_length(bufferevent_get_output(ws->bev)) == 0)
        end(ws, SIM_WS_END_CLOSED_LOCALLY, "dropped");
}

void sim_ws_abort(struct sim_ws *ws)
{
    release(ws);
}

static void base64(const unsigned char *in, size_t len, char *out)
{
    EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

static int header_is(const char *line, size_t len, const char *name, const char **value)
{
    size_t n = strlen(name);
    if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
        return 0;
    const char *v = line + n + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    *value = v;
    return 1;
}

static int value_equals(const char *v, const char *eol, const char *want, int ci)
{
    size_t n = strlen(want);
    const char *e = eol;
    while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    if ((size_t)(e - v) != n)
        return 0;
    return ci ? strncasecmp(v, want, n) == 0 : strncmp(v, want, n) == 0;
}

static int value_has_token(const char *v, const char *eol, const char *token)
{
    size_t n = strlen(token);
    for (const char *p = v; p + n <= eol; p++) {
        if (strncasecmp(p, token, n) == 0)
            return 1;
    }
    return 0;
}

/* Returns 1 when the handshake completed, 0 when more input is needed and
 * -1 when it failed (the connection has ended). */
static int read_handshake(struct sim_ws *ws)
{
    struct evbuffer *in = bufferevent_get_input(ws->bev);
    struct evbuffer_ptr end_ptr = evbuffer_search(in, "\r\n\r\n", 4, NULL);
    if (end_ptr.pos < 0) {
        if (evbuffer_get_length(in) > WS_MAX_HEADER) {
            end(ws, SIM_WS_END_HANDSHAKE_FAILED, "handshake answer too long");
            return -1;
        }
        return 0;
    }
    size_t hlen = (size_t)end_ptr.pos + 4;
    char *head = malloc(hlen + 1);
    if (!head) {
        end(ws, SIM_WS_END_HANDSHAKE_FAILED, "out of memory");
        return -1;
    }
    evbuffer_remove(in, head, hlen);
    head[hlen] = '\0';
    int status = 0;
    if (sscanf(head, "HTTP/1.%*d %d", &status) != 1)
        status = 0;
    ws->http_status = (uint16_t)status;
    const char *problem = NULL;
    int got_accept = 0, got_upgrade = 0, got_connection = 0, got_proto = 0;
    if (status != 101) {
        problem = "server did not switch protocols";
    } else {
        const char *line = strstr(head, "\r\n") + 2;
        while (*line && !(line[0] == '\r' && line[1] == '\n')) {
            const char *eol = strstr(line, "\r\n");
            size_t len = (size_t)(eol - line);
            const char *v;
            if (header_is(line, len, "Sec-WebSocket-Accept", &v)) {
                got_accept = value_equals(v, eol, ws->pending->accept, 0) ? 1 : -1;
            } else if (header_is(line, len, "Upgrade", &v)) {
                got_upgrade = value_equals(v, eol, "websocket", 1);
            } else if (header_is(line, len, "Connection", &v)) {
                got_connection = value_has_token(v, eol, "upgrade");
            } else if (header_is(line, len, "Sec-WebSocket-Protocol", &v)) {
                got_proto = value_equals(v, eol, ws->pending->subprotocol, 0) ? 1 : -1;
            }
            line = eol + 2;
        }
        if (got_accept != 1)
            problem = "missing or wrong Sec-WebSocket-Accept";
        else if (!got_upgrade || !got_connection)
            problem = "missing Upgrade/Connection headers";
        else if (got_proto != 1)
            problem = "server did not select the subprotocol";
    }
    free(head);
    if (problem) {
        char detail[96];
        snprintf(detail, sizeof(detail), "HTTP %d: %s", status, problem);
        end(ws, SIM_WS_END_HANDSHAKE_FAILED, detail);
        return -1;
    }
    free(ws->pending);
    ws->pending = NULL;
    ws->state = SIM_WS_OPEN;
    bufferevent_set_timeouts(ws->bev, NULL, NULL);
    return 1;
}

static void protocol_error(struct sim_ws *ws, uint16_t code, const char *detail)
{
    unsigned char payload[2] = {(unsigned char)(code >> 8), (unsigned char)code};
    write_frame(ws, OP_CLOSE, payload, sizeof(payload));
    end(ws, SIM_WS_END_PROTOCOL, detail);
}

/* Delivers a message; returns 0 when the connection survived the callback. */
static int deliver(struct sim_ws *ws, struct bufferevent *bev, struct evbuffer *from, size_t len)
{
    const char *data = (const char *)evbuffer_pullup(from, (ev_ssize_t)len);
    if (ws->cb && ws->cb->text)
        ws->cb->text(ws, data ? data : "", len);
    if (ws->bev != bev)
        return -1;
    evbuffer_drain(from, len);
    return 0;
}

static void read_frames(struct sim_ws *ws)
{
    struct bufferevent *bev = ws->bev;
    struct evbuffer *in = bufferevent_get_input(bev);
    while (ws->bev == bev && (ws->state == SIM_WS_OPEN || ws->state == SIM_WS_CLOSING)) {
        size_t avail = evbuffer_get_length(in);
        if (avail < 2)
            return;
        unsigned char hdr[10];
        evbuffer_copyout(in, hdr, avail < sizeof(hdr) ? avail : sizeof(hdr));
        int fin = hdr[0] & 0x80, op = hdr[0] & 0x0f;
        size_t hl = 2;
        uint64_t len = hdr[1] & 0x7f;
        if (hdr[0] & 0x70) {
            protocol_error(ws, 1002, "reserved bits set");
            return;
        }
        if (hdr[1] & 0x80) {
            protocol_error(ws, 1002, "masked frame from server");
            return;
        }
        if (len == 126) {
            if (avail < 4)
                return;
            len = ((uint64_t)hdr[2] << 8) | hdr[3];
            hl = 4;
        } else if (len == 127) {
            if (avail < 10)
                return;
            len = 0;
            for (int i = 0; i < 8; i++)
                len = (len << 8) | hdr[2 + i];
            hl = 10;
        }
        if (op >= 8 && (!fin || len > 125)) {
            protocol_error(ws, 1002, "bad control frame");
            return;
        }
        size_t queued = ws->fragments ? evbuffer_get_length(ws->fragments) : 0;
        if (len + queued > WS_MAX_MESSAGE) {
            protocol_error(ws, 1009, "message too big");
            return;
        }
        if (avail < hl + len)
            return;
        evbuffer_drain(in, hl);
        if (op >= 8) {
            unsigned char payload[125];
            evbuffer_remove(in, payload, (size_t)len);
            if (op == OP_PING) {
                if (ws->state == SIM_WS_OPEN)
                    write_frame(ws, OP_PONG, payload, (size_t)len);
            } else if (op == OP_CLOSE) {
                uint16_t code = len >= 2 ? (uint16_t)((payload[0] << 8) | payload[1]) : 1005;
                char detail[48];
                snprintf(detail, sizeof(detail), "close frame %u", code);
                if (ws->state == SIM_WS_OPEN) {
                    unsigned char reply[2] = {payload[0], payload[1]};
                    write_frame(ws, OP_CLOSE, reply, len >= 2 ? 2 : 0);
                    ws->state = SIM_WS_CLOSING;
                    /* Let the reply go out, then end. */
                    ws->abort_after_drain = 2;
                    return;
                }
                end(ws, SIM_WS_END_CLOSED_BY_PEER, detail);
                return;
            } else if (op != OP_PONG) {
                protocol_error(ws, 1002, "unknown control opcode");
                return;
            }
            continue;
        }
        if (op == OP_BINARY) {
            protocol_error(ws, 1003, "binary frame");
            return;
        }
        if (op == OP_TEXT) {
            if (ws->fragments) {
                protocol_error(ws, 1002, "new message inside a fragmented one");
                return;
            }
            if (fin) {
                if (deliver(ws, bev, in, (size_t)len) != 0)
                    return;
                continue;
            }
            ws->fragments = evbuffer_new();
            if (!ws->fragments) {
                protocol_error(ws, 1011, "out of memory");
                return;
            }
            evbuffer_remove_buffer(in, ws->fragments, (size_t)len);
        } else if (op == OP_CONT) {
            if (!ws->fragments) {
                protocol_error(ws, 1002, "continuation without a message");
                return;
            }
            evbuffer_remove_buffer(in, ws->fragments, (size_t)len);
            if (fin) {
                struct evbuffer *msg = ws->fragments;
                ws->fragments = NULL;
                size_t mlen = evbuffer_get_length(msg);
                const char *data = (const char *)evbuffer_pullup(msg, (ev_ssize_t)mlen);
                if (ws->cb && ws->cb->text)
                    ws->cb->text(ws, data ? data : "", mlen);
                evbuffer_free(msg);
            }
        } else {
            protocol_error(ws, 1002, "unknown opcode");
            return;
        }
    }
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct sim_ws *ws = arg;
    if (ws->state == SIM_WS_CONNECTING) {
        if (read_handshake(ws) != 1)
            return;
        if (ws->cb && ws->cb->open)
            ws->cb->open(ws);
        if (ws->bev != bev)
            return;
    }
    read_frames(ws);
}

static void end_after_drain(struct sim_ws *ws)
{
    if (ws->abort_after_drain == 2)
        end(ws, SIM_WS_END_CLOSED_BY_PEER, "close frame");
    else
        end(ws, SIM_WS_END_CLOSED_LOCALLY, ws->state == SIM_WS_CLOSING ? "closed" : "dropped");
}

static void on_write(struct bufferevent *bev, void *arg)
{
    struct sim_ws *ws = arg;
    (void)bev;
    if (ws->abort_after_drain)
        end_after_drain(ws);
}

static void tls_error_detail(struct bufferevent *bev, char *out, size_t n)
{
    unsigned long e = bufferevent_get_openssl_error(bev);
    if (e) {
        ERR_error_string_n(e, out, n);
        return;
    }
    SSL *ssl = bufferevent_openssl_get_ssl(bev);
    long vr = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
    if (vr != X509_V_OK)
        snprintf(out, n, "certificate: %s", X509_verify_cert_error_string(vr));
    else
        snprintf(out, n, "TLS handshake failed");
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct sim_ws *ws = arg;
    if (what & BEV_EVENT_CONNECTED) {
        int one = 1;
        setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        return;
    }
    char detail[160];
    int tls = bufferevent_openssl_get_ssl(bev) != NULL;
    if (ws->state == SIM_WS_CONNECTING) {
        if (ws->pending && tls && (what & BEV_EVENT_ERROR) &&
            bufferevent_get_openssl_error(bev) != 0) {
            tls_error_detail(bev, detail, sizeof(detail));
            end(ws, SIM_WS_END_TLS_FAILED, detail);
            return;
        }
        int err = EVUTIL_SOCKET_ERROR();
        if (what & BEV_EVENT_TIMEOUT)
            snprintf(detail, sizeof(detail), "timed out connecting");
        else if (what & BEV_EVENT_EOF)
            snprintf(detail, sizeof(detail), "connection closed during handshake");
        else
            snprintf(detail, sizeof(detail), "%s", evutil_socket_error_to_string(err));
        end(ws, (what & BEV_EVENT_EOF) ? SIM_WS_END_HANDSHAKE_FAILED : SIM_WS_END_CONNECT_FAILED,
            detail);
        return;
    }
    if (ws->abort_after_drain) {
        end_after_drain(ws);
        return;
    }
    snprintf(detail, sizeof(detail), "%s",
             (what & BEV_EVENT_EOF) ? "connection closed by peer" : "connection error");
    end(ws, SIM_WS_END_LOST, detail);
}

static int is_ip_literal(const char *host)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

int sim_ws_connect(struct sim_ws *ws, struct event_base *base, const struct sim_ws_request *req,
                   const struct sim_ws_callbacks *cb)
{
    memset(ws, 0, sizeof(*ws));
    ws->cb = cb;
    ws->pending = calloc(1, sizeof(*ws->pending));
    if (!ws->pending)
        return -1;
    unsigned char nonce[16];
    if (RAND_bytes(nonce, sizeof(nonce)) != 1)
        goto fail;
    char key[32];
    base64(nonce, sizeof(nonce), key);
    char concat[80];
    snprintf(concat, sizeof(concat), "%s%s", key, WS_GUID);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    if (EVP_Digest(concat, strlen(concat), digest, &dlen, EVP_sha1(), NULL) != 1)
        goto fail;
    base64(digest, dlen, ws->pending->accept);
    snprintf(ws->pending->subprotocol, sizeof(ws->pending->subprotocol), "%s", req->subprotocol);

    if (req->ssl_ctx) {
        SSL *ssl = SSL_new(req->ssl_ctx);
        if (!ssl)
            goto fail;
        if (is_ip_literal(req->host)) {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), req->host);
        } else {
            SSL_set_tlsext_host_name(ssl, req->host);
            SSL_set1_host(ssl, req->host);
        }
        ws->bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
                                                 BEV_OPT_CLOSE_ON_FREE);
        if (!ws->bev) {
            SSL_free(ssl);
            goto fail;
        }
        bufferevent_openssl_set_allow_dirty_shutdown(ws->bev, 1);
    } else {
        ws->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
        if (!ws->bev)
            goto fail;
    }
    ws->state = SIM_WS_CONNECTING;
    bufferevent_setcb(ws->bev, on_read, on_write, on_event, ws);
    struct timeval tv = {req->handshake_timeout_s ? req->handshake_timeout_s : 30, 0};
    bufferevent_set_timeouts(ws->bev, &tv, &tv);
    bufferevent_enable(ws->bev, EV_READ | EV_WRITE);

    struct evbuffer *out = bufferevent_get_output(ws->bev);
    evbuffer_add_printf(out,
                        "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: %s\r\n",
                        req->path, req->host_header, key, req->subprotocol);
    if (req->auth_password) {
        size_t ulen = strlen(req->auth_user), plen = strlen(req->auth_password);
        char *cred = malloc(ulen + plen + 2);
        char *b64 = malloc(((ulen + plen + 1 + 2) / 3) * 4 + 1);
        if (!cred || !b64) {
            free(cred);
            free(b64);
            goto fail;
        }
        memcpy(cred, req->auth_user, ulen);
        cred[ulen] = ':';
        memcpy(cred + ulen + 1, req->auth_password, plen + 1);
        base64((const unsigned char *)cred, ulen + plen + 1, b64);
        evbuffer_add_printf(out, "Authorization: Basic %s\r\n", b64);
        free(cred);
        free(b64);
    }
    evbuffer_add(out, "\r\n", 2);
    if (bufferevent_socket_connect(ws->bev, req->addr, (int)req->addrlen) != 0) {
        release(ws);
        return -1;
    }
    return 0;
fail:
    release(ws);
    return -1;
}

SSL_CTX *sim_ws_tls_context(const char *ca_file, const char *cert_file, const char *key_file)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx)
        return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    int ok = ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
                     : SSL_CTX_set_default_verify_paths(ctx);
    if (ok != 1) {
        fprintf(stderr, "galvani-sim: cannot load CA file %s\n", ca_file ? ca_file : "(default)");
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (cert_file) {
        if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1 ||
            SSL_CTX_use_PrivateKey_file(ctx, key_file ? key_file : cert_file, SSL_FILETYPE_PEM) !=
                1 ||
            SSL_CTX_check_private_key(ctx) != 1) {
            fprintf(stderr, "galvani-sim: cannot load client certificate %s / key %s\n", cert_file,
                    key_file ? key_file : cert_file);
            SSL_CTX_free(ctx);
            return NULL;
        }
    }
    return ctx;
}
