/* galvani tariff-ocpi — exact decimal arithmetic and rounding. */
#include "money.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* 3.6e19 vatoms per currency unit: 3600 (hour/second) x 1000 (ms) x 1e6
 * (price scale) x 1e6 (VAT factor scale) x 10^... chosen so that all products
 * below are integral. */
static const glv_exact VATOMS_PER_UNIT = (glv_exact)36000000000LL * 1000000000LL;
static const int64_t VAT_FACTOR_ONE = 1000000; /* 100% in VAT units */

int glv_decimal_parse(const char *text, int scale_digits, bool round_excess, int64_t *out)
{
    const char *p = text;
    bool neg = false;
    if (p == NULL || *p == '\0')
        return -EINVAL;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    if (*p < '0' || *p > '9')
        return -EINVAL;
    const int64_t limit = INT64_MAX / 10 - 10;
    int64_t v = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > limit)
            return -ERANGE;
        v = v * 10 + (*p - '0');
    }
    int frac = 0;
    bool round_up = false, first_dropped = true;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (frac < scale_digits) {
                if (v > limit)
                    return -ERANGE;
                v = v * 10 + (*p - '0');
                frac++;
                continue;
            }
            if (*p != '0' && !round_excess)
                return -ERANGE;
            if (first_dropped)
                round_up = *p >= '5';
            first_dropped = false;
        }
    }
    if (*p != '\0')
        return -EINVAL;
    for (; frac < scale_digits; frac++) {
        if (v > limit)
            return -ERANGE;
        v *= 10;
    }
    if (round_up)
        v += 1;
    *out = neg ? -v : v;
    return 0;
}

int glv_decimal_from_json(const json_t *json, int scale_digits, bool round_excess, int64_t *out)
{
    char buf[64];
    if (json_is_integer(json)) {
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(json));
    } else if (json_is_real(json)) {
        double d = json_real_value(json);
        if (d != d || d > 9e15 || d < -9e15)
            return -ERANGE;
        snprintf(buf, sizeof buf, "%.15g", d);
        if (strchr(buf, 'e') != NULL) {
            /* Small magnitudes print in exponent form: rewrite as fixed. */
            snprintf(buf, sizeof buf, "%.*f", scale_digits + 1, d);
            if (!round_excess) {
                size_t n = strlen(buf);
                if (buf[n - 1] != '0')
                    return -ERANGE;
                buf[n - 1] = '\0';
            }
        }
    } else {
        return -EINVAL;
    }
    return glv_decimal_parse(buf, scale_digits, round_excess, out);
}

void glv_decimal_format(int64_t value, int digits, char *buf, size_t len)
{
    uint64_t mag = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
    uint64_t pow = 1;
    for (int i = 0; i < digits; i++)
        pow *= 10;
    if (digits == 0)
        snprintf(buf, len, "%s%llu", value < 0 ? "-" : "", (unsigned long long)mag);
    else
        snprintf(buf, len, "%s%llu.%0*llu", value < 0 ? "-" : "", (unsigned long long)(mag / pow),
                 digits, (unsigned long long)(mag % pow));
}

glv_exact glv_cost_time(int64_t price_u, int64_t ms)
{
    /* price_u * 1e-6 * ms / 3.6e6 currency = price_u * ms * 1e7 vatoms */
    return (glv_exact)price_u * ms * 10000000;
}

glv_exact glv_cost_energy(int64_t price_u, int64_t mwh)
{
    /* price_u * 1e-6 * mwh * 1e-6 currency = price_u * mwh * 3.6e7 vatoms */
    return (glv_exact)price_u * mwh * 36000000;
}

glv_exact glv_cost_flat(int64_t price_u)
{
    return glv_exact_from_price(price_u);
}

glv_exact glv_exact_from_price(int64_t price_u)
{
    /* 1e-6 currency = 3.6e13 vatoms */
    return (glv_exact)price_u * 36000000000000LL;
}

glv_exact glv_cost_with_vat(glv_exact excl, int64_t vat_u)
{
    if (vat_u <= 0)
        return excl;
    /* excl * (1 + vat_u / 1e6): exact because every excl amount is a
     * multiple of 1e7 vatoms and the factor's denominator is 1e6. */
    return excl + excl / VAT_FACTOR_ONE * vat_u;
}

int64_t glv_div_round(glv_exact num, glv_exact den, glv_rounding_mode mode)
{
    bool neg = num < 0;
    glv_exact mag = neg ? -num : num;
    glv_exact q = mag / den, r = mag % den;
    if (r != 0) {
        glv_exact twice = r * 2;
        switch (mode) {
        case GLV_ROUND_HALF_UP:
            q += twice >= den;
            break;
        case GLV_ROUND_HALF_DOWN:
            q += twice > den;
            break;
        case GLV_ROUND_HALF_EVEN:
            q += twice > den || (twice == den && (q & 1) != 0);
            break;
        case GLV_ROUND_UP:
            q += 1;
            break;
        case GLV_ROUND_DOWN:
            break;
        }
    }
    return (int64_t)(neg ? -q : q);
}

int64_t glv_exact_round(glv_exact amount, glv_rounding r)
{
    glv_exact den = VATOMS_PER_UNIT;
    /* amount / VATOMS * 10^digits; dividing the denominator keeps the
     * numerator small (VATOMS is a multiple of 10^6). */
    for (int i = 0; i < r.digits; i++)
        den /= 10;
    return glv_div_round(amount, den, r.mode);
}

static const char *const mode_names[] = {"HALF_UP", "HALF_EVEN", "HALF_DOWN", "UP", "DOWN"};

const char *glv_rounding_mode_name(glv_rounding_mode mode)
{
    if ((unsigned)mode >= sizeof mode_names / sizeof mode_names[0])
        return NULL;
    return mode_names[mode];
}

int glv_rounding_mode_parse(const char *name, glv_rounding_mode *out)
{
    for (size_t i = 0; name != NULL && i < sizeof mode_names / sizeof mode_names[0]; i++) {
        if (strcmp(name, mode_names[i]) == 0) {
            *out = (glv_rounding_mode)i;
            return 0;
        }
    }
    return -EINVAL;
}
