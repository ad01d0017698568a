/*
 * galvani tariff-ocpi — the session timeline the engine prices: meter
 * readings as the transports record them. Each reading's state, power and
 * current hold until the next reading; the energy between two readings is
 * the difference of their meters; the last reading's state holds until the
 * end of the timeline.
 */
#ifndef GLV_TARIFF_TIMELINE_H
#define GLV_TARIFF_TIMELINE_H

#include "tariff_model.h"
#include "tzdb.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_t;

typedef enum glv_session_state {
    GLV_STATE_CHARGING = 0,   /* energy flows, or may: TIME */
    GLV_STATE_SUSPENDED_EVSE, /* the EVSE paused supply, the EV still asks: TIME */
    GLV_STATE_PARKING,        /* the EV does not ask for energy (SUSPENDED_EV): PARKING_TIME */
    GLV_STATE_RESERVED,       /* reserved, before the session: reservation elements */
} glv_session_state;

typedef struct glv_reading {
    int64_t t_ms;       /* UTC, milliseconds since the epoch */
    int64_t meter_mwh;  /* cumulative meter, milliwatt-hours */
    int64_t power_mw;   /* -1 when not measured: the interval's average is used */
    int64_t current_ma; /* sum over phases; -1 when not measured */
    glv_session_state state;
} glv_reading;

typedef struct glv_timeline {
    const glv_tz *tz; /* the location's zone; borrowed */
    int64_t end_ms;   /* end of the session (>= last reading) */
    bool final;       /* a finished session (else: priced so far) */
    bool reservation_expired;
    glv_tariff_type profile; /* NONE: the session has no preference to match */
    size_t count;
    glv_reading *readings;
} glv_timeline;

/* Reads {"time_zone", "readings": [...], "end_date_time", "now",
 * "reservation_expired", "profile_type", "ad_hoc"} (see docs/TARIFFS.md).
 * final: the session is finished (end_date_time required) or running (priced
 * until "now" or the last reading). json: borrowed. Allocates out->readings
 * (free with glv_timeline_clear). Returns 0 or -EINVAL with *error (new)
 * naming the reading and field that is wrong. */
int glv_timeline_parse(const struct json_t *json, glv_tzdb *tzdb, bool final, glv_timeline *out,
                       struct json_t **error);

/* Builds the timeline of an expected session for a price preview from
 * {"start_date_time", "time_zone", "energy_kwh", "power_kw",
 * "charging_duration", "parking_duration", "current_a", "profile_type",
 * "ad_hoc"}: two of energy, power and charging duration. json: borrowed. */
int glv_timeline_preview(const struct json_t *json, glv_tzdb *tzdb, glv_timeline *out,
                         struct json_t **error);

/* Builds the timeline of an OCPI 2.2.1 CDR's charging periods. A period's
 * duration runs to the next period's start (the last to end_date_time);
 * TIME and PARKING_TIME volumes split it into charging then parking, and
 * RESERVATION_TIME marks it reserved. cdr: borrowed; tz: borrowed. */
int glv_timeline_from_cdr(const struct json_t *cdr, const glv_tz *tz, glv_timeline *out,
                          struct json_t **error);

/* Checks order and meters; returns 0 or -EINVAL with *error (new). */
int glv_timeline_check(const glv_timeline *tl, struct json_t **error);

void glv_timeline_clear(glv_timeline *tl);

/* Parses a session profile name: "REGULAR", "CHEAP", "FAST", "GREEN". */
int glv_profile_parse(const char *name, bool ad_hoc, glv_tariff_type *out);

#endif
