/*
 * libFuzzer target for the OCPP-J JSON parser: whatever the input, it must
 * agree with jansson's json_loadb(…, JSON_REJECT_DUPLICATES): both refuse,
 * or both accept and build equal values. Aborts otherwise. The one known
 * difference: a NUL byte is never valid JSON and the parser refuses it,
 * while jansson takes a NUL right after a number for the end of the input
 * ("[1\0]" loads as [1]); inputs with a NUL must be refused.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ocpp16_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct glv_ocpp16_json_error err;
    json_t *ours = glv_ocpp16_json_parse((const char *)data, size, &err);
    if (memchr(data, 0, size) != NULL) {
        if (ours != NULL)
            abort();
        return 0;
    }
    json_t *theirs = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if ((ours == NULL) != (theirs == NULL))
        abort();
    if (ours != NULL && !json_equal(ours, theirs))
        abort();
    if (ours == NULL) {
        if (err.column < 1 || err.column > size + 1)
            abort();
        for (const char *c = err.text; *c; c++)
            if (*c < 0x20 || *c > 0x7e)
                abort();
    }
    json_decref(ours);
    json_decref(theirs);
    return 0;
}
