/*
 * galvani — the hooks bus.
 *
 * Two kinds of events:
 *
 *  - Filters run one after another in priority order (lower number first;
 *    ties broken by plugin name; the order is logged at start). Each filter
 *    may modify the payload and returns PASS (go on), VETO (stop, refused),
 *    HANDLED (stop, answered) or PENDING (it will answer later through
 *    host->filter_resume). A filter chain has a deadline; a filter that does
 *    not answer in time ends the chain with GLV_HOOK_TIMEOUT and an error
 *    that names the plugin.
 *
 *  - Notifications are emitted after the emitter committed what they report.
 *    They are read-only, fan out to every listener on a later loop turn and
 *    cannot veto. A listener that fails is logged; the others still run.
 *
 * Payloads are JSON objects. Every event is declared by the plugin that owns
 * it, with a data version; subscribers state the version they were written
 * for and are refused when the declared one is older. Versions only grow by
 * adding fields, so a newer payload is always readable by an older listener.
 *
 * Subscribing or unsubscribing from inside a handler is safe: the change
 * takes effect for the next dispatch.
 */
#ifndef GALVANI_HOOKS_H
#define GALVANI_HOOKS_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum glv_event_kind {
    GLV_EVENT_FILTER = 1,
    GLV_EVENT_NOTIFICATION = 2,
} glv_event_kind;

typedef enum glv_verdict {
    GLV_HOOK_PASS = 0,    /* continue with the next filter */
    GLV_HOOK_VETO = 1,    /* stop: the action is refused (give a reason) */
    GLV_HOOK_HANDLED = 2, /* stop: this filter answered (in the payload) */
    GLV_HOOK_PENDING = 3, /* filter only: it will call filter_resume later */
    GLV_HOOK_FAILED = 4,  /* the filter could not decide (an internal error) */
    GLV_HOOK_TIMEOUT = 5, /* chain result only: a filter did not answer in time */
} glv_verdict;

/* Priorities: lower runs first. */
enum {
    GLV_PRIORITY_FIRST = -1000,
    GLV_PRIORITY_EARLY = -100,
    GLV_PRIORITY_NORMAL = 0,
    GLV_PRIORITY_LATE = 100,
    GLV_PRIORITY_LAST = 1000,
};

/* One filter's turn in a running chain. Valid until the filter returns a
 * verdict other than PENDING, or until it calls filter_resume. */
typedef struct glv_filter_call glv_filter_call;

/* A filter. payload: borrowed, may be modified in place until the filter
 * answers. Returns a glv_verdict; PENDING requires exactly one later call to
 * host->filter_resume (also after a timeout, which only makes it a no-op). */
typedef glv_verdict (*glv_filter_fn)(glv_filter_call *call, json_t *payload, void *arg);

/* Result of a filter chain, called exactly once on the loop thread, possibly
 * before filter_run returns. payload: borrowed (as modified by the filters).
 * error: borrowed, NULL for PASS and HANDLED; for VETO the reason given by the
 * filter (or a generic one); for FAILED and TIMEOUT an object with "plugin",
 * "event" and "message". */
typedef void (*glv_filter_done_fn)(glv_verdict result, json_t *payload, const json_t *error,
                                   void *arg);

/* A notification listener. payload: borrowed and read-only. */
typedef void (*glv_listener_fn)(const char *event, const json_t *payload, void *arg);

#ifdef __cplusplus
}
#endif
#endif
