/* galvani core — string-keyed hash map (open addressing, linear probing). */
#include "strmap-internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct slot {
    char *key;
    void *value;
    uint32_t hash;
};

struct glv_strmap {
    struct slot *slots;
    size_t cap; /* power of two */
    size_t count;
};

static uint32_t hash_key(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

glv_strmap *glv_strmap_new(void)
{
    glv_strmap *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->cap = 16;
    m->slots = calloc(m->cap, sizeof(*m->slots));
    if (!m->slots) {
        free(m);
        return NULL;
    }
    return m;
}

void glv_strmap_free(glv_strmap *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    free(m);
}

static struct slot *find_slot(struct slot *slots, size_t cap, const char *key, uint32_t h)
{
    size_t i = h & (cap - 1);
    while (slots[i].key && (slots[i].hash != h || strcmp(slots[i].key, key) != 0))
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

void *glv_strmap_get(const glv_strmap *m, const char *key)
{
    if (!m || !key)
        return NULL;
    struct slot *s = find_slot(m->slots, m->cap, key, hash_key(key));
    return s->key ? s->value : NULL;
}

static int grow(glv_strmap *m)
{
    size_t cap = m->cap * 2;
    struct slot *slots = calloc(cap, sizeof(*slots));
    if (!slots)
        return -ENOMEM;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key)
            *find_slot(slots, cap, m->slots[i].key, m->slots[i].hash) = m->slots[i];
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

int glv_strmap_put(glv_strmap *m, const char *key, void *value)
{
    if (!m || !key || !value)
        return -EINVAL;
    if ((m->count + 1) * 4 > m->cap * 3 && grow(m) != 0)
        return -ENOMEM;
    uint32_t h = hash_key(key);
    struct slot *s = find_slot(m->slots, m->cap, key, h);
    if (!s->key) {
        s->key = strdup(key);
        if (!s->key)
            return -ENOMEM;
        s->hash = h;
        m->count++;
    }
    s->value = value;
    return 0;
}

size_t glv_strmap_count(const glv_strmap *m)
{
    return m ? m->count : 0;
}

void glv_strmap_each(const glv_strmap *m, void (*fn)(const char *key, void *value, void *arg),
                     void *arg)
{
    for (size_t i = 0; m && i < m->cap; i++)
        if (m->slots[i].key)
            fn(m->slots[i].key, m->slots[i].value, arg);
}
