/* OCPP-J 1.6 framing: parsing, error codes and writing. */
#include "check_run.h"
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ocpp16_error.h"
#include "ocppj_frame.h"

#define FROM_CP GLV_OCPP16_FROM_CHARGER
#define FROM_CS GLV_OCPP16_FROM_CSMS

struct warnings {
    int count;
    char last_what[160];
};

static void collect(void *arg, const char *path, const char *what)
{
    struct warnings *w = arg;
    w->count++;
    snprintf(w->last_what, sizeof(w->last_what), "%s", what);
}

/* Parses text expecting a refusal with code; returns can_reply. */
static bool refused(const char *text, unsigned peer, enum glv_ocpp16_error code,
                    const char *description)
{
    struct glv_ocppj_frame f;
    struct glv_ocppj_parse_error err;
    int rc = glv_ocppj_parse(text, strlen(text), peer, NULL, &f, &err);
    ck_assert_msg(rc == -EINVAL, "%s: parsed but should not", text);
    ck_assert_msg(err.code == code, "%s: expected %s, got %s (%s)", text,
                  glv_ocpp16_error_name(code), glv_ocpp16_error_name(err.code), err.description);
    if (description != NULL)
        ck_assert_str_eq(err.description, description);
    bool reply = err.can_reply;
    glv_ocppj_frame_clear(&f);
    return reply;
}

START_TEST(parses_a_call)
{
    const char *text = "[2,\"19223201\",\"BootNotification\",{\"chargePointVendor\":\"VendorX\","
                       "\"chargePointModel\":\"SingleSocketCharger\"}]";
    struct glv_ocppj_frame f;
    struct glv_ocppj_parse_error err;
    ck_assert_int_eq(glv_ocppj_parse(text, strlen(text), FROM_CP, NULL, &f, &err), 0);
    ck_assert_int_eq(err.code, GLV_OCPP16_OK);
    ck_assert_int_eq(f.type, GLV_OCPPJ_CALL);
    ck_assert_str_eq(f.id, "19223201");
    ck_assert_uint_eq(f.id_len, 8);
    ck_assert_str_eq(f.action, "BootNotification");
    ck_assert_ptr_eq(f.action_def, glv_ocpp16_action_find("BootNotification"));
    ck_assert_str_eq(json_string_value(json_object_get(f.payload, "chargePointVendor")), "VendorX");
    ck_assert_int_eq(glv_ocpp16_validate(f.action_def->request, f.payload, NULL, NULL),
                     GLV_OCPP16_OK);
    glv_ocppj_frame_clear(&f);
    ck_assert_ptr_null(f.root);
    ck_assert_ptr_null(f.id);
    glv_ocppj_frame_clear(&f); /* twice is harmless */
}
END_TEST

START_TEST(parses_a_callresult)
{
    const char *text = " [3, \"a-1\", {\"status\":\"Accepted\"}] ";
    struct glv_ocppj_frame f;
    ck_assert_int_eq(glv_ocppj_parse(text, strlen(text), FROM_CP, NULL, &f, NULL), 0);
    ck_assert_int_eq(f.type, GLV_OCPPJ_CALLRESULT);
    ck_assert_str_eq(f.id, "a-1");
    ck_assert_ptr_null(f.action);
    ck_assert_str_eq(json_string_value(json_object_get(f.payload, "status")), "Accepted");
    glv_ocppj_frame_clear(&f);
}
END_TEST

START_TEST(parses_a_callerror)
{
    const char *text = "[4,\"162376037\",\"NotSupported\",\"SetChargingProfile not supported\","
                       "{\"hint\":1}]";
    struct glv_ocppj_frame f;
    ck_assert_int_eq(glv_ocppj_parse(text, strlen(text), FROM_CP, NULL, &f, NULL), 0);
    ck_assert_int_eq(f.type, GLV_OCPPJ_CALLERROR);
    ck_assert_int_eq(f.error_code, GLV_OCPP16_NOT_SUPPORTED);
    ck_assert_str_eq(f.error_code_name, "NotSupported");
    ck_assert_str_eq(f.error_description, "SetChargingProfile not supported");
    ck_assert_int_eq(json_integer_value(json_object_get(f.payload, "hint")), 1);
    glv_ocppj_frame_clear(&f);

    /* a code from another protocol version is kept by name, mapped to GenericError */
    text = "[4,\"x\",\"FormatViolation\",\"\",{}]";
    ck_assert_int_eq(glv_ocppj_parse(text, strlen(text), FROM_CP, NULL, &f, NULL), 0);
    ck_assert_int_eq(f.error_code, GLV_OCPP16_GENERIC_ERROR);
    ck_assert_str_eq(f.error_code_name, "FormatViolation");
    glv_ocppj_frame_clear(&f);
}
END_TEST

START_TEST(formation_violations)
{
    ck_assert(!refused("[2,\"1\",\"Heartbeat\",{}", FROM_CP, GLV_OCPP16_FORMATION_VIOLATION, NULL));
    ck_assert(!refused("", FROM_CP, GLV_OCPP16_FORMATION_VIOLATION, NULL));
    {
        /* parser messages quote the input; the description stays ASCII */
        struct glv_ocppj_frame f;
        struct glv_ocppj_parse_error err;
        const char *text = "[2,\"1\",\"\xff\xfe\",{}]";
        ck_assert_int_eq(glv_ocppj_parse(text, strlen(text), FROM_CP, NULL, &f, &err), -EINVAL);
        ck_assert_int_eq(err.code, GLV_OCPP16_FORMATION_VIOLATION);
        for (const char *c = err.description; *c != '\0'; c++)
            ck_assert((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f);
        glv_ocppj_frame_clear(&f);
    }
    ck_assert(!refused("[2,\"1\",\"Heartbeat\",{}] trailing", FROM_CP,
                       GLV_OCPP16_FORMATION_VIOLATION, NULL));
    ck_assert(!refused("{\"messageTypeId\":2}", FROM_CP, GLV_OCPP16_FORMATION_VIOLATION,
                       "message is not a JSON array"));
    ck_assert(
        !refused("[]", FROM_CP, GLV_OCPP16_FORMATION_VIOLATION, "message type is not an integer"));
    ck_assert(!refused("[\"2\",\"1\",\"Heartbeat\",{}]", FROM_CP, GLV_OCPP16_FORMATION_VIOLATION,
                       "message type is not an integer"));
    ck_assert(refused("[5,\"1\",\"Heartbeat\",{}]", FROM_CP, GLV_OCPP16_FORMATION_VIOLATION,
                      "unknown message type 5"));
    ck_assert(refused("[2,\"1\",\"Heartbeat\"]", FROM_CP, GLV_OCPP16_FORMATION_VIOLATION,
                      "CALL must have 4 elements, not 3"));
    ck_assert(
        refused("[2,\"1\",\"Heartbeat\",{},{}]", FROM_CP, GLV_OCPP16_FORMATION_VIOLATION, NULL));
    ck_assert(!refused("[2,1,\"Heartbeat\",{}]", FROM_CP, GLV_OCPP16_FORMATION_VIOLATION,
                       "message id is not a string"));
    ck_assert(refused("[2,\"1\",7,{}]", FROM_CP, GLV_OCPP16_FORMATION_VIOLATION,
                      "CALL action is not a string"));
    ck_assert(refused("[2,\"1\",\"Heartbeat\",[]]", FROM_CP, GLV_OCPP16_FORMATION_VIOLATION,
                      "CALL payload is not a JSON object"));
    ck_assert(
        refused("[2,\"1\",\"Heartbeat\",null]", FROM_CP, GLV_OCPP16_FORMATION_VIOLATION, NULL));
    /* duplicate keys are refused, not silently merged */
    ck_assert(!refused("[2,\"1\",\"Authorize\",{\"idTag\":\"A\",\"idTag\":\"B\"}]", FROM_CP,
                       GLV_OCPP16_FORMATION_VIOLATION, NULL));
    /* responses are never answered */
    ck_assert(!refused("[3,\"1\"]", FROM_CP, GLV_OCPP16_FORMATION_VIOLATION,
                       "CALLRESULT must have 3 elements, not 2"));
    ck_assert(!refused("[3,\"1\",\"ok\"]", FROM_CP, GLV_OCPP16_FORMATION_VIOLATION,
                       "CALLRESULT payload is not a JSON object"));
    ck_assert(!refused("[4,\"1\",\"GenericError\",\"\"]", FROM_CP, GLV_OCPP16_FORMATION_VIOLATION,
                       "CALLERROR must have 5 elements, not 4"));
    ck_assert(!refused("[4,\"1\",5,\"\",{}]", FROM_CP, GLV_OCPP16_FORMATION_VIOLATION, NULL));
    ck_assert(!refused("[4,\"1\",\"GenericError\",null,{}]", FROM_CP,
                       GLV_OCPP16_FORMATION_VIOLATION, NULL));
    ck_assert(!refused("[4,\"1\",\"GenericError\",\"\",null]", FROM_CP,
                       GLV_OCPP16_FORMATION_VIOLATION, NULL));
}
END_TEST

START_TEST(message_id_rules)
{
    char text[128];
    const char *id36 = "123456789012345678901234567890123456";
    snprintf(text, sizeof(text), "[2,\"%s\",\"Heartbeat\",{}]", id36);
    struct glv_ocppj_frame f;
    ck_assert_int_eq(glv_ocppj_parse(text, strlen(text), FROM_CP, NULL, &f, NULL), 0);
    ck_assert_uint_eq(f.id_len, 36);
    glv_ocppj_frame_clear(&f);

    snprintf(text, sizeof(text), "[2,\"%s7\",\"Heartbeat\",{}]", id36);
    /* no conforming CALLERROR can carry that id: it is not answered */
    ck_assert(
        !refused(text, FROM_CP, GLV_OCPP16_PROTOCOL_ERROR, "message id longer than 36 characters"));
    ck_assert(!refused("[2,\"\",\"Heartbeat\",{}]", FROM_CP, GLV_OCPP16_PROTOCOL_ERROR,
                       "message id is empty"));
    /* the limit counts characters: 36 x U+00E9 (72 bytes) is allowed */
    char big[512] = "[2,\"";
    for (int i = 0; i < 36; i++)
        strcat(big, "\xc3\xa9");
    strcat(big, "\",\"Heartbeat\",{}]");
    ck_assert_int_eq(glv_ocppj_parse(big, strlen(big), FROM_CP, NULL, &f, NULL), 0);
    glv_ocppj_frame_clear(&f);
}
END_TEST

START_TEST(action_errors)
{
    struct glv_ocppj_frame f;
    struct glv_ocppj_parse_error err;
    const char *text = "[2,\"7\",\"Foo\",{}]";
    ck_assert_int_eq(glv_ocppj_parse(text, strlen(text), FROM_CP, NULL, &f, &err), -EINVAL);
    ck_assert_int_eq(err.code, GLV_OCPP16_NOT_IMPLEMENTED);
    ck_assert_str_eq(err.description, "unknown action 'Foo'");
    ck_assert(err.can_reply);
    ck_assert_str_eq(f.id, "7");
    ck_assert_int_eq(f.type, GLV_OCPPJ_CALL);
    glv_ocppj_frame_clear(&f);

    ck_assert(refused("[2,\"7\",\"Reset\",{\"type\":\"Hard\"}]", FROM_CP, GLV_OCPP16_NOT_SUPPORTED,
                      "action 'Reset' is not sent by a charge point"));
    ck_assert(refused("[2,\"7\",\"Heartbeat\",{}]", FROM_CS, GLV_OCPP16_NOT_SUPPORTED,
                      "action 'Heartbeat' is not sent by a central system"));
    ck_assert(refused("[2,\"7\",\"heartbeat\",{}]", FROM_CP, GLV_OCPP16_NOT_IMPLEMENTED, NULL));
    ck_assert(!refused("[2,\"7\",\"Heartbeat\\u0000x\",{}]", FROM_CP,
                       GLV_OCPP16_FORMATION_VIOLATION, NULL));

    text = "[2,\"7\",\"Reset\",{\"type\":\"Hard\"}]";
    ck_assert_int_eq(glv_ocppj_parse(text, strlen(text), FROM_CS, NULL, &f, &err), 0);
    glv_ocppj_frame_clear(&f);
    text = "[2,\"7\",\"DataTransfer\",{\"vendorId\":\"v\"}]";
    ck_assert_int_eq(glv_ocppj_parse(text, strlen(text), FROM_CP, NULL, &f, &err), 0);
    glv_ocppj_frame_clear(&f);
    ck_assert_int_eq(glv_ocppj_parse(text, strlen(text), FROM_CS, NULL, &f, &err), 0);
    glv_ocppj_frame_clear(&f);
}
END_TEST

START_TEST(lenient_callerror_without_details)
{
    struct warnings seen = {0};
    struct glv_ocpp16_validate_opts lenient = {.lenient = true, .warn = collect, .warn_arg = &seen};
    struct glv_ocppj_frame f;
    const char *text = "[4,\"9\",\"InternalError\",\"boom\"]";
    ck_assert_int_eq(glv_ocppj_parse(text, strlen(text), FROM_CP, &lenient, &f, NULL), 0);
    ck_assert_int_eq(f.error_code, GLV_OCPP16_INTERNAL_ERROR);
    ck_assert_ptr_null(f.payload);
    ck_assert_int_eq(seen.count, 1);
    ck_assert_str_eq(seen.last_what, "CALLERROR without errorDetails");
    glv_ocppj_frame_clear(&f);

    text = "[4,\"9\",\"InternalError\",\"boom\",null]";
    ck_assert_int_eq(glv_ocppj_parse(text, strlen(text), FROM_CP, &lenient, &f, NULL), 0);
    ck_assert_ptr_null(f.payload);
    ck_assert_int_eq(seen.count, 2);
    glv_ocppj_frame_clear(&f);
}
END_TEST

static struct glv_ocpp16_text out;

static void teardown_written(void)
{
    glv_ocpp16_text_free(&out);
}

START_TEST(writes_compact_frames)
{
    json_t *payload = json_pack("{s:s, s:i}", "status", "Accepted", "interval", 300);
    ck_assert_int_eq(glv_ocppj_write_call(&out, "42", "Reset", payload), 0);
    ck_assert_str_eq(out.p, "[2,\"42\",\"Reset\",{\"status\":\"Accepted\",\"interval\":300}]");
    ck_assert_uint_eq(out.len, strlen(out.p));
    teardown_written();

    ck_assert_int_eq(glv_ocppj_write_result(&out, "a\"b\\c\n", payload), 0);
    ck_assert_str_eq(out.p, "[3,\"a\\\"b\\\\c\\n\",{\"status\":\"Accepted\",\"interval\":300}]");
    teardown_written();

    ck_assert_int_eq(glv_ocppj_write_error(&out, "7", GLV_OCPP16_OCCURENCE_CONSTRAINT_VIOLATION,
                                           "idTag: required property missing", NULL),
                     0);
    ck_assert_str_eq(out.p, "[4,\"7\",\"OccurenceConstraintViolation\",\"idTag: required "
                            "property missing\",{}]");
    teardown_written();

    ck_assert_int_eq(glv_ocppj_write_error(&out, "7", GLV_OCPP16_GENERIC_ERROR, NULL, payload), 0);
    ck_assert_str_eq(out.p,
                     "[4,\"7\",\"GenericError\",\"\",{\"status\":\"Accepted\",\"interval\":300}]");
    teardown_written();

    /* control characters are escaped */
    ck_assert_int_eq(glv_ocppj_write_error(&out, "\x01", GLV_OCPP16_INTERNAL_ERROR, "a\tb", NULL),
                     0);
    ck_assert_str_eq(out.p, "[4,\"\\u0001\",\"InternalError\",\"a\\tb\",{}]");
    teardown_written();
    json_decref(payload);
}
END_TEST

START_TEST(writers_reuse_the_buffer)
{
    char data[400];
    memset(data, 'x', sizeof data - 1);
    data[sizeof data - 1] = '\0';
    json_t *big = json_pack("{s:s}", "data", data);
    json_t *empty = json_object();
    ck_assert_int_eq(glv_ocppj_write_call(&out, "1", "DataTransfer", big), 0);
    ck_assert_uint_gt(out.len, sizeof data);
    const char *buffer = out.p;
    ck_assert_int_eq(glv_ocppj_write_result(&out, "2", empty), 0);
    ck_assert_str_eq(out.p, "[3,\"2\",{}]");
    ck_assert_uint_eq(out.len, strlen(out.p));
    ck_assert_ptr_eq(out.p, buffer);
    json_decref(big);
    json_decref(empty);
}
END_TEST

START_TEST(writer_argument_checks)
{
    json_t *obj = json_object();
    json_t *arr = json_array();
    char id37[38];
    memset(id37, '1', 37);
    id37[37] = '\0';
    ck_assert_int_eq(glv_ocppj_write_call(&out, id37, "Reset", obj), -EINVAL);
    ck_assert_int_eq(glv_ocppj_write_call(&out, "", "Reset", obj), -EINVAL);
    ck_assert_int_eq(glv_ocppj_write_call(&out, "1", "", obj), -EINVAL);
    ck_assert_int_eq(glv_ocppj_write_call(&out, "1", "Reset", arr), -EINVAL);
    ck_assert_int_eq(glv_ocppj_write_call(&out, "1", "Reset", NULL), -EINVAL);
    ck_assert_int_eq(glv_ocppj_write_result(&out, NULL, obj), -EINVAL);
    ck_assert_int_eq(glv_ocppj_write_error(&out, "1", GLV_OCPP16_OK, "", NULL), -EINVAL);
    ck_assert_int_eq(glv_ocppj_write_error(&out, "1", GLV_OCPP16_GENERIC_ERROR, "", arr), -EINVAL);
    ck_assert_ptr_null(out.p);
    json_decref(obj);
    json_decref(arr);
}
END_TEST

START_TEST(description_is_cut_at_a_character_boundary)
{
    char desc[600] = "";
    for (int i = 0; i < 200; i++)
        strcat(desc, "\xc3\xa9"); /* 400 bytes */
    ck_assert_int_eq(glv_ocppj_write_error(&out, "1", GLV_OCPP16_GENERIC_ERROR, desc, NULL), 0);
    struct glv_ocppj_frame f;
    ck_assert_int_eq(glv_ocppj_parse(out.p, out.len, FROM_CP, NULL, &f, NULL), 0);
    ck_assert_uint_eq(strlen(f.error_description), 254);
    glv_ocppj_frame_clear(&f);
    teardown_written();
}
END_TEST

START_TEST(round_trip)
{
    const char *text = "[2,\"c0ffee\",\"MeterValues\",{\"connectorId\":1,\"meterValue\":[{"
                       "\"timestamp\":\"2024-05-01T12:00:00Z\",\"sampledValue\":[{\"value\":"
                       "\"12.5\",\"unit\":\"kWh\"}]}]}]";
    struct glv_ocppj_frame f;
    ck_assert_int_eq(glv_ocppj_parse(text, strlen(text), FROM_CP, NULL, &f, NULL), 0);
    ck_assert_int_eq(glv_ocppj_write_call(&out, f.id, f.action, f.payload), 0);
    ck_assert_str_eq(out.p, text);
    glv_ocppj_frame_clear(&f);
    teardown_written();
}
END_TEST

START_TEST(error_names)
{
    for (int c = GLV_OCPP16_NOT_IMPLEMENTED; c <= GLV_OCPP16_GENERIC_ERROR; c++) {
        enum glv_ocpp16_error back = GLV_OCPP16_OK;
        const char *name = glv_ocpp16_error_name((enum glv_ocpp16_error)c);
        ck_assert_ptr_nonnull(name);
        ck_assert(glv_ocpp16_error_from_name(name, &back));
        ck_assert_int_eq(back, c);
    }
    ck_assert_ptr_null(glv_ocpp16_error_name(GLV_OCPP16_OK));
    ck_assert_str_eq(glv_ocpp16_error_name((enum glv_ocpp16_error)99), "GenericError");
    ck_assert_str_eq(glv_ocpp16_error_name(GLV_OCPP16_OCCURENCE_CONSTRAINT_VIOLATION),
                     "OccurenceConstraintViolation");
    enum glv_ocpp16_error e = GLV_OCPP16_OK;
    ck_assert(!glv_ocpp16_error_from_name("OccurrenceConstraintViolation", &e));
    ck_assert(!glv_ocpp16_error_from_name(NULL, &e));
    ck_assert_int_eq(e, GLV_OCPP16_OK);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ocpp16_frame");
    TCase *tc = tcase_create("frame");
    tcase_add_checked_fixture(tc, NULL, teardown_written);
    tcase_add_test(tc, parses_a_call);
    tcase_add_test(tc, parses_a_callresult);
    tcase_add_test(tc, parses_a_callerror);
    tcase_add_test(tc, formation_violations);
    tcase_add_test(tc, message_id_rules);
    tcase_add_test(tc, action_errors);
    tcase_add_test(tc, lenient_callerror_without_details);
    tcase_add_test(tc, writes_compact_frames);
    tcase_add_test(tc, writers_reuse_the_buffer);
    tcase_add_test(tc, writer_argument_checks);
    tcase_add_test(tc, description_is_cut_at_a_character_boundary);
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, error_names);
    suite_add_tcase(s, tc);
    return glv_test_run(s);
}
