/*
 * galvani core — private. The service registry (see include/galvani/service.h).
 */
#ifndef GLV_SERVICES_INTERNAL_H
#define GLV_SERVICES_INTERNAL_H

#include "core-internal.h"

glv_services *glv_services_new(void);
void glv_services_free(glv_services *s);
/* Withdraws every service a plugin provides (at fini). */
void glv_services_forget_plugin(glv_services *s, glv_plugin *p);

#endif
