/* Reading fields of a validated OCPP 1.6 payload; see ocpp16_fields.h. */
#include "ocpp16_fields.h"

#include "ocpp16_time.h"

#include <math.h>
#include <string.h>

const char *glv_ocpp16_field_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

bool glv_ocpp16_field_int(const json_t *obj, const char *key, int64_t *out)
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return true;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d != floor(d) || d < -9.2e18 || d > 9.2e18)
            return false;
        *out = (int64_t)d;
        return true;
    }
    return false;
}

bool glv_ocpp16_field_time(const json_t *obj, const char *key, int64_t *out_ms)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_string(v))
        return false;
    unsigned quirks = 0;
    return glv_ocpp16_time_parse_lenient(json_string_value(v), json_string_length(v), out_ms,
                                         &quirks) == 0;
}

char *glv_ocpp16_iso(int64_t ms, char buf[25])
{
    if (glv_ocpp16_time_format(ms, buf) < 0)
        buf[0] = '\0';
    return buf;
}
