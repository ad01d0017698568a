/*
 * galvani core — private. Logging to stderr with syslog priority prefixes
 * ("<6>galvanid[name]: message"), which journald reads as priorities.
 */
#ifndef GLV_LOG_INTERNAL_H
#define GLV_LOG_INTERNAL_H

#include <galvani/common.h>
#include <stdarg.h>

#include "core-internal.h"

/* Messages above this priority number are dropped (default GLV_LOG_INFO). */
void glv_log_set_level(int max_priority);
int glv_log_level(void);
/* Parses "err", "warning", "notice", "info", "debug"; -1 if unknown. */
int glv_log_level_parse(const char *name);
/* who: "core", a plugin or module name. Thread-safe (one write per line). */
void glv_log(int priority, const char *who, const char *fmt, ...) GLV_PRINTF(3, 4);
void glv_vlog(int priority, const char *who, const char *fmt, va_list ap) GLV_PRINTF(3, 0);

#endif
