/*
 * galvani — common definitions shared by every public header.
 *
 * Only libc, stdint and a forward-declared json_t are used, so a plugin can be
 * built against these headers alone (plus jansson if it handles payloads).
 *
 * Error convention across the ABI: functions return 0 (or a non-negative
 * count/id) on success and a negative errno value on failure. Where a reason
 * exists beyond the errno, the host records it as a JSON object that the
 * plugin can read with host->last_error().
 *
 * Ownership words follow jansson: "borrowed" (the callee neither keeps nor
 * releases the reference), "stolen" (the callee takes over the caller's
 * reference, even on failure), "new" (the caller receives a reference it must
 * release with json_decref).
 */
#ifndef GALVANI_COMMON_H
#define GALVANI_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* jansson's JSON value; plugins that touch payloads include <jansson.h>. */
typedef struct json_t json_t;

/* Per-plugin context handle owned by the host; valid from init to fini. */
typedef struct glv_plugin glv_plugin;

/* Log priorities: the syslog numbers, written as "<N>" prefixes on stderr. */
enum glv_log_priority {
    GLV_LOG_ERR = 3,
    GLV_LOG_WARNING = 4,
    GLV_LOG_NOTICE = 5,
    GLV_LOG_INFO = 6,
    GLV_LOG_DEBUG = 7,
};

/* Generic callback run on the loop thread. */
typedef void (*glv_callback_fn)(void *arg);

#if defined(__GNUC__)
#define GLV_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define GLV_PRINTF(fmt_index, first_arg)
#endif

#ifdef __cplusplus
}
#endif
#endif
