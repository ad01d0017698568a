/*
 * galvani core — private. State of a core module that lives as long as its
 * core: kept as the userdata of a built-in plugin handle named after the
 * module, made on first use. The handle also serves the module's own host
 * calls (db_query, db_listen, timers) and names it in log lines.
 */
#ifndef GLV_MODULE_INTERNAL_H
#define GLV_MODULE_INTERNAL_H

#include "core-internal.h"

/* The handle of module `name` in core (borrowed, freed with the core); its
 * userdata is a zeroed block of `size` bytes made with it, which init (may
 * be NULL) fills once. NULL on ENOMEM or when init fails. The block stays
 * allocated for the life of the process. */
glv_plugin *glv_module(glv_core *core, const char *name, size_t size,
                       int (*init)(glv_plugin *self, void *state));

#endif
