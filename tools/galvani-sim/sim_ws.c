#include "sim_ws.h"

#include <arpa/inet.h>
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

/* How a connection ends once its output has been written. */
enum { DRAIN_CLOSED = 1, DRAIN_DROPPED, DRAIN_CLOSED_BY_PEER };

struct sim_ws_pending {
    char accept[32];
    char subprotocol[24];
    size_t request_len;
    char request[]; /* the HTTP upgrade request, sent once connected */
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

static struct sim_ws *from_conn(struct sim_conn *conn)
{
    return (struct sim_ws *)((char *)conn - offsetof(struct sim_ws, conn));
}

static void release(struct sim_ws *ws)
{
    sim_conn_close(&ws->conn);
    free(ws->pending);
    ws->pending = NULL;
    free(ws->fragments);
    ws->fragments = NULL;
    ws->fragments_len = 0;
    ws->state = SIM_WS_IDLE;
    ws->end_after_drain = 0;
}

static void end(struct sim_ws *ws, enum sim_ws_end why, const char *detail)
{
    release(ws);
    if (ws->cb && ws->cb->ended)
        ws->cb->ended(ws, why, detail);
}

/* Every frame is built here: header, then the payload masked as it is
 * copied. */
static unsigned char *frame_buf;
static size_t frame_cap;

static int write_frame(struct sim_ws *ws, int opcode, const void *data, size_t len)
{
    if (!sim_conn_is_open(&ws->conn))
        return -1;
    if (len + 14 > frame_cap) {
        size_t cap = len + 14 > 4096 ? len + 14 : 4096;
        unsigned char *buf = realloc(frame_buf, cap);
        if (!buf)
            return -1;
        frame_buf = buf;
        frame_cap = cap;
    }
    unsigned char *buf = frame_buf;
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
    unsigned char key[8] = {(unsigned char)(m >> 24), (unsigned char)(m >> 16),
                            (unsigned char)(m >> 8), (unsigned char)m};
    memcpy(key + 4, key, 4);
    memcpy(buf + p, key, 4);
    p += 4;
    const unsigned char *src = data;
    unsigned char *dst = buf + p;
    uint64_t key8;
    memcpy(&key8, key, 8);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t v;
        memcpy(&v, src + i, 8);
        v ^= key8;
        memcpy(dst + i, &v, 8);
    }
    for (; i < len; i++)
        dst[i] = src[i] ^ key[i & 3];
    return sim_conn_write(&ws->conn, buf, p + len);
}

int sim_ws_send_text(struct sim_ws *ws, const char *data, size_t len)
{
    if (ws->state != SIM_WS_OPEN)
        return -1;
    return write_frame(ws, OP_TEXT, data, len);
}

/* Ends the connection from the loop once what was written has gone out. */
static void end_when_drained(struct sim_ws *ws, uint8_t how)
{
    ws->state = SIM_WS_CLOSING;
    ws->end_after_drain = how;
    sim_conn_notify_drained(&ws->conn);
}

void sim_ws_close(struct sim_ws *ws, uint16_t code)
{
    if (ws->state == SIM_WS_OPEN) {
        unsigned char payload[2] = {(unsigned char)(code >> 8), (unsigned char)code};
        write_frame(ws, OP_CLOSE, payload, sizeof(payload));
        end_when_drained(ws, DRAIN_CLOSED);
    } else if (ws->state == SIM_WS_CONNECTING) {
        end(ws, SIM_WS_END_CLOSED_LOCALLY, "closed while connecting");
    }
}

void sim_ws_abort_after_drain(struct sim_ws *ws)
{
    if (sim_conn_is_open(&ws->conn))
        end_when_drained(ws, DRAIN_DROPPED);
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

/* Reads the answer to the upgrade request at the start of data. Returns 1
 * when it completed (*used set), 0 when more input is needed and -1 when it
 * failed (the connection has ended). */
static int read_handshake(struct sim_ws *ws, const char *data, size_t len, size_t *used)
{
    const char *eoh = memmem(data, len, "\r\n\r\n", 4);
    if (!eoh) {
        if (len > WS_MAX_HEADER) {
            end(ws, SIM_WS_END_HANDSHAKE_FAILED, "handshake answer too long");
            return -1;
        }
        return 0;
    }
    size_t hlen = (size_t)(eoh - data) + 4;
    char *head = malloc(hlen + 1);
    if (!head) {
        end(ws, SIM_WS_END_HANDSHAKE_FAILED, "out of memory");
        return -1;
    }
    memcpy(head, data, hlen);
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
            size_t n = (size_t)(eol - line);
            const char *v;
            if (header_is(line, n, "Sec-WebSocket-Accept", &v)) {
                got_accept = value_equals(v, eol, ws->pending->accept, 0) ? 1 : -1;
            } else if (header_is(line, n, "Upgrade", &v)) {
                got_upgrade = value_equals(v, eol, "websocket", 1);
            } else if (header_is(line, n, "Connection", &v)) {
                got_connection = value_has_token(v, eol, "upgrade");
            } else if (header_is(line, n, "Sec-WebSocket-Protocol", &v)) {
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
    sim_conn_clear_timeout(&ws->conn);
    *used = hlen;
    return 1;
}

static void protocol_error(struct sim_ws *ws, uint16_t code, const char *detail)
{
    unsigned char payload[2] = {(unsigned char)(code >> 8), (unsigned char)code};
    write_frame(ws, OP_CLOSE, payload, sizeof(payload));
    end(ws, SIM_WS_END_PROTOCOL, detail);
}

static void deliver(struct sim_ws *ws, const char *data, size_t len)
{
    if (ws->cb && ws->cb->text)
        ws->cb->text(ws, data, len);
}

/* One control frame; returns 0 when reading may go on. */
static int control_frame(struct sim_ws *ws, int op, const unsigned char *payload, size_t len)
{
    if (op == OP_PING) {
        if (ws->state == SIM_WS_OPEN)
            write_frame(ws, OP_PONG, payload, len);
        return 0;
    }
    if (op == OP_PONG)
        return 0;
    if (op != OP_CLOSE) {
        protocol_error(ws, 1002, "unknown control opcode");
        return -1;
    }
    if (ws->state == SIM_WS_OPEN) {
        unsigned char reply[2] = {len >= 2 ? payload[0] : 0, len >= 2 ? payload[1] : 0};
        write_frame(ws, OP_CLOSE, reply, len >= 2 ? 2 : 0);
        /* let the reply go out, then end */
        end_when_drained(ws, DRAIN_CLOSED_BY_PEER);
        return -1;
    }
    uint16_t code = len >= 2 ? (uint16_t)((payload[0] << 8) | payload[1]) : 1005;
    char detail[48];
    snprintf(detail, sizeof(detail), "close frame %u", code);
    end(ws, SIM_WS_END_CLOSED_BY_PEER, detail);
    return -1;
}

/* A data frame; returns 0 when reading may go on. */
static int data_frame(struct sim_ws *ws, int op, int fin, const char *payload, size_t len)
{
    if (op == OP_BINARY) {
        protocol_error(ws, 1003, "binary frame");
        return -1;
    }
    if (op != OP_TEXT && op != OP_CONT) {
        protocol_error(ws, 1002, "unknown opcode");
        return -1;
    }
    if ((op == OP_TEXT) != (ws->fragments == NULL)) {
        protocol_error(ws, 1002,
                       op == OP_TEXT ? "new message inside a fragmented one"
                                     : "continuation without a message");
        return -1;
    }
    if (op == OP_TEXT && fin) {
        deliver(ws, payload, len);
        return 0;
    }
    char *grown = realloc(ws->fragments, ws->fragments_len + len + 1);
    if (!grown) {
        protocol_error(ws, 1011, "out of memory");
        return -1;
    }
    memcpy(grown + ws->fragments_len, payload, len);
    ws->fragments = grown;
    ws->fragments_len += (uint32_t)len;
    if (fin) {
        char *msg = ws->fragments;
        size_t mlen = ws->fragments_len;
        ws->fragments = NULL;
        ws->fragments_len = 0;
        deliver(ws, msg, mlen);
        free(msg);
    }
    return 0;
}

/* Reads the frames in data; returns the bytes used (complete frames). */
static size_t read_frames(struct sim_ws *ws, const char *data, size_t len)
{
    uint32_t serial = ws->conn.serial;
    size_t pos = 0;
    while (ws->conn.serial == serial && (ws->state == SIM_WS_OPEN || ws->state == SIM_WS_CLOSING)) {
        const unsigned char *h = (const unsigned char *)data + pos;
        size_t avail = len - pos;
        if (avail < 2)
            break;
        int fin = h[0] & 0x80, op = h[0] & 0x0f;
        size_t hl = 2;
        uint64_t plen = h[1] & 0x7f;
        if (h[0] & 0x70) {
            protocol_error(ws, 1002, "reserved bits set");
            break;
        }
        if (h[1] & 0x80) {
            protocol_error(ws, 1002, "masked frame from server");
            break;
        }
        if (plen == 126) {
            if (avail < 4)
                break;
            plen = ((uint64_t)h[2] << 8) | h[3];
            hl = 4;
        } else if (plen == 127) {
            if (avail < 10)
                break;
            plen = 0;
            for (int i = 0; i < 8; i++)
                plen = (plen << 8) | h[2 + i];
            hl = 10;
        }
        if (op >= 8 && (!fin || plen > 125)) {
            protocol_error(ws, 1002, "bad control frame");
            break;
        }
        if (plen + ws->fragments_len > WS_MAX_MESSAGE) {
            protocol_error(ws, 1009, "message too big");
            break;
        }
        if (avail < hl + plen)
            break;
        pos += hl + (size_t)plen;
        int rc = op >= 8 ? control_frame(ws, op, h + hl, (size_t)plen)
                         : data_frame(ws, op, fin, (const char *)h + hl, (size_t)plen);
        if (rc != 0)
            break;
    }
    return pos;
}

static void on_ready(struct sim_conn *conn)
{
    struct sim_ws *ws = from_conn(conn);
    if (sim_conn_write(conn, ws->pending->request, ws->pending->request_len) != 0)
        end(ws, SIM_WS_END_CONNECT_FAILED, "cannot send the upgrade request");
}

static size_t on_data(struct sim_conn *conn, const char *data, size_t len)
{
    struct sim_ws *ws = from_conn(conn);
    size_t used = 0;
    if (ws->state == SIM_WS_CONNECTING) {
        uint32_t serial = conn->serial;
        if (read_handshake(ws, data, len, &used) != 1)
            return 0;
        if (ws->cb && ws->cb->open)
            ws->cb->open(ws);
        if (conn->serial != serial)
            return len;
    }
    return used + read_frames(ws, data + used, len - used);
}

static void end_drained(struct sim_ws *ws)
{
    if (ws->end_after_drain == DRAIN_CLOSED_BY_PEER)
        end(ws, SIM_WS_END_CLOSED_BY_PEER, "close frame");
    else
        end(ws, SIM_WS_END_CLOSED_LOCALLY,
            ws->end_after_drain == DRAIN_DROPPED ? "dropped" : "closed");
}

static void on_drained(struct sim_conn *conn)
{
    struct sim_ws *ws = from_conn(conn);
    if (ws->end_after_drain)
        end_drained(ws);
}

static void on_failed(struct sim_conn *conn, enum sim_conn_failure why, const char *detail)
{
    struct sim_ws *ws = from_conn(conn);
    if (ws->state == SIM_WS_CONNECTING) {
        if (why == SIM_CONN_TLS_FAILED)
            end(ws, SIM_WS_END_TLS_FAILED, detail);
        else if (why == SIM_CONN_EOF)
            end(ws, SIM_WS_END_HANDSHAKE_FAILED, "connection closed during handshake");
        else
            end(ws, SIM_WS_END_CONNECT_FAILED, detail);
    } else if (ws->end_after_drain) {
        end_drained(ws);
    } else {
        end(ws, SIM_WS_END_LOST,
            why == SIM_CONN_EOF ? "connection closed by peer" : "connection error");
    }
}

static const struct sim_conn_callbacks conn_callbacks = {on_ready, on_data, on_drained, on_failed};

static int is_ip_literal(const char *host)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

int sim_ws_connect(struct sim_ws *ws, struct event_base *base, const struct sim_ws_request *req,
                   const struct sim_ws_callbacks *cb)
{
    release(ws);
    ws->cb = cb;
    ws->http_status = 0;
    unsigned char nonce[16];
    char key[32], concat[80], accept[32];
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    if (RAND_bytes(nonce, sizeof(nonce)) != 1)
        return -1;
    base64(nonce, sizeof(nonce), key);
    snprintf(concat, sizeof(concat), "%s%s", key, WS_GUID);
    if (EVP_Digest(concat, strlen(concat), digest, &dlen, EVP_sha1(), NULL) != 1)
        return -1;
    base64(digest, dlen, accept);

    char *auth = NULL;
    if (req->auth_password) {
        size_t ulen = strlen(req->auth_user), plen = strlen(req->auth_password);
        char *cred = malloc(ulen + plen + 2);
        auth = malloc(((ulen + plen + 1 + 2) / 3) * 4 + 1);
        if (!cred || !auth) {
            free(cred);
            free(auth);
            return -1;
        }
        memcpy(cred, req->auth_user, ulen);
        cred[ulen] = ':';
        memcpy(cred + ulen + 1, req->auth_password, plen + 1);
        base64((const unsigned char *)cred, ulen + plen + 1, auth);
        free(cred);
    }
    static const char format[] = "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                                 "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                                 "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: %s\r\n"
                                 "%s%s%s\r\n";
    const char *auth_name = auth ? "Authorization: Basic " : "", *auth_end = auth ? "\r\n" : "";
    int n = snprintf(NULL, 0, format, req->path, req->host_header, key, req->subprotocol, auth_name,
                     auth ? auth : "", auth_end);
    ws->pending = n > 0 ? malloc(sizeof(*ws->pending) + (size_t)n + 1) : NULL;
    if (!ws->pending) {
        free(auth);
        return -1;
    }
    snprintf(ws->pending->request, (size_t)n + 1, format, req->path, req->host_header, key,
             req->subprotocol, auth_name, auth ? auth : "", auth_end);
    free(auth);
    ws->pending->request_len = (size_t)n;
    snprintf(ws->pending->accept, sizeof(ws->pending->accept), "%s", accept);
    snprintf(ws->pending->subprotocol, sizeof(ws->pending->subprotocol), "%s", req->subprotocol);

    SSL *ssl = NULL;
    if (req->ssl_ctx) {
        ssl = SSL_new(req->ssl_ctx);
        if (!ssl) {
            release(ws);
            return -1;
        }
        if (is_ip_literal(req->host)) {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), req->host);
        } else {
            SSL_set_tlsext_host_name(ssl, req->host);
            SSL_set1_host(ssl, req->host);
        }
    }
    unsigned timeout = req->handshake_timeout_s ? req->handshake_timeout_s : 30;
    if (sim_conn_open(&ws->conn, base, req->addr, req->addrlen, ssl, timeout, &conn_callbacks) !=
        0) {
        release(ws);
        return -1;
    }
    ws->state = SIM_WS_CONNECTING;
    return 0;
}

SSL_CTX *sim_ws_tls_context(const char *ca_file, const char *cert_file, const char *key_file)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx)
        return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* a peer that closes without close_notify has closed the connection */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
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
