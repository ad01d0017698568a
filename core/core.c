/* galvani core — the core instance, plugin handles and the host table. */
#include "bus-internal.h"
#include "core-internal.h"
#include "log-internal.h"
#include "metrics-internal.h"
#include "services-internal.h"
#include "workers-internal.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int glv_vfail(glv_plugin *p, int err, const char *fmt, va_list ap)
{
    if (!p)
        return err;
    char msg[1024];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    json_decref(p->last_error);
    p->last_error = json_pack("{s:s, s:s, s:s}", "plugin", p->name, "error",
                              strerror(err < 0 ? -err : err), "message", msg);
    return err;
}

int glv_fail(glv_plugin *p, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    glv_vfail(p, err, fmt, ap);
    va_end(ap);
    return err;
}

static int host_fail(glv_plugin *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    glv_vfail(p, -EINVAL, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static const json_t *host_last_error(glv_plugin *p)
{
    return p ? p->last_error : NULL;
}

static void host_set_userdata(glv_plugin *p, void *userdata)
{
    p->userdata = userdata;
}

static void *host_userdata(glv_plugin *p)
{
    return p->userdata;
}

static const char *host_node_id(glv_plugin *p)
{
    return p->core->node_id;
}

static uint64_t host_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int64_t host_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const json_t *host_config(glv_plugin *p)
{
    if (!p->config)
        p->config = json_object();
    return p->config;
}

void glv_core_fill_host(glv_host *h)
{
    h->fail = host_fail;
    h->last_error = host_last_error;
    h->set_userdata = host_set_userdata;
    h->userdata = host_userdata;
    h->node_id = host_node_id;
    h->monotonic_ms = host_monotonic_ms;
    h->wall_ms = host_wall_ms;
    h->config = host_config;
}

static void fill_host(glv_host *h)
{
    memset(h, 0, sizeof(*h));
    h->size = sizeof(*h);
    h->abi_major = GLV_ABI_MAJOR;
    h->abi_minor = GLV_ABI_MINOR;
    glv_core_fill_host(h);
    glv_log_fill_host(h);
    glv_bus_fill_host(h);
    glv_services_fill_host(h);
    glv_timers_fill_host(h);
    glv_workers_fill_host(h);
    glv_metrics_fill_host(h);
    glv_http_fill_host(h);
    glv_ws_fill_host(h);
    glv_db_fill_host(h);
    glv_registry_fill_host(h);
    glv_commands_fill_host(h);
}

glv_core *glv_core_new(const char *node_id, unsigned workers)
{
    static int threads_ready;
    if (!threads_ready) {
        /* The worker pool hands completions to the loop from other threads. */
        if (evthread_use_pthreads() != 0)
            return NULL;
        threads_ready = 1;
    }
    glv_core *core = calloc(1, sizeof(*core));
    if (!core)
        return NULL;
    if (node_id && *node_id) {
        snprintf(core->node_id, sizeof(core->node_id), "%s", node_id);
    } else {
        char host[48] = "localhost";
        gethostname(host, sizeof(host) - 1);
        snprintf(core->node_id, sizeof(core->node_id), "%s-%ld", host, (long)getpid());
    }
    core->hook_timeout_ms = 5000;
    fill_host(&core->host);
    core->base = event_base_new();
    core->metrics = glv_metrics_new();
    if (core->base)
        core->bus = glv_bus_new(core);
    core->services = glv_services_new();
    if (core->base)
        core->workers = glv_workers_new(core, workers);
    if (!core->base || !core->metrics || !core->bus || !core->services || !core->workers) {
        glv_core_free(core);
        return NULL;
    }
    return core;
}

glv_plugin *glv_core_plugin_new(glv_core *core, const char *name)
{
    glv_plugin *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->name = strdup(name);
    if (!p->name) {
        free(p);
        return NULL;
    }
    p->core = core;
    p->state = GLV_PLUGIN_STARTED;
    p->next = core->builtins;
    core->builtins = p;
    return p;
}

void glv_plugin_release(glv_plugin *p)
{
    json_decref(p->config);
    json_decref(p->last_error);
    free(p->name);
    free(p);
}

void glv_core_free(glv_core *core)
{
    if (!core)
        return;
    /* Workers first: their completions reference the loop. */
    glv_workers_free(core->workers);
    glv_commands_free(core->commands);
    glv_registry_free(core->registry);
    glv_bus_free(core->bus);
    glv_services_free(core->services);
    glv_plugin *p = core->builtins;
    while (p) {
        glv_plugin *next = p->next;
        glv_plugin_release(p);
        p = next;
    }
    glv_metrics_free(core->metrics);
    if (core->base)
        event_base_free(core->base);
    free(core);
}
