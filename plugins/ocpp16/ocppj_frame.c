/* OCPP-J 1.6 message framing: CALL / CALLRESULT / CALLERROR parsing and writing. */
#include "ocppj_frame.h"

#include "ocpp16_json.h"
#include "ocpp16_text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 3, 4))) static int
refuse(struct glv_ocppj_parse_error *err, enum glv_ocpp16_error code, const char *fmt, ...)
{
    if (err != NULL) {
        err->code = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->description, sizeof(err->description), fmt, ap);
        va_end(ap);
        /* Parts may come from the input (parser messages): keep it ASCII. */
        for (char *c = err->description; *c != '\0'; c++)
            if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
                *c = '?';
    }
    return -EINVAL;
}

static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            n++;
    return n;
}

static const char *frame_name(enum glv_ocppj_type type)
{
    switch (type) {
    case GLV_OCPPJ_CALL:
        return "CALL";
    case GLV_OCPPJ_CALLRESULT:
        return "CALLRESULT";
    default:
        return "CALLERROR";
    }
}

static void lenient_warn(const struct glv_ocpp16_validate_opts *opts, const char *what)
{
    if (opts->warn != NULL)
        opts->warn(opts->warn_arg, "", what);
}

static int parse_call(json_t *root, unsigned peer, struct glv_ocppj_frame *frame,
                      struct glv_ocppj_parse_error *err)
{
    json_t *action = json_array_get(root, 2);
    json_t *payload = json_array_get(root, 3);
    if (!json_is_string(action))
        return refuse(err, GLV_OCPP16_FORMATION_VIOLATION, "CALL action is not a string");
    frame->action = json_string_value(action);
    if (!json_is_object(payload))
        return refuse(err, GLV_OCPP16_FORMATION_VIOLATION, "CALL payload is not a JSON object");
    frame->payload = payload;

    char name[48];
    size_t alen = json_string_length(action);
    snprintf(name, sizeof(name), "%.*s%s", (int)(alen < 40 ? alen : 40), frame->action,
             alen > 40 ? "..." : "");
    for (char *c = name; *c != '\0'; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f || *c == '\'')
            *c = '?';
    const struct glv_ocpp16_action *def =
        strlen(frame->action) == alen ? glv_ocpp16_action_find(frame->action) : NULL;
    if (def == NULL)
        return refuse(err, GLV_OCPP16_NOT_IMPLEMENTED, "unknown action '%s'", name);
    frame->action_def = def;
    if ((def->senders & peer) == 0)
        return refuse(err, GLV_OCPP16_NOT_SUPPORTED, "action '%s' is not sent by a %s", name,
                      peer == GLV_OCPP16_FROM_CHARGER ? "charge point" : "central system");
    return 0;
}

static int parse_callerror(json_t *root, const struct glv_ocpp16_validate_opts *opts,
                           struct glv_ocppj_frame *frame, struct glv_ocppj_parse_error *err)
{
    json_t *code = json_array_get(root, 2);
    json_t *description = json_array_get(root, 3);
    json_t *details = json_array_get(root, 4);
    if (!json_is_string(code))
        return refuse(err, GLV_OCPP16_FORMATION_VIOLATION, "CALLERROR errorCode is not a string");
    if (!json_is_string(description))
        return refuse(err, GLV_OCPP16_FORMATION_VIOLATION,
                      "CALLERROR errorDescription is not a string");
    if (details == NULL) {
        lenient_warn(opts, "CALLERROR without errorDetails");
    } else if (json_is_null(details) && opts->lenient) {
        lenient_warn(opts, "CALLERROR with null errorDetails");
        details = NULL;
    } else if (!json_is_object(details)) {
        return refuse(err, GLV_OCPP16_FORMATION_VIOLATION,
                      "CALLERROR errorDetails is not a JSON object");
    }
    frame->error_code_name = json_string_value(code);
    if (!glv_ocpp16_error_from_name(frame->error_code_name, &frame->error_code))
        frame->error_code = GLV_OCPP16_GENERIC_ERROR;
    frame->error_description = json_string_value(description);
    frame->payload = details;
    return 0;
}

int glv_ocppj_parse(const char *text, size_t len, unsigned peer,
                    const struct glv_ocpp16_validate_opts *opts, struct glv_ocppj_frame *frame,
                    struct glv_ocppj_parse_error *err)
{
    static const struct glv_ocpp16_validate_opts strict = {.lenient = false};
    if (opts == NULL)
        opts = &strict;
    memset(frame, 0, sizeof(*frame));
    if (err != NULL) {
        err->code = GLV_OCPP16_OK;
        err->can_reply = false;
        err->description[0] = '\0';
    }
    if (text == NULL)
        return refuse(err, GLV_OCPP16_FORMATION_VIOLATION, "empty message");

    struct glv_ocpp16_json_error jerr;
    json_t *root = glv_ocpp16_json_parse(text, len, &jerr);
    if (root == NULL)
        return refuse(err, GLV_OCPP16_FORMATION_VIOLATION, "not valid JSON: %s (column %zu)",
                      jerr.text, jerr.column);
    frame->root = root;
    if (!json_is_array(root))
        return refuse(err, GLV_OCPP16_FORMATION_VIOLATION, "message is not a JSON array");

    size_t count = json_array_size(root);
    json_t *type = json_array_get(root, 0);
    json_t *id = json_array_get(root, 1);
    if (json_is_string(id)) {
        frame->id = json_string_value(id);
        frame->id_len = json_string_length(id);
    }
    if (!json_is_integer(type))
        return refuse(err, GLV_OCPP16_FORMATION_VIOLATION, "message type is not an integer");
    json_int_t t = json_integer_value(type);
    if (t == GLV_OCPPJ_CALL || t == GLV_OCPPJ_CALLRESULT || t == GLV_OCPPJ_CALLERROR)
        frame->type = (enum glv_ocppj_type)t;
    /* Anything that is not a response may be answered, provided its id is
     * one a conforming CALLERROR can carry. */
    bool id_ok = frame->id != NULL && frame->id_len > 0 && strlen(frame->id) == frame->id_len &&
                 utf8_chars(frame->id, frame->id_len) <= GLV_OCPPJ_ID_MAX;
    if (err != NULL)
        err->can_reply =
            id_ok && frame->type != GLV_OCPPJ_CALLRESULT && frame->type != GLV_OCPPJ_CALLERROR;
    if (frame->type == GLV_OCPPJ_UNKNOWN)
        return refuse(err, GLV_OCPP16_FORMATION_VIOLATION, "unknown message type %lld",
                      (long long)t);

    size_t want = frame->type == GLV_OCPPJ_CALL ? 4 : frame->type == GLV_OCPPJ_CALLRESULT ? 3 : 5;
    bool short_error = frame->type == GLV_OCPPJ_CALLERROR && count == 4 && opts->lenient;
    if (count != want && !short_error)
        return refuse(err, GLV_OCPP16_FORMATION_VIOLATION, "%s must have %zu elements, not %zu",
                      frame_name(frame->type), want, count);
    if (frame->id == NULL)
        return refuse(err, GLV_OCPP16_FORMATION_VIOLATION, "message id is not a string");
    if (frame->id_len == 0)
        return refuse(err, GLV_OCPP16_PROTOCOL_ERROR, "message id is empty");
    if (strlen(frame->id) != frame->id_len)
        return refuse(err, GLV_OCPP16_PROTOCOL_ERROR, "message id contains a NUL character");
    if (!id_ok)
        return refuse(err, GLV_OCPP16_PROTOCOL_ERROR, "message id longer than %d characters",
                      GLV_OCPPJ_ID_MAX);

    switch (frame->type) {
    case GLV_OCPPJ_CALL:
        return parse_call(root, peer, frame, err);
    case GLV_OCPPJ_CALLRESULT:
        frame->payload = json_array_get(root, 2);
        if (!json_is_object(frame->payload))
            return refuse(err, GLV_OCPP16_FORMATION_VIOLATION,
                          "CALLRESULT payload is not a JSON object");
        return 0;
    default:
        return parse_callerror(root, opts, frame, err);
    }
}

void glv_ocppj_frame_clear(struct glv_ocppj_frame *frame)
{
    if (frame == NULL)
        return;
    json_decref(frame->root);
    memset(frame, 0, sizeof(*frame));
}

/* ---- writing ---- */

/* Appends value as compact JSON, dumped straight into the buffer. */
static void put_json(struct glv_ocpp16_text *b, const json_t *value)
{
    if (b->failed)
        return;
    if (json_is_object(value) && json_object_size(value) == 0) {
        glv_ocpp16_text_lit(b, "{}"); /* most answers: no dump needed */
        return;
    }
    size_t room = b->cap > b->len ? b->cap - b->len - 1 : 0;
    size_t need = json_dumpb(value, room > 0 ? b->p + b->len : NULL, room, JSON_COMPACT);
    if (need == 0) {
        b->failed = true;
        return;
    }
    if (need > room) {
        if (!glv_ocpp16_text_reserve(b, need))
            return;
        room = b->cap - b->len - 1;
        if (json_dumpb(value, b->p + b->len, room, JSON_COMPACT) != need) {
            b->failed = true;
            return;
        }
    }
    b->len += need;
    b->p[b->len] = '\0';
}

/* Empties b for a new frame, keeping its buffer. */
static void start(struct glv_ocpp16_text *b)
{
    b->len = 0;
    b->failed = false;
}

int glv_ocppj_write_call(struct glv_ocpp16_text *out, const char *id, const char *action,
                         json_t *payload)
{
    if (out == NULL || id == NULL || action == NULL || *action == '\0' || !json_is_object(payload))
        return -EINVAL;
    size_t id_len = strlen(id);
    if (id_len == 0 || utf8_chars(id, id_len) > GLV_OCPPJ_ID_MAX)
        return -EINVAL;
    start(out);
    glv_ocpp16_text_lit(out, "[2,");
    glv_ocpp16_text_json_stringn(out, id, id_len);
    glv_ocpp16_text_lit(out, ",");
    glv_ocpp16_text_json_string(out, action);
    glv_ocpp16_text_lit(out, ",");
    put_json(out, payload);
    glv_ocpp16_text_lit(out, "]");
    return out->failed ? -ENOMEM : 0;
}

int glv_ocppj_write_result(struct glv_ocpp16_text *out, const char *id, json_t *payload)
{
    if (out == NULL || id == NULL || !json_is_object(payload))
        return -EINVAL;
    start(out);
    glv_ocpp16_text_lit(out, "[3,");
    glv_ocpp16_text_json_string(out, id);
    glv_ocpp16_text_lit(out, ",");
    put_json(out, payload);
    glv_ocpp16_text_lit(out, "]");
    return out->failed ? -ENOMEM : 0;
}

/* Length of description cut to at most max bytes without splitting a character. */
static size_t cut_utf8(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return n;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--;
    return n;
}

int glv_ocppj_write_error(struct glv_ocpp16_text *out, const char *id, enum glv_ocpp16_error code,
                          const char *description, json_t *details)
{
    const char *name = glv_ocpp16_error_name(code);
    if (out == NULL || id == NULL || name == NULL || (details != NULL && !json_is_object(details)))
        return -EINVAL;
    if (description == NULL)
        description = "";
    start(out);
    glv_ocpp16_text_lit(out, "[4,");
    glv_ocpp16_text_json_string(out, id);
    glv_ocpp16_text_lit(out, ",");
    glv_ocpp16_text_json_string(out, name);
    glv_ocpp16_text_lit(out, ",");
    glv_ocpp16_text_json_stringn(out, description,
                                 cut_utf8(description, GLV_OCPPJ_DESCRIPTION_MAX));
    glv_ocpp16_text_lit(out, ",");
    if (details != NULL)
        put_json(out, details);
    else
        glv_ocpp16_text_lit(out, "{}");
    glv_ocpp16_text_lit(out, "]");
    return out->failed ? -ENOMEM : 0;
}
