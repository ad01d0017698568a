/*
 * galvani core — private. The plugin loader: dlopen, descriptor guard,
 * dependency order, per-plugin configuration and the lifecycle.
 *
 * Every refusal is one line that names the plugin, what is wrong and what
 * to do about it.
 */
#ifndef GLV_LOADER_INTERNAL_H
#define GLV_LOADER_INTERNAL_H

#include "config-internal.h"
#include "core-internal.h"
#include "db-internal.h"

/* One entry of the `plugins:` list. */
typedef struct glv_plugin_spec {
    const char *name;
    const char *path; /* NULL: search the plugin directories for NAME.so */
    bool optional;    /* a failure is logged and the plugin left out */
} glv_plugin_spec;

glv_loader *glv_loader_new(glv_core *core);
/* Stops, finishes and unloads whatever is still loaded. */
void glv_loader_free(glv_loader *l);

/* Directories searched for NAME.so, in order (copied). */
int glv_loader_add_dir(glv_loader *l, const char *dir);

/* dlopens each plugin and checks its descriptor, then orders them by their
 * dependencies. Optional plugins that fail are logged and dropped (with
 * whatever depends on them, unless that is required: then it is an error).
 * Returns 0, or -1 with *err malloc'd. */
int glv_loader_load(glv_loader *l, const glv_plugin_spec *specs, size_t n, char **err);

/* Validates each loaded plugin's section of doc (NULL: empty sections) and
 * keeps the result for host->config(). */
int glv_loader_configure(glv_loader *l, const glv_config_doc *doc, char **err);

/* init, then the bus check, then start, in dependency order. On a failure
 * of a required plugin, what was started is stopped and finished in reverse
 * order and -1 returned with the plugin's reason. */
int glv_loader_init_all(glv_loader *l, char **err);
int glv_loader_start_all(glv_loader *l, char **err);
/* Re-validates every section from doc; on any error nothing changes. Then
 * calls reload on each plugin whose section changed. */
int glv_loader_reload_all(glv_loader *l, const glv_config_doc *doc, char **err);
/* stop in reverse order, then fini in reverse order. */
void glv_loader_stop_all(glv_loader *l);
void glv_loader_fini_all(glv_loader *l);

/* Names of the loaded plugins, NULL-terminated; borrowed until free. */
const char *const *glv_loader_names(glv_loader *l);
/* Migration sets of the loaded plugins that ship migrations; *n set. The
 * array is borrowed until free. */
const glv_migration_set *glv_loader_migrations(glv_loader *l, size_t *n);
/* A loaded plugin's handle by name, or NULL. */
glv_plugin *glv_loader_find(glv_loader *l, const char *name);

#endif
