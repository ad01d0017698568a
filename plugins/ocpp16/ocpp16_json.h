/*
 * A JSON parser for OCPP-J messages that builds jansson values directly:
 * one pass over the text, no token buffers, no stream layer. It accepts
 * what json_loadb(text, len, JSON_REJECT_DUPLICATES, …) accepts and builds
 * the same values (a fuzz target compares the two):
 *   - the root is an array or an object, surrounded only by whitespace;
 *   - strings are valid UTF-8 without control characters; escapes include
 *     \u and four hex digits, surrogate pairs joined, and \u0000 is refused;
 *   - a number without fraction or exponent is an integer and must fit
 *     json_int_t; any other is a real and must be finite;
 *   - an object repeating a key is refused;
 *   - a value nested deeper than 2048 levels (the root is level 1) is
 *     refused.
 */
#ifndef GLV_OCPP16_JSON_H
#define GLV_OCPP16_JSON_H

#include <jansson.h>
#include <stddef.h>

struct glv_ocpp16_json_error {
    char text[80]; /* printable ASCII */
    size_t column; /* 1-based byte offset of the error */
};

/* text: borrowed, len bytes (no terminator needed). Returns a new value,
 * or NULL with *err filled when err is not NULL. */
json_t *glv_ocpp16_json_parse(const char *text, size_t len, struct glv_ocpp16_json_error *err);

#endif
