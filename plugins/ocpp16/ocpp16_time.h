/*
 * OCPP 1.6 dateTime values: RFC 3339 timestamps to and from UTC milliseconds
 * since the Unix epoch. Pure functions, no allocation, no locale, no libc
 * time zone state.
 *
 * Strict form (what the schema validator accepts):
 *   YYYY-MM-DD ('T'|'t') hh:mm:ss [ '.' 1-3 digits ] ( 'Z' | 'z' | ('+'|'-') hh:mm )
 * with a real calendar date (leap years honoured), year 0001-9999, hh <= 23,
 * mm <= 59, ss <= 60 (a leap second is folded into the next second).
 *
 * Lenient form additionally accepts the vendor quirks listed in
 * enum glv_ocpp16_time_quirk and reports which ones it saw.
 */
#ifndef GLV_OCPP16_TIME_H
#define GLV_OCPP16_TIME_H

#include <stddef.h>
#include <stdint.h>

/* Length of a formatted timestamp, "2024-05-01T12:00:00.000Z", without NUL. */
#define GLV_OCPP16_TIME_LEN 24

/* Quirks the lenient parser accepts; a bit set of these is reported. */
enum glv_ocpp16_time_quirk {
    GLV_OCPP16_TIME_QUIRK_NO_ZONE = 1u << 0,        /* no offset: taken as UTC */
    GLV_OCPP16_TIME_QUIRK_SPACE = 1u << 1,          /* ' ' instead of 'T' */
    GLV_OCPP16_TIME_QUIRK_LONG_FRACTION = 1u << 2,  /* > 3 fraction digits: truncated */
    GLV_OCPP16_TIME_QUIRK_COMPACT_OFFSET = 1u << 3, /* "+0200" instead of "+02:00" */
};

/*
 * Parses the strict form. s is borrowed and need not be NUL-terminated; len
 * is its length in bytes. On success stores the instant in *out_ms and
 * returns 0; returns -EINVAL for anything else (*out_ms untouched).
 */
int glv_ocpp16_time_parse(const char *s, size_t len, int64_t *out_ms);

/*
 * Parses the strict form or one with any combination of the quirks above.
 * On success stores the instant in *out_ms, the quirks seen in *quirks (0
 * when the text was strict) and returns 0; returns -EINVAL otherwise.
 */
int glv_ocpp16_time_parse_lenient(const char *s, size_t len, int64_t *out_ms, unsigned *quirks);

/* Short English description of one quirk bit, static string. */
const char *glv_ocpp16_time_quirk_text(unsigned quirk_bit);

/*
 * Writes ms as "YYYY-MM-DDThh:mm:ss.mmmZ" plus a NUL into buf, which must
 * hold GLV_OCPP16_TIME_LEN + 1 bytes. Returns GLV_OCPP16_TIME_LEN, or
 * -ERANGE when the instant lies outside years 0001-9999 (buf untouched).
 */
int glv_ocpp16_time_format(int64_t ms, char *buf);

#endif
