/* Test plugin: depends on cycle_b */
#include <galvani/galvani.h>
static const char *const deps[] = {"cycle_b", NULL};
static const glv_plugin_descriptor descriptor = {
    GLV_PLUGIN_GUARD, .name = "cycle_a", .version = "1.0", .description = "depends on cycle_b",
    .depends = deps,
};

GLV_PLUGIN_EXPORT const glv_plugin_descriptor *glv_plugin_entry(void)
{
    return &descriptor;
}
