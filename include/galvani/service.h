/*
 * galvani — the service registry.
 *
 * A plugin offers a named, versioned table of functions (a "vtable") with an
 * instance pointer; other plugins ask for it by name and minimum version.
 * Every service vtable starts with a uint32_t size field so that a consumer
 * can test for functions appended in newer versions.
 *
 * Well-known names: "tariff", "payment", "notify". Versions only grow by
 * appending functions; an incompatible change takes a new name.
 */
#ifndef GALVANI_SERVICE_H
#define GALVANI_SERVICE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct glv_service {
    const void *vtable;   /* borrowed from the provider; starts with uint32_t size */
    void *instance;       /* provider's state, first argument of its functions */
    uint32_t version;     /* version the provider registered */
    const char *provider; /* provider plugin's name */
} glv_service;

/* True when a service vtable of type T has member m (it was built with it). */
#define GLV_SERVICE_HAS(vt, T, m)                                                                  \
    ((vt) != NULL && (vt)->size >= offsetof(T, m) + sizeof(((T *)0)->m) && (vt)->m != NULL)

#ifdef __cplusplus
}
#endif
#endif
