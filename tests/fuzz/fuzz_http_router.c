/*
 * libFuzzer target for the HTTP router. Input: lines "METHOD /pattern" that
 * register routes, then a last line "METHOD /path" that is looked up.
 * Checks that a found route's parameters are complete and NUL-free, that a
 * 405 carries an Allow list, and that nothing leaks or overflows.
 */
#include "http_router-internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void handler(glv_http_request *req, void *arg)
{
    (void)req;
    (void)arg;
}

/* Splits "METHOD rest" in place; NULL when there is no space. */
static char *split_method(char *line)
{
    char *space = strchr(line, ' ');
    if (!space)
        return NULL;
    *space = '\0';
    return space + 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    /* Decoding arbitrary bytes never yields an embedded NUL. */
    char *decoded = glv_http_percent_decode(text, strlen(text));
    if (decoded && memchr(decoded, '\0', strlen(text) + 1) != decoded + strlen(decoded))
        abort();
    free(decoded);

    glv_http_router *r = glv_http_router_new();
    char *last = strrchr(text, '\n');
    char *routes = text;
    char *request = text;
    if (last) {
        *last = '\0';
        request = last + 1;
        char *save = NULL;
        for (char *line = strtok_r(routes, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            char *pattern = split_method(line);
            if (pattern)
                glv_http_router_add(r, line, pattern, handler, NULL, NULL, NULL);
        }
    }
    char *path = split_method(request);
    if (path && r) {
        glv_http_match m;
        int rc = glv_http_router_match(r, request, path, &m);
        if (rc == GLV_HTTP_ROUTE_FOUND) {
            if (!m.route)
                abort();
            size_t expected = 0;
            for (const char *c = m.route->pattern; *c; c++)
                expected += *c == '{';
            if (expected != m.nparams)
                abort();
            for (size_t i = 0; i < m.nparams; i++) {
                if (!m.names[i] || !m.values[i])
                    abort();
            }
        } else if (rc == GLV_HTTP_ROUTE_METHOD) {
            if (m.allow[0] == '\0')
                abort();
        }
        glv_http_match_clear(&m);
    }
    glv_http_router_free(r);
    free(text);
    return 0;
}
