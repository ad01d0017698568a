/* galvani core — HTTP routing: method plus path pattern to handler. */
#include "http_router-internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum segment_kind {
    SEG_TAIL = 0, /* "{name*}": the rest of the path */
    SEG_PARAM = 1,
    SEG_LITERAL = 2,
};

struct glv_http_segment {
    enum segment_kind kind;
    char *text; /* owned: the literal, or the parameter's name */
};

struct glv_http_router {
    glv_http_route **routes; /* owned */
    size_t count, cap;
};

/* A path split into raw segments: "/a/b%20c" gives "a" and "b%20c". */
struct path_segments {
    size_t count;
    const char **raw; /* into the path */
    size_t *len;
    char **decoded; /* owned */
};

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *glv_http_percent_decode(const char *src, size_t len)
{
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '%') {
            int hi = i + 1 < len ? hex_value((unsigned char)src[i + 1]) : -1;
            int lo = i + 2 < len ? hex_value((unsigned char)src[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                free(out);
                return NULL;
            }
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '\0') {
            free(out);
            return NULL;
        } else {
            out[o++] = c;
        }
    }
    out[o] = '\0';
    return out;
}

static void route_free(glv_http_route *route)
{
    if (!route)
        return;
    for (size_t i = 0; i < route->nsegments; i++)
        free(route->segments[i].text);
    free(route->segments);
    free(route->method);
    free(route->pattern);
    free(route->label);
    free(route);
}

glv_http_router *glv_http_router_new(void)
{
    return calloc(1, sizeof(glv_http_router));
}

void glv_http_router_free(glv_http_router *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->count; i++)
        route_free(r->routes[i]);
    free(r->routes);
    free(r);
}

static bool valid_param_name(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!isalnum((unsigned char)s[i]) && s[i] != '_')
            return false;
    }
    return true;
}

static bool valid_literal(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || c == '{' || c == '}' || c == '?' || c == '#' || c == '%' ||
            c == '"' || c == '\\')
            return false;
    }
    return true;
}

/* Compiles pattern into route->segments. -EINVAL when malformed. */
static int compile_pattern(glv_http_route *route, const char *pattern)
{
    if (pattern[0] != '/')
        return -EINVAL;
    size_t n = 1;
    for (const char *c = pattern + 1; *c; c++)
        n += *c == '/';
    route->segments = calloc(n, sizeof(*route->segments));
    if (!route->segments)
        return -ENOMEM;
    const char *start = pattern + 1;
    for (size_t i = 0; i < n; i++) {
        const char *end = strchr(start, '/');
        size_t len = end ? (size_t)(end - start) : strlen(start);
        struct glv_http_segment *seg = &route->segments[i];
        route->nsegments = i + 1;
        if (len >= 2 && start[0] == '{' && start[len - 1] == '}') {
            const char *name = start + 1;
            size_t name_len = len - 2;
            seg->kind = SEG_PARAM;
            if (name_len > 0 && name[name_len - 1] == '*') {
                if (i != n - 1)
                    return -EINVAL; /* a tail must be last */
                seg->kind = SEG_TAIL;
                name_len--;
            }
            if (!valid_param_name(name, name_len))
                return -EINVAL;
            seg->text = strndup(name, name_len);
            for (size_t j = 0; seg->text && j < i; j++) {
                if (route->segments[j].kind != SEG_LITERAL &&
                    strcmp(route->segments[j].text, seg->text) == 0)
                    return -EINVAL; /* the same name twice */
            }
        } else {
            if (!valid_literal(start, len))
                return -EINVAL;
            seg->kind = SEG_LITERAL;
            seg->text = strndup(start, len);
        }
        if (!seg->text)
            return -ENOMEM;
        start = end ? end + 1 : start + len;
    }
    return 0;
}

/* 1 when both patterns have the same shape: the same literals at the same
 * places and parameters (or tails) where the other has them. */
static bool same_shape(const glv_http_route *a, const glv_http_route *b)
{
    if (a->nsegments != b->nsegments)
        return false;
    for (size_t i = 0; i < a->nsegments; i++) {
        if (a->segments[i].kind != b->segments[i].kind)
            return false;
        if (a->segments[i].kind == SEG_LITERAL &&
            strcmp(a->segments[i].text, b->segments[i].text) != 0)
            return false;
    }
    return true;
}

static bool valid_method(const char *method)
{
    size_t len = strlen(method);
    if (len == 0 || len > 16)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!isalpha((unsigned char)method[i]))
            return false;
    }
    return true;
}

int glv_http_router_add(glv_http_router *r, const char *method, const char *pattern,
                        glv_http_handler_fn fn, void *arg, glv_plugin *plugin, glv_http_route **out)
{
    if (!r || !method || !pattern || !fn || !valid_method(method))
        return -EINVAL;
    glv_http_route *route = calloc(1, sizeof(*route));
    if (!route)
        return -ENOMEM;
    route->method = strdup(method);
    route->pattern = strdup(pattern);
    if (!route->method || !route->pattern) {
        route_free(route);
        return -ENOMEM;
    }
    for (char *c = route->method; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    int rc = compile_pattern(route, pattern);
    if (rc < 0) {
        route_free(route);
        return rc;
    }
    for (size_t i = 0; i < r->count; i++) {
        if (strcmp(r->routes[i]->method, route->method) == 0 && same_shape(r->routes[i], route)) {
            route_free(route);
            return -EEXIST;
        }
    }
    size_t label_len = strlen(route->method) + strlen(pattern) + 2;
    route->label = malloc(label_len);
    if (r->count == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        glv_http_route **routes = realloc(r->routes, cap * sizeof(*routes));
        if (!routes) {
            route_free(route);
            return -ENOMEM;
        }
        r->routes = routes;
        r->cap = cap;
    }
    if (!route->label) {
        route_free(route);
        return -ENOMEM;
    }
    snprintf(route->label, label_len, "%s %s", route->method, pattern);
    route->fn = fn;
    route->arg = arg;
    route->plugin = plugin;
    route->order = r->count;
    r->routes[r->count++] = route;
    if (out)
        *out = route;
    return 0;
}

static void path_segments_clear(struct path_segments *ps)
{
    for (size_t i = 0; i < ps->count; i++)
        free(ps->decoded ? ps->decoded[i] : NULL);
    free(ps->decoded);
    free(ps->raw);
    free(ps->len);
    memset(ps, 0, sizeof(*ps));
}

/* Splits and decodes path. Returns 0, -EINVAL (bad encoding) or -ENOMEM. */
static int path_split(const char *path, struct path_segments *ps)
{
    memset(ps, 0, sizeof(*ps));
    if (path[0] != '/')
        return -EINVAL;
    size_t n = 1;
    for (const char *c = path + 1; *c; c++)
        n += *c == '/';
    ps->raw = calloc(n, sizeof(*ps->raw));
    ps->len = calloc(n, sizeof(*ps->len));
    ps->decoded = calloc(n, sizeof(*ps->decoded));
    if (!ps->raw || !ps->len || !ps->decoded) {
        path_segments_clear(ps);
        return -ENOMEM;
    }
    const char *start = path + 1;
    for (size_t i = 0; i < n; i++) {
        const char *end = strchr(start, '/');
        size_t len = end ? (size_t)(end - start) : strlen(start);
        ps->raw[i] = start;
        ps->len[i] = len;
        ps->count = i + 1;
        ps->decoded[i] = glv_http_percent_decode(start, len);
        if (!ps->decoded[i]) {
            path_segments_clear(ps);
            return -EINVAL;
        }
        start = end ? end + 1 : start + len;
    }
    return 0;
}

static bool route_matches(const glv_http_route *route, const struct path_segments *ps)
{
    size_t n = route->nsegments;
    bool tail = n > 0 && route->segments[n - 1].kind == SEG_TAIL;
    if (tail ? ps->count < n : ps->count != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        const struct glv_http_segment *seg = &route->segments[i];
        if (seg->kind == SEG_LITERAL && strcmp(seg->text, ps->decoded[i]) != 0)
            return false;
        if (seg->kind == SEG_PARAM && ps->decoded[i][0] == '\0')
            return false;
    }
    return true;
}

/* > 0 when a is more specific than b, < 0 when less, 0 when alike. */
static int specificity(const glv_http_route *a, const glv_http_route *b)
{
    size_t n = a->nsegments < b->nsegments ? a->nsegments : b->nsegments;
    for (size_t i = 0; i < n; i++) {
        int d = (int)a->segments[i].kind - (int)b->segments[i].kind;
        if (d != 0)
            return d;
    }
    /* Both matched the same path, so the shorter one ends with a tail. */
    return (int)a->nsegments - (int)b->nsegments;
}

static bool method_serves(const char *route_method, const char *method)
{
    return strcmp(route_method, method) == 0 ||
           (strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0);
}

static void allow_add(char *allow, size_t size, const char *method)
{
    size_t mlen = strlen(method);
    const char *p = allow;
    while ((p = strstr(p, method)) != NULL) {
        if ((p == allow || p[-1] == ' ') && (p[mlen] == ',' || p[mlen] == '\0'))
            return;
        p += mlen;
    }
    size_t used = strlen(allow);
    size_t need = mlen + (used ? 2 : 0);
    if (used + need + 1 > size)
        return;
    snprintf(allow + used, size - used, "%s%s", used ? ", " : "", method);
}

static int fill_params(const glv_http_route *route, const struct path_segments *ps,
                       glv_http_match *m)
{
    size_t count = 0;
    for (size_t i = 0; i < route->nsegments; i++)
        count += route->segments[i].kind != SEG_LITERAL;
    if (count == 0)
        return 0;
    m->names = calloc(count, sizeof(*m->names));
    m->values = calloc(count, sizeof(*m->values));
    if (!m->names || !m->values)
        return -ENOMEM;
    for (size_t i = 0; i < route->nsegments; i++) {
        const struct glv_http_segment *seg = &route->segments[i];
        char *value;
        if (seg->kind == SEG_LITERAL)
            continue;
        if (seg->kind == SEG_TAIL) {
            const char *start = ps->raw[i];
            value = glv_http_percent_decode(start, strlen(start));
        } else {
            value = strdup(ps->decoded[i]);
        }
        if (!value)
            return -ENOMEM;
        m->names[m->nparams] = seg->text;
        m->values[m->nparams] = value;
        m->nparams++;
    }
    return 0;
}

int glv_http_router_match(const glv_http_router *r, const char *method, const char *path,
                          glv_http_match *m)
{
    memset(m, 0, sizeof(*m));
    struct path_segments ps;
    int rc = path_split(path, &ps);
    if (rc == -EINVAL)
        return GLV_HTTP_ROUTE_BAD_PATH;
    if (rc < 0)
        return rc;
    const glv_http_route *best = NULL;
    bool any_path = false;
    for (size_t i = 0; i < r->count; i++) {
        const glv_http_route *route = r->routes[i];
        if (!route_matches(route, &ps))
            continue;
        any_path = true;
        if (!method_serves(route->method, method))
            continue;
        if (!best || specificity(route, best) > 0)
            best = route;
        else if (specificity(route, best) == 0 && strcmp(route->method, method) == 0 &&
                 strcmp(best->method, method) != 0)
            best = route; /* an explicit HEAD route beats GET serving HEAD */
    }
    if (best) {
        m->route = best;
        rc = fill_params(best, &ps, m);
        path_segments_clear(&ps);
        if (rc < 0) {
            glv_http_match_clear(m);
            return rc;
        }
        return GLV_HTTP_ROUTE_FOUND;
    }
    if (!any_path) {
        path_segments_clear(&ps);
        return GLV_HTTP_ROUTE_NOT_FOUND;
    }
    for (size_t i = 0; i < r->count; i++) {
        const glv_http_route *route = r->routes[i];
        if (!route_matches(route, &ps))
            continue;
        allow_add(m->allow, sizeof(m->allow), route->method);
        if (strcmp(route->method, "GET") == 0)
            allow_add(m->allow, sizeof(m->allow), "HEAD");
    }
    path_segments_clear(&ps);
    return GLV_HTTP_ROUTE_METHOD;
}

void glv_http_match_clear(glv_http_match *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nparams; i++)
        free(m->values[i]);
    free(m->values);
    free(m->names);
    m->values = NULL;
    m->names = NULL;
    m->nparams = 0;
    m->route = NULL;
}
