/*
 * HTTP Basic credentials (RFC 7617) of a charger's WebSocket upgrade.
 * OCPP security profiles 1 and 2: the user name is the charge box identity
 * and the password the charger's AuthorizationKey.
 */
#ifndef GLV_OCPP16_BASIC_AUTH_H
#define GLV_OCPP16_BASIC_AUTH_H

#include <stddef.h>

/* Longest decoded "user:password" accepted. */
#define GLV_OCPP16_BASIC_MAX 512

struct glv_ocpp16_basic {
    char buf[GLV_OCPP16_BASIC_MAX + 1];
    const char *user;     /* borrowed from buf */
    const char *password; /* borrowed from buf; may hold any byte but NUL */
};

/*
 * Parses an Authorization header value ("Basic dXNlcjpwYXNz"); header is
 * borrowed and may be NULL. Returns 0 and fills *out, or -EINVAL when the
 * header is missing, not Basic, not valid base64, too long, holds a NUL or
 * has no colon.
 */
int glv_ocpp16_basic_parse(const char *header, struct glv_ocpp16_basic *out);

#endif
