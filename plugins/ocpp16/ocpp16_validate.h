/*
 * Validation of OCPP 1.6 payloads against the schema tables of
 * ocpp16_schema.h. Walks the static tables; allocates nothing.
 *
 * Error codes (the CALLERROR errorCode to answer with):
 *   TypeConstraintViolation       a value of the wrong JSON type
 *   PropertyConstraintViolation   enum, length, format (date-time, uri),
 *                                 decimal places
 *   OccurenceConstraintViolation  a required property missing, a property the
 *                                 schema does not define, too few or too many
 *                                 array items
 *
 * Lenient mode (a per-charger switch) accepts these vendor quirks, reports
 * each through the warning callback and otherwise validates as strictly:
 *   - properties the schema does not define (ignored);
 *   - an optional property whose value is null (taken as absent);
 *   - an integer written as a real with no fraction ("meterStart": 1200.0);
 *   - timestamps without a time zone (UTC), with ' ' for 'T', with more than
 *     3 fraction digits, or with an offset written without a colon.
 */
#ifndef GLV_OCPP16_VALIDATE_H
#define GLV_OCPP16_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>

#include "ocpp16_error.h"
#include "ocpp16_schema.h"

/* Room for a description, NUL included; longer ones are cut. */
#define GLV_OCPP16_DESCRIPTION_MAX 256

struct glv_ocpp16_validate_opts {
    bool lenient;
    glv_ocpp16_warn_fn warn; /* may be NULL: quirks are then accepted silently */
    void *warn_arg;
};

/* The first violation found. */
struct glv_ocpp16_violation {
    enum glv_ocpp16_error code;
    /* "<json path>: <what>", e.g. "idTagInfo.status: value 'Foo' not in enum";
     * the path of the payload itself is "payload". ASCII only. */
    char description[GLV_OCPP16_DESCRIPTION_MAX];
};

/*
 * Checks payload against schema. schema is borrowed (normally a static
 * table), payload is borrowed and not modified, opts may be NULL (strict,
 * no warnings), out may be NULL when the caller only needs the code.
 * Returns GLV_OCPP16_OK, or the error code of the first violation in schema
 * order, which is also stored with its description in *out.
 */
enum glv_ocpp16_error glv_ocpp16_validate(const struct glv_ocpp16_node *schema, json_t *payload,
                                          const struct glv_ocpp16_validate_opts *opts,
                                          struct glv_ocpp16_violation *out);

#endif
