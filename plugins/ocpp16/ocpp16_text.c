/* Text built without trees; see ocpp16_text.h. */
#include "ocpp16_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool glv_ocpp16_text_reserve(struct glv_ocpp16_text *t, size_t more)
{
    if (t->failed)
        return false;
    if (t->len + more + 1 <= t->cap)
        return true;
    size_t cap = t->cap ? t->cap : 256;
    while (cap < t->len + more + 1)
        cap *= 2;
    char *p = realloc(t->p, cap);
    if (p == NULL) {
        t->failed = true;
        return false;
    }
    t->p = p;
    t->cap = cap;
    return true;
}

void glv_ocpp16_text_put(struct glv_ocpp16_text *t, const char *s, size_t n)
{
    if (!glv_ocpp16_text_reserve(t, n))
        return;
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = '\0';
}

void glv_ocpp16_text_puts(struct glv_ocpp16_text *t, const char *s)
{
    glv_ocpp16_text_put(t, s, strlen(s));
}

void glv_ocpp16_text_array_element(struct glv_ocpp16_text *t, const char *s, size_t n)
{
    if (!glv_ocpp16_text_reserve(t, 2 * n + 2))
        return;
    char *o = t->p + t->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\')
            *o++ = '\\';
        *o++ = s[i];
    }
    *o++ = '"';
    t->len = (size_t)(o - t->p);
    t->p[t->len] = '\0';
}

void glv_ocpp16_text_json_stringn(struct glv_ocpp16_text *t, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    /* room for the worst case, every byte a \u escape: one check, then
     * bytes written in place */
    if (!glv_ocpp16_text_reserve(t, 6 * n + 2))
        return;
    char *o = t->p + t->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        if (c == '\n')
            *o++ = 'n';
        else if (c == '\r')
            *o++ = 'r';
        else if (c == '\t')
            *o++ = 't';
        else if (c < 0x20) {
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 0xf];
        } else {
            *o++ = (char)c;
        }
    }
    *o++ = '"';
    t->len = (size_t)(o - t->p);
    t->p[t->len] = '\0';
}

void glv_ocpp16_text_json_string(struct glv_ocpp16_text *t, const char *s)
{
    glv_ocpp16_text_json_stringn(t, s, strlen(s));
}

void glv_ocpp16_text_double(struct glv_ocpp16_text *t, double d)
{
    char buf[32];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    glv_ocpp16_text_puts(t, buf);
}

const char *glv_ocpp16_text_get(const struct glv_ocpp16_text *t)
{
    if (t->failed)
        return NULL;
    return t->p ? t->p : "";
}

void glv_ocpp16_text_free(struct glv_ocpp16_text *t)
{
    free(t->p);
    *t = (struct glv_ocpp16_text){0};
}
