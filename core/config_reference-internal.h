/*
 * galvani core — private. Prints a configuration schema as a Markdown
 * reference (galvanid --config-reference), so the documentation of every
 * setting comes from the same table that validates it.
 */
#ifndef GLV_CONFIG_REFERENCE_INTERNAL_H
#define GLV_CONFIG_REFERENCE_INTERNAL_H

#include <galvani/config.h>
#include <stdio.h>

/* One section: a heading, the optional `about` line and a table of keys
 * (nested keys as dotted paths, list items as `key[]`). */
void glv_config_reference(FILE *out, const char *section, const char *about,
                          const glv_config_field *schema);

#endif
