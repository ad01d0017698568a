/* libFuzzer target: the Basic-auth header parser of the OCPP 1.6 upgrade. */
#include "ocpp16_basic_auth.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *header = malloc(size + 1);
    if (!header)
        return 0;
    memcpy(header, data, size);
    header[size] = '\0';
    struct glv_ocpp16_basic creds;
    if (glv_ocpp16_basic_parse(header, &creds) == 0) {
        /* Both parts lie inside the buffer and are NUL-terminated there. */
        if (creds.user < creds.buf || creds.user > creds.buf + GLV_OCPP16_BASIC_MAX ||
            creds.password < creds.buf || creds.password > creds.buf + GLV_OCPP16_BASIC_MAX ||
            strlen(creds.user) + strlen(creds.password) + 1 > GLV_OCPP16_BASIC_MAX)
            abort();
    }
    free(header);
    return 0;
}
