/* galvani tariff-ocpi — the "tariff" service: instance and vtable. */
#ifndef GLV_TARIFF_SERVICE_IMPL_H
#define GLV_TARIFF_SERVICE_IMPL_H

#include "money.h"
#include "tariff_model.h"
#include "tzdb.h"

#include <galvani/tariff.h>

typedef struct glv_tariff_instance glv_tariff_instance;

/* The vtable registered under "tariff" version 1. */
extern const glv_tariff_service glv_tariff_service_vtable;

/* New instance from the plugin's config section ({"zoneinfo_dir",
 * "rounding": {"mode", "currencies": {"EUR": {"mode", "digits"}}}}; NULL or
 * {} for defaults). config: borrowed. NULL with *error (new) on bad config. */
glv_tariff_instance *glv_tariff_instance_new(const json_t *config, json_t **error);
void glv_tariff_instance_free(glv_tariff_instance *inst);

/* The rounding the instance applies to a currency. */
glv_rounding glv_tariff_instance_rounding(const glv_tariff_instance *inst, const char *currency);
/* The instance's time zone database: borrowed. */
glv_tzdb *glv_tariff_instance_tzdb(glv_tariff_instance *inst);

/* Reads a tariff of either OCPI version into *out (see glv_tariff_parse). */
int glv_tariff_read(const json_t *tariff, const char *ocpi_version, glv_tariff *out,
                    json_t **error);

#endif
