/*
 * galvani core — private. The hooks bus (see include/galvani/hooks.h).
 */
#ifndef GLV_BUS_INTERNAL_H
#define GLV_BUS_INTERNAL_H

#include "core-internal.h"

glv_bus *glv_bus_new(glv_core *core);
/* Frees the bus, its events and subscriptions, queued notifications and
 * filter chains still waiting for a late answer. */
void glv_bus_free(glv_bus *bus);

/* After every plugin's init: checks each subscription against the declared
 * events (kind and data version) and logs the filter order of every filter
 * event. Returns 0, or -1 with *err (malloc'd) naming the plugin, the event
 * and the fix. Subscriptions to events nobody declared are logged. */
int glv_bus_check(glv_bus *bus, char **err);
/* Removes every subscription of a plugin (at fini). */
void glv_bus_forget_plugin(glv_bus *bus, glv_plugin *p);
/* Runs queued notifications now (tests and shutdown). */
void glv_bus_flush(glv_bus *bus);

#endif
