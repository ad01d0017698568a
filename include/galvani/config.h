/*
 * galvani — configuration schemas.
 *
 * Every plugin describes its own section of the YAML file as a table of
 * glv_config_field. The host validates the section before the plugin's init
 * runs: unknown keys, wrong types, values out of range and missing required
 * keys are refused with file:line:column. The plugin then reads the validated
 * section, with defaults filled in, as a JSON object (host->config()).
 */
#ifndef GALVANI_CONFIG_H
#define GALVANI_CONFIG_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum glv_config_type {
    GLV_CFG_STRING = 1,  /* YAML scalar, JSON string */
    GLV_CFG_INT,         /* integer within [min, max] when min < max */
    GLV_CFG_BOOL,        /* true/false/yes/no/on/off */
    GLV_CFG_DURATION,    /* "250ms", "30s", "5m", "2h" or integer ms; JSON integer ms */
    GLV_CFG_SIZE,        /* "512", "64k", "16M", "1G" (powers of 1024); JSON integer bytes */
    GLV_CFG_SECRET,      /* like STRING, but never logged or printed */
    GLV_CFG_OBJECT,      /* mapping described by children */
    GLV_CFG_STRING_LIST, /* sequence of scalars, JSON array of strings */
    GLV_CFG_OBJECT_LIST, /* sequence of mappings described by children */
    GLV_CFG_MAP,         /* mapping with free keys; each value described by children[0] */
} glv_config_type;

enum glv_config_flags {
    GLV_CFG_REQUIRED = 1u << 0,   /* the key must be present */
    GLV_CFG_RELOADABLE = 1u << 1, /* a changed value is applied by SIGHUP */
};

typedef struct glv_config_field {
    const char *key; /* NULL terminates a table */
    glv_config_type type;
    uint32_t flags;                          /* glv_config_flags */
    const char *default_text;                /* default as YAML scalar text; NULL = none */
    int64_t min, max;                        /* INT, DURATION, SIZE bounds when min < max */
    const char *const *choices;              /* STRING: allowed values, NULL-terminated */
    const struct glv_config_field *children; /* OBJECT, OBJECT_LIST, MAP */
    const char *help;                        /* one line, shown by galvanid -t -v */
} glv_config_field;

#ifdef __cplusplus
}
#endif
#endif
