/*
 * libFuzzer target: the WebSocket upgrade request parser, the header checks,
 * subprotocol selection and percent-decoding.
 */
#include "ws-internal.h"

#include <stdlib.h>
#include <string.h>

static void check(int cond)
{
    if (!cond)
        abort();
}

static const glv_ws_handlers handlers = {.size = sizeof(glv_ws_handlers)};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > GLV_WS_MAX_REQUEST + 16)
        return 0;
    char *buf = malloc(size + 1);
    memcpy(buf, data, size);
    buf[size] = '\0';
    glv_ws_request req;
    int r = glv_ws_request_parse(buf, size, &req);
    check(r == 0 || r == -400 || r == -431 || r == -505 || (r > 0 && (size_t)r <= size));
    if (r > 0) {
        int status = glv_ws_request_check(&req);
        check(status == 0 || status == 400 || status == 405 || status == 426);
        glv_ws_reg b = {.prefix = "/ocpp/v2/", .subprotocol = "ocpp2.0.1", .handlers = &handlers};
        glv_ws_reg a = {.next = &b,
                        .prefix = "/ocpp/",
                        .subprotocol = "ocpp1.6",
                        .flags = GLV_WS_DEFAULT_SUBPROTOCOL,
                        .handlers = &handlers};
        int st = 0;
        const glv_ws_reg *reg = glv_ws_select(&a, &req, &st);
        check(reg != NULL || st == 400 || st == 404);
        if (reg != NULL) {
            check(strncmp(req.target, reg->prefix, strlen(reg->prefix)) == 0);
            char *tail = glv_ws_percent_decode(req.target + strlen(reg->prefix));
            free(tail);
        }
        if (status == 0) {
            char accept[29];
            glv_ws_accept_key(glv_ws_request_header(&req, "Sec-WebSocket-Key"), accept);
            check(strlen(accept) == 28);
        }
        for (unsigned i = 0; i < req.nheaders; i++) {
            const char *cur = req.headers[i].value;
            size_t tlen;
            const char *t;
            while ((t = glv_ws_token_next(&cur, &tlen)) != NULL)
                check(tlen > 0 && t[0] != ',' && t[0] != ' ');
        }
    }
    free(buf);
    return 0;
}
