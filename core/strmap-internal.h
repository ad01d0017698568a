/*
 * galvani core — private. A string-keyed hash map of borrowed pointers
 * (open addressing, keys copied). Used by the bus, the service registry and
 * anything else that looks names up on hot paths.
 */
#ifndef GLV_STRMAP_INTERNAL_H
#define GLV_STRMAP_INTERNAL_H

#include <stddef.h>

typedef struct glv_strmap glv_strmap;

glv_strmap *glv_strmap_new(void);
/* Frees the map and its key copies; values are the caller's. */
void glv_strmap_free(glv_strmap *m);
/* The value for key, or NULL. */
void *glv_strmap_get(const glv_strmap *m, const char *key);
/* Sets key → value (value must not be NULL). -ENOMEM on failure. */
int glv_strmap_put(glv_strmap *m, const char *key, void *value);
size_t glv_strmap_count(const glv_strmap *m);
/* Calls fn for each entry in no particular order; the map must not change. */
void glv_strmap_each(const glv_strmap *m, void (*fn)(const char *key, void *value, void *arg),
                     void *arg);

#endif
