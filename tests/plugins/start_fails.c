/* Test plugin: start fails with a reason */
#include <galvani/galvani.h>
static const glv_host *H;
static int finished;
static int init(glv_plugin *p, const glv_host *host)
{
    H = host;
    return 0;
}
static int start(glv_plugin *p)
{
    return H->fail(p, "certificate file is unreadable");
}
static void fini(glv_plugin *p)
{
    finished++;
    H->log(p, GLV_LOG_INFO, "fini ran %d time(s)", finished);
}
static const glv_plugin_descriptor descriptor = {
    GLV_PLUGIN_GUARD, .name = "start_fails",
    .version = "1.0", .description = "start fails with a reason",
    .init = init,     .start = start,
    .fini = fini,
};

GLV_PLUGIN_EXPORT const glv_plugin_descriptor *glv_plugin_entry(void)
{
    return &descriptor;
}
