/* galvani tariff-ocpi — reading a session timeline and checking it. */
#include "timeline.h"

#include "datetime.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_READINGS 1000000

static int refuse(json_t **error, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse(json_t **error, const char *field, const char *fmt, ...)
{
    if (error != NULL && *error == NULL) {
        char msg[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        *error = glv_tariff_error(field, "%s", msg);
    }
    return -EINVAL;
}

void glv_timeline_clear(glv_timeline *tl)
{
    free(tl->readings);
    memset(tl, 0, sizeof *tl);
}

int glv_profile_parse(const char *name, bool ad_hoc, glv_tariff_type *out)
{
    if (ad_hoc) {
        *out = GLV_TARIFF_AD_HOC_PAYMENT;
        return 0;
    }
    if (name == NULL) {
        *out = GLV_TARIFF_TYPE_NONE;
        return 0;
    }
    static const struct {
        const char *name;
        glv_tariff_type type;
    } map[] = {{"REGULAR", GLV_TARIFF_REGULAR},
               {"CHEAP", GLV_TARIFF_PROFILE_CHEAP},
               {"FAST", GLV_TARIFF_PROFILE_FAST},
               {"GREEN", GLV_TARIFF_PROFILE_GREEN}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (strcmp(name, map[i].name) == 0) {
            *out = map[i].type;
            return 0;
        }
    }
    return -EINVAL;
}

int glv_timeline_check(const glv_timeline *tl, json_t **error)
{
    char field[64];
    for (size_t i = 1; i < tl->count; i++) {
        const glv_reading *p = &tl->readings[i - 1], *r = &tl->readings[i];
        if (r->t_ms < p->t_ms) {
            snprintf(field, sizeof field, "readings[%zu].timestamp", i);
            return refuse(error, field, "is earlier than the reading before it");
        }
        if (r->meter_mwh < p->meter_mwh) {
            snprintf(field, sizeof field, "readings[%zu].meter_wh", i);
            return refuse(error, field, "goes backwards (from %lld.%03lld Wh to %lld.%03lld Wh)",
                          (long long)(p->meter_mwh / 1000), (long long)(p->meter_mwh % 1000),
                          (long long)(r->meter_mwh / 1000), (long long)(r->meter_mwh % 1000));
        }
        if (r->t_ms == p->t_ms && r->meter_mwh != p->meter_mwh) {
            snprintf(field, sizeof field, "readings[%zu].meter_wh", i);
            return refuse(error, field, "changes with no time passing");
        }
        if (r->state == GLV_STATE_RESERVED && p->state != GLV_STATE_RESERVED) {
            snprintf(field, sizeof field, "readings[%zu].state", i);
            return refuse(error, field, "RESERVED after the session started");
        }
    }
    if (tl->count > 0 && tl->end_ms < tl->readings[tl->count - 1].t_ms)
        return refuse(error, "end_date_time", "is earlier than the last reading");
    return 0;
}

static int parse_state(const char *s, glv_session_state *out)
{
    if (s == NULL || strcmp(s, "CHARGING") == 0)
        *out = GLV_STATE_CHARGING;
    else if (strcmp(s, "SUSPENDED_EVSE") == 0)
        *out = GLV_STATE_SUSPENDED_EVSE;
    else if (strcmp(s, "SUSPENDED_EV") == 0 || strcmp(s, "PARKING") == 0)
        *out = GLV_STATE_PARKING;
    else if (strcmp(s, "RESERVED") == 0)
        *out = GLV_STATE_RESERVED;
    else
        return -EINVAL;
    return 0;
}

/* An optional non-negative decimal field scaled to 10^-scale; -1 when absent. */
static int optional_decimal(const json_t *obj, const char *key, int scale, const char *path,
                            int64_t *out, json_t **error)
{
    json_t *v = json_object_get(obj, key);
    char field[96];
    *out = -1;
    if (v == NULL || json_is_null(v))
        return 0;
    snprintf(field, sizeof field, "%s%s%s", path, *path ? "." : "", key);
    int rc = glv_decimal_from_json(v, scale, true, out);
    if (rc != 0)
        return refuse(error, field, "must be a number");
    if (*out < 0)
        return refuse(error, field, "must not be negative");
    return 1;
}

static int parse_context(const json_t *json, glv_tzdb *tzdb, glv_timeline *out, json_t **error)
{
    json_t *tzname = json_object_get(json, "time_zone");
    const char *zone = json_is_string(tzname) ? json_string_value(tzname) : NULL;
    if (tzname != NULL && zone == NULL)
        return refuse(error, "time_zone", "must be a string");
    char why[200];
    out->tz = glv_tzdb_get(tzdb, zone != NULL ? zone : "UTC", why, sizeof why);
    if (out->tz == NULL)
        return refuse(error, "time_zone", "unknown time zone: %s", why);
    json_t *prof = json_object_get(json, "profile_type");
    if (prof != NULL && !json_is_string(prof))
        return refuse(error, "profile_type", "must be a string");
    if (glv_profile_parse(json_string_value(prof), json_is_true(json_object_get(json, "ad_hoc")),
                          &out->profile) != 0)
        return refuse(error, "profile_type", "unknown profile type");
    out->reservation_expired = json_is_true(json_object_get(json, "reservation_expired"));
    return 0;
}

static int parse_time_field(const json_t *json, const char *key, int64_t *ms, json_t **error)
{
    json_t *v = json_object_get(json, key);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v) || glv_datetime_parse(json_string_value(v), ms) != 0)
        return refuse(error, key, "is not a DateTime");
    return 1;
}

int glv_timeline_parse(const json_t *json, glv_tzdb *tzdb, bool final, glv_timeline *out,
                       json_t **error)
{
    memset(out, 0, sizeof *out);
    if (error != NULL)
        *error = NULL;
    if (!json_is_object(json))
        return refuse(error, "timeline", "must be an object");
    if (parse_context(json, tzdb, out, error) != 0)
        return -EINVAL;
    json_t *readings = json_object_get(json, "readings");
    if (!json_is_array(readings) || json_array_size(readings) == 0)
        return refuse(error, "readings", "must be a non-empty array");
    if (json_array_size(readings) > MAX_READINGS)
        return refuse(error, "readings", "has more than %d readings", MAX_READINGS);
    out->count = json_array_size(readings);
    out->readings = calloc(out->count, sizeof *out->readings);
    if (out->readings == NULL)
        return -ENOMEM;
    size_t i;
    json_t *r;
    char path[48], field[80];
    json_array_foreach(readings, i, r)
    {
        glv_reading *rd = &out->readings[i];
        snprintf(path, sizeof path, "readings[%zu]", i);
        if (!json_is_object(r)) {
            refuse(error, path, "must be an object");
            goto fail;
        }
        json_t *ts = json_object_get(r, "timestamp");
        if (!json_is_string(ts) || glv_datetime_parse(json_string_value(ts), &rd->t_ms) != 0) {
            snprintf(field, sizeof field, "%s.timestamp", path);
            refuse(error, field, "is required and must be a DateTime");
            goto fail;
        }
        int rc = optional_decimal(r, "meter_wh", 3, path, &rd->meter_mwh, error);
        if (rc < 0)
            goto fail;
        if (rc == 0) {
            snprintf(field, sizeof field, "%s.meter_wh", path);
            refuse(error, field, "is required");
            goto fail;
        }
        if (optional_decimal(r, "power_w", 3, path, &rd->power_mw, error) < 0 ||
            optional_decimal(r, "current_a", 3, path, &rd->current_ma, error) < 0)
            goto fail;
        json_t *st = json_object_get(r, "state");
        if ((st != NULL && !json_is_string(st)) ||
            parse_state(json_string_value(st), &rd->state) != 0) {
            snprintf(field, sizeof field, "%s.state", path);
            refuse(error, field,
                   "must be CHARGING, SUSPENDED_EVSE, SUSPENDED_EV, PARKING or RESERVED");
            goto fail;
        }
    }
    out->final = final;
    int64_t end = out->readings[out->count - 1].t_ms;
    int rc = parse_time_field(json, "end_date_time", &end, error);
    if (rc < 0)
        goto fail;
    if (final && rc == 0) {
        refuse(error, "end_date_time", "is required for a finished session");
        goto fail;
    }
    if (!final && parse_time_field(json, "now", &end, error) < 0)
        goto fail;
    out->end_ms = end;
    if (glv_timeline_check(out, error) != 0)
        goto fail;
    return 0;
fail:
    glv_timeline_clear(out);
    return -EINVAL;
}

int glv_timeline_preview(const json_t *json, glv_tzdb *tzdb, glv_timeline *out, json_t **error)
{
    memset(out, 0, sizeof *out);
    if (error != NULL)
        *error = NULL;
    if (!json_is_object(json))
        return refuse(error, "expected", "must be an object");
    if (parse_context(json, tzdb, out, error) != 0)
        return -EINVAL;
    int64_t start;
    if (parse_time_field(json, "start_date_time", &start, error) != 1)
        return refuse(error, "start_date_time", "is required and must be a DateTime");
    int64_t mwh, mw, charge_ms, park_ms, ma;
    if (optional_decimal(json, "energy_kwh", 6, "", &mwh, error) < 0 ||
        optional_decimal(json, "power_kw", 6, "", &mw, error) < 0 ||
        optional_decimal(json, "charging_duration", 3, "", &charge_ms, error) < 0 ||
        optional_decimal(json, "parking_duration", 3, "", &park_ms, error) < 0 ||
        optional_decimal(json, "current_a", 3, "", &ma, error) < 0)
        return -EINVAL;
    if (park_ms < 0)
        park_ms = 0;
    int known = (mwh >= 0) + (mw >= 0) + (charge_ms >= 0);
    if (known < 2)
        return refuse(error, "energy_kwh",
                      "two of energy_kwh, power_kw and charging_duration are required");
    /* mWh = mW x ms / 3.6e6 */
    if (charge_ms < 0) {
        if (mw == 0)
            return refuse(error, "power_kw", "must be positive to reach energy_kwh");
        charge_ms = (int64_t)(((__int128)mwh * GLV_MS_PER_HOUR + mw - 1) / mw);
    } else if (mwh < 0) {
        mwh = (int64_t)((__int128)mw * charge_ms / GLV_MS_PER_HOUR);
    } else if (mw < 0) {
        mw = charge_ms > 0 ? (int64_t)((__int128)mwh * GLV_MS_PER_HOUR / charge_ms) : 0;
    }
    if (charge_ms > 366LL * 86400000 || park_ms > 366LL * 86400000)
        return refuse(error, "charging_duration", "is longer than a year");
    out->count = 2;
    out->readings = calloc(2, sizeof *out->readings);
    if (out->readings == NULL)
        return -ENOMEM;
    out->readings[0] = (glv_reading){start, 0, mw, ma, GLV_STATE_CHARGING};
    out->readings[1] = (glv_reading){start + charge_ms, mwh, 0, ma,
                                     park_ms > 0 ? GLV_STATE_PARKING : GLV_STATE_CHARGING};
    out->end_ms = start + charge_ms + park_ms;
    out->final = true;
    return 0;
}
