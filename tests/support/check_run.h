/* Runs a Check suite the same way in every test program. */
#ifndef GLV_CHECK_RUN_H
#define GLV_CHECK_RUN_H

#include <check.h>

/* Runs every test of s (which it frees) and returns the process exit
 * status: EXIT_SUCCESS when all passed. */
int glv_test_run(Suite *s);

#endif
