/*
 * galvani core — validating the configuration tree against glv_config_field
 * tables and turning it into JSON with defaults filled in.
 *
 * Rules beyond those of include/galvani/config.h:
 * - A key written without a value (`key:`, `key: ~`, `key: null`) counts as
 *   absent for scalars (its default applies; a REQUIRED scalar is refused)
 *   and as empty for mappings and lists.
 * - An absent OBJECT becomes an object of its children's defaults, unless one
 *   of its children is REQUIRED: then it is left out (and refused if the
 *   OBJECT itself is REQUIRED). An absent list or MAP without default becomes
 *   an empty array or object; an absent scalar without default is left out.
 * - Quoted scalars are strings: a quoted "8080" is not an integer.
 * - List items are numbered from 0 in paths: "listeners[2].port".
 * - SECRET values are never echoed in messages.
 */
#include "config-tree-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct vctx {
    const char *file;
    char *path; /* "section.key[2].sub" of the value being checked */
    size_t plen, pcap;
    bool in_default; /* checking a built-in default_text */
    char *err;
} vctx;

static const glv_config_field empty_schema[] = {{.key = NULL}};

static int fail(vctx *c, const glv_cfg_node *at, const char *fmt, ...) GLV_PRINTF(3, 4);

static int fail(vctx *c, const glv_cfg_node *at, const char *fmt, ...)
{
    if (c->err != NULL)
        return -EINVAL;
    va_list ap;
    va_start(ap, fmt);
    char *msg = glv_cfg_vprintf(fmt, ap);
    va_end(ap);
    char where[64] = "";
    if (at != NULL)
        snprintf(where, sizeof(where), ":%u:%u", at->line, at->column);
    c->err = glv_cfg_printf("%s%s: %s%s%s%s", c->file, where, c->plen ? c->path : "",
                            c->plen ? ": " : "", msg ? msg : "out of memory",
                            c->in_default ? " (in the built-in default)" : "");
    free(msg);
    return -EINVAL;
}

static int nomem(vctx *c, const glv_cfg_node *at)
{
    return fail(c, at, "out of memory");
}

/* ---- the path of the value being checked ---- */

static int path_append(vctx *c, const char *s, size_t len)
{
    if (c->plen + len + 1 > c->pcap) {
        size_t cap = c->pcap ? c->pcap : 64;
        while (cap < c->plen + len + 1)
            cap *= 2;
        char *p = realloc(c->path, cap);
        if (p == NULL)
            return -ENOMEM;
        c->path = p;
        c->pcap = cap;
    }
    memcpy(c->path + c->plen, s, len);
    c->plen += len;
    c->path[c->plen] = '\0';
    return 0;
}

/* Appends ".key" (or "key" at the start); returns the length to restore, or
 * -ENOMEM. */
static long path_push_key(vctx *c, const char *key)
{
    size_t old = c->plen;
    if ((old > 0 && path_append(c, ".", 1) < 0) || path_append(c, key, strlen(key)) < 0)
        return -ENOMEM;
    return (long)old;
}

static long path_push_index(vctx *c, size_t index)
{
    size_t old = c->plen;
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "[%zu]", index);
    if (path_append(c, buf, (size_t)n) < 0)
        return -ENOMEM;
    return (long)old;
}

static void path_restore(vctx *c, long old)
{
    c->plen = (size_t)old;
    if (c->path != NULL)
        c->path[c->plen] = '\0';
}

/* ---- describing values in messages ---- */

static const char *type_name(glv_config_type type)
{
    switch (type) {
    case GLV_CFG_STRING:
    case GLV_CFG_SECRET:
        return "a string";
    case GLV_CFG_INT:
        return "an integer";
    case GLV_CFG_BOOL:
        return "a boolean (true/false, yes/no, on/off)";
    case GLV_CFG_DURATION:
        return "a duration (250ms, 30s, 5m, 2h, 1d)";
    case GLV_CFG_SIZE:
        return "a size (512, 64k, 16M, 1G)";
    case GLV_CFG_OBJECT:
    case GLV_CFG_MAP:
        return "a mapping";
    case GLV_CFG_STRING_LIST:
        return "a list of strings";
    case GLV_CFG_OBJECT_LIST:
        return "a list of mappings";
    }
    return "a value";
}

/* "a mapping", "'abc'", "a quoted string '5'"; never the value of a secret. */
static void describe(const glv_cfg_node *n, bool secret, char *buf, size_t size)
{
    if (n->kind == GLV_CFG_NODE_MAPPING) {
        snprintf(buf, size, "a mapping");
    } else if (n->kind == GLV_CFG_NODE_SEQUENCE) {
        snprintf(buf, size, "a sequence");
    } else if (glv_cfg_is_null(n)) {
        snprintf(buf, size, "an empty value");
    } else if (secret) {
        snprintf(buf, size, "an invalid value");
    } else {
        char shown[64];
        glv_cfg_quote(n->u.text, shown, sizeof(shown));
        snprintf(buf, size, "%s'%s'", n->quoted ? "a quoted string " : "", shown);
    }
}

static int fail_type(vctx *c, const glv_config_field *f, const glv_cfg_node *n)
{
    char got[96];
    describe(n, f->type == GLV_CFG_SECRET, got, sizeof(got));
    return fail(c, n, "expected %s, got %s", type_name(f->type), got);
}

/* Joins the keys of a table (and extra names) as "a, b, c"; malloc'd. */
static char *known_keys(const glv_config_field *schema, const char *const *extra)
{
    size_t len = 1;
    for (const glv_config_field *f = schema; f->key != NULL; f++)
        len += strlen(f->key) + 2;
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
        len += strlen(extra[i]) + 2;
    char *s = malloc(len);
    if (s == NULL)
        return NULL;
    size_t o = 0;
    for (const glv_config_field *f = schema; f->key != NULL; f++)
        o += (size_t)sprintf(s + o, "%s%s", o ? ", " : "", f->key);
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
        o += (size_t)sprintf(s + o, "%s%s", o ? ", " : "", extra[i]);
    s[o] = '\0';
    return s;
}

static char *join_choices(const char *const *choices)
{
    size_t len = 1;
    for (size_t i = 0; choices[i] != NULL; i++)
        len += strlen(choices[i]) + 2;
    char *s = malloc(len);
    if (s == NULL)
        return NULL;
    size_t o = 0;
    s[0] = '\0';
    for (size_t i = 0; choices[i] != NULL; i++)
        o += (size_t)sprintf(s + o, "%s%s", i ? ", " : "", choices[i]);
    return s;
}

static bool is_choice(const char *const *choices, const char *text)
{
    for (size_t i = 0; choices[i] != NULL; i++)
        if (strcmp(choices[i], text) == 0)
            return true;
    return false;
}

/* ---- scalars ---- */

static int check_choice(vctx *c, const glv_config_field *f, const glv_cfg_node *n)
{
    if (f->choices == NULL || is_choice(f->choices, n->u.text))
        return 0;
    if (f->type == GLV_CFG_SECRET)
        return fail(c, n, "invalid value (not one of the allowed values)");
    char *list = join_choices(f->choices);
    char shown[64];
    glv_cfg_quote(n->u.text, shown, sizeof(shown));
    int rc = fail(c, n, "must be one of: %s; got '%s'", list ? list : "?", shown);
    free(list);
    return rc;
}

static int check_bounds(vctx *c, const glv_config_field *f, const glv_cfg_node *n, int64_t v)
{
    if (f->min >= f->max || (v >= f->min && v <= f->max))
        return 0;
    char lo[32], hi[32], got[32];
    if (f->type == GLV_CFG_DURATION) {
        glv_cfg_format_duration(f->min, lo, sizeof(lo));
        glv_cfg_format_duration(f->max, hi, sizeof(hi));
        glv_cfg_format_duration(v, got, sizeof(got));
    } else if (f->type == GLV_CFG_SIZE) {
        glv_cfg_format_size(f->min, lo, sizeof(lo));
        glv_cfg_format_size(f->max, hi, sizeof(hi));
        glv_cfg_format_size(v, got, sizeof(got));
    } else {
        snprintf(lo, sizeof(lo), "%lld", (long long)f->min);
        snprintf(hi, sizeof(hi), "%lld", (long long)f->max);
        snprintf(got, sizeof(got), "%lld", (long long)v);
    }
    return fail(c, n, "must be between %s and %s, got %s", lo, hi, got);
}

/* A scalar node for a scalar type; *out new. */
static int check_scalar(vctx *c, const glv_config_field *f, const glv_cfg_node *n, json_t **out)
{
    const char *text = n->u.text;
    int rc = 0;
    int64_t v = 0;
    bool b = false;
    switch (f->type) {
    case GLV_CFG_STRING:
    case GLV_CFG_SECRET:
        if ((rc = check_choice(c, f, n)) < 0)
            return rc;
        *out = json_stringn(text, n->count);
        if (*out == NULL)
            return fail(c, n, "the value is not valid UTF-8");
        return 0;
    case GLV_CFG_BOOL:
        if (n->quoted || glv_cfg_scan_bool(text, &b) < 0)
            return fail_type(c, f, n);
        *out = json_boolean(b);
        return *out ? 0 : nomem(c, n);
    case GLV_CFG_INT:
        rc = n->quoted ? -EINVAL : glv_cfg_scan_int(text, &v);
        break;
    case GLV_CFG_DURATION:
        rc = n->quoted ? -EINVAL : glv_cfg_scan_duration(text, &v);
        break;
    case GLV_CFG_SIZE:
        rc = n->quoted ? -EINVAL : glv_cfg_scan_size(text, &v);
        break;
    default:
        return fail_type(c, f, n);
    }
    if (rc == -ERANGE) {
        char shown[64];
        glv_cfg_quote(text, shown, sizeof(shown));
        return fail(c, n, "'%s' is too large", shown);
    }
    if (rc < 0)
        return fail_type(c, f, n);
    if ((rc = check_bounds(c, f, n, v)) < 0)
        return rc;
    *out = json_integer((json_int_t)v);
    return *out ? 0 : nomem(c, n);
}

static bool is_scalar_type(glv_config_type t)
{
    return t == GLV_CFG_STRING || t == GLV_CFG_SECRET || t == GLV_CFG_INT || t == GLV_CFG_BOOL ||
           t == GLV_CFG_DURATION || t == GLV_CFG_SIZE;
}

/* ---- containers ---- */

static int check_value(vctx *c, const glv_config_field *f, const glv_cfg_node *value,
                       const glv_cfg_node *where, json_t **out);

static const glv_config_field *children_of(const glv_config_field *f)
{
    return f->children ? f->children : empty_schema;
}

static const glv_config_field *find_field(const glv_config_field *schema, const char *key)
{
    for (const glv_config_field *f = schema; f->key != NULL; f++)
        if (strcmp(f->key, key) == 0)
            return f;
    return NULL;
}

static bool has_required(const glv_config_field *schema)
{
    for (const glv_config_field *f = schema; f->key != NULL; f++)
        if (f->flags & GLV_CFG_REQUIRED)
            return true;
    return false;
}

static bool in_list(const char *const *names, const char *key)
{
    for (size_t i = 0; names != NULL && names[i] != NULL; i++)
        if (strcmp(names[i], key) == 0)
            return true;
    return false;
}

static int fail_unknown(vctx *c, const glv_cfg_node *key, const glv_config_field *schema,
                        const char *const *extra, bool top)
{
    char *known = known_keys(schema, extra);
    char shown[64];
    glv_cfg_quote(key->u.text, shown, sizeof(shown));
    const char *k = known ? known : "?";
    int rc;
    if (top)
        rc = fail(c, key, "unknown section '%s' (known: %s)", shown, k);
    else if (c->plen == 0 || strpbrk(c->path, ".[") == NULL)
        rc = fail(c, key, "unknown key '%s' in section '%s' (known: %s)", shown, c->path, k);
    else
        rc = fail(c, key, "unknown key '%s' in '%s' (known: %s)", shown, c->path, k);
    free(known);
    return rc;
}

/* A mapping (or NULL for an absent one) against a table. where: the node
 * named in messages about missing keys (the mapping's key), may be NULL.
 * extra: further keys to let pass unchecked (top level). *out new. */
static int check_object(vctx *c, const glv_config_field *schema, const glv_cfg_node *map,
                        const glv_cfg_node *where, const char *const *extra, bool top, json_t **out)
{
    json_t *obj = json_object();
    if (obj == NULL)
        return nomem(c, where);
    int rc = 0;
    for (size_t i = 0; map != NULL && i + 1 < map->count && rc == 0; i += 2) {
        const glv_cfg_node *k = map->u.items[i], *v = map->u.items[i + 1];
        const glv_config_field *f = find_field(schema, k->u.text);
        if (f == NULL) {
            if (!in_list(extra, k->u.text))
                rc = fail_unknown(c, k, schema, extra, top);
            continue;
        }
        long old = path_push_key(c, f->key);
        if (old < 0) {
            rc = nomem(c, k);
            break;
        }
        json_t *val = NULL;
        rc = check_value(c, f, v, k, &val);
        path_restore(c, old);
        if (rc == 0 && val != NULL && json_object_set_new(obj, f->key, val) < 0)
            rc = nomem(c, k);
    }
    for (const glv_config_field *f = schema; f->key != NULL && rc == 0; f++) {
        if (glv_cfg_map_get(map, f->key, NULL) != NULL)
            continue;
        if (f->flags & GLV_CFG_REQUIRED) {
            rc = fail(c, where, "missing required key '%s'", f->key);
            break;
        }
        long old = path_push_key(c, f->key);
        if (old < 0) {
            rc = nomem(c, where);
            break;
        }
        json_t *val = NULL;
        rc = check_value(c, f, NULL, where, &val);
        path_restore(c, old);
        if (rc == 0 && val != NULL && json_object_set_new(obj, f->key, val) < 0)
            rc = nomem(c, where);
    }
    if (rc < 0) {
        json_decref(obj);
        return rc;
    }
    *out = obj;
    return 0;
}

static int check_string_list(vctx *c, const glv_config_field *f, const glv_cfg_node *seq,
                             json_t **out)
{
    json_t *arr = json_array();
    if (arr == NULL)
        return nomem(c, seq);
    int rc = 0;
    for (size_t i = 0; i < seq->count && rc == 0; i++) {
        const glv_cfg_node *item = seq->u.items[i];
        long old = path_push_index(c, i);
        if (old < 0) {
            rc = nomem(c, item);
            break;
        }
        if (item->kind != GLV_CFG_NODE_SCALAR || glv_cfg_is_null(item)) {
            char got[96];
            describe(item, false, got, sizeof(got));
            rc = fail(c, item, "expected a string, got %s", got);
        } else if ((rc = check_choice(c, f, item)) == 0) {
            json_t *s = json_stringn(item->u.text, item->count);
            if (s == NULL)
                rc = fail(c, item, "the value is not valid UTF-8");
            else if (json_array_append_new(arr, s) < 0)
                rc = nomem(c, item);
        }
        path_restore(c, old);
    }
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return 0;
}

static int check_object_list(vctx *c, const glv_config_field *f, const glv_cfg_node *seq,
                             json_t **out)
{
    json_t *arr = json_array();
    if (arr == NULL)
        return nomem(c, seq);
    int rc = 0;
    for (size_t i = 0; i < seq->count && rc == 0; i++) {
        const glv_cfg_node *item = seq->u.items[i];
        long old = path_push_index(c, i);
        if (old < 0) {
            rc = nomem(c, item);
            break;
        }
        json_t *obj = NULL;
        if (glv_cfg_is_null(item))
            rc = check_object(c, children_of(f), NULL, item, NULL, false, &obj);
        else if (item->kind != GLV_CFG_NODE_MAPPING)
            rc = fail_type(c, &(glv_config_field){.type = GLV_CFG_OBJECT}, item);
        else
            rc = check_object(c, children_of(f), item, item, NULL, false, &obj);
        if (rc == 0 && json_array_append_new(arr, obj) < 0)
            rc = nomem(c, item);
        path_restore(c, old);
    }
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return 0;
}

static int check_map(vctx *c, const glv_config_field *f, const glv_cfg_node *map, json_t **out)
{
    const glv_config_field *vf = f->children;
    if (vf == NULL || vf->type == 0)
        return fail(c, map, "the schema does not describe the values of this mapping");
    json_t *obj = json_object();
    if (obj == NULL)
        return nomem(c, map);
    int rc = 0;
    for (size_t i = 0; i + 1 < map->count && rc == 0; i += 2) {
        const glv_cfg_node *k = map->u.items[i], *v = map->u.items[i + 1];
        long old = path_push_key(c, k->u.text);
        if (old < 0) {
            rc = nomem(c, k);
            break;
        }
        json_t *val = NULL;
        rc = check_value(c, vf, v, k, &val);
        if (rc == 0 && val == NULL)
            rc = fail(c, v, "a value is required");
        if (rc == 0 && json_object_set_new(obj, k->u.text, val) < 0)
            rc = fail(c, k, "the key is not valid UTF-8");
        path_restore(c, old);
    }
    if (rc < 0) {
        json_decref(obj);
        return rc;
    }
    *out = obj;
    return 0;
}

/* The value of an absent key (or a key written without value): its default,
 * parsed by the same rules, or what the rules above say. *out new or NULL. */
static int check_absent(vctx *c, const glv_config_field *f, const glv_cfg_node *where, bool present,
                        json_t **out)
{
    *out = NULL;
    if (f->default_text != NULL && is_scalar_type(f->type)) {
        glv_cfg_node fake = {.kind = GLV_CFG_NODE_SCALAR,
                             .line = where ? where->line : 1,
                             .column = where ? where->column : 1,
                             .count = strlen(f->default_text),
                             .u.text = (char *)f->default_text};
        bool saved = c->in_default;
        c->in_default = true;
        int rc = check_scalar(c, f, &fake, out);
        c->in_default = saved;
        return rc;
    }
    if (f->default_text != NULL && f->type != GLV_CFG_OBJECT) {
        glv_cfg_node *parsed = NULL;
        char *perr = NULL;
        int rc = glv_cfg_parse_value("default", f->default_text, strlen(f->default_text), &parsed,
                                     &perr);
        bool saved = c->in_default;
        c->in_default = true;
        if (rc < 0)
            rc = fail(c, where, "invalid YAML: %s", perr ? perr : "?");
        else if (parsed != NULL && !glv_cfg_is_null(parsed))
            rc = check_value(c, f, parsed, where, out);
        c->in_default = saved;
        free(perr);
        glv_cfg_node_free(parsed);
        if (rc < 0 || *out != NULL)
            return rc;
    }
    switch (f->type) {
    case GLV_CFG_OBJECT:
        if (has_required(children_of(f)) && !present && !(f->flags & GLV_CFG_REQUIRED))
            return 0;
        return check_object(c, children_of(f), NULL, where, NULL, false, out);
    case GLV_CFG_STRING_LIST:
    case GLV_CFG_OBJECT_LIST:
        *out = json_array();
        return *out ? 0 : nomem(c, where);
    case GLV_CFG_MAP:
        *out = json_object();
        return *out ? 0 : nomem(c, where);
    default:
        if (present && (f->flags & GLV_CFG_REQUIRED))
            return fail(c, where, "a value is required");
        return 0;
    }
}

/* One value (NULL when the key is absent) against its field. where: the key,
 * for messages about an empty value. *out new, or NULL when nothing is to be
 * set. */
static int check_value(vctx *c, const glv_config_field *f, const glv_cfg_node *value,
                       const glv_cfg_node *where, json_t **out)
{
    *out = NULL;
    if (value == NULL || glv_cfg_is_null(value))
        return check_absent(c, f, value ? value : where, value != NULL, out);
    if (is_scalar_type(f->type)) {
        if (value->kind != GLV_CFG_NODE_SCALAR)
            return fail_type(c, f, value);
        return check_scalar(c, f, value, out);
    }
    switch (f->type) {
    case GLV_CFG_OBJECT:
        if (value->kind != GLV_CFG_NODE_MAPPING)
            return fail_type(c, f, value);
        return check_object(c, children_of(f), value, where, NULL, false, out);
    case GLV_CFG_MAP:
        if (value->kind != GLV_CFG_NODE_MAPPING)
            return fail_type(c, f, value);
        return check_map(c, f, value, out);
    case GLV_CFG_STRING_LIST:
        if (value->kind != GLV_CFG_NODE_SEQUENCE)
            return fail_type(c, f, value);
        return check_string_list(c, f, value, out);
    case GLV_CFG_OBJECT_LIST:
        if (value->kind != GLV_CFG_NODE_SEQUENCE)
            return fail_type(c, f, value);
        return check_object_list(c, f, value, out);
    default:
        return fail(c, value, "the schema has an unknown type %d", (int)f->type);
    }
}

/* ---- entry points ---- */

int glv_config_section(const glv_config_doc *doc, const char *key, const glv_config_field *schema,
                       json_t **out, char **err)
{
    vctx c = {.file = glv_config_name(doc)};
    const glv_cfg_node *k = NULL;
    const glv_cfg_node *v = glv_cfg_map_get(glv_cfg_doc_root(doc), key, &k);
    *out = NULL;
    *err = NULL;
    int rc = path_push_key(&c, key) < 0 ? nomem(&c, k) : 0;
    if (rc == 0) {
        glv_config_field section = {.key = key, .type = GLV_CFG_OBJECT, .children = schema};
        if (v == NULL || glv_cfg_is_null(v))
            rc = check_object(&c, schema ? schema : empty_schema, NULL, k, NULL, false, out);
        else
            rc = check_value(&c, &section, v, k, out);
    }
    free(c.path);
    if (rc < 0) {
        *err = c.err ? c.err : glv_cfg_printf("%s: out of memory", c.file);
        return -EINVAL;
    }
    return 0;
}

int glv_config_check_top_level(const glv_config_doc *doc, const glv_config_field *root,
                               const char *const *extra_sections, char **err)
{
    vctx c = {.file = glv_config_name(doc)};
    json_t *out = NULL;
    *err = NULL;
    int rc = check_object(&c, root ? root : empty_schema, glv_cfg_doc_root(doc), NULL,
                          extra_sections, true, &out);
    json_decref(out);
    free(c.path);
    if (rc < 0) {
        *err = c.err ? c.err : glv_cfg_printf("%s: out of memory", c.file);
        return -EINVAL;
    }
    return 0;
}
