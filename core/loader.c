/* galvani core — the plugin loader. */
#include "bus-internal.h"
#include "loader-internal.h"
#include "log-internal.h"
#include "services-internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Size of the descriptor as ABI 0.1 defined it: the guard plus its fields. */
#define GLV_DESCRIPTOR_SIZE_0_1 (offsetof(glv_plugin_descriptor, fini) + sizeof(void (*)(void)))

struct glv_loader {
    glv_core *core;
    char **dirs;
    size_t ndirs;
    glv_plugin **order; /* dependency order */
    size_t count;
    const char **names;
    glv_migration_set *migrations;
    size_t nmigrations;
};

static char *format(const char *fmt, ...) GLV_PRINTF(1, 2);
static char *format(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

glv_loader *glv_loader_new(glv_core *core)
{
    glv_loader *l = calloc(1, sizeof(*l));
    if (l)
        l->core = core;
    return l;
}

int glv_loader_add_dir(glv_loader *l, const char *dir)
{
    char **dirs = realloc(l->dirs, (l->ndirs + 1) * sizeof(*dirs));
    if (!dirs)
        return -ENOMEM;
    l->dirs = dirs;
    if (!(dirs[l->ndirs] = strdup(dir)))
        return -ENOMEM;
    l->ndirs++;
    return 0;
}

static void unload(glv_loader *l, glv_plugin *p)
{
    glv_bus_forget_plugin(l->core->bus, p);
    glv_services_forget_plugin(l->core->services, p);
    void *dl = p->dl;
    glv_plugin_release(p);
    if (dl)
        dlclose(dl);
}

void glv_loader_free(glv_loader *l)
{
    if (!l)
        return;
    glv_loader_stop_all(l);
    glv_loader_fini_all(l);
    for (size_t i = l->count; i-- > 0;)
        unload(l, l->order[i]);
    for (size_t i = 0; i < l->ndirs; i++)
        free(l->dirs[i]);
    free(l->dirs);
    free(l->order);
    free(l->names);
    free(l->migrations);
    free(l);
}

static bool valid_plugin_name(const char *name)
{
    if (!name || !*name || strlen(name) > 64)
        return false;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
            return false;
    return true;
}

/* Finds NAME.so in the plugin directories; malloc'd path or NULL. */
static char *find_plugin(glv_loader *l, const char *name)
{
    for (size_t i = 0; i < l->ndirs; i++) {
        char *path = format("%s/%s.so", l->dirs[i], name);
        if (path && access(path, R_OK) == 0)
            return path;
        free(path);
    }
    return NULL;
}

/* Checks the guard fields; returns a malloc'd refusal or NULL when fine. */
static char *check_descriptor(const char *name, const char *path, const glv_plugin_descriptor *d)
{
    if (!d)
        return format("plugin '%s' (%s): glv_plugin_entry returned no descriptor; the plugin is "
                      "broken, reinstall it",
                      name, path);
    if (d->magic != GLV_PLUGIN_MAGIC)
        return format("plugin '%s' (%s): not a galvani plugin (bad magic 0x%08x); rebuild it "
                      "against the galvani headers",
                      name, path, d->magic);
    if (d->abi_major != GLV_ABI_MAJOR)
        return format("plugin '%s' (%s) was built for ABI %u.%u but galvanid provides ABI %d.%d "
                      "(major differs); rebuild %s against the headers of this galvani",
                      name, path, d->abi_major, d->abi_minor, GLV_ABI_MAJOR, GLV_ABI_MINOR, name);
    if (d->abi_minor > GLV_ABI_MINOR)
        return format("plugin '%s' (%s) needs ABI %u.%u but galvanid provides ABI %d.%d (too old); "
                      "upgrade galvani or install a %s built for ABI %d.%d",
                      name, path, d->abi_major, d->abi_minor, GLV_ABI_MAJOR, GLV_ABI_MINOR, name,
                      GLV_ABI_MAJOR, GLV_ABI_MINOR);
    if (d->size < GLV_DESCRIPTOR_SIZE_0_1)
        return format("plugin '%s' (%s): descriptor is %u bytes, smaller than ABI %u.%u's %zu; "
                      "rebuild it against the galvani headers",
                      name, path, d->size, d->abi_major, d->abi_minor,
                      (size_t)GLV_DESCRIPTOR_SIZE_0_1);
    if (!d->name || strcmp(d->name, name) != 0)
        return format("plugin '%s' (%s) calls itself '%s'; name it '%s' in the configuration", name,
                      path, d->name ? d->name : "(null)", d->name ? d->name : "?");
    return NULL;
}

/* dlopens one plugin; returns the handle or NULL with *err. */
static glv_plugin *open_plugin(glv_loader *l, const glv_plugin_spec *spec, char **err)
{
    if (!valid_plugin_name(spec->name)) {
        *err = format("plugin name '%s' is invalid; use lower-case letters, digits and '-'",
                      spec->name ? spec->name : "(null)");
        return NULL;
    }
    char *path = spec->path ? strdup(spec->path) : find_plugin(l, spec->name);
    if (!path) {
        size_t len = 0;
        for (size_t i = 0; i < l->ndirs; i++)
            len += strlen(l->dirs[i]) + 2;
        char *dirs = calloc(1, len + 1);
        for (size_t i = 0; dirs && i < l->ndirs; i++) {
            strcat(dirs, i ? ", " : "");
            strcat(dirs, l->dirs[i]);
        }
        *err = format("plugin '%s': %s.so not found in %s; install it or set its path", spec->name,
                      spec->name, dirs && *dirs ? dirs : "(no plugin directory)");
        free(dirs);
        return NULL;
    }
    dlerror();
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        *err = format("plugin '%s': cannot load %s: %s", spec->name, path, dlerror());
        free(path);
        return NULL;
    }
    glv_plugin_entry_fn entry;
    *(void **)&entry = dlsym(dl, GLV_PLUGIN_ENTRY_SYMBOL);
    if (!entry) {
        *err = format("plugin '%s' (%s): no %s symbol, so it is not a galvani plugin; rebuild it "
                      "with GLV_PLUGIN_EXPORT",
                      spec->name, path, GLV_PLUGIN_ENTRY_SYMBOL);
        dlclose(dl);
        free(path);
        return NULL;
    }
    const glv_plugin_descriptor *d = entry();
    if ((*err = check_descriptor(spec->name, path, d))) {
        dlclose(dl);
        free(path);
        return NULL;
    }
    free(path);
    glv_plugin *p = calloc(1, sizeof(*p));
    if (!p || !(p->name = strdup(spec->name))) {
        free(p);
        dlclose(dl);
        *err = format("out of memory");
        return NULL;
    }
    p->core = l->core;
    p->desc = d;
    p->dl = dl;
    p->optional = spec->optional;
    p->state = GLV_PLUGIN_LOADED;
    return p;
}

static glv_plugin *find_in(glv_plugin **list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] && strcmp(list[i]->name, name) == 0)
            return list[i];
    return NULL;
}

/* Depth-first visit for the topological order. mark: 0 new, 1 on the
 * current path, 2 done. Returns 0 or -1 with *err. */
static int visit(glv_plugin **all, int *mark, size_t n, size_t i, glv_plugin **out, size_t *nout,
                 size_t *path, size_t depth, char **err)
{
    if (mark[i] == 2)
        return 0;
    path[depth] = i;
    if (mark[i] == 1) {
        size_t from = 0;
        while (path[from] != i)
            from++;
        size_t len = 1;
        for (size_t k = from; k <= depth; k++)
            len += strlen(all[path[k]]->name) + 5;
        char *cycle = calloc(1, len);
        for (size_t k = from; cycle && k <= depth; k++) {
            strcat(cycle, all[path[k]]->name);
            if (k < depth)
                strcat(cycle, " -> ");
        }
        *err = format("plugins %s depend on each other in a cycle; remove one of these "
                      "dependencies",
                      cycle ? cycle : "?");
        free(cycle);
        return -1;
    }
    mark[i] = 1;
    const char *const *deps = all[i]->desc->depends;
    for (size_t k = 0; deps && deps[k]; k++) {
        size_t j = 0;
        while (j < n && strcmp(all[j]->name, deps[k]) != 0)
            j++;
        if (j == n) {
            *err = format("plugin '%s' depends on plugin '%s', which is not loaded; add '%s' to "
                          "the plugins list of the configuration",
                          all[i]->name, deps[k], deps[k]);
            return -1;
        }
        if (visit(all, mark, n, j, out, nout, path, depth + 1, err) != 0)
            return -1;
    }
    mark[i] = 2;
    out[(*nout)++] = all[i];
    return 0;
}

static int order_plugins(glv_loader *l, glv_plugin **all, size_t n, char **err)
{
    int *mark = calloc(n + 1, sizeof(*mark));
    size_t *path = calloc(n + 1, sizeof(*path));
    glv_plugin **out = calloc(n + 1, sizeof(*out));
    size_t nout = 0;
    int rc = (mark && path && out) ? 0 : -1;
    if (rc)
        *err = format("out of memory");
    /* Visit in name order so that independent plugins start in a stable order. */
    for (size_t round = 0; rc == 0 && round < n; round++) {
        size_t best = n;
        for (size_t i = 0; i < n; i++)
            if (mark[i] == 0 && (best == n || strcmp(all[i]->name, all[best]->name) < 0))
                best = i;
        if (best == n)
            break;
        rc = visit(all, mark, n, best, out, &nout, path, 0, err);
    }
    free(mark);
    free(path);
    if (rc == 0) {
        l->order = out;
        l->count = nout;
    } else {
        free(out);
    }
    return rc;
}

/* Drops optional plugins whose dependencies are missing, repeatedly.
 * Returns the new count. */
static size_t drop_unsatisfied_optional(glv_loader *l, glv_plugin **all, size_t n)
{
    bool changed = true;
    while (changed) {
        changed = false;
        for (size_t i = 0; i < n; i++) {
            const char *const *deps = all[i]->desc->depends;
            for (size_t k = 0; all[i]->optional && deps && deps[k]; k++) {
                if (find_in(all, n, deps[k]))
                    continue;
                glv_log(GLV_LOG_WARNING, "loader",
                        "optional plugin '%s' left out: it depends on '%s', which is not loaded",
                        all[i]->name, deps[k]);
                unload(l, all[i]);
                all[i] = all[--n];
                changed = true;
                break;
            }
            if (changed)
                break;
        }
    }
    return n;
}

static int build_tables(glv_loader *l)
{
    l->names = calloc(l->count + 1, sizeof(*l->names));
    l->migrations = calloc(l->count + 1, sizeof(*l->migrations));
    if (!l->names || !l->migrations)
        return -1;
    for (size_t i = 0; i < l->count; i++) {
        l->names[i] = l->order[i]->name;
        if (l->order[i]->desc->migrations && l->order[i]->desc->migrations[0].version) {
            l->migrations[l->nmigrations].component = l->order[i]->name;
            l->migrations[l->nmigrations].migrations = l->order[i]->desc->migrations;
            l->nmigrations++;
        }
    }
    return 0;
}

int glv_loader_load(glv_loader *l, const glv_plugin_spec *specs, size_t n, char **err)
{
    *err = NULL;
    glv_plugin **all = calloc(n + 1, sizeof(*all));
    if (!all) {
        *err = format("out of memory");
        return -1;
    }
    size_t loaded = 0;
    for (size_t i = 0; i < n; i++) {
        if (find_in(all, loaded, specs[i].name)) {
            *err = format("plugin '%s' is listed twice in the configuration; list it once",
                          specs[i].name);
            goto fail;
        }
        char *why = NULL;
        glv_plugin *p = open_plugin(l, &specs[i], &why);
        if (!p && specs[i].optional) {
            glv_log(GLV_LOG_WARNING, "loader", "optional plugin left out: %s", why);
            free(why);
            continue;
        }
        if (!p) {
            *err = why;
            goto fail;
        }
        all[loaded++] = p;
        glv_log(GLV_LOG_INFO, "loader", "loaded plugin %s %s (ABI %u.%u)", p->name,
                p->desc->version ? p->desc->version : "", p->desc->abi_major, p->desc->abi_minor);
    }
    loaded = drop_unsatisfied_optional(l, all, loaded);
    if (order_plugins(l, all, loaded, err) != 0)
        goto fail;
    free(all);
    if (build_tables(l) != 0) {
        *err = format("out of memory");
        return -1;
    }
    return 0;
fail:
    for (size_t i = 0; i < loaded; i++)
        unload(l, all[i]);
    free(all);
    return -1;
}

int glv_loader_configure(glv_loader *l, const glv_config_doc *doc, char **err)
{
    *err = NULL;
    json_t **fresh = calloc(l->count + 1, sizeof(*fresh));
    if (!fresh) {
        *err = format("out of memory");
        return -1;
    }
    for (size_t i = 0; i < l->count; i++) {
        glv_plugin *p = l->order[i];
        static const glv_config_field none[] = {{0}};
        const glv_config_field *schema = p->desc->config ? p->desc->config : none;
        if (doc) {
            if (glv_config_section(doc, p->name, schema, &fresh[i], err) != 0)
                goto fail;
        } else {
            fresh[i] = json_object();
        }
    }
    for (size_t i = 0; i < l->count; i++) {
        json_decref(l->order[i]->config);
        l->order[i]->config = fresh[i];
    }
    free(fresh);
    return 0;
fail:
    for (size_t i = 0; i < l->count; i++)
        json_decref(fresh[i]);
    free(fresh);
    return -1;
}

/* The plugin's reason for a failed lifecycle call, malloc'd. */
static char *lifecycle_error(glv_plugin *p, const char *stage, int rc)
{
    const char *msg =
        p->last_error ? json_string_value(json_object_get(p->last_error, "message")) : NULL;
    return format("plugin '%s' failed to %s: %s", p->name, stage,
                  msg ? msg : strerror(rc < 0 ? -rc : EINVAL));
}

/* Removes an optional plugin that failed at position i of the order. */
static void drop_at(glv_loader *l, size_t i)
{
    glv_plugin *p = l->order[i];
    if (p->state >= GLV_PLUGIN_INITIALIZED && p->state < GLV_PLUGIN_FINISHED && p->desc->fini)
        p->desc->fini(p);
    unload(l, p);
    memmove(&l->order[i], &l->order[i + 1], (l->count - i - 1) * sizeof(*l->order));
    l->count--;
    l->nmigrations = 0;
    free(l->names);
    free(l->migrations);
    build_tables(l);
}

/* Is plugin p (still) needed by a required plugin later in the order? */
static const char *required_dependent(glv_loader *l, size_t i)
{
    for (size_t j = i + 1; j < l->count; j++) {
        const char *const *deps = l->order[j]->desc->depends;
        for (size_t k = 0; deps && deps[k]; k++)
            if (strcmp(deps[k], l->order[i]->name) == 0 && !l->order[j]->optional)
                return l->order[j]->name;
    }
    return NULL;
}

int glv_loader_init_all(glv_loader *l, char **err)
{
    *err = NULL;
    for (size_t i = 0; i < l->count;) {
        glv_plugin *p = l->order[i];
        int rc = p->desc->init ? p->desc->init(p, &l->core->host) : 0;
        if (rc == 0) {
            p->state = GLV_PLUGIN_INITIALIZED;
            i++;
            continue;
        }
        char *why = lifecycle_error(p, "initialize", rc);
        p->state = GLV_PLUGIN_INITIALIZED; /* init may have registered things: fini them */
        const char *needed_by = required_dependent(l, i);
        if (p->optional && !needed_by) {
            glv_log(GLV_LOG_WARNING, "loader", "optional %s; left out", why);
            free(why);
            drop_at(l, i);
            continue;
        }
        *err = why;
        glv_loader_fini_all(l);
        return -1;
    }
    if (glv_bus_check(l->core->bus, err) != 0) {
        glv_loader_fini_all(l);
        return -1;
    }
    return 0;
}

int glv_loader_start_all(glv_loader *l, char **err)
{
    *err = NULL;
    for (size_t i = 0; i < l->count;) {
        glv_plugin *p = l->order[i];
        int rc = p->desc->start ? p->desc->start(p) : 0;
        if (rc == 0) {
            p->state = GLV_PLUGIN_STARTED;
            glv_log(GLV_LOG_INFO, "loader", "started plugin %s", p->name);
            i++;
            continue;
        }
        char *why = lifecycle_error(p, "start", rc);
        const char *needed_by = required_dependent(l, i);
        if (p->optional && !needed_by) {
            glv_log(GLV_LOG_WARNING, "loader", "optional %s; left out", why);
            free(why);
            drop_at(l, i);
            continue;
        }
        *err = why;
        glv_loader_stop_all(l);
        glv_loader_fini_all(l);
        return -1;
    }
    return 0;
}

int glv_loader_reload_all(glv_loader *l, const glv_config_doc *doc, char **err)
{
    *err = NULL;
    json_t **before = calloc(l->count + 1, sizeof(*before));
    if (!before) {
        *err = format("out of memory");
        return -1;
    }
    for (size_t i = 0; i < l->count; i++)
        before[i] = json_incref(l->order[i]->config);
    int rc = glv_loader_configure(l, doc, err);
    for (size_t i = 0; rc == 0 && i < l->count; i++) {
        glv_plugin *p = l->order[i];
        if (json_equal(before[i], p->config) || !p->desc->reload)
            continue;
        int prc = p->desc->reload(p);
        if (prc != 0) {
            char *why = lifecycle_error(p, "reload", prc);
            glv_log(GLV_LOG_ERR, "loader", "%s; it keeps its previous configuration", why);
            free(why);
            json_decref(p->config);
            p->config = json_incref(before[i]);
        } else {
            glv_log(GLV_LOG_NOTICE, "loader", "plugin %s reloaded its configuration", p->name);
        }
    }
    for (size_t i = 0; i < l->count; i++)
        json_decref(before[i]);
    free(before);
    return rc;
}

void glv_loader_stop_all(glv_loader *l)
{
    for (size_t i = l->count; i-- > 0;) {
        glv_plugin *p = l->order[i];
        if (p->state != GLV_PLUGIN_STARTED)
            continue;
        if (p->desc->stop)
            p->desc->stop(p);
        p->state = GLV_PLUGIN_STOPPED;
        glv_log(GLV_LOG_INFO, "loader", "stopped plugin %s", p->name);
    }
}

void glv_loader_fini_all(glv_loader *l)
{
    for (size_t i = l->count; i-- > 0;) {
        glv_plugin *p = l->order[i];
        if (p->state < GLV_PLUGIN_INITIALIZED || p->state == GLV_PLUGIN_FINISHED)
            continue;
        if (p->desc->fini)
            p->desc->fini(p);
        p->state = GLV_PLUGIN_FINISHED;
        glv_bus_forget_plugin(l->core->bus, p);
        glv_services_forget_plugin(l->core->services, p);
    }
}

const char *const *glv_loader_names(glv_loader *l)
{
    static const char *const none[] = {NULL};
    return l->names ? l->names : none;
}

const glv_migration_set *glv_loader_migrations(glv_loader *l, size_t *n)
{
    *n = l->nmigrations;
    return l->migrations;
}

glv_plugin *glv_loader_find(glv_loader *l, const char *name)
{
    return find_in(l->order, l->count, name);
}
