/* galvani tariff-ocpi — the "tariff" service functions over JSON. */
#include "tariff_service.h"

#include "engine.h"
#include "timeline.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct currency_rounding {
    char code[4];
    glv_rounding_mode mode;
    int digits; /* -1: the ISO 4217 minor unit */
} currency_rounding;

struct glv_tariff_instance {
    glv_tzdb *tzdb;
    glv_rounding_mode mode;
    size_t ncurrencies;
    currency_rounding *currencies;
};

static glv_tariff_instance *config_fail(glv_tariff_instance *inst, json_t **error,
                                        const char *field, const char *msg)
{
    if (error != NULL)
        *error = glv_tariff_error(field, "%s", msg);
    glv_tariff_instance_free(inst);
    return NULL;
}

glv_tariff_instance *glv_tariff_instance_new(const json_t *config, json_t **error)
{
    if (error != NULL)
        *error = NULL;
    glv_tariff_instance *inst = calloc(1, sizeof *inst);
    if (inst == NULL)
        return NULL;
    json_t *dir = json_object_get(config, "zoneinfo_dir");
    if (dir != NULL && !json_is_string(dir))
        return config_fail(inst, error, "zoneinfo_dir", "must be a string");
    inst->tzdb = glv_tzdb_new(dir != NULL ? json_string_value(dir) : "/usr/share/zoneinfo");
    if (inst->tzdb == NULL)
        return config_fail(inst, error, NULL, "out of memory");
    json_t *rounding = json_object_get(config, "rounding");
    json_t *mode = json_object_get(rounding, "mode");
    if (mode != NULL && glv_rounding_mode_parse(json_string_value(mode), &inst->mode) != 0)
        return config_fail(inst, error, "rounding.mode",
                           "must be HALF_UP, HALF_EVEN, HALF_DOWN, UP or DOWN");
    json_t *cur = json_object_get(rounding, "currencies");
    if (cur != NULL && !json_is_object(cur))
        return config_fail(inst, error, "rounding.currencies", "must be a mapping");
    size_t n = json_object_size(cur);
    inst->currencies = calloc(n ? n : 1, sizeof *inst->currencies);
    if (inst->currencies == NULL)
        return config_fail(inst, error, NULL, "out of memory");
    const char *code;
    json_t *v;
    json_object_foreach(cur, code, v)
    {
        char field[64];
        snprintf(field, sizeof field, "rounding.currencies.%s", code);
        if (glv_currency_digits(code) < 0)
            return config_fail(inst, error, field, "unknown ISO 4217 currency");
        currency_rounding *c = &inst->currencies[inst->ncurrencies++];
        snprintf(c->code, sizeof c->code, "%s", code);
        c->mode = inst->mode;
        c->digits = -1;
        json_t *m = json_object_get(v, "mode"), *d = json_object_get(v, "digits");
        if (m != NULL && glv_rounding_mode_parse(json_string_value(m), &c->mode) != 0)
            return config_fail(inst, error, field,
                               "mode must be HALF_UP, HALF_EVEN, HALF_DOWN, UP or DOWN");
        if (d != NULL) {
            if (!json_is_integer(d) || json_integer_value(d) < 0 || json_integer_value(d) > 6)
                return config_fail(inst, error, field, "digits must be an integer from 0 to 6");
            c->digits = (int)json_integer_value(d);
        }
    }
    return inst;
}

void glv_tariff_instance_free(glv_tariff_instance *inst)
{
    if (inst == NULL)
        return;
    glv_tzdb_free(inst->tzdb);
    free(inst->currencies);
    free(inst);
}

glv_rounding glv_tariff_instance_rounding(const glv_tariff_instance *inst, const char *currency)
{
    int iso = glv_currency_digits(currency);
    glv_rounding r = {inst->mode, iso < 0 ? 2 : iso > 6 ? 6 : iso};
    for (size_t i = 0; i < inst->ncurrencies; i++) {
        if (strcmp(inst->currencies[i].code, currency) == 0) {
            r.mode = inst->currencies[i].mode;
            if (inst->currencies[i].digits >= 0)
                r.digits = inst->currencies[i].digits;
        }
    }
    return r;
}

glv_tzdb *glv_tariff_instance_tzdb(glv_tariff_instance *inst)
{
    return inst->tzdb;
}

int glv_tariff_read(const json_t *tariff, const char *ocpi_version, glv_tariff *out, json_t **error)
{
    if (error != NULL)
        *error = NULL;
    if (ocpi_version == NULL || strcmp(ocpi_version, "2.2.1") == 0 ||
        strcmp(ocpi_version, "2.2") == 0)
        return glv_tariff_parse(tariff, out, error);
    if (strcmp(ocpi_version, "2.1.1") != 0) {
        if (error != NULL)
            *error =
                glv_tariff_error("ocpi_version", "unsupported OCPI version \"%s\"", ocpi_version);
        return -EINVAL;
    }
    json_t *converted = glv_tariff_from_ocpi211(tariff, NULL, NULL, error);
    if (converted == NULL)
        return error != NULL && *error != NULL ? -EINVAL : -ENOMEM;
    int rc = glv_tariff_parse(converted, out, error);
    json_decref(converted);
    return rc;
}

static int svc_validate(void *instance, const json_t *tariff, const char *ocpi_version,
                        json_t **error)
{
    (void)instance;
    glv_tariff t;
    int rc = glv_tariff_read(tariff, ocpi_version, &t, error);
    if (rc == 0)
        glv_tariff_clear(&t);
    return rc;
}

enum price_kind { PRICE_FINAL, PRICE_RUNNING, PRICE_PREVIEW };

static int price(glv_tariff_instance *inst, const json_t *tariff, const char *ocpi_version,
                 const json_t *input, enum price_kind kind, json_t **result, json_t **error)
{
    json_t *dummy = NULL;
    if (error == NULL)
        error = &dummy;
    *error = NULL;
    *result = NULL;
    glv_tariff t;
    int rc = glv_tariff_read(tariff, ocpi_version, &t, error);
    if (rc != 0)
        goto out;
    glv_timeline tl;
    if (kind == PRICE_PREVIEW)
        rc = glv_timeline_preview(input, inst->tzdb, &tl, error);
    else
        rc = glv_timeline_parse(input, inst->tzdb, kind == PRICE_FINAL, &tl, error);
    if (rc != 0) {
        glv_tariff_clear(&t);
        goto out;
    }
    glv_price_result res = {0};
    rc = glv_price(&t, &tl, glv_tariff_instance_rounding(inst, t.currency), &res, error);
    if (rc == 0) {
        *result = glv_price_result_json(&res, &t);
        if (*result == NULL)
            rc = -ENOMEM;
    }
    glv_price_result_clear(&res);
    glv_timeline_clear(&tl);
    glv_tariff_clear(&t);
out:
    json_decref(dummy);
    return rc;
}

static int svc_price_session(void *instance, const json_t *tariff, const char *ocpi_version,
                             const json_t *timeline, json_t **result, json_t **error)
{
    return price(instance, tariff, ocpi_version, timeline, PRICE_FINAL, result, error);
}

static int svc_price_running(void *instance, const json_t *tariff, const char *ocpi_version,
                             const json_t *timeline, json_t **result, json_t **error)
{
    return price(instance, tariff, ocpi_version, timeline, PRICE_RUNNING, result, error);
}

static int svc_preview(void *instance, const json_t *tariff, const char *ocpi_version,
                       const json_t *expected, json_t **result, json_t **error)
{
    return price(instance, tariff, ocpi_version, expected, PRICE_PREVIEW, result, error);
}

const glv_tariff_service glv_tariff_service_vtable = {
    .size = sizeof(glv_tariff_service),
    .validate = svc_validate,
    .price_session = svc_price_session,
    .price_running = svc_price_running,
    .preview = svc_preview,
};
