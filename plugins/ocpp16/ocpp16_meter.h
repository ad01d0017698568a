/*
 * OCPP 1.6 meter values to the neutral readings of the ocpp16_meter_readings
 * table and to the samples of the transaction.meter and transaction.stopped
 * events (docs/EVENTS.md): one reading per sampling time, holding one flat
 * object per sampled value, the 1.6 defaults filled in and the value
 * converted to its base unit (kWh -> Wh, kW -> W, kvarh -> varh, kvar ->
 * var, kVA -> VA; "Celcius" spelled "Celsius").
 */
#ifndef GLV_OCPP16_METER_H
#define GLV_OCPP16_METER_H

#include <jansson.h>
#include <stdint.h>

/*
 * meter_values: borrowed, a validated 1.6 MeterValue array (the meterValue
 * of MeterValues or the transactionData of StopTransaction); NULL is taken
 * as empty. Returns a new array of readings
 *   {"timestamp": "…Z" (UTC, ms), "energy_wh": the reading's last
 *    Energy.Active.Import.Register value in Wh (absent when none),
 *    "samples": [{"timestamp": the reading's, "measurand", "phase" (absent
 *                 when none), "location", "context", "value": number or
 *                 null (a SignedData or unreadable value), "unit", "raw":
 *                 the value as sent, "format"}, …]}
 * one per distinct timestamp, in the order first seen, each holding its
 * sampled values in message order (MeterValue elements that share a
 * timestamp are merged, a sampled value sent twice is kept once); NULL when
 * out of memory. *energy_wh receives the last Energy.Active.Import.Register
 * value in Wh, or -1 when there is none.
 */
json_t *glv_ocpp16_meter_normalize(const json_t *meter_values, double *energy_wh);

/*
 * The samples of the transaction.meter and transaction.stopped events: the
 * sampled values of readings (borrowed, as returned above) as one flat
 * array. Returns a new array that shares the sample objects with readings,
 * or NULL when out of memory.
 */
json_t *glv_ocpp16_meter_samples(const json_t *readings);

#endif
