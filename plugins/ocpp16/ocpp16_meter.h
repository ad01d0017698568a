/*
 * OCPP 1.6 meter values to the neutral samples of the transaction.meter and
 * transaction.stopped events (docs/EVENTS.md) and of the ocpp16_meter_values
 * table: one flat object per sampled value, the 1.6 defaults filled in and
 * the value converted to its base unit (kWh -> Wh, kW -> W, kvarh -> varh,
 * kvar -> var, kVA -> VA; "Celcius" spelled "Celsius").
 */
#ifndef GLV_OCPP16_METER_H
#define GLV_OCPP16_METER_H

#include <jansson.h>
#include <stdint.h>

/*
 * meter_values: borrowed, a validated 1.6 MeterValue array (the meterValue
 * of MeterValues or the transactionData of StopTransaction); NULL is taken
 * as empty. Returns a new array of
 *   {"timestamp": "…Z" (UTC, ms), "measurand", "phase" (absent when none),
 *    "location", "context", "value": number or null (a SignedData or
 *    unreadable value), "unit", "raw": the value as sent, "format"}
 * in message order, or NULL when out of memory. *energy_wh receives the last
 * Energy.Active.Import.Register reading in Wh, or -1 when there is none.
 */
json_t *glv_ocpp16_meter_normalize(const json_t *meter_values, double *energy_wh);

#endif
