/*
 * galvani core — the scalar forms of the configuration file: integers,
 * durations ("250ms", "30s", "5m", "2h", "1d", bare = ms), sizes ("512",
 * "64k", "16M", "1G", powers of 1024) and YAML 1.1 booleans.
 */
#include "config-tree-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

char *glv_cfg_vprintf(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        return NULL;
    return s;
}

char *glv_cfg_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = glv_cfg_vprintf(fmt, ap);
    va_end(ap);
    return s;
}

/* Reads the decimal digits at *p (at least one) into *out; advances *p. */
static int scan_digits(const char **p, uint64_t limit, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (*s < '0' || *s > '9')
        return -EINVAL;
    while (*s >= '0' && *s <= '9') {
        unsigned d = (unsigned)(*s - '0');
        if (v > (limit - d) / 10)
            return -ERANGE;
        v = v * 10 + d;
        s++;
    }
    *p = s;
    *out = v;
    return 0;
}

int glv_cfg_scan_int(const char *text, int64_t *out)
{
    const char *p = text;
    bool neg = false;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    uint64_t v;
    int rc = scan_digits(&p, neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &v);
    if (rc < 0)
        return rc;
    if (*p != '\0')
        return -EINVAL;
    if (neg)
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    else
        *out = (int64_t)v;
    return 0;
}

struct unit {
    const char *suffix;
    int64_t factor;
};

static int scan_with_units(const char *text, const struct unit *units, bool fold_case, int64_t *out)
{
    const char *p = text;
    uint64_t v;
    int rc = scan_digits(&p, (uint64_t)INT64_MAX, &v);
    if (rc < 0)
        return rc;
    for (const struct unit *u = units; u->suffix != NULL; u++) {
        if (fold_case ? strcasecmp(p, u->suffix) != 0 : strcmp(p, u->suffix) != 0)
            continue;
        if (v > (uint64_t)(INT64_MAX / u->factor))
            return -ERANGE;
        *out = (int64_t)v * u->factor;
        return 0;
    }
    return -EINVAL;
}

static const struct unit duration_units[] = {
    {"", 1},         {"ms", 1}, {"s", 1000}, {"m", 60 * 1000}, {"h", 3600 * 1000},
    {"d", 86400000}, {NULL, 0},
};

int glv_cfg_scan_duration(const char *text, int64_t *ms)
{
    return scan_with_units(text, duration_units, false, ms);
}

#define KIB ((int64_t)1024)
static const struct unit size_units[] = {
    {"", 1},
    {"b", 1},
    {"k", KIB},
    {"kb", KIB},
    {"kib", KIB},
    {"m", KIB *KIB},
    {"mb", KIB *KIB},
    {"mib", KIB *KIB},
    {"g", KIB *KIB *KIB},
    {"gb", KIB *KIB *KIB},
    {"gib", KIB *KIB *KIB},
    {"t", KIB *KIB *KIB *KIB},
    {"tb", KIB *KIB *KIB *KIB},
    {"tib", KIB *KIB *KIB *KIB},
    {NULL, 0},
};

int glv_cfg_scan_size(const char *text, int64_t *bytes)
{
    return scan_with_units(text, size_units, true, bytes);
}

int glv_cfg_scan_bool(const char *text, bool *out)
{
    static const char *const truths[] = {"true", "yes", "on", NULL};
    static const char *const lies[] = {"false", "no", "off", NULL};
    for (int i = 0; truths[i] != NULL; i++) {
        if (strcasecmp(text, truths[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(text, lies[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -EINVAL;
}

static void format_units(int64_t v, const struct unit *largest_first, char *buf, size_t size)
{
    for (const struct unit *u = largest_first; u->suffix != NULL; u++) {
        if (v != 0 && v % u->factor == 0) {
            snprintf(buf, size, "%lld%s", (long long)(v / u->factor), u->suffix);
            return;
        }
    }
    snprintf(buf, size, "%lld", (long long)v);
}

void glv_cfg_format_duration(int64_t ms, char *buf, size_t size)
{
    static const struct unit units[] = {
        {"d", 86400000}, {"h", 3600 * 1000}, {"m", 60 * 1000}, {"s", 1000}, {"ms", 1}, {NULL, 0},
    };
    format_units(ms, units, buf, size);
}

void glv_cfg_format_size(int64_t bytes, char *buf, size_t size)
{
    static const struct unit units[] = {
        {"T", KIB * KIB * KIB * KIB},
        {"G", KIB * KIB * KIB},
        {"M", KIB * KIB},
        {"k", KIB},
        {NULL, 0},
    };
    format_units(bytes, units, buf, size);
}

void glv_cfg_quote(const char *text, char *buf, size_t size)
{
    const size_t limit = size < 64 ? size : 64;
    size_t o = 0;
    if (size == 0)
        return;
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        if (o + 8 >= limit) {
            /* back off to the start of a UTF-8 sequence, then mark the cut */
            while (o > 0 && ((unsigned char)buf[o - 1] & 0xC0) == 0x80)
                o--;
            if (o > 0 && ((unsigned char)buf[o - 1] & 0xC0) == 0xC0)
                o--;
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (*p < 0x20 || *p == 0x7f)
            o += (size_t)snprintf(buf + o, limit - o, "\\x%02x", *p);
        else
            buf[o++] = (char)*p;
    }
    buf[o] = '\0';
}
