/*
 * galvani core — RFC 6455 frames: parsing, reassembly, checks, headers.
 */
#include "ws_frame-internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- UTF-8 ----
 * State: bits 0-1 continuation bytes still expected, bits 8-15 and 16-23 the
 * lowest and highest value allowed for the next one (RFC 3629 table). */

static uint32_t utf8_expect(unsigned count, unsigned lo, unsigned hi)
{
    return (uint32_t)count | ((uint32_t)lo << 8) | ((uint32_t)hi << 16);
}

int glv_utf8_feed(uint32_t *state, const uint8_t *p, size_t len)
{
    uint32_t s = *state;
    size_t i = 0;
    while (i < len) {
        if (s == GLV_UTF8_ACCEPT) {
            /* Skip ASCII quickly, eight bytes at a time. */
            while (i + 8 <= len) {
                uint64_t w;
                memcpy(&w, p + i, 8);
                if (w & 0x8080808080808080ull)
                    break;
                i += 8;
            }
            if (i == len)
                break;
            unsigned c = p[i++];
            if (c < 0x80)
                continue;
            if (c >= 0xC2 && c <= 0xDF)
                s = utf8_expect(1, 0x80, 0xBF);
            else if (c == 0xE0)
                s = utf8_expect(2, 0xA0, 0xBF);
            else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF)
                s = utf8_expect(2, 0x80, 0xBF);
            else if (c == 0xED)
                s = utf8_expect(2, 0x80, 0x9F);
            else if (c == 0xF0)
                s = utf8_expect(3, 0x90, 0xBF);
            else if (c >= 0xF1 && c <= 0xF3)
                s = utf8_expect(3, 0x80, 0xBF);
            else if (c == 0xF4)
                s = utf8_expect(3, 0x80, 0x8F);
            else
                return -1;
        } else {
            unsigned c = p[i++];
            unsigned lo = (s >> 8) & 0xFF, hi = (s >> 16) & 0xFF, count = s & 3;
            if (c < lo || c > hi)
                return -1;
            s = count == 1 ? GLV_UTF8_ACCEPT : utf8_expect(count - 1, 0x80, 0xBF);
        }
    }
    *state = s;
    return 0;
}

int glv_utf8_valid(const uint8_t *p, size_t len)
{
    uint32_t s = GLV_UTF8_ACCEPT;
    return glv_utf8_feed(&s, p, len) == 0 && s == GLV_UTF8_ACCEPT;
}

/* ---- frames ---- */

void glv_ws_mask(uint8_t *data, size_t len, const uint8_t mask[4], uint64_t offset)
{
    size_t i = 0;
    unsigned k = (unsigned)(offset & 3);
    /* Align to the mask, then work on eight bytes at a time. */
    while (i < len && k != 0) {
        data[i++] ^= mask[k];
        k = (k + 1) & 3;
    }
    if (len - i >= 8) {
        uint8_t m8[8] = {mask[0], mask[1], mask[2], mask[3], mask[0], mask[1], mask[2], mask[3]};
        uint64_t m;
        memcpy(&m, m8, 8);
        for (; len - i >= 8; i += 8) {
            uint64_t w;
            memcpy(&w, data + i, 8);
            w ^= m;
            memcpy(data + i, &w, 8);
        }
    }
    for (; i < len; i++)
        data[i] ^= mask[(offset + i) & 3];
}

size_t glv_ws_frame_header(uint8_t out[GLV_WS_MAX_HEADER], unsigned opcode, bool fin,
                           uint64_t payload_len, const uint8_t *mask)
{
    size_t n = 0;
    out[n++] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0F));
    uint8_t mbit = mask != NULL ? 0x80 : 0;
    if (payload_len < 126) {
        out[n++] = (uint8_t)(mbit | payload_len);
    } else if (payload_len <= 0xFFFF) {
        out[n++] = (uint8_t)(mbit | 126);
        out[n++] = (uint8_t)(payload_len >> 8);
        out[n++] = (uint8_t)payload_len;
    } else {
        out[n++] = (uint8_t)(mbit | 127);
        for (int shift = 56; shift >= 0; shift -= 8)
            out[n++] = (uint8_t)(payload_len >> shift);
    }
    if (mask != NULL) {
        memcpy(out + n, mask, 4);
        n += 4;
    }
    return n;
}

int glv_ws_close_code_valid(unsigned code)
{
    if (code >= 1000 && code <= 1003)
        return 1;
    if (code >= 1007 && code <= 1014)
        return 1;
    return code >= 3000 && code <= 4999;
}

/* ---- the reader ---- */

static bool is_control(unsigned opcode)
{
    return (opcode & 0x08) != 0;
}

void glv_ws_reader_init(glv_ws_reader *r, const glv_ws_limits *limits)
{
    memset(r, 0, sizeof *r);
    r->limits = limits;
}

void glv_ws_reader_reset(glv_ws_reader *r)
{
    free(r->msg);
    free(r->ctl);
    glv_ws_reader_init(r, r->limits);
}

size_t glv_ws_reader_held(const glv_ws_reader *r)
{
    return r->msg_cap + (r->ctl != NULL ? GLV_WS_MAX_CONTROL + 1 : 0);
}

static enum glv_ws_event_type reader_fail(glv_ws_reader *r, glv_ws_event *ev, uint16_t code)
{
    r->failed = code;
    ev->type = GLV_WS_EV_ERROR;
    ev->code = code;
    return ev->type;
}

/* Fills ev for a complete control frame whose payload is p[0..len). */
static enum glv_ws_event_type reader_control(glv_ws_reader *r, glv_ws_event *ev, uint8_t *p,
                                             size_t len, bool in_input)
{
    ev->in_input = in_input;
    if (r->opcode == GLV_WS_OP_PING || r->opcode == GLV_WS_OP_PONG) {
        ev->type = r->opcode == GLV_WS_OP_PING ? GLV_WS_EV_PING : GLV_WS_EV_PONG;
        ev->data = p;
        ev->len = len;
        return ev->type;
    }
    if (len == 0) {
        ev->type = GLV_WS_EV_CLOSE;
        ev->code = 1005;
        ev->data = p;
        ev->len = 0;
        return ev->type;
    }
    if (len == 1)
        return reader_fail(r, ev, 1002);
    unsigned code = ((unsigned)p[0] << 8) | p[1];
    if (!glv_ws_close_code_valid(code))
        return reader_fail(r, ev, 1002);
    if (!glv_utf8_valid(p + 2, len - 2))
        return reader_fail(r, ev, 1007);
    ev->type = GLV_WS_EV_CLOSE;
    ev->code = (uint16_t)code;
    ev->data = p + 2;
    ev->len = len - 2;
    return ev->type;
}

/* Length of the header whose first bytes are in r->hdr (at least 2). */
static size_t header_need(const glv_ws_reader *r)
{
    unsigned len7 = r->hdr[1] & 0x7F;
    size_t need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0);
    return need + ((r->hdr[1] & 0x80) ? 4 : 0);
}

/* Checks the complete header in r->hdr and starts the frame. Returns 0 or
 * the close code to fail with. */
static uint16_t reader_start_frame(glv_ws_reader *r)
{
    const glv_ws_limits *lim = r->limits;
    uint8_t b0 = r->hdr[0], b1 = r->hdr[1];
    unsigned len7 = b1 & 0x7F;
    uint64_t plen = len7;
    size_t at = 2;
    if (len7 == 126) {
        plen = ((uint64_t)r->hdr[2] << 8) | r->hdr[3];
        at = 4;
    } else if (len7 == 127) {
        plen = 0;
        for (int i = 0; i < 8; i++)
            plen = (plen << 8) | r->hdr[2 + i];
        at = 10;
        if (plen >> 63)
            return 1002;
    }
    r->fin = (b0 & 0x80) != 0;
    r->opcode = b0 & 0x0F;
    r->masked = (b1 & 0x80) != 0;
    if (r->masked)
        memcpy(r->mask, r->hdr + at, 4);
    r->hdr_len = 0;

    if (b0 & 0x70)
        return 1002; /* RSV bits without a negotiated extension */
    switch (r->opcode) {
    case GLV_WS_OP_CONTINUATION:
    case GLV_WS_OP_TEXT:
    case GLV_WS_OP_BINARY:
    case GLV_WS_OP_CLOSE:
    case GLV_WS_OP_PING:
    case GLV_WS_OP_PONG:
        break;
    default:
        return 1002;
    }
    if (r->masked != lim->require_mask)
        return 1002;
    if (is_control(r->opcode)) {
        if (!r->fin || plen > GLV_WS_MAX_CONTROL)
            return 1002;
    } else {
        if (r->opcode == GLV_WS_OP_CONTINUATION && r->msg_opcode == 0)
            return 1002;
        if (r->opcode != GLV_WS_OP_CONTINUATION && r->msg_opcode != 0)
            return 1002;
        if (plen > lim->max_frame)
            return 1009;
        size_t base = r->opcode == GLV_WS_OP_CONTINUATION ? r->msg_len : 0;
        if (plen > lim->max_message - base)
            return 1009;
        if (r->opcode != GLV_WS_OP_CONTINUATION) {
            r->msg_opcode = r->opcode;
            r->msg_len = 0;
            r->utf8 = GLV_UTF8_ACCEPT;
        }
    }
    r->in_frame = true;
    r->frame_left = plen;
    r->frame_pos = 0;
    return 0;
}

/* Makes room for the rest of the current data frame and a NUL. */
static int reader_reserve(glv_ws_reader *r)
{
    size_t need = r->msg_len + (size_t)r->frame_left + 1;
    if (need <= r->msg_cap)
        return 0;
    size_t cap = r->msg_cap * 2;
    if (cap < need)
        cap = need;
    if (cap > r->limits->max_message + 1)
        cap = (size_t)r->limits->max_message + 1;
    if (cap < need)
        cap = need;
    uint8_t *m = realloc(r->msg, cap);
    if (m == NULL)
        return -1;
    r->msg = m;
    r->msg_cap = cap;
    return 0;
}

enum glv_ws_event_type glv_ws_reader_next(glv_ws_reader *r, uint8_t *data, size_t len,
                                          size_t *consumed, glv_ws_event *ev)
{
    memset(ev, 0, sizeof *ev);
    *consumed = 0;
    if (r->failed) {
        ev->type = GLV_WS_EV_ERROR;
        ev->code = r->failed;
        return ev->type;
    }
    /* Buffers of events already reported are released here. */
    if (r->ctl != NULL && !(r->in_frame && is_control(r->opcode))) {
        free(r->ctl);
        r->ctl = NULL;
    }
    if (r->msg != NULL && r->msg_opcode == 0) {
        free(r->msg);
        r->msg = NULL;
        r->msg_cap = 0;
        r->msg_len = 0;
    }

    size_t pos = 0;
    for (;;) {
        if (!r->in_frame) {
            if (r->hdr_len < 2) {
                while (r->hdr_len < 2 && pos < len)
                    r->hdr[r->hdr_len++] = data[pos++];
                if (r->hdr_len < 2) {
                    *consumed = pos;
                    return GLV_WS_EV_NONE;
                }
            }
            size_t need = header_need(r);
            size_t take = need - r->hdr_len;
            if (take > len - pos)
                take = len - pos;
            memcpy(r->hdr + r->hdr_len, data + pos, take);
            r->hdr_len = (uint8_t)(r->hdr_len + take);
            pos += take;
            if (r->hdr_len < need) {
                *consumed = pos;
                return GLV_WS_EV_NONE;
            }
            uint16_t code = reader_start_frame(r);
            if (code != 0) {
                *consumed = pos;
                return reader_fail(r, ev, code);
            }
            size_t avail = len - pos;
            if (r->frame_left <= avail &&
                (is_control(r->opcode) || (r->fin && r->opcode != GLV_WS_OP_CONTINUATION))) {
                /* The whole frame is in the input: no copy. */
                uint8_t *p = data + pos;
                size_t n = (size_t)r->frame_left;
                if (r->masked)
                    glv_ws_mask(p, n, r->mask, 0);
                pos += n;
                *consumed = pos;
                r->in_frame = false;
                r->frame_left = 0;
                if (is_control(r->opcode))
                    return reader_control(r, ev, p, n, true);
                bool text = r->opcode == GLV_WS_OP_TEXT;
                r->msg_opcode = 0;
                if (text && !glv_utf8_valid(p, n))
                    return reader_fail(r, ev, 1007);
                ev->type = GLV_WS_EV_MESSAGE;
                ev->is_text = text;
                ev->in_input = true;
                ev->data = p;
                ev->len = n;
                return ev->type;
            }
        }

        size_t avail = len - pos;
        size_t n = r->frame_left < avail ? (size_t)r->frame_left : avail;
        if (is_control(r->opcode)) {
            if (r->ctl == NULL && (r->ctl = malloc(GLV_WS_MAX_CONTROL + 1)) == NULL) {
                *consumed = pos;
                return reader_fail(r, ev, 1011);
            }
            uint8_t *dst = r->ctl + r->frame_pos;
            memcpy(dst, data + pos, n);
            if (r->masked)
                glv_ws_mask(dst, n, r->mask, r->frame_pos);
        } else {
            if (reader_reserve(r) != 0) {
                *consumed = pos;
                return reader_fail(r, ev, 1011);
            }
            uint8_t *dst = r->msg + r->msg_len;
            memcpy(dst, data + pos, n);
            if (r->masked)
                glv_ws_mask(dst, n, r->mask, r->frame_pos);
            if (r->msg_opcode == GLV_WS_OP_TEXT && glv_utf8_feed(&r->utf8, dst, n) != 0) {
                *consumed = pos + n;
                return reader_fail(r, ev, 1007);
            }
            r->msg_len += n;
        }
        pos += n;
        r->frame_pos += n;
        r->frame_left -= n;
        if (r->frame_left > 0) {
            *consumed = pos;
            return GLV_WS_EV_NONE;
        }
        r->in_frame = false;
        if (is_control(r->opcode)) {
            size_t clen = (size_t)r->frame_pos;
            r->ctl[clen] = '\0';
            *consumed = pos;
            return reader_control(r, ev, r->ctl, clen, false);
        }
        if (r->fin) {
            bool text = r->msg_opcode == GLV_WS_OP_TEXT;
            r->msg_opcode = 0;
            *consumed = pos;
            if (text && r->utf8 != GLV_UTF8_ACCEPT)
                return reader_fail(r, ev, 1007);
            if (reader_reserve(r) != 0)
                return reader_fail(r, ev, 1011);
            r->msg[r->msg_len] = '\0';
            ev->type = GLV_WS_EV_MESSAGE;
            ev->is_text = text;
            ev->data = r->msg;
            ev->len = r->msg_len;
            return ev->type;
        }
        /* A fragment ended; the message goes on with the next frame. */
    }
}
