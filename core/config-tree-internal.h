/*
 * galvani core — private to config*.c. The parsed YAML tree and the scalar
 * rules shared by the parser (config_yaml.c), the validator
 * (config_validate.c) and the scalar conversions (config_scalar.c).
 */
#ifndef GLV_CONFIG_TREE_INTERNAL_H
#define GLV_CONFIG_TREE_INTERNAL_H

#include "config-internal.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Nesting deeper than this is refused by the parser (the validator and the
 * free function recurse). */
#define GLV_CFG_MAX_DEPTH 64

typedef enum glv_cfg_kind {
    GLV_CFG_NODE_SCALAR = 1,
    GLV_CFG_NODE_MAPPING,
    GLV_CFG_NODE_SEQUENCE,
} glv_cfg_kind;

/* One node with its 1-based position. A scalar owns its text (NUL-terminated,
 * never containing a NUL); a mapping holds key, value, key, value… in items
 * (keys are scalars, unique); a sequence holds its items. */
typedef struct glv_cfg_node {
    uint8_t kind; /* glv_cfg_kind */
    bool quoted;  /* scalar written in quotes or as a block scalar */
    uint32_t line;
    uint32_t column;
    size_t count; /* scalar: text length; mapping: 2 × pairs; sequence: items */
    size_t cap;
    union {
        char *text;
        struct glv_cfg_node **items;
    } u;
} glv_cfg_node;

/* The document's root mapping (borrowed, never NULL) and its file name. */
const glv_cfg_node *glv_cfg_doc_root(const glv_config_doc *doc);

/* Parses one YAML value of any kind (used for built-in defaults of lists and
 * maps). On success returns 0 and *out is new (free with glv_cfg_node_free);
 * on failure -EINVAL and *err is malloc'd. */
int glv_cfg_parse_value(const char *name, const char *text, size_t len, glv_cfg_node **out,
                        char **err);
void glv_cfg_node_free(glv_cfg_node *node);

/* Value of `key` in a mapping (borrowed) or NULL; *key_node (optional)
 * receives the key's node. */
const glv_cfg_node *glv_cfg_map_get(const glv_cfg_node *map, const char *key,
                                    const glv_cfg_node **key_node);

/* True for an unquoted empty, "~" or "null" scalar: a key without value. */
bool glv_cfg_is_null(const glv_cfg_node *node);

/* Scalar rules. Each returns 0 and the value, or -EINVAL (text not of that
 * form) or -ERANGE (too large). text: NUL-terminated. */
int glv_cfg_scan_int(const char *text, int64_t *out);
int glv_cfg_scan_duration(const char *text, int64_t *ms);
int glv_cfg_scan_size(const char *text, int64_t *bytes);
int glv_cfg_scan_bool(const char *text, bool *out);
/* Writes a duration as the largest exact unit ("90s", "2h", "250ms"), or a
 * size likewise ("64k", "16M"), into buf. */
void glv_cfg_format_duration(int64_t ms, char *buf, size_t size);
void glv_cfg_format_size(int64_t bytes, char *buf, size_t size);

/* Writes text for an error message into buf: control characters escaped,
 * cut with "..." beyond about 60 bytes (never inside a UTF-8 sequence). */
void glv_cfg_quote(const char *text, char *buf, size_t size);

/* malloc'd printf; NULL when out of memory. */
char *glv_cfg_printf(const char *fmt, ...) GLV_PRINTF(1, 2);
char *glv_cfg_vprintf(const char *fmt, va_list ap) GLV_PRINTF(1, 0);

#endif
