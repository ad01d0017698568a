/* Schema validation of OCPP 1.6 payloads against the static tables. */
#include "ocpp16_validate.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ocpp16_time.h"

#define PATH_MAX_LEN 160
#define EXCERPT_MAX 40

/* Where the walk is: a stack of property names and array indices, spelled
 * out as "meterValue[0].sampledValue" only when a message needs it. */
#define PATH_DEPTH 16

struct walk {
    const struct glv_ocpp16_validate_opts *opts;
    struct glv_ocpp16_violation *out;
    struct {
        const char *name; /* NULL: an array index */
        size_t index;
    } seg[PATH_DEPTH];
    size_t depth; /* may exceed PATH_DEPTH; deeper segments are not kept */
    char path[PATH_MAX_LEN + 1];
};

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    default:
        return "null";
    }
}

static const char *kind_name(enum glv_ocpp16_kind kind)
{
    switch (kind) {
    case GLV_OCPP16_OBJECT:
        return "object";
    case GLV_OCPP16_STRING:
        return "string";
    case GLV_OCPP16_INTEGER:
        return "integer";
    case GLV_OCPP16_NUMBER:
        return "number";
    case GLV_OCPP16_BOOLEAN:
        return "boolean";
    default:
        return "array";
    }
}

static const char *current_path(struct walk *w)
{
    if (w->depth == 0)
        return "payload";
    size_t len = 0;
    size_t kept = w->depth < PATH_DEPTH ? w->depth : PATH_DEPTH;
    for (size_t i = 0; i < kept && len < sizeof(w->path) - 1; i++) {
        int n = w->seg[i].name != NULL
                    ? snprintf(w->path + len, sizeof(w->path) - len, "%s%s", i > 0 ? "." : "",
                               w->seg[i].name)
                    : snprintf(w->path + len, sizeof(w->path) - len, "[%zu]", w->seg[i].index);
        if (n > 0)
            len += (size_t)n;
    }
    if (w->depth > kept && len < sizeof(w->path) - 4)
        snprintf(w->path + len, sizeof(w->path) - len, "...");
    return w->path;
}

__attribute__((format(printf, 3, 4))) static enum glv_ocpp16_error
fail(struct walk *w, enum glv_ocpp16_error code, const char *fmt, ...)
{
    if (w->out != NULL) {
        w->out->code = code;
        int n = snprintf(w->out->description, sizeof(w->out->description), "%s: ", current_path(w));
        if (n >= 0 && (size_t)n < sizeof(w->out->description)) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(w->out->description + n, sizeof(w->out->description) - (size_t)n, fmt, ap);
            va_end(ap);
        }
        /* Property names come from the input: keep the description ASCII. */
        for (char *c = w->out->description; *c != '\0'; c++)
            if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
                *c = '?';
    }
    return code;
}

static void warn(struct walk *w, const char *what)
{
    if (w->opts->warn != NULL)
        w->opts->warn(w->opts->warn_arg, current_path(w), what);
}

/* Enters property name (borrowed for the walk); returns the depth to restore. */
static size_t push_name(struct walk *w, const char *name)
{
    if (w->depth < PATH_DEPTH)
        w->seg[w->depth].name = name;
    return w->depth++;
}

static size_t push_index(struct walk *w, size_t index)
{
    if (w->depth < PATH_DEPTH) {
        w->seg[w->depth].name = NULL;
        w->seg[w->depth].index = index;
    }
    return w->depth++;
}

static void pop(struct walk *w, size_t saved)
{
    w->depth = saved;
}

/* A printable ASCII excerpt of s for error messages; non-ASCII becomes '?'. */
static void excerpt(const char *s, size_t len, char *buf, size_t size)
{
    size_t n = len < size - 1 ? len : size - 1;
    bool cut = len > n;
    if (cut && n >= 3)
        n -= 3;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[i] = (c >= 0x20 && c < 0x7f && c != '\'') ? (char)c : '?';
    }
    if (cut && size > 3) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
}

/* Number of UTF-8 code points in a valid UTF-8 string. */
static size_t utf8_length(const char *s, size_t len)
{
    size_t count = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            count++;
    return count;
}

/* scheme ":" rest, scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), no
 * whitespace or control characters anywhere. */
static bool is_uri(const char *s, size_t len)
{
    size_t i = 0;
    if (len == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return false;
    for (i = 1; i < len && s[i] != ':'; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '-' || c == '.';
        if (!ok)
            return false;
    }
    if (i >= len || i + 1 >= len)
        return false;
    for (; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

static enum glv_ocpp16_error check_date_time(struct walk *w, const char *s, size_t len)
{
    int64_t ms;
    if (glv_ocpp16_time_parse(s, len, &ms) == 0)
        return GLV_OCPP16_OK;
    unsigned quirks = 0;
    if (w->opts->lenient && glv_ocpp16_time_parse_lenient(s, len, &ms, &quirks) == 0) {
        for (unsigned bit = 1; bit != 0 && bit <= quirks; bit <<= 1)
            if (quirks & bit)
                warn(w, glv_ocpp16_time_quirk_text(bit));
        return GLV_OCPP16_OK;
    }
    char buf[EXCERPT_MAX];
    excerpt(s, len, buf, sizeof(buf));
    return fail(w, GLV_OCPP16_PROPERTY_CONSTRAINT_VIOLATION,
                "value '%s' is not an RFC 3339 date-time", buf);
}

static enum glv_ocpp16_error check_string(struct walk *w, const struct glv_ocpp16_node *node,
                                          const json_t *v)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    char buf[EXCERPT_MAX];

    if (node->enum_count > 0) {
        for (uint16_t i = 0; i < node->enum_count; i++)
            if (strlen(node->enum_values[i]) == len && memcmp(node->enum_values[i], s, len) == 0)
                return GLV_OCPP16_OK;
        excerpt(s, len, buf, sizeof(buf));
        return fail(w, GLV_OCPP16_PROPERTY_CONSTRAINT_VIOLATION, "value '%s' not in enum", buf);
    }
    if (node->max_length > 0 && len > node->max_length) {
        size_t chars = utf8_length(s, len);
        if (chars > node->max_length)
            return fail(w, GLV_OCPP16_PROPERTY_CONSTRAINT_VIOLATION,
                        "string of %zu characters exceeds maxLength %u", chars,
                        (unsigned)node->max_length);
    }
    switch (node->format) {
    case GLV_OCPP16_FORMAT_DATE_TIME:
        return check_date_time(w, s, len);
    case GLV_OCPP16_FORMAT_URI:
        if (is_uri(s, len))
            return GLV_OCPP16_OK;
        excerpt(s, len, buf, sizeof(buf));
        return fail(w, GLV_OCPP16_PROPERTY_CONSTRAINT_VIOLATION, "value '%s' is not a URI", buf);
    default:
        return GLV_OCPP16_OK;
    }
}

static enum glv_ocpp16_error check_node(struct walk *w, const struct glv_ocpp16_node *node,
                                        json_t *v);

static enum glv_ocpp16_error check_object(struct walk *w, const struct glv_ocpp16_node *node,
                                          json_t *obj)
{
    size_t found = 0;
    for (uint16_t i = 0; i < node->prop_count; i++) {
        const struct glv_ocpp16_prop *p = &node->props[i];
        json_t *v = json_object_get(obj, p->name);
        if (v == NULL) {
            if (!p->required)
                continue;
            size_t saved = push_name(w, p->name);
            enum glv_ocpp16_error e =
                fail(w, GLV_OCPP16_OCCURENCE_CONSTRAINT_VIOLATION, "required property missing");
            pop(w, saved);
            return e;
        }
        found++;
        size_t saved = push_name(w, p->name);
        enum glv_ocpp16_error e = GLV_OCPP16_OK;
        if (json_is_null(v) && !p->required && w->opts->lenient)
            warn(w, "null value for an optional property, taken as absent");
        else
            e = check_node(w, p->node, v);
        pop(w, saved);
        if (e != GLV_OCPP16_OK)
            return e;
    }
    if (found == json_object_size(obj))
        return GLV_OCPP16_OK;

    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value)
    {
        bool known = false;
        for (uint16_t i = 0; i < node->prop_count && !known; i++)
            known = strcmp(node->props[i].name, key) == 0;
        if (known)
            continue;
        size_t saved = push_name(w, key);
        if (!w->opts->lenient) {
            enum glv_ocpp16_error e =
                fail(w, GLV_OCPP16_OCCURENCE_CONSTRAINT_VIOLATION, "property not allowed");
            pop(w, saved);
            return e;
        }
        warn(w, "property not defined by the schema, ignored");
        pop(w, saved);
    }
    return GLV_OCPP16_OK;
}

static enum glv_ocpp16_error check_array(struct walk *w, const struct glv_ocpp16_node *node,
                                         json_t *arr)
{
    size_t n = json_array_size(arr);
    if (n < node->min_items)
        return fail(w, GLV_OCPP16_OCCURENCE_CONSTRAINT_VIOLATION,
                    "array has %zu items, at least %u required", n, (unsigned)node->min_items);
    if (node->max_items > 0 && n > node->max_items)
        return fail(w, GLV_OCPP16_OCCURENCE_CONSTRAINT_VIOLATION,
                    "array has %zu items, at most %u allowed", n, (unsigned)node->max_items);
    for (size_t i = 0; i < n; i++) {
        size_t saved = push_index(w, i);
        enum glv_ocpp16_error e = check_node(w, node->items, json_array_get(arr, i));
        pop(w, saved);
        if (e != GLV_OCPP16_OK)
            return e;
    }
    return GLV_OCPP16_OK;
}

static enum glv_ocpp16_error check_number(struct walk *w, const struct glv_ocpp16_node *node,
                                          const json_t *v)
{
    if (node->decimals == 0 || json_is_integer(v))
        return GLV_OCPP16_OK;
    double scaled = json_real_value(v) * pow(10.0, node->decimals);
    double nearest = nearbyint(scaled);
    double tolerance = 1e-9 * fmax(1.0, fabs(scaled));
    if (fabs(scaled - nearest) <= tolerance)
        return GLV_OCPP16_OK;
    return fail(w, GLV_OCPP16_PROPERTY_CONSTRAINT_VIOLATION,
                "value %.15g has more than %u decimal place(s)", json_real_value(v),
                (unsigned)node->decimals);
}

static enum glv_ocpp16_error type_mismatch(struct walk *w, const struct glv_ocpp16_node *node,
                                           const json_t *v)
{
    return fail(w, GLV_OCPP16_TYPE_CONSTRAINT_VIOLATION, "expected %s, got %s",
                kind_name(node->kind), type_name(v));
}

static enum glv_ocpp16_error check_node(struct walk *w, const struct glv_ocpp16_node *node,
                                        json_t *v)
{
    switch (node->kind) {
    case GLV_OCPP16_OBJECT:
        return json_is_object(v) ? check_object(w, node, v) : type_mismatch(w, node, v);
    case GLV_OCPP16_STRING:
        return json_is_string(v) ? check_string(w, node, v) : type_mismatch(w, node, v);
    case GLV_OCPP16_INTEGER:
        if (json_is_integer(v))
            return GLV_OCPP16_OK;
        if (json_is_real(v) && w->opts->lenient) {
            double d = json_real_value(v);
            if (d == nearbyint(d) && fabs(d) < 9007199254740992.0) {
                warn(w, "integer written as a real number");
                return GLV_OCPP16_OK;
            }
        }
        return type_mismatch(w, node, v);
    case GLV_OCPP16_NUMBER:
        return json_is_number(v) ? check_number(w, node, v) : type_mismatch(w, node, v);
    case GLV_OCPP16_BOOLEAN:
        return json_is_boolean(v) ? GLV_OCPP16_OK : type_mismatch(w, node, v);
    case GLV_OCPP16_ARRAY:
        return json_is_array(v) ? check_array(w, node, v) : type_mismatch(w, node, v);
    }
    return fail(w, GLV_OCPP16_INTERNAL_ERROR, "schema node of unknown kind");
}

enum glv_ocpp16_error glv_ocpp16_validate(const struct glv_ocpp16_node *schema, json_t *payload,
                                          const struct glv_ocpp16_validate_opts *opts,
                                          struct glv_ocpp16_violation *out)
{
    static const struct glv_ocpp16_validate_opts strict = {.lenient = false};
    struct walk w = {.opts = opts != NULL ? opts : &strict, .out = out};
    if (out != NULL) {
        out->code = GLV_OCPP16_OK;
        out->description[0] = '\0';
    }
    if (schema == NULL || payload == NULL)
        return fail(&w, GLV_OCPP16_INTERNAL_ERROR, "no schema or no payload");
    return check_node(&w, schema, payload);
}
