/* galvani tariff-ocpi — reading OCPI 2.1.1 tariffs through the 2.2.1 model.
 *
 * A 2.1.1 Tariff has no owner fields, no VAT, no tariff type, no minimum or
 * maximum price, no validity period, and its restrictions know neither
 * current limits nor reservations. The adapter copies what 2.1.1 defines into
 * a 2.2.1 object and refuses fields 2.1.1 does not define, so that a 2.2.1
 * tariff sent by mistake as 2.1.1 is noticed rather than half read. */
#include "tariff_model.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char *const restriction_keys_211[] = {
    "start_time", "end_time",  "start_date",   "end_date",     "min_kwh",     "max_kwh",
    "min_power",  "max_power", "min_duration", "max_duration", "day_of_week", NULL,
};

static bool known(const char *const *keys, const char *key)
{
    for (; *keys != NULL; keys++) {
        if (strcmp(*keys, key) == 0)
            return true;
    }
    return false;
}

json_t *glv_tariff_from_ocpi211(const json_t *json, const char *country_code, const char *party_id,
                                json_t **error)
{
    static const char *const top_keys[] = {
        "id",       "currency",   "tariff_alt_text", "tariff_alt_url",
        "elements", "energy_mix", "last_updated",    NULL};
    static const char *const component_keys[] = {"type", "price", "step_size", NULL};
    char field[96];
    if (error != NULL)
        *error = NULL;
    if (!json_is_object(json)) {
        if (error != NULL)
            *error = glv_tariff_error("tariff", "must be an OCPI 2.1.1 Tariff object");
        return NULL;
    }
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)json, key, value)
    {
        if (!known(top_keys, key)) {
            if (error != NULL)
                *error = glv_tariff_error(key, "is not a field of an OCPI 2.1.1 Tariff");
            return NULL;
        }
    }
    json_t *out = json_deep_copy(json);
    if (out == NULL)
        return NULL;
    json_object_set_new(out, "country_code", json_string(country_code ? country_code : "XX"));
    json_object_set_new(out, "party_id", json_string(party_id ? party_id : "XXX"));
    json_t *elements = json_object_get(out, "elements");
    size_t i;
    json_t *el;
    json_array_foreach(elements, i, el)
    {
        json_t *r = json_object_get(el, "restrictions");
        if (json_is_object(r)) {
            json_object_foreach(r, key, value)
            {
                if (!known(restriction_keys_211, key)) {
                    snprintf(field, sizeof field, "elements[%zu].restrictions.%s", i, key);
                    goto refuse;
                }
            }
        }
        json_t *pcs = json_object_get(el, "price_components");
        size_t j;
        json_t *pc;
        json_array_foreach(pcs, j, pc)
        {
            if (!json_is_object(pc))
                continue;
            json_object_foreach(pc, key, value)
            {
                if (!known(component_keys, key)) {
                    snprintf(field, sizeof field, "elements[%zu].price_components[%zu].%s", i, j,
                             key);
                    goto refuse;
                }
            }
        }
    }
    return out;
refuse:
    if (error != NULL)
        *error = glv_tariff_error(field, "is not a field of an OCPI 2.1.1 Tariff");
    json_decref(out);
    return NULL;
}
