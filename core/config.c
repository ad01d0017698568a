/*
 * galvani core — working with validated configuration sections: redaction of
 * secrets for printing and the comparison that tells whether a reload can
 * apply a new version of a section.
 */
#include "config-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char redacted[] = "***";

static json_t *redact_value(const json_t *value, const glv_config_field *f);

static json_t *redact_object(const json_t *obj, const glv_config_field *schema)
{
    json_t *copy = json_object();
    const char *key;
    json_t *value;
    if (copy == NULL)
        return NULL;
    json_object_foreach((json_t *)obj, key, value)
    {
        const glv_config_field *f = NULL;
        for (const glv_config_field *s = schema; s != NULL && s->key != NULL; s++)
            if (strcmp(s->key, key) == 0)
                f = s;
        json_t *r = f ? redact_value(value, f) : json_deep_copy(value);
        if (r == NULL || json_object_set_new(copy, key, r) < 0) {
            json_decref(copy);
            return NULL;
        }
    }
    return copy;
}

static json_t *redact_value(const json_t *value, const glv_config_field *f)
{
    if (f->type == GLV_CFG_SECRET && json_is_string(value))
        return json_string(redacted);
    if (f->type == GLV_CFG_OBJECT && json_is_object(value))
        return redact_object(value, f->children);
    if (f->type == GLV_CFG_OBJECT_LIST && json_is_array(value)) {
        json_t *copy = json_array();
        size_t i;
        json_t *item;
        if (copy == NULL)
            return NULL;
        json_array_foreach(value, i, item)
        {
            json_t *r =
                json_is_object(item) ? redact_object(item, f->children) : json_deep_copy(item);
            if (r == NULL || json_array_append_new(copy, r) < 0) {
                json_decref(copy);
                return NULL;
            }
        }
        return copy;
    }
    if (f->type == GLV_CFG_MAP && json_is_object(value) && f->children != NULL) {
        json_t *copy = json_object();
        const char *key;
        json_t *item;
        if (copy == NULL)
            return NULL;
        json_object_foreach((json_t *)value, key, item)
        {
            json_t *r = redact_value(item, &f->children[0]);
            if (r == NULL || json_object_set_new(copy, key, r) < 0) {
                json_decref(copy);
                return NULL;
            }
        }
        return copy;
    }
    return json_deep_copy(value);
}

json_t *glv_config_redact(const json_t *section, const glv_config_field *schema)
{
    if (section == NULL)
        return NULL;
    if (!json_is_object(section))
        return json_deep_copy(section);
    return redact_object(section, schema);
}

/* ---- reload comparison ---- */

static char *join_path(const char *prefix, const char *key)
{
    char *s = NULL;
    if (asprintf(&s, "%s%s%s", prefix, *prefix ? "." : "", key) < 0)
        return NULL;
    return s;
}

static char *fixed_change_value(const json_t *before, const json_t *after,
                                const glv_config_field *f, const char *path);

static char *fixed_change_object(const json_t *before, const json_t *after,
                                 const glv_config_field *schema, const char *path)
{
    for (const glv_config_field *f = schema; f != NULL && f->key != NULL; f++) {
        const json_t *b = json_object_get(before, f->key);
        const json_t *a = json_object_get(after, f->key);
        if (json_equal((json_t *)b, (json_t *)a) || (b == NULL && a == NULL))
            continue;
        char *sub = join_path(path, f->key);
        if (sub == NULL)
            return strdup(path);
        char *found = fixed_change_value(b, a, f, sub);
        if (found != sub)
            free(sub);
        if (found != NULL)
            return found;
    }
    return NULL;
}

/* Returns path itself (not a copy) when the value as a whole changed. */
static char *fixed_change_value(const json_t *before, const json_t *after,
                                const glv_config_field *f, const char *path)
{
    if (f->flags & GLV_CFG_RELOADABLE)
        return NULL;
    if (f->type == GLV_CFG_OBJECT && json_is_object(before) && json_is_object(after))
        return fixed_change_object(before, after, f->children, path);
    return (char *)path;
}

char *glv_config_fixed_change(const json_t *before, const json_t *after,
                              const glv_config_field *schema)
{
    if (!json_is_object(before) || !json_is_object(after))
        return json_equal((json_t *)before, (json_t *)after) ? NULL : strdup("");
    return fixed_change_object(before, after, schema, "");
}
