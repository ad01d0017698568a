/*
 * MeterValues, the call a charger sends most, read straight from the text
 * of its CALL in one pass: no JSON tree, the schema's enums checked against
 * the tables of ocpp16_schema.h as the text goes by.
 *
 * Only the plain form is read here: a CALL that is well-formed, valid by the
 * strict schema, written in ASCII without string escapes, with at most
 * GLV_OCPP16_METER_DECODE_MAX sampled values. Anything else is left to the
 * general path (ocppj_frame.h, ocpp16_validate.h), which accepts it, or
 * refuses it with the precise error. What is read here is exactly what the
 * general path would have accepted and stored (tests/fuzz/fuzz_meter_decode.c
 * checks this on every input).
 */
#ifndef GLV_OCPP16_METER_DECODE_H
#define GLV_OCPP16_METER_DECODE_H

#include "ocpp16_meter.h"
#include "ocppj_frame.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GLV_OCPP16_METER_DECODE_MAX 64

/* A MeterValues CALL. */
struct glv_ocpp16_meter_call {
    char id[GLV_OCPPJ_ID_MAX + 1];
    int64_t connector;
    int64_t tx_id;                        /* 0 when absent */
    struct glv_ocpp16_readings *readings; /* owned, release with free() */
};

/*
 * Reads text (len bytes, borrowed) as a MeterValues CALL in the plain form.
 * Returns true with *out filled, or false, *out untouched, when text is
 * anything else or memory ran out.
 */
bool glv_ocpp16_meter_decode(const char *text, size_t len, struct glv_ocpp16_meter_call *out);

#endif
