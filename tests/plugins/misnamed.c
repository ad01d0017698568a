/* Test plugin: a descriptor whose name differs from its file */
#include <galvani/galvani.h>

static const glv_plugin_descriptor descriptor = {
    GLV_PLUGIN_GUARD,
    .name = "other-name",
    .version = "1.0",
    .description = "a descriptor whose name differs from its file",

};

GLV_PLUGIN_EXPORT const glv_plugin_descriptor *glv_plugin_entry(void)
{
    return &descriptor;
}
