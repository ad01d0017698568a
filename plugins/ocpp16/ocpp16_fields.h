/*
 * Reading fields of a validated OCPP 1.6 payload. In lenient mode the
 * validator lets through an optional property set to null, an integer
 * written as a real with no fraction and timestamps with vendor quirks; it
 * does not rewrite the payload. These accessors read every such form the
 * way the validator accepted it, so handlers need no lenient branches.
 */
#ifndef GLV_OCPP16_FIELDS_H
#define GLV_OCPP16_FIELDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* The string at key, or NULL when absent, null or not a string. obj and the
 * result are borrowed. */
const char *glv_ocpp16_field_str(const json_t *obj, const char *key);

/* The integer at key (also a real without fraction) in *out; returns false
 * (out untouched) when absent, null or not integral. */
bool glv_ocpp16_field_int(const json_t *obj, const char *key, int64_t *out);

/* The timestamp at key as UTC milliseconds, strict or with a lenient quirk;
 * returns false when absent, null or unreadable. */
bool glv_ocpp16_field_time(const json_t *obj, const char *key, int64_t *out_ms);

/* Formats ms as "YYYY-MM-DDThh:mm:ss.mmmZ" into buf (25 bytes); writes ""
 * when ms lies outside years 0001-9999. Returns buf. */
char *glv_ocpp16_iso(int64_t ms, char buf[25]);

#endif
