/* galvani tariff-ocpi — civil dates and OCPI DateTime text (UTC). */
#ifndef GLV_TARIFF_DATETIME_H
#define GLV_TARIFF_DATETIME_H

#include <stddef.h>
#include <stdint.h>

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t glv_days_from_civil(int64_t y, int m, int d);
void glv_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
/* ISO weekday of a day number: 1 = Monday … 7 = Sunday. */
int glv_weekday_from_days(int64_t days);
/* Floor division for negative times. */
int64_t glv_floor_div(int64_t a, int64_t b);

/* Parses "YYYY-MM-DDTHH:MM:SS[.fff][Z|+hh:mm|-hh:mm]" (no zone = UTC, as
 * OCPI says) into milliseconds since the epoch. Returns 0 or -EINVAL. */
int glv_datetime_parse(const char *text, int64_t *ms);
/* Writes "YYYY-MM-DDTHH:MM:SS[.fff]Z"; buf of at least 32 bytes. */
void glv_datetime_format(int64_t ms, char *buf, size_t len);

/* "YYYY-MM-DD" to a day number; "HH:MM" to seconds of the day. -EINVAL. */
int glv_date_parse(const char *text, int64_t *days);
int glv_time_of_day_parse(const char *text, int32_t *seconds);

#endif
