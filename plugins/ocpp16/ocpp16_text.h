/*
 * Text built without intermediate trees: a growable buffer, with JSON
 * strings and numbers (OCPP-J frames, stored samples) and PostgreSQL array
 * literals (SQL parameters). A buffer remembers a failed allocation; every
 * later append is then ignored and the caller checks once, at the end.
 */
#ifndef GLV_OCPP16_TEXT_H
#define GLV_OCPP16_TEXT_H

#include <stdbool.h>
#include <stddef.h>

struct glv_ocpp16_text {
    char *p; /* owned; NUL-terminated while not failed */
    size_t len, cap;
    bool failed;
};

/* Makes room for extra more bytes and the terminator; false when out of
 * memory (the buffer is then failed). */
bool glv_ocpp16_text_reserve(struct glv_ocpp16_text *t, size_t extra);
/* Appends n bytes of s. */
void glv_ocpp16_text_put(struct glv_ocpp16_text *t, const char *s, size_t n);
/* Appends the NUL-terminated s. */
void glv_ocpp16_text_puts(struct glv_ocpp16_text *t, const char *s);
/* Appends a string literal, its length known when compiled. */
#define glv_ocpp16_text_lit(t, literal) glv_ocpp16_text_put((t), "" literal, sizeof(literal) - 1)
/* Appends s as a double-quoted element of an array literal (" and \ escaped). */
void glv_ocpp16_text_array_element(struct glv_ocpp16_text *t, const char *s, size_t n);
/* Appends the n bytes of s as a JSON string. */
void glv_ocpp16_text_json_stringn(struct glv_ocpp16_text *t, const char *s, size_t n);
/* Appends the NUL-terminated s as a JSON string. */
void glv_ocpp16_text_json_string(struct glv_ocpp16_text *t, const char *s);
/* Appends d in the shortest form that reads back as the same double (d must
 * be finite). */
void glv_ocpp16_text_double(struct glv_ocpp16_text *t, double d);
/* The text, or NULL when an append failed. Stays owned by t. */
const char *glv_ocpp16_text_get(const struct glv_ocpp16_text *t);
/* Frees the buffer and makes t empty again. */
void glv_ocpp16_text_free(struct glv_ocpp16_text *t);

#endif
