/* galvani core — the request side of the HTTP host functions: accessors,
 * JSON bodies, replies and problem JSON (RFC 9457). */
#include "http-internal.h"
#include "log-internal.h"

#include <errno.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *glv_http_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 402:
        return "Payment Required";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 428:
        return "Precondition Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        break;
    }
    if (status >= 200 && status < 300)
        return "OK";
    if (status >= 400 && status < 500)
        return "Client Error";
    return "Error";
}

void glv_http_request_free(glv_http_request *req)
{
    if (!req)
        return;
    glv_http_match_clear(&req->match);
    if (req->query_params) {
        evhttp_clear_headers(req->query_params);
        free(req->query_params);
    }
    free(req->path);
    free(req->query);
    free(req->body);
    free(req);
}

/* ---- accessors (strings borrowed from the request) ---- */

static const char *http_method(glv_http_request *req)
{
    return req ? req->method : NULL;
}

static const char *http_path(glv_http_request *req)
{
    return req ? req->path : NULL;
}

static const char *http_path_param(glv_http_request *req, const char *name)
{
    if (!req || !name)
        return NULL;
    for (size_t i = 0; i < req->match.nparams; i++) {
        if (strcmp(req->match.names[i], name) == 0)
            return req->match.values[i];
    }
    return NULL;
}

static const char *http_query_param(glv_http_request *req, const char *name)
{
    if (!req || !name || !req->query)
        return NULL;
    if (!req->query_params) {
        req->query_params = calloc(1, sizeof(*req->query_params));
        if (!req->query_params)
            return NULL;
        TAILQ_INIT(req->query_params);
        /* Decodes %XX and '+'; a malformed query yields what parsed. */
        evhttp_parse_query_str(req->query, req->query_params);
    }
    return evhttp_find_header(req->query_params, name);
}

static const char *http_header(glv_http_request *req, const char *name)
{
    if (!req || !name || !req->ev)
        return NULL;
    return evhttp_find_header(evhttp_request_get_input_headers(req->ev), name);
}

static const char *http_request_id(glv_http_request *req)
{
    return req ? req->id : NULL;
}

static const char *http_remote_addr(glv_http_request *req)
{
    return req ? req->remote : NULL;
}

static const char *http_body(glv_http_request *req, size_t *len)
{
    if (len)
        *len = req ? req->body_len : 0;
    return req && req->body ? req->body : "";
}

/* 1 when the Content-Type's media type is application/json (parameters
 * such as charset aside). */
static int content_type_is_json(const char *ct)
{
    if (!ct)
        return 0;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    static const char json_type[] = "application/json";
    size_t n = sizeof(json_type) - 1;
    if (strncasecmp(ct, json_type, n) != 0)
        return 0;
    ct += n;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    return *ct == '\0' || *ct == ';';
}

static int http_body_json(glv_http_request *req, json_t **out)
{
    if (out)
        *out = NULL;
    if (!req || !out)
        return -EINVAL;
    const char *ct = http_header(req, "Content-Type");
    if (!content_type_is_json(ct)) {
        glv_http_send_problem(req, 415, "Unsupported Media Type",
                              "the request body must be application/json", NULL);
        return -EINVAL;
    }
    json_error_t error;
    json_t *body =
        json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES, &error);
    if (!body) {
        char detail[256];
        snprintf(detail, sizeof(detail), "invalid JSON at line %d, column %d: %s", error.line,
                 error.column, error.text);
        glv_http_send_problem(req, 400, "Bad Request", detail,
                              json_pack("{s:i, s:i}", "line", error.line, "column", error.column));
        return -EINVAL;
    }
    if (!json_is_object(body)) {
        json_decref(body);
        glv_http_send_problem(req, 400, "Bad Request", "the request body must be a JSON object",
                              NULL);
        return -EINVAL;
    }
    *out = body;
    return 0;
}

static int valid_header_text(const char *s, int is_name)
{
    if (!s || (is_name && !*s))
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\r' || c == '\n' || (is_name && (c <= 0x20 || c == ':' || c >= 0x7f)))
            return 0;
    }
    return 1;
}

static int http_set_header(glv_http_request *req, const char *name, const char *value)
{
    if (!req || !valid_header_text(name, 1) || !valid_header_text(value, 0))
        return -EINVAL;
    if (req->replied)
        return -EALREADY;
    if (!req->ev)
        return 0; /* the client has gone; the reply will be dropped */
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req->ev);
    return evhttp_add_header(headers, name, value) == 0 ? 0 : -ENOMEM;
}

/* ---- replies ---- */

static void http_reply_json(glv_http_request *req, int status, json_t *body)
{
    if (!req) {
        json_decref(body);
        return;
    }
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (body && !text) {
        glv_http_send_problem(req, 500, "Internal Server Error", "response encoding failed", NULL);
        return;
    }
    glv_http_send(req, status, text ? "application/json" : NULL, text, text ? strlen(text) : 0);
    free(text);
}

static void http_reply(glv_http_request *req, int status, const char *content_type,
                       const void *body, size_t len)
{
    if (!req)
        return;
    glv_http_send(req, status, content_type, body, len);
}

void glv_http_send_problem(glv_http_request *req, int status, const char *title, const char *detail,
                           json_t *extra)
{
    json_t *problem = json_object();
    if (!problem) {
        json_decref(extra);
        glv_http_send(req, status, NULL, NULL, 0);
        return;
    }
    json_object_set_new(problem, "type", json_string("about:blank"));
    json_object_set_new(problem, "title", json_string(title ? title : glv_http_reason(status)));
    json_object_set_new(problem, "status", json_integer(status));
    if (detail)
        json_object_set_new(problem, "detail", json_string(detail));
    if (req->path)
        json_object_set_new(problem, "instance", json_string(req->path));
    json_object_set_new(problem, "request_id", json_string(req->id));
    if (json_is_object(extra))
        json_object_update(problem, extra);
    json_decref(extra);
    char *text = json_dumps(problem, JSON_COMPACT);
    json_decref(problem);
    glv_http_send(req, status, "application/problem+json", text, text ? strlen(text) : 0);
    free(text);
}

static void http_problem(glv_http_request *req, int status, const char *title, const char *detail,
                         json_t *extra)
{
    if (!req) {
        json_decref(extra);
        return;
    }
    glv_http_send_problem(req, status, title, detail, extra);
}

static int http_route(glv_plugin *p, const char *method, const char *pattern,
                      glv_http_handler_fn fn, void *arg)
{
    if (!p)
        return -EINVAL;
    if (!p->core->http)
        return glv_fail(p, -ENODEV, "no HTTP server is configured");
    return glv_http_add_route(p->core->http, p, method, pattern, fn, arg);
}

void glv_http_fill_host(glv_host *h)
{
    h->http_route = http_route;
    h->http_method = http_method;
    h->http_path = http_path;
    h->http_path_param = http_path_param;
    h->http_query_param = http_query_param;
    h->http_header = http_header;
    h->http_request_id = http_request_id;
    h->http_remote_addr = http_remote_addr;
    h->http_body = http_body;
    h->http_body_json = http_body_json;
    h->http_set_header = http_set_header;
    h->http_reply_json = http_reply_json;
    h->http_reply = http_reply;
    h->http_problem = http_problem;
}
