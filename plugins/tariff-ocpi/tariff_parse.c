/* galvani tariff-ocpi — reading and validating an OCPI 2.2.1 Tariff. */
#include "datetime.h"
#include "tariff_model.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PRICE_U (1000000000LL * GLV_PRICE_SCALE) /* 1e9 currency units */

json_t *glv_tariff_error(const char *field, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (field != NULL && *field != '\0')
        return json_pack("{s:s, s:s}", "field", field, "message", msg);
    return json_pack("{s:s}", "message", msg);
}

const char *glv_dimension_name(glv_dimension d)
{
    static const char *const names[] = {"ENERGY", "FLAT", "TIME", "PARKING_TIME"};
    return (unsigned)d < GLV_DIM_COUNT ? names[d] : "?";
}

typedef struct parse_ctx {
    json_t **error;
    char path[128];
} parse_ctx;

static int fail(parse_ctx *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(parse_ctx *c, const char *key, const char *fmt, ...)
{
    if (c->error != NULL && *c->error == NULL) {
        char field[192], msg[200];
        if (c->path[0] != '\0' && key != NULL)
            snprintf(field, sizeof field, "%s.%s", c->path, key);
        else
            snprintf(field, sizeof field, "%s", key != NULL ? key : c->path);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        *c->error = glv_tariff_error(field, "%s", msg);
    }
    return -EINVAL;
}

static int get_string(parse_ctx *c, const json_t *obj, const char *key, bool required,
                      size_t maxlen, const char **out)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (v == NULL || json_is_null(v)) {
        if (required)
            return fail(c, key, "is required");
        return 0;
    }
    if (!json_is_string(v))
        return fail(c, key, "must be a string");
    if (maxlen > 0 && json_string_length(v) > maxlen)
        return fail(c, key, "is longer than %zu characters", maxlen);
    *out = json_string_value(v);
    return 0;
}

/* A non-negative decimal with `scale` decimals; returns 1 when present. */
static int get_decimal(parse_ctx *c, const json_t *obj, const char *key, int scale, int64_t max,
                       int64_t *out)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return 0;
    int rc = glv_decimal_from_json(v, scale, false, out);
    if (rc == -EINVAL)
        return fail(c, key, "must be a number");
    if (rc != 0)
        return fail(c, key, "has more than %d decimals or is too large", scale);
    if (*out < 0)
        return fail(c, key, "must not be negative");
    if (*out > max)
        return fail(c, key, "is too large");
    return 1;
}

static int parse_price_object(parse_ctx *c, const json_t *obj, const char *key,
                              glv_price_limit *out)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return fail(c, key, "must be a Price object");
    parse_ctx sub = {.error = c->error};
    snprintf(sub.path, sizeof sub.path, "%s", key);
    int rc = get_decimal(&sub, v, "excl_vat", 6, MAX_PRICE_U, &out->excl_u);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return fail(&sub, "excl_vat", "is required");
    out->incl_u = -1;
    rc = get_decimal(&sub, v, "incl_vat", 6, MAX_PRICE_U, &out->incl_u);
    if (rc < 0)
        return rc;
    if (rc == 1 && out->incl_u < out->excl_u)
        return fail(&sub, "incl_vat", "is lower than excl_vat");
    return 1;
}

static int parse_component(parse_ctx *c, const json_t *pc, glv_tariff_element *el)
{
    if (!json_is_object(pc))
        return fail(c, NULL, "must be a PriceComponent object");
    const char *type;
    if (get_string(c, pc, "type", true, 0, &type) < 0)
        return -EINVAL;
    glv_dimension d;
    if (strcmp(type, "ENERGY") == 0)
        d = GLV_DIM_ENERGY;
    else if (strcmp(type, "FLAT") == 0)
        d = GLV_DIM_FLAT;
    else if (strcmp(type, "TIME") == 0)
        d = GLV_DIM_TIME;
    else if (strcmp(type, "PARKING_TIME") == 0)
        d = GLV_DIM_PARKING_TIME;
    else
        return fail(c, "type", "unknown tariff dimension type \"%s\"", type);
    glv_price_component *comp = &el->comp[d];
    if (comp->present)
        return fail(c, "type", "a second %s price component in the same element", type);
    comp->present = true;
    int rc = get_decimal(c, pc, "price", 6, MAX_PRICE_U, &comp->price_u);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return fail(c, "price", "is required");
    comp->vat_u = -1;
    rc = get_decimal(c, pc, "vat", 4, 100 * GLV_VAT_SCALE, &comp->vat_u);
    if (rc < 0)
        return rc;
    json_t *step = json_object_get(pc, "step_size");
    if (step == NULL)
        return fail(c, "step_size", "is required");
    if (!json_is_integer(step))
        return fail(c, "step_size", "must be an integer");
    json_int_t s = json_integer_value(step);
    if (s < 0)
        return fail(c, "step_size", "must not be negative");
    if (s > 100000000)
        return fail(c, "step_size", "is too large");
    comp->step = s == 0 ? 1 : s; /* 0 bills the exact amount, as 1 does */
    if (d == GLV_DIM_FLAT)
        comp->step = 1;
    return 0;
}

static int parse_range(parse_ctx *c, const json_t *r, const char *min_key, const char *max_key,
                       int scale, int64_t *min, int64_t *max, uint32_t min_bit, uint32_t max_bit,
                       uint32_t *has)
{
    int a = get_decimal(c, r, min_key, scale, INT64_MAX / 1000, min);
    if (a < 0)
        return a;
    int b = get_decimal(c, r, max_key, scale, INT64_MAX / 1000, max);
    if (b < 0)
        return b;
    if (a)
        *has |= min_bit;
    if (b)
        *has |= max_bit;
    if (a && b && *min > *max)
        return fail(c, min_key, "is greater than %s", max_key);
    return 0;
}

static int parse_restrictions(parse_ctx *c, const json_t *r, glv_restrictions *out)
{
    const char *s;
    if (!json_is_object(r))
        return fail(c, NULL, "must be a TariffRestrictions object");
    if (get_string(c, r, "start_time", false, 0, &s) < 0)
        return -EINVAL;
    if (s != NULL) {
        if (glv_time_of_day_parse(s, &out->start_time) != 0)
            return fail(c, "start_time", "must be HH:MM (24h), got \"%s\"", s);
        out->has |= GLV_R_START_TIME;
    }
    if (get_string(c, r, "end_time", false, 0, &s) < 0)
        return -EINVAL;
    if (s != NULL) {
        if (glv_time_of_day_parse(s, &out->end_time) != 0)
            return fail(c, "end_time", "must be HH:MM (24h), got \"%s\"", s);
        if (out->end_time == 0)
            out->end_time = 86400; /* 00:00 ends at the end of the day */
        out->has |= GLV_R_END_TIME;
    }
    if (get_string(c, r, "start_date", false, 0, &s) < 0)
        return -EINVAL;
    if (s != NULL) {
        if (glv_date_parse(s, &out->start_date) != 0)
            return fail(c, "start_date", "must be YYYY-MM-DD, got \"%s\"", s);
        out->has |= GLV_R_START_DATE;
    }
    if (get_string(c, r, "end_date", false, 0, &s) < 0)
        return -EINVAL;
    if (s != NULL) {
        if (glv_date_parse(s, &out->end_date) != 0)
            return fail(c, "end_date", "must be YYYY-MM-DD, got \"%s\"", s);
        out->has |= GLV_R_END_DATE;
        if ((out->has & GLV_R_START_DATE) && out->start_date > out->end_date)
            return fail(c, "start_date", "is after end_date");
    }
    /* kWh to mWh: 6 decimals; A to mA and kW to mW: 3 and 6 decimals. */
    if (parse_range(c, r, "min_kwh", "max_kwh", 6, &out->min_mwh, &out->max_mwh, GLV_R_MIN_KWH,
                    GLV_R_MAX_KWH, &out->has) < 0 ||
        parse_range(c, r, "min_current", "max_current", 3, &out->min_ma, &out->max_ma,
                    GLV_R_MIN_CURRENT, GLV_R_MAX_CURRENT, &out->has) < 0 ||
        parse_range(c, r, "min_power", "max_power", 6, &out->min_mw, &out->max_mw, GLV_R_MIN_POWER,
                    GLV_R_MAX_POWER, &out->has) < 0)
        return -EINVAL;
    const char *dkeys[2] = {"min_duration", "max_duration"};
    int64_t *dout[2] = {&out->min_ms, &out->max_ms};
    for (int i = 0; i < 2; i++) {
        json_t *v = json_object_get(r, dkeys[i]);
        if (v == NULL || json_is_null(v))
            continue;
        if (!json_is_integer(v))
            return fail(c, dkeys[i], "must be an integer number of seconds");
        if (json_integer_value(v) < 0 || json_integer_value(v) > 100LL * 365 * 86400)
            return fail(c, dkeys[i], "is out of range");
        *dout[i] = (int64_t)json_integer_value(v) * 1000;
        out->has |= i == 0 ? GLV_R_MIN_DURATION : GLV_R_MAX_DURATION;
    }
    if ((out->has & GLV_R_MIN_DURATION) && (out->has & GLV_R_MAX_DURATION) &&
        out->min_ms > out->max_ms)
        return fail(c, "min_duration", "is greater than max_duration");
    json_t *days = json_object_get(r, "day_of_week");
    if (days != NULL && !json_is_null(days)) {
        static const char *const names[] = {"MONDAY", "TUESDAY",  "WEDNESDAY", "THURSDAY",
                                            "FRIDAY", "SATURDAY", "SUNDAY"};
        if (!json_is_array(days))
            return fail(c, "day_of_week", "must be an array of DayOfWeek");
        size_t i;
        json_t *d;
        json_array_foreach(days, i, d)
        {
            int k = 0;
            while (k < 7 && !(json_is_string(d) && strcmp(json_string_value(d), names[k]) == 0))
                k++;
            if (k == 7) {
                char key[40];
                snprintf(key, sizeof key, "day_of_week[%zu]", i);
                return fail(c, key, "unknown day of week");
            }
            out->days |= (uint8_t)(1u << k);
        }
        if (json_array_size(days) > 0)
            out->has |= GLV_R_DAY_OF_WEEK;
    }
    if (get_string(c, r, "reservation", false, 0, &s) < 0)
        return -EINVAL;
    if (s != NULL) {
        if (strcmp(s, "RESERVATION") == 0)
            out->reservation = GLV_RESERVATION;
        else if (strcmp(s, "RESERVATION_EXPIRES") == 0)
            out->reservation = GLV_RESERVATION_EXPIRES;
        else
            return fail(c, "reservation", "unknown reservation restriction \"%s\"", s);
    }
    return 0;
}

static void add_boundary(glv_tariff *t, int32_t s)
{
    if (s <= 0 || s >= 86400)
        return;
    int i = 0;
    while (i < t->nboundaries && t->boundaries[i] < s)
        i++;
    if (i < t->nboundaries && t->boundaries[i] == s)
        return;
    if (t->nboundaries == (int)(sizeof t->boundaries / sizeof t->boundaries[0]))
        return; /* checked by the caller */
    memmove(&t->boundaries[i + 1], &t->boundaries[i],
            (size_t)(t->nboundaries - i) * sizeof t->boundaries[0]);
    t->boundaries[i] = s;
    t->nboundaries++;
}

void glv_tariff_clear(glv_tariff *t)
{
    free(t->elements);
    memset(t, 0, sizeof *t);
}

static int copy_id(parse_ctx *c, const json_t *obj, const char *key, size_t maxlen, char *dst,
                   size_t dstlen)
{
    const char *s;
    if (get_string(c, obj, key, true, maxlen, &s) < 0)
        return -EINVAL;
    snprintf(dst, dstlen, "%s", s);
    return 0;
}

int glv_tariff_parse(const json_t *json, glv_tariff *out, json_t **error)
{
    parse_ctx c = {.error = error};
    if (error != NULL)
        *error = NULL;
    memset(out, 0, sizeof *out);
    if (!json_is_object(json))
        return fail(&c, "tariff", "must be a Tariff object");
    if (copy_id(&c, json, "country_code", 2, out->country_code, sizeof out->country_code) ||
        copy_id(&c, json, "party_id", 3, out->party_id, sizeof out->party_id) ||
        copy_id(&c, json, "id", 36, out->id, sizeof out->id) ||
        copy_id(&c, json, "currency", 3, out->currency, sizeof out->currency))
        return -EINVAL;
    if (glv_currency_digits(out->currency) < 0)
        return fail(&c, "currency", "unknown ISO 4217 currency \"%s\"", out->currency);
    const char *s;
    if (get_string(&c, json, "type", false, 0, &s) < 0)
        return -EINVAL;
    if (s != NULL) {
        static const char *const types[] = {"AD_HOC_PAYMENT", "PROFILE_CHEAP", "PROFILE_FAST",
                                            "PROFILE_GREEN", "REGULAR"};
        for (int i = 0; i < 5 && out->type == GLV_TARIFF_TYPE_NONE; i++) {
            if (strcmp(s, types[i]) == 0)
                out->type = (glv_tariff_type)(i + 1);
        }
        if (out->type == GLV_TARIFF_TYPE_NONE)
            return fail(&c, "type", "unknown tariff type \"%s\"", s);
    }
    const char *dt_keys[3] = {"start_date_time", "end_date_time", "last_updated"};
    int64_t *dt_out[3] = {&out->start_ms, &out->end_ms, NULL};
    for (int i = 0; i < 3; i++) {
        int64_t ms;
        if (get_string(&c, json, dt_keys[i], i == 2, 0, &s) < 0)
            return -EINVAL;
        if (s == NULL)
            continue;
        if (glv_datetime_parse(s, &ms) != 0)
            return fail(&c, dt_keys[i], "is not a DateTime: \"%s\"", s);
        if (dt_out[i] != NULL)
            *dt_out[i] = ms;
        if (i == 0)
            out->has_start = true;
        if (i == 1)
            out->has_end = true;
    }
    if (out->has_start && out->has_end && out->start_ms >= out->end_ms)
        return fail(&c, "start_date_time", "is not before end_date_time");
    int rc = parse_price_object(&c, json, "min_price", &out->min_price);
    if (rc < 0)
        return rc;
    out->has_min_price = rc == 1;
    rc = parse_price_object(&c, json, "max_price", &out->max_price);
    if (rc < 0)
        return rc;
    out->has_max_price = rc == 1;
    if (out->has_min_price && out->has_max_price) {
        if (out->min_price.excl_u > out->max_price.excl_u)
            return fail(&c, "min_price.excl_vat", "is greater than max_price.excl_vat");
        if (out->min_price.incl_u >= 0 && out->max_price.incl_u >= 0 &&
            out->min_price.incl_u > out->max_price.incl_u)
            return fail(&c, "min_price.incl_vat", "is greater than max_price.incl_vat");
    }
    json_t *elements = json_object_get(json, "elements");
    if (!json_is_array(elements) || json_array_size(elements) == 0)
        return fail(&c, "elements", "must be a non-empty array of TariffElement");
    if (json_array_size(elements) > 1000)
        return fail(&c, "elements", "has more than 1000 elements");
    out->nelements = (int)json_array_size(elements);
    out->elements = calloc((size_t)out->nelements, sizeof *out->elements);
    if (out->elements == NULL)
        return -ENOMEM;
    size_t i;
    json_t *el;
    json_array_foreach(elements, i, el)
    {
        glv_tariff_element *e = &out->elements[i];
        snprintf(c.path, sizeof c.path, "elements[%zu]", i);
        if (!json_is_object(el)) {
            fail(&c, NULL, "must be a TariffElement object");
            goto fail;
        }
        json_t *pcs = json_object_get(el, "price_components");
        if (!json_is_array(pcs) || json_array_size(pcs) == 0) {
            fail(&c, "price_components", "must be a non-empty array of PriceComponent");
            goto fail;
        }
        size_t j;
        json_t *pc;
        json_array_foreach(pcs, j, pc)
        {
            snprintf(c.path, sizeof c.path, "elements[%zu].price_components[%zu]", i, j);
            if (parse_component(&c, pc, e) < 0)
                goto fail;
        }
        json_t *r = json_object_get(el, "restrictions");
        snprintf(c.path, sizeof c.path, "elements[%zu].restrictions", i);
        if (r != NULL && !json_is_null(r) && parse_restrictions(&c, r, &e->r) < 0)
            goto fail;
        if (e->r.reservation != GLV_RESERVATION_NONE) {
            out->has_reservation_elements = true;
            if (e->comp[GLV_DIM_ENERGY].present || e->comp[GLV_DIM_PARKING_TIME].present) {
                snprintf(c.path, sizeof c.path, "elements[%zu]", i);
                fail(&c, "price_components",
                     "a reservation element may only have FLAT and TIME components");
                goto fail;
            }
        }
        out->all_restrictions |= e->r.has;
        if (out->nboundaries > 44) {
            snprintf(c.path, sizeof c.path, "elements[%zu]", i);
            fail(&c, "restrictions", "too many distinct start_time/end_time values");
            goto fail;
        }
        if (e->r.has & GLV_R_START_TIME)
            add_boundary(out, e->r.start_time);
        if (e->r.has & GLV_R_END_TIME)
            add_boundary(out, e->r.end_time);
    }
    return 0;
fail:
    glv_tariff_clear(out);
    return -EINVAL;
}
