/* HTTP Basic credentials of a charger's upgrade request; see ocpp16_basic_auth.h. */
#include "ocpp16_basic_auth.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Decodes padded base64 of length len into out (cap bytes); returns the
 * decoded length or -1. */
static long b64_decode(const char *in, size_t len, char *out, size_t cap)
{
    if (len == 0 || len % 4 != 0)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            unsigned char c = (unsigned char)in[i + k];
            if (c == '=' && i + 4 == len && k >= 2) {
                v[k] = 0;
                pad++;
                continue;
            }
            if (pad > 0)
                return -1; /* data after padding */
            v[k] = b64_value(c);
            if (v[k] < 0)
                return -1;
        }
        unsigned triple =
            (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
        int bytes = 3 - pad;
        if (n + (size_t)bytes > cap)
            return -1;
        for (int k = 0; k < bytes; k++)
            out[n++] = (char)(triple >> (16 - 8 * k) & 0xff);
    }
    return (long)n;
}

int glv_ocpp16_basic_parse(const char *header, struct glv_ocpp16_basic *out)
{
    if (header == NULL || strncasecmp(header, "Basic", 5) != 0 || header[5] != ' ')
        return -EINVAL;
    const char *p = header + 6;
    while (*p == ' ')
        p++;
    size_t len = strlen(p);
    while (len > 0 && p[len - 1] == ' ')
        len--;
    long n = b64_decode(p, len, out->buf, GLV_OCPP16_BASIC_MAX);
    if (n <= 0 || memchr(out->buf, '\0', (size_t)n) != NULL)
        return -EINVAL;
    out->buf[n] = '\0';
    char *colon = strchr(out->buf, ':');
    if (colon == NULL)
        return -EINVAL;
    *colon = '\0';
    out->user = out->buf;
    out->password = colon + 1;
    return 0;
}
