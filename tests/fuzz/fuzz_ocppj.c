/*
 * libFuzzer target for the OCPP 1.6-J protocol layer: frame parsing in both
 * directions, strict and lenient schema validation, frame writing and the
 * RFC 3339 parser. Aborts when an invariant breaks:
 *  - whatever parses and validates strictly also passes leniently;
 *  - a parsed frame written back parses again to the same content;
 *  - a CALLERROR written for a refused message is itself a valid CALLERROR;
 *  - every error description is printable ASCII;
 *  - a parsed timestamp formats and parses back to the same instant.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ocpp16_schema.h"
#include "ocpp16_time.h"
#include "ocpp16_validate.h"
#include "ocppj_frame.h"

static void count_warning(void *arg, const char *path, const char *what)
{
    (*(unsigned *)arg)++;
    if (path == NULL || what == NULL)
        abort();
}

static void check_time(const char *s, size_t len)
{
    int64_t ms = 0, back = 0;
    unsigned quirks = 0;
    char buf[GLV_OCPP16_TIME_LEN + 1];
    int strict = glv_ocpp16_time_parse(s, len, &ms);
    int lenient = glv_ocpp16_time_parse_lenient(s, len, &back, &quirks);
    if (strict == 0 && (lenient != 0 || back != ms || quirks != 0))
        abort();
    if (lenient != 0)
        return;
    if (glv_ocpp16_time_format(back, buf) == GLV_OCPP16_TIME_LEN) {
        int64_t again = 0;
        if (glv_ocpp16_time_parse(buf, GLV_OCPP16_TIME_LEN, &again) != 0 || again != back)
            abort();
    }
}

static void check_ascii(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
            abort();
}

static void check_reparse(const char *text, size_t len, enum glv_ocppj_type type, unsigned peer,
                          const struct glv_ocppj_frame *orig)
{
    struct glv_ocppj_frame again;
    struct glv_ocppj_parse_error err;
    if (glv_ocppj_parse(text, len, peer, NULL, &again, &err) != 0 || again.type != type)
        abort();
    if (orig != NULL) {
        if (strcmp(again.id, orig->id) != 0)
            abort();
        if (type == GLV_OCPPJ_CALL && strcmp(again.action, orig->action) != 0)
            abort();
        if (orig->payload != NULL && !json_equal(again.payload, orig->payload))
            abort();
    }
    glv_ocppj_frame_clear(&again);
}

static void check_payload(const struct glv_ocpp16_node *schema, json_t *payload)
{
    unsigned warnings = 0;
    struct glv_ocpp16_validate_opts lenient = {
        .lenient = true, .warn = count_warning, .warn_arg = &warnings};
    struct glv_ocpp16_violation strict_out, lenient_out;
    enum glv_ocpp16_error s = glv_ocpp16_validate(schema, payload, NULL, &strict_out);
    enum glv_ocpp16_error l = glv_ocpp16_validate(schema, payload, &lenient, &lenient_out);
    if (s == GLV_OCPP16_OK && (l != GLV_OCPP16_OK || warnings != 0))
        abort();
    if (s != GLV_OCPP16_OK && (strict_out.code != s || strict_out.description[0] == '\0'))
        abort();
    check_ascii(strict_out.description);
    if (l != GLV_OCPP16_OK)
        check_ascii(lenient_out.description);
}

static void check_frame(const char *text, size_t size, unsigned peer, bool lenient_mode)
{
    unsigned warnings = 0;
    struct glv_ocpp16_validate_opts opts = {
        .lenient = lenient_mode, .warn = count_warning, .warn_arg = &warnings};
    struct glv_ocppj_frame f;
    struct glv_ocppj_parse_error err;
    static struct glv_ocpp16_text out; /* reused from input to input, as in galvanid */

    if (glv_ocppj_parse(text, size, peer, &opts, &f, &err) != 0) {
        if (err.code == GLV_OCPP16_OK || err.description[0] == '\0')
            abort();
        check_ascii(err.description);
        if (err.can_reply) {
            if (glv_ocppj_write_error(&out, f.id, err.code, err.description, NULL) != 0)
                abort();
            check_reparse(out.p, out.len, GLV_OCPPJ_CALLERROR, peer, NULL);
        }
        glv_ocppj_frame_clear(&f);
        return;
    }

    switch (f.type) {
    case GLV_OCPPJ_CALL:
        check_payload(f.action_def->request, f.payload);
        if (f.id_len <= GLV_OCPPJ_ID_MAX &&
            glv_ocppj_write_call(&out, f.id, f.action, f.payload) == 0)
            check_reparse(out.p, out.len, GLV_OCPPJ_CALL, peer, &f);
        break;
    case GLV_OCPPJ_CALLRESULT: {
        /* The outstanding call is unknown here: pick one from the id. */
        size_t n = glv_ocpp16_action_count();
        size_t pick = 0;
        for (size_t i = 0; i < f.id_len; i++)
            pick = pick * 31 + (unsigned char)f.id[i];
        check_payload(glv_ocpp16_action_at(pick % n)->response, f.payload);
        if (glv_ocppj_write_result(&out, f.id, f.payload) != 0)
            abort();
        check_reparse(out.p, out.len, GLV_OCPPJ_CALLRESULT, peer, &f);
        break;
    }
    default:
        if (glv_ocppj_write_error(&out, f.id, f.error_code, f.error_description, f.payload) != 0)
            abort();
        check_reparse(out.p, out.len, GLV_OCPPJ_CALLERROR, peer, NULL);
        break;
    }
    glv_ocppj_frame_clear(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    check_time(text, size);
    check_frame(text, size, GLV_OCPP16_FROM_CHARGER, false);
    check_frame(text, size, GLV_OCPP16_FROM_CHARGER, true);
    check_frame(text, size, GLV_OCPP16_FROM_CSMS, false);
    return 0;
}
