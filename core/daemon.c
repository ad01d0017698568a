/* galvani core — the daemon: configuration, plugins, listeners, signals. */
#include "bus-internal.h"
#include "config-internal.h"
#include "config_reference-internal.h"
#include "core-internal.h"
#include "daemon-internal.h"
#include "db-internal.h"
#include "http-internal.h"
#include "loader-internal.h"
#include "log-internal.h"
#include "sd_notify-internal.h"
#include "ws-internal.h"

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

struct glv_daemon {
    char *config_path;
    glv_config_doc *doc;
    json_t *core_cfg; /* validated galvani: section */
    json_t *db_cfg;   /* NULL when the file has no database: section */
    json_t *http_cfg;
    json_t *ws_cfg;
    glv_core *core;
    glv_loader *loader;
    glv_plugin_spec *specs;
    size_t nspecs;
    struct event *sig_term, *sig_int, *sig_hup;
    struct event *drain_timer;
    bool draining;
    int exit_code;
};

static void print_error(const char *what, char *err)
{
    fprintf(stderr, "galvanid: %s%s%s\n", what ? what : "", what ? ": " : "",
            err ? err : "unknown error");
    free(err);
}

/* True when the file has a top-level `key:`. */
static bool has_section(const glv_daemon *d, const char *key)
{
    char *where = glv_config_where(d->doc, key);
    bool present = where && strcmp(where, glv_config_name(d->doc)) != 0;
    free(where);
    return present;
}

static int validate_core_sections(glv_daemon *d, const glv_config_doc *doc, json_t **core_cfg,
                                  json_t **db_cfg, json_t **http_cfg, json_t **ws_cfg)
{
    char *err = NULL;
    *core_cfg = *db_cfg = *http_cfg = *ws_cfg = NULL;
    if (glv_config_section(doc, "galvani", glv_core_config_schema, core_cfg, &err) != 0 ||
        (has_section(d, "database") &&
         glv_config_section(doc, "database", glv_db_config_schema, db_cfg, &err) != 0) ||
        glv_config_section(doc, "http", glv_http_config_schema, http_cfg, &err) != 0 ||
        glv_config_section(doc, "websocket", glv_ws_config_schema, ws_cfg, &err) != 0) {
        print_error(NULL, err);
        json_decref(*core_cfg);
        json_decref(*db_cfg);
        json_decref(*http_cfg);
        json_decref(*ws_cfg);
        return -1;
    }
    return 0;
}

static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            glv_log(GLV_LOG_WARNING, "core", "cannot raise the file descriptor limit: %s",
                    strerror(errno));
    }
}

static int collect_specs(glv_daemon *d)
{
    json_t *list = json_object_get(d->core_cfg, "plugins");
    size_t n = json_array_size(list);
    d->specs = calloc(n + 1, sizeof(*d->specs));
    if (!d->specs)
        return -1;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(list, i);
        d->specs[i].name = json_string_value(json_object_get(e, "name"));
        d->specs[i].path = json_string_value(json_object_get(e, "path"));
        d->specs[i].optional = json_is_true(json_object_get(e, "optional"));
    }
    d->nspecs = n;
    return 0;
}

static int add_plugin_dirs(glv_daemon *d)
{
    const char *env = getenv("GLV_PLUGIN_PATH");
    if (env && *env) {
        char *copy = strdup(env), *save = NULL;
        for (char *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir;
             dir = strtok_r(NULL, ":", &save))
            glv_loader_add_dir(d->loader, dir);
        free(copy);
    }
    json_t *dirs = json_object_get(d->core_cfg, "plugin_dirs");
    if (json_array_size(dirs) == 0)
        return glv_loader_add_dir(d->loader, GLV_PLUGIN_DIR);
    size_t i;
    json_t *v;
    json_array_foreach(dirs, i, v) glv_loader_add_dir(d->loader, json_string_value(v));
    return 0;
}

glv_daemon *glv_daemon_new(const char *config_path, bool quiet)
{
    glv_daemon *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->config_path = strdup(config_path);
    char *err = NULL;
    d->doc = glv_config_load(config_path, &err);
    if (!d->doc) {
        print_error(NULL, err);
        goto fail;
    }
    if (validate_core_sections(d, d->doc, &d->core_cfg, &d->db_cfg, &d->http_cfg, &d->ws_cfg))
        goto fail;
    int level = glv_log_level_parse(json_string_value(json_object_get(d->core_cfg, "log_level")));
    glv_log_set_level(quiet && level > GLV_LOG_WARNING ? GLV_LOG_WARNING : level);
    raise_fd_limit();
    d->core = glv_core_new(json_string_value(json_object_get(d->core_cfg, "node_id")),
                           (unsigned)json_integer_value(json_object_get(d->core_cfg, "workers")));
    if (!d->core) {
        print_error("cannot create the event loop", NULL);
        goto fail;
    }
    d->core->hook_timeout_ms =
        (uint32_t)json_integer_value(json_object_get(d->core_cfg, "hook_timeout"));
    d->loader = glv_loader_new(d->core);
    d->core->loader = d->loader;
    if (!d->loader || collect_specs(d) != 0 || add_plugin_dirs(d) != 0) {
        print_error("out of memory", NULL);
        goto fail;
    }
    if (glv_loader_load(d->loader, d->specs, d->nspecs, &err) != 0) {
        print_error(NULL, err);
        goto fail;
    }
    if (glv_config_check_top_level(d->doc, glv_root_config_schema, glv_loader_names(d->loader),
                                   &err) != 0 ||
        glv_loader_configure(d->loader, d->doc, &err) != 0) {
        print_error(NULL, err);
        goto fail;
    }
    if (d->db_cfg && !glv_db_new(d->core, d->db_cfg, &err)) {
        print_error("database", err);
        goto fail;
    }
    if (!glv_http_new(d->core, d->http_cfg, &err)) {
        print_error("http", err);
        goto fail;
    }
    if (!glv_ws_new(d->core, d->ws_cfg, &err)) {
        print_error("websocket", err);
        goto fail;
    }
    return d;
fail:
    glv_daemon_free(d);
    return NULL;
}

/* Migration sets of the core and the loaded plugins; malloc'd. */
static glv_migration_set *migration_sets(glv_daemon *d, size_t *n)
{
    size_t np = 0;
    const glv_migration_set *ps = glv_loader_migrations(d->loader, &np);
    glv_migration_set *sets = calloc(np + 1, sizeof(*sets));
    if (!sets)
        return NULL;
    sets[0].component = "core";
    sets[0].migrations = glv_core_migrations;
    if (np)
        memcpy(&sets[1], ps, np * sizeof(*sets));
    *n = np + 1;
    return sets;
}

int glv_daemon_check(glv_daemon *d, FILE *out, bool verbose)
{
    fprintf(out, "configuration %s: ok\n", d->config_path);
    const char *const *names = glv_loader_names(d->loader);
    for (size_t i = 0; names[i]; i++) {
        glv_plugin *p = glv_loader_find(d->loader, names[i]);
        fprintf(out, "plugin %s %s (ABI %u.%u): %s\n", p->name,
                p->desc->version ? p->desc->version : "", p->desc->abi_major, p->desc->abi_minor,
                p->desc->description ? p->desc->description : "");
        if (verbose) {
            json_t *shown = glv_config_redact(p->config, p->desc->config);
            char *text = json_dumps(shown, JSON_COMPACT | JSON_SORT_KEYS);
            fprintf(out, "  config: %s\n", text ? text : "{}");
            free(text);
            json_decref(shown);
        }
    }
    char *err = NULL;
    int rc = glv_loader_init_all(d->loader, &err);
    if (rc != 0) {
        fprintf(out, "plugins: FAILED: %s\n", err);
        free(err);
        return 1;
    }
    glv_loader_fini_all(d->loader);
    fprintf(out, "plugins: %zu loaded and initialized\n", d->nspecs);
    if (!d->db_cfg) {
        fprintf(out, "database: not configured\n");
        return 0;
    }
    size_t nsets = 0;
    glv_migration_set *sets = migration_sets(d, &nsets);
    rc = sets ? glv_db_check_schema(json_string_value(json_object_get(d->db_cfg, "conninfo")), sets,
                                    nsets, &err)
              : -1;
    free(sets);
    if (rc != 0) {
        fprintf(out, "database: FAILED: %s\n", err ? err : "out of memory");
        free(err);
        return 1;
    }
    fprintf(out, "database: reachable, schema up to date\n");
    return 0;
}

/* ---- running ---- */

static void finish_drain(glv_daemon *d)
{
    event_base_loopexit(d->core->base, NULL);
}

static void drain_timeout(evutil_socket_t fd, short what, void *arg)
{
    glv_daemon *d = arg;
    glv_log(GLV_LOG_WARNING, "core", "drain did not finish within the shutdown timeout; exiting");
    finish_drain(d);
}

static void db_drained(void *arg)
{
    finish_drain(arg);
}

static void ws_closed(void *arg)
{
    glv_daemon *d = arg;
    if (d->core->db)
        glv_db_drain(d->core->db, db_drained, d);
    else
        finish_drain(d);
}

static void begin_drain(glv_daemon *d, const char *why)
{
    if (d->draining)
        return;
    d->draining = true;
    glv_log(GLV_LOG_NOTICE, "core", "%s: draining", why);
    glv_sd_notify("STOPPING=1");
    glv_http_set_state(d->core->http, "draining");
    glv_http_stop_accepting(d->core->http);
    glv_ws_stop_accepting(d->core->ws);
    glv_loader_stop_all(d->loader);
    uint32_t ms = (uint32_t)json_integer_value(json_object_get(d->core_cfg, "shutdown_timeout"));
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    d->drain_timer = evtimer_new(d->core->base, drain_timeout, d);
    if (d->drain_timer)
        evtimer_add(d->drain_timer, &tv);
    glv_ws_close_all(d->core->ws, ws_closed, d);
}

static void on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
    begin_drain(arg, sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void reload(glv_daemon *d)
{
    glv_sd_notify("RELOADING=1");
    char *err = NULL;
    glv_config_doc *doc = glv_config_load(d->config_path, &err);
    json_t *core_cfg = NULL, *db_cfg = NULL, *http_cfg = NULL, *ws_cfg = NULL;
    glv_config_doc *old = d->doc;
    if (!doc) {
        glv_log(GLV_LOG_ERR, "core", "reload refused, keeping the running configuration: %s", err);
        free(err);
        glv_sd_notify("READY=1");
        return;
    }
    d->doc = doc; /* has_section reads d->doc */
    if (validate_core_sections(d, doc, &core_cfg, &db_cfg, &http_cfg, &ws_cfg) != 0 ||
        glv_config_check_top_level(doc, glv_root_config_schema, glv_loader_names(d->loader),
                                   &err) != 0 ||
        glv_loader_reload_all(d->loader, doc, &err) != 0) {
        glv_log(GLV_LOG_ERR, "core", "reload refused, keeping the running configuration%s%s",
                err ? ": " : " (see above)", err ? err : "");
        free(err);
        d->doc = old;
        glv_config_free(doc);
        json_decref(core_cfg);
        json_decref(db_cfg);
        json_decref(http_cfg);
        json_decref(ws_cfg);
        glv_sd_notify("READY=1");
        return;
    }
    glv_config_free(old);
    /* What the core applies live; listeners and pools need a restart. */
    glv_log_set_level(
        glv_log_level_parse(json_string_value(json_object_get(core_cfg, "log_level"))));
    d->core->hook_timeout_ms =
        (uint32_t)json_integer_value(json_object_get(core_cfg, "hook_timeout"));
    json_object_set(d->core_cfg, "log_level", json_object_get(core_cfg, "log_level"));
    json_object_set(d->core_cfg, "hook_timeout", json_object_get(core_cfg, "hook_timeout"));
    json_object_set(d->core_cfg, "shutdown_timeout", json_object_get(core_cfg, "shutdown_timeout"));
    /* Listeners, the pool and the plugin list are fixed for the process. */
    const struct {
        const char *section;
        const json_t *before, *after;
        const glv_config_field *schema;
    } fixed[] = {
        {"galvani", d->core_cfg, core_cfg, glv_core_config_schema},
        {"database", d->db_cfg, db_cfg, glv_db_config_schema},
        {"http", d->http_cfg, http_cfg, glv_http_config_schema},
        {"websocket", d->ws_cfg, ws_cfg, glv_ws_config_schema},
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        char *changed = glv_config_fixed_change(fixed[i].before, fixed[i].after, fixed[i].schema);
        if (changed)
            glv_log(GLV_LOG_NOTICE, "core", "%s.%s changed; it takes effect at the next restart",
                    fixed[i].section, changed);
        free(changed);
    }
    json_decref(core_cfg);
    json_decref(db_cfg);
    json_decref(http_cfg);
    json_decref(ws_cfg);
    glv_log(GLV_LOG_NOTICE, "core", "configuration reloaded from %s", d->config_path);
    glv_sd_notify("READY=1");
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
    reload(arg);
}

int glv_daemon_run(glv_daemon *d)
{
    char *err = NULL;
    size_t nsets = 0;
    if (d->db_cfg) {
        const char *conninfo = json_string_value(json_object_get(d->db_cfg, "conninfo"));
        glv_migration_set *sets = migration_sets(d, &nsets);
        int rc = sets ? glv_db_check_schema(conninfo, sets, nsets, &err) : -1;
        if (rc == 0)
            rc = glv_db_check_node(conninfo, d->core->node_id, &err);
        free(sets);
        if (rc != 0) {
            print_error("database", err);
            return 1;
        }
    }
    if (glv_loader_init_all(d->loader, &err) != 0) {
        print_error(NULL, err);
        return 1;
    }
    if ((d->core->db && glv_db_start(d->core->db) != 0) ||
        glv_http_listen(d->core->http, &err) != 0 || glv_ws_listen(d->core->ws, &err) != 0) {
        print_error("listen", err);
        glv_loader_fini_all(d->loader);
        return 1;
    }
    if (glv_loader_start_all(d->loader, &err) != 0) {
        print_error(NULL, err);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    d->sig_term = evsignal_new(d->core->base, SIGTERM, on_stop_signal, d);
    d->sig_int = evsignal_new(d->core->base, SIGINT, on_stop_signal, d);
    d->sig_hup = evsignal_new(d->core->base, SIGHUP, on_hup, d);
    if (!d->sig_term || !d->sig_int || !d->sig_hup || evsignal_add(d->sig_term, NULL) ||
        evsignal_add(d->sig_int, NULL) || evsignal_add(d->sig_hup, NULL)) {
        print_error("cannot install signal handlers", NULL);
        glv_loader_stop_all(d->loader);
        glv_loader_fini_all(d->loader);
        return 1;
    }
    glv_http_set_state(d->core->http, "ok");
    glv_log(GLV_LOG_NOTICE, "core", "galvanid %s running as node %s", GLV_VERSION,
            d->core->node_id);
    glv_sd_notify("READY=1");
    event_base_dispatch(d->core->base);
    glv_bus_flush(d->core->bus);
    glv_loader_stop_all(d->loader);
    glv_loader_fini_all(d->loader);
    glv_log(GLV_LOG_NOTICE, "core", "galvanid stopped");
    return d->exit_code;
}

void glv_daemon_free(glv_daemon *d)
{
    if (!d)
        return;
    if (d->sig_term)
        event_free(d->sig_term);
    if (d->sig_int)
        event_free(d->sig_int);
    if (d->sig_hup)
        event_free(d->sig_hup);
    if (d->drain_timer)
        event_free(d->drain_timer);
    if (d->core) {
        if (d->core->ws)
            glv_ws_free(d->core->ws);
        if (d->core->http)
            glv_http_free(d->core->http);
        glv_loader_free(d->loader);
        if (d->core->db)
            glv_db_free(d->core->db);
        glv_core_free(d->core);
    }
    free(d->specs);
    json_decref(d->core_cfg);
    json_decref(d->db_cfg);
    json_decref(d->http_cfg);
    json_decref(d->ws_cfg);
    glv_config_free(d->doc);
    free(d->config_path);
    free(d);
}

void glv_daemon_print_reference(FILE *out, glv_daemon *d)
{
    fprintf(out, "## Core sections\n\n");
    for (const glv_config_field *f = glv_root_config_schema; f->key; f++)
        glv_config_reference(out, f->key, NULL, f->children);
    if (!d)
        return;
    const char *const *names = glv_loader_names(d->loader);
    if (names[0])
        fprintf(out, "## Plugin sections\n\n");
    for (size_t i = 0; names[i]; i++) {
        glv_plugin *p = glv_loader_find(d->loader, names[i]);
        glv_config_reference(out, p->name, p->desc->description, p->desc->config);
    }
}
