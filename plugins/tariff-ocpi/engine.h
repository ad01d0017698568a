/*
 * galvani tariff-ocpi — the pricing engine: a validated tariff applied to a
 * session timeline, with OCPI 2.2.1 element selection, restrictions that
 * switch mid-session, step_size as the corrected CDR text defines it,
 * min/max price and rounding once per total.
 */
#ifndef GLV_TARIFF_ENGINE_H
#define GLV_TARIFF_ENGINE_H

#include "money.h"
#include "tariff_model.h"
#include "timeline.h"

typedef struct glv_period {
    int64_t start_ms, end_ms;
    glv_session_state state;
    int16_t elem[GLV_DIM_COUNT]; /* element index per dimension, -1 none */
    int64_t energy_mwh, time_ms, parking_ms, reservation_ms; /* measured */
    int64_t billed_energy_mwh, billed_time_ms;               /* with the step_size rounding */
    int64_t min_power_mw, max_power_mw;                      /* -1 unknown */
    int64_t min_current_ma, max_current_ma;                  /* -1 unknown */
    glv_exact excl, incl;                                    /* this period's exact cost */
} glv_period;

typedef struct glv_amount {
    glv_exact excl, incl;           /* exact */
    int64_t excl_minor, incl_minor; /* rounded, in 10^-digits */
} glv_amount;

enum {
    GLV_TOTAL_FIXED,
    GLV_TOTAL_ENERGY,
    GLV_TOTAL_TIME,
    GLV_TOTAL_PARKING,
    GLV_TOTAL_RESERVATION,
    GLV_TOTAL_COST,
    GLV_TOTAL_COUNT
};

typedef struct glv_price_result {
    glv_rounding rounding;
    bool final;
    bool min_price_applied, max_price_applied;
    int64_t start_ms, end_ms;
    int64_t total_energy_mwh;
    int64_t total_time_ms; /* session duration, charging and not, no reservation */
    int64_t total_parking_ms;
    int64_t total_reservation_ms;
    int64_t billed_energy_mwh, billed_time_ms, billed_parking_ms, billed_reservation_ms;
    int16_t flat_elem, reservation_flat_elem;
    glv_amount totals[GLV_TOTAL_COUNT];
    size_t nperiods, cap;
    glv_period *periods; /* owned by the result */
} glv_price_result;

/* Prices tl under t. result: initialise with {0} once and reuse; free with
 * glv_price_result_clear. Returns 0, -EINVAL with *error (new) when the
 * tariff does not apply (validity, type) or the timeline is empty, -ENOMEM. */
int glv_price(const glv_tariff *t, const glv_timeline *tl, glv_rounding rounding,
              glv_price_result *result, struct json_t **error);
void glv_price_result_clear(glv_price_result *r);

/* The result in OCPI's shape (new). tariff: the tariff priced. */
struct json_t *glv_price_result_json(const glv_price_result *r, const glv_tariff *t);

#endif
