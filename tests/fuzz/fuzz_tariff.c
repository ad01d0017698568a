/*
 * libFuzzer target: tariff JSON. Any input must be either refused with an
 * error naming a field, or accepted and then priced over a fixed session
 * with a cost that is never negative and never higher excl. than incl. VAT.
 */
#include "engine.h"
#include "tariff_service.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

static glv_tariff_instance *inst;
static const glv_tz *tz;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (inst == NULL) {
        char why[200];
        inst = glv_tariff_instance_new(NULL, NULL);
        tz = glv_tzdb_get(glv_tariff_instance_tzdb(inst), "Europe/Amsterdam", why, sizeof why);
        if (tz == NULL)
            abort();
    }
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (j == NULL)
        return 0;
    for (int version = 0; version < 2; version++) {
        glv_tariff t;
        json_t *error = NULL;
        int rc = glv_tariff_read(j, version ? "2.1.1" : NULL, &t, &error);
        if (rc != 0) {
            if (rc == -EINVAL &&
                (error == NULL || !json_is_string(json_object_get(error, "message"))))
                abort(); /* refused without a reason */
            json_decref(error);
            continue;
        }
        glv_reading rd[4] = {
            {1717394400000LL, 0, 11000000, 16000, GLV_STATE_CHARGING},
            {1717396200000LL, 5500000, 22000000, 32000, GLV_STATE_CHARGING},
            {1717399800000LL, 27500000, 0, 0, GLV_STATE_PARKING},
            {1717407000000LL, 27500000, 0, 0, GLV_STATE_PARKING},
        };
        glv_timeline tl = {
            .tz = tz, .end_ms = 1717410000000LL, .final = true, .count = 4, .readings = rd};
        glv_price_result r = {0};
        if (glv_price(&t, &tl, glv_tariff_instance_rounding(inst, t.currency), &r, &error) == 0) {
            for (int k = 0; k < GLV_TOTAL_COUNT; k++) {
                if (r.totals[k].excl < 0 || r.totals[k].excl > r.totals[k].incl)
                    abort();
            }
            json_t *out = glv_price_result_json(&r, &t);
            if (out == NULL)
                abort();
            json_decref(out);
        }
        json_decref(error);
        glv_price_result_clear(&r);
        glv_tariff_clear(&t);
    }
    json_decref(j);
    return 0;
}
