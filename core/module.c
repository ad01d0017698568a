/* galvani core — per-core state of core modules (see module-internal.h). */
#include "module-internal.h"

#include <stdlib.h>
#include <string.h>

/* Every block ever made stays reachable from here: a module's state may hold
 * loop objects that cannot be released once its core is gone. */
struct module_block {
    struct module_block *next;
    void *state;
};
static struct module_block *blocks;

glv_plugin *glv_module(glv_core *core, const char *name, size_t size,
                       int (*init)(glv_plugin *self, void *state))
{
    for (glv_plugin *p = core->builtins; p; p = p->next)
        if (!p->desc && p->userdata && strcmp(p->name, name) == 0) {
            for (struct module_block *b = blocks; b; b = b->next)
                if (b->state == p->userdata)
                    return p;
        }
    struct module_block *b = calloc(1, sizeof(*b));
    void *state = calloc(1, size);
    glv_plugin *self = b && state ? glv_core_plugin_new(core, name) : NULL;
    if (!self) {
        free(b);
        free(state);
        return NULL;
    }
    self->userdata = state;
    b->state = state;
    b->next = blocks;
    blocks = b;
    if (init && init(self, state) != 0) {
        self->userdata = NULL;
        return NULL;
    }
    return self;
}
