#include "sim_jsonw.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool reserve(struct sim_jw *w, size_t more)
{
    if (w->failed)
        return false;
    if (w->len + more <= w->cap)
        return true;
    size_t cap = w->cap ? w->cap : 1024;
    while (cap < w->len + more)
        cap *= 2;
    char *buf = realloc(w->buf, cap);
    if (!buf) {
        w->failed = true;
        return false;
    }
    w->buf = buf;
    w->cap = cap;
    return true;
}

void sim_jw_reset(struct sim_jw *w)
{
    w->len = 0;
    w->comma = false;
    w->failed = false;
}

void sim_jw_free(struct sim_jw *w)
{
    free(w->buf);
    memset(w, 0, sizeof(*w));
}

void sim_jw_raw(struct sim_jw *w, const char *text, size_t len)
{
    if (!reserve(w, len))
        return;
    memcpy(w->buf + w->len, text, len);
    w->len += len;
}

/* Makes room for a value of len bytes and writes what goes before it: a
 * comma when needed and the member name. Returns where the value goes,
 * NULL when out of memory. */
static char *value_at(struct sim_jw *w, const char *key, size_t len)
{
    size_t klen = key ? strlen(key) : 0;
    if (!reserve(w, 1 + (key ? klen + 3 : 0) + len))
        return NULL;
    char *p = w->buf + w->len;
    if (w->comma)
        *p++ = ',';
    w->comma = true;
    if (key) {
        *p++ = '"';
        memcpy(p, key, klen);
        p += klen;
        *p++ = '"';
        *p++ = ':';
    }
    return p;
}

/* Ends a value written at p. */
static void value_end(struct sim_jw *w, const char *p)
{
    w->len = (size_t)(p - w->buf);
}

static void open_value(struct sim_jw *w, const char *key, char bracket)
{
    char *p = value_at(w, key, 1);
    if (!p)
        return;
    *p++ = bracket;
    value_end(w, p);
    w->comma = false;
}

static void close_value(struct sim_jw *w, char bracket)
{
    if (!reserve(w, 1))
        return;
    w->buf[w->len++] = bracket;
    w->comma = true;
}

void sim_jw_object(struct sim_jw *w, const char *key)
{
    open_value(w, key, '{');
}

void sim_jw_end_object(struct sim_jw *w)
{
    close_value(w, '}');
}

void sim_jw_array(struct sim_jw *w, const char *key)
{
    open_value(w, key, '[');
}

void sim_jw_end_array(struct sim_jw *w)
{
    close_value(w, ']');
}

static bool needs_escape(unsigned char ch)
{
    return ch < 0x20 || ch == '"' || ch == '\\';
}

/* value with its escapes: at most 6 bytes for one */
static char *put_escaped(char *p, const char *value, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)value[i];
        if (!needs_escape(ch)) {
            *p++ = (char)ch;
            continue;
        }
        *p++ = '\\';
        if (ch == '"' || ch == '\\') {
            *p++ = (char)ch;
        } else if (ch == '\n') {
            *p++ = 'n';
        } else if (ch == '\r') {
            *p++ = 'r';
        } else if (ch == '\t') {
            *p++ = 't';
        } else {
            memcpy(p, "u00", 3);
            p[3] = hex[ch >> 4];
            p[4] = hex[ch & 15];
            p += 5;
        }
    }
    return p;
}

static void quoted(struct sim_jw *w, const char *key, const char *value, size_t len, bool escape)
{
    size_t plain = 0;
    while (escape && plain < len && !needs_escape((unsigned char)value[plain]))
        plain++;
    if (plain == len)
        escape = false;
    char *p = value_at(w, key, (escape ? 6 * len : len) + 2);
    if (!p)
        return;
    *p++ = '"';
    p = escape ? put_escaped(p, value, len) : (char *)memcpy(p, value, len) + len;
    *p++ = '"';
    value_end(w, p);
}

void sim_jw_string(struct sim_jw *w, const char *key, const char *value)
{
    quoted(w, key, value, strlen(value), true);
}

void sim_jw_members(struct sim_jw *w, const char *members)
{
    size_t len = strlen(members);
    char *p = value_at(w, NULL, len);
    if (p)
        value_end(w, (char *)memcpy(p, members, len) + len);
}

size_t sim_format_int(char *out, int64_t v)
{
    static const char pairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233"
        "34353637383940414243444546474849505152535455565758596061626364656667"
        "6869707172737475767778798081828384858687888990919293949596979899";
    char tmp[24];
    size_t n = sizeof(tmp);
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    while (u >= 100) {
        n -= 2;
        memcpy(tmp + n, pairs + 2 * (u % 100), 2);
        u /= 100;
    }
    if (u >= 10) {
        n -= 2;
        memcpy(tmp + n, pairs + 2 * u, 2);
    } else {
        tmp[--n] = (char)('0' + u);
    }
    size_t len = 0;
    if (v < 0)
        out[len++] = '-';
    memcpy(out + len, tmp + n, sizeof(tmp) - n);
    return len + sizeof(tmp) - n;
}

void sim_jw_int(struct sim_jw *w, const char *key, int64_t value)
{
    char *p = value_at(w, key, 20);
    if (p)
        value_end(w, p + sim_format_int(p, value));
}

void sim_jw_decimal(struct sim_jw *w, const char *key, double value, unsigned decimals)
{
    static const int64_t scale[] = {1, 10, 100, 1000};
    if (decimals > 3)
        decimals = 3;
    double scaled = isfinite(value) ? value * (double)scale[decimals] : 0;
    if (fabs(scaled) > 9e15)
        scaled = 0;
    int64_t n = (int64_t)(scaled < 0 ? scaled - 0.5 : scaled + 0.5);
    char buf[32];
    size_t len = 0;
    if (n < 0) {
        buf[len++] = '-';
        n = -n;
    }
    len += sim_format_int(buf + len, n / scale[decimals]);
    if (decimals) {
        buf[len++] = '.';
        int64_t frac = n % scale[decimals];
        for (unsigned i = decimals; i-- > 0;) {
            buf[len + i] = (char)('0' + frac % 10);
            frac /= 10;
        }
        len += decimals;
    }
    quoted(w, key, buf, len, false);
}

/* Year, month and day of a day count since 1970-01-01 (proleptic
 * Gregorian calendar). */
static void civil_date(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    unsigned doe = (unsigned)(days - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void digits(char *out, unsigned v, unsigned n)
{
    while (n-- > 0) {
        out[n] = (char)('0' + v % 10);
        v /= 10;
    }
}

void sim_jw_time(struct sim_jw *w, const char *key, int64_t wall_ms)
{
    /* the text up to the second is kept: a run stamps many messages a second */
    static int64_t cached_secs = INT64_MIN;
    static char buf[32] = "\"0000-00-00T00:00:00.000Z\"";
    int64_t secs = wall_ms >= 0 ? wall_ms / 1000 : (wall_ms - 999) / 1000;
    if (secs != cached_secs) {
        int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
        unsigned sod = (unsigned)(secs - days * 86400);
        int64_t year;
        unsigned month, day;
        civil_date(days, &year, &month, &day);
        digits(buf + 1, (unsigned)(year < 0 ? 0 : year > 9999 ? 9999 : year), 4);
        digits(buf + 6, month, 2);
        digits(buf + 9, day, 2);
        digits(buf + 12, sod / 3600, 2);
        digits(buf + 15, sod / 60 % 60, 2);
        digits(buf + 18, sod % 60, 2);
        cached_secs = secs;
    }
    digits(buf + 21, (unsigned)(wall_ms - secs * 1000), 3);
    char *p = value_at(w, key, 26);
    if (p)
        value_end(w, (char *)memcpy(p, buf, 26) + 26);
}
