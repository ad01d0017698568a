/*
 * Bad input is refused with the field named; the 2.1.1 adapter; the service
 * functions for running sessions and previews; money arithmetic.
 */
#include "check_run.h"
#include "money.h"
#include "tariff_service.h"

#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR                                                                                        \
    "\"country_code\":\"NL\",\"party_id\":\"GLV\",\"id\":\"v\",\"last_updated\":"                  \
    "\"2024-01-01T00:00:00Z\","

/* Validates and returns the field named by the error ("" when accepted). */
static char *refused_field(const char *text, const char *version)
{
    static char field[128];
    json_t *t = json_loads(text, 0, NULL), *error = NULL;
    ck_assert_ptr_nonnull(t);
    int rc = glv_tariff_service_vtable.validate(NULL, t, version, &error);
    field[0] = '\0';
    if (rc != 0) {
        ck_assert_int_eq(rc, -EINVAL);
        ck_assert_ptr_nonnull(error);
        ck_assert_ptr_nonnull(json_string_value(json_object_get(error, "message")));
        snprintf(field, sizeof field, "%s",
                 json_string_value(json_object_get(error, "field")) ?: "");
    }
    json_decref(error);
    json_decref(t);
    return field;
}

START_TEST(tariff_errors_name_the_field)
{
    ck_assert_str_eq(refused_field("{" HDR "\"currency\":\"EUR\",\"elements\":[{\"price_"
                                   "components\":[{\"type\":\"ENERGY\",\"price\":0.2,"
                                   "\"step_size\":1}]}]}",
                                   NULL),
                     "");
    ck_assert_str_eq(refused_field("{" HDR "\"currency\":\"EUR\",\"elements\":[{\"price_"
                                   "components\":[{\"type\":\"KWH\",\"price\":0.2,"
                                   "\"step_size\":1}]}]}",
                                   NULL),
                     "elements[0].price_components[0].type");
    ck_assert_str_eq(refused_field("{" HDR "\"currency\":\"EUR\",\"elements\":[{\"price_"
                                   "components\":[{\"type\":\"FLAT\",\"price\":1,\"step_size\":1}"
                                   "]},{\"price_components\":[{\"type\":\"TIME\",\"price\":2,"
                                   "\"step_size\":-60}]}]}",
                                   NULL),
                     "elements[1].price_components[0].step_size");
    ck_assert_str_eq(refused_field("{" HDR "\"currency\":\"EUR\",\"elements\":[{\"price_"
                                   "components\":[{\"type\":\"TIME\",\"price\":2,\"step_size\":1}"
                                   "],\"restrictions\":{\"min_kwh\":50,\"max_kwh\":20}}]}",
                                   NULL),
                     "elements[0].restrictions.min_kwh");
    ck_assert_str_eq(refused_field("{" HDR "\"currency\":\"EUR\",\"elements\":[{\"price_"
                                   "components\":[{\"type\":\"TIME\",\"price\":2,\"step_size\":1}"
                                   "],\"restrictions\":{\"min_power\":50,\"max_power\":20}}]}",
                                   NULL),
                     "elements[0].restrictions.min_power");
    ck_assert_str_eq(refused_field("{" HDR "\"currency\":\"EUX\",\"elements\":[{\"price_"
                                   "components\":[{\"type\":\"TIME\",\"price\":2,\"step_size\":1}"
                                   "]}]}",
                                   NULL),
                     "currency");
    ck_assert_str_eq(refused_field("{" HDR "\"currency\":\"EUR\",\"elements\":[{\"price_"
                                   "components\":[{\"type\":\"TIME\",\"price\":-2,\"step_size\":1}"
                                   "]}]}",
                                   NULL),
                     "elements[0].price_components[0].price");
    ck_assert_str_eq(refused_field("{" HDR "\"currency\":\"EUR\",\"elements\":[{\"price_"
                                   "components\":[{\"type\":\"TIME\",\"price\":2,\"step_size\":1}"
                                   "],\"restrictions\":{\"start_time\":\"25:00\"}}]}",
                                   NULL),
                     "elements[0].restrictions.start_time");
    ck_assert_str_eq(refused_field("{" HDR "\"currency\":\"EUR\",\"elements\":[{\"price_"
                                   "components\":[{\"type\":\"TIME\",\"price\":2,\"step_size\":1}"
                                   "],\"restrictions\":{\"day_of_week\":[\"FUNDAY\"]}}]}",
                                   NULL),
                     "elements[0].restrictions.day_of_week[0]");
    ck_assert_str_eq(refused_field("{" HDR "\"currency\":\"EUR\",\"min_price\":{\"excl_vat\":"
                                   "5},\"max_price\":{\"excl_vat\":4},\"elements\":[{\"price_"
                                   "components\":[{\"type\":\"TIME\",\"price\":2,\"step_size\":1}"
                                   "]}]}",
                                   NULL),
                     "min_price.excl_vat");
    ck_assert_str_eq(refused_field("{" HDR "\"currency\":\"EUR\",\"elements\":[]}", NULL),
                     "elements");
    ck_assert_str_eq(refused_field("{" HDR "\"currency\":\"EUR\",\"elements\":[{\"price_"
                                   "components\":[{\"type\":\"ENERGY\",\"price\":2,\"step_size\":"
                                   "1}],\"restrictions\":{\"reservation\":\"RESERVATION\"}}]}",
                                   NULL),
                     "elements[0].price_components");
    ck_assert_str_eq(refused_field("{" HDR "\"currency\":\"EUR\",\"type\":\"CHEAPEST\","
                                   "\"elements\":[{\"price_components\":[{\"type\":\"TIME\","
                                   "\"price\":2,\"step_size\":1}]}]}",
                                   NULL),
                     "type");
}
END_TEST

START_TEST(ocpi211_adapter)
{
    const char *t211 = "{\"id\":\"11\",\"currency\":\"EUR\",\"last_updated\":\"2017-01-01T00:00:"
                       "00Z\",\"elements\":[{\"price_components\":[{\"type\":\"ENERGY\","
                       "\"price\":0.30,\"step_size\":1}],\"restrictions\":{\"max_power\":"
                       "22}}]}";
    ck_assert_str_eq(refused_field(t211, "2.1.1"), "");
    ck_assert_str_eq(refused_field("{\"id\":\"11\",\"currency\":\"EUR\",\"last_updated\":\"2017-"
                                   "01-01T00:00:00Z\",\"elements\":[{\"price_components\":[{"
                                   "\"type\":\"ENERGY\",\"price\":0.30,\"vat\":21,\"step_size\":"
                                   "1}]}]}",
                                   "2.1.1"),
                     "elements[0].price_components[0].vat");
    ck_assert_str_eq(refused_field("{\"id\":\"11\",\"currency\":\"EUR\",\"last_updated\":\"2017-"
                                   "01-01T00:00:00Z\",\"elements\":[{\"price_components\":[{"
                                   "\"type\":\"ENERGY\",\"price\":0.30,\"step_size\":1}],"
                                   "\"restrictions\":{\"max_current\":16}}]}",
                                   "2.1.1"),
                     "elements[0].restrictions.max_current");
    ck_assert_str_eq(refused_field(t211, "1.9"), "ocpi_version");
    /* priced: no VAT in 2.1.1, so incl. equals excl. */
    json_t *t = json_loads(t211, 0, NULL), *res = NULL, *error = NULL;
    json_t *tl = json_loads("{\"end_date_time\":\"2024-06-03T10:00:00Z\",\"readings\":["
                            "{\"timestamp\":\"2024-06-03T08:00:00Z\",\"meter_wh\":0},"
                            "{\"timestamp\":\"2024-06-03T10:00:00Z\",\"meter_wh\":10000}]}",
                            0, NULL);
    glv_tariff_instance *inst = glv_tariff_instance_new(NULL, &error);
    ck_assert_int_eq(glv_tariff_service_vtable.price_session(inst, t, "2.1.1", tl, &res, &error),
                     0);
    json_t *total = json_object_get(res, "total_cost");
    ck_assert_int_eq(json_integer_value(json_object_get(total, "excl_vat_minor")), 300);
    ck_assert_int_eq(json_integer_value(json_object_get(total, "incl_vat_minor")), 300);
    json_decref(res);
    json_decref(tl);
    json_decref(t);
    glv_tariff_instance_free(inst);
}
END_TEST

static const char *const ENERGY_TARIFF =
    "{" HDR "\"currency\":\"EUR\",\"type\":\"REGULAR\",\"start_date_time\":\"2024-01-01T00:00:"
    "00Z\",\"elements\":[{\"price_components\":[{\"type\":\"ENERGY\",\"price\":0.30,"
    "\"vat\":21,\"step_size\":1},{\"type\":\"PARKING_TIME\",\"price\":6.00,\"vat\":21,"
    "\"step_size\":60}]}]}";

/* Prices a timeline; returns the rc and the error's field in *field. */
static int try_price(const char *timeline, bool running, json_t **res, char *field, size_t len)
{
    json_t *t = json_loads(ENERGY_TARIFF, 0, NULL), *error = NULL;
    json_t *tl = json_loads(timeline, 0, NULL);
    ck_assert_ptr_nonnull(tl);
    glv_tariff_instance *inst = glv_tariff_instance_new(NULL, &error);
    int rc = running ? glv_tariff_service_vtable.price_running(inst, t, NULL, tl, res, &error)
                     : glv_tariff_service_vtable.price_session(inst, t, NULL, tl, res, &error);
    snprintf(field, len, "%s", json_string_value(json_object_get(error, "field")) ?: "");
    if (rc != 0)
        ck_assert_ptr_null(*res);
    json_decref(error);
    json_decref(tl);
    json_decref(t);
    glv_tariff_instance_free(inst);
    return rc;
}

START_TEST(timeline_errors_name_the_reading)
{
    char field[128];
    json_t *res = NULL;
    ck_assert_int_eq(try_price("{\"end_date_time\":\"2024-06-03T10:00:00Z\",\"readings\":["
                               "{\"timestamp\":\"2024-06-03T08:00:00Z\",\"meter_wh\":0},"
                               "{\"timestamp\":\"2024-06-03T09:00:00Z\",\"meter_wh\":500},"
                               "{\"timestamp\":\"2024-06-03T08:30:00Z\",\"meter_wh\":900}]}",
                               false, &res, field, sizeof field),
                     -EINVAL);
    ck_assert_str_eq(field, "readings[2].timestamp");
    ck_assert_int_eq(try_price("{\"end_date_time\":\"2024-06-03T10:00:00Z\",\"readings\":["
                               "{\"timestamp\":\"2024-06-03T08:00:00Z\",\"meter_wh\":1000},"
                               "{\"timestamp\":\"2024-06-03T09:00:00Z\",\"meter_wh\":900}]}",
                               false, &res, field, sizeof field),
                     -EINVAL);
    ck_assert_str_eq(field, "readings[1].meter_wh");
    ck_assert_int_eq(try_price("{\"readings\":[{\"timestamp\":\"2024-06-03T08:00:00Z\","
                               "\"meter_wh\":0}]}",
                               false, &res, field, sizeof field),
                     -EINVAL);
    ck_assert_str_eq(field, "end_date_time");
    ck_assert_int_eq(try_price("{\"end_date_time\":\"2024-06-03T10:00:00Z\",\"readings\":["
                               "{\"timestamp\":\"2024-06-03T08:00:00Z\",\"meter_wh\":0,"
                               "\"state\":\"FLYING\"}]}",
                               false, &res, field, sizeof field),
                     -EINVAL);
    ck_assert_str_eq(field, "readings[0].state");
    ck_assert_int_eq(try_price("{\"time_zone\":\"Nowhere/Town\",\"end_date_time\":\"2024-06-03T"
                               "10:00:00Z\",\"readings\":[{\"timestamp\":\"2024-06-03T08:00:00Z"
                               "\",\"meter_wh\":0}]}",
                               false, &res, field, sizeof field),
                     -EINVAL);
    ck_assert_str_eq(field, "time_zone");
    /* tariff validity and type */
    ck_assert_int_eq(try_price("{\"end_date_time\":\"2023-06-03T10:00:00Z\",\"readings\":["
                               "{\"timestamp\":\"2023-06-03T08:00:00Z\",\"meter_wh\":0}]}",
                               false, &res, field, sizeof field),
                     -EINVAL);
    ck_assert_str_eq(field, "start_date_time");
    ck_assert_int_eq(try_price("{\"profile_type\":\"FAST\",\"end_date_time\":\"2024-06-03T10:00:"
                               "00Z\",\"readings\":[{\"timestamp\":\"2024-06-03T08:00:00Z\","
                               "\"meter_wh\":0}]}",
                               false, &res, field, sizeof field),
                     -EINVAL);
    ck_assert_str_eq(field, "type");
}
END_TEST

START_TEST(running_session_and_preview)
{
    char field[128];
    json_t *res = NULL;
    /* running: priced until "now", parking so far included */
    ck_assert_int_eq(try_price("{\"now\":\"2024-06-03T09:30:00Z\",\"readings\":["
                               "{\"timestamp\":\"2024-06-03T08:00:00Z\",\"meter_wh\":0},"
                               "{\"timestamp\":\"2024-06-03T09:00:00Z\",\"meter_wh\":10000,"
                               "\"state\":\"SUSPENDED_EV\"}]}",
                               true, &res, field, sizeof field),
                     0);
    ck_assert(json_is_false(json_object_get(res, "final")));
    json_t *total = json_object_get(res, "total_cost");
    ck_assert_int_eq(json_integer_value(json_object_get(total, "excl_vat_minor")), 600);
    ck_assert_int_eq(json_integer_value(json_object_get(total, "incl_vat_minor")), 726);
    json_decref(res);
    /* preview: 30 kWh at 11 kW, then 20 minutes parked */
    json_t *t = json_loads(ENERGY_TARIFF, 0, NULL), *error = NULL;
    json_t *exp = json_pack("{s:s, s:s, s:i, s:i, s:i}", "start_date_time", "2024-06-03T08:00:00Z",
                            "time_zone", "Europe/Amsterdam", "energy_kwh", 30, "power_kw", 11,
                            "parking_duration", 1200);
    glv_tariff_instance *inst = glv_tariff_instance_new(NULL, &error);
    res = NULL;
    ck_assert_int_eq(glv_tariff_service_vtable.preview(inst, t, NULL, exp, &res, &error), 0);
    total = json_object_get(res, "total_cost");
    ck_assert_int_eq(json_integer_value(json_object_get(total, "excl_vat_minor")), 900 + 200);
    ck_assert_double_eq_tol(json_number_value(json_object_get(res, "total_energy")), 30, 1e-9);
    json_decref(res);
    json_decref(exp);
    /* a preview needs two of energy, power and duration */
    exp = json_pack("{s:s, s:i}", "start_date_time", "2024-06-03T08:00:00Z", "energy_kwh", 30);
    res = NULL;
    ck_assert_int_eq(glv_tariff_service_vtable.preview(inst, t, NULL, exp, &res, &error), -EINVAL);
    ck_assert_ptr_null(res);
    json_decref(error);
    json_decref(exp);
    json_decref(t);
    glv_tariff_instance_free(inst);
}
END_TEST

START_TEST(money_rounding)
{
    int64_t v;
    ck_assert_int_eq(glv_decimal_parse("0.25", 6, false, &v), 0);
    ck_assert_int_eq(v, 250000);
    ck_assert_int_eq(glv_decimal_parse("0.1234567", 6, false, &v), -ERANGE);
    ck_assert_int_eq(glv_decimal_parse("0.1234567", 6, true, &v), 0);
    ck_assert_int_eq(v, 123457);
    ck_assert_int_eq(glv_decimal_parse("1e3", 6, false, &v), -EINVAL);
    json_t *real = json_real(0.1);
    ck_assert_int_eq(glv_decimal_from_json(real, 6, false, &v), 0);
    ck_assert_int_eq(v, 100000);
    json_decref(real);
    /* 0.125 and 0.135 at two digits under each mode */
    glv_exact e125 = glv_exact_from_price(125000), e135 = glv_exact_from_price(135000);
    struct {
        glv_rounding_mode mode;
        int64_t r125, r135;
    } cases[] = {{GLV_ROUND_HALF_UP, 13, 14},
                 {GLV_ROUND_HALF_EVEN, 12, 14},
                 {GLV_ROUND_HALF_DOWN, 12, 13},
                 {GLV_ROUND_UP, 13, 14},
                 {GLV_ROUND_DOWN, 12, 13}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        glv_rounding r = {cases[i].mode, 2};
        ck_assert_int_eq(glv_exact_round(e125, r), cases[i].r125);
        ck_assert_int_eq(glv_exact_round(e135, r), cases[i].r135);
    }
    /* 1 second at 1.00/h is 1/3600: exact, and rounds to 0.0003 */
    glv_rounding four = {GLV_ROUND_HALF_UP, 4};
    ck_assert_int_eq(glv_exact_round(glv_cost_time(1000000, 1000), four), 3);
    ck_assert_int_eq(glv_exact_round(glv_cost_time(1000000, 3600 * 1000) * 3, four), 30000);
    ck_assert_int_eq(glv_currency_digits("JPY"), 0);
    ck_assert_int_eq(glv_currency_digits("KWD"), 3);
    ck_assert_int_eq(glv_currency_digits("EUR"), 2);
    ck_assert_int_eq(glv_currency_digits("XYZ"), -1);
    char buf[32];
    glv_decimal_format(-1234, 2, buf, sizeof buf);
    ck_assert_str_eq(buf, "-12.34");
}
END_TEST

START_TEST(rounding_config)
{
    json_t *error = NULL;
    json_t *cfg = json_loads("{\"rounding\":{\"mode\":\"HALF_EVEN\",\"currencies\":{\"CHF\":{"
                             "\"mode\":\"UP\",\"digits\":1}}}}",
                             0, NULL);
    glv_tariff_instance *inst = glv_tariff_instance_new(cfg, &error);
    ck_assert_ptr_nonnull(inst);
    glv_rounding r = glv_tariff_instance_rounding(inst, "CHF");
    ck_assert_int_eq(r.mode, GLV_ROUND_UP);
    ck_assert_int_eq(r.digits, 1);
    r = glv_tariff_instance_rounding(inst, "JPY");
    ck_assert_int_eq(r.mode, GLV_ROUND_HALF_EVEN);
    ck_assert_int_eq(r.digits, 0);
    glv_tariff_instance_free(inst);
    json_decref(cfg);
    cfg = json_loads("{\"rounding\":{\"currencies\":{\"ABC\":{\"digits\":2}}}}", 0, NULL);
    ck_assert_ptr_null(glv_tariff_instance_new(cfg, &error));
    ck_assert_str_eq(json_string_value(json_object_get(error, "field")), "rounding.currencies.ABC");
    json_decref(error);
    json_decref(cfg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tariff_validation");
    TCase *tc = tcase_create("input");
    tcase_add_test(tc, tariff_errors_name_the_field);
    tcase_add_test(tc, ocpi211_adapter);
    tcase_add_test(tc, timeline_errors_name_the_reading);
    tcase_add_test(tc, running_session_and_preview);
    tcase_add_test(tc, money_rounding);
    tcase_add_test(tc, rounding_config);
    suite_add_tcase(s, tc);
    return glv_test_run(s);
}
