/* OCPP 1.6 meter values to neutral samples; see ocpp16_meter.h. */
#include "ocpp16_meter.h"

#include "ocpp16_fields.h"

#include <errno.h>
#include <math.h>
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
        if (units[i].from[0] == unit[0] && strcmp(units[i].from, unit) == 0) {
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

/* Reads s as strtod does, whole: true with a finite *out. Plain decimals
 * of at most 15 digits take the exact short way: their digits and the
 * power of ten are both exact doubles, so one correctly rounded division
 * gives what strtod gives. */
static bool read_number(const char *s, double *out)
{
    static const double pow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    const char *p = s + (*s == '-');
    uint64_t digits = 0;
    int count = 0, decimals = 0;
    for (; *p >= '0' && *p <= '9'; p++, count++)
        digits = digits * 10 + (uint64_t)(*p - '0');
    if (count > 0 && *p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++, count++, decimals++)
            digits = digits * 10 + (uint64_t)(*p - '0');
    if (count > 0 && count <= 15 && *p == '\0') {
        double d = (double)digits / pow10[decimals];
        *out = *s == '-' ? -d : d;
        return true;
    }
    if (*s == '\0')
        return false;
    char *end = NULL;
    errno = 0;
    *out = strtod(s, &end);
    return errno == 0 && end != NULL && *end == '\0' && isfinite(*out);
}

/* Copies s into the string area at *pool; NULL stays NULL. */
static const char *keep(char **pool, const char *s)
{
    if (s == NULL)
        return NULL;
    size_t len = strlen(s) + 1;
    char *out = memcpy(*pool, s, len);
    *pool += len;
    return out;
}

static size_t size_of(const char *s)
{
    return s != NULL ? strlen(s) + 1 : 0;
}

/* One sampled value as a neutral sample, its strings copied into *pool;
 * returns the value in Wh when it is an Energy.Active.Import.Register
 * reading in Wh, else -1. */
static double one_sample(const struct glv_ocpp16_sampled *sv, struct glv_ocpp16_sample *s,
                         char **pool)
{
    const char *measurand = sv->measurand ? sv->measurand : "Energy.Active.Import.Register";
    const char *format = sv->format ? sv->format : "Raw";
    const char *unit = sv->unit ? sv->unit : default_unit(measurand);
    double factor = 1.0;
    const char *out_unit = base_unit(unit, &factor);
    double wh = -1;
    s->raw = keep(pool, sv->value ? sv->value : "");
    s->has_value = false;
    s->converted = false;
    s->value = 0;
    double d;
    if (strcmp(format, "Raw") == 0 && read_number(s->raw, &d)) {
        s->has_value = true;
        s->converted = factor != 1.0;
        s->value = d * factor;
        if (strcmp(measurand, "Energy.Active.Import.Register") == 0 && strcmp(out_unit, "Wh") == 0)
            wh = s->value;
    }
    s->measurand = sv->measurand ? keep(pool, sv->measurand) : measurand;
    s->phase = keep(pool, sv->phase);
    s->location = sv->location ? keep(pool, sv->location) : "Outlet";
    s->context = sv->context ? keep(pool, sv->context) : "Sample.Periodic";
    s->unit = out_unit == unit && sv->unit != NULL ? keep(pool, out_unit) : out_unit;
    s->format = sv->format ? keep(pool, sv->format) : format;
    return wh;
}

static bool same_text(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool same_sample(const struct glv_ocpp16_sample *a, const struct glv_ocpp16_sample *b)
{
    return a->has_value == b->has_value && (!a->has_value || a->value == b->value) &&
           same_text(a->measurand, b->measurand) && same_text(a->raw, b->raw) &&
           same_text(a->phase, b->phase) && same_text(a->location, b->location) &&
           same_text(a->context, b->context) && same_text(a->unit, b->unit) &&
           same_text(a->format, b->format);
}

struct glv_ocpp16_readings *glv_ocpp16_meter_normalize(const struct glv_ocpp16_sampled *in,
                                                       size_t n)
{
    size_t text = 0;
    for (size_t i = 0; i < n; i++) {
        const struct glv_ocpp16_sampled *sv = &in[i];
        text += size_of(sv->value) + size_of(sv->context) + size_of(sv->format) +
                size_of(sv->measurand) + size_of(sv->phase) + size_of(sv->location) +
                size_of(sv->unit) + 1;
    }
    /* At most n readings and n samples; which reading each value joins
     * (n when it joins none) is kept at the end of the block. */
    size_t head = sizeof(struct glv_ocpp16_readings) + n * sizeof(struct glv_ocpp16_reading);
    size_t body = n * sizeof(struct glv_ocpp16_sample);
    struct glv_ocpp16_readings *out = malloc(head + body + n * sizeof(size_t) + text);
    if (out == NULL)
        return NULL;
    struct glv_ocpp16_sample *samples = (struct glv_ocpp16_sample *)((char *)out + head);
    size_t *group = (size_t *)((char *)samples + body);
    char *pool = (char *)(group + n);
    out->energy_wh = -1;
    out->n = 0;
    for (size_t i = 0; i < n; i++) {
        size_t g = 0;
        while (g < out->n && out->reading[g].ms != in[i].ms)
            g++;
        group[i] = g;
        if (g < out->n)
            continue;
        struct glv_ocpp16_reading *r = &out->reading[g];
        if (glv_ocpp16_time_format(in[i].ms, r->timestamp) < 0) {
            group[i] = n;
            continue;
        }
        r->ms = in[i].ms;
        r->energy_wh = -1;
        r->n_samples = 0;
        out->n++;
    }
    /* each reading's samples side by side, room for all of its values */
    size_t at = 0;
    for (size_t g = 0; g < out->n; g++) {
        out->reading[g].samples = samples + at;
        for (size_t i = 0; i < n; i++)
            at += group[i] == g;
    }
    for (size_t i = 0; i < n; i++) {
        if (group[i] == n)
            continue;
        struct glv_ocpp16_reading *r = &out->reading[group[i]];
        struct glv_ocpp16_sample *s = &r->samples[r->n_samples];
        char *mark = pool;
        double wh = one_sample(&in[i], s, &pool);
        bool seen = false;
        for (size_t k = 0; k < r->n_samples && !seen; k++)
            seen = same_sample(&r->samples[k], s);
        if (seen) {
            pool = mark; /* the same value sent twice: once is enough */
            continue;
        }
        r->n_samples++;
        if (wh >= 0)
            r->energy_wh = out->energy_wh = wh;
    }
    return out;
}

struct glv_ocpp16_readings *glv_ocpp16_meter_from_json(const json_t *meter_values)
{
    size_t n = 0, i, k;
    const json_t *mv, *sv;
    json_array_foreach(meter_values, i, mv)
    {
        n += json_array_size(json_object_get(mv, "sampledValue"));
    }
    struct glv_ocpp16_sampled *in = calloc(n ? n : 1, sizeof *in);
    if (in == NULL)
        return NULL;
    n = 0;
    json_array_foreach(meter_values, i, mv)
    {
        int64_t ms;
        if (!glv_ocpp16_field_time(mv, "timestamp", &ms))
            continue;
        json_array_foreach(json_object_get(mv, "sampledValue"), k, sv)
        {
            in[n] = (struct glv_ocpp16_sampled){
                .ms = ms,
                .value = glv_ocpp16_field_str(sv, "value"),
                .context = glv_ocpp16_field_str(sv, "context"),
                .format = glv_ocpp16_field_str(sv, "format"),
                .measurand = glv_ocpp16_field_str(sv, "measurand"),
                .phase = glv_ocpp16_field_str(sv, "phase"),
                .location = glv_ocpp16_field_str(sv, "location"),
                .unit = glv_ocpp16_field_str(sv, "unit"),
            };
            n++;
        }
    }
    struct glv_ocpp16_readings *out = glv_ocpp16_meter_normalize(in, n);
    free(in);
    return out;
}

/* Sets key (static ASCII) to a new string copy of v; false when out of memory. */
static bool put_text(json_t *o, const char *key, const char *v)
{
    return json_object_set_new_nocheck(o, key, json_string(v)) == 0;
}

json_t *glv_ocpp16_meter_samples(const struct glv_ocpp16_readings *readings)
{
    json_t *out = json_array();
    for (size_t i = 0; out != NULL && i < readings->n; i++) {
        const struct glv_ocpp16_reading *r = &readings->reading[i];
        for (size_t k = 0; k < r->n_samples; k++) {
            const struct glv_ocpp16_sample *s = &r->samples[k];
            json_t *o = json_object();
            bool ok = o != NULL && put_text(o, "timestamp", r->timestamp) &&
                      put_text(o, "measurand", s->measurand) &&
                      (s->phase == NULL || put_text(o, "phase", s->phase)) &&
                      put_text(o, "location", s->location) && put_text(o, "context", s->context) &&
                      json_object_set_new_nocheck(
                          o, "value", s->has_value ? json_real(s->value) : json_null()) == 0 &&
                      put_text(o, "unit", s->unit) && put_text(o, "raw", s->raw) &&
                      put_text(o, "format", s->format);
            if (!ok)
                json_decref(o);
            if (!ok || json_array_append_new(out, o) != 0) {
                json_decref(out);
                return NULL;
            }
        }
    }
    return out;
}
