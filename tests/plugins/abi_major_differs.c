/* Test plugin: built for another ABI major */
#include <galvani/galvani.h>

static const glv_plugin_descriptor descriptor = {
    GLV_PLUGIN_GUARD,
    .name = "abi_major_differs",
    .version = "1.0",
    .description = "built for another ABI major",
    .abi_major = GLV_ABI_MAJOR + 1,
};

GLV_PLUGIN_EXPORT const glv_plugin_descriptor *glv_plugin_entry(void)
{
    return &descriptor;
}
