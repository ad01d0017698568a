/* RFC 3339 timestamps for OCPP 1.6: strict and lenient parsing, formatting. */
#include "check_run.h"
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ocpp16_time.h"

static int parse(const char *s, int64_t *ms)
{
    return glv_ocpp16_time_parse(s, strlen(s), ms);
}

START_TEST(parses_strict_forms)
{
    int64_t ms = -1;
    ck_assert_int_eq(parse("1970-01-01T00:00:00Z", &ms), 0);
    ck_assert_int_eq(ms, 0);
    ck_assert_int_eq(parse("2024-05-01T12:30:00.000Z", &ms), 0);
    ck_assert_int_eq(ms, 1714566600000LL);
    ck_assert_int_eq(parse("2024-05-01T14:30:00.5+02:00", &ms), 0);
    ck_assert_int_eq(ms, 1714566600500LL);
    ck_assert_int_eq(parse("2024-05-01t07:00:00.12-05:30", &ms), 0);
    ck_assert_int_eq(ms, 1714566600120LL);
    ck_assert_int_eq(parse("2024-02-29T23:59:59.999z", &ms), 0);
    ck_assert_int_eq(ms, 1709251199999LL);
    ck_assert_int_eq(parse("1969-12-31T23:59:59Z", &ms), 0);
    ck_assert_int_eq(ms, -1000);
    ck_assert_int_eq(parse("2000-02-29T00:00:00Z", &ms), 0);
    ck_assert_int_eq(ms, 951782400000LL);
    /* a leap second runs into the next minute */
    ck_assert_int_eq(parse("2016-12-31T23:59:60Z", &ms), 0);
    ck_assert_int_eq(ms, 1483228800000LL);
    ck_assert_int_eq(parse("0001-01-01T00:00:00Z", &ms), 0);
    ck_assert_int_eq(ms, -62135596800000LL);
}
END_TEST

START_TEST(rejects_invalid_text)
{
    static const char *const bad[] = {
        "",
        "2024-05-01",
        "2024-05-01T12:30:00",       /* no zone */
        "2024-05-01 12:30:00Z",      /* space */
        "2024-05-01T12:30:00.1234Z", /* 4 fraction digits */
        "2024-05-01T12:30:00+0200",  /* compact offset */
        "2024-05-01T12:30:00.Z",     /* empty fraction */
        "2024-13-01T12:30:00Z",      /* month */
        "2024-00-01T12:30:00Z",
        "2023-02-29T12:30:00Z", /* not a leap year */
        "1900-02-29T12:30:00Z", /* not a leap year */
        "2024-04-31T12:30:00Z", /* April has 30 days */
        "2024-05-00T12:30:00Z",
        "2024-05-01T24:00:00Z",
        "2024-05-01T12:60:00Z",
        "2024-05-01T12:30:61Z",
        "2024-05-01T12:30:00+24:00",
        "2024-05-01T12:30:00+02:60",
        "2024-05-01T12:30:00Zjunk",
        "2024-05-01T12:30:00+02:00junk",
        "0000-01-01T00:00:00Z",
        "+2024-05-01T12:30:00Z",
        "2024/05/01T12:30:00Z",
        "2024-05-01T12-30-00Z",
        "2024-5-01T12:30:00Z",
        " 2024-05-01T12:30:00Z",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t ms = 42;
        ck_assert_msg(parse(bad[i], &ms) == -EINVAL, "accepted '%s'", bad[i]);
        ck_assert_int_eq(ms, 42);
    }
    int64_t ms;
    ck_assert_int_eq(glv_ocpp16_time_parse(NULL, 0, &ms), -EINVAL);
    /* the length is honoured: the text need not be NUL-terminated */
    ck_assert_int_eq(glv_ocpp16_time_parse("2024-05-01T12:30:00Zxyz", 20, &ms), 0);
}
END_TEST

START_TEST(lenient_quirks)
{
    static const struct {
        const char *text;
        int64_t ms;
        unsigned quirks;
    } cases[] = {
        {"2024-05-01T12:30:00.000Z", 1714566600000LL, 0},
        {"2024-05-01T12:30:00", 1714566600000LL, GLV_OCPP16_TIME_QUIRK_NO_ZONE},
        {"2024-05-01 12:30:00Z", 1714566600000LL, GLV_OCPP16_TIME_QUIRK_SPACE},
        {"2024-05-01T12:30:00.123456789Z", 1714566600123LL, GLV_OCPP16_TIME_QUIRK_LONG_FRACTION},
        {"2024-05-01T14:30:00+0200", 1714566600000LL, GLV_OCPP16_TIME_QUIRK_COMPACT_OFFSET},
        {"2024-05-01 12:30:00.9999", 1714566600999LL,
         GLV_OCPP16_TIME_QUIRK_NO_ZONE | GLV_OCPP16_TIME_QUIRK_SPACE |
             GLV_OCPP16_TIME_QUIRK_LONG_FRACTION},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t ms = 0;
        unsigned quirks = 99;
        ck_assert_int_eq(
            glv_ocpp16_time_parse_lenient(cases[i].text, strlen(cases[i].text), &ms, &quirks), 0);
        ck_assert_int_eq(ms, cases[i].ms);
        ck_assert_uint_eq(quirks, cases[i].quirks);
    }
    int64_t ms;
    unsigned quirks;
    const char *still_bad = "2024-02-30 12:30:00";
    ck_assert_int_eq(glv_ocpp16_time_parse_lenient(still_bad, strlen(still_bad), &ms, &quirks),
                     -EINVAL);
    ck_assert_str_eq(glv_ocpp16_time_quirk_text(GLV_OCPP16_TIME_QUIRK_NO_ZONE),
                     "timestamp without time zone, taken as UTC");
}
END_TEST

START_TEST(formats_utc_milliseconds)
{
    char buf[GLV_OCPP16_TIME_LEN + 1];
    ck_assert_int_eq(glv_ocpp16_time_format(0, buf), GLV_OCPP16_TIME_LEN);
    ck_assert_str_eq(buf, "1970-01-01T00:00:00.000Z");
    ck_assert_int_eq(glv_ocpp16_time_format(1714566600123LL, buf), GLV_OCPP16_TIME_LEN);
    ck_assert_str_eq(buf, "2024-05-01T12:30:00.123Z");
    ck_assert_int_eq(glv_ocpp16_time_format(-1, buf), GLV_OCPP16_TIME_LEN);
    ck_assert_str_eq(buf, "1969-12-31T23:59:59.999Z");
    ck_assert_int_eq(glv_ocpp16_time_format(951868799999LL, buf), GLV_OCPP16_TIME_LEN);
    ck_assert_str_eq(buf, "2000-02-29T23:59:59.999Z");
    ck_assert_int_eq(glv_ocpp16_time_format(-62135596800000LL, buf), GLV_OCPP16_TIME_LEN);
    ck_assert_str_eq(buf, "0001-01-01T00:00:00.000Z");
    ck_assert_int_eq(glv_ocpp16_time_format(253402300799999LL, buf), GLV_OCPP16_TIME_LEN);
    ck_assert_str_eq(buf, "9999-12-31T23:59:59.999Z");
    ck_assert_int_eq(glv_ocpp16_time_format(253402300800000LL, buf), -ERANGE);
    ck_assert_int_eq(glv_ocpp16_time_format(-62135596800001LL, buf), -ERANGE);
}
END_TEST

/* Format then parse gives the same instant, across leap years and centuries. */
START_TEST(round_trip)
{
    char buf[GLV_OCPP16_TIME_LEN + 1];
    const int64_t step = 86400000LL * 97 + 3600000LL * 5 + 60000LL * 7 + 1234;
    for (int64_t ms = -62135596800000LL; ms < 253402300799999LL; ms += step) {
        ck_assert_int_eq(glv_ocpp16_time_format(ms, buf), GLV_OCPP16_TIME_LEN);
        int64_t back = 0;
        ck_assert_msg(glv_ocpp16_time_parse(buf, GLV_OCPP16_TIME_LEN, &back) == 0, "%s", buf);
        ck_assert_int_eq(back, ms);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ocpp16_time");
    TCase *tc = tcase_create("time");
    tcase_add_test(tc, parses_strict_forms);
    tcase_add_test(tc, rejects_invalid_text);
    tcase_add_test(tc, lenient_quirks);
    tcase_add_test(tc, formats_utc_milliseconds);
    tcase_add_test(tc, round_trip);
    suite_add_tcase(s, tc);
    return glv_test_run(s);
}
