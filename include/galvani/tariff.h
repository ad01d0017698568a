/*
 * galvani — the "tariff" service (version 1).
 *
 * A tariff engine plugin (tariff-ocpi) provides it; role plugins price CDRs,
 * running sessions and previews through it. Obtain it with
 *   glv_service s;
 *   host->service_get(p, GLV_TARIFF_SERVICE_NAME, 1, &s);
 *   const glv_tariff_service *tariff = s.vtable;
 * and pass s.instance as the first argument of every function.
 *
 * Tariffs are OCPI Tariff objects. ocpi_version is "2.2.1" (or NULL, the
 * same) or "2.1.1", which is read through an adapter. Amounts in results are
 * in OCPI's Price shape ({"excl_vat", "incl_vat"}), rounded to the currency's
 * minor unit as the provider is configured; each Price also carries the
 * exact rounded amount as integers "excl_vat_minor" / "incl_vat_minor" in
 * units of 10^-digits (see "rounding" in the result).
 *
 * Every function returns 0 on success or a negative errno: -EINVAL for bad
 * input, with *error set to a new object {"field": "...", "message": "..."}
 * naming the offending field ("elements[1].price_components[0].step_size",
 * "readings[7].meter_wh"); -ENOMEM. On failure *result is NULL. Arguments
 * are borrowed; *result and *error are new references the caller releases.
 * Functions run on the loop thread and do not block (they read time zone
 * files once and cache them).
 *
 * Changelog: 1  validate, price_session, price_running, preview.
 */
#ifndef GALVANI_TARIFF_H
#define GALVANI_TARIFF_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GLV_TARIFF_SERVICE_NAME "tariff"
#define GLV_TARIFF_SERVICE_VERSION 1

typedef struct glv_tariff_service {
    uint32_t size; /* sizeof(glv_tariff_service) as the provider was built */

    /* Checks a tariff. error: new on failure, may be NULL. */
    int (*validate)(void *instance, const json_t *tariff, const char *ocpi_version, json_t **error);

    /* Prices a finished session. timeline: {"time_zone", "readings": [{"timestamp",
     * "meter_wh", "power_w"?, "current_a"?, "state"?}], "end_date_time",
     * "reservation_expired"?, "profile_type"?, "ad_hoc"?}. result: new, an
     * object with "charging_periods", "total_cost", "total_fixed_cost",
     * "total_energy", "total_energy_cost", "total_time", "total_time_cost",
     * "total_parking_time", "total_parking_cost", "total_reservation_cost". */
    int (*price_session)(void *instance, const json_t *tariff, const char *ocpi_version,
                         const json_t *timeline, json_t **result, json_t **error);

    /* Prices a running session so far: as price_session, the session ending
     * at the timeline's "now" (or its last reading); "final" is false. */
    int (*price_running)(void *instance, const json_t *tariff, const char *ocpi_version,
                         const json_t *timeline, json_t **result, json_t **error);

    /* Prices an expected session for a driver: {"start_date_time",
     * "time_zone", two of "energy_kwh", "power_kw", "charging_duration"
     * (seconds), "parking_duration"? (seconds), "current_a"?,
     * "profile_type"?, "ad_hoc"?}. result: new, as price_session. */
    int (*preview)(void *instance, const json_t *tariff, const char *ocpi_version,
                   const json_t *expected, json_t **result, json_t **error);
} glv_tariff_service;

#ifdef __cplusplus
}
#endif
#endif
