/* Test plugin: init fails with a reason */
#include <galvani/galvani.h>
static int init(glv_plugin *p, const glv_host *host)
{
    return host->fail(p, "cannot reach the token server at %s", "tokens.example");
}
static const glv_plugin_descriptor descriptor = {
    GLV_PLUGIN_GUARD, .name = "init_fails",
    .version = "1.0", .description = "init fails with a reason",
    .init = init,
};

GLV_PLUGIN_EXPORT const glv_plugin_descriptor *glv_plugin_entry(void)
{
    return &descriptor;
}
