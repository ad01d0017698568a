/* RFC 3339 timestamps for OCPP 1.6: parsing to UTC milliseconds and formatting. */
#include "ocpp16_time.h"

#include <errno.h>
#include <stdbool.h>

#define MS_PER_DAY 86400000LL
/* Days from 0001-01-01 to 1970-01-01 in the proleptic Gregorian calendar. */
#define DAYS_0001_TO_1970 719162LL
#define DAYS_PER_400Y 146097LL
#define DAYS_PER_100Y 36524LL
#define DAYS_PER_4Y 1461LL

static const int16_t days_before_month[12] = {0,   31,  59,  90,  120, 151,
                                              181, 212, 243, 273, 304, 334};

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const int8_t len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

/* Days since 1970-01-01 for a valid date with year >= 1. */
static int64_t days_since_epoch(int64_t y, int m, int d)
{
    int64_t prev = y - 1;
    int64_t days = prev * 365 + prev / 4 - prev / 100 + prev / 400;
    days += days_before_month[m - 1] + (m > 2 && is_leap(y) ? 1 : 0) + (d - 1);
    return days - DAYS_0001_TO_1970;
}

/* Reads exactly n decimal digits at s; -1 when any is not a digit. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int parse(const char *s, size_t len, int64_t *out_ms, unsigned *quirks, bool lenient)
{
    unsigned seen = 0;
    /* The shortest accepted text is "YYYY-MM-DDThh:mm:ss" (19 bytes). */
    if (s == NULL || len < 19)
        return -EINVAL;
    int year = digits(s, 4);
    int month = digits(s + 5, 2);
    int day = digits(s + 8, 2);
    int hour = digits(s + 11, 2);
    int minute = digits(s + 14, 2);
    int second = digits(s + 17, 2);
    if (year < 1 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 ||
        minute > 59 || second < 0 || second > 60)
        return -EINVAL;
    if (s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':')
        return -EINVAL;
    if (day > days_in_month(year, month))
        return -EINVAL;
    if (s[10] == ' ' && lenient)
        seen |= GLV_OCPP16_TIME_QUIRK_SPACE;
    else if (s[10] != 'T' && s[10] != 't')
        return -EINVAL;

    size_t pos = 19;
    int millis = 0;
    if (pos < len && s[pos] == '.') {
        pos++;
        size_t start = pos;
        while (pos < len && s[pos] >= '0' && s[pos] <= '9') {
            if (pos - start < 3)
                millis = millis * 10 + (s[pos] - '0');
            pos++;
        }
        size_t n = pos - start;
        if (n == 0)
            return -EINVAL;
        if (n > 3) {
            if (!lenient)
                return -EINVAL;
            seen |= GLV_OCPP16_TIME_QUIRK_LONG_FRACTION;
        }
        for (size_t k = n; k < 3; k++)
            millis *= 10;
    }

    int64_t offset_min = 0;
    if (pos == len) {
        if (!lenient)
            return -EINVAL;
        seen |= GLV_OCPP16_TIME_QUIRK_NO_ZONE;
    } else if (s[pos] == 'Z' || s[pos] == 'z') {
        pos++;
    } else if (s[pos] == '+' || s[pos] == '-') {
        int sign = s[pos] == '-' ? -1 : 1;
        size_t rest = len - pos - 1;
        int oh, om;
        if (rest == 5 && s[pos + 3] == ':') {
            oh = digits(s + pos + 1, 2);
            om = digits(s + pos + 4, 2);
        } else if (rest == 4 && lenient) {
            oh = digits(s + pos + 1, 2);
            om = digits(s + pos + 3, 2);
            seen |= GLV_OCPP16_TIME_QUIRK_COMPACT_OFFSET;
        } else {
            return -EINVAL;
        }
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return -EINVAL;
        offset_min = sign * (oh * 60 + om);
        pos = len;
    } else {
        return -EINVAL;
    }
    if (pos != len)
        return -EINVAL;

    int64_t ms = days_since_epoch(year, month, day) * MS_PER_DAY;
    ms += ((int64_t)hour * 3600 + minute * 60 + second) * 1000 + millis;
    ms -= offset_min * 60000;
    *out_ms = ms;
    if (quirks != NULL)
        *quirks = seen;
    return 0;
}

int glv_ocpp16_time_parse(const char *s, size_t len, int64_t *out_ms)
{
    return parse(s, len, out_ms, NULL, false);
}

int glv_ocpp16_time_parse_lenient(const char *s, size_t len, int64_t *out_ms, unsigned *quirks)
{
    return parse(s, len, out_ms, quirks, true);
}

const char *glv_ocpp16_time_quirk_text(unsigned quirk_bit)
{
    switch (quirk_bit) {
    case GLV_OCPP16_TIME_QUIRK_NO_ZONE:
        return "timestamp without time zone, taken as UTC";
    case GLV_OCPP16_TIME_QUIRK_SPACE:
        return "timestamp with a space instead of 'T'";
    case GLV_OCPP16_TIME_QUIRK_LONG_FRACTION:
        return "timestamp with more than 3 fraction digits, truncated to milliseconds";
    case GLV_OCPP16_TIME_QUIRK_COMPACT_OFFSET:
        return "timestamp offset without a colon";
    default:
        return "timestamp quirk";
    }
}

static void put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

int glv_ocpp16_time_format(int64_t ms, char *buf)
{
    /* 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999Z */
    const int64_t min_ms = -DAYS_0001_TO_1970 * MS_PER_DAY;
    const int64_t max_ms = (days_since_epoch(9999, 12, 31) + 1) * MS_PER_DAY - 1;
    if (ms < min_ms || ms > max_ms)
        return -ERANGE;

    int64_t since_0001 = ms - min_ms;
    int64_t days = since_0001 / MS_PER_DAY;
    int64_t in_day = since_0001 % MS_PER_DAY;

    int64_t n400 = days / DAYS_PER_400Y;
    days %= DAYS_PER_400Y;
    int64_t n100 = days / DAYS_PER_100Y;
    if (n100 == 4) /* last day of a 400-year cycle */
        n100 = 3;
    days -= n100 * DAYS_PER_100Y;
    int64_t n4 = days / DAYS_PER_4Y;
    days %= DAYS_PER_4Y;
    int64_t n1 = days / 365;
    if (n1 == 4) /* last day of a leap year */
        n1 = 3;
    days -= n1 * 365;
    int64_t year = 1 + 400 * n400 + 100 * n100 + 4 * n4 + n1;

    int month = 1;
    while (month < 12 && days >= days_in_month(year, month)) {
        days -= days_in_month(year, month);
        month++;
    }
    int day = (int)days + 1;

    int millis = (int)(in_day % 1000);
    int64_t secs = in_day / 1000;
    int hour = (int)(secs / 3600);
    int minute = (int)(secs / 60 % 60);
    int second = (int)(secs % 60);

    put2(buf, (int)(year / 100));
    put2(buf + 2, (int)(year % 100));
    buf[4] = '-';
    put2(buf + 5, month);
    buf[7] = '-';
    put2(buf + 8, day);
    buf[10] = 'T';
    put2(buf + 11, hour);
    buf[13] = ':';
    put2(buf + 14, minute);
    buf[16] = ':';
    put2(buf + 17, second);
    buf[19] = '.';
    buf[20] = (char)('0' + millis / 100);
    put2(buf + 21, millis % 100);
    buf[23] = 'Z';
    buf[24] = '\0';
    return GLV_OCPP16_TIME_LEN;
}
