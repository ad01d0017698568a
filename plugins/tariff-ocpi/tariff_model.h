/*
 * galvani tariff-ocpi — the OCPI 2.2.1 tariff model in exact integers, and
 * its JSON reader with validation.
 */
#ifndef GLV_TARIFF_MODEL_H
#define GLV_TARIFF_MODEL_H

#include "money.h"

#include <stdbool.h>
#include <stdint.h>

struct json_t;

typedef enum glv_dimension {
    GLV_DIM_ENERGY = 0,
    GLV_DIM_FLAT,
    GLV_DIM_TIME,
    GLV_DIM_PARKING_TIME,
    GLV_DIM_COUNT
} glv_dimension;

typedef enum glv_tariff_type {
    GLV_TARIFF_TYPE_NONE = 0, /* omitted: valid for every session */
    GLV_TARIFF_AD_HOC_PAYMENT,
    GLV_TARIFF_PROFILE_CHEAP,
    GLV_TARIFF_PROFILE_FAST,
    GLV_TARIFF_PROFILE_GREEN,
    GLV_TARIFF_REGULAR,
} glv_tariff_type;

typedef enum glv_reservation_kind {
    GLV_RESERVATION_NONE = 0,
    GLV_RESERVATION,         /* RESERVATION */
    GLV_RESERVATION_EXPIRES, /* RESERVATION_EXPIRES */
} glv_reservation_kind;

/* Bits of glv_restrictions.has. */
enum {
    GLV_R_START_TIME = 1u << 0,
    GLV_R_END_TIME = 1u << 1,
    GLV_R_START_DATE = 1u << 2,
    GLV_R_END_DATE = 1u << 3,
    GLV_R_MIN_KWH = 1u << 4,
    GLV_R_MAX_KWH = 1u << 5,
    GLV_R_MIN_CURRENT = 1u << 6,
    GLV_R_MAX_CURRENT = 1u << 7,
    GLV_R_MIN_POWER = 1u << 8,
    GLV_R_MAX_POWER = 1u << 9,
    GLV_R_MIN_DURATION = 1u << 10,
    GLV_R_MAX_DURATION = 1u << 11,
    GLV_R_DAY_OF_WEEK = 1u << 12,
};
#define GLV_R_LOCAL_TIME                                                                           \
    (GLV_R_START_TIME | GLV_R_END_TIME | GLV_R_START_DATE | GLV_R_END_DATE | GLV_R_DAY_OF_WEEK)

typedef struct glv_restrictions {
    uint32_t has;
    int32_t start_time, end_time; /* seconds of the local day; end 00:00 is 86400 */
    int64_t start_date, end_date; /* local day numbers */
    int64_t min_mwh, max_mwh;
    int64_t min_ma, max_ma; /* milliamperes */
    int64_t min_mw, max_mw; /* milliwatts */
    int64_t min_ms, max_ms; /* duration */
    uint8_t days;           /* bit (weekday - 1), Monday = bit 0 */
    glv_reservation_kind reservation;
} glv_restrictions;

typedef struct glv_price_component {
    bool present;
    int64_t price_u; /* micro-units per unit (kWh, hour, session) */
    int64_t vat_u;   /* ten-thousandths of a percent; -1 when omitted */
    int64_t step;    /* Wh or seconds; 1 for FLAT */
} glv_price_component;

typedef struct glv_tariff_element {
    glv_price_component comp[GLV_DIM_COUNT];
    glv_restrictions r;
} glv_tariff_element;

typedef struct glv_price_limit {
    int64_t excl_u;
    int64_t incl_u; /* -1 when omitted */
} glv_price_limit;

typedef struct glv_tariff {
    char id[40];
    char country_code[4];
    char party_id[4];
    char currency[4];
    glv_tariff_type type;
    bool has_min_price, has_max_price;
    glv_price_limit min_price, max_price;
    bool has_start, has_end;
    int64_t start_ms, end_ms;  /* validity */
    uint32_t all_restrictions; /* union of every element's `has` */
    bool has_reservation_elements;
    int32_t boundaries[48]; /* sorted distinct start/end seconds of the day, 0 excluded */
    int nboundaries;
    int nelements;
    glv_tariff_element *elements;
} glv_tariff;

/* Parses and validates an OCPI 2.2.1 Tariff object into *out (elements are
 * allocated; release with glv_tariff_clear). json: borrowed. On failure
 * returns -EINVAL and sets *error (new) to {"field": "elements[1].price_
 * components[0].step_size", "message": "..."} when error is not NULL. */
int glv_tariff_parse(const struct json_t *json, glv_tariff *out, struct json_t **error);
void glv_tariff_clear(glv_tariff *t);

/* Converts an OCPI 2.1.1 Tariff to a 2.2.1 Tariff object. json: borrowed;
 * returns new, or NULL with *error (new) naming the field. country_code and
 * party_id, absent in 2.1.1, are taken from the arguments (may be NULL). */
struct json_t *glv_tariff_from_ocpi211(const struct json_t *json, const char *country_code,
                                       const char *party_id, struct json_t **error);

/* Builds an error object {"field", "message"} (new). */
struct json_t *glv_tariff_error(const char *field, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

const char *glv_dimension_name(glv_dimension d);

#endif
