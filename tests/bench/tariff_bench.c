/*
 * tariff_bench — sessions priced per second on one core.
 *
 * A realistic tariff (4 elements: day and night energy prices by time of
 * day, a fast-charging price above 22 kW, a flat fee, and daytime parking)
 * and a one-hour session with one meter reading a minute that crosses the
 * 23:00 price change, varies its power across the 22 kW threshold and ends
 * with ten minutes of parking. Prints sessions per second.
 *
 * usage: tariff_bench [seconds]
 */
#include "engine.h"
#include "tariff_service.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const char *const TARIFF =
    "{\"country_code\":\"NL\",\"party_id\":\"GLV\",\"id\":\"bench\",\"currency\":\"EUR\","
    "\"last_updated\":\"2024-01-01T00:00:00Z\",\"elements\":["
    "{\"price_components\":[{\"type\":\"ENERGY\",\"price\":0.59,\"vat\":21,\"step_size\":1}],"
    " \"restrictions\":{\"min_power\":22}},"
    "{\"price_components\":[{\"type\":\"ENERGY\",\"price\":0.39,\"vat\":21,\"step_size\":1},"
    "  {\"type\":\"TIME\",\"price\":0.60,\"vat\":21,\"step_size\":60}],"
    " \"restrictions\":{\"start_time\":\"07:00\",\"end_time\":\"23:00\",\"max_power\":22}},"
    "{\"price_components\":[{\"type\":\"PARKING_TIME\",\"price\":6.00,\"vat\":21,"
    "  \"step_size\":300}],\"restrictions\":{\"start_time\":\"08:00\",\"end_time\":\"23:30\"}},"
    "{\"price_components\":[{\"type\":\"FLAT\",\"price\":0.35,\"vat\":21,\"step_size\":1},"
    "  {\"type\":\"ENERGY\",\"price\":0.29,\"vat\":21,\"step_size\":1},"
    "  {\"type\":\"TIME\",\"price\":0.30,\"vat\":21,\"step_size\":60}]}]}";

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 3.0;
    json_t *error = NULL;
    json_t *tj = json_loads(TARIFF, 0, NULL);
    glv_tariff t;
    if (tj == NULL || glv_tariff_parse(tj, &t, &error) != 0) {
        fprintf(stderr, "tariff_bench: bad tariff\n");
        return 1;
    }
    json_decref(tj);
    glv_tariff_instance *inst = glv_tariff_instance_new(NULL, &error);
    char why[200];
    const glv_tz *tz =
        glv_tzdb_get(glv_tariff_instance_tzdb(inst), "Europe/Amsterdam", why, sizeof why);
    if (tz == NULL) {
        fprintf(stderr, "tariff_bench: %s\n", why);
        return 1;
    }
    /* 2024-03-14 22:30 local (21:30Z), one reading a minute for an hour */
    const int64_t start = 1710451800000LL;
    glv_reading readings[61];
    int64_t meter = 0;
    for (int i = 0; i <= 60; i++) {
        int64_t power_mw = i < 50 ? (i % 10 < 6 ? 30000000 : 11000000) : 0;
        readings[i] = (glv_reading){start + i * 60000LL, meter, power_mw, 48000,
                                    i < 50 ? GLV_STATE_CHARGING : GLV_STATE_PARKING};
        meter += power_mw / 60; /* mWh in one minute */
    }
    glv_timeline tl = {
        .tz = tz, .end_ms = start + 3600000, .final = true, .count = 61, .readings = readings};
    glv_rounding rounding = glv_tariff_instance_rounding(inst, "EUR");
    glv_price_result res = {0};
    if (glv_price(&t, &tl, rounding, &res, &error) != 0) {
        fprintf(stderr, "tariff_bench: pricing failed\n");
        return 1;
    }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    long long n = 0;
    double elapsed = 0;
    volatile int64_t sink = 0;
    do {
        for (int i = 0; i < 1000; i++) {
            glv_price(&t, &tl, rounding, &res, NULL);
            sink += res.totals[GLV_TOTAL_COST].incl_minor;
        }
        n += 1000;
        clock_gettime(CLOCK_MONOTONIC, &b);
        elapsed = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    } while (elapsed < seconds);
    (void)sink; /* read once: the stores above are not dead */
    char buf[40];
    glv_decimal_format(res.totals[GLV_TOTAL_COST].incl_minor, rounding.digits, buf, sizeof buf);
    printf("tariff_bench: %lld sessions in %.2f s: %.0f sessions/s (61 readings, %zu periods, "
           "total %s EUR incl. VAT)\n",
           n, elapsed, (double)n / elapsed, res.nperiods, buf);
    glv_price_result_clear(&res);
    glv_tariff_clear(&t);
    glv_tariff_instance_free(inst);
    return 0;
}
