/*
 * galvani tariff-ocpi — exact money and quantity arithmetic.
 *
 * No binary floating point touches an amount. Inputs are decimals held as
 * scaled integers:
 *   prices      micro-units of the currency (1e-6)        int64
 *   VAT         ten-thousandths of a percent (20% = 200000) int64
 *   energy      milliwatt-hours (1e-6 kWh)                 int64
 *   time        milliseconds                               int64
 * A cost is kept exactly as a 128-bit count of "vatoms", 1/(3.6e19) of a
 * currency unit, a unit in which every product price x quantity (x VAT
 * factor) of the scales above is a whole number. Rounding to the currency's
 * minor unit happens once, on a total, with a configured mode.
 */
#ifndef GLV_TARIFF_MONEY_H
#define GLV_TARIFF_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef __int128 glv_exact; /* an exact amount in vatoms */

#define GLV_PRICE_SCALE 1000000LL /* price units per currency unit */
#define GLV_VAT_SCALE 10000LL     /* VAT units per percent */
#define GLV_MWH_PER_KWH 1000000LL
#define GLV_MS_PER_HOUR 3600000LL

typedef enum glv_rounding_mode {
    GLV_ROUND_HALF_UP = 0, /* ties away from zero */
    GLV_ROUND_HALF_EVEN,   /* ties to the even digit (banker's) */
    GLV_ROUND_HALF_DOWN,   /* ties towards zero */
    GLV_ROUND_UP,          /* away from zero */
    GLV_ROUND_DOWN,        /* towards zero (truncate) */
} glv_rounding_mode;

typedef struct glv_rounding {
    glv_rounding_mode mode;
    int digits; /* decimals kept, 0..6 */
} glv_rounding;

/* Parses a plain decimal ("12", "-0.25", "1.5e2" is refused) into an integer
 * scaled by 10^scale_digits. Returns 0, -ERANGE when it does not fit or has
 * more than scale_digits decimals and round_excess is false, -EINVAL when it
 * is not a decimal. With round_excess, extra decimals are rounded half up. */
int glv_decimal_parse(const char *text, int scale_digits, bool round_excess, int64_t *out);

/* Reads a JSON number (integer or real) as a scaled decimal. A real is read
 * through its shortest 15-significant-digit decimal form, which restores
 * exactly the decimal the JSON text carried for up to 15 significant digits.
 * json: borrowed. Returns 0, -EINVAL (not a number), -ERANGE. */
struct json_t;
int glv_decimal_from_json(const struct json_t *json, int scale_digits, bool round_excess,
                          int64_t *out);

/* Writes a scaled integer as a decimal with exactly `digits` decimals. */
void glv_decimal_format(int64_t value, int digits, char *buf, size_t len);

/* Exact costs (vatoms). */
glv_exact glv_cost_time(int64_t price_u, int64_t ms);
glv_exact glv_cost_energy(int64_t price_u, int64_t mwh);
glv_exact glv_cost_flat(int64_t price_u);
glv_exact glv_cost_with_vat(glv_exact excl, int64_t vat_u); /* vat_u < 0: no VAT given */
glv_exact glv_exact_from_price(int64_t price_u);

/* Rounds an exact amount to minor units (10^-digits) with the given mode. */
int64_t glv_exact_round(glv_exact amount, glv_rounding r);

/* Rounds the division num/den (den > 0) with a mode. */
int64_t glv_div_round(glv_exact num, glv_exact den, glv_rounding_mode mode);

/* Name <-> mode; NULL / -EINVAL for unknown. */
const char *glv_rounding_mode_name(glv_rounding_mode mode);
int glv_rounding_mode_parse(const char *name, glv_rounding_mode *out);

/* ISO 4217: number of minor-unit digits of an active currency code, or -1
 * when the code is unknown. */
int glv_currency_digits(const char *code);

#endif
