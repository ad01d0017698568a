/* Readings as array parameters; see ocpp16_meter_rows.h. */
#include "ocpp16_meter_rows.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum { COL_MSG, COL_TX, COL_CHARGER, COL_CONNECTOR, COL_TIME, COL_ENERGY, COL_SAMPLES };

/* Starts the next element of a column: "{" (an array literal) or "[" (the
 * samples' JSON array) before the first, "," after. */
static void next(struct glv_ocpp16_meter_rows *r, int col)
{
    glv_ocpp16_text_put(&r->col[col], r->n > 0 ? "," : col == COL_SAMPLES ? "[" : "{", 1);
}

static void put_int(struct glv_ocpp16_meter_rows *r, int col, int64_t v)
{
    char buf[24];
    char *end = buf + sizeof buf, *p = end;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do
        *--p = (char)('0' + u % 10);
    while ((u /= 10) > 0);
    if (v < 0)
        *--p = '-';
    next(r, col);
    glv_ocpp16_text_put(&r->col[col], p, (size_t)(end - p));
}

/* Appends ,"key":"value" unless value is NULL or equals the default
 * (NULL: none). */
static void put_member(struct glv_ocpp16_text *t, const char *prefix, size_t prefix_len,
                       const char *v, const char *fallback)
{
    if (v == NULL || (fallback != NULL && strcmp(v, fallback) == 0))
        return;
    glv_ocpp16_text_put(t, prefix, prefix_len);
    glv_ocpp16_text_json_string(t, v);
}
#define PUT_MEMBER(t, key, v, fallback)                                                            \
    put_member((t), ",\"" key "\":", sizeof(",\"" key "\":") - 1, (v), (fallback))

/* Whether s is a number as JSON spells one. */
static bool json_number_text(const char *s)
{
    if (*s == '-')
        s++;
    if (*s == '0')
        s++;
    else if (*s >= '1' && *s <= '9')
        while (*s >= '0' && *s <= '9')
            s++;
    else
        return false;
    if (*s == '.') {
        if (!(*++s >= '0' && *s <= '9'))
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!(*s >= '0' && *s <= '9'))
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return *s == '\0';
}

/* A sample's value: the charger's own digits when they are the value
 * (no unit conversion, valid JSON), else the shortest exact form. */
static void put_value(struct glv_ocpp16_text *t, const struct glv_ocpp16_sample *s)
{
    if (!s->has_value)
        glv_ocpp16_text_lit(t, "null");
    else if (!s->converted && json_number_text(s->raw))
        glv_ocpp16_text_puts(t, s->raw);
    else
        glv_ocpp16_text_double(t, s->value);
}

/* The sample that gave the reading its energy_wh: the last
 * Energy.Active.Import.Register with a value in Wh; NULL when none. */
static const struct glv_ocpp16_sample *energy_sample(const struct glv_ocpp16_reading *r)
{
    for (size_t i = r->n_samples; r->energy_wh >= 0 && i-- > 0;) {
        const struct glv_ocpp16_sample *s = &r->samples[i];
        if (s->has_value && s->value == r->energy_wh &&
            strcmp(s->measurand, "Energy.Active.Import.Register") == 0 &&
            strcmp(s->unit, "Wh") == 0)
            return s;
    }
    return NULL;
}

/* The stored form of a reading's samples. */
static void put_samples(struct glv_ocpp16_text *t, const struct glv_ocpp16_reading *r)
{
    glv_ocpp16_text_lit(t, "[");
    for (size_t i = 0; i < r->n_samples; i++) {
        const struct glv_ocpp16_sample *s = &r->samples[i];
        if (i > 0)
            glv_ocpp16_text_lit(t, ",");
        glv_ocpp16_text_lit(t, "{\"measurand\":");
        glv_ocpp16_text_json_string(t, s->measurand);
        PUT_MEMBER(t, "phase", s->phase, NULL);
        PUT_MEMBER(t, "location", s->location, "Outlet");
        PUT_MEMBER(t, "context", s->context, "Sample.Periodic");
        PUT_MEMBER(t, "unit", s->unit, NULL);
        PUT_MEMBER(t, "raw", s->raw, NULL);
        PUT_MEMBER(t, "format", s->format, "Raw");
        glv_ocpp16_text_lit(t, ",\"value\":");
        put_value(t, s);
        glv_ocpp16_text_lit(t, "}");
    }
    glv_ocpp16_text_lit(t, "]");
}

void glv_ocpp16_meter_rows_add(struct glv_ocpp16_meter_rows *r, int64_t msg, int64_t tx,
                               const char *charger, int64_t connector,
                               const struct glv_ocpp16_readings *readings)
{
    for (size_t i = 0; i < readings->n; i++) {
        const struct glv_ocpp16_reading *reading = &readings->reading[i];
        put_int(r, COL_MSG, msg);
        put_int(r, COL_TX, tx);
        put_int(r, COL_CONNECTOR, connector);
        next(r, COL_CHARGER);
        glv_ocpp16_text_array_element(&r->col[COL_CHARGER], charger, strlen(charger));
        next(r, COL_TIME);
        glv_ocpp16_text_puts(&r->col[COL_TIME], reading->timestamp);
        next(r, COL_ENERGY);
        const struct glv_ocpp16_sample *energy = energy_sample(reading);
        if (energy != NULL)
            put_value(&r->col[COL_ENERGY], energy);
        else
            glv_ocpp16_text_lit(&r->col[COL_ENERGY], "NULL");
        next(r, COL_SAMPLES);
        put_samples(&r->col[COL_SAMPLES], reading);
        r->n++;
    }
}

int glv_ocpp16_meter_rows_params(struct glv_ocpp16_meter_rows *r,
                                 const char *params[GLV_OCPP16_METER_ROW_PARAMS])
{
    int rc = 0;
    for (int c = 0; c < GLV_OCPP16_METER_ROW_PARAMS; c++) {
        if (c == COL_SAMPLES)
            glv_ocpp16_text_puts(&r->col[c], r->n == 0 ? "[]" : "]");
        else
            glv_ocpp16_text_puts(&r->col[c], r->n == 0 ? "{}" : "}");
        params[c] = glv_ocpp16_text_get(&r->col[c]);
        if (params[c] == NULL)
            rc = -1;
    }
    return rc;
}

void glv_ocpp16_meter_rows_free(struct glv_ocpp16_meter_rows *r)
{
    for (int c = 0; c < GLV_OCPP16_METER_ROW_PARAMS; c++)
        glv_ocpp16_text_free(&r->col[c]);
    r->n = 0;
}
