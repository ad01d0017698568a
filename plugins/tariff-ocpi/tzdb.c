/* galvani tariff-ocpi — TZif reader and POSIX TZ rules. */
#include "tzdb.h"

#include "datetime.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct tz_rule_date {
    char kind; /* 'J' Julian 1..365 without leap day, 'N' zero-based day, 'M' month.week.day */
    int day, week, month;
    int32_t time; /* seconds after local midnight, may be negative or > 24h */
} tz_rule_date;

typedef struct tz_rule {
    bool present;
    bool has_dst;
    int32_t std_off, dst_off; /* UTC offsets (east positive) */
    tz_rule_date start, end;
} tz_rule;

struct glv_tz {
    size_t count;       /* transitions */
    int64_t *at;        /* transition instants */
    int32_t *off_after; /* offset in force from at[i] */
    int32_t initial;    /* offset before the first transition */
    tz_rule rule;       /* beyond the last transition */
};

typedef struct tz_entry {
    char *name;
    glv_tz *tz;
} tz_entry;

struct glv_tzdb {
    char *dir;
    tz_entry *entries;
    size_t count, cap;
};

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* ---- POSIX TZ rule ---------------------------------------------------- */

static const char *rule_name(const char *p)
{
    if (*p == '<') {
        const char *q = strchr(p, '>');
        return q == NULL ? NULL : q + 1;
    }
    const char *q = p;
    while ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z'))
        q++;
    return q - p >= 3 ? q : NULL;
}

/* [+-]hh[:mm[:ss]] with hours up to 167. */
static const char *rule_hms(const char *p, int32_t *out)
{
    int sign = 1;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    int parts[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        if (*p < '0' || *p > '9')
            return NULL;
        int v = 0;
        while (*p >= '0' && *p <= '9')
            v = v * 10 + (*p++ - '0');
        parts[i] = v;
        if (*p != ':' || i == 2)
            break;
        p++;
    }
    if (parts[0] > 167 || parts[1] > 59 || parts[2] > 59)
        return NULL;
    *out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    return p;
}

static const char *rule_number(const char *p, int *out)
{
    if (*p < '0' || *p > '9')
        return NULL;
    int v = 0;
    while (*p >= '0' && *p <= '9' && v < 1000)
        v = v * 10 + (*p++ - '0');
    *out = v;
    return p;
}

static const char *rule_date(const char *p, tz_rule_date *d)
{
    d->time = 7200;
    if (*p == 'J') {
        d->kind = 'J';
        if ((p = rule_number(p + 1, &d->day)) == NULL || d->day < 1 || d->day > 365)
            return NULL;
    } else if (*p == 'M') {
        d->kind = 'M';
        if ((p = rule_number(p + 1, &d->month)) == NULL || *p++ != '.' ||
            (p = rule_number(p, &d->week)) == NULL || *p++ != '.' ||
            (p = rule_number(p, &d->day)) == NULL)
            return NULL;
        if (d->month < 1 || d->month > 12 || d->week < 1 || d->week > 5 || d->day > 6)
            return NULL;
    } else {
        d->kind = 'N';
        if ((p = rule_number(p, &d->day)) == NULL || d->day > 365)
            return NULL;
    }
    if (*p == '/')
        p = rule_hms(p + 1, &d->time);
    return p;
}

static int parse_rule(const char *s, tz_rule *r)
{
    memset(r, 0, sizeof *r);
    const char *p = rule_name(s);
    int32_t v;
    if (p == NULL || (p = rule_hms(p, &v)) == NULL)
        return -EINVAL;
    r->std_off = -v;
    r->dst_off = r->std_off;
    r->present = true;
    if (*p == '\0')
        return 0;
    if ((p = rule_name(p)) == NULL)
        return -EINVAL;
    r->has_dst = true;
    r->dst_off = r->std_off + 3600;
    if (*p != ',' && *p != '\0') {
        if ((p = rule_hms(p, &v)) == NULL)
            return -EINVAL;
        r->dst_off = -v;
    }
    if (*p == '\0') {
        /* The POSIX default: second Sunday of March to first Sunday of November. */
        r->start = (tz_rule_date){'M', 0, 2, 3, 7200};
        r->end = (tz_rule_date){'M', 0, 1, 11, 7200};
        return 0;
    }
    if (*p++ != ',' || (p = rule_date(p, &r->start)) == NULL || *p++ != ',' ||
        (p = rule_date(p, &r->end)) == NULL || *p != '\0')
        return -EINVAL;
    return 0;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Local day number of a rule date in year y. */
static int64_t rule_day(const tz_rule_date *d, int64_t y)
{
    int64_t jan1 = glv_days_from_civil(y, 1, 1);
    if (d->kind == 'J')
        return jan1 + d->day - 1 + (is_leap(y) && d->day >= 60);
    if (d->kind == 'N')
        return jan1 + d->day;
    int64_t first = glv_days_from_civil(y, d->month, 1);
    int wd = glv_weekday_from_days(first) % 7; /* 0 = Sunday */
    int64_t day = first + (d->day - wd + 7) % 7 + (int64_t)(d->week - 1) * 7;
    int64_t next_month =
        d->month == 12 ? glv_days_from_civil(y + 1, 1, 1) : glv_days_from_civil(y, d->month + 1, 1);
    while (day >= next_month)
        day -= 7;
    return day;
}

static int32_t rule_offset(const tz_rule *r, int64_t t, int64_t *next_change)
{
    if (!r->has_dst) {
        if (next_change != NULL)
            *next_change = INT64_MAX;
        return r->std_off;
    }
    int64_t y;
    int m, d;
    glv_civil_from_days(glv_floor_div(t + r->std_off, 86400), &y, &m, &d);
    /* Transitions of three years around t, each with the offset it starts. */
    int64_t at[6];
    int32_t off[6];
    int n = 0;
    for (int64_t yy = y - 1; yy <= y + 1; yy++) {
        int64_t s = rule_day(&r->start, yy) * 86400 + r->start.time - r->std_off;
        int64_t e = rule_day(&r->end, yy) * 86400 + r->end.time - r->dst_off;
        at[n] = s, off[n++] = r->dst_off;
        at[n] = e, off[n++] = r->std_off;
    }
    for (int i = 1; i < n; i++) { /* insertion sort of 6 */
        for (int j = i; j > 0 && at[j] < at[j - 1]; j--) {
            int64_t ta = at[j];
            at[j] = at[j - 1], at[j - 1] = ta;
            int32_t to = off[j];
            off[j] = off[j - 1], off[j - 1] = to;
        }
    }
    int32_t cur = off[n - 1] == r->dst_off ? r->std_off : r->dst_off;
    int64_t next = INT64_MAX;
    for (int i = 0; i < n; i++) {
        if (at[i] <= t) {
            cur = off[i];
        } else {
            next = at[i];
            break;
        }
    }
    if (next_change != NULL)
        *next_change = next;
    return cur;
}

/* ---- TZif ------------------------------------------------------------- */

glv_tz *glv_tz_parse(const unsigned char *data, size_t len, char *err, size_t errlen)
{
#define TZ_FAIL(msg)                                                                               \
    do {                                                                                           \
        snprintf(err, errlen, "%s", msg);                                                          \
        goto fail;                                                                                 \
    } while (0)
    glv_tz *tz = calloc(1, sizeof *tz);
    if (tz == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (len < 44 || memcmp(data, "TZif", 4) != 0)
        TZ_FAIL("not a TZif file");
    int version = data[4];
    const unsigned char *h = data;
    size_t tsize = 4;
    size_t pos = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pos + 44 > len || memcmp(data + pos, "TZif", 4) != 0)
            TZ_FAIL("truncated TZif header");
        h = data + pos;
        uint32_t isut = be32(h + 20), isstd = be32(h + 24), leap = be32(h + 28),
                 timecnt = be32(h + 32), typecnt = be32(h + 36), charcnt = be32(h + 40);
        if (typecnt == 0 || typecnt > 256 || timecnt > 100000 || charcnt > 100000 ||
            leap > 100000 || isut > typecnt || isstd > typecnt)
            TZ_FAIL("TZif counts out of range");
        size_t block = (size_t)timecnt * tsize + timecnt + (size_t)typecnt * 6 + charcnt +
                       (size_t)leap * (tsize + 4) + isstd + isut;
        if (pos + 44 + block > len)
            TZ_FAIL("truncated TZif data");
        if (version >= '2' && pass == 0) {
            pos += 44 + block; /* skip the 32-bit block, read the 64-bit one */
            tsize = 8;
            continue;
        }
        const unsigned char *p = h + 44;
        const unsigned char *types = p + (size_t)timecnt * tsize + timecnt;
        tz->count = timecnt;
        tz->at = calloc(timecnt + 1, sizeof *tz->at);
        tz->off_after = calloc(timecnt + 1, sizeof *tz->off_after);
        if (tz->at == NULL || tz->off_after == NULL)
            TZ_FAIL("out of memory");
        for (uint32_t i = 0; i < timecnt; i++) {
            tz->at[i] = tsize == 8 ? be64(p + i * 8) : (int32_t)be32(p + i * 4);
            if (i > 0 && tz->at[i] <= tz->at[i - 1])
                TZ_FAIL("TZif transitions out of order");
            unsigned idx = p[(size_t)timecnt * tsize + i];
            if (idx >= typecnt)
                TZ_FAIL("TZif type index out of range");
            tz->off_after[i] = (int32_t)be32(types + idx * 6);
        }
        tz->initial = (int32_t)be32(types);
        pos += 44 + block;
        break;
    }
    if (version >= '2' && pos < len && data[pos] == '\n') {
        const unsigned char *end = memchr(data + pos + 1, '\n', len - pos - 1);
        if (end == NULL)
            TZ_FAIL("TZif footer not terminated");
        size_t n = (size_t)(end - (data + pos + 1));
        if (n > 0) {
            char rule[128];
            if (n >= sizeof rule)
                TZ_FAIL("TZif footer too long");
            memcpy(rule, data + pos + 1, n);
            rule[n] = '\0';
            if (parse_rule(rule, &tz->rule) != 0)
                TZ_FAIL("TZif footer rule not understood");
        }
    }
    return tz;
fail:
    glv_tz_free(tz);
    return NULL;
#undef TZ_FAIL
}

glv_tz *glv_tz_from_rule(const char *rule, char *err, size_t errlen)
{
    glv_tz *tz = calloc(1, sizeof *tz);
    if (tz == NULL || parse_rule(rule, &tz->rule) != 0) {
        snprintf(err, errlen, "time zone rule not understood: %s", rule);
        free(tz);
        return NULL;
    }
    tz->initial = tz->rule.std_off;
    return tz;
}

void glv_tz_free(glv_tz *tz)
{
    if (tz == NULL)
        return;
    free(tz->at);
    free(tz->off_after);
    free(tz);
}

int32_t glv_tz_offset(const glv_tz *tz, int64_t t, int64_t *next_change)
{
    if (tz->count == 0 || t >= tz->at[tz->count - 1]) {
        if (tz->rule.present) {
            int64_t next;
            int32_t off = rule_offset(&tz->rule, t, &next);
            if (next_change != NULL)
                *next_change = next;
            return off;
        }
        if (next_change != NULL)
            *next_change = INT64_MAX;
        return tz->count == 0 ? tz->initial : tz->off_after[tz->count - 1];
    }
    if (t < tz->at[0]) {
        if (next_change != NULL)
            *next_change = tz->at[0];
        return tz->initial;
    }
    size_t lo = 0, hi = tz->count - 1; /* at[lo] <= t < at[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->at[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    if (next_change != NULL)
        *next_change = tz->at[hi];
    return tz->off_after[lo];
}

/* ---- the database ----------------------------------------------------- */

glv_tzdb *glv_tzdb_new(const char *dir)
{
    glv_tzdb *db = calloc(1, sizeof *db);
    if (db == NULL)
        return NULL;
    db->dir = strdup(dir != NULL ? dir : "/usr/share/zoneinfo");
    if (db->dir == NULL) {
        free(db);
        return NULL;
    }
    return db;
}

void glv_tzdb_free(glv_tzdb *db)
{
    if (db == NULL)
        return;
    for (size_t i = 0; i < db->count; i++) {
        free(db->entries[i].name);
        glv_tz_free(db->entries[i].tz);
    }
    free(db->entries);
    free(db->dir);
    free(db);
}

static bool valid_zone_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64 || name[0] == '/' || name[0] == '.' || strstr(name, "..") != NULL)
        return false;
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '-' || c == '+'))
            return false;
    }
    return true;
}

static glv_tz *load_file(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20)) {
        snprintf(err, errlen, "%s is not a time zone file", path);
        close(fd);
        return NULL;
    }
    unsigned char *buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (buf != NULL && got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (buf == NULL || got != (size_t)st.st_size) {
        snprintf(err, errlen, "cannot read %s", path);
        free(buf);
        return NULL;
    }
    char why[160];
    glv_tz *tz = glv_tz_parse(buf, got, why, sizeof why);
    if (tz == NULL)
        snprintf(err, errlen, "%s: %s", path, why);
    free(buf);
    return tz;
}

const glv_tz *glv_tzdb_get(glv_tzdb *db, const char *name, char *err, size_t errlen)
{
    if (name == NULL || !valid_zone_name(name)) {
        snprintf(err, errlen, "malformed time zone name");
        return NULL;
    }
    for (size_t i = 0; i < db->count; i++) {
        if (strcmp(db->entries[i].name, name) == 0)
            return db->entries[i].tz;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/%s", db->dir, name);
    glv_tz *tz = load_file(path, err, errlen);
    if (tz == NULL && (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0))
        tz = glv_tz_from_rule("UTC0", err, errlen);
    if (tz == NULL)
        return NULL;
    if (db->count == db->cap) {
        size_t cap = db->cap ? db->cap * 2 : 8;
        tz_entry *e = realloc(db->entries, cap * sizeof *e);
        if (e == NULL) {
            glv_tz_free(tz);
            snprintf(err, errlen, "out of memory");
            return NULL;
        }
        db->entries = e;
        db->cap = cap;
    }
    db->entries[db->count].name = strdup(name);
    if (db->entries[db->count].name == NULL) {
        glv_tz_free(tz);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    db->entries[db->count++].tz = tz;
    return tz;
}
