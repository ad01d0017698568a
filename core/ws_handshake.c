/*
 * galvani core — the WebSocket opening handshake: HTTP/1.1 upgrade request
 * parsing and checks (RFC 6455 §4.2.1), the accept key, and the choice of a
 * subprotocol registration.
 */
#include "ws-internal.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_tchar(unsigned char c)
{
    if (isalnum(c))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Finds the end of the line starting at p (before limit): returns the
 * position of '\n' or NULL. */
static char *line_end(char *p, char *limit)
{
    return memchr(p, '\n', (size_t)(limit - p));
}

/* Cuts the line [p, nl): drops a trailing CR, NUL-terminates. Returns -1
 * when the line holds a control character other than HTAB. */
static int line_cut(char *p, char *nl)
{
    char *e = nl;
    if (e > p && e[-1] == '\r')
        e--;
    *e = '\0';
    for (char *q = p; q < e; q++) {
        unsigned char c = (unsigned char)*q;
        if ((c < 0x20 && c != '\t') || c == 0x7F)
            return -1;
    }
    return 0;
}

int glv_ws_request_parse(char *buf, size_t len, glv_ws_request *req)
{
    memset(req, 0, sizeof *req);
    /* The head ends with an empty line. */
    char *limit = buf + len;
    char *end = NULL;
    for (char *p = buf; p < limit;) {
        char *nl = line_end(p, limit);
        if (nl == NULL)
            break;
        if (nl == p || (nl == p + 1 && *p == '\r')) {
            end = nl + 1;
            break;
        }
        p = nl + 1;
    }
    if (end == NULL)
        return len >= GLV_WS_MAX_REQUEST ? -431 : 0;
    if (end - buf > GLV_WS_MAX_REQUEST)
        return -431;

    /* Request line: METHOD SP target SP HTTP/1.x */
    char *p = buf;
    char *nl = line_end(p, end);
    if (line_cut(p, nl) != 0)
        return -400;
    char *sp1 = strchr(p, ' ');
    if (sp1 == NULL || sp1 == p)
        return -400;
    *sp1 = '\0';
    for (char *q = p; *q; q++)
        if (!is_tchar((unsigned char)*q))
            return -400;
    char *target = sp1 + 1;
    char *sp2 = strchr(target, ' ');
    if (sp2 == NULL || sp2 == target)
        return -400;
    *sp2 = '\0';
    const char *version = sp2 + 1;
    if (strncmp(version, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)version[7]) ||
        version[8] != '\0')
        return strncmp(version, "HTTP/", 5) == 0 ? -505 : -400;
    if (version[7] != '1')
        return -505; /* upgrades need HTTP/1.1 */
    for (char *q = target; *q; q++)
        if (*q == ' ')
            return -400;
    req->method = p;
    req->target = target;

    /* Header fields. */
    p = nl + 1;
    while (p < end) {
        nl = line_end(p, end);
        if (line_cut(p, nl) != 0)
            return -400;
        if (*p == '\0')
            break; /* the empty line */
        if (*p == ' ' || *p == '\t')
            return -400; /* obsolete line folding */
        char *colon = strchr(p, ':');
        if (colon == NULL || colon == p)
            return -400;
        for (char *q = p; q < colon; q++)
            if (!is_tchar((unsigned char)*q))
                return -400;
        *colon = '\0';
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        char *ve = v + strlen(v);
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            *--ve = '\0';
        if (req->nheaders == GLV_WS_MAX_HEADERS)
            return -431;
        req->headers[req->nheaders].name = p;
        req->headers[req->nheaders].value = v;
        req->nheaders++;
        p = nl + 1;
    }
    return (int)(end - buf);
}

const char *glv_ws_request_header(const glv_ws_request *req, const char *name)
{
    for (unsigned i = 0; i < req->nheaders; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

const char *glv_ws_token_next(const char **cursor, size_t *tlen)
{
    const char *s = *cursor;
    for (;;) {
        while (*s == ' ' || *s == '\t' || *s == ',')
            s++;
        if (*s == '\0') {
            *cursor = s;
            return NULL;
        }
        const char *start = s;
        while (*s != '\0' && *s != ',')
            s++;
        const char *e = s;
        while (e > start && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        *cursor = s;
        if (e > start) {
            *tlen = (size_t)(e - start);
            return start;
        }
    }
}

/* 1 when some header `name` holds `token` in its comma list (case-insensitive). */
static int header_has_token(const glv_ws_request *req, const char *name, const char *token)
{
    size_t want = strlen(token);
    for (unsigned i = 0; i < req->nheaders; i++) {
        if (strcasecmp(req->headers[i].name, name) != 0)
            continue;
        const char *cur = req->headers[i].value;
        const char *t;
        size_t tlen;
        while ((t = glv_ws_token_next(&cur, &tlen)) != NULL)
            if (tlen == want && strncasecmp(t, token, want) == 0)
                return 1;
    }
    return 0;
}

/* 1 when key is base64 of 16 bytes. */
static int key_valid(const char *key)
{
    if (strlen(key) != 24 || key[22] != '=' || key[23] != '=')
        return 0;
    for (int i = 0; i < 22; i++) {
        unsigned char c = (unsigned char)key[i];
        if (!isalnum(c) && c != '+' && c != '/')
            return 0;
    }
    /* The last character before the padding carries 2 bits: A, Q, g or w. */
    return strchr("AQgw", key[21]) != NULL;
}

int glv_ws_request_check(const glv_ws_request *req)
{
    if (strcmp(req->method, "GET") != 0)
        return 405;
    if (req->target[0] != '/')
        return 400;
    if (glv_ws_request_header(req, "Host") == NULL)
        return 400;
    if (!header_has_token(req, "Upgrade", "websocket"))
        return 400;
    if (!header_has_token(req, "Connection", "upgrade"))
        return 400;
    const char *key = glv_ws_request_header(req, "Sec-WebSocket-Key");
    if (key == NULL || !key_valid(key))
        return 400;
    const char *version = glv_ws_request_header(req, "Sec-WebSocket-Version");
    if (version == NULL)
        return 400;
    if (strcmp(version, "13") != 0)
        return 426;
    return 0;
}

void glv_ws_accept_key(const char *key, char out[29])
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char joined[128];
    size_t klen = strlen(key);
    if (klen > sizeof joined - sizeof guid)
        klen = sizeof joined - sizeof guid;
    memcpy(joined, key, klen);
    memcpy(joined + klen, guid, sizeof guid - 1);
    EVP_Digest(joined, klen + sizeof guid - 1, md, &mdlen, EVP_sha1(), NULL);
    EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
    out[28] = '\0';
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

char *glv_ws_percent_decode(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            out[o++] = s[i];
            continue;
        }
        int hi = i + 1 < n ? hexval((unsigned char)s[i + 1]) : -1;
        int lo = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            free(out);
            return NULL;
        }
        out[o++] = (char)(hi * 16 + lo);
        i += 2;
    }
    out[o] = '\0';
    return out;
}

const char *glv_ws_status_text(int status)
{
    switch (status) {
    case 101:
        return "Switching Protocols";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 426:
        return "Upgrade Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return status >= 500 ? "Server Error" : "Client Error";
    }
}

/* Length of the path part of a target (up to '?' or '#'). */
static size_t path_len(const char *target)
{
    return strcspn(target, "?#");
}

const glv_ws_reg *glv_ws_select(const glv_ws_reg *regs, const glv_ws_request *req, int *status)
{
    size_t plen = path_len(req->target);
    size_t best = 0;
    bool found = false;
    for (const glv_ws_reg *r = regs; r != NULL; r = r->next) {
        size_t n = strlen(r->prefix);
        if (n <= plen && strncmp(req->target, r->prefix, n) == 0 && (!found || n > best)) {
            best = n;
            found = true;
        }
    }
    if (!found) {
        *status = 404;
        return NULL;
    }
    const char *prefix = NULL;
    for (const glv_ws_reg *r = regs; r != NULL; r = r->next)
        if (strlen(r->prefix) == best && strncmp(req->target, r->prefix, best) == 0)
            prefix = r->prefix;

    bool offered = false;
    for (unsigned i = 0; i < req->nheaders; i++) {
        if (strcasecmp(req->headers[i].name, "Sec-WebSocket-Protocol") != 0)
            continue;
        const char *cur = req->headers[i].value;
        const char *t;
        size_t tlen;
        while ((t = glv_ws_token_next(&cur, &tlen)) != NULL) {
            offered = true;
            for (const glv_ws_reg *r = regs; r != NULL; r = r->next)
                if (strcmp(r->prefix, prefix) == 0 && strlen(r->subprotocol) == tlen &&
                    strncmp(r->subprotocol, t, tlen) == 0)
                    return r;
        }
    }
    if (!offered)
        for (const glv_ws_reg *r = regs; r != NULL; r = r->next)
            if (strcmp(r->prefix, prefix) == 0 && (r->flags & GLV_WS_DEFAULT_SUBPROTOCOL))
                return r;
    *status = 400;
    return NULL;
}
