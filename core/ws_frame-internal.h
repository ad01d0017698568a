/*
 * galvani core — private. RFC 6455 framing without I/O: a pull parser that
 * turns received bytes into whole messages and control frames (unmasking,
 * fragmentation, size limits, UTF-8 checks, close payload checks), and the
 * serializer of outgoing frame headers. Pure functions, so they can be fuzzed.
 */
#ifndef GLV_WS_FRAME_INTERNAL_H
#define GLV_WS_FRAME_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum glv_ws_opcode {
    GLV_WS_OP_CONTINUATION = 0x0,
    GLV_WS_OP_TEXT = 0x1,
    GLV_WS_OP_BINARY = 0x2,
    GLV_WS_OP_CLOSE = 0x8,
    GLV_WS_OP_PING = 0x9,
    GLV_WS_OP_PONG = 0xA,
};

/* Longest frame header: 2 + 8 (length) + 4 (mask). */
#define GLV_WS_MAX_HEADER 14
/* Largest control frame payload. */
#define GLV_WS_MAX_CONTROL 125

/* ---- UTF-8 validation, incremental ---- */

/* Validator state; GLV_UTF8_ACCEPT at a character boundary. */
#define GLV_UTF8_ACCEPT 0u
/* Feeds bytes; returns 0 while the text is valid so far, -1 once it is not
 * (the state is then meaningless). A complete text ends in GLV_UTF8_ACCEPT. */
int glv_utf8_feed(uint32_t *state, const uint8_t *p, size_t len);
/* 1 when p[0..len) is complete, valid UTF-8. */
int glv_utf8_valid(const uint8_t *p, size_t len);

/* ---- frames ---- */

/* XORs data with the mask; offset: position of data[0] in the payload. */
void glv_ws_mask(uint8_t *data, size_t len, const uint8_t mask[4], uint64_t offset);
/* Writes a frame header (FIN set when fin) into out; mask: NULL for frames
 * sent by a server. Returns the header length. */
size_t glv_ws_frame_header(uint8_t out[GLV_WS_MAX_HEADER], unsigned opcode, bool fin,
                           uint64_t payload_len, const uint8_t *mask);
/* 1 when a peer may send `code` in a close frame (1000-1003, 1007-1014,
 * 3000-4999). */
int glv_ws_close_code_valid(unsigned code);

/* ---- the reader ---- */

typedef struct glv_ws_limits {
    uint64_t max_frame;   /* largest data frame payload */
    uint64_t max_message; /* largest reassembled message */
    bool require_mask;    /* a server requires masked frames from clients */
} glv_ws_limits;

enum glv_ws_event_type {
    GLV_WS_EV_NONE = 0, /* all input consumed; nothing more to report */
    GLV_WS_EV_MESSAGE,  /* data/len/is_text: a whole message */
    GLV_WS_EV_PING,     /* data/len: the payload to echo in a pong */
    GLV_WS_EV_PONG,     /* data/len: its payload */
    GLV_WS_EV_CLOSE,    /* code (1005 when the frame had none), data/len: reason */
    GLV_WS_EV_ERROR,    /* code: the close code to fail the connection with */
};

typedef struct glv_ws_event {
    enum glv_ws_event_type type;
    bool is_text;
    /* data was unmasked in place in the caller's input buffer (its byte
     * data[len] belongs to the caller); otherwise it is the reader's own
     * buffer and data[len] == '\0'. */
    bool in_input;
    uint16_t code;
    uint8_t *data; /* borrowed: valid until the next call to glv_ws_reader_next */
    size_t len;
} glv_ws_event;

/* Per-connection parser state; zero-initialise it (or call _init). Holds
 * buffers only while a frame or a fragmented message is incomplete. */
typedef struct glv_ws_reader {
    const glv_ws_limits *limits; /* borrowed */
    uint8_t *msg;                /* owned: message being reassembled */
    uint8_t *ctl;                /* owned: control payload being received */
    uint64_t frame_left;         /* payload bytes of the current frame still to come */
    uint64_t frame_pos;          /* payload bytes of the current frame seen */
    size_t msg_len, msg_cap;
    uint32_t utf8;
    uint8_t hdr[GLV_WS_MAX_HEADER];
    uint8_t hdr_len;
    uint8_t mask[4];
    uint8_t opcode;     /* of the current frame */
    uint8_t msg_opcode; /* TEXT/BINARY while a fragmented message is open, else 0 */
    bool fin, masked;
    bool in_frame;
    uint16_t failed; /* the close code once the input was refused, else 0 */
} glv_ws_reader;

void glv_ws_reader_init(glv_ws_reader *r, const glv_ws_limits *limits);
/* Frees the reader's buffers (the struct is the caller's). */
void glv_ws_reader_reset(glv_ws_reader *r);
/* Consumes input until one event is complete or the input is used up.
 * data: borrowed and modified (payloads are unmasked in place); *consumed
 * tells how many bytes were used. Call again with the rest until it returns
 * GLV_WS_EV_NONE. After GLV_WS_EV_ERROR every call returns the error again.
 * Returns ev->type. */
enum glv_ws_event_type glv_ws_reader_next(glv_ws_reader *r, uint8_t *data, size_t len,
                                          size_t *consumed, glv_ws_event *ev);
/* Bytes held by the reader (buffers of an incomplete frame or message). */
size_t glv_ws_reader_held(const glv_ws_reader *r);

#endif
