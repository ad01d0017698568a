/* Test plugin: a descriptor smaller than ABI 0.1's */
#include <galvani/galvani.h>

static const glv_plugin_descriptor descriptor = {
    GLV_PLUGIN_GUARD, .name = "descriptor_too_small",
    .version = "1.0", .description = "a descriptor smaller than ABI 0.1's",
    .size = 16,
};

GLV_PLUGIN_EXPORT const glv_plugin_descriptor *glv_plugin_entry(void)
{
    return &descriptor;
}
