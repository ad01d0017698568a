/*
 * libFuzzer target: the WebSocket frame reader. The input is split into
 * chunks at positions taken from its first byte, to exercise frames and
 * messages that arrive in pieces; every event is checked for consistency.
 */
#include "ws_frame-internal.h"

#include <stdlib.h>
#include <string.h>

static void check(int cond)
{
    if (!cond)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned step = data[0] % 32 + 1;
    glv_ws_limits lim = {.max_frame = 1024 + (data[1] & 0x0F) * 512,
                         .max_message = 4096,
                         .require_mask = (data[1] & 0x80) == 0};
    data += 2;
    size -= 2;
    glv_ws_reader r;
    glv_ws_reader_init(&r, &lim);
    uint8_t *copy = malloc(size + 1);
    memcpy(copy, data, size);
    size_t pos = 0;
    bool failed = false;
    while (pos < size && !failed) {
        size_t chunk = size - pos < step ? size - pos : step;
        size_t off = 0;
        for (;;) {
            glv_ws_event ev;
            size_t used = 0;
            enum glv_ws_event_type t =
                glv_ws_reader_next(&r, copy + pos + off, chunk - off, &used, &ev);
            check(used <= chunk - off);
            off += used;
            if (t == GLV_WS_EV_NONE) {
                check(off == chunk);
                break;
            }
            if (t == GLV_WS_EV_ERROR) {
                check(ev.code == 1002 || ev.code == 1007 || ev.code == 1009 || ev.code == 1011);
                failed = true;
                break;
            }
            if (t == GLV_WS_EV_MESSAGE) {
                check(ev.len <= lim.max_message);
                if (ev.is_text)
                    check(glv_utf8_valid(ev.data, ev.len));
                if (!ev.in_input)
                    check(ev.data[ev.len] == '\0');
            } else {
                check(ev.len <= GLV_WS_MAX_CONTROL);
            }
            if (t == GLV_WS_EV_CLOSE)
                check(ev.code == 1005 || glv_ws_close_code_valid(ev.code));
            /* Touch every byte so the sanitizers see bad ranges. */
            volatile uint8_t sink = 0;
            for (size_t i = 0; i < ev.len; i++)
                sink ^= ev.data[i];
            (void)sink;
        }
        pos += chunk;
    }
    check(glv_ws_reader_held(&r) <= lim.max_message + 1 + GLV_WS_MAX_CONTROL + 1);
    glv_ws_reader_reset(&r);
    free(copy);
    return 0;
}
