/*
 * galvani — the plugin ABI.
 *
 * A plugin is a shared object that exports one function, glv_plugin_entry,
 * returning a pointer to a const glv_plugin_descriptor with static lifetime.
 * The host dlopen()s it with RTLD_NOW | RTLD_LOCAL and reads the descriptor.
 * The first four fields guard the rest: the host refuses a plugin whose magic
 * is wrong, whose size is smaller than the ABI 0.1 descriptor, whose ABI
 * major differs from the host's or whose ABI minor is higher than the host's.
 *
 * Lifecycle, each on the loop thread, in dependency order (reverse order for
 * stop and fini):
 *   init(p, host)  register hooks, routes, subprotocols, services; no I/O.
 *   start(p)       open connections, start timers; all plugins have run init.
 *   reload(p)      the configuration changed (SIGHUP); host->config() is new.
 *   stop(p)        stop accepting work and drain; the loop still runs.
 *   fini(p)        release everything; no host call after it returns.
 * init, start and reload return 0 or a negative errno with a reason given
 * through host->fail(). Any of the five may be NULL.
 *
 * ABI changelog (append a line for every change; a major bump resets minor):
 *   0.1  first ABI: descriptor, host table (logging, config, hooks bus,
 *        services, timers, worker pool, password hashing, metrics, HTTP,
 *        WebSocket, PostgreSQL, charger registry and command routing),
 *        migrations.
 *   0.2  host->listened: whether a notification has listeners, so that an
 *        emitter can skip building a payload nobody reads.
 */
#ifndef GALVANI_PLUGIN_H
#define GALVANI_PLUGIN_H

#include "common.h"
#include "config.h"
#include "db.h"
#include "host.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GLV_PLUGIN_MAGIC 0x474c5650u /* "GLVP" */
#define GLV_ABI_MAJOR 0
#define GLV_ABI_MINOR 2

/* Name of the exported entry symbol, for dlsym. */
#define GLV_PLUGIN_ENTRY_SYMBOL "glv_plugin_entry"

typedef struct glv_plugin_descriptor {
    /* ---- guard: never moves ---- */
    uint32_t magic;     /* GLV_PLUGIN_MAGIC */
    uint32_t size;      /* sizeof(glv_plugin_descriptor) as built */
    uint16_t abi_major; /* GLV_ABI_MAJOR as built */
    uint16_t abi_minor; /* GLV_ABI_MINOR as built */

    /* ---- ABI 0.1 ---- */
    const char *name;           /* [a-z0-9-]+, also the name of its config section */
    const char *version;        /* the plugin's own version, free form */
    const char *description;    /* one line */
    const char *const *depends; /* names of plugins that must init first; NULL-terminated or NULL */
    const glv_config_field *config;  /* schema of its config section; NULL = takes none */
    const glv_migration *migrations; /* {0} terminated or NULL; applied by galvanictl db migrate */
    int (*init)(glv_plugin *p, const glv_host *host);
    int (*start)(glv_plugin *p);
    int (*reload)(glv_plugin *p);
    void (*stop)(glv_plugin *p);
    void (*fini)(glv_plugin *p);
} glv_plugin_descriptor;

/* Fills the guard fields; use as the first initializer of a descriptor. */
#define GLV_PLUGIN_GUARD                                                                           \
    .magic = GLV_PLUGIN_MAGIC, .size = sizeof(glv_plugin_descriptor), .abi_major = GLV_ABI_MAJOR,  \
    .abi_minor = GLV_ABI_MINOR

#if defined(__GNUC__)
#define GLV_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define GLV_PLUGIN_EXPORT
#endif

/* The entry point every plugin defines. */
typedef const glv_plugin_descriptor *(*glv_plugin_entry_fn)(void);
GLV_PLUGIN_EXPORT const glv_plugin_descriptor *glv_plugin_entry(void);

#ifdef __cplusplus
}
#endif
#endif
