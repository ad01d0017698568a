/* The OCPP 1.6 configuration keys of a charger (GetConfiguration /
 * ChangeConfiguration): standard keys with defaults shared by the fleet,
 * and per charger only the values the CSMS changed. */
#ifndef SIM_OCPP16_CONFIG_H
#define SIM_OCPP16_CONFIG_H

#include "sim_charger.h"

#include <jansson.h>

/* The GetConfiguration.conf payload for the requested keys (array of
 * strings, or NULL/empty for all). New reference. */
json_t *sim_ocpp16_config_get(const struct sim_charger *c, json_t *keys);
/* Applies a ChangeConfiguration; returns the status to answer: Accepted,
 * Rejected, RebootRequired or NotSupported. */
const char *sim_ocpp16_config_set(struct sim_charger *c, const char *key, const char *value);
/* The current value of a key as text; NULL if unknown or write-only.
 * buf is used for computed values. */
const char *sim_ocpp16_config_value(const struct sim_charger *c, const char *key, char *buf,
                                    size_t size);
void sim_ocpp16_config_free(struct sim_charger *c);

#endif
