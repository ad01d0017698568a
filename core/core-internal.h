/*
 * galvani core — private. The core instance and the plugin handle.
 *
 * One glv_core per process (tests may make several): the libevent loop and
 * the subsystems hanging off it. Subsystems are created by the daemon (or a
 * test) and attached here; each fills its own part of the host table through
 * its glv_<module>_fill_host().
 */
#ifndef GLV_CORE_INTERNAL_H
#define GLV_CORE_INTERNAL_H

#include <galvani/galvani.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>

struct event_base;

typedef struct glv_core glv_core;
typedef struct glv_bus glv_bus;
typedef struct glv_services glv_services;
typedef struct glv_workers glv_workers;
typedef struct glv_metrics glv_metrics;
typedef struct glv_db glv_db;
typedef struct glv_http glv_http;
typedef struct glv_ws glv_ws;
typedef struct glv_loader glv_loader;
typedef struct glv_registry glv_registry;
typedef struct glv_commands glv_commands;

struct glv_core {
    struct event_base *base;
    char node_id[64];
    glv_host host;            /* the table handed to every plugin */
    glv_metrics *metrics;     /* always present */
    glv_bus *bus;             /* always present */
    glv_services *services;   /* always present */
    glv_workers *workers;     /* always present */
    glv_db *db;               /* NULL until attached */
    glv_http *http;           /* NULL until attached */
    glv_ws *ws;               /* NULL until attached */
    glv_loader *loader;       /* NULL until attached */
    glv_registry *registry;   /* made on first use by registry.c */
    glv_commands *commands;   /* made on first use by commands.c */
    glv_plugin *builtins;     /* list of handles made by glv_core_plugin_new */
    uint32_t hook_timeout_ms; /* default filter chain deadline */
};

/* Appended to "cannot listen on ADDRESS: Address already in use" by the
 * HTTP and WebSocket listeners. */
#define GLV_ADDRESS_IN_USE_HINT                                                                    \
    " (another process listens there; processes that share an address all need reuse_port: true)"

/* Plugin lifecycle states, in order. */
enum glv_plugin_state {
    GLV_PLUGIN_LOADED = 0,
    GLV_PLUGIN_INITIALIZED,
    GLV_PLUGIN_STARTED,
    GLV_PLUGIN_STOPPED,
    GLV_PLUGIN_FINISHED,
};

struct glv_plugin {
    glv_core *core;
    char *name;                        /* owned */
    const glv_plugin_descriptor *desc; /* NULL for a built-in handle */
    void *dl;                          /* dlopen handle or NULL */
    void *userdata;
    json_t *config;     /* owned: validated section (object) */
    json_t *last_error; /* owned or NULL: detail of the last failed host call */
    bool optional;
    enum glv_plugin_state state;
    glv_plugin *next; /* in the loader's or the core's list */
};

/* Creates a core with a new event base, metrics, bus, services and worker
 * pool (workers threads; 0 picks the number of CPUs). NULL on failure. */
glv_core *glv_core_new(const char *node_id, unsigned workers);
/* Frees the core and everything attached to it (plugins are the loader's). */
void glv_core_free(glv_core *core);
/* A plugin handle for code inside the core or a test: it can use the host
 * table like any plugin. name: copied. Freed with the core. */
glv_plugin *glv_core_plugin_new(glv_core *core, const char *name);

/* Frees a plugin handle's own memory (not its shared object). */
void glv_plugin_release(glv_plugin *p);

/* Records a failure of a host call made by p: last_error becomes
 * {"plugin": name, "error": strerror(-err), "message": formatted}.
 * Returns err (a negative errno) so callers can `return glv_fail(...)`. */
int glv_fail(glv_plugin *p, int err, const char *fmt, ...) GLV_PRINTF(3, 4);
int glv_vfail(glv_plugin *p, int err, const char *fmt, va_list ap) GLV_PRINTF(3, 0);

/* Module state kept in the core, released by glv_core_free. */
void glv_registry_free(glv_registry *r); /* registry.c */
void glv_commands_free(glv_commands *c); /* commands.c */

/* Part of the host table each module fills. */
void glv_core_fill_host(glv_host *h);     /* core.c: identity, errors, config */
void glv_log_fill_host(glv_host *h);      /* log.c */
void glv_bus_fill_host(glv_host *h);      /* bus.c */
void glv_services_fill_host(glv_host *h); /* services.c */
void glv_timers_fill_host(glv_host *h);   /* timers.c */
void glv_workers_fill_host(glv_host *h);  /* workers.c */
void glv_password_fill_host(glv_host *h); /* password.c */
void glv_metrics_fill_host(glv_host *h);  /* metrics.c */
void glv_http_fill_host(glv_host *h);     /* http_*.c */
void glv_ws_fill_host(glv_host *h);       /* ws_*.c */
void glv_db_fill_host(glv_host *h);       /* db_*.c */
void glv_registry_fill_host(glv_host *h); /* registry.c */
void glv_commands_fill_host(glv_host *h); /* commands.c */

#endif
