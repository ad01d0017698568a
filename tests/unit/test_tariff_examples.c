/*
 * The worked examples of OCPI 2.2.1's tariffs module and of the CDR module's
 * step_size section (release-2.2.1-bugfixes), priced through the "tariff"
 * service. Tariffs are the spec's example tariffs; sessions follow each
 * example's text. Local times are in Europe/Amsterdam (UTC+2 in June 2024).
 */
#include "check_run.h"
#include "tariff_service.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static glv_tariff_instance *instance(int eur_digits)
{
    char cfg[160];
    json_t *error = NULL;
    snprintf(cfg, sizeof cfg,
             "{\"rounding\": {\"mode\": \"HALF_UP\", \"currencies\": {\"EUR\": "
             "{\"digits\": %d}}}}",
             eur_digits);
    json_t *config = json_loads(cfg, 0, NULL);
    glv_tariff_instance *inst = glv_tariff_instance_new(config, &error);
    json_decref(config);
    ck_assert_ptr_nonnull(inst);
    return inst;
}

/* Prices and returns the result (new); fails the test on an error. */
static json_t *price_digits(int digits, const char *tariff_text, const char *timeline_text)
{
    json_error_t jerr;
    json_t *tariff = json_loads(tariff_text, 0, &jerr);
    ck_assert_msg(tariff != NULL, "tariff JSON: %s", jerr.text);
    json_t *timeline = json_loads(timeline_text, 0, &jerr);
    ck_assert_msg(timeline != NULL, "timeline JSON: %s", jerr.text);
    glv_tariff_instance *inst = instance(digits);
    json_t *result = NULL, *error = NULL;
    int rc = glv_tariff_service_vtable.price_session(inst, tariff, NULL, timeline, &result, &error);
    char *why = error != NULL ? json_dumps(error, 0) : NULL;
    ck_assert_msg(rc == 0, "price_session failed: %d %s", rc, why ? why : "");
    free(why);
    json_decref(tariff);
    json_decref(timeline);
    glv_tariff_instance_free(inst);
    return result;
}

static json_t *price(const char *tariff_text, const char *timeline_text)
{
    return price_digits(2, tariff_text, timeline_text);
}

static long long amount(const json_t *result, const char *total, const char *which)
{
    char key[32];
    snprintf(key, sizeof key, "%s_minor", which);
    json_t *v = json_object_get(json_object_get(result, total), key);
    ck_assert_msg(json_is_integer(v), "%s.%s missing", total, key);
    return (long long)json_integer_value(v);
}

static double number(const json_t *result, const char *key)
{
    return json_number_value(json_object_get(result, key));
}

#define ASSERT_COST(res, total, excl, incl)                                                        \
    do {                                                                                           \
        ck_assert_int_eq(amount(res, total, "excl_vat"), excl);                                    \
        ck_assert_int_eq(amount(res, total, "incl_vat"), incl);                                    \
    } while (0)

#define HDR                                                                                        \
    "\"country_code\":\"DE\",\"party_id\":\"ALL\",\"currency\":\"EUR\","                           \
    "\"last_updated\":\"2018-12-18T17:07:11Z\","

static const char *const T8_ENERGY =
    "{" HDR "\"id\":\"8\",\"elements\":[{\"price_components\":[{\"type\":\"ENERGY\","
    "\"price\":0.25,\"vat\":10.0,\"step_size\":1}]}]}";

/* 20 kWh charged in two hours, unplugged at once. */
static const char *const S_20KWH =
    "{\"time_zone\":\"Europe/Amsterdam\",\"end_date_time\":\"2024-06-03T10:00:00Z\","
    "\"readings\":[{\"timestamp\":\"2024-06-03T08:00:00Z\",\"meter_wh\":1000},"
    "{\"timestamp\":\"2024-06-03T10:00:00Z\",\"meter_wh\":21000}]}";

START_TEST(simple_energy)
{
    json_t *r = price(T8_ENERGY, S_20KWH);
    ASSERT_COST(r, "total_cost", 500, 550);
    ASSERT_COST(r, "total_energy_cost", 500, 550);
    ck_assert_double_eq_tol(number(r, "total_energy"), 20.0, 1e-9);
    json_decref(r);
}
END_TEST

static const char *const T9_START =
    "{" HDR "\"id\":\"9\",\"elements\":[{\"price_components\":[{\"type\":\"FLAT\","
    "\"price\":0.50,\"vat\":20.0,\"step_size\":1}]},{\"price_components\":[{\"type\":"
    "\"ENERGY\",\"price\":0.25,\"vat\":10.0,\"step_size\":1}]}]}";

START_TEST(energy_and_start_fee)
{
    json_t *r = price(T9_START, S_20KWH);
    ASSERT_COST(r, "total_cost", 550, 610);
    ASSERT_COST(r, "total_fixed_cost", 50, 60);
    json_decref(r);
}
END_TEST

static const char *const T12_MIN =
    "{" HDR "\"id\":\"12\",\"min_price\":{\"excl_vat\":0.50,\"incl_vat\":0.55},"
    "\"elements\":[{\"price_components\":[{\"type\":\"ENERGY\",\"price\":0.25,\"vat\":10.0,"
    "\"step_size\":1}]}]}";

START_TEST(minimum_price)
{
    json_t *r = price(T12_MIN, S_20KWH);
    ASSERT_COST(r, "total_cost", 500, 550);
    ck_assert(json_is_false(json_object_get(r, "min_price_applied")));
    json_decref(r);
    /* less than 2 kWh: the minimum applies */
    r = price(T12_MIN, "{\"end_date_time\":\"2024-06-03T09:00:00Z\",\"readings\":["
                       "{\"timestamp\":\"2024-06-03T08:00:00Z\",\"meter_wh\":0},"
                       "{\"timestamp\":\"2024-06-03T09:00:00Z\",\"meter_wh\":1500}]}");
    ASSERT_COST(r, "total_cost", 50, 55);
    ASSERT_COST(r, "total_energy_cost", 38, 41); /* 0.375 and 0.4125 */
    ck_assert(json_is_true(json_object_get(r, "min_price_applied")));
    json_decref(r);
}
END_TEST

static const char *const T10_PARKING =
    "{" HDR "\"id\":\"10\",\"elements\":[{\"price_components\":[{\"type\":\"FLAT\","
    "\"price\":0.50,\"vat\":20.0,\"step_size\":1}]},{\"price_components\":[{\"type\":"
    "\"ENERGY\",\"price\":0.25,\"vat\":10.0,\"step_size\":1}]},{\"price_components\":[{"
    "\"type\":\"PARKING_TIME\",\"price\":2.00,\"vat\":20.0,\"step_size\":900}]}]}";

START_TEST(energy_parking_start_fee)
{
    /* 20 kWh, then parked 40 minutes: parking billed as 45 minutes */
    json_t *r = price(T10_PARKING, "{\"end_date_time\":\"2024-06-03T10:40:00Z\",\"readings\":["
                                   "{\"timestamp\":\"2024-06-03T08:00:00Z\",\"meter_wh\":0},"
                                   "{\"timestamp\":\"2024-06-03T10:00:00Z\",\"meter_wh\":20000,"
                                   "\"state\":\"SUSPENDED_EV\"}]}");
    ASSERT_COST(r, "total_cost", 700, 790);
    ASSERT_COST(r, "total_parking_cost", 150, 180);
    ck_assert_double_eq_tol(number(r, "total_parking_time"), 40.0 / 60, 1e-6);
    json_decref(r);
}
END_TEST

static const char *const T6_MAX =
    "{" HDR "\"id\":\"6\",\"max_price\":{\"excl_vat\":10.00,\"incl_vat\":11.00},"
    "\"end_date_time\":\"2019-06-30T23:59:59Z\",\"elements\":[{\"price_components\":[{"
    "\"type\":\"FLAT\",\"price\":0.50,\"vat\":20.0,\"step_size\":1}]},{\"price_components\":[{"
    "\"type\":\"ENERGY\",\"price\":0.25,\"vat\":10.0,\"step_size\":1}]}]}";

START_TEST(maximum_price_and_end_date)
{
    json_t *r = price(T6_MAX, "{\"end_date_time\":\"2019-05-01T12:00:00Z\",\"readings\":["
                              "{\"timestamp\":\"2019-05-01T08:00:00Z\",\"meter_wh\":0},"
                              "{\"timestamp\":\"2019-05-01T12:00:00Z\",\"meter_wh\":50000}]}");
    ASSERT_COST(r, "total_cost", 1000, 1100);
    ck_assert(json_is_true(json_object_get(r, "max_price_applied")));
    json_decref(r);
    r = price(T6_MAX, "{\"end_date_time\":\"2019-05-01T12:00:00Z\",\"readings\":["
                      "{\"timestamp\":\"2019-05-01T08:00:00Z\",\"meter_wh\":0},"
                      "{\"timestamp\":\"2019-05-01T12:00:00Z\",\"meter_wh\":30000}]}");
    ASSERT_COST(r, "total_cost", 800, 885);
    json_decref(r);
}
END_TEST

static const char *const T1_HOUR =
    "{" HDR "\"id\":\"1\",\"elements\":[{\"price_components\":[{\"type\":\"TIME\","
    "\"price\":2.00,\"vat\":10.0,\"step_size\":60}]}]}";

START_TEST(two_euro_per_hour)
{
    json_t *r = price(T1_HOUR, "{\"end_date_time\":\"2024-06-03T10:30:00Z\",\"readings\":["
                               "{\"timestamp\":\"2024-06-03T08:00:00Z\",\"meter_wh\":0},"
                               "{\"timestamp\":\"2024-06-03T10:30:00Z\",\"meter_wh\":30000}]}");
    ASSERT_COST(r, "total_cost", 500, 550);
    ASSERT_COST(r, "total_time_cost", 500, 550);
    json_decref(r);
}
END_TEST

static const char *const T13_PARK =
    "{" HDR "\"id\":\"13\",\"elements\":[{\"price_components\":[{\"type\":\"TIME\","
    "\"price\":3.00,\"vat\":10.0,\"step_size\":60},{\"type\":\"PARKING_TIME\",\"price\":5.00,"
    "\"vat\":20.0,\"step_size\":300}]}]}";

START_TEST(three_per_hour_five_parking)
{
    json_t *r = price(T13_PARK, "{\"end_date_time\":\"2024-06-03T11:12:00Z\",\"readings\":["
                                "{\"timestamp\":\"2024-06-03T08:00:00Z\",\"meter_wh\":0},"
                                "{\"timestamp\":\"2024-06-03T10:30:00Z\",\"meter_wh\":30000,"
                                "\"state\":\"PARKING\"}]}");
    ASSERT_COST(r, "total_cost", 1125, 1275);
    ASSERT_COST(r, "total_time_cost", 750, 825);
    ASSERT_COST(r, "total_parking_cost", 375, 450);
    json_decref(r);
}
END_TEST

START_TEST(ad_hoc_alt_text)
{
    json_t *r = price("{" HDR "\"id\":\"2\",\"type\":\"AD_HOC_PAYMENT\",\"elements\":[{"
                      "\"price_components\":[{\"type\":\"TIME\",\"price\":1.90,\"vat\":5.2,"
                      "\"step_size\":300}]}]}",
                      "{\"ad_hoc\":true,\"end_date_time\":\"2024-06-03T10:30:00Z\","
                      "\"readings\":[{\"timestamp\":\"2024-06-03T08:00:00Z\",\"meter_wh\":0},"
                      "{\"timestamp\":\"2024-06-03T10:30:00Z\",\"meter_wh\":9000}]}");
    ASSERT_COST(r, "total_cost", 475, 500); /* 4.997 incl. VAT rounds to 5.00 */
    json_decref(r);
}
END_TEST

START_TEST(alt_url_step_100wh)
{
    json_t *r = price("{" HDR "\"id\":\"3\",\"type\":\"PROFILE_CHEAP\",\"elements\":[{"
                      "\"price_components\":[{\"type\":\"FLAT\",\"price\":0.50,\"vat\":20.0,"
                      "\"step_size\":1},{\"type\":\"ENERGY\",\"price\":0.25,\"vat\":10.0,"
                      "\"step_size\":100}]}]}",
                      "{\"profile_type\":\"CHEAP\",\"end_date_time\":\"2024-06-03T10:00:00Z\","
                      "\"readings\":[{\"timestamp\":\"2024-06-03T08:00:00Z\",\"meter_wh\":0},"
                      "{\"timestamp\":\"2024-06-03T10:00:00Z\",\"meter_wh\":20450}]}");
    ASSERT_COST(r, "total_energy_cost", 513, 564); /* 20.5 kWh billed */
    ASSERT_COST(r, "total_fixed_cost", 50, 60);
    ASSERT_COST(r, "total_cost", 563, 624);
    ck_assert_double_eq_tol(
        json_number_value(json_object_get(json_object_get(r, "billed"), "energy")), 20.5, 1e-9);
    json_decref(r);
}
END_TEST

static const char *const T4_COMPLEX =
    "{\"country_code\":\"DE\",\"party_id\":\"ALL\",\"id\":\"14\",\"currency\":\"EUR\","
    "\"type\":\"REGULAR\",\"last_updated\":\"2015-06-29T20:39:09Z\",\"elements\":["
    "{\"price_components\":[{\"type\":\"FLAT\",\"price\":2.50,\"vat\":15.0,\"step_size\":1}]},"
    "{\"price_components\":[{\"type\":\"TIME\",\"price\":1.00,\"vat\":20.0,\"step_size\":900}],"
    "\"restrictions\":{\"max_current\":32.00}},"
    "{\"price_components\":[{\"type\":\"TIME\",\"price\":2.00,\"vat\":20.0,\"step_size\":600}],"
    "\"restrictions\":{\"min_current\":32.00,\"day_of_week\":[\"MONDAY\",\"TUESDAY\","
    "\"WEDNESDAY\",\"THURSDAY\",\"FRIDAY\"]}},"
    "{\"price_components\":[{\"type\":\"TIME\",\"price\":1.25,\"vat\":20.0,\"step_size\":600}],"
    "\"restrictions\":{\"min_current\":32.00,\"day_of_week\":[\"SATURDAY\",\"SUNDAY\"]}},"
    "{\"price_components\":[{\"type\":\"PARKING_TIME\",\"price\":5.00,\"vat\":10.0,"
    "\"step_size\":300}],\"restrictions\":{\"start_time\":\"09:00\",\"end_time\":\"18:00\","
    "\"day_of_week\":[\"MONDAY\",\"TUESDAY\",\"WEDNESDAY\",\"THURSDAY\",\"FRIDAY\"]}},"
    "{\"price_components\":[{\"type\":\"PARKING_TIME\",\"price\":6.00,\"vat\":10.0,"
    "\"step_size\":300}],\"restrictions\":{\"start_time\":\"10:00\",\"end_time\":\"17:00\","
    "\"day_of_week\":[\"SATURDAY\"]}}]}";

START_TEST(complex_monday)
{
    /* Monday 09:30 local, 165 minutes at 16 A, then 42 minutes parking. */
    json_t *r = price(T4_COMPLEX,
                      "{\"time_zone\":\"Europe/Amsterdam\",\"profile_type\":\"REGULAR\","
                      "\"end_date_time\":\"2024-06-03T10:57:00Z\",\"readings\":["
                      "{\"timestamp\":\"2024-06-03T07:30:00Z\",\"meter_wh\":0,\"current_a\":16},"
                      "{\"timestamp\":\"2024-06-03T10:15:00Z\",\"meter_wh\":30000,"
                      "\"current_a\":0,\"state\":\"SUSPENDED_EV\"}]}");
    ASSERT_COST(r, "total_cost", 900, 1030);
    ASSERT_COST(r, "total_fixed_cost", 250, 288); /* 2.875 */
    ASSERT_COST(r, "total_time_cost", 275, 330);
    ASSERT_COST(r, "total_parking_cost", 375, 413); /* 4.125 */
    json_decref(r);
    /* with four decimals kept, the spec's unrounded figures appear */
    r = price_digits(4, T4_COMPLEX,
                     "{\"time_zone\":\"Europe/Amsterdam\",\"end_date_time\":"
                     "\"2024-06-03T10:57:00Z\",\"readings\":["
                     "{\"timestamp\":\"2024-06-03T07:30:00Z\",\"meter_wh\":0,\"current_a\":16},"
                     "{\"timestamp\":\"2024-06-03T10:15:00Z\",\"meter_wh\":30000,"
                     "\"current_a\":0,\"state\":\"SUSPENDED_EV\"}]}");
    ASSERT_COST(r, "total_fixed_cost", 25000, 28750);
    ASSERT_COST(r, "total_parking_cost", 37500, 41250);
    ASSERT_COST(r, "total_cost", 90000, 103000);
    json_decref(r);
}
END_TEST

START_TEST(complex_saturday)
{
    /* Saturday 13:30 local, 114 minutes at 43 A, then 71 minutes parking.
     * The spec's table prices the charging time at 2.28 (as if 1.20/h); its
     * own tariff says 1.25/h on weekends above 32 A, so 114 min cost 2.375
     * (2.85 incl. VAT) and the totals are 12.375 / 13.975, not 12.28 /
     * 13.861. We follow the tariff. Parking: 71 min billed as 75 = 7.50. */
    json_t *r = price_digits(4, T4_COMPLEX,
                             "{\"time_zone\":\"Europe/Amsterdam\",\"end_date_time\":"
                             "\"2024-06-08T14:35:00Z\",\"readings\":["
                             "{\"timestamp\":\"2024-06-08T11:30:00Z\",\"meter_wh\":0,"
                             "\"current_a\":43},{\"timestamp\":\"2024-06-08T13:24:00Z\","
                             "\"meter_wh\":40000,\"current_a\":0,\"state\":\"PARKING\"}]}");
    ASSERT_COST(r, "total_time_cost", 23750, 28500);
    ASSERT_COST(r, "total_parking_cost", 75000, 82500);
    ASSERT_COST(r, "total_cost", 123750, 139750);
    json_decref(r);
}
END_TEST

START_TEST(free_of_charge)
{
    json_t *r = price("{" HDR "\"id\":\"5\",\"elements\":[{\"price_components\":[{\"type\":"
                      "\"FLAT\",\"price\":0.00,\"step_size\":0}]}]}",
                      S_20KWH);
    ASSERT_COST(r, "total_cost", 0, 0);
    json_decref(r);
}
END_TEST

/* A reservation made at 08:00, the session starting `minutes` later with
 * 20 kWh; or, with expired, a reservation of `minutes` never used. */
static json_t *reservation(const char *tariff, int minutes, bool expired)
{
    char tl[600];
    int h = 8 + minutes / 60, m = minutes % 60;
    if (expired)
        snprintf(tl, sizeof tl,
                 "{\"reservation_expired\":true,\"end_date_time\":\"2024-06-03T%02d:%02d:00Z\","
                 "\"readings\":[{\"timestamp\":\"2024-06-03T08:00:00Z\",\"meter_wh\":0,"
                 "\"state\":\"RESERVED\"}]}",
                 h, m);
    else
        snprintf(tl, sizeof tl,
                 "{\"end_date_time\":\"2024-06-03T12:00:00Z\",\"readings\":["
                 "{\"timestamp\":\"2024-06-03T08:00:00Z\",\"meter_wh\":0,\"state\":\"RESERVED\"},"
                 "{\"timestamp\":\"2024-06-03T%02d:%02d:00Z\",\"meter_wh\":0},"
                 "{\"timestamp\":\"2024-06-03T12:00:00Z\",\"meter_wh\":20000}]}",
                 h, m);
    return price(tariff, tl);
}

#define RES_TAIL                                                                                   \
    "{\"price_components\":[{\"type\":\"FLAT\",\"price\":0.50,\"vat\":20.0,\"step_size\":1},"      \
    "{\"type\":\"ENERGY\",\"price\":0.25,\"vat\":10.0,\"step_size\":1}]}]}"

START_TEST(reservation_per_hour)
{
    json_t *r = reservation("{" HDR "\"id\":\"15\",\"elements\":[{\"price_components\":[{"
                            "\"type\":\"TIME\",\"price\":5.00,\"vat\":20.0,\"step_size\":60}],"
                            "\"restrictions\":{\"reservation\":\"RESERVATION\"}}," RES_TAIL,
                            15, false);
    ASSERT_COST(r, "total_cost", 675, 760);
    ASSERT_COST(r, "total_reservation_cost", 125, 150);
    ASSERT_COST(r, "total_fixed_cost", 50, 60);
    json_decref(r);
}
END_TEST

START_TEST(reservation_fee_and_time)
{
    json_t *r = reservation("{" HDR "\"id\":\"16\",\"elements\":[{\"price_components\":[{"
                            "\"type\":\"FLAT\",\"price\":2.00,\"vat\":20.0,\"step_size\":1},{"
                            "\"type\":\"TIME\",\"price\":5.00,\"vat\":20.0,\"step_size\":300}],"
                            "\"restrictions\":{\"reservation\":\"RESERVATION\"}}," RES_TAIL,
                            13, false);
    ASSERT_COST(r, "total_cost", 875, 1000);
    ASSERT_COST(r, "total_reservation_cost", 325, 390);
    ASSERT_COST(r, "total_fixed_cost", 50, 60); /* reservation fees are not fixed costs */
    json_decref(r);
}
END_TEST

static const char *const T17 =
    "{" HDR "\"id\":\"17\",\"elements\":[{\"price_components\":[{\"type\":\"FLAT\","
    "\"price\":4.00,\"vat\":20.0,\"step_size\":1}],\"restrictions\":{\"reservation\":"
    "\"RESERVATION_EXPIRES\"}},{\"price_components\":[{\"type\":\"TIME\",\"price\":2.00,"
    "\"vat\":20.0,\"step_size\":600}],\"restrictions\":{\"reservation\":\"RESERVATION\"}}"
    "," RES_TAIL;

START_TEST(reservation_expire_fee)
{
    json_t *r = reservation(T17, 22, false);
    ASSERT_COST(r, "total_cost", 650, 730);
    json_decref(r);
    r = reservation(T17, 60, true);
    ASSERT_COST(r, "total_cost", 600, 720);
    json_decref(r);
}
END_TEST

static const char *const T18 =
    "{" HDR "\"id\":\"18\",\"elements\":[{\"price_components\":[{\"type\":\"TIME\","
    "\"price\":6.00,\"vat\":20.0,\"step_size\":600}],\"restrictions\":{\"reservation\":"
    "\"RESERVATION_EXPIRES\"}},{\"price_components\":[{\"type\":\"TIME\",\"price\":3.00,"
    "\"vat\":20.0,\"step_size\":600}],\"restrictions\":{\"reservation\":\"RESERVATION\"}}"
    "," RES_TAIL;

START_TEST(reservation_expire_time)
{
    json_t *r = reservation(T18, 22, false);
    ASSERT_COST(r, "total_cost", 700, 790);
    json_decref(r);
    r = reservation(T18, 90, true);
    ASSERT_COST(r, "total_cost", 900, 1080);
    json_decref(r);
}
END_TEST

START_TEST(max_power_restriction)
{
    /* 1 kWh at 6 kW, 40 kWh at 48 kW, 0.5 kWh at 4 kW */
    json_t *r = price(
        "{" HDR "\"id\":\"1\",\"elements\":[{\"price_components\":[{\"type\":\"ENERGY\","
        "\"price\":0.20,\"vat\":20.0,\"step_size\":1}],\"restrictions\":{\"max_power\":16.00}},"
        "{\"price_components\":[{\"type\":\"ENERGY\",\"price\":0.35,\"vat\":20.0,\"step_size\":1}"
        "],\"restrictions\":{\"max_power\":32.00}},{\"price_components\":[{\"type\":\"ENERGY\","
        "\"price\":0.50,\"vat\":20.0,\"step_size\":1}]}]}",
        "{\"end_date_time\":\"2024-06-03T09:07:30Z\",\"readings\":["
        "{\"timestamp\":\"2024-06-03T08:00:00Z\",\"meter_wh\":0,\"power_w\":6000},"
        "{\"timestamp\":\"2024-06-03T08:10:00Z\",\"meter_wh\":1000,\"power_w\":48000},"
        "{\"timestamp\":\"2024-06-03T09:00:00Z\",\"meter_wh\":41000,\"power_w\":4000},"
        "{\"timestamp\":\"2024-06-03T09:07:30Z\",\"meter_wh\":41500}]}");
    ck_assert_int_eq(amount(r, "total_cost", "excl_vat"), 2030);
    ck_assert_int_eq(json_array_size(json_object_get(r, "charging_periods")), 3);
    json_decref(r);
}
END_TEST

START_TEST(max_duration_restriction)
{
    /* 5 kWh in the first 30 minutes, 1.2 kWh in the next 10 */
    json_t *r =
        price("{" HDR "\"id\":\"2\",\"type\":\"REGULAR\",\"elements\":[{\"price_components\":[{"
              "\"type\":\"ENERGY\",\"price\":0.00,\"vat\":20.0,\"step_size\":1}],\"restrictions\":{"
              "\"max_duration\":1800}},{\"price_components\":[{\"type\":\"ENERGY\",\"price\":0.25,"
              "\"vat\":20.0,\"step_size\":1}],\"restrictions\":{\"max_duration\":3600}},{"
              "\"price_components\":[{\"type\":\"ENERGY\",\"price\":0.40,\"vat\":20.0,"
              "\"step_size\":1}]}]}",
              "{\"end_date_time\":\"2024-06-03T08:40:00Z\",\"readings\":["
              "{\"timestamp\":\"2024-06-03T08:00:00Z\",\"meter_wh\":0},"
              "{\"timestamp\":\"2024-06-03T08:30:00Z\",\"meter_wh\":5000},"
              "{\"timestamp\":\"2024-06-03T08:40:00Z\",\"meter_wh\":6200}]}");
    ck_assert_int_eq(amount(r, "total_cost", "excl_vat"), 30);
    json_decref(r);
}
END_TEST

static const char *const T14_STEP =
    "{" HDR "\"id\":\"22\",\"elements\":[{\"price_components\":[{\"type\":\"TIME\","
    "\"price\":1.20,\"step_size\":1800},{\"type\":\"PARKING_TIME\",\"price\":1.00,"
    "\"step_size\":900}],\"restrictions\":{\"start_time\":\"00:00\",\"end_time\":\"17:00\"}},"
    "{\"price_components\":[{\"type\":\"TIME\",\"price\":2.40,\"step_size\":900},{\"type\":"
    "\"PARKING_TIME\",\"price\":1.00,\"step_size\":900}],\"restrictions\":{\"start_time\":"
    "\"17:00\",\"end_time\":\"20:00\"}},{\"price_components\":[{\"type\":\"TIME\","
    "\"price\":2.40,\"step_size\":900}],\"restrictions\":{\"start_time\":\"20:00\","
    "\"end_time\":\"00:00\"}}]}";

/* Local Amsterdam times in June: UTC+2. */
static json_t *step_session(const char *start, const char *park, const char *end)
{
    char tl[600];
    snprintf(tl, sizeof tl,
             "{\"time_zone\":\"Europe/Amsterdam\",\"end_date_time\":\"2024-06-03T%sZ\","
             "\"readings\":[{\"timestamp\":\"2024-06-03T%sZ\",\"meter_wh\":0},"
             "{\"timestamp\":\"2024-06-03T%sZ\",\"meter_wh\":3000,\"state\":\"PARKING\"}]}",
             end, start, park);
    return price(T14_STEP, tl);
}

START_TEST(step_switch_element_1)
{
    /* 16:55 charge 10 min, park 2 min: 5 min x 1.20 + 5 min x 2.40 + 15 min x 1.00 */
    json_t *r = step_session("14:55:00", "15:05:00", "15:07:00");
    ck_assert_int_eq(amount(r, "total_cost", "excl_vat"), 55);
    ck_assert_int_eq(amount(r, "total_time_cost", "excl_vat"), 30);
    ck_assert_int_eq(amount(r, "total_parking_cost", "excl_vat"), 25);
    json_decref(r);
}
END_TEST

START_TEST(step_switch_element_2)
{
    /* 16:35 charge 35 min, no parking: billed 45 min, the extra after 17:00 */
    json_t *r = step_session("14:35:00", "15:10:00", "15:10:00");
    ck_assert_int_eq(amount(r, "total_cost", "excl_vat"), 130);
    json_decref(r);
}
END_TEST

START_TEST(step_switch_to_free)
{
    /* 19:40 charge 12 min, park 20 min; parking is free from 20:00: 8 billable
     * minutes rounded to 15 at 1.00/h */
    json_t *r = step_session("17:40:00", "17:52:00", "18:12:00");
    ck_assert_int_eq(amount(r, "total_cost", "excl_vat"), 73);
    ck_assert_int_eq(amount(r, "total_parking_cost", "excl_vat"), 25);
    json_decref(r);
}
END_TEST

static json_t *energy_step(int digits, int step, const char *wh)
{
    char tariff[400], tl[400];
    snprintf(tariff, sizeof tariff,
             "{" HDR "\"id\":\"s\",\"elements\":[{\"price_components\":[{\"type\":\"ENERGY\","
             "\"price\":0.25,\"step_size\":%d}]}]}",
             step);
    snprintf(tl, sizeof tl,
             "{\"end_date_time\":\"2024-06-03T08:10:00Z\",\"readings\":["
             "{\"timestamp\":\"2024-06-03T08:00:00Z\",\"meter_wh\":0},"
             "{\"timestamp\":\"2024-06-03T08:10:00Z\",\"meter_wh\":%s}]}",
             wh);
    return price_digits(digits, tariff, tl);
}

START_TEST(price_component_energy_steps)
{
    /* 115.2 Wh: step 1 bills 116 Wh (0.029), step 25 bills 125 Wh
     * (0.03125, printed 0.031), step 500 bills 500 Wh (0.125) */
    json_t *r = energy_step(3, 1, "115.2");
    ck_assert_int_eq(amount(r, "total_cost", "excl_vat"), 29);
    json_decref(r);
    r = energy_step(5, 25, "115.2");
    ck_assert_int_eq(amount(r, "total_cost", "excl_vat"), 3125);
    json_decref(r);
    r = energy_step(3, 500, "115.2");
    ck_assert_int_eq(amount(r, "total_cost", "excl_vat"), 125);
    json_decref(r);
}
END_TEST

START_TEST(cdr_step_energy_total)
{
    /* 0.20/kWh before 17:00, 0.27 after, step 500 Wh: 4.3 + 1.1 kWh = 5.4,
     * billed 5.5; the extra 0.1 kWh at the later price: 0.86 + 0.324 */
    json_t *r = price_digits(
        3,
        "{" HDR "\"id\":\"e\",\"elements\":[{\"price_components\":[{\"type\":\"ENERGY\","
        "\"price\":0.20,\"step_size\":500}],\"restrictions\":{\"end_time\":\"17:00\"}},"
        "{\"price_components\":[{\"type\":\"ENERGY\",\"price\":0.27,\"step_size\":500}]}]}",
        "{\"time_zone\":\"Europe/Amsterdam\",\"end_date_time\":\"2024-06-03T15:30:00Z\","
        "\"readings\":[{\"timestamp\":\"2024-06-03T14:00:00Z\",\"meter_wh\":0},"
        "{\"timestamp\":\"2024-06-03T15:00:00Z\",\"meter_wh\":4300},"
        "{\"timestamp\":\"2024-06-03T15:30:00Z\",\"meter_wh\":5400}]}");
    ck_assert_int_eq(amount(r, "total_cost", "excl_vat"), 1184);
    json_decref(r);
}
END_TEST

START_TEST(cdr_step_time_total)
{
    /* 5/h before 17:00, 7/h after, step 10 min: 6 + 22 = 28 min, billed 30;
     * 24 minutes after 17:00: 0.50 + 2.80 */
    json_t *r =
        price("{" HDR "\"id\":\"t\",\"elements\":[{\"price_components\":[{\"type\":\"TIME\","
              "\"price\":5.00,\"step_size\":600}],\"restrictions\":{\"end_time\":\"17:00\"}},"
              "{\"price_components\":[{\"type\":\"TIME\",\"price\":7.00,\"step_size\":600}]}]}",
              "{\"time_zone\":\"Europe/Amsterdam\",\"end_date_time\":\"2024-06-03T15:22:00Z\","
              "\"readings\":[{\"timestamp\":\"2024-06-03T14:54:00Z\",\"meter_wh\":0},"
              "{\"timestamp\":\"2024-06-03T15:22:00Z\",\"meter_wh\":5000}]}");
    ck_assert_int_eq(amount(r, "total_cost", "excl_vat"), 330);
    json_decref(r);
}
END_TEST

START_TEST(cdr_step_time_then_parking)
{
    /* 1/h charging, 2/h parking, step 10 min both: 21 min charging stays 21,
     * 16 min parking becomes 20: 0.35 + 0.6667 */
    const char *tariff =
        "{" HDR "\"id\":\"p\",\"elements\":[{\"price_components\":[{\"type\":\"TIME\","
        "\"price\":1.00,\"step_size\":600},{\"type\":\"PARKING_TIME\",\"price\":2.00,"
        "\"step_size\":600}]}]}";
    json_t *r = price_digits(4, tariff,
                             "{\"end_date_time\":\"2024-06-03T08:37:00Z\",\"readings\":["
                             "{\"timestamp\":\"2024-06-03T08:00:00Z\",\"meter_wh\":0},"
                             "{\"timestamp\":\"2024-06-03T08:21:00Z\",\"meter_wh\":7000,"
                             "\"state\":\"PARKING\"}]}");
    ck_assert_int_eq(amount(r, "total_time_cost", "excl_vat"), 3500);
    ck_assert_int_eq(amount(r, "total_parking_cost", "excl_vat"), 6667);
    ck_assert_int_eq(amount(r, "total_cost", "excl_vat"), 10167);
    json_decref(r);
    /* step 5 min both: 21 min charging and 7 min parking billed as 21 and 10 */
    r = price_digits(4,
                     "{" HDR "\"id\":\"p\",\"elements\":[{\"price_components\":[{\"type\":"
                     "\"TIME\",\"price\":1.00,\"step_size\":300},{\"type\":\"PARKING_TIME\","
                     "\"price\":2.00,\"step_size\":300}]}]}",
                     "{\"end_date_time\":\"2024-06-03T08:28:00Z\",\"readings\":["
                     "{\"timestamp\":\"2024-06-03T08:00:00Z\",\"meter_wh\":0},"
                     "{\"timestamp\":\"2024-06-03T08:21:00Z\",\"meter_wh\":7000,"
                     "\"state\":\"PARKING\"}]}");
    ck_assert_int_eq(amount(r, "total_time_cost", "excl_vat"), 3500);
    ck_assert_int_eq(amount(r, "total_parking_cost", "excl_vat"), 3333);
    json_decref(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tariff_examples");
    TCase *tc = tcase_create("spec");
    tcase_add_test(tc, simple_energy);
    tcase_add_test(tc, energy_and_start_fee);
    tcase_add_test(tc, minimum_price);
    tcase_add_test(tc, energy_parking_start_fee);
    tcase_add_test(tc, maximum_price_and_end_date);
    tcase_add_test(tc, two_euro_per_hour);
    tcase_add_test(tc, three_per_hour_five_parking);
    tcase_add_test(tc, ad_hoc_alt_text);
    tcase_add_test(tc, alt_url_step_100wh);
    tcase_add_test(tc, complex_monday);
    tcase_add_test(tc, complex_saturday);
    tcase_add_test(tc, free_of_charge);
    tcase_add_test(tc, reservation_per_hour);
    tcase_add_test(tc, reservation_fee_and_time);
    tcase_add_test(tc, reservation_expire_fee);
    tcase_add_test(tc, reservation_expire_time);
    tcase_add_test(tc, max_power_restriction);
    tcase_add_test(tc, max_duration_restriction);
    tcase_add_test(tc, step_switch_element_1);
    tcase_add_test(tc, step_switch_element_2);
    tcase_add_test(tc, step_switch_to_free);
    tcase_add_test(tc, price_component_energy_steps);
    tcase_add_test(tc, cdr_step_energy_total);
    tcase_add_test(tc, cdr_step_time_total);
    tcase_add_test(tc, cdr_step_time_then_parking);
    suite_add_tcase(s, tc);
    return glv_test_run(s);
}
