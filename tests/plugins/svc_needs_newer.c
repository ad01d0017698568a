/* Test plugin: needs service "greeting" version 3, newer than provided. */
#include <galvani/galvani.h>

static const glv_host *H;

static int init(glv_plugin *p, const glv_host *host)
{
    H = host;
    return 0;
}

static int start(glv_plugin *p)
{
    glv_service s;
    return H->service_get(p, "greeting", 3, &s);
}

static const glv_plugin_descriptor descriptor = {
    GLV_PLUGIN_GUARD, .name = "svc_needs_newer",
    .version = "1.0", .description = "needs service greeting v3",
    .init = init,     .start = start,
};

GLV_PLUGIN_EXPORT const glv_plugin_descriptor *glv_plugin_entry(void)
{
    return &descriptor;
}
