/*
 * galvani tariff-ocpi — reader of the system time zone database (TZif files,
 * RFC 8536) under a directory such as /usr/share/zoneinfo. The process TZ is
 * never consulted. Times beyond the file's last transition follow the POSIX
 * rule in the file's footer.
 */
#ifndef GLV_TARIFF_TZDB_H
#define GLV_TARIFF_TZDB_H

#include <stddef.h>
#include <stdint.h>

typedef struct glv_tz glv_tz;
typedef struct glv_tzdb glv_tzdb;

/* New database reading zones under dir (copied). NULL on allocation failure. */
glv_tzdb *glv_tzdb_new(const char *dir);
void glv_tzdb_free(glv_tzdb *db);

/* The zone called name ("Europe/Amsterdam"), loaded once and cached: borrowed
 * from db, valid until glv_tzdb_free. NULL with a reason in err when the name
 * is malformed, absent or the file is not a valid TZif file. */
const glv_tz *glv_tzdb_get(glv_tzdb *db, const char *name, char *err, size_t errlen);

/* Parses TZif bytes into a zone (new; free with glv_tz_free). NULL on error. */
glv_tz *glv_tz_parse(const unsigned char *data, size_t len, char *err, size_t errlen);
/* A zone from a POSIX TZ rule alone ("CET-1CEST,M3.5.0,M10.5.0/3"). */
glv_tz *glv_tz_from_rule(const char *rule, char *err, size_t errlen);
void glv_tz_free(glv_tz *tz);

/* UTC offset in seconds at instant t (seconds since the epoch). When
 * next_change is not NULL it receives the first instant after t at which the
 * offset may change (INT64_MAX when never). */
int32_t glv_tz_offset(const glv_tz *tz, int64_t t, int64_t *next_change);

#endif
