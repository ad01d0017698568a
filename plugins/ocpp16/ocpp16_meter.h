/*
 * OCPP 1.6 meter values to the neutral readings of the ocpp16_meter_readings
 * table and to the samples of the transaction.meter and transaction.stopped
 * events (docs/EVENTS.md): one reading per sampling time, holding one flat
 * sample per sampled value, the 1.6 defaults filled in and the value
 * converted to its base unit (kWh -> Wh, kW -> W, kvarh -> varh, kvar ->
 * var, kVA -> VA; "Celcius" spelled "Celsius").
 *
 * The sampled values come either from a validated payload (jansson, any
 * action) or straight from the text of a MeterValues CALL
 * (ocpp16_meter_decode.h); both go through glv_ocpp16_meter_normalize.
 */
#ifndef GLV_OCPP16_METER_H
#define GLV_OCPP16_METER_H

#include "ocpp16_time.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One sampled value as sent, with the instant of its MeterValue. Strings
 * are borrowed, NUL-terminated, NULL when the property is absent. */
struct glv_ocpp16_sampled {
    int64_t ms;
    const char *value, *context, *format, *measurand, *phase, *location, *unit;
};

/* One neutral sample. Strings are owned by the readings holding it. */
struct glv_ocpp16_sample {
    const char *measurand;
    const char *phase; /* NULL when none */
    const char *location, *context;
    const char *unit; /* the base unit */
    const char *raw;  /* the value as sent */
    const char *format;
    bool has_value; /* false for a SignedData or unreadable value */
    bool converted; /* value is raw times a unit factor (kWh -> Wh) */
    double value;   /* in unit */
};

/* The sampled values taken at one instant. */
struct glv_ocpp16_reading {
    int64_t ms;
    char timestamp[GLV_OCPP16_TIME_LEN + 1]; /* UTC, milliseconds */
    double energy_wh; /* last Energy.Active.Import.Register value in Wh; -1: none */
    size_t n_samples;
    struct glv_ocpp16_sample *samples;
};

/* The readings of one message: one allocation, released with free(). */
struct glv_ocpp16_readings {
    double energy_wh; /* the message's last Energy.Active.Import.Register in Wh; -1: none */
    size_t n;
    struct glv_ocpp16_reading reading[];
};

/*
 * Groups n sampled values (borrowed) into readings: one per distinct
 * instant, in the order first seen, each holding its sampled values in
 * message order (MeterValue elements that share an instant are merged, a
 * sampled value sent twice is kept once). A sampled value whose instant
 * lies outside years 0001-9999 is left out. Returns a new block holding
 * copies of every string, or NULL when out of memory.
 */
struct glv_ocpp16_readings *glv_ocpp16_meter_normalize(const struct glv_ocpp16_sampled *in,
                                                       size_t n);

/*
 * The readings of a validated 1.6 MeterValue array (borrowed: the
 * meterValue of MeterValues or the transactionData of StopTransaction; NULL
 * is taken as empty). MeterValue elements whose timestamp cannot be read
 * are left out. NULL when out of memory.
 */
struct glv_ocpp16_readings *glv_ocpp16_meter_from_json(const json_t *meter_values);

/*
 * The samples of the transaction.meter and transaction.stopped events: every
 * sample of readings (borrowed) as one flat array of
 *   {"timestamp", "measurand", "phase" (absent when none), "location",
 *    "context", "value": number or null, "unit", "raw", "format"}.
 * Returns a new array, or NULL when out of memory.
 */
json_t *glv_ocpp16_meter_samples(const struct glv_ocpp16_readings *readings);

#endif
