/*
 * Time zones: the TZif reader against known offsets and transitions, POSIX
 * footer rules beyond the file's table, and pricing across DST changes and
 * midnight in the location's zone.
 */
#include "check_run.h"
#include "datetime.h"
#include "engine.h"
#include "tariff_service.h"
#include "tzdb.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static int64_t at(const char *text)
{
    int64_t ms;
    ck_assert_int_eq(glv_datetime_parse(text, &ms), 0);
    return ms / 1000;
}

static glv_tzdb *db;

static void setup(void)
{
    db = glv_tzdb_new("/usr/share/zoneinfo");
}

static void teardown(void)
{
    glv_tzdb_free(db);
}

static const glv_tz *zone(const char *name)
{
    char why[200];
    const glv_tz *tz = glv_tzdb_get(db, name, why, sizeof why);
    ck_assert_msg(tz != NULL, "%s: %s", name, why);
    return tz;
}

START_TEST(known_offsets)
{
    const glv_tz *ams = zone("Europe/Amsterdam");
    ck_assert_int_eq(glv_tz_offset(ams, at("2024-01-15T12:00:00Z"), NULL), 3600);
    ck_assert_int_eq(glv_tz_offset(ams, at("2024-07-01T12:00:00Z"), NULL), 7200);
    int64_t next;
    ck_assert_int_eq(glv_tz_offset(ams, at("2024-03-31T00:59:59Z"), &next), 3600);
    ck_assert_int_eq(next, at("2024-03-31T01:00:00Z"));
    ck_assert_int_eq(glv_tz_offset(ams, at("2024-03-31T01:00:00Z"), NULL), 7200);
    ck_assert_int_eq(glv_tz_offset(ams, at("2024-10-27T00:59:59Z"), NULL), 7200);
    ck_assert_int_eq(glv_tz_offset(ams, at("2024-10-27T01:00:00Z"), NULL), 3600);
    const glv_tz *ny = zone("America/New_York");
    ck_assert_int_eq(glv_tz_offset(ny, at("2024-03-10T06:59:59Z"), NULL), -5 * 3600);
    ck_assert_int_eq(glv_tz_offset(ny, at("2024-03-10T07:00:00Z"), NULL), -4 * 3600);
    const glv_tz *syd = zone("Australia/Sydney"); /* southern summer */
    ck_assert_int_eq(glv_tz_offset(syd, at("2024-01-15T00:00:00Z"), NULL), 11 * 3600);
    ck_assert_int_eq(glv_tz_offset(syd, at("2024-07-15T00:00:00Z"), NULL), 10 * 3600);
    const glv_tz *kol = zone("Asia/Kolkata");
    ck_assert_int_eq(glv_tz_offset(kol, at("2024-07-15T00:00:00Z"), NULL), 19800);
    /* far beyond any table: the footer rule */
    ck_assert_int_eq(glv_tz_offset(ams, at("2100-07-01T00:00:00Z"), NULL), 7200);
    ck_assert_int_eq(glv_tz_offset(ams, at("2100-01-01T00:00:00Z"), NULL), 3600);
    ck_assert_int_eq(glv_tz_offset(syd, at("2100-01-01T00:00:00Z"), NULL), 11 * 3600);
    ck_assert_int_eq(glv_tz_offset(syd, at("2100-07-01T00:00:00Z"), NULL), 10 * 3600);
}
END_TEST

START_TEST(posix_rules)
{
    char why[200];
    glv_tz *tz = glv_tz_from_rule("EST5EDT,M3.2.0,M11.1.0", why, sizeof why);
    ck_assert_ptr_nonnull(tz);
    int64_t next;
    ck_assert_int_eq(glv_tz_offset(tz, at("2030-03-10T06:59:59Z"), &next), -18000);
    ck_assert_int_eq(next, at("2030-03-10T07:00:00Z"));
    ck_assert_int_eq(glv_tz_offset(tz, at("2030-11-03T05:59:59Z"), NULL), -14400);
    ck_assert_int_eq(glv_tz_offset(tz, at("2030-11-03T06:00:00Z"), NULL), -18000);
    glv_tz_free(tz);
    tz = glv_tz_from_rule("<+0530>-5:30", why, sizeof why);
    ck_assert_ptr_nonnull(tz);
    ck_assert_int_eq(glv_tz_offset(tz, 0, &next), 19800);
    ck_assert(next == INT64_MAX);
    glv_tz_free(tz);
    ck_assert_ptr_null(glv_tz_from_rule("CET-1CEST,M13.5.0,M10.5.0", why, sizeof why));
}
END_TEST

START_TEST(bad_zone_names)
{
    char why[200];
    ck_assert_ptr_null(glv_tzdb_get(db, "../../etc/passwd", why, sizeof why));
    ck_assert_ptr_null(glv_tzdb_get(db, "Mars/Olympus_Mons", why, sizeof why));
    ck_assert_ptr_null(glv_tzdb_get(db, "", why, sizeof why));
    /* the same zone twice is the same cached object */
    ck_assert_ptr_eq(zone("Europe/Berlin"), zone("Europe/Berlin"));
}
END_TEST

/* Time at 1.00/h from 22:00 to 06:00 local, 2.00/h otherwise. */
static const char *const NIGHT =
    "{\"country_code\":\"NL\",\"party_id\":\"GLV\",\"id\":\"n\",\"currency\":\"EUR\","
    "\"last_updated\":\"2024-01-01T00:00:00Z\",\"elements\":["
    "{\"price_components\":[{\"type\":\"TIME\",\"price\":1.00,\"step_size\":1}],"
    "\"restrictions\":{\"start_time\":\"22:00\",\"end_time\":\"06:00\"}},"
    "{\"price_components\":[{\"type\":\"TIME\",\"price\":2.00,\"step_size\":1}]}]}";

static long long time_cost(const char *tariff, const char *start, const char *end)
{
    char tl[400];
    snprintf(tl, sizeof tl,
             "{\"time_zone\":\"Europe/Amsterdam\",\"end_date_time\":\"%s\",\"readings\":["
             "{\"timestamp\":\"%s\",\"meter_wh\":0},{\"timestamp\":\"%s\",\"meter_wh\":1000}]}",
             end, start, end);
    json_t *t = json_loads(tariff, 0, NULL), *s = json_loads(tl, 0, NULL), *res = NULL,
           *error = NULL;
    glv_tariff_instance *inst = glv_tariff_instance_new(NULL, &error);
    ck_assert_int_eq(glv_tariff_service_vtable.price_session(inst, t, NULL, s, &res, &error), 0);
    long long v = json_integer_value(
        json_object_get(json_object_get(res, "total_time_cost"), "excl_vat_minor"));
    json_decref(t);
    json_decref(s);
    json_decref(res);
    glv_tariff_instance_free(inst);
    return v;
}

START_TEST(spring_forward)
{
    /* 23:00 local on 30 March to 07:00 local on 31 March 2024 lasts 7 hours:
     * 02:00 became 03:00. Night 23:00-06:00 is 6 real hours, then 1 day hour. */
    ck_assert_int_eq(time_cost(NIGHT, "2024-03-30T22:00:00Z", "2024-03-31T05:00:00Z"), 800);
}
END_TEST

START_TEST(fall_back)
{
    /* 23:00 local on 26 October to 07:00 local on 27 October 2024 lasts 9
     * hours: 03:00 became 02:00. Night is 8 real hours, then 1 day hour. */
    ck_assert_int_eq(time_cost(NIGHT, "2024-10-26T21:00:00Z", "2024-10-27T06:00:00Z"), 1000);
}
END_TEST

START_TEST(midnight_day_of_week)
{
    /* 3.00/h on Saturdays, 1.00/h otherwise: Saturday 23:00 to Sunday 01:00
     * local (UTC+2 in June) is one Saturday hour and one Sunday hour. */
    const char *tariff =
        "{\"country_code\":\"NL\",\"party_id\":\"GLV\",\"id\":\"d\",\"currency\":\"EUR\","
        "\"last_updated\":\"2024-01-01T00:00:00Z\",\"elements\":["
        "{\"price_components\":[{\"type\":\"TIME\",\"price\":3.00,\"step_size\":1}],"
        "\"restrictions\":{\"day_of_week\":[\"SATURDAY\"]}},"
        "{\"price_components\":[{\"type\":\"TIME\",\"price\":1.00,\"step_size\":1}]}]}";
    ck_assert_int_eq(time_cost(tariff, "2024-06-08T21:00:00Z", "2024-06-08T23:00:00Z"), 400);
    /* end_date is exclusive: valid through 8 June local only */
    const char *dated =
        "{\"country_code\":\"NL\",\"party_id\":\"GLV\",\"id\":\"e\",\"currency\":\"EUR\","
        "\"last_updated\":\"2024-01-01T00:00:00Z\",\"elements\":["
        "{\"price_components\":[{\"type\":\"TIME\",\"price\":3.00,\"step_size\":1}],"
        "\"restrictions\":{\"start_date\":\"2024-06-08\",\"end_date\":\"2024-06-09\"}},"
        "{\"price_components\":[{\"type\":\"TIME\",\"price\":1.00,\"step_size\":1}]}]}";
    ck_assert_int_eq(time_cost(dated, "2024-06-08T21:00:00Z", "2024-06-08T23:00:00Z"), 400);
    /* end_time 00:00 is the end of the day */
    const char *evening =
        "{\"country_code\":\"NL\",\"party_id\":\"GLV\",\"id\":\"f\",\"currency\":\"EUR\","
        "\"last_updated\":\"2024-01-01T00:00:00Z\",\"elements\":["
        "{\"price_components\":[{\"type\":\"TIME\",\"price\":3.00,\"step_size\":1}],"
        "\"restrictions\":{\"start_time\":\"22:00\",\"end_time\":\"00:00\"}},"
        "{\"price_components\":[{\"type\":\"TIME\",\"price\":1.00,\"step_size\":1}]}]}";
    ck_assert_int_eq(time_cost(evening, "2024-06-08T19:30:00Z", "2024-06-08T22:30:00Z"),
                     50 + 600 + 50);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tariff_timezone");
    TCase *tc = tcase_create("tz");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, known_offsets);
    tcase_add_test(tc, posix_rules);
    tcase_add_test(tc, bad_zone_names);
    tcase_add_test(tc, spring_forward);
    tcase_add_test(tc, fall_back);
    tcase_add_test(tc, midnight_day_of_week);
    suite_add_tcase(s, tc);
    return glv_test_run(s);
}
