/*
 * galvani core — private. The daemon: configuration, plugins, listeners,
 * signals, reload and drain, around one event loop. galvanid's main() only
 * parses its arguments and calls these.
 */
#ifndef GLV_DAEMON_INTERNAL_H
#define GLV_DAEMON_INTERNAL_H

#include <galvani/plugin.h>
#include <stdbool.h>
#include <stdio.h>

typedef struct glv_daemon glv_daemon;

/* Schema of the `galvani:` section (node id, log level, plugin directories,
 * plugins list, workers, hook timeout, shutdown timeout). */
extern const glv_config_field glv_core_config_schema[];
/* The root schema: every section the core itself reads. */
extern const glv_config_field glv_root_config_schema[];

/* Reads and validates the configuration, loads and configures the plugins,
 * creates the database pool and the listeners (not yet bound). Prints the
 * reason to stderr and returns NULL on any error. quiet: log only warnings
 * and errors whatever the configured level (for -t). */
glv_daemon *glv_daemon_new(const char *config_path, bool quiet);
/* -t: also checks the database schema; prints what was found to out.
 * Returns 0 when everything is fine. */
int glv_daemon_check(glv_daemon *d, FILE *out, bool verbose);
/* Runs: init, bind, start, notify systemd, loop until SIGTERM/SIGINT,
 * drain, stop. Returns the process exit code. */
int glv_daemon_run(glv_daemon *d);
void glv_daemon_free(glv_daemon *d);
/* Prints the Markdown reference of the core's sections and, when d is not
 * NULL, of each loaded plugin's section. */
void glv_daemon_print_reference(FILE *out, glv_daemon *d);

#endif
