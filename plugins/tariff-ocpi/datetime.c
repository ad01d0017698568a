/* galvani tariff-ocpi — civil dates and OCPI DateTime text (UTC). */
#include "datetime.h"

#include <errno.h>
#include <stdio.h>

int64_t glv_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* Counts in 400-year eras of 146097 days, with years starting on 1 March so
 * that the leap day is the last day of a year. */
int64_t glv_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = glv_floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t mp = (m + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void glv_civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
    days += 719468;
    int64_t era = glv_floor_div(days, 146097);
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

int glv_weekday_from_days(int64_t days)
{
    /* 1970-01-01 was a Thursday (4). */
    int64_t w = (days + 3) % 7;
    if (w < 0)
        w += 7;
    return (int)w + 1;
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -EINVAL;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int days_in_month(int64_t y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 ? 28 + leap : dm[m - 1];
}

int glv_date_parse(const char *text, int64_t *days)
{
    const char *p = text;
    int y, m, d;
    if (p == NULL || digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &m) || *p++ != '-' ||
        digits(&p, 2, &d) || *p != '\0')
        return -EINVAL;
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return -EINVAL;
    *days = glv_days_from_civil(y, m, d);
    return 0;
}

int glv_time_of_day_parse(const char *text, int32_t *seconds)
{
    const char *p = text;
    int h, mi;
    if (p == NULL || digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p != '\0')
        return -EINVAL;
    if (h > 23 || mi > 59)
        return -EINVAL;
    *seconds = h * 3600 + mi * 60;
    return 0;
}

int glv_datetime_parse(const char *text, int64_t *ms)
{
    const char *p = text;
    int y, mo, d, h, mi, s, frac = 0;
    if (p == NULL || digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d) || (*p != 'T' && *p != 't') || !*p++ || digits(&p, 2, &h) ||
        *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' || digits(&p, 2, &s))
        return -EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60)
        return -EINVAL;
    if (*p == '.') {
        p++;
        int n = 0;
        if (*p < '0' || *p > '9')
            return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++, n++) {
            if (n < 3)
                frac = frac * 10 + (*p - '0');
        }
        for (; n < 3; n++)
            frac *= 10;
    }
    int64_t offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || oh > 23 || om > 59)
            return -EINVAL;
        offset = sign * (oh * 3600 + om * 60);
    }
    if (*p != '\0')
        return -EINVAL;
    if (s == 60)
        s = 59; /* a leap second is read as the second before it */
    int64_t secs = glv_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset;
    *ms = secs * 1000 + frac;
    return 0;
}

void glv_datetime_format(int64_t ms, char *buf, size_t len)
{
    int64_t secs = glv_floor_div(ms, 1000);
    int frac = (int)(ms - secs * 1000);
    int64_t days = glv_floor_div(secs, 86400);
    int sod = (int)(secs - days * 86400);
    int64_t y;
    int m, d;
    glv_civil_from_days(days, &y, &m, &d);
    if (frac != 0)
        snprintf(buf, len, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", (long long)y, m, d, sod / 3600,
                 sod / 60 % 60, sod % 60, frac);
    else
        snprintf(buf, len, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y, m, d, sod / 3600,
                 sod / 60 % 60, sod % 60);
}
