/*
 * galvani core — private. The YAML configuration file.
 *
 * glv_config_load parses the whole file into a tree that remembers where every
 * node came from (file:line:column). glv_config_section validates one
 * top-level section against a schema and returns it as JSON with defaults
 * filled in. Error messages always start with "FILE:LINE:COLUMN: ".
 */
#ifndef GLV_CONFIG_INTERNAL_H
#define GLV_CONFIG_INTERNAL_H

#include <galvani/config.h>
#include <jansson.h>
#include <stdbool.h>

typedef struct glv_config_doc glv_config_doc;

/* Parses a YAML file whose root is a mapping. On failure returns NULL and
 * *err is a malloc'd "FILE:LINE:COLUMN: message". Duplicate keys, anchors
 * and aliases, tags and multi-document streams are refused. */
glv_config_doc *glv_config_load(const char *path, char **err);
/* The same from a string (tests, fuzzing); name is used in messages. */
glv_config_doc *glv_config_parse(const char *name, const char *text, size_t len, char **err);
void glv_config_free(glv_config_doc *doc);
/* The name given to load/parse (borrowed). */
const char *glv_config_name(const glv_config_doc *doc);

/* Validates top-level section `key` against schema (a table ending with
 * key == NULL). A missing section validates as an empty mapping. On success
 * returns 0 and *out is a new JSON object; on failure returns -EINVAL and
 * *err is a malloc'd "FILE:LINE:COLUMN: key.path: message" ("FILE: key:
 * message" when the section is absent and misses a required key). A key
 * written without value counts as absent; list items are numbered from 0;
 * the rules for absent objects and lists are in config_validate.c. */
int glv_config_section(const glv_config_doc *doc, const char *key, const glv_config_field *schema,
                       json_t **out, char **err);

/* Validates a whole document against a root schema whose entries are the
 * top-level sections. Keys of the root not in the schema and not named in
 * `extra_sections` (NULL-terminated, e.g. the loaded plugins' names) are
 * refused with their position. */
int glv_config_check_top_level(const glv_config_doc *doc, const glv_config_field *root,
                               const char *const *extra_sections, char **err);

/* Positions of a top-level key for messages: "FILE:LINE:COLUMN" (malloc'd),
 * or the file name alone when the key is absent. */
char *glv_config_where(const glv_config_doc *doc, const char *key);

/* Copy of a validated section with every SECRET value replaced by "***"
 * (for printing by galvanid -t). New reference. */
json_t *glv_config_redact(const json_t *section, const glv_config_field *schema);

/* Compares two validated versions of a section (before and after a reload).
 * Returns NULL when every difference lies under a RELOADABLE field, else the
 * malloc'd path of the first changed value that needs a restart
 * ("listeners[0].port"; "" when a whole section is not an object). A
 * RELOADABLE OBJECT covers everything below it. */
char *glv_config_fixed_change(const json_t *before, const json_t *after,
                              const glv_config_field *schema);

#endif
