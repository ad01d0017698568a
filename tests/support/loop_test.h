/* Test helpers around the core's event loop. */
#ifndef GLV_LOOP_TEST_H
#define GLV_LOOP_TEST_H

#include "core-internal.h"

/* Runs the loop until *flag becomes non-zero or timeout_ms passes.
 * Returns 1 when the flag was set, 0 on timeout. */
int glv_test_run_until(glv_core *core, const int *flag, int timeout_ms);
/* Runs the loop for ms milliseconds. */
void glv_test_run_for(glv_core *core, int ms);
/* Path of a test plugin: $GLV_TEST_PLUGIN_DIR/NAME.so (static buffer). */
const char *glv_test_plugin_path(const char *name);
/* The test plugin directory ($GLV_TEST_PLUGIN_DIR); aborts the test if unset. */
const char *glv_test_plugin_dir(void);

#endif
