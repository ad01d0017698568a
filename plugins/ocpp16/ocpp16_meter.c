/* OCPP 1.6 meter values to neutral samples; see ocpp16_meter.h. */
#include "ocpp16_meter.h"

#include "ocpp16_fields.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct unit_map {
    const char *from;
    const char *to;
    double factor;
};

static const struct unit_map units[] = {
    {"kWh", "Wh", 1000.0},
    {"kvarh", "varh", 1000.0},
    {"kW", "W", 1000.0},
    {"kVA", "VA", 1000.0},
    {"kvar", "var", 1000.0},
    {"Celcius", "Celsius", 1.0},
    {"Wh", "Wh", 1.0},
    {"varh", "varh", 1.0},
    {"W", "W", 1.0},
    {"VA", "VA", 1.0},
    {"var", "var", 1.0},
    {"A", "A", 1.0},
    {"V", "V", 1.0},
    {"K", "K", 1.0},
    {"Celsius", "Celsius", 1.0},
    {"Fahrenheit", "Fahrenheit", 1.0},
    {"Percent", "Percent", 1.0},
};

/* The base unit of a 1.6 unit (static) and the factor to it. */
static const char *base_unit(const char *unit, double *factor)
{
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(units[i].from, unit) == 0) {
            *factor = units[i].factor;
            return units[i].to;
        }
    }
    *factor = 1.0;
    return unit;
}

/* 1.6 says the unit defaults to Wh; for measurands that are not energy a
 * missing unit is read as that measurand's natural unit. */
static const char *default_unit(const char *measurand)
{
    if (strncmp(measurand, "Energy.Reactive", 15) == 0)
        return "varh";
    if (strncmp(measurand, "Energy", 6) == 0)
        return "Wh";
    if (strncmp(measurand, "Power.Reactive", 14) == 0)
        return "var";
    if (strcmp(measurand, "Power.Factor") == 0)
        return "";
    if (strncmp(measurand, "Power", 5) == 0)
        return "W";
    if (strncmp(measurand, "Current", 7) == 0)
        return "A";
    if (strcmp(measurand, "Voltage") == 0)
        return "V";
    if (strcmp(measurand, "Temperature") == 0)
        return "Celsius";
    if (strcmp(measurand, "SoC") == 0)
        return "Percent";
    if (strcmp(measurand, "Frequency") == 0 || strcmp(measurand, "RPM") == 0)
        return "";
    return "Wh";
}

/* The string member key of sv, shared rather than copied, or a new string
 * with fallback when sv has none. */
static json_t *member(const json_t *sv, const char *key, const char *fallback)
{
    json_t *v = json_object_get(sv, key);
    return json_is_string(v) ? json_incref(v) : json_string(fallback);
}

/* Sets key (static ASCII) on s; false when out of memory. */
static bool put(json_t *s, const char *key, json_t *v)
{
    if (s == NULL) {
        json_decref(v);
        return false;
    }
    return json_object_set_new_nocheck(s, key, v) == 0;
}

/* One sampled value as a neutral sample; *energy_wh receives its value when
 * it is an Energy.Active.Import.Register reading in Wh. */
static json_t *one_sample(const json_t *sv, double *energy_wh)
{
    const char *raw = glv_ocpp16_field_str(sv, "value");
    const char *measurand = glv_ocpp16_field_str(sv, "measurand");
    const char *format = glv_ocpp16_field_str(sv, "format");
    const char *unit = glv_ocpp16_field_str(sv, "unit");
    if (raw == NULL)
        raw = "";
    if (measurand == NULL)
        measurand = "Energy.Active.Import.Register";
    if (format == NULL)
        format = "Raw";
    if (unit == NULL)
        unit = default_unit(measurand);
    double factor = 1.0;
    const char *out_unit = base_unit(unit, &factor);
    json_t *value = json_null();
    if (strcmp(format, "Raw") == 0 && raw[0] != '\0') {
        char *end = NULL;
        errno = 0;
        double d = strtod(raw, &end);
        if (errno == 0 && end != NULL && *end == '\0' && isfinite(d)) {
            d *= factor;
            value = json_real(d);
            if (strcmp(measurand, "Energy.Active.Import.Register") == 0 &&
                strcmp(out_unit, "Wh") == 0)
                *energy_wh = d;
        }
    }
    json_t *s = json_object();
    /* value first: it is always taken, even when s is NULL */
    bool ok = put(s, "value", value) && put(s, "measurand", member(sv, "measurand", measurand)) &&
              put(s, "location", member(sv, "location", "Outlet")) &&
              put(s, "context", member(sv, "context", "Sample.Periodic")) &&
              put(s, "unit",
                  strcmp(out_unit, unit) == 0 ? member(sv, "unit", unit) : json_string(out_unit)) &&
              put(s, "raw", member(sv, "value", raw)) &&
              put(s, "format", member(sv, "format", format));
    if (ok && json_is_string(json_object_get(sv, "phase")))
        ok = put(s, "phase", member(sv, "phase", NULL));
    if (!ok) {
        json_decref(s);
        return NULL;
    }
    return s;
}

/* Whether samples already holds a sample equal to s. */
static bool holds(const json_t *samples, const json_t *s)
{
    const char *measurand = json_string_value(json_object_get(s, "measurand"));
    size_t i;
    const json_t *t;
    json_array_foreach(samples, i, t)
    {
        if (strcmp(json_string_value(json_object_get(t, "measurand")), measurand) == 0 &&
            json_equal(t, s))
            return true;
    }
    return false;
}

/* The reading of readings taken at ts, appended when there is none yet. */
static json_t *reading_at(json_t *readings, const char *ts)
{
    size_t i;
    json_t *r;
    json_array_foreach(readings, i, r)
    {
        if (strcmp(json_string_value(json_object_get(r, "timestamp")), ts) == 0)
            return r;
    }
    r = json_object();
    if (!put(r, "timestamp", json_string(ts)) || !put(r, "samples", json_array())) {
        json_decref(r);
        return NULL;
    }
    return json_array_append_new(readings, r) == 0 ? r : NULL;
}

json_t *glv_ocpp16_meter_normalize(const json_t *meter_values, double *energy_wh)
{
    *energy_wh = -1;
    json_t *out = json_array();
    if (out == NULL)
        return NULL;
    size_t i;
    const json_t *mv;
    json_array_foreach(meter_values, i, mv)
    {
        int64_t ms;
        if (!glv_ocpp16_field_time(mv, "timestamp", &ms))
            continue;
        char ts[25];
        glv_ocpp16_iso(ms, ts);
        if (ts[0] == '\0')
            continue;
        json_t *reading = reading_at(out, ts);
        if (reading == NULL) {
            json_decref(out);
            return NULL;
        }
        json_t *samples = json_object_get(reading, "samples");
        size_t k;
        const json_t *sv;
        json_array_foreach(json_object_get(mv, "sampledValue"), k, sv)
        {
            double wh = -1;
            json_t *s = one_sample(sv, &wh);
            if (s != NULL && json_object_set_nocheck(s, "timestamp",
                                                     json_object_get(reading, "timestamp")) != 0) {
                json_decref(s);
                s = NULL;
            }
            if (s != NULL && holds(samples, s)) {
                json_decref(s); /* the same value sent twice: once is enough */
                continue;
            }
            if (s == NULL || json_array_append_new(samples, s) != 0 ||
                (wh >= 0 && json_object_set_new(reading, "energy_wh", json_real(wh)) != 0)) {
                json_decref(out);
                return NULL;
            }
            if (wh >= 0)
                *energy_wh = wh;
        }
    }
    return out;
}

json_t *glv_ocpp16_meter_samples(const json_t *readings)
{
    json_t *out = json_array();
    if (out == NULL)
        return NULL;
    size_t i;
    const json_t *r;
    json_array_foreach(readings, i, r)
    {
        if (json_array_extend(out, json_object_get(r, "samples")) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}
