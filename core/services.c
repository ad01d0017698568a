/* galvani core — the service registry. */
#include "log-internal.h"
#include "services-internal.h"
#include "strmap-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct service_entry {
    glv_service svc;
    glv_plugin *provider;
};

struct glv_services {
    glv_strmap *by_name;
};

glv_services *glv_services_new(void)
{
    glv_services *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->by_name = glv_strmap_new();
    if (!s->by_name) {
        free(s);
        return NULL;
    }
    return s;
}

static void free_entry(const char *key, void *value, void *arg)
{
    free(value);
}

void glv_services_free(glv_services *s)
{
    if (!s)
        return;
    glv_strmap_each(s->by_name, free_entry, NULL);
    glv_strmap_free(s->by_name);
    free(s);
}

static void forget(const char *key, void *value, void *arg)
{
    struct service_entry *e = value;
    if (e->provider == arg) {
        /* Keep the slot; an entry without vtable reads as absent. */
        e->svc.vtable = NULL;
        e->svc.instance = NULL;
        e->provider = NULL;
    }
}

void glv_services_forget_plugin(glv_services *s, glv_plugin *p)
{
    glv_strmap_each(s->by_name, forget, p);
}

static int host_service_provide(glv_plugin *p, const char *name, uint32_t version,
                                const void *vtable, void *instance)
{
    if (!name || !*name || !vtable || version == 0)
        return glv_fail(p, -EINVAL, "service_provide needs a name, a vtable and a version >= 1");
    if (*(const uint32_t *)vtable < sizeof(uint32_t))
        return glv_fail(p, -EINVAL, "service '%s': the vtable must start with its size", name);
    glv_services *s = p->core->services;
    struct service_entry *e = glv_strmap_get(s->by_name, name);
    if (e && e->provider)
        return glv_fail(p, -EEXIST, "service '%s' is already provided by plugin %s; load only one",
                        name, e->provider->name);
    if (!e) {
        e = calloc(1, sizeof(*e));
        if (!e || glv_strmap_put(s->by_name, name, e) != 0) {
            free(e);
            return glv_fail(p, -ENOMEM, "out of memory");
        }
    }
    e->provider = p;
    e->svc.vtable = vtable;
    e->svc.instance = instance;
    e->svc.version = version;
    e->svc.provider = p->name;
    glv_log(GLV_LOG_DEBUG, "core", "plugin %s provides service %s v%u", p->name, name, version);
    return 0;
}

static int host_service_get(glv_plugin *p, const char *name, uint32_t min_version, glv_service *out)
{
    struct service_entry *e = glv_strmap_get(p->core->services->by_name, name ? name : "");
    if (!e || !e->provider)
        return glv_fail(p, -ENOENT,
                        "plugin %s needs service '%s', which no loaded plugin provides; load a "
                        "plugin that provides it",
                        p->name, name ? name : "");
    if (e->svc.version < min_version)
        return glv_fail(p, -EPROTO,
                        "plugin %s needs service '%s' version >= %u, but plugin %s provides "
                        "version %u; upgrade %s",
                        p->name, name, min_version, e->provider->name, e->svc.version,
                        e->provider->name);
    if (out)
        *out = e->svc;
    return 0;
}

void glv_services_fill_host(glv_host *h)
{
    h->service_provide = host_service_provide;
    h->service_get = host_service_get;
}
