/* galvani tariff-ocpi — the timeline of an OCPI 2.2.1 CDR's charging periods. */
#include "datetime.h"
#include "timeline.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct period_dims {
    int64_t energy_mwh;
    int64_t time_ms, parking_ms, reservation_ms; /* -1 absent */
    int64_t power_mw, current_ma;                /* -1 absent */
} period_dims;

static int cdr_error(json_t **error, const char *field, const char *msg)
{
    if (error != NULL && *error == NULL)
        *error = glv_tariff_error(field, "%s", msg);
    return -EINVAL;
}

static int hours_to_ms(const json_t *v, int64_t *ms)
{
    int64_t nano_h;
    if (glv_decimal_from_json(v, 9, true, &nano_h) != 0 || nano_h < 0)
        return -EINVAL;
    /* whole seconds: CDR hours carry a handful of decimals */
    *ms = (int64_t)(((__int128)nano_h * 3600 + 500000000) / 1000000000) * 1000;
    return 0;
}

static int read_dims(const json_t *dims, const char *path, period_dims *d, json_t **error)
{
    char field[96];
    *d = (period_dims){0, -1, -1, -1, -1, -1};
    int64_t min_power = -1, max_power = -1, min_current = -1, max_current = -1;
    if (!json_is_array(dims)) {
        snprintf(field, sizeof field, "%s.dimensions", path);
        return cdr_error(error, field, "must be an array of CdrDimension");
    }
    size_t i;
    json_t *dim;
    json_array_foreach(dims, i, dim)
    {
        snprintf(field, sizeof field, "%s.dimensions[%zu]", path, i);
        json_t *type = json_object_get(dim, "type"), *vol = json_object_get(dim, "volume");
        if (!json_is_string(type) || !json_is_number(vol))
            return cdr_error(error, field, "needs a type and a numeric volume");
        const char *t = json_string_value(type);
        int rc = 0;
        if (strcmp(t, "ENERGY") == 0) {
            rc = glv_decimal_from_json(vol, 6, true, &d->energy_mwh);
            if (rc == 0 && d->energy_mwh < 0)
                return cdr_error(error, field, "negative energy (feeding the grid) is not priced");
        } else if (strcmp(t, "TIME") == 0) {
            rc = hours_to_ms(vol, &d->time_ms);
        } else if (strcmp(t, "PARKING_TIME") == 0) {
            rc = hours_to_ms(vol, &d->parking_ms);
        } else if (strcmp(t, "RESERVATION_TIME") == 0) {
            rc = hours_to_ms(vol, &d->reservation_ms);
        } else if (strcmp(t, "MAX_POWER") == 0) {
            rc = glv_decimal_from_json(vol, 6, true, &max_power);
        } else if (strcmp(t, "MIN_POWER") == 0) {
            rc = glv_decimal_from_json(vol, 6, true, &min_power);
        } else if (strcmp(t, "MAX_CURRENT") == 0) {
            rc = glv_decimal_from_json(vol, 3, true, &max_current);
        } else if (strcmp(t, "MIN_CURRENT") == 0) {
            rc = glv_decimal_from_json(vol, 3, true, &min_current);
        }
        if (rc != 0)
            return cdr_error(error, field, "volume is not a valid non-negative number");
    }
    d->power_mw = max_power >= 0 ? max_power : min_power;
    d->current_ma = max_current >= 0 ? max_current : min_current;
    return 0;
}

int glv_timeline_from_cdr(const json_t *cdr, const glv_tz *tz, glv_timeline *out, json_t **error)
{
    memset(out, 0, sizeof *out);
    if (error != NULL)
        *error = NULL;
    json_t *periods = json_object_get(cdr, "charging_periods");
    if (!json_is_array(periods) || json_array_size(periods) == 0)
        return cdr_error(error, "charging_periods", "must be a non-empty array");
    json_t *end = json_object_get(cdr, "end_date_time");
    int64_t end_ms;
    if (!json_is_string(end) || glv_datetime_parse(json_string_value(end), &end_ms) != 0)
        return cdr_error(error, "end_date_time", "is required and must be a DateTime");
    size_t n = json_array_size(periods);
    out->readings = calloc(2 * n + 1, sizeof *out->readings);
    if (out->readings == NULL)
        return -ENOMEM;
    out->tz = tz;
    out->final = true;
    out->end_ms = end_ms;
    int64_t meter = 0;
    char path[48], field[80];
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_array_get(periods, i);
        snprintf(path, sizeof path, "charging_periods[%zu]", i);
        json_t *st = json_object_get(p, "start_date_time");
        int64_t t0, t1 = end_ms;
        if (!json_is_string(st) || glv_datetime_parse(json_string_value(st), &t0) != 0) {
            snprintf(field, sizeof field, "%s.start_date_time", path);
            cdr_error(error, field, "is required and must be a DateTime");
            goto fail;
        }
        if (i + 1 < n) {
            json_t *nx = json_object_get(json_array_get(periods, i + 1), "start_date_time");
            if (!json_is_string(nx) || glv_datetime_parse(json_string_value(nx), &t1) != 0)
                t1 = t0; /* reported when that period is read */
        }
        if (t1 < t0) {
            if (i + 1 < n)
                snprintf(field, sizeof field, "charging_periods[%zu].start_date_time", i + 1);
            else
                snprintf(field, sizeof field, "end_date_time");
            cdr_error(error, field, "periods are out of order");
            goto fail;
        }
        period_dims d;
        if (read_dims(json_object_get(p, "dimensions"), path, &d, error) != 0)
            goto fail;
        int64_t dur = t1 - t0;
        glv_reading r = {t0, meter, d.power_mw, d.current_ma, GLV_STATE_CHARGING};
        if (d.reservation_ms > 0 && d.time_ms <= 0 && d.parking_ms <= 0 && d.energy_mwh == 0) {
            r.state = GLV_STATE_RESERVED;
            out->readings[out->count++] = r;
            continue;
        }
        int64_t charging = dur;
        if (d.time_ms >= 0 && d.parking_ms > 0)
            charging = d.time_ms < dur ? d.time_ms : dur;
        else if (d.time_ms < 0 && d.parking_ms >= 0)
            charging = 0;
        else if (d.time_ms < 0 && d.energy_mwh == 0)
            charging = 0;
        if (charging > 0) {
            out->readings[out->count++] = r;
            meter += d.energy_mwh;
        }
        if (charging < dur || charging == 0) {
            glv_reading park = {t0 + charging, meter, charging > 0 ? 0 : d.power_mw, d.current_ma,
                                GLV_STATE_PARKING};
            if (charging == 0)
                meter += d.energy_mwh; /* energy in a parking period still counts */
            out->readings[out->count++] = park;
        }
    }
    /* The meter of the closing instant: a final reading at the end. */
    if (out->count > 0 && out->readings[out->count - 1].meter_mwh != meter) {
        glv_reading last = out->readings[out->count - 1];
        last.t_ms = end_ms;
        last.meter_mwh = meter;
        out->readings[out->count++] = last;
    }
    if (glv_timeline_check(out, error) != 0)
        goto fail;
    return 0;
fail:
    glv_timeline_clear(out);
    return -EINVAL;
}
