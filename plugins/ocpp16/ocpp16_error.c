/* Names of the OCPP-J 1.6 CALLERROR codes. */
#include "ocpp16_error.h"

#include <string.h>

static const char *const error_names[] = {
    [GLV_OCPP16_NOT_IMPLEMENTED] = "NotImplemented",
    [GLV_OCPP16_NOT_SUPPORTED] = "NotSupported",
    [GLV_OCPP16_INTERNAL_ERROR] = "InternalError",
    [GLV_OCPP16_PROTOCOL_ERROR] = "ProtocolError",
    [GLV_OCPP16_SECURITY_ERROR] = "SecurityError",
    [GLV_OCPP16_FORMATION_VIOLATION] = "FormationViolation",
    [GLV_OCPP16_PROPERTY_CONSTRAINT_VIOLATION] = "PropertyConstraintViolation",
    [GLV_OCPP16_OCCURENCE_CONSTRAINT_VIOLATION] = "OccurenceConstraintViolation",
    [GLV_OCPP16_TYPE_CONSTRAINT_VIOLATION] = "TypeConstraintViolation",
    [GLV_OCPP16_GENERIC_ERROR] = "GenericError",
};

const char *glv_ocpp16_error_name(enum glv_ocpp16_error code)
{
    if (code == GLV_OCPP16_OK)
        return NULL;
    if ((unsigned)code >= sizeof(error_names) / sizeof(error_names[0]))
        return error_names[GLV_OCPP16_GENERIC_ERROR];
    return error_names[code];
}

bool glv_ocpp16_error_from_name(const char *name, enum glv_ocpp16_error *code)
{
    if (name == NULL)
        return false;
    for (unsigned i = GLV_OCPP16_NOT_IMPLEMENTED; i < sizeof(error_names) / sizeof(error_names[0]);
         i++) {
        if (strcmp(name, error_names[i]) == 0) {
            *code = (enum glv_ocpp16_error)i;
            return true;
        }
    }
    return false;
}
