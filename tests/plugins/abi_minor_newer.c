/* Test plugin: built for a newer ABI minor than the host */
#include <galvani/galvani.h>

static const glv_plugin_descriptor descriptor = {
    GLV_PLUGIN_GUARD,
    .name = "abi_minor_newer",
    .version = "1.0",
    .description = "built for a newer ABI minor than the host",
    .abi_minor = GLV_ABI_MINOR + 1,
};

GLV_PLUGIN_EXPORT const glv_plugin_descriptor *glv_plugin_entry(void)
{
    return &descriptor;
}
