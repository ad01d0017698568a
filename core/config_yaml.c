/*
 * galvani core — reading the YAML configuration file into a tree that keeps
 * the position of every key and value. Only plain YAML is accepted: one
 * document, scalars, mappings and sequences; anchors, aliases, explicit tags,
 * duplicate keys and non-scalar keys are refused with their position.
 */
#include "config-tree-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

/* A configuration file larger than this is certainly a mistake. */
#define GLV_CFG_MAX_FILE (16u * 1024 * 1024)

struct glv_config_doc {
    char *name;
    glv_cfg_node *root; /* a mapping */
};

/* Index of the keys seen so far, for duplicate detection in linear time:
 * open addressing on (mapping, key text). */
typedef struct key_slot {
    const glv_cfg_node *map;
    const glv_cfg_node *key;
} key_slot;

/* State of one parse: the libyaml parser, the stack of open containers and
 * the key index. */
typedef struct builder {
    const char *name;
    const char *text;
    size_t len;
    yaml_parser_t parser;
    glv_cfg_node *root;
    glv_cfg_node *stack[GLV_CFG_MAX_DEPTH + 1];
    int depth;
    int documents;
    bool root_must_be_mapping;
    key_slot *keys;
    size_t keys_cap, keys_used;
    char *err;
} builder;

void glv_cfg_node_free(glv_cfg_node *node)
{
    if (node == NULL)
        return;
    if (node->kind == GLV_CFG_NODE_SCALAR) {
        free(node->u.text);
    } else {
        for (size_t i = 0; i < node->count; i++)
            glv_cfg_node_free(node->u.items[i]);
        free(node->u.items);
    }
    free(node);
}

static int fail_at(builder *b, size_t line, size_t column, const char *fmt, ...) GLV_PRINTF(4, 5);

static int fail_at(builder *b, size_t line, size_t column, const char *fmt, ...)
{
    if (b->err != NULL)
        return -EINVAL;
    va_list ap;
    va_start(ap, fmt);
    char *msg = glv_cfg_vprintf(fmt, ap);
    va_end(ap);
    b->err = glv_cfg_printf("%s:%zu:%zu: %s", b->name, line, column, msg ? msg : "out of memory");
    free(msg);
    return -EINVAL;
}

static int fail_mark(builder *b, yaml_mark_t mark, const char *fmt, const char *arg)
{
    return fail_at(b, mark.line + 1, mark.column + 1, fmt, arg);
}

/* Line and column of a byte offset (reader errors carry only the offset). */
static void offset_position(const builder *b, size_t offset, size_t *line, size_t *column)
{
    *line = 1;
    size_t line_start = 0;
    if (offset > b->len)
        offset = b->len;
    for (size_t i = 0; i < offset; i++) {
        if (b->text[i] == '\n') {
            (*line)++;
            line_start = i + 1;
        }
    }
    *column = offset - line_start + 1;
}

static int fail_syntax(builder *b)
{
    const yaml_parser_t *p = &b->parser;
    const char *problem = p->problem ? p->problem : "invalid YAML";
    if (p->error == YAML_MEMORY_ERROR)
        return fail_at(b, 1, 1, "out of memory while reading the file");
    if (p->error == YAML_READER_ERROR) {
        size_t line, column;
        offset_position(b, p->problem_offset, &line, &column);
        return fail_at(b, line, column, "syntax error: %s", problem);
    }
    size_t line = p->problem_mark.line + 1, column = p->problem_mark.column + 1;
    if (p->context != NULL)
        return fail_at(b, line, column, "syntax error: %s (%s at %zu:%zu)", problem, p->context,
                       (size_t)p->context_mark.line + 1, (size_t)p->context_mark.column + 1);
    return fail_at(b, line, column, "syntax error: %s", problem);
}

static glv_cfg_node *node_new(builder *b, glv_cfg_kind kind, yaml_mark_t mark)
{
    glv_cfg_node *n = calloc(1, sizeof(*n));
    if (n == NULL) {
        fail_mark(b, mark, "%s", "out of memory");
        return NULL;
    }
    n->kind = (uint8_t)kind;
    n->line = (uint32_t)(mark.line + 1);
    n->column = (uint32_t)(mark.column + 1);
    return n;
}

static int append(builder *b, glv_cfg_node *parent, glv_cfg_node *child)
{
    if (parent->count == parent->cap) {
        size_t cap = parent->cap ? parent->cap * 2 : 4;
        glv_cfg_node **items = realloc(parent->u.items, cap * sizeof(*items));
        if (items == NULL)
            return fail_at(b, child->line, child->column, "out of memory");
        parent->u.items = items;
        parent->cap = cap;
    }
    parent->u.items[parent->count++] = child;
    return 0;
}

static bool key_equal(const glv_cfg_node *a, const glv_cfg_node *b)
{
    return a->count == b->count && memcmp(a->u.text, b->u.text, a->count) == 0;
}

static size_t key_hash(const glv_cfg_node *map, const glv_cfg_node *key)
{
    uint64_t h = 14695981039346656037ull ^ (uint64_t)(uintptr_t)map;
    for (size_t i = 0; i < key->count; i++) {
        h ^= (unsigned char)key->u.text[i];
        h *= 1099511628211ull;
    }
    return (size_t)(h ^ (h >> 31));
}

/* The key of `map` equal to `key` seen before, or NULL. */
static const glv_cfg_node *key_find(const builder *b, const glv_cfg_node *map,
                                    const glv_cfg_node *key)
{
    if (b->keys_cap == 0)
        return NULL;
    for (size_t i = key_hash(map, key) & (b->keys_cap - 1);; i = (i + 1) & (b->keys_cap - 1)) {
        const key_slot *s = &b->keys[i];
        if (s->key == NULL)
            return NULL;
        if (s->map == map && key_equal(s->key, key))
            return s->key;
    }
}

static void key_place(key_slot *slots, size_t cap, const glv_cfg_node *map, const glv_cfg_node *key)
{
    size_t i = key_hash(map, key) & (cap - 1);
    while (slots[i].key != NULL)
        i = (i + 1) & (cap - 1);
    slots[i].map = map;
    slots[i].key = key;
}

/* Records a key of map (borrowed: it lives in the tree). */
static int key_record(builder *b, const glv_cfg_node *map, const glv_cfg_node *key)
{
    if ((b->keys_used + 1) * 2 > b->keys_cap) {
        size_t cap = b->keys_cap ? b->keys_cap * 2 : 64;
        key_slot *slots = calloc(cap, sizeof(*slots));
        if (slots == NULL)
            return fail_at(b, key->line, key->column, "out of memory");
        for (size_t i = 0; i < b->keys_cap; i++)
            if (b->keys[i].key != NULL)
                key_place(slots, cap, b->keys[i].map, b->keys[i].key);
        free(b->keys);
        b->keys = slots;
        b->keys_cap = cap;
    }
    key_place(b->keys, b->keys_cap, map, key);
    b->keys_used++;
    return 0;
}

static const char *kind_name(glv_cfg_kind kind)
{
    switch (kind) {
    case GLV_CFG_NODE_MAPPING:
        return "a mapping";
    case GLV_CFG_NODE_SEQUENCE:
        return "a sequence";
    default:
        return "a scalar";
    }
}

/* Attaches a new node to the open container (or makes it the root).
 * node: stolen (freed on failure). */
static int attach(builder *b, glv_cfg_node *node)
{
    if (b->depth == 0) {
        if (b->root_must_be_mapping && node->kind != GLV_CFG_NODE_MAPPING &&
            !glv_cfg_is_null(node)) {
            int rc = fail_at(b, node->line, node->column,
                             "the top level of the file must be a mapping, got %s",
                             kind_name(node->kind));
            glv_cfg_node_free(node);
            return rc;
        }
        b->root = node;
        return 0;
    }
    glv_cfg_node *parent = b->stack[b->depth - 1];
    bool is_key = parent->kind == GLV_CFG_NODE_MAPPING && parent->count % 2 == 0;
    if (is_key) {
        if (node->kind != GLV_CFG_NODE_SCALAR) {
            int rc = fail_at(b, node->line, node->column, "a key must be a scalar, got %s",
                             kind_name(node->kind));
            glv_cfg_node_free(node);
            return rc;
        }
        const glv_cfg_node *k = key_find(b, parent, node);
        if (k != NULL) {
            char shown[64];
            glv_cfg_quote(node->u.text, shown, sizeof(shown));
            int rc = fail_at(b, node->line, node->column,
                             "duplicate key '%s' (first seen at %u:%u)", shown, k->line, k->column);
            glv_cfg_node_free(node);
            return rc;
        }
    }
    int rc = append(b, parent, node);
    if (rc < 0) {
        glv_cfg_node_free(node);
        return rc;
    }
    return is_key ? key_record(b, parent, node) : 0;
}

static int on_scalar(builder *b, const yaml_event_t *ev)
{
    const char *value = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (memchr(value, '\0', len) != NULL)
        return fail_mark(b, ev->start_mark, "%s", "a value contains a NUL character");
    glv_cfg_node *n = node_new(b, GLV_CFG_NODE_SCALAR, ev->start_mark);
    if (n == NULL)
        return -ENOMEM;
    n->u.text = malloc(len + 1);
    if (n->u.text == NULL) {
        free(n);
        return fail_mark(b, ev->start_mark, "%s", "out of memory");
    }
    memcpy(n->u.text, value, len);
    n->u.text[len] = '\0';
    n->count = len;
    n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    return attach(b, n);
}

static int on_start(builder *b, const yaml_event_t *ev, glv_cfg_kind kind)
{
    if (b->depth >= GLV_CFG_MAX_DEPTH)
        return fail_at(b, ev->start_mark.line + 1, ev->start_mark.column + 1,
                       "nesting deeper than %d levels", GLV_CFG_MAX_DEPTH);
    glv_cfg_node *n = node_new(b, kind, ev->start_mark);
    if (n == NULL)
        return -ENOMEM;
    int rc = attach(b, n);
    if (rc < 0)
        return rc;
    b->stack[b->depth++] = n;
    return 0;
}

/* Gives back the unused part of a closed container's array. */
static void shrink(glv_cfg_node *n)
{
    if (n->count == 0 || n->count == n->cap)
        return;
    glv_cfg_node **items = realloc(n->u.items, n->count * sizeof(*items));
    if (items != NULL) {
        n->u.items = items;
        n->cap = n->count;
    }
}

/* Refuses what this configuration language leaves out of YAML. */
static int check_plain(builder *b, const yaml_event_t *ev)
{
    const yaml_char_t *anchor = NULL, *tag = NULL;
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        return fail_mark(b, ev->start_mark, "aliases are not allowed (*%s)",
                         (const char *)ev->data.alias.anchor);
    case YAML_SCALAR_EVENT:
        anchor = ev->data.scalar.anchor;
        tag = ev->data.scalar.tag;
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = ev->data.sequence_start.anchor;
        tag = ev->data.sequence_start.tag;
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = ev->data.mapping_start.anchor;
        tag = ev->data.mapping_start.tag;
        break;
    case YAML_DOCUMENT_START_EVENT:
        if (++b->documents > 1)
            return fail_mark(b, ev->start_mark, "%s",
                             "more than one document: the file must hold a single document");
        return 0;
    default:
        return 0;
    }
    if (anchor != NULL)
        return fail_mark(b, ev->start_mark, "anchors are not allowed (&%s)", (const char *)anchor);
    if (tag != NULL)
        return fail_mark(b, ev->start_mark, "tags are not allowed (%s)", (const char *)tag);
    return 0;
}

static int handle(builder *b, const yaml_event_t *ev)
{
    int rc = check_plain(b, ev);
    if (rc < 0)
        return rc;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return on_scalar(b, ev);
    case YAML_SEQUENCE_START_EVENT:
        return on_start(b, ev, GLV_CFG_NODE_SEQUENCE);
    case YAML_MAPPING_START_EVENT:
        return on_start(b, ev, GLV_CFG_NODE_MAPPING);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        shrink(b->stack[--b->depth]);
        return 0;
    default:
        return 0;
    }
}

/* Runs the parser over b->text; on success b->root holds the value (NULL for
 * an empty stream). */
static int build(builder *b)
{
    if (!yaml_parser_initialize(&b->parser))
        return fail_at(b, 1, 1, "out of memory");
    yaml_parser_set_input_string(&b->parser, (const unsigned char *)b->text, b->len);
    int rc = 0;
    for (bool done = false; !done && rc == 0;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&b->parser, &ev)) {
            rc = fail_syntax(b);
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        rc = handle(b, &ev);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&b->parser);
    free(b->keys);
    b->keys = NULL;
    if (rc < 0) {
        glv_cfg_node_free(b->root);
        b->root = NULL;
    }
    return rc;
}

int glv_cfg_parse_value(const char *name, const char *text, size_t len, glv_cfg_node **out,
                        char **err)
{
    builder b = {.name = name, .text = text, .len = len};
    *out = NULL;
    if (build(&b) < 0) {
        *err = b.err;
        return -EINVAL;
    }
    *out = b.root;
    return 0;
}

glv_config_doc *glv_config_parse(const char *name, const char *text, size_t len, char **err)
{
    builder b = {.name = name, .text = text, .len = len, .root_must_be_mapping = true};
    *err = NULL;
    if (build(&b) < 0) {
        *err = b.err ? b.err : glv_cfg_printf("%s:1:1: out of memory", name);
        return NULL;
    }
    glv_config_doc *doc = calloc(1, sizeof(*doc));
    if (doc != NULL)
        doc->name = strdup(name);
    if (doc != NULL && doc->name != NULL && b.root != NULL &&
        b.root->kind != GLV_CFG_NODE_MAPPING) {
        /* an empty document: an empty mapping */
        glv_cfg_node_free(b.root);
        b.root = NULL;
    }
    if (doc != NULL && doc->name != NULL && b.root == NULL) {
        b.root = calloc(1, sizeof(*b.root));
        if (b.root != NULL) {
            b.root->kind = GLV_CFG_NODE_MAPPING;
            b.root->line = 1;
            b.root->column = 1;
        }
    }
    if (doc == NULL || doc->name == NULL || b.root == NULL) {
        glv_cfg_node_free(b.root);
        if (doc != NULL)
            free(doc->name);
        free(doc);
        *err = glv_cfg_printf("%s: out of memory", name);
        return NULL;
    }
    doc->root = b.root;
    return doc;
}

glv_config_doc *glv_config_load(const char *path, char **err)
{
    *err = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        *err = glv_cfg_printf("%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    int read_errno = 0;
    for (;;) {
        if (len == cap) {
            if (cap >= GLV_CFG_MAX_FILE) {
                read_errno = EFBIG;
                break;
            }
            cap = cap ? cap * 2 : 16384;
            char *grown = realloc(text, cap);
            if (grown == NULL) {
                read_errno = ENOMEM;
                break;
            }
            text = grown;
        }
        size_t n = fread(text + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f))
                read_errno = errno ? errno : EIO;
            break;
        }
    }
    fclose(f);
    glv_config_doc *doc = NULL;
    if (read_errno != 0)
        *err = glv_cfg_printf("%s: cannot read: %s", path, strerror(read_errno));
    else
        doc = glv_config_parse(path, text ? text : "", len, err);
    free(text);
    return doc;
}

void glv_config_free(glv_config_doc *doc)
{
    if (doc == NULL)
        return;
    glv_cfg_node_free(doc->root);
    free(doc->name);
    free(doc);
}

const glv_cfg_node *glv_cfg_doc_root(const glv_config_doc *doc)
{
    return doc->root;
}

const char *glv_config_name(const glv_config_doc *doc)
{
    return doc->name;
}

bool glv_cfg_is_null(const glv_cfg_node *node)
{
    if (node == NULL || node->kind != GLV_CFG_NODE_SCALAR || node->quoted)
        return false;
    const char *t = node->u.text;
    return t[0] == '\0' || strcmp(t, "~") == 0 || strcmp(t, "null") == 0 ||
           strcmp(t, "Null") == 0 || strcmp(t, "NULL") == 0;
}

const glv_cfg_node *glv_cfg_map_get(const glv_cfg_node *map, const char *key,
                                    const glv_cfg_node **key_node)
{
    if (map == NULL || map->kind != GLV_CFG_NODE_MAPPING)
        return NULL;
    size_t len = strlen(key);
    for (size_t i = 0; i + 1 < map->count; i += 2) {
        const glv_cfg_node *k = map->u.items[i];
        if (k->count == len && memcmp(k->u.text, key, len) == 0) {
            if (key_node != NULL)
                *key_node = k;
            return map->u.items[i + 1];
        }
    }
    return NULL;
}

char *glv_config_where(const glv_config_doc *doc, const char *key)
{
    const glv_cfg_node *k = NULL;
    if (glv_cfg_map_get(doc->root, key, &k) != NULL)
        return glv_cfg_printf("%s:%u:%u", doc->name, k->line, k->column);
    return strdup(doc->name);
}
