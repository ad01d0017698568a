/* Test plugin: a descriptor with the wrong magic */
#include <galvani/galvani.h>

static const glv_plugin_descriptor descriptor = {
    GLV_PLUGIN_GUARD,    .name = "bad_magic",
    .version = "1.0",    .description = "a descriptor with the wrong magic",
    .magic = 0x12345678,
};

GLV_PLUGIN_EXPORT const glv_plugin_descriptor *glv_plugin_entry(void)
{
    return &descriptor;
}
