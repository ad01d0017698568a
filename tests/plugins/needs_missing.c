/* Test plugin: depends on a plugin that is not loaded */
#include <galvani/galvani.h>
static const char *const deps[] = {"absent-plugin", NULL};
static const glv_plugin_descriptor descriptor = {
    GLV_PLUGIN_GUARD, .name = "needs_missing",
    .version = "1.0", .description = "depends on a plugin that is not loaded",
    .depends = deps,
};

GLV_PLUGIN_EXPORT const glv_plugin_descriptor *glv_plugin_entry(void)
{
    return &descriptor;
}
