/*
 * galvani — fuzz target for the configuration engine: any bytes are parsed as
 * a configuration file, then validated against a schema that uses every
 * field type and flag, then redacted and compared.
 */
#include "config-internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const modes[] = {"a", "b", "c", NULL};

static const glv_config_field leaf_schema[] = {
    {.key = "s", .type = GLV_CFG_STRING, .choices = modes, .default_text = "a"},
    {.key = "i", .type = GLV_CFG_INT, .min = -5, .max = 5},
    {.key = "b", .type = GLV_CFG_BOOL, .default_text = "on"},
    {.key = "d", .type = GLV_CFG_DURATION, .default_text = "1s", .min = 0, .max = 86400000},
    {.key = "z", .type = GLV_CFG_SIZE, .default_text = "4k"},
    {.key = "p", .type = GLV_CFG_SECRET},
    {.key = "r", .type = GLV_CFG_STRING, .flags = GLV_CFG_REQUIRED},
    {.key = NULL},
};

static const glv_config_field item_schema[] = {
    {.key = "name", .type = GLV_CFG_STRING, .flags = GLV_CFG_REQUIRED},
    {.key = "port", .type = GLV_CFG_INT, .default_text = "80", .min = 1, .max = 65535},
    {.key = "leaf", .type = GLV_CFG_OBJECT, .children = leaf_schema},
    {.key = NULL},
};

static const glv_config_field secret_value[] = {{.key = "*", .type = GLV_CFG_SECRET},
                                                {.key = NULL}};
static const glv_config_field item_value[] = {
    {.key = "*", .type = GLV_CFG_OBJECT, .children = item_schema}, {.key = NULL}};

static const glv_config_field section_schema[] = {
    {.key = "str", .type = GLV_CFG_STRING, .flags = GLV_CFG_RELOADABLE},
    {.key = "int", .type = GLV_CFG_INT, .default_text = "7"},
    {.key = "bool", .type = GLV_CFG_BOOL},
    {.key = "dur", .type = GLV_CFG_DURATION, .default_text = "250ms", .min = 1, .max = 3600000},
    {.key = "size", .type = GLV_CFG_SIZE, .min = 1, .max = 1073741824},
    {.key = "secret", .type = GLV_CFG_SECRET},
    {.key = "obj", .type = GLV_CFG_OBJECT, .children = leaf_schema},
    {.key = "list", .type = GLV_CFG_STRING_LIST, .default_text = "[x, y]"},
    {.key = "items", .type = GLV_CFG_OBJECT_LIST, .children = item_schema},
    {.key = "keys", .type = GLV_CFG_MAP, .children = secret_value},
    {.key = "named", .type = GLV_CFG_MAP, .children = item_value},
    {.key = NULL},
};

static const glv_config_field root_schema[] = {
    {.key = "s", .type = GLV_CFG_OBJECT, .children = section_schema},
    {.key = "top", .type = GLV_CFG_INT},
    {.key = NULL},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *err = NULL;
    glv_config_doc *doc = glv_config_parse("fuzz.yaml", (const char *)data, size, &err);
    if (doc == NULL) {
        if (err == NULL || strncmp(err, "fuzz.yaml", 9) != 0)
            abort();
        free(err);
        return 0;
    }
    const char *const extra[] = {"other", NULL};
    if (glv_config_check_top_level(doc, root_schema, extra, &err) < 0)
        free(err);
    json_t *section = NULL;
    if (glv_config_section(doc, "s", section_schema, &section, &err) == 0) {
        json_t *shown = glv_config_redact(section, section_schema);
        char *changed = glv_config_fixed_change(section, shown, section_schema);
        free(changed);
        json_decref(shown);
        json_decref(section);
    } else {
        free(err);
    }
    if (glv_config_section(doc, "other", leaf_schema, &section, &err) == 0)
        json_decref(section);
    else
        free(err);
    free(glv_config_where(doc, "s"));
    glv_config_free(doc);
    return 0;
}
