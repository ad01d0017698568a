/*
 * OCPP 1.6-J error codes (the errorCode of a CALLERROR) and the warning
 * callback through which the lenient mode reports the quirks it accepted.
 */
#ifndef GLV_OCPP16_ERROR_H
#define GLV_OCPP16_ERROR_H

#include <stdbool.h>

/* The CALLERROR codes of OCPP-J 1.6; GLV_OCPP16_OK means "no error". */
enum glv_ocpp16_error {
    GLV_OCPP16_OK = 0,
    GLV_OCPP16_NOT_IMPLEMENTED,
    GLV_OCPP16_NOT_SUPPORTED,
    GLV_OCPP16_INTERNAL_ERROR,
    GLV_OCPP16_PROTOCOL_ERROR,
    GLV_OCPP16_SECURITY_ERROR,
    GLV_OCPP16_FORMATION_VIOLATION,
    GLV_OCPP16_PROPERTY_CONSTRAINT_VIOLATION,
    GLV_OCPP16_OCCURENCE_CONSTRAINT_VIOLATION,
    GLV_OCPP16_TYPE_CONSTRAINT_VIOLATION,
    GLV_OCPP16_GENERIC_ERROR,
};

/* Wire name of a code ("FormationViolation", ...); "GenericError" for values
 * out of range and NULL for GLV_OCPP16_OK. Returns a static string. */
const char *glv_ocpp16_error_name(enum glv_ocpp16_error code);

/* Code for a wire name (case-sensitive, the spec's spelling, including
 * "OccurenceConstraintViolation"). Returns true and sets *code when the name
 * is known; false otherwise (*code untouched). name is borrowed. */
bool glv_ocpp16_error_from_name(const char *name, enum glv_ocpp16_error *code);

/*
 * Called once per vendor quirk that lenient parsing or validation accepted.
 * path is the JSON path of the offending value ("" for the frame itself) and
 * what a short human-readable explanation; both are borrowed and valid only
 * during the call.
 */
typedef void (*glv_ocpp16_warn_fn)(void *arg, const char *path, const char *what);

#endif
