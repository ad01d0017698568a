/*
 * Readings (ocpp16_meter.h) of one or more messages as the seven
 * parameters of one statement: six arrays and, for the samples, one JSON
 * array (no JSON text escaped again inside an array literal), read back
 * side by side with
 *
 *   ROWS FROM (unnest($a::integer[]), unnest($b::integer[]),
 *              unnest($c::text[]), unnest($d::integer[]),
 *              unnest($e::timestamptz[]), unnest($f::double precision[]),
 *              json_array_elements($g::json))
 *     AS x(i, t, c, n, "timestamp", energy_wh, samples)
 *
 * i: the message's index given to glv_ocpp16_meter_rows_add, t: its
 * transactionId (0 outside a transaction), c: the charger, n: the
 * connectorId, energy_wh: NULL when the reading has none, samples: the
 * reading's sampled values as stored in ocpp16_meter_readings, where a
 * location, context or format equal to the OCPP 1.6 default (Outlet,
 * Sample.Periodic, Raw) is left out.
 */
#ifndef GLV_OCPP16_METER_ROWS_H
#define GLV_OCPP16_METER_ROWS_H

#include "ocpp16_meter.h"
#include "ocpp16_text.h"

#include <stdint.h>

#define GLV_OCPP16_METER_ROW_PARAMS 7

struct glv_ocpp16_meter_rows {
    struct glv_ocpp16_text col[GLV_OCPP16_METER_ROW_PARAMS];
    size_t n; /* readings added */
};

/* Adds the readings of one message (borrowed). */
void glv_ocpp16_meter_rows_add(struct glv_ocpp16_meter_rows *r, int64_t msg, int64_t tx,
                               const char *charger, int64_t connector,
                               const struct glv_ocpp16_readings *readings);

/* Closes the arrays and points params[0..6] at them (owned by r, valid
 * until glv_ocpp16_meter_rows_free). Returns 0, or -1 when out of memory. */
int glv_ocpp16_meter_rows_params(struct glv_ocpp16_meter_rows *r,
                                 const char *params[GLV_OCPP16_METER_ROW_PARAMS]);

void glv_ocpp16_meter_rows_free(struct glv_ocpp16_meter_rows *r);

#endif
