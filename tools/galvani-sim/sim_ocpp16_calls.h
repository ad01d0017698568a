/* OCPP 1.6-J: answers to the calls a CSMS sends to a charger, with the
 * charger's reaction (transactions, resets, status and firmware
 * notifications...). */
#ifndef SIM_OCPP16_CALLS_H
#define SIM_OCPP16_CALLS_H

#include "sim_charger.h"

#include <jansson.h>

/* Returns the result payload (new reference), or NULL with *code and
 * *description set for a CALLERROR. */
json_t *sim_ocpp16_answer_call(struct sim_charger *c, const char *action, json_t *payload,
                               const char **code, const char **description);

#endif
