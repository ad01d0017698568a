/* One-pass JSON parser into jansson values; see ocpp16_json.h. */
#include "ocpp16_json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 2048

struct parser {
    const char *start, *p, *end;
    struct glv_ocpp16_json_error *err;
    bool failed;
};

__attribute__((format(printf, 2, 3))) static json_t *fail(struct parser *ps, const char *fmt, ...)
{
    if (!ps->failed && ps->err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ps->err->text, sizeof ps->err->text, fmt, ap);
        va_end(ap);
        ps->err->column = (size_t)(ps->p - ps->start) + 1;
    }
    ps->failed = true;
    return NULL;
}

static void skip_ws(struct parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

static int hex4(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Decodes the escape at ps->p (just after the backslash) into o; returns
 * the bytes written, or 0 after fail(). */
static size_t unescape(struct parser *ps, char *o)
{
    if (ps->p >= ps->end)
        return (size_t)(fail(ps, "premature end of input"), 0);
    char c = *ps->p++;
    switch (c) {
    case '"':
    case '\\':
    case '/':
        *o = c;
        return 1;
    case 'b':
        *o = '\b';
        return 1;
    case 'f':
        *o = '\f';
        return 1;
    case 'n':
        *o = '\n';
        return 1;
    case 'r':
        *o = '\r';
        return 1;
    case 't':
        *o = '\t';
        return 1;
    case 'u':
        break;
    default:
        ps->p--;
        return (size_t)(fail(ps, "invalid escape"), 0);
    }
    uint32_t cp;
    if (ps->end - ps->p < 4 || hex4(ps->p, &cp) != 0)
        return (size_t)(fail(ps, "invalid \\u escape"), 0);
    ps->p += 4;
    if (cp >= 0xdc00 && cp <= 0xdfff)
        return (size_t)(fail(ps, "lone low surrogate"), 0);
    if (cp >= 0xd800 && cp <= 0xdbff) {
        uint32_t low;
        if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
            hex4(ps->p + 2, &low) != 0 || low < 0xdc00 || low > 0xdfff)
            return (size_t)(fail(ps, "high surrogate without a low one"), 0);
        ps->p += 6;
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
    }
    if (cp == 0)
        return (size_t)(fail(ps, "\\u0000 is not allowed"), 0);
    return put_utf8(o, cp);
}

/* Reads the string at ps->p (just after the opening quote). On success
 * *s and *n give its bytes: in the input when it has no escape, else in
 * *owned (malloc'ed, the caller frees). */
static bool read_string(struct parser *ps, const char **s, size_t *n, char **owned)
{
    *owned = NULL;
    const char *begin = ps->p;
    while (ps->p < ps->end) {
        unsigned char c = (unsigned char)*ps->p;
        if (c == '"') {
            *s = begin;
            *n = (size_t)(ps->p - begin);
            ps->p++;
            return true;
        }
        if (c == '\\')
            break;
        if (c < 0x20)
            return fail(ps, "control character in a string"), false;
        size_t len = utf8_len((const unsigned char *)ps->p, (size_t)(ps->end - ps->p));
        if (len == 0)
            return fail(ps, "invalid UTF-8 in a string"), false;
        ps->p += len;
    }
    if (ps->p >= ps->end)
        return fail(ps, "premature end of input in a string"), false;
    /* Escapes: decoded text is never longer than the input. */
    char *buf = malloc((size_t)(ps->end - begin) + 1);
    if (buf == NULL)
        return fail(ps, "out of memory"), false;
    size_t len = (size_t)(ps->p - begin);
    memcpy(buf, begin, len);
    while (ps->p < ps->end) {
        unsigned char c = (unsigned char)*ps->p;
        if (c == '"') {
            ps->p++;
            *s = buf;
            *n = len;
            *owned = buf;
            return true;
        }
        if (c == '\\') {
            ps->p++;
            size_t w = unescape(ps, buf + len);
            if (w == 0)
                break;
            len += w;
            continue;
        }
        if (c < 0x20) {
            fail(ps, "control character in a string");
            break;
        }
        size_t ulen = utf8_len((const unsigned char *)ps->p, (size_t)(ps->end - ps->p));
        if (ulen == 0) {
            fail(ps, "invalid UTF-8 in a string");
            break;
        }
        memcpy(buf + len, ps->p, ulen);
        len += ulen;
        ps->p += ulen;
    }
    if (!ps->failed)
        fail(ps, "premature end of input in a string");
    free(buf);
    return false;
}

static json_t *parse_number(struct parser *ps)
{
    const char *b = ps->p;
    bool real = false;
    if (ps->p < ps->end && *ps->p == '-')
        ps->p++;
    if (ps->p < ps->end && *ps->p == '0') {
        ps->p++;
        if (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            return fail(ps, "leading zero in a number");
    } else if (ps->p < ps->end && *ps->p >= '1' && *ps->p <= '9') {
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    } else {
        return fail(ps, "invalid token");
    }
    if (ps->p < ps->end && *ps->p == '.') {
        real = true;
        ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
            return fail(ps, "digit expected after the decimal point");
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        real = true;
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
            return fail(ps, "digit expected in the exponent");
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    size_t n = (size_t)(ps->p - b);
    char small[64];
    char *text = n < sizeof small ? small : malloc(n + 1);
    if (text == NULL)
        return fail(ps, "out of memory");
    memcpy(text, b, n);
    text[n] = '\0';
    json_t *v = NULL;
    errno = 0;
    if (!real) {
        long long i = strtoll(text, NULL, 10);
        if (errno == ERANGE)
            fail(ps, "integer out of range");
        else
            v = json_integer((json_int_t)i);
    } else {
        double d = strtod(text, NULL);
        if (errno == ERANGE && isinf(d))
            fail(ps, "real number overflow");
        else
            v = json_real(d);
    }
    if (text != small)
        free(text);
    if (v == NULL && !ps->failed)
        fail(ps, "out of memory");
    return v;
}

static json_t *parse_value(struct parser *ps, int depth);

static json_t *parse_array(struct parser *ps, int depth)
{
    json_t *a = json_array();
    if (a == NULL)
        return fail(ps, "out of memory");
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        return a;
    }
    for (;;) {
        json_t *v = parse_value(ps, depth);
        if (v == NULL || json_array_append_new(a, v) != 0)
            break;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == ']') {
            ps->p++;
            return a;
        }
        fail(ps, "',' or ']' expected");
        break;
    }
    if (!ps->failed)
        fail(ps, "out of memory");
    json_decref(a);
    return NULL;
}

static json_t *parse_object(struct parser *ps, int depth)
{
    json_t *o = json_object();
    if (o == NULL)
        return fail(ps, "out of memory");
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        return o;
    }
    for (;;) {
        if (ps->p >= ps->end || *ps->p != '"') {
            fail(ps, "string or '}' expected");
            break;
        }
        ps->p++;
        const char *key;
        size_t klen;
        char *owned;
        if (!read_string(ps, &key, &klen, &owned))
            break;
        if (json_object_getn(o, key, klen) != NULL) {
            free(owned);
            fail(ps, "duplicate object key");
            break;
        }
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != ':') {
            free(owned);
            fail(ps, "':' expected");
            break;
        }
        ps->p++;
        json_t *v = parse_value(ps, depth);
        int rc = v == NULL ? -1 : json_object_setn_new_nocheck(o, key, klen, v);
        free(owned);
        if (rc != 0)
            break;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            skip_ws(ps);
            continue;
        }
        if (ps->p < ps->end && *ps->p == '}') {
            ps->p++;
            return o;
        }
        fail(ps, "',' or '}' expected");
        break;
    }
    if (!ps->failed)
        fail(ps, "out of memory");
    json_decref(o);
    return NULL;
}

static bool literal(struct parser *ps, const char *word, size_t n)
{
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return false;
    ps->p += n;
    return true;
}

static json_t *parse_value(struct parser *ps, int depth)
{
    skip_ws(ps);
    if (ps->p >= ps->end)
        return fail(ps, "premature end of input");
    if (++depth > MAX_DEPTH)
        return fail(ps, "nested too deeply");
    switch (*ps->p) {
    case '[':
    case '{':
        return *ps->p++ == '[' ? parse_array(ps, depth) : parse_object(ps, depth);
    case '"': {
        ps->p++;
        const char *s;
        size_t n;
        char *owned;
        if (!read_string(ps, &s, &n, &owned))
            return NULL;
        json_t *v = json_stringn_nocheck(s, n);
        free(owned);
        return v != NULL ? v : fail(ps, "out of memory");
    }
    case 't':
        return literal(ps, "true", 4) ? json_true() : fail(ps, "invalid token");
    case 'f':
        return literal(ps, "false", 5) ? json_false() : fail(ps, "invalid token");
    case 'n':
        return literal(ps, "null", 4) ? json_null() : fail(ps, "invalid token");
    default:
        return parse_number(ps);
    }
}

json_t *glv_ocpp16_json_parse(const char *text, size_t len, struct glv_ocpp16_json_error *err)
{
    struct parser ps = {.start = text, .p = text, .end = text + len, .err = err};
    skip_ws(&ps);
    if (ps.p >= ps.end || (*ps.p != '[' && *ps.p != '{'))
        return fail(&ps, "'[' or '{' expected");
    json_t *root = parse_value(&ps, 0);
    if (root == NULL)
        return NULL;
    skip_ws(&ps);
    if (ps.p != ps.end) {
        json_decref(root);
        return fail(&ps, "end of input expected");
    }
    return root;
}
