/* galvani tariff-ocpi — plugin entry: configuration and the "tariff" service. */
#include "tariff_service.h"

#include <errno.h>
#include <galvani/plugin.h>
#include <jansson.h>

static const char *const rounding_modes[] = {"HALF_UP", "HALF_EVEN", "HALF_DOWN",
                                             "UP",      "DOWN",      NULL};

static const glv_config_field currency_fields[] = {
    {.key = "mode",
     .type = GLV_CFG_STRING,
     .choices = rounding_modes,
     .help = "rounding mode for this currency (default: rounding.mode)"},
    {.key = "digits",
     .type = GLV_CFG_INT,
     .min = 0,
     .max = 6,
     .help = "decimals kept (default: the ISO 4217 minor unit)"},
    {0},
};

static const glv_config_field currency_value[] = {
    {.key = "currency",
     .type = GLV_CFG_OBJECT,
     .children = currency_fields,
     .help = "rounding of one currency, keyed by ISO 4217 code"},
    {0},
};

static const glv_config_field rounding_fields[] = {
    {.key = "mode",
     .type = GLV_CFG_STRING,
     .default_text = "HALF_UP",
     .choices = rounding_modes,
     .help = "rounding of every total to the currency's minor unit"},
    {.key = "currencies",
     .type = GLV_CFG_MAP,
     .children = currency_value,
     .help = "per-currency overrides of mode and digits"},
    {0},
};

static const glv_config_field config_fields[] = {
    {.key = "zoneinfo_dir",
     .type = GLV_CFG_STRING,
     .default_text = "/usr/share/zoneinfo",
     .help = "directory of the system time zone database (TZif files)"},
    {.key = "rounding",
     .type = GLV_CFG_OBJECT,
     .flags = GLV_CFG_RELOADABLE,
     .children = rounding_fields,
     .help = "rounding of money amounts"},
    {0},
};

static int tariff_init(glv_plugin *p, const glv_host *host)
{
    json_t *error = NULL;
    glv_tariff_instance *inst = glv_tariff_instance_new(host->config(p), &error);
    if (inst == NULL) {
        const char *field = json_string_value(json_object_get(error, "field"));
        const char *msg = json_string_value(json_object_get(error, "message"));
        int rc =
            host->fail(p, "tariff-ocpi.%s: %s", field ? field : "", msg ? msg : "out of memory");
        json_decref(error);
        return rc;
    }
    host->set_userdata(p, inst);
    int rc = host->service_provide(p, GLV_TARIFF_SERVICE_NAME, GLV_TARIFF_SERVICE_VERSION,
                                   &glv_tariff_service_vtable, inst);
    if (rc != 0)
        return host->fail(p, "cannot provide service \"tariff\" (%d)", rc);
    return 0;
}

static const glv_host *saved_host;

static int tariff_init_keep(glv_plugin *p, const glv_host *host)
{
    saved_host = host;
    return tariff_init(p, host);
}

static void tariff_fini(glv_plugin *p)
{
    if (saved_host != NULL)
        glv_tariff_instance_free(saved_host->userdata(p));
}

static const glv_plugin_descriptor descriptor = {
    GLV_PLUGIN_GUARD,
    .name = "tariff-ocpi",
    .version = "0.1.0",
    .description = "OCPI 2.2.1 tariff engine: prices sessions, CDRs and previews",
    .config = config_fields,
    .init = tariff_init_keep,
    .fini = tariff_fini,
};

GLV_PLUGIN_EXPORT const glv_plugin_descriptor *glv_plugin_entry(void)
{
    return &descriptor;
}
