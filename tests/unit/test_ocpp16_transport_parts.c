/* The pure parts of the ocpp16 transport: meter value normalization, Basic
 * credentials of the upgrade, lenient-tolerant field readers. */
#include "check_run.h"
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocpp16_basic_auth.h"
#include "ocpp16_fields.h"
#include "ocpp16_json.h"
#include "ocpp16_meter.h"
#include "ocpp16_meter_decode.h"
#include "ocpp16_meter_rows.h"
#include "ocpp16_text.h"

static json_t *load(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, 0, &e);
    ck_assert_msg(v != NULL, "bad test JSON: %s", e.text);
    return v;
}

START_TEST(meter_values_are_normalized_to_base_units)
{
    json_t *mv = load("[{\"timestamp\": \"2024-05-01T14:30:00+02:00\", \"sampledValue\": ["
                      "{\"value\": \"12.345\", \"unit\": \"kWh\"},"
                      "{\"value\": \"7.2\", \"measurand\": \"Power.Active.Import\", \"unit\": "
                      "\"kW\", \"phase\": \"L1\"},"
                      "{\"value\": \"31\", \"measurand\": \"Temperature\", \"unit\": \"Celcius\"},"
                      "{\"value\": \"abc\", \"format\": \"SignedData\"},"
                      "{\"value\": \"16\", \"measurand\": \"Current.Import\"}]}]");
    struct glv_ocpp16_readings *r = glv_ocpp16_meter_from_json(mv);
    json_decref(mv); /* the readings hold their own copies */
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(r->n, 1);
    const struct glv_ocpp16_reading *reading = &r->reading[0];
    ck_assert_str_eq(reading->timestamp, "2024-05-01T12:30:00.000Z");
    ck_assert_double_eq_tol(reading->energy_wh, 12345.0, 1e-6);
    ck_assert_uint_eq(reading->n_samples, 5);
    const struct glv_ocpp16_sample *e = &reading->samples[0];
    ck_assert_str_eq(e->measurand, "Energy.Active.Import.Register");
    ck_assert_str_eq(e->unit, "Wh");
    ck_assert(e->has_value);
    ck_assert_double_eq_tol(e->value, 12345.0, 1e-6);
    ck_assert_str_eq(e->raw, "12.345");
    ck_assert_str_eq(e->context, "Sample.Periodic");
    ck_assert_str_eq(e->location, "Outlet");
    ck_assert_str_eq(e->format, "Raw");
    ck_assert_ptr_null(e->phase);
    const struct glv_ocpp16_sample *p = &reading->samples[1];
    ck_assert_str_eq(p->unit, "W");
    ck_assert_double_eq_tol(p->value, 7200.0, 1e-6);
    ck_assert_str_eq(p->phase, "L1");
    ck_assert_str_eq(reading->samples[2].unit, "Celsius");
    ck_assert(!reading->samples[3].has_value);
    ck_assert_str_eq(reading->samples[4].unit, "A");
    ck_assert_double_eq_tol(r->energy_wh, 12345.0, 1e-6);

    json_t *samples = glv_ocpp16_meter_samples(r);
    ck_assert_uint_eq(json_array_size(samples), 5);
    json_t *first = json_array_get(samples, 0);
    ck_assert_str_eq(json_string_value(json_object_get(first, "timestamp")),
                     "2024-05-01T12:30:00.000Z");
    ck_assert_double_eq_tol(json_real_value(json_object_get(first, "value")), 12345.0, 1e-6);
    ck_assert_ptr_null(json_object_get(first, "phase"));
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(samples, 1), "phase")), "L1");
    ck_assert(json_is_null(json_object_get(json_array_get(samples, 3), "value")));
    json_decref(samples);
    free(r);

    r = glv_ocpp16_meter_from_json(NULL);
    ck_assert_uint_eq(r->n, 0);
    ck_assert_double_eq(r->energy_wh, -1);
    free(r);
}
END_TEST

/* A value is the double strtod reads from the whole text, whether it takes
 * the short way (plain decimals of up to 15 digits) or not; anything else
 * strtod does not read whole, or reads as infinite, has no value. */
START_TEST(meter_values_read_as_strtod_does)
{
    const char *texts[] = {
        "0",
        "-0",
        "7",
        "007",
        "12.5",
        "0.1",
        "0.3",
        "-1.25",
        "5.",
        "123456789012345",
        "1234567890123456",
        "9007199254740993",
        "0.000000000000001",
        "3.14159265358979",
        "2.718281828459045",
        "1e3",
        "1.5E-2",
        " 42",
        "+8",
        ".5",
        "0x10",
        "1e400",
        "inf",
        "nan",
        "-",
        "",
        "12a",
        "1.2.3",
        "99999.99999",
        "0.1234567890123456789",
    };
    char json[4096] = "[{\"timestamp\": \"2024-05-01T12:00:00Z\", \"sampledValue\": [";
    size_t n = sizeof texts / sizeof texts[0];
    for (size_t i = 0; i < n; i++) {
        /* raw values differ, so no two samples are merged */
        char one[128];
        snprintf(one, sizeof one, "%s{\"value\": \"%s\", \"measurand\": \"Power.Offered\"}",
                 i ? "," : "", texts[i]);
        strcat(json, one);
    }
    strcat(json, "]}]");
    json_t *mv = load(json);
    struct glv_ocpp16_readings *r = glv_ocpp16_meter_from_json(mv);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(r->n, 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct glv_ocpp16_sample *s = NULL;
        for (size_t j = 0; j < r->reading[0].n_samples && s == NULL; j++)
            if (strcmp(r->reading[0].samples[j].raw, texts[i]) == 0)
                s = &r->reading[0].samples[j];
        ck_assert_msg(s != NULL, "%s: no sample", texts[i]);
        char *end = NULL;
        errno = 0;
        double want = strtod(texts[i], &end);
        bool readable = texts[i][0] != '\0' && errno == 0 && *end == '\0' && isfinite(want);
        ck_assert_msg(s->has_value == readable, "%s: has_value %d", texts[i], s->has_value);
        if (readable) {
            ck_assert_msg(memcmp(&s->value, &want, sizeof want) == 0, "%s: %.17g, strtod %.17g",
                          texts[i], s->value, want);
            k++;
        }
    }
    ck_assert_uint_ge(k, 20);
    free(r);
    json_decref(mv);
}
END_TEST

/* MeterValue elements with one timestamp (in any offset) make one reading;
 * a sampled value sent twice is kept once; a reading without an energy
 * register has no energy_wh. */
START_TEST(meter_values_are_grouped_by_time)
{
    json_t *mv = load("[{\"timestamp\": \"2024-05-01T12:00:00Z\", \"sampledValue\": ["
                      "{\"value\": \"100\"}, {\"value\": \"100\"}]},"
                      "{\"timestamp\": \"2024-05-01T12:01:00Z\", \"sampledValue\": ["
                      "{\"value\": \"16\", \"measurand\": \"Current.Import\"}]},"
                      "{\"timestamp\": \"2024-05-01T14:00:00+02:00\", \"sampledValue\": ["
                      "{\"value\": \"230\", \"measurand\": \"Voltage\"},"
                      "{\"value\": \"101\"}]}]");
    struct glv_ocpp16_readings *r = glv_ocpp16_meter_from_json(mv);
    ck_assert_uint_eq(r->n, 2);
    ck_assert_str_eq(r->reading[0].timestamp, "2024-05-01T12:00:00.000Z");
    ck_assert_uint_eq(r->reading[0].n_samples, 3);
    ck_assert_str_eq(r->reading[0].samples[1].measurand, "Voltage");
    ck_assert_double_eq_tol(r->reading[0].energy_wh, 101.0, 1e-9);
    ck_assert_uint_eq(r->reading[1].n_samples, 1);
    ck_assert_double_eq(r->reading[1].energy_wh, -1);
    ck_assert_double_eq_tol(r->energy_wh, 101.0, 1e-9);
    free(r);
    json_decref(mv);
}
END_TEST

START_TEST(text_escapes_what_it_must)
{
    struct glv_ocpp16_text t = {0};
    ck_assert_str_eq(glv_ocpp16_text_get(&t), "");
    glv_ocpp16_text_array_element(&t, "a\"b\\c,{}", 8);
    ck_assert_str_eq(glv_ocpp16_text_get(&t), "\"a\\\"b\\\\c,{}\"");
    t.len = 0;
    glv_ocpp16_text_json_string(&t, "q\"\\\n\x01é");
    ck_assert_str_eq(glv_ocpp16_text_get(&t), "\"q\\\"\\\\\\n\\u0001é\"");
    /* every ASCII byte, after text already there, reads back as itself */
    char all[127];
    for (int c = 1; c < 128; c++)
        all[c - 1] = (char)c;
    t.len = 0;
    glv_ocpp16_text_lit(&t, "[0,");
    glv_ocpp16_text_json_stringn(&t, all, sizeof all);
    glv_ocpp16_text_lit(&t, "]");
    json_t *back = json_loads(glv_ocpp16_text_get(&t), 0, NULL);
    ck_assert_ptr_nonnull(back);
    ck_assert_uint_eq(json_string_length(json_array_get(back, 1)), sizeof all);
    ck_assert_mem_eq(json_string_value(json_array_get(back, 1)), all, sizeof all);
    json_decref(back);
    t.len = 0;
    glv_ocpp16_text_double(&t, 7.2 * 1000.0);
    glv_ocpp16_text_puts(&t, " ");
    glv_ocpp16_text_double(&t, 0.1);
    glv_ocpp16_text_puts(&t, " ");
    glv_ocpp16_text_double(&t, 1.0 / 3.0);
    ck_assert_str_eq(glv_ocpp16_text_get(&t), "7200 0.1 0.3333333333333333");
    glv_ocpp16_text_free(&t);
}
END_TEST

/* Two messages, the second with two readings: seven parallel arrays (six
 * array literals and the samples' JSON array). */
START_TEST(meter_rows_are_parallel_arrays)
{
    const int64_t t0 = 1714564800000; /* 2024-05-01T12:00:00Z */
    struct glv_ocpp16_sampled one_in[] = {
        {.ms = t0, .value = "1.5", .context = "Sample.Clock", .unit = "kWh"},
    };
    struct glv_ocpp16_sampled two_in[] = {
        {.ms = t0 + 60000,
         .value = "x\"y",
         .measurand = "Voltage",
         .phase = "L1-N",
         .location = "Inlet",
         .context = "Sample.Periodic",
         .format = "SignedData"},
        {.ms = t0, .value = "230", .measurand = "Voltage", .location = "Outlet", .unit = "V"},
    };
    struct glv_ocpp16_readings *one = glv_ocpp16_meter_normalize(one_in, 1);
    struct glv_ocpp16_readings *two = glv_ocpp16_meter_normalize(two_in, 2);
    struct glv_ocpp16_meter_rows r = {0};
    const char *p[GLV_OCPP16_METER_ROW_PARAMS];
    ck_assert_int_eq(glv_ocpp16_meter_rows_params(&r, p), 0);
    ck_assert_str_eq(p[0], "{}");
    ck_assert_str_eq(p[6], "[]");
    glv_ocpp16_meter_rows_free(&r);

    glv_ocpp16_meter_rows_add(&r, 0, 7, "CP \"1\"", 1, one);
    glv_ocpp16_meter_rows_add(&r, 1, 0, "CP-2", 2, two);
    ck_assert_uint_eq(r.n, 3);
    ck_assert_int_eq(glv_ocpp16_meter_rows_params(&r, p), 0);
    ck_assert_str_eq(p[0], "{0,1,1}");
    ck_assert_str_eq(p[1], "{7,0,0}");
    ck_assert_str_eq(p[2], "{\"CP \\\"1\\\"\",\"CP-2\",\"CP-2\"}");
    ck_assert_str_eq(p[3], "{1,2,2}");
    ck_assert_str_eq(p[4], "{2024-05-01T12:00:00.000Z,2024-05-01T12:01:00.000Z,"
                           "2024-05-01T12:00:00.000Z}");
    ck_assert_str_eq(p[5], "{1500,NULL,NULL}");
    /* defaults left out, a converted value in its shortest form, the value
     * as sent otherwise; one JSON array of every reading's samples */
    ck_assert_str_eq(p[6], "[[{\"measurand\":\"Energy.Active.Import.Register\","
                           "\"context\":\"Sample.Clock\",\"unit\":\"Wh\","
                           "\"raw\":\"1.5\",\"value\":1500}],"
                           "[{\"measurand\":\"Voltage\",\"phase\":\"L1-N\","
                           "\"location\":\"Inlet\",\"unit\":\"V\","
                           "\"raw\":\"x\\\"y\",\"format\":\"SignedData\","
                           "\"value\":null}],"
                           "[{\"measurand\":\"Voltage\",\"unit\":\"V\","
                           "\"raw\":\"230\",\"value\":230}]]");
    glv_ocpp16_meter_rows_free(&r);
    free(one);
    free(two);
}
END_TEST

/* A MeterValues CALL in the plain form is read without a tree, members in
 * any order, and gives the readings the general path gives. */
START_TEST(meter_values_are_read_from_text)
{
    static const char text[] =
        " [2 , \"m-1\",\"MeterValues\", {\"meterValue\": [{\"sampledValue\": ["
        "{\"unit\": \"kWh\", \"value\": \"12.5\"},"
        "{\"value\": \"16\", \"measurand\": \"Current.Import\", \"phase\": \"L1\"}],"
        " \"timestamp\": \"2024-05-01T14:30:00+02:00\"}],"
        " \"transactionId\": 42, \"connectorId\": 2}]\n";
    struct glv_ocpp16_meter_call call;
    ck_assert(glv_ocpp16_meter_decode(text, sizeof text - 1, &call));
    ck_assert_str_eq(call.id, "m-1");
    ck_assert_int_eq(call.connector, 2);
    ck_assert_int_eq(call.tx_id, 42);
    ck_assert_uint_eq(call.readings->n, 1);
    ck_assert_str_eq(call.readings->reading[0].timestamp, "2024-05-01T12:30:00.000Z");
    ck_assert_uint_eq(call.readings->reading[0].n_samples, 2);
    ck_assert_str_eq(call.readings->reading[0].samples[1].phase, "L1");
    ck_assert_double_eq_tol(call.readings->energy_wh, 12500.0, 1e-9);
    free(call.readings);

    static const char no_tx[] = "[2,\"x\",\"MeterValues\",{\"connectorId\":0,\"meterValue\":"
                                "[{\"timestamp\":\"2024-05-01T12:00:00Z\",\"sampledValue\":"
                                "[{\"value\":\"1\"}]}]}]";
    ck_assert(glv_ocpp16_meter_decode(no_tx, sizeof no_tx - 1, &call));
    ck_assert_int_eq(call.tx_id, 0);
    free(call.readings);
}
END_TEST

/* Anything but the plain form is left to the general path. */
START_TEST(meter_values_text_leaves_the_rest)
{
    static const char *const others[] = {
        /* escapes, non-ASCII */
        "[2,\"1\",\"MeterValues\",{\"connectorId\":1,\"meterValue\":[{\"timestamp\":"
        "\"2024-05-01T12:00:00Z\",\"sampledValue\":[{\"value\":\"\\u0031\"}]}]}]",
        "[2,\"1\",\"MeterValues\",{\"connectorId\":1,\"meterValue\":[{\"timestamp\":"
        "\"2024-05-01T12:00:00Z\",\"sampledValue\":[{\"value\":\"\xc3\xa9\"}]}]}]",
        /* not in an enum, unknown property, duplicate, null, real, missing */
        "[2,\"1\",\"MeterValues\",{\"connectorId\":1,\"meterValue\":[{\"timestamp\":"
        "\"2024-05-01T12:00:00Z\",\"sampledValue\":[{\"value\":\"1\",\"unit\":\"kwh\"}]}]}]",
        "[2,\"1\",\"MeterValues\",{\"connectorId\":1,\"foo\":1,\"meterValue\":[{\"timestamp\":"
        "\"2024-05-01T12:00:00Z\",\"sampledValue\":[{\"value\":\"1\"}]}]}]",
        "[2,\"1\",\"MeterValues\",{\"connectorId\":1,\"connectorId\":2,\"meterValue\":[{"
        "\"timestamp\":\"2024-05-01T12:00:00Z\",\"sampledValue\":[{\"value\":\"1\"}]}]}]",
        "[2,\"1\",\"MeterValues\",{\"connectorId\":1,\"transactionId\":null,\"meterValue\":[{"
        "\"timestamp\":\"2024-05-01T12:00:00Z\",\"sampledValue\":[{\"value\":\"1\"}]}]}]",
        "[2,\"1\",\"MeterValues\",{\"connectorId\":1.0,\"meterValue\":[{\"timestamp\":"
        "\"2024-05-01T12:00:00Z\",\"sampledValue\":[{\"value\":\"1\"}]}]}]",
        "[2,\"1\",\"MeterValues\",{\"meterValue\":[{\"timestamp\":"
        "\"2024-05-01T12:00:00Z\",\"sampledValue\":[{\"value\":\"1\"}]}]}]",
        /* empty arrays, a lenient timestamp, a sampled value without value */
        "[2,\"1\",\"MeterValues\",{\"connectorId\":1,\"meterValue\":[]}]",
        "[2,\"1\",\"MeterValues\",{\"connectorId\":1,\"meterValue\":[{\"timestamp\":"
        "\"2024-05-01T12:00:00Z\",\"sampledValue\":[]}]}]",
        "[2,\"1\",\"MeterValues\",{\"connectorId\":1,\"meterValue\":[{\"timestamp\":"
        "\"2024-05-01 12:00:00\",\"sampledValue\":[{\"value\":\"1\"}]}]}]",
        "[2,\"1\",\"MeterValues\",{\"connectorId\":1,\"meterValue\":[{\"timestamp\":"
        "\"2024-05-01T12:00:00Z\",\"sampledValue\":[{\"unit\":\"Wh\"}]}]}]",
        /* the envelope: another action, another type, an empty or long id,
         * trailing text, a trailing comma */
        "[2,\"1\",\"Heartbeat\",{}]",
        "[3,\"1\",{}]",
        "[2,\"\",\"MeterValues\",{\"connectorId\":1,\"meterValue\":[{\"timestamp\":"
        "\"2024-05-01T12:00:00Z\",\"sampledValue\":[{\"value\":\"1\"}]}]}]",
        "[2,\"0123456789012345678901234567890123456\",\"MeterValues\",{\"connectorId\":1,"
        "\"meterValue\":[{\"timestamp\":\"2024-05-01T12:00:00Z\",\"sampledValue\":"
        "[{\"value\":\"1\"}]}]}]",
        "[2,\"1\",\"MeterValues\",{\"connectorId\":1,\"meterValue\":[{\"timestamp\":"
        "\"2024-05-01T12:00:00Z\",\"sampledValue\":[{\"value\":\"1\"}]}]}] x",
        "[2,\"1\",\"MeterValues\",{\"connectorId\":1,\"meterValue\":[{\"timestamp\":"
        "\"2024-05-01T12:00:00Z\",\"sampledValue\":[{\"value\":\"1\"},]}]}]",
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        struct glv_ocpp16_meter_call call = {.readings = NULL};
        ck_assert_msg(!glv_ocpp16_meter_decode(others[i], strlen(others[i]), &call), "read: %s",
                      others[i]);
        ck_assert_ptr_null(call.readings);
    }
}
END_TEST

/* The OCPP-J parser builds what jansson builds and refuses what it refuses,
 * saying where. */
START_TEST(json_parser_matches_jansson)
{
    static const char *const good[] = {
        "[2,\"1\",\"Heartbeat\",{}]",
        " {\"a\": [1, -0, 0.5e-3, 1E+2, 9223372036854775807, -9223372036854775808]} ",
        "[\"\\u00e9\\ud83d\\ude00\\n\\/\", \"\xc3\xa9\", true, false, null, {}, []]",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        struct glv_ocpp16_json_error err;
        json_t *ours = glv_ocpp16_json_parse(good[i], strlen(good[i]), &err);
        json_t *theirs = json_loads(good[i], JSON_REJECT_DUPLICATES, NULL);
        ck_assert_msg(ours != NULL, "%s: %s", good[i], err.text);
        ck_assert_ptr_nonnull(theirs);
        ck_assert(json_equal(ours, theirs));
        json_decref(ours);
        json_decref(theirs);
    }
    static const struct {
        const char *text;
        size_t column;
    } bad[] = {
        {"", 1},
        {"1", 1},
        {"[1,]", 4},
        {"[01]", 3},
        {"[1] x", 5},
        {"{\"a\":1,\"a\":2}", 11},
        {"[\"\\ud800\"]", 9},
        {"[\"\\u0000\"]", 9},
        {"[\"\xc0\xaf\"]", 3},
        {"[9223372036854775808]", 21},
        {"[1e999]", 7},
        {"[\"a\tb\"]", 4},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct glv_ocpp16_json_error err;
        json_t *v = glv_ocpp16_json_parse(bad[i].text, strlen(bad[i].text), &err);
        ck_assert_msg(v == NULL, "accepted %s", bad[i].text);
        ck_assert_msg(err.column == bad[i].column, "%s: column %zu, expected %zu (%s)", bad[i].text,
                      err.column, bad[i].column, err.text);
        ck_assert_ptr_null(json_loads(bad[i].text, JSON_REJECT_DUPLICATES, NULL));
    }
    /* 2048 levels are taken, 2049 are not */
    char deep[2 * 2049 + 1];
    for (int levels = 2048; levels <= 2049; levels++) {
        memset(deep, '[', (size_t)levels - 1);
        deep[levels - 1] = '1';
        memset(deep + levels, ']', (size_t)levels - 1);
        size_t len = 2 * (size_t)levels - 1;
        json_t *v = glv_ocpp16_json_parse(deep, len, NULL);
        json_t *j = json_loadb(deep, len, 0, NULL);
        ck_assert_int_eq(v != NULL, levels == 2048);
        ck_assert_int_eq(j != NULL, levels == 2048);
        json_decref(v);
        json_decref(j);
    }
}
END_TEST

START_TEST(basic_credentials)
{
    struct glv_ocpp16_basic b;
    /* "CP-1:pass:word" */
    ck_assert_int_eq(glv_ocpp16_basic_parse("Basic Q1AtMTpwYXNzOndvcmQ=", &b), 0);
    ck_assert_str_eq(b.user, "CP-1");
    ck_assert_str_eq(b.password, "pass:word");
    ck_assert_int_eq(glv_ocpp16_basic_parse("basic   Q1AtMTpwYXNzOndvcmQ=  ", &b), 0);
    ck_assert_str_eq(b.user, "CP-1");
    ck_assert_int_eq(glv_ocpp16_basic_parse(NULL, &b), -EINVAL);
    ck_assert_int_eq(glv_ocpp16_basic_parse("Bearer abc", &b), -EINVAL);
    ck_assert_int_eq(glv_ocpp16_basic_parse("Basic Q1AtMQ==", &b), -EINVAL); /* no colon */
    ck_assert_int_eq(glv_ocpp16_basic_parse("Basic Q1At*TE6", &b), -EINVAL); /* bad char */
    ck_assert_int_eq(glv_ocpp16_basic_parse("Basic Q1AtMTp", &b), -EINVAL);  /* length */
    ck_assert_int_eq(glv_ocpp16_basic_parse("Basic QQ==QQ==", &b), -EINVAL); /* mid padding */
    ck_assert_int_eq(glv_ocpp16_basic_parse("Basic QQA6eA==", &b), -EINVAL); /* NUL */
}
END_TEST

START_TEST(field_readers_take_lenient_forms)
{
    json_t *o = load("{\"a\": 1200.0, \"b\": 1200.5, \"c\": null, \"d\": \"x\","
                     " \"t\": \"2024-05-01 12:30:00\", \"u\": \"2024-05-01T12:30:00Z\"}");
    int64_t v = 0;
    ck_assert(glv_ocpp16_field_int(o, "a", &v));
    ck_assert_int_eq(v, 1200);
    ck_assert(!glv_ocpp16_field_int(o, "b", &v));
    ck_assert(!glv_ocpp16_field_int(o, "c", &v));
    ck_assert_ptr_null(glv_ocpp16_field_str(o, "c"));
    ck_assert_str_eq(glv_ocpp16_field_str(o, "d"), "x");
    int64_t t1 = 0, t2 = 0;
    ck_assert(glv_ocpp16_field_time(o, "t", &t1));
    ck_assert(glv_ocpp16_field_time(o, "u", &t2));
    ck_assert_int_eq(t1, t2);
    char buf[25];
    ck_assert_str_eq(glv_ocpp16_iso(t1, buf), "2024-05-01T12:30:00.000Z");
    json_decref(o);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ocpp16_transport_parts");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, meter_values_are_normalized_to_base_units);
    tcase_add_test(tc, meter_values_are_grouped_by_time);
    tcase_add_test(tc, meter_values_read_as_strtod_does);
    tcase_add_test(tc, text_escapes_what_it_must);
    tcase_add_test(tc, json_parser_matches_jansson);
    tcase_add_test(tc, meter_rows_are_parallel_arrays);
    tcase_add_test(tc, meter_values_are_read_from_text);
    tcase_add_test(tc, meter_values_text_leaves_the_rest);
    tcase_add_test(tc, basic_credentials);
    tcase_add_test(tc, field_readers_take_lenient_forms);
    suite_add_tcase(s, tc);
    return glv_test_run(s);
}
