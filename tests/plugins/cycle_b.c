/* Test plugin: depends on cycle_a */
#include <galvani/galvani.h>
static const char *const deps[] = {"cycle_a", NULL};
static const glv_plugin_descriptor descriptor = {
    GLV_PLUGIN_GUARD, .name = "cycle_b", .version = "1.0", .description = "depends on cycle_a",
    .depends = deps,
};

GLV_PLUGIN_EXPORT const glv_plugin_descriptor *glv_plugin_entry(void)
{
    return &descriptor;
}
