/*
 * galvani core — private. The worker pool: blocking work off the loop,
 * completions back on the loop thread.
 */
#ifndef GLV_WORKERS_INTERNAL_H
#define GLV_WORKERS_INTERNAL_H

#include "core-internal.h"

/* threads: 0 picks the number of online CPUs (at least 2). */
glv_workers *glv_workers_new(glv_core *core, unsigned threads);
/* Waits for running work, drops queued work without running it (their done
 * callbacks do not run either) and joins the threads. */
void glv_workers_free(glv_workers *w);
/* Submits work; done(arg) runs on the loop after work(arg) returned. */
int glv_workers_submit(glv_workers *w, glv_work_fn work, glv_callback_fn done, void *arg);
/* Jobs queued or running. */
size_t glv_workers_pending(glv_workers *w);

#endif
