/* Test helpers around the core's event loop. */
#include "loop_test.h"

#include <check.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

int glv_test_run_until(glv_core *core, const int *flag, int timeout_ms)
{
    struct event *t = event_new(core->base, -1, EV_PERSIST, tick, NULL);
    struct timeval tv = {0, 5000};
    event_add(t, &tv);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (*flag)
            break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed >= timeout_ms)
            break;
        event_base_loop(core->base, EVLOOP_ONCE);
    }
    event_free(t);
    return *flag != 0;
}

void glv_test_run_for(glv_core *core, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_base_loopexit(core->base, &tv);
    event_base_dispatch(core->base);
}

const char *glv_test_plugin_dir(void)
{
    const char *dir = getenv("GLV_TEST_PLUGIN_DIR");
    ck_assert_msg(dir != NULL, "GLV_TEST_PLUGIN_DIR is not set; run the tests through ctest");
    return dir;
}

const char *glv_test_plugin_path(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof(path), "%s/%s.so", glv_test_plugin_dir(), name);
    return path;
}
