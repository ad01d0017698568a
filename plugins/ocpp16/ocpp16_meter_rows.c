/* Readings as array parameters; see ocpp16_meter_rows.h. */
#include "ocpp16_meter_rows.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { COL_MSG, COL_TX, COL_CHARGER, COL_CONNECTOR, COL_TIME, COL_ENERGY, COL_SAMPLES };

/* Starts the next element of a column: "{" before the first, "," after. */
static void next(struct glv_ocpp16_meter_rows *r, int col)
{
    glv_ocpp16_text_put(&r->col[col], r->n == 0 ? "{" : ",", 1);
}

static void put_int(struct glv_ocpp16_meter_rows *r, int col, int64_t v)
{
    char buf[24];
    int len = snprintf(buf, sizeof buf, "%" PRId64, v);
    next(r, col);
    glv_ocpp16_text_put(&r->col[col], buf, (size_t)len);
}

/* Appends "key":"value" unless value equals the default (NULL: none). */
static void put_member(struct glv_ocpp16_text *t, const char *key, const json_t *sample,
                       const char *fallback)
{
    const char *v = json_string_value(json_object_get(sample, key));
    if (v == NULL || (fallback != NULL && strcmp(v, fallback) == 0))
        return;
    glv_ocpp16_text_puts(t, ",");
    glv_ocpp16_text_json_string(t, key);
    glv_ocpp16_text_puts(t, ":");
    glv_ocpp16_text_json_string(t, v);
}

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
static void put_value(struct glv_ocpp16_text *t, const json_t *sample)
{
    const json_t *value = json_object_get(sample, "value");
    if (!json_is_number(value)) {
        glv_ocpp16_text_puts(t, "null");
        return;
    }
    double d = json_number_value(value);
    const char *raw = json_string_value(json_object_get(sample, "raw"));
    if (raw != NULL && json_number_text(raw) && strtod(raw, NULL) == d)
        glv_ocpp16_text_puts(t, raw);
    else
        glv_ocpp16_text_double(t, d);
}

/* The stored form of a reading's samples. */
static void put_samples(struct glv_ocpp16_text *t, const json_t *samples)
{
    glv_ocpp16_text_puts(t, "[");
    size_t i;
    const json_t *s;
    json_array_foreach(samples, i, s)
    {
        glv_ocpp16_text_puts(t, i == 0 ? "{\"measurand\":" : ",{\"measurand\":");
        glv_ocpp16_text_json_string(t, json_string_value(json_object_get(s, "measurand")));
        put_member(t, "phase", s, NULL);
        put_member(t, "location", s, "Outlet");
        put_member(t, "context", s, "Sample.Periodic");
        put_member(t, "unit", s, NULL);
        put_member(t, "raw", s, NULL);
        put_member(t, "format", s, "Raw");
        glv_ocpp16_text_puts(t, ",\"value\":");
        put_value(t, s);
        glv_ocpp16_text_puts(t, "}");
    }
    glv_ocpp16_text_puts(t, "]");
}

void glv_ocpp16_meter_rows_add(struct glv_ocpp16_meter_rows *r, int64_t msg, int64_t tx,
                               const char *charger, int64_t connector, const json_t *readings)
{
    struct glv_ocpp16_text *samples = &r->samples;
    size_t i;
    const json_t *reading;
    json_array_foreach(readings, i, reading)
    {
        put_int(r, COL_MSG, msg);
        put_int(r, COL_TX, tx);
        put_int(r, COL_CONNECTOR, connector);
        next(r, COL_CHARGER);
        glv_ocpp16_text_array_element(&r->col[COL_CHARGER], charger, strlen(charger));
        const char *ts = json_string_value(json_object_get(reading, "timestamp"));
        next(r, COL_TIME);
        glv_ocpp16_text_puts(&r->col[COL_TIME], ts);
        next(r, COL_ENERGY);
        const json_t *energy = json_object_get(reading, "energy_wh");
        if (json_is_number(energy))
            glv_ocpp16_text_double(&r->col[COL_ENERGY], json_number_value(energy));
        else
            glv_ocpp16_text_puts(&r->col[COL_ENERGY], "NULL");
        samples->len = 0;
        put_samples(samples, json_object_get(reading, "samples"));
        next(r, COL_SAMPLES);
        const char *text = glv_ocpp16_text_get(samples);
        if (text == NULL)
            r->col[COL_SAMPLES].failed = true;
        else
            glv_ocpp16_text_array_element(&r->col[COL_SAMPLES], text, samples->len);
        r->n++;
    }
}

int glv_ocpp16_meter_rows_params(struct glv_ocpp16_meter_rows *r,
                                 const char *params[GLV_OCPP16_METER_ROW_PARAMS])
{
    int rc = 0;
    for (int c = 0; c < GLV_OCPP16_METER_ROW_PARAMS; c++) {
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
    glv_ocpp16_text_free(&r->samples);
    r->n = 0;
}
